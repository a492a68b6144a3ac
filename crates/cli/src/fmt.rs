//! `fgac fmt [--check] FILE...`: rewrite each document in the canonical layout of the form it is
//! written in (the library's `reformat`, which never changes a decision).

use crate::input;
use crate::out::{Status, Stop, report, say};
use fgac::Limits;
use fgac::syntax::{self, Language};
use std::path::{Path, PathBuf};

pub fn run(files: &[PathBuf], check: bool) -> Result<Status, Stop> {
    let mut worst = Status::Ok;
    for path in files {
        let status = match one(path, check) {
            Err(Stop::Usage(message)) => {
                report(&format!("error: {}\n", fgac::escape_for_terminal(&message)));
                Status::Usage
            }
            other => other?,
        };
        worst = worst.max(status);
    }
    Ok(worst)
}

fn one(path: &Path, check: bool) -> Result<Status, Stop> {
    let bytes = input::read(path)?;
    let limits = Limits::default();
    if matches!(
        input::language_of(path),
        Some(Language::Protobuf | Language::ProtobufV2)
    ) {
        report(&format!(
            "error: `{}` is a binary protobuf message, which has no layout to format\n",
            fgac::escape_for_terminal(&path.display().to_string())
        ));
        return Ok(Status::Failed);
    }
    let formatted = syntax::utf8(&bytes, &limits).and_then(|text| {
        let language = input::language_of(path).unwrap_or(Language::detect(text));
        syntax::reformat(text, language, &limits).map(|f| (f, text))
    });
    let (formatted, text) = match formatted {
        Ok(pair) => pair,
        Err(e) => {
            input::print_error(path, e);
            return Ok(Status::Failed);
        }
    };
    if formatted == text {
        return Ok(Status::Ok);
    }
    if check {
        say!("{}", fgac::escape_for_terminal(&path.display().to_string()))?;
        return Ok(Status::Failed);
    }
    std::fs::write(path, &formatted)
        .map_err(|e| Stop::Usage(format!("cannot write `{}`: {e}", path.display())))?;
    Ok(Status::Ok)
}
