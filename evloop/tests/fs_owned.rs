//! `File::read_at_owned` / `write_at_owned` on both drivers (io_uring
//! completion operations, or the blocking pool).

use std::time::Duration;

use evloop::fs::File;
use evloop::runtime::{Builder, IoDriver};

#[test]
fn positional_owned_io_on_every_driver() {
    for driver in [IoDriver::Epoll, IoDriver::Uring] {
        for multi in [false, true] {
            let mut b = if multi {
                let mut b = Builder::new_multi_thread();
                b.worker_threads(2);
                b
            } else {
                Builder::new_current_thread()
            };
            let Ok(rt) = b.enable_all().io_driver(driver).build() else {
                continue;
            };
            let path = std::env::temp_dir().join(format!(
                "evloop-fs-owned-{}-{driver:?}-{multi}",
                std::process::id()
            ));
            rt.block_on(async {
                evloop::time::timeout(Duration::from_secs(20), async {
                    let file = File::options()
                        .read(true)
                        .write(true)
                        .create(true)
                        .truncate(true)
                        .open(&path)
                        .await
                        .unwrap();
                    let data: Vec<u8> = (0..=255u8).cycle().take(64 * 1024).collect();
                    let mut off = 0;
                    while off < data.len() {
                        let chunk = data[off..(off + 4096).min(data.len())].to_vec();
                        let (n, _) = file.write_at_owned(chunk, off as u64).await;
                        off += n.unwrap();
                    }
                    for pos in [0u64, 1, 4095, 4096, 60_000, 65_535] {
                        let (n, buf) = file.read_at_owned(Vec::with_capacity(4096), pos).await;
                        let n = n.unwrap();
                        assert_eq!(n, 4096.min(data.len() - pos as usize), "{driver:?} {pos}");
                        assert_eq!(buf.len(), n);
                        assert_eq!(&buf[..], &data[pos as usize..pos as usize + n]);
                    }
                    // At the end: 0 bytes; the cursor was never moved.
                    let (n, _) = file.read_at_owned(vec![0u8; 16], 1 << 20).await;
                    assert_eq!(n.unwrap(), 0);
                    let mut cursor = file;
                    let pos = evloop::io::AsyncSeekExt::stream_position(&mut cursor)
                        .await
                        .unwrap();
                    assert_eq!(pos, 0);
                    // Errors come back with the buffer: a read-only file
                    // refuses writes.
                    let ro = File::open(&path).await.unwrap();
                    let (r, back) = ro.write_at_owned(b"x".to_vec(), 0).await;
                    assert_eq!(r.unwrap_err().raw_os_error(), Some(libc::EBADF));
                    assert_eq!(back, b"x");
                })
                .await
                .expect("watchdog");
            });
            std::fs::remove_file(&path).unwrap();
        }
    }
}
