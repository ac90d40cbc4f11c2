//! The concurrent maps on every message's path.

/// A sharded concurrent map hashed with foldhash rather than the standard
/// SipHash: the hub's and the engine's lookups by session id and by
/// principal happen several times per message, and on their short string
/// keys foldhash costs a fraction of SipHash. It is seeded at random per
/// process; its keys are ids the broker made or subjects of tokens it
/// verified, not strings a client picks freely.
pub(crate) type SharedMap<K, V> = dashmap::DashMap<K, V, foldhash::fast::RandomState>;
