use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;
use std::thread;

use super::*;
use crate::runtime::scheduler::multi_thread::inject::Inject;

fn item(n: usize) -> Box<usize> {
    Box::new(n)
}

#[test]
fn fifo_push_pop() {
    let (_steal, mut local) = local::<Box<usize>>();
    let inject = Inject::new();
    for i in 0..10 {
        local.push_back_or_overflow(item(i), &inject);
    }
    assert_eq!(local.len(), 10);
    for i in 0..10 {
        assert_eq!(*local.pop().unwrap(), i);
    }
    assert!(local.pop().is_none());
    assert!(inject.is_empty());
}

#[test]
fn full_ring_moves_half_plus_one_to_overflow() {
    let (_steal, mut local) = local::<Box<usize>>();
    let inject = Inject::new();
    for i in 0..=CAPACITY {
        local.push_back_or_overflow(item(i), &inject);
    }
    assert_eq!(inject.len(), CAPACITY / 2 + 1);
    assert_eq!(local.len(), CAPACITY / 2);
    // The oldest half went, in order, followed by the new item.
    let moved: Vec<usize> = inject.pop_n(usize::MAX).map(|b| *b).collect();
    let mut expected: Vec<usize> = (0..CAPACITY / 2).collect();
    expected.push(CAPACITY);
    assert_eq!(moved, expected);
    assert_eq!(*local.pop().unwrap(), CAPACITY / 2);
    // Indices keep working across many wraps of the ring.
    for round in 0..10 * CAPACITY {
        local.push_back_or_overflow(item(round), &inject);
        local.pop().unwrap();
    }
}

#[test]
fn lifo_slot_displaces_and_is_stolen_only_when_ring_empty() {
    let (steal, mut local) = local::<Box<usize>>();
    let inject = Inject::new();
    assert!(local.push_lifo(item(1)).is_none());
    let displaced = local.push_lifo(item(2)).unwrap();
    assert_eq!(*displaced, 1);
    local.push_back_or_overflow(displaced, &inject);
    assert!(!steal.is_empty());

    let (_s2, mut thief) = super::local::<Box<usize>>();
    // The ring is not empty: the thief takes from the ring.
    assert_eq!(*steal.steal_into(&mut thief).unwrap(), 1);
    // Now it is: the thief takes the LIFO slot.
    assert_eq!(*steal.steal_into(&mut thief).unwrap(), 2);
    assert!(local.take_lifo().is_none());
    assert!(steal.is_empty());
    assert!(steal.steal_into(&mut thief).is_none());
}

#[test]
fn steal_takes_half_rounded_up() {
    let (steal, mut local) = local::<Box<usize>>();
    let inject = Inject::new();
    for i in 0..7 {
        local.push_back_or_overflow(item(i), &inject);
    }
    let (_s2, mut thief) = super::local::<Box<usize>>();
    // 4 stolen: items 0..4; the last one is returned, three are queued.
    assert_eq!(*steal.steal_into(&mut thief).unwrap(), 3);
    assert_eq!(thief.len(), 3);
    assert_eq!(local.len(), 3);
    assert_eq!(*thief.pop().unwrap(), 0);
    assert_eq!(*local.pop().unwrap(), 4);
}

#[test]
fn dropping_the_queue_drops_its_items() {
    let (steal, mut local) = local::<Arc<()>>();
    // `Arc<()>` is a pointer too; count references to check the drops.
    let probe = Arc::new(());
    let inject = Inject::new();
    for _ in 0..5 {
        local.push_back_or_overflow(probe.clone(), &inject);
    }
    local.push_lifo(probe.clone());
    assert_eq!(Arc::strong_count(&probe), 7);
    drop(local);
    assert_eq!(Arc::strong_count(&probe), 7, "a thief end keeps them alive");
    drop(steal);
    assert_eq!(Arc::strong_count(&probe), 1);
}

// SAFETY: `Arc::into_raw` / `Arc::from_raw` round-trip; the raw pointer
// carries the reference it was made from.
unsafe impl<T> Pointer for Arc<T> {
    fn into_raw(self) -> NonNull<()> {
        NonNull::new(Arc::into_raw(self) as *mut ()).expect("Arc is non-null")
    }

    unsafe fn from_raw(ptr: NonNull<()>) -> Self {
        // SAFETY: the caller guarantees `ptr` came from `into_raw` above.
        unsafe { Arc::from_raw(ptr.as_ptr() as *const T) }
    }
}

/// The owner pushes (overflowing into the inject queue), uses the LIFO slot
/// and pops, while several thieves steal in a loop and run what they steal.
/// Every item must be seen exactly once.
#[test]
fn stress_many_thieves_every_item_exactly_once() {
    const ITEMS: usize = 200_000;
    const THIEVES: usize = 3;

    let seen: Arc<Vec<AtomicUsize>> = Arc::new((0..ITEMS).map(|_| AtomicUsize::new(0)).collect());
    let inject = Arc::new(Inject::<Box<usize>>::new());
    let done = Arc::new(AtomicBool::new(false));
    let (steal, mut local) = local::<Box<usize>>();

    let thieves: Vec<_> = (0..THIEVES)
        .map(|_| {
            let steal = steal.clone();
            let seen = seen.clone();
            let done = done.clone();
            let inject = inject.clone();
            thread::spawn(move || {
                let (_mine, mut local) = super::local::<Box<usize>>();
                loop {
                    let finished = done.load(SeqCst);
                    let mut got = false;
                    while let Some(i) = steal.steal_into(&mut local) {
                        seen[*i].fetch_add(1, SeqCst);
                        got = true;
                        while let Some(i) = local.pop() {
                            seen[*i].fetch_add(1, SeqCst);
                        }
                    }
                    while let Some(i) = inject.pop() {
                        seen[*i].fetch_add(1, SeqCst);
                        got = true;
                    }
                    if finished && !got {
                        break;
                    }
                    std::hint::spin_loop();
                }
            })
        })
        .collect();

    for i in 0..ITEMS {
        if i % 5 == 0 {
            if let Some(prev) = local.push_lifo(item(i)) {
                local.push_back_or_overflow(prev, &*inject);
            }
        } else {
            local.push_back_or_overflow(item(i), &*inject);
        }
        if i % 3 == 0 {
            if let Some(i) = local.take_lifo().or_else(|| local.pop()) {
                seen[*i].fetch_add(1, SeqCst);
            }
        }
    }
    while let Some(i) = local.take_lifo().or_else(|| local.pop()) {
        seen[*i].fetch_add(1, SeqCst);
    }
    done.store(true, SeqCst);
    for t in thieves {
        t.join().unwrap();
    }
    while let Some(i) = inject.pop() {
        seen[*i].fetch_add(1, SeqCst);
    }
    for (i, n) in seen.iter().enumerate() {
        assert_eq!(n.load(SeqCst), 1, "item {i}");
    }
}

#[test]
fn patient_steal_takes_the_lifo_task_only_on_the_second_look() {
    let (steal, mut local) = local::<Box<usize>>();
    let (_s2, mut thief) = super::local::<Box<usize>>();
    let mut seen = 0;
    assert!(steal.steal_into_patient(&mut thief, &mut seen).is_none());
    assert!(local.push_lifo(item(1)).is_none());
    // First look: recorded, not taken.
    assert!(steal.steal_into_patient(&mut thief, &mut seen).is_none());
    // The owner ran it and a new task took the slot: still not taken.
    // (Keep the first alive so the second cannot reuse its address.)
    let first = local.take_lifo().unwrap();
    assert_eq!(*first, 1);
    assert!(local.push_lifo(item(2)).is_none());
    assert!(steal.steal_into_patient(&mut thief, &mut seen).is_none());
    // Same task on the next look: stranded, taken.
    assert_eq!(*steal.steal_into_patient(&mut thief, &mut seen).unwrap(), 2);
    assert!(local.take_lifo().is_none());
    // The ring still goes first, without waiting.
    local.push_back_or_overflow(item(3), &Inject::new());
    assert!(local.push_lifo(item(4)).is_none());
    assert_eq!(*steal.steal_into_patient(&mut thief, &mut seen).unwrap(), 3);
}
