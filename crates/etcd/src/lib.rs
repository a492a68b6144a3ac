//! A fleet of fgac servers sharing one credential state through etcd (v3): the store (public
//! keys, issuer, leeway, the document) published at once to every server, revocations that every
//! server applies, and each server's status.
//!
//! - [`publish`]: validates and compiles a store locally, shows what changes against the live
//!   one, and writes it only if the live store is still the revision it compared against.
//! - [`revoke`]: returns once etcd has committed the revocation (a quorum), under a lease that
//!   ends when what it covers has expired.
//! - [`Follower`]: what a server runs: reads the whole prefix at one revision, serves from a
//!   [`Keyring`](fgac::credentials::Keyring), then applies every change from the next revision
//!   on, each atomically; resynchronizes from a full read when its watch fails (a compaction
//!   included), and knows how long it has not heard from etcd.
//!
//! The layout under the prefix is in [`layout`]; the document is stored in [`chunks`].

pub mod chunks;
mod follow;
pub mod layout;

pub use follow::{FollowOptions, Follower, FollowerStatus, WhenStale};
pub use layout::Layout;

use chunks::{Chunk, Manifest};
use etcd_client::{Client, Compare, CompareOp, ConnectOptions, GetOptions, PutOptions, Txn, TxnOp};
use fgac::credentials::{Issued, RevocationRecord, Trust, parse_log};
use fgac::model::{CredentialDef, Document, Expiry};
use fgac::{Authorizer, Limits, Timestamp};
use std::collections::BTreeMap;
use std::time::Duration;

/// What went wrong talking to a fleet.
#[derive(Debug, thiserror::Error)]
pub enum FleetError {
    /// etcd did not answer, or refused the request.
    #[error("etcd did not answer: {0}")]
    Etcd(String),
    /// The store does not validate or compile.
    #[error("{0}")]
    Invalid(fgac::Error),
    /// Another publish changed the store after this one compared against it.
    #[error(
        "another publish won: the store is at revision {won}, not {expected} as compared; compare again"
    )]
    LostRace {
        /// The revision compared against.
        expected: i64,
        /// The revision of the store now.
        won: i64,
    },
    /// A value in etcd does not read.
    #[error("`{key}` in etcd does not read: {why}")]
    Corrupt {
        /// Its key.
        key: String,
        /// Why.
        why: String,
    },
    /// Nothing is published under the prefix.
    #[error("no store is published under `{0}`")]
    NothingPublished(String),
    /// The store is larger than a fleet stores.
    #[error("{0}")]
    TooLarge(String),
}

impl From<etcd_client::Error> for FleetError {
    fn from(e: etcd_client::Error) -> FleetError {
        FleetError::Etcd(e.to_string())
    }
}

/// The largest response read from etcd (a page of a full read, a watch response).
const MAX_MESSAGE_BYTES: usize = 256 << 20;
/// Keys per page of a full read.
const PAGE: i64 = 2_000;

/// Connects to the etcd cluster at `endpoints` (`http://127.0.0.1:2379`, ...), giving up on
/// each request after `timeout`.
pub async fn connect(endpoints: &[String], timeout: Duration) -> Result<Client, FleetError> {
    let options = ConnectOptions::new()
        .with_connect_timeout(timeout)
        .with_timeout(timeout)
        .with_keep_alive(Duration::from_secs(2), timeout);
    Ok(Client::connect(endpoints, Some(options)).await?)
}

/// Runs `op` on a client of one member after another, round after round, until one answers or
/// `patience` has passed: a client of several endpoints may keep sending to a member that is
/// down, a leader election refuses requests for a moment, and an operator's `publish` or `revoke`
/// must get through whenever a quorum lives. Each attempt is bounded by `timeout`. Only
/// [`FleetError::Etcd`] moves on to the next attempt; every other answer is final.
pub async fn on_any<T, F, Fut>(
    endpoints: &[String],
    timeout: Duration,
    patience: Duration,
    mut op: F,
) -> Result<T, FleetError>
where
    F: FnMut(Client) -> Fut,
    Fut: std::future::Future<Output = Result<T, FleetError>>,
{
    let deadline = tokio::time::Instant::now() + patience;
    if endpoints.is_empty() {
        return Err(FleetError::Etcd("no endpoint given".to_owned()));
    }
    loop {
        for endpoint in endpoints {
            let attempt = async {
                let client = connect(std::slice::from_ref(endpoint), timeout).await?;
                op(client).await
            };
            let last = match tokio::time::timeout(timeout * 4, attempt).await {
                Ok(Err(FleetError::Etcd(e))) => FleetError::Etcd(format!("{endpoint}: {e}")),
                Err(_) => {
                    FleetError::Etcd(format!("{endpoint}: no answer within {:?}", timeout * 4))
                }
                Ok(done) => return done,
            };
            if tokio::time::Instant::now() >= deadline {
                return Err(last);
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The fleet's state as read at one revision.
#[derive(Clone, Debug, Default)]
pub struct Snapshot {
    /// The revision it was read at.
    pub revision: i64,
    /// The revision of the manifest (the store's revision), 0 when nothing is published.
    pub version: i64,
    /// The shared trust's text.
    pub store: Option<String>,
    /// The manifest.
    pub manifest: Option<Manifest>,
    /// The chunks under the prefix, by name (those of the manifest among them).
    pub chunks: BTreeMap<String, Vec<u8>>,
    /// The revocations.
    pub revocations: Vec<RevocationRecord>,
    /// The credentials the fleet's servers issued (and that have not expired).
    pub issued: Vec<Issued>,
    /// The servers' statuses, by id.
    pub servers: BTreeMap<String, String>,
}

impl Snapshot {
    /// Reads everything under `layout`'s prefix at one revision, a page at a time.
    pub async fn read(client: &Client, layout: &Layout) -> Result<Snapshot, FleetError> {
        let mut kv = client
            .kv_client()
            .max_decoding_message_size(MAX_MESSAGE_BYTES);
        let prefix = layout.prefix().as_bytes().to_vec();
        let end = prefix_end(&prefix);
        let mut snapshot = Snapshot::default();
        let mut from = prefix.clone();
        let mut revision = 0;
        loop {
            let mut options = GetOptions::new().with_range(end.clone()).with_limit(PAGE);
            if revision > 0 {
                options = options.with_revision(revision);
            }
            let page = kv.get(from.clone(), Some(options)).await?;
            if revision == 0 {
                revision = page.header().map_or(0, |h| h.revision());
                snapshot.revision = revision;
            }
            for kv in page.kvs() {
                snapshot.take(layout, kv.key(), kv.value(), kv.mod_revision())?;
            }
            match page.kvs().last() {
                Some(last) if page.more() => {
                    from = last.key().to_vec();
                    from.push(0);
                }
                _ => break,
            }
        }
        Ok(snapshot)
    }

    fn take(
        &mut self,
        layout: &Layout,
        key: &[u8],
        value: &[u8],
        mod_revision: i64,
    ) -> Result<(), FleetError> {
        let name = String::from_utf8_lossy(key).into_owned();
        match layout.classify(key) {
            layout::Key::Store => {
                self.store =
                    Some(
                        String::from_utf8(value.to_vec()).map_err(|e| FleetError::Corrupt {
                            key: name,
                            why: e.to_string(),
                        })?,
                    );
            }
            layout::Key::Version => {
                self.manifest = Some(Manifest::from_json(&name, value)?);
                self.version = mod_revision;
            }
            layout::Key::Chunk(sha) => {
                self.chunks.insert(sha.to_owned(), value.to_vec());
            }
            layout::Key::Revocation => self.revocations.extend(revocation(&name, value)?),
            layout::Key::Issued => {
                let line = std::str::from_utf8(value).unwrap_or_default().trim_end();
                self.issued
                    .push(Issued::parse(line).ok_or_else(|| FleetError::Corrupt {
                        key: name,
                        why: "not an issuance record".to_owned(),
                    })?);
            }
            layout::Key::Server(id) => {
                self.servers
                    .insert(id.to_owned(), String::from_utf8_lossy(value).into_owned());
            }
            layout::Key::Other => {}
        }
        Ok(())
    }

    /// The published document's credentials, in the manifest's order, read under `limits`.
    pub fn credentials(
        &self,
        layout: &Layout,
        limits: &Limits,
    ) -> Result<Vec<CredentialDef>, FleetError> {
        let manifest = self
            .manifest
            .as_ref()
            .ok_or_else(|| FleetError::NothingPublished(layout.prefix().to_owned()))?;
        let mut out = Vec::new();
        for sha in &manifest.chunks {
            let key = layout.chunk(sha);
            let text = self.chunks.get(sha).ok_or_else(|| FleetError::Corrupt {
                key: layout.version(),
                why: format!("it names chunk `{sha}`, which is not there"),
            })?;
            out.extend(chunks::read(&key, sha, text, limits)?);
        }
        Ok(out)
    }

    /// The trust it holds: the shared trust with the published document, under `limits`, plus
    /// what `local` adds (signing keys, for a server that mints).
    pub fn trust(
        &self,
        layout: &Layout,
        limits: &Limits,
        local: impl FnOnce(fgac::credentials::TrustBuilder) -> fgac::credentials::TrustBuilder,
    ) -> Result<Trust, FleetError> {
        let store = self
            .store
            .as_deref()
            .ok_or_else(|| FleetError::NothingPublished(layout.prefix().to_owned()))?;
        let builder = fgac::credentials::TrustBuilder::from_shared_text(store)
            .map_err(|e| FleetError::Corrupt {
                key: layout.store(),
                why: e.to_string(),
            })?
            .limits(limits.clone())
            .document_model(Document::new(self.credentials(layout, limits)?));
        local(builder).build().map_err(FleetError::Invalid)
    }
}

/// The revocation a value holds; `key` names it in errors.
pub(crate) fn revocation(key: &str, value: &[u8]) -> Result<Vec<RevocationRecord>, FleetError> {
    let text = std::str::from_utf8(value).map_err(|e| FleetError::Corrupt {
        key: key.to_owned(),
        why: e.to_string(),
    })?;
    parse_log(text)
        .map(|(records, _)| records)
        .map_err(|e| FleetError::Corrupt {
            key: key.to_owned(),
            why: e.to_string(),
        })
}

/// The first key after every key that starts with `prefix`.
fn prefix_end(prefix: &[u8]) -> Vec<u8> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < 0xff {
            end.push(last + 1);
            return end;
        }
    }
    vec![0]
}

/// A publish, compared against the live store and ready to write.
#[derive(Clone, Debug)]
pub struct Plan {
    /// The store's revision it compared against (0: nothing was published).
    pub base: i64,
    /// Whether the shared trust (keys, issuer, leeway) changes.
    pub store_changes: bool,
    /// What changes, credential by credential (as `fgac diff` shows it).
    pub diff: fgac::analysis::Diff,
    store: String,
    manifest: Manifest,
    new_chunks: Vec<Chunk>,
    old_chunks: Vec<String>,
}

impl Plan {
    /// Whether publishing it would change nothing.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        !self.store_changes && self.diff.is_empty() && self.new_chunks.is_empty()
    }
}

/// Compares `trust` (a server's trust file, read and compiled: its document and shared part)
/// with the store live under `layout`, at `now`. Refuses a trust without a document.
pub async fn plan(
    client: &Client,
    layout: &Layout,
    trust: &Trust,
    now: Timestamp,
) -> Result<Plan, FleetError> {
    let local = trust.document().ok_or_else(|| {
        FleetError::Invalid(fgac::Error::from_diagnostics(vec![fgac::Diagnostic::new(
            fgac::ErrorKind::NoCredentials,
            fgac::model::Span::default(),
            "the trust names no document to publish",
        )]))
    })?;
    let document = Document::new(
        local
            .credentials()
            .filter_map(fgac::Credential::definition)
            .cloned()
            .collect(),
    );
    let chunks = chunks::split(&document)?;
    let snapshot = Snapshot::read(client, layout).await?;
    let limits = trust.limits().clone();
    let live = match &snapshot.manifest {
        Some(_) => Authorizer::builder()
            .limits(limits.clone())
            .compile(&Document::new(snapshot.credentials(layout, &limits)?))
            .map_err(FleetError::Invalid)?,
        None => Authorizer::empty(),
    };
    let diff = fgac::analysis::diff(&live, local, now, fgac::analysis::DiffOptions::default());
    let store = trust.shared_text();
    let manifest = Manifest {
        chunks: chunks.iter().map(|c| c.sha.clone()).collect(),
    };
    let old_chunks = snapshot
        .manifest
        .as_ref()
        .map(|m| m.chunks.clone())
        .unwrap_or_default();
    let new_chunks = chunks
        .into_iter()
        .filter(|c| !snapshot.chunks.contains_key(&c.sha))
        .collect();
    Ok(Plan {
        base: snapshot.version,
        store_changes: snapshot.store.as_deref() != Some(store.as_str()),
        diff,
        store,
        manifest,
        new_chunks,
        old_chunks,
    })
}

/// Writes `plan`: its new chunks first (invisible until the manifest names them), then, in one
/// transaction, the manifest and the shared trust, only if the store is still at `plan.base`
/// (or at `if_revision`, when given, which must be `plan.base`). Returns the store's new
/// revision. Chunks only the old manifest named are deleted afterwards.
pub async fn commit(
    client: &Client,
    layout: &Layout,
    plan: &Plan,
    if_revision: Option<i64>,
) -> Result<i64, FleetError> {
    let mut kv = client.kv_client();
    let expected = if_revision.unwrap_or(plan.base);
    if expected != plan.base {
        return Err(FleetError::LostRace {
            expected,
            won: plan.base,
        });
    }
    for c in &plan.new_chunks {
        kv.put(layout.chunk(&c.sha), c.text.as_bytes(), None)
            .await?;
    }
    let txn = Txn::new()
        .when([Compare::mod_revision(
            layout.version(),
            CompareOp::Equal,
            expected,
        )])
        .and_then([
            TxnOp::put(layout.store(), plan.store.as_bytes(), None),
            TxnOp::put(layout.version(), plan.manifest.to_json(), None),
        ]);
    let done = kv.txn(txn).await?;
    if !done.succeeded() {
        let now = kv.get(layout.version(), None).await?;
        let won = now
            .kvs()
            .first()
            .map_or(0, etcd_client::KeyValue::mod_revision);
        return Err(FleetError::LostRace { expected, won });
    }
    let revision = done.header().map_or(0, |h| h.revision());
    for sha in &plan.old_chunks {
        if !plan.manifest.chunks.contains(sha) {
            // Followers behind read it at its revision; a failure leaves a chunk no manifest
            // names, which decides nothing.
            let _ = kv.delete(layout.chunk(sha), None).await;
        }
    }
    Ok(revision)
}

/// Writes `record` under `layout` and returns the revision etcd committed it at (a quorum
/// has it). Under a lease that ends `leeway_seconds` (the trust's leeway for clocks) after what
/// it covers has expired, so the set compacts itself; without one when that is never.
pub async fn revoke(
    client: &Client,
    layout: &Layout,
    record: &RevocationRecord,
    now: Timestamp,
    leeway_seconds: u64,
) -> Result<i64, FleetError> {
    let line = record.line().map_err(|e| {
        FleetError::Invalid(fgac::Error::from_diagnostics(vec![fgac::Diagnostic::new(
            fgac::ErrorKind::Syntax,
            fgac::model::Span::default(),
            e.to_string(),
        )]))
    })?;
    let options = leased_until(client, record.until, now, leeway_seconds).await?;
    let put = client
        .kv_client()
        .put(layout.revocation(&record.revocation), line, options)
        .await?;
    Ok(put.header().map_or(0, |h| h.revision()))
}

/// Put options under a lease that ends `leeway_seconds` after `until` (none when that is
/// never): what keeps a revocation or an issuance record only while it matters.
async fn leased_until(
    client: &Client,
    until: Expiry,
    now: Timestamp,
    leeway_seconds: u64,
) -> Result<Option<PutOptions>, FleetError> {
    let Expiry::At(until) = until else {
        return Ok(None);
    };
    let ttl = until
        .unix_seconds()
        .saturating_add(leeway_seconds)
        .saturating_sub(now.unix_seconds())
        .max(1);
    let lease = client
        .lease_client()
        .grant(i64::try_from(ttl).unwrap_or(i64::MAX), None)
        .await?;
    Ok(Some(PutOptions::new().with_lease(lease.id())))
}

/// Records that a server of the fleet issued `issued` (minted or refreshed it), under a lease
/// that ends `leeway_seconds` after it, and all that may be refreshed from it, has expired: what
/// a revocation by id reads to say until when it matters and what it covers.
pub async fn record_issued(
    client: &Client,
    layout: &Layout,
    issued: &Issued,
    now: Timestamp,
    leeway_seconds: u64,
) -> Result<i64, FleetError> {
    let options = leased_until(client, issued.covered_until(), now, leeway_seconds).await?;
    let put = client
        .kv_client()
        .put(layout.issued(&issued.id), issued.line(), options)
        .await?;
    Ok(put.header().map_or(0, |h| h.revision()))
}

/// One line of the fleet's status: a server, or the store.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerLine {
    /// The server's id.
    pub id: String,
    /// What it reported (JSON: applied revision, last contact, staleness, counts).
    pub status: serde_json::Value,
}

/// The store's revision and every live server's status.
pub async fn status(
    client: &Client,
    layout: &Layout,
) -> Result<(i64, Vec<ServerLine>), FleetError> {
    let snapshot = Snapshot::read(client, layout).await?;
    let servers = snapshot
        .servers
        .into_iter()
        .map(|(id, text)| ServerLine {
            id,
            status: serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text)),
        })
        .collect();
    Ok((snapshot.version, servers))
}
