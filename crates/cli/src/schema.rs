//! The machine-readable output of `check`, `test`, `explain` and `inspect` (`--format json`):
//! one JSON object per run, each with `"command"` and `"version"` (see the guide's "Output for
//! programs", in `docs/src/write-and-test.md`). A field is added without changing the version; a
//! field's meaning never changes within a version.

use crate::out::{Status, Stop};
use fgac::model::Span;
use fgac::{Diagnostic, Error, Severity};
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

/// Where lines start in a text, and how many characters precede every 64th byte: a span's line
/// and column in O(log lines) plus at most 64 bytes, so that a report of many tests or rules
/// costs one pass over the document, not one per position.
pub struct Positions {
    line_starts: Vec<usize>,
    chars_before_block: Vec<usize>,
}

impl Positions {
    /// The index of `text` (empty for a binary document: offsets only).
    pub fn new(text: &str) -> Positions {
        let bytes = text.as_bytes();
        let mut line_starts = vec![0];
        line_starts.extend(line_breaks(bytes));
        let mut chars_before_block = Vec::with_capacity(bytes.len() / 64 + 1);
        let mut chars = 0;
        for block in bytes.chunks(64) {
            chars_before_block.push(chars);
            chars += characters(block);
        }
        chars_before_block.push(chars);
        Positions {
            line_starts,
            chars_before_block,
        }
    }

    /// Characters in `text[..offset]`.
    fn chars_before(&self, text: &str, offset: usize) -> usize {
        let block = offset / 64;
        let start = block * 64;
        self.chars_before_block.get(block).copied().unwrap_or(0)
            + characters(text.as_bytes().get(start..offset).unwrap_or_default())
    }

    /// 1-based line and column (in characters) of `offset`.
    fn line_column(&self, text: &str, offset: usize) -> (usize, usize) {
        let offset = offset.min(text.len());
        let line = self.line_starts.partition_point(|&s| s <= offset);
        let start = self.line_starts.get(line - 1).copied().unwrap_or(0);
        (
            line,
            self.chars_before(text, offset) - self.chars_before(text, start) + 1,
        )
    }

    /// Where `span` starts and ends in `text`: byte offsets, and for a text document (not
    /// empty) lines and columns.
    pub fn range(&self, text: &str, span: Span) -> Value {
        if text.is_empty() {
            return json!({ "offset": span.start, "end_offset": span.end });
        }
        let (line, column) = self.line_column(text, span.start);
        let (end_line, end_column) = self.line_column(text, span.end);
        json!({
            "offset": span.start,
            "end_offset": span.end,
            "line": line,
            "column": column,
            "end_line": end_line,
            "end_column": end_column,
        })
    }
}

/// The offsets just after each line break.
fn line_breaks(bytes: &[u8]) -> impl Iterator<Item = usize> + '_ {
    bytes
        .iter()
        .enumerate()
        .filter(|(_, b)| **b == b'\n')
        .map(|(i, _)| i + 1)
}

/// The characters `bytes` (UTF-8) starts: every byte that is not a continuation byte.
fn characters(bytes: &[u8]) -> usize {
    bytes.iter().filter(|b| (**b & 0xC0) != 0x80).count()
}

/// One diagnostic: severity, kind (and a lint's name), message, help, and where.
pub fn diagnostic(d: &Diagnostic, text: &str, positions: &Positions) -> Value {
    let mut v = json!({
        "severity": match d.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        },
        "kind": d.kind.name(),
        "message": d.message,
        "help": d.help,
        "range": positions.range(text, d.span),
    });
    if let fgac::ErrorKind::Lint { name } = d.kind {
        v["lint"] = json!(name);
    }
    v
}

/// Every diagnostic of `e` (which holds the first of many; `omitted` counts the rest).
pub fn diagnostics(e: &Error, text: &str) -> Value {
    let positions = Positions::new(text);
    json!({
        "diagnostics": e
            .diagnostics()
            .iter()
            .map(|d| diagnostic(d, text, &positions))
            .collect::<Vec<_>>(),
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
