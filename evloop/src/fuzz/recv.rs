//! The receiver side of the mpsc targets: one model for the bounded and
//! the unbounded `Receiver`, which behave alike once a message is queued.
//!
//! The target says when the channel has ended (`ended`: the receiver sees
//! the end once the queue is empty), since that depends on its senders;
//! everything else (the queue of ids, whether the receiver closed, the
//! waker of a waiting `poll_recv`) lives here.

use std::collections::VecDeque;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use super::support::{Flag, Tracked, Tracker};
use crate::sync::mpsc::error::TryRecvError;
use crate::sync::mpsc::{Receiver, UnboundedReceiver};

/// What the model calls on either kind of mpsc receiver.
pub(crate) trait MpscRx {
    fn try_recv(&mut self) -> Result<Tracked, TryRecvError>;
    fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<Tracked>>;
    fn close(&mut self);
    fn len(&self) -> usize;
    fn is_closed(&self) -> bool;
}

macro_rules! impl_mpsc_rx {
    ($rx:ident) => {
        impl MpscRx for $rx<Tracked> {
            fn try_recv(&mut self) -> Result<Tracked, TryRecvError> {
                $rx::try_recv(self)
            }
            fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<Tracked>> {
                $rx::poll_recv(self, cx)
            }
            fn close(&mut self) {
                $rx::close(self)
            }
            fn len(&self) -> usize {
                $rx::len(self)
            }
            fn is_closed(&self) -> bool {
                $rx::is_closed(self)
            }
        }
    };
}

impl_mpsc_rx!(Receiver);
impl_mpsc_rx!(UnboundedReceiver);

/// The receiver, and the model of what it should see.
pub(crate) struct RecvModel<R> {
    tracker: Tracker,
    /// `None` once the receiver dropped
    pub(crate) rx: Option<R>,
    /// model: ids in the channel, oldest first
    pub(crate) queue: VecDeque<u64>,
    /// model: `close` was called or the receiver dropped
    pub(crate) closed: bool,
    /// the waker of a receive that returned `Pending`
    pub(crate) waiting: Option<Arc<Flag>>,
}

impl<R: MpscRx> RecvModel<R> {
    pub(crate) fn new(rx: R, tracker: Tracker) -> RecvModel<R> {
        RecvModel {
            tracker,
            rx: Some(rx),
            queue: VecDeque::new(),
            closed: false,
            waiting: None,
        }
    }

    pub(crate) fn assert_dropped(&self, id: u64) {
        assert_eq!(self.tracker.drops(id), 1, "message {id} not dropped once");
    }

    /// Checks that `v` is the oldest queued message, then drops it.
    pub(crate) fn received(&mut self, v: Tracked) {
        let want = self.queue.pop_front();
        assert_eq!(Some(v.id), want, "received out of order");
        let id = v.id;
        drop(v);
        self.assert_dropped(id);
    }

    pub(crate) fn try_recv(&mut self, ended: bool) {
        let Some(rx) = self.rx.as_mut() else { return };
        match rx.try_recv() {
            Ok(v) => self.received(v),
            Err(TryRecvError::Empty) => {
                assert!(self.queue.is_empty() && !ended, "try_recv: Empty")
            }
            Err(TryRecvError::Disconnected) => {
                assert!(self.queue.is_empty() && ended, "try_recv: Disconnected")
            }
        }
    }

    pub(crate) fn poll_recv(&mut self, ended: bool) {
        let Some(rx) = self.rx.as_mut() else { return };
        let flag = Flag::new();
        let waker = Waker::from(flag.clone());
        match rx.poll_recv(&mut Context::from_waker(&waker)) {
            Poll::Ready(Some(v)) => self.received(v),
            Poll::Ready(None) => {
                assert!(self.queue.is_empty() && ended, "recv: None")
            }
            Poll::Pending => {
                assert!(self.queue.is_empty() && !ended, "recv: Pending");
                self.waiting = Some(flag);
            }
        }
    }

    pub(crate) fn close(&mut self) {
        if let Some(rx) = self.rx.as_mut() {
            rx.close();
            self.closed = true;
            // The receiver's own task closes it: no wake owed.
            self.waiting = None;
        }
    }

    /// Drops the receiver: every queued message is dropped with it, and
    /// the waker of a waiting receive is let go.
    pub(crate) fn drop_receiver(&mut self) {
        let Some(rx) = self.rx.take() else { return };
        drop(rx);
        self.closed = true;
        for id in std::mem::take(&mut self.queue) {
            self.assert_dropped(id);
        }
        if let Some(flag) = self.waiting.take() {
            assert_eq!(
                Arc::strong_count(&flag),
                1,
                "a dropped receiver's waker is kept"
            );
        }
    }

    /// After a step: a waiting receive was woken once a message came or
    /// the channel ended, and `len` / `is_closed` match the model.
    pub(crate) fn check(&mut self, ended: bool) {
        if let Some(flag) = &self.waiting {
            if !self.queue.is_empty() || ended {
                assert!(flag.is_set(), "a waiting recv was not woken (lost wake)");
                self.waiting = None;
            }
        }
        if let Some(rx) = &self.rx {
            assert_eq!(rx.len(), self.queue.len(), "len");
            assert_eq!(rx.is_closed(), ended || self.closed, "Receiver::is_closed");
        }
    }
}
