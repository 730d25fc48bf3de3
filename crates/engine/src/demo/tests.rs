//! The demo's tests: the shop's data across the stores, the clock and
//! its limits, rules and alerts, pastes, the live panels, workspaces.

use super::*;
use o11y_metrics::instrument::MetricKind;
use o11y_metrics::store::SeriesStore;

#[test]
fn the_shop_logs_every_server_span_and_its_trace_exists() {
    use o11y_logs::metric::{LogQuery, LogqlResult};
    let mut demo = Demo::new(DemoConfig::default(), 1_800_000);
    demo.tick(10_000.0).unwrap();
    let spans = demo.traces().span_count();
    assert!(spans > 1_000, "{spans}");
    let q = LogQuery {
        start_ns: 0,
        end_ns: demo.now_ms() * 1_000_000 + 1,
        step_ms: 0,
        limit: 50,
    };
    let Ok(LogqlResult::Logs(lines)) = demo.logql(
        r#"{job="shop"} | json | status >= 200 | trace_id=~"[0-9a-f]{32}""#,
        &q,
    ) else {
        panic!("a log query returns lines");
    };
    assert_eq!(lines.len(), 50);
    for l in &lines {
        let id = l
            .labels
            .iter()
            .find(|(n, _)| n == "trace_id")
            .map(|(_, v)| v.clone())
            .unwrap();
        let id = o11y_traces::TraceId::from_hex(&id).unwrap();
        assert!(demo.traces().trace(&id).is_some(), "no trace {id}");
    }
    let Ok(LogqlResult::Matrix(m)) = demo.logql(r#"sum(count_over_time({job="shop"}[1h]))"#, &q)
    else {
        panic!("a metric query returns series");
    };
    let server_spans = demo
        .traces()
        .search(&o11y_traces::TraceQuery {
            limit: usize::MAX,
            ..Default::default()
        })
        .iter()
        .map(|t| {
            demo.traces()
                .trace(&t.trace_id)
                .unwrap()
                .iter()
                // A span ending after now logs after now, outside the query.
                .filter(|s| {
                    s.kind == o11y_traces::SpanKind::Server && s.end_ns / 1_000_000 <= demo.now_ms()
                })
                .count()
        })
        .sum::<usize>();
    assert_eq!(m[0].samples[0].value as usize, server_spans);
}

#[test]
fn dashboard_variable_queries_read_the_store() {
    let demo = Demo::new(DemoConfig::default(), 1_800_000);
    let values = |q: &str| demo.variable_values(q).unwrap();
    let services = values("label_values(http_requests_total, service)");
    assert!(services.contains(&"payment".to_string()), "{services:?}");
    let jobs = values("label_values(job)");
    assert!(jobs.contains(&"shop".to_string()), "{jobs:?}");
    let names = values(r#"label_names(up{job="shop"})"#);
    assert!(
        names.contains(&"instance".to_string()) && !names.contains(&"__name__".to_string()),
        "{names:?}"
    );
    assert_eq!(
        values("metrics(^http_requests_(total|in_flight)$)"),
        ["http_requests_in_flight", "http_requests_total"]
    );
    let up = values(r#"query_result(up{job="shop"})"#);
    assert_eq!(up.len(), 1, "{up:?}");
    assert!(
        up[0].starts_with("up{")
            && up[0].contains(r#"job="shop""#)
            && up[0].ends_with(" 1 1800000"),
        "{up:?}"
    );
    assert_eq!(values(" "), Vec::<String>::new());
}

// A failing variable query used to give an empty option list, which
// looks like "no data": the picker must say why instead.
#[test]
fn a_failing_variable_query_is_an_error_not_an_empty_list() {
    use o11y_dashboards::vars::VarError;
    let demo = Demo::new(DemoConfig::default(), 1_800_000);
    let query_error = |q: &str| match demo.variable_values(q) {
        Err(VarError::Query(m)) => m,
        other => panic!("{q}: {other:?}"),
    };
    assert_eq!(
        query_error("label_values(up{, job)"),
        "up{: 1:4: unexpected end of input in the label matchers: expected a label name"
    );
    assert!(query_error("query_result(up{)").starts_with("up{: 1:4: "));
    assert_eq!(query_error("metrics(()"), "metrics((): unclosed group");
    assert_eq!(
        query_error(r#"label_values(up{job=~"("}, job)"#),
        // Go's message, as Prometheus gives it.
        r#"up{job=~"("}: 1:9: invalid regular expression "(": missing closing ): `^(?s:()$`"#
    );
    // Evaluation errors too.
    let q = "query_result(http_requests_total + on() http_requests_total)";
    assert!(query_error(q).contains("many"), "{}", query_error(q));
    assert_eq!(
        demo.variable_values("up"),
        Err(VarError::Syntax("up".into()))
    );
}

#[test]
fn an_hour_of_metrics_and_the_last_minutes_of_traces() {
    let now = 7_200_000;
    let demo = Demo::new(DemoConfig::default(), now);
    let oldest = |m: &str| {
        demo.store()
            .select(&[Matcher::metric(m)], 0, now)
            .iter()
            .map(|s| s.samples[0].ts_ms)
            .min()
            .unwrap()
    };
    assert!(oldest("http_requests_total") <= now - 59 * 60_000);
    assert!(oldest("orders_total") <= now - 50 * 60_000);
    let traces = demo.traces().search(&o11y_traces::TraceQuery {
        limit: usize::MAX,
        ..Default::default()
    });
    let first = traces.iter().map(|t| t.start_ns).min().unwrap() / 1_000_000;
    assert!(first >= now - 3 * 60_000 - 1_000, "{}", now - first);
    // Every exemplar in the traced minutes names a stored trace.
    let found = demo
        .exemplars(
            r#"http_request_duration_seconds_bucket{service="payment"}"#,
            now - 3 * 60_000,
            now,
        )
        .unwrap();
    assert!(!found.is_empty());
    for (_, exemplars) in &found {
        for e in exemplars {
            let id = o11y_traces::TraceId::from_hex(e.label("trace_id").unwrap()).unwrap();
            assert!(demo.traces().trace(&id).is_some());
        }
    }
    for m in [
        "http_requests_in_flight",
        "order_value_total",
        "cart_abandonment_rate",
        "user_registrations_total",
        "product_views_total",
        "process_resident_memory_bytes",
    ] {
        assert!(!demo.series_of(m).is_empty(), "{m}");
    }
    let abandoned = demo.series_of("cart_abandonment_rate")[0].1.unwrap().value;
    assert!((0.0..1.0).contains(&abandoned), "{abandoned}");
}

#[test]
fn a_fast_clock_traces_fewer_requests_but_counts_them_all() {
    let mut demo = Demo::new(DemoConfig::default(), 1_800_000);
    demo.clock_mut().set_speed(1000.0);
    let spans = demo.traces().span_count() as u64;
    let requests = demo.shop().requests();
    demo.tick(1_000.0).unwrap(); // 1000 s of virtual time, about 20 000 requests
    let served = demo.shop().requests() - requests;
    let new_spans = demo.traces().span_count() as u64 - spans;
    assert!(served > 15_000, "{served}");
    // 400 traced requests a real second, about 10 spans each.
    assert!(new_spans < 8_000, "{new_spans}");
    assert!(new_spans > 1_000, "{new_spans}");
}

#[test]
fn too_much_load_makes_the_clock_lag_instead_of_freezing() {
    let mut demo = Demo::new(DemoConfig::default(), 1_800_000);
    demo.set_requests_per_s(10_000.0);
    demo.clock_mut().set_speed(1000.0);
    demo.tick(1_000.0).unwrap(); // about 10 k calls per ms: far too many for a second
    assert!(demo.is_lagging());
    let simulated = demo.now_ms() - 1_800_000;
    assert!((1..1_000_000).contains(&simulated), "{simulated}");
    demo.set_requests_per_s(20.0);
    demo.clock_mut().set_speed(1.0);
    demo.tick(1_000.0).unwrap();
    assert!(!demo.is_lagging());
}

#[test]
fn an_error_burst_fires_high_error_rate_notifies_and_resolves() {
    use o11y_alerting::rules::group::AlertState;
    use o11y_sim::failure::{Failure, Injection};
    let mut demo = Demo::new(DemoConfig::default(), 3_600_000);
    assert!(
        demo.rules()
            .alerts()
            .all(|(_, _, a)| a.state != AlertState::Firing),
        "quiet at first"
    );
    let burst = Failure::ErrorBurst {
        service: "frontend".into(),
        rate: 0.3,
    };
    let now = demo.now_ms();
    demo.shop_mut()
        .inject(Injection {
            failure: burst,
            start_ms: now,
            end_ms: Some(now + 240_000),
        })
        .unwrap();
    demo.step(60_000).unwrap();
    let state = |d: &Demo| {
        d.rules()
            .alerts()
            .find(|(_, r, a)| {
                r.rule.name() == "HighErrorRate" && a.labels.get("service") == Some("frontend")
            })
            .map(|(_, _, a)| a.state)
    };
    assert_eq!(state(&demo), Some(AlertState::Pending));
    demo.step(90_000).unwrap();
    assert_eq!(state(&demo), Some(AlertState::Firing));
    let sent = demo
        .alertmanager()
        .notifications
        .iter()
        .find(|n| n.status == "firing")
        .expect("a notification");
    assert_eq!(sent.receiver, "on-call");
    let summary = &sent.alerts[0]
        .annotations
        .iter()
        .find(|(k, _)| k == "summary")
        .unwrap()
        .1;
    assert!(
        summary.starts_with("frontend: ") && summary.ends_with("% of requests fail"),
        "{summary}"
    );
    // The burst ends at +4 min; a minute later the rate is back to normal.
    demo.step(240_000).unwrap();
    assert_ne!(state(&demo), Some(AlertState::Firing));
    demo.step(300_000).unwrap();
    assert!(
        demo.alertmanager()
            .notifications
            .iter()
            .any(|n| n.status == "resolved" && n.receiver == "on-call")
    );
    let changes: Vec<(&str, &str)> = demo
        .rules()
        .transitions
        .iter()
        .filter(|t| t.rule == "HighErrorRate" && t.labels.get("service") == Some("frontend"))
        .map(|t| (t.from.name(), t.to.name()))
        .collect();
    assert_eq!(
        changes,
        [
            ("inactive", "pending"),
            ("pending", "firing"),
            ("firing", "inactive")
        ]
    );
    // What if the threshold had been 50 %: replaying the stored hour, it never fires.
    let strict = DEFAULT_RULES.replace("> 0.05", "> 0.5");
    let replay = demo
        .replay_rules(&strict, demo.now_ms() - 3_600_000)
        .unwrap();
    assert!(
        !replay
            .transitions
            .iter()
            .any(|t| t.rule == "HighErrorRate" && t.to == AlertState::Firing)
    );
    let same = demo
        .replay_rules(DEFAULT_RULES, demo.now_ms() - 3_600_000)
        .unwrap();
    assert!(
        same.transitions
            .iter()
            .any(|t| t.rule == "HighErrorRate" && t.to == AlertState::Firing)
    );
    assert!(demo.set_rules("groups: [").is_err());
    assert_eq!(demo.rules_text(), DEFAULT_RULES);
}

#[test]
fn the_default_rule_tests_pass_on_the_default_rules() {
    let r = o11y_alerting::rules::unittest::run_test_file(DEFAULT_RULE_TESTS, &|name| {
        if name == "rules.yml" {
            Ok(DEFAULT_RULES.to_string())
        } else {
            Err("no such file".into())
        }
    });
    assert!(r.passed, "{}", r.output);
}

#[test]
fn the_shop_is_scraped_through_its_relabel_configs() {
    let mut demo = Demo::new(DemoConfig::default(), 1_800_000);
    assert_eq!(
        demo.shop_target_labels().unwrap(),
        [
            ("instance".to_string(), "shop:8080".to_string()),
            ("job".to_string(), "shop".to_string())
        ]
    );
    let config = DEFAULT_SCRAPE_CONFIG
        .replace("relabel_configs: []\n#", "relabel_configs:\n  - {target_label: env, replacement: demo}\n#")
        .replace("metric_relabel_configs: []", "metric_relabel_configs:\n  - {source_labels: [__name__], regex: process_resident_memory_bytes, action: drop}");
    demo.set_scrape_config(&config).unwrap();
    demo.step(30_000).unwrap();
    let now = demo.now_ms();
    let fresh = |name: &str| {
        demo.store()
            .select(&[Matcher::metric(name)], now - 1_000, now)
    };
    assert!(fresh("process_resident_memory_bytes").iter().all(|s| {
        s.samples
            .iter()
            .all(|x| o11y_metrics::store::is_stale(x.value))
    }));
    assert!(
        fresh("http_requests_total")
            .iter()
            .all(|s| s.labels.get("env") == Some("demo"))
    );
    let dropped = DEFAULT_SCRAPE_CONFIG.replace(
        "relabel_configs: []\n#",
        "relabel_configs:\n  - {source_labels: [job], regex: nope, action: keep}\n#",
    );
    demo.set_scrape_config(&dropped).unwrap();
    assert_eq!(demo.shop_target_labels(), None);
    assert!(
        demo.set_scrape_config("job_name: x\nstatic_configs: []\n")
            .is_err()
    );
}

/// A demo with what a user makes: a metrics paste, a logs paste and a
/// metric defined.
fn a_demo_with_pastes() -> Demo {
    let mut demo = Demo::new(DemoConfig::default(), 1_800_000);
    demo.ingest_exposition("temp_celsius{room=\"a\"} 21\n", "sensors", "pi:9100")
        .unwrap();
    demo.ingest_logs(
        "level=error msg=boom\n",
        &o11y_logs::ingest::IngestOptions::default(),
    )
    .unwrap();
    demo.define_metric(&MetricDefinition {
        name: "queue_depth".into(),
        help: "Jobs.".into(),
        kind: MetricKind::Gauge,
        labels: vec![],
        driven: true,
        typical_value: 3.0,
    })
    .unwrap();
    demo
}

#[test]
fn a_workspace_rebuilds_what_the_user_made() {
    let mut demo = a_demo_with_pastes();
    let rules = DEFAULT_RULES.replace("> 0.05", "> 0.07");
    demo.set_rules(&rules).unwrap();
    demo.shop_mut()
        .inject(o11y_sim::failure::Injection {
            failure: o11y_sim::failure::Failure::CacheMissStorm,
            start_ms: 0,
            end_ms: None,
        })
        .unwrap();
    demo.clock_mut().set_speed(10.0);
    let ws = demo.workspace("#/alerts");
    let text = ws.to_json();
    let back = crate::workspace::Workspace::from_json(&text).unwrap();
    let (restored, skipped) = Demo::from_workspace(&back, 3_600_000).unwrap();
    assert!(skipped.is_empty(), "{skipped:?}");
    assert_eq!(restored.rules_text(), rules);
    assert_eq!(restored.series_of("temp_celsius").len(), 1);
    assert!(restored.catalog().iter().any(|m| m.name == "queue_depth"));
    assert_eq!(restored.clock().speed(), 10.0);
    assert_eq!(
        restored.shop().active_failures(3_600_000),
        [o11y_sim::failure::Failure::CacheMissStorm]
    );
    let q = o11y_logs::metric::LogQuery {
        start_ns: 0,
        end_ns: i64::MAX,
        step_ms: 0,
        limit: 10,
    };
    let Ok(o11y_logs::metric::LogqlResult::Logs(lines)) =
        restored.logql(r#"{job="pasted"} |= "boom""#, &q)
    else {
        panic!()
    };
    assert_eq!(lines.len(), 1);
    assert_eq!(
        restored.workspace("#/alerts"),
        ws,
        "saving again gives the same document"
    );
}

#[test]
fn a_step_moves_a_paused_demo() {
    let mut demo = Demo::new(DemoConfig::default(), 1_800_000);
    demo.clock_mut().pause();
    let requests = demo.shop().requests();
    demo.step(15_000).unwrap();
    assert_eq!(demo.now_ms(), 1_815_000);
    assert!(demo.shop().requests() > requests);
}

#[test]
fn restarting_with_another_seed_or_topology() {
    let mut demo = Demo::new(DemoConfig::default(), 1_800_000);
    let mut topology = Topology::default();
    topology.services.truncate(1);
    topology.services[0]
        .endpoints
        .iter_mut()
        .for_each(|e| e.calls.clear());
    demo.restart(9, topology).unwrap();
    assert_eq!(demo.config().seed, 9);
    assert_eq!(demo.now_ms(), 1_800_000);
    let services = demo.series_of("http_requests_in_flight");
    assert_eq!(services.len(), 1);
    let mut cyclic = Topology::default();
    cyclic.services[6].endpoints[0]
        .calls
        .push(o11y_sim::topology::Call {
            service: "frontend".into(),
            endpoint: "/".into(),
            retries: 0,
            timeout_ms: 1.0,
        });
    assert!(demo.restart(9, cyclic).is_err());
    assert_eq!(demo.config().seed, 9, "a refused restart changes nothing");
}

#[test]
fn starts_backfilled() {
    let demo = Demo::new(DemoConfig::default(), 1_800_000);
    let points = demo.requests_per_second();
    let (start, end) = demo.window();
    assert!(points.len() >= 30, "{}", points.len());
    assert!(points.iter().all(|(t, _)| (start..=end).contains(t)));
    // About 20 req/s from the first point on: no start-up ramp in view.
    for (_, rate) in &points {
        assert!((12.0..28.0).contains(rate), "about 20 req/s, got {rate}");
    }
    let ratio = demo.error_ratio().unwrap();
    assert!(ratio < 0.05, "{ratio}");
}

#[test]
fn raising_the_error_ratio_shows_in_the_stat() {
    let mut demo = Demo::new(DemoConfig::default(), 1_800_000);
    demo.set_error_rate(0.2);
    demo.clock_mut().set_speed(100.0);
    demo.tick(1_000.0).unwrap(); // 100 s of virtual time
    let ratio = demo.error_ratio().unwrap();
    assert!((0.1..0.3).contains(&ratio), "{ratio}");
}

/// The default shop with its entry service, `frontend`, named `web`.
fn shop_entering_at_web() -> Topology {
    let mut topology = Topology::default();
    assert_eq!(topology.services[0].name, "frontend");
    topology.services[0].name = "web".into();
    topology
}

// The live panels and the error-rate slider named `frontend`: after the
// user renamed it they showed nothing and moved nothing.
#[test]
fn a_renamed_entry_service_still_drives_the_live_panels_and_the_error_rate() {
    let config = DemoConfig {
        topology: shop_entering_at_web(),
        ..DemoConfig::default()
    };
    let mut demo = Demo::new(config, 1_800_000);
    assert_eq!(demo.entry_service(), "web");
    let points = demo.requests_per_second();
    assert!(points.len() >= 30, "{}", points.len());
    for (_, rate) in &points {
        assert!((12.0..28.0).contains(rate), "about 20 req/s, got {rate}");
    }
    assert!(demo.error_ratio().unwrap() < 0.05);
    demo.set_error_rate(0.2);
    assert_eq!(demo.error_rate(), 0.2);
    assert_eq!(demo.shop().error_rate("web"), 0.2);
    demo.clock_mut().set_speed(100.0);
    demo.tick(1_000.0).unwrap();
    let ratio = demo.error_ratio().unwrap();
    assert!((0.1..0.3).contains(&ratio), "{ratio}");
}

#[test]
fn renaming_the_entry_service_while_running_moves_the_live_panels_to_it() {
    let mut demo = Demo::new(DemoConfig::default(), 1_800_000);
    demo.shop_mut()
        .set_topology(shop_entering_at_web())
        .unwrap();
    assert_eq!(demo.entry_service(), "web");
    demo.set_error_rate(0.5);
    demo.step(120_000).unwrap();
    let (_, rate) = *demo.requests_per_second().last().unwrap();
    assert!((12.0..28.0).contains(&rate), "web's requests, got {rate}");
    let ratio = demo.error_ratio().unwrap();
    assert!((0.35..0.65).contains(&ratio), "{ratio}");
    // A failure aimed at the old name is refused, with the names there are.
    let now = demo.now_ms();
    let refused = demo
        .shop_mut()
        .inject(o11y_sim::failure::Injection {
            failure: o11y_sim::failure::Failure::ErrorBurst {
                service: "frontend".into(),
                rate: 0.3,
            },
            start_ms: now,
            end_ms: None,
        })
        .unwrap_err()
        .to_string();
    assert!(
        refused.contains("no service \"frontend\"") && refused.contains("web"),
        "{refused}"
    );
    assert!(demo.shop().injections().is_empty());
}

#[test]
fn paused_demo_does_not_move() {
    let mut demo = Demo::new(DemoConfig::default(), 1_800_000);
    demo.clock_mut().pause();
    let before = demo.requests_per_second();
    demo.tick(10_000.0).unwrap();
    assert_eq!(demo.now_ms(), 1_800_000);
    assert_eq!(demo.requests_per_second(), before);
}

#[test]
fn a_long_sleep_is_capped() {
    let mut demo = Demo::new(DemoConfig::default(), 0);
    demo.clock_mut().set_speed(100.0);
    demo.tick(3_600_000.0).unwrap();
    assert_eq!(demo.now_ms(), 500_000, "5 s of real time at most");
    assert!(!demo.is_lagging());
}

#[test]
fn pasted_metrics_are_scrapes_of_their_target() {
    let mut demo = Demo::new(DemoConfig::default(), 1_800_000);
    let text = "# HELP temp_celsius Temperature.\n# TYPE temp_celsius gauge\ntemp_celsius{room=\"a\"} 21\n";
    let report = demo.ingest_exposition(text, "sensors", "pi:9100").unwrap();
    assert_eq!(report.samples_stored, 1);
    let info = demo
        .catalog()
        .into_iter()
        .find(|m| m.name == "temp_celsius")
        .unwrap();
    assert_eq!(
        (info.kind, info.help.as_str(), info.series),
        (MetricType::Gauge, "Temperature.", 1)
    );
    let series = demo.series_of("temp_celsius");
    assert_eq!(series[0].0.get("job"), Some("sensors"));
    assert_eq!(series[0].1.map(|s| s.value), Some(21.0));
    // A later paste is the next scrape: the value updates.
    demo.tick(1_000.0).unwrap();
    demo.ingest_exposition("temp_celsius{room=\"a\"} 22\n", "sensors", "pi:9100")
        .unwrap();
    assert_eq!(
        demo.series_of("temp_celsius")[0].1.map(|s| s.value),
        Some(22.0)
    );
    // `up` for the pasted target sits beside the shop's and the playground's own.
    assert_eq!(demo.series_of("up").len(), 3);
}

/// Refused writes were dropped with `let _ =` and `is_ok()`; each is
/// counted by reason now, and queryable as Prometheus names them.
#[test]
fn refused_writes_are_counted_and_queryable() {
    let mut demo = Demo::new(DemoConfig::default(), 1_800_000);
    let value = |demo: &Demo, query: &str| {
        let expr = o11y_promql::parse(query).unwrap();
        match demo.instant_query(&expr, demo.now_ms()).unwrap() {
            o11y_promql::eval::Value::Vector(v) => v.iter().map(|s| s.value).sum::<f64>(),
            other => panic!("{other:?}"),
        }
    };
    assert_eq!(
        value(&demo, "prometheus_tsdb_out_of_order_samples_total"),
        0.0
    );
    // A paste with a sample older than the one stored before.
    demo.ingest_exposition("temp 1 1700000000000\n", "sensors", "pi:9100")
        .unwrap();
    demo.step(1_000).unwrap();
    let report = demo
        .ingest_exposition("temp 2 1690000000000\n", "sensors", "pi:9100")
        .unwrap();
    assert_eq!(report.refusals.to_string(), "1 out_of_order");
    // A recording rule writing a series a paste already wrote ahead of it.
    demo.ingest_exposition("copy 5 2000000000000\n", "x", "x")
        .unwrap();
    demo.set_rules("groups:\n- name: copy\n  rules:\n  - record: copy\n    expr: vector(1)\n    labels: {job: x, instance: x}\n")
        .unwrap();
    demo.step(60_000).unwrap();
    let group = &demo.rules().groups[0];
    assert!(
        group.refused.get("out_of_order") >= 4,
        "{:?}",
        group.refused
    );
    let error = demo.rules().groups[0].rules[0]
        .last_error
        .clone()
        .unwrap_or_default();
    assert!(
        error.starts_with("the store refused 1 writes of the rule"),
        "{error}"
    );
    assert_eq!(
        value(&demo, "prometheus_target_scrapes_sample_out_of_order_total"),
        1.0
    );
    let tsdb = value(&demo, "prometheus_tsdb_out_of_order_samples_total");
    let rule = value(
        &demo,
        r#"o11y_rule_refused_samples_total{rule_group="rules.yml;copy", reason="out_of_order"}"#,
    );
    assert!(rule >= 3.0 && tsdb >= rule + 1.0, "{tsdb} {rule}");
    assert_eq!(
        value(
            &demo,
            r#"o11y_tsdb_refused_samples_total{reason="out_of_order"}"#
        ),
        tsdb
    );
    assert!(
        value(
            &demo,
            r#"prometheus_rule_evaluations_total{rule_group="rules.yml;copy"}"#
        ) >= 3.0
    );
    assert_eq!(value(&demo, r#"loki_discarded_samples_total"#), 0.0);
}

#[test]
fn a_bad_paste_stores_nothing_and_says_where() {
    let mut demo = Demo::new(DemoConfig::default(), 0);
    let before = demo.store().stats();
    let Err(IngestError::Parse(errors)) = demo.ingest_exposition("ok 1\nbad{ 1\n", "j", "i") else {
        panic!("expected parse errors");
    };
    assert_eq!(errors[0].line, 2);
    assert_eq!(demo.store().stats(), before);
    assert_eq!(
        demo.ingest_exposition("ok 1\n", " ", "i"),
        Err(IngestError::EmptyTarget)
    );
}

#[test]
fn histogram_series_names_find_their_family() {
    let demo = Demo::new(DemoConfig::default(), 1_800_000);
    let catalog = demo.catalog();
    let bucket = catalog
        .iter()
        .find(|m| m.name == "http_request_duration_seconds_bucket")
        .unwrap();
    assert_eq!(bucket.kind, MetricType::Histogram);
    assert!(bucket.series > 10);
    assert!(catalog.iter().any(|m| m.name == "scrape_duration_seconds"));
}

#[test]
fn defined_metrics_appear_and_can_be_driven() {
    let mut demo = Demo::new(DemoConfig::default(), 1_800_000);
    let definition = MetricDefinition {
        name: "queue_depth".to_string(),
        help: "Jobs waiting.".to_string(),
        kind: MetricKind::Gauge,
        labels: vec![("queue".to_string(), "emails".to_string())],
        driven: true,
        typical_value: 40.0,
    };
    demo.define_metric(&definition).unwrap();
    assert!(
        demo.define_metric(&definition).is_err(),
        "a name is registered once"
    );
    let listed = demo
        .catalog()
        .into_iter()
        .find(|m| m.name == "queue_depth")
        .unwrap();
    assert_eq!((listed.kind, listed.series), (MetricType::Gauge, 0));
    demo.clock_mut().set_speed(10.0);
    demo.tick(3_000.0).unwrap(); // 30 s: at least one scrape
    let value = demo.series_of("queue_depth")[0].1.unwrap().value;
    assert!((32.0..=48.0).contains(&value), "{value}");
}

#[test]
fn invalid_settings_fall_back_to_defaults() {
    let mut config = DemoConfig::default();
    config.topology.requests_per_s = -1.0;
    assert!(Demo::try_new(config.clone(), 0).is_err());
    assert_eq!(Demo::new(config, 0).config(), &DemoConfig::default());
}

#[test]
fn the_examples_rebuild_without_loss() {
    for e in crate::workspace::examples() {
        let json = e.workspace.to_json();
        let ws = crate::workspace::Workspace::from_json(&json).unwrap();
        let (demo, skipped) = Demo::from_workspace(&ws, 3_600_000).unwrap();
        assert!(skipped.is_empty(), "{}: {skipped:?}", e.id);
        assert_eq!(
            demo.shop().active_failures(3_600_000),
            e.workspace.failures,
            "{}",
            e.id
        );
        e.workspace.to_link().unwrap();
    }
}

/// Every sample of a store, values by their bits (stale markers are NaN).
fn all_samples(store: &Tsdb) -> Vec<(Labels, Vec<(i64, u64)>)> {
    let every = Matcher::new(o11y_model::labels::MatchOp::Regex, "__name__", ".+").unwrap();
    store
        .select(&[every], i64::MIN, i64::MAX)
        .into_iter()
        .map(|s| {
            let samples = s.samples.iter().map(|p| (p.ts_ms, p.value.to_bits()));
            (s.labels, samples.collect())
        })
        .collect()
}

#[test]
fn a_started_demo_shows_a_preview_at_once_and_fills_in_the_history_try_new_makes() {
    let now = 30 * 3_600_000 + 7_321;
    let mut demo = Demo::start(DemoConfig::default(), now).unwrap();
    assert!(demo.is_filling_history());
    // The preview: the last minute and a half of metrics, no spans or logs yet.
    let oldest = |store: &Tsdb| {
        all_samples(store)
            .iter()
            .filter_map(|(_, s)| s.first().map(|p| p.0))
            .min()
            .unwrap()
    };
    assert!(oldest(demo.store()) >= now - PREVIEW_MS);
    assert_eq!(demo.traces().span_count(), 0);
    // The live chart has its first rates.
    assert!(
        demo.requests_per_second()
            .iter()
            .filter(|p| p.1 > 0.0)
            .count()
            >= 4
    );
    // Fill it three scrapes at a time, as a page does a slice per frame.
    let slices = fill_in_slices(&mut demo, 3);
    assert!(slices > 60, "{slices}");
    assert!(!demo.is_filling_history());
    assert!(demo.fill_history(&mut || true));
    let whole = Demo::try_new(DemoConfig::default(), now).unwrap();
    assert_eq!(oldest(demo.store()), oldest(whole.store()));
    assert!(contents(&demo) == contents(&whole));
    assert_eq!(demo.now_ms(), now);
}

#[test]
fn a_preview_parses_its_default_rules_only_when_asked_and_then_catches_up_their_evaluations() {
    let now = 30 * 3_600_000 + 7_321;
    let mut demo = Demo::start(DemoConfig::default(), now).unwrap();
    assert!(
        demo.rules.get().is_none(),
        "the first frame does not wait for the rules"
    );
    assert!(
        demo.alertmanager.get().is_none(),
        "nor for Alertmanager's configuration"
    );
    // Ticks past the first evaluations, and slices of the history: the
    // history has rules of its own, the preview's wait.
    for _ in 0..8 {
        demo.tick(5_000.0).unwrap();
        assert!(!demo.fill_history(&mut || true));
    }
    assert!(demo.rules.get().is_none());
    assert!(demo.is_filling_history());
    // Asked for (the Alerts page opened meanwhile), they are parsed as
    // they would have been at once, and the next tick makes the
    // evaluations due since the preview started.
    let rules = demo.rules();
    assert!(rules.groups.iter().all(|g| g.evaluations == 0));
    demo.tick(1.0).unwrap();
    let mut eager = Demo::start(
        DemoConfig {
            rules: Some(DEFAULT_RULES.to_string()),
            ..DemoConfig::default()
        },
        now,
    )
    .unwrap();
    for _ in 0..8 {
        eager.tick(5_000.0).unwrap();
    }
    eager.tick(1.0).unwrap();
    let evaluations = |d: &Demo| {
        d.rules()
            .groups
            .iter()
            .map(|g| (g.evaluations, g.next_eval_ms()))
            .collect::<Vec<_>>()
    };
    assert!(evaluations(&demo).iter().all(|&(n, _)| n > 0));
    assert_eq!(evaluations(&demo), evaluations(&eager));
    // The history takes the preview's place with its own rules, evaluated
    // up to the clock, as a demo that never showed a preview has them.
    let mut fresh = Demo::start(DemoConfig::default(), now).unwrap();
    for _ in 0..8 {
        fresh.tick(5_000.0).unwrap();
    }
    fresh.settle();
    assert!(fresh.rules.get().is_some());
    assert!(evaluations(&fresh).iter().all(|&(n, _)| n > 0));
}

/// Fills a started demo's history `steps` scrape intervals at a time, as
/// a page does a slice per task; returns how many slices it took.
fn fill_in_slices(demo: &mut Demo, steps: i32) -> usize {
    let mut slices = 0;
    loop {
        let mut left = steps;
        let mut stop = move || {
            left -= 1;
            left < 0
        };
        if demo.fill_history(&mut stop) {
            return slices;
        }
        slices += 1;
    }
}

/// What a demo filled in behind a preview shares with one made at once:
/// every sample, the log lines and bytes, the spans, the alerts, the
/// dashboards and the workspace.
#[allow(clippy::type_complexity)] // a tuple compared whole
fn contents(d: &Demo) -> (Vec<(Labels, Vec<(i64, u64)>)>, [usize; 5], String) {
    let counts = [
        d.logs().line_count(),
        d.logs().bytes(),
        d.traces().span_count(),
        d.rules().alerts().count(),
        d.dashboards().len(),
    ];
    (all_samples(d.store()), counts, d.workspace("#/x").to_json())
}

#[test]
fn a_change_while_the_history_fills_finishes_it_first_and_keeps_the_change() {
    let now = 30 * 3_600_000;
    let mut demo = Demo::start(DemoConfig::default(), now).unwrap();
    demo.clock_mut().set_speed(10.0);
    demo.tick(1_000.0).unwrap();
    assert!(demo.is_filling_history());
    demo.ingest_exposition("pasted_total 3\n", "paste", "p:1")
        .unwrap();
    assert!(!demo.is_filling_history());
    // The whole hour is there, the clock went on, and the paste is kept.
    assert_eq!(demo.now_ms(), now + 10_000);
    assert_eq!(demo.clock().speed(), 10.0);
    let every = Matcher::new(
        o11y_model::labels::MatchOp::Equal,
        "__name__",
        "pasted_total",
    )
    .unwrap();
    assert_eq!(demo.store().select(&[every], 0, i64::MAX).len(), 1);
    let oldest = all_samples(demo.store())
        .iter()
        .filter_map(|(_, s)| s.first().map(|p| p.0))
        .min()
        .unwrap();
    assert!(oldest < now - 59 * 60_000, "{oldest}");
    assert!(demo.traces().span_count() > 0);
}

#[test]
fn starting_over_with_a_day_of_history_keeps_the_clock_and_fills_in_the_day() {
    let now = 30 * 3_600_000;
    let mut demo = Demo::new(DemoConfig::default(), now);
    demo.clock_mut().set_speed(10.0);
    let topology = demo.shop().topology().clone();
    demo.start_over(7, topology, 6 * 3_600_000).unwrap();
    assert!(demo.is_filling_history());
    assert_eq!(
        (demo.config().seed, demo.config().backfill_ms),
        (7, 6 * 3_600_000)
    );
    assert_eq!(demo.clock().speed(), 10.0);
    assert!(demo.fill_history(&mut || false));
    let oldest = all_samples(demo.store())
        .iter()
        .filter_map(|(_, s)| s.first().map(|p| p.0))
        .min()
        .unwrap();
    assert!(oldest <= now - 6 * 3_600_000 + 15_000, "{oldest}");
    // The workspace keeps the choice: saved, shared or reloaded, the six
    // hours are simulated again.
    let ws = demo.workspace("#/live");
    assert_eq!(ws.history_hours, 6);
    let back = crate::workspace::Workspace::from_json(&ws.to_json()).unwrap();
    let (restored, _) = Demo::start_from_workspace(&back, now).unwrap();
    assert_eq!(restored.config().backfill_ms, 6 * 3_600_000);
    // Never more than the store keeps.
    let topology = demo.shop().topology().clone();
    demo.start_over(7, topology, 48 * 3_600_000).unwrap();
    assert_eq!(demo.config().backfill_ms, MAX_BACKFILL_MS);
}

#[test]
fn a_workspace_restored_behind_a_preview_ends_as_restored_at_once() {
    let now = 30 * 3_600_000 + 4_321;
    // An example (with a failure), and a workspace with pastes and a
    // metric defined.
    let made = a_demo_with_pastes();
    let mut workspaces: Vec<(String, crate::workspace::Workspace)> = crate::workspace::examples()
        .into_iter()
        .take(1)
        .map(|e| (e.id.to_string(), e.workspace))
        .collect();
    workspaces.push(("made".to_string(), made.workspace("#/metrics")));
    for (id, ws) in &workspaces {
        let (whole, skipped) = Demo::from_workspace(ws, now).unwrap();
        let (mut demo, preview_skipped) = Demo::start_from_workspace(ws, now).unwrap();
        assert_eq!(preview_skipped, skipped, "{}", id);
        assert!(demo.is_filling_history(), "{}", id);
        // The preview has the workspace already: its rules, failures, clock.
        assert_eq!(demo.rules_text(), whole.rules_text(), "{}", id);
        assert_eq!(demo.shop().active_failures(now), ws.failures, "{}", id);
        assert_eq!(demo.clock().speed(), whole.clock().speed(), "{}", id);
        let slices = fill_in_slices(&mut demo, 5);
        assert!(slices > 10, "{}: {slices}", id);
        assert!(contents(&demo) == contents(&whole), "{}", id);
    }
}
