//! A trust: what a key ring verifies signed credentials with (the public keys it accepts, the
//! issuer it requires, the document API keys refer to, the revocation log it follows) and signs
//! with. Built in code ([`Trust::builder`]) or read from a trust file ([`Trust::from_file`]):
//!
//! ```json
//! {
//!   "issuer": "auth.example",
//!   "keys": [
//!     {"kty": "OKP", "crv": "Ed25519", "kid": "2026-11", "x": "..."},
//!     {"kty": "OKP", "crv": "Ed25519", "kid": "2026-05", "x": "...", "retired": true}
//!   ],
//!   "signing_keys": ["keys/2026-11.jwk"],
//!   "document": "policy.fgac",
//!   "revocations": "revocations.log",
//!   "leeway_seconds": 0
//! }
//! ```
//!
//! * `keys` (required): the public signing keys. A credential verifies against the key its
//!   header names, unless that key is `retired`: rotation adds the new key, signs with it, and
//!   retires the old one once its credentials should no longer be accepted.
//! * `issuer`: when given, every credential must carry exactly this `iss`.
//! * `signing_keys`: private key files (JWK, as `fgac keygen` writes them), for a server that
//!   mints or refreshes credentials itself: it signs with the last one listed whose key is in
//!   `keys` and not retired.
//! * `document`: a document (in any text format, or a protobuf one its file name says) for API keys that carry no permissions and
//!   refer to one of its credentials by name (`sub`).
//! * `revocations`: the revocation log ([`RevocationLog`](super::RevocationLog)). It must exist
//!   (create it with `fgac revoke --create-log`): a key ring refuses a missing log, which may
//!   have been moved or deleted with its revocations.
//! * `issued`: the issuance ledger ([`Ledger`](super::Ledger)), where a key ring records what it
//!   mints and refreshes, so that a revocation can say what it covers (created when missing).
//! * `leeway_seconds`: how far in the future a credential's `iat` and `nbf` may be, for clocks
//!   that disagree a little (default 0; at most 300).
//!
//! Paths are relative to the trust file. Unknown and duplicated fields, `null`, two keys with one
//! `kid`, and a private key in `keys` are errors with a line and column.

use super::keys::{PublicKey, SigningKey};
use crate::compile::{AuthorizerBuilder, Compiled, Update};
use crate::engine::Authorizer;
use crate::error::{Diagnostic, Error, ErrorKind};
use crate::limits::Limits;
use crate::limits::TooLarge;
use crate::model::{CredentialDef, Document, Span};
use crate::syntax::json::fields::{Object, span_of};
use serde_json::value::RawValue;
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

/// The most leeway a trust may give clocks, in seconds.
pub const MAX_LEEWAY_SECONDS: u64 = 300;

/// A public key of a trust, and whether it is retired.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrustedKey {
    /// The key.
    pub key: PublicKey,
    /// Retired: credentials it signed are refused.
    pub retired: bool,
}

/// What a key ring verifies with (see the module docs). Immutable; a key ring swaps whole
/// trusts.
#[derive(Clone, Debug)]
pub struct Trust {
    pub(crate) keys: Vec<TrustedKey>,
    pub(crate) issuer: Option<String>,
    pub(crate) signing: Vec<SigningKey>,
    /// Compiled keeping each credential's definition.
    pub(crate) document: Option<Arc<Authorizer>>,
    pub(crate) revocations: Option<PathBuf>,
    pub(crate) issued: Option<PathBuf>,
    pub(crate) leeway_seconds: u64,
    pub(crate) limits: Limits,
    /// The files it was read from (the trust file, its signing keys, its document), each as it
    /// was read, to watch.
    pub(crate) sources: Vec<Source>,
}

/// A file a trust was read from, and what was read: a watcher compares the file as it is now
/// against the bytes read, never against the file as it was after reading (an edit made while a
/// slow read was going on would be taken for what was read, and never applied).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Source {
    pub(crate) path: PathBuf,
    /// `None` when the file could not be read.
    pub(crate) seen: Option<Seen>,
}

/// A version of a file: its stamp when opened, a hash of the bytes read, and when those bytes
/// were known to be what the file held.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Seen {
    stamp: Stamp,
    hash: u64,
    at: SystemTime,
}

/// What the file system says of a file: device, inode, length, modification and change times.
/// Two versions of a file may share a stamp (timestamps are coarse); equal stamps settle that
/// nothing changed only once the file's times are well in the past of when its bytes were read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Stamp {
    file: (u64, u64),
    len: u64,
    modified: Option<SystemTime>,
    changed: (i64, i64),
}

/// How far apart a file's modification time and a read must be for the stamp alone to say the
/// bytes are the same: file systems keep times to a tick of the kernel's coarse clock, or to a
/// second or two on some.
const RACY: Duration = Duration::from_secs(2);

impl Stamp {
    fn of(m: &std::fs::Metadata) -> Stamp {
        #[cfg(unix)]
        let (file, changed) = {
            use std::os::unix::fs::MetadataExt as _;
            ((m.dev(), m.ino()), (m.ctime(), m.ctime_nsec()))
        };
        #[cfg(not(unix))]
        let (file, changed) = ((0, 0), (0, 0));
        Stamp {
            file,
            len: m.len(),
            modified: m.modified().ok(),
            changed,
        }
    }

    /// Whether bytes read at `at` could differ from the file's bytes with this stamp.
    fn racy(&self, at: SystemTime) -> bool {
        self.modified
            .is_none_or(|m| m.checked_add(RACY).is_none_or(|later| later > at))
    }
}

/// The hash the versions of a file are compared by: keyed at random once per process (an
/// attacker who can write the file could simply write it).
fn content_hash(bytes: &[u8]) -> u64 {
    static KEYS: std::sync::OnceLock<ahash::RandomState> = std::sync::OnceLock::new();
    KEYS.get_or_init(ahash::RandomState::new).hash_one(bytes)
}

/// Reads `path` once: its bytes and what a watcher compares later. The stamp comes from the
/// opened file before its bytes are read, so an edit during the read changes it.
pub(crate) fn read_source(path: &Path) -> (Result<Vec<u8>, Error>, Source) {
    let read = || -> std::io::Result<(Vec<u8>, Seen)> {
        let mut file = std::fs::File::open(path)?;
        let stamp = Stamp::of(&file.metadata()?);
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut file, &mut bytes)?;
        let seen = Seen {
            stamp,
            hash: content_hash(&bytes),
            at: SystemTime::now(),
        };
        Ok((bytes, seen))
    };
    match read() {
        Ok((bytes, seen)) => (
            Ok(bytes),
            Source {
                path: path.to_owned(),
                seen: Some(seen),
            },
        ),
        Err(e) => (
            Err(Error::one(Diagnostic::new(
                ErrorKind::Json,
                Span::default(),
                format!("cannot read `{}`: {e}", path.display()),
            ))),
            Source {
                path: path.to_owned(),
                seen: None,
            },
        ),
    }
}

impl Source {
    /// Whether the file may now hold other bytes than were read (or be there when it was not, or
    /// the reverse). Costs a `stat`; reads and hashes the file only when its stamp changed or
    /// cannot yet tell. A check that finds the same bytes under a new stamp, or once the read is
    /// clear of the file's times, remembers it, so that the next check is a `stat` again.
    pub(crate) fn changed(&mut self) -> bool {
        let now = std::fs::metadata(&self.path).ok().map(|m| Stamp::of(&m));
        let (Some(seen), Some(stamp)) = (&mut self.seen, now) else {
            return self.seen.is_some() || now.is_some();
        };
        if stamp == seen.stamp && !stamp.racy(seen.at) {
            return false;
        }
        let checked_at = SystemTime::now();
        match std::fs::read(&self.path) {
            Ok(bytes) if content_hash(&bytes) == seen.hash => {
                seen.stamp = stamp;
                seen.at = checked_at;
                false
            }
            _ => true,
        }
    }
}

impl Trust {
    /// A builder, for a trust made in code.
    #[must_use]
    pub fn builder() -> TrustBuilder {
        TrustBuilder::default()
    }

    /// The public keys, in the order given.
    #[must_use]
    pub fn keys(&self) -> &[TrustedKey] {
        &self.keys
    }

    /// The issuer credentials must carry, if one is required.
    #[must_use]
    pub fn issuer(&self) -> Option<&str> {
        self.issuer.as_deref()
    }

    /// The key new credentials are signed with: the last signing key given whose public key is
    /// in the trust and not retired.
    #[must_use]
    pub fn signer(&self) -> Option<&SigningKey> {
        self.signing.iter().rev().find(|s| {
            self.keys
                .iter()
                .any(|k| !k.retired && k.key == s.public_key())
        })
    }

    /// The compiled document API keys may refer to by name.
    #[must_use]
    pub fn document(&self) -> Option<&Authorizer> {
        self.document.as_deref()
    }

    /// The same trust with its document changed by `update`
    /// ([`AuthorizerBuilder::update`](crate::AuthorizerBuilder::update), under this trust's
    /// limits): only the credentials put are compiled, every other is shared with this trust's
    /// document. A key ring [replacing](super::Keyring::replace) this trust with the result
    /// keeps every session of a credential the update left alone. Refused when the trust has
    /// no document, and as the update is refused.
    pub fn update_document(&self, update: &Update) -> Result<Trust, Error> {
        let Some(document) = &self.document else {
            return Err(Error::one(
                Diagnostic::new(
                    ErrorKind::NoCredentials,
                    Span::default(),
                    "the trust has no document to update",
                )
                .with_help("give the trust a document first (`\"document\"` in a trust file)"),
            ));
        };
        let updated = AuthorizerBuilder::default()
            .limits(self.limits.clone())
            .update(document, update)?;
        Ok(Trust {
            document: Some(Arc::new(updated)),
            ..self.clone()
        })
    }

    /// The revocation log's path, if the trust names one.
    #[must_use]
    pub fn revocation_log(&self) -> Option<&Path> {
        self.revocations.as_deref()
    }

    /// The issuance ledger's path, if the trust names one.
    #[must_use]
    pub fn issuance_ledger(&self) -> Option<&Path> {
        self.issued.as_deref()
    }

    /// The limits credentials are read and compiled under.
    #[must_use]
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// The definition of the document's credential `name` (one hash lookup).
    pub(crate) fn document_def(&self, name: &str) -> Option<&CredentialDef> {
        self.document.as_ref()?.credential(name)?.definition()
    }

    /// Whether the document's credential `name` is the same in `self` and `other`: both hold
    /// it, alike (one compiled credential shared by both documents, as an update leaves those
    /// it does not change, holds it alike at no cost).
    pub(crate) fn same_document_credential(&self, other: &Trust, name: &str) -> bool {
        match (&self.document, &other.document) {
            (Some(a), Some(b)) if a.shares(b, name) => true,
            _ => self
                .document_def(name)
                .is_some_and(|d| other.document_def(name) == Some(d)),
        }
    }

    /// The leeway for clocks, in seconds.
    #[must_use]
    pub fn leeway(&self) -> u64 {
        self.leeway_seconds
    }

    /// What a fleet of servers shares of this trust, as the text of a trust file that holds
    /// only it: the public keys (retired ones marked), the issuer and the leeway. Signing keys
    /// stay with the servers that mint; the document and the revocations are shared apart.
    /// [`TrustBuilder::from_shared_text`] reads it back.
    #[must_use]
    pub fn shared_text(&self) -> String {
        let keys: Vec<serde_json::Value> = self
            .keys
            .iter()
            .map(|k| {
                let mut jwk: serde_json::Value =
                    serde_json::from_str(&k.key.to_jwk()).unwrap_or_default();
                if k.retired
                    && let Some(o) = jwk.as_object_mut()
                {
                    o.insert("retired".into(), true.into());
                }
                jwk
            })
            .collect();
        let mut file = serde_json::Map::new();
        if let Some(issuer) = &self.issuer {
            file.insert("issuer".into(), issuer.clone().into());
        }
        file.insert("keys".into(), keys.into());
        file.insert("leeway_seconds".into(), self.leeway_seconds.into());
        serde_json::to_string_pretty(&serde_json::Value::Object(file)).unwrap_or_default() + "\n"
    }

    /// Reads a trust file under the default [`Limits`], with its document and signing keys.
    /// Errors name the file and carry line and column.
    pub fn from_file(path: &Path) -> Result<Trust, Error> {
        Trust::from_file_with(path, &Limits::default())
    }

    /// Reads a trust file under `limits`.
    pub fn from_file_with(path: &Path, limits: &Limits) -> Result<Trust, Error> {
        Trust::read_file(path, limits).0
    }

    /// Reads a trust file under `limits`, with the files read (as far as it got), each as it
    /// was read: what a watcher compares the files against.
    pub(crate) fn read_file(path: &Path, limits: &Limits) -> (Result<Trust, Error>, Vec<Source>) {
        let mut sources = Vec::new();
        let trust = Trust::read_into(path, limits, &mut sources);
        (trust, sources)
    }

    fn read_into(path: &Path, limits: &Limits, sources: &mut Vec<Source>) -> Result<Trust, Error> {
        let origin = path.display().to_string();
        let mut read = |p: &Path| {
            let (bytes, source) = read_source(p);
            sources.push(source);
            bytes
        };
        let bytes = read(path)?;
        let text =
            crate::syntax::utf8(&bytes, limits).map_err(|e| e.with_origin(origin.clone()))?;
        let dir = path.parent().unwrap_or(Path::new(""));
        let file =
            read_store_text(text).map_err(|e| e.with_source(text).with_origin(origin.clone()))?;
        let mut builder = Trust::builder()
            .limits(limits.clone())
            .keys_and_issuer(file.keys, file.issuer);
        for rel in file.signing_keys {
            let p = dir.join(&rel);
            let key_bytes = read(&p)?;
            builder = builder.signing_key(SigningKey::from_file_bytes(&p, &key_bytes)?);
        }
        if let Some(rel) = file.document {
            let p = dir.join(&rel);
            let doc_bytes = read(&p)?;
            let compiled = AuthorizerBuilder::default()
                .reader(crate::syntax::Reader::for_path(&p).limits(limits.clone()))
                .read(&doc_bytes)
                .map_err(|e| e.with_origin(p.display().to_string()))?;
            builder = builder.document(compiled);
        }
        if let Some(rel) = file.revocations {
            builder = builder.revocation_log(dir.join(rel));
        }
        if let Some(rel) = file.issued {
            builder = builder.issuance_ledger(dir.join(rel));
        }
        builder = builder.leeway_seconds(file.leeway_seconds);
        #[cfg(test)]
        tests::slow_down();
        let mut trust = builder
            .build()
            .map_err(|e| e.with_source(text).with_origin(origin))?;
        trust.sources.clone_from(sources);
        Ok(trust)
    }
}

struct StoreFile {
    keys: Vec<(PublicKey, bool)>,
    issuer: Option<String>,
    signing_keys: Vec<String>,
    document: Option<String>,
    revocations: Option<String>,
    issued: Option<String>,
    leeway_seconds: u64,
}

const STORE_FIELDS: &[&str] = &[
    "keys",
    "issuer",
    "signing_keys",
    "document",
    "revocations",
    "issued",
    "leeway_seconds",
];

fn read_store_text(text: &str) -> Result<StoreFile, Error> {
    let s = Object::read(text, text, "a trust file", STORE_FIELDS)?;
    let list: Vec<&RawValue> = s.required("keys")?;
    let mut keys = Vec::with_capacity(list.len());
    let mut kids = HashSet::new();
    for raw in list {
        let (key, retired) = PublicKey::from_raw(text, raw)?;
        if !kids.insert(key.kid().to_owned()) {
            return Err(Error::one(
                Diagnostic::new(
                    ErrorKind::Json,
                    span_of(text, raw),
                    format!("the key id `{}` is given twice", key.kid()),
                )
                .with_help("every key of a trust has its own `kid`"),
            ));
        }
        keys.push((key, retired));
    }
    let leeway_seconds = s.optional::<u64>("leeway_seconds")?.unwrap_or(0);
    if leeway_seconds > MAX_LEEWAY_SECONDS
        && let Some(raw) = s.raw("leeway_seconds")?
    {
        return Err(Error::one(
            Diagnostic::new(
                ErrorKind::Json,
                span_of(text, raw),
                format!("a leeway of {leeway_seconds} seconds is more than {MAX_LEEWAY_SECONDS}"),
            )
            .with_help(
                "leeway covers clocks that disagree by seconds; fix a clock that is minutes off",
            ),
        ));
    }
    Ok(StoreFile {
        keys,
        issuer: s.optional("issuer")?,
        signing_keys: s.optional("signing_keys")?.unwrap_or_default(),
        document: s.optional("document")?,
        revocations: s.optional("revocations")?,
        issued: s.optional("issued")?,
        leeway_seconds,
    })
}

/// Where a builder's document comes from.
#[derive(Clone, Debug)]
enum DocumentSource {
    Compiled(Compiled),
    Model(Document),
    Shared(Arc<Authorizer>),
}

/// Builds a [`Trust`] in code.
///
/// ```
/// use fgac::credentials::{SigningKey, Trust};
/// let key = SigningKey::generate(Some("2026-11")).unwrap();
/// let trust = Trust::builder().key(key.public_key()).signing_key(key).issuer("auth.example").build()?;
/// assert_eq!(trust.signer().map(|k| k.kid()), Some("2026-11"));
/// # Ok::<(), fgac::Error>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct TrustBuilder {
    keys: Vec<TrustedKey>,
    issuer: Option<String>,
    signing: Vec<SigningKey>,
    document: Option<DocumentSource>,
    revocations: Option<PathBuf>,
    issued: Option<PathBuf>,
    leeway_seconds: u64,
    limits: Option<Limits>,
}

impl TrustBuilder {
    /// A builder holding what `text` (as [`Trust::shared_text`] writes it) says: public keys,
    /// issuer and leeway. Any other field of a trust file (signing keys, a document, a log:
    /// paths that mean nothing on another machine) is refused with its line and column, as is
    /// everything a trust file refuses.
    pub fn from_shared_text(text: &str) -> Result<TrustBuilder, Error> {
        let file = read_store_text(text).map_err(|e| e.with_source(text))?;
        let local = [
            ("signing_keys", !file.signing_keys.is_empty()),
            ("document", file.document.is_some()),
            ("revocations", file.revocations.is_some()),
            ("issued", file.issued.is_some()),
        ];
        if let Some((field, _)) = local.iter().find(|(_, given)| *given) {
            return Err(Error::one(
                Diagnostic::new(
                    ErrorKind::Json,
                    Span::default(),
                    format!("a shared trust holds keys, issuer and leeway only, not `{field}`"),
                )
                .with_help("signing keys stay with the servers that mint; the document and revocations are shared apart"),
            )
            .with_source(text));
        }
        Ok(Trust::builder()
            .leeway_seconds(file.leeway_seconds)
            .keys_and_issuer(file.keys, file.issuer))
    }

    /// The keys (each with whether it is retired) and the issuer a trust file lists.
    fn keys_and_issuer(
        mut self,
        keys: Vec<(PublicKey, bool)>,
        issuer: Option<String>,
    ) -> TrustBuilder {
        for (key, retired) in keys {
            self = if retired {
                self.retired_key(key)
            } else {
                self.key(key)
            };
        }
        if let Some(issuer) = issuer {
            self = self.issuer(issuer);
        }
        self
    }

    /// A public key credentials may be signed with.
    #[must_use]
    pub fn key(mut self, key: PublicKey) -> TrustBuilder {
        self.keys.push(TrustedKey {
            key,
            retired: false,
        });
        self
    }

    /// A retired key: listed, and refused.
    #[must_use]
    pub fn retired_key(mut self, key: PublicKey) -> TrustBuilder {
        self.keys.push(TrustedKey { key, retired: true });
        self
    }

    /// The issuer every credential must carry.
    #[must_use]
    pub fn issuer(mut self, issuer: impl Into<String>) -> TrustBuilder {
        self.issuer = Some(issuer.into());
        self
    }

    /// A private key to mint and refresh credentials with (the last one given whose public key
    /// is in the trust and not retired signs).
    #[must_use]
    pub fn signing_key(mut self, key: SigningKey) -> TrustBuilder {
        self.signing.push(key);
        self
    }

    /// The document API keys may refer to by name.
    #[must_use]
    pub fn document(mut self, compiled: Compiled) -> TrustBuilder {
        self.document = Some(DocumentSource::Compiled(compiled));
        self
    }

    /// The document API keys may refer to by name, as a model: validated and compiled under the
    /// builder's limits when the trust is built (errors carry the model's spans).
    #[must_use]
    pub fn document_model(mut self, document: Document) -> TrustBuilder {
        self.document = Some(DocumentSource::Model(document));
        self
    }

    /// The document of `trust`, shared (not compiled again): for a trust that changes only its
    /// keys, issuer or leeway. A key ring [replacing](super::Keyring::replace) a trust with one
    /// built so keeps every session of a document credential at no cost.
    #[must_use]
    pub fn document_of(mut self, trust: &Trust) -> TrustBuilder {
        self.document = trust.document.clone().map(DocumentSource::Shared);
        self
    }

    /// The revocation log a key ring opened on this trust appends to and reads.
    #[must_use]
    pub fn revocation_log(mut self, path: impl Into<PathBuf>) -> TrustBuilder {
        self.revocations = Some(path.into());
        self
    }

    /// The issuance ledger a key ring opened on this trust records what it mints and refreshes
    /// in.
    #[must_use]
    pub fn issuance_ledger(mut self, path: impl Into<PathBuf>) -> TrustBuilder {
        self.issued = Some(path.into());
        self
    }

    /// Leeway for clocks, in seconds (at most [`MAX_LEEWAY_SECONDS`]).
    #[must_use]
    pub fn leeway_seconds(mut self, seconds: u64) -> TrustBuilder {
        self.leeway_seconds = seconds;
        self
    }

    /// The limits credentials are read and compiled under (default: [`Limits::default`]).
    #[must_use]
    pub fn limits(mut self, limits: Limits) -> TrustBuilder {
        self.limits = Some(limits);
        self
    }

    /// The trust; refuses two keys with one key id, and a leeway over the maximum.
    pub fn build(self) -> Result<Trust, Error> {
        let mut kids = HashSet::new();
        for k in &self.keys {
            if !kids.insert(k.key.kid()) {
                return Err(Error::one(
                    Diagnostic::new(
                        ErrorKind::Json,
                        Span::default(),
                        format!("the key id `{}` is given twice", k.key.kid()),
                    )
                    .with_help("every key of a trust has its own `kid`"),
                ));
            }
        }
        if self.leeway_seconds > MAX_LEEWAY_SECONDS {
            return Err(Error::one(Diagnostic::new(
                ErrorKind::Json,
                Span::default(),
                format!(
                    "a leeway of {} seconds is more than {MAX_LEEWAY_SECONDS}",
                    self.leeway_seconds
                ),
            )));
        }
        let limits = self.limits.unwrap_or_default();
        let keep = |authorizer: Authorizer, definitions| {
            authorizer
                .with_definitions(definitions)
                .map(Arc::new)
                .map_err(|TooLarge| {
                    Error::one(Diagnostic::new(
                        ErrorKind::Limit {
                            limit: "max_compiled_bytes",
                            value: limits.max_compiled_bytes,
                        },
                        Span::default(),
                        "the document's names do not fit the compiled store's offsets",
                    ))
                })
        };
        let document = match self.document {
            None => None,
            Some(DocumentSource::Compiled(compiled)) => {
                let (loaded, authorizer) = compiled.into_parts();
                Some(keep(authorizer, loaded.document.credentials)?)
            }
            Some(DocumentSource::Model(document)) => {
                let authorizer = AuthorizerBuilder::default()
                    .limits(limits.clone())
                    .compile(&document)?;
                Some(keep(authorizer, document.credentials)?)
            }
            Some(DocumentSource::Shared(shared)) => Some(shared),
        };
        Ok(Trust {
            keys: self.keys,
            issuer: self.issuer,
            signing: self.signing,
            document,
            revocations: self.revocations,
            issued: self.issued,
            leeway_seconds: self.leeway_seconds,
            limits,
            sources: Vec::new(),
        })
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use std::sync::atomic::{AtomicU64, Ordering};

    /// How long each trust read pauses after reading its files and before the trust is built
    /// (milliseconds): a reload slowed on purpose, so that edits land after the files were read
    /// and before the new trust is in force.
    pub(crate) static READ_PAUSE_MS: AtomicU64 = AtomicU64::new(0);

    pub(crate) fn slow_down() {
        let ms = READ_PAUSE_MS.load(Ordering::SeqCst);
        if ms > 0 {
            std::thread::sleep(std::time::Duration::from_millis(ms));
        }
    }
}

#[cfg(test)]
mod shared {
    use super::*;

    #[test]
    fn the_shared_text_reads_back_as_the_same_keys_issuer_and_leeway() {
        let (a, b) = (
            SigningKey::generate(Some("2026-11")).unwrap(),
            SigningKey::generate(Some("2026-05")).unwrap(),
        );
        let trust = Trust::builder()
            .key(a.public_key())
            .retired_key(b.public_key())
            .signing_key(a)
            .issuer("auth.example")
            .leeway_seconds(30)
            .build()
            .unwrap();
        let text = trust.shared_text();
        assert!(!text.contains("\"d\""), "no private key is shared: {text}");
        let back = TrustBuilder::from_shared_text(&text)
            .unwrap()
            .build()
            .unwrap();
        assert_eq!(back.keys(), trust.keys());
        assert_eq!(back.issuer(), Some("auth.example"));
        assert_eq!(back.leeway(), 30);
        assert!(back.signer().is_none() && back.document().is_none());
        // What only means something on one machine is refused by name.
        let local = text.replacen('{', "{\n  \"document\": \"policy.fgac\",", 1);
        let err = TrustBuilder::from_shared_text(&local).unwrap_err();
        assert!(err.to_string().contains("not `document`"), "{err}");
    }
}
