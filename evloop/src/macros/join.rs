//! `join!` and `try_join!`: wait for several futures at once, in one task.
//!
//! Both expand to a block that pins every future on the stack of the calling
//! task, wrapped in a `MaybeDone` / `TryMaybeDone` cell, and awaits a
//! `poll_fn` that polls every unfinished cell each time the task is woken.
//! Nothing is allocated and nothing is spawned: the futures run concurrently,
//! not in parallel.
//!
//! Fairness: unless `biased;` is given, each poll starts one future further
//! along than the previous one, so that a future that spends the task's whole
//! coop budget does not starve the ones after it.

/// Waits on several futures at once and returns all their outputs.
///
/// `join!(a, b, c)` evaluates to `(a.await, b.await, c.await)`, but the three
/// futures make progress concurrently, inside the calling task (they are not
/// spawned, so they do not run in parallel). It can only be used inside an
/// `async` context. Up to 64 futures; anything that implements
/// [`IntoFuture`](std::future::IntoFuture) is accepted.
///
/// By default each poll starts with a different future, for fairness; write
/// `join!(biased; a, b)` to always poll in the order written.
///
/// Cancel safety: dropping the `join!` drops every future that has not
/// finished, and loses the outputs of those that did.
///
/// # Examples
///
/// ```
/// #[evloop::main(flavor = "current_thread")]
/// async fn main() {
///     async fn double(x: u32) -> u32 {
///         evloop::task::yield_now().await;
///         x * 2
///     }
///
///     let (a, b, c) = evloop::join!(double(1), double(2), async { "three" });
///     assert_eq!((a, b, c), (2, 4, "three"));
/// }
/// ```
#[macro_export]
macro_rules! join {
    () => {
        async {}.await
    };
    (biased;) => {
        async {}.await
    };
    (biased; $($future:expr),+ $(,)?) => {
        $crate::__slots!(($crate::__join_impl) @munch {
            mode = join; biased = true; done = [];
        } $($future,)+)
    };
    ($($future:expr),+ $(,)?) => {
        $crate::__slots!(($crate::__join_impl) @munch {
            mode = join; biased = false; done = [];
        } $($future,)+)
    };
}

/// Waits on several fallible futures at once; returns all their `Ok` values,
/// or the first `Err`.
///
/// `try_join!(a, b)` is like [`join!`], for futures whose output is a
/// `Result<_, E>` with the same `E`. It evaluates to `Ok((a, b))` when every
/// future succeeds. As soon as one of them returns `Err(e)`, it evaluates to
/// `Err(e)` without waiting for the others, which are dropped. Up to 64
/// futures; `try_join!(biased; ...)` polls in the order written.
///
/// Cancel safety: as for [`join!`], dropping it drops the unfinished futures
/// and the values already produced.
///
/// # Examples
///
/// ```
/// #[evloop::main(flavor = "current_thread")]
/// async fn main() {
///     async fn parse(s: &str) -> Result<u32, String> {
///         s.parse().map_err(|_| format!("not a number: {s}"))
///     }
///
///     assert_eq!(evloop::try_join!(parse("1"), parse("2")), Ok((1, 2)));
///     assert_eq!(
///         evloop::try_join!(parse("1"), parse("x")),
///         Err("not a number: x".to_string())
///     );
/// }
/// ```
#[macro_export]
macro_rules! try_join {
    () => {
        async { ::core::result::Result::<(), ::core::convert::Infallible>::Ok(()) }.await
    };
    (biased;) => {
        async { ::core::result::Result::<(), ::core::convert::Infallible>::Ok(()) }.await
    };
    (biased; $($future:expr),+ $(,)?) => {
        $crate::__slots!(($crate::__join_impl) @munch {
            mode = try_join; biased = true; done = [];
        } $($future,)+)
    };
    ($($future:expr),+ $(,)?) => {
        $crate::__slots!(($crate::__join_impl) @munch {
            mode = try_join; biased = false; done = [];
        } $($future,)+)
    };
}

/// The body of `join!` and `try_join!`: gives each future a slot, then
/// expands the polling loop.
#[doc(hidden)]
#[macro_export]
macro_rules! __join_impl {
    // Only the count slot is left but futures remain.
    ([ ($unused:ident $count:tt) ] @munch { $($state:tt)* } $($rest:tt)+) => {
        ::core::compile_error!("join! and try_join! take at most 64 futures")
    };
    // Give the next future a slot.
    ([ ($slot:ident $index:tt) $($slots:tt)* ] @munch {
        mode = $mode:ident; biased = $biased:tt; done = [$($done:tt)*];
    } $future:expr, $($rest:tt)*) => {
        $crate::__join_impl!([ $($slots)* ] @munch {
            mode = $mode; biased = $biased; done = [$($done)* ($slot $index $future)];
        } $($rest)*)
    };
    // Every future has a slot; the next slot's index is the count.
    ([ ($unused:ident $count:tt) $($slots:tt)* ] @munch {
        mode = $mode:ident; biased = $biased:tt; done = [$(($slot:ident $index:tt $future:expr))+];
    }) => {{
        // A tuple first, so that temporaries the expressions borrow live
        // as long as this block (see `select!`).
        let __init = ($($future,)+);
        $(
            let mut $slot = $crate::__private::pin!($crate::__join_impl!(@cell $mode
                $crate::__private::IntoFuture::into_future(__init.$index)
            ));
        )+
        // The future polled first on the next poll (rotates unless biased).
        let mut __first: u32 = 0;
        $crate::__private::poll_fn(|__cx| {
            // Rule 3 of `coop`: yield at once when the budget is spent.
            if $crate::__private::poll_budget_available(__cx).is_pending() {
                return $crate::__private::Poll::Pending;
            }
            let __start = __first;
            if !$biased {
                __first = if __first + 1 == $count { 0 } else { __first + 1 };
            }
            let mut __all_done = true;
            for __n in 0..$count {
                let mut __k: u32 = __start + __n;
                if __k >= $count {
                    __k -= $count;
                }
                match __k {
                    $(
                        $index => {
                            $crate::__join_impl!(@poll $mode $slot __cx __all_done)
                        }
                    )+
                    _ => ::core::unreachable!("join! polled a branch it does not have"),
                }
            }
            if !__all_done {
                return $crate::__private::Poll::Pending;
            }
            // ...and spend one unit on completion.
            $crate::__private::consume_one();
            $crate::__join_impl!(@output $mode $(
                $slot.as_mut().take_output().expect("join! output taken twice"),
            )+)
        })
        .await
    }};

    (@cell join $future:expr) => { $crate::__private::MaybeDone::new($future) };
    (@cell try_join $future:expr) => { $crate::__private::TryMaybeDone::new($future) };

    (@poll join $slot:ident $cx:ident $all_done:ident) => {
        if $crate::__private::Future::poll($slot.as_mut(), $cx).is_pending() {
            $all_done = false;
        }
    };
    (@poll try_join $slot:ident $cx:ident $all_done:ident) => {
        match $crate::__private::Future::poll($slot.as_mut(), $cx) {
            $crate::__private::Poll::Ready(::core::result::Result::Ok(())) => {}
            $crate::__private::Poll::Ready(::core::result::Result::Err(error)) => {
                return $crate::__private::Poll::Ready(::core::result::Result::Err(error));
            }
            $crate::__private::Poll::Pending => $all_done = false,
        }
    };

    (@output join $($value:expr,)+) => {
        $crate::__private::Poll::Ready(($($value,)+))
    };
    (@output try_join $($value:expr,)+) => {
        $crate::__private::Poll::Ready(::core::result::Result::Ok(($($value,)+)))
    };
}
