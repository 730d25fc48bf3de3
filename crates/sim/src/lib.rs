//! The simulator: the shop's topology (services, endpoints, calls, checked
//! against documented ranges), `ShopSim` walking it per request to record
//! spans, log lines and metrics from the same simulated requests, failures
//! now or scheduled (`topology`, presets in `topology::presets`), and the
//! metrics a user defines (`custom`, from the form in `metric_form`).

pub mod custom;
pub mod metric_form;
pub mod topology;
