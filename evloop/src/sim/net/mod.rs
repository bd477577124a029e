//! A simulated network: named hosts joined by in-memory links with seeded
//! latency and faults, behind the ordinary [`crate::net`] types.
//!
//! A [`Net`] holds hosts. Code that runs on a host — its main, and every
//! task that code spawns — uses [`TcpListener`](crate::net::TcpListener),
//! [`TcpStream`](crate::net::TcpStream), [`UdpSocket`](crate::net::UdpSocket)
//! and [`lookup_host`](crate::net::lookup_host) exactly as on a real
//! machine; they talk to the other hosts in memory. Code that runs on no
//! host (the test itself) gets real sockets, as always.
//!
//! Messages are delivered on evloop timers, so run the network on a
//! runtime with paused time (`#[evloop::test(start_paused = true)]` or
//! `Builder::start_paused(true)`): time jumps to the next delivery whenever
//! every task waits, and a run of simulated minutes takes milliseconds.
//! On a `current_thread` runtime with paused time one seed gives one run.
//! Inside a deterministic simulation ([`crate::sim::Builder`],
//! `#[evloop::test(sim)]`) the network runs unchanged, with any number of
//! simulated workers, and draws from the simulation's seed: one seed gives
//! one run of schedule and network together.
//!
//! ```
//! use evloop::io::{AsyncReadExt, AsyncWriteExt};
//! use evloop::net::{TcpListener, TcpStream};
//! use evloop::sim::net::Net;
//! use std::time::Duration;
//!
//! # fn main() {
//! # let rt = evloop::runtime::Builder::new_current_thread().enable_all().start_paused(true).build().unwrap();
//! # rt.block_on(async {
//! let net = Net::builder()
//!     .seed(7)
//!     .latency(Duration::from_millis(1)..Duration::from_millis(5))
//!     .build();
//! net.host("db", || async {
//!     let listener = TcpListener::bind("0.0.0.0:5432").await.unwrap();
//!     loop {
//!         let (mut sock, _) = listener.accept().await.unwrap();
//!         evloop::spawn(async move {
//!             let mut buf = [0; 4];
//!             sock.read_exact(&mut buf).await.unwrap();
//!             sock.write_all(&buf).await.unwrap();
//!         });
//!     }
//! });
//! let client = net.client("app", async {
//!     let mut sock = TcpStream::connect("db:5432").await.unwrap();
//!     sock.write_all(b"ping").await.unwrap();
//!     let mut buf = [0; 4];
//!     sock.read_exact(&mut buf).await.unwrap();
//!     buf
//! });
//! assert_eq!(&client.await.unwrap(), b"ping");
//! # }); }
//! ```
//!
//! # Faults
//!
//! - **Latency**: each message waits a duration drawn uniformly from the
//!   builder's range; TCP keeps each direction's bytes in order.
//! - **UDP**: loss, duplication and reordering, each a seeded probability.
//! - **TCP resets**: [`Net::reset`] resets the connections between two
//!   hosts; [`NetBuilder::tcp_reset`] resets a connection with a seeded
//!   probability per segment.
//! - **Partitions**: while [`Net::partition`] holds, TCP bytes and
//!   connection requests in flight between the two hosts are held (a real
//!   stack retransmits them) and arrive after [`Net::repair`]; a connect
//!   that gets no answer within the connect timeout fails with `TimedOut`;
//!   UDP datagrams are dropped.
//! - **Holds**: [`Net::hold`] queues every message between two hosts until
//!   [`Net::release`].
//! - **Crashes**: [`Net::crash`] aborts every task of the host, resets its
//!   connections (its peers read `ConnectionReset`), unbinds its listeners
//!   and UDP sockets; messages to it are dropped, so connects to it time
//!   out. [`Net::restart`] runs its main again.
//!
//! Every random choice comes from one generator seeded by
//! [`NetBuilder::seed`]; [`Net::event_hash`] digests every delivery (time,
//! hosts, kind, size), so two runs can be compared.
//!
//! # Limits
//!
//! - Socket options with no meaning here (TTL, linger, multicast,
//!   broadcast, raw fds, `into_std`, `try_io`/`async_io`) return an
//!   `Unsupported` error; `TcpSocket` and Unix sockets stay real.
//! - `spawn_local` and `spawn_blocking` do not carry the host: code they
//!   run gets real sockets.
//! - Writes never wait (the simulated send buffer is unbounded).
//! - Clock skew applies to [`system_time`], the hosts' wall clock, which
//!   a program must call instead of `SystemTime::now()`; `Instant`s are
//!   the runtime's on every host (an offset between monotonic clocks that
//!   never leave their host cannot be observed).

mod conn;
pub(crate) mod host;
mod rng;
pub(crate) mod tcp;
pub(crate) mod udp;
pub(crate) mod world;

use std::fmt;
use std::future::Future;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::ops::Range;
use std::time::Duration;

use crate::runtime::task::JoinHandle;
use host::HostCtx;
use std::sync::Arc;
use world::{Config, HostId, MainFn, Router, Shared};

/// A handle to a simulated network; clones share it.
#[derive(Clone)]
pub struct Net {
    shared: Arc<Shared>,
}

/// Settings of a [`Net`]: seed, latency and fault probabilities.
#[derive(Debug, Clone)]
pub struct NetBuilder {
    cfg: Config,
}

impl Default for NetBuilder {
    fn default() -> Self {
        NetBuilder {
            cfg: Config {
                seed: 0,
                latency: (Duration::from_millis(1), Duration::from_millis(1)),
                udp_loss: 0.0,
                udp_duplicate: 0.0,
                udp_reorder: 0.0,
                tcp_reset: 0.0,
                connect_timeout: Duration::from_secs(1),
            },
        }
    }
}

fn prob(p: f64) -> f64 {
    assert!(
        (0.0..=1.0).contains(&p),
        "a probability must lie in 0..=1, got {p}"
    );
    p
}

impl NetBuilder {
    /// The seed of every random choice of the network (default 0).
    pub fn seed(mut self, seed: u64) -> Self {
        self.cfg.seed = seed;
        self
    }

    /// Each message's latency, drawn uniformly from `range` (default 1 ms).
    pub fn latency(mut self, range: Range<Duration>) -> Self {
        assert!(range.start <= range.end, "latency range runs backwards");
        self.cfg.latency = (range.start, range.end);
        self
    }

    /// Probability that a UDP datagram between two hosts is lost.
    pub fn udp_loss(mut self, p: f64) -> Self {
        self.cfg.udp_loss = prob(p);
        self
    }

    /// Probability that a UDP datagram between two hosts arrives twice.
    pub fn udp_duplicate(mut self, p: f64) -> Self {
        self.cfg.udp_duplicate = prob(p);
        self
    }

    /// Probability that a UDP datagram is delayed past the ones sent after it.
    pub fn udp_reorder(mut self, p: f64) -> Self {
        self.cfg.udp_reorder = prob(p);
        self
    }

    /// Probability that a TCP segment between two hosts resets its
    /// connection instead of arriving.
    pub fn tcp_reset(mut self, p: f64) -> Self {
        self.cfg.tcp_reset = prob(p);
        self
    }

    /// How long a connect waits for an answer before `TimedOut` (default 1 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.cfg.connect_timeout = timeout;
        self
    }

    /// Creates the network.
    ///
    /// # Panics
    ///
    /// Outside an evloop runtime with time enabled.
    #[track_caller]
    pub fn build(self) -> Net {
        let shared = Arc::new(Shared::new(self.cfg));
        let router = Router {
            net: shared.clone(),
            sleep: Box::pin(crate::time::sleep(Duration::ZERO)),
        };
        // The router belongs to no host: a crash must not stop it.
        let _no_host = host::enter(None);
        drop(crate::spawn(router));
        Net { shared }
    }
}

impl Net {
    /// A network with the default settings (seed 0, 1 ms latency, no
    /// faults).
    ///
    /// # Panics
    ///
    /// Outside an evloop runtime with time enabled.
    #[track_caller]
    pub fn new() -> Net {
        NetBuilder::default().build()
    }

    /// Settings for a new network.
    pub fn builder() -> NetBuilder {
        NetBuilder::default()
    }

    /// Adds a host named `name` and starts `main` on it; [`restart`](Net::restart)
    /// runs `main` again. Returns the host's address (10.0.x.y). `name`
    /// resolves to it through [`lookup_host`](crate::net::lookup_host).
    ///
    /// # Panics
    ///
    /// If a host named `name` exists.
    pub fn host<F, Fut>(&self, name: &str, main: F) -> IpAddr
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let main: MainFn = Arc::new(move || Box::pin(main()));
        let (id, ip) = self.shared.add_host(name, Some(main.clone()));
        drop(self.spawn_on(id, 0, main()));
        ip
    }

    /// Adds a host named `name` that runs `fut` once, and returns its
    /// output's handle. A client has no main to restart.
    pub fn client<Fut>(&self, name: &str, fut: Fut) -> JoinHandle<Fut::Output>
    where
        Fut: Future + Send + 'static,
        Fut::Output: Send + 'static,
    {
        let (id, _) = self.shared.add_host(name, None);
        self.spawn_on(id, 0, fut)
    }

    fn spawn_on<Fut>(&self, id: HostId, incarnation: u64, fut: Fut) -> JoinHandle<Fut::Output>
    where
        Fut: Future + Send + 'static,
        Fut::Output: Send + 'static,
    {
        let ctx = Arc::new(HostCtx {
            net: self.shared.clone(),
            id,
            incarnation,
        });
        let _enter = host::enter(Some(ctx));
        crate::spawn(fut)
    }

    fn id(&self, name: &str) -> HostId {
        match self.shared.state.lock().host_by_name(name) {
            Some(id) => id,
            None => panic!("no simulated host is named {name:?}"),
        }
    }

    /// The address of host `name`, if there is one.
    pub fn lookup(&self, name: &str) -> Option<IpAddr> {
        let st = self.shared.state.lock();
        st.host_by_name(name).map(|id| st.hosts[id].ip)
    }

    /// Cuts the link between hosts `a` and `b` (both directions); see the
    /// module docs for what happens to messages on it.
    pub fn partition(&self, a: &str, b: &str) {
        self.shared
            .set_link(self.id(a), self.id(b), Some(true), None);
    }

    /// Heals a [`partition`](Net::partition); held TCP bytes go on.
    pub fn repair(&self, a: &str, b: &str) {
        self.shared
            .set_link(self.id(a), self.id(b), Some(false), None);
    }

    /// Queues every message between `a` and `b` until [`release`](Net::release).
    pub fn hold(&self, a: &str, b: &str) {
        self.shared
            .set_link(self.id(a), self.id(b), None, Some(true));
    }

    /// Delivers what [`hold`](Net::hold) queued, in order, and lets new
    /// messages through.
    pub fn release(&self, a: &str, b: &str) {
        self.shared
            .set_link(self.id(a), self.id(b), None, Some(false));
    }

    /// Resets every TCP connection between `a` and `b`.
    pub fn reset(&self, a: &str, b: &str) {
        self.shared.reset_between(self.id(a), self.id(b));
    }

    /// Crashes host `name`: every task of it is aborted, its connections are
    /// reset, its listeners and UDP sockets unbound.
    pub fn crash(&self, name: &str) {
        self.shared.crash(self.id(name));
    }

    /// Starts a crashed host `name` again: its main runs anew. Does nothing
    /// if the host is up or is a client.
    pub fn restart(&self, name: &str) {
        if let Some((ctx, Some(main))) = self.shared.revive(self.id(name)) {
            let _enter = host::enter(Some(ctx));
            drop(crate::spawn(main()));
        }
    }

    /// Sets host `name`'s wall clock ([`system_time`]) off by `offset`.
    pub fn skew_clock(&self, name: &str, offset: ClockOffset) {
        let id = self.id(name);
        let nanos = match offset {
            ClockOffset::Ahead(d) => d.as_nanos() as i128,
            ClockOffset::Behind(d) => -(d.as_nanos() as i128),
        };
        self.shared.state.lock().hosts[id].skew = nanos;
    }

    /// Whether host `name` is up.
    pub fn is_up(&self, name: &str) -> bool {
        let id = self.id(name);
        self.shared.state.lock().hosts[id].alive
    }

    /// A digest of every message delivery so far (time, hosts, kind,
    /// size, fault): equal for two runs that moved the same messages at
    /// the same times.
    pub fn event_hash(&self) -> u64 {
        self.shared.hash().0
    }

    /// How many messages were delivered so far.
    pub fn delivered(&self) -> u64 {
        self.shared.hash().1
    }
}

/// How far a host's wall clock is off ([`Net::skew_clock`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClockOffset {
    /// The host's clock runs ahead by this much.
    Ahead(Duration),
    /// The host's clock lags by this much.
    Behind(Duration),
}

/// Where every simulated wall clock starts: 2020-09-13T12:26:40Z, fixed so
/// that a seed replays the same timestamps.
const SIM_EPOCH_SECS: u64 = 1_600_000_000;

/// The wall-clock time on the running simulated host: a fixed start, plus
/// the virtual time since its network was built, plus the host's skew
/// ([`Net::skew_clock`]). Outside a simulated host, `SystemTime::now()`.
///
/// ```
/// use evloop::sim::net::{system_time, ClockOffset, Net};
/// use std::time::Duration;
///
/// # fn main() { let rt = evloop::runtime::Builder::new_current_thread().enable_all().start_paused(true).build().unwrap();
/// # rt.block_on(async {
/// let net = Net::new();
/// let ahead = net.client("a", async { system_time() });
/// let exact = net.client("b", async { system_time() });
/// net.skew_clock("a", ClockOffset::Ahead(Duration::from_secs(3)));
/// let (ahead, exact) = (ahead.await.unwrap(), exact.await.unwrap());
/// assert_eq!(ahead.duration_since(exact).unwrap(), Duration::from_secs(3));
/// # }); }
/// ```
pub fn system_time() -> std::time::SystemTime {
    let Some(ctx) = current() else {
        return std::time::SystemTime::now();
    };
    let st = ctx.net.state.lock();
    let base = std::time::UNIX_EPOCH + Duration::from_secs(SIM_EPOCH_SECS) + st.elapsed();
    let skew = st.hosts[ctx.id].skew;
    let off = Duration::from_nanos(skew.unsigned_abs() as u64);
    if skew >= 0 {
        base + off
    } else {
        base - off
    }
}

impl Default for Net {
    fn default() -> Self {
        Net::new()
    }
}

impl fmt::Debug for Net {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let st = self.shared.state.lock();
        let hosts: Vec<_> = st.hosts.iter().map(|h| (&h.name, h.ip, h.alive)).collect();
        f.debug_struct("Net").field("hosts", &hosts).finish()
    }
}

/// The simulated host the running code belongs to, if any (for the socket
/// types' sim paths).
#[inline]
pub(crate) fn current() -> Option<Arc<HostCtx>> {
    host::current()
}

/// Resolves a host name inside a simulation: the name of a host, or
/// `localhost`. `None` outside a simulated host.
pub(crate) fn resolve(name: &str, port: u16) -> Option<io::Result<Vec<SocketAddr>>> {
    let ctx = current()?;
    if name == "localhost" {
        return Some(Ok(vec![SocketAddr::from(([127, 0, 0, 1], port))]));
    }
    let st = ctx.net.state.lock();
    Some(match st.host_by_name(name) {
        Some(id) => Ok(vec![SocketAddr::new(st.hosts[id].ip, port)]),
        None => Err(io::Error::new(
            io::ErrorKind::NotFound,
            format!("no simulated host is named {name:?}"),
        )),
    })
}

/// The error of a socket method that has no meaning in a simulation.
pub(crate) fn unsupported(what: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::Unsupported,
        format!("`{what}` is not supported on a simulated socket"),
    )
}

/// The fd a simulated socket shows through `AsFd`/`AsRawFd`: `/dev/null`,
/// opened once. It is no socket, so socket calls made on it fail with an
/// error (`ENOTSOCK`) instead of touching an unrelated descriptor.
pub(crate) fn placeholder_fd() -> std::os::fd::BorrowedFd<'static> {
    use std::os::fd::AsFd;
    static NULL: std::sync::OnceLock<std::fs::File> = std::sync::OnceLock::new();
    NULL.get_or_init(|| std::fs::File::open("/dev/null").expect("/dev/null cannot be opened"))
        .as_fd()
}
