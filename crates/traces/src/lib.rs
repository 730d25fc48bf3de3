//! Traces: the OpenTelemetry span model, W3C trace context (`traceparent`),
//! a bounded trace store with search, and OTLP/JSON import and export.

pub mod model;
pub mod otlp;
pub mod store;
pub mod traceparent;
pub mod view;

pub use model::{AttrValue, Event, Span, SpanId, SpanKind, Status, StatusCode, TraceId};
pub use store::{TraceQuery, TraceStore, TraceSummary};
pub use traceparent::TraceParent;

/// A span in one line, for tests: ids of one repeated byte, a service, a
/// name, start and end, an error or not, and an `http.route` of `/cart`.
#[cfg(test)]
#[allow(clippy::too_many_arguments)] // a test's one-line span builder
pub(crate) fn test_span(
    trace: u8,
    id: u8,
    parent: Option<u8>,
    service: &str,
    name: &str,
    start: i64,
    end: i64,
    error: bool,
) -> model::Span {
    Span {
        trace_id: model::TraceId([trace; 16]),
        span_id: model::SpanId([id; 8]),
        parent_span_id: parent.map(|p| model::SpanId([p; 8])),
        name: name.to_string(),
        start_ns: start,
        end_ns: end,
        status: model::Status {
            code: if error {
                model::StatusCode::Error
            } else {
                model::StatusCode::Unset
            },
            message: String::new(),
        },
        attributes: vec![(
            "http.route".to_string(),
            model::AttrValue::String("/cart".to_string()),
        )],
        resource: vec![(
            "service.name".to_string(),
            model::AttrValue::String(service.to_string()),
        )],
        ..model::Span::default()
    }
}
