//! `GET /v1/analytics`: contact-center figures over a time range, grouped
//! (docs/analytics.md). Services and supervisors see everything; an agent
//! sees the sessions they answered. `GET /v1/analytics/modes`: what the
//! mode recommendation learned, and its decisions (services, supervisors).

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::get;
use axum::{Json, Router};
use seam_protocol::Role;
use serde::Serialize;

use crate::analytics::{
    load_facts, repeats, Figures, GroupBy, SessionFacts, Thresholds, Totals, REPEAT_WINDOW_MS,
};
use crate::api::{bad_request, only_known, query_number, ApiError};
use crate::recommend::{self, ModeReport};
use crate::state::AppState;
use crate::store::SessionFilter;

/// The longest range one request may cover: 92 days.
const MAX_RANGE_MS: u64 = 92 * 24 * 60 * 60 * 1000;

/// The analytics route, nested under `/v1`.
pub(crate) fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/analytics", get(analytics))
        .route("/analytics/modes", get(modes))
}

/// Most decisions `/v1/analytics/modes` lists.
const MAX_DECISIONS: u64 = 1_000;

/// `GET /v1/analytics/modes?limit=`: the evidence per issue type and mode
/// learned now (the recommender takes it too), the guardrails, and the
/// newest `limit` decisions (default 100).
async fn modes(
    State(state): State<Arc<AppState>>,
    Query(params): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Result<Json<ModeReport>, ApiError> {
    let who = crate::api::bearer_identity(&state.auth, &headers)?.principal;
    if !matches!(who.role, Role::Service | Role::Supervisor) {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            format!(
                "role `{}` may not read what the recommendation learned",
                who.role
            ),
        ));
    }
    only_known(&params, &["limit"])?;
    let limit = query_number(&params, "limit")?.unwrap_or(100);
    if limit > MAX_DECISIONS {
        return Err(bad_request(format!(
            "`limit` must be at most {MAX_DECISIONS}"
        )));
    }
    let config = &state.config.recommendation;
    let now = state.timers.clock().now_millis();
    let sessions = recommend::history(state.store.as_ref(), &state.facts, config, now).await?;
    let (report, evidence) = recommend::report(
        &state.recommender,
        &sessions,
        now,
        config,
        &state.config.media.enabled_modes(),
        limit as usize,
    );
    state.recommender.learn(evidence);
    Ok(Json(report))
}

/// One group's figures.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub(crate) struct Group {
    /// The group: a queue, an agent's `sub`, an issue type, a mode, or an
    /// interval's start (Unix milliseconds, as text); `none` for sessions
    /// without one; `all` when not grouped.
    pub key: String,
    /// Its figures.
    pub figures: Figures,
}

/// `GET /v1/analytics`: the range, how it was grouped, the groups.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub(crate) struct Analytics {
    /// Sessions opened at or after this, Unix milliseconds.
    pub from: u64,
    /// And before this.
    pub to: u64,
    /// `all`, `queue`, `agent`, `issue_type`, `mode` or `interval`.
    pub group_by: String,
    /// For `interval`: its length, milliseconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interval_ms: Option<u64>,
    /// Answered within this many seconds counts for the service level.
    pub service_level_secs: u64,
    /// Abandoned within this many seconds is a short abandon.
    pub short_abandon_secs: u64,
    /// The groups, by key.
    pub groups: Vec<Group>,
}

/// `GET /v1/analytics?from=&to=&group_by=&interval=&service_level_secs=&short_abandon_secs=`
async fn analytics(
    State(state): State<Arc<AppState>>,
    Query(params): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Result<Json<Analytics>, ApiError> {
    let who = crate::api::bearer_identity(&state.auth, &headers)?.principal;
    // An agent sees the sessions they answered; customers and bots nothing.
    let only_agent = match who.role {
        Role::Service | Role::Supervisor => None,
        Role::Agent => Some(who.sub.clone()),
        Role::Customer | Role::Bot => {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "forbidden",
                format!("role `{}` may not read analytics", who.role),
            ))
        }
    };
    const KNOWN: &[&str] = &[
        "from",
        "to",
        "group_by",
        "interval",
        "service_level_secs",
        "short_abandon_secs",
    ];
    only_known(&params, KNOWN)?;
    let now = state.timers.clock().now_millis();
    let to = query_number(&params, "to")?.unwrap_or(now);
    let from = query_number(&params, "from")?.unwrap_or(to.saturating_sub(24 * 60 * 60 * 1000));
    if from >= to || to - from > MAX_RANGE_MS {
        return Err(bad_request(
            "`from` must be before `to`, at most 92 days apart (Unix milliseconds)".into(),
        ));
    }
    let interval_ms = match params.get("interval").map(String::as_str) {
        None => None,
        Some("15m") => Some(15 * 60 * 1000),
        Some("1h") => Some(60 * 60 * 1000),
        Some("1d") => Some(24 * 60 * 60 * 1000),
        Some(other) => {
            return Err(bad_request(format!(
                "`interval` must be 15m, 1h or 1d, not `{other}`"
            )))
        }
    };
    let group_name = params.get("group_by").map_or("all", String::as_str);
    let group_by = match group_name {
        "all" => GroupBy::All,
        "queue" => GroupBy::Queue,
        "agent" => GroupBy::Agent,
        "issue_type" => GroupBy::IssueType,
        "mode" => GroupBy::Mode,
        "interval" => GroupBy::Interval(interval_ms.unwrap_or(60 * 60 * 1000)),
        other => {
            return Err(bad_request(format!(
                "`group_by` must be all, queue, agent, issue_type, mode or interval, not `{other}`"
            )))
        }
    };
    let service_level_secs = query_number(&params, "service_level_secs")?
        .unwrap_or(state.config.routing.service_level_secs);
    let short_abandon_secs = query_number(&params, "short_abandon_secs")?.unwrap_or(5);
    let thresholds = Thresholds {
        service_level_ms: service_level_secs.saturating_mul(1000),
        short_abandon_ms: short_abandon_secs.saturating_mul(1000),
    };

    // The range's sessions, and the week after it (repeat contacts).
    let filter = SessionFilter {
        since: Some(from),
        until: Some(to.saturating_add(REPEAT_WINDOW_MS)),
        limit: usize::MAX,
        ..SessionFilter::default()
    };
    let all = load_facts(state.store.as_ref(), &state.facts, &filter).await?;
    let in_range: Vec<SessionFacts> = all
        .iter()
        .filter(|s| s.created_at >= from && s.created_at < to)
        .filter(|s| only_agent.is_none() || s.agent == only_agent)
        .cloned()
        .collect();
    let repeated = repeats(&in_range, &all, REPEAT_WINDOW_MS);
    let mut groups: BTreeMap<String, Totals> = BTreeMap::new();
    for (facts, repeated) in in_range.iter().zip(repeated) {
        groups
            .entry(group_by.key(facts))
            .or_default()
            .add(facts, repeated, thresholds);
    }
    Ok(Json(Analytics {
        from,
        to,
        group_by: group_name.to_owned(),
        interval_ms: match group_by {
            GroupBy::Interval(ms) => Some(ms),
            _ => None,
        },
        service_level_secs,
        short_abandon_secs,
        groups: groups
            .into_iter()
            .map(|(key, totals)| Group {
                key,
                figures: totals.figures(),
            })
            .collect(),
    }))
}
