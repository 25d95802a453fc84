//! Answers cached against the audit feed head. Every write transaction bumps
//! `audit_head.seq` as its last statement, holding the row lock to commit
//! (see [`crate::store::audit`]), so the head changes whenever committed data does.
//! An answer computed after reading head H is therefore current for as long
//! as the head still reads H, in this process or any other on the same
//! database; a reader pays one primary-key read
//! ([`crate::store::audit::feed_head`]) instead of the computation.
//!
//! Only changes made through the audited write path count: a row written by
//! hand in SQL without an audit event is invisible to the cache until the
//! next audited change.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;

/// A bounded map from a request's key to its answer and the head it was
/// computed at. Values are cheap to clone (an `Arc` or small struct).
pub struct FeedCache<K, V> {
    entries: Mutex<HashMap<K, (i64, V)>>,
    capacity: usize,
}

impl<K: Hash + Eq, V: Clone> FeedCache<K, V> {
    pub fn new(capacity: usize) -> Self {
        FeedCache {
            entries: Mutex::new(HashMap::new()),
            capacity: capacity.max(1),
        }
    }

    /// The answer for `key` if it was computed at `head`.
    pub fn get(&self, key: &K, head: i64) -> Option<V> {
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries
            .get(key)
            .filter(|(at, _)| *at == head)
            .map(|(_, value)| value.clone())
    }

    /// Stores an answer computed after reading `head`. An answer of an
    /// older head never replaces a newer one (requests finish out of order).
    pub fn put(&self, key: K, head: i64, value: V) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if entries.get(&key).is_some_and(|(at, _)| *at > head) {
            return;
        }
        if entries.len() >= self.capacity && !entries.contains_key(&key) {
            // Entries of older heads are dead weight; if every entry is
            // current, start over rather than track recency.
            entries.retain(|_, (at, _)| *at >= head);
            if entries.len() >= self.capacity {
                entries.clear();
            }
        }
        entries.insert(key, (head, value));
    }
}

#[cfg(test)]
mod tests {
    use super::FeedCache;

    #[test]
    fn answers_only_at_the_head_it_was_computed_at() {
        let cache = FeedCache::new(4);
        cache.put("a", 7, 1);
        assert_eq!(cache.get(&"a", 7), Some(1));
        assert_eq!(cache.get(&"a", 8), None);
        assert_eq!(cache.get(&"b", 7), None);
    }

    #[test]
    fn an_older_answer_never_replaces_a_newer_one() {
        let cache = FeedCache::new(4);
        cache.put("a", 9, 2);
        cache.put("a", 8, 1);
        assert_eq!(cache.get(&"a", 9), Some(2));
        assert_eq!(cache.get(&"a", 8), None);
    }

    #[test]
    fn stays_within_its_capacity() {
        let cache = FeedCache::new(2);
        cache.put(1, 5, "x");
        cache.put(2, 5, "y");
        cache.put(3, 6, "z");
        // The entries of head 5 went; the new one is there.
        assert_eq!(cache.get(&3, 6), Some("z"));
        assert_eq!(cache.get(&1, 5), None);
        cache.put(4, 6, "w");
        cache.put(5, 6, "v");
        assert!(cache.entries.lock().unwrap().len() <= 2);
        assert_eq!(cache.get(&5, 6), Some("v"));
    }
}
