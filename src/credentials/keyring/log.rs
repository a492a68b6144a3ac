//! Revoking, and following the revocation log: what the key ring's revocations come from, and
//! how they stay in force whatever happens to the file.

use super::super::ledger::{self, Ledger};
use super::super::linefile::{self, Identity};
use super::super::revocations::{self, HEADER, LogError, LogView, Revocation, RevocationRecord};
use super::super::trust::Trust;
use super::registry::{LogHealth, Registry, RevocationStatus, Revoked};
use super::session::Entry;
use super::{Keyring, cache::lock};
use crate::model::Expiry;
use crate::time::Timestamp;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::Ordering;

impl Keyring {
    /// Revokes a credential (with its later generations and everything minted from them) or a
    /// signing key at `now`. When the trust names a revocation log, returns only once the
    /// revocation is on disk (under the log's lock, on a fresh line); when the log is missing or
    /// lacks revocations in force, it is written back whole first. Then, before returning,
    /// withdraws every session and cached credential it covers: every later resolution of a
    /// covered credential is refused, and every live session's next decision is a deny.
    ///
    /// The line records until when the revocation matters (see [`RevocationRecord::until`]):
    /// what this key ring or the trust's issuance ledger knows of the credential, else never.
    pub fn revoke(&self, revocation: Revocation, now: Timestamp) -> Result<Revoked, LogError> {
        let state = self.state.load();
        let mut registry = lock(&self.registry);
        let (until, descendants) = self.reach(&registry, &state.trust, &revocation, now);
        let record = RevocationRecord {
            revocation,
            at: now,
            until,
        };
        let restored = match state.trust.revocations.clone() {
            None => false,
            Some(path) => self.write(&mut registry, &path, &record, now)?,
        };
        if registry.revocations.insert(&record) {
            self.count_revocations(1);
        }
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
        trust: &Trust,
        revocation: &Revocation,
        now: Timestamp,
    ) -> (Expiry, Option<usize>) {
        let Revocation::Credential(id) = revocation else {
            return (Expiry::Never, None);
        };
        let from_ledger = trust
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

    /// Brings the revocations held up to the trust's log, as it is now: applies the lines
    /// appended since it was last read (by this process or another, such as `fgac revoke`);
    /// reads it whole when it was replaced, cut short or rewritten, and then keeps in force what
    /// it lacks (reporting it, unless all it lacks has expired: a compaction). Revocations held
    /// never shrink because of the file. Returns how many new revocations were applied.
    pub(super) fn sync_log(
        &self,
        registry: &mut Registry,
        now: Timestamp,
    ) -> Result<usize, LogError> {
        let state = self.state.load();
        let Some(path) = state.trust.revocations.clone() else {
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
            Ok(n) => self.count_revocations(*n),
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

    /// Applies revocations made elsewhere (another process, a fleet's shared store), without
    /// writing them to any log: each is held from now on (revocations only grow), and every
    /// session and cached credential it covers is withdrawn before this returns. Returns how
    /// many were new.
    pub fn apply_revocations(&self, records: impl IntoIterator<Item = RevocationRecord>) -> usize {
        let mut registry = lock(&self.registry);
        let mut new = 0;
        for record in records {
            if registry.revocations.insert(&record) {
                new += 1;
                self.apply(&registry, &record.revocation);
            }
        }
        self.count_revocations(new);
        new
    }

    /// Forgets the revocations held whose credentials have all expired by `now`, less
    /// [`COMPACTION_MARGIN_SECONDS`](crate::credentials::COMPACTION_MARGIN_SECONDS): for a long-running
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
}
