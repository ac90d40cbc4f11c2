//! Which mode to offer first, learned from outcomes: Thompson sampling
//! (Beta–Bernoulli) per issue type over the modes available now, with an
//! exploration floor so every logged choice has a known probability
//! (docs/analytics.md, "Mode recommendation").
//!
//! [`outcome`] judges one past session (served in which mode, resolved
//! well or not, or not known yet); [`Evidence`] counts outcomes per issue
//! type and mode; [`Policy`] turns evidence into probabilities and a
//! recommendation. All pure but [`learn`], which reads the outcomes from
//! the store; [`Recommender`] holds the evidence last learned.

use std::collections::{BTreeMap, HashMap};
use std::sync::RwLock;

use rand::Rng;
use rand_distr::{Beta, Distribution};
use seam_protocol::{Mode, ModeChoice, ModeRecommendation};
use serde::Serialize;

use crate::analytics::{load_facts, mode_index, repeats, FactsCache, SessionFacts};
use crate::config::RecommendationConfig;
use crate::store::{SessionFilter, SessionStore, StoreError};

const DAY_MS: u64 = 24 * 60 * 60 * 1000;

/// Posterior draws per recommendation: each mode's chance is estimated
/// within about 1.5 percentage points.
pub(crate) const DRAWS: usize = 1_000;

/// The evidence as of `now`: every session opened within the configured
/// history whose outcome is known, the newest per issue type and mode.
pub(crate) async fn learn(
    store: &dyn SessionStore,
    cache: &FactsCache,
    config: &RecommendationConfig,
    now: u64,
) -> Result<Evidence, StoreError> {
    let sessions = history(store, cache, config, now).await?;
    Ok(evidence_of(&sessions, now, config))
}

/// The facts of the sessions opened within the configured history.
pub(crate) async fn history(
    store: &dyn SessionStore,
    cache: &FactsCache,
    config: &RecommendationConfig,
    now: u64,
) -> Result<Vec<SessionFacts>, StoreError> {
    let filter = SessionFilter {
        since: Some(history_start(config, now)),
        limit: usize::MAX,
        ..SessionFilter::default()
    };
    load_facts(store, cache, &filter).await
}

/// The oldest opening learned from at `now`, Unix milliseconds.
fn history_start(config: &RecommendationConfig, now: u64) -> u64 {
    now.saturating_sub(config.history_days.saturating_mul(DAY_MS))
}

/// Each session's outcome as of `now` (`None`: not known), in order.
fn outcomes_of(
    sessions: &[SessionFacts],
    now: u64,
    config: &RecommendationConfig,
) -> Vec<Option<Outcome>> {
    let window_ms = config.resolution_window_secs.saturating_mul(1000);
    let repeated = repeats(sessions, sessions, window_ms);
    sessions
        .iter()
        .zip(repeated)
        .map(|(facts, repeated)| outcome(facts, repeated, now, window_ms))
        .collect()
}

/// The evidence in `sessions` as of `now`.
fn evidence_of(sessions: &[SessionFacts], now: u64, config: &RecommendationConfig) -> Evidence {
    evidence_in(&outcomes_of(sessions, now, config), config)
}

/// The evidence in the known ones of `outcomes`.
fn evidence_in(outcomes: &[Option<Outcome>], config: &RecommendationConfig) -> Evidence {
    let known = outcomes.iter().flatten().cloned().collect();
    Evidence::from_outcomes(known, config.recent_per_mode)
}

/// How a past session ended, for learning.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Outcome {
    /// What the customer came for.
    pub issue_type: Option<String>,
    /// The highest mode an agent served it in.
    pub mode: Mode,
    /// Resolved well: no repeat contact within the window, not rated 1–2.
    pub resolved: bool,
    /// When the session opened, Unix milliseconds (newer outcomes win).
    pub at: u64,
}

/// The outcome of one session if it is known by `now`: it ended after a
/// human agent served it, and the resolution window since it opened has
/// passed. It failed if the customer rated it 1 or 2 or came back about
/// the same issue (`repeated`). A failure is judged only once the window
/// passed too, like a success: counting failures as soon as they happen
/// would make the modes used most lately look worse than they are, their
/// successes still pending.
pub(crate) fn outcome(
    facts: &SessionFacts,
    repeated: Option<bool>,
    now: u64,
    window_ms: u64,
) -> Option<Outcome> {
    if !facts.ended || !facts.served || now < facts.created_at.saturating_add(window_ms) {
        return None;
    }
    let low_rating = facts.rating.is_some_and(|score| score <= 2);
    Some(Outcome {
        issue_type: facts.issue_type.clone(),
        mode: facts.top_mode,
        resolved: !low_rating && repeated != Some(true),
        at: facts.created_at,
    })
}

/// Outcomes counted for one issue type and mode.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Arm {
    /// Sessions with a known outcome.
    pub sessions: u64,
    /// Of those, resolved well.
    pub resolved: u64,
}

impl Arm {
    /// The Beta posterior of its resolution rate from a uniform prior
    /// (both parameters at least 1, so always a distribution).
    fn posterior(self) -> Option<Beta<f64>> {
        let alpha = 1.0 + self.resolved as f64;
        let beta = 1.0 + self.sessions.saturating_sub(self.resolved) as f64;
        Beta::new(alpha, beta).ok()
    }
}

/// Outcomes per issue type and mode (chat, voice, video).
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Evidence {
    arms: HashMap<Option<String>, [Arm; 3]>,
}

impl Evidence {
    /// Counts `outcomes`, keeping for each issue type and mode only the
    /// newest `recent` (0: all), so that a change in what resolves issues
    /// is learned within that many sessions.
    pub(crate) fn from_outcomes(mut outcomes: Vec<Outcome>, recent: usize) -> Evidence {
        outcomes.sort_by_key(|o| std::cmp::Reverse(o.at));
        let mut arms: HashMap<Option<String>, [Arm; 3]> = HashMap::new();
        for o in outcomes {
            let arm = &mut arms.entry(o.issue_type).or_default()[mode_index(o.mode)];
            if recent > 0 && arm.sessions >= recent as u64 {
                continue;
            }
            arm.sessions += 1;
            arm.resolved += u64::from(o.resolved);
        }
        Evidence { arms }
    }

    /// What is known about `mode` for `issue_type`.
    pub(crate) fn arm(&self, issue_type: Option<&str>, mode: Mode) -> Arm {
        self.arms
            .get(&issue_type.map(str::to_owned))
            .map_or(Arm::default(), |arms| arms[mode_index(mode)])
    }
}

/// Thompson sampling with an exploration floor.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Policy {
    /// The least chance each available mode gets (0 to 1/3).
    pub exploration: f64,
    /// Posterior draws used to estimate each mode's chance of being best.
    pub draws: usize,
}

impl Policy {
    /// Each arm's chance of being recommended: the exploration floor, plus
    /// the rest shared by each arm's chance of having the best resolution
    /// rate under its posterior (estimated from `draws` samples).
    pub(crate) fn probabilities(&self, arms: &[Arm], rng: &mut impl Rng) -> Vec<f64> {
        let k = arms.len();
        if k == 0 {
            return Vec::new();
        }
        let floor = self.exploration.clamp(0.0, 1.0 / k as f64);
        let posteriors: Vec<Option<Beta<f64>>> = arms.iter().map(|a| a.posterior()).collect();
        let mut wins = vec![0u64; k];
        let draws = self.draws.max(1);
        for _ in 0..draws {
            let mut best = (0, f64::MIN);
            for (i, p) in posteriors.iter().enumerate() {
                let theta = p.as_ref().map_or(0.5, |p| p.sample(rng));
                if theta > best.1 {
                    best = (i, theta);
                }
            }
            wins[best.0] += 1;
        }
        let rest = 1.0 - floor * k as f64;
        wins.iter()
            .map(|&w| floor + rest * w as f64 / draws as f64)
            .collect()
    }

    /// Recommends one of `available` (chat when none is) for `issue_type`,
    /// drawn with the probabilities it logs.
    pub(crate) fn recommend(
        &self,
        evidence: &Evidence,
        issue_type: Option<&str>,
        available: &[Mode],
        rng: &mut impl Rng,
    ) -> ModeRecommendation {
        let available = if available.is_empty() {
            &[Mode::Chat][..]
        } else {
            available
        };
        let arms: Vec<Arm> = available
            .iter()
            .map(|&m| evidence.arm(issue_type, m))
            .collect();
        let probabilities = self.probabilities(&arms, rng);
        let mut u: f64 = rng.random();
        let mut chosen = available.len() - 1;
        for (i, p) in probabilities.iter().enumerate() {
            if u < *p {
                chosen = i;
                break;
            }
            u -= p;
        }
        let mut choices: Vec<ModeChoice> = available
            .iter()
            .zip(&arms)
            .zip(&probabilities)
            .map(|((&mode, arm), &probability)| ModeChoice {
                mode,
                probability,
                sessions: arm.sessions,
                resolved: arm.resolved,
            })
            .collect();
        choices.sort_by(|a, b| b.probability.total_cmp(&a.probability));
        ModeRecommendation {
            issue_type: issue_type.map(str::to_owned),
            mode: available[chosen],
            probability: probabilities[chosen],
            choices,
        }
    }
}

/// The policy and the evidence the broker last learned.
#[derive(Debug)]
pub(crate) struct Recommender {
    policy: Policy,
    evidence: RwLock<Evidence>,
}

impl Recommender {
    /// A recommender with no evidence yet.
    pub(crate) fn new(policy: Policy) -> Recommender {
        Recommender {
            policy,
            evidence: RwLock::new(Evidence::default()),
        }
    }

    /// A recommendation for `issue_type` among `available`.
    pub(crate) fn recommend(
        &self,
        issue_type: Option<&str>,
        available: &[Mode],
    ) -> ModeRecommendation {
        let evidence = self.evidence.read().unwrap_or_else(|p| p.into_inner());
        self.policy
            .recommend(&evidence, issue_type, available, &mut rand::rng())
    }

    /// Replaces the evidence with what was learned since.
    pub(crate) fn learn(&self, evidence: Evidence) {
        *self.evidence.write().unwrap_or_else(|p| p.into_inner()) = evidence;
    }
}

/// `GET /v1/analytics/modes`: what the recommendation learned, per issue
/// type and mode, with its guardrails, and its latest decisions.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub(crate) struct ModeReport {
    /// When it was computed, Unix milliseconds.
    pub at: u64,
    /// Sessions opened at or after this were considered.
    pub since: u64,
    /// The least chance each available mode gets.
    pub exploration: f64,
    /// The resolution window, seconds.
    pub resolution_window_secs: u64,
    /// Per issue type (`null`: sessions without one), by name.
    pub issue_types: Vec<IssueModes>,
    /// The latest recommendations, newest first.
    pub decisions: Vec<Decision>,
}

/// What is known for one issue type.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub(crate) struct IssueModes {
    /// The issue type.
    pub issue_type: Option<String>,
    /// Every mode enabled on this broker.
    pub modes: Vec<ModeFigures>,
}

/// One mode of one issue type: the evidence, the chance the policy gives
/// it now (among the enabled modes), and the guardrails.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub(crate) struct ModeFigures {
    /// The mode.
    pub mode: Mode,
    /// Sessions served in it whose outcome is known (the newest
    /// `recent_per_mode`).
    pub sessions: u64,
    /// Of those, resolved well.
    pub resolved: u64,
    /// resolved / sessions.
    pub resolution_rate: Option<f64>,
    /// Its chance of being recommended now, all enabled modes available.
    pub probability: f64,
    /// Sessions that asked for an agent in this mode (chat: without a
    /// mode) and left the queue unanswered.
    pub abandoned: u64,
    /// Of those that asked for it: abandoned / asked.
    pub abandonment_rate: Option<f64>,
    /// Mean handle time of the sessions served in it (assigned → ended),
    /// minutes: the agent time it costs.
    pub agent_minutes: Option<f64>,
}

/// One logged recommendation, for offline evaluation.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub(crate) struct Decision {
    /// The session.
    pub session_id: String,
    /// When the session opened, Unix milliseconds.
    pub at: u64,
    /// The recommendation as logged (mode, probability, each choice).
    pub recommendation: ModeRecommendation,
    /// The highest mode an agent served the session in (`null`: not
    /// served by an agent).
    pub used: Option<Mode>,
    /// `resolved`, `unresolved`, or `pending` (not known yet, or not served).
    pub outcome: &'static str,
}

/// The report over `sessions` (the configured history) as of `now`, for
/// the modes in `enabled`, and the evidence it shows, learned afresh.
pub(crate) fn report(
    recommender: &Recommender,
    sessions: &[SessionFacts],
    now: u64,
    config: &RecommendationConfig,
    enabled: &[Mode],
    limit: usize,
) -> (ModeReport, Evidence) {
    let outcomes = outcomes_of(sessions, now, config);
    let evidence = evidence_in(&outcomes, config);
    #[derive(Default)]
    struct Guard {
        asked: u64,
        abandoned: u64,
        handled: u64,
        handle_ms: u64,
    }
    let mut guards: BTreeMap<(Option<String>, usize), Guard> = BTreeMap::new();
    for s in sessions {
        if s.queued {
            let asked = mode_index(s.requested_mode.unwrap_or(Mode::Chat));
            let g = guards.entry((s.issue_type.clone(), asked)).or_default();
            g.asked += 1;
            if s.agent.is_none() && s.abandoned_after_ms.is_some() {
                g.abandoned += 1;
            }
        }
        if let Some((handle_ms, _)) = s.handle_ms {
            let g = guards
                .entry((s.issue_type.clone(), mode_index(s.top_mode)))
                .or_default();
            g.handled += 1;
            g.handle_ms += handle_ms;
        }
    }
    let mut issues: Vec<Option<String>> = guards.keys().map(|(i, _)| i.clone()).collect();
    issues.extend(sessions.iter().map(|s| s.issue_type.clone()));
    issues.sort();
    issues.dedup();
    let ratio = |a: u64, b: u64| (b > 0).then(|| a as f64 / b as f64);
    let issue_types = issues
        .into_iter()
        .map(|issue| {
            let key = issue.as_deref();
            let arms: Vec<Arm> = enabled.iter().map(|&m| evidence.arm(key, m)).collect();
            let probabilities = recommender.policy.probabilities(&arms, &mut rand::rng());
            let modes = enabled
                .iter()
                .zip(arms)
                .zip(probabilities)
                .map(|((&mode, arm), probability)| {
                    let g = guards.get(&(issue.clone(), mode_index(mode)));
                    let (asked, abandoned, handled, handle_ms) = g.map_or((0, 0, 0, 0), |g| {
                        (g.asked, g.abandoned, g.handled, g.handle_ms)
                    });
                    ModeFigures {
                        mode,
                        sessions: arm.sessions,
                        resolved: arm.resolved,
                        resolution_rate: ratio(arm.resolved, arm.sessions),
                        probability,
                        abandoned,
                        abandonment_rate: ratio(abandoned, asked),
                        agent_minutes: ratio(handle_ms, handled).map(|ms| ms / 60_000.0),
                    }
                })
                .collect();
            IssueModes {
                issue_type: issue,
                modes,
            }
        })
        .collect();
    let mut decisions: Vec<Decision> = sessions
        .iter()
        .zip(outcomes)
        .filter_map(|(s, outcome)| {
            let recommendation = s.recommendation.clone()?;
            Some(Decision {
                session_id: s.session_id.clone(),
                at: s.created_at,
                recommendation,
                used: s.served.then_some(s.top_mode),
                outcome: match outcome {
                    Some(o) if o.resolved => "resolved",
                    Some(_) => "unresolved",
                    None => "pending",
                },
            })
        })
        .collect();
    decisions.sort_by_key(|d| std::cmp::Reverse(d.at));
    decisions.truncate(limit);
    let report = ModeReport {
        at: now,
        since: history_start(config, now),
        exploration: recommender.policy.exploration,
        resolution_window_secs: config.resolution_window_secs,
        issue_types,
        decisions,
    };
    (report, evidence)
}

#[cfg(test)]
mod tests {
    use rand::rngs::StdRng;
    use rand::SeedableRng;

    use super::*;

    const WEEK: u64 = 7 * 24 * 60 * 60 * 1000;

    fn served(issue: &str, mode: Mode, rating: Option<u8>) -> SessionFacts {
        SessionFacts {
            session_id: "s".into(),
            customer: "c".into(),
            created_at: 1_000,
            issue_type: Some(issue.into()),
            agent: Some("a".into()),
            served: true,
            top_mode: mode,
            rating,
            ended: true,
            ..SessionFacts::default()
        }
    }

    fn outcomes(issue: &str, mode: Mode, resolved: u64, failed: u64) -> Vec<Outcome> {
        (0..resolved + failed)
            .map(|i| Outcome {
                issue_type: Some(issue.into()),
                mode,
                resolved: i < resolved,
                at: i,
            })
            .collect()
    }

    #[test]
    fn an_outcome_is_known_once_the_window_passed() {
        let fine = served("billing", Mode::Voice, Some(5));
        assert_eq!(outcome(&fine, Some(false), 1_000 + WEEK - 1, WEEK), None);
        let known = outcome(&fine, Some(false), 1_000 + WEEK, WEEK).unwrap();
        assert!(known.resolved);
        assert_eq!(known.mode, Mode::Voice);
        // A repeat contact or a low rating fails it, judged after the
        // window like a success.
        assert_eq!(outcome(&fine, Some(true), 2_000, WEEK), None);
        assert!(
            !outcome(&fine, Some(true), 1_000 + WEEK, WEEK)
                .unwrap()
                .resolved
        );
        let low = served("billing", Mode::Chat, Some(2));
        assert!(
            !outcome(&low, Some(false), 1_000 + WEEK, WEEK)
                .unwrap()
                .resolved
        );
        let three = served("billing", Mode::Chat, Some(3));
        assert!(outcome(&three, None, 1_000 + WEEK, WEEK).unwrap().resolved);
        // Not learned from: open, or never served by a human agent.
        let open = SessionFacts {
            ended: false,
            ..fine.clone()
        };
        assert_eq!(outcome(&open, Some(true), u64::MAX, WEEK), None);
        let unserved = SessionFacts {
            served: false,
            ..fine
        };
        assert_eq!(outcome(&unserved, Some(true), u64::MAX, WEEK), None);
    }

    #[test]
    fn evidence_counts_the_newest_outcomes_per_issue_and_mode() {
        let mut all = outcomes("billing", Mode::Voice, 3, 1);
        all.extend(outcomes("billing", Mode::Chat, 0, 2));
        all.extend(outcomes("tech", Mode::Video, 1, 0));
        let evidence = Evidence::from_outcomes(all.clone(), 0);
        let arm = |issue, mode| evidence.arm(Some(issue), mode);
        assert_eq!(
            arm("billing", Mode::Voice),
            Arm {
                sessions: 4,
                resolved: 3
            }
        );
        assert_eq!(
            arm("billing", Mode::Chat),
            Arm {
                sessions: 2,
                resolved: 0
            }
        );
        assert_eq!(arm("billing", Mode::Video), Arm::default());
        assert_eq!(arm("tech", Mode::Video).resolved, 1);
        assert_eq!(evidence.arm(None, Mode::Video), Arm::default());
        // Only the 2 newest voice outcomes (at 3: failed, at 2: resolved).
        let recent = Evidence::from_outcomes(all, 2);
        assert_eq!(
            recent.arm(Some("billing"), Mode::Voice),
            Arm {
                sessions: 2,
                resolved: 1
            }
        );
    }

    #[test]
    fn probabilities_respect_the_floor_and_sum_to_one() {
        let policy = Policy {
            exploration: 0.05,
            draws: 4_000,
        };
        let mut rng = StdRng::seed_from_u64(7);
        let arms = [
            Arm {
                sessions: 200,
                resolved: 40,
            },
            Arm {
                sessions: 200,
                resolved: 180,
            },
            Arm {
                sessions: 200,
                resolved: 100,
            },
        ];
        let p = policy.probabilities(&arms, &mut rng);
        assert!((p.iter().sum::<f64>() - 1.0).abs() < 1e-9, "{p:?}");
        assert!(
            (p[0] - 0.05).abs() < 1e-9 && (p[2] - 0.05).abs() < 1e-9,
            "{p:?}"
        );
        assert!((p[1] - 0.90).abs() < 1e-9, "{p:?}");
        // Nothing known: about even.
        let p = policy.probabilities(&[Arm::default(); 3], &mut rng);
        assert!(p.iter().all(|&x| (x - 1.0 / 3.0).abs() < 0.05), "{p:?}");
        // A floor too large for the arms is capped at an even split.
        let greedy = Policy {
            exploration: 0.9,
            draws: 100,
        };
        let p = greedy.probabilities(&arms[..2], &mut rng);
        assert_eq!(p, vec![0.5, 0.5]);
    }

    #[test]
    fn each_success_moves_the_posterior_towards_its_mode() {
        let policy = Policy {
            exploration: 0.05,
            draws: 20_000,
        };
        let mut rng = StdRng::seed_from_u64(11);
        let mut voice = Arm {
            sessions: 5,
            resolved: 2,
        };
        let chat = Arm {
            sessions: 5,
            resolved: 3,
        };
        let mut last = policy.probabilities(&[chat, voice], &mut rng)[1];
        for _ in 0..4 {
            voice.sessions += 1;
            voice.resolved += 1;
            let now = policy.probabilities(&[chat, voice], &mut rng)[1];
            assert!(now > last, "{now} after {last}");
            last = now;
        }
        // A failure moves it back.
        voice.sessions += 3;
        assert!(policy.probabilities(&[chat, voice], &mut rng)[1] < last);
    }

    #[test]
    fn recommendations_are_drawn_with_the_probabilities_they_log() {
        let policy = Policy {
            exploration: 0.1,
            draws: 200,
        };
        let mut rng = StdRng::seed_from_u64(3);
        let mut all = outcomes("billing", Mode::Voice, 30, 10);
        all.extend(outcomes("billing", Mode::Chat, 20, 20));
        let evidence = Evidence::from_outcomes(all, 0);
        let available = [Mode::Chat, Mode::Voice, Mode::Video];
        let mut counts = [0u32; 3];
        let rounds = 2_000;
        let mut logged = [0.0; 3];
        for _ in 0..rounds {
            let r = policy.recommend(&evidence, Some("billing"), &available, &mut rng);
            assert_eq!(r.choices.len(), 3);
            assert!(r
                .choices
                .windows(2)
                .all(|w| w[0].probability >= w[1].probability));
            let chosen = r.choices.iter().find(|c| c.mode == r.mode).unwrap();
            assert_eq!(chosen.probability, r.probability);
            counts[mode_index(r.mode)] += 1;
            for c in &r.choices {
                logged[mode_index(c.mode)] += c.probability / rounds as f64;
            }
        }
        for i in 0..3 {
            let share = f64::from(counts[i]) / f64::from(rounds);
            assert!(
                (share - logged[i]).abs() < 0.03,
                "{i}: {share} vs {}",
                logged[i]
            );
            assert!(logged[i] >= 0.1 - 1e-9);
        }
        // Voice resolved 75 %, chat 50 %, video unknown: voice leads.
        assert!(logged[1] > logged[0], "{logged:?}");
        // The evidence shown is the counts learned from.
        let r = policy.recommend(&evidence, Some("billing"), &[Mode::Voice], &mut rng);
        assert_eq!((r.mode, r.probability), (Mode::Voice, 1.0));
        assert_eq!((r.choices[0].sessions, r.choices[0].resolved), (40, 30));
        // Nothing available: chat.
        let r = policy.recommend(&evidence, None, &[], &mut rng);
        assert_eq!(r.mode, Mode::Chat);
    }
}
