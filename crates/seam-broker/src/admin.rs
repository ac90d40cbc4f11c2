//! The admin HTTP API for the company's backend (JWT with role `service`):
//! list sessions, fetch a transcript, end a session, export or erase
//! everything about a customer.
//!
//! Every error is a status with a JSON body `{"error": {"code", "message"}}`.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::routing::{delete, get, post, put};
use axum::{Json, Router};
use seam_protocol::{
    CannedResponse, CannedResponseBody, CannedResponseList, CustomerErased, CustomerExport,
    EventBody, ExportedSession, Principal, Role, SessionEnded, SessionList, SessionState,
    TranscriptPage,
};
use serde::Deserialize;
use serde_json::Value;

use crate::api::{
    bad_request, bearer_token, only_known, query_number, session_not_found, ApiError,
};
use crate::lifecycle::{Ender, LifecycleError};
use crate::session::SessionError;
use crate::state::AppState;
use crate::store::{SessionFilter, StoreError};

/// The largest page of a listing.
const MAX_LIMIT: usize = 1000;

/// The admin routes, mounted under `/v1`.
pub(crate) fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/sessions", get(list_sessions))
        .route("/sessions/{id}", get(get_session))
        .route("/sessions/{id}/end", post(end_session))
        .route("/customers/{sub}", delete(erase_customer))
        .route("/customers/{sub}/export", get(export_customer))
        .route("/canned-responses", get(list_canned))
        .route(
            "/canned-responses/{shortcut}",
            put(put_canned).delete(delete_canned),
        )
        .route("/openapi.json", get(openapi))
}

/// `GET /v1/openapi.json`: the API's description (no token needed).
async fn openapi() -> Json<Value> {
    Json(crate::openapi::document())
}

/// A request authenticated with a `service` token.
pub(crate) struct Service(Principal);

impl FromRequestParts<Arc<AppState>> for Service {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, ApiError> {
        let token = bearer_token(&parts.headers)?.ok_or_else(|| {
            ApiError::new(
                StatusCode::UNAUTHORIZED,
                "unauthenticated",
                "send Authorization: Bearer <service token>",
            )
        })?;
        let identity = state.auth.verify(token)?;
        if identity.principal.role != Role::Service {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "forbidden",
                format!(
                    "role `{}` may not use the admin API; use a service token",
                    identity.principal.role
                ),
            ));
        }
        Ok(Service(identity.principal))
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> ApiError {
        tracing::error!(error = %e, "store failed in the admin API");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "the store failed; retry later",
        )
    }
}

/// `GET /v1/sessions?state=&queue=&agent=&customer=&since=&until=&offline=&limit=`
async fn list_sessions(
    _service: Service,
    State(state): State<Arc<AppState>>,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Json<SessionList>, ApiError> {
    const KNOWN: &[&str] = &[
        "state", "queue", "agent", "customer", "since", "until", "offline", "limit",
    ];
    only_known(&params, KNOWN)?;
    let state_filter = match params.get("state").map(String::as_str) {
        None => None,
        Some("open") => Some(SessionState::Open),
        Some("ended") => Some(SessionState::Ended),
        Some(other) => {
            return Err(bad_request(format!(
                "`state` must be `open` or `ended`, not `{other}`"
            )))
        }
    };
    let offline = match params.get("offline").map(String::as_str) {
        None => None,
        Some("true") => Some(true),
        Some("false") => Some(false),
        Some(other) => {
            return Err(bad_request(format!(
                "`offline` must be `true` or `false`, not `{other}`"
            )))
        }
    };
    let limit = query_number(&params, "limit")?.unwrap_or(100) as usize;
    if limit == 0 || limit > MAX_LIMIT {
        return Err(bad_request(format!("`limit` must be 1 to {MAX_LIMIT}")));
    }
    let filter = SessionFilter {
        state: state_filter,
        queue: params.get("queue").cloned(),
        agent: params.get("agent").cloned(),
        customer: params.get("customer").cloned(),
        since: query_number(&params, "since")?,
        until: query_number(&params, "until")?,
        offline,
        limit,
    };
    let sessions = state.store.list(&filter).await?;
    Ok(Json(SessionList { sessions }))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TranscriptQuery {
    #[serde(default)]
    whispers: bool,
    /// Events after this seq (a page's `next_after_seq`).
    #[serde(default)]
    after_seq: u64,
    /// At most this many events (1 to `MAX_LIMIT`, default `MAX_LIMIT`).
    limit: Option<usize>,
}

/// `GET /v1/sessions/{id}?whispers=&after_seq=&limit=`: the session and a
/// page of its transcript, with where the next page starts.
async fn get_session(
    _service: Service,
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
    query: Result<Query<TranscriptQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<TranscriptPage>, ApiError> {
    let Query(query) = query.map_err(|e| bad_request(e.body_text()))?;
    let limit = query.limit.unwrap_or(MAX_LIMIT);
    if limit == 0 || limit > MAX_LIMIT {
        return Err(bad_request(format!("`limit` must be 1 to {MAX_LIMIT}")));
    }
    let summary = state
        .store
        .summary(&id)
        .await?
        .ok_or_else(|| session_not_found(&id))?;
    // One more than asked tells whether another page follows.
    let mut page = state
        .store
        .events_after(&id, query.after_seq, limit + 1)
        .await?;
    let next_after_seq = (page.len() > limit).then(|| page[limit - 1].seq);
    page.truncate(limit);
    let mut events: Vec<_> = page
        .into_iter()
        .filter(|e| query.whispers || !matches!(e.body, EventBody::Whisper { .. }))
        .collect();
    if !state.config.messages.keep_originals_for_staff {
        // Revisions may come on later pages: the session's view has them all.
        // Fails closed: no view, no transcript.
        let view = state.engine.view(&id).await.map_err(|e| {
            tracing::warn!(error = %e, "cannot read the session's revisions");
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "the session could not be read; retry later",
            )
        })?;
        for event in &mut events {
            if let Some(view) = &view {
                view.redact(event);
            }
        }
    }
    Ok(Json(TranscriptPage {
        session: summary,
        events,
        next_after_seq,
    }))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct EndRequest {
    reason: Option<String>,
}

/// `POST /v1/sessions/{id}/end` with an optional `{"reason": "..."}`.
async fn end_session(
    Service(service): Service,
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Result<Json<SessionEnded>, ApiError> {
    let reason = if body.iter().all(u8::is_ascii_whitespace) {
        None
    } else {
        serde_json::from_slice::<EndRequest>(&body)
            .map_err(|e| {
                bad_request(format!(
                    "body must be {{\"reason\": \"...\"}} or empty: {e}"
                ))
            })?
            .reason
    };
    let committed = state
        .lifecycle
        .end(&id, &service, Ender::Owner, reason)
        .await
        .map_err(|e| match e {
            LifecycleError::Session(SessionError::NotFound) => session_not_found(&id),
            e => e.into(),
        })?;
    Ok(Json(SessionEnded {
        session_id: id,
        seq: committed.seq,
    }))
}

impl From<LifecycleError> for ApiError {
    fn from(e: LifecycleError) -> ApiError {
        match e {
            LifecycleError::Session(SessionError::Ended) => ApiError::new(
                StatusCode::CONFLICT,
                "session_ended",
                "the session has already ended",
            ),
            LifecycleError::Session(SessionError::Store(e)) | LifecycleError::Store(e) => e.into(),
            e => ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string()),
        }
    }
}

/// `DELETE /v1/customers/{sub}`: ends the customer's open sessions, then
/// deletes every session, event and pending webhook about them.
async fn erase_customer(
    Service(service): Service,
    State(state): State<Arc<AppState>>,
    Path(sub): Path<String>,
) -> Result<Json<CustomerErased>, ApiError> {
    let erased_sessions = state.lifecycle.erase_customer(&sub, &service).await?;
    state.facts.forget(&erased_sessions);
    Ok(Json(CustomerErased {
        customer: sub,
        erased_sessions,
    }))
}

/// `GET /v1/customers/{sub}/export`: every stored session of the customer,
/// oldest first, each with its summary and every event (whispers and notes
/// included: it is what the company holds about them).
async fn export_customer(
    _service: Service,
    State(state): State<Arc<AppState>>,
    Path(sub): Path<String>,
) -> Result<Json<CustomerExport>, ApiError> {
    let filter = SessionFilter {
        customer: Some(sub.clone()),
        limit: i64::MAX as usize,
        ..SessionFilter::default()
    };
    let mut summaries = state.store.list(&filter).await?;
    summaries.reverse();
    let mut sessions = Vec::with_capacity(summaries.len());
    for session in summaries {
        let mut events = state.store.all_events(&session.session_id).await?;
        if !state.config.messages.keep_originals_for_staff {
            crate::session::redact_log(&mut events);
        }
        sessions.push(ExportedSession { session, events });
    }
    let attachments = sessions
        .iter()
        .flat_map(|s| &s.events)
        .filter_map(|e| match &e.body {
            seam_protocol::EventBody::Attachment { attachment } => {
                Some(seam_protocol::ExportedAttachment {
                    session_id: e.session_id.clone(),
                    seq: e.seq,
                    from: e.from.sub.clone(),
                    attachment: attachment.clone(),
                })
            }
            _ => None,
        })
        .collect();
    Ok(Json(CustomerExport {
        customer: sub,
        exported_at: state.timers.clock().now_millis(),
        sessions,
        attachments,
    }))
}

/// `GET /v1/canned-responses`: the saved replies agents get.
async fn list_canned(
    _service: Service,
    State(state): State<Arc<AppState>>,
) -> Result<Json<CannedResponseList>, ApiError> {
    let canned_responses = crate::canned::all(&state.config, state.store.as_ref()).await?;
    Ok(Json(CannedResponseList { canned_responses }))
}

/// `PUT /v1/canned-responses/{shortcut}` with `{"title", "text"}`: creates
/// or replaces a saved reply (one configured with the same shortcut
/// included); agents get it at their next `canned_responses`.
async fn put_canned(
    _service: Service,
    State(state): State<Arc<AppState>>,
    Path(shortcut): Path<String>,
    body: axum::body::Bytes,
) -> Result<Json<CannedResponse>, ApiError> {
    let body: CannedResponseBody = serde_json::from_slice(&body).map_err(|e| {
        bad_request(format!(
            "body must be {{\"text\": \"...\", \"title\": \"...\"}}: {e}"
        ))
    })?;
    crate::canned::check(&shortcut, &body.text, state.config.limits.max_text_chars)
        .map_err(bad_request)?;
    if body.title.as_ref().is_some_and(|t| t.chars().count() > 200) {
        return Err(bad_request(
            "`title` may have at most 200 characters".into(),
        ));
    }
    let reply = CannedResponse {
        shortcut,
        title: body.title,
        text: body.text,
    };
    state.store.put_canned_response(&reply).await?;
    Ok(Json(reply))
}

/// `DELETE /v1/canned-responses/{shortcut}`: deletes one defined through the
/// API (a configured one with the same shortcut shows again).
async fn delete_canned(
    _service: Service,
    State(state): State<Arc<AppState>>,
    Path(shortcut): Path<String>,
) -> Result<Json<CannedResponse>, ApiError> {
    let stored = state.store.canned_responses().await?;
    let Some(reply) = stored.into_iter().find(|r| r.shortcut == shortcut) else {
        let configured = state
            .config
            .canned_responses
            .iter()
            .any(|c| c.shortcut == shortcut);
        let message = if configured {
            format!("`{shortcut}` is defined in the configuration file; change it there")
        } else {
            format!("no saved reply `{shortcut}` defined through the API")
        };
        return Err(ApiError::new(StatusCode::NOT_FOUND, "not_found", message));
    };
    state.store.delete_canned_response(&shortcut).await?;
    Ok(Json(reply))
}
