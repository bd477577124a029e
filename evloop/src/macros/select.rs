//! `select!`: wait on several futures, run the handler of the first that
//! completes with a value matching its pattern, drop the others.
//!
//! # Expansion
//!
//! `__select_impl!` first normalises the branches, one per step, taking a
//! `(name index)` slot for each from `__slots!`. A handler in braces is
//! matched as a brace group (not a `block` fragment, which would commit to
//! parsing a block on any forwarded fragment and fail on, say, a literal
//! passed down from another macro); any other handler is an expression
//! followed by a comma or by the end.
//!
//! ```text
//! (slot index (pattern) (future) (precondition) { handler })
//! ```
//!
//! then expands to, in order:
//!
//! 1. the preconditions, evaluated in branch order; a `false` one sets the
//!    branch's bit in the `u64` disabled set;
//! 2. an inner block that evaluates every future expression (disabled
//!    branches too, as documented) into one tuple, so that a temporary an
//!    expression borrows lives as long as the block, pins each on the stack under its slot
//!    name, and awaits a `poll_fn` that polls the enabled ones, starting at a
//!    random branch (or the first, when `biased;`). A branch that completes is
//!    disabled; its value is tested against the pattern *without* being
//!    consumed (the pattern is tried in a match arm whose guard records the
//!    match and then fails, so no binding moves anything), and on a match the
//!    value leaves the block in `SelectOutput::_k`. When no enabled branch is
//!    left the block yields `SelectOutput::Disabled`;
//! 3. a `match` on that output, outside the block, so that the futures (and
//!    what they borrow) are dropped before the handler runs: `_k(pattern) =>
//!    handler`, `Disabled => else` (or a panic when there is no `else`).
//!
//! The `poll_fn` follows the cooperative budget (rule 3 of `coop`): it
//! returns `Pending` at once when the budget is spent and spends one unit
//! when it completes, so a loop around `select!` yields even when its
//! branches ignore the budget.
//!
//! Handlers run in the caller's own context: `return`, `?`, `break` and
//! `continue` in a handler act on the enclosing function or loop.

/// Waits on several futures at once and runs the branch of the first one to
/// complete; the other futures are dropped.
///
/// ```text
/// evloop::select! {
///     biased;                                    // optional: poll in order
///     <pattern> = <future> => <handler>,
///     <pattern> = <future>, if <precondition> => <handler>,
///     else => <expression>,                      // optional
/// }
/// ```
///
/// It runs as follows:
///
/// 1. Every `<precondition>` is evaluated; a branch whose precondition is
///    `false` is disabled for this `select!`.
/// 2. Every `<future>` expression is evaluated, disabled branches included
///    (anything that implements [`IntoFuture`](std::future::IntoFuture)).
///    The futures are pinned in place in the calling task: no allocation.
/// 3. The enabled futures are polled concurrently. By default each poll
///    starts at a randomly chosen branch, so that a branch that is always
///    ready cannot starve the others; with `biased;` they are polled in the
///    order written.
/// 4. When a future completes, its value is matched against `<pattern>`. If
///    it matches, all the futures are dropped and `<handler>` runs with the
///    pattern's bindings; the `select!` evaluates to the handler's value. If
///    it does not match, that branch is disabled and the others keep being
///    polled.
/// 5. When every branch is disabled, the `else` expression is evaluated; with
///    no `else` branch, `select!` panics with "all branches are disabled and
///    there is no else branch".
///
/// At most 64 branches. `select!` must be used inside an `async` context.
///
/// Cancel safety: when one branch wins, the futures of the other branches are
/// dropped. Whatever they had done is lost unless they are cancel-safe
/// themselves; in a loop, create a future that is not cancel-safe outside
/// the loop and select on a `&mut` to it.
///
/// # Examples
///
/// ```
/// use std::future::{pending, ready};
///
/// #[evloop::main(flavor = "current_thread")]
/// async fn main() {
///     let winner = evloop::select! {
///         _ = pending::<()>() => "never",
///         n = ready(7) => if n == 7 { "ready" } else { "odd" },
///     };
///     assert_eq!(winner, "ready");
///
///     // A value that does not match its pattern disables the branch only.
///     let mut polls = 0;
///     let got = evloop::select! {
///         biased;
///         Some(x) = ready(None::<u32>) => x,
///         y = async { polls += 1; 5 } => y,
///     };
///     assert_eq!((got, polls), (5, 1));
///
///     // All branches disabled: `else` runs.
///     let fallback = evloop::select! {
///         v = ready(1), if false => v,
///         else => 0,
///     };
///     assert_eq!(fallback, 0);
/// }
/// ```
#[macro_export]
macro_rules! select {
    () => {
        ::core::compile_error!("select! needs at least one branch: `pattern = future => handler,`")
    };
    // Only an `else`: no future to wait on, the expression is the value.
    ($(biased;)? else => $else:expr $(,)?) => {{
        $else
    }};
    (biased; $($branches:tt)*) => {
        $crate::__slots!(($crate::__select_impl) @parse {
            biased = true; branches = [];
        } $($branches)*)
    };
    ($($branches:tt)*) => {
        $crate::__slots!(($crate::__select_impl) @parse {
            biased = false; branches = [];
        } $($branches)*)
    };
}

/// The body of `select!`: normalises the branches one by one, then expands
/// the polling and the matching (see the module docs).
#[doc(hidden)]
#[macro_export]
macro_rules! __select_impl {
    // --- Normalising -----------------------------------------------------

    // No branch left and no `else`: a disabled select! panics.
    ([ $($slots:tt)* ] @parse { biased = $biased:tt; branches = [$($done:tt)*]; }) => {
        $crate::__select_impl!([ $($slots)* ] @expand {
            biased = $biased;
            else = {
                ::core::panic!("all branches are disabled and there is no else branch")
            };
            branches = [$($done)*];
        })
    };
    // The `else` branch, last.
    ([ $($slots:tt)* ] @parse { biased = $biased:tt; branches = [$($done:tt)*]; }
        else => $else:expr $(,)?) => {
        $crate::__select_impl!([ $($slots)* ] @expand {
            biased = $biased;
            else = { $else };
            branches = [$($done)*];
        })
    };
    // Only the count slot is left but branches remain.
    ([ ($unused:ident $count:tt) ] @parse { $($state:tt)* } $($rest:tt)+) => {
        ::core::compile_error!("select! takes at most 64 branches")
    };

    // `pattern = future, if precondition => handler`, handler a block.
    ([ ($slot:ident $index:tt) $($slots:tt)* ] @parse { biased = $biased:tt; branches = [$($done:tt)*]; }
        $pattern:pat = $future:expr, if $cond:expr => { $($handler:tt)* }, $($rest:tt)*) => {
        $crate::__select_impl!([ $($slots)* ] @parse { biased = $biased; branches = [
            $($done)* ($slot $index ($pattern) ($future) ($cond) { $($handler)* })
        ]; } $($rest)*)
    };
    ([ ($slot:ident $index:tt) $($slots:tt)* ] @parse { biased = $biased:tt; branches = [$($done:tt)*]; }
        $pattern:pat = $future:expr, if $cond:expr => { $($handler:tt)* } $($rest:tt)*) => {
        $crate::__select_impl!([ $($slots)* ] @parse { biased = $biased; branches = [
            $($done)* ($slot $index ($pattern) ($future) ($cond) { $($handler)* })
        ]; } $($rest)*)
    };
    // ... handler an expression.
    ([ ($slot:ident $index:tt) $($slots:tt)* ] @parse { biased = $biased:tt; branches = [$($done:tt)*]; }
        $pattern:pat = $future:expr, if $cond:expr => $handler:expr, $($rest:tt)*) => {
        $crate::__select_impl!([ $($slots)* ] @parse { biased = $biased; branches = [
            $($done)* ($slot $index ($pattern) ($future) ($cond) { $handler })
        ]; } $($rest)*)
    };
    ([ ($slot:ident $index:tt) $($slots:tt)* ] @parse { biased = $biased:tt; branches = [$($done:tt)*]; }
        $pattern:pat = $future:expr, if $cond:expr => $handler:expr) => {
        $crate::__select_impl!([ $($slots)* ] @parse { biased = $biased; branches = [
            $($done)* ($slot $index ($pattern) ($future) ($cond) { $handler })
        ]; })
    };

    // `pattern = future => handler`, handler a block.
    ([ ($slot:ident $index:tt) $($slots:tt)* ] @parse { biased = $biased:tt; branches = [$($done:tt)*]; }
        $pattern:pat = $future:expr => { $($handler:tt)* }, $($rest:tt)*) => {
        $crate::__select_impl!([ $($slots)* ] @parse { biased = $biased; branches = [
            $($done)* ($slot $index ($pattern) ($future) (true) { $($handler)* })
        ]; } $($rest)*)
    };
    ([ ($slot:ident $index:tt) $($slots:tt)* ] @parse { biased = $biased:tt; branches = [$($done:tt)*]; }
        $pattern:pat = $future:expr => { $($handler:tt)* } $($rest:tt)*) => {
        $crate::__select_impl!([ $($slots)* ] @parse { biased = $biased; branches = [
            $($done)* ($slot $index ($pattern) ($future) (true) { $($handler)* })
        ]; } $($rest)*)
    };
    // ... handler an expression.
    ([ ($slot:ident $index:tt) $($slots:tt)* ] @parse { biased = $biased:tt; branches = [$($done:tt)*]; }
        $pattern:pat = $future:expr => $handler:expr, $($rest:tt)*) => {
        $crate::__select_impl!([ $($slots)* ] @parse { biased = $biased; branches = [
            $($done)* ($slot $index ($pattern) ($future) (true) { $handler })
        ]; } $($rest)*)
    };
    ([ ($slot:ident $index:tt) $($slots:tt)* ] @parse { biased = $biased:tt; branches = [$($done:tt)*]; }
        $pattern:pat = $future:expr => $handler:expr) => {
        $crate::__select_impl!([ $($slots)* ] @parse { biased = $biased; branches = [
            $($done)* ($slot $index ($pattern) ($future) (true) { $handler })
        ]; })
    };

    // --- Expanding -------------------------------------------------------

    ([ $($slots:tt)* ] @expand { biased = $biased:tt; else = $else:tt; branches = []; }) => {
        ::core::compile_error!("select! needs at least one branch: `pattern = future => handler,`")
    };
    // The first unused slot's index is the branch count.
    ([ ($unused:ident $count:tt) $($slots:tt)* ] @expand {
        biased = $biased:tt;
        else = $else:tt;
        branches = [$(($slot:ident $index:tt ($pattern:pat) ($future:expr) ($cond:expr) $handler:tt))+];
    }) => {{
        // Step 1: preconditions.
        let mut __disabled: u64 = 0;
        $(
            if !$cond {
                __disabled |= 1u64 << $index;
            }
        )+
        // Step 2: poll, in a block that drops the futures when it ends.
        let __output: $crate::__private::SelectOutput<$($crate::__select_impl!(@infer $slot)),+> = {
            // The expressions go into a tuple first, as written, so that a
            // temporary they borrow (`&mut Box::pin(fut)`) lives as long as
            // the block (temporary lifetime extension); a call around them
            // would end it with the statement.
            let __init = ($($future,)+);
            $(
                let mut $slot = $crate::__private::pin!(
                    $crate::__private::IntoFuture::into_future(__init.$index)
                );
            )+
            $crate::__private::poll_fn(|__cx| {
                // Rule 3 of `coop`: with the budget spent, yield before
                // polling (a branch that ignores the budget could otherwise
                // win every time).
                if $crate::__private::poll_budget_available(__cx).is_pending() {
                    return $crate::__private::Poll::Pending;
                }
                let __start: u32 = if $biased || $count == 1 {
                    0
                } else {
                    $crate::__private::thread_rng_n($count)
                };
                let mut __pending = false;
                for __n in 0..$count {
                    let mut __k: u32 = __start + __n;
                    if __k >= $count {
                        __k -= $count;
                    }
                    match __k {
                        $(
                            $index => {
                                if __disabled & (1u64 << $index) != 0 {
                                    continue;
                                }
                                #[allow(unused_mut)]
                                let mut __value = match $crate::__private::Future::poll($slot.as_mut(), __cx) {
                                    $crate::__private::Poll::Ready(value) => value,
                                    $crate::__private::Poll::Pending => {
                                        __pending = true;
                                        continue;
                                    }
                                };
                                // A completed future is never polled again.
                                __disabled |= 1u64 << $index;
                                // Test the pattern without moving the value:
                                // the guard runs with the bindings borrowed,
                                // records the match, and fails.
                                let mut __matched = false;
                                match __value {
                                    #[allow(unused_variables, unused_mut)]
                                    $pattern if {
                                        __matched = true;
                                        false
                                    } => ::core::unreachable!("the guard is false"),
                                    _ => {}
                                }
                                if __matched {
                                    $crate::__private::consume_one();
                                    return $crate::__private::Poll::Ready(
                                        $crate::__private::SelectOutput::$slot(__value),
                                    );
                                }
                            }
                        )+
                        _ => ::core::unreachable!("select! polled a branch it does not have"),
                    }
                }
                if __pending {
                    $crate::__private::Poll::Pending
                } else {
                    $crate::__private::consume_one();
                    $crate::__private::Poll::Ready($crate::__private::SelectOutput::Disabled)
                }
            })
            .await
        };
        // Step 3: the handler, after the futures are gone.
        match __output {
            $(
                $crate::__private::SelectOutput::$slot($pattern) => $handler,
            )+
            $crate::__private::SelectOutput::Disabled => $else,
            #[allow(unreachable_patterns)]
            _ => ::core::unreachable!("select! value no longer matches the pattern it matched"),
        }
    }};

    (@infer $slot:ident) => { _ };
}
