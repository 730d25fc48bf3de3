//! Fuzzing of what the simulator panel's topology editor runs on typed
//! text: JSON and YAML parsing, validation, and a few simulated seconds of
//! whatever topology is accepted, from the start and applied to a running
//! shop. Inputs are the YAML below and the default topology's JSON, mutated
//! byte by byte and token by token.
//!
//! `cargo test` runs a fixed number of inputs from a fixed seed, the same on
//! every machine (`common::Fuzz`: `O11Y_FUZZ_SEED`, `O11Y_FUZZ_INPUTS`).
//! A long run, with overflow checks in an optimised build:
//! `O11Y_FUZZ_SECONDS=600 cargo test --profile fuzz -p o11y-engine --test fuzz_topology -- --nocapture`.
//! A failure prints its input and the command that checks it alone:
//! `O11Y_FUZZ_SEED=<seed> O11Y_FUZZ_ONLY=<n> cargo test -p o11y-engine --test fuzz_topology -- --nocapture`.

use o11y_engine::sim::failure::{Failure, Injection};
use o11y_engine::sim::shop::ShopSim;
use o11y_engine::sim::topology::{Topology, ranges::MAX_TIME_MS};
use rand::Rng;

mod common;

const YAML: &str = "services:\n  - name: web\n    endpoints:\n      - name: /\n        latency_ms: 5\n        error_rate: 0.1\n        calls: [{service: db, endpoint: q, retries: 2, timeout_ms: 3}]\n        parallel: true\n  - name: db\n    kind: postgresql\n    endpoints:\n      - {name: q, latency_ms: 2, sigma: 3}\nentry:\n  - {endpoint: /, weight: 1}\nrequests_per_s: 40\ndaily_shape: true\n";

const PIECES: [&str; 23] = [
    "{",
    "}",
    "[",
    "]",
    ":",
    "- ",
    "\n  ",
    "&a ",
    "*a",
    "1e308",
    "-1",
    "NaN",
    "\"",
    "null",
    "9999999",
    "retries: 9",
    // The edges of the documented ranges, and just past them.
    "3600000",
    "3600001",
    "4",
    "1e6",
    "10000",
    "0",
    "0.0001",
];

#[test]
fn typed_topologies_never_panic() {
    let seeds = [YAML.to_string(), Topology::default().to_json()];
    let fuzz = common::Fuzz {
        target: "fuzz_topology",
        seed: 5,
        inputs: 2_500,
        accepted: "accepted",
    };
    fuzz.run(
        |rng| {
            let seed = &seeds[rng.random_range(0..seeds.len())];
            common::mutate(rng, seed, &PIECES)
        },
        |text| {
            let Ok(topology) = Topology::from_text(text) else {
                return false;
            };
            let mut sim = ShopSim::new(topology.clone(), 1, 0).expect("a valid topology runs");
            // The slowest failures accepted, on every service, near the end of time.
            for s in &topology.services {
                let service = s.name.clone();
                let spike = Failure::LatencySpike {
                    service: service.clone(),
                    factor: 1_000.0,
                };
                for failure in [spike, Failure::MemoryLeak { service }] {
                    let at = Injection {
                        failure,
                        start_ms: 0,
                        end_ms: None,
                    };
                    sim.inject(at).expect("a failure within range applies");
                }
            }
            let refused = Injection {
                failure: Failure::CacheMissStorm,
                start_ms: MAX_TIME_MS + 1,
                end_ms: None,
            };
            assert!(
                sim.inject(refused).is_err(),
                "a failure after the end of time is refused"
            );
            sim.advance_to(2_000);
            let mut late = ShopSim::new(topology.clone(), 1, MAX_TIME_MS - 1_000)
                .expect("a valid topology runs");
            late.advance_to(i64::MAX);
            for span in late.drain_spans() {
                assert!(
                    span.end_ns >= span.start_ns && span.start_ns > 0,
                    "{span:?}"
                );
            }
            let mut again = ShopSim::new(Topology::default(), 1, 0).unwrap();
            again
                .set_topology(topology)
                .expect("a valid topology applies");
            again.advance_to(1_000);
            true
        },
    );
}
