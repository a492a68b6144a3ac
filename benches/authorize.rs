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
    key_length,
    keystore,
    compile_throughput
);
criterion_main!(benches);
