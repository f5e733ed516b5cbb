//! Percentiles of step times.

use std::time::Duration;

/// The `p`-th percentile (0-100) of `samples` in milliseconds; 0 for none.
pub fn percentile_ms(samples: &mut [Duration], p: f64) -> f64 {
    if samples.is_empty() {
        return 0.0;
    }
    samples.sort_unstable();
    let rank = ((p / 100.0) * (samples.len() - 1) as f64).round() as usize;
    samples[rank.min(samples.len() - 1)].as_secs_f64() * 1000.0
}

/// "p50 X ms  p99 Y ms  max Z ms (n)".
pub fn summary(samples: &mut [Duration]) -> String {
    let (p50, p99) = (percentile_ms(samples, 50.0), percentile_ms(samples, 99.0));
    let max = percentile_ms(samples, 100.0);
    format!("p50 {p50:7.1} ms  p99 {p99:7.1} ms  max {max:7.1} ms  (n={})", samples.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_pick_ranks() {
        let mut v: Vec<Duration> = (1..=100).rev().map(Duration::from_millis).collect();
        assert_eq!(percentile_ms(&mut v, 50.0), 51.0);
        assert_eq!(percentile_ms(&mut v, 99.0), 99.0);
        assert_eq!(percentile_ms(&mut [], 50.0), 0.0);
    }
}
