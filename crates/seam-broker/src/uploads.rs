//! Attachments over HTTP: upload into a session with the same JWT as the
//! WebSocket, ask for a short-lived signed link, fetch the bytes through
//! it (no token needed, so it works as an `<img src>`).
//!
//! - `POST /v1/sessions/{id}/attachments?name=<file name>`: the body is the
//!   file. Its type is recognised from its first bytes.
//! - `GET /v1/sessions/{id}/attachments/{attachment}`: a signed link.
//! - `GET /v1/attachments/{id}/{attachment}?type=&name=&expires=&sig=`: the bytes.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use seam_protocol::{
    AttachmentInfo, AttachmentLink, AttachmentUploaded, EventBody, Principal, Role,
    MAX_COMMAND_ID_BYTES,
};
use sha2::{Digest, Sha256};

use crate::api::{bearer_identity, session_not_found, ApiError};
use crate::attachment::{is_safe_id, sniff, thumbnail, Link, LinkError};
use crate::engine::Append;
use crate::session::{rules, SessionError, SessionView};
use crate::state::AppState;

/// The longest file name kept, in characters.
const MAX_NAME_CHARS: usize = 200;

/// How many events are read at a time when looking for an attachment.
const SCAN_PAGE: usize = 500;

/// The attachment routes, nested under `/v1`.
pub(crate) fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/sessions/{id}/attachments", post(upload))
        .route("/sessions/{id}/attachments/{attachment}", get(link))
        .route("/attachments/{id}/{attachment}", get(download))
}

fn session_error(e: SessionError, session_id: &str) -> ApiError {
    match e {
        SessionError::NotFound => session_not_found(session_id),
        SessionError::NotYourSession => ApiError::new(
            StatusCode::FORBIDDEN,
            "not_your_session",
            "this session belongs to another customer",
        ),
        SessionError::NotAParticipant => ApiError::new(
            StatusCode::FORBIDDEN,
            "not_a_participant",
            "only the session's participants may attach files to it",
        ),
        SessionError::Ended => ApiError::new(
            StatusCode::CONFLICT,
            "session_ended",
            "the session has ended: nothing more can be attached",
        ),
        SessionError::Store(e) => e.into(),
        other => ApiError::new(StatusCode::FORBIDDEN, "forbidden", other.to_string()),
    }
}

async fn view_of(state: &AppState, session_id: &str) -> Result<SessionView, ApiError> {
    state
        .engine
        .view(session_id)
        .await
        .map_err(|e| session_error(e, session_id))?
        .ok_or_else(|| session_error(SessionError::NotFound, session_id))
}

/// Who may fetch a session's files: its customer, anyone who took part,
/// supervisors and services.
fn may_read(view: &SessionView, who: &Principal) -> Result<(), ApiError> {
    let allowed = match who.role {
        Role::Service | Role::Supervisor => true,
        Role::Customer => view.customer.sub == who.sub,
        Role::Agent | Role::Bot => view.agents.contains(&who.sub),
    };
    if allowed {
        Ok(())
    } else if who.role == Role::Customer {
        Err(session_error(
            SessionError::NotYourSession,
            &view.session_id,
        ))
    } else {
        Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "only the session's participants may fetch its files",
        ))
    }
}

/// The file name as shown: the last path segment, without control
/// characters, at most [`MAX_NAME_CHARS`].
fn clean_name(name: &str) -> String {
    let last = name.rsplit(['/', '\\']).next().unwrap_or_default();
    let clean: String = last
        .chars()
        .filter(|c| !c.is_control())
        .take(MAX_NAME_CHARS)
        .collect();
    let clean = clean.trim();
    if clean.is_empty() {
        "file".to_owned()
    } else {
        clean.to_owned()
    }
}

/// `POST /v1/sessions/{id}/attachments?name=`: stores the file, then its
/// `attachment` event; `201` with both. An `Idempotency-Key` header makes a
/// retry answer the first upload (`duplicate: true`) instead of storing it
/// twice.
async fn upload(
    State(state): State<Arc<AppState>>,
    Path(session_id): Path<String>,
    Query(params): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Body,
) -> Result<(StatusCode, Json<AttachmentUploaded>), ApiError> {
    let who = bearer_identity(&state.auth, &headers)?.principal;
    let config = &state.config.attachments;
    if !config.enabled {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "attachments_disabled",
            "this broker does not accept attachments",
        ));
    }
    let key = match headers.get("idempotency-key") {
        None => None,
        Some(v) => match v.to_str() {
            Ok(k) if !k.is_empty() && k.len() <= MAX_COMMAND_ID_BYTES => Some(k.to_owned()),
            _ => {
                return Err(ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "bad_request",
                    format!(
                        "Idempotency-Key must be 1 to {MAX_COMMAND_ID_BYTES} visible ASCII bytes"
                    ),
                ))
            }
        },
    };
    let view = view_of(&state, &session_id).await?;
    if who.role != Role::Service {
        rules::check_can_post(&view, &who).map_err(|e| session_error(e, &session_id))?;
    } else if !view.is_open() {
        return Err(session_error(SessionError::Ended, &session_id));
    }
    let too_large = || {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            format!(
                "the file is larger than {} bytes, the limit",
                config.max_bytes
            ),
        )
    };
    let bytes = axum::body::to_bytes(body, config.max_bytes)
        .await
        .map_err(|_| too_large())?;
    if bytes.is_empty() {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "empty",
            "the request body (the file) is empty",
        ));
    }
    let content_type = sniff(&bytes)
        .filter(|t| config.allowed_types.iter().any(|a| a == t))
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_type",
                format!(
                    "this file is not of an accepted type (recognised from its content): accepted are {}",
                    config.allowed_types.join(", ")
                ),
            )
        })?;
    let name = clean_name(params.get("name").map_or("", String::as_str));
    // A retry under the same key writes the same blob and finds its event.
    let id = match &key {
        Some(key) => {
            let digest = Sha256::digest(format!("{}\0{session_id}\0{key}", who.sub));
            digest[..8].iter().map(|b| format!("{b:02x}")).collect()
        }
        None => crate::ids::random_hex(8),
    };
    let size = bytes.len() as u64;
    let bytes = bytes.to_vec();
    let (preview, bytes) =
        tokio::task::spawn_blocking(move || (thumbnail(&bytes, content_type), bytes))
            .await
            .map_err(|_| {
                ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "the preview failed",
                )
            })?;
    state.store.put_blob(&session_id, &id, bytes).await?;
    let attachment = AttachmentInfo {
        id,
        name,
        size,
        content_type: content_type.to_owned(),
        thumbnail: preview,
    };
    let body = EventBody::Attachment {
        attachment: attachment.clone(),
    };
    let committed = state
        .engine
        .append(
            &session_id,
            Append {
                actor: &who,
                command_id: key.as_deref(),
                decide: Box::new(|view| {
                    if who.role == Role::Service {
                        rules::record(view, body.clone())
                    } else {
                        rules::check_can_post(view, &who).map(|()| vec![body.clone()])
                    }
                }),
            },
        )
        .await
        .map_err(|e| session_error(e, &session_id))?;
    let attachment = if committed.duplicate {
        find(&state, &session_id, |seq, _| seq == committed.seq)
            .await?
            .unwrap_or(attachment)
    } else {
        attachment
    };
    let status = if committed.duplicate {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((
        status,
        Json(AttachmentUploaded {
            session_id,
            seq: committed.seq,
            duplicate: committed.duplicate,
            attachment,
        }),
    ))
}

/// The first attachment of the session whose event `matches`.
async fn find(
    state: &AppState,
    session_id: &str,
    matches: impl Fn(u64, &AttachmentInfo) -> bool,
) -> Result<Option<AttachmentInfo>, ApiError> {
    let mut after = 0;
    loop {
        let page = state
            .engine
            .read(session_id, after, SCAN_PAGE)
            .await
            .map_err(|e| session_error(e, session_id))?;
        for event in &page {
            if let EventBody::Attachment { attachment } = &event.body {
                if matches(event.seq, attachment) {
                    return Ok(Some(attachment.clone()));
                }
            }
        }
        match page.last() {
            Some(last) if page.len() == SCAN_PAGE => after = last.seq,
            _ => return Ok(None),
        }
    }
}

/// `GET /v1/sessions/{id}/attachments/{attachment}`: a signed link to the
/// bytes, for the session's customer, anyone who took part, supervisors
/// and services.
async fn link(
    State(state): State<Arc<AppState>>,
    Path((session_id, attachment_id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Json<AttachmentLink>, ApiError> {
    let who = bearer_identity(&state.auth, &headers)?.principal;
    let view = view_of(&state, &session_id).await?;
    may_read(&view, &who)?;
    let not_found = || {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "attachment_not_found",
            format!("no attachment `{attachment_id}` in this session"),
        )
    };
    let attachment = find(&state, &session_id, |_, a| a.id == attachment_id)
        .await?
        .ok_or_else(not_found)?;
    let expires_at =
        state.timers.clock().now_millis() + state.config.attachments.url_ttl_secs * 1000;
    let url = state.links.url(&Link {
        session_id: &session_id,
        id: &attachment.id,
        content_type: &attachment.content_type,
        name: &attachment.name,
        expires_at,
    });
    Ok(Json(AttachmentLink { url, expires_at }))
}

/// `GET /v1/attachments/{id}/{attachment}?type=&name=&expires=&sig=`: the
/// bytes, if the link is genuine and current.
async fn download(
    State(state): State<Arc<AppState>>,
    Path((session_id, attachment_id)): Path<(String, String)>,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let param = |key: &str| {
        params.get(key).map(String::as_str).ok_or_else(|| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "bad_request",
                format!("the link lacks `{key}`: ask for a new one"),
            )
        })
    };
    let expires_at = param("expires")?.parse::<u64>().map_err(|_| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad_request",
            "`expires` must be a number",
        )
    })?;
    let link = Link {
        session_id: &session_id,
        id: &attachment_id,
        content_type: param("type")?,
        name: param("name")?,
        expires_at,
    };
    let now = state.timers.clock().now_millis();
    state
        .links
        .check(&link, param("sig")?, now)
        .map_err(|e| match e {
            LinkError::BadSignature => ApiError::new(
                StatusCode::FORBIDDEN,
                "invalid_link",
                "this link was not made by this broker, or was changed",
            ),
            LinkError::Expired => ApiError::new(
                StatusCode::GONE,
                "link_expired",
                "this link has expired: ask for a new one",
            ),
        })?;
    let gone = || {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "attachment_not_found",
            "this file no longer exists",
        )
    };
    if !is_safe_id(&session_id) || !is_safe_id(&attachment_id) {
        return Err(gone());
    }
    let bytes = state
        .store
        .blob(&session_id, &attachment_id)
        .await?
        .ok_or_else(gone)?;
    let disposition = if link.content_type.starts_with("image/") {
        "inline"
    } else {
        "attachment"
    };
    let encoded = crate::attachment::encode(link.name);
    let headers = [
        (header::CONTENT_TYPE, link.content_type.to_owned()),
        (
            header::CONTENT_DISPOSITION,
            format!("{disposition}; filename*=UTF-8''{encoded}"),
        ),
        (header::CACHE_CONTROL, "private, max-age=300".to_owned()),
        (
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; sandbox".to_owned(),
        ),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_owned()),
    ];
    Ok((headers, bytes).into_response())
}

#[cfg(test)]
mod tests {
    use super::clean_name;

    #[test]
    fn file_names_lose_paths_and_control_characters() {
        assert_eq!(clean_name("C:\\Users\\lea\\invoice.pdf"), "invoice.pdf");
        assert_eq!(clean_name("../../etc/passwd"), "passwd");
        assert_eq!(clean_name("a\u{0}b\nc.txt"), "abc.txt");
        assert_eq!(clean_name(""), "file");
        assert_eq!(clean_name(&"x".repeat(500)).chars().count(), 200);
    }
}
