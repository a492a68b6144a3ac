//! authorize(): the compiled engine beside the reference evaluator, on generated policies of
//! growing size. Every measured call's decision is asserted, so a benchmark that decides wrong
//! fails instead of reporting a fast wrong answer.

#[path = "../tests/common/policy.rs"]
#[allow(dead_code)] // shared with the tests, which use all of it
mod policy;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use fgac::{Authorizer, Decision, Limits, Operation, Resource, Timestamp, oracle};
use std::hint::black_box;

fn authorize(c: &mut Criterion) {
    let mut group = c.benchmark_group("authorize");
    let now = Timestamp(1_700_000_000);
    for n in [20usize, 1_000, 10_000] {
        let doc = policy::generated(n);
        let authz = Authorizer::compile_with(&doc, &Limits::unbounded()).expect("compiles");
        let key = authz.credential(policy::KEY).expect("credential");
        let cache = policy::cache_of(0, n);
        let hit = b"user:0000000:profile".as_slice();
        let miss = b"user:0000000:profilf".as_slice();
        for (what, item, want) in [("exact hit", hit, true), ("miss", miss, false)] {
            let resource = Resource::item(&cache, item);
            group.bench_with_input(BenchmarkId::new(format!("engine/{what}"), n), &n, |b, _| {
                b.iter(|| {
                    let d = key.authorize(black_box(Operation::Get), black_box(resource), now);
                    assert_eq!(d == Decision::Allow, want);
                    d
                })
            });
            group.bench_with_input(BenchmarkId::new(format!("oracle/{what}"), n), &n, |b, _| {
                b.iter(|| {
                    let d = oracle::decide(
                        &doc,
                        policy::KEY,
                        black_box(Operation::Get),
                        black_box(resource),
                        now,
                    );
                    assert_eq!(d == Decision::Allow, want);
                    d
                })
            });
        }
    }
    group.finish();
}

criterion_group!(benches, authorize);
criterion_main!(benches);
