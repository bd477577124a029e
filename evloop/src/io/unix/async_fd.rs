//! [`AsyncFd`]: a file descriptor registered with the reactor.

use std::error::Error;
use std::fmt;
use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::task::{ready, Context, Poll};

use mio::event::Source;
use mio::unix::SourceFd;
use mio::{Registry, Token};

use crate::io::reactor::IoHandle;
use crate::io::registration::Registration;
use crate::io::scheduled_io::Direction;
use crate::io::unix::{AsyncFdReadyGuard, AsyncFdReadyMutGuard};
use crate::io::Interest;

/// A descriptor as a mio source that also names itself: the io_uring
/// backend registers by descriptor.
struct RawSource(RawFd);

impl Source for RawSource {
    fn register(&mut self, r: &Registry, t: Token, i: mio::Interest) -> io::Result<()> {
        SourceFd(&self.0).register(r, t, i)
    }

    fn reregister(&mut self, r: &Registry, t: Token, i: mio::Interest) -> io::Result<()> {
        SourceFd(&self.0).reregister(r, t, i)
    }

    fn deregister(&mut self, r: &Registry) -> io::Result<()> {
        SourceFd(&self.0).deregister(r)
    }
}

impl AsRawFd for RawSource {
    fn as_raw_fd(&self) -> RawFd {
        self.0
    }
}

/// A Unix file descriptor (anything [`AsRawFd`]) registered with the
/// current runtime's reactor, so tasks can wait for it to become readable or
/// writable (module rules in [`crate::io::unix`]).
///
/// The descriptor must be non-blocking. `AsyncFd` owns `T`; dropping it
/// deregisters the descriptor, then drops `T` (which usually closes it).
///
/// ```
/// use std::io::{Read, Write};
/// use std::os::unix::net::UnixStream;
/// use evloop::io::unix::AsyncFd;
///
/// # fn main() { let rt = evloop::runtime::Builder::new_current_thread().enable_all().build().unwrap();
/// # rt.block_on(async {
/// let (a, mut b) = UnixStream::pair().unwrap();
/// a.set_nonblocking(true).unwrap();
/// let fd = AsyncFd::new(a).unwrap();
/// b.write_all(b"hi").unwrap();
/// let mut buf = [0; 2];
/// let n = loop {
///     let mut guard = fd.readable().await.unwrap();
///     match guard.try_io(|inner| inner.get_ref().read(&mut buf)) {
///         Ok(result) => break result.unwrap(),
///         Err(_would_block) => continue,
///     }
/// };
/// assert_eq!(&buf[..n], b"hi");
/// # }); }
/// ```
pub struct AsyncFd<T: AsRawFd> {
    registration: Registration,
    /// `Some` until `into_inner` or drop (rule 1).
    inner: Option<T>,
}

/// The error of [`AsyncFd::try_new`], [`AsyncFd::register`] and their
/// `_with_interest` forms: the registration failed; it gives back the value
/// that was to be registered.
pub struct AsyncFdRegisterError<T> {
    inner: T,
    cause: io::Error,
}

/// The former name of [`AsyncFdRegisterError`].
pub type AsyncFdTryNewError<T> = AsyncFdRegisterError<T>;

impl<T> AsyncFdRegisterError<T> {
    /// The value that was not registered, and why.
    pub fn into_parts(self) -> (T, io::Error) {
        (self.inner, self.cause)
    }
}

impl<T> fmt::Display for AsyncFdRegisterError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.cause, f)
    }
}

impl<T> fmt::Debug for AsyncFdRegisterError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.cause, f)
    }
}

impl<T> Error for AsyncFdRegisterError<T> {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        Some(&self.cause)
    }
}

impl<T> From<AsyncFdRegisterError<T>> for io::Error {
    fn from(error: AsyncFdRegisterError<T>) -> io::Error {
        error.cause
    }
}

impl<T: AsRawFd> AsyncFd<T> {
    /// Registers `inner` for readable and writable readiness.
    ///
    /// # Panics
    ///
    /// If called outside an evloop runtime with I/O enabled.
    #[track_caller]
    pub fn new(inner: T) -> io::Result<AsyncFd<T>> {
        AsyncFd::with_interest(inner, Interest::READABLE | Interest::WRITABLE)
    }

    /// Registers `inner` for `interest`.
    ///
    /// # Panics
    ///
    /// If called outside an evloop runtime with I/O enabled.
    #[track_caller]
    pub fn with_interest(inner: T, interest: Interest) -> io::Result<AsyncFd<T>> {
        AsyncFd::try_with_interest(inner, interest).map_err(io::Error::from)
    }

    /// Like [`AsyncFd::new`], but a failed registration gives `inner` back.
    ///
    /// # Panics
    ///
    /// If called outside an evloop runtime with I/O enabled.
    #[track_caller]
    pub fn try_new(inner: T) -> Result<AsyncFd<T>, AsyncFdRegisterError<T>> {
        AsyncFd::try_with_interest(inner, Interest::READABLE | Interest::WRITABLE)
    }

    /// Like [`AsyncFd::with_interest`], but a failed registration gives
    /// `inner` back.
    ///
    /// # Panics
    ///
    /// If called outside an evloop runtime with I/O enabled.
    #[track_caller]
    pub fn try_with_interest(
        inner: T,
        interest: Interest,
    ) -> Result<AsyncFd<T>, AsyncFdRegisterError<T>> {
        let handle = IoHandle::current_or_panic();
        let fd = inner.as_raw_fd();
        match Registration::new_with_handle(&mut RawSource(fd), interest, handle) {
            Ok(registration) => Ok(AsyncFd {
                registration,
                inner: Some(inner),
            }),
            Err(cause) => Err(AsyncFdRegisterError { inner, cause }),
        }
    }

    /// Registers `inner` for readable and writable readiness; the same as
    /// [`AsyncFd::try_new`], as an `unsafe fn` that states the contract.
    ///
    /// # Safety
    ///
    /// `inner.as_raw_fd()` must be an open descriptor, always the same one,
    /// that stays open until the `AsyncFd` is dropped or `into_inner` is
    /// called (module rule 1). evloop itself does nothing unsafe with it;
    /// a descriptor closed early is deregistered late, which may remove a
    /// new descriptor that reused its number from the reactor.
    ///
    /// # Panics
    ///
    /// If called outside an evloop runtime with I/O enabled.
    #[track_caller]
    pub unsafe fn register(inner: T) -> Result<AsyncFd<T>, AsyncFdRegisterError<T>> {
        AsyncFd::try_new(inner)
    }

    /// [`AsyncFd::register`] for `interest`.
    ///
    /// # Safety
    ///
    /// As for [`AsyncFd::register`].
    ///
    /// # Panics
    ///
    /// If called outside an evloop runtime with I/O enabled.
    #[track_caller]
    pub unsafe fn register_with_interest(
        inner: T,
        interest: Interest,
    ) -> Result<AsyncFd<T>, AsyncFdRegisterError<T>> {
        AsyncFd::try_with_interest(inner, interest)
    }

    /// Runs `f` once if the reactor reported readiness for `interest`;
    /// `WouldBlock` if it did not, or if `f` returned `WouldBlock` (which
    /// also clears the readiness). Use one direction per call.
    pub fn try_io<R>(
        &self,
        interest: Interest,
        f: impl FnOnce(&T) -> io::Result<R>,
    ) -> io::Result<R> {
        self.registration.try_io(interest, || f(self.get_ref()))
    }

    /// [`try_io`](AsyncFd::try_io) with mutable access to the value.
    pub fn try_io_mut<R>(
        &mut self,
        interest: Interest,
        f: impl FnOnce(&mut T) -> io::Result<R>,
    ) -> io::Result<R> {
        let inner = self.inner.as_mut().expect("AsyncFd without its value");
        self.registration.try_io(interest, || f(inner))
    }

    /// The inner value.
    pub fn get_ref(&self) -> &T {
        self.inner.as_ref().expect("AsyncFd without its value")
    }

    /// The inner value, mutably.
    pub fn get_mut(&mut self) -> &mut T {
        self.inner.as_mut().expect("AsyncFd without its value")
    }

    /// Deregisters the descriptor and returns the inner value (rule 1).
    pub fn into_inner(mut self) -> T {
        self.take_inner().expect("AsyncFd without its value")
    }

    fn take_inner(&mut self) -> Option<T> {
        let inner = self.inner.take()?;
        let fd = inner.as_raw_fd();
        // The reactor may already be gone; the descriptor is ours anyway.
        let _ = self.registration.deregister(&mut RawSource(fd));
        Some(inner)
    }

    pub(crate) fn registration(&self) -> &Registration {
        &self.registration
    }

    /// Polls for read readiness. Only the last task to poll is woken (use
    /// [`readable`](AsyncFd::readable) for many waiters).
    ///
    /// The guard reports the readiness seen; clear it after a `WouldBlock`
    /// (module rule 2).
    pub fn poll_read_ready<'a>(
        &'a self,
        cx: &mut Context<'_>,
    ) -> Poll<io::Result<AsyncFdReadyGuard<'a, T>>> {
        let event = ready!(self.registration.poll_ready(cx, Direction::Read))?;
        Poll::Ready(Ok(AsyncFdReadyGuard::new(self, event)))
    }

    /// [`poll_read_ready`](AsyncFd::poll_read_ready) with a guard that gives
    /// mutable access to the inner value.
    pub fn poll_read_ready_mut<'a>(
        &'a mut self,
        cx: &mut Context<'_>,
    ) -> Poll<io::Result<AsyncFdReadyMutGuard<'a, T>>> {
        let event = ready!(self.registration.poll_ready(cx, Direction::Read))?;
        Poll::Ready(Ok(AsyncFdReadyMutGuard::new(self, event)))
    }

    /// Polls for write readiness. Only the last task to poll is woken.
    pub fn poll_write_ready<'a>(
        &'a self,
        cx: &mut Context<'_>,
    ) -> Poll<io::Result<AsyncFdReadyGuard<'a, T>>> {
        let event = ready!(self.registration.poll_ready(cx, Direction::Write))?;
        Poll::Ready(Ok(AsyncFdReadyGuard::new(self, event)))
    }

    /// [`poll_write_ready`](AsyncFd::poll_write_ready) with a mutable guard.
    pub fn poll_write_ready_mut<'a>(
        &'a mut self,
        cx: &mut Context<'_>,
    ) -> Poll<io::Result<AsyncFdReadyMutGuard<'a, T>>> {
        let event = ready!(self.registration.poll_ready(cx, Direction::Write))?;
        Poll::Ready(Ok(AsyncFdReadyMutGuard::new(self, event)))
    }

    /// Waits until the descriptor is ready for any of `interest`; the guard
    /// says which readiness was seen. Any number of tasks may wait at once.
    ///
    /// Cancel-safe.
    pub async fn ready(&self, interest: Interest) -> io::Result<AsyncFdReadyGuard<'_, T>> {
        let event = self.registration.readiness(interest).await?;
        Ok(AsyncFdReadyGuard::new(self, event))
    }

    /// [`ready`](AsyncFd::ready) with a mutable guard.
    ///
    /// Cancel-safe.
    pub async fn ready_mut(
        &mut self,
        interest: Interest,
    ) -> io::Result<AsyncFdReadyMutGuard<'_, T>> {
        let event = self.registration.readiness(interest).await?;
        Ok(AsyncFdReadyMutGuard::new(self, event))
    }

    /// Waits until the descriptor may be readable. Cancel-safe.
    pub async fn readable(&self) -> io::Result<AsyncFdReadyGuard<'_, T>> {
        self.ready(Interest::READABLE).await
    }

    /// [`readable`](AsyncFd::readable) with a mutable guard. Cancel-safe.
    pub async fn readable_mut(&mut self) -> io::Result<AsyncFdReadyMutGuard<'_, T>> {
        self.ready_mut(Interest::READABLE).await
    }

    /// Waits until the descriptor may be writable. Cancel-safe.
    pub async fn writable(&self) -> io::Result<AsyncFdReadyGuard<'_, T>> {
        self.ready(Interest::WRITABLE).await
    }

    /// [`writable`](AsyncFd::writable) with a mutable guard. Cancel-safe.
    pub async fn writable_mut(&mut self) -> io::Result<AsyncFdReadyMutGuard<'_, T>> {
        self.ready_mut(Interest::WRITABLE).await
    }

    /// Waits for `interest` and runs `f` until it returns anything but
    /// `WouldBlock`, clearing the readiness after each `WouldBlock`.
    ///
    /// Cancel-safe if `f` is (it runs only when the descriptor is ready).
    pub async fn async_io<R>(
        &self,
        interest: Interest,
        mut f: impl FnMut(&T) -> io::Result<R>,
    ) -> io::Result<R> {
        self.registration
            .async_io(interest, || f(self.get_ref()))
            .await
    }

    /// [`async_io`](AsyncFd::async_io) with mutable access to the value.
    pub async fn async_io_mut<R>(
        &mut self,
        interest: Interest,
        mut f: impl FnMut(&mut T) -> io::Result<R>,
    ) -> io::Result<R> {
        loop {
            let event = self.registration.readiness(interest).await?;
            match f(self.get_mut()) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    self.registration.clear_readiness(event)
                }
                res => return res,
            }
        }
    }
}

impl<T: AsRawFd> AsRawFd for AsyncFd<T> {
    fn as_raw_fd(&self) -> RawFd {
        self.get_ref().as_raw_fd()
    }
}

/// Borrows the inner value's descriptor (only where the value itself
/// vouches for it with `AsFd`).
impl<T: AsRawFd + AsFd> AsFd for AsyncFd<T> {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.get_ref().as_fd()
    }
}

impl<T: AsRawFd + fmt::Debug> fmt::Debug for AsyncFd<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsyncFd")
            .field("inner", &self.inner)
            .finish()
    }
}

impl<T: AsRawFd> Drop for AsyncFd<T> {
    fn drop(&mut self) {
        // Rule 1: deregister before the value (and its fd) goes.
        drop(self.take_inner());
    }
}
