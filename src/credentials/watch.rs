//! Reloading a key ring when its files change.

use super::keyring::{Keyring, ReloadError};
use super::store::Fingerprint;
use std::path::PathBuf;
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

/// What a watcher saw and did, for the embedder's log.
#[derive(Debug)]
#[non_exhaustive]
pub enum WatchEvent<'a> {
    /// The store's files changed and the new store is in force.
    Reloaded {
        /// The key ring's generation now.
        generation: u64,
    },
    /// The store's files changed but do not read; the store in force is kept.
    Kept(&'a ReloadError),
    /// New revocations were applied from the log.
    Revocations,
    /// The revocation log does not read; the revocations in force are kept.
    LogFailed(&'a super::LogError),
}

/// A thread that polls a key ring's files (the store file, its document, its signing keys and
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

fn fingerprint(paths: &[PathBuf]) -> Vec<Fingerprint> {
    paths.iter().map(|p| Fingerprint::of(p)).collect()
}

impl Keyring {
    /// Watches the files this key ring was opened from ([`Keyring::open`]), checking every
    /// `interval`: a changed store file, document or signing key reloads the store (a store
    /// that does not read is reported and the one in force kept); a changed revocation log is
    /// applied. `on_event` is told of each. Returns `None` for a key ring not opened from a file.
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
                // What the store in force was read from, as it was then: a change made since
                // (even before this thread started) is seen.
                let (mut files, mut seen) = ring.watched_files();
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
                    let now = fingerprint(&files);
                    if now == seen {
                        continue;
                    }
                    // The last file is the revocation log when the store names one.
                    let log_only = ring.store().revocation_log().is_some()
                        && now[..now.len() - 1] == seen[..seen.len() - 1];
                    if log_only {
                        match ring.refresh_revocations() {
                            Ok(()) => on_event(WatchEvent::Revocations),
                            Err(e) => on_event(WatchEvent::LogFailed(&e)),
                        }
                    } else {
                        match ring.reload() {
                            Ok(()) => on_event(WatchEvent::Reloaded {
                                generation: ring.generation(),
                            }),
                            Err(e) => on_event(WatchEvent::Kept(&e)),
                        }
                        files = ring.watched_files().0;
                    }
                    seen = fingerprint(&files);
                }
            })
            .ok()?;
        Some(Watcher {
            stop,
            thread: Some(thread),
        })
    }
}
