//! fgac's engine on its own: authorize as policies grow (1 to 100,000 grants), by item-key length,
//! in a document of 100,000 credentials, and compile throughput. Every measured decision is
//! asserted, so a benchmark that decides wrong fails instead of reporting a fast wrong answer.
//! (`benches/peers/` measures the same requests beside the reference evaluator, Cedar and casbin.)

use fgac_test_support::policy;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use fgac::model::{CacheSelector, ItemSelector, Role};
use fgac::model::{CredentialDef, CredentialKind, Document, Expiry, Grant, Permissions};
use fgac::{Authorizer, Limits, Operation, Resource, Timestamp};
use std::hint::black_box;

const NOW: Timestamp = Timestamp::from_unix_seconds(1_795_651_200);

fn compile(n: usize) -> Authorizer {
    Authorizer::builder()
        .limits(Limits::unbounded())
        .compile(&policy::generated(n))
        .expect("compiles")
}

fn authorize(c: &mut Criterion) {
    let mut group = c.benchmark_group("authorize");
    for n in [1usize, 20, 1_000, 10_000, 100_000] {
        let doc = policy::generated(n);
        let authz = Authorizer::builder()
            .limits(Limits::unbounded())
            .compile(&doc)
            .expect("compiles");
        let key = authz.credential(policy::KEY).expect("credential");
        for probe in policy::probes(n) {
            let resource = Resource::item(&probe.cache, &probe.key);
            // The reference evaluator says what the answer is, once, before timing.
            let valid = fgac::validate(&doc, &Limits::unbounded()).expect("valid");
            let k = valid.credential(policy::KEY).expect("credential");
            let expected = fgac::reference::decide(k, Operation::Get.need(), resource, NOW);
            // With one grant only its exact key exists; from 20 grants on, both hits do.
            assert_eq!(
                expected.is_allowed(),
                probe.kind == "exact hit" || (n >= 20 && probe.kind == "prefix hit"),
                "{n} grants, {probe:?}"
            );
            group.bench_function(BenchmarkId::new(probe.kind, n), |b| {
                b.iter(|| {
                    assert_eq!(
                        key.authorize(black_box(Operation::Get), black_box(resource), NOW),
                        expected
                    )
                })
            });
        }
    }
    group.finish();
}

/// Shadow evaluation's cost per sampled request: a decision alone, and the same decision
/// offered to a shadow of a candidate of the same size that decides it too (every request
/// sampled). The target: the shadow costs no more than one more decision.
fn shadow(c: &mut Criterion) {
    let mut group = c.benchmark_group("shadow");
    for n in [20usize, 1_000] {
        let live = compile(n);
        let shadow = fgac::shadow::Shadow::new(compile(n), 1);
        let key = live.credential(policy::KEY).expect("credential");
        let probe = policy::probes(n)
            .into_iter()
            .find(|p| p.kind == "exact hit")
            .expect("an exact hit");
        let resource = Resource::item(&probe.cache, &probe.key);
        group.bench_function(BenchmarkId::new("decision alone", n), |b| {
            b.iter(|| {
                assert!(
                    key.authorize(black_box(Operation::Get), resource, NOW)
                        .is_allowed()
                )
            })
        });
        let candidate = shadow.candidate().credential(policy::KEY);
        group.bench_function(BenchmarkId::new("decision + shadow, looked up", n), |b| {
            b.iter(|| {
                let d = key.authorize(black_box(Operation::Get), resource, NOW);
                let change = shadow.compare_with(
                    candidate,
                    Operation::Get,
                    resource,
                    NOW,
                    fgac::Outcome::Decided(d),
                );
                assert!(d.is_allowed() && change.is_none());
            })
        });
        group.bench_function(BenchmarkId::new("decision + shadow, by name", n), |b| {
            b.iter(|| {
                let d = key.authorize(black_box(Operation::Get), resource, NOW);
                let change = shadow.compare(
                    policy::KEY,
                    Operation::Get,
                    resource,
                    NOW,
                    fgac::Outcome::Decided(d),
                );
                assert!(d.is_allowed() && change.is_none());
            })
        });
    }
    group.finish();
}

/// The decision log at 100 % denials: the cost of `record` on the request path (criterion), and
/// the writer's throughput with the queue's drops when requests come faster than it writes
/// (1,000,000 denials recorded back to back into a file, timed until the log is closed).
fn decision_log(c: &mut Criterion) {
    use fgac::decision_log::{DecisionLog, LogConfig, Redaction};
    let denied = fgac::Decision::Deny(fgac::DenyReason::NoMatchingGrant);
    let dir = std::env::temp_dir().join(format!("fgac-bench-log-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    let file = || std::fs::File::create(dir.join("decisions.jsonl")).expect("a log file");
    let config = || LogConfig::new(Redaction::KeyedHash(b"bench secret".to_vec()));
    let mut group = c.benchmark_group("decision_log");
    let log = DecisionLog::start(file(), config());
    group.bench_function("record a denial (enqueue)", |b| {
        b.iter(|| {
            log.record(
                NOW,
                "user-42",
                Operation::Set,
                Resource::item("sessions", b"user:42:cart"),
                black_box(denied),
                1,
            )
        })
    });
    group.finish();
    drop(log);
    let n = 1_000_000u64;
    let log = DecisionLog::start(file(), config());
    let start = std::time::Instant::now();
    for i in 0..n {
        let key = i.to_be_bytes();
        log.record(
            NOW,
            "user-42",
            Operation::Set,
            Resource::item("sessions", &key),
            denied,
            1,
        );
    }
    let recorded = start.elapsed();
    let stats = log.close();
    let total = start.elapsed();
    println!(
        "decision log, {n} denials back to back: recorded in {:.3} s; {} written ({:.0} lines/s until closed), {} dropped",
        recorded.as_secs_f64(),
        stats.written,
        stats.written as f64 / total.as_secs_f64(),
        stats.dropped
    );
    assert_eq!(stats.written + stats.dropped, n);
    let _ = std::fs::remove_dir_all(&dir);
}

fn key_length(c: &mut Criterion) {
    let mut group = c.benchmark_group("key_length");
    for n in [20usize, 100_000] {
        let authz = compile(n);
        let key = authz.credential(policy::KEY).expect("credential");
        for len in [8usize, 16, 64, 1024] {
            let probe = policy::prefix_hit_of_length(n, len);
            let resource = Resource::item(&probe.cache, &probe.key);
            assert!(key.authorize(Operation::Get, resource, NOW).is_allowed());
            group.bench_function(BenchmarkId::new(format!("{n} grants"), len), |b| {
                b.iter(|| {
                    assert!(
                        key.authorize(black_box(Operation::Get), black_box(resource), NOW)
                            .is_allowed()
                    )
                })
            });
        }
    }
    group.finish();
}

/// A document of `n` credentials `key-000000`, ..., each with two grants of its own.
fn key_store(n: usize) -> Document {
    let credentials = (0..n)
        .map(|i| {
            CredentialDef::new(
                format!("key-{i:06}"),
                CredentialKind::ApiKey,
                Expiry::Never,
                Permissions::Explicit(vec![
                    Grant::allow_items(
                        Role::ReadWrite,
                        CacheSelector::Name(format!("tenant-{i:06}")),
                        ItemSelector::All,
                    ),
                    Grant::allow_items(
                        Role::ReadOnly,
                        CacheSelector::Name("shared".into()),
                        ItemSelector::Prefix(format!("u{i}/").into_bytes()),
                    ),
                ]),
            )
        })
        .collect();
    Document::new(credentials)
}

fn keystore(c: &mut Criterion) {
    let n = 100_000;
    let authz = Authorizer::builder()
        .limits(Limits::unbounded())
        .compile(&key_store(n))
        .expect("compiles");
    let names: Vec<(String, String)> = (0..1024)
        .map(|i| {
            (
                format!("key-{:06}", (i * 7919) % n),
                format!("tenant-{:06}", (i * 7919) % n),
            )
        })
        .collect();
    let mut group = c.benchmark_group("keystore");
    group.bench_function(BenchmarkId::new("lookup + authorize", n), |b| {
        let mut i = 0;
        b.iter(|| {
            let (name, cache) = &names[i % names.len()];
            i += 1;
            let credential = authz.credential(black_box(name)).expect("known");
            assert!(
                credential
                    .authorize(Operation::Set, Resource::item(cache, b"k"), NOW)
                    .is_allowed()
            );
        })
    });
    group.finish();
}

fn compile_throughput(c: &mut Criterion) {
    let mut group = c.benchmark_group("compile");
    group.sample_size(10);
    for n in [1_000usize, 100_000] {
        let doc = policy::generated(n);
        group.throughput(Throughput::Elements(n as u64));
        group.bench_function(BenchmarkId::new("grants", n), |b| {
            b.iter(|| {
                Authorizer::builder()
                    .limits(Limits::unbounded())
                    .compile(black_box(&doc))
                    .expect("compiles")
            })
        });
    }
    group.finish();
}

criterion_group!(
    benches,
    authorize,
    shadow,
    decision_log,
    key_length,
    keystore,
    compile_throughput
);
criterion_main!(benches);
