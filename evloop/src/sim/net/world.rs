//! The network's state: hosts, links, messages in flight, and the router
//! task that delivers them when their time comes.
//!
//! # Rules
//!
//! 1. Every message (TCP segment, connection request and its answer, UDP
//!    datagram) is queued with a delivery time and a sequence number; the
//!    router delivers in `(time, sequence)` order on evloop timers, so
//!    virtual time moves with paused time and one seed gives one order.
//! 2. The link between two hosts is looked at when a message is due, not
//!    when it is sent. A held link parks every message; a partitioned link
//!    parks TCP segments and connection requests (a real stack retransmits
//!    them) and drops UDP datagrams. `release`/`repair` requeue the parked
//!    messages at the current time, in their order, to be looked at again.
//! 3. A message for a host that is down is dropped (a connection request
//!    to it goes unanswered, so the connector times out).
//! 4. All randomness comes from `State::random`, the one place a seed
//!    enters the network.
//! 5. Locks: the world lock is taken first or alone (`conn.rs`, rule 5);
//!    wakers are woken and tasks aborted after it is released.

use std::collections::{BTreeMap, VecDeque};
use std::future::Future;
use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::pin::Pin;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use crate::loom::sync::Mutex;
use crate::runtime::task::AbortHandle;
use crate::sim::net::conn::{Conn, Seg};
use crate::sim::net::host::HostCtx;
use crate::sim::net::rng::Rng;
use crate::sim::net::tcp::Backlog;
use crate::sim::net::udp::Inbox;
use crate::sync::oneshot;
use crate::time::{Instant, Sleep};
use std::sync::Arc;

/// Index of a host in the network.
pub(crate) type HostId = usize;

/// A host's main, run again by every restart.
pub(crate) type MainFn = Arc<dyn Fn() -> Pin<Box<dyn Future<Output = ()> + Send>> + Send + Sync>;

/// The network's fault settings.
#[derive(Debug, Clone)]
pub(crate) struct Config {
    pub(crate) seed: u64,
    pub(crate) latency: (Duration, Duration),
    pub(crate) udp_loss: f64,
    pub(crate) udp_duplicate: f64,
    pub(crate) udp_reorder: f64,
    pub(crate) tcp_reset: f64,
    pub(crate) connect_timeout: Duration,
}

/// One simulated machine.
pub(crate) struct Host {
    pub(crate) name: String,
    pub(crate) ip: IpAddr,
    pub(crate) incarnation: u64,
    pub(crate) alive: bool,
    pub(crate) main: Option<MainFn>,
    /// Wall-clock offset in nanoseconds (ahead when positive).
    pub(crate) skew: i128,
    tasks: Vec<AbortHandle>,
    pruned_at: usize,
    pub(crate) listeners: BTreeMap<u16, Arc<Backlog>>,
    pub(crate) udp: BTreeMap<u16, Arc<Inbox>>,
    conns: Vec<Arc<Conn>>,
    next_port: u16,
}

/// A connection request: the connection to offer, and where the answer goes.
pub(crate) struct Syn {
    pub(crate) conn: Arc<Conn>,
    pub(crate) reply: oneshot::Sender<io::Result<()>>,
}

pub(crate) enum Event {
    Segment {
        conn: Arc<Conn>,
        to_side: usize,
        seg: Seg,
    },
    Syn(Syn),
    Reply {
        syn: Syn,
        result: io::Result<()>,
    },
    Datagram {
        src: SocketAddr,
        dst_port: u16,
        data: Vec<u8>,
    },
}

struct Msg {
    from: HostId,
    to: HostId,
    event: Event,
}

#[derive(Default)]
struct Link {
    partitioned: bool,
    held: bool,
    parked: VecDeque<Msg>,
}

/// What the router does with a due message once the world lock is released.
enum Delivery {
    Segment(Arc<Conn>, usize, Seg),
    Reset(Arc<Conn>),
    Syn(Syn, Option<Arc<Backlog>>, HostId, HostId),
    Reply(Syn, io::Result<()>),
    Datagram(Arc<Inbox>, SocketAddr, Vec<u8>),
}

pub(crate) struct State {
    pub(crate) cfg: Config,
    rng: Rng,
    start: Instant,
    pub(crate) hosts: Vec<Host>,
    links: BTreeMap<(HostId, HostId), Link>,
    queue: BTreeMap<(Instant, u64), Msg>,
    seq: u64,
    router: Option<Waker>,
    hash: u64,
    delivered: u64,
}

/// The state behind every `Net` handle, host context and socket.
pub(crate) struct Shared {
    pub(crate) state: Mutex<State>,
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shared").finish_non_exhaustive()
    }
}

fn pair(a: HostId, b: HostId) -> (HostId, HostId) {
    (a.min(b), a.max(b))
}

impl State {
    /// Rule 4: the one source of randomness: the simulation's seed inside
    /// one, the network's own seeded generator outside.
    pub(crate) fn random(&mut self) -> u64 {
        // Inside a simulation the draw is the simulation's own (seeded and
        // part of its event hash), so one seed fixes schedule and network.
        crate::sim::random_u64().unwrap_or_else(|| self.rng.next_u64())
    }

    /// True with probability `p`.
    pub(crate) fn chance(&mut self, p: f64) -> bool {
        p > 0.0 && (self.random() >> 11) as f64 / (1u64 << 53) as f64 <= p
    }

    /// One message's latency from `from` to `to` (none on one host).
    pub(crate) fn latency(&mut self, from: HostId, to: HostId) -> Duration {
        if from == to {
            return Duration::ZERO;
        }
        let (min, max) = self.cfg.latency;
        let span = max.saturating_sub(min).as_nanos() as u64;
        if span == 0 {
            return min;
        }
        min + Duration::from_nanos(self.random() % (span + 1))
    }

    /// Queues a message (rule 1); wakes the router if it is the new head.
    pub(crate) fn push(
        &mut self,
        at: Instant,
        from: HostId,
        to: HostId,
        event: Event,
    ) -> Option<Waker> {
        self.seq += 1;
        let head = self.queue.keys().next().is_none_or(|&(t, _)| at < t);
        self.queue.insert((at, self.seq), Msg { from, to, event });
        if head {
            self.router.take()
        } else {
            None
        }
    }

    fn mix(&mut self, words: &[u64]) {
        for w in words {
            self.hash = (self.hash ^ w).wrapping_mul(0x0100_0000_01b3);
        }
    }

    /// Virtual time since the network was built.
    pub(crate) fn elapsed(&self) -> Duration {
        Instant::now().saturating_duration_since(self.start)
    }

    pub(crate) fn host_by_ip(&self, ip: IpAddr) -> Option<HostId> {
        self.hosts.iter().position(|h| h.ip == ip)
    }

    pub(crate) fn host_by_name(&self, name: &str) -> Option<HostId> {
        self.hosts.iter().position(|h| h.name == name)
    }

    /// Whether `ctx` is its host's live incarnation.
    pub(crate) fn is_current(&self, ctx: &HostCtx) -> bool {
        let h = &self.hosts[ctx.id];
        h.alive && h.incarnation == ctx.incarnation
    }

    pub(crate) fn check_current(&self, ctx: &HostCtx) -> io::Result<()> {
        if self.is_current(ctx) {
            Ok(())
        } else {
            Err(io::Error::new(
                io::ErrorKind::ConnectionAborted,
                "this simulated host crashed",
            ))
        }
    }

    /// A free port on `host`: `port`, or an ephemeral one for 0.
    pub(crate) fn port(&mut self, host: HostId, port: u16, tcp: bool) -> io::Result<u16> {
        let h = &mut self.hosts[host];
        let used = |h: &Host, p: u16| {
            if tcp {
                h.listeners.contains_key(&p)
            } else {
                h.udp.contains_key(&p)
            }
        };
        if port != 0 {
            if used(h, port) {
                return Err(io::Error::new(
                    io::ErrorKind::AddrInUse,
                    format!("port {port} is in use on simulated host {}", h.name),
                ));
            }
            return Ok(port);
        }
        for _ in 0..16384 {
            let p = h.next_port;
            h.next_port = if p == u16::MAX { 49152 } else { p + 1 };
            if !used(h, p) {
                return Ok(p);
            }
        }
        Err(io::Error::new(
            io::ErrorKind::AddrInUse,
            "no free simulated port",
        ))
    }

    /// The host a socket of `ctx` reaches at `ip` (loopback is itself).
    pub(crate) fn route(&self, ctx: &HostCtx, ip: IpAddr) -> io::Result<HostId> {
        if ip.is_loopback() || ip.is_unspecified() {
            return Ok(ctx.id);
        }
        self.host_by_ip(ip).ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::HostUnreachable,
                format!("no simulated host has the address {ip}"),
            )
        })
    }

    /// The local address of a socket of `host` bound to `port`.
    pub(crate) fn addr(&self, host: HostId, port: u16) -> SocketAddr {
        SocketAddr::new(self.hosts[host].ip, port)
    }

    pub(crate) fn add_conn(&mut self, host: HostId, conn: &Arc<Conn>) {
        let conns = &mut self.hosts[host].conns;
        if conns.len() >= 64 && conns.len().is_power_of_two() {
            conns.retain(|c| !c.is_done());
        }
        conns.push(conn.clone());
    }

    fn link(&mut self, a: HostId, b: HostId) -> &mut Link {
        self.links.entry(pair(a, b)).or_default()
    }

    /// Rule 2: what becomes of a message that is due now.
    fn decide(&mut self, now: Instant, msg: Msg) -> Option<Delivery> {
        let elapsed = now.saturating_duration_since(self.start).as_nanos() as u64;
        let kind = match &msg.event {
            Event::Segment { .. } => 1,
            Event::Syn(_) => 2,
            Event::Reply { .. } => 3,
            Event::Datagram { .. } => 4,
        };
        let len = match &msg.event {
            Event::Segment {
                seg: Seg::Data(d), ..
            }
            | Event::Datagram { data: d, .. } => d.len() as u64,
            _ => 0,
        };
        self.mix(&[elapsed, msg.from as u64, msg.to as u64, kind, len]);
        let (from, to) = (msg.from, msg.to);
        if from != to {
            let link = self.link(from, to);
            let park = link.held || (link.partitioned && kind != 4);
            if park {
                link.parked.push_back(msg);
                return None;
            }
            if link.partitioned {
                return None;
            }
        }
        if !self.hosts[to].alive {
            return None;
        }
        self.delivered += 1;
        match msg.event {
            Event::Segment { conn, to_side, seg } => {
                let p = self.cfg.tcp_reset;
                if from != to && self.chance(p) {
                    self.mix(&[5]);
                    return Some(Delivery::Reset(conn));
                }
                Some(Delivery::Segment(conn, to_side, seg))
            }
            Event::Syn(syn) => {
                if syn.reply.is_closed() {
                    return None;
                }
                let port = syn.conn.addrs[1].port();
                let backlog = self.hosts[to].listeners.get(&port).cloned();
                Some(Delivery::Syn(syn, backlog, from, to))
            }
            Event::Reply { syn, result } => Some(Delivery::Reply(syn, result)),
            Event::Datagram {
                src,
                dst_port,
                data,
            } => {
                let inbox = self.hosts[to].udp.get(&dst_port).cloned()?;
                Some(Delivery::Datagram(inbox, src, data))
            }
        }
    }
}

impl Shared {
    pub(crate) fn new(cfg: Config) -> Shared {
        Shared {
            state: Mutex::new(State {
                rng: Rng::new(cfg.seed),
                cfg,
                start: Instant::now(),
                hosts: Vec::new(),
                links: BTreeMap::new(),
                queue: BTreeMap::new(),
                seq: 0,
                router: None,
                hash: 0xcbf2_9ce4_8422_2325,
                delivered: 0,
            }),
        }
    }

    /// Adds a host named `name` with address 10.0.x.y.
    pub(crate) fn add_host(&self, name: &str, main: Option<MainFn>) -> (HostId, IpAddr) {
        let mut st = self.state.lock();
        assert!(
            st.host_by_name(name).is_none(),
            "a simulated host named {name:?} already exists"
        );
        let n = st.hosts.len() + 1;
        let ip = IpAddr::V4(Ipv4Addr::new(10, 0, (n >> 8) as u8, n as u8));
        st.hosts.push(Host {
            name: name.to_owned(),
            ip,
            incarnation: 0,
            alive: true,
            main,
            skew: 0,
            tasks: Vec::new(),
            pruned_at: 0,
            listeners: BTreeMap::new(),
            udp: BTreeMap::new(),
            conns: Vec::new(),
            next_port: 49152,
        });
        (n - 1, ip)
    }

    /// `host_ctx.rs` rule 1: a new task of `ctx`'s host.
    pub(crate) fn track_task(&self, ctx: &HostCtx, task: AbortHandle) {
        let mut st = self.state.lock();
        if !st.is_current(ctx) {
            drop(st);
            task.abort();
            return;
        }
        let h = &mut st.hosts[ctx.id];
        if h.tasks.len() >= 64 && h.tasks.len() >= 2 * h.pruned_at {
            h.tasks.retain(|t| !t.is_finished());
            h.pruned_at = h.tasks.len();
        }
        h.tasks.push(task);
    }

    /// Queues `event` from `from` to `to` after one latency.
    pub(crate) fn send(&self, from: HostId, to: HostId, event: Event) {
        let waker = {
            let mut st = self.state.lock();
            let at = Instant::now() + st.latency(from, to);
            st.push(at, from, to, event)
        };
        if let Some(w) = waker {
            w.wake();
        }
    }

    /// Sends a TCP segment from `side` of `conn`, after what it sent before.
    pub(crate) fn send_segment(&self, conn: &Arc<Conn>, side: usize, seg: Seg) -> io::Result<()> {
        let (from, to) = (conn.hosts[side], conn.hosts[1 - side]);
        let lat = self.state.lock().latency(from, to);
        let at = conn.sending(side, Instant::now() + lat)?;
        let event = Event::Segment {
            conn: conn.clone(),
            to_side: 1 - side,
            seg,
        };
        let waker = self.state.lock().push(at, from, to, event);
        if let Some(w) = waker {
            w.wake();
        }
        Ok(())
    }

    /// Sends a FIN without the checks of `send_segment` (used on close).
    pub(crate) fn send_fin(&self, conn: &Arc<Conn>, side: usize) {
        let (from, to) = (conn.hosts[side], conn.hosts[1 - side]);
        let lat = self.state.lock().latency(from, to);
        let at = conn.fin_time(side, Instant::now() + lat);
        let event = Event::Segment {
            conn: conn.clone(),
            to_side: 1 - side,
            seg: Seg::Fin,
        };
        let waker = self.state.lock().push(at, from, to, event);
        if let Some(w) = waker {
            w.wake();
        }
    }

    /// Delivers what is due; returns the next delivery time, if any.
    fn run_due(&self, waker: &Waker) -> Option<Instant> {
        loop {
            let now = Instant::now();
            let mut due = Vec::new();
            let next = {
                let mut st = self.state.lock();
                while let Some(entry) = st.queue.first_entry() {
                    if entry.key().0 > now {
                        break;
                    }
                    let msg = entry.remove();
                    if let Some(d) = st.decide(now, msg) {
                        due.push(d);
                    }
                }
                let next = st.queue.keys().next().map(|&(t, _)| t);
                if due.is_empty() {
                    st.router = Some(waker.clone());
                    return next;
                }
                next
            };
            for d in due {
                self.deliver(d);
            }
            let _ = next;
        }
    }

    fn deliver(&self, d: Delivery) {
        match d {
            Delivery::Segment(conn, to_side, seg) => conn.deliver(to_side, seg),
            Delivery::Reset(conn) => conn.reset(),
            Delivery::Syn(syn, backlog, from, to) => {
                let result = match backlog {
                    Some(backlog) if backlog.offer(&syn.conn) => {
                        let mut st = self.state.lock();
                        st.add_conn(to, &syn.conn);
                        Ok(())
                    }
                    _ => Err(io::Error::new(
                        io::ErrorKind::ConnectionRefused,
                        "connection refused (simulated)",
                    )),
                };
                self.send(to, from, Event::Reply { syn, result });
            }
            Delivery::Reply(syn, result) => {
                let ok = result.is_ok();
                if syn.reply.send(result).is_err() && ok {
                    // The connector gave up: the accepted end sees a reset.
                    syn.conn.reset();
                }
            }
            Delivery::Datagram(inbox, src, data) => inbox.push(src, data),
        }
    }

    /// Requeues the messages parked on the link `a`–`b` (rule 2).
    fn unpark(&self, a: HostId, b: HostId) {
        let waker = {
            let mut st = self.state.lock();
            let parked = std::mem::take(&mut st.link(a, b).parked);
            let now = Instant::now();
            let mut waker = None;
            for msg in parked {
                if let Some(w) = st.push(now, msg.from, msg.to, msg.event) {
                    waker = Some(w);
                }
            }
            waker
        };
        if let Some(w) = waker {
            w.wake();
        }
    }

    pub(crate) fn set_link(
        &self,
        a: HostId,
        b: HostId,
        partitioned: Option<bool>,
        held: Option<bool>,
    ) {
        {
            let mut st = self.state.lock();
            let link = st.link(a, b);
            if let Some(p) = partitioned {
                link.partitioned = p;
            }
            if let Some(h) = held {
                link.held = h;
            }
        }
        self.unpark(a, b);
    }

    /// Resets every connection between `a` and `b`.
    pub(crate) fn reset_between(&self, a: HostId, b: HostId) {
        let conns: Vec<Arc<Conn>> = {
            let st = self.state.lock();
            st.hosts[a]
                .conns
                .iter()
                .filter(|c| pair(c.hosts[0], c.hosts[1]) == pair(a, b))
                .cloned()
                .collect()
        };
        for c in conns {
            c.reset();
        }
    }

    /// Takes `host` down: aborts its tasks, resets its connections, closes
    /// its listeners and UDP sockets.
    pub(crate) fn crash(&self, host: HostId) {
        let (tasks, listeners, udp, conns) = {
            let mut st = self.state.lock();
            let h = &mut st.hosts[host];
            if !h.alive {
                return;
            }
            h.alive = false;
            h.incarnation += 1;
            h.pruned_at = 0;
            (
                std::mem::take(&mut h.tasks),
                std::mem::take(&mut h.listeners),
                std::mem::take(&mut h.udp),
                std::mem::take(&mut h.conns),
            )
        };
        for t in tasks {
            t.abort();
        }
        for l in listeners.into_values() {
            l.close();
        }
        for u in udp.into_values() {
            u.close();
        }
        for c in conns {
            c.reset();
        }
    }

    /// Brings a crashed `host` back; returns its context and main.
    pub(crate) fn revive(self: &Arc<Self>, host: HostId) -> Option<(Arc<HostCtx>, Option<MainFn>)> {
        let mut st = self.state.lock();
        let h = &mut st.hosts[host];
        if h.alive {
            return None;
        }
        h.alive = true;
        let ctx = Arc::new(HostCtx {
            net: self.clone(),
            id: host,
            incarnation: h.incarnation,
        });
        Some((ctx, h.main.clone()))
    }

    pub(crate) fn hash(&self) -> (u64, u64) {
        let st = self.state.lock();
        (st.hash, st.delivered)
    }
}

/// The task that delivers messages when they are due (rule 1).
pub(crate) struct Router {
    pub(crate) net: Arc<Shared>,
    pub(crate) sleep: Pin<Box<Sleep>>,
}

impl Future for Router {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        loop {
            match this.net.run_due(cx.waker()) {
                None => return Poll::Pending,
                Some(next) => {
                    this.sleep.as_mut().reset(next);
                    if this.sleep.as_mut().poll(cx).is_pending() {
                        return Poll::Pending;
                    }
                }
            }
        }
    }
}
