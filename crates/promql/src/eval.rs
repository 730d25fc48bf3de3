//! Evaluating PromQL over a [`SeriesStore`], with Prometheus 3 semantics:
//! a 5-minute lookback for instant selectors, left-open range windows
//! `(t - range, t]`, staleness markers ending a series, `offset` and `@`,
//! subqueries aligned to their step, extrapolated `rate`/`increase`/`delta`,
//! `__name__` dropped by functions and arithmetic, vector matching with
//! `on`/`ignoring`/`group_*`, and the errors Prometheus gives for
//! ambiguous matches and duplicate output series.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use super::ast::*;
use super::lexer::Span;
use crate::rate::extrapolated_rate;
use o11y_metrics::store::{HistogramPoint, Sample, SeriesStore, is_stale};
use o11y_model::histogram::Histogram;
use o11y_model::labels::{Labels, METRIC_NAME, MatchOp, Matcher};
use o11y_model::number::{format_float, kahan_sum_inc};

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
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct EvalError {
    pub span: Span,
    pub message: String,
}

type Result<T> = std::result::Result<T, EvalError>;

fn fail<T>(span: &Span, message: impl Into<String>) -> Result<T> {
    Err(EvalError {
        span: span.clone(),
        message: message.into(),
    })
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

/// Per matrix selector (by span), each series' last window `(from, to)`.
type WindowCursors = HashMap<(usize, usize), Vec<(usize, usize)>>;

/// Series loaded per selector, keyed by the selector's span.
type SelectorCache = HashMap<(usize, usize), std::rc::Rc<Vec<RangeSeries>>>;

/// A function of one series' samples in a window `(from, to]`.
type RangeFn<'f> = &'f dyn Fn(&[Sample], i64, i64) -> Option<f64>;

/// A function of one series' float and histogram samples in a window.
type SeriesFn<'f> = &'f dyn Fn(&RangeSeries, i64, i64) -> Option<(f64, Option<Arc<Histogram>>)>;

/// One evaluation: the store, the query's time range and limits.
pub struct Evaluator<'a, S: SeriesStore> {
    store: &'a S,
    start_ms: i64,
    end_ms: i64,
    step_ms: i64,
    limits: QueryLimits,
    /// Series loaded per selector (by its span), over all time.
    cache: std::cell::RefCell<SelectorCache>,
    samples_loaded: std::cell::Cell<usize>,
    samples_touched: std::cell::Cell<u64>,
    /// Label sets derived from others (name dropped, aggregation groups),
    /// remembered across steps: (which derivation, input) → output.
    label_memo: std::cell::RefCell<rustc_hash::FxHashMap<(usize, usize), (Labels, Labels)>>,
    /// Per matrix selector (by span) and series: the last window's bounds.
    cursors: std::cell::RefCell<WindowCursors>,
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
pub fn instant_query<S: SeriesStore>(store: &S, expr: &Expr, ts_ms: i64) -> Result<Value> {
    Evaluator::new(store, ts_ms, ts_ms, 0, QueryLimits::default())
        .prepare(expr)
        .eval(expr, ts_ms)
}

/// Evaluates `expr` at every step from `start_ms` to `end_ms`: a matrix of
/// the series that had a value at some step (scalars as a `{}` series).
pub fn range_query<S: SeriesStore>(
    store: &S,
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
pub fn range_query_with_stats<S: SeriesStore>(
    store: &S,
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
    let evaluator = Evaluator::new(store, start_ms, end_ms, step_ms, limits).prepare(expr);
    let mut series = StepCollector::default();
    let mut ts = start_ms;
    while ts <= end_ms {
        match evaluator.eval(expr, ts)? {
            Value::Scalar(v) => series.push(VectorSample::float(Labels::default(), v), ts),
            Value::Vector(samples) => {
                for s in samples {
                    series.push(s, ts);
                }
            }
            Value::String(_) | Value::Matrix(_) => {
                return fail(
                    &expr.span,
                    "range queries need an expression of type instant vector or scalar",
                );
            }
        }
        ts += step_ms;
    }
    Ok((series.finish(), evaluator.stats()))
}

/// Instant vectors of successive steps gathered into series.
#[derive(Default)]
struct StepCollector(BTreeMap<Labels, RangeSeries>);

impl StepCollector {
    fn push(&mut self, sample: VectorSample, ts_ms: i64) {
        let series = self
            .0
            .entry(sample.labels)
            .or_insert_with_key(|labels| RangeSeries {
                labels: labels.clone(),
                samples: Vec::new(),
                histograms: Vec::new(),
            });
        match sample.histogram {
            Some(histogram) => series.histograms.push(HistogramPoint { ts_ms, histogram }),
            None => series.samples.push(Sample {
                ts_ms,
                value: sample.value,
            }),
        }
    }

    fn finish(self) -> Vec<RangeSeries> {
        self.0.into_values().collect()
    }
}

fn drop_name(labels: &Labels) -> Labels {
    labels.without(METRIC_NAME)
}

/// Go's `math.Mod`: the result has the sign of the dividend.
fn go_mod(a: f64, b: f64) -> f64 {
    a % b
}

/// A binary operator applied to two floats: the value and whether a
/// comparison holds (always true for arithmetic).
fn apply_op(op: BinOp, a: f64, b: f64) -> (f64, bool) {
    use BinOp::*;
    match op {
        Add => (a + b, true),
        Sub => (a - b, true),
        Mul => (a * b, true),
        Div => (a / b, true),
        Mod => (go_mod(a, b), true),
        Pow => (a.powf(b), true),
        Atan2 => (a.atan2(b), true),
        Eql => (a, a == b),
        Neq => (a, a != b),
        Lss => (a, a < b),
        Lte => (a, a <= b),
        Gtr => (a, a > b),
        Gte => (a, a >= b),
        And | Or | Unless => (a, true),
    }
}

enum HistogramOpResult {
    Histogram(Histogram),
    Comparison(bool),
}

/// A binary operator where one side or both are histograms: addition and
/// subtraction of histograms, scaling by a float, `==` and `!=`. `None`
/// for what Prometheus leaves out of the result.
fn histogram_op(
    op: BinOp,
    lh: Option<&Histogram>,
    lv: f64,
    rh: Option<&Histogram>,
    rv: f64,
) -> Option<HistogramOpResult> {
    use HistogramOpResult::*;
    match (lh, rh, op) {
        (Some(a), Some(b), BinOp::Add) => a.add_scaled(b, 1.0).map(Histogram),
        (Some(a), Some(b), BinOp::Sub) => a.add_scaled(b, -1.0).map(Histogram),
        (Some(a), Some(b), BinOp::Eql) => Some(Comparison(a == b)),
        (Some(a), Some(b), BinOp::Neq) => Some(Comparison(a != b)),
        (Some(a), None, BinOp::Mul) => Some(Histogram(a.scale(rv))),
        (None, Some(b), BinOp::Mul) => Some(Histogram(b.scale(lv))),
        (Some(a), None, BinOp::Div) => Some(Histogram(a.scale(1.0 / rv))),
        _ => None,
    }
}

/// The labels two series are matched by.
fn signature(labels: &Labels, matching: Option<&VectorMatching>) -> Labels {
    match matching {
        Some(m) if m.on => Labels::new(
            labels
                .iter()
                .filter(|l| m.labels.contains(&l.name))
                .map(|l| (l.name.clone(), l.value.clone())),
        ),
        Some(m) => Labels::new(
            labels
                .iter()
                .filter(|l| l.name != METRIC_NAME && !m.labels.contains(&l.name))
                .map(|l| (l.name.clone(), l.value.clone())),
        ),
        None => drop_name(labels),
    }
}

/// Prometheus's quantile over sorted values, with linear interpolation.
fn quantile(q: f64, values: &mut [f64]) -> f64 {
    if values.is_empty() || q.is_nan() {
        return f64::NAN;
    }
    if q < 0.0 {
        return f64::NEG_INFINITY;
    }
    if q > 1.0 {
        return f64::INFINITY;
    }
    // NaN sorts first, as in Prometheus's quantile.
    values.sort_by(|a, b| match (a.is_nan(), b.is_nan()) {
        (true, true) => std::cmp::Ordering::Equal,
        (true, false) => std::cmp::Ordering::Less,
        (false, true) => std::cmp::Ordering::Greater,
        _ => a.total_cmp(b),
    });
    let rank = q * (values.len() - 1) as f64;
    let lower = rank.floor() as usize;
    let upper = (lower + 1).min(values.len() - 1);
    let weight = rank - rank.floor();
    values[lower] * (1.0 - weight) + values[upper] * weight
}

/// Classic `histogram_quantile` over `(upper bound, cumulative count)` buckets.
fn bucket_quantile(q: f64, buckets: &mut Vec<(f64, f64)>) -> f64 {
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
fn bucket_fraction(lower: f64, upper: f64, buckets: &mut Vec<(f64, f64)>) -> f64 {
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

/// The `q` label `histogram_quantiles` gives each output: `0.0`, `0.25`, `1.0`.
fn quantile_label(q: f64) -> String {
    let text = format_float(q);
    if text.contains(['.', 'e', 'I', 'N']) {
        text
    } else {
        format!("{text}.0")
    }
}

fn label_values(labels: &Labels, names: &[String]) -> Labels {
    Labels::new(
        labels
            .iter()
            .filter(|l| names.contains(&l.name))
            .map(|l| (l.name.clone(), l.value.clone())),
    )
}

impl<'a, S: SeriesStore> Evaluator<'a, S> {
    pub fn new(
        store: &'a S,
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
            label_memo: Default::default(),
            cursors: Default::default(),
            windows: HashMap::new(),
        }
    }

    /// Bounds what each selector of `expr` loads to the times the query
    /// can read: its steps, shifted by offsets and `@`, widened by ranges,
    /// subqueries and the lookback.
    pub fn prepare(mut self, expr: &Expr) -> Self {
        fn walk(
            e: &Expr,
            lo: i64,
            hi: i64,
            ev: (i64, i64),
            out: &mut HashMap<(usize, usize), (i64, i64)>,
        ) {
            let at_time = |at: Option<At>| match at {
                Some(At::Timestamp(t)) => Some(t),
                Some(At::Start) => Some(ev.0),
                Some(At::End) => Some(ev.1),
                None => None,
            };
            let shifted = |at: Option<At>, offset: i64| match at_time(at) {
                Some(t) => (t - offset, t - offset),
                None => (lo - offset, hi - offset),
            };
            match &e.kind {
                ExprKind::VectorSelector(vs) => {
                    let (a, b) = shifted(vs.at, vs.offset_ms);
                    out.insert((e.span.start, e.span.end), (a - LOOKBACK_MS, b));
                }
                ExprKind::MatrixSelector { selector, range_ms } => {
                    let (a, b) = shifted(selector.at, selector.offset_ms);
                    out.insert((e.span.start, e.span.end), (a - range_ms, b));
                }
                ExprKind::Subquery(sq) => {
                    let (a, b) = shifted(sq.at, sq.offset_ms);
                    walk(&sq.expr, a - sq.range_ms, b, ev, out);
                }
                ExprKind::Paren(inner) | ExprKind::Unary { expr: inner, .. } => {
                    walk(inner, lo, hi, ev, out)
                }
                ExprKind::Binary(b) => {
                    walk(&b.lhs, lo, hi, ev, out);
                    walk(&b.rhs, lo, hi, ev, out);
                }
                ExprKind::Aggregate(a) => {
                    if let Some(p) = &a.param {
                        walk(p, lo, hi, ev, out);
                    }
                    walk(&a.expr, lo, hi, ev, out);
                }
                ExprKind::Call { args, .. } => {
                    for a in args {
                        walk(a, lo, hi, ev, out);
                    }
                }
                ExprKind::Number(_) | ExprKind::String(_) => {}
            }
        }
        let mut windows = HashMap::new();
        let ev = (self.start_ms, self.end_ms);
        walk(expr, self.start_ms, self.end_ms, ev, &mut windows);
        self.windows = windows;
        self
    }

    /// `derive(labels)`, remembered for this derivation `kind` (allocating a
    /// label set costs more than looking one up).
    fn memo_labels(
        &self,
        kind: usize,
        labels: &Labels,
        derive: &dyn Fn(&Labels) -> Labels,
    ) -> Labels {
        const MAX_REMEMBERED: usize = 100_000;
        // Keyed by the shared set's address: the entry keeps the set alive,
        // so no other set can have that address while the entry exists.
        let key = (kind, labels.address());
        if let Some((_, found)) = self.label_memo.borrow().get(&key) {
            return found.clone();
        }
        let derived = derive(labels);
        let mut memo = self.label_memo.borrow_mut();
        if memo.len() >= MAX_REMEMBERED {
            memo.clear();
        }
        memo.insert(key, (labels.clone(), derived.clone()));
        derived
    }

    /// What the evaluation has cost so far.
    pub fn stats(&self) -> QueryStats {
        QueryStats {
            samples_loaded: self.samples_loaded.get(),
            samples_touched: self.samples_touched.get(),
        }
    }

    /// All samples of the series a selector matches (loaded once a query).
    fn series_of(
        &self,
        span: &Span,
        matchers: &[Matcher],
    ) -> Result<std::rc::Rc<Vec<RangeSeries>>> {
        let key = (span.start, span.end);
        if let Some(found) = self.cache.borrow().get(&key) {
            return Ok(found.clone());
        }
        let (from, to) = self
            .windows
            .get(&key)
            .copied()
            .unwrap_or((i64::MIN, i64::MAX));
        let mut by_labels: BTreeMap<Labels, RangeSeries> = BTreeMap::new();
        for s in self.store.select(matchers, from, to) {
            by_labels.insert(
                s.labels.clone(),
                RangeSeries {
                    labels: s.labels,
                    samples: s.samples,
                    histograms: Vec::new(),
                },
            );
        }
        for h in self.store.select_histograms(matchers, from, to) {
            by_labels
                .entry(h.labels.clone())
                .or_insert_with(|| RangeSeries {
                    labels: h.labels,
                    samples: Vec::new(),
                    histograms: Vec::new(),
                })
                .histograms = h.samples;
        }
        let series: Vec<RangeSeries> = by_labels.into_values().collect();
        let loaded = self.samples_loaded.get()
            + series
                .iter()
                .map(|s| s.samples.len() + s.histograms.len())
                .sum::<usize>();
        if loaded > self.limits.max_samples {
            return fail(
                span,
                format!(
                    "query processing would load too many samples into memory (more than {})",
                    self.limits.max_samples
                ),
            );
        }
        self.samples_loaded.set(loaded);
        let series = std::rc::Rc::new(series);
        self.cache.borrow_mut().insert(key, series.clone());
        Ok(series)
    }

    fn effective_time(&self, ts: i64, at: Option<At>, offset_ms: i64) -> i64 {
        let base = match at {
            Some(At::Timestamp(t)) => t,
            Some(At::Start) => self.start_ms,
            Some(At::End) => self.end_ms,
            None => ts,
        };
        base - offset_ms
    }

    fn vector_selector(
        &self,
        span: &Span,
        vs: &VectorSelector,
        ts: i64,
    ) -> Result<Vec<VectorSample>> {
        let selected = self.selected_samples(span, vs, ts)?;
        Ok(selected.into_iter().map(|(s, _)| s).collect())
    }

    /// What an instant selector picks from each series: its newest sample
    /// (float or histogram) within the lookback before the (offset, `@`)
    /// time, unless stale; with that sample's time.
    fn selected_samples(
        &self,
        span: &Span,
        vs: &VectorSelector,
        ts: i64,
    ) -> Result<Vec<(VectorSample, i64)>> {
        let t = self.effective_time(ts, vs.at, vs.offset_ms);
        let series = self.series_of(span, &vs.matchers)?;
        let mut out = Vec::new();
        self.samples_touched
            .set(self.samples_touched.get() + series.len() as u64);
        for s in series.iter() {
            let end = s.samples.partition_point(|x| x.ts_ms <= t);
            let float = end.checked_sub(1).map(|i| s.samples[i]);
            let end = s.histograms.partition_point(|x| x.ts_ms <= t);
            let histogram = end.checked_sub(1).map(|i| &s.histograms[i]);
            let picked = match (float, histogram) {
                (Some(f), Some(h)) if h.ts_ms > f.ts_ms => {
                    Some((f64::NAN, Some(h.histogram.clone()), h.ts_ms))
                }
                (Some(f), _) => Some((f.value, None, f.ts_ms)),
                (None, Some(h)) => Some((f64::NAN, Some(h.histogram.clone()), h.ts_ms)),
                (None, None) => None,
            };
            if let Some((value, histogram, at)) = picked
                && at > t - LOOKBACK_MS
                && (histogram.is_some() || !is_stale(value))
            {
                let sample = VectorSample {
                    labels: s.labels.clone(),
                    value,
                    histogram,
                };
                out.push((sample, at));
            }
        }
        Ok(out)
    }

    fn matrix_selector(
        &self,
        span: &Span,
        vs: &VectorSelector,
        range_ms: i64,
        ts: i64,
    ) -> Result<Vec<RangeSeries>> {
        let t = self.effective_time(ts, vs.at, vs.offset_ms);
        let series = self.series_of(span, &vs.matchers)?;
        // Where the last step's window was, per series: successive steps move
        // forward a little, so the window is found without a binary search.
        let mut cursors = self.cursors.borrow_mut();
        let cursor = cursors
            .entry((span.start, span.end))
            .or_insert_with(|| vec![(0, 0); series.len()]);
        Ok(series
            .iter()
            .zip(cursor.iter_mut())
            .filter_map(|(s, cursor)| {
                let from = position_after(&s.samples, cursor.0, t - range_ms);
                let to = position_after(&s.samples, cursor.1.max(from), t);
                *cursor = (from, to);
                let samples: Vec<Sample> = s.samples[from..to]
                    .iter()
                    .copied()
                    .filter(|x| !is_stale(x.value))
                    .collect();
                let from = s.histograms.partition_point(|x| x.ts_ms <= t - range_ms);
                let to = s.histograms.partition_point(|x| x.ts_ms <= t);
                let histograms = s.histograms[from..to].to_vec();
                self.samples_touched
                    .set(self.samples_touched.get() + (samples.len() + histograms.len()) as u64);
                (!samples.is_empty() || !histograms.is_empty()).then(|| RangeSeries {
                    labels: s.labels.clone(),
                    samples,
                    histograms,
                })
            })
            .collect())
    }

    fn subquery(&self, sq: &Subquery, ts: i64) -> Result<Vec<RangeSeries>> {
        let t = self.effective_time(ts, sq.at, sq.offset_ms);
        let step = sq.step_ms.unwrap_or(DEFAULT_SUBQUERY_STEP_MS).max(1);
        let window_start = t - sq.range_ms;
        // Steps fall on multiples of the step, strictly after the window start.
        let mut at = window_start.div_euclid(step) * step;
        if at <= window_start {
            at += step;
        }
        if ((t - at) / step) as usize >= self.limits.max_steps {
            return fail(
                &sq.expr.span,
                format!(
                    "subquery would take more than {} steps",
                    self.limits.max_steps
                ),
            );
        }
        let mut series = StepCollector::default();
        while at <= t {
            match self.eval(&sq.expr, at)? {
                Value::Scalar(v) => series.push(VectorSample::float(Labels::default(), v), at),
                Value::Vector(samples) => {
                    for s in samples {
                        series.push(s, at);
                    }
                }
                _ => return fail(&sq.expr.span, "subquery is only allowed on instant vector"),
            }
            at += step;
        }
        Ok(series.finish())
    }

    /// Evaluates `expr` at `ts`.
    pub fn eval(&self, expr: &Expr, ts: i64) -> Result<Value> {
        match &expr.kind {
            ExprKind::Number(v) => Ok(Value::Scalar(*v)),
            ExprKind::String(s) => Ok(Value::String(s.clone())),
            ExprKind::Paren(e) => self.eval(e, ts),
            ExprKind::VectorSelector(vs) => {
                Ok(Value::Vector(self.vector_selector(&expr.span, vs, ts)?))
            }
            ExprKind::MatrixSelector { selector, range_ms } => Ok(Value::Matrix(
                self.matrix_selector(&expr.span, selector, *range_ms, ts)?,
            )),
            ExprKind::Subquery(sq) => Ok(Value::Matrix(self.subquery(sq, ts)?)),
            ExprKind::Unary { op, expr: inner } => match (self.eval(inner, ts)?, op) {
                (v, UnaryOp::Plus) => Ok(v),
                (Value::Scalar(v), UnaryOp::Minus) => Ok(Value::Scalar(-v)),
                (Value::Vector(samples), UnaryOp::Minus) => {
                    let negated = samples
                        .into_iter()
                        .map(|s| VectorSample {
                            labels: drop_name(&s.labels),
                            value: -s.value,
                            histogram: s.histogram.map(|h| Arc::new(h.scale(-1.0))),
                        })
                        .collect();
                    self.check_unique(&expr.span, negated).map(Value::Vector)
                }
                _ => fail(
                    &expr.span,
                    "unary minus needs a scalar or an instant vector",
                ),
            },
            ExprKind::Binary(b) => self.binary(expr, b, ts),
            ExprKind::Aggregate(a) => self.aggregate(expr, a, ts),
            ExprKind::Call { func, args } => self.call(expr, func.name, args, ts),
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

    fn vector(&self, expr: &Expr, ts: i64) -> Result<Vec<VectorSample>> {
        match self.eval(expr, ts)? {
            Value::Vector(v) => Ok(v),
            _ => fail(&expr.span, "expected an instant vector"),
        }
    }

    fn matrix(&self, expr: &Expr, ts: i64) -> Result<Vec<RangeSeries>> {
        match self.eval(expr, ts)? {
            Value::Matrix(m) => Ok(m),
            _ => fail(&expr.span, "expected a range vector"),
        }
    }

    fn scalar(&self, expr: &Expr, ts: i64) -> Result<f64> {
        match self.eval(expr, ts)? {
            Value::Scalar(v) => Ok(v),
            _ => fail(&expr.span, "expected a scalar"),
        }
    }

    fn string(&self, expr: &Expr, ts: i64) -> Result<String> {
        match self.eval(expr, ts)? {
            Value::String(s) => Ok(s),
            _ => fail(&expr.span, "expected a string"),
        }
    }

    fn binary(&self, expr: &Expr, b: &BinaryExpr, ts: i64) -> Result<Value> {
        let lhs = self.eval(&b.lhs, ts)?;
        let rhs = self.eval(&b.rhs, ts)?;
        let keep_or_bool = |value: f64, keep: bool| -> Option<f64> {
            if b.return_bool {
                Some(if keep { 1.0 } else { 0.0 })
            } else {
                keep.then_some(value)
            }
        };
        match (lhs, rhs) {
            (Value::Scalar(l), Value::Scalar(r)) => {
                let (v, keep) = apply_op(b.op, l, r);
                Ok(Value::Scalar(if b.op.is_comparison() {
                    if keep { 1.0 } else { 0.0 }
                } else {
                    v
                }))
            }
            (Value::Vector(v), Value::Scalar(s)) | (Value::Scalar(s), Value::Vector(v)) => {
                let vector_on_left = matches!(b.lhs.value_type(), ValueType::InstantVector);
                let mut out = Vec::new();
                for sample in v {
                    if let Some(h) = &sample.histogram {
                        // Histograms can only be scaled by a scalar.
                        let scaled = match (b.op, vector_on_left) {
                            (BinOp::Mul, _) => Some(h.scale(s)),
                            (BinOp::Div, true) => Some(h.scale(1.0 / s)),
                            _ => None,
                        };
                        if let Some(h) = scaled {
                            out.push(VectorSample {
                                labels: drop_name(&sample.labels),
                                value: f64::NAN,
                                histogram: Some(Arc::new(h)),
                            });
                        }
                        continue;
                    }
                    let (l, r) = if vector_on_left {
                        (sample.value, s)
                    } else {
                        (s, sample.value)
                    };
                    let (mut value, keep) = apply_op(b.op, l, r);
                    if b.op.is_comparison() {
                        value = sample.value; // the vector's value, whichever side it is on
                    }
                    if let Some(value) = keep_or_bool(value, keep) {
                        let drop = !b.op.is_comparison() || b.return_bool;
                        let labels = if drop {
                            drop_name(&sample.labels)
                        } else {
                            sample.labels
                        };
                        out.push(VectorSample::float(labels, value));
                    }
                }
                self.check_unique(&expr.span, out).map(Value::Vector)
            }
            (Value::Vector(l), Value::Vector(r)) if b.op.is_set() => {
                Ok(Value::Vector(self.set_op(b, l, r)))
            }
            (Value::Vector(l), Value::Vector(r)) => {
                self.vector_binary(expr, b, l, r).map(Value::Vector)
            }
            _ => fail(
                &expr.span,
                "binary operations need scalars or instant vectors",
            ),
        }
    }

    fn set_op(
        &self,
        b: &BinaryExpr,
        l: Vec<VectorSample>,
        r: Vec<VectorSample>,
    ) -> Vec<VectorSample> {
        let m = b.matching.as_ref();
        let right: std::collections::HashSet<Labels> =
            r.iter().map(|s| signature(&s.labels, m)).collect();
        match b.op {
            BinOp::And => l
                .into_iter()
                .filter(|s| right.contains(&signature(&s.labels, m)))
                .collect(),
            BinOp::Unless => l
                .into_iter()
                .filter(|s| !right.contains(&signature(&s.labels, m)))
                .collect(),
            _ => {
                let left: std::collections::HashSet<Labels> =
                    l.iter().map(|s| signature(&s.labels, m)).collect();
                let mut out = l;
                out.extend(
                    r.into_iter()
                        .filter(|s| !left.contains(&signature(&s.labels, m))),
                );
                out
            }
        }
    }

    fn vector_binary(
        &self,
        expr: &Expr,
        b: &BinaryExpr,
        l: Vec<VectorSample>,
        r: Vec<VectorSample>,
    ) -> Result<Vec<VectorSample>> {
        let default_matching = VectorMatching {
            card: Cardinality::OneToOne,
            on: false,
            labels: Vec::new(),
            include: Vec::new(),
        };
        let matching = b.matching.as_ref().unwrap_or(&default_matching);
        // The "one" side is looked up by signature; group_right swaps the sides.
        let swapped = matching.card == Cardinality::OneToMany;
        let (many, one) = if swapped { (r, l) } else { (l, r) };
        let mut one_side: HashMap<Labels, &VectorSample> = HashMap::new();
        for s in &one {
            let sig = signature(&s.labels, Some(matching));
            if one_side.insert(sig.clone(), s).is_some() {
                let side = if swapped { "left" } else { "right" };
                return fail(
                    &expr.span,
                    format!(
                        "found duplicate series for the match group {sig} on the {side} hand-side of the operation: many-to-many matching not allowed: matching labels must be unique on one side"
                    ),
                );
            }
        }
        let mut matched_many: HashMap<Labels, usize> = HashMap::new();
        let mut out = Vec::new();
        for s in &many {
            let sig = signature(&s.labels, Some(matching));
            let Some(other) = one_side.get(&sig) else {
                continue;
            };
            if matching.card == Cardinality::OneToOne {
                let n = matched_many.entry(sig.clone()).or_default();
                *n += 1;
                if *n > 1 {
                    return fail(
                        &expr.span,
                        format!(
                            "multiple matches for labels: many-to-one matching must be explicit (group_left/group_right); found duplicate series for the match group {sig} on the left hand-side"
                        ),
                    );
                }
            }
            let (lv, rv) = if swapped {
                (other.value, s.value)
            } else {
                (s.value, other.value)
            };
            let (lh, rh) = if swapped {
                (&other.histogram, &s.histogram)
            } else {
                (&s.histogram, &other.histogram)
            };
            let mut histogram = None;
            let (value, keep) = if lh.is_some() || rh.is_some() {
                match histogram_op(b.op, lh.as_deref(), lv, rh.as_deref(), rv) {
                    Some(HistogramOpResult::Histogram(h)) => {
                        histogram = Some(Arc::new(h));
                        (f64::NAN, true)
                    }
                    Some(HistogramOpResult::Comparison(keep)) => {
                        histogram = if b.return_bool { None } else { lh.clone() };
                        (f64::NAN, keep)
                    }
                    None => continue,
                }
            } else {
                apply_op(b.op, lv, rv)
            };
            let value = if b.op.is_comparison() && swapped {
                rv
            } else {
                value
            };
            let Some(value) = (if b.return_bool {
                Some(if keep { 1.0 } else { 0.0 })
            } else {
                keep.then_some(value)
            }) else {
                continue;
            };
            // The result's labels come from the "many" side.
            let mut labels = if !b.op.is_comparison() || b.return_bool {
                drop_name(&s.labels)
            } else {
                s.labels.clone()
            };
            if matching.card == Cardinality::OneToOne {
                labels = if matching.on {
                    label_values(&labels, &matching.labels)
                } else {
                    Labels::new(
                        labels
                            .iter()
                            .filter(|l| !matching.labels.contains(&l.name))
                            .map(|l| (l.name.clone(), l.value.clone())),
                    )
                };
            }
            for name in &matching.include {
                labels = labels.with(name, other.labels.get(name).unwrap_or(""));
            }
            if b.return_bool {
                histogram = None;
            }
            out.push(VectorSample {
                labels,
                value,
                histogram,
            });
        }
        self.check_unique(&expr.span, out)
    }

    fn aggregate(&self, expr: &Expr, a: &AggregateExpr, ts: i64) -> Result<Value> {
        let input = self.vector(&a.expr, ts)?;
        let group_labels = |labels: &Labels| -> Labels {
            if a.without {
                Labels::new(
                    labels
                        .iter()
                        .filter(|l| l.name != METRIC_NAME && !a.grouping.contains(&l.name))
                        .map(|l| (l.name.clone(), l.value.clone())),
                )
            } else {
                label_values(labels, &a.grouping)
            }
        };
        // Groups in label order, found through a hash map.
        let mut index: rustc_hash::FxHashMap<Labels, usize> = Default::default();
        let mut grouped: Vec<(Labels, Vec<VectorSample>)> = Vec::new();
        for s in input {
            let key = self.memo_labels(expr.span.start, &s.labels, &group_labels);
            match index.get(&key) {
                Some(&i) => grouped[i].1.push(s),
                None => {
                    index.insert(key.clone(), grouped.len());
                    grouped.push((key, vec![s]));
                }
            }
        }
        grouped.sort_by(|a, b| a.0.cmp(&b.0));
        let groups = grouped;
        let param = match &a.param {
            Some(p) if p.value_type() == ValueType::Scalar => Some(self.scalar(p, ts)?),
            _ => None,
        };
        let mut out = Vec::new();
        match a.op {
            AggOp::Topk | AggOp::Bottomk | AggOp::Limitk => {
                let k = param.unwrap_or(0.0);
                if k.is_nan() || k.abs() > 9e18 {
                    return fail(
                        &expr.span,
                        format!(
                            "scalar parameter {} out of range for {}",
                            format_float(k),
                            a.op.name()
                        ),
                    );
                }
                let k = k.max(0.0) as usize;
                for (_, mut members) in groups {
                    if a.op != AggOp::Limitk {
                        // topk and bottomk ignore histograms.
                        members.retain(|m| m.histogram.is_none());
                    }
                    if a.op == AggOp::Topk {
                        members.sort_by(|x, y| {
                            y.value
                                .partial_cmp(&x.value)
                                .unwrap_or_else(|| x.value.is_nan().cmp(&y.value.is_nan()))
                        });
                    } else if a.op == AggOp::Bottomk {
                        members.sort_by(|x, y| {
                            x.value
                                .partial_cmp(&y.value)
                                .unwrap_or_else(|| x.value.is_nan().cmp(&y.value.is_nan()))
                        });
                    }
                    out.extend(members.into_iter().take(k));
                }
                return Ok(Value::Vector(out));
            }
            AggOp::CountValues => {
                let label = match &a.param {
                    Some(p) => self.string(p, ts)?,
                    None => String::new(),
                };
                if !o11y_model::labels::is_valid_label_name(&label) {
                    return fail(&expr.span, format!("invalid label name {label:?}"));
                }
                let mut counts: BTreeMap<Labels, f64> = BTreeMap::new();
                for (group, members) in groups {
                    for s in members {
                        let value = match &s.histogram {
                            Some(h) => h.go_string(),
                            None => format_float(s.value),
                        };
                        *counts.entry(group.with(&label, &value)).or_default() += 1.0;
                    }
                }
                return Ok(Value::Vector(
                    counts
                        .into_iter()
                        .map(|(labels, value)| VectorSample::float(labels, value))
                        .collect(),
                ));
            }
            AggOp::LimitRatio => {
                let ratio = param.unwrap_or(f64::NAN);
                if ratio.is_nan() {
                    return fail(&expr.span, "Ratio value is NaN".to_string());
                }
                let ratio = ratio.clamp(-1.0, 1.0);
                for (_, members) in groups {
                    out.extend(members.into_iter().filter(|m| {
                        // Where the series' hash falls in [0, 1), as Prometheus's AddRatioSample.
                        let offset = labels_hash(&m.labels) as f64 / u64::MAX as f64;
                        (ratio >= 0.0 && offset < ratio) || (ratio < 0.0 && offset >= 1.0 + ratio)
                    }));
                }
                return Ok(Value::Vector(out));
            }
            _ => {}
        }
        for (labels, members) in groups {
            let n = members.len() as f64;
            let histograms: Vec<&Histogram> = members
                .iter()
                .filter_map(|m| m.histogram.as_deref())
                .collect();
            if !histograms.is_empty() {
                match a.op {
                    AggOp::Sum | AggOp::Avg if histograms.len() == members.len() => {
                        let mut total = histograms[0].clone();
                        let mut compatible = true;
                        for h in &histograms[1..] {
                            match total.add_scaled(h, 1.0) {
                                Some(t) => total = t,
                                None => compatible = false,
                            }
                        }
                        if a.op == AggOp::Avg {
                            total = total.scale(1.0 / n);
                        }
                        if compatible {
                            out.push(VectorSample {
                                labels,
                                value: f64::NAN,
                                histogram: Some(Arc::new(total)),
                            });
                        }
                        continue;
                    }
                    // A mix of floats and histograms has no sum.
                    AggOp::Sum | AggOp::Avg => continue,
                    _ => {}
                }
            }
            let values: Vec<f64> = members
                .iter()
                .filter(|m| m.histogram.is_none())
                .map(|s| s.value)
                .collect();
            let counting = matches!(a.op, AggOp::Count | AggOp::Group);
            if values.is_empty() && !counting {
                continue;
            }
            let value = match a.op {
                AggOp::Sum => {
                    let (sum, c) = values
                        .iter()
                        .fold((0.0, 0.0), |(sum, c), v| kahan_sum_inc(*v, sum, c));
                    sum + c
                }
                AggOp::Avg => prometheus_avg(&values),
                AggOp::Count => n,
                AggOp::Group => 1.0,
                AggOp::Min => values
                    .iter()
                    .copied()
                    .fold(f64::NAN, |m, v| if m.is_nan() || v < m { v } else { m }),
                AggOp::Max => values
                    .iter()
                    .copied()
                    .fold(f64::NAN, |m, v| if m.is_nan() || v > m { v } else { m }),
                AggOp::Stddev | AggOp::Stdvar => {
                    let var = welford_variance(&values);
                    if a.op == AggOp::Stddev {
                        var.sqrt()
                    } else {
                        var
                    }
                }
                AggOp::Quantile => quantile(param.unwrap_or(f64::NAN), &mut values.clone()),
                _ => f64::NAN,
            };
            out.push(VectorSample::float(labels, value));
        }
        Ok(Value::Vector(out))
    }

    fn call(&self, expr: &Expr, name: &str, args: &[Expr], ts: i64) -> Result<Value> {
        // Functions of each series' samples (floats and histograms) in a range.
        let over_time_series = |f: SeriesFn, keep_name: bool, range_arg: usize| -> Result<Value> {
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
                ExprKind::Subquery(sq) => {
                    (sq.range_ms, self.effective_time(ts, sq.at, sq.offset_ms))
                }
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
        };
        // Functions of each series' float samples in a range (histograms ignored).
        let over_time = |f: RangeFn, keep_name: bool, range_arg: usize| -> Result<Value> {
            over_time_series(
                &|s, from, to| {
                    if s.samples.is_empty() {
                        return None;
                    }
                    f(&s.samples, from, to).map(|v| (v, None))
                },
                keep_name,
                range_arg,
            )
        };
        // Functions of each histogram sample.
        let map_histograms = |f: &dyn Fn(&Histogram) -> f64| -> Result<Value> {
            let out = self
                .vector(&args[args.len() - 1], ts)?
                .into_iter()
                .filter_map(|s| {
                    let h = s.histogram.as_ref()?;
                    Some(VectorSample::float(drop_name(&s.labels), f(h)))
                })
                .collect();
            self.check_unique(&expr.span, out).map(Value::Vector)
        };
        let values = |s: &[Sample]| s.iter().map(|x| x.value).collect::<Vec<f64>>();
        // Functions of each sample's value.
        let map = |f: &dyn Fn(f64) -> f64| -> Result<Value> {
            let out = self
                .vector(&args[0], ts)?
                .into_iter()
                .filter(|s| s.histogram.is_none())
                .map(|s| VectorSample::float(drop_name(&s.labels), f(s.value)))
                .collect();
            self.check_unique(&expr.span, out).map(Value::Vector)
        };
        // Date parts of each sample (or of now, with no argument), UTC.
        let date = |part: fn(&time_parts::Civil) -> f64| -> Result<Value> {
            if args.is_empty() {
                let civil = time_parts::Civil::from_unix_seconds(ts.div_euclid(1000));
                return Ok(Value::Vector(vec![VectorSample::float(
                    Labels::default(),
                    part(&civil),
                )]));
            }
            map(&|v| {
                if v.is_finite() {
                    part(&time_parts::Civil::from_unix_seconds(v.floor() as i64))
                } else {
                    f64::NAN
                }
            })
        };
        match name {
            "rate" | "increase" | "delta" => {
                let (counter, per_second) = (name != "delta", name == "rate");
                over_time_series(
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
            "irate" | "idelta" => over_time(
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
            "changes" | "resets" => over_time_series(
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
            "avg_over_time" | "sum_over_time" => over_time_series(
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
            "count_over_time" => over_time_series(
                &|s, _, _| Some(((s.samples.len() + s.histograms.len()) as f64, None)),
                false,
                0,
            ),
            "mad_over_time" => over_time(
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
            "ts_of_min_over_time" | "ts_of_max_over_time" => over_time(
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
                over_time(
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
            "min_over_time" => over_time(
                &|s, _, _| {
                    s.iter()
                        .map(|x| x.value)
                        .reduce(|m, v| if m.is_nan() || v < m { v } else { m })
                },
                false,
                0,
            ),
            "max_over_time" => over_time(
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
            | "ts_of_first_over_time" => over_time_series(
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
            "stddev_over_time" | "stdvar_over_time" => over_time(
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
                over_time(&|s, _, _| Some(quantile(q, &mut values(s))), false, 1)
            }
            "deriv" | "predict_linear" => {
                let horizon_s = if name == "predict_linear" {
                    self.scalar(&args[1], ts)?
                } else {
                    0.0
                };
                over_time(
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
            "abs" => map(&f64::abs),
            "ceil" => map(&f64::ceil),
            "floor" => map(&f64::floor),
            "exp" => map(&f64::exp),
            "sqrt" => map(&f64::sqrt),
            "ln" => map(&f64::ln),
            "log2" => map(&f64::log2),
            "log10" => map(&f64::log10),
            "sgn" => map(&|v| {
                if v > 0.0 {
                    1.0
                } else if v < 0.0 {
                    -1.0
                } else {
                    v
                }
            }),
            "sin" => map(&f64::sin),
            "cos" => map(&f64::cos),
            "tan" => map(&f64::tan),
            "asin" => map(&f64::asin),
            "acos" => map(&f64::acos),
            "atan" => map(&f64::atan),
            "sinh" => map(&f64::sinh),
            "cosh" => map(&f64::cosh),
            "tanh" => map(&f64::tanh),
            "asinh" => map(&f64::asinh),
            "acosh" => map(&f64::acosh),
            "atanh" => map(&f64::atanh),
            "deg" => map(&f64::to_degrees),
            "rad" => map(&f64::to_radians),
            "round" => {
                let to_nearest = if args.len() > 1 {
                    self.scalar(&args[1], ts)?
                } else {
                    1.0
                };
                // Rounds half up, as Prometheus (floor(v / n + 0.5) * n).
                let inverse = 1.0 / to_nearest;
                map(&|v| (v * inverse + 0.5).floor() / inverse)
            }
            "clamp" => {
                let (lo, hi) = (self.scalar(&args[1], ts)?, self.scalar(&args[2], ts)?);
                if lo > hi {
                    return Ok(Value::Vector(Vec::new()));
                }
                map(&|v| go_max(lo, go_min(hi, v)))
            }
            "clamp_min" => {
                let lo = self.scalar(&args[1], ts)?;
                map(&|v| go_max(lo, v))
            }
            "clamp_max" => {
                let hi = self.scalar(&args[1], ts)?;
                map(&|v| go_min(hi, v))
            }
            "timestamp" => {
                // The sample's own time, as selected (not the evaluation time).
                let mut arg = &args[0];
                while let ExprKind::Paren(inner) = &arg.kind {
                    arg = inner;
                }
                if let ExprKind::VectorSelector(vs) = &arg.kind {
                    let selected = self.selected_samples(&arg.span, vs, ts)?;
                    let out = selected.into_iter().map(|(s, at)| {
                        VectorSample::float(drop_name(&s.labels), at as f64 / 1000.0)
                    });
                    return Ok(Value::Vector(out.collect()));
                }
                map(&|_| ts as f64 / 1000.0)
            }
            "time" => Ok(Value::Scalar(ts as f64 / 1000.0)),
            "pi" => Ok(Value::Scalar(std::f64::consts::PI)),
            "start" => Ok(Value::Scalar(self.start_ms as f64 / 1000.0)),
            "end" => Ok(Value::Scalar(self.end_ms as f64 / 1000.0)),
            "step" => Ok(Value::Scalar(self.step_ms as f64 / 1000.0)),
            "range" => Ok(Value::Scalar((self.end_ms - self.start_ms) as f64 / 1000.0)),
            "min_of" | "max_of" => {
                let (a, b) = (self.scalar(&args[0], ts)?, self.scalar(&args[1], ts)?);
                let pick = if a.is_nan() || b.is_nan() {
                    f64::NAN
                } else if name == "min_of" {
                    a.min(b)
                } else {
                    a.max(b)
                };
                Ok(Value::Scalar(pick))
            }
            "vector" => Ok(Value::Vector(vec![VectorSample::float(
                Labels::default(),
                self.scalar(&args[0], ts)?,
            )])),
            "scalar" => {
                let mut v = self.vector(&args[0], ts)?;
                v.retain(|s| s.histogram.is_none());
                Ok(Value::Scalar(if v.len() == 1 {
                    v[0].value
                } else {
                    f64::NAN
                }))
            }
            "sort" | "sort_desc" => {
                let mut v = self.vector(&args[0], ts)?;
                v.retain(|s| s.histogram.is_none());
                v.sort_by(|a, b| {
                    let ord = a
                        .value
                        .partial_cmp(&b.value)
                        .unwrap_or_else(|| a.value.is_nan().cmp(&b.value.is_nan()));
                    if name == "sort" { ord } else { ord.reverse() }
                });
                Ok(Value::Vector(v))
            }
            "sort_by_label" | "sort_by_label_desc" => {
                let mut v = self.vector(&args[0], ts)?;
                let names: Vec<String> = args[1..]
                    .iter()
                    .map(|a| self.string(a, ts))
                    .collect::<Result<_>>()?;
                v.sort_by(|a, b| {
                    let key = |s: &VectorSample| {
                        names
                            .iter()
                            .map(|n| s.labels.get(n).unwrap_or("").to_string())
                            .collect::<Vec<_>>()
                    };
                    let ord =
                        natural_cmp_all(&key(a), &key(b)).then_with(|| a.labels.cmp(&b.labels));
                    if name == "sort_by_label" {
                        ord
                    } else {
                        ord.reverse()
                    }
                });
                Ok(Value::Vector(v))
            }
            "absent" | "absent_over_time" => {
                let present = if name == "absent" {
                    !self.vector(&args[0], ts)?.is_empty()
                } else {
                    !self.matrix(&args[0], ts)?.is_empty()
                };
                if present {
                    return Ok(Value::Vector(Vec::new()));
                }
                Ok(Value::Vector(vec![VectorSample::float(
                    absent_labels(&args[0]),
                    1.0,
                )]))
            }
            "label_replace" => {
                let v = self.vector(&args[0], ts)?;
                let dst = self.string(&args[1], ts)?;
                let replacement = self.string(&args[2], ts)?;
                let src = self.string(&args[3], ts)?;
                let pattern = self.string(&args[4], ts)?;
                let regex = regex::Regex::new(&format!(
                    "^(?s:{})$",
                    o11y_model::labels::ascii_perl_classes(&pattern)
                ))
                .map_err(|e| EvalError {
                    span: args[4].span.clone(),
                    message: format!(
                        "invalid regular expression in label_replace(): {pattern}: {e}"
                    ),
                })?;
                if !o11y_model::labels::is_valid_label_name(&dst) {
                    return fail(
                        &args[1].span,
                        format!("invalid destination label name in label_replace(): {dst}"),
                    );
                }
                let out = v
                    .into_iter()
                    .map(|s| {
                        let source = s.labels.get(&src).unwrap_or("").to_string();
                        let labels = match regex.captures(&source) {
                            Some(caps) => {
                                let mut value = String::new();
                                caps.expand(&replacement, &mut value);
                                s.labels.with(&dst, &value)
                            }
                            None => s.labels,
                        };
                        VectorSample {
                            labels,
                            value: s.value,
                            histogram: s.histogram,
                        }
                    })
                    .collect();
                self.check_unique(&expr.span, out).map(Value::Vector)
            }
            "label_join" => {
                let v = self.vector(&args[0], ts)?;
                let dst = self.string(&args[1], ts)?;
                let separator = self.string(&args[2], ts)?;
                let sources: Vec<String> = args[3..]
                    .iter()
                    .map(|a| self.string(a, ts))
                    .collect::<Result<_>>()?;
                if !o11y_model::labels::is_valid_label_name(&dst) {
                    return fail(
                        &args[1].span,
                        format!("invalid destination label name in label_join(): {dst}"),
                    );
                }
                let out = v
                    .into_iter()
                    .map(|s| {
                        let joined = sources
                            .iter()
                            .map(|n| s.labels.get(n).unwrap_or(""))
                            .collect::<Vec<_>>()
                            .join(&separator);
                        VectorSample {
                            labels: s.labels.with(&dst, &joined),
                            value: s.value,
                            histogram: s.histogram,
                        }
                    })
                    .collect();
                self.check_unique(&expr.span, out).map(Value::Vector)
            }
            "histogram_quantile" | "histogram_quantiles" | "histogram_fraction" => {
                let (input, label, params) = match name {
                    "histogram_quantile" => (&args[1], None, vec![self.scalar(&args[0], ts)?]),
                    "histogram_fraction" => (
                        &args[2],
                        None,
                        vec![self.scalar(&args[0], ts)?, self.scalar(&args[1], ts)?],
                    ),
                    _ => {
                        let label = self.string(&args[1], ts)?;
                        if !o11y_model::labels::is_valid_label_name(&label) {
                            return fail(&args[1].span, format!("invalid label name {label:?}"));
                        }
                        let qs = args[2..]
                            .iter()
                            .map(|a| self.scalar(a, ts))
                            .collect::<Result<Vec<f64>>>()?;
                        (&args[0], Some(label), qs)
                    }
                };
                // One output per quantile (or the single fraction).
                let outputs = |labels: &Labels, f: &dyn Fn(&[f64]) -> f64| -> Vec<VectorSample> {
                    match &label {
                        None => vec![VectorSample::float(labels.clone(), f(&params))],
                        Some(l) => params
                            .iter()
                            .map(|q| {
                                VectorSample::float(labels.with(l, &quantile_label(*q)), f(&[*q]))
                            })
                            .collect(),
                    }
                };
                let mut out = Vec::new();
                let mut groups: BTreeMap<Labels, Vec<(f64, f64)>> = BTreeMap::new();
                let mut seen = std::collections::HashSet::new();
                for s in self.vector(input, ts)? {
                    let labels = drop_name(&s.labels);
                    if let Some(h) = &s.histogram {
                        out.extend(outputs(&labels, &|p| {
                            if name == "histogram_fraction" {
                                h.fraction(p[0], p[1])
                            } else {
                                h.quantile(p[0])
                            }
                        }));
                        continue;
                    }
                    let Some(le) = s.labels.get("le").and_then(o11y_model::number::parse_float)
                    else {
                        continue;
                    };
                    if !seen.insert(labels.clone()) {
                        return fail(
                            &expr.span,
                            "vector cannot contain metrics with the same labelset",
                        );
                    }
                    groups
                        .entry(labels.with("le", ""))
                        .or_default()
                        .push((le, s.value));
                }
                for (labels, buckets) in groups {
                    out.extend(outputs(&labels, &|p| {
                        let mut buckets = buckets.clone();
                        if name == "histogram_fraction" {
                            bucket_fraction(p[0], p[1], &mut buckets)
                        } else {
                            bucket_quantile(p[0], &mut buckets)
                        }
                    }));
                }
                self.check_unique(&expr.span, out).map(Value::Vector)
            }
            "histogram_count" => map_histograms(&|h| h.count),
            "histogram_sum" => map_histograms(&|h| h.sum),
            "histogram_avg" => map_histograms(&|h| h.sum / h.count),
            "histogram_stddev" => map_histograms(&|h| h.variance().sqrt()),
            "histogram_stdvar" => map_histograms(&Histogram::variance),
            "day_of_month" => date(|c| c.day as f64),
            "day_of_week" => date(|c| c.weekday as f64),
            "day_of_year" => date(|c| c.day_of_year as f64),
            "days_in_month" => date(|c| c.days_in_month as f64),
            "hour" => date(|c| c.hour as f64),
            "minute" => date(|c| c.minute as f64),
            "month" => date(|c| c.month as f64),
            "year" => date(|c| c.year as f64),
            other => fail(
                &expr.span,
                format!("function {other}() is not supported yet"),
            ),
        }
    }
}

/// Prometheus's `labels.Hash()`: xxHash64 of each name and value followed by 0xff.
fn labels_hash(labels: &Labels) -> u64 {
    let mut bytes = Vec::new();
    for l in labels.iter() {
        bytes.extend_from_slice(l.name.as_bytes());
        bytes.push(0xff);
        bytes.extend_from_slice(l.value.as_bytes());
        bytes.push(0xff);
    }
    xxhash_rust::xxh64::xxh64(&bytes, 0)
}

/// The index of the first sample after `t` (`partition_point(ts <= t)`),
/// searched forward from `hint` when the hint is not past it.
fn position_after(samples: &[Sample], hint: usize, t: i64) -> usize {
    if hint <= samples.len() && (hint == 0 || samples[hint - 1].ts_ms <= t) {
        let mut i = hint;
        // A short forward scan, then a binary search if the step jumped far.
        for _ in 0..8 {
            if i < samples.len() && samples[i].ts_ms <= t {
                i += 1;
            } else {
                return i;
            }
        }
        return i + samples[i..].partition_point(|x| x.ts_ms <= t);
    }
    samples.partition_point(|x| x.ts_ms <= t)
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

/// Go's `math.Max`: NaN if either is NaN.
fn go_max(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() {
        f64::NAN
    } else {
        a.max(b)
    }
}

/// Go's `math.Min`: NaN if either is NaN.
fn go_min(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() {
        f64::NAN
    } else {
        a.min(b)
    }
}

/// Natural order: runs of digits compare by number (`2` < `10`).
fn natural_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    let chunks = |s: &str| -> Vec<(bool, String)> {
        let mut out: Vec<(bool, String)> = Vec::new();
        for c in s.chars() {
            let digit = c.is_ascii_digit();
            match out.last_mut() {
                Some((d, chunk)) if *d == digit => chunk.push(c),
                _ => out.push((digit, c.to_string())),
            }
        }
        out
    };
    let (ca, cb) = (chunks(a), chunks(b));
    for ((da, xa), (db, xb)) in ca.iter().zip(&cb) {
        let ord = if *da && *db {
            let (ta, tb) = (xa.trim_start_matches('0'), xb.trim_start_matches('0'));
            ta.len().cmp(&tb.len()).then_with(|| ta.cmp(tb))
        } else {
            xa.cmp(xb)
        };
        if ord != std::cmp::Ordering::Equal {
            return ord;
        }
    }
    ca.len().cmp(&cb.len())
}

fn natural_cmp_all(a: &[String], b: &[String]) -> std::cmp::Ordering {
    a.iter()
        .zip(b)
        .map(|(x, y)| natural_cmp(x, y))
        .find(|o| o.is_ne())
        .unwrap_or(a.len().cmp(&b.len()))
}

/// `avg` as Prometheus 3 computes it: a direct Kahan sum divided by the
/// count while the sum stays finite, incremental mean once it would not.
fn prometheus_avg(values: &[f64]) -> f64 {
    let Some((first, rest)) = values.split_first() else {
        return f64::NAN;
    };
    let (mut sum, mut c, mut mean) = (*first, 0.0, 0.0);
    let mut incremental = false;
    for (i, v) in rest.iter().copied().enumerate() {
        let count = (i + 2) as f64;
        if !incremental {
            let (new_sum, new_c) = kahan_sum_inc(v, sum, c);
            if !new_sum.is_infinite() {
                (sum, c) = (new_sum, new_c);
                continue;
            }
            // The sum would overflow: continue with an incremental mean.
            incremental = true;
            mean = sum / (count - 1.0);
            c /= count - 1.0;
        }
        if mean.is_infinite() {
            if v.is_infinite() && (mean > 0.0) == (v > 0.0) {
                continue;
            }
            if !v.is_infinite() && !v.is_nan() {
                continue;
            }
        }
        let current = mean + c;
        (mean, c) = kahan_sum_inc(v / count - current / count, mean, c);
    }
    let n = values.len() as f64;
    if incremental {
        mean + c
    } else {
        sum / n + c / n
    }
}

/// Population variance by Welford's online algorithm, as Prometheus computes it.
fn welford_variance(values: &[f64]) -> f64 {
    let (mut count, mut mean, mut m2) = (0.0, 0.0, 0.0);
    for v in values {
        count += 1.0;
        let delta = v - mean;
        mean += delta / count;
        m2 += delta * (v - mean);
    }
    m2 / count
}

/// The labels `absent()` reports: the equality matchers of a plain selector.
fn absent_labels(arg: &Expr) -> Labels {
    let selector = match &arg.kind {
        ExprKind::VectorSelector(vs) | ExprKind::MatrixSelector { selector: vs, .. } => Some(vs),
        _ => None,
    };
    let Some(vs) = selector else {
        return Labels::default();
    };
    // As Prometheus: the first `=` matcher of a name gives its value; any
    // other matcher of that name removes it again.
    let mut pairs: Vec<(String, String)> = Vec::new();
    let mut has = std::collections::HashSet::new();
    for m in &vs.matchers {
        if m.name == METRIC_NAME {
            continue;
        }
        pairs.retain(|(n, _)| *n != m.name);
        if m.op == MatchOp::Equal && has.insert(m.name.clone()) {
            pairs.push((m.name.clone(), m.value.clone()));
        }
    }
    Labels::new(pairs)
}

/// Calendar parts of a Unix time in UTC, for the date functions.
mod time_parts {
    pub struct Civil {
        pub year: i64,
        pub month: u32,
        pub day: u32,
        pub hour: u32,
        pub minute: u32,
        pub weekday: u32,
        pub day_of_year: u32,
        pub days_in_month: u32,
    }

    fn is_leap(y: i64) -> bool {
        (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
    }

    impl Civil {
        /// Howard Hinnant's days-to-civil algorithm.
        pub fn from_unix_seconds(secs: i64) -> Civil {
            let days = secs.div_euclid(86_400);
            let rem = secs.rem_euclid(86_400);
            let z = days + 719_468;
            let era = z.div_euclid(146_097);
            let doe = z.rem_euclid(146_097);
            let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
            let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
            let mp = (5 * doy + 2) / 153;
            let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
            let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
            let year = yoe + era * 400 + i64::from(month <= 2);
            let month_days = [
                31,
                if is_leap(year) { 29 } else { 28 },
                31,
                30,
                31,
                30,
                31,
                31,
                30,
                31,
                30,
                31,
            ];
            let day_of_year = month_days[..(month - 1) as usize].iter().sum::<u32>() + day;
            Civil {
                year,
                month,
                day,
                hour: (rem / 3600) as u32,
                minute: (rem / 60 % 60) as u32,
                weekday: (days + 4).rem_euclid(7) as u32,
                day_of_year,
                days_in_month: month_days[(month - 1) as usize],
            }
        }
    }
}
