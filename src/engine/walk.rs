//! The engine's read API for the analyses: a compiled credential's decisions walked byte by byte,
//! and a trie over a set of names, so that containment and diff compare two compiled structures
//! without knowing how they are laid out (arenas, cursors and ids stay in this module's parent).

use super::cell::Cell;
use super::grant_table::GrantTable;
use super::ids::{NodeId, Payload};
use super::trie::{Arena, Cursor};

pub(crate) use super::ids::ProfileId;
use crate::limits::Budget;

/// A position in one credential's item or topic trie, or a constant cell for a credential with
/// no trie there (nothing, or everything): what the analyses step through byte by byte.
#[derive(Clone, Copy)]
pub(crate) enum Walk<'a> {
    /// The same cell at every key.
    Constant(Cell),
    /// A trie of a credential's grants.
    Trie(&'a GrantTable, Cursor),
}

impl<'a> Walk<'a> {
    /// The walk of the item trie (or, with `topics`, the topic trie) of `grants`'s profile
    /// `profile` (from [`GrantTable::profile_index`]).
    pub(crate) fn of(grants: &'a GrantTable, profile: ProfileId, topics: bool) -> Walk<'a> {
        let (items, topic_root) = grants.roots(profile);
        let root = if topics { topic_root } else { items };
        Walk::Trie(grants, grants.arena().cursor(root))
    }

    /// Whether the bytes stepped so far end exactly at a node (so `here` applies to them).
    pub(crate) fn at_node_end(&self) -> bool {
        match self {
            Walk::Constant(_) => false,
            Walk::Trie(g, c) => g.arena().at_node_end(*c),
        }
    }

    /// What applies to a key that ends here.
    pub(crate) fn here(&self) -> Cell {
        match self {
            Walk::Constant(cell) => *cell,
            Walk::Trie(g, c) => g.cell(g.arena().here(*c)),
        }
    }

    /// What applies to a longer key that leaves the trie here.
    pub(crate) fn below(&self) -> Cell {
        match self {
            Walk::Constant(cell) => *cell,
            Walk::Trie(g, c) => g.cell(g.arena().below(*c)),
        }
    }

    /// The bytes the trie continues with from here (none for a constant walk).
    pub(crate) fn next_bytes(&self, out: &mut Vec<u8>) {
        if let Walk::Trie(g, c) = self {
            g.arena().next_bytes(*c, out);
        }
    }

    /// The walk after one more byte.
    pub(crate) fn step(self, b: u8) -> Walk<'a> {
        match self {
            Walk::Constant(_) => self,
            Walk::Trie(g, c) => Walk::Trie(g, g.arena().step(c, b)),
        }
    }
}

/// A trie over a set of names (byte strings), walked from its root: which strings continue a
/// path, and whether the path is one of the names.
pub(crate) struct NameTrie {
    arena: Arena,
    root: NodeId,
}

/// A position in a [`NameTrie`].
#[derive(Clone, Copy)]
pub(crate) struct NamePos(Cursor);

impl NameTrie {
    /// The trie of `names` (sorted, without duplicates); `None` when it cannot be built.
    pub(crate) fn new(names: &[Vec<u8>]) -> Option<NameTrie> {
        let mut arena = Arena::default();
        let mut budget = Budget::new(usize::MAX);
        let refs: Vec<&[u8]> = names.iter().map(Vec::as_slice).collect();
        let keys = arena.add_keys(&refs, &mut budget).ok()?;
        let ids: Vec<u32> = (0..u32::try_from(refs.len()).ok()?).collect();
        let root = arena
            .add_trie(&keys, &ids, &mut budget, (), |_, _, t| {
                // A name ends here: any payload marks it.
                let listed = t.and(Payload::new(1));
                Ok(((), (listed, None)))
            })
            .ok()?;
        Some(NameTrie { arena, root })
    }

    /// The root: the empty path.
    pub(crate) fn root(&self) -> NamePos {
        NamePos(self.arena.cursor(Some(self.root)))
    }

    /// Whether the path to `at` is one of the names.
    pub(crate) fn is_name(&self, at: NamePos) -> bool {
        self.arena.at_node_end(at.0) && self.arena.here(at.0).is_some()
    }

    /// The bytes the names continue with from `at`.
    pub(crate) fn next_bytes(&self, at: NamePos, out: &mut Vec<u8>) {
        self.arena.next_bytes(at.0, out);
    }

    /// The position after one more byte.
    pub(crate) fn step(&self, at: NamePos, b: u8) -> NamePos {
        NamePos(self.arena.step(at.0, b))
    }
}
