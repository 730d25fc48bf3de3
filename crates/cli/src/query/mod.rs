//! `o11y query EXPR FILE…`: PromQL over OpenMetrics files with timestamps
//! (what `promtool tsdb create-blocks-from openmetrics` reads), printed as
//! Prometheus's HTTP API prints it.
//!
//! ```text
//! o11y query 'sum by (route) (rate(http_requests_total[5m]))' data.om \
//!     --start 1700000000 --end 2023-11-14T23:13:20Z --step 15s
//! {"status":"success","data":{"resultType":"matrix","result":[{"metric":{"route":"/r0"},"values":[[1700000000,"12.5"],…]}]}}
//! o11y query --queries queries.txt --start … --end … --step 15s --repeat 3 --stats data.om
//! ```
//!
//! Files are read in chunks of lines and parsed by `expfmt` (the family's
//! metadata lines carried into the next chunk), on a thread of their own
//! while the samples are appended, so a file of several gigabytes loads in
//! bounded memory. Every sample the TSDB refuses is counted by reason and
//! reported on standard error; a bad line stops the load with its line and
//! column (exit 1), as does a sample without a timestamp (promtool's rule).

mod load;

use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use load::{LoadReport, load_files};
use o11y_engine::metrics::tsdb::Tsdb;
use o11y_engine::model::labels::Labels;
use o11y_engine::model::number::{format_api_float, write_api_timestamp};
use o11y_engine::promql::eval::{
    Evaluator, QueryLimits, QueryStats, RangeSeries, Value, VectorSample, range_query_with_stats,
};

/// `o11y query`'s arguments.
#[derive(clap::Args)]
#[command(after_help = "\
Output: one Prometheus API response per query, on one line each: \
{\"status\":\"success\",\"data\":{\"resultType\":…,\"result\":…}} or \
{\"status\":\"error\",\"errorType\":\"bad_data\"|\"execution\",\"error\":…} (exit 1). \
With --stats each response also has Prometheus's `stats=all` field: \
stats.timings.execTotalTime (the best evaluation of --repeat, in seconds, loading \
excluded), stats.timings.loadTime, stats.samples.totalQueryableSamples (samples read \
by selectors over all steps), and stats.storage (series, samples, chunks, chunkBytes, \
bytesPerSample of the loaded TSDB); a load summary goes to standard error.")]
pub struct QueryArgs {
    /// The expression, then the OpenMetrics files (with --queries: only the files).
    #[arg(required = true, value_name = "EXPR FILE")]
    args: Vec<String>,
    /// A file of expressions, one per line (blank lines and lines starting
    /// with `#` skipped): the files are loaded once and each is evaluated.
    #[arg(long, value_name = "FILE")]
    queries: Option<PathBuf>,
    /// Instant query at this time (RFC 3339 or Unix seconds); by default,
    /// the newest sample's time.
    #[arg(long, value_name = "T", allow_hyphen_values = true)]
    time: Option<String>,
    /// Range query from this time (RFC 3339 or Unix seconds); needs --end and --step.
    #[arg(long, value_name = "S", allow_hyphen_values = true)]
    start: Option<String>,
    /// Range query to this time (RFC 3339 or Unix seconds).
    #[arg(long, value_name = "E", allow_hyphen_values = true)]
    end: Option<String>,
    /// Range query step: a duration (`15s`, `1m`) or seconds (`15`, `0.5`).
    #[arg(long, value_name = "D")]
    step: Option<String>,
    /// Evaluate each query this many times and report the best time.
    #[arg(long, default_value_t = 1, value_name = "N")]
    repeat: usize,
    /// Add Prometheus's `stats` field (timings, samples, storage) to each response.
    #[arg(long)]
    stats: bool,
}

/// The query's time parameters, checked as Prometheus's API checks them.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Range {
    Instant(Option<i64>),
    Range {
        start_ms: i64,
        end_ms: i64,
        step_ms: i64,
    },
}

/// An API error: Prometheus's `errorType` and message.
#[derive(Debug, PartialEq)]
struct ApiError {
    kind: &'static str,
    message: String,
}

impl ApiError {
    fn bad_data(message: impl Into<String>) -> ApiError {
        ApiError {
            kind: "bad_data",
            message: message.into(),
        }
    }
}

/// Prometheus's `parseTime`: Unix seconds (rounded to the millisecond) or RFC 3339.
fn parse_time(text: &str) -> Option<i64> {
    if let Ok(seconds) = text.parse::<f64>() {
        if !seconds.is_finite() || seconds.abs() > 9.2e15 {
            return None;
        }
        let whole = seconds.trunc();
        let ms = ((seconds - whole) * 1000.0).round();
        return Some(whole as i64 * 1000 + ms as i64);
    }
    let ns = o11y_engine::model::time::parse_rfc3339(text)?;
    Some(ns.div_euclid(1_000_000))
}

/// Prometheus's `parseDuration`: seconds as a float, or a duration (`15s`).
fn parse_step(text: &str) -> Option<i64> {
    if let Ok(seconds) = text.parse::<f64>() {
        let ms = seconds * 1000.0;
        return (ms.is_finite() && ms.abs() < 9.2e18).then_some(ms as i64);
    }
    o11y_engine::model::duration::parse_duration(text).ok()
}

fn time_param(name: &str, text: &str) -> Result<i64, ApiError> {
    parse_time(text).ok_or_else(|| {
        ApiError::bad_data(format!(
            "invalid parameter \"{name}\": cannot parse \"{text}\" to a valid timestamp"
        ))
    })
}

/// Prometheus's `/api/v1/query_range` checks, in its order.
fn range_params(args: &QueryArgs) -> Result<Range, ApiError> {
    match (&args.time, &args.start, &args.end, &args.step) {
        (time, None, None, None) => Ok(Range::Instant(
            time.as_deref().map(|t| time_param("time", t)).transpose()?,
        )),
        (None, Some(start), Some(end), Some(step)) => {
            let start_ms = time_param("start", start)?;
            let end_ms = time_param("end", end)?;
            if end_ms < start_ms {
                return Err(ApiError::bad_data(
                    "invalid parameter \"end\": end timestamp must not be before start time",
                ));
            }
            let step_ms = parse_step(step).ok_or_else(|| {
                ApiError::bad_data(format!(
                    "invalid parameter \"step\": cannot parse \"{step}\" to a valid duration"
                ))
            })?;
            if step_ms <= 0 {
                return Err(ApiError::bad_data(
                    "invalid parameter \"step\": zero or negative query resolution step widths are not accepted. Try a positive integer",
                ));
            }
            // Prometheus: "For safety, limit the number of returned points per timeseries."
            if (end_ms - start_ms) / step_ms > 11_000 {
                return Err(ApiError::bad_data(
                    "exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)",
                ));
            }
            Ok(Range::Range {
                start_ms,
                end_ms,
                step_ms,
            })
        }
        (Some(_), ..) => Err(ApiError::bad_data(
            "--time is for an instant query; a range query takes --start, --end and --step",
        )),
        _ => Err(ApiError::bad_data(
            "a range query needs --start, --end and --step",
        )),
    }
}

/// What one query gave: its result or its error, and what it cost.
struct Answer {
    result: Result<Evaluated, ApiError>,
    best_s: f64,
    stats: QueryStats,
}

enum Evaluated {
    Instant(Value, i64),
    Range(Vec<RangeSeries>),
}

fn limits() -> QueryLimits {
    // Prometheus's limits are on points per series (checked in
    // `range_params`) and on samples held at once, not on samples read.
    QueryLimits {
        max_samples: usize::MAX,
        max_steps: usize::MAX,
    }
}

/// Parses and evaluates `query` `repeat` times (at least once); the last
/// result and the best time.
fn evaluate(db: &Tsdb, query: &str, range: Range, repeat: usize) -> Answer {
    let expr = match o11y_engine::promql::parse(query) {
        Ok(expr) => expr,
        Err(e) => {
            return Answer {
                result: Err(ApiError::bad_data(parse_error_text(query, &e))),
                best_s: 0.0,
                stats: QueryStats::default(),
            };
        }
    };
    let mut best_s = f64::MAX;
    let mut last = None;
    for _ in 0..repeat.max(1) {
        let started = Instant::now();
        let outcome = match range {
            Range::Instant(at) => {
                let ts_ms = at.or_else(|| db.newest_ms()).unwrap_or(0);
                let evaluator = Evaluator::new(db, ts_ms, ts_ms, 0, limits()).prepare(&expr);
                evaluator
                    .eval(&expr, ts_ms)
                    .map(|v| (Evaluated::Instant(v, ts_ms), evaluator.stats()))
            }
            Range::Range {
                start_ms,
                end_ms,
                step_ms,
            } => range_query_with_stats(db, &expr, start_ms, end_ms, step_ms, limits())
                .map(|(series, stats)| (Evaluated::Range(series), stats)),
        };
        best_s = best_s.min(started.elapsed().as_secs_f64());
        let failed = outcome.is_err();
        last = Some(outcome);
        if failed {
            break;
        }
    }
    match last {
        Some(Ok((result, stats))) => Answer {
            result: Ok(result),
            best_s,
            stats,
        },
        Some(Err(e)) => Answer {
            result: Err(ApiError {
                kind: "execution",
                message: e.message,
            }),
            best_s,
            stats: QueryStats::default(),
        },
        None => unreachable!("evaluated at least once"),
    }
}

/// Prometheus's parse error text: `line:col: parse error: message`, the
/// column counted in bytes from 1, as Go's `ParseErr` does.
fn parse_error_text(query: &str, e: &o11y_engine::promql::ParseError) -> String {
    let (line, col) = line_col(query, e.span.start);
    format!("{line}:{col}: parse error: {}", e.message)
}

fn line_col(text: &str, at: usize) -> (usize, usize) {
    let at = at.min(text.len());
    let before = &text.as_bytes()[..at];
    let line = 1 + before.iter().filter(|b| **b == b'\n').count();
    let line_start = before
        .iter()
        .rposition(|b| *b == b'\n')
        .map_or(0, |i| i + 1);
    (line, at - line_start + 1)
}

/// A JSON string as Go's encoder writes it (`<`, `>`, `&` escaped too).
fn json_string(out: &mut String, s: &str) {
    let quoted = serde_json::Value::String(s.to_string()).to_string();
    for c in quoted.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
}

fn json_labels(out: &mut String, labels: &Labels) {
    out.push('{');
    for (i, l) in labels.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        json_string(out, &l.name);
        out.push(':');
        json_string(out, &l.value);
    }
    out.push('}');
}

fn json_point(out: &mut String, ts_ms: i64, value: &str) {
    out.push('[');
    write_api_timestamp(out, ts_ms);
    out.push(',');
    json_string(out, value);
    out.push(']');
}

fn json_vector(out: &mut String, samples: &[VectorSample], ts_ms: i64) {
    out.push_str("\"resultType\":\"vector\",\"result\":[");
    // The TSDB holds floats only, so no sample here is a native histogram.
    for (i, s) in samples.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str("{\"metric\":");
        json_labels(out, &s.labels);
        out.push_str(",\"value\":");
        json_point(out, ts_ms, &format_api_float(s.value));
        out.push('}');
    }
    out.push(']');
}

fn json_matrix(out: &mut String, series: &[RangeSeries]) {
    out.push_str("\"resultType\":\"matrix\",\"result\":[");
    for (i, s) in series.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str("{\"metric\":");
        json_labels(out, &s.labels);
        out.push_str(",\"values\":[");
        for (j, p) in s.samples.iter().enumerate() {
            if j > 0 {
                out.push(',');
            }
            json_point(out, p.ts_ms, &format_api_float(p.value));
        }
        out.push_str("]}");
    }
    out.push(']');
}

/// One response as Prometheus's API writes it, without a final newline.
fn response_json(answer: &Answer, stats: Option<&str>) -> String {
    let mut out = String::new();
    match &answer.result {
        Err(e) => {
            out.push_str("{\"status\":\"error\",\"errorType\":");
            json_string(&mut out, e.kind);
            out.push_str(",\"error\":");
            json_string(&mut out, &e.message);
            out.push('}');
            return out;
        }
        Ok(result) => {
            out.push_str("{\"status\":\"success\",\"data\":{");
            match result {
                Evaluated::Range(series) => json_matrix(&mut out, series),
                Evaluated::Instant(Value::Vector(samples), ts_ms) => {
                    json_vector(&mut out, samples, *ts_ms)
                }
                Evaluated::Instant(Value::Matrix(series), _) => json_matrix(&mut out, series),
                Evaluated::Instant(Value::Scalar(v), ts_ms) => {
                    out.push_str("\"resultType\":\"scalar\",\"result\":");
                    json_point(&mut out, *ts_ms, &format_api_float(*v));
                }
                Evaluated::Instant(Value::String(s), ts_ms) => {
                    out.push_str("\"resultType\":\"string\",\"result\":");
                    json_point(&mut out, *ts_ms, s);
                }
            }
            if let Some(stats) = stats {
                out.push_str(",\"stats\":");
                out.push_str(stats);
            }
            out.push_str("}}");
        }
    }
    out
}

/// The `stats` field: Prometheus's names where it has one.
fn stats_json(answer: &Answer, load_s: f64, db: &Tsdb) -> String {
    let storage = db.stats();
    let bytes_per_sample = storage.chunk_bytes as f64 / storage.samples.max(1) as f64;
    serde_json::json!({
        "timings": {
            "execTotalTime": answer.best_s,
            "loadTime": load_s,
        },
        "samples": {
            "totalQueryableSamples": answer.stats.samples_touched,
            "samplesLoaded": answer.stats.samples_loaded,
        },
        "storage": {
            "series": storage.series,
            "samples": storage.samples,
            "chunks": storage.chunks,
            "chunkBytes": storage.chunk_bytes,
            "bytesPerSample": bytes_per_sample,
        },
    })
    .to_string()
}

/// Where the caret goes under a query for a parse error, on standard error.
fn point_at(query: &str, e: &o11y_engine::promql::ParseError) {
    let at = e.span.start.min(query.len());
    let line_start = query[..at].rfind('\n').map_or(0, |i| i + 1);
    let line_end = query[at..].find('\n').map_or(query.len(), |i| at + i);
    let pad = " ".repeat(query[line_start..at].chars().count());
    eprintln!("{}\n{pad}^ {}", &query[line_start..line_end], e.message);
}

/// `o11y query`.
pub fn run(args: &QueryArgs) -> ExitCode {
    let (queries, files): (Vec<String>, &[String]) = match &args.queries {
        Some(path) => match std::fs::read_to_string(path) {
            Ok(text) => (
                text.lines()
                    .map(str::trim)
                    .filter(|l| !l.is_empty() && !l.starts_with('#'))
                    .map(str::to_string)
                    .collect(),
                &args.args,
            ),
            Err(e) => {
                eprintln!("o11y query: {}: {e}", path.display());
                return ExitCode::from(2);
            }
        },
        None => (vec![args.args[0].clone()], &args.args[1..]),
    };
    if files.is_empty() {
        eprintln!("o11y query: no OpenMetrics file to read");
        return ExitCode::from(2);
    }
    let range = match range_params(args) {
        Ok(range) => range,
        Err(e) => {
            let answer = Answer {
                result: Err(e),
                best_s: 0.0,
                stats: QueryStats::default(),
            };
            println!("{}", response_json(&answer, None));
            return ExitCode::FAILURE;
        }
    };
    let files: Vec<PathBuf> = files.iter().map(PathBuf::from).collect();
    let started = Instant::now();
    let mut report = LoadReport::default();
    let db = match load_files(&files, &mut report) {
        Ok(db) => db,
        Err(message) => {
            eprintln!("o11y query: {message}");
            return ExitCode::FAILURE;
        }
    };
    let load_s = started.elapsed().as_secs_f64();
    print_load_report(&db, &report, load_s, args.stats);
    let stdout = std::io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    let mut failed = false;
    for query in &queries {
        let answer = evaluate(&db, query, range, args.repeat);
        if let Err(e) = &answer.result {
            failed = true;
            if e.kind == "bad_data"
                && let Err(parse_error) = o11y_engine::promql::parse(query)
            {
                point_at(query, &parse_error);
            }
        }
        let stats = args.stats.then(|| stats_json(&answer, load_s, &db));
        // Each response as it comes: a run of slow queries shows its progress.
        if writeln!(out, "{}", response_json(&answer, stats.as_deref()))
            .and_then(|()| out.flush())
            .is_err()
        {
            return ExitCode::from(2);
        }
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

/// Refusals always (no sample is dropped silently), the load's figures with `--stats`.
fn print_load_report(db: &Tsdb, report: &LoadReport, load_s: f64, stats: bool) {
    if !report.refused.is_empty() {
        let reasons: Vec<String> = report
            .refused
            .iter()
            .map(|(reason, n)| format!("{n} {reason}"))
            .collect();
        eprintln!(
            "o11y query: {} of {} samples refused ({}); first: {}",
            report.refused.total(),
            report.samples_read,
            reasons.join(", "),
            report.first_refusal.as_deref().unwrap_or("")
        );
    }
    if stats {
        let s = db.stats();
        eprintln!(
            "o11y query: loaded {} samples of {} series in {load_s:.2} s; {} chunks, {} bytes, {:.3} bytes/sample",
            s.samples,
            s.series,
            s.chunks,
            s.chunk_bytes,
            s.chunk_bytes as f64 / s.samples.max(1) as f64
        );
    }
}

#[cfg(test)]
mod tests {
    use super::load::{CHUNK_BYTES, load_into, unbounded_tsdb};
    use super::*;
    use crate::gen_openmetrics::{GenArgs, generate};

    /// Two counters scraped every 15 s from t = 0, one with a reset, and a gauge.
    const FILE: &str = "\
# TYPE http_requests counter
http_requests_total{route=\"/a\"} 0 0
http_requests_total{route=\"/a\"} 30 15
http_requests_total{route=\"/a\"} 60 30
http_requests_total{route=\"/a\"} 90 45
http_requests_total{route=\"/a\"} 120 60
http_requests_total{route=\"/b\"} 10 0
http_requests_total{route=\"/b\"} 20 15.5
http_requests_total{route=\"/b\"} 5 30
http_requests_total{route=\"/b\"} 15 45
# TYPE temperature_celsius gauge
temperature_celsius 21.5 0
temperature_celsius 1e-07 60
# EOF
";

    fn load(text: &str, chunk_bytes: usize) -> (Tsdb, LoadReport) {
        let mut db = unbounded_tsdb();
        let mut report = LoadReport::default();
        load_into(&mut db, text.as_bytes(), chunk_bytes, &mut report).expect("the file loads");
        (db, report)
    }

    fn load_error(text: &str) -> String {
        let mut db = unbounded_tsdb();
        let mut report = LoadReport::default();
        match load_into(&mut db, text.as_bytes(), 64, &mut report) {
            Ok(()) => "loaded".to_string(),
            Err(e) => format!("{}:{}: {}", e.line, e.column, e.message),
        }
    }

    fn check(text: &str, query: &str, range: Range, expected: &str) {
        for chunk_bytes in [CHUNK_BYTES, 40] {
            let (db, _) = load(text, chunk_bytes);
            let answer = evaluate(&db, query, range, 1);
            assert_eq!(
                response_json(&answer, None),
                expected,
                "{query} (chunks of {chunk_bytes} bytes)"
            );
        }
    }

    fn range(start_s: i64, end_s: i64, step_s: i64) -> Range {
        Range::Range {
            start_ms: start_s * 1000,
            end_ms: end_s * 1000,
            step_ms: step_s * 1000,
        }
    }

    #[test]
    fn loads_every_sample_whatever_the_chunk_size() {
        for chunk_bytes in [1, 40, 100, CHUNK_BYTES] {
            let (db, report) = load(FILE, chunk_bytes);
            assert_eq!(db.stats().samples, 11, "chunks of {chunk_bytes} bytes");
            assert_eq!(db.stats().series, 3);
            assert!(report.refused.is_empty());
        }
    }

    #[test]
    fn instant_queries() {
        check(
            FILE,
            "http_requests_total",
            Range::Instant(Some(60_000)),
            r#"{"status":"success","data":{"resultType":"vector","result":[{"metric":{"__name__":"http_requests_total","route":"/a"},"value":[60,"120"]},{"metric":{"__name__":"http_requests_total","route":"/b"},"value":[60,"15"]}]}}"#,
        );
        // (60 - 0) / 60 s over the window (0, 60]: samples at 15..60, 90 / 45 s
        // extrapolated to the window's 60 s (the first sample is 15 s in).
        check(
            FILE,
            "sum(increase(http_requests_total{route=\"/a\"}[1m]))",
            Range::Instant(Some(60_000)),
            r#"{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[60,"120"]}]}}"#,
        );
        check(
            FILE,
            "temperature_celsius",
            Range::Instant(Some(61_500)),
            r#"{"status":"success","data":{"resultType":"vector","result":[{"metric":{"__name__":"temperature_celsius"},"value":[61.500,"1e-07"]}]}}"#,
        );
        check(
            FILE,
            "1 / 0",
            Range::Instant(Some(1)),
            r#"{"status":"success","data":{"resultType":"scalar","result":[0.001,"+Inf"]}}"#,
        );
        check(
            FILE,
            "\"text\"",
            Range::Instant(Some(5_000)),
            r#"{"status":"success","data":{"resultType":"string","result":[5,"text"]}}"#,
        );
        // A range selector at the top of an instant query is a matrix; with
        // no time given, at the newest sample (the gauge's, 60 s): (40, 60].
        check(
            FILE,
            "http_requests_total{route=\"/b\"}[20s]",
            Range::Instant(None),
            r#"{"status":"success","data":{"resultType":"matrix","result":[{"metric":{"__name__":"http_requests_total","route":"/b"},"values":[[45,"15"]]}]}}"#,
        );
    }

    #[test]
    fn range_queries() {
        // At 30 s the window (0, 30] holds 20 at 15.5 s and 5 at 30 s: a reset,
        // so an increase of 5 over 14.5 s, extrapolated by the 15.5 s to the
        // window's start (under 1.1 average intervals): 5 × 30 / 14.5 over
        // 30 s = 10/29. At 45 s, (15, 45] holds 20 → 5 → 15: 15 over 29.5 s,
        // extrapolated by 0.5 s: 15 / 29.5 = 30/59.
        check(
            FILE,
            "rate(http_requests_total{route=\"/b\"}[30s])",
            range(30, 45, 15),
            r#"{"status":"success","data":{"resultType":"matrix","result":[{"metric":{"route":"/b"},"values":[[30,"0.3448275862068966"],[45,"0.5084745762711864"]]}]}}"#,
        );
        check(
            FILE,
            "max_over_time(http_requests_total[1m]) - min_over_time(http_requests_total[1m])",
            range(0, 60, 30),
            r#"{"status":"success","data":{"resultType":"matrix","result":[{"metric":{"route":"/a"},"values":[[0,"0"],[30,"60"],[60,"90"]]},{"metric":{"route":"/b"},"values":[[0,"0"],[30,"15"],[60,"15"]]}]}}"#,
        );
        check(
            FILE,
            "count(http_requests_total) * 0.5",
            range(0, 60, 60),
            r#"{"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[[0,"1"],[60,"1"]]}]}}"#,
        );
    }

    #[test]
    fn refused_samples_are_counted() {
        let text = "\
up 1 10
up 2 5
up 1 10
up 3 10
# EOF
";
        let (db, report) = load(text, CHUNK_BYTES);
        assert_eq!(db.stats().samples, 1);
        assert_eq!(report.samples_read, 4);
        assert_eq!(report.refused.get("out_of_order"), 1);
        assert_eq!(report.refused.get("duplicate_timestamp"), 1);
        assert_eq!(
            report.first_refusal.as_deref(),
            Some(
                "line 2: out of order sample for up: 5000 is before the series' newest sample at 10000"
            )
        );
    }

    #[test]
    fn bad_lines_stop_the_load_at_their_place() {
        let bad_value = "# TYPE up gauge\nup 1 10\nup 2 20\nup{job=\"a\"} x 30\n# EOF\n";
        assert_eq!(load_error(bad_value), "4:13: invalid value \"x\"");
        let no_ts = "# TYPE up gauge\nup 1 10\nup 2\n# EOF\n";
        assert_eq!(load_error(no_ts), "3:1: expected a timestamp for series up");
        assert_eq!(
            load_error("up 1 10\n"),
            "1:1: OpenMetrics text must end with a line \"# EOF\""
        );
        assert_eq!(
            load_error("up 1 10\n# EOF\nup 2 20\n"),
            "3:1: nothing may follow # EOF (line 2)"
        );
        // The type carried into the next chunk still checks the buckets' `le`.
        let mut long = "# TYPE d histogram\n".to_string();
        for i in 0..20 {
            long.push_str(&format!("d_bucket{{le=\"1\"}} {i} {i}\n"));
        }
        long.push_str("d_bucket 1 99\n# EOF\n");
        assert_eq!(load_error(&long), "22:1: d_bucket needs a \"le\" label");
    }

    #[test]
    fn query_errors_as_prometheus_prints_them() {
        let (db, _) = load(FILE, CHUNK_BYTES);
        let answer = evaluate(&db, "sum(rate(x[5m])", Range::Instant(Some(0)), 1);
        let json = response_json(&answer, None);
        assert!(
            json.starts_with(
                r#"{"status":"error","errorType":"bad_data","error":"1:16: parse error: "#
            ),
            "{json}"
        );
        let args = |time: Option<&str>, start: Option<&str>, step: Option<&str>| QueryArgs {
            args: vec![],
            queries: None,
            time: time.map(str::to_string),
            start: start.map(str::to_string),
            end: start.map(|_| "2023-11-14T22:13:20.5Z".to_string()),
            step: step.map(str::to_string),
            repeat: 1,
            stats: false,
        };
        assert_eq!(
            range_params(&args(Some("yesterday"), None, None)),
            Err(ApiError::bad_data(
                "invalid parameter \"time\": cannot parse \"yesterday\" to a valid timestamp"
            ))
        );
        assert_eq!(
            range_params(&args(None, Some("1700000000"), Some("0s"))),
            Err(ApiError::bad_data(
                "invalid parameter \"step\": zero or negative query resolution step widths are not accepted. Try a positive integer"
            ))
        );
        assert_eq!(
            range_params(&args(None, Some("1699999999.9996"), Some("1m30s"))),
            Ok(Range::Range {
                start_ms: 1_700_000_000_000,
                end_ms: 1_700_000_000_500,
                step_ms: 90_000
            })
        );
        assert_eq!(
            range_params(&args(None, Some("1699999000"), Some("0.05"))),
            Err(ApiError::bad_data(
                "exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)"
            ))
        );
    }

    #[test]
    fn floats_and_times_as_prometheus_writes_them() {
        for (v, text) in [
            (1.5, "1.5"),
            (100.0, "100"),
            (-0.0, "-0"),
            (1e20, "100000000000000000000"),
            (1e21, "1e+21"),
            (1.5e-7, "1.5e-07"),
            (0.000001, "0.000001"),
            (-2.5e300, "-2.5e+300"),
            (f64::NAN, "NaN"),
            (f64::INFINITY, "+Inf"),
            (f64::NEG_INFINITY, "-Inf"),
        ] {
            assert_eq!(format_api_float(v), text);
        }
        for (ts_ms, text) in [
            (0, "0"),
            (1_500, "1.500"),
            (1_005, "1.005"),
            (-1_050, "-1.050"),
        ] {
            let mut out = String::new();
            write_api_timestamp(&mut out, ts_ms);
            assert_eq!(out, text);
        }
    }

    #[test]
    fn generated_files_load_whole() {
        let args = GenArgs {
            series: 40,
            hours: 1,
            start: 1_700_000_000,
            seed: 7,
            out: None,
        };
        let mut text = Vec::new();
        generate(&mut text, &args).expect("writes to memory");
        let text = String::from_utf8(text).expect("UTF-8");
        let (db, report) = load(&text, 4096);
        assert!(report.refused.is_empty());
        assert_eq!(db.stats().series, 80);
        assert_eq!(db.stats().samples, 80 * 240);
        // Buckets are cumulative at every scrape.
        let answer = evaluate(
            &db,
            "count(http_request_duration_seconds_bucket{le=\"0.005\"} > on (route, instance) group_left http_request_duration_seconds_bucket{le=\"+Inf\"})",
            Range::Instant(Some(1_700_003_000_000)),
            1,
        );
        assert_eq!(
            response_json(&answer, None),
            r#"{"status":"success","data":{"resultType":"vector","result":[]}}"#
        );
    }
}
