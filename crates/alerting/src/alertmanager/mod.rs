//! Notifications with Alertmanager's semantics, on the virtual clock:
//! a routing tree (`matchers`, `group_by`, `group_wait`, `group_interval`,
//! `repeat_interval`, `continue`, nested routes), aggregation groups,
//! inhibition rules and silences. Receivers are simulated: each
//! notification is kept with the exact webhook payload Alertmanager would
//! POST (`version: "4"`), and nothing leaves the process.
//!
//! Configuration is Alertmanager's YAML (`route`, `receivers`,
//! `inhibit_rules`), checked as Alertmanager loads it: first every field
//! against its Go type (a list where a string belongs, `continue: maybe`,
//! an unknown field), then Alertmanager's checks (undefined receivers,
//! bad matchers, webhook URLs…). [`AmConfig::check`] returns every
//! problem, each with its line and column, as `amtool check-config`
//! prints them.
//!
//! ```
//! use o11y_alerting::alertmanager::AmConfig;
//!
//! let errors = AmConfig::check("route:\n  receiver: [a]\nreceivers: [{name: a}]\n").unwrap_err();
//! assert_eq!(errors[0].to_string(), "2:13: route.receiver: expected a string, found a list");
//! ```
//!
//! The types every file shares are here: an alert ([`AmAlert`]), a
//! configuration problem ([`ConfigError`]) and the pipeline itself
//! ([`Alertmanager`]). The files: the configuration (`config`, typed
//! against `schema`, with `receivers` and `time_intervals` checked as
//! Alertmanager checks them), matchers (`matchers`), the routing tree and
//! its checks (`routing`), aggregation groups and their timing
//! (`dispatch`), inhibition and silences (`silences`), and the webhook
//! body each notification carries (`webhook`).

mod config;
mod dispatch;
mod matchers;
mod receivers;
mod routing;
mod schema;
mod silences;
mod time_intervals;
mod webhook;

pub use config::{AmConfig, DEFAULT_CONFIG, InhibitRule};
pub use matchers::{parse_matcher, parse_matchers};
pub use routing::Route;
pub use silences::Silence;

use std::collections::{BTreeMap, BTreeSet};

use o11y_model::labels::Labels;
use o11y_model::yaml::Node;
use o11y_model::yaml::typed;

/// One alert as Prometheus sends it.
#[derive(Clone, Debug, PartialEq)]
pub struct AmAlert {
    pub labels: Labels,
    pub annotations: Vec<(String, String)>,
    pub starts_at_ms: i64,
    /// Set once resolved.
    pub ends_at_ms: Option<i64>,
    pub generator_url: String,
}

impl AmAlert {
    pub fn fingerprint(&self) -> u64 {
        fingerprint(&self.labels)
    }

    fn resolved(&self, now_ms: i64) -> bool {
        self.ends_at_ms.is_some_and(|e| e <= now_ms)
    }
}

/// Prometheus's label-set fingerprint (FNV-1a over sorted names and values).
pub fn fingerprint(labels: &Labels) -> u64 {
    const OFFSET: u64 = 14695981039346656037;
    const PRIME: u64 = 1099511628211;
    let mut h = OFFSET;
    let mut add = |bytes: &[u8]| {
        for b in bytes {
            h ^= u64::from(*b);
            h = h.wrapping_mul(PRIME);
        }
    };
    if labels.iter().next().is_none() {
        return OFFSET;
    }
    for l in labels.iter() {
        add(l.name.as_bytes());
        add(&[0xff]);
        add(l.value.as_bytes());
        add(&[0xff]);
    }
    h
}

/// A configuration problem, at a 1-based line and column.
pub type ConfigError = o11y_model::diag::Diagnostic;

fn err(node: &Node, message: impl Into<String>) -> ConfigError {
    let (line, col) = typed::start(node);
    ConfigError::at_line(line, col, message)
}

/// A notification a receiver got.
#[derive(Clone, Debug, PartialEq)]
pub struct Notification {
    pub at_ms: i64,
    pub receiver: String,
    pub group_key: String,
    /// `firing` or `resolved`.
    pub status: &'static str,
    pub alerts: Vec<AmAlert>,
    /// The webhook JSON Alertmanager would POST.
    pub payload: String,
}

#[derive(Clone, Debug)]
struct AggrGroup {
    route_key: String,
    receiver: String,
    group_labels: Labels,
    group_interval_ms: i64,
    repeat_interval_ms: i64,
    alerts: BTreeMap<u64, AmAlert>,
    next_flush_ms: i64,
    /// Firing fingerprints of the last notification, and when it was sent.
    last_firing: BTreeSet<u64>,
    last_sent_ms: Option<i64>,
}

/// The notification pipeline.
#[derive(Clone, Debug)]
pub struct Alertmanager {
    pub config: AmConfig,
    groups: Vec<AggrGroup>,
    pub silences: Vec<Silence>,
    next_silence: u64,
    /// Notifications sent, oldest first (the most recent `MAX_NOTIFICATIONS`).
    pub notifications: std::collections::VecDeque<Notification>,
    pub external_url: String,
}

pub const MAX_NOTIFICATIONS: usize = 1_000;

/// What the tests of several files share: an alert, a configuration
/// around a route, and every problem of a configuration as text.
#[cfg(test)]
mod fixtures {
    use super::{AmAlert, AmConfig};
    use o11y_model::labels::Labels;

    pub(super) fn alert(name: &str, service: &str, severity: &str, start: i64) -> AmAlert {
        AmAlert {
            labels: Labels::new([
                ("alertname", name),
                ("service", service),
                ("severity", severity),
            ]),
            annotations: vec![("summary".into(), format!("{name} on {service}"))],
            starts_at_ms: start,
            ends_at_ms: None,
            generator_url: String::new(),
        }
    }

    pub(super) fn errors(text: &str) -> Vec<String> {
        AmConfig::check(text)
            .unwrap_err()
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    /// `receivers: [{name: a}]` and `route: {receiver: a, …}` around `body`
    /// (more of the route), `extra` after.
    pub(super) fn with_route(route: &str, extra: &str) -> String {
        format!("route:\n  receiver: a\n{route}receivers:\n  - name: a\n{extra}")
    }
}
