//! Parsing and compiling a generated 1 MB document, in the DSL and in JSON: criterion reports
//! MB/s. Each iteration checks the result, so a parser that fails fast cannot look fast.

#[path = "../tests/common/policy.rs"]
#[allow(dead_code)] // shared with the tests, which use all of it
mod policy;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use fgac::model::Document;
use fgac::{Authorizer, Limits, json, text};
use std::hint::black_box;

/// A document of about `bytes` bytes: credentials of 50 generated grants each.
fn document_of(bytes: usize) -> Document {
    let mut doc = Document::default();
    let mut i = 0;
    while text::format(&doc).len() < bytes {
        let mut batch = policy::generated(50);
        for c in &mut batch.credentials {
            c.name = format!("service-{i:05}");
            i += 1;
        }
        doc.credentials.extend(batch.credentials);
    }
    doc
}

fn parse(c: &mut Criterion) {
    let doc = document_of(1 << 20);
    let limits = Limits::unbounded();
    let dsl = text::format(&doc);
    let json = json::to_string(&doc);
    let mut group = c.benchmark_group("parse");
    group.sample_size(20);

    group.throughput(Throughput::Bytes(dsl.len() as u64));
    group.bench_function("dsl", |b| {
        b.iter(|| {
            let parsed = text::parse_with(black_box(&dsl), &limits).expect("parses");
            assert_eq!(parsed.credentials.len(), doc.credentials.len());
            parsed
        })
    });
    group.bench_function("dsl + compile", |b| {
        b.iter(|| {
            let parsed = text::parse_with(black_box(&dsl), &limits).expect("parses");
            Authorizer::compile_with(&parsed, &limits).expect("compiles")
        })
    });

    group.throughput(Throughput::Bytes(json.len() as u64));
    group.bench_function("json", |b| {
        b.iter(|| {
            let parsed = json::parse_with(black_box(&json), &limits).expect("parses");
            assert_eq!(parsed.credentials.len(), doc.credentials.len());
            parsed
        })
    });
    group.finish();
}

/// Parsing is linear: the same throughput at 256 KiB, 1 MiB and 4 MiB.
fn scaling(c: &mut Criterion) {
    let limits = Limits::unbounded();
    let mut group = c.benchmark_group("parse_scaling");
    group.sample_size(10);
    for kib in [256usize, 1024, 4096] {
        let dsl = text::format(&document_of(kib << 10));
        group.throughput(Throughput::Bytes(dsl.len() as u64));
        group.bench_function(format!("dsl/{kib}KiB"), |b| {
            b.iter(|| text::parse_with(black_box(&dsl), &limits).expect("parses"))
        });
    }
    group.finish();
}

criterion_group!(benches, parse, scaling);
criterion_main!(benches);
