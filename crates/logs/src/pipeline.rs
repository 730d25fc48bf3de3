//! Running a LogQL pipeline over one line: line filters, parsers, label
//! filters, formatting, `drop`/`keep`, `unwrap`. Each stage can report
//! what it did (kept or dropped, labels added or changed, `__error__`) for
//! the stage inspector.

use super::ingest::{logfmt_scan, sanitize};
use super::parser::{
    CmpOp, Conversion, LabelFilter, LabelFormatValue, LineFilterOp, Literal, Stage, StageKind,
};
use o11y_model::duration::parse_go_duration;
use o11y_model::labels::Labels;
use o11y_model::number::parse_bytes;
use o11y_template::{Env, Template, Value};

/// A line's labels while it goes through the pipeline, in insertion order.
pub type LabelSet = Vec<(String, String)>;

fn get<'a>(labels: &'a LabelSet, name: &str) -> Option<&'a str> {
    labels
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

fn set(labels: &mut LabelSet, name: &str, value: String) {
    match labels.iter_mut().find(|(n, _)| n == name) {
        Some(l) => l.1 = value,
        None => labels.push((name.to_string(), value)),
    }
}

fn remove(labels: &mut LabelSet, name: &str) {
    labels.retain(|(n, _)| n != name);
}

/// Removes ANSI colour escapes (`decolorize`).
pub fn decolorize(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' && chars.peek() == Some(&'[') {
            chars.next();
            for n in chars.by_ref() {
                if n.is_ascii_alphabetic() {
                    break;
                }
            }
            continue;
        }
        out.push(c);
    }
    out
}

/// A line's labels as a template's dot (`{{ .name }}`).
fn template_labels(labels: &LabelSet) -> Value {
    Value::labels(labels.iter().map(|(n, v)| (n.as_str(), v.as_str())))
}

/// Runs a `line_format` template on a line: its labels as the dot, the
/// line and its time for `__line__` and `__timestamp__`.
fn render_template(
    t: &Template,
    labels: &LabelSet,
    line: &str,
    ts_ns: i64,
) -> Result<String, o11y_template::TemplateError> {
    let env = Env::default()
        .dot(template_labels(labels))
        .log_line(line, ts_ns);
    t.render(&env)
}

/// Whether a line passes line filters alone (for pipelines of nothing
/// else): no labels are built.
pub fn passes_line_filters(stages: &[Stage], line: &str) -> bool {
    stages.iter().all(|stage| match &stage.kind {
        StageKind::LineFilter(f) => line_filter_keeps(f, line),
        _ => true,
    })
}

/// Whether one line filter (`|= "a" or "b"`, `!~ "re"`) keeps a line.
fn line_filter_keeps(f: &super::parser::LineFilter, line: &str) -> bool {
    let contains = || f.finders.iter().any(|v| v.find(line.as_bytes()).is_some());
    let matches = || f.regexes.iter().any(|r| r.is_match(line));
    match f.op {
        LineFilterOp::Contains => contains(),
        LineFilterOp::NotContains => !contains(),
        LineFilterOp::Matches => matches(),
        LineFilterOp::NotMatches => !matches(),
    }
}

/// What one stage did to a line, for the stage inspector.
#[derive(Clone, Debug, PartialEq)]
pub struct StageTrace {
    /// The stage as written.
    pub stage: String,
    pub kept: bool,
    /// Labels added or given another value, with their new values.
    pub changed: Vec<(String, String)>,
    /// Labels removed.
    pub removed: Vec<String>,
    /// The line after the stage, when it changed it.
    pub line: Option<String>,
    pub error: Option<String>,
}

/// A line that went through the pipeline.
#[derive(Clone, Debug, PartialEq)]
pub struct Processed {
    pub line: String,
    pub labels: LabelSet,
    /// The unwrapped value, for metric queries.
    pub value: Option<f64>,
}

/// Runs `stages` on a line. Returns `None` when a stage drops it. With
/// `trace`, records what each stage did (and stops recording at a drop).
pub fn process(
    stages: &[Stage],
    line: &str,
    ts_ns: i64,
    stream_labels: &Labels,
    metadata: &[(String, String)],
    trace: Option<&mut Vec<StageTrace>>,
) -> Option<Processed> {
    process_with_hints(stages, line, ts_ns, stream_labels, metadata, None, trace)
}

/// The labels a query needs after the pipeline; `None` is all of them.
/// Parsers extract only these (and `__error__`), as Loki's extraction
/// hints do, so `sum(count_over_time({…} | json | level="error" […]))`
/// copies one field per line instead of all of them.
pub type Hints<'a> = Option<&'a std::collections::BTreeSet<String>>;

/// [`process`], extracting only the labels in `hints`.
pub fn process_with_hints(
    stages: &[Stage],
    line: &str,
    ts_ns: i64,
    stream_labels: &Labels,
    metadata: &[(String, String)],
    hints: Hints,
    mut trace: Option<&mut Vec<StageTrace>>,
) -> Option<Processed> {
    let mut line: std::borrow::Cow<str> = std::borrow::Cow::Borrowed(line);
    let wanted = |name: &str| hints.is_none_or(|h| h.contains(name));
    let mut labels: LabelSet = stream_labels
        .iter()
        .filter(|l| wanted(&l.name))
        .map(|l| (l.name.clone(), l.value.clone()))
        .collect();
    for (k, v) in metadata.iter().filter(|(k, _)| wanted(k)) {
        set(&mut labels, k, v.clone());
    }
    let ctx = Ctx {
        stream: stream_labels,
        hints,
    };
    let mut value = None;
    for stage in stages {
        let before = trace.as_ref().map(|_| (labels.clone(), line.to_string()));
        let kept = run_stage(stage, &mut line, ts_ns, &mut labels, &ctx, &mut value);
        if let (Some(t), Some((old_labels, old_line))) = (trace.as_deref_mut(), before) {
            let changed = labels
                .iter()
                .filter(|(n, v)| get(&old_labels, n) != Some(v.as_str()))
                .cloned()
                .collect();
            let removed = old_labels
                .iter()
                .filter(|(n, _)| get(&labels, n).is_none())
                .map(|(n, _)| n.clone())
                .collect();
            t.push(StageTrace {
                stage: stage.text.clone(),
                kept,
                changed,
                removed,
                line: (old_line != line.as_ref()).then(|| line.to_string()),
                error: get(&labels, "__error__")
                    .filter(|_| get(&old_labels, "__error__").is_none())
                    .map(|e| match get(&labels, "__error_details__") {
                        Some(d) => format!("{e}: {d}"),
                        None => e.to_string(),
                    }),
            });
        }
        if !kept {
            return None;
        }
    }
    Some(Processed {
        line: line.into_owned(),
        labels,
        value,
    })
}

/// What stages need besides the line and its labels.
struct Ctx<'a> {
    /// The stream's labels: an extracted label with one of their names gets `_extracted`.
    stream: &'a Labels,
    hints: Hints<'a>,
}

impl Ctx<'_> {
    /// The name an extracted field gets, or `None` when the query does not need it.
    fn name_for<'n>(&self, field: &'n str) -> Option<std::borrow::Cow<'n, str>> {
        let name = if self.stream.get(field).is_some() {
            std::borrow::Cow::Owned(format!("{field}_extracted"))
        } else {
            std::borrow::Cow::Borrowed(field)
        };
        self.hints
            .is_none_or(|h| h.contains(name.as_ref()))
            .then_some(name)
    }
}

/// Sets an extracted label (sanitized; `_extracted` on a clash with a stream label).
fn extract(labels: &mut LabelSet, ctx: &Ctx, name: &str, value: String) {
    let clean = sanitize(name);
    if let Some(n) = ctx.name_for(&clean) {
        set(labels, &n, value);
    }
}

fn fail(labels: &mut LabelSet, error: &str, details: String) {
    if get(labels, "__error__").is_none() {
        set(labels, "__error__", error.to_string());
        set(labels, "__error_details__", details);
    }
}

/// A JSON path of `json` parameters: `a.b`, `servers[0]`, `headers["User-Agent"]`.
fn json_path<'a>(doc: &'a serde_json::Value, path: &str) -> Option<&'a serde_json::Value> {
    let mut node = doc;
    let mut rest = path;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix('[') {
            let close = after.find(']')?;
            let key = &after[..close];
            node = if let Ok(i) = key.parse::<usize>() {
                node.get(i)?
            } else {
                node.get(key.trim_matches('"'))?
            };
            rest = &after[close + 1..];
        } else {
            let rest2 = rest.strip_prefix('.').unwrap_or(rest);
            let end = rest2.find(['.', '[']).unwrap_or(rest2.len());
            node = node.get(&rest2[..end])?;
            rest = &rest2[end..];
        }
    }
    Some(node)
}

fn run_stage(
    stage: &Stage,
    line: &mut std::borrow::Cow<str>,
    ts_ns: i64,
    labels: &mut LabelSet,
    ctx: &Ctx,
    value: &mut Option<f64>,
) -> bool {
    match &stage.kind {
        StageKind::LineFilter(f) => line_filter_keeps(f, line),
        StageKind::Json(params) => {
            if params.is_empty() {
                let mut found: Vec<(String, String)> = Vec::new();
                let text: &str = line;
                let scanned = super::jsonscan::scan(text, &mut |k, v| {
                    if let Some(name) = ctx.name_for(k) {
                        found.push((name.into_owned(), v()?.into_owned()));
                    }
                    Ok(())
                });
                match scanned {
                    Ok(()) => {
                        for (k, v) in found {
                            set(labels, &k, v);
                        }
                    }
                    Err(e) => fail(labels, "JSONParserErr", e.to_string()),
                }
                return true;
            }
            match serde_json::from_str::<serde_json::Value>(line.trim()) {
                Ok(doc) => {
                    for (name, path) in params {
                        let v = match json_path(&doc, path) {
                            Some(serde_json::Value::String(s)) => s.clone(),
                            Some(serde_json::Value::Null) | None => String::new(),
                            Some(other) => other.to_string(),
                        };
                        extract(labels, ctx, name, v);
                    }
                }
                Err(e) => fail(labels, "JSONParserErr", e.to_string()),
            }
            true
        }
        StageKind::Logfmt {
            strict,
            keep_empty,
            params,
        } => {
            let mut found: Vec<(String, String)> = Vec::new();
            let text: &str = line;
            let scanned = logfmt_scan(text, *strict, &mut |k, v| {
                if v.is_empty() && !*keep_empty {
                    return;
                }
                let name = if params.is_empty() {
                    sanitize(k)
                } else {
                    match params.iter().find(|(_, key)| key == k) {
                        Some((name, _)) => name.clone(),
                        None => return,
                    }
                };
                if let Some(n) = ctx.name_for(&name) {
                    found.push((n.into_owned(), v.into_owned()));
                }
            });
            match scanned {
                Some(()) => {
                    for (k, v) in found {
                        set(labels, &k, v);
                    }
                }
                None if *strict => fail(
                    labels,
                    "LogfmtParserErr",
                    "the line is not strict logfmt".to_string(),
                ),
                None => {}
            }
            true
        }
        StageKind::Regexp(re) => {
            if let Some(caps) = re.captures(line) {
                for name in re.capture_names().flatten() {
                    if let Some(m) = caps.name(name) {
                        extract(labels, ctx, name, m.as_str().to_string());
                    }
                }
            }
            true
        }
        StageKind::Pattern(p) => {
            if let Some(caps) = p.matches(line) {
                for (k, v) in caps {
                    extract(labels, ctx, &k, v);
                }
            }
            true
        }
        StageKind::Unpack => {
            match serde_json::from_str::<serde_json::Value>(line.trim()) {
                Ok(serde_json::Value::Object(map)) => {
                    let mut entry = None;
                    for (k, v) in map {
                        let Some(s) = v.as_str() else { continue };
                        if k == "_entry" {
                            entry = Some(s.to_string());
                        } else {
                            extract(labels, ctx, &k, s.to_string());
                        }
                    }
                    if let Some(e) = entry {
                        *line = std::borrow::Cow::Owned(e);
                    }
                }
                _ => fail(
                    labels,
                    "JSONParserErr",
                    "the line is not a JSON object".to_string(),
                ),
            }
            true
        }
        StageKind::LabelFilter(f) => {
            let (keep, error) = label_filter(f, labels);
            if let Some(e) = error {
                fail(labels, "LabelFilterErr", e);
                return true;
            }
            keep
        }
        StageKind::LineFormat(t) => {
            match render_template(t, labels, line, ts_ns) {
                Ok(s) => *line = std::borrow::Cow::Owned(s),
                Err(e) => fail(labels, "TemplateFormatErr", e.to_string()),
            }
            true
        }
        StageKind::LabelFormat(assignments) => {
            let snapshot = labels.clone();
            // Every template of the stage reads the labels as they came in.
            let templates = assignments
                .iter()
                .any(|(_, v)| matches!(v, LabelFormatValue::Template(_)));
            let dot = if templates {
                template_labels(&snapshot)
            } else {
                Value::Nil
            };
            for (dst, v) in assignments {
                match v {
                    LabelFormatValue::Rename(src) => {
                        let value = get(&snapshot, src).unwrap_or("").to_string();
                        remove(labels, src);
                        set(labels, dst, value);
                    }
                    LabelFormatValue::Template(t) => {
                        let env = Env::default().dot(dot.clone()).log_line(line, ts_ns);
                        match t.render(&env) {
                            Ok(s) => set(labels, dst, s),
                            Err(e) => fail(labels, "TemplateFormatErr", e.to_string()),
                        }
                    }
                }
            }
            labels.retain(|(_, v)| !v.is_empty());
            true
        }
        StageKind::Drop(items) => {
            labels.retain(|(n, v)| {
                !items
                    .iter()
                    .any(|(name, m)| name == n && m.as_ref().is_none_or(|m| m.matches_value(v)))
            });
            true
        }
        StageKind::Keep(items) => {
            labels.retain(|(n, v)| {
                items
                    .iter()
                    .any(|(name, m)| name == n && m.as_ref().is_none_or(|m| m.matches_value(v)))
            });
            true
        }
        StageKind::Decolorize => {
            *line = std::borrow::Cow::Owned(decolorize(line));
            true
        }
        StageKind::Unwrap { label, conversion } => {
            let text = get(labels, label).unwrap_or("").to_string();
            let parsed = match conversion {
                Conversion::Plain => text.trim().parse::<f64>().ok(),
                Conversion::Duration => parse_go_duration(text.trim()),
                Conversion::Bytes => parse_bytes(text.trim()),
            };
            match parsed {
                Some(v) => *value = Some(v),
                None => fail(
                    labels,
                    "SampleExtractionErr",
                    format!("cannot unwrap {label}={text:?}"),
                ),
            }
            remove(labels, label);
            true
        }
    }
}

/// Whether a label filter keeps the line, and a conversion error if any.
fn label_filter(f: &LabelFilter, labels: &LabelSet) -> (bool, Option<String>) {
    match f {
        LabelFilter::And(a, b) => {
            let (ka, ea) = label_filter(a, labels);
            if !ka && ea.is_none() {
                return (false, None);
            }
            let (kb, eb) = label_filter(b, labels);
            (ka && kb, ea.or(eb))
        }
        LabelFilter::Or(a, b) => {
            let (ka, ea) = label_filter(a, labels);
            if ka && ea.is_none() {
                return (true, None);
            }
            let (kb, eb) = label_filter(b, labels);
            (ka || kb, if ka || kb { None } else { ea.or(eb) })
        }
        LabelFilter::Cmp {
            name, op, value, ..
        } => {
            let actual = get(labels, name);
            let ord = |a: f64, b: f64| match op {
                CmpOp::Eq => a == b,
                CmpOp::Ne => a != b,
                CmpOp::Gt => a > b,
                CmpOp::Ge => a >= b,
                CmpOp::Lt => a < b,
                CmpOp::Le => a <= b,
                CmpOp::Re | CmpOp::NotRe => false,
            };
            match value {
                Literal::Str(s, regex) => {
                    let a = actual.unwrap_or("");
                    let keep = match op {
                        CmpOp::Eq => a == s,
                        CmpOp::Ne => a != s,
                        CmpOp::Re => regex.as_ref().is_some_and(|r| r.is_match(a)),
                        CmpOp::NotRe => !regex.as_ref().is_some_and(|r| r.is_match(a)),
                        _ => false,
                    };
                    (keep, None)
                }
                numeric => {
                    let Some(a) = actual else {
                        return (false, None);
                    };
                    let (parsed, want) = match numeric {
                        Literal::Number(n) => (a.trim().parse::<f64>().ok(), *n),
                        Literal::Duration(s) => (parse_go_duration(a.trim()), *s),
                        Literal::Bytes(b) => (parse_bytes(a.trim()), *b),
                        Literal::Str(..) => (None, 0.0),
                    };
                    match parsed {
                        Some(v) => (ord(v, want), None),
                        None => (
                            true,
                            Some(format!("cannot compare {name}={a:?} with a number")),
                        ),
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::parser::parse_log_query;
    use super::*;

    fn run(query: &str, line: &str) -> Option<Processed> {
        let q = parse_log_query(query).unwrap();
        process(&q.stages, line, 0, &Labels::new([("job", "x")]), &[], None)
    }

    fn label(p: &Processed, name: &str) -> Option<String> {
        get(&p.labels, name).map(str::to_string)
    }

    #[test]
    fn documentation_examples() {
        // Loki docs: logfmt and a numeric label filter on a duration.
        let line = r#"level=debug ts=2020-10-02T10:10:42.092268913Z caller=logging.go:66 traceID=a9d4d8a928d8db1 msg="POST /api/prom/api/v1/query_range (200) 1.5s""#;
        let p = run(
            r#"{job="x"} | logfmt | level="debug" | caller=~"logging.go:.*""#,
            line,
        )
        .unwrap();
        assert_eq!(label(&p, "traceID").as_deref(), Some("a9d4d8a928d8db1"));
        assert!(run(r#"{job="x"} | logfmt | level="error""#, line).is_none());

        // Loki docs: the pattern parser on an nginx line.
        let nginx = r#"0.191.12.2 - - [10/Jun/2021:09:14:29 +0000] "GET /api/plugins/versioncheck HTTP/1.1" 200 2 "-" "Go-http-client/2.0" "13.76.247.102, 34.120.177.193" "TLSv1.2" "US" """#;
        let p = run(r#"{job="x"} | pattern "<ip> - - <_> \"<method> <uri> <_>\" <status> <size> <_> \"<agent>\" <_>""#, nginx).unwrap();
        assert_eq!(label(&p, "ip").as_deref(), Some("0.191.12.2"));
        assert_eq!(label(&p, "method").as_deref(), Some("GET"));
        assert_eq!(
            label(&p, "uri").as_deref(),
            Some("/api/plugins/versioncheck")
        );
        assert_eq!(label(&p, "status").as_deref(), Some("200"));
        assert_eq!(label(&p, "agent").as_deref(), Some("Go-http-client/2.0"));

        // Loki docs: the regexp parser.
        let p = run(r#"{job="x"} | regexp "(?P<method>\\w+) (?P<path>[\\w|/]+) \\((?P<status>\\d+?)\\) (?P<duration>.*)""#, "POST /api/prom/api/v1/query_range (200) 1.062922ms").unwrap();
        assert_eq!(label(&p, "duration").as_deref(), Some("1.062922ms"));
        assert_eq!(
            label(&p, "path").as_deref(),
            Some("/api/prom/api/v1/query_range")
        );

        // Loki docs: json with and without parameters.
        let json = r#"{"protocol":"HTTP/2.0","servers":["129.0.1.1","10.2.1.3"],"request":{"time":"6.032","method":"GET","host":"foo.grafana.net","size":"55","headers":{"Accept":"*/*","User-Agent":"curl/7.68.0"}},"response":{"status":401,"size":"228","latency_seconds":"6.031"}}"#;
        let p = run(r#"{job="x"} | json"#, json).unwrap();
        assert_eq!(
            label(&p, "request_headers_User_Agent").as_deref(),
            Some("curl/7.68.0")
        );
        assert_eq!(label(&p, "response_status").as_deref(), Some("401"));
        assert_eq!(label(&p, "servers"), None);
        let p = run(
            r#"{job="x"} | json first_server="servers[0]", ua="request.headers[\"User-Agent\"]""#,
            json,
        )
        .unwrap();
        assert_eq!(label(&p, "first_server").as_deref(), Some("129.0.1.1"));
        assert_eq!(label(&p, "ua").as_deref(), Some("curl/7.68.0"));

        // Loki docs: line_format, label_format, unpack.
        let p = run(
            r#"{job="x"} | logfmt | line_format "{{.level | ToUpper}} {{.caller}}""#,
            line,
        )
        .unwrap();
        assert_eq!(p.line, "DEBUG logging.go:66");
        let p = run(
            r#"{job="x"} | logfmt | label_format who=traceID, lvl="{{.level}}!""#,
            line,
        )
        .unwrap();
        assert_eq!(
            (
                label(&p, "who").as_deref(),
                label(&p, "traceID"),
                label(&p, "lvl").as_deref()
            ),
            (Some("a9d4d8a928d8db1"), None, Some("debug!"))
        );
        let p = run(
            r#"{job="x"} | unpack"#,
            r#"{"container":"myapp","pod":"p1","_entry":"the original line"}"#,
        )
        .unwrap();
        assert_eq!(
            (p.line.as_str(), label(&p, "pod").as_deref()),
            ("the original line", Some("p1"))
        );
    }

    #[test]
    fn filters_and_errors() {
        assert!(run(r#"{job="x"} |= "a" or "b""#, "xbx").is_some());
        assert!(run(r#"{job="x"} != "a" or "b""#, "xbx").is_none());
        assert!(run(r#"{job="x"} |~ "err(or)?" !~ "timeout""#, "an error").is_some());
        // A label clashing with a stream label is renamed.
        let p = run(r#"{job="x"} | logfmt"#, "job=other").unwrap();
        assert_eq!(label(&p, "job_extracted").as_deref(), Some("other"));
        // Numbers, durations and bytes.
        assert!(
            run(
                r#"{job="x"} | logfmt | duration > 1s and size >= 20MB"#,
                "duration=1.5s size=25MB"
            )
            .is_some()
        );
        assert!(
            run(
                r#"{job="x"} | logfmt | duration > 1s and size >= 20MB"#,
                "duration=500ms size=25MB"
            )
            .is_none()
        );
        assert!(
            run(
                r#"{job="x"} | logfmt | status >= 500 or level="error""#,
                "status=200 level=error"
            )
            .is_some()
        );
        // A failed conversion keeps the line and says why.
        let p = run(r#"{job="x"} | logfmt | status > 400"#, "status=abc").unwrap();
        assert_eq!(label(&p, "__error__").as_deref(), Some("LabelFilterErr"));
        let p = run(r#"{job="x"} | json"#, "not json").unwrap();
        assert_eq!(label(&p, "__error__").as_deref(), Some("JSONParserErr"));
        assert!(run(r#"{job="x"} | json | __error__="""#, "not json").is_none());
        // drop, keep, decolorize, unwrap.
        let p = run(
            r#"{job="x"} | logfmt | drop a, b="2" | keep job, b, c"#,
            "a=1 b=2 c=3",
        )
        .unwrap();
        assert_eq!(
            p.labels,
            [
                ("job".to_string(), "x".to_string()),
                ("c".to_string(), "3".to_string())
            ]
        );
        assert_eq!(
            run(r#"{job="x"} | decolorize"#, "\u{1b}[31mred\u{1b}[0m")
                .unwrap()
                .line,
            "red"
        );
        let p = run(
            r#"{job="x"} | logfmt | unwrap duration(latency)"#,
            "latency=250ms",
        )
        .unwrap();
        assert_eq!((p.value, label(&p, "latency")), (Some(0.25), None));
    }

    #[test]
    fn the_inspector_sees_each_stage() {
        let q = parse_log_query(
            r#"{job="x"} |= "GET" | logfmt | status >= 500 | line_format "{{.status}}""#,
        )
        .unwrap();
        let mut trace = Vec::new();
        let out = process(
            &q.stages,
            "method=GET status=503",
            0,
            &Labels::new([("job", "x")]),
            &[],
            Some(&mut trace),
        );
        assert_eq!(out.unwrap().line, "503");
        assert_eq!(trace.len(), 4);
        assert!(trace.iter().all(|t| t.kept));
        assert_eq!(
            trace[1].changed,
            [
                ("method".to_string(), "GET".to_string()),
                ("status".to_string(), "503".to_string())
            ]
        );
        assert_eq!(trace[3].line.as_deref(), Some("503"));
        let mut trace = Vec::new();
        assert!(
            process(
                &q.stages,
                "method=GET status=200",
                0,
                &Labels::new([("job", "x")]),
                &[],
                Some(&mut trace)
            )
            .is_none()
        );
        assert_eq!((trace.len(), trace[2].kept), (3, false));
    }

    /// `line_format` and `label_format` run Go's text/template with Loki's
    /// functions, as Loki does: `if`, `range`, `with`, `$variables`, and the
    /// examples of Loki's documentation with the outputs it gives.
    #[test]
    fn templates_as_lokis_documentation_runs_them() {
        let line = "ip=1.1.1.1 status=200 duration=3000 err=ErrTimeout";
        let cases = [
            (
                r#"{job="x"} | logfmt | line_format "{{.ip}} {{.status}} {{div .duration 1000}}""#,
                "1.1.1.1 200 3",
            ),
            (
                r#"{job="x"} | logfmt | line_format `{{ if contains "ErrTimeout" .err }} timeout {{else if contains "he" "hello"}} yes {{else}} no {{end}}`"#,
                " timeout ",
            ),
            (
                r#"{job="x"} | logfmt | line_format `{{ $s := .status }}{{ with .ip }}{{ . }} said {{ $s }}{{ end }}`"#,
                "1.1.1.1 said 200",
            ),
            (
                r#"{job="x"} | line_format `{{ __line__ | count "=" }} pairs`"#,
                "4 pairs",
            ),
        ];
        for (query, want) in cases {
            assert_eq!(run(query, line).unwrap().line, want, "{query}");
        }
        let p = run(
            r#"{job="x"} | label_format queries=`[{"query":"up"},{"query":"rate(x[5m])"}]` | line_format `{{ range $q := fromJson .queries }} {{ $q.query }} {{ end }}`"#,
            line,
        )
        .unwrap();
        assert_eq!(p.line, " up  rate(x[5m]) ");
        let p = run(
            r#"{job="x"} | logfmt | label_format secs=`{{ div .duration 1000 }}`, who=ip"#,
            line,
        )
        .unwrap();
        assert_eq!(
            (label(&p, "secs").as_deref(), label(&p, "who").as_deref()),
            (Some("3"), Some("1.1.1.1"))
        );
        // A template that fails on a line marks it, as Loki does.
        let p = run(r#"{job="x"} | line_format `{{ div 1 0 }}`"#, line).unwrap();
        assert_eq!(label(&p, "__error__").as_deref(), Some("TemplateFormatErr"));
    }

    #[test]
    fn units() {
        assert_eq!(parse_go_duration("1h2m3.5s"), Some(3723.5));
        assert_eq!(parse_go_duration("250ms"), Some(0.25));
        assert_eq!(parse_go_duration("1.5"), None);
        assert_eq!(parse_bytes("20MB"), Some(2e7));
        assert_eq!(parse_bytes("1KiB"), Some(1024.0));
        assert_eq!(parse_bytes("fast"), None);
    }
}
