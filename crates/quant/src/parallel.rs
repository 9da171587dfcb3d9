//! A small work queue: items processed on a few threads, each with its own accumulator.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;

use crate::error::QuantError;

/// Processes every item with `step` on `threads` worker threads; each worker owns one
/// accumulator made by `init`. Returns the accumulators (one per worker that ran) for the
/// caller to merge. `progress` is called after each item. The first error stops the run; a
/// worker's panic is propagated.
pub fn fold_items<I, A, S>(
    items: &[I],
    threads: usize,
    init: impl Fn() -> A + Sync,
    step: S,
    progress: &(dyn Fn() + Sync),
) -> Result<Vec<A>, QuantError>
where
    I: Sync,
    A: Send,
    S: Fn(&mut A, usize, &I) -> Result<(), QuantError> + Sync,
{
    let next = AtomicUsize::new(0);
    let failed = AtomicBool::new(false);
    let first_error: Mutex<Option<QuantError>> = Mutex::new(None);
    let workers = threads.clamp(1, items.len().max(1));
    let accumulators: Vec<A> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                scope.spawn(|| {
                    let mut acc = init();
                    while !failed.load(Ordering::Relaxed) {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(item) = items.get(i) else { break };
                        if let Err(e) = step(&mut acc, i, item) {
                            failed.store(true, Ordering::Relaxed);
                            let mut slot = first_error.lock().unwrap_or_else(|p| p.into_inner());
                            slot.get_or_insert(e);
                            break;
                        }
                        progress();
                    }
                    acc
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect()
    });
    if let Some(e) = first_error.into_inner().unwrap_or_else(|p| p.into_inner()) {
        return Err(e);
    }
    Ok(accumulators)
}
