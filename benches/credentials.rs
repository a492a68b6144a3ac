//! Signed credentials on a server's connection path: resolving a token seen before (beside a plain
//! `HashMap<String, _>` lookup of the same string, the floor), the first sight of a 20-grant
//! token (split into the signature, checked with ed25519-dalek alone, and the rest), `authorize`
//! with the revocation check beside the credential's own, and reader latency (p50, p99) while a
//! key ring of 100,000 credentials has its store swapped continuously. Every measured call
//! asserts its answer.

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use fgac::credentials::{Keyring, MintOptions, SigningKey, Trust, mint, sign_reference};
use fgac::model::{CacheSelector, CredentialDef, CredentialKind, Expiry, Grant, ItemSelector};
use fgac::model::{Permissions, Role};
use fgac::{Authorizer, Decision, Limits, Operation, Resource, Timestamp};
use std::collections::HashMap;
use std::hint::black_box;
use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

const NOW: Timestamp = Timestamp::from_unix_seconds(1_795_651_200);

fn peer() -> IpAddr {
    "10.1.2.3".parse().expect("an address")
}

fn signer() -> SigningKey {
    SigningKey::from_secret_bytes("k1", &[7; 32]).expect("a key")
}

/// A disposable token of 20 grants: exact keys on 20 caches, as a browser's token holds.
fn token_of_20(id: &str) -> String {
    let grants: Vec<Grant> = (0..20)
        .map(|i| {
            Grant::allow_items(
                Role::ReadWrite,
                CacheSelector::Name(format!("tenant-{i:04}")),
                ItemSelector::Key(format!("user:{i:07}:profile").into_bytes()),
            )
        })
        .collect();
    let request = {
        let mut c = CredentialDef::new(
            "browser",
            CredentialKind::Token,
            Expiry::At(NOW.saturating_add(3600)),
            Permissions::Explicit(grants),
        );
        c.token_id = Some("user-42".into());
        c
    };
    let root = Authorizer::from_source(r#"key "root" { expires never  superuser }"#).expect("root");
    let options = MintOptions {
        id: Some(id.to_owned()),
        ..MintOptions::default()
    };
    mint(
        root.credential("root").expect("root"),
        &request,
        &signer(),
        &options,
        NOW,
        &Limits::default(),
    )
    .expect("mints")
}

fn store() -> Trust {
    Trust::builder()
        .key(signer().public_key())
        .build()
        .expect("store")
}

const HIT: Resource<'static> = Resource::item("tenant-0007", b"user:0000007:profile");

fn resolve_seen(c: &mut Criterion) {
    let token = token_of_20("seen");
    let ring = Keyring::new(store()).expect("ring");
    let session = ring.resolve(&token, peer(), NOW).expect("resolves");
    assert!(session.authorize(Operation::Get, HIT, NOW).is_allowed());
    let mut floor: HashMap<String, Arc<fgac::Credential>> = HashMap::new();
    floor.insert(token.clone(), Arc::new(session.credential().clone()));
    let mut group = c.benchmark_group("credentials");
    group.bench_function("resolve seen token", |b| {
        b.iter(|| {
            let s = ring
                .resolve(black_box(&token), peer(), NOW)
                .expect("resolves");
            black_box(s);
        })
    });
    group.bench_function("HashMap<String, _> lookup of the same token", |b| {
        b.iter(|| {
            let c = floor.get(black_box(token.as_str())).expect("present");
            black_box(Arc::clone(c));
        })
    });
    println!("token of 20 grants: {} bytes", token.len());
    group.finish();
}

fn first_sight(c: &mut Criterion) {
    let token = token_of_20("first");
    let (signed, signature) = token.rsplit_once('.').expect("three parts");
    let signature: [u8; 64] = {
        use base64::Engine as _;
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(signature)
            .expect("base64url")
            .try_into()
            .expect("64 bytes")
    };
    let public = ed25519_dalek::SigningKey::from_bytes(&[7; 32]).verifying_key();
    let mut group = c.benchmark_group("credentials");
    group.bench_function("first sight of a 20-grant token", |b| {
        b.iter_batched(
            || Keyring::with_cache_capacity(store(), 16).expect("ring"),
            |ring| {
                let s = ring.resolve(&token, peer(), NOW).expect("resolves");
                assert!(s.authorize(Operation::Get, HIT, NOW).is_allowed());
                (ring, s)
            },
            BatchSize::SmallInput,
        )
    });
    group.bench_function("ed25519-dalek verify_strict of the same token", |b| {
        let sig = ed25519_dalek::Signature::from_bytes(&signature);
        b.iter(|| {
            public
                .verify_strict(black_box(signed.as_bytes()), &sig)
                .expect("verifies")
        })
    });
    group.finish();
}

fn revocation_check(c: &mut Criterion) {
    let token = token_of_20("hot");
    let ring = Keyring::new(store()).expect("ring");
    let session = ring.resolve(&token, peer(), NOW).expect("resolves");
    let credential = session.credential().clone();
    let mut group = c.benchmark_group("credentials");
    group.bench_function("authorize: Credential", |b| {
        b.iter(|| {
            assert_eq!(
                credential.authorize(black_box(Operation::Get), black_box(HIT), NOW),
                Decision::Allow
            )
        })
    });
    group.bench_function("authorize: Session (with the revocation check)", |b| {
        b.iter(|| {
            assert_eq!(
                session.authorize(black_box(Operation::Get), black_box(HIT), NOW),
                Decision::Allow
            )
        })
    });
    group.finish();
}

/// What counting costs: a session's decision and a whole resolve-and-decide with the key ring's
/// metrics off and on, on one thread and on two threads at once (each iteration is one decision
/// on each thread: equal times mean the threads do not contend).
fn metrics_cost(c: &mut Criterion) {
    let token = token_of_20("counted");
    let off = Keyring::new(store()).expect("ring");
    let metrics = Arc::new(fgac::metrics::Metrics::new());
    let on = Keyring::new(store())
        .expect("ring")
        .with_metrics(Arc::clone(&metrics));
    let mut group = c.benchmark_group("metrics");
    for (name, ring) in [("off", &off), ("on", &on)] {
        let session = ring.resolve(&token, peer(), NOW).expect("resolves");
        group.bench_function(format!("Session::authorize, metrics {name}"), |b| {
            b.iter(|| {
                assert_eq!(
                    session.authorize(black_box(Operation::Get), black_box(HIT), NOW),
                    Decision::Allow
                )
            })
        });
        group.bench_function(format!("Keyring::authorize, metrics {name}"), |b| {
            b.iter(|| {
                assert_eq!(
                    ring.authorize(black_box(&token), peer(), Operation::Get, HIT, NOW),
                    Decision::Allow
                )
            })
        });
        group.bench_function(
            format!("Session::authorize on 2 threads, metrics {name}"),
            |b| {
                b.iter_custom(|iters| {
                    let start = Instant::now();
                    std::thread::scope(|s| {
                        for _ in 0..2 {
                            let session = session.clone();
                            s.spawn(move || {
                                for _ in 0..iters {
                                    assert_eq!(
                                        session.authorize(
                                            black_box(Operation::Get),
                                            black_box(HIT),
                                            NOW
                                        ),
                                        Decision::Allow
                                    );
                                }
                            });
                        }
                    });
                    start.elapsed()
                })
            },
        );
    }
    group.finish();
    assert!(metrics.snapshot().verdicts(fgac::metrics::Verdict::Allow) > 0);
}

/// 100,000 API keys in a document, each resolved once through a key that refers to it.
fn big_ring() -> (Arc<Keyring>, Trust, Vec<String>) {
    const N: usize = 100_000;
    let mut text = String::with_capacity(N * 80);
    for i in 0..N {
        text += &format!(
            "key \"svc-{i:06}\" {{ expires never  allow readwrite cache \"c-{i:06}\" }}\n"
        );
    }
    let document = Authorizer::builder()
        .limits(Limits::unbounded())
        .read(text.as_bytes())
        .expect("compiles");
    let store = Trust::builder()
        .key(signer().public_key())
        .document(document)
        .limits(Limits::unbounded())
        .build()
        .expect("store");
    let ring = Arc::new(Keyring::with_cache_capacity(store.clone(), 2 * N).expect("ring"));
    let key = signer();
    let tokens: Vec<String> = (0..N)
        .map(|i| {
            let options = MintOptions {
                id: Some(format!("svc-{i}")),
                ..MintOptions::default()
            };
            sign_reference(
                &format!("svc-{i:06}"),
                Expiry::Never,
                &key,
                &options,
                NOW,
                &Limits::unbounded(),
            )
            .expect("signs")
        })
        .collect();
    for t in &tokens {
        ring.resolve(t, peer(), NOW).expect("resolves");
    }
    assert_eq!(ring.cached(), N);
    (ring, store, tokens)
}

/// Resolves a seen token and authorizes one request with it, `iters` times over random tokens,
/// timing each; returns the total and keeps every latency.
fn timed_reads(ring: &Keyring, tokens: &[String], iters: u64, samples: &mut Vec<u32>) -> Duration {
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    let mut total = Duration::ZERO;
    for _ in 0..iters {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let i = (state % tokens.len() as u64) as usize;
        let cache = format!("c-{i:06}");
        let start = Instant::now();
        let s = ring.resolve(&tokens[i], peer(), NOW).expect("resolves");
        let d = s.authorize(Operation::Get, Resource::item(&cache, b"k"), NOW);
        let took = start.elapsed();
        assert!(d.is_allowed());
        total += took;
        samples.push(u32::try_from(took.as_nanos()).unwrap_or(u32::MAX));
    }
    total
}

fn percentile(sorted: &[u32], p: f64) -> u32 {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn reader_latency(c: &mut Criterion) {
    let (ring, store, tokens) = big_ring();
    let mut group = c.benchmark_group("credentials");
    group.sample_size(20);
    let mut report = Vec::new();
    for swapping in [false, true] {
        let stop = Arc::new(AtomicBool::new(false));
        let swaps = Arc::new(AtomicUsize::new(0));
        let writer = swapping.then(|| {
            let (ring, store, stop, swaps) = (
                Arc::clone(&ring),
                store.clone(),
                Arc::clone(&stop),
                Arc::clone(&swaps),
            );
            std::thread::spawn(move || {
                // Bounded: stops when told, or after 10 minutes.
                let until = Instant::now() + Duration::from_secs(600);
                while !stop.load(Ordering::SeqCst) && Instant::now() < until {
                    ring.replace(store.clone()).expect("replaces");
                    swaps.fetch_add(1, Ordering::SeqCst);
                }
            })
        });
        let mut samples = Vec::new();
        let name = if swapping {
            "reader latency, store of 100,000 swapped continuously"
        } else {
            "reader latency, store of 100,000 quiet"
        };
        group.bench_function(name, |b| {
            b.iter_custom(|iters| timed_reads(&ring, &tokens, iters, &mut samples))
        });
        stop.store(true, Ordering::SeqCst);
        if let Some(w) = writer {
            w.join().expect("writer");
        }
        if samples.is_empty() {
            continue; // filtered out
        }
        samples.sort_unstable();
        let (p50, p99, p999) = (
            percentile(&samples, 0.5),
            percentile(&samples, 0.99),
            percentile(&samples, 0.999),
        );
        println!(
            "{name}: p50 {p50} ns, p99 {p99} ns, p99.9 {p999} ns over {} reads; {} swaps",
            samples.len(),
            swaps.load(Ordering::SeqCst)
        );
        report.push(format!(
            "{{\"swapping\": {swapping}, \"reads\": {}, \"p50_ns\": {p50}, \"p99_ns\": {p99}, \"p999_ns\": {p999}, \"swaps\": {}}}",
            samples.len(),
            swaps.load(Ordering::SeqCst)
        ));
    }
    group.finish();
    if report.is_empty() {
        return;
    }
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/criterion");
    let _ = std::fs::create_dir_all(&dir);
    let _ = std::fs::write(
        dir.join("credentials-reader-latency.json"),
        format!("[{}]\n", report.join(", ")),
    );
}

criterion_group!(
    benches,
    resolve_seen,
    first_sight,
    revocation_check,
    metrics_cost,
    reader_latency
);
criterion_main!(benches);
