//! Who is on a connection: the principal's public identity and, for
//! customers, the context they arrive with.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The kind of principal a token authenticates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// A person on the company's website.
    Customer,
    /// A person answering customers.
    Agent,
    /// A person overseeing agents.
    Supervisor,
    /// An automated participant speaking the same protocol.
    Bot,
    /// The company's backend (admin API, webhooks, invitations).
    Service,
}

impl Role {
    /// The role's wire name, as in tokens and frames.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Customer => "customer",
            Role::Agent => "agent",
            Role::Supervisor => "supervisor",
            Role::Bot => "bot",
            Role::Service => "service",
        }
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The public identity of a participant, as other participants see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Principal {
    /// Stable subject identifier from the token (`sub`).
    pub sub: String,
    /// The principal's role.
    pub role: Role,
    /// Display name, when the token carries one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// What a customer came for: carried by the customer's token and/or the
/// `open_session` command, shown to every agent who joins.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct CustomerContext {
    /// The kind of problem, e.g. `"billing"`; later used for routing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issue_type: Option<String>,
    /// The page the customer was on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page: Option<String>,
    /// Free metadata from the company's site (plan, order id, ...), as the
    /// company signed it into the customer's token (or sent it with an
    /// invitation).
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub metadata: Map<String, Value>,
    /// Keys the customer's own client added in `open_session`: unverified,
    /// never overriding `metadata`; show them to agents as such.
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub customer_provided: Map<String, Value>,
}

impl CustomerContext {
    /// Overlays `other` on `self`, both from trusted sources (a token and a
    /// service's invitation): fields set in `other` win, metadata keys merge.
    pub fn merged_with(mut self, other: CustomerContext) -> CustomerContext {
        if other.issue_type.is_some() {
            self.issue_type = other.issue_type;
        }
        if other.page.is_some() {
            self.page = other.page;
        }
        self.metadata.extend(other.metadata);
        self
    }
}
