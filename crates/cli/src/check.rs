//! `fgac check FILE...`: parse, validate and lint. A file of tests for another file's policy
//! (a `policy "..."` line and no credentials) is checked as such: the policy it names compiles
//! and every credential its tests name is one the policy holds.

use crate::input;
use crate::out::{Status, Stop, report, say};
use crate::schema::{self, Report};
use fgac::{analysis, policy_tests};
use serde_json::json;
use std::path::PathBuf;

pub fn run(files: &[PathBuf], deny_warnings: bool, format: Report) -> Result<Status, Stop> {
    if format == Report::Junit {
        return Err(Stop::Usage(
            "`--format junit` is for `fgac test`; `check` writes text or json".to_owned(),
        ));
    }
    let json = format == Report::Json;
    let mut worst = Status::Ok;
    let mut reports = Vec::new();
    for path in files {
        let origin = input::name_of(path);
        let read = input::read(path);
        let (status, entry) = match read.map(|bytes| (tests_only(path, &bytes), bytes)) {
            Err(stop) => match stop {
                Stop::Usage(message) => {
                    if !json {
                        report(&format!("error: {}\n", fgac::escape_for_terminal(&message)));
                    }
                    (Status::Usage, json!({ "error": message }))
                }
                stop => return Err(stop),
            },
            Ok((Some(outcome), _)) => {
                let (status, entry, shown) = outcome;
                if !json {
                    if let Some(e) = shown {
                        report(&format!("{e}\n"));
                    }
                    if status == Status::Ok {
                        say!(
                            "{}: ok (tests of another file's policy)",
                            fgac::escape_for_terminal(&origin)
                        )?;
                    }
                }
                (status, entry)
            }
            Ok((None, bytes)) => match input::compile_read(path, &bytes) {
                Err((text, e)) => {
                    let entry = schema::diagnostics(&e, &text);
                    if !json {
                        input::print_error(path, e);
                    }
                    (Status::Failed, entry)
                }
                Ok(doc) => {
                    let mut warnings = analysis::lint(doc.compiled.valid());
                    warnings.extend(policy_tests::clock_dependent(&doc.compiled.loaded().tests));
                    let count = warnings.len();
                    let status = if deny_warnings && count > 0 {
                        Status::Failed
                    } else {
                        Status::Ok
                    };
                    if json {
                        let entry = if warnings.is_empty() {
                            json!({ "diagnostics": [], "omitted": 0 })
                        } else {
                            schema::diagnostics(&fgac::Error::from_diagnostics(warnings), &doc.text)
                        };
                        (status, entry)
                    } else {
                        if count > 0 {
                            // The first 50, then a count, located in one pass over the document:
                            // time linear in the document whatever the number of warnings.
                            let shown = fgac::Error::from_diagnostics(warnings)
                                .with_source(&doc.text)
                                .with_origin(origin.as_str());
                            report(&format!("{shown}\n"));
                        }
                        let shown = fgac::escape_for_terminal(&origin);
                        match count {
                            0 => say!("{shown}: ok")?,
                            1 => say!("{shown}: ok, 1 warning")?,
                            n => say!("{shown}: ok, {n} warnings")?,
                        }
                        (status, json!({}))
                    }
                }
            },
        };
        if json {
            let mut entry = entry;
            entry["file"] = json!(origin);
            entry["status"] = json!(schema::status_name(status));
            reports.push(entry);
        }
        worst = worst.max(status);
    }
    if json {
        schema::emit(
            "check",
            json!({ "status": schema::status_name(worst), "files": reports }),
        )?;
    }
    Ok(worst)
}

/// What `check` finds in a file of tests for another file's policy, or `None` when `path` is
/// not one: its status, its JSON entry, and the errors and warnings to show (rendered).
type TestsOnly = Option<(Status, serde_json::Value, Option<String>)>;

fn tests_only(path: &std::path::Path, bytes: &[u8]) -> TestsOnly {
    let reader = input::reader_for(path);
    let Ok(loaded) = reader.read(bytes) else {
        return None;
    };
    if loaded.tests.policy.is_none() || !loaded.document.credentials.is_empty() {
        return None;
    }
    let text = input::text_of(bytes, loaded.format);
    let origin = input::name_of(path);
    let mut found = policy_tests::clock_dependent(&loaded.tests);
    let policy = match policy_tests::policy_path(path, &loaded.tests, &loaded.document) {
        Ok(Some(policy)) => Some(policy),
        Ok(None) => return None,
        Err(e) => {
            found.extend(e.diagnostics().iter().cloned());
            None
        }
    };
    if let Some(policy) = policy {
        match std::fs::read(&policy) {
            Err(e) => {
                let (name, span) = loaded.tests.policy.clone().unwrap_or_default();
                found.push(
                    fgac::Diagnostic::new(
                        fgac::ErrorKind::Test,
                        span,
                        format!("cannot read the policy `{name}`: {e}"),
                    )
                    .with_help("the path is relative to this test file"),
                );
            }
            Ok(policy_bytes) => match fgac::Authorizer::builder()
                .reader(fgac::syntax::Reader::for_path(&policy))
                .read(&policy_bytes)
            {
                Err(_) => {
                    let (name, span) = loaded.tests.policy.clone().unwrap_or_default();
                    found.push(
                        fgac::Diagnostic::new(
                            fgac::ErrorKind::Test,
                            span,
                            format!("the policy `{name}` does not compile"),
                        )
                        .with_help(format!("run `fgac check {}`", policy.display())),
                    );
                }
                Ok(compiled) => {
                    for case in &loaded.tests.tests {
                        found.extend(policy_tests::unknown_credentials(
                            compiled.authorizer(),
                            case,
                        ));
                    }
                }
            },
        }
    }
    let errors = found.iter().any(|d| d.severity == fgac::Severity::Error);
    let status = if errors { Status::Failed } else { Status::Ok };
    if found.is_empty() {
        return Some((status, json!({ "diagnostics": [], "omitted": 0 }), None));
    }
    let e = fgac::Error::from_diagnostics(found);
    let entry = schema::diagnostics(&e, &text);
    let shown = e
        .with_source(&text)
        .with_origin(origin.as_str())
        .to_string();
    Some((status, entry, Some(shown)))
}
