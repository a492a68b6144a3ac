//! The caches, in memory: items of five types with a time to live each.
//!
//! An item past its expiry is gone: every access to a key first drops it if it has expired, so
//! no reader ever sees it. Each cache is split into shards, each behind its own lock.

use std::collections::hash_map::DefaultHasher;
use std::collections::{HashMap, HashSet, VecDeque};
use std::hash::{Hash, Hasher};
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::{Duration, Instant};
use tonic::Status;

const SHARDS: usize = 16;

/// A stored value.
#[derive(Clone, Debug)]
pub enum Value {
    /// Bytes.
    Scalar(Vec<u8>),
    /// Field -> value.
    Dictionary(HashMap<Vec<u8>, Vec<u8>>),
    /// Distinct elements.
    Set(HashSet<Vec<u8>>),
    /// A sequence.
    List(VecDeque<Vec<u8>>),
    /// Element -> score.
    SortedSet(HashMap<Vec<u8>, f64>),
}

impl Value {
    /// The type's name, for errors.
    #[must_use]
    pub fn kind(&self) -> &'static str {
        match self {
            Value::Scalar(_) => "scalar",
            Value::Dictionary(_) => "dictionary",
            Value::Set(_) => "set",
            Value::List(_) => "list",
            Value::SortedSet(_) => "sorted set",
        }
    }

    /// Whether a collection has no elements left (and so is deleted).
    fn is_empty_collection(&self) -> bool {
        match self {
            Value::Scalar(_) => false,
            Value::Dictionary(d) => d.is_empty(),
            Value::Set(s) => s.is_empty(),
            Value::List(l) => l.is_empty(),
            Value::SortedSet(z) => z.is_empty(),
        }
    }
}

/// An item: its value and when it expires.
#[derive(Clone, Debug)]
pub struct Entry {
    /// The value.
    pub value: Value,
    /// When it expires.
    pub expires: Instant,
}

/// The status of an access to an item of another type.
#[must_use]
pub fn wrong_type(found: &Value, wanted: &str) -> Status {
    Status::failed_precondition(format!("the item is a {}, not a {wanted}", found.kind()))
}

/// A hash of a scalar's bytes (what GetWithHash returns and SetIfHash compares): the same for
/// the same bytes while the server runs (std's SipHash with fixed keys; not promised across
/// Rust releases, so a client must not keep hashes across a server upgrade).
#[must_use]
pub fn value_hash(bytes: &[u8]) -> Vec<u8> {
    let mut h = DefaultHasher::new();
    bytes.hash(&mut h);
    h.finish().to_be_bytes().to_vec()
}

type Shard = Mutex<HashMap<Vec<u8>, Entry>>;

/// One cache.
#[derive(Debug)]
pub struct Cache {
    shards: Box<[Shard]>,
    default_ttl: Duration,
}

fn shard_of(key: &[u8]) -> usize {
    let mut h = DefaultHasher::new();
    key.hash(&mut h);
    (h.finish() as usize) % SHARDS
}

impl Cache {
    fn new(default_ttl: Duration) -> Cache {
        Cache {
            shards: (0..SHARDS).map(|_| Mutex::new(HashMap::new())).collect(),
            default_ttl,
        }
    }

    /// When an item written now with `ttl_ms` (0: the cache's default) expires.
    #[must_use]
    pub fn expiry(&self, now: Instant, ttl_ms: u64) -> Instant {
        let ttl = if ttl_ms == 0 {
            self.default_ttl
        } else {
            Duration::from_millis(ttl_ms)
        };
        now.checked_add(ttl)
            .unwrap_or_else(|| now + Duration::from_secs(365 * 86_400))
    }

    /// Runs `f` on the live item at `key` (`None` when absent or expired) and stores what it
    /// leaves: `None` deletes the item, and so does an empty collection.
    pub fn update<R>(&self, key: &[u8], f: impl FnOnce(&mut Option<Entry>, Instant) -> R) -> R {
        let now = Instant::now();
        let mut map = self.shards[shard_of(key)]
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let mut slot = match map.remove(key) {
            Some(e) if e.expires > now => Some(e),
            _ => None,
        };
        let r = f(&mut slot, now);
        if let Some(e) = slot
            && !e.value.is_empty_collection()
        {
            map.insert(key.to_vec(), e);
        }
        r
    }

    /// Runs `f` on the live item at `key`, without changing it.
    pub fn read<R>(&self, key: &[u8], f: impl FnOnce(Option<&Entry>, Instant) -> R) -> R {
        let now = Instant::now();
        let map = self.shards[shard_of(key)]
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        f(map.get(key).filter(|e| e.expires > now), now)
    }

    /// Removes every item.
    pub fn flush(&self) {
        for s in &self.shards {
            s.lock().unwrap_or_else(PoisonError::into_inner).clear();
        }
    }
}

/// Every cache of the server.
#[derive(Debug)]
pub struct Data {
    caches: RwLock<HashMap<String, Arc<Cache>>>,
    default_ttl: Duration,
}

impl Data {
    /// No caches yet; items written without a time to live get `default_ttl`.
    #[must_use]
    pub fn new(default_ttl: Duration) -> Data {
        Data {
            caches: RwLock::new(HashMap::new()),
            default_ttl,
        }
    }

    /// The cache named `name`, or NOT_FOUND.
    pub fn cache(&self, name: &str) -> Result<Arc<Cache>, Status> {
        self.caches
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(name)
            .cloned()
            .ok_or_else(|| Status::not_found(format!("cache not found: {name:?}")))
    }

    /// Creates a cache; ALREADY_EXISTS if it does.
    pub fn create(&self, name: &str) -> Result<(), Status> {
        let mut caches = self.caches.write().unwrap_or_else(PoisonError::into_inner);
        if caches.contains_key(name) {
            return Err(Status::already_exists(format!(
                "cache already exists: {name:?}"
            )));
        }
        caches.insert(name.to_owned(), Arc::new(Cache::new(self.default_ttl)));
        Ok(())
    }

    /// Deletes a cache; NOT_FOUND if there is none.
    pub fn delete(&self, name: &str) -> Result<(), Status> {
        self.caches
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(name)
            .map(|_| ())
            .ok_or_else(|| Status::not_found(format!("cache not found: {name:?}")))
    }

    /// The cache names, sorted.
    #[must_use]
    pub fn names(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .caches
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .keys()
            .cloned()
            .collect();
        names.sort();
        names
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expired_items_are_gone_and_empty_collections_deleted() {
        let data = Data::new(Duration::from_secs(60));
        data.create("c").unwrap();
        let c = data.cache("c").unwrap();
        c.update(b"k", |slot, now| {
            *slot = Some(Entry {
                value: Value::Scalar(b"v".to_vec()),
                expires: now + Duration::from_millis(30),
            });
        });
        assert!(c.read(b"k", |e, _| e.is_some()));
        std::thread::sleep(Duration::from_millis(60));
        assert!(c.read(b"k", |e, _| e.is_none()));
        c.update(b"s", |slot, now| {
            *slot = Some(Entry {
                value: Value::Set(HashSet::new()),
                expires: c.expiry(now, 0),
            });
        });
        assert!(c.read(b"s", |e, _| e.is_none()));
        assert_eq!(
            data.create("c").unwrap_err().code(),
            tonic::Code::AlreadyExists
        );
        assert_eq!(data.cache("d").unwrap_err().code(), tonic::Code::NotFound);
    }
}
