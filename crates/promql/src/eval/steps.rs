//! What a node of the expression gives over all the steps of a query: a
//! [`Grid`] of evaluation times and, per node, [`Steps`] — a scalar per
//! step, a string, or a "step matrix": series whose labels are computed
//! once, each with a dense value per step and whether it is present there.
//! An instant query is the grid of one step.
//!
//! The long tail of functions is written for one instant vector at a time;
//! [`Evaluator::per_step`] runs such a function at each step on its
//! arguments' values there, as Prometheus's `rangeEval` does. The hot paths
//! (selectors, range functions, aggregations, binary operators,
//! `histogram_quantile`) work on whole series instead.
//!
//! ```
//! use o11y_metrics::store::{Sample, SeriesStore};
//! use o11y_metrics::tsdb::Tsdb;
//! use o11y_model::labels::Labels;
//! use o11y_promql::eval::range_query;
//!
//! let mut store = Tsdb::default();
//! let x = Labels::new([("__name__", "x")]);
//! store.append(&x, Sample { ts_ms: 0, value: 1.0 }).unwrap();
//! let expr = o11y_promql::parse("abs(-x)").unwrap();
//! let series = range_query(&store, &expr, 0, 60_000, 30_000).unwrap();
//! assert_eq!(series[0].samples.len(), 3);
//! ```

use std::sync::Arc;

use super::{Evaluator, Result, Value, VectorSample, fail};
use crate::ast::ValueType;
use crate::lexer::Span;
use o11y_metrics::store::{HistogramPoint, Sample};
use o11y_model::histogram::Histogram;
use o11y_model::labels::Labels;

/// The times a node is evaluated at: `start_ms`, `start_ms + step_ms`, …,
/// `len` of them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Grid {
    pub start_ms: i64,
    pub step_ms: i64,
    pub len: usize,
}

impl Grid {
    /// The grid of an instant query.
    pub fn single(ts_ms: i64) -> Grid {
        Grid {
            start_ms: ts_ms,
            step_ms: 1,
            len: 1,
        }
    }

    /// The time of step `i`.
    pub fn at(&self, i: usize) -> i64 {
        self.start_ms + i as i64 * self.step_ms
    }

    pub fn times(&self) -> impl Iterator<Item = i64> + '_ {
        (0..self.len).map(|i| self.at(i))
    }
}

/// One series of a step matrix.
#[derive(Clone, Debug)]
pub(super) struct StepSeries {
    pub labels: Labels,
    /// The value at each step (meaningless where not present).
    pub values: Vec<f64>,
    pub present: Vec<bool>,
    /// The native histogram at each step; empty for a series of floats.
    pub histograms: Vec<Option<Arc<Histogram>>>,
}

impl StepSeries {
    pub fn new(labels: Labels, len: usize) -> StepSeries {
        StepSeries {
            labels,
            values: vec![0.0; len],
            present: vec![false; len],
            histograms: Vec::new(),
        }
    }

    pub fn set(&mut self, i: usize, value: f64) {
        self.values[i] = value;
        self.present[i] = true;
    }

    pub fn set_histogram(&mut self, i: usize, histogram: Arc<Histogram>) {
        if self.histograms.is_empty() {
            self.histograms = vec![None; self.values.len()];
        }
        self.histograms[i] = Some(histogram);
        self.set(i, f64::NAN);
    }

    /// A float or a histogram at step `i`.
    pub fn set_point(&mut self, i: usize, value: f64, histogram: Option<Arc<Histogram>>) {
        match histogram {
            Some(h) => self.set_histogram(i, h),
            None => self.set(i, value),
        }
    }

    pub fn histogram(&self, i: usize) -> Option<&Arc<Histogram>> {
        self.histograms.get(i).and_then(Option::as_ref)
    }

    pub fn has_histograms(&self) -> bool {
        !self.histograms.is_empty()
    }

    pub fn is_empty(&self) -> bool {
        !self.present.contains(&true)
    }

    /// The series at step `i`, as an element of an instant vector.
    pub fn sample(&self, i: usize) -> Option<VectorSample> {
        self.present[i].then(|| VectorSample {
            labels: self.labels.clone(),
            value: self.values[i],
            histogram: self.histogram(i).cloned(),
        })
    }

    /// The present steps as samples and histogram points at the grid's times.
    pub fn into_range_series(self, grid: Grid) -> super::RangeSeries {
        let mut samples = Vec::new();
        let mut histograms = Vec::new();
        for i in 0..self.values.len() {
            if !self.present[i] {
                continue;
            }
            let ts_ms = grid.at(i);
            match self.histogram(i) {
                Some(h) => histograms.push(HistogramPoint {
                    ts_ms,
                    histogram: h.clone(),
                }),
                None => samples.push(Sample {
                    ts_ms,
                    value: self.values[i],
                }),
            }
        }
        super::RangeSeries {
            labels: self.labels,
            samples,
            histograms,
        }
    }
}

/// What a node gives over a grid.
pub(super) enum Steps {
    Scalar(Vec<f64>),
    String(String),
    Vector(Vec<StepSeries>),
}

impl Steps {
    /// The value at step `i`, as an instant query gives it.
    pub fn value_at(&self, i: usize) -> Value {
        match self {
            Steps::Scalar(v) => Value::Scalar(v[i]),
            Steps::String(s) => Value::String(s.clone()),
            Steps::Vector(series) => {
                Value::Vector(series.iter().filter_map(|s| s.sample(i)).collect())
            }
        }
    }

    pub fn into_vector(self, span: &Span) -> Result<Vec<StepSeries>> {
        match self {
            Steps::Vector(v) => Ok(v),
            _ => fail(span, "expected an instant vector"),
        }
    }

    pub fn into_scalar(self, span: &Span) -> Result<Vec<f64>> {
        match self {
            Steps::Scalar(v) => Ok(v),
            _ => fail(span, "expected a scalar"),
        }
    }
}

/// Series with the same labels merged into one, as the steps of a range
/// query are gathered by labels; two of them present at the same step are
/// Prometheus's "same labelset" error. Labels are hashed once per series.
pub(super) fn merge_same_labels(span: &Span, series: Vec<StepSeries>) -> Result<Vec<StepSeries>> {
    let mut index: rustc_hash::FxHashMap<&Labels, usize> = Default::default();
    index.reserve(series.len());
    let mut first_of: Vec<usize> = Vec::with_capacity(series.len());
    let mut merged = false;
    for (k, s) in series.iter().enumerate() {
        let first = *index.entry(&s.labels).or_insert(k);
        merged |= first != k;
        first_of.push(first);
    }
    if !merged {
        return Ok(series);
    }
    let mut out: Vec<Option<StepSeries>> = Vec::with_capacity(series.len());
    for (k, s) in series.into_iter().enumerate() {
        let first = first_of[k];
        if first == k {
            out.push(Some(s));
            continue;
        }
        out.push(None);
        let Some(target) = out[first].as_mut() else {
            continue;
        };
        for i in 0..s.values.len() {
            if !s.present[i] {
                continue;
            }
            if target.present[i] {
                return fail(span, "vector cannot contain metrics with the same labelset");
            }
            target.set_point(i, s.values[i], s.histogram(i).cloned());
        }
    }
    Ok(out.into_iter().flatten().collect())
}

/// Gathers the instant vectors of successive steps into series by labels,
/// in the order they first appear (so one step keeps the vector's order).
pub(super) struct StepGatherer {
    len: usize,
    index: rustc_hash::FxHashMap<Labels, usize>,
    series: Vec<StepSeries>,
}

impl StepGatherer {
    pub fn new(len: usize) -> StepGatherer {
        StepGatherer {
            len,
            index: Default::default(),
            series: Vec::new(),
        }
    }

    pub fn push(&mut self, span: &Span, i: usize, sample: VectorSample) -> Result<()> {
        let k = match self.index.get(&sample.labels) {
            Some(&k) => k,
            None => {
                self.index.insert(sample.labels.clone(), self.series.len());
                self.series
                    .push(StepSeries::new(sample.labels.clone(), self.len));
                self.series.len() - 1
            }
        };
        let series = &mut self.series[k];
        if series.present[i] {
            return fail(span, "vector cannot contain metrics with the same labelset");
        }
        series.set_point(i, sample.value, sample.histogram);
        Ok(())
    }

    pub fn finish(self) -> Vec<StepSeries> {
        self.series
    }
}

impl Evaluator<'_> {
    /// `f` of the arguments' values at each step of `grid` (an instant
    /// vector, a scalar or a string each), gathered into what the node
    /// gives over the grid: Prometheus's `rangeEval`, for the functions
    /// written for one instant at a time.
    pub(super) fn per_step(
        &self,
        span: &Span,
        grid: Grid,
        result_type: ValueType,
        args: &[Steps],
        mut f: impl FnMut(i64, Vec<Value>) -> Result<Value>,
    ) -> Result<Steps> {
        let mut scalars = Vec::new();
        let mut vectors = StepGatherer::new(grid.len);
        for i in 0..grid.len {
            let values = args.iter().map(|a| a.value_at(i)).collect();
            match f(grid.at(i), values)? {
                Value::Scalar(v) => scalars.push(v),
                Value::Vector(samples) => {
                    for s in samples {
                        vectors.push(span, i, s)?;
                    }
                }
                Value::String(s) => return Ok(Steps::String(s)),
                Value::Matrix(_) => return fail(span, "expected an instant vector or a scalar"),
            }
        }
        Ok(match result_type {
            ValueType::Scalar => Steps::Scalar(scalars),
            _ => Steps::Vector(vectors.finish()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn series(labels: &str, points: &[Option<f64>]) -> StepSeries {
        let mut s = StepSeries::new(Labels::new([("job", labels)]), points.len());
        for (i, p) in points.iter().enumerate() {
            if let Some(v) = p {
                s.set(i, *v);
            }
        }
        s
    }

    #[test]
    fn series_with_the_same_labels_merge_unless_they_overlap() {
        let span = 0..1;
        let merged = merge_same_labels(
            &span,
            vec![
                series("a", &[Some(1.0), None, None]),
                series("b", &[Some(5.0), None, None]),
                series("a", &[None, None, Some(3.0)]),
            ],
        )
        .unwrap();
        assert_eq!(merged.len(), 2);
        assert_eq!(merged[0].present, [true, false, true]);
        assert_eq!(merged[0].values[2], 3.0);
        let clash = merge_same_labels(
            &span,
            vec![
                series("a", &[Some(1.0), Some(2.0)]),
                series("a", &[None, Some(3.0)]),
            ],
        );
        assert_eq!(
            clash.unwrap_err().message,
            "vector cannot contain metrics with the same labelset"
        );
    }
}
