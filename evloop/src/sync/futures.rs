//! Named future types of the sync primitives, for users who store them in
//! structs or name them in signatures.

pub use super::notify::{Notified, OwnedNotified};
