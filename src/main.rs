//! The `seam` command: run the broker, mint development tokens, check
//! and write configuration files, and call the admin API.

/// jemalloc rather than the system allocator: glibc's took about a fifth
/// of the broker's CPU flat out (its slow paths, and threads waiting for
/// each other's arenas when a frame allocated on one thread is freed on
/// another); jemalloc cut the CPU per message on SQLite by about a third
/// (docs/benchmarks.md).
#[cfg(not(target_env = "msvc"))]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

mod admin;
mod logging;
mod settings;

use anyhow::{bail, Context, Result};
use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand};
use seam_broker::{load_or_create_dev_secret, mint_hs256, open_store, Broker, Claims, Config};
use seam_protocol::{CustomerContext, Role};

use logging::LogFormat;
use settings::{ConfigArgs, Invocation, ServeOverrides};

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
    /// Write or check configuration files.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Call the admin API: list sessions, read transcripts, end sessions,
    /// export or erase a customer's data.
    Admin(admin::AdminArgs),
    /// Copy the SQLite store to a new file with SQLite's online backup API,
    /// safe while the broker runs.
    Backup(BackupArgs),
}

#[derive(Debug, Args)]
struct BackupArgs {
    /// The new file to write (it must not exist).
    #[arg(long)]
    to: std::path::PathBuf,
    #[command(flatten)]
    config: ConfigArgs,
}

#[derive(Debug, Subcommand)]
enum ConfigCommand {
    /// Validate a configuration (file, environment and flags, as `serve`
    /// would read them) and print the effective values, each with where it
    /// came from; secrets are redacted.
    Check(Box<CheckArgs>),
    /// Print a complete configuration file: every key with its description
    /// and default.
    Default,
}

#[derive(Debug, Args)]
struct CheckArgs {
    /// The TOML file to check (or --config / SEAM_CONFIG).
    file: Option<std::path::PathBuf>,
    #[command(flatten)]
    config: ConfigArgs,
    #[command(flatten)]
    overrides: ServeOverrides,
}

#[derive(Debug, Args)]
struct ServeArgs {
    #[command(flatten)]
    config: ConfigArgs,
    #[command(flatten)]
    overrides: ServeOverrides,
    /// Log filter, e.g. `info` or `seam_broker=debug`.
    #[arg(long, env = "SEAM_LOG", default_value = "info")]
    log: String,
    /// Log lines as human text or as one JSON object per line.
    #[arg(long, env = "SEAM_LOG_FORMAT", value_enum, default_value = "text")]
    log_format: LogFormat,
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

fn parse_key_value(s: &str) -> Result<(String, String), String> {
    s.split_once('=')
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .ok_or_else(|| format!("`{s}` is not key=value"))
}

#[tokio::main]
async fn main() -> Result<()> {
    let matches = Cli::command().get_matches();
    let cli = Cli::from_arg_matches(&matches)
        .map_err(|e| e.exit())
        .unwrap_or_else(|never| never);
    let given = Invocation::new(Cli::command(), &matches);
    match cli.command {
        Command::Serve(args) => serve(args, &given).await,
        Command::Token(args) => token(args, &given),
        Command::Config(ConfigCommand::Default) => {
            print!("{}", seam_broker::default_toml());
            Ok(())
        }
        Command::Config(ConfigCommand::Check(args)) => check(args, &given),
        Command::Backup(args) => {
            let config = args.config.load(&given)?.config;
            let from = config.sqlite_path();
            let pages = seam_broker::backup_sqlite(&from, &args.to)
                .with_context(|| format!("backing up {}", from.display()))?;
            println!(
                "copied {} ({pages} pages) to {}",
                from.display(),
                args.to.display()
            );
            Ok(())
        }
        Command::Admin(args) => {
            let token = service_token(&args.config, &given).ok();
            admin::run(args, token).await
        }
    }
}

async fn serve(args: ServeArgs, given: &Invocation) -> Result<()> {
    logging::init(&args.log, args.log_format)?;
    let mut layered = args.config.load(given)?;
    args.overrides.apply(&mut layered, given);
    let config = layered.config;
    let store = open_store(&config).await?;
    let broker = Broker::start(config.clone(), store).await?;
    if args.log_format == LogFormat::Json {
        // Standard output is the log stream: the banner is a log line too.
        tracing::info!(url = %broker.ws_url(), dev = broker.dev_secret().is_some(), "seam listening");
    } else {
        print_banner(&broker, &config);
    }
    shutdown_signal().await;
    tracing::info!("shutdown requested; telling clients to reconnect elsewhere");
    broker.shutdown().await;
    Ok(())
}

fn print_banner(broker: &seam_broker::RunningBroker, config: &Config) {
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
            broker_http(broker),
            broker_http(broker)
        );
    }
}

/// `seam config check`: the effective configuration with its sources, or
/// what is wrong with it (exit status 1).
fn check(mut args: Box<CheckArgs>, given: &Invocation) -> Result<()> {
    if let Some(file) = args.file.take() {
        args.config.config = Some(file);
    }
    let mut layered = args.config.load(given)?;
    args.overrides.apply(&mut layered, given);
    seam_broker::check_config(&layered.config).context("the configuration would not start")?;
    print!(
        "{}",
        seam_broker::explain(&layered.config, &|key| layered.source(key))
    );
    eprintln!("configuration OK");
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

/// The HS256 secret tokens are minted with: the configured one, or the
/// development secret a `seam serve --dev` left in the data directory.
fn signing_secret(config: &Config) -> Result<String> {
    if let Some(secret) = config.auth.hs256_secret.clone() {
        return Ok(secret);
    }
    let path = config.data_dir.join("dev-secret");
    if !path.exists() {
        bail!("no HS256 secret: pass --hs256-secret, set SEAM_AUTH_HS256_SECRET, or start `seam serve --dev` once to create {}", path.display());
    }
    Ok(load_or_create_dev_secret(&config.data_dir)?)
}

/// A five-minute `service` token for `seam admin`.
fn service_token(args: &ConfigArgs, given: &Invocation) -> Result<String> {
    let config = args.load(given)?.config;
    let claims = Claims {
        iss: config.auth.issuer.clone(),
        aud: config.auth.audience.clone(),
        ..Claims::new("seam-admin", Role::Service, 300)
    };
    Ok(mint_hs256(&signing_secret(&config)?, &claims)?)
}

fn token(args: TokenArgs, given: &Invocation) -> Result<()> {
    let config = args.config.load(given)?.config;
    let secret = signing_secret(&config)?;
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
