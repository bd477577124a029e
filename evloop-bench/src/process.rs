//! Processes: peak RSS of this one, and running a child with a time limit
//! while collecting its output and its own resource usage.

use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

/// `VmHWM` (peak resident set, kB) from the text of `/proc/<pid>/status`.
pub(crate) fn parse_vmhwm_kb(status: &str) -> Option<u64> {
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let mut fields = line["VmHWM:".len()..].split_whitespace();
    let value = fields.next()?.parse().ok()?;
    match fields.next() {
        Some("kB") => Some(value),
        _ => None,
    }
}

/// This process's peak RSS in kB.
pub(crate) fn self_vmhwm_kb() -> io::Result<u64> {
    let status = std::fs::read_to_string("/proc/self/status")?;
    parse_vmhwm_kb(&status)
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "no VmHWM in /proc/self/status"))
}

/// The first executable called `name` on `PATH`.
pub(crate) fn find_on_path(name: &str) -> Option<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|p| {
            p.metadata()
                .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
                .unwrap_or(false)
        })
}

/// How a child ended.
#[derive(Debug)]
pub(crate) struct Finished {
    pub(crate) stdout: String,
    pub(crate) stderr: String,
    /// `Some(code)` for a normal exit, `None` when killed by a signal.
    pub(crate) code: Option<i32>,
    /// Killed by us for running past the limit.
    pub(crate) timed_out: bool,
    /// The child's own peak RSS (`ru_maxrss` from `wait4`), kB.
    pub(crate) maxrss_kb: u64,
    /// User + system CPU time of the child (all its threads), from `wait4`.
    pub(crate) cpu: Duration,
}

impl Finished {
    pub(crate) fn success(&self) -> bool {
        self.code == Some(0) && !self.timed_out
    }

    /// One line saying why it failed, with the tail of its stderr.
    pub(crate) fn failure(&self) -> String {
        let why = if self.timed_out {
            "timed out".to_owned()
        } else {
            match self.code {
                Some(c) => format!("exit code {c}"),
                None => "killed by a signal".to_owned(),
            }
        };
        let tail: Vec<&str> = self.stderr.lines().rev().take(6).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        format!("{why}: {}", tail.join(" | "))
    }
}

/// Runs `cmd` to completion (killing it after `limit`) and reaps it with
/// `wait4`, which gives that child's own `ru_maxrss`.
pub(crate) fn run(mut cmd: Command, limit: Duration) -> io::Result<Finished> {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    let pid = child.id() as libc::pid_t;
    let stdout = drain(child.stdout.take().expect("piped stdout"));
    let stderr = drain(child.stderr.take().expect("piped stderr"));
    let start = Instant::now();
    let mut timed_out = false;
    let (status, usage) = loop {
        if let Some(done) = wait4(pid, libc::WNOHANG)? {
            break done;
        }
        if !timed_out && start.elapsed() > limit {
            timed_out = true;
            // SAFETY: `pid` is our child and has not been reaped (wait4 just
            // said it is still running), so the id cannot have been reused.
            unsafe { libc::kill(pid, libc::SIGKILL) };
        }
        thread::sleep(Duration::from_millis(5));
    };
    // `child` was reaped above; dropping it neither waits nor kills.
    drop(child);
    let code = if libc::WIFEXITED(status) {
        Some(libc::WEXITSTATUS(status))
    } else {
        None
    };
    Ok(Finished {
        stdout: stdout.join().expect("stdout reader panicked"),
        stderr: stderr.join().expect("stderr reader panicked"),
        code,
        timed_out,
        maxrss_kb: usage.ru_maxrss.max(0) as u64,
        cpu: timeval(usage.ru_utime) + timeval(usage.ru_stime),
    })
}

fn timeval(tv: libc::timeval) -> Duration {
    Duration::from_secs(tv.tv_sec.max(0) as u64) + Duration::from_micros(tv.tv_usec.max(0) as u64)
}

fn drain(mut pipe: impl Read + Send + 'static) -> thread::JoinHandle<String> {
    thread::spawn(move || {
        let mut bytes = Vec::new();
        // A read error only truncates the text; the exit status tells the rest.
        let _ = pipe.read_to_end(&mut bytes);
        String::from_utf8_lossy(&bytes).into_owned()
    })
}

/// `wait4(pid, flags)`: `None` if WNOHANG and still running.
fn wait4(pid: libc::pid_t, flags: libc::c_int) -> io::Result<Option<(libc::c_int, libc::rusage)>> {
    let mut status: libc::c_int = 0;
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    loop {
        // SAFETY: both out-pointers are valid for writes of their types.
        let rc = unsafe { libc::wait4(pid, &mut status, flags, usage.as_mut_ptr()) };
        if rc == pid {
            // SAFETY: wait4 returned the pid, so it filled in the rusage (which
            // was zeroed, a valid value, before that anyway).
            return Ok(Some((status, unsafe { usage.assume_init() })));
        }
        if rc == 0 {
            return Ok(None);
        }
        let err = io::Error::last_os_error();
        if err.kind() != io::ErrorKind::Interrupted {
            return Err(err);
        }
    }
}

/// The directory of this executable (where peer programs get built).
pub(crate) fn exe_dir() -> io::Result<PathBuf> {
    let exe = std::env::current_exe()?;
    Ok(exe.parent().unwrap_or(Path::new(".")).to_path_buf())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_vmhwm() {
        let status =
            "Name:\tevloop-bench\nVmPeak:\t  123456 kB\nVmHWM:\t   45678 kB\nVmRSS:\t   40000 kB\n";
        assert_eq!(parse_vmhwm_kb(status), Some(45_678));
        assert_eq!(parse_vmhwm_kb("VmRSS:\t 1 kB\n"), None);
        assert_eq!(parse_vmhwm_kb("VmHWM:\t 12 MB\n"), None);
        assert_eq!(parse_vmhwm_kb("VmHWM:\t\n"), None);
    }

    #[test]
    fn reads_own_vmhwm() {
        let kb = self_vmhwm_kb().unwrap();
        assert!(kb > 0);
    }

    #[test]
    fn runs_a_child_and_gets_its_status() {
        let mut cmd = Command::new("sh");
        cmd.args(["-c", "echo out; echo err >&2; exit 3"]);
        let done = run(cmd, Duration::from_secs(10)).unwrap();
        assert_eq!(done.stdout, "out\n");
        assert_eq!(done.code, Some(3));
        assert!(!done.success());
        assert!(done.failure().contains("exit code 3: err"));
        assert!(done.maxrss_kb > 0);
        assert!(done.cpu < Duration::from_secs(10));
    }

    #[test]
    fn kills_a_child_past_its_limit() {
        let mut cmd = Command::new("sleep");
        cmd.arg("30");
        let start = Instant::now();
        let done = run(cmd, Duration::from_millis(100)).unwrap();
        assert!(done.timed_out);
        assert_eq!(done.code, None);
        assert!(start.elapsed() < Duration::from_secs(10));
    }
}
