//! A session's idempotency index: the ids of its last commands, per
//! principal, and the seq of the first event each stored.
//!
//! Every stored event with a command id passes through here, so it is one
//! allocation per command (principal and id in one string), found through
//! one hash table of positions into the list that keeps them oldest first.

use std::collections::VecDeque;
use std::hash::BuildHasher;

use hashbrown::HashTable;

/// The last commands applied to a session, and the seq each committed.
#[derive(Default)]
pub(super) struct Applied {
    /// Positions in `commands`, found by the hash of (principal, id).
    index: HashTable<u64>,
    /// The remembered commands, oldest first.
    commands: VecDeque<Command>,
    /// The position of `commands`' first entry.
    base: u64,
    hasher: foldhash::fast::RandomState,
}

/// One remembered command.
struct Command {
    /// The principal, then the command id.
    key: Box<str>,
    /// Where the id starts in `key`.
    split: usize,
    /// The seq of the first event it stored.
    seq: u64,
}

impl Command {
    fn is(&self, sub: &str, id: &str) -> bool {
        self.key.len() == sub.len() + id.len()
            && &self.key[..self.split] == sub
            && &self.key[self.split..] == id
    }

    fn parts(&self) -> (&str, &str) {
        self.key.split_at(self.split)
    }
}

impl std::fmt::Debug for Applied {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Applied")
            .field("commands", &self.commands.len())
            .finish_non_exhaustive()
    }
}

impl Applied {
    fn hash(hasher: &foldhash::fast::RandomState, sub: &str, id: &str) -> u64 {
        hasher.hash_one((sub, id))
    }

    /// The seq `sub`'s command `id` committed, if it is remembered.
    pub(super) fn get(&self, sub: &str, id: &str) -> Option<u64> {
        let hash = Self::hash(&self.hasher, sub, id);
        let at = self.index.find(hash, |&at| {
            self.entry(at).is_some_and(|command| command.is(sub, id))
        })?;
        self.entry(*at).map(|command| command.seq)
    }

    fn entry(&self, at: u64) -> Option<&Command> {
        self.commands.get(at.checked_sub(self.base)? as usize)
    }

    /// Remembers that `sub`'s command `id` committed `seq` (a command that
    /// stores several events keeps its first), forgetting the oldest
    /// command beyond `keep`.
    pub(super) fn remember(&mut self, sub: &str, id: &str, seq: u64, keep: usize) {
        if self.get(sub, id).is_some() {
            return;
        }
        let Applied {
            index,
            commands,
            base,
            hasher,
        } = self;
        let hash = Self::hash(hasher, sub, id);
        let at = *base + commands.len() as u64;
        let mut key = String::with_capacity(sub.len() + id.len());
        key.push_str(sub);
        key.push_str(id);
        commands.push_back(Command {
            key: key.into_boxed_str(),
            split: sub.len(),
            seq,
        });
        index.insert_unique(hash, at, |&at| {
            let (sub, id) = commands[(at - *base) as usize].parts();
            Self::hash(hasher, sub, id)
        });
        while commands.len() > keep.max(1) {
            let Some(oldest) = commands.pop_front() else {
                break;
            };
            let (sub, id) = oldest.parts();
            let oldest_at = *base;
            if let Ok(entry) = index.find_entry(Self::hash(hasher, sub, id), |&at| at == oldest_at)
            {
                entry.remove();
            }
            *base += 1;
        }
    }

    /// Forgets the commands that committed after `seq`: they were decided,
    /// then not stored.
    pub(super) fn forget_after(&mut self, seq: u64) {
        while self.commands.back().is_some_and(|newest| newest.seq > seq) {
            let Some(newest) = self.commands.pop_back() else {
                break;
            };
            let at = self.base + self.commands.len() as u64;
            let (sub, id) = newest.parts();
            let hash = Self::hash(&self.hasher, sub, id);
            if let Ok(entry) = self.index.find_entry(hash, |&found| found == at) {
                entry.remove();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Applied;

    #[test]
    fn remembers_the_last_commands_and_forgets_the_oldest() {
        let mut applied = Applied::default();
        for n in 0..5u64 {
            applied.remember("alice", &format!("c{n}"), n + 2, 3);
        }
        assert_eq!(applied.get("alice", "c0"), None);
        assert_eq!(applied.get("alice", "c1"), None);
        assert_eq!(applied.get("alice", "c2"), Some(4));
        assert_eq!(applied.get("alice", "c4"), Some(6));
        // Another principal's command with the same id is another command.
        assert_eq!(applied.get("bob", "c4"), None);
        applied.remember("bob", "c4", 7, 3);
        assert_eq!(applied.get("bob", "c4"), Some(7));
        assert_eq!(applied.get("alice", "c4"), Some(6));
        assert_eq!(applied.get("alice", "c2"), None, "beyond the last three");
    }

    #[test]
    fn keys_are_the_principal_and_the_id_not_their_concatenation() {
        let mut applied = Applied::default();
        applied.remember("ab", "c", 2, 10);
        assert_eq!(applied.get("a", "bc"), None);
        assert_eq!(applied.get("ab", "c"), Some(2));
    }

    #[test]
    fn a_command_that_stores_several_events_keeps_its_first() {
        let mut applied = Applied::default();
        applied.remember("alice", "transfer", 5, 10);
        applied.remember("alice", "transfer", 6, 10);
        assert_eq!(applied.get("alice", "transfer"), Some(5));
    }

    #[test]
    fn forgets_what_was_decided_after_a_seq() {
        let mut applied = Applied::default();
        for n in 0..6u64 {
            applied.remember("alice", &format!("c{n}"), n + 1, 100);
        }
        applied.forget_after(3);
        assert_eq!(applied.get("alice", "c2"), Some(3));
        assert_eq!(applied.get("alice", "c3"), None);
        assert_eq!(applied.get("alice", "c5"), None);
        applied.remember("alice", "c3", 4, 100);
        assert_eq!(applied.get("alice", "c3"), Some(4));
    }

    #[test]
    fn stays_consistent_through_many_evictions() {
        let mut applied = Applied::default();
        for n in 0..10_000u64 {
            applied.remember(if n % 2 == 0 { "a" } else { "b" }, &n.to_string(), n, 64);
        }
        for n in 0..10_000u64 {
            let sub = if n % 2 == 0 { "a" } else { "b" };
            let expected = (n >= 10_000 - 64).then_some(n);
            assert_eq!(applied.get(sub, &n.to_string()), expected, "command {n}");
        }
    }
}
