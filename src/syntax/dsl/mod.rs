//! The DSL front end: fgac's permission language, a nom parser that mirrors
//! `grammar/fgac.ebnf` rule by rule, and its canonical formatter.
//!
//! * `tokens`: blanks, identifiers, keywords, strings and escapes, names, instants;
//! * `rules`: fields (`expires`, `id`, `superuser`) and `allow`/`deny` rules with their selectors;
//! * `test_lines`: `expect` lines of policy tests;
//! * `recovery`: the loops over items, fields and test lines, which collect comments and, after an
//!   error, report it and resume at the next field or item;
//! * `perror`: the error type the parsers share, and the one place nom's errors become
//!   diagnostics;
//! * `ast` and `format`: the syntax tree (comments kept) and the canonical printer.
//!
//! Keywords are followed by `cut` so that `alt` and `opt` cannot swallow a precise error. Nothing
//! recurses: the grammar has no nesting beyond `{ ... }`, which is one loop.

mod ast;
mod format;
mod perror;
mod recovery;
mod rules;
mod test_lines;
mod tokens;

pub(crate) use format::quote;
pub(crate) use format::{format, format_source_with};

use crate::error::{Diagnostic, Error};
use crate::limits::Limits;
use crate::model::{Document, Span, TestFile};
use ast::SourceFile;

/// Parses a DSL file under `limits` once: its document and its `test` blocks.
pub(crate) fn parse_with_tests(src: &str, limits: &Limits) -> Result<(Document, TestFile), Error> {
    let file = parse_file(src, limits)?;
    let doc = ast::lower(&file).map_err(|e| e.with_source(src))?;
    Ok((doc, ast::tests_of(&file)))
}

/// Parses a DSL document into its syntax tree (comments included).
fn parse_file(src: &str, limits: &Limits) -> Result<SourceFile, Error> {
    if src.len() > limits.max_document_bytes {
        return Err(Error::one(Diagnostic::limit(
            "max_document_bytes",
            limits.max_document_bytes,
            Span::new(0, 0),
            format!("document of {} bytes is too large", src.len()),
        ))
        .with_source(src));
    }
    let (file, mut errors) = recovery::parse(src, limits);
    if errors.is_empty() {
        Ok(file)
    } else {
        errors.sort_by_key(|d| d.span.start);
        Err(Error::new(errors).with_source(src))
    }
}

#[cfg(test)]
mod tests {
    use super::rules::ROLES;
    use super::test_lines::DENY_REASONS;
    use crate::model::ExpectedReason;
    use crate::model::Role;

    #[test]
    fn the_reason_keywords_are_the_expected_reasons() {
        let names: Vec<&str> = ExpectedReason::ALL.iter().map(|k| k.as_str()).collect();
        assert_eq!(DENY_REASONS, names.as_slice());
    }

    #[test]
    fn the_role_keywords_are_the_roles() {
        let names: Vec<&str> = Role::ALL.iter().map(|r| r.as_str()).collect();
        assert_eq!(ROLES, names.as_slice());
    }
}
