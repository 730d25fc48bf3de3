//! Fuzzing of what the page restores at start, from local storage, a share
//! link, an imported file or a built-in example: the workspace document
//! (JSON, checked), its share link (deflated JSON in base64url), and the
//! demo it starts (the preview at once, as the page does, and a tick).
//! Inputs are the built-in examples and a workspace with six hours of
//! history and a paste, mutated byte by byte and token by token.
//!
//! `cargo test` runs a fixed number of inputs from a fixed seed, the same on
//! every machine (`common::Fuzz`: `O11Y_FUZZ_SEED`, `O11Y_FUZZ_INPUTS`).
//! A long run, with overflow checks in an optimised build:
//! `O11Y_FUZZ_SECONDS=600 cargo test --profile fuzz -p o11y-engine --test fuzz_workspace -- --nocapture`.
//! A failure prints its input and the command that checks it alone:
//! `O11Y_FUZZ_SEED=<seed> O11Y_FUZZ_ONLY=<n> cargo test -p o11y-engine --test fuzz_workspace -- --nocapture`.

use o11y_engine::demo::Demo;
use o11y_engine::workspace::{MetricsPaste, Workspace, examples};

mod common;

const PIECES: [&str; 20] = [
    "{",
    "}",
    "[",
    "]",
    ":",
    ",",
    "\"",
    "null",
    "-1",
    "1e308",
    "NaN",
    "0",
    "24",
    "25",
    "\"history_hours\": 24,",
    "\"history_hours\": 0,",
    "\"speed\": 1e9,",
    "\"paused\": true,",
    "\"version\": 2,",
    "\\u0000",
];

/// The workspaces the inputs are mutated from, as the page saves them.
fn seeds() -> Vec<String> {
    let mut seeds: Vec<Workspace> = examples().into_iter().map(|e| e.workspace).collect();
    let mut made = seeds[0].clone();
    made.history_hours = 6;
    made.metrics_pastes.push(MetricsPaste {
        job: "batch".into(),
        instance: "worker:1".into(),
        text: "queue_depth{queue=\"a\"} 3\n".into(),
    });
    seeds.push(made);
    seeds.iter().map(Workspace::to_json).collect()
}

#[test]
fn restored_workspaces_never_panic() {
    let seeds = seeds();
    let fuzz = common::Fuzz {
        target: "fuzz_workspace",
        seed: 15,
        inputs: 400,
        accepted: "restored",
    };
    let now = 30 * 3_600_000;
    fuzz.run(
        |rng| {
            use rand::Rng;
            let seed = &seeds[rng.random_range(0..seeds.len())];
            common::mutate(rng, seed, &PIECES)
        },
        |text| {
            let read = Workspace::from_json(text);
            // The share link carries the same document: the same answer.
            if let Ok(link) = o11y_engine::link::pack(text.as_bytes()) {
                assert_eq!(
                    Workspace::from_link(&link).map(|w| w.to_json()),
                    read.clone().map(|w| w.to_json()),
                    "a link and its JSON read alike"
                );
            }
            let Ok(ws) = read else {
                return false;
            };
            assert!((1..=24).contains(&ws.history_hours));
            // What it writes reads back the same.
            let again =
                Workspace::from_json(&ws.to_json()).expect("a workspace written reads back");
            assert_eq!(again.to_json(), ws.to_json());
            // The page's start: the preview now (the history is filled in
            // behind it, not here: up to a day of it), then a tick.
            let Ok((mut demo, _skipped)) = Demo::start_from_workspace(&ws, now) else {
                return false;
            };
            assert!(demo.is_filling_history());
            assert_eq!(
                demo.config().backfill_ms,
                i64::from(ws.history_hours) * 3_600_000
            );
            // A store's refusal is reported by the tick, never a panic.
            if let Err(e) = demo.tick(250.0) {
                assert!(!e.to_string().is_empty(), "a refusal says why");
            }
            true
        },
    );
}
