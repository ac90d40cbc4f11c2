//! The HTTP edge's shared vocabulary: [`ApiError`] (every HTTP error is a
//! status and a JSON body `{"error": {"code", "message"}}`) and the bearer
//! token of a request and the principal it names. The routers (`http`,
//! `admin`, `uploads`, `reports`, `demo`) use it; it
//! uses none of them.

use std::collections::HashMap;

use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

use crate::auth::{AuthError, Authenticator, Identity};

/// An HTTP error: a status and a JSON body `{"error": {"code", "message"}}`.
#[derive(Debug)]
pub(crate) struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
}

impl ApiError {
    /// An error with a status, a stable code and a message.
    pub(crate) fn new(
        status: StatusCode,
        code: &'static str,
        message: impl Into<String>,
    ) -> ApiError {
        ApiError {
            status,
            code,
            message: message.into(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = json!({ "error": { "code": self.code, "message": self.message } });
        (self.status, Json(body)).into_response()
    }
}

impl From<AuthError> for ApiError {
    fn from(e: AuthError) -> ApiError {
        match e {
            AuthError::Expired => {
                ApiError::new(StatusCode::UNAUTHORIZED, "token_expired", "token expired")
            }
            AuthError::Invalid(why) => {
                ApiError::new(StatusCode::UNAUTHORIZED, "invalid_token", why)
            }
        }
    }
}

/// The bearer token of a request, if it has an `Authorization` header;
/// a header that is not `Bearer <token>` is an error.
pub(crate) fn bearer_token(headers: &HeaderMap) -> Result<Option<&str>, ApiError> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    value
        .to_str()
        .ok()
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(|token| Some(token.trim()))
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::UNAUTHORIZED,
                "invalid_token",
                "Authorization must be `Bearer <jwt>`",
            )
        })
}

/// The request's principal, from its bearer token (any role): for the
/// `/v1` routes that are not for services only (attachments, analytics).
pub(crate) fn bearer_identity(
    auth: &Authenticator,
    headers: &HeaderMap,
) -> Result<Identity, ApiError> {
    let token = bearer_token(headers)?.ok_or_else(|| {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            "send Authorization: Bearer <token>",
        )
    })?;
    Ok(auth.verify(token)?)
}

/// A `400 bad_request` with a message.
pub(crate) fn bad_request(message: String) -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, "bad_request", message)
}

/// Refuses a query that names a parameter not in `known`.
pub(crate) fn only_known(params: &HashMap<String, String>, known: &[&str]) -> Result<(), ApiError> {
    match params.keys().find(|k| !known.contains(&k.as_str())) {
        Some(unknown) => Err(bad_request(format!(
            "unknown parameter `{unknown}`; known: {}",
            known.join(", ")
        ))),
        None => Ok(()),
    }
}

/// The query parameter `key` as a non-negative integer, if present.
pub(crate) fn query_number(
    params: &HashMap<String, String>,
    key: &str,
) -> Result<Option<u64>, ApiError> {
    params
        .get(key)
        .map(|v| {
            v.parse::<u64>().map_err(|_| {
                bad_request(format!(
                    "`{key}` must be a non-negative integer (Unix milliseconds for times), not `{v}`"
                ))
            })
        })
        .transpose()
}

/// `404 session_not_found` for session `id`.
pub(crate) fn session_not_found(id: &str) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "session_not_found",
        format!("no session with id `{id}`"),
    )
}
