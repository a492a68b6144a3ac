//! The collections an item can hold, each keeping the bytes of its elements as they change, and
//! the helpers every collection RPC reads and writes them through: by type, under the item size
//! limit.

use super::{Cache, Entry, Value, too_large, wrong_type};
use std::collections::{HashMap, HashSet, VecDeque};
use tonic::Status;

/// Field -> value, with the bytes of its fields and values.
#[derive(Clone, Debug, Default)]
pub struct Dictionary {
    map: HashMap<Vec<u8>, Vec<u8>>,
    bytes: usize,
}

impl Dictionary {
    /// The number of fields.
    #[must_use]
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// Whether it has no field.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// The value of `field`.
    #[must_use]
    pub fn get(&self, field: &[u8]) -> Option<&Vec<u8>> {
        self.map.get(field)
    }

    /// Sets `field` to `value`.
    pub fn insert(&mut self, field: Vec<u8>, value: Vec<u8>) {
        let (f, v) = (field.len(), value.len());
        match self.map.insert(field, value) {
            // The field's own bytes were counted when it was first set.
            Some(old) => self.bytes = self.bytes - old.len() + v,
            None => self.bytes += f + v,
        }
    }

    /// Removes `field`.
    pub fn remove(&mut self, field: &[u8]) {
        if let Some(v) = self.map.remove(field) {
            self.bytes -= field.len() + v.len();
        }
    }

    /// Every field and value.
    pub fn iter(&self) -> impl Iterator<Item = (&Vec<u8>, &Vec<u8>)> {
        self.map.iter()
    }

    /// The bytes of its fields and values.
    #[must_use]
    pub fn bytes(&self) -> usize {
        self.bytes
    }
}

/// Distinct elements, with their bytes.
#[derive(Clone, Debug, Default)]
pub struct Set {
    set: HashSet<Vec<u8>>,
    bytes: usize,
}

impl Set {
    /// The number of elements.
    #[must_use]
    pub fn len(&self) -> usize {
        self.set.len()
    }

    /// Whether it has no element.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.set.is_empty()
    }

    /// Whether `e` is an element.
    #[must_use]
    pub fn contains(&self, e: &[u8]) -> bool {
        self.set.contains(e)
    }

    /// Adds `e`.
    pub fn insert(&mut self, e: Vec<u8>) {
        let n = e.len();
        if self.set.insert(e) {
            self.bytes += n;
        }
    }

    /// Removes `e`.
    pub fn remove(&mut self, e: &[u8]) {
        if self.set.remove(e) {
            self.bytes -= e.len();
        }
    }

    /// Every element (in the set's arbitrary, randomly keyed order).
    pub fn iter(&self) -> impl Iterator<Item = &Vec<u8>> {
        self.set.iter()
    }

    /// Removes every element.
    pub fn clear(&mut self) {
        self.set.clear();
        self.bytes = 0;
    }

    /// The bytes of its elements.
    #[must_use]
    pub fn bytes(&self) -> usize {
        self.bytes
    }
}

impl FromIterator<Vec<u8>> for Set {
    fn from_iter<I: IntoIterator<Item = Vec<u8>>>(iter: I) -> Set {
        let mut s = Set::default();
        for e in iter {
            s.insert(e);
        }
        s
    }
}

/// A sequence, with the bytes of its elements.
#[derive(Clone, Debug, Default)]
pub struct List {
    list: VecDeque<Vec<u8>>,
    bytes: usize,
}

impl List {
    /// The number of elements.
    #[must_use]
    pub fn len(&self) -> usize {
        self.list.len()
    }

    /// Whether it has no element.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// Adds `e` at the front.
    pub fn push_front(&mut self, e: Vec<u8>) {
        self.bytes += e.len();
        self.list.push_front(e);
    }

    /// Adds `e` at the back.
    pub fn push_back(&mut self, e: Vec<u8>) {
        self.bytes += e.len();
        self.list.push_back(e);
    }

    /// Removes the first element.
    pub fn pop_front(&mut self) -> Option<Vec<u8>> {
        let e = self.list.pop_front()?;
        self.bytes -= e.len();
        Some(e)
    }

    /// Removes the last element.
    pub fn pop_back(&mut self) -> Option<Vec<u8>> {
        let e = self.list.pop_back()?;
        self.bytes -= e.len();
        Some(e)
    }

    /// The elements from index `start` to `end` (exclusive; within the list).
    pub fn range(&self, start: usize, end: usize) -> impl Iterator<Item = &Vec<u8>> {
        self.list.range(start..end)
    }

    /// Keeps the elements for which `keep` is true.
    pub fn retain(&mut self, mut keep: impl FnMut(&Vec<u8>) -> bool) {
        let mut gone = 0;
        self.list.retain(|e| {
            let k = keep(e);
            if !k {
                gone += e.len();
            }
            k
        });
        self.bytes -= gone;
    }

    /// Keeps the elements from `start` to `end` (exclusive; within the list), in one pass.
    pub fn keep_range(&mut self, start: usize, end: usize) {
        let mut i = 0;
        self.retain(|_| {
            i += 1;
            (start..end).contains(&(i - 1))
        });
    }

    /// Removes the elements of every range `(start, count)`, in time linear in the list and the
    /// number of ranges (ranges overlapping or out of the list are fine), whatever their counts.
    pub fn erase_ranges(&mut self, ranges: impl Iterator<Item = (usize, usize)>) {
        let len = self.list.len();
        let mut spans: Vec<(usize, usize)> = ranges
            .map(|(s, n)| (s.min(len), s.saturating_add(n).min(len)))
            .filter(|(s, e)| s < e)
            .collect();
        spans.sort_unstable();
        // Merged, the spans cover each index at most once.
        let mut merged: Vec<(usize, usize)> = Vec::with_capacity(spans.len());
        for (s, e) in spans {
            match merged.last_mut() {
                Some(last) if s <= last.1 => last.1 = last.1.max(e),
                _ => merged.push((s, e)),
            }
        }
        let mut next = merged.into_iter().peekable();
        let mut i = 0;
        self.retain(|_| {
            let at = i;
            i += 1;
            while next.peek().is_some_and(|&(_, e)| e <= at) {
                next.next();
            }
            !next.peek().is_some_and(|&(s, e)| (s..e).contains(&at))
        });
    }

    /// Removes every element.
    pub fn clear(&mut self) {
        self.list.clear();
        self.bytes = 0;
    }

    /// The bytes of its elements.
    #[must_use]
    pub fn bytes(&self) -> usize {
        self.bytes
    }
}

impl FromIterator<Vec<u8>> for List {
    fn from_iter<I: IntoIterator<Item = Vec<u8>>>(iter: I) -> List {
        let mut l = List::default();
        for e in iter {
            l.push_back(e);
        }
        l
    }
}

/// The bytes a sorted-set element counts for: its value and its score.
pub(super) const SCORE_BYTES: usize = 8;

/// Element -> score, with the bytes of its elements and scores.
#[derive(Clone, Debug, Default)]
pub struct SortedSet {
    scores: HashMap<Vec<u8>, f64>,
    bytes: usize,
}

impl SortedSet {
    /// The number of elements.
    #[must_use]
    pub fn len(&self) -> usize {
        self.scores.len()
    }

    /// Whether it has no element.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.scores.is_empty()
    }

    /// The score of `e`.
    #[must_use]
    pub fn get(&self, e: &[u8]) -> Option<f64> {
        self.scores.get(e).copied()
    }

    /// Sets the score of `e`.
    pub fn insert(&mut self, e: Vec<u8>, score: f64) {
        let n = e.len();
        if self.scores.insert(e, score).is_none() {
            self.bytes += n + SCORE_BYTES;
        }
    }

    /// Adds `amount` to the score of `e` (0 when absent); the new score.
    pub fn increment(&mut self, e: &[u8], amount: f64) -> f64 {
        if let Some(s) = self.scores.get_mut(e) {
            *s += amount;
            return *s;
        }
        self.insert(e.to_vec(), amount);
        amount
    }

    /// Removes `e`.
    pub fn remove(&mut self, e: &[u8]) {
        if self.scores.remove(e).is_some() {
            self.bytes -= e.len() + SCORE_BYTES;
        }
    }

    /// Every element and score, unordered.
    pub fn iter(&self) -> impl Iterator<Item = (&Vec<u8>, f64)> {
        self.scores.iter().map(|(e, s)| (e, *s))
    }

    /// The elements in ascending (score, value) order.
    #[must_use]
    pub fn ranked(&self) -> Vec<(&Vec<u8>, f64)> {
        let mut v: Vec<_> = self.iter().collect();
        v.sort_by(|a, b| a.1.total_cmp(&b.1).then_with(|| a.0.cmp(b.0)));
        v
    }

    /// Removes every element.
    pub fn clear(&mut self) {
        self.scores.clear();
        self.bytes = 0;
    }

    /// The bytes of its elements and scores.
    #[must_use]
    pub fn bytes(&self) -> usize {
        self.bytes
    }
}

/// A collection an item can hold: its name in errors, how a new one starts, where it is in a
/// [`Value`] (`None` when the value is another type), and its size in bytes.
pub trait Collection: Sized + Clone {
    /// Its name in errors.
    const KIND: &'static str;
    /// A new, empty one, as a value.
    fn empty() -> Value;
    /// It in `v`, if `v` is one.
    fn of(v: &Value) -> Option<&Self>;
    /// It in `v`, if `v` is one.
    fn of_mut(v: &mut Value) -> Option<&mut Self>;
    /// The bytes of its elements.
    fn size(&self) -> usize;
}

macro_rules! collection {
    ($t:ty, $variant:ident, $kind:literal) => {
        impl Collection for $t {
            const KIND: &'static str = $kind;
            fn empty() -> Value {
                Value::$variant(<$t>::default())
            }
            fn size(&self) -> usize {
                self.bytes()
            }
            fn of(v: &Value) -> Option<&Self> {
                if let Value::$variant(c) = v {
                    Some(c)
                } else {
                    None
                }
            }
            fn of_mut(v: &mut Value) -> Option<&mut Self> {
                if let Value::$variant(c) = v {
                    Some(c)
                } else {
                    None
                }
            }
        }
    };
}
collection!(Dictionary, Dictionary, "dictionary");
collection!(Set, Set, "set");
collection!(List, List, "list");
collection!(SortedSet, SortedSet, "sorted set");

/// The collection at an item (`None` when absent), an error for another type.
pub fn read<C: Collection>(e: Option<&Entry>) -> Result<Option<&C>, Status> {
    match e {
        None => Ok(None),
        Some(e) => C::of(&e.value)
            .map(Some)
            .ok_or_else(|| wrong_type(&e.value, C::KIND)),
    }
}

/// Writes to the collection at `key`, creating it (with `ttl_ms`, refused past the limit) when
/// absent; `refresh` resets
/// the time to live of an existing one. `grows` is at most how many bytes `f` adds: when the item
/// could then pass the item size limit, `f` runs on a copy that replaces the collection only if
/// it fits, so a refused write leaves the item as it was.
pub fn write_collection<C: Collection, R>(
    c: &Cache,
    key: &[u8],
    ttl_ms: u64,
    refresh: bool,
    grows: usize,
    f: impl FnOnce(&mut C) -> Result<R, Status>,
) -> Result<R, Status> {
    let ttl = c.ttl(ttl_ms)?;
    c.update(key, |slot, now| {
        if let Some(e) = slot {
            if C::of(&e.value).is_none() {
                return Err(wrong_type(&e.value, C::KIND));
            }
            if refresh {
                e.expires = c.expiry(now, ttl);
            }
        }
        let entry = slot.get_or_insert_with(|| Entry {
            value: C::empty(),
            expires: c.expiry(now, ttl),
        });
        let Some(collection) = C::of_mut(&mut entry.value) else {
            return Err(wrong_type(&entry.value, C::KIND));
        };
        let limit = c.limits().max_item_bytes;
        if key.len() + collection.size() + grows <= limit {
            return f(collection);
        }
        let mut copy = collection.clone();
        let r = f(&mut copy)?;
        if key.len() + copy.size() > limit {
            return Err(too_large(key.len() + copy.size(), c.limits()));
        }
        *collection = copy;
        Ok(r)
    })
}

/// Changes an existing collection only (`None` when absent).
pub fn change_collection<C: Collection, R>(
    c: &Cache,
    key: &[u8],
    f: impl FnOnce(&mut C) -> Result<R, Status>,
) -> Result<Option<R>, Status> {
    c.update(key, |slot, _| match slot {
        None => Ok(None),
        Some(e) => match C::of_mut(&mut e.value) {
            Some(collection) => f(collection).map(Some),
            None => Err(wrong_type(&e.value, C::KIND)),
        },
    })
}
