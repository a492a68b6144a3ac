//! What a resolved credential is: an entry shared by the cache and every session, and the
//! session a connection authorizes its requests with.

use super::super::claims::RefreshClaims;
use crate::decision::{AuthFailure, BatchDecision, Decision, DenyReason, Resource};
use crate::engine::Credential;
use crate::metrics::{Event, Metrics};
use crate::model::Expiry;
use crate::ops::{Need, Operation};
use crate::time::Timestamp;
use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// One verified credential, shared by the cache and by every session that resolved it.
pub(crate) struct Entry {
    pub(super) token: Box<str>,
    pub(super) hash: u64,
    pub(super) id: Box<str>,
    pub(super) kid: Box<str>,
    pub(super) issuer: Option<Box<str>>,
    pub(super) subject: Box<str>,
    /// An API key that refers to the trust's document for its permissions.
    pub(super) reference: bool,
    /// Its ancestors' ids, root first (its `lineage` claim).
    pub(super) lineage: Box<[Box<str>]>,
    /// How it may be refreshed (an API key minted by a key ring).
    pub(crate) refresh: Option<RefreshClaims>,
    /// When everything a revocation of it covers has expired (see [`Entry::covered_until`]).
    pub(super) covered_until: Expiry,
    /// When it becomes valid: the later of `iat` and `nbf`, less the trust's leeway.
    pub(super) valid_from: Timestamp,
    pub(super) credential: Credential,
    pub(super) live: AtomicBool,
    /// The key ring's metrics, when it counts: every decision of a session counts there.
    pub(super) metrics: Option<Arc<Metrics>>,
}

impl Entry {
    /// Whether a client at `peer` may use it at `now`.
    pub(super) fn admit(&self, peer: IpAddr, now: Timestamp) -> Result<(), AuthFailure> {
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

    /// Withdraws it: every session's next decision is a deny. Counted once.
    pub(super) fn kill(&self) {
        if self.live.swap(false, Ordering::SeqCst)
            && let Some(m) = &self.metrics
        {
            m.record(Event::SessionWithdrawn);
        }
    }

    /// Counts `decision` of what `need` asks for, when the key ring counts.
    #[inline]
    fn count(&self, need: Need, decision: Decision) {
        if let Some(m) = &self.metrics {
            m.record_need(need, decision);
        }
    }
}

/// A presented credential resolved for one connection: resolve once, then authorize each
/// request. Cheap to clone (one reference count).
///
/// Each decision first checks that the credential has not been revoked since (one atomic load),
/// so a revocation reaches live connections on their next request.
#[derive(Clone)]
pub struct Session {
    pub(super) entry: Arc<Entry>,
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
    /// Counted in the key ring's [`Metrics`], when it has them.
    #[inline]
    pub fn authorize(&self, op: Operation, resource: Resource<'_>, now: Timestamp) -> Decision {
        let decision = self.decide(op.need(), resource, now);
        if let Some(m) = &self.entry.metrics {
            m.record_decision(op, decision);
        }
        decision
    }

    /// As [`Credential::authorize_need`], after the revocation check.
    #[inline]
    pub fn authorize_need(&self, need: Need, resource: Resource<'_>, now: Timestamp) -> Decision {
        let decision = self.decide(need, resource, now);
        self.entry.count(need, decision);
        decision
    }

    /// The decision, uncounted.
    #[inline]
    fn decide(&self, need: Need, resource: Resource<'_>, now: Timestamp) -> Decision {
        if self.entry.live.load(Ordering::SeqCst) {
            self.entry.credential.authorize_need(need, resource, now)
        } else {
            Decision::Deny(DenyReason::Unauthenticated(AuthFailure::Revoked))
        }
    }

    /// As [`Credential::authorize_batch`], after the revocation check.
    pub fn authorize_batch<'k>(
        &self,
        op: Operation,
        cache: &str,
        keys: impl IntoIterator<Item = &'k [u8]>,
        now: Timestamp,
    ) -> BatchDecision {
        let decision = if self.entry.live.load(Ordering::SeqCst) {
            self.entry.credential.authorize_batch(op, cache, keys, now)
        } else {
            let reason = DenyReason::Unauthenticated(AuthFailure::Revoked);
            BatchDecision::Deny { index: 0, reason }
        };
        if self.entry.metrics.is_some() {
            // A batch is one decision: allowed, or denied for the first key's reason.
            let single = match decision {
                BatchDecision::Allow => Decision::Allow,
                BatchDecision::Deny { reason, .. } => Decision::Deny(reason),
                BatchDecision::Empty => Decision::Deny(DenyReason::NoMatchingGrant),
            };
            self.entry.count(op.need(), single);
        }
        decision
    }

    /// Whether the credential is still in force (not revoked or withdrawn).
    #[must_use]
    pub fn is_live(&self) -> bool {
        self.entry.live.load(Ordering::SeqCst)
    }

    /// The compiled credential (for a key that refers to the trust's document, that credential,
    /// expiring no later than the key).
    #[must_use]
    pub fn credential(&self) -> &Credential {
        &self.entry.credential
    }

    /// The credential's id (`jti`), what [`Revocation::Credential`](crate::credentials::Revocation::Credential) names.
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

    /// Whether this is an API key that takes its permissions from the trust's document.
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
