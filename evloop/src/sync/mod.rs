//! Channels and synchronization primitives for tasks.
