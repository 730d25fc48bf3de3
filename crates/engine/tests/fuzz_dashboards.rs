//! Time-boxed fuzzing of Grafana dashboard JSON as the Dashboards page
//! takes it: import, export and import again (which must give the same
//! dashboard), variables resolved and every expression interpolated with
//! a panel's intervals. Runs 3 s by default; `O11Y_FUZZ_SECONDS=600 cargo
//! test --release --test fuzz_dashboards` for longer.

use std::time::{Duration, Instant};

use o11y_engine::dashboard::{export, import, vars};
use rand::{Rng, SeedableRng};
use rand_pcg::Pcg64Mcg;

mod common;

const GRAFANA: &str = r##"{"dashboard": {"title": "T", "time": {"from": "now-6h", "to": "now"},
  "templating": {"list": [
    {"name": "job", "type": "query", "query": {"query": "label_values(up, job)"}, "regex": "/(.*)/", "sort": 3, "includeAll": true, "allValue": ".*", "current": {"value": ["a", "b"]}},
    {"name": "env", "type": "custom", "query": "a : b, c\\, d", "multi": true},
    {"name": "step", "type": "interval", "query": "1m,5m", "auto": true, "auto_count": 7, "auto_min": "1s"},
    {"name": "k", "type": "constant", "query": "3"},
    {"name": "t", "type": "textbox", "query": "x"},
    {"name": "r", "type": "query", "query": "query_result(topk($k, up{job=~\"$job\"}))"}
  ]},
  "panels": [
    {"type": "row", "title": "R", "panels": [{"id": 9, "type": "stat", "title": "In", "targets": [{"expr": "sum(up)"}]}]},
    {"id": 1, "type": "timeseries", "title": "A $job", "repeat": "job", "maxPerRow": 3, "interval": "30s", "maxDataPoints": 50, "gridPos": {"h": 8, "w": 12, "x": 0, "y": 0},
     "targets": [{"expr": "rate(x{e=\"${env:pipe}\", j=~\"$job\"}[$__rate_interval]) * $__interval_ms / ${__range_s}", "legendFormat": "{{job}} $t", "refId": "A"}, {"expr": "up", "hide": true}],
     "fieldConfig": {"defaults": {"unit": "s", "thresholds": {"steps": [{"color": "green", "value": null}, {"color": "red", "value": 1}]}, "custom": {"drawStyle": "bars", "stacking": {"mode": "normal"}}}}},
    {"id": 2, "type": "text", "title": "N", "options": {"content": "# hi"}}
  ]}}"##;

const PIECES: [&str; 20] = [
    "{",
    "}",
    "[",
    "]",
    ",",
    ":",
    "\"",
    "$",
    "${",
    "[[",
    "]]",
    ":raw}",
    "$__",
    "null",
    "-1",
    "1e308",
    "99999999999999999999",
    "\"now-9999999999y\"",
    "\"/(/\"",
    "\"interval\"",
];

#[test]
fn pasted_dashboards_never_panic() {
    let seconds = common::fuzz_seconds();
    let mut rng = Pcg64Mcg::seed_from_u64(11);
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let (mut inputs, mut imported) = (0u64, 0u64);
    while Instant::now() < deadline {
        let text = common::mutate(&mut rng, GRAFANA, &PIECES);
        inputs += 1;
        let Ok((d, first)) = import(&text) else {
            continue;
        };
        imported += 1;
        let (again, report) = import(&export(&d)).expect("an export imports");
        assert_eq!(again, d, "export and import again changed {text}");
        // An export adds nothing unsupported (a unit it keeps is still listed).
        for u in &report.unsupported {
            assert!(first.unsupported.contains(u), "{u} after export of {text}");
        }
        let now = rng.random_range(-10_000_000_000i64..10_000_000_000);
        let range = vars::relative_range_ms(&d.time_from).unwrap_or(3_600_000);
        let resolved = d.resolve(
            &[("job".into(), vec![vars::ALL.into()])],
            &mut |q| Some(vec![q.to_string(), "a".into(), "b.c".into()]),
            (now.saturating_sub(range), now),
        );
        for placed in d.layout(&resolved) {
            let p = &placed.panel;
            // Every panel and copy stays on the 24-column grid.
            assert!(p.grid.x + p.grid.w <= 24, "{:?}", p.grid);
            let window = p.query_window(now, range, rng.random_range(0..5_000));
            assert!(window.step_ms > 0 && window.start_ms <= window.end_ms);
            for t in &p.targets {
                let e = placed.scope.interpolate(&t.expr, Some(&window.intervals));
                let _ = o11y_engine::promql::parse(&e);
                let _ = placed.scope.interpolate(&t.legend_format, None);
            }
        }
    }
    println!("dashboard fuzz: {inputs} inputs, {imported} imported, no panic");
    assert!(inputs > 0);
}
