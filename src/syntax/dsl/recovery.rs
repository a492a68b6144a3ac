//! The loops: document and block, with comments and recovery. They are written out by hand: they
//! collect comments for the formatter and, after an error, report it and resume at the next field
//! or credential, so one run reports every independent error (up to 50).

use super::ast::{self, Block, Field, FieldValue, Item, SourceFile, TestBlock, TestLine};
use super::perror::{PError, PResult, Src, commit, describe, failure};
use super::rules::field;
use super::test_lines::expectation;
use super::tokens::{identifier, inline_space, keyword, name, space};
use crate::error::{Diagnostic, ErrorKind};
use crate::limits::Limits;
use crate::model::{CredentialKind, Span};
use nom::Parser;
use nom::bytes::complete::tag;

/// The most errors reported from one document; past it, parsing stops.
const MAX_ERRORS: usize = crate::error::MAX_DIAGNOSTICS;

/// Parses `src` into its syntax tree, with every error found (up to [`MAX_ERRORS`]).
pub(super) fn parse(src: &str, limits: &Limits) -> (SourceFile, Vec<Diagnostic>) {
    let mut parser = DocParser {
        src: Src(src),
        limits,
        errors: Vec::new(),
    };
    let file = parser.file();
    (file, parser.errors)
}

struct DocParser<'s> {
    src: Src<'s>,
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
    fn span(&self, from: &str, to: &str) -> Span {
        self.src.span(from, to)
    }

    /// Keeps a parser's error, up to [`MAX_ERRORS`].
    fn report(&mut self, e: nom::Err<PError<'_>>) {
        if self.errors.len() < MAX_ERRORS {
            self.errors.push(self.src.diagnostic(e));
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
        let mut rest = self.src.0.strip_prefix('\u{feff}').unwrap_or(self.src.0);
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
                self.report(nom::Err::Failure(
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
                ));
                return file;
            }
            let parsed = match word {
                "test" => self.test_block(rest).map(|(after, mut test)| {
                    test.leading = t.comments;
                    (after, Item::Test(test))
                }),
                "policy" => self.policy_line(rest, &file).map(|(after, (path, span))| {
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
    fn policy_line<'a>(&self, i: &'a str, file: &SourceFile) -> PResult<'a, (String, Span)> {
        let start = i;
        let (i, _) = tag::<_, _, PError<'_>>("policy").parse(i)?;
        let (i, _) = space(i)?;
        let (rest, path) = name(i, self.limits.max_name_bytes).map_err(|e| {
            commit(e, || {
                PError::expected(i, "the policy file's path in double quotes after `policy`")
            })
        })?;
        if file
            .items
            .iter()
            .any(|item| matches!(item, Item::Policy { .. }))
        {
            return failure(
                PError::new(
                    start,
                    rest.len().abs_diff(start.len()),
                    "a file names at most one `policy`",
                )
                .help("split the tests into one file per policy"),
            );
        }
        Ok((rest, (path, self.span(start, rest))))
    }

    /// `test`. Errors inside the block are reported and recovered from; an error in the header is
    /// returned.
    fn test_block<'a>(&mut self, i: &'a str) -> PResult<'a, TestBlock> {
        let start = i;
        let (i, _) = tag::<_, _, PError<'_>>("test").parse(i)?;
        let (i, _) = space(i)?;
        let (i, name) = name(i, self.limits.max_name_bytes).map_err(|e| {
            commit(e, || {
                PError::expected(i, "the test's name in double quotes")
                    .help("write `test \"name\" { ... }`")
            })
        })?;
        let header = self.span(start, i);
        let (i, _) = space(i)?;
        let what = format!("`test {}`", super::quote(name.as_bytes()));
        if !i.starts_with('{') {
            return failure(PError::expected(i, &format!("`{{` after {what}")));
        }
        let max = self.limits.max_name_bytes;
        let (rest, (header_comment, body)) = self.block_body(i, &what, |p, line| {
            expectation(line, p.src, max).map(|(after, e)| (after, Some(e)))
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

    /// `credential`. Errors inside the block are reported and recovered from; an error in the
    /// header is returned.
    fn credential<'a>(&mut self, i: &'a str) -> PResult<'a, Block> {
        let start = i;
        let (i, kind) =
            keyword(i, &["key", "token", "test", "policy"], "keyword").map_err(|e| {
                e.map(|e| match e.message.starts_with("expected") {
                    true => PError::expected(start, "`key`, `token`, `test` or `policy`"),
                    false => e,
                })
            })?;
        let kind = if kind == "key" {
            CredentialKind::ApiKey
        } else {
            CredentialKind::Token
        };
        let (i, _) = space(i)?;
        let (i, name) = name(i, self.limits.max_name_bytes).map_err(|e| {
            e.map(|e| {
                if e.message.starts_with("expected") {
                    PError::expected(
                        e.at,
                        &format!("the name of the {} in double quotes", ast::keyword(kind)),
                    )
                    .help(format!("write `{} \"name\" {{ ... }}`", ast::keyword(kind)))
                } else {
                    e
                }
            })
        })?;
        let header = self.span(start, i);
        let (i, _) = space(i)?;
        if !i.starts_with('{') {
            return failure(PError::expected(
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
        let what = format!("`{} {}`", ast::keyword(kind), super::quote(name.as_bytes()));
        let max = self.limits.max_name_bytes;
        let (rest, (header_comment, body)) = self.block_body(open, &what, |p, line| {
            let (after, value) = field(line, p.src, max)?;
            // Past the limit, rules are still read (to find the block's end) but no longer kept:
            // memory stays bounded whatever the document holds.
            if matches!(value, FieldValue::Rule(_)) {
                rules += 1;
                if rules > max_rules {
                    if rules == max_rules + 1 {
                        p.report(nom::Err::Failure(
                            p.too_many_rules(start, header, kind, &what),
                        ));
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
        mut line: impl FnMut(&mut Self, &'a str) -> PResult<'a, Option<T>>,
    ) -> PResult<'a, (Option<String>, BlockBody<T>)> {
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
                let (after, _) = inline_space(after)?;
                return Ok((after, (header_comment, body)));
            }
            if rest.is_empty() || starts_item(rest) {
                let help = match rest.split_whitespace().next() {
                    None => "add `}` after its last line".to_owned(),
                    Some(next) => format!("add `}}` before the `{next}` that follows"),
                };
                self.report(nom::Err::Failure(
                    PError::new(open, 1, format!("{what} is not closed")).help(help),
                ));
                body.closing = t.comments;
                return Ok((rest, (header_comment, body)));
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
                    let at = match &e {
                        nom::Err::Error(p) | nom::Err::Failure(p) => p.at,
                        nom::Err::Incomplete(_) => "",
                    };
                    self.report(e);
                    if self.too_many_errors() {
                        return Ok(("", (header_comment, body)));
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
}
/// Whether `rest` starts a top-level item (`key "`, `token "`, `test "`, `policy "`): a block
/// left open ends there.
pub(super) fn starts_item(rest: &str) -> bool {
    ["key", "token", "test", "policy"].iter().any(|k| {
        rest.strip_prefix(k)
            .is_some_and(|after| after.trim_start_matches([' ', '\t']).starts_with('"'))
    })
}

/// Where to resume after an error at `at` in a field that started at `field`: the error's own
/// line start if the error is the first token of a later line (the field ended early), otherwise
/// the next line, or a `}` on this line.
pub(super) fn resume_after_error<'a>(field: &'a str, at: &'a str) -> &'a str {
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
pub(super) fn skip_to_next_item(rest: &str) -> &str {
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
