//! The machine-readable output of `check`, `test`, `explain` and `inspect` (`--format json`):
//! one JSON object per run, each with `"command"` and `"version"` (see the README's "Machine-
//! readable output"). A field is added without changing the version; a field's meaning never
//! changes within a version.

use crate::out::{Status, Stop};
use fgac::model::Span;
use fgac::{Diagnostic, Error, Location, Severity};
use serde_json::{Value, json};

/// The version of every schema this file writes.
pub const VERSION: u32 = 1;

/// How a command reports: for people, or as JSON (`test` also as JUnit XML).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Report {
    /// Lines for people.
    #[default]
    Text,
    /// One JSON object, its schema versioned.
    Json,
    /// JUnit XML, as CI servers read it (`fgac test` only).
    Junit,
}

/// The name of an exit status, as the JSON reports give it.
pub fn status_name(status: Status) -> &'static str {
    match status {
        Status::Ok => "ok",
        Status::NoTests => "no_tests",
        Status::Failed => "failed",
        Status::Usage => "usage",
    }
}

/// Line and column (1-based, columns in characters) of where `span` starts and ends in `text`;
/// byte offsets only, for a binary document (empty `text`).
pub fn range(text: &str, span: Span) -> Value {
    if text.is_empty() {
        return json!({ "offset": span.start, "end_offset": span.end });
    }
    let start = Location::find(text, span);
    let end = Location::find(text, Span::new(span.end, span.end));
    json!({
        "offset": span.start,
        "end_offset": span.end,
        "line": start.line,
        "column": start.column,
        "end_line": end.line,
        "end_column": end.column,
    })
}

/// One diagnostic: severity, kind (and a lint's name), message, help, and where.
pub fn diagnostic(d: &Diagnostic, text: &str) -> Value {
    let mut v = json!({
        "severity": match d.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        },
        "kind": d.kind.name(),
        "message": d.message,
        "help": d.help,
        "range": range(text, d.span),
    });
    if let fgac::ErrorKind::Lint { name } = d.kind {
        v["lint"] = json!(name);
    }
    v
}

/// Every diagnostic of `e` (which holds the first of many; `omitted` counts the rest).
pub fn diagnostics(e: &Error, text: &str) -> Value {
    json!({
        "diagnostics": e.diagnostics().iter().map(|d| diagnostic(d, text)).collect::<Vec<_>>(),
        "omitted": e.omitted(),
    })
}

/// Writes `report` (an object) with `command` and [`VERSION`] to stdout, pretty-printed.
pub fn emit(command: &str, mut report: Value) -> Result<(), Stop> {
    if let Value::Object(fields) = &mut report {
        fields.insert("command".to_owned(), json!(command));
        fields.insert("version".to_owned(), json!(VERSION));
    }
    let text = serde_json::to_string_pretty(&report)
        .map_err(|e| Stop::Usage(format!("cannot write the report: {e}")))?;
    crate::out::text(&format!("{text}\n"))
}
