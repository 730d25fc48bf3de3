//! Reading the store: which series and samples a selector picks at each
//! step of a grid. Instant selectors look back [`LOOKBACK_MS`] and stop at
//! a staleness marker; range selectors take the left-open window
//! `(t - range, t]`, which a [`WindowCursor`] slides forward from step to
//! step; `offset` and `@` move the time; a subquery evaluates its
//! expression once, at the multiples of its step that the windows of all
//! steps hold. Each selector's series are loaded once a query (staleness
//! markers dropped for range selectors); [`Evaluator::prepare`] bounds
//! what each selector loads to the times the query can read.

use std::collections::{BTreeMap, HashMap};
use std::rc::Rc;

use super::steps::{Grid, StepSeries, Steps};
use super::{DEFAULT_SUBQUERY_STEP_MS, Evaluator, LOOKBACK_MS, RangeSeries, Result, fail};
use crate::ast::*;
use crate::lexer::Span;
use o11y_metrics::store::{HistogramPoint, Sample, is_stale};
use o11y_model::labels::{Labels, Matcher};

impl Evaluator<'_> {
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

    /// All samples of the series a selector matches (loaded once a
    /// query), without staleness markers if `drop_stale` (what range
    /// selectors read).
    fn series_of(
        &self,
        span: &Span,
        matchers: &[Matcher],
        drop_stale: bool,
    ) -> Result<Rc<Vec<RangeSeries>>> {
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
        let mut series: Vec<RangeSeries> = by_labels.into_values().collect();
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
        if drop_stale {
            for s in &mut series {
                s.samples.retain(|x| !is_stale(x.value));
            }
        }
        let series = Rc::new(series);
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

    /// What an instant selector picks from each series at each step: its
    /// newest sample (float or histogram) within the lookback before the
    /// (offset, `@`) time, unless stale — or, if `sample_time`, that
    /// sample's time in seconds (what `timestamp` gives). One pass over
    /// each series for all steps.
    pub(super) fn vector_selector(
        &self,
        span: &Span,
        vs: &VectorSelector,
        grid: Grid,
        sample_time: bool,
    ) -> Result<Vec<StepSeries>> {
        let series = self.series_of(span, &vs.matchers, false)?;
        let times: Vec<i64> = grid
            .times()
            .map(|ts| self.effective_time(ts, vs.at, vs.offset_ms))
            .collect();
        let mut out = Vec::new();
        let mut touched = 0u64;
        for s in series.iter() {
            let mut picked = StepSeries::new(s.labels.clone(), grid.len);
            let (mut float_end, mut histogram_end) = (0, 0);
            for (i, &t) in times.iter().enumerate() {
                float_end = position_after(&s.samples, |x| x.ts_ms, float_end, t);
                histogram_end = position_after(&s.histograms, |x| x.ts_ms, histogram_end, t);
                let float = float_end.checked_sub(1).map(|k| s.samples[k]);
                let histogram = histogram_end.checked_sub(1).map(|k| &s.histograms[k]);
                let (value, histogram, at) = match (float, histogram) {
                    (Some(f), Some(h)) if h.ts_ms > f.ts_ms => (f64::NAN, Some(h), h.ts_ms),
                    (Some(f), _) => (f.value, None, f.ts_ms),
                    (None, Some(h)) => (f64::NAN, Some(h), h.ts_ms),
                    (None, None) => continue,
                };
                if at <= t - LOOKBACK_MS || (histogram.is_none() && is_stale(value)) {
                    continue;
                }
                touched += 1;
                match histogram {
                    _ if sample_time => picked.set(i, at as f64 / 1000.0),
                    Some(h) => picked.set_histogram(i, h.histogram.clone()),
                    None => picked.set(i, value),
                }
            }
            if !picked.is_empty() {
                out.push(picked);
            }
        }
        self.samples_touched
            .set(self.samples_touched.get() + touched);
        Ok(out)
    }

    /// The series a range vector (a range selector or a subquery, maybe in
    /// parentheses) reads its windows from, and each step's window end.
    pub(super) fn window_source(&self, arg: &Expr, grid: Grid) -> Result<WindowSource> {
        match &arg.kind {
            ExprKind::Paren(inner) => self.window_source(inner, grid),
            ExprKind::MatrixSelector { selector, range_ms } => Ok(WindowSource {
                series: self.series_of(&arg.span, &selector.matchers, true)?,
                range_ms: *range_ms,
                ends: grid
                    .times()
                    .map(|ts| self.effective_time(ts, selector.at, selector.offset_ms))
                    .collect(),
            }),
            ExprKind::Subquery(sq) => self.subquery(sq, grid),
            _ => fail(&arg.span, "expected a range vector"),
        }
    }

    /// A range vector at one instant: each series' window, if not empty.
    pub(super) fn range_vector_at(&self, expr: &Expr, ts: i64) -> Result<Vec<RangeSeries>> {
        let source = self.window_source(expr, Grid::single(ts))?;
        let mut out = Vec::new();
        for s in source.series.iter() {
            let w =
                WindowCursor::default().window(s, source.ends[0] - source.range_ms, source.ends[0]);
            self.samples_touched
                .set(self.samples_touched.get() + w.len() as u64);
            if w.len() > 0 {
                out.push(RangeSeries {
                    labels: s.labels.clone(),
                    samples: w.floats.to_vec(),
                    histograms: w.histograms.to_vec(),
                });
            }
        }
        Ok(out)
    }

    /// A subquery over a grid: its expression evaluated once at every
    /// multiple of its step that some step's window `(t - range, t]`
    /// holds, as the series the windows are read from.
    fn subquery(&self, sq: &Subquery, grid: Grid) -> Result<WindowSource> {
        let step = sq.step_ms.unwrap_or(DEFAULT_SUBQUERY_STEP_MS).max(1);
        let ends: Vec<i64> = grid
            .times()
            .map(|ts| self.effective_time(ts, sq.at, sq.offset_ms))
            .collect();
        // Steps fall on multiples of the step, strictly after the window start.
        let first_after = |window_start: i64| {
            let at = window_start.div_euclid(step) * step;
            if at <= window_start { at + step } else { at }
        };
        for &t in &ends {
            if ((t - first_after(t - sq.range_ms)) / step) as usize >= self.limits.max_steps {
                return fail(
                    &sq.expr.span,
                    format!(
                        "subquery would take more than {} steps",
                        self.limits.max_steps
                    ),
                );
            }
        }
        // The inner steps the windows hold, as runs of consecutive steps:
        // one run where windows overlap (a step shorter than the range),
        // one per window where they do not, so steps between windows far
        // apart are not evaluated.
        let mut runs: Vec<(i64, i64)> = Vec::new();
        for &t in &ends {
            let (from, to) = (first_after(t - sq.range_ms), t.div_euclid(step) * step);
            if from > to {
                continue;
            }
            match runs.last_mut() {
                Some((run_from, run_to)) if from <= *run_to + step && from >= *run_from => {
                    *run_to = (*run_to).max(to);
                }
                _ => runs.push((from, to)),
            }
        }
        let mut by_labels: BTreeMap<Labels, RangeSeries> = BTreeMap::new();
        for (from, to) in runs {
            let inner = Grid {
                start_ms: from,
                step_ms: step,
                len: ((to - from) / step) as usize + 1,
            };
            let series = match self.eval_steps(&sq.expr, inner)? {
                Steps::Scalar(values) => {
                    let mut s = StepSeries::new(Labels::default(), inner.len);
                    for (i, v) in values.into_iter().enumerate() {
                        s.set(i, v);
                    }
                    vec![s]
                }
                Steps::Vector(series) => series,
                Steps::String(_) => {
                    return fail(&sq.expr.span, "subquery is only allowed on instant vector");
                }
            };
            for s in series.into_iter().filter(|s| !s.is_empty()) {
                let points = s.into_range_series(inner);
                match by_labels.get_mut(&points.labels) {
                    Some(earlier) => {
                        earlier.samples.extend(points.samples);
                        earlier.histograms.extend(points.histograms);
                    }
                    None => {
                        by_labels.insert(points.labels.clone(), points);
                    }
                }
            }
        }
        let series: Vec<RangeSeries> = by_labels.into_values().collect();
        Ok(WindowSource {
            series: Rc::new(series),
            range_ms: sq.range_ms,
            ends,
        })
    }
}

/// The series a range vector's windows are read from (staleness markers
/// left out), its range, and where each step's window ends.
pub(super) struct WindowSource {
    pub series: Rc<Vec<RangeSeries>>,
    pub range_ms: i64,
    pub ends: Vec<i64>,
}

/// One series' samples in a window `(start, end]`.
pub(super) struct Window<'s> {
    pub floats: &'s [Sample],
    pub histograms: &'s [HistogramPoint],
    pub start_ms: i64,
    pub end_ms: i64,
    /// Where `floats` starts in the series' samples.
    pub float_from: usize,
    /// All the series' float samples.
    pub series_floats: &'s [Sample],
}

impl Window<'_> {
    pub fn len(&self) -> usize {
        self.floats.len() + self.histograms.len()
    }
}

/// Where the last window of a series was: successive steps move it
/// forward a little, so the next one is found without a binary search.
#[derive(Default)]
pub(super) struct WindowCursor {
    floats: (usize, usize),
    histograms: (usize, usize),
}

impl WindowCursor {
    pub fn window<'s>(&mut self, s: &'s RangeSeries, start_ms: i64, end_ms: i64) -> Window<'s> {
        let ts = |x: &Sample| x.ts_ms;
        let from = position_after(&s.samples, ts, self.floats.0, start_ms);
        let to = position_after(&s.samples, ts, self.floats.1.max(from), end_ms);
        self.floats = (from, to);
        let ts = |x: &HistogramPoint| x.ts_ms;
        let h_from = position_after(&s.histograms, ts, self.histograms.0, start_ms);
        let h_to = position_after(&s.histograms, ts, self.histograms.1.max(h_from), end_ms);
        self.histograms = (h_from, h_to);
        Window {
            floats: &s.samples[from..to],
            histograms: &s.histograms[h_from..h_to],
            start_ms,
            end_ms,
            float_from: from,
            series_floats: &s.samples,
        }
    }
}

/// The index of the first item after `t` (`partition_point(ts <= t)`),
/// searched forward from `hint` when the hint is not past it.
pub(super) fn position_after<T>(items: &[T], ts: impl Fn(&T) -> i64, hint: usize, t: i64) -> usize {
    if hint <= items.len() && (hint == 0 || ts(&items[hint - 1]) <= t) {
        let mut i = hint;
        // A short forward scan, then a binary search if the step jumped far.
        for _ in 0..8 {
            if i < items.len() && ts(&items[i]) <= t {
                i += 1;
            } else {
                return i;
            }
        }
        return i + items[i..].partition_point(|x| ts(x) <= t);
    }
    items.partition_point(|x| ts(x) <= t)
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
                    position_after(&samples, |x| x.ts_ms, hint, t),
                    expected,
                    "hint {hint}, t {t}"
                );
            }
        }
    }
}
