//! Medians and the formatting of figures and ratios.

use crate::workloads::Unit;

/// Median of the values (mean of the middle two for an even count); `None`
/// when empty or when any value is NaN.
pub(crate) fn median(values: &[f64]) -> Option<f64> {
    if values.is_empty() || values.iter().any(|v| v.is_nan()) {
        return None;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let mid = sorted.len() / 2;
    Some(if sorted.len() % 2 == 1 {
        sorted[mid]
    } else {
        (sorted[mid - 1] + sorted[mid]) / 2.0
    })
}

/// Median of integer samples (kB of RSS), rounded down.
pub(crate) fn median_u64(values: &[u64]) -> Option<u64> {
    let as_f64: Vec<f64> = values.iter().map(|&v| v as f64).collect();
    median(&as_f64).map(|m| m as u64)
}

/// `evloop ÷ peer` as `"0.87×"`; `"–"` when the ratio means nothing (a peer
/// figure of zero, e.g. no CPU time at all while idle).
pub(crate) fn format_ratio(evloop: f64, peer: f64) -> String {
    if !(evloop.is_finite() && peer.is_finite()) || peer <= 0.0 || evloop < 0.0 {
        return "–".to_owned();
    }
    let r = evloop / peer;
    if r >= 100.0 {
        format!("{r:.0}×")
    } else if r >= 10.0 {
        format!("{r:.1}×")
    } else {
        format!("{r:.2}×")
    }
}

/// Three significant digits (at least one decimal below 1), no exponent.
fn sig3(v: f64) -> String {
    let a = v.abs();
    if a >= 100.0 {
        format!("{v:.0}")
    } else if a >= 10.0 {
        format!("{v:.1}")
    } else if a >= 1.0 {
        format!("{v:.2}")
    } else {
        format!("{v:.3}")
    }
}

/// A figure with its unit.
pub(crate) fn format_value(v: f64, unit: Unit) -> String {
    match unit {
        Unit::Millis if v >= 10_000.0 => format!("{} s", sig3(v / 1e3)),
        Unit::Millis => format!("{} ms", sig3(v)),
        Unit::PerSec if v >= 1e6 => format!("{}M/s", sig3(v / 1e6)),
        Unit::PerSec if v >= 1e3 => format!("{}k/s", sig3(v / 1e3)),
        Unit::PerSec => format!("{}/s", sig3(v)),
        Unit::Bytes if v >= 10.0 * 1024.0 => format!("{} KiB", sig3(v / 1024.0)),
        Unit::Bytes => format!("{v:.0} B"),
    }
}

/// Peak RSS in kB as MiB.
pub(crate) fn format_rss_kb(kb: u64) -> String {
    format!("{} MiB", sig3(kb as f64 / 1024.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians() {
        assert_eq!(median(&[]), None);
        assert_eq!(median(&[3.0]), Some(3.0));
        assert_eq!(median(&[5.0, 1.0, 3.0]), Some(3.0));
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), Some(2.5));
        assert_eq!(median(&[1.0, f64::NAN]), None);
        assert_eq!(median_u64(&[10, 30, 20, 1000, 5]), Some(20));
    }

    #[test]
    fn ratios() {
        assert_eq!(format_ratio(87.0, 100.0), "0.87×");
        assert_eq!(format_ratio(250.0, 100.0), "2.50×");
        assert_eq!(format_ratio(1234.0, 100.0), "12.3×");
        assert_eq!(format_ratio(123_400.0, 100.0), "1234×");
        assert_eq!(format_ratio(0.0, 0.0), "–");
        assert_eq!(format_ratio(1.0, f64::NAN), "–");
        assert_eq!(format_ratio(0.0, 2.0), "0.00×");
    }

    #[test]
    fn values() {
        assert_eq!(format_value(1234.6, Unit::Millis), "1235 ms");
        assert_eq!(format_value(12.345, Unit::Millis), "12.3 ms");
        assert_eq!(format_value(0.0421, Unit::Millis), "0.042 ms");
        assert_eq!(format_value(12_345.0, Unit::Millis), "12.3 s");
        assert_eq!(format_value(103_641.87, Unit::PerSec), "104k/s");
        assert_eq!(format_value(312.4, Unit::Bytes), "312 B");
        assert_eq!(format_value(20_480.0, Unit::Bytes), "20.0 KiB");
        assert_eq!(format_rss_kb(2048), "2.00 MiB");
        assert_eq!(format_rss_kb(1_572_864), "1536 MiB");
    }
}
