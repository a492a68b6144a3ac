//! One criterion group measuring fgac's engine, its reference evaluator (the linear scan), Cedar
//! and casbin in one run, on the same generated policy and the same requests. Every measured call's
//! decision is asserted.

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use fgac_peers::{Casbin, Cedar, Fgac, requests};
use std::hint::black_box;
use std::time::Duration;

fn peers(c: &mut Criterion) {
    let mut group = c.benchmark_group("peers");
    for n in [1usize, 20, 1_000, 10_000] {
        let fgac = Fgac::new(n);
        let cedar = Cedar::new(&fgac);
        let casbin = Casbin::new(&fgac);
        // The slow engines at large sizes: fewer, longer samples.
        if n >= 1_000 {
            group
                .sample_size(10)
                .measurement_time(Duration::from_secs(4));
        } else {
            group
                .sample_size(50)
                .measurement_time(Duration::from_secs(3));
        }
        for r in requests(n) {
            let want = fgac.reference(&r);
            let id = |engine: &str| BenchmarkId::new(format!("{engine}/{}", r.kind), n);
            group.bench_function(id("fgac"), |b| {
                b.iter(|| assert_eq!(black_box(&fgac).engine(black_box(&r)), want))
            });
            group.bench_function(id("reference"), |b| {
                b.iter(|| assert_eq!(black_box(&fgac).reference(black_box(&r)), want))
            });
            let prepared = cedar.prepare(&r);
            group.bench_function(id("cedar"), |b| {
                b.iter(|| assert_eq!(cedar.decide(black_box(&prepared)), want))
            });
            // casbin at 10,000 rules takes tens of milliseconds a request: measured up to 1,000.
            if n <= 1_000 {
                let object = Casbin::object(&r);
                group.bench_function(id("casbin"), |b| {
                    b.iter(|| assert_eq!(casbin.decide(black_box(&object)), want))
                });
            }
        }
    }
    group.finish();
}

criterion_group!(benches, peers);
criterion_main!(benches);
