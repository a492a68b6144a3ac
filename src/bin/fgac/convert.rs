//! `fgac convert FILE --to FORM`: print a document in another form (the library's `convert`,
//! which refuses, naming each, what the form cannot express).

use crate::input;
use crate::out::{self, Status, Stop};
use fgac::syntax::{self, Form};
use std::path::Path;

pub fn run(path: &Path, form: Form) -> Result<Status, Stop> {
    let bytes = input::read(path)?;
    let Some((text, loaded)) = input::parse(path, &bytes) else {
        return Ok(Status::Failed);
    };
    match syntax::convert(&loaded.document, form) {
        Ok(printed) => {
            out::text(&printed)?;
            Ok(Status::Ok)
        }
        Err(e) => {
            input::print_error(path, e.with_source(&text));
            Ok(Status::Failed)
        }
    }
}
