#![no_main]
//! `evloop::fuzz::mpsc_bounded` driven by libFuzzer.

libfuzzer_sys::fuzz_target!(|data: &[u8]| evloop::fuzz::mpsc_bounded::run(data));
