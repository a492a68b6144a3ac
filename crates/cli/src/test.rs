//! `fgac test PATH...`: run the `test` blocks of `.fgac` files against their own credentials, or
//! against the document their `policy "file"` line names.

use crate::input::{self, located};
use crate::out::{Status, Stop, report, say};
use fgac::model::TestFile;
use fgac::{Authorizer, Compiled, Decision, DenyReason, Outcome, OwnedResource};
use fgac::{analysis, escape_for_terminal as shown, policy_tests};
use std::path::{Path, PathBuf};

pub fn run(paths: &[PathBuf], now: Option<&str>, strict: bool) -> Result<Status, Stop> {
    let now = input::now_or(now)?;
    let mut tally = Tally::default();
    for path in input::files_under(paths, "fgac") {
        let outcome = path.and_then(|path| one(&path, now, strict, &mut tally));
        match outcome {
            Ok(()) => {}
            Err(Stop::Usage(message)) => {
                report(&format!("error: {}\n", shown(&message)));
                tally.worst = tally.worst.max(Status::Usage);
            }
            Err(stop) => return Err(stop),
        }
    }
    say!("{} passed, {} failed", tally.passed, tally.failed)?;
    let failed = if tally.failed > 0 {
        Status::Failed
    } else if tally.passed == 0 {
        report("error: no test found: no `test` block in the files given\n");
        Status::NoTests
    } else {
        Status::Ok
    };
    Ok(tally.worst.max(failed))
}

#[derive(Default)]
struct Tally {
    passed: usize,
    failed: usize,
    worst: Status,
}

/// The document tests run against: the file's own, or the one its `policy` line names.
struct Policy {
    origin: String,
    text: String,
    compiled: Compiled,
}

fn one(path: &Path, now: fgac::Timestamp, strict: bool, tally: &mut Tally) -> Result<(), Stop> {
    let bytes = input::read(path)?;
    let Some((text, loaded)) = input::parse(path, &bytes) else {
        tally.failed += 1;
        return Ok(());
    };
    if loaded.tests.tests.is_empty() {
        return Ok(());
    }
    let count = loaded.tests.tests.len();
    let tests = loaded.tests.clone();
    let origin = input::name_of(path);
    let clock = policy_tests::clock_dependent(&tests);
    if strict && !clock.is_empty() {
        let n = clock.len();
        input::print_error(
            path,
            fgac::Error::from_diagnostics(clock).with_source(&text),
        );
        let (what, tests) = (
            if n == 1 {
                "expectation"
            } else {
                "expectations"
            },
            if count == 1 {
                "test fails"
            } else {
                "tests fail"
            },
        );
        report(&format!(
            "error: {}: {n} {what} without `at` (--strict): its {count} {tests}\n",
            shown(&origin)
        ));
        tally.failed += count;
        return Ok(());
    }
    let builder = Authorizer::builder();
    let policy = match policy_tests::policy_path(path, &tests, &loaded.document) {
        Err(e) => {
            input::print_error(path, e.with_source(&text));
            tally.failed += count;
            return Ok(());
        }
        // The file's own credentials: the one parse already made.
        Ok(None) => match builder.compile_loaded(loaded, &text) {
            Ok(compiled) => Policy {
                origin: origin.clone(),
                text: text.clone(),
                compiled,
            },
            Err(e) => {
                input::print_error(path, e);
                tally.failed += count;
                return Ok(());
            }
        },
        Ok(Some(policy_path)) => match referenced_policy(path, &text, &tests, &policy_path) {
            Some(policy) => policy,
            None => {
                tally.failed += count;
                return Ok(());
            }
        },
    };
    run_tests(&tests, &policy, &origin, &text, now, tally)
}

/// Reads and compiles the document a `policy` line names; a file that cannot be read is reported
/// at the `policy` line, by path, without showing anything of it.
fn referenced_policy(path: &Path, text: &str, tests: &TestFile, policy: &Path) -> Option<Policy> {
    let bytes = match std::fs::read(policy) {
        Ok(bytes) => bytes,
        Err(e) => {
            let (name, span) = tests.policy.as_ref()?;
            let d = fgac::Diagnostic::new(
                fgac::ErrorKind::Test,
                *span,
                format!("cannot read the policy `{name}`: {e}"),
            )
            .with_help("the path is relative to this test file");
            input::print_error(
                path,
                fgac::Error::from_diagnostics(vec![d]).with_source(text),
            );
            return None;
        }
    };
    match Authorizer::builder()
        .reader(fgac::syntax::Reader::for_path(policy))
        .read(&bytes)
    {
        Ok(compiled) => Some(Policy {
            origin: policy.display().to_string(),
            text: input::text_of(&bytes, compiled.loaded().format),
            compiled,
        }),
        Err(e) => {
            input::print_error(policy, e);
            None
        }
    }
}

fn run_tests(
    tests: &TestFile,
    policy: &Policy,
    origin: &str,
    text: &str,
    now: fgac::Timestamp,
    tally: &mut Tally,
) -> Result<(), Stop> {
    let authz = policy.compiled.authorizer();
    for case in &tests.tests {
        let failures = match policy_tests::run(authz, case, now) {
            Ok(failures) => failures,
            Err(e) => {
                say!("FAIL {}: {}", shown(origin), shown(&case.name))?;
                report(&e.with_source(text).with_origin(origin).to_string());
                tally.failed += 1;
                continue;
            }
        };
        if failures.is_empty() {
            tally.passed += 1;
            say!("ok   {}: {}", shown(origin), shown(&case.name))?;
            continue;
        }
        tally.failed += 1;
        say!("FAIL {}: {}", shown(origin), shown(&case.name))?;
        for f in failures {
            let e = f.expectation;
            say!("  {}", located(origin, text, e.span))?;
            say!("    expected {}, got {}", e.expected, f.actual)?;
            let Some(credential) = policy.compiled.valid().credential(&e.credential) else {
                continue;
            };
            let at = e.at.unwrap_or(now);
            let resource = e.resource.as_resource();
            let explanation = analysis::explain(credential, e.op.need(), resource, at);
            for &rule in &explanation.deciding {
                if let Some(g) = explanation.grant(rule) {
                    say!(
                        "    decided by rule {rule} at {}",
                        located(&policy.origin, &policy.text, g.span)
                    )?;
                }
            }
            if let Some(m) = explanation.near_misses.first()
                && let Some(g) = explanation.grant(m.rule)
            {
                say!(
                    "    nearest rule {} at {}",
                    m.rule,
                    located(&policy.origin, &policy.text, g.span)
                )?;
            }
            if f.actual == Outcome::Decided(Decision::Deny(DenyReason::WrongResourceKind)) {
                say!(
                    "    {} acts on another kind of resource than {}",
                    e.op,
                    match e.resource {
                        OwnedResource::Item { .. } => "an item",
                        OwnedResource::Topic { .. } => "a topic",
                        OwnedResource::StoreItem { .. } => "an item of a store",
                        OwnedResource::Cache { .. } => "a cache",
                        OwnedResource::Account => "the account",
                    }
                )?;
            }
        }
    }
    Ok(())
}
