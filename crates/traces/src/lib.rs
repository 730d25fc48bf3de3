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
