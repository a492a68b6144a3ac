//! Counters of what an embedding decides and resolves, cheap enough for the hot path: no lock, no
//! allocation, and no cache line that two threads write.
//!
//! Each thread counts in a slot of its own (one of [`EXCLUSIVE_SLOTS`], chosen once per thread):
//! a slot has one writer, so an increment is a relaxed load and store, with no read-modify-write
//! instruction and no line shared with another core. Threads beyond that many share a few extra
//! slots with atomic additions. [`Metrics::snapshot`] sums the slots; a count read while threads
//! are counting may miss their latest increments, never tear, and is exact once they are done.
//!
//! A key ring (`credentials::Keyring`, feature `credentials`) given a `Metrics` counts
//! every resolution, decision, cache lookup and trust change itself; an embedder that decides
//! with an [`Authorizer`](crate::Authorizer) directly counts with [`Metrics::record_decision`].
//! The library exports nothing: an embedder reads [`MetricsSnapshot`] and exports it as it likes.
//!
//! ```
//! use fgac::metrics::{Metrics, OpFamily, Verdict};
//! use fgac::{Authorizer, DenyKind, Operation, Resource, Timestamp};
//!
//! let authz = Authorizer::from_source(r#"{"credentials": [{"name": "app", "kind": "api_key",
//!     "expires_at": 1801440000,
//!     "permissions": [{"role": "readonly", "cache": "c"}]}]}"#)?;
//! let metrics = Metrics::new();
//! let app = authz.credential("app").unwrap();
//! let now = Timestamp::from_unix_seconds(1_795_651_200);
//! for (op, key) in [(Operation::Get, &b"a"[..]), (Operation::Get, b"b"), (Operation::Set, b"a")] {
//!     metrics.record_decision(op, app.authorize(op, Resource::item("c", key), now));
//! }
//! let counts = metrics.snapshot();
//! assert_eq!(counts.decision(OpFamily::ItemRead, Verdict::Allow), 2);
//! assert_eq!(counts.decision(OpFamily::ItemWrite, Verdict::Deny(DenyKind::NoMatchingGrant)), 1);
//! # Ok::<(), fgac::Error>(())
//! ```

use crate::decision::{AuthFailure, Decision, DenyKind};
use crate::ops::{Need, Operation};
use std::cell::Cell;
use std::fmt;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering::Relaxed};

/// What an operation acts on and how, for counting decisions: few enough to be a metric's label.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum OpFamily {
    /// Reads of cache items.
    ItemRead,
    /// Writes of cache items (including read-and-write operations).
    ItemWrite,
    /// Topic subscriptions.
    TopicRead,
    /// Topic publishes.
    TopicWrite,
    /// Reads of store items.
    StoreRead,
    /// Writes of store items.
    StoreWrite,
    /// Account operations: caches as a whole, minting, listing.
    Account,
    /// Operations only a super-user key may do.
    ControlPlane,
}

impl OpFamily {
    /// Every family, in this order.
    pub const ALL: &'static [OpFamily] = &[
        OpFamily::ItemRead,
        OpFamily::ItemWrite,
        OpFamily::TopicRead,
        OpFamily::TopicWrite,
        OpFamily::StoreRead,
        OpFamily::StoreWrite,
        OpFamily::Account,
        OpFamily::ControlPlane,
    ];

    /// The family of what `need` asks for.
    #[must_use]
    pub const fn of_need(need: Need) -> OpFamily {
        match need {
            Need::Item(r) if r.contains(crate::ops::Rights::WRITE) => OpFamily::ItemWrite,
            Need::Item(_) => OpFamily::ItemRead,
            Need::Topic(r) if r.contains(crate::ops::Rights::PUBLISH) => OpFamily::TopicWrite,
            Need::Topic(_) => OpFamily::TopicRead,
            Need::StoreItem(r) if r.contains(crate::ops::Rights::WRITE) => OpFamily::StoreWrite,
            Need::StoreItem(_) => OpFamily::StoreRead,
            Need::Account(_) => OpFamily::Account,
            Need::ControlPlane => OpFamily::ControlPlane,
        }
    }

    /// The family of `op`.
    #[must_use]
    pub const fn of(op: Operation) -> OpFamily {
        OpFamily::of_need(op.need())
    }

    /// The snake_case name: `item_read`, `topic_write`, `control_plane`, ...
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            OpFamily::ItemRead => "item_read",
            OpFamily::ItemWrite => "item_write",
            OpFamily::TopicRead => "topic_read",
            OpFamily::TopicWrite => "topic_write",
            OpFamily::StoreRead => "store_read",
            OpFamily::StoreWrite => "store_write",
            OpFamily::Account => "account",
            OpFamily::ControlPlane => "control_plane",
        }
    }
}

impl fmt::Display for OpFamily {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A decision's outcome for counting: allowed, or denied for a kind of reason.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Verdict {
    /// Allowed.
    Allow,
    /// Denied, for this kind of reason.
    Deny(DenyKind),
}

impl Verdict {
    /// The outcome of `decision`.
    #[must_use]
    pub const fn of(decision: Decision) -> Verdict {
        match decision {
            Decision::Allow => Verdict::Allow,
            Decision::Deny(reason) => Verdict::Deny(reason.kind()),
        }
    }

    /// `allow`, or the deny reason's name (`no_matching_grant`, ...).
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Verdict::Allow => "allow",
            Verdict::Deny(kind) => kind.as_str(),
        }
    }

    /// Every verdict: allow, then each deny kind.
    pub fn all() -> impl Iterator<Item = Verdict> {
        std::iter::once(Verdict::Allow).chain(DenyKind::ALL.iter().map(|k| Verdict::Deny(*k)))
    }

    const fn index(self) -> usize {
        match self {
            Verdict::Allow => 0,
            Verdict::Deny(kind) => 1 + kind as usize,
        }
    }
}

/// What the key ring did besides resolving and deciding.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Event {
    /// A presented credential was found among those verified before.
    CacheHit,
    /// A presented credential was not: it was verified (or refused) from scratch.
    CacheMiss,
    /// A verified credential was dropped from the cache to make room (it is verified again when
    /// next presented; sessions holding it are not affected).
    CacheEviction,
    /// A new trust was put in force.
    ReloadApplied,
    /// A new trust was refused (it did not read or validate); the last good one stays.
    ReloadRefused,
    /// A revocation took effect (from the log or through the key ring).
    RevocationApplied,
    /// A live session was withdrawn (revoked, or no longer accepted by a new trust).
    SessionWithdrawn,
    /// A shadow's candidate decided a request (see `fgac::shadow`).
    ShadowCompared,
    /// A shadow's candidate decided a request otherwise than the policy in force.
    ShadowChanged,
}

impl Event {
    /// Every event, in this order.
    pub const ALL: &'static [Event] = &[
        Event::CacheHit,
        Event::CacheMiss,
        Event::CacheEviction,
        Event::ReloadApplied,
        Event::ReloadRefused,
        Event::RevocationApplied,
        Event::SessionWithdrawn,
        Event::ShadowCompared,
        Event::ShadowChanged,
    ];

    /// The snake_case name: `cache_hit`, `reload_refused`, ...
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Event::CacheHit => "cache_hit",
            Event::CacheMiss => "cache_miss",
            Event::CacheEviction => "cache_eviction",
            Event::ReloadApplied => "reload_applied",
            Event::ReloadRefused => "reload_refused",
            Event::RevocationApplied => "revocation_applied",
            Event::SessionWithdrawn => "session_withdrawn",
            Event::ShadowCompared => "shadow_compared",
            Event::ShadowChanged => "shadow_changed",
        }
    }
}

/// The family of each operation, by its discriminant.
const FAMILY_OF: [u8; Operation::ALL.len()] = {
    let mut table = [0u8; Operation::ALL.len()];
    let mut i = 0;
    while i < Operation::ALL.len() {
        let op = Operation::ALL[i];
        table[op as usize] = OpFamily::of(op) as u8;
        i += 1;
    }
    table
};

const FAMILIES: usize = OpFamily::ALL.len();
const VERDICTS: usize = 1 + DenyKind::ALL.len();
const DECISIONS: usize = FAMILIES * VERDICTS;
/// Resolutions: resolved, then each failure.
const RESOLUTIONS: usize = 1 + AuthFailure::ALL.len();
const EVENTS: usize = Event::ALL.len();
const COUNTERS: usize = DECISIONS + RESOLUTIONS + EVENTS;

/// Threads that each count in a slot of their own; later threads share [`SHARED_SLOTS`].
pub const EXCLUSIVE_SLOTS: usize = 64;
/// Slots shared, with atomic additions, by threads past the first [`EXCLUSIVE_SLOTS`].
pub const SHARED_SLOTS: usize = 8;

/// One thread's counters, alone on its cache lines.
#[repr(align(128))]
struct Slot([AtomicU64; COUNTERS]);

impl Slot {
    fn new() -> Slot {
        Slot(std::array::from_fn(|_| AtomicU64::new(0)))
    }
}

/// Numbers threads as they first count, process-wide: a thread's number never changes and is
/// never given to another thread.
static NEXT_THREAD: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    /// This thread's slot, once it has counted: below [`EXCLUSIVE_SLOTS`] its own, otherwise a
    /// shared one.
    static SLOT: Cell<usize> = const { Cell::new(usize::MAX) };
}

/// Whether this request is one of the `one_in` this thread samples, counting in `seen` (a
/// thread-local counter of the caller's: no counter shared between threads). 0 samples none, 1
/// every one.
#[inline]
pub(crate) fn sampled(one_in: u64, seen: &'static std::thread::LocalKey<Cell<u64>>) -> bool {
    match one_in {
        0 => false,
        1 => true,
        n => seen.with(|c| {
            let next = c.get().wrapping_add(1);
            c.set(next);
            next % n == 0
        }),
    }
}

/// This thread's slot: the first [`EXCLUSIVE_SLOTS`] threads to count each get one of their own,
/// later threads share the rest.
#[inline]
fn thread_slot() -> usize {
    SLOT.with(|t| {
        let s = t.get();
        if s != usize::MAX {
            return s;
        }
        let n = NEXT_THREAD.fetch_add(1, Relaxed);
        let s = if n < EXCLUSIVE_SLOTS {
            n
        } else {
            EXCLUSIVE_SLOTS + n % SHARED_SLOTS
        };
        t.set(s);
        s
    })
}

/// Counters of decisions (by [`OpFamily`] and [`Verdict`]), of resolutions (resolved, or each
/// [`AuthFailure`]) and of the key ring's [`Event`]s. See the module's text.
pub struct Metrics {
    /// [`EXCLUSIVE_SLOTS`] slots with one writer each, then [`SHARED_SLOTS`]: inline, so that a
    /// counter is one address computation away from the `Metrics`.
    slots: [Slot; EXCLUSIVE_SLOTS + SHARED_SLOTS],
}

impl fmt::Debug for Metrics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

impl Default for Metrics {
    fn default() -> Metrics {
        Metrics::new()
    }
}

impl Metrics {
    /// Every counter at zero (about 60 KB of slots).
    #[must_use]
    pub fn new() -> Metrics {
        Metrics {
            slots: std::array::from_fn(|_| Slot::new()),
        }
    }

    /// Adds `n` to `counter` in this thread's slot.
    #[inline]
    fn add(&self, counter: usize, n: u64) {
        let slot = thread_slot();
        let Some(c) = self.slots.get(slot).and_then(|s| s.0.get(counter)) else {
            return;
        };
        if slot < EXCLUSIVE_SLOTS {
            // This thread is the slot's only writer: no read-modify-write needed.
            c.store(c.load(Relaxed).wrapping_add(n), Relaxed);
        } else {
            c.fetch_add(n, Relaxed);
        }
    }

    /// Counts a decision of `op`.
    #[inline]
    pub fn record_decision(&self, op: Operation, decision: Decision) {
        // The operation's family from a table made at compile time: one load, where deriving
        // it from the need is a match on the need and its rights.
        let family = FAMILY_OF[op as usize] as usize;
        self.add(family * VERDICTS + Verdict::of(decision).index(), 1);
    }

    /// Counts a decision of an operation that needs `need`.
    #[inline]
    pub fn record_need(&self, need: Need, decision: Decision) {
        let family = OpFamily::of_need(need) as usize;
        self.add(family * VERDICTS + Verdict::of(decision).index(), 1);
    }

    /// Counts a resolution of a presented credential: resolved, or refused for `failure`.
    #[inline]
    pub fn record_resolution(&self, outcome: Result<(), AuthFailure>) {
        let i = match outcome {
            Ok(()) => 0,
            Err(why) => 1 + why as usize,
        };
        self.add(DECISIONS + i, 1);
    }

    /// Counts `n` of `event`.
    #[inline]
    pub fn record_events(&self, event: Event, n: u64) {
        self.add(DECISIONS + RESOLUTIONS + event as usize, n);
    }

    /// Counts one `event`.
    #[inline]
    pub fn record(&self, event: Event) {
        self.record_events(event, 1);
    }

    /// The counts so far, summed over every thread.
    #[must_use]
    pub fn snapshot(&self) -> MetricsSnapshot {
        let mut counts = [0u64; COUNTERS];
        for slot in self.slots.iter() {
            for (sum, c) in counts.iter_mut().zip(slot.0.iter()) {
                *sum = sum.wrapping_add(c.load(Relaxed));
            }
        }
        MetricsSnapshot { counts }
    }
}

/// The counts of a [`Metrics`] at one time.
#[derive(Clone, PartialEq, Eq)]
pub struct MetricsSnapshot {
    counts: [u64; COUNTERS],
}

impl fmt::Debug for MetricsSnapshot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut m = f.debug_map();
        for (family, verdict, n) in self.decisions().filter(|d| d.2 > 0) {
            m.entry(&format_args!("{family}/{}", verdict.as_str()), &n);
        }
        for (outcome, n) in self.resolutions().filter(|r| r.1 > 0) {
            m.entry(
                &format_args!(
                    "resolution/{}",
                    outcome.map_or_else(|e| e.as_str(), |()| "ok")
                ),
                &n,
            );
        }
        for event in Event::ALL {
            m.entry(&event.as_str(), &self.event(*event));
        }
        m.finish()
    }
}

impl MetricsSnapshot {
    /// Decisions of `family` with `verdict`.
    #[must_use]
    pub fn decision(&self, family: OpFamily, verdict: Verdict) -> u64 {
        self.counts[family as usize * VERDICTS + verdict.index()]
    }

    /// Every (family, verdict, count), zeros included, in [`OpFamily::ALL`] then
    /// [`Verdict::all`] order.
    pub fn decisions(&self) -> impl Iterator<Item = (OpFamily, Verdict, u64)> + '_ {
        OpFamily::ALL
            .iter()
            .flat_map(move |f| Verdict::all().map(move |v| (*f, v, self.decision(*f, v))))
    }

    /// Decisions of every family with `verdict`.
    #[must_use]
    pub fn verdicts(&self, verdict: Verdict) -> u64 {
        OpFamily::ALL
            .iter()
            .map(|f| self.decision(*f, verdict))
            .sum()
    }

    /// Resolutions with `outcome` (resolved, or refused for a failure).
    #[must_use]
    pub fn resolution(&self, outcome: Result<(), AuthFailure>) -> u64 {
        self.counts[DECISIONS
            + match outcome {
                Ok(()) => 0,
                Err(why) => 1 + why as usize,
            }]
    }

    /// Every (outcome, count) of resolutions, zeros included: resolved, then
    /// [`AuthFailure::ALL`].
    pub fn resolutions(&self) -> impl Iterator<Item = (Result<(), AuthFailure>, u64)> + '_ {
        std::iter::once(Ok(()))
            .chain(AuthFailure::ALL.iter().map(|f| Err(*f)))
            .map(move |o| (o, self.resolution(o)))
    }

    /// How many `event`s.
    #[must_use]
    pub fn event(&self, event: Event) -> u64 {
        self.counts[DECISIONS + RESOLUTIONS + event as usize]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decision::{DenyReason, RuleId};

    #[test]
    fn every_counter_has_its_own_index() {
        let m = Metrics::new();
        let mut expected = 0;
        for (i, op) in Operation::ALL.iter().enumerate() {
            for _ in 0..=i % 3 {
                m.record_decision(*op, Decision::Allow);
                expected += 1;
            }
        }
        m.record_decision(
            Operation::Set,
            Decision::Deny(DenyReason::DeniedByRule(RuleId::new(3))),
        );
        m.record_decision(
            Operation::Get,
            Decision::Deny(DenyReason::Unauthenticated(AuthFailure::Revoked)),
        );
        for f in AuthFailure::ALL {
            m.record_resolution(Err(*f));
        }
        m.record_resolution(Ok(()));
        m.record_events(Event::SessionWithdrawn, 3);
        let s = m.snapshot();
        assert_eq!(s.verdicts(Verdict::Allow), expected);
        assert_eq!(
            s.decision(OpFamily::ItemWrite, Verdict::Deny(DenyKind::DeniedByRule)),
            1
        );
        assert_eq!(
            s.decision(OpFamily::ItemRead, Verdict::Deny(DenyKind::Unauthenticated)),
            1
        );
        assert!(s.resolutions().all(|(_, n)| n == 1));
        assert_eq!(s.event(Event::SessionWithdrawn), 3);
        assert_eq!(s.event(Event::CacheHit), 0);
        let total: u64 = s.decisions().map(|d| d.2).sum();
        assert_eq!(total, expected + 2);
    }
}
