//! The compiler: validation, then lowering into the engine's structure. All fallible work
//! happens here, so that authorizing cannot fail.

pub(crate) mod validate;

use crate::engine::Authorizer;
use crate::error::{Diagnostic, Error};
use crate::limits::Limits;
use crate::model::Document;

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

impl Authorizer {
    /// Validates and compiles `doc` with the default [`Limits`].
    pub fn compile(doc: &Document) -> Result<Authorizer, Error> {
        Authorizer::compile_with(doc, &Limits::default())
    }

    /// Validates and compiles `doc` under `limits`. Errors carry spans into the document's source;
    /// call [`Error::with_source`] to render them with lines and carets.
    pub fn compile_with(doc: &Document, limits: &Limits) -> Result<Authorizer, Error> {
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

    /// Parses a document in either language ([`load`](crate::load)) and compiles it with the default
    /// [`Limits`].
    pub fn from_source(text: &str) -> Result<Authorizer, Error> {
        let limits = Limits::default();
        let doc = crate::syntax::load_with(text, &limits)?;
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
