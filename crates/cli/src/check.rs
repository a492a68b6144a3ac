//! `fgac check FILE...`: parse, validate and lint.

use crate::input;
use crate::out::{Status, Stop, report, say};
use fgac::{analysis, policy_tests};
use std::path::PathBuf;

pub fn run(files: &[PathBuf], deny_warnings: bool) -> Result<Status, Stop> {
    let mut worst = Status::Ok;
    for path in files {
        let status = match input::compile(path) {
            Err(Stop::Usage(message)) => {
                report(&format!("error: {}\n", fgac::escape_for_terminal(&message)));
                Status::Usage
            }
            Err(stop) => return Err(stop),
            Ok(Err(status)) => status,
            Ok(Ok(doc)) => {
                let origin = input::name_of(path);
                let mut warnings = analysis::lint(doc.compiled.valid());
                warnings.extend(policy_tests::clock_dependent(&doc.compiled.loaded().tests));
                let count = warnings.len();
                if count > 0 {
                    // The first 50, then a count, located in one pass over the document: time
                    // linear in the document whatever the number of warnings.
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
                if deny_warnings && count > 0 {
                    Status::Failed
                } else {
                    Status::Ok
                }
            }
        };
        worst = worst.max(status);
    }
    Ok(worst)
}
