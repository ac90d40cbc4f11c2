//! The PostgreSQL store: the durable log of a cluster (and of a single node
//! that wants a server database).
//!
//! PostgreSQL is the `seq` authority. An append names the seq it takes; the
//! store locks the session's row, and stores the event only if that seq is
//! the next one, so two nodes appending to one session at once cannot both
//! win: the loser gets [`StoreError::OutOfOrder`], catches up and decides
//! again. Two more rules live in the database, not in a node's memory: one
//! open session per customer (a unique partial index; a second node's
//! `create` gets [`StoreError::AlreadyOpen`]), and one event per
//! `(session, principal, command id)` ([`StoreError::DuplicateCommand`]).
//!
//! Writes go through writer tasks (`writers`, 2 by default), each with its
//! own connection; a session's writes always go to the same one, so they
//! stay in order and two writers never lock the same session. A writer
//! takes every write queued for it (up to a batch limit) and commits them in
//! one transaction, a handful of statements whatever the batch size (arrays
//! through `unnest`, the insert and the update pipelined): group commit, so
//! many acknowledged events share one WAL flush, and PostgreSQL flushes the
//! writers' concurrent commits together. Reads use one more connection,
//! which pipelines concurrent queries. Both reconnect by themselves; while the server is unreachable
//! every call fails with [`StoreError::Unavailable`].
//!
//! Webhook deliveries are claimed (`claimed_until`) with `FOR UPDATE SKIP
//! LOCKED`, so each is handed to one node at a time.

use std::collections::{HashMap, HashSet};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use seam_protocol::{
    AgentStatus, CannedResponse, EventBody, Principal, Receipt, SessionEvent, SessionId,
};
use tokio::sync::{mpsc, oneshot, Mutex};
use tokio_postgres::error::SqlState;
use tokio_postgres::types::ToSql;
use tokio_postgres::{Client, Config, NoTls, Row, Statement};

use super::{
    check_run, state_name, AgentStatusRecord, BoxFuture, Delivery, LeaseHold, NewEvent, OutboxOp,
    SessionFilter, SessionRecord, SessionStore, SessionSummary, StoreError, StoredSession,
    WebhookKind,
};
use crate::session::SessionView;

/// Schema migrations, applied in order; `seam_schema.version` counts those
/// applied.
const MIGRATIONS: &[&str] = &[
    r#"
CREATE TABLE sessions (
    session_id   TEXT PRIMARY KEY,
    epoch        TEXT NOT NULL,
    customer_sub TEXT NOT NULL,
    customer     TEXT NOT NULL,
    context      TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    state        TEXT NOT NULL,
    ended_at     BIGINT,
    queue        TEXT,
    summary      TEXT NOT NULL,
    last_seq     BIGINT NOT NULL
);
CREATE UNIQUE INDEX one_open_session_per_customer ON sessions (customer_sub) WHERE state = 'open';
CREATE INDEX sessions_by_created ON sessions (created_at);
CREATE INDEX sessions_by_customer ON sessions (customer_sub);
CREATE INDEX sessions_by_end ON sessions (state, ended_at);
CREATE TABLE session_agents (
    session_id TEXT NOT NULL,
    agent      TEXT NOT NULL,
    PRIMARY KEY (session_id, agent)
);
CREATE TABLE events (
    session_id TEXT NOT NULL,
    seq        BIGINT NOT NULL,
    from_sub   TEXT NOT NULL,
    command_id TEXT,
    event      TEXT NOT NULL,
    PRIMARY KEY (session_id, seq)
);
CREATE UNIQUE INDEX one_event_per_command ON events (session_id, from_sub, command_id)
    WHERE command_id IS NOT NULL;
CREATE TABLE outbox (
    id            BIGSERIAL PRIMARY KEY,
    session_id    TEXT NOT NULL,
    seq           BIGINT NOT NULL,
    url           TEXT NOT NULL,
    kind          TEXT NOT NULL,
    due_at        BIGINT NOT NULL,
    attempts      INTEGER NOT NULL DEFAULT 0,
    claimed_until BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX outbox_by_due ON outbox (due_at);
CREATE INDEX outbox_by_session ON outbox (session_id);
"#,
    r#"
CREATE TABLE leases (
    name       TEXT PRIMARY KEY,
    holder     TEXT NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL
);
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
    delivered_seq BIGINT NOT NULL,
    read_seq      BIGINT NOT NULL,
    PRIMARY KEY (session_id, sub)
);
"#,
    r#"
CREATE TABLE attachments (
    session_id TEXT NOT NULL,
    id         TEXT NOT NULL,
    bytes      BYTEA NOT NULL,
    PRIMARY KEY (session_id, id)
);
"#,
    r#"
CREATE TABLE agent_status (
    sub      TEXT PRIMARY KEY,
    status   TEXT NOT NULL,
    skills   TEXT,
    capacity INTEGER,
    at       BIGINT NOT NULL
);
"#,
];

/// How long a node holds a claimed webhook delivery before another node may
/// take it (longer than any delivery attempt).
const CLAIM_MS: u64 = 60_000;

/// How long one statement or batch may take before the connection is
/// considered lost.
const STATEMENT_TIMEOUT: Duration = Duration::from_secs(10);

/// Where the PostgreSQL store keeps its tables.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostgresOptions {
    /// A `postgres://` URL or a `key=value` connection string.
    pub url: String,
    /// The schema the tables live in (created if missing).
    pub schema: String,
    /// Most appends committed together.
    pub max_batch: usize,
    /// Writer connections, each committing its own batches: a session's
    /// writes always go to the same one (so they stay in order), and
    /// PostgreSQL flushes concurrent commits together.
    pub writers: usize,
}

impl PostgresOptions {
    /// The default schema and batch size for `url`.
    pub fn new(url: impl Into<String>) -> PostgresOptions {
        PostgresOptions {
            url: url.into(),
            schema: "public".into(),
            max_batch: 512,
            writers: 2,
        }
    }
}

fn backend(e: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(e.to_string())
}

/// A database error as a store error: a lost or refused connection is
/// [`StoreError::Unavailable`], anything else a backend failure.
fn pg_error(e: tokio_postgres::Error) -> StoreError {
    let lost = e.is_closed()
        || e.code().is_none()
        || e.code() == Some(&SqlState::ADMIN_SHUTDOWN)
        || e.code() == Some(&SqlState::CANNOT_CONNECT_NOW);
    if lost {
        StoreError::Unavailable(e.to_string())
    } else {
        StoreError::Backend(e.to_string())
    }
}

/// Unix milliseconds as a BIGINT (the far future stays the far future).
fn millis(t: u64) -> i64 {
    i64::try_from(t).unwrap_or(i64::MAX)
}

fn json(value: &impl serde::Serialize) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(backend)
}

fn parse<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, StoreError> {
    serde_json::from_str(text).map_err(backend)
}

fn parse_status(name: &str) -> Result<AgentStatus, StoreError> {
    AgentStatus::ALL
        .into_iter()
        .find(|s| s.as_str() == name)
        .ok_or_else(|| backend(format!("unknown agent status `{name}`")))
}

/// A connection that is opened again when it was lost.
struct Connection {
    config: Config,
    schema: String,
    client: Mutex<Option<Arc<Client>>>,
}

impl Connection {
    fn new(options: &PostgresOptions) -> Result<Connection, StoreError> {
        let mut config = Config::from_str(&options.url).map_err(backend)?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(Duration::from_secs(3));
        }
        config.keepalives_idle(Duration::from_secs(10));
        if !options
            .schema
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_')
        {
            return Err(StoreError::Backend(format!(
                "invalid schema name {:?}: letters, digits and _ only",
                options.schema
            )));
        }
        Ok(Connection {
            config,
            schema: options.schema.clone(),
            client: Mutex::new(None),
        })
    }

    /// The open client, connecting first if there is none or it closed.
    async fn client(&self) -> Result<Arc<Client>, StoreError> {
        let mut held = self.client.lock().await;
        if let Some(client) = held.as_ref().filter(|c| !c.is_closed()) {
            return Ok(Arc::clone(client));
        }
        *held = None;
        let (client, connection) = self
            .config
            .connect(NoTls)
            .await
            .map_err(|e| StoreError::Unavailable(e.to_string()))?;
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::debug!(error = %e, "PostgreSQL connection closed");
            }
        });
        client
            .batch_execute(&format!("SET search_path TO {}", self.schema))
            .await
            .map_err(pg_error)?;
        let client = Arc::new(client);
        *held = Some(Arc::clone(&client));
        Ok(client)
    }

    /// Runs `f` with the client, within the statement timeout.
    async fn with<T, F>(&self, f: impl FnOnce(Arc<Client>) -> F) -> Result<T, StoreError>
    where
        F: std::future::Future<Output = Result<T, StoreError>>,
    {
        let client = self.client().await?;
        match tokio::time::timeout(STATEMENT_TIMEOUT, f(Arc::clone(&client))).await {
            Ok(result) => result,
            Err(_) => Err(self.unanswered().await),
        }
    }

    /// The server stopped answering: the client is dropped, so the next
    /// call connects afresh.
    async fn unanswered(&self) -> StoreError {
        self.client.lock().await.take();
        StoreError::Unavailable("PostgreSQL did not answer in time".into())
    }
}

/// Runs `work` between `BEGIN` and `COMMIT`, or `ROLLBACK` when it fails.
async fn in_transaction<T>(
    client: &Client,
    work: impl std::future::Future<Output = Result<T, StoreError>>,
) -> Result<T, StoreError> {
    client.batch_execute("BEGIN").await.map_err(pg_error)?;
    match work.await {
        Ok(value) => {
            client.batch_execute("COMMIT").await.map_err(pg_error)?;
            Ok(value)
        }
        Err(e) => {
            let _ = client.batch_execute("ROLLBACK").await;
            Err(e)
        }
    }
}

/// Creates the schema and applies the migrations this database lacks, under
/// an advisory lock so nodes starting together migrate once.
async fn migrate(client: &Client, schema: &str) -> Result<(), StoreError> {
    in_transaction(client, async {
        client
            .batch_execute(&format!(
                "SELECT pg_advisory_xact_lock(hashtext('seam:{schema}'));
                 CREATE SCHEMA IF NOT EXISTS {schema};
                 CREATE TABLE IF NOT EXISTS seam_schema (version INTEGER NOT NULL);"
            ))
            .await
            .map_err(pg_error)?;
        let version: i32 = client
            .query_opt("SELECT version FROM seam_schema", &[])
            .await
            .map_err(pg_error)?
            .map_or(0, |row| row.get(0));
        let known = MIGRATIONS.len() as i32;
        if version > known {
            return Err(StoreError::Backend(format!(
                "database schema version {version} in {schema} is newer than this seam ({known})"
            )));
        }
        for migration in MIGRATIONS.iter().skip(version as usize) {
            client.batch_execute(migration).await.map_err(pg_error)?;
        }
        client
            .execute("DELETE FROM seam_schema", &[])
            .await
            .map_err(pg_error)?;
        client
            .execute("INSERT INTO seam_schema (version) VALUES ($1)", &[&known])
            .await
            .map_err(pg_error)?;
        Ok(())
    })
    .await
}

/// One write for the writer task.
#[derive(Debug)]
enum Write {
    Create(Box<SessionRecord>, Box<SessionEvent>, Vec<OutboxOp>),
    /// A run of events and the session's listing after it, if it changed.
    Append(Vec<NewEvent>, Option<Box<SessionSummary>>),
    DeleteEndedBefore(u64),
    EraseCustomer(String),
}

impl Write {
    /// The session an append or create writes to.
    fn session(&self) -> Option<&str> {
        match self {
            Write::Create(record, ..) => Some(&record.session_id),
            Write::Append(events, _) => events.first().map(|n| n.event.session_id.as_str()),
            _ => None,
        }
    }
}

type Reply = oneshot::Sender<Result<Vec<SessionId>, StoreError>>;

/// Sessions and events in a PostgreSQL database.
pub struct PostgresStore {
    /// One queue per writer.
    writes: Vec<mpsc::UnboundedSender<(Write, Reply)>>,
    reader: Arc<Connection>,
}

impl std::fmt::Debug for PostgresStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresStore")
            .field("schema", &self.reader.schema)
            .finish_non_exhaustive()
    }
}

impl PostgresStore {
    /// Connects, migrates the schema, and starts the writer.
    pub async fn open(options: PostgresOptions) -> Result<PostgresStore, StoreError> {
        let reader = Arc::new(Connection::new(&options)?);
        let client = reader.client().await?;
        migrate(&client, &options.schema).await?;
        let mut writes = Vec::new();
        for _ in 0..options.writers.max(1) {
            let writer = Writer {
                connection: Connection::new(&options)?,
                max_batch: options.max_batch.max(1),
                statements: None,
            };
            let (queue_tx, queue) = mpsc::unbounded_channel();
            tokio::spawn(writer.run(queue));
            writes.push(queue_tx);
        }
        Ok(PostgresStore { writes, reader })
    }

    fn write(&self, write: Write) -> BoxFuture<'_, Result<Vec<SessionId>, StoreError>> {
        let (reply, answer) = oneshot::channel();
        // A session's writes to one writer, in order; maintenance to the first.
        let shard = write.session().map_or(0, |id| {
            let mut hasher = std::collections::hash_map::DefaultHasher::new();
            std::hash::Hash::hash(id, &mut hasher);
            std::hash::Hasher::finish(&hasher) as usize % self.writes.len()
        });
        let sent = self.writes[shard].send((write, reply)).is_ok();
        Box::pin(async move {
            if !sent {
                return Err(StoreError::Backend("the store is closed".into()));
            }
            answer
                .await
                .map_err(|_| StoreError::Backend("the store writer stopped".into()))?
        })
    }

    fn read<'a, T, F>(
        &'a self,
        f: impl FnOnce(Arc<Client>) -> F + Send + 'a,
    ) -> BoxFuture<'a, Result<T, StoreError>>
    where
        T: Send + 'a,
        F: std::future::Future<Output = Result<T, StoreError>> + Send + 'a,
    {
        Box::pin(self.reader.with(f))
    }
}

/// The writer task: its connection and its prepared statements. It keeps
/// nothing per session: the appending node hands it the listing it folded.
struct Writer {
    connection: Connection,
    max_batch: usize,
    /// The hot statements, prepared on the current connection.
    statements: Option<Statements>,
}

/// The statements every batch runs, prepared once per connection (parsed
/// and planned once, one round trip each after that).
struct Statements {
    client: Arc<Client>,
    /// Moves each session's `last_seq` from the seq before its run to the
    /// run's last (locking its row) only where it stands there, stores
    /// those runs' events, and returns the sessions moved.
    append: Statement,
}

impl Statements {
    async fn prepare(client: &Arc<Client>) -> Result<Statements, StoreError> {
        let append = client
            .prepare(
                "WITH runs AS (
                     SELECT * FROM unnest($1::text[], $2::bigint[], $3::bigint[]) AS r(id, first, last)
                 ), moved AS (
                     UPDATE sessions s SET last_seq = r.last FROM runs r
                     WHERE s.session_id = ANY($1) AND s.session_id = r.id
                       AND s.last_seq = r.first - 1
                     RETURNING s.session_id
                 ), stored AS (
                     INSERT INTO events (session_id, seq, from_sub, command_id, event)
                     SELECT e.* FROM unnest($4::text[], $5::bigint[], $6::text[], $7::text[], $8::text[])
                         AS e(session_id, seq, from_sub, command_id, event)
                     WHERE e.session_id IN (SELECT session_id FROM moved)
                 )
                 SELECT session_id FROM moved",
            )
            .await
            .map_err(pg_error)?;
        Ok(Statements {
            client: Arc::clone(client),
            append,
        })
    }
}

/// One session's events in a batch, and what storing them also changes.
struct Run<'a> {
    /// The write it came from.
    index: usize,
    session_id: &'a str,
    first: u64,
    events: Vec<&'a SessionEvent>,
    /// The appended events with their frames (empty for a created
    /// session's first event), whose JSON is cut from the frame.
    serialized: &'a [NewEvent],
    /// The session's new listing, when it changed.
    listing: Option<&'a SessionSummary>,
    /// Staff who joined.
    agents: Vec<&'a str>,
    /// Webhook work, per event.
    outbox: Vec<(&'a SessionEvent, &'a [OutboxOp])>,
}

impl<'a> Run<'a> {
    /// An append run (not empty) and the listing after it, if it changed.
    fn of(index: usize, run: &'a [NewEvent], listing: Option<&'a SessionSummary>) -> Run<'a> {
        let mut agents = Vec::new();
        let mut outbox = Vec::new();
        for NewEvent {
            event, outbox: ops, ..
        } in run
        {
            if let EventBody::ParticipantJoined { participant } = &event.body {
                agents.push(participant.sub.as_str());
            }
            if !ops.is_empty() {
                outbox.push((event, ops.as_slice()));
            }
        }
        agents.retain(|a| listing.is_some_and(|s| s.agents.iter().any(|x| x == a)));
        Run {
            index,
            session_id: &run[0].event.session_id,
            first: run[0].event.seq,
            events: run.iter().map(|n| &n.event).collect(),
            serialized: run,
            listing,
            agents,
            outbox,
        }
    }

    /// The first event of a session just created (its row stands at 0).
    fn created(index: usize, first: &'a SessionEvent, ops: &'a [OutboxOp]) -> Run<'a> {
        Run {
            index,
            session_id: &first.session_id,
            first: first.seq,
            events: vec![first],
            serialized: &[],
            listing: None,
            agents: Vec::new(),
            outbox: if ops.is_empty() {
                Vec::new()
            } else {
                vec![(first, ops)]
            },
        }
    }

    /// Nothing to store beyond the events and the new `last_seq`.
    fn is_plain(&self) -> bool {
        self.listing.is_none() && self.agents.is_empty() && self.outbox.is_empty()
    }
}

impl Writer {
    async fn run(mut self, mut queue: mpsc::UnboundedReceiver<(Write, Reply)>) {
        let mut carried: Option<(Write, Reply)> = None;
        loop {
            let first = match carried.take() {
                Some(first) => first,
                None => match queue.recv().await {
                    Some(first) => first,
                    None => return,
                },
            };
            if first.0.session().is_none() {
                let (write, reply) = first;
                let result = self.maintain(write).await;
                let _ = reply.send(result);
                continue;
            }
            // Appends and creates to distinct sessions, committed together;
            // a second write to a session already in the batch waits for
            // the next one, so each statement sees one row per session.
            let mut batch = vec![first];
            let mut sessions: HashSet<String> = batch[0]
                .0
                .session()
                .map(str::to_owned)
                .into_iter()
                .collect();
            while batch.len() < self.max_batch {
                let Ok(next) = queue.try_recv() else { break };
                match next.0.session() {
                    Some(id) if !sessions.contains(id) => {
                        sessions.insert(id.to_owned());
                        batch.push(next);
                    }
                    _ => {
                        carried = Some(next);
                        break;
                    }
                }
            }
            self.commit(batch).await;
        }
    }

    /// Commits a batch in one transaction and answers each write; when the
    /// batch fails for a reason other than a lost connection, each write is
    /// tried again alone, so one bad write fails only itself.
    async fn commit(&mut self, batch: Vec<(Write, Reply)>) {
        let started = std::time::Instant::now();
        crate::metrics::WRITER
            .batch_size
            .observe(batch.len() as f64);
        let (writes, replies): (Vec<Write>, Vec<Reply>) = batch.into_iter().unzip();
        let first = self.transaction(&writes).await;
        crate::metrics::WRITER
            .commit_seconds
            .observe(started.elapsed().as_secs_f64());
        let results = match first {
            Ok(results) => results,
            Err(StoreError::Unavailable(why)) => writes
                .iter()
                .map(|_| Err(StoreError::Unavailable(why.clone())))
                .collect(),
            Err(_) if writes.len() > 1 => {
                let mut results = Vec::with_capacity(writes.len());
                for write in &writes {
                    let one = std::slice::from_ref(write);
                    results.push(match self.transaction(one).await {
                        Ok(mut r) => r.pop().unwrap_or(Ok(Vec::new())),
                        Err(e) => self.explain(write, e).await,
                    });
                }
                results
            }
            Err(e) => match writes.first() {
                Some(write) => vec![self.explain(write, e).await],
                None => Vec::new(),
            },
        };
        for (reply, result) in replies.into_iter().zip(results) {
            let _ = reply.send(result);
        }
    }

    /// Why a write alone failed: an append whose command id is stored
    /// already (the unique index refused it) is a duplicate of that event.
    async fn explain(
        &self,
        write: &Write,
        error: StoreError,
    ) -> Result<Vec<SessionId>, StoreError> {
        if let (Write::Append(run, _), StoreError::Backend(_)) = (write, &error) {
            if let Some((event, command_id)) = run
                .first()
                .and_then(|n| Some((&n.event, n.event.client_id.as_ref()?)))
            {
                if let Ok(client) = self.connection.client().await {
                    if let Ok(Some(seq)) = applied(&client, event, command_id).await {
                        return Err(StoreError::DuplicateCommand { seq });
                    }
                }
            }
        }
        Err(error)
    }

    /// One transaction for `writes`: the outer error is the transaction's
    /// (nothing of it was stored), the inner ones each write's own
    /// (refused writes are simply left out).
    async fn transaction(
        &mut self,
        writes: &[Write],
    ) -> Result<Vec<Result<Vec<SessionId>, StoreError>>, StoreError> {
        let client = self.connection.client().await?;
        let current = self
            .statements
            .as_ref()
            .is_some_and(|s| Arc::ptr_eq(&s.client, &client));
        if !current {
            self.statements = Some(Statements::prepare(&client).await?);
        }
        let Some(statements) = self.statements.take() else {
            return Err(StoreError::Backend("statements not prepared".into()));
        };
        let work = self.apply(&client, &statements, writes);
        let result = tokio::time::timeout(STATEMENT_TIMEOUT, work).await;
        self.statements = Some(statements);
        match result {
            Ok(result) => result,
            Err(_) => Err(self.connection.unanswered().await),
        }
    }

    /// The statements of one batch. One statement moves each appended
    /// session's `last_seq` only where it stands where the run begins and
    /// stores those runs' events; the runs it did not store are refused. A
    /// batch of plain appends is that one statement, atomic by itself;
    /// creates, listing changes (as the appending node folded them), agents
    /// and webhooks join it in one transaction.
    async fn apply(
        &mut self,
        client: &Client,
        statements: &Statements,
        writes: &[Write],
    ) -> Result<Vec<Result<Vec<SessionId>, StoreError>>, StoreError> {
        let mut results: Vec<Result<Vec<SessionId>, StoreError>> =
            writes.iter().map(|_| Ok(Vec::new())).collect();
        let mut runs: Vec<Run<'_>> = Vec::new();
        for (index, (write, result)) in writes.iter().zip(results.iter_mut()).enumerate() {
            let Write::Append(events, listing) = write else {
                continue;
            };
            let Some(head) = events.first().map(|n| &n.event) else {
                continue;
            };
            if let Err(refused) = check_run(events, head.seq.saturating_sub(1)) {
                *result = Err(refused);
                continue;
            }
            runs.push(Run::of(index, events, listing.as_deref()));
        }
        let creates = writes.iter().any(|w| matches!(w, Write::Create(..)));
        let alone = !creates && runs.iter().all(Run::is_plain);
        if alone {
            self.store_runs(client, statements, &mut runs, &mut results)
                .await?;
            return Ok(results);
        }
        in_transaction(client, async {
            for (index, write) in writes.iter().enumerate() {
                let Write::Create(record, first, ops) = write else {
                    continue;
                };
                match create(client, record, first).await? {
                    Ok(()) => runs.push(Run::created(index, first, ops)),
                    Err(refused) => results[index] = Err(refused),
                }
            }
            self.store_runs(client, statements, &mut runs, &mut results)
                .await?;
            let listings: Vec<&SessionSummary> = runs.iter().filter_map(|r| r.listing).collect();
            update_listings(client, &listings).await?;
            for run in &runs {
                for agent in &run.agents {
                    client
                        .execute(
                            "INSERT INTO session_agents (session_id, agent) VALUES ($1, $2)
                             ON CONFLICT DO NOTHING",
                            &[&run.session_id, agent],
                        )
                        .await
                        .map_err(pg_error)?;
                }
                for (event, ops) in &run.outbox {
                    apply_outbox(client, event, ops).await?;
                }
            }
            Ok(())
        })
        .await?;
        Ok(results)
    }

    /// Stores the runs' events where each session stands where its run
    /// begins (one statement); the others are refused, and left out of
    /// `runs`.
    async fn store_runs(
        &mut self,
        client: &Client,
        statements: &Statements,
        runs: &mut Vec<Run<'_>>,
        results: &mut [Result<Vec<SessionId>, StoreError>],
    ) -> Result<(), StoreError> {
        if runs.is_empty() {
            return Ok(());
        }
        let moved = append_runs(client, &statements.append, runs).await?;
        let refused: Vec<&str> = runs
            .iter()
            .filter(|r| !moved.contains(r.session_id))
            .map(|r| r.session_id)
            .collect();
        if refused.is_empty() {
            return Ok(());
        }
        let stands: HashMap<String, u64> = client
            .query(
                "SELECT session_id, last_seq FROM sessions WHERE session_id = ANY($1)",
                &[&refused],
            )
            .await
            .map_err(pg_error)?
            .iter()
            .map(|row| (row.get(0), row.get::<_, i64>(1) as u64))
            .collect();
        for run in runs.iter().filter(|r| !moved.contains(r.session_id)) {
            results[run.index] = Err(match stands.get(run.session_id) {
                Some(&last) => StoreError::OutOfOrder {
                    session_id: run.session_id.to_owned(),
                    seq: run.first,
                    expected: last + 1,
                },
                None => StoreError::UnknownSession(run.session_id.to_owned()),
            });
        }
        runs.retain(|r| moved.contains(r.session_id));
        Ok(())
    }

    /// Retention and erasure, each in its own transaction.
    async fn maintain(&mut self, write: Write) -> Result<Vec<SessionId>, StoreError> {
        let client = self.connection.client().await?;
        let (sql, param): (&str, Box<dyn ToSql + Sync + Send>) = match write {
            Write::DeleteEndedBefore(cutoff) => (
                "SELECT session_id FROM sessions WHERE state = 'ended' AND ended_at < $1",
                Box::new(millis(cutoff)),
            ),
            Write::EraseCustomer(sub) => (
                "SELECT session_id FROM sessions WHERE customer_sub = $1",
                Box::new(sub),
            ),
            Write::Create(..) | Write::Append(..) => {
                return Err(StoreError::Backend("not a maintenance write".into()))
            }
        };
        let work = in_transaction(&client, async {
            let ids: Vec<String> = client
                .query(sql, &[&*param])
                .await
                .map_err(pg_error)?
                .iter()
                .map(|r| r.get(0))
                .collect();
            for table in [
                "events",
                "session_agents",
                "outbox",
                "receipts",
                "attachments",
                "sessions",
            ] {
                client
                    .execute(
                        &format!("DELETE FROM {table} WHERE session_id = ANY($1)"),
                        &[&ids],
                    )
                    .await
                    .map_err(pg_error)?;
            }
            Ok(ids)
        });
        let ids = match tokio::time::timeout(STATEMENT_TIMEOUT, work).await {
            Ok(result) => result?,
            Err(_) => return Err(self.connection.unanswered().await),
        };
        Ok(ids)
    }
}

/// Inserts a new session's row, unless its customer has an open session
/// already (the inner error names it).
async fn create(
    client: &Client,
    record: &SessionRecord,
    first: &SessionEvent,
) -> Result<Result<(), StoreError>, StoreError> {
    if first.seq != 1 {
        return Ok(Err(StoreError::OutOfOrder {
            session_id: first.session_id.clone(),
            seq: first.seq,
            expected: 1,
        }));
    }
    let view = SessionView::folded(record, [first]);
    let inserted = client
        .execute(
            "INSERT INTO sessions (session_id, epoch, customer_sub, customer, context, created_at,
                                   state, summary, last_seq)
             VALUES ($1, $2, $3, $4, $5, $6, 'open', $7, 0)
             ON CONFLICT DO NOTHING",
            &[
                &record.session_id,
                &record.epoch,
                &record.customer.sub,
                &json(&record.customer)?,
                &json(&record.context)?,
                &(record.created_at as i64),
                &json(&view.summary())?,
            ],
        )
        .await
        .map_err(pg_error)?;
    if inserted == 1 {
        return Ok(Ok(()));
    }
    let open = client
        .query_opt(
            "SELECT session_id FROM sessions WHERE customer_sub = $1 AND state = 'open'",
            &[&record.customer.sub],
        )
        .await
        .map_err(pg_error)?;
    Ok(Err(match open {
        Some(row) => StoreError::AlreadyOpen {
            session_id: row.get(0),
        },
        None => StoreError::Backend(format!("session {} exists already", record.session_id)),
    }))
}

/// The seq of the event this principal's command already produced.
async fn applied(
    client: &Client,
    event: &SessionEvent,
    command_id: &str,
) -> Result<Option<u64>, StoreError> {
    Ok(client
        .query_opt(
            "SELECT seq FROM events WHERE session_id = $1 AND from_sub = $2 AND command_id = $3",
            &[&event.session_id, &event.from.sub, &command_id],
        )
        .await
        .map_err(pg_error)?
        .map(|row| row.get::<_, i64>(0) as u64))
}

/// Runs `append` for `runs`; the sessions it moved (and stored).
async fn append_runs(
    client: &Client,
    append: &Statement,
    runs: &[Run<'_>],
) -> Result<HashSet<String>, StoreError> {
    let ids: Vec<&str> = runs.iter().map(|r| r.session_id).collect();
    let firsts: Vec<i64> = runs.iter().map(|r| r.first as i64).collect();
    let lasts: Vec<i64> = runs
        .iter()
        .map(|r| r.events.last().map_or(r.first, |e| e.seq) as i64)
        .collect();
    let events = runs.iter().flat_map(|r| {
        r.events
            .iter()
            .enumerate()
            .map(|(i, event)| (*event, r.serialized.get(i)))
    });
    let count = runs.iter().map(|r| r.events.len()).sum();
    let mut sessions = Vec::with_capacity(count);
    let mut seqs = Vec::with_capacity(count);
    let mut froms = Vec::with_capacity(count);
    let mut commands: Vec<Option<&str>> = Vec::with_capacity(count);
    let mut bodies = Vec::with_capacity(count);
    for (event, serialized) in events {
        sessions.push(event.session_id.as_str());
        seqs.push(event.seq as i64);
        froms.push(event.from.sub.as_str());
        commands.push(event.client_id.as_deref());
        bodies.push(match serialized {
            Some(new) => new.json()?,
            None => json(event)?,
        });
    }
    let rows = client
        .query(
            append,
            &[
                &ids, &firsts, &lasts, &sessions, &seqs, &froms, &commands, &bodies,
            ],
        )
        .await
        .map_err(pg_error)?;
    Ok(rows.iter().map(|row| row.get(0)).collect())
}

/// Rewrites the listing columns of sessions whose listing changed.
async fn update_listings(client: &Client, listings: &[&SessionSummary]) -> Result<(), StoreError> {
    for summary in listings {
        client
            .execute(
                "UPDATE sessions SET state = $2, ended_at = $3, queue = $4, summary = $5
                 WHERE session_id = $1",
                &[
                    &summary.session_id,
                    &state_name(summary.state),
                    &summary.ended_at.map(|t| t as i64),
                    &summary.queue,
                    &json(summary)?,
                ],
            )
            .await
            .map_err(pg_error)?;
    }
    Ok(())
}

async fn apply_outbox(
    client: &Client,
    event: &SessionEvent,
    ops: &[OutboxOp],
) -> Result<(), StoreError> {
    for op in ops {
        let seq = event.seq as i64;
        match op {
            OutboxOp::Enqueue { url, kind, due_at } => {
                client
                    .execute(
                        "INSERT INTO outbox (session_id, seq, url, kind, due_at)
                         VALUES ($1, $2, $3, $4, $5)",
                        &[
                            &event.session_id,
                            &seq,
                            url,
                            &kind.as_str(),
                            &millis(*due_at),
                        ],
                    )
                    .await
            }
            OutboxOp::Hasten { kind, now } => {
                client
                    .execute(
                        "UPDATE outbox SET due_at = $3
                         WHERE session_id = $1 AND kind = $2 AND due_at > $3",
                        &[&event.session_id, &kind.as_str(), &millis(*now)],
                    )
                    .await
            }
        }
        .map_err(pg_error)?;
    }
    Ok(())
}

async fn events_after(
    client: &Client,
    session_id: &str,
    after_seq: u64,
    limit: i64,
) -> Result<Vec<SessionEvent>, StoreError> {
    client
        .query(
            "SELECT event FROM events WHERE session_id = $1 AND seq > $2 ORDER BY seq LIMIT $3",
            &[&session_id, &(after_seq as i64), &limit],
        )
        .await
        .map_err(pg_error)?
        .iter()
        .map(|row| parse(row.get(0)))
        .collect()
}

fn record_from(row: &Row) -> Result<SessionRecord, StoreError> {
    Ok(SessionRecord {
        session_id: row.get(0),
        epoch: row.get(1),
        customer: parse(row.get(2))?,
        context: parse(row.get(3))?,
        created_at: row.get::<_, i64>(4) as u64,
    })
}

const RECORD_COLUMNS: &str = "session_id, epoch, customer, context, created_at";

async fn read_session(
    client: &Client,
    session_id: &str,
) -> Result<Option<StoredSession>, StoreError> {
    let row = client
        .query_opt(
            &format!("SELECT {RECORD_COLUMNS} FROM sessions WHERE session_id = $1"),
            &[&session_id],
        )
        .await
        .map_err(pg_error)?;
    let Some(row) = row else { return Ok(None) };
    let record = record_from(&row)?;
    let events = events_after(client, session_id, 0, i64::MAX).await?;
    Ok(Some(StoredSession { record, events }))
}

/// Sessions matching `condition` with all their events, oldest first.
async fn read_sessions(client: &Client, condition: &str) -> Result<Vec<StoredSession>, StoreError> {
    let rows = client
        .query(
            &format!(
                "SELECT {RECORD_COLUMNS} FROM sessions s WHERE {condition} ORDER BY created_at, session_id"
            ),
            &[],
        )
        .await
        .map_err(pg_error)?;
    let mut sessions = Vec::with_capacity(rows.len());
    let mut index = HashMap::with_capacity(rows.len());
    for row in &rows {
        let record = record_from(row)?;
        index.insert(record.session_id.clone(), sessions.len());
        sessions.push(StoredSession {
            record,
            events: Vec::new(),
        });
    }
    let events = client
        .query(
            &format!(
                "SELECT e.event FROM events e JOIN sessions s USING (session_id)
                 WHERE {condition} ORDER BY e.session_id, e.seq"
            ),
            &[],
        )
        .await
        .map_err(pg_error)?;
    for row in events {
        let event: SessionEvent = parse(row.get(0))?;
        if let Some(&i) = index.get(&event.session_id) {
            sessions[i].events.push(event);
        }
    }
    Ok(sessions)
}

fn summary_from(row: &Row) -> Result<SessionSummary, StoreError> {
    let mut summary: SessionSummary = parse(row.get(0))?;
    summary.last_seq = row.get::<_, i64>(1) as u64;
    Ok(summary)
}

impl SessionStore for PostgresStore {
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
        let listing = listing.map(|l| Box::new(l.clone()));
        let write = self.write(Write::Append(events.to_vec(), listing));
        Box::pin(async move { write.await.map(|_| ()) })
    }

    fn load(&self) -> BoxFuture<'_, Result<Vec<StoredSession>, StoreError>> {
        self.read(|client| async move { read_sessions(&client, "TRUE").await })
    }

    fn get<'a>(
        &'a self,
        session_id: &'a str,
    ) -> BoxFuture<'a, Result<Option<StoredSession>, StoreError>> {
        self.read(move |client| async move { read_session(&client, session_id).await })
    }

    fn events_after<'a>(
        &'a self,
        session_id: &'a str,
        after_seq: u64,
        limit: usize,
    ) -> BoxFuture<'a, Result<Vec<SessionEvent>, StoreError>> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.read(
            move |client| async move { events_after(&client, session_id, after_seq, limit).await },
        )
    }

    fn summary<'a>(
        &'a self,
        session_id: &'a str,
    ) -> BoxFuture<'a, Result<Option<SessionSummary>, StoreError>> {
        self.read(move |client| async move {
            client
                .query_opt(
                    "SELECT summary, last_seq FROM sessions WHERE session_id = $1",
                    &[&session_id],
                )
                .await
                .map_err(pg_error)?
                .map(|row| summary_from(&row))
                .transpose()
        })
    }

    fn list<'a>(
        &'a self,
        filter: &'a SessionFilter,
    ) -> BoxFuture<'a, Result<Vec<SessionSummary>, StoreError>> {
        self.read(move |client| async move {
            let state = filter.state.map(state_name);
            let since = filter.since.map(|t| t as i64);
            let until = filter.until.map(|t| t as i64);
            let limit = i64::try_from(filter.limit).unwrap_or(i64::MAX);
            client
                .query(
                    "SELECT summary, last_seq FROM sessions s
                     WHERE ($1::text IS NULL OR state = $1)
                       AND ($2::text IS NULL OR queue = $2)
                       AND ($3::text IS NULL OR EXISTS (SELECT 1 FROM session_agents a
                                                WHERE a.session_id = s.session_id AND a.agent = $3))
                       AND ($4::text IS NULL OR customer_sub = $4)
                       AND ($5::bigint IS NULL OR created_at >= $5)
                       AND ($6::bigint IS NULL OR created_at < $6)
                       AND ($8::bool IS NULL OR (summary::jsonb ? 'offline_email') = $8)
                     ORDER BY created_at DESC, session_id DESC
                     LIMIT $7",
                    &[
                        &state,
                        &filter.queue,
                        &filter.agent,
                        &filter.customer,
                        &since,
                        &until,
                        &limit,
                        &filter.offline,
                    ],
                )
                .await
                .map_err(pg_error)?
                .iter()
                .map(summary_from)
                .collect()
        })
    }

    fn delete_ended_before(
        &self,
        cutoff: u64,
    ) -> BoxFuture<'_, Result<Vec<SessionId>, StoreError>> {
        self.write(Write::DeleteEndedBefore(cutoff))
    }

    fn erase_customer<'a>(
        &'a self,
        sub: &'a str,
    ) -> BoxFuture<'a, Result<Vec<SessionId>, StoreError>> {
        self.write(Write::EraseCustomer(sub.to_owned()))
    }

    fn last_seqs<'a>(
        &'a self,
        ids: &'a [SessionId],
    ) -> BoxFuture<'a, Result<Vec<(SessionId, u64)>, StoreError>> {
        self.read(move |client| async move {
            Ok(client
                .query(
                    "SELECT session_id, last_seq FROM sessions WHERE session_id = ANY($1)",
                    &[&ids],
                )
                .await
                .map_err(pg_error)?
                .iter()
                .map(|row| (row.get(0), row.get::<_, i64>(1) as u64))
                .collect())
        })
    }

    fn hold_lease<'a>(
        &'a self,
        name: &'a str,
        holder: &'a str,
        ttl_ms: u64,
    ) -> BoxFuture<'a, Result<LeaseHold, StoreError>> {
        // PostgreSQL's clock decides when a lease runs out: one clock for
        // every node. Only its holder writes a lease row, so a row still
        // naming `holder` means nobody else held it since.
        self.read(move |client| async move {
            let ttl = ttl_ms as f64 / 1000.0;
            let row = client
                .query_opt(
                    "WITH before AS (SELECT holder FROM leases WHERE name = $1)
                     INSERT INTO leases (name, holder, expires_at)
                     VALUES ($1, $2, clock_timestamp() + make_interval(secs => $3))
                     ON CONFLICT (name) DO UPDATE
                        SET holder = EXCLUDED.holder, expires_at = EXCLUDED.expires_at
                        WHERE leases.holder = EXCLUDED.holder OR leases.expires_at < clock_timestamp()
                     RETURNING (SELECT holder FROM before) IS NOT DISTINCT FROM $2",
                    &[&name, &holder, &ttl],
                )
                .await
                .map_err(pg_error)?;
            Ok(match row {
                None => LeaseHold::Refused,
                Some(row) if row.get::<_, bool>(0) => LeaseHold::Renewed,
                Some(_) => LeaseHold::Taken,
            })
        })
    }

    fn save_agent_status<'a>(
        &'a self,
        record: &'a AgentStatusRecord,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        self.read(move |client| async move {
            let status = record.status.as_str();
            let skills = record.skills.as_ref().map(json).transpose()?;
            let capacity = record.capacity.map(|c| c as i32);
            client
                .execute(
                    "INSERT INTO agent_status (sub, status, skills, capacity, at)
                     VALUES ($1, $2, $3, $4, $5)
                     ON CONFLICT (sub) DO UPDATE
                        SET status = EXCLUDED.status,
                            skills = COALESCE(EXCLUDED.skills, agent_status.skills),
                            capacity = COALESCE(EXCLUDED.capacity, agent_status.capacity),
                            at = EXCLUDED.at
                        WHERE agent_status.at <= EXCLUDED.at",
                    &[
                        &record.sub,
                        &status,
                        &skills,
                        &capacity,
                        &(record.at as i64),
                    ],
                )
                .await
                .map_err(pg_error)?;
            Ok(())
        })
    }

    fn agent_statuses(&self) -> BoxFuture<'_, Result<Vec<AgentStatusRecord>, StoreError>> {
        self.read(|client| async move {
            let rows = client
                .query(
                    "SELECT sub, status, skills, capacity, at FROM agent_status",
                    &[],
                )
                .await
                .map_err(pg_error)?;
            rows.iter()
                .map(|row| {
                    let status: &str = row.get(1);
                    let skills: Option<&str> = row.get(2);
                    Ok(AgentStatusRecord {
                        sub: row.get(0),
                        status: parse_status(status)?,
                        skills: skills.map(parse).transpose()?,
                        capacity: row.get::<_, Option<i32>>(3).map(|c| c as u32),
                        at: row.get::<_, i64>(4) as u64,
                    })
                })
                .collect()
        })
    }

    fn open_session_of<'a>(
        &'a self,
        sub: &'a str,
    ) -> BoxFuture<'a, Result<Option<SessionId>, StoreError>> {
        self.read(move |client| async move {
            Ok(client
                .query_opt(
                    "SELECT session_id FROM sessions WHERE customer_sub = $1 AND state = 'open'",
                    &[&sub],
                )
                .await
                .map_err(pg_error)?
                .map(|row| row.get(0)))
        })
    }

    fn due_deliveries(
        &self,
        now: u64,
        limit: usize,
    ) -> BoxFuture<'_, Result<Vec<Delivery>, StoreError>> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.read(move |client| async move {
            let rows = client
                .query(
                    "UPDATE outbox SET claimed_until = $3
                     WHERE id IN (SELECT id FROM outbox
                                  WHERE due_at <= $1 AND claimed_until <= $1
                                  ORDER BY due_at, id LIMIT $2
                                  FOR UPDATE SKIP LOCKED)
                     RETURNING id, session_id, seq, url, kind, attempts, due_at",
                    &[&millis(now), &limit, &millis(now.saturating_add(CLAIM_MS))],
                )
                .await
                .map_err(pg_error)?;
            let mut due: Vec<(i64, Delivery)> = Vec::with_capacity(rows.len());
            for row in rows {
                let kind: String = row.get(4);
                let kind = WebhookKind::parse(&kind)
                    .ok_or_else(|| StoreError::Backend(format!("unknown webhook kind {kind}")))?;
                due.push((
                    row.get(6),
                    Delivery {
                        id: row.get::<_, i64>(0) as u64,
                        session_id: row.get(1),
                        seq: row.get::<_, i64>(2) as u64,
                        url: row.get(3),
                        kind,
                        attempts: row.get::<_, i32>(5) as u32,
                    },
                ));
            }
            due.sort_by_key(|(due_at, d)| (*due_at, d.id));
            Ok(due.into_iter().map(|(_, d)| d).collect())
        })
    }

    fn next_delivery_at(&self) -> BoxFuture<'_, Result<Option<u64>, StoreError>> {
        self.read(|client| async move {
            let row = client
                .query_one(
                    "SELECT MIN(GREATEST(due_at, claimed_until)) FROM outbox",
                    &[],
                )
                .await
                .map_err(pg_error)?;
            Ok(row.get::<_, Option<i64>>(0).map(|t| t as u64))
        })
    }

    fn delivery_done(&self, id: u64) -> BoxFuture<'_, Result<(), StoreError>> {
        self.read(move |client| async move {
            client
                .execute("DELETE FROM outbox WHERE id = $1", &[&(id as i64)])
                .await
                .map_err(pg_error)?;
            Ok(())
        })
    }

    fn delivery_retry(
        &self,
        id: u64,
        due_at: u64,
        attempts: u32,
    ) -> BoxFuture<'_, Result<(), StoreError>> {
        self.read(move |client| async move {
            client
                .execute(
                    "UPDATE outbox SET due_at = $2, attempts = $3, claimed_until = 0 WHERE id = $1",
                    &[&(id as i64), &millis(due_at), &(attempts as i32)],
                )
                .await
                .map_err(pg_error)?;
            Ok(())
        })
    }

    fn pending_deliveries(&self) -> BoxFuture<'_, Result<u64, StoreError>> {
        self.read(|client| async move {
            let row = client
                .query_one("SELECT COUNT(*) FROM outbox", &[])
                .await
                .map_err(pg_error)?;
            Ok(row.get::<_, i64>(0).max(0) as u64)
        })
    }

    fn put_receipt<'a>(
        &'a self,
        session_id: &'a str,
        participant: &'a Principal,
        delivered_seq: u64,
        read_seq: u64,
    ) -> BoxFuture<'a, Result<Receipt, StoreError>> {
        let participant = participant.clone();
        let session_id = session_id.to_owned();
        self.read(move |client| async move {
            let json = serde_json::to_string(&participant).map_err(backend)?;
            let row = client
                .query_one(
                    "INSERT INTO receipts (session_id, sub, participant, delivered_seq, read_seq)
                     VALUES ($1, $2, $3, $4, $5)
                     ON CONFLICT (session_id, sub) DO UPDATE SET
                         participant = excluded.participant,
                         delivered_seq = GREATEST(receipts.delivered_seq, excluded.delivered_seq),
                         read_seq = GREATEST(receipts.read_seq, excluded.read_seq)
                     RETURNING delivered_seq, read_seq",
                    &[
                        &session_id,
                        &participant.sub,
                        &json,
                        &(delivered_seq as i64),
                        &(read_seq as i64),
                    ],
                )
                .await
                .map_err(pg_error)?;
            Ok(Receipt {
                participant,
                delivered_seq: row.get::<_, i64>(0).max(0) as u64,
                read_seq: row.get::<_, i64>(1).max(0) as u64,
            })
        })
    }

    fn receipts<'a>(
        &'a self,
        session_id: &'a str,
    ) -> BoxFuture<'a, Result<Vec<Receipt>, StoreError>> {
        let session_id = session_id.to_owned();
        self.read(move |client| async move {
            let rows = client
                .query(
                    "SELECT participant, delivered_seq, read_seq FROM receipts WHERE session_id = $1",
                    &[&session_id],
                )
                .await
                .map_err(pg_error)?;
            rows.iter()
                .map(|r| {
                    Ok(Receipt {
                        participant: serde_json::from_str(r.get::<_, &str>(0))
                            .map_err(backend)?,
                        delivered_seq: r.get::<_, i64>(1).max(0) as u64,
                        read_seq: r.get::<_, i64>(2).max(0) as u64,
                    })
                })
                .collect()
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
        let (session_id, id) = (session_id.to_owned(), id.to_owned());
        self.read(move |client| async move {
            client
                .execute(
                    "INSERT INTO attachments (session_id, id, bytes) VALUES ($1, $2, $3)
                     ON CONFLICT (session_id, id) DO NOTHING",
                    &[&session_id, &id, &bytes],
                )
                .await
                .map_err(pg_error)?;
            Ok(())
        })
    }

    fn blob<'a>(
        &'a self,
        session_id: &'a str,
        id: &'a str,
    ) -> BoxFuture<'a, Result<Option<Vec<u8>>, StoreError>> {
        let (session_id, id) = (session_id.to_owned(), id.to_owned());
        self.read(move |client| async move {
            Ok(client
                .query_opt(
                    "SELECT bytes FROM attachments WHERE session_id = $1 AND id = $2",
                    &[&session_id, &id],
                )
                .await
                .map_err(pg_error)?
                .map(|row| row.get::<_, Vec<u8>>(0)))
        })
    }

    fn canned_responses(&self) -> BoxFuture<'_, Result<Vec<CannedResponse>, StoreError>> {
        self.read(|client| async move {
            let rows = client
                .query(
                    "SELECT shortcut, title, text FROM canned_responses ORDER BY shortcut",
                    &[],
                )
                .await
                .map_err(pg_error)?;
            Ok(rows
                .iter()
                .map(|r| CannedResponse {
                    shortcut: r.get(0),
                    title: r.get(1),
                    text: r.get(2),
                })
                .collect())
        })
    }

    fn put_canned_response<'a>(
        &'a self,
        reply: &'a CannedResponse,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        let reply = reply.clone();
        self.read(move |client| async move {
            client
                .execute(
                    "INSERT INTO canned_responses (shortcut, title, text) VALUES ($1, $2, $3)
                     ON CONFLICT (shortcut) DO UPDATE SET title = excluded.title, text = excluded.text",
                    &[&reply.shortcut, &reply.title, &reply.text],
                )
                .await
                .map_err(pg_error)?;
            Ok(())
        })
    }

    fn delete_canned_response<'a>(
        &'a self,
        shortcut: &'a str,
    ) -> BoxFuture<'a, Result<bool, StoreError>> {
        let shortcut = shortcut.to_owned();
        self.read(move |client| async move {
            let deleted = client
                .execute(
                    "DELETE FROM canned_responses WHERE shortcut = $1",
                    &[&shortcut],
                )
                .await
                .map_err(pg_error)?;
            Ok(deleted > 0)
        })
    }
}
