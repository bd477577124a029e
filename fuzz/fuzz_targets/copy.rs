#![no_main]
//! `evloop::fuzz::copy` driven by libFuzzer.

libfuzzer_sys::fuzz_target!(|data: &[u8]| evloop::fuzz::copy::run(data));
