//! Running policy unit tests: the `test "name" { expect ... }` blocks of a DSL file (see
//! [`model::TestFile`](crate::model::TestFile)) against a compiled document.
//!
//! ```
//! let src = r#"
//!     key "svc" { expires never  allow readonly cache "catalog" }
//!     test "catalog is read-only" {
//!         expect allow "svc" get cache "catalog" item "p1"
//!         expect deny  "svc" set cache "catalog" item "p1" reason no_matching_grant
//!     }
//! "#;
//! let loaded = fgac::syntax::Reader::new().read_str(src)?;
//! let authz = fgac::Authorizer::compile(&loaded.document)?;
//! let now = fgac::Timestamp::from_unix_seconds(1_800_000_000);
//! for test in &loaded.tests.tests {
//!     assert!(fgac::policy_tests::run(&authz, test, now)?.is_empty(), "{} failed", test.name);
//! }
//! # Ok::<(), fgac::Error>(())
//! ```

use crate::analysis::explain;
use crate::decision::{Outcome, RuleId};
use crate::engine::Authorizer;
use crate::error::{Diagnostic, Diagnostics, Error, ErrorKind};
use crate::model::{
    Document, Expectation, Expected, ExpectedReason, Permissions, Span, TestCase, TestFile,
    ValidDocument,
};
use crate::time::Timestamp;
use std::path::{Path, PathBuf};

/// Where the tests of a file find their policy: `None` for the file's own credentials, or the
/// path its `policy` line names, relative to `test_file` (the test file's own path).
///
/// A file that names a policy holds no credentials of its own, and the policy it names is a
/// `.fgac` or `.json` document: anything else is refused at the `policy` line, by path, so that a
/// test file cannot be used to print part of an arbitrary file.
///
/// ```
/// use std::path::Path;
/// let text = "policy \"../policy.fgac\"\ntest \"t\" { expect allow \"k\" get cache \"c\" item \"k\" }";
/// let loaded = fgac::syntax::Reader::new().read_str(text)?;
/// let path = fgac::policy_tests::policy_path(Path::new("tests/t.fgac"), &loaded.tests, &loaded.document)?;
/// assert_eq!(path.as_deref(), Some(Path::new("tests/../policy.fgac")));
/// # Ok::<(), fgac::Error>(())
/// ```
pub fn policy_path(
    test_file: &Path,
    tests: &TestFile,
    own: &Document,
) -> Result<Option<PathBuf>, Error> {
    let Some((name, span)) = &tests.policy else {
        return Ok(None);
    };
    let refuse = |message: String, help: &str| {
        Err(Error::one(
            Diagnostic::new(ErrorKind::Test, *span, message).with_help(help.to_owned()),
        ))
    };
    if !own.credentials.is_empty() {
        return refuse(
            "this file names its policy with `policy` and also defines credentials".to_owned(),
            "keep tests and policy apart, or drop `policy`",
        );
    }
    let path = test_file.parent().unwrap_or(Path::new("")).join(name);
    match path.extension().and_then(|e| e.to_str()) {
        Some("fgac" | "json") => Ok(Some(path)),
        _ => refuse(
            format!("the policy `{name}` is not a `.fgac` or `.json` document"),
            "name the policy's `.fgac` or `.json` file",
        ),
    }
}

/// An expectation that did not hold.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure<'t> {
    /// The expectation.
    pub expectation: &'t Expectation,
    /// What the request got.
    pub actual: Outcome,
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
    for d in unknown_credentials(authz, test) {
        unknown.push(d);
    }
    unknown.into_result()?;
    Ok(test
        .expectations
        .iter()
        .filter_map(|e| {
            let at = e.at.unwrap_or(now);
            let actual = match authz.credential(&e.credential) {
                Some(c) => Outcome::Decided(c.authorize(e.op, e.resource.as_resource(), at)),
                None => Outcome::UnknownCredential,
            };
            (!e.expected.matches(actual)).then_some(Failure {
                expectation: e,
                actual,
            })
        })
        .collect())
}

/// An error for each expectation of `test` that names a credential `authz` does not hold (with
/// the nearest name as help), unless it expects `reason unknown_credential`: what keeps a test
/// from running (see [`run`]); `fgac check` reports them for a test file without running it.
#[must_use]
pub fn unknown_credentials(authz: &Authorizer, test: &TestCase) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for e in &test.expectations {
        let deliberate = matches!(
            e.expected,
            Expected::Deny {
                reason: Some(ExpectedReason::UnknownCredential),
                ..
            }
        );
        if authz.credential(&e.credential).is_none() && !deliberate {
            let d = Diagnostic::new(
                ErrorKind::Test,
                e.span,
                format!(
                    "test `{}` names the credential `{}`, which the policy does not hold",
                    test.name, e.credential
                ),
            );
            out.push(match authz.suggest_credential(&e.credential) {
                Some(s) => d.with_help(format!("did you mean `{s}`?")),
                None => d.with_help(
                    "name a credential of the policy, or expect `reason unknown_credential` to check that it is gone",
                ),
            });
        }
    }
    out
}

/// A warning for each expectation without `at`: decided at whatever time the tests run, it
/// passes today and fails once a credential it names expires (`fgac check` warns; `fgac test
/// --strict` refuses to run such a test).
///
/// ```
/// let text = "key \"k\" { expires never  allow readonly cache \"c\" }\n\
///             test \"t\" {\n  expect allow \"k\" get cache \"c\" item \"a\"\n  \
///             expect allow \"k\" get cache \"c\" item \"b\" at 2027-01-01T00:00:00Z\n}\n";
/// let loaded = fgac::syntax::Reader::new().read_str(text)?;
/// let warnings = fgac::policy_tests::clock_dependent(&loaded.tests);
/// assert_eq!(warnings.len(), 1);
/// # Ok::<(), fgac::Error>(())
/// ```
#[must_use]
pub fn clock_dependent(tests: &TestFile) -> Vec<Diagnostic> {
    tests
        .tests
        .iter()
        .flat_map(|t| &t.expectations)
        .filter(|e| e.at.is_none())
        .map(|e| {
            Diagnostic::warning(
                ErrorKind::Lint {
                    name: "expectation_without_at",
                },
                e.span,
                "this expectation has no `at`: it is decided at the time the tests run",
            )
            .with_help(
                "give it a time (`at 2027-01-01T00:00:00Z`): a test that depends on the clock fails once a credential it names expires",
            )
        })
        .collect()
}

/// Which rules of a policy its tests reach: a rule is reached when it decided an expectation
/// (one of the allow rules that gave the rights, or the deny rule that took them away) or, for a
/// request no rule allows, is the nearest miss that explains the deny. `fgac test --coverage`
/// prints it per policy file.
///
/// ```
/// use fgac::policy_tests::Coverage;
/// let src = r#"
///     key "svc" { expires never
///         allow readonly cache "catalog"
///         allow readwrite cache "cart" }
///     test "catalog is read-only" { expect allow "svc" get cache "catalog" item "p1" }
/// "#;
/// let loaded = fgac::syntax::Reader::new().read_str(src)?;
/// let valid = fgac::validate(&loaded.document, &fgac::Limits::default())?;
/// let mut coverage = Coverage::new(valid);
/// let now = fgac::Timestamp::from_unix_seconds(1_800_000_000);
/// for test in &loaded.tests.tests {
///     coverage.record(valid, test, now);
/// }
/// assert_eq!((coverage.reached(), coverage.rules().len()), (1, 2));
/// assert!(!coverage.rules()[1].reached); // nothing tests the cart
/// # Ok::<(), fgac::Error>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct Coverage {
    rules: Vec<CoveredRule>,
    /// Each credential's place in the document and its first rule in `rules`, by name.
    first: ahash::AHashMap<String, (usize, usize)>,
}

/// A rule of a policy, and whether a test reached it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CoveredRule {
    /// The credential that holds it.
    pub credential: String,
    /// The rule: its index among the credential's rules.
    pub rule: RuleId,
    /// Where it is written.
    pub span: Span,
    /// Whether an expectation reached it.
    pub reached: bool,
}

impl Coverage {
    /// Every rule of `policy`, none reached yet. A super user has no rules to reach.
    #[must_use]
    pub fn new(policy: ValidDocument<'_>) -> Coverage {
        let mut coverage = Coverage::default();
        for (place, credential) in policy.credentials().enumerate() {
            let Permissions::Explicit(grants) = &credential.permissions else {
                continue;
            };
            coverage
                .first
                .entry(credential.name.clone())
                .or_insert((place, coverage.rules.len()));
            for (i, grant) in grants.iter().enumerate() {
                coverage.rules.push(CoveredRule {
                    credential: credential.name.clone(),
                    rule: RuleId::new(u32::try_from(i).unwrap_or(u32::MAX)),
                    span: grant.span,
                    reached: false,
                });
            }
        }
        coverage
    }

    /// Marks the rules `test`'s expectations reach in `policy` (the document `self` was made
    /// from), each decided at its `at` or at `now`. Expectations that fail reach rules too: the
    /// rule that decided them is what a reader of the failure looks at.
    pub fn record(&mut self, policy: ValidDocument<'_>, test: &TestCase, now: Timestamp) {
        for e in &test.expectations {
            let Some(&(place, first)) = self.first.get(&e.credential) else {
                continue;
            };
            let Some(credential) = policy.credential_at(place) else {
                continue;
            };
            let at = e.at.unwrap_or(now);
            let explanation = explain(credential, e.op.need(), e.resource.as_resource(), at);
            let nearest = explanation.near_misses.first().map(|m| m.rule);
            for rule in explanation.deciding.iter().copied().chain(nearest) {
                if let Some(r) = self.rules.get_mut(first + rule.index() as usize)
                    && r.credential == e.credential
                {
                    r.reached = true;
                }
            }
        }
    }

    /// Every rule, in document order.
    #[must_use]
    pub fn rules(&self) -> &[CoveredRule] {
        &self.rules
    }

    /// How many rules are reached.
    #[must_use]
    pub fn reached(&self) -> usize {
        self.rules.iter().filter(|r| r.reached).count()
    }

    /// The share of rules reached, in percent: 100 for a policy without rules.
    #[must_use]
    pub fn percent(&self) -> f64 {
        if self.rules.is_empty() {
            return 100.0;
        }
        // Counts of rules are far below 2^52: exact as f64.
        let (reached, all) = (self.reached() as f64, self.rules.len() as f64);
        100.0 * reached / all
    }
}
