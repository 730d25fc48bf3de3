//! Native tests of the lesson format and the checker: each diagnostic is
//! produced by a case built for it, on one scenario built once.

use std::sync::OnceLock;

use super::*;

/// A lesson whose scenario has an error burst in `payment` from 20 to 8
/// minutes before its start; `{service}` is the failing service.
fn lesson_text(service: &str) -> String {
    LESSON.replace("{service}", service)
}

const LESSON: &str = r#"---
id: test-lesson
title: A test lesson
pillar: metrics
level: 1
scenario:
  seed: 3
  start: 2026-01-05T10:00:00Z
  history: 25m
  detail: 25m
  traffic: 10
  failures:
    - kind: error_burst
      service: {service}
      rate: 0.6
      from: -20m
      to: -8m
---

# Rates

Prose.

```exercise
id: rate
kind: promql
prompt: The per-second rate of requests per service over 5 minutes.
reference: sum by (service) (rate(http_requests_total[5m]))
at: [0s, -10m]
hints: [one, two]
traps:
  - answer: sum by (service) (increase(http_requests_total[5m]))
    hint: That is the increase over five minutes, not a per-second rate.
```

```exercise
id: ordered
kind: promql
prompt: Services by request rate, highest first.
reference: sort_desc(sum by (service) (rate(http_requests_total[5m])))
ordered: true
hints: [one, two]
traps:
  - answer: sort(sum by (service) (rate(http_requests_total[5m])))
    hint: Highest first.
```

```exercise
id: tolerant
kind: promql
prompt: Requests per service.
reference: sum by (service) (rate(http_requests_total[5m]))
tolerance: 0.01
hints: [one, two]
traps:
  - answer: sum by (service) (rate(http_requests_total[5m])) * 2
    hint: Twice.
```

```exercise
id: ranged
kind: promql
prompt: The rate over the last ten minutes, every minute.
reference: sum(rate(http_requests_total[1m]))
range: {start: -10m, end: 0s, step: 1m}
hints: [one, two]
traps:
  - answer: sum(rate(http_requests_total[5m]))
    hint: A one-minute window.
```

```exercise
id: errors-logs
kind: logql
prompt: The payment service's error lines.
reference: '{service_name="payment", level="error"}'
at: [-5m]
limit: 5000
hints: [one, two]
traps:
  - answer: '{service_name="payment"}'
    hint: Only the errors.
```

```exercise
id: culprit
kind: answer
prompt: Which service failed?
reference:
  promql: topk(1, sum by (service) (rate(http_requests_total{status=~"5.."}[5m])) / sum by (service) (rate(http_requests_total[5m])))
  at: -9m
  take: label:service
hints: [one, two]
traps:
  - answer: frontend
    hint: The frontend only passes errors on.
```

```exercise
id: failing-service
kind: answer
prompt: Which service failed?
reference: {failure: service}
hints: [one, two]
traps:
  - answer: frontend
    hint: The frontend only passes errors on.
```

```exercise
id: failure-kind
kind: answer
prompt: What kind of failure?
reference: {failure: kind}
hints: [one, two]
traps:
  - answer: latency spike
    hint: Slower is not failing.
```

```exercise
id: failure-start
kind: answer
prompt: When did it start?
reference: {failure: start}
hints: [one, two]
traps:
  - answer: "-8m"
    hint: That is when it ended.
```

```exercise
id: evidence
kind: answer
prompt: A trace whose critical path runs through the failing service.
reference: {trace_through: failure}
hints: [one, two]
traps:
  - answer: 00000000000000000000000000000000
    hint: That is no trace of the scenario.
```

```exercise
id: metric-type
kind: answer
prompt: What type is http_requests_total?
reference: {metric_type: http_requests_total}
hints: [one, two]
traps:
  - answer: gauge
    hint: It only goes up.
```

```exercise
id: alert
kind: rule
prompt: Alert on the failing service's errors.
reference: |
  groups:
    - name: test
      rules:
        - alert: ServiceErrors
          expr: sum by (service) (rate(http_requests_total{status=~"5..", service="{service}"}[1m])) / sum by (service) (rate(http_requests_total{service="{service}"}[1m])) > 0.2
          for: 2m
          annotations:
            summary: '{{ $labels.service }} fails'
from: -25m
alerts:
  - labels: {alertname: ServiceErrors, service: {service}}
    firing: [-15m, -9m]
quiet: [[-25m, -21m], [-4m, 0s]]
annotations: [summary]
hints: [one, two]
traps:
  - answer: |
      groups:
        - name: test
          rules:
            - alert: ServiceErrors
              expr: sum by (service) (rate(http_requests_total{status=~"5..", service="{service}"}[1m])) / sum by (service) (rate(http_requests_total{service="{service}"}[1m])) > 0.2
              for: 30m
    hint: Thirty minutes is longer than the failure.
```

```exercise
id: route
kind: routing
prompt: Send payment alerts to the payments team.
reference: |
  route:
    receiver: default
    group_by: [alertname]
    routes:
      - receiver: payments
        matchers: ['service="payment"']
        group_by: [alertname, service]
  receivers:
    - name: default
    - name: payments
alerts: ['{alertname="X", service="payment"}', '{alertname="X", service="orders"}']
hints: [one, two]
traps:
  - answer: |
      route:
        receiver: default
        group_by: [alertname]
      receivers:
        - name: default
        - name: payments
    hint: Add a child route.
```

```exercise
id: inhibit
kind: routing
prompt: Mute the warnings of a service while its page fires.
reference: |
  route:
    receiver: default
  receivers:
    - name: default
  inhibit_rules:
    - source_matchers: [severity="page"]
      target_matchers: [severity="warning"]
      equal: [service]
alerts: ['{alertname="A", severity="page", service="payment"}', '{alertname="B", severity="warning", service="payment"}', '{alertname="C", severity="warning", service="orders"}']
hints: [one, two]
traps:
  - answer: |
      route:
        receiver: default
      receivers:
        - name: default
      inhibit_rules:
        - source_matchers: [severity="page"]
          target_matchers: [severity="warning"]
    hint: Without `equal`, a page of one service mutes the warnings of all.
```

```exercise
id: silence
kind: silence
prompt: Silence the payment service's latency alerts only.
reference: alertname="HighLatency", service="payment"
alerts: ['{alertname="HighLatency", service="payment"}', '{alertname="HighLatency", service="orders"}', '{alertname="HighErrorRate", service="payment"}']
hints: [one, two]
traps:
  - answer: service="payment"
    hint: That mutes every payment alert, errors too.
```

```exercise
id: tests
kind: ruletest
prompt: Test that the alert fires after its `for`.
rules: |
  groups:
    - name: g
      rules:
        - alert: Down
          expr: up == 0
          for: 2m
reference: |
  rule_files: [rules.yml]
  evaluation_interval: 1m
  tests:
    - interval: 1m
      input_series:
        - series: 'up{job="a"}'
          values: '0x5'
      alert_rule_test:
        - eval_time: 1m
          alertname: Down
          exp_alerts: []
        - eval_time: 3m
          alertname: Down
          exp_alerts:
            - exp_labels: {job: a}
mutants:
  - rules: |
      groups:
        - name: g
          rules:
            - alert: Down
              expr: up == 0
              for: 0s
    why: "`for` is gone"
  - rules: |
      groups:
        - name: g
          rules:
            - alert: Down
              expr: up == 1
              for: 2m
    why: the condition is the opposite
hints: [one, two]
traps:
  - answer: |
      rule_files: [rules.yml]
      evaluation_interval: 1m
      tests:
        - interval: 1m
          input_series:
            - series: 'up{job="a"}'
              values: '0x5'
          alert_rule_test:
            - eval_time: 3m
              alertname: Down
              exp_alerts:
                - exp_labels: {job: a}
    hint: Check that it does not fire before its `for` too.
```

```exercise
id: relabel
kind: relabel
prompt: Keep only the shop's targets.
reference: |
  - source_labels: [job]
    regex: shop
    action: keep
targets: ['{job="shop", instance="a"}', '{job="other", instance="b"}']
hints: [one, two]
traps:
  - answer: |
      - source_labels: [job]
        regex: shop
        action: drop
    hint: keep, not drop.
```
"#;

struct Built {
    lesson: Lesson,
    demo: crate::demo::Demo,
}

fn built() -> &'static Built {
    static B: OnceLock<Built> = OnceLock::new();
    B.get_or_init(|| {
        let lesson = parse_lesson(&lesson_text("payment")).expect("the test lesson reads");
        let demo = lesson.scenario.build().expect("its scenario builds");
        Built { lesson, demo }
    })
}

fn check(exercise: &str, answer: &str) -> Feedback {
    let b = built();
    check_answer(&b.lesson, &b.demo, exercise, answer).expect("the exercise exists")
}

fn says(f: &Feedback, part: &str) -> bool {
    f.messages.iter().any(|m| m.contains(part))
}

#[test]
fn every_reference_passes_and_every_trap_fails_with_its_hint() {
    let b = built();
    let reports = self_check(&b.lesson, &b.demo, &|| 0.0);
    assert_eq!(reports.len(), 17);
    for r in reports {
        assert!(r.ok(), "{r:?}");
    }
}

#[test]
fn equal_results_pass_whatever_the_text() {
    assert!(check("rate", "sum by (service) (rate(http_requests_total[5m]))").passed);
    // Another text with the same result.
    assert!(
        check(
            "rate",
            "sum without (instance, job, method, route, status) (rate(http_requests_total[300s]))"
        )
        .passed
    );
}

#[test]
fn a_parse_error_is_at_its_span() {
    let f = check("rate", "sum by (service) (rate(http_requests_total[5m])");
    assert!(!f.passed);
    let e = f.error.expect("a parse error");
    assert!(e.span.start > 0, "{e:?}");
}

#[test]
fn missing_and_extra_series_name_up_to_three() {
    let f = check(
        "rate",
        r#"sum by (service) (rate(http_requests_total{service!~"payment|orders"}[5m]))"#,
    );
    assert!(says(&f, "2 expected series are missing"), "{f:?}");
    assert!(says(&f, r#"service="payment""#), "{f:?}");
    let f = check(
        "rate",
        r#"sum by (service) (rate(http_requests_total[5m])) or vector(1)"#,
    );
    assert!(says(&f, "1 series are not expected"), "{f:?}");
}

#[test]
fn labels_that_differ_by_name() {
    let f = check(
        "rate",
        "sum by (service, instance) (rate(http_requests_total[5m]))",
    );
    assert!(
        says(
            &f,
            "Your series keep `instance`; the expected ones are grouped by `service` only."
        ),
        "{f:?}"
    );
    let f = check("rate", "sum(rate(http_requests_total[5m]))");
    assert!(says(&f, "Your series have no `service`"), "{f:?}");
}

#[test]
fn telling_factors() {
    let f = check(
        "rate",
        "sum by (service) (increase(http_requests_total[5m]))",
    );
    assert!(
        says(&f, "300 times the expected ones: the range in seconds"),
        "{f:?}"
    );
    // The trap's own hint comes first.
    assert_eq!(f.trap, Some(0));
    assert!(f.messages[0].contains("not a per-second rate"), "{f:?}");
    let f = check(
        "rate",
        "sum by (service) (rate(http_requests_total[5m])) * 60",
    );
    assert!(says(&f, "per minute where per second"), "{f:?}");
    let f = check(
        "rate",
        "sum by (service) (rate(http_requests_total[5m])) * 100",
    );
    assert!(says(&f, "a percentage where a ratio"), "{f:?}");
}

#[test]
fn values_from_another_time() {
    let f = check(
        "rate",
        "sum by (service) (rate(http_requests_total[5m] offset 5m))",
    );
    assert!(says(&f, "5m later than asked"), "{f:?}");
}

#[test]
fn a_range_vector_where_an_instant_vector_is_asked() {
    let f = check("rate", "http_requests_total[5m]");
    assert!(says(&f, "returns a range vector"), "{f:?}");
}

#[test]
fn tolerance_is_relative_and_settable() {
    // Within the default 1e-9.
    assert!(
        check(
            "rate",
            "sum by (service) (rate(http_requests_total[5m])) * (1 + 1e-12)"
        )
        .passed
    );
    assert!(
        !check(
            "rate",
            "sum by (service) (rate(http_requests_total[5m])) * 1.001"
        )
        .passed
    );
    // The exercise allows 1 %.
    assert!(
        check(
            "tolerant",
            "sum by (service) (rate(http_requests_total[5m])) * 1.005"
        )
        .passed
    );
    assert!(
        !check(
            "tolerant",
            "sum by (service) (rate(http_requests_total[5m])) * 1.02"
        )
        .passed
    );
}

#[test]
fn order_counts_only_where_the_exercise_says() {
    let f = check(
        "ordered",
        "sort(sum by (service) (rate(http_requests_total[5m])))",
    );
    assert!(!f.passed);
    assert!(says(&f, "in another order"), "{f:?}");
    // Unordered exercises take any order.
    assert!(
        check(
            "rate",
            "sort(sum by (service) (rate(http_requests_total[5m])))"
        )
        .passed
    );
}

#[test]
fn range_exercises_compare_every_step() {
    assert!(check("ranged", "sum(rate(http_requests_total[60s]))").passed);
    assert!(!check("ranged", "sum(rate(http_requests_total[2m]))").passed);
}

#[test]
fn log_queries_compare_lines() {
    assert!(check("errors-logs", r#"{service_name="payment"} | level="error""#).passed);
    let f = check("errors-logs", r#"{service_name="payment"}"#);
    assert!(says(&f, "keeps too much"), "{f:?}");
    let f = check(
        "errors-logs",
        r#"count_over_time({service_name="payment", level="error"}[5m])"#,
    );
    assert!(says(&f, "metric query"), "{f:?}");
}

#[test]
fn an_answer_follows_its_scenario() {
    assert!(check("culprit", "payment").passed);
    assert!(check("culprit", " \"payment\" ").passed);
    let f = check("culprit", "Payment");
    assert!(says(&f, "check the case"), "{f:?}");
    // Change the failing service: the expected answer changes with it.
    let lesson = parse_lesson(&lesson_text("orders")).expect("reads");
    let demo = lesson.scenario.build().expect("builds");
    assert!(
        check_answer(&lesson, &demo, "culprit", "orders")
            .expect("exists")
            .passed
    );
    assert!(
        !check_answer(&lesson, &demo, "culprit", "payment")
            .expect("exists")
            .passed
    );
}

#[test]
fn rules_fire_in_their_windows_and_not_outside() {
    let b = built();
    let reference = b
        .lesson
        .exercise("alert")
        .expect("exists")
        .check
        .reference()
        .to_string();
    assert!(check("alert", &reference).passed);
    let late = reference.replace("for: 2m", "for: 10m");
    let f = check("alert", &late);
    assert!(says(&f, "starts too late"), "{f:?}");
    let noisy = reference.replace("> 0.2", "> -1");
    let f = check("alert", &noisy);
    assert!(says(&f, "must stay quiet"), "{f:?}");
    let renamed = reference.replace("fails'", "is failing'");
    let f = check("alert", &renamed);
    assert!(
        says(
            &f,
            "`summary` reads \"payment is failing\"; expected \"payment fails\""
        ),
        "{f:?}"
    );
    let f = check("alert", "groups: [");
    assert!(f.error.is_some_and(|e| e.line > 0));
}

#[test]
fn routes_and_relabeling() {
    let f = check(
        "route",
        "route:\n  receiver: payments\n  group_by: [alertname]\nreceivers:\n  - name: default\n  - name: payments\n",
    );
    assert!(says(&f, "reaches `payments`; expected `default`"), "{f:?}");
    let f = check(
        "relabel",
        "- source_labels: [job]\n  regex: shop\n  action: drop\n",
    );
    assert!(says(&f, "is dropped; expected kept"), "{f:?}");
    assert_eq!(f.trap, Some(0));
}

#[test]
fn lesson_errors_name_their_line_and_column() {
    let text = lesson_text("payment");
    let bad = text.replace(
        "prompt: Which service failed?",
        "promt: Which service failed?",
    );
    let e = parse_lesson(&bad).expect_err("unknown field");
    let line = bad
        .lines()
        .position(|l| l.starts_with("promt:"))
        .expect("there")
        + 1;
    assert_eq!((e.line, e.col), (line, 1), "{e}");
    assert!(e.message.contains("unknown field \"promt\""), "{e}");
    let bad = text.replace(
        "hints: [one, two]\ntraps:\n  - answer: frontend",
        "hints: [one]\ntraps:\n  - answer: frontend",
    );
    assert!(
        parse_lesson(&bad)
            .expect_err("one hint")
            .message
            .contains("two hints")
    );
    let e = parse_lesson(&lesson_text("nowhere")).expect_err("unknown service");
    assert!(e.line > 10 && e.message.contains("nowhere"), "{e}");
    let e = parse_lesson("no front matter").expect_err("no front matter");
    assert_eq!(e.line, 1);
}

#[test]
fn the_builtin_lessons_read() {
    let course = Course::builtin();
    assert!(course.problems.is_empty(), "{:?}", course.problems);
    assert!(!course.lessons.is_empty());
}

/// The bundles the page fetches (written by Trunk's hook) hold the same
/// files, in the same order, as the engine compiles in natively.
#[test]
fn the_bundles_the_page_fetches_hold_the_lessons_and_demos_compiled_in() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let out = std::env::temp_dir().join(format!("o11y-bundles-{}", std::process::id()));
    std::fs::create_dir_all(&out).unwrap();
    let status = std::process::Command::new("sh")
        .arg(root.join("scripts/bundle-lessons.sh"))
        .env("TRUNK_SOURCE_DIR", &root)
        .env("TRUNK_STAGING_DIR", &out)
        .status()
        .expect("sh runs");
    assert!(status.success());
    let lessons = std::fs::read_to_string(out.join("lessons.bundle")).unwrap();
    let demos = std::fs::read_to_string(out.join("demos.bundle")).unwrap();
    std::fs::remove_dir_all(&out).unwrap();
    assert_eq!(read_bundle(&lessons), BUILTIN.to_vec());
    assert_eq!(read_bundle(&demos), script::BUILTIN_DEMOS.to_vec());
    let course = Course::read(read_bundle(&lessons));
    assert_eq!(course.lessons.len(), Course::builtin().lessons.len());
    assert!(course.problems.is_empty());
    assert_eq!(
        read_bundle("no file\u{1e}a.md\nA\n\u{1e}b.md"),
        vec![("a.md", "A\n"), ("b.md", "")]
    );
}

#[test]
fn progress_round_trips_and_a_corrupt_record_says_where() {
    let mut p = Progress::default();
    p.record_attempt("l", "e", "up", false);
    p.record_attempt("l", "e", "up{job=\"x\"}", true);
    assert_eq!(p.take_hint("l", "e", 2), 1);
    assert_eq!(p.take_hint("l", "e", 2), 2);
    assert_eq!(p.take_hint("l", "e", 2), 2);
    p.visit("l", 1);
    let back = Progress::from_json(&p.to_json()).expect("reads");
    assert_eq!(back, p);
    let e = back.exercise("l", "e");
    assert_eq!((e.attempts, e.hints, e.passed), (2, 2, true));
    let err = Progress::from_json("{\"version\": 1,\n \"lessons\": 5}").expect_err("corrupt");
    assert_eq!(err.line, 2, "{err}");
}

#[test]
fn infinite_values_are_not_close_to_anything_else() {
    assert!(
        !check(
            "rate",
            "sum by (service) (rate(http_requests_total[5m])) / 0"
        )
        .passed
    );
    assert!(diff::close(f64::INFINITY, f64::INFINITY, 1e-9));
    assert!(!diff::close(f64::INFINITY, 1.0, 1e-9));
}

#[test]
fn an_answer_that_does_not_parse_gets_the_hint_of_a_trap_that_does_not_either() {
    let mut lesson = built().lesson.clone();
    let Some(Step {
        exercise: Some(e), ..
    }) = lesson.steps.first_mut()
    else {
        panic!("the first step has an exercise")
    };
    e.traps.push(format::Trap {
        answer: "rate(http_requests_total)".into(),
        hint: "rate needs a range: `[5m]`.".into(),
    });
    let f =
        check_answer(&lesson, &built().demo, "rate", "rate(http_requests_total)").expect("exists");
    assert_eq!(f.trap, Some(1));
    assert!(f.error.is_some());
    assert_eq!(f.messages[0], "rate needs a range: `[5m]`.");
}

#[test]
fn what_the_scenario_injected_is_the_answer() {
    assert!(check("failing-service", "payment").passed);
    assert!(check("failure-kind", "Error burst").passed);
    assert!(check("failure-kind", "error-burst").passed);
    assert!(check("metric-type", "counter").passed);
    assert!(check("metric-type", "Counter").passed);
    // The failure starts 20 minutes before 10:00: within a minute passes.
    for ok in [
        "09:40",
        "9:40",
        "09:40:45",
        "09:39:30",
        "-20m",
        "2026-01-05T09:40:30Z",
    ] {
        assert!(check("failure-start", ok).passed, "{ok}");
    }
    let f = check("failure-start", "09:45");
    assert!(says(&f, "5m too late"), "{f:?}");
    let f = check("failure-start", "-8m");
    assert_eq!(f.trap, Some(0), "{f:?}");
    let f = check("failure-start", "when it broke");
    assert!(says(&f, "Write a time as HH:MM"), "{f:?}");
}

#[test]
fn evidence_is_any_trace_through_the_failing_service() {
    let b = built();
    let exercise = b.lesson.exercise("evidence").expect("exists");
    let checker = Checker::new(&b.demo, b.lesson.scenario.start_ms);
    let solution = checker
        .solution(exercise)
        .expect("a trace runs through payment");
    assert!(check("evidence", &solution).passed);
    // A trace of the front page never reaches payment.
    let other = b
        .demo
        .traces()
        .search(&o11y_traces::store::TraceQuery {
            operation: Some("GET /".into()),
            limit: 1,
            ..Default::default()
        })
        .first()
        .map(|t| t.trace_id.to_string())
        .expect("a front page trace");
    let f = check("evidence", &other);
    assert!(says(&f, "not through the service at fault"), "{f:?}");
    let f = check("evidence", "not an id");
    assert!(says(&f, "32 hex digits"), "{f:?}");
    let f = check("evidence", "ffffffffffffffffffffffffffffffff");
    assert_eq!(f.trap, Some(0), "{f:?}");
}

#[test]
fn lessons_travel_in_links_and_progress_sums_up_a_class() {
    let text = lesson_text("payment");
    let payload = lesson_link(&text).expect("small enough");
    let (back, lesson) = lesson_from_link(&payload).expect("reads");
    assert_eq!(back, text);
    assert_eq!(lesson.id, "test-lesson");
    assert!(
        lesson_from_link("not-a-link!")
            .expect_err("damaged")
            .message
            .contains("damaged")
    );
    let broken = lesson_link("---\nid: x\n").expect("packs");
    assert_eq!(
        lesson_from_link(&broken).expect_err("no closing ---").line,
        1
    );

    let mut ann = Progress::default();
    ann.record_attempt("test-lesson", "rate", "x", false);
    ann.record_attempt("test-lesson", "rate", "y", true);
    ann.take_hint("test-lesson", "rate", 2);
    let bob = Progress::default();
    let rows = class_summary(std::slice::from_ref(&lesson), &[ann, bob]);
    assert_eq!(rows.len(), lesson.exercises().count());
    let rate = &rows[0];
    assert_eq!(rate.exercise, "rate");
    let a = rate.learners[0].as_ref().expect("ann tried");
    assert_eq!((a.passed, a.attempts, a.hints), (true, 2, 1));
    assert!(rate.learners[1].is_none());
}

#[test]
fn inhibition_silences_and_rule_tests() {
    // No inhibition at all: the warning of payment still notifies.
    let f = check(
        "inhibit",
        "route:\n  receiver: default\nreceivers:\n  - name: default\n",
    );
    assert!(
        says(&f, "is not muted, though an inhibition rule should mute it"),
        "{f:?}"
    );
    let f = check("silence", "alertname=\"HighLatency\"");
    assert!(says(&f, "also mutes"), "{f:?}");
    let f = check("silence", "service=\"payment\"");
    assert_eq!(f.trap, Some(0), "{f:?}");
    assert!(check("silence", "{alertname=\"HighLatency\", service=~\"pay.*\"}").passed);
    // Tests that fail on the right rules say so with promtool's output.
    let b = built();
    let reference = b
        .lesson
        .exercise("tests")
        .expect("exists")
        .check
        .reference()
        .to_string();
    let wrong = reference.replace("eval_time: 1m\n        alertname: Down\n        exp_alerts: []", "eval_time: 1m\n        alertname: Down\n        exp_alerts:\n          - exp_labels: {job: a}");
    let f = check("tests", &wrong);
    assert!(says(&f, "Your tests fail on the rules they test"), "{f:?}");
    // Tests that miss a broken variant name what they miss.
    let trap = b.lesson.exercise("tests").expect("exists").traps[0]
        .answer
        .clone();
    let f = check("tests", &trap);
    assert_eq!(f.trap, Some(0), "{f:?}");
    assert!(says(&f, "`for` is gone"), "{f:?}");
}
