//! Exposition formats: the Prometheus text format 0.0.4 and OpenMetrics 1.0.
//!
//! [`parse`] reads either format into [`Family`]s, reporting each bad line
//! with its line and column; [`render`] writes families back in canonical
//! form. Numbers are printed as Go's `strconv.FormatFloat(v, 'g', -1, 64)`
//! prints them, which is what Prometheus and client_golang emit (`1e+06`,
//! `0.0001`, `+Inf`, `NaN`).
//!
//! ```
//! use o11y_engine::expfmt::{parse, render, Format};
//!
//! let text = "# TYPE up gauge\nup{job=\"api\"} 1\n";
//! let families = parse(text, Format::Text).unwrap();
//! assert_eq!(render(&families, Format::Text), text);
//!
//! let err = parse("up{job=\"api} 1\n", Format::Text).unwrap_err();
//! assert_eq!((err[0].line, err[0].column), (1, 8));
//! ```

mod parse;

pub use parse::{MAX_ERRORS, ParseError, parse, parse_float};

use crate::labels::escape_label_value;

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

/// Formats a float as Go's `%g` with the shortest exact digits.
pub fn format_float(v: f64) -> String {
    if v.is_nan() {
        return "NaN".to_string();
    }
    if v.is_infinite() {
        return if v > 0.0 { "+Inf" } else { "-Inf" }.to_string();
    }
    if v == 0.0 {
        return if v.is_sign_negative() { "-0" } else { "0" }.to_string();
    }
    // Rust's `{:e}` gives the shortest round-tripping digits, e.g. "1.25e-5".
    let sci = format!("{:e}", v.abs());
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    let sign = if v < 0.0 { "-" } else { "" };
    // Go's 'g' with the shortest precision uses the exponent form when
    // exp < -4 || exp >= 6 (strconv/ftoa.go: "if shortest { eprec = 6 }").
    if !(-4..6).contains(&exp) {
        let mut m = digits[..1].to_string();
        if digits.len() > 1 {
            m.push('.');
            m.push_str(&digits[1..]);
        }
        let exp_sign = if exp < 0 { '-' } else { '+' };
        return format!("{sign}{m}e{exp_sign}{:02}", exp.abs());
    }
    let point = exp + 1; // digits before the decimal point
    let body = if point <= 0 {
        format!("0.{}{}", "0".repeat((-point) as usize), digits)
    } else if point as usize >= digits.len() {
        format!("{}{}", digits, "0".repeat(point as usize - digits.len()))
    } else {
        format!(
            "{}.{}",
            &digits[..point as usize],
            &digits[point as usize..]
        )
    };
    format!("{sign}{body}")
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::{MetricKind, Registry};

    #[test]
    fn floats_format_like_go() {
        for (v, s) in [
            (1.0, "1"),
            (-2.5, "-2.5"),
            (100.0, "100"),
            (123456.0, "123456"),
            (999999.0, "999999"),
            (1234567.0, "1.234567e+06"),
            (1e21, "1e+21"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (1.5e-7, "1.5e-07"),
            (0.1 + 0.2, "0.30000000000000004"),
            (f64::NEG_INFINITY, "-Inf"),
            (f64::NAN, "NaN"),
        ] {
            assert_eq!(format_float(v), s, "{v:e}");
        }
    }

    #[test]
    fn renders_text_format() {
        let mut r = Registry::default();
        let c = r
            .register(
                "http_requests_total",
                "Total\nrequests \\ served.",
                MetricKind::Counter,
                &["code", "path"],
            )
            .unwrap();
        r.counter_inc_by(c, &["200", "/a\"b"], 3.0).unwrap();
        let h = r
            .register(
                "lat_seconds",
                "Latency.",
                MetricKind::Histogram {
                    upper_bounds: vec![0.5],
                },
                &[],
            )
            .unwrap();
        r.histogram_observe(h, &[], 0.25).unwrap();
        let expected = concat!(
            "# HELP http_requests_total Total\\nrequests \\\\ served.\n",
            "# TYPE http_requests_total counter\n",
            "http_requests_total{code=\"200\",path=\"/a\\\"b\"} 3\n",
            "# HELP lat_seconds Latency.\n",
            "# TYPE lat_seconds histogram\n",
            "lat_seconds_bucket{le=\"0.5\"} 1\n",
            "lat_seconds_bucket{le=\"+Inf\"} 1\n",
            "lat_seconds_sum 0.25\n",
            "lat_seconds_count 1\n",
        );
        assert_eq!(render(&r.gather(0), Format::Text), expected);
    }
}
