#![no_main]
//! `evloop::fuzz::watch` driven by libFuzzer.

libfuzzer_sys::fuzz_target!(|data: &[u8]| evloop::fuzz::watch::run(data));
