//! `buggify!` and injected `fs` faults.

use evloop::io::AsyncWriteExt;
use evloop::sim::{buggify, Builder};

#[test]
fn buggify_is_off_outside_a_simulation() {
    for _ in 0..1000 {
        assert!(!buggify!());
    }
    // Also on a normal runtime.
    let rt = evloop::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    rt.block_on(async {
        for _ in 0..1000 {
            assert!(!buggify!());
        }
    });
}

#[test]
fn buggify_fires_for_some_seeds_and_replays() {
    let count = |seed| {
        Builder::new()
            .seed(seed)
            .block_on(async { (0..100).filter(|_| buggify!()).count() })
    };
    let counts: Vec<usize> = (0..40).map(count).collect();
    // Per-site enabling: some runs never fire the site, others fire ~1/4.
    assert!(counts.contains(&0), "{counts:?}");
    assert!(counts.iter().any(|&c| c > 5), "{counts:?}");
    assert_eq!(counts, (0..40).map(count).collect::<Vec<_>>());
    // Off when asked.
    assert!((0..40).all(|s| Builder::new()
        .seed(s)
        .buggify(0.0)
        .block_on(async { (0..100).all(|_| !buggify!()) })));
}

#[test]
fn fs_faults_hit_the_error_paths() {
    let dir = std::env::temp_dir().join(format!("evloop-sim-faults-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut eio = 0;
    let mut enospc = 0;
    let mut short = 0;
    for seed in 0..40u64 {
        let path = dir.join(format!("f{seed}"));
        let (e1, e2, s) = Builder::new()
            .seed(seed)
            .fs_faults(0.2, 0.3, 0.5)
            .block_on(async move {
                let mut eio = 0;
                let mut enospc = 0;
                let mut short = 0;
                match evloop::fs::write(&path, b"hello").await {
                    Err(e) if e.raw_os_error() == Some(libc::EIO) => eio += 1,
                    Err(e) if e.raw_os_error() == Some(libc::ENOSPC) => enospc += 1,
                    Err(e) => panic!("unexpected {e}"),
                    Ok(()) => {}
                }
                if let Ok(mut f) = evloop::fs::File::create(&path).await {
                    match f.write(b"0123456789").await {
                        Ok(n) if n < 10 => short += 1,
                        Ok(_) => {}
                        Err(e) => panic!("a write is buffered: {e}"),
                    }
                    match f.flush().await {
                        Err(e) if e.raw_os_error() == Some(libc::EIO) => eio += 1,
                        Err(e) if e.raw_os_error() == Some(libc::ENOSPC) => enospc += 1,
                        Err(e) => panic!("unexpected {e}"),
                        Ok(()) => {}
                    }
                }
                (eio, enospc, short)
            });
        eio += e1;
        enospc += e2;
        short += s;
    }
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(eio > 0 && enospc > 0 && short > 0, "{eio} {enospc} {short}");
}

#[test]
fn fs_works_unfaulted_in_a_simulation() {
    let path = std::env::temp_dir().join(format!("evloop-sim-fs-{}", std::process::id()));
    let p = path.clone();
    let back = Builder::new().block_on(async move {
        evloop::fs::write(&p, b"abc").await.unwrap();
        evloop::fs::read(&p).await.unwrap()
    });
    std::fs::remove_file(&path).unwrap();
    assert_eq!(back, b"abc");
}
