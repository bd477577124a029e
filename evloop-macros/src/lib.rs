//! `#[evloop::main]` and `#[evloop::test]`: run an `async fn` on an evloop
//! runtime.
//!
//! Both attributes turn an `async fn` into a plain `fn` that builds a runtime
//! and blocks on the function's body. Use them through the `evloop` crate,
//! which re-exports them; their documentation is there.

mod args;
mod entry;

use proc_macro::TokenStream;

use crate::args::Kind;

/// Marks the `async fn` to run on a new evloop runtime, usually `main`.
///
/// Defaults to the `multi_thread` flavour. Arguments: `flavor =
/// "current_thread" | "multi_thread"`, `worker_threads = N` (multi_thread),
/// `start_paused = true | false` (current_thread), `crate = "path"`.
#[proc_macro_attribute]
pub fn main(args: TokenStream, item: TokenStream) -> TokenStream {
    entry::expand(Kind::Main, args.into(), item.into()).into()
}

/// Marks an `async fn` as a test that runs on its own evloop runtime.
///
/// Defaults to the `current_thread` flavour; takes the same arguments as
/// `main`.
#[proc_macro_attribute]
pub fn test(args: TokenStream, item: TokenStream) -> TokenStream {
    entry::expand(Kind::Test, args.into(), item.into()).into()
}
