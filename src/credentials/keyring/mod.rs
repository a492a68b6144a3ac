//! The key ring: from a presented string to a compiled credential, once per connection, with a
//! bounded cache, revocation that reaches live connections, and atomic reloads.
//!
//! **State.** The [`Trust`] (keys, issuer, document, limits) sits behind an `ArcSwap`: readers
//! load it without locking and always see one whole trust. Revocations and the registry of live
//! credentials sit behind one mutex, which only first sights, revocations and reloads take.
//!
//! **Cache.** Verified credentials are kept in a sharded map keyed by a keyed hash of their
//! signature (86 characters, whatever the size of the token) and compared in full before use, so
//! a credential seen before costs one short hash, a shard's read lock and one comparison.
//!
//! **Revocation.** Every resolved credential is an `Entry` with a `live` flag; a [`Session`]
//! holds its entry and checks that flag before each decision (one atomic load). Revoking (or a
//! reload that withdraws a key, an issuer or a document credential) clears the flag of every entry
//! it covers, under the registry's mutex, before it returns; a first sight registers its entry
//! under the same mutex, after checking the revocations. So once `revoke` returns, no session and
//! no later resolution allows anything with that credential, its later generations, or anything
//! minted from them ([`lineage`](super::lineage)).
//!
//! **The log.** The revocations a key ring holds only grow, until what each covers has expired:
//! whatever happens to the log file (moved, deleted, cut short, replaced by an older copy), every
//! revocation applied stays in force, and the key ring says so ([`Keyring::revocation_status`](super::Keyring::revocation_status),
//! [`WatchEvent::LogFailed`](super::WatchEvent::LogFailed)). The next revocation writes the log
//! back whole. A log replaced by a compaction, which drops only what has expired, is accepted
//! quietly.

use super::claims::read_claims;
mod cache;
mod log;
mod registry;
mod session;

pub(crate) use registry::covered_until;
pub use registry::{LogHealth, RevocationStatus, Revoked};
pub use session::Session;

use cache::{Cache, lock};
use registry::Registry;
use session::Entry;

use super::jws;
use super::keys::PublicKey;
use super::revocations::LogError;
use super::trust::Trust;
use crate::compile::{AuthorizerBuilder, Update};
use crate::decision::{AuthFailure, Decision, DenyReason, Resource};
use crate::error::Error;
use crate::metrics::{Event, Metrics};
use crate::model::{CredentialDef, Document, Expiry, Span};
use crate::ops::Operation;
use crate::time::Timestamp;
use ahash::AHashMap;
use arc_swap::ArcSwap;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};

/// How many verified credentials a key ring keeps by default.
pub const DEFAULT_CACHE_CAPACITY: usize = 100_000;
/// How often a first sight retries when the trust is replaced under it.
const RETRIES: usize = 3;

/// A whole trust as readers see it, with its keys indexed.
struct State {
    generation: u64,
    trust: Arc<Trust>,
    keys: AHashMap<String, (PublicKey, bool)>,
}

impl State {
    fn new(trust: Trust, generation: u64) -> State {
        let keys = trust
            .keys
            .iter()
            .map(|k| (k.key.kid().to_owned(), (k.key.clone(), k.retired)))
            .collect();
        State {
            generation,
            trust: Arc::new(trust),
            keys,
        }
    }

    /// Whether `e`, verified under `old`, is still valid under `self`: its key is here, the same
    /// and not retired, its issuer is still accepted, the limits are the same, and for a key that
    /// refers to the document, its credential there is unchanged.
    fn keeps(&self, old: &State, e: &Entry) -> bool {
        let key_kept = match (self.keys.get(&*e.kid), old.keys.get(&*e.kid)) {
            (Some((new_key, false)), Some((old_key, _))) => new_key == old_key,
            _ => false,
        };
        let issuer_kept = match &self.trust.issuer {
            None => true,
            Some(required) => e.issuer.as_deref() == Some(required.as_str()),
        };
        let reference_kept =
            !e.reference || self.trust.same_document_credential(&old.trust, &e.subject);
        key_kept && issuer_kept && reference_kept && self.trust.limits == old.trust.limits
    }
}

/// Resolves presented credentials (signed API keys and disposable tokens) against a [`Trust`].
/// `Send + Sync`: share one behind an `Arc` between every connection.
///
/// ```
/// use fgac::credentials::{Keyring, MintOptions, SigningKey, Trust, mint};
/// use fgac::{Authorizer, AuthFailure, Decision, DenyReason, Operation, Resource, Timestamp};
///
/// let signer = SigningKey::generate(Some("k1")).unwrap();
/// let ring = Keyring::new(Trust::builder().key(signer.public_key()).build()?)?;
///
/// // A token minted for a browser, from a key that holds more.
/// let now = Timestamp::from_unix_seconds(1_795_651_200);
/// let authz = Authorizer::from_source(r#"key "svc" { expires never  allow readwrite cache "c" }"#)?;
/// let wanted = fgac::syntax::parse(r#"token "browser" { expires 2026-11-26T01:00:00Z  allow readonly cache "c" item "k" }"#)?;
/// let token = mint(authz.credential("svc").unwrap(), &wanted.credentials[0], &signer, &MintOptions::default(), now, &Default::default()).unwrap();
///
/// let session = ring.resolve(&token, "192.0.2.1".parse().unwrap(), now).unwrap();
/// assert!(session.authorize(Operation::Get, Resource::item("c", b"k"), now).is_allowed());
/// ring.revoke(fgac::credentials::Revocation::Credential(session.id().to_owned()), now)?;
/// assert_eq!(
///     session.authorize(Operation::Get, Resource::item("c", b"k"), now),
///     Decision::Deny(DenyReason::Unauthenticated(AuthFailure::Revoked))
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Keyring {
    state: ArcSwap<State>,
    registry: Mutex<Registry>,
    cache: Cache,
    /// The trust file, for [`Keyring::reload`].
    source: Option<PathBuf>,
    /// The last reload that failed: its error, and the files as it read them (a watcher retries
    /// only once they change again).
    last_failure: Mutex<Option<(String, Vec<super::trust::Source>)>>,
    /// What it counts in, if anything ([`Keyring::with_metrics`]).
    metrics: Option<Arc<Metrics>>,
}

impl std::fmt::Debug for Keyring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keyring")
            .field("generation", &self.state.load().generation)
            .field("cached", &self.cache.len())
            .field("source", &self.source)
            .finish_non_exhaustive()
    }
}

/// The result of a first sight before it is registered.
enum Sight {
    Entry(Arc<Entry>),
    Retry,
}

impl Keyring {
    /// A key ring over `trust`, caching up to [`DEFAULT_CACHE_CAPACITY`] credentials. Reads the
    /// trust's revocation log, if it names one, and applies it: a log that is missing
    /// ([`LogError::Missing`]: it may have been moved or deleted with its revocations) or does
    /// not read is refused. Create a new log with
    /// [`RevocationLog::create`](super::RevocationLog::create) (`fgac revoke --create-log`).
    pub fn new(trust: Trust) -> Result<Keyring, LogError> {
        Keyring::with_cache_capacity(trust, DEFAULT_CACHE_CAPACITY)
    }

    /// A key ring over `trust` caching up to `capacity` credentials (at least one per shard).
    pub fn with_cache_capacity(trust: Trust, capacity: usize) -> Result<Keyring, LogError> {
        let ring = Keyring {
            state: ArcSwap::from_pointee(State::new(trust, 0)),
            registry: Mutex::new(Registry::default()),
            cache: Cache::new(capacity),
            source: None,
            last_failure: Mutex::new(None),
            metrics: None,
        };
        ring.sync_log(&mut lock(&ring.registry), Timestamp::now())?;
        Ok(ring)
    }

    /// A key ring over the trust file at `path` ([`Trust::from_file`]), which
    /// [`Keyring::reload`] and [`Keyring::watch`] read again.
    pub fn open(path: &Path) -> Result<Keyring, OpenError> {
        let trust = Trust::from_file(path).map_err(OpenError::Trust)?;
        let mut ring = Keyring::new(trust).map_err(OpenError::Log)?;
        ring.source = Some(path.to_owned());
        Ok(ring)
    }

    /// Counts in `metrics` from now on: every resolution (and whether the cache knew the
    /// credential), every decision of its sessions and of [`Keyring::authorize`], cache
    /// evictions, trusts applied and refused, revocations applied and sessions withdrawn. Call it
    /// before sharing the key ring; without it nothing is counted and nothing is paid.
    #[must_use]
    pub fn with_metrics(mut self, metrics: Arc<Metrics>) -> Keyring {
        // Credentials verified before count nowhere: forget them (they are verified again).
        self.cache.clear();
        self.metrics = Some(metrics);
        self
    }

    /// What the key ring counts in, if it counts.
    #[must_use]
    pub fn metrics(&self) -> Option<&Arc<Metrics>> {
        self.metrics.as_ref()
    }

    /// Counts `n` revocations applied.
    pub(super) fn count_revocations(&self, n: usize) {
        self.count(Event::RevocationApplied, n as u64);
    }

    /// Counts `event` when the key ring counts.
    fn count(&self, event: Event, n: u64) {
        if let Some(m) = &self.metrics
            && n > 0
        {
            m.record_events(event, n);
        }
    }

    /// The trust in force.
    #[must_use]
    pub fn trust(&self) -> Arc<Trust> {
        Arc::clone(&self.state.load().trust)
    }

    /// How many times the trust has been replaced.
    #[must_use]
    pub fn generation(&self) -> u64 {
        self.state.load().generation
    }

    /// How many credentials the cache holds.
    #[must_use]
    pub fn cached(&self) -> usize {
        self.cache.len()
    }

    /// Resolves what a client at `peer` presented, at `now`: a [`Session`] to authorize its
    /// requests with, or why it is refused. A credential seen before costs a hash of its
    /// signature, a lookup and a comparison; a first sight verifies, reads, validates and
    /// compiles it. Never panics; every failure refuses.
    pub fn resolve(
        &self,
        presented: &str,
        peer: IpAddr,
        now: Timestamp,
    ) -> Result<Session, AuthFailure> {
        let resolved = self.resolve_uncounted(presented, peer, now);
        if let Some(m) = &self.metrics {
            m.record_resolution(resolved.as_ref().map(|_| ()).map_err(|e| *e));
        }
        resolved
    }

    #[inline]
    fn resolve_uncounted(
        &self,
        presented: &str,
        peer: IpAddr,
        now: Timestamp,
    ) -> Result<Session, AuthFailure> {
        let entry = match self.cache.get(presented) {
            Some(e) => {
                self.count(Event::CacheHit, 1);
                e
            }
            None => {
                self.count(Event::CacheMiss, 1);
                self.first_sight(presented, now)?
            }
        };
        entry.admit(peer, now)?;
        Ok(Session { entry })
    }

    /// Resolves and decides in one call, for a request that presents its credential itself:
    /// refusals are [`DenyReason::Unauthenticated`].
    pub fn authorize(
        &self,
        presented: &str,
        peer: IpAddr,
        op: Operation,
        resource: Resource<'_>,
        now: Timestamp,
    ) -> Decision {
        match self.resolve(presented, peer, now) {
            Ok(session) => session.authorize(op, resource, now),
            Err(why) => {
                let refused = Decision::Deny(DenyReason::Unauthenticated(why));
                if let Some(m) = &self.metrics {
                    m.record_decision(op, refused);
                }
                refused
            }
        }
    }

    fn first_sight(&self, presented: &str, now: Timestamp) -> Result<Arc<Entry>, AuthFailure> {
        for _ in 0..RETRIES {
            match self.try_first_sight(presented, now)? {
                Sight::Entry(e) => return Ok(e),
                Sight::Retry => continue,
            }
        }
        // The trust kept changing under a credential that its successive versions each
        // withdrew: refuse, as the last of them would.
        Err(AuthFailure::Revoked)
    }

    fn try_first_sight(&self, presented: &str, now: Timestamp) -> Result<Sight, AuthFailure> {
        let state = self.state.load_full();
        let trust = &state.trust;
        let parts = jws::split(presented, trust.limits.max_token_bytes)?;
        let (key, retired) = state.keys.get(&parts.kid).ok_or(AuthFailure::UnknownKey)?;
        if *retired {
            return Err(AuthFailure::RetiredKey);
        }
        if !key.verify(parts.signed.as_bytes(), &parts.signature) {
            return Err(AuthFailure::BadSignature);
        }
        let text = jws::claims_text(&parts)?;
        let claims = read_claims(&text, &trust.limits).map_err(|_| AuthFailure::InvalidClaims)?;
        if let Some(required) = &trust.issuer
            && claims.issuer.as_deref() != Some(required.as_str())
        {
            return Err(AuthFailure::WrongIssuer);
        }
        let starts = claims
            .not_before
            .map_or(claims.issued_at, |nbf| nbf.max(claims.issued_at));
        let valid_from = Timestamp::from_unix_seconds(
            starts.unix_seconds().saturating_sub(trust.leeway_seconds),
        );
        if claims.expiry.is_expired(now) {
            return Err(AuthFailure::Expired);
        }
        // Refuse a revoked credential before compiling it (replays of revoked tokens stay
        // cheap); the check that decides is the one under the same lock as registering, below.
        let lineage: Box<[Box<str>]> = claims.lineage.iter().map(|a| a.as_str().into()).collect();
        if lock(&self.registry)
            .revocations
            .revokes(&claims.id, &lineage, &parts.kid)
        {
            return Err(AuthFailure::Revoked);
        }
        let reference = claims.permissions.is_none();
        let until = covered_until(claims.expiry, claims.refresh);
        let credential = match claims.permissions {
            Some(permissions) => {
                let def = CredentialDef {
                    name: claims.subject.clone(),
                    kind: claims.kind,
                    expiry: claims.expiry,
                    token_id: claims.token_id,
                    permissions,
                    account: claims.account,
                    networks: claims.networks,
                    span: Span::default(),
                };
                let doc = Document {
                    credentials: vec![def],
                };
                AuthorizerBuilder::default()
                    .limits(trust.limits.clone())
                    .compile(&doc)
                    .map_err(|_| AuthFailure::InvalidClaims)?
                    .into_credentials()
                    .pop()
                    .ok_or(AuthFailure::InvalidClaims)?
            }
            None => {
                let document = trust
                    .document
                    .as_ref()
                    .ok_or(AuthFailure::UnknownCredential)?;
                let c = document
                    .credential(&claims.subject)
                    .ok_or(AuthFailure::UnknownCredential)?;
                let expiry = match (c.expiry(), claims.expiry) {
                    (Expiry::Never, e) | (e, Expiry::Never) => e,
                    (Expiry::At(a), Expiry::At(b)) => Expiry::At(a.min(b)),
                };
                c.with_expiry(expiry)
            }
        };
        let entry = Arc::new(Entry {
            hash: self.cache.hash(presented),
            token: presented.into(),
            id: claims.id.into(),
            kid: parts.kid.into(),
            issuer: claims.issuer.map(Into::into),
            subject: claims.subject.into(),
            reference,
            lineage,
            refresh: claims.refresh,
            covered_until: until,
            valid_from,
            credential,
            live: AtomicBool::new(true),
            metrics: self.metrics.clone(),
        });
        let mut registry = lock(&self.registry);
        let current = self.state.load();
        if current.generation != state.generation && !current.keeps(&state, &entry) {
            return Ok(Sight::Retry);
        }
        if registry.is_revoked(&entry) {
            return Err(AuthFailure::Revoked);
        }
        registry.register(&entry);
        let evicted = self.cache.insert(Arc::clone(&entry));
        self.count(Event::CacheEviction, evicted as u64);
        Ok(Sight::Entry(entry))
    }

    /// Replaces the trust: readers switch to `trust` whole, never seeing half of each. Before
    /// returning, withdraws every session and cached credential the new trust no longer accepts
    /// (its key removed, replaced or retired, its issuer no longer accepted, its document
    /// credential changed or removed, or the limits changed), and applies the new trust's
    /// revocation log. The revocations held stay in force whatever log the new trust names.
    pub fn replace(&self, trust: Trust) -> Result<(), LogError> {
        let mut registry = lock(&self.registry);
        let old = self.state.load_full();
        let leeway_changed = old.trust.leeway_seconds != trust.leeway_seconds;
        let new = Arc::new(State::new(trust, old.generation + 1));
        self.state.store(Arc::clone(&new));
        let withdrawn: Vec<Arc<Entry>> =
            registry.entries().filter(|e| !new.keeps(&old, e)).collect();
        for e in withdrawn {
            e.kill();
            self.cache.remove(&e);
        }
        if leeway_changed {
            // Entries carry the leeway they were verified with.
            self.cache.clear();
        }
        self.count(Event::ReloadApplied, 1);
        self.sync_log(&mut registry, Timestamp::now()).map(|_| ())
    }

    /// Changes the trust's document by `update` ([`Trust::update_document`]) and puts the result
    /// in force, as [`Keyring::replace`] would, at the cost of what it changes: only the
    /// credentials put are compiled, and only the sessions and cached keys that refer to a
    /// credential put or removed are looked at. Each of those is withdrawn unless its credential
    /// is the same as before (put again unchanged); every other stays valid. Refused, with the
    /// trust in force unchanged, as the update is.
    ///
    /// ```
    /// use fgac::credentials::{Keyring, MintOptions, SigningKey, Trust, sign_reference};
    /// use fgac::{Authorizer, Limits, Operation, Resource, Timestamp, Update};
    /// use fgac::model::Expiry;
    ///
    /// let signer = SigningKey::generate(Some("k1")).unwrap();
    /// let document = Authorizer::builder().read(br#"
    ///     key "web" { expires never  allow readonly cache "c" }
    ///     key "ops" { expires never  allow readwrite cache "c" }
    /// "#)?;
    /// let trust = Trust::builder().key(signer.public_key()).document(document).build()?;
    /// let ring = Keyring::new(trust)?;
    /// let now = Timestamp::from_unix_seconds(1_795_651_200);
    /// let peer = "192.0.2.1".parse().unwrap();
    /// let key = |name| sign_reference(name, Expiry::Never, &signer, &MintOptions::default(), now, &Limits::default()).unwrap();
    /// let (web, ops) = (ring.resolve(&key("web"), peer, now).unwrap(), ring.resolve(&key("ops"), peer, now).unwrap());
    ///
    /// let change = fgac::syntax::parse(r#"key "ops" { expires never  allow readonly cache "c" }"#)?;
    /// ring.update_document(&Update::new().put_all(change.credentials))?;
    /// let item = Resource::item("c", b"k");
    /// assert!(!ops.authorize(Operation::Get, item, now).is_allowed()); // withdrawn: it changed
    /// assert!(web.authorize(Operation::Get, item, now).is_allowed()); // left alone
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn update_document(&self, update: &Update) -> Result<(), Error> {
        let registry = lock(&self.registry);
        let old = self.state.load_full();
        let trust = old.trust.update_document(update)?;
        let new = Arc::new(State::new(trust, old.generation + 1));
        self.state.store(Arc::clone(&new));
        let changed = update
            .removes()
            .iter()
            .map(String::as_str)
            .chain(update.puts().iter().map(|c| c.name.as_str()));
        let mut withdrawn = Vec::new();
        for name in changed {
            withdrawn.extend(registry.referring_to(name).filter(|e| !new.keeps(&old, e)));
        }
        for e in withdrawn {
            e.kill();
            self.cache.remove(&e);
        }
        self.count(Event::ReloadApplied, 1);
        Ok(())
    }

    /// Reads the trust file again ([`Keyring::open`]) and replaces the trust with it, and
    /// applies new lines of the revocation log. On an error (the file does not parse or
    /// validate, a key file is missing), keeps the trust in force and returns the error, with
    /// its file, line and column; [`Keyring::last_error`] keeps it too.
    pub fn reload(&self) -> Result<(), ReloadError> {
        let Some(path) = &self.source else {
            return Err(ReloadError::NoFile);
        };
        let limits = self.state.load().trust.limits.clone();
        let (read, sources) = Trust::read_file(path, &limits);
        let outcome = match read {
            Ok(trust) => self.replace(trust).map_err(ReloadError::Log),
            Err(e) => Err(ReloadError::Trust(e)),
        };
        *lock(&self.last_failure) = match &outcome {
            Err(ReloadError::Trust(e)) => {
                self.count(Event::ReloadRefused, 1);
                Some((e.to_string(), sources))
            }
            _ => None,
        };
        outcome
    }

    /// Applies lines appended to the revocation log since it was last read; returns how many
    /// new revocations that was. Costs one `stat` of the log when nothing changed, so that a
    /// process may call it before every decision that must see revocations made by others (as
    /// `fgac decide --trust` does for every line).
    pub fn refresh_revocations(&self) -> Result<usize, LogError> {
        self.sync_log(&mut lock(&self.registry), Timestamp::now())
    }

    /// The error of the last reload, if the last reload failed to read the trust.
    #[must_use]
    pub fn last_error(&self) -> Option<String> {
        lock(&self.last_failure).as_ref().map(|(e, _)| e.clone())
    }

    /// The files of the last reload that failed, as it read them.
    pub(crate) fn failed_sources(&self) -> Option<Vec<super::trust::Source>> {
        lock(&self.last_failure).as_ref().map(|(_, s)| s.clone())
    }

    /// Whether the trust was opened from a file.
    pub(crate) fn has_source(&self) -> bool {
        self.source.is_some()
    }
}

/// Why [`Keyring::open`] failed.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// The trust file (or its document or a key file) does not read.
    #[error("{0}")]
    Trust(Error),
    /// The revocation log does not open or read.
    #[error("{0}")]
    Log(LogError),
}

/// Why [`Keyring::reload`] kept the trust in force.
#[derive(Debug, thiserror::Error)]
pub enum ReloadError {
    /// The key ring was not opened from a file.
    #[error("the key ring was not opened from a trust file")]
    NoFile,
    /// The trust file (or its document or a key file) does not read.
    #[error("{0}")]
    Trust(Error),
    /// The revocation log does not read.
    #[error("{0}")]
    Log(LogError),
}
