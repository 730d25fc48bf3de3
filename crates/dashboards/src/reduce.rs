//! Grafana's calculations: how a stat, gauge or bar gauge turns a series
//! into one value (`options.reduceOptions.calcs`), NaN counting as null
//! as Grafana reads Prometheus's NaN.
//!
//! ```
//! use o11y_dashboards::{Reducer, reduce};
//! assert_eq!(reduce(Reducer::LastNotNull, &[1.0, 2.0, f64::NAN]), Some(2.0));
//! ```

grafana_names! {
    /// Grafana's reducers a stat, gauge or bar gauge turns a series into a
    /// value with.
    #[derive(Default)]
    pub enum Reducer {
        #[default]
        LastNotNull = "lastNotNull",
        Last = "last",
        FirstNotNull = "firstNotNull",
        First = "first",
        Mean = "mean",
        Max = "max",
        Min = "min",
        Sum = "sum",
        Count = "count",
        Range = "range",
        Diff = "diff",
        Median = "median",
        StdDev = "stdDev",
        ChangeCount = "changeCount",
    }
}

/// A series' values reduced as Grafana's reducer `calc` does; `None` when
/// there is nothing to reduce.
pub fn reduce(calc: Reducer, values: &[f64]) -> Option<f64> {
    let real: Vec<f64> = values.iter().copied().filter(|v| !v.is_nan()).collect();
    let n = real.len() as f64;
    match calc {
        Reducer::Last => values.last().copied(),
        Reducer::First => values.first().copied(),
        Reducer::FirstNotNull => real.first().copied(),
        Reducer::Count => Some(values.len() as f64),
        Reducer::ChangeCount => Some(
            values
                .windows(2)
                .filter(|w| w[0] != w[1] && !(w[0].is_nan() && w[1].is_nan()))
                .count() as f64,
        ),
        _ if real.is_empty() => None,
        Reducer::Mean => Some(real.iter().sum::<f64>() / n),
        Reducer::Max => real.iter().copied().reduce(f64::max),
        Reducer::Min => real.iter().copied().reduce(f64::min),
        Reducer::Sum => Some(real.iter().sum()),
        Reducer::Range => {
            Some(real.iter().copied().reduce(f64::max)? - real.iter().copied().reduce(f64::min)?)
        }
        Reducer::Diff => Some(real[real.len() - 1] - real[0]),
        Reducer::Median => {
            let mut sorted = real.clone();
            sorted.sort_by(f64::total_cmp);
            let mid = sorted.len() / 2;
            Some(if sorted.len().is_multiple_of(2) {
                (sorted[mid - 1] + sorted[mid]) / 2.0
            } else {
                sorted[mid]
            })
        }
        Reducer::StdDev => {
            let mean = real.iter().sum::<f64>() / n;
            Some((real.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n).sqrt())
        }
        Reducer::LastNotNull => real.last().copied(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reducers_are_grafanas() {
        let v = [1.0, f64::NAN, 4.0, 2.0, f64::NAN];
        let r = |calc| reduce(Reducer::from_name(calc).expect("a Grafana reducer"), &v);
        assert_eq!(r("lastNotNull"), Some(2.0));
        assert!(r("last").unwrap().is_nan());
        assert_eq!(r("firstNotNull"), Some(1.0));
        assert_eq!(r("mean"), Some(7.0 / 3.0));
        assert_eq!(
            (r("max"), r("min"), r("sum")),
            (Some(4.0), Some(1.0), Some(7.0))
        );
        assert_eq!(
            (r("range"), r("diff"), r("median")),
            (Some(3.0), Some(1.0), Some(2.0))
        );
        assert_eq!((r("count"), r("changeCount")), (Some(5.0), Some(4.0)));
        assert_eq!(reduce(Reducer::StdDev, &[2.0, 4.0]), Some(1.0));
        assert_eq!(reduce(Reducer::Mean, &[]), None);
        assert_eq!(reduce(Reducer::LastNotNull, &[f64::NAN]), None);
    }
}
