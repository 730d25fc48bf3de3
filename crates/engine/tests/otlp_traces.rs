//! OTLP/JSON traces from the OpenTelemetry examples import, export, and
//! import back to the same spans.

use o11y_engine::traces::otlp::{export, import};
use o11y_engine::traces::{SpanKind, TraceStore};

mod common;

#[test]
fn opentelemetry_example_trace_round_trips() {
    let path = common::conformance_dir().join("otlp/trace.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let spans = import(&text).expect("the example imports");
    assert_eq!(spans.len(), 1);
    let s = &spans[0];
    assert_eq!(s.trace_id.to_string(), "5b8efff798038103d269b633813fc60c");
    assert_eq!(s.span_id.to_string(), "eee19b7ec3c1b174");
    assert_eq!(
        s.parent_span_id.map(|p| p.to_string()).as_deref(),
        Some("eee19b7ec3c1b173")
    );
    assert_eq!(
        (s.name.as_str(), s.kind, s.service()),
        ("I'm a server span", SpanKind::Server, "my.service")
    );
    assert_eq!(s.duration_ns(), 1_000_000_000);
    assert_eq!(
        s.attribute("my.span.attr")
            .map(|v| v.to_string())
            .as_deref(),
        Some("some value")
    );
    assert_eq!(
        (s.scope_name.as_str(), s.scope_version.as_str()),
        ("my.library", "1.0.0")
    );

    let again = import(&export(&spans)).expect("an export imports");
    assert_eq!(again, spans);
    assert_eq!(export(&again), export(&spans));

    let mut store = TraceStore::default();
    for s in spans {
        store.insert(s);
    }
    assert_eq!(
        store.search(&Default::default())[0].root_service,
        "my.service"
    );
}
