//! A global allocator that counts the bytes live in the whole process and their peak, for the
//! benchmarks that measure memory (`benches/million.rs`, `crates/etcd/benches/fleet.rs`). A
//! binary installs it with `#[global_allocator] static ALLOCATOR: Counting = Counting;`.
//!
//! The tests that check what one thread allocates (`tests/no_alloc.rs`, `tests/memory.rs`) count
//! per thread instead, and keep allocators of their own.

// The only unsafe code of the crate: every call is forwarded to the system allocator.
#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

/// The system allocator, counting the bytes live and their peak.
pub struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

impl Counting {
    /// The bytes live now.
    pub fn live() -> usize {
        LIVE.load(Ordering::Relaxed)
    }

    /// The most bytes live since the last [`Counting::reset_peak`].
    pub fn peak() -> usize {
        PEAK.load(Ordering::Relaxed)
    }

    /// Starts a new peak from the bytes live now, and returns them.
    pub fn reset_peak() -> usize {
        let live = Self::live();
        PEAK.store(live, Ordering::Relaxed);
        live
    }

    fn grow(by: usize) {
        let live = LIVE.fetch_add(by, Ordering::Relaxed) + by;
        PEAK.fetch_max(live, Ordering::Relaxed);
    }

    fn shrink(by: usize) {
        LIVE.fetch_sub(by, Ordering::Relaxed);
    }
}

// SAFETY: every call is passed to the system allocator unchanged; only counters are added.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        Self::grow(layout.size());
        // SAFETY: the caller's layout, as given.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        Self::shrink(layout.size());
        // SAFETY: the caller's pointer and layout, as given.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if new_size > layout.size() {
            Self::grow(new_size - layout.size());
        } else {
            Self::shrink(layout.size() - new_size);
        }
        // SAFETY: the caller's pointer, layout and size, as given.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}
