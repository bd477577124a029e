//! broadcast's `Sender` and `Receiver` are `Send + Sync` for `T: Send`
//! (not only `T: Sync`), and receivers on different threads never clone
//! one value at the same time.

use std::cell::Cell;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use evloop::sync::broadcast;

fn assert_send_sync<T: Send + Sync>() {}

/// `Send` but not `Sync` (a `Cell`), whose `clone` notices whether another
/// thread is cloning the same value at the same moment.
struct Probe {
    _not_sync: Cell<u8>,
    busy: Arc<AtomicBool>,
    overlaps: Arc<AtomicUsize>,
}

impl Clone for Probe {
    fn clone(&self) -> Probe {
        if self.busy.swap(true, Ordering::SeqCst) {
            self.overlaps.fetch_add(1, Ordering::SeqCst);
        }
        std::thread::sleep(Duration::from_micros(200));
        self.busy.store(false, Ordering::SeqCst);
        Probe {
            _not_sync: Cell::new(0),
            busy: self.busy.clone(),
            overlaps: self.overlaps.clone(),
        }
    }
}

#[test]
fn channel_halves_are_send_and_sync_for_send_values() {
    assert_send_sync::<broadcast::Sender<Cell<u32>>>();
    assert_send_sync::<broadcast::Receiver<Cell<u32>>>();
    assert_send_sync::<broadcast::Receiver<Probe>>();
}

#[test]
fn a_value_is_never_cloned_by_two_threads_at_once() {
    let rt = evloop::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .enable_all()
        .build()
        .unwrap();
    let overlaps = Arc::new(AtomicUsize::new(0));
    let (tx, _) = broadcast::channel::<Probe>(8);
    let receivers: Vec<_> = (0..4).map(|_| tx.subscribe()).collect();
    let barrier = Arc::new(std::sync::Barrier::new(4));
    let tasks: Vec<_> = receivers
        .into_iter()
        .map(|mut rx| {
            let barrier = barrier.clone();
            rt.spawn(async move {
                let mut got = 0;
                for _ in 0..5 {
                    // Start each read together, on four workers.
                    evloop::task::block_in_place(|| barrier.wait());
                    let _ = rx.recv().await.unwrap();
                    got += 1;
                }
                got
            })
        })
        .collect();
    for _ in 0..5 {
        tx.send(Probe {
            _not_sync: Cell::new(0),
            busy: Arc::new(AtomicBool::new(false)),
            overlaps: overlaps.clone(),
        })
        .unwrap_or_else(|_| panic!("receivers alive"));
    }
    rt.block_on(async {
        for task in tasks {
            let got = evloop::time::timeout(Duration::from_secs(20), task)
                .await
                .expect("receivers finished")
                .unwrap();
            assert_eq!(got, 5);
        }
    });
    assert_eq!(overlaps.load(Ordering::SeqCst), 0);
}
