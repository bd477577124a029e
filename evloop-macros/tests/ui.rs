//! Compile-fail tests for `#[evloop::main]`, `#[evloop::test]`, `select!` and
//! `join!`: each `tests/ui/*.rs` must fail with the error in the
//! `.stderr` file beside it. Regenerate with `TRYBUILD=overwrite` after an
//! intended change of message, and read the diff.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
}
