//! Included through a `..` path so its spawn site's file name has one.

/// Spawns a task that returns at once, from this file.
pub fn spawn_here() -> evloop::task::JoinHandle<()> {
    evloop::spawn(async {})
}
