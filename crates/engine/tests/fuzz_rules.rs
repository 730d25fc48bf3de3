//! Fuzzing of what the Alerts page runs on typed text: rule files (YAML,
//! PromQL, templates) and their evaluation, rule unit tests, and alert
//! templates on their own. Inputs are the texts below, mutated byte by byte
//! and token by token.
//!
//! `cargo test` runs a fixed number of inputs from a fixed seed, the same on
//! every machine (`common::Fuzz`: `O11Y_FUZZ_SEED`, `O11Y_FUZZ_INPUTS`).
//! A long run, with overflow checks in an optimised build:
//! `O11Y_FUZZ_SECONDS=600 cargo test --profile fuzz -p o11y-engine --test fuzz_rules -- --nocapture`.
//! A failure prints its input and the command that checks it alone:
//! `O11Y_FUZZ_SEED=<seed> O11Y_FUZZ_ONLY=<n> cargo test -p o11y-engine --test fuzz_rules -- --nocapture`.

use o11y_engine::alerting::rules::group::RuleEngine;
use o11y_engine::alerting::rules::parse_rule_file;
use o11y_engine::alerting::rules::unittest::run_test_file;
use o11y_engine::metrics::store::{Sample, SeriesStore};
use o11y_engine::metrics::tsdb::Tsdb;
use o11y_engine::model::labels::Labels;
use o11y_engine::template::{Env, Template, Value};
use rand::Rng;

mod common;

const RULES: &str = "groups:\n  - name: shop\n    interval: 30s\n    limit: 10\n    labels: {team: web}\n    rules:\n      - alert: HighErrorRate\n        expr: sum(rate(x{status=~\"5..\"}[1m])) / sum(rate(x[1m])) > 0.05\n        for: 1m\n        keep_firing_for: 30s\n        labels: {severity: '{{ if gt $value 0.1 }}page{{ else }}ticket{{ end }}'}\n        annotations:\n          summary: '{{ $value | humanizePercentage }} of {{ $labels.job }} fail'\n          more: '{{ range query \"x\" }}{{ .Labels.status }}={{ .Value | humanize }} {{ end }}'\n      - record: job:x:rate1m\n        expr: sum by (job) (rate(x[1m]))\n";

const TEST: &str = "rule_files: [rules.yml]\nevaluation_interval: 30s\ntests:\n  - interval: 15s\n    input_series:\n      - series: 'x{job=\"a\", status=\"500\"}'\n        values: '0+3x40'\n      - series: 'x{job=\"a\", status=\"200\"}'\n        values: '0+10x40 _ stale'\n    alert_rule_test:\n      - eval_time: 5m\n        alertname: HighErrorRate\n        exp_alerts: [{exp_labels: {severity: page}}]\n    promql_expr_test:\n      - expr: job:x:rate1m\n        eval_time: 2m\n        exp_samples: [{labels: 'job:x:rate1m{job=\"a\"}', value: 0.8}]\n";

const ANNOTATION: &str = "{{ $value | humanizePercentage }} {{ if gt $value 0.5 }}{{ $labels.job | toUpper }}{{ end }} {{ printf \"%.2f\" $value }}";

/// One input: a rule file evaluated, a rule test run against a rule file,
/// or an alert template rendered.
#[derive(Debug)]
enum Typed {
    RuleFile(String),
    RuleTest { test: String, rules: String },
    Annotation(String),
}

const PIECES: [&str; 20] = [
    "{{",
    "}}",
    "{{-",
    "$labels",
    "| humanize",
    "range",
    "end",
    "else",
    ":",
    "- ",
    "\n  ",
    "[",
    "]",
    "'",
    "\"",
    "5m",
    "for: ",
    "alert: ",
    "expr: ",
    "query",
];

#[test]
fn typed_rules_tests_and_templates_never_panic() {
    let mut store = Tsdb::default();
    for (status, step) in [("500", 3.0), ("200", 10.0)] {
        let l = Labels::new([("__name__", "x"), ("job", "a"), ("status", status)]);
        for i in 0..40 {
            store
                .append(
                    &l,
                    Sample {
                        ts_ms: i * 15_000,
                        value: step * i as f64,
                    },
                )
                .unwrap();
        }
    }
    let fuzz = common::Fuzz {
        target: "fuzz_rules",
        seed: 9,
        inputs: 6_000,
        accepted: "valid or passing",
    };
    fuzz.run(
        |rng| match rng.random_range(0..3) {
            0 => Typed::RuleFile(common::mutate(rng, RULES, &PIECES)),
            1 => {
                let test = common::mutate(rng, TEST, &PIECES);
                let rules = common::mutate(rng, RULES, &PIECES);
                Typed::RuleTest { test, rules }
            }
            _ => Typed::Annotation(common::mutate(rng, ANNOTATION, &PIECES)),
        },
        |typed| match typed {
            Typed::RuleFile(text) => {
                let Ok(file) = parse_rule_file(text) else {
                    return false;
                };
                let mut engine = RuleEngine::new(file, 30_000, 0);
                let mut db = store.clone();
                engine.advance_to(600_000, &mut db);
                true
            }
            Typed::RuleTest { test, rules } => run_test_file(test, &|_| Ok(rules.clone())).passed,
            Typed::Annotation(text) => {
                let Ok(t) = Template::parse(
                    "t",
                    text,
                    &["labels", "value", "externalLabels", "externalURL"],
                ) else {
                    return false;
                };
                let env = Env::default()
                    .var("labels", Value::labels([("job", "a")]))
                    .var("value", Value::Float(0.7))
                    .var("externalLabels", Value::labels([]))
                    .var("externalURL", Value::Str(String::new()));
                let _ = t.render(&env);
                true
            }
        },
    );
}
