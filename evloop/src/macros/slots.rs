//! `__slots!`: the names and indices `join!`, `try_join!` and `select!` give
//! their branches.
//!
//! A declarative macro cannot count or invent identifiers, so each branch
//! takes the next `(name index)` pair from this list: the name is used for
//! the local that holds the branch's pinned future (and, in `select!`, for
//! its `SelectOutput` variant), the index for its bit in the disabled set and
//! its place in the polling order. The pair after the last branch gives the
//! branch count; the list has 65 pairs, so a macro can take 64 branches.

/// Calls `$callback!` with the list of slots in front of the arguments.
#[doc(hidden)]
#[macro_export]
macro_rules! __slots {
    (($($callback:tt)*) $($args:tt)*) => {
        $($callback)*! {
            [(_0 0) (_1 1) (_2 2) (_3 3) (_4 4) (_5 5) (_6 6) (_7 7) (_8 8) (_9 9) (_10 10) (_11 11) (_12 12) (_13 13) (_14 14) (_15 15) (_16 16) (_17 17) (_18 18) (_19 19) (_20 20) (_21 21) (_22 22) (_23 23) (_24 24) (_25 25) (_26 26) (_27 27) (_28 28) (_29 29) (_30 30) (_31 31) (_32 32) (_33 33) (_34 34) (_35 35) (_36 36) (_37 37) (_38 38) (_39 39) (_40 40) (_41 41) (_42 42) (_43 43) (_44 44) (_45 45) (_46 46) (_47 47) (_48 48) (_49 49) (_50 50) (_51 51) (_52 52) (_53 53) (_54 54) (_55 55) (_56 56) (_57 57) (_58 58) (_59 59) (_60 60) (_61 61) (_62 62) (_63 63) (_64 64)]
            $($args)*
        }
    };
}
