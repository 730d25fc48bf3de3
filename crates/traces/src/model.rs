//! The OpenTelemetry span data model, as OTLP carries it.

use std::fmt;

/// A 16-byte trace id; printed as 32 lowercase hex digits.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TraceId(pub [u8; 16]);

/// An 8-byte span id; printed as 16 lowercase hex digits.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SpanId(pub [u8; 8]);

fn parse_hex<const N: usize>(text: &str) -> Option<[u8; N]> {
    if text.len() != 2 * N || !text.is_ascii() {
        return None;
    }
    let mut out = [0u8; N];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&text[2 * i..2 * i + 2], 16).ok()?;
    }
    Some(out)
}

/// Lower-case hex, written at once: ids are printed into every log line
/// the shop writes, and a `{:02x}` per byte made that a fifth of the
/// demo's start.
fn write_hex(f: &mut fmt::Formatter<'_>, bytes: &[u8]) -> fmt::Result {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = [0u8; 32];
    for (pair, b) in out.chunks_exact_mut(2).zip(bytes) {
        pair[0] = DIGITS[(b >> 4) as usize];
        pair[1] = DIGITS[(b & 0xf) as usize];
    }
    let hex = &out[..2 * bytes.len().min(16)];
    f.write_str(std::str::from_utf8(hex).map_err(|_| fmt::Error)?)
}

impl TraceId {
    /// From hex digits (either case, as OTLP/JSON allows).
    pub fn from_hex(text: &str) -> Option<TraceId> {
        parse_hex(text).map(TraceId)
    }

    pub fn is_valid(&self) -> bool {
        self.0 != [0; 16]
    }
}

impl SpanId {
    pub fn from_hex(text: &str) -> Option<SpanId> {
        parse_hex(text).map(SpanId)
    }

    pub fn is_valid(&self) -> bool {
        self.0 != [0; 8]
    }
}

impl fmt::Display for TraceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_hex(f, &self.0)
    }
}

impl fmt::Display for SpanId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_hex(f, &self.0)
    }
}

/// OTLP's `SpanKind`, by its number.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SpanKind {
    #[default]
    Unspecified = 0,
    Internal = 1,
    Server = 2,
    Client = 3,
    Producer = 4,
    Consumer = 5,
}

impl SpanKind {
    pub fn from_number(n: i64) -> Option<SpanKind> {
        Some(match n {
            0 => SpanKind::Unspecified,
            1 => SpanKind::Internal,
            2 => SpanKind::Server,
            3 => SpanKind::Client,
            4 => SpanKind::Producer,
            5 => SpanKind::Consumer,
            _ => return None,
        })
    }

    /// OTLP/JSON also allows the enum's name.
    pub fn from_name(name: &str) -> Option<SpanKind> {
        Some(match name {
            "SPAN_KIND_UNSPECIFIED" => SpanKind::Unspecified,
            "SPAN_KIND_INTERNAL" => SpanKind::Internal,
            "SPAN_KIND_SERVER" => SpanKind::Server,
            "SPAN_KIND_CLIENT" => SpanKind::Client,
            "SPAN_KIND_PRODUCER" => SpanKind::Producer,
            "SPAN_KIND_CONSUMER" => SpanKind::Consumer,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            SpanKind::Unspecified => "unspecified",
            SpanKind::Internal => "internal",
            SpanKind::Server => "server",
            SpanKind::Client => "client",
            SpanKind::Producer => "producer",
            SpanKind::Consumer => "consumer",
        }
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum StatusCode {
    #[default]
    Unset = 0,
    Ok = 1,
    Error = 2,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Status {
    pub code: StatusCode,
    pub message: String,
}

/// An attribute value (OTLP's `AnyValue`).
#[derive(Clone, Debug, PartialEq)]
pub enum AttrValue {
    String(String),
    Bool(bool),
    Int(i64),
    Double(f64),
    Bytes(String),
    Array(Vec<AttrValue>),
    KvList(Vec<(String, AttrValue)>),
}

impl fmt::Display for AttrValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AttrValue::String(s) | AttrValue::Bytes(s) => f.write_str(s),
            AttrValue::Bool(b) => write!(f, "{b}"),
            AttrValue::Int(i) => write!(f, "{i}"),
            AttrValue::Double(d) => f.write_str(&o11y_model::number::format_float(*d)),
            AttrValue::Array(items) => {
                f.write_str("[")?;
                for (i, v) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(",")?;
                    }
                    write!(f, "{v}")?;
                }
                f.write_str("]")
            }
            AttrValue::KvList(items) => {
                f.write_str("{")?;
                for (i, (k, v)) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(",")?;
                    }
                    write!(f, "{k}={v}")?;
                }
                f.write_str("}")
            }
        }
    }
}

pub type Attributes = Vec<(String, AttrValue)>;

/// A timed event on a span; an exception is an event named `exception`
/// with `exception.type`, `exception.message`, `exception.stacktrace`.
#[derive(Clone, Debug, PartialEq)]
pub struct Event {
    pub time_ns: i64,
    pub name: String,
    pub attributes: Attributes,
}

/// A link to a span of another (or the same) trace.
#[derive(Clone, Debug, PartialEq)]
pub struct Link {
    pub trace_id: TraceId,
    pub span_id: SpanId,
    pub attributes: Attributes,
}

/// One span, with the resource and scope it came from.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Span {
    pub trace_id: TraceId,
    pub span_id: SpanId,
    pub parent_span_id: Option<SpanId>,
    pub trace_state: String,
    pub name: String,
    pub kind: SpanKind,
    pub start_ns: i64,
    pub end_ns: i64,
    pub attributes: Attributes,
    pub events: Vec<Event>,
    pub links: Vec<Link>,
    pub status: Status,
    /// The resource's attributes (`service.name` among them).
    pub resource: Attributes,
    pub scope_name: String,
    pub scope_version: String,
}

impl Span {
    /// `service.name` of the resource, or `unknown_service`.
    pub fn service(&self) -> &str {
        self.resource
            .iter()
            .find(|(k, _)| k == "service.name")
            .and_then(|(_, v)| match v {
                AttrValue::String(s) => Some(s.as_str()),
                _ => None,
            })
            .unwrap_or("unknown_service")
    }

    pub fn duration_ns(&self) -> i64 {
        self.end_ns - self.start_ns
    }

    pub fn attribute(&self, key: &str) -> Option<&AttrValue> {
        self.attributes
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v)
    }

    /// Records an exception as OpenTelemetry does: an `exception` event.
    pub fn record_exception(&mut self, time_ns: i64, kind: &str, message: &str) {
        self.events.push(Event {
            time_ns,
            name: "exception".to_string(),
            attributes: vec![
                (
                    "exception.type".to_string(),
                    AttrValue::String(kind.to_string()),
                ),
                (
                    "exception.message".to_string(),
                    AttrValue::String(message.to_string()),
                ),
            ],
        });
    }
}
