//! [`Command`]: `std::process::Command` plus the runtime's way to wait
//! (process rule 6).

use std::ffi::OsStr;
use std::future::Future;
use std::io;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{ExitStatus, Output, Stdio};

use super::child::Child;
use super::orphan;
use super::reaper::{Source, Waiter};
use super::stdio::{ChildStderr, ChildStdin, ChildStdout};

/// Builds and spawns a child process; the configuration methods are
/// `std::process::Command`'s.
///
/// ```
/// use evloop::process::Command;
///
/// # #[evloop::main(flavor = "current_thread")]
/// # async fn main() {
/// let status = Command::new("sh")
///     .arg("-c")
///     .arg("test \"$GREETING\" = hello")
///     .env("GREETING", "hello")
///     .status()
///     .await
///     .unwrap();
/// assert!(status.success());
/// # }
/// ```
#[derive(Debug)]
pub struct Command {
    std: std::process::Command,
    kill_on_drop: bool,
}

impl Command {
    /// A command that runs `program`, found through `PATH` unless it
    /// contains a `/`; it inherits this process's environment, working
    /// directory and standard streams until told otherwise.
    pub fn new<S: AsRef<OsStr>>(program: S) -> Command {
        Command::from(std::process::Command::new(program))
    }

    /// The wrapped `std::process::Command`.
    pub fn as_std(&self) -> &std::process::Command {
        &self.std
    }

    /// The wrapped `std::process::Command`, for settings that only it has.
    pub fn as_std_mut(&mut self) -> &mut std::process::Command {
        &mut self.std
    }

    /// Unwraps the `std::process::Command` (the `kill_on_drop` setting is
    /// lost: std has none).
    pub fn into_std(self) -> std::process::Command {
        self.std
    }

    /// Adds one argument.
    pub fn arg<S: AsRef<OsStr>>(&mut self, arg: S) -> &mut Command {
        self.std.arg(arg);
        self
    }

    /// Adds several arguments.
    pub fn args<I, S>(&mut self, args: I) -> &mut Command
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.std.args(args);
        self
    }

    /// Sets one environment variable for the child.
    pub fn env<K, V>(&mut self, key: K, val: V) -> &mut Command
    where
        K: AsRef<OsStr>,
        V: AsRef<OsStr>,
    {
        self.std.env(key, val);
        self
    }

    /// Sets several environment variables for the child.
    pub fn envs<I, K, V>(&mut self, vars: I) -> &mut Command
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<OsStr>,
        V: AsRef<OsStr>,
    {
        self.std.envs(vars);
        self
    }

    /// Removes one variable from the child's environment.
    pub fn env_remove<K: AsRef<OsStr>>(&mut self, key: K) -> &mut Command {
        self.std.env_remove(key);
        self
    }

    /// Starts the child with an empty environment (plus what `env` adds).
    pub fn env_clear(&mut self) -> &mut Command {
        self.std.env_clear();
        self
    }

    /// Sets the child's working directory. A relative program path is
    /// resolved in a platform-specific way; prefer an absolute one.
    pub fn current_dir<P: AsRef<Path>>(&mut self, dir: P) -> &mut Command {
        self.std.current_dir(dir);
        self
    }

    /// Sets the child's stdin: `Stdio::piped()` gives [`Child::stdin`].
    /// Inherited by default for `spawn` and `status`.
    pub fn stdin<T: Into<Stdio>>(&mut self, cfg: T) -> &mut Command {
        self.std.stdin(cfg);
        self
    }

    /// Sets the child's stdout: `Stdio::piped()` gives [`Child::stdout`].
    /// Inherited by default for `spawn` and `status`.
    pub fn stdout<T: Into<Stdio>>(&mut self, cfg: T) -> &mut Command {
        self.std.stdout(cfg);
        self
    }

    /// Sets the child's stderr: `Stdio::piped()` gives [`Child::stderr`].
    /// Inherited by default for `spawn` and `status`.
    pub fn stderr<T: Into<Stdio>>(&mut self, cfg: T) -> &mut Command {
        self.std.stderr(cfg);
        self
    }

    /// Whether dropping the [`Child`] (or the future of [`status`] or
    /// [`output`]) before the process ended sends it SIGKILL. Off by
    /// default, as in std: a dropped child goes on running.
    ///
    /// Either way the runtime reaps the process once it ends (process
    /// rule 5), in the background and as soon as a SIGCHLD reaches a
    /// running runtime; to know when it ended, `wait` or `kill` it instead
    /// of dropping it.
    ///
    /// [`status`]: Command::status
    /// [`output`]: Command::output
    pub fn kill_on_drop(&mut self, kill_on_drop: bool) -> &mut Command {
        self.kill_on_drop = kill_on_drop;
        self
    }

    /// The [`kill_on_drop`](Command::kill_on_drop) setting.
    pub fn get_kill_on_drop(&self) -> bool {
        self.kill_on_drop
    }

    /// Runs the child with this user id (`setuid` before `exec`).
    pub fn uid(&mut self, id: u32) -> &mut Command {
        self.std.uid(id);
        self
    }

    /// Runs the child with this group id (`setgid` before `exec`).
    pub fn gid(&mut self, id: u32) -> &mut Command {
        self.std.gid(id);
        self
    }

    /// Sets the child's `argv[0]` (by default the program as given).
    pub fn arg0<S: AsRef<OsStr>>(&mut self, arg: S) -> &mut Command {
        self.std.arg0(arg);
        self
    }

    /// Runs `f` in the child after `fork` and before `exec`.
    ///
    /// # Safety
    ///
    /// As `std::os::unix::process::CommandExt::pre_exec`: `f` runs in a copy
    /// of a multi-threaded process in which only the forking thread exists,
    /// so it may only do async-signal-safe things (no allocation, no locks
    /// that another thread may have held at the fork).
    pub unsafe fn pre_exec<F>(&mut self, f: F) -> &mut Command
    where
        F: FnMut() -> io::Result<()> + Send + Sync + 'static,
    {
        // SAFETY: the caller upholds `pre_exec`'s contract (this function's
        // `# Safety`); it is passed on unchanged.
        unsafe { self.std.pre_exec(f) };
        self
    }

    /// Puts the child in process group `pgroup` (0: a new group whose id
    /// is the child's pid), so that signals sent to this process's group
    /// (e.g. ctrl-c in a terminal) do not reach it.
    pub fn process_group(&mut self, pgroup: i32) -> &mut Command {
        self.std.process_group(pgroup);
        self
    }

    /// Starts the process and returns its [`Child`]. Pipes asked for with
    /// `Stdio::piped()` are registered with the current runtime's reactor.
    ///
    /// Errors: the program cannot be started (`NotFound` when it does not
    /// exist, `PermissionDenied`, `WouldBlock` at the process limit, ...).
    ///
    /// # Panics
    ///
    /// Without a current runtime with I/O enabled (rule 6), before any
    /// process is started.
    ///
    /// ```
    /// use evloop::process::Command;
    ///
    /// # #[evloop::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let err = Command::new("surely-not-a-program").spawn().unwrap_err();
    /// assert_eq!(err.kind(), std::io::ErrorKind::NotFound);
    /// # }
    /// ```
    #[track_caller]
    pub fn spawn(&mut self) -> io::Result<Child> {
        self.spawn_with(Source::Auto)
    }

    #[track_caller]
    pub(crate) fn spawn_with(&mut self, source: Source) -> io::Result<Child> {
        // Rule 6: the reactor first.
        let handle = crate::io::IoHandle::current_or_panic();
        orphan::kick();
        let mut std = self.std.spawn()?;
        let stdio = (|| {
            Ok::<_, io::Error>((
                std.stdin
                    .take()
                    .map(|p| ChildStdin::with_handle(p, handle.clone()))
                    .transpose()?,
                std.stdout
                    .take()
                    .map(|p| ChildStdout::with_handle(p, handle.clone()))
                    .transpose()?,
                std.stderr
                    .take()
                    .map(|p| ChildStderr::with_handle(p, handle.clone()))
                    .transpose()?,
            ))
        })();
        let stdio = match stdio {
            Ok(stdio) => stdio,
            Err(e) => {
                // Nobody can talk to it: stop it, and reap it later.
                let _ = std.kill();
                if let Ok(None) = std.try_wait() {
                    orphan::push(std);
                }
                return Err(e);
            }
        };
        Ok(Child::new(
            std,
            Waiter::new(source, handle),
            self.kill_on_drop,
            stdio,
        ))
    }

    /// Runs the command and waits for it to exit. Streams not configured
    /// are inherited; those configured as pipes are closed right after the
    /// spawn.
    ///
    /// The process is started when `status` is called, not at the first
    /// poll. Dropping the future before it completes drops the [`Child`]
    /// (see [`kill_on_drop`](Command::kill_on_drop)).
    ///
    /// # Panics
    ///
    /// As [`spawn`](Command::spawn).
    #[track_caller]
    pub fn status(&mut self) -> impl Future<Output = io::Result<ExitStatus>> {
        let child = self.spawn();
        async move {
            let mut child = child?;
            // Nobody would read or write these pipes.
            drop(child.stdin.take());
            drop(child.stdout.take());
            drop(child.stderr.take());
            child.wait().await
        }
    }

    /// Runs the command, collecting its stdout and stderr, and waits for
    /// it to exit.
    ///
    /// stdout and stderr are always piped, whatever was configured (to
    /// keep other settings, use `spawn` and [`Child::wait_with_output`]);
    /// stdin is as configured (inherited by default).
    ///
    /// The process is started when `output` is called. Dropping the future
    /// before it completes drops the [`Child`]
    /// (see [`kill_on_drop`](Command::kill_on_drop)).
    ///
    /// # Panics
    ///
    /// As [`spawn`](Command::spawn).
    #[track_caller]
    pub fn output(&mut self) -> impl Future<Output = io::Result<Output>> {
        self.std.stdout(Stdio::piped());
        self.std.stderr(Stdio::piped());
        let child = self.spawn();
        async move { child?.wait_with_output().await }
    }
}

impl From<std::process::Command> for Command {
    fn from(std: std::process::Command) -> Command {
        Command {
            std,
            kill_on_drop: false,
        }
    }
}
