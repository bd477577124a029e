//! Small internal helpers.
