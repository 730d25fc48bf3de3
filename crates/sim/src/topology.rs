//! The shop's topology: services, their endpoints and the calls between
//! them, editable as JSON or YAML. [`crate::shop`] simulates it and
//! [`crate::failure`] breaks it.
//!
//! The simulator accepts only what it can simulate. Every number a
//! topology or a failure holds has a range ([`ranges`] has the table),
//! checked before it runs, and an error names the field
//! (`services[5].endpoints[0].latency_ms`) and, for a topology read from
//! text, its line and column:
//!
//! ```
//! use o11y_sim::topology::Topology;
//! let err = Topology::from_text("services:\n  - name: web\n    endpoints:\n      - {name: /, latency_ms: 1e308}\nentry: [{endpoint: /, weight: 1}]\nrequests_per_s: 1\n")
//!     .unwrap_err();
//! assert!(err.to_string().starts_with("4:31: services[0].endpoints[0].latency_ms: 1e+308 is out of range"), "{err}");
//! ```
//!
//! The model is here; reading it from JSON or YAML with positioned errors
//! is in `read.rs`, the checks behind [`Topology::validate`] in
//! `check.rs`, the shop the demo starts with (`Topology::default()`) in
//! `default_shop.rs`. The simulator's and the failures' items are
//! re-exported here too (`topology::ShopSim`, `topology::Failure`,
//! `topology::presets`), the paths the engine, the CLI and the app name.

pub mod ranges;

mod check;
mod default_shop;
mod read;

pub use ranges::{
    ENTRY_WEIGHT, FLOOD_FACTOR, LATENCY_MS, MAX_REQUESTS_PER_S, MAX_RETRIES,
    MAX_SAMPLED_LATENCY_MS, MAX_SPANS_PER_REQUEST, MAX_TIME_MS, NumberRange, REQUESTS_PER_S, SHARE,
    SIGMA, SPIKE_FACTOR,
};
pub use read::FieldPath;

use serde::{Deserialize, Serialize};

/// One downstream call of an endpoint.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Call {
    pub service: String,
    pub endpoint: String,
    /// Extra attempts after a failure.
    #[serde(default)]
    pub retries: u32,
    /// The caller gives up after this long (the callee's span still ends when it ends).
    #[serde(default = "default_timeout")]
    pub timeout_ms: f64,
}

fn default_timeout() -> f64 {
    5_000.0
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Endpoint {
    /// The route (`/api/cart`) or operation (`SELECT orders`).
    pub name: String,
    #[serde(default = "default_method")]
    pub method: String,
    /// Median latency of the endpoint's own work, in milliseconds.
    pub latency_ms: f64,
    /// Spread of the log-normal latency.
    #[serde(default = "default_sigma")]
    pub sigma: f64,
    /// Share of calls that fail on their own.
    #[serde(default)]
    pub error_rate: f64,
    #[serde(default)]
    pub calls: Vec<Call>,
    /// Whether the calls run at once (else one after another).
    #[serde(default)]
    pub parallel: bool,
}

fn default_method() -> String {
    "GET".to_string()
}

fn default_sigma() -> f64 {
    0.4
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Service {
    pub name: String,
    /// `http`, or a database or cache system (`postgresql`, `redis`).
    #[serde(default = "default_kind")]
    pub kind: String,
    pub endpoints: Vec<Endpoint>,
}

fn default_kind() -> String {
    "http".to_string()
}

/// Where traffic enters: an endpoint of the first service, by weight.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EntryPoint {
    pub endpoint: String,
    pub weight: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Topology {
    pub services: Vec<Service>,
    pub entry: Vec<EntryPoint>,
    /// Requests per second entering the first service.
    pub requests_per_s: f64,
    /// Whether traffic follows a day: lowest around 03:00 UTC (0.4× the
    /// rate), highest around 15:00 (1.6×).
    #[serde(default)]
    pub daily_shape: bool,
}

/// Why a topology or a failure cannot run.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TopologyError {
    /// Occurs when the text is neither JSON nor YAML (`format` says which
    /// it was read as), at a 1-based line and column.
    #[error("{line}:{col}: topology {format}: {message}")]
    Syntax {
        format: &'static str,
        line: usize,
        col: usize,
        message: String,
    },
    /// Occurs when a field is missing, unknown or of the wrong type, a
    /// number is out of its range, a name is empty or repeated, a call or
    /// entry point names an endpoint that does not exist, or the calls go
    /// round in a cycle or can make too many spans. `field` is its path
    /// (`services[5].endpoints[0].latency_ms`); `line` and `col` are where
    /// it was written, 0 for a topology that was not read from text.
    #[error("{}{field}: {message}", position(*line, *col))]
    Invalid {
        field: String,
        line: usize,
        col: usize,
        message: String,
    },
    /// Occurs when a failure names a service the topology does not have,
    /// or holds a number out of its range.
    #[error("failure {field}: {message}")]
    Failure { field: String, message: String },
}

fn position(line: usize, col: usize) -> String {
    if line == 0 {
        String::new()
    } else {
        format!("{line}:{col}: ")
    }
}

impl From<&TopologyError> for o11y_model::diag::Diagnostic {
    /// The same text, with the place in the position fields: a syntax
    /// error's line and column; an invalid field's path, and its line and
    /// column when it was read from text; a failure's field, as `failure
    /// FIELD`.
    fn from(e: &TopologyError) -> o11y_model::diag::Diagnostic {
        use o11y_model::diag::Diagnostic;
        match e {
            TopologyError::Syntax {
                format,
                line,
                col,
                message,
            } => Diagnostic::at_line(*line, *col, format!("topology {format}: {message}")),
            TopologyError::Invalid {
                field,
                line,
                col,
                message,
            } => Diagnostic::at_line(*line, *col, message.clone()).with_path(field.clone()),
            TopologyError::Failure { field, message } => {
                Diagnostic::at_path(format!("failure {field}"), message.clone())
            }
        }
    }
}

impl Topology {
    pub(crate) fn endpoint(&self, service: &str, endpoint: &str) -> Option<&Endpoint> {
        self.services
            .iter()
            .find(|s| s.name == service)?
            .endpoints
            .iter()
            .find(|e| e.name == endpoint)
    }

    pub(crate) fn service(&self, name: &str) -> Option<&Service> {
        self.services.iter().find(|s| s.name == name)
    }
}

/// A small topology in YAML, for tests: `web /` calls `db q`, with a retry.
#[cfg(test)]
pub(crate) const SMALL: &str = "services:\n  - name: web\n    endpoints:\n      - name: /\n        latency_ms: 5\n        calls:\n          - {service: db, endpoint: q, retries: 1}\n  - name: db\n    endpoints:\n      - {name: q, latency_ms: 2}\nentry:\n  - {endpoint: /, weight: 1}\nrequests_per_s: 40\n";
