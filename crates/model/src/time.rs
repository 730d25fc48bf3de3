//! Wall-clock times as text: RFC 3339 (what Go's `time.RFC3339Nano`
//! writes and reads) and the epoch numbers log lines carry, all in
//! nanoseconds since 1970.

/// A timestamp in nanoseconds from RFC 3339 text or an epoch number in
/// seconds, milliseconds, microseconds or nanoseconds (told by its size).
pub fn parse_timestamp(text: &str) -> Option<i64> {
    let text = text.trim();
    if let Ok(n) = text.parse::<f64>() {
        if !n.is_finite() || n <= 0.0 {
            return None;
        }
        let ns = match n {
            n if n < 1e11 => n * 1e9,
            n if n < 1e14 => n * 1e6,
            n if n < 1e17 => n * 1e3,
            n => n,
        };
        return Some(ns as i64);
    }
    parse_rfc3339(text)
}

/// `2024-05-01T12:30:45.123Z`, with `T` or a space, `Z` or `±hh:mm`.
pub fn parse_rfc3339(text: &str) -> Option<i64> {
    let b = text.as_bytes();
    if b.len() < 19
        || b[4] != b'-'
        || b[7] != b'-'
        || !(b[10] == b'T' || b[10] == b't' || b[10] == b' ')
    {
        return None;
    }
    let num = |r: std::ops::Range<usize>| text.get(r)?.parse::<i64>().ok();
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hour, minute, second) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&month)
        || !(1..=31).contains(&day)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }
    let mut i = 19;
    let mut nanos = 0i64;
    if b.get(i) == Some(&b'.') {
        i += 1;
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        let digits = &text[start..i];
        if digits.is_empty() {
            return None;
        }
        let padded = format!("{:0<9}", &digits[..digits.len().min(9)]);
        nanos = padded.parse().ok()?;
    }
    let offset_s = match &text[i..] {
        "Z" | "z" | "" => 0,
        tz if tz.len() == 6 && (tz.starts_with('+') || tz.starts_with('-')) => {
            let h: i64 = tz[1..3].parse().ok()?;
            let m: i64 = tz[4..6].parse().ok()?;
            let s = h * 3600 + m * 60;
            if tz.starts_with('-') { -s } else { s }
        }
        _ => return None,
    };
    let days = days_from_civil(year.into(), month.into(), day.into()) as i64;
    let secs = days * 86_400 + hour * 3600 + minute * 60 + second - offset_s;
    secs.checked_mul(1_000_000_000)?.checked_add(nanos)
}

/// Go's `RFC3339Nano` in UTC: `2023-11-14T22:13:20.5Z` (no trailing zeros).
pub fn format_rfc3339_nanos(ts_ns: i64) -> String {
    let secs = ts_ns.div_euclid(1_000_000_000);
    let nanos = ts_ns.rem_euclid(1_000_000_000);
    let days = secs.div_euclid(86_400);
    let sod = secs.rem_euclid(86_400);
    let (year, month, day) = civil_from_days(days.into());
    // Digit by digit: every simulated log line carries a time, and two
    // `format!`s per line were a tenth of the demo's start. An i64 of
    // nanoseconds always falls in years 1677–2262.
    let mut out = String::with_capacity(30);
    push_digits(&mut out, year as u64, 4);
    out.push('-');
    push_digits(&mut out, month as u64, 2);
    out.push('-');
    push_digits(&mut out, day as u64, 2);
    out.push('T');
    push_digits(&mut out, (sod / 3600) as u64, 2);
    out.push(':');
    push_digits(&mut out, (sod / 60 % 60) as u64, 2);
    out.push(':');
    push_digits(&mut out, (sod % 60) as u64, 2);
    if nanos > 0 {
        let mut frac = nanos as u64;
        let mut width = 9;
        while frac.is_multiple_of(10) {
            frac /= 10;
            width -= 1;
        }
        out.push('.');
        push_digits(&mut out, frac, width);
    }
    out.push('Z');
    out
}

/// `value`'s last `width` decimal digits, zero-padded.
fn push_digits(out: &mut String, mut value: u64, width: usize) {
    let mut digits = [b'0'; 20];
    for d in digits[..width].iter_mut().rev() {
        *d = b'0' + (value % 10) as u8;
        value /= 10;
    }
    out.extend(digits[..width].iter().map(|&d| d as char));
}

/// Days since 1970-01-01 of a date of the proleptic Gregorian calendar
/// (Howard Hinnant's `days_from_civil`); `month` 1–12.
pub fn days_from_civil(year: i128, month: i128, day: i128) -> i128 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date of a day counted from 1970-01-01: year, month (1–12) and day
/// (Howard Hinnant's `civil_from_days`).
pub fn civil_from_days(days: i128) -> (i128, i128, i128) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i128::from(month <= 2), month, day)
}

/// Whether `year` has a 29 February.
pub fn is_leap_year(year: i128) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

/// How many days `month` (1–12) of `year` has.
pub fn days_in_month(year: i128, month: i128) -> i128 {
    match month {
        2 if is_leap_year(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_in_every_form() {
        let t = 1_700_000_000_000_000_000i64;
        assert_eq!(parse_timestamp("1700000000"), Some(t));
        assert_eq!(parse_timestamp("1700000000000"), Some(t));
        assert_eq!(parse_timestamp("1700000000000000"), Some(t));
        assert_eq!(parse_timestamp("1700000000000000000"), Some(t));
        assert_eq!(parse_timestamp("2023-11-14T22:13:20Z"), Some(t));
        assert_eq!(
            parse_timestamp("2023-11-14T23:13:20.5+01:00"),
            Some(t + 500_000_000)
        );
        assert_eq!(parse_timestamp("2023-11-14 22:13:20"), Some(t));
        assert_eq!(parse_timestamp("yesterday"), None);
        assert_eq!(
            format_rfc3339_nanos(t + 500_000_000),
            "2023-11-14T22:13:20.5Z"
        );
        assert_eq!(parse_rfc3339(&format_rfc3339_nanos(-1)), Some(-1));
        assert_eq!(parse_timestamp("2023-13-14T22:13:20Z"), None);
    }

    #[test]
    fn rfc3339_formatting_at_the_edges() {
        assert_eq!(format_rfc3339_nanos(0), "1970-01-01T00:00:00Z");
        assert_eq!(format_rfc3339_nanos(-1), "1969-12-31T23:59:59.999999999Z");
        assert_eq!(format_rfc3339_nanos(1_000), "1970-01-01T00:00:00.000001Z");
        assert_eq!(
            format_rfc3339_nanos(i64::MIN),
            "1677-09-21T00:12:43.145224192Z"
        );
        assert_eq!(
            format_rfc3339_nanos(i64::MAX),
            "2262-04-11T23:47:16.854775807Z"
        );
        for ts in [-1, 0, 1, 1_700_000_000_123_000_000, i64::MAX] {
            assert_eq!(parse_rfc3339(&format_rfc3339_nanos(ts)), Some(ts), "{ts}");
        }
    }
}
