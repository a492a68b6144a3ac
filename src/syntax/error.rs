//! fgac's one public error type: a list of diagnostics, each with a kind, a span, a message and an
//! optional help line, rendered the way rustc renders its own:
//!
//! ```text
//! error: unknown role `readwrit`
//!  --> policy.json:3:14
//!   |
//! 3 |     {"role": "readwrit", "cache": "data"}
//!   |              ^^^^^^^^^^
//!   = help: did you mean `readwrite`?
//! ```
//!
//! Line and column are computed only when a source is attached ([`Error::with_source`]), which the
//! front ends do for their own errors and the `compile` helpers that take text do for validation.

use crate::model::Span;
use std::fmt;

/// What went wrong, with the data a program may want to act on. Every kind comes with a message
/// for people in [`Diagnostic::message`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The text does not follow the DSL's grammar.
    Syntax,
    /// The text is not valid JSON, or not the JSON shape fgac expects.
    Json,
    /// An input limit was exceeded.
    Limit {
        /// The limit's field name in [`Limits`](crate::Limits).
        limit: &'static str,
        /// Its value.
        value: usize,
    },
    /// A document with no credentials.
    NoCredentials,
    /// Two credentials with the same name.
    DuplicateCredential {
        /// The name.
        name: String,
    },
    /// An explicit permission list with no grants.
    EmptyPermissions,
    /// Two grants with the same effect and the same selectors.
    DuplicateSelector {
        /// The index of the first of the two grants.
        first: usize,
        /// The index of the second.
        second: usize,
    },
    /// A name, key prefix or topic prefix that is empty.
    EmptyName,
    /// A topic role on items, or a cache-item role on topics.
    RoleMismatch,
    /// A token id longer than 64 characters.
    TokenIdTooLong,
    /// A token id on an API key.
    TokenIdOnApiKey,
    /// A disposable token that never expires.
    TokenWithoutExpiry,
    /// A disposable token with super-user permissions.
    SuperUserToken,
    /// A construct the target form cannot express (a deny rule in Momento's JSON, ...).
    Unsupported,
    /// A lint: valid, but likely a mistake. The name says which (`never_expires`, ...).
    Lint {
        /// The lint's snake_case name.
        name: &'static str,
    },
    /// A policy test that cannot run (its policy file, an unknown credential, ...).
    Test,
}

/// How serious a diagnostic is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Severity {
    /// The document is rejected.
    Error,
    /// The document is accepted, but something in it is likely a mistake (a lint).
    Warning,
}

/// The line and column of a diagnostic's span, with the text of that line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Location {
    /// 1-based line number.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
    /// The line as shown: the whole line, or a window of it around the span.
    line_text: String,
    /// The column of the first caret in `line_text`.
    caret_at: usize,
    carets: usize,
}

/// One problem found in a document.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// What kind of problem.
    pub kind: ErrorKind,
    /// The message: lowercase, user input in backticks, no final period.
    pub message: String,
    /// Extra advice, when there is some.
    pub help: Option<String>,
    /// Where in the source.
    pub span: Span,
    /// Error or warning.
    pub severity: Severity,
    location: Option<Location>,
}

impl Diagnostic {
    /// A diagnostic without help.
    pub fn new(kind: ErrorKind, span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            kind,
            message: clip(message.into()),
            help: None,
            span,
            severity: Severity::Error,
            location: None,
        }
    }

    /// A warning (a lint) of this kind.
    pub fn warning(kind: ErrorKind, span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::new(kind, span, message)
        }
    }

    /// An exceeded limit: the message says by what, the help names the field of
    /// [`Limits`](crate::Limits) to raise.
    pub fn limit(
        limit: &'static str,
        value: usize,
        span: Span,
        message: impl Into<String>,
    ) -> Diagnostic {
        Diagnostic::new(ErrorKind::Limit { limit, value }, span, message).with_help(format!(
            "the limit is {value}; raise `Limits::{limit}` to accept it"
        ))
    }

    /// The same diagnostic with a help line.
    pub fn with_help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(clip(help.into()));
        self
    }

    /// The line and column, once a source is attached.
    pub fn location(&self) -> Option<&Location> {
        self.location.as_ref()
    }

    /// Computes the line and column of the span in `source`.
    pub fn with_source(mut self, source: &str) -> Diagnostic {
        self.location = Some(Location::find(source, self.span));
        self
    }
}

/// An error from parsing, validating or compiling a document: one or more [`Diagnostic`]s.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    origin: Option<String>,
    diagnostics: Vec<Diagnostic>,
}

impl Error {
    /// An error of these diagnostics (at least one).
    pub(crate) fn new(diagnostics: Vec<Diagnostic>) -> Error {
        debug_assert!(!diagnostics.is_empty());
        Error {
            origin: None,
            diagnostics,
        }
    }

    /// An error of these diagnostics, for tools that report their own (at least one: an empty list
    /// gets a generic diagnostic so that an error always says something).
    pub fn from_diagnostics(mut diagnostics: Vec<Diagnostic>) -> Error {
        if diagnostics.is_empty() {
            diagnostics.push(Diagnostic::new(
                ErrorKind::Syntax,
                Span::default(),
                "unknown error",
            ));
        }
        Error::new(diagnostics)
    }

    /// An error of one diagnostic.
    pub(crate) fn one(diagnostic: Diagnostic) -> Error {
        Error::new(vec![diagnostic])
    }

    /// The diagnostics, in source order where there is one.
    pub fn diagnostics(&self) -> &[Diagnostic] {
        &self.diagnostics
    }

    /// The first diagnostic's kind.
    pub fn kind(&self) -> &ErrorKind {
        &self.diagnostics[0].kind
    }

    /// Names the source (a file name) in the rendered `-->` line.
    pub fn with_origin(mut self, origin: impl Into<String>) -> Error {
        self.origin = Some(origin.into());
        self
    }

    /// Computes each diagnostic's line and column in `source`, the text its spans point into, so
    /// that `Display` can show the line and underline the span.
    pub fn with_source(mut self, source: &str) -> Error {
        for d in &mut self.diagnostics {
            d.location = Some(Location::find(source, d.span));
        }
        self
    }
}

impl Location {
    /// The line, column and line text of `span` in `source`; never panics, whatever the span.
    pub fn find(source: &str, span: Span) -> Location {
        locate(source, span)
    }

    /// The text of the line the span starts on (without its line break), or for a long line a
    /// window of it around the span, marked with `…`.
    pub fn line_text(&self) -> &str {
        &self.line_text
    }
}

fn locate(source: &str, span: Span) -> Location {
    let start = floor_char_boundary(source, span.start.min(source.len()));
    let line_start = source[..start].rfind('\n').map_or(0, |i| i + 1);
    let line_end = source[start..]
        .find('\n')
        .map_or(source.len(), |i| start + i);
    let line_text = source[line_start..line_end].trim_end_matches('\r');
    let line = source[..line_start].matches('\n').count() + 1;
    let column = source[line_start..start].chars().count() + 1;
    let line_stop = (line_start + line_text.len()).max(start);
    let end = floor_char_boundary(source, span.end.clamp(start, line_stop)).max(start);
    let carets = source[start..end].chars().count().max(1);
    // A long line is shown as a window around the span, so that hostile input (a 10 MB line)
    // cannot make an error message of the same size.
    let width = line_text.chars().count();
    if width <= SHOWN_LINE_MAX {
        return Location {
            line,
            column,
            line_text: line_text.to_owned(),
            caret_at: column,
            carets,
        };
    }
    let first = (column - 1).saturating_sub(SHOWN_LINE_MAX / 3);
    let shown: String = line_text.chars().skip(first).take(SHOWN_LINE_MAX).collect();
    let (prefix, suffix) = (
        if first > 0 { "…" } else { "" },
        if first + SHOWN_LINE_MAX < width {
            "…"
        } else {
            ""
        },
    );
    let caret_at = column - first + prefix.chars().count();
    Location {
        line,
        column,
        line_text: format!("{prefix}{shown}{suffix}"),
        caret_at,
        carets: carets.min(SHOWN_LINE_MAX + 1 - (caret_at - prefix.chars().count())),
    }
}

/// The longest message or help line, in bytes: messages quote user input, which may be huge.
const MESSAGE_MAX: usize = 400;

/// `text`, cut to [`MESSAGE_MAX`] bytes (at a character boundary) with `…` when longer.
fn clip(mut text: String) -> String {
    if text.len() > MESSAGE_MAX {
        text.truncate(floor_char_boundary(&text, MESSAGE_MAX));
        text.push('…');
    }
    text
}

/// The most characters of a source line an error shows.
const SHOWN_LINE_MAX: usize = 120;

/// The largest char boundary at or below `i` (`i <= s.len()`).
pub(crate) fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        render(f, self, None)
    }
}

fn render(f: &mut fmt::Formatter<'_>, d: &Diagnostic, origin: Option<&str>) -> fmt::Result {
    let label = match d.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    };
    writeln!(f, "{label}: {}", d.message)?;
    let origin = origin.unwrap_or("<input>");
    let pad = match &d.location {
        Some(loc) => {
            let number = loc.line.to_string();
            let pad = " ".repeat(number.len());
            writeln!(f, "{pad}--> {origin}:{}:{}", loc.line, loc.column)?;
            writeln!(f, "{pad} |")?;
            writeln!(f, "{number} | {}", loc.line_text)?;
            let indent: String = loc
                .line_text
                .chars()
                .take(loc.caret_at - 1)
                .map(|c| if c == '\t' { '\t' } else { ' ' })
                .collect();
            writeln!(f, "{pad} | {indent}{}", "^".repeat(loc.carets))?;
            pad
        }
        None => {
            writeln!(f, " --> {origin}: bytes {}..{}", d.span.start, d.span.end)?;
            " ".to_owned()
        }
    };
    if let Some(help) = &d.help {
        writeln!(f, "{pad} = help: {help}")?;
    }
    Ok(())
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.diagnostics.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            render(f, d, self.origin.as_deref())?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_line_column_and_carets() {
        let src = "first\n  allow readwrit cache\n";
        let start = src.find("readwrit").unwrap();
        let err = Error::one(
            Diagnostic::new(
                ErrorKind::Syntax,
                Span::new(start, start + 8),
                "unknown role `readwrit`",
            )
            .with_help("did you mean `readwrite`?"),
        )
        .with_source(src)
        .with_origin("p.fgac");
        assert_eq!(
            err.to_string(),
            "error: unknown role `readwrit`\n --> p.fgac:2:9\n  |\n2 |   allow readwrit cache\n  |         ^^^^^^^^\n  = help: did you mean `readwrite`?\n"
        );
    }

    #[test]
    fn locate_never_panics_on_odd_spans() {
        let src = "é\r\nü";
        for start in 0..8 {
            for end in 0..8 {
                let loc = locate(src, Span::new(start, end));
                assert!(loc.line >= 1 && loc.column >= 1 && loc.carets >= 1);
            }
        }
        assert_eq!(locate("", Span::new(3, 1)).line, 1);
    }

    #[test]
    fn long_lines_show_a_window_around_the_span() {
        let src = format!("{}BAD{}", "x".repeat(100_000), "y".repeat(100_000));
        let start = 100_000;
        let err = Error::one(Diagnostic::new(
            ErrorKind::Syntax,
            Span::new(start, start + 3),
            "bad",
        ))
        .with_source(&src);
        let text = err.to_string();
        assert!(text.len() < 600, "{} bytes", text.len());
        assert!(text.contains(" --> <input>:1:100001\n"), "{text}");
        let lines: Vec<&str> = text.lines().collect();
        let shown = lines[3].trim_start_matches("1 | ");
        let carets = lines[4].trim_start_matches("  | ");
        assert!(shown.starts_with('…') && shown.ends_with('…'), "{shown}");
        let caret = carets.find('^').unwrap();
        assert_eq!(
            &shown.chars().skip(caret).take(3).collect::<String>(),
            "BAD",
            "{shown}\n{carets}"
        );
    }
}
