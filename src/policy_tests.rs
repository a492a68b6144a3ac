//! Policy unit tests: `test "name" { expect ... }` blocks in the DSL, in the policy's own file or
//! in a file that names its policy with `policy "file.fgac"`.
//!
//! ```
//! let src = r#"
//!     key "svc" { expires never  allow readonly cache "catalog" }
//!     test "catalog is read-only" {
//!         expect allow "svc" get cache "catalog" item "p1"
//!         expect deny  "svc" set cache "catalog" item "p1" reason no_matching_grant
//!     }
//! "#;
//! let authz = fgac::Authorizer::from_text(src)?;
//! let tests = fgac::policy_tests::parse(src)?;
//! let now = fgac::Timestamp(1_800_000_000);
//! for test in &tests.tests {
//!     assert!(fgac::policy_tests::run(&authz, test, now).is_empty(), "{} failed", test.name);
//! }
//! # Ok::<(), fgac::Error>(())
//! ```

use crate::decision::{Decision, Resource, RuleId};
use crate::engine::Authorizer;
use crate::error::Error;
use crate::model::{Span, Timestamp};
use crate::ops::Operation;
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

/// One `expect` line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Expectation {
    /// The expected decision.
    pub expected: Expected,
    /// The credential's name.
    pub key: String,
    /// The operation.
    pub op: Operation,
    /// What it acts on.
    pub target: Target,
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
        /// The reason's snake_case name, when given.
        reason: Option<&'static str>,
        /// The deciding rule, when given.
        rule: Option<RuleId>,
    },
}

impl Expected {
    /// Whether `decision` is what was expected.
    pub fn matches(self, decision: Decision) -> bool {
        match (self, decision) {
            (Expected::Allow, Decision::Allow) => true,
            (Expected::Deny { reason, rule }, Decision::Deny(actual)) => {
                reason.is_none_or(|r| r == actual.as_str())
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

/// What an expectation acts on (owned: a test outlives its parse).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    /// `cache "c" item "k"`.
    Item {
        /// The cache.
        cache: String,
        /// The key bytes.
        key: Vec<u8>,
    },
    /// `cache "c" topic "t"`.
    Topic {
        /// The cache.
        cache: String,
        /// The topic.
        topic: String,
    },
    /// `cache "c"`.
    Cache {
        /// The cache.
        cache: String,
    },
    /// `account`.
    Account,
}

impl Target {
    /// The resource to authorize.
    pub fn resource(&self) -> Resource<'_> {
        match self {
            Target::Item { cache, key } => Resource::item(cache, key),
            Target::Topic { cache, topic } => Resource::topic(cache, topic),
            Target::Cache { cache } => Resource::cache(cache),
            Target::Account => Resource::Account,
        }
    }
}

/// An expectation that did not hold.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure<'t> {
    /// The expectation.
    pub expectation: &'t Expectation,
    /// What the engine decided.
    pub actual: Decision,
}

/// Parses the tests (and `policy` line) of a DSL file; its credentials are left to
/// [`text::parse`](crate::text::parse).
pub fn parse(src: &str) -> Result<TestFile, Error> {
    let file = crate::syntax::text::parse_file(src, &crate::Limits::default())?;
    Ok(crate::syntax::ast::tests_of(&file))
}

/// Runs `test` against `authz`; expectations without `at` are decided at `now`. Returns the
/// expectations that failed (none when the test passes).
pub fn run<'t>(authz: &Authorizer, test: &'t TestCase, now: Timestamp) -> Vec<Failure<'t>> {
    test.expectations
        .iter()
        .filter_map(|e| {
            let actual = authz.authorize(&e.key, e.op, e.target.resource(), e.at.unwrap_or(now));
            (!e.expected.matches(actual)).then_some(Failure {
                expectation: e,
                actual,
            })
        })
        .collect()
}

/// The names of every deny reason, as `reason` takes them.
pub(crate) const REASONS: &[&str] = &[
    "expired",
    "wrong_resource_kind",
    "super_user_required",
    "no_matching_grant",
    "denied_by_rule",
    "unknown_credential",
    "empty_batch",
];

/// The reason named `name`, with a placeholder rule for `denied_by_rule`.
pub(crate) fn reason_named(name: &str) -> Option<&'static str> {
    REASONS.iter().copied().find(|r| *r == name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decision::DenyReason;

    #[test]
    fn every_deny_reason_has_a_name_tests_can_use() {
        for reason in [
            DenyReason::Expired,
            DenyReason::WrongResourceKind,
            DenyReason::SuperUserRequired,
            DenyReason::NoMatchingGrant,
            DenyReason::DeniedByRule(RuleId(3)),
            DenyReason::UnknownCredential,
            DenyReason::EmptyBatch,
        ] {
            assert_eq!(reason_named(reason.as_str()), Some(reason.as_str()));
        }
    }

    #[test]
    fn expectations_match_by_reason_and_rule() {
        let denied = Decision::Deny(DenyReason::DeniedByRule(RuleId(2)));
        assert!(
            Expected::Deny {
                reason: None,
                rule: None
            }
            .matches(denied)
        );
        assert!(
            Expected::Deny {
                reason: Some("denied_by_rule"),
                rule: None
            }
            .matches(denied)
        );
        assert!(
            Expected::Deny {
                reason: Some("denied_by_rule"),
                rule: Some(RuleId(2))
            }
            .matches(denied)
        );
        assert!(
            !Expected::Deny {
                reason: Some("denied_by_rule"),
                rule: Some(RuleId(1))
            }
            .matches(denied)
        );
        assert!(
            !Expected::Deny {
                reason: Some("expired"),
                rule: None
            }
            .matches(denied)
        );
        assert!(!Expected::Allow.matches(denied));
        assert!(Expected::Allow.matches(Decision::Allow));
    }
}
