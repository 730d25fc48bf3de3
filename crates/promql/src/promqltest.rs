//! A runner for Prometheus's `promqltest` scripts: `load`, `clear`,
//! `eval instant at …`, `eval range from … to … step …`, `eval_fail`,
//! `eval_ordered`, and `expect` lines (`fail`, `ordered`, `string`,
//! `range vector`, and the annotation ones).
//!
//! Each eval block passes, fails (with the first difference), or is
//! skipped — never counted as a pass — when it expects what this engine
//! does not produce: native histograms (`{{…}}`) or warning/info
//! annotations.
//!
//! ```
//! use o11y_promql::promqltest::run_script;
//!
//! let script = "load 1m\n  up{job=\"a\"} 1 2 3\n\neval instant at 2m up\n  up{job=\"a\"} 3\n";
//! let result = run_script(script);
//! assert_eq!((result.passed, result.failed, result.skipped), (1, 0, 0));
//! ```

use std::collections::BTreeMap;
use std::sync::Arc;

use super::eval::{RangeSeries, Value, instant_query, range_query};
use super::parse;
use o11y_metrics::store::{
    AppendError, HistogramPoint, HistogramSeries, STALE_NAN, Sample, Series, SeriesStore, is_stale,
};
use o11y_metrics::tsdb::Tsdb;
use o11y_model::diag::Diagnostic;
use o11y_model::duration::parse_duration;
use o11y_model::histogram::Histogram;
use o11y_model::labels::{Labels, METRIC_NAME, MatchOp, Matcher};
use o11y_model::number::format_float;

/// The files of Prometheus's `promqltest` suite that are in scope (classic
/// float samples; see the conformance README).
pub const IN_SCOPE_FILES: [&str; 14] = [
    "aggregators",
    "at_modifier",
    "collision",
    "functions",
    "histograms",
    "limit",
    "literals",
    "name_label_dropping",
    "operators",
    "range_queries",
    "selectors",
    "staleness",
    "subquery",
    "trig_functions",
];

/// The outcome of one script.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ScriptResult {
    pub passed: usize,
    pub failed: usize,
    pub skipped: usize,
    /// For each failed block: its line and the first difference.
    pub failures: Vec<(usize, String)>,
}

/// Prometheus's `almost.Equal` with the test runner's epsilon.
fn almost_equal(a: f64, b: f64) -> bool {
    const EPSILON: f64 = 1e-6;
    const MIN_NORMAL: f64 = f64::MIN_POSITIVE;
    if a.is_nan() && b.is_nan() {
        return is_stale(a) == is_stale(b);
    }
    if a == b {
        return true;
    }
    let abs_sum = a.abs() + b.abs();
    let diff = (a - b).abs();
    if a == 0.0 || b == 0.0 || abs_sum < MIN_NORMAL {
        return diff < EPSILON * MIN_NORMAL;
    }
    diff / abs_sum.min(f64::MAX) < EPSILON
}

/// One value of the expanding notation; `None` is a missing sample.
type Point = Option<f64>;

/// One loaded value: a float, a native histogram, or nothing.
#[derive(Clone, Debug, PartialEq)]
enum Loaded {
    Missing,
    Float(f64),
    Histogram(Arc<Histogram>),
}

/// Splits off one `{{…}}` token (which may contain spaces) with what
/// follows it up to the next whitespace (`+{{…}}x3`, `x5`).
fn next_token(text: &str) -> Option<(&str, &str)> {
    let text = text.trim_start();
    if text.is_empty() {
        return None;
    }
    let mut depth = 0usize;
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'{' && bytes.get(i + 1) == Some(&b'{') {
            depth += 1;
            i += 2;
            continue;
        }
        if bytes[i] == b'}' && bytes.get(i + 1) == Some(&b'}') {
            depth = depth.saturating_sub(1);
            i += 2;
            continue;
        }
        if depth == 0 && bytes[i].is_ascii_whitespace() {
            break;
        }
        i += 1;
    }
    Some((&text[..i], &text[i..]))
}

/// Expands `1+2x3 _ stale 4x2 _x3 {{…}} {{…}}+{{…}}x2` into values.
fn expand_loaded(text: &str) -> Result<Vec<Loaded>, String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some((token, after)) = next_token(rest) {
        rest = after;
        if token.starts_with("{{") {
            let close = token.find("}}").ok_or("unclosed native histogram")? + 2;
            let first = histogram(&token[..close])?;
            let tail = &token[close..];
            if tail.is_empty() {
                out.push(Loaded::Histogram(Arc::new(first)));
                continue;
            }
            let (step, times) = match tail.rsplit_once('x') {
                Some((step, n)) if n.chars().all(|c| c.is_ascii_digit()) => (
                    step,
                    n.parse::<usize>()
                        .map_err(|_| format!("bad repetition {token:?}"))?,
                ),
                _ => return Err(format!("bad histogram series {token:?}")),
            };
            let (sign, increment) = match step {
                "" => (1.0, Histogram::default()),
                s if s.starts_with('+') => (1.0, histogram(&s[1..])?),
                s if s.starts_with('-') => (-1.0, histogram(&s[1..])?),
                _ => return Err(format!("bad histogram series {token:?}")),
            };
            let mut current = first;
            for k in 0..=times {
                if k > 0 && !step.is_empty() {
                    current = current
                        .add_scaled(&increment, sign)
                        .ok_or("incompatible histogram buckets")?;
                }
                out.push(Loaded::Histogram(Arc::new(current.clone())));
            }
            continue;
        }
        out.extend(expand_token(token)?.into_iter().map(|p| match p {
            Some(v) => Loaded::Float(v),
            None => Loaded::Missing,
        }));
    }
    Ok(out)
}

/// A histogram in promqltest's notation (`{{schema:0 count:4}}`).
fn histogram(text: &str) -> Result<Histogram, String> {
    Histogram::parse_notation(text).map_err(|e| e.to_string())
}

/// Expands one float token: `1+2x3`, `_`, `_x3`, `stale`, `4x2`.
fn expand_token(token: &str) -> Result<Vec<Point>, String> {
    if token == "_" {
        return Ok(vec![None]);
    }
    if let Some(n) = token.strip_prefix("_x") {
        let n: usize = n.parse().map_err(|_| format!("bad repetition {token:?}"))?;
        return Ok(vec![None; n]);
    }
    if token == "stale" {
        return Ok(vec![Some(STALE_NAN)]);
    }
    let Some((base, times)) = token.split_once('x') else {
        return Ok(vec![Some(parse_value(token)?)]);
    };
    let times: usize = times
        .parse()
        .map_err(|_| format!("bad repetition {token:?}"))?;
    // `a+bxn` / `a-bxn` / `axn`: the sign after the first character splits start and step.
    let split = base
        .char_indices()
        .skip(1)
        .find(|(_, c)| *c == '+' || *c == '-')
        .map(|(i, _)| i);
    let (start, step) = match split {
        Some(i) if !base[..i].ends_with(['e', 'E']) => {
            (parse_value(&base[..i])?, parse_value(&base[i..])?)
        }
        _ => (parse_value(base)?, 0.0),
    };
    Ok((0..=times).map(|k| Some(start + step * k as f64)).collect())
}

/// Expands values that must all be floats (expectations).
fn expand_values(text: &str) -> Result<Vec<Point>, String> {
    expand_loaded(text)?
        .into_iter()
        .map(|v| match v {
            Loaded::Missing => Ok(None),
            Loaded::Float(f) => Ok(Some(f)),
            Loaded::Histogram(_) => Err("native histogram".to_string()),
        })
        .collect()
}

/// The store a script loads into: floats in a [`Tsdb`], native
/// histograms beside them. Rule unit tests load their input series into
/// one too.
#[derive(Default)]
pub struct ScriptStore {
    floats: Tsdb,
    histograms: BTreeMap<Labels, Vec<HistogramPoint>>,
}

impl SeriesStore for ScriptStore {
    fn append(&mut self, labels: &Labels, sample: Sample) -> Result<(), AppendError> {
        self.floats.append(labels, sample)
    }

    fn select(&self, matchers: &[Matcher], start_ms: i64, end_ms: i64) -> Vec<Series> {
        self.floats.select(matchers, start_ms, end_ms)
    }

    fn select_histograms(
        &self,
        matchers: &[Matcher],
        start_ms: i64,
        end_ms: i64,
    ) -> Vec<HistogramSeries> {
        self.histograms
            .iter()
            .filter(|(labels, _)| matchers.iter().all(|m| m.matches(labels)))
            .map(|(labels, points)| HistogramSeries {
                labels: labels.clone(),
                samples: points
                    .iter()
                    .filter(|p| p.ts_ms >= start_ms && p.ts_ms <= end_ms)
                    .cloned()
                    .collect(),
            })
            .filter(|s| !s.samples.is_empty())
            .collect()
    }
}

impl ScriptStore {
    /// A store that keeps every sample, however far apart (rule unit tests
    /// can span centuries).
    pub fn without_retention() -> ScriptStore {
        ScriptStore {
            floats: Tsdb::with_limits(o11y_metrics::tsdb::TsdbLimits {
                retention_ms: i64::MAX,
                ..Default::default()
            }),
            histograms: BTreeMap::new(),
        }
    }

    /// Loads a series written in the expanding notation (`0+10x100`, `_`,
    /// `stale`, `{{…}}`), one value every `interval_ms` from `start_ms`.
    /// Returns how many samples were stored.
    pub fn load(
        &mut self,
        labels: &Labels,
        values: &str,
        start_ms: i64,
        interval_ms: i64,
    ) -> Result<usize, Diagnostic> {
        let mut stored = 0;
        for (k, v) in expand_loaded(values)
            .map_err(Diagnostic::new)?
            .into_iter()
            .enumerate()
        {
            let ts_ms = start_ms.saturating_add((k as i64).saturating_mul(interval_ms));
            match v {
                Loaded::Float(value) => {
                    self.append(labels, Sample { ts_ms, value })
                        .map_err(|e| Diagnostic::new(e.to_string()))?;
                    stored += 1;
                }
                Loaded::Histogram(histogram) => {
                    let points = self.histograms.entry(labels.clone()).or_default();
                    points.push(HistogramPoint { ts_ms, histogram });
                    stored += 1;
                }
                Loaded::Missing => {}
            }
        }
        Ok(stored)
    }

    /// The float samples stored, for limits and reports.
    pub fn floats(&self) -> &Tsdb {
        &self.floats
    }

    /// Adds custom-bucket histograms for the classic histograms among
    /// `series` (`x_bucket{le}`, `x_count`, `x_sum` → `x`), as
    /// `load_with_nhcb` does.
    fn add_nhcb(&mut self, series: &[(Labels, Vec<Loaded>)], interval: i64) {
        #[derive(Default)]
        struct Parts {
            buckets: Vec<(f64, Vec<Loaded>)>,
            count: Option<Vec<Loaded>>,
            sum: Option<Vec<Loaded>>,
        }
        let mut groups: BTreeMap<Labels, Parts> = BTreeMap::new();
        for (labels, values) in series {
            let name = labels.metric_name().unwrap_or("");
            let (base, part) = if let Some(b) = name.strip_suffix("_bucket") {
                (b, "bucket")
            } else if let Some(b) = name.strip_suffix("_count") {
                (b, "count")
            } else if let Some(b) = name.strip_suffix("_sum") {
                (b, "sum")
            } else {
                continue;
            };
            let key = labels.with("le", "").with(METRIC_NAME, base);
            let parts = groups.entry(key).or_default();
            match part {
                "bucket" => {
                    if let Some(le) = labels.get("le").and_then(o11y_model::number::parse_float) {
                        parts.buckets.push((le, values.clone()));
                    }
                }
                "count" => parts.count = Some(values.clone()),
                _ => parts.sum = Some(values.clone()),
            }
        }
        for (labels, parts) in groups {
            if parts.buckets.is_empty() {
                continue;
            }
            let steps = parts.buckets.iter().map(|b| b.1.len()).max().unwrap_or(0);
            let float_at = |values: &[Loaded], k: usize| match values.get(k) {
                Some(Loaded::Float(v)) if !is_stale(*v) => Some(*v),
                _ => None,
            };
            let mut points = Vec::new();
            for k in 0..steps {
                let mut buckets: Vec<(f64, f64)> = Vec::new();
                for (le, values) in &parts.buckets {
                    if let Some(v) = float_at(values, k) {
                        buckets.push((*le, v));
                    }
                }
                if buckets.is_empty() {
                    continue;
                }
                let count = parts.count.as_deref().and_then(|v| float_at(v, k));
                let sum = parts.sum.as_deref().and_then(|v| float_at(v, k));
                let histogram = Histogram::from_classic(&mut buckets, count, sum);
                points.push(HistogramPoint {
                    ts_ms: k as i64 * interval,
                    histogram: Arc::new(histogram),
                });
            }
            self.histograms.entry(labels).or_default().extend(points);
        }
    }
}

fn parse_value(text: &str) -> Result<f64, String> {
    o11y_model::number::parse_number(text.trim_start_matches('+'))
        .map(|v| {
            if text.starts_with('-') && v > 0.0 {
                -v
            } else {
                v
            }
        })
        .or_else(|| text.parse::<f64>().ok())
        .ok_or_else(|| format!("bad value {text:?}"))
}

/// The labels of a series written as `metric{a="b"}` or `{a="b"}`.
pub fn parse_series(text: &str) -> Result<Labels, Diagnostic> {
    let (labels, rest) = series_line(text).map_err(Diagnostic::new)?;
    if !rest.trim().is_empty() {
        return Err(Diagnostic::new(format!(
            "unexpected {:?} after the series",
            rest.trim()
        )));
    }
    Ok(labels)
}

/// Splits `metric{a="b"} 1 2 3` into the labels and the rest.
fn series_line(line: &str) -> Result<(Labels, &str), String> {
    let line = line.trim();
    let end = match line.find('{') {
        Some(open) if !line[..open].contains(char::is_whitespace) => {
            // The closing brace, outside quoted values.
            let mut in_quote = false;
            let mut escaped = false;
            let mut close = None;
            for (i, c) in line.char_indices().skip(open) {
                match c {
                    '\\' if in_quote && !escaped => {
                        escaped = true;
                        continue;
                    }
                    '"' if !escaped => in_quote = !in_quote,
                    '}' if !in_quote => {
                        close = Some(i + 1);
                        break;
                    }
                    _ => {}
                }
                escaped = false;
            }
            close.ok_or("unclosed label set")?
        }
        _ => line.find(char::is_whitespace).unwrap_or(line.len()),
    };
    let selector = &line[..end];
    let rest = &line[end..];
    if selector == "{}" {
        return Ok((Labels::default(), rest));
    }
    let expr = parse(selector).map_err(|e| format!("bad series {selector:?}: {e}"))?;
    let super::ast::ExprKind::VectorSelector(vs) = expr.kind else {
        return Err(format!("bad series {selector:?}"));
    };
    let pairs = vs
        .matchers
        .iter()
        .filter(|m| m.op == MatchOp::Equal)
        .map(|m| (m.name.clone(), m.value.clone()));
    Ok((Labels::new(pairs), rest))
}

/// A time in a script: a duration (`50m`) or seconds.
fn script_time(text: &str) -> Result<i64, String> {
    parse_duration(text)
        .ok()
        .or_else(|| {
            text.parse::<f64>()
                .ok()
                .filter(|s| s.is_finite())
                .map(|s| (s * 1000.0).round() as i64)
        })
        .ok_or_else(|| format!("bad time {text:?}"))
}

enum Expectation {
    Vector(Vec<(Labels, Vec<Point>)>),
    Scalar(f64),
    String(String),
    Fail,
}

struct EvalBlock<'a> {
    line: usize,
    query: &'a str,
    /// `None` for an instant query at the time.
    range: Option<(i64, i64, i64)>,
    at_ms: i64,
    ordered: bool,
    fail: bool,
    skip_reason: Option<&'static str>,
    expected_range: Option<(i64, i64, i64)>,
    lines: Vec<&'a str>,
}

/// Runs a whole script.
pub fn run_script(text: &str) -> ScriptResult {
    let mut result = ScriptResult::default();
    let mut db = ScriptStore::default();
    let lines: Vec<&str> = text.lines().collect();
    let mut i = 0;
    let indented = |l: &str| l.starts_with(' ') || l.starts_with('\t');
    while i < lines.len() {
        let line = lines[i].trim_end();
        i += 1;
        if line.trim().is_empty() || line.trim_start().starts_with('#') {
            continue;
        }
        let words: Vec<&str> = line.split_whitespace().collect();
        match words[0] {
            "clear" => db = ScriptStore::default(),
            "load" | "load_with_nhcb" => {
                let interval = words
                    .get(1)
                    .and_then(|w| parse_duration(w).ok())
                    .unwrap_or(60_000);
                let mut loaded = Vec::new();
                // A series written twice in one block: the later values win.
                let mut pending: BTreeMap<Labels, BTreeMap<i64, Loaded>> = BTreeMap::new();
                while i < lines.len() && indented(lines[i]) && !lines[i].trim().is_empty() {
                    if let Ok((labels, rest)) = series_line(lines[i])
                        && let Ok(values) = expand_loaded(rest)
                    {
                        let points = pending.entry(labels.clone()).or_default();
                        for (k, v) in values.iter().enumerate() {
                            if *v != Loaded::Missing {
                                points.insert(k as i64 * interval, v.clone());
                            }
                        }
                        loaded.push((labels, values));
                    }
                    i += 1;
                }
                for (labels, points) in pending {
                    for (ts_ms, v) in points {
                        match v {
                            Loaded::Float(value) => {
                                let _ = db.append(&labels, Sample { ts_ms, value });
                            }
                            Loaded::Histogram(histogram) => db
                                .histograms
                                .entry(labels.clone())
                                .or_default()
                                .push(HistogramPoint { ts_ms, histogram }),
                            Loaded::Missing => {}
                        }
                    }
                }
                if words[0] == "load_with_nhcb" {
                    db.add_nhcb(&loaded, interval);
                }
                for points in db.histograms.values_mut() {
                    points.sort_by_key(|p| p.ts_ms);
                    points.dedup_by_key(|p| p.ts_ms);
                }
            }
            w if w.starts_with("eval") => {
                let start_line = i;
                let mut body = Vec::new();
                while i < lines.len() && indented(lines[i]) && !lines[i].trim().is_empty() {
                    if !lines[i].trim_start().starts_with('#') {
                        body.push(lines[i].trim());
                    }
                    i += 1;
                }
                match eval_block(line, start_line, body) {
                    Ok(block) => run_eval(&db, block, &mut result),
                    Err(message) => {
                        result.failed += 1;
                        result.failures.push((start_line, message));
                    }
                }
            }
            _ => {}
        }
    }
    result
}

fn eval_block<'a>(
    header: &'a str,
    line: usize,
    body: Vec<&'a str>,
) -> Result<EvalBlock<'a>, String> {
    let (command, rest) = header.split_once(' ').ok_or("empty eval")?;
    let mut block = EvalBlock {
        line,
        query: "",
        range: None,
        at_ms: 0,
        ordered: command == "eval_ordered",
        fail: command == "eval_fail",
        skip_reason: None,
        expected_range: None,
        lines: Vec::new(),
    };
    if command == "eval_warn" || command == "eval_info" {
        block.skip_reason = Some("annotations");
    }
    let rest = rest.trim();
    if let Some(after) = rest.strip_prefix("instant at ") {
        let (t, query) = after.split_once(' ').ok_or("missing query")?;
        block.at_ms = script_time(t)?;
        block.query = query;
    } else if let Some(after) = rest.strip_prefix("range from ") {
        let words: Vec<&str> = after.splitn(6, ' ').collect();
        let [from, "to", to, "step", step, query] = words.as_slice() else {
            return Err(format!("bad range eval {header:?}"));
        };
        block.range = Some((script_time(from)?, script_time(to)?, script_time(step)?));
        block.query = query;
    } else {
        return Err(format!("bad eval {header:?}"));
    }
    for l in body {
        if let Some(expect) = l.strip_prefix("expect ") {
            let word = expect.split_whitespace().next().unwrap_or("");
            match word {
                "fail" => block.fail = true,
                "ordered" => block.ordered = true,
                "warn" | "info" => block.skip_reason = Some("annotations"),
                "no_warn" | "no_info" => {}
                "string" => block.lines.push(l),
                "range" => {
                    // `expect range vector from A to B step S`
                    let words: Vec<&str> = expect.split_whitespace().collect();
                    if let ["range", "vector", "from", a, "to", b, "step", s] = words.as_slice() {
                        block.expected_range =
                            Some((script_time(a)?, script_time(b)?, script_time(s)?));
                    }
                }
                _ => {}
            }
            continue;
        }
        if l.contains("{{") {
            block.skip_reason = Some("native histograms");
        }
        block.lines.push(l);
    }
    Ok(block)
}

fn expectation(block: &EvalBlock) -> Result<Expectation, String> {
    if block.fail {
        return Ok(Expectation::Fail);
    }
    if let Some(s) = block
        .lines
        .iter()
        .find_map(|l| l.strip_prefix("expect string "))
    {
        let s = s.trim();
        let unquoted = s.get(1..s.len().saturating_sub(1)).unwrap_or("");
        return Ok(Expectation::String(unquoted.replace("\\\"", "\"")));
    }
    if let [only] = block.lines.as_slice()
        && let Ok(v) = parse_value(only.trim())
    {
        return Ok(Expectation::Scalar(v));
    }
    let mut series = Vec::new();
    for l in &block.lines {
        let (labels, rest) = series_line(l)?;
        series.push((labels, expand_values(rest)?));
    }
    Ok(Expectation::Vector(series))
}

fn describe(labels: &Labels) -> String {
    labels.to_string()
}

fn run_eval(db: &ScriptStore, block: EvalBlock, result: &mut ScriptResult) {
    if block.skip_reason.is_some() {
        result.skipped += 1;
        return;
    }
    let outcome = check_block(db, &block);
    match outcome {
        Ok(()) => result.passed += 1,
        Err(message) => {
            result.failed += 1;
            result
                .failures
                .push((block.line, format!("{}: {message}", block.query)));
        }
    }
}

fn check_block(db: &ScriptStore, block: &EvalBlock) -> Result<(), String> {
    let expected = expectation(block)?;
    let evaluated = parse(block.query)
        .map_err(|e| e.to_string())
        .and_then(|expr| match block.range {
            Some((from, to, step)) => range_query(db, &expr, from, to, step)
                .map(Value::Matrix)
                .map_err(|e| e.to_string()),
            None => instant_query(db, &expr, block.at_ms).map_err(|e| e.to_string()),
        });
    let value = match (evaluated, &expected) {
        (Err(_), Expectation::Fail) => return Ok(()),
        (Err(e), _) => return Err(format!("unexpected error: {e}")),
        (Ok(_), Expectation::Fail) => return Err("expected an error, got a result".to_string()),
        (Ok(v), _) => v,
    };
    match (value, expected) {
        (Value::Scalar(got), Expectation::Scalar(want)) => {
            if almost_equal(got, want) {
                Ok(())
            } else {
                Err(format!(
                    "expected scalar {}, got {}",
                    format_float(want),
                    format_float(got)
                ))
            }
        }
        (Value::String(got), Expectation::String(want)) => {
            if got == want {
                Ok(())
            } else {
                Err(format!("expected string {want:?}, got {got:?}"))
            }
        }
        (Value::Vector(got), Expectation::Vector(want)) if block.range.is_none() => {
            if got.len() != want.len() {
                return Err(format!(
                    "expected {} series, got {}: {:?}",
                    want.len(),
                    got.len(),
                    got.iter().map(|s| describe(&s.labels)).collect::<Vec<_>>()
                ));
            }
            for (k, (labels, values)) in want.iter().enumerate() {
                let found = if block.ordered {
                    got.get(k).filter(|s| &s.labels == labels)
                } else {
                    got.iter().find(|s| &s.labels == labels)
                };
                let Some(found) = found else {
                    return Err(format!(
                        "expected series {} not found (or out of order)",
                        describe(labels)
                    ));
                };
                let want_value = values.first().copied().flatten().unwrap_or(f64::NAN);
                if let Some(h) = &found.histogram {
                    return Err(format!(
                        "{}: expected {}, got the histogram {h}",
                        describe(labels),
                        format_float(want_value)
                    ));
                }
                if !almost_equal(found.value, want_value) {
                    return Err(format!(
                        "{}: expected {}, got {}",
                        describe(labels),
                        format_float(want_value),
                        format_float(found.value)
                    ));
                }
            }
            Ok(())
        }
        (Value::Scalar(got), Expectation::Vector(want))
            if block.range.is_none() && want.len() == 1 && want[0].0.is_empty() =>
        {
            let want_value = want[0].1.first().copied().flatten().unwrap_or(f64::NAN);
            if almost_equal(got, want_value) {
                Ok(())
            } else {
                Err(format!(
                    "expected {}, got scalar {}",
                    format_float(want_value),
                    format_float(got)
                ))
            }
        }
        (Value::Matrix(got), Expectation::Vector(want)) => {
            let (from, to, step) = block.range.or(block.expected_range).unwrap_or((0, 0, 1));
            compare_matrix(&got, &want, from, to, step)
        }
        (Value::Matrix(got), Expectation::Scalar(want)) => compare_matrix(
            &got,
            &[(Labels::default(), vec![Some(want)])],
            block.range.map_or(0, |r| r.0),
            block.range.map_or(0, |r| r.0),
            1,
        ),
        (got, _) => Err(format!("result of an unexpected type: {got:?}")
            .chars()
            .take(300)
            .collect()),
    }
}

fn compare_matrix(
    got: &[RangeSeries],
    want: &[(Labels, Vec<Point>)],
    from: i64,
    to: i64,
    step: i64,
) -> Result<(), String> {
    let non_empty: Vec<&(Labels, Vec<Point>)> = want
        .iter()
        .filter(|(_, v)| v.iter().any(Option::is_some))
        .collect();
    if got.len() != non_empty.len() {
        return Err(format!(
            "expected {} series, got {}: {:?}",
            non_empty.len(),
            got.len(),
            got.iter().map(|s| describe(&s.labels)).collect::<Vec<_>>()
        ));
    }
    for (labels, values) in non_empty {
        let Some(series) = got.iter().find(|s| &s.labels == labels) else {
            return Err(format!("expected series {} not found", describe(labels)));
        };
        if let Some(h) = series.histograms.first() {
            return Err(format!(
                "{}: expected floats, got the histogram {} at {} ms",
                describe(labels),
                h.histogram,
                h.ts_ms
            ));
        }
        let mut t = from;
        for (k, v) in values.iter().enumerate() {
            let actual = series
                .samples
                .iter()
                .find(|s| s.ts_ms == t)
                .map(|s| s.value);
            match (v, actual) {
                (None, None) => {}
                (Some(w), Some(a)) if almost_equal(a, *w) => {}
                (w, a) => {
                    let show = |x: Option<f64>| x.map_or("_".to_string(), format_float);
                    return Err(format!(
                        "{} at step {k} ({} ms): expected {}, got {}",
                        describe(labels),
                        t,
                        show(*w),
                        show(a)
                    ));
                }
            }
            t += step;
        }
        if series
            .samples
            .iter()
            .any(|s| s.ts_ms > to || s.ts_ms >= from + step * values.len() as i64)
        {
            return Err(format!(
                "{} has more points than expected",
                describe(labels)
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expanding_notation() {
        let v = expand_values("1+2x3 _ stale 4x1 _x2 -1-1x2 1e3").unwrap();
        let shown: Vec<String> = v
            .iter()
            .map(|p| {
                p.map_or("_".into(), |x| {
                    if is_stale(x) {
                        "stale".into()
                    } else {
                        format_float(x)
                    }
                })
            })
            .collect();
        assert_eq!(
            shown,
            [
                "1", "3", "5", "7", "_", "stale", "4", "4", "_", "_", "-1", "-2", "-3", "1000"
            ]
        );
        assert!(expand_values("{{schema:0}}").is_err());
        let h = expand_loaded("{{sum:1 count:1}}+{{sum:2 count:2}}x2 _ {{count:5}}x1").unwrap();
        let counts: Vec<String> = h
            .iter()
            .map(|v| match v {
                Loaded::Histogram(h) => format_float(h.count),
                other => format!("{other:?}"),
            })
            .collect();
        assert_eq!(counts, ["1", "3", "5", "Missing", "5", "5"]);
    }

    #[test]
    fn a_small_script_passes_fails_and_skips() {
        let script = "load 5m\n  http_requests{job=\"api\"} 0+10x10\n\n\
                      eval instant at 50m http_requests\n  http_requests{job=\"api\"} 100\n\n\
                      eval instant at 50m http_requests\n  http_requests{job=\"api\"} 99\n\n\
                      eval instant at 50m rate(http_requests[10m])\n  expect warn\n  {job=\"api\"} 0.0333\n\n\
                      eval_fail instant at 0m 1 +\n\n\
                      eval range from 0 to 10m step 5m http_requests\n  http_requests{job=\"api\"} 0 10 20\n";
        let r = run_script(script);
        assert_eq!(
            (r.passed, r.failed, r.skipped),
            (3, 1, 1),
            "{:?}",
            r.failures
        );
        assert!(
            r.failures[0].1.contains("expected 99, got 100"),
            "{:?}",
            r.failures
        );
    }
}
