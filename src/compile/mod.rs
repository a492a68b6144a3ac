//! The compiler: validation, then the engine's builders. All fallible work happens here, so that
//! authorizing cannot fail.

pub(crate) mod validate;

use crate::engine::Authorizer;
use crate::error::{Diagnostic, Error};
use crate::limits::Limits;
use crate::model::{Document, ValidDocument};
use crate::syntax::{self, Language, Loaded};

/// Checks `doc` against Momento's rules and fgac's own under `limits`, reporting every problem;
/// on success, the document as a [`ValidDocument`], which the reference evaluator and the
/// analyses take.
///
/// ```
/// let doc = fgac::syntax::json::parse(r#"{"credentials": [
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
    #[must_use]
    pub fn builder() -> AuthorizerBuilder {
        AuthorizerBuilder::default()
    }

    /// Validates and compiles `doc` with the default [`Limits`]. Errors carry spans into the
    /// document's source (see [`Error::with_source`]); [`Authorizer::from_source`] and the
    /// builder's `from_source` and `read` render them with lines and carets themselves.
    pub fn compile(doc: &Document) -> Result<Authorizer, Error> {
        Authorizer::builder().compile(doc)
    }

    /// Parses a document in either language (see [`syntax::Language::detect`]) and compiles it
    /// with the default [`Limits`]; errors show their line and column.
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

/// Compiles documents under chosen [`Limits`]: the one entry point for anything but the defaults.
#[derive(Clone, Debug, Default)]
pub struct AuthorizerBuilder {
    limits: Limits,
}

impl AuthorizerBuilder {
    /// Parse and compile under `limits`.
    #[must_use]
    pub fn limits(mut self, limits: Limits) -> AuthorizerBuilder {
        self.limits = limits;
        self
    }

    /// Validates and compiles `doc`. Errors carry spans into the document's source.
    pub fn compile(&self, doc: &Document) -> Result<Authorizer, Error> {
        let limits = &self.limits;
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

    /// Parses `text` in either language and compiles it; errors show their line and column.
    pub fn from_source(&self, text: &str) -> Result<Authorizer, Error> {
        let doc = syntax::parse_with(text, &self.limits)?;
        self.compile(&doc).map_err(|e| e.with_source(text))
    }

    /// Reads a file's contents (in `language`, or the one [`Language::detect`] finds) and compiles
    /// it, keeping what was read (the document, its form, its policy tests) beside the compiled
    /// structure; errors show their line and column.
    ///
    /// ```
    /// let compiled = fgac::Authorizer::builder()
    ///     .read(b"key \"k\" { expires never  allow readonly cache \"c\" }", None)?;
    /// assert_eq!(compiled.loaded().form, fgac::syntax::Form::Dsl);
    /// assert!(compiled.authorizer().credential("k").is_some());
    /// assert_eq!(fgac::analysis::lint(compiled.valid()).len(), 1); // `k` never expires
    /// # Ok::<(), fgac::Error>(())
    /// ```
    pub fn read(&self, bytes: &[u8], language: Option<Language>) -> Result<Compiled, Error> {
        if matches!(language, Some(Language::Protobuf | Language::ProtobufV2)) {
            // Binary: errors are shown as byte offsets, with no lines to show.
            let loaded = syntax::read_bytes(bytes, language, &self.limits)?;
            let authorizer = self.compile(&loaded.document)?;
            return Ok(Compiled { loaded, authorizer });
        }
        let text = syntax::utf8(bytes, &self.limits)?;
        let loaded = syntax::read(
            text,
            language.unwrap_or(Language::detect(text)),
            &self.limits,
        )?;
        self.compile_loaded(loaded, text)
    }

    /// Compiles a document already read from `source` (see [`syntax::read`]); errors show their
    /// line and column in `source`.
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
    /// What was read: the document, its form, its policy tests.
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
