#![no_main]
//! `evloop::fuzz::task` driven by libFuzzer.

libfuzzer_sys::fuzz_target!(|data: &[u8]| evloop::fuzz::task::run(data));
