//! Token verification: who a connection is, from a JWT.
//!
//! Keys are HS256 (shared secret), RS256 and ES256 (PEM public keys). The
//! token header's `alg` must be one of the configured keys' algorithms, so
//! `alg: none` and algorithm confusion are rejected before any signature check.

use std::path::Path;

use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use seam_protocol::{CustomerContext, Principal, Role};
use serde::{Deserialize, Serialize};

use crate::config::AuthConfig;
use crate::error::ConfigError;

/// The claims seam reads from a token.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Claims {
    /// Stable subject id.
    pub sub: String,
    /// The principal's role.
    pub role: Role,
    /// Display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Expiry, Unix seconds.
    pub exp: u64,
    /// Not valid before, Unix seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<u64>,
    /// Issued at, Unix seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iat: Option<u64>,
    /// Issuer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iss: Option<String>,
    /// Audience.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aud: Option<String>,
    /// Customers: what they came for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<CustomerContext>,
    /// Agents: their skills.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub skills: Vec<String>,
    /// Agents: maximum concurrent sessions (default from the routing config).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capacity: Option<u32>,
}

impl Claims {
    /// Claims for `sub` in `role`, issued now and valid for `ttl_secs`, with
    /// no name, context, skills, capacity, issuer or audience.
    pub fn new(sub: impl Into<String>, role: Role, ttl_secs: u64) -> Claims {
        let now = now_secs();
        Claims {
            sub: sub.into(),
            role,
            name: None,
            exp: now + ttl_secs,
            nbf: None,
            iat: Some(now),
            iss: None,
            aud: None,
            context: None,
            skills: Vec::new(),
            capacity: None,
        }
    }
}

/// An authenticated principal, as the broker keeps it for a connection.
#[derive(Debug, Clone, PartialEq)]
pub struct Identity {
    /// Public identity.
    pub principal: Principal,
    /// Customer context from the token.
    pub context: CustomerContext,
    /// Agent skills from the token.
    pub skills: Vec<String>,
    /// Agent capacity from the token.
    pub capacity: Option<u32>,
    /// Token expiry, Unix seconds.
    pub expires_at: u64,
}

/// Why a token was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// The token's `exp` (plus leeway) has passed.
    #[error("token expired")]
    Expired,
    /// Anything else: shape, algorithm, signature, issuer, audience, claims.
    #[error("invalid token: {0}")]
    Invalid(String),
}

/// Verifies tokens against the configured keys.
pub struct Authenticator {
    /// One entry per key: its algorithm, the key, and the rules for its tokens
    /// (a `Validation` may only name algorithms of its key's family).
    keys: Vec<(Algorithm, DecodingKey, Validation)>,
}

impl std::fmt::Debug for Authenticator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let algs: Vec<_> = self.keys.iter().map(|(a, _, _)| *a).collect();
        f.debug_struct("Authenticator")
            .field("algorithms", &algs)
            .finish()
    }
}

impl Authenticator {
    /// Builds an authenticator from config. `dev_secret` is used as the HS256
    /// secret when the config names none.
    pub fn from_config(
        config: &AuthConfig,
        dev_secret: Option<&str>,
    ) -> Result<Authenticator, ConfigError> {
        let mut keys = Vec::new();
        if let Some(secret) = config.hs256_secret.as_deref().or(dev_secret) {
            if secret.len() < 16 {
                return Err(ConfigError::Limit(
                    "auth.hs256_secret must be at least 16 bytes".into(),
                ));
            }
            keys.push((
                Algorithm::HS256,
                DecodingKey::from_secret(secret.as_bytes()),
            ));
        }
        if let Some(path) = &config.rs256_public_key {
            let pem = read_key(path, "RS256")?;
            let key = DecodingKey::from_rsa_pem(&pem).map_err(|e| key_error("RS256", path, e))?;
            keys.push((Algorithm::RS256, key));
        }
        if let Some(path) = &config.es256_public_key {
            let pem = read_key(path, "ES256")?;
            let key = DecodingKey::from_ec_pem(&pem).map_err(|e| key_error("ES256", path, e))?;
            keys.push((Algorithm::ES256, key));
        }
        if keys.is_empty() {
            return Err(ConfigError::NoKeys);
        }
        let keys = keys
            .into_iter()
            .map(|(alg, key)| (alg, key, validation(alg, config)))
            .collect();
        Ok(Authenticator { keys })
    }

    /// Verifies a token and returns who it authenticates.
    pub fn verify(&self, token: &str) -> Result<Identity, AuthError> {
        let header = jsonwebtoken::decode_header(token)
            .map_err(|_| AuthError::Invalid("the token is not a well-formed JWT".into()))?;
        let (_, key, validation) = self
            .keys
            .iter()
            .find(|(alg, _, _)| *alg == header.alg)
            .ok_or_else(|| {
                AuthError::Invalid(format!(
                    "tokens signed with {:?} are not accepted",
                    header.alg
                ))
            })?;
        let data = jsonwebtoken::decode::<Claims>(token, key, validation)
            .map_err(|e| refusal(e.kind()))?;
        let claims = data.claims;
        if claims.sub.trim().is_empty() {
            return Err(AuthError::Invalid("empty sub".into()));
        }
        Ok(Identity {
            principal: Principal {
                sub: claims.sub,
                role: claims.role,
                name: claims.name,
            },
            context: claims.context.unwrap_or_default(),
            skills: claims.skills,
            capacity: claims.capacity,
            expires_at: claims.exp,
        })
    }
}

/// A short reason a client can show, for every way a token can fail
/// (never the parser's own words, which say more than they help).
fn refusal(kind: &ErrorKind) -> AuthError {
    let why = match kind {
        ErrorKind::ExpiredSignature => return AuthError::Expired,
        ErrorKind::InvalidSignature => "bad signature",
        ErrorKind::InvalidIssuer => "wrong issuer",
        ErrorKind::InvalidAudience => "wrong audience",
        ErrorKind::ImmatureSignature => "not valid yet (nbf)",
        ErrorKind::MissingRequiredClaim(claim) => {
            return AuthError::Invalid(format!("the token has no `{claim}` claim"))
        }
        ErrorKind::InvalidAlgorithm | ErrorKind::InvalidAlgorithmName => {
            "the token's algorithm does not match the key"
        }
        ErrorKind::Json(_) => "the token's claims are malformed (sub, role, exp, context)",
        ErrorKind::InvalidToken | ErrorKind::Base64(_) | ErrorKind::Utf8(_) => {
            "the token is not a well-formed JWT"
        }
        _ => "the token cannot be verified",
    };
    AuthError::Invalid(why.into())
}

/// Signs claims with an HS256 secret (development tokens, tests, `seam token`).
pub fn mint_hs256(secret: &str, claims: &Claims) -> Result<String, AuthError> {
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .map_err(|e| AuthError::Invalid(e.to_string()))
}

/// The current time, Unix seconds.
pub fn now_secs() -> u64 {
    jsonwebtoken::get_current_timestamp()
}

/// The checks every token signed with `alg` must pass.
fn validation(alg: Algorithm, config: &AuthConfig) -> Validation {
    let mut validation = Validation::new(alg);
    validation.leeway = config.leeway_secs;
    validation.validate_nbf = true;
    // A configured issuer or audience is required: a token without the
    // claim is refused, not waved through.
    let mut required = vec!["exp", "sub"];
    match &config.issuer {
        Some(iss) => {
            validation.set_issuer(&[iss]);
            required.push("iss");
        }
        None => validation.iss = None,
    }
    match &config.audience {
        Some(aud) => {
            validation.set_audience(&[aud]);
            required.push("aud");
        }
        None => validation.validate_aud = false,
    }
    validation.set_required_spec_claims(&required);
    validation
}

fn read_key(path: &Path, what: &'static str) -> Result<Vec<u8>, ConfigError> {
    std::fs::read(path).map_err(|e| ConfigError::Key {
        what,
        path: path.to_owned(),
        reason: e.to_string(),
    })
}

fn key_error(what: &'static str, path: &Path, e: jsonwebtoken::errors::Error) -> ConfigError {
    ConfigError::Key {
        what,
        path: path.to_owned(),
        reason: e.to_string(),
    }
}
