//! Evaluating PromQL over a [`SeriesStore`], with Prometheus 3 semantics:
//! a 5-minute lookback for instant selectors, left-open range windows
//! `(t - range, t]`, staleness markers ending a series, `offset` and `@`,
//! subqueries aligned to their step, extrapolated `rate`/`increase`/`delta`,
//! `__name__` dropped by functions and arithmetic, vector matching with
//! `on`/`ignoring`/`group_*`, and the errors Prometheus gives for
//! ambiguous matches and duplicate output series.
//!
//! One evaluator for range and instant queries, built for range queries as
//! Prometheus's engine is: each node of the expression is evaluated once
//! over all the steps of the query (a `steps::Grid`), not the tree once
//! per step. A node gives a scalar per step or a step matrix — series whose
//! labels are computed once, each with a dense value per step and whether
//! it is present there; an instant query is the grid of one step, so the
//! range path is the only path. Selectors read each series once for all
//! steps; range functions run series by series over all steps with a
//! window that slides forward (`select::WindowCursor`), O(1) per step where
//! that is exact (`rate`, `increase`, `count_over_time`, `last_over_time`);
//! aggregations and vector matching find each series' group or signature
//! once and then fold per step without hashing; a subquery evaluates its
//! expression once over the union of its windows' steps. What is written
//! for one instant vector (label functions, `sort`, `count_values`…) runs
//! at each step on its arguments' values there, as Prometheus's
//! `rangeEval` does. Float arithmetic follows the instant evaluation's
//! order exactly (Kahan sums per step, in series order), so a range query
//! at a step equals the instant query at that step bit for bit
//! (`tests/range_matches_instant.rs`).
//!
//! The evaluator is split by concern, as Prometheus splits `engine.go`,
//! `functions.go` and `quantile.go`: this file holds the value types, the
//! query entry points and limits, and the expression walk; `steps` the
//! grid, the step matrix and the per-step adapter; `select` reads
//! the store (instant and range selectors, lookback, staleness, `@` and
//! `offset`, window cursors, subqueries); `binary` the operators and vector
//! matching; `aggregate` the aggregation operators; `call` dispatches a
//! function call to its family (`range_functions`, `math_functions`,
//! `time_functions`, `label_functions`, `histogram_functions`,
//! `vector_functions`); `quantile` holds the quantile arithmetic they share.
//!
//! ```
//! use o11y_metrics::store::{Sample, SeriesStore};
//! use o11y_metrics::tsdb::Tsdb;
//! use o11y_model::labels::Labels;
//! use o11y_promql::eval::{Value, instant_query};
//!
//! let mut store = Tsdb::default();
//! let up = Labels::new([("__name__", "up"), ("job", "api")]);
//! store.append(&up, Sample { ts_ms: 0, value: 1.0 }).unwrap();
//! let expr = o11y_promql::parse("sum(up) * 2").unwrap();
//! let Ok(Value::Vector(v)) = instant_query(&store, &expr, 60_000) else { panic!() };
//! assert_eq!(v[0].value, 2.0);
//! ```

mod aggregate;
mod binary;
mod call;
mod histogram_functions;
mod label_functions;
mod math_functions;
mod quantile;
mod range_functions;
mod select;
mod steps;
mod time_functions;
mod vector_functions;

use std::collections::HashMap;
use std::sync::Arc;

use crate::ast::*;
use crate::lexer::Span;
use o11y_metrics::store::{HistogramPoint, Sample, SeriesStore};
use o11y_model::histogram::Histogram;
use o11y_model::labels::{Labels, METRIC_NAME};
use steps::{Grid, StepSeries, Steps, merge_same_labels};

/// How far back an instant selector looks for a sample.
pub const LOOKBACK_MS: i64 = 300_000;
/// The step of a subquery that names none (Prometheus's default evaluation interval).
pub const DEFAULT_SUBQUERY_STEP_MS: i64 = 60_000;

/// One element of an instant vector.
#[derive(Clone, Debug, PartialEq)]
pub struct VectorSample {
    pub labels: Labels,
    pub value: f64,
    /// A native histogram sample (then `value` is unused).
    pub histogram: Option<Arc<Histogram>>,
}

impl VectorSample {
    pub fn float(labels: Labels, value: f64) -> VectorSample {
        VectorSample {
            labels,
            value,
            histogram: None,
        }
    }
}

/// One series of a range vector or of a range query's result.
#[derive(Clone, Debug, PartialEq)]
pub struct RangeSeries {
    pub labels: Labels,
    pub samples: Vec<Sample>,
    /// Native histogram samples, by time (a series may mix both kinds).
    pub histograms: Vec<HistogramPoint>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Scalar(f64),
    String(String),
    Vector(Vec<VectorSample>),
    Matrix(Vec<RangeSeries>),
}

/// Why a query could not be evaluated, at the span of the part responsible.
pub type EvalError = o11y_model::diag::Diagnostic;

type Result<T> = std::result::Result<T, EvalError>;

fn fail<T>(span: &Span, message: impl Into<String>) -> Result<T> {
    Err(EvalError::at_span(span.clone(), message))
}

/// Bounds that keep a query from freezing the tab.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QueryLimits {
    /// Samples a query may load from the store.
    pub max_samples: usize,
    /// Steps of a range query (or of all its subqueries).
    pub max_steps: usize,
}

impl Default for QueryLimits {
    fn default() -> Self {
        QueryLimits {
            max_samples: 50_000_000,
            max_steps: 11_000,
        }
    }
}

/// Series loaded per selector, keyed by the selector's span.
type SelectorCache = HashMap<(usize, usize), std::rc::Rc<Vec<RangeSeries>>>;

/// One evaluation: the store, the query's time range and limits.
pub struct Evaluator<'a> {
    /// Behind `dyn`: the store is called once per selector, and the page
    /// holds one copy of the evaluator instead of one per store type (the
    /// TSDB, the "what if" overlay, promqltest's store: 153 kB raw with the rule engine's).
    store: &'a dyn SeriesStore,
    start_ms: i64,
    end_ms: i64,
    step_ms: i64,
    limits: QueryLimits,
    /// Series loaded per selector (by its span), over all time.
    cache: std::cell::RefCell<SelectorCache>,
    samples_loaded: std::cell::Cell<usize>,
    samples_touched: std::cell::Cell<u64>,
    /// The time each selector needs loaded (by span), once known.
    windows: HashMap<(usize, usize), (i64, i64)>,
}

/// What a query cost.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct QueryStats {
    /// Samples loaded from the store.
    pub samples_loaded: usize,
    /// Samples read by selectors over all steps (Prometheus's "total samples").
    pub samples_touched: u64,
}

/// Evaluates `expr` at one instant.
pub fn instant_query(store: &dyn SeriesStore, expr: &Expr, ts_ms: i64) -> Result<Value> {
    Evaluator::new(store, ts_ms, ts_ms, 0, QueryLimits::default())
        .prepare(expr)
        .eval(expr, ts_ms)
}

/// Evaluates `expr` at every step from `start_ms` to `end_ms`: a matrix of
/// the series that had a value at some step (scalars as a `{}` series).
pub fn range_query(
    store: &dyn SeriesStore,
    expr: &Expr,
    start_ms: i64,
    end_ms: i64,
    step_ms: i64,
) -> Result<Vec<RangeSeries>> {
    range_query_with_stats(
        store,
        expr,
        start_ms,
        end_ms,
        step_ms,
        QueryLimits::default(),
    )
    .map(|(series, _)| series)
}

/// [`range_query`] with explicit limits, also returning what it cost.
pub fn range_query_with_stats(
    store: &dyn SeriesStore,
    expr: &Expr,
    start_ms: i64,
    end_ms: i64,
    step_ms: i64,
    limits: QueryLimits,
) -> Result<(Vec<RangeSeries>, QueryStats)> {
    if step_ms <= 0 {
        return fail(
            &expr.span,
            "zero or negative query resolution step widths are not accepted",
        );
    }
    if end_ms < start_ms {
        return fail(&expr.span, "end timestamp must not be before start time");
    }
    if ((end_ms - start_ms) / step_ms) as usize >= limits.max_steps {
        return fail(
            &expr.span,
            format!(
                "exceeded maximum resolution of {} points per timeseries",
                limits.max_steps
            ),
        );
    }
    if matches!(
        expr.value_type(),
        ValueType::String | ValueType::RangeVector
    ) {
        return fail(
            &expr.span,
            "range queries need an expression of type instant vector or scalar",
        );
    }
    let evaluator = Evaluator::new(store, start_ms, end_ms, step_ms, limits).prepare(expr);
    let grid = Grid {
        start_ms,
        step_ms,
        len: ((end_ms - start_ms) / step_ms) as usize + 1,
    };
    let mut series: Vec<RangeSeries> = match evaluator.eval_steps(expr, grid)? {
        Steps::Scalar(values) => {
            let mut s = StepSeries::new(Labels::default(), grid.len);
            for (i, v) in values.into_iter().enumerate() {
                s.set(i, v);
            }
            vec![s.into_range_series(grid)]
        }
        Steps::Vector(series) => series
            .into_iter()
            .filter(|s| !s.is_empty())
            .map(|s| s.into_range_series(grid))
            .collect(),
        Steps::String(_) => {
            return fail(
                &expr.span,
                "range queries need an expression of type instant vector or scalar",
            );
        }
    };
    series.sort_by(|a, b| a.labels.cmp(&b.labels));
    Ok((series, evaluator.stats()))
}

fn drop_name(labels: &Labels) -> Labels {
    labels.without(METRIC_NAME)
}

fn label_values(labels: &Labels, names: &[String]) -> Labels {
    Labels::new(
        labels
            .iter()
            .filter(|l| names.contains(&l.name))
            .map(|l| (l.name.clone(), l.value.clone())),
    )
}

impl<'a> Evaluator<'a> {
    pub fn new(
        store: &'a dyn SeriesStore,
        start_ms: i64,
        end_ms: i64,
        step_ms: i64,
        limits: QueryLimits,
    ) -> Self {
        Evaluator {
            store,
            start_ms,
            end_ms,
            step_ms,
            limits,
            cache: Default::default(),
            samples_loaded: Default::default(),
            samples_touched: Default::default(),
            windows: HashMap::new(),
        }
    }

    /// What the evaluation has cost so far.
    pub fn stats(&self) -> QueryStats {
        QueryStats {
            samples_loaded: self.samples_loaded.get(),
            samples_touched: self.samples_touched.get(),
        }
    }

    /// Evaluates `expr` at `ts`: the grid of one step.
    pub fn eval(&self, expr: &Expr, ts: i64) -> Result<Value> {
        if expr.value_type() == ValueType::RangeVector {
            return self.range_vector_at(expr, ts).map(Value::Matrix);
        }
        Ok(self.eval_steps(expr, Grid::single(ts))?.value_at(0))
    }

    /// Evaluates `expr` at every step of `grid`.
    fn eval_steps(&self, expr: &Expr, grid: Grid) -> Result<Steps> {
        match &expr.kind {
            ExprKind::Number(v) => Ok(Steps::Scalar(vec![*v; grid.len])),
            ExprKind::String(s) => Ok(Steps::String(s.clone())),
            ExprKind::Paren(e) => self.eval_steps(e, grid),
            ExprKind::VectorSelector(vs) => Ok(Steps::Vector(
                self.vector_selector(&expr.span, vs, grid, false)?,
            )),
            ExprKind::MatrixSelector { .. } | ExprKind::Subquery(_) => fail(
                &expr.span,
                "a range vector can only be a function's argument",
            ),
            ExprKind::Unary { op, expr: inner } => match (self.eval_steps(inner, grid)?, op) {
                (v, UnaryOp::Plus) => Ok(v),
                (Steps::Scalar(v), UnaryOp::Minus) => {
                    Ok(Steps::Scalar(v.into_iter().map(|x| -x).collect()))
                }
                (Steps::Vector(series), UnaryOp::Minus) => {
                    let negated = series
                        .into_iter()
                        .map(|mut s| {
                            s.labels = drop_name(&s.labels);
                            for v in &mut s.values {
                                *v = -*v;
                            }
                            for h in s.histograms.iter_mut().flatten() {
                                *h = Arc::new(h.scale(-1.0));
                            }
                            s
                        })
                        .collect();
                    merge_same_labels(&expr.span, negated).map(Steps::Vector)
                }
                _ => fail(
                    &expr.span,
                    "unary minus needs a scalar or an instant vector",
                ),
            },
            ExprKind::Binary(b) => self.binary(expr, b, grid),
            ExprKind::Aggregate(a) => self.aggregate(expr, a, grid),
            ExprKind::Call { func, args } => self.call(expr, func.name, args, grid),
        }
    }

    fn check_unique(&self, span: &Span, samples: Vec<VectorSample>) -> Result<Vec<VectorSample>> {
        let mut seen = rustc_hash::FxHashSet::default();
        seen.reserve(samples.len());
        for s in &samples {
            if !seen.insert(&s.labels) {
                return fail(span, "vector cannot contain metrics with the same labelset");
            }
        }
        Ok(samples)
    }
}

/// A store built from readable series, and queries printed as text, for
/// the tests of every file of the evaluator.
#[cfg(test)]
mod fixture {
    use super::{Value, instant_query};
    use crate::ast::ExprKind;
    use o11y_metrics::store::{Sample, SeriesStore};
    use o11y_metrics::tsdb::Tsdb;
    use o11y_model::labels::Labels;
    use o11y_model::number::format_float;

    /// A store holding each series, written as a selector of `=` matchers
    /// (`up{job="api"}`), with its samples as `(seconds, value)`.
    pub(in crate::eval) fn store(series: &[(&str, &[(i64, f64)])]) -> Tsdb {
        let mut store = Tsdb::default();
        for (selector, samples) in series {
            let expr = crate::parse(selector).unwrap();
            let ExprKind::VectorSelector(vs) = expr.kind else {
                panic!("not a series: {selector}");
            };
            let labels = Labels::new(
                vs.matchers
                    .iter()
                    .map(|m| (m.name.clone(), m.value.clone())),
            );
            for &(ts_s, value) in *samples {
                let sample = Sample {
                    ts_ms: ts_s * 1000,
                    value,
                };
                store.append(&labels, sample).unwrap();
            }
        }
        store
    }

    /// A value as lines of text: `labels value` per sample of a vector,
    /// `labels value@seconds …` per series of a matrix, a scalar alone.
    pub(in crate::eval) fn show(value: &Value) -> Vec<String> {
        match value {
            Value::Scalar(v) => vec![format_float(*v)],
            Value::String(s) => vec![s.clone()],
            Value::Vector(samples) => samples
                .iter()
                .map(|s| format!("{} {}", s.labels, format_float(s.value)))
                .collect(),
            Value::Matrix(series) => series
                .iter()
                .map(|s| {
                    let points: Vec<String> = s
                        .samples
                        .iter()
                        .map(|p| {
                            let at = format_float(p.ts_ms as f64 / 1000.0);
                            format!("{}@{at}", format_float(p.value))
                        })
                        .collect();
                    format!("{} {}", s.labels, points.join(" "))
                })
                .collect(),
        }
    }

    /// `query` evaluated at `ts_s` seconds, shown as by [`show`].
    pub(in crate::eval) fn eval_at(store: &Tsdb, query: &str, ts_s: i64) -> Vec<String> {
        let expr = crate::parse(query).unwrap();
        match instant_query(store, &expr, ts_s * 1000) {
            Ok(value) => show(&value),
            Err(e) => panic!("{query}: {e}"),
        }
    }

    /// The error evaluating `query` at `ts_s` seconds gives.
    pub(in crate::eval) fn eval_err(store: &Tsdb, query: &str, ts_s: i64) -> String {
        let expr = crate::parse(query).unwrap();
        match instant_query(store, &expr, ts_s * 1000) {
            Ok(value) => panic!("{query}: expected an error, got {:?}", show(&value)),
            Err(e) => e.message,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::fixture::{eval_at, eval_err, show, store};
    use super::*;

    fn range(
        store: &o11y_metrics::tsdb::Tsdb,
        query: &str,
        (start_s, end_s, step_s): (i64, i64, i64),
        limits: QueryLimits,
    ) -> std::result::Result<(Vec<String>, QueryStats), String> {
        let expr = crate::parse(query).unwrap();
        let (start_ms, end_ms, step_ms) = (start_s * 1000, end_s * 1000, step_s * 1000);
        range_query_with_stats(store, &expr, start_ms, end_ms, step_ms, limits)
            .map(|(series, stats)| (show(&Value::Matrix(series)), stats))
            .map_err(|e| e.message)
    }

    #[test]
    fn range_query_rejects_bad_steps_and_ranges() {
        let s = store(&[("x", &[(0, 1.0)])]);
        let limits = QueryLimits::default();
        assert_eq!(
            range(&s, "x", (0, 60, 0), limits).unwrap_err(),
            "zero or negative query resolution step widths are not accepted"
        );
        assert_eq!(
            range(&s, "x", (60, 0, 1), limits).unwrap_err(),
            "end timestamp must not be before start time"
        );
        let ten_steps = QueryLimits {
            max_steps: 10,
            ..limits
        };
        // 0..=10 s every second is 11 points: one more than allowed.
        assert_eq!(
            range(&s, "x", (0, 10, 1), ten_steps).unwrap_err(),
            "exceeded maximum resolution of 10 points per timeseries"
        );
        assert!(range(&s, "x", (0, 9, 1), ten_steps).is_ok());
    }

    #[test]
    fn range_query_gathers_steps_into_series() {
        let s = store(&[("x{job=\"a\"}", &[(0, 1.0), (60, 2.0)])]);
        let all = (0, 120, 60);
        let limits = QueryLimits::default();
        // The last sample holds for the lookback.
        assert_eq!(
            range(&s, "x", all, limits).unwrap().0,
            ["x{job=\"a\"} 1@0 2@60 2@120"]
        );
        // A scalar becomes one series without labels.
        assert_eq!(
            range(&s, "1 + 1", all, limits).unwrap().0,
            ["{} 2@0 2@60 2@120"]
        );
        assert_eq!(
            range(&s, "\"text\"", all, limits).unwrap_err(),
            "range queries need an expression of type instant vector or scalar"
        );
    }

    #[test]
    fn the_sample_limit_counts_what_selectors_load() {
        let samples: Vec<(i64, f64)> = (0..5).map(|i| (i * 60, i as f64)).collect();
        let s = store(&[("x", &samples)]);
        let all = (0, 240, 60);
        let four = QueryLimits {
            max_samples: 4,
            ..QueryLimits::default()
        };
        assert_eq!(
            range(&s, "x", all, four).unwrap_err(),
            "query processing would load too many samples into memory (more than 4)"
        );
        let five = QueryLimits {
            max_samples: 5,
            ..four
        };
        let (_, stats) = range(&s, "x", all, five).unwrap();
        // Five samples loaded once; one series read at each of five steps.
        assert_eq!(
            stats,
            QueryStats {
                samples_loaded: 5,
                samples_touched: 5
            }
        );
    }

    #[test]
    fn unary_minus_drops_the_name_and_may_collide() {
        let s = store(&[("x{job=\"a\"}", &[(0, 1.0)]), ("y{job=\"a\"}", &[(0, 2.0)])]);
        assert_eq!(eval_at(&s, "-x", 0), ["{job=\"a\"} -1"]);
        assert_eq!(eval_at(&s, "+x", 0), ["x{job=\"a\"} 1"]);
        assert_eq!(
            eval_err(&s, "-{__name__=~\"x|y\"}", 0),
            "vector cannot contain metrics with the same labelset"
        );
    }
}
