//! Fuzzing of Grafana dashboard JSON as the Dashboards page takes it:
//! import, export and import again (which must give the same dashboard),
//! variables resolved, panels laid out on the 24-column grid, and every
//! expression interpolated with a panel's intervals. Inputs are the
//! dashboard below, mutated byte by byte and token by token, each with a
//! "now" and a panel width.
//!
//! `cargo test` runs a fixed number of inputs from a fixed seed, the same on
//! every machine (`common::Fuzz`: `O11Y_FUZZ_SEED`, `O11Y_FUZZ_INPUTS`).
//! A long run, with overflow checks in an optimised build:
//! `O11Y_FUZZ_SECONDS=600 cargo test --profile fuzz -p o11y-engine --test fuzz_dashboards -- --nocapture`.
//! A failure prints its input and the command that checks it alone:
//! `O11Y_FUZZ_SEED=<seed> O11Y_FUZZ_ONLY=<n> cargo test -p o11y-engine --test fuzz_dashboards -- --nocapture`.

use o11y_engine::dashboards::{export, import, vars};
use rand::Rng;

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

/// One input: pasted dashboard JSON, the time it is drawn at and the
/// width of its panels in pixels.
#[derive(Debug)]
struct Pasted {
    text: String,
    now_ms: i64,
    width_px: u64,
}

#[test]
fn pasted_dashboards_never_panic() {
    let fuzz = common::Fuzz {
        target: "fuzz_dashboards",
        seed: 13,
        inputs: 4_000,
        accepted: "imported",
    };
    fuzz.run(
        |rng| Pasted {
            text: common::mutate(rng, GRAFANA, &PIECES),
            now_ms: rng.random_range(-10_000_000_000i64..10_000_000_000),
            width_px: rng.random_range(0..5_000),
        },
        |Pasted {
             text,
             now_ms,
             width_px,
         }| {
            let now = *now_ms;
            let Ok((d, first)) = import(text) else {
                return false;
            };
            let (again, report) = import(&export(&d)).expect("an export imports");
            assert_eq!(again, d, "export and import again changed {text}");
            // An export adds nothing unsupported (a unit it keeps is still listed).
            for u in &report.unsupported {
                assert!(first.unsupported.contains(u), "{u} after export of {text}");
            }
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
                let window = p.query_window(now, range, *width_px);
                assert!(window.step_ms > 0 && window.start_ms <= window.end_ms);
                for t in &p.targets {
                    let e = placed.scope.interpolate(&t.expr, Some(&window.intervals));
                    let _ = o11y_engine::promql::parse(&e);
                    let _ = placed.scope.interpolate(&t.legend_format, None);
                }
            }
            true
        },
    );
}
