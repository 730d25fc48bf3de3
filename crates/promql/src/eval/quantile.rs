//! Quantile arithmetic, as Prometheus's `quantile.go`: the quantile of a
//! set of values (`quantile`, `quantile_over_time`, `mad_over_time`) and
//! of classic histogram buckets (`histogram_quantile`,
//! `histogram_fraction`).

/// Prometheus's quantile of values, with linear interpolation (sorts them).
pub(super) fn quantile(q: f64, values: &mut [f64]) -> f64 {
    if values.is_empty() || q.is_nan() || !(0.0..=1.0).contains(&q) {
        return quantile_of_sorted(q, values);
    }
    values.sort_by(value_order);
    quantile_of_sorted(q, values)
}

/// The order `quantile` sorts values in: NaN first, as in Prometheus's
/// quantile, then by value.
pub(super) fn value_order(a: &f64, b: &f64) -> std::cmp::Ordering {
    match (a.is_nan(), b.is_nan()) {
        (true, true) => std::cmp::Ordering::Equal,
        (true, false) => std::cmp::Ordering::Less,
        (false, true) => std::cmp::Ordering::Greater,
        _ => a.total_cmp(b),
    }
}

/// [`quantile`] of values already in [`value_order`].
pub(super) fn quantile_of_sorted(q: f64, values: &[f64]) -> f64 {
    if values.is_empty() || q.is_nan() {
        return f64::NAN;
    }
    if q < 0.0 {
        return f64::NEG_INFINITY;
    }
    if q > 1.0 {
        return f64::INFINITY;
    }
    let rank = q * (values.len() - 1) as f64;
    let lower = rank.floor() as usize;
    let upper = (lower + 1).min(values.len() - 1);
    let weight = rank - rank.floor();
    values[lower] * (1.0 - weight) + values[upper] * weight
}

/// Classic `histogram_quantile` over `(upper bound, cumulative count)` buckets.
pub(super) fn bucket_quantile(q: f64, buckets: &mut Vec<(f64, f64)>) -> f64 {
    if q.is_nan() {
        return f64::NAN;
    }
    if q < 0.0 {
        return f64::NEG_INFINITY;
    }
    if q > 1.0 {
        return f64::INFINITY;
    }
    buckets.sort_by(|a, b| a.0.total_cmp(&b.0));
    // Buckets with the same bound are merged.
    buckets.dedup_by(|b, a| {
        if a.0 == b.0 {
            a.1 += b.1;
            true
        } else {
            false
        }
    });
    if buckets.len() < 2 || buckets.last().is_none_or(|b| b.0 != f64::INFINITY) {
        return f64::NAN;
    }
    // Counts must not decrease with the bound (precision loss, scrapes in between).
    let mut max = f64::NEG_INFINITY;
    for b in buckets.iter_mut() {
        if b.1 < max {
            b.1 = max;
        } else {
            max = b.1;
        }
    }
    let observations = buckets[buckets.len() - 1].1;
    if observations == 0.0 || observations.is_nan() {
        return f64::NAN;
    }
    let rank = q * observations;
    let b = buckets
        .iter()
        .position(|x| x.1 >= rank)
        .unwrap_or(buckets.len() - 1);
    if b == buckets.len() - 1 {
        return buckets[buckets.len() - 2].0;
    }
    if b == 0 && buckets[0].0 <= 0.0 {
        return buckets[0].0;
    }
    let (start, below) = if b == 0 {
        (0.0, 0.0)
    } else {
        (buckets[b - 1].0, buckets[b - 1].1)
    };
    let end = buckets[b].0;
    let count = buckets[b].1 - below;
    start + (end - start) * ((rank - below) / count)
}

/// Classic `histogram_fraction` over `(upper bound, cumulative count)`
/// buckets (Prometheus's `BucketFraction`).
pub(super) fn bucket_fraction(lower: f64, upper: f64, buckets: &mut Vec<(f64, f64)>) -> f64 {
    buckets.sort_by(|a, b| a.0.total_cmp(&b.0));
    if buckets.last().is_none_or(|b| b.0 != f64::INFINITY) {
        return f64::NAN;
    }
    buckets.dedup_by(|b, a| {
        if a.0 == b.0 {
            a.1 += b.1;
            true
        } else {
            false
        }
    });
    let count = buckets[buckets.len() - 1].1;
    if count == 0.0 || lower.is_nan() || upper.is_nan() {
        return f64::NAN;
    }
    if lower >= upper {
        return 0.0;
    }
    let (mut rank, mut lower_rank, mut upper_rank) = (0.0, 0.0, 0.0);
    let (mut lower_set, mut upper_set) = (false, false);
    let mut lower_bound = if buckets[0].0 <= 0.0 {
        f64::NEG_INFINITY
    } else {
        0.0
    };
    for (i, &(upper_bound, cumulative)) in buckets.iter().enumerate() {
        if i > 0 {
            lower_bound = buckets[i - 1].0;
        }
        let interpolate = |v: f64| {
            if lower_bound == f64::NEG_INFINITY {
                cumulative
            } else {
                rank + (cumulative - rank) * (v - lower_bound) / (upper_bound - lower_bound)
            }
        };
        if !lower_set && lower_bound >= lower {
            lower_rank = rank;
            lower_set = true;
        }
        if !upper_set && lower_bound >= upper {
            upper_rank = rank;
            upper_set = true;
        }
        if lower_set && upper_set {
            break;
        }
        if !lower_set && lower_bound < lower && upper_bound > lower {
            lower_rank = interpolate(lower);
            lower_set = true;
        }
        if !upper_set && lower_bound < upper && upper_bound > upper {
            upper_rank = interpolate(upper);
            upper_set = true;
        }
        if lower_set && upper_set {
            break;
        }
        rank = cumulative;
    }
    if !lower_set || lower_rank > count {
        lower_rank = count;
    }
    if !upper_set || upper_rank > count {
        upper_rank = count;
    }
    (upper_rank - lower_rank) / count
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Buckets `le="1"` 10, `le="2"` 20, `le="+Inf"` 20: half the
    /// observations at or below 1, all at or below 2.
    fn buckets() -> Vec<(f64, f64)> {
        vec![(1.0, 10.0), (2.0, 20.0), (f64::INFINITY, 20.0)]
    }

    #[test]
    fn quantile_interpolates_between_ranks() {
        assert_eq!(quantile(0.5, &mut [4.0, 1.0, 3.0, 2.0]), 2.5);
        assert_eq!(quantile(0.0, &mut [4.0, 1.0]), 1.0);
        assert_eq!(quantile(1.0, &mut [4.0, 1.0]), 4.0);
        assert_eq!(quantile(-0.1, &mut [1.0]), f64::NEG_INFINITY);
        assert_eq!(quantile(1.1, &mut [1.0]), f64::INFINITY);
        assert!(quantile(0.5, &mut []).is_nan());
        // NaN sorts first.
        assert!(quantile(0.0, &mut [1.0, f64::NAN]).is_nan());
    }

    #[test]
    fn bucket_quantile_interpolates_inside_a_bucket() {
        assert_eq!(bucket_quantile(0.5, &mut buckets()), 1.0);
        assert_eq!(bucket_quantile(0.75, &mut buckets()), 1.5);
        assert_eq!(bucket_quantile(1.0, &mut buckets()), 2.0);
        // Out of order and unsorted input is sorted first.
        let mut shuffled = vec![(f64::INFINITY, 20.0), (2.0, 20.0), (1.0, 10.0)];
        assert_eq!(bucket_quantile(0.75, &mut shuffled), 1.5);
    }

    #[test]
    fn bucket_quantile_edge_cases() {
        // No +Inf bucket, or only one bucket: no answer.
        assert!(bucket_quantile(0.5, &mut vec![(1.0, 10.0), (2.0, 20.0)]).is_nan());
        assert!(bucket_quantile(0.5, &mut vec![(f64::INFINITY, 20.0)]).is_nan());
        // In the +Inf bucket: the highest finite bound.
        assert_eq!(
            bucket_quantile(0.5, &mut vec![(1.0, 0.0), (f64::INFINITY, 10.0)]),
            1.0
        );
        // In a first bucket with a bound at or below zero: that bound.
        assert_eq!(
            bucket_quantile(0.1, &mut vec![(-1.0, 5.0), (f64::INFINITY, 10.0)]),
            -1.0
        );
        // A decreasing count is raised to the one before.
        let mut decreasing = vec![(1.0, 10.0), (2.0, 8.0), (f64::INFINITY, 20.0)];
        assert_eq!(bucket_quantile(0.5, &mut decreasing), 1.0);
        assert!(bucket_quantile(0.5, &mut vec![(1.0, 0.0), (f64::INFINITY, 0.0)]).is_nan());
    }

    #[test]
    fn bucket_fraction_interpolates_the_bounds() {
        assert_eq!(bucket_fraction(0.0, 1.0, &mut buckets()), 0.5);
        assert_eq!(bucket_fraction(0.0, 1.5, &mut buckets()), 0.75);
        assert_eq!(bucket_fraction(1.0, 2.0, &mut buckets()), 0.5);
        assert_eq!(
            bucket_fraction(f64::NEG_INFINITY, f64::INFINITY, &mut buckets()),
            1.0
        );
        assert_eq!(bucket_fraction(2.0, 1.0, &mut buckets()), 0.0);
        assert!(bucket_fraction(0.0, f64::NAN, &mut buckets()).is_nan());
    }
}
