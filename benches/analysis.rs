//! Containment and diff on generated policies, beside brute-force enumeration (Cedar's analysis
//! needs an SMT solver, out of reach here): `contains` of a 20-grant token within a 1,000- and a
//! 100,000-grant key, and `diff` of two 10,000-grant (and 100,000-grant) documents that differ in 1
//! and in 100 grants. Every measured call asserts its answer.

use fgac_test_support::policy;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use fgac::analysis::{DiffOptions, contains, diff};
use fgac::model::{CredentialDef, CredentialKind, Document, Expiry, Grant, Permissions};
use fgac::{Authorizer, Credential, Limits, Operation, Resource, Timestamp};
use std::hint::black_box;

const NOW: Timestamp = Timestamp::from_unix_seconds(1_795_651_200);

fn compile(doc: &Document) -> Authorizer {
    Authorizer::builder()
        .limits(Limits::unbounded())
        .compile(doc)
        .expect("compiles")
}

/// A token of 20 of the key's own exact-key grants, so within it (its prefix grants have keys the
/// key's deny rules carve out).
fn token_within(n: usize) -> Credential {
    let grants: Vec<Grant> = (0..n)
        .filter(|i| i % 20 < 10)
        .map(|i| policy::grant(i, n))
        .take(20)
        .collect();
    let doc = Document::new(vec![CredentialDef::new(
        "token",
        CredentialKind::Token,
        Expiry::At(NOW.saturating_add(3600)),
        Permissions::Explicit(grants),
    )]);
    compile(&doc).into_credentials().remove(0)
}

/// Every selector string of a generated policy, plain and continued by a byte none holds: the
/// universe a brute-force check must enumerate to reach every region.
fn universe(n: usize) -> (Vec<String>, Vec<Vec<u8>>) {
    use fgac::model::{CacheSelector, ItemSelector, ResourceSelector, TopicSelector};
    let (mut caches, mut keys) = (vec!["~".to_owned()], vec![b"~".to_vec()]);
    for i in 0..n {
        let g = policy::grant(i, n);
        if let CacheSelector::Name(s) | CacheSelector::Prefix(s) = &g.cache {
            caches.push(s.clone());
            caches.push(format!("{s}~"));
        }
        match &g.resource {
            ResourceSelector::Items(ItemSelector::Key(k) | ItemSelector::Prefix(k)) => {
                keys.push(k.clone());
                keys.push([&k[..], b"~"].concat());
            }
            ResourceSelector::Topics(TopicSelector::Name(t) | TopicSelector::Prefix(t)) => {
                keys.push(t.as_bytes().to_vec());
            }
            _ => {}
        }
    }
    caches.sort();
    caches.dedup();
    keys.sort();
    keys.dedup();
    (caches, keys)
}

/// Containment by enumerating the universe (items only: the token holds item grants).
fn brute_force_contains(
    inner: &Credential,
    outer: &Credential,
    caches: &[String],
    keys: &[Vec<u8>],
) -> bool {
    for cache in caches {
        for key in keys {
            for op in [Operation::Get, Operation::Set, Operation::Increment] {
                let r = Resource::item(cache, key);
                if inner.authorize(op, r, NOW).is_allowed()
                    && !outer.authorize(op, r, NOW).is_allowed()
                {
                    return false;
                }
            }
        }
    }
    true
}

fn containment(c: &mut Criterion) {
    let mut group = c.benchmark_group("contains");
    group.sample_size(20);
    for n in [1_000usize, 100_000] {
        let key = compile(&policy::generated(n)).into_credentials().remove(0);
        let token = token_within(n);
        assert!(contains(&token, &key, NOW).is_ok());
        group.bench_function(BenchmarkId::new("20-grant token within", n), |b| {
            b.iter(|| assert!(contains(black_box(&token), &key, NOW).is_ok()))
        });
        if n == 1_000 {
            let (caches, keys) = universe(n);
            println!(
                "brute force at {n} grants: {} caches x {} keys x 3 operations",
                caches.len(),
                keys.len()
            );
            assert!(brute_force_contains(&token, &key, &caches, &keys));
            group.bench_function(BenchmarkId::new("brute force", n), |b| {
                b.iter(|| {
                    assert!(brute_force_contains(
                        black_box(&token),
                        &key,
                        &caches,
                        &keys
                    ))
                })
            });
        }
    }
    group.finish();
}

/// The generated policy of `n` grants with `changed` of them changed: every `n / changed`-th grant
/// widened to its whole cache.
fn changed(n: usize, changed: usize) -> Document {
    let mut doc = policy::generated(n);
    if let Permissions::Explicit(grants) = &mut doc.credentials[0].permissions {
        let step = n / changed;
        for i in (0..n).step_by(step).take(changed) {
            let g = &mut grants[i];
            if let fgac::model::ResourceSelector::Items(sel) = &mut g.resource {
                *sel = fgac::model::ItemSelector::Prefix(b"t".to_vec());
            }
        }
    }
    doc
}

fn diffs(c: &mut Criterion) {
    let mut group = c.benchmark_group("diff");
    group.sample_size(10);
    for (n, k) in [
        (10_000usize, 1usize),
        (10_000, 100),
        (100_000, 1),
        (100_000, 100),
    ] {
        let old = compile(&policy::generated(n));
        let new = compile(&changed(n, k));
        let d = diff(&old, &new, NOW, DiffOptions::default());
        assert!(!d.decisions_unchanged());
        println!(
            "diff of {n} grants, {k} changed: {} changes reported",
            d.credentials.iter().map(|c| c.changes.len()).sum::<usize>()
        );
        group.bench_function(BenchmarkId::new(format!("{k} changed"), n), |b| {
            b.iter(|| black_box(diff(&old, &new, NOW, DiffOptions::default())))
        });
    }
    group.finish();
}

criterion_group!(benches, containment, diffs);
criterion_main!(benches);
