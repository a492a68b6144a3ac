//! The compiler: validation, then the engine's builders. All fallible work happens here, so that
//! authorizing cannot fail.

pub(crate) mod validate;

use crate::engine::{Authorizer, UpdateTooLarge};
use crate::error::{Diagnostic, Diagnostics, Error, ErrorKind};
use crate::limits::Limits;
use crate::model::{CredentialDef, Document, Span, ValidDocument};
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

    /// Applies `update` to the compiled store `base`: a new store that holds `base`'s
    /// credentials but those `update` removes, with those it puts (each replacing the one of its
    /// name in place, or added after the last). Only the credentials put are validated and
    /// compiled; every other is shared with `base`, so the cost is that of the change, not of
    /// the store, and both stores together hold little more than one. The new store decides
    /// exactly as the document it stands for would, compiled at once; `base` is unchanged.
    ///
    /// Refused, with every problem, as compiling that document would refuse it (a credential
    /// put that does not validate, no credential left, over [`Limits::max_credentials`] or
    /// [`Limits::max_compiled_bytes`]), and when the update contradicts itself or the store: a
    /// name removed that the store does not hold
    /// ([`ErrorKind::UnknownCredential`](crate::ErrorKind::UnknownCredential)), or a name
    /// removed or put twice. Errors carry the spans of the credentials put.
    ///
    /// ```
    /// use fgac::{Authorizer, Update};
    /// let base = Authorizer::from_source(r#"
    ///     key "a" { expires never  allow readonly cache "c" }
    ///     key "b" { expires never  allow readonly cache "c" }
    /// "#)?;
    /// let change = fgac::syntax::parse(r#"key "b" { expires never  allow readwrite cache "c" }"#)?;
    /// let update = Update::new().put_all(change.credentials).remove("a");
    /// let next = Authorizer::builder().update(&base, &update)?;
    /// let names: Vec<&str> = next.credentials().map(|c| c.name()).collect();
    /// assert_eq!(names, ["b"]);
    /// assert!(!next.shares(&base, "b"));
    /// assert_eq!(base.len(), 2);
    /// # Ok::<(), fgac::Error>(())
    /// ```
    pub fn update(&self, base: &Authorizer, update: &Update) -> Result<Authorizer, Error> {
        let limits = self.reader.get_limits();
        let mut out = Diagnostics::default();
        let mut seen: ahash::AHashMap<&str, Span> = ahash::AHashMap::new();
        let mut remove = Vec::with_capacity(update.remove.len());
        for name in &update.remove {
            if seen.insert(name, Span::default()).is_some() {
                out.push(
                    Diagnostic::new(
                        ErrorKind::DuplicateCredential { name: name.clone() },
                        Span::default(),
                        format!("the update removes credential `{name}` more than once"),
                    )
                    .with_help("name each credential once in an update"),
                );
            } else if base.credential(name).is_none() {
                let mut d = Diagnostic::new(
                    ErrorKind::UnknownCredential { name: name.clone() },
                    Span::default(),
                    format!(
                        "the update removes credential `{name}`, which the store does not hold"
                    ),
                );
                if let Some(near) = base.suggest_credential(name) {
                    d = d.with_help(format!("did you mean `{near}`?"));
                }
                out.push(d);
            } else {
                remove.push(name.as_str());
            }
        }
        let mut added = 0usize;
        for c in &update.put {
            match seen.insert(&c.name, c.span) {
                Some(first) => {
                    let removed = update.remove.contains(&c.name);
                    let mut d = Diagnostic::new(
                        ErrorKind::DuplicateCredential {
                            name: c.name.clone(),
                        },
                        c.span,
                        if removed {
                            format!("the update both removes and puts credential `{}`", c.name)
                        } else {
                            format!("the update puts credential `{}` more than once", c.name)
                        },
                    )
                    .with_help(if removed {
                        "putting a credential replaces it: do not remove it as well"
                    } else {
                        "name each credential once in an update"
                    });
                    if !removed {
                        d = d.with_note(first, "first put here");
                    }
                    out.push(d);
                }
                None => added += usize::from(base.credential(&c.name).is_none()),
            }
            validate::credential(c, limits, &mut out);
        }
        let len = (base.len() + added).saturating_sub(remove.len());
        if len == 0 {
            out.push(
                Diagnostic::new(
                    ErrorKind::NoCredentials,
                    Span::default(),
                    "the update leaves the store with no credentials",
                )
                .with_help("a store holds at least one API key or token"),
            );
        }
        if len > limits.max_credentials {
            out.push(Diagnostic::limit(
                "max_credentials",
                limits.max_credentials,
                Span::default(),
                format!("the update leaves the store with {len} credentials"),
            ));
        }
        out.into_result()?;
        base.apply(&remove, &update.put, limits.max_compiled_bytes)
            .map_err(|e| {
                let (span, what) = match e {
                    UpdateTooLarge::Put(i) => (
                        update.put[i].span,
                        format!("compiling `{}` takes", update.put[i].name),
                    ),
                    UpdateTooLarge::Directory => {
                        (Span::default(), "the updated store takes".to_owned())
                    }
                };
                Error::one(Diagnostic::limit(
                    "max_compiled_bytes",
                    limits.max_compiled_bytes,
                    span,
                    format!(
                        "{what} more than {} bytes: prefix and all-caches rules are merged into every cache name they cover",
                        limits.max_compiled_bytes
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

/// A change to a compiled store: credentials to put (each replacing the one of its name, or
/// added) and names to remove. Applied by [`AuthorizerBuilder::update`], at the cost of what it
/// changes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[must_use]
pub struct Update {
    put: Vec<CredentialDef>,
    remove: Vec<String>,
}

impl Update {
    /// An update that changes nothing.
    pub fn new() -> Update {
        Update::default()
    }

    /// Also puts `credential`: it replaces the store's credential of its name, keeping that
    /// one's place in document order, or is added after the last.
    pub fn put(mut self, credential: CredentialDef) -> Update {
        self.put.push(credential);
        self
    }

    /// Also puts each of `credentials` ([`Update::put`]), in this order.
    pub fn put_all(mut self, credentials: impl IntoIterator<Item = CredentialDef>) -> Update {
        self.put.extend(credentials);
        self
    }

    /// Also removes the credential named `name`, which the store must hold.
    pub fn remove(mut self, name: impl Into<String>) -> Update {
        self.remove.push(name.into());
        self
    }

    /// The credentials it puts.
    #[must_use]
    pub fn puts(&self) -> &[CredentialDef] {
        &self.put
    }

    /// The names it removes.
    #[must_use]
    pub fn removes(&self) -> &[String] {
        &self.remove
    }

    /// Whether it changes nothing.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.put.is_empty() && self.remove.is_empty()
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

    /// What was read, and the compiled store.
    #[cfg(feature = "credentials")]
    pub(crate) fn into_parts(self) -> (Loaded, Authorizer) {
        (self.loaded, self.authorizer)
    }

    /// The document, validated (it compiled), for the reference evaluator and the analyses.
    #[must_use]
    pub fn valid(&self) -> ValidDocument<'_> {
        ValidDocument::new_unchecked(&self.loaded.document)
    }
}
