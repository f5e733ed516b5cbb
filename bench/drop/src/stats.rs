//! Step times as one line of percentiles.

use std::time::Duration;

use stockade_bench_probe::percentile_ms;

/// "p50 X ms  p99 Y ms  max Z ms (n)".
pub fn summary(samples: &mut [Duration]) -> String {
    let (p50, p99) = (percentile_ms(samples, 50.0), percentile_ms(samples, 99.0));
    let max = percentile_ms(samples, 100.0);
    format!("p50 {p50:7.1} ms  p99 {p99:7.1} ms  max {max:7.1} ms  (n={})", samples.len())
}
