//! Turning pasted text into log streams: JSON lines, logfmt, plain text,
//! Loki push API JSON (`streams` with `values`) and OTLP/JSON logs
//! (`resourceLogs`). Timestamps come from the usual fields (`timestamp`,
//! `ts`, `time`, `@timestamp`: RFC 3339 or epoch seconds, milliseconds,
//! microseconds or nanoseconds) or, without one, from arrival order.

use std::collections::BTreeMap;

use serde_json::Value as Json;

use super::store::{Entry, LogStore, LogStoreError};
use o11y_model::labels::Labels;
use o11y_model::time::parse_timestamp;

/// Fields a timestamp is looked for in, in order.
pub const TIME_FIELDS: [&str; 4] = ["timestamp", "ts", "time", "@timestamp"];

/// How pasted text becomes streams.
#[derive(Clone, Debug, PartialEq)]
pub struct IngestOptions {
    /// Labels every pasted stream has (default `{job="pasted"}`).
    pub labels: Labels,
    /// Fields of JSON or logfmt lines that become stream labels too.
    pub label_fields: Vec<String>,
    /// The time of a line without a timestamp of its own (ns); later lines
    /// get later times, 1 ms apart.
    pub arrival_ns: i64,
}

impl Default for IngestOptions {
    fn default() -> Self {
        IngestOptions {
            labels: Labels::new([("job", "pasted")]),
            label_fields: Vec::new(),
            arrival_ns: 0,
        }
    }
}

/// What a paste was recognised as.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PasteFormat {
    /// Lines, each JSON, logfmt or plain (counted in the report).
    Lines,
    LokiPush,
    Otlp,
}

/// What an ingest stored.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct IngestReport {
    pub format: Option<PasteFormat>,
    pub lines: usize,
    pub json_lines: usize,
    pub logfmt_lines: usize,
    pub plain_lines: usize,
    /// Lines whose timestamp came from a field.
    pub timestamped: usize,
    pub streams: usize,
}

/// Why a paste could not be stored (what was stored before stays).
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum IngestError {
    #[error("line {line}: {message}")]
    Malformed { line: usize, message: String },
    #[error(transparent)]
    Store(#[from] LogStoreError),
}

/// A parsed line's fields, flattened (`a.b` → `a_b`, as Loki's `json`).
pub type Fields = Vec<(String, String)>;

/// Stores `text` in `store`.
pub fn ingest(
    store: &mut LogStore,
    text: &str,
    options: &IngestOptions,
) -> Result<IngestReport, IngestError> {
    let trimmed = text.trim_start();
    if trimmed.starts_with('{')
        && let Ok(doc) = serde_json::from_str::<Json>(trimmed)
    {
        if doc.get("streams").is_some() {
            return ingest_loki_push(store, &doc);
        }
        if doc.get("resourceLogs").is_some() {
            return ingest_otlp(store, &doc);
        }
    }
    let mut report = IngestReport {
        format: Some(PasteFormat::Lines),
        ..IngestReport::default()
    };
    let mut streams: BTreeMap<Labels, Vec<Entry>> = BTreeMap::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let fields = if let Some(fields) = json_fields(line) {
            report.json_lines += 1;
            fields
        } else if let Some(fields) = logfmt_fields(line, true) {
            report.logfmt_lines += 1;
            fields
        } else {
            report.plain_lines += 1;
            Vec::new()
        };
        let ts_ns = match fields
            .iter()
            .find(|(k, _)| TIME_FIELDS.contains(&k.as_str()))
            .and_then(|(_, v)| parse_timestamp(v))
        {
            Some(ts) => {
                report.timestamped += 1;
                ts
            }
            None => options.arrival_ns + i as i64 * 1_000_000,
        };
        let mut labels = options.labels.clone();
        for name in &options.label_fields {
            if let Some((_, v)) = fields.iter().find(|(k, _)| k == name) {
                labels = labels.with(&sanitize(name), v);
            }
        }
        report.lines += 1;
        streams.entry(labels).or_default().push(Entry {
            ts_ns,
            line: line.to_string(),
            metadata: Vec::new(),
        });
    }
    report.streams = streams.len();
    for (labels, entries) in streams {
        store.push(&labels, entries)?;
    }
    Ok(report)
}

fn ingest_loki_push(store: &mut LogStore, doc: &Json) -> Result<IngestReport, IngestError> {
    let mut report = IngestReport {
        format: Some(PasteFormat::LokiPush),
        ..IngestReport::default()
    };
    let bad = |message: String| IngestError::Malformed { line: 1, message };
    let streams = doc["streams"]
        .as_array()
        .ok_or_else(|| bad("\"streams\" must be an array".into()))?;
    for (k, s) in streams.iter().enumerate() {
        let labels = Labels::new(
            s["stream"]
                .as_object()
                .ok_or_else(|| bad(format!("streams[{k}].stream must be an object")))?
                .iter()
                .map(|(n, v)| (n.clone(), v.as_str().unwrap_or_default().to_string())),
        );
        let mut entries = Vec::new();
        for (j, value) in s["values"]
            .as_array()
            .ok_or_else(|| bad(format!("streams[{k}].values must be an array")))?
            .iter()
            .enumerate()
        {
            let ts = value[0]
                .as_str()
                .and_then(|t| t.parse::<i64>().ok())
                .ok_or_else(|| {
                    bad(format!("streams[{k}].values[{j}][0] must be a timestamp in nanoseconds, as a string"))
                })?;
            let line = value[1].as_str().ok_or_else(|| {
                bad(format!(
                    "streams[{k}].values[{j}][1] must be the line, a string"
                ))
            })?;
            let metadata = value[2]
                .as_object()
                .map(|m| m.iter().map(|(n, v)| (n.clone(), json_scalar(v))).collect())
                .unwrap_or_default();
            entries.push(Entry {
                ts_ns: ts,
                line: line.to_string(),
                metadata,
            });
        }
        store_stream(store, &mut report, &labels, entries)?;
    }
    Ok(report)
}

/// An OTLP `AnyValue` as text.
fn any_value(v: &Json) -> String {
    if let Some(s) = v.get("stringValue").and_then(Json::as_str) {
        return s.to_string();
    }
    for key in ["boolValue", "intValue", "doubleValue", "bytesValue"] {
        if let Some(x) = v.get(key) {
            return json_scalar(x);
        }
    }
    if let Some(values) = v.pointer("/arrayValue/values").and_then(Json::as_array) {
        let items: Vec<String> = values.iter().map(any_value).collect();
        return format!("[{}]", items.join(","));
    }
    if let Some(values) = v.pointer("/kvlistValue/values").and_then(Json::as_array) {
        let items: Vec<String> = values
            .iter()
            .map(|kv| {
                format!(
                    "{}={}",
                    kv["key"].as_str().unwrap_or(""),
                    any_value(&kv["value"])
                )
            })
            .collect();
        return format!("{{{}}}", items.join(","));
    }
    String::new()
}

fn attributes(list: &Json) -> Vec<(String, String)> {
    list.as_array()
        .map(|a| {
            a.iter()
                .map(|kv| {
                    (
                        sanitize(kv["key"].as_str().unwrap_or("")),
                        any_value(&kv["value"]),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// OTLP/JSON logs, mapped as Loki's OTLP endpoint does: resource attributes
/// become stream labels (dots to underscores), record attributes, trace and
/// span ids and severity become structured metadata.
fn ingest_otlp(store: &mut LogStore, doc: &Json) -> Result<IngestReport, IngestError> {
    let mut report = IngestReport {
        format: Some(PasteFormat::Otlp),
        ..IngestReport::default()
    };
    for resource in doc["resourceLogs"].as_array().into_iter().flatten() {
        let mut labels = Labels::new(attributes(&resource["resource"]["attributes"]));
        if labels.is_empty() {
            labels = Labels::new([("service_name", "unknown_service")]);
        }
        let mut entries = Vec::new();
        for scope in resource["scopeLogs"].as_array().into_iter().flatten() {
            for record in scope["logRecords"].as_array().into_iter().flatten() {
                let ts = ["timeUnixNano", "observedTimeUnixNano"]
                    .iter()
                    .find_map(|k| {
                        let v = &record[*k];
                        v.as_str()
                            .and_then(|s| s.parse::<i64>().ok())
                            .or_else(|| v.as_i64())
                            .filter(|t| *t > 0)
                    })
                    .unwrap_or(0);
                let mut metadata = attributes(&record["attributes"]);
                for (field, name) in [
                    ("traceId", "trace_id"),
                    ("spanId", "span_id"),
                    ("severityText", "severity_text"),
                ] {
                    if let Some(v) = record[field].as_str().filter(|v| !v.is_empty()) {
                        metadata.push((name.to_string(), v.to_string()));
                    }
                }
                if let Some(n) = scope["scope"]["name"].as_str() {
                    metadata.push(("scope_name".to_string(), n.to_string()));
                }
                entries.push(Entry {
                    ts_ns: ts,
                    line: any_value(&record["body"]),
                    metadata,
                });
            }
        }
        store_stream(store, &mut report, &labels, entries)?;
    }
    Ok(report)
}

/// Stores one timestamped stream of a push or OTLP document and counts it.
fn store_stream(
    store: &mut LogStore,
    report: &mut IngestReport,
    labels: &Labels,
    entries: Vec<Entry>,
) -> Result<(), IngestError> {
    report.lines += entries.len();
    report.timestamped += entries.len();
    report.streams += 1;
    store.push(labels, entries)?;
    Ok(())
}

/// A label name made valid: characters other than letters, digits and `_`
/// become `_`, and a leading digit gets a `_` before it.
pub fn sanitize(name: &str) -> String {
    let mut out: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, '_');
    }
    out
}

fn json_scalar(v: &Json) -> String {
    match v {
        Json::String(s) => s.clone(),
        Json::Null => String::new(),
        other => other.to_string(),
    }
}

/// The fields of a JSON object line, nested keys joined with `_`, as
/// Loki's `json` parser extracts them; `None` if the line is no object.
pub fn json_fields(line: &str) -> Option<Fields> {
    let mut out = Vec::new();
    super::jsonscan::scan(line, &mut |k, v| {
        out.push((k.to_string(), v()?.into_owned()));
        Ok(())
    })
    .ok()?;
    Some(out)
}

/// The `key=value` pairs of a logfmt line. `strict`: `None` on the first
/// malformed pair; otherwise malformed parts are skipped. A line without a
/// single pair is not logfmt.
pub fn logfmt_fields(line: &str, strict: bool) -> Option<Fields> {
    let mut out = Vec::new();
    logfmt_scan(line, strict, &mut |k, v| {
        out.push((sanitize(k), v.into_owned()))
    })?;
    (!out.is_empty()).then_some(out)
}

/// Visits the `key=value` pairs of a logfmt line (keys as written, values
/// unquoted); a bare key has an empty value. `None` when `strict` and a
/// pair is malformed.
pub fn logfmt_scan<'a>(
    line: &'a str,
    strict: bool,
    visit: &mut dyn FnMut(&'a str, std::borrow::Cow<'a, str>),
) -> Option<()> {
    use std::borrow::Cow;
    let bytes = line.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        while i < bytes.len() && bytes[i] == b' ' {
            i += 1;
        }
        if i >= bytes.len() {
            break;
        }
        let key_start = i;
        while i < bytes.len() && bytes[i] != b'=' && bytes[i] != b' ' {
            i += 1;
        }
        let key = &line[key_start..i];
        if key.is_empty() || i >= bytes.len() || bytes[i] != b'=' {
            if strict {
                return None;
            }
            if !key.is_empty() {
                visit(key, Cow::Borrowed(""));
            }
            continue;
        }
        i += 1; // '='
        if i < bytes.len() && bytes[i] == b'"' {
            i += 1;
            let start = i;
            let mut escaped = false;
            while i < bytes.len() && bytes[i] != b'"' {
                if bytes[i] == b'\\' {
                    escaped = true;
                    i += 1;
                }
                i += 1;
            }
            if i >= bytes.len() {
                if strict {
                    return None;
                }
                i = bytes.len();
            }
            let raw = &line[start..i.min(line.len())];
            i += 1;
            let value = if escaped {
                let mut v = String::with_capacity(raw.len());
                let mut chars = raw.chars();
                while let Some(c) = chars.next() {
                    if c == '\\' {
                        match chars.next() {
                            Some('n') => v.push('\n'),
                            Some('t') => v.push('\t'),
                            Some(other) => v.push(other),
                            None => {}
                        }
                    } else {
                        v.push(c);
                    }
                }
                Cow::Owned(v)
            } else {
                Cow::Borrowed(raw)
            };
            visit(key, value);
        } else {
            let start = i;
            while i < bytes.len() && bytes[i] != b' ' {
                i += 1;
            }
            visit(key, Cow::Borrowed(&line[start..i]));
        }
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_of_each_format_and_label_fields() {
        let mut store = LogStore::default();
        let text = "{\"ts\":\"2023-11-14T22:13:20Z\",\"level\":\"error\",\"msg\":\"boom\",\"http\":{\"status\":500}}\n\
                    level=info msg=\"all good\" ts=1700000001\n\
                    plain text line\n";
        let options = IngestOptions {
            label_fields: vec!["level".into()],
            ..IngestOptions::default()
        };
        let r = ingest(&mut store, text, &options).unwrap();
        assert_eq!(
            (r.json_lines, r.logfmt_lines, r.plain_lines, r.timestamped),
            (1, 1, 1, 2)
        );
        assert_eq!(r.streams, 3);
        let labels: Vec<String> = store
            .streams()
            .iter()
            .map(|s| s.labels.to_string())
            .collect();
        assert!(
            labels.contains(&"{job=\"pasted\", level=\"error\"}".to_string()),
            "{labels:?}"
        );
        assert_eq!(
            json_fields("{\"http\":{\"status\":500}}").unwrap(),
            [("http_status".to_string(), "500".to_string())]
        );
    }

    #[test]
    fn loki_push_and_otlp() {
        let mut store = LogStore::default();
        let push = r#"{"streams":[{"stream":{"job":"api"},"values":[["1700000000000000000","hello"],["1700000001000000000","again",{"trace_id":"abc"}]]}]}"#;
        let r = ingest(&mut store, push, &IngestOptions::default()).unwrap();
        assert_eq!((r.format, r.lines), (Some(PasteFormat::LokiPush), 2));
        assert_eq!(
            store.streams()[0].entry(1).metadata,
            [("trace_id".to_string(), "abc".to_string())]
        );
        let bad = r#"{"streams":[{"stream":{"job":"api"},"values":[[1,"x"]]}]}"#;
        assert!(matches!(
            ingest(&mut store, bad, &IngestOptions::default()),
            Err(IngestError::Malformed { .. })
        ));
    }

    #[test]
    fn a_full_store_keeps_what_it_has() {
        let mut store = LogStore::with_limit(10);
        assert!(
            ingest(
                &mut store,
                "12345\n67890\nabcde\n",
                &IngestOptions::default()
            )
            .is_err()
        );
        assert_eq!(store.line_count(), 2);
    }
}
