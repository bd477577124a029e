#![no_main]
//! `evloop::fuzz::broadcast` driven by libFuzzer.

libfuzzer_sys::fuzz_target!(|data: &[u8]| evloop::fuzz::broadcast::run(data));
