//! Time-boxed fuzzing of everything the Explore page runs on typed input:
//! the parser (and printing what it parsed), evaluation, highlighting and
//! autocomplete. Inputs are Prometheus's own test queries, mutated byte by
//! byte and token by token. Runs 3 s by default; set `O11Y_FUZZ_SECONDS`
//! for a longer run (`O11Y_FUZZ_SECONDS=600 cargo test --release --test fuzz_promql`).

use std::time::{Duration, Instant};

use o11y_engine::explore::{Completer, complete, highlight};
use o11y_engine::labels::Labels;
use o11y_engine::promql::eval::{Evaluator, QueryLimits};
use o11y_engine::promql::parse;
use o11y_engine::promql::promqltest::IN_SCOPE_FILES;
use o11y_engine::store::{Sample, SeriesStore};
use o11y_engine::tsdb::Tsdb;
use rand::{Rng, SeedableRng};
use rand_pcg::Pcg64Mcg;

mod common;

const PIECES: [&str; 24] = [
    "(",
    ")",
    "{",
    "}",
    "[",
    "]",
    "\"",
    "'",
    "`",
    ",",
    "=~",
    "!=",
    "5m",
    "1h30m",
    "@",
    "offset",
    " by ",
    " on(",
    "group_left",
    "rate(",
    "sum(",
    "0x1F",
    "Inf",
    "é",
];

fn seeds() -> Vec<String> {
    let dir = common::conformance_dir().join("promql");
    let mut out = vec!["sum by (route) (rate(http_requests_total[5m]))".to_string()];
    for file in IN_SCOPE_FILES {
        let Ok(text) = std::fs::read_to_string(dir.join(format!("{file}.test"))) else {
            continue;
        };
        for line in text.lines() {
            let words: Vec<&str> = line.splitn(4, ' ').collect();
            if let ["eval" | "eval_fail" | "eval_ordered", "instant", "at", rest] = words.as_slice()
                && let Some((_, query)) = rest.split_once(' ')
            {
                out.push(query.to_string());
            }
        }
    }
    out
}

#[test]
fn typed_queries_never_panic() {
    let seconds = common::fuzz_seconds();
    let mut db = Tsdb::default();
    for i in 0..20 {
        let labels = Labels::new([
            (
                "__name__",
                if i % 2 == 0 {
                    "http_requests_total"
                } else {
                    "x"
                },
            ),
            ("route", ["/a", "/b", "/c"][i % 3]),
            ("le", ["0.1", "1", "+Inf"][i % 3]),
            ("i", &i.to_string()),
        ]);
        for t in 0..40 {
            let sample = Sample {
                ts_ms: t * 15_000,
                value: (t * i as i64) as f64,
            };
            db.append(&labels, sample).unwrap();
        }
    }
    let completer = Completer {
        metrics: vec!["http_requests_total".into(), "x".into()],
        labels: vec![("x".into(), "route".into(), vec!["/a".into()])],
    };
    let mut catalog = o11y_engine::promapi::Catalog::new(vec!["x".into()], vec!["route".into()]);
    let limits = QueryLimits {
        max_samples: 100_000,
        max_steps: 1_000,
    };
    let seeds = seeds();
    let mut rng = Pcg64Mcg::seed_from_u64(11);
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let (mut runs, mut parsed) = (0u64, 0u64);
    while Instant::now() < deadline {
        let seed = &seeds[rng.random_range(0..seeds.len())];
        let input = common::mutate(&mut rng, seed, &PIECES);
        let _ = highlight(&input);
        let cursor = rng.random_range(0..=input.len());
        let _ = complete(&input, cursor, &completer);
        // Live autocomplete: what to ask a real Prometheus for, and the
        // URL it would ask (any typed text goes into it).
        if let Some(lookup) = catalog.wanted(&input, cursor) {
            let _ = lookup.url("http://127.0.0.1:9090", None);
            catalog.answer(lookup, Ok(&input));
        }
        if let Ok(expr) = parse(&input) {
            parsed += 1;
            let printed = expr.to_string();
            let again = parse(&printed)
                .unwrap_or_else(|e| panic!("{input:?} printed as {printed:?}, which fails: {e}"));
            assert_eq!(again.to_string(), printed, "from {input:?}");
            let _ = Evaluator::new(&db, 0, 600_000, 15_000, limits)
                .prepare(&expr)
                .eval(&expr, 300_000);
        }
        runs += 1;
    }
    println!("fuzz: {runs} inputs in {seconds} s ({parsed} parsed and evaluated), no panic");
    assert!(runs > 0);
}
