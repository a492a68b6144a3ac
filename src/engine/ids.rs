//! The engine's typed indices. Each names a position in one table (a trie node, an interned cell,
//! a profile, a rule), so an index of one table cannot be used in another; each holds its index's
//! complement in a `NonZeroU32`, so that "none" is an `Option` the compiler checks, as small as the
//! index itself, and never a reserved value a lookup could mistake for a real one.

use std::fmt;
use std::num::NonZeroU32;

macro_rules! ids {
    ($($(#[$doc:meta])* $name:ident;)*) => {$(
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash)]
        pub(crate) struct $name(NonZeroU32);

        impl $name {
            /// The id of `index`; `None` for an index past the largest one (`u32::MAX - 1`).
            #[inline]
            pub(crate) fn new(index: usize) -> Option<$name> {
                let index = u32::try_from(index).ok()?;
                NonZeroU32::new(!index).map($name)
            }

            /// The index this id names.
            #[inline(always)]
            pub(crate) fn index(self) -> usize {
                (!self.0.get()) as usize
            }
        }

        impl PartialOrd for $name {
            fn partial_cmp(&self, other: &$name) -> Option<std::cmp::Ordering> {
                Some(self.cmp(other))
            }
        }

        impl Ord for $name {
            /// In index order.
            fn cmp(&self, other: &$name) -> std::cmp::Ordering {
                self.index().cmp(&other.index())
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
    /// An interned cell of a credential's grants.
    CellId;
    /// A profile (the tries one cache name resolves to) of a credential's grants.
    ProfileId;
    /// A rule: its index among its credential's grants, as decisions report it.
    RuleIndex;
    /// An entry of a name table.
    EntryId;
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
        for index in [0, 1, 41, u32::MAX as usize - 1] {
            assert_eq!(NodeId::new(index).map(NodeId::index), Some(index));
        }
        assert_eq!(NodeId::new(u32::MAX as usize), None);
        assert_eq!(NodeId::new(usize::MAX), None);
        assert_eq!(std::mem::size_of::<Option<CellId>>(), 4);
        assert!(RuleIndex::new(1) < RuleIndex::new(2));
        assert_eq!(format!("{:?}", CellId::new(7).unwrap()), "CellId(7)");
        let cell = CellId::new(3).unwrap();
        assert_eq!(Payload::of_cell(cell).cell(), cell);
    }
}
