//! The compiled grants of a fine-grained credential, and how they are built from its rules: one
//! structure for its grants on caches, and one for its grants on stores (whose names are another
//! namespace), built alike.
//!
//! A cache name resolves to one **profile** (the grants of that exact name, of every cache prefix
//! it starts with, and of "all caches", merged at build time) with one hash lookup, or failing that
//! one walk of the cache-prefix trie. A profile holds a trie over item keys and one over topic
//! names whose payloads are interned [`Cell`]s with every covering prefix already merged in.
//!
//! Building costs the size of the rules plus the size of what is built, never more: a cache name's
//! covering prefixes are found by one walk of the prefix trie (not one lookup per prefix length),
//! every key is stored once however many merged tries hold it, and a trie's layout never reads key
//! bytes. What is built, and the working memory it takes, is charged to the [`Budget`] before it is
//! allocated, so pre-merging prefix and all-caches rules into every name they cover cannot outgrow
//! `Limits::max_compiled_bytes`.

use super::cell::Cell;
use super::ids::{CellId, NodeId, Payload, ProfileId, RuleIndex};
use super::names::NameTable;
use super::trie::{Arena, Keys};
use crate::decision::Decision;
use crate::limits::{Budget, TooLarge};
use crate::model::{CacheSelector, Grant, ItemSelector, ResourceSelector, TopicSelector};
use crate::ops::Rights;
use ahash::AHashMap as HashMap;
use std::collections::BTreeMap;

/// The roots of one cache's item trie and topic trie (`None` when it has none).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Profile {
    items: Option<NodeId>,
    topics: Option<NodeId>,
}

impl Profile {
    /// Profile 0, the placeholder no id names: it has no tries, so it allows nothing.
    const PLACEHOLDER: Profile = Profile {
        items: None,
        topics: None,
    };
}

/// The compiled grants of a fine-grained credential: a table from cache names, prefixes and
/// "all caches" to profiles, whose tries hold interned cells.
#[derive(Clone, Debug)]
pub(crate) struct GrantTable {
    /// Exact cache names to their profile.
    exact: NameTable<ProfileId>,
    /// Root of the cache-prefix trie, whose payloads are profiles; its root's `below` is the
    /// all-caches profile.
    cache_root: NodeId,
    /// Profile 0 is [`Profile::PLACEHOLDER`].
    profiles: Vec<Profile>,
    /// Cell 0 is [`Cell::EMPTY`], which no id names: a payload of none is the empty cell.
    cells: Vec<Cell>,
    /// The cache-prefix trie and the item and topic tries of every profile, and the one pool of
    /// key bytes they all point into.
    arena: Arena,
}

impl GrantTable {
    /// The profile `cache` resolves to, if any.
    #[inline]
    fn profile_of(&self, cache: &str) -> Option<ProfileId> {
        match self.exact.get(cache) {
            Some(id) => Some(id),
            None => self
                .arena
                .walk(self.cache_root, cache.as_bytes())
                .map(Payload::profile),
        }
    }

    /// The decision on `need` for the item `key` (or the topic, when `topics`) in `cache`.
    #[inline]
    pub(crate) fn decide(&self, need: Rights, cache: &str, topics: bool, key: &[u8]) -> Decision {
        let profile = self
            .profile_of(cache)
            .and_then(|id| self.profiles.get(id.index()));
        let root = match profile {
            Some(p) if topics => p.topics,
            Some(p) => p.items,
            None => None,
        };
        let cell = root.and_then(|root| self.arena.walk(root, key));
        self.cell_ref(cell.map(Payload::cell)).decide(need)
    }

    /// The cell `id` names (the empty cell for none).
    #[inline(always)]
    fn cell_ref(&self, id: Option<CellId>) -> &Cell {
        id.and_then(|id| self.cells.get(id.index()))
            .unwrap_or(&Cell::EMPTY)
    }

    /// The profile `cache` resolves to, if any (what the analyses compare).
    pub(crate) fn profile_index(&self, cache: &str) -> Option<ProfileId> {
        self.profile_of(cache)
            .filter(|id| id.index() < self.profiles.len())
    }

    /// The roots of `profile`'s item trie and topic trie.
    pub(crate) fn roots(&self, profile: ProfileId) -> (Option<NodeId>, Option<NodeId>) {
        self.profiles
            .get(profile.index())
            .map_or((None, None), |p| (p.items, p.topics))
    }

    /// The arena the tries live in.
    pub(crate) fn arena(&self) -> &Arena {
        &self.arena
    }

    /// The cell a payload of an item or topic trie holds (the empty cell for none).
    pub(crate) fn cell(&self, payload: Option<Payload>) -> Cell {
        *self.cell_ref(payload.map(Payload::cell))
    }

    /// Appends every cache name that can change which profile a name resolves to: the exact
    /// names, and the strings of the cache-prefix trie's nodes.
    pub(crate) fn cache_strings(&self, out: &mut Vec<Vec<u8>>) {
        self.cache_strings_where(|_| true, out);
    }

    /// The cache strings (see [`GrantTable::cache_strings`]) for which `keep` holds.
    pub(crate) fn cache_strings_where(&self, keep: impl Fn(&[u8]) -> bool, out: &mut Vec<Vec<u8>>) {
        out.extend(
            self.exact
                .entries()
                .filter(|(name, _)| keep(name))
                .map(|(name, _)| name.to_vec()),
        );
        let mut nodes = Vec::new();
        self.arena.node_strings(self.cache_root, &mut nodes);
        out.extend(nodes.into_iter().filter(|s| keep(s)));
    }

    /// Whether a name that is no exact cache name of these grants, starting with `prefix`,
    /// resolves to a profile: through a cache-prefix rule it starts with, or the all-caches rules.
    pub(crate) fn covers_names_starting(&self, prefix: &[u8]) -> bool {
        self.arena
            .walk(self.cache_root, prefix)
            .is_some_and(|p| p.profile().index() < self.profiles.len())
    }

    /// Whether any cache-prefix or all-caches rule exists: without one, only exact names resolve.
    pub(crate) fn has_prefix_or_all_caches(&self) -> bool {
        let root = self.arena.cursor(Some(self.cache_root));
        let mut next = Vec::new();
        self.arena.next_bytes(root, &mut next);
        !next.is_empty()
            || self
                .arena
                .below(root)
                .is_some_and(|p| p.profile().index() < self.profiles.len())
    }

    /// Bytes of heap the grants hold.
    pub(crate) fn memory_usage(&self) -> usize {
        self.exact.memory_usage()
            + self.profiles.capacity() * std::mem::size_of::<Profile>()
            + self.cells.capacity() * std::mem::size_of::<Cell>()
            + self.arena.memory_usage()
    }

    /// Compiles `grants` (validated), charging `budget` for everything built: the grants on
    /// caches (items and topics), or with `stores` the grants on stores' items, as items of a
    /// namespace of their own. Rule ids stay the grants' indices in `grants`.
    pub(crate) fn build(
        grants: &[Grant],
        stores: bool,
        budget: &mut Budget,
    ) -> Result<GrantTable, TooLarge> {
        budget.charge_for::<Cell>(1)?;
        budget.charge_for::<Profile>(1)?;
        let mut arena = Arena::default();
        let (items, topics, target) = targets(grants, stores, &mut arena, budget)?;
        let mut builder = Builder {
            grants,
            stores,
            target: &target,
            items: &items,
            topics: &topics,
            budget,
            arena,
            cells: vec![Cell::EMPTY],
            cell_ids: HashMap::new(),
            profiles: vec![Profile::PLACEHOLDER],
        };
        let (exact, cache_root) = builder.caches()?;
        let Builder {
            budget,
            mut arena,
            mut cells,
            cell_ids,
            mut profiles,
            ..
        } = builder;
        // The keys' tables, the grants' key ids and the interning map were only needed to build.
        budget.release(items.table_bytes() + topics.table_bytes());
        budget.release_for::<u32>(target.len());
        budget.release_for::<(Cell, CellId)>(2 * cell_ids.len());
        arena.shrink_to_fit(budget);
        budget.release_for::<Cell>(cells.capacity() - cells.len());
        cells.shrink_to_fit();
        budget.release_for::<Profile>(profiles.capacity() - profiles.len());
        profiles.shrink_to_fit();
        Ok(GrantTable {
            exact,
            cache_root,
            profiles,
            cells,
            arena,
        })
    }
}

/// Every item key and topic name the grants of one namespace (caches, or with `stores` stores)
/// select, stored once (the empty key, which "all" selects as a prefix, always among them), and
/// for each grant the id of its key or name (0 for the other namespace's grants, never read).
fn targets(
    grants: &[Grant],
    stores: bool,
    arena: &mut Arena,
    budget: &mut Budget,
) -> Result<(Keys, Keys, Vec<u32>), TooLarge> {
    let mut item_keys: Vec<&[u8]> = vec![b""];
    let mut topic_keys: Vec<&[u8]> = vec![b""];
    budget.charge_for::<&[u8]>(grants.len() + 2)?;
    let ours = |g: &&Grant| g.resource.is_store() == stores;
    for g in grants.iter().filter(ours) {
        match &g.resource {
            ResourceSelector::Items(ItemSelector::Key(k) | ItemSelector::Prefix(k))
            | ResourceSelector::StoreItems(ItemSelector::Key(k) | ItemSelector::Prefix(k)) => {
                item_keys.push(k)
            }
            ResourceSelector::Topics(TopicSelector::Name(n) | TopicSelector::Prefix(n)) => {
                topic_keys.push(n.as_bytes())
            }
            ResourceSelector::Items(ItemSelector::All)
            | ResourceSelector::StoreItems(ItemSelector::All)
            | ResourceSelector::Topics(TopicSelector::All) => {}
        }
    }
    item_keys.sort_unstable();
    item_keys.dedup();
    topic_keys.sort_unstable();
    topic_keys.dedup();
    let items = arena.add_keys(&item_keys, budget)?;
    let topics = arena.add_keys(&topic_keys, budget)?;
    budget.charge_for::<u32>(grants.len())?;
    let id = |keys: &[&[u8]], k: &[u8]| keys.binary_search(&k).map_or(0, |i| i as u32);
    let target = grants
        .iter()
        .map(|g| match &g.resource {
            _ if !ours(&g) => 0,
            ResourceSelector::Items(ItemSelector::Key(k) | ItemSelector::Prefix(k))
            | ResourceSelector::StoreItems(ItemSelector::Key(k) | ItemSelector::Prefix(k)) => {
                id(&item_keys, k)
            }
            ResourceSelector::Topics(TopicSelector::Name(n) | TopicSelector::Prefix(n)) => {
                id(&topic_keys, n.as_bytes())
            }
            ResourceSelector::Items(ItemSelector::All)
            | ResourceSelector::StoreItems(ItemSelector::All)
            | ResourceSelector::Topics(TopicSelector::All) => 0,
        })
        .collect();
    budget.release_for::<&[u8]>(grants.len() + 2);
    Ok((items, topics, target))
}

/// Bytes a map entry of the builder's working maps takes, node overhead included (a generous
/// estimate: what is charged must cover what is allocated).
const MAP_ENTRY: usize = 64;

struct Builder<'g, 'b> {
    grants: &'g [Grant],
    /// Whether this builds the stores' grants (else the caches').
    stores: bool,
    /// For each grant, the id of its item key or topic name (0, the empty key, for "all").
    target: &'g [u32],
    items: &'g Keys,
    topics: &'g Keys,
    budget: &'b mut Budget,
    arena: Arena,
    cells: Vec<Cell>,
    cell_ids: HashMap<Cell, CellId>,
    profiles: Vec<Profile>,
}

impl Builder<'_, '_> {
    /// Profiles for every exact cache name, the cache-prefix trie, and the all-caches profile.
    /// Returns the exact names' table and the root of the prefix trie.
    fn caches(&mut self) -> Result<(NameTable<ProfileId>, NodeId), TooLarge> {
        let grants = self.grants;
        let mut all: Vec<u32> = Vec::new();
        let mut names: BTreeMap<&str, Vec<u32>> = BTreeMap::new();
        let mut prefixes: BTreeMap<&[u8], Vec<u32>> = BTreeMap::new();
        // The maps above, and per prefix or name (at most one per grant) its id, its chain link,
        // its profile and its place in the lists below.
        let working = grants.len() * (MAP_ENTRY + 48);
        self.budget.charge(working)?;
        for (index, g) in grants.iter().enumerate() {
            if g.resource.is_store() != self.stores {
                continue;
            }
            let index = index as u32;
            match &g.cache {
                CacheSelector::All => all.push(index),
                CacheSelector::Name(n) => names.entry(n).or_default().push(index),
                CacheSelector::Prefix(p) => prefixes.entry(p.as_bytes()).or_default().push(index),
            }
        }

        // The prefix trie, whose payloads are first prefix indices plus one: a name's walk gives
        // its longest listed prefix, whose grants with those of every shorter prefix cover it.
        // `above[p]` is the longest listed prefix shorter than `p`, so a prefix's covering grants
        // are a chain.
        let prefix_keys: Vec<&[u8]> = prefixes.keys().copied().collect();
        let own: Vec<&Vec<u32>> = prefixes.values().collect();
        let caches = self.arena.add_keys(&prefix_keys, self.budget)?;
        let ids: Vec<u32> = (0..prefix_keys.len() as u32).collect();
        let mut above: Vec<Option<Payload>> = vec![None; prefix_keys.len()];
        let first_cache_node = self.arena.node_count();
        let cache_root = self
            .arena
            .add_trie(&caches, &ids, self.budget, None, |_, &up, t| {
                Ok(match t {
                    Some(t) => {
                        above[t] = up;
                        let mine = Payload::new(t + 1);
                        (mine, (mine, mine))
                    }
                    None => (up, (up, up)),
                })
            })?;
        let cache_nodes = first_cache_node..self.arena.node_count();
        // The grants of prefix `p` and of every shorter listed prefix.
        let (own, above) = (&own, &above);
        let chain = move |mut p: Option<Payload>| {
            std::iter::from_fn(move || {
                let at = p?.index() - 1;
                let grants = own.get(at)?;
                p = above.get(at).copied().flatten();
                Some(grants.as_slice())
            })
        };

        let all_profile = if all.is_empty() {
            None
        } else {
            Some(self.profile(&all)?)
        };
        let mut list: Vec<u32> = Vec::new();
        let mut prefix_profile = Vec::with_capacity(prefix_keys.len());
        for p in 0..prefix_keys.len() {
            let parts = [all.as_slice()]
                .into_iter()
                .chain(chain(Payload::new(p + 1)));
            self.fill(&mut list, parts)?;
            prefix_profile.push(self.profile(&list)?);
        }
        let mut exact = Vec::with_capacity(names.len());
        for (&name, mine) in &names {
            let longest = self.arena.walk(cache_root, name.as_bytes());
            let parts = [all.as_slice()].into_iter().chain(chain(longest));
            self.fill(&mut list, parts.chain([mine.as_slice()]))?;
            exact.push((name, self.profile(&list)?));
        }
        self.arena.map_payloads(cache_nodes, |p| {
            let profile = match p {
                None => all_profile,
                Some(prefix) => prefix_profile.get(prefix.index() - 1).copied(),
            };
            profile.map(Payload::of_profile)
        });
        let exact = NameTable::try_build(exact, self.budget)?;
        self.budget.release(working + caches.table_bytes());
        self.budget.release_for::<u32>(list.capacity());
        Ok((exact, cache_root))
    }

    /// Makes `list` the concatenation of `parts`, charging its growth (the list is reused from one
    /// profile to the next, so only growth is new memory).
    fn fill<'p>(
        &mut self,
        list: &mut Vec<u32>,
        parts: impl Iterator<Item = &'p [u32]> + Clone,
    ) -> Result<(), TooLarge> {
        let need: usize = parts.clone().map(<[u32]>::len).sum();
        list.clear();
        if need > list.capacity() {
            self.budget.charge_for::<u32>(need - list.capacity())?;
            list.reserve_exact(need);
        }
        parts.for_each(|part| list.extend_from_slice(part));
        Ok(())
    }

    /// A profile merging the grants at `covering` (indices into the credential's grants).
    fn profile(&mut self, covering: &[u32]) -> Result<ProfileId, TooLarge> {
        type Entries = BTreeMap<u32, (Cell, Cell)>;
        let working = covering.len() * MAP_ENTRY;
        self.budget.charge(working)?;
        let mut items: Entries = BTreeMap::new();
        let mut topics: Entries = BTreeMap::new();
        for &index in covering {
            let Some(g) = self.grants.get(index as usize) else {
                continue;
            };
            let id = self.target.get(index as usize).copied().unwrap_or(0);
            // (map, whether the selector is a prefix); "all" is the empty key as a prefix.
            let (entries, prefix) = match &g.resource {
                ResourceSelector::Items(ItemSelector::Key(_))
                | ResourceSelector::StoreItems(ItemSelector::Key(_)) => (&mut items, false),
                ResourceSelector::Items(ItemSelector::All | ItemSelector::Prefix(_))
                | ResourceSelector::StoreItems(ItemSelector::All | ItemSelector::Prefix(_)) => {
                    (&mut items, true)
                }
                ResourceSelector::Topics(TopicSelector::Name(_)) => (&mut topics, false),
                ResourceSelector::Topics(TopicSelector::All | TopicSelector::Prefix(_)) => {
                    (&mut topics, true)
                }
            };
            let (exact, prefixed) = entries.entry(id).or_insert((Cell::EMPTY, Cell::EMPTY));
            let cell = if prefix { prefixed } else { exact };
            let rule = RuleIndex::new(index as usize).ok_or(TooLarge)?;
            cell.add(g.effect, g.role.rights(), rule);
        }
        let profile = Profile {
            items: self.cells_trie(&items, self.items)?,
            topics: self.cells_trie(&topics, self.topics)?,
        };
        self.budget.release(working);
        let id = ProfileId::new(self.profiles.len()).ok_or(TooLarge)?;
        if self.profiles.len() == self.profiles.capacity() {
            let more = self.profiles.capacity().max(4);
            self.budget.charge_for::<Profile>(more)?;
            self.profiles.reserve_exact(more);
        }
        self.profiles.push(profile);
        Ok(id)
    }

    /// A trie whose node for key `k` has `here` = every rule covering exactly `k`, and `below` =
    /// every prefix rule at or above it.
    fn cells_trie(
        &mut self,
        entries: &BTreeMap<u32, (Cell, Cell)>,
        keys: &Keys,
    ) -> Result<Option<NodeId>, TooLarge> {
        if entries.is_empty() {
            return Ok(None);
        }
        let ids: Vec<u32> = entries.keys().copied().collect();
        let cells: Vec<(Cell, Cell)> = entries.values().copied().collect();
        let (interned, ids_of) = (&mut self.cells, &mut self.cell_ids);
        let root = self.arena.add_trie(
            keys,
            &ids,
            self.budget,
            Cell::EMPTY,
            |budget, inherited, terminal| {
                let (exact, prefix) = terminal.map_or((Cell::EMPTY, Cell::EMPTY), |t| cells[t]);
                let below = inherited.merge(&prefix);
                let here = below.merge(&exact);
                let here_id = intern(interned, ids_of, budget, here)?;
                let below_id = intern(interned, ids_of, budget, below)?;
                let payload = |id: Option<CellId>| id.map(Payload::of_cell);
                Ok((below, (payload(here_id), payload(below_id))))
            },
        )?;
        Ok(Some(root))
    }
}

/// The id of `cell` among the credential's cells, adding it (and charging it) when new; none for
/// the empty cell.
fn intern(
    cells: &mut Vec<Cell>,
    ids: &mut HashMap<Cell, CellId>,
    budget: &mut Budget,
    cell: Cell,
) -> Result<Option<CellId>, TooLarge> {
    if cell == Cell::EMPTY {
        return Ok(None);
    }
    if let Some(&id) = ids.get(&cell) {
        return Ok(Some(id));
    }
    let id = CellId::new(cells.len()).ok_or(TooLarge)?;
    // The cell, and its entry in the map (with the map's spare room).
    budget.charge_for::<Cell>(1)?;
    budget.charge_for::<(Cell, CellId)>(2)?;
    cells.push(cell);
    ids.insert(cell, id);
    Ok(Some(id))
}
