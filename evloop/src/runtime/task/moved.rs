//! A value handed down by pointer, so that it is copied once.
//!
//! A future passed by value through `spawn` → scheduler → owned list →
//! cell constructor is moved at each level, and a move of a large value is a
//! `memcpy` the optimiser cannot always remove: a 160-byte future spawned on
//! a runtime was copied seven times before reaching its cell (a tenth of a
//! million-task spawn loop's time). [`moved!`] parks the value in the
//! caller's frame and hands a [`Moved`] down instead: a pointer that owns
//! the value. The cell constructor copies it once, into the heap; if the
//! spawn fails or panics first, dropping the `Moved` drops the value where
//! it is.

use std::mem::ManuallyDrop;

/// Owns a value that still lives in the frame of the function that created
/// it with [`moved!`].
pub(crate) struct Moved<'a, T> {
    slot: &'a mut ManuallyDrop<T>,
}

impl<'a, T> Moved<'a, T> {
    /// # Safety
    ///
    /// Nothing reads or drops `slot`'s value after this call: the `Moved`
    /// owns it. (`moved!` guarantees this: its slot has no name the caller
    /// can use.)
    #[inline(always)]
    pub(crate) unsafe fn new(slot: &'a mut ManuallyDrop<T>) -> Moved<'a, T> {
        Moved { slot }
    }

    /// Takes the value out (one copy).
    #[inline(always)]
    pub(crate) fn into_inner(self) -> T {
        let mut this = ManuallyDrop::new(self);
        // SAFETY: `this` is never dropped, so the value is taken exactly
        // once, and nothing else reads the slot (`new`).
        unsafe { ManuallyDrop::take(this.slot) }
    }
}

impl<T> Drop for Moved<'_, T> {
    fn drop(&mut self) {
        // SAFETY: the value was not taken (`into_inner` forgets `self`), and
        // only this `Moved` owns it.
        unsafe { ManuallyDrop::drop(self.slot) }
    }
}

/// `moved!(x)` rebinds the local `x` as a [`Moved`] owning its value.
macro_rules! moved {
    ($name:ident) => {
        let mut slot = ::std::mem::ManuallyDrop::new($name);
        // SAFETY: `slot` is hygienic: no code outside this macro can name
        // it, so nothing reads or drops its value but the `Moved`.
        let $name = unsafe { $crate::runtime::task::moved::Moved::new(&mut slot) };
    };
}
pub(crate) use moved;

#[cfg(all(test, not(loom)))]
mod tests {
    use std::cell::Cell;
    use std::rc::Rc;

    struct CountsDrops(Rc<Cell<u32>>);

    impl Drop for CountsDrops {
        fn drop(&mut self) {
            self.0.set(self.0.get() + 1);
        }
    }

    #[test]
    fn dropping_a_moved_drops_its_value_once() {
        let drops = Rc::new(Cell::new(0));
        let value = CountsDrops(drops.clone());
        {
            moved!(value);
            drop(value);
        }
        assert_eq!(drops.get(), 1);
    }

    #[test]
    fn into_inner_hands_the_value_over_without_dropping_it() {
        let drops = Rc::new(Cell::new(0));
        let value = (CountsDrops(drops.clone()), [7u8; 200]);
        let taken = {
            moved!(value);
            value.into_inner()
        };
        assert_eq!(drops.get(), 0, "taken out, not dropped");
        assert_eq!(taken.1, [7u8; 200]);
        drop(taken);
        assert_eq!(drops.get(), 1);
    }

    #[test]
    fn a_spawn_without_a_runtime_drops_the_future_once() {
        use std::sync::atomic::{AtomicU32, Ordering};
        use std::sync::Arc;

        struct Flag(Arc<AtomicU32>);
        impl Drop for Flag {
            fn drop(&mut self) {
                self.0.fetch_add(1, Ordering::Relaxed);
            }
        }
        let drops = Arc::new(AtomicU32::new(0));
        let held = Flag(drops.clone());
        let err = crate::task::Builder::new()
            .spawn(async move {
                let _held = held;
            })
            .unwrap_err();
        assert!(err.to_string().contains("runtime"), "{err}");
        assert_eq!(drops.load(Ordering::Relaxed), 1);
    }
}
