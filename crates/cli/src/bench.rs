//! `o11y bench`: the figures the issues ask for, printed, never asserted.
//!
//! Workloads are generated from a fixed seed so runs compare. Memory is
//! measured with the counting allocator in `main.rs`.

use std::time::Instant;

use o11y_engine::metrics::expfmt::{Family, Format, MetricType, ParsedSample, parse, render};
use o11y_engine::metrics::store::{Sample, SeriesStore};
use o11y_engine::metrics::tsdb::chunk::XorChunk;
use o11y_engine::metrics::tsdb::{SeriesRef, Tsdb, TsdbLimits};
use o11y_engine::model::labels::Labels;
use rand::{Rng, SeedableRng};
use rand_pcg::Pcg64Mcg;

use crate::alloc::live_bytes;

/// How a generated series moves.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Shape {
    /// A request counter: whole increments of a few dozen per scrape.
    Counter,
    /// A histogram bucket: a counter that often does not move.
    Bucket,
    /// A gauge with a whole-number random walk (goroutines, queue length).
    IntegerGauge,
    /// A gauge with noisy decimals (CPU seconds ratio, temperature).
    NoisyGauge,
}

/// Mix of a typical Prometheus: most series are buckets and counters.
fn shape_of(i: usize) -> Shape {
    match i % 10 {
        0..=3 => Shape::Bucket,
        4..=6 => Shape::Counter,
        7 | 8 => Shape::IntegerGauge,
        _ => Shape::NoisyGauge,
    }
}

struct Generator {
    rng: Pcg64Mcg,
    values: Vec<f64>,
}

impl Generator {
    fn new(series: usize) -> Self {
        let mut rng = Pcg64Mcg::seed_from_u64(7);
        let values = (0..series)
            .map(|_| rng.random_range(0.0..1000.0f64).round())
            .collect();
        Generator { rng, values }
    }

    fn next(&mut self, i: usize) -> f64 {
        let v = &mut self.values[i];
        match shape_of(i) {
            Shape::Counter => *v += self.rng.random_range(0..60) as f64,
            Shape::Bucket => {
                if self.rng.random_bool(0.3) {
                    *v += self.rng.random_range(1..5) as f64;
                }
            }
            Shape::IntegerGauge => *v = (*v + self.rng.random_range(-3..=3) as f64).max(0.0),
            Shape::NoisyGauge => {
                *v = ((0.5 + self.rng.random::<f64>() * 0.1) * 100.0).round() / 100.0
            }
        }
        *v
    }
}

fn series_labels(i: usize) -> Labels {
    let name = match shape_of(i) {
        Shape::Counter => "http_requests_total",
        Shape::Bucket => "http_request_duration_seconds_bucket",
        Shape::IntegerGauge => "go_goroutines",
        Shape::NoisyGauge => "process_cpu_ratio",
    };
    Labels::new([
        ("__name__", name.to_string()),
        ("instance", format!("host-{}:9100", i / 100)),
        ("job", "node".to_string()),
        ("series", i.to_string()),
    ])
}

fn per_second(count: f64, seconds: f64) -> String {
    let rate = count / seconds.max(1e-9);
    if rate >= 1e6 {
        format!("{:.1} M", rate / 1e6)
    } else {
        format!("{:.0} k", rate / 1e3)
    }
}

/// TSDB figures: bytes per sample, append and decode throughput, memory per series.
pub fn tsdb(series: usize, hours: i64) {
    const STEP_MS: i64 = 15_000;
    let steps = (hours * 3_600_000 / STEP_MS) as usize;
    let labels: Vec<Labels> = (0..series).map(series_labels).collect();
    println!(
        "tsdb: {series} series x {steps} samples ({hours} h at 15 s) = {} samples",
        series * steps
    );

    // Fixed memory per series: each series with one sample, measured on the heap.
    let before = live_bytes();
    let mut db = Tsdb::with_limits(TsdbLimits {
        max_series: series,
        max_samples: series * (steps + 241),
        retention_ms: i64::MAX / 2,
    });
    let mut generator = Generator::new(series);
    // Handles, as Prometheus's scrape cache keeps them, so appends skip the label lookup.
    let refs: Vec<SeriesRef> = labels
        .iter()
        .map(|l| db.series_ref(l).expect("within limits"))
        .collect();
    for (i, r) in refs.iter().enumerate() {
        db.append_ref(
            *r,
            Sample {
                ts_ms: 0,
                value: generator.next(i),
            },
        )
        .expect("within limits");
    }
    let per_series = (live_bytes() - before) as f64 / series as f64;
    println!("  memory per series (labels, index, head chunk, 1 sample): {per_series:.0} B");

    let started = Instant::now();
    for step in 1..steps {
        let ts_ms = step as i64 * STEP_MS;
        for (i, r) in refs.iter().enumerate() {
            let value = generator.next(i);
            db.append_ref(*r, Sample { ts_ms, value })
                .expect("within limits");
        }
    }
    let append_s = started.elapsed().as_secs_f64();
    let appended = (series * (steps - 1)) as f64;
    println!(
        "  append by series ref: {} samples/s ({appended:.0} in {append_s:.2} s, value generation included)",
        per_second(appended, append_s)
    );

    // The same through label lookups, for one more hour.
    let started = Instant::now();
    let hour_steps = (3_600_000 / STEP_MS) as usize;
    for step in steps..steps + hour_steps {
        let ts_ms = step as i64 * STEP_MS;
        for (i, l) in labels.iter().enumerate() {
            let value = generator.next(i);
            db.append(l, Sample { ts_ms, value })
                .expect("within limits");
        }
    }
    let by_labels = (series * hour_steps) as f64;
    println!(
        "  append by labels: {} samples/s",
        per_second(by_labels, started.elapsed().as_secs_f64())
    );

    let stats = db.stats();
    println!(
        "  bytes per sample: {:.3} B ({} chunks, {} chunk bytes)",
        stats.chunk_bytes as f64 / stats.samples as f64,
        stats.chunks,
        stats.chunk_bytes
    );
    for shape in [
        Shape::Counter,
        Shape::Bucket,
        Shape::IntegerGauge,
        Shape::NoisyGauge,
    ] {
        let matcher = o11y_engine::model::labels::Matcher::metric(
            series_labels(shape_index(shape))
                .metric_name()
                .unwrap_or(""),
        );
        let selected = db.select(&[matcher], i64::MIN, i64::MAX);
        let bytes: usize = selected.iter().map(|s| encoded_size(&s.samples)).sum();
        let samples: usize = selected.iter().map(|s| s.samples.len()).sum();
        println!(
            "    {shape:?}: {:.3} B/sample",
            bytes as f64 / samples.max(1) as f64
        );
    }
    println!(
        "  heap in use after load: {:.1} MiB",
        (live_bytes() - before) as f64 / (1 << 20) as f64
    );

    let started = Instant::now();
    let all = db.select(&[], i64::MIN, i64::MAX);
    let select_s = started.elapsed().as_secs_f64();
    let decoded: usize = all.iter().map(|s| s.samples.len()).sum();
    println!(
        "  select everything (decode + copy): {} samples/s",
        per_second(decoded as f64, select_s)
    );
    drop(all);

    // The codec alone: decode every sample of chunks built the same way.
    let chunks: Vec<XorChunk> = (0..series.min(2_000))
        .map(|i| {
            let mut g = Generator::new(series);
            let mut c = XorChunk::new();
            for step in 0..120 {
                c.append(step * STEP_MS, g.next(i));
            }
            c
        })
        .collect();
    let started = Instant::now();
    let mut total = 0usize;
    let mut checksum = 0.0f64;
    for _ in 0..20 {
        for c in &chunks {
            for (_, v) in c.iter() {
                checksum += v;
                total += 1;
            }
        }
    }
    let decode_s = started.elapsed().as_secs_f64();
    println!(
        "  decode (codec only): {} samples/s (checksum {checksum:.0})",
        per_second(total as f64, decode_s)
    );
}

fn shape_index(shape: Shape) -> usize {
    (0..10).find(|i| shape_of(*i) == shape).unwrap_or(0)
}

fn encoded_size(samples: &[Sample]) -> usize {
    samples
        .chunks(120)
        .map(|part| {
            let mut c = XorChunk::new();
            for s in part {
                c.append(s.ts_ms, s.value);
            }
            c.bytes().len()
        })
        .sum()
}

/// Exposition parse throughput on a large generated text.
pub fn expfmt(series: usize) {
    let mut generator = Generator::new(series);
    let families: Vec<Family> = (0..series / 100)
        .map(|f| {
            let mut family = Family::new(&format!("metric_{f}_total"), MetricType::Counter);
            family.help = Some(format!("Help text of metric {f}."));
            family.samples = (0..100)
                .map(|i| ParsedSample {
                    name: family.name.clone(),
                    labels: vec![
                        ("instance".to_string(), format!("host-{i}:9100")),
                        ("job".to_string(), "node".to_string()),
                        ("path".to_string(), format!("/api/v1/items/{}", i % 7)),
                    ],
                    value: generator.next(f * 100 + i),
                    ts_ms: None,
                    exemplar: None,
                    line: 0,
                })
                .collect();
            family
        })
        .collect();
    for format in [Format::Text, Format::OpenMetrics] {
        let text = render(&families, format);
        let started = Instant::now();
        let parsed = parse(&text, format).map(|f| f.len()).unwrap_or(0);
        let seconds = started.elapsed().as_secs_f64();
        let mb = text.len() as f64 / 1e6;
        println!(
            "expfmt {format:?}: parsed {mb:.1} MB ({parsed} families, {} samples) at {:.0} MB/s",
            series,
            mb / seconds.max(1e-9)
        );
    }
}

/// PromQL range-query throughput: issue 4's two dashboard queries and
/// issue 18's set (rates, `*_over_time`, histogram quantiles, `topk`,
/// vector matching, a subquery) over `series` series of each kind, `hours` of samples at 15 s, a
/// range query at a 15 s step. Samples are those the selectors read over
/// all steps (Prometheus's "total samples").
pub fn promql(series: usize, hours: i64) {
    use o11y_engine::promql::eval::{QueryLimits, range_query_with_stats};
    const STEP_MS: i64 = 15_000;
    const ROUTES: usize = 20;
    const BUCKETS: [&str; 10] = [
        "0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "+Inf",
    ];
    let steps = (hours * 3_600_000 / STEP_MS) as usize;
    let mut db = Tsdb::with_limits(TsdbLimits {
        max_series: series * 3,
        max_samples: series * 3 * (steps + 30),
        retention_ms: i64::MAX / 2,
    });
    let mut rng = Pcg64Mcg::seed_from_u64(4);
    // Counters: `series` of http_requests_total{route, instance}.
    let counters: Vec<SeriesRef> = (0..series)
        .map(|i| {
            let labels = Labels::new([
                ("__name__", "http_requests_total".to_string()),
                ("route", format!("/r{}", i % ROUTES)),
                (
                    "instance",
                    format!("10.0.{}.{}:8080", i / ROUTES / 250, i / ROUTES % 250),
                ),
            ]);
            db.series_ref(&labels).expect("within limits")
        })
        .collect();
    // Buckets: `series` bucket series, 10 per (route, instance).
    let buckets: Vec<(SeriesRef, usize)> = (0..series)
        .map(|i| {
            let le = i % BUCKETS.len();
            let owner = i / BUCKETS.len();
            let labels = Labels::new([
                (
                    "__name__",
                    "http_request_duration_seconds_bucket".to_string(),
                ),
                ("route", format!("/r{}", owner % ROUTES)),
                (
                    "instance",
                    format!(
                        "10.0.{}.{}:8080",
                        owner / ROUTES / 250,
                        owner / ROUTES % 250
                    ),
                ),
                ("le", BUCKETS[le].to_string()),
            ]);
            (db.series_ref(&labels).expect("within limits"), le)
        })
        .collect();
    let mut counter_values = vec![0.0; series];
    let mut bucket_values = vec![0.0; series.div_ceil(BUCKETS.len())];
    for step in 0..=steps + 20 {
        let ts_ms = step as i64 * STEP_MS;
        for (i, r) in counters.iter().enumerate() {
            counter_values[i] += rng.random_range(0..40) as f64;
            let sample = Sample {
                ts_ms,
                value: counter_values[i],
            };
            db.append_ref(*r, sample).expect("within limits");
        }
        for (owner, value) in bucket_values.iter_mut().enumerate() {
            *value += rng.random_range(0..40) as f64;
            let _ = owner;
        }
        for (i, (r, le)) in buckets.iter().enumerate() {
            // Cumulative: each bucket holds a growing share of its owner's count.
            let owner_total = bucket_values[i / BUCKETS.len()];
            let share = (*le as f64 + 1.0) / BUCKETS.len() as f64;
            let sample = Sample {
                ts_ms,
                value: (owner_total * share).floor(),
            };
            db.append_ref(*r, sample).expect("within limits");
        }
    }
    let start_ms = 20 * STEP_MS;
    let end_ms = start_ms + hours * 3_600_000;
    println!(
        "promql: {series} counter and {series} bucket series, {hours} h at 15 s; range queries at a 15 s step ({} steps)",
        (end_ms - start_ms) / STEP_MS + 1
    );
    for query in [
        "sum by (route) (rate(http_requests_total[5m]))",
        "histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket[5m])))",
        "rate(http_requests_total[5m])",
        "sum without (instance) (increase(http_requests_total[5m]))",
        "avg_over_time(http_requests_total[5m])",
        "max_over_time(http_requests_total[5m])",
        "min_over_time(http_requests_total[5m])",
        "sum_over_time(http_requests_total[5m])",
        "count_over_time(http_requests_total[5m])",
        "quantile_over_time(0.9, http_requests_total[5m])",
        "last_over_time(http_requests_total[5m])",
        "histogram_quantile(0.9, sum by (route, le) (rate(http_request_duration_seconds_bucket[5m])))",
        "topk(5, rate(http_requests_total[5m]))",
        "sum by (route) (rate(http_requests_total[5m])) / on (route) sum by (route) (rate(http_request_duration_seconds_bucket{le=\"+Inf\"}[5m]))",
        "rate(http_requests_total[5m]) * on (route, instance) group_left rate(http_request_duration_seconds_bucket{le=\"+Inf\"}[5m])",
        "max_over_time(sum by (route) (rate(http_requests_total[5m]))[30m:1m])",
        "sum by (route) (http_requests_total)",
    ] {
        let expr = o11y_engine::promql::parse(query).expect("the benchmark's queries parse");
        let limits = QueryLimits {
            max_samples: usize::MAX,
            max_steps: 1_000_000,
        };
        let mut best = f64::MAX;
        let mut touched = 0;
        let mut result_series = 0;
        for _ in 0..3 {
            let started = Instant::now();
            let (result, stats) =
                range_query_with_stats(&db, &expr, start_ms, end_ms, STEP_MS, limits)
                    .expect("the benchmark's queries evaluate");
            best = best.min(started.elapsed().as_secs_f64());
            touched = stats.samples_touched;
            result_series = result.len();
        }
        println!(
            "  {query}\n    {result_series} result series, {touched} samples in {:.0} ms: {} samples/s",
            best * 1000.0,
            per_second(touched as f64, best)
        );
    }
}

/// LogQL throughput over generated log files of `mb` megabytes each: a
/// line filter (beside `grep -F -c` on the same file), `| json` with a
/// label filter, and `| logfmt` with a duration filter. Each query counts
/// every matching line, so every byte is read.
pub fn logql(mb: usize) {
    use o11y_engine::logs::ingest::{IngestOptions, ingest};
    use o11y_engine::logs::metric::{LogQuery, LogqlResult, query};
    use o11y_engine::logs::store::LogStore;
    let dir = std::env::temp_dir().join(format!("o11y-bench-logql-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temporary directory");
    let target = mb * 1_000_000;
    let mut rng = Pcg64Mcg::seed_from_u64(5);
    let routes = [
        "/api/products",
        "/api/cart",
        "/api/checkout",
        "/api/users/42",
        "/health",
    ];
    let (mut logfmt, mut json) = (
        String::with_capacity(target + 1000),
        String::with_capacity(target + 1000),
    );
    let mut i: u64 = 0;
    while logfmt.len() < target || json.len() < target {
        let level = match rng.random_range(0..100) {
            0 => "ERROR",
            1..=5 => "warn",
            _ => "info",
        };
        let route = routes[rng.random_range(0..routes.len())];
        let ms = rng.random_range(1..2_000);
        let ts = 1_700_000_000_000 + i as i64;
        if logfmt.len() < target {
            logfmt.push_str(&format!(
                "ts={ts} level={level} route={route} status={} duration={ms}ms request_id=req-{i:08x} msg=\"handled request for user {}\"\n",
                if level == "ERROR" { 500 } else { 200 },
                rng.random_range(1..10_000)
            ));
        }
        if json.len() < target {
            json.push_str(&format!(
                "{{\"timestamp\":{ts},\"level\":\"{}\",\"message\":\"handled request\",\"route\":\"{route}\",\"duration_ms\":{ms},\"request_id\":\"req-{i:08x}\",\"user_id\":{}}}\n",
                level.to_lowercase(),
                rng.random_range(1..10_000)
            ));
        }
        i += 1;
    }
    let logfmt_path = dir.join("app.logfmt");
    std::fs::write(&logfmt_path, &logfmt).expect("writable temp dir");
    let mut store = LogStore::with_limit(3 * target + 1_000);
    for (job, text) in [("x", &logfmt), ("y", &json)] {
        let options = IngestOptions {
            labels: Labels::new([("job", job)]),
            ..IngestOptions::default()
        };
        ingest(&mut store, text, &options).expect("the generated logs fit");
    }
    let end_ns = 1_700_000_000_000 * 1_000_000 + i as i64 * 1_000_000 + 1;
    let q = LogQuery {
        start_ns: 0,
        end_ns,
        step_ms: 0,
        limit: 100,
    };
    println!(
        "logql: {} MB of logfmt and {} MB of JSON lines ({i} lines each at most)",
        logfmt.len() / 1_000_000,
        json.len() / 1_000_000
    );
    let measure = |text: &str, bytes: usize| -> (f64, String) {
        let mut best = f64::MAX;
        let mut value = String::new();
        for _ in 0..3 {
            let started = Instant::now();
            let result = query(text, &store, &q).expect("the benchmark's queries run");
            best = best.min(started.elapsed().as_secs_f64());
            if let LogqlResult::Matrix(m) = result {
                value = m
                    .first()
                    .and_then(|s| s.samples.last())
                    .map_or("0".to_string(), |p| {
                        o11y_engine::model::number::format_float(p.value)
                    });
            }
        }
        (
            bytes as f64 / 1e6 / best,
            format!("{value} lines in {:.0} ms", best * 1000.0),
        )
    };
    let (filter_mbs, filter_note) = measure(
        r#"sum(count_over_time({job="x"} |= "ERROR" [1h]))"#,
        logfmt.len(),
    );
    let started = Instant::now();
    let grep = std::process::Command::new("grep")
        .args(["-F", "-c", "ERROR"])
        .arg(&logfmt_path)
        .output();
    let grep_s = started.elapsed().as_secs_f64();
    println!("  {{job=\"x\"}} |= \"ERROR\": {filter_mbs:.0} MB/s ({filter_note})");
    match grep {
        Ok(out) => {
            let count = String::from_utf8_lossy(&out.stdout).trim().to_string();
            let grep_mbs = logfmt.len() as f64 / 1e6 / grep_s;
            println!(
                "  grep -F -c ERROR on the same file: {grep_mbs:.0} MB/s ({count} lines in {:.0} ms); LogQL takes {:.2}x grep's time",
                grep_s * 1000.0,
                grep_mbs / filter_mbs
            );
        }
        Err(e) => println!("  grep: {e}"),
    }
    let (json_mbs, json_note) = measure(
        r#"sum(count_over_time({job="y"} | json | level="error" [1h]))"#,
        json.len(),
    );
    println!("  | json | level=\"error\": {json_mbs:.0} MB/s ({json_note})");
    let (logfmt_mbs, logfmt_note) = measure(
        r#"sum(count_over_time({job="x"} | logfmt | duration > 1s [1h]))"#,
        logfmt.len(),
    );
    println!("  | logfmt | duration > 1s: {logfmt_mbs:.0} MB/s ({logfmt_note})");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Spans the shop simulator generates per second: `seconds` of virtual
/// time at 1,000 requests/s through the default topology.
pub fn traces(seconds: i64) {
    use o11y_engine::sim::shop::ShopSim;
    use o11y_engine::sim::topology::Topology;
    let topology = Topology {
        requests_per_s: 1_000.0,
        ..Topology::default()
    };
    let mut sim = ShopSim::new(topology, 1, 0).expect("the default topology is valid");
    let started = Instant::now();
    let mut spans = 0usize;
    let mut logs = 0usize;
    for s in 1..=seconds {
        sim.advance_to(s * 1000);
        spans += sim.drain_spans().len();
        logs += sim.drain_logs().len();
    }
    let elapsed = started.elapsed().as_secs_f64();
    println!(
        "traces: {} requests -> {spans} spans and {logs} log lines in {:.0} ms: {} spans/s (with their logs and RED metrics)",
        sim.requests(),
        elapsed * 1000.0,
        per_second(spans as f64, elapsed)
    );
}

/// Requests per second the shop simulates when only metrics are kept
/// (the hour of backfill, a fast clock), and how long the demo the page
/// opens with takes to build: an hour of metrics and minutes of traces.
pub fn shop_metrics(seconds: i64) {
    use o11y_engine::sim::shop::ShopSim;
    use o11y_engine::sim::topology::Topology;
    let topology = Topology {
        requests_per_s: 1_000.0,
        ..Topology::default()
    };
    let mut sim = ShopSim::new(topology, 1, 0).expect("the default topology is valid");
    sim.set_detail_per_s(0.0);
    let started = Instant::now();
    sim.advance_to(seconds * 1000);
    let elapsed = started.elapsed().as_secs_f64();
    println!(
        "shop (metrics only): {} requests in {:.0} ms: {} requests/s",
        sim.requests(),
        elapsed * 1000.0,
        per_second(sim.requests() as f64, elapsed)
    );
    let started = Instant::now();
    let demo =
        o11y_engine::demo::Demo::new(o11y_engine::demo::DemoConfig::default(), 3_600_000 * 24);
    println!(
        "demo start (1 h of metrics, 3 min of traces and logs): {:.0} ms, {} series, {} spans",
        started.elapsed().as_secs_f64() * 1000.0,
        demo.store().stats().series,
        demo.traces().span_count()
    );
    // What the page does before its first frame (best of 3: each is short).
    let preview_ms = (0..3)
        .map(|_| {
            let started = Instant::now();
            let preview = o11y_engine::demo::Demo::start(
                o11y_engine::demo::DemoConfig::default(),
                3_600_000 * 24,
            );
            let ms = started.elapsed().as_secs_f64() * 1000.0;
            drop(preview);
            ms
        })
        .fold(f64::INFINITY, f64::min);
    println!(
        "the page's preview (the last {} s of metrics, before its first frame): {preview_ms:.1} ms",
        o11y_engine::demo::PREVIEW_MS / 1000
    );
}

/// "What if" over a day: the default rules replayed over 24 h of the
/// demo's metrics at their 15 s and 30 s intervals, step by step (an
/// instant query per rule and evaluation) and batched (a range query per
/// rule and hour of evaluations), with whether both gave the same alerts
/// and series: as `Demo::replay_rules_between` replays (at most 1,000
/// evaluations a group, the older ones missed), over the whole day (no
/// evaluation missed), and over the 30 minutes the Alerts page replays.
pub fn rules() {
    use o11y_engine::alerting::rules::group::{RuleEngine, engine_for};
    use o11y_engine::demo::{Demo, DemoConfig, RULE_INTERVAL_MS};
    use o11y_engine::model::labels::{MatchOp, Matcher};
    let hours = 24;
    let started = Instant::now();
    let demo = Demo::new(
        DemoConfig {
            backfill_ms: hours * 3_600_000,
            ..Default::default()
        },
        3_600_000 * 48,
    );
    let stats = demo.store().stats();
    println!(
        "rules: demo start ({hours} h of metrics): {:.0} ms, {} series, {} samples",
        started.elapsed().as_secs_f64() * 1000.0,
        stats.series,
        stats.samples
    );
    let rules = o11y_engine::defaults::DEFAULT_RULES;
    let now = demo.now_ms();
    let day_ago = now - hours * 3_600_000;
    // What a replay left: its alerts, state changes and written series, bit for bit.
    let outcome = |engine: &RuleEngine, written: &Tsdb| {
        let all = [Matcher::new(MatchOp::Regex, "__name__", ".+").expect("a valid regex")];
        let series: Vec<(Labels, Vec<(i64, u64)>)> = written
            .select(&all, i64::MIN, i64::MAX)
            .into_iter()
            .map(|s| {
                let points = s.samples.iter().map(|p| (p.ts_ms, p.value.to_bits()));
                (s.labels, points.collect())
            })
            .collect();
        let alerts: Vec<String> = engine.alerts().map(|(_, _, a)| format!("{a:?}")).collect();
        (format!("{:?}", engine.transitions), alerts, series)
    };
    let report = |what: &str, steps: (RuleEngine, Tsdb, f64), batched: (RuleEngine, Tsdb, f64)| {
        let evaluations: u64 = steps.0.groups.iter().map(|g| g.evaluations).sum();
        let missed: u64 = steps.0.groups.iter().map(|g| g.iterations_missed).sum();
        let same = outcome(&steps.0, &steps.1) == outcome(&batched.0, &batched.1);
        println!(
            "rules: {what}: {evaluations} rule evaluations ({missed} missed), \
             {} state changes, {} series written",
            steps.0.transitions.len(),
            steps.1.stats().series
        );
        println!("  step by step: {:.0} ms", steps.2);
        println!(
            "  batched:      {:.0} ms, best of 3 ({:.1}x faster; same alerts and series: {})",
            batched.2,
            steps.2 / batched.2.max(1e-9),
            if same { "yes" } else { "NO" }
        );
    };
    // HighErrorRate at 0.1 % instead of 5 %, as the Alerts page's e2e test
    // tunes it: most services alert most of the day, and come and go.
    let tuned = rules.replacen("> 0.05\n", "> 0.001\n", 1);
    assert_ne!(
        tuned, rules,
        "HighErrorRate's threshold is in the default rules"
    );
    // As the page and the lessons replay: through the demo's overlay store.
    for (what, text, from) in [
        (
            "the default rules over the last 24 h, as Demo::replay_rules_between replays them",
            rules,
            day_ago,
        ),
        (
            "the default rules with HighErrorRate at 0.1 % (alerts on most services) over the last 24 h",
            tuned.as_str(),
            day_ago,
        ),
        (
            "the default rules over the last 30 min (the Alerts page's replay)",
            rules,
            now - 30 * 60_000,
        ),
    ] {
        let timed = |batched: bool| {
            let started = Instant::now();
            let replay = if batched {
                demo.replay_rules_between(text, from, now)
            } else {
                demo.replay_rules_step_by_step(text, from, now)
            };
            let ms = started.elapsed().as_secs_f64() * 1000.0;
            let (engine, written) = replay.expect("the default rules are valid");
            (engine, written, ms)
        };
        report(what, timed(false), best_of_3(&timed));
    }
    // Every evaluation of the day, through an overlay as the demo's.
    let timed = |batched: bool| {
        let mut engine = engine_for(rules, RULE_INTERVAL_MS, day_ago).expect("valid rules");
        engine.max_iterations_behind = i64::MAX;
        let mut store = Overlay {
            base: demo.store(),
            top: Tsdb::default(),
        };
        let started = Instant::now();
        if batched {
            engine.replay_to(now, &mut store);
        } else {
            engine.advance_to(now, &mut store);
        }
        let ms = started.elapsed().as_secs_f64() * 1000.0;
        (engine, store.top, ms)
    };
    report(
        "the default rules over the whole 24 h (no evaluation missed)",
        timed(false),
        best_of_3(&timed),
    );
}

/// The fastest of three batched replays (the machine's noise is larger
/// than a batched replay); each gives the same outcome.
fn best_of_3<Replayed>(timed: &dyn Fn(bool) -> (Replayed, Tsdb, f64)) -> (Replayed, Tsdb, f64) {
    let mut best = timed(true);
    for _ in 0..2 {
        let again = timed(true);
        if again.2 < best.2 {
            best = again;
        }
    }
    best
}

/// A store with a scratch store on top, as the demo replays rules through:
/// writes go to the top, whose series hide the base's of the same labels.
struct Overlay<'a> {
    base: &'a Tsdb,
    top: Tsdb,
}

impl SeriesStore for Overlay<'_> {
    fn append(
        &mut self,
        labels: &Labels,
        sample: Sample,
    ) -> Result<(), o11y_engine::metrics::store::AppendError> {
        self.top.append(labels, sample)
    }

    fn select(
        &self,
        matchers: &[o11y_engine::model::labels::Matcher],
        start_ms: i64,
        end_ms: i64,
    ) -> Vec<o11y_engine::metrics::store::Series> {
        let hidden: std::collections::HashSet<&Labels> =
            self.top.series_labels(matchers).into_iter().collect();
        let mut out: Vec<_> = self
            .base
            .select(matchers, start_ms, end_ms)
            .into_iter()
            .filter(|s| !hidden.contains(&s.labels))
            .collect();
        out.extend(self.top.select(matchers, start_ms, end_ms));
        out
    }
}
