//! The verified credentials seen recently: bounded, keyed by a keyed hash of their signature
//! and compared in full.
//!
//! Eviction is quick_cache's: a CLOCK-PRO variant close to S3-FIFO, so a token seen once (a
//! scan of one-time tokens) is let go before the tokens a server sees again and again, and no
//! insertion scans a shard. Measured against an exact LRU of the same capacity on a Zipf
//! population with a scan through it (`tests/keyring_cache.rs`, `benches/keyring_cache.rs`).

use super::super::jws;
use super::session::Entry;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

/// Counts what an insertion evicted.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Evictions;

impl quick_cache::Lifecycle<u64, Arc<Entry>> for Evictions {
    type RequestState = usize;

    #[inline]
    fn on_evict(&self, evicted: &mut usize, _key: u64, _entry: Arc<Entry>) {
        *evicted += 1;
    }
}

type Map = quick_cache::sync::Cache<
    u64,
    Arc<Entry>,
    quick_cache::UnitWeighter,
    ahash::RandomState,
    Evictions,
>;

/// The verified credentials seen recently.
pub(super) struct Cache {
    map: Map,
    hasher: ahash::RandomState,
}

pub(super) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Cache {
    pub(super) fn new(capacity: usize) -> Cache {
        let capacity = capacity.max(1);
        Cache {
            map: Map::with(
                capacity,
                capacity as u64,
                quick_cache::UnitWeighter,
                ahash::RandomState::new(),
                Evictions,
            ),
            hasher: ahash::RandomState::new(),
        }
    }

    #[inline]
    pub(super) fn hash(&self, token: &str) -> u64 {
        self.hasher
            .hash_one(jws::signature_segment(token).as_bytes())
    }

    #[inline]
    pub(super) fn get(&self, token: &str) -> Option<Arc<Entry>> {
        self.map
            .get(&self.hash(token))
            .filter(|e| *e.token == *token)
    }

    /// Inserts `entry`; returns how many entries it evicted to make room. An evicted credential
    /// is verified again when next seen; sessions holding it are not affected.
    pub(super) fn insert(&self, entry: Arc<Entry>) -> usize {
        let mut evicted = 0;
        self.map
            .insert_with_lifecycle(entry.hash, entry, &mut evicted);
        evicted
    }

    pub(super) fn remove(&self, entry: &Arc<Entry>) {
        self.map.remove_if(&entry.hash, |e| Arc::ptr_eq(e, entry));
    }

    pub(super) fn clear(&self) {
        self.map.clear();
    }

    pub(super) fn len(&self) -> usize {
        self.map.len()
    }
}
