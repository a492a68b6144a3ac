//! The compiler: validation, then the engine's builders. All fallible work happens here, so that
//! authorizing cannot fail.

pub(crate) mod validate;

use crate::engine::Authorizer;
use crate::error::{Diagnostic, Error};
use crate::limits::Limits;
use crate::model::{Document, ValidDocument};
use crate::syntax::{Format, Loaded, Reader};

/// Checks `doc` against Momento's rules and fgac's own under `limits`, reporting every problem;
/// on success, the document as a [`ValidDocument`], which the reference evaluator and the
/// analyses take.
///
/// ```
/// let doc = fgac::syntax::parse(r#"{"credentials": [
///     {"name": "t", "kind": "token", "expires_at": "never", "super_user": true}
/// ]}"#)?;
/// let err = fgac::validate(&doc, &fgac::Limits::default()).unwrap_err();
/// assert_eq!(err.diagnostics().len(), 2); // never expires, and super user
/// # Ok::<(), fgac::Error>(())
/// ```
pub fn validate<'d>(doc: &'d Document, limits: &Limits) -> Result<ValidDocument<'d>, Error> {
    validate::validate(doc, limits).into_result()?;
    Ok(ValidDocument::new_unchecked(doc))
}

impl Authorizer {
    /// A builder, to compile under other [`Limits`] than the default.
    ///
    /// ```
    /// let limits = fgac::Limits { max_grants_per_token: 40, ..fgac::Limits::default() };
    /// let authz = fgac::Authorizer::builder()
    ///     .limits(limits)
    ///     .from_source(r#"key "svc" { expires never  allow readonly cache "catalog" }"#)?;
    /// assert!(authz.credential("svc").is_some());
    /// # Ok::<(), fgac::Error>(())
    /// ```
    pub fn builder() -> AuthorizerBuilder {
        AuthorizerBuilder::default()
    }

    /// Validates and compiles `doc` with the default [`Limits`]. Errors carry spans into the
    /// document's source (see [`Error::with_source`]); [`Authorizer::from_source`] and the
    /// builder's `from_source` and `read` render them with lines and carets themselves.
    pub fn compile(doc: &Document) -> Result<Authorizer, Error> {
        Authorizer::builder().compile(doc)
    }

    /// Reads a document in any text format (told by its content, see
    /// [`Format`](crate::syntax::Format)) and compiles it with the default [`Limits`]; errors
    /// show their line and column.
    ///
    /// ```
    /// let authz = fgac::Authorizer::from_source(r#"
    ///     key "svc" { expires never  allow readonly cache "catalog" }
    /// "#)?;
    /// assert!(authz.credential("svc").is_some());
    /// # Ok::<(), fgac::Error>(())
    /// ```
    pub fn from_source(text: &str) -> Result<Authorizer, Error> {
        Authorizer::builder().from_source(text)
    }
}

/// Compiles documents under chosen [`Limits`] (and, read from text, in a chosen
/// [`Format`]): the one entry point for anything but the defaults.
#[derive(Clone, Debug, Default)]
#[must_use]
pub struct AuthorizerBuilder {
    reader: Reader,
}

impl AuthorizerBuilder {
    /// Read and compile under `limits`.
    pub fn limits(mut self, limits: Limits) -> AuthorizerBuilder {
        self.reader = self.reader.limits(limits);
        self
    }

    /// Read documents in `format` only (`None`, the default: tell the text formats by their
    /// content); the binary formats are read only when named.
    pub fn format(mut self, format: impl Into<Option<Format>>) -> AuthorizerBuilder {
        self.reader = self.reader.format(format);
        self
    }

    /// Read documents with `reader` (its limits and the formats it reads): what
    /// `Reader::for_path` gives a tool reading files, say.
    pub fn reader(mut self, reader: Reader) -> AuthorizerBuilder {
        self.reader = reader;
        self
    }

    /// Validates and compiles `doc`. Errors carry spans into the document's source.
    pub fn compile(&self, doc: &Document) -> Result<Authorizer, Error> {
        let limits = self.reader.get_limits();
        validate(doc, limits)?;
        Authorizer::build(&doc.credentials, limits.max_compiled_bytes).map_err(|index| {
            let c = &doc.credentials[index.min(doc.credentials.len().saturating_sub(1))];
            Error::one(Diagnostic::limit(
                "max_compiled_bytes",
                limits.max_compiled_bytes,
                c.span,
                format!(
                    "compiling `{}` takes more than {} bytes: prefix and all-caches rules are merged into every cache name they cover",
                    c.name, limits.max_compiled_bytes
                ),
            ))
        })
    }

    /// Reads `text` and compiles it; errors show their line and column.
    pub fn from_source(&self, text: &str) -> Result<Authorizer, Error> {
        let loaded = self.reader.read_str(text)?;
        self.compile(&loaded.document)
            .map_err(|e| e.with_source(text))
    }

    /// Reads a file's contents and compiles them, keeping what was read (the document, its
    /// format, its policy tests) beside the compiled structure; errors show their line and
    /// column (byte offsets for a binary format).
    ///
    /// ```
    /// let compiled = fgac::Authorizer::builder()
    ///     .read(b"key \"k\" { expires never  allow readonly cache \"c\" }")?;
    /// assert_eq!(compiled.loaded().format, fgac::syntax::Format::Dsl);
    /// assert!(compiled.authorizer().credential("k").is_some());
    /// assert_eq!(fgac::analysis::lint(compiled.valid()).len(), 1); // `k` never expires
    /// # Ok::<(), fgac::Error>(())
    /// ```
    pub fn read(&self, bytes: &[u8]) -> Result<Compiled, Error> {
        let loaded = self.reader.read(bytes)?;
        if loaded.format.is_binary() {
            // Binary: errors are shown as byte offsets, with no lines to show.
            let authorizer = self.compile(&loaded.document)?;
            return Ok(Compiled { loaded, authorizer });
        }
        // It was read as text, so it is UTF-8.
        let text = String::from_utf8_lossy(bytes);
        self.compile_loaded(loaded, &text)
    }

    /// Compiles a document already read from `source` (see [`Reader`]); errors show their line
    /// and column in `source`.
    pub fn compile_loaded(&self, loaded: Loaded, source: &str) -> Result<Compiled, Error> {
        match self.compile(&loaded.document) {
            Ok(authorizer) => Ok(Compiled { loaded, authorizer }),
            Err(e) => Err(e.with_source(source)),
        }
    }
}

/// A document read and compiled in one go ([`AuthorizerBuilder::read`]): what a tool that also
/// inspects the document needs.
#[derive(Clone, Debug)]
pub struct Compiled {
    loaded: Loaded,
    authorizer: Authorizer,
}

impl Compiled {
    /// What was read: the document, its format, its policy tests.
    #[must_use]
    pub fn loaded(&self) -> &Loaded {
        &self.loaded
    }

    /// The compiled document.
    #[must_use]
    pub fn authorizer(&self) -> &Authorizer {
        &self.authorizer
    }

    /// The document, validated (it compiled), for the reference evaluator and the analyses.
    #[must_use]
    pub fn valid(&self) -> ValidDocument<'_> {
        ValidDocument::new_unchecked(&self.loaded.document)
    }
}
