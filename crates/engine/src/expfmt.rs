//! Exposition formats: rendering a registry as Prometheus text format 0.0.4.
//!
//! Numbers are printed as Go's `strconv.FormatFloat(v, 'g', -1, 64)` prints
//! them, which is what Prometheus and client_golang emit (`1e+06`, `0.0001`,
//! `+Inf`, `NaN`).
//!
//! ```
//! use o11y_engine::expfmt::format_float;
//!
//! assert_eq!(format_float(1_000_000.0), "1e+06");
//! assert_eq!(format_float(0.25), "0.25");
//! assert_eq!(format_float(f64::INFINITY), "+Inf");
//! ```

use crate::labels::escape_label_value;
use crate::metrics::{MetricFamily, MetricKind, MetricValue};

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

fn escape_help(help: &str, out: &mut String) {
    for c in help.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
}

/// Renders families as the Prometheus text format, version 0.0.4.
///
/// Labels come in the order the family declares them, `le` last, as
/// client_golang writes them.
pub fn render_text(families: &[MetricFamily]) -> String {
    let mut out = String::new();
    for family in families {
        out.push_str("# HELP ");
        out.push_str(&family.name);
        out.push(' ');
        escape_help(&family.help, &mut out);
        out.push_str("\n# TYPE ");
        out.push_str(&family.name);
        out.push(' ');
        out.push_str(family.kind.type_name());
        out.push('\n');
        for (values, value) in &family.children {
            let pairs: Vec<(&str, &str)> = family
                .label_names
                .iter()
                .map(String::as_str)
                .zip(values.iter().map(String::as_str))
                .collect();
            match (value, &family.kind) {
                (MetricValue::Counter(v) | MetricValue::Gauge(v), _) => {
                    push_sample(&mut out, &family.name, &pairs, None, *v);
                }
                (
                    MetricValue::Histogram {
                        bucket_counts,
                        sum,
                        count,
                    },
                    MetricKind::Histogram { upper_bounds },
                ) => {
                    let bucket_name = format!("{}_bucket", family.name);
                    let mut cumulative = 0u64;
                    for (i, n) in bucket_counts.iter().enumerate() {
                        cumulative += n;
                        let le = upper_bounds
                            .get(i)
                            .map_or_else(|| "+Inf".to_string(), |b| format_float(*b));
                        push_sample(&mut out, &bucket_name, &pairs, Some(&le), cumulative as f64);
                    }
                    push_sample(
                        &mut out,
                        &format!("{}_sum", family.name),
                        &pairs,
                        None,
                        *sum,
                    );
                    let count_name = format!("{}_count", family.name);
                    push_sample(&mut out, &count_name, &pairs, None, *count as f64);
                }
                (MetricValue::Histogram { .. }, _) => {}
            }
        }
    }
    out
}

fn push_sample(out: &mut String, name: &str, pairs: &[(&str, &str)], le: Option<&str>, v: f64) {
    out.push_str(name);
    let le_pair = le.map(|le| ("le", le));
    let all: Vec<(&str, &str)> = pairs
        .iter()
        .copied()
        .filter(|(_, value)| !value.is_empty())
        .chain(le_pair)
        .collect();
    if !all.is_empty() {
        out.push('{');
        for (i, (label, value)) in all.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str(label);
            out.push_str("=\"");
            escape_label_value(value, out);
            out.push('"');
        }
        out.push('}');
    }
    out.push(' ');
    out.push_str(&format_float(v));
    out.push('\n');
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::Registry;

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
        assert_eq!(render_text(r.families()), expected);
    }
}
