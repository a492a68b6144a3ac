//! `fgac check FILE...`: parse, validate and lint.

use crate::input;
use crate::out::{Status, Stop, report, say};
use fgac::analysis;
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
                let origin = path.display().to_string();
                let warnings = analysis::lint(doc.compiled.valid());
                for w in &warnings {
                    let one = fgac::Error::from_diagnostics(vec![w.clone()])
                        .with_source(&doc.text)
                        .with_origin(origin.as_str());
                    report(&format!("{one}\n"));
                }
                let shown = fgac::escape_for_terminal(&origin);
                match warnings.len() {
                    0 => say!("{shown}: ok")?,
                    1 => say!("{shown}: ok, 1 warning")?,
                    n => say!("{shown}: ok, {n} warnings")?,
                }
                if deny_warnings && !warnings.is_empty() {
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
