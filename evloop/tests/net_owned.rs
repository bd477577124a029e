//! `TcpStream::read_owned` / `write_owned` on both drivers, and the
//! io_uring driver's rule that a dropped operation's buffer is freed only
//! after the kernel's completion.

use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
use std::sync::Arc;
use std::time::Duration;

use evloop::io::{AsyncReadExt, AsyncWriteExt, IoBuf, IoBufMut};
use evloop::net::{TcpListener, TcpStream};
use evloop::runtime::{Builder, IoDriver, Runtime};

fn runtimes() -> Vec<Runtime> {
    let mut all = Vec::new();
    for driver in [IoDriver::Epoll, IoDriver::Uring] {
        for multi in [false, true] {
            let mut b = if multi {
                let mut b = Builder::new_multi_thread();
                b.worker_threads(2);
                b
            } else {
                Builder::new_current_thread()
            };
            if let Ok(rt) = b.enable_all().io_driver(driver).build() {
                all.push(rt);
            }
        }
    }
    all
}

fn watchdog<T>(rt: &Runtime, f: impl std::future::Future<Output = T>) -> T {
    rt.block_on(async {
        evloop::time::timeout(Duration::from_secs(20), f)
            .await
            .expect("watchdog: the test did not finish in 20 s")
    })
}

async fn pair() -> (TcpStream, TcpStream) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let client = TcpStream::connect(listener.local_addr().unwrap())
        .await
        .unwrap();
    let (server, _) = listener.accept().await.unwrap();
    (client, server)
}

#[test]
fn owned_echo_on_every_driver() {
    for rt in runtimes() {
        let driver = rt.handle().io_driver();
        watchdog(&rt, async move {
            let (client, server) = pair().await;
            let echo = evloop::spawn(async move {
                let mut buf = Vec::with_capacity(4096);
                loop {
                    buf.clear();
                    let (n, b) = server.read_owned(buf).await;
                    let n = n.unwrap();
                    if n == 0 {
                        return;
                    }
                    assert_eq!(b.len(), n);
                    let (w, b) = server.write_owned(b).await;
                    assert_eq!(w.unwrap(), n, "short write of a small buffer");
                    buf = b;
                }
            });
            let mut buf = Vec::with_capacity(64);
            for i in 0..200u32 {
                let msg = i.to_le_bytes().repeat(8);
                let (w, _) = client.write_owned(msg.clone()).await;
                assert_eq!(w.unwrap(), 32);
                let mut got = Vec::new();
                while got.len() < 32 {
                    buf.clear();
                    let (n, b) = client.read_owned(buf).await;
                    got.extend_from_slice(&b[..n.unwrap()]);
                    buf = b;
                }
                assert_eq!(got, msg, "{driver:?} round {i}");
            }
            drop(client);
            echo.await.unwrap();
        });
    }
}

/// A buffer that records when it is dropped.
struct Tracked {
    data: Vec<u8>,
    dropped: Arc<AtomicBool>,
}

impl Drop for Tracked {
    fn drop(&mut self) {
        self.dropped.store(true, SeqCst);
    }
}

// SAFETY: delegates to the `Vec`, whose heap block does not move.
unsafe impl IoBuf for Tracked {
    fn stable_ptr(&self) -> *const u8 {
        self.data.as_ptr()
    }
    fn bytes_init(&self) -> usize {
        self.data.len()
    }
    fn bytes_total(&self) -> usize {
        self.data.capacity()
    }
}

// SAFETY: as above.
unsafe impl IoBufMut for Tracked {
    fn stable_mut_ptr(&mut self) -> *mut u8 {
        self.data.as_mut_ptr()
    }
    unsafe fn set_init(&mut self, pos: usize) {
        // SAFETY: the caller's contract.
        unsafe { self.data.set_len(pos.max(self.data.len())) };
    }
}

/// Dropping a `read_owned` in flight: the buffer is not freed at the drop
/// (on io_uring the kernel still owns it), it is freed once the
/// cancellation's completion came, and the stream still works afterwards
/// (no byte is delivered into the freed buffer: ASan checks that in CI).
#[test]
fn dropped_read_keeps_its_buffer_until_the_completion() {
    for rt in runtimes() {
        let driver = rt.handle().io_driver();
        watchdog(&rt, async move {
            let (mut client, server) = pair().await;
            let dropped = Arc::new(AtomicBool::new(false));
            let buf = Tracked {
                data: Vec::with_capacity(1024),
                dropped: dropped.clone(),
            };
            let read = server.read_owned(buf);
            // Polled once (the receive is in flight: no data yet), then
            // dropped by the timeout.
            let r = evloop::time::timeout(Duration::from_millis(20), read).await;
            assert!(r.is_err(), "no data was sent");
            if driver == IoDriver::Uring {
                // The cancel completes at the next park at the latest.
                for _ in 0..100 {
                    if dropped.load(SeqCst) {
                        break;
                    }
                    evloop::time::sleep(Duration::from_millis(2)).await;
                }
            }
            assert!(
                dropped.load(SeqCst),
                "{driver:?}: the orphan was never freed"
            );

            client.write_all(b"after").await.unwrap();
            let mut got = Vec::new();
            while got.len() < 5 {
                let (n, b) = server.read_owned(Vec::with_capacity(16)).await;
                got.extend_from_slice(&b[..n.unwrap()]);
            }
            assert_eq!(got, b"after");
            let mut sink = [0u8; 1];
            drop(server);
            assert_eq!(client.read(&mut sink).await.unwrap(), 0);
        });
    }
}

/// Many reads dropped in flight (no data meanwhile, so none is lost),
/// then traffic: every byte arrives intact, and no freed buffer is used.
#[test]
fn drop_storm_then_traffic() {
    for rt in runtimes() {
        watchdog(&rt, async move {
            let (mut client, server) = pair().await;
            for _ in 0..50 {
                let f = server.read_owned(Vec::with_capacity(256));
                let r = evloop::time::timeout(Duration::from_micros(50), f).await;
                assert!(r.is_err());
            }
            client.write_all(&[7u8; 10_000]).await.unwrap();
            let mut total = 0;
            while total < 10_000 {
                let (n, b) = server.read_owned(Vec::with_capacity(512)).await;
                let n = n.unwrap();
                assert!(n > 0 && b[..n].iter().all(|&x| x == 7));
                total += n;
            }
            assert_eq!(total, 10_000);
        });
    }
}
