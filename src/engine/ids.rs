//! The engine's typed indices. Each names a position in one table (a trie node, an interned cell,
//! a profile, a name-table entry), so an index of one table cannot be used in another, and "none"
//! is an `Option` the compiler checks, never a reserved value a lookup could mistake for a real
//! one.
//!
//! Every table an id indexes keeps a placeholder at index 0 that no id names (a node no trie
//! reaches, the empty cell, a profile that matches nothing, a copy of an entry no slot names), so
//! an id is its index in a `NonZeroU32`: `Option<Id>` is as small as the index, and reading the
//! index on the hot path costs nothing.

use std::fmt;
use std::num::NonZeroU32;

macro_rules! ids {
    ($($(#[$doc:meta])* $name:ident;)*) => {$(
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub(crate) struct $name(NonZeroU32);

        impl $name {
            /// The id of `index`; `None` for 0 (every table's placeholder) and for an index past
            /// `u32::MAX`.
            #[inline]
            pub(crate) fn new(index: usize) -> Option<$name> {
                NonZeroU32::new(u32::try_from(index).ok()?).map($name)
            }

            /// The index this id names (never 0).
            #[inline(always)]
            pub(crate) fn index(self) -> usize {
                self.0.get() as usize
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!(stringify!($name), "({})"), self.index())
            }
        }
    )*};
}

ids! {
    /// A node of an [`Arena`](super::trie::Arena).
    NodeId;
    /// What a trie node holds for the keys that reach it: the owner of the trie says what it
    /// indexes (a [`CellId`] in an item or topic trie, a [`ProfileId`] or a prefix in a
    /// cache-prefix trie, a mark in a name trie).
    Payload;
    /// An interned cell of a credential's grants (none: the empty cell).
    CellId;
    /// A profile (the tries one cache name resolves to) of a credential's grants.
    ProfileId;
    /// An entry of a name table.
    EntryId;
}

/// A rule: its index among its credential's grants, as decisions report it. Rules are numbered
/// from 0 with no placeholder, so it holds the index plus one (read only when a rule denies).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct RuleIndex(NonZeroU32);

impl RuleIndex {
    /// Rule `index`; `None` past `u32::MAX - 1`.
    pub(crate) fn new(index: usize) -> Option<RuleIndex> {
        let index = u32::try_from(index).ok()?;
        NonZeroU32::new(index.checked_add(1)?).map(RuleIndex)
    }

    /// The rule's index among its credential's grants.
    pub(crate) fn index(self) -> u32 {
        self.0.get() - 1
    }
}

impl fmt::Debug for RuleIndex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RuleIndex({})", self.index())
    }
}

impl Payload {
    /// The payload that holds `cell`.
    #[inline]
    pub(crate) fn of_cell(cell: CellId) -> Payload {
        Payload(cell.0)
    }

    /// The payload that holds `profile`.
    #[inline]
    pub(crate) fn of_profile(profile: ProfileId) -> Payload {
        Payload(profile.0)
    }

    /// The cell this payload holds, in a trie whose payloads are cells.
    #[inline(always)]
    pub(crate) fn cell(self) -> CellId {
        CellId(self.0)
    }

    /// The profile this payload holds, in a trie whose payloads are profiles.
    #[inline(always)]
    pub(crate) fn profile(self) -> ProfileId {
        ProfileId(self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_is_its_index_and_none_costs_nothing() {
        for index in [1, 41, u32::MAX as usize] {
            assert_eq!(NodeId::new(index).map(NodeId::index), Some(index));
        }
        assert_eq!(NodeId::new(0), None, "index 0 is every table's placeholder");
        assert_eq!(NodeId::new(u32::MAX as usize + 1), None);
        assert_eq!(std::mem::size_of::<Option<CellId>>(), 4);
        for index in [0, 1, u32::MAX as usize - 1] {
            assert_eq!(
                RuleIndex::new(index).map(RuleIndex::index),
                Some(index as u32)
            );
        }
        assert_eq!(RuleIndex::new(u32::MAX as usize), None);
        assert!(RuleIndex::new(1) < RuleIndex::new(2));
        assert_eq!(format!("{:?}", CellId::new(7).unwrap()), "CellId(7)");
        let cell = CellId::new(3).unwrap();
        assert_eq!(Payload::of_cell(cell).cell(), cell);
    }
}
