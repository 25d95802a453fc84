//! Shared pieces of the seatdesk benchmarks: the `seatdesk-bench` binary's
//! whole-system runs and the criterion micro benchmarks in `benches/`.

pub mod fixture;
pub mod frame;
