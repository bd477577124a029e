//! `#[evloop::main]` and `#[evloop::test]`: run an `async fn` on an evloop
//! runtime.
//!
//! Both attributes turn an `async fn` into a plain `fn` that builds a runtime
//! and blocks on the function's body. Use them through the `evloop` crate,
//! which re-exports them.
//!
//! `args` parses and validates the attribute's arguments; `entry` checks the
//! function and writes the expansion.

mod args;
mod entry;
mod face;
mod sim;

use proc_macro::TokenStream;

use crate::args::Kind;

/// Runs an `async fn` on a new evloop runtime: usually `main`.
///
/// The function becomes a plain `fn` with the same name, visibility,
/// attributes and return type. Its body runs inside `block_on` on a runtime
/// built with `enable_all()`, so `async fn main() -> Result<(), E>` works,
/// with `?` in the body:
///
/// ```
/// #[evloop::main(flavor = "current_thread")]
/// async fn main() -> Result<(), std::num::ParseIntError> {
///     let n: u32 = "21".parse()?;
///     let doubled = evloop::spawn(async move { n * 2 }).await.unwrap();
///     assert_eq!(doubled, 42);
///     Ok(())
/// }
/// ```
///
/// expands to
///
/// ```text
/// fn main() -> Result<(), std::num::ParseIntError> {
///     evloop::runtime::Builder::new_current_thread()
///         .enable_all()
///         .build()
///         .expect("Failed building the Runtime")
///         .block_on(async { /* body */ })
/// }
/// ```
///
/// # Arguments
///
/// - `flavor = "multi_thread"` (the default), `"current_thread"`, or
///   `"local"`: a [`LocalRuntime`](../evloop/runtime/struct.LocalRuntime.html)
///   (built with `build_local`), where `task::spawn_local` works without a
///   `LocalSet`;
/// - `worker_threads = N`: number of workers, at least 1; `multi_thread` only;
/// - `start_paused = true | false`: start with time paused; `current_thread`
///   and `local` only;
/// - `name = "..."`: the runtime's name (`Builder::name`);
/// - `crate = "path"`: where to find evloop, for crates that re-export it
///   (default `::evloop`).
///
/// A function that is not `async`, a `main` (or test) that takes arguments, an unknown or
/// repeated argument, or a combination the flavour does not support is a
/// compile error pointing at the offending token.
#[proc_macro_attribute]
pub fn main(args: TokenStream, item: TokenStream) -> TokenStream {
    entry::expand(Kind::Main, args.into(), item.into()).into()
}

/// Runs an `async fn` as a test, on its own evloop runtime.
///
/// Adds `#[test]` and otherwise expands like [`macro@main`], with the
/// `current_thread` flavour by default: one runtime per test, every task on
/// the test's thread. Other attributes (`#[should_panic]`, `#[ignore]`) and
/// a `Result` return type work as on any test.
///
/// ```no_run
/// #[evloop::test]
/// async fn spawned_tasks_complete() {
///     let handle = evloop::spawn(async { 1 + 1 });
///     assert_eq!(handle.await.unwrap(), 2);
/// }
///
/// #[evloop::test(start_paused = true)]
/// async fn with_paused_time() {}
/// ```
///
/// Takes the same arguments as [`macro@main`].
///
/// ```no_run
/// #[evloop::test(flavor = "local")]
/// async fn not_send_tasks() {
///     let shared = std::rc::Rc::new(1);
///     let s = shared.clone();
///     assert_eq!(evloop::task::spawn_local(async move { *s }).await.unwrap(), 1);
/// }
/// ```
///
/// `#[evloop::test(sim)]` runs the test under the deterministic simulator
/// (`evloop::sim`) instead, once per seed: `seeds = N` sweeps N seeds,
/// `workers = N` simulates N multi_thread workers, `check = true` runs each
/// seed twice and compares the event hashes. `EVLOOP_SEED=n` replays one
/// seed, `EVLOOP_SEEDS=N` sweeps N; a failing seed is printed with the
/// command that replays it.
///
/// ```no_run
/// #[evloop::test(sim, seeds = 100)]
/// async fn timeouts_fire_in_virtual_time() {
///     let slow = evloop::time::sleep(std::time::Duration::from_secs(60));
///     let r = evloop::time::timeout(std::time::Duration::from_secs(1), slow).await;
///     assert!(r.is_err());
/// }
/// ```
///
/// Writing `#[test]` as well is an error: it would run the test twice.
#[proc_macro_attribute]
pub fn test(args: TokenStream, item: TokenStream) -> TokenStream {
    let args: proc_macro2::TokenStream = args.into();
    if sim::is_sim(&args) {
        return sim::expand(args, item.into()).into();
    }
    entry::expand(Kind::Test, args, item.into()).into()
}

/// `#[main]` for a crate that re-exports evloop as `tokio`: like
/// [`macro@main`], with `crate = "::tokio"` unless another `crate` is given.
#[doc(hidden)]
#[proc_macro_attribute]
pub fn tokio_main(args: TokenStream, item: TokenStream) -> TokenStream {
    let args = face::default_crate_tokio(args.into());
    entry::expand(Kind::Main, args, item.into()).into()
}

/// `#[test]` for a crate that re-exports evloop as `tokio`: like
/// [`macro@test`], with `crate = "::tokio"` unless another `crate` is given.
#[doc(hidden)]
#[proc_macro_attribute]
pub fn tokio_test(args: TokenStream, item: TokenStream) -> TokenStream {
    let args = face::default_crate_tokio(args.into());
    entry::expand(Kind::Test, args, item.into()).into()
}
