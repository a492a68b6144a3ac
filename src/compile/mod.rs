//! The compiler: validation, then lowering into the engine's structure. All fallible work
//! happens here, so that authorizing cannot fail.

mod lower;
mod trie;
pub(crate) mod validate;

use crate::engine::Authorizer;
use crate::error::{Diagnostic, Error};
use crate::limits::Limits;
use crate::model::{Document, Span};

/// Checks `doc` against Momento's rules and fgac's own under `limits`, reporting every problem.
///
/// ```
/// let doc = fgac::json::parse(r#"{"credentials": [
///     {"name": "t", "kind": "token", "expires_at": "never", "super_user": true}
/// ]}"#)?;
/// let err = fgac::validate(&doc, &fgac::Limits::default()).unwrap_err();
/// assert_eq!(err.diagnostics().len(), 2); // never expires, and super user
/// # Ok::<(), fgac::Error>(())
/// ```
pub fn validate(doc: &Document, limits: &Limits) -> Result<(), Error> {
    validate::validate(doc, limits).into_result()
}

/// The format of a document, told apart by its first significant character: JSON starts with
/// `{`, which no DSL document can.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// fgac's permission language.
    Text,
    /// Momento's scope JSON or fgac's key-store JSON.
    Json,
}

impl Format {
    /// The format `text` is written in.
    pub fn detect(text: &str) -> Format {
        let body = text.strip_prefix('\u{feff}').unwrap_or(text);
        if body.trim_start().starts_with('{') {
            Format::Json
        } else {
            Format::Text
        }
    }
}

/// Parses a document in either language with the default [`Limits`] (see [`Format::detect`]).
///
/// ```
/// let a = fgac::load(r#"{"permissions": [{"role": "readonly", "cache": "c"}]}"#)?;
/// let b = fgac::load(r#"key "default" { expires never  allow readonly cache "c" }"#)?;
/// assert_eq!(a, b);
/// # Ok::<(), fgac::Error>(())
/// ```
pub fn load(text: &str) -> Result<Document, Error> {
    load_with(text, &Limits::default())
}

/// Parses a document given as bytes (a file's contents) in either language under `limits`. Bytes
/// that are not UTF-8 are an error at the first bad byte: documents are text, and item keys that
/// are not UTF-8 are written with escapes (`\xNN` in the DSL, `keyBase64` in JSON).
///
/// ```
/// let err = fgac::load_bytes(b"key \"k\" { expires never\n allow readonly cache \"\xff\" }", &fgac::Limits::default()).unwrap_err();
/// assert!(err.to_string().starts_with("error: invalid UTF-8 at byte 47\n --> <input>:2:24"));
/// ```
pub fn load_bytes(bytes: &[u8], limits: &Limits) -> Result<Document, Error> {
    if bytes.len() > limits.max_document_bytes {
        return Err(Error::one(Diagnostic::limit(
            "max_document_bytes",
            limits.max_document_bytes,
            Span::new(0, 0),
            format!("document of {} bytes is too large", bytes.len()),
        )));
    }
    match std::str::from_utf8(bytes) {
        Ok(text) => load_with(text, limits),
        Err(e) => {
            let at = e.valid_up_to();
            // Render against the valid prefix: the bad byte sits just past its end.
            let shown = String::from_utf8_lossy(&bytes[..at]);
            Err(Error::one(
                Diagnostic::new(
                    crate::ErrorKind::Syntax,
                    Span::new(at, at),
                    format!("invalid UTF-8 at byte {at}"),
                )
                .with_help("documents are UTF-8 text; write key bytes that are not UTF-8 as `\\xNN` (DSL) or `keyBase64` (JSON)"),
            )
            .with_source(&shown))
        }
    }
}

/// Parses a document in either language under `limits`.
pub fn load_with(text: &str, limits: &Limits) -> Result<Document, Error> {
    match Format::detect(text) {
        Format::Json => crate::json::parse_with(text, limits),
        Format::Text => crate::text::parse_with(text, limits),
    }
}

impl Authorizer {
    /// Validates and compiles `doc` with the default [`Limits`].
    pub fn compile(doc: &Document) -> Result<Authorizer, Error> {
        Authorizer::compile_with(doc, &Limits::default())
    }

    /// Validates and compiles `doc` under `limits`. Errors carry spans into the document's source;
    /// call [`Error::with_source`] to render them with lines and carets.
    pub fn compile_with(doc: &Document, limits: &Limits) -> Result<Authorizer, Error> {
        validate(doc, limits)?;
        lower::lower(doc, limits).map_err(|_| {
            Error::one(Diagnostic::limit(
                "max_compiled_nodes",
                limits.max_compiled_nodes,
                Span::default(),
                "compiled structure is too large: prefix and all-caches rules are merged into every cache name they cover",
            ))
        })
    }

    /// Parses a DSL document (see [`text`](crate::text)) and compiles it with the default
    /// [`Limits`].
    ///
    /// ```
    /// let authz = fgac::Authorizer::from_text(r#"
    ///     key "svc" { expires never  allow readonly cache "catalog" }
    /// "#)?;
    /// assert!(authz.credential("svc").is_some());
    /// # Ok::<(), fgac::Error>(())
    /// ```
    pub fn from_text(text: &str) -> Result<Authorizer, Error> {
        let limits = Limits::default();
        let doc = crate::text::parse_with(text, &limits)?;
        Authorizer::compile_with(&doc, &limits).map_err(|e| e.with_source(text))
    }

    /// Parses a document in either language ([`load`]) and compiles it with the default
    /// [`Limits`].
    pub fn from_source(text: &str) -> Result<Authorizer, Error> {
        let limits = Limits::default();
        let doc = load_with(text, &limits)?;
        Authorizer::compile_with(&doc, &limits).map_err(|e| e.with_source(text))
    }

    /// Parses a JSON document (either form, see [`json`](crate::json)) and compiles it with the
    /// default [`Limits`].
    pub fn from_json(text: &str) -> Result<Authorizer, Error> {
        let limits = Limits::default();
        let doc = crate::json::parse_with(text, &limits)?;
        Authorizer::compile_with(&doc, &limits).map_err(|e| e.with_source(text))
    }
}
