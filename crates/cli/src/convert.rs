//! `fgac convert FILE --to FORMAT`: print a document in another format (the library's
//! `to_bytes`, which refuses, naming each, what the format cannot express).

use crate::input;
use crate::out::{self, Status, Stop};
use fgac::syntax::{self, Format};
use std::path::Path;

pub fn run(path: &Path, format: Format) -> Result<Status, Stop> {
    let bytes = input::read(path)?;
    let Some((text, loaded)) = input::parse(path, &bytes) else {
        return Ok(Status::Failed);
    };
    match syntax::to_bytes(&loaded.document, format) {
        Ok(printed) => {
            if format.is_binary() {
                out::binary(&printed)?;
            } else {
                // Every text format prints UTF-8 (`to_bytes` writes what `to_string` prints).
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
