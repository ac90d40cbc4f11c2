//! The HTTP edge: routes, the WebSocket upgrade, and HTTP errors as JSON.

use std::sync::Arc;

use axum::extract::ws::WebSocketUpgrade;
use axum::extract::State;
use std::time::Duration;

use axum::extract::Request;
use axum::http::{header, HeaderMap, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Extension;
use axum::{Json, Router};
use serde_json::json;

use crate::api::{bearer_token, ApiError};
use crate::connection;
use crate::listener::ConnectionSlot;
use crate::state::AppState;

/// All routes on the broker's one port. Every request is answered within
/// `limits.request_timeout_ms` (a WebSocket upgrade is answered at once).
pub(crate) fn router(state: Arc<AppState>) -> Router {
    let deadline = Duration::from_millis(state.config.limits.request_timeout_ms);
    Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .route("/ws", get(websocket))
        .nest(
            "/v1",
            crate::admin::routes()
                .merge(crate::uploads::routes())
                .merge(crate::reports::routes()),
        )
        .route("/demo", get(crate::demo::redirect))
        .route("/console/supervisor", get(crate::demo::supervisor))
        .nest("/demo/", crate::demo::routes())
        .fallback(not_found)
        .layer(middleware::from_fn(move |request: Request, next: Next| {
            answer_within(deadline, request, next)
        }))
        .with_state(state)
}

/// Answers `408` (and closes the connection) when a request, its body
/// included, is not answered in time.
async fn answer_within(deadline: Duration, request: Request, next: Next) -> Response {
    match tokio::time::timeout(deadline, next.run(request)).await {
        Ok(response) => response,
        Err(_) => {
            let mut response = ApiError::new(
                StatusCode::REQUEST_TIMEOUT,
                "request_timeout",
                format!(
                    "the request was not complete within {} ms",
                    deadline.as_millis()
                ),
            )
            .into_response();
            response.headers_mut().insert(
                header::CONNECTION,
                header::HeaderValue::from_static("close"),
            );
            response
        }
    }
}

async fn healthz(State(state): State<Arc<AppState>>) -> Response {
    let store = state.store_health.failure();
    let redis = state.cluster_health.as_ref().map(|h| h.failure());
    let (code, status) = if state.shutdown.is_triggered() {
        (StatusCode::SERVICE_UNAVAILABLE, "shutting_down")
    } else if store.is_some() {
        (StatusCode::SERVICE_UNAVAILABLE, "store_failing")
    } else if matches!(redis, Some(Some(_))) {
        (StatusCode::SERVICE_UNAVAILABLE, "redis_failing")
    } else {
        (StatusCode::OK, "ok")
    };
    let body = json!({
        "status": status,
        "version": env!("CARGO_PKG_VERSION"),
        "protocol_versions": seam_protocol::SUPPORTED_VERSIONS,
        "connections": state.hub.connections(),
        "sessions": state.engine.sessions_held(),
        "window_bytes": state.engine.window_bytes(),
        "store": match store {
            None => json!({ "ok": true }),
            Some(error) => json!({ "ok": false, "error": error }),
        },
        "node": state.hub.node(),
        "cluster": match redis {
            None => json!(null),
            Some(redis) => json!({
                "redis": match redis {
                    None => json!({ "ok": true }),
                    Some(error) => json!({ "ok": false, "error": error }),
                },
                "dispatching": state.routing.dispatches(),
                "nodes": state.routing.nodes_heard(),
            }),
        },
    });
    (code, Json(body)).into_response()
}

/// `GET /metrics`: Prometheus text exposition.
async fn metrics(State(state): State<Arc<AppState>>, headers: HeaderMap) -> Response {
    let config = &state.config.metrics;
    if !config.enabled {
        return not_found().await.into_response();
    }
    if let Some(expected) = config.token.as_deref().filter(|t| !t.is_empty()) {
        // A malformed header is as good as none: 401 below.
        let given = bearer_token(&headers).ok().flatten();
        // Compared in constant time: the token is a secret.
        let matches = given.is_some_and(|given| {
            given.len() == expected.len()
                && given
                    .bytes()
                    .zip(expected.bytes())
                    .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                    == 0
        });
        if !matches {
            return ApiError::new(
                StatusCode::UNAUTHORIZED,
                "unauthenticated",
                "send Authorization: Bearer <metrics.token>",
            )
            .into_response();
        }
    }
    // Queues and agents as the routing node sees them; in a cluster the
    // other nodes report none (their routers only relay).
    let (routing, service_levels) = if state.routing.dispatches() {
        let router = state.routing.router();
        (Some(router.queues_and_agents().0), router.service_levels())
    } else {
        (None, Vec::new())
    };
    let text = state.metrics.render(crate::metrics::Gauges {
        connections: state.hub.connections(),
        sessions_held: state.engine.sessions_held(),
        window_bytes: state.engine.window_bytes(),
        store_up: state.store_health.failure().is_none(),
        outbox_depth: state.store.pending_deliveries().await.ok(),
        routing,
        service_levels,
    });
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        text,
    )
        .into_response()
}

async fn not_found() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "not_found",
        "no such route; WebSocket clients connect to /ws",
    )
}

/// A browser's `Origin` must be on the allow-list, when there is one.
fn check_origin(allowed: &[String], headers: &HeaderMap) -> Result<(), ApiError> {
    let Some(origin) = headers.get(header::ORIGIN) else {
        return Ok(());
    };
    if allowed.is_empty() || allowed.iter().any(|a| a.as_bytes() == origin.as_bytes()) {
        return Ok(());
    }
    Err(ApiError::new(
        StatusCode::FORBIDDEN,
        "origin_not_allowed",
        "this page's origin may not connect; add it to auth.allowed_origins",
    ))
}

/// Upgrades to a WebSocket. A bearer token in the header is checked here, so
/// a bad one is refused with 401 before the upgrade; browsers, which cannot
/// set headers, send their token in `hello` instead.
async fn websocket(
    State(state): State<Arc<AppState>>,
    slot: Option<Extension<Arc<ConnectionSlot>>>,
    headers: HeaderMap,
    upgrade: Result<WebSocketUpgrade, axum::extract::ws::rejection::WebSocketUpgradeRejection>,
) -> Result<Response, ApiError> {
    let upgrade =
        upgrade.map_err(|e| ApiError::new(e.status(), "websocket_required", e.body_text()))?;
    check_origin(&state.config.auth.allowed_origins, &headers)?;
    if state.shutdown.is_triggered() {
        return Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "shutting_down",
            "broker is shutting down; try another",
        ));
    }
    // Boxed: the upgrade task keeps what its callback captured for the
    // connection's life.
    let identity = match bearer_token(&headers)? {
        None => None,
        Some(token) => Some(Box::new(state.auth.verify(token)?)),
    };
    // Every connection the listener accepted carries its slot; one that
    // did not come through it (none in the broker) cannot be accounted for.
    let Some(Extension(slot)) = slot else {
        return Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "too_many_connections",
            "connection not accounted for; retry later",
        ));
    };
    let limits = &state.config.limits;
    Ok(upgrade
        .read_buffer_size(limits.read_buffer_bytes)
        .write_buffer_size(limits.write_buffer_bytes)
        .max_message_size(limits.max_transport_bytes)
        .max_frame_size(limits.max_transport_bytes)
        .on_upgrade(move |socket| connection::run(socket, state, identity, slot)))
}
