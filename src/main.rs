//! The `seam` command: run the broker, or mint development tokens.

use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use clap::{Args, Parser, Subcommand};
use seam_broker::{
    load_or_create_dev_secret, mint_hs256, open_store, Broker, Claims, Config, StoreKind,
};
use seam_protocol::{CustomerContext, Role};

/// seam: a ChannelLess session broker (chat, voice and video in one session).
#[derive(Debug, Parser)]
#[command(version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the broker (HTTP and WebSocket on one port: /healthz, /ws).
    Serve(ServeArgs),
    /// Mint a token signed with the HS256 secret (development and testing).
    Token(TokenArgs),
}

/// Where the configuration comes from: embedded defaults, then the TOML
/// file, then environment variables and flags (which win).
#[derive(Debug, Args)]
struct ConfigArgs {
    /// TOML configuration file (see docs/configuration in the README).
    #[arg(long, env = "SEAM_CONFIG")]
    config: Option<PathBuf>,
    /// Directory for the broker's files (development secret).
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

impl ConfigArgs {
    fn load(&self) -> Result<Config> {
        let mut config = match &self.config {
            Some(path) => Config::from_file(path)?,
            None => Config::default(),
        };
        if let Some(dir) = &self.data_dir {
            config.data_dir = dir.clone();
        }
        if let Some(secret) = &self.hs256_secret {
            config.auth.hs256_secret = Some(secret.clone());
        }
        if let Some(iss) = &self.issuer {
            config.auth.issuer = Some(iss.clone());
        }
        if let Some(aud) = &self.audience {
            config.auth.audience = Some(aud.clone());
        }
        Ok(config)
    }
}

#[derive(Debug, Args)]
struct ServeArgs {
    #[command(flatten)]
    config: ConfigArgs,
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
    #[arg(long, env = "SEAM_POSTGRES_URL")]
    postgres_url: Option<String>,
    /// The PostgreSQL schema seam's tables live in (default `public`).
    #[arg(long, env = "SEAM_POSTGRES_SCHEMA")]
    postgres_schema: Option<String>,
    /// Redis for cluster fan-out (with a PostgreSQL store: several nodes
    /// share the sessions), e.g. `redis://127.0.0.1:6379`.
    #[arg(long, env = "SEAM_REDIS_URL")]
    redis_url: Option<String>,
    /// Log filter, e.g. `info` or `seam_broker=debug`.
    #[arg(long, env = "SEAM_LOG", default_value = "info")]
    log: String,
}

#[derive(Debug, Args)]
struct TokenArgs {
    #[command(flatten)]
    config: ConfigArgs,
    /// The principal's role.
    #[arg(long, value_parser = parse_role)]
    role: Role,
    /// The principal's stable id (`sub`).
    #[arg(long)]
    sub: String,
    /// Display name.
    #[arg(long)]
    name: Option<String>,
    /// Lifetime in seconds.
    #[arg(long, default_value_t = 3600)]
    ttl: u64,
    /// Customer context: issue type.
    #[arg(long)]
    issue_type: Option<String>,
    /// Customer context: page.
    #[arg(long)]
    page: Option<String>,
    /// Customer context metadata, `key=value` (repeatable).
    #[arg(long = "meta", value_parser = parse_key_value)]
    metadata: Vec<(String, String)>,
    /// Agent skill (repeatable).
    #[arg(long = "skill")]
    skills: Vec<String>,
    /// Agent capacity: maximum concurrent sessions.
    #[arg(long)]
    capacity: Option<u32>,
}

fn parse_role(s: &str) -> Result<Role, String> {
    serde_json::from_value(serde_json::Value::String(s.to_owned()))
        .map_err(|_| format!("unknown role `{s}`: use customer, agent, supervisor, bot or service"))
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

fn parse_key_value(s: &str) -> Result<(String, String), String> {
    s.split_once('=')
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .ok_or_else(|| format!("`{s}` is not key=value"))
}

#[tokio::main]
async fn main() -> Result<()> {
    match Cli::parse().command {
        Command::Serve(args) => serve(args).await,
        Command::Token(args) => token(args),
    }
}

/// The operator's log filter, with the transport crates held at `info`
/// unless it names them: at `trace` they log raw frames, tokens included.
fn log_filter(requested: &str) -> String {
    let mut filter = requested.to_owned();
    for quiet in ["tungstenite", "tokio_tungstenite", "hyper", "rustls"] {
        if !requested.contains(quiet) {
            filter.push_str(&format!(",{quiet}=info"));
        }
    }
    filter
}

async fn serve(args: ServeArgs) -> Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_new(log_filter(&args.log))
                .context("invalid --log filter")?,
        )
        .init();
    let mut config = args.config.load()?;
    if let Some(listen) = args.listen {
        config.listen = listen;
    }
    if let Some(path) = args.tls_cert {
        config.tls.cert = Some(path);
    }
    if let Some(path) = args.tls_key {
        config.tls.key = Some(path);
    }
    if let Some(path) = args.rs256_public_key {
        config.auth.rs256_public_key = Some(path);
    }
    if let Some(path) = args.es256_public_key {
        config.auth.es256_public_key = Some(path);
    }
    config.auth.dev |= args.dev;
    if let Some(kind) = args.store {
        config.store.kind = kind;
    }
    if let Some(url) = args.postgres_url {
        config.store.url = Some(url);
        if args.store.is_none() {
            config.store.kind = StoreKind::Postgres;
        }
    }
    if let Some(schema) = args.postgres_schema {
        config.store.schema = schema;
    }
    if let Some(url) = args.redis_url {
        config.cluster.redis_url = Some(url);
    }
    if config.auth.dev && config.routing.queues.is_empty() {
        // The demo needs routing: one queue for everything.
        config.routing.queues.push(seam_broker::QueueConfig {
            name: "general".into(),
            ..seam_broker::QueueConfig::default()
        });
    }
    let store = open_store(&config).await?;
    let broker = Broker::start(config.clone(), store).await?;
    println!("seam listening on {}", broker.ws_url());
    if broker.dev_secret().is_some() {
        let secret_file = config.data_dir.join("dev-secret");
        println!("seam is running in DEVELOPMENT mode");
        println!(
            "  tokens are signed with the generated secret in {}",
            secret_file.display()
        );
        println!(
            "  mint a customer token:  seam token --role customer --sub alice --issue-type billing"
        );
        println!("  mint an agent token:    seam token --role agent --sub bob --name Bob");
        println!(
            "  try it in two windows:  {}/demo/  and  {}/demo/console",
            broker_http(&broker),
            broker_http(&broker)
        );
    }
    shutdown_signal().await;
    tracing::info!("shutdown requested; telling clients to reconnect elsewhere");
    broker.shutdown().await;
    Ok(())
}

fn broker_http(broker: &seam_broker::RunningBroker) -> String {
    format!("http://{}", broker.local_addr())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
}

fn token(args: TokenArgs) -> Result<()> {
    let config = args.config.load()?;
    let secret = match config.auth.hs256_secret.clone() {
        Some(secret) => secret,
        None => {
            let path = config.data_dir.join("dev-secret");
            if !path.exists() {
                bail!("no HS256 secret: pass --hs256-secret, set SEAM_AUTH_HS256_SECRET, or start `seam serve --dev` once to create {}", path.display());
            }
            load_or_create_dev_secret(&config.data_dir)?
        }
    };
    let context = (args.issue_type.is_some() || args.page.is_some() || !args.metadata.is_empty())
        .then(|| CustomerContext {
            issue_type: args.issue_type,
            page: args.page,
            metadata: args
                .metadata
                .into_iter()
                .map(|(k, v)| (k, serde_json::Value::String(v)))
                .collect(),
            ..CustomerContext::default()
        });
    let claims = Claims {
        name: args.name,
        iss: config.auth.issuer,
        aud: config.auth.audience,
        context,
        skills: args.skills,
        capacity: args.capacity,
        ..Claims::new(args.sub, args.role, args.ttl)
    };
    println!("{}", mint_hs256(&secret, &claims)?);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::log_filter;

    #[test]
    fn trace_logging_keeps_the_transport_crates_from_logging_frames() {
        let filter = log_filter("trace");
        assert!(filter.contains("tungstenite=info") && filter.contains("hyper=info"));
        // Named explicitly, the operator's word wins.
        assert!(!log_filter("trace,hyper=trace").contains("hyper=info"));
        assert!(tracing_subscriber::EnvFilter::try_new(filter).is_ok());
    }
}
