//! One level of the wheel: 64 slot lists and their occupancy bitmap.
//!
//! Invariant: bit `s` of `occupied` is set if and only if slot `s`'s list is
//! non-empty. Each list is intrusive and doubly linked through the entries'
//! `Links`; `head` is the only pointer the level keeps.

use std::fmt;
use std::ptr::NonNull;

use crate::time::entry::TimerShared;

pub(crate) const SLOTS: usize = 64;
pub(crate) const SLOT_BITS: u32 = 6;

pub(crate) struct Level {
    /// Which level this is (0 = 1 ms slots).
    level: u8,
    occupied: u64,
    heads: [Option<NonNull<TimerShared>>; SLOTS],
}

/// The next slot of a level to expire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Expiration {
    pub(crate) level: u8,
    pub(crate) slot: u8,
    /// The tick at which the slot starts.
    pub(crate) deadline: u64,
}

impl Level {
    pub(crate) fn new(level: u8) -> Level {
        Level {
            level,
            occupied: 0,
            heads: [None; SLOTS],
        }
    }

    /// Ticks covered by one slot of this level.
    #[inline]
    pub(crate) fn slot_width(level: u8) -> u64 {
        1 << (SLOT_BITS * level as u32)
    }

    /// The slot a tick falls in at this level.
    #[inline]
    pub(crate) fn slot_for(level: u8, tick: u64) -> u8 {
        ((tick >> (SLOT_BITS * level as u32)) & (SLOTS as u64 - 1)) as u8
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.occupied == 0
    }

    /// The first occupied slot at or after `elapsed`'s slot (wheel rule 1).
    #[inline]
    pub(crate) fn next_expiration(&self, elapsed: u64) -> Option<Expiration> {
        if self.occupied == 0 {
            return None;
        }
        let width = Self::slot_width(self.level);
        let now_slot = Self::slot_for(self.level, elapsed);
        let dist = self.occupied.rotate_right(now_slot as u32).trailing_zeros() as u64;
        let slot = ((now_slot as u64 + dist) % SLOTS as u64) as u8;
        // Absolute index of elapsed's slot, plus the distance, times the width.
        let deadline = (elapsed / width + dist) * width;
        Some(Expiration {
            level: self.level,
            slot,
            deadline,
        })
    }

    /// Links `entry` at the head of `slot`.
    ///
    /// # Safety
    ///
    /// Driver lock held (entry rule 1); `entry` is alive and not linked.
    pub(crate) unsafe fn push(&mut self, slot: u8, entry: NonNull<TimerShared>) {
        let head = self.heads[slot as usize];
        // SAFETY: lock held and entry alive (caller).
        unsafe {
            let e = entry.as_ref();
            e.set_prev(None);
            e.set_next(head);
            e.set_position(self.level, slot);
        }
        if let Some(head) = head {
            // SAFETY: linked entries are alive (entry rule 5), lock held.
            unsafe { head.as_ref().set_prev(Some(entry)) };
        }
        self.heads[slot as usize] = Some(entry);
        self.occupied |= 1 << slot;
    }

    /// Unlinks `entry` from `slot`.
    ///
    /// # Safety
    ///
    /// Driver lock held; `entry` is linked in `slot` of this level.
    pub(crate) unsafe fn remove(&mut self, slot: u8, entry: NonNull<TimerShared>) {
        // SAFETY: lock held, entry linked hence alive (caller).
        let (prev, next) = unsafe {
            let e = entry.as_ref();
            debug_assert_eq!(e.position(), (self.level, slot));
            let links = e.links();
            e.set_prev(None);
            e.set_next(None);
            links
        };
        match prev {
            // SAFETY: neighbours in the list are linked, hence alive.
            Some(prev) => unsafe { prev.as_ref().set_next(next) },
            None => {
                debug_assert_eq!(self.heads[slot as usize], Some(entry));
                self.heads[slot as usize] = next;
            }
        }
        if let Some(next) = next {
            // SAFETY: as above.
            unsafe { next.as_ref().set_prev(prev) };
        }
        if self.heads[slot as usize].is_none() {
            self.occupied &= !(1 << slot);
        }
    }

    /// Unlinks and returns the head of `slot`.
    ///
    /// # Safety
    ///
    /// Driver lock held.
    pub(crate) unsafe fn pop(&mut self, slot: u8) -> Option<NonNull<TimerShared>> {
        let head = self.heads[slot as usize]?;
        // SAFETY: lock held (caller); `head` is linked in `slot`.
        unsafe { self.remove(slot, head) };
        Some(head)
    }

    /// Unlinks and returns any entry of this level.
    ///
    /// # Safety
    ///
    /// Driver lock held.
    pub(crate) unsafe fn pop_any(&mut self) -> Option<NonNull<TimerShared>> {
        if self.occupied == 0 {
            return None;
        }
        let slot = self.occupied.trailing_zeros() as u8;
        // SAFETY: lock held (caller).
        unsafe { self.pop(slot) }
    }
}

impl fmt::Debug for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Level")
            .field("level", &self.level)
            .field("occupied", &format_args!("{:#018x}", self.occupied))
            .finish()
    }
}
