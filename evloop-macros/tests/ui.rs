//! Compile-fail tests for `#[evloop::main]`, `#[evloop::test]`, `select!` and
//! `join!`: each `tests/ui/*.rs` must fail with the error in the
//! `.stderr` file beside it. Regenerate with `TRYBUILD=overwrite` after an
//! intended change of message, and read the diff.
//!
//! The expected output must not depend on the compiler channel: errors about
//! several tokens are built with `syn::Error::new_spanned`, so the caret
//! covers the same columns whether or not proc-macro span joining is
//! available. `.ci/run` runs this test on stable and again with
//! `RUSTC_BOOTSTRAP=1` (in the AddressSanitizer step).

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
}
