//! Loom models of the pool's shutdown (rules 2, 5 and 7) on the real queue,
//! counters and threads, with closures for jobs.

use std::sync::Arc as StdArc;
use std::time::Duration;

use crate::loom::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use crate::loom::sync::Arc;
use crate::loom::thread;

use super::{Config, Job, PoolShared};

/// A closure that records what became of it: 1 ran, 2 cancelled.
struct TestJob {
    f: Box<dyn FnOnce() + Send>,
    outcome: Arc<AtomicUsize>,
}

const RAN: usize = 1;
const CANCELLED: usize = 2;

impl Job for TestJob {
    fn run(self) {
        assert_eq!(self.outcome.swap(RAN, SeqCst), 0, "job settled twice");
        (self.f)();
    }

    fn cancel(self) {
        assert_eq!(self.outcome.swap(CANCELLED, SeqCst), 0, "job settled twice");
    }
}

fn job(f: impl FnOnce() + Send + 'static) -> (TestJob, Arc<AtomicUsize>) {
    let outcome = Arc::new(AtomicUsize::new(0));
    let job = TestJob {
        f: Box::new(f),
        outcome: outcome.clone(),
    };
    (job, outcome)
}

fn pool(thread_cap: usize) -> Arc<PoolShared<TestJob>> {
    Arc::new(PoolShared::new(Config {
        thread_name: StdArc::new(|| String::from("loom-blocking")),
        stack_size: None,
        thread_cap,
        // Never reached in a model: threads leave on shutdown only.
        keep_alive: Duration::from_secs(3600),
        on_thread_start: None,
        on_thread_stop: None,
    }))
}

/// Nothing to make current on a model thread.
fn no_enter() -> impl FnOnce() + Send + 'static {
    || ()
}

/// A job shuts its own pool down (a runtime dropped inside
/// `spawn_blocking`) while a second job is pushed, which may start a second
/// thread, wait on the queue or be refused. The shutdown returns (loom
/// reports a deadlock otherwise) with only its own thread left; the second
/// job has run or been cancelled, exactly once; every thread exits.
#[test]
fn loom_shutdown_from_own_thread() {
    crate::loom::model(|| {
        let pool = pool(2);
        let done = Arc::new(AtomicBool::new(false));

        let (p, d) = (pool.clone(), done.clone());
        let (first, first_outcome) = job(move || {
            p.shutdown(None);
            // Rule 7: every other thread has exited; the caller is left.
            assert_eq!(p.shared.lock().num_threads, 1);
            d.store(true, SeqCst);
        });
        PoolShared::push(&pool, first, no_enter);
        let (second, second_outcome) = job(|| ());
        PoolShared::push(&pool, second, no_enter);

        while !done.load(SeqCst) {
            thread::yield_now();
        }
        assert_eq!(first_outcome.load(SeqCst), RAN);
        assert_ne!(second_outcome.load(SeqCst), 0, "second job never settled");
    });
}

/// Shutdown from outside the pool while its one thread picks up a job:
/// it waits until the thread has exited (rule 2's notification reaches it)
/// and the job has run or been cancelled.
#[test]
fn loom_shutdown_from_outside_waits() {
    crate::loom::model(|| {
        let pool = pool(1);
        let (first, outcome) = job(|| ());
        PoolShared::push(&pool, first, no_enter);
        pool.shutdown(None);
        assert_eq!(pool.shared.lock().num_threads, 0);
        assert_ne!(outcome.load(SeqCst), 0, "job never settled");
    });
}
