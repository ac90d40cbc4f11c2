//! The embedded SQLite store (the default for `seam serve`).
//!
//! One connection writes; writes queue up in the order they are made, and
//! whoever holds the writer commits from the front of the queue: a batch
//! in one transaction, committed once, and only then is every write in it
//! answered (group commit, so many acknowledged events share one fsync).
//! The writer thread commits whatever is queued whenever it is woken; a
//! caller whose write finds the writer free and quiet commits it on its
//! own thread instead, saving the two thread wake-ups a hand-off costs
//! when there is nothing to group it with. A batch in which a write fails
//! is applied again with each write in its own savepoint, so that write
//! fails alone. Reads use a second connection (WAL lets them run beside
//! the writer), and a third, on its own thread, checkpoints the WAL into
//! the database every 250 ms, so the writer never stops for it. The
//! schema is versioned with `PRAGMA user_version`.

use std::collections::{HashMap, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::{mpsc, Arc, Condvar, Mutex};
use std::thread::JoinHandle;

use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use seam_protocol::{
    CannedResponse, CustomerContext, EventBody, Principal, Receipt, SessionEvent, SessionId,
    SessionState,
};
use tokio::sync::oneshot;

use super::{
    check_order, check_seqs, state_name, BoxFuture, Delivery, NewEvent, OutboxOp, SessionFilter,
    SessionRecord, SessionStore, SessionSummary, StoreError, StoredSession, WebhookKind,
};
use crate::frame::Frame;
use crate::session::SessionView;

/// Schema migrations, applied in order; `user_version` counts those applied.
const MIGRATIONS: &[&str] = &[
    r#"
CREATE TABLE sessions (
    session_id   TEXT PRIMARY KEY,
    epoch        TEXT NOT NULL,
    customer_sub TEXT NOT NULL,
    customer     TEXT NOT NULL,
    context      TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    state        TEXT NOT NULL,
    ended_at     INTEGER,
    queue        TEXT,
    summary      TEXT NOT NULL
);
CREATE INDEX sessions_by_created ON sessions (created_at);
CREATE INDEX sessions_by_customer ON sessions (customer_sub);
CREATE INDEX sessions_by_end ON sessions (state, ended_at);
CREATE TABLE session_agents (
    session_id TEXT NOT NULL,
    agent      TEXT NOT NULL,
    PRIMARY KEY (session_id, agent)
) WITHOUT ROWID;
CREATE TABLE events (
    session_id TEXT NOT NULL,
    seq        INTEGER NOT NULL,
    event      TEXT NOT NULL,
    PRIMARY KEY (session_id, seq)
) WITHOUT ROWID; -- until the migration that keeps them in arrival order
CREATE TABLE outbox (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    session_id TEXT NOT NULL,
    seq        INTEGER NOT NULL,
    url        TEXT NOT NULL,
    kind       TEXT NOT NULL,
    due_at     INTEGER NOT NULL,
    attempts   INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX outbox_by_due ON outbox (due_at);
CREATE INDEX outbox_by_session ON outbox (session_id);
"#,
    r#"
CREATE INDEX sessions_open_by_customer ON sessions (customer_sub) WHERE state = 'open';
"#,
    r#"
CREATE TABLE canned_responses (
    shortcut TEXT PRIMARY KEY,
    title    TEXT,
    text     TEXT NOT NULL
);
"#,
    r#"
CREATE TABLE receipts (
    session_id    TEXT NOT NULL,
    sub           TEXT NOT NULL,
    participant   TEXT NOT NULL,
    delivered_seq INTEGER NOT NULL,
    read_seq      INTEGER NOT NULL,
    PRIMARY KEY (session_id, sub)
) WITHOUT ROWID;
"#,
    // Events in arrival order (a rowid table), found through the primary
    // key's index. Clustered by (session, seq), a commit of events from N
    // sessions rewrote N leaf pages of whole events; now the events share
    // the table's last page and only the small index entries scatter
    // (about half the WAL pages per commit at 5,000 sessions, and a tenth
    // of the p99 at 5,000 pairs x 1 msg/s: docs/benchmarks.md). Old events
    // are copied in session order, so old sessions still read from few
    // pages.
    r#"
CREATE TABLE events_by_arrival (
    session_id TEXT NOT NULL,
    seq        INTEGER NOT NULL,
    event      TEXT NOT NULL,
    PRIMARY KEY (session_id, seq)
);
INSERT INTO events_by_arrival (session_id, seq, event)
    SELECT session_id, seq, event FROM events ORDER BY session_id, seq;
DROP TABLE events;
ALTER TABLE events_by_arrival RENAME TO events;
"#,
];

/// A customer's open session, through the partial index (without it the
/// planner may walk every open session).
const OPEN_SESSION_OF: &str = "SELECT session_id FROM sessions INDEXED BY sessions_open_by_customer
     WHERE customer_sub = ?1 AND state = 'open'";

/// How the SQLite store trades durability and throughput.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SqliteOptions {
    /// Most writes committed together (1 turns group commit off).
    pub max_batch: usize,
    /// `synchronous=FULL` (survives power loss) rather than `NORMAL`
    /// (survives a process crash, not a power loss).
    pub full_sync: bool,
    /// WAL pages past which the checkpointer, once it has copied what it
    /// could without waiting, asks the writer to make the WAL start over
    /// between two batches (copying the pages written since, and the
    /// database's fsync). Without it a steady stream of commits keeps a
    /// passive checkpoint from ever finishing, and the WAL grows for as
    /// long as the writes go on.
    pub wal_restart_pages: u64,
}

impl Default for SqliteOptions {
    fn default() -> Self {
        SqliteOptions {
            max_batch: 256,
            full_sync: true,
            wal_restart_pages: 4096,
        }
    }
}

/// One write for the writer thread.
#[derive(Debug)]
enum Write {
    Create(Box<SessionRecord>, Box<SessionEvent>, Vec<OutboxOp>),
    /// A run of one session's events and its listing after them, if it
    /// changed.
    Append(SessionId, Vec<Appended>, Option<Box<SessionSummary>>),
    DeleteEndedBefore(u64),
    EraseCustomer(String),
    DeliveryDone(u64),
    DeliveryRetry(u64, u64, u32),
    /// A participant's horizons: session, participant, delivered, read.
    PutReceipt(SessionId, Box<Principal>, u64, u64),
    PutCanned(CannedResponse),
    /// Answers the shortcut when there was one to delete.
    DeleteCanned(String),
}

impl Write {
    /// Light enough to commit on the caller's thread: everything but the
    /// maintenance writes, which may touch many sessions (the retention
    /// sweep) or empty the WAL (an erasure).
    fn is_light(&self) -> bool {
        !matches!(self, Write::DeleteEndedBefore(_) | Write::EraseCustomer(_))
    }

    /// The write of an appended run: the events' frames are shared, not
    /// copied, to the writer thread.
    fn append(events: &[NewEvent], listing: Option<&SessionSummary>) -> Write {
        let session_id = events
            .first()
            .map(|n| n.event.session_id.clone())
            .unwrap_or_default();
        Write::Append(
            session_id,
            events.iter().map(Appended::of).collect(),
            listing.map(|l| Box::new(l.clone())),
        )
    }
}

/// An appended event as the writer stores it: the `event` frame the
/// engine serialized, and the little else its write needs.
#[derive(Debug)]
struct Appended {
    seq: u64,
    frame: Frame,
    /// Its webhook work.
    outbox: Vec<OutboxOp>,
    /// The staff member it says joined, if it does.
    joined: Option<String>,
}

impl Appended {
    fn of(new: &NewEvent) -> Appended {
        Appended {
            seq: new.event.seq,
            frame: new.frame.clone(),
            outbox: new.outbox.clone(),
            joined: match &new.event.body {
                EventBody::ParticipantJoined { participant } => Some(participant.sub.clone()),
                _ => None,
            },
        }
    }

    /// The event's JSON, cut from its frame.
    fn json(&self) -> Result<String, StoreError> {
        self.frame
            .event_json()
            .ok_or_else(|| StoreError::Backend("an appended frame is not an event".into()))
    }
}

type Reply = oneshot::Sender<Result<Vec<SessionId>, StoreError>>;

/// Sessions and events in an SQLite database file.
#[derive(Debug)]
pub struct SqliteStore {
    /// The writes waiting, and the writer whoever commits them uses.
    writes: Arc<Writes>,
    reader: Arc<Mutex<Connection>>,
    /// The writer thread: it commits what callers could not.
    writer: Mutex<Option<JoinHandle<()>>>,
    /// The checkpointer thread, and what stops it (dropping the sender).
    checkpointer: Mutex<Option<(mpsc::Sender<()>, JoinHandle<()>)>>,
    /// Attachments' bytes: one file each, `<session>/<id>`, beside the
    /// database (`attachments/`).
    blobs: PathBuf,
}

fn backend(e: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(e.to_string())
}

/// Copies the database at `from` to a new file `to` with SQLite's online
/// backup API, in one read transaction: a consistent copy while a broker
/// keeps writing (WAL readers do not block the writer). Returns the size
/// of the copy in pages. `to` must not exist.
pub fn backup(from: &Path, to: &Path) -> Result<u64, StoreError> {
    if !from.exists() {
        return Err(StoreError::Backend(format!(
            "no database at {}",
            from.display()
        )));
    }
    if to.exists() {
        return Err(StoreError::Backend(format!(
            "{} exists; choose a new file",
            to.display()
        )));
    }
    let source = Connection::open_with_flags(from, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
        .map_err(backend)?;
    source
        .busy_timeout(std::time::Duration::from_secs(10))
        .map_err(backend)?;
    let mut target = Connection::open(to).map_err(backend)?;
    let copy = rusqlite::backup::Backup::new(&source, &mut target).map_err(backend)?;
    // -1: every page in one step, so the copy is one consistent snapshot.
    copy.step(-1).map_err(backend)?;
    let pages = copy.progress().pagecount;
    drop(copy);
    target
        .execute_batch("PRAGMA journal_mode = DELETE;")
        .map_err(backend)?;
    Ok(u64::try_from(pages).unwrap_or(0))
}

/// The WAL file is cut back to this size when it restarts after a
/// checkpoint (it is reused, not deleted).
const WAL_KEEP_BYTES: u64 = 64 << 20;

/// Page cache per connection, in KiB. Bounded small: each connection's
/// cache fills with what it touched, so RSS grew with a session's history
/// at 64 MiB; 2 to 64 MiB measured the same throughput.
const CACHE_KIB: u32 = 8_192;

/// How often the checkpointer copies what the WAL holds into the database.
const CHECKPOINT_EVERY: std::time::Duration = std::time::Duration::from_millis(250);

/// Copies the WAL into the database every [`CHECKPOINT_EVERY`] until
/// `stop` is dropped, passively (never waiting for the writer nor holding
/// it up), and once the WAL holds more than `restart_pages`, asks the
/// writer for a restart ([`Writer::restart_wal`]).
///
/// The restart is the writer's to do: run here, it waited for a moment
/// between two of the writer's transactions, which a busy writer never
/// leaves, and the WAL grew past 500 MB in ten seconds flat out.
fn checkpoint_forever(
    conn: Connection,
    restart_pages: u64,
    writes: &Writes,
    stop: mpsc::Receiver<()>,
) {
    let failing = crate::throttle::Throttled::new(
        "cannot checkpoint the SQLite WAL",
        std::time::Duration::from_secs(60),
    );
    let checkpoint = |mode: &str| -> rusqlite::Result<u64> {
        // (busy, pages in the WAL, pages copied)
        conn.query_row(&format!("PRAGMA wal_checkpoint({mode})"), [], |r| {
            r.get::<_, i64>(1)
        })
        .map(|pages| u64::try_from(pages).unwrap_or(0))
    };
    while let Err(mpsc::RecvTimeoutError::Timeout) = stop.recv_timeout(CHECKPOINT_EVERY) {
        match checkpoint("PASSIVE") {
            Ok(pages) if pages > restart_pages => writes.ask_restart(),
            Ok(_) => {}
            Err(e) => failing.warn(&e),
        }
    }
}

fn open_connection(path: &Path, options: SqliteOptions) -> Result<Connection, StoreError> {
    let conn = Connection::open(path).map_err(backend)?;
    conn.busy_timeout(BUSY_TIMEOUT).map_err(backend)?;
    let sync = if options.full_sync { "FULL" } else { "NORMAL" };
    // secure_delete: deleted rows (an erased customer's transcript) are
    // overwritten in the file, not merely unlinked.
    // No automatic checkpoints: the checkpointer thread copies the WAL
    // into the database, so the writer never stops to do it (a checkpoint
    // on the writer held every write queued behind it for tens of ms).
    conn.execute_batch(&format!(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = {sync}; PRAGMA secure_delete = ON;
         PRAGMA wal_autocheckpoint = 0; PRAGMA journal_size_limit = {WAL_KEEP_BYTES};
         PRAGMA cache_size = -{CACHE_KIB};"
    ))
    .map_err(backend)?;
    Ok(conn)
}

fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    migrate_to(conn, MIGRATIONS.len())
}

/// Applies the migrations up to `target` that the database lacks.
fn migrate_to(conn: &mut Connection, target: usize) -> Result<(), StoreError> {
    let version: usize = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(backend)?;
    if version > MIGRATIONS.len() {
        return Err(StoreError::Backend(format!(
            "database schema version {version} is newer than this seam ({})",
            MIGRATIONS.len()
        )));
    }
    for (i, migration) in MIGRATIONS.iter().enumerate().take(target).skip(version) {
        let tx = conn.transaction().map_err(backend)?;
        tx.execute_batch(migration).map_err(backend)?;
        tx.execute_batch(&format!("PRAGMA user_version = {}", i + 1))
            .map_err(backend)?;
        tx.commit().map_err(backend)?;
    }
    Ok(())
}

impl SqliteStore {
    /// Opens (creating if needed) the database at `path` and migrates it.
    pub fn open(path: &Path, options: SqliteOptions) -> Result<SqliteStore, StoreError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(backend)?;
        }
        let mut conn = open_connection(path, options)?;
        migrate(&mut conn)?;
        let reader = open_connection(path, options)?;
        let writes = Arc::new(Writes::new(Writer::new(conn, options)));
        let writer = {
            let writes = Arc::clone(&writes);
            std::thread::Builder::new()
                .name("seam-sqlite-writer".into())
                .spawn(move || writes.run())
                .map_err(backend)?
        };
        let checkpoints = open_connection(path, options)?;
        let (stop, stopped) = mpsc::channel();
        let checkpointer = {
            let writes = Arc::clone(&writes);
            std::thread::Builder::new()
                .name("seam-sqlite-checkpoint".into())
                .spawn(move || {
                    checkpoint_forever(checkpoints, options.wal_restart_pages, &writes, stopped)
                })
                .map_err(backend)?
        };
        let blobs = path
            .parent()
            .unwrap_or_else(|| Path::new("."))
            .join("attachments");
        Ok(SqliteStore {
            writes,
            reader: Arc::new(Mutex::new(reader)),
            writer: Mutex::new(Some(writer)),
            checkpointer: Mutex::new(Some((stop, checkpointer))),
            blobs,
        })
    }

    /// Queues `write` and, when it is [light](Write::is_light) and the
    /// writer is free and has been quiet, commits what is queued on the
    /// caller's thread before returning ([`Writes::commit_here`]): the
    /// future is then ready at once. Otherwise the writer thread commits
    /// it.
    fn write(&self, write: Write) -> BoxFuture<'_, Result<Vec<SessionId>, StoreError>> {
        let (reply, answer) = oneshot::channel();
        let light = write.is_light();
        let queued = self.writes.push(write, reply);
        if queued {
            if light {
                self.writes.commit_here();
            } else {
                self.writes.ring();
            }
        }
        Box::pin(async move {
            if !queued {
                return Err(StoreError::Backend("the store is closed".into()));
            }
            answer
                .await
                .map_err(|_| StoreError::Backend("the store writer stopped".into()))?
        })
    }

    /// A maintenance write that deletes sessions, then their attachments'
    /// files.
    fn delete_sessions(&self, write: Write) -> BoxFuture<'_, Result<Vec<SessionId>, StoreError>> {
        let write = self.write(write);
        let blobs = self.blobs.clone();
        Box::pin(async move {
            let ids = write.await?;
            let doomed = ids.clone();
            tokio::task::spawn_blocking(move || {
                for id in doomed.iter().filter(|id| crate::attachment::is_safe_id(id)) {
                    match std::fs::remove_dir_all(blobs.join(id)) {
                        Ok(()) => {}
                        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                        Err(e) => {
                            tracing::warn!(error = %e, session = %id, "cannot delete attachments")
                        }
                    }
                }
            })
            .await
            .map_err(backend)?;
            Ok(ids)
        })
    }

    fn read<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    ) -> BoxFuture<'_, Result<T, StoreError>> {
        let reader = Arc::clone(&self.reader);
        Box::pin(async move {
            tokio::task::spawn_blocking(move || {
                let conn = reader.lock().unwrap_or_else(|p| p.into_inner());
                f(&conn)
            })
            .await
            .map_err(backend)?
        })
    }
}

impl Drop for SqliteStore {
    fn drop(&mut self) {
        // Closed, the queue is emptied by the writer thread, which exits.
        self.writes.close();
        if let Some(writer) = self.writer.lock().unwrap_or_else(|p| p.into_inner()).take() {
            let _ = writer.join();
        }
        let checkpointer = self
            .checkpointer
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        if let Some((stop, thread)) = checkpointer {
            drop(stop);
            let _ = thread.join();
        }
    }
}

/// Where the sessions the writer wrote to recently stand (their last
/// seq), by session id. Hashed with foldhash, as the broker's other maps
/// keyed by the ids it makes (`maps::SharedMap`): looked up for every
/// append.
type Positions = HashMap<SessionId, u64, foldhash::fast::RandomState>;

/// The writes waiting to be committed, in the order they were made, and
/// the writer that commits them.
///
/// Whoever holds the writer commits from the front of the queue, so
/// writes are committed in the order they were queued. A caller whose
/// write is light and finds the writer free and [quiet](Writer::quiet)
/// commits one batch itself, on its own thread: at low rates a write is
/// then committed without waking the writer thread, and its answer is
/// ready without waking the caller (two thread wake-ups per write, about
/// a third of what durability cost at 500 writes a second:
/// docs/benchmarks.md). Everything else (writes arriving while a commit
/// runs, maintenance writes, the WAL restarts) is the writer thread's,
/// which empties the queue whenever it is woken.
struct Writes {
    queue: Mutex<Queue>,
    /// Wakes the writer thread.
    bell: Condvar,
    writer: Mutex<Writer>,
}

impl std::fmt::Debug for Writes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Writes")
            .field("queued", &self.queue().writes.len())
            .finish_non_exhaustive()
    }
}

/// What waits for the writer.
#[derive(Default)]
struct Queue {
    writes: VecDeque<(Write, Reply)>,
    /// The writer thread waits for the bell.
    asleep: bool,
    /// The checkpointer asked for a WAL restart ([`Writer::restart_wal`]).
    restart: bool,
    /// The store is dropped: the writer thread empties the queue and exits.
    closed: bool,
}

impl Writes {
    fn new(writer: Writer) -> Writes {
        Writes {
            queue: Mutex::default(),
            bell: Condvar::new(),
            writer: Mutex::new(writer),
        }
    }

    fn queue(&self) -> std::sync::MutexGuard<'_, Queue> {
        self.queue.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Queues a write; false once the store is closed.
    fn push(&self, write: Write, reply: Reply) -> bool {
        let mut queue = self.queue();
        if queue.closed {
            return false;
        }
        queue.writes.push_back((write, reply));
        true
    }

    /// Commits one batch from the front of the queue on this thread when
    /// the writer is free and [quiet](Writer::quiet), then wakes the
    /// writer thread for what is still queued. A writer found busy needs
    /// no bell: the thread holding it empties the queue, and a caller
    /// holding it rings once it is done.
    fn commit_here(&self) {
        let mut writer = match self.writer.try_lock() {
            Ok(writer) => writer,
            Err(std::sync::TryLockError::Poisoned(p)) => p.into_inner(),
            Err(std::sync::TryLockError::WouldBlock) => return,
        };
        if writer.quiet() {
            let batch = self.take(writer.options.max_batch, true);
            if !batch.is_empty() {
                writer.commit(batch);
            }
        }
        drop(writer);
        self.ring();
    }

    /// Wakes the writer thread if it sleeps while writes are queued.
    fn ring(&self) {
        let queue = self.queue();
        if queue.asleep && !queue.writes.is_empty() {
            self.bell.notify_one();
        }
    }

    /// Takes up to `max` writes from the front of the queue; when
    /// `light_only`, it stops before the first one that is not light.
    fn take(&self, max: usize, light_only: bool) -> Vec<(Write, Reply)> {
        let mut queue = self.queue();
        let mut batch = Vec::new();
        while batch.len() < max.max(1) {
            match queue.writes.front() {
                Some((write, _)) if !light_only || write.is_light() => {}
                _ => break,
            }
            batch.extend(queue.writes.pop_front());
        }
        batch
    }

    /// Asks the writer thread for a WAL restart, between two batches.
    fn ask_restart(&self) {
        let mut queue = self.queue();
        queue.restart = true;
        if queue.asleep {
            self.bell.notify_one();
        }
    }

    /// Closes the queue: the writer thread commits what is left and exits.
    fn close(&self) {
        self.queue().closed = true;
        self.bell.notify_one();
    }

    /// The writer thread: waits for the bell, then commits until the
    /// queue is empty, restarting the WAL between two batches when asked
    /// (under a steady stream of writes the queue is seldom empty, and the
    /// WAL would grow until it was); exits once the queue is closed and
    /// empty.
    fn run(&self) {
        loop {
            {
                let mut queue = self.queue();
                while queue.writes.is_empty() && !queue.restart {
                    if queue.closed {
                        return;
                    }
                    queue.asleep = true;
                    queue = self.bell.wait(queue).unwrap_or_else(|p| p.into_inner());
                    queue.asleep = false;
                }
            }
            let mut writer = self.writer.lock().unwrap_or_else(|p| p.into_inner());
            loop {
                if std::mem::take(&mut self.queue().restart) {
                    writer.restart_wal();
                }
                let batch = self.take(writer.options.max_batch, false);
                if batch.is_empty() {
                    break;
                }
                writer.commit(batch);
            }
        }
    }
}

/// The writer's state: the connection and where the sessions it wrote to
/// recently stand (their last seq).
struct Writer {
    conn: Connection,
    options: SqliteOptions,
    positions: Positions,
    /// When the last commit ended, and how long it took.
    last_commit: Option<(std::time::Instant, std::time::Duration)>,
    /// Restarts that found a reader still in the WAL (logged, throttled).
    restart_busy: crate::throttle::Throttled,
}

/// How long a WAL restart waits for readers still reading from the WAL
/// (the writer waits with it); past it, the next request tries again.
const RESTART_WAIT: std::time::Duration = std::time::Duration::from_millis(20);

/// How many of its last commit's length the writer must have been idle
/// for a caller to commit its write itself ([`Writer::quiet`]).
const QUIET_COMMITS: u32 = 3;

/// The longest commit after which a caller may still commit its own write
/// ([`Writer::quiet`]): its runtime thread does nothing else meanwhile.
const QUICK_COMMIT: std::time::Duration = std::time::Duration::from_millis(2);

/// How long a connection waits for a lock another holds.
const BUSY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

impl Writer {
    fn new(conn: Connection, options: SqliteOptions) -> Writer {
        Writer {
            conn,
            options,
            positions: Positions::default(),
            last_commit: None,
            restart_busy: crate::throttle::Throttled::new(
                "the SQLite WAL could not restart yet (a reader was still in it; asked again after the next checkpoint)",
                std::time::Duration::from_secs(60),
            ),
        }
    }

    /// Makes the WAL start over, as the checkpointer asked: copies what
    /// its passive pass left, syncs the database, and lets the next commit
    /// write the WAL from its start (so its file is reused, not grown).
    /// Between two batches, where no transaction of the writer's is open;
    /// readers are waited for at most [`RESTART_WAIT`].
    fn restart_wal(&self) {
        let restart = || -> rusqlite::Result<bool> {
            self.conn.busy_timeout(RESTART_WAIT)?;
            let busy = self
                .conn
                .query_row("PRAGMA wal_checkpoint(RESTART)", [], |r| r.get::<_, i64>(0));
            self.conn.busy_timeout(BUSY_TIMEOUT)?;
            Ok(busy? != 0)
        };
        let started = std::time::Instant::now();
        let outcome = restart();
        crate::metrics::WRITER
            .wal_restart_seconds
            .observe(started.elapsed().as_secs_f64());
        match outcome {
            Ok(false) => {}
            Ok(true) => self.restart_busy.warn(&"busy"),
            Err(e) => self.restart_busy.warn(&e),
        }
    }

    /// Idle for [`QUIET_COMMITS`] times as long as its last commit took,
    /// and that commit quick (at most [`QUICK_COMMIT`]): writes are rare
    /// enough that one arriving now most likely has none to share a commit
    /// with, so its caller may as well commit it. (At higher rates others
    /// arrive while a commit runs, and the writer thread commits them
    /// together. On a disk whose commits are slow, a caller committing
    /// would hold its runtime thread, and the tasks queued on it, that
    /// long: the writer thread commits everything.)
    fn quiet(&self) -> bool {
        self.last_commit.is_none_or(|(ended, took)| {
            took <= QUICK_COMMIT && ended.elapsed() > took * QUIET_COMMITS
        })
    }

    /// Applies a batch in one transaction and answers every write once the
    /// transaction is committed.
    ///
    /// The writes are applied one after the other, without savepoints:
    /// nearly every batch is appends that all succeed, and a savepoint per
    /// write copied each page it touched into a sub-journal (a tenth of
    /// the writer's work flat out). When a write fails, the transaction
    /// is rolled back and the batch applied again with each write in its
    /// own savepoint, so the failed write fails alone.
    ///
    /// Positions move in the cache as writes apply. A write that rolls
    /// back, or a transaction that fails, drops the positions it touched,
    /// so they are read again from the database (through this connection,
    /// which sees the batch's own writes) the next time they are needed.
    fn commit(&mut self, batch: Vec<(Write, Reply)>) {
        let started = std::time::Instant::now();
        crate::metrics::WRITER
            .batch_size
            .observe(batch.len() as f64);
        let Writer {
            conn, positions, ..
        } = self;
        let writes: Vec<&Write> = batch.iter().map(|(write, _)| write).collect();
        let mut touched: Vec<SessionId> = Vec::new();
        let mut outcome = transaction(conn, positions, &writes, &mut touched, false);
        if let Ok(Applied::Retry) = outcome {
            for id in touched.drain(..) {
                positions.remove(&id);
            }
            outcome = transaction(conn, positions, &writes, &mut touched, true);
        }
        let ended = std::time::Instant::now();
        let took = ended.duration_since(started);
        self.last_commit = Some((ended, took));
        crate::metrics::WRITER
            .commit_seconds
            .observe(took.as_secs_f64());
        match outcome {
            Ok(Applied::Committed(results)) => {
                if writes.iter().any(|w| matches!(w, Write::EraseCustomer(_))) {
                    // The WAL still holds the erased rows' old pages: copy
                    // what is committed into the database and empty it.
                    if let Err(e) = conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);") {
                        tracing::warn!(error = %e, "could not empty the WAL after an erasure");
                    }
                }
                for ((_, reply), result) in batch.into_iter().zip(results) {
                    let _ = reply.send(result);
                }
                forget_positions(positions, &touched);
            }
            Ok(Applied::Retry) | Err(_) => {
                let e = match outcome {
                    Err(e) => backend(&e),
                    _ => backend("a write failed outside a savepoint"),
                };
                tracing::error!(error = %e, "store commit failed");
                for id in &touched {
                    positions.remove(id);
                }
                for (_, reply) in batch {
                    let _ = reply.send(Err(e.clone()));
                }
            }
        }
    }
}

/// How a batch's transaction ended.
enum Applied {
    /// Committed, with each write's result.
    Committed(Vec<Result<Vec<SessionId>, StoreError>>),
    /// A write failed while the writes were not isolated: rolled back,
    /// nothing stored.
    Retry,
}

/// Applies `writes` in one transaction, each in its own savepoint when
/// `isolated` (a failed write is then rolled back alone and the rest
/// committed); otherwise the first failed write rolls everything back
/// ([`Applied::Retry`]). Records the sessions whose positions moved in
/// `touched`.
fn transaction(
    conn: &mut Connection,
    positions: &mut Positions,
    writes: &[&Write],
    touched: &mut Vec<SessionId>,
    isolated: bool,
) -> Result<Applied, rusqlite::Error> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    // The savepoint statements, prepared once per connection (a
    // `Savepoint` would parse its SQL again for every write).
    let step = |sql: &str| tx.prepare_cached(sql)?.execute([]).map(drop);
    let mut results = Vec::with_capacity(writes.len());
    for write in writes {
        if isolated {
            step("SAVEPOINT write")?;
        }
        let mut this = Vec::new();
        let result = apply(&tx, positions, write, &mut this);
        if result.is_err() {
            if !isolated {
                // Dropping the transaction rolls it back.
                touched.append(&mut this);
                return Ok(Applied::Retry);
            }
            step("ROLLBACK TO write")?;
            for id in &this {
                positions.remove(id);
            }
        }
        if isolated {
            step("RELEASE write")?;
        }
        touched.append(&mut this);
        results.push(result);
    }
    tx.commit()?;
    Ok(Applied::Committed(results))
}

/// Most session positions the writer keeps (the sessions written to
/// recently); beyond it, positions are dropped and read again when needed.
const POSITION_CACHE: usize = 100_000;

/// Keeps the writer's position cache bounded by live work, not history:
/// past [`POSITION_CACHE`] positions, the ones not written in this batch
/// are dropped until half remain (ended sessions leave it when written).
fn forget_positions(positions: &mut Positions, touched: &[SessionId]) {
    if positions.len() <= POSITION_CACHE {
        return;
    }
    let keep: std::collections::HashSet<&SessionId> = touched.iter().collect();
    let mut excess = positions.len() - POSITION_CACHE / 2;
    positions.retain(|id, _| {
        if excess == 0 || keep.contains(id) {
            return true;
        }
        excess -= 1;
        false
    });
}

/// Where `session_id` stands (its last seq), read from the database the
/// first time the writer meets it; `None` for a session not stored.
fn position(
    conn: &Connection,
    positions: &mut Positions,
    session_id: &str,
) -> Result<Option<u64>, StoreError> {
    if let Some(&last) = positions.get(session_id) {
        return Ok(Some(last));
    }
    let last = conn
        .prepare_cached("SELECT MAX(seq) FROM events WHERE session_id = ?1")
        .and_then(|mut stmt| stmt.query_row([session_id], |r| r.get::<_, Option<i64>>(0)))
        .map_err(backend)?
        .map(|last| last as u64);
    if let Some(last) = last {
        positions.insert(session_id.to_owned(), last);
    }
    Ok(last)
}

/// Applies one write, moving sessions' positions in `positions`; records
/// the sessions it touched in `touched`.
fn apply(
    conn: &Connection,
    positions: &mut Positions,
    write: &Write,
    touched: &mut Vec<SessionId>,
) -> Result<Vec<SessionId>, StoreError> {
    match write {
        Write::Create(record, first, ops) => {
            check_order(first, 0)?;
            let open = conn
                .prepare_cached(OPEN_SESSION_OF)
                .and_then(|mut stmt| {
                    stmt.query_row([&record.customer.sub], |r| r.get::<_, String>(0))
                        .optional()
                })
                .map_err(backend)?;
            if let Some(session_id) = open {
                return Err(StoreError::AlreadyOpen { session_id });
            }
            let view = SessionView::folded(record, [&**first]);
            exec(
                conn,
                "INSERT INTO sessions (session_id, epoch, customer_sub, customer, context, created_at, state, summary)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'open', ?7)",
                params![
                    record.session_id,
                    record.epoch,
                    record.customer.sub,
                    json(&record.customer)?,
                    json(&record.context)?,
                    record.created_at as i64,
                    json(&view.summary())?,
                ],
            )?;
            insert_event(conn, first)?;
            apply_outbox(conn, &first.session_id, first.seq, ops)?;
            touched.push(record.session_id.clone());
            positions.insert(record.session_id.clone(), first.seq);
            Ok(Vec::new())
        }
        Write::Append(session_id, events, listing) => {
            if events.is_empty() {
                return Ok(Vec::new());
            }
            let last = position(conn, positions, session_id)?
                .ok_or_else(|| StoreError::UnknownSession(session_id.clone()))?;
            check_seqs(session_id, events.iter().map(|a| a.seq), last)?;
            touched.push(session_id.clone());
            for appended in events {
                insert_json(conn, session_id, appended.seq, appended.json()?)?;
                apply_outbox(conn, session_id, appended.seq, &appended.outbox)?;
            }
            if let Some(last) = events.last() {
                positions.insert(session_id.clone(), last.seq);
            }
            // Most runs (messages) change nothing listed but `last_seq`,
            // which reads compute from `events`: the row stays alone.
            let Some(summary) = listing else {
                return Ok(Vec::new());
            };
            let state = state_name(summary.state);
            exec(
                conn,
                "UPDATE sessions SET state = ?2, ended_at = ?3, queue = ?4, summary = ?5 WHERE session_id = ?1",
                params![
                    session_id,
                    state,
                    summary.ended_at.map(|t| t as i64),
                    summary.queue,
                    json(&**summary)?,
                ],
            )?;
            for agent in events.iter().filter_map(|a| a.joined.as_ref()) {
                if summary.agents.contains(agent) {
                    exec(
                        conn,
                        "INSERT OR IGNORE INTO session_agents (session_id, agent) VALUES (?1, ?2)",
                        params![session_id, agent],
                    )?;
                }
            }
            if summary.state == SessionState::Ended {
                // Nothing appends to it again: it leaves the cache.
                positions.remove(session_id);
            }
            Ok(Vec::new())
        }
        Write::DeleteEndedBefore(cutoff) => {
            let ids = select_ids(
                conn,
                "SELECT session_id FROM sessions WHERE state = 'ended' AND ended_at < ?1",
                params![*cutoff as i64],
            )?;
            delete_sessions(conn, &ids, positions, touched)?;
            Ok(ids)
        }
        Write::EraseCustomer(sub) => {
            let ids = select_ids(
                conn,
                "SELECT session_id FROM sessions WHERE customer_sub = ?1",
                params![sub],
            )?;
            delete_sessions(conn, &ids, positions, touched)?;
            Ok(ids)
        }
        Write::PutReceipt(session_id, participant, delivered, read) => {
            exec(
                conn,
                "INSERT INTO receipts (session_id, sub, participant, delivered_seq, read_seq)
                 VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (session_id, sub) DO UPDATE SET
                     participant = excluded.participant,
                     delivered_seq = max(delivered_seq, excluded.delivered_seq),
                     read_seq = max(read_seq, excluded.read_seq)",
                params![
                    session_id,
                    participant.sub,
                    json(participant)?,
                    *delivered as i64,
                    *read as i64
                ],
            )?;
            Ok(Vec::new())
        }
        Write::PutCanned(reply) => {
            exec(
                conn,
                "INSERT INTO canned_responses (shortcut, title, text) VALUES (?1, ?2, ?3)
                 ON CONFLICT (shortcut) DO UPDATE SET title = excluded.title, text = excluded.text",
                params![reply.shortcut, reply.title, reply.text],
            )?;
            Ok(Vec::new())
        }
        Write::DeleteCanned(shortcut) => {
            let deleted = conn
                .execute(
                    "DELETE FROM canned_responses WHERE shortcut = ?1",
                    params![shortcut],
                )
                .map_err(backend)?;
            Ok(if deleted > 0 {
                vec![shortcut.clone()]
            } else {
                Vec::new()
            })
        }
        Write::DeliveryDone(id) => {
            exec(
                conn,
                "DELETE FROM outbox WHERE id = ?1",
                params![*id as i64],
            )?;
            Ok(Vec::new())
        }
        Write::DeliveryRetry(id, due_at, attempts) => {
            exec(
                conn,
                "UPDATE outbox SET due_at = ?2, attempts = ?3 WHERE id = ?1",
                params![*id as i64, *due_at as i64, *attempts],
            )?;
            Ok(Vec::new())
        }
    }
}

/// Writes `bytes` to `dir/name` so that a crash leaves either nothing or
/// the whole file: a temporary file, synced, renamed, the directory synced.
fn write_durably(dir: &Path, name: &str, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write as _;
    std::fs::create_dir_all(dir)?;
    let partial = dir.join(format!(".{name}.partial"));
    let mut file = std::fs::File::create(&partial)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    std::fs::rename(&partial, dir.join(name))?;
    std::fs::File::open(dir)?.sync_all()
}

/// A stored summary with its real `last_seq` (the stored summary's is only
/// updated when something else in it changes).
fn summary_from(json: &str, last_seq: u64) -> Result<SessionSummary, StoreError> {
    let mut summary: SessionSummary = serde_json::from_str(json).map_err(backend)?;
    summary.last_seq = last_seq;
    Ok(summary)
}

/// Runs one statement through the connection's prepared-statement cache.
fn exec(conn: &Connection, sql: &str, params: impl rusqlite::Params) -> Result<usize, StoreError> {
    conn.prepare_cached(sql)
        .and_then(|mut stmt| stmt.execute(params))
        .map_err(backend)
}

fn json(value: &impl serde::Serialize) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(backend)
}

fn insert_event(conn: &Connection, event: &SessionEvent) -> Result<(), StoreError> {
    insert_json(conn, &event.session_id, event.seq, json(event)?)
}

/// Inserts `event`, already serialized as `json`.
fn insert_json(
    conn: &Connection,
    session_id: &str,
    seq: u64,
    json: String,
) -> Result<(), StoreError> {
    exec(
        conn,
        "INSERT INTO events (session_id, seq, event) VALUES (?1, ?2, ?3)",
        params![session_id, seq as i64, json],
    )?;
    Ok(())
}

/// Event `seq`'s webhook work.
fn apply_outbox(
    conn: &Connection,
    session_id: &str,
    seq: u64,
    ops: &[OutboxOp],
) -> Result<(), StoreError> {
    for op in ops {
        match op {
            OutboxOp::Enqueue { url, kind, due_at } => exec(
                conn,
                "INSERT INTO outbox (session_id, seq, url, kind, due_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![session_id, seq as i64, url, kind.as_str(), *due_at as i64],
            ),
            OutboxOp::Hasten { kind, now } => exec(
                conn,
                "UPDATE outbox SET due_at = ?3 WHERE session_id = ?1 AND kind = ?2 AND due_at > ?3",
                params![session_id, kind.as_str(), *now as i64],
            ),
        }?;
    }
    Ok(())
}

fn select_ids(
    conn: &Connection,
    sql: &str,
    params: impl rusqlite::Params,
) -> Result<Vec<SessionId>, StoreError> {
    let mut stmt = conn.prepare(sql).map_err(backend)?;
    let ids = stmt
        .query_map(params, |r| r.get::<_, String>(0))
        .map_err(backend)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(backend)?;
    Ok(ids)
}

fn delete_sessions(
    conn: &Connection,
    ids: &[SessionId],
    positions: &mut Positions,
    touched: &mut Vec<SessionId>,
) -> Result<(), StoreError> {
    for id in ids {
        for table in ["events", "session_agents", "outbox", "receipts", "sessions"] {
            exec(
                conn,
                &format!("DELETE FROM {table} WHERE session_id = ?1"),
                [id],
            )?;
        }
        positions.remove(id);
        touched.push(id.clone());
    }
    Ok(())
}

fn read_session(conn: &Connection, session_id: &str) -> Result<Option<StoredSession>, StoreError> {
    let record = conn
        .query_row(
            "SELECT session_id, epoch, customer, context, created_at FROM sessions WHERE session_id = ?1",
            [session_id],
            record_from_row,
        )
        .optional()
        .map_err(backend)?;
    let Some(record) = record else {
        return Ok(None);
    };
    let record = record?;
    let mut stmt = conn
        .prepare("SELECT event FROM events WHERE session_id = ?1 ORDER BY seq")
        .map_err(backend)?;
    let events = stmt
        .query_map([session_id], |r| r.get::<_, String>(0))
        .map_err(backend)?
        .map(|row| {
            let text = row.map_err(backend)?;
            serde_json::from_str(&text).map_err(backend)
        })
        .collect::<Result<Vec<SessionEvent>, StoreError>>()?;
    Ok(Some(StoredSession { record, events }))
}

fn record_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Result<SessionRecord, StoreError>> {
    let customer: String = r.get(2)?;
    let context: String = r.get(3)?;
    let created_at: i64 = r.get(4)?;
    Ok((|| {
        Ok(SessionRecord {
            session_id: r.get(0).map_err(backend)?,
            epoch: r.get(1).map_err(backend)?,
            customer: serde_json::from_str::<Principal>(&customer).map_err(backend)?,
            context: serde_json::from_str::<CustomerContext>(&context).map_err(backend)?,
            created_at: created_at as u64,
        })
    })())
}

impl SessionStore for SqliteStore {
    fn create<'a>(
        &'a self,
        record: &'a SessionRecord,
        first: &'a SessionEvent,
        outbox: &'a [OutboxOp],
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        let write = self.write(Write::Create(
            Box::new(record.clone()),
            Box::new(first.clone()),
            outbox.to_vec(),
        ));
        Box::pin(async move { write.await.map(|_| ()) })
    }

    fn append<'a>(
        &'a self,
        events: &'a [NewEvent],
        listing: Option<&'a SessionSummary>,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        let write = self.write(Write::append(events, listing));
        Box::pin(async move { write.await.map(|_| ()) })
    }

    fn load(&self) -> BoxFuture<'_, Result<Vec<StoredSession>, StoreError>> {
        self.read(|conn| {
            let ids = select_ids(
                conn,
                "SELECT session_id FROM sessions ORDER BY created_at",
                [],
            )?;
            let mut all = Vec::with_capacity(ids.len());
            for id in ids {
                all.extend(read_session(conn, &id)?);
            }
            Ok(all)
        })
    }

    fn get<'a>(
        &'a self,
        session_id: &'a str,
    ) -> BoxFuture<'a, Result<Option<StoredSession>, StoreError>> {
        let id = session_id.to_owned();
        self.read(move |conn| read_session(conn, &id))
    }

    fn events_after<'a>(
        &'a self,
        session_id: &'a str,
        after_seq: u64,
        limit: usize,
    ) -> BoxFuture<'a, Result<Vec<SessionEvent>, StoreError>> {
        let id = session_id.to_owned();
        self.read(move |conn| {
            let mut stmt = conn
                .prepare_cached(
                    "SELECT event FROM events WHERE session_id = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3",
                )
                .map_err(backend)?;
            let rows = stmt
                .query_map(params![id, after_seq as i64, limit as i64], |r| {
                    r.get::<_, String>(0)
                })
                .map_err(backend)?;
            rows.map(|row| serde_json::from_str(&row.map_err(backend)?).map_err(backend))
                .collect()
        })
    }

    fn summary<'a>(
        &'a self,
        session_id: &'a str,
    ) -> BoxFuture<'a, Result<Option<SessionSummary>, StoreError>> {
        let id = session_id.to_owned();
        self.read(move |conn| {
            conn.query_row(
                "SELECT summary, (SELECT MAX(seq) FROM events e WHERE e.session_id = s.session_id)
                 FROM sessions s WHERE session_id = ?1",
                [id],
                |r| Ok((r.get::<_, String>(0)?, r.get::<_, u64>(1)?)),
            )
            .optional()
            .map_err(backend)?
            .map(|(json, last_seq)| summary_from(&json, last_seq))
            .transpose()
        })
    }

    fn list<'a>(
        &'a self,
        filter: &'a SessionFilter,
    ) -> BoxFuture<'a, Result<Vec<SessionSummary>, StoreError>> {
        let filter = filter.clone();
        self.read(move |conn| {
            let state = filter.state.map(state_name);
            let mut stmt = conn
                .prepare(
                    "SELECT summary, (SELECT MAX(seq) FROM events e WHERE e.session_id = s.session_id)
                     FROM sessions s
                     WHERE (?1 IS NULL OR state = ?1)
                       AND (?2 IS NULL OR queue = ?2)
                       AND (?3 IS NULL OR EXISTS (SELECT 1 FROM session_agents a
                                                  WHERE a.session_id = s.session_id AND a.agent = ?3))
                       AND (?4 IS NULL OR customer_sub = ?4)
                       AND (?5 IS NULL OR created_at >= ?5)
                       AND (?6 IS NULL OR created_at < ?6)
                       AND (?8 IS NULL OR (json_extract(summary, '$.offline_email') IS NOT NULL) = ?8)
                     ORDER BY created_at DESC, session_id DESC
                     LIMIT ?7",
                )
                .map_err(backend)?;
            let rows = stmt
                .query_map(
                    params![
                        state,
                        filter.queue,
                        filter.agent,
                        filter.customer,
                        filter.since.map(|t| t as i64),
                        filter.until.map(|t| t as i64),
                        filter.limit as i64,
                        filter.offline,
                    ],
                    |r| Ok((r.get::<_, String>(0)?, r.get::<_, u64>(1)?)),
                )
                .map_err(backend)?;
            rows.map(|row| {
                let (json, last_seq) = row.map_err(backend)?;
                summary_from(&json, last_seq)
            })
            .collect()
        })
    }

    fn delete_ended_before(
        &self,
        cutoff: u64,
    ) -> BoxFuture<'_, Result<Vec<SessionId>, StoreError>> {
        self.delete_sessions(Write::DeleteEndedBefore(cutoff))
    }

    fn open_session_of<'a>(
        &'a self,
        sub: &'a str,
    ) -> BoxFuture<'a, Result<Option<SessionId>, StoreError>> {
        let sub = sub.to_owned();
        self.read(move |conn| {
            conn.prepare_cached(OPEN_SESSION_OF)
                .and_then(|mut stmt| stmt.query_row([&sub], |r| r.get::<_, String>(0)).optional())
                .map_err(backend)
        })
    }

    fn erase_customer<'a>(
        &'a self,
        sub: &'a str,
    ) -> BoxFuture<'a, Result<Vec<SessionId>, StoreError>> {
        self.delete_sessions(Write::EraseCustomer(sub.to_owned()))
    }

    fn due_deliveries(
        &self,
        now: u64,
        limit: usize,
    ) -> BoxFuture<'_, Result<Vec<Delivery>, StoreError>> {
        self.read(move |conn| {
            let mut stmt = conn
                .prepare(
                    "SELECT id, session_id, seq, url, kind, attempts FROM outbox
                     WHERE due_at <= ?1 ORDER BY due_at, id LIMIT ?2",
                )
                .map_err(backend)?;
            let rows = stmt
                .query_map(params![now as i64, limit as i64], |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, i64>(2)?,
                        r.get::<_, String>(3)?,
                        r.get::<_, String>(4)?,
                        r.get::<_, u32>(5)?,
                    ))
                })
                .map_err(backend)?;
            let mut out = Vec::new();
            for row in rows {
                let (id, session_id, seq, url, kind, attempts) = row.map_err(backend)?;
                let kind = WebhookKind::parse(&kind)
                    .ok_or_else(|| StoreError::Backend(format!("unknown webhook kind {kind}")))?;
                out.push(Delivery {
                    id: id as u64,
                    session_id,
                    seq: seq as u64,
                    url,
                    kind,
                    attempts,
                });
            }
            Ok(out)
        })
    }

    fn next_delivery_at(&self) -> BoxFuture<'_, Result<Option<u64>, StoreError>> {
        self.read(|conn| {
            conn.query_row("SELECT MIN(due_at) FROM outbox", [], |r| {
                r.get::<_, Option<i64>>(0)
            })
            .map(|t| t.map(|t| t as u64))
            .map_err(backend)
        })
    }

    fn delivery_done(&self, id: u64) -> BoxFuture<'_, Result<(), StoreError>> {
        let write = self.write(Write::DeliveryDone(id));
        Box::pin(async move { write.await.map(|_| ()) })
    }

    fn delivery_retry(
        &self,
        id: u64,
        due_at: u64,
        attempts: u32,
    ) -> BoxFuture<'_, Result<(), StoreError>> {
        let write = self.write(Write::DeliveryRetry(id, due_at, attempts));
        Box::pin(async move { write.await.map(|_| ()) })
    }

    fn pending_deliveries(&self) -> BoxFuture<'_, Result<u64, StoreError>> {
        self.read(|conn| {
            conn.query_row("SELECT COUNT(*) FROM outbox", [], |r| r.get::<_, i64>(0))
                .map(|n| n.max(0) as u64)
                .map_err(backend)
        })
    }

    fn put_receipt<'a>(
        &'a self,
        session_id: &'a str,
        participant: &'a Principal,
        delivered_seq: u64,
        read_seq: u64,
    ) -> BoxFuture<'a, Result<Receipt, StoreError>> {
        let write = self.write(Write::PutReceipt(
            session_id.to_owned(),
            Box::new(participant.clone()),
            delivered_seq,
            read_seq,
        ));
        let sub = participant.sub.clone();
        Box::pin(async move {
            write.await?;
            // Read back after the commit: the horizons as they stand, which
            // another tab's concurrent receipt may have moved further.
            self.receipts(session_id)
                .await?
                .into_iter()
                .find(|r| r.participant.sub == sub)
                .ok_or_else(|| StoreError::Backend("the receipt was not stored".into()))
        })
    }

    fn receipts<'a>(
        &'a self,
        session_id: &'a str,
    ) -> BoxFuture<'a, Result<Vec<Receipt>, StoreError>> {
        let session_id = session_id.to_owned();
        self.read(move |conn| {
            let mut statement = conn
                .prepare_cached(
                    "SELECT participant, delivered_seq, read_seq FROM receipts WHERE session_id = ?1",
                )
                .map_err(backend)?;
            let rows = statement
                .query_map([&session_id], |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, i64>(1)?,
                        r.get::<_, i64>(2)?,
                    ))
                })
                .map_err(backend)?;
            let mut out = Vec::new();
            for row in rows {
                let (participant, delivered, read) = row.map_err(backend)?;
                out.push(Receipt {
                    participant: serde_json::from_str(&participant).map_err(backend)?,
                    delivered_seq: delivered.max(0) as u64,
                    read_seq: read.max(0) as u64,
                });
            }
            Ok(out)
        })
    }

    fn put_blob<'a>(
        &'a self,
        session_id: &'a str,
        id: &'a str,
        bytes: Vec<u8>,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        if let Err(e) = super::check_blob_ids(session_id, id) {
            return Box::pin(async move { Err(e) });
        }
        let dir = self.blobs.join(session_id);
        let id = id.to_owned();
        Box::pin(async move {
            tokio::task::spawn_blocking(move || write_durably(&dir, &id, &bytes))
                .await
                .map_err(backend)?
                .map_err(backend)
        })
    }

    fn blob<'a>(
        &'a self,
        session_id: &'a str,
        id: &'a str,
    ) -> BoxFuture<'a, Result<Option<Vec<u8>>, StoreError>> {
        if super::check_blob_ids(session_id, id).is_err() {
            return Box::pin(async { Ok(None) });
        }
        let file = self.blobs.join(session_id).join(id);
        Box::pin(async move {
            tokio::task::spawn_blocking(move || match std::fs::read(&file) {
                Ok(bytes) => Ok(Some(bytes)),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                Err(e) => Err(backend(e)),
            })
            .await
            .map_err(backend)?
        })
    }

    fn canned_responses(&self) -> BoxFuture<'_, Result<Vec<CannedResponse>, StoreError>> {
        self.read(|conn| {
            let mut statement = conn
                .prepare("SELECT shortcut, title, text FROM canned_responses ORDER BY shortcut")
                .map_err(backend)?;
            let rows = statement
                .query_map([], |r| {
                    Ok(CannedResponse {
                        shortcut: r.get(0)?,
                        title: r.get(1)?,
                        text: r.get(2)?,
                    })
                })
                .map_err(backend)?;
            rows.collect::<Result<Vec<_>, _>>().map_err(backend)
        })
    }

    fn put_canned_response<'a>(
        &'a self,
        reply: &'a CannedResponse,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        let write = self.write(Write::PutCanned(reply.clone()));
        Box::pin(async move { write.await.map(|_| ()) })
    }

    fn delete_canned_response<'a>(
        &'a self,
        shortcut: &'a str,
    ) -> BoxFuture<'a, Result<bool, StoreError>> {
        let write = self.write(Write::DeleteCanned(shortcut.to_owned()));
        Box::pin(async move { write.await.map(|deleted| !deleted.is_empty()) })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // tests may panic

    use super::*;
    use seam_protocol::Role;
    use std::task::{Context, Poll, Waker};
    use std::time::Duration;

    fn message(seq: u64, text: &str) -> SessionEvent {
        message_in("s1", seq, text)
    }

    /// Event `seq` of session `session_id`: it opens the session when 1,
    /// else says `text`.
    fn message_in(session_id: &str, seq: u64, text: &str) -> SessionEvent {
        SessionEvent {
            session_id: session_id.into(),
            seq,
            at: 1_000 + seq,
            from: Principal {
                sub: "carol".into(),
                role: Role::Customer,
                name: None,
            },
            client_id: None,
            body: if seq == 1 {
                EventBody::SessionOpened {
                    context: CustomerContext::default(),
                }
            } else {
                EventBody::message(text)
            },
        }
    }

    /// An empty directory for one test (`seam-NAME-PID` in the temporary
    /// directory) and the database path in it.
    fn fresh_dir(name: &str) -> (PathBuf, PathBuf) {
        let dir = std::env::temp_dir().join(format!("seam-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("seam.db");
        (dir, path)
    }

    /// A writer's connection to a database at `path`, migrated.
    fn migrated(path: &Path) -> Connection {
        let mut conn = open_connection(path, SqliteOptions::default()).unwrap();
        migrate(&mut conn).unwrap();
        conn
    }

    /// The record of the session `first` opens.
    fn record(first: &SessionEvent) -> SessionRecord {
        SessionRecord {
            session_id: first.session_id.clone(),
            epoch: "e1".into(),
            customer: first.from.clone(),
            context: CustomerContext::default(),
            created_at: 1_000,
        }
    }

    /// A database written before events were kept in arrival order: its
    /// events survive the migration, in order, and the session goes on.
    #[tokio::test]
    async fn events_clustered_by_session_move_to_arrival_order_intact() {
        let (dir, path) = fresh_dir("arrival");
        {
            let mut conn = Connection::open(&path).unwrap();
            migrate_to(&mut conn, MIGRATIONS.len() - 1).unwrap();
            let first = message(1, "");
            let rec = record(&first);
            conn.execute(
                "INSERT INTO sessions (session_id, epoch, customer_sub, customer, context, created_at, state, summary)
                 VALUES ('s1', ?1, 'carol', ?2, '{}', 1000, 'open', ?3)",
                params![
                    rec.epoch,
                    json(&rec.customer).unwrap(),
                    json(&SessionView::new(&rec).summary()).unwrap()
                ],
            )
            .unwrap();
            insert_event(&conn, &first).unwrap();
            for seq in 2..=5 {
                insert_event(&conn, &message(seq, &format!("old {seq}"))).unwrap();
            }
        }
        let store = SqliteStore::open(&path, SqliteOptions::default()).unwrap();
        let new = [NewEvent::plain(message(6, "new"))];
        store.append(&new, None).await.unwrap();
        let stored = store.get("s1").await.unwrap().unwrap();
        let seqs: Vec<u64> = stored.events.iter().map(|e| e.seq).collect();
        assert_eq!(seqs, [1, 2, 3, 4, 5, 6]);
        let texts: Vec<String> = stored.events[1..]
            .iter()
            .map(|e| match &e.body {
                EventBody::Message { text, .. } => text.clone(),
                other => format!("{other:?}"),
            })
            .collect();
        assert_eq!(texts, ["old 2", "old 3", "old 4", "old 5", "new"]);
        // A seq taken stays taken: the primary key came along.
        let again = store
            .append(&[NewEvent::plain(message(6, "x"))], None)
            .await;
        assert!(
            matches!(again, Err(StoreError::OutOfOrder { .. })),
            "{again:?}"
        );
        drop(store);
        let conn = Connection::open(&path).unwrap();
        let sql: String = conn
            .query_row(
                "SELECT sql FROM sqlite_master WHERE name = 'events'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert!(!sql.contains("WITHOUT ROWID"), "{sql}");
        let version: usize = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(version, MIGRATIONS.len());
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// A batch is committed in one pass without savepoints; a write refused
    /// in it fails alone: the batch is applied again with each write in
    /// its own savepoint, the others are stored, and the session's
    /// position is right for the next batch.
    #[test]
    fn a_refused_write_fails_alone_in_its_batch() {
        let (dir, path) = fresh_dir("batch");
        let mut writer = Writer::new(migrated(&path), SqliteOptions::default());
        let mut commit = |writes: Vec<Write>| {
            let (batch, answers): (Vec<_>, Vec<_>) = writes
                .into_iter()
                .map(|write| {
                    let (reply, answer) = oneshot::channel();
                    ((write, reply), answer)
                })
                .unzip();
            writer.commit(batch);
            answers
                .into_iter()
                .map(|mut answer| answer.try_recv().unwrap())
                .collect::<Vec<_>>()
        };
        let append = |seq: u64| Write::append(&[NewEvent::plain(message(seq, "hi"))], None);
        let first = message(1, "");
        let created = commit(vec![Write::Create(
            Box::new(record(&first)),
            Box::new(first),
            Vec::new(),
        )]);
        assert!(created[0].is_ok(), "{created:?}");

        let answers = commit(vec![append(2), append(9), append(3)]);
        assert!(answers[0].is_ok(), "{answers:?}");
        assert!(
            matches!(
                answers[1],
                Err(StoreError::OutOfOrder {
                    seq: 9,
                    expected: 3,
                    ..
                })
            ),
            "{answers:?}"
        );
        assert!(answers[2].is_ok(), "{answers:?}");
        let answers = commit(vec![append(4), append(5)]);
        assert!(answers.iter().all(Result::is_ok), "{answers:?}");

        let reader = open_connection(&path, SqliteOptions::default()).unwrap();
        let stored = read_session(&reader, "s1").unwrap().unwrap();
        let seqs: Vec<u64> = stored.events.iter().map(|e| e.seq).collect();
        assert_eq!(seqs, [1, 2, 3, 4, 5]);
        drop(reader);
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// A writer on the migrated database at `path`, and its writer thread
    /// running.
    fn writer_thread(path: &Path, options: SqliteOptions) -> (Arc<Writes>, JoinHandle<()>) {
        let writes = Arc::new(Writes::new(Writer::new(migrated(path), options)));
        let thread = {
            let writes = Arc::clone(&writes);
            std::thread::spawn(move || writes.run())
        };
        (writes, thread)
    }

    /// Queues `write` (nobody is told of it yet) and gives its answer.
    fn queued(
        writes: &Writes,
        write: Write,
    ) -> oneshot::Receiver<Result<Vec<SessionId>, StoreError>> {
        let (reply, answer) = oneshot::channel();
        assert!(writes.push(write, reply));
        answer
    }

    /// The WAL file's size (a restart reuses the file: it does not shrink).
    fn wal_bytes(path: &Path) -> u64 {
        std::fs::metadata(path.with_extension("db-wal"))
            .unwrap()
            .len()
    }

    /// Asked by the checkpointer, the writer thread makes the WAL start
    /// over, even when no write comes to wake it (at low rates callers
    /// commit their writes themselves): the commits after it write the
    /// WAL from its start instead of growing it. (Left to the
    /// checkpointer, the restart waited for a gap between the writer's
    /// transactions that a busy writer never leaves.)
    #[test]
    fn the_writer_restarts_the_wal_when_asked() {
        let (dir, path) = fresh_dir("restart");
        let (writes, thread) = writer_thread(&path, SqliteOptions::default());
        let send = |write: Write| {
            let answer = queued(&writes, write);
            writes.commit_here();
            answer.blocking_recv().unwrap().unwrap();
        };
        let first = message(1, "");
        let record = record(&first);
        send(Write::Create(Box::new(record), Box::new(first), Vec::new()));
        let append =
            |seq: u64| Write::append(&[NewEvent::plain(message(seq, &"x".repeat(2_000)))], None);
        for seq in 2..=200 {
            send(append(seq));
        }
        // Nothing checkpoints here: every commit grows the WAL.
        let grown = wal_bytes(&path);
        send(append(201));
        assert!(wal_bytes(&path) > grown, "without a restart the WAL grows");

        // Process-wide: other tests' restarts can only add to it.
        let restarts = crate::metrics::WRITER
            .wal_restart_seconds
            .get_sample_count();
        writes.ask_restart();
        let asked = std::time::Instant::now();
        while writes.queue().restart {
            assert!(asked.elapsed() < Duration::from_secs(10), "never taken");
            std::thread::sleep(Duration::from_millis(1));
        }
        // The thread holds the writer while it restarts.
        drop(writes.writer.lock().unwrap());
        assert!(
            crate::metrics::WRITER
                .wal_restart_seconds
                .get_sample_count()
                > restarts,
            "the restart was measured"
        );
        // The restart itself does not resize the file.
        let restarted = wal_bytes(&path);
        for seq in 202..=210 {
            send(append(seq));
        }
        assert_eq!(
            wal_bytes(&path),
            restarted,
            "the commits after the restart wrote the WAL from its start"
        );
        writes.close();
        thread.join().unwrap();
        // Nothing was lost on the way.
        let conn = Connection::open(&path).unwrap();
        let count: i64 = conn
            .query_row(
                "SELECT COUNT(*) FROM events WHERE session_id = 's1'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(count, 210);
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// A restart asked while writes are queued is made between two
    /// batches, not once the queue is empty (a steady stream of writes
    /// would keep it from ever coming): the WAL then holds only the
    /// commits made after it.
    #[test]
    fn a_restart_asked_while_writes_are_queued_comes_before_the_next_batch() {
        let (dir, path) = fresh_dir("restart-queued");
        let options = SqliteOptions {
            max_batch: 1,
            ..SqliteOptions::default()
        };
        let (writes, thread) = writer_thread(&path, options);
        let queue = |write: Write| {
            let answer = queued(&writes, write);
            writes.ring();
            answer
        };
        let first = message(1, "");
        let record = record(&first);
        let append = |seq: u64| Write::append(&[NewEvent::plain(message(seq, "x"))], None);
        // A hundred commits, one write each, before any restart is asked.
        let mut answers = vec![queue(Write::Create(
            Box::new(record),
            Box::new(first),
            Vec::new(),
        ))];
        answers.extend((2..=100).map(|seq| queue(append(seq))));
        for answer in answers.drain(..) {
            answer.blocking_recv().unwrap().unwrap();
        }

        // Three more queued while the writer is held, and a restart asked.
        let held = writes.writer.lock().unwrap();
        answers.extend((101..=103).map(|seq| queue(append(seq))));
        writes.ask_restart();
        drop(held);
        for answer in answers {
            answer.blocking_recv().unwrap().unwrap();
        }
        writes.close();
        thread.join().unwrap();
        let frames = wal_frames(&path);
        assert!(
            frames < 20,
            "the WAL holds the three commits after the restart, not {frames} frames"
        );
        drop(writes);
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// The frames the WAL holds (its log, whether checkpointed or not),
    /// read through a connection of its own.
    fn wal_frames(path: &Path) -> i64 {
        let conn = Connection::open(path).unwrap();
        conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| r.get(1))
            .unwrap()
    }

    /// Polls `future` once, as a caller does right after making it.
    fn poll_once<T>(future: &mut BoxFuture<'_, T>) -> Poll<T> {
        future
            .as_mut()
            .poll(&mut Context::from_waker(Waker::noop()))
    }

    /// Makes the writer quiet ([`Writer::quiet`]), as after a quick
    /// commit long ago, whatever this machine's disk took for the last one.
    fn as_if_quiet(store: &SqliteStore) {
        let long_ago = std::time::Instant::now()
            .checked_sub(Duration::from_secs(1))
            .unwrap();
        store.writes.writer.lock().unwrap().last_commit = Some((long_ago, Duration::ZERO));
    }

    /// A quiet writer's write is committed on its caller's thread: durable
    /// when the call returns, without waking the writer thread. A writer
    /// found busy leaves the write to whoever holds it, who rings the
    /// thread when done.
    #[tokio::test]
    async fn a_write_to_a_quiet_writer_is_committed_by_its_caller() {
        let (dir, path) = fresh_dir("caller");
        let store = SqliteStore::open(&path, SqliteOptions::default()).unwrap();
        let first = message(1, "");
        let record = record(&first);
        store.create(&record, &first, &[]).await.unwrap();

        as_if_quiet(&store);
        let new = [NewEvent::plain(message(2, "committed here"))];
        let mut append = store.append(&new, None);
        assert!(
            matches!(poll_once(&mut append), Poll::Ready(Ok(()))),
            "durable when the call returned"
        );
        drop(append);

        as_if_quiet(&store);
        let busy = store.writes.writer.lock().unwrap();
        let new = [NewEvent::plain(message(3, "left to the holder"))];
        let mut append = store.append(&new, None);
        assert!(poll_once(&mut append).is_pending(), "the writer was busy");
        drop(busy);
        store.writes.ring();
        append.await.unwrap();

        let stored = store.get("s1").await.unwrap().unwrap();
        let seqs: Vec<u64> = stored.events.iter().map(|e| e.seq).collect();
        assert_eq!(seqs, [1, 2, 3]);
        drop(store);
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// Writers on many threads, some quiet and committing their own
    /// writes, some arriving together and committed by the writer thread,
    /// with retention sweeps (always the thread's) among them: every
    /// write is stored, each session's in order, and the store can be
    /// dropped with writes still queued without losing them.
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn writes_from_many_threads_are_all_committed_in_order() {
        let (dir, path) = fresh_dir("many");
        let store = Arc::new(SqliteStore::open(&path, SqliteOptions::default()).unwrap());
        const SESSIONS: usize = 8;
        const EVENTS: u64 = 60;
        let mut tasks = Vec::new();
        for s in 0..SESSIONS {
            let store = Arc::clone(&store);
            tasks.push(tokio::spawn(async move {
                let id = format!("s{s}");
                let mut first = message_in(&id, 1, "");
                first.from.sub = format!("customer-{s}");
                store.create(&record(&first), &first, &[]).await.unwrap();
                for seq in 2..=EVENTS {
                    let new = [NewEvent::plain(message_in(&id, seq, "hi"))];
                    store.append(&new, None).await.unwrap();
                    if seq % 3 == s as u64 % 3 {
                        tokio::time::sleep(Duration::from_millis(seq % 4)).await;
                    }
                    if seq % 20 == 0 {
                        store.delete_ended_before(0).await.unwrap();
                    }
                }
            }));
        }
        for task in tasks {
            tokio::time::timeout(Duration::from_secs(30), task)
                .await
                .expect("every write answered")
                .unwrap();
        }
        // Queued, not awaited, then the store dropped: the thread commits
        // them before it exits.
        let last: Vec<_> = (0..SESSIONS)
            .map(|s| {
                [NewEvent::plain(message_in(
                    &format!("s{s}"),
                    EVENTS + 1,
                    "last",
                ))]
            })
            .collect();
        let pending: Vec<_> = last.iter().map(|new| store.append(new, None)).collect();
        drop(pending);
        drop(Arc::into_inner(store).unwrap());

        let store = SqliteStore::open(&path, SqliteOptions::default()).unwrap();
        for s in 0..SESSIONS {
            let stored = store.get(&format!("s{s}")).await.unwrap().unwrap();
            let seqs: Vec<u64> = stored.events.iter().map(|e| e.seq).collect();
            assert_eq!(seqs, (1..=EVENTS + 1).collect::<Vec<_>>(), "session s{s}");
        }
        drop(store);
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// A caller commits only after a quiet spell, and never after a slow
    /// commit (a slow disk would hold its runtime thread).
    #[test]
    fn a_caller_commits_only_after_quick_commits_and_a_quiet_spell() {
        let (dir, path) = fresh_dir("quiet");
        let mut writer = Writer::new(migrated(&path), SqliteOptions::default());
        assert!(writer.quiet(), "nothing committed yet");
        let now = std::time::Instant::now();
        // Ending an hour from now: no time has passed since, whatever the
        // machine's pace.
        writer.last_commit = Some((now + Duration::from_secs(3_600), Duration::ZERO));
        assert!(!writer.quiet(), "just committed");
        let long_ago = now.checked_sub(Duration::from_secs(1)).unwrap();
        writer.last_commit = Some((long_ago, Duration::from_millis(1)));
        assert!(writer.quiet(), "idle for far longer than a quick commit");
        writer.last_commit = Some((long_ago, QUICK_COMMIT * 2));
        assert!(!writer.quiet(), "the last commit was slow");
        drop(writer);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
