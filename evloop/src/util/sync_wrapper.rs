//! `SyncWrapper`: a `Send` value made `Sync` by giving shared references no
//! access to it.

use std::any::Any;

/// Makes a `Send` value `Sync` by allowing access only through `&mut self`
/// or by value: a shared reference to the wrapper gives no access to the
/// inner value, so sharing it across threads cannot race.
pub(crate) struct SyncWrapper<T> {
    value: T,
}

// SAFETY: a `&SyncWrapper<T>` gives access to nothing of `T` except through
// `panic_message`, which only hands out `&str` (a `Sync` type) after a
// downcast.
unsafe impl<T: Send> Sync for SyncWrapper<T> {}

impl<T> SyncWrapper<T> {
    pub(crate) fn new(value: T) -> SyncWrapper<T> {
        SyncWrapper { value }
    }

    pub(crate) fn into_inner(self) -> T {
        self.value
    }
}

impl SyncWrapper<Box<dyn Any + Send>> {
    /// The message of a panic payload, if it is a string.
    pub(crate) fn panic_message(&self) -> Option<&str> {
        let payload = &*self.value;
        payload
            .downcast_ref::<&'static str>()
            .copied()
            .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
    }
}
