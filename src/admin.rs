//! `seam admin`: the admin HTTP API (`/v1`) from a terminal, as tables for
//! people or JSON (`--json`) for scripts.

use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand};
use seam_client::{AdminClient, SessionQuery};
use seam_protocol::{SessionEvent, SessionSummary};
use serde::Serialize;

/// `seam admin` and its global options.
#[derive(Debug, Args)]
pub(crate) struct AdminArgs {
    /// The broker's HTTP address.
    #[arg(long, env = "SEAM_ADMIN_URL", default_value = "http://127.0.0.1:8080")]
    url: String,
    /// A `service` token. Without one, a five-minute service token is
    /// minted with the configured HS256 secret (or the development secret).
    #[arg(long, env = "SEAM_ADMIN_TOKEN", hide_env_values = true)]
    token: Option<String>,
    /// Extra trusted certificates (PEM) for an `https://` broker.
    #[arg(long)]
    ca_file: Option<std::path::PathBuf>,
    /// Print the API's JSON instead of tables.
    #[arg(long, global = true)]
    json: bool,
    #[command(flatten)]
    pub(crate) config: crate::settings::ConfigArgs,
    #[command(subcommand)]
    action: Action,
}

#[derive(Debug, Subcommand)]
enum Action {
    /// List sessions, newest first.
    Sessions(SessionsArgs),
    /// Print a session's summary and its whole transcript.
    Transcript {
        /// The session id.
        session_id: String,
        /// Include whispers (supervisor to agent).
        #[arg(long)]
        whispers: bool,
    },
    /// End an open session for everyone.
    End {
        /// The session id.
        session_id: String,
        /// Why (stored with the session's end).
        #[arg(long)]
        reason: Option<String>,
    },
    /// Print everything stored about a customer as JSON (a data access request).
    Export {
        /// The customer's `sub`.
        sub: String,
    },
    /// List, define or delete the saved replies agents insert by shortcut.
    #[command(subcommand)]
    Canned(CannedAction),
    /// End a customer's open session and delete everything about them.
    Erase {
        /// The customer's `sub`.
        sub: String,
        /// Confirm: erasure cannot be undone.
        #[arg(long)]
        yes: bool,
    },
}

#[derive(Debug, Subcommand)]
enum CannedAction {
    /// Every saved reply agents get (configured and defined through the API).
    List,
    /// Define or replace a saved reply.
    Put {
        /// What agents type after `/`.
        shortcut: String,
        /// The reply; `{name}`, `{agent}`, `{issue_type}`, `{page}` and
        /// metadata keys are filled from the session.
        text: String,
        /// A short label for pickers.
        #[arg(long)]
        title: Option<String>,
    },
    /// Delete a saved reply defined through the API.
    Delete {
        /// Its shortcut.
        shortcut: String,
    },
}

#[derive(Debug, Args)]
struct SessionsArgs {
    /// `open` or `ended`.
    #[arg(long, value_parser = ["open", "ended"])]
    state: Option<String>,
    /// Only this queue's sessions.
    #[arg(long)]
    queue: Option<String>,
    /// Only sessions this agent took part in.
    #[arg(long)]
    agent: Option<String>,
    /// Only this customer's sessions.
    #[arg(long)]
    customer: Option<String>,
    /// Created at or after (Unix milliseconds).
    #[arg(long)]
    since: Option<u64>,
    /// Created before (Unix milliseconds).
    #[arg(long)]
    until: Option<u64>,
    /// At most this many (1 to 1000).
    #[arg(long, default_value_t = 100)]
    limit: u32,
}

/// Runs one admin action, printing its result.
pub(crate) async fn run(args: AdminArgs, token: Option<String>) -> Result<()> {
    let Some(token) = args.token.clone().or(token) else {
        bail!("no service token: pass --token (or SEAM_ADMIN_TOKEN), or configure the HS256 secret so one can be minted");
    };
    let roots = match &args.ca_file {
        Some(path) => Some(
            std::fs::read_to_string(path)
                .with_context(|| format!("cannot read {}", path.display()))?,
        ),
        None => None,
    };
    let admin = AdminClient::with_roots(&args.url, token, roots.as_deref())?;
    match args.action {
        Action::Sessions(filter) => {
            let query = SessionQuery {
                state: filter.state,
                queue: filter.queue,
                agent: filter.agent,
                customer: filter.customer,
                since: filter.since,
                until: filter.until,
                limit: Some(filter.limit),
            };
            let list = admin.list_sessions(&query).await?;
            if args.json {
                return print_json(&list);
            }
            print!("{}", sessions_table(&list.sessions));
        }
        Action::Transcript {
            session_id,
            whispers,
        } => {
            let (session, events) = admin.transcript(&session_id, whispers).await?;
            if args.json {
                return print_json(&serde_json::json!({ "session": session, "events": events }));
            }
            print!("{}", sessions_table(std::slice::from_ref(&session)));
            println!();
            print!("{}", transcript(&events));
        }
        Action::End { session_id, reason } => {
            let ended = admin.end_session(&session_id, reason.as_deref()).await?;
            if args.json {
                return print_json(&ended);
            }
            println!("ended {} (seq {})", ended.session_id, ended.seq);
        }
        Action::Export { sub } => print_json(&admin.export_customer(&sub).await?)?,
        Action::Canned(action) => {
            let replies = match action {
                CannedAction::List => admin.canned_responses().await?,
                CannedAction::Put {
                    shortcut,
                    text,
                    title,
                } => vec![
                    admin
                        .put_canned_response(&shortcut, title.as_deref(), &text)
                        .await?,
                ],
                CannedAction::Delete { shortcut } => {
                    vec![admin.delete_canned_response(&shortcut).await?]
                }
            };
            if args.json {
                return print_json(&replies);
            }
            let mut rows = vec![["SHORTCUT", "TITLE", "TEXT"].map(String::from).to_vec()];
            for r in &replies {
                rows.push(vec![
                    format!("/{}", r.shortcut),
                    r.title.clone().unwrap_or_else(|| "-".into()),
                    r.text.replace('\n', " "),
                ]);
            }
            print!("{}", table(&rows));
        }
        Action::Erase { sub, yes } => {
            if !yes {
                bail!("erasing `{sub}` deletes every session and event about them and cannot be undone: add --yes");
            }
            let erased = admin.erase_customer(&sub).await?;
            if args.json {
                return print_json(&erased);
            }
            println!(
                "erased {} session(s) of {}: {}",
                erased.erased_sessions.len(),
                erased.customer,
                erased.erased_sessions.join(" ")
            );
        }
    }
    Ok(())
}

fn print_json(value: &impl Serialize) -> Result<()> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}

/// One row per session, columns aligned.
fn sessions_table(sessions: &[SessionSummary]) -> String {
    let mut rows = vec![[
        "SESSION",
        "STATE",
        "CUSTOMER",
        "ISSUE",
        "QUEUE",
        "AGENTS",
        "CREATED (UTC)",
        "EVENTS",
        "RATING",
    ]
    .map(String::from)
    .to_vec()];
    for s in sessions {
        rows.push(vec![
            s.session_id.clone(),
            format!("{:?}", s.state).to_lowercase(),
            s.customer.sub.clone(),
            s.context.issue_type.clone().unwrap_or_else(|| "-".into()),
            s.queue.clone().unwrap_or_else(|| "-".into()),
            if s.agents.is_empty() {
                "-".into()
            } else {
                s.agents.join(",")
            },
            utc(s.created_at),
            s.last_seq.to_string(),
            s.rating
                .as_ref()
                .map_or_else(|| "-".into(), |r| format!("{}/5", r.score)),
        ]);
    }
    if sessions.is_empty() {
        return "no sessions\n".into();
    }
    table(&rows)
}

/// One line per event: seq, time, author, and what happened.
fn transcript(events: &[SessionEvent]) -> String {
    let mut rows = Vec::new();
    for e in events {
        let body = serde_json::to_value(&e.body).unwrap_or_default();
        let kind = body["kind"].as_str().unwrap_or("?").to_owned();
        let what = match body["text"].as_str() {
            Some(text) => text.to_owned(),
            None => {
                let mut rest = body.clone();
                if let Some(map) = rest.as_object_mut() {
                    map.remove("kind");
                }
                if rest.as_object().is_some_and(|m| m.is_empty()) {
                    String::new()
                } else {
                    rest.to_string()
                }
            }
        };
        rows.push(vec![
            format!("#{}", e.seq),
            utc(e.at),
            format!("{} ({})", e.from.sub, e.from.role),
            kind,
            what.replace('\n', " "),
        ]);
    }
    table(&rows)
}

/// Left-aligned columns, two spaces apart; the last column is not padded.
fn table(rows: &[Vec<String>]) -> String {
    let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..columns)
        .map(|c| {
            rows.iter()
                .filter_map(|r| r.get(c))
                .map(|cell| cell.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for row in rows {
        let mut line = String::new();
        for (c, cell) in row.iter().enumerate() {
            if c + 1 == row.len() {
                line.push_str(cell);
            } else {
                line.push_str(&format!("{cell:<width$}  ", width = widths[c]));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// Unix milliseconds as `2026-11-26 06:40:12`, UTC.
fn utc(millis: u64) -> String {
    let secs = millis / 1000;
    let (days, rem) = (secs / 86_400, secs % 86_400);
    // Howard Hinnant's civil-from-days, for days since 1970-01-01.
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02}",
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_utc_calendar_dates() {
        assert_eq!(utc(0), "1970-01-01 00:00:00");
        assert_eq!(utc(951_782_400_000), "2000-02-29 00:00:00");
        assert_eq!(utc(1_795_609_231_000), "2026-11-25 12:20:31");
    }

    #[test]
    fn tables_align_their_columns() {
        let rows = vec![
            vec!["A".to_owned(), "LONG HEADER".into(), "x".into()],
            vec!["wide cell".to_owned(), "b".into(), "last".into()],
        ];
        assert_eq!(
            table(&rows),
            "A          LONG HEADER  x\nwide cell  b            last\n"
        );
    }
}
