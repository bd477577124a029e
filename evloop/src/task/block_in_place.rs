//! `block_in_place`: run blocking code on a worker thread without stalling
//! the other tasks.

/// Runs the blocking function `f` on the current thread, after handing the
/// worker's other tasks to another thread so that they keep running.
///
/// On a worker of a multi-thread runtime, the worker gives its run queue (and
/// its turn at driving timers and I/O) to a new or idle thread, then runs
/// `f` here. Afterwards the thread takes a worker's queue back if one is free;
/// otherwise the calling task finishes its current poll on this thread and
/// the thread waits to be reused the next time a worker blocks in place.
///
/// Inside `f` the thread no longer counts as driving the runtime, so `f` may
/// call [`Handle::block_on`](crate::runtime::Handle::block_on).
///
/// Everything else in the *same task* waits for `f`: a `join!` or `select!`
/// branch of the calling task makes no progress meanwhile. Use
/// [`spawn_blocking`](crate::task::spawn_blocking) when that matters, or when
/// the work does not need the caller's stack.
///
/// # Where it may be called
///
/// - On a multi-thread runtime's worker (inside a task): as described.
/// - Inside a multi-thread runtime's `block_on`, or outside any runtime: `f`
///   simply runs; there are no queued tasks to hand over.
///
/// # Panics
///
/// On a current-thread runtime (inside its `block_on` or one of its tasks):
/// there is no other worker to hand the tasks to, so blocking here would
/// stall them all.
///
/// # Example
///
/// ```
/// # fn main() {
/// let rt = evloop::runtime::Builder::new_multi_thread()
///     .worker_threads(2)
///     .build()
///     .unwrap();
/// let n = rt.block_on(rt.spawn(async {
///     evloop::task::block_in_place(|| {
///         // A blocking call: the other tasks keep running meanwhile.
///         std::thread::sleep(std::time::Duration::from_millis(10));
///         42
///     })
/// }));
/// assert_eq!(n.unwrap(), 42);
/// # }
/// ```
#[track_caller]
pub fn block_in_place<F, R>(f: F) -> R
where
    F: FnOnce() -> R,
{
    // A simulation runs every task on one thread, deterministically: the
    // blocking call runs inline, as part of the task's poll.
    if crate::context::simulation_seed().is_some() {
        return f();
    }
    crate::runtime::scheduler::multi_thread::block_in_place(f)
}
