//! `AtomicWaker`: one waker slot that one task registers in and any thread
//! takes or wakes, without a lock. Used by timer entries (the driver takes
//! the waker after marking the entry fired) and by channels (the sender wakes
//! the receiver).
//!
//! The protocol runs on a state byte and a slot ([`Split`]), which need not
//! be side by side: a timer entry keeps the state byte among its other small
//! fields, where it costs no word of its own ([`WakerSlot`] + `AtomicU8`);
//! [`AtomicWaker`] is the two together.
//!
//! # Rules
//!
//! `state` holds three bits: `REGISTERING` and `TAKING` (somebody owns the
//! slot) and `WAKER` (the slot holds a waker); `WAITING` is none of the
//! first two.
//!
//! 1. Only one thread registers at a time (the owner of the waiting future
//!    registers through `&mut`/`Pin<&mut>` of it, so this holds by
//!    construction).
//! 2. `slot` is accessed only by the thread that set `REGISTERING` or
//!    `TAKING` in a state that had neither: that CAS/fetch_or is the lock.
//!    `WAKER` changes only while that lock is held (or in `set_unshared` and
//!    `take_unshared`, which have the cell to themselves),
//!    and is set exactly when the slot holds a waker.
//! 3. Registrant steps: (a) CAS in `REGISTERING` (Acquire); if it fails
//!    because a taker holds `TAKING`, wake the new waker directly and stop;
//!    (b) store the waker; (c) CAS `REGISTERING` out and `WAKER` in
//!    (AcqRel). If (c) fails, a taker arrived meanwhile (it set `TAKING` and
//!    left the slot alone, rule 2): take the waker back out, reset the state
//!    to empty, and wake it.
//! 4. Taker steps: `fetch_or(TAKING)` (AcqRel). If the previous state had
//!    neither `REGISTERING` nor `TAKING`, the taker owns the slot: move the
//!    waker out, then clear `TAKING` and `WAKER` (Release). Otherwise a
//!    registrant (or another taker) is inside and will see `TAKING` and do
//!    the wake itself (rule 3c).
//! 5. The caller publishes its condition ("the timer fired", "a message was
//!    sent") *before* calling `take`/`wake`, and the registrant checks the
//!    condition *after* `register`: then either the taker gets the new
//!    waker, or the registrant sees the condition, so a wake is never lost.
//! 6. [`AtomicWaker::wake_if_registered`] first only *reads* the state and
//!    stops if it is empty (no waker, nobody inside), so a busy sender does
//!    not write the cache line the waiting side reads. Reading is not an
//!    RMW, so rule 5 alone does not cover it; both sides add a
//!    `fence(SeqCst)`: the caller between publishing its condition and the
//!    read that decides to skip (inside `wake_if_registered`; a first read
//!    that finds the state busy goes straight to the RMW path, which rule 5
//!    covers), the registrant between `register`
//!    and re-checking the condition ([`AtomicWaker::register_fenced`]). Of
//!    the two fences, whichever comes second in the fences' total order
//!    sees the other side's write: the read sees `WAKER` (or a later take,
//!    which woke the task), or the registrant's re-check sees the
//!    condition.
//!
//! Clearing `TAKING` must be a read-modify-write (`fetch_and`), although only
//! `TAKING` can be set at that point: a second taker that found `TAKING` set
//! relies on it. Its `fetch_or` heads a release sequence that the clearing
//! RMW continues, so the registration that next reads the state (acquire)
//! also sees what the second taker published before taking. A plain store
//! would end that sequence and lose the second wake
//! (`loom_two_wakes_vs_register`).

use std::fmt;
use std::task::Waker;

use crate::loom::cell::UnsafeCell;
use crate::loom::sync::atomic::Ordering::{AcqRel, Acquire, Relaxed, Release, SeqCst};
use crate::loom::sync::atomic::{fence, AtomicU8};

/// The state byte of an empty slot that nobody is inside.
pub(crate) const WAITING: u8 = 0;
const REGISTERING: u8 = 0b001;
const TAKING: u8 = 0b010;
/// The slot holds a waker (rule 2).
const WAKER: u8 = 0b100;
/// Somebody owns the slot.
const LOCKED: u8 = REGISTERING | TAKING;

/// The waker slot, without its state byte.
pub(crate) struct WakerSlot(UnsafeCell<Option<Waker>>);

// SAFETY: the slot is only accessed by the thread that won its state byte
// (rule 2), and `Waker` is Send + Sync.
unsafe impl Send for WakerSlot {}
// SAFETY: as above (rule 2).
unsafe impl Sync for WakerSlot {}

impl WakerSlot {
    /// An empty slot, for constant initialisers.
    #[cfg(not(loom))]
    #[allow(clippy::declare_interior_mutable_const)] // a template, copied on use
    pub(crate) const EMPTY: WakerSlot = WakerSlot(UnsafeCell::new(None));

    pub(crate) fn new() -> WakerSlot {
        WakerSlot(UnsafeCell::new(None))
    }
}

/// A state byte and a slot, used together through the protocol. Every
/// access to the slot goes through one `Split` of the same state byte.
#[derive(Clone, Copy)]
pub(crate) struct Split<'a> {
    state: &'a AtomicU8,
    slot: &'a WakerSlot,
}

impl<'a> Split<'a> {
    /// # Safety
    ///
    /// `state` is the state byte of `slot`, and no code accesses `slot`
    /// except through a `Split` with this `state`.
    #[inline]
    pub(crate) unsafe fn new(state: &'a AtomicU8, slot: &'a WakerSlot) -> Split<'a> {
        Split { state, slot }
    }
}

pub(crate) struct AtomicWaker {
    state: AtomicU8,
    slot: WakerSlot,
}

impl AtomicWaker {
    pub(crate) fn new() -> AtomicWaker {
        AtomicWaker {
            state: AtomicU8::new(WAITING),
            slot: WakerSlot::new(),
        }
    }

    #[inline]
    fn split(&self) -> Split<'_> {
        // SAFETY: the slot is private to this struct and reached only here.
        unsafe { Split::new(&self.state, &self.slot) }
    }

    /// See [`Split::register`]. (Users register with a fence; the loom
    /// models drive the bare protocol.)
    #[cfg(all(test, loom))]
    pub(crate) fn register(&self, waker: &Waker) {
        self.split().register(waker);
    }

    /// See [`Split::register_fenced`].
    pub(crate) fn register_fenced(&self, waker: &Waker) {
        self.split().register_fenced(waker);
    }

    /// See [`Split::take`].
    pub(crate) fn take(&self) -> Option<Waker> {
        self.split().take()
    }

    /// See [`Split::wake`].
    pub(crate) fn wake(&self) {
        self.split().wake();
    }

    /// See [`Split::wake_if_registered`].
    #[inline]
    pub(crate) fn wake_if_registered(&self) {
        self.split().wake_if_registered();
    }
}

impl Split<'_> {
    /// Stores `waker` (or keeps the stored one if it would wake the same
    /// task). Only one thread may call this at a time (rule 1).
    pub(crate) fn register(self, waker: &Waker) {
        // Rule 3a. The state is usually empty here (the last take cleared
        // it), so try that first rather than read it.
        let mut cur = WAITING;
        loop {
            if cur & LOCKED != 0 {
                // A taker is inside (rule 1 excludes a second registrant):
                // it may have missed this waker, so wake it ourselves. The
                // caller will be polled again at once; hint that we are
                // spinning on another thread.
                crate::loom::spin_loop();
                waker.wake_by_ref();
                return;
            }
            match self
                .state
                .compare_exchange(cur, cur | REGISTERING, Acquire, Acquire)
            {
                Ok(_) => break,
                Err(actual) => cur = actual,
            }
        }

        // Rule 3b.
        // SAFETY: rule 2 — our successful CAS gives us the slot.
        let old = self.slot.0.with_mut(|slot| unsafe {
            match &*slot {
                Some(w) if w.will_wake(waker) => None,
                _ => (*slot).replace(waker.clone()),
            }
        });

        // Rule 3c. Nobody but a taker changes the state while we hold
        // `REGISTERING` (rule 2), and a taker only adds `TAKING`.
        if let Err(actual) = self
            .state
            .compare_exchange(cur | REGISTERING, WAKER, AcqRel, Acquire)
        {
            debug_assert_eq!(actual, cur | REGISTERING | TAKING);
            // SAFETY: rule 2 — the taker saw REGISTERING and left the slot to
            // us; we still own it until the swap below.
            let w = self.slot.0.with_mut(|slot| unsafe { (*slot).take() });
            self.state.swap(WAITING, AcqRel);
            drop(old);
            if let Some(w) = w {
                w.wake();
            }
            return;
        }
        // The old waker is dropped outside the protocol: its drop may run
        // arbitrary code.
        drop(old);
    }

    /// `register`, then the registrant's fence of rule 6: pairs with
    /// [`wake_if_registered`](Self::wake_if_registered). The caller re-checks
    /// its condition after this returns.
    pub(crate) fn register_fenced(self, waker: &Waker) {
        self.register(waker);
        fence(SeqCst);
    }

    /// Stores `waker` (owned: the caller cloned or recycled it) without the
    /// protocol: for a cell no other thread can reach yet.
    ///
    /// # Safety
    ///
    /// No other thread accesses this cell until the caller publishes it with
    /// a `Release` store (or stronger) that the next accessor acquires.
    #[inline]
    pub(crate) unsafe fn set_unshared(self, waker: Waker) {
        // SAFETY: exclusive access (caller); the state word stays WAITING.
        let old = self
            .slot
            .0
            .with_mut(|slot| unsafe { (*slot).replace(waker) });
        // Rule 2: the slot holds a waker; published with the cell.
        self.state.store(WAKER, Relaxed);
        drop(old);
    }

    /// Moves the stored waker out without the protocol: for a cell no other
    /// thread can reach any more.
    ///
    /// # Safety
    ///
    /// No other thread accesses the state byte or the slot any more, and
    /// nothing else on this one meanwhile.
    #[inline]
    pub(crate) unsafe fn take_unshared(self) -> Option<Waker> {
        // SAFETY: exclusive access (caller).
        let w = self.slot.0.with_mut(|slot| unsafe { (*slot).take() });
        self.state.store(WAITING, Relaxed);
        w
    }

    /// Moves the stored waker out, if the slot is free (rule 4). The caller
    /// must have published its condition before calling (rule 5).
    pub(crate) fn take(self) -> Option<Waker> {
        if self.state.fetch_or(TAKING, AcqRel) & LOCKED != 0 {
            // A registrant is inside and will wake (rule 3c), or another
            // taker owns the slot.
            return None;
        }
        // SAFETY: rule 2 — the fetch_or set TAKING in a state that had
        // neither lock bit, so this thread owns the slot until TAKING is
        // cleared.
        let w = self.slot.0.with_mut(|slot| unsafe { (*slot).take() });
        // An RMW, not a store (see the module docs).
        self.state.fetch_and(!(TAKING | WAKER), Release);
        w
    }
}

impl Split<'_> {
    /// Wakes the registered waker, if the slot is free (rule 4). The caller
    /// must have published its condition before calling (rule 5).
    pub(crate) fn wake(self) {
        if let Some(w) = self.take() {
            w.wake();
        }
    }

    /// Like [`wake`](Self::wake), but returns at once, without writing the
    /// state, if no waker is stored and nobody is inside (rule 6). The
    /// registrant must use [`register_fenced`](Self::register_fenced).
    #[inline]
    pub(crate) fn wake_if_registered(self) {
        // A state that is not empty needs the RMW path anyway, which rule 5
        // covers without a fence; only "empty" must be confirmed after it.
        if self.state.load(Relaxed) == WAITING {
            fence(SeqCst);
            if self.state.load(Relaxed) == WAITING {
                return;
            }
        }
        self.wake();
    }
}

impl fmt::Debug for AtomicWaker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AtomicWaker").finish_non_exhaustive()
    }
}

#[cfg(all(test, loom))]
mod loom_tests {
    use super::*;
    use crate::loom::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
    use crate::loom::sync::Arc;
    use crate::loom::thread;
    use std::future::poll_fn;
    use std::task::{Poll, Wake};

    struct Counter(AtomicUsize);
    impl Wake for Counter {
        fn wake(self: std::sync::Arc<Self>) {
            self.0.fetch_add(1, SeqCst);
        }
    }

    /// A take racing a register never loses the wake (rule 5).
    #[test]
    fn loom_register_races_take() {
        loom::model(|| {
            let aw = Arc::new(AtomicWaker::new());
            let done = Arc::new(AtomicBool::new(false));
            let counter = std::sync::Arc::new(Counter(AtomicUsize::new(0)));
            let waker = Waker::from(counter.clone());

            let th = {
                let aw = aw.clone();
                let done = done.clone();
                thread::spawn(move || {
                    done.store(true, SeqCst);
                    if let Some(w) = aw.take() {
                        w.wake();
                    }
                })
            };

            aw.register(&waker);
            let seen = done.load(SeqCst);
            th.join().unwrap();
            assert!(seen || counter.0.load(SeqCst) >= 1, "wake lost");
        });
    }

    #[test]
    fn loom_register_vs_wake() {
        loom::model(|| {
            let w = Arc::new(AtomicWaker::new());
            let flag = Arc::new(AtomicBool::new(false));
            let (w2, f2) = (w.clone(), flag.clone());
            let th = thread::spawn(move || {
                f2.store(true, Release);
                w2.wake();
            });
            loom::future::block_on(poll_fn(|cx| {
                if flag.load(Acquire) {
                    return Poll::Ready(());
                }
                w.register(cx.waker());
                if flag.load(Acquire) {
                    Poll::Ready(())
                } else {
                    Poll::Pending
                }
            }));
            th.join().unwrap();
        });
    }

    /// Two threads each set their flag and wake `w` with `wake`, against a
    /// task that registers with `register` after each wake-up and re-checks
    /// the flags: the task must see both flags.
    fn two_wakers_vs_reregistering_task(
        wake: fn(&AtomicWaker),
        register: fn(&AtomicWaker, &std::task::Waker),
    ) {
        loom::model(move || {
            let w = Arc::new(AtomicWaker::new());
            let flags = Arc::new([AtomicBool::new(false), AtomicBool::new(false)]);
            let ths: Vec<_> = (0..2)
                .map(|i| {
                    let (w, flags) = (w.clone(), flags.clone());
                    thread::spawn(move || {
                        flags[i].store(true, Release);
                        wake(&w);
                    })
                })
                .collect();
            loom::future::block_on(poll_fn(|cx| {
                let done = || flags.iter().all(|f| f.load(Acquire));
                if done() {
                    return Poll::Ready(());
                }
                register(&w, cx.waker());
                if done() {
                    Poll::Ready(())
                } else {
                    Poll::Pending
                }
            }));
            for th in ths {
                th.join().unwrap();
            }
        });
    }

    #[test]
    fn loom_two_wakes_vs_register() {
        // The wake that finds another in progress relies on that one's
        // clearing RMW to publish its flag (see the module docs).
        two_wakers_vs_reregistering_task(AtomicWaker::wake, AtomicWaker::register);
    }

    #[test]
    fn loom_wake_if_registered_vs_register_fenced() {
        // Rule 6: wakers that only read the state when it looks empty; a
        // wake read as "nobody registered" must be one the task's re-check
        // sees.
        two_wakers_vs_reregistering_task(
            AtomicWaker::wake_if_registered,
            AtomicWaker::register_fenced,
        );
    }
}
