//! The mode recommendation, simulated: synthetic customers whose issue
//! types have hidden per-mode resolution rates go through real sessions on
//! an embedded broker (WebSockets on 127.0.0.1, a manual clock a day per
//! round). Each session: the customer opens it, an agent joins, the
//! customer asks `recommend_mode` and follows it (the agent upgrades to
//! voice or video, the customer consents), the issue is resolved or not
//! by the hidden rate, the session ends and is rated; an unresolved
//! customer rates it 1–2 or comes back the next day. After each day the
//! evidence is learned again (`GET /v1/analytics/modes`). Prints, per day,
//! the share of sessions given each issue's best mode and the regret
//! against always choosing it; with `--out`, one JSON record per day for
//! `bench/recommend_plot.py`.

use std::collections::BTreeMap;
use std::io::Write;
use std::sync::Arc;

use anyhow::{bail, Context, Result};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use seam_broker::{mint_hs256, Broker, Claims, ManualClock, MemoryStore};
use seam_client::{AdminClient, Client, ClientConfig};
use seam_protocol::{CustomerContext, Mode, Role};
use tokio::sync::Mutex;

const SECRET: &str = "recommend-bench-secret";
const DAY_MS: u64 = 24 * 60 * 60 * 1000;
const MODES: [Mode; 3] = [Mode::Chat, Mode::Voice, Mode::Video];

/// Options of the simulation.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Simulated days (one round each).
    #[arg(long, default_value_t = 60)]
    days: u64,
    /// New customers per day (those who come back are on top).
    #[arg(long, default_value_t = 60)]
    per_day: usize,
    /// Agents serving sessions at once.
    #[arg(long, default_value_t = 8)]
    agents: usize,
    /// Hidden resolution rates, `issue=chat,voice,video;...`.
    #[arg(
        long,
        default_value = "billing=0.55,0.80,0.60;technical=0.40,0.55,0.85;shipping=0.85,0.70,0.60"
    )]
    rates: String,
    /// Other rates from `--switch-day` on: the best modes change, and the
    /// recommendation must notice.
    #[arg(long)]
    then: Option<String>,
    /// The day `--then` takes over.
    #[arg(long, default_value_t = 0)]
    switch_day: u64,
    /// `recommendation.exploration`.
    #[arg(long, default_value_t = 0.05)]
    exploration: f64,
    /// `recommendation.resolution_window_secs`, in days.
    #[arg(long, default_value_t = 7)]
    resolution_days: u64,
    /// `recommendation.recent_per_mode`.
    #[arg(long, default_value_t = 500)]
    recent: usize,
    /// Seed of the simulated customers' draws.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Write one JSON record per day here.
    #[arg(long)]
    out: Option<std::path::PathBuf>,
}

/// Hidden resolution rates: issue type → [chat, voice, video].
type Rates = BTreeMap<String, [f64; 3]>;

fn parse_rates(text: &str) -> Result<Rates> {
    let mut rates = Rates::new();
    for part in text.split(';').filter(|p| !p.trim().is_empty()) {
        let (issue, values) = part
            .split_once('=')
            .with_context(|| format!("`{part}`: expected issue=chat,voice,video"))?;
        let values: Vec<f64> = values
            .split(',')
            .map(|v| v.trim().parse::<f64>())
            .collect::<Result<_, _>>()
            .with_context(|| format!("`{part}`: rates are numbers"))?;
        let [chat, voice, video] = values[..] else {
            bail!("`{part}`: three rates (chat, voice, video)");
        };
        if values.iter().any(|v| !(0.0..=1.0).contains(v)) {
            bail!("`{part}`: rates are between 0 and 1");
        }
        rates.insert(issue.trim().to_owned(), [chat, voice, video]);
    }
    anyhow::ensure!(!rates.is_empty(), "no rates given");
    Ok(rates)
}

fn index(mode: Mode) -> usize {
    MODES.iter().position(|m| *m == mode).unwrap_or(0)
}

/// What happened to one session.
struct Served {
    issue: String,
    mode: Mode,
    /// Hidden rate of the best mode minus that of the mode used.
    regret: f64,
    /// Unresolved, and the customer will come back tomorrow.
    returns: Option<String>,
}

/// Runs the simulation.
pub(crate) async fn run(args: Args) -> Result<()> {
    let first = parse_rates(&args.rates)?;
    let then = args.then.as_deref().map(parse_rates).transpose()?;
    if let Some(then) = &then {
        anyhow::ensure!(
            then.keys().eq(first.keys()),
            "--then must name the same issue types as --rates"
        );
    }
    let mut config = crate::embedded::config(SECRET)?;
    config.recommendation.exploration = args.exploration;
    config.recommendation.resolution_window_secs = args.resolution_days * 24 * 60 * 60;
    config.recommendation.recent_per_mode = args.recent;
    // Learned after each day through the analytics endpoint.
    config.recommendation.refresh_ms = 3_600_000;
    let clock = Arc::new(ManualClock::new(1_800_000_000_000));
    let broker =
        Broker::start_with_clock(config, Arc::new(MemoryStore::new()), clock.clone()).await?;
    let url = broker.ws_url();
    let admin = AdminClient::new(
        &format!("http://{}", broker.local_addr()),
        token("backend", Role::Service, None)?,
    )?;
    let mut agents = Vec::new();
    for a in 0..args.agents {
        let (agent, _events) =
            connect(&url, token(&format!("agent-{a}"), Role::Agent, None)?).await?;
        agents.push(agent);
    }

    let mut out = match &args.out {
        Some(path) => {
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir)?;
            }
            Some(std::fs::File::create(path)?)
        }
        None => None,
    };
    let rng = Arc::new(Mutex::new(StdRng::seed_from_u64(args.seed)));
    let issues: Vec<String> = first.keys().cloned().collect();
    let mut returning: Vec<(String, String)> = Vec::new();
    let (mut regret, mut uniform_regret, mut sessions) = (0.0, 0.0, 0u64);
    let mut next_customer = 0usize;
    println!("day  sessions  best-mode share  regret/session  cumulative regret (uniform choice)");
    for day in 0..args.days {
        let rates = match &then {
            Some(then) if day >= args.switch_day => then,
            _ => &first,
        };
        let mut today = std::mem::take(&mut returning);
        for _ in 0..args.per_day {
            let issue = issues[rng.lock().await.random_range(0..issues.len())].clone();
            today.push((format!("c{next_customer}"), issue));
            next_customer += 1;
        }
        // Each agent serves its share, one session after another.
        let mut tasks = Vec::new();
        for (a, agent) in agents.iter().enumerate() {
            let mine: Vec<(String, String)> = today
                .iter()
                .skip(a)
                .step_by(agents.len())
                .cloned()
                .collect();
            let (agent, url, rng, rates) = (agent.clone(), url.clone(), rng.clone(), rates.clone());
            tasks.push(tokio::spawn(async move {
                let mut served = Vec::new();
                for (sub, issue) in mine {
                    served.push(serve(&agent, &url, &sub, &issue, &rates, &rng).await?);
                }
                anyhow::Ok(served)
            }));
        }
        let mut day_regret = 0.0;
        let mut best = 0u64;
        let mut modes: BTreeMap<String, [u64; 3]> = BTreeMap::new();
        let mut count = 0u64;
        for task in tasks {
            for s in task.await.context("agent task")?? {
                let r = rates[&s.issue];
                let top = r.iter().cloned().fold(0.0, f64::max);
                uniform_regret += top - r.iter().sum::<f64>() / 3.0;
                day_regret += s.regret;
                best += u64::from(s.regret == 0.0);
                modes.entry(s.issue.clone()).or_default()[index(s.mode)] += 1;
                count += 1;
                if let Some(sub) = s.returns {
                    returning.push((sub, s.issue));
                }
            }
        }
        regret += day_regret;
        sessions += count;
        clock.advance(DAY_MS);
        let report = admin.analytics("/modes?limit=0").await?;
        let share = best as f64 / count.max(1) as f64;
        println!(
            "{day:>3}  {count:>8}  {:>14.1} %  {:>14.3}  {regret:>8.1} ({uniform_regret:.1})",
            share * 100.0,
            day_regret / count.max(1) as f64,
        );
        if let Some(file) = &mut out {
            let record = serde_json::json!({
                "day": day,
                "sessions": count,
                "best_share": share,
                "regret_per_session": day_regret / count.max(1) as f64,
                "cumulative_regret": regret,
                "cumulative_uniform_regret": uniform_regret,
                "modes": modes,
                "rates": rates,
                "learned": report["issue_types"],
            });
            writeln!(file, "{record}")?;
        }
    }
    println!(
        "{sessions} sessions over {} days: cumulative regret {regret:.1} against {uniform_regret:.1} for a uniform choice ({:.0} % less)",
        args.days,
        100.0 * (1.0 - regret / uniform_regret.max(f64::MIN_POSITIVE))
    );
    let report = admin.analytics("/modes?limit=0").await?;
    let last = then.as_ref().unwrap_or(&first);
    for issue in report["issue_types"].as_array().into_iter().flatten() {
        let name = issue["issue_type"].as_str().unwrap_or("none");
        let Some(hidden) = last.get(name) else {
            continue;
        };
        let learned: Vec<String> = issue["modes"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|m| {
                format!(
                    "{} {}/{} resolved, p={:.2}",
                    m["mode"].as_str().unwrap_or("?"),
                    m["resolved"],
                    m["sessions"],
                    m["probability"].as_f64().unwrap_or(0.0)
                )
            })
            .collect();
        println!(
            "{name}: hidden chat/voice/video {:.2}/{:.2}/{:.2}; learned {}",
            hidden[0],
            hidden[1],
            hidden[2],
            learned.join("; ")
        );
    }
    broker.shutdown().await;
    Ok(())
}

/// One session of `sub` about `issue`, served by `agent`.
async fn serve(
    agent: &Client,
    url: &str,
    sub: &str,
    issue: &str,
    rates: &Rates,
    rng: &Mutex<StdRng>,
) -> Result<Served> {
    let (customer, _events) = connect(url, token(sub, Role::Customer, Some(issue))?).await?;
    let sid = customer.open_session(None).await?.session_id;
    agent.join(&sid).await?;
    let recommendation = customer.recommend_mode(&sid).await?;
    let mode = recommendation.mode;
    if mode != Mode::Chat {
        let request = agent.request_mode(&sid, mode, false, None).await?;
        customer.answer_mode(&sid, &request, true, None).await?;
    }
    let hidden = rates.get(issue).copied().unwrap_or([0.0; 3]);
    let (resolved, comes_back) = {
        let mut rng = rng.lock().await;
        (rng.random_bool(hidden[index(mode)]), rng.random_bool(0.5))
    };
    customer.end_session(&sid, None).await?;
    let score = match (resolved, comes_back) {
        (true, _) => 5,
        (false, true) => 3,
        (false, false) => 2,
    };
    customer.rate_session(&sid, score, None).await?;
    agent.leave(&sid).await.ok();
    let top = hidden.iter().cloned().fold(0.0, f64::max);
    Ok(Served {
        issue: issue.to_owned(),
        mode,
        regret: top - hidden[index(mode)],
        returns: (!resolved && comes_back).then(|| sub.to_owned()),
    })
}

fn token(sub: &str, role: Role, issue: Option<&str>) -> Result<String> {
    let mut claims = Claims::new(sub.to_owned(), role, 24 * 3600 * 365);
    if let Some(issue) = issue {
        claims.context = Some(CustomerContext {
            issue_type: Some(issue.to_owned()),
            ..CustomerContext::default()
        });
    }
    Ok(mint_hs256(SECRET, &claims)?)
}

async fn connect(url: &str, token: String) -> Result<(Client, seam_client::Events)> {
    let mut config = ClientConfig::new(url, token);
    config.reconnect = false;
    Ok(Client::connect(config).await?)
}
