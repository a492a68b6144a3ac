//! A decision log (feature `decision-log`): one JSON line per denial and per sampled allow,
//! written by a thread of its own from a bounded queue, so that the request path never waits on
//! it; what does not fit in the queue is dropped and counted.
//!
//! Item keys are redacted before they are written ([`Redaction`]): by default as an HMAC-SHA-256
//! keyed with a secret from configuration (equal keys give equal hashes, and nobody without the
//! secret can test a guess), or as a prefix of a stated length; raw only when configured so. A
//! credential appears by its id (a token's `jti`, or a document credential's name), never by
//! what was presented.
//!
//! # Schema, version 1
//!
//! Each line is one JSON object with these fields, in this order:
//!
//! | field | value |
//! |---|---|
//! | `v` | `1` |
//! | `time` | the request's time, RFC 3339 |
//! | `credential` | the credential's id |
//! | `op` | the operation's snake_case name (`get`, `publish`, ...) |
//! | `family` | its [`OpFamily`] (`item_read`, ...) |
//! | `resource` | `{"account": true}`, `{"cache": C}`, `{"cache": C, "topic": T}`, or for an item `{"cache": C, "item": K}` (a store item: `"store"` for `"cache"`), where `K` is `{"hmac_sha256": HEX}`, `{"prefix": P, "len": N}` (`P` the first bytes, as text when they are UTF-8, else `prefix_base64`) or `{"key": K}` (`key_base64` when not UTF-8) |
//! | `decision` | `allow` or `deny` |
//! | `reason` | the deny reason's name (absent for an allow) |
//! | `auth_failure` | for `unauthenticated`, which [`AuthFailure`](crate::AuthFailure) |
//! | `rule` | the deny rule's id, for `denied_by_rule` |
//! | `revision` | the embedder's revision of the policy in force (a key ring's generation) |
//!
//! ```
//! use fgac::decision_log::{DecisionLog, LogConfig, Redaction};
//! use fgac::{Decision, DenyReason, Operation, Resource, Timestamp};
//! use std::sync::{Arc, Mutex};
//!
//! #[derive(Clone, Default)]
//! struct Shared(Arc<Mutex<Vec<u8>>>);
//! impl std::io::Write for Shared {
//!     fn write(&mut self, b: &[u8]) -> std::io::Result<usize> { self.0.lock().unwrap().write(b) }
//!     fn flush(&mut self) -> std::io::Result<()> { Ok(()) }
//! }
//!
//! let out = Shared::default();
//! let log = DecisionLog::start(out.clone(), LogConfig::new(Redaction::Prefix(5)));
//! log.record(
//!     Timestamp::from_unix_seconds(1_795_651_200),
//!     "user-42",
//!     Operation::Get,
//!     Resource::item("sessions", b"user:42:cart"),
//!     Decision::Deny(DenyReason::NoMatchingGrant),
//!     7,
//! );
//! let stats = log.close();
//! assert_eq!((stats.written, stats.dropped), (1, 0));
//! let line = String::from_utf8(out.0.lock().unwrap().clone()).unwrap();
//! assert_eq!(line, concat!(
//!     r#"{"v":1,"time":"2026-11-26T00:00:00Z","credential":"user-42","op":"get","#,
//!     r#""family":"item_read","resource":{"cache":"sessions","item":{"prefix":"user:","len":12}},"#,
//!     r#""decision":"deny","reason":"no_matching_grant","revision":7}"#, "\n"));
//! ```

use crate::decision::{Decision, DenyReason, Resource};
use crate::metrics::OpFamily;
use crate::ops::Operation;
use crate::time::Timestamp;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{KeyInit, Mac};
use std::cell::Cell;
use std::fmt;
use std::io::{BufWriter, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::thread::JoinHandle;

/// How item keys appear in the log.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Redaction {
    /// An HMAC-SHA-256 of the key with this secret, in hex.
    KeyedHash(Vec<u8>),
    /// The first this many bytes of the key, and its length.
    Prefix(usize),
    /// The key itself. Only for logs that may hold what the cache holds.
    Raw,
}

impl fmt::Debug for Redaction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            // The secret is never printed.
            Redaction::KeyedHash(_) => f.write_str("KeyedHash(..)"),
            Redaction::Prefix(n) => write!(f, "Prefix({n})"),
            Redaction::Raw => f.write_str("Raw"),
        }
    }
}

/// What a [`DecisionLog`] writes and how much it holds.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct LogConfig {
    /// How item keys appear.
    pub redaction: Redaction,
    /// One allow in this many is written, counted per thread (0: none; 1: every one).
    /// Denials are always written.
    pub allow_one_in: u64,
    /// How many events may wait for the writer; more are dropped and counted.
    pub queue: usize,
}

impl LogConfig {
    /// Denials only, keys redacted as `redaction`, a queue of 65,536 events.
    #[must_use]
    pub fn new(redaction: Redaction) -> LogConfig {
        LogConfig {
            redaction,
            allow_one_in: 0,
            queue: 65_536,
        }
    }

    /// Writes one allow in `n` too (0: none).
    #[must_use]
    pub fn allow_one_in(mut self, n: u64) -> LogConfig {
        self.allow_one_in = n;
        self
    }

    /// Holds at most `n` events (at least one) waiting for the writer.
    #[must_use]
    pub fn queue(mut self, n: usize) -> LogConfig {
        self.queue = n.max(1);
        self
    }
}

/// One decision as queued: what the writer needs to write its line.
struct Event {
    time: Timestamp,
    credential: Box<str>,
    op: Operation,
    resource: Owned,
    decision: Decision,
    revision: u64,
}

/// A resource, owned for the queue.
enum Owned {
    Item {
        store: bool,
        container: Box<str>,
        key: Box<[u8]>,
    },
    Topic {
        cache: Box<str>,
        topic: Box<str>,
    },
    Cache(Box<str>),
    Account,
}

impl Owned {
    fn of(resource: Resource<'_>) -> Owned {
        match resource {
            Resource::Item { cache, key } => Owned::Item {
                store: false,
                container: cache.into(),
                key: key.into(),
            },
            Resource::StoreItem { store, key } => Owned::Item {
                store: true,
                container: store.into(),
                key: key.into(),
            },
            Resource::Topic { cache, topic } => Owned::Topic {
                cache: cache.into(),
                topic: topic.into(),
            },
            Resource::Cache { cache } => Owned::Cache(cache.into()),
            _ => Owned::Account,
        }
    }
}

/// What a log wrote and dropped.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct LogStats {
    /// Lines written.
    pub written: u64,
    /// Events dropped because the queue was full.
    pub dropped: u64,
    /// Lines the writer failed to write (an I/O error).
    pub failed: u64,
}

#[derive(Default)]
struct Counts {
    written: AtomicU64,
    dropped: AtomicU64,
    failed: AtomicU64,
}

impl Counts {
    fn stats(&self) -> LogStats {
        LogStats {
            written: self.written.load(Relaxed),
            dropped: self.dropped.load(Relaxed),
            failed: self.failed.load(Relaxed),
        }
    }
}

thread_local! {
    /// Allows seen by this thread, for sampling without a shared counter.
    static ALLOWS: Cell<u64> = const { Cell::new(0) };
}

/// The log: a bounded queue and the thread that writes it. See the module's text.
pub struct DecisionLog {
    tx: Option<SyncSender<Event>>,
    counts: Arc<Counts>,
    allow_one_in: u64,
    writer: Option<JoinHandle<()>>,
}

impl fmt::Debug for DecisionLog {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DecisionLog")
            .field("stats", &self.stats())
            .finish_non_exhaustive()
    }
}

impl DecisionLog {
    /// Starts a thread writing the log to `out` (buffered; flushed whenever the queue runs
    /// empty).
    #[must_use]
    pub fn start(out: impl Write + Send + 'static, config: LogConfig) -> DecisionLog {
        let (tx, rx) = sync_channel(config.queue.max(1));
        let counts = Arc::new(Counts::default());
        let writer = {
            let counts = Arc::clone(&counts);
            let redaction = config.redaction.clone();
            std::thread::Builder::new()
                .name("fgac-decision-log".into())
                .spawn(move || write_all(rx, out, &redaction, &counts))
                .ok()
        };
        DecisionLog {
            // Without a writer thread nothing could drain the queue: every event is dropped.
            tx: writer.is_some().then_some(tx),
            counts,
            allow_one_in: config.allow_one_in,
            writer,
        }
    }

    /// Logs a decision of `op` on `resource` by the credential `credential` (its id) at `time`,
    /// under the policy `revision`: a denial always, an allow when sampled. Never waits: when
    /// the queue is full the event is dropped and counted.
    pub fn record(
        &self,
        time: Timestamp,
        credential: &str,
        op: Operation,
        resource: Resource<'_>,
        decision: Decision,
        revision: u64,
    ) {
        if decision.is_allowed() && !self.sample_allow() {
            return;
        }
        let Some(tx) = &self.tx else {
            self.counts.dropped.fetch_add(1, Relaxed);
            return;
        };
        let event = Event {
            time,
            credential: credential.into(),
            op,
            resource: Owned::of(resource),
            decision,
            revision,
        };
        match tx.try_send(event) {
            Ok(()) => {}
            Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => {
                self.counts.dropped.fetch_add(1, Relaxed);
            }
        }
    }

    fn sample_allow(&self) -> bool {
        crate::metrics::sampled(self.allow_one_in, &ALLOWS)
    }

    /// What was written and dropped so far.
    #[must_use]
    pub fn stats(&self) -> LogStats {
        self.counts.stats()
    }

    /// Writes what is queued, stops the writer and returns what was written and dropped.
    #[must_use = "the stats say what was dropped"]
    pub fn close(mut self) -> LogStats {
        self.shut();
        self.counts.stats()
    }

    fn shut(&mut self) {
        drop(self.tx.take());
        if let Some(w) = self.writer.take() {
            let _ = w.join();
        }
    }
}

impl Drop for DecisionLog {
    fn drop(&mut self) {
        self.shut();
    }
}

fn write_all(rx: Receiver<Event>, out: impl Write, redaction: &Redaction, counts: &Counts) {
    let mut out = BufWriter::new(out);
    while let Ok(first) = rx.recv() {
        let mut next = Some(first);
        while let Some(event) = next {
            match out.write_all(line(&event, redaction).as_bytes()) {
                Ok(()) => counts.written.fetch_add(1, Relaxed),
                Err(_) => counts.failed.fetch_add(1, Relaxed),
            };
            next = rx.try_recv().ok();
        }
        let _ = out.flush();
    }
    let _ = out.flush();
}

/// `text` as a JSON string.
fn string(out: &mut String, text: &str) {
    // Serializing a `str` cannot fail.
    out.push_str(&serde_json::to_string(text).unwrap_or_else(|_| "\"\"".to_owned()));
}

/// `"name":"text"` when `bytes` are UTF-8, else `"name_base64":"..."`.
fn bytes_field(out: &mut String, name: &str, bytes: &[u8]) {
    match std::str::from_utf8(bytes) {
        Ok(text) => {
            string(out, name);
            out.push(':');
            string(out, text);
        }
        Err(_) => {
            string(out, &format!("{name}_base64"));
            out.push(':');
            string(out, &STANDARD.encode(bytes));
        }
    }
}

/// The redacted form of an item key, as a JSON object.
fn redacted(out: &mut String, key: &[u8], redaction: &Redaction) {
    out.push('{');
    match redaction {
        Redaction::KeyedHash(secret) => {
            let digest = match <hmac::Hmac<sha2::Sha256> as KeyInit>::new_from_slice(secret) {
                Ok(mut mac) => {
                    mac.update(key);
                    mac.finalize().into_bytes().to_vec()
                }
                // HMAC takes a key of any length; were it ever refused, log nothing of the key.
                Err(_) => Vec::new(),
            };
            let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
            out.push_str("\"hmac_sha256\":");
            string(out, &hex);
        }
        Redaction::Prefix(n) => {
            let mut cut = (*n).min(key.len());
            // Never split a UTF-8 character of a text key.
            if let Ok(text) = std::str::from_utf8(key) {
                while !text.is_char_boundary(cut) {
                    cut -= 1;
                }
            }
            bytes_field(out, "prefix", &key[..cut]);
            out.push_str(&format!(",\"len\":{}", key.len()));
        }
        Redaction::Raw => bytes_field(out, "key", key),
    }
    out.push('}');
}

/// The event's line, its fields in the schema's order, ending with a newline.
fn line(event: &Event, redaction: &Redaction) -> String {
    let mut out = String::with_capacity(256);
    out.push_str("{\"v\":1,\"time\":");
    string(&mut out, &event.time.to_string());
    out.push_str(",\"credential\":");
    string(&mut out, &event.credential);
    out.push_str(",\"op\":");
    string(&mut out, event.op.name());
    out.push_str(",\"family\":");
    string(&mut out, OpFamily::of(event.op).as_str());
    out.push_str(",\"resource\":{");
    match &event.resource {
        Owned::Item {
            store,
            container,
            key,
        } => {
            string(&mut out, if *store { "store" } else { "cache" });
            out.push(':');
            string(&mut out, container);
            out.push_str(",\"item\":");
            redacted(&mut out, key, redaction);
        }
        Owned::Topic { cache, topic } => {
            out.push_str("\"cache\":");
            string(&mut out, cache);
            out.push_str(",\"topic\":");
            string(&mut out, topic);
        }
        Owned::Cache(cache) => {
            out.push_str("\"cache\":");
            string(&mut out, cache);
        }
        Owned::Account => out.push_str("\"account\":true"),
    }
    out.push('}');
    match event.decision {
        Decision::Allow => out.push_str(",\"decision\":\"allow\""),
        Decision::Deny(reason) => {
            out.push_str(",\"decision\":\"deny\",\"reason\":");
            string(&mut out, reason.as_str());
            if let DenyReason::Unauthenticated(why) = reason {
                out.push_str(",\"auth_failure\":");
                string(&mut out, why.as_str());
            }
            if let Some(rule) = reason.rule() {
                out.push_str(&format!(",\"rule\":{}", rule.index()));
            }
        }
    }
    out.push_str(&format!(",\"revision\":{}}}\n", event.revision));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decision::{AuthFailure, RuleId};
    use std::sync::Mutex;
    use std::sync::mpsc::channel;
    use std::time::{Duration, Instant};

    /// A writer whose bytes the test reads afterwards.
    #[derive(Clone, Default)]
    struct Shared(Arc<Mutex<Vec<u8>>>);

    impl Write for Shared {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl Shared {
        fn bytes(&self) -> Vec<u8> {
            self.0
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .clone()
        }
    }

    /// Keys of 12 to 40 bytes, some text and some not, from a fixed seed.
    fn keys(n: usize) -> Vec<Vec<u8>> {
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        (0..n)
            .map(|i| {
                let len = 12 + (next() % 29) as usize;
                (0..len)
                    .map(|_| {
                        let b = next() as u8;
                        if i % 3 == 0 { b } else { b'a' + b % 26 }
                    })
                    .collect()
            })
            .collect()
    }

    fn contains(haystack: &[u8], needle: &[u8]) -> bool {
        haystack.windows(needle.len()).any(|w| w == needle)
    }

    /// Finds needles of at least 12 bytes in a haystack: every 12-byte window of the haystack
    /// in a set, then a full search only where a needle's head is there.
    struct Finder<'a> {
        haystack: &'a [u8],
        heads: std::collections::HashSet<&'a [u8]>,
    }

    impl<'a> Finder<'a> {
        fn new(haystack: &'a [u8]) -> Finder<'a> {
            Finder {
                haystack,
                heads: haystack.windows(12).collect(),
            }
        }

        fn any(&self, needles: &[Vec<u8>]) -> bool {
            needles
                .iter()
                .any(|n| self.heads.contains(&n[..12]) && contains(self.haystack, n))
        }
    }

    fn log_all(redaction: Redaction, keys: &[Vec<u8>]) -> Vec<u8> {
        let out = Shared::default();
        let log = DecisionLog::start(out.clone(), LogConfig::new(redaction).queue(1 << 20));
        let now = Timestamp::from_unix_seconds(1_795_651_200);
        for (i, key) in keys.iter().enumerate() {
            let reason = match i % 4 {
                0 => DenyReason::NoMatchingGrant,
                1 => DenyReason::DeniedByRule(RuleId::new(2)),
                2 => DenyReason::Unauthenticated(AuthFailure::Revoked),
                _ => DenyReason::Expired,
            };
            let op = if i % 2 == 0 {
                Operation::Get
            } else {
                Operation::Set
            };
            log.record(
                now,
                "tok-1",
                op,
                Resource::item("c", key),
                Decision::Deny(reason),
                3,
            );
        }
        let stats = log.close();
        assert_eq!((stats.written, stats.dropped), (keys.len() as u64, 0));
        out.bytes()
    }

    #[test]
    fn a_raw_item_key_is_written_only_when_configured() {
        let keys = keys(500);
        let forms = |k: &[u8]| {
            let mut f = vec![k.to_vec(), STANDARD.encode(k).into_bytes()];
            if let Ok(text) = std::str::from_utf8(k) {
                f.push(serde_json::to_string(text).unwrap().into_bytes());
            }
            f
        };
        for redaction in [
            Redaction::KeyedHash(b"log secret".to_vec()),
            Redaction::Prefix(6),
        ] {
            let written = log_all(redaction.clone(), &keys);
            for line in written.split(|b| *b == b'\n').filter(|l| !l.is_empty()) {
                let v: serde_json::Value = serde_json::from_slice(line).unwrap();
                assert_eq!(v["v"], 1, "{redaction:?}");
            }
            let every: Vec<Vec<u8>> = keys.iter().flat_map(|k| forms(k)).collect();
            assert!(
                !Finder::new(&written).any(&every),
                "{redaction:?} wrote a key"
            );
        }
        // The same key gives the same hash, and another secret another one.
        let a = log_all(Redaction::KeyedHash(b"one".to_vec()), &keys[..2]);
        let b = log_all(Redaction::KeyedHash(b"one".to_vec()), &keys[..2]);
        let c = log_all(Redaction::KeyedHash(b"two".to_vec()), &keys[..2]);
        assert_eq!(a, b);
        assert_ne!(a, c);
        // Raw: every key is there (the search above can find them).
        let raw = log_all(Redaction::Raw, &keys);
        let found = Finder::new(&raw);
        for k in &keys {
            assert!(found.any(&forms(k)));
        }
    }

    #[test]
    fn a_full_queue_drops_and_counts_and_never_blocks() {
        /// A writer that takes nothing until released.
        struct Stuck(std::sync::mpsc::Receiver<()>);
        impl Write for Stuck {
            fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
                let _ = self.0.recv();
                Ok(b.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let (release, stuck) = channel();
        let log = DecisionLog::start(Stuck(stuck), LogConfig::new(Redaction::Prefix(2)).queue(16));
        let now = Timestamp::from_unix_seconds(1);
        let denied = Decision::Deny(DenyReason::NoMatchingGrant);
        let n = 10_000u64;
        let start = Instant::now();
        for _ in 0..n {
            log.record(
                now,
                "t",
                Operation::Get,
                Resource::item("c", b"key"),
                denied,
                0,
            );
        }
        let took = start.elapsed();
        // The writer holds at most a buffer's worth and the queue 16: everything else dropped.
        let dropped = log.stats().dropped;
        assert!(dropped >= n - 16 - 1 - 8192 / 100, "dropped {dropped}");
        assert!(took < Duration::from_secs(5), "recording took {took:?}");
        drop(release);
        let stats = log.close();
        assert_eq!(stats.dropped, dropped);
        assert_eq!(stats.written + stats.dropped, n);
    }

    #[test]
    fn allows_are_sampled_per_thread_and_denials_always_written() {
        let out = Shared::default();
        let log = DecisionLog::start(out.clone(), LogConfig::new(Redaction::Raw).allow_one_in(10));
        let now = Timestamp::from_unix_seconds(1);
        for i in 0..1000 {
            let topic = format!("t{i}");
            log.record(
                now,
                "t",
                Operation::Publish,
                Resource::topic("c", &topic),
                Decision::Allow,
                0,
            );
        }
        log.record(
            now,
            "t",
            Operation::FlushCache,
            Resource::cache("c"),
            Decision::Deny(DenyReason::SuperUserRequired),
            0,
        );
        let stats = log.close();
        assert_eq!(stats.written, 101);
        let text = String::from_utf8(out.bytes()).unwrap();
        assert!(
            text.contains(r#""resource":{"cache":"c","topic":"t9"},"decision":"allow""#),
            "{text}"
        );
        assert!(
            text.ends_with("\"reason\":\"super_user_required\",\"revision\":0}\n"),
            "{text}"
        );
    }
}
