//! Why a request got its decision: the rules that decided, and for a request no rule allowed, the
//! rules that almost did, so that a policy author sees what to change.

use crate::decision::{Decision, DenyReason, Resource, RuleId};
use crate::model::{
    CacheSelector, CredentialDef, Effect, Grant, ItemSelector, Permissions, ResourceSelector,
    TopicSelector, ValidCredential,
};
use crate::ops::{Need, Rights};
use crate::reference;
use crate::time::Timestamp;
use smallvec::SmallVec;

/// How a rule failed to give what the request needed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Miss {
    /// It covers the resource, but its role lacks some of the rights needed.
    Rights {
        /// What the rule's role gives.
        has: Rights,
        /// What the operation needs.
        needs: Rights,
    },
    /// It covers the cache, but another item or topic.
    Target,
    /// It covers the item or topic, but in other caches.
    Cache,
}

/// A rule that almost allowed the request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NearMiss {
    /// The rule.
    pub rule: RuleId,
    /// What kept it from allowing.
    pub miss: Miss,
}

/// A decision with its reasons.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Explanation<'d> {
    /// The decision (the reference evaluator's, which the engine matches).
    pub decision: Decision,
    /// The credential.
    pub credential: &'d CredentialDef,
    /// The rules that decided: the allow rules that together gave the rights, or the deny rules
    /// that took one away. Empty for a super user, an expired credential, and the like.
    pub deciding: SmallVec<[RuleId; 4]>,
    /// For a request no rule allowed, up to five rules that almost did, nearest first.
    pub near_misses: SmallVec<[NearMiss; 4]>,
}

impl<'d> Explanation<'d> {
    /// The grant behind a rule id.
    #[must_use]
    pub fn grant(&self, rule: RuleId) -> Option<&'d Grant> {
        match &self.credential.permissions {
            Permissions::Explicit(grants) => grants.get(rule.index() as usize),
            Permissions::SuperUser { .. } => None,
        }
    }
}

/// Explains the decision on `need` for `resource` at `now` by `credential`.
///
/// ```
/// use fgac::analysis::{explain, Miss};
/// use fgac::{Need, Resource, Rights, RuleId, Timestamp};
/// let doc = fgac::syntax::parse(r#"key "k" { expires never
///     allow readonly cache "c" item "a" }"#)?;
/// let valid = fgac::validate(&doc, &fgac::Limits::default())?;
/// let k = valid.credential("k").unwrap();
/// let e = explain(k, Need::Item(Rights::READ), Resource::item("c", b"b"), Timestamp::from_unix_seconds(0));
/// assert!(!e.decision.is_allowed());
/// assert_eq!(e.near_misses[0].rule, RuleId::new(0));
/// assert_eq!(e.near_misses[0].miss, Miss::Target);
/// # Ok::<(), fgac::Error>(())
/// ```
#[must_use]
pub fn explain<'d>(
    credential: ValidCredential<'d>,
    need: Need,
    resource: Resource<'_>,
    now: Timestamp,
) -> Explanation<'d> {
    let mut out = Explanation {
        decision: reference::decide(credential, need, resource, now),
        credential: credential.def(),
        deciding: SmallVec::new(),
        near_misses: SmallVec::new(),
    };
    let credential = credential.def();
    let Permissions::Explicit(grants) = &credential.permissions else {
        return out;
    };
    // The request as a selector pair, to compare rules against.
    let (rights, target) = match (need, resource) {
        (Need::Item(r), Resource::Item { cache, key }) => (
            r,
            (
                cache,
                ResourceSelector::Items(ItemSelector::Key(key.to_vec())),
            ),
        ),
        (Need::Topic(r), Resource::Topic { cache, topic }) => (
            r,
            (
                cache,
                ResourceSelector::Topics(TopicSelector::Name(topic.to_owned())),
            ),
        ),
        (Need::StoreItem(r), Resource::StoreItem { store, key }) => (
            r,
            (
                store,
                ResourceSelector::StoreItems(ItemSelector::Key(key.to_vec())),
            ),
        ),
        _ => return out,
    };
    let cache = CacheSelector::Name(target.0.to_owned());
    let id = |i: usize| RuleId::new(i as u32);
    let mut misses: Vec<(u8, NearMiss)> = Vec::new();
    for (i, g) in grants.iter().enumerate() {
        let same_kind = std::mem::discriminant(&g.resource) == std::mem::discriminant(&target.1);
        let cache_ok = g.cache.includes(&cache);
        let target_ok = g.resource.includes(&target.1);
        let granted = g.role.rights();
        match out.decision {
            Decision::Allow
                if cache_ok
                    && target_ok
                    && g.effect == Effect::Allow
                    && granted.intersects(rights) =>
            {
                out.deciding.push(id(i));
            }
            // Rules are visited in order, so the lowest-index deny rule, the one the decision
            // names, comes first; then the others that also take a needed right.
            Decision::Deny(DenyReason::DeniedByRule(_))
                if cache_ok
                    && target_ok
                    && g.effect == Effect::Deny
                    && granted.intersects(rights) =>
            {
                out.deciding.push(id(i));
            }
            Decision::Deny(DenyReason::NoMatchingGrant)
                if same_kind && g.effect == Effect::Allow =>
            {
                let miss = match (cache_ok, target_ok) {
                    (true, true) => Some((
                        0,
                        Miss::Rights {
                            has: granted,
                            needs: rights,
                        },
                    )),
                    (true, false) => Some((1, Miss::Target)),
                    (false, true) => Some((2, Miss::Cache)),
                    (false, false) => None,
                };
                if let Some((rank, miss)) = miss {
                    misses.push((rank, NearMiss { rule: id(i), miss }));
                }
            }
            _ => {}
        }
    }
    misses.sort_by_key(|&(rank, m)| (rank, m.rule));
    out.near_misses = misses.into_iter().take(5).map(|(_, m)| m).collect();
    out
}
