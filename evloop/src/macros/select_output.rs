//! `SelectOutput`: what the polling half of `select!` hands to the matching
//! half.
//!
//! `select!` polls its futures inside an inner scope and runs the chosen
//! branch's handler after that scope ends, so that the handler may use what
//! the futures borrowed. The value of the branch that completed crosses the
//! scope boundary in this enum: variant `_k` carries the output of branch
//! `k`, `Disabled` says that every branch was disabled. The branches'
//! outputs have unrelated types, hence one type parameter per branch; those
//! a `select!` does not use default to `()`, so that the macro writes
//! `SelectOutput<_, _, _>` for three branches. 64 is the most branches one
//! `select!` can have (the disabled set is a `u64`).

/// The output of the branch that completed (see the module docs).
#[derive(Debug)]
pub enum SelectOutput<
    T0 = (),
    T1 = (),
    T2 = (),
    T3 = (),
    T4 = (),
    T5 = (),
    T6 = (),
    T7 = (),
    T8 = (),
    T9 = (),
    T10 = (),
    T11 = (),
    T12 = (),
    T13 = (),
    T14 = (),
    T15 = (),
    T16 = (),
    T17 = (),
    T18 = (),
    T19 = (),
    T20 = (),
    T21 = (),
    T22 = (),
    T23 = (),
    T24 = (),
    T25 = (),
    T26 = (),
    T27 = (),
    T28 = (),
    T29 = (),
    T30 = (),
    T31 = (),
    T32 = (),
    T33 = (),
    T34 = (),
    T35 = (),
    T36 = (),
    T37 = (),
    T38 = (),
    T39 = (),
    T40 = (),
    T41 = (),
    T42 = (),
    T43 = (),
    T44 = (),
    T45 = (),
    T46 = (),
    T47 = (),
    T48 = (),
    T49 = (),
    T50 = (),
    T51 = (),
    T52 = (),
    T53 = (),
    T54 = (),
    T55 = (),
    T56 = (),
    T57 = (),
    T58 = (),
    T59 = (),
    T60 = (),
    T61 = (),
    T62 = (),
    T63 = (),
> {
    #[doc(hidden)]
    _0(T0),
    #[doc(hidden)]
    _1(T1),
    #[doc(hidden)]
    _2(T2),
    #[doc(hidden)]
    _3(T3),
    #[doc(hidden)]
    _4(T4),
    #[doc(hidden)]
    _5(T5),
    #[doc(hidden)]
    _6(T6),
    #[doc(hidden)]
    _7(T7),
    #[doc(hidden)]
    _8(T8),
    #[doc(hidden)]
    _9(T9),
    #[doc(hidden)]
    _10(T10),
    #[doc(hidden)]
    _11(T11),
    #[doc(hidden)]
    _12(T12),
    #[doc(hidden)]
    _13(T13),
    #[doc(hidden)]
    _14(T14),
    #[doc(hidden)]
    _15(T15),
    #[doc(hidden)]
    _16(T16),
    #[doc(hidden)]
    _17(T17),
    #[doc(hidden)]
    _18(T18),
    #[doc(hidden)]
    _19(T19),
    #[doc(hidden)]
    _20(T20),
    #[doc(hidden)]
    _21(T21),
    #[doc(hidden)]
    _22(T22),
    #[doc(hidden)]
    _23(T23),
    #[doc(hidden)]
    _24(T24),
    #[doc(hidden)]
    _25(T25),
    #[doc(hidden)]
    _26(T26),
    #[doc(hidden)]
    _27(T27),
    #[doc(hidden)]
    _28(T28),
    #[doc(hidden)]
    _29(T29),
    #[doc(hidden)]
    _30(T30),
    #[doc(hidden)]
    _31(T31),
    #[doc(hidden)]
    _32(T32),
    #[doc(hidden)]
    _33(T33),
    #[doc(hidden)]
    _34(T34),
    #[doc(hidden)]
    _35(T35),
    #[doc(hidden)]
    _36(T36),
    #[doc(hidden)]
    _37(T37),
    #[doc(hidden)]
    _38(T38),
    #[doc(hidden)]
    _39(T39),
    #[doc(hidden)]
    _40(T40),
    #[doc(hidden)]
    _41(T41),
    #[doc(hidden)]
    _42(T42),
    #[doc(hidden)]
    _43(T43),
    #[doc(hidden)]
    _44(T44),
    #[doc(hidden)]
    _45(T45),
    #[doc(hidden)]
    _46(T46),
    #[doc(hidden)]
    _47(T47),
    #[doc(hidden)]
    _48(T48),
    #[doc(hidden)]
    _49(T49),
    #[doc(hidden)]
    _50(T50),
    #[doc(hidden)]
    _51(T51),
    #[doc(hidden)]
    _52(T52),
    #[doc(hidden)]
    _53(T53),
    #[doc(hidden)]
    _54(T54),
    #[doc(hidden)]
    _55(T55),
    #[doc(hidden)]
    _56(T56),
    #[doc(hidden)]
    _57(T57),
    #[doc(hidden)]
    _58(T58),
    #[doc(hidden)]
    _59(T59),
    #[doc(hidden)]
    _60(T60),
    #[doc(hidden)]
    _61(T61),
    #[doc(hidden)]
    _62(T62),
    #[doc(hidden)]
    _63(T63),
    /// Every branch is disabled.
    Disabled,
}
