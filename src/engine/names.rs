//! A frozen map from names (cache names, credential names) to small values, built for lookups: open
//! addressing over a power-of-two table at most half full, names in one byte arena, the full hash
//! kept beside each entry so that a probe compares names only when the hashes agree.
//!
//! The hash is ahash, seeded at random per process, so an attacker who picks the names looked up
//! cannot predict where they land; the table is built from the document's names only, so lookups
//! cannot lengthen its probe sequences.

use super::ids::EntryId;
use super::trie::same_bytes;
use crate::limits::{Budget, TooLarge};

/// Up to this many names, a lookup compares them one by one instead of hashing.
const LINEAR_SCAN_MAX: usize = 4;

#[derive(Clone, Debug)]
struct Entry<V> {
    hash: u64,
    start: u32,
    len: u32,
    value: V,
}

/// Names to values.
#[derive(Clone, Debug)]
pub(crate) struct NameTable<V> {
    hasher: ahash::RandomState,
    /// Entries by slot; the length is a power of two.
    slots: Vec<Option<EntryId>>,
    /// Entry 0 is a placeholder no slot names (a copy of entry 1), so that an [`EntryId`] is its
    /// index; empty when the table is.
    entries: Vec<Entry<V>>,
    bytes: Vec<u8>,
}

impl<V: Clone> Default for NameTable<V> {
    fn default() -> NameTable<V> {
        NameTable::build(std::iter::empty())
    }
}

impl<V: Clone> NameTable<V> {
    /// The table of `(name, value)` pairs, charged to `budget`; a name given twice keeps its first
    /// value. Fails when over budget or when the names do not fit `u32` offsets.
    pub(crate) fn try_build(
        pairs: Vec<(&str, V)>,
        budget: &mut Budget,
    ) -> Result<NameTable<V>, TooLarge> {
        NameTable::try_build_with(ahash::RandomState::new(), pairs, budget)
    }

    /// [`NameTable::try_build`] hashing with `hasher`: the tables of a sharded map share one, so
    /// that one hash of a name picks its shard and probes it.
    pub(crate) fn try_build_with(
        hasher: ahash::RandomState,
        pairs: Vec<(&str, V)>,
        budget: &mut Budget,
    ) -> Result<NameTable<V>, TooLarge> {
        let slots_len = pairs
            .len()
            .checked_mul(2)
            .and_then(usize::checked_next_power_of_two)
            .ok_or(TooLarge)?
            .max(2);
        let bytes: usize = pairs.iter().map(|(n, _)| n.len()).sum();
        budget.charge_for::<Option<EntryId>>(slots_len)?;
        budget.charge_for::<Entry<V>>(pairs.len() + 1)?;
        budget.charge(bytes)?;
        let mut table = NameTable {
            hasher,
            slots: vec![None; slots_len],
            entries: Vec::with_capacity(pairs.len() + 1),
            bytes: Vec::with_capacity(bytes),
        };
        for (name, value) in pairs {
            let hash = table.hasher.hash_one(name.as_bytes());
            if table.get_hashed(hash, name).is_some() {
                continue;
            }
            let entry = Entry {
                hash,
                start: u32::try_from(table.bytes.len()).map_err(|_| TooLarge)?,
                len: u32::try_from(name.len()).map_err(|_| TooLarge)?,
                value,
            };
            if table.entries.is_empty() {
                table.entries.push(entry.clone());
            }
            let id = EntryId::new(table.entries.len()).ok_or(TooLarge)?;
            table.bytes.extend_from_slice(name.as_bytes());
            table.entries.push(entry);
            let mask = table.slots.len() - 1;
            let mut slot = hash as usize & mask;
            while table.slots[slot].is_some() {
                slot = (slot + 1) & mask;
            }
            table.slots[slot] = Some(id);
        }
        Ok(table)
    }

    /// A table of names known to fit, without a budget (tests, empty tables).
    pub(crate) fn build<'a>(pairs: impl IntoIterator<Item = (&'a str, V)>) -> NameTable<V> {
        let pairs = pairs.into_iter().collect();
        NameTable::try_build(pairs, &mut Budget::new(usize::MAX)).unwrap_or_else(|_| NameTable {
            hasher: ahash::RandomState::new(),
            slots: vec![None; 2],
            entries: Vec::new(),
            bytes: Vec::new(),
        })
    }

    /// The value of `name`; no allocation.
    #[inline(always)]
    pub(crate) fn get(&self, name: &str) -> Option<V>
    where
        V: Copy,
    {
        self.get_ref(name).copied()
    }

    /// The value of `name`, borrowed; no allocation.
    #[inline(always)]
    pub(crate) fn get_ref(&self, name: &str) -> Option<&V> {
        // A credential names few caches: comparing a handful of names directly is cheaper than
        // hashing one.
        let named = self.entries.get(1..).unwrap_or_default();
        if named.len() <= LINEAR_SCAN_MAX {
            for e in named {
                if e.len as usize == name.len() {
                    let start = e.start as usize;
                    if same_bytes(self.bytes.get(start..start + name.len())?, name.as_bytes()) {
                        return Some(&e.value);
                    }
                }
            }
            return None;
        }
        self.get_hashed(self.hasher.hash_one(name.as_bytes()), name)
    }

    /// The value of `name`, whose hash under this table's hasher is `hash`.
    #[inline(always)]
    pub(crate) fn get_hashed(&self, hash: u64, name: &str) -> Option<&V> {
        let mask = self.slots.len().wrapping_sub(1);
        let mut slot = hash as usize & mask;
        // At most half the slots are taken, so an empty one ends every probe; the bound is a
        // second guarantee.
        for _ in 0..self.slots.len() {
            let id = (*self.slots.get(slot)?)?;
            let entry = self.entries.get(id.index())?;
            if entry.hash == hash {
                let start = entry.start as usize;
                let stored = self.bytes.get(start..start + entry.len as usize)?;
                if same_bytes(stored, name.as_bytes()) {
                    return Some(&entry.value);
                }
            }
            slot = (slot + 1) & mask;
        }
        None
    }

    /// Every name, with its value.
    pub(crate) fn entries(&self) -> impl Iterator<Item = (&[u8], &V)> {
        self.entries.iter().skip(1).map(|e| {
            let start = e.start as usize;
            (
                self.bytes
                    .get(start..start + e.len as usize)
                    .unwrap_or_default(),
                &e.value,
            )
        })
    }

    /// How many names.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.entries.len().saturating_sub(1)
    }

    pub(crate) fn memory_usage(&self) -> usize {
        self.slots.capacity() * std::mem::size_of::<Option<EntryId>>()
            + self.entries.capacity() * std::mem::size_of::<Entry<V>>()
            + self.bytes.capacity()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_every_name_and_nothing_else() {
        let names: Vec<String> = (0..1000).map(|i| format!("cache-{i}")).collect();
        let table = NameTable::build(
            names
                .iter()
                .enumerate()
                .map(|(i, n)| (n.as_str(), i as u32)),
        );
        for (i, n) in names.iter().enumerate() {
            assert_eq!(table.get(n), Some(i as u32));
        }
        for miss in ["", "cache-", "cache-1000", "cache-01", "Cache-1"] {
            assert_eq!(table.get(miss), None, "{miss}");
        }
        assert_eq!(table.len(), 1000);
        assert_eq!(NameTable::<u32>::default().get("x"), None);
        let small = NameTable::build([("ab", 1), ("abc", 2), ("b", 3)]);
        let found = [
            small.get("ab"),
            small.get("abc"),
            small.get("b"),
            small.get("a"),
            small.get(""),
        ];
        assert_eq!(found, [Some(1), Some(2), Some(3), None, None]);
        let dup = NameTable::build([("a", 1), ("a", 2)]);
        assert_eq!((dup.get("a"), dup.len()), (Some(1), 1));
    }
}
