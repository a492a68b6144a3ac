//! `fgac diff OLD NEW [--now TIME] [--json] [--reasons]`: which requests change decision between
//! two versions of a document. Exits like diff(1): 0 when no decision changes, 1 when some do, 2
//! when the command is wrong (a document that does not compile included).

use crate::input;
use crate::out::{Status, Stop, say};
use fgac::analysis::{DiffOptions, diff};
use fgac::escape_for_terminal as shown;
use std::path::Path;

pub fn run(
    old: &Path,
    new: &Path,
    now: Option<&str>,
    json: bool,
    reasons: bool,
) -> Result<Status, Stop> {
    let now = input::now_or(now)?;
    let (Ok(before), Ok(after)) = (input::compile(old)?, input::compile(new)?) else {
        return Ok(Status::Usage);
    };
    let d = diff(
        before.compiled.authorizer(),
        after.compiled.authorizer(),
        now,
        DiffOptions { reasons },
    );
    for credential in &d.credentials {
        if json {
            for line in fgac::lines::diff_lines(credential) {
                say!("{line}")?;
            }
        } else {
            for line in credential.to_string().lines() {
                say!("{}", shown(line))?;
            }
        }
    }
    Ok(if d.decisions_unchanged() {
        Status::Ok
    } else {
        Status::Failed
    })
}
