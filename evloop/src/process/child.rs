//! [`Child`]: a spawned process, its pipes and its exit (process rules 1,
//! 3 and 5).

use std::fmt;
use std::future::poll_fn;
use std::io;
use std::process::{ExitStatus, Output};
use std::task::{Context, Poll};

use super::orphan;
use super::reaper::Waiter;
use super::stdio::{ChildStderr, ChildStdin, ChildStdout};
use crate::io::{AsyncRead, AsyncReadExt};

/// A child process spawned by [`Command::spawn`](super::Command::spawn).
///
/// As with `std::process::Child`, dropping a `Child` does not stop the
/// process: it goes on running unless [`Command::kill_on_drop`] was set.
/// Either way the runtime collects its exit status once it ends, so it
/// does not linger as a zombie (process rule 5); [`wait`](Child::wait) for
/// it to know when.
///
/// [`Command::kill_on_drop`]: super::Command::kill_on_drop
///
/// ```
/// use evloop::process::Command;
///
/// # #[evloop::main(flavor = "current_thread")]
/// # async fn main() {
/// let mut child = Command::new("sh").args(["-c", "exit 3"]).spawn().unwrap();
/// let status = child.wait().await.unwrap();
/// assert_eq!(status.code(), Some(3));
/// # }
/// ```
pub struct Child {
    state: State,
    kill_on_drop: bool,
    /// The parent's end of the child's stdin, if it was piped
    /// (`Stdio::piped()`). `take()` it to use it without borrowing the
    /// whole `Child`; [`wait`](Child::wait) closes it if it is still here.
    pub stdin: Option<ChildStdin>,
    /// The parent's end of the child's stdout, if it was piped. `take()`
    /// it to read it while calling methods on the `Child`.
    pub stdout: Option<ChildStdout>,
    /// The parent's end of the child's stderr, if it was piped. `take()`
    /// it to read it while calling methods on the `Child`.
    pub stderr: Option<ChildStderr>,
}

/// Rule 1.
enum State {
    Running(Running),
    Done(ExitStatus),
}

struct Running {
    std: std::process::Child,
    waiter: Waiter,
}

impl Child {
    pub(crate) fn new(
        std: std::process::Child,
        waiter: Waiter,
        kill_on_drop: bool,
        stdio: (Option<ChildStdin>, Option<ChildStdout>, Option<ChildStderr>),
    ) -> Child {
        Child {
            state: State::Running(Running { std, waiter }),
            kill_on_drop,
            stdin: stdio.0,
            stdout: stdio.1,
            stderr: stdio.2,
        }
    }

    /// The process id while the child runs (or has exited but was not
    /// waited for yet); `None` once its status was collected, because the
    /// system may then give the same id to another process.
    pub fn id(&self) -> Option<u32> {
        match &self.state {
            State::Running(running) => Some(running.std.id()),
            State::Done(_) => None,
        }
    }

    /// Sends the child SIGKILL without waiting for it to end; like
    /// `std::process::Child::kill`. Follow it with [`wait`](Child::wait) or
    /// [`try_wait`](Child::try_wait) to collect the status (or let the
    /// runtime collect it when the `Child` is dropped).
    ///
    /// Errors: the child's status was already collected (`InvalidInput`),
    /// or the signal could not be sent.
    pub fn start_kill(&mut self) -> io::Result<()> {
        match &mut self.state {
            State::Running(running) => running.std.kill(),
            State::Done(_) => Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "the child has exited and was waited for: there is nothing to kill",
            )),
        }
    }

    /// Sends the child SIGKILL and waits for it to end.
    ///
    /// Unlike `std::process::Child::kill`, this waits; use
    /// [`start_kill`](Child::start_kill) to only send the signal.
    ///
    /// Not cancel-safe in the sense that the signal is sent at the first
    /// poll; dropping the future after that leaves the status to the next
    /// `wait`.
    ///
    /// ```
    /// use evloop::process::Command;
    ///
    /// # #[evloop::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let mut child = Command::new("sleep").arg("10").spawn().unwrap();
    /// child.kill().await.unwrap();
    /// assert!(child.id().is_none());
    /// # }
    /// ```
    pub async fn kill(&mut self) -> io::Result<()> {
        self.start_kill()?;
        self.wait().await?;
        Ok(())
    }

    /// Waits for the child to exit and returns its status; once it has,
    /// every later call returns the same status at once.
    ///
    /// The child's stdin, if still held in [`Child::stdin`], is closed
    /// first, so that a child reading its input to the end can finish.
    /// `take()` it before waiting to keep it open.
    ///
    /// Cancel-safe (rule 3): a dropped `wait` loses nothing, and a later
    /// one picks up where it left off.
    pub async fn wait(&mut self) -> io::Result<ExitStatus> {
        drop(self.stdin.take());
        poll_fn(|cx| self.poll_wait(cx)).await
    }

    fn poll_wait(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<ExitStatus>> {
        let running = match &mut self.state {
            State::Running(running) => running,
            State::Done(status) => return Poll::Ready(Ok(*status)),
        };
        let status = std::task::ready!(running.waiter.poll_exit(cx, &mut running.std))?;
        self.state = State::Done(status);
        Poll::Ready(Ok(status))
    }

    /// Returns the exit status if the child has exited (and collects it),
    /// `None` if it still runs; never blocks. Once it returned a status,
    /// it returns the same one every time.
    pub fn try_wait(&mut self) -> io::Result<Option<ExitStatus>> {
        match &mut self.state {
            State::Done(status) => Ok(Some(*status)),
            State::Running(running) => match running.std.try_wait()? {
                Some(status) => {
                    self.state = State::Done(status);
                    Ok(Some(status))
                }
                None => Ok(None),
            },
        }
    }

    /// Waits for the child to exit while reading all of its stdout and
    /// stderr (those that were piped; the others come back empty), and
    /// returns the three together. Its stdin is closed first, as in
    /// [`wait`](Child::wait).
    ///
    /// Not cancel-safe: it owns the `Child`, so dropping the future drops
    /// the child (see [`Command::kill_on_drop`]) and the output read so far.
    ///
    /// [`Command::kill_on_drop`]: super::Command::kill_on_drop
    ///
    /// ```
    /// use std::process::Stdio;
    /// use evloop::process::Command;
    ///
    /// # #[evloop::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let child = Command::new("sh")
    ///     .args(["-c", "echo out; echo err >&2"])
    ///     .stdout(Stdio::piped())
    ///     .stderr(Stdio::piped())
    ///     .spawn()
    ///     .unwrap();
    /// let output = child.wait_with_output().await.unwrap();
    /// assert_eq!(output.stdout, b"out\n");
    /// assert_eq!(output.stderr, b"err\n");
    /// # }
    /// ```
    pub async fn wait_with_output(mut self) -> io::Result<Output> {
        async fn read_all(pipe: Option<impl AsyncRead + Unpin>) -> io::Result<Vec<u8>> {
            let mut bytes = Vec::new();
            if let Some(mut pipe) = pipe {
                pipe.read_to_end(&mut bytes).await?;
            }
            Ok(bytes)
        }
        let stdout = read_all(self.stdout.take());
        let stderr = read_all(self.stderr.take());
        let (status, stdout, stderr) = crate::try_join!(self.wait(), stdout, stderr)?;
        Ok(Output {
            status,
            stdout,
            stderr,
        })
    }
}

impl Drop for Child {
    /// Rule 5.
    fn drop(&mut self) {
        if let State::Running(running) = &mut self.state {
            if self.kill_on_drop {
                let _ = running.std.kill();
            }
            if let Ok(None) = running.std.try_wait() {
                // The `Done` put in its place is never read: this is the
                // end of the `Child`.
                let state = std::mem::replace(&mut self.state, State::Done(ExitStatus::default()));
                if let State::Running(running) = state {
                    orphan::push(running.std);
                }
            }
        }
    }
}

impl fmt::Debug for Child {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Child");
        match &self.state {
            State::Running(running) => d
                .field("pid", &running.std.id())
                .field("waiter", &running.waiter),
            State::Done(status) => d.field("status", status),
        };
        d.field("kill_on_drop", &self.kill_on_drop)
            .field("stdin", &self.stdin)
            .field("stdout", &self.stdout)
            .field("stderr", &self.stderr)
            .finish()
    }
}
