#![no_main]
//! `evloop::fuzz::bytes` driven by libFuzzer.

libfuzzer_sys::fuzz_target!(|data: &[u8]| evloop::fuzz::bytes::run(data));
