#![no_main]
//! `evloop::fuzz::mpsc_unbounded` driven by libFuzzer.

libfuzzer_sys::fuzz_target!(|data: &[u8]| evloop::fuzz::mpsc_unbounded::run(data));
