//! Waiting for a child through a pidfd (Linux 5.3 and later).
//!
//! `pidfd_open(pid)` returns a file descriptor that refers to the process
//! itself, not to its pid number, and that becomes readable once the
//! process exits. Registered with the reactor, it wakes exactly the task
//! that waits for this child. The exit status is still collected with
//! `waitpid` (through `std::process::Child::try_wait`), which a readable
//! pidfd guarantees will not block. Process rules 2 and 4 apply.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::process::ExitStatus;
use std::task::{Context, Poll};

use mio::event::Source;
use mio::unix::SourceFd;
use mio::{Interest as MioInterest, Registry, Token};

use crate::io::poll_evented::PollEvented;
use crate::io::{Interest, IoHandle};

/// An open pidfd, as a mio source.
#[derive(Debug)]
pub(crate) struct PidfdSource(OwnedFd);

impl Source for PidfdSource {
    fn register(
        &mut self,
        registry: &Registry,
        token: Token,
        interests: MioInterest,
    ) -> io::Result<()> {
        SourceFd(&self.0.as_raw_fd()).register(registry, token, interests)
    }

    fn reregister(
        &mut self,
        registry: &Registry,
        token: Token,
        interests: MioInterest,
    ) -> io::Result<()> {
        SourceFd(&self.0.as_raw_fd()).reregister(registry, token, interests)
    }

    fn deregister(&mut self, registry: &Registry) -> io::Result<()> {
        SourceFd(&self.0.as_raw_fd()).deregister(registry)
    }
}

impl AsRawFd for PidfdSource {
    fn as_raw_fd(&self) -> std::os::fd::RawFd {
        self.0.as_raw_fd()
    }
}

/// Opens a pidfd for `pid`, close-on-exec (pidfds always are).
fn pidfd_open(pid: u32) -> io::Result<OwnedFd> {
    let pid = libc::pid_t::try_from(pid)
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "pid out of range"))?;
    // SAFETY: `pidfd_open` takes a pid and a flags word and returns a new
    // file descriptor or -1; no memory is passed.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    let fd = libc::c_int::try_from(fd).expect("a file descriptor fits in c_int");
    // SAFETY: the syscall returned a new descriptor that nothing else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// The pidfd of one child and its registration, if opened.
#[derive(Debug, Default)]
pub(crate) struct Pidfd {
    io: Option<PollEvented<PidfdSource>>,
}

impl Pidfd {
    /// Rule 2: registers (if needed), then checks, then waits for
    /// readability and checks again. `None`: `pidfd_open` failed for this
    /// child, which must be waited for through SIGCHLD instead.
    pub(crate) fn poll_exit(
        &mut self,
        cx: &mut Context<'_>,
        child: &mut std::process::Child,
        spawner: &IoHandle,
    ) -> Option<Poll<io::Result<ExitStatus>>> {
        // One re-registration per poll at most (rule 4).
        let mut reopened = false;
        loop {
            if self.io.is_none() {
                let fd = match pidfd_open(child.id()) {
                    Ok(fd) => fd,
                    Err(_) => return None,
                };
                // Rule 4: the polling runtime's reactor.
                let handle = IoHandle::current().unwrap_or_else(|_| spawner.clone());
                match PollEvented::new_with_handle(PidfdSource(fd), Interest::READABLE, handle) {
                    Ok(io) => self.io = Some(io),
                    Err(e) => return Some(Poll::Ready(Err(e))),
                }
            }
            match child.try_wait() {
                Ok(Some(status)) => return Some(Poll::Ready(Ok(status))),
                Ok(None) => {}
                Err(e) => return Some(Poll::Ready(Err(e))),
            }
            let io = self.io.as_ref().expect("registered above");
            match io.registration().poll_read_ready(cx) {
                Poll::Pending => return Some(Poll::Pending),
                Poll::Ready(Ok(event)) => {
                    // Readable: the process exited, `waitpid` will not block.
                    match child.try_wait() {
                        Ok(Some(status)) => return Some(Poll::Ready(Ok(status))),
                        Ok(None) => io.registration().clear_readiness(event),
                        Err(e) => return Some(Poll::Ready(Err(e))),
                    }
                }
                Poll::Ready(Err(e)) => {
                    // Rule 4: that reactor shut down; move to the current one.
                    self.io = None;
                    if reopened || IoHandle::current().is_err() {
                        return Some(Poll::Ready(Err(e)));
                    }
                    reopened = true;
                }
            }
        }
    }
}
