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
    match syntax::encode(&loaded.document, form) {
        Ok(printed) => {
            if matches!(
                form.language(),
                syntax::Language::Protobuf | syntax::Language::ProtobufV2
            ) {
                out::binary(&printed)?;
            } else {
                // Every text form prints UTF-8 (`encode` writes what `convert` prints).
                out::text(&String::from_utf8_lossy(&printed))?;
            }
            Ok(Status::Ok)
        }
        Err(e) => {
            // A binary document has no lines: its errors show byte offsets.
            let e = if text.is_empty() {
                e
            } else {
                e.with_source(&text)
            };
            input::print_error(path, e);
            Ok(Status::Failed)
        }
    }
}
