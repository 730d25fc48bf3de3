//! Prometheus durations such as `15s`, `1h30m` or `500ms`.
//!
//! Units are `ms`, `s`, `m`, `h`, `d` (24 h), `w` (7 d) and `y` (365 d), each
//! used at most once and from the largest to the smallest, as Prometheus
//! requires.
//!
//! ```
//! use o11y_model::duration::{parse_duration, format_duration};
//!
//! assert_eq!(parse_duration("1h30m").unwrap(), 5_400_000);
//! assert_eq!(format_duration(5_400_000), "1h30m");
//! assert!(parse_duration("30m1h").is_err());
//! ```

use thiserror::Error;

/// Why a duration did not parse. `offset` is the byte where the problem starts.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
#[error("{message} at byte {offset} of duration {input:?}")]
pub struct DurationError {
    pub input: String,
    pub offset: usize,
    pub message: String,
}

impl From<&DurationError> for crate::diag::Diagnostic {
    /// The bytes from where the problem starts to the end of the duration,
    /// with the error's text.
    fn from(e: &DurationError) -> crate::diag::Diagnostic {
        let start = e.offset.min(e.input.len().saturating_sub(1));
        crate::diag::Diagnostic::at_span(start..e.input.len(), e.to_string())
    }
}

const UNITS: [(&str, i64); 7] = [
    ("y", 365 * 24 * 3_600_000),
    ("w", 7 * 24 * 3_600_000),
    ("d", 24 * 3_600_000),
    ("h", 3_600_000),
    ("m", 60_000),
    ("s", 1_000),
    ("ms", 1),
];

/// Parses a duration into milliseconds.
pub fn parse_duration(input: &str) -> Result<i64, DurationError> {
    let err = |offset: usize, message: &str| DurationError {
        input: input.to_string(),
        offset,
        message: message.to_string(),
    };
    if input.is_empty() {
        return Err(err(0, "empty duration"));
    }
    if input == "0" {
        return Ok(0);
    }
    let bytes = input.as_bytes();
    let mut pos = 0;
    let mut total: i64 = 0;
    // Index into UNITS of the last unit used; each next one must be smaller.
    let mut last_unit: Option<usize> = None;
    while pos < bytes.len() {
        let digits_start = pos;
        while pos < bytes.len() && bytes[pos].is_ascii_digit() {
            pos += 1;
        }
        if pos == digits_start {
            return Err(err(pos, "expected a number"));
        }
        let number: i64 = input[digits_start..pos]
            .parse()
            .map_err(|_| err(digits_start, "number too large"))?;
        let unit_start = pos;
        while pos < bytes.len() && bytes[pos].is_ascii_alphabetic() {
            pos += 1;
        }
        let unit = &input[unit_start..pos];
        let Some(index) = UNITS.iter().position(|(u, _)| *u == unit) else {
            let message = if unit.is_empty() {
                "expected a unit (ms, s, m, h, d, w, y)"
            } else {
                "unknown unit (expected ms, s, m, h, d, w or y)"
            };
            return Err(err(unit_start, message));
        };
        if last_unit.is_some_and(|last| index <= last) {
            return Err(err(
                unit_start,
                "units must go from largest to smallest, each once",
            ));
        }
        last_unit = Some(index);
        total = number
            .checked_mul(UNITS[index].1)
            .and_then(|ms| total.checked_add(ms))
            .ok_or_else(|| err(digits_start, "duration too large"))?;
    }
    Ok(total)
}

/// Formats milliseconds as Prometheus prints a duration (`0s` for zero).
pub fn format_duration(ms: i64) -> String {
    if ms == 0 {
        return "0s".to_string();
    }
    let mut out = String::new();
    if ms < 0 {
        out.push('-');
    }
    let mut rest = ms.unsigned_abs();
    for (unit, size) in UNITS {
        let size = size as u64;
        if rest >= size {
            out.push_str(&format!("{}{unit}", rest / size));
            rest %= size;
        }
    }
    out
}

/// A Go duration (`1h2m`, `250ms`, `1.5s`, `-3us`) in seconds.
pub fn parse_go_duration(text: &str) -> Option<f64> {
    let (negative, mut rest) = match text.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    if rest == "0" {
        return Some(0.0);
    }
    if rest.is_empty() {
        return None;
    }
    let mut total = 0.0;
    while !rest.is_empty() {
        let n = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        if n == 0 {
            return None;
        }
        let value: f64 = rest[..n].parse().ok()?;
        rest = &rest[n..];
        let u = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let unit = match &rest[..u] {
            "ns" => 1e-9,
            "us" | "µs" | "μs" => 1e-6,
            "ms" => 1e-3,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            _ => return None,
        };
        total += value * unit;
        rest = &rest[u..];
    }
    Some(if negative { -total } else { total })
}

/// Go's `time.Duration.String()` (`1h2m3s`, `1.5s`, `500ms`, `2µs`,
/// `0s`) for a duration in nanoseconds.
pub fn format_go_duration(ns: i128) -> String {
    if ns == 0 {
        return "0s".into();
    }
    let trim_zeros = |s: String| -> String {
        if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            s
        }
    };
    let sign = if ns < 0 { "-" } else { "" };
    let ns = ns.abs();
    if ns < 1_000_000_000 {
        let (unit, div) = if ns < 1_000 {
            ("ns", 1.0)
        } else if ns < 1_000_000 {
            ("µs", 1e3)
        } else {
            ("ms", 1e6)
        };
        return format!(
            "{sign}{}{unit}",
            trim_zeros(format!("{:.9}", ns as f64 / div))
        );
    }
    let h = ns / 3_600_000_000_000;
    let m = (ns / 60_000_000_000) % 60;
    let s = trim_zeros(format!("{:.9}", (ns % 60_000_000_000) as f64 / 1e9));
    if h > 0 {
        format!("{sign}{h}h{m}m{s}s")
    } else if m > 0 {
        format!("{sign}{m}m{s}s")
    } else {
        format!("{sign}{s}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_unit() {
        for (text, ms) in [
            ("500ms", 500),
            ("15s", 15_000),
            ("5m", 300_000),
            ("2h", 7_200_000),
            ("1d", 86_400_000),
            ("1w", 604_800_000),
            ("1y", 31_536_000_000),
            ("1h30m15s", 5_415_000),
            ("0", 0),
        ] {
            assert_eq!(parse_duration(text), Ok(ms), "{text}");
        }
    }

    #[test]
    fn errors_say_where() {
        assert_eq!(parse_duration("5").unwrap_err().offset, 1);
        assert_eq!(parse_duration("5x").unwrap_err().offset, 1);
        assert_eq!(parse_duration("1s1m").unwrap_err().offset, 3);
        assert_eq!(parse_duration("1h1h").unwrap_err().offset, 3);
        assert_eq!(parse_duration("").unwrap_err().offset, 0);
        assert!(parse_duration("99999999999999999999s").is_err());
        assert!(parse_duration("9999999999999y").is_err());
    }

    #[test]
    fn an_error_converts_to_a_diagnostic_with_its_span_and_text() {
        let e = parse_duration("1h1h").unwrap_err();
        let d = crate::diag::Diagnostic::from(&e);
        assert_eq!((d.span.clone(), d.to_string()), (3..4, e.to_string()));
        let empty = crate::diag::Diagnostic::from(&parse_duration("").unwrap_err());
        assert_eq!(empty.span, 0..0);
    }

    #[test]
    fn format_round_trips() {
        for ms in [1, 999, 1_000, 61_000, 5_400_000, 90_061_001] {
            assert_eq!(parse_duration(&format_duration(ms)), Ok(ms));
        }
    }
}
