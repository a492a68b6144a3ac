//! Following a key ring's files: reload the trust when a file it was read from changes, and apply
//! the revocation log as it grows.
//!
//! A trust remembers each file as it read it (a stamp taken when the file was opened and a hash
//! of the bytes read), and the watcher compares the files against that, never against how they
//! look after a reload: an edit that lands while a slow reload is reading is seen on the next
//! tick, whatever the timing, so the trust in force always converges to the files' last content.

use super::keyring::{Keyring, LogHealth, ReloadError};
use super::revocations::LogError;
use super::trust::Source;
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

/// What a watcher saw and did, for the embedder's log.
#[derive(Debug)]
#[non_exhaustive]
pub enum WatchEvent<'a> {
    /// The trust's files changed and the new trust is in force.
    Reloaded {
        /// The key ring's generation now.
        generation: u64,
    },
    /// The trust's files changed but do not read; the trust in force is kept (and the files are
    /// read again only once they change again).
    Kept(&'a ReloadError),
    /// New revocations were applied from the log.
    Revocations {
        /// How many.
        applied: usize,
    },
    /// The revocation log went wrong: missing, replaced by a file that lacks revocations in
    /// force, or unreadable. Every revocation applied stays in force. Reported when it starts,
    /// not on every check.
    LogFailed(&'a LogError),
    /// The revocation log holds every revocation in force again.
    LogRecovered,
}

/// A thread that polls a key ring's files (the trust file, its document, its signing keys and
/// its revocation log) and reloads on change. Dropping it stops the thread and waits for it.
#[derive(Debug)]
pub struct Watcher {
    stop: Arc<(Mutex<bool>, Condvar)>,
    thread: Option<JoinHandle<()>>,
}

impl Drop for Watcher {
    fn drop(&mut self) {
        let (flag, wake) = &*self.stop;
        *flag.lock().unwrap_or_else(PoisonError::into_inner) = true;
        wake.notify_all();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Whether any of `sources` changed since read (each check may remember that a file's new
/// stamp holds the same bytes).
fn any_changed(sources: &mut [Source]) -> bool {
    sources.iter_mut().any(Source::changed)
}

impl Keyring {
    /// Watches the files this key ring was opened from ([`Keyring::open`]), checking every
    /// `interval`: a changed trust file, document or signing key reloads the trust (a trust
    /// that does not read is reported and the one in force kept); lines appended to the
    /// revocation log are applied. `on_event` is told of each. Returns `None` for a key ring not
    /// opened from a file.
    pub fn watch(
        self: &Arc<Self>,
        interval: Duration,
        on_event: impl Fn(WatchEvent<'_>) + Send + 'static,
    ) -> Option<Watcher> {
        if !self.has_source() {
            return None;
        }
        let stop = Arc::new((Mutex::new(false), Condvar::new()));
        let ring = Arc::clone(self);
        let signal = Arc::clone(&stop);
        let thread = std::thread::Builder::new()
            .name("fgac-keyring-watch".into())
            .spawn(move || {
                // The files as the trust in force read them: a change made since (even before
                // this thread started) is seen.
                let mut generation = ring.generation();
                let mut sources = ring.trust().sources.clone();
                let mut failed: Option<Vec<Source>> = ring.failed_sources();
                let mut health = ring.revocation_status().health;
                loop {
                    let (flag, wake) = &*signal;
                    let guard = flag.lock().unwrap_or_else(PoisonError::into_inner);
                    let (guard, _) = wake
                        .wait_timeout_while(guard, interval, |stop| !*stop)
                        .unwrap_or_else(PoisonError::into_inner);
                    if *guard {
                        return;
                    }
                    drop(guard);
                    let outcome = ring.refresh_revocations();
                    if let Ok(applied @ 1..) = outcome {
                        on_event(WatchEvent::Revocations { applied });
                    }
                    let now = ring.revocation_status().health;
                    if now != health {
                        match (&outcome, &now) {
                            (Err(e), _) => on_event(WatchEvent::LogFailed(e)),
                            (Ok(_), LogHealth::Ok) => on_event(WatchEvent::LogRecovered),
                            _ => {}
                        }
                        health = now;
                    }
                    if ring.generation() != generation {
                        // Replaced by someone else (`Keyring::replace`, `reload`).
                        generation = ring.generation();
                        sources = ring.trust().sources.clone();
                        failed = None;
                    }
                    if !any_changed(&mut sources) {
                        continue;
                    }
                    if let Some(f) = &mut failed
                        && !any_changed(f)
                    {
                        // What changed is what failed to read last time, as it was then.
                        continue;
                    }
                    match ring.reload() {
                        Ok(()) => on_event(WatchEvent::Reloaded {
                            generation: ring.generation(),
                        }),
                        Err(e) => on_event(WatchEvent::Kept(&e)),
                    }
                    generation = ring.generation();
                    sources = ring.trust().sources.clone();
                    failed = ring.failed_sources();
                }
            })
            .ok()?;
        Some(Watcher {
            stop,
            thread: Some(thread),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::credentials::trust::tests::READ_PAUSE_MS;
    use crate::credentials::{RevocationLog, SigningKey};
    use crate::model::Expiry;
    use crate::{Operation, Resource, Timestamp};
    use std::sync::atomic::Ordering;
    use std::time::Instant;

    /// Reloads slowed on purpose (each pauses after reading the files, before the trust is in force) and
    /// edits of the document at pseudo-random moments, many of them while a reload is reading:
    /// whatever the timing, once the edits stop the trust in force is the files' last content.
    /// (Fingerprinting the files after a reload, as the watcher once did, takes an edit made
    /// during the reload for what was read, and never applies it.)
    #[test]
    fn the_store_converges_to_the_last_edit_whatever_the_timing() {
        let dir = std::env::temp_dir().join(format!("fgac-watch-converge-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let signer = SigningKey::from_secret_bytes("k1", &[7; 32]).unwrap();
        let trust_file = dir.join("trust.json");
        std::fs::write(
            &trust_file,
            format!(
                "{{\"keys\": [{}], \"document\": \"policy.fgac\", \"revocations\": \"revoked.log\"}}",
                signer.public_key().to_jwk().trim()
            ),
        )
        .unwrap();
        RevocationLog::create(&dir.join("revoked.log")).unwrap();
        let policy = |cache: usize| {
            format!(
                "key \"svc\" {{\n    expires never\n    allow readwrite cache \"c{cache}\"\n}}\n"
            )
        };
        std::fs::write(dir.join("policy.fgac"), policy(0)).unwrap();
        let ring = Arc::new(Keyring::open(&trust_file).unwrap());
        let now = Timestamp::from_unix_seconds(1_795_651_200);
        let key = crate::credentials::sign_reference(
            "svc",
            Expiry::Never,
            &signer,
            &crate::credentials::MintOptions::default(),
            now,
            &crate::Limits::default(),
        )
        .unwrap();
        let peer = "10.0.0.1".parse().unwrap();
        let allowed = |cache: usize| {
            ring.resolve(&key, peer, now).is_ok_and(|s| {
                s.authorize(
                    Operation::Get,
                    Resource::item(&format!("c{cache}"), b"k"),
                    now,
                )
                .is_allowed()
            })
        };
        READ_PAUSE_MS.store(60, Ordering::SeqCst);
        let _watcher = ring.watch(Duration::from_millis(5), |_| {}).unwrap();
        let mut state = 0x9e37_79b9_u64;
        let mut last = 0;
        for round in 1..=6 {
            // A burst of edits at pseudo-random moments within about two reloads' time.
            for edit in 0..4 {
                state = state
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1_442_695_040_888_963_407);
                std::thread::sleep(Duration::from_millis((state >> 33) % 45));
                last = round * 10 + edit;
                std::fs::write(dir.join("policy.fgac"), policy(last)).unwrap();
            }
            let deadline = Instant::now() + Duration::from_secs(20);
            while !allowed(last) && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(10));
            }
            assert!(
                allowed(last),
                "round {round}: the trust never caught up with the last edit (cache c{last})"
            );
        }
        READ_PAUSE_MS.store(0, Ordering::SeqCst);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
