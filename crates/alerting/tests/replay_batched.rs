//! A replay with rules evaluated as range queries (`RuleEngine::replay_to`)
//! is the replay step by step (`advance_to`), bit for bit: every alert,
//! state change, rule and group counter, and every sample the rules wrote.
//! The rule files cover what the batch must get right: a recording rule
//! feeding an alert (step by step), `ALERTS` read back, `for` and
//! `keep_firing_for`, templates with `$value`, `$labels` and `query`,
//! several alerts found at once in an order that is not the labels'
//! (`topk`, `label_replace`; recorded in label order both ways), label
//! sets that collide, errors at some steps only, limits, `query_offset`,
//! `@ start()`, scalars, two rules writing the same series, and a group so
//! fast it misses evaluations.

use o11y_alerting::rules::group::{AlertState, RuleEngine, engine_for, replay_lines};
use o11y_metrics::store::{STALE_NAN, Sample, SeriesStore};
use o11y_metrics::tsdb::Tsdb;
use o11y_model::labels::Labels;

const HOUR_MS: i64 = 3_600_000;

/// Two hours of a shop scraped every 15 s: request counters per service
/// and status (error bursts, a counter reset, a series that goes stale and
/// comes back), and noisy temperatures (a room that exists for a while).
fn history() -> Tsdb {
    let mut db = Tsdb::default();
    let mut put = |labels: &[(&str, &str)], ts_ms: i64, value: f64| {
        db.append(
            &Labels::new(labels.iter().copied()),
            Sample { ts_ms, value },
        )
        .unwrap();
    };
    let mut noise = 7u64;
    let mut next = move || {
        noise = noise
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (noise >> 11) as f64 / (1u64 << 53) as f64
    };
    let mut totals = [[0.0f64; 2]; 3];
    for k in 0..=(2 * HOUR_MS / 15_000) {
        let ts = k * 15_000;
        let minute = ts / 60_000;
        for (s, service) in ["api", "cart", "web"].iter().enumerate() {
            // Bursts of errors at different times, some short, some long.
            let burst = match s {
                0 => (10..25).contains(&minute) || (70..72).contains(&minute),
                1 => (30..33).contains(&minute) || (40..60).contains(&minute),
                _ => (10..25).contains(&minute) || (90..100).contains(&minute),
            };
            let ok = 10.0 + (next() * 20.0).round();
            let errors = if burst {
                3.0 + (next() * 5.0).round()
            } else {
                (next() * 1.2).floor()
            };
            totals[s][0] += ok;
            totals[s][1] += errors;
            if s == 1 && minute == 50 && ts % 60_000 == 0 {
                totals[s] = [0.0, 0.0]; // a restart
            }
            for (c, code) in ["200", "500"].iter().enumerate() {
                // The web service is not scraped for a while: stale, then back.
                if s == 2 && (75..80).contains(&minute) {
                    if minute == 75 && ts % 60_000 == 0 {
                        put(&labels(service, code), ts, STALE_NAN);
                    }
                    continue;
                }
                put(&labels(service, code), ts, totals[s][c]);
            }
        }
        for room in ["a", "b", "c"] {
            if room == "b" && !(20..50).contains(&minute) {
                continue;
            }
            let base = if room == "c" && (60..80).contains(&minute) {
                30.0
            } else {
                20.0
            };
            put(
                &[("__name__", "temperature"), ("room", room)],
                ts,
                base + next() * 3.0 + 0.1,
            );
        }
    }
    db
}

fn labels<'a>(service: &'a str, code: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("__name__", "http_requests_total"),
        ("job", "shop"),
        ("service", service),
        ("status", code),
    ]
}

const RULES: &str = r#"
groups:
  - name: alerts
    interval: 15s
    rules:
      - alert: HighErrorRate
        expr: |
          sum by (service) (rate(http_requests_total{status="500"}[1m]))
            / sum by (service) (rate(http_requests_total[1m])) > 0.05
        for: 1m
        keep_firing_for: 2m
        labels:
          severity: '{{ if gt $value 0.2 }}page{{ else }}ticket{{ end }}'
        annotations:
          summary: '{{ $labels.service }}: {{ $value | humanizePercentage }} fail'
          total: '{{ range query "sum(http_requests_total)" }}{{ .Value }}{{ end }}'
      - record: service:errors:rate1m
        expr: sum by (service) (rate(http_requests_total{status="500"}[1m]))
      - alert: RecordedErrors
        expr: service:errors:rate1m > 0.05
        for: 30s
        annotations: {value: '{{ $value }}'}
      - record: busiest
        expr: topk(3, rate(http_requests_total[1m]))
      - alert: Busiest
        expr: topk(2, rate(http_requests_total[1m])) > 0
        annotations: {rate: '{{ $value | humanize }}'}
      - alert: Relabelled
        expr: label_replace(rate(http_requests_total{status="500"}[2m]) > 0.02, "who", "$1-x", "service", "(.*)")
        for: 45s
        keep_firing_for: 30s
      - alert: Collide
        expr: sum by (service, status) (rate(http_requests_total[1m])) > 0
        labels: {service: all}
      - alert: Firing
        expr: count(ALERTS{alertstate="firing"}) > 1
      - alert: FromStart
        expr: rate(http_requests_total{status="500"}[1m] @ start()) >= 0
      - alert: Warm
        expr: temperature / on() group_left temperature{room=~"a|b"} > 1.05
        labels: {level: '{{ $value }}'}
  - name: records
    interval: 30s
    limit: 4
    rules:
      - record: job:requests:rate5m
        expr: sum by (service, status) (rate(http_requests_total[5m]))
      - record: job:requests:rate5m:small
        expr: sum by (service) (rate(http_requests_total[5m]))
      - record: service:errors:rate1m
        expr: sum by (service) (rate(http_requests_total{status="500"}[1m])) * 2
      - record: busiest
        expr: topk(3, rate(http_requests_total[1m])) * 2
      - record: temperature:scalar
        expr: scalar(sum(temperature)) * time()
      - record: step:seconds
        expr: time()
  - name: late
    interval: 1m
    query_offset: 30s
    labels: {team: web, room: all}
    rules:
      - alert: Hot
        expr: avg_over_time(temperature[3m]) > 25
        for: 2m
        keep_firing_for: 1m
        annotations: {summary: '{{ $labels.room }} at {{ printf "%.3f" $value }}'}
  - name: fast
    interval: 2s
    rules:
      - record: fast:temperature:max
        expr: max(temperature)
"#;

/// Replays `rules` over `history()` from `from_ms` to `to_ms` both ways,
/// into a copy of the history; returns the evaluations served by batches
/// and the engine.
fn check(rules: &str, from_ms: i64, to_ms: i64) -> (u64, RuleEngine) {
    let base = history();
    let mut steps = engine_for(rules, 15_000, from_ms).unwrap();
    let mut steps_store = base.clone();
    steps.advance_to(to_ms, &mut steps_store);
    let mut batched = engine_for(rules, 15_000, from_ms).unwrap();
    let mut batched_store = base.clone();
    let served = batched.replay_to(to_ms, &mut batched_store);
    let expected = replay_lines(&steps, &steps_store);
    let found = replay_lines(&batched, &batched_store);
    for (i, (e, f)) in expected.iter().zip(&found).enumerate() {
        assert_eq!(e, f, "line {i} of the replay of {from_ms}..{to_ms}");
    }
    assert_eq!(expected.len(), found.len());
    (served, batched)
}

#[test]
fn a_batched_replay_is_the_replay_step_by_step() {
    let (served, engine) = check(RULES, 0, 2 * HOUR_MS);
    let all: u64 = engine.groups.iter().map(|g| g.evaluations).sum();
    // Those of the rules that read what rules write, or `@ start()`, and
    // the hour `Warm` fails in, were instant queries.
    assert_eq!((served, all), (5_694, 7_377));
    // Not aligned to anything, and short: a partial chunk.
    check(RULES, 1_234_567, 1_234_567 + 400_000);
    check(RULES, 3_599_999, 3_630_000);
}

#[test]
fn a_recording_rule_feeding_an_alert_is_the_same() {
    let rules = "groups:\n- name: g\n  rules:\n  - record: r\n    expr: sum(rate(http_requests_total[1m]))\n  - alert: A\n    expr: r > 1\n    for: 1m\n";
    let (served, _) = check(rules, 0, HOUR_MS);
    assert_eq!(served, 241, "the recording rule only: its alert reads it");
}

/// A range query that fails at one step (a vector with the same labels
/// twice, for as long as room b exists) is left to instant queries over
/// its chunk, which fail at the same steps only.
#[test]
fn a_rule_failing_at_some_steps_fails_at_the_same_ones() {
    let rules = "groups:\n- name: g\n  rules:\n  - record: r\n    expr: label_replace(temperature, \"room\", \"x\", \"room\", \"a|b\")\n";
    let (served, engine) = check(rules, 0, 2 * HOUR_MS);
    assert_eq!(served, 241, "the second hour: the first one's query fails");
    assert_eq!(
        engine.groups[0].evaluation_failures, 139,
        "room b and 5 minutes after"
    );
}

/// Alerts that become pending at one evaluation are recorded in the order
/// of their labels, whatever order the expression gives them in (here
/// `sort_desc`, by rate), and the same whether a batch or an instant query
/// found them: a batch needs no instant query to order them.
#[test]
fn alerts_found_together_are_recorded_in_label_order() {
    let rules = "groups:\n- name: g\n  rules:\n  - alert: Busy\n    expr: sort_desc(rate(http_requests_total[1m])) > 0\n";
    let (served, engine) = check(rules, 0, HOUR_MS);
    assert_eq!(served, 241, "every evaluation from a batch");
    let first: Vec<&Labels> = engine
        .transitions
        .iter()
        .filter(|t| t.at_ms == engine.transitions[0].at_ms && t.to == AlertState::Pending)
        .map(|t| &t.labels)
        .collect();
    assert!(first.len() > 2, "several alerts at once: {}", first.len());
    assert!(first.is_sorted(), "in label order: {first:?}");
}
