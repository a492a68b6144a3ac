//! A fleet's figures on a real three-member etcd cluster on loopback (figures, not a criterion
//! loop; needs `etcd` and `etcdctl` on the PATH):
//!
//! 1. revocation: time from `revoke` acknowledged to every one of three followers denying a live
//!    session of the revoked credential, over 200 revocations (p50, p99, max);
//! 2. publish: time from a store of 100,000 grants (5,000 credentials of 20) acknowledged to every
//!    follower serving it, first as a whole, then with one credential changed;
//! 3. cold start with 100,000 live revocations: a follower's start to its key ring serving, and
//!    the memory it holds per revocation (a counting allocator: live bytes after the start,
//!    against a follower of no revocations).
//!
//! `cargo bench -p fgac-etcd --bench fleet` (about two minutes)

use fgac::credentials::{
    MintOptions, Revocation, RevocationRecord, SigningKey, Trust, sign_reference,
};
use fgac::model::Expiry;
use fgac::{Limits, Operation, Resource, Timestamp};
use fgac_etcd::{FollowOptions, Follower, Layout, Snapshot, connect};
use fgac_test_support::alloc::Counting;
use fgac_test_support::etcd::Cluster;
use std::time::{Duration, Instant};

#[global_allocator]
static ALLOCATOR: Counting = Counting;

const PREFIX: &str = "/fgac/bench";
const TIMEOUT: Duration = Duration::from_secs(2);

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime")
}

fn signer() -> SigningKey {
    SigningKey::from_secret_bytes("k1", &[5; 32]).expect("a key")
}

/// `n` credentials of `grants` grants each; credential `changed` differs by `variant`.
fn document(n: usize, grants: usize, changed: usize, variant: usize) -> String {
    let mut text = String::new();
    for i in 0..n {
        text += &format!("key \"svc-{i:05}\" {{\n    expires never\n");
        for g in 0..grants {
            let v = if i == changed { variant } else { 0 };
            text += &format!("    allow readwrite cache \"t{i}\" items prefix \"p{g}-{v}/\"\n");
        }
        text += "}\n";
    }
    text
}

fn store(document: &str) -> Trust {
    Trust::builder()
        .key(signer().public_key())
        .limits(Limits::unbounded())
        .document_model(fgac::syntax::parse(document).expect("parses"))
        .build()
        .expect("a trust")
}

fn publish(endpoints: &[String], trust: &Trust) -> i64 {
    runtime()
        .block_on(fgac_etcd::on_any(
            endpoints,
            TIMEOUT,
            TIMEOUT * 5,
            |client| async move {
                let layout = Layout::new(PREFIX);
                let plan = fgac_etcd::plan(&client, &layout, trust, Timestamp::now()).await?;
                fgac_etcd::commit(&client, &layout, &plan, None).await
            },
        ))
        .expect("publishes")
}

fn follower(endpoints: &[String], id: &str) -> Follower {
    let mut options = FollowOptions::new(endpoints.to_vec(), PREFIX, id);
    options.limits = Limits::unbounded();
    options.check_every = Duration::from_millis(500);
    options.start_timeout = Duration::from_secs(120);
    Follower::start(options).expect("follows")
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn main() {
    let cluster = Cluster::start("bench");
    let endpoints = cluster.endpoints();
    let peer = "10.0.0.1".parse().expect("an address");

    // 1. Revocation reaching three followers.
    publish(&endpoints, &store(&document(10, 1, usize::MAX, 0)));
    let followers: Vec<Follower> = (0..3)
        .map(|i| follower(&endpoints, &format!("s{i}")))
        .collect();
    let client = runtime();
    let etcd = client
        .block_on(connect(&endpoints, TIMEOUT))
        .expect("connects");
    let layout = Layout::new(PREFIX);
    let mut took = Vec::new();
    for i in 0..200 {
        let id = format!("r{i}");
        let options = MintOptions {
            id: Some(id.clone()),
            ..MintOptions::default()
        };
        let key = sign_reference(
            "svc-00001",
            Expiry::Never,
            &signer(),
            &options,
            Timestamp::now(),
            &Limits::default(),
        )
        .expect("signs");
        let sessions: Vec<_> = followers
            .iter()
            .map(|f| {
                f.keyring()
                    .resolve(&key, peer, Timestamp::now())
                    .expect("resolves")
            })
            .collect();
        let record = RevocationRecord::forever(Revocation::Credential(id), Timestamp::now());
        client
            .block_on(fgac_etcd::revoke(
                &etcd,
                &layout,
                &record,
                Timestamp::now(),
                0,
            ))
            .expect("revokes");
        let acknowledged = Instant::now();
        while sessions.iter().any(fgac::credentials::Session::is_live) {
            assert!(
                acknowledged.elapsed() < Duration::from_secs(10),
                "revocation {i} not applied"
            );
            std::thread::sleep(Duration::from_micros(50));
        }
        took.push(acknowledged.elapsed().as_secs_f64() * 1e3);
        let now = Timestamp::now();
        assert!(
            !sessions[0]
                .authorize(Operation::Get, Resource::item("t1", b"p0-0/x"), now)
                .is_allowed()
        );
    }
    took.sort_by(f64::total_cmp);
    println!(
        "revocation acknowledged -> denied on all 3 followers, 200 revocations: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        percentile(&took, 0.5),
        percentile(&took, 0.99),
        took[took.len() - 1]
    );

    // 2. A store of 100,000 grants published, then one credential of it changed.
    for (label, changed, variant) in [
        ("whole", usize::MAX, 0),
        ("one credential changed", 2_500, 1),
    ] {
        let text = document(5_000, 20, changed, variant);
        let trust = store(&text);
        let start = Instant::now();
        let revision = publish(&endpoints, &trust);
        let acknowledged = start.elapsed();
        let at = Instant::now();
        for f in &followers {
            while f.status().store < revision {
                assert!(
                    at.elapsed() < Duration::from_secs(120),
                    "the store not served"
                );
                std::thread::sleep(Duration::from_millis(1));
            }
        }
        println!(
            "store of 100,000 grants ({label}): publish (compile, compare, write) {:.0} ms; acknowledged -> served by all 3 followers {:.0} ms",
            acknowledged.as_secs_f64() * 1e3,
            at.elapsed().as_secs_f64() * 1e3
        );
    }
    drop(followers);

    // 3. A cold start with 100,000 live revocations, and the memory per revocation.
    publish(&endpoints, &store(&document(10, 1, usize::MAX, 0)));
    let before = Counting::live();
    let empty = follower(&endpoints, "empty");
    let base = Counting::live() - before;
    drop(empty);
    client.block_on(async {
        let mut kv = etcd.kv_client();
        for batch in 0..1_000 {
            let ops: Vec<etcd_client::TxnOp> = (0..100)
                .map(|j| {
                    let record = RevocationRecord::forever(
                        Revocation::Credential(format!("cold-{batch}-{j}")),
                        Timestamp::now(),
                    );
                    etcd_client::TxnOp::put(
                        layout.revocation(&record.revocation),
                        record.line().expect("a line"),
                        None,
                    )
                })
                .collect();
            kv.txn(etcd_client::Txn::new().and_then(ops))
                .await
                .expect("writes");
        }
    });
    let held = client
        .block_on(Snapshot::read(&etcd, &layout))
        .expect("reads")
        .revocations
        .len();
    let before = Counting::live();
    let start = Instant::now();
    let cold = follower(&endpoints, "cold");
    let started = start.elapsed();
    let grown = Counting::live() - before;
    assert_eq!(cold.keyring().revocation_status().held, held);
    println!(
        "cold start with {held} live revocations: serving after {:.0} ms; memory {:.0} bytes per revocation held ({:.1} MB against {:.1} MB with none)",
        started.as_secs_f64() * 1e3,
        (grown.saturating_sub(base)) as f64 / held as f64,
        grown as f64 / 1e6,
        base as f64 / 1e6
    );
}
