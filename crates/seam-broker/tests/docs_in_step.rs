//! Keeps the documents in step with the code, read from the source: every
//! HTTP route is in docs/http-api.md with its method (and, under `/v1`, in
//! the OpenAPI document) and every route the document names exists; every
//! metric and every webhook is in its table there, and every one a table
//! names exists; every configuration key the README and docs/ name is one
//! `seam config default` writes, and every default they quote beside a key
//! (`` `key` (default 10 s) ``) is its default. A route, metric, webhook or
//! key added, renamed or removed, or a default changed, without its
//! documentation fails here.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

// --- HTTP routes ---

/// The source files that declare routes, and where their router is
/// mounted (checked against `http.rs` below).
const MOUNTS: &[(&str, &str)] = &[
    ("http.rs", ""),
    ("admin.rs", "/v1"),
    ("uploads.rs", "/v1"),
    ("reports.rs", "/v1"),
    ("demo.rs", "/demo"),
];

/// Pages and the WebSocket: documented by their path, not as an API call.
fn is_page(path: &str) -> bool {
    path == "/ws" || path.starts_with("/demo") || path.starts_with("/console")
}

/// HTTP methods, as axum's routing functions are named.
const METHODS: &[&str] = &["get", "post", "put", "delete", "patch"];

fn src(file: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("src").join(file);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn doc(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../docs")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The source without comments.
fn code(text: &str) -> String {
    text.lines()
        .map(|line| line.find("//").map_or(line, |i| &line[..i]))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The methods named as calls in `text` (`get(…)`, `.delete(…)`).
fn methods_in(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    for method in METHODS {
        let call = format!("{method}(");
        for (i, _) in text.match_indices(&call) {
            let before = text[..i].chars().next_back();
            if before.is_none_or(|c| !(c.is_alphanumeric() || c == '_')) {
                found.push(method.to_uppercase());
            }
        }
    }
    found
}

/// `(METHOD, path)` for every `.route("path", method(…)…)` in `code`.
fn routes_in(code: &str, prefix: &str) -> Vec<(String, String)> {
    let mut routes = Vec::new();
    for (start, _) in code.match_indices(".route(") {
        let rest = code[start + ".route(".len()..].trim_start();
        let rest = rest.strip_prefix('"').expect("a route's path is a literal");
        let end = rest.find('"').unwrap();
        let path = &rest[..end];
        let tail = &rest[end + 1..];
        let stop = [".route(", ".nest(", ".merge(", ".fallback(", "\n}"]
            .iter()
            .filter_map(|s| tail.find(s))
            .min()
            .unwrap_or(tail.len());
        let methods = methods_in(&tail[..stop]);
        assert!(!methods.is_empty(), "no method found for route {path}");
        let full = match (prefix, path) {
            ("", p) => p.to_owned(),
            (pre, "/") => format!("{pre}/"),
            (pre, p) => format!("{pre}{p}"),
        };
        for method in methods {
            routes.push((method, full.clone()));
        }
    }
    routes
}

/// Every route the broker serves, with `/demo/{file}` expanded to the
/// files it serves.
fn routes() -> Vec<(String, String)> {
    let mut routes = Vec::new();
    for (file, prefix) in MOUNTS {
        routes.extend(routes_in(&code(&src(file)), prefix));
    }
    let demo = code(&src("demo.rs"));
    let scripts: Vec<&str> = demo
        .split('"')
        .filter(|s| s.ends_with(".js") && !s.contains('/'))
        .collect();
    assert!(scripts.len() >= 4, "the demo's scripts: {scripts:?}");
    let wildcard = ("GET".to_owned(), "/demo/{file}".to_owned());
    assert!(routes.contains(&wildcard), "/demo/{{file}} moved");
    routes.retain(|r| *r != wildcard);
    for script in scripts {
        routes.push(("GET".to_owned(), format!("/demo/{script}")));
    }
    routes
}

#[test]
fn the_routers_are_mounted_where_this_test_assumes() {
    let http = code(&src("http.rs"));
    for needle in [
        "\"/v1\",",
        "crate::admin::routes()",
        ".merge(crate::uploads::routes())",
        ".merge(crate::reports::routes())",
        ".nest(\"/demo/\", crate::demo::routes())",
    ] {
        assert!(http.contains(needle), "http.rs no longer has `{needle}`");
    }
    // A router in a file not in MOUNTS would go unchecked.
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    let mut stack = vec![dir.clone()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = code(&std::fs::read_to_string(&path).unwrap());
                if text.contains(".route(") {
                    files.push(path.strip_prefix(&dir).unwrap().display().to_string());
                }
            }
        }
    }
    for file in files {
        assert!(
            MOUNTS.iter().any(|(f, _)| *f == file),
            "{file} declares routes; add it to MOUNTS with where it is mounted"
        );
    }
}

#[test]
fn every_route_is_documented_with_its_method() {
    let http_api = doc("http-api.md");
    let mut missing = Vec::new();
    for (method, path) in routes() {
        let named = if is_page(&path) {
            [
                format!("`{path}`"),
                format!("`{path}?"),
                format!("`{method} {path}"),
            ]
            .iter()
            .any(|n| http_api.contains(n.as_str()))
        } else {
            [format!("`{method} {path}`"), format!("`{method} {path}?")]
                .iter()
                .any(|n| http_api.contains(n.as_str()))
        };
        if !named {
            missing.push(format!("{method} {path}"));
        }
    }
    assert!(
        missing.is_empty(),
        "routes missing from docs/http-api.md: {missing:?}"
    );
}

#[test]
fn every_route_the_document_names_exists() {
    let http_api = doc("http-api.md");
    let served: BTreeSet<(String, String)> = routes().into_iter().collect();
    let mut unknown = Vec::new();
    for method in METHODS {
        let opening = format!("`{} /", method.to_uppercase());
        for (i, _) in http_api.match_indices(&opening) {
            let path: String = http_api[i + opening.len() - 1..]
                .chars()
                .take_while(|c| !matches!(c, '`' | '?' | ' '))
                .collect();
            let route = (method.to_uppercase(), path);
            if !served.contains(&route) {
                unknown.push(format!("{} {}", route.0, route.1));
            }
        }
    }
    assert!(
        unknown.is_empty(),
        "docs/http-api.md names routes the broker does not serve: {unknown:?}"
    );
}

#[test]
fn every_v1_route_is_in_the_openapi_document() {
    let openapi = code(&src("openapi.rs"));
    let mut missing = Vec::new();
    for (method, path) in routes() {
        let Some(path) = path.strip_prefix("/v1") else {
            continue;
        };
        if path == "/openapi.json" {
            continue; // the document itself
        }
        let described = openapi.lines().any(|line| {
            line.trim_start().starts_with(&format!("\"{path}\": {{"))
                && line.contains(&format!("\"{}\":", method.to_lowercase()))
        });
        if !described {
            missing.push(format!("{method} /v1{path}"));
        }
    }
    assert!(
        missing.is_empty(),
        "routes missing from the OpenAPI document (openapi.rs): {missing:?}"
    );
}

// --- metrics ---

/// The names of the metrics the broker registers (`seam_…` literals in
/// metrics.rs).
fn registered_metrics() -> BTreeSet<String> {
    code(&src("metrics.rs"))
        .split('"')
        .skip(1)
        .step_by(2)
        .filter(|s| s.starts_with("seam_") && s.chars().all(|c| c.is_ascii_lowercase() || c == '_'))
        .map(str::to_owned)
        .collect()
}

/// The metrics in docs/http-api.md's table (rows starting `` | `seam_…` ``).
fn documented_metrics() -> BTreeSet<String> {
    doc("http-api.md")
        .lines()
        .filter_map(|line| line.strip_prefix("| `seam_"))
        .filter_map(|rest| rest.split('`').next())
        .map(|name| format!("seam_{name}"))
        .collect()
}

#[test]
fn every_metric_is_documented_and_every_documented_metric_exists() {
    let registered = registered_metrics();
    let documented = documented_metrics();
    assert!(
        registered.len() >= 20,
        "metrics found in metrics.rs: {registered:?}"
    );
    let undocumented: Vec<_> = registered.difference(&documented).collect();
    let unknown: Vec<_> = documented.difference(&registered).collect();
    assert!(
        undocumented.is_empty() && unknown.is_empty(),
        "metrics missing from docs/http-api.md: {undocumented:?}; documented but not registered: {unknown:?}"
    );
}

// --- webhooks ---

#[test]
fn every_webhook_kind_is_in_the_table_and_every_one_it_names_exists() {
    let store = code(&src("store/mod.rs"));
    let start = store
        .find("pub enum WebhookKind")
        .expect("WebhookKind moved");
    let end = start + store[start..].find("\n}").unwrap();
    let sent: BTreeSet<String> = store[start..end]
        .split("rename = \"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .map(str::to_owned)
        .collect();
    assert!(sent.len() >= 5, "webhook kinds found: {sent:?}");
    let documented: BTreeSet<String> = doc("http-api.md")
        .lines()
        .filter_map(|line| line.strip_prefix("| `session."))
        .filter_map(|rest| rest.split('`').next())
        .map(|name| format!("session.{name}"))
        .collect();
    assert_eq!(
        sent, documented,
        "WebhookKind against docs/http-api.md's webhook table"
    );
}

// --- configuration keys ---

/// Dotted names in the documents that look like configuration keys but
/// are fields of a response, with where they are from.
const NOT_KEYS: &[(&str, &str)] = &[
    ("store.error", "GET /healthz"),
    ("cluster.redis.error", "GET /healthz"),
    ("cluster.dispatching", "GET /healthz"),
    ("cluster.nodes", "GET /healthz"),
    ("limits.edit_window_secs", "the welcome frame's limits"),
];

/// Every key of the default configuration file, dotted (`auth.issuer`),
/// with its default as written there (`None` for an optional key, which
/// the file shows commented out).
fn defaults() -> BTreeMap<String, Option<String>> {
    let mut keys = BTreeMap::new();
    let mut section = String::new();
    for line in seam_broker::config::default_toml().lines() {
        if let Some(name) = line.strip_prefix('[') {
            section = name.trim_end_matches(']').to_owned();
            continue;
        }
        let optional = line.starts_with('#');
        let line = line.trim_start_matches('#').trim_start();
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        let key = key.trim();
        if !key.is_empty()
            && key
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        {
            let key = if section.is_empty() {
                key.to_owned()
            } else {
                format!("{section}.{key}")
            };
            keys.insert(key, (!optional).then(|| value.trim().to_owned()));
        }
    }
    keys
}

/// Every key of the default configuration file, dotted.
fn keys() -> BTreeSet<String> {
    defaults().into_keys().collect()
}

/// The documents: the README and everything in docs/.
fn documents() -> Vec<(String, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut paths = vec![root.join("README.md")];
    for entry in std::fs::read_dir(root.join("docs")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "md") {
            paths.push(path);
        }
    }
    paths
        .into_iter()
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read_to_string(&p).unwrap())
        })
        .collect()
}

/// The dotted name a code span holds (`auth.issuer` of `` `auth.issuer` ``
/// and of `` `auth.issuer = "…"` ``), if it holds one and it is not a file
/// name (`tls.rs`).
fn dotted(span: &str) -> Option<&str> {
    let end = span
        .find(|c: char| !(c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '.'))
        .unwrap_or(span.len());
    let name = &span[..end];
    let rest = span[end..].trim_start();
    let whole = rest.is_empty() || rest.starts_with('=');
    let file = [".rs", ".md", ".toml", ".js", ".ts", ".json", ".html"]
        .iter()
        .any(|ext| name.ends_with(ext));
    (whole && !file && name.contains('.') && !name.ends_with('.')).then_some(name)
}

#[test]
fn every_configuration_key_the_documents_name_exists() {
    let keys = keys();
    assert!(
        keys.contains("auth.issuer") && keys.contains("store.kind"),
        "{keys:?}"
    );
    let sections: BTreeSet<&str> = keys
        .iter()
        .filter_map(|k| k.split_once('.').map(|(s, _)| s))
        .collect();
    let mut unknown = BTreeSet::new();
    let mut named = BTreeSet::new();
    for (file, text) in documents() {
        for span in text.split('`').skip(1).step_by(2) {
            let Some(name) = dotted(span) else { continue };
            let section = name.split('.').next().unwrap_or_default();
            if !sections.contains(section) {
                continue;
            }
            if keys.contains(name) {
                named.insert(name.to_owned());
            } else if !NOT_KEYS.iter().any(|(n, _)| *n == name) {
                unknown.insert(format!("{file}: {name}"));
            }
        }
    }
    // The documents name dozens of keys: finding few means this test no
    // longer reads them.
    assert!(
        named.len() >= 30,
        "only {} keys found: {named:?}",
        named.len()
    );
    assert!(
        unknown.is_empty(),
        "the documents name configuration keys that do not exist: {unknown:?}"
    );
}

/// A quantity as the documents write it (`10 s`, `32 KiB`, `7 days`,
/// `5 %`, `10,000`), in milliseconds, bytes, a fraction or a plain number.
fn quantity(text: &str) -> Option<f64> {
    let text = text.trim_start();
    let end = text
        .find(|c: char| !(c.is_ascii_digit() || c == ',' || c == '.'))
        .unwrap_or(text.len());
    let number: f64 = text[..end]
        .replace(',', "")
        .trim_end_matches('.')
        .parse()
        .ok()?;
    let unit = text[end..]
        .trim_start()
        .split(|c: char| !c.is_alphanumeric() && c != '%')
        .next()
        .unwrap_or_default();
    let scale = match unit {
        "ms" => 1.0,
        "s" => 1_000.0,
        "min" => 60_000.0,
        "h" => 3_600_000.0,
        "day" | "days" => 86_400_000.0,
        "KiB" => 1_024.0,
        "MiB" => 1_048_576.0,
        "%" => 0.01,
        _ => 1.0,
    };
    Some(number * scale)
}

/// A key's default in the unit [`quantity`] gives (a `_secs` key's in
/// milliseconds).
fn default_quantity(key: &str, value: &str) -> Option<f64> {
    let number: f64 = value.parse().ok()?;
    Some(if key.ends_with("_secs") {
        number * 1_000.0
    } else {
        number
    })
}

#[test]
fn every_default_the_documents_quote_is_the_default() {
    let defaults = defaults();
    let mut checked = 0;
    let mut wrong = Vec::new();
    for (file, text) in documents() {
        for (i, _) in text.match_indices("` (default ") {
            let Some(open) = text[..i].rfind('`') else {
                continue;
            };
            let key = &text[open + 1..i];
            let Some(Some(value)) = defaults.get(key) else {
                continue;
            };
            let quoted = &text[i + "` (default ".len()..];
            let quoted = &quoted[..quoted.find([')', ';']).unwrap_or(quoted.len())];
            let (Some(said), Some(is)) = (quantity(quoted), default_quantity(key, value)) else {
                wrong.push(format!(
                    "{file}: `{key}` (default {quoted}): cannot compare with {value}"
                ));
                continue;
            };
            checked += 1;
            if (said - is).abs() > is.abs() * 1e-9 {
                wrong.push(format!(
                    "{file}: `{key}` (default {quoted}), but the default is {value}"
                ));
            }
        }
    }
    assert!(checked >= 8, "only {checked} quoted defaults found");
    assert!(
        wrong.is_empty(),
        "defaults the documents misquote:\n{}",
        wrong.join("\n")
    );
}
