//! A fleet on a real three-member etcd cluster: followers (what each server runs) on it,
//! publishes and revocations through it, members killed and stopped for real.

use fgac::credentials::{
    MintOptions, Revocation, RevocationRecord, SigningKey, Trust, sign_reference,
};
use fgac::model::Expiry;
use fgac::{AuthFailure, Limits, Operation, Resource, Timestamp};
use fgac_etcd::{FleetError, FollowOptions, Follower, Layout, WhenStale, connect};
use fgac_test_support::etcd::{Cluster, within};
use std::net::IpAddr;
use std::time::Duration;

const PREFIX: &str = "/fgac/test";

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime")
}

fn signer() -> SigningKey {
    SigningKey::from_secret_bytes("k1", &[7; 32]).expect("a key")
}

fn peer() -> IpAddr {
    "10.1.2.3".parse().expect("an address")
}

/// The trust a publisher reads: the shared key, and a document.
fn store(document: &str, leeway: u64) -> Trust {
    Trust::builder()
        .key(signer().public_key())
        .leeway_seconds(leeway)
        .document_model(fgac::syntax::parse(document).expect("parses"))
        .build()
        .expect("a trust")
}

const V1: &str = r#"
key "web" { expires never  allow readonly cache "c" }
key "ops" { expires never  allow readwrite cache "c" }
"#;
const V2: &str = r#"
key "web" { expires never  allow readwrite cache "c" }
key "ops" { expires never  allow readwrite cache "c" }
"#;

const TIMEOUT: Duration = Duration::from_secs(1);
/// How long an operator's command keeps trying (a leader election takes about a second here).
const PATIENCE: Duration = Duration::from_secs(5);

fn publish(endpoints: &[String], trust: &Trust) -> Result<i64, FleetError> {
    runtime().block_on(fgac_etcd::on_any(
        endpoints,
        TIMEOUT,
        PATIENCE,
        |client| async move {
            let layout = Layout::new(PREFIX);
            let plan = fgac_etcd::plan(&client, &layout, trust, Timestamp::now()).await?;
            fgac_etcd::commit(&client, &layout, &plan, None).await
        },
    ))
}

fn revoke(endpoints: &[String], record: &RevocationRecord, leeway: u64) -> Result<i64, FleetError> {
    runtime().block_on(fgac_etcd::on_any(
        endpoints,
        TIMEOUT,
        PATIENCE,
        |client| async move {
            fgac_etcd::revoke(
                &client,
                &Layout::new(PREFIX),
                record,
                Timestamp::now(),
                leeway,
            )
            .await
        },
    ))
}

fn key_for(name: &str, id: &str, expiry: Expiry) -> String {
    let options = MintOptions {
        id: Some(id.to_owned()),
        ..MintOptions::default()
    };
    sign_reference(
        name,
        expiry,
        &signer(),
        &options,
        Timestamp::now(),
        &Limits::default(),
    )
    .expect("signs")
}

fn follower(endpoints: Vec<String>, id: &str, tune: impl FnOnce(&mut FollowOptions)) -> Follower {
    let mut options = FollowOptions::new(endpoints, PREFIX, id);
    options.check_every = Duration::from_millis(200);
    options.request_timeout = Duration::from_secs(1);
    tune(&mut options);
    Follower::start(options).expect("the follower reads the fleet's state")
}

/// What `f` decides for `key` setting an item of cache `c`: `Ok(allowed)`, or why the key is
/// refused.
fn decides(f: &Follower, key: &str) -> Result<bool, AuthFailure> {
    let now = Timestamp::now();
    f.keyring().resolve(key, peer(), now).map(|s| {
        s.authorize(Operation::Set, Resource::item("c", b"k"), now)
            .is_allowed()
    })
}

const BOUND: Duration = Duration::from_secs(5);

#[test]
fn revocations_reach_every_follower_and_lapse_with_their_lease() {
    let cluster = Cluster::start("revoke");
    let endpoints = cluster.endpoints();
    publish(&endpoints, &store(V2, 0)).expect("publishes");
    let followers: Vec<Follower> = (0..3)
        .map(|i| follower(endpoints.clone(), &format!("s{i}"), |_| {}))
        .collect();
    let web = key_for("web", "web-1", Expiry::Never);
    for f in &followers {
        assert_eq!(decides(f, &web), Ok(true));
    }
    // Acknowledged means in force everywhere, within the bound.
    let record =
        RevocationRecord::forever(Revocation::Credential("web-1".into()), Timestamp::now());
    revoke(&endpoints, &record, 0).expect("etcd commits it");
    for (i, f) in followers.iter().enumerate() {
        within(BOUND, &format!("the revocation on follower {i}"), || {
            decides(f, &web) == Err(AuthFailure::Revoked)
        });
    }
    // A revocation of a key that expires in two seconds lives as long in etcd, then its lease
    // takes it away; the key stays refused (revoked, then expired).
    let now = Timestamp::now();
    let until = Timestamp::from_unix_seconds(now.unix_seconds() + 2);
    let short = key_for("ops", "ops-short", Expiry::At(until));
    assert_eq!(decides(&followers[0], &short), Ok(true));
    let record = RevocationRecord {
        revocation: Revocation::Credential("ops-short".into()),
        at: now,
        until: Expiry::At(until),
    };
    revoke(&endpoints, &record, 0).expect("etcd commits it");
    for f in &followers {
        within(BOUND, "the short revocation", || {
            decides(f, &short).is_err()
        });
    }
    let key = Layout::new(PREFIX).revocation(&record.revocation);
    let gone = || {
        runtime().block_on(async {
            let mut kv = connect(&endpoints, Duration::from_secs(2))
                .await
                .expect("connects")
                .kv_client();
            kv.get(key.clone(), None)
                .await
                .expect("reads")
                .kvs()
                .is_empty()
        })
    };
    assert!(
        !gone(),
        "the revocation is in etcd while its credential lives"
    );
    within(
        Duration::from_secs(20),
        "the lease to take the revocation away",
        gone,
    );
    for f in &followers {
        assert_eq!(decides(f, &short), Err(AuthFailure::Expired));
        assert_eq!(decides(f, &web), Err(AuthFailure::Revoked));
    }
}

#[test]
fn a_publish_changes_every_follower_and_concurrent_publishes_race() {
    let cluster = Cluster::start("publish");
    let endpoints = cluster.endpoints();
    let first = publish(&endpoints, &store(V1, 0)).expect("publishes");
    let followers: Vec<Follower> = (0..3)
        .map(|i| follower(endpoints.clone(), &format!("s{i}"), |_| {}))
        .collect();
    let (web, ops) = (
        key_for("web", "w", Expiry::Never),
        key_for("ops", "o", Expiry::Never),
    );
    let now = Timestamp::now();
    let ops_sessions: Vec<_> = followers
        .iter()
        .map(|f| f.keyring().resolve(&ops, peer(), now).expect("resolves"))
        .collect();
    for f in &followers {
        assert_eq!(decides(f, &web), Ok(false));
        assert_eq!(f.status().store, first);
    }
    let second = publish(&endpoints, &store(V2, 0)).expect("publishes");
    assert!(second > first);
    for (i, f) in followers.iter().enumerate() {
        within(BOUND, &format!("the edit on follower {i}"), || {
            decides(f, &web) == Ok(true)
        });
        assert_eq!(f.status().store, second);
    }
    // The credential the edit left alone kept its sessions.
    assert!(ops_sessions.iter().all(fgac::credentials::Session::is_live));
    // Two publishers compare against the same store; the first to write wins, the other is
    // told the revision that won.
    let (a, b) = runtime().block_on(async {
        let client = connect(&endpoints, Duration::from_secs(2))
            .await
            .expect("connects");
        let layout = Layout::new(PREFIX);
        let a = fgac_etcd::plan(&client, &layout, &store(V1, 0), now)
            .await
            .expect("plans");
        let b = fgac_etcd::plan(&client, &layout, &store(V1, 5), now)
            .await
            .expect("plans");
        assert_eq!((a.base, b.base), (second, second));
        (
            fgac_etcd::commit(&client, &layout, &a, None).await,
            fgac_etcd::commit(&client, &layout, &b, None).await,
        )
    });
    let won = a.expect("the first wins");
    match b {
        Err(FleetError::LostRace { expected, won: w }) => assert_eq!((expected, w), (second, won)),
        other => panic!("the second must lose the race, not {other:?}"),
    }
    for f in &followers {
        within(BOUND, "the winner everywhere", || {
            decides(f, &web) == Ok(false)
        });
    }
}

#[test]
fn followers_ride_out_dead_members_and_say_when_they_cannot_hear() {
    let mut cluster = Cluster::start("members");
    let endpoints = cluster.endpoints();
    publish(&endpoints, &store(V1, 0)).expect("publishes");
    let quick = |when: WhenStale| {
        move |o: &mut FollowOptions| {
            o.max_staleness = Duration::from_secs(2);
            o.when_stale = when;
        }
    };
    let keeps = follower(endpoints.clone(), "keeps", quick(WhenStale::KeepServing));
    let refuses = follower(endpoints.clone(), "refuses", quick(WhenStale::Refuse));
    let web = key_for("web", "w", Expiry::Never);
    // One member killed: a quorum is left, and everything works.
    cluster.kill_member(0);
    publish(&endpoints, &store(V2, 0)).expect("publishes with two of three");
    for f in [&keeps, &refuses] {
        within(BOUND, "the edit with a member down", || {
            decides(f, &web) == Ok(true)
        });
    }
    let record = RevocationRecord::forever(Revocation::Credential("w".into()), Timestamp::now());
    revoke(&endpoints, &record, 0).expect("revokes with two of three");
    for f in [&keeps, &refuses] {
        within(BOUND, "the revocation with a member down", || {
            decides(f, &web) == Err(AuthFailure::Revoked)
        });
    }
    cluster.start_member(0);
    cluster.wait_healthy(Duration::from_secs(30));
    // Two killed: no quorum. A revocation is never acknowledged.
    cluster.kill_member(1);
    cluster.kill_member(2);
    let ops = key_for("ops", "o", Expiry::Never);
    let refused = revoke(
        &endpoints,
        &RevocationRecord::forever(Revocation::Credential("o".into()), Timestamp::now()),
        0,
    );
    assert!(matches!(refused, Err(FleetError::Etcd(_))), "{refused:?}");
    // Both keep deciding on their last state until the staleness bound; past it, one says so
    // and serves, the other refuses every credential.
    within(BOUND, "staleness to show", || {
        keeps.status().stale && refuses.status().stale
    });
    assert_eq!(decides(&keeps, &ops), Ok(true));
    within(BOUND, "the refusing follower to refuse", || {
        decides(&refuses, &ops).is_err()
    });
    assert!(refuses.status().refusing && !keeps.status().refusing);
    // Members back: both hear again, and serve the fleet's state.
    cluster.start_member(1);
    cluster.start_member(2);
    cluster.wait_healthy(Duration::from_secs(30));
    for f in [&keeps, &refuses] {
        within(Duration::from_secs(15), "hearing again", || {
            let s = f.status();
            !s.stale && !s.refusing && decides(f, &ops) == Ok(true)
        });
        assert_eq!(decides(f, &web), Err(AuthFailure::Revoked));
    }
}

#[test]
fn a_follower_that_missed_compacted_revisions_reads_everything_again() {
    let cluster = Cluster::start("compact");
    let endpoints = cluster.endpoints();
    publish(&endpoints, &store(V1, 0)).expect("publishes");
    // This follower hears only through member 2, which is then stopped.
    let lonely = follower(
        vec![cluster.members[2].client_url.clone()],
        "lonely",
        |_| {},
    );
    let web = key_for("web", "w", Expiry::Never);
    assert_eq!(decides(&lonely, &web), Ok(false));
    cluster.signal_member(2, "STOP");
    let others = endpoints[..2].to_vec();
    publish(&others, &store(V2, 0)).expect("publishes");
    let ops = key_for("ops", "o", Expiry::Never);
    revoke(
        &others,
        &RevocationRecord::forever(Revocation::Credential("o".into()), Timestamp::now()),
        0,
    )
    .expect("revokes");
    cluster.compact(0);
    cluster.signal_member(2, "CONT");
    within(
        Duration::from_secs(20),
        "the stopped follower to converge",
        || {
            decides(&lonely, &web) == Ok(true)
                && decides(&lonely, &ops) == Err(AuthFailure::Revoked)
        },
    ); // Stopped, it heard the changes in order once continued. Killed, its watch breaks: it reads
    // everything again once its member is back, the compacted revisions notwithstanding.
    let mut cluster = cluster;
    cluster.kill_member(2);
    publish(&others, &store(V1, 0)).expect("publishes");
    cluster.compact(0);
    cluster.start_member(2);
    within(
        Duration::from_secs(20),
        "the cut-off follower to converge",
        || decides(&lonely, &web) == Ok(false) && lonely.status().resyncs >= 1,
    );
    assert_eq!(decides(&lonely, &ops), Err(AuthFailure::Revoked));
}
