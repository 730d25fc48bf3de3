//! The simulated shop's traces as the Traces page shows them: its
//! service map and a checkout's waterfall with the critical path.

use o11y_sim::shop::ShopSim;
use o11y_sim::topology::Topology;
use o11y_traces::TraceStore;
use o11y_traces::view::*;

#[test]
fn the_shops_map_and_a_waterfall() {
    let mut sim = ShopSim::new(Topology::default(), 2, 0).unwrap();
    sim.advance_to(30_000);
    let mut store = TraceStore::default();
    for s in sim.drain_spans() {
        store.insert(s);
    }
    let (nodes, edges) = service_map(&store);
    let names: Vec<&str> = nodes.iter().map(|n| n.service.as_str()).collect();
    assert_eq!(
        names,
        [
            "api-gateway",
            "frontend",
            "inventory",
            "orders",
            "payment",
            "postgres",
            "redis"
        ]
    );
    let layer = |s: &str| nodes.iter().find(|n| n.service == s).unwrap().layer;
    assert_eq!(
        (
            layer("frontend"),
            layer("api-gateway"),
            layer("orders"),
            layer("postgres")
        ),
        (0, 1, 2, 3)
    );
    assert!(
        edges
            .iter()
            .any(|e| e.from == "orders" && e.to == "postgres" && e.calls > 0)
    );
    assert!(
        !edges
            .iter()
            .any(|e| e.from == "frontend" && e.to == "postgres")
    );

    // A checkout: frontend → client → gateway → … in tree order, the critical path from the root.
    let checkout = store
        .iter()
        .find(|(_, spans)| spans.iter().any(|s| s.name == "POST /checkout"))
        .map(|(id, _)| *id)
        .unwrap();
    let spans = store.trace(&checkout).unwrap();
    let rows = waterfall(&spans);
    assert_eq!(rows.len(), spans.len());
    assert_eq!(
        (rows[0].depth, spans[rows[0].span].name.as_str()),
        (0, "POST /checkout")
    );
    assert!(rows[0].critical);
    assert!(rows.iter().filter(|r| r.critical).count() >= 4);
    // A checkout calls inventory, payment and orders one after another: all three are critical.
    for name in ["GET /stock", "POST /charge", "POST /orders"] {
        assert!(
            rows.iter()
                .any(|r| r.critical && spans[r.span].name.ends_with(name)),
            "{name}"
        );
    }
    for w in rows.windows(2) {
        assert!(w[1].depth <= w[0].depth + 1);
    }
}
