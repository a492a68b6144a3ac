//! The key ring: from a presented string to a compiled credential, once per connection, with a
//! bounded cache, revocation that reaches live connections, and atomic reloads.
//!
//! **State.** The [`Store`] (keys, issuer, document, limits) sits behind an `ArcSwap`: readers
//! load it without locking and always see one whole store. Revocations and the registry of live
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
//! revocation applied stays in force, and the key ring says so ([`Keyring::revocation_status`],
//! [`WatchEvent::LogFailed`](super::WatchEvent::LogFailed)). The next revocation writes the log
//! back whole. A log replaced by a compaction, which drops only what has expired, is accepted
//! quietly.

use super::claims::{RefreshClaims, read_claims};
use super::jws;
use super::keys::PublicKey;
use super::ledger::{self, Ledger};
use super::lineage;
use super::linefile::{self, Identity};
use super::revocations::{
    self, HEADER, LogError, LogView, Revocation, RevocationRecord, RevocationSet,
};
use super::store::Store;
use crate::compile::AuthorizerBuilder;
use crate::decision::{AuthFailure, BatchDecision, Decision, DenyReason, Resource};
use crate::engine::Credential;
use crate::error::Error;
use crate::model::{CredentialDef, Document, Expiry, Span};
use crate::ops::{Need, Operation};
use crate::time::Timestamp;
use ahash::AHashMap;
use arc_swap::ArcSwap;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock, Weak};

/// How many verified credentials a key ring keeps by default.
pub const DEFAULT_CACHE_CAPACITY: usize = 100_000;
const SHARDS: usize = 16;
/// How often a first sight retries when the store is replaced under it.
const RETRIES: usize = 3;

/// One verified credential, shared by the cache and by every session that resolved it.
pub(crate) struct Entry {
    token: Box<str>,
    hash: u64,
    id: Box<str>,
    kid: Box<str>,
    issuer: Option<Box<str>>,
    subject: Box<str>,
    /// An API key that refers to the store's document for its permissions.
    reference: bool,
    /// Its ancestors' ids, root first (its `lineage` claim).
    lineage: Box<[Box<str>]>,
    /// How it may be refreshed (an API key minted by a key ring).
    pub(crate) refresh: Option<RefreshClaims>,
    /// When everything a revocation of it covers has expired (see [`Entry::covered_until`]).
    covered_until: Expiry,
    /// When it becomes valid: the later of `iat` and `nbf`, less the store's leeway.
    valid_from: Timestamp,
    credential: Credential,
    live: AtomicBool,
}

impl Entry {
    /// Whether a client at `peer` may use it at `now`.
    fn admit(&self, peer: IpAddr, now: Timestamp) -> Result<(), AuthFailure> {
        if !self.live.load(Ordering::SeqCst) {
            return Err(AuthFailure::Revoked);
        }
        if self.credential.expiry().is_expired(now) {
            return Err(AuthFailure::Expired);
        }
        if now < self.valid_from {
            return Err(AuthFailure::NotYetValid);
        }
        if !self.credential.allows_peer(peer) {
            return Err(AuthFailure::NetworkNotAllowed);
        }
        Ok(())
    }

    fn kill(&self) {
        self.live.store(false, Ordering::SeqCst);
    }
}

/// When everything a revocation of a credential with these claims covers has expired: for a key
/// that may be refreshed, the latest its successors may live; otherwise its own expiry (what is
/// minted from it expires no later).
pub(crate) fn covered_until(expiry: Expiry, refresh: Option<RefreshClaims>) -> Expiry {
    refresh.map_or(expiry, |r| r.until)
}

/// A presented credential resolved for one connection: resolve once, then authorize each
/// request. Cheap to clone (one reference count).
///
/// Each decision first checks that the credential has not been revoked since (one atomic load),
/// so a revocation reaches live connections on their next request.
#[derive(Clone)]
pub struct Session {
    entry: Arc<Entry>,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("id", &self.entry.id)
            .field("kid", &self.entry.kid)
            .field("subject", &self.entry.subject)
            .field("live", &self.is_live())
            .finish_non_exhaustive()
    }
}

impl Session {
    /// Decides whether this credential may do `op` on `resource` at `now`: denied with
    /// [`AuthFailure::Revoked`] once the credential is revoked, otherwise as
    /// [`Credential::authorize`] decides. Never fails, never panics, never allocates.
    #[inline]
    pub fn authorize(&self, op: Operation, resource: Resource<'_>, now: Timestamp) -> Decision {
        if !self.entry.live.load(Ordering::SeqCst) {
            return Decision::Deny(DenyReason::Unauthenticated(AuthFailure::Revoked));
        }
        self.entry.credential.authorize(op, resource, now)
    }

    /// As [`Credential::authorize_need`], after the revocation check.
    #[inline]
    pub fn authorize_need(&self, need: Need, resource: Resource<'_>, now: Timestamp) -> Decision {
        if !self.entry.live.load(Ordering::SeqCst) {
            return Decision::Deny(DenyReason::Unauthenticated(AuthFailure::Revoked));
        }
        self.entry.credential.authorize_need(need, resource, now)
    }

    /// As [`Credential::authorize_batch`], after the revocation check.
    pub fn authorize_batch<'k>(
        &self,
        op: Operation,
        cache: &str,
        keys: impl IntoIterator<Item = &'k [u8]>,
        now: Timestamp,
    ) -> BatchDecision {
        if !self.entry.live.load(Ordering::SeqCst) {
            let reason = DenyReason::Unauthenticated(AuthFailure::Revoked);
            return BatchDecision::Deny { index: 0, reason };
        }
        self.entry.credential.authorize_batch(op, cache, keys, now)
    }

    /// Whether the credential is still in force (not revoked or withdrawn).
    #[must_use]
    pub fn is_live(&self) -> bool {
        self.entry.live.load(Ordering::SeqCst)
    }

    /// The compiled credential (for a key that refers to the store's document, that credential,
    /// expiring no later than the key).
    #[must_use]
    pub fn credential(&self) -> &Credential {
        &self.entry.credential
    }

    /// The credential's id (`jti`), what [`Revocation::Credential`] names.
    #[must_use]
    pub fn id(&self) -> &str {
        &self.entry.id
    }

    /// The id of the key that signed it.
    #[must_use]
    pub fn kid(&self) -> &str {
        &self.entry.kid
    }

    /// The credential's name (`sub`).
    #[must_use]
    pub fn subject(&self) -> &str {
        &self.entry.subject
    }

    /// The token as presented, for refreshing it.
    pub(crate) fn token(&self) -> &str {
        &self.entry.token
    }

    /// Whether this is an API key that takes its permissions from the store's document.
    #[must_use]
    pub fn is_reference(&self) -> bool {
        self.entry.reference
    }

    /// The ids of the credentials it was minted from, root first (empty for a credential not
    /// minted by a key ring). Revoking any of them, or an earlier generation of one, revokes it.
    #[must_use]
    pub fn lineage(&self) -> impl ExactSizeIterator<Item = &str> {
        self.entry.lineage.iter().map(|a| &**a)
    }

    /// For an API key that may be refreshed, the latest a refreshed successor may expire.
    #[must_use]
    pub fn refreshable_until(&self) -> Option<Expiry> {
        self.entry.refresh.map(|r| r.until)
    }

    pub(crate) fn entry(&self) -> &Entry {
        &self.entry
    }
}

/// A whole store as readers see it, with its keys indexed.
struct State {
    generation: u64,
    store: Arc<Store>,
    keys: AHashMap<String, (PublicKey, bool)>,
}

impl State {
    fn new(store: Store, generation: u64) -> State {
        let keys = store
            .keys
            .iter()
            .map(|k| (k.key.kid().to_owned(), (k.key.clone(), k.retired)))
            .collect();
        State {
            generation,
            store: Arc::new(store),
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
        let issuer_kept = match &self.store.issuer {
            None => true,
            Some(required) => e.issuer.as_deref() == Some(required.as_str()),
        };
        let reference_kept =
            !e.reference || self.store.same_document_credential(&old.store, &e.subject);
        key_kept && issuer_kept && reference_kept && self.store.limits == old.store.limits
    }
}

/// Revocations, every entry a session or the cache may hold, and what was applied of the log.
#[derive(Default)]
struct Registry {
    revocations: RevocationSet,
    live: Vec<Weak<Entry>>,
    /// The registry's length after its last pruning.
    pruned: usize,
    /// The log followed: its path, and how much of which file was applied.
    log_path: Option<PathBuf>,
    view: LogView,
    health: LogHealth,
}

impl Registry {
    fn is_revoked(&self, e: &Entry) -> bool {
        self.revocations.revokes(&e.id, &e.lineage, &e.kid)
    }

    fn covers(r: &Revocation, e: &Entry) -> bool {
        match r {
            Revocation::Credential(id) => lineage::covered(id, &e.id, &e.lineage),
            Revocation::Key(kid) => *e.kid == **kid,
        }
    }

    /// The entries still held somewhere.
    fn entries(&self) -> impl Iterator<Item = Arc<Entry>> + '_ {
        self.live.iter().filter_map(Weak::upgrade)
    }

    fn register(&mut self, e: &Arc<Entry>) {
        self.live.push(Arc::downgrade(e));
        if self.live.len() >= 2 * self.pruned.max(1024) {
            self.live.retain(|w| w.strong_count() > 0);
            self.pruned = self.live.len();
        }
    }
}

/// The state of the revocation log a key ring follows.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum LogHealth {
    /// The store names no revocation log: revocations live in memory only.
    #[default]
    NoLog,
    /// The log holds every revocation in force that the key ring applied.
    Ok,
    /// The log is not where the store says: it was moved or deleted. Every revocation applied
    /// stays in force; the next revocation writes the log back whole.
    Missing,
    /// The log was replaced, cut short or rewritten, and lacks this many revocations still in
    /// force. They stay in force; the next revocation writes the log back whole.
    Diverged {
        /// How many revocations in force it lacks.
        lost: usize,
    },
    /// The log does not read (an I/O error, or lines that are not revocations); what it held
    /// before stays in force. The message says why.
    Unreadable(String),
}

/// What a key ring knows of its revocations ([`Keyring::revocation_status`]).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct RevocationStatus {
    /// The log followed, if the store names one.
    pub log: Option<PathBuf>,
    /// The log's state.
    pub health: LogHealth,
    /// How many revocations are held (see [`Keyring::forget_expired_revocations`]).
    pub held: usize,
}

/// What a revocation did ([`Keyring::revoke`]).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Revoked {
    /// The line written: what, when, and until when it matters.
    pub record: RevocationRecord,
    /// Sessions and cached credentials of this process it withdrew.
    pub withdrawn: usize,
    /// For a credential, the credentials other than it that it covers and that have not expired,
    /// according to the store's issuance ledger (`None` without a ledger).
    pub descendants: Option<usize>,
    /// Whether the log had to be written back whole (it was missing, or lacked revocations in
    /// force).
    pub restored: bool,
}

/// One shard of the cache: entries by the hash of their signature.
type Shard = RwLock<AHashMap<u64, Arc<Entry>>>;

/// The verified credentials seen recently.
struct Cache {
    shards: Box<[Shard]>,
    hasher: ahash::RandomState,
    per_shard: usize,
}

fn read<T>(lock: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(PoisonError::into_inner)
}

fn write<T>(lock: &RwLock<T>) -> std::sync::RwLockWriteGuard<'_, T> {
    lock.write().unwrap_or_else(PoisonError::into_inner)
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Cache {
    fn new(capacity: usize) -> Cache {
        Cache {
            shards: (0..SHARDS).map(|_| RwLock::default()).collect(),
            hasher: ahash::RandomState::new(),
            per_shard: capacity.div_ceil(SHARDS).max(1),
        }
    }

    #[inline]
    fn hash(&self, token: &str) -> u64 {
        self.hasher
            .hash_one(jws::signature_segment(token).as_bytes())
    }

    #[inline]
    fn shard(&self, hash: u64) -> &Shard {
        &self.shards[(hash as usize) % SHARDS]
    }

    #[inline]
    fn get(&self, token: &str) -> Option<Arc<Entry>> {
        let hash = self.hash(token);
        read(self.shard(hash))
            .get(&hash)
            .filter(|e| *e.token == *token)
            .cloned()
    }

    fn insert(&self, entry: Arc<Entry>, now: Timestamp) {
        let mut shard = write(self.shard(entry.hash));
        if shard.len() >= self.per_shard {
            shard.retain(|_, e| {
                e.live.load(Ordering::SeqCst) && !e.credential.expiry().is_expired(now)
            });
        }
        if shard.len() >= self.per_shard {
            // Still full of valid entries: let an eighth go (the map's order is random), so
            // that eviction costs O(1) per insertion over time. An evicted credential is
            // verified again when next seen, and sessions holding it are not affected.
            let excess = (self.per_shard / 8).max(1);
            let victims: Vec<u64> = shard.keys().take(excess).copied().collect();
            for k in victims {
                shard.remove(&k);
            }
        }
        shard.insert(entry.hash, entry);
    }

    fn remove(&self, entry: &Arc<Entry>) {
        let mut shard = write(self.shard(entry.hash));
        if shard
            .get(&entry.hash)
            .is_some_and(|e| Arc::ptr_eq(e, entry))
        {
            shard.remove(&entry.hash);
        }
    }

    fn clear(&self) {
        for shard in self.shards.iter() {
            write(shard).clear();
        }
    }

    fn len(&self) -> usize {
        self.shards.iter().map(|s| read(s).len()).sum()
    }
}

/// Resolves presented credentials (signed API keys and disposable tokens) against a [`Store`].
/// `Send + Sync`: share one behind an `Arc` between every connection.
///
/// ```
/// use fgac::credentials::{Keyring, MintOptions, SigningKey, Store, mint};
/// use fgac::{Authorizer, AuthFailure, Decision, DenyReason, Operation, Resource, Timestamp};
///
/// let signer = SigningKey::generate(Some("k1")).unwrap();
/// let ring = Keyring::new(Store::builder().key(signer.public_key()).build()?)?;
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
    /// The store file, for [`Keyring::reload`].
    source: Option<PathBuf>,
    /// The last reload that failed: its error, and the files as it read them (a watcher retries
    /// only once they change again).
    last_failure: Mutex<Option<(String, Vec<super::store::Source>)>>,
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
    /// A key ring over `store`, caching up to [`DEFAULT_CACHE_CAPACITY`] credentials. Reads the
    /// store's revocation log, if it names one, and applies it: a log that is missing
    /// ([`LogError::Missing`]: it may have been moved or deleted with its revocations) or does
    /// not read is refused. Create a new log with
    /// [`RevocationLog::create`](super::RevocationLog::create) (`fgac revoke --create-log`).
    pub fn new(store: Store) -> Result<Keyring, LogError> {
        Keyring::with_cache_capacity(store, DEFAULT_CACHE_CAPACITY)
    }

    /// A key ring over `store` caching up to `capacity` credentials (at least one per shard).
    pub fn with_cache_capacity(store: Store, capacity: usize) -> Result<Keyring, LogError> {
        let ring = Keyring {
            state: ArcSwap::from_pointee(State::new(store, 0)),
            registry: Mutex::new(Registry::default()),
            cache: Cache::new(capacity),
            source: None,
            last_failure: Mutex::new(None),
        };
        ring.sync_log(&mut lock(&ring.registry), Timestamp::now())?;
        Ok(ring)
    }

    /// A key ring over the store file at `path` ([`Store::from_file`]), which
    /// [`Keyring::reload`] and [`Keyring::watch`] read again.
    pub fn open(path: &Path) -> Result<Keyring, OpenError> {
        let store = Store::from_file(path).map_err(OpenError::Store)?;
        let mut ring = Keyring::new(store).map_err(OpenError::Log)?;
        ring.source = Some(path.to_owned());
        Ok(ring)
    }

    /// The store in force.
    #[must_use]
    pub fn store(&self) -> Arc<Store> {
        Arc::clone(&self.state.load().store)
    }

    /// How many times the store has been replaced.
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
        let entry = match self.cache.get(presented) {
            Some(e) => e,
            None => self.first_sight(presented, now)?,
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
            Err(why) => Decision::Deny(DenyReason::Unauthenticated(why)),
        }
    }

    fn first_sight(&self, presented: &str, now: Timestamp) -> Result<Arc<Entry>, AuthFailure> {
        for _ in 0..RETRIES {
            match self.try_first_sight(presented, now)? {
                Sight::Entry(e) => return Ok(e),
                Sight::Retry => continue,
            }
        }
        // The store kept changing under a credential that its successive versions each
        // withdrew: refuse, as the last of them would.
        Err(AuthFailure::Revoked)
    }

    fn try_first_sight(&self, presented: &str, now: Timestamp) -> Result<Sight, AuthFailure> {
        let state = self.state.load_full();
        let store = &state.store;
        let parts = jws::split(presented, store.limits.max_token_bytes)?;
        let (key, retired) = state.keys.get(&parts.kid).ok_or(AuthFailure::UnknownKey)?;
        if *retired {
            return Err(AuthFailure::RetiredKey);
        }
        if !key.verify(parts.signed.as_bytes(), &parts.signature) {
            return Err(AuthFailure::BadSignature);
        }
        let text = jws::claims_text(&parts)?;
        let claims = read_claims(&text, &store.limits).map_err(|_| AuthFailure::InvalidClaims)?;
        if let Some(required) = &store.issuer
            && claims.issuer.as_deref() != Some(required.as_str())
        {
            return Err(AuthFailure::WrongIssuer);
        }
        let starts = claims
            .not_before
            .map_or(claims.issued_at, |nbf| nbf.max(claims.issued_at));
        let valid_from = Timestamp::from_unix_seconds(
            starts.unix_seconds().saturating_sub(store.leeway_seconds),
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
                    .limits(store.limits.clone())
                    .compile(&doc)
                    .map_err(|_| AuthFailure::InvalidClaims)?
                    .into_credentials()
                    .pop()
                    .ok_or(AuthFailure::InvalidClaims)?
            }
            None => {
                let document = store
                    .document
                    .as_ref()
                    .ok_or(AuthFailure::UnknownCredential)?;
                let c = document
                    .authorizer()
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
        self.cache.insert(Arc::clone(&entry), now);
        Ok(Sight::Entry(entry))
    }

    /// Revokes a credential (with its later generations and everything minted from them) or a
    /// signing key at `now`. When the store names a revocation log, returns only once the
    /// revocation is on disk (under the log's lock, on a fresh line); when the log is missing or
    /// lacks revocations in force, it is written back whole first. Then, before returning,
    /// withdraws every session and cached credential it covers: every later resolution of a
    /// covered credential is refused, and every live session's next decision is a deny.
    ///
    /// The line records until when the revocation matters (see [`RevocationRecord::until`]):
    /// what this key ring or the store's issuance ledger knows of the credential, else never.
    pub fn revoke(&self, revocation: Revocation, now: Timestamp) -> Result<Revoked, LogError> {
        let state = self.state.load();
        let mut registry = lock(&self.registry);
        let (until, descendants) = self.reach(&registry, &state.store, &revocation, now);
        let record = RevocationRecord {
            revocation,
            at: now,
            until,
        };
        let restored = match state.store.revocations.clone() {
            None => false,
            Some(path) => self.write(&mut registry, &path, &record, now)?,
        };
        registry.revocations.insert(&record);
        let withdrawn = self.apply(&registry, &record.revocation);
        Ok(Revoked {
            record,
            withdrawn,
            descendants,
            restored,
        })
    }

    /// Until when a revocation matters, and how many live descendants the ledger knows of.
    fn reach(
        &self,
        registry: &Registry,
        store: &Store,
        revocation: &Revocation,
        now: Timestamp,
    ) -> (Expiry, Option<usize>) {
        let Revocation::Credential(id) = revocation else {
            return (Expiry::Never, None);
        };
        let from_ledger = store
            .issued
            .as_deref()
            .and_then(|path| Ledger::read(path).ok())
            .map(|records| {
                let (live, until) = ledger::covered(&records, id, now);
                (live.len(), until)
            });
        // What this process resolved of the credential itself.
        let seen = registry
            .entries()
            .filter(|e| *e.id == **id)
            .map(|e| e.covered_until)
            .reduce(revocations::later);
        let until = match (from_ledger.map(|(_, u)| u), seen) {
            (Some(Expiry::At(a)), Some(b)) => revocations::later(Expiry::At(a), b),
            (Some(Expiry::At(a)), None) => Expiry::At(a),
            (_, Some(b)) => b,
            (Some(Expiry::Never) | None, None) => Expiry::Never,
        };
        (until, from_ledger.map(|(n, _)| n))
    }

    /// Writes `record` to the log at `path` under its lock: appended on a fresh line, or, when
    /// the log is missing or lacks revocations in force, with every revocation in force in a
    /// new log renamed over it. Returns whether the log was written back whole.
    fn write(
        &self,
        registry: &mut Registry,
        path: &Path,
        record: &RevocationRecord,
        now: Timestamp,
    ) -> Result<bool, LogError> {
        let line = record.line()?;
        let locked = revocations::lock(path)?;
        // Under the lock: apply what other processes appended, so that a log written back
        // holds it too. What this finds wrong is in the health, which decides below.
        let _ = self.sync_log(registry, now);
        if !matches!(
            registry.health,
            LogHealth::Missing | LogHealth::Diverged { .. }
        ) {
            let done = locked
                .append(&line, true)
                .map_err(|e| LogError::io(path, e))?;
            registry.view.identity = Some(done.identity);
            registry.view.applied = done.identity.len;
            registry.view.last_line = line.into_bytes();
            return Ok(false);
        }
        let mut text = String::from(HEADER);
        for r in registry.revocations.in_force(now) {
            text.push_str(&r.line()?);
        }
        text.push_str(&line);
        let identity = locked.replace(&text).map_err(|e| LogError::io(path, e))?;
        registry.view = LogView::default();
        registry.view.advance(identity, 0, text.as_bytes());
        registry.health = LogHealth::Ok;
        Ok(true)
    }

    /// Withdraws every entry `r` covers; returns how many.
    fn apply(&self, registry: &Registry, r: &Revocation) -> usize {
        let covered: Vec<Arc<Entry>> = registry
            .entries()
            .filter(|e| e.live.load(Ordering::SeqCst) && Registry::covers(r, e))
            .collect();
        for e in &covered {
            e.kill();
            self.cache.remove(e);
        }
        covered.len()
    }

    /// Adds `records` to the revocations held, withdrawing what they cover; returns how many
    /// were new.
    fn apply_all(&self, registry: &mut Registry, records: &[RevocationRecord]) -> usize {
        let mut fresh = 0;
        for r in records {
            if registry.revocations.insert(r) {
                fresh += 1;
                self.apply(registry, &r.revocation);
            }
        }
        fresh
    }

    /// Brings the revocations held up to the store's log, as it is now: applies the lines
    /// appended since it was last read (by this process or another, such as `fgac revoke`);
    /// reads it whole when it was replaced, cut short or rewritten, and then keeps in force what
    /// it lacks (reporting it, unless all it lacks has expired: a compaction). Revocations held
    /// never shrink because of the file. Returns how many new revocations were applied.
    fn sync_log(&self, registry: &mut Registry, now: Timestamp) -> Result<usize, LogError> {
        let state = self.state.load();
        let Some(path) = state.store.revocations.clone() else {
            registry.log_path = None;
            registry.health = LogHealth::NoLog;
            return Ok(0);
        };
        if registry.log_path.as_ref() != Some(&path) {
            registry.log_path = Some(path.clone());
            registry.view = LogView::default();
        }
        let outcome = self.follow(registry, &path, now);
        match &outcome {
            Ok(_) => {}
            Err(LogError::Missing(_)) => registry.health = LogHealth::Missing,
            Err(LogError::Diverged { lost, .. }) => {
                registry.health = LogHealth::Diverged { lost: *lost };
            }
            Err(e) => registry.health = LogHealth::Unreadable(e.to_string()),
        }
        outcome
    }

    fn follow(
        &self,
        registry: &mut Registry,
        path: &Path,
        now: Timestamp,
    ) -> Result<usize, LogError> {
        let io = |e| LogError::io(path, e);
        let Some(identity) = Identity::of(path).map_err(io)? else {
            return Err(LogError::Missing(path.to_owned()));
        };
        let view = &registry.view;
        let same_file = view.identity.is_some_and(|v| v.file == identity.file);
        let followed = matches!(registry.health, LogHealth::Ok | LogHealth::Unreadable(_));
        if same_file && followed {
            if identity.len == view.applied {
                return Ok(0);
            }
            if identity.len > view.applied {
                // It grew: check that what was applied is still there (the last line applied,
                // just before the new ones), then apply the new complete lines.
                let back = view.last_line.len() as u64;
                if let Some((bytes, now_identity)) =
                    linefile::read_from(path, view.applied - back).map_err(io)?
                    && now_identity.file == identity.file
                    && bytes.starts_with(&view.last_line)
                {
                    let new = &bytes[view.last_line.len()..];
                    let (records, bad) = revocations::parse_bytes(path, new);
                    let applied = view.applied;
                    registry.view.advance(now_identity, applied, new);
                    let fresh = self.apply_all(registry, &records);
                    return match bad {
                        Some(e) => Err(e),
                        None => Ok(fresh),
                    };
                }
            }
        }
        // Replaced, cut short, rewritten, or not yet read: read it whole and reconcile.
        let Some((bytes, identity)) = linefile::read_complete(path).map_err(io)? else {
            return Err(LogError::Missing(path.to_owned()));
        };
        let (records, bad) = revocations::parse_bytes(path, &bytes);
        let fresh = self.apply_all(registry, &records);
        registry.view = LogView::default();
        registry.view.advance(identity, 0, &bytes);
        if let Some(e) = bad {
            return Err(e);
        }
        let lost = registry.revocations.missing_from(&records, now);
        if lost > 0 {
            return Err(LogError::Diverged {
                path: path.to_owned(),
                lost,
            });
        }
        registry.health = LogHealth::Ok;
        Ok(fresh)
    }

    /// Forgets the revocations held whose credentials have all expired by `now`, less
    /// [`COMPACTION_MARGIN_SECONDS`](super::COMPACTION_MARGIN_SECONDS): for a long-running
    /// process that decides at the current time, to hold only revocations that still matter. A
    /// key ring never forgets one by itself (a process may decide at other times than the
    /// clock's, as `fgac decide --now` does).
    pub fn forget_expired_revocations(&self, now: Timestamp) {
        lock(&self.registry).revocations.prune(now);
    }

    /// What the key ring knows of its revocations and of the log it follows.
    #[must_use]
    pub fn revocation_status(&self) -> RevocationStatus {
        let registry = lock(&self.registry);
        RevocationStatus {
            log: registry.log_path.clone(),
            health: registry.health.clone(),
            held: registry.revocations.len(),
        }
    }

    /// Replaces the store: readers switch to `store` whole, never seeing half of each. Before
    /// returning, withdraws every session and cached credential the new store no longer accepts
    /// (its key removed, replaced or retired, its issuer no longer accepted, its document
    /// credential changed or removed, or the limits changed), and applies the new store's
    /// revocation log. The revocations held stay in force whatever log the new store names.
    pub fn replace(&self, store: Store) -> Result<(), LogError> {
        let mut registry = lock(&self.registry);
        let old = self.state.load_full();
        let leeway_changed = old.store.leeway_seconds != store.leeway_seconds;
        let new = Arc::new(State::new(store, old.generation + 1));
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
        self.sync_log(&mut registry, Timestamp::now()).map(|_| ())
    }

    /// Reads the store file again ([`Keyring::open`]) and replaces the store with it, and
    /// applies new lines of the revocation log. On an error (the file does not parse or
    /// validate, a key file is missing), keeps the store in force and returns the error, with
    /// its file, line and column; [`Keyring::last_error`] keeps it too.
    pub fn reload(&self) -> Result<(), ReloadError> {
        let Some(path) = &self.source else {
            return Err(ReloadError::NoFile);
        };
        let limits = self.state.load().store.limits.clone();
        let (read, sources) = Store::read_file(path, &limits);
        let outcome = match read {
            Ok(store) => self.replace(store).map_err(ReloadError::Log),
            Err(e) => Err(ReloadError::Store(e)),
        };
        *lock(&self.last_failure) = match &outcome {
            Err(ReloadError::Store(e)) => Some((e.to_string(), sources)),
            _ => None,
        };
        outcome
    }

    /// Applies lines appended to the revocation log since it was last read; returns how many
    /// new revocations that was. Costs one `stat` of the log when nothing changed, so that a
    /// process may call it before every decision that must see revocations made by others (as
    /// `fgac decide --store` does for every line).
    pub fn refresh_revocations(&self) -> Result<usize, LogError> {
        self.sync_log(&mut lock(&self.registry), Timestamp::now())
    }

    /// The error of the last reload, if the last reload failed to read the store.
    #[must_use]
    pub fn last_error(&self) -> Option<String> {
        lock(&self.last_failure).as_ref().map(|(e, _)| e.clone())
    }

    /// The files of the last reload that failed, as it read them.
    pub(crate) fn failed_sources(&self) -> Option<Vec<super::store::Source>> {
        lock(&self.last_failure).as_ref().map(|(_, s)| s.clone())
    }

    /// Whether the store was opened from a file.
    pub(crate) fn has_source(&self) -> bool {
        self.source.is_some()
    }
}

/// Why [`Keyring::open`] failed.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// The store file (or its document or a key file) does not read.
    #[error("{0}")]
    Store(Error),
    /// The revocation log does not open or read.
    #[error("{0}")]
    Log(LogError),
}

/// Why [`Keyring::reload`] kept the store in force.
#[derive(Debug, thiserror::Error)]
pub enum ReloadError {
    /// The key ring was not opened from a file.
    #[error("the key ring was not opened from a store file")]
    NoFile,
    /// The store file (or its document or a key file) does not read.
    #[error("{0}")]
    Store(Error),
    /// The revocation log does not read.
    #[error("{0}")]
    Log(LogError),
}
