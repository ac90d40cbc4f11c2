//! The in-process store: everything in memory, for tests, embedding, and
//! brokers that need no durability across process restarts.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

use crate::frame::Frame;
use crate::maps::SharedMap;

use seam_protocol::{CannedResponse, Principal, Receipt, SessionEvent, SessionId, SessionState};

use crate::session::SessionView;

use super::{
    check_order, check_run, BoxFuture, Delivery, NewEvent, OutboxOp, SessionFilter, SessionRecord,
    SessionStore, SessionSummary, StoreError, StoredSession,
};

/// A session as the store keeps it: its record, its events as their
/// `event` frames (shared with the engine's resume windows, so an append
/// stores no copy), and its listing.
#[derive(Debug)]
struct Entry {
    record: SessionRecord,
    events: Vec<Frame>,
    summary: SessionSummary,
}

impl Entry {
    /// The session as the store's readers see it.
    fn stored(&self) -> Result<StoredSession, StoreError> {
        Ok(StoredSession {
            record: self.record.clone(),
            events: self.events.iter().map(event_of).collect::<Result<_, _>>()?,
        })
    }
}

/// The event a kept frame holds.
fn event_of(frame: &Frame) -> Result<SessionEvent, StoreError> {
    frame
        .to_event()
        .ok_or_else(|| StoreError::Backend(format!("not an event frame: {}", frame.as_str())))
}

/// Everything but the sessions' events and listings.
#[derive(Debug, Default)]
struct Inner {
    outbox: Vec<(Delivery, u64)>,
    next_delivery: u64,
    canned: std::collections::BTreeMap<String, CannedResponse>,
    receipts: HashMap<SessionId, Vec<Receipt>>,
    blobs: HashMap<(SessionId, String), Vec<u8>>,
}

impl Inner {
    fn apply_outbox(&mut self, event: &SessionEvent, ops: &[OutboxOp]) {
        for op in ops {
            match op {
                OutboxOp::Enqueue { url, kind, due_at } => {
                    self.next_delivery += 1;
                    let delivery = Delivery {
                        id: self.next_delivery,
                        session_id: event.session_id.clone(),
                        seq: event.seq,
                        url: url.clone(),
                        kind: *kind,
                        attempts: 0,
                    };
                    self.outbox.push((delivery, *due_at));
                }
                OutboxOp::Hasten { kind, now } => {
                    for (d, due) in &mut self.outbox {
                        if d.session_id == event.session_id && d.kind == *kind && *due > *now {
                            *due = *now;
                        }
                    }
                }
            }
        }
    }
}

/// A store that keeps everything in this process's memory.
///
/// Sessions sit in a sharded map, so that appends to different sessions
/// seldom wait for each other (under one lock, two threads appending flat
/// out put about one append in seventeen to sleep in the kernel). The
/// rest sits behind one lock, which is always taken before a session's
/// shard: creating a session under it keeps one open session per
/// customer, and an append takes it only when it queues webhooks.
#[derive(Debug, Default)]
pub struct MemoryStore {
    sessions: SharedMap<SessionId, Entry>,
    inner: Mutex<Inner>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> MemoryStore {
        MemoryStore::default()
    }

    fn inner(&self) -> MutexGuard<'_, Inner> {
        // Every update is a few inserts or pushes with no await inside, so a
        // panic cannot leave the maps half-updated: poisoning is ignored.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Deletes the sessions whose listing matches, with everything kept
    /// beside them.
    fn delete_where(&self, doomed: impl Fn(&SessionSummary) -> bool) -> Vec<SessionId> {
        let mut inner = self.inner();
        let mut ids = Vec::new();
        self.sessions.retain(|id, entry| {
            let keep = !doomed(&entry.summary);
            if !keep {
                ids.push(id.clone());
            }
            keep
        });
        for id in &ids {
            inner.receipts.remove(id);
        }
        inner.blobs.retain(|(session, _), _| !ids.contains(session));
        inner.outbox.retain(|(d, _)| !ids.contains(&d.session_id));
        ids
    }
}

fn ready<T: Send + 'static>(value: T) -> BoxFuture<'static, T> {
    Box::pin(std::future::ready(value))
}

impl SessionStore for MemoryStore {
    fn create<'a>(
        &'a self,
        record: &'a SessionRecord,
        first: &'a SessionEvent,
        outbox: &'a [OutboxOp],
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        // Held while checking and inserting: no other session of this
        // customer is created meanwhile.
        let mut inner = self.inner();
        let open = self.sessions.iter().find_map(|entry| {
            (entry.record.customer.sub == record.customer.sub
                && entry.summary.state == SessionState::Open)
                .then(|| entry.record.session_id.clone())
        });
        if let Some(session_id) = open {
            return ready(Err(StoreError::AlreadyOpen { session_id }));
        }
        let result = check_order(first, 0).map(|()| {
            let entry = Entry {
                record: record.clone(),
                events: vec![Frame::event(first)],
                summary: SessionView::folded(record, [first]).summary(),
            };
            self.sessions.insert(record.session_id.clone(), entry);
            inner.apply_outbox(first, outbox);
        });
        ready(result)
    }

    fn append<'a>(
        &'a self,
        events: &'a [NewEvent],
        listing: Option<&'a SessionSummary>,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        let Some(session_id) = events.first().map(|n| &n.event.session_id) else {
            return ready(Ok(()));
        };
        // Taken first (the order every method keeps), and only when the run
        // queues webhooks.
        let mut inner = events
            .iter()
            .any(|new| !new.outbox.is_empty())
            .then(|| self.inner());
        let result = match self.sessions.get_mut(session_id).as_deref_mut() {
            None => Err(StoreError::UnknownSession(session_id.clone())),
            Some(entry) => check_run(events, entry.summary.last_seq).map(|()| {
                entry
                    .events
                    .extend(events.iter().map(|new| new.frame.clone()));
                let last_seq = entry.summary.last_seq;
                if let Some(listing) = listing {
                    entry.summary = listing.clone();
                }
                entry.summary.last_seq = events.last().map_or(last_seq, |n| n.event.seq);
            }),
        };
        if let (Ok(()), Some(inner)) = (&result, inner.as_mut()) {
            for new in events {
                inner.apply_outbox(&new.event, &new.outbox);
            }
        }
        ready(result)
    }

    fn load(&self) -> BoxFuture<'_, Result<Vec<StoredSession>, StoreError>> {
        let all = self.sessions.iter().map(|entry| entry.stored()).collect();
        ready(all)
    }

    fn get<'a>(
        &'a self,
        session_id: &'a str,
    ) -> BoxFuture<'a, Result<Option<StoredSession>, StoreError>> {
        let found = self.sessions.get(session_id).map(|entry| entry.stored());
        ready(found.transpose())
    }

    fn events_after<'a>(
        &'a self,
        session_id: &'a str,
        after_seq: u64,
        limit: usize,
    ) -> BoxFuture<'a, Result<Vec<SessionEvent>, StoreError>> {
        // Seqs start at 1 without gaps: event `seq` is at `seq - 1`.
        let page = self
            .sessions
            .get(session_id)
            .map_or(Ok(Vec::new()), |entry| {
                let from = usize::try_from(after_seq)
                    .map_or(entry.events.len(), |after| after.min(entry.events.len()));
                entry.events[from..]
                    .iter()
                    .take(limit)
                    .map(event_of)
                    .collect()
            });
        ready(page)
    }

    fn summary<'a>(
        &'a self,
        session_id: &'a str,
    ) -> BoxFuture<'a, Result<Option<SessionSummary>, StoreError>> {
        let found = self
            .sessions
            .get(session_id)
            .map(|entry| entry.summary.clone());
        ready(Ok(found))
    }

    fn list<'a>(
        &'a self,
        filter: &'a SessionFilter,
    ) -> BoxFuture<'a, Result<Vec<SessionSummary>, StoreError>> {
        let mut found: Vec<SessionSummary> = self
            .sessions
            .iter()
            .filter(|entry| filter.matches(&entry.summary))
            .map(|entry| entry.summary.clone())
            .collect();
        found.sort_by(|a, b| (b.created_at, &b.session_id).cmp(&(a.created_at, &a.session_id)));
        found.truncate(filter.limit);
        ready(Ok(found))
    }

    fn open_session_of<'a>(
        &'a self,
        sub: &'a str,
    ) -> BoxFuture<'a, Result<Option<SessionId>, StoreError>> {
        // Stops at the first: no summary is copied.
        let open = self.sessions.iter().find_map(|entry| {
            let summary = &entry.summary;
            (summary.customer.sub == sub && summary.state == SessionState::Open)
                .then(|| entry.key().clone())
        });
        ready(Ok(open))
    }

    fn delete_ended_before(
        &self,
        cutoff: u64,
    ) -> BoxFuture<'_, Result<Vec<SessionId>, StoreError>> {
        let deleted = self.delete_where(|s| {
            s.state == SessionState::Ended && s.ended_at.is_some_and(|t| t < cutoff)
        });
        ready(Ok(deleted))
    }

    fn erase_customer<'a>(
        &'a self,
        sub: &'a str,
    ) -> BoxFuture<'a, Result<Vec<SessionId>, StoreError>> {
        ready(Ok(self.delete_where(|s| s.customer.sub == sub)))
    }

    fn due_deliveries(
        &self,
        now: u64,
        limit: usize,
    ) -> BoxFuture<'_, Result<Vec<Delivery>, StoreError>> {
        let inner = self.inner();
        let mut due: Vec<&(Delivery, u64)> =
            inner.outbox.iter().filter(|(_, at)| *at <= now).collect();
        due.sort_by_key(|(d, at)| (*at, d.id));
        ready(Ok(due
            .into_iter()
            .take(limit)
            .map(|(d, _)| d.clone())
            .collect()))
    }

    fn next_delivery_at(&self) -> BoxFuture<'_, Result<Option<u64>, StoreError>> {
        ready(Ok(self.inner().outbox.iter().map(|(_, at)| *at).min()))
    }

    fn delivery_done(&self, id: u64) -> BoxFuture<'_, Result<(), StoreError>> {
        self.inner().outbox.retain(|(d, _)| d.id != id);
        ready(Ok(()))
    }

    fn delivery_retry(
        &self,
        id: u64,
        due_at: u64,
        attempts: u32,
    ) -> BoxFuture<'_, Result<(), StoreError>> {
        if let Some((d, at)) = self.inner().outbox.iter_mut().find(|(d, _)| d.id == id) {
            d.attempts = attempts;
            *at = due_at;
        }
        ready(Ok(()))
    }

    fn pending_deliveries(&self) -> BoxFuture<'_, Result<u64, StoreError>> {
        ready(Ok(self.inner().outbox.len() as u64))
    }

    fn put_receipt<'a>(
        &'a self,
        session_id: &'a str,
        participant: &'a Principal,
        delivered_seq: u64,
        read_seq: u64,
    ) -> BoxFuture<'a, Result<Receipt, StoreError>> {
        let mut inner = self.inner();
        let receipts = inner.receipts.entry(session_id.to_owned()).or_default();
        let at = match receipts
            .iter()
            .position(|r| r.participant.sub == participant.sub)
        {
            Some(at) => at,
            None => {
                receipts.push(Receipt {
                    participant: participant.clone(),
                    delivered_seq: 0,
                    read_seq: 0,
                });
                receipts.len() - 1
            }
        };
        let receipt = &mut receipts[at];
        receipt.participant = participant.clone();
        receipt.delivered_seq = receipt.delivered_seq.max(delivered_seq);
        receipt.read_seq = receipt.read_seq.max(read_seq);
        ready(Ok(receipt.clone()))
    }

    fn receipts<'a>(
        &'a self,
        session_id: &'a str,
    ) -> BoxFuture<'a, Result<Vec<Receipt>, StoreError>> {
        let receipts = self.inner().receipts.get(session_id).cloned();
        ready(Ok(receipts.unwrap_or_default()))
    }

    fn put_blob<'a>(
        &'a self,
        session_id: &'a str,
        id: &'a str,
        bytes: Vec<u8>,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        if let Err(e) = super::check_blob_ids(session_id, id) {
            return ready(Err(e));
        }
        self.inner()
            .blobs
            .insert((session_id.to_owned(), id.to_owned()), bytes);
        ready(Ok(()))
    }

    fn blob<'a>(
        &'a self,
        session_id: &'a str,
        id: &'a str,
    ) -> BoxFuture<'a, Result<Option<Vec<u8>>, StoreError>> {
        let key = (session_id.to_owned(), id.to_owned());
        ready(Ok(self.inner().blobs.get(&key).cloned()))
    }

    fn canned_responses(&self) -> BoxFuture<'_, Result<Vec<CannedResponse>, StoreError>> {
        ready(Ok(self.inner().canned.values().cloned().collect()))
    }

    fn put_canned_response<'a>(
        &'a self,
        reply: &'a CannedResponse,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        self.inner()
            .canned
            .insert(reply.shortcut.clone(), reply.clone());
        ready(Ok(()))
    }

    fn delete_canned_response<'a>(
        &'a self,
        shortcut: &'a str,
    ) -> BoxFuture<'a, Result<bool, StoreError>> {
        ready(Ok(self.inner().canned.remove(shortcut).is_some()))
    }
}
