//! Child processes: [`Command`], [`Child`] and the child's pipes
//! ([`ChildStdin`], [`ChildStdout`], [`ChildStderr`]).
//!
//! [`Command`] wraps `std::process::Command`: it is configured the same way
//! and spawns the same process; what changes is that waiting for the child
//! and talking to it through its pipes are futures driven by the runtime's
//! reactor instead of calls that block the thread.
//!
//! ```
//! use evloop::process::Command;
//!
//! # #[evloop::main(flavor = "current_thread")]
//! # async fn main() {
//! let output = Command::new("echo").arg("hello").output().await.unwrap();
//! assert!(output.status.success());
//! assert_eq!(output.stdout, b"hello\n");
//! # }
//! ```
//!
//! # How a child's exit is seen
//!
//! On Unix an exited child stays a *zombie* until its parent collects its
//! status with `waitpid`. Two sources can tell the runtime that it is time
//! to look:
//!
//! - **pidfd** (Linux 5.3 and later, `pidfd.rs`): a file descriptor for the
//!   process that becomes readable when it exits. It is registered with the
//!   reactor like a socket, and only the one waiting task is woken.
//! - **SIGCHLD** (every Unix, `reaper.rs`): the kernel signals the parent
//!   whenever any child exits. Each waiting child listens for it through
//!   the runtime's signal driver (`crate::signal`) and checks its own pid
//!   with a non-blocking `waitpid` on every delivery.
//!
//! Linux uses the first whenever `pidfd_open` works (it can be missing on
//! old kernels or forbidden by a seccomp filter, and it costs a file
//! descriptor); elsewhere, and as the fallback, the second.
//!
//! Rejected: a thread blocking in `waitpid` per child (a thread each), or in
//! `waitpid(-1)` for all of them (it would steal the statuses of children
//! that other code of the process spawned and waits for).
//!
//! # Rules
//!
//! 1. A [`Child`] is *running* (it owns the `std::process::Child`, whose pid
//!    is not reaped yet) or *done* (it holds the exit status). Only a
//!    successful non-blocking `waitpid` on its own pid moves it to done;
//!    [`Child::id`] is `Some` only while it runs, because a reaped pid may be
//!    reused. The runtime never calls `waitpid(-1)`.
//! 2. A waiter is armed before the exit is checked: the pidfd registered, or
//!    the SIGCHLD listener created (which records the delivery count it
//!    starts from). After every wake-up the exit is checked again. So a
//!    child that exits between a check and the arming is seen by the next
//!    check or reported by the waiter; no exit is missed.
//! 3. The waiter lives in the [`Child`], not in the `wait` future. Dropping
//!    a `wait` future loses nothing; the next one reuses the registration.
//!    `wait` is cancel-safe.
//! 4. The pidfd is opened and registered at the first wait, with the
//!    reactor of the runtime that polls it (the spawning runtime's when
//!    polled outside any runtime). If that reactor shuts down, the next poll
//!    opens a new pidfd with the current runtime's reactor. A pidfd that
//!    cannot be opened switches that child to SIGCHLD for good.
//! 5. A running [`Child`] that is dropped is killed first when
//!    [`Command::kill_on_drop`] asked for it; then it is checked once, and
//!    if it has not been reaped its `std::process::Child` joins the orphan
//!    queue (`orphan.rs`), which reaps it on a later SIGCHLD or spawn. No
//!    zombie is left behind for as long as a runtime keeps running.
//! 6. [`Command::spawn`] finds the current runtime's reactor before it
//!    starts the process, and panics without one (as every resource that
//!    needs the reactor does). No process is started that the runtime could
//!    not wait for.
//! 7. The pipes are non-blocking and registered with the spawning runtime's
//!    reactor. Taken out again ([`ChildStdout::into_owned_fd`], conversion
//!    to `Stdio`) they are deregistered and set back to blocking, because
//!    another process may read or write them next.

mod child;
mod command;
mod orphan;
#[cfg(target_os = "linux")]
mod pidfd;
mod reaper;
mod stdio;

#[cfg(all(test, not(loom)))]
mod tests;

#[cfg(all(test, loom))]
mod loom_tests;

pub use child::Child;
pub use command::Command;
pub use stdio::{ChildStderr, ChildStdin, ChildStdout};
