//! The configuration the `seam` command runs with, in layers: embedded
//! defaults, then the TOML file, then environment variables and flags
//! (which win), remembering where each value came from.

use std::collections::BTreeMap;
use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::parser::ValueSource;
use clap::{ArgMatches, Args};
use seam_broker::{Config, QueueConfig, StoreKind};

/// Where the configuration comes from (shared by every command that reads it).
#[derive(Debug, Args)]
pub(crate) struct ConfigArgs {
    /// TOML configuration file (`seam config default` writes a complete one).
    #[arg(long, env = "SEAM_CONFIG")]
    pub(crate) config: Option<PathBuf>,
    /// Directory for the broker's files (SQLite store, development secret).
    #[arg(long, env = "SEAM_DATA_DIR")]
    data_dir: Option<PathBuf>,
    /// HS256 shared secret for verifying (and minting) tokens.
    #[arg(long, env = "SEAM_AUTH_HS256_SECRET", hide_env_values = true)]
    hs256_secret: Option<String>,
    /// Required token issuer (`iss`).
    #[arg(long, env = "SEAM_AUTH_ISSUER")]
    issuer: Option<String>,
    /// Required token audience (`aud`).
    #[arg(long, env = "SEAM_AUTH_AUDIENCE")]
    audience: Option<String>,
}

/// What `seam serve` (and `seam config check`) may set besides the file.
#[derive(Debug, Args)]
pub(crate) struct ServeOverrides {
    /// Address to listen on, e.g. 127.0.0.1:8080 (default from config: 127.0.0.1:8080).
    #[arg(long, env = "SEAM_LISTEN")]
    listen: Option<std::net::SocketAddr>,
    /// PEM public key file for RS256 tokens.
    #[arg(long, env = "SEAM_AUTH_RS256_PUBLIC_KEY")]
    rs256_public_key: Option<PathBuf>,
    /// PEM public key file for ES256 tokens.
    #[arg(long, env = "SEAM_AUTH_ES256_PUBLIC_KEY")]
    es256_public_key: Option<PathBuf>,
    /// TLS certificate chain (PEM): serve `wss://` and `https://` (with --tls-key).
    #[arg(long, env = "SEAM_TLS_CERT")]
    tls_cert: Option<PathBuf>,
    /// TLS private key (PEM), with --tls-cert.
    #[arg(long, env = "SEAM_TLS_KEY")]
    tls_key: Option<PathBuf>,
    /// Development mode: with no key configured, generate an HS256 secret in
    /// the data directory and print how to mint tokens. Never in production.
    #[arg(long, env = "SEAM_DEV")]
    dev: bool,
    /// Where sessions are kept: `sqlite` (default, `data_dir/seam.db`),
    /// `memory`, or `postgres` (at `--postgres-url`).
    #[arg(long, env = "SEAM_STORE", value_parser = parse_store)]
    store: Option<StoreKind>,
    /// PostgreSQL for the store (implies `--store postgres`), e.g.
    /// `postgres://postgres@127.0.0.1:5432/test`.
    #[arg(long, env = "SEAM_POSTGRES_URL", hide_env_values = true)]
    postgres_url: Option<String>,
    /// The PostgreSQL schema seam's tables live in (default `public`).
    #[arg(long, env = "SEAM_POSTGRES_SCHEMA")]
    postgres_schema: Option<String>,
    /// Redis for cluster fan-out (with a PostgreSQL store: several nodes
    /// share the sessions), e.g. `redis://127.0.0.1:6379`.
    #[arg(long, env = "SEAM_REDIS_URL", hide_env_values = true)]
    redis_url: Option<String>,
}

fn parse_store(s: &str) -> Result<StoreKind, String> {
    match s {
        "sqlite" => Ok(StoreKind::Sqlite),
        "memory" => Ok(StoreKind::Memory),
        "postgres" => Ok(StoreKind::Postgres),
        other => Err(format!(
            "unknown store `{other}`: use sqlite, memory or postgres"
        )),
    }
}

/// The effective configuration and where its values came from.
#[derive(Debug)]
pub(crate) struct Layered {
    /// The configuration to run with.
    pub(crate) config: Config,
    /// The file's keys (dotted), when a file was read.
    file_keys: Vec<String>,
    /// Dotted key → the environment variable or flag that set it.
    overridden: BTreeMap<String, String>,
}

impl Layered {
    /// Where the value of a dotted key (`auth.issuer`) came from.
    pub(crate) fn source(&self, key: &str) -> String {
        if let Some(origin) = self.overridden.get(key) {
            return origin.clone();
        }
        if self.file_keys.iter().any(|k| k == key) {
            return "file".into();
        }
        "default".into()
    }

    fn set<T>(
        &mut self,
        given: &Invocation,
        id: &str,
        key: &str,
        value: Option<T>,
        apply: impl FnOnce(&mut Config, T),
    ) {
        if let Some(value) = value {
            apply(&mut self.config, value);
            self.overridden.insert(key.to_owned(), given.origin(id));
        }
    }
}

/// The command line as parsed: each level of subcommand given, from the
/// top, with its definition (to name the environment variable behind a
/// value).
pub(crate) struct Invocation {
    levels: Vec<(ArgMatches, clap::Command)>,
}

impl Invocation {
    /// Walks the subcommands given under `command`.
    pub(crate) fn new(command: clap::Command, matches: &ArgMatches) -> Invocation {
        let mut levels = vec![(matches.clone(), command)];
        while let Some((name, sub)) = levels.last().and_then(|(m, _)| m.subcommand()) {
            let Some(inner) = levels
                .last()
                .and_then(|(_, c)| c.find_subcommand(name))
                .cloned()
            else {
                break;
            };
            levels.push((sub.clone(), inner));
        }
        Invocation { levels }
    }

    /// `flag --listen` or `env SEAM_LISTEN`: how an argument was given, found
    /// at the innermost level that defines it.
    fn origin(&self, id: &str) -> String {
        let flag = format!("flag --{}", id.replace('_', "-"));
        for (matches, command) in self.levels.iter().rev() {
            let Some(arg) = command.get_arguments().find(|a| a.get_id() == id) else {
                continue;
            };
            return match (matches.value_source(id), arg.get_env()) {
                (Some(ValueSource::EnvVariable), Some(env)) => {
                    format!("env {}", env.to_string_lossy())
                }
                _ => flag,
            };
        }
        flag
    }
}

impl ConfigArgs {
    /// Defaults, then the file, then this command's overrides.
    pub(crate) fn load(&self, given: &Invocation) -> Result<Layered> {
        let (config, file_keys) = match &self.config {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .with_context(|| format!("cannot read config file {}", path.display()))?;
                let config =
                    Config::from_toml(&text).with_context(|| format!("in {}", path.display()))?;
                let table: toml::Table = toml::from_str(&text).unwrap_or_default();
                let mut keys = Vec::new();
                dotted_keys(&table, "", &mut keys);
                (config, keys)
            }
            None => (Config::default(), Vec::new()),
        };
        let mut layered = Layered {
            config,
            file_keys,
            overridden: BTreeMap::new(),
        };
        layered.set(
            given,
            "data_dir",
            "data_dir",
            self.data_dir.clone(),
            |c, v| c.data_dir = v,
        );
        layered.set(
            given,
            "hs256_secret",
            "auth.hs256_secret",
            self.hs256_secret.clone(),
            |c, v| c.auth.hs256_secret = Some(v),
        );
        layered.set(
            given,
            "issuer",
            "auth.issuer",
            self.issuer.clone(),
            |c, v| c.auth.issuer = Some(v),
        );
        layered.set(
            given,
            "audience",
            "auth.audience",
            self.audience.clone(),
            |c, v| c.auth.audience = Some(v),
        );
        Ok(layered)
    }
}

impl ServeOverrides {
    /// Applies the serve flags and environment variables over `layered`.
    pub(crate) fn apply(&self, layered: &mut Layered, given: &Invocation) {
        let l = layered;
        l.set(given, "listen", "listen", self.listen, |c, v| c.listen = v);
        l.set(
            given,
            "tls_cert",
            "tls.cert",
            self.tls_cert.clone(),
            |c, v| c.tls.cert = Some(v),
        );
        l.set(given, "tls_key", "tls.key", self.tls_key.clone(), |c, v| {
            c.tls.key = Some(v)
        });
        l.set(
            given,
            "rs256_public_key",
            "auth.rs256_public_key",
            self.rs256_public_key.clone(),
            |c, v| c.auth.rs256_public_key = Some(v),
        );
        l.set(
            given,
            "es256_public_key",
            "auth.es256_public_key",
            self.es256_public_key.clone(),
            |c, v| c.auth.es256_public_key = Some(v),
        );
        l.set(
            given,
            "dev",
            "auth.dev",
            self.dev.then_some(true),
            |c, v| c.auth.dev |= v,
        );
        l.set(given, "store", "store.kind", self.store, |c, v| {
            c.store.kind = v
        });
        if self.store.is_none() && self.postgres_url.is_some() {
            // A PostgreSQL URL alone means the PostgreSQL store.
            l.set(
                given,
                "postgres_url",
                "store.kind",
                Some(StoreKind::Postgres),
                |c, v| c.store.kind = v,
            );
        }
        l.set(
            given,
            "postgres_url",
            "store.url",
            self.postgres_url.clone(),
            |c, v| c.store.url = Some(v),
        );
        l.set(
            given,
            "postgres_schema",
            "store.schema",
            self.postgres_schema.clone(),
            |c, v| c.store.schema = v,
        );
        l.set(
            given,
            "redis_url",
            "cluster.redis_url",
            self.redis_url.clone(),
            |c, v| c.cluster.redis_url = Some(v),
        );
        if l.config.auth.dev && l.config.routing.queues.is_empty() {
            // The demo needs routing: one queue for everything.
            l.config.routing.queues.push(QueueConfig {
                name: "general".into(),
                ..QueueConfig::default()
            });
            l.overridden.insert(
                "routing.queues".into(),
                "development mode (one queue)".into(),
            );
        }
    }
}

/// Every key a TOML table sets, dotted (`auth.issuer`); arrays count as
/// one key.
fn dotted_keys(table: &toml::Table, prefix: &str, out: &mut Vec<String>) {
    for (key, value) in table {
        let key = if prefix.is_empty() {
            key.clone()
        } else {
            format!("{prefix}.{key}")
        };
        match value {
            toml::Value::Table(inner) => dotted_keys(inner, &key, out),
            _ => out.push(key),
        }
    }
}
