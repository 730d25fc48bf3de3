//! What a template runs with ([`Env`]): its variables and dot, and the
//! hooks that reach outside: PromQL queries, the clock and the external
//! URL for Prometheus's functions, the log line and its time for Loki's.
//!
//! ```
//! use o11y_template::{Env, Value};
//!
//! let alert = Env::default()
//!     .var("value", Value::Float(0.5))
//!     .with_clock_and_url(1_700_000_000.0, "http://prom:9090");
//! let log_line = Env::default()
//!     .dot(Value::labels([("level", "info")]))
//!     .log_line("GET /health 200", 1_700_000_000_000_000_000);
//! # let _ = (alert, log_line);
//! ```

use crate::value::{Sample, Value};

/// Runs a PromQL instant query for a template's `query`.
pub type QueryFn<'q> = dyn Fn(&str) -> Result<Vec<Sample>, String> + 'q;

/// What a template runs with: variables, the dot, and the hooks that
/// reach outside (queries, the clock, the external URL, the log line).
pub struct Env<'a> {
    pub(crate) vars: Vec<(String, Value)>,
    pub(crate) dot: Value,
    /// Runs a PromQL instant query for `query`.
    pub query: Option<&'a QueryFn<'a>>,
    /// `now` in seconds since the epoch.
    pub now_s: f64,
    pub external_url: String,
    /// The log line Loki's `__line__` returns.
    pub(crate) line: &'a str,
    /// The line's time in nanoseconds, for Loki's `__timestamp__`.
    pub(crate) ts_ns: i64,
}

impl Default for Env<'_> {
    fn default() -> Self {
        Env {
            vars: Vec::new(),
            dot: Value::Nil,
            query: None,
            now_s: 0.0,
            external_url: String::new(),
            line: "",
            ts_ns: 0,
        }
    }
}

impl<'a> Env<'a> {
    /// Adds a variable (`$name`).
    pub fn var(mut self, name: &str, value: Value) -> Self {
        self.vars.push((name.to_string(), value));
        self
    }

    pub fn dot(mut self, value: Value) -> Self {
        self.dot = value;
        self
    }

    /// Lets `query` run PromQL instant queries through `run`.
    pub fn with_query(mut self, run: &'a QueryFn<'a>) -> Self {
        self.query = Some(run);
        self
    }

    /// `now` (seconds) and `externalURL`.
    pub fn with_clock_and_url(mut self, now_s: f64, external_url: &str) -> Self {
        self.now_s = now_s;
        self.external_url = external_url.to_string();
        self
    }

    /// The log line and its time (ns) for Loki's `__line__` and
    /// `__timestamp__`.
    pub fn log_line(mut self, line: &'a str, ts_ns: i64) -> Self {
        self.line = line;
        self.ts_ns = ts_ns;
        self
    }
}
