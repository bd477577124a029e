#![no_main]
//! `evloop::fuzz::wheel` driven by libFuzzer.

libfuzzer_sys::fuzz_target!(|data: &[u8]| evloop::fuzz::wheel::run(data));
