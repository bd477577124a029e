//! `UdpSocket`: multicast, type-of-service and device options.
//!
//! Each option is one `setsockopt`/`getsockopt` on the socket. Those that
//! exist only on some systems carry the same `cfg` as the system call.

use std::io;
use std::net::{Ipv4Addr, Ipv6Addr};

use socket2::SockRef;

use super::UdpSocket;

impl UdpSocket {
    /// Joins the IPv4 multicast group `multiaddr` on the interface with
    /// address `interface` (`UNSPECIFIED` lets the system choose).
    pub fn join_multicast_v4(&self, multiaddr: Ipv4Addr, interface: Ipv4Addr) -> io::Result<()> {
        self.real("join_multicast_v4")?
            .join_multicast_v4(&multiaddr, &interface)
    }

    /// Joins the IPv6 multicast group `multiaddr` on the interface with
    /// index `interface` (0 lets the system choose).
    pub fn join_multicast_v6(&self, multiaddr: &Ipv6Addr, interface: u32) -> io::Result<()> {
        self.real("join_multicast_v6")?
            .join_multicast_v6(multiaddr, interface)
    }

    /// Leaves an IPv4 multicast group joined with `join_multicast_v4`.
    pub fn leave_multicast_v4(&self, multiaddr: Ipv4Addr, interface: Ipv4Addr) -> io::Result<()> {
        self.real("leave_multicast_v4")?
            .leave_multicast_v4(&multiaddr, &interface)
    }

    /// Leaves an IPv6 multicast group joined with `join_multicast_v6`.
    pub fn leave_multicast_v6(&self, multiaddr: &Ipv6Addr, interface: u32) -> io::Result<()> {
        self.real("leave_multicast_v6")?
            .leave_multicast_v6(multiaddr, interface)
    }

    /// Whether IPv4 multicast datagrams sent here loop back to local
    /// sockets (`IP_MULTICAST_LOOP`).
    pub fn multicast_loop_v4(&self) -> io::Result<bool> {
        self.real("multicast_loop_v4")?.multicast_loop_v4()
    }

    /// Sets `IP_MULTICAST_LOOP`.
    pub fn set_multicast_loop_v4(&self, on: bool) -> io::Result<()> {
        self.real("set_multicast_loop_v4")?
            .set_multicast_loop_v4(on)
    }

    /// The time-to-live of IPv4 multicast datagrams (`IP_MULTICAST_TTL`).
    pub fn multicast_ttl_v4(&self) -> io::Result<u32> {
        self.real("multicast_ttl_v4")?.multicast_ttl_v4()
    }

    /// Sets `IP_MULTICAST_TTL` (1, the default, keeps them on the local
    /// network).
    pub fn set_multicast_ttl_v4(&self, ttl: u32) -> io::Result<()> {
        self.real("set_multicast_ttl_v4")?.set_multicast_ttl_v4(ttl)
    }

    /// Whether IPv6 multicast datagrams sent here loop back to local
    /// sockets (`IPV6_MULTICAST_LOOP`).
    pub fn multicast_loop_v6(&self) -> io::Result<bool> {
        self.real("multicast_loop_v6")?.multicast_loop_v6()
    }

    /// Sets `IPV6_MULTICAST_LOOP`.
    pub fn set_multicast_loop_v6(&self, on: bool) -> io::Result<()> {
        self.real("set_multicast_loop_v6")?
            .set_multicast_loop_v6(on)
    }

    /// The IPv4 type-of-service byte of sent datagrams (`IP_TOS`).
    #[cfg(not(any(
        target_os = "fuchsia",
        target_os = "redox",
        target_os = "solaris",
        target_os = "illumos",
        target_os = "haiku"
    )))]
    pub fn tos_v4(&self) -> io::Result<u32> {
        SockRef::from(&**self.real("tos")?).tos()
    }

    /// Sets `IP_TOS` (DSCP and ECN bits).
    #[cfg(not(any(
        target_os = "fuchsia",
        target_os = "redox",
        target_os = "solaris",
        target_os = "illumos",
        target_os = "haiku"
    )))]
    pub fn set_tos_v4(&self, tos: u32) -> io::Result<()> {
        SockRef::from(&**self.real("set_tos")?).set_tos(tos)
    }

    /// Old name of [`tos_v4`](UdpSocket::tos_v4).
    #[deprecated = "use `tos_v4`"]
    #[cfg(not(any(
        target_os = "fuchsia",
        target_os = "redox",
        target_os = "solaris",
        target_os = "illumos",
        target_os = "haiku"
    )))]
    pub fn tos(&self) -> io::Result<u32> {
        self.tos_v4()
    }

    /// Old name of [`set_tos_v4`](UdpSocket::set_tos_v4).
    #[deprecated = "use `set_tos_v4`"]
    #[cfg(not(any(
        target_os = "fuchsia",
        target_os = "redox",
        target_os = "solaris",
        target_os = "illumos",
        target_os = "haiku"
    )))]
    pub fn set_tos(&self, tos: u32) -> io::Result<()> {
        self.set_tos_v4(tos)
    }

    /// The IPv6 traffic class of sent datagrams (`IPV6_TCLASS`).
    #[cfg(any(
        target_os = "android",
        target_os = "dragonfly",
        target_os = "freebsd",
        target_os = "fuchsia",
        target_os = "linux",
        target_os = "macos",
        target_os = "netbsd",
        target_os = "openbsd"
    ))]
    pub fn tclass_v6(&self) -> io::Result<u32> {
        SockRef::from(&**self.real("tclass_v6")?).tclass_v6()
    }

    /// Sets `IPV6_TCLASS`.
    #[cfg(any(
        target_os = "android",
        target_os = "dragonfly",
        target_os = "freebsd",
        target_os = "fuchsia",
        target_os = "linux",
        target_os = "macos",
        target_os = "netbsd",
        target_os = "openbsd"
    ))]
    pub fn set_tclass_v6(&self, tclass: u32) -> io::Result<()> {
        SockRef::from(&**self.real("set_tclass_v6")?).set_tclass_v6(tclass)
    }

    /// The interface this socket is bound to (`SO_BINDTODEVICE`), if any.
    #[cfg(any(target_os = "android", target_os = "fuchsia", target_os = "linux"))]
    pub fn device(&self) -> io::Result<Option<Vec<u8>>> {
        SockRef::from(&**self.real("device")?).device()
    }

    /// Binds the socket to the interface named `interface` (`None` unbinds):
    /// only datagrams that arrive on it are received, and sends leave
    /// through it. Usually needs `CAP_NET_RAW`.
    #[cfg(any(target_os = "android", target_os = "fuchsia", target_os = "linux"))]
    pub fn bind_device(&self, interface: Option<&[u8]>) -> io::Result<()> {
        SockRef::from(&**self.real("bind_device")?).bind_device(interface)
    }
}
