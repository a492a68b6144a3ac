//! `authorize`, `authorize_batch` and the key-store lookup allocate nothing: checked with a
//! counting global allocator over every request of the corpus. The counter is per thread, so
//! tests running in parallel cannot disturb it.

// A global allocator is an `unsafe impl`; this one only counts and forwards to `System`.
#![allow(unsafe_code)]

mod common;

use common::load_corpus;
use fgac::Authorizer;
use fgac_test_support::read;
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

struct Counting;

thread_local! {
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
}

fn count() {
    // `try_with`: the allocator may run while this thread's locals are being torn down.
    let _ = ALLOCATIONS.try_with(|c| c.set(c.get() + 1));
}

// SAFETY: every method forwards its arguments unchanged to `System`, which upholds the
// `GlobalAlloc` contract; counting touches only a thread-local integer.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count();
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        count();
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count();
        unsafe { System.realloc(ptr, layout, new_size) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocations_during<T>(f: impl FnOnce() -> T) -> (u64, T) {
    let before = ALLOCATIONS.with(Cell::get);
    let out = std::hint::black_box(f());
    (ALLOCATIONS.with(Cell::get) - before, out)
}

#[test]
fn the_counter_sees_allocations() {
    let (n, v) = allocations_during(|| vec![1u8; 10]);
    assert!(n >= 1 && v.len() == 10, "the counting allocator must count");
}

#[test]
fn authorize_allocates_nothing_over_the_whole_corpus() {
    let mut checked = 0;
    for (file, corpus) in load_corpus() {
        for suite in &corpus.suites {
            let text = serde_json::to_string(&suite.document).unwrap();
            let authz = Authorizer::compile(&read::json(&text).unwrap()).unwrap();
            let mut all = authz.credentials();
            let only = match (all.next(), all.next()) {
                (Some(one), None) => one.name().to_owned(),
                _ => String::new(),
            };
            for case in &suite.cases {
                // Everything the request needs is prepared before counting.
                let name = case.key_or(&only).to_owned();
                let (op, need) = case.need();
                let key = case.item_bytes().unwrap_or_default();
                let batch = case.batch();
                let resource = case.resource(&key);
                let now = case.now();
                let cache = case.cache.clone().unwrap_or_default();

                let (n, credential) = allocations_during(|| authz.credential(&name));
                assert_eq!(n, 0, "{file}: credential lookup allocated for {case:?}");
                let (n, _) = allocations_during(|| match (credential, &batch, op) {
                    (Some(c), Some(keys), Some(op)) => c
                        .authorize_batch(op, &cache, keys.iter().map(Vec::as_slice), now)
                        .is_allowed(),
                    (Some(c), _, _) => c.authorize_need(need, resource, now).is_allowed(),
                    (None, _, _) => false,
                });
                assert_eq!(n, 0, "{file}: authorize allocated for {case:?}");
                if let (Some(c), Some(op)) = (credential, op) {
                    let (n, _) = allocations_during(|| c.authorize(op, resource, now));
                    assert_eq!(n, 0, "{file}: Credential::authorize allocated for {case:?}");
                }
                checked += 1;
            }
        }
    }
    assert!(checked >= 150, "only {checked} requests checked");
}

/// A key ring that counts in metrics allocates nothing to resolve a credential it has seen or to
/// decide and count with its session, on this thread and on a thread that counts for the first
/// time.
#[cfg(feature = "credentials")]
#[test]
fn counting_sessions_allocate_nothing() {
    use common::signed::*;
    use fgac::credentials::{Keyring, Trust};
    use fgac::metrics::Metrics;
    use fgac::{Operation, Resource};
    use std::sync::Arc;
    let metrics = Arc::new(Metrics::new());
    let ring = Keyring::new(Trust::builder().key(signer().public_key()).build().unwrap())
        .unwrap()
        .with_metrics(Arc::clone(&metrics));
    let token = forge(HEADER, &token_claims("t", READ_C), &SECRET);
    let session = ring.resolve(&token, peer(), now()).unwrap();
    let check = || {
        let (n, _) = allocations_during(|| {
            session.authorize(Operation::Get, Resource::item("c", b"k"), now())
        });
        assert_eq!(n, 0, "a counted decision allocated");
        let (n, _) = allocations_during(|| ring.resolve(&token, peer(), now()).is_ok());
        assert_eq!(
            n, 0,
            "a counted resolution of a cached credential allocated"
        );
    };
    check();
    std::thread::scope(|s| {
        s.spawn(check);
    });
    assert_eq!(
        metrics.snapshot().verdicts(fgac::metrics::Verdict::Allow),
        2
    );
}
