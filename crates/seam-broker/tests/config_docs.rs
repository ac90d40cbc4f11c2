//! Keeps the documents' configuration keys real: every `section.key` the
//! README and docs/ name in code spans, for a section of the configuration
//! file, is a key `seam config default` writes. A key renamed or removed
//! without its documentation fails here.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic

use std::collections::BTreeSet;
use std::path::Path;

/// Dotted names in the documents that look like configuration keys but
/// are fields of a response, with where they are from.
const NOT_KEYS: &[(&str, &str)] = &[
    ("store.error", "GET /healthz"),
    ("cluster.redis.error", "GET /healthz"),
    ("cluster.dispatching", "GET /healthz"),
    ("cluster.nodes", "GET /healthz"),
    ("limits.edit_window_secs", "the welcome frame's limits"),
];

/// Every key of the default configuration file, dotted (`auth.issuer`),
/// commented-out optional keys included.
fn keys() -> BTreeSet<String> {
    let mut keys = BTreeSet::new();
    let mut section = String::new();
    for line in seam_broker::config::default_toml().lines() {
        if let Some(name) = line.strip_prefix('[') {
            section = name.trim_end_matches(']').to_owned();
            continue;
        }
        let line = line.trim_start_matches('#').trim_start();
        let Some((key, _)) = line.split_once('=') else {
            continue;
        };
        let key = key.trim();
        if !key.is_empty()
            && key
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        {
            keys.insert(if section.is_empty() {
                key.to_owned()
            } else {
                format!("{section}.{key}")
            });
        }
    }
    keys
}

/// The documents: the README and everything in docs/.
fn documents() -> Vec<(String, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut paths = vec![root.join("README.md")];
    for entry in std::fs::read_dir(root.join("docs")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "md") {
            paths.push(path);
        }
    }
    paths
        .into_iter()
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read_to_string(&p).unwrap())
        })
        .collect()
}

/// The dotted name a code span holds (`auth.issuer` of `` `auth.issuer` ``
/// and of `` `auth.issuer = "…"` ``), if it holds one and it is not a file
/// name (`tls.rs`).
fn dotted(span: &str) -> Option<&str> {
    let end = span
        .find(|c: char| !(c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '.'))
        .unwrap_or(span.len());
    let name = &span[..end];
    let rest = span[end..].trim_start();
    let whole = rest.is_empty() || rest.starts_with('=');
    let file = [".rs", ".md", ".toml", ".js", ".ts", ".json", ".html"]
        .iter()
        .any(|ext| name.ends_with(ext));
    (whole && !file && name.contains('.') && !name.ends_with('.')).then_some(name)
}

#[test]
fn every_configuration_key_the_documents_name_exists() {
    let keys = keys();
    assert!(
        keys.contains("auth.issuer") && keys.contains("store.kind"),
        "{keys:?}"
    );
    let sections: BTreeSet<&str> = keys
        .iter()
        .filter_map(|k| k.split_once('.').map(|(s, _)| s))
        .collect();
    let mut unknown = BTreeSet::new();
    let mut named = BTreeSet::new();
    for (file, text) in documents() {
        for span in text.split('`').skip(1).step_by(2) {
            let Some(name) = dotted(span) else { continue };
            let section = name.split('.').next().unwrap_or_default();
            if sections.contains(section) && keys.contains(name) {
                named.insert(name.to_owned());
            }
            if sections.contains(section)
                && !keys.contains(name)
                && !NOT_KEYS.iter().any(|(n, _)| *n == name)
            {
                unknown.insert(format!("{file}: {name}"));
            }
        }
    }
    // The documents name dozens of keys: finding few means this test no
    // longer reads them.
    assert!(
        named.len() >= 30,
        "only {} keys found: {named:?}",
        named.len()
    );
    assert!(
        unknown.is_empty(),
        "the documents name configuration keys that do not exist: {unknown:?}"
    );
}
