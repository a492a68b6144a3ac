//! `fgac fmt [--check] FILE...`: rewrite each document in the canonical layout of the format it is
//! written in (the library's `reformat`, which never changes a decision). `-` reads standard
//! input and writes the formatted document to standard output, as editors format on save.

use crate::input;
use crate::out::{Status, Stop, report, say};
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
    let reader = input::reader_for(path);
    if reader.get_format().is_some_and(|f| f.is_binary()) {
        report(&format!(
            "error: `{}` is a binary protobuf message, which has no layout to format\n",
            fgac::escape_for_terminal(&input::name_of(path))
        ));
        return Ok(Status::Failed);
    }
    let Ok(text) = std::str::from_utf8(&bytes) else {
        // Not UTF-8: reading says where the bad byte is, with its line.
        if let Err(e) = reader.read(&bytes) {
            input::print_error(path, e);
        }
        return Ok(Status::Failed);
    };
    let formatted = match reader.reformat(text) {
        Ok(formatted) => formatted,
        Err(e) => {
            input::print_error(path, e);
            return Ok(Status::Failed);
        }
    };
    if input::is_stdin(path) && !check {
        // To standard output, changed or not: an editor replaces its buffer with it.
        crate::out::text(&formatted)?;
        return Ok(Status::Ok);
    }
    if formatted == text {
        return Ok(Status::Ok);
    }
    if check {
        say!("{}", fgac::escape_for_terminal(&input::name_of(path)))?;
        return Ok(Status::Failed);
    }
    std::fs::write(path, &formatted)
        .map_err(|e| Stop::Usage(format!("cannot write `{}`: {e}", path.display())))?;
    Ok(Status::Ok)
}
