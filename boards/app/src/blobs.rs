//! The model, the input frames (without the `camera` feature), the arena and the storage of
//! the prepared plan, embedded or reserved at build time (see `build.rs`).

use core::mem::MaybeUninit;
use core::sync::atomic::{AtomicBool, Ordering};

use edgebone_runtime::PreparedOp;

use crate::Aligned;

include!(concat!(env!("OUT_DIR"), "/blobs.rs"));

/// The compiled model, in place in the `.weights` section.
pub fn model() -> &'static [u8] {
    &MODEL.0
}

/// The input frames, back to back.
#[cfg(not(feature = "camera"))]
pub fn frames() -> &'static [u8] {
    &FRAMES.0
}

#[unsafe(link_section = ".arena")]
static mut ARENA: MaybeUninit<Aligned<[u8; ARENA_BYTES]>> = MaybeUninit::uninit();
static ARENA_TAKEN: AtomicBool = AtomicBool::new(false);

/// The arena, zeroed; `None` after the first call.
pub fn arena() -> Option<&'static mut [u8]> {
    if ARENA_TAKEN.swap(true, Ordering::AcqRel) {
        return None;
    }
    let start = (&raw mut ARENA).cast::<u8>();
    // SAFETY: `ARENA_TAKEN` lets this run once, so the slice is the only reference to the
    // static; the section is NOLOAD (uninitialised), so it is zeroed before it becomes a
    // `&mut [u8]`.
    unsafe {
        start.write_bytes(0, ARENA_BYTES);
        Some(core::slice::from_raw_parts_mut(start, ARENA_BYTES))
    }
}

#[unsafe(link_section = ".arena")]
static mut PLAN: MaybeUninit<[PreparedOp<'static>; PLAN_LEN]> = MaybeUninit::uninit();
static PLAN_TAKEN: AtomicBool = AtomicBool::new(false);

/// The storage of the prepared plan, every entry [`PreparedOp::EMPTY`]; `None` after the
/// first call.
pub fn plan() -> Option<&'static mut [PreparedOp<'static>]> {
    if PLAN_TAKEN.swap(true, Ordering::AcqRel) {
        return None;
    }
    let start = (&raw mut PLAN).cast::<PreparedOp<'static>>();
    // SAFETY: `PLAN_TAKEN` lets this run once, so the slice is the only reference to the
    // static; every entry is written (`PreparedOp` has no destructor) before the memory of
    // the NOLOAD section becomes a slice.
    unsafe {
        for at in 0..PLAN_LEN {
            start.add(at).write(PreparedOp::EMPTY);
        }
        Some(core::slice::from_raw_parts_mut(start, PLAN_LEN))
    }
}
