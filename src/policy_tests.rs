//! Running policy unit tests: the `test "name" { expect ... }` blocks of a DSL file (see
//! [`TestFile`](crate::model::TestFile)) against a compiled document.
//!
//! ```
//! let src = r#"
//!     key "svc" { expires never  allow readonly cache "catalog" }
//!     test "catalog is read-only" {
//!         expect allow "svc" get cache "catalog" item "p1"
//!         expect deny  "svc" set cache "catalog" item "p1" reason no_matching_grant
//!     }
//! "#;
//! let loaded = fgac::syntax::read(src, fgac::syntax::Language::Dsl, &fgac::Limits::default())?;
//! let authz = fgac::Authorizer::compile(&loaded.document)?;
//! let now = fgac::Timestamp::from_unix_seconds(1_800_000_000);
//! for test in &loaded.tests.tests {
//!     assert!(fgac::policy_tests::run(&authz, test, now)?.is_empty(), "{} failed", test.name);
//! }
//! # Ok::<(), fgac::Error>(())
//! ```

use crate::decision::{Decision, DenyKind};
use crate::engine::Authorizer;
use crate::error::{Diagnostic, Diagnostics, Error, ErrorKind};
use crate::model::{Expectation, Expected, TestCase};
use crate::time::Timestamp;

/// An expectation that did not hold.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure<'t> {
    /// The expectation.
    pub expectation: &'t Expectation,
    /// What the engine decided.
    pub actual: Decision,
}

/// Runs `test` against `authz`; expectations without `at` are decided at `now`. Returns the
/// expectations that failed (none when the test passes).
///
/// A test that names a credential `authz` does not hold cannot run: it is an error (with the
/// nearest name), not a pass, since a misspelt name is denied as an unknown credential and would
/// satisfy any `expect deny`. An expectation that asks for that very reason
/// (`reason unknown_credential`) is the exception: it checks that a credential is gone.
pub fn run<'t>(
    authz: &Authorizer,
    test: &'t TestCase,
    now: Timestamp,
) -> Result<Vec<Failure<'t>>, Error> {
    let mut unknown = Diagnostics::default();
    for e in &test.expectations {
        let deliberate = matches!(
            e.expected,
            Expected::Deny {
                reason: Some(DenyKind::UnknownCredential),
                ..
            }
        );
        if authz.credential(&e.key).is_none() && !deliberate {
            let d = Diagnostic::new(
                ErrorKind::Test,
                e.span,
                format!(
                    "test `{}` names the credential `{}`, which the policy does not hold",
                    test.name, e.key
                ),
            );
            unknown.push(match authz.suggest_credential(&e.key) {
                Some(s) => d.with_help(format!("did you mean `{s}`?")),
                None => d.with_help(
                    "name a credential of the policy, or expect `reason unknown_credential` to check that it is gone",
                ),
            });
        }
    }
    unknown.into_result()?;
    Ok(test
        .expectations
        .iter()
        .filter_map(|e| {
            let at = e.at.unwrap_or(now);
            let actual = authz.authorize(&e.key, e.op, e.resource.as_resource(), at);
            (!e.expected.matches(actual)).then_some(Failure {
                expectation: e,
                actual,
            })
        })
        .collect())
}
