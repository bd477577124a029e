#![no_main]
//! `evloop::fuzz::duplex` driven by libFuzzer.

libfuzzer_sys::fuzz_target!(|data: &[u8]| evloop::fuzz::duplex::run(data));
