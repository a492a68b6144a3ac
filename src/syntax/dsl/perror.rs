//! The error type every DSL parser shares, and the one place nom's errors become diagnostics.
//!
//! A [`PError`] keeps the remaining input (so every error has a position), a length to underline,
//! and a message and help for people. Token and rule parsers return nom results ([`PResult`]);
//! only the recovery loops, where errors are reported, turn them into [`Diagnostic`]s
//! ([`Src::diagnostic`]).

use crate::error::{Diagnostic, ErrorKind, floor_char_boundary};
use crate::model::Span;
use nom::IResult;

/// A parse error: where (the remaining input), how long a span, and what to say.
#[derive(Debug)]
pub(super) struct PError<'a> {
    pub(super) at: &'a str,
    pub(super) len: usize,
    pub(super) kind: ErrorKind,
    pub(super) message: String,
    pub(super) help: Option<String>,
}

impl<'a> PError<'a> {
    pub(super) fn new(at: &'a str, len: usize, message: impl Into<String>) -> PError<'a> {
        PError {
            at,
            len,
            kind: ErrorKind::Syntax,
            message: message.into(),
            help: None,
        }
    }

    pub(super) fn help(mut self, help: impl Into<String>) -> PError<'a> {
        self.help = Some(help.into());
        self
    }

    /// "expected WHAT, found ..." at `at`.
    pub(super) fn expected(at: &'a str, what: &str) -> PError<'a> {
        let (found, len) = describe(at);
        PError::new(at, len, format!("expected {what}, found {found}"))
    }
}

impl<'a> nom::error::ParseError<&'a str> for PError<'a> {
    /// nom's own error, made on every failed alternative while parsing succeeds: the message
    /// ("unexpected ...") is left empty and written only if the error is reported
    /// ([`Src::diagnostic`]), so that backtracking allocates nothing.
    fn from_error_kind(input: &'a str, _: nom::error::ErrorKind) -> PError<'a> {
        PError::new(input, token_len(input), String::new())
    }

    fn append(_: &'a str, _: nom::error::ErrorKind, other: PError<'a>) -> PError<'a> {
        other
    }

    fn or(self, other: PError<'a>) -> PError<'a> {
        // The error that got further into the input is the more precise one.
        if other.at.len() < self.at.len() {
            other
        } else {
            self
        }
    }
}

pub(super) type PResult<'a, T> = IResult<&'a str, T, PError<'a>>;

pub(super) fn failure<'a, T>(e: PError<'a>) -> PResult<'a, T> {
    Err(nom::Err::Failure(e))
}

pub(super) fn recoverable<'a, T>(e: PError<'a>) -> PResult<'a, T> {
    Err(nom::Err::Error(e))
}

/// The length of the next token, as [`describe`] measures it, without writing it.
fn token_len(at: &str) -> usize {
    let Some(first) = at.chars().next() else {
        return 0;
    };
    match word_len(at) {
        0 => first.len_utf8(),
        word => word,
    }
}

/// The length of the word `at` starts with (letters, digits, `_`, `-`, `:`).
fn word_len(at: &str) -> usize {
    at.char_indices()
        .find(|&(_, c)| !(c.is_alphanumeric() || c == '_' || c == '-' || c == ':'))
        .map_or(at.len(), |(i, _)| i)
}

/// How the next token reads in a message, and its length: "`word`", "`\"`", "end of input".
pub(super) fn describe(at: &str) -> (String, usize) {
    let Some(first) = at.chars().next() else {
        return ("end of input".to_owned(), 0);
    };
    let word = word_len(at);
    if word > 0 {
        let shown = &at[..floor_char_boundary(at, word.min(40))];
        (format!("`{shown}`"), word)
    } else if first == '\n' || first == '\r' {
        ("end of line".to_owned(), 1)
    } else {
        (format!("`{}`", first.escape_debug()), first.len_utf8())
    }
}

/// After a keyword, a recoverable error becomes a failure with the given message.
pub(super) fn commit<'a>(
    e: nom::Err<PError<'a>>,
    message: impl FnOnce() -> PError<'a>,
) -> nom::Err<PError<'a>> {
    match e {
        nom::Err::Error(_) => nom::Err::Failure(message()),
        other => other,
    }
}

pub(super) fn expected_quoted<'a>(at: &'a str, what: &str, word: &str) -> PError<'a> {
    PError::expected(at, &format!("{what} in double quotes after `{word}`"))
}

/// The text being parsed, to turn positions (the remaining input) into spans.
#[derive(Clone, Copy)]
pub(super) struct Src<'s>(pub(super) &'s str);

impl<'s> Src<'s> {
    /// The byte offset of `rest`, a suffix of the source.
    pub(super) fn offset(self, rest: &str) -> usize {
        self.0.len() - rest.len()
    }

    /// The span from where `from` starts to where `to` starts.
    pub(super) fn span(self, from: &str, to: &str) -> Span {
        Span::new(self.offset(from), self.offset(to))
    }

    /// The diagnostic of a parser's error: the one place nom's errors are converted.
    pub(super) fn diagnostic(self, e: nom::Err<PError<'_>>) -> Diagnostic {
        let e = match e {
            nom::Err::Error(e) | nom::Err::Failure(e) => e,
            // Only streaming parsers return `Incomplete`, and these are all `complete` ones.
            nom::Err::Incomplete(_) => {
                PError::new(&self.0[self.0.len()..], 0, "unexpected end of input")
            }
        };
        let start = self.offset(e.at);
        let end = floor_char_boundary(self.0, (start + e.len).min(self.0.len()));
        let message = if e.message.is_empty() {
            // nom's own error (see `from_error_kind`), written now that it is reported.
            format!("unexpected {}", describe(e.at).0)
        } else {
            e.message
        };
        let d = Diagnostic::new(e.kind, Span::new(start, end), message);
        match e.help {
            Some(help) => d.with_help(help),
            None => d,
        }
    }
}
