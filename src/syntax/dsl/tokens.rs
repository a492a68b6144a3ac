//! Tokens: blanks, identifiers and keywords, strings and their escapes, names, instants.

use super::perror::{PError, PResult, failure, recoverable};
use crate::error::ErrorKind;
use crate::suggest::did_you_mean;
use crate::time::Timestamp;
use nom::Parser;
use nom::bytes::complete::{take_while, take_while1};
use nom::combinator::verify;

/// `space` within a field: blanks and line breaks, no comments.
pub(super) fn space(i: &str) -> PResult<'_, &str> {
    take_while(|c| matches!(c, ' ' | '\t' | '\r' | '\n')).parse(i)
}

/// Blanks on the current line.
pub(super) fn inline_space(i: &str) -> PResult<'_, &str> {
    take_while(|c| matches!(c, ' ' | '\t')).parse(i)
}

/// `identifier`: a letter, then letters, digits and `_`.
pub(super) fn identifier(i: &str) -> PResult<'_, &str> {
    verify(
        take_while1(|c: char| c.is_ascii_alphanumeric() || c == '_'),
        |w: &str| w.starts_with(|c: char| c.is_ascii_alphabetic()),
    )
    .parse(i)
}

/// One of `words`, described as `what` in errors, with a "did you mean" for near misses.
pub(super) fn keyword<'a>(
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
pub(super) fn list(words: &[&str]) -> String {
    let quoted: Vec<String> = words.iter().map(|w| format!("`{w}`")).collect();
    match quoted.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
        _ => quoted.concat(),
    }
}

/// `string` / `bytes`: the decoded bytes, bounded by `max` bytes.
pub(super) fn string(i: &str, max: usize) -> PResult<'_, Vec<u8>> {
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
pub(super) fn escape(at: &str) -> Result<(usize, Vec<u8>), nom::Err<PError<'_>>> {
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
pub(super) fn name(i: &str, max: usize) -> PResult<'_, String> {
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
pub(super) fn instant(i: &str) -> PResult<'_, Timestamp> {
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
