//! What the nodes of a cluster tell each other over Redis, and this
//! node's sending side ([`Peers`]). The receiving side and the tasks live
//! in [`crate::cluster`]; the hub relays ephemeral frames through
//! [`Peers`] without knowing about Redis.

use seam_protocol::SessionEvent;
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;

use crate::frame::Frame;

/// What one node tells the others.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub(crate) enum Envelope {
    /// An event the node committed.
    Event {
        /// The node that committed it.
        node: String,
        /// The event.
        event: SessionEvent,
    },
    /// An ephemeral frame for a session's attached connections.
    Relay {
        /// The node that sent it.
        node: String,
        /// The session.
        session_id: String,
        /// Which of its connections.
        to: Audience,
        /// The serialized frame.
        frame: String,
    },
    /// An ephemeral frame for every connection of one principal (an offer,
    /// a revoked offer).
    ToPrincipal {
        /// The node that sent it.
        node: String,
        /// The principal.
        sub: String,
        /// The serialized frame.
        frame: String,
    },
    /// Routing between the nodes and the one that dispatches
    /// ([`crate::dispatch`]), as that module's JSON.
    Routing {
        /// The node that sent it.
        node: String,
        /// The message.
        message: String,
    },
}

/// Which of a session's connections a relayed frame is for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "audience", rename_all = "snake_case")]
pub(crate) enum Audience {
    /// Every attached connection (the sender's are on its own node).
    All,
    /// The customer's connections.
    Customer,
    /// One principal's connections (one of them, if `connection` names it).
    Signal {
        /// The target principal.
        to: String,
        /// The target connection's public name.
        connection: Option<String>,
    },
}

/// This node's side of the cluster: publishes what it commits and relays.
#[derive(Debug, Clone)]
pub(crate) struct Peers {
    node: String,
    outgoing: mpsc::UnboundedSender<String>,
}

impl Peers {
    /// The link of node `node`, queueing messages on `outgoing`.
    pub(crate) fn new(node: &str, outgoing: mpsc::UnboundedSender<String>) -> Peers {
        Peers {
            node: node.to_owned(),
            outgoing,
        }
    }

    /// This node's name.
    pub(crate) fn node(&self) -> &str {
        &self.node
    }

    /// Publishes an event this node committed (as [`Envelope::Event`],
    /// serialized from a borrow: no copy of the event on the commit path).
    pub(crate) fn publish(&self, event: &SessionEvent) {
        /// [`Envelope::Event`] by reference.
        #[derive(Serialize)]
        #[serde(tag = "kind", rename = "event")]
        struct EventRef<'a> {
            node: &'a str,
            event: &'a SessionEvent,
        }
        self.send(&EventRef {
            node: &self.node,
            event,
        });
    }

    /// Queues a message for the other nodes.
    fn send(&self, envelope: &impl Serialize) {
        match serde_json::to_string(envelope) {
            Ok(payload) => {
                let _ = self.outgoing.send(payload);
            }
            Err(e) => tracing::error!(error = %e, "cannot encode a cluster message"),
        }
    }

    /// Relays an ephemeral frame to a principal's connections on other
    /// nodes.
    pub(crate) fn to_principal(&self, sub: &str, frame: &Frame) {
        self.send(&Envelope::ToPrincipal {
            node: self.node.clone(),
            sub: sub.to_owned(),
            frame: frame.as_str().to_owned(),
        });
    }

    /// Sends a routing message (JSON) to the other nodes.
    pub(crate) fn routing(&self, message: String) {
        self.send(&Envelope::Routing {
            node: self.node.clone(),
            message,
        });
    }

    /// Relays an ephemeral frame to the session's connections on other
    /// nodes.
    pub(crate) fn relay(&self, session_id: &str, to: Audience, frame: &Frame) {
        self.send(&Envelope::Relay {
            node: self.node.clone(),
            session_id: session_id.to_owned(),
            to,
            frame: frame.as_str().to_owned(),
        });
    }
}
