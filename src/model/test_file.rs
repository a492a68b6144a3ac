//! Policy unit tests as written: `test "name" { expect ... }` blocks, and the `policy "file"`
//! line that names the document they run against. The DSL parser produces them beside the
//! document; [`policy_tests`](crate::policy_tests) runs them.

use super::Span;
use crate::decision::{Decision, DenyKind, OwnedResource, RuleId};
use crate::ops::Operation;
use crate::time::Timestamp;
use std::fmt;

/// The tests of one file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TestFile {
    /// The policy file the tests run against (`policy "..."`), relative to the test file; without
    /// one, the file's own credentials.
    pub policy: Option<(String, Span)>,
    /// The tests, in order.
    pub tests: Vec<TestCase>,
}

/// One `test "name" { ... }` block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TestCase {
    /// Its name.
    pub name: String,
    /// The span of `test "name"`.
    pub span: Span,
    /// What it expects, in order.
    pub expectations: Vec<Expectation>,
}

/// One `expect` line: a request and the decision it must get.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Expectation {
    /// The expected decision.
    pub expected: Expected,
    /// The credential's name.
    pub key: String,
    /// The operation.
    pub op: Operation,
    /// What it acts on.
    pub resource: OwnedResource,
    /// When; without `at`, the time the tests run at.
    pub at: Option<Timestamp>,
    /// Where the line is.
    pub span: Span,
}

/// An expected decision.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expected {
    /// `expect allow`.
    Allow,
    /// `expect deny`, optionally for a reason (`reason no_matching_grant`), and for
    /// `denied_by_rule` optionally a rule (`reason denied_by_rule #2`).
    Deny {
        /// The reason, when given.
        reason: Option<DenyKind>,
        /// The deciding rule, when given (only with [`DenyKind::DeniedByRule`]).
        rule: Option<RuleId>,
    },
}

impl Expected {
    /// Whether `decision` is what was expected.
    pub fn matches(self, decision: Decision) -> bool {
        match (self, decision) {
            (Expected::Allow, Decision::Allow) => true,
            (Expected::Deny { reason, rule }, Decision::Deny(actual)) => {
                reason.is_none_or(|r| r == actual.kind())
                    && rule.is_none_or(|r| actual.rule() == Some(r))
            }
            _ => false,
        }
    }
}

impl fmt::Display for Expected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expected::Allow => f.write_str("allow"),
            Expected::Deny { reason: None, .. } => f.write_str("deny"),
            Expected::Deny {
                reason: Some(r),
                rule: None,
            } => write!(f, "deny ({r})"),
            Expected::Deny {
                reason: Some(r),
                rule: Some(id),
            } => write!(f, "deny ({r} {id})"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decision::DenyReason;

    #[test]
    fn expectations_match_by_reason_and_rule() {
        let denied = Decision::Deny(DenyReason::DeniedByRule(RuleId::new(2)));
        let deny = |reason, rule| Expected::Deny { reason, rule };
        assert!(deny(None, None).matches(denied));
        assert!(deny(Some(DenyKind::DeniedByRule), None).matches(denied));
        assert!(deny(Some(DenyKind::DeniedByRule), Some(RuleId::new(2))).matches(denied));
        assert!(!deny(Some(DenyKind::DeniedByRule), Some(RuleId::new(1))).matches(denied));
        assert!(!deny(Some(DenyKind::Expired), None).matches(denied));
        assert!(!Expected::Allow.matches(denied));
        assert!(Expected::Allow.matches(Decision::Allow));
    }

    #[test]
    fn every_deny_reason_has_a_kind_tests_can_name() {
        for reason in [
            DenyReason::Expired,
            DenyReason::WrongResourceKind,
            DenyReason::SuperUserRequired,
            DenyReason::NoMatchingGrant,
            DenyReason::DeniedByRule(RuleId::new(3)),
            DenyReason::UnknownCredential,
            DenyReason::EmptyBatch,
        ] {
            assert_eq!(DenyKind::from_name(reason.as_str()), Some(reason.kind()));
        }
        assert_eq!(DenyKind::ALL.len(), 7);
    }
}
