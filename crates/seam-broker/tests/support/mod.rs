//! Test support shared by the broker crate's tests: a PostgreSQL schema of
//! one's own on the machine's server (127.0.0.1:5432 unless
//! `SEAM_TEST_POSTGRES_URL` says otherwise), dropped when done.
#![allow(dead_code, unreachable_pub)]

use seam_broker::store::PostgresOptions;

/// The server the tests use.
pub fn postgres_url() -> String {
    std::env::var("SEAM_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

/// A schema only this test uses; dropped with [`Schema::drop_now`] (and
/// left behind only when the test failed, for a look).
pub struct Schema {
    /// Store options pointing at it.
    pub options: PostgresOptions,
}

impl Schema {
    /// A fresh, empty schema named after `test`.
    pub async fn new(test: &str) -> Schema {
        let name = format!("t_{test}_{}_{}", std::process::id(), rand_suffix());
        let mut options = PostgresOptions::new(postgres_url());
        options.schema = name;
        Schema { options }
    }

    /// A PostgreSQL store on this schema (a node of its own, when opened
    /// more than once).
    pub async fn store(&self) -> std::sync::Arc<dyn seam_broker::SessionStore> {
        std::sync::Arc::new(
            seam_broker::store::PostgresStore::open(self.options.clone())
                .await
                .expect("open the PostgreSQL store"),
        )
    }

    /// Drops the schema and everything in it.
    pub async fn drop_now(self) {
        let (client, connection) = tokio_postgres::connect(&postgres_url(), tokio_postgres::NoTls)
            .await
            .expect("connect to PostgreSQL");
        tokio::spawn(connection);
        client
            .batch_execute(&format!(
                "DROP SCHEMA IF EXISTS {} CASCADE",
                self.options.schema
            ))
            .await
            .expect("drop schema");
    }
}

fn rand_suffix() -> String {
    use std::time::{SystemTime, UNIX_EPOCH};
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!("{nanos:x}")
}
