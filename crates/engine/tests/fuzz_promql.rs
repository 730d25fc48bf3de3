//! Fuzzing of everything the Explore page runs on typed input: the parser
//! (and printing what it parsed), evaluation, highlighting and
//! autocomplete, in-page and against a real Prometheus's catalog. Inputs
//! are Prometheus's own test queries (from the conformance data, so that
//! every machine mutates the same ones), mutated byte by byte and token by
//! token, each with a cursor.
//!
//! `cargo test` runs a fixed number of inputs from a fixed seed, the same on
//! every machine (`common::Fuzz`: `O11Y_FUZZ_SEED`, `O11Y_FUZZ_INPUTS`).
//! A long run, with overflow checks in an optimised build:
//! `O11Y_FUZZ_SECONDS=600 cargo test --profile fuzz -p o11y-engine --test fuzz_promql -- --nocapture`.
//! A failure prints its input and the command that checks it alone:
//! `O11Y_FUZZ_SEED=<seed> O11Y_FUZZ_ONLY=<n> cargo test -p o11y-engine --test fuzz_promql -- --nocapture`.

use o11y_engine::metrics::store::{Sample, SeriesStore};
use o11y_engine::metrics::tsdb::Tsdb;
use o11y_engine::model::labels::Labels;
use o11y_engine::promapi::Catalog;
use o11y_engine::promql::assist::{Completer, complete, highlight};
use o11y_engine::promql::eval::{Evaluator, QueryLimits};
use o11y_engine::promql::parse;
use o11y_engine::promql::promqltest::IN_SCOPE_FILES;
use rand::Rng;

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
        let path = dir.join(format!("{file}.test"));
        let text =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
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
    let limits = QueryLimits {
        max_samples: 100_000,
        max_steps: 1_000,
    };
    let seeds = seeds();
    let fuzz = common::Fuzz {
        target: "fuzz_promql",
        seed: 11,
        inputs: 70_000,
        accepted: "parsed and evaluated",
    };
    fuzz.run(
        |rng| {
            let seed = &seeds[rng.random_range(0..seeds.len())];
            let query = common::mutate(rng, seed, &PIECES);
            let cursor = rng.random_range(0..=query.len());
            (query, cursor)
        },
        |(input, cursor)| {
            let _ = highlight(input);
            let _ = complete(input, *cursor, &completer);
            // Live autocomplete: what to ask a real Prometheus for, the URL
            // it would ask (any typed text goes into it), and completing
            // from its answer (the typed text again, as the answer).
            let mut catalog = Catalog::new(vec!["x".into()], vec!["route".into()]);
            if let Some(lookup) = catalog.wanted(input, *cursor) {
                let _ = lookup.url("http://127.0.0.1:9090", None);
                catalog.answer(lookup, Ok(input));
                let _ = complete(input, *cursor, &catalog.completer());
            }
            let Ok(expr) = parse(input) else {
                return false;
            };
            let printed = expr.to_string();
            let again = parse(&printed)
                .unwrap_or_else(|e| panic!("{input:?} printed as {printed:?}, which fails: {e}"));
            assert_eq!(again.to_string(), printed, "from {input:?}");
            let _ = Evaluator::new(&db, 0, 600_000, 15_000, limits)
                .prepare(&expr)
                .eval(&expr, 300_000);
            true
        },
    );
}
