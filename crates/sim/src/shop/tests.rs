//! The simulator's tests: determinism, whole traces, counters that match
//! the spans, failures, the daily shape, the detail budget, the largest
//! accepted numbers, and failures checked against the topology.

use std::collections::{HashMap, HashSet};

use o11y_traces::model::{SpanId, SpanKind, StatusCode};

use super::*;
use crate::topology::SMALL;

fn run(seed: u64, seconds: i64) -> ShopSim {
    let mut sim = ShopSim::new(Topology::default(), seed, 0).unwrap();
    sim.advance_to(seconds * 1000);
    sim
}

#[test]
fn same_seed_same_spans_and_logs() {
    let (mut a, mut b, mut c) = (run(3, 30), run(3, 30), run(4, 30));
    assert_eq!(a.drain_spans(), b.drain_spans());
    assert_eq!(a.drain_logs(), b.drain_logs());
    assert_ne!(a.requests() + 1, 0);
    assert_ne!(run(3, 30).drain_spans(), c.drain_spans());
}

#[test]
fn traces_are_whole_and_logs_point_at_them() {
    let mut sim = run(7, 60);
    let spans = sim.drain_spans();
    let logs = sim.drain_logs();
    let ids: HashSet<(TraceId, SpanId)> = spans.iter().map(|s| (s.trace_id, s.span_id)).collect();
    let mut roots = 0;
    for s in &spans {
        match s.parent_span_id {
            Some(p) => assert!(
                ids.contains(&(s.trace_id, p)),
                "a parent is missing for {}",
                s.name
            ),
            None => roots += 1,
        }
        assert!(s.end_ns > s.start_ns);
    }
    assert_eq!(roots as u64, sim.requests());
    let traces: HashSet<String> = spans.iter().map(|s| s.trace_id.to_string()).collect();
    for log in &logs {
        let line = &log.line;
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        assert!(traces.contains(v["trace_id"].as_str().unwrap()), "{line}");
    }
    // Every request reaches the gateway; checkouts reach the payment service.
    let per_service: HashMap<&str, usize> = spans
        .iter()
        .filter(|s| s.kind == SpanKind::Server)
        .fold(HashMap::new(), |mut m, s| {
            *m.entry(s.service()).or_default() += 1;
            m
        });
    assert_eq!(per_service["frontend"], per_service["api-gateway"]);
    assert!(per_service["payment"] > 0);
}

#[test]
fn red_counters_count_every_server_span() {
    let mut sim = run(5, 30);
    let spans = sim.drain_spans();
    let served: f64 = sim
        .registry()
        .clone()
        .samples(0)
        .iter()
        .filter(|s| s.0.metric_name() == Some("http_requests_total"))
        .map(|s| s.1)
        .sum();
    let server_spans = spans.iter().filter(|s| s.kind == SpanKind::Server).count();
    assert_eq!(served as usize, server_spans);
}

#[test]
fn failures_show_in_spans() {
    let mut slow = ShopSim::new(Topology::default(), 9, 0).unwrap();
    slow.inject(Injection {
        failure: Failure::LatencySpike {
            service: "payment".into(),
            factor: 20.0,
        },
        start_ms: 0,
        end_ms: None,
    })
    .unwrap();
    slow.advance_to(60_000);
    let mut normal = ShopSim::new(Topology::default(), 9, 0).unwrap();
    normal.advance_to(60_000);
    let p99 = |sim: &mut ShopSim| {
        let mut d: Vec<i64> = sim
            .drain_spans()
            .iter()
            .filter(|s| s.service() == "payment")
            .map(Span::duration_ns)
            .collect();
        d.sort_unstable();
        d[d.len() * 99 / 100]
    };
    assert!(p99(&mut slow) > 10 * p99(&mut normal));

    let mut down = ShopSim::new(Topology::default(), 9, 0).unwrap();
    down.inject(Injection {
        failure: Failure::Outage {
            service: "redis".into(),
        },
        start_ms: 10_000,
        end_ms: Some(20_000),
    })
    .unwrap();
    down.advance_to(30_000);
    let spans = down.drain_spans();
    let errors_in = |from: i64, to: i64| {
        spans
            .iter()
            .filter(|s| {
                s.service() == "redis"
                    && s.status.code == StatusCode::Error
                    && (from..to).contains(&(s.start_ns / 1_000_000))
            })
            .count()
    };
    assert!(errors_in(11_000, 19_000) > 0);
    assert_eq!(errors_in(21_000, 30_000), 0);
}

#[test]
fn the_daily_shape_peaks_in_the_afternoon() {
    let mut sim = ShopSim::new(Topology::default(), 1, 0).unwrap();
    assert_eq!(sim.traffic_shape(3 * 3_600_000), 1.0);
    sim.set_daily_shape(true);
    let count = |sim: &mut ShopSim, hour: i64| {
        let mut s = sim.clone();
        s.next_tick_ms = hour * 3_600_000;
        let before = s.requests();
        s.advance_to(hour * 3_600_000 + 60_000);
        s.requests() - before
    };
    let (night, afternoon) = (count(&mut sim, 3), count(&mut sim, 15));
    assert!(
        afternoon > 3 * night,
        "{night} at 03:00, {afternoon} at 15:00"
    );
    assert!((sim.traffic_shape(15 * 3_600_000) - 1.6).abs() < 1e-9);
}

#[test]
fn metrics_only_requests_count_the_same() {
    let mut traced = ShopSim::new(Topology::default(), 2, 0).unwrap();
    let mut counted = ShopSim::new(Topology::default(), 2, 0).unwrap();
    counted.set_detail_per_s(0.0);
    traced.advance_to(30_000);
    counted.advance_to(30_000);
    assert!(counted.drain_spans().is_empty() && counted.drain_logs().is_empty());
    let text = |s: &mut ShopSim| {
        o11y_metrics::expfmt::render(
            &s.registry_mut().gather(30_000),
            o11y_metrics::expfmt::Format::Text,
        )
    };
    assert_eq!(text(&mut traced), text(&mut counted));
}

/// Regression: the fuzzer's `latency_ms: 1e308` passed validation, the
/// sampled latency saturated and the virtual-time arithmetic overflowed
/// in `serve` (a panic in the test build, nonsense timestamps in the page).
#[test]
fn the_largest_accepted_numbers_simulate_without_overflow() {
    let yaml = SMALL
        .replace("latency_ms: 5", "latency_ms: 3600000\n        sigma: 4")
        .replace("latency_ms: 2}", "latency_ms: 3600000, sigma: 4}")
        .replace("retries: 1", "retries: 10, timeout_ms: 3600000")
        .replace("requests_per_s: 40", "requests_per_s: 200");
    let topology = Topology::from_text(&yaml).unwrap();
    let start = MAX_TIME_MS - 10_000;
    let mut sim = ShopSim::new(topology, 1, start).unwrap();
    for service in ["web", "db"] {
        let spike = Failure::LatencySpike {
            service: service.into(),
            factor: 1_000.0,
        };
        for failure in [
            spike,
            Failure::MemoryLeak {
                service: service.into(),
            },
        ] {
            sim.inject(Injection {
                failure,
                start_ms: 0,
                end_ms: None,
            })
            .unwrap();
        }
    }
    sim.advance_to(i64::MAX);
    let spans = sim.drain_spans();
    assert!(!spans.is_empty());
    assert!(
        spans
            .iter()
            .all(|s| s.start_ns > 0 && s.end_ns >= s.start_ns)
    );
    // The clock stops at MAX_TIME_MS.
    assert_eq!(sim.next_tick_ms, MAX_TIME_MS + TICK_MS);
}

#[test]
fn failures_are_checked_against_the_topology() {
    let mut sim = ShopSim::new(Topology::default(), 1, 0).unwrap();
    let at = |failure| Injection {
        failure,
        start_ms: 1_000,
        end_ms: None,
    };
    let err = sim
        .inject(at(Failure::Outage {
            service: "checkout".into(),
        }))
        .unwrap_err()
        .to_string();
    assert!(err.starts_with("failure service: there is no service \"checkout\"; the topology has frontend, api-gateway"), "{err}");
    for (failure, expected) in [
        (
            Failure::LatencySpike {
                service: "payment".into(),
                factor: 0.0,
            },
            "failure factor: 0 is out of range",
        ),
        (
            Failure::LatencySpike {
                service: "payment".into(),
                factor: 1e9,
            },
            "failure factor: 1e+09 is out of range",
        ),
        (
            Failure::ErrorBurst {
                service: "payment".into(),
                rate: 2.0,
            },
            "failure rate: 2 is out of range",
        ),
        (
            Failure::TrafficFlood { factor: f64::NAN },
            "failure factor: NaN is out of range",
        ),
    ] {
        let err = sim.inject(at(failure)).unwrap_err().to_string();
        assert!(err.starts_with(expected), "{err}");
    }
    let late = Injection {
        failure: Failure::CacheMissStorm,
        start_ms: MAX_TIME_MS + 1,
        end_ms: None,
    };
    assert!(
        sim.inject(late)
            .unwrap_err()
            .to_string()
            .starts_with("failure start_ms:")
    );
    let backwards = Injection {
        failure: Failure::CacheMissStorm,
        start_ms: 5_000,
        end_ms: Some(5_000),
    };
    assert!(
        sim.inject(backwards)
            .unwrap_err()
            .to_string()
            .contains("must end after it starts")
    );
    assert!(sim.injections().is_empty(), "nothing refused was kept");
    sim.inject(at(Failure::CacheMissStorm)).unwrap();
    // Without a cache, a cache-miss storm would do nothing: refused.
    let no_cache = Topology::from_text(SMALL).unwrap();
    let mut sim = ShopSim::new(no_cache, 1, 0).unwrap();
    assert!(
        sim.inject(at(Failure::CacheMissStorm))
            .unwrap_err()
            .to_string()
            .contains("no service of kind redis")
    );
}
