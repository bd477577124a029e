// Scratch profiling driver (not committed).
use std::time::Instant;

macro_rules! body {
    ($rt:ident, $rtb:expr, $what:expr, $n:expr) => {{
        let rt = $rtb;
        let n: usize = $n;
        let t = Instant::now();
        match $what {
            "mpsc" => {
                let (count, sum) = rt.block_on(async move {
                    $rt::spawn(async move {
                        let (tx, mut rx) = $rt::sync::mpsc::channel::<u64>(1024);
                        for p in 0..4usize {
                            let tx = tx.clone();
                            drop($rt::spawn(async move {
                                let base = (p * n) as u64;
                                for i in 0..n as u64 {
                                    tx.send(base + i).await.unwrap();
                                }
                            }));
                        }
                        drop(tx);
                        let (mut c, mut s) = (0usize, 0u64);
                        while let Some(v) = rx.recv().await {
                            c += 1;
                            s += v;
                        }
                        (c, s)
                    })
                    .await
                    .unwrap()
                });
                assert_eq!(count, 4 * n);
                let _ = sum;
            }
            "ping" => {
                let rounds = n;
                rt.block_on(async move {
                    $rt::spawn(async move {
                        let mut pings = vec![];
                        for _ in 0..16 {
                            let (to_pong, mut pong_rx) = $rt::sync::mpsc::channel::<u64>(1);
                            let (to_ping, mut ping_rx) = $rt::sync::mpsc::channel::<u64>(1);
                            drop($rt::spawn(async move {
                                while let Some(v) = pong_rx.recv().await {
                                    if to_ping.send(v + 1).await.is_err() {
                                        break;
                                    }
                                }
                            }));
                            pings.push($rt::spawn(async move {
                                let mut v = 0u64;
                                for _ in 0..rounds {
                                    to_pong.send(v).await.unwrap();
                                    let back = ping_rx.recv().await.unwrap();
                                    assert_eq!(back, v + 1);
                                    v = back + 1;
                                }
                                v
                            }));
                        }
                        for p in pings {
                            assert_eq!(p.await.unwrap(), 2 * rounds as u64);
                        }
                    })
                    .await
                    .unwrap()
                });
            }
            "mutex" => {
                let v = rt.block_on(async move {
                    $rt::spawn(async move {
                        let m = $rt::sync::Mutex::new(0u64);
                        for _ in 0..n {
                            *m.lock().await += 1;
                        }
                        let v = *m.lock().await;
                        v
                    })
                    .await
                    .unwrap()
                });
                assert_eq!(v, n as u64);
            }
            _ => panic!("what"),
        }
        eprintln!("{} {:?}", $what, t.elapsed());
    }};
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let rtname = args[1].as_str();
    let flavor = args[2].as_str();
    let what = args[3].as_str();
    let n: usize = args[4].parse().unwrap();
    match rtname {
        "evloop" => {
            let mut b = if flavor == "mt" {
                let mut b = evloop::runtime::Builder::new_multi_thread();
                b.worker_threads(2);
                b
            } else {
                evloop::runtime::Builder::new_current_thread()
            };
            body!(evloop, b.enable_all().build().unwrap(), what, n)
        }
        "tokio" => {
            let mut b = if flavor == "mt" {
                let mut b = tokio::runtime::Builder::new_multi_thread();
                b.worker_threads(2);
                b
            } else {
                tokio::runtime::Builder::new_current_thread()
            };
            body!(tokio, b.enable_all().build().unwrap(), what, n)
        }
        _ => panic!(),
    }
}
