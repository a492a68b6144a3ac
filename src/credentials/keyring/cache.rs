//! The verified credentials seen recently: sharded, bounded, keyed by a keyed hash of their
//! signature and compared in full.

use super::super::jws;
use super::session::Entry;
use crate::time::Timestamp;
use ahash::AHashMap;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock};

const SHARDS: usize = 16;

/// One shard of the cache: entries by the hash of their signature.
pub(super) type Shard = RwLock<AHashMap<u64, Arc<Entry>>>;

/// The verified credentials seen recently.
pub(super) struct Cache {
    pub(super) shards: Box<[Shard]>,
    pub(super) hasher: ahash::RandomState,
    pub(super) per_shard: usize,
}

pub(super) fn read<T>(lock: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(PoisonError::into_inner)
}

pub(super) fn write<T>(lock: &RwLock<T>) -> std::sync::RwLockWriteGuard<'_, T> {
    lock.write().unwrap_or_else(PoisonError::into_inner)
}

pub(super) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Cache {
    pub(super) fn new(capacity: usize) -> Cache {
        Cache {
            shards: (0..SHARDS).map(|_| RwLock::default()).collect(),
            hasher: ahash::RandomState::new(),
            per_shard: capacity.div_ceil(SHARDS).max(1),
        }
    }

    #[inline]
    pub(super) fn hash(&self, token: &str) -> u64 {
        self.hasher
            .hash_one(jws::signature_segment(token).as_bytes())
    }

    #[inline]
    pub(super) fn shard(&self, hash: u64) -> &Shard {
        &self.shards[(hash as usize) % SHARDS]
    }

    #[inline]
    pub(super) fn get(&self, token: &str) -> Option<Arc<Entry>> {
        let hash = self.hash(token);
        read(self.shard(hash))
            .get(&hash)
            .filter(|e| *e.token == *token)
            .cloned()
    }

    /// Inserts `entry`; returns how many valid entries it evicted to make room.
    pub(super) fn insert(&self, entry: Arc<Entry>, now: Timestamp) -> usize {
        let mut shard = write(self.shard(entry.hash));
        let mut evicted = 0;
        if shard.len() >= self.per_shard {
            shard.retain(|_, e| {
                e.live.load(Ordering::SeqCst) && !e.credential.expiry().is_expired(now)
            });
        }
        if shard.len() >= self.per_shard {
            // Still full of valid entries: let an eighth go (the map's order is random), so
            // that eviction costs O(1) per insertion over time. An evicted credential is
            // verified again when next seen, and sessions holding it are not affected.
            let excess = (self.per_shard / 8).max(1);
            let victims: Vec<u64> = shard.keys().take(excess).copied().collect();
            evicted = victims.len();
            for k in victims {
                shard.remove(&k);
            }
        }
        shard.insert(entry.hash, entry);
        evicted
    }

    pub(super) fn remove(&self, entry: &Arc<Entry>) {
        let mut shard = write(self.shard(entry.hash));
        if shard
            .get(&entry.hash)
            .is_some_and(|e| Arc::ptr_eq(e, entry))
        {
            shard.remove(&entry.hash);
        }
    }

    pub(super) fn clear(&self) {
        for shard in self.shards.iter() {
            write(shard).clear();
        }
    }

    pub(super) fn len(&self) -> usize {
        self.shards.iter().map(|s| read(s).len()).sum()
    }
}
