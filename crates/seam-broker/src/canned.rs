//! Saved replies agents insert by shortcut: those in the configuration
//! (`[[canned_responses]]`) and those defined through the admin API (kept in
//! the store), which replace a configured one with the same shortcut.

use seam_protocol::CannedResponse;

use crate::config::Config;
use crate::store::{SessionStore, StoreError};

/// Why a saved reply cannot be kept, for a human.
pub(crate) fn check(shortcut: &str, text: &str, max_chars: usize) -> Result<(), String> {
    let valid = !shortcut.is_empty()
        && shortcut.len() <= 64
        && shortcut
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if !valid {
        return Err(format!(
            "shortcut `{shortcut}` must be 1 to 64 letters, digits, - and _"
        ));
    }
    if text.trim().is_empty() || text.chars().count() > max_chars {
        return Err(format!(
            "the text of `{shortcut}` must be non-empty and at most {max_chars} characters"
        ));
    }
    Ok(())
}

/// Every saved reply: the configured ones in their order (replaced by a
/// stored one with the same shortcut), then the other stored ones.
pub(crate) async fn all(
    config: &Config,
    store: &dyn SessionStore,
) -> Result<Vec<CannedResponse>, StoreError> {
    let mut stored = store.canned_responses().await?;
    let mut replies: Vec<CannedResponse> = config
        .canned_responses
        .iter()
        .map(
            |c| match stored.iter().position(|s| s.shortcut == c.shortcut) {
                Some(i) => stored.remove(i),
                None => CannedResponse {
                    shortcut: c.shortcut.clone(),
                    title: c.title.clone(),
                    text: c.text.clone(),
                },
            },
        )
        .collect();
    replies.append(&mut stored);
    Ok(replies)
}
