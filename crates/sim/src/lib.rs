//! The simulator: the shop's topology (services, endpoints and calls,
//! read from JSON or YAML and checked against documented ranges:
//! `topology`), `ShopSim` walking it per request to record spans, log
//! lines and metrics from the same simulated requests (`shop`), failures
//! now or scheduled and the simulator panel's presets (`failure`), and the
//! metrics a user defines (`custom`, from the form in `metric_form`).

pub mod custom;
pub mod failure;
pub mod metric_form;
pub mod shop;
pub mod topology;
