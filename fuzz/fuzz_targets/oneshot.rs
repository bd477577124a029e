#![no_main]
//! `evloop::fuzz::oneshot` driven by libFuzzer.

libfuzzer_sys::fuzz_target!(|data: &[u8]| evloop::fuzz::oneshot::run(data));
