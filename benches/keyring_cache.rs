//! The key ring's verified-credential cache under token churn (a benchmark of figures, not a
//! criterion timing loop): a Zipf(1.0) population of presented tokens ten times the cache's
//! capacity, without and with a stream of one-time tokens through it (one request in four, a
//! scan). Prints the hit ratio beside an exact LRU's of the same capacity on the same sequence,
//! resolve latency (p50, p99: a hit is a hash and a lookup, a miss verifies and compiles), and
//! the throughput of two threads resolving at once.
//!
//! `cargo bench --features credentials --bench keyring_cache`

use fgac::credentials::{Keyring, MintOptions, SigningKey, Trust, mint};
use fgac::metrics::{Event, Metrics};
use fgac::model::{
    CacheSelector, CredentialDef, CredentialKind, Expiry, Grant, ItemSelector, Permissions, Role,
};
use fgac::{Authorizer, Limits, Timestamp};
use fgac_test_support::churn::{Presented, lru_hit_ratio, one_time_tokens, workload};
use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

const NOW: Timestamp = Timestamp::from_unix_seconds(1_795_651_200);
const CAPACITY: usize = 4_096;
const REQUESTS: usize = 200_000;

fn signer() -> SigningKey {
    SigningKey::from_secret_bytes("k1", &[7; 32]).expect("a key")
}

/// `n` disposable tokens of one grant each, ids `{prefix}{i}`.
fn tokens(prefix: &str, n: usize) -> Vec<String> {
    let root = Authorizer::from_source(r#"key "root" { expires never  superuser }"#).expect("root");
    let root = root.credential("root").expect("root");
    let request = CredentialDef::new(
        "browser",
        CredentialKind::Token,
        Expiry::At(NOW.saturating_add(3600)),
        Permissions::Explicit(vec![Grant::allow_items(
            Role::ReadOnly,
            CacheSelector::Name("c".into()),
            ItemSelector::All,
        )]),
    );
    let signer = signer();
    (0..n)
        .map(|i| {
            let options = MintOptions {
                id: Some(format!("{prefix}{i}")),
                ..MintOptions::default()
            };
            mint(root, &request, &signer, &options, NOW, &Limits::default()).expect("minted")
        })
        .collect()
}

fn ring() -> (Keyring, Arc<Metrics>) {
    let metrics = Arc::new(Metrics::new());
    let trust = Trust::builder()
        .key(signer().public_key())
        .build()
        .expect("trust");
    let ring = Keyring::with_cache_capacity(trust, CAPACITY)
        .expect("ring")
        .with_metrics(Arc::clone(&metrics));
    (ring, metrics)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn main() {
    let peer: IpAddr = "10.1.2.3".parse().expect("an address");
    let population = 10 * CAPACITY;
    let started = Instant::now();
    let popular = tokens("p", population);
    let scan = workload(population, 1.0, REQUESTS, 4, 11);
    let once = tokens("o", one_time_tokens(&scan));
    eprintln!(
        "minted {} tokens in {:.1} s",
        popular.len() + once.len(),
        started.elapsed().as_secs_f64()
    );
    println!(
        "capacity {CAPACITY}, population {population} (Zipf 1.0), {REQUESTS} requests per run"
    );
    for (name, requests) in [
        ("no scan", workload(population, 1.0, REQUESTS, 0, 11)),
        ("a one-time token in every 4", scan.clone()),
    ] {
        let token = |p: &Presented| match *p {
            Presented::Popular(i) => popular[i].as_str(),
            Presented::Once(i) => once[i].as_str(),
        };
        let (ring, metrics) = ring();
        let mut latencies = Vec::with_capacity(requests.len());
        for p in &requests {
            let t = Instant::now();
            let resolved = ring.resolve(token(p), peer, NOW);
            latencies.push(t.elapsed());
            assert!(resolved.is_ok());
        }
        latencies.sort_unstable();
        let s = metrics.snapshot();
        let hits = s.event(Event::CacheHit) as f64 / requests.len() as f64;
        let lru = lru_hit_ratio(&requests, CAPACITY);
        println!(
            "{name}: hit ratio {hits:.3} (exact LRU {lru:.3}), evictions {}, resolve p50 {:?} p99 {:?}",
            s.event(Event::CacheEviction),
            percentile(&latencies, 0.5),
            percentile(&latencies, 0.99),
        );
        // Two threads resolving the same sequence at once, on a warm ring.
        let start = Instant::now();
        std::thread::scope(|s| {
            for half in requests.chunks(requests.len().div_ceil(2)) {
                let ring = &ring;
                s.spawn(move || {
                    for p in half {
                        assert!(ring.resolve(token(p), peer, NOW).is_ok());
                    }
                });
            }
        });
        let elapsed = start.elapsed().as_secs_f64();
        println!(
            "{name}: two threads, {:.0} resolves/s",
            requests.len() as f64 / elapsed
        );
    }
}
