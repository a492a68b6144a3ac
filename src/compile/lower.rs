//! Lowering a validated document into the engine's structure: profiles per cache name with every
//! covering grant pre-merged, tries of cells over item keys and topic names.

use super::trie::{TooLarge, build};
use crate::engine::names::NameTable;
use crate::engine::trie::{Arena, NONE};
use crate::engine::{Authorizer, Body, Cell, CompiledCredential, Grants, Profile};
use crate::limits::Limits;
use crate::model::{
    CacheSelector, Credential, Document, Effect, Grant, ItemSelector, Permissions,
    ResourceSelector, TopicSelector,
};
use crate::ops::Rights;
use ahash::AHashMap as HashMap;
use std::collections::BTreeMap;
use std::rc::Rc;

impl Cell {
    /// Adds one grant's effect on `rights`, made by the rule numbered `rule`.
    fn add(&mut self, effect: Effect, rights: Rights, rule: u32) {
        match effect {
            Effect::Allow => self.allow = self.allow.union(rights),
            Effect::Deny => {
                self.deny = self.deny.union(rights);
                for (bit, slot) in self.deny_rule.iter_mut().enumerate() {
                    if rights.bits() & (1 << bit) != 0 {
                        *slot = (*slot).min(rule);
                    }
                }
            }
        }
    }

    /// Everything `self` or `other` grants or denies.
    fn merge(&self, other: &Cell) -> Cell {
        let mut out = *self;
        out.allow = out.allow.union(other.allow);
        out.deny = out.deny.union(other.deny);
        for (slot, &theirs) in out.deny_rule.iter_mut().zip(&other.deny_rule) {
            *slot = (*slot).min(theirs);
        }
        out
    }
}

/// Lowers every credential of a validated `doc`.
pub(crate) fn lower(doc: &Document, limits: &Limits) -> Result<Authorizer, TooLarge> {
    let mut budget = limits.max_compiled_nodes;
    let mut credentials = Vec::with_capacity(doc.credentials.len());
    let mut names = Vec::with_capacity(doc.credentials.len());
    for (index, c) in doc.credentials.iter().enumerate() {
        names.push((c.name.as_str(), u32::try_from(index).map_err(|_| TooLarge)?));
        credentials.push(credential(c, &mut budget)?);
    }
    let by_name = NameTable::try_build(names).ok_or(TooLarge)?;
    Ok(Authorizer {
        credentials,
        by_name,
    })
}

fn credential(c: &Credential, budget: &mut usize) -> Result<CompiledCredential, TooLarge> {
    let body = match &c.permissions {
        Permissions::SuperUser { .. } => Body::SuperUser,
        Permissions::Explicit(grants) => {
            let mut builder = Builder {
                grants,
                out: Grants {
                    cells: vec![Cell::EMPTY],
                    ..Grants::default()
                },
                cell_ids: HashMap::from([(Cell::EMPTY, 0)]),
                budget,
            };
            builder.caches()?;
            let mut out = builder.out;
            out.arena.shrink_to_fit();
            out.caches.shrink_to_fit();
            out.cells.shrink_to_fit();
            out.profiles.shrink_to_fit();
            Body::Explicit(Box::new(out))
        }
    };
    Ok(CompiledCredential {
        name: c.name.as_str().into(),
        kind: c.kind,
        expiry: c.expiry,
        token_id: c.token_id.as_deref().map(Into::into),
        body,
    })
}

struct Builder<'g, 'b> {
    grants: &'g [Grant],
    out: Grants,
    cell_ids: HashMap<Cell, u32>,
    budget: &'b mut usize,
}

impl Builder<'_, '_> {
    /// Takes `nodes` from the budget of `Limits::max_compiled_nodes`.
    fn charge(&mut self, nodes: usize) -> Result<(), TooLarge> {
        *self.budget = self.budget.checked_sub(nodes).ok_or(TooLarge)?;
        Ok(())
    }

    /// Profiles for every exact cache name, the cache-prefix trie, and the all-caches profile.
    fn caches(&mut self) -> Result<(), TooLarge> {
        let mut all = Vec::new();
        let mut names: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
        let mut prefixes: BTreeMap<&[u8], Vec<usize>> = BTreeMap::new();
        for (index, g) in self.grants.iter().enumerate() {
            match &g.cache {
                CacheSelector::All => all.push(index),
                CacheSelector::Name(n) => names.entry(n).or_default().push(index),
                CacheSelector::Prefix(p) => prefixes.entry(p.as_bytes()).or_default().push(index),
            }
        }

        // An exact name gets its own grants, those of every prefix it starts with, and all's.
        let mut exact = Vec::with_capacity(names.len());
        for (&name, own) in &names {
            let mut covering = all.clone();
            for len in 0..=name.len() {
                if let Some(more) = prefixes.get(&name.as_bytes()[..len]) {
                    covering.extend_from_slice(more);
                }
            }
            covering.extend_from_slice(own);
            let profile = self.profile(&covering)?;
            exact.push((name, profile));
        }
        self.out.exact = NameTable::try_build(exact).ok_or(TooLarge)?;

        // Any other name gets the profile of its longest listed prefix, or all's: a trie of its
        // own, whose payloads are profile indices.
        let all_profile = if all.is_empty() {
            NONE
        } else {
            self.profile(&all)?
        };
        let keys: Vec<&[u8]> = prefixes.keys().copied().collect();
        let lists: Vec<&Vec<usize>> = prefixes.values().collect();
        let mut caches = Arena::default();
        self.out.cache_root = build(
            &mut caches,
            &keys,
            (Rc::new(all), all_profile),
            |(inherited, profile), terminal| match terminal {
                None => Ok(((Rc::clone(inherited), *profile), *profile, *profile)),
                Some(t) => {
                    let mut covering = inherited.as_ref().clone();
                    covering.extend_from_slice(lists[t]);
                    let p = self.profile(&covering)?;
                    Ok(((Rc::new(covering), p), p, p))
                }
            },
        )?;
        self.charge(caches.nodes.len())?;
        self.out.caches = caches;
        Ok(())
    }

    /// A profile merging the grants at `covering` (indices into the credential's grants).
    fn profile(&mut self, covering: &[usize]) -> Result<u32, TooLarge> {
        type Entries<'k> = BTreeMap<&'k [u8], (Cell, Cell)>;
        let mut items: Entries<'_> = BTreeMap::new();
        let mut topics: Entries<'_> = BTreeMap::new();
        for &index in covering {
            let g = &self.grants[index];
            let rights = g.role.rights();
            // (key, whether the selector is a prefix) in the right trie; "all" is the empty prefix.
            let (entries, key, prefix) = match &g.resource {
                ResourceSelector::Items(ItemSelector::All) => (&mut items, &[][..], true),
                ResourceSelector::Items(ItemSelector::Key(k)) => (&mut items, k.as_slice(), false),
                ResourceSelector::Items(ItemSelector::Prefix(p)) => {
                    (&mut items, p.as_slice(), true)
                }
                ResourceSelector::Topics(TopicSelector::All) => (&mut topics, &[][..], true),
                ResourceSelector::Topics(TopicSelector::Name(n)) => {
                    (&mut topics, n.as_bytes(), false)
                }
                ResourceSelector::Topics(TopicSelector::Prefix(p)) => {
                    (&mut topics, p.as_bytes(), true)
                }
            };
            let (exact, prefixed) = entries.entry(key).or_insert((Cell::EMPTY, Cell::EMPTY));
            let cell = if prefix { prefixed } else { exact };
            cell.add(g.effect, rights, index as u32);
        }
        let profile = Profile {
            items: self.cells_trie(&items)?,
            topics: self.cells_trie(&topics)?,
        };
        let id = u32::try_from(self.out.profiles.len()).map_err(|_| TooLarge)?;
        self.out.profiles.push(profile);
        Ok(id)
    }

    /// A trie whose node for key `k` has `here` = every rule covering exactly `k`, and `below` =
    /// every prefix rule at or above it.
    fn cells_trie(&mut self, entries: &BTreeMap<&[u8], (Cell, Cell)>) -> Result<u32, TooLarge> {
        if entries.is_empty() {
            return Ok(NONE);
        }
        let keys: Vec<&[u8]> = entries.keys().copied().collect();
        let cells: Vec<(Cell, Cell)> = entries.values().copied().collect();
        let mut arena = std::mem::take(&mut self.out.arena);
        let before = arena.nodes.len();
        let root = build(&mut arena, &keys, Cell::EMPTY, |inherited, terminal| {
            let (exact, prefix) = terminal.map_or((Cell::EMPTY, Cell::EMPTY), |t| cells[t]);
            let below = inherited.merge(&prefix);
            let here = below.merge(&exact);
            Ok::<_, TooLarge>((below, self.intern(here)?, self.intern(below)?))
        });
        let added = arena.nodes.len() - before;
        self.out.arena = arena;
        self.charge(added)?;
        root
    }

    fn intern(&mut self, cell: Cell) -> Result<u32, TooLarge> {
        if let Some(&id) = self.cell_ids.get(&cell) {
            return Ok(id);
        }
        let id = u32::try_from(self.out.cells.len()).map_err(|_| TooLarge)?;
        self.out.cells.push(cell);
        self.cell_ids.insert(cell, id);
        Ok(id)
    }
}
