//! The timer wheel against a `BTreeMap` model (see `time::wheel::fuzz`).

/// Runs the operations in `data` against the wheel and the model.
pub fn run(data: &[u8]) {
    crate::time::wheel_fuzz::run(data);
}
