//! The work of every op, summed over the inferences: the counter is read each time the
//! interpreter reports an op done (`Interpreter::run_observed`), and the readings' difference
//! is added to that op's slot in a static table (no allocator).
//!
//! The sums stay in counter readings (SysTick ticks on the QEMU Cortex-M boards) and are
//! converted to instructions or cycles once, when reported, so a sum loses at most one tick
//! per reading, never one per frame and op. Ops beyond the table's [`SLOTS`] are added to one
//! `op_rest` bucket, reported as such: nothing is dropped.

use core::sync::atomic::{AtomicBool, Ordering};

use crate::{report, Counter};

/// Ops the table holds one slot each for (MobileNetV2 has 66; the slots cost 8 bytes of RAM
/// each).
pub const SLOTS: usize = 256;

static mut TABLE: [u64; SLOTS] = [0; SLOTS];
static TABLE_TAKEN: AtomicBool = AtomicBool::new(false);

/// Per-op sums of counter readings, over every inference run so far.
pub struct OpCounts {
    /// One sum per op index below [`SLOTS`].
    slots: &'static mut [u64; SLOTS],
    /// The sum over the ops at [`SLOTS`] and beyond.
    rest: u64,
    /// The model's ops.
    ops: usize,
    /// The last reading: the end of the previous op, or the start of the inference.
    last: u64,
}

impl OpCounts {
    /// The table for a model of `ops` ops, zeroed; `None` after the first call.
    pub fn take(ops: usize) -> Option<OpCounts> {
        if TABLE_TAKEN.swap(true, Ordering::AcqRel) {
            return None;
        }
        let table = &raw mut TABLE;
        // SAFETY: `TABLE_TAKEN` lets this run once, so this is the only reference to the
        // static for the rest of the program.
        let slots = unsafe { &mut *table };
        slots.fill(0);
        Some(OpCounts {
            slots,
            rest: 0,
            ops,
            last: 0,
        })
    }

    /// An inference starts at the reading `start`.
    pub fn start(&mut self, start: u64) {
        self.last = start;
    }

    /// Op `op` has just finished: its work is everything since the previous reading.
    #[inline(never)]
    pub fn op_done(&mut self, op: usize, counter: &Counter) {
        let now = counter.now();
        let work = counter.elapsed(self.last, now);
        self.last = now;
        match self.slots.get_mut(op) {
            Some(slot) => *slot += work,
            None => self.rest += work,
        }
    }

    /// Logs one `op` record per op (and `op_rest` when the model has more ops than slots):
    /// the work summed over `frames` inferences, in the counter's unit.
    pub fn report(&self, frames: usize, counter: &Counter) {
        for (index, &sum) in self.slots.iter().take(self.ops).enumerate() {
            report::op(index, frames, counter.to_count(sum));
        }
        if self.ops > SLOTS {
            report::op_rest(SLOTS, self.ops - SLOTS, frames, counter.to_count(self.rest));
        }
    }
}
