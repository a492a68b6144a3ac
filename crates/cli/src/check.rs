//! `fgac check FILE...`: parse, validate and lint.

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
        let (status, entry) = match input::compile_quiet(path) {
            Err(Stop::Usage(message)) => {
                if !json {
                    report(&format!("error: {}\n", fgac::escape_for_terminal(&message)));
                }
                (Status::Usage, json!({ "error": message }))
            }
            Err(stop) => return Err(stop),
            Ok(Err((text, e))) => {
                let entry = schema::diagnostics(&e, &text);
                if !json {
                    input::print_error(path, e);
                }
                (Status::Failed, entry)
            }
            Ok(Ok(doc)) => {
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
