//! The DSL front end: a nom parser that mirrors `grammar/fgac.ebnf` rule by rule.
//!
//! Tokens and rules are nom parsers over `&str` with an error type that keeps the remaining input
//! (so every error has a position) and a message for people; keywords are followed by `cut` so
//! that `alt` and `opt` cannot swallow a precise error. The loops over credentials and fields are
//! written out by hand: they collect comments for the formatter and, after an error, resume at the
//! next field or credential, so one run reports every independent syntax error. Nothing recurses:
//! the grammar has no nesting beyond `{ ... }`, which is one loop.

pub use super::format::{format, format_source, format_source_with};

use super::ast::{self, Block, Field, FieldValue, Item, SourceFile, TestBlock, TestLine};
use crate::decision::RuleId;
use crate::decision::{DenyKind, OwnedResource};
use crate::error::{Diagnostic, Error, ErrorKind, floor_char_boundary};
use crate::limits::Limits;
use crate::model::{
    CacheSelector, CredentialKind, Document, Effect, Expiry, Grant, ItemSelector, ResourceSelector,
    Role, Span, TopicSelector,
};
use crate::model::{Expectation, Expected, TestFile};
use crate::ops::Operation;
use crate::suggest::did_you_mean;
use crate::time::Timestamp;
use nom::bytes::complete::{tag, take_while, take_while1};
use nom::character::complete::char;
use nom::combinator::{cut, opt, verify};
use nom::{IResult, Parser};

/// The most errors reported from one document; past it, parsing stops.
const MAX_ERRORS: usize = crate::error::MAX_DIAGNOSTICS;

const FIELD_KEYWORDS: &[&str] = &["allow", "deny", "expires", "id", "superuser"];
const ROLES: &[&str] = &[
    "readwrite",
    "readonly",
    "writeonly",
    "publishsubscribe",
    "subscribeonly",
    "publishonly",
];
const RESOURCE_KEYWORDS: &[&str] = &["item", "items", "topic", "topics"];
/// The names a test's `reason` takes: every [`DenyKind`], in its order.
const DENY_REASONS: &[&str] = &[
    "expired",
    "wrong_resource_kind",
    "super_user_required",
    "no_matching_grant",
    "denied_by_rule",
    "unknown_credential",
    "empty_batch",
];

/// Parses a DSL document with the default [`Limits`].
///
/// ```
/// let doc = fgac::text::parse(r#"
///     key "svc" {
///         expires 2027-01-31T00:00:00Z
///         allow readwrite cache "sessions" items prefix "user:"
///     }
/// "#)?;
/// assert_eq!(doc.credentials[0].name, "svc");
/// # Ok::<(), fgac::Error>(())
/// ```
pub fn parse(src: &str) -> Result<Document, Error> {
    parse_with(src, &Limits::default())
}

/// Parses a DSL document under `limits`. Every syntax error is reported (up to 50), each with its
/// line, column and source line; when the syntax is sound, settings given twice and the like.
pub fn parse_with(src: &str, limits: &Limits) -> Result<Document, Error> {
    parse_with_tests(src, limits).map(|(doc, _)| doc)
}

/// Parses a DSL file under `limits` once: its document and its `test` blocks.
pub(crate) fn parse_with_tests(src: &str, limits: &Limits) -> Result<(Document, TestFile), Error> {
    let file = parse_file(src, limits)?;
    let doc = ast::lower(&file).map_err(|e| e.with_source(src))?;
    Ok((doc, ast::tests_of(&file)))
}

/// Parses a DSL document into its syntax tree (comments included).
pub(crate) fn parse_file(src: &str, limits: &Limits) -> Result<SourceFile, Error> {
    if src.len() > limits.max_document_bytes {
        return Err(Error::one(Diagnostic::limit(
            "max_document_bytes",
            limits.max_document_bytes,
            Span::new(0, 0),
            format!("document of {} bytes is too large", src.len()),
        ))
        .with_source(src));
    }
    let mut parser = DocParser {
        src,
        limits,
        errors: Vec::new(),
    };
    let file = parser.file();
    if parser.errors.is_empty() {
        Ok(file)
    } else {
        parser.errors.sort_by_key(|d| d.span.start);
        Err(Error::new(parser.errors).with_source(src))
    }
}

// ---------------------------------------------------------------------------------------------
// The error type the nom parsers share.

/// A parse error: where (the remaining input), how long a span, and what to say.
#[derive(Debug)]
pub(crate) struct PError<'a> {
    at: &'a str,
    len: usize,
    kind: ErrorKind,
    message: String,
    help: Option<String>,
}

impl<'a> PError<'a> {
    fn new(at: &'a str, len: usize, message: impl Into<String>) -> PError<'a> {
        PError {
            at,
            len,
            kind: ErrorKind::Syntax,
            message: message.into(),
            help: None,
        }
    }

    fn help(mut self, help: impl Into<String>) -> PError<'a> {
        self.help = Some(help.into());
        self
    }

    /// "expected WHAT, found ..." at `at`.
    fn expected(at: &'a str, what: &str) -> PError<'a> {
        let (found, len) = describe(at);
        PError::new(at, len, format!("expected {what}, found {found}"))
    }
}

impl<'a> nom::error::ParseError<&'a str> for PError<'a> {
    fn from_error_kind(input: &'a str, _: nom::error::ErrorKind) -> PError<'a> {
        let (found, len) = describe(input);
        PError::new(input, len, format!("unexpected {found}"))
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

type PResult<'a, T> = IResult<&'a str, T, PError<'a>>;

fn failure<'a, T>(e: PError<'a>) -> PResult<'a, T> {
    Err(nom::Err::Failure(e))
}

fn recoverable<'a, T>(e: PError<'a>) -> PResult<'a, T> {
    Err(nom::Err::Error(e))
}

/// How the next token reads in a message, and its length: "`word`", "`\"`", "end of input".
fn describe(at: &str) -> (String, usize) {
    let Some(first) = at.chars().next() else {
        return ("end of input".to_owned(), 0);
    };
    let word = at
        .char_indices()
        .find(|&(_, c)| !(c.is_alphanumeric() || c == '_' || c == '-' || c == ':'))
        .map_or(at.len(), |(i, _)| i);
    if word > 0 {
        let shown = &at[..floor_char_boundary(at, word.min(40))];
        (format!("`{shown}`"), word)
    } else if first == '\n' || first == '\r' {
        ("end of line".to_owned(), 1)
    } else {
        (format!("`{}`", first.escape_debug()), first.len_utf8())
    }
}

// ---------------------------------------------------------------------------------------------
// Tokens.

/// `space` within a field: blanks and line breaks, no comments.
fn space(i: &str) -> PResult<'_, &str> {
    take_while(|c| matches!(c, ' ' | '\t' | '\r' | '\n')).parse(i)
}

/// Blanks on the current line.
fn inline_space(i: &str) -> PResult<'_, &str> {
    take_while(|c| matches!(c, ' ' | '\t')).parse(i)
}

/// `identifier`: a letter, then letters, digits and `_`.
fn identifier(i: &str) -> PResult<'_, &str> {
    verify(
        take_while1(|c: char| c.is_ascii_alphanumeric() || c == '_'),
        |w: &str| w.starts_with(|c: char| c.is_ascii_alphabetic()),
    )
    .parse(i)
}

/// One of `words`, described as `what` in errors, with a "did you mean" for near misses.
fn keyword<'a>(
    i: &'a str,
    words: &'static [&'static str],
    what: &str,
) -> PResult<'a, &'static str> {
    let Ok((rest, word)) = identifier(i) else {
        return recoverable(PError::expected(i, what));
    };
    if let Some(&w) = words.iter().find(|&&w| w == word) {
        return Ok((rest, w));
    }
    let e = PError::new(i, word.len(), format!("unknown {what} `{word}`"));
    recoverable(match did_you_mean(word, words.iter().copied()) {
        Some(s) => e.help(format!("did you mean `{s}`?")),
        None => e.help(format!("expected {}", list(words))),
    })
}

/// "`a`, `b` or `c`".
fn list(words: &[&str]) -> String {
    let quoted: Vec<String> = words.iter().map(|w| format!("`{w}`")).collect();
    match quoted.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
        _ => quoted.concat(),
    }
}

/// `string` / `bytes`: the decoded bytes, bounded by `max` bytes.
fn string(i: &str, max: usize) -> PResult<'_, Vec<u8>> {
    let Some(body) = i.strip_prefix('"') else {
        return recoverable(PError::expected(i, "a string in double quotes"));
    };
    // The rest of the line, for errors: measured only when there is one, so that reading many
    // strings on one long line stays linear.
    let line_len = || i.find(['\n', '\r']).unwrap_or(i.len());
    let unterminated = || {
        PError::new(i, line_len(), "unterminated string")
            .help("close it with `\"`; write a line break inside a string as `\\n`")
    };
    let mut out = Vec::new();
    let mut chars = body.char_indices();
    while let Some((pos, c)) = chars.next() {
        match c {
            '"' => return Ok((&body[pos + 1..], out)),
            '\\' => {
                let at = &body[pos..];
                let (len, bytes) = escape(at)?;
                out.extend_from_slice(&bytes);
                // Skip the rest of the escape (its first character is already consumed).
                for _ in 1..at[..len].chars().count() {
                    chars.next();
                }
            }
            '\n' | '\r' => return failure(unterminated()),
            c if c.is_control() => {
                return failure(
                    PError::new(
                        &body[pos..],
                        c.len_utf8(),
                        format!("control character U+{:04X} in a string", u32::from(c)),
                    )
                    .help(format!(
                        "write it as an escape: `\\u{{{:x}}}`",
                        u32::from(c)
                    )),
                );
            }
            c => {
                let mut buf = [0; 4];
                out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            }
        }
        if out.len() > max {
            return failure(PError {
                kind: ErrorKind::Limit {
                    limit: "max_name_bytes",
                    value: max,
                },
                ..PError::new(i, line_len().min(80), format!("string is longer than {max} bytes"))
                    .help(format!(
                        "the limit is {max}; raise `Limits::max_name_bytes` to accept longer names and keys"
                    ))
            });
        }
    }
    failure(unterminated())
}

/// One `escape` at `at` (which starts with `\`): its length in the source and the bytes it means.
fn escape(at: &str) -> Result<(usize, Vec<u8>), nom::Err<PError<'_>>> {
    let bad = |len: usize, message: String| {
        nom::Err::Failure(PError::new(at, len, message).help(
            "escapes are `\\\"`, `\\\\`, `\\n`, `\\r`, `\\t`, `\\0`, `\\xNN` (one byte) and `\\u{NNNN}`",
        ))
    };
    let mut chars = at.chars().skip(1);
    let simple = |b: u8| Ok((2, vec![b]));
    match chars.next() {
        Some('"') => simple(b'"'),
        Some('\\') => simple(b'\\'),
        Some('n') => simple(b'\n'),
        Some('r') => simple(b'\r'),
        Some('t') => simple(b'\t'),
        Some('0') => simple(0),
        Some('x') => {
            let hex: String = chars.take(2).collect();
            match u8::from_str_radix(&hex, 16) {
                Ok(b) if hex.len() == 2 && hex.bytes().all(|c| c.is_ascii_hexdigit()) => {
                    Ok((4, vec![b]))
                }
                _ => Err(bad(
                    2 + hex.len(),
                    format!("invalid byte escape `\\x{hex}`"),
                )),
            }
        }
        Some('u') => {
            let rest = &at[2..];
            let close = rest.find('}').filter(|_| rest.starts_with('{'));
            let Some(close) = close.filter(|&c| (2..=7).contains(&c)) else {
                let len = 2 + rest.find('}').map_or(0, |c| c + 1).min(10);
                return Err(bad(len, "invalid unicode escape".to_owned()));
            };
            let digits = &rest[1..close];
            let scalar = u32::from_str_radix(digits, 16)
                .ok()
                .filter(|_| digits.bytes().all(|c| c.is_ascii_hexdigit()))
                .and_then(char::from_u32);
            match scalar {
                Some(c) => Ok((3 + close, c.to_string().into_bytes())),
                None => Err(bad(
                    3 + close,
                    format!("`\\u{{{digits}}}` is not a Unicode scalar value"),
                )),
            }
        }
        Some(c) => Err(bad(
            1 + c.len_utf8(),
            format!("unknown escape `\\{}`", c.escape_debug()),
        )),
        None => Err(bad(1, "unterminated string".to_owned())),
    }
}

/// A `string` that must be UTF-8: names of credentials, caches and topics, token ids.
fn name(i: &str, max: usize) -> PResult<'_, String> {
    let (rest, bytes) = string(i, max)?;
    match String::from_utf8(bytes) {
        Ok(s) => Ok((rest, s)),
        Err(_) => failure(
            PError::new(i, i.len() - rest.len(), "this name is not valid UTF-8")
                .help("only item keys may hold arbitrary bytes (`\\xNN`); names are text"),
        ),
    }
}

/// `timestamp | epoch seconds`.
fn instant(i: &str) -> PResult<'_, Timestamp> {
    let (rest, text) =
        take_while1(|c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | ':' | '.' | '+'))
            .parse(i)
            .map_err(|_: nom::Err<PError<'_>>| {
                nom::Err::Error(PError::expected(i, "a time").help("write `2027-01-31T00:00:00Z`"))
            })?;
    match text.parse::<Timestamp>() {
        Ok(t) => Ok((rest, t)),
        Err(e) => failure(PError::new(i, text.len(), e.message).help(e.help)),
    }
}

// ---------------------------------------------------------------------------------------------
// Fields and rules.

/// `expires`: after the keyword.
fn expires(i: &str) -> PResult<'_, Expiry> {
    let (i, _) = space(i)?;
    if let Ok((rest, _)) = tag::<_, _, PError<'_>>("never").parse(i)
        && !rest.starts_with(|c: char| c.is_ascii_alphanumeric())
    {
        return Ok((rest, Expiry::Never));
    }
    if let Ok((_, word)) = identifier(i) {
        let e = PError::new(
            i,
            word.len(),
            format!("expected a time or `never` after `expires`, found `{word}`"),
        );
        return failure(match did_you_mean(word, ["never"]) {
            Some(_) => e.help("did you mean `never`?"),
            None => e.help("write `expires 2027-01-31T00:00:00Z`, or `expires never`"),
        });
    }
    let (rest, t) = cut(instant).parse(i).map_err(|e| match e {
        nom::Err::Error(e) => nom::Err::Failure(
            PError::expected(e.at, "a time or `never` after `expires`")
                .help("write `expires 2027-01-31T00:00:00Z`, or `expires never`"),
        ),
        other => other,
    })?;
    Ok((rest, Expiry::At(t)))
}

/// `rule`: after the effect keyword.
fn rule<'a>(
    i: &'a str,
    effect: Effect,
    max: usize,
) -> PResult<'a, (Role, CacheSelector, Option<ResourceSelector>)> {
    let (i, _) = space(i)?;
    let at_role = i;
    let (i, role) = cut(|i| keyword(i, ROLES, "role")).parse(i)?;
    // `ROLES` spells exactly the names of `Role::ALL`; should they ever drift apart, refuse the
    // rule rather than guess a role.
    let Some(role) = Role::from_name(role) else {
        return failure(PError::new(
            at_role,
            role.len(),
            format!("unknown role `{role}`"),
        ));
    };
    let (i, _) = space(i)?;
    let (i, cache) = cut(|i| cache_selector(i, effect, role, max)).parse(i)?;
    let (i, resource) = opt(|i| {
        let (i, _) = space(i)?;
        resource_selector(i, max)
    })
    .parse(i)?;
    Ok((i, (role, cache, resource)))
}

/// `cache selector`.
fn cache_selector(i: &str, effect: Effect, role: Role, max: usize) -> PResult<'_, CacheSelector> {
    let start = i;
    let (i, word) = identifier(i)
        .map_err(|_| nom::Err::Error(PError::expected(start, "`cache` after the role")))?;
    if word != "cache" {
        let e = PError::new(
            start,
            word.len(),
            format!("expected `cache` after the role, found `{word}`"),
        );
        return recoverable(if RESOURCE_KEYWORDS.contains(&word) || word == "caches" {
            e.help(format!(
                "a rule names its caches first: `{} {role} cache \"name\" {word} ...`",
                effect.as_str()
            ))
        } else {
            e
        });
    }
    let (i, _) = space(i)?;
    if let Ok((rest, _)) = char::<_, PError<'_>>('*').parse(i) {
        return Ok((rest, CacheSelector::All));
    }
    if let Ok((rest, _)) = tag::<_, _, PError<'_>>("prefix").parse(i) {
        let (rest, _) = space(rest)?;
        let (rest, p) = cut(|i| name(i, max)).parse(rest)?;
        return Ok((rest, CacheSelector::Prefix(p)));
    }
    match name(i, max) {
        Ok((rest, n)) => Ok((rest, CacheSelector::Name(n))),
        Err(nom::Err::Error(_)) => failure(
            PError::expected(i, "a cache name, `*` or `prefix` after `cache`")
                .help("write `cache \"name\"`, `cache *` or `cache prefix \"tmp-\"`"),
        ),
        Err(e) => Err(e),
    }
}

/// `resource selector`; a recoverable error when the next word is not one of its keywords, so
/// that a rule without one ends cleanly.
fn resource_selector(i: &str, max: usize) -> PResult<'_, ResourceSelector> {
    let (rest, word) = identifier(i)?;
    if !RESOURCE_KEYWORDS.contains(&word) {
        return recoverable(PError::expected(i, "a resource selector"));
    }
    let (rest, _) = space(rest)?;
    match word {
        "item" => {
            let (r, key) = string(rest, max)
                .map_err(|e| commit(e, || expected_quoted(rest, "a key", word)))?;
            Ok((r, ResourceSelector::Items(ItemSelector::Key(key))))
        }
        "topic" => {
            let (r, n) = name(rest, max)
                .map_err(|e| commit(e, || expected_quoted(rest, "a topic name", word)))?;
            Ok((r, ResourceSelector::Topics(TopicSelector::Name(n))))
        }
        "items" => match all_or_prefix(rest, word)? {
            (r, None) => Ok((r, ResourceSelector::Items(ItemSelector::All))),
            (_, Some(at)) => {
                let (r, p) = string(at, max)
                    .map_err(|e| commit(e, || expected_quoted(at, "a key prefix", word)))?;
                Ok((r, ResourceSelector::Items(ItemSelector::Prefix(p))))
            }
        },
        _ => match all_or_prefix(rest, word)? {
            (r, None) => Ok((r, ResourceSelector::Topics(TopicSelector::All))),
            (_, Some(at)) => {
                let (r, p) = name(at, max)
                    .map_err(|e| commit(e, || expected_quoted(at, "a topic prefix", word)))?;
                Ok((r, ResourceSelector::Topics(TopicSelector::Prefix(p))))
            }
        },
    }
}

/// `"*"` (`None`), or `prefix` followed by what comes next (`Some(rest)`), after `items`/`topics`.
fn all_or_prefix<'a>(rest: &'a str, word: &str) -> PResult<'a, Option<&'a str>> {
    if let Ok((r, _)) = char::<_, PError<'_>>('*').parse(rest) {
        return Ok((r, None));
    }
    match tag::<_, _, PError<'_>>("prefix").parse(rest) {
        Ok((r, _)) => {
            let (r, _) = space(r)?;
            Ok((r, Some(r)))
        }
        Err(_) => failure(
            PError::expected(rest, &format!("`*` or `prefix` after `{word}`")).help(format!(
                "write `{word} *`, or `{word} prefix \"...\"`; for a single one, `{}`",
                word.trim_end_matches('s')
            )),
        ),
    }
}

fn expected_quoted<'a>(at: &'a str, what: &str, word: &str) -> PError<'a> {
    PError::expected(at, &format!("{what} in double quotes after `{word}`"))
}

/// After a keyword, a recoverable error becomes a failure with the given message.
fn commit<'a>(
    e: nom::Err<PError<'a>>,
    message: impl FnOnce() -> PError<'a>,
) -> nom::Err<PError<'a>> {
    match e {
        nom::Err::Error(_) => nom::Err::Failure(message()),
        other => other,
    }
}

// ---------------------------------------------------------------------------------------------
// The loops: document and block, with comments and recovery.

struct DocParser<'s> {
    src: &'s str,
    limits: &'s Limits,
    errors: Vec<Diagnostic>,
}

/// The lines of a `{ ... }` block and the comments before its `}`.
struct BlockBody<T> {
    lines: Vec<BodyLine<T>>,
    closing: Vec<String>,
}

/// One line of a block, with its comments and span.
struct BodyLine<T> {
    leading: Vec<String>,
    trailing: Option<String>,
    value: T,
    span: Span,
}

/// What the trivia between fields held.
struct Trivia<'a> {
    rest: &'a str,
    comments: Vec<String>,
}

impl<'s> DocParser<'s> {
    fn offset(&self, rest: &str) -> usize {
        self.src.len() - rest.len()
    }

    fn span(&self, from: &str, to: &str) -> Span {
        Span::new(self.offset(from), self.offset(to))
    }

    fn report(&mut self, e: PError<'_>) {
        let start = self.offset(e.at);
        let end = floor_char_boundary(self.src, (start + e.len).min(self.src.len()));
        let mut d = Diagnostic::new(e.kind, Span::new(start, end), e.message);
        if let Some(help) = e.help {
            d = d.with_help(help);
        }
        if self.errors.len() < MAX_ERRORS {
            self.errors.push(d);
        }
    }

    fn too_many_errors(&self) -> bool {
        self.errors.len() >= MAX_ERRORS
    }

    /// Blanks, line breaks and whole-line comments. A blank line after a comment is kept (as
    /// [`ast::BLANK_LINE`]) so that the formatter keeps comment groups apart.
    fn trivia<'a>(&self, mut rest: &'a str) -> Trivia<'a> {
        let mut comments = Vec::new();
        loop {
            let skipped = rest.len() - rest.trim_start_matches([' ', '\t', '\r', '\n']).len();
            let blank_line = rest[..skipped].matches('\n').count() >= 2;
            rest = &rest[skipped..];
            if blank_line && !comments.is_empty() {
                comments.push(ast::BLANK_LINE.to_owned());
            }
            match rest.strip_prefix('#') {
                Some(after) => {
                    let end = after.find('\n').unwrap_or(after.len());
                    comments.push(after[..end].trim_end().to_owned());
                    rest = &after[end..];
                }
                None => return Trivia { rest, comments },
            }
        }
    }

    /// A comment after a field on the same line.
    fn same_line_comment<'a>(&self, rest: &'a str) -> (&'a str, Option<String>) {
        let after_blanks = rest.trim_start_matches([' ', '\t']);
        match after_blanks.strip_prefix('#') {
            Some(after) => {
                let end = after.find('\n').unwrap_or(after.len());
                (&after[end..], Some(after[..end].trim_end().to_owned()))
            }
            None => (rest, None),
        }
    }

    /// `document`.
    fn file(&mut self) -> SourceFile {
        let mut file = SourceFile::default();
        let mut rest = self.src.strip_prefix('\u{feff}').unwrap_or(self.src);
        let mut credentials = 0;
        loop {
            let t = self.trivia(rest);
            rest = t.rest;
            if rest.is_empty() {
                file.trailing = t.comments;
                return file;
            }
            let word = identifier(rest).map_or("", |(_, w)| w);
            if !matches!(word, "test" | "policy") && credentials >= self.limits.max_credentials {
                let len = describe(rest).1;
                self.report(
                    PError {
                        kind: ErrorKind::Limit {
                            limit: "max_credentials",
                            value: self.limits.max_credentials,
                        },
                        ..PError::new(
                            rest,
                            len,
                            format!("more than {} credentials", self.limits.max_credentials),
                        )
                    }
                    .help("raise `Limits::max_credentials` to accept more"),
                );
                return file;
            }
            let parsed = match word {
                "test" => self.test_block(rest).map(|(after, mut test)| {
                    test.leading = t.comments;
                    (after, Item::Test(test))
                }),
                "policy" => self.policy_line(rest, &file).map(|(after, path, span)| {
                    (
                        after,
                        Item::Policy {
                            leading: t.comments,
                            path,
                            span,
                        },
                    )
                }),
                _ => self.credential(rest).map(|(after, mut block)| {
                    credentials += 1;
                    block.leading = t.comments;
                    (after, Item::Credential(block))
                }),
            };
            match parsed {
                Ok((after, item)) => {
                    file.items.push(item);
                    rest = after;
                }
                Err(e) => {
                    self.report(e);
                    rest = skip_to_next_item(rest);
                }
            }
            if self.too_many_errors() {
                return file;
            }
        }
    }

    /// `policy reference`.
    fn policy_line<'a>(
        &self,
        i: &'a str,
        file: &SourceFile,
    ) -> Result<(&'a str, String, Span), PError<'a>> {
        let start = i;
        let (i, _) = tag::<_, _, PError<'_>>("policy")
            .parse(i)
            .map_err(into_error)?;
        let (i, _) = space(i).map_err(into_error)?;
        let (rest, path) = name(i, self.limits.max_name_bytes)
            .map_err(|e| {
                commit(e, || {
                    PError::expected(i, "the policy file's path in double quotes after `policy`")
                })
            })
            .map_err(into_error)?;
        if file
            .items
            .iter()
            .any(|item| matches!(item, Item::Policy { .. }))
        {
            return Err(PError::new(
                start,
                rest.len().abs_diff(start.len()),
                "a file names at most one `policy`",
            )
            .help("split the tests into one file per policy"));
        }
        Ok((rest, path, self.span(start, rest)))
    }

    /// `test`. Errors inside the block are reported and recovered from; an error in the header is
    /// returned.
    fn test_block<'a>(&mut self, i: &'a str) -> Result<(&'a str, TestBlock), PError<'a>> {
        let start = i;
        let (i, _) = tag::<_, _, PError<'_>>("test")
            .parse(i)
            .map_err(into_error)?;
        let (i, _) = space(i).map_err(into_error)?;
        let (i, name) = name(i, self.limits.max_name_bytes)
            .map_err(|e| {
                commit(e, || {
                    PError::expected(i, "the test's name in double quotes")
                        .help("write `test \"name\" { ... }`")
                })
            })
            .map_err(into_error)?;
        let header = self.span(start, i);
        let (i, _) = space(i).map_err(into_error)?;
        let what = format!("`test {}`", super::format::quote(name.as_bytes()));
        if !i.starts_with('{') {
            return Err(PError::expected(i, &format!("`{{` after {what}")));
        }
        let (rest, header_comment, body) = self.block_body(i, &what, |p, line| {
            p.expectation(line).map(|(after, e)| (after, Some(e)))
        })?;
        let lines = body
            .lines
            .into_iter()
            .map(|line| TestLine {
                leading: line.leading,
                trailing: line.trailing,
                expectation: line.value,
            })
            .collect();
        let block = TestBlock {
            leading: Vec::new(),
            header_comment,
            name,
            header,
            lines,
            closing: body.closing,
        };
        Ok((rest, block))
    }

    /// `expectation`.
    fn expectation<'a>(&self, i: &'a str) -> Result<(&'a str, Expectation), PError<'a>> {
        let max = self.limits.max_name_bytes;
        let start = i;
        match identifier(i) {
            Ok((_, "expect")) => {}
            Ok((_, word)) => {
                let e = PError::new(
                    i,
                    word.len(),
                    format!("expected `expect` or `}}`, found `{word}`"),
                );
                return Err(if matches!(word, "allow" | "deny") {
                    e.help(format!(
                        "a test line starts with `expect`: `expect {word} ...`"
                    ))
                } else {
                    e
                });
            }
            Err(_) => return Err(PError::expected(i, "`expect` or `}`")),
        }
        let i = &i["expect".len()..];
        let (i, _) = space(i).map_err(into_error)?;
        let (i, decision) = keyword(i, &["allow", "deny"], "decision").map_err(into_error)?;
        let (i, _) = space(i).map_err(into_error)?;
        let (i, key) = name(i, max)
            .map_err(|e| {
                commit(e, || {
                    PError::expected(i, "the credential's name in double quotes")
                })
            })
            .map_err(into_error)?;
        let (i, _) = space(i).map_err(into_error)?;
        let (i, op) = operation(i).map_err(into_error)?;
        let (i, _) = space(i).map_err(into_error)?;
        let (mut i, resource) = request_resource(i, max).map_err(into_error)?;

        let mut expected = match decision {
            "allow" => Expected::Allow,
            _ => Expected::Deny {
                reason: None,
                rule: None,
            },
        };
        let mut at = None;
        // `reason` and `at`, each optional, in that order.
        let (after, _) = space(i).map_err(into_error)?;
        if let Ok((after_word, "reason")) = identifier(after) {
            let Expected::Deny { reason, rule } = &mut expected else {
                return Err(PError::new(after, 6, "`reason` only follows `expect deny`")
                    .help("an allowed request has no deny reason; remove `reason ...`"));
            };
            let (r, _) = space(after_word).map_err(into_error)?;
            let (r, word) = keyword(r, DENY_REASONS, "deny reason").map_err(into_error)?;
            *reason = DenyKind::from_name(word);
            i = r;
            let (r2, _) = space(r).map_err(into_error)?;
            if let Some(digits) = r2.strip_prefix('#') {
                if word != "denied_by_rule" {
                    return Err(PError::new(r2, 1, format!("`{word}` names no rule"))
                        .help("only `denied_by_rule` takes a rule id, as in `denied_by_rule #2`"));
                }
                let len = digits.bytes().take_while(u8::is_ascii_digit).count();
                let id = digits[..len].parse::<u32>().map_err(|_| {
                    PError::expected(digits, "a rule number after `#`")
                        .help("write `denied_by_rule #2`")
                })?;
                *rule = Some(RuleId::new(id));
                i = &digits[len..];
            }
        }
        let (after, _) = space(i).map_err(into_error)?;
        if let Ok((after_word, "at")) = identifier(after) {
            let (r, _) = space(after_word).map_err(into_error)?;
            let (r, t) = instant(r)
                .map_err(|e| {
                    commit(e, || {
                        PError::expected(r, "a time after `at`")
                            .help("write `at 2027-01-31T00:00:00Z`")
                    })
                })
                .map_err(into_error)?;
            at = Some(t);
            i = r;
        }
        let span = self.span(start, i);
        Ok((
            i,
            Expectation {
                expected,
                key,
                op,
                resource,
                at,
                span,
            },
        ))
    }

    /// `credential`. Errors inside the block are reported and recovered from; an error in the
    /// header is returned.
    fn credential<'a>(&mut self, i: &'a str) -> Result<(&'a str, Block), PError<'a>> {
        let start = i;
        let (i, kind) = keyword(i, &["key", "token", "test", "policy"], "keyword")
            .map_err(into_error)
            .map_err(|e| match e.message.starts_with("expected") {
                true => PError::expected(start, "`key`, `token`, `test` or `policy`"),
                false => e,
            })?;
        let kind = if kind == "key" {
            CredentialKind::ApiKey
        } else {
            CredentialKind::Token
        };
        let (i, _) = space(i).map_err(into_error)?;
        let (i, name) = name(i, self.limits.max_name_bytes)
            .map_err(into_error)
            .map_err(|e| {
                if e.message.starts_with("expected") {
                    PError::expected(
                        e.at,
                        &format!("the name of the {} in double quotes", ast::keyword(kind)),
                    )
                    .help(format!("write `{} \"name\" {{ ... }}`", ast::keyword(kind)))
                } else {
                    e
                }
            })?;
        let header = self.span(start, i);
        let (i, _) = space(i).map_err(into_error)?;
        if !i.starts_with('{') {
            return Err(PError::expected(
                i,
                &format!("`{{` after `{} \"{name}\"`", ast::keyword(kind)),
            ));
        }
        let open = i;
        let mut rules = 0usize;
        let max_rules = match kind {
            CredentialKind::ApiKey => self.limits.max_grants_per_key,
            CredentialKind::Token => self.limits.max_grants_per_token,
        };
        let what = format!(
            "`{} {}`",
            ast::keyword(kind),
            super::format::quote(name.as_bytes())
        );
        let (rest, header_comment, body) = self.block_body(open, &what, |p, line| {
            let (after, value) = p.field(line)?;
            // Past the limit, rules are still read (to find the block's end) but no longer kept:
            // memory stays bounded whatever the document holds.
            if matches!(value, FieldValue::Rule(_)) {
                rules += 1;
                if rules > max_rules {
                    if rules == max_rules + 1 {
                        p.report(p.too_many_rules(start, header, kind, &what));
                    }
                    return Ok((after, None));
                }
            }
            Ok((after, Some(value)))
        })?;
        let fields = body
            .lines
            .into_iter()
            .map(|line| Field {
                leading: line.leading,
                trailing: line.trailing,
                value: line.value,
                span: line.span,
            })
            .collect();
        let block = Block {
            leading: Vec::new(),
            header_comment,
            kind,
            name,
            header,
            fields,
            closing: body.closing,
        };
        Ok((rest, block))
    }

    /// The body of a `{ ... }` block whose `{` starts `open`: lines read by `line` until `}`, each
    /// with its comments. An error in a line is reported and reading resumes at the next line; a
    /// block left open ends at the next top-level item. `line` returns `None` for a line it reads
    /// but does not keep. Returns what follows, the comment after `{`, and the body.
    fn block_body<'a, T>(
        &mut self,
        open: &'a str,
        what: &str,
        mut line: impl FnMut(&mut Self, &'a str) -> Result<(&'a str, Option<T>), PError<'a>>,
    ) -> Result<(&'a str, Option<String>, BlockBody<T>), PError<'a>> {
        let (mut rest, header_comment) = self.same_line_comment(&open[1..]);
        let mut body = BlockBody {
            lines: Vec::new(),
            closing: Vec::new(),
        };
        loop {
            let t = self.trivia(rest);
            rest = t.rest;
            if let Some(after) = rest.strip_prefix('}') {
                body.closing = t.comments;
                let (after, _) = inline_space(after).map_err(into_error)?;
                return Ok((after, header_comment, body));
            }
            if rest.is_empty() || starts_item(rest) {
                let help = match rest.split_whitespace().next() {
                    None => "add `}` after its last line".to_owned(),
                    Some(next) => format!("add `}}` before the `{next}` that follows"),
                };
                self.report(PError::new(open, 1, format!("{what} is not closed")).help(help));
                body.closing = t.comments;
                return Ok((rest, header_comment, body));
            }
            match line(self, rest) {
                Ok((after, value)) => {
                    let span = self.span(rest, after);
                    let (after, trailing) = self.same_line_comment(after);
                    if let Some(value) = value {
                        body.lines.push(BodyLine {
                            leading: t.comments,
                            trailing,
                            value,
                            span,
                        });
                    }
                    rest = after;
                }
                Err(e) => {
                    let at = e.at;
                    self.report(e);
                    if self.too_many_errors() {
                        return Ok(("", header_comment, body));
                    }
                    rest = resume_after_error(rest, at);
                }
            }
        }
    }

    /// The error for a credential with more rules than its limit.
    fn too_many_rules<'a>(
        &self,
        at: &'a str,
        header: Span,
        kind: CredentialKind,
        what: &str,
    ) -> PError<'a> {
        let (limit, field) = match kind {
            CredentialKind::ApiKey => (self.limits.max_grants_per_key, "max_grants_per_key"),
            CredentialKind::Token => (self.limits.max_grants_per_token, "max_grants_per_token"),
        };
        PError {
            kind: ErrorKind::Limit {
                limit: field,
                value: limit,
            },
            ..PError::new(
                at,
                header.end - header.start,
                format!("{what} has more than {limit} rules"),
            )
            .help(format!(
                "the limit is {limit}; raise `Limits::{field}` to accept it"
            ))
        }
    }

    /// `field`.
    fn field<'a>(&self, i: &'a str) -> Result<(&'a str, FieldValue), PError<'a>> {
        let max = self.limits.max_name_bytes;
        let (after, word) = identifier(i).map_err(|_| {
            PError::expected(
                i,
                "a rule (`allow` or `deny`), `expires`, `id`, `superuser` or `}`",
            )
        })?;
        let effect = match word {
            "allow" => Effect::Allow,
            "deny" => Effect::Deny,
            "expires" => {
                return expires(after)
                    .map(|(r, e)| (r, FieldValue::Expires(e)))
                    .map_err(into_error);
            }
            "id" => {
                let (r, _) = space(after).map_err(into_error)?;
                return name(r, max)
                    .map(|(r, id)| (r, FieldValue::Id(id)))
                    .map_err(|e| {
                        commit(e, || {
                            PError::expected(r, "the token id in double quotes after `id`")
                        })
                    })
                    .map_err(into_error);
            }
            "superuser" => return Ok((after, FieldValue::SuperUser)),
            other => {
                let e = PError::new(i, other.len(), format!("unknown field `{other}`"));
                return Err(if ROLES.contains(&other) {
                    e.help(format!(
                        "a rule starts with `allow` or `deny`: `allow {other} cache ...`"
                    ))
                } else if let Some(s) = did_you_mean(other, FIELD_KEYWORDS.iter().copied()) {
                    e.help(format!("did you mean `{s}`?"))
                } else {
                    e.help(format!("a credential holds {}", list(FIELD_KEYWORDS)))
                });
            }
        };
        let (rest, (role, cache, resource)) = rule(after, effect, max).map_err(into_error)?;
        let resource = resource.unwrap_or(if role.is_topic_role() {
            ResourceSelector::Topics(TopicSelector::All)
        } else {
            ResourceSelector::Items(ItemSelector::All)
        });
        let span = self.span(i, rest);
        Ok((
            rest,
            FieldValue::Rule(Grant {
                effect,
                role,
                cache,
                resource,
                span,
            }),
        ))
    }
}

fn into_error(e: nom::Err<PError<'_>>) -> PError<'_> {
    match e {
        nom::Err::Error(e) | nom::Err::Failure(e) => e,
        // Only streaming parsers return `Incomplete`, and these are all `complete` ones.
        nom::Err::Incomplete(_) => PError::new("", 0, "unexpected end of input"),
    }
}

/// Whether `rest` starts a top-level item (`key "`, `token "`, `test "`, `policy "`): a block
/// left open ends there.
fn starts_item(rest: &str) -> bool {
    ["key", "token", "test", "policy"].iter().any(|k| {
        rest.strip_prefix(k)
            .is_some_and(|after| after.trim_start_matches([' ', '\t']).starts_with('"'))
    })
}

/// Where to resume after an error at `at` in a field that started at `field`: the error's own
/// line start if the error is the first token of a later line (the field ended early), otherwise
/// the next line, or a `}` on this line.
fn resume_after_error<'a>(field: &'a str, at: &'a str) -> &'a str {
    let consumed = field.len() - at.len();
    let line_before = &field[..consumed];
    let at_line_start = consumed > 0
        && line_before
            .rfind('\n')
            .is_some_and(|nl| line_before[nl..].trim().is_empty());
    if at_line_start {
        return at;
    }
    // Skip to the end of this line, stopping before a `}` outside a string. Whether a position
    // is inside a string is known only by scanning from the field's start.
    let mut in_string = false;
    let mut escaped = false;
    for (pos, c) in field.char_indices() {
        if pos >= consumed {
            match c {
                '\n' => return &field[pos..],
                '}' if !in_string && pos > consumed => return &field[pos..],
                _ => {}
            }
        }
        match c {
            '"' if !escaped => in_string = !in_string,
            '\n' => in_string = false,
            _ => {}
        }
        escaped = c == '\\' && !escaped;
    }
    ""
}

/// After an error in a credential's header, the next line that starts a credential.
fn skip_to_next_item(rest: &str) -> &str {
    let mut search = rest;
    while let Some(nl) = search.find('\n') {
        search = &search[nl + 1..];
        let line = search.trim_start_matches([' ', '\t']);
        if starts_item(line) {
            return line;
        }
    }
    ""
}

/// An operation name, with a "did you mean" for near misses.
fn operation(i: &str) -> PResult<'_, Operation> {
    let Ok((rest, word)) = identifier(i) else {
        return recoverable(PError::expected(
            i,
            "an operation (`get`, `set`, `publish`, ...)",
        ));
    };
    match word.parse::<Operation>() {
        Ok(op) => Ok((rest, op)),
        Err(unknown) => {
            let e = PError::new(i, word.len(), format!("unknown operation `{word}`"));
            failure(match unknown.suggestion() {
                Some(s) => e.help(format!("did you mean `{s}`?")),
                None => e.help("operations are snake_case Momento names: `get`, `set_if_not_exists`, `list_push_back`, `publish`, `create_cache`, ..."),
            })
        }
    }
}

/// `request resource`.
fn request_resource(i: &str, max: usize) -> PResult<'_, OwnedResource> {
    let (i, word) = keyword(i, &["cache", "account"], "resource")
        .map_err(|e| commit(e, || PError::expected(i, "`cache` or `account`").help("write `cache \"c\" item \"k\"`, `cache \"c\" topic \"t\"`, `cache \"c\"` or `account`")))?;
    if word == "account" {
        return Ok((i, OwnedResource::Account));
    }
    let (i, _) = space(i)?;
    let (i, cache) = name(i, max).map_err(|e| {
        commit(e, || {
            PError::expected(i, "a cache name in double quotes after `cache`")
        })
    })?;
    let (after, _) = space(i)?;
    match identifier(after) {
        Ok((r, "item")) => {
            let (r, _) = space(r)?;
            let (r, key) =
                string(r, max).map_err(|e| commit(e, || expected_quoted(r, "a key", "item")))?;
            Ok((r, OwnedResource::Item { cache, key }))
        }
        Ok((r, "topic")) => {
            let (r, _) = space(r)?;
            let (r, topic) = name(r, max)
                .map_err(|e| commit(e, || expected_quoted(r, "a topic name", "topic")))?;
            Ok((r, OwnedResource::Topic { cache, topic }))
        }
        _ => Ok((i, OwnedResource::Cache { cache })),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reason_keywords_are_the_deny_kinds() {
        let names: Vec<&str> = DenyKind::ALL.iter().map(|k| k.as_str()).collect();
        assert_eq!(DENY_REASONS, names.as_slice());
    }

    #[test]
    fn the_role_keywords_are_the_roles() {
        let names: Vec<&str> = Role::ALL.iter().map(|r| r.as_str()).collect();
        assert_eq!(ROLES, names.as_slice());
    }
}
