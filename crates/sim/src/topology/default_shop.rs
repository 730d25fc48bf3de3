//! The shop the demo starts with: `frontend → api-gateway → {orders,
//! payment, inventory}`, `orders → postgres`, `inventory → redis`.

use super::{Call, Endpoint, EntryPoint, Service, Topology, default_timeout};

/// An endpoint with the default spread, its calls with the default
/// timeout and no retries.
pub(super) fn ep(
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
