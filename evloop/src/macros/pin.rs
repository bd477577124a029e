//! `pin!`: pins values on the stack of the calling function.

/// Pins each named local on the stack, shadowing it with a `Pin<&mut T>`, so
/// that a future can be polled by reference (in `select!` inside a loop, or
/// through `Future::poll`).
///
/// Two forms: `pin!(a, b)` pins existing locals; `pin! { let a = expr; }`
/// declares and pins in one step. The value can no longer be moved
/// afterwards, only used through the pinned reference.
///
/// ```
/// # #[evloop::main(flavor = "current_thread")]
/// # async fn main() {
/// use std::time::Duration;
///
/// let sleep = evloop::time::sleep(Duration::from_millis(5));
/// evloop::pin!(sleep);
/// let mut ticks = 0;
/// loop {
///     evloop::select! {
///         _ = &mut sleep => break,
///         _ = evloop::time::sleep(Duration::from_millis(1)) => ticks += 1,
///     }
/// }
/// assert!(ticks >= 1);
///
/// evloop::pin! {
///     let answer = async { 42 };
/// }
/// assert_eq!(answer.as_mut().await, 42);
/// # }
/// ```
#[macro_export]
macro_rules! pin {
    ($($x:ident),* $(,)?) => { $(
        #[allow(unused_mut)]
        let mut $x = $crate::__private::pin!($x);
    )* };
    ($(let $x:ident = $init:expr;)*) => { $(
        let $x = $init;
        $crate::pin!($x);
    )* };
}
