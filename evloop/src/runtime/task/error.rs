use std::any::Any;
use std::fmt;
use std::io;

use crate::runtime::task::Id;
use crate::util::SyncWrapper;

/// Why a task did not produce its output: it was cancelled (aborted, or its
/// runtime shut down) or it panicked.
///
/// ```
/// # #[evloop::main(flavor = "current_thread")]
/// # async fn main() {
/// let handle = evloop::spawn(async { panic!("boom") });
/// let err = handle.await.unwrap_err();
/// assert!(err.is_panic());
/// let payload = err.into_panic();
/// assert_eq!(*payload.downcast::<&str>().unwrap(), "boom");
/// # }
/// ```
pub struct JoinError {
    repr: Repr,
    id: Id,
}

/// One word: the payload's fat pointer sits behind a thin one, so that a
/// task's `Result<T, JoinError>` output slot (inside every task cell) stays
/// small. A panic pays one more allocation.
enum Repr {
    Cancelled,
    Panic(Box<SyncWrapper<Box<dyn Any + Send + 'static>>>),
}

impl JoinError {
    pub(crate) fn cancelled(id: Id) -> JoinError {
        JoinError {
            repr: Repr::Cancelled,
            id,
        }
    }

    pub(crate) fn panic(id: Id, payload: Box<dyn Any + Send + 'static>) -> JoinError {
        JoinError {
            repr: Repr::Panic(Box::new(SyncWrapper::new(payload))),
            id,
        }
    }

    /// True if the task was cancelled.
    pub fn is_cancelled(&self) -> bool {
        matches!(self.repr, Repr::Cancelled)
    }

    /// True if the task panicked.
    pub fn is_panic(&self) -> bool {
        matches!(self.repr, Repr::Panic(_))
    }

    /// The panic payload, to resume the panic with
    /// `std::panic::resume_unwind`.
    ///
    /// # Panics
    ///
    /// Panics if the error is not a panic; see [`try_into_panic`](Self::try_into_panic).
    #[track_caller]
    pub fn into_panic(self) -> Box<dyn Any + Send + 'static> {
        self.try_into_panic()
            .expect("`JoinError::into_panic` called on a task that was cancelled, not panicked")
    }

    /// The panic payload, or the error back if the task was cancelled.
    pub fn try_into_panic(self) -> Result<Box<dyn Any + Send + 'static>, JoinError> {
        match self.repr {
            Repr::Panic(p) => Ok(p.into_inner()),
            Repr::Cancelled => Err(self),
        }
    }

    /// The id of the task that failed.
    pub fn id(&self) -> Id {
        self.id
    }
}

impl fmt::Display for JoinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.repr {
            Repr::Cancelled => write!(f, "task {} was cancelled", self.id),
            Repr::Panic(p) => match p.panic_message() {
                Some(msg) => write!(f, "task {} panicked with message {:?}", self.id, msg),
                None => write!(f, "task {} panicked", self.id),
            },
        }
    }
}

impl fmt::Debug for JoinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.repr {
            Repr::Cancelled => write!(f, "JoinError::Cancelled({:?})", self.id),
            Repr::Panic(p) => match p.panic_message() {
                Some(msg) => write!(f, "JoinError::Panic({:?}, {:?}, ..)", self.id, msg),
                None => write!(f, "JoinError::Panic({:?}, ..)", self.id),
            },
        }
    }
}

impl std::error::Error for JoinError {}

impl From<JoinError> for io::Error {
    fn from(src: JoinError) -> io::Error {
        io::Error::other(src.to_string())
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::JoinError;
    use std::mem::size_of;

    #[test]
    fn a_small_output_and_its_error_fit_in_two_words() {
        // Every task cell holds a `Result<T::Output, JoinError>`.
        assert_eq!(size_of::<JoinError>(), 16);
        assert_eq!(size_of::<Result<u64, JoinError>>(), 16);
    }

    #[test]
    fn a_panic_keeps_its_payload_and_message() {
        let id = crate::runtime::task::Id::next();
        let err = JoinError::panic(id, Box::new("boom"));
        assert!(err.is_panic() && !err.is_cancelled());
        assert!(err.to_string().contains("\"boom\""), "{err}");
        assert_eq!(*err.into_panic().downcast::<&str>().unwrap(), "boom");
        let err = JoinError::cancelled(id);
        assert!(err.is_cancelled());
        assert!(err.try_into_panic().is_err());
    }
}
