//! Reading the store: which series and samples a selector picks at an
//! evaluation time. Instant selectors look back [`LOOKBACK_MS`] and stop at
//! a staleness marker; range selectors take the left-open window
//! `(t - range, t]`, found from the previous step's window by a cursor;
//! `offset` and `@` move the time; subqueries evaluate their expression at
//! steps aligned to multiples of their step. [`Evaluator::prepare`] bounds
//! what each selector loads to the times the query can read.

use std::collections::{BTreeMap, HashMap};

use super::{
    DEFAULT_SUBQUERY_STEP_MS, Evaluator, LOOKBACK_MS, RangeSeries, Result, StepCollector, Value,
    VectorSample, fail,
};
use crate::ast::*;
use crate::lexer::Span;
use o11y_metrics::store::{Sample, SeriesStore, is_stale};
use o11y_model::labels::{Labels, Matcher};

impl<S: SeriesStore> Evaluator<'_, S> {
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

    pub(super) fn effective_time(&self, ts: i64, at: Option<At>, offset_ms: i64) -> i64 {
        let base = match at {
            Some(At::Timestamp(t)) => t,
            Some(At::Start) => self.start_ms,
            Some(At::End) => self.end_ms,
            None => ts,
        };
        base - offset_ms
    }

    pub(super) fn vector_selector(
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
    pub(super) fn selected_samples(
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

    pub(super) fn matrix_selector(
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

    pub(super) fn subquery(&self, sq: &Subquery, ts: i64) -> Result<Vec<RangeSeries>> {
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

#[cfg(test)]
mod tests {
    use super::position_after;
    use crate::eval::fixture::{eval_at, store};
    use o11y_metrics::store::{STALE_NAN, Sample};

    #[test]
    fn the_lookback_is_five_minutes_exclusive() {
        let s = store(&[("x", &[(0, 1.0)])]);
        assert_eq!(eval_at(&s, "x", 299), ["x 1"]);
        assert!(eval_at(&s, "x", 300).is_empty());
    }

    #[test]
    fn a_staleness_marker_ends_the_series() {
        let s = store(&[("x", &[(0, 1.0), (30, STALE_NAN)])]);
        assert_eq!(eval_at(&s, "x", 15), ["x 1"]);
        assert!(eval_at(&s, "x", 30).is_empty());
        assert!(eval_at(&s, "x", 60).is_empty());
        // Range selectors leave the marker out.
        assert_eq!(eval_at(&s, "x[1m]", 30), ["x 1@0"]);
        assert!(eval_at(&s, "x[1m]", 60).is_empty());
    }

    #[test]
    fn range_windows_are_left_open() {
        let s = store(&[("x", &[(0, 1.0), (60, 2.0), (120, 3.0)])]);
        assert_eq!(eval_at(&s, "x[2m]", 120), ["x 2@60 3@120"]);
        assert_eq!(eval_at(&s, "x[2m]", 119), ["x 1@0 2@60"]);
        assert_eq!(eval_at(&s, "x[1m]", 60), ["x 2@60"]);
    }

    #[test]
    fn offset_and_at_move_the_evaluation_time() {
        let s = store(&[("x", &[(0, 1.0), (60, 2.0), (120, 3.0)])]);
        assert_eq!(eval_at(&s, "x offset 1m", 120), ["x 2"]);
        assert_eq!(eval_at(&s, "x @ 60", 500), ["x 2"]);
        assert_eq!(eval_at(&s, "x[1m] @ 120 offset 1m", 0), ["x 2@60"]);
        assert_eq!(eval_at(&s, "x offset -1m", 0), ["x 2"]);
    }

    #[test]
    fn subquery_steps_are_aligned_to_multiples_of_the_step() {
        let s = store(&[("x", &[(0, 1.0), (60, 2.0), (120, 3.0)])]);
        // Window (30 s, 150 s]: steps at 60 s and 120 s.
        assert_eq!(eval_at(&s, "x[2m:1m]", 150), ["x 2@60 3@120"]);
        // The window start itself is not a step.
        assert_eq!(eval_at(&s, "x[2m:1m]", 120), ["x 2@60 3@120"]);
        assert_eq!(eval_at(&s, "x[1m:30s]", 90), ["x 2@60 2@90"]);
    }

    #[test]
    fn position_after_agrees_with_a_binary_search() {
        let samples: Vec<Sample> = [0, 10, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120]
            .iter()
            .map(|&ts_ms| Sample { ts_ms, value: 0.0 })
            .collect();
        for hint in 0..=samples.len() + 1 {
            for t in (-5..=130).step_by(5) {
                let expected = samples.partition_point(|x| x.ts_ms <= t);
                assert_eq!(
                    position_after(&samples, hint, t),
                    expected,
                    "hint {hint}, t {t}"
                );
            }
        }
    }
}
