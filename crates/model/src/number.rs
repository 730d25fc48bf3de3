//! Numbers as Prometheus and Go write and read them: `format_float` is
//! Go's shortest `%g` (`1e+06`, `+Inf`), `format_api_float` is a value as
//! Prometheus's HTTP API writes it (`100000`, `1e-07`), `parse_float` is
//! `strconv.ParseFloat` for exposition values, `parse_number` is a PromQL
//! number literal (hex, octal, `Inf`, `NaN`), and `kahan_sum_inc` is the
//! compensated summation step PromQL sums with.

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

/// A timestamp as Prometheus's API writes it: seconds, then the
/// milliseconds as three digits when there are any (`1700000000.5` is
/// written `1700000000.500`), appended to `out`.
///
/// ```
/// let mut out = String::new();
/// o11y_model::number::write_api_timestamp(&mut out, 1_700_000_000_500);
/// assert_eq!(out, "1700000000.500");
/// ```
pub fn write_api_timestamp(out: &mut String, ts_ms: i64) {
    use std::fmt::Write as _;
    if ts_ms < 0 {
        out.push('-');
    }
    let t = ts_ms.unsigned_abs();
    // Writing to a String cannot fail (its `fmt::Write` always returns Ok).
    let _ = write!(out, "{}", t / 1000);
    if !t.is_multiple_of(1000) {
        let _ = write!(out, ".{:03}", t % 1000);
    }
}

/// A float as Prometheus's API writes it: Go's `strconv.FormatFloat(v,
/// 'f', -1, 64)`, or `'e'` below 1e-6 and from 1e21 on (`1e-07`,
/// `1.5e+21`), `NaN`, `+Inf`, `-Inf`.
pub fn format_api_float(v: f64) -> String {
    if v.is_nan() {
        return "NaN".to_string();
    }
    if v.is_infinite() {
        return if v > 0.0 { "+Inf" } else { "-Inf" }.to_string();
    }
    let abs = v.abs();
    if abs != 0.0 && !(1e-6..1e21).contains(&abs) {
        // Rust's shortest digits, with Go's exponent: a sign and two digits at least.
        let text = format!("{v:e}");
        let (mantissa, exponent) = text.split_once('e').unwrap_or((&text, "0"));
        let exponent: i32 = exponent.parse().unwrap_or(0);
        let sign = if exponent < 0 { '-' } else { '+' };
        return format!("{mantissa}e{sign}{:02}", exponent.abs());
    }
    // Display is the shortest text that reads back, without an exponent.
    format!("{v}")
}

/// Parses a float as Go's `strconv.ParseFloat` does for exposition values:
/// decimal and exponent forms, `Inf`/`+Inf`/`-Inf`/`NaN` in any case.
pub fn parse_float(text: &str) -> Option<f64> {
    let unsigned = text.trim_start_matches(['+', '-']);
    if text.len() - unsigned.len() > 1 {
        return None;
    }
    if unsigned.eq_ignore_ascii_case("inf") || unsigned.eq_ignore_ascii_case("infinity") {
        return Some(if text.starts_with('-') {
            f64::NEG_INFINITY
        } else {
            f64::INFINITY
        });
    }
    if unsigned.eq_ignore_ascii_case("nan") {
        return Some(f64::NAN);
    }
    // Rust accepts a few spellings Go does not ("inf" handled above); the
    // character check keeps to digits, sign, point and exponent.
    if unsigned.is_empty()
        || !unsigned
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '+' | '-'))
    {
        return None;
    }
    text.parse::<f64>().ok()
}

/// Parses a number as Prometheus does: an integer in Go's base-0 syntax
/// (`0x1f`, `017` octal), else a float; `Inf` and `NaN` in any case.
pub fn parse_number(text: &str) -> Option<f64> {
    let lower = text.to_ascii_lowercase();
    if lower == "inf" {
        return Some(f64::INFINITY);
    }
    if lower == "nan" {
        return Some(f64::NAN);
    }
    if let Some(hex) = lower.strip_prefix("0x") {
        return i64::from_str_radix(hex, 16).ok().map(|v| v as f64);
    }
    if lower.len() > 1
        && lower.starts_with('0')
        && lower.bytes().all(|b| b.is_ascii_digit())
        && let Ok(v) = i64::from_str_radix(&lower[1..], 8)
    {
        return Some(v as f64);
    }
    lower.parse::<f64>().ok()
}

/// One step of Kahan–Neumaier summation (Prometheus's `kahanSumInc`).
pub fn kahan_sum_inc(inc: f64, sum: f64, c: f64) -> (f64, f64) {
    let t = sum + inc;
    let c = if t.is_infinite() {
        0.0
    } else if sum.abs() >= inc.abs() {
        c + ((sum - t) + inc)
    } else {
        c + ((inc - t) + sum)
    };
    (t, c)
}

/// A byte size (`20MB`, `1.5KiB`, `100B`, `42`) in bytes (SI and IEC units).
pub fn parse_bytes(text: &str) -> Option<f64> {
    let n = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let value: f64 = text[..n].parse().ok()?;
    let unit = match text[n..].trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1.0,
        "kb" | "k" => 1e3,
        "mb" | "m" => 1e6,
        "gb" | "g" => 1e9,
        "tb" | "t" => 1e12,
        "pb" | "p" => 1e15,
        "kib" | "ki" => 1024.0,
        "mib" | "mi" => 1024f64.powi(2),
        "gib" | "gi" => 1024f64.powi(3),
        "tib" | "ti" => 1024f64.powi(4),
        "pib" | "pi" => 1024f64.powi(5),
        _ => return None,
    };
    Some(value * unit)
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
