//! Time-boxed fuzzing of what the Logs page runs on typed input: the LogQL
//! parser, query evaluation (log and metric), highlighting, autocomplete,
//! and the template engine. Runs 3 s by default; `O11Y_FUZZ_SECONDS=600
//! cargo test --release --test fuzz_logql` for a longer run.

use std::time::{Duration, Instant};

use o11y_engine::labels::Labels;
use o11y_engine::logql::assist::complete;
use o11y_engine::logql::ingest::{IngestOptions, ingest};
use o11y_engine::logql::metric::{LogQuery, query};
use o11y_engine::logql::parser::highlight;
use o11y_engine::logql::store::LogStore;
use rand::{Rng, SeedableRng};
use rand_pcg::Pcg64Mcg;

mod common;

const SEEDS: [&str; 14] = [
    r#"{job="x"} |= "error" != "timeout" |~ "err(or)?" !~ "x""#,
    r#"{job="x"} | json first="servers[0]", ua="request.headers[\"User-Agent\"]" | ua=~"curl.*""#,
    r#"{job="x"} | logfmt --strict --keep-empty host, ua="user-agent" | duration > 1s and size <= 20MB"#,
    r#"{job="x"} | regexp "(?P<method>\\w+) (?P<path>\\S+)" | method="GET" or (path!="/" , status>=500)"#,
    r#"{job="x"} | pattern "<ip> - <_> \"<method> <uri>\" <status>" | status == 200"#,
    r#"{job="x"} | unpack | line_format "{{.level | ToUpper}} {{ default \"-\" .x }} {{ printf \"%s %d\" .a .b }}""#,
    r#"{job="x"} | label_format a=b, c="{{ trunc 2 .d }}" | drop a, b="1" | keep c | decolorize"#,
    r#"sum by (level) (count_over_time({job="x"} | logfmt [5m]))"#,
    r#"topk(2, sum(rate({job="x"} |= "a" [1m] offset 1m)) by (job)) / 2"#,
    r#"quantile_over_time(0.99, {job="x"} | logfmt | unwrap duration(latency) [5m]) by (route)"#,
    r#"sum(bytes_rate({job="x"}[1m])) > bool 10"#,
    r#"absent_over_time({job="nothing"}[1m])"#,
    r#"avg_over_time({job="x"} | logfmt | __error__="" | unwrap bytes(size) [5m]) by (job)"#,
    r#"sort_desc(sum by (route) (rate_counter({job="x"} | logfmt | unwrap n [5m])))"#,
];

const PIECES: [&str; 20] = [
    "|", "|=", "{", "}", "(", ")", "[", "]", "\"", "`", "=~", ">", "5m", "20MB", " or ", " and ",
    "{{", "}}", "unwrap", "é",
];

#[test]
fn typed_logql_never_panics() {
    let seconds = common::fuzz_seconds();
    let mut store = LogStore::default();
    let text = "{\"level\":\"error\",\"servers\":[\"a\"],\"request\":{\"headers\":{\"User-Agent\":\"curl\"}},\"ts\":1}\n\
                level=info duration=1.5s size=2MB latency=250ms n=5 route=/a ts=2\n\
                GET /api (200) 12ms\n\u{1b}[31mred\u{1b}[0m";
    let options = IngestOptions {
        labels: Labels::new([("job", "x")]),
        ..IngestOptions::default()
    };
    ingest(&mut store, text, &options).unwrap();
    let q = LogQuery {
        start_ns: 0,
        end_ns: 600_000_000_000,
        step_ms: 60_000,
        limit: 10,
    };
    let mut rng = Pcg64Mcg::seed_from_u64(12);
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let (mut runs, mut ok) = (0u64, 0u64);
    while Instant::now() < deadline {
        let seed = SEEDS[rng.random_range(0..SEEDS.len())];
        let input = common::mutate(&mut rng, seed, &PIECES);
        let _ = highlight(&input);
        let _ = complete(
            &input,
            rng.random_range(0..=input.len()),
            &store,
            &["level".to_string()],
        );
        if query(&input, &store, &q).is_ok() {
            ok += 1;
        }
        runs += 1;
    }
    println!("fuzz: {runs} LogQL inputs in {seconds} s ({ok} ran), no panic");
    assert!(runs > 0);
}
