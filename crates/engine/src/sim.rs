//! A seeded traffic simulator of one HTTP service.
//!
//! Requests arrive on a 1 s virtual tick with a Poisson-distributed count,
//! pick a route by weight, fail with the configured error ratio and take a
//! log-normal time. They are recorded with the instrumentation API in
//! `http_requests_total{method,route,status}` and
//! `http_request_duration_seconds{method,route}`, and the registry is scraped
//! into a [`SeriesStore`] every scrape interval, with `job` and `instance`.
//!
//! The output depends only on the seed, the settings and the virtual times
//! passed to [`Simulator::advance_to`] — not on how time was chunked into calls.
//!
//! ```
//! use o11y_engine::sim::{SimConfig, Simulator};
//! use o11y_engine::tsdb::Tsdb;
//!
//! let mut store = Tsdb::default();
//! let mut sim = Simulator::new(SimConfig::default(), 0).unwrap();
//! sim.advance_to(60_000, &mut store).unwrap();
//! assert!(sim.requests_served() > 0);
//! assert!(store.stats().series > 0);
//! ```

use rand::{Rng, SeedableRng};
use rand_distr::{Distribution, LogNormal, Poisson};
use rand_pcg::Pcg64Mcg;
use thiserror::Error;

use crate::metrics::{FamilyId, MetricKind, MetricsError, Registry};
use crate::scrape::Scraper;
use crate::store::{AppendError, SeriesStore};

/// Bucket bounds of `http_request_duration_seconds`, in seconds.
pub const DURATION_BUCKETS: [f64; 10] = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

/// How often requests are generated, in virtual milliseconds.
pub const TICK_MS: i64 = 1_000;

/// Highest request rate the simulator accepts, per second.
pub const MAX_REQUESTS_PER_S: f64 = 10_000.0;

/// One route of the simulated service.
struct Route {
    method: &'static str,
    path: &'static str,
    weight: f64,
    /// Multiplies the service's median latency.
    latency_factor: f64,
    success_status: &'static str,
}

const ROUTES: [Route; 4] = [
    Route {
        method: "GET",
        path: "/api/products",
        weight: 0.5,
        latency_factor: 1.0,
        success_status: "200",
    },
    Route {
        method: "GET",
        path: "/api/products/:id",
        weight: 0.25,
        latency_factor: 0.6,
        success_status: "200",
    },
    Route {
        method: "POST",
        path: "/api/cart",
        weight: 0.15,
        latency_factor: 1.5,
        success_status: "201",
    },
    Route {
        method: "POST",
        path: "/api/checkout",
        weight: 0.1,
        latency_factor: 4.0,
        success_status: "200",
    },
];

/// Share of successful requests answered 404 (client errors, not failures).
const NOT_FOUND_RATIO: f64 = 0.02;

/// Settings of the simulated service.
#[derive(Clone, Debug, PartialEq)]
pub struct SimConfig {
    pub seed: u64,
    pub requests_per_s: f64,
    /// Share of requests that fail with a 5xx status, from 0 to 1.
    pub error_ratio: f64,
    pub latency_median_s: f64,
    /// Spread of the log-normal latency (σ of the underlying normal).
    pub latency_sigma: f64,
    pub scrape_interval_ms: i64,
    pub job: String,
    pub instance: String,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            seed: 42,
            requests_per_s: 20.0,
            error_ratio: 0.005,
            latency_median_s: 0.05,
            latency_sigma: 0.6,
            scrape_interval_ms: 15_000,
            job: "demo".to_string(),
            instance: "shop:8080".to_string(),
        }
    }
}

/// Settings the simulator cannot run with.
#[derive(Clone, Debug, PartialEq, Error)]
#[non_exhaustive]
pub enum SimError {
    /// Occurs when a setting is outside its range.
    #[error("{setting} must be {expected}, got {got}")]
    OutOfRange {
        setting: &'static str,
        expected: &'static str,
        got: String,
    },
}

impl SimConfig {
    /// Checks every setting is in its range.
    pub fn validate(&self) -> Result<(), SimError> {
        let out = |setting, expected, got: String| {
            Err(SimError::OutOfRange {
                setting,
                expected,
                got,
            })
        };
        if !(0.0..=MAX_REQUESTS_PER_S).contains(&self.requests_per_s) {
            return out(
                "requests_per_s",
                "between 0 and 10000",
                self.requests_per_s.to_string(),
            );
        }
        if !(0.0..=1.0).contains(&self.error_ratio) {
            return out(
                "error_ratio",
                "between 0 and 1",
                self.error_ratio.to_string(),
            );
        }
        if !(self.latency_median_s > 0.0 && self.latency_median_s < 1e6) {
            return out(
                "latency_median_s",
                "positive",
                self.latency_median_s.to_string(),
            );
        }
        if !(0.0..=5.0).contains(&self.latency_sigma) {
            return out(
                "latency_sigma",
                "between 0 and 5",
                self.latency_sigma.to_string(),
            );
        }
        if self.scrape_interval_ms < TICK_MS {
            return out(
                "scrape_interval",
                "at least 1s",
                format!("{}ms", self.scrape_interval_ms),
            );
        }
        Ok(())
    }
}

/// The simulator: a registry of instruments, fed by generated requests.
#[derive(Clone, Debug)]
pub struct Simulator {
    config: SimConfig,
    rng: Pcg64Mcg,
    registry: Registry,
    requests_total: FamilyId,
    request_duration: FamilyId,
    next_tick_ms: i64,
    next_scrape_ms: i64,
    requests_served: u64,
    scraper: Scraper,
    driven: Vec<DrivenMetric>,
}

/// A metric the user defined, as the form in the app describes it.
#[derive(Clone, Debug, PartialEq)]
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

impl Simulator {
    /// A simulator whose virtual time starts at `start_ms`.
    pub fn new(config: SimConfig, start_ms: i64) -> Result<Simulator, SimError> {
        config.validate()?;
        let mut registry = Registry::default();
        let requests_total = registry
            .register(
                "http_requests_total",
                "Total number of HTTP requests.",
                MetricKind::Counter,
                &["method", "route", "status"],
            )
            .expect("static metric definition is valid");
        let request_duration = registry
            .register(
                "http_request_duration_seconds",
                "HTTP request latency in seconds.",
                MetricKind::Histogram {
                    upper_bounds: DURATION_BUCKETS.to_vec(),
                },
                &["method", "route"],
            )
            .expect("static metric definition is valid");
        let interval = config.scrape_interval_ms;
        let scraper = Scraper::new(&config.job, &config.instance);
        Ok(Simulator {
            scraper,
            rng: Pcg64Mcg::seed_from_u64(config.seed),
            next_tick_ms: start_ms.saturating_add(TICK_MS),
            // Scrapes fall on multiples of the interval, as Prometheus aligns them.
            next_scrape_ms: start_ms.div_euclid(interval) * interval + interval,
            config,
            registry,
            requests_total,
            request_duration,
            requests_served: 0,
            driven: Vec::new(),
        })
    }

    pub fn config(&self) -> &SimConfig {
        &self.config
    }

    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    pub fn registry_mut(&mut self) -> &mut Registry {
        &mut self.registry
    }

    /// Requests simulated so far.
    pub fn requests_served(&self) -> u64 {
        self.requests_served
    }

    /// Sets the request rate, clamped to `0..=MAX_REQUESTS_PER_S`.
    pub fn set_requests_per_s(&mut self, rate: f64) {
        self.config.requests_per_s = if rate.is_nan() {
            0.0
        } else {
            rate.clamp(0.0, MAX_REQUESTS_PER_S)
        };
    }

    /// Sets the share of failing requests, clamped to `0..=1`.
    pub fn set_error_ratio(&mut self, ratio: f64) {
        self.config.error_ratio = if ratio.is_nan() {
            0.0
        } else {
            ratio.clamp(0.0, 1.0)
        };
    }

    /// Simulates every tick and scrape up to and including `to_ms`.
    pub fn advance_to(
        &mut self,
        to_ms: i64,
        store: &mut impl SeriesStore,
    ) -> Result<(), AppendError> {
        loop {
            let next = self.next_tick_ms.min(self.next_scrape_ms);
            if next > to_ms {
                return Ok(());
            }
            // A request at the scrape's instant is seen by that scrape.
            if self.next_tick_ms <= self.next_scrape_ms {
                self.tick();
                self.next_tick_ms += TICK_MS;
            } else {
                let ts_ms = self.next_scrape_ms;
                self.next_scrape_ms += self.config.scrape_interval_ms;
                self.scrape(ts_ms, store)?;
            }
        }
    }

    fn tick(&mut self) {
        let now_ms = self.next_tick_ms;
        self.drive_custom_metrics(now_ms);
        let expected = self.config.requests_per_s * TICK_MS as f64 / 1000.0;
        let count = match Poisson::new(expected) {
            Ok(poisson) => poisson.sample(&mut self.rng) as u64,
            Err(_) => 0, // a rate of zero
        };
        let total_weight: f64 = ROUTES.iter().map(|r| r.weight).sum();
        for _ in 0..count {
            let mut pick = self.rng.random::<f64>() * total_weight;
            let route = ROUTES
                .iter()
                .find(|r| {
                    pick -= r.weight;
                    pick < 0.0
                })
                .unwrap_or(&ROUTES[0]);
            let (status, latency_factor) = if self.rng.random::<f64>() < self.config.error_ratio {
                // Most failures are slow internal errors, some are fast 503s.
                if self.rng.random::<f64>() < 0.8 {
                    ("500", 1.5)
                } else {
                    ("503", 0.2)
                }
            } else if self.rng.random::<f64>() < NOT_FOUND_RATIO {
                ("404", 0.3)
            } else {
                (route.success_status, 1.0)
            };
            let median = self.config.latency_median_s * route.latency_factor * latency_factor;
            let latency_s = LogNormal::new(median.ln(), self.config.latency_sigma)
                .map(|d| d.sample(&mut self.rng))
                .unwrap_or(median);
            let labels = [route.method, route.path, status];
            self.registry
                .counter_inc_by(self.requests_total, &labels, 1.0)
                .expect("label count matches the registered family");
            self.registry
                .histogram_observe(self.request_duration, &labels[..2], latency_s)
                .expect("label count matches the registered family");
            self.requests_served += 1;
        }
    }

    fn scrape(&mut self, ts_ms: i64, store: &mut impl SeriesStore) -> Result<(), AppendError> {
        let families = self.registry.gather(ts_ms);
        // A simulated scrape takes about a millisecond plus 2 µs a sample.
        let samples: usize = families.iter().map(|f| f.samples.len()).sum();
        let duration_s = 0.001 + samples as f64 * 2e-6;
        let report = self
            .scraper
            .ingest(store, Some(&families), ts_ms, duration_s);
        match report.refused.into_iter().next() {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    /// Registers a user-defined metric; if `driven`, every tick gives it
    /// plausible values (counters grow, gauges wander, histograms and
    /// summaries observe log-normal values around `typical_value`).
    pub fn define(&mut self, definition: &MetricDefinition) -> Result<(), MetricsError> {
        let names: Vec<&str> = definition.labels.iter().map(|(n, _)| n.as_str()).collect();
        let id = self.registry.register(
            &definition.name,
            &definition.help,
            definition.kind.clone(),
            &names,
        )?;
        let values: Vec<&str> = definition.labels.iter().map(|(_, v)| v.as_str()).collect();
        // Counters and gauges exist from the start; the others from their first observation.
        match definition.kind {
            MetricKind::Counter => self.registry.counter_inc_by(id, &values, 0.0)?,
            MetricKind::Gauge => self
                .registry
                .gauge_set(id, &values, definition.typical_value)?,
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
        Ok(())
    }

    fn drive_custom_metrics(&mut self, now_ms: i64) {
        for metric in &self.driven {
            let values: Vec<&str> = metric.label_values.iter().map(String::as_str).collect();
            let typical = metric.typical_value;
            let jitter = self.rng.random::<f64>();
            // Registered by `define`, so kinds and label counts match.
            let _ = match metric.kind {
                MetricKind::Counter => {
                    self.registry
                        .counter_inc_by(metric.id, &values, typical.abs() * 2.0 * jitter)
                }
                MetricKind::Gauge => {
                    self.registry
                        .gauge_set(metric.id, &values, typical * (0.8 + 0.4 * jitter))
                }
                MetricKind::Histogram { .. } | MetricKind::Summary { .. } => {
                    let median = if typical > 0.0 { typical } else { 1.0 };
                    let v = LogNormal::new(median.ln(), 0.5)
                        .map_or(median, |d| d.sample(&mut self.rng));
                    match metric.kind {
                        MetricKind::Summary { .. } => {
                            self.registry.summary_observe(metric.id, &values, v, now_ms)
                        }
                        _ => self.registry.histogram_observe(metric.id, &values, v),
                    }
                }
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expfmt::{Format, render};
    use crate::labels::Matcher;
    use crate::tsdb::Tsdb;

    fn run(config: SimConfig, chunks: &[i64]) -> (Simulator, Tsdb) {
        let mut store = Tsdb::default();
        let mut sim = Simulator::new(config, 0).unwrap();
        for &to in chunks {
            sim.advance_to(to, &mut store).unwrap();
        }
        (sim, store)
    }

    #[test]
    fn same_seed_same_output_however_time_is_chunked() {
        let (mut a, _) = run(SimConfig::default(), &[600_000]);
        let (mut b, _) = run(
            SimConfig::default(),
            &[1, 999, 1_000, 77_777, 300_000, 600_000],
        );
        assert_eq!(
            render(&a.registry_mut().gather(600_000), Format::Text),
            render(&b.registry_mut().gather(600_000), Format::Text)
        );
        let (mut c, _) = run(
            SimConfig {
                seed: 7,
                ..SimConfig::default()
            },
            &[600_000],
        );
        assert_ne!(
            render(&a.registry_mut().gather(600_000), Format::Text),
            render(&c.registry_mut().gather(600_000), Format::Text)
        );
    }

    #[test]
    fn counters_add_up_to_requests_served() {
        let (mut sim, _) = run(SimConfig::default(), &[600_000]);
        let total: f64 = sim
            .registry_mut()
            .samples(600_000)
            .iter()
            .filter(|(l, _)| l.metric_name() == Some("http_requests_total"))
            .map(|(_, v)| v)
            .sum();
        assert_eq!(total, sim.requests_served() as f64);
        // About 20 req/s over 600 s.
        assert!((11_000.0..13_000.0).contains(&total), "{total}");
    }

    #[test]
    fn error_ratio_is_respected() {
        let config = SimConfig {
            error_ratio: 0.25,
            ..SimConfig::default()
        };
        let (mut sim, _) = run(config, &[3_600_000]);
        let (mut errors, mut total) = (0.0, 0.0);
        for (labels, v) in sim.registry_mut().samples(3_600_000) {
            if labels.metric_name() == Some("http_requests_total") {
                total += v;
                if labels.get("status").is_some_and(|s| s.starts_with('5')) {
                    errors += v;
                }
            }
        }
        assert!((errors / total - 0.25).abs() < 0.01, "{}", errors / total);
    }

    #[test]
    fn scrapes_are_aligned_and_labelled() {
        let (_, store) = run(SimConfig::default(), &[60_000]);
        let series = store.select(&[Matcher::metric("http_requests_total")], 0, 60_000);
        assert!(!series.is_empty());
        for s in &series {
            assert_eq!(s.labels.get("job"), Some("demo"));
            let times: Vec<i64> = s.samples.iter().map(|x| x.ts_ms).collect();
            assert!(times.iter().all(|t| t % 15_000 == 0), "{times:?}");
        }
    }

    #[test]
    fn bad_settings_are_refused_or_clamped() {
        assert!(
            Simulator::new(
                SimConfig {
                    error_ratio: 2.0,
                    ..SimConfig::default()
                },
                0
            )
            .is_err()
        );
        assert!(
            Simulator::new(
                SimConfig {
                    scrape_interval_ms: 0,
                    ..SimConfig::default()
                },
                0
            )
            .is_err()
        );
        assert!(
            Simulator::new(
                SimConfig {
                    requests_per_s: f64::NAN,
                    ..SimConfig::default()
                },
                0
            )
            .is_err()
        );
        let mut sim = Simulator::new(SimConfig::default(), 0).unwrap();
        sim.set_error_ratio(f64::NAN);
        sim.set_requests_per_s(1e12);
        assert_eq!(sim.config().error_ratio, 0.0);
        assert_eq!(sim.config().requests_per_s, MAX_REQUESTS_PER_S);
    }
}
