//! A cell: the merged rights at one point of a trie (what every rule covering a key allows and
//! denies), with how it is built and how it decides.

use super::ids::RuleIndex;
use crate::decision::{Decision, DenyReason, RuleId};
use crate::model::Effect;
use crate::ops::Rights;

/// Merged rights at one point of a trie.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct Cell {
    allow: Rights,
    deny: Rights,
    /// For each right bit set in `deny`, the lowest deny rule that denies it.
    deny_rule: [Option<RuleIndex>; Rights::BITS],
}

impl Cell {
    /// Nothing allowed, nothing denied: decides [`DenyReason::NoMatchingGrant`].
    pub(crate) const EMPTY: Cell = Cell {
        allow: Rights::NONE,
        deny: Rights::NONE,
        deny_rule: [None; Rights::BITS],
    };

    /// Deny wins (naming the lowest deny rule that takes a needed right), then allow when every
    /// needed right is allowed, else no matching grant. A need of no rights is never allowed.
    #[inline]
    pub(crate) fn decide(&self, need: Rights) -> Decision {
        let denied = self.deny.intersection(need);
        if !denied.is_empty() {
            let mut rule = None;
            for (bit, &id) in self.deny_rule.iter().enumerate() {
                if denied.bits() & (1 << bit) != 0 {
                    rule = lowest(rule, id);
                }
            }
            // Every denied right names its rule (`add` sets both); were one not to, the request
            // is still denied.
            return Decision::Deny(rule.map_or(DenyReason::NoMatchingGrant, |r| {
                DenyReason::DeniedByRule(RuleId::new(r.index()))
            }));
        }
        if !need.is_empty() && self.allow.contains(need) {
            Decision::Allow
        } else {
            Decision::Deny(DenyReason::NoMatchingGrant)
        }
    }

    /// Every right of everything: what a super user holds everywhere.
    pub(crate) const ALL: Cell = Cell {
        allow: Rights::ALL,
        deny: Rights::NONE,
        deny_rule: [None; Rights::BITS],
    };

    /// The rights this cell allows and does not deny: a need is allowed here exactly when it is
    /// non-empty and within them.
    pub(crate) fn effective(&self) -> Rights {
        self.allow.difference(self.deny)
    }

    /// Adds one grant's effect on `rights`, made by the rule `rule`.
    pub(crate) fn add(&mut self, effect: Effect, rights: Rights, rule: RuleIndex) {
        match effect {
            Effect::Allow => self.allow = self.allow.union(rights),
            Effect::Deny => {
                self.deny = self.deny.union(rights);
                for (bit, slot) in self.deny_rule.iter_mut().enumerate() {
                    if rights.bits() & (1 << bit) != 0 {
                        *slot = lowest(*slot, Some(rule));
                    }
                }
            }
        }
    }

    /// Everything `self` or `other` grants or denies.
    pub(crate) fn merge(&self, other: &Cell) -> Cell {
        let mut out = *self;
        out.allow = out.allow.union(other.allow);
        out.deny = out.deny.union(other.deny);
        for (slot, &theirs) in out.deny_rule.iter_mut().zip(&other.deny_rule) {
            *slot = lowest(*slot, theirs);
        }
        out
    }
}

/// The lower of two rules, either of which may be absent.
#[inline]
fn lowest(a: Option<RuleIndex>, b: Option<RuleIndex>) -> Option<RuleIndex> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, None) => a,
        (None, b) => b,
    }
}
