//! Functions of a range vector: `rate`, `increase`, `delta` (extrapolated,
//! for floats and native histograms), `irate`, `idelta`, `changes`,
//! `resets`, the `*_over_time` family, `deriv`, `predict_linear`,
//! `double_exponential_smoothing` and `absent_over_time`.
//!
//! They are evaluated as Prometheus evaluates them in a range query: series
//! by series over all steps, the window `(t - range, t]` sliding forward
//! from step to step ([`WindowCursor`]), so a series' labels are derived
//! once and no window is copied. Where a window's value can be found
//! without reading the whole window exactly, it is: `count_over_time` and
//! `last_over_time` are O(1), and `rate`/`increase` find whether the window
//! holds a counter reset from a prefix count computed once per series (a
//! window without one is `last - first`). Sums stay sequential Kahan sums
//! over the window, as Prometheus computes them, so results do not depend
//! on the step.

use std::sync::Arc;

use super::aggregate::{Accumulator, Mean, Variance};
use super::quantile::{quantile, quantile_of_sorted, value_order};
use super::select::{Window, WindowCursor};
use super::steps::{Grid, StepSeries, Steps, merge_same_labels};
use super::vector_functions::absent_labels;
use super::{Evaluator, Result, drop_name, fail};
use crate::ast::Expr;
use crate::rate::{counter_increase, extrapolation_factor};
use o11y_metrics::store::{HistogramPoint, Sample};
use o11y_model::histogram::Histogram;
use o11y_model::number::{format_float, kahan_sum_inc};

/// A function of a range vector, resolved from its name once per call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum RangeOp {
    Rate,
    Increase,
    Delta,
    Irate,
    Idelta,
    Changes,
    Resets,
    AvgOverTime,
    SumOverTime,
    CountOverTime,
    MadOverTime,
    TsOfMinOverTime,
    TsOfMaxOverTime,
    DoubleExponentialSmoothing,
    MinOverTime,
    MaxOverTime,
    LastOverTime,
    FirstOverTime,
    PresentOverTime,
    TsOfLastOverTime,
    TsOfFirstOverTime,
    StddevOverTime,
    StdvarOverTime,
    QuantileOverTime,
    Deriv,
    PredictLinear,
    AbsentOverTime,
}

impl RangeOp {
    fn from_name(name: &str) -> Option<RangeOp> {
        use RangeOp::*;
        Some(match name {
            "rate" => Rate,
            "increase" => Increase,
            "delta" => Delta,
            "irate" => Irate,
            "idelta" => Idelta,
            "changes" => Changes,
            "resets" => Resets,
            "avg_over_time" => AvgOverTime,
            "sum_over_time" => SumOverTime,
            "count_over_time" => CountOverTime,
            "mad_over_time" => MadOverTime,
            "ts_of_min_over_time" => TsOfMinOverTime,
            "ts_of_max_over_time" => TsOfMaxOverTime,
            "double_exponential_smoothing" => DoubleExponentialSmoothing,
            "min_over_time" => MinOverTime,
            "max_over_time" => MaxOverTime,
            "last_over_time" => LastOverTime,
            "first_over_time" => FirstOverTime,
            "present_over_time" => PresentOverTime,
            "ts_of_last_over_time" => TsOfLastOverTime,
            "ts_of_first_over_time" => TsOfFirstOverTime,
            "stddev_over_time" => StddevOverTime,
            "stdvar_over_time" => StdvarOverTime,
            "quantile_over_time" => QuantileOverTime,
            "deriv" => Deriv,
            "predict_linear" => PredictLinear,
            "absent_over_time" => AbsentOverTime,
            _ => return None,
        })
    }

    /// Whether the function reads only float samples (a series with only
    /// histograms in the window gives nothing).
    fn floats_only(self) -> bool {
        use RangeOp::*;
        matches!(
            self,
            Irate
                | Idelta
                | MadOverTime
                | TsOfMinOverTime
                | TsOfMaxOverTime
                | DoubleExponentialSmoothing
                | MinOverTime
                | MaxOverTime
                | StddevOverTime
                | StdvarOverTime
                | QuantileOverTime
                | Deriv
                | PredictLinear
        )
    }
}

/// What a window's value is computed from besides the window.
struct WindowContext<'a> {
    /// The step's evaluation time (`predict_linear` measures from it).
    ts_ms: i64,
    /// The step's scalar arguments, in order.
    params: [f64; 2],
    /// Counter resets among the series' samples before each index (for
    /// `rate` and `increase`).
    resets_before: &'a [u32],
    /// Reused for functions that sort a window's values.
    scratch: &'a mut Vec<f64>,
    /// The series' window kept sorted as it slides (`quantile_over_time`).
    sorted: &'a mut SortedWindow,
}

/// A window's float values in [`value_order`], kept sorted as the window
/// slides: the samples that leave are removed and those that enter are
/// inserted, instead of sorting every window.
#[derive(Default)]
struct SortedWindow {
    values: Vec<f64>,
    /// The series' sample indices the values are of.
    from: usize,
    to: usize,
}

impl SortedWindow {
    fn reset(&mut self) {
        self.values.clear();
        (self.from, self.to) = (0, 0);
    }

    /// The values of `series[from..to]`, sorted.
    fn slide(&mut self, series: &[Sample], from: usize, to: usize) -> &[f64] {
        if from >= self.to || to < self.to || from < self.from {
            self.values.clear();
            self.values.extend(series[from..to].iter().map(|x| x.value));
            self.values.sort_by(value_order);
        } else {
            for x in &series[self.from..from] {
                let at = self
                    .values
                    .partition_point(|v| value_order(v, &x.value).is_lt());
                self.values.remove(at);
            }
            for x in &series[self.to..to] {
                let at = self
                    .values
                    .partition_point(|v| value_order(v, &x.value).is_le());
                self.values.insert(at, x.value);
            }
        }
        (self.from, self.to) = (from, to);
        &self.values
    }
}

impl Evaluator<'_> {
    /// The range functions over `grid`; `None` for another name.
    pub(super) fn range_function(
        &self,
        expr: &Expr,
        name: &str,
        args: &[Expr],
        grid: Grid,
    ) -> Result<Option<Steps>> {
        let Some(op) = RangeOp::from_name(name) else {
            return Ok(None);
        };
        let range_arg = usize::from(op == RangeOp::QuantileOverTime);
        let mut params = Vec::new();
        for (i, arg) in args.iter().enumerate() {
            if i != range_arg {
                params.push(self.eval_steps(arg, grid)?.into_scalar(&arg.span)?);
            }
        }
        if op == RangeOp::DoubleExponentialSmoothing {
            check_smoothing_factors(args, &params)?;
        }
        let source = self.window_source(&args[range_arg], grid)?;
        let keep_name = matches!(op, RangeOp::LastOverTime | RangeOp::FirstOverTime);
        let counter = matches!(op, RangeOp::Rate | RangeOp::Increase);
        let mut out = Vec::new();
        let mut touched = 0u64;
        let mut any_window = vec![false; grid.len];
        let mut resets_before = Vec::new();
        let mut scratch = Vec::new();
        let mut sorted = SortedWindow::default();
        for s in source.series.iter() {
            sorted.reset();
            let labels = if keep_name {
                s.labels.clone()
            } else {
                drop_name(&s.labels)
            };
            let mut series = StepSeries::new(labels, grid.len);
            if counter {
                count_resets(&s.samples, &mut resets_before);
            }
            let mut cursor = WindowCursor::default();
            for (i, &end_ms) in source.ends.iter().enumerate() {
                let w = cursor.window(s, end_ms - source.range_ms, end_ms);
                if w.len() == 0 {
                    continue;
                }
                touched += w.len() as u64;
                any_window[i] = true;
                if op == RangeOp::AbsentOverTime {
                    continue;
                }
                let mut context = WindowContext {
                    ts_ms: grid.at(i),
                    params: [
                        params.first().map_or(f64::NAN, |p| p[i]),
                        params.get(1).map_or(f64::NAN, |p| p[i]),
                    ],
                    resets_before: &resets_before,
                    scratch: &mut scratch,
                    sorted: &mut sorted,
                };
                if let Some((value, histogram)) = window_value(op, &w, &mut context) {
                    series.set_point(i, value, histogram);
                }
            }
            if !series.is_empty() {
                out.push(series);
            }
        }
        self.samples_touched
            .set(self.samples_touched.get() + touched);
        if op == RangeOp::AbsentOverTime {
            let mut absent = StepSeries::new(absent_labels(&args[0]), grid.len);
            for (i, any) in any_window.into_iter().enumerate() {
                if !any {
                    absent.set(i, 1.0);
                }
            }
            let out = if absent.is_empty() {
                vec![]
            } else {
                vec![absent]
            };
            return Ok(Some(Steps::Vector(out)));
        }
        if keep_name {
            return Ok(Some(Steps::Vector(out)));
        }
        merge_same_labels(&expr.span, out).map(|v| Some(Steps::Vector(v)))
    }
}

/// `double_exponential_smoothing`'s factors must lie strictly between 0 and 1.
fn check_smoothing_factors(args: &[Expr], params: &[Vec<f64>]) -> Result<()> {
    for (smoothing, trend) in params[0].iter().zip(&params[1]) {
        if !(*smoothing > 0.0 && *smoothing < 1.0) {
            return fail(
                &args[1].span,
                format!(
                    "invalid smoothing factor. Expected: 0 < sf < 1, got: {}",
                    format_float(*smoothing)
                ),
            );
        }
        if !(*trend > 0.0 && *trend < 1.0) {
            return fail(
                &args[2].span,
                format!(
                    "invalid trend factor. Expected: 0 < tf < 1, got: {}",
                    format_float(*trend)
                ),
            );
        }
    }
    Ok(())
}

/// `resets_before[i]`: how many samples before index `i` are counter
/// resets (lower than the one before them).
fn count_resets(samples: &[Sample], resets_before: &mut Vec<u32>) {
    resets_before.clear();
    resets_before.reserve(samples.len() + 1);
    let mut n = 0;
    resets_before.push(0);
    for (i, x) in samples.iter().enumerate() {
        if i > 0 && x.value < samples[i - 1].value {
            n += 1;
        }
        resets_before.push(n);
    }
}

/// The function's value over one series' window, if it has one.
fn window_value(
    op: RangeOp,
    w: &Window,
    context: &mut WindowContext,
) -> Option<(f64, Option<Arc<Histogram>>)> {
    use RangeOp::*;
    let floats = w.floats;
    if op.floats_only() && floats.is_empty() {
        return None;
    }
    let float = |v: f64| Some((v, None));
    match op {
        Rate | Increase | Delta => {
            let (counter, per_second) = (op != Delta, op == Rate);
            match (floats, w.histograms.is_empty()) {
                ([first, .., last], true) => {
                    // A reset lies between the window's first and last sample.
                    let to = w.float_from + floats.len();
                    let resets = counter
                        && context.resets_before[to] > context.resets_before[w.float_from + 1];
                    let increase = if resets {
                        counter_increase(floats)
                    } else {
                        last.value - first.value
                    };
                    let factor = extrapolation_factor(
                        &[*first, *last],
                        floats.len(),
                        w.start_ms,
                        w.end_ms,
                        counter,
                        per_second,
                        increase,
                    );
                    float(increase * factor)
                }
                ([], false) => {
                    histogram_rate(w.histograms, w.start_ms, w.end_ms, counter, per_second)
                        .map(|h| (f64::NAN, Some(Arc::new(h))))
                }
                // Floats and histograms mixed in one range have no rate.
                _ => None,
            }
        }
        Irate | Idelta => {
            let [.., a, b] = floats else { return None };
            let mut diff = b.value - a.value;
            if op == Irate {
                if b.value < a.value {
                    diff = b.value; // a counter reset
                }
                let dt = (b.ts_ms - a.ts_ms) as f64 / 1000.0;
                if dt == 0.0 {
                    return None;
                }
                diff /= dt;
            }
            float(diff)
        }
        Changes | Resets if w.histograms.is_empty() => {
            let counted = floats.windows(2).filter(|p| {
                let (a, b) = (p[0].value, p[1].value);
                if op == Changes {
                    a != b && !(a.is_nan() && b.is_nan())
                } else {
                    b < a
                }
            });
            float(counted.count() as f64)
        }
        Changes | Resets => {
            let merged = merged_samples(w);
            let counted = merged.windows(2).filter(|p| match (&p[0].1, &p[1].1) {
                (Either::Float(a), Either::Float(b)) if op == Changes => {
                    a != b && !(a.is_nan() && b.is_nan())
                }
                (Either::Float(a), Either::Float(b)) => b < a,
                (Either::Histogram(a), Either::Histogram(b)) if op == Changes => a != b,
                (Either::Histogram(a), Either::Histogram(b)) => b.is_reset_after(a),
                // A switch between floats and histograms is a change and a reset.
                _ => true,
            });
            float(counted.count() as f64)
        }
        AvgOverTime | SumOverTime if w.histograms.is_empty() => {
            if op == AvgOverTime {
                return float(window_mean(floats));
            }
            let (sum, c) = floats
                .iter()
                .fold((0.0, 0.0), |(sum, c), x| kahan_sum_inc(x.value, sum, c));
            float(sum + c)
        }
        AvgOverTime | SumOverTime => {
            if !floats.is_empty() {
                return None; // floats and histograms mixed
            }
            let hs = w.histograms;
            let mut total = hs[0].histogram.as_ref().clone();
            for h in &hs[1..] {
                total = total.add_scaled(&h.histogram, 1.0)?;
            }
            if op == AvgOverTime {
                total = total.scale(1.0 / hs.len() as f64);
            }
            Some((f64::NAN, Some(Arc::new(total))))
        }
        CountOverTime => float(w.len() as f64),
        MadOverTime => {
            if floats.iter().any(|x| x.value.is_nan()) {
                return float(f64::NAN);
            }
            let values = &mut *context.scratch;
            values.clear();
            values.extend(floats.iter().map(|x| x.value));
            let median = quantile(0.5, values);
            for v in values.iter_mut() {
                *v = (*v - median).abs();
            }
            float(quantile(0.5, values))
        }
        TsOfMinOverTime | TsOfMaxOverTime => {
            let mut best: Option<&Sample> = None;
            for x in floats {
                let better = match best {
                    None => true,
                    Some(b) if b.value.is_nan() => !x.value.is_nan(),
                    Some(b) if op == TsOfMinOverTime => x.value < b.value,
                    Some(b) => x.value > b.value,
                };
                if better {
                    best = Some(x);
                }
            }
            best.and_then(|b| float(b.ts_ms as f64 / 1000.0))
        }
        DoubleExponentialSmoothing => {
            if floats.len() < 2 {
                return None;
            }
            let [smoothing, trend] = context.params;
            // Holt's linear method, as Prometheus's funcDoubleExponentialSmoothing.
            let (mut s0, mut s1) = (0.0, floats[0].value);
            let mut b = floats[1].value - floats[0].value;
            for (i, x) in floats.iter().enumerate().skip(1) {
                if i > 1 {
                    b = trend * (s1 - s0) + (1.0 - trend) * b;
                }
                let next = smoothing * x.value + (1.0 - smoothing) * (s1 + b);
                (s0, s1) = (s1, next);
            }
            float(s1)
        }
        MinOverTime => floats
            .iter()
            .map(|x| x.value)
            .reduce(|m, v| if m.is_nan() || v < m { v } else { m })
            .and_then(float),
        MaxOverTime => floats
            .iter()
            .map(|x| x.value)
            .reduce(|m, v| if m.is_nan() || v > m { v } else { m })
            .and_then(float),
        LastOverTime | FirstOverTime | PresentOverTime | TsOfLastOverTime | TsOfFirstOverTime => {
            let first = matches!(op, FirstOverTime | TsOfFirstOverTime);
            let pick_float = |f: &Sample| (f.ts_ms, f.value, None);
            let pick_histogram =
                |h: &HistogramPoint| (h.ts_ms, f64::NAN, Some(h.histogram.clone()));
            // At the same time a float comes before a histogram.
            let (at, value, histogram) = if first {
                match (floats.first(), w.histograms.first()) {
                    (Some(f), Some(h)) if h.ts_ms < f.ts_ms => pick_histogram(h),
                    (Some(f), _) => pick_float(f),
                    (None, Some(h)) => pick_histogram(h),
                    (None, None) => return None,
                }
            } else {
                match (floats.last(), w.histograms.last()) {
                    (Some(f), Some(h)) if h.ts_ms >= f.ts_ms => pick_histogram(h),
                    (Some(f), _) => pick_float(f),
                    (None, Some(h)) => pick_histogram(h),
                    (None, None) => return None,
                }
            };
            match op {
                PresentOverTime => float(1.0),
                TsOfLastOverTime | TsOfFirstOverTime => float(at as f64 / 1000.0),
                _ => Some((value, histogram)),
            }
        }
        StddevOverTime | StdvarOverTime => {
            let mut variance = Variance::default();
            floats.iter().for_each(|x| variance.push(x.value));
            let var = variance.value();
            float(if op == StddevOverTime {
                var.sqrt()
            } else {
                var
            })
        }
        QuantileOverTime => {
            let to = w.float_from + floats.len();
            let sorted = context.sorted.slide(w.series_floats, w.float_from, to);
            float(quantile_of_sorted(context.params[0], sorted))
        }
        Deriv | PredictLinear => {
            if floats.len() < 2 {
                return None;
            }
            // Least squares, with times relative to the evaluation time for predict_linear.
            let origin = if op == PredictLinear {
                context.ts_ms
            } else {
                floats[0].ts_ms
            };
            let n = floats.len() as f64;
            let (mut sx, mut sy, mut sxy, mut sxx) = (0.0, 0.0, 0.0, 0.0);
            for x in floats {
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
            float(if op == Deriv {
                slope
            } else {
                slope * context.params[0] + intercept
            })
        }
        AbsentOverTime => None,
    }
}

/// Prometheus's `avg` of a window's values: while the Kahan sum stays
/// finite (the common case) it is all [`Mean`] does, in a tight loop.
fn window_mean(floats: &[Sample]) -> f64 {
    let Some((first, rest)) = floats.split_first() else {
        return f64::NAN;
    };
    let (mut sum, mut c) = (first.value, 0.0);
    for x in rest {
        let (next, next_c) = kahan_sum_inc(x.value, sum, c);
        if next.is_infinite() {
            let mut mean = Mean::default();
            floats.iter().for_each(|x| mean.push(x.value));
            return mean.value();
        }
        (sum, c) = (next, next_c);
    }
    let n = floats.len() as f64;
    sum / n + c / n
}

/// A float or a histogram sample.
enum Either {
    Float(f64),
    Histogram(Arc<Histogram>),
}

/// A window's float and histogram samples in time order.
fn merged_samples(w: &Window) -> Vec<(i64, Either)> {
    let mut out: Vec<(i64, Either)> = w
        .floats
        .iter()
        .map(|x| (x.ts_ms, Either::Float(x.value)))
        .chain(
            w.histograms
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
