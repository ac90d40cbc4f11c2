//! Calls: ICE servers and TURN credentials for participants, the timer that
//! expires unanswered upgrade requests, and the one that re-sends
//! credentials before they expire on a long call.
//!
//! The mode rules themselves (who may request, answer, cancel, downgrade)
//! live in [`crate::session`], under the session's lock.

use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use hmac::{Hmac, Mac};
use seam_protocol::{IceServer, ServerFrame};
use sha1::Sha1;

use crate::auth::now_secs;
use crate::clock::now_millis;
use crate::config::{Config, MediaConfig};
use crate::hub::Hub;
use crate::outbox::Outbox;
use crate::session::Session;
use crate::store::SessionStore;

/// Time-limited TURN credentials by the TURN REST API convention:
/// username `<expiry-unix>:<principal>`, password
/// `base64(HMAC-SHA1(secret, username))`.
pub fn turn_credentials(secret: &str, principal: &str, expires_at: u64) -> (String, String) {
    let username = format!("{expires_at}:{principal}");
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = Hmac::<Sha1>::new_from_slice(secret.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
    mac.update(username.as_bytes());
    let password = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
    (username, password)
}

/// The ICE servers frame for one participant of `session_id`.
pub fn ice_servers_frame(config: &MediaConfig, session_id: &str, sub: &str) -> ServerFrame {
    let now = now_secs();
    let mut expires_at: Option<u64> = None;
    let ice_servers = config
        .ice_servers
        .iter()
        .map(|server| {
            let (username, credential) = match &server.secret {
                Some(secret) => {
                    let expiry = now + server.ttl_secs;
                    expires_at = Some(expires_at.map_or(expiry, |e| e.min(expiry)));
                    let (u, p) = turn_credentials(secret, sub, expiry);
                    (Some(u), Some(p))
                }
                None => (server.username.clone(), server.credential.clone()),
            };
            IceServer {
                urls: server.urls.clone(),
                username,
                credential,
            }
        })
        .collect();
    ServerFrame::IceServers {
        session_id: session_id.to_owned(),
        ice_servers,
        expires_at,
    }
}

/// Sends ICE servers to one connection that attached to a session in a call.
pub(crate) fn send_ice_servers(config: &MediaConfig, session_id: &str, sub: &str, outbox: &Outbox) {
    outbox.push_frame(&ice_servers_frame(config, session_id, sub));
}

/// A session just entered voice or video: every participant's connections
/// get ICE servers, and (for minted credentials) a task re-sends fresh ones
/// after three quarters of their lifetime for as long as this call lasts.
pub(crate) async fn start_call(config: Arc<Config>, session: Arc<Session>) {
    let Some(call) = session.call_generation().await else {
        return;
    };
    session
        .for_each_subscriber(|sub, outbox| {
            outbox.push_frame(&ice_servers_frame(&config.media, session.id(), sub));
        })
        .await;
    let Some(ttl) = config
        .media
        .ice_servers
        .iter()
        .filter(|s| s.secret.is_some())
        .map(|s| s.ttl_secs)
        .min()
    else {
        return;
    };
    let period = Duration::from_millis(ttl * 750);
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(period).await;
            if session.call_generation().await != Some(call) {
                return;
            }
            session
                .for_each_subscriber(|sub, outbox| {
                    outbox.push_frame(&ice_servers_frame(&config.media, session.id(), sub));
                })
                .await;
        }
    });
}

/// Expires the request `request_id` if it is still unanswered after `after`.
pub(crate) fn expire_later(
    session: Arc<Session>,
    store: Arc<dyn SessionStore>,
    request_id: String,
    after: Duration,
) {
    tokio::spawn(async move {
        tokio::time::sleep(after).await;
        if let Err(e) = session.expire_request(&request_id, store.as_ref()).await {
            tracing::error!(error = %e, session = %session.id(), "could not expire a mode request");
        }
    });
}

/// After a restart: re-arms the expiry of pending requests and the
/// credential refresh of calls in progress.
pub(crate) async fn resume_timers(config: &Arc<Config>, hub: &Hub) {
    for session in hub.sessions() {
        if let Some((request_id, expires_at)) = session.pending_request().await {
            let after = Duration::from_millis(expires_at.saturating_sub(now_millis()));
            expire_later(Arc::clone(&session), hub.store_handle(), request_id, after);
        }
        start_call(Arc::clone(config), session).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn turn_credentials_match_the_rest_api_convention() {
        // Independently computed: printf '1700000000:alice' |
        //   openssl dgst -sha1 -hmac 'coturn-secret' -binary | base64
        let (user, pass) = turn_credentials("coturn-secret", "alice", 1_700_000_000);
        assert_eq!(user, "1700000000:alice");
        assert_eq!(pass, "xDhekumuF8MOMl2uq3DuHW5R3Es=");
    }
}
