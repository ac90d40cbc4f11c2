//! Keeps docs/http-api.md and the OpenAPI document in step with the
//! broker's HTTP routes, read from the routers' source: every route is
//! documented with its method, every `/v1` route is in the OpenAPI
//! document, and every route the document names exists. A route added,
//! moved or removed without its documentation fails here.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic

use std::collections::BTreeSet;
use std::path::Path;

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
