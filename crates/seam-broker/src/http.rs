//! The HTTP edge: routes, the WebSocket upgrade, and HTTP errors as JSON.

use std::sync::Arc;

use axum::extract::ws::WebSocketUpgrade;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::json;

use crate::api::{bearer_token, ApiError};
use crate::connection;
use crate::state::AppState;

/// All routes on the broker's one port.
pub(crate) fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/ws", get(websocket))
        .nest("/v1", crate::admin::routes())
        .route("/demo", get(crate::demo::redirect))
        .nest("/demo/", crate::demo::routes())
        .fallback(not_found)
        .with_state(state)
}

async fn healthz(State(state): State<Arc<AppState>>) -> Response {
    let status = if state.shutdown.is_triggered() {
        (StatusCode::SERVICE_UNAVAILABLE, "shutting_down")
    } else {
        (StatusCode::OK, "ok")
    };
    let body = json!({
        "status": status.1,
        "version": env!("CARGO_PKG_VERSION"),
        "protocol_versions": seam_protocol::SUPPORTED_VERSIONS,
        "connections": state.hub.connections(),
        "sessions": state.engine.sessions_held(),
    });
    (status.0, Json(body)).into_response()
}

async fn not_found() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "not_found",
        "no such route; WebSocket clients connect to /ws",
    )
}

/// Upgrades to a WebSocket. A bearer token in the header is checked here, so
/// a bad one is refused with 401 before the upgrade; browsers, which cannot
/// set headers, send their token in `hello` instead.
async fn websocket(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    upgrade: Result<WebSocketUpgrade, axum::extract::ws::rejection::WebSocketUpgradeRejection>,
) -> Result<Response, ApiError> {
    let upgrade =
        upgrade.map_err(|e| ApiError::new(e.status(), "websocket_required", e.body_text()))?;
    if state.shutdown.is_triggered() {
        return Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "shutting_down",
            "broker is shutting down; try another",
        ));
    }
    let identity = match bearer_token(&headers)? {
        None => None,
        Some(token) => Some(state.auth.verify(token)?),
    };
    let permit = Arc::clone(&state.connection_permits)
        .try_acquire_owned()
        .map_err(|_| {
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "too_many_connections",
                "connection limit reached; retry later",
            )
        })?;
    let limits = &state.config.limits;
    Ok(upgrade
        .read_buffer_size(limits.read_buffer_bytes)
        .write_buffer_size(limits.write_buffer_bytes)
        .max_message_size(limits.max_transport_bytes)
        .max_frame_size(limits.max_transport_bytes)
        .on_upgrade(move |socket| connection::run(socket, state, identity, permit)))
}
