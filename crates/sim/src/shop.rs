//! The shop's simulator, [`ShopSim`]: every simulated second, requests
//! enter the topology's first service (Poisson arrivals, following a day
//! when the topology says so), and each walks the call graph
//! (`request.rs`), producing from the same data OpenTelemetry spans
//! (server and client spans, W3C trace context across services), a JSON
//! log line per server span, and RED metrics per service; carts and
//! checkouts feed the business metrics (`metrics.rs` lists every family).
//! Failures ([`crate::failure`]) can be switched on now or scheduled at a
//! virtual time. Deterministic for a seed.
//!
//! Beyond a detail budget ([`ShopSim::set_detail_per_s`]) requests only
//! count in the metrics, as a tracer's sampler keeps a real system's
//! overhead down.
//!
//! Memory is not set by the user: each service's resident memory is
//! 200 MB, growing by 1 MB a simulated second during a memory leak.
//!
//! ```
//! use o11y_sim::shop::ShopSim;
//! use o11y_sim::topology::Topology;
//! let mut shop = ShopSim::new(Topology::default(), 1, 0).unwrap();
//! shop.advance_to(10_000);
//! assert!(shop.requests() > 0);
//! assert!(!shop.drain_spans().is_empty());
//! ```

mod metrics;
mod request;
#[cfg(test)]
mod tests;

pub use metrics::DURATION_BUCKETS;

use rand::{Rng, SeedableRng};
use rand_distr::{Distribution, LogNormal, Poisson};
use rand_pcg::Pcg64Mcg;

use o11y_metrics::instrument::Registry;
use o11y_traces::model::{Span, TraceId};

use crate::failure::{Failure, Injection};
use crate::topology::{MAX_REQUESTS_PER_S, MAX_TIME_MS, Topology, TopologyError};
use metrics::Families;
use request::Walk;

const TICK_MS: i64 = 1_000;

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

/// One JSON log line of the shop, with the service and level it is about.
#[derive(Clone, Debug, PartialEq)]
pub struct ShopLog {
    pub ts_ms: i64,
    pub service: String,
    pub level: &'static str,
    pub line: String,
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

    /// Requests that entered the shop so far.
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
}
