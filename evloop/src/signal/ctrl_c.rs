//! [`ctrl_c`].

use std::io;

use crate::signal::unix::{signal, SignalKind};

/// Waits for the next ctrl-c (SIGINT).
///
/// The first call installs the SIGINT handler, after which ctrl-c no longer
/// terminates the process. Cancel-safe; but a ctrl-c that arrives while no
/// `ctrl_c()` future exists is seen only by listeners created before it.
///
/// ```no_run
/// # fn main() { let rt = evloop::runtime::Builder::new_current_thread().enable_all().build().unwrap();
/// # rt.block_on(async {
/// evloop::signal::ctrl_c().await.unwrap();
/// println!("ctrl-c received");
/// # }); }
/// ```
pub async fn ctrl_c() -> io::Result<()> {
    let mut sig = signal(SignalKind::interrupt())?;
    sig.recv().await;
    Ok(())
}
