//! A real Prometheus's HTTP API, as the live data-source mode reads it:
//! the URLs of `/api/v1/query_range`, `/api/v1/query`, `/api/v1/labels`,
//! `/api/v1/label/<name>/values` and `/api/v1/series`, and their JSON
//! answers turned into the same series the in-page engine returns. Errors
//! are Prometheus's own (`bad_data: …`), so the page shows them as
//! Prometheus says them.
//!
//! [`Catalog`] is what autocomplete knows of a real Prometheus: it is
//! filled as the user types, one request at a time ([`Catalog::wanted`]).

use serde_json::Value;

use o11y_dashboards::vars::VarQuery;
use o11y_metrics::store::Sample;
use o11y_model::labels::Labels;
use o11y_promql::eval::RangeSeries;

/// An error the API returned, or an answer that is not the API's.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{kind}: {message}")]
pub struct ApiError {
    /// Prometheus's `errorType` (`bad_data`, `execution`, …), or `response`.
    pub kind: String,
    pub message: String,
}

impl From<&ApiError> for o11y_model::diag::Diagnostic {
    /// The error's text (`KIND: MESSAGE`), without a place.
    fn from(e: &ApiError) -> o11y_model::diag::Diagnostic {
        o11y_model::diag::Diagnostic::new(e.to_string())
    }
}

fn bad(message: impl Into<String>) -> ApiError {
    ApiError {
        kind: "response".into(),
        message: message.into(),
    }
}

/// Percent-encodes a query parameter.
fn encode(s: &str) -> String {
    let mut o = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                o.push(b as char)
            }
            _ => o.push_str(&format!("%{b:02X}")),
        }
    }
    o
}

fn seconds(ms: i64) -> String {
    let sign = if ms < 0 { "-" } else { "" };
    let a = ms.unsigned_abs();
    format!("{sign}{}.{:03}", a / 1000, a % 1000)
}

/// The base URL without a trailing slash; `http://` added when missing.
pub fn base_url(url: &str) -> String {
    let u = url.trim().trim_end_matches('/');
    if u.starts_with("http://") || u.starts_with("https://") {
        u.to_string()
    } else {
        format!("http://{u}")
    }
}

/// `/api/v1/query_range`, with `stats=all` so that the answer says how
/// many samples the query read ([`parse_matrix_with_stats`]).
pub fn query_range_url(
    base: &str,
    query: &str,
    start_ms: i64,
    end_ms: i64,
    step_ms: i64,
) -> String {
    format!(
        "{}/api/v1/query_range?query={}&start={}&end={}&step={}&stats=all",
        base_url(base),
        encode(query),
        seconds(start_ms),
        seconds(end_ms),
        seconds(step_ms.max(1))
    )
}

/// `/api/v1/query`, with `stats=all` as [`query_range_url`].
pub fn query_url(base: &str, query: &str, time_ms: i64) -> String {
    format!(
        "{}/api/v1/query?query={}&time={}&stats=all",
        base_url(base),
        encode(query),
        seconds(time_ms)
    )
}

/// `match[]=…` parameters, then the time range when there is one.
fn selection(matches: &[&str], range: Option<(i64, i64)>) -> String {
    let mut params: Vec<String> = matches
        .iter()
        .map(|m| format!("match[]={}", encode(m)))
        .collect();
    if let Some((start, end)) = range {
        params.push(format!("start={}&end={}", seconds(start), seconds(end)));
    }
    if params.is_empty() {
        String::new()
    } else {
        format!("?{}", params.join("&"))
    }
}

/// `/api/v1/labels`: the label names, of the series that match if any
/// selectors are given.
pub fn labels_url(base: &str, matches: &[&str], range: Option<(i64, i64)>) -> String {
    format!(
        "{}/api/v1/labels{}",
        base_url(base),
        selection(matches, range)
    )
}

/// `/api/v1/label/<name>/values`, of the series that match if any
/// selectors are given.
pub fn label_values_url(
    base: &str,
    label: &str,
    matches: &[&str],
    range: Option<(i64, i64)>,
) -> String {
    format!(
        "{}/api/v1/label/{}/values{}",
        base_url(base),
        encode(label),
        selection(matches, range)
    )
}

/// `/api/v1/series`: the label sets of the series that match (one
/// selector at least; Prometheus refuses none).
pub fn series_url(base: &str, matches: &[&str], range: Option<(i64, i64)>) -> String {
    format!(
        "{}/api/v1/series{}",
        base_url(base),
        selection(matches, range)
    )
}

/// The request a Grafana Prometheus variable query makes:
/// `label_values(label)` reads all of the label's values and
/// `label_values(metric{…}, label)` those of the matching series;
/// `label_names(…)` reads `/api/v1/labels`; `metrics(regex)` the metric
/// names; `query_result(expr)` an instant query at `now_ms`.
pub fn variable_url(
    base: &str,
    query: &str,
    range: Option<(i64, i64)>,
    now_ms: i64,
) -> Option<String> {
    Some(match o11y_dashboards::vars::parse_query(query)? {
        VarQuery::LabelValues { selector, label } => {
            let matches: Vec<&str> = selector.as_deref().into_iter().collect();
            label_values_url(base, &label, &matches, range)
        }
        VarQuery::LabelNames { selector } => {
            let matches: Vec<&str> = selector.as_deref().into_iter().collect();
            labels_url(base, &matches, range)
        }
        VarQuery::Metrics { .. } => label_values_url(base, "__name__", &[], range),
        VarQuery::QueryResult { expr } => query_url(base, &expr, now_ms),
    })
}

/// The answer to [`variable_url`]'s request as the variable's values:
/// names and values as they come (`__name__` left out of label names),
/// metric names the regex finds in, or `query_result`'s lines.
pub fn parse_variable_answer(
    query: &str,
    text: &str,
    now_ms: i64,
) -> Result<Vec<String>, ApiError> {
    match o11y_dashboards::vars::parse_query(query) {
        None => Ok(Vec::new()),
        Some(VarQuery::LabelValues { .. }) => parse_strings(text),
        Some(VarQuery::LabelNames { .. }) => Ok(parse_strings(text)?
            .into_iter()
            .filter(|n| n != "__name__")
            .collect()),
        Some(VarQuery::Metrics { regex }) => {
            let re = regex::Regex::new(&regex).map_err(|e| {
                bad(format!(
                    "metrics({regex}): {}",
                    o11y_dashboards::vars::regex_message(&e)
                ))
            })?;
            Ok(parse_strings(text)?
                .into_iter()
                .filter(|m| re.is_match(m))
                .collect())
        }
        Some(VarQuery::QueryResult { .. }) => Ok(o11y_dashboards::vars::query_result_lines(
            &parse_instant(text)?,
            now_ms,
        )),
    }
}

/// The `data` of a successful answer, or the API's error.
fn data(text: &str) -> Result<Value, ApiError> {
    let v: Value = serde_json::from_str(text)
        .map_err(|e| bad(format!("not the Prometheus API's JSON: {e}")))?;
    match v.get("status").and_then(Value::as_str) {
        Some("success") => v.get("data").cloned().ok_or_else(|| bad("no data")),
        Some("error") => Err(ApiError {
            kind: v
                .get("errorType")
                .and_then(Value::as_str)
                .unwrap_or("error")
                .to_string(),
            message: v
                .get("error")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string(),
        }),
        _ => Err(bad("no status in the answer")),
    }
}

fn labels_of(metric: Option<&Value>) -> Labels {
    Labels::new(
        metric
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
            .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string())),
    )
}

/// `[<seconds>, "<value>"]`.
fn point(p: &Value) -> Option<Sample> {
    let ts = p.get(0)?.as_f64()?;
    let value = o11y_model::number::parse_float(p.get(1)?.as_str()?)?;
    Some(Sample {
        ts_ms: (ts * 1000.0).round() as i64,
        value,
    })
}

/// What a Prometheus says a query read, from the `stats` of an answer to
/// a request with `stats=all`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ServerStats {
    /// `samples.totalQueryableSamples`: the samples the query read from
    /// storage (Explore's "samples read").
    pub total_queryable_samples: u64,
    /// `samples.peakSamples`: the most samples held at once, where given.
    pub peak_samples: Option<u64>,
}

impl ServerStats {
    /// The `stats` of an answer's `data`; `None` when there are none (an
    /// older Prometheus, or a compatible API that does not count).
    fn of(data: &Value) -> Option<ServerStats> {
        let samples = data.get("stats")?.get("samples")?;
        Some(ServerStats {
            total_queryable_samples: samples.get("totalQueryableSamples")?.as_u64()?,
            peak_samples: samples.get("peakSamples").and_then(Value::as_u64),
        })
    }
}

/// A `query_range` answer (a matrix) as series.
pub fn parse_matrix(text: &str) -> Result<Vec<RangeSeries>, ApiError> {
    parse_matrix_with_stats(text).map(|(series, _)| series)
}

/// A `query_range` answer as series, and what the query read when the
/// answer says it.
pub fn parse_matrix_with_stats(
    text: &str,
) -> Result<(Vec<RangeSeries>, Option<ServerStats>), ApiError> {
    let d = data(text)?;
    match d.get("resultType").and_then(Value::as_str) {
        Some("matrix") => {}
        other => {
            return Err(bad(format!(
                "expected a matrix, got {}",
                other.unwrap_or("nothing")
            )));
        }
    }
    let series = d
        .get("result")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|s| RangeSeries {
            labels: labels_of(s.get("metric")),
            samples: s
                .get("values")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(point)
                .collect(),
            histograms: Vec::new(),
        })
        .collect();
    Ok((series, ServerStats::of(&d)))
}

/// A `query` answer: a vector as (labels, value), a scalar as one sample.
pub fn parse_instant(text: &str) -> Result<Vec<(Labels, f64)>, ApiError> {
    let d = data(text)?;
    let result = d.get("result");
    match d.get("resultType").and_then(Value::as_str) {
        Some("vector") => Ok(result
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|s| Some((labels_of(s.get("metric")), point(s.get("value")?)?.value)))
            .collect()),
        Some("scalar") => Ok(result
            .and_then(point)
            .map(|p| vec![(Labels::default(), p.value)])
            .unwrap_or_default()),
        other => Err(bad(format!(
            "expected a vector or scalar, got {}",
            other.unwrap_or("nothing")
        ))),
    }
}

/// A label-values (or labels) answer.
pub fn parse_strings(text: &str) -> Result<Vec<String>, ApiError> {
    Ok(data(text)?
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|v| v.as_str().map(str::to_string))
        .collect())
}

/// A `series` answer: the label sets.
pub fn parse_series(text: &str) -> Result<Vec<Labels>, ApiError> {
    Ok(data(text)?
        .as_array()
        .into_iter()
        .flatten()
        .map(|s| labels_of(Some(s)))
        .collect())
}

/// One request autocomplete needs before it can offer anything at the
/// cursor.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Lookup {
    /// `/api/v1/series?match[]=<metric>`: its label names and values.
    Series(String),
    /// `/api/v1/label/<name>/values`: a label's values over all series.
    LabelValues(String),
}

impl Lookup {
    pub fn url(&self, base: &str, range: Option<(i64, i64)>) -> String {
        match self {
            Lookup::Series(metric) => series_url(base, &[metric], range),
            Lookup::LabelValues(name) => label_values_url(base, name, &[], range),
        }
    }
}

/// At most this many series of one metric are read for autocomplete.
pub const MAX_SERIES_PER_METRIC: usize = 10_000;

/// What autocomplete knows of a real Prometheus: its metric names and
/// label names (read when the data source is set), and the series of
/// each metric and values of each label asked for so far.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Catalog {
    pub metrics: Vec<String>,
    pub label_names: Vec<String>,
    series: std::collections::BTreeMap<String, Vec<Labels>>,
    values: std::collections::BTreeMap<String, Vec<String>>,
    /// Lookups made, whatever their answer, so none is asked twice.
    asked: std::collections::BTreeSet<Lookup>,
}

impl Catalog {
    /// The catalog once `/api/v1/label/__name__/values` and
    /// `/api/v1/labels` have answered.
    pub fn new(metrics: Vec<String>, label_names: Vec<String>) -> Catalog {
        Catalog {
            metrics,
            label_names,
            ..Catalog::default()
        }
    }

    /// The lookup the cursor needs and that has not been made: the
    /// series of the metric whose braces it is in, or the values of a
    /// label matched outside any metric.
    pub fn wanted(&self, source: &str, cursor: usize) -> Option<Lookup> {
        use o11y_promql::assist::Position;
        let lookup = match o11y_promql::assist::position(source, cursor).0 {
            Position::LabelName { metric } | Position::LabelValue { metric, .. }
                if !metric.is_empty() =>
            {
                Lookup::Series(metric)
            }
            Position::LabelValue { name, .. } if !name.is_empty() => Lookup::LabelValues(name),
            _ => return None,
        };
        (!self.asked.contains(&lookup)).then_some(lookup)
    }

    /// Records a lookup's answer (an error is recorded as nothing, so it
    /// is not asked again while the data source stays the same).
    pub fn answer(&mut self, lookup: Lookup, text: Result<&str, &str>) {
        match &lookup {
            Lookup::Series(metric) => {
                let mut series = text
                    .ok()
                    .and_then(|t| parse_series(t).ok())
                    .unwrap_or_default();
                series.truncate(MAX_SERIES_PER_METRIC);
                self.series.insert(metric.clone(), series);
            }
            Lookup::LabelValues(name) => {
                let values = text
                    .ok()
                    .and_then(|t| parse_strings(t).ok())
                    .unwrap_or_default();
                self.values.insert(name.clone(), values);
            }
        }
        self.asked.insert(lookup);
    }

    /// What the PromQL editor can offer from what is known.
    pub fn completer(&self) -> o11y_promql::assist::Completer {
        use std::collections::{BTreeMap, BTreeSet};
        let mut labels: BTreeMap<(String, String), BTreeSet<String>> = BTreeMap::new();
        for name in &self.label_names {
            if name != o11y_model::labels::METRIC_NAME {
                labels.entry((String::new(), name.clone())).or_default();
            }
        }
        for (name, values) in &self.values {
            labels
                .entry((String::new(), name.clone()))
                .or_default()
                .extend(values.iter().cloned());
        }
        for (metric, series) in &self.series {
            for l in series.iter().flat_map(|s| s.iter()) {
                if l.name != o11y_model::labels::METRIC_NAME {
                    labels
                        .entry((metric.clone(), l.name.clone()))
                        .or_default()
                        .insert(l.value.clone());
                }
            }
        }
        o11y_promql::assist::Completer {
            metrics: self.metrics.clone(),
            labels: labels
                .into_iter()
                .map(|((m, n), v)| (m, n, v.into_iter().collect()))
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_and_errors_as_prometheus_writes_them() {
        let matrix = r#"{"status":"success","data":{"resultType":"matrix","result":[{"metric":{"__name__":"up","job":"prometheus","instance":"127.0.0.1:9090"},"values":[[1700000000,"1"],[1700000015.5,"0"]]}]}}"#;
        let m = parse_matrix(matrix).unwrap();
        assert_eq!(m[0].labels.get("job"), Some("prometheus"));
        assert_eq!(
            m[0].samples,
            [
                Sample {
                    ts_ms: 1_700_000_000_000,
                    value: 1.0
                },
                Sample {
                    ts_ms: 1_700_000_015_500,
                    value: 0.0
                }
            ]
        );
        let vector = r#"{"status":"success","data":{"resultType":"vector","result":[{"metric":{"job":"a"},"value":[1.5,"+Inf"]}]}}"#;
        assert_eq!(parse_instant(vector).unwrap()[0].1, f64::INFINITY);
        let scalar = r#"{"status":"success","data":{"resultType":"scalar","result":[1.5,"2"]}}"#;
        assert_eq!(parse_instant(scalar).unwrap(), [(Labels::default(), 2.0)]);
        let err = r#"{"status":"error","errorType":"bad_data","error":"1:5: parse error: unexpected end of input"}"#;
        assert_eq!(
            parse_matrix(err).unwrap_err().to_string(),
            "bad_data: 1:5: parse error: unexpected end of input"
        );
        assert_eq!(
            parse_strings(r#"{"status":"success","data":["a","b"]}"#).unwrap(),
            ["a", "b"]
        );
        assert!(parse_matrix("<html>").is_err());
        assert!(parse_matrix(vector).is_err(), "a vector is not a matrix");
    }

    // Explore's "samples read" counted the samples a real Prometheus
    // returned; what it read is in the answer's stats.
    #[test]
    fn stats_say_how_many_samples_the_query_read() {
        // As Prometheus 3 answers `stats=all` (per-step counts included).
        let answer = r#"{"status":"success","data":{"resultType":"matrix","result":[
            {"metric":{"job":"p"},"values":[[60,"1"],[75,"1"]]}],
            "stats":{"timings":{"evalTotalTime":0.0004,"resultSortTime":0,"queryPreparationTime":0.0001,
            "innerEvalTime":0.0002,"execQueueTime":0.00001,"execTotalTime":0.0005},
            "samples":{"totalQueryableSamplesPerStep":[[60,4],[75,4]],"totalQueryableSamples":8,"peakSamples":6}}}}"#;
        let (series, stats) = parse_matrix_with_stats(answer).unwrap();
        assert_eq!(series[0].samples.len(), 2);
        assert_eq!(
            stats,
            Some(ServerStats {
                total_queryable_samples: 8,
                peak_samples: Some(6)
            })
        );
        // Without stats (an older Prometheus, another API): none.
        let plain = r#"{"status":"success","data":{"resultType":"matrix","result":[]}}"#;
        assert_eq!(parse_matrix_with_stats(plain).unwrap(), (vec![], None));
        let partial = r#"{"status":"success","data":{"resultType":"matrix","result":[],"stats":{"samples":{}}}}"#;
        assert_eq!(parse_matrix_with_stats(partial).unwrap().1, None);
        assert!(query_range_url("h", "up", 0, 0, 1).ends_with("&stats=all"));
    }

    #[test]
    fn urls() {
        assert_eq!(
            query_range_url("127.0.0.1:9090/", "sum(up) by (job)", 1_000, 61_500, 15_000),
            "http://127.0.0.1:9090/api/v1/query_range?query=sum%28up%29%20by%20%28job%29&start=1.000&end=61.500&step=15.000&stats=all"
        );
        assert_eq!(
            query_url("https://p.example", "up", -1),
            "https://p.example/api/v1/query?query=up&time=-0.001&stats=all"
        );
        assert_eq!(
            label_values_url("http://h", "__name__", &[], None),
            "http://h/api/v1/label/__name__/values"
        );
        assert_eq!(
            label_values_url("http://h", "job", &["up{a=\"b\"}"], Some((0, 60_000))),
            "http://h/api/v1/label/job/values?match[]=up%7Ba%3D%22b%22%7D&start=0.000&end=60.000"
        );
        assert_eq!(labels_url("http://h", &[], None), "http://h/api/v1/labels");
        assert_eq!(
            series_url("http://h", &["up", "x"], None),
            "http://h/api/v1/series?match[]=up&match[]=x"
        );
        assert_eq!(
            variable_url(
                "http://h",
                "label_values(http_requests_total, route)",
                None,
                0
            )
            .unwrap(),
            "http://h/api/v1/label/route/values?match[]=http_requests_total"
        );
        assert_eq!(
            variable_url("http://h", "label_values(job)", None, 0).unwrap(),
            "http://h/api/v1/label/job/values"
        );
        assert_eq!(
            variable_url("http://h", "label_names(up)", None, 0).unwrap(),
            "http://h/api/v1/labels?match[]=up"
        );
        assert_eq!(
            variable_url("http://h", "metrics(^prom)", None, 0).unwrap(),
            "http://h/api/v1/label/__name__/values"
        );
        assert_eq!(
            variable_url("http://h", "query_result(up)", None, 60_000),
            Some(query_url("http://h", "up", 60_000))
        );
        assert_eq!(variable_url("http://h", "up", None, 0), None);
    }

    #[test]
    fn variable_answers_become_values() {
        let names = r#"{"status":"success","data":["__name__","job","prometheus_ready","up"]}"#;
        assert_eq!(
            parse_variable_answer("label_names()", names, 0).unwrap(),
            ["job", "prometheus_ready", "up"]
        );
        assert_eq!(
            parse_variable_answer("metrics(^prom)", names, 0).unwrap(),
            ["prometheus_ready"]
        );
        let vector = r#"{"status":"success","data":{"resultType":"vector","result":[
            {"metric":{"__name__":"up","job":"p"},"value":[60,"1"]}]}}"#;
        assert_eq!(
            parse_variable_answer("query_result(up)", vector, 60_000).unwrap(),
            [r#"up{job="p"} 1 60000"#]
        );
        assert!(parse_variable_answer("metrics(()", names, 0).is_err());
    }

    #[test]
    fn the_catalog_asks_for_what_the_cursor_needs_once() {
        let mut c = Catalog::new(
            vec!["prometheus_http_requests_total".into(), "up".into()],
            vec![
                "__name__".into(),
                "code".into(),
                "handler".into(),
                "job".into(),
            ],
        );
        // Metric names and label names are known at once.
        let names = o11y_promql::assist::complete("prometheus_http_req", 19, &c.completer());
        assert_eq!(names.suggestions[0].text, "prometheus_http_requests_total");
        let q = "prometheus_http_requests_total{handler=\"/api";
        assert_eq!(
            c.wanted(q, q.len()),
            Some(Lookup::Series("prometheus_http_requests_total".into()))
        );
        assert_eq!(c.wanted("sum(", 4), None, "nothing to fetch outside braces");
        assert_eq!(
            c.wanted("{job=\"", 6),
            Some(Lookup::LabelValues("job".into()))
        );
        let series = r#"{"status":"success","data":[
            {"__name__":"prometheus_http_requests_total","code":"200","handler":"/api/v1/query","job":"prometheus"},
            {"__name__":"prometheus_http_requests_total","code":"200","handler":"/metrics","job":"prometheus"}]}"#;
        c.answer(
            Lookup::Series("prometheus_http_requests_total".into()),
            Ok(series),
        );
        assert_eq!(c.wanted(q, q.len()), None, "asked once");
        let values = o11y_promql::assist::complete(q, q.len(), &c.completer());
        assert_eq!(
            values
                .suggestions
                .iter()
                .map(|s| s.text.as_str())
                .collect::<Vec<_>>(),
            ["/api/v1/query"]
        );
        let q = "prometheus_http_requests_total{";
        let names = o11y_promql::assist::complete(q, q.len(), &c.completer());
        assert_eq!(
            names
                .suggestions
                .iter()
                .map(|s| s.text.as_str())
                .collect::<Vec<_>>(),
            ["code", "handler", "job"]
        );
        // An error is remembered as nothing known.
        c.answer(Lookup::LabelValues("job".into()), Err("cannot reach"));
        assert_eq!(c.wanted("{job=\"", 6), None);
        assert!(
            o11y_promql::assist::complete("{job=\"", 6, &c.completer())
                .suggestions
                .is_empty()
        );
        // Label names over all metrics come from /api/v1/labels.
        let all = o11y_promql::assist::complete("sum by (ha", 10, &c.completer());
        assert_eq!(all.suggestions[0].text, "handler");
    }
}
