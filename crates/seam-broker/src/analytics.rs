//! Contact-center analytics from the event log, as docs/analytics.md
//! defines them: one fold per session ([`SessionFacts::of`]), sums per
//! group ([`Totals`]), and the figures ([`Figures`]) computed from the sums.
//! Pure but for [`load_facts`], which reads the sessions from the store.

use std::collections::BTreeMap;

use seam_protocol::{EventBody, Mode, ModeRecommendation, Role, SessionEvent};
use serde::Serialize;

use crate::store::{SessionFilter, SessionStore, StoreError};

/// A week, the repeat-contact window.
pub(crate) const REPEAT_WINDOW_MS: u64 = 7 * 24 * 60 * 60 * 1000;

/// What one session's log says, for analytics.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct SessionFacts {
    /// The session.
    pub session_id: String,
    /// Its customer's `sub`.
    pub customer: String,
    /// When it opened, Unix milliseconds.
    pub created_at: u64,
    /// What the customer came for.
    pub issue_type: Option<String>,
    /// The first queue it entered.
    pub queue: Option<String>,
    /// The first human agent assigned to it.
    pub agent: Option<String>,
    /// A human agent took part (assigned by routing, or joined by id).
    pub served: bool,
    /// It entered a queue.
    pub queued: bool,
    /// How long it waited until an agent was assigned (first assignment).
    pub answered_after_ms: Option<u64>,
    /// How long it waited before leaving the queue unanswered.
    pub abandoned_after_ms: Option<u64>,
    /// From the assignment to the first message of a human agent.
    pub first_response_ms: Option<u64>,
    /// From the first assignment to the end, and the part spent in each
    /// mode (chat, voice, video).
    pub handle_ms: Option<(u64, [u64; 3])>,
    /// An agent transferred it at least once.
    pub transferred: bool,
    /// The highest mode it reached.
    pub top_mode: Mode,
    /// Upgrade requests and how they ended.
    pub consent: Consent,
    /// The customer's score, 1 to 5.
    pub rating: Option<u8>,
    /// It ended.
    pub ended: bool,
    /// The mode the customer or bot asked an agent for (voice or video).
    pub requested_mode: Option<Mode>,
    /// The session's latest mode recommendation.
    pub recommendation: Option<ModeRecommendation>,
}

/// Upgrade requests (chat → voice → video, screen sharing) by outcome.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub(crate) struct Consent {
    /// Requests made.
    pub requested: u64,
    /// Accepted by the other side.
    pub accepted: u64,
    /// Declined.
    pub declined: u64,
    /// Unanswered until they expired.
    pub expired: u64,
    /// Withdrawn by the requester.
    pub cancelled: u64,
}

/// Chat 0, voice 1, video 2: the index of per-mode arrays.
pub(crate) fn mode_index(mode: Mode) -> usize {
    match mode {
        Mode::Chat => 0,
        Mode::Voice => 1,
        Mode::Video => 2,
    }
}

impl SessionFacts {
    /// Folds one session's events (in `seq` order).
    pub(crate) fn of(events: &[SessionEvent]) -> SessionFacts {
        let mut facts = SessionFacts::default();
        let mut assigned_at = None;
        let mut mode = Mode::Chat;
        let mut mode_since = 0;
        let mut modes = [0u64; 3];
        for event in events {
            match &event.body {
                EventBody::SessionOpened { context } => {
                    facts.session_id = event.session_id.clone();
                    facts.customer = event.from.sub.clone();
                    facts.created_at = event.at;
                    facts.issue_type = context.issue_type.clone();
                }
                EventBody::ModeRecommended { recommendation } => {
                    facts.recommendation = Some(recommendation.clone());
                }
                EventBody::Queued { queue } | EventBody::HandedOff { queue, .. } => {
                    if let EventBody::HandedOff {
                        requested_mode: Some(mode),
                        ..
                    } = &event.body
                    {
                        facts.requested_mode = Some(*mode);
                    }
                    facts.queued = true;
                    if facts.queue.is_none() {
                        facts.queue = Some(queue.clone());
                    }
                }
                EventBody::ParticipantJoined { participant } if participant.role == Role::Agent => {
                    facts.served = true;
                }
                EventBody::Assigned {
                    agent, waited_ms, ..
                } if assigned_at.is_none() && agent.role == Role::Agent => {
                    assigned_at = Some(event.at);
                    mode_since = event.at;
                    facts.agent = Some(agent.sub.clone());
                    facts.answered_after_ms = Some(*waited_ms);
                }
                EventBody::QueueAbandoned { waited_ms, .. } if assigned_at.is_none() => {
                    facts.abandoned_after_ms = Some(*waited_ms);
                }
                EventBody::Message { .. }
                    if event.from.role == Role::Agent && facts.first_response_ms.is_none() =>
                {
                    if let Some(at) = assigned_at {
                        facts.first_response_ms = Some(event.at.saturating_sub(at));
                    }
                }
                EventBody::Transferred { .. } => facts.transferred = true,
                EventBody::ModeRequested { .. } => facts.consent.requested += 1,
                EventBody::ModeRequestDeclined { .. } => facts.consent.declined += 1,
                EventBody::ModeRequestExpired { .. } => facts.consent.expired += 1,
                EventBody::ModeRequestCancelled { .. } => facts.consent.cancelled += 1,
                EventBody::ModeChanged {
                    mode: next,
                    request_id,
                    ..
                } => {
                    if request_id.is_some() {
                        facts.consent.accepted += 1;
                    }
                    if assigned_at.is_some() {
                        modes[mode_index(mode)] += event.at.saturating_sub(mode_since);
                        mode_since = event.at;
                    }
                    mode = *next;
                    if mode_index(*next) > mode_index(facts.top_mode) {
                        facts.top_mode = *next;
                    }
                }
                EventBody::SessionEnded { .. } => {
                    facts.ended = true;
                    if let Some(at) = assigned_at {
                        modes[mode_index(mode)] += event.at.saturating_sub(mode_since);
                        facts.handle_ms = Some((event.at.saturating_sub(at), modes));
                    }
                }
                EventBody::Rated { score, .. } => facts.rating = Some(*score),
                _ => {}
            }
        }
        facts
    }
}

/// Sessions' facts remembered between requests, keyed by session and its
/// last seq: a session that did not change since is not read again.
/// Bounded: past [`FactsCache::CAPACITY`] entries it starts over.
#[derive(Debug, Default)]
pub(crate) struct FactsCache {
    entries: std::sync::Mutex<std::collections::HashMap<String, (u64, SessionFacts)>>,
}

impl FactsCache {
    /// Most sessions remembered (about 200 bytes each).
    const CAPACITY: usize = 500_000;

    /// The facts of `session_id` as of `last_seq`, if remembered.
    pub(crate) fn get(&self, session_id: &str, last_seq: u64) -> Option<SessionFacts> {
        let entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        entries
            .get(session_id)
            .filter(|(seq, _)| *seq == last_seq)
            .map(|(_, facts)| facts.clone())
    }

    /// Forgets deleted sessions (erasure, retention).
    pub(crate) fn forget(&self, session_ids: &[String]) {
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        for id in session_ids {
            entries.remove(id);
        }
    }

    /// Remembers the facts of `session_id` as of `last_seq`.
    pub(crate) fn put(&self, session_id: &str, last_seq: u64, facts: SessionFacts) {
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if entries.len() >= Self::CAPACITY && !entries.contains_key(session_id) {
            entries.clear();
        }
        entries.insert(session_id.to_owned(), (last_seq, facts));
    }
}

/// The facts of every session `filter` lists, folded from the store's
/// events or taken from `cache` when the session did not change since.
pub(crate) async fn load_facts(
    store: &dyn SessionStore,
    cache: &FactsCache,
    filter: &SessionFilter,
) -> Result<Vec<SessionFacts>, StoreError> {
    let summaries = store.list(filter).await?;
    let mut all = Vec::with_capacity(summaries.len());
    for summary in &summaries {
        let facts = match cache.get(&summary.session_id, summary.last_seq) {
            Some(facts) => facts,
            None => {
                let events = store.all_events(&summary.session_id).await?;
                let facts = SessionFacts::of(&events);
                cache.put(&summary.session_id, summary.last_seq, facts.clone());
                facts
            }
        };
        all.push(facts);
    }
    Ok(all)
}

/// How sessions are grouped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum GroupBy {
    /// One group for everything.
    All,
    /// By the first queue entered.
    Queue,
    /// By the first human agent assigned.
    Agent,
    /// By the customer's issue type.
    IssueType,
    /// By the highest mode reached.
    Mode,
    /// By when it opened, in buckets of this many milliseconds (UTC).
    Interval(u64),
}

impl GroupBy {
    /// The group a session falls in (`none` for a missing key).
    pub(crate) fn key(self, facts: &SessionFacts) -> String {
        let or_none = |v: &Option<String>| v.clone().unwrap_or_else(|| "none".into());
        match self {
            GroupBy::All => "all".into(),
            GroupBy::Queue => or_none(&facts.queue),
            GroupBy::Agent => or_none(&facts.agent),
            GroupBy::IssueType => or_none(&facts.issue_type),
            GroupBy::Mode => facts.top_mode.to_string(),
            GroupBy::Interval(ms) => {
                let start = facts.created_at - facts.created_at % ms.max(1);
                start.to_string()
            }
        }
    }
}

/// Sums over a group of sessions, from which [`Figures`] are computed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Totals {
    sessions: u64,
    entered_queue: u64,
    answered: u64,
    answered_within_target: u64,
    wait_ms: u64,
    abandoned: u64,
    short_abandoned: u64,
    first_responses: u64,
    first_response_ms: u64,
    handled: u64,
    handle_ms: u64,
    mode_ms: [u64; 3],
    transferred: u64,
    escalated: u64,
    consent: Consent,
    rated: u64,
    score_sum: u64,
    satisfied: u64,
    repeat_eligible: u64,
    repeated: u64,
}

/// The thresholds the figures use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Thresholds {
    /// Answered within this counts for the service level.
    pub service_level_ms: u64,
    /// Abandoned within this is a short abandon.
    pub short_abandon_ms: u64,
}

impl Totals {
    /// Adds one session; `repeated`: the customer came back about the same
    /// issue within a week (`None`: not known, no issue type).
    pub(crate) fn add(&mut self, f: &SessionFacts, repeated: Option<bool>, t: Thresholds) {
        self.sessions += 1;
        self.entered_queue += u64::from(f.queued);
        if let Some(wait) = f.answered_after_ms {
            self.answered += 1;
            self.wait_ms += wait;
            self.answered_within_target += u64::from(wait <= t.service_level_ms);
        } else if let Some(wait) = f.abandoned_after_ms {
            self.abandoned += 1;
            self.short_abandoned += u64::from(wait < t.short_abandon_ms);
        }
        if let Some(ms) = f.first_response_ms {
            self.first_responses += 1;
            self.first_response_ms += ms;
        }
        if let Some((total, modes)) = f.handle_ms {
            self.handled += 1;
            self.handle_ms += total;
            for (sum, ms) in self.mode_ms.iter_mut().zip(modes) {
                *sum += ms;
            }
        }
        self.transferred += u64::from(f.transferred);
        self.escalated += u64::from(f.top_mode != Mode::Chat);
        self.consent.requested += f.consent.requested;
        self.consent.accepted += f.consent.accepted;
        self.consent.declined += f.consent.declined;
        self.consent.expired += f.consent.expired;
        self.consent.cancelled += f.consent.cancelled;
        if let Some(score) = f.rating {
            self.rated += 1;
            self.score_sum += u64::from(score);
            self.satisfied += u64::from(score >= 4);
        }
        if let Some(repeated) = repeated {
            self.repeat_eligible += 1;
            self.repeated += u64::from(repeated);
        }
    }

    /// The figures (a ratio with a zero denominator is `None`).
    pub(crate) fn figures(&self) -> Figures {
        let ratio = |n: u64, d: u64| (d > 0).then(|| n as f64 / d as f64);
        let mean = |sum: u64, n: u64| (n > 0).then(|| sum / n);
        Figures {
            sessions: self.sessions,
            entered_queue: self.entered_queue,
            answered: self.answered,
            abandoned: self.abandoned,
            short_abandoned: self.short_abandoned,
            average_speed_of_answer_ms: mean(self.wait_ms, self.answered),
            abandonment_rate: ratio(self.abandoned, self.entered_queue),
            short_abandonment_rate: ratio(self.short_abandoned, self.entered_queue),
            service_level: ratio(
                self.answered_within_target,
                self.answered + self.abandoned - self.short_abandoned,
            ),
            first_response_ms: mean(self.first_response_ms, self.first_responses),
            handled: self.handled,
            handle_ms: mean(self.handle_ms, self.handled),
            handle_ms_by_mode: ModeTimes {
                chat: mean(self.mode_ms[0], self.handled),
                voice: mean(self.mode_ms[1], self.handled),
                video: mean(self.mode_ms[2], self.handled),
            },
            transfer_rate: ratio(self.transferred, self.handled),
            escalation_rate: ratio(self.escalated, self.sessions),
            consent: self.consent,
            csat_average: (self.rated > 0).then(|| self.score_sum as f64 / self.rated as f64),
            csat_satisfied_share: ratio(self.satisfied, self.rated),
            rated: self.rated,
            repeat_contact_rate: ratio(self.repeated, self.repeat_eligible),
        }
    }
}

/// Average handle time spent in each mode, milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub(crate) struct ModeTimes {
    /// In chat.
    pub chat: Option<u64>,
    /// In a voice call.
    pub voice: Option<u64>,
    /// In a video call.
    pub video: Option<u64>,
}

/// One group's figures (docs/analytics.md has every formula).
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub(crate) struct Figures {
    /// Sessions opened in the range.
    pub sessions: u64,
    /// Of them, those that entered a queue.
    pub entered_queue: u64,
    /// Answered: an agent was assigned.
    pub answered: u64,
    /// Left the queue unanswered.
    pub abandoned: u64,
    /// Abandoned within the short-abandon threshold.
    pub short_abandoned: u64,
    /// Mean wait of answered sessions (queued → assigned), ms.
    pub average_speed_of_answer_ms: Option<u64>,
    /// Abandoned / entered a queue.
    pub abandonment_rate: Option<f64>,
    /// Short abandons / entered a queue.
    pub short_abandonment_rate: Option<f64>,
    /// Answered within the target / (answered + abandoned − short abandons).
    pub service_level: Option<f64>,
    /// Mean time from assignment to the first human agent message, ms.
    pub first_response_ms: Option<u64>,
    /// Sessions answered and ended.
    pub handled: u64,
    /// Mean handle time (assigned → ended), ms.
    pub handle_ms: Option<u64>,
    /// Mean handle time per mode, ms.
    pub handle_ms_by_mode: ModeTimes,
    /// Handled sessions transferred at least once / handled.
    pub transfer_rate: Option<f64>,
    /// Sessions that reached voice or video / sessions.
    pub escalation_rate: Option<f64>,
    /// Upgrade requests by outcome.
    pub consent: Consent,
    /// Mean CSAT score (1–5) of rated sessions.
    pub csat_average: Option<f64>,
    /// Rated 4 or 5 / rated.
    pub csat_satisfied_share: Option<f64>,
    /// Sessions rated.
    pub rated: u64,
    /// Customers back about the same issue within 7 days / sessions with
    /// an issue type.
    pub repeat_contact_rate: Option<f64>,
}

/// Whether each session's customer came back about the same issue type
/// within `window_ms` ([`REPEAT_WINDOW_MS`] in the figures; `None` without
/// an issue type), judged against `later` (every session that may follow,
/// the range's own included).
pub(crate) fn repeats(
    sessions: &[SessionFacts],
    later: &[SessionFacts],
    window_ms: u64,
) -> Vec<Option<bool>> {
    let mut by_customer: BTreeMap<(&str, &str), Vec<u64>> = BTreeMap::new();
    for s in later {
        if let Some(issue) = &s.issue_type {
            by_customer
                .entry((s.customer.as_str(), issue.as_str()))
                .or_default()
                .push(s.created_at);
        }
    }
    sessions
        .iter()
        .map(|s| {
            let issue = s.issue_type.as_deref()?;
            let times = by_customer.get(&(s.customer.as_str(), issue))?;
            Some(
                times
                    .iter()
                    .any(|&t| t > s.created_at && t <= s.created_at.saturating_add(window_ms)),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use seam_protocol::{
        CustomerContext, EventBody, Mode, ModeRequest, Principal, Role, SessionEvent,
        TransferTarget,
    };

    use super::*;

    const DAY: u64 = 24 * 60 * 60 * 1000;

    fn who(sub: &str, role: Role) -> Principal {
        Principal {
            sub: sub.into(),
            role,
            name: None,
        }
    }

    /// A scripted session: `(at, from, body)` in order, seq from 1.
    fn session(id: &str, script: Vec<(u64, Principal, EventBody)>) -> SessionFacts {
        let events: Vec<SessionEvent> = script
            .into_iter()
            .enumerate()
            .map(|(i, (at, from, body))| SessionEvent {
                session_id: id.into(),
                seq: i as u64 + 1,
                at,
                from,
                client_id: None,
                body,
            })
            .collect();
        SessionFacts::of(&events)
    }

    fn opened(issue: &str) -> EventBody {
        EventBody::SessionOpened {
            context: CustomerContext {
                issue_type: Some(issue.into()),
                ..CustomerContext::default()
            },
        }
    }

    fn queued(queue: &str) -> EventBody {
        EventBody::Queued {
            queue: queue.into(),
        }
    }

    fn assigned(agent: &str, waited_ms: u64) -> EventBody {
        EventBody::Assigned {
            agent: who(agent, Role::Agent),
            queue: None,
            waited_ms,
        }
    }

    fn requested(id: &str, by: &Principal) -> EventBody {
        EventBody::ModeRequested {
            request: ModeRequest {
                request_id: id.into(),
                mode: Mode::Voice,
                screen_share: false,
                requested_by: by.clone(),
                expires_at: 0,
            },
            reason: None,
        }
    }

    fn changed(previous: Mode, mode: Mode, request: Option<&str>) -> EventBody {
        EventBody::ModeChanged {
            previous,
            mode,
            screen_share: false,
            request_id: request.map(str::to_owned),
            reason: None,
        }
    }

    fn ended() -> EventBody {
        EventBody::SessionEnded { reason: None }
    }

    fn rated(score: u8) -> EventBody {
        EventBody::Rated {
            score,
            comment: None,
        }
    }

    /// Five sessions whose figures are worked out by hand below.
    fn scripted() -> Vec<SessionFacts> {
        let (alice, bea, carl, dan) = (
            who("alice", Role::Customer),
            who("bea", Role::Customer),
            who("carl", Role::Customer),
            who("dan", Role::Customer),
        );
        let (bob, eve, bot) = (
            who("bob", Role::Agent),
            who("eve", Role::Agent),
            who("helper", Role::Bot),
        );
        vec![
            // Answered in 15 s, first response 10 s later, 60 s of voice,
            // handled 100 s, rated 5.
            session(
                "a",
                vec![
                    (0, alice.clone(), opened("billing")),
                    (0, alice.clone(), queued("billing")),
                    (15_000, bob.clone(), assigned("bob", 15_000)),
                    (
                        20_000,
                        bot.clone(),
                        EventBody::message("a bot answer does not count"),
                    ),
                    (25_000, bob.clone(), EventBody::message("hello")),
                    (30_000, alice.clone(), requested("r1", &alice)),
                    (
                        40_000,
                        bob.clone(),
                        changed(Mode::Chat, Mode::Voice, Some("r1")),
                    ),
                    (100_000, bob.clone(), changed(Mode::Voice, Mode::Chat, None)),
                    (115_000, bob.clone(), ended()),
                    (116_000, alice.clone(), rated(5)),
                ],
            ),
            // Abandoned after 3 s: a short abandon.
            session(
                "b",
                vec![
                    (1_000, bea.clone(), opened("billing")),
                    (1_000, bea.clone(), queued("billing")),
                    (
                        4_000,
                        bea.clone(),
                        EventBody::QueueAbandoned {
                            queue: "billing".into(),
                            waited_ms: 3_000,
                        },
                    ),
                    (4_000, bea.clone(), ended()),
                ],
            ),
            // Abandoned after a minute.
            session(
                "c",
                vec![
                    (2_000, carl.clone(), opened("billing")),
                    (2_000, carl.clone(), queued("billing")),
                    (
                        62_000,
                        carl.clone(),
                        EventBody::QueueAbandoned {
                            queue: "billing".into(),
                            waited_ms: 60_000,
                        },
                    ),
                    (62_000, carl.clone(), ended()),
                ],
            ),
            // Alice back two days later about billing: answered in 30 s,
            // transferred, a declined upgrade, rated 2.
            session(
                "d",
                vec![
                    (2 * DAY, alice.clone(), opened("billing")),
                    (2 * DAY, alice.clone(), queued("billing")),
                    (2 * DAY + 30_000, bob.clone(), assigned("bob", 30_000)),
                    (2 * DAY + 40_000, bob.clone(), requested("r2", &bob)),
                    (
                        2 * DAY + 50_000,
                        alice.clone(),
                        EventBody::ModeRequestDeclined {
                            request_id: "r2".into(),
                            reason: None,
                        },
                    ),
                    (
                        2 * DAY + 60_000,
                        bob.clone(),
                        EventBody::Transferred {
                            to: TransferTarget::Queue("general".into()),
                        },
                    ),
                    (2 * DAY + 90_000, eve.clone(), ended()),
                    (2 * DAY + 91_000, alice.clone(), rated(2)),
                ],
            ),
            // Shipping, answered in 5 s by eve, an upgrade left to expire.
            session(
                "e",
                vec![
                    (3_000, dan.clone(), opened("shipping")),
                    (3_000, dan.clone(), queued("general")),
                    (8_000, eve.clone(), assigned("eve", 5_000)),
                    (9_000, eve.clone(), requested("r3", &eve)),
                    (
                        39_000,
                        eve.clone(),
                        EventBody::ModeRequestExpired {
                            request_id: "r3".into(),
                        },
                    ),
                    (68_000, eve.clone(), ended()),
                ],
            ),
        ]
    }

    const T: Thresholds = Thresholds {
        service_level_ms: 20_000,
        short_abandon_ms: 5_000,
    };

    fn totals(sessions: &[SessionFacts], keep: impl Fn(&SessionFacts) -> bool) -> Figures {
        let repeated = repeats(sessions, sessions, REPEAT_WINDOW_MS);
        let mut t = Totals::default();
        for (s, r) in sessions.iter().zip(repeated) {
            if keep(s) {
                t.add(s, r, T);
            }
        }
        t.figures()
    }

    #[test]
    fn one_session_is_folded_into_its_facts() {
        let a = &scripted()[0];
        assert_eq!(a.queue.as_deref(), Some("billing"));
        assert_eq!(a.agent.as_deref(), Some("bob"));
        assert_eq!(a.answered_after_ms, Some(15_000));
        assert_eq!(
            a.first_response_ms,
            Some(10_000),
            "the bot's message does not count"
        );
        assert_eq!(a.handle_ms, Some((100_000, [40_000, 60_000, 0])));
        assert_eq!(a.top_mode, Mode::Voice);
        assert_eq!((a.consent.requested, a.consent.accepted), (1, 1));
        assert_eq!(a.rating, Some(5));
    }

    #[test]
    fn the_figures_match_the_ones_worked_out_by_hand() {
        let f = totals(&scripted(), |_| true);
        assert_eq!(
            (
                f.sessions,
                f.entered_queue,
                f.answered,
                f.abandoned,
                f.short_abandoned
            ),
            (5, 5, 3, 2, 1)
        );
        assert_eq!(f.average_speed_of_answer_ms, Some(50_000 / 3));
        assert_eq!(f.abandonment_rate, Some(0.4));
        assert_eq!(f.short_abandonment_rate, Some(0.2));
        // Within 20 s: a (15 s) and e (5 s), of 3 answered + 2 abandoned - 1 short.
        assert_eq!(f.service_level, Some(0.5));
        assert_eq!(f.first_response_ms, Some(10_000));
        assert_eq!(f.handled, 3);
        // a 100 s, d 60 s, e 60 s.
        assert_eq!(f.handle_ms, Some(220_000 / 3));
        assert_eq!(f.handle_ms_by_mode.voice, Some(60_000 / 3));
        assert_eq!(f.transfer_rate, Some(1.0 / 3.0));
        assert_eq!(f.escalation_rate, Some(0.2));
        assert_eq!(
            f.consent,
            Consent {
                requested: 3,
                accepted: 1,
                declined: 1,
                expired: 1,
                cancelled: 0
            }
        );
        assert_eq!(
            (f.rated, f.csat_average, f.csat_satisfied_share),
            (2, Some(3.5), Some(0.5))
        );
        // Alice came back about billing within the week: 1 of 5.
        assert_eq!(f.repeat_contact_rate, Some(0.2));
    }

    #[test]
    fn groups_split_the_same_sessions() {
        let sessions = scripted();
        let key = |by: GroupBy| sessions.iter().map(|s| by.key(s)).collect::<Vec<_>>();
        assert_eq!(
            key(GroupBy::Queue),
            ["billing", "billing", "billing", "billing", "general"]
        );
        assert_eq!(key(GroupBy::Agent), ["bob", "none", "none", "bob", "eve"]);
        assert_eq!(
            key(GroupBy::Mode),
            ["voice", "chat", "chat", "chat", "chat"]
        );
        assert_eq!(key(GroupBy::Interval(DAY))[3], (2 * DAY).to_string());
        let billing = totals(&sessions, |s| s.queue.as_deref() == Some("billing"));
        assert_eq!(
            (billing.sessions, billing.answered, billing.abandoned),
            (4, 2, 2)
        );
        // a (15 s) within target, of 2 answered + 2 abandoned - 1 short.
        assert_eq!(billing.service_level, Some(1.0 / 3.0));
        let nothing = totals(&sessions, |_| false);
        assert_eq!(
            (
                nothing.sessions,
                nothing.service_level,
                nothing.csat_average
            ),
            (0, None, None)
        );
    }

    #[test]
    fn a_repeat_is_the_same_customer_and_issue_within_a_week() {
        let mut sessions = scripted();
        assert_eq!(
            repeats(&sessions, &sessions, REPEAT_WINDOW_MS),
            [
                Some(true),
                Some(false),
                Some(false),
                Some(false),
                Some(false)
            ]
        );
        sessions[3].created_at = 8 * DAY;
        assert_eq!(
            repeats(&sessions, &sessions, REPEAT_WINDOW_MS)[0],
            Some(false),
            "more than a week later"
        );
        sessions[3].created_at = 2 * DAY;
        sessions[3].issue_type = Some("shipping".into());
        assert_eq!(
            repeats(&sessions, &sessions, REPEAT_WINDOW_MS)[0],
            Some(false),
            "another issue"
        );
        sessions[0].issue_type = None;
        assert_eq!(
            repeats(&sessions, &sessions, REPEAT_WINDOW_MS)[0],
            None,
            "no issue type: not counted"
        );
    }
}
