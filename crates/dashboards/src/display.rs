//! How a panel shows what its queries return: series named by a legend
//! format (`{{method}} {{endpoint}}`), values written in a Grafana unit
//! (`s`, `bytes`, `percentunit`, `reqps`, …) and coloured by thresholds.
//!
//! ```
//! assert_eq!(o11y_dashboards::format_value(0.25, "s"), "250 ms");
//! ```

use o11y_model::labels::Labels;

use crate::model::Step;

/// A legend format (`{{method}} {{endpoint}}`) with a series' labels; the
/// series' labels as written when there is no format.
pub fn legend(format: &str, labels: &Labels) -> String {
    // Grafana 9's "Auto" legend is written `__auto`.
    if format.trim().is_empty() || format.trim() == "__auto" {
        return labels.to_string();
    }
    let mut out = String::new();
    let mut rest = format;
    while let Some(open) = rest.find("{{") {
        out.push_str(&rest[..open]);
        let after = &rest[open + 2..];
        match after.find("}}") {
            Some(close) => {
                out.push_str(labels.get(after[..close].trim()).unwrap_or(""));
                rest = &after[close + 2..];
            }
            None => {
                out.push_str(&rest[open..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

/// The colour of `value` under the thresholds: the last step it reaches.
pub fn threshold_color(steps: &[Step], value: f64) -> Option<&str> {
    let mut color = None;
    for s in steps {
        match s.value {
            None => color = Some(s.color.as_str()),
            Some(v) if value >= v => color = Some(s.color.as_str()),
            _ => {}
        }
    }
    color
}

/// The Grafana units [`format_value`] writes (`""` is Grafana's default,
/// `short`).
pub const UNITS: [&str; 24] = [
    "",
    "short",
    "none",
    "percent",
    "percentunit",
    "s",
    "ms",
    "µs",
    "ns",
    "m",
    "h",
    "d",
    "bytes",
    "decbytes",
    "bits",
    "Bps",
    "binBps",
    "reqps",
    "ops",
    "rps",
    "wps",
    "iops",
    "cps",
    "pps",
];

/// A value in a Grafana unit (one of [`UNITS`]): durations (`s`, `ms`,
/// `µs`, `ns`, `m`, `h`, `d`), data (`bytes` in powers of 1024,
/// `decbytes` and `bits` of 1000, rates `Bps`, `binBps`), `percent`
/// (0–100), `percentunit` (0–1), rates (`reqps`, `ops`, `rps`, `wps`,
/// `iops`, `cps`, `pps`), `none` (as it is) and `short` (K, Mil, B).
pub fn format_value(v: f64, unit: &str) -> String {
    if !v.is_finite() {
        return o11y_model::number::format_float(v);
    }
    let short = |x: f64| {
        let a = x.abs();
        let (d, s) = if a >= 1e12 {
            (1e12, " T")
        } else if a >= 1e9 {
            (1e9, " B")
        } else if a >= 1e6 {
            (1e6, " Mil")
        } else if a >= 1e3 {
            (1e3, " K")
        } else {
            (1.0, "")
        };
        format!("{}{s}", trim(x / d))
    };
    match unit {
        "percent" => format!("{}%", trim(v)),
        "percentunit" => format!("{}%", trim(v * 100.0)),
        "s" => duration(v),
        "ms" => duration(v / 1e3),
        "µs" => duration(v / 1e6),
        "ns" => duration(v / 1e9),
        "m" => duration(v * 60.0),
        "h" => duration(v * 3_600.0),
        "d" => duration(v * 86_400.0),
        "bytes" => scaled(v, 1024.0, &["B", "KiB", "MiB", "GiB", "TiB"]),
        "decbytes" => scaled(v, 1000.0, &["B", "kB", "MB", "GB", "TB"]),
        "bits" => scaled(v, 1000.0, &["b", "kb", "Mb", "Gb", "Tb"]),
        "Bps" => scaled(v, 1000.0, &["B/s", "kB/s", "MB/s", "GB/s", "TB/s"]),
        "binBps" => scaled(v, 1024.0, &["B/s", "KiB/s", "MiB/s", "GiB/s", "TiB/s"]),
        "reqps" => format!("{} req/s", short(v)),
        "ops" => format!("{} ops/s", short(v)),
        "rps" => format!("{} rd/s", short(v)),
        "wps" => format!("{} wr/s", short(v)),
        "iops" => format!("{} io/s", short(v)),
        "cps" => format!("{} c/s", short(v)),
        "pps" => format!("{} p/s", short(v)),
        "none" => trim(v),
        _ => short(v),
    }
}

/// `v` in the largest of `names` (each `base` times the one before) that
/// keeps it at least 1.
fn scaled(v: f64, base: f64, names: &[&str]) -> String {
    let mut x = v;
    let mut i = 0;
    while x.abs() >= base && i < names.len() - 1 {
        x /= base;
        i += 1;
    }
    format!("{} {}", trim(x), names[i])
}

fn trim(x: f64) -> String {
    let digits = if x.abs() >= 100.0 {
        0
    } else if x.abs() >= 10.0 {
        1
    } else {
        2
    };
    let s = format!("{x:.digits$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

fn duration(s: f64) -> String {
    let a = s.abs();
    if a == 0.0 {
        "0 s".into()
    } else if a < 1e-3 {
        format!("{} µs", trim(s * 1e6))
    } else if a < 1.0 {
        format!("{} ms", trim(s * 1e3))
    } else if a < 60.0 {
        format!("{} s", trim(s))
    } else if a < 3600.0 {
        format!("{} min", trim(s / 60.0))
    } else if a < 86_400.0 {
        format!("{} hour", trim(s / 3600.0))
    } else {
        format!("{} day", trim(s / 86_400.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn legends_units_and_variables() {
        let l = Labels::new([("method", "GET"), ("endpoint", "/api")]);
        assert_eq!(legend("{{method}} {{endpoint}}", &l), "GET /api");
        assert_eq!(legend("{{ method }}-{{missing}}", &l), "GET-");
        assert_eq!(legend("", &l), l.to_string());
        assert_eq!(format_value(0.0312, "percentunit"), "3.12%");
        assert_eq!(format_value(0.25, "s"), "250 ms");
        assert_eq!(format_value(1536.0, "bytes"), "1.5 KiB");
        assert_eq!(format_value(20.5, "reqps"), "20.5 req/s");
        assert_eq!(format_value(12_345.0, ""), "12.3 K");
        assert_eq!(format_value(12_345.0, "none"), "12345");
        assert_eq!(format_value(1_500.0, "µs"), "1.5 ms");
        assert_eq!(format_value(2_048.0, "binBps"), "2 KiB/s");
        assert_eq!(format_value(1_500_000.0, "bits"), "1.5 Mb");
        assert_eq!(format_value(90.0, "m"), "1.5 hour");
        assert_eq!(legend("__auto", &l), l.to_string());
    }
}
