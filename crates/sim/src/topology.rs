//! The shop the demo simulates: services, their endpoints and the calls
//! between them, editable as JSON or YAML. Each simulated request walks the
//! call graph and produces, from the same data, OpenTelemetry spans (server
//! and client spans, W3C trace context across services), a JSON log line
//! per server span, and RED metrics per service. Failures (latency spike,
//! error burst, outage, cache-miss storm, memory leak, traffic flood) can
//! be switched on now or scheduled at a virtual time. Deterministic for a
//! seed.
//!
//! The simulator accepts only what it can simulate. Every number a
//! topology or a failure holds has a range, checked before it runs, and
//! an error names the field (`services[5].endpoints[0].latency_ms`) and,
//! for a topology read from text, its line and column:
//!
//! | field | range |
//! |---|---|
//! | `requests_per_s` | 0 to 10,000 |
//! | `entry[].weight` | 0 to 1,000,000, one at least above 0 |
//! | `latency_ms` (the median of the endpoint's own work) | above 0, at most 3,600,000 (an hour) |
//! | `sigma` (spread of the log-normal latency) | 0 to 4 |
//! | `error_rate` | 0 to 1 |
//! | `calls[].retries` | 0 to 10 |
//! | `calls[].timeout_ms` | above 0, at most 3,600,000 (an hour) |
//! | spans one request can make, every retry taken | at most 2,000 |
//! | latency spike `factor` | above 0, at most 1,000 |
//! | error burst `rate` | 0 to 1 |
//! | traffic flood `factor` | 0 to 100 |
//! | a failure's start and end | virtual times from 1970 to 2200, the end after the start |
//!
//! Memory is not set by the user: each service's resident memory is
//! 200 MB, growing by 1 MB a simulated second during a memory leak.
//!
//! Why this keeps time inside `i64` nanoseconds: one span's sampled work is
//! at most [`MAX_SAMPLED_LATENCY_MS`] (a day, whatever the spread, spikes
//! and slowdowns), and a request makes at most 2,000 spans, so it ends
//! less than 2,000 × (a day + 0.2 ms) ≈ 1.8 × 10¹⁷ ns after it starts;
//! the simulator's clock stops at [`MAX_TIME_MS`] (2200, 7.3 × 10¹⁸ ns),
//! and the sum stays under `i64::MAX` (9.2 × 10¹⁸ ns).
//!
//! ```
//! use o11y_sim::topology::Topology;
//! let err = Topology::from_text("services:\n  - name: web\n    endpoints:\n      - {name: /, latency_ms: 1e308}\nentry: [{endpoint: /, weight: 1}]\nrequests_per_s: 1\n")
//!     .unwrap_err();
//! assert!(err.to_string().starts_with("4:31: services[0].endpoints[0].latency_ms: 1e+308 is out of range"), "{err}");
//! ```

pub mod presets;

use rand::{Rng, SeedableRng};
use rand_distr::{Distribution, LogNormal, Poisson};
use rand_pcg::Pcg64Mcg;
use serde::{Deserialize, Serialize};

use o11y_metrics::instrument::{FamilyId, MetricKind, Registry};
use o11y_traces::model::{AttrValue, Span, SpanId, SpanKind, Status, StatusCode, TraceId};
use o11y_traces::traceparent::TraceParent;

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

/// The values a number of a topology or a failure may take.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct NumberRange {
    pub low: f64,
    /// Whether `low` itself is refused (`latency_ms` must be above 0).
    pub low_open: bool,
    pub high: f64,
}

impl NumberRange {
    const fn closed(low: f64, high: f64) -> NumberRange {
        NumberRange {
            low,
            low_open: false,
            high,
        }
    }

    const fn above(low: f64, high: f64) -> NumberRange {
        NumberRange {
            low,
            low_open: true,
            high,
        }
    }

    pub fn contains(&self, value: f64) -> bool {
        value.is_finite()
            && if self.low_open {
                value > self.low
            } else {
                value >= self.low
            }
            && value <= self.high
    }

    /// `Err` with what the value should have been.
    fn check(&self, value: f64) -> Result<(), String> {
        if self.contains(value) {
            return Ok(());
        }
        let (low, high) = (
            o11y_model::number::format_float(self.low),
            o11y_model::number::format_float(self.high),
        );
        let expected = if self.low_open {
            format!("above {low} and at most {high}")
        } else {
            format!("from {low} to {high}")
        };
        Err(format!(
            "{} is out of range: it must be {expected}",
            o11y_model::number::format_float(value)
        ))
    }
}

/// Highest request rate the shop accepts, per second.
pub const MAX_REQUESTS_PER_S: f64 = 10_000.0;
/// `requests_per_s`.
pub const REQUESTS_PER_S: NumberRange = NumberRange::closed(0.0, MAX_REQUESTS_PER_S);
/// `entry[].weight`.
pub const ENTRY_WEIGHT: NumberRange = NumberRange::closed(0.0, 1e6);
/// `latency_ms` and `timeout_ms`: up to an hour.
pub const LATENCY_MS: NumberRange = NumberRange::above(0.0, 3_600_000.0);
/// `sigma`.
pub const SIGMA: NumberRange = NumberRange::closed(0.0, 4.0);
/// `error_rate`, and an error burst's `rate`.
pub const SHARE: NumberRange = NumberRange::closed(0.0, 1.0);
/// A latency spike's `factor`.
pub const SPIKE_FACTOR: NumberRange = NumberRange::above(0.0, 1_000.0);
/// A traffic flood's `factor`.
pub const FLOOD_FACTOR: NumberRange = NumberRange::closed(0.0, 100.0);
/// The latest virtual time the simulator reaches: 2200-01-01T00:00:00Z,
/// so that every time it computes fits in `i64` nanoseconds.
pub const MAX_TIME_MS: i64 = 7_258_118_400_000;
/// Longest one span's own work can take, in milliseconds, whatever its
/// spread and the failures that slow it: a day.
pub const MAX_SAMPLED_LATENCY_MS: f64 = 86_400_000.0;

/// A field of a topology, as a path from its root:
/// `services[5].endpoints[0].latency_ms`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FieldPath(Vec<PathStep>);

#[derive(Clone, Debug, PartialEq, Eq)]
enum PathStep {
    Key(String),
    Index(usize),
}

impl FieldPath {
    fn key(&self, key: &str) -> FieldPath {
        let mut steps = self.0.clone();
        steps.push(PathStep::Key(key.to_string()));
        FieldPath(steps)
    }

    fn index(&self, index: usize) -> FieldPath {
        let mut steps = self.0.clone();
        steps.push(PathStep::Index(index));
        FieldPath(steps)
    }

    /// The path serde_path_to_error reports for a value of the wrong type.
    fn from_serde(path: &serde_path_to_error::Path) -> FieldPath {
        use serde_path_to_error::Segment;
        FieldPath(
            path.iter()
                .filter_map(|s| match s {
                    Segment::Seq { index } => Some(PathStep::Index(*index)),
                    Segment::Map { key } => Some(PathStep::Key(key.clone())),
                    _ => None,
                })
                .collect(),
        )
    }

    /// The node this path names in a document, or the deepest one on the
    /// way that exists (a missing field is reported at its mapping).
    fn locate<'n>(&self, root: &'n o11y_model::yaml::Node) -> &'n o11y_model::yaml::Node {
        let mut node = root;
        for step in &self.0 {
            let next = match step {
                PathStep::Key(k) => node.get(k),
                PathStep::Index(i) => node.items().get(*i),
            };
            match next {
                Some(n) => node = n,
                None => break,
            }
        }
        node
    }
}

impl std::fmt::Display for FieldPath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.0.is_empty() {
            return f.write_str("topology");
        }
        for (i, step) in self.0.iter().enumerate() {
            match step {
                PathStep::Key(k) if i == 0 => write!(f, "{k}")?,
                PathStep::Key(k) => write!(f, ".{k}")?,
                PathStep::Index(n) => write!(f, "[{n}]")?,
            }
        }
        Ok(())
    }
}

/// A field whose value the simulator cannot run, and why.
struct Violation {
    field: FieldPath,
    message: String,
}

impl Violation {
    fn new(field: FieldPath, message: impl Into<String>) -> Violation {
        Violation {
            field,
            message: message.into(),
        }
    }

    /// The error, at the field's place in `document` if there is one.
    fn into_error(self, document: Option<&o11y_model::yaml::Node>) -> TopologyError {
        let (line, col) = document.map_or((0, 0), |d| {
            let n = self.field.locate(d);
            (n.line, n.col)
        });
        TopologyError::Invalid {
            field: self.field.to_string(),
            line,
            col,
            message: self.message,
        }
    }
}

/// Checks that `value` at `field` is within `range`.
fn in_range(field: FieldPath, value: f64, range: NumberRange) -> Result<(), Violation> {
    range.check(value).map_err(|m| Violation::new(field, m))
}

fn ep(
    name: &str,
    method: &str,
    latency_ms: f64,
    error_rate: f64,
    calls: &[(&str, &str)],
    parallel: bool,
) -> Endpoint {
    Endpoint {
        name: name.to_string(),
        method: method.to_string(),
        latency_ms,
        sigma: 0.4,
        error_rate,
        calls: calls
            .iter()
            .map(|(s, e)| Call {
                service: s.to_string(),
                endpoint: e.to_string(),
                retries: 0,
                timeout_ms: default_timeout(),
            })
            .collect(),
        parallel,
    }
}

impl Default for Topology {
    /// `frontend → api-gateway → {orders, payment, inventory}`,
    /// `orders → postgres`, `inventory → redis`.
    fn default() -> Self {
        let svc = |name: &str, kind: &str, endpoints: Vec<Endpoint>| Service {
            name: name.to_string(),
            kind: kind.to_string(),
            endpoints,
        };
        Topology {
            services: vec![
                svc(
                    "frontend",
                    "http",
                    vec![
                        ep(
                            "/",
                            "GET",
                            8.0,
                            0.001,
                            &[("api-gateway", "/api/products")],
                            false,
                        ),
                        ep(
                            "/cart",
                            "GET",
                            6.0,
                            0.001,
                            &[("api-gateway", "/api/cart")],
                            false,
                        ),
                        ep(
                            "/checkout",
                            "POST",
                            10.0,
                            0.002,
                            &[("api-gateway", "/api/checkout")],
                            false,
                        ),
                    ],
                ),
                svc(
                    "api-gateway",
                    "http",
                    vec![
                        ep(
                            "/api/products",
                            "GET",
                            4.0,
                            0.001,
                            &[("inventory", "GET /stock")],
                            false,
                        ),
                        ep(
                            "/api/cart",
                            "GET",
                            4.0,
                            0.001,
                            &[("inventory", "GET /stock"), ("orders", "GET /orders")],
                            true,
                        ),
                        ep(
                            "/api/checkout",
                            "POST",
                            5.0,
                            0.001,
                            &[
                                ("inventory", "GET /stock"),
                                ("payment", "POST /charge"),
                                ("orders", "POST /orders"),
                            ],
                            false,
                        ),
                    ],
                ),
                svc(
                    "orders",
                    "http",
                    vec![
                        ep(
                            "GET /orders",
                            "GET",
                            6.0,
                            0.002,
                            &[("postgres", "SELECT orders")],
                            false,
                        ),
                        ep(
                            "POST /orders",
                            "POST",
                            9.0,
                            0.004,
                            &[("postgres", "INSERT orders")],
                            false,
                        ),
                    ],
                ),
                svc(
                    "payment",
                    "http",
                    vec![ep("POST /charge", "POST", 60.0, 0.01, &[], false)],
                ),
                svc(
                    "inventory",
                    "http",
                    vec![ep(
                        "GET /stock",
                        "GET",
                        3.0,
                        0.001,
                        &[("redis", "GET stock")],
                        false,
                    )],
                ),
                svc(
                    "postgres",
                    "postgresql",
                    vec![
                        ep("SELECT orders", "SELECT", 4.0, 0.0005, &[], false),
                        ep("INSERT orders", "INSERT", 7.0, 0.001, &[], false),
                    ],
                ),
                svc(
                    "redis",
                    "redis",
                    vec![ep("GET stock", "GET", 0.6, 0.0002, &[], false)],
                ),
            ],
            entry: vec![
                EntryPoint {
                    endpoint: "/".into(),
                    weight: 6.0,
                },
                EntryPoint {
                    endpoint: "/cart".into(),
                    weight: 3.0,
                },
                EntryPoint {
                    endpoint: "/checkout".into(),
                    weight: 1.0,
                },
            ],
            requests_per_s: 20.0,
            daily_shape: false,
        }
    }
}

impl Topology {
    /// A topology written as JSON.
    pub fn from_json(text: &str) -> Result<Topology, TopologyError> {
        Topology::from_text(text)
    }

    /// A topology written as JSON or YAML (told apart by the first
    /// character), checked: every error names its field and where it was
    /// written.
    pub fn from_text(text: &str) -> Result<Topology, TopologyError> {
        let is_json = text.trim_start().starts_with('{');
        // Positions come from the YAML tree, which JSON is too; JSON that
        // the YAML reader refuses (a tab where YAML wants none) still
        // loads, its errors without a position.
        let document = o11y_model::yaml::parse(text);
        let value = if is_json {
            serde_json::from_str::<serde_json::Value>(text).map_err(|e| json_syntax(&e))?
        } else {
            match &document {
                Ok(Some(node)) => node.to_json(),
                Ok(None) => {
                    return Err(TopologyError::Invalid {
                        field: "topology".into(),
                        line: 1,
                        col: 1,
                        message: "the topology is empty".into(),
                    });
                }
                Err(e) => {
                    return Err(TopologyError::Syntax {
                        format: "YAML",
                        line: e.line,
                        col: e.col,
                        message: e.message.clone(),
                    });
                }
            }
        };
        let document = document.ok().flatten();
        let topology: Topology = serde_path_to_error::deserialize(value).map_err(|e| {
            let field = FieldPath::from_serde(e.path());
            Violation::new(field, e.into_inner().to_string()).into_error(document.as_ref())
        })?;
        topology
            .check()
            .map_err(|v| v.into_error(document.as_ref()))?;
        Ok(topology)
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// Every number is within its range (see the module's table), names
    /// are given once, every call and entry point names an endpoint that
    /// exists, the calls have no cycle, and no request can make more than
    /// [`MAX_SPANS_PER_REQUEST`] spans.
    pub fn validate(&self) -> Result<(), TopologyError> {
        self.check().map_err(|v| v.into_error(None))
    }

    fn check(&self) -> Result<(), Violation> {
        let root = FieldPath::default();
        let Some(first) = self.services.first() else {
            return Err(Violation::new(
                root.key("services"),
                "a topology needs at least one service",
            ));
        };
        in_range(
            root.key("requests_per_s"),
            self.requests_per_s,
            REQUESTS_PER_S,
        )?;
        let mut names = std::collections::HashSet::new();
        for (si, s) in self.services.iter().enumerate() {
            let at = root.key("services").index(si).key("name");
            if s.name.is_empty() {
                return Err(Violation::new(at, "a service needs a name"));
            }
            if !names.insert(s.name.as_str()) {
                return Err(Violation::new(
                    at,
                    format!("there is already a service named {:?}", s.name),
                ));
            }
        }
        for (si, s) in self.services.iter().enumerate() {
            let at = root.key("services").index(si);
            let mut endpoints = std::collections::HashSet::new();
            for (ei, e) in s.endpoints.iter().enumerate() {
                let at = at.key("endpoints").index(ei);
                if e.name.is_empty() {
                    return Err(Violation::new(at.key("name"), "an endpoint needs a name"));
                }
                if !endpoints.insert(e.name.as_str()) {
                    return Err(Violation::new(
                        at.key("name"),
                        format!("{} already has an endpoint named {:?}", s.name, e.name),
                    ));
                }
                if e.method.is_empty() {
                    return Err(Violation::new(at.key("method"), "the method is empty"));
                }
                in_range(at.key("latency_ms"), e.latency_ms, LATENCY_MS)?;
                in_range(at.key("sigma"), e.sigma, SIGMA)?;
                in_range(at.key("error_rate"), e.error_rate, SHARE)?;
                for (ci, c) in e.calls.iter().enumerate() {
                    let at = at.key("calls").index(ci);
                    if c.retries > MAX_RETRIES {
                        return Err(Violation::new(
                            at.key("retries"),
                            format!(
                                "{} is out of range: it must be from 0 to {MAX_RETRIES}",
                                c.retries
                            ),
                        ));
                    }
                    in_range(at.key("timeout_ms"), c.timeout_ms, LATENCY_MS)?;
                    if self.endpoint(&c.service, &c.endpoint).is_none() {
                        return Err(Violation::new(
                            at,
                            format!(
                                "{} {} calls {} {}, which does not exist",
                                s.name, e.name, c.service, c.endpoint
                            ),
                        ));
                    }
                }
            }
        }
        if !self.entry.iter().any(|e| e.weight > 0.0) {
            return Err(Violation::new(
                root.key("entry"),
                "traffic needs an entry point with a weight above 0",
            ));
        }
        for (i, e) in self.entry.iter().enumerate() {
            let at = root.key("entry").index(i);
            in_range(at.key("weight"), e.weight, ENTRY_WEIGHT)?;
            if !first.endpoints.iter().any(|x| x.name == e.endpoint) {
                return Err(Violation::new(
                    at.key("endpoint"),
                    format!(
                        "entry point {:?} is not an endpoint of {}",
                        e.endpoint, first.name
                    ),
                ));
            }
        }
        self.check_cycles()?;
        // No cycles, so the most spans one request can make is finite: keep it small.
        // Remembered per endpoint, so a deep graph of shared calls is quick.
        fn most_spans<'t>(
            t: &'t Topology,
            s: &'t str,
            e: &'t str,
            memo: &mut std::collections::HashMap<(&'t str, &'t str), f64>,
        ) -> f64 {
            if let Some(n) = memo.get(&(s, e)) {
                return *n;
            }
            let n = t.endpoint(s, e).map_or(1.0, |ep| {
                1.0 + ep
                    .calls
                    .iter()
                    .map(|c| {
                        (c.retries as f64 + 1.0)
                            * (1.0 + most_spans(t, &c.service, &c.endpoint, memo))
                    })
                    .sum::<f64>()
            });
            memo.insert((s, e), n);
            n
        }
        let mut memo = std::collections::HashMap::new();
        for (i, entry) in self.entry.iter().enumerate() {
            let spans = most_spans(self, &first.name, &entry.endpoint, &mut memo);
            if spans > MAX_SPANS_PER_REQUEST as f64 {
                return Err(Violation::new(
                    root.key("entry").index(i).key("endpoint"),
                    format!(
                        "a request to {} can make up to {} spans (with retries); at most {MAX_SPANS_PER_REQUEST} are allowed",
                        entry.endpoint,
                        o11y_model::number::format_float(spans)
                    ),
                ));
            }
        }
        Ok(())
    }

    /// No call leads back to an endpoint it came from: a depth-first walk
    /// from every endpoint, endpoints already walked skipped (so shared
    /// calls are walked once). A cycle is reported at the call that closes it.
    fn check_cycles(&self) -> Result<(), Violation> {
        /// An endpoint by its service's and its own index.
        type At = (usize, usize);
        let index: std::collections::HashMap<(&str, &str), At> = self
            .services
            .iter()
            .enumerate()
            .flat_map(|(si, s)| {
                s.endpoints
                    .iter()
                    .enumerate()
                    .map(move |(ei, e)| ((s.name.as_str(), e.name.as_str()), (si, ei)))
            })
            .collect();
        fn walk(
            t: &Topology,
            index: &std::collections::HashMap<(&str, &str), At>,
            at: At,
            path: &mut Vec<At>,
            done: &mut std::collections::HashSet<At>,
        ) -> Result<(), Violation> {
            if done.contains(&at) {
                return Ok(());
            }
            path.push(at);
            let (s, e) = (&t.services[at.0], &t.services[at.0].endpoints[at.1]);
            for (ci, c) in e.calls.iter().enumerate() {
                let Some(&next) = index.get(&(c.service.as_str(), c.endpoint.as_str())) else {
                    continue;
                };
                if path.contains(&next) {
                    return Err(Violation::new(
                        FieldPath::default()
                            .key("services")
                            .index(at.0)
                            .key("endpoints")
                            .index(at.1)
                            .key("calls")
                            .index(ci),
                        format!(
                            "calls go round in a cycle: {} {} calls {} {}, which leads back to it",
                            s.name, e.name, c.service, c.endpoint
                        ),
                    ));
                }
                walk(t, index, next, path, done)?;
            }
            path.pop();
            done.insert(at);
            Ok(())
        }
        let mut done = std::collections::HashSet::new();
        for si in 0..self.services.len() {
            for ei in 0..self.services[si].endpoints.len() {
                walk(self, &index, (si, ei), &mut Vec::new(), &mut done)?;
            }
        }
        Ok(())
    }

    fn endpoint(&self, service: &str, endpoint: &str) -> Option<&Endpoint> {
        self.services
            .iter()
            .find(|s| s.name == service)?
            .endpoints
            .iter()
            .find(|e| e.name == endpoint)
    }

    fn service(&self, name: &str) -> Option<&Service> {
        self.services.iter().find(|s| s.name == name)
    }
}

/// A JSON syntax error at serde_json's line and column (its message
/// without the position it appends).
fn json_syntax(e: &serde_json::Error) -> TopologyError {
    let text = e.to_string();
    let suffix = format!(" at line {} column {}", e.line(), e.column());
    TopologyError::Syntax {
        format: "JSON",
        line: e.line(),
        col: e.column(),
        message: text.strip_suffix(&suffix).unwrap_or(&text).to_string(),
    }
}

/// A failure to inject.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Failure {
    /// The service's own work takes `factor` times longer.
    LatencySpike { service: String, factor: f64 },
    /// The service fails this share of calls on its own.
    ErrorBurst { service: String, rate: f64 },
    /// Every call to the service fails fast (connection refused).
    Outage { service: String },
    /// Cache lookups miss: the cache answers slowly and callers do extra work.
    CacheMissStorm,
    /// The service's memory grows (a gauge), and it slows as it does.
    MemoryLeak { service: String },
    /// `factor` times the usual traffic.
    TrafficFlood { factor: f64 },
}

/// A failure and when it applies: from `start_ms` until `end_ms` (or for good).
#[derive(Clone, Debug, PartialEq)]
pub struct Injection {
    pub failure: Failure,
    pub start_ms: i64,
    pub end_ms: Option<i64>,
}

impl Failure {
    /// The service this failure is aimed at, if one.
    pub fn service(&self) -> Option<&str> {
        match self {
            Failure::LatencySpike { service, .. }
            | Failure::ErrorBurst { service, .. }
            | Failure::Outage { service }
            | Failure::MemoryLeak { service } => Some(service),
            Failure::CacheMissStorm | Failure::TrafficFlood { .. } => None,
        }
    }

    /// Whether `topology` has what this failure acts on, and its numbers
    /// are within their ranges (see the module's table).
    pub fn check(&self, topology: &Topology) -> Result<(), TopologyError> {
        let refuse = |field: &str, message: String| {
            Err(TopologyError::Failure {
                field: field.to_string(),
                message,
            })
        };
        if let Some(service) = self.service()
            && topology.service(service).is_none()
        {
            let names: Vec<&str> = topology.services.iter().map(|s| s.name.as_str()).collect();
            return refuse(
                "service",
                format!(
                    "there is no service {service:?}; the topology has {}",
                    names.join(", ")
                ),
            );
        }
        let number = match self {
            Failure::LatencySpike { factor, .. } => Some(("factor", *factor, SPIKE_FACTOR)),
            Failure::ErrorBurst { rate, .. } => Some(("rate", *rate, SHARE)),
            Failure::TrafficFlood { factor } => Some(("factor", *factor, FLOOD_FACTOR)),
            Failure::CacheMissStorm if !topology.services.iter().any(|s| s.kind == "redis") => {
                return refuse(
                    "kind",
                    "a cache-miss storm needs a cache: the topology has no service of kind redis"
                        .into(),
                );
            }
            _ => None,
        };
        if let Some((field, value, range)) = number
            && let Err(message) = range.check(value)
        {
            return refuse(field, message);
        }
        Ok(())
    }
}

impl Injection {
    /// The failure's checks, and a start and end within the simulator's
    /// time (1970 to [`MAX_TIME_MS`]), the end after the start.
    pub fn check(&self, topology: &Topology) -> Result<(), TopologyError> {
        self.failure.check(topology)?;
        let times = NumberRange::closed(0.0, MAX_TIME_MS as f64);
        for (field, ms) in [("start_ms", Some(self.start_ms)), ("end_ms", self.end_ms)] {
            if let Some(ms) = ms
                && let Err(message) = times.check(ms as f64)
            {
                return Err(TopologyError::Failure {
                    field: field.into(),
                    message,
                });
            }
        }
        if let Some(end) = self.end_ms
            && end <= self.start_ms
        {
            return Err(TopologyError::Failure {
                field: "end_ms".into(),
                message: format!("the failure must end after it starts ({})", self.start_ms),
            });
        }
        Ok(())
    }
}

const TICK_MS: i64 = 1_000;

/// Most retries a call may make.
pub const MAX_RETRIES: u32 = 10;

/// Most spans one request may make (with every retry taken).
pub const MAX_SPANS_PER_REQUEST: usize = 2_000;

/// Seconds of checkout and cart traffic behind `cart_abandonment_rate`.
const ABANDONMENT_WINDOW_S: usize = 300;

/// The shop's simulator.
#[derive(Clone, Debug)]
pub struct ShopSim {
    /// Shared, so a request can walk it while the simulator records.
    topology: std::sync::Arc<Topology>,
    seed: u64,
    rng: Pcg64Mcg,
    ids: Pcg64Mcg,
    next_tick_ms: i64,
    injections: Vec<Injection>,
    registry: Registry,
    families: Families,
    custom: crate::custom::CustomMetrics,
    requests: u64,
    /// Endpoint calls served (server spans, made or not), for the load estimate.
    calls: u64,
    /// Requests per simulated second that get spans, logs and exemplars;
    /// the others are only counted in the metrics.
    detail_per_s: f64,
    detail_credit: f64,
    /// Server spans not yet over, per service (for the in-flight gauge).
    in_flight: Vec<Vec<(i64, i64)>>,
    /// Carts and checkouts per recent second.
    carts: std::collections::VecDeque<(u32, u32)>,
    spans: Vec<Span>,
    logs: Vec<ShopLog>,
}

/// The families the shop records into.
#[derive(Clone, Debug)]
struct Families {
    requests_total: FamilyId,
    duration: FamilyId,
    memory: FamilyId,
    in_flight: FamilyId,
    orders: FamilyId,
    order_value: FamilyId,
    abandonment: FamilyId,
    registrations: FamilyId,
    product_views: FamilyId,
}

impl Families {
    fn register(registry: &mut Registry) -> Families {
        let mut family = |name: &str, help: &str, kind: MetricKind, labels: &[&str]| {
            registry
                .register(name, help, kind, labels)
                .expect("static metric definition is valid")
        };
        Families {
            requests_total: family(
                "http_requests_total",
                "Requests served, per service.",
                MetricKind::Counter,
                &["service", "method", "route", "status"],
            ),
            duration: family(
                "http_request_duration_seconds",
                "Time to serve a request, per service; exemplars carry trace ids.",
                MetricKind::Histogram {
                    upper_bounds: DURATION_BUCKETS.to_vec(),
                },
                &["service", "route"],
            ),
            memory: family(
                "process_resident_memory_bytes",
                "Resident memory of the service.",
                MetricKind::Gauge,
                &["service"],
            ),
            in_flight: family(
                "http_requests_in_flight",
                "Requests being served right now, per service.",
                MetricKind::Gauge,
                &["service"],
            ),
            orders: family(
                "orders_total",
                "Checkouts, completed or failed.",
                MetricKind::Counter,
                &["status"],
            ),
            order_value: family(
                "order_value_total",
                "Value of completed orders, in US dollars.",
                MetricKind::Counter,
                &["currency"],
            ),
            abandonment: family(
                "cart_abandonment_rate",
                "Share of carts viewed in the last 5 minutes that did not check out.",
                MetricKind::Gauge,
                &[],
            ),
            registrations: family(
                "user_registrations_total",
                "Users who signed up.",
                MetricKind::Counter,
                &[],
            ),
            product_views: family(
                "product_views_total",
                "Product pages viewed.",
                MetricKind::Counter,
                &[],
            ),
        }
    }
}

/// One JSON log line of the shop, with the service and level it is about.
#[derive(Clone, Debug, PartialEq)]
pub struct ShopLog {
    pub ts_ms: i64,
    pub service: String,
    pub level: &'static str,
    pub line: String,
}

/// Seconds buckets of the duration histograms.
pub const DURATION_BUCKETS: [f64; 11] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

struct Walk {
    trace_id: TraceId,
    now_ms: i64,
    /// Whether this request makes spans, logs and exemplars.
    detail: bool,
}

/// What a request at the shop's entry did for the business metrics.
enum Visit {
    Browse,
    Cart,
    Checkout,
}

impl Visit {
    fn of(endpoint: &str) -> Visit {
        if endpoint.contains("checkout") {
            Visit::Checkout
        } else if endpoint.contains("cart") {
            Visit::Cart
        } else {
            Visit::Browse
        }
    }
}

impl ShopSim {
    pub fn new(topology: Topology, seed: u64, start_ms: i64) -> Result<ShopSim, TopologyError> {
        topology.validate()?;
        let mut registry = Registry::default();
        let families = Families::register(&mut registry);
        let services = topology.services.len();
        Ok(ShopSim {
            topology: std::sync::Arc::new(topology),
            seed,
            rng: Pcg64Mcg::seed_from_u64(seed),
            ids: Pcg64Mcg::seed_from_u64(seed ^ 0x1d5),
            // Within the simulator's time, so the ticks cannot wrap.
            next_tick_ms: start_ms.clamp(0, MAX_TIME_MS) + TICK_MS,
            injections: Vec::new(),
            registry,
            families,
            custom: crate::custom::CustomMetrics::new(seed),
            requests: 0,
            calls: 0,
            detail_per_s: f64::INFINITY,
            detail_credit: 0.0,
            in_flight: vec![Vec::new(); services],
            carts: std::collections::VecDeque::new(),
            spans: Vec::new(),
            logs: Vec::new(),
        })
    }

    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// Replaces the topology (checked first). Series of services or routes
    /// that are gone stop being updated.
    pub fn set_topology(&mut self, topology: Topology) -> Result<(), TopologyError> {
        topology.validate()?;
        self.in_flight = vec![Vec::new(); topology.services.len()];
        self.topology = std::sync::Arc::new(topology);
        Ok(())
    }

    /// Sets the traffic entering the shop, clamped to `0..=MAX_REQUESTS_PER_S`.
    pub fn set_requests_per_s(&mut self, rate: f64) {
        let rate = if rate.is_nan() { 0.0 } else { rate };
        std::sync::Arc::make_mut(&mut self.topology).requests_per_s =
            rate.clamp(0.0, MAX_REQUESTS_PER_S);
    }

    /// Switches the daily traffic shape on or off.
    pub fn set_daily_shape(&mut self, on: bool) {
        std::sync::Arc::make_mut(&mut self.topology).daily_shape = on;
    }

    /// Sets the share of calls every endpoint of `service` fails on its
    /// own, clamped to `0..=1`.
    pub fn set_error_rate(&mut self, service: &str, rate: f64) {
        let rate = if rate.is_nan() {
            0.0
        } else {
            rate.clamp(0.0, 1.0)
        };
        let topology = std::sync::Arc::make_mut(&mut self.topology);
        for s in topology.services.iter_mut().filter(|s| s.name == service) {
            for e in &mut s.endpoints {
                e.error_rate = rate;
            }
        }
    }

    /// The share of calls `service`'s first endpoint fails on its own.
    pub fn error_rate(&self, service: &str) -> f64 {
        self.topology
            .service(service)
            .and_then(|s| s.endpoints.first())
            .map_or(0.0, |e| e.error_rate)
    }

    /// How many requests per simulated second get spans, logs and
    /// exemplars (the rest only count in the metrics): a fast clock or a
    /// flood of traffic keeps the page responsive this way, as a tracer's
    /// sampler keeps a real system's overhead down. Infinite by default.
    pub fn set_detail_per_s(&mut self, per_s: f64) {
        self.detail_per_s = if per_s.is_nan() { 0.0 } else { per_s.max(0.0) };
    }

    /// Registers a user-defined metric, scraped with the shop's.
    pub fn define(
        &mut self,
        definition: &crate::custom::MetricDefinition,
    ) -> Result<(), o11y_metrics::instrument::MetricsError> {
        self.custom.define(&mut self.registry, definition)
    }

    /// The metrics the user defined, in order.
    pub fn definitions(&self) -> &[crate::custom::MetricDefinition] {
        self.custom.definitions()
    }

    /// The traffic multiplier of the daily shape at `now_ms` (1 without it).
    pub fn traffic_shape(&self, now_ms: i64) -> f64 {
        if !self.topology.daily_shape {
            return 1.0;
        }
        let day_ms = 86_400_000.0;
        let hours = now_ms.rem_euclid(86_400_000) as f64 / day_ms * 24.0;
        1.0 + 0.6 * ((hours - 15.0) / 24.0 * std::f64::consts::TAU).cos()
    }

    pub fn topology(&self) -> &Topology {
        &self.topology
    }

    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    pub fn registry_mut(&mut self) -> &mut Registry {
        &mut self.registry
    }

    /// The failures injected (active, scheduled or over).
    pub fn injections(&self) -> &[Injection] {
        &self.injections
    }

    /// Removes the injections of failures equal to `failure`.
    pub fn remove_failure(&mut self, failure: &Failure) {
        self.injections.retain(|i| i.failure != *failure);
    }

    /// The failures in effect at `now_ms`.
    pub fn active_failures(&self, now_ms: i64) -> Vec<Failure> {
        self.active(now_ms).cloned().collect()
    }

    /// Requests that entered the shop so far.
    /// About how many endpoint calls the shop serves per simulated
    /// millisecond at `now_ms`: the traffic (shaped and flooded) times the
    /// calls a request has made on average so far.
    pub fn calls_per_ms(&self, now_ms: i64) -> f64 {
        let flood: f64 = self
            .active(now_ms)
            .map(|f| match f {
                Failure::TrafficFlood { factor } => factor.max(0.0),
                _ => 1.0,
            })
            .product();
        let per_request = if self.requests == 0 {
            self.topology.services.len() as f64
        } else {
            self.calls as f64 / self.requests as f64
        };
        self.topology.requests_per_s * self.traffic_shape(now_ms) * flood * per_request / 1000.0
    }

    pub fn requests(&self) -> u64 {
        self.requests
    }

    /// Injects a failure, once [`Injection::check`] accepts it: a failure
    /// aimed at a service that does not exist would do nothing, silently.
    pub fn inject(&mut self, injection: Injection) -> Result<(), TopologyError> {
        injection.check(&self.topology)?;
        self.injections.push(injection);
        Ok(())
    }

    pub fn clear_failures(&mut self) {
        self.injections.clear();
    }

    fn active(&self, now_ms: i64) -> impl Iterator<Item = &Failure> {
        self.injections
            .iter()
            .filter(move |i| i.start_ms <= now_ms && i.end_ms.is_none_or(|e| now_ms < e))
            .map(|i| &i.failure)
    }

    /// Spans finished since the last call.
    pub fn drain_spans(&mut self) -> Vec<Span> {
        std::mem::take(&mut self.spans)
    }

    /// JSON log lines since the last call.
    pub fn drain_logs(&mut self) -> Vec<ShopLog> {
        std::mem::take(&mut self.logs)
    }

    /// Simulates every second up to `to_ms`, and no further than
    /// [`MAX_TIME_MS`] (saturating: past it the simulator stands still,
    /// which keeps every time it computes inside `i64` nanoseconds).
    pub fn advance_to(&mut self, to_ms: i64) {
        let to_ms = to_ms.min(MAX_TIME_MS);
        while self.next_tick_ms <= to_ms {
            let now = self.next_tick_ms;
            self.tick(now);
            self.next_tick_ms += TICK_MS;
        }
    }

    fn tick(&mut self, now_ms: i64) {
        let mut rate = self.topology.requests_per_s * self.traffic_shape(now_ms);
        self.custom.drive(&mut self.registry, now_ms);
        let mut leaking = Vec::new();
        for f in self.active(now_ms) {
            match f {
                Failure::TrafficFlood { factor } => rate *= factor.max(0.0),
                Failure::MemoryLeak { service } => leaking.push(service.clone()),
                _ => {}
            }
        }
        let topology = self.topology.clone();
        for s in &topology.services {
            let base = 200e6;
            let leaked = if leaking.contains(&s.name) {
                // A megabyte a second since the leak began.
                let since = self
                    .injections
                    .iter()
                    .filter(|i| matches!(&i.failure, Failure::MemoryLeak { service } if *service == s.name))
                    .map(|i| i.start_ms)
                    .min()
                    .unwrap_or(now_ms);
                (now_ms - since) as f64 / 1000.0 * 1e6
            } else {
                0.0
            };
            let _ =
                self.registry
                    .gauge_set(self.families.memory, &[s.name.as_str()], base + leaked);
        }
        let count = Poisson::new(rate.max(1e-9))
            .map(|p| p.sample(&mut self.rng) as u64)
            .unwrap_or(0);
        let total: f64 = self.topology.entry.iter().map(|e| e.weight).sum();
        let first = &topology.services[0].name;
        self.detail_credit =
            (self.detail_credit + self.detail_per_s).min(self.detail_per_s.max(1.0));
        let (mut carts, mut checkouts) = (0u32, 0u32);
        for _ in 0..count {
            let mut pick = self.rng.random::<f64>() * total;
            let endpoint = topology
                .entry
                .iter()
                .find(|e| {
                    pick -= e.weight;
                    pick < 0.0
                })
                .or(topology.entry.first())
                .map(|e| e.endpoint.as_str())
                .unwrap_or_default();
            let offset_ns = self.rng.random_range(0..TICK_MS * 1_000_000);
            let start_ns = (now_ms - TICK_MS) * 1_000_000 + offset_ns;
            let detail = self.detail_credit >= 1.0;
            let mut trace = [0u8; 16];
            if detail {
                self.detail_credit -= 1.0;
                self.ids.fill(&mut trace);
                trace[0] |= 1; // never all zero
            }
            let walk = Walk {
                trace_id: TraceId(trace),
                now_ms,
                detail,
            };
            self.requests += 1;
            let (_, error) = self.serve(&walk, first, endpoint, start_ns, None);
            self.record_visit(
                Visit::of(endpoint),
                error.is_none(),
                &mut carts,
                &mut checkouts,
            );
        }
        self.carts.push_back((carts, checkouts));
        if self.carts.len() > ABANDONMENT_WINDOW_S {
            self.carts.pop_front();
        }
        let (carts, checkouts) = self
            .carts
            .iter()
            .fold((0u32, 0u32), |(a, b), (c, d)| (a + c, b + d));
        if carts > 0 {
            let abandoned = 1.0 - (checkouts as f64 / carts as f64).min(1.0);
            let _ = self
                .registry
                .gauge_set(self.families.abandonment, &[], abandoned);
        }
        let now_ns = now_ms * 1_000_000;
        for (i, s) in topology.services.iter().enumerate() {
            let Some(spans) = self.in_flight.get_mut(i) else {
                continue;
            };
            spans.retain(|&(_, end)| end > now_ns);
            let serving = spans.iter().filter(|&&(start, _)| start <= now_ns).count();
            let _ = self.registry.gauge_set(
                self.families.in_flight,
                &[s.name.as_str()],
                serving as f64,
            );
        }
    }

    /// The business metrics of one request at the shop's entry: product
    /// views (and now and then a sign-up), carts, and checkouts with the
    /// order's value.
    fn record_visit(&mut self, visit: Visit, ok: bool, carts: &mut u32, checkouts: &mut u32) {
        let f = &self.families;
        let _ = match visit {
            Visit::Browse if ok => {
                if self.rng.random::<f64>() < 0.02 {
                    let _ = self.registry.counter_inc_by(f.registrations, &[], 1.0);
                }
                self.registry.counter_inc_by(f.product_views, &[], 1.0)
            }
            Visit::Browse => Ok(()),
            Visit::Cart => {
                *carts += 1;
                Ok(())
            }
            Visit::Checkout => {
                *checkouts += 1;
                let status = if ok { "completed" } else { "failed" };
                if ok {
                    let value =
                        LogNormal::new(45f64.ln(), 0.7).map_or(45.0, |d| d.sample(&mut self.rng));
                    let cents = (value * 100.0).round() / 100.0;
                    let _ = self.registry.counter_inc_by(f.order_value, &["USD"], cents);
                }
                self.registry.counter_inc_by(f.orders, &[status], 1.0)
            }
        };
    }

    fn span_id(&mut self) -> SpanId {
        let mut id = [0u8; 8];
        self.ids.fill(&mut id);
        id[7] |= 1;
        SpanId(id)
    }

    /// Serves `endpoint` of `service` from `start_ns` under `parent`:
    /// returns the end time and the error, if it failed.
    fn serve(
        &mut self,
        walk: &Walk,
        service: &str,
        endpoint: &str,
        start_ns: i64,
        parent: Option<SpanId>,
    ) -> (i64, Option<String>) {
        let topology = self.topology.clone();
        let Some(svc_index) = topology.services.iter().position(|s| s.name == service) else {
            return (start_ns, Some(format!("unknown service {service}")));
        };
        let svc = &topology.services[svc_index];
        self.calls += 1;
        let Some(ep) = svc.endpoints.iter().find(|e| e.name == endpoint) else {
            return (start_ns, Some(format!("unknown endpoint {endpoint}")));
        };
        let mut slow = 1.0;
        let mut error_rate = ep.error_rate;
        let mut outage = false;
        for f in self.active(walk.now_ms) {
            match f {
                Failure::LatencySpike { service: s, factor } if *s == svc.name => {
                    slow *= factor.max(0.0)
                }
                Failure::ErrorBurst { service: s, rate } if *s == svc.name => {
                    error_rate = error_rate.max(rate.clamp(0.0, 1.0))
                }
                Failure::Outage { service: s } if *s == svc.name => outage = true,
                Failure::CacheMissStorm if svc.kind == "redis" => slow *= 8.0,
                Failure::MemoryLeak { service: s } if *s == svc.name => slow *= 1.5,
                _ => {}
            }
        }
        let span_id = if walk.detail {
            self.span_id()
        } else {
            SpanId([0; 8])
        };
        // Capped, so that a request's times stay inside i64 nanoseconds (see
        // the module's doc): with the validated latency, spread and factors,
        // the cap is only reached far out in the tail.
        let own_ms = LogNormal::new((ep.latency_ms * slow).ln(), ep.sigma.max(0.01))
            .map(|d| d.sample(&mut self.rng))
            .unwrap_or(ep.latency_ms)
            .min(MAX_SAMPLED_LATENCY_MS);
        let mut error = None;
        let mut end_ns;
        if outage {
            end_ns = start_ns + 200_000;
            error = Some(format!("{} is unavailable: connection refused", svc.name));
        } else {
            // Own work first (half), then the calls, then the rest. Plain
            // arithmetic: a request's times are bounded (see the module's doc).
            let mut at = start_ns + (own_ms * 0.5e6) as i64;
            let mut latest = at;
            for call in &ep.calls {
                let call_start = if ep.parallel { at } else { latest };
                let (call_end, call_error) = self.client_call(walk, svc, call, call_start, span_id);
                latest = latest.max(call_end);
                if error.is_none() {
                    error = call_error;
                }
                if !ep.parallel {
                    at = call_end;
                }
            }
            end_ns = latest + (own_ms * 0.5e6) as i64;
            if error.is_none() && self.rng.random::<f64>() < error_rate {
                error = Some(format!("{} failed to handle {}", svc.name, ep.name));
            }
        }
        end_ns = end_ns.max(start_ns + 1);
        let status_code = match (&error, svc.kind.as_str()) {
            (Some(_), _) => 500,
            (None, _) if ep.method == "POST" => 201,
            _ => 200,
        };
        if let Some(spans) = self.in_flight.get_mut(svc_index) {
            spans.push((start_ns, end_ns));
        }
        let status = status_code.to_string();
        let _ = self.registry.counter_inc_by(
            self.families.requests_total,
            &[
                svc.name.as_str(),
                ep.method.as_str(),
                ep.name.as_str(),
                status.as_str(),
            ],
            1.0,
        );
        let seconds = (end_ns - start_ns) as f64 / 1e9;
        if !walk.detail {
            let _ = self.registry.histogram_observe(
                self.families.duration,
                &[svc.name.as_str(), ep.name.as_str()],
                seconds,
            );
            return (end_ns, error);
        }
        let trace_hex = walk.trace_id.to_string();
        let exemplar = o11y_metrics::expfmt::Exemplar {
            labels: vec![
                ("trace_id".to_string(), trace_hex.clone()),
                ("span_id".to_string(), span_id.to_string()),
            ],
            value: seconds,
            ts_ms: Some(end_ns.div_euclid(1_000_000)),
        };
        let _ = self.registry.histogram_observe_with_exemplar(
            self.families.duration,
            &[svc.name.as_str(), ep.name.as_str()],
            seconds,
            Some(exemplar),
        );
        let mut span = Span {
            trace_id: walk.trace_id,
            span_id,
            parent_span_id: parent,
            name: if svc.kind == "http" {
                format!("{} {}", ep.method, ep.name)
            } else {
                ep.name.clone()
            },
            // Databases and caches are simulated as services of their own.
            kind: SpanKind::Server,
            start_ns,
            end_ns,
            resource: vec![(
                "service.name".to_string(),
                AttrValue::String(svc.name.clone()),
            )],
            scope_name: "o11y-playground/shop".to_string(),
            ..Span::default()
        };
        if svc.kind == "http" {
            span.attributes = vec![
                (
                    "http.request.method".to_string(),
                    AttrValue::String(ep.method.clone()),
                ),
                ("http.route".to_string(), AttrValue::String(ep.name.clone())),
                (
                    "http.response.status_code".to_string(),
                    AttrValue::Int(status_code),
                ),
            ];
        } else {
            span.attributes = vec![
                ("db.system".to_string(), AttrValue::String(svc.kind.clone())),
                (
                    "db.operation.name".to_string(),
                    AttrValue::String(ep.method.clone()),
                ),
                (
                    "server.address".to_string(),
                    AttrValue::String(svc.name.clone()),
                ),
            ];
        }
        if let Some(message) = &error {
            span.status = Status {
                code: StatusCode::Error,
                message: message.clone(),
            };
            span.record_exception(end_ns, "ServiceError", message);
        }
        let level = if error.is_some() { "error" } else { "info" };
        let message = match &error {
            Some(m) => m.clone(),
            None => format!("{} handled", span.name),
        };
        let line = format!(
            r#"{{"timestamp":"{}","level":"{level}","message":{},"service":"{}","request_id":"req-{}","user_id":"user-{}","trace_id":"{trace_hex}","span_id":"{span_id}","route":{},"status":{status_code},"duration_ms":{}}}"#,
            o11y_model::time::format_rfc3339_nanos(end_ns),
            serde_json::Value::String(message),
            svc.name,
            &trace_hex[..12],
            walk.trace_id.0[1] as u16 * 2 % 500,
            serde_json::Value::String(ep.name.clone()),
            (end_ns - start_ns) as f64 / 1e6,
        );
        self.logs.push(ShopLog {
            ts_ms: end_ns / 1_000_000,
            service: svc.name.clone(),
            level,
            line,
        });
        self.spans.push(span);
        (end_ns, error)
    }

    /// A call from `caller` to a downstream endpoint: a client span, the
    /// callee's server span under it (context passed as a traceparent),
    /// retries on failure and a timeout.
    fn client_call(
        &mut self,
        walk: &Walk,
        caller: &Service,
        call: &Call,
        start_ns: i64,
        parent: SpanId,
    ) -> (i64, Option<String>) {
        let (client_id, context_parent) = if walk.detail {
            let client_id = self.span_id();
            // The context the callee receives, as the header would carry it.
            let header = TraceParent::new(walk.trace_id, client_id, true).to_string();
            let context: TraceParent = header.parse().expect("a formatted traceparent parses");
            (client_id, Some(context.parent_id))
        } else {
            (SpanId([0; 8]), None)
        };
        let mut at = start_ns;
        let mut error = None;
        for attempt in 0..=call.retries {
            let (end, err) = self.serve(
                walk,
                &call.service,
                &call.endpoint,
                at + 100_000,
                context_parent,
            );
            let timeout_ns = (call.timeout_ms * 1e6) as i64;
            if end - at > timeout_ns {
                at += timeout_ns;
                error = Some(format!(
                    "{} timed out after {} ms",
                    call.service, call.timeout_ms
                ));
            } else {
                at = end + 100_000;
                error = err;
            }
            if error.is_none() {
                break;
            }
            let _ = attempt;
        }
        if !walk.detail {
            return (at, error);
        }
        let mut span = Span {
            trace_id: walk.trace_id,
            span_id: client_id,
            parent_span_id: Some(parent),
            name: format!("{} {}", call.service, call.endpoint),
            kind: SpanKind::Client,
            start_ns,
            end_ns: at.max(start_ns + 1),
            attributes: vec![
                (
                    "server.address".to_string(),
                    AttrValue::String(call.service.clone()),
                ),
                (
                    "peer.service".to_string(),
                    AttrValue::String(call.service.clone()),
                ),
            ],
            resource: vec![(
                "service.name".to_string(),
                AttrValue::String(caller.name.clone()),
            )],
            scope_name: "o11y-playground/shop".to_string(),
            ..Span::default()
        };
        if let Some(message) = &error {
            span.status = Status {
                code: StatusCode::Error,
                message: message.clone(),
            };
        }
        self.spans.push(span);
        (at, error)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::{HashMap, HashSet};

    use super::*;

    fn run(seed: u64, seconds: i64) -> ShopSim {
        let mut sim = ShopSim::new(Topology::default(), seed, 0).unwrap();
        sim.advance_to(seconds * 1000);
        sim
    }

    #[test]
    fn same_seed_same_spans_and_logs() {
        let (mut a, mut b, mut c) = (run(3, 30), run(3, 30), run(4, 30));
        assert_eq!(a.drain_spans(), b.drain_spans());
        assert_eq!(a.drain_logs(), b.drain_logs());
        assert_ne!(a.requests() + 1, 0);
        assert_ne!(run(3, 30).drain_spans(), c.drain_spans());
    }

    #[test]
    fn traces_are_whole_and_logs_point_at_them() {
        let mut sim = run(7, 60);
        let spans = sim.drain_spans();
        let logs = sim.drain_logs();
        let ids: HashSet<(TraceId, SpanId)> =
            spans.iter().map(|s| (s.trace_id, s.span_id)).collect();
        let mut roots = 0;
        for s in &spans {
            match s.parent_span_id {
                Some(p) => assert!(
                    ids.contains(&(s.trace_id, p)),
                    "a parent is missing for {}",
                    s.name
                ),
                None => roots += 1,
            }
            assert!(s.end_ns > s.start_ns);
        }
        assert_eq!(roots as u64, sim.requests());
        let traces: HashSet<String> = spans.iter().map(|s| s.trace_id.to_string()).collect();
        for log in &logs {
            let line = &log.line;
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            assert!(traces.contains(v["trace_id"].as_str().unwrap()), "{line}");
        }
        // Every request reaches the gateway; checkouts reach the payment service.
        let per_service: HashMap<&str, usize> = spans
            .iter()
            .filter(|s| s.kind == SpanKind::Server)
            .fold(HashMap::new(), |mut m, s| {
                *m.entry(s.service()).or_default() += 1;
                m
            });
        assert_eq!(per_service["frontend"], per_service["api-gateway"]);
        assert!(per_service["payment"] > 0);
    }

    #[test]
    fn red_counters_count_every_server_span() {
        let mut sim = run(5, 30);
        let spans = sim.drain_spans();
        let served: f64 = sim
            .registry()
            .clone()
            .samples(0)
            .iter()
            .filter(|s| s.0.metric_name() == Some("http_requests_total"))
            .map(|s| s.1)
            .sum();
        let server_spans = spans.iter().filter(|s| s.kind == SpanKind::Server).count();
        assert_eq!(served as usize, server_spans);
    }

    #[test]
    fn failures_show_in_spans() {
        let mut slow = ShopSim::new(Topology::default(), 9, 0).unwrap();
        slow.inject(Injection {
            failure: Failure::LatencySpike {
                service: "payment".into(),
                factor: 20.0,
            },
            start_ms: 0,
            end_ms: None,
        })
        .unwrap();
        slow.advance_to(60_000);
        let mut normal = ShopSim::new(Topology::default(), 9, 0).unwrap();
        normal.advance_to(60_000);
        let p99 = |sim: &mut ShopSim| {
            let mut d: Vec<i64> = sim
                .drain_spans()
                .iter()
                .filter(|s| s.service() == "payment")
                .map(Span::duration_ns)
                .collect();
            d.sort_unstable();
            d[d.len() * 99 / 100]
        };
        assert!(p99(&mut slow) > 10 * p99(&mut normal));

        let mut down = ShopSim::new(Topology::default(), 9, 0).unwrap();
        down.inject(Injection {
            failure: Failure::Outage {
                service: "redis".into(),
            },
            start_ms: 10_000,
            end_ms: Some(20_000),
        })
        .unwrap();
        down.advance_to(30_000);
        let spans = down.drain_spans();
        let errors_in = |from: i64, to: i64| {
            spans
                .iter()
                .filter(|s| {
                    s.service() == "redis"
                        && s.status.code == StatusCode::Error
                        && (from..to).contains(&(s.start_ns / 1_000_000))
                })
                .count()
        };
        assert!(errors_in(11_000, 19_000) > 0);
        assert_eq!(errors_in(21_000, 30_000), 0);
    }

    #[test]
    fn the_daily_shape_peaks_in_the_afternoon() {
        let mut sim = ShopSim::new(Topology::default(), 1, 0).unwrap();
        assert_eq!(sim.traffic_shape(3 * 3_600_000), 1.0);
        sim.set_daily_shape(true);
        let count = |sim: &mut ShopSim, hour: i64| {
            let mut s = sim.clone();
            s.next_tick_ms = hour * 3_600_000;
            let before = s.requests();
            s.advance_to(hour * 3_600_000 + 60_000);
            s.requests() - before
        };
        let (night, afternoon) = (count(&mut sim, 3), count(&mut sim, 15));
        assert!(
            afternoon > 3 * night,
            "{night} at 03:00, {afternoon} at 15:00"
        );
        assert!((sim.traffic_shape(15 * 3_600_000) - 1.6).abs() < 1e-9);
    }

    #[test]
    fn metrics_only_requests_count_the_same() {
        let mut traced = ShopSim::new(Topology::default(), 2, 0).unwrap();
        let mut counted = ShopSim::new(Topology::default(), 2, 0).unwrap();
        counted.set_detail_per_s(0.0);
        traced.advance_to(30_000);
        counted.advance_to(30_000);
        assert!(counted.drain_spans().is_empty() && counted.drain_logs().is_empty());
        let text = |s: &mut ShopSim| {
            o11y_metrics::expfmt::render(
                &s.registry_mut().gather(30_000),
                o11y_metrics::expfmt::Format::Text,
            )
        };
        assert_eq!(text(&mut traced), text(&mut counted));
    }

    #[test]
    fn topology_json_round_trips_and_is_checked() {
        let t = Topology::default();
        assert_eq!(Topology::from_json(&t.to_json()).unwrap(), t);
        let mut cyclic = t.clone();
        cyclic.services[6].endpoints[0].calls.push(Call {
            service: "frontend".into(),
            endpoint: "/".into(),
            retries: 0,
            timeout_ms: 1.0,
        });
        assert!(
            matches!(cyclic.validate(), Err(TopologyError::Invalid { message, .. }) if message.contains("cycle"))
        );
        assert!(matches!(
            Topology::from_json("{"),
            Err(TopologyError::Syntax { format: "JSON", .. })
        ));
        let yaml = "services:\n  - name: web\n    endpoints:\n      - name: /\n        latency_ms: 5\nentry:\n  - endpoint: /\n    weight: 1\nrequests_per_s: 3\ndaily_shape: true\n";
        let parsed = Topology::from_text(yaml).unwrap();
        assert_eq!(parsed.services[0].endpoints[0].method, "GET");
        assert!(parsed.daily_shape);
        assert_eq!(Topology::from_text(&t.to_json()).unwrap(), t);
        let err = Topology::from_text("services: [\n")
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("2:1: topology YAML"), "{err}");
        let mut dangling = t.clone();
        dangling.services[0].endpoints[0].calls[0].endpoint = "/nope".into();
        assert!(dangling.validate().is_err());
        // A topology that would freeze the page is refused.
        let mut retrying = t.clone();
        retrying.services[0].endpoints[0].calls[0].retries = u32::MAX;
        assert!(retrying.validate().is_err());
        let mut fan_out = t;
        for s in &mut fan_out.services {
            for e in &mut s.endpoints {
                for c in &mut e.calls {
                    c.retries = 10;
                }
            }
        }
        let err = fan_out.validate().unwrap_err().to_string();
        assert!(err.contains("spans"), "{err}");
        // A deep chain where each level calls the next twice: refused, and quickly.
        let levels = 40;
        let deep = Topology {
            services: (0..levels)
                .map(|i| Service {
                    name: format!("s{i}"),
                    kind: "http".into(),
                    endpoints: vec![ep(
                        "/",
                        "GET",
                        1.0,
                        0.0,
                        &if i + 1 < levels {
                            vec![(format!("s{}", i + 1), "/".to_string()); 2]
                        } else {
                            vec![]
                        }
                        .iter()
                        .map(|(s, e)| (s.as_str(), e.as_str()))
                        .collect::<Vec<_>>(),
                        false,
                    )],
                })
                .collect(),
            entry: vec![EntryPoint {
                endpoint: "/".into(),
                weight: 1.0,
            }],
            requests_per_s: 1.0,
            daily_shape: false,
        };
        assert!(deep.validate().unwrap_err().to_string().contains("spans"));
    }

    /// A small topology in YAML with `field: value` put in at `place`.
    const SMALL: &str = "services:\n  - name: web\n    endpoints:\n      - name: /\n        latency_ms: 5\n        calls:\n          - {service: db, endpoint: q, retries: 1}\n  - name: db\n    endpoints:\n      - {name: q, latency_ms: 2}\nentry:\n  - {endpoint: /, weight: 1}\nrequests_per_s: 40\n";

    /// The error for `SMALL` with `from` replaced by `to`.
    fn error_of(from: &str, to: &str) -> String {
        assert!(SMALL.contains(from), "{from}");
        Topology::from_text(&SMALL.replacen(from, to, 1))
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn every_number_out_of_range_is_refused_at_its_place() {
        assert!(Topology::from_text(SMALL).is_ok());
        let cases = [
            (
                "latency_ms: 5",
                "latency_ms: 1e308",
                "5:21: services[0].endpoints[0].latency_ms: 1e+308 is out of range: it must be above 0 and at most 3.6e+06",
            ),
            (
                "latency_ms: 5",
                "latency_ms: 0",
                "5:21: services[0].endpoints[0].latency_ms: 0 is out of range",
            ),
            (
                "latency_ms: 5",
                "latency_ms: 3600001",
                "5:21: services[0].endpoints[0].latency_ms: 3.600001e+06 is out of range",
            ),
            (
                "latency_ms: 5",
                "latency_ms: 5\n        sigma: 9999999",
                "6:16: services[0].endpoints[0].sigma: 9.999999e+06 is out of range: it must be from 0 to 4",
            ),
            (
                "latency_ms: 5",
                "latency_ms: 5\n        sigma: -1",
                "6:16: services[0].endpoints[0].sigma: -1 is out of range",
            ),
            (
                "latency_ms: 5",
                "latency_ms: 5\n        error_rate: 1.5",
                "6:21: services[0].endpoints[0].error_rate: 1.5 is out of range: it must be from 0 to 1",
            ),
            (
                "retries: 1",
                "retries: 11",
                "7:49: services[0].endpoints[0].calls[0].retries: 11 is out of range: it must be from 0 to 10",
            ),
            (
                "retries: 1",
                "retries: 1, timeout_ms: 0",
                "7:64: services[0].endpoints[0].calls[0].timeout_ms: 0 is out of range",
            ),
            (
                "retries: 1",
                "retries: 1, timeout_ms: 1e9",
                "7:64: services[0].endpoints[0].calls[0].timeout_ms: 1e+09 is out of range",
            ),
            (
                "weight: 1",
                "weight: 1e7",
                "12:27: entry[0].weight: 1e+07 is out of range: it must be from 0 to 1e+06",
            ),
            (
                "weight: 1",
                "weight: 0",
                "12:3: entry: traffic needs an entry point with a weight above 0",
            ),
            (
                "requests_per_s: 40",
                "requests_per_s: 10001",
                "13:17: requests_per_s: 10001 is out of range: it must be from 0 to 10000",
            ),
            (
                "requests_per_s: 40",
                "requests_per_s: -1",
                "13:17: requests_per_s: -1 is out of range",
            ),
            // Of the wrong type: where it was written, and what was expected.
            (
                "latency_ms: 5",
                "latency_ms: [5]",
                "5:21: services[0].endpoints[0].latency_ms: invalid type: sequence, expected f64",
            ),
            (
                "latency_ms: 5",
                "latency_ms: NaN",
                "5:21: services[0].endpoints[0].latency_ms: invalid type: string \"NaN\", expected f64",
            ),
            (
                "retries: 1",
                "retries: -1",
                "7:49: services[0].endpoints[0].calls[0].retries: invalid value: integer `-1`, expected u32",
            ),
            (
                "retries: 1",
                "retries: 99999999999",
                "7:49: services[0].endpoints[0].calls[0].retries: invalid value",
            ),
            (
                "latency_ms: 5",
                "latency_ms: 5\n        sigmaa: 1",
                "6:17: services[0].endpoints[0].sigmaa: unknown field `sigmaa`, expected one of `name`",
            ),
            (
                "  - name: db",
                "  - name: web",
                "8:11: services[1].name: there is already a service named \"web\"",
            ),
            (
                "endpoint: q,",
                "endpoint: r,",
                "7:13: services[0].endpoints[0].calls[0]: web / calls db r, which does not exist",
            ),
        ];
        for (from, to, expected) in cases {
            let err = error_of(from, to);
            assert!(
                err.starts_with(expected),
                "{to}:\n  got      {err}\n  expected {expected}"
            );
        }
    }

    #[test]
    fn json_errors_have_positions_too() {
        let json = Topology::default().to_json().replacen(
            "\"latency_ms\": 8.0",
            "\"latency_ms\": 1e300",
            1,
        );
        let err = Topology::from_text(&json).unwrap_err().to_string();
        assert!(
            err.starts_with("10:25: services[0].endpoints[0].latency_ms: 1e+300 is out of range"),
            "{err}"
        );
        let err = Topology::from_text("{\"services\": [}")
            .unwrap_err()
            .to_string();
        assert_eq!(err, "1:15: topology JSON: expected value");
        // JSON indented with tabs, which YAML refuses: still read, the error without a position.
        let tabbed = json.replace("  ", "\t");
        let err = Topology::from_text(&tabbed).unwrap_err().to_string();
        assert!(
            err.contains("services[0].endpoints[0].latency_ms: 1e+300 is out of range"),
            "{err}"
        );
        let cycle = Topology::default().to_json().replacen(
            "\"calls\": []",
            "\"calls\": [{\"service\": \"frontend\", \"endpoint\": \"/checkout\"}]",
            1,
        );
        let err = Topology::from_text(&cycle).unwrap_err().to_string();
        assert!(err.contains("services[3].endpoints[0].calls[0]: calls go round in a cycle: payment POST /charge calls frontend /checkout, which leads back to it"), "{err}");
    }

    /// Regression: the fuzzer's `latency_ms: 1e308` passed validation, the
    /// sampled latency saturated and the virtual-time arithmetic overflowed
    /// in `serve` (a panic in the test build, nonsense timestamps in the page).
    #[test]
    fn the_largest_accepted_numbers_simulate_without_overflow() {
        let yaml = SMALL
            .replace("latency_ms: 5", "latency_ms: 3600000\n        sigma: 4")
            .replace("latency_ms: 2}", "latency_ms: 3600000, sigma: 4}")
            .replace("retries: 1", "retries: 10, timeout_ms: 3600000")
            .replace("requests_per_s: 40", "requests_per_s: 200");
        let topology = Topology::from_text(&yaml).unwrap();
        let start = MAX_TIME_MS - 10_000;
        let mut sim = ShopSim::new(topology, 1, start).unwrap();
        for service in ["web", "db"] {
            let spike = Failure::LatencySpike {
                service: service.into(),
                factor: 1_000.0,
            };
            for failure in [
                spike,
                Failure::MemoryLeak {
                    service: service.into(),
                },
            ] {
                sim.inject(Injection {
                    failure,
                    start_ms: 0,
                    end_ms: None,
                })
                .unwrap();
            }
        }
        sim.advance_to(i64::MAX);
        let spans = sim.drain_spans();
        assert!(!spans.is_empty());
        assert!(
            spans
                .iter()
                .all(|s| s.start_ns > 0 && s.end_ns >= s.start_ns)
        );
        // The clock stops at MAX_TIME_MS.
        assert_eq!(sim.next_tick_ms, MAX_TIME_MS + TICK_MS);
    }

    #[test]
    fn failures_are_checked_against_the_topology() {
        let mut sim = ShopSim::new(Topology::default(), 1, 0).unwrap();
        let at = |failure| Injection {
            failure,
            start_ms: 1_000,
            end_ms: None,
        };
        let err = sim
            .inject(at(Failure::Outage {
                service: "checkout".into(),
            }))
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("failure service: there is no service \"checkout\"; the topology has frontend, api-gateway"), "{err}");
        for (failure, expected) in [
            (
                Failure::LatencySpike {
                    service: "payment".into(),
                    factor: 0.0,
                },
                "failure factor: 0 is out of range",
            ),
            (
                Failure::LatencySpike {
                    service: "payment".into(),
                    factor: 1e9,
                },
                "failure factor: 1e+09 is out of range",
            ),
            (
                Failure::ErrorBurst {
                    service: "payment".into(),
                    rate: 2.0,
                },
                "failure rate: 2 is out of range",
            ),
            (
                Failure::TrafficFlood { factor: f64::NAN },
                "failure factor: NaN is out of range",
            ),
        ] {
            let err = sim.inject(at(failure)).unwrap_err().to_string();
            assert!(err.starts_with(expected), "{err}");
        }
        let late = Injection {
            failure: Failure::CacheMissStorm,
            start_ms: MAX_TIME_MS + 1,
            end_ms: None,
        };
        assert!(
            sim.inject(late)
                .unwrap_err()
                .to_string()
                .starts_with("failure start_ms:")
        );
        let backwards = Injection {
            failure: Failure::CacheMissStorm,
            start_ms: 5_000,
            end_ms: Some(5_000),
        };
        assert!(
            sim.inject(backwards)
                .unwrap_err()
                .to_string()
                .contains("must end after it starts")
        );
        assert!(sim.injections().is_empty(), "nothing refused was kept");
        sim.inject(at(Failure::CacheMissStorm)).unwrap();
        // Without a cache, a cache-miss storm would do nothing: refused.
        let no_cache = Topology::from_text(SMALL).unwrap();
        let mut sim = ShopSim::new(no_cache, 1, 0).unwrap();
        assert!(
            sim.inject(at(Failure::CacheMissStorm))
                .unwrap_err()
                .to_string()
                .contains("no service of kind redis")
        );
    }
}
