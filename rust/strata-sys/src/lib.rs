//! Raw bindings to strata.h, the C API of the strata allocator: the
//! declarations only, unsafe and one to one.  `strata-alloc` and
//! `strata-ctl` are the safe layers.  build.rs links libstrata (see there
//! for STRATA_LIB_DIR and STRATA_STATIC).
#![allow(non_camel_case_types)]

// std::os::raw, not core::ffi: the C types moved to core in Rust 1.64.
use std::ffi::c_void;
use std::os::raw::{c_char, c_int, c_long, c_uint};

/// `STRATA_MALLOCX_LG_ALIGN(la)`: align to 2^la bytes.
pub const fn mallocx_lg_align(la: u32) -> c_int {
    la as c_int
}
/// `STRATA_MALLOCX_ALIGN(a)`: align to `a` bytes, a power of two.
pub const fn mallocx_align(a: usize) -> c_int {
    a.trailing_zeros() as c_int
}
/// `STRATA_MALLOCX_ARENA(a)`: serve from arena `a`.
pub const fn mallocx_arena(a: u32) -> c_int {
    ((a + 1) << 20) as c_int
}
/// `STRATA_MALLOCX_ZERO`: the memory reads as zero.
pub const MALLOCX_ZERO: c_int = 0x40;
/// `STRATA_MALLOCX_TCACHE_NONE`: bypass the thread's cache.
pub const MALLOCX_TCACHE_NONE: c_int = 0x100;
/// `STRATA_ARENAS_ALL`: every arena, in `arena.<i>.purge` and `.decay`.
pub const ARENAS_ALL: c_uint = 4096;

pub type strata_tier = c_uint;
pub const STRATA_TIER_DEFAULT: strata_tier = 0;
pub const STRATA_TIER_DRAM: strata_tier = 1;
pub const STRATA_TIER_HBM: strata_tier = 2;
pub const STRATA_TIER_PMEM: strata_tier = 3;

pub type strata_policy = c_uint;
pub const STRATA_POLICY_PREFERRED: strata_policy = 0;
pub const STRATA_POLICY_STRICT: strata_policy = 1;
pub const STRATA_POLICY_INTERLEAVE: strata_policy = 2;

pub const STRATA_NODE_ANY: c_int = -1;
pub const STRATA_DECAY_DEFAULT: c_long = -2;

#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct strata_arena_opts {
    pub struct_bytes: usize,
    pub tier: strata_tier,
    pub node: c_int,
    pub policy: strata_policy,
    pub dirty_decay_ms: c_long,
    pub muzzy_decay_ms: c_long,
    /// File-backed PMEM directory (tier PMEM), or null; copied at creation.
    pub pmem_dir: *const c_char,
    /// With `pmem_dir`: size bound in bytes, 0 for none.
    pub pmem_max_bytes: usize,
}

pub type strata_write_cb = unsafe extern "C" fn(opaque: *mut c_void, text: *const c_char);

extern "C" {
    pub fn strata_malloc(size: usize) -> *mut c_void;
    pub fn strata_calloc(count: usize, size: usize) -> *mut c_void;
    pub fn strata_realloc(ptr: *mut c_void, size: usize) -> *mut c_void;
    pub fn strata_reallocarray(ptr: *mut c_void, count: usize, size: usize) -> *mut c_void;
    pub fn strata_free(ptr: *mut c_void);
    pub fn strata_posix_memalign(out: *mut *mut c_void, alignment: usize, size: usize) -> c_int;
    pub fn strata_aligned_alloc(alignment: usize, size: usize) -> *mut c_void;
    pub fn strata_malloc_usable_size(ptr: *const c_void) -> usize;
    pub fn strata_free_sized(ptr: *mut c_void, size: usize);
    pub fn strata_free_aligned_sized(ptr: *mut c_void, alignment: usize, size: usize);

    pub fn strata_mallocx(size: usize, flags: c_int) -> *mut c_void;
    pub fn strata_rallocx(ptr: *mut c_void, size: usize, flags: c_int) -> *mut c_void;
    pub fn strata_nallocx(size: usize, flags: c_int) -> usize;
    pub fn strata_sallocx(ptr: *const c_void, flags: c_int) -> usize;
    pub fn strata_dallocx(ptr: *mut c_void, flags: c_int);
    pub fn strata_sdallocx(ptr: *mut c_void, size: usize, flags: c_int);

    /// The exported initializer of the first release: it fills the first
    /// release's fields only (up to `muzzy_decay_ms`); use
    /// `strata_arena_opts_init_sized` with `size_of::<strata_arena_opts>()`.
    pub fn strata_arena_opts_init(opts: *mut strata_arena_opts);
    /// Defaults into the first `struct_bytes` bytes of `opts`, nothing past
    /// them; EINVAL when smaller than the first release's struct.
    pub fn strata_arena_opts_init_sized(opts: *mut strata_arena_opts, struct_bytes: usize) -> c_int;
    pub fn strata_arena_create(opts: *const strata_arena_opts, arena_index: *mut c_uint) -> c_int;
    pub fn strata_arena_destroy(arena_index: c_uint) -> c_int;
    pub fn strata_thread_arena_set(arena_index: c_uint) -> c_int;
    pub fn strata_thread_arena_get(arena_index: *mut c_uint) -> c_int;

    pub fn strata_ctl(
        name: *const c_char,
        oldp: *mut c_void,
        oldlenp: *mut usize,
        newp: *mut c_void,
        newlen: usize,
    ) -> c_int;
    pub fn strata_ctl_nametomib(name: *const c_char, mibp: *mut usize, miblenp: *mut usize) -> c_int;
    pub fn strata_ctl_bymib(
        mib: *const usize,
        miblen: usize,
        oldp: *mut c_void,
        oldlenp: *mut usize,
        newp: *mut c_void,
        newlen: usize,
    ) -> c_int;
    pub fn strata_stats_print(write_cb: Option<strata_write_cb>, opaque: *mut c_void, opts: *const c_char);
}
