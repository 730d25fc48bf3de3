//! `o11y logql QUERY FILE…`: loads log files (JSON lines, logfmt, plain,
//! Loki push JSON or OTLP/JSON) and prints what the query returns, as
//! Loki's query API does: `streams` for a log query, `matrix` (or `vector`
//! with `--instant`) for a metric query.

use std::process::ExitCode;

use o11y_engine::logs::ingest::{IngestOptions, ingest};
use o11y_engine::logs::metric::{LogQuery, LogqlResult, query};
use o11y_engine::logs::store::LogStore;
use o11y_engine::model::labels::Labels;
use serde_json::{Map, Value, json};

pub struct Options {
    pub limit: usize,
    pub step_ms: Option<i64>,
    pub instant: bool,
    pub label_fields: Vec<String>,
}

fn labels_json<'a>(pairs: impl Iterator<Item = (&'a str, &'a str)>) -> Value {
    Value::Object(
        pairs
            .map(|(k, v)| (k.to_string(), Value::String(v.to_string())))
            .collect::<Map<_, _>>(),
    )
}

pub fn run(q: &str, files: &[std::path::PathBuf], options: &Options) -> ExitCode {
    let mut store = LogStore::default();
    for (i, file) in files.iter().enumerate() {
        let text = match std::fs::read_to_string(file) {
            Ok(t) => t,
            Err(e) => {
                eprintln!("{}: {e}", file.display());
                return ExitCode::from(2);
            }
        };
        let ingest_options = IngestOptions {
            labels: Labels::new([("job", "pasted"), ("filename", &file.display().to_string())]),
            label_fields: options.label_fields.clone(),
            arrival_ns: i as i64 * 1_000_000_000_000,
        };
        if let Err(e) = ingest(&mut store, &text, &ingest_options) {
            eprintln!("{}: {e}", file.display());
            return ExitCode::from(2);
        }
    }
    let times = store
        .streams()
        .iter()
        .flat_map(|s| [s.first_ts(), s.last_ts()].into_iter().flatten());
    let (min, max) = times.fold((i64::MAX, i64::MIN), |(lo, hi), t| (lo.min(t), hi.max(t)));
    let (start_ns, end_ns) = if min > max { (0, 1) } else { (min, max + 1) };
    let step_ms = if options.instant {
        0
    } else {
        options
            .step_ms
            .unwrap_or_else(|| ((end_ns - start_ns) / 1_000_000 / 100).max(1000))
    };
    let lq = LogQuery {
        start_ns,
        end_ns,
        step_ms,
        limit: options.limit,
    };
    let result = match query(q, &store, &lq) {
        Ok(r) => r,
        Err(e) => {
            let pointer = " ".repeat(q[..e.span.start.min(q.len())].chars().count());
            eprintln!("{q}\n{pointer}^ {}", e.message);
            return ExitCode::from(1);
        }
    };
    let data = match result {
        LogqlResult::Logs(lines) => {
            let mut streams: Vec<(Labels, Vec<Value>)> = Vec::new();
            for l in lines {
                let values = json!([l.ts_ns.to_string(), l.line]);
                match streams.iter_mut().find(|(s, _)| *s == l.stream) {
                    Some((_, v)) => v.push(values),
                    None => streams.push((l.stream, vec![values])),
                }
            }
            json!({
                "resultType": "streams",
                "result": streams.into_iter().map(|(s, values)| json!({
                    "stream": labels_json(s.iter().map(|l| (l.name.as_str(), l.value.as_str()))),
                    "values": values,
                })).collect::<Vec<_>>(),
            })
        }
        LogqlResult::Matrix(series) => {
            let point = |p: &o11y_engine::metrics::store::Sample| {
                json!([
                    p.ts_ms as f64 / 1000.0,
                    o11y_engine::model::number::format_float(p.value)
                ])
            };
            if options.instant {
                json!({
                    "resultType": "vector",
                    "result": series.iter().map(|s| json!({
                        "metric": labels_json(s.labels.iter().map(|l| (l.name.as_str(), l.value.as_str()))),
                        "value": s.samples.last().map(point),
                    })).collect::<Vec<_>>(),
                })
            } else {
                json!({
                    "resultType": "matrix",
                    "result": series.iter().map(|s| json!({
                        "metric": labels_json(s.labels.iter().map(|l| (l.name.as_str(), l.value.as_str()))),
                        "values": s.samples.iter().map(point).collect::<Vec<_>>(),
                    })).collect::<Vec<_>>(),
                })
            }
        }
    };
    println!("{}", json!({"status": "success", "data": data}));
    ExitCode::SUCCESS
}
