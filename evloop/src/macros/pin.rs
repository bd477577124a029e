//! `pin!`: pin values on the stack under their own names.

/// Pins each named value on the stack and rebinds the name to a
/// `Pin<&mut T>` of it, so a `!Unpin` future can be polled through `&mut`
/// (in a `select!` loop, say) without boxing.
///
/// Two forms:
///
/// - `pin!(a, b, c)`: moves the existing bindings `a`, `b` and `c` and
///   shadows each with its pinned reference;
/// - `pin! { let a = expr; let b = expr; }`: evaluates each expression
///   and binds its pinned value.
///
/// The original values cannot be reached again: they live in a hidden
/// local for the rest of the scope, so the pin guarantee holds without
/// `unsafe`. For a single value, [`std::pin::pin!`] does the same job as an
/// expression.
///
/// ```
/// use std::time::Duration;
///
/// #[evloop::main(flavor = "current_thread")]
/// async fn main() {
///     let work = async { 6 * 7 };
///     let deadline = evloop::time::sleep(Duration::from_secs(5));
///     evloop::pin!(work, deadline);
///
///     let answer = loop {
///         evloop::select! {
///             v = &mut work => break v,
///             () = &mut deadline => panic!("too slow"),
///         }
///     };
///     assert_eq!(answer, 42);
///
///     evloop::pin! {
///         let later = async { "done" };
///     }
///     assert_eq!(later.as_mut().await, "done");
/// }
/// ```
#[macro_export]
macro_rules! pin {
    ($($x:ident),* $(,)?) => { $(
        // `core::pin::pin!` moves the value into a temporary that lives as
        // long as this `let`'s scope; the name now only reaches the pin.
        #[allow(unused_mut)]
        let mut $x = $crate::__private::pin!($x);
    )* };
    ($(
        let $x:ident = $init:expr;
    )*) => { $(
        #[allow(unused_mut)]
        let mut $x = $crate::__private::pin!($init);
    )* };
}
