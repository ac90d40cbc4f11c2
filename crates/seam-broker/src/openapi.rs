//! The OpenAPI document of the HTTP API (`GET /v1/openapi.json`): paths,
//! parameters and statuses written here beside the handlers they describe,
//! body schemas generated from the very types the handlers serialize.
//! `.ci/run` checks the live API against it with schemathesis.

use schemars::gen::SchemaSettings;
use seam_protocol::{
    AttachmentLink, AttachmentUploaded, CannedResponse, CannedResponseBody, CannedResponseList,
    CustomerErased, CustomerExport, SessionEnded, SessionList, TranscriptPage,
};
use serde_json::{json, Map, Value};

/// A JSON error body, as every error status carries.
fn error_response(description: &str) -> Value {
    json!({
        "description": description,
        "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } }
    })
}

fn ok(description: &str, schema: Value) -> Value {
    json!({
        "description": description,
        "content": { "application/json": { "schema": schema } }
    })
}

/// The statuses every authenticated `/v1` route may answer besides its own.
fn common_errors(responses: &mut Map<String, Value>) {
    for (status, what) in [
        ("400", "a bad parameter or body (`bad_request`)"),
        ("401", "no token, a bad one or an expired one"),
        ("403", "a token whose role is not `service`"),
        ("408", "the request was not complete in time"),
    ] {
        responses.insert(status.into(), error_response(what));
    }
}

fn operation(summary: &str, parameters: Value, mut responses: Map<String, Value>) -> Value {
    common_errors(&mut responses);
    json!({
        "summary": summary,
        "security": [{ "bearer": [] }],
        "parameters": parameters,
        "responses": responses,
    })
}

fn query(name: &str, schema: Value, description: &str) -> Value {
    json!({ "name": name, "in": "query", "required": false, "schema": schema, "description": description })
}

fn path_param(name: &str, description: &str) -> Value {
    json!({ "name": name, "in": "path", "required": true, "schema": { "type": "string" }, "description": description })
}

fn schema_of(schema: schemars::schema::Schema) -> Value {
    serde_json::to_value(schema).unwrap_or(Value::Null)
}

/// The document.
pub(crate) fn document() -> Value {
    let mut generator = SchemaSettings::openapi3().into_generator();
    let list_body = schema_of(generator.subschema_for::<SessionList>());
    let transcript_body = schema_of(generator.subschema_for::<TranscriptPage>());
    let ended_body = schema_of(generator.subschema_for::<SessionEnded>());
    let erased_body = schema_of(generator.subschema_for::<CustomerErased>());
    let export_body = schema_of(generator.subschema_for::<CustomerExport>());
    let canned_list = schema_of(generator.subschema_for::<CannedResponseList>());
    let canned_one = schema_of(generator.subschema_for::<CannedResponse>());
    let canned_body = schema_of(generator.subschema_for::<CannedResponseBody>());
    let uploaded_body = schema_of(generator.subschema_for::<AttachmentUploaded>());
    let link_body = schema_of(generator.subschema_for::<AttachmentLink>());
    let analytics_body = schema_of(generator.subschema_for::<crate::reports::Analytics>());
    let modes_body = schema_of(generator.subschema_for::<crate::recommend::ModeReport>());
    let mut schemas: Map<String, Value> = generator
        .take_definitions()
        .into_iter()
        .map(|(name, schema)| (name, serde_json::to_value(schema).unwrap_or(Value::Null)))
        .collect();
    schemas.insert(
        "Error".into(),
        json!({
            "type": "object",
            "required": ["error"],
            "properties": { "error": {
                "type": "object",
                "required": ["code", "message"],
                "properties": { "code": { "type": "string" }, "message": { "type": "string" } }
            }}
        }),
    );
    let millis = json!({ "type": "integer", "minimum": 0, "format": "int64" });
    let limit = json!({ "type": "integer", "minimum": 1, "maximum": 1000 });

    let list = operation(
        "Sessions, newest first",
        json!([
            query(
                "state",
                json!({ "type": "string", "enum": ["open", "ended"] }),
                "only open or only ended sessions"
            ),
            query(
                "queue",
                json!({ "type": "string" }),
                "only this queue's sessions"
            ),
            query(
                "agent",
                json!({ "type": "string" }),
                "only sessions this agent took part in"
            ),
            query(
                "customer",
                json!({ "type": "string" }),
                "only this customer's sessions"
            ),
            query("since", millis.clone(), "created at or after, Unix ms"),
            query("until", millis.clone(), "created before, Unix ms"),
            query(
                "offline",
                json!({ "type": "boolean" }),
                "only messages left while nobody could answer (true), or only the others (false)"
            ),
            query("limit", limit.clone(), "at most this many (default 100)"),
        ]),
        Map::from_iter([("200".into(), ok("the sessions", list_body))]),
    );
    let transcript = operation(
        "A session and a page of its transcript",
        json!([
            path_param("id", "the session"),
            query("whispers", json!({ "type": "boolean" }), "include whispers"),
            query("after_seq", millis.clone(), "events after this seq"),
            query("limit", limit, "at most this many events (default 1000)"),
        ]),
        Map::from_iter([
            (
                "200".into(),
                ok("the session and the page", transcript_body),
            ),
            ("404".into(), error_response("no such session")),
        ]),
    );
    let mut end = operation(
        "Ends an open session",
        json!([path_param("id", "the session")]),
        Map::from_iter([
            ("200".into(), ok("ended", ended_body)),
            ("404".into(), error_response("no such session")),
            (
                "409".into(),
                error_response("the session has already ended"),
            ),
        ]),
    );
    end["requestBody"] = json!({
        "required": false,
        "content": { "application/json": { "schema": {
            "type": "object",
            "additionalProperties": false,
            "properties": { "reason": { "type": "string", "nullable": true } }
        }}}
    });
    let erase = operation(
        "Ends and deletes everything about a customer",
        json!([path_param("sub", "the customer")]),
        Map::from_iter([("200".into(), ok("erased", erased_body))]),
    );
    let export = operation(
        "Everything stored about a customer (a data access request)",
        json!([path_param("sub", "the customer")]),
        Map::from_iter([(
            "200".into(),
            ok(
                "their sessions, oldest first, with every event",
                export_body,
            ),
        )]),
    );
    let list_canned = operation(
        "Saved replies agents get",
        json!([]),
        Map::from_iter([("200".into(), ok("the saved replies", canned_list))]),
    );
    let shortcut = || {
        json!({
            "name": "shortcut", "in": "path", "required": true,
            "schema": { "type": "string", "pattern": "^[A-Za-z0-9_-]{1,64}$" },
            "description": "letters, digits, - and _ (1 to 64)"
        })
    };
    let mut put_canned = operation(
        "Creates or replaces a saved reply",
        json!([shortcut()]),
        Map::from_iter([("200".into(), ok("stored", canned_one.clone()))]),
    );
    put_canned["requestBody"] = json!({
        "required": true,
        "content": { "application/json": { "schema": canned_body } }
    });
    let delete_canned = operation(
        "Deletes a saved reply defined through the API",
        json!([shortcut()]),
        Map::from_iter([
            ("200".into(), ok("deleted", canned_one)),
            ("404".into(), error_response("none defined through the API")),
        ]),
    );
    let mut upload = operation(
        "Attaches a file to a session (any participant's token, or a service's)",
        json!([
            path_param("id", "the session"),
            query("name", json!({ "type": "string" }), "the file name shown"),
            {
                "name": "Idempotency-Key", "in": "header", "required": false,
                "schema": { "type": "string", "minLength": 1, "maxLength": 128 },
                "description": "a retry with the same key answers the first upload"
            }
        ]),
        Map::from_iter([
            (
                "201".into(),
                ok("stored, with its event", uploaded_body.clone()),
            ),
            (
                "200".into(),
                ok("already stored under this Idempotency-Key", uploaded_body),
            ),
            (
                "404".into(),
                error_response("no such session (`session_not_found`)"),
            ),
            (
                "409".into(),
                error_response("the session has ended (`session_ended`)"),
            ),
            (
                "413".into(),
                error_response("larger than `attachments.max_bytes` (`too_large`)"),
            ),
            (
                "415".into(),
                error_response("not an accepted type, judged by its bytes (`unsupported_type`)"),
            ),
        ]),
    );
    upload["requestBody"] = json!({
        "required": true,
        "content": { "application/octet-stream": { "schema": { "type": "string", "format": "binary" } } }
    });
    let link = operation(
        "A short-lived signed link to a file's bytes",
        json!([
            path_param("id", "the session"),
            path_param("attachment", "the attachment")
        ]),
        Map::from_iter([
            ("200".into(), ok("the link", link_body)),
            (
                "404".into(),
                error_response("no such session or attachment"),
            ),
        ]),
    );
    let mut download = operation(
        "A file's bytes, through a signed link (no token)",
        json!([
            path_param("id", "the session"),
            path_param("attachment", "the attachment"),
            { "name": "type", "in": "query", "required": true, "schema": { "type": "string" } },
            { "name": "name", "in": "query", "required": true, "schema": { "type": "string" } },
            { "name": "expires", "in": "query", "required": true, "schema": millis.clone() },
            { "name": "sig", "in": "query", "required": true, "schema": { "type": "string" } }
        ]),
        Map::from_iter([
            (
                "200".into(),
                json!({ "description": "the bytes, as their recognised type", "content": { "*/*": { "schema": { "type": "string", "format": "binary" } } } }),
            ),
            (
                "403".into(),
                error_response("not a link this broker signed (`invalid_link`)"),
            ),
            (
                "404".into(),
                error_response("the file was deleted (`attachment_not_found`)"),
            ),
            (
                "410".into(),
                error_response("the link has expired (`link_expired`)"),
            ),
        ]),
    );
    download["security"] = json!([]);
    let analytics = operation(
        "Contact-center figures over a time range, grouped (services and supervisors: all; agents: their own)",
        json!([
            query("from", millis.clone(), "sessions opened at or after (default: 24 hours before `to`)"),
            query("to", millis.clone(), "and before (default: now); at most 92 days after `from`"),
            query(
                "group_by",
                json!({ "type": "string", "enum": ["all", "queue", "agent", "issue_type", "mode", "interval"] }),
                "how sessions are grouped (default: all)"
            ),
            query(
                "interval",
                json!({ "type": "string", "enum": ["15m", "1h", "1d"] }),
                "for group_by=interval (default: 1h)"
            ),
            query("service_level_secs", json!({ "type": "integer", "minimum": 0 }), "the service level's target answer time"),
            query("short_abandon_secs", json!({ "type": "integer", "minimum": 0 }), "abandoned within this is a short abandon (default 5)"),
        ]),
        Map::from_iter([("200".into(), ok("the figures per group", analytics_body))]),
    );
    let modes = operation(
        "What the mode recommendation learned per issue type and mode (evidence, current probabilities, guardrails) and its latest decisions (services and supervisors)",
        json!([query(
            "limit",
            json!({ "type": "integer", "minimum": 0, "maximum": 1000 }),
            "how many decisions, newest first (default 100)"
        )]),
        Map::from_iter([("200".into(), ok("the evidence and decisions", modes_body))]),
    );
    json!({
        "openapi": "3.0.3",
        "info": {
            "title": "seam admin API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "For the company's backend, with a `service` token. See docs/http-api.md."
        },
        "servers": [{ "url": "/v1" }],
        "paths": {
            "/sessions": { "get": list },
            "/sessions/{id}": { "get": transcript },
            "/sessions/{id}/end": { "post": end },
            "/customers/{sub}": { "delete": erase },
            "/customers/{sub}/export": { "get": export },
            "/canned-responses": { "get": list_canned },
            "/canned-responses/{shortcut}": { "put": put_canned, "delete": delete_canned },
            "/sessions/{id}/attachments": { "post": upload },
            "/sessions/{id}/attachments/{attachment}": { "get": link },
            "/attachments/{id}/{attachment}": { "get": download },
            "/analytics": { "get": analytics },
            "/analytics/modes": { "get": modes },
        },
        "components": {
            "schemas": schemas,
            "securitySchemes": { "bearer": { "type": "http", "scheme": "bearer", "bearerFormat": "JWT" } }
        }
    })
}
