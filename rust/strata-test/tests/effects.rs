//! strata-alloc and strata-ctl together: the global allocator is strata's
//! and the ctl readings move as the program allocates.  Run against a
//! built strata (rust/test.sh), one test at a time (the process totals
//! are shared): `cargo test -- --test-threads=1`.
use std::alloc::{GlobalAlloc, Layout};
use std::ptr;

use strata_alloc::{usable_size, Strata, StrataArena};
use strata_ctl::{arena, epoch, stats, thread, Tier};

#[global_allocator]
static GLOBAL: Strata = Strata;

const MIB: usize = 1 << 20;

/// Writes every page and reads one byte back, so the compiler keeps the
/// allocation and the pages are really touched.
fn touch(p: *mut u8, len: usize) -> u8 {
    let mut i = 0;
    while i < len {
        unsafe { ptr::write_volatile(p.add(i), 1) };
        i += 4096;
    }
    unsafe { ptr::read_volatile(p.add(len - 1)) }
}

#[test]
fn the_global_allocator_is_strata() {
    let b = Box::new([7u8; 1000]);
    assert!(unsafe { usable_size(b.as_ptr()) } >= 1000, "Box not from strata");
    let s = String::from("strata");
    assert!(unsafe { usable_size(s.as_ptr()) } >= 6);
}

#[test]
fn a_big_vec_moves_allocated_resident_and_the_thread_counters() {
    epoch::advance().unwrap();
    let allocated0 = stats::allocated::read().unwrap();
    let thread0 = thread::allocated::read().unwrap();
    let freed0 = thread::deallocated::read().unwrap();
    let mut v: Vec<u8> = Vec::with_capacity(64 * MIB);
    unsafe { v.set_len(64 * MIB) };
    touch(v.as_mut_ptr(), v.len());
    epoch::advance().unwrap();
    let allocated1 = stats::allocated::read().unwrap();
    let resident1 = stats::resident::read().unwrap();
    let thread1 = thread::allocated::read().unwrap();
    println!(
        "64 MiB Vec: stats.allocated {} -> {}, stats.resident {}, thread.allocated +{}",
        allocated0, allocated1, resident1, thread1 - thread0
    );
    assert!(allocated1 >= allocated0 + 64 * MIB);
    assert!(resident1 >= 64 * MIB);
    assert!(thread1 - thread0 >= (64 * MIB) as u64);
    drop(v);
    let allocated2 = stats::allocated::read().unwrap();
    let freed2 = thread::deallocated::read().unwrap();
    println!("dropped: stats.allocated {}, thread.deallocated +{}", allocated2, freed2 - freed0);
    assert!(allocated2 + 63 * MIB <= allocated1);
    assert!(freed2 - freed0 >= (64 * MIB) as u64);
}

#[test]
fn the_thread_counter_pointer_reads_without_a_call() {
    let counter = thread::allocatedp::read().unwrap();
    let freed = thread::deallocatedp::read().unwrap();
    let freed_before = freed.get();
    let before = counter.get();
    let v = vec![3u64; 100_000];
    let after = counter.get();
    assert_eq!(v[99_999], 3);
    assert!(after - before >= 800_000, "allocatedp moved by {}", after - before);
    drop(v);
    assert!(freed.get() - freed_before >= 800_000);
}

#[test]
fn alignment_is_honoured() {
    for &align in &[32usize, 64, 4096, 65536, 2 * MIB] {
        for &size in &[8usize, 100, 5000, 3 * MIB] {
            let layout = Layout::from_size_align(size, align).unwrap();
            let p = unsafe { GLOBAL.alloc(layout) };
            assert!(!p.is_null());
            assert_eq!(p as usize % align, 0, "size {} align {}", size, align);
            touch(p, size);
            unsafe { GLOBAL.dealloc(p, layout) };
        }
    }
    #[repr(align(4096))]
    struct Page([u8; 4096]);
    let pages: Vec<Page> = (0..3).map(|i| Page([i as u8; 4096])).collect();
    assert_eq!(pages.as_ptr() as usize % 4096, 0);
    assert_eq!(pages[2].0[4095], 2);
}

#[test]
fn alloc_zeroed_zeroes_reused_memory_and_realloc_keeps_contents() {
    let layout = Layout::from_size_align(64 * 1024, 4096).unwrap();
    unsafe {
        let p = GLOBAL.alloc(layout);
        ptr::write_bytes(p, 0xff, layout.size());
        GLOBAL.dealloc(p, layout);
        let z = GLOBAL.alloc_zeroed(layout);
        assert_eq!(z as usize % 4096, 0);
        assert!((0..layout.size()).all(|i| ptr::read_volatile(z.add(i)) == 0));
        ptr::write_bytes(z, 0x5a, layout.size());
        let r = GLOBAL.realloc(z, layout, 4 * MIB);
        assert!(!r.is_null());
        assert_eq!(r as usize % 4096, 0, "realloc lost the alignment");
        assert!((0..layout.size()).all(|i| *r.add(i) == 0x5a));
        GLOBAL.dealloc(r, Layout::from_size_align(4 * MIB, 4096).unwrap());
    }
}

#[test]
fn an_arena_is_created_with_a_tier_and_used_by_its_index() {
    let index = arena::create(Tier::Default).unwrap();
    assert_eq!(arena::tier(index).unwrap(), Tier::Default);
    let a = StrataArena::new(index);
    let before = arena::allocated(index).unwrap();
    let layout = Layout::from_size_align(2 * MIB, 64).unwrap();
    let p = unsafe { a.alloc(layout) };
    assert!(!p.is_null());
    touch(p, layout.size());
    let during = arena::allocated(index).unwrap();
    println!("arena {}: allocated {} -> {}", index, before, during);
    assert!(during >= before + 2 * MIB);
    unsafe { a.dealloc(p, layout) };
    assert!(arena::allocated(index).unwrap() + 2 * MIB <= during);

    // The thread's default arena: a Vec made while bound lands there.
    let home = thread::arena::read().unwrap();
    thread::arena::write(index).unwrap();
    let v = vec![1u8; 3 * MIB];
    thread::arena::write(home).unwrap();
    assert!(arena::allocated(index).unwrap() >= 3 * MIB);
    drop(v);
    arena::destroy(index).unwrap();
    assert!(arena::allocated(index).is_err(), "a destroyed arena still answers");
}

#[test]
fn a_tier_the_machine_lacks_is_a_clear_error() {
    // No HBM here unless the backend reports it; then creation succeeds.
    match arena::create(Tier::Hbm) {
        Ok(index) => arena::destroy(index).unwrap(),
        Err(e) => assert_eq!(e.errno(), 95 /* ENOTSUP */, "{}", e),
    }
}

#[test]
fn epoch_advances_and_mibs_read_what_names_read() {
    let e1 = epoch::advance().unwrap();
    let e2 = epoch::mib().unwrap().advance().unwrap();
    assert!(e2 > e1);
    let mib = stats::mapped::mib().unwrap();
    let by_mib = mib.read().unwrap();
    let by_name = stats::mapped::read().unwrap();
    assert!(by_mib > 0 && by_name > 0);
    assert!(strata_ctl::version::read().unwrap().chars().next().unwrap().is_ascii_digit());
    assert_eq!(
        stats::allocated::mib().unwrap().write(1).unwrap_err().errno(),
        1, /* EPERM */
    );
}
