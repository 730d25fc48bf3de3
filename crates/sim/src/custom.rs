//! Metrics the user defines on the Metrics page, driven by the simulator.
//!
//! A [`MetricDefinition`] (from the form in [`crate::metric_form`]) is
//! registered in the shop's registry, so it is scraped with the shop's
//! metrics. If it is driven, every simulated second gives it plausible
//! values: counters grow, gauges wander around a typical value, histograms
//! and summaries observe log-normal values around it.
//!
//! ```
//! use o11y_metrics::instrument::{MetricKind, Registry};
//! use o11y_sim::custom::{CustomMetrics, MetricDefinition};
//!
//! let mut registry = Registry::default();
//! let mut custom = CustomMetrics::new(7);
//! let queue = MetricDefinition {
//!     name: "queue_depth".into(),
//!     help: "Jobs waiting.".into(),
//!     kind: MetricKind::Gauge,
//!     labels: vec![("queue".into(), "emails".into())],
//!     driven: true,
//!     typical_value: 40.0,
//! };
//! custom.define(&mut registry, &queue).unwrap();
//! custom.drive(&mut registry, 1_000);
//! assert_eq!(registry.samples(1_000).len(), 1);
//! ```

use rand::{Rng, SeedableRng};
use rand_distr::{Distribution, LogNormal};
use rand_pcg::Pcg64Mcg;

use o11y_metrics::instrument::{FamilyId, MetricKind, MetricsError, Registry};

/// A metric the user defined, as the form in the app describes it.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct MetricDefinition {
    pub name: String,
    pub help: String,
    pub kind: MetricKind,
    /// Label names with the value the simulator records under.
    pub labels: Vec<(String, String)>,
    /// Whether the simulator gives it values every tick.
    pub driven: bool,
    /// Around what value the simulator drives it.
    pub typical_value: f64,
}

/// A user-defined metric the simulator drives.
#[derive(Clone, Debug)]
struct DrivenMetric {
    id: FamilyId,
    kind: MetricKind,
    label_values: Vec<String>,
    typical_value: f64,
}

/// The user's metrics and the random numbers that drive them.
#[derive(Clone, Debug)]
pub struct CustomMetrics {
    rng: Pcg64Mcg,
    driven: Vec<DrivenMetric>,
    defined: Vec<MetricDefinition>,
}

impl CustomMetrics {
    pub fn new(seed: u64) -> CustomMetrics {
        CustomMetrics {
            rng: Pcg64Mcg::seed_from_u64(seed ^ 0xc0ffee),
            driven: Vec::new(),
            defined: Vec::new(),
        }
    }

    /// The definitions registered so far, in order.
    pub fn definitions(&self) -> &[MetricDefinition] {
        &self.defined
    }

    /// Registers a user-defined metric in `registry`.
    pub fn define(
        &mut self,
        registry: &mut Registry,
        definition: &MetricDefinition,
    ) -> Result<(), MetricsError> {
        let names: Vec<&str> = definition.labels.iter().map(|(n, _)| n.as_str()).collect();
        let id = registry.register(
            &definition.name,
            &definition.help,
            definition.kind.clone(),
            &names,
        )?;
        let values: Vec<&str> = definition.labels.iter().map(|(_, v)| v.as_str()).collect();
        // Counters and gauges exist from the start; the others from their first observation.
        match definition.kind {
            MetricKind::Counter => registry.counter_inc_by(id, &values, 0.0)?,
            MetricKind::Gauge => registry.gauge_set(id, &values, definition.typical_value)?,
            MetricKind::Histogram { .. } | MetricKind::Summary { .. } => {}
        }
        if definition.driven {
            self.driven.push(DrivenMetric {
                id,
                kind: definition.kind.clone(),
                label_values: definition.labels.iter().map(|(_, v)| v.clone()).collect(),
                typical_value: definition.typical_value,
            });
        }
        self.defined.push(definition.clone());
        Ok(())
    }

    /// One simulated second of the driven metrics.
    pub fn drive(&mut self, registry: &mut Registry, now_ms: i64) {
        for metric in &self.driven {
            let values: Vec<&str> = metric.label_values.iter().map(String::as_str).collect();
            let typical = metric.typical_value;
            let jitter = self.rng.random::<f64>();
            // Registered by `define`, so kinds and label counts match.
            let _ = match metric.kind {
                MetricKind::Counter => {
                    registry.counter_inc_by(metric.id, &values, typical.abs() * 2.0 * jitter)
                }
                MetricKind::Gauge => {
                    registry.gauge_set(metric.id, &values, typical * (0.8 + 0.4 * jitter))
                }
                MetricKind::Histogram { .. } | MetricKind::Summary { .. } => {
                    let median = if typical > 0.0 { typical } else { 1.0 };
                    let v = LogNormal::new(median.ln(), 0.5)
                        .map_or(median, |d| d.sample(&mut self.rng));
                    match metric.kind {
                        MetricKind::Summary { .. } => {
                            registry.summary_observe(metric.id, &values, v, now_ms)
                        }
                        _ => registry.histogram_observe(metric.id, &values, v),
                    }
                }
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn driven_metrics_get_plausible_values_and_names_register_once() {
        let mut registry = Registry::default();
        let mut custom = CustomMetrics::new(1);
        let jobs = MetricDefinition {
            name: "jobs_total".into(),
            help: "Jobs done.".into(),
            kind: MetricKind::Counter,
            labels: vec![],
            driven: true,
            typical_value: 5.0,
        };
        custom.define(&mut registry, &jobs).unwrap();
        assert!(custom.define(&mut registry, &jobs).is_err());
        let idle = MetricDefinition {
            name: "idle".into(),
            driven: false,
            kind: MetricKind::Gauge,
            typical_value: 3.0,
            ..jobs.clone()
        };
        custom.define(&mut registry, &idle).unwrap();
        for s in 1..=60 {
            custom.drive(&mut registry, s * 1000);
        }
        let samples = registry.samples(60_000);
        let value = |name: &str| {
            samples
                .iter()
                .find(|s| s.0.metric_name() == Some(name))
                .unwrap()
                .1
        };
        // 60 s at 0..10 a second: about 300.
        assert!(
            (150.0..450.0).contains(&value("jobs_total")),
            "{}",
            value("jobs_total")
        );
        assert_eq!(value("idle"), 3.0, "an undriven gauge keeps its value");
        assert_eq!(custom.definitions().len(), 2);
    }
}
