//! The playground: the pillar crates composed into one demo session, and
//! the one crate the app and the `o11y` command depend on.
//!
//! It owns what needs more than one pillar: the demo session (`demo`: the
//! simulated shop scraped into a TSDB, its logs and traces, rules and
//! Alertmanager, pastes and user-defined metrics, the overlay store), the
//! workspace round trip (`workspace`), the playground's own metrics
//! (`self_metrics`), the Prometheus HTTP API for live mode (`promapi`),
//! chart geometry (`chart`) and the Relabel page's target box (`relabel`).
//! Every pillar crate is re-exported under its own name (`model`,
//! `metrics`, `promql`, `logs`, `traces`, `template`, `alerting`, `sim`,
//! `dashboards`), so the app and the CLI import from one place. The app and the CLI pass
//! in user input and the time, and draw what comes back; everything is
//! tested natively with `cargo test`.
//!
//! ```
//! use o11y_engine::demo::{Demo, DemoConfig};
//!
//! // Start a demo whose virtual clock reads 1 000 000 ms, backfilled with
//! // five minutes of simulated traffic, then let one real second pass at 10×.
//! let mut demo = Demo::new(DemoConfig::default(), 1_000_000);
//! demo.clock_mut().set_speed(10.0);
//! demo.tick(1_000.0).unwrap();
//! assert_eq!(demo.now_ms(), 1_010_000);
//! assert!(demo.requests_per_second().last().is_some());
//! ```
//!
//! Invariants (see ARCHITECTURE.md): nothing here panics on user input, and
//! all time is virtual — passed in as milliseconds, never read from a clock.

pub mod chart;
pub mod defaults;
pub mod demo;
pub mod learn;
pub mod link;
pub mod progress;
pub mod promapi;
pub mod relabel;
pub mod self_metrics;
pub mod workspace;

pub use o11y_alerting as alerting;
pub use o11y_dashboards as dashboards;
pub use o11y_logs as logs;
pub use o11y_metrics as metrics;
pub use o11y_model as model;
pub use o11y_promql as promql;
pub use o11y_sim as sim;
pub use o11y_template as template;
pub use o11y_traces as traces;
