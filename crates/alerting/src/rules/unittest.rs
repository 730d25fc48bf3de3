//! Rule unit tests in the format of `promtool test rules`: input series in
//! the expanding notation, rules evaluated every `evaluation_interval` from
//! the start, `alert_rule_test` (the firing alerts of a rule at a time, with
//! labels and annotations) and `promql_expr_test` (an instant query's
//! samples). The outcome and the failure messages follow promtool's.
//!
//! Rule files are named by the test file; [`run_test_file`] asks a loader
//! for their text (the CLI reads them beside the test file, the page keeps
//! them in memory).

use super::group::{AlertState, RuleEngine};
use o11y_model::duration::{format_duration, parse_duration};
use o11y_model::histogram::Histogram;
use o11y_model::labels::Labels;
use o11y_model::yaml::Node;
use o11y_promql::eval::{Evaluator, QueryLimits, Value as PromValue};
use o11y_promql::promqltest::{ScriptStore, parse_series};

/// The outcome of one test file.
#[derive(Clone, Debug, PartialEq)]
pub struct TestFileResult {
    pub passed: bool,
    /// What promtool prints for the file (`  SUCCESS` or `  FAILED:` and why).
    pub output: String,
    /// Test groups run and failed.
    pub groups: usize,
    pub failed_groups: usize,
}

/// Most rule evaluations one test group may ask for.
pub const MAX_EVALUATIONS: i64 = 2_000_000;

struct TestGroup<'n> {
    name: String,
    interval_ms: i64,
    start_ms: i64,
    input: Vec<(String, String)>,
    alert_tests: Vec<AlertTest>,
    expr_tests: Vec<ExprTest<'n>>,
    external_labels: Vec<(String, String)>,
    external_url: String,
}

struct AlertTest {
    eval_ms: i64,
    alertname: String,
    /// Labels (with `alertname`) and annotations, sorted.
    expected: Vec<(Labels, Labels)>,
}

struct ExprTest<'n> {
    expr: String,
    eval_ms: i64,
    expected: Vec<&'n Node>,
}

fn text(node: Option<&Node>) -> String {
    node.and_then(Node::as_str).unwrap_or_default().to_string()
}

fn duration(node: Option<&Node>, what: &str) -> Result<Option<i64>, String> {
    match node.and_then(Node::as_str) {
        None => Ok(None),
        Some(t) => parse_duration(t)
            .map(Some)
            .map_err(|_| format!("{what}: not a valid duration string: {t:?}")),
    }
}

fn string_map(node: Option<&Node>) -> Vec<(String, String)> {
    node.map(Node::entries)
        .unwrap_or_default()
        .iter()
        .map(|(k, v)| {
            (
                text(Some(k)),
                if v.is_null() {
                    String::new()
                } else {
                    text(Some(v))
                },
            )
        })
        .collect()
}

fn labels_of(pairs: &[(String, String)]) -> Labels {
    Labels::new(
        pairs
            .iter()
            .filter(|(_, v)| !v.is_empty())
            .map(|(k, v)| (k.as_str(), v.as_str())),
    )
}

/// `start_timestamp`: RFC 3339 or Unix seconds.
fn start_time(node: Option<&Node>) -> Result<i64, String> {
    let Some(t) = node.and_then(Node::as_str) else {
        return Ok(0);
    };
    if let Ok(s) = t.parse::<f64>() {
        return Ok((s * 1000.0) as i64);
    }
    o11y_model::time::parse_rfc3339(t)
        .map(|ns| ns.div_euclid(1_000_000))
        .ok_or_else(|| format!("start_timestamp: cannot parse {t:?} as RFC 3339 or Unix seconds"))
}

fn parse_group<'n>(node: &'n Node, eval_interval_ms: i64) -> Result<TestGroup<'n>, String> {
    let mut g = TestGroup {
        name: text(node.get("name")),
        interval_ms: duration(node.get("interval"), "interval")?.unwrap_or(eval_interval_ms),
        start_ms: start_time(node.get("start_timestamp"))?,
        input: Vec::new(),
        alert_tests: Vec::new(),
        expr_tests: Vec::new(),
        external_labels: string_map(node.get("external_labels")),
        external_url: text(node.get("external_url")),
    };
    for s in node
        .get("input_series")
        .map(Node::items)
        .unwrap_or_default()
    {
        g.input.push((text(s.get("series")), text(s.get("values"))));
    }
    for t in node
        .get("alert_rule_test")
        .map(Node::items)
        .unwrap_or_default()
    {
        let alertname = text(t.get("alertname"));
        let mut expected = Vec::new();
        for a in t.get("exp_alerts").map(Node::items).unwrap_or_default() {
            let mut labels = string_map(a.get("exp_labels"));
            labels.push(("alertname".to_string(), alertname.clone()));
            expected.push((
                labels_of(&labels),
                labels_of(&string_map(a.get("exp_annotations"))),
            ));
        }
        o11y_model::sort::sort_by(&mut expected[..], |a, b| a.0.cmp(&b.0));
        g.alert_tests.push(AlertTest {
            eval_ms: duration(t.get("eval_time"), "eval_time")?.unwrap_or(0),
            alertname,
            expected,
        });
    }
    for t in node
        .get("promql_expr_test")
        .map(Node::items)
        .unwrap_or_default()
    {
        g.expr_tests.push(ExprTest {
            expr: text(t.get("expr")),
            eval_ms: duration(t.get("eval_time"), "eval_time")?.unwrap_or(0),
            expected: t
                .get("exp_samples")
                .map(|n| n.items().iter().collect())
                .unwrap_or_default(),
        });
    }
    Ok(g)
}

/// Runs a test file. `load(path)` returns the text of a rule file it names.
pub fn run_test_file(
    text_in: &str,
    load: &dyn Fn(&str) -> Result<String, String>,
) -> TestFileResult {
    let fail = |why: String| TestFileResult {
        passed: false,
        output: format!("  FAILED:\n{why}\n"),
        groups: 0,
        failed_groups: 0,
    };
    let doc = match o11y_model::yaml::parse(text_in) {
        Ok(Some(doc)) => doc,
        Ok(None) => {
            return TestFileResult {
                passed: true,
                output: "  SUCCESS\n".into(),
                groups: 0,
                failed_groups: 0,
            };
        }
        Err(e) => return fail(format!("    {e}")),
    };
    for (k, _) in doc.entries() {
        let known = [
            "rule_files",
            "evaluation_interval",
            "group_eval_order",
            "tests",
            "fuzzy_compare",
        ];
        if !k.as_str().is_some_and(|k| known.contains(&k)) {
            return fail(format!(
                "    {}:{}: field {} not found in type main.unitTestFile",
                k.line,
                k.col,
                text(Some(k))
            ));
        }
    }
    let eval_interval_ms = match duration(doc.get("evaluation_interval"), "evaluation_interval") {
        // Zero (or none) is one minute, as in promtool.
        Ok(d) => d.filter(|&ms| ms != 0).unwrap_or(60_000).max(1),
        Err(e) => return fail(format!("    {e}")),
    };
    let fuzzy = doc.get("fuzzy_compare").and_then(Node::as_str) == Some("true");
    // The rule files, parsed once, their groups in the order asked for.
    let mut errors = Vec::new();
    let mut groups = Vec::new();
    for f in doc.get("rule_files").map(Node::items).unwrap_or_default() {
        let name = text(Some(f));
        match load(&name)
            .map_err(|e| format!("    {name}: {e}"))
            .and_then(|t| {
                super::parse_rule_file(&t).map_err(|errs| {
                    errs.iter()
                        .map(|e| format!("    {name}: {e}"))
                        .collect::<Vec<_>>()
                        .join("\n")
                })
            }) {
            Ok(file) => groups.extend(file.groups),
            Err(e) => errors.push(e),
        }
    }
    if !errors.is_empty() {
        return fail(errors.join("\n"));
    }
    let order: Vec<String> = doc
        .get("group_eval_order")
        .map(Node::items)
        .unwrap_or_default()
        .iter()
        .map(|n| text(Some(n)))
        .collect();
    if !order.is_empty() {
        let mut ordered = Vec::new();
        for name in &order {
            match groups.iter().position(|g| &g.name == name) {
                Some(i) => ordered.push(groups.remove(i)),
                None => {
                    return fail(format!(
                        "    group name provided in group_eval_order not present in rule files: {name}"
                    ));
                }
            }
        }
        ordered.append(&mut groups);
        groups = ordered;
    }
    let tests = doc.get("tests").map(Node::items).unwrap_or_default();
    let mut out = String::new();
    let mut failed_groups = 0;
    for t in tests {
        let result = parse_group(t, eval_interval_ms).map(|g| {
            let errs = run_group(&g, &groups, eval_interval_ms, fuzzy);
            (g.name, errs)
        });
        let errs = match result {
            Ok((_, errs)) if errs.is_empty() => continue,
            Ok((name, errs)) => {
                let prefix = if name.is_empty() {
                    String::new()
                } else {
                    format!("    name: {name},\n")
                };
                format!("{prefix}{}", errs.join("\n"))
            }
            Err(e) => format!("    {e}"),
        };
        failed_groups += 1;
        out.push_str(&errs);
        out.push('\n');
    }
    TestFileResult {
        passed: failed_groups == 0,
        output: if failed_groups == 0 {
            "  SUCCESS\n".to_string()
        } else {
            format!("  FAILED:\n{out}")
        },
        groups: tests.len(),
        failed_groups,
    }
}

fn fmt_time(ms: i64) -> String {
    if ms == 0 {
        "0s".to_string()
    } else {
        format_duration(ms)
    }
}

fn run_group(
    g: &TestGroup<'_>,
    groups: &[super::RuleGroup],
    eval_interval_ms: i64,
    fuzzy: bool,
) -> Vec<String> {
    let mut store = ScriptStore::without_retention();
    for (series, values) in &g.input {
        let labels = match parse_series(series) {
            Ok(l) => l,
            Err(e) => return vec![format!("    series {series:?}: {e}")],
        };
        if let Err(e) = store.load(&labels, values, g.start_ms, g.interval_ms) {
            return vec![format!("    series {series:?}: values {values:?}: {e}")];
        }
    }
    let file = super::RuleFile {
        groups: groups.to_vec(),
    };
    let mut engine = RuleEngine::new(file, eval_interval_ms, g.start_ms);
    engine.external_labels = g.external_labels.clone();
    engine.external_url = g.external_url.clone();
    let max_eval = g
        .alert_tests
        .iter()
        .map(|t| t.eval_ms)
        .chain(g.expr_tests.iter().map(|t| t.eval_ms))
        .max()
        .unwrap_or(0);
    if max_eval / eval_interval_ms > MAX_EVALUATIONS {
        return vec![format!(
            "    {} evaluations asked for; at most {MAX_EVALUATIONS} are run",
            max_eval / eval_interval_ms
        )];
    }
    let mut errs = Vec::new();
    let mut alert_tests: Vec<&AlertTest> = g.alert_tests.iter().collect();
    o11y_model::sort::sort_by_key(&mut alert_tests[..], |t| t.eval_ms);
    let mut next_alert = 0;
    let mut ts = 0;
    while ts <= max_eval {
        let at = g.start_ms + ts;
        for i in 0..engine.groups.len() {
            engine.eval_group(i, at, &mut store);
            for r in &engine.groups[i].rules {
                if let Some(e) = &r.last_error {
                    errs.push(format!(
                        "    rule: {}, time: {}, err: {e}",
                        r.rule.name(),
                        fmt_time(ts)
                    ));
                }
            }
        }
        if !errs.is_empty() {
            return errs;
        }
        // Alert tests whose time falls in [ts, ts + interval) see this evaluation.
        while next_alert < alert_tests.len()
            && alert_tests[next_alert].eval_ms < ts + eval_interval_ms
        {
            let t = alert_tests[next_alert];
            next_alert += 1;
            let mut got: Vec<(Labels, Labels)> = Vec::new();
            for grp in &engine.groups {
                for r in grp
                    .rules
                    .iter()
                    .filter(|r| r.rule.is_alert() && r.rule.name() == t.alertname)
                {
                    for a in r.active_alerts().filter(|a| a.state == AlertState::Firing) {
                        got.push((a.labels.clone(), labels_of(&a.annotations)));
                    }
                }
            }
            o11y_model::sort::sort_by(&mut got[..], |a, b| a.0.cmp(&b.0));
            if got != t.expected {
                errs.push(format!(
                    "    alertname: {}, time: {}, \n        exp:{}, \n        got:{}",
                    t.alertname,
                    fmt_time(t.eval_ms),
                    describe_alerts(&t.expected),
                    describe_alerts(&got)
                ));
            }
        }
        ts += eval_interval_ms;
    }
    for t in &g.expr_tests {
        if let Err(e) = check_expr(&store, t, g.start_ms, fuzzy) {
            errs.push(e);
        }
    }
    errs
}

fn describe_alerts(alerts: &[(Labels, Labels)]) -> String {
    if alerts.is_empty() {
        return "[]".to_string();
    }
    let mut s = String::from("[\n");
    for (i, (l, a)) in alerts.iter().enumerate() {
        s.push_str(&format!(
            "            {i}:\n              Labels:{l}\n              Annotations:{a}\n"
        ));
    }
    s.push_str("            ]");
    s
}

/// A sample a test expects or a query gave.
#[derive(Clone, Debug)]
struct Got {
    labels: Labels,
    value: f64,
    histogram: Option<Histogram>,
}

fn describe(samples: &[Got]) -> String {
    let items: Vec<String> = samples
        .iter()
        .map(|s| match &s.histogram {
            Some(h) => format!("{} {}", s.labels, h.go_string()),
            None => format!("{} {}", s.labels, o11y_model::number::format_float(s.value)),
        })
        .collect();
    items.join(", ")
}

fn check_expr(
    store: &ScriptStore,
    t: &ExprTest<'_>,
    start_ms: i64,
    fuzzy: bool,
) -> Result<(), String> {
    let at = start_ms + t.eval_ms;
    let head = format!("    expr: {:?}, time: {}", t.expr, fmt_time(t.eval_ms));
    let expr = o11y_promql::parse(&t.expr).map_err(|e| format!("{head}, err: {e}"))?;
    let value = Evaluator::new(store, at, at, 0, QueryLimits::default())
        .prepare(&expr)
        .eval(&expr, at)
        .map_err(|e| format!("{head}, err: {}", e.message))?;
    let mut got: Vec<Got> = match value {
        PromValue::Vector(v) => v
            .into_iter()
            .map(|s| Got {
                labels: s.labels,
                value: s.value,
                histogram: s.histogram.map(|h| (*h).clone()),
            })
            .collect(),
        PromValue::Scalar(f) => vec![Got {
            labels: Labels::default(),
            value: f,
            histogram: None,
        }],
        _ => {
            return Err(format!(
                "{head}, err: expression does not return a vector or scalar"
            ));
        }
    };
    let mut expected = Vec::new();
    for e in &t.expected {
        let labels_text = text(e.get("labels"));
        let labels = if labels_text.trim().is_empty() {
            Labels::default()
        } else {
            parse_series(&labels_text)
                .map_err(|err| format!("{head}, err: labels {labels_text:?}: {err}"))?
        };
        let histogram = match e.get("histogram").and_then(Node::as_str) {
            Some(h) => Some(
                Histogram::parse_notation(h)
                    .map_err(|err| format!("{head}, err: histogram {h:?}: {err}"))?,
            ),
            None => None,
        };
        let value = match e.get("value").and_then(Node::as_str) {
            Some(v) => o11y_model::number::parse_float(v)
                .ok_or_else(|| format!("{head}, err: value {v:?} is not a number"))?,
            None => 0.0,
        };
        expected.push(Got {
            labels,
            value,
            histogram,
        });
    }
    o11y_model::sort::sort_by(&mut expected[..], |a, b| a.labels.cmp(&b.labels));
    o11y_model::sort::sort_by(&mut got[..], |a, b| a.labels.cmp(&b.labels));
    let same_value = |a: f64, b: f64| {
        a == b
            || (a.is_nan() && b.is_nan())
            || (fuzzy && (a - b).abs() <= 1e-9 * a.abs().max(b.abs()))
    };
    let equal = expected.len() == got.len()
        && expected.iter().zip(&got).all(|(e, g)| {
            e.labels == g.labels
                && match (&e.histogram, &g.histogram) {
                    (Some(a), Some(b)) => a == b,
                    (None, None) => same_value(e.value, g.value),
                    _ => false,
                }
        });
    if equal {
        Ok(())
    } else {
        Err(format!(
            "{head},\n        exp: {}\n        got: {}",
            describe(&expected),
            describe(&got)
        ))
    }
}

/// `check-rules`: the rule file's problems, or how many rules it has and
/// the duplicates promtool's lint would name.
pub fn check_rules(
    text: &str,
) -> Result<(usize, Vec<super::file::Duplicate>), Vec<super::RuleError>> {
    let file = super::parse_rule_file(text)?;
    let rules = file.groups.iter().map(|g| g.rules.len()).sum();
    Ok((rules, super::file::duplicate_rules(&file)))
}

/// The alerts of a test file's rule names, for the page: which rule files
/// it names (so the page can offer them).
pub fn rule_files_of(text: &str) -> Vec<String> {
    o11y_model::yaml::parse(text)
        .ok()
        .flatten()
        .map(|doc| {
            doc.get("rule_files")
                .map(Node::items)
                .unwrap_or_default()
                .iter()
                .map(text_of)
                .collect()
        })
        .unwrap_or_default()
}

fn text_of(n: &Node) -> String {
    n.as_str().unwrap_or_default().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    const RULES: &str = "groups:\n- name: alerts\n  rules:\n  - alert: InstanceDown\n    expr: up == 0\n    for: 5m\n    labels: {severity: page}\n    annotations:\n      summary: 'Instance {{ $labels.instance }} down'\n";

    fn run(test: &str) -> TestFileResult {
        run_test_file(test, &|name| {
            if name == "rules.yml" {
                Ok(RULES.to_string())
            } else {
                Err("no such file".into())
            }
        })
    }

    // `evaluation_interval: 0s` evaluated every millisecond (two days were
    // refused as too many evaluations); promtool makes it one minute.
    #[test]
    fn zero_evaluation_interval_is_one_minute() {
        let r = run(
            "evaluation_interval: 0s\nrule_files: [rules.yml]\ntests:\n- interval: 1m\n  input_series:\n  - series: 'up{job=\"a\", instance=\"x\"}'\n    values: '0x10'\n  promql_expr_test:\n  - expr: up\n    eval_time: 2d\n    exp_samples: []\n",
        );
        assert!(r.passed, "{}", r.output);
    }

    #[test]
    fn passing_and_failing_alert_tests() {
        let good = "rule_files: [rules.yml]\ntests:\n- interval: 1m\n  input_series:\n  - series: 'up{job=\"a\", instance=\"x\"}'\n    values: '0x10'\n  alert_rule_test:\n  - eval_time: 4m\n    alertname: InstanceDown\n    exp_alerts: []\n  - eval_time: 5m\n    alertname: InstanceDown\n    exp_alerts:\n    - exp_labels: {severity: page, instance: x, job: a}\n      exp_annotations: {summary: Instance x down}\n  promql_expr_test:\n  - expr: count(ALERTS) by (alertstate)\n    eval_time: 2m\n    exp_samples:\n    - labels: '{alertstate=\"pending\"}'\n      value: 1\n";
        let r = run(good);
        assert!(r.passed, "{}", r.output);
        let bad = good.replace("eval_time: 4m", "eval_time: 6m");
        let r = run(&bad);
        assert!(!r.passed);
        assert!(
            r.output.contains("alertname: InstanceDown, time: 6m"),
            "{}",
            r.output
        );
        let missing = "rule_files: [nope.yml]\ntests: []\n";
        assert!(run(missing).output.contains("nope.yml: no such file"));
    }

    #[test]
    fn expression_tests_report_both_sides() {
        let t = "tests:\n- input_series:\n  - series: test\n    values: '0'\n  promql_expr_test:\n  - expr: test\n    exp_samples:\n    - labels: test\n      value: 1\n";
        let r = run(t);
        assert!(!r.passed);
        assert!(
            r.output.contains("exp: test 1") && r.output.contains("got: test 0"),
            "{}",
            r.output
        );
        let junk = [
            "tests: [1, {input_series: [{series: '{'}]}]",
            "rule_files: 3\ntests: {}",
            "tests:\n- promql_expr_test: [{expr: 'sum(', eval_time: 1h}]",
            "evaluation_interval: 0s\ntests: [{promql_expr_test: [{expr: '1', eval_time: 1000y}]}]",
        ];
        for j in junk {
            let _ = run(j);
        }
    }
}
