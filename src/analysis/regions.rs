//! Regions: a finite partition of every request two compiled credentials can be asked, on each part
//! of which both decide uniformly, each part with a concrete witness request. Containment and diff
//! compare the two credentials region by region: exactly, with no sampling and no solver.
//!
//! **Why it is exact.** A credential decides a data-plane request by the cell its compiled
//! structure reaches for the request's cache and key (or topic): the need is allowed exactly when it
//! is non-empty and within the cell's allowed-and-not-denied rights. So two credentials decide
//! every request of a part alike as soon as each reaches one cell for the whole part.
//!
//! * **Caches.** A name resolves to a profile by its exact entry, or else by the deepest node of
//!   the cache-prefix trie it passes. Put every exact name and every prefix-trie node string of both
//!   credentials in one trie: a name that is one of those strings forms a part of its own; any other
//!   name resolves, on each side, like the deepest of those strings it starts with, continued by a
//!   byte no string continues with. So each string `s` gives two parts, "exactly `s`" and "starting
//!   with `s`, except the longer strings", plus the part of names starting with none.
//! * **Keys and topics.** Within a pair of profiles, walk both tries together one byte at a time
//!   over the union of their next bytes. A cell can change only at a node's end; between ends, a
//!   key reaches the cell its last node end gives for longer keys. So every position where either
//!   side is at a node end gives the parts "exactly here" and "longer, leaving both tries here";
//!   every other position belongs to the "longer" part of the last such position above it.
//!
//! Each part's witness is its string, or its string continued by a byte that neither side's
//! structure continues with (for cache and topic names, a whole UTF-8 character whose first byte
//! is such a byte): a real request in the part, found, not guessed. A part with no such member
//! (every byte taken) is empty and has no witness. The walk is a loop over an explicit stack with
//! one shared path buffer: its cost is the number of label bytes of both structures.

use crate::decision::OwnedResource;
use crate::engine::walk::{NameTrie, ProfileId, Walk};
use crate::engine::{Cell, Credential, GrantTable};
use crate::ops::{AccountRights, Need, Operation, Rights};
use crate::time::Timestamp;
use std::collections::HashMap;
use std::fmt;
use std::ops::ControlFlow;

/// A set of names or keys: the cache, item-key or topic part of a [`Region`].
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Class {
    /// Exactly these bytes.
    Exact(Vec<u8>),
    /// Everything starting with these bytes, except the more specific regions reported beside
    /// it.
    StartingWith(Vec<u8>),
    /// Anything, except the more specific regions reported beside it.
    Any,
}

/// What, within the selected caches, a region covers.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Target {
    /// Cache items.
    Items(Class),
    /// Topics.
    Topics(Class),
    /// Items of stores (the region's `cache` class is then a class of store names).
    StoreItems(Class),
    /// One right on the account as a whole (caches as a whole and the account): a management
    /// or list right.
    Account(AccountRights),
}

/// A set of requests on which two credentials each decide uniformly: a class of cache names and a
/// class of items or topics, or the control plane.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Region {
    /// The caches.
    pub cache: Class,
    /// The items or topics in them, or the control plane.
    pub target: Target,
}

/// `bytes` in double quotes, escaped: text shows as itself where it is plainly visible, anything
/// else as `\xNN` or `\u{...}`.
fn quoted(bytes: &[u8]) -> String {
    let mut out = String::from("\"");
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            match c {
                '"' | '\\' => {
                    out.push('\\');
                    out.push(c);
                }
                c if crate::escape::plainly_visible(c) => out.push(c),
                c => crate::escape::push_escaped(&mut out, c),
            }
        }
        for b in chunk.invalid() {
            out.push_str(&format!("\\x{b:02x}"));
        }
    }
    out.push('"');
    out
}

fn class_words(f: &mut fmt::Formatter<'_>, class: &Class, one: &str, many: &str) -> fmt::Result {
    match class {
        Class::Exact(s) => write!(f, "{one} {}", quoted(s)),
        Class::StartingWith(s) => write!(f, "{many} starting {}", quoted(s)),
        Class::Any => write!(f, "any {one}"),
    }
}

impl fmt::Display for Region {
    /// `cache "c" items starting "user:"`, `caches starting "tmp-" any item`, `any cache topic
    /// "t"`, `the control plane`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Target::Account(right) = self.target {
            return write!(f, "the account right `{right}`");
        }
        if let Target::StoreItems(_) = self.target {
            class_words(f, &self.cache, "store", "stores")?;
        } else {
            class_words(f, &self.cache, "cache", "caches")?;
        }
        f.write_str(" ")?;
        match &self.target {
            Target::Items(class) | Target::StoreItems(class) => {
                class_words(f, class, "item", "items")
            }
            Target::Topics(class) => class_words(f, class, "topic", "topics"),
            Target::Account(_) => Ok(()),
        }
    }
}

/// What one side of a comparison decides with, at a given time.
#[derive(Clone, Copy)]
pub(crate) enum Side<'a> {
    /// Allows nothing: expired, or no credential.
    Nothing,
    /// A super user: every right everywhere, and the control plane.
    Everything,
    /// Fine-grained grants, and the rights on the account held beside them.
    GrantTable(&'a GrantTable, AccountRights),
}

impl<'a> Side<'a> {
    /// The side of `credential` (`None`: not in the store) at `now`: its grants on caches, or
    /// with `stores` its grants on stores.
    pub(crate) fn of(credential: Option<&'a Credential>, now: Timestamp, stores: bool) -> Side<'a> {
        match credential {
            None => Side::Nothing,
            Some(c) if c.expiry().is_expired(now) => Side::Nothing,
            Some(c) if c.is_super_user() => Side::Everything,
            Some(c) => {
                let grants = if stores { c.store_grants() } else { c.grants() };
                grants.map_or(Side::Nothing, |g| Side::GrantTable(g, c.account_rights()))
            }
        }
    }

    /// The profile a cache name resolves to.
    fn profile(self, cache: &str) -> Profile {
        match self {
            Side::Nothing => Profile::Nothing,
            Side::Everything => Profile::Everything,
            Side::GrantTable(g, _) => g
                .profile_index(cache)
                .map_or(Profile::Nothing, Profile::Index),
        }
    }

    /// A walk over the item trie (or the topic trie) of `profile`.
    fn walk(self, profile: Profile, topics: bool) -> Walk<'a> {
        match (self, profile) {
            (Side::GrantTable(g, _), Profile::Index(p)) => Walk::of(g, p, topics),
            (_, Profile::Everything) => Walk::Constant(Cell::ALL),
            _ => Walk::Constant(Cell::EMPTY),
        }
    }

    /// The rights on the account: all for a super user, the credential's own otherwise.
    fn account(self) -> AccountRights {
        match self {
            Side::Everything => AccountRights::ALL,
            Side::Nothing => AccountRights::NONE,
            Side::GrantTable(_, account) => account,
        }
    }
}

/// The profile a cache name resolves to on one side.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Profile {
    Nothing,
    Everything,
    Index(ProfileId),
}

/// The dimension a walk is over: item keys are any bytes; cache and topic names are UTF-8.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Text {
    Bytes,
    Utf8,
}

/// The bytes preferred for a witness's fresh byte: letters and digits first, so witnesses read
/// well, then the rest.
fn preferred_bytes() -> impl Iterator<Item = u8> {
    (b'a'..=b'z')
        .chain(b'0'..=b'9')
        .chain(b'A'..=b'Z')
        .chain((0u8..=255).filter(|b| !b.is_ascii_alphanumeric()))
}

/// A tail that continues `path` into the part "longer, leaving here": its first byte is none of
/// `taken` (the bytes the structures continue with), and for `Text::Utf8` the result is valid
/// UTF-8. `None` when every possible first byte is taken: the part is empty.
fn fresh_tail(path: &[u8], taken: &[u8], text: Text) -> Option<Vec<u8>> {
    let free = preferred_bytes().filter(|b| !taken.contains(b));
    if text == Text::Bytes {
        return free.map(|b| vec![b]).next();
    }
    // The incomplete character `path` ends with, if any; a path that is not UTF-8 already cannot
    // be continued into a name.
    let partial = match std::str::from_utf8(path) {
        Ok(_) => &[][..],
        Err(e) if e.error_len().is_none() => &path[e.valid_up_to()..],
        Err(_) => return None,
    };
    for b in free {
        for fill in [
            &[][..],
            &[0x80],
            &[0x80, 0x80],
            &[0x80, 0x80, 0x80],
            &[0x90, 0x80, 0x80],
            &[0xa0, 0x80],
        ] {
            let mut tail = vec![b];
            tail.extend_from_slice(fill);
            let mut char_bytes = partial.to_vec();
            char_bytes.extend_from_slice(&tail);
            if std::str::from_utf8(&char_bytes).is_ok_and(|s| s.chars().count() == 1) {
                return Some(tail);
            }
        }
    }
    None
}

/// What a comparison visits: a region, its witness request, and the cell each side reaches there.
pub(crate) struct Found<'r> {
    pub(crate) region: &'r Region,
    pub(crate) witness: &'r OwnedResource,
    pub(crate) a: Cell,
    pub(crate) b: Cell,
}

/// A key or topic part found by a product walk: its class, its witness, and the two cells.
struct Part {
    class: Class,
    witness: Vec<u8>,
    a: Cell,
    b: Cell,
}

/// Which regions a comparison visits.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scope {
    /// Every region where the two sides differ (diff).
    Everywhere,
    /// Only regions where side `a` allows some right (containment: `a` within `b` can only fail
    /// where `a` allows something). Whole subtrees where `a` allows nothing are never walked.
    WhereAAllows,
}

/// Walks two tries together (see the module docs) and returns every part where the two sides'
/// cells differ (in `scope`).
fn product_walk(a: Walk<'_>, b: Walk<'_>, text: Text, scope: Scope) -> Vec<Part> {
    let mut parts = Vec::new();
    let a_allows = |cell: Cell| scope == Scope::Everywhere || !cell.effective().is_empty();
    if let Walk::Constant(cell) = a
        && !a_allows(cell)
    {
        return parts;
    }
    let mut path: Vec<u8> = Vec::new();
    let mut next: Vec<u8> = Vec::new();
    let mut a_next: Vec<u8> = Vec::new();
    // (the two walkers, the length of the path at this position, the byte that led here)
    let mut stack = vec![(a, b, 0usize, None)];
    while let Some((a, b, depth, byte)) = stack.pop() {
        path.truncate(depth.saturating_sub(1));
        if let Some(byte) = byte {
            path.push(byte);
        }
        next.clear();
        a.next_bytes(&mut next);
        let a_len = next.len();
        b.next_bytes(&mut next);
        a_next.clear();
        a_next.extend_from_slice(&next[..a_len]);
        next.sort_unstable();
        next.dedup();
        if depth == 0 || a.at_node_end() || b.at_node_end() {
            let (ha, hb) = (a.here(), b.here());
            let (ba, bb) = (a.below(), b.below());
            // A point that decides like the longer keys below it is reported with them.
            let apart = (ha, hb) != (ba, bb);
            if apart
                && ha != hb
                && a_allows(ha)
                && (text == Text::Bytes || std::str::from_utf8(&path).is_ok())
            {
                parts.push(Part {
                    class: Class::Exact(path.clone()),
                    witness: path.clone(),
                    a: ha,
                    b: hb,
                });
            }
            if ba != bb
                && a_allows(ba)
                && let Some(tail) = fresh_tail(&path, &next, text)
            {
                let mut witness = path.clone();
                witness.extend_from_slice(&tail);
                parts.push(Part {
                    class: if depth == 0 {
                        Class::Any
                    } else {
                        Class::StartingWith(path.clone())
                    },
                    witness,
                    a: ba,
                    b: bb,
                });
            }
        }
        // Below a byte `a` does not continue with, `a` decides everything as it does for the
        // longer keys here: where that allows nothing, nothing below is in scope.
        let a_leaves_allowing = a_allows(a.below());
        for &byte in next.iter().rev() {
            if a_leaves_allowing || a_next.contains(&byte) {
                stack.push((a.step(byte), b.step(byte), depth + 1, Some(byte)));
            }
        }
    }
    parts
}

/// The cache parts of two sides: every name the two distinguish, as (class, witness). A name that
/// resolves, on both sides, like the names below it is reported with them.
///
/// In [`Scope::WhereAAllows`], only the parts where `a` resolves to a profile matter. Those are
/// `a`'s own names and prefixes, and the parts `b`'s strings cut out of `a`'s prefix and
/// all-caches parts: a string of `b` is kept only when names starting with it resolve on `a`
/// through a prefix or all-caches rule. (A `b` string outside those parts splits only parts where
/// `a` resolves nothing; one that is a prefix of an `a` string leaves each part of `a` uniform
/// on `b`'s side, as `b` resolves all its names by the same deepest string.) So a token's
/// containment costs the token's names, not the size of the key it is checked against.
fn cache_parts(a: Side<'_>, b: Side<'_>, scope: Scope) -> Vec<(Class, String)> {
    let mut strings: Vec<Vec<u8>> = Vec::new();
    if let Side::GrantTable(g, _) = a {
        g.cache_strings(&mut strings);
    }
    if let Side::GrantTable(g, _) = b {
        match (scope, a) {
            (Scope::Everywhere, _) | (Scope::WhereAAllows, Side::Everything) => {
                g.cache_strings(&mut strings)
            }
            (Scope::WhereAAllows, Side::Nothing) => {}
            (Scope::WhereAAllows, Side::GrantTable(inner, _)) => {
                if inner.has_prefix_or_all_caches() {
                    g.cache_strings_where(|s| inner.covers_names_starting(s), &mut strings);
                }
            }
        }
    }
    strings.retain(|s| !s.is_empty());
    strings.sort_unstable();
    strings.dedup();
    // One trie of all the strings.
    let Some(trie) = NameTrie::new(&strings) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut path: Vec<u8> = Vec::new();
    let mut next: Vec<u8> = Vec::new();
    let mut stack = vec![(trie.root(), 0usize, None)];
    while let Some((cursor, depth, byte)) = stack.pop() {
        path.truncate(depth.saturating_sub(1));
        if let Some(byte) = byte {
            path.push(byte);
        }
        next.clear();
        trie.next_bytes(cursor, &mut next);
        let listed = trie.is_name(cursor);
        if depth == 0 || listed {
            let below = fresh_tail(&path, &next, Text::Utf8)
                .and_then(|tail| String::from_utf8([&path[..], &tail].concat()).ok());
            let exact = std::str::from_utf8(&path).ok().filter(|_| depth > 0);
            let resolves = |name: &str| (a.profile(name), b.profile(name));
            let apart = match (exact, &below) {
                (Some(e), Some(w)) => resolves(e) != resolves(w),
                _ => true,
            };
            if let Some(name) = exact.filter(|_| apart) {
                out.push((Class::Exact(path.clone()), name.to_owned()));
            }
            if let Some(name) = below {
                let class = if depth == 0 {
                    Class::Any
                } else {
                    Class::StartingWith(path.clone())
                };
                out.push((class, name));
            }
        }
        for &byte in next.iter().rev() {
            stack.push((trie.step(cursor, byte), depth + 1, Some(byte)));
        }
    }
    out
}

/// Visits every region where credentials `a` and `b` (`None`: not there) decide differently at
/// `now`, with its witness: the account rights first, then each cache part's items and topics,
/// then each store part's items. Stops when `visit` breaks.
pub(crate) fn compare(
    a: Option<&Credential>,
    b: Option<&Credential>,
    now: Timestamp,
    scope: Scope,
    visit: &mut dyn FnMut(Found<'_>) -> ControlFlow<()>,
) -> ControlFlow<()> {
    compare_sides(
        Side::of(a, now, false),
        Side::of(b, now, false),
        false,
        scope,
        visit,
    )?;
    compare_sides(
        Side::of(a, now, true),
        Side::of(b, now, true),
        true,
        scope,
        visit,
    )
}

/// [`compare`] over one namespace: caches (their items and topics, and the account rights), or
/// with `stores` the stores' items.
fn compare_sides(
    a: Side<'_>,
    b: Side<'_>,
    stores: bool,
    scope: Scope,
    visit: &mut dyn FnMut(Found<'_>) -> ControlFlow<()>,
) -> ControlFlow<()> {
    // The account rights, one region each where the two sides differ: a right is all or
    // nothing, shown as a cell of every right or none.
    let (ra, rb) = if stores {
        (AccountRights::NONE, AccountRights::NONE)
    } else {
        (a.account(), b.account())
    };
    for right in ra.union(rb).each() {
        let (ha, hb) = (ra.contains(right), rb.contains(right));
        if ha != hb && (scope == Scope::Everywhere || ha) {
            let region = Region {
                cache: Class::Any,
                target: Target::Account(right),
            };
            let cell = |held: bool| if held { Cell::ALL } else { Cell::EMPTY };
            visit(Found {
                region: &region,
                witness: &OwnedResource::Account,
                a: cell(ha),
                b: cell(hb),
            })?;
        }
    }
    // Many cache parts resolve to the same pair of profiles: walk each pair once.
    let mut walked: HashMap<(Profile, Profile), (Vec<Part>, Vec<Part>)> = HashMap::new();
    for (cache_class, cache) in cache_parts(a, b, scope) {
        let pair = (a.profile(&cache), b.profile(&cache));
        if scope == Scope::WhereAAllows && pair.0 == Profile::Nothing {
            continue;
        }
        if pair.0 == pair.1 {
            // The same profile of the same structure, or nothing on both sides.
            if matches!(pair.0, Profile::Nothing | Profile::Everything) {
                continue;
            }
        }
        let (items, topics) = walked.entry(pair).or_insert_with(|| {
            (
                product_walk(
                    a.walk(pair.0, false),
                    b.walk(pair.1, false),
                    Text::Bytes,
                    scope,
                ),
                product_walk(
                    a.walk(pair.0, true),
                    b.walk(pair.1, true),
                    Text::Utf8,
                    scope,
                ),
            )
        });
        let parts = items.iter().map(|p| (p, false));
        for (part, topic) in parts.chain(topics.iter().map(|p| (p, true))) {
            let (target, witness) = if topic {
                let name = String::from_utf8_lossy(&part.witness).into_owned();
                (
                    Target::Topics(part.class.clone()),
                    OwnedResource::Topic {
                        cache: cache.clone(),
                        topic: name,
                    },
                )
            } else if stores {
                (
                    Target::StoreItems(part.class.clone()),
                    OwnedResource::StoreItem {
                        store: cache.clone(),
                        key: part.witness.clone(),
                    },
                )
            } else {
                (
                    Target::Items(part.class.clone()),
                    OwnedResource::Item {
                        cache: cache.clone(),
                        key: part.witness.clone(),
                    },
                )
            };
            let region = Region {
                cache: cache_class.clone(),
                target,
            };
            visit(Found {
                region: &region,
                witness: &witness,
                a: part.a,
                b: part.b,
            })?;
        }
    }
    ControlFlow::Continue(())
}

/// The needs a region's requests have, each with the operation that stands for it: read, write and
/// read+write on items; publish and subscribe on topics; the control plane.
pub(crate) fn needs_of(target: &Target) -> &'static [(Need, Operation)] {
    const ITEMS: &[(Need, Operation)] = &[
        (Need::Item(Rights::READ), Operation::Get),
        (Need::Item(Rights::WRITE), Operation::Set),
        (Need::Item(Rights::READ_WRITE), Operation::Increment),
    ];
    const TOPICS: &[(Need, Operation)] = &[
        (Need::Topic(Rights::PUBLISH), Operation::Publish),
        (Need::Topic(Rights::SUBSCRIBE), Operation::Subscribe),
    ];
    const STORE_ITEMS: &[(Need, Operation)] = &[
        (Need::StoreItem(Rights::READ), Operation::StoreGet),
        (Need::StoreItem(Rights::WRITE), Operation::StorePut),
    ];
    match target {
        Target::Items(_) => ITEMS,
        Target::Topics(_) => TOPICS,
        Target::StoreItems(_) => STORE_ITEMS,
        Target::Account(right) => account_need(*right),
    }
}

/// The need of one account right and an operation that asks exactly it: the catalogue's first.
fn account_need(right: AccountRights) -> &'static [(Need, Operation)] {
    macro_rules! needs {
        ($($right:ident => $op:ident),* $(,)?) => {
            match right {
                $(AccountRights::$right => &[(Need::Account(AccountRights::$right), Operation::$op)],)*
                _ => &[],
            }
        };
    }
    needs! {
        ACCOUNT_READ => DescribeAccount,
        ACCOUNT_WRITE => UpdateAccount,
        ACCOUNT_LIST => ListAccounts,
        AUTH_READ => DescribeSigningKey,
        AUTH_WRITE => CreateSigningKey,
        AUTH_LIST => ListSigningKeys,
        RESOURCE_READ => DescribeCache,
        RESOURCE_WRITE => CreateCache,
        RESOURCE_LIST => ListCaches,
        CACHE_LIST => ListKeys,
        TOPIC_LIST => ListTopics,
        STORE_LIST => ListStoreKeys,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_operations_standing_for_needs_have_those_needs() {
        let accounts = AccountRights::ALL.each().map(Target::Account);
        for target in [
            Target::Items(Class::Any),
            Target::Topics(Class::Any),
            Target::StoreItems(Class::Any),
        ]
        .into_iter()
        .chain(accounts)
        {
            let needs = needs_of(&target);
            assert!(!needs.is_empty(), "{target:?} has a witness operation");
            for (need, op) in needs {
                assert_eq!(op.need(), *need, "{op}");
                assert!(!op.is_multi_key());
            }
        }
    }

    #[test]
    fn fresh_tails_avoid_taken_bytes_and_stay_utf8() {
        assert_eq!(fresh_tail(b"k", b"", Text::Bytes), Some(b"a".to_vec()));
        assert_eq!(fresh_tail(b"k", b"ab", Text::Bytes), Some(b"c".to_vec()));
        let every: Vec<u8> = (0..=255).collect();
        assert_eq!(fresh_tail(b"k", &every, Text::Bytes), None);
        // In the middle of `é` (C3 A9), a fresh continuation completes another character.
        let tail = fresh_tail(b"caf\xc3", &[0xa9], Text::Utf8).unwrap();
        let name = [&b"caf\xc3"[..], &tail].concat();
        assert!(std::str::from_utf8(&name).is_ok(), "{name:?}");
        assert_ne!(tail[0], 0xa9);
        // With every ASCII byte taken, a multi-byte character.
        let ascii: Vec<u8> = (0..0x80).collect();
        let tail = fresh_tail(b"", &ascii, Text::Utf8).unwrap();
        assert!(
            tail[0] >= 0xc2 && std::str::from_utf8(&tail).is_ok(),
            "{tail:?}"
        );
    }
}
