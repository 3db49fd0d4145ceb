//! A global allocator wrapper that counts allocations made on hot-path threads.
//!
//! Workers mark their thread hot for the life of their poll loop; any allocation while
//! the mark is set is counted (one relaxed add, and only when the rule is broken). The
//! final `stats` record reports the count, so every replay proves the workers allocated
//! nothing per packet, and tests assert it is zero.

use std::alloc::{GlobalAlloc, Layout};
use std::cell::Cell;
use std::sync::atomic::{AtomicU64, Ordering};

static HOT_ALLOCATIONS: AtomicU64 = AtomicU64::new(0);

thread_local! {
    static HOT: Cell<bool> = const { Cell::new(false) };
}

/// Wraps an allocator `A`, counting allocations on threads marked hot.
pub struct CountingAlloc<A>(pub A);

#[inline]
fn note() {
    // try_with: the thread-local may be gone while a thread shuts down.
    if HOT.try_with(|h| h.get()).unwrap_or(false) {
        HOT_ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
    }
}

// SAFETY: every call is forwarded unchanged to the wrapped allocator; counting touches
// only a const-initialised thread-local and an atomic, neither of which allocates.
unsafe impl<A: GlobalAlloc> GlobalAlloc for CountingAlloc<A> {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note();
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { self.0.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        note();
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { self.0.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note();
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { self.0.realloc(ptr, layout, new_size) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { self.0.dealloc(ptr, layout) }
    }
}

/// Marks (or unmarks) the calling thread as a hot-path thread.
pub fn set_hot(hot: bool) {
    let _ = HOT.try_with(|h| h.set(hot));
}

/// Allocations made on hot-path threads so far.
pub fn hot_allocations() -> u64 {
    HOT_ALLOCATIONS.load(Ordering::Relaxed)
}
