//! One behaviour for every store: the suite in `seam_broker::conformance`
//! runs against the memory store and the SQLite store.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic

use seam_broker::conformance::{self, event, one, opened, principal, record};
use seam_broker::store::{MemoryStore, SessionStore, SqliteOptions, SqliteStore};
use seam_protocol::{EventBody, Role};

#[tokio::test]
async fn the_memory_store_conforms() {
    conformance::store(&MemoryStore::new()).await;
}

#[tokio::test]
async fn the_sqlite_store_conforms_and_keeps_everything_across_reopening() {
    let dir = std::env::temp_dir().join(format!("seam-conformance-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let path = dir.join("seam.db");
    {
        let store = SqliteStore::open(&path, SqliteOptions::default()).unwrap();
        conformance::store(&store).await;
    }
    let reopened = SqliteStore::open(
        &path,
        SqliteOptions {
            max_batch: 1,
            full_sync: false,
            ..SqliteOptions::default()
        },
    )
    .unwrap();
    let left = reopened.load().await.unwrap();
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].record.session_id, "s3");
    // Appending continues where the log stopped.
    let carol = principal("carol", Role::Customer);
    reopened
        .append(
            &one(
                event("s3", 2, 3_001, &carol, EventBody::message("again")),
                &[],
            ),
            None,
        )
        .await
        .unwrap();
    assert_eq!(reopened.get("s3").await.unwrap().unwrap().events.len(), 2);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Opens carol's session `s1`; returns carol.
async fn open_carols_session(store: &SqliteStore) -> seam_protocol::Principal {
    let (record, first) = (record("s1", "carol", 1_000), opened("s1", "carol", 1_000));
    store.create(&record, &first, &[]).await.unwrap();
    principal("carol", Role::Customer)
}

#[tokio::test]
async fn the_database_file_catches_up_with_the_wal_while_the_store_runs() {
    let dir = std::env::temp_dir().join(format!("seam-checkpoint-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let path = dir.join("seam.db");
    let store = SqliteStore::open(&path, SqliteOptions::default()).unwrap();
    let carol = open_carols_session(&store).await;
    for seq in 2..=200 {
        let body = EventBody::message(format!("message {seq}"));
        store
            .append(&one(event("s1", seq, 1_000 + seq, &carol, body), &[]), None)
            .await
            .unwrap();
    }
    // Commits land in the WAL; the checkpointer copies them into the
    // database file without stopping the writer. The file alone, copied
    // while the store runs, has them within a few checkpoint intervals.
    let copy = dir.join("copy.db");
    let mut found = 0;
    for _ in 0..50 {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        std::fs::copy(&path, &copy).unwrap();
        let conn = rusqlite::Connection::open(&copy).unwrap();
        found = conn
            .query_row("SELECT count(*) FROM events", [], |r| r.get::<_, i64>(0))
            .unwrap_or(0);
        if found == 200 {
            break;
        }
    }
    assert_eq!(found, 200, "the database file holds every committed event");
    drop(store);
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn the_wal_starts_over_while_commits_keep_coming() {
    let dir = std::env::temp_dir().join(format!("seam-wal-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let path = dir.join("seam.db");
    let options = SqliteOptions {
        wal_restart_pages: 200,
        ..SqliteOptions::default()
    };
    let store = SqliteStore::open(&path, options).unwrap();
    let carol = open_carols_session(&store).await;
    // One commit after another, each a few pages (over 4 on average), with
    // no pause: a passive checkpoint alone never finishes, and the WAL
    // would hold every page written. Started over, it holds what came
    // since the last restart (the checkpointer looks every 250 ms).
    let text = "x".repeat(3_000);
    let commits: i64 = 4_000;
    for seq in 2..=commits + 1 {
        let body = EventBody::message(text.clone());
        store
            .append(
                &one(event("s1", seq as u64, 1_000, &carol, body), &[]),
                None,
            )
            .await
            .unwrap();
    }
    let conn = rusqlite::Connection::open(&path).unwrap();
    let wal_pages: i64 = conn
        .query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| r.get(1))
        .unwrap();
    assert!(
        wal_pages < 2 * commits,
        "{wal_pages} pages in the WAL after {commits} commits: it did not start over"
    );
    drop(conn);
    drop(store);
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn a_database_from_a_newer_seam_is_refused() {
    let dir = std::env::temp_dir().join(format!("seam-newer-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("seam.db");
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch("PRAGMA user_version = 99").unwrap();
    }
    let err = SqliteStore::open(&path, SqliteOptions::default()).unwrap_err();
    assert!(err.to_string().contains("newer"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

mod support;

#[tokio::test]
async fn the_postgres_store_conforms_and_keeps_everything_across_reopening() {
    use seam_broker::store::PostgresStore;
    let schema = support::Schema::new("store").await;
    {
        let store = PostgresStore::open(schema.options.clone()).await.unwrap();
        conformance::store(&store).await;
    }
    let mut one_by_one = schema.options.clone();
    one_by_one.max_batch = 1;
    let reopened = PostgresStore::open(one_by_one).await.unwrap();
    let left = reopened.load().await.unwrap();
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].record.session_id, "s3");
    let carol = principal("carol", Role::Customer);
    let again = event("s3", 2, 3_001, &carol, EventBody::message("again"));
    reopened.append(&one(again, &[]), None).await.unwrap();
    assert_eq!(reopened.get("s3").await.unwrap().unwrap().events.len(), 2);
    schema.drop_now().await;
}

#[tokio::test]
async fn a_postgres_schema_from_a_newer_seam_is_refused() {
    use seam_broker::store::PostgresStore;
    let schema = support::Schema::new("newer").await;
    drop(PostgresStore::open(schema.options.clone()).await.unwrap());
    let (client, connection) =
        tokio_postgres::connect(&support::postgres_url(), tokio_postgres::NoTls)
            .await
            .unwrap();
    tokio::spawn(connection);
    client
        .batch_execute(&format!(
            "UPDATE {}.seam_schema SET version = 99",
            schema.options.schema
        ))
        .await
        .unwrap();
    let err = PostgresStore::open(schema.options.clone())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("newer"), "{err}");
    schema.drop_now().await;
}

/// PostgreSQL keeps each agent's newest status for the next dispatcher: an
/// older record does not overwrite a newer one, and skills or capacity left
/// out keep their stored values.
#[tokio::test]
async fn postgres_keeps_the_newest_agent_status() {
    use seam_broker::store::{AgentStatusRecord, PostgresStore};
    use seam_protocol::AgentStatus;
    let schema = support::Schema::new("agents").await;
    let store = PostgresStore::open(schema.options.clone()).await.unwrap();
    assert!(store.agent_statuses().await.unwrap().is_empty());
    let set = |status, skills: Option<&[&str]>, capacity, at| AgentStatusRecord {
        sub: "bob".into(),
        status,
        skills: skills.map(|s| s.iter().map(|s| s.to_string()).collect()),
        capacity,
        at,
    };
    let billing: &[&str] = &["billing"];
    store
        .save_agent_status(&set(AgentStatus::Available, Some(billing), Some(3), 100))
        .await
        .unwrap();
    store
        .save_agent_status(&set(AgentStatus::Away, None, None, 200))
        .await
        .unwrap();
    // Late: set before the "away" above.
    store
        .save_agent_status(&set(AgentStatus::Available, None, Some(1), 150))
        .await
        .unwrap();
    let kept = store.agent_statuses().await.unwrap();
    assert_eq!(kept, [set(AgentStatus::Away, Some(billing), Some(3), 200)]);
    drop(store);
    // Kept across reopening, as a new dispatcher reads it.
    let reopened = PostgresStore::open(schema.options.clone()).await.unwrap();
    assert_eq!(reopened.agent_statuses().await.unwrap(), kept);
    schema.drop_now().await;
}

/// A lease on PostgreSQL says whether its holder kept it throughout: taken
/// when new or run out, renewed by the holder that had it (even run out,
/// since nobody else took it), refused to others while it runs.
#[tokio::test]
async fn postgres_leases_tell_a_renewal_from_a_take_over() {
    use seam_broker::store::{LeaseHold, PostgresStore};
    let schema = support::Schema::new("lease").await;
    let store = PostgresStore::open(schema.options.clone()).await.unwrap();
    let hold = |holder: &'static str, ttl_ms| store.hold_lease("l", holder, ttl_ms);
    assert_eq!(hold("n1", 60_000).await.unwrap(), LeaseHold::Taken);
    assert_eq!(hold("n1", 60_000).await.unwrap(), LeaseHold::Renewed);
    assert_eq!(hold("n2", 60_000).await.unwrap(), LeaseHold::Refused);
    // Run out, and nobody took it: still a renewal for n1.
    assert_eq!(hold("n1", 0).await.unwrap(), LeaseHold::Renewed);
    assert_eq!(hold("n1", 0).await.unwrap(), LeaseHold::Renewed);
    // Run out: n2 takes it; n1 then is refused, and takes it back only as
    // a take-over once it has run out again.
    assert_eq!(hold("n2", 60_000).await.unwrap(), LeaseHold::Taken);
    assert_eq!(hold("n1", 60_000).await.unwrap(), LeaseHold::Refused);
    assert_eq!(hold("n2", 0).await.unwrap(), LeaseHold::Renewed);
    assert_eq!(hold("n1", 60_000).await.unwrap(), LeaseHold::Taken);
    drop(store);
    schema.drop_now().await;
}
