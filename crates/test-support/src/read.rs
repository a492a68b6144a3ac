//! Reading and writing documents in one named format, for tests that hold a front end to its own
//! format: each is the library's [`Reader`] or writer, configured once here.

use fgac::syntax::{self, Format, Reader};
use fgac::{Error, Limits, model::Document};

/// `text` read as fgac's language with the default limits.
pub fn dsl(text: &str) -> Result<Document, Error> {
    dsl_with(text, &Limits::default())
}

/// `text` read as fgac's language under `limits`.
pub fn dsl_with(text: &str, limits: &Limits) -> Result<Document, Error> {
    read(Reader::new().format(Format::Dsl), text, limits)
}

/// `text` read as JSON (any of the three JSON formats) with the default limits.
pub fn json(text: &str) -> Result<Document, Error> {
    json_with(text, &Limits::default())
}

/// `text` read as JSON (any of the three JSON formats) under `limits`.
pub fn json_with(text: &str, limits: &Limits) -> Result<Document, Error> {
    read(Reader::new().json(), text, limits)
}

fn read(reader: Reader, text: &str, limits: &Limits) -> Result<Document, Error> {
    reader
        .limits(limits.clone())
        .read_str(text)
        .map(|loaded| loaded.document)
}

/// `doc` in fgac's language, which says everything a document means.
pub fn to_dsl(doc: &Document) -> String {
    syntax::to_string(doc, Format::Dsl).expect("the DSL says every document")
}

/// `doc` in fgac's JSON, which says everything a document means.
pub fn to_fgac_json(doc: &Document) -> String {
    syntax::to_string(doc, Format::FgacJson).expect("fgac's JSON says every document")
}

/// DSL `text` in the canonical layout, comments kept.
pub fn reformat_dsl(text: &str) -> Result<String, Error> {
    Reader::new().format(Format::Dsl).reformat(text)
}
