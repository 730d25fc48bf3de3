//! Range functions over stored samples, with Prometheus 3 semantics.
//!
//! [`extrapolated_rate`] is Prometheus's `rate`/`increase`/`delta` core,
//! shared with the PromQL evaluator (`rate`, `increase`, `delta` and their
//! LogQL counterparts).
//!
//! ```
//! use o11y_promql::rate::extrapolated_rate;
//! use o11y_metrics::store::Sample;
//!
//! // A counter going up by 1 per second, sampled every 15 s, over a 1 m window.
//! let samples: Vec<Sample> = (1..=4)
//!     .map(|i| Sample { ts_ms: i * 15_000, value: (i * 15) as f64 })
//!     .collect();
//! let rate = extrapolated_rate(&samples, 0, 60_000, true, true).unwrap();
//! assert!((rate - 1.0).abs() < 1e-9);
//! ```

use o11y_metrics::store::Sample;

/// Prometheus's `extrapolatedRate`: the increase (for counters, with resets
/// added back) between the first and last sample of a window
/// `(range_start_ms, range_end_ms]`, extrapolated towards the window's edges,
/// and per second if `is_rate`. `None` with fewer than two samples.
pub fn extrapolated_rate(
    samples: &[Sample],
    range_start_ms: i64,
    range_end_ms: i64,
    is_counter: bool,
    is_rate: bool,
) -> Option<f64> {
    let (first, last) = match samples {
        [first, .., last] => (first, last),
        _ => return None,
    };
    let result = if is_counter {
        counter_increase(samples)
    } else {
        last.value - first.value
    };
    Some(
        result
            * extrapolation_factor(
                &[*first, *last],
                samples.len(),
                range_start_ms,
                range_end_ms,
                is_counter,
                is_rate,
                result,
            ),
    )
}

/// A counter's increase from the first to the last of `samples`: the
/// difference, with the value before each reset added back (in order, as
/// Prometheus sums them). Zero for fewer than two samples.
pub fn counter_increase(samples: &[Sample]) -> f64 {
    let (Some(first), Some(last)) = (samples.first(), samples.last()) else {
        return 0.0;
    };
    let mut result = last.value - first.value;
    for pair in samples.windows(2) {
        if pair[1].value < pair[0].value {
            result += pair[0].value;
        }
    }
    result
}

/// How much a range's increase is scaled to cover the whole window (and,
/// for a rate, divided by it): `ends` are the first and last samples,
/// `count` how many samples there were, `result` the increase.
pub fn extrapolation_factor(
    ends: &[Sample; 2],
    count: usize,
    range_start_ms: i64,
    range_end_ms: i64,
    is_counter: bool,
    is_rate: bool,
    result: f64,
) -> f64 {
    let [first, last] = ends;
    let mut to_start_s = (first.ts_ms - range_start_ms) as f64 / 1000.0;
    let mut to_end_s = (range_end_ms - last.ts_ms) as f64 / 1000.0;
    let sampled_s = (last.ts_ms - first.ts_ms) as f64 / 1000.0;
    let average_gap_s = sampled_s / (count - 1) as f64;
    // Extrapolate to an edge only if the gap to it is not much larger than
    // the average gap; otherwise assume the series starts/ends half a gap away.
    let threshold_s = average_gap_s * 1.1;
    if to_start_s >= threshold_s {
        to_start_s = average_gap_s / 2.0;
    }
    if is_counter && result > 0.0 && first.value >= 0.0 {
        // A counter cannot go below zero: do not extrapolate past that point.
        let to_zero_s = sampled_s * (first.value / result);
        if to_zero_s < to_start_s {
            to_start_s = to_zero_s;
        }
    }
    if to_end_s >= threshold_s {
        to_end_s = average_gap_s / 2.0;
    }
    let mut factor = (sampled_s + to_start_s + to_end_s) / sampled_s;
    if is_rate {
        factor /= (range_end_ms - range_start_ms) as f64 / 1000.0;
    }
    factor
}

#[cfg(test)]
mod tests {
    use super::*;

    fn samples(pairs: &[(i64, f64)]) -> Vec<Sample> {
        pairs
            .iter()
            .map(|&(ts_ms, value)| Sample { ts_ms, value })
            .collect()
    }

    #[test]
    fn counter_resets_are_added_back() {
        let s = samples(&[(10_000, 5.0), (20_000, 10.0), (30_000, 2.0), (40_000, 6.0)]);
        // Increase 5 + (10 reset) + 6 - ... = 6 - 5 + 10 = 11 over 30 s sampled,
        // extrapolated by half a gap... window exactly fits, so factor 40/30.
        let inc = extrapolated_rate(&s, 0, 40_000, true, false).unwrap();
        // to_start = 10 s ≥ 1.1 × 10 s? no (10 < 11): kept; zero point at 30 × 5/11 ≈ 13.6 s.
        assert!((inc - 11.0 * 40.0 / 30.0).abs() < 1e-9, "{inc}");
    }

    #[test]
    fn fewer_than_two_samples_give_nothing() {
        assert_eq!(
            extrapolated_rate(&samples(&[(1, 1.0)]), 0, 10, true, true),
            None
        );
    }
}
