//! smol behind tokio's module layout, so the workload bodies in `shape` expand
//! for it unchanged.
//!
//! - `runtime::Runtime`: the multi-thread flavour is an
//!   `async_executor::Executor` run by `WORKERS` threads (each in
//!   `smol::block_on`, so idle workers drive async-io's reactor), with
//!   `block_on` on the calling thread as in tokio; the current-thread flavour
//!   is a `LocalExecutor` run inside `smol::block_on` on the calling thread.
//! - `spawn` finds the executor through a thread-local set on worker threads
//!   and during `block_on`, the way tokio's `spawn` finds its runtime.
//! - `JoinHandle` detaches its task on drop (smol cancels it) and yields
//!   `Result<T, JoinError>`; smol propagates a task's panic to whoever awaits
//!   it, so the error type has no values.
//! - Timers are async-io's `Timer`; `timeout` races the future against one.
//! - `sync::Mutex` is async-lock's, re-exported by smol as `smol::lock`.
//!
//! The wrappers add one indirection per call, nothing per poll.

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;
use std::task::{Context, Poll};

/// Where `spawn` puts new tasks.
#[derive(Clone)]
enum Spawner {
    Multi(Arc<smol::Executor<'static>>),
    Local(Rc<smol::LocalExecutor<'static>>),
}

impl Spawner {
    fn spawn<F>(&self, fut: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let task = match self {
            Spawner::Multi(ex) => ex.spawn(fut),
            Spawner::Local(ex) => ex.spawn(fut),
        };
        JoinHandle { task: Some(task) }
    }
}

thread_local! {
    static CURRENT: RefCell<Option<Spawner>> = const { RefCell::new(None) };
}

/// Makes `spawner` current on this thread until the guard drops.
fn enter(spawner: Spawner) -> impl Drop {
    struct Reset(Option<Spawner>);
    impl Drop for Reset {
        fn drop(&mut self) {
            let prev = self.0.take();
            CURRENT.with(|c| *c.borrow_mut() = prev);
        }
    }
    Reset(CURRENT.with(|c| c.borrow_mut().replace(spawner)))
}

/// Spawns onto the runtime this thread is in; panics outside one.
pub(crate) fn spawn<F>(fut: F) -> JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let spawner = CURRENT.with(|c| c.borrow().clone());
    spawner
        .expect("spawn called outside of a smol runtime")
        .spawn(fut)
}

/// A spawned task; awaiting gives its output, dropping detaches it.
#[derive(Debug)]
pub(crate) struct JoinHandle<T> {
    task: Option<smol::Task<T>>,
}

/// Never constructed: smol re-raises a task's panic in the awaiting task.
#[derive(Debug)]
pub(crate) enum JoinError {}

impl<T> Future for JoinHandle<T> {
    type Output = Result<T, JoinError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let task = self
            .task
            .as_mut()
            .expect("JoinHandle polled after completion");
        match Pin::new(task).poll(cx) {
            Poll::Ready(v) => {
                self.task = None;
                Poll::Ready(Ok(v))
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<T> Drop for JoinHandle<T> {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.detach();
        }
    }
}

pub(crate) mod runtime {
    //! The two flavours.

    use std::future::Future;
    use std::sync::Arc;
    use std::thread;

    use super::{enter, JoinHandle, Spawner};

    /// A smol executor with tokio's `Runtime` surface.
    pub(crate) struct Runtime {
        spawner: Spawner,
        /// Multi-thread only: closing it stops the workers.
        stop: Option<smol::channel::Sender<()>>,
        workers: Vec<thread::JoinHandle<()>>,
    }

    impl Runtime {
        pub(crate) fn multi_thread(workers: usize) -> Runtime {
            let ex = Arc::new(smol::Executor::new());
            let (stop, stopped) = smol::channel::bounded::<()>(1);
            let workers = (0..workers)
                .map(|i| {
                    let ex = ex.clone();
                    let stopped = stopped.clone();
                    thread::Builder::new()
                        .name(format!("smol-worker-{i}"))
                        .spawn(move || {
                            let _current = enter(Spawner::Multi(ex.clone()));
                            smol::block_on(ex.run(async move {
                                // Err once the runtime drops the sender.
                                let _ = stopped.recv().await;
                            }));
                        })
                        .expect("spawn smol worker")
                })
                .collect();
            Runtime {
                spawner: Spawner::Multi(ex),
                stop: Some(stop),
                workers,
            }
        }

        pub(crate) fn current_thread() -> Runtime {
            Runtime {
                spawner: Spawner::Local(std::rc::Rc::new(smol::LocalExecutor::new())),
                stop: None,
                workers: Vec::new(),
            }
        }

        pub(crate) fn block_on<F: Future>(&self, fut: F) -> F::Output {
            let _current = enter(self.spawner.clone());
            match &self.spawner {
                Spawner::Multi(_) => smol::block_on(fut),
                Spawner::Local(ex) => smol::block_on(ex.run(fut)),
            }
        }

        pub(crate) fn spawn<F>(&self, fut: F) -> JoinHandle<F::Output>
        where
            F: Future + Send + 'static,
            F::Output: Send + 'static,
        {
            self.spawner.spawn(fut)
        }
    }

    impl Drop for Runtime {
        fn drop(&mut self) {
            drop(self.stop.take());
            for worker in self.workers.drain(..) {
                if worker.join().is_err() && !thread::panicking() {
                    panic!("a smol worker panicked");
                }
            }
        }
    }
}

pub(crate) mod task {
    pub(crate) use smol::future::yield_now;
}

pub(crate) mod sync {
    /// async-lock's mutex (smol's), whose `lock().await` gives a guard as
    /// tokio's does.
    pub(crate) use smol::lock::Mutex;

    pub(crate) mod mpsc {
        //! tokio's bounded channel surface over async-channel.

        /// Sending half.
        #[derive(Debug)]
        pub(crate) struct Sender<T>(smol::channel::Sender<T>);

        impl<T> Clone for Sender<T> {
            fn clone(&self) -> Self {
                Sender(self.0.clone())
            }
        }

        /// Receiving half.
        #[derive(Debug)]
        pub(crate) struct Receiver<T>(smol::channel::Receiver<T>);

        pub(crate) fn channel<T>(capacity: usize) -> (Sender<T>, Receiver<T>) {
            let (tx, rx) = smol::channel::bounded(capacity);
            (Sender(tx), Receiver(rx))
        }

        impl<T> Sender<T> {
            pub(crate) async fn send(&self, value: T) -> Result<(), smol::channel::SendError<T>> {
                self.0.send(value).await
            }
        }

        impl<T> Receiver<T> {
            /// `None` once every sender is gone and the queue is empty.
            pub(crate) async fn recv(&mut self) -> Option<T> {
                self.0.recv().await.ok()
            }
        }
    }
}

pub(crate) mod time {
    use std::future::Future;
    use std::time::Duration;

    use smol::future::FutureExt;

    /// The timeout elapsed first.
    #[derive(Debug)]
    pub(crate) struct Elapsed;

    pub(crate) async fn sleep(duration: Duration) {
        smol::Timer::after(duration).await;
    }

    pub(crate) async fn timeout<F: Future>(
        duration: Duration,
        fut: F,
    ) -> Result<F::Output, Elapsed> {
        async { Ok(fut.await) }
            .or(async {
                smol::Timer::after(duration).await;
                Err(Elapsed)
            })
            .await
    }
}

pub(crate) mod net {
    pub(crate) use smol::net::{TcpListener, TcpStream};
}

pub(crate) mod io {
    pub(crate) use smol::io::{AsyncReadExt, AsyncWriteExt};
}
