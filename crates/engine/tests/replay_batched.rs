//! "What if" over the demo's history: `Demo::replay_rules_between`, which
//! evaluates most rules as range queries, gives what the replay step by
//! step gives (`Demo::replay_rules_step_by_step`), bit for bit — every
//! alert and its annotations, state change, rule and group counter, and
//! every sample the rules wrote — for the default rules, a recording rule
//! feeding an alert, and alerts with `for`, `keep_firing_for` and
//! templates, over an hour with an error burst, a latency spike and an
//! outage in it.

use o11y_engine::alerting::rules::group::replay_lines;
use o11y_engine::defaults::DEFAULT_RULES;
use o11y_engine::demo::{Demo, DemoConfig};
use o11y_engine::sim::failure::{Failure, Injection};

const NOW_MS: i64 = 10 * 3_600_000;
const MINUTE_MS: i64 = 60_000;

fn demo() -> Demo {
    let at = |from_min: i64, to_min: i64, failure: Failure| Injection {
        failure,
        start_ms: NOW_MS - from_min * MINUTE_MS,
        end_ms: Some(NOW_MS - to_min * MINUTE_MS),
    };
    Demo::new(
        DemoConfig {
            failures: vec![
                at(
                    50,
                    38,
                    Failure::ErrorBurst {
                        service: "frontend".into(),
                        rate: 0.3,
                    },
                ),
                at(
                    45,
                    40,
                    Failure::ErrorBurst {
                        service: "payment".into(),
                        rate: 0.5,
                    },
                ),
                at(
                    30,
                    18,
                    Failure::LatencySpike {
                        service: "orders".into(),
                        factor: 20.0,
                    },
                ),
                at(
                    12,
                    6,
                    Failure::Outage {
                        service: "inventory".into(),
                    },
                ),
            ],
            ..Default::default()
        },
        NOW_MS,
    )
}

/// A recording rule feeding an alert (which is then evaluated step by
/// step), and alerts reading what the rules write.
const RECORDED: &str = r#"
groups:
  - name: records
    interval: 30s
    rules:
      - record: service:errors:ratio1m
        expr: |
          sum by (service) (rate(http_requests_total{job="shop", status=~"5.."}[1m]))
            / sum by (service) (rate(http_requests_total{job="shop"}[1m]))
  - name: alerts
    interval: 15s
    rules:
      - alert: RecordedErrors
        expr: service:errors:ratio1m > 0.05
        for: 1m
        annotations: {summary: '{{ $labels.service }} at {{ $value | humanizePercentage }}'}
      - alert: ManyFiring
        expr: count(ALERTS{alertstate="firing"}) >= 1
"#;

/// `for`, `keep_firing_for`, templated labels and annotations (with
/// `$value`, `$labels` and `query`), `query_offset`, and several alerts
/// found at once in value order.
const TEMPLATED: &str = r#"
groups:
  - name: templated
    interval: 15s
    query_offset: 15s
    labels: {team: shop}
    rules:
      - alert: SlowService
        expr: |
          histogram_quantile(0.9, sum by (le, service) (rate(http_request_duration_seconds_bucket{job="shop"}[1m]))) > 0.2
        for: 45s
        keep_firing_for: 2m
        labels:
          severity: '{{ if gt $value 1.0 }}page{{ else }}ticket{{ end }}'
        annotations:
          summary: '{{ $labels.service }}: p90 {{ $value | humanizeDuration }}'
          traffic: '{{ with query "sum(rate(http_requests_total{job=\"shop\"}[1m]))" }}{{ . | first | value | humanize }}{{ end }}'
      - alert: Busiest
        expr: topk(3, sum by (service) (rate(http_requests_total{job="shop"}[1m]))) > 0
        keep_firing_for: 30s
        annotations: {rate: '{{ $value }}'}
      - alert: Failing
        expr: sum by (service, status) (rate(http_requests_total{job="shop", status=~"5.."}[1m])) > 0
        for: 30s
        keep_firing_for: 1m
"#;

/// Replays `rules` from `from_ms` to now both ways; returns the state
/// changes.
fn check(demo: &Demo, rules: &str, from_ms: i64) -> usize {
    let (steps, steps_written) = demo
        .replay_rules_step_by_step(rules, from_ms, demo.now_ms())
        .unwrap();
    let (batched, batched_written) = demo
        .replay_rules_between(rules, from_ms, demo.now_ms())
        .unwrap();
    let expected = replay_lines(&steps, &steps_written);
    let found = replay_lines(&batched, &batched_written);
    for (i, (e, f)) in expected.iter().zip(&found).enumerate() {
        assert_eq!(e, f, "line {i} of the replay from {from_ms}");
    }
    assert_eq!(expected.len(), found.len());
    steps.transitions.len()
}

#[test]
fn a_batched_replay_of_the_demo_is_the_replay_step_by_step() {
    let demo = demo();
    let hour_ago = NOW_MS - 60 * MINUTE_MS;
    // Each file fires alerts in the hour, so state changes are compared.
    assert!(check(&demo, DEFAULT_RULES, hour_ago) >= 4);
    assert!(check(&demo, RECORDED, hour_ago) >= 4);
    assert!(check(&demo, TEMPLATED, hour_ago) >= 4);
    // Half an hour, not aligned to the groups' intervals.
    check(&demo, DEFAULT_RULES, NOW_MS - 30 * MINUTE_MS - 7_001);
}
