use super::*;
use crate::loom::thread;
use crate::runtime::scheduler::multi_thread::inject::Inject;

fn drain(local: &mut Local<Box<usize>>, out: &mut Vec<usize>) {
    while let Some(i) = local.take_lifo().or_else(|| local.pop()) {
        out.push(*i);
    }
}

/// The owner pushes past capacity (so half the ring overflows) and pops,
/// while a thief steals into its own queue. Nothing is lost or duplicated.
#[test]
fn loom_queue_push_pop_vs_steal() {
    crate::loom::model(|| {
        let (steal, mut local) = local::<Box<usize>>();
        let inject = Arc::new(Inject::new());
        // Fill the ring so the thief has something to take from the start.
        for i in 0..CAPACITY {
            local.push_back_or_overflow(Box::new(i), &*inject);
        }

        let thief = thread::spawn(move || {
            let (_s, mut mine) = super::local::<Box<usize>>();
            let mut got = Vec::new();
            if let Some(i) = steal.steal_into(&mut mine) {
                got.push(*i);
            }
            drain(&mut mine, &mut got);
            got
        });

        let mut got = Vec::new();
        // Pushing past capacity overflows unless the thief made room.
        local.push_back_or_overflow(Box::new(CAPACITY), &*inject);
        if let Some(i) = local.pop() {
            got.push(*i);
        }
        local.push_back_or_overflow(Box::new(CAPACITY + 1), &*inject);

        got.extend(thief.join().unwrap());
        drain(&mut local, &mut got);
        got.extend(inject.pop_n(usize::MAX).map(|b| *b));
        got.sort_unstable();
        assert_eq!(got, (0..CAPACITY + 2).collect::<Vec<_>>());
    });
}

/// A thief takes the LIFO slot of an empty ring while the owner takes it
/// back or replaces it: each item is taken exactly once.
#[test]
fn loom_queue_lifo_steal_vs_owner_take() {
    crate::loom::model(|| {
        let (steal, mut local) = local::<Box<usize>>();
        let inject = Arc::new(Inject::new());
        assert!(local.push_lifo(Box::new(0)).is_none());

        let thief = thread::spawn(move || {
            let (_s, mut mine) = super::local::<Box<usize>>();
            let mut got = Vec::new();
            if let Some(i) = steal.steal_into(&mut mine) {
                got.push(*i);
            }
            drain(&mut mine, &mut got);
            got
        });

        let mut got = Vec::new();
        if let Some(prev) = local.push_lifo(Box::new(1)) {
            local.push_back_or_overflow(prev, &*inject);
        }
        if let Some(i) = local.take_lifo() {
            got.push(*i);
        }

        got.extend(thief.join().unwrap());
        drain(&mut local, &mut got);
        got.sort_unstable();
        assert_eq!(got, vec![0, 1]);
    });
}

/// Two thieves race for one victim: at most one steal runs at a time
/// (rule 5) and every item ends up with exactly one of the three.
#[test]
fn loom_queue_two_thieves() {
    crate::loom::model(|| {
        let (steal, mut local) = local::<Box<usize>>();
        let inject = Inject::new();
        for i in 0..3 {
            local.push_back_or_overflow(Box::new(i), &inject);
        }
        let thieves: Vec<_> = (0..2)
            .map(|_| {
                let steal = steal.clone();
                thread::spawn(move || {
                    let (_s, mut mine) = super::local::<Box<usize>>();
                    let mut got = Vec::new();
                    if let Some(i) = steal.steal_into(&mut mine) {
                        got.push(*i);
                    }
                    drain(&mut mine, &mut got);
                    got
                })
            })
            .collect();
        let mut got = Vec::new();
        if let Some(i) = local.pop() {
            got.push(*i);
        }
        for t in thieves {
            got.extend(t.join().unwrap());
        }
        drain(&mut local, &mut got);
        got.sort_unstable();
        assert_eq!(got, vec![0, 1, 2]);
    });
}
