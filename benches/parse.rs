//! Parsing and compiling a generated 1 MB document, in the DSL and in JSON: criterion reports
//! MB/s. Each iteration checks the result, so a parser that fails fast cannot look fast.

use fgac_test_support::policy;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use fgac::model::{CacheSelector, Document, Grant, ItemSelector, Permissions, Role};
use fgac::{Authorizer, Limits};
use fgac_test_support::read;
use std::hint::black_box;

/// A document of about `bytes` bytes: credentials of 50 generated grants each.
fn document_of(bytes: usize) -> Document {
    let mut doc = Document::default();
    let mut i = 0;
    while read::to_dsl(&doc).len() < bytes {
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
    let dsl = read::to_dsl(&doc);
    let json = read::to_fgac_json(&doc);
    let mut group = c.benchmark_group("parse");
    group.sample_size(20);

    group.throughput(Throughput::Bytes(dsl.len() as u64));
    group.bench_function("dsl", |b| {
        b.iter(|| {
            let parsed = read::dsl_with(black_box(&dsl), &limits).expect("parses");
            assert_eq!(parsed.credentials.len(), doc.credentials.len());
            parsed
        })
    });
    group.bench_function("dsl + compile", |b| {
        b.iter(|| {
            let parsed = read::dsl_with(black_box(&dsl), &limits).expect("parses");
            Authorizer::builder()
                .limits(limits.clone())
                .compile(&parsed)
                .expect("compiles")
        })
    });

    group.throughput(Throughput::Bytes(json.len() as u64));
    group.bench_function("json", |b| {
        b.iter(|| {
            let parsed = read::json_with(black_box(&json), &limits).expect("parses");
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
        let dsl = read::to_dsl(&document_of(kib << 10));
        group.throughput(Throughput::Bytes(dsl.len() as u64));
        group.bench_function(format!("dsl/{kib}KiB"), |b| {
            b.iter(|| read::dsl_with(black_box(&dsl), &limits).expect("parses"))
        });
    }
    group.finish();
}

/// Linear in every shape: the same document with one rule per line and with every rule on one
/// line (10,000 rules on one line took 4.85 s when each string scanned to the end of its line).
fn one_line(c: &mut Criterion) {
    let limits = Limits::unbounded();
    let mut group = c.benchmark_group("parse_shape");
    group.sample_size(10);
    for mib in [1usize, 4] {
        let many = read::to_dsl(&document_of(mib << 20));
        let one = many.replace('\n', " ");
        assert_eq!(
            read::dsl_with(&one, &limits).unwrap(),
            read::dsl_with(&many, &limits).unwrap()
        );
        group.throughput(Throughput::Bytes(many.len() as u64));
        group.bench_function(format!("many lines/{mib}MiB"), |b| {
            b.iter(|| read::dsl_with(black_box(&many), &limits).expect("parses"))
        });
        group.throughput(Throughput::Bytes(one.len() as u64));
        group.bench_function(format!("one line/{mib}MiB"), |b| {
            b.iter(|| read::dsl_with(black_box(&one), &limits).expect("parses"))
        });
    }
    group.finish();
}

/// Cache prefixes `x`, `xx`, ... up to `depth` x's, and `names` names of `depth + 6` bytes that
/// every prefix covers: the shape (prefixes to 4,000 x's and 11,500 names of 4,096 bytes
/// took 163 s when each name probed a map once per prefix length).
fn nested_prefixes(depth: usize, names: usize) -> Document {
    let mut grants = Vec::new();
    for len in 1..=depth {
        grants.push(Grant::allow_items(
            Role::ReadOnly,
            CacheSelector::Prefix("x".repeat(len)),
            ItemSelector::All,
        ));
    }
    for i in 0..names {
        grants.push(Grant::allow_items(
            Role::WriteOnly,
            CacheSelector::Name(format!("{}{i:06}", "x".repeat(depth))),
            ItemSelector::All,
        ));
    }
    let mut doc = policy::generated(1);
    doc.credentials[0].permissions = Permissions::Explicit(grants);
    doc
}

/// Compiling the nested-prefix document at about 1 MB and 8 MB of text (1,000 nested prefixes;
/// 450 and 7,350 names): throughput in grants, so criterion reports time per grant.
fn nested(c: &mut Criterion) {
    let limits = Limits::unbounded();
    let mut group = c.benchmark_group("compile_nested_prefixes");
    group.sample_size(10);
    for (mb, names) in [(1usize, 450usize), (8, 7_350)] {
        let doc = nested_prefixes(1_000, names);
        let grants = 1_000 + names;
        println!(
            "nested prefixes, {mb} MB: {} bytes of text, {grants} grants",
            read::to_dsl(&doc).len()
        );
        group.throughput(Throughput::Elements(grants as u64));
        group.bench_function(format!("{mb}MB"), |b| {
            b.iter(|| {
                Authorizer::builder()
                    .limits(limits.clone())
                    .compile(black_box(&doc))
                    .expect("compiles")
            })
        });
    }
    group.finish();
}

criterion_group!(benches, parse, scaling, one_line, nested);
criterion_main!(benches);
