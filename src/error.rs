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

use crate::escape::{display_width, escape_for_terminal as for_terminal};
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
    /// The bytes are not a protobuf message, or not the message shape fgac expects.
    Protobuf,
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
    /// An update removes a credential the store does not hold.
    UnknownCredential {
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
    /// Account rights where they cannot be: management rights on a disposable token, or any on a
    /// super user (who holds them all).
    MisplacedAccountRights,
    /// A network listed twice in a credential's allowlist.
    DuplicateNetwork,
    /// A construct the target format cannot express (a deny rule in Momento's JSON, ...).
    Unsupported,
    /// A lint: valid, but likely a mistake. The name says which (`never_expires`, ...).
    Lint {
        /// The lint's snake_case name.
        name: &'static str,
    },
    /// A policy test that cannot run (its policy file, an unknown credential, ...).
    Test,
}

impl ErrorKind {
    /// The kind's snake_case name, as machine-readable output names it: `syntax`,
    /// `duplicate_credential`, `limit`, ... A lint is named `lint` (its own name is in
    /// [`ErrorKind::Lint`]).
    #[must_use]
    pub const fn name(&self) -> &'static str {
        match self {
            ErrorKind::Syntax => "syntax",
            ErrorKind::Json => "json",
            ErrorKind::Protobuf => "protobuf",
            ErrorKind::Limit { .. } => "limit",
            ErrorKind::NoCredentials => "no_credentials",
            ErrorKind::DuplicateCredential { .. } => "duplicate_credential",
            ErrorKind::UnknownCredential { .. } => "unknown_credential",
            ErrorKind::EmptyPermissions => "empty_permissions",
            ErrorKind::DuplicateSelector { .. } => "duplicate_selector",
            ErrorKind::EmptyName => "empty_name",
            ErrorKind::RoleMismatch => "role_mismatch",
            ErrorKind::TokenIdTooLong => "token_id_too_long",
            ErrorKind::TokenIdOnApiKey => "token_id_on_api_key",
            ErrorKind::TokenWithoutExpiry => "token_without_expiry",
            ErrorKind::SuperUserToken => "super_user_token",
            ErrorKind::MisplacedAccountRights => "misplaced_account_rights",
            ErrorKind::DuplicateNetwork => "duplicate_network",
            ErrorKind::Unsupported => "unsupported",
            ErrorKind::Lint { .. } => "lint",
            ErrorKind::Test => "test",
        }
    }
}

/// How serious a diagnostic is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Severity {
    /// The document is rejected.
    Error,
    /// The document is accepted, but something in it is likely a mistake (a lint).
    Warning,
}

/// The line and column of a diagnostic's span, with the text of that line as it is shown.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Location {
    /// 1-based line number.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
    /// The line as shown: the whole line, or a window of it around the span, with every character
    /// that does not show as itself escaped.
    line_text: String,
    /// What goes before the carets: a blank for each column of `line_text` before the span (a tab
    /// for a tab, so the carets line up).
    indent: String,
    /// How many carets: the display width of the span's part of the line, at least one.
    carets: usize,
}

/// A second place a diagnostic points at, with a label ("grant #0 is here").
#[derive(Clone, Debug, PartialEq, Eq)]
struct Note {
    span: Span,
    label: String,
    location: Option<Location>,
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
    note: Option<Box<Note>>,
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
            note: None,
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

    /// The same diagnostic pointing at a second place too, with a label (`grant #0 is here`).
    pub fn with_note(mut self, span: Span, label: impl Into<String>) -> Diagnostic {
        self.note = Some(Box::new(Note {
            span,
            label: clip(label.into()),
            location: None,
        }));
        self
    }

    /// The second place it points at, and that place's label, when it has one (see
    /// [`Diagnostic::with_note`]).
    #[must_use]
    pub fn note(&self) -> Option<(Span, &str)> {
        self.note.as_deref().map(|n| (n.span, n.label.as_str()))
    }

    /// The line and column, once a source is attached.
    #[must_use]
    pub fn location(&self) -> Option<&Location> {
        self.location.as_ref()
    }

    /// Computes the line and column of the span in `source`.
    #[must_use]
    pub fn with_source(mut self, source: &str) -> Diagnostic {
        self.location = Some(Location::find(source, self.span));
        if let Some(note) = &mut self.note {
            note.location = Some(Location::find(source, note.span));
        }
        self
    }
}

/// The most diagnostics an error keeps; past it, an error only counts them.
pub(crate) const MAX_DIAGNOSTICS: usize = 50;

/// Collects diagnostics, keeping the first [`MAX_DIAGNOSTICS`] and counting the rest, so that a
/// document with a hundred thousand mistakes costs a bounded error.
#[derive(Debug, Default)]
pub(crate) struct Diagnostics {
    kept: Vec<Diagnostic>,
    omitted: usize,
}

impl Diagnostics {
    pub(crate) fn push(&mut self, d: Diagnostic) {
        if self.kept.len() < MAX_DIAGNOSTICS {
            self.kept.push(d);
        } else {
            self.omitted += 1;
        }
    }

    /// The error, or `Ok` when nothing was pushed.
    pub(crate) fn into_result(self) -> Result<(), Error> {
        if self.kept.is_empty() {
            return Ok(());
        }
        let mut e = Error::new(self.kept);
        e.omitted = self.omitted;
        Err(e)
    }
}

/// An error from parsing, validating or compiling a document: one or more [`Diagnostic`]s.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    origin: Option<String>,
    diagnostics: Vec<Diagnostic>,
    /// Diagnostics found past [`MAX_DIAGNOSTICS`], counted but not kept.
    omitted: usize,
}

impl Error {
    /// An error of these diagnostics (at least one).
    pub(crate) fn new(diagnostics: Vec<Diagnostic>) -> Error {
        debug_assert!(!diagnostics.is_empty());
        Error {
            origin: None,
            diagnostics,
            omitted: 0,
        }
    }

    /// An error of these diagnostics, for tools that report their own (at least one: an empty list
    /// gets a generic diagnostic so that an error always says something). Like every error, it
    /// keeps the first 50 and counts the rest ([`Error::omitted`]), so that rendering thousands
    /// of lint warnings costs what rendering 50 does.
    #[must_use]
    pub fn from_diagnostics(diagnostics: Vec<Diagnostic>) -> Error {
        let mut kept = Diagnostics::default();
        for d in diagnostics {
            kept.push(d);
        }
        kept.into_result().err().unwrap_or_else(|| {
            Error::one(Diagnostic::new(
                ErrorKind::Syntax,
                Span::default(),
                "unknown error",
            ))
        })
    }

    /// An error of one diagnostic.
    pub(crate) fn one(diagnostic: Diagnostic) -> Error {
        Error::new(vec![diagnostic])
    }

    /// The diagnostics, in source order where there is one. At most 50 are kept; see
    /// [`Error::omitted`].
    #[must_use]
    pub fn diagnostics(&self) -> &[Diagnostic] {
        &self.diagnostics
    }

    /// How many more diagnostics were found than are kept.
    #[must_use]
    pub fn omitted(&self) -> usize {
        self.omitted
    }

    /// The first diagnostic's kind.
    #[must_use]
    pub fn kind(&self) -> &ErrorKind {
        &self.diagnostics[0].kind
    }

    /// Names the source (a file name) in the rendered `-->` line.
    pub fn with_origin(mut self, origin: impl Into<String>) -> Error {
        self.origin = Some(origin.into());
        self
    }

    /// Computes each diagnostic's line and column in `source`, the text its spans point into, so
    /// that `Display` can show the line and underline the span. One pass over `source` serves
    /// every diagnostic.
    #[must_use]
    pub fn with_source(mut self, source: &str) -> Error {
        let mut places: Vec<(usize, usize, bool)> = Vec::new();
        for (i, d) in self.diagnostics.iter().enumerate() {
            places.push((d.span.start, i, false));
            if let Some(note) = &d.note {
                places.push((note.span.start, i, true));
            }
        }
        places.sort_unstable();
        let mut cursor = Cursor::default();
        for (_, i, is_note) in places {
            let d = &mut self.diagnostics[i];
            match (is_note, &mut d.note) {
                (true, Some(note)) => note.location = Some(cursor.locate(source, note.span)),
                _ => d.location = Some(cursor.locate(source, d.span)),
            }
        }
        self
    }
}

impl Location {
    /// The line, column and shown line of `span` in `source`; never panics, whatever the span.
    #[must_use]
    pub fn find(source: &str, span: Span) -> Location {
        Cursor::default().locate(source, span)
    }

    /// The text of the line the span starts on (without its line break), or for a long line a
    /// window of it around the span, marked with `…`; every character that does not show as
    /// itself is escaped (`\u{202e}`).
    #[must_use]
    pub fn line_text(&self) -> &str {
        &self.line_text
    }
}

/// A position moving forward through a source: line and column are counted from where the last
/// lookup stopped, so looking up spans in increasing order costs one pass over the source.
#[derive(Default)]
struct Cursor {
    offset: usize,
    line: usize,
    line_start: usize,
    column: usize,
}

impl Cursor {
    fn locate(&mut self, source: &str, span: Span) -> Location {
        let start = floor_char_boundary(source, span.start.min(source.len()));
        if start < self.offset || self.line == 0 {
            *self = Cursor {
                offset: 0,
                line: 1,
                line_start: 0,
                column: 1,
            };
        }
        for (i, c) in source[self.offset..start].char_indices() {
            if c == '\n' {
                self.line += 1;
                self.line_start = self.offset + i + 1;
                self.column = 1;
            } else {
                self.column += 1;
            }
        }
        self.offset = start;
        let end = floor_char_boundary(source, span.end.clamp(start, source.len()));
        shown(source, self.line, self.column, self.line_start, start, end)
    }
}

/// The most characters of a source line an error shows.
const SHOWN_LINE_MAX: usize = 120;

/// How much of a long line is shown before the span.
const SHOWN_BEFORE: usize = SHOWN_LINE_MAX / 3;

/// The location of `start..end` on the line starting at `line_start`: the line, or a window of at
/// most [`SHOWN_LINE_MAX`] characters around the span for a long line, so that hostile input (a
/// 10 MB line) cannot make an error of the same size. Costs the window, not the line.
fn shown(
    source: &str,
    line: usize,
    column: usize,
    line_start: usize,
    start: usize,
    end: usize,
) -> Location {
    let is_line_end =
        |rest: &str| rest.is_empty() || rest.starts_with('\n') || rest.starts_with("\r\n");
    // Up to SHOWN_LINE_MAX characters from `from`, stopping at the end of the line.
    let take = |from: usize| {
        let mut at = from;
        for c in source[from..].chars().take(SHOWN_LINE_MAX) {
            if is_line_end(&source[at..]) {
                break;
            }
            at += c.len_utf8();
        }
        at
    };
    let whole_line_end = take(line_start);
    let (from, to) = if is_line_end(&source[whole_line_end..]) {
        (line_start, whole_line_end)
    } else {
        let from = source[line_start..start]
            .char_indices()
            .rev()
            .take(SHOWN_BEFORE)
            .last()
            .map_or(start, |(i, _)| line_start + i);
        (from, take(from))
    };
    let (prefix, suffix) = (
        if from > line_start { "…" } else { "" },
        if is_line_end(&source[to..]) {
            ""
        } else {
            "…"
        },
    );
    let mut line_text = String::from(prefix);
    line_text += &for_terminal(&source[from..to]);
    line_text += suffix;
    let mut indent = " ".repeat(prefix.chars().count());
    for c in source[from..start.max(from)].chars() {
        if c == '\t' {
            indent.push('\t');
        } else {
            indent.extend(std::iter::repeat_n(' ', display_width(c)));
        }
    }
    let underlined = &source[start.min(to)..end.clamp(start.min(to), to)];
    let carets = underlined.chars().map(display_width).sum::<usize>().max(1);
    Location {
        line,
        column,
        line_text,
        indent,
        carets,
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

/// Renders one diagnostic the way rustc does. Everything taken from the policy (the message's
/// quotes, the help, the source line, the origin) is escaped for the terminal.
fn render(f: &mut fmt::Formatter<'_>, d: &Diagnostic, origin: Option<&str>) -> fmt::Result {
    let label = match d.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    };
    writeln!(f, "{label}: {}", for_terminal(&d.message))?;
    let origin = for_terminal(origin.unwrap_or("<input>"));
    let note_line = d
        .note
        .as_ref()
        .and_then(|n| n.location.as_ref())
        .map_or(0, |l| l.line);
    let pad = match &d.location {
        Some(loc) => {
            let pad = " ".repeat(loc.line.max(note_line).to_string().len());
            writeln!(f, "{pad}--> {origin}:{}:{}", loc.line, loc.column)?;
            writeln!(f, "{pad} |")?;
            snippet(f, &pad, loc, '^', "")?;
            if let Some(note) = &d.note
                && let Some(at) = &note.location
            {
                writeln!(f, "{pad} |")?;
                snippet(f, &pad, at, '-', &for_terminal(&note.label))?;
            }
            pad
        }
        None => {
            writeln!(f, " --> {origin}: bytes {}..{}", d.span.start, d.span.end)?;
            " ".to_owned()
        }
    };
    if let Some(help) = &d.help {
        writeln!(f, "{pad} = help: {}", for_terminal(help))?;
    }
    Ok(())
}

/// `N | line` and the underline beneath it.
fn snippet(
    f: &mut fmt::Formatter<'_>,
    pad: &str,
    loc: &Location,
    mark: char,
    label: &str,
) -> fmt::Result {
    writeln!(
        f,
        "{:>width$} | {}",
        loc.line,
        loc.line_text,
        width = pad.len()
    )?;
    let marks: String = std::iter::repeat_n(mark, loc.carets).collect();
    if label.is_empty() {
        writeln!(f, "{pad} | {}{marks}", loc.indent)
    } else {
        writeln!(f, "{pad} | {}{marks} {label}", loc.indent)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.diagnostics.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            render(f, d, self.origin.as_deref())?;
        }
        if self.omitted > 0 {
            let s = if self.omitted == 1 { "" } else { "s" };
            let what = if self
                .diagnostics
                .iter()
                .all(|d| d.severity == Severity::Warning)
            {
                "warning"
            } else {
                "error"
            };
            writeln!(f, "\n... and {} more {what}{s} not shown", self.omitted)?;
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
                let loc = Location::find(src, Span::new(start, end));
                assert!(loc.line >= 1 && loc.column >= 1 && loc.carets >= 1);
            }
        }
        assert_eq!(Location::find("", Span::new(3, 1)).line, 1);
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
    fn render_at(src: &str, needle: &str, len: usize) -> String {
        let start = src.find(needle).unwrap();
        Error::one(
            Diagnostic::new(
                ErrorKind::Syntax,
                Span::new(start, start + len),
                format!("bad `{}`", &src[start..start + len]),
            )
            .with_help(format!("not `{}`", &src[start..start + len])),
        )
        .with_source(src)
        .to_string()
    }

    #[test]
    fn control_and_bidirectional_characters_never_reach_the_terminal() {
        let src = "key \"\u{1b}[2J\u{202e}x\" { BAD }";
        let text = render_at(src, "BAD", 3);
        assert!(
            !text.contains('\u{1b}') && !text.contains('\u{202e}'),
            "{text:?}"
        );
        assert!(
            text.contains("1 | key \"\\u{1b}[2J\\u{202e}x\" { BAD }"),
            "{text}"
        );
        // The carets stay under `BAD`, past the escapes' longer spelling.
        let lines: Vec<&str> = text.lines().collect();
        let caret = lines[4].find('^').unwrap();
        assert_eq!(&lines[3][caret..caret + 3], "BAD", "{text}");
        // User input in the message and the help is escaped too.
        let text = render_at(src, "\u{1b}", 1);
        assert!(!text.contains('\u{1b}'), "{text:?}");
        assert!(text.starts_with("error: bad `\\u{1b}`\n"), "{text}");
    }

    #[test]
    fn carets_follow_display_width() {
        // Wide (CJK) characters take two columns; combining marks none.
        let src = "allow readonly cache \"数据e\u{301}\" BAD";
        let text = render_at(src, "BAD", 3);
        let lines: Vec<&str> = text.lines().collect();
        let width = |s: &str| s.chars().map(crate::escape::display_width).sum::<usize>();
        let caret_col = lines[4].find('^').unwrap() - "  | ".len();
        let shown = lines[3].trim_start_matches("1 | ");
        let before = &shown[..shown.find("BAD").unwrap()];
        assert_eq!(caret_col, width(before), "{text}");
        let text = render_at(src, "数据", "数据".len());
        assert!(
            text.contains("\n  |                       ^^^^\n"),
            "{text}"
        );
    }

    #[test]
    fn a_note_points_at_a_second_place() {
        let src = "a\nfirst\nsecond\n";
        let err = Error::one(
            Diagnostic::new(ErrorKind::Syntax, Span::new(8, 14), "twice")
                .with_note(Span::new(2, 7), "first given here"),
        )
        .with_source(src);
        assert_eq!(
            err.to_string(),
            "error: twice\n --> <input>:3:1\n  |\n3 | second\n  | ^^^^^^\n  |\n2 | first\n  | ----- first given here\n"
        );
    }

    #[test]
    fn diagnostics_past_the_cap_are_counted_not_kept() {
        let mut all = Diagnostics::default();
        for i in 0..1000 {
            all.push(Diagnostic::new(ErrorKind::Syntax, Span::new(i, i + 1), "x"));
        }
        let e = all.into_result().unwrap_err();
        assert_eq!(
            (e.diagnostics().len(), e.omitted()),
            (MAX_DIAGNOSTICS, 1000 - MAX_DIAGNOSTICS)
        );
        assert!(
            e.to_string()
                .ends_with("\n... and 950 more errors not shown\n")
        );
    }
}
