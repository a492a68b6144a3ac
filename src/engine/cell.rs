//! A cell: the merged rights at one point of a trie (what every rule covering a key allows and
//! denies), with how it is built and how it decides.

use super::trie::NONE;
use crate::decision::{Decision, DenyReason, RuleId};
use crate::model::Effect;
use crate::ops::Rights;

/// Merged rights at one point of a trie.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct Cell {
    allow: Rights,
    deny: Rights,
    /// For each right bit set in `deny`, the lowest index of a deny rule that denies it.
    deny_rule: [u32; Rights::BITS],
}

impl Cell {
    /// Nothing allowed, nothing denied: decides [`DenyReason::NoMatchingGrant`].
    pub(crate) const EMPTY: Cell = Cell {
        allow: Rights::NONE,
        deny: Rights::NONE,
        deny_rule: [NONE; Rights::BITS],
    };

    /// Deny wins (naming the lowest deny rule that takes a needed right), then allow when every
    /// needed right is allowed, else no matching grant. A need of no rights is never allowed.
    #[inline]
    pub(crate) fn decide(&self, need: Rights) -> Decision {
        let denied = self.deny.intersection(need);
        if !denied.is_empty() {
            let mut rule = NONE;
            for (bit, &id) in self.deny_rule.iter().enumerate() {
                if denied.bits() & (1 << bit) != 0 {
                    rule = rule.min(id);
                }
            }
            return Decision::Deny(DenyReason::DeniedByRule(RuleId::new(rule)));
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
        deny_rule: [NONE; Rights::BITS],
    };

    /// The rights this cell allows and does not deny: a need is allowed here exactly when it is
    /// non-empty and within them.
    pub(crate) fn effective(&self) -> Rights {
        self.allow.difference(self.deny)
    }

    /// Adds one grant's effect on `rights`, made by the rule numbered `rule`.
    pub(crate) fn add(&mut self, effect: Effect, rights: Rights, rule: u32) {
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
    pub(crate) fn merge(&self, other: &Cell) -> Cell {
        let mut out = *self;
        out.allow = out.allow.union(other.allow);
        out.deny = out.deny.union(other.deny);
        for (slot, &theirs) in out.deny_rule.iter_mut().zip(&other.deny_rule) {
            *slot = (*slot).min(theirs);
        }
        out
    }
}
