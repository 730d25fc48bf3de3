//! A range query evaluates each node over all steps at once (series by
//! series, windows sliding from step to step); an instant query is the
//! grid of one step. Whatever the window reuse, subquery grids and
//! aggregation order do, the range result at each step must be the
//! instant query at that step: checked here on random stores (fixed
//! seeds) with counter resets, gaps longer than the windows, staleness
//! markers, series ending and restarting, NaN, classic and native
//! histograms, at steps that are not multiples of anything.

use o11y_model::labels::Labels;
use o11y_promql::eval::{Evaluator, QueryLimits, Value, VectorSample, range_query_with_stats};
use o11y_promql::promqltest::{ScriptStore, parse_series};

/// splitmix64: a small deterministic generator, so a failure replays.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

const INTERVAL_MS: i64 = 10_000;
const POINTS: usize = 90;

/// One series' values in promqltest's notation: a counter that sometimes
/// resets, with gaps (`_`), runs of gaps longer than any window, staleness
/// markers (the series ends, and may come back), and the odd NaN.
fn float_values(rng: &mut Rng) -> String {
    let mut out = Vec::new();
    let mut value = rng.below(50) as f64;
    let mut i = 0;
    // Some series start late.
    if rng.chance(20) {
        for _ in 0..rng.below(30) {
            out.push("_".to_string());
            i += 1;
        }
    }
    while i < POINTS {
        i += 1;
        match rng.below(100) {
            0..=3 => out.push("_".to_string()),
            4 => {
                // A gap longer than every window of the queries.
                for _ in 0..20 {
                    out.push("_".to_string());
                }
                i += 20;
            }
            5..=6 => out.push("stale".to_string()),
            7 => out.push("NaN".to_string()),
            8..=10 => {
                value = rng.below(10) as f64; // a counter reset
                out.push(value.to_string());
            }
            _ => {
                value += rng.below(20) as f64 + 0.25 * rng.below(4) as f64;
                out.push(value.to_string());
            }
        }
    }
    out.join(" ")
}

/// A native histogram counter (exponential schema 0), sometimes reset,
/// with gaps and staleness.
fn histogram_values(rng: &mut Rng) -> String {
    let mut out = Vec::new();
    let mut buckets = [rng.below(5), rng.below(5), rng.below(5)];
    for _ in 0..POINTS {
        match rng.below(100) {
            0..=4 => {
                out.push("_".to_string());
                continue;
            }
            5 => {
                out.push("stale".to_string());
                continue;
            }
            6..=8 => buckets = [rng.below(3), 0, rng.below(3)],
            _ => {
                for b in &mut buckets {
                    *b += rng.below(4);
                }
            }
        }
        let count: u64 = buckets.iter().sum();
        let sum = count as f64 * 1.5;
        out.push(format!(
            "{{{{schema:0 count:{count} sum:{sum} buckets:[{} {} {}]}}}}",
            buckets[0], buckets[1], buckets[2]
        ));
    }
    out.join(" ")
}

fn store(seed: u64) -> ScriptStore {
    let mut rng = Rng(seed);
    let mut store = ScriptStore::default();
    let mut load = |series: &str, values: String| {
        let labels: Labels = parse_series(series).unwrap();
        store.load(&labels, &values, 0, INTERVAL_MS).unwrap();
    };
    for job in ["a", "b"] {
        for i in 0..4 {
            load(
                &format!("x{{job=\"{job}\", i=\"{i}\"}}"),
                float_values(&mut rng),
            );
            if rng.chance(70) {
                load(
                    &format!("y{{job=\"{job}\", i=\"{i}\"}}"),
                    float_values(&mut rng),
                );
            }
        }
        // Classic buckets: cumulative, so each bucket holds a share of the total.
        let totals = float_values(&mut rng);
        for (le, share) in [("0.5", 0.25), ("1", 0.5), ("+Inf", 1.0)] {
            let values: Vec<String> = totals
                .split(' ')
                .map(|v| match v.parse::<f64>() {
                    Ok(v) if !v.is_nan() => (v * share).floor().to_string(),
                    _ => v.to_string(),
                })
                .collect();
            load(
                &format!("b{{job=\"{job}\", le=\"{le}\"}}"),
                values.join(" "),
            );
        }
        load(&format!("h{{job=\"{job}\"}}"), histogram_values(&mut rng));
    }
    store
}

/// Queries covering every kind of node the range path evaluates natively
/// and the functions it runs per step.
const QUERIES: &[&str] = &[
    "x",
    "x offset 1m",
    "x offset -30s",
    "x @ 300",
    "x @ start()",
    "x @ end()",
    "timestamp(x)",
    "timestamp(x offset 1m)",
    "rate(x[1m])",
    "increase(x[2m] offset 30s)",
    "delta(x[1m])",
    "irate(x[1m])",
    "idelta(x[45s])",
    "changes(x[3m])",
    "resets(x[3m])",
    "sum_over_time(x[2m])",
    "avg_over_time(x[2m])",
    "count_over_time(x[1m])",
    "min_over_time(x[2m])",
    "max_over_time(x[2m])",
    "last_over_time(x[1m])",
    "first_over_time(x[1m])",
    "present_over_time(x[1m])",
    "quantile_over_time(0.3, x[2m])",
    "stddev_over_time(x[2m])",
    "stdvar_over_time(x[2m])",
    "mad_over_time(x[2m])",
    "ts_of_max_over_time(x[2m])",
    "ts_of_last_over_time(x[2m])",
    "deriv(x[2m])",
    "predict_linear(x[2m], 60)",
    "double_exponential_smoothing(x[2m], 0.3, 0.6)",
    "absent_over_time(x{i=\"3\", job=\"a\"}[1m])",
    "absent(x{i=\"3\", job=\"a\"})",
    "rate(x[1m] @ end())",
    "rate(x[2m] @ 400)",
    "max_over_time(rate(x[1m])[5m:45s])",
    "avg_over_time(x[2m:7s] offset 20s)",
    "sum_over_time(sum(x)[3m:1m] @ 300)",
    "max_over_time(deriv(rate(x[1m])[3m:20s])[4m:50s])",
    "last_over_time(x[1m:13s] @ end())",
    "count_over_time(x[30s:7s])",
    "sum_over_time(rate(x[1m])[20s:3s] offset 5s)",
    "sum by (job) (rate(x[1m]))",
    "avg without (i) (x)",
    "count(x)",
    "min by (job) (x)",
    "max(x)",
    "group by (job) (x)",
    "stddev by (job) (x)",
    "stdvar(x)",
    "quantile by (job) (0.7, x)",
    "topk(2, x)",
    "topk(1, x)",
    "bottomk(1, x)",
    "sum(topk(3, x))",
    "sum(x or y)",
    "bottomk by (job) (1, rate(x[1m]))",
    "limitk(2, x)",
    "limit_ratio(0.5, x)",
    "count_values(\"v\", round(x / 10))",
    "x + 1",
    "2 * x",
    "x > 50",
    "x > bool 50",
    "1 - x",
    "-x",
    "x / on(i, job) y",
    "x / y",
    "x * on(job) group_left sum by (job) (y)",
    "sum by (job) (y) * on(job) group_right x",
    "x and y",
    "x or y",
    "x unless y",
    "x and on(job) y",
    "rate(x[1m]) > on(i, job) rate(y[1m])",
    "abs(-x)",
    "clamp(x, 20, 50)",
    "round(x, 0.5)",
    "label_replace(x, \"d\", \"$1\", \"i\", \"(.*)\")",
    "sort_desc(x)",
    "scalar(sum(x))",
    "vector(time())",
    "time()",
    "x - scalar(sum(y))",
    "hour(timestamp(x))",
    "histogram_quantile(0.9, sum by (le) (rate(b[2m])))",
    "histogram_quantile(0.5, b)",
    "histogram_fraction(0, 0.7, b)",
    "histogram_quantile(0.5, rate(h[2m]))",
    "histogram_count(rate(h[1m]))",
    "sum(h)",
    "rate(h[1m])",
    "sum_over_time(h[1m])",
    "last_over_time(h[1m])",
    "changes(h[2m])",
    "h * 2",
    "h + h",
];

/// A value at one step, comparable: labels, then the float's bits (every
/// NaN alike) or the histogram.
fn key(labels: &Labels, value: f64, histogram: Option<String>) -> String {
    let value = if value.is_nan() {
        "NaN".to_string()
    } else {
        format!("{:x}", value.to_bits())
    };
    format!("{labels} {value} {}", histogram.unwrap_or_default())
}

fn instant_keys(samples: &[VectorSample]) -> Vec<String> {
    let mut keys: Vec<String> = samples
        .iter()
        .map(|s| {
            let h = s.histogram.as_ref().map(|h| format!("{h:?}"));
            let value = if h.is_some() { 0.0 } else { s.value };
            key(&s.labels, value, h)
        })
        .collect();
    keys.sort();
    keys
}

/// Checks `query` over one grid; returns how many points the range gave.
fn check(store: &ScriptStore, query: &str, start_ms: i64, end_ms: i64, step_ms: i64) -> usize {
    let expr = o11y_promql::parse(query).unwrap();
    let limits = QueryLimits::default();
    // The query at one of the range's steps (`@ start()` is the range's start).
    let instant_query = |store: &ScriptStore, expr, ts| {
        Evaluator::new(store, start_ms, end_ms, step_ms, limits)
            .prepare(expr)
            .eval(expr, ts)
    };
    let range = range_query_with_stats(store, &expr, start_ms, end_ms, step_ms, limits);
    let mut ts = start_ms;
    while ts <= end_ms {
        let instant = instant_query(store, &expr, ts);
        let at = format!("{query} at {ts} ms (range {start_ms}..{end_ms} step {step_ms})");
        match (&range, instant) {
            (Ok((series, _)), Ok(value)) => {
                let mut from_range: Vec<String> = Vec::new();
                for s in series {
                    if let Some(p) = s.samples.iter().find(|p| p.ts_ms == ts) {
                        from_range.push(key(&s.labels, p.value, None));
                    }
                    if let Some(h) = s.histograms.iter().find(|p| p.ts_ms == ts) {
                        from_range.push(key(&s.labels, 0.0, Some(format!("{:?}", h.histogram))));
                    }
                }
                from_range.sort();
                let expected = match value {
                    Value::Vector(v) => instant_keys(&v),
                    Value::Scalar(v) => vec![key(&Labels::default(), v, None)],
                    other => panic!("{at}: {other:?}"),
                };
                assert_eq!(from_range, expected, "{at}");
            }
            (Err(_), Err(_)) => {}
            (Ok(_), Err(e)) => panic!("{at}: the instant query fails ({e}), the range query not"),
            // The range query fails if any step does.
            (Err(_), Ok(_)) => {}
        }
        ts += step_ms;
    }
    if let Err(e) = &range {
        let failing = (0..)
            .map(|k| start_ms + k * step_ms)
            .take_while(|t| *t <= end_ms)
            .any(|t| instant_query(store, &expr, t).is_err());
        assert!(
            failing,
            "{query}: the range query fails ({e}), no step does"
        );
    }
    range.map_or(0, |(series, _)| {
        series
            .iter()
            .map(|s| s.samples.len() + s.histograms.len())
            .sum()
    })
}

#[test]
fn range_queries_equal_instant_queries_at_every_step() {
    let mut points = vec![0; QUERIES.len()];
    for seed in [1, 2, 3] {
        let store = store(seed);
        let mut rng = Rng(seed * 1000);
        for (q, query) in QUERIES.iter().enumerate() {
            // Unaligned grids: starts and steps that are multiples of nothing
            // the data or the subqueries use.
            for _ in 0..2 {
                let start_ms = rng.below(300_000) as i64 + 1;
                let step_ms = [7_001, 15_000, 23_500, 61_000][rng.below(4) as usize];
                let end_ms = start_ms + step_ms * (10 + rng.below(60) as i64);
                points[q] += check(&store, query, start_ms, end_ms, step_ms);
            }
        }
    }
    // Every query gave something to compare somewhere.
    for (query, n) in QUERIES.iter().zip(&points) {
        assert!(*n > 0, "{query} gave no points: the test checks nothing");
    }
}

#[test]
fn samples_touched_counts_what_selectors_read_at_each_step() {
    let mut store = ScriptStore::default();
    let labels = parse_series("x{job=\"a\"}").unwrap();
    // One sample every 10 s from 0 to 200 s.
    store.load(&labels, "0+1x20", 0, INTERVAL_MS).unwrap();
    let stats = |query: &str| {
        let expr = o11y_promql::parse(query).unwrap();
        let limits = QueryLimits::default();
        range_query_with_stats(&store, &expr, 100_000, 160_000, 30_000, limits)
            .unwrap()
            .1
    };
    // Three steps; a selector reads one sample at each.
    assert_eq!(stats("x").samples_touched, 3);
    // (t - 1m, t] holds six samples at each of the three steps.
    assert_eq!(stats("rate(x[1m])").samples_touched, 18);
    // Loaded once: what the lookback before the first step can read, on.
    assert_eq!(stats("x").samples_loaded, 17);
}

/// A store of the series `(selector, values in promqltest's notation)`,
/// one value a minute from 0.
fn script(series: &[(&str, &str)]) -> ScriptStore {
    let mut store = ScriptStore::default();
    for (selector, values) in series {
        let labels = parse_series(selector).unwrap();
        store.load(&labels, values, 0, 60_000).unwrap();
    }
    store
}

/// `query` over `start_s..=end_s` every `step_s` (checked against the
/// instant queries), as `value@seconds` per series.
fn points(
    store: &ScriptStore,
    query: &str,
    (start_s, end_s, step_s): (i64, i64, i64),
) -> Vec<String> {
    let (start_ms, end_ms, step_ms) = (start_s * 1000, end_s * 1000, step_s * 1000);
    check(store, query, start_ms, end_ms, step_ms);
    let expr = o11y_promql::parse(query).unwrap();
    let limits = QueryLimits::default();
    let (series, _) =
        range_query_with_stats(store, &expr, start_ms, end_ms, step_ms, limits).unwrap();
    series
        .iter()
        .map(|s| {
            let floats = s.samples.iter().map(|p| {
                let v = o11y_model::number::format_float((p.value * 1e6).round() / 1e6);
                format!("{v}@{}", p.ts_ms / 1000)
            });
            let histograms = s.histograms.iter().map(|p| {
                let count = o11y_model::number::format_float(p.histogram.count);
                format!("h{count}@{}", p.ts_ms / 1000)
            });
            let all: Vec<String> = floats.chain(histograms).collect();
            format!("{} {}", s.labels, all.join(" "))
        })
        .collect()
}

#[test]
fn a_counter_reset_inside_the_sliding_window_is_added_back() {
    let s = script(&[("x", "0 10 20 5 15 25 35")]);
    // Windows (t - 120 s, t]. At 180 s: 20, then 5 after a reset: 5 - 20 + 20,
    // doubled to cover the window. At 240 s: 5, 15, extrapolated back only
    // to where the counter would have been zero (30 s).
    assert_eq!(
        points(&s, "increase(x[2m])", (120, 360, 60)),
        ["{} 20@120 10@180 15@240 20@300 20@360"]
    );
    assert_eq!(
        points(&s, "resets(x[3m])", (120, 360, 60)),
        ["{} 0@120 1@180 1@240 0@300 0@360"]
    );
}

#[test]
fn a_series_that_goes_stale_and_comes_back() {
    let s = script(&[("x", "1 2 stale _ _ 5 6")]);
    assert_eq!(points(&s, "x", (0, 360, 60)), ["x 1@0 2@60 5@300 6@360"]);
    // The marker is not a sample of the window.
    assert_eq!(
        points(&s, "count_over_time(x[2m])", (0, 360, 60)),
        ["{} 1@0 2@60 1@120 1@300 2@360"]
    );
}

#[test]
fn a_gap_longer_than_the_window_leaves_steps_empty() {
    let s = script(&[("x", "1 2 3 _ _ _ _ 8 9")]);
    assert_eq!(
        points(&s, "rate(x[2m])", (60, 480, 60)),
        ["{} 0.016667@60 0.016667@120 0.016667@480"]
    );
    assert_eq!(
        points(&s, "last_over_time(x[2m])", (60, 480, 60)),
        ["x 2@60 3@120 3@180 8@420 9@480"]
    );
}

#[test]
fn offset_and_at_move_every_window() {
    let s = script(&[("x", "0+10x10")]);
    assert_eq!(
        points(&s, "sum_over_time(x[2m] offset 1m)", (120, 240, 60)),
        ["{} 10@120 30@180 50@240"]
    );
    assert_eq!(
        points(&s, "x @ end()", (0, 120, 60)),
        ["x 20@0 20@60 20@120"]
    );
    assert_eq!(
        points(&s, "last_over_time(x[1m] @ start())", (60, 180, 60)),
        ["x 10@60 10@120 10@180"]
    );
    assert_eq!(
        points(&s, "timestamp(x offset 1m)", (60, 180, 60)),
        ["{} 0@60 60@120 120@180"]
    );
}

#[test]
fn subqueries_at_steps_that_are_not_multiples_of_their_step() {
    let s = script(&[("x", "0+10x10")]);
    // Windows (t - 150 s, t] at 65, 115, 165 … s; inner steps on whole
    // minutes: 60 and 120 s at 165 s, 120, 180 and 240 s at 265 s.
    assert_eq!(
        points(&s, "count_over_time(x[150s:1m])", (65, 265, 50)),
        ["{} 2@65 2@115 2@165 2@215 3@265"]
    );
    assert_eq!(
        points(&s, "max_over_time(x[150s:1m] offset 10s)", (65, 265, 50)),
        ["{} 0@65 10@115 20@165 30@215 40@265"]
    );
}

#[test]
fn subqueries_with_windows_further_apart_than_their_range() {
    let s = script(&[("x", "0+10x20")]);
    // Steps 5 m apart, windows of 1 m: only the inner steps in a window
    // are evaluated, and each window sees its own.
    assert_eq!(
        points(&s, "count_over_time(x[1m:20s])", (100, 1000, 300)),
        ["{} 3@100 3@400 3@700 3@1000"]
    );
    assert_eq!(
        points(&s, "max_over_time(x[1m:20s])", (100, 1000, 300)),
        ["{} 10@100 60@400 110@700 160@1000"]
    );
}

#[test]
fn native_histograms_in_sliding_windows() {
    let s = script(&[(
        "h",
        "{{schema:0 count:1 sum:1 buckets:[1]}} {{schema:0 count:3 sum:3 buckets:[3]}} \
         {{schema:0 count:1 sum:1 buckets:[1]}} {{schema:0 count:4 sum:4 buckets:[4]}}",
    )]);
    // A reset at 120 s (3 → 1) is added back; the increase is
    // extrapolated as for floats.
    assert_eq!(
        points(&s, "histogram_count(increase(h[2m]))", (60, 180, 60)),
        ["{} 3@60 2@120 4@180"]
    );
    assert_eq!(
        points(&s, "last_over_time(h[1m])", (60, 180, 60)),
        ["h h3@60 h1@120 h4@180"]
    );
}
