//! One range aggregation over the logs: the lines (or unwrapped values)
//! of each series, then the function's value over each step's window,
//! written into the scratch store the PromQL evaluator reads.
//!
//! ```text
//! rate({job="x"} | logfmt [1m]) at steps 0, 60 s, 120 s
//!   → {job="x", level="info"}: (0, 0.5) (60 s, 0.25) (120 s, stale)
//! ```

use std::collections::{BTreeMap, BTreeSet};

use super::matching_lines;
use super::only_line_filters;
use crate::parser::{Grouping, LabelFilter, LogqlError, RangeAgg, RangeFunc, StageKind};
use crate::pipeline::process_with_hints;
use crate::store::LogStore;
use o11y_metrics::store::{AppendError, STALE_NAN, Sample, SeriesStore};
use o11y_metrics::tsdb::Tsdb;
use o11y_model::labels::{Labels, METRIC_NAME, MatchOp};

/// Samples of one range aggregation: per output label set, (time ns, value).
type Samples = BTreeMap<Labels, Vec<(i64, f64)>>;

/// Functions whose sum over series is the function of the union of their lines.
fn additive(func: RangeFunc) -> bool {
    matches!(
        func,
        RangeFunc::CountOverTime
            | RangeFunc::Rate
            | RangeFunc::BytesOverTime
            | RangeFunc::BytesRate
            | RangeFunc::SumOverTime
    )
}

/// Functions of the lines' sizes rather than their number.
fn counts_bytes(func: RangeFunc) -> bool {
    matches!(func, RangeFunc::BytesOverTime | RangeFunc::BytesRate)
}

/// The labels a range aggregation needs from its pipeline: the grouping's,
/// and those its stages read; `None` (all) without a `by` grouping or
/// with templates, which may read any label.
fn hints_for(agg: &RangeAgg, grouping: Option<&Grouping>) -> Option<BTreeSet<String>> {
    fn filter_names(f: &LabelFilter, out: &mut BTreeSet<String>) {
        match f {
            LabelFilter::Cmp { name, .. } => {
                out.insert(name.clone());
            }
            LabelFilter::And(a, b) | LabelFilter::Or(a, b) => {
                filter_names(a, out);
                filter_names(b, out);
            }
        }
    }
    let grouping = grouping?;
    if grouping.without {
        return None;
    }
    let mut set: BTreeSet<String> = grouping.labels.iter().cloned().collect();
    for stage in &agg.log.stages {
        match &stage.kind {
            StageKind::LabelFilter(f) => filter_names(f, &mut set),
            StageKind::Unwrap { label, .. } => {
                set.insert(label.clone());
            }
            StageKind::LineFormat(_) | StageKind::LabelFormat(_) => return None,
            StageKind::Drop(items) | StageKind::Keep(items) => {
                set.extend(items.iter().map(|(n, _)| n.clone()))
            }
            StageKind::Json(params) | StageKind::Logfmt { params, .. } => {
                set.extend(params.iter().map(|(n, _)| n.clone()))
            }
            _ => {}
        }
    }
    Some(set)
}

/// Series a metric query may make before it is refused (Loki's
/// `max_query_series` is 500; this engine allows more).
pub const MAX_SERIES: usize = 100_000;

fn samples(
    agg: &RangeAgg,
    store: &LogStore,
    from_ns: i64,
    to_ns: i64,
    pushed_grouping: Option<&Grouping>,
) -> Result<Samples, LogqlError> {
    let mut out: Samples = BTreeMap::new();
    let grouping = agg
        .grouping
        .as_ref()
        .or(pushed_grouping.filter(|_| additive(agg.func)));
    let unwrapped = agg.func.needs_unwrap();
    let fast = only_line_filters(&agg.log) && grouping.is_none();
    let hints = hints_for(agg, grouping);
    for stream in store.select(&agg.log.matchers) {
        let from = stream.partition_point(|t| t <= from_ns);
        let to = stream.partition_point(|t| t <= to_ns);
        if fast {
            // Only line filters: the series is the stream itself.
            let mut points = Vec::new();
            for i in matching_lines(stream, from..to, &agg.log) {
                let e = stream.entry(i);
                let v = if counts_bytes(agg.func) {
                    e.line.len() as f64
                } else {
                    1.0
                };
                points.push((e.ts_ns, v));
            }
            if !points.is_empty() {
                out.entry(stream.labels.clone()).or_default().extend(points);
            }
            continue;
        }
        for e in stream.entries(from..to) {
            let Some(p) = process_with_hints(
                &agg.log.stages,
                e.line,
                e.ts_ns,
                &stream.labels,
                e.metadata,
                hints.as_ref(),
                None,
            ) else {
                continue;
            };
            if let Some((_, err)) = p.labels.iter().find(|(n, _)| n == "__error__") {
                let details = p
                    .labels
                    .iter()
                    .find(|(n, _)| n == "__error_details__")
                    .map_or("", |d| d.1.as_str());
                return Err(LogqlError::at_span(
                    agg.span.clone(),
                    format!(
                        "pipeline error: {err} ({details}) on the line {:?}; add | __error__=\"\" to leave such lines out",
                        e.line
                    ),
                ));
            }
            let value = if unwrapped {
                match p.value {
                    Some(v) => v,
                    None => continue,
                }
            } else if counts_bytes(agg.func) {
                e.line.len() as f64
            } else {
                1.0
            };
            let mut labels: Vec<(String, String)> = p
                .labels
                .into_iter()
                .filter(|(n, _)| !n.starts_with("__error"))
                .collect();
            if let Some(g) = grouping {
                labels.retain(|(n, _)| g.labels.contains(n) != g.without);
            }
            let labels = Labels::new(labels);
            if out.len() >= MAX_SERIES && !out.contains_key(&labels) {
                return Err(LogqlError::at_span(
                    agg.span.clone(),
                    format!(
                        "the query would make more than {MAX_SERIES} series: aggregate with sum by (…) or drop labels with | keep / | drop"
                    ),
                ));
            }
            out.entry(labels).or_default().push((e.ts_ns, value));
        }
    }
    for points in out.values_mut() {
        o11y_model::sort::sort_by_key(&mut points[..], |p| p.0);
    }
    Ok(out)
}

/// A range aggregation's value over the points of one window.
fn aggregate(agg: &RangeAgg, points: &[(i64, f64)], range_s: f64, window: (i64, i64)) -> f64 {
    let values = || points.iter().map(|p| p.1);
    let n = points.len() as f64;
    match agg.func {
        RangeFunc::CountOverTime => n,
        RangeFunc::Rate => n / range_s,
        RangeFunc::BytesOverTime | RangeFunc::SumOverTime => values().sum(),
        RangeFunc::BytesRate => values().sum::<f64>() / range_s,
        RangeFunc::AvgOverTime => values().sum::<f64>() / n,
        RangeFunc::MinOverTime => values().fold(f64::INFINITY, f64::min),
        RangeFunc::MaxOverTime => values().fold(f64::NEG_INFINITY, f64::max),
        RangeFunc::FirstOverTime => points[0].1,
        RangeFunc::LastOverTime => points[points.len() - 1].1,
        RangeFunc::StddevOverTime | RangeFunc::StdvarOverTime => {
            let mean = values().sum::<f64>() / n;
            let var = values().map(|v| (v - mean) * (v - mean)).sum::<f64>() / n;
            if agg.func == RangeFunc::StddevOverTime {
                var.sqrt()
            } else {
                var
            }
        }
        RangeFunc::QuantileOverTime => {
            let mut v: Vec<f64> = values().collect();
            v.sort_by(f64::total_cmp);
            let q = agg.param.unwrap_or(f64::NAN);
            if q.is_nan() {
                return f64::NAN;
            }
            let rank = q.clamp(0.0, 1.0) * (v.len() - 1) as f64;
            let lo = rank.floor() as usize;
            let hi = (lo + 1).min(v.len() - 1);
            v[lo] + (v[hi] - v[lo]) * (rank - rank.floor())
        }
        RangeFunc::RateCounter => {
            let samples: Vec<Sample> = points
                .iter()
                .map(|p| Sample {
                    ts_ms: p.0 / 1_000_000,
                    value: p.1,
                })
                .collect();
            o11y_promql::rate::extrapolated_rate(
                &samples,
                window.0 / 1_000_000,
                window.1 / 1_000_000,
                true,
                true,
            )
            .unwrap_or(f64::NAN)
        }
        // Written apart: 1 where a window has no line (see `write_series`).
        RangeFunc::AbsentOverTime => f64::NAN,
    }
}

/// Evaluates a range aggregation at every step (ms) and writes its series
/// into `scratch` under the name `name`, each followed by a staleness
/// marker where it has no value, so that PromQL's lookback never fills a
/// gap. `pushed` is the grouping of a `sum` right above it.
pub(super) fn write_series(
    scratch: &mut Tsdb,
    name: &str,
    agg: &RangeAgg,
    pushed: Option<&Grouping>,
    store: &LogStore,
    steps: &[i64],
    end_ms: i64,
) -> Result<(), LogqlError> {
    let range_ns = agg.range_ms * 1_000_000;
    let offset_ns = agg.offset_ms * 1_000_000;
    let first = steps.first().copied().unwrap_or(end_ms) * 1_000_000 - offset_ns - range_ns;
    let last = steps.last().copied().unwrap_or(end_ms) * 1_000_000 - offset_ns;
    let series = samples(agg, store, first, last, pushed)?;
    let range_s = agg.range_ms as f64 / 1000.0;
    // A write the scratch store refuses (its series or sample limit)
    // would leave a hole in the result: the query fails instead.
    let write = |scratch: &mut Tsdb, labels: &Labels, ts_ms: i64, value: f64| {
        scratch
            .append(&labels.with(METRIC_NAME, name), Sample { ts_ms, value })
            .map_err(|e| LogqlError::at_span(agg.span.clone(), match e {
                    AppendError::SeriesLimit { limit, .. } => format!(
                        "the query would make more than {limit} series: aggregate with sum by (…) or drop labels with | keep / | drop"
                    ),
                    AppendError::SampleLimit { limit, .. } => format!(
                        "the query would make more than {limit} samples: query a shorter range, take a longer step, or aggregate with sum by (…)"
                    ),
                    e => e.to_string(),
                }))
    };
    if agg.func == RangeFunc::AbsentOverTime {
        let labels = Labels::new(
            agg.log
                .matchers
                .iter()
                .filter(|m| m.op == MatchOp::Equal)
                .map(|m| (m.name.clone(), m.value.clone())),
        );
        for &t in steps {
            let (lo, hi) = (
                t * 1_000_000 - offset_ns - range_ns,
                t * 1_000_000 - offset_ns,
            );
            let any = series
                .values()
                .any(|p| p.iter().any(|(ts, _)| *ts > lo && *ts <= hi));
            write(scratch, &labels, t, if any { STALE_NAN } else { 1.0 })?;
        }
        return Ok(());
    }
    for (labels, points) in &series {
        let (mut from, mut to) = (0, 0);
        let mut present = false;
        for &t in steps {
            let (lo, hi) = (
                t * 1_000_000 - offset_ns - range_ns,
                t * 1_000_000 - offset_ns,
            );
            while from < points.len() && points[from].0 <= lo {
                from += 1;
            }
            to = to.max(from);
            while to < points.len() && points[to].0 <= hi {
                to += 1;
            }
            if from < to {
                write(
                    scratch,
                    labels,
                    t,
                    aggregate(agg, &points[from..to], range_s, (lo, hi)),
                )?;
                present = true;
            } else if present {
                write(scratch, labels, t, STALE_NAN)?;
                present = false;
            }
        }
    }
    Ok(())
}
