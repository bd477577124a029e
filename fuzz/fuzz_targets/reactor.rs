#![no_main]
//! `evloop::fuzz::reactor` driven by libFuzzer.

libfuzzer_sys::fuzz_target!(|data: &[u8]| evloop::fuzz::reactor::run(data));
