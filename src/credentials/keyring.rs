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
//! no later resolution allows anything with that credential.

use super::jws;
use super::keys::PublicKey;
use super::revocations::{LogError, Revocation, RevocationLog, parse_log};
use super::store::Store;
use crate::compile::AuthorizerBuilder;
use crate::decision::{AuthFailure, BatchDecision, Decision, DenyReason, Resource};
use crate::engine::Credential;
use crate::error::Error;
use crate::model::{CredentialDef, Document, Expiry, Span};
use crate::ops::{Need, Operation};
use crate::syntax::json::read_claims;
use crate::time::Timestamp;
use ahash::AHashMap;
use arc_swap::ArcSwap;
use std::collections::HashSet;
use std::io;
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

/// Revocations, and every entry a session or the cache may hold.
#[derive(Default)]
struct Registry {
    revoked_ids: HashSet<String>,
    revoked_kids: HashSet<String>,
    live: Vec<Weak<Entry>>,
    /// The registry's length after its last pruning.
    pruned: usize,
    /// The revocation log: its path, the open file, and how much of it has been applied
    /// (length, and on Unix its inode, to notice a file replaced).
    log: Option<(PathBuf, RevocationLog)>,
    log_applied: (u64, u64),
}

impl Registry {
    fn is_revoked(&self, e: &Entry) -> bool {
        self.revoked_ids.contains(&*e.id) || self.revoked_kids.contains(&*e.kid)
    }

    fn covers(r: &Revocation, e: &Entry) -> bool {
        match r {
            Revocation::Credential(id) => *e.id == **id,
            Revocation::Key(kid) => *e.kid == **kid,
        }
    }

    fn record(&mut self, r: &Revocation) {
        match r {
            Revocation::Credential(id) => self.revoked_ids.insert(id.clone()),
            Revocation::Key(kid) => self.revoked_kids.insert(kid.clone()),
        };
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
    last_error: Mutex<Option<String>>,
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
    /// A key ring over `store`, caching up to [`DEFAULT_CACHE_CAPACITY`] credentials. Opens the
    /// store's revocation log, if it names one, and applies it.
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
            last_error: Mutex::new(None),
        };
        ring.sync_log(&mut lock(&ring.registry))?;
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
        {
            let registry = lock(&self.registry);
            if registry.revoked_ids.contains(&claims.id)
                || registry.revoked_kids.contains(&parts.kid)
            {
                return Err(AuthFailure::Revoked);
            }
        }
        let reference = claims.permissions.is_none();
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

    /// Revokes a credential or a signing key at `now`. When the store names a revocation log,
    /// returns only once the revocation is on disk; then, before returning, withdraws every
    /// session and cached credential it covers. Every later resolution of a covered credential
    /// is refused, and every live session's next decision is a deny.
    pub fn revoke(&self, revocation: Revocation, now: Timestamp) -> io::Result<()> {
        let mut registry = lock(&self.registry);
        self.sync_log(&mut registry).map_err(io::Error::other)?;
        if let Some((_, log)) = &mut registry.log {
            log.append(&revocation, now)?;
        }
        self.apply(&mut registry, &revocation);
        // Read the log past the line just written, and any another process appended before it.
        self.sync_log(&mut registry).map_err(io::Error::other)
    }

    fn apply(&self, registry: &mut Registry, r: &Revocation) {
        registry.record(r);
        let covered: Vec<Arc<Entry>> = registry
            .entries()
            .filter(|e| Registry::covers(r, e))
            .collect();
        for e in covered {
            e.kill();
            self.cache.remove(&e);
        }
    }

    /// Brings the registry's revocations up to the store's log: opens it when the store names a
    /// new one, applies lines appended since (by this process or another, such as `fgac
    /// revoke`), and reads it whole again when it was replaced or shortened.
    fn sync_log(&self, registry: &mut Registry) -> Result<(), LogError> {
        let state = self.state.load();
        let Some(path) = state.store.revocations.clone() else {
            registry.log = None;
            return Ok(());
        };
        let identity = |p: &Path| -> (u64, u64) {
            std::fs::metadata(p).map_or((0, 0), |m| {
                #[cfg(unix)]
                let ino = std::os::unix::fs::MetadataExt::ino(&m);
                #[cfg(not(unix))]
                let ino = 0;
                (m.len(), ino)
            })
        };
        let reopen = match &registry.log {
            Some((open, _)) if *open == path => {
                let (len, ino) = identity(&path);
                len < registry.log_applied.0 || ino != registry.log_applied.1
            }
            _ => true,
        };
        if reopen {
            let (log, list) = RevocationLog::open(&path)?;
            registry.revoked_ids.clear();
            registry.revoked_kids.clear();
            for r in &list {
                self.apply(registry, r);
            }
            registry.log = Some((path.clone(), log));
            registry.log_applied = identity(&path);
            return Ok(());
        }
        let (len, ino) = identity(&path);
        if len > registry.log_applied.0 {
            let bytes = std::fs::read(&path).map_err(|source| LogError::Io {
                path: path.clone(),
                source,
            })?;
            let start = usize::try_from(registry.log_applied.0).unwrap_or(usize::MAX);
            let tail = bytes.get(start..).unwrap_or_default();
            let text = std::str::from_utf8(tail).map_err(|_| LogError::Io {
                path: path.clone(),
                source: io::Error::new(io::ErrorKind::InvalidData, "the log is not UTF-8 text"),
            })?;
            let (list, complete) = parse_log(text).map_err(|error| LogError::Format {
                path: path.clone(),
                error,
            })?;
            for r in &list {
                self.apply(registry, r);
            }
            registry.log_applied = (registry.log_applied.0 + complete as u64, ino);
        }
        Ok(())
    }

    /// Replaces the store: readers switch to `store` whole, never seeing half of each. Before
    /// returning, withdraws every session and cached credential the new store no longer accepts
    /// (its key removed, replaced or retired, its issuer no longer accepted, its document
    /// credential changed or removed, or the limits changed), and applies the new store's
    /// revocation log.
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
        self.sync_log(&mut registry)
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
        let outcome = match Store::from_file_with(path, &limits) {
            Ok(store) => self.replace(store).map_err(ReloadError::Log),
            Err(e) => Err(ReloadError::Store(e)),
        };
        *lock(&self.last_error) = outcome.as_ref().err().map(ToString::to_string);
        outcome
    }

    /// Applies lines appended to the revocation log since it was last read.
    pub fn refresh_revocations(&self) -> Result<(), LogError> {
        self.sync_log(&mut lock(&self.registry))
    }

    /// The error of the last reload that failed, if the last reload failed.
    #[must_use]
    pub fn last_error(&self) -> Option<String> {
        lock(&self.last_error).clone()
    }

    /// The files the store was read from and the revocation log (last), with the fingerprints
    /// they had when read (the log's as it is now): what a watcher watches.
    pub(crate) fn watched_files(&self) -> (Vec<PathBuf>, Vec<super::store::Fingerprint>) {
        let state = self.state.load();
        let mut files: Vec<PathBuf> = state.store.sources.iter().map(|(p, _)| p.clone()).collect();
        let mut seen: Vec<_> = state.store.sources.iter().map(|(_, f)| *f).collect();
        if let Some(log) = &state.store.revocations {
            files.push(log.clone());
            seen.push(super::store::Fingerprint::of(log));
        }
        (files, seen)
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
