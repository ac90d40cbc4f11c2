//! Architecture invariants, checked on the source: which modules of the
//! broker may use which, and that the module graph has no cycles. Each
//! rule is also an "Architecture Invariant" line in docs/ARCHITECTURE.md;
//! a change that breaks one fails here, and either the change or the
//! documented architecture must change.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The broker's top-level modules and, for each, the `crate::` modules and
/// external crates its source names (comments excluded).
struct Graph {
    uses: BTreeMap<String, BTreeSet<String>>,
    externs: BTreeMap<String, BTreeSet<String>>,
}

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The code of a file without comments (doc links name modules freely).
fn code(text: &str) -> String {
    text.lines()
        .map(|line| match line.find("//") {
            Some(i) => &line[..i],
            None => line,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Identifiers following `prefix` in `code`.
fn names_after(code: &str, prefix: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let mut rest = code;
    while let Some(i) = rest.find(prefix) {
        let before = rest[..i].chars().last();
        rest = &rest[i + prefix.len()..];
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue;
        }
        let name: String = rest
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        if !name.is_empty() {
            found.insert(name);
        }
    }
    found
}

fn graph() -> Graph {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    let mut uses: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut externs: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in files {
        let relative = file.strip_prefix(&src).unwrap();
        let first = relative.components().next().unwrap();
        let module = Path::new(first.as_os_str())
            .file_stem()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        if module == "lib" {
            continue;
        }
        let code = code(&std::fs::read_to_string(&file).unwrap());
        let mut used = names_after(&code, "crate::");
        used.remove(&module);
        uses.entry(module.clone()).or_default().extend(used);
        let crates = [
            "axum",
            "tokio",
            "hyper",
            "rusqlite",
            "dashmap",
            "tokio_tungstenite",
        ];
        let named = externs.entry(module).or_default();
        for krate in crates {
            if !names_after(&code, &format!("{krate}::")).is_empty() {
                named.insert(krate.to_owned());
            }
        }
    }
    Graph { uses, externs }
}

impl Graph {
    fn uses(&self, module: &str) -> &BTreeSet<String> {
        self.uses
            .get(module)
            .unwrap_or_else(|| panic!("no module `{module}`"))
    }

    fn externs(&self, module: &str) -> &BTreeSet<String> {
        self.externs
            .get(module)
            .unwrap_or_else(|| panic!("no module `{module}`"))
    }

    fn assert_uses_only(&self, module: &str, allowed: &[&str]) {
        let extra: Vec<_> = self
            .uses(module)
            .iter()
            .filter(|m| !allowed.contains(&m.as_str()))
            .collect();
        assert!(
            extra.is_empty(),
            "`{module}` may use only {allowed:?}, but uses {extra:?}"
        );
    }

    fn assert_no_use(&self, module: &str, forbidden: &str) {
        assert!(
            !self.uses(module).contains(forbidden),
            "`{module}` must not use `{forbidden}`"
        );
    }
}

#[test]
fn session_state_and_rules_are_pure() {
    let g = graph();
    // Data and decisions only: no transport, store backend, webhook, clock or lock.
    g.assert_uses_only("session", &["error"]);
    assert!(
        g.externs("session").is_empty(),
        "{:?}",
        g.externs("session")
    );
    assert!(g.externs("frame").iter().all(|c| c == "axum"));
}

#[test]
fn the_engine_knows_nothing_of_connections_routing_or_http() {
    let g = graph();
    for forbidden in [
        "hub",
        "routing",
        "command",
        "connection",
        "http",
        "admin",
        "outbox",
        "state",
        "lifecycle",
    ] {
        g.assert_no_use("engine", forbidden);
    }
    assert!(!g.externs("engine").contains("axum"));
}

#[test]
fn admin_and_commands_meet_only_in_the_lifecycle() {
    let g = graph();
    g.assert_no_use("admin", "command");
    g.assert_no_use("command", "admin");
    assert!(g.uses("admin").contains("lifecycle"));
    assert!(g.uses("command").contains("lifecycle"));
}

#[test]
fn routing_addresses_sessions_and_principals_through_the_hub() {
    let g = graph();
    for internal in ["outbox", "connection", "engine", "command", "lifecycle"] {
        g.assert_no_use("routing", internal);
    }
    assert!(g.uses("routing").contains("hub"));
}

#[test]
fn only_the_edge_touches_the_socket_and_only_stores_touch_sqlite() {
    let g = graph();
    for (module, crates) in &g.externs {
        if crates.contains("tokio_tungstenite") {
            assert_eq!(module, "connection", "{module} uses tokio_tungstenite");
        }
        if crates.contains("rusqlite") {
            assert_eq!(module, "store", "{module} uses rusqlite");
        }
        if crates.contains("axum") {
            let edge = [
                "api",
                "uploads",
                "reports",
                "http",
                "admin",
                "demo",
                "connection",
                "listener",
                "proxy",
                "server",
                "frame",
            ];
            assert!(edge.contains(&module.as_str()), "{module} uses axum");
        }
    }
}

#[test]
fn the_module_graph_has_no_cycles() {
    let g = graph();
    // Depth-first search keeping the path, so a cycle is reported whole.
    fn visit(
        g: &Graph,
        module: &str,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(i) = path.iter().position(|m| m == module) {
            let mut cycle = path[i..].to_vec();
            cycle.push(module.to_owned());
            return Some(cycle);
        }
        if done.contains(module) {
            return None;
        }
        path.push(module.to_owned());
        for next in g.uses.get(module).into_iter().flatten() {
            if let Some(cycle) = visit(g, next, path, done) {
                return Some(cycle);
            }
        }
        path.pop();
        done.insert(module.to_owned());
        None
    }
    let mut done = BTreeSet::new();
    for module in g.uses.keys() {
        if let Some(cycle) = visit(&g, module, &mut Vec::new(), &mut done) {
            panic!("import cycle: {}", cycle.join(" -> "));
        }
    }
}
