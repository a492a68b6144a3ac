//! The revocation log's contract, clause by clause (the guide's "The revocation log: its
//! contract", in `docs/src/signed-credentials.md`): what acknowledges a revocation; what happens
//! when the log is moved, deleted, truncated, replaced by an older copy, torn by a writer killed in
//! the middle of a line, or locked by another process; and compaction, including under `kill -9`.
//! Every clause: the revocations a key ring applied stay in force, whatever happens to the file.

mod common;

use common::signed::*;
use fgac::credentials::{
    Keyring, LogError, LogHealth, Revocation, RevocationLog, RevocationRecord, Trust,
};
use fgac::model::Expiry;
use fgac::{AuthFailure, Timestamp};
use std::collections::HashSet;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

fn ring_on(log: &Path) -> Result<Keyring, LogError> {
    Keyring::new(
        Trust::builder()
            .key(signer().public_key())
            .revocation_log(log)
            .build()
            .unwrap(),
    )
}

/// A token with id `id`, as a client would present it.
fn token(id: &str) -> String {
    forge(HEADER, &token_claims(id, READ_C), &SECRET)
}

fn revoked(ring: &Keyring, id: &str) -> bool {
    resolve(ring, &token(id)).err() == Some(AuthFailure::Revoked)
}

fn ids_in(log: &Path) -> HashSet<String> {
    RevocationLog::read(log)
        .unwrap()
        .into_iter()
        .map(|r| r.revocation.id().to_owned())
        .collect()
}

fn revoke(ring: &Keyring, id: &str) -> fgac::credentials::Revoked {
    ring.revoke(Revocation::Credential(id.into()), now())
        .unwrap()
}

#[test]
fn a_missing_log_is_refused_at_start_until_it_is_created() {
    let dir = scratch("log-missing");
    let log = dir.join("revocations.log");
    assert!(matches!(ring_on(&log), Err(LogError::Missing(_))));
    RevocationLog::create(&log).unwrap();
    assert!(matches!(
        RevocationLog::create(&log),
        Err(LogError::Exists(_))
    ));
    let ring = ring_on(&log).unwrap();
    assert_eq!(ring.revocation_status().health, LogHealth::Ok);
    let _ = std::fs::remove_dir_all(&dir);
}

/// logrotate's default: the log renamed away, maybe a new empty one created in its place.
#[test]
fn a_log_moved_away_keeps_every_revocation_and_the_next_one_writes_it_back() {
    let dir = scratch("log-moved");
    let log = dir.join("revocations.log");
    RevocationLog::create(&log).unwrap();
    let ring = ring_on(&log).unwrap();
    revoke(&ring, "a");
    std::fs::rename(&log, dir.join("revocations.log.1")).unwrap();
    assert!(matches!(
        ring.refresh_revocations(),
        Err(LogError::Missing(_))
    ));
    assert_eq!(ring.revocation_status().health, LogHealth::Missing);
    assert!(revoked(&ring, "a"), "a moved log revokes as before");
    // `create` in logrotate's configuration: a new, empty log.
    std::fs::write(&log, "# fgac revocations v2\n").unwrap();
    assert!(matches!(
        ring.refresh_revocations(),
        Err(LogError::Diverged { lost: 1, .. })
    ));
    assert!(revoked(&ring, "a"));
    // The next revocation writes every revocation in force back.
    let done = revoke(&ring, "b");
    assert!(done.restored);
    assert_eq!(ring.revocation_status().health, LogHealth::Ok);
    assert_eq!(ids_in(&log), HashSet::from(["a".into(), "b".into()]));
    // A process started now on the log knows both.
    let fresh = ring_on(&log).unwrap();
    assert!(revoked(&fresh, "a") && revoked(&fresh, "b"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_deleted_or_truncated_log_keeps_every_revocation() {
    let dir = scratch("log-truncated");
    let log = dir.join("revocations.log");
    RevocationLog::create(&log).unwrap();
    let ring = ring_on(&log).unwrap();
    revoke(&ring, "a");
    revoke(&ring, "b");
    // Truncated in place (`: > revocations.log`, logrotate's copytruncate).
    std::fs::OpenOptions::new()
        .write(true)
        .open(&log)
        .unwrap()
        .set_len(0)
        .unwrap();
    assert!(matches!(
        ring.refresh_revocations(),
        Err(LogError::Diverged { lost: 2, .. })
    ));
    assert!(revoked(&ring, "a") && revoked(&ring, "b"));
    // Deleted.
    std::fs::remove_file(&log).unwrap();
    assert!(ring.refresh_revocations().is_err());
    assert!(revoked(&ring, "a") && revoked(&ring, "b"));
    // Written back whole by the next revocation, a new file in the log's place.
    assert!(revoke(&ring, "c").restored);
    assert_eq!(ids_in(&log).len(), 3);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_log_replaced_by_an_older_copy_keeps_what_the_copy_lacks() {
    let dir = scratch("log-older");
    let log = dir.join("revocations.log");
    RevocationLog::create(&log).unwrap();
    let ring = ring_on(&log).unwrap();
    revoke(&ring, "a");
    let backup = dir.join("backup.log");
    std::fs::copy(&log, &backup).unwrap();
    revoke(&ring, "b");
    // Copied back over the log (the same file, rewritten shorter).
    std::fs::copy(&backup, &log).unwrap();
    assert!(matches!(
        ring.refresh_revocations(),
        Err(LogError::Diverged { lost: 1, .. })
    ));
    assert!(
        revoked(&ring, "b"),
        "b is in force though the copy lacks it"
    );
    // Renamed over the log (another file): the same.
    let other = dir.join("other.log");
    std::fs::copy(&backup, &other).unwrap();
    std::fs::rename(&other, &log).unwrap();
    assert!(ring.refresh_revocations().is_err());
    assert!(revoked(&ring, "b"));
    // A line another process appends to the copy is applied all the same.
    RevocationLog::append(
        &log,
        &RevocationRecord::forever(Revocation::Credential("c".into()), now()),
    )
    .unwrap();
    let _ = ring.refresh_revocations();
    assert!(revoked(&ring, "c"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn compaction_drops_only_revocations_of_expired_credentials_and_is_accepted_quietly() {
    let dir = scratch("log-compact");
    let log = dir.join("revocations.log");
    RevocationLog::create(&log).unwrap();
    let ring = ring_on(&log).unwrap();
    let at = |s: &str| -> Timestamp { s.parse().unwrap() };
    let wall = Timestamp::now();
    // One revocation whose credential expired long ago, one that expires in an hour, one of a
    // credential that never expires, and the same one written twice.
    for (id, until) in [
        ("old", Expiry::At(at("2020-01-01T00:00:00Z"))),
        ("soon", Expiry::At(wall.saturating_add(3_600))),
        ("forever", Expiry::Never),
        ("forever", Expiry::Never),
    ] {
        RevocationLog::append(
            &log,
            &RevocationRecord {
                revocation: Revocation::Credential(id.into()),
                at: at("2019-12-01T00:00:00Z"),
                until,
            },
        )
        .unwrap();
    }
    assert_eq!(ring.refresh_revocations().unwrap(), 3);
    let done = RevocationLog::compact(&log, wall).unwrap();
    assert_eq!((done.kept, done.dropped), (2, 2));
    assert_eq!(
        ids_in(&log),
        HashSet::from(["soon".into(), "forever".into()])
    );
    // The key ring sees a replaced log that lacks only what has expired: no alarm.
    assert_eq!(ring.refresh_revocations().unwrap(), 0);
    assert_eq!(ring.revocation_status().health, LogHealth::Ok);
    // A margin for clocks: within it, an expired credential's revocation is kept.
    let log2 = dir.join("margin.log");
    RevocationLog::create(&log2).unwrap();
    let edge = at("2026-01-01T00:00:00Z");
    RevocationLog::append(
        &log2,
        &RevocationRecord {
            revocation: Revocation::Credential("edge".into()),
            at: edge,
            until: Expiry::At(edge),
        },
    )
    .unwrap();
    let margin = fgac::credentials::COMPACTION_MARGIN_SECONDS;
    assert_eq!(
        RevocationLog::compact(&log2, edge.saturating_add(margin - 1))
            .unwrap()
            .kept,
        1
    );
    assert_eq!(
        RevocationLog::compact(&log2, edge.saturating_add(margin))
            .unwrap()
            .kept,
        0
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// The child processes of the tests below, selected by `FGAC_TEST_ROLE`; each prints `done ID`
/// once a revocation is acknowledged. Run only by those tests (ignored otherwise).
#[test]
#[ignore = "run by the kill -9 tests as a child process"]
fn log_child() {
    let (Ok(role), Ok(log)) = (
        std::env::var("FGAC_TEST_ROLE"),
        std::env::var("FGAC_TEST_LOG"),
    ) else {
        return;
    };
    let log = PathBuf::from(log);
    let name = std::env::var("FGAC_TEST_NAME").unwrap_or_default();
    let mut out = std::io::stdout().lock();
    // The harness has printed `test log_child ... ` without a line break: end that line.
    writeln!(out).unwrap();
    match role.as_str() {
        // A writer that takes the writers' lock, writes half a line, and hangs there until it
        // is killed.
        "torn" => {
            let mut sidecar = log.as_os_str().to_owned();
            sidecar.push(".lock");
            let lock = std::fs::OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .open(PathBuf::from(sidecar))
                .unwrap();
            lock.lock().unwrap();
            let mut f = std::fs::OpenOptions::new().append(true).open(&log).unwrap();
            f.write_all(b"id tor").unwrap();
            f.sync_all().unwrap();
            writeln!(out, "torn").unwrap();
            out.flush().unwrap();
            std::thread::sleep(Duration::from_secs(60));
        }
        // A key ring that revokes in a loop.
        "appender" => {
            let ring = ring_on(&log).unwrap();
            for i in 0..1_000_000 {
                let id = format!("{name}-{i}");
                ring.revoke(Revocation::Credential(id.clone()), now())
                    .unwrap();
                writeln!(out, "done {id}").unwrap();
                out.flush().unwrap();
            }
        }
        // Compactions in a loop.
        "compactor" => loop {
            RevocationLog::compact(&log, Timestamp::now()).unwrap();
        },
        _ => panic!("unknown role {role}"),
    }
}

fn child(role: &str, log: &Path, name: &str) -> Child {
    Command::new(std::env::current_exe().unwrap())
        .args([
            "--ignored",
            "--exact",
            "log_child",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("FGAC_TEST_ROLE", role)
        .env("FGAC_TEST_LOG", log)
        .env("FGAC_TEST_NAME", name)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

/// Collects the `done ID` lines of a child until its stdout closes.
fn acknowledged(c: &mut Child) -> std::thread::JoinHandle<Vec<String>> {
    let stdout = c.stdout.take().unwrap();
    std::thread::spawn(move || {
        BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
            .filter_map(|l| l.strip_prefix("done ").map(str::to_owned))
            .collect()
    })
}

/// Waits for a child to print `line` (the test harness prints a few lines first); fails if it
/// ends without.
fn wait_for_line(c: &mut Child, line: &str) {
    let stdout = c.stdout.as_mut().unwrap();
    let found = BufReader::new(stdout)
        .lines()
        .map_while(Result::ok)
        .take(10)
        .any(|l| l == line);
    assert!(found, "the child never printed {line}");
}

/// The defect: a writer killed in the middle of a line, then a revocation by a process that
/// holds the log open, glued its line onto the torn one (`id torkey k2 ...`), and every
/// revocation after failed. Now the torn tail is cut under the lock and every append starts on
/// a line of its own.
#[test]
fn a_line_torn_by_a_killed_writer_is_cut_and_the_log_stays_readable() {
    let dir = scratch("log-torn");
    let log = dir.join("revocations.log");
    RevocationLog::create(&log).unwrap();
    let ring = ring_on(&log).unwrap();
    revoke(&ring, "before");
    let mut writer = child("torn", &log, "");
    wait_for_line(&mut writer, "torn");
    // While it holds the lock, another writer waits for it.
    let blocked = std::thread::spawn({
        let log = log.clone();
        move || {
            RevocationLog::append(
                &log,
                &RevocationRecord::forever(Revocation::Credential("waited".into()), now()),
            )
            .unwrap();
        }
    });
    std::thread::sleep(Duration::from_millis(300));
    assert!(!blocked.is_finished(), "an append went past a held lock");
    writer.kill().unwrap(); // SIGKILL: the lock goes with the process, the half line stays
    writer.wait().unwrap();
    blocked.join().unwrap();
    ring.revoke(Revocation::Key("k2".into()), now()).unwrap();
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(!text.contains("tor"), "{text}");
    assert!(fgac::credentials::parse_log(&text).is_ok(), "{text}");
    assert_eq!(
        ids_in(&log),
        HashSet::from(["before".into(), "waited".into(), "k2".into()])
    );
    let fresh = ring_on(&log).unwrap();
    assert!(revoked(&fresh, "before") && revoked(&fresh, "waited"));
    assert!(
        resolve(&fresh, &token("other")).is_ok(),
        "k1 is not revoked"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// Two processes revoke in a loop while a third compacts in a loop, all killed with SIGKILL at
/// pseudo-random moments, five rounds: every revocation acknowledged is in the log, which reads.
#[test]
fn appenders_and_a_compactor_killed_at_random_lose_nothing_acknowledged() {
    let dir = scratch("log-kill");
    let log = dir.join("revocations.log");
    RevocationLog::create(&log).unwrap();
    let mut all = Vec::new();
    let mut state = 0x5eed_u64;
    for round in 0..5 {
        let mut a = child("appender", &log, &format!("a{round}"));
        let mut b = child("appender", &log, &format!("b{round}"));
        let mut c = child("compactor", &log, "");
        let (ra, rb) = (acknowledged(&mut a), acknowledged(&mut b));
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        std::thread::sleep(Duration::from_millis(200 + (state >> 33) % 400));
        for p in [&mut a, &mut b, &mut c] {
            p.kill().unwrap();
            p.wait().unwrap();
        }
        let (da, db) = (ra.join().unwrap(), rb.join().unwrap());
        println!("round {round}: {} + {} acknowledged", da.len(), db.len());
        all.extend(da);
        all.extend(db);
        let text = std::fs::read_to_string(&log).unwrap();
        assert!(
            fgac::credentials::parse_log(&text).is_ok(),
            "round {round}: the log does not read"
        );
    }
    assert!(!all.is_empty(), "nothing was acknowledged");
    let in_log = ids_in(&log);
    for id in &all {
        assert!(
            in_log.contains(id),
            "{id} was acknowledged and is not in the log"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}
