//! Failures to inject into the shop: a latency spike, an error burst, an
//! outage, a cache-miss storm, a memory leak or a traffic flood, switched
//! on now or scheduled at a virtual time ([`Injection`]), each checked
//! against the topology before it is kept. The simulator
//! ([`crate::shop`]) applies them; [`presets`] are the switches the
//! simulator panel offers.
//!
//! ```
//! use o11y_sim::failure::{Failure, Injection};
//! use o11y_sim::topology::Topology;
//! let outage = Injection {
//!     failure: Failure::Outage { service: "checkout".into() },
//!     start_ms: 0,
//!     end_ms: None,
//! };
//! let err = outage.check(&Topology::default()).unwrap_err();
//! assert!(err.to_string().starts_with("failure service: there is no service \"checkout\""));
//! ```

pub mod presets;

use serde::{Deserialize, Serialize};

use crate::topology::{
    FLOOD_FACTOR, MAX_TIME_MS, NumberRange, SHARE, SPIKE_FACTOR, Topology, TopologyError,
};

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
    /// are within their ranges (see [`crate::topology::ranges`]).
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
