//! The simulated network's UDP: delivery, seeded loss, duplication and
//! reordering, partitions and holds, on a runtime with paused time.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use evloop::net::UdpSocket;
use evloop::sim::net::{Net, NetBuilder};
use evloop::time::{sleep, timeout};

async fn bounded<F: std::future::Future>(fut: F) -> F::Output {
    timeout(Duration::from_secs(3600), fut)
        .await
        .expect("the simulation hung")
}

/// Sends `count` numbered datagrams from "a" to a sink on "b" (10 every
/// millisecond) and returns the numbers received, in arrival order.
async fn stream(builder: NetBuilder, count: u32) -> Vec<u32> {
    let net = builder.build();
    let got = Arc::new(Mutex::new(Vec::new()));
    let g = got.clone();
    net.host("b", move || {
        let g = g.clone();
        async move {
            let sock = UdpSocket::bind("0.0.0.0:9").await.unwrap();
            let mut buf = [0u8; 16];
            loop {
                let (n, _) = sock.recv_from(&mut buf).await.unwrap();
                assert_eq!(n, 4);
                g.lock()
                    .unwrap()
                    .push(u32::from_be_bytes(buf[..4].try_into().unwrap()));
            }
        }
    });
    let sender = net.client("a", async move {
        let sock = UdpSocket::bind("0.0.0.0:0").await.unwrap();
        for i in 0..count {
            sock.send_to(&i.to_be_bytes(), "b:9").await.unwrap();
            if i % 10 == 9 {
                sleep(Duration::from_millis(1)).await;
            }
        }
    });
    sender.await.unwrap();
    sleep(Duration::from_secs(1)).await;
    let v = got.lock().unwrap().clone();
    v
}

fn inversions(v: &[u32]) -> usize {
    v.windows(2).filter(|w| w[0] > w[1]).count()
}

#[evloop::test(start_paused = true)]
async fn datagrams_between_hosts_carry_their_sender() {
    bounded(async {
        let net = Net::new();
        let server_ip = net.host("server", || async {
            let sock = UdpSocket::bind("0.0.0.0:53").await.unwrap();
            let mut buf = [0u8; 64];
            loop {
                let (n, from) = sock.recv_from(&mut buf).await.unwrap();
                sock.send_to(&buf[..n], from).await.unwrap();
            }
        });
        let out = net.client("client", async {
            let sock = UdpSocket::bind("0.0.0.0:0").await.unwrap();
            sock.connect("server:53").await.unwrap();
            sock.send(b"query").await.unwrap();
            let mut buf = [0u8; 64];
            let n = sock.recv(&mut buf).await.unwrap();
            (
                buf[..n].to_vec(),
                sock.peer_addr().unwrap(),
                sock.local_addr().unwrap(),
            )
        });
        let (reply, peer, local) = out.await.unwrap();
        assert_eq!(reply, b"query");
        assert_eq!(peer, (server_ip, 53).into());
        assert_eq!(local.ip().to_string(), "10.0.0.2");
    })
    .await;
}

#[evloop::test(start_paused = true)]
async fn without_faults_every_datagram_arrives_once_in_order() {
    let got = bounded(stream(Net::builder().seed(5), 1000)).await;
    assert_eq!(got, (0..1000).collect::<Vec<_>>());
}

#[evloop::test(start_paused = true)]
async fn loss_drops_about_its_share() {
    let got = bounded(stream(Net::builder().seed(5).udp_loss(0.3), 2000)).await;
    let lost = 2000 - got.len();
    assert!((500..700).contains(&lost), "lost {lost} of 2000 at p = 0.3");
    assert!(got.windows(2).all(|w| w[0] < w[1]), "loss alone reordered");
}

#[evloop::test(start_paused = true)]
async fn duplication_repeats_about_its_share() {
    let got = bounded(stream(Net::builder().seed(5).udp_duplicate(0.2), 2000)).await;
    let extra = got.len() - 2000;
    assert!(
        (320..480).contains(&extra),
        "{extra} duplicates of 2000 at p = 0.2"
    );
    let mut counts = vec![0u8; 2000];
    for &i in &got {
        counts[i as usize] += 1;
    }
    assert!(counts.iter().all(|&c| c == 1 || c == 2));
}

#[evloop::test(start_paused = true)]
async fn reordering_lets_later_datagrams_overtake() {
    let builder = Net::builder()
        .seed(5)
        .latency(Duration::from_millis(5)..Duration::from_millis(5))
        .udp_reorder(0.1);
    let got = bounded(stream(builder, 1000)).await;
    let mut sorted = got.clone();
    sorted.sort_unstable();
    assert_eq!(
        sorted,
        (0..1000).collect::<Vec<_>>(),
        "reordering lost or added"
    );
    let inv = inversions(&got);
    assert!(inv >= 30, "only {inv} inversions at p = 0.1");
}

#[test]
fn same_seed_same_faults() {
    let run = |seed| {
        evloop::runtime::Builder::new_current_thread()
            .enable_all()
            .start_paused(true)
            .build()
            .unwrap()
            .block_on(bounded(stream(
                Net::builder()
                    .seed(seed)
                    .latency(Duration::from_millis(1)..Duration::from_millis(20))
                    .udp_loss(0.1)
                    .udp_duplicate(0.1)
                    .udp_reorder(0.1),
                500,
            )))
    };
    let a = run(11);
    assert_eq!(a, run(11));
    assert_ne!(a, run(12));
}

#[evloop::test(start_paused = true)]
async fn partition_drops_datagrams_and_hold_queues_them() {
    bounded(async {
        let net = Net::new();
        let got = Arc::new(Mutex::new(Vec::new()));
        let g = got.clone();
        net.host("b", move || {
            let g = g.clone();
            async move {
                let sock = UdpSocket::bind("0.0.0.0:9").await.unwrap();
                let mut buf = [0u8; 1];
                loop {
                    sock.recv_from(&mut buf).await.unwrap();
                    g.lock().unwrap().push(buf[0]);
                }
            }
        });
        let n = net.clone();
        let g = got.clone();
        let out = net.client("a", async move {
            let sock = UdpSocket::bind("0.0.0.0:0").await.unwrap();
            n.partition("a", "b");
            sock.send_to(&[1], "b:9").await.unwrap();
            sleep(Duration::from_secs(1)).await;
            n.repair("a", "b");
            sleep(Duration::from_secs(1)).await;
            let after_partition = g.lock().unwrap().clone();
            n.hold("a", "b");
            sock.send_to(&[2], "b:9").await.unwrap();
            sock.send_to(&[3], "b:9").await.unwrap();
            sleep(Duration::from_secs(1)).await;
            let while_held = g.lock().unwrap().clone();
            n.release("a", "b");
            sleep(Duration::from_secs(1)).await;
            (after_partition, while_held)
        });
        let (after_partition, while_held) = out.await.unwrap();
        assert_eq!(after_partition, [] as [u8; 0]);
        assert_eq!(while_held, [] as [u8; 0]);
        assert_eq!(*got.lock().unwrap(), [2, 3]);
    })
    .await;
}

#[evloop::test(start_paused = true)]
async fn crash_unbinds_udp_sockets() {
    bounded(async {
        let net = Net::new();
        let binds = Arc::new(Mutex::new(Vec::new()));
        let b = binds.clone();
        net.host("b", move || {
            let b = b.clone();
            async move {
                let res = UdpSocket::bind("0.0.0.0:9").await.map(drop);
                b.lock().unwrap().push(res.map_err(|e| e.kind()));
                std::future::pending::<()>().await;
            }
        });
        let n = net.clone();
        let out = net.client("a", async move {
            sleep(Duration::from_millis(10)).await;
            n.crash("b");
            n.restart("b");
            sleep(Duration::from_millis(10)).await;
        });
        out.await.unwrap();
        // The restarted main bound port 9 again: the old socket is gone.
        assert_eq!(*binds.lock().unwrap(), [Ok(()), Ok(())]);
    })
    .await;
}
