//! Property target: task lifecycle operations in any order, on both
//! runtime flavours.
//!
//! Each task runs a scripted future that waits until the target tells it
//! to complete or to panic. Operations: spawn, complete, panic, a spurious
//! wake, abort (through an `AbortHandle`, so also after the `JoinHandle`
//! is gone), drop the `JoinHandle`, poll it once, join it (bounded by a
//! timeout), and let the runtime run a while. Checked:
//!
//! - a joined task returns what the model says: its output, its panic
//!   (with the payload it panicked with), or `Cancelled` when it was
//!   aborted before it was told to finish (either outcome when the abort
//!   raced a finish it was already told about);
//! - a task that was told nothing is still pending when polled;
//! - once `join` returns, the task's future (and the output it owned) has
//!   been dropped;
//! - after the runtime is dropped (before or after the remaining handles,
//!   chosen by the input), every future and every output was dropped
//!   exactly once.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use arbitrary::{Arbitrary, Unstructured};

use super::support::{ops, pick, poll_with, runtime, trace, ExpectedPanic, Flag, Tracked, Tracker};
use crate::runtime::task::{AbortHandle, JoinHandle};
use crate::runtime::Runtime;

const MAX_TASKS: usize = 8;
/// A join that takes longer than this is a hang.
const WATCHDOG: Duration = Duration::from_secs(20);

#[derive(Arbitrary, Debug)]
enum Op {
    Spawn,
    Complete(u8),
    Panic(u8),
    Wake(u8),
    Abort(u8),
    DropHandle(u8),
    PollHandle(u8),
    Join(u8),
    Run,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Action {
    Wait,
    Complete,
    Panic,
}

struct Ctl {
    action: Action,
    waker: Option<Waker>,
}

/// The task's future: owns one tracked value of its own and its output.
struct Scripted {
    ctl: Arc<Mutex<Ctl>>,
    _state: Tracked,
    output: Option<Tracked>,
}

impl Future for Scripted {
    type Output = Tracked;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Tracked> {
        let mut ctl = self.ctl.lock().unwrap();
        match ctl.action {
            Action::Wait => {
                ctl.waker = Some(cx.waker().clone());
                Poll::Pending
            }
            Action::Complete => {
                drop(ctl);
                Poll::Ready(self.output.take().expect("polled after completion"))
            }
            Action::Panic => {
                drop(ctl);
                std::panic::panic_any(ExpectedPanic)
            }
        }
    }
}

struct ModelTask {
    handle: Option<JoinHandle<Tracked>>,
    abort: AbortHandle,
    ctl: Arc<Mutex<Ctl>>,
    state_id: u64,
    out_id: u64,
    /// what the task was told
    action: Action,
    /// aborted before it was told anything
    aborted_waiting: bool,
    /// aborted after it was told to finish (a race)
    aborted_late: bool,
}

struct State {
    tracker: Tracker,
    rt: Runtime,
    tasks: Vec<ModelTask>,
}

impl State {
    fn tell(&mut self, i: usize, action: Action) {
        let t = &mut self.tasks[i];
        if t.action != Action::Wait || t.aborted_waiting {
            return;
        }
        t.action = action;
        let waker = {
            let mut ctl = t.ctl.lock().unwrap();
            ctl.action = action;
            ctl.waker.take()
        };
        if let Some(w) = waker {
            w.wake();
        }
    }

    fn step(&mut self, op: Op) {
        match op {
            Op::Spawn => {
                if self.tasks.len() >= MAX_TASKS {
                    return;
                }
                let ctl = Arc::new(Mutex::new(Ctl {
                    action: Action::Wait,
                    waker: None,
                }));
                let (state, output) = (self.tracker.make(), self.tracker.make());
                let (state_id, out_id) = (state.id, output.id);
                let fut = Scripted {
                    ctl: ctl.clone(),
                    _state: state,
                    output: Some(output),
                };
                let handle = self.rt.spawn(fut);
                self.tasks.push(ModelTask {
                    abort: handle.abort_handle(),
                    handle: Some(handle),
                    ctl,
                    state_id,
                    out_id,
                    action: Action::Wait,
                    aborted_waiting: false,
                    aborted_late: false,
                });
            }
            Op::Complete(i) => {
                if let Some(i) = pick(&self.tasks, i) {
                    self.tell(i, Action::Complete);
                }
            }
            Op::Panic(i) => {
                if let Some(i) = pick(&self.tasks, i) {
                    self.tell(i, Action::Panic);
                }
            }
            Op::Wake(i) => {
                let Some(i) = pick(&self.tasks, i) else {
                    return;
                };
                let waker = self.tasks[i].ctl.lock().unwrap().waker.clone();
                if let Some(w) = waker {
                    w.wake();
                }
            }
            Op::Abort(i) => {
                let Some(i) = pick(&self.tasks, i) else {
                    return;
                };
                let t = &mut self.tasks[i];
                t.abort.abort();
                if t.action == Action::Wait {
                    t.aborted_waiting = true;
                } else {
                    t.aborted_late = true;
                }
            }
            Op::DropHandle(i) => {
                if let Some(i) = pick(&self.tasks, i) {
                    self.tasks[i].handle = None;
                }
            }
            Op::PollHandle(i) => {
                let Some(i) = pick(&self.tasks, i) else {
                    return;
                };
                let t = &mut self.tasks[i];
                let (Some(handle), Action::Wait, false) =
                    (t.handle.as_mut(), t.action, t.aborted_waiting)
                else {
                    return;
                };
                let poll = poll_with(Pin::new(handle), &Flag::new());
                assert!(poll.is_pending(), "task {i} finished without being told to");
            }
            Op::Join(i) => {
                let Some(i) = pick(&self.tasks, i) else {
                    return;
                };
                let t = &mut self.tasks[i];
                if t.action == Action::Wait && !t.aborted_waiting {
                    return; // would never finish
                }
                let Some(handle) = t.handle.take() else {
                    return;
                };
                let joined = self
                    .rt
                    .block_on(async { crate::time::timeout(WATCHDOG, handle).await })
                    .unwrap_or_else(|_| panic!("joining task {i} hung"));
                let t = &self.tasks[i];
                let finished = match &joined {
                    Ok(out) => {
                        assert_eq!(out.id, t.out_id, "task {i}: another output");
                        Action::Complete
                    }
                    Err(e) if e.is_panic() => Action::Panic,
                    Err(e) => {
                        assert!(e.is_cancelled(), "task {i}: neither panic nor cancelled");
                        Action::Wait
                    }
                };
                let expected = if t.aborted_waiting {
                    finished == Action::Wait
                } else if t.aborted_late {
                    finished == Action::Wait || finished == t.action
                } else {
                    finished == t.action
                };
                assert!(
                    expected,
                    "task {i}: finished as {finished:?}, model {:?}",
                    t.action
                );
                if let Err(e) = joined {
                    if e.is_panic() {
                        let payload = e.into_panic();
                        assert!(payload.downcast_ref::<ExpectedPanic>().is_some(), "payload");
                    }
                } else {
                    drop(joined);
                }
                assert_eq!(
                    self.tracker.drops(t.state_id),
                    1,
                    "task {i}: future not dropped"
                );
                assert_eq!(
                    self.tracker.drops(t.out_id),
                    1,
                    "task {i}: output not dropped"
                );
            }
            Op::Run => {
                self.rt.block_on(async {
                    for _ in 0..4 {
                        crate::task::yield_now().await;
                    }
                });
            }
        }
    }
}

/// Runs the operations in `data` on a runtime of the flavour it names.
pub fn run(data: &[u8]) {
    super::install_panic_filter();
    let mut u = Unstructured::new(data);
    let multi = u.arbitrary::<bool>().unwrap_or(false);
    let runtime_first = u.arbitrary::<bool>().unwrap_or(false);
    let ops: Vec<Op> = ops(&mut u);
    let rt = runtime(multi);
    let tracker = Tracker::new();
    let mut s = State {
        tracker: tracker.clone(),
        rt,
        tasks: Vec::new(),
    };
    for op in ops {
        trace(&op);
        s.step(op);
    }
    let State { rt, tasks, .. } = s;
    if runtime_first {
        drop(rt);
        drop(tasks);
    } else {
        drop(tasks);
        drop(rt);
    }
    tracker.assert_all_dropped_once();
}
