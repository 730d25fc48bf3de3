//! Running LogQL: log queries return lines; metric queries evaluate each
//! range aggregation (`count_over_time({…} | … [5m])`) over the logs at
//! every step, then hand the expression around them — vector aggregations,
//! binary operations, `topk`, `sort` — to the PromQL evaluator, whose
//! semantics LogQL shares. Each range aggregation becomes a series set
//! `__logql_N` in a scratch store, with staleness markers where a series
//! has no value, so PromQL's lookback never fills a gap.

use std::collections::BTreeMap;

use super::parser::{
    LogExpr, LogqlError, RangeAgg, needs_unwrap, parse_log_query, parse_range_agg_at,
    range_agg_starts,
};
use super::pipeline::{LabelSet, process};
use super::store::LogStore;
use o11y_metrics::store::{AppendError, STALE_NAN, Sample, SeriesStore};
use o11y_metrics::tsdb::{Tsdb, TsdbLimits};
use o11y_model::labels::{Labels, METRIC_NAME, MatchOp};
use o11y_promql::eval::{QueryLimits, RangeSeries, range_query_with_stats};

/// A query over a time range.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LogQuery {
    /// Nanoseconds; lines at `start_ns..end_ns` (end exclusive, as Loki).
    pub start_ns: i64,
    pub end_ns: i64,
    /// The step of a metric query (ms); 0 for an instant query at `end_ns`.
    pub step_ms: i64,
    /// Lines a log query returns at most (newest first).
    pub limit: usize,
}

/// One line a log query returned.
#[derive(Clone, Debug, PartialEq)]
pub struct LogLine {
    pub ts_ns: i64,
    /// The line after `line_format` (the stored line otherwise).
    pub line: String,
    /// The stream's labels.
    pub stream: Labels,
    /// Every label after the pipeline (stream, metadata and extracted).
    pub labels: LabelSet,
    /// Where the line is stored: (stream, entry), for the stage inspector.
    pub at: (usize, usize),
}

#[derive(Clone, Debug, PartialEq)]
pub enum LogqlResult {
    Logs(Vec<LogLine>),
    /// A metric query's series (an instant query has one point each).
    Matrix(Vec<RangeSeries>),
}

/// Whether a query is a metric query (it has a range aggregation).
pub fn is_metric_query(src: &str) -> bool {
    range_agg_starts(src).is_ok_and(|s| !s.is_empty())
}

/// Runs a log or metric query.
pub fn query(src: &str, store: &LogStore, q: &LogQuery) -> Result<LogqlResult, LogqlError> {
    let starts = range_agg_starts(src)?;
    if starts.is_empty() {
        let expr = parse_log_query(src)?;
        return Ok(LogqlResult::Logs(log_lines(&expr, store, q)));
    }
    metric_query(src, &starts, store, q).map(LogqlResult::Matrix)
}

/// Whether a pipeline has only line filters (no labels need building).
pub fn only_line_filters(expr: &LogExpr) -> bool {
    expr.stages
        .iter()
        .all(|s| matches!(s.kind, super::parser::StageKind::LineFilter(_)))
}

/// The lines of a log query, newest first, at most `limit`.
pub fn log_lines(expr: &LogExpr, store: &LogStore, q: &LogQuery) -> Vec<LogLine> {
    let mut out: Vec<LogLine> = Vec::new();
    let fast = only_line_filters(expr);
    for (si, stream) in store.streams().iter().enumerate() {
        if !expr.matchers.iter().all(|m| m.matches(&stream.labels)) {
            continue;
        }
        let from = stream.partition_point(|t| t < q.start_ns);
        let to = stream.partition_point(|t| t < q.end_ns);
        // Newest first: walk back, stop once this stream cannot add newer lines.
        let mut taken = 0;
        for ei in (from..to).rev() {
            let e = stream.entry(ei);
            if taken >= q.limit {
                break;
            }
            let (line, labels) = if fast {
                if !super::pipeline::passes_line_filters(&expr.stages, e.line) {
                    continue;
                }
                let labels = stream
                    .labels
                    .iter()
                    .map(|l| (l.name.clone(), l.value.clone()))
                    .chain(e.metadata.iter().cloned())
                    .collect();
                (e.line.to_string(), labels)
            } else {
                match process(
                    &expr.stages,
                    e.line,
                    e.ts_ns,
                    &stream.labels,
                    e.metadata,
                    None,
                ) {
                    Some(p) => (p.line, p.labels),
                    None => continue,
                }
            };
            taken += 1;
            out.push(LogLine {
                ts_ns: e.ts_ns,
                line,
                stream: stream.labels.clone(),
                labels,
                at: (si, ei),
            });
        }
    }
    out.sort_by_key(|l| std::cmp::Reverse(l.ts_ns));
    out.truncate(q.limit);
    out
}

/// The lines of `range` that pass a pipeline of line filters only. A single
/// `|= "text"` searches the stream's buffer across lines at once (as grep
/// does) and maps each hit to its line.
pub fn matching_lines(
    stream: &super::store::Stream,
    range: std::ops::Range<usize>,
    expr: &LogExpr,
) -> Vec<usize> {
    use super::parser::{LineFilterOp, StageKind};
    if let [stage] = expr.stages.as_slice()
        && let StageKind::LineFilter(f) = &stage.kind
        && f.op == LineFilterOp::Contains
        && let [finder] = f.finders.as_slice()
        && !f.values[0].is_empty()
        && !f.values[0].contains('\n')
        && let Some((text, base)) = stream.text_of(range.clone())
    {
        let mut out = Vec::new();
        let mut at = 0;
        while let Some(hit) = finder.find(&text.as_bytes()[at..]) {
            let line = stream.line_at(base + at + hit);
            out.push(line);
            // On to the next line.
            match memchr::memchr(b'\n', &text.as_bytes()[at + hit..]) {
                Some(nl) => at += hit + nl + 1,
                None => break,
            }
        }
        return out;
    }
    range
        .filter(|&i| super::pipeline::passes_line_filters(&expr.stages, stream.entry(i).line))
        .collect()
}

/// Samples of one range aggregation: per output label set, (time ns, value).
type Samples = BTreeMap<Labels, Vec<(i64, f64)>>;

/// Functions whose sum over series is the function of the union of their lines.
fn additive(func: &str) -> bool {
    matches!(
        func,
        "count_over_time" | "rate" | "bytes_over_time" | "bytes_rate" | "sum_over_time"
    )
}

/// For each `__logql_N` directly under a `sum`, that sum's grouping
/// (without, labels): its lines can be grouped before series are made,
/// which gives the same sums without a series per distinct label set.
fn sum_groupings(expr: &o11y_promql::ast::Expr, out: &mut BTreeMap<String, (bool, Vec<String>)>) {
    use o11y_promql::ast::{AggOp, ExprKind};
    match &expr.kind {
        ExprKind::Aggregate(a) => {
            let mut inner = &a.expr;
            while let ExprKind::Paren(p) = &inner.kind {
                inner = p;
            }
            if a.op == AggOp::Sum
                && let ExprKind::VectorSelector(vs) = &inner.kind
                && let Some(name) = vs
                    .matchers
                    .iter()
                    .find(|m| m.name == METRIC_NAME)
                    .map(|m| m.value.clone())
            {
                let mut labels = a.grouping.clone();
                labels.retain(|l| l != METRIC_NAME);
                out.insert(name, (a.without, labels));
            }
            sum_groupings(&a.expr, out);
            if let Some(p) = &a.param {
                sum_groupings(p, out);
            }
        }
        ExprKind::Paren(e) | ExprKind::Unary { expr: e, .. } => sum_groupings(e, out),
        ExprKind::Binary(b) => {
            sum_groupings(&b.lhs, out);
            sum_groupings(&b.rhs, out);
        }
        ExprKind::Call { args, .. } => args.iter().for_each(|a| sum_groupings(a, out)),
        ExprKind::Subquery(sq) => sum_groupings(&sq.expr, out),
        _ => {}
    }
}

/// The labels a range aggregation needs from its pipeline: the grouping's,
/// and those its stages read; `None` (all) without a `by` grouping or
/// with templates, which may read any label.
fn hints_for(
    agg: &RangeAgg,
    grouping: Option<&(bool, Vec<String>)>,
) -> Option<std::collections::BTreeSet<String>> {
    use super::parser::{LabelFilter, StageKind};
    fn filter_names(f: &LabelFilter, out: &mut std::collections::BTreeSet<String>) {
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
    let (without, names) = grouping?;
    if *without {
        return None;
    }
    let mut set: std::collections::BTreeSet<String> = names.iter().cloned().collect();
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
    pushed_grouping: Option<&(bool, Vec<String>)>,
) -> Result<Samples, LogqlError> {
    let mut out: Samples = BTreeMap::new();
    let grouping = agg
        .grouping
        .as_ref()
        .or(pushed_grouping.filter(|_| additive(&agg.func)));
    let unwrapped = needs_unwrap(&agg.func);
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
                let v = if agg.func.starts_with("bytes") {
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
            let Some(p) = super::pipeline::process_with_hints(
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
                return Err(LogqlError {
                    span: agg.span.clone(),
                    message: format!(
                        "pipeline error: {err} ({details}) on the line {:?}; add | __error__=\"\" to leave such lines out",
                        e.line
                    ),
                });
            }
            let value = if unwrapped {
                match p.value {
                    Some(v) => v,
                    None => continue,
                }
            } else if agg.func.starts_with("bytes") {
                e.line.len() as f64
            } else {
                1.0
            };
            let mut labels: Vec<(String, String)> = p
                .labels
                .into_iter()
                .filter(|(n, _)| !n.starts_with("__error"))
                .collect();
            if let Some((without, names)) = grouping {
                labels.retain(|(n, _)| names.contains(n) != *without);
            }
            let labels = Labels::new(labels);
            if out.len() >= MAX_SERIES && !out.contains_key(&labels) {
                return Err(LogqlError {
                    span: agg.span.clone(),
                    message: format!(
                        "the query would make more than {MAX_SERIES} series: aggregate with sum by (…) or drop labels with | keep / | drop"
                    ),
                });
            }
            out.entry(labels).or_default().push((e.ts_ns, value));
        }
    }
    for points in out.values_mut() {
        points.sort_by_key(|p| p.0);
    }
    Ok(out)
}

/// A range aggregation's value over the points of one window.
fn aggregate(agg: &RangeAgg, points: &[(i64, f64)], range_s: f64, window: (i64, i64)) -> f64 {
    let values = || points.iter().map(|p| p.1);
    let n = points.len() as f64;
    match agg.func.as_str() {
        "count_over_time" => n,
        "rate" => n / range_s,
        "bytes_over_time" | "sum_over_time" => values().sum(),
        "bytes_rate" => values().sum::<f64>() / range_s,
        "avg_over_time" => values().sum::<f64>() / n,
        "min_over_time" => values().fold(f64::INFINITY, f64::min),
        "max_over_time" => values().fold(f64::NEG_INFINITY, f64::max),
        "first_over_time" => points[0].1,
        "last_over_time" => points[points.len() - 1].1,
        "stddev_over_time" | "stdvar_over_time" => {
            let mean = values().sum::<f64>() / n;
            let var = values().map(|v| (v - mean) * (v - mean)).sum::<f64>() / n;
            if agg.func == "stddev_over_time" {
                var.sqrt()
            } else {
                var
            }
        }
        "quantile_over_time" => {
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
        "rate_counter" => {
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
        _ => f64::NAN,
    }
}

fn metric_query(
    src: &str,
    starts: &[usize],
    store: &LogStore,
    q: &LogQuery,
) -> Result<Vec<RangeSeries>, LogqlError> {
    let mut aggs: Vec<RangeAgg> = Vec::new();
    for &s in starts {
        if aggs.last().is_some_and(|a| a.span.end > s) {
            let a = aggs.last().map(|a| a.span.clone()).unwrap_or_default();
            return Err(LogqlError {
                span: a,
                message: "a range aggregation cannot contain another".to_string(),
            });
        }
        let agg = parse_range_agg_at(src, s)?;
        if agg.grouping.is_some() && !needs_unwrap(&agg.func) {
            return Err(LogqlError {
                span: agg.span.clone(),
                message: format!(
                    "grouping is only allowed on unwrapped range aggregations; write sum by (…) ({}(…)) instead",
                    agg.func
                ),
            });
        }
        aggs.push(agg);
    }
    // The PromQL around the range aggregations, and where its bytes came from.
    let mut promql = String::new();
    let mut map: Vec<(usize, usize)> = Vec::new(); // (promql offset, source offset)
    let mut at = 0;
    for (i, agg) in aggs.iter().enumerate() {
        map.push((promql.len(), at));
        promql.push_str(&src[at..agg.span.start]);
        map.push((promql.len(), agg.span.start));
        promql.push_str(&format!("__logql_{i}"));
        at = agg.span.end;
    }
    map.push((promql.len(), at));
    promql.push_str(&src[at..]);
    let to_source = |offset: usize| -> usize {
        let (p, s) = map
            .iter()
            .rev()
            .find(|(p, _)| *p <= offset)
            .copied()
            .unwrap_or((0, 0));
        (s + (offset - p)).min(src.len())
    };
    let expr = o11y_promql::parse(&promql).map_err(|e| LogqlError {
        span: to_source(e.span.start)..to_source(e.span.end),
        message: e.message,
    })?;

    let mut pushed = BTreeMap::new();
    sum_groupings(&expr, &mut pushed);
    let step_ms = if q.step_ms > 0 { q.step_ms } else { 1 };
    let end_ms = q.end_ns.div_euclid(1_000_000);
    let start_ms = if q.step_ms > 0 {
        q.start_ns.div_euclid(1_000_000)
    } else {
        end_ms
    };
    let steps: Vec<i64> = (0..)
        .map(|k| start_ms + k * step_ms)
        .take_while(|t| *t <= end_ms)
        .take(11_001)
        .collect();
    let mut scratch = Tsdb::with_limits(TsdbLimits {
        max_series: MAX_SERIES + 1,
        max_samples: 20_000_000,
        retention_ms: i64::MAX / 4,
    });
    for (i, agg) in aggs.iter().enumerate() {
        let name = format!("__logql_{i}");
        let range_ns = agg.range_ms * 1_000_000;
        let offset_ns = agg.offset_ms * 1_000_000;
        let first = steps.first().copied().unwrap_or(end_ms) * 1_000_000 - offset_ns - range_ns;
        let last = steps.last().copied().unwrap_or(end_ms) * 1_000_000 - offset_ns;
        let series = samples(agg, store, first, last, pushed.get(&name))?;
        let range_s = agg.range_ms as f64 / 1000.0;
        // A write the scratch store refuses (its series or sample limit)
        // would leave a hole in the result: the query fails instead.
        let write = |scratch: &mut Tsdb, labels: &Labels, ts_ms: i64, value: f64| {
            scratch
                .append(&labels.with(METRIC_NAME, &name), Sample { ts_ms, value })
                .map_err(|e| LogqlError {
                    span: agg.span.clone(),
                    message: match e {
                        AppendError::SeriesLimit { limit, .. } => format!(
                            "the query would make more than {limit} series: aggregate with sum by (…) or drop labels with | keep / | drop"
                        ),
                        AppendError::SampleLimit { limit, .. } => format!(
                            "the query would make more than {limit} samples: query a shorter range, take a longer step, or aggregate with sum by (…)"
                        ),
                        e => e.to_string(),
                    },
                })
        };
        if agg.func == "absent_over_time" {
            let labels = Labels::new(
                agg.log
                    .matchers
                    .iter()
                    .filter(|m| m.op == MatchOp::Equal)
                    .map(|m| (m.name.clone(), m.value.clone())),
            );
            for &t in &steps {
                let (lo, hi) = (
                    t * 1_000_000 - offset_ns - range_ns,
                    t * 1_000_000 - offset_ns,
                );
                let any = series
                    .values()
                    .any(|p| p.iter().any(|(ts, _)| *ts > lo && *ts <= hi));
                write(&mut scratch, &labels, t, if any { STALE_NAN } else { 1.0 })?;
            }
            continue;
        }
        for (labels, points) in &series {
            let (mut from, mut to) = (0, 0);
            let mut present = false;
            for &t in &steps {
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
                        &mut scratch,
                        labels,
                        t,
                        aggregate(agg, &points[from..to], range_s, (lo, hi)),
                    )?;
                    present = true;
                } else if present {
                    write(&mut scratch, labels, t, STALE_NAN)?;
                    present = false;
                }
            }
        }
    }
    let limits = QueryLimits {
        max_samples: 20_000_000,
        max_steps: 11_001,
    };
    let (mut result, _) = range_query_with_stats(
        &scratch, &expr, start_ms, end_ms, step_ms, limits,
    )
    .map_err(|e| LogqlError {
        span: to_source(e.span.start)..to_source(e.span.end),
        message: e.message,
    })?;
    for s in &mut result {
        if s.labels
            .metric_name()
            .is_some_and(|n| n.starts_with("__logql_"))
        {
            s.labels = s.labels.without(METRIC_NAME);
        }
    }
    Ok(result)
}

#[cfg(test)]
mod tests {
    use super::super::ingest::{IngestOptions, ingest};
    use super::*;

    const S: i64 = 1_000_000_000;

    fn store() -> LogStore {
        let mut store = LogStore::default();
        let mut text = String::new();
        for i in 0..60 {
            let level = if i % 3 == 0 { "error" } else { "info" };
            let ms = 100 + i * 10;
            text.push_str(&format!(
                "ts={} level={level} msg=\"request {i}\" duration={ms}ms\n",
                i * 10
            ));
        }
        ingest(
            &mut store,
            &text,
            &IngestOptions {
                labels: Labels::new([("job", "app")]),
                ..IngestOptions::default()
            },
        )
        .unwrap();
        store
    }

    fn run(q: &str, step_ms: i64) -> Result<LogqlResult, LogqlError> {
        query(
            q,
            &store(),
            &LogQuery {
                start_ns: 0,
                end_ns: 600 * S,
                step_ms,
                limit: 1000,
            },
        )
    }

    fn matrix(q: &str, step_ms: i64) -> Vec<(String, Vec<f64>)> {
        match run(q, step_ms).unwrap_or_else(|e| panic!("{q}: {e}")) {
            LogqlResult::Matrix(m) => m
                .into_iter()
                .map(|s| {
                    (
                        s.labels.to_string(),
                        s.samples.iter().map(|p| p.value).collect(),
                    )
                })
                .collect(),
            other => panic!("{q}: {other:?}"),
        }
    }

    #[test]
    fn log_queries_newest_first() {
        let LogqlResult::Logs(lines) =
            run(r#"{job="app"} |= "error" | logfmt | duration > 500ms"#, 0).unwrap()
        else {
            panic!()
        };
        // Errors are every third line; durations above 500 ms from line 41 on: 42, 45, …, 57.
        assert_eq!(lines.len(), 6);
        assert!(lines[0].ts_ns > lines[1].ts_ns);
        assert!(lines[0].line.contains("request 57"));
    }

    #[test]
    fn metric_queries() {
        // Instant: the last 5 minutes end at 600 s, left-open, so lines at 310..=590 s.
        assert_eq!(
            matrix(r#"count_over_time({job="app"}[5m])"#, 0),
            [("{job=\"app\"}".to_string(), vec![29.0])]
        );
        assert_eq!(
            matrix(
                r#"sum by (level) (count_over_time({job="app"} | logfmt [5m]))"#,
                0
            ),
            [
                ("{level=\"error\"}".to_string(), vec![9.0]),
                ("{level=\"info\"}".to_string(), vec![20.0])
            ]
        );
        // One error line (570 s) in (540, 600].
        assert_eq!(
            matrix(r#"sum(rate({job="app"} |= "error" [1m]))"#, 0),
            [("{}".to_string(), vec![1.0 / 60.0])]
        );
        let avg = matrix(
            r#"avg_over_time({job="app"} | logfmt | unwrap duration(duration) [1m]) by (job)"#,
            0,
        );
        assert_eq!(avg[0].0, "{job=\"app\"}");
        assert!((avg[0].1[0] - 0.67).abs() < 1e-9, "{avg:?}");
        let range = matrix(r#"sum(count_over_time({job="app"}[1m])) * 2"#, 60_000);
        assert_eq!(range[0].1.len(), 11);
        assert_eq!(
            range[0].1[..],
            [
                2.0, 12.0, 12.0, 12.0, 12.0, 12.0, 12.0, 12.0, 12.0, 12.0, 10.0
            ]
        );
        assert_eq!(
            matrix(r#"absent_over_time({job="nothing"}[1m])"#, 0),
            [("{job=\"nothing\"}".to_string(), vec![1.0])]
        );
        assert!(matrix(r#"absent_over_time({job="app"}[1m])"#, 0).is_empty());
        assert_eq!(
            matrix(
                r#"topk(1, sum by (level) (count_over_time({job="app"} | logfmt [10m])))"#,
                0
            )[0]
            .0,
            "{level=\"info\"}"
        );
    }

    #[test]
    fn searching_the_buffer_finds_what_each_line_would() {
        let mut store = LogStore::default();
        let lines = "ERROR first\nnothing\ntwo ERROR ERROR\nends with ERROR\nERRO R\n\nERROR";
        ingest(&mut store, lines, &IngestOptions::default()).unwrap();
        let stream = &store.streams()[0];
        let expr = parse_log_query(r#"{job="pasted"} |= "ERROR""#).unwrap();
        let fast = matching_lines(stream, 0..stream.len(), &expr);
        let slow: Vec<usize> = (0..stream.len())
            .filter(|&i| stream.entry(i).line.contains("ERROR"))
            .collect();
        assert_eq!(fast, slow);
        assert_eq!(fast, [0, 2, 3, 5]);
        assert_eq!(matching_lines(stream, 1..3, &expr), [2]);
    }

    #[test]
    fn errors_point_into_the_query() {
        let e = run(r#"sum by (level (count_over_time({job="app"}[5m]))"#, 0).unwrap_err();
        assert!(e.span.start <= 14, "{e:?}");
        let e = run(r#"sum(count_over_time({job="app"} | json [5m]))"#, 0).unwrap_err();
        assert!(e.message.contains("JSONParserErr"), "{e}");
        assert!(
            run(
                r#"sum(count_over_time({job="app"} | json | __error__="" [5m]))"#,
                0
            )
            .is_ok()
        );
        let e = run(r#"count_over_time({job="app"}[5m]) by (level)"#, 0).unwrap_err();
        assert!(e.message.contains("only allowed on unwrapped"), "{e}");
    }
}
