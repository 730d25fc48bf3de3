//! Functions of a range vector, evaluated per series over its window
//! `(t - range, t]`: `rate`, `increase`, `delta` (extrapolated, for
//! floats and native histograms), `irate`, `idelta`, `changes`, `resets`,
//! the `*_over_time` family, `deriv`, `predict_linear` and
//! `double_exponential_smoothing`.

use std::sync::Arc;

use super::aggregate::{prometheus_avg, welford_variance};
use super::call::Call;
use super::quantile::quantile;
use super::{Evaluator, RangeSeries, Result, Value, VectorSample, drop_name, fail};
use crate::ast::ExprKind;
use crate::rate::extrapolated_rate;
use o11y_metrics::store::{HistogramPoint, Sample, SeriesStore};
use o11y_model::histogram::Histogram;
use o11y_model::number::{format_float, kahan_sum_inc};

/// A function of one series' samples in a window `(from, to]`.
type RangeFn<'f> = &'f dyn Fn(&[Sample], i64, i64) -> Option<f64>;

/// A function of one series' float and histogram samples in a window.
type SeriesFn<'f> = &'f dyn Fn(&RangeSeries, i64, i64) -> Option<(f64, Option<Arc<Histogram>>)>;

impl<S: SeriesStore> Evaluator<'_, S> {
    /// Applies `f` to each series' samples (floats and histograms) in the
    /// window of argument `range_arg`; the series' name is dropped unless
    /// `keep_name`.
    fn over_time_series(
        &self,
        call: Call,
        f: SeriesFn,
        keep_name: bool,
        range_arg: usize,
    ) -> Result<Value> {
        let Call { expr, args, ts, .. } = call;
        let arg = &args[range_arg];
        let mut inner = arg;
        while let ExprKind::Paren(e) = &inner.kind {
            inner = e;
        }
        let (range_ms, t) = match &inner.kind {
            ExprKind::MatrixSelector { selector, range_ms } => (
                *range_ms,
                self.effective_time(ts, selector.at, selector.offset_ms),
            ),
            ExprKind::Subquery(sq) => (sq.range_ms, self.effective_time(ts, sq.at, sq.offset_ms)),
            _ => (0, ts),
        };
        let mut out = Vec::new();
        let input = self.matrix(arg, ts)?;
        // Dropping one shared metric name cannot make two series equal.
        let first_name = input.first().and_then(|s| s.labels.metric_name());
        let one_name = input.iter().all(|s| s.labels.metric_name() == first_name);
        for s in input {
            if let Some((value, histogram)) = f(&s, t - range_ms, t) {
                let labels = if keep_name {
                    s.labels
                } else {
                    self.memo_labels(usize::MAX, &s.labels, &drop_name)
                };
                out.push(VectorSample {
                    labels,
                    value,
                    histogram,
                });
            }
        }
        if keep_name || one_name {
            return Ok(Value::Vector(out));
        }
        self.check_unique(&expr.span, out).map(Value::Vector)
    }

    /// Applies `f` to each series' float samples in the window of argument
    /// `range_arg` (series with only histograms give nothing).
    fn over_time(
        &self,
        call: Call,
        f: RangeFn,
        keep_name: bool,
        range_arg: usize,
    ) -> Result<Value> {
        self.over_time_series(
            call,
            &|s, from, to| {
                if s.samples.is_empty() {
                    return None;
                }
                f(&s.samples, from, to).map(|v| (v, None))
            },
            keep_name,
            range_arg,
        )
    }

    /// The range functions; `None` for another name.
    pub(super) fn range_function(&self, call: Call) -> Result<Option<Value>> {
        let Call { name, args, ts, .. } = call;
        let values = |s: &[Sample]| s.iter().map(|x| x.value).collect::<Vec<f64>>();
        let value = match name {
            "rate" | "increase" | "delta" => {
                let (counter, per_second) = (name != "delta", name == "rate");
                self.over_time_series(
                    call,
                    &|s, from, to| match (s.samples.is_empty(), s.histograms.is_empty()) {
                        (false, true) => {
                            extrapolated_rate(&s.samples, from, to, counter, per_second)
                                .map(|v| (v, None))
                        }
                        (true, false) => {
                            histogram_rate(&s.histograms, from, to, counter, per_second)
                                .map(|h| (f64::NAN, Some(Arc::new(h))))
                        }
                        // Floats and histograms mixed in one range have no rate.
                        _ => None,
                    },
                    false,
                    0,
                )
            }
            "irate" | "idelta" => self.over_time(
                call,
                &|s, _, _| {
                    let [.., a, b] = s else { return None };
                    let mut diff = b.value - a.value;
                    if name == "irate" {
                        if b.value < a.value {
                            diff = b.value; // a counter reset
                        }
                        let dt = (b.ts_ms - a.ts_ms) as f64 / 1000.0;
                        if dt == 0.0 {
                            return None;
                        }
                        diff /= dt;
                    }
                    Some(diff)
                },
                false,
                0,
            ),
            "changes" | "resets" => self.over_time_series(
                call,
                &|s, _, _| {
                    let merged = merged_samples(s);
                    let counted = merged.windows(2).filter(|w| match (&w[0].1, &w[1].1) {
                        (Either::Float(a), Either::Float(b)) if name == "changes" => {
                            a != b && !(a.is_nan() && b.is_nan())
                        }
                        (Either::Float(a), Either::Float(b)) => b < a,
                        (Either::Histogram(a), Either::Histogram(b)) if name == "changes" => a != b,
                        (Either::Histogram(a), Either::Histogram(b)) => b.is_reset_after(a),
                        // A switch between floats and histograms is a change and a reset.
                        _ => true,
                    });
                    Some((counted.count() as f64, None))
                },
                false,
                0,
            ),
            "avg_over_time" | "sum_over_time" => self.over_time_series(
                call,
                &|s, _, _| {
                    if s.histograms.is_empty() {
                        let v = values(&s.samples);
                        return Some(if name == "avg_over_time" {
                            (prometheus_avg(&v), None)
                        } else {
                            let (sum, c) = v
                                .iter()
                                .fold((0.0, 0.0), |(sum, c), x| kahan_sum_inc(*x, sum, c));
                            (sum + c, None)
                        });
                    }
                    if !s.samples.is_empty() {
                        return None; // floats and histograms mixed
                    }
                    let mut total = s.histograms[0].histogram.as_ref().clone();
                    for h in &s.histograms[1..] {
                        total = total.add_scaled(&h.histogram, 1.0)?;
                    }
                    if name == "avg_over_time" {
                        total = total.scale(1.0 / s.histograms.len() as f64);
                    }
                    Some((f64::NAN, Some(Arc::new(total))))
                },
                false,
                0,
            ),
            "count_over_time" => self.over_time_series(
                call,
                &|s, _, _| Some(((s.samples.len() + s.histograms.len()) as f64, None)),
                false,
                0,
            ),
            "mad_over_time" => self.over_time(
                call,
                &|s, _, _| {
                    let mut v = values(s);
                    if v.iter().any(|x| x.is_nan()) {
                        return Some(f64::NAN);
                    }
                    let median = quantile(0.5, &mut v);
                    let mut deviations: Vec<f64> = v.iter().map(|x| (x - median).abs()).collect();
                    Some(quantile(0.5, &mut deviations))
                },
                false,
                0,
            ),
            "ts_of_min_over_time" | "ts_of_max_over_time" => self.over_time(
                call,
                &|s, _, _| {
                    let mut best: Option<&Sample> = None;
                    for x in s {
                        let better = match best {
                            None => true,
                            Some(b) if b.value.is_nan() => !x.value.is_nan(),
                            Some(b) if name == "ts_of_min_over_time" => x.value < b.value,
                            Some(b) => x.value > b.value,
                        };
                        if better {
                            best = Some(x);
                        }
                    }
                    best.map(|b| b.ts_ms as f64 / 1000.0)
                },
                false,
                0,
            ),
            "double_exponential_smoothing" => {
                let smoothing = self.scalar(&args[1], ts)?;
                let trend = self.scalar(&args[2], ts)?;
                if !(smoothing > 0.0 && smoothing < 1.0) {
                    return fail(
                        &args[1].span,
                        format!(
                            "invalid smoothing factor. Expected: 0 < sf < 1, got: {}",
                            format_float(smoothing)
                        ),
                    );
                }
                if !(trend > 0.0 && trend < 1.0) {
                    return fail(
                        &args[2].span,
                        format!(
                            "invalid trend factor. Expected: 0 < tf < 1, got: {}",
                            format_float(trend)
                        ),
                    );
                }
                self.over_time(
                    call,
                    &|s, _, _| {
                        if s.len() < 2 {
                            return None;
                        }
                        // Holt's linear method, as Prometheus's funcDoubleExponentialSmoothing.
                        let (mut s0, mut s1) = (0.0, s[0].value);
                        let mut b = s[1].value - s[0].value;
                        for (i, x) in s.iter().enumerate().skip(1) {
                            if i > 1 {
                                b = trend * (s1 - s0) + (1.0 - trend) * b;
                            }
                            let next = smoothing * x.value + (1.0 - smoothing) * (s1 + b);
                            (s0, s1) = (s1, next);
                        }
                        Some(s1)
                    },
                    false,
                    0,
                )
            }
            "min_over_time" => self.over_time(
                call,
                &|s, _, _| {
                    s.iter()
                        .map(|x| x.value)
                        .reduce(|m, v| if m.is_nan() || v < m { v } else { m })
                },
                false,
                0,
            ),
            "max_over_time" => self.over_time(
                call,
                &|s, _, _| {
                    s.iter()
                        .map(|x| x.value)
                        .reduce(|m, v| if m.is_nan() || v > m { v } else { m })
                },
                false,
                0,
            ),
            "last_over_time"
            | "first_over_time"
            | "present_over_time"
            | "ts_of_last_over_time"
            | "ts_of_first_over_time" => self.over_time_series(
                call,
                &|s, _, _| {
                    let merged = merged_samples(s);
                    let (at, picked) = if name.contains("first") {
                        merged.first()?
                    } else {
                        merged.last()?
                    };
                    Some(match name {
                        "present_over_time" => (1.0, None),
                        "ts_of_last_over_time" | "ts_of_first_over_time" => {
                            (*at as f64 / 1000.0, None)
                        }
                        _ => match picked {
                            Either::Float(v) => (*v, None),
                            Either::Histogram(h) => (f64::NAN, Some(h.clone())),
                        },
                    })
                },
                name == "last_over_time" || name == "first_over_time",
                0,
            ),
            "stddev_over_time" | "stdvar_over_time" => self.over_time(
                call,
                &|s, _, _| {
                    let var = welford_variance(&values(s));
                    Some(if name == "stddev_over_time" {
                        var.sqrt()
                    } else {
                        var
                    })
                },
                false,
                0,
            ),
            "quantile_over_time" => {
                let q = self.scalar(&args[0], ts)?;
                self.over_time(call, &|s, _, _| Some(quantile(q, &mut values(s))), false, 1)
            }
            "deriv" | "predict_linear" => {
                let horizon_s = if name == "predict_linear" {
                    self.scalar(&args[1], ts)?
                } else {
                    0.0
                };
                self.over_time(
                    call,
                    &|s, _, _| {
                        if s.len() < 2 {
                            return None;
                        }
                        // Least squares, with times relative to the evaluation time for predict_linear.
                        let origin = if name == "predict_linear" {
                            ts
                        } else {
                            s[0].ts_ms
                        };
                        let n = s.len() as f64;
                        let (mut sx, mut sy, mut sxy, mut sxx) = (0.0, 0.0, 0.0, 0.0);
                        for x in s {
                            let t = (x.ts_ms - origin) as f64 / 1000.0;
                            sx += t;
                            sy += x.value;
                            sxy += t * x.value;
                            sxx += t * t;
                        }
                        let cov = sxy - sx * sy / n;
                        let var = sxx - sx * sx / n;
                        let slope = cov / var;
                        let intercept = sy / n - slope * sx / n;
                        Some(if name == "deriv" {
                            slope
                        } else {
                            slope * horizon_s + intercept
                        })
                    },
                    false,
                    0,
                )
            }
            _ => return Ok(None),
        };
        value.map(Some)
    }
}

/// A float or a histogram sample.
enum Either {
    Float(f64),
    Histogram(Arc<Histogram>),
}

/// A series' float and histogram samples in time order.
fn merged_samples(s: &RangeSeries) -> Vec<(i64, Either)> {
    let mut out: Vec<(i64, Either)> = s
        .samples
        .iter()
        .map(|x| (x.ts_ms, Either::Float(x.value)))
        .chain(
            s.histograms
                .iter()
                .map(|h| (h.ts_ms, Either::Histogram(h.histogram.clone()))),
        )
        .collect();
    out.sort_by_key(|x| x.0);
    out
}

/// `rate`/`increase`/`delta` of histogram samples: the last minus the
/// first, corrected for counter resets, extrapolated as for floats.
fn histogram_rate(
    points: &[HistogramPoint],
    from: i64,
    to: i64,
    counter: bool,
    per_second: bool,
) -> Option<Histogram> {
    let [first, .., last] = points else {
        return None;
    };
    let mut result = last.histogram.add_scaled(&first.histogram, -1.0)?;
    if counter {
        for pair in points.windows(2) {
            if pair[1].histogram.is_reset_after(&pair[0].histogram) {
                result = result.add_scaled(&pair[0].histogram, 1.0)?;
            }
        }
    }
    let samples = [
        Sample {
            ts_ms: first.ts_ms,
            value: first.histogram.count,
        },
        Sample {
            ts_ms: last.ts_ms,
            value: first.histogram.count + result.count,
        },
    ];
    let factor = crate::rate::extrapolation_factor(
        &samples,
        points.len(),
        from,
        to,
        counter,
        per_second,
        result.count,
    );
    let mut h = result.scale(factor);
    h.gauge = true;
    Some(h)
}

#[cfg(test)]
mod tests {
    use crate::eval::fixture::{eval_at, eval_err, store};

    /// Each query with what it gives at `ts_s`, one check per line.
    fn check(series: &[(&str, &[(i64, f64)])], ts_s: i64, cases: &[(&str, &[&str])]) {
        let s = store(series);
        for (query, expected) in cases {
            assert_eq!(eval_at(&s, query, ts_s), *expected, "{query}");
        }
    }

    #[test]
    fn rate_increase_and_delta_extrapolate_to_the_window() {
        // One per second, sampled every 15 s; the window (0, 60 s] holds
        // 15..60 s and is extrapolated back to its start (45 → 60).
        let counter: Vec<(i64, f64)> = (0..=4).map(|i| (i * 15, (i * 15) as f64)).collect();
        let s = store(&[("x{job=\"a\"}", &counter)]);
        for (query, expected) in [
            ("rate(x[1m])", 1.0),
            ("increase(x[1m])", 60.0),
            ("delta(x[1m])", 60.0),
        ] {
            let got = eval_at(&s, query, 60);
            let [line] = got.as_slice() else {
                panic!("{query}: {got:?}");
            };
            let value: f64 = line.strip_prefix("{job=\"a\"} ").unwrap().parse().unwrap();
            // 45 × (60 / 45) is not exactly 60 in floating point.
            assert!((value - expected).abs() < 1e-9, "{query}: {value}");
        }
        // A window with one sample has no rate.
        assert!(eval_at(&s, "rate(x[10s])", 60).is_empty());
    }

    #[test]
    fn irate_and_idelta_use_the_last_two_samples() {
        let reset = [(0, 0.0), (10, 10.0), (20, 20.0), (30, 5.0)];
        check(
            &[("x", &reset)],
            30,
            &[
                // A counter reset: the new value is the increase.
                ("irate(x[1m])", &["{} 0.5"]),
                ("idelta(x[1m])", &["{} -15"]),
                ("changes(x[1m])", &["{} 3"]),
                ("resets(x[1m])", &["{} 1"]),
            ],
        );
    }

    #[test]
    fn over_time_functions_of_one_window() {
        let ramp = [(0, 1.0), (10, 2.0), (20, 3.0), (30, 4.0)];
        check(
            &[("x", &ramp)],
            30,
            &[
                ("sum_over_time(x[1m])", &["{} 10"]),
                ("avg_over_time(x[1m])", &["{} 2.5"]),
                ("min_over_time(x[1m])", &["{} 1"]),
                ("max_over_time(x[1m])", &["{} 4"]),
                ("count_over_time(x[1m])", &["{} 4"]),
                ("quantile_over_time(0.5, x[1m])", &["{} 2.5"]),
                ("stdvar_over_time(x[1m])", &["{} 1.25"]),
                // Deviations from the median 2.5: 1.5, 0.5, 0.5, 1.5.
                ("mad_over_time(x[1m])", &["{} 1"]),
                ("present_over_time(x[1m])", &["{} 1"]),
                ("ts_of_min_over_time(x[1m])", &["{} 0"]),
                ("ts_of_max_over_time(x[1m])", &["{} 30"]),
                ("ts_of_last_over_time(x[1m])", &["{} 30"]),
                // These two keep the metric name.
                ("last_over_time(x[1m])", &["x 4"]),
                ("first_over_time(x[1m])", &["x 1"]),
                // Over a subquery's points.
                ("max_over_time(x[30s:10s])", &["{} 4"]),
            ],
        );
    }

    #[test]
    fn deriv_and_predict_linear_fit_a_line() {
        let line = [(0, 0.0), (10, 20.0), (20, 40.0), (30, 60.0)];
        check(
            &[("x", &line)],
            30,
            &[
                ("deriv(x[1m])", &["{} 2"]),
                // 60 now, 2 a second for another minute.
                ("predict_linear(x[1m], 60)", &["{} 180"]),
                ("double_exponential_smoothing(x[1m], 0.5, 0.5)", &["{} 60"]),
            ],
        );
    }

    #[test]
    fn double_exponential_smoothing_checks_its_factors() {
        let s = store(&[("x", &[(0, 1.0), (10, 2.0)])]);
        assert_eq!(
            eval_err(&s, "double_exponential_smoothing(x[1m], 0, 0.5)", 10),
            "invalid smoothing factor. Expected: 0 < sf < 1, got: 0"
        );
        assert_eq!(
            eval_err(&s, "double_exponential_smoothing(x[1m], 0.5, 1)", 10),
            "invalid trend factor. Expected: 0 < tf < 1, got: 1"
        );
    }

    #[test]
    fn dropping_the_name_can_make_two_series_collide() {
        let s = store(&[("a{job=\"x\"}", &[(0, 1.0)]), ("b{job=\"x\"}", &[(0, 2.0)])]);
        assert_eq!(
            eval_err(&s, "sum_over_time({__name__=~\"a|b\"}[1m])", 0),
            "vector cannot contain metrics with the same labelset"
        );
        assert_eq!(
            eval_at(&s, "last_over_time({__name__=~\"a|b\"}[1m])", 0),
            ["a{job=\"x\"} 1", "b{job=\"x\"} 2"]
        );
    }
}
