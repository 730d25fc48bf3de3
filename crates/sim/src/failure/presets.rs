//! The failures the simulator panel offers as switches, each aimed at a
//! service of the topology in effect by its kind and place rather than its
//! name, so that they follow a renamed or replaced service; a preset the
//! topology has nothing for says why.

use super::Failure;
use crate::topology::{Service, Topology};

/// A failure switch of the simulator panel, aimed at a service of the
/// topology in effect.
#[derive(Clone, Debug, PartialEq)]
pub struct Preset {
    /// The test id's tail: the failure and its service (`latency-payment`).
    pub id: String,
    pub label: String,
    /// The failure, or why the topology has nothing it could act on.
    pub failure: Result<Failure, String>,
}

/// The failures one can switch on, each aimed at a service of `topology`
/// by its kind and place rather than its name, so that they follow a
/// renamed or replaced service. In the default shop: a latency spike in
/// payment (a service that calls nothing), errors in orders (the one that
/// uses the database) and in the frontend (where traffic enters), an
/// outage of the cache, a cache-miss storm, a memory leak in inventory
/// (the one that uses the cache) and a traffic flood.
pub fn presets(topology: &Topology) -> Vec<Preset> {
    let services = &topology.services;
    let entry = services.first();
    let downstream = || services.iter().skip(1);
    let kind_of = |name: &str| {
        services
            .iter()
            .find(|s| s.name == name)
            .map(|s| s.kind.as_str())
    };
    let calls_kind = |s: &Service, kind: &str| {
        s.endpoints
            .iter()
            .flat_map(|e| &e.calls)
            .any(|c| kind_of(&c.service) == Some(kind))
    };
    let is_http = |s: &&Service| s.kind == "http";
    let calls_nothing = |s: &&Service| s.endpoints.iter().all(|e| e.calls.is_empty());
    let name = |s: &Service| s.name.clone();
    // `unaimed`: what the panel calls it when it has no service to act on.
    let preset = |id: &str, unaimed: &str, failure: Result<Failure, String>| {
        let (id, label) = match &failure {
            Ok(f) => (
                f.service().map_or(id.to_string(), |s| format!("{id}-{s}")),
                describe(f),
            ),
            Err(_) => (id.to_string(), unaimed.to_string()),
        };
        Preset { id, label, failure }
    };
    let no_other = || "needs a service besides the entry service".to_string();

    let slow = downstream()
        .filter(is_http)
        .find(calls_nothing)
        .or_else(|| downstream().rfind(is_http))
        .or(entry)
        .map(name);
    let database_user = downstream()
        .find(|s| calls_kind(s, "postgresql"))
        .or_else(|| downstream().find(is_http))
        .map(name);
    let down = downstream()
        .find(|s| s.kind == "redis")
        .or_else(|| downstream().find(|s| s.kind == "postgresql"))
        .or_else(|| downstream().next())
        .map(name);
    let cache = services.iter().find(|s| s.kind == "redis");
    let leaking = downstream()
        .find(|s| calls_kind(s, "redis"))
        .or_else(|| downstream().find(is_http))
        .or(entry)
        .map(name);
    let mut out = vec![
        preset(
            "latency",
            "Latency spike ×10",
            slow.map(|service| Failure::LatencySpike {
                service,
                factor: 10.0,
            })
            .ok_or_else(no_other),
        ),
        preset(
            "errors",
            "Error burst 30 %",
            database_user
                .map(|service| Failure::ErrorBurst { service, rate: 0.3 })
                .ok_or_else(no_other),
        ),
    ];
    if let Some(entry) = entry {
        out.push(preset(
            "errors",
            "Error burst 20 %",
            Ok(Failure::ErrorBurst {
                service: entry.name.clone(),
                rate: 0.2,
            }),
        ));
    }
    out.extend([
        preset(
            "outage",
            "Outage",
            down.map(|service| Failure::Outage { service })
                .ok_or_else(no_other),
        ),
        Preset {
            id: "cache-storm".into(),
            label: describe(&Failure::CacheMissStorm),
            failure: cache
                .map(|_| Failure::CacheMissStorm)
                .ok_or_else(|| "needs a cache: a service of kind redis".to_string()),
        },
        preset(
            "leak",
            "Memory leak",
            leaking
                .map(|service| Failure::MemoryLeak { service })
                .ok_or_else(no_other),
        ),
        preset(
            "flood",
            "Traffic flood ×3",
            Ok(Failure::TrafficFlood { factor: 3.0 }),
        ),
    ]);
    out
}

/// A failure as the panel names it: `Latency spike: payment ×10`.
pub fn describe(failure: &Failure) -> String {
    let number = o11y_model::number::format_float;
    match failure {
        Failure::LatencySpike { service, factor } => {
            format!("Latency spike: {service} ×{}", number(*factor))
        }
        Failure::ErrorBurst { service, rate } => {
            format!(
                "Error burst: {service} {} %",
                number((rate * 1000.0).round() / 10.0)
            )
        }
        Failure::Outage { service } => format!("Outage: {service}"),
        Failure::CacheMissStorm => "Cache-miss storm".to_string(),
        Failure::MemoryLeak { service } => format!("Memory leak: {service}"),
        Failure::TrafficFlood { factor } => format!("Traffic flood ×{}", number(*factor)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(topology: &Topology) -> Vec<(String, String, bool)> {
        presets(topology)
            .into_iter()
            .map(|p| (p.id, p.label, p.failure.is_ok()))
            .collect()
    }

    #[test]
    fn the_default_shop_keeps_its_presets() {
        let got: Vec<(String, String)> = presets(&Topology::default())
            .into_iter()
            .map(|p| (p.id, p.label))
            .collect();
        let want = [
            ("latency-payment", "Latency spike: payment ×10"),
            ("errors-orders", "Error burst: orders 30 %"),
            ("errors-frontend", "Error burst: frontend 20 %"),
            ("outage-redis", "Outage: redis"),
            ("cache-storm", "Cache-miss storm"),
            ("leak-inventory", "Memory leak: inventory"),
            ("flood", "Traffic flood ×3"),
        ];
        assert_eq!(got, want.map(|(a, b)| (a.to_string(), b.to_string())));
        // Every one applies to the shop it was made for.
        for p in presets(&Topology::default()) {
            p.failure.unwrap().check(&Topology::default()).unwrap();
        }
    }

    // The presets named the default shop's services: after a rename they
    // switched on failures that acted on nothing.
    #[test]
    fn presets_follow_renamed_services_by_kind_and_place() {
        let mut t = Topology::default();
        let rename = |t: &mut Topology, from: &str, to: &str| {
            for s in &mut t.services {
                if s.name == from {
                    s.name = to.into();
                }
                for c in s.endpoints.iter_mut().flat_map(|e| &mut e.calls) {
                    if c.service == from {
                        c.service = to.into();
                    }
                }
            }
        };
        rename(&mut t, "frontend", "web");
        rename(&mut t, "redis", "memcache");
        rename(&mut t, "inventory", "stock");
        t.validate().unwrap();
        let got = ids(&t);
        assert_eq!(got[2].0, "errors-web");
        assert_eq!(got[3].0, "outage-memcache");
        assert_eq!(got[5].0, "leak-stock");
        for p in presets(&t) {
            p.failure.unwrap().check(&t).unwrap();
        }
    }

    #[test]
    fn a_topology_without_a_cache_or_a_second_service_disables_what_needs_them() {
        let mut t = Topology::default();
        t.services.truncate(1);
        t.services[0]
            .endpoints
            .iter_mut()
            .for_each(|e| e.calls.clear());
        t.validate().unwrap();
        let got = ids(&t);
        let disabled: Vec<&str> = got
            .iter()
            .filter(|(_, _, ok)| !ok)
            .map(|(id, _, _)| id.as_str())
            .collect();
        assert_eq!(disabled, ["errors", "outage", "cache-storm"]);
        let storm = presets(&t)
            .into_iter()
            .find(|p| p.id == "cache-storm")
            .unwrap();
        assert_eq!(
            storm.failure,
            Err("needs a cache: a service of kind redis".to_string())
        );
        // What needs no other service aims at the one there is.
        assert!(
            got.iter()
                .any(|(id, _, ok)| id == "latency-frontend" && *ok)
        );
        assert!(got.iter().any(|(id, _, ok)| id == "leak-frontend" && *ok));
        for p in presets(&t) {
            if let Ok(f) = p.failure {
                f.check(&t).unwrap();
            }
        }
    }

    #[test]
    fn failures_are_described_with_round_numbers() {
        assert_eq!(
            describe(&Failure::ErrorBurst {
                service: "a".into(),
                rate: 0.125
            }),
            "Error burst: a 12.5 %"
        );
        assert_eq!(
            describe(&Failure::TrafficFlood { factor: 2.5 }),
            "Traffic flood ×2.5"
        );
    }
}
