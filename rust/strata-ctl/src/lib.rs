//! strata's ctl namespace (`strata_ctl`) from Rust, shaped like
//! tikv-jemalloc-ctl: one module per name, each with `read()` (and
//! `write()` where the name is writable) and `mib()` to translate the name
//! once and read it again without the string work.
//!
//! ```no_run
//! # fn main() -> strata_ctl::Result<()> {
//! strata_ctl::epoch::advance()?; // a jemalloc habit: strata's stats are live
//! let bytes = strata_ctl::stats::allocated::read()?;
//! let arena = strata_ctl::arena::create(strata_ctl::Tier::Default)?;
//! println!("{} bytes allocated; arena {}", bytes, arena);
//! # Ok(())
//! # }
//! ```
//!
//! Errors are the errno values strata_ctl returns (see docs/ctl.md).
use std::ffi::{c_void, CStr, CString};
use std::fmt;
use std::marker::PhantomData;
use std::os::raw::{c_char, c_int};
use std::ptr;

use strata_sys as ffi;

/// An errno value from strata (ENOENT: unknown name, EINVAL: wrong type
/// or value, EPERM: read-only, ENOTSUP: tier not available, ...).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Error(pub c_int);

impl Error {
    pub fn errno(&self) -> c_int {
        self.0
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "strata: {}", std::io::Error::from_raw_os_error(self.0))
    }
}

impl std::error::Error for Error {}

pub type Result<T> = std::result::Result<T, Error>;

fn check(rc: c_int) -> Result<()> {
    if rc == 0 {
        Ok(())
    } else {
        Err(Error(rc))
    }
}

fn c_name(name: &str) -> Result<CString> {
    CString::new(name).map_err(|_| Error(22 /* EINVAL */))
}

/// Untyped access by name; `T` must be the C type of the name (docs/ctl.md).
pub mod raw {
    use super::*;

    /// Reads `name`.
    ///
    /// # Safety
    /// `T` must be exactly the name's C type.
    pub unsafe fn read<T: Copy>(name: &str) -> Result<T> {
        let name = c_name(name)?;
        let mut value = std::mem::MaybeUninit::<T>::uninit();
        let mut len = std::mem::size_of::<T>();
        check(ffi::strata_ctl(
            name.as_ptr(),
            value.as_mut_ptr() as *mut c_void,
            &mut len,
            ptr::null_mut(),
            0,
        ))?;
        Ok(value.assume_init())
    }

    /// Writes `value` to `name`.
    ///
    /// # Safety
    /// `T` must be exactly the name's C type.
    pub unsafe fn write<T: Copy>(name: &str, mut value: T) -> Result<()> {
        let name = c_name(name)?;
        check(ffi::strata_ctl(
            name.as_ptr(),
            ptr::null_mut(),
            ptr::null_mut(),
            &mut value as *mut T as *mut c_void,
            std::mem::size_of::<T>(),
        ))
    }

    /// Runs the action `name` (`arena.<i>.purge`, `thread.tcache.flush` ...).
    pub fn action(name: &str) -> Result<()> {
        let name = c_name(name)?;
        unsafe {
            check(ffi::strata_ctl(
                name.as_ptr(),
                ptr::null_mut(),
                ptr::null_mut(),
                ptr::null_mut(),
                0,
            ))
        }
    }
}

/// A name translated once (`strata_ctl_nametomib`), read by MIB after.
#[derive(Clone, Copy, Debug)]
pub struct Mib<T> {
    mib: [usize; 8],
    len: usize,
    _type: PhantomData<T>,
}

impl<T: Copy> Mib<T> {
    /// # Safety
    /// `T` must be exactly the name's C type.
    pub unsafe fn new(name: &str) -> Result<Mib<T>> {
        let cname = c_name(name)?;
        let mut mib = [0usize; 8];
        let mut len = mib.len();
        check(ffi::strata_ctl_nametomib(cname.as_ptr(), mib.as_mut_ptr(), &mut len))?;
        Ok(Mib { mib, len, _type: PhantomData })
    }

    pub fn read(&self) -> Result<T> {
        let mut value = std::mem::MaybeUninit::<T>::uninit();
        let mut len = std::mem::size_of::<T>();
        unsafe {
            check(ffi::strata_ctl_bymib(
                self.mib.as_ptr(),
                self.len,
                value.as_mut_ptr() as *mut c_void,
                &mut len,
                ptr::null_mut(),
                0,
            ))?;
            Ok(value.assume_init())
        }
    }

    pub fn write(&self, mut value: T) -> Result<()> {
        unsafe {
            check(ffi::strata_ctl_bymib(
                self.mib.as_ptr(),
                self.len,
                ptr::null_mut(),
                ptr::null_mut(),
                &mut value as *mut T as *mut c_void,
                std::mem::size_of::<T>(),
            ))
        }
    }

    /// The MIB's components (index components are the index itself).
    pub fn as_slice(&self) -> &[usize] {
        &self.mib[..self.len]
    }
}

macro_rules! read_only {
    ($(#[$doc:meta])* $module:ident, $name:expr, $t:ty) => {
        $(#[$doc])*
        pub mod $module {
            use super::super::*;
            /// The ctl name.
            pub const NAME: &str = $name;
            pub fn read() -> Result<$t> {
                unsafe { raw::read::<$t>(NAME) }
            }
            pub fn mib() -> Result<Mib<$t>> {
                unsafe { Mib::new(NAME) }
            }
        }
    };
}

/// `epoch`: jemalloc's refresh counter.  strata's statistics are read
/// live, so advancing is not needed before a read; it is kept so code
/// written for jemalloc runs unchanged.
pub mod epoch {
    use super::*;
    pub const NAME: &str = "epoch";
    /// Advances the epoch and returns the new value.
    pub fn advance() -> Result<u64> {
        unsafe {
            raw::write::<u64>(NAME, 1)?;
            raw::read::<u64>(NAME)
        }
    }
    pub fn read() -> Result<u64> {
        unsafe { raw::read::<u64>(NAME) }
    }
    pub fn mib() -> Result<EpochMib> {
        Ok(EpochMib(unsafe { Mib::new(NAME)? }))
    }
    #[derive(Clone, Copy, Debug)]
    pub struct EpochMib(Mib<u64>);
    impl EpochMib {
        pub fn advance(&self) -> Result<u64> {
            self.0.write(1)?;
            self.0.read()
        }
    }
}

/// `stats.*`: process totals in bytes.
pub mod stats {
    read_only!(/// Usable bytes of live blocks, thread caches included.
        allocated, "stats.allocated", usize);
    read_only!(/// Bytes of pages backing live runs.
        active, "stats.active", usize);
    read_only!(/// Bytes reserved for metadata.
        metadata, "stats.metadata", usize);
    read_only!(/// Upper bound of resident bytes: active + dirty + metadata.
        resident, "stats.resident", usize);
    read_only!(/// Bytes reserved from the backend.
        mapped, "stats.mapped", usize);
    read_only!(/// Purged address space kept for reuse.
        retained, "stats.retained", usize);
}

/// `thread.*`: the calling thread.
pub mod thread {
    use super::*;
    read_only!(/// Usable bytes this thread allocated, cumulative.
        allocated, "thread.allocated", u64);
    read_only!(/// Usable bytes this thread freed, cumulative.
        deallocated, "thread.deallocated", u64);

    /// A thread's own counter, read without a call (`thread.allocatedp`,
    /// `thread.deallocatedp`).  Valid on the thread that made it only.
    #[derive(Debug)]
    pub struct ThreadCounter {
        counter: *const u64,
    }
    impl ThreadCounter {
        pub fn get(&self) -> u64 {
            unsafe { ptr::read_volatile(self.counter) }
        }
    }
    /// `thread.allocatedp`: the calling thread's allocated-bytes counter.
    pub mod allocatedp {
        use super::*;
        pub fn read() -> Result<ThreadCounter> {
            let counter = unsafe { raw::read::<*const u64>("thread.allocatedp")? };
            Ok(ThreadCounter { counter })
        }
    }
    /// `thread.deallocatedp`: the calling thread's deallocated-bytes counter.
    pub mod deallocatedp {
        use super::*;
        pub fn read() -> Result<ThreadCounter> {
            let counter = unsafe { raw::read::<*const u64>("thread.deallocatedp")? };
            Ok(ThreadCounter { counter })
        }
    }

    /// The arena the calling thread allocates from by default.
    pub mod arena {
        use super::super::*;
        pub fn read() -> Result<u32> {
            let mut index = 0;
            check(unsafe { ffi::strata_thread_arena_get(&mut index) })?;
            Ok(index)
        }
        pub fn write(index: u32) -> Result<()> {
            check(unsafe { ffi::strata_thread_arena_set(index) })
        }
    }

    /// Returns every block the thread caches to its arena.
    pub fn tcache_flush() -> Result<()> {
        raw::action("thread.tcache.flush")
    }
}

/// The memory tier of a manual arena (`strata_tier`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tier {
    /// Whatever the backend maps without asking.
    Default,
    Dram,
    /// High-bandwidth memory.
    Hbm,
    /// Persistent memory as a NUMA node (DAX KMEM).
    Pmem,
}

impl Tier {
    fn to_c(self) -> ffi::strata_tier {
        match self {
            Tier::Default => ffi::STRATA_TIER_DEFAULT,
            Tier::Dram => ffi::STRATA_TIER_DRAM,
            Tier::Hbm => ffi::STRATA_TIER_HBM,
            Tier::Pmem => ffi::STRATA_TIER_PMEM,
        }
    }
    fn from_c(t: u32) -> Option<Tier> {
        match t {
            ffi::STRATA_TIER_DEFAULT => Some(Tier::Default),
            ffi::STRATA_TIER_DRAM => Some(Tier::Dram),
            ffi::STRATA_TIER_HBM => Some(Tier::Hbm),
            ffi::STRATA_TIER_PMEM => Some(Tier::Pmem),
            _ => None,
        }
    }
}

/// Manual arenas (`strata_arena_create`) and per-arena names.
pub mod arena {
    use super::*;

    /// Options of a new arena; `Options::new(tier)` is
    /// `strata_arena_opts_init_sized` (this struct's size) plus the tier.
    #[derive(Clone, Copy, Debug)]
    pub struct Options(ffi::strata_arena_opts);

    impl Options {
        pub fn new(tier: Tier) -> Options {
            let mut opts = std::mem::MaybeUninit::<ffi::strata_arena_opts>::uninit();
            let mut opts = unsafe {
                ffi::strata_arena_opts_init_sized(
                    opts.as_mut_ptr(),
                    std::mem::size_of::<ffi::strata_arena_opts>(),
                );
                opts.assume_init()
            };
            opts.tier = tier.to_c();
            Options(opts)
        }
        /// A NUMA node (-1: any).
        pub fn node(mut self, node: i32) -> Options {
            self.0.node = node;
            self
        }
        /// Fail with ENOMEM rather than fall back to another node or tier.
        pub fn strict(mut self) -> Options {
            self.0.policy = ffi::STRATA_POLICY_STRICT;
            self
        }
        /// Dirty and muzzy decay times in ms (-1: never, 0: at once).
        pub fn decay_ms(mut self, dirty: i64, muzzy: i64) -> Options {
            self.0.dirty_decay_ms = dirty as _;
            self.0.muzzy_decay_ms = muzzy as _;
            self
        }
        /// Creates the arena; its index goes to `StrataArena::new` or
        /// `thread::arena::write`.
        pub fn create(&self) -> Result<u32> {
            let mut index = 0;
            check(unsafe { ffi::strata_arena_create(&self.0, &mut index) })?;
            Ok(index)
        }
    }

    /// Creates a manual arena on `tier` with the default options.
    pub fn create(tier: Tier) -> Result<u32> {
        Options::new(tier).create()
    }

    /// Frees every allocation of manual arena `index` and its memory.
    pub fn destroy(index: u32) -> Result<()> {
        check(unsafe { ffi::strata_arena_destroy(index) })
    }

    /// `stats.arenas.<i>.allocated`: usable bytes live in the arena.
    pub fn allocated(index: u32) -> Result<usize> {
        unsafe { raw::read::<usize>(&format!("stats.arenas.{}.allocated", index)) }
    }

    /// `arena.<i>.tier`.
    pub fn tier(index: u32) -> Result<Tier> {
        let t = unsafe { raw::read::<u32>(&format!("arena.{}.tier", index))? };
        Tier::from_c(t).ok_or(Error(71 /* EPROTO */))
    }

    /// `arena.<i>.purge`: returns every dirty and muzzy page now.
    pub fn purge(index: u32) -> Result<()> {
        raw::action(&format!("arena.{}.purge", index))
    }
}

/// `arenas.narenas`: arena slots in use.
pub mod arenas {
    read_only!(/// Arena slots in use (automatic plus manual).
        narenas, "arenas.narenas", u32);
}

/// `version`: strata's version string.
pub mod version {
    use super::*;
    pub fn read() -> Result<&'static str> {
        let p = unsafe { raw::read::<*const c_char>("version")? };
        unsafe { CStr::from_ptr(p) }.to_str().map_err(|_| Error(71))
    }
}
