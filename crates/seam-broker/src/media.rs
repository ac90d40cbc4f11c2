//! Calls: ICE servers and TURN credentials for participants, expiring
//! unanswered upgrade requests, and re-sending credentials before they
//! expire on a long call (both through the timer service).
//!
//! The mode rules themselves (who may request, answer, cancel, downgrade)
//! are in [`crate::session::rules`].

use std::sync::Arc;

use base64::Engine;
use hmac::{Hmac, Mac};
use seam_protocol::{EventBody, IceServer, ServerFrame, SessionEvent};
use sha1::Sha1;

use crate::clock::Clock;
use crate::config::MediaConfig;
use crate::engine::{Append, SessionEngine};
use crate::hub::Hub;
use crate::outbox::Outbox;
use crate::session::{rules, SessionError, SessionView};
use crate::timers::{Timer, Timers};

/// Time-limited TURN credentials by the TURN REST API convention:
/// username `<expiry-unix>:<principal>`, password
/// `base64(HMAC-SHA1(secret, username))`.
pub(crate) fn turn_credentials(secret: &str, principal: &str, expires_at: u64) -> (String, String) {
    let username = format!("{expires_at}:{principal}");
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = Hmac::<Sha1>::new_from_slice(secret.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
    mac.update(username.as_bytes());
    let password = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
    (username, password)
}

/// The ICE servers frame for one participant of `session_id`, with
/// credentials minted at `now_secs` (Unix seconds).
pub(crate) fn ice_servers_frame(
    config: &MediaConfig,
    session_id: &str,
    sub: &str,
    now_secs: u64,
) -> ServerFrame {
    let mut expires_at: Option<u64> = None;
    let ice_servers = config
        .ice_servers
        .iter()
        .map(|server| {
            let (username, credential) = match &server.secret {
                Some(secret) => {
                    let expiry = now_secs + server.ttl_secs;
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

/// Calls of this node: ICE servers for attached connections, and the
/// timers of requests and credentials.
#[derive(Clone)]
pub(crate) struct Media {
    config: MediaConfig,
    engine: Arc<dyn SessionEngine>,
    hub: Arc<Hub>,
    timers: Timers,
}

impl std::fmt::Debug for Media {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Media").finish_non_exhaustive()
    }
}

impl Media {
    /// Calls configured by `config`.
    pub(crate) fn new(
        config: MediaConfig,
        engine: Arc<dyn SessionEngine>,
        hub: Arc<Hub>,
        timers: Timers,
    ) -> Media {
        Media {
            config,
            engine,
            hub,
            timers,
        }
    }

    fn clock(&self) -> &Arc<dyn Clock> {
        self.timers.clock()
    }

    /// The media configuration.
    pub(crate) fn config(&self) -> &MediaConfig {
        &self.config
    }

    /// When a request made now expires (Unix ms).
    pub(crate) fn request_expiry(&self) -> u64 {
        self.clock().now_millis() + self.config.request_timeout_ms
    }

    /// Sends ICE servers to one connection attached to a session in a call.
    pub(crate) fn send_ice_servers(&self, session_id: &str, sub: &str, outbox: &Outbox) {
        let now = self.clock().now_millis() / 1000;
        outbox.push_frame(&ice_servers_frame(&self.config, session_id, sub, now));
    }

    fn send_to_attached(&self, session_id: &str) {
        let now = self.clock().now_millis() / 1000;
        self.hub.for_each_attached(session_id, |sub, outbox| {
            outbox.push_frame(&ice_servers_frame(&self.config, session_id, sub, now));
        });
    }

    /// A session entered voice or video (call number `call`): every
    /// attached connection gets ICE servers, and minted credentials are
    /// re-sent after three quarters of their lifetime while the call lasts.
    pub(crate) fn start_call(&self, session_id: &str, call: u64) {
        self.send_to_attached(session_id);
        self.arm_refresh(session_id, call);
    }

    fn arm_refresh(&self, session_id: &str, call: u64) {
        let ttl = self
            .config
            .ice_servers
            .iter()
            .filter(|s| s.secret.is_some())
            .map(|s| s.ttl_secs)
            .min();
        if let Some(ttl) = ttl {
            let timer = Timer::IceRefresh {
                session_id: session_id.to_owned(),
                call,
            };
            self.timers.after(ttl * 750, timer);
        }
    }

    /// The refresh timer of call `call` fired.
    pub(crate) async fn refresh(&self, session_id: &str, call: u64) {
        let Ok(Some(view)) = self.engine.view(session_id).await else {
            return;
        };
        if view.call_in_progress() == Some(call) {
            self.send_to_attached(session_id);
            self.arm_refresh(session_id, call);
        }
    }

    /// Expires `request_id` at `expires_at` (Unix ms) unless answered.
    pub(crate) fn expire_at(&self, session_id: &str, request_id: String, expires_at: u64) {
        let timer = Timer::ModeRequestExpiry {
            session_id: session_id.to_owned(),
            request_id,
        };
        self.timers.at(expires_at, timer);
    }

    /// The expiry timer fired: records the expiry if still pending.
    pub(crate) async fn expire(&self, session_id: &str, request_id: &str) {
        let Ok(Some(view)) = self.engine.view(session_id).await else {
            return;
        };
        let Some(requester) = rules::requester(&view, request_id) else {
            return;
        };
        let append = Append {
            actor: &requester,
            command_id: None,
            decide: Box::new(move |view| Ok(rules::expire_request(view, request_id))),
        };
        match self.engine.append(session_id, append).await {
            Ok(_) | Err(SessionError::NotFound) => {}
            Err(e) => {
                tracing::error!(error = %e, session = %session_id, "could not expire a mode request");
            }
        }
    }

    /// Another node committed `event` to a session this node holds. This
    /// node arms a request's expiry too (whichever node's timer fires
    /// first records it; the others find it no longer pending), and gives
    /// its own attached connections ICE servers when a call starts (and
    /// refreshes their credentials while it lasts).
    pub(crate) fn remote_event(&self, event: &SessionEvent) {
        match &event.body {
            EventBody::ModeRequested { request, .. } => {
                let request_id = request.request_id.clone();
                self.expire_at(&event.session_id, request_id, request.expires_at);
            }
            EventBody::ModeChanged { previous, mode, .. }
                if !previous.is_media() && mode.is_media() =>
            {
                let media = self.clone();
                let session_id = event.session_id.clone();
                // Later: the engine holds the session while it folds this.
                tokio::spawn(async move {
                    if let Ok(Some(view)) = media.engine.view(&session_id).await {
                        if let Some(call) = view.call_in_progress() {
                            media.start_call(&session_id, call);
                        }
                    }
                });
            }
            _ => {}
        }
    }

    /// After a restart: re-arms the expiry of pending requests and the
    /// credential refresh of calls in progress in the `open` sessions.
    pub(crate) fn resume_timers(&self, open: &[SessionView]) {
        for view in open {
            if let Some(request) = &view.mode_request {
                self.expire_at(
                    &view.session_id,
                    request.request_id.clone(),
                    request.expires_at,
                );
            }
            if let Some(call) = view.call_in_progress() {
                self.arm_refresh(&view.session_id, call);
            }
        }
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
