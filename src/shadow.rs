//! Shadow evaluation: a candidate policy decides a sample of live requests beside the policy in
//! force, and every request it would decide otherwise is counted and reported. `fgac diff` says
//! what a change could do; a shadow says what it would have done on real traffic.
//!
//! The live decision is made and returned before the shadow sees the request, and the shadow
//! only reads it: nothing the candidate holds can change what the live policy decides.
//!
//! ```
//! use fgac::shadow::Shadow;
//! use fgac::{Authorizer, Outcome, Operation, Resource, Timestamp};
//!
//! let doc = |role: &str| format!(r#"{{"credentials": [{{"name": "app", "kind": "api_key",
//!     "expires_at": 1801440000, "permissions": [{{"role": "{role}", "cache": "c"}}]}}]}}"#);
//! let live = Authorizer::from_source(&doc("readwrite"))?;
//! let shadow = Shadow::new(Authorizer::from_source(&doc("readonly"))?, 1);
//! let now = Timestamp::from_unix_seconds(1_795_651_200);
//! for (op, key) in [(fgac::Operation::Get, &b"a"[..]), (fgac::Operation::Set, b"a")] {
//!     let resource = Resource::item("c", key);
//!     let decided = live.credential("app").unwrap().authorize(op, resource, now);
//!     if let Some(change) = shadow.compare("app", op, resource, now, Outcome::Decided(decided)) {
//!         // Set: allowed now, denied by the candidate (no_matching_grant).
//!         assert!(change.live.is_allowed() && !change.candidate.is_allowed());
//!     }
//! }
//! assert_eq!((shadow.stats().compared, shadow.stats().changed), (2, 1));
//! # Ok::<(), fgac::Error>(())
//! ```

use crate::decision::{Outcome, Resource};
use crate::engine::{Authorizer, Credential};
use crate::metrics::{Event, Metrics};
use crate::ops::Operation;
use crate::time::Timestamp;
use std::cell::Cell;
use std::fmt;
use std::sync::Arc;

/// A request the candidate would allow where the policy in force denies, or deny where it
/// allows (a deny for another reason or by another rule is not a change of decision; both
/// outcomes are here, with their reasons and rules).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Change {
    /// What the policy in force decided.
    pub live: Outcome,
    /// What the candidate would decide.
    pub candidate: Outcome,
}

/// What a [`Shadow`] compared and found changed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ShadowStats {
    /// Requests the candidate decided (the sampled ones).
    pub compared: u64,
    /// Of those, requests it decided otherwise.
    pub changed: u64,
}

thread_local! {
    /// Requests this thread offered to a shadow, for sampling without a shared counter.
    static OFFERED: Cell<u64> = const { Cell::new(0) };
}

/// A candidate policy deciding one request in `one_in` beside the live one.
pub struct Shadow {
    candidate: Authorizer,
    one_in: u64,
    /// Counted per thread, as [`Metrics`] counts: no shared line per compared request.
    counts: Arc<Metrics>,
}

impl fmt::Debug for Shadow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Shadow")
            .field("one_in", &self.one_in)
            .field("stats", &self.stats())
            .finish_non_exhaustive()
    }
}

impl Shadow {
    /// A shadow of `candidate` deciding one request in `one_in` (counted per thread; 0: none,
    /// 1: every one).
    #[must_use]
    pub fn new(candidate: Authorizer, one_in: u64) -> Shadow {
        Shadow {
            candidate,
            one_in,
            counts: Arc::new(Metrics::new()),
        }
    }

    /// Counts in `metrics` ([`Event::ShadowCompared`], [`Event::ShadowChanged`]), beside an
    /// embedding's other counts, instead of its own.
    #[must_use]
    pub fn with_metrics(mut self, metrics: Arc<Metrics>) -> Shadow {
        self.counts = metrics;
        self
    }

    /// The candidate.
    #[must_use]
    pub fn candidate(&self) -> &Authorizer {
        &self.candidate
    }

    /// Offers a request the live policy decided as `live` (for the credential named
    /// `credential`): when it is sampled, the candidate decides it too, and when it would allow
    /// what `live` denies or deny what it allows, both outcomes are returned and counted. Never
    /// changes `live`; never allocates.
    #[must_use]
    #[inline]
    pub fn compare(
        &self,
        credential: &str,
        op: Operation,
        resource: Resource<'_>,
        now: Timestamp,
        live: Outcome,
    ) -> Option<Change> {
        if !self.sampled() {
            return None;
        }
        self.decide(
            self.candidate.credential(credential),
            op,
            resource,
            now,
            live,
        )
    }

    /// As [`Shadow::compare`], with the candidate's credential looked up already (once per
    /// connection, with [`Authorizer::credential`] on [`Shadow::candidate`]; `None` when the
    /// candidate does not hold it).
    #[must_use]
    #[inline]
    pub fn compare_with(
        &self,
        candidate: Option<&Credential>,
        op: Operation,
        resource: Resource<'_>,
        now: Timestamp,
        live: Outcome,
    ) -> Option<Change> {
        if !self.sampled() {
            return None;
        }
        self.decide(candidate, op, resource, now, live)
    }

    #[inline]
    fn decide(
        &self,
        candidate: Option<&Credential>,
        op: Operation,
        resource: Resource<'_>,
        now: Timestamp,
        live: Outcome,
    ) -> Option<Change> {
        self.counts.record(Event::ShadowCompared);
        let candidate = match candidate {
            Some(c) => Outcome::Decided(c.authorize(op, resource, now)),
            None => Outcome::UnknownCredential,
        };
        if candidate.is_allowed() == live.is_allowed() {
            return None;
        }
        self.counts.record(Event::ShadowChanged);
        Some(Change { live, candidate })
    }

    #[inline]
    fn sampled(&self) -> bool {
        crate::metrics::sampled(self.one_in, &OFFERED)
    }

    /// What was compared and changed so far.
    #[must_use]
    pub fn stats(&self) -> ShadowStats {
        let counts = self.counts.snapshot();
        ShadowStats {
            compared: counts.event(Event::ShadowCompared),
            changed: counts.event(Event::ShadowChanged),
        }
    }
}
