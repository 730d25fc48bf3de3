//! The metric families the shop records into: RED metrics per service
//! (`http_requests_total`, `http_request_duration_seconds` with exemplars),
//! memory and requests in flight per service, and the business metrics
//! (orders, order value, cart abandonment, sign-ups, product views).

use o11y_metrics::instrument::{FamilyId, MetricKind, Registry};

/// The families the shop records into.
#[derive(Clone, Debug)]
pub(super) struct Families {
    pub(super) requests_total: FamilyId,
    pub(super) duration: FamilyId,
    pub(super) memory: FamilyId,
    pub(super) in_flight: FamilyId,
    pub(super) orders: FamilyId,
    pub(super) order_value: FamilyId,
    pub(super) abandonment: FamilyId,
    pub(super) registrations: FamilyId,
    pub(super) product_views: FamilyId,
}

impl Families {
    pub(super) fn register(registry: &mut Registry) -> Families {
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

/// Seconds buckets of the duration histograms.
pub const DURATION_BUCKETS: [f64; 11] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];
