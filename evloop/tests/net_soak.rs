//! A soak on both flavours: many loopback connections echoing messages of
//! random length for a while, every byte checked, then the runtime dropped:
//! no error, every fd closed and every heap byte freed.
//!
//! Ignored by default (it runs for 20 s per flavour); run it with
//! `cargo test -p evloop --release --test net_soak -- --ignored`. Sizes:
//! `EVLOOP_SOAK_CONNS` (default 1000) and `EVLOOP_SOAK_SECS` (default 20).
//! Alone in its binary, with a counting global allocator, so that nothing
//! else allocates or opens fds while it counts.

mod support;

use std::alloc::{GlobalAlloc, Layout, System};
use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use evloop::io::{AsyncReadExt, AsyncWriteExt};
use evloop::net::{TcpListener, TcpStream};
use evloop::runtime::Runtime;

/// Counts the bytes live on the heap.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call is forwarded to `System` with the caller's arguments;
// the counter is only bookkeeping.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's contract, passed on.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            LIVE.fetch_add(layout.size(), Ordering::Relaxed);
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's contract, passed on.
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            LIVE.fetch_add(layout.size(), Ordering::Relaxed);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: the caller's contract, passed on.
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: the caller's contract, passed on.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            LIVE.fetch_add(new_size, Ordering::Relaxed);
            LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        }
        p
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

const MAX_MESSAGE: usize = 64 * 1024;
const CHUNK: usize = 4096;

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .map(|v| {
            v.parse()
                .unwrap_or_else(|_| panic!("{name}: not a number: {v}"))
        })
        .unwrap_or(default)
}

/// Linux lists a process's open fds in `/proc/self/fd`; macOS and FreeBSD
/// (with fdescfs mounted) in `/dev/fd`.
fn open_fds() -> usize {
    let dir = if cfg!(any(target_os = "linux", target_os = "android")) {
        "/proc/self/fd"
    } else {
        "/dev/fd"
    };
    std::fs::read_dir(dir).unwrap().count()
}

/// Byte `i` of message `seed`, without keeping the message.
fn pattern(seed: u64, i: usize) -> u8 {
    let mut z = seed ^ (i as u64 / 8).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    (z >> ((i % 8) * 8)) as u8
}

/// xorshift64*: message lengths.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 32) as usize % n
    }
}

/// Echoes until the peer closes.
async fn echo(mut stream: TcpStream) -> io::Result<()> {
    stream.set_nodelay(true)?;
    let mut buf = vec![0u8; CHUNK];
    loop {
        let n = stream.read(&mut buf).await?;
        if n == 0 {
            return Ok(());
        }
        stream.write_all(&buf[..n]).await?;
    }
}

/// One connection's client: messages until `deadline`; returns the bytes
/// echoed, every one checked.
async fn client(mut stream: TcpStream, id: u64, deadline: Instant) -> io::Result<u64> {
    stream.set_nodelay(true)?;
    let mut rng = Rng(id.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    let (mut out, mut back) = (vec![0u8; CHUNK], vec![0u8; CHUNK]);
    let (mut rd, mut wr) = stream.split();
    let mut total = 0u64;
    for seq in 0u64.. {
        let len = rng.below(MAX_MESSAGE) + 1;
        let seed = id << 32 | seq;
        let write = async {
            let mut off = 0;
            while off < len {
                let n = (len - off).min(CHUNK);
                for (i, b) in out[..n].iter_mut().enumerate() {
                    *b = pattern(seed, off + i);
                }
                wr.write_all(&out[..n]).await?;
                off += n;
            }
            Ok::<(), io::Error>(())
        };
        let read = async {
            let mut off = 0;
            while off < len {
                let want = (len - off).min(CHUNK);
                let n = rd.read(&mut back[..want]).await?;
                if n == 0 {
                    return Err(io::ErrorKind::UnexpectedEof.into());
                }
                for (i, &b) in back[..n].iter().enumerate() {
                    if b != pattern(seed, off + i) {
                        return Err(io::Error::other(format!(
                            "connection {id}: wrong byte at {} of message {seq}",
                            off + i
                        )));
                    }
                }
                off += n;
            }
            Ok::<(), io::Error>(())
        };
        let (w, r) = evloop::join!(write, read);
        w?;
        r?;
        total += len as u64;
        if Instant::now() >= deadline {
            break;
        }
    }
    Ok(total)
}

/// Runs the soak on `rt`; returns the bytes echoed. Panics on any error.
fn soak(rt: &Runtime, conns: usize, length: Duration) -> u64 {
    let errors = Arc::new(AtomicU64::new(0));
    let server_errors = errors.clone();
    let echoed = rt.block_on(async move {
        let listener = TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
            .await
            .unwrap();
        let addr = listener.local_addr().unwrap();
        let server = evloop::spawn(async move {
            let mut conns = Vec::new();
            loop {
                let (stream, _) = listener.accept().await.unwrap();
                let errors = server_errors.clone();
                conns.push(evloop::spawn(async move {
                    if let Err(e) = echo(stream).await {
                        eprintln!("net_soak: server: {e}");
                        errors.fetch_add(1, Ordering::Relaxed);
                    }
                }));
            }
        });
        let mut streams = Vec::with_capacity(conns);
        for _ in 0..conns {
            streams.push(TcpStream::connect(addr).await.unwrap());
        }
        let deadline = Instant::now() + length;
        let clients: Vec<_> = streams
            .into_iter()
            .enumerate()
            .map(|(i, s)| evloop::spawn(client(s, i as u64, deadline)))
            .collect();
        let mut echoed = 0;
        for c in clients {
            echoed += c.await.unwrap().expect("net_soak: client");
        }
        // The server's tasks see end of stream; the accept loop is left to
        // the runtime's drop.
        drop(server);
        echoed
    });
    assert_eq!(errors.load(Ordering::Relaxed), 0, "server side errors");
    echoed
}

/// Waits (a little) for `value()` to come back to `baseline`: threads of a
/// dropped runtime free their thread-locals as they exit.
fn settles(baseline: usize, value: impl Fn() -> usize) -> Result<(), usize> {
    let until = Instant::now() + Duration::from_secs(5);
    loop {
        let now = value();
        if now <= baseline {
            return Ok(());
        }
        if Instant::now() >= until {
            return Err(now);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn raise_fd_limit(needed: u64) {
    // `rlim_t` is `u64` on Linux and macOS, `i64` on FreeBSD.
    let needed = libc::rlim_t::try_from(needed).unwrap_or(libc::RLIM_INFINITY);
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes a `rlimit` through the valid pointer.
    assert_eq!(unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) }, 0);
    if lim.rlim_cur < needed {
        lim.rlim_cur = lim.rlim_max;
        // SAFETY: setrlimit reads a valid `rlimit`.
        unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &lim) };
    }
    // SAFETY: as above.
    assert_eq!(unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) }, 0);
    assert!(
        lim.rlim_cur >= needed,
        "net_soak needs {needed} open files; RLIMIT_NOFILE allows {}",
        lim.rlim_cur
    );
}

#[test]
#[ignore = "a 40 s soak: run with --ignored (CI does)"]
fn soak_both_flavours_leaks_nothing() {
    let conns = env_or("EVLOOP_SOAK_CONNS", 1000) as usize;
    let secs = env_or("EVLOOP_SOAK_SECS", 20);
    raise_fd_limit(2 * conns as u64 + 64);
    // A watchdog: a hang fails instead of stalling CI.
    let budget = Duration::from_secs(2 * secs + 120);
    std::thread::spawn(move || {
        std::thread::sleep(budget);
        eprintln!("net_soak: still running after {budget:?}");
        std::process::abort();
    });
    type Build = fn() -> Runtime;
    let builders: [(&str, Build); 2] = [
        ("current_thread", support::rt),
        ("multi_thread", support::mt),
    ];
    for (name, build) in builders {
        // Once small first: whatever the process sets up for good on first
        // use (thread-locals of this thread, lazily built statics) is in
        // the baseline.
        soak(&build(), 4, Duration::from_millis(100));
        let (fds, heap) = (open_fds(), LIVE.load(Ordering::Relaxed));
        let start = Instant::now();
        let rt = build();
        let echoed = soak(&rt, conns, Duration::from_secs(secs));
        drop(rt);
        let took = start.elapsed();
        assert!(echoed > 0);
        if let Err(now) = settles(fds, open_fds) {
            panic!("{name}: {now} fds open after the runtime dropped, {fds} before");
        }
        if let Err(now) = settles(heap, || LIVE.load(Ordering::Relaxed)) {
            panic!("{name}: {now} heap bytes live after the runtime dropped, {heap} before");
        }
        // Printed after the counts: the captured output is heap too.
        eprintln!(
            "net_soak {name}: {conns} connections, {:.1} MiB echoed in {took:.1?}",
            echoed as f64 / (1 << 20) as f64
        );
    }
}
