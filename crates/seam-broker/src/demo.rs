//! `/demo`: the browser widget, agent console and supervisor dashboard,
//! embedded in the binary,
//! and (in development mode only) an endpoint minting tokens for them, so a
//! newcomer can try the whole flow in two browser windows.
//!
//! The assets are bundled from `clients/sdk` and `clients/web` (`npm run
//! build` in each); CI checks the committed bundles are current.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Json, Router};
use seam_protocol::{CustomerContext, Role};
use serde_json::json;

use crate::api::ApiError;
use crate::auth::{mint_hs256, Claims};
use crate::state::AppState;

const INDEX: &str = include_str!("../../../clients/web/demo/index.html");
const CONSOLE: &str = include_str!("../../../clients/web/demo/console.html");
const SUPERVISOR: &str = include_str!("../../../clients/web/demo/supervisor.html");

/// The bundled SDK, widget and console (`clients/web/build.mjs`).
const SCRIPTS: &[(&str, &str)] = &[
    ("sdk.js", include_str!("../../../clients/web/dist/sdk.js")),
    (
        "widget.js",
        include_str!("../../../clients/web/dist/widget.js"),
    ),
    (
        "console.js",
        include_str!("../../../clients/web/dist/console.js"),
    ),
    (
        "supervisor.js",
        include_str!("../../../clients/web/dist/supervisor.js"),
    ),
];

/// Lifetime of demo tokens.
const DEMO_TOKEN_SECS: u64 = 12 * 3600;

/// The `/demo` routes.
pub(crate) fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/", get(|| async { html(INDEX) }))
        .route("/console", get(|| async { html(CONSOLE) }))
        .route("/supervisor", get(supervisor))
        .route("/token", get(token))
        .route("/{file}", get(script))
}

/// The live supervisor dashboard (`/demo/supervisor`, and
/// `/console/supervisor?token-url=...` for real deployments).
pub(crate) async fn supervisor() -> Response {
    html(SUPERVISOR)
}

/// `/demo` without the slash.
pub(crate) async fn redirect() -> Redirect {
    Redirect::permanent("/demo/")
}

fn html(body: &'static str) -> Response {
    ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], body).into_response()
}

async fn script(Path(file): Path<String>) -> Result<Response, ApiError> {
    let (_, body) = SCRIPTS
        .iter()
        .find(|(name, _)| *name == file)
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::NOT_FOUND,
                "not_found",
                format!("no demo file `{file}`"),
            )
        })?;
    Ok((
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
        *body,
    )
        .into_response())
}

/// Whether the request's `Host` names this machine by a loopback name.
fn is_loopback_host(headers: &HeaderMap) -> bool {
    let Some(host) = headers.get(header::HOST).and_then(|h| h.to_str().ok()) else {
        return false;
    };
    let name = match host.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or_default(),
        None => host.rsplit_once(':').map_or(host, |(name, _)| name),
    };
    name.eq_ignore_ascii_case("localhost")
        || name
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// `GET /demo/token?role=customer&sub=alice&name=Alice&issue_type=billing&page=/x`
/// (agents and bots may add `capacity=N`)
async fn token(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let secret = state.dev_secret.as_deref().ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            "demo tokens are only minted in development mode (seam serve --dev)",
        )
    })?;
    if !is_loopback_host(&headers) {
        // A page on another site that rebinds its DNS name to this machine
        // would otherwise mint tokens (service ones included).
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "host_not_allowed",
            "demo tokens are only minted for localhost, 127.0.0.1 or [::1]",
        ));
    }
    let bad = |m: String| ApiError::new(StatusCode::BAD_REQUEST, "bad_request", m);
    let role: Role =
        serde_json::from_value(json!(params.get("role").map_or("customer", String::as_str)))
            .map_err(|_| bad("role must be customer, agent, supervisor, bot or service".into()))?;
    let sub = params
        .get("sub")
        .filter(|s| !s.trim().is_empty())
        .ok_or_else(|| bad("sub is required".into()))?;
    let context = (role == Role::Customer).then(|| CustomerContext {
        issue_type: params.get("issue_type").cloned(),
        page: params.get("page").cloned(),
        ..CustomerContext::default()
    });
    let claims = Claims {
        name: params.get("name").cloned(),
        iss: state.config.auth.issuer.clone(),
        aud: state.config.auth.audience.clone(),
        context,
        capacity: params.get("capacity").and_then(|c| c.parse().ok()),
        ..Claims::new(sub.clone(), role, DEMO_TOKEN_SECS)
    };
    let token = mint_hs256(secret, &claims)
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string()))?;
    Ok(Json(json!({ "token": token })))
}
