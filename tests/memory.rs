//! The compiled structure's size, and what compiling costs: reported per grant for generated
//! policies and bounded so that a change that bloats it fails here (memory is deterministic,
//! unlike time); compiling never takes more memory than `Limits::max_compiled_bytes`, however the
//! document is shaped. Bytes are counted by a per-thread counting allocator.

// A global allocator is an `unsafe impl`; this one only counts and forwards to `System`.
#![allow(unsafe_code)]

mod common;

use common::policy;
use fgac::model::{
    CacheSelector, CredentialDef, CredentialKind, Document, Expiry, Grant, ItemSelector,
    Permissions, Role,
};
use fgac::{Authorizer, ErrorKind, Limits, Operation, Resource, Timestamp};
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

struct Counting;

thread_local! {
    /// Bytes this thread holds, and the most it held since `peak_during` last reset it.
    static LIVE: Cell<isize> = const { Cell::new(0) };
    static PEAK: Cell<isize> = const { Cell::new(0) };
}

fn grow(by: isize) {
    // `try_with`: the allocator may run while this thread's locals are being torn down.
    let _ = LIVE.try_with(|live| {
        let now = live.get() + by;
        live.set(now);
        let _ = PEAK.try_with(|peak| peak.set(peak.get().max(now)));
    });
}

// SAFETY: every method forwards its arguments unchanged to `System`, which upholds the
// `GlobalAlloc` contract; counting touches only thread-local integers.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        grow(layout.size() as isize);
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        grow(layout.size() as isize);
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        grow(new_size as isize - layout.size() as isize);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        grow(-(layout.size() as isize));
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// The most bytes this thread held at once while running `f`, beyond what it held before.
fn peak_during<T>(f: impl FnOnce() -> T) -> (usize, T) {
    let before = LIVE.with(Cell::get);
    PEAK.with(|p| p.set(before));
    let out = std::hint::black_box(f());
    (PEAK.with(Cell::get).saturating_sub(before) as usize, out)
}

/// `n` distinct keys of `len` bytes from a fixed pseudo-random sequence.
fn random_keys(n: usize, len: usize) -> Vec<Vec<u8>> {
    let mut state: u64 = 0x5eed_1234;
    (0..n)
        .map(|_| {
            (0..len)
                .map(|_| {
                    state = state
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    b'!' + (state >> 58) as u8
                })
                .collect()
        })
        .collect()
}

/// The shape that amplified memory: many all-caches rules on long keys, and cache names each with
/// a rule of their own, so every name's profile merges every all-caches rule.
fn amplifying(credentials: usize, keys: &[Vec<u8>], names: usize) -> Document {
    let credential = |c: usize| {
        let mut grants: Vec<Grant> = keys
            .iter()
            .map(|k| {
                Grant::allow_items(
                    Role::ReadOnly,
                    CacheSelector::All,
                    ItemSelector::Key(k.clone()),
                )
            })
            .collect();
        grants.extend((0..names).map(|n| {
            Grant::allow_items(
                Role::WriteOnly,
                CacheSelector::Name(format!("c{n}")),
                ItemSelector::All,
            )
        }));
        CredentialDef::new(
            format!("k{c}"),
            CredentialKind::ApiKey,
            Expiry::Never,
            Permissions::Explicit(grants),
        )
    };
    Document::new((0..credentials).map(credential).collect())
}

/// Merged tries share their keys' bytes: compiling the amplification document (8,000
/// all-caches rules on 4,000-byte keys and 140 cache names, three credentials; 1.38 GB per
/// credential when each merged trie copied its labels) costs the key bytes once plus a node per
/// merged key. A release build compiles the full document; a debug build a scaled one.
#[test]
fn merged_tries_share_key_bytes() {
    let (rules, len) = if cfg!(debug_assertions) {
        (1_000, 1_000)
    } else {
        (8_000, 4_000)
    };
    let names = 140;
    let keys = random_keys(rules, len);
    let doc = amplifying(3, &keys, names);
    let key_bytes = 3 * rules * len;
    let (peak, authz) = peak_during(|| Authorizer::compile(&doc));
    let authz = authz.expect("compiles within the default limits");
    let compiled = authz.memory_usage();
    // Beyond the keys themselves, a bounded cost per merged key: a node (24 bytes) or two, never
    // the key's bytes again.
    let merged_keys = 3 * (names + 1) * rules;
    let per_merged_key = (compiled - key_bytes.min(compiled)) as f64 / merged_keys as f64;
    println!(
        "{rules} rules x {len} bytes x 3 credentials, {names} names: {compiled} bytes compiled \
         ({:.2}x the {key_bytes} key bytes, {per_merged_key:.1} bytes per merged key); peak while \
         compiling {peak} bytes ({:.2}x the key bytes)",
        compiled as f64 / key_bytes as f64,
        peak as f64 / key_bytes as f64,
    );
    assert!(
        per_merged_key <= 56.0,
        "{per_merged_key} bytes per merged key"
    );
    assert!(
        peak <= 2 * compiled,
        "peak {peak} against {compiled} compiled"
    );
    let now = Timestamp::from_unix_seconds(0);
    let k = authz.credential("k2").unwrap();
    assert!(
        k.authorize(Operation::Get, Resource::item("c7", &keys[3]), now)
            .is_allowed()
    );
    assert!(
        k.authorize(Operation::Set, Resource::item("c7", &keys[3]), now)
            .is_allowed()
    );
    assert!(
        !k.authorize(Operation::Set, Resource::item("other", &keys[3]), now)
            .is_allowed()
    );
}

/// A document whose merged profiles would outgrow `max_compiled_bytes` is refused with an error
/// naming the credential and the limit, and compiling it never holds more than the limit (plus
/// a tenth for the allocator's rounding): the budget is charged before each allocation.
#[test]
fn compiling_past_the_budget_is_refused_within_it() {
    let keys: Vec<Vec<u8>> = (0..8_000)
        .map(|i| format!("k{i:05}").into_bytes())
        .collect();
    let doc = amplifying(1, &keys, 3_000);
    let limit = 32 << 20;
    let limits = Limits {
        max_compiled_bytes: limit,
        ..Limits::default()
    };
    let (peak, result) = peak_during(|| Authorizer::builder().limits(limits.clone()).compile(&doc));
    let e = result.expect_err("over the budget");
    assert_eq!(
        e.kind(),
        &ErrorKind::Limit {
            limit: "max_compiled_bytes",
            value: limit
        }
    );
    assert!(
        e.to_string()
            .contains("compiling `k0` takes more than 33554432 bytes"),
        "{e}"
    );
    println!("refused at a budget of {limit} bytes; peak while compiling {peak} bytes");
    assert!(
        peak <= limit + limit / 10,
        "peak {peak} over the budget {limit}"
    );

    // A smaller one of the same shape, within a budget that holds it, compiles within that budget.
    let doc = amplifying(1, &keys[..2_000], 100);
    let limits = Limits {
        max_compiled_bytes: 16 << 20,
        ..Limits::default()
    };
    let (peak, result) = peak_during(|| Authorizer::builder().limits(limits.clone()).compile(&doc));
    let authz = result.expect("fits in 16 MiB");
    println!(
        "compiled into {} bytes, peak {peak} bytes",
        authz.memory_usage()
    );
    assert!(peak <= limits.max_compiled_bytes, "peak {peak}");
}

#[test]
fn memory_per_grant_stays_small() {
    for n in [20, 1_000, 10_000] {
        let doc = policy::generated(n);
        let authz = Authorizer::builder()
            .limits(Limits::unbounded())
            .compile(&doc)
            .unwrap();
        let bytes = authz.memory_usage();
        let names = policy::selector_bytes(&doc);
        let per_grant = (bytes - names.min(bytes)) as f64 / n as f64;
        println!(
            "{n} grants: {bytes} bytes compiled, {names} bytes of names, {per_grant:.1} bytes per grant beyond the names"
        );
        // Radix nodes (25 bytes each, at most two per selector), interned cells, and profiles.
        if n >= 1_000 {
            assert!(
                per_grant <= 128.0,
                "{per_grant} bytes per grant at {n} grants"
            );
        }
        // And the generated policy decides as written.
        let key = authz.credential(policy::KEY).unwrap();
        let cache = policy::cache_of(0, n);
        let now = Timestamp::from_unix_seconds(0);
        assert!(
            key.authorize(
                Operation::Set,
                Resource::item(&cache, b"user:0000000:profile"),
                now
            )
            .is_allowed()
        );
        assert!(
            !key.authorize(
                Operation::Set,
                Resource::item(&cache, b"user:0000000:profilex"),
                now
            )
            .is_allowed()
        );
    }
}

/// What comparing two large documents costs in memory: the diff of two 100,000-grant policies (a
/// release build; a debug build, 10,000), and of two a fifth that size, that differ in 100 grants. The answer itself (one change
/// per operation whose decision changes, each with its region and witness) is what the caller
/// asked for; the working memory beside it, peak minus answer, stays below the compiled size of
/// the two documents and grows more slowly than they do.
#[test]
fn diffing_large_documents_takes_bounded_memory() {
    let full = if cfg!(debug_assertions) {
        10_000
    } else {
        100_000
    };
    let measure = |n: usize| {
        let old_doc = policy::generated(n);
        let mut new_doc = old_doc.clone();
        if let Permissions::Explicit(grants) = &mut new_doc.credentials[0].permissions {
            for g in grants.iter_mut().step_by(n / 100) {
                if let fgac::model::ResourceSelector::Items(sel) = &mut g.resource {
                    *sel = ItemSelector::Prefix(b"t".to_vec());
                }
            }
        }
        let compile = |d: &Document| {
            Authorizer::builder()
                .limits(Limits::unbounded())
                .compile(d)
                .unwrap()
        };
        let (old, new) = (compile(&old_doc), compile(&new_doc));
        let compiled = old.memory_usage() + new.memory_usage();
        let now = Timestamp::from_unix_seconds(0);
        let before = LIVE.with(Cell::get);
        let (peak, d) = peak_during(|| fgac::analysis::diff(&old, &new, now, Default::default()));
        let answer = (LIVE.with(Cell::get) - before) as usize;
        assert!(!d.decisions_unchanged());
        let changes: usize = d.credentials.iter().map(|c| c.changes.len()).sum();
        let working = peak - answer;
        println!(
            "diff of two {n}-grant documents differing in 100 grants: peak {peak} bytes while diffing ({answer} of them the answer's {changes} changes, {working} working), beside {compiled} bytes of the two compiled documents"
        );
        (working, compiled)
    };
    let (small_working, small_compiled) = measure(full / 5);
    let (working, compiled) = measure(full);
    assert!(
        working <= compiled,
        "diffing took {working} bytes of working memory, more than the documents' {compiled}"
    );
    assert!(
        working * small_compiled <= small_working * compiled,
        "working memory grew faster than the documents: {small_working} -> {working} bytes for {small_compiled} -> {compiled}"
    );
}
