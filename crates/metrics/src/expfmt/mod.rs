//! Exposition formats: the Prometheus text format 0.0.4 and OpenMetrics 1.0.
//!
//! [`parse`] reads either format into [`Family`]s, reporting each bad line
//! with its line and column; [`render`] writes families back in canonical
//! form. Numbers are printed as Go's `strconv.FormatFloat(v, 'g', -1, 64)`
//! prints them, which is what Prometheus and client_golang emit (`1e+06`,
//! `0.0001`, `+Inf`, `NaN`).
//!
//! ```
//! use o11y_metrics::expfmt::{parse, render, Format};
//!
//! let text = "# TYPE up gauge\nup{job=\"api\"} 1\n";
//! let families = parse(text, Format::Text).unwrap();
//! assert_eq!(render(&families, Format::Text), text);
//!
//! let err = parse("up{job=\"api} 1\n", Format::Text).unwrap_err();
//! assert_eq!((err[0].line, err[0].column), (1, 8));
//! // As a diagnostic: the same place, written as the house writes it.
//! let d = o11y_model::diag::Diagnostic::from(&err[0]);
//! assert_eq!((d.line, d.col), (1, 8));
//! assert_eq!(d.to_string(), format!("1:8: {}", err[0].message));
//! ```

mod parse;

pub use parse::{MAX_ERRORS, ParseError, parse};

use o11y_model::labels::escape_label_value;
use o11y_model::number::format_float;

/// Which exposition format a text is in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// The Prometheus text format, version 0.0.4.
    Text,
    /// OpenMetrics 1.0 text.
    OpenMetrics,
}

impl Format {
    /// OpenMetrics if the text has a `# EOF` line, the text format otherwise.
    pub fn detect(text: &str) -> Format {
        if text.lines().any(|l| l.trim_end_matches('\r') == "# EOF") {
            Format::OpenMetrics
        } else {
            Format::Text
        }
    }
}

/// The type a family declares with `# TYPE`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MetricType {
    Counter,
    Gauge,
    Histogram,
    GaugeHistogram,
    Summary,
    Info,
    StateSet,
    /// `untyped` in the text format, `unknown` in OpenMetrics, or no TYPE line.
    Unknown,
}

impl MetricType {
    /// The type named in a `# TYPE` line, if the format has it.
    pub fn parse(name: &str, format: Format) -> Option<MetricType> {
        use MetricType::*;
        Some(match (name, format) {
            ("counter", _) => Counter,
            ("gauge", _) => Gauge,
            ("histogram", _) => Histogram,
            ("summary", _) => Summary,
            ("untyped", Format::Text) | ("unknown", Format::OpenMetrics) => Unknown,
            ("gaugehistogram", Format::OpenMetrics) => GaugeHistogram,
            ("info", Format::OpenMetrics) => Info,
            ("stateset", Format::OpenMetrics) => StateSet,
            _ => return None,
        })
    }

    /// The name `# TYPE` uses for this type in a format. Types the text
    /// format lacks are written as `untyped` there.
    pub fn name(self, format: Format) -> &'static str {
        use MetricType::*;
        match (self, format) {
            (Counter, _) => "counter",
            (Gauge, _) => "gauge",
            (Histogram, _) => "histogram",
            (Summary, _) => "summary",
            (GaugeHistogram, Format::OpenMetrics) => "gaugehistogram",
            (Info, Format::OpenMetrics) => "info",
            (StateSet, Format::OpenMetrics) => "stateset",
            (Unknown, Format::OpenMetrics) => "unknown",
            (_, Format::Text) => "untyped",
        }
    }
}

/// An exemplar attached to a sample (OpenMetrics only).
#[derive(Clone, Debug, PartialEq)]
pub struct Exemplar {
    pub labels: Vec<(String, String)>,
    pub value: f64,
    pub ts_ms: Option<i64>,
}

/// One sample line: the full metric name (with any `_bucket`, `_total`…
/// suffix), labels in the order written, the value and optional timestamp.
#[derive(Clone, Debug, PartialEq)]
pub struct ParsedSample {
    pub name: String,
    pub labels: Vec<(String, String)>,
    pub value: f64,
    pub ts_ms: Option<i64>,
    pub exemplar: Option<Exemplar>,
    /// The 1-based line it came from (0 when not parsed from text).
    pub line: usize,
}

/// A metric family: metadata and its samples.
#[derive(Clone, Debug, PartialEq)]
pub struct Family {
    pub name: String,
    pub help: Option<String>,
    pub unit: Option<String>,
    pub kind: MetricType,
    pub samples: Vec<ParsedSample>,
}

impl Family {
    pub fn new(name: &str, kind: MetricType) -> Family {
        Family {
            name: name.to_string(),
            help: None,
            unit: None,
            kind,
            samples: Vec::new(),
        }
    }
}

fn push_help(out: &mut String, help: &str, format: Format) {
    for c in help.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '"' if format == Format::OpenMetrics => out.push_str("\\\""),
            c => out.push(c),
        }
    }
}

fn push_labels(out: &mut String, labels: &[(String, String)]) {
    if labels.is_empty() {
        return;
    }
    out.push('{');
    for (i, (name, value)) in labels.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(name);
        out.push_str("=\"");
        escape_label_value(value, out);
        out.push('"');
    }
    out.push('}');
}

/// Seconds with up to millisecond precision, as OpenMetrics writes timestamps.
fn format_seconds(ms: i64) -> String {
    let sign = if ms < 0 { "-" } else { "" };
    let abs = ms.unsigned_abs();
    let text = format!("{sign}{}.{:03}", abs / 1000, abs % 1000);
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// The name a family has in a format's metadata lines: OpenMetrics counters
/// drop the `_total` their samples carry.
fn metadata_name(family: &Family, format: Format) -> &str {
    match (family.kind, format) {
        (MetricType::Counter, Format::OpenMetrics) => {
            family.name.strip_suffix("_total").unwrap_or(&family.name)
        }
        _ => &family.name,
    }
}

/// Renders families in canonical form: `HELP`, `TYPE` (and in OpenMetrics
/// `UNIT`) lines, then samples with labels in their order, single spaces,
/// Go-style numbers. Exemplars and units exist only in OpenMetrics, which
/// ends with `# EOF`. A text-format counter sample named without `_total`
/// gets it in OpenMetrics.
pub fn render(families: &[Family], format: Format) -> String {
    let mut out = String::new();
    for family in families {
        let name = metadata_name(family, format);
        if let Some(help) = &family.help {
            out.push_str("# HELP ");
            out.push_str(name);
            out.push(' ');
            push_help(&mut out, help, format);
            out.push('\n');
        }
        if family.kind != MetricType::Unknown || format == Format::OpenMetrics {
            out.push_str("# TYPE ");
            out.push_str(name);
            out.push(' ');
            out.push_str(family.kind.name(format));
            out.push('\n');
        }
        if let (Some(unit), Format::OpenMetrics) = (&family.unit, format) {
            out.push_str("# UNIT ");
            out.push_str(name);
            out.push(' ');
            out.push_str(unit);
            out.push('\n');
        }
        for sample in &family.samples {
            let counter_without_total = family.kind == MetricType::Counter
                && format == Format::OpenMetrics
                && sample.name == family.name
                && !family.name.ends_with("_total");
            out.push_str(&sample.name);
            if counter_without_total {
                out.push_str("_total");
            }
            push_labels(&mut out, &sample.labels);
            out.push(' ');
            out.push_str(&format_float(sample.value));
            if let Some(ts_ms) = sample.ts_ms {
                out.push(' ');
                out.push_str(&match format {
                    Format::Text => ts_ms.to_string(),
                    Format::OpenMetrics => format_seconds(ts_ms),
                });
            }
            if let (Some(exemplar), Format::OpenMetrics) = (&sample.exemplar, format) {
                out.push_str(" # ");
                out.push_str(if exemplar.labels.is_empty() { "{}" } else { "" });
                push_labels(&mut out, &exemplar.labels);
                out.push(' ');
                out.push_str(&format_float(exemplar.value));
                if let Some(ts_ms) = exemplar.ts_ms {
                    out.push(' ');
                    out.push_str(&format_seconds(ts_ms));
                }
            }
            out.push('\n');
        }
    }
    if format == Format::OpenMetrics {
        out.push_str("# EOF\n");
    }
    out
}
