//! `fgac test PATH...`: run the `test` blocks of `.fgac` files against their own credentials, or
//! against the document their `policy "file"` line names.

use crate::input::{self, located};
use crate::out::{Status, Stop, report, say};
use fgac::model::{Document, Span, TestFile};
use fgac::{Authorizer, Decision, DenyReason, Diagnostic, ErrorKind, OwnedResource};
use fgac::{analysis, escape_for_terminal as shown, policy_tests};
use std::path::{Path, PathBuf};

pub fn run(paths: &[PathBuf], now: Option<&str>) -> Result<Status, Stop> {
    let now = input::now_or(now)?;
    let mut tally = Tally::default();
    for path in input::files_under(paths, "fgac") {
        let outcome = path.and_then(|path| one(&path, now, &mut tally));
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
    document: Document,
}

fn one(path: &Path, now: fgac::Timestamp, tally: &mut Tally) -> Result<(), Stop> {
    let bytes = input::read(path)?;
    let Some((text, loaded)) = input::parse(path, &bytes) else {
        tally.failed += 1;
        return Ok(());
    };
    let tests = &loaded.tests;
    if tests.tests.is_empty() {
        return Ok(());
    }
    let origin = path.display().to_string();
    let policy = match &tests.policy {
        None => Policy {
            origin: origin.clone(),
            text: text.clone(),
            document: loaded.document.clone(),
        },
        Some((name, span)) => {
            let named = referenced_policy(path, &text, name, *span, &loaded.document);
            match named? {
                Some(policy) => policy,
                None => {
                    tally.failed += tests.tests.len();
                    return Ok(());
                }
            }
        }
    };
    let authz = match Authorizer::compile(&policy.document) {
        Ok(authz) => authz,
        Err(e) => {
            report(
                &e.with_source(&policy.text)
                    .with_origin(policy.origin.as_str())
                    .to_string(),
            );
            tally.failed += tests.tests.len();
            return Ok(());
        }
    };
    run_tests(tests, &authz, &policy, &origin, &text, now, tally)
}

/// Reads the document a `policy` line names (relative to the test file). A test file that also
/// defines credentials, a file that is not a `.fgac` or `.json` document, or one that cannot be
/// read is reported at the `policy` line, by path, without showing the file's content: a test
/// file must not be a way to print the first line of any readable file.
fn referenced_policy(
    path: &Path,
    text: &str,
    name: &str,
    span: Span,
    own: &Document,
) -> Result<Option<Policy>, Stop> {
    let at_policy_line = |message: String, help: &str| {
        let e = fgac::Error::from_diagnostics(vec![
            Diagnostic::new(ErrorKind::Test, span, message).with_help(help.to_owned()),
        ]);
        input::print_error(path, e.with_source(text));
        Ok(None)
    };
    if !own.credentials.is_empty() {
        return at_policy_line(
            "this file names its policy with `policy` and also defines credentials".to_owned(),
            "keep tests and policy apart, or drop `policy`",
        );
    }
    let policy_path = path.parent().unwrap_or(Path::new(".")).join(name);
    if input::language_of(&policy_path).is_none() {
        return at_policy_line(
            format!("the policy `{name}` is not a `.fgac` or `.json` document"),
            "name the policy's `.fgac` or `.json` file",
        );
    }
    let bytes = match std::fs::read(&policy_path) {
        Ok(bytes) => bytes,
        Err(e) => {
            return at_policy_line(
                format!("cannot read the policy `{name}`: {e}"),
                "the path is relative to this test file",
            );
        }
    };
    let Some((policy_text, loaded)) = input::parse(&policy_path, &bytes) else {
        return Ok(None);
    };
    Ok(Some(Policy {
        origin: policy_path.display().to_string(),
        text: policy_text,
        document: loaded.document,
    }))
}

fn run_tests(
    tests: &TestFile,
    authz: &Authorizer,
    policy: &Policy,
    origin: &str,
    text: &str,
    now: fgac::Timestamp,
    tally: &mut Tally,
) -> Result<(), Stop> {
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
            let at = e.at.unwrap_or(now);
            let resource = e.resource.as_resource();
            let explanation =
                analysis::explain(&policy.document, &e.key, e.op.need(), resource, at);
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
            if f.actual == Decision::Deny(DenyReason::WrongResourceKind) {
                say!(
                    "    {} acts on another kind of resource than {}",
                    e.op,
                    match e.resource {
                        OwnedResource::Item { .. } => "an item",
                        OwnedResource::Topic { .. } => "a topic",
                        OwnedResource::Cache { .. } => "a cache",
                        OwnedResource::Account => "the account",
                    }
                )?;
            }
        }
    }
    Ok(())
}
