//! The strata allocator as Rust's global allocator, the counterpart of
//! tikv-jemallocator:
//!
//! ```no_run
//! #[global_allocator]
//! static GLOBAL: strata_alloc::Strata = strata_alloc::Strata;
//! # fn main() {}
//! ```
//!
//! Alignment beyond what plain `strata_malloc` guarantees (16 bytes, 8 for
//! blocks of at most 8) becomes a `STRATA_MALLOCX_ALIGN` flag; `dealloc`
//! is sized (`strata_sdallocx`), `realloc` is `strata_rallocx`,
//! `alloc_zeroed` passes `STRATA_MALLOCX_ZERO`.  [`StrataArena`] allocates
//! from one arena (see strata-ctl to create one).
use std::alloc::{GlobalAlloc, Layout};
use std::ffi::c_void;
use std::os::raw::c_int;

use strata_sys as ffi;

/// The alignment every strata block has without a flag (when the block is
/// at least this large).
#[cfg(target_pointer_width = "64")]
pub const MIN_ALIGN: usize = 16;
#[cfg(not(target_pointer_width = "64"))]
pub const MIN_ALIGN: usize = 8;

/// The flags for a layout: none when plain allocation is aligned enough
/// (as tikv-jemallocator decides), else the alignment as a flag.
#[inline]
pub fn layout_to_flags(align: usize, size: usize) -> c_int {
    if align <= MIN_ALIGN && align <= size {
        0
    } else {
        ffi::mallocx_align(align)
    }
}

/// The process-wide strata heap (each thread's default arena).
#[derive(Clone, Copy, Debug, Default)]
pub struct Strata;

unsafe impl GlobalAlloc for Strata {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let flags = layout_to_flags(layout.align(), layout.size());
        if flags == 0 {
            ffi::strata_malloc(layout.size()) as *mut u8
        } else {
            ffi::strata_mallocx(layout.size(), flags) as *mut u8
        }
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let flags = layout_to_flags(layout.align(), layout.size());
        ffi::strata_mallocx(layout.size(), flags | ffi::MALLOCX_ZERO) as *mut u8
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        let flags = layout_to_flags(layout.align(), layout.size());
        ffi::strata_sdallocx(ptr as *mut c_void, layout.size(), flags)
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let flags = layout_to_flags(layout.align(), new_size);
        ffi::strata_rallocx(ptr as *mut c_void, new_size, flags) as *mut u8
    }
}

/// Allocates from one arena (an index from `strata_ctl::arena::create` or
/// an automatic arena), bypassing the thread cache as every arena-directed
/// strata allocation does.  A `GlobalAlloc`, so its methods may be called
/// directly; blocks must be freed through the same `StrataArena` (or any
/// strata free).
#[derive(Clone, Copy, Debug)]
pub struct StrataArena {
    index: u32,
}

impl StrataArena {
    pub const fn new(index: u32) -> StrataArena {
        StrataArena { index }
    }
    pub const fn index(&self) -> u32 {
        self.index
    }
    fn flags(&self, align: usize, size: usize) -> c_int {
        layout_to_flags(align, size) | ffi::mallocx_arena(self.index)
    }
}

unsafe impl GlobalAlloc for StrataArena {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ffi::strata_mallocx(layout.size(), self.flags(layout.align(), layout.size())) as *mut u8
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let flags = self.flags(layout.align(), layout.size()) | ffi::MALLOCX_ZERO;
        ffi::strata_mallocx(layout.size(), flags) as *mut u8
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        let flags = layout_to_flags(layout.align(), layout.size());
        ffi::strata_sdallocx(ptr as *mut c_void, layout.size(), flags)
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let flags = self.flags(layout.align(), new_size);
        ffi::strata_rallocx(ptr as *mut c_void, new_size, flags) as *mut u8
    }
}

/// The usable size of a live strata block (`strata_sallocx`).
///
/// # Safety
/// `ptr` must be a live block from strata.
pub unsafe fn usable_size<T>(ptr: *const T) -> usize {
    ffi::strata_sallocx(ptr as *const c_void, 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_natural_alignment_needs_no_flag() {
        assert_eq!(layout_to_flags(8, 8), 0);
        assert_eq!(layout_to_flags(16, 64), 0);
    }

    #[test]
    fn large_or_over_aligned_layouts_carry_the_alignment() {
        assert_eq!(layout_to_flags(4096, 100), 12);
        assert_eq!(layout_to_flags(16, 8), 4);
        assert_eq!(layout_to_flags(32, 4096), 5);
    }
}
