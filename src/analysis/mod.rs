//! Analysis: exact containment of one credential in another, with a counterexample request when it
//! fails; the diff of two key stores, region by region, each with a witness request; safe minting
//! on top of containment; explanations of decisions; and lints.
//!
//! Containment and diff compare compiled credentials region by region ([`Region`]): a finite
//! partition of every request, on each part of which both sides decide uniformly, walked over the
//! two compiled structures side by side. No sampling and no solver: a reported "contained" or "no
//! change" holds for every request, and every witness is a real request whose decisions come from
//! the engine.

mod contain;
mod diff;
mod explain;
mod lint;
mod regions;

pub use contain::{
    Counterexample, MintError, compile_child, contains, expires_no_later, mint, networks_within,
    within,
};
pub use diff::{Change, ChangeKind, CredentialDiff, DecisionChange, Diff, DiffOptions, diff};
pub use explain::{Explanation, Miss, NearMiss, explain};
pub use lint::lint;
pub use regions::{Class, Region, Target};

use crate::model::{CacheSelector, Grant, ItemSelector, ResourceSelector, TopicSelector};

/// Whether every cache `inner` selects is selected by `outer`.
#[must_use]
pub fn cache_contains(outer: &CacheSelector, inner: &CacheSelector) -> bool {
    use CacheSelector::*;
    match (outer, inner) {
        (All, _) => true,
        (_, All) => false,
        (Name(a), Name(b)) => a == b,
        (Name(_), Prefix(_)) => false,
        (Prefix(p), Name(n) | Prefix(n)) => n.as_bytes().starts_with(p.as_bytes()),
    }
}

/// Whether every item, topic or store item `inner` selects is selected by `outer`.
#[must_use]
pub fn resource_contains(outer: &ResourceSelector, inner: &ResourceSelector) -> bool {
    use ResourceSelector::*;
    match (outer, inner) {
        (Items(a), Items(b)) | (StoreItems(a), StoreItems(b)) => match (a, b) {
            (ItemSelector::All, _) => true,
            (_, ItemSelector::All) => false,
            (ItemSelector::Key(a), ItemSelector::Key(b)) => a == b,
            (ItemSelector::Key(_), ItemSelector::Prefix(_)) => false,
            (ItemSelector::Prefix(p), ItemSelector::Key(k) | ItemSelector::Prefix(k)) => {
                k.starts_with(p)
            }
        },
        (Topics(a), Topics(b)) => match (a, b) {
            (TopicSelector::All, _) => true,
            (_, TopicSelector::All) => false,
            (TopicSelector::Name(a), TopicSelector::Name(b)) => a == b,
            (TopicSelector::Name(_), TopicSelector::Prefix(_)) => false,
            (TopicSelector::Prefix(p), TopicSelector::Name(n) | TopicSelector::Prefix(n)) => {
                n.as_bytes().starts_with(p.as_bytes())
            }
        },
        _ => false,
    }
}

/// Whether every request `inner` covers is covered by `outer` (rights aside).
#[must_use]
pub fn grant_contains(outer: &Grant, inner: &Grant) -> bool {
    cache_contains(&outer.cache, &inner.cache)
        && resource_contains(&outer.resource, &inner.resource)
}
