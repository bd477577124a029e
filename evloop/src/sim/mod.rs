//! Simulation: run a program on simulated hosts joined by a simulated network.

pub mod net;
