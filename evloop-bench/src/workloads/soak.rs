//! The soak workload, written once against tokio's API shape like the others
//! (see [`super::shape`]): `shape_soak!` needs `shape_core!` (`in_root`) and
//! `shape_net!` (`loopback`, `echo_conn`) expanded in the same module, and
//! `TcpStream::split`. The two halves of a round trip run in one task,
//! joined by `common::join2` (the same code for every runtime).
//!
//! `N` connections on loopback, client and server on the same runtime. Each
//! client sends messages of random length (1 B – 64 KiB) for `T` seconds,
//! one at a time, writing and reading back at the same time (so a message
//! larger than the socket buffers cannot deadlock), and checks every byte
//! that comes back against the keyed pattern it was written from. It
//! reports the bytes echoed per second, the round trips per second and the
//! percentiles of the round-trip time (from the first byte written to the
//! last byte read back) over every message of every connection.

macro_rules! shape_soak {
    ($rt:ident) => {
        /// One soak connection's client side, until `deadline`.
        async fn soak_client(
            mut stream: $rt::net::TcpStream,
            id: u64,
            deadline: ::std::time::Instant,
        ) -> common::SoakClient {
            use $rt::io::{AsyncReadExt, AsyncWriteExt};
            stream.set_nodelay(true).expect("soak: set_nodelay");
            let mut rng = common::Rng::new(id);
            let mut out = vec![0u8; common::SOAK_CHUNK];
            let mut back = vec![0u8; common::SOAK_CHUNK];
            let mut stats = common::SoakClient::default();
            let (mut rd, mut wr) = stream.split();
            let mut seq = 0u64;
            loop {
                let len = rng.below(common::SOAK_MAX_MESSAGE) + 1;
                let pattern = common::Pattern::new(id << 32 | seq);
                seq += 1;
                let start = ::std::time::Instant::now();
                let write = async {
                    let mut off = 0;
                    while off < len {
                        let n = (len - off).min(common::SOAK_CHUNK);
                        pattern.fill(off, &mut out[..n]);
                        wr.write_all(&out[..n]).await?;
                        off += n;
                    }
                    Ok::<(), ::std::io::Error>(())
                };
                let read = async {
                    let mut off = 0;
                    while off < len {
                        let want = (len - off).min(common::SOAK_CHUNK);
                        let n = rd.read(&mut back[..want]).await?;
                        if n == 0 {
                            return Err(::std::io::ErrorKind::UnexpectedEof.into());
                        }
                        assert!(
                            pattern.check(off, &back[..n]),
                            "soak: wrong bytes back on connection {id}"
                        );
                        off += n;
                    }
                    Ok::<(), ::std::io::Error>(())
                };
                let (w, r) = common::join2(write, read).await;
                w.expect("soak: write");
                r.expect("soak: read");
                let now = ::std::time::Instant::now();
                stats.record(now - start, len);
                if now >= deadline {
                    return stats;
                }
            }
        }

        pub(super) fn soak(flavor: Flavor, sizes: &Sizes) -> Option<Outcome> {
            let (conns, length) = (sizes.soak_conns, sizes.soak);
            // Both ends of every connection, and some to spare.
            let needed = 2 * conns as u64 + 64;
            let limit = common::raise_fd_limit(needed);
            assert!(
                limit >= needed,
                "soak: {conns} connections need {needed} open files and the limit \
                 (RLIMIT_NOFILE) stays at {limit}: pass a smaller --soak-conns"
            );
            let rt = build(flavor)?;
            let (clients, elapsed) = in_root(&rt, async move {
                let listener = $rt::net::TcpListener::bind(loopback())
                    .await
                    .expect("soak: bind");
                let addr = listener.local_addr().expect("local_addr");
                drop($rt::spawn(async move {
                    loop {
                        let (stream, _) = listener.accept().await.expect("soak: accept");
                        drop($rt::spawn(echo_conn(stream)));
                    }
                }));
                let mut streams = Vec::with_capacity(conns);
                for _ in 0..conns {
                    let stream = $rt::net::TcpStream::connect(addr)
                        .await
                        .expect("soak: connect");
                    streams.push(stream);
                }
                let start = ::std::time::Instant::now();
                let deadline = start + length;
                let handles: Vec<_> = streams
                    .into_iter()
                    .enumerate()
                    .map(|(i, s)| $rt::spawn(soak_client(s, i as u64, deadline)))
                    .collect();
                let mut clients = Vec::with_capacity(conns);
                for handle in handles {
                    clients.push(handle.await.expect("soak: client failed"));
                }
                (clients, start.elapsed())
            });
            assert_eq!(clients.len(), conns, "soak: lost clients");
            Some(common::soak_outcome(clients, elapsed))
        }
    };
}
