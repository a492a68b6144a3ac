//! The reference evaluator: the definition of fgac's semantics, as an obvious linear scan over a
//! credential's grants, written for clarity and not for speed.
//!
//! The compiled engine ([`Authorizer`](crate::Authorizer)) must give the same [`Decision`] as this
//! module for every validated document and every request; the corpus tests, the property tests,
//! the bounded-exhaustive check and the differential fuzz target check it. It takes only
//! validated input ([`ValidCredential`], from [`validate`](crate::validate)), as the engine only
//! compiles valid documents. Use it in tests, never on a hot path: its cost grows with the number
//! of grants.

use crate::decision::{BatchDecision, Decision, DenyReason, Resource, RuleId};
use crate::model::{Effect, Grant, Permissions, ResourceSelector, ValidCredential};
use crate::ops::{Need, Operation, Rights};
use crate::time::Timestamp;

/// Decides whether `credential` may do what `need` says on `resource` at `now`.
///
/// ```
/// use fgac::{reference, Need, Resource, Rights, Timestamp};
/// let doc = fgac::syntax::parse(r#"key "k" { expires never  allow readonly cache "c" }"#)?;
/// let valid = fgac::validate(&doc, &fgac::Limits::default())?;
/// let k = valid.credential("k").unwrap();
/// let now = Timestamp::from_unix_seconds(0);
/// assert!(reference::decide(k, Need::Item(Rights::READ), Resource::item("c", b"x"), now).is_allowed());
/// # Ok::<(), fgac::Error>(())
/// ```
pub fn decide(
    credential: ValidCredential<'_>,
    need: Need,
    resource: Resource<'_>,
    now: Timestamp,
) -> Decision {
    let credential = credential.def();
    // 1. An expired credential is denied before anything else.
    if credential.expiry.is_expired(now) {
        return Decision::Deny(DenyReason::Expired);
    }
    let is_super_user = matches!(credential.permissions, Permissions::SuperUser { .. });

    // 2. The operation must act on the kind of resource it is for.
    let (rights, cache, target) = match (need, resource) {
        (Need::ControlPlane, Resource::Cache { .. } | Resource::Account) => {
            // 3. The control plane belongs to super-user keys alone...
            return if is_super_user {
                Decision::Allow
            } else {
                Decision::Deny(DenyReason::SuperUserRequired)
            };
        }
        (Need::Account(rights), Resource::Cache { .. } | Resource::Account) => {
            // ... and to credentials holding the account rights it needs (v2's management and
            // list rights). A request for no right is never allowed.
            return if rights.is_empty() {
                Decision::Deny(DenyReason::NoMatchingGrant)
            } else if is_super_user || credential.account.contains(rights) {
                Decision::Allow
            } else {
                Decision::Deny(DenyReason::SuperUserRequired)
            };
        }
        (Need::Item(rights), Resource::Item { cache, key }) => (rights, cache, Target::Item(key)),
        (Need::Topic(rights), Resource::Topic { cache, topic }) => {
            (rights, cache, Target::Topic(topic))
        }
        (Need::StoreItem(rights), Resource::StoreItem { store, key }) => {
            (rights, store, Target::StoreItem(key))
        }
        _ => return Decision::Deny(DenyReason::WrongResourceKind),
    };

    // A request for nothing is never allowed.
    if rights.is_empty() {
        return Decision::Deny(DenyReason::NoMatchingGrant);
    }

    // 4. A super user may do every data-plane operation.
    let grants = match &credential.permissions {
        Permissions::SuperUser { .. } => return Decision::Allow,
        Permissions::Explicit(grants) => grants,
    };

    // 5. Every grant that covers the resource: deny rules win, allows add up.
    let mut allowed = Rights::NONE;
    for (index, grant) in grants.iter().enumerate() {
        if !covers(grant, cache, target) {
            continue;
        }
        let granted = grant.role.rights();
        match grant.effect {
            Effect::Deny if granted.intersects(rights) => {
                // The first deny rule in the list that takes a needed right away decides.
                return Decision::Deny(DenyReason::DeniedByRule(RuleId::new(index as u32)));
            }
            Effect::Deny => {}
            Effect::Allow => allowed = allowed.union(granted),
        }
    }
    if allowed.contains(rights) {
        Decision::Allow
    } else {
        Decision::Deny(DenyReason::NoMatchingGrant)
    }
}

/// Decides a multi-key operation: allowed when every key is, otherwise the first key's denial.
pub fn decide_batch<'k>(
    credential: ValidCredential<'_>,
    op: Operation,
    cache: &str,
    keys: impl IntoIterator<Item = &'k [u8]>,
    now: Timestamp,
) -> BatchDecision {
    let mut any = false;
    for (index, key) in keys.into_iter().enumerate() {
        any = true;
        if let Decision::Deny(reason) =
            decide(credential, op.need(), Resource::item(cache, key), now)
        {
            return BatchDecision::Deny { index, reason };
        }
    }
    if any {
        BatchDecision::Allow
    } else {
        BatchDecision::Empty
    }
}

#[derive(Clone, Copy)]
enum Target<'a> {
    Item(&'a [u8]),
    Topic(&'a str),
    StoreItem(&'a [u8]),
}

/// Whether `grant` covers the item or topic `target` in the cache named `cache` (or the item
/// `target` of the store named `cache`).
fn covers(grant: &Grant, cache: &str, target: Target<'_>) -> bool {
    let cache_matches = grant.cache.covers(cache);
    let target_matches = match (&grant.resource, target) {
        (ResourceSelector::Items(selector), Target::Item(key))
        | (ResourceSelector::StoreItems(selector), Target::StoreItem(key)) => selector.covers(key),
        (ResourceSelector::Topics(selector), Target::Topic(topic)) => selector.covers(topic),
        _ => false,
    };
    cache_matches && target_matches
}
