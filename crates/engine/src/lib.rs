//! The whole logic of O11y Playground, with no browser dependency.
//!
//! The app and the `o11y` command are thin shells over this crate: they pass
//! in user input and the time, and draw what comes back. Every module here is
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

pub mod alertmanager;
pub mod chart;
pub mod clock;
pub mod dashboard;
pub mod demo;
pub mod duration;
pub mod expfmt;
pub mod explore;
pub mod gotmpl;
pub mod labels;
pub mod logql;
pub mod metric_form;
pub mod metrics;
pub mod promapi;
pub mod promql;
pub mod quantile;
pub mod query;
pub mod relabel;
pub mod rules;
pub mod scrape;
pub mod self_metrics;
pub mod sim;
pub mod store;
pub mod topology;
pub mod trace;
pub mod tsdb;
pub mod workspace;
pub mod yaml;
