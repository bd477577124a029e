//! The reactor: one `mio::Poll` that the runtime parks on.

use std::fmt;
use std::io;
use std::sync::Arc;
use std::time::Duration;

const WAKE_TOKEN: mio::Token = mio::Token(usize::MAX);

pub(crate) struct Driver {
    poll: mio::Poll,
    events: mio::Events,
}

#[derive(Clone)]
pub(crate) struct Handle {
    waker: Arc<mio::Waker>,
}

impl Driver {
    pub(crate) fn new(nevents: usize) -> io::Result<(Driver, Handle)> {
        let poll = mio::Poll::new()?;
        let waker = Arc::new(mio::Waker::new(poll.registry(), WAKE_TOKEN)?);
        Ok((
            Driver {
                poll,
                events: mio::Events::with_capacity(nevents),
            },
            Handle { waker },
        ))
    }

    pub(crate) fn park(&mut self, _handle: &Handle, timeout: Option<Duration>) {
        match self.poll.poll(&mut self.events, timeout) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => panic!("unexpected error when polling the I/O driver: {e:?}"),
        }
    }

    pub(crate) fn shutdown(&mut self, _handle: &Handle) {}
}

impl Handle {
    pub(crate) fn unpark(&self) {
        self.waker.wake().expect("failed to wake the I/O driver");
    }
}

impl fmt::Debug for Driver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("io::Driver").finish_non_exhaustive()
    }
}

impl fmt::Debug for Handle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("io::Handle").finish_non_exhaustive()
    }
}
