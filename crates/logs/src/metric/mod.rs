//! Running LogQL: a log query returns lines, newest first; a metric query
//! evaluates each range aggregation (`count_over_time({…} | … [5m])`) over
//! the logs at every step (`range.rs`), then runs the expression around
//! them — vector aggregations, binary operations, `topk`, `sort` — on the
//! PromQL evaluator, whose semantics LogQL shares (`sample.rs`).
//!
//! ```text
//! sum by (level) (count_over_time({job="x"} | logfmt [5m]))
//!   → the series __logql_0{…} at every step, in a scratch store
//!   → PromQL's sum by (level) (__logql_0), names removed
//! ```

mod range;
mod sample;

pub use crate::parser::is_metric_query;
pub use range::MAX_SERIES;

use crate::parser::{Expr, LineFilterOp, LogExpr, LogqlError, StageKind, parse};
use crate::pipeline::{LabelSet, passes_line_filters, process};
use crate::store::{LogStore, Stream};
use o11y_model::labels::Labels;
use o11y_promql::eval::RangeSeries;

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

/// Runs a log or metric query.
pub fn query(src: &str, store: &LogStore, q: &LogQuery) -> Result<LogqlResult, LogqlError> {
    match parse(src)? {
        Expr::Log(expr) => Ok(LogqlResult::Logs(log_lines(&expr, store, q))),
        Expr::Sample(expr) => sample::metric_query(&expr, store, q).map(LogqlResult::Matrix),
    }
}

/// Whether a pipeline has only line filters (no labels need building).
pub fn only_line_filters(expr: &LogExpr) -> bool {
    expr.stages
        .iter()
        .all(|s| matches!(s.kind, StageKind::LineFilter(_)))
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
                if !passes_line_filters(&expr.stages, e.line) {
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
    o11y_model::sort::sort_by_key(&mut out[..], |l| std::cmp::Reverse(l.ts_ns));
    out.truncate(q.limit);
    out
}

/// The lines of `range` that pass a pipeline of line filters only. A single
/// `|= "text"` searches the stream's buffer across lines at once (as grep
/// does) and maps each hit to its line.
pub fn matching_lines(
    stream: &Stream,
    range: std::ops::Range<usize>,
    expr: &LogExpr,
) -> Vec<usize> {
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
        .filter(|&i| passes_line_filters(&expr.stages, stream.entry(i).line))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::{IngestOptions, ingest};
    use crate::parser::parse_log_query;

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
