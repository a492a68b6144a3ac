//! Policy unit tests as written: `test "name" { expect ... }` blocks, and the `policy "file"`
//! line that names the document they run against. The DSL parser produces them beside the
//! document; `fgac::policy_tests` runs them.

use super::Span;
use crate::decision::{Decision, DenyKind, Outcome, OwnedResource, RuleId};
use crate::ops::Operation;
use crate::time::Timestamp;
use std::fmt;

/// The tests of one file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct TestFile {
    /// The policy file the tests run against (`policy "..."`), relative to the test file; without
    /// one, the file's own credentials.
    pub policy: Option<(String, Span)>,
    /// The tests, in order.
    pub tests: Vec<TestCase>,
}

/// One `test "name" { ... }` block.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
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
#[non_exhaustive]
pub struct Expectation {
    /// The expected decision.
    pub expected: Expected,
    /// The credential's name.
    pub credential: String,
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
        reason: Option<ExpectedReason>,
        /// The deciding rule, when given (only with [`DenyKind::DeniedByRule`]).
        rule: Option<RuleId>,
    },
}

/// The reason a test expects a request to be denied for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExpectedReason {
    /// The credential decides to deny, for this kind of reason.
    Denied(DenyKind),
    /// The policy holds no credential of that name (`reason unknown_credential`): the test checks
    /// that a credential is gone.
    UnknownCredential,
}

impl ExpectedReason {
    /// Every reason a test may name, in the order the engine checks them. Tests look credentials
    /// up by name and never present a signed one, so `unauthenticated` is not among them.
    pub const ALL: [ExpectedReason; 6] = [
        ExpectedReason::UnknownCredential,
        ExpectedReason::Denied(DenyKind::Expired),
        ExpectedReason::Denied(DenyKind::WrongResourceKind),
        ExpectedReason::Denied(DenyKind::SuperUserRequired),
        ExpectedReason::Denied(DenyKind::NoMatchingGrant),
        ExpectedReason::Denied(DenyKind::DeniedByRule),
    ];

    /// The snake_case name a test writes: `unknown_credential`, or the [`DenyKind`]'s.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            ExpectedReason::Denied(kind) => kind.as_str(),
            ExpectedReason::UnknownCredential => "unknown_credential",
        }
    }

    /// The reason named `name`.
    #[must_use]
    pub fn from_name(name: &str) -> Option<ExpectedReason> {
        ExpectedReason::ALL.into_iter().find(|r| r.as_str() == name)
    }
}

impl fmt::Display for ExpectedReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Expected {
    /// Whether `outcome` is what was expected.
    #[must_use]
    pub fn matches(self, outcome: Outcome) -> bool {
        match (self, outcome) {
            (Expected::Allow, Outcome::Decided(Decision::Allow)) => true,
            (Expected::Deny { reason, rule }, Outcome::Decided(Decision::Deny(actual))) => {
                reason.is_none_or(|r| r == ExpectedReason::Denied(actual.kind()))
                    && rule.is_none_or(|r| actual.rule() == Some(r))
            }
            (Expected::Deny { reason, .. }, Outcome::UnknownCredential) => {
                reason == Some(ExpectedReason::UnknownCredential)
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
        let denied = Outcome::Decided(Decision::Deny(DenyReason::DeniedByRule(RuleId::new(2))));
        let by_rule = Some(ExpectedReason::Denied(DenyKind::DeniedByRule));
        let deny = |reason, rule| Expected::Deny { reason, rule };
        assert!(deny(None, None).matches(denied));
        assert!(deny(by_rule, None).matches(denied));
        assert!(deny(by_rule, Some(RuleId::new(2))).matches(denied));
        assert!(!deny(by_rule, Some(RuleId::new(1))).matches(denied));
        assert!(!deny(Some(ExpectedReason::Denied(DenyKind::Expired)), None).matches(denied));
        assert!(!Expected::Allow.matches(denied));
        assert!(Expected::Allow.matches(Outcome::Decided(Decision::Allow)));
        // An unknown credential matches only an expectation that names it.
        let gone = Outcome::UnknownCredential;
        assert!(deny(Some(ExpectedReason::UnknownCredential), None).matches(gone));
        assert!(!deny(None, None).matches(gone));
        assert!(!Expected::Allow.matches(gone));
    }

    #[test]
    fn every_deny_reason_has_a_name_tests_can_use() {
        for reason in [
            DenyReason::Expired,
            DenyReason::WrongResourceKind,
            DenyReason::SuperUserRequired,
            DenyReason::NoMatchingGrant,
            DenyReason::DeniedByRule(RuleId::new(3)),
        ] {
            assert_eq!(
                ExpectedReason::from_name(reason.as_str()),
                Some(ExpectedReason::Denied(reason.kind()))
            );
        }
        // Tests name credentials, never present one: every kind but `unauthenticated`, and
        // `unknown_credential`.
        assert_eq!(ExpectedReason::from_name("unauthenticated"), None);
        assert_eq!(DenyKind::ALL.len() - 1 + 1, ExpectedReason::ALL.len());
    }
}
