//! Fuzzing of what the Logs page runs on typed input: the LogQL parser,
//! query evaluation (log and metric), highlighting, autocomplete, and the
//! template engine. Inputs are the queries below, mutated byte by byte and
//! token by token, each with a cursor.
//!
//! `cargo test` runs a fixed number of inputs from a fixed seed, the same on
//! every machine (`common::Fuzz`: `O11Y_FUZZ_SEED`, `O11Y_FUZZ_INPUTS`).
//! A long run, with overflow checks in an optimised build:
//! `O11Y_FUZZ_SECONDS=600 cargo test --profile fuzz -p o11y-engine --test fuzz_logql -- --nocapture`.
//! A failure prints its input and the command that checks it alone:
//! `O11Y_FUZZ_SEED=<seed> O11Y_FUZZ_ONLY=<n> cargo test -p o11y-engine --test fuzz_logql -- --nocapture`.

use o11y_engine::logs::assist::complete;
use o11y_engine::logs::ingest::{IngestOptions, ingest};
use o11y_engine::logs::metric::{LogQuery, query};
use o11y_engine::logs::parser::highlight;
use o11y_engine::logs::store::LogStore;
use o11y_engine::model::labels::Labels;
use rand::Rng;

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
    let fuzz = common::Fuzz {
        target: "fuzz_logql",
        seed: 12,
        inputs: 35_000,
        accepted: "ran",
    };
    fuzz.run(
        |rng| {
            let seed = SEEDS[rng.random_range(0..SEEDS.len())];
            let query = common::mutate(rng, seed, &PIECES);
            let cursor = rng.random_range(0..=query.len());
            (query, cursor)
        },
        |(input, cursor)| {
            let _ = highlight(input);
            let _ = complete(input, *cursor, &store, &["level".to_string()]);
            query(input, &store, &q).is_ok()
        },
    );
}
