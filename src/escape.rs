//! What text from a policy may show as itself, and how the rest is escaped.
//!
//! A policy is untrusted text. Wherever fgac shows it to a person (an error's source line and
//! message, the DSL formatter, the JSON writer, a lint) a character that does not show as itself
//! is escaped: controls (an ESC sequence would drive the terminal), bidirectional overrides (text
//! that reads in another order than it matches), zero-width and other format characters (a name
//! that reads as `admin` but is not). So what a reviewer reads is what the engine matches.

use std::borrow::Cow;
use std::fmt::Write;

/// Whether `c` shows as itself: not a control, not a format character (bidirectional controls,
/// zero-width characters, the byte order mark), not a line or paragraph separator.
pub(crate) fn plainly_visible(c: char) -> bool {
    !(c.is_control()
        || matches!(c,
            '\u{00ad}' | '\u{034f}' | '\u{061c}' | '\u{115f}' | '\u{1160}' | '\u{17b4}' | '\u{17b5}'
            | '\u{180b}'..='\u{180f}' | '\u{200b}'..='\u{200f}' | '\u{2028}'..='\u{202e}'
            | '\u{2060}'..='\u{206f}' | '\u{3164}' | '\u{fe00}'..='\u{fe0f}' | '\u{feff}'
            | '\u{ffa0}' | '\u{fff0}'..='\u{fffb}' | '\u{e0000}'..='\u{e0fff}'))
}

/// `c` as the DSL's escape (`\u{202e}`), the form every escaped character is shown in.
pub(crate) fn push_escaped(out: &mut String, c: char) {
    let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
}

/// `text` for a terminal: every character that does not show as itself (tabs aside, which
/// render as blanks) replaced by its `\u{...}` escape. Borrowed when nothing needs escaping.
///
/// Use it on anything taken from a policy before it reaches a terminal; [`Error`](crate::Error)
/// already renders this way.
///
/// ```
/// assert_eq!(fgac::escape_for_terminal("admin\u{202e}\u{1b}[2J"), "admin\\u{202e}\\u{1b}[2J");
/// ```
#[must_use]
pub fn escape_for_terminal(text: &str) -> Cow<'_, str> {
    if text.chars().all(|c| c == '\t' || plainly_visible(c)) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if c == '\t' || plainly_visible(c) {
            out.push(c);
        } else {
            push_escaped(&mut out, c);
        }
    }
    Cow::Owned(out)
}

/// As [`escape_for_terminal`], keeping line breaks: for a message of several lines, such as a
/// rendered [`Error`](crate::Error) inside a longer report, which must keep its shape (a `\r`
/// is escaped, so a line cannot overwrite another).
///
/// ```
/// assert_eq!(fgac::escape_lines_for_terminal("a\u{1b}\nb\r\n"), "a\\u{1b}\nb\\u{d}\n");
/// ```
#[must_use]
pub fn escape_lines_for_terminal(text: &str) -> Cow<'_, str> {
    if text
        .chars()
        .all(|c| c == '\t' || c == '\n' || plainly_visible(c))
    {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for (i, line) in text.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        out.push_str(&escape_for_terminal(line));
    }
    Cow::Owned(out)
}

/// How many terminal columns `c` takes once escaped for a terminal: 0 for combining marks, 2 for
/// wide (East Asian) characters, the length of the escape for escaped characters, 1 otherwise.
pub(crate) fn display_width(c: char) -> usize {
    if c == '\t' {
        return 1;
    }
    if !plainly_visible(c) {
        // `\u{` + hex digits + `}`.
        let digits = (32 - u32::from(c).leading_zeros()).div_ceil(4).max(1) as usize;
        return 4 + digits;
    }
    unicode_width::UnicodeWidthChar::width(c).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_what_does_not_show_and_keeps_the_rest() {
        assert!(matches!(
            escape_for_terminal("cache \"é\"\tx"),
            Cow::Borrowed(_)
        ));
        assert_eq!(
            escape_for_terminal("a\u{1b}[31mb\u{202e}c\u{200b}"),
            "a\\u{1b}[31mb\\u{202e}c\\u{200b}"
        );
    }

    #[test]
    fn widths_follow_what_the_terminal_shows() {
        assert_eq!(display_width('a'), 1);
        assert_eq!(display_width('数'), 2);
        assert_eq!(display_width('\u{301}'), 0);
        for c in ['\u{1b}', '\u{202e}', '\u{feff}', '\u{e0001}'] {
            let mut shown = String::new();
            push_escaped(&mut shown, c);
            assert_eq!(display_width(c), shown.len(), "{shown}");
        }
    }
}
