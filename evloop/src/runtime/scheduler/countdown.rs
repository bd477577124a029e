//! Interval checks of the scheduler loops ("every N ticks, do X") as
//! countdowns: `tick % interval` with an interval known only at run time
//! costs an integer division on every task poll.

/// Counts one tick down; true (and restarts at `interval`) when it is due.
/// A countdown starting at 0 is due on the first tick.
#[inline]
pub(crate) fn countdown_due(countdown: &mut u32, interval: u32) -> bool {
    if *countdown <= 1 {
        *countdown = interval;
        true
    } else {
        *countdown -= 1;
        false
    }
}

#[cfg(test)]
mod tests {
    use super::countdown_due;

    #[test]
    fn due_every_interval_ticks() {
        let mut c = 0;
        let due: Vec<bool> = (0..7).map(|_| countdown_due(&mut c, 3)).collect();
        assert_eq!(due, [true, false, false, true, false, false, true]);
        let mut c = 0;
        assert!((0..5).all(|_| countdown_due(&mut c, 1)));
    }
}
