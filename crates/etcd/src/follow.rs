//! The follower: what a server runs to serve from a fleet's state. It reads the whole prefix at
//! one revision and builds its key ring from it (nothing is served before), then watches from
//! the next revision and applies each revision's changes at once: a new manifest as an update of
//! the document (only the chunks that changed are read, and only their credentials compiled),
//! a new shared trust by replacing the trust, revocations by applying them. A watch that fails
//! (etcd compacted the revisions it needed, a member died, the stream broke) ends in a full read
//! again, so no change is ever skipped.
//!
//! **Staleness.** Every `check_every` the follower reads the manifest's key linearizably (only a
//! quorum answers that) and counts that, and every watch response, as hearing from etcd. Past
//! `max_staleness` without hearing, it does what [`WhenStale`] says: refuse every credential
//! until it hears again (the default: a revocation may have been made that it cannot see, and
//! fgac fails closed), or keep serving on its last state and say so in its status.

use crate::chunks::{self, Manifest};
use crate::layout::{Key, Layout};
use crate::{FleetError, Snapshot, connect, revocation};
use etcd_client::{Client, EventType, GetOptions, PutOptions, WatchOptions};
use fgac::credentials::{Keyring, RevocationRecord, SigningKey, Trust, TrustBuilder};
use fgac::{Limits, Update};
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

/// What a follower does once it has not heard from etcd for `max_staleness`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum WhenStale {
    /// Refuse every credential until it hears from etcd again (the default: fail closed).
    #[default]
    Refuse,
    /// Keep serving on the last state, and say so in the status.
    KeepServing,
}

/// How a follower follows.
#[derive(Clone, Debug)]
pub struct FollowOptions {
    /// The etcd cluster's client URLs.
    pub endpoints: Vec<String>,
    /// The fleet's prefix.
    pub prefix: String,
    /// This server's id, under which it reports its status.
    pub server_id: String,
    /// The limits documents are read and compiled under.
    pub limits: Limits,
    /// Signing keys, for a server that mints and refreshes (they stay on the server).
    pub signing_keys: Vec<SigningKey>,
    /// How long without hearing from etcd before [`WhenStale`] applies (default 5 minutes).
    pub max_staleness: Duration,
    /// What it does then.
    pub when_stale: WhenStale,
    /// How often it asks etcd for the store's revision and writes its status (default 1 s).
    pub check_every: Duration,
    /// How long one request to etcd may take (default 2 s).
    pub request_timeout: Duration,
    /// How long [`Follower::start`] waits for the first full read (default 30 s).
    pub start_timeout: Duration,
    /// The key ring's cache capacity.
    pub cache_capacity: usize,
    /// What the key ring counts in ([`Keyring::with_metrics`]), if anything.
    pub metrics: Option<Arc<fgac::metrics::Metrics>>,
}

impl FollowOptions {
    /// Following `prefix` on `endpoints` as `server_id`, with the defaults.
    #[must_use]
    pub fn new(endpoints: Vec<String>, prefix: &str, server_id: &str) -> FollowOptions {
        FollowOptions {
            endpoints,
            prefix: prefix.to_owned(),
            server_id: server_id.to_owned(),
            limits: Limits::default(),
            signing_keys: Vec::new(),
            max_staleness: Duration::from_secs(300),
            when_stale: WhenStale::default(),
            check_every: Duration::from_secs(1),
            request_timeout: Duration::from_secs(2),
            start_timeout: Duration::from_secs(30),
            cache_capacity: fgac::credentials::DEFAULT_CACHE_CAPACITY,
            metrics: None,
        }
    }
}

/// What a follower knows of itself.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FollowerStatus {
    /// The last revision whose changes it has applied.
    pub applied: i64,
    /// The store's revision it serves (the manifest's).
    pub store: i64,
    /// The latest revision etcd told it of.
    pub etcd: i64,
    /// When it last heard from etcd.
    pub last_heard: Option<SystemTime>,
    /// Whether it has not heard from etcd for longer than `max_staleness`.
    pub stale: bool,
    /// Whether it refuses every credential for that.
    pub refusing: bool,
    /// How many full reads it did after the first.
    pub resyncs: u64,
    /// The last change it could not apply (it keeps the state before it), or the last error
    /// talking to etcd.
    pub last_error: Option<String>,
}

impl FollowerStatus {
    /// The status as the fleet's `P/servers/ID` key holds it.
    #[must_use]
    pub fn to_json(&self) -> serde_json::Value {
        let heard = self.last_heard.and_then(|t| {
            t.duration_since(SystemTime::UNIX_EPOCH)
                .ok()
                .map(|d| d.as_millis() as u64)
        });
        serde_json::json!({
            "applied_revision": self.applied,
            "store_revision": self.store,
            "etcd_revision": self.etcd,
            "last_heard_unix_ms": heard,
            "stale": self.stale,
            "refusing": self.refusing,
            "resyncs": self.resyncs,
            "last_error": self.last_error,
        })
    }
}

/// A server's view of a fleet: a key ring kept up to date from etcd by a thread of its own.
#[derive(Debug)]
pub struct Follower {
    ring: Arc<Keyring>,
    status: Arc<Mutex<FollowerStatus>>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Follower {
    /// Starts following: returns once the whole state has been read and applied (nothing can
    /// be served before), or fails after `start_timeout` with the last error.
    pub fn start(options: FollowOptions) -> Result<Follower, FleetError> {
        let status = Arc::new(Mutex::new(FollowerStatus::default()));
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel();
        let timeout = options.start_timeout;
        let shared = Arc::clone(&status);
        let thread = std::thread::Builder::new()
            .name(format!("fgac-etcd {}", options.server_id))
            .spawn(move || {
                let runtime = match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(r) => r,
                    Err(e) => {
                        let _ = ready_tx.send(Err(FleetError::Etcd(e.to_string())));
                        return;
                    }
                };
                runtime.block_on(run(options, shared, ready_tx, stop_rx));
            })
            .map_err(|e| FleetError::Etcd(e.to_string()))?;
        let mut follower = Follower {
            ring: Arc::new(placeholder_ring()?),
            status,
            stop: Some(stop_tx),
            thread: Some(thread),
        };
        match ready_rx.recv_timeout(timeout) {
            Ok(Ok(ring)) => {
                follower.ring = ring;
                Ok(follower)
            }
            Ok(Err(e)) => Err(e),
            Err(_) => Err(FleetError::Etcd(format!(
                "no full read within {timeout:?}: {}",
                follower
                    .status()
                    .last_error
                    .unwrap_or_else(|| "no answer".to_owned())
            ))),
        }
    }

    /// The key ring it keeps: resolve credentials with it.
    #[must_use]
    pub fn keyring(&self) -> &Arc<Keyring> {
        &self.ring
    }

    /// Where it stands.
    #[must_use]
    pub fn status(&self) -> FollowerStatus {
        lock(&self.status).clone()
    }
}

impl Drop for Follower {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// A key ring that accepts nothing, held until the first full read hands over the real one.
fn placeholder_ring() -> Result<Keyring, FleetError> {
    Keyring::new(refusing_trust(&Limits::default())?).map_err(|e| FleetError::Etcd(e.to_string()))
}

/// A trust with no keys: every credential is refused.
fn refusing_trust(limits: &Limits) -> Result<Trust, FleetError> {
    Trust::builder()
        .limits(limits.clone())
        .build()
        .map_err(FleetError::Invalid)
}

/// What the follower applied of the document: the manifest, and each chunk's credential names.
#[derive(Default)]
struct Applied {
    manifest: Manifest,
    names: HashMap<String, Vec<String>>,
    /// Chunks seen in the watch that no manifest names yet.
    pending: HashMap<String, Vec<u8>>,
    /// The shared trust's text applied.
    store: String,
}

struct Run {
    options: FollowOptions,
    layout: Layout,
    status: Arc<Mutex<FollowerStatus>>,
    ring: Option<Arc<Keyring>>,
    applied: Applied,
    heard: Option<Instant>,
    lease: Option<i64>,
    /// The member it reads from and watches through next (one at a time, in turn: a client of
    /// several may keep sending to one that is down).
    member: usize,
}

/// Checks that may fail in a row before the follower moves to another member.
const MISSES_BEFORE_MOVING: u32 = 2;

async fn run(
    options: FollowOptions,
    status: Arc<Mutex<FollowerStatus>>,
    ready: std::sync::mpsc::Sender<Result<Arc<Keyring>, FleetError>>,
    mut stop: tokio::sync::oneshot::Receiver<()>,
) {
    let layout = Layout::new(&options.prefix);
    let mut me = Run {
        options,
        layout,
        status,
        ring: None,
        applied: Applied::default(),
        heard: None,
        lease: None,
        member: 0,
    };
    let mut ready = Some(ready);
    loop {
        match me.follow_once(&mut ready, &mut stop).await {
            Ok(Stop::Stopped) => return,
            Ok(Stop::Resync) => {}
            Err(e) => me.failed(&e),
        }
        me.check_staleness();
        // Wait a little before reading again, unless stopped.
        tokio::select! {
            _ = &mut stop => return,
            () = tokio::time::sleep(me.options.check_every.min(Duration::from_millis(500))) => {}
        }
    }
}

enum Stop {
    Stopped,
    Resync,
}

impl Run {
    fn failed(&self, e: &FleetError) {
        lock(&self.status).last_error = Some(e.to_string());
    }

    fn heard_now(&mut self) {
        self.heard = Some(Instant::now());
        let mut s = lock(&self.status);
        s.last_heard = Some(SystemTime::now());
        s.stale = false;
    }

    /// Applies `max_staleness`.
    fn check_staleness(&mut self) {
        let stale = self
            .heard
            .is_none_or(|t| t.elapsed() > self.options.max_staleness);
        let refusing = lock(&self.status).refusing;
        if stale
            && self.options.when_stale == WhenStale::Refuse
            && !refusing
            && let Some(ring) = &self.ring
            && let Ok(trust) = refusing_trust(&self.options.limits)
            && ring.replace(trust).is_ok()
        {
            lock(&self.status).refusing = true;
        }
        lock(&self.status).stale = stale && self.ring.is_some();
    }

    fn trust_builder(&self, store: &str) -> Result<TrustBuilder, FleetError> {
        let mut builder = TrustBuilder::from_shared_text(store)
            .map_err(|e| FleetError::Corrupt {
                key: self.layout.store(),
                why: e.to_string(),
            })?
            .limits(self.options.limits.clone());
        for k in &self.options.signing_keys {
            builder = builder.signing_key(k.clone());
        }
        Ok(builder)
    }

    /// A full read, applied; then the watch from the next revision until it fails or the
    /// follower stops.
    async fn follow_once(
        &mut self,
        ready: &mut Option<std::sync::mpsc::Sender<Result<Arc<Keyring>, FleetError>>>,
        stop: &mut tokio::sync::oneshot::Receiver<()>,
    ) -> Result<Stop, FleetError> {
        // Each attempt goes through the next member: one that is down, cut off or compacting
        // is left after one failed attempt.
        let endpoints = &self.options.endpoints;
        let endpoint = endpoints
            .get(self.member % endpoints.len().max(1))
            .cloned()
            .ok_or_else(|| FleetError::Etcd("no endpoint given".to_owned()))?;
        self.member = self.member.wrapping_add(1);
        let client = connect(
            std::slice::from_ref(&endpoint),
            self.options.request_timeout,
        )
        .await?;
        let snapshot = tokio::time::timeout(
            self.options.request_timeout * 4,
            Snapshot::read(&client, &self.layout),
        )
        .await
        .map_err(|_| FleetError::Etcd("the full read timed out".to_owned()))??;
        self.heard_now();
        self.apply_full(&snapshot)?;
        // What was read is in the key ring now; the text and records read are not kept.
        let from = snapshot.revision + 1;
        drop(snapshot);
        if let (Some(tx), Some(ring)) = (ready.take(), &self.ring) {
            let _ = tx.send(Ok(Arc::clone(ring)));
        }
        let mut watch = client
            .watch_client()
            .max_decoding_message_size(256 << 20)
            .watch(
                self.layout.prefix(),
                Some(
                    WatchOptions::new()
                        .with_prefix()
                        .with_start_revision(from)
                        .with_progress_notify(),
                ),
            )
            .await?;
        let mut kv = client.kv_client();
        let mut tick = tokio::time::interval(self.options.check_every);
        let mut misses = 0u32;
        // The member it follows now is the one this attempt took.
        self.member = self.member.wrapping_sub(1);
        loop {
            tokio::select! {
                _ = &mut *stop => return Ok(Stop::Stopped),
                message = watch.message() => {
                    let Ok(Some(response)) = message else {
                        return Ok(Stop::Resync);
                    };
                    if response.canceled() || response.compact_revision() > 0 {
                        // The revisions it needs were compacted, or etcd ended the watch.
                        return Ok(Stop::Resync);
                    }
                    self.heard_now();
                    if lock(&self.status).refusing {
                        return Ok(Stop::Resync);
                    }
                    let revision = response.header().map_or(0, |h| h.revision());
                    let events = response.events();
                    let mut start = 0;
                    while start < events.len() {
                        let at = events[start].kv().map_or(0, |kv| kv.mod_revision());
                        let end = events[start..]
                            .iter()
                            .position(|e| e.kv().map_or(0, |kv| kv.mod_revision()) != at)
                            .map_or(events.len(), |n| start + n);
                        if let Err(e) = self.apply_events(&client, &events[start..end], at).await {
                            if matches!(e, FleetError::Etcd(_)) {
                                // A chunk it could not read (compacted, unreachable): read all.
                                return Err(e);
                            }
                            self.failed(&e);
                        }
                        lock(&self.status).applied = at;
                        start = end;
                    }
                    let mut s = lock(&self.status);
                    s.etcd = s.etcd.max(revision);
                }
                _ = tick.tick() => {
                    let asked = tokio::time::timeout(
                        self.options.request_timeout,
                        kv.get(self.layout.version(), None),
                    )
                    .await;
                    if let Ok(Ok(answer)) = asked {
                        misses = 0;
                        self.heard_now();
                        let revision = answer.header().map_or(0, |h| h.revision());
                        lock(&self.status).etcd = revision;
                        if lock(&self.status).refusing {
                            return Ok(Stop::Resync);
                        }
                    } else {
                        misses += 1;
                        if misses >= MISSES_BEFORE_MOVING {
                            // This member does not answer for a quorum: read everything again
                            // through the next one.
                            self.member = self.member.wrapping_add(1);
                            self.check_staleness();
                            return Ok(Stop::Resync);
                        }
                    }
                    self.check_staleness();
                    self.report(&client).await;
                }
            }
        }
    }

    /// Replaces the whole state with `snapshot`'s.
    fn apply_full(&mut self, snapshot: &Snapshot) -> Result<(), FleetError> {
        let manifest = snapshot
            .manifest
            .clone()
            .ok_or_else(|| FleetError::NothingPublished(self.layout.prefix().to_owned()))?;
        let store = snapshot
            .store
            .clone()
            .ok_or_else(|| FleetError::NothingPublished(self.layout.prefix().to_owned()))?;
        let mut names = HashMap::new();
        let mut credentials = Vec::new();
        for sha in &manifest.chunks {
            let text = snapshot
                .chunks
                .get(sha)
                .ok_or_else(|| FleetError::Corrupt {
                    key: self.layout.version(),
                    why: format!("it names chunk `{sha}`, which is not there"),
                })?;
            let defs = chunks::read(&self.layout.chunk(sha), sha, text, &self.options.limits)?;
            names.insert(sha.clone(), defs.iter().map(|d| d.name.clone()).collect());
            credentials.extend(defs);
        }
        let trust = self
            .trust_builder(&store)?
            .document_model(fgac::model::Document::new(credentials))
            .build()
            .map_err(FleetError::Invalid)?;
        match &self.ring {
            None => {
                let mut ring = Keyring::with_cache_capacity(trust, self.options.cache_capacity)
                    .map_err(|e| FleetError::Etcd(e.to_string()))?;
                if let Some(m) = &self.options.metrics {
                    ring = ring.with_metrics(Arc::clone(m));
                }
                self.ring = Some(Arc::new(ring));
            }
            Some(ring) => {
                ring.replace(trust)
                    .map_err(|e| FleetError::Etcd(e.to_string()))?;
                lock(&self.status).resyncs += 1;
            }
        }
        if let Some(ring) = &self.ring {
            ring.apply_revocations(snapshot.revocations.iter().cloned());
        }
        self.applied = Applied {
            manifest,
            names,
            pending: HashMap::new(),
            store,
        };
        let mut s = lock(&self.status);
        s.applied = snapshot.revision;
        s.store = snapshot.version;
        s.etcd = s.etcd.max(snapshot.revision);
        s.refusing = false;
        s.last_error = None;
        Ok(())
    }

    /// Applies the changes of one revision `at` at once.
    async fn apply_events(
        &mut self,
        client: &Client,
        events: &[etcd_client::Event],
        at: i64,
    ) -> Result<(), FleetError> {
        let Some(ring) = self.ring.clone() else {
            return Ok(());
        };
        let mut store = None;
        let mut manifest = None;
        let mut revocations: Vec<RevocationRecord> = Vec::new();
        for e in events {
            let Some(kv) = e.kv() else { continue };
            let key = String::from_utf8_lossy(kv.key()).into_owned();
            match (e.event_type(), self.layout.classify(kv.key())) {
                (EventType::Put, Key::Store) => {
                    store = Some(String::from_utf8(kv.value().to_vec()).map_err(|err| {
                        FleetError::Corrupt {
                            key,
                            why: err.to_string(),
                        }
                    })?);
                }
                (EventType::Put, Key::Version) => {
                    manifest = Some(Manifest::from_json(&key, kv.value())?);
                }
                (EventType::Put, Key::Chunk(sha)) => {
                    self.applied
                        .pending
                        .insert(sha.to_owned(), kv.value().to_vec());
                }
                (EventType::Delete, Key::Chunk(sha)) => {
                    self.applied.pending.remove(sha);
                }
                (EventType::Put, Key::Revocation) => {
                    revocations.extend(revocation(&key, kv.value())?)
                }
                // A revocation's lease ended: what it covers has expired. The key ring keeps
                // it until it forgets expired revocations itself.
                _ => {}
            }
        }
        let store_changed = store.as_ref().is_some_and(|s| *s != self.applied.store);
        if manifest.is_some() || store_changed {
            let current = ring.trust();
            let (update, names) = match &manifest {
                Some(m) => self.document_change(client, m, at).await?,
                None => (Update::new(), HashMap::new()),
            };
            if store_changed {
                let updated = if update.is_empty() {
                    (*current).clone()
                } else {
                    current
                        .update_document(&update)
                        .map_err(FleetError::Invalid)?
                };
                let text = store.clone().unwrap_or_default();
                let trust = self
                    .trust_builder(&text)?
                    .document_of(&updated)
                    .build()
                    .map_err(FleetError::Invalid)?;
                ring.replace(trust)
                    .map_err(|e| FleetError::Etcd(e.to_string()))?;
                self.applied.store = text;
            } else if !update.is_empty() {
                ring.update_document(&update).map_err(FleetError::Invalid)?;
            }
            if let Some(m) = manifest {
                for sha in &self.applied.manifest.chunks {
                    if !m.chunks.contains(sha) {
                        self.applied.names.remove(sha);
                    }
                }
                self.applied.names.extend(names);
                self.applied.manifest = m;
                lock(&self.status).store = at;
            }
        }
        if !revocations.is_empty() {
            ring.apply_revocations(revocations);
        }
        Ok(())
    }

    /// The update from the applied manifest to `next`: every credential of a chunk it adds is
    /// put (an unchanged one keeps its sessions), and every name only the chunks it drops held
    /// is removed. Chunks not seen in the watch are read at revision `at`.
    async fn document_change(
        &mut self,
        client: &Client,
        next: &Manifest,
        at: i64,
    ) -> Result<(Update, HashMap<String, Vec<String>>), FleetError> {
        let old: HashSet<&String> = self.applied.manifest.chunks.iter().collect();
        let new: HashSet<&String> = next.chunks.iter().collect();
        let mut gone: HashSet<String> = old
            .difference(&new)
            .flat_map(|sha| self.applied.names.get(*sha).into_iter().flatten().cloned())
            .collect();
        let mut update = Update::new();
        let mut names = HashMap::new();
        for sha in next.chunks.iter().filter(|sha| !old.contains(sha)) {
            let key = self.layout.chunk(sha);
            let text = match self.applied.pending.remove(sha) {
                Some(text) => text,
                None => {
                    let got = client
                        .kv_client()
                        .get(key.clone(), Some(GetOptions::new().with_revision(at)))
                        .await?;
                    got.kvs()
                        .first()
                        .map(|kv| kv.value().to_vec())
                        .ok_or_else(|| FleetError::Corrupt {
                            key: key.clone(),
                            why: "the manifest names it, but it is not there".to_owned(),
                        })?
                }
            };
            let defs = chunks::read(&key, sha, &text, &self.options.limits)?;
            names.insert(sha.clone(), defs.iter().map(|d| d.name.clone()).collect());
            for d in defs {
                gone.remove(&d.name);
                update = update.put(d);
            }
        }
        for name in gone {
            update = update.remove(name);
        }
        Ok((update, names))
    }

    /// Writes this server's status under a lease it keeps alive; a lease lost (etcd was
    /// unreachable for longer than it lives) is granted again.
    async fn report(&mut self, client: &Client) {
        let ttl = (self.options.check_every.as_secs() * 5).max(5);
        let mut leases = client.lease_client();
        if self.lease.is_none() {
            self.lease = leases
                .grant(i64::try_from(ttl).unwrap_or(5), None)
                .await
                .ok()
                .map(|l| l.id());
        }
        let Some(lease) = self.lease else { return };
        let mut status = self.status.lock().map(|s| s.to_json()).unwrap_or_default();
        if let (Some(ring), Some(o)) = (&self.ring, status.as_object_mut()) {
            o.insert("cached".into(), ring.cached().into());
            o.insert(
                "revocations_held".into(),
                ring.revocation_status().held.into(),
            );
        }
        let put = client
            .kv_client()
            .put(
                self.layout.server(&self.options.server_id),
                status.to_string(),
                Some(PutOptions::new().with_lease(lease)),
            )
            .await;
        let kept = match leases.keep_alive(lease).await {
            Ok((mut keeper, mut stream)) => {
                keeper.keep_alive().await.is_ok()
                    && matches!(
                        tokio::time::timeout(self.options.request_timeout, stream.message()).await,
                        Ok(Ok(Some(r))) if r.ttl() > 0
                    )
            }
            Err(_) => false,
        };
        if put.is_err() || !kept {
            self.lease = None;
        }
    }
}
