//! The compiled credentials of a store, by name and in document order, shared between the
//! store's versions: an update that changes k credentials copies the few shards and chunks that
//! hold them and shares everything else, so it costs O(k) and the old and the new store together
//! hold little more than one.
//!
//! **By name**: shards of [`NameTable`]s that share one hasher; the hash of a name picks its shard
//! (high bits) and its slot there (low bits), so a lookup hashes once. A store of a few thousand
//! credentials is one shard, and one of up to four names is scanned without hashing.
//!
//! **In order**: chunks of `(place, credential)` sorted by place, where a place is a number that
//! grows along the document and is never given twice in a store's lineage: a credential replaced
//! keeps its place, one added takes the next.

use super::Credential;
use super::names::NameTable;
use crate::limits::{Budget, TooLarge};
use std::sync::Arc;

/// About how many names a shard holds when a directory is built.
const SHARD_NAMES: usize = 4096;
/// How many credentials a chunk of the order holds at most.
const CHUNK: usize = 512;

/// A credential as the name table holds it: shared, with its place in document order.
#[derive(Clone, Debug)]
pub(crate) struct Listed {
    pub(crate) credential: Arc<Credential>,
    place: u64,
}

type Chunk = Vec<(u64, Arc<Credential>)>;

/// Credentials by name and in document order.
#[derive(Clone, Debug)]
pub(crate) struct Directory {
    hasher: ahash::RandomState,
    /// A power of two of them.
    shards: Vec<Arc<NameTable<Listed>>>,
    /// Never empty chunks, in order of their places.
    order: Vec<Arc<Chunk>>,
    len: usize,
    next_place: u64,
    name_bytes: usize,
}

/// What a directory's tables cost per name (charged by this formula, whatever the shards'
/// layout, so that a store reached by updates is charged as the same store compiled at once).
const PER_NAME: usize = std::mem::size_of::<Listed>()
    + 16 // an entry's hash, offset and length
    + 2 * std::mem::size_of::<u32>() // two slots per entry
    + std::mem::size_of::<(u64, Arc<Credential>)>();

/// The bytes a directory of `len` names of `name_bytes` bytes in all is charged.
pub(crate) fn charge(len: usize, name_bytes: usize) -> Option<usize> {
    len.checked_mul(PER_NAME)?.checked_add(name_bytes)
}

impl Directory {
    /// The directory of `credentials`, in this order, whose names are distinct.
    pub(crate) fn build(credentials: Vec<Arc<Credential>>) -> Result<Directory, TooLarge> {
        let hasher = ahash::RandomState::new();
        let shards = credentials
            .len()
            .div_ceil(SHARD_NAMES)
            .checked_next_power_of_two()
            .ok_or(TooLarge)?
            .max(1);
        let mut by_shard: Vec<Vec<(&str, Listed)>> = vec![Vec::new(); shards];
        let mut name_bytes = 0usize;
        for (place, c) in credentials.iter().enumerate() {
            let hash = hasher.hash_one(c.name().as_bytes());
            name_bytes += c.name().len();
            by_shard[shard_of(hash, shards)].push((
                c.name(),
                Listed {
                    credential: Arc::clone(c),
                    place: place as u64,
                },
            ));
        }
        let shards = by_shard
            .into_iter()
            .map(|pairs| table(&hasher, pairs).map(Arc::new))
            .collect::<Result<Vec<_>, _>>()?;
        let len = credentials.len();
        let order = chunks(
            credentials
                .into_iter()
                .enumerate()
                .map(|(place, c)| (place as u64, c)),
        );
        Ok(Directory {
            hasher,
            shards,
            order,
            len,
            next_place: len as u64,
            name_bytes,
        })
    }

    /// A directory of no credentials.
    pub(crate) fn empty() -> Directory {
        let hasher = ahash::RandomState::new();
        // An empty table cannot be over budget or past its offsets.
        let only = table(&hasher, Vec::new()).unwrap_or_default();
        Directory {
            hasher,
            shards: vec![Arc::new(only)],
            order: Vec::new(),
            len: 0,
            next_place: 0,
            name_bytes: 0,
        }
    }

    /// The credential named `name`; no allocation.
    #[inline(always)]
    pub(crate) fn get(&self, name: &str) -> Option<&Arc<Credential>> {
        let listed = if let [only] = self.shards.as_slice() {
            only.get_ref(name)
        } else {
            let hash = self.hasher.hash_one(name.as_bytes());
            self.shards
                .get(shard_of(hash, self.shards.len()))?
                .get_hashed(hash, name)
        };
        listed.map(|l| &l.credential)
    }

    /// How many credentials.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// The bytes of the names.
    pub(crate) fn name_bytes(&self) -> usize {
        self.name_bytes
    }

    /// The credentials in document order.
    pub(crate) fn iter(&self) -> Credentials<'_> {
        Credentials {
            chunks: self.order.iter(),
            chunk: [].iter(),
            left: self.len,
        }
    }

    /// This directory without the credentials named in `remove` and with those of `put`, each
    /// replacing the one of its name in place or, if there is none, added after the last.
    /// Every name in `remove` is here, and no name is in both or twice in either (the caller
    /// checked). Copies only the shards and chunks these names fall in.
    pub(crate) fn update(
        &self,
        remove: &[&str],
        put: Vec<Arc<Credential>>,
    ) -> Result<Directory, TooLarge> {
        let mut next = self.clone();
        let shards = self.shards.len();
        // What changes in each shard: names to drop, entries to add.
        let mut touched: ahash::AHashMap<usize, (Vec<&str>, Vec<Listed>)> = ahash::AHashMap::new();
        let mut appended: Vec<(u64, Arc<Credential>)> = Vec::new();
        for name in remove {
            let hash = self.hasher.hash_one(name.as_bytes());
            let shard = shard_of(hash, shards);
            let listed = self.shards[shard].get_hashed(hash, name).ok_or(TooLarge)?;
            next.remove_place(listed.place);
            next.len -= 1;
            next.name_bytes -= name.len();
            touched.entry(shard).or_default().0.push(name);
        }
        for c in &put {
            let hash = self.hasher.hash_one(c.name().as_bytes());
            let shard = shard_of(hash, shards);
            let changes = touched.entry(shard).or_default();
            let place = match self.shards[shard].get_hashed(hash, c.name()) {
                Some(old) => {
                    next.replace_place(old.place, Arc::clone(c));
                    changes.0.push(c.name());
                    old.place
                }
                None => {
                    let place = next.next_place;
                    next.next_place += 1;
                    next.len += 1;
                    next.name_bytes += c.name().len();
                    appended.push((place, Arc::clone(c)));
                    place
                }
            };
            changes.1.push(Listed {
                credential: Arc::clone(c),
                place,
            });
        }
        next.append(appended);
        for (shard, (dropped, added)) in touched {
            let old = &self.shards[shard];
            let mut pairs: Vec<(&str, Listed)> = old
                .entries()
                .filter_map(|(name, l)| Some((std::str::from_utf8(name).ok()?, l.clone())))
                .filter(|(name, _)| !dropped.contains(name))
                .collect();
            pairs.extend(added.iter().map(|l| (l.credential.name(), l.clone())));
            next.shards[shard] = Arc::new(table(&self.hasher, pairs)?);
        }
        // Keep the shards and chunks near their built sizes: rebuild (rarely, so that the cost
        // spreads over the updates that led here) when the store grew or shrank a lot.
        let per_shard = next.len / next.shards.len();
        let scattered = next.order.len() > 2 * next.len.div_ceil(CHUNK) + 2;
        if per_shard > 4 * SHARD_NAMES
            || (next.shards.len() > 1 && per_shard < SHARD_NAMES / 4)
            || scattered
        {
            let next_place = next.next_place;
            let mut rebuilt = Directory::build(next.iter_shared().cloned().collect())?;
            // Places stay increasing: renumbered from 0, they are below any given before.
            rebuilt.next_place = rebuilt.next_place.max(next_place);
            return Ok(rebuilt);
        }
        Ok(next)
    }

    /// Its credentials in document order, each unshared if nothing else holds it.
    pub(crate) fn into_shared(self) -> Vec<Arc<Credential>> {
        let Directory { shards, order, .. } = self;
        drop(shards);
        order
            .into_iter()
            .flat_map(|chunk| Arc::try_unwrap(chunk).unwrap_or_else(|c| (*c).clone()))
            .map(|(_, c)| c)
            .collect()
    }

    fn iter_shared(&self) -> impl Iterator<Item = &Arc<Credential>> {
        self.order.iter().flat_map(|c| c.iter().map(|(_, c)| c))
    }

    /// The chunk holding `place`, and its position there.
    fn find(&self, place: u64) -> Option<(usize, usize)> {
        let chunk = self
            .order
            .partition_point(|c| c.first().is_some_and(|(p, _)| *p <= place))
            .checked_sub(1)?;
        let at = self.order[chunk]
            .binary_search_by_key(&place, |(p, _)| *p)
            .ok()?;
        Some((chunk, at))
    }

    fn replace_place(&mut self, place: u64, c: Arc<Credential>) {
        if let Some((chunk, at)) = self.find(place) {
            Arc::make_mut(&mut self.order[chunk])[at].1 = c;
        }
    }

    fn remove_place(&mut self, place: u64) {
        if let Some((chunk, at)) = self.find(place) {
            let items = Arc::make_mut(&mut self.order[chunk]);
            items.remove(at);
            if items.is_empty() {
                self.order.remove(chunk);
            }
        }
    }

    fn append(&mut self, mut added: Vec<(u64, Arc<Credential>)>) {
        let mut rest = added.drain(..);
        if let Some(last) = self.order.last_mut()
            && last.len() < CHUNK
        {
            let last = Arc::make_mut(last);
            let room = CHUNK - last.len();
            last.extend(rest.by_ref().take(room));
        }
        self.order.extend(chunks(rest));
    }

    /// Bytes of memory it holds, credentials included (shared ones too: what it would hold
    /// alone).
    pub(crate) fn memory_usage(&self) -> usize {
        self.shards.capacity() * std::mem::size_of::<Arc<NameTable<Listed>>>()
            + self
                .shards
                .iter()
                .map(|s| std::mem::size_of::<NameTable<Listed>>() + s.memory_usage())
                .sum::<usize>()
            + self.order.capacity() * std::mem::size_of::<Arc<Chunk>>()
            + self
                .order
                .iter()
                .map(|c| {
                    std::mem::size_of::<Chunk>()
                        + c.capacity() * std::mem::size_of::<(u64, Arc<Credential>)>()
                })
                .sum::<usize>()
            + self
                .iter()
                // An `Arc`'s two counts, and the credential.
                .map(|c| 2 * std::mem::size_of::<usize>() + c.memory_usage())
                .sum::<usize>()
    }
}

/// The shard of a name hashed to `hash`, among `shards` (a power of two).
#[inline(always)]
fn shard_of(hash: u64, shards: usize) -> usize {
    (hash >> 32) as usize & (shards - 1)
}

fn table(
    hasher: &ahash::RandomState,
    pairs: Vec<(&str, Listed)>,
) -> Result<NameTable<Listed>, TooLarge> {
    // Charged by the directory's formula instead (see [`charge`]).
    NameTable::try_build_with(hasher.clone(), pairs, &mut Budget::new(usize::MAX))
}

fn chunks(items: impl Iterator<Item = (u64, Arc<Credential>)>) -> Vec<Arc<Chunk>> {
    let mut out = Vec::new();
    let mut current = Vec::with_capacity(CHUNK);
    for item in items {
        current.push(item);
        if current.len() == CHUNK {
            out.push(Arc::new(std::mem::replace(
                &mut current,
                Vec::with_capacity(CHUNK),
            )));
        }
    }
    if !current.is_empty() {
        current.shrink_to_fit();
        out.push(Arc::new(current));
    }
    out
}

/// The credentials of a store in document order ([`Authorizer::credentials`](super::Authorizer::credentials)).
#[derive(Clone, Debug)]
pub struct Credentials<'a> {
    chunks: std::slice::Iter<'a, Arc<Chunk>>,
    chunk: std::slice::Iter<'a, (u64, Arc<Credential>)>,
    left: usize,
}

impl<'a> Iterator for Credentials<'a> {
    type Item = &'a Credential;

    fn next(&mut self) -> Option<&'a Credential> {
        loop {
            if let Some((_, c)) = self.chunk.next() {
                self.left -= 1;
                return Some(c);
            }
            self.chunk = self.chunks.next()?.iter();
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }
}

impl ExactSizeIterator for Credentials<'_> {}

impl std::iter::FusedIterator for Credentials<'_> {}
