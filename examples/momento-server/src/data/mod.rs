//! The caches, in memory: items of five types with a time to live each, each no larger than
//! Momento's item size limit.
//!
//! An item past its expiry is gone: every access to a key first drops it if it has expired, so
//! no reader ever sees it. Each cache is split into shards, each behind its own lock.
//!
//! **Sizes.** Every collection keeps the byte count of its elements as they change, so an item's
//! size (its key and its value, as Momento counts it) is known at no cost, and a write that would
//! make an item larger than [`Limits::max_item_bytes`] is refused, the item left as it was. That
//! bounds the stored data any one call can touch, which with the per-request bounds of the
//! handlers bounds every call's work.

mod collections;

pub use collections::{
    Collection, Dictionary, List, Set, SortedSet, change_collection, read, write_collection,
};

use std::collections::HashMap;
use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::{Duration, Instant};
use tonic::Status;

const SHARDS: usize = 16;

/// Momento's documented service limits that bound what an item may hold, how long it may live
/// and what a call may read (its cache limits page, hard limits: item size 5 MB, the key
/// included; collection element size 128 KB; time to live 24 hours).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// The largest item: its key and its value (every element of a collection) together.
    pub max_item_bytes: usize,
    /// The largest collection element (a field, a value, a list or set element).
    pub max_element_bytes: usize,
    /// The most stored bytes one call may read from items it names in bulk (the sources of a
    /// sorted-set union): an fgac rule, where Momento documents none.
    pub max_read_bytes: usize,
    /// The longest time to live an item may be given, on a write or by UpdateTtl.
    pub max_ttl: Duration,
}

/// Momento's item size limit: 5 MB (5 MiB here, the larger reading; the SDK sends items of up to
/// 5,243,000 bytes, which fit).
pub const MAX_ITEM_BYTES: usize = 5 * 1024 * 1024;
/// Momento's collection element size limit: 128 KB.
pub const MAX_ELEMENT_BYTES: usize = 128 * 1024;
/// Momento's time to live limit: 24 hours.
pub const MAX_TTL: Duration = Duration::from_secs(24 * 60 * 60);

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_item_bytes: MAX_ITEM_BYTES,
            max_element_bytes: MAX_ELEMENT_BYTES,
            max_read_bytes: 8 * MAX_ITEM_BYTES,
            max_ttl: MAX_TTL,
        }
    }
}

/// A RESOURCE_EXHAUSTED status that Momento's SDKs read as their limit-exceeded error: `cause`
/// goes in the `err` trailer, where Momento names the limit (`item_size_limit_exceeded`, ...).
#[must_use]
pub fn limit_exceeded(cause: &'static str, message: String) -> Status {
    let mut metadata = tonic::metadata::MetadataMap::new();
    metadata.insert("err", tonic::metadata::MetadataValue::from_static(cause));
    Status::with_metadata(tonic::Code::ResourceExhausted, message, metadata)
}

/// The status of a write that would make an item larger than the limit.
#[must_use]
pub fn too_large(bytes: usize, limits: &Limits) -> Status {
    limit_exceeded(
        "item_size_limit_exceeded",
        format!(
            "the item would be {bytes} bytes, more than the item size limit of {} bytes",
            limits.max_item_bytes
        ),
    )
}

/// The status of a collection element larger than the limit.
#[must_use]
pub fn element_too_large(bytes: usize, limits: &Limits) -> Status {
    limit_exceeded(
        "element_size_limit_exceeded",
        format!(
            "an element of {bytes} bytes is more than the collection element size limit of {} bytes",
            limits.max_element_bytes
        ),
    )
}

/// A time to live a request asked for, checked against [`Limits::max_ttl`]: the only way to an
/// item's expiry, so that no write can skip the check.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ttl(Option<Duration>);

/// A stored value.
#[derive(Clone, Debug)]
pub enum Value {
    /// Bytes.
    Scalar(Vec<u8>),
    /// Field -> value.
    Dictionary(Dictionary),
    /// Distinct elements.
    Set(Set),
    /// A sequence.
    List(List),
    /// Element -> score.
    SortedSet(SortedSet),
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

    /// Its size in bytes, as Momento counts an item's value.
    #[must_use]
    pub fn bytes(&self) -> usize {
        match self {
            Value::Scalar(b) => b.len(),
            Value::Dictionary(d) => d.bytes(),
            Value::Set(s) => s.bytes(),
            Value::List(l) => l.bytes(),
            Value::SortedSet(z) => z.bytes(),
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

/// The item size from which a call runs off the reactor's threads.
pub const HEAVY_BYTES: usize = 64 * 1024;

/// Runs `f`, which may take long, after telling the runtime that this thread blocks (its other
/// tasks move to another thread). Outside a multi-threaded runtime, just runs it.
pub fn off_the_reactor<R>(f: impl FnOnce() -> R) -> R {
    match tokio::runtime::Handle::try_current() {
        Ok(h) if h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread => {
            tokio::task::block_in_place(f)
        }
        _ => f(),
    }
}

/// One cache.
#[derive(Debug)]
pub struct Cache {
    shards: Box<[Shard]>,
    default_ttl: Duration,
    limits: Limits,
}

fn shard_of(key: &[u8]) -> usize {
    let mut h = DefaultHasher::new();
    key.hash(&mut h);
    (h.finish() as usize) % SHARDS
}

impl Cache {
    fn new(default_ttl: Duration, limits: Limits) -> Cache {
        Cache {
            shards: (0..SHARDS).map(|_| Mutex::new(HashMap::new())).collect(),
            default_ttl,
            limits,
        }
    }

    /// The limits items and calls are held to.
    #[must_use]
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// The time to live `ttl_ms` (0: the cache's default), or INVALID_ARGUMENT naming the limit
    /// when it is longer than [`Limits::max_ttl`].
    pub fn ttl(&self, ttl_ms: u64) -> Result<Ttl, Status> {
        if ttl_ms == 0 {
            return Ok(Ttl(None));
        }
        let ttl = Duration::from_millis(ttl_ms);
        if ttl > self.limits.max_ttl {
            return Err(Status::invalid_argument(format!(
                "a time to live of {ttl_ms} ms is more than the time to live limit of {} ms",
                self.limits.max_ttl.as_millis()
            )));
        }
        Ok(Ttl(Some(ttl)))
    }

    /// When an item written now with `ttl` expires.
    #[must_use]
    pub fn expiry(&self, now: Instant, ttl: Ttl) -> Instant {
        // At most the limit (the default is held to it too), which no clock is near overflowing
        // by; were it, the item would expire now rather than the server panic.
        now.checked_add(ttl.0.unwrap_or(self.default_ttl))
            .unwrap_or(now)
    }

    fn lock(&self, key: &[u8]) -> std::sync::MutexGuard<'_, HashMap<Vec<u8>, Entry>> {
        self.shards[shard_of(key)]
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Runs `f` on the shard of `key`, on this thread when the item there is small, and when it
    /// is large (more than [`HEAVY_BYTES`]) after telling the runtime that this thread blocks,
    /// so that the reactor's other tasks move to another thread: a call on a large item never
    /// stalls calls on other items.
    fn with_shard<R>(&self, key: &[u8], f: impl FnOnce(&mut HashMap<Vec<u8>, Entry>) -> R) -> R {
        let mut map = self.lock(key);
        let heavy = map
            .get(key)
            .is_some_and(|e| key.len() + e.value.bytes() > HEAVY_BYTES);
        if !heavy {
            return f(&mut map);
        }
        drop(map);
        off_the_reactor(|| f(&mut self.lock(key)))
    }

    /// Runs `f` on the live item at `key` (`None` when absent or expired) and stores what it
    /// leaves: `None` deletes the item, and so does an empty collection.
    pub fn update<R>(&self, key: &[u8], f: impl FnOnce(&mut Option<Entry>, Instant) -> R) -> R {
        self.with_shard(key, |map| Cache::update_in(map, key, f))
    }

    fn update_in<R>(
        map: &mut HashMap<Vec<u8>, Entry>,
        key: &[u8],
        f: impl FnOnce(&mut Option<Entry>, Instant) -> R,
    ) -> R {
        let now = Instant::now();
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
        self.with_shard(key, |map| {
            let now = Instant::now();
            f(map.get(key).filter(|e| e.expires > now), now)
        })
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
    limits: Limits,
}

impl Data {
    /// No caches yet; items written without a time to live get `default_ttl`; items and calls
    /// are held to `limits`.
    #[must_use]
    pub fn new(default_ttl: Duration, limits: Limits) -> Data {
        Data {
            caches: RwLock::new(HashMap::new()),
            default_ttl,
            limits,
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
        caches.insert(
            name.to_owned(),
            Arc::new(Cache::new(self.default_ttl, self.limits)),
        );
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
    use super::collections::SCORE_BYTES;
    use super::*;

    #[test]
    fn expired_items_are_gone_and_empty_collections_deleted() {
        let data = Data::new(Duration::from_secs(60), Limits::default());
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
                value: Value::Set(Set::default()),
                expires: c.expiry(now, c.ttl(0).unwrap()),
            });
        });
        assert!(c.read(b"s", |e, _| e.is_none()));
        assert_eq!(
            data.create("c").unwrap_err().code(),
            tonic::Code::AlreadyExists
        );
        assert_eq!(data.cache("d").unwrap_err().code(), tonic::Code::NotFound);
    }

    /// Each collection's byte count is what recounting its elements gives, through every change.
    #[test]
    fn byte_counts_follow_every_change() {
        let b = |s: &str| s.as_bytes().to_vec();
        let mut d = Dictionary::default();
        d.insert(b("f"), b("vvv"));
        d.insert(b("f"), b("v"));
        d.insert(b("g"), b("ww"));
        d.remove(b"g");
        d.remove(b"absent");
        assert_eq!(
            d.bytes(),
            d.iter().map(|(f, v)| f.len() + v.len()).sum::<usize>()
        );
        assert_eq!(d.bytes(), 2);
        let mut s: Set = [b("ab"), b("ab"), b("c")].into_iter().collect();
        s.remove(b"c");
        s.remove(b"c");
        assert_eq!(s.bytes(), 2);
        let mut l = List::default();
        for e in ["a", "bb", "ccc", "dddd", "eeeee"] {
            l.push_back(b(e));
        }
        l.push_front(b("zz"));
        assert_eq!(l.pop_back(), Some(b("eeeee")));
        l.keep_range(1, 4);
        assert_eq!(
            l.range(0, l.len()).cloned().collect::<Vec<_>>(),
            [b("a"), b("bb"), b("ccc")]
        );
        assert_eq!(l.bytes(), 6);
        let mut z = SortedSet::default();
        z.insert(b("x"), 1.0);
        z.insert(b("x"), 2.0);
        assert_eq!(z.increment(b"y", 3.0), 3.0);
        assert_eq!(z.increment(b"y", 1.0), 4.0);
        z.remove(b"x");
        assert_eq!(z.bytes(), 1 + SCORE_BYTES);
    }

    #[test]
    fn erased_ranges_are_merged_whatever_their_number_and_counts() {
        let mut l = List::default();
        for i in 0..10u8 {
            l.push_back(vec![i]);
        }
        // Overlapping, repeated, out of the list and with huge counts.
        l.erase_ranges([(1, 2), (2, 2), (1, 1), (8, usize::MAX), (20, 5), (5, 0)].into_iter());
        let left: Vec<u8> = l.range(0, l.len()).map(|e| e[0]).collect();
        assert_eq!(left, [0, 4, 5, 6, 7]);
        assert_eq!(l.bytes(), 5);
        l.erase_ranges((0..1_000_000).map(|_| (0, 3)));
        let left: Vec<u8> = l.range(0, l.len()).map(|e| e[0]).collect();
        assert_eq!(left, [6, 7]);
    }
}
