//! A client for the broker's HTTP API (`/v1`, docs/http-api.md), for the
//! company's backend and `seam admin`: list sessions, read a transcript,
//! end a session, export or erase a customer's data (a `service` token);
//! and attachments: upload, signed links, download (any participant's
//! token).
//!
//! ```no_run
//! # async fn demo() -> Result<(), seam_client::AdminError> {
//! use seam_client::{AdminClient, SessionQuery};
//! let admin = AdminClient::new("http://127.0.0.1:8080", "<service jwt>")?;
//! let open = admin.list_sessions(&SessionQuery { state: Some("open".into()), ..SessionQuery::default() }).await?;
//! for session in open.sessions {
//!     println!("{} {}", session.session_id, session.customer.sub);
//! }
//! # Ok(()) }
//! ```

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::{Method, Request, StatusCode};
use seam_protocol::{
    AttachmentLink, AttachmentUploaded, CannedResponse, CannedResponseBody, CannedResponseList,
    CustomerErased, CustomerExport, SessionEnded, SessionEvent, SessionList, SessionSummary,
    TranscriptPage,
};
use serde::de::DeserializeOwned;

/// What went wrong talking to the admin API.
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    /// The base URL is not `http://host[:port]` or `https://host[:port]`.
    #[error("bad broker URL `{url}`: {reason}")]
    Url {
        /// The URL given.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The broker could not be reached, or the connection failed.
    #[error("cannot reach the broker: {0}")]
    Connect(String),
    /// The broker answered with an error status and body.
    #[error("{status} {code}: {message}")]
    Api {
        /// The HTTP status.
        status: u16,
        /// The stable error code (`session_not_found`, `forbidden`, ...).
        code: String,
        /// What the broker said.
        message: String,
    },
    /// The broker's answer was not what the API documents.
    #[error("unexpected answer from the broker: {0}")]
    Decode(String),
}

/// Filters for [`AdminClient::list_sessions`]; `None` leaves one out.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SessionQuery {
    /// `open` or `ended`.
    pub state: Option<String>,
    /// Only this queue's sessions.
    pub queue: Option<String>,
    /// Only sessions this agent took part in.
    pub agent: Option<String>,
    /// Only this customer's sessions.
    pub customer: Option<String>,
    /// Created at or after, Unix milliseconds.
    pub since: Option<u64>,
    /// Created before, Unix milliseconds.
    pub until: Option<u64>,
    /// At most this many (1 to 1000; the broker's default is 100).
    pub limit: Option<u32>,
}

/// The admin API of one broker, authenticated with a `service` token.
#[derive(Clone)]
pub struct AdminClient {
    secure: bool,
    host: String,
    port: u16,
    authority: String,
    token: String,
    tls: tokio_rustls::TlsConnector,
}

impl std::fmt::Debug for AdminClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AdminClient")
            .field("secure", &self.secure)
            .field("authority", &self.authority)
            .finish_non_exhaustive()
    }
}

impl AdminClient {
    /// A client for the broker at `base_url` (`http://127.0.0.1:8080`, or
    /// `https://…` trusting the public web roots).
    pub fn new(base_url: &str, token: impl Into<String>) -> Result<AdminClient, AdminError> {
        AdminClient::with_roots(base_url, token, None)
    }

    /// Like [`AdminClient::new`], also trusting the certificates in
    /// `extra_roots_pem` (a private CA, a development certificate).
    pub fn with_roots(
        base_url: &str,
        token: impl Into<String>,
        extra_roots_pem: Option<&str>,
    ) -> Result<AdminClient, AdminError> {
        let bad = |reason: &str| AdminError::Url {
            url: base_url.to_owned(),
            reason: reason.to_owned(),
        };
        let uri: hyper::Uri = base_url.parse().map_err(|_| bad("not a URL"))?;
        let secure = match uri.scheme_str() {
            Some("http") => false,
            Some("https") => true,
            _ => return Err(bad("use http:// or https://")),
        };
        if uri.path_and_query().is_some_and(|p| p.as_str() != "/") {
            return Err(bad("give the broker's address only, without a path"));
        }
        let host = uri.host().ok_or_else(|| bad("no host"))?.to_owned();
        let port = uri.port_u16().unwrap_or(if secure { 443 } else { 80 });
        let authority = uri
            .authority()
            .map_or_else(|| host.clone(), |a| a.to_string());
        let tls = crate::tls::client_config(extra_roots_pem).map_err(|e| bad(&e))?;
        Ok(AdminClient {
            secure,
            host,
            port,
            authority,
            token: token.into(),
            tls: tokio_rustls::TlsConnector::from(tls),
        })
    }

    /// `GET /v1/sessions`: sessions matching `query`, newest first.
    pub async fn list_sessions(&self, query: &SessionQuery) -> Result<SessionList, AdminError> {
        let mut params = Vec::new();
        for (key, value) in [
            ("state", query.state.clone()),
            ("queue", query.queue.clone()),
            ("agent", query.agent.clone()),
            ("customer", query.customer.clone()),
            ("since", query.since.map(|v| v.to_string())),
            ("until", query.until.map(|v| v.to_string())),
            ("limit", query.limit.map(|v| v.to_string())),
        ] {
            if let Some(value) = value {
                params.push(format!("{key}={}", encode(&value)));
            }
        }
        let path = if params.is_empty() {
            "/v1/sessions".to_owned()
        } else {
            format!("/v1/sessions?{}", params.join("&"))
        };
        self.call(Method::GET, &path, None).await
    }

    /// `GET /v1/sessions/{id}`: one page of a transcript, events after
    /// `after_seq` (at most `limit`, the broker's default 1000).
    pub async fn transcript_page(
        &self,
        session_id: &str,
        after_seq: u64,
        whispers: bool,
        limit: Option<u32>,
    ) -> Result<TranscriptPage, AdminError> {
        let mut path = format!(
            "/v1/sessions/{}?after_seq={after_seq}&whispers={whispers}",
            encode(session_id)
        );
        if let Some(limit) = limit {
            path.push_str(&format!("&limit={limit}"));
        }
        self.call(Method::GET, &path, None).await
    }

    /// A session's summary and its whole transcript, every page fetched.
    pub async fn transcript(
        &self,
        session_id: &str,
        whispers: bool,
    ) -> Result<(SessionSummary, Vec<SessionEvent>), AdminError> {
        let mut page = self.transcript_page(session_id, 0, whispers, None).await?;
        let mut events = std::mem::take(&mut page.events);
        while let Some(after) = page.next_after_seq {
            page = self
                .transcript_page(session_id, after, whispers, None)
                .await?;
            events.append(&mut page.events);
        }
        Ok((page.session, events))
    }

    /// `POST /v1/sessions/{id}/end`: ends an open session for everyone.
    pub async fn end_session(
        &self,
        session_id: &str,
        reason: Option<&str>,
    ) -> Result<SessionEnded, AdminError> {
        let body = serde_json::json!({ "reason": reason }).to_string();
        let path = format!("/v1/sessions/{}/end", encode(session_id));
        self.call(Method::POST, &path, Some(body)).await
    }

    /// `GET /v1/customers/{sub}/export`: everything stored about a customer.
    pub async fn export_customer(&self, sub: &str) -> Result<CustomerExport, AdminError> {
        let path = format!("/v1/customers/{}/export", encode(sub));
        self.call(Method::GET, &path, None).await
    }

    /// `DELETE /v1/customers/{sub}`: ends the customer's open session and
    /// deletes everything stored about them.
    pub async fn erase_customer(&self, sub: &str) -> Result<CustomerErased, AdminError> {
        let path = format!("/v1/customers/{}", encode(sub));
        self.call(Method::DELETE, &path, None).await
    }

    /// `GET /v1/canned-responses`: the saved replies agents get.
    pub async fn canned_responses(&self) -> Result<Vec<CannedResponse>, AdminError> {
        let list: CannedResponseList = self.call(Method::GET, "/v1/canned-responses", None).await?;
        Ok(list.canned_responses)
    }

    /// `PUT /v1/canned-responses/{shortcut}`: creates or replaces a saved reply.
    pub async fn put_canned_response(
        &self,
        shortcut: &str,
        title: Option<&str>,
        text: &str,
    ) -> Result<CannedResponse, AdminError> {
        let body = CannedResponseBody {
            title: title.map(str::to_owned),
            text: text.to_owned(),
        };
        let body = serde_json::to_string(&body).map_err(|e| AdminError::Decode(e.to_string()))?;
        let path = format!("/v1/canned-responses/{}", encode(shortcut));
        self.call(Method::PUT, &path, Some(body)).await
    }

    /// `DELETE /v1/canned-responses/{shortcut}`: deletes one defined through the API.
    pub async fn delete_canned_response(
        &self,
        shortcut: &str,
    ) -> Result<CannedResponse, AdminError> {
        let path = format!("/v1/canned-responses/{}", encode(shortcut));
        self.call(Method::DELETE, &path, None).await
    }

    /// `POST /v1/sessions/{id}/attachments`: attaches a file to a session
    /// (any participant's token; the broker recognises its type from its
    /// bytes). With an `idempotency_key`, a retry answers the first upload.
    pub async fn upload_attachment(
        &self,
        session_id: &str,
        name: &str,
        bytes: Vec<u8>,
        idempotency_key: Option<&str>,
    ) -> Result<AttachmentUploaded, AdminError> {
        let path = format!(
            "/v1/sessions/{}/attachments?name={}",
            encode(session_id),
            encode(name)
        );
        let mut headers = vec![("content-type", "application/octet-stream")];
        if let Some(key) = idempotency_key {
            headers.push(("idempotency-key", key));
        }
        let bytes = self
            .exchange(Method::POST, &path, Bytes::from(bytes), &headers)
            .await?;
        serde_json::from_slice(&bytes).map_err(|e| AdminError::Decode(e.to_string()))
    }

    /// `GET /v1/sessions/{id}/attachments/{attachment}`: a short-lived
    /// signed link to a file's bytes.
    pub async fn attachment_link(
        &self,
        session_id: &str,
        attachment_id: &str,
    ) -> Result<AttachmentLink, AdminError> {
        let path = format!(
            "/v1/sessions/{}/attachments/{}",
            encode(session_id),
            encode(attachment_id)
        );
        self.call(Method::GET, &path, None).await
    }

    /// The bytes behind a signed link (its `url`, as given).
    pub async fn download(&self, url: &str) -> Result<Vec<u8>, AdminError> {
        Ok(self
            .exchange(Method::GET, url, Bytes::new(), &[])
            .await?
            .to_vec())
    }

    /// `GET /v1/analytics/...`: a report as JSON (docs/analytics.md), e.g.
    /// `analytics("?group_by=queue")` or `analytics("/modes?limit=10")`.
    pub async fn analytics(&self, path_and_query: &str) -> Result<serde_json::Value, AdminError> {
        self.call(Method::GET, &format!("/v1/analytics{path_and_query}"), None)
            .await
    }

    /// One request on a fresh connection, its JSON answer decoded.
    async fn call<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<String>,
    ) -> Result<T, AdminError> {
        let headers: &[(&str, &str)] = if body.is_some() {
            &[("content-type", "application/json")]
        } else {
            &[]
        };
        let body = Bytes::from(body.unwrap_or_default());
        let bytes = self.exchange(method, path, body, headers).await?;
        serde_json::from_slice(&bytes).map_err(|e| AdminError::Decode(e.to_string()))
    }

    /// One request on a fresh connection: the answer's body, or the
    /// broker's error.
    async fn exchange(
        &self,
        method: Method,
        path: &str,
        body: Bytes,
        headers: &[(&str, &str)],
    ) -> Result<Bytes, AdminError> {
        let mut request = Request::builder()
            .method(method)
            .uri(path)
            .header(hyper::header::HOST, &self.authority)
            .header(
                hyper::header::AUTHORIZATION,
                format!("Bearer {}", self.token),
            )
            .header(
                hyper::header::USER_AGENT,
                concat!("seam-admin/", env!("CARGO_PKG_VERSION")),
            );
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let request = request
            .body(Full::new(body))
            .map_err(|e| AdminError::Decode(e.to_string()))?;
        let tcp = tokio::net::TcpStream::connect((self.host.trim_matches(['[', ']']), self.port))
            .await
            .map_err(|e| AdminError::Connect(format!("{}: {e}", self.authority)))?;
        let (status, bytes) = if self.secure {
            let name = rustls::pki_types::ServerName::try_from(
                self.host.trim_matches(['[', ']']).to_owned(),
            )
            .map_err(|e| AdminError::Connect(format!("bad host name: {e}")))?;
            let stream = self
                .tls
                .connect(name, tcp)
                .await
                .map_err(|e| AdminError::Connect(format!("TLS: {e}")))?;
            send(hyper_util::rt::TokioIo::new(stream), request).await?
        } else {
            send(hyper_util::rt::TokioIo::new(tcp), request).await?
        };
        if !status.is_success() {
            let error: serde_json::Value = serde_json::from_slice(&bytes).unwrap_or_default();
            let field = |name: &str| {
                error["error"][name]
                    .as_str()
                    .map(str::to_owned)
                    .unwrap_or_default()
            };
            return Err(AdminError::Api {
                status: status.as_u16(),
                code: field("code"),
                message: field("message"),
            });
        }
        Ok(bytes)
    }
}

/// Sends one request and reads the whole answer.
async fn send<I>(io: I, request: Request<Full<Bytes>>) -> Result<(StatusCode, Bytes), AdminError>
where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let connect = |e: hyper::Error| AdminError::Connect(e.to_string());
    let (mut sender, connection) = hyper::client::conn::http1::handshake(io)
        .await
        .map_err(connect)?;
    tokio::spawn(connection);
    let response = sender.send_request(request).await.map_err(connect)?;
    let status = response.status();
    let body = response.into_body().collect().await.map_err(connect)?;
    Ok((status, body.to_bytes()))
}

/// Percent-encodes a path segment or query value (RFC 3986 unreserved kept).
fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_percent_encoded() {
        assert_eq!(encode("s_1a"), "s_1a");
        assert_eq!(encode("a b/c?d&é"), "a%20b%2Fc%3Fd%26%C3%A9");
    }

    #[test]
    fn base_urls_other_than_http_or_https_are_refused() {
        for url in ["ws://127.0.0.1:8080", "127.0.0.1:8080", "http://h/v1"] {
            assert!(
                matches!(AdminClient::new(url, "t"), Err(AdminError::Url { .. })),
                "{url}"
            );
        }
        assert!(AdminClient::new("http://127.0.0.1:8080/", "t").is_ok());
        assert!(AdminClient::new("https://seam.example.com", "t").is_ok());
    }
}
