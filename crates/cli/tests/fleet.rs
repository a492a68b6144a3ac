//! `fgac publish`, `fgac revoke --etcd` and `fgac status` against a real three-member etcd
//! cluster, with a follower (what a server runs) on it.

use fgac::credentials::{MintOptions, SigningKey, sign_reference};
use fgac::model::Expiry;
use fgac::{AuthFailure, Limits, Operation, Resource, Timestamp};
use fgac_etcd::{FollowOptions, Follower};
use fgac_test_support::etcd::{Cluster, within};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

const PREFIX: &str = "/fgac/cli";

fn fgac(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_fgac"))
        .args(args)
        .stdin(std::process::Stdio::null())
        .output()
        .expect("fgac runs")
}

fn text(o: &Output) -> (i32, String, String) {
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

fn signer() -> SigningKey {
    SigningKey::from_secret_bytes("k1", &[9; 32]).expect("a key")
}

/// A trust file with the signer's public key and `document` beside it.
fn trust_file(dir: &Path, document: &str) -> PathBuf {
    std::fs::write(dir.join("policy.fgac"), document).expect("writes");
    let jwk = signer().public_key().to_jwk();
    let trust = format!(r#"{{"keys": [{jwk}], "document": "policy.fgac"}}"#);
    let path = dir.join("trust.json");
    std::fs::write(&path, trust).expect("writes");
    path
}

fn decides(f: &Follower, key: &str) -> Result<bool, AuthFailure> {
    let now = Timestamp::now();
    f.keyring()
        .resolve(key, "10.0.0.1".parse().expect("an address"), now)
        .map(|s| {
            s.authorize(Operation::Set, Resource::item("c", b"k"), now)
                .is_allowed()
        })
}

#[test]
fn publish_revoke_and_status_from_the_command_line() {
    let mut cluster = Cluster::start("cli");
    let urls = cluster.endpoints().join(",");
    let dir = std::env::temp_dir().join(format!("fgac-cli-fleet-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a directory");
    let at = ["--etcd", &urls, "--prefix", PREFIX];
    let publish = |trust: &Path, extra: &[&str]| {
        let mut args = vec!["publish"];
        args.extend(at);
        args.extend(extra);
        args.push(trust.to_str().expect("a path"));
        text(&fgac(&args))
    };

    // The first publish shows every credential as added and writes.
    let trust = trust_file(
        &dir,
        r#"key "web" { expires never  allow readonly cache "c" }"#,
    );
    let (code, out, err) = publish(&trust, &["--yes"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("compared with the store at revision 0"),
        "{out}"
    );
    assert!(out.contains("web: added"), "{out}");
    let first: i64 = out
        .rsplit("revision ")
        .next()
        .and_then(|r| r.trim().parse().ok())
        .expect("the revision published");
    let mut options = FollowOptions::new(cluster.endpoints(), PREFIX, "s1");
    options.check_every = Duration::from_millis(200);
    let follower = Follower::start(options).expect("follows");
    let key = sign_reference(
        "web",
        Expiry::Never,
        &signer(),
        &MintOptions {
            id: Some("web-1".to_owned()),
            ..MintOptions::default()
        },
        Timestamp::now(),
        &Limits::default(),
    )
    .expect("signs");
    assert_eq!(decides(&follower, &key), Ok(false));

    // The same store again: nothing to publish.
    let (code, out, _) = publish(&trust, &["--yes"]);
    assert_eq!(
        (code, out.contains("nothing to publish")),
        (0, true),
        "{out}"
    );

    // A change is shown; without --yes and with no terminal to ask on, it is not published.
    let trust = trust_file(
        &dir,
        r#"key "web" { expires never  allow readwrite cache "c" }"#,
    );
    let (code, out, err) = publish(&trust, &[]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains("web: now allowed"), "{out}");
    assert!(err.contains("not confirmed"), "{err}");
    // A script's expected revision that is not the live one: exit 2, naming the live one.
    let (code, _, err) = publish(&trust, &["--yes", "--if-revision", "1"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains(&format!("the store is at revision {first}")),
        "{err}"
    );
    // Published: the follower serves it.
    let (code, out, err) = publish(&trust, &["--yes", "--if-revision", &first.to_string()]);
    assert_eq!(code, 0, "{out}{err}");
    within(Duration::from_secs(5), "the edit on the follower", || {
        decides(&follower, &key) == Ok(true)
    });
    // A store that does not compile is refused before anything is written.
    let broken = trust_file(
        &dir,
        r#"key "web" { expires never  allow readwrite cache "" }"#,
    );
    let (code, _, err) = publish(&broken, &["--yes"]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("nothing was published"), "{err}");

    // Status: the store's revision and the follower's line.
    within(
        Duration::from_secs(5),
        "the follower's status in etcd",
        || {
            let (code, out, _) = text(&fgac(&[&["status"][..], &at[..]].concat()));
            code == 0 && out.contains("s1: serves revision") && out.contains("(behind by 0)")
        },
    );
    let (code, out, _) = text(&fgac(&[&["status", "--json"][..], &at[..]].concat()));
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(out.trim()).expect("json");
    assert_eq!(v["servers"][0]["id"], "s1");

    // Revoked through etcd: acknowledged, then in force on the follower.
    let (code, out, err) = text(&fgac(&[&["revoke", "--id", "web-1"][..], &at[..]].concat()));
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("revoked credential `web-1` (committed by etcd at revision"),
        "{out}"
    );
    within(
        Duration::from_secs(5),
        "the revocation on the follower",
        || decides(&follower, &key) == Err(AuthFailure::Revoked),
    );
    // No quorum: never acknowledged, exit 2.
    cluster.kill_member(1);
    cluster.kill_member(2);
    let (code, _, err) = text(&fgac(
        &[&["revoke", "--id", "web-2", "--patience", "2"][..], &at[..]].concat(),
    ));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("not revoked"), "{err}");
    drop(follower);
    let _ = std::fs::remove_dir_all(&dir);
}
