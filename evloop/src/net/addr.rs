//! [`ToSocketAddrs`] and [`lookup_host`]: turning what the caller wrote into
//! socket addresses.
//!
//! Literal addresses resolve at once. Host names resolve with the system
//! resolver (`getaddrinfo`), which blocks; it runs on the runtime's blocking
//! pool (`spawn_blocking`), and the task awaits its `JoinHandle`.

use std::future::Future;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::runtime::task::JoinHandle;

/// Anything that can be resolved to socket addresses: `SocketAddr`,
/// `(IpAddr, u16)`, `"127.0.0.1:8080"`, `("localhost", 8080)`,
/// `"example.com:80"`, `&[SocketAddr]`, ... Host names are resolved without
/// blocking the runtime.
///
/// This trait is sealed: its methods are internal.
pub trait ToSocketAddrs: sealed::ToSocketAddrsPriv {}

pub(crate) mod sealed {
    use super::MaybeReady;

    #[doc(hidden)]
    pub trait ToSocketAddrsPriv {
        #[doc(hidden)]
        fn to_socket_addrs(&self) -> MaybeReady;
    }
}

/// Resolution in progress, or already done.
#[doc(hidden)]
#[derive(Debug)]
pub enum MaybeReady {
    #[doc(hidden)]
    Ready(Option<io::Result<Vec<SocketAddr>>>),
    #[doc(hidden)]
    Blocking(Resolve),
}

impl Future for MaybeReady {
    type Output = io::Result<std::vec::IntoIter<SocketAddr>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.get_mut() {
            MaybeReady::Ready(res) => Poll::Ready(
                res.take()
                    .expect("MaybeReady polled after completion")
                    .map(Vec::into_iter),
            ),
            MaybeReady::Blocking(resolve) => Pin::new(resolve).poll(cx).map_ok(Vec::into_iter),
        }
    }
}

/// A host-name lookup running on the blocking pool.
#[doc(hidden)]
#[derive(Debug)]
pub struct Resolve {
    join: JoinHandle<io::Result<Vec<SocketAddr>>>,
}

impl Resolve {
    /// Starts the lookup on the current runtime's blocking pool, or
    /// answers at once on a simulated host (`sim::net`).
    ///
    /// # Panics
    ///
    /// Outside a runtime (like every resource constructor).
    #[track_caller]
    fn spawn(host: String, port: Option<u16>) -> MaybeReady {
        // On a simulated host, names are the simulation's hosts.
        if crate::sim::net::current().is_some() {
            let (name, port) = match port {
                Some(port) => (host.as_str(), Some(port)),
                None => match host.rsplit_once(':') {
                    Some((name, port)) => (name, port.parse().ok()),
                    None => (host.as_str(), None),
                },
            };
            let res = match port {
                Some(port) => crate::sim::net::resolve(name, port),
                None => Some(Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    "invalid socket address",
                ))),
            };
            if let Some(res) = res {
                return MaybeReady::Ready(Some(res));
            }
        }
        let join = crate::task::spawn_blocking(move || {
            match port {
                Some(port) => std::net::ToSocketAddrs::to_socket_addrs(&(host.as_str(), port)),
                None => std::net::ToSocketAddrs::to_socket_addrs(host.as_str()),
            }
            .map(Iterator::collect)
        });
        MaybeReady::Blocking(Resolve { join })
    }
}

impl Future for Resolve {
    type Output = io::Result<Vec<SocketAddr>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.get_mut().join).poll(cx).map(|res| {
            res.unwrap_or_else(|e| {
                Err(io::Error::other(format!(
                    "the host name lookup did not complete: {e}"
                )))
            })
        })
    }
}

fn ready(addrs: Vec<SocketAddr>) -> MaybeReady {
    MaybeReady::Ready(Some(Ok(addrs)))
}

macro_rules! literal_addrs {
    ($($ty:ty => |$s:ident| $e:expr),* $(,)?) => {$(
        impl ToSocketAddrs for $ty {}
        impl sealed::ToSocketAddrsPriv for $ty {
            fn to_socket_addrs(&self) -> MaybeReady {
                let $s = self;
                ready($e)
            }
        }
    )*};
}

literal_addrs! {
    SocketAddr => |s| vec![*s],
    SocketAddrV4 => |s| vec![SocketAddr::V4(*s)],
    SocketAddrV6 => |s| vec![SocketAddr::V6(*s)],
    (IpAddr, u16) => |s| vec![SocketAddr::new(s.0, s.1)],
    (Ipv4Addr, u16) => |s| vec![SocketAddr::new(IpAddr::V4(s.0), s.1)],
    (Ipv6Addr, u16) => |s| vec![SocketAddr::new(IpAddr::V6(s.0), s.1)],
    [SocketAddr] => |s| s.to_vec(),
    Vec<SocketAddr> => |s| s.clone(),
}

impl ToSocketAddrs for str {}
impl sealed::ToSocketAddrsPriv for str {
    fn to_socket_addrs(&self) -> MaybeReady {
        match self.parse::<SocketAddr>() {
            Ok(addr) => ready(vec![addr]),
            Err(_) => Resolve::spawn(self.to_owned(), None),
        }
    }
}

impl ToSocketAddrs for String {}
impl sealed::ToSocketAddrsPriv for String {
    fn to_socket_addrs(&self) -> MaybeReady {
        self.as_str().to_socket_addrs()
    }
}

impl ToSocketAddrs for (&str, u16) {}
impl sealed::ToSocketAddrsPriv for (&str, u16) {
    fn to_socket_addrs(&self) -> MaybeReady {
        match self.0.parse::<IpAddr>() {
            Ok(ip) => ready(vec![SocketAddr::new(ip, self.1)]),
            Err(_) => Resolve::spawn(self.0.to_owned(), Some(self.1)),
        }
    }
}

impl ToSocketAddrs for (String, u16) {}
impl sealed::ToSocketAddrsPriv for (String, u16) {
    fn to_socket_addrs(&self) -> MaybeReady {
        (self.0.as_str(), self.1).to_socket_addrs()
    }
}

impl<T: ToSocketAddrs + ?Sized> ToSocketAddrs for &T {}
impl<T: ToSocketAddrs + ?Sized> sealed::ToSocketAddrsPriv for &T {
    fn to_socket_addrs(&self) -> MaybeReady {
        (**self).to_socket_addrs()
    }
}

pub(crate) async fn to_socket_addrs(
    addr: impl ToSocketAddrs,
) -> io::Result<std::vec::IntoIter<SocketAddr>> {
    sealed::ToSocketAddrsPriv::to_socket_addrs(&addr).await
}

/// Tries `f` on every address `addr` resolves to; returns the first success
/// or the last error.
pub(crate) async fn each_addr<T, F, Fut>(addr: impl ToSocketAddrs, mut f: F) -> io::Result<T>
where
    F: FnMut(SocketAddr) -> Fut,
    Fut: Future<Output = io::Result<T>>,
{
    let mut last_err = None;
    for addr in to_socket_addrs(addr).await? {
        match f(addr).await {
            Ok(v) => return Ok(v),
            Err(e) => last_err = Some(e),
        }
    }
    Err(last_err.unwrap_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            "could not resolve to any address",
        )
    }))
}

/// Resolves `host` (`"name:port"`, `("name", port)`, or a literal address)
/// to socket addresses.
///
/// Cancel-safe (a cancelled name lookup finishes on the blocking pool and
/// is discarded).
///
/// # Panics
///
/// If `host` needs a name lookup and no evloop runtime is current.
///
/// ```
/// # fn main() { let rt = evloop::runtime::Builder::new_current_thread().enable_all().build().unwrap();
/// # rt.block_on(async {
/// let addrs: Vec<_> = evloop::net::lookup_host("127.0.0.1:80").await.unwrap().collect();
/// assert_eq!(addrs, ["127.0.0.1:80".parse().unwrap()]);
/// # }); }
/// ```
pub async fn lookup_host(host: impl ToSocketAddrs) -> io::Result<impl Iterator<Item = SocketAddr>> {
    to_socket_addrs(host).await
}
