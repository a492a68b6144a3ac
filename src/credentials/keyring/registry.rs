//! What a key ring holds besides its trust: the revocations, every entry a session or the cache
//! may hold, and what it knows of the revocation log; and what it reports of them.

use super::super::claims::RefreshClaims;
use super::super::lineage;
use super::super::revocations::{LogView, Revocation, RevocationRecord, RevocationSet};
use super::session::Entry;
use crate::model::Expiry;
use ahash::AHashMap;
use std::path::PathBuf;
use std::sync::{Arc, Weak};

/// When everything a revocation of a credential with these claims covers has expired: for a key
/// that may be refreshed, the latest its successors may live; otherwise its own expiry (what is
/// minted from it expires no later).
pub(crate) fn covered_until(expiry: Expiry, refresh: Option<RefreshClaims>) -> Expiry {
    refresh.map_or(expiry, |r| r.until)
}

/// Revocations, every entry a session or the cache may hold, and what was applied of the log.
#[derive(Default)]
pub(super) struct Registry {
    pub(super) revocations: RevocationSet,
    pub(super) live: Vec<Weak<Entry>>,
    /// The entries of keys that refer to a document credential, by its name: what an update of
    /// the document may withdraw.
    pub(super) by_subject: AHashMap<Box<str>, Vec<Weak<Entry>>>,
    /// The registry's length after its last pruning.
    pub(super) pruned: usize,
    /// The log followed: its path, and how much of which file was applied.
    pub(super) log_path: Option<PathBuf>,
    pub(super) view: LogView,
    pub(super) health: LogHealth,
}

impl Registry {
    pub(super) fn is_revoked(&self, e: &Entry) -> bool {
        self.revocations.revokes(&e.id, &e.lineage, &e.kid)
    }

    pub(super) fn covers(r: &Revocation, e: &Entry) -> bool {
        match r {
            Revocation::Credential(id) => lineage::covered(id, &e.id, &e.lineage),
            Revocation::Key(kid) => *e.kid == **kid,
        }
    }

    /// The entries still held somewhere.
    pub(super) fn entries(&self) -> impl Iterator<Item = Arc<Entry>> + '_ {
        self.live.iter().filter_map(Weak::upgrade)
    }

    /// The entries still held somewhere of keys that refer to the document credential `name`.
    pub(super) fn referring_to<'a>(&'a self, name: &str) -> impl Iterator<Item = Arc<Entry>> + 'a {
        self.by_subject
            .get(name)
            .into_iter()
            .flatten()
            .filter_map(Weak::upgrade)
    }

    pub(super) fn register(&mut self, e: &Arc<Entry>) {
        self.live.push(Arc::downgrade(e));
        if e.reference {
            self.by_subject
                .entry(e.subject.clone())
                .or_default()
                .push(Arc::downgrade(e));
        }
        if self.live.len() >= 2 * self.pruned.max(1024) {
            self.live.retain(|w| w.strong_count() > 0);
            self.by_subject.retain(|_, entries| {
                entries.retain(|w| w.strong_count() > 0);
                !entries.is_empty()
            });
            self.pruned = self.live.len();
        }
    }
}

/// The state of the revocation log a key ring follows.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum LogHealth {
    /// The trust names no revocation log: revocations live in memory only.
    #[default]
    NoLog,
    /// The log holds every revocation in force that the key ring applied.
    Ok,
    /// The log is not where the trust says: it was moved or deleted. Every revocation applied
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

/// What a key ring knows of its revocations ([`Keyring::revocation_status`](super::Keyring::revocation_status)).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct RevocationStatus {
    /// The log followed, if the trust names one.
    pub log: Option<PathBuf>,
    /// The log's state.
    pub health: LogHealth,
    /// How many revocations are held (see [`Keyring::forget_expired_revocations`](super::Keyring::forget_expired_revocations)).
    pub held: usize,
}

/// What a revocation did ([`Keyring::revoke`](super::Keyring::revoke)).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Revoked {
    /// The line written: what, when, and until when it matters.
    pub record: RevocationRecord,
    /// Sessions and cached credentials of this process it withdrew.
    pub withdrawn: usize,
    /// For a credential, the credentials other than it that it covers and that have not expired,
    /// according to the trust's issuance ledger (`None` without a ledger).
    pub descendants: Option<usize>,
    /// Whether the log had to be written back whole (it was missing, or lacked revocations in
    /// force).
    pub restored: bool,
}
