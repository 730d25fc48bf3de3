//! Reading a time by a Go layout (`time.Parse`): numbers of fixed or
//! free width, month and day names in any case, `PM`, zone names,
//! offsets (`Z07:00`) and fractions of a second, even where the layout
//! has none after the seconds.
//!
//! ```text
//! parse("Jan _2 2006", "nov  2 2021")        → 2021-11-02T00:00:00Z
//! parse("2006-01-02T15:04:05Z07:00", "…+01:00") → an hour earlier in UTC
//! ```

use super::{Chunk, DAYS, MONTHS, NS_PER_S, S_PER_DAY, chunks};
use o11y_model::time::{days_from_civil, days_in_month, is_leap_year};

/// Leading digits of `s`: at most `max`, at least `min`.
fn digits(s: &str, min: usize, max: usize) -> Option<(i128, usize)> {
    let n = s.bytes().take(max).take_while(u8::is_ascii_digit).count();
    if n < min {
        return None;
    }
    Some((s[..n].parse().ok()?, n))
}

/// The name in `names` that `s` starts with (any case), as an index.
fn lookup(s: &str, names: &[&str], len: Option<usize>) -> Option<(usize, usize)> {
    names.iter().enumerate().find_map(|(i, name)| {
        let name = len.map_or(*name, |l| &name[..l]);
        let head = s.get(..name.len())?;
        head.eq_ignore_ascii_case(name).then_some((i, name.len()))
    })
}

/// Go's `time.Parse(layout, value)`: the time in nanoseconds, UTC unless
/// the value carries an offset.
pub(crate) fn parse(layout: &str, value: &str) -> Option<i128> {
    let (mut year, mut month, mut day, mut yday) = (0i128, None, None, None);
    let (mut hour, mut minute, mut second, mut nanos) = (0i128, 0i128, 0i128, 0i128);
    let (mut pm, mut am, mut offset_s) = (false, false, 0i128);
    let mut v = value;
    let list = chunks(layout);
    for (k, c) in list.iter().enumerate() {
        let c = match c {
            Err(text) => {
                v = skip_literal(v, text)?;
                continue;
            }
            Ok(c) => *c,
        };
        let used = match c {
            Chunk::LongYear => {
                let (y, n) = digits(v, 4, 4)?;
                year = y;
                n
            }
            Chunk::Year => {
                let (y, n) = digits(v, 2, 2)?;
                year = if y >= 69 { 1900 + y } else { 2000 + y };
                n
            }
            Chunk::LongMonth | Chunk::Month => {
                let short = (c == Chunk::Month).then_some(3);
                let (m, n) = lookup(v, &MONTHS, short)?;
                month = Some(m as i128 + 1);
                n
            }
            Chunk::LongWeekDay | Chunk::WeekDay => {
                let short = (c == Chunk::WeekDay).then_some(3);
                lookup(v, &DAYS, short)?.1
            }
            Chunk::NumMonth | Chunk::ZeroMonth => {
                let (m, n) = digits(v, if c == Chunk::ZeroMonth { 2 } else { 1 }, 2)?;
                month = Some(m);
                n
            }
            Chunk::Day | Chunk::UnderDay | Chunk::ZeroDay => {
                let pad = usize::from(c == Chunk::UnderDay && v.starts_with(' '));
                let (d, n) = digits(&v[pad..], if c == Chunk::ZeroDay { 2 } else { 1 }, 2)?;
                day = Some(d);
                pad + n
            }
            Chunk::UnderYearDay | Chunk::ZeroYearDay => {
                let pad = v.bytes().take_while(|&b| b == b' ').count().min(2);
                let (d, n) = digits(&v[pad..], if pad > 0 { 1 } else { 3 }, 3)?;
                yday = Some(d);
                pad + n
            }
            Chunk::Hour => {
                let (h, n) = digits(v, 1, 2)?;
                hour = h;
                n
            }
            Chunk::Hour12 | Chunk::ZeroHour12 => {
                let (h, n) = digits(v, if c == Chunk::ZeroHour12 { 2 } else { 1 }, 2)?;
                if h > 12 {
                    return None;
                }
                hour = h;
                n
            }
            Chunk::Minute | Chunk::ZeroMinute => {
                let (m, n) = digits(v, if c == Chunk::ZeroMinute { 2 } else { 1 }, 2)?;
                minute = m;
                n
            }
            Chunk::Second | Chunk::ZeroSecond => {
                let (s, mut n) = digits(v, if c == Chunk::ZeroSecond { 2 } else { 1 }, 2)?;
                second = s;
                // A fraction may follow the seconds though the layout has none.
                let next_is_frac = matches!(list.get(k + 1), Some(Ok(Chunk::Frac { .. })));
                let rest = &v.as_bytes()[n..];
                if !next_is_frac
                    && matches!(rest.first(), Some(b'.' | b','))
                    && rest.get(1).is_some_and(u8::is_ascii_digit)
                {
                    let (f, m) = fraction(&v[n + 1..]);
                    nanos = f;
                    n += 1 + m;
                }
                n
            }
            Chunk::Frac {
                digits: d, nines, ..
            } => {
                let rest = v.as_bytes();
                let sep = matches!(rest.first(), Some(b'.' | b','));
                if nines && !(sep && rest.get(1).is_some_and(u8::is_ascii_digit)) {
                    0
                } else {
                    if !sep {
                        return None;
                    }
                    let (f, m) = fraction(&v[1..]);
                    if !nines && m != d {
                        return None;
                    }
                    nanos = f;
                    1 + m
                }
            }
            Chunk::Pm { upper } => {
                let head = v.get(..2)?;
                let (p, a) = if upper { ("PM", "AM") } else { ("pm", "am") };
                if head == p {
                    pm = true;
                } else if head == a {
                    am = true;
                } else {
                    return None;
                }
                2
            }
            Chunk::Tz => {
                let n = v.bytes().take_while(u8::is_ascii_uppercase).count();
                if !(3..=5).contains(&n) {
                    return None;
                }
                n
            }
            Chunk::Offset {
                z,
                colon,
                seconds,
                minutes,
            } => {
                if z && v.starts_with('Z') {
                    offset_s = 0;
                    1
                } else {
                    let (secs, n) = offset(v, colon, minutes, seconds)?;
                    offset_s = secs;
                    n
                }
            }
        };
        v = &v[used..];
    }
    if !v.is_empty() {
        return None;
    }
    if pm && hour < 12 {
        hour += 12;
    } else if am && hour == 12 {
        hour = 0;
    }
    if let Some(yd) = yday.filter(|_| month.is_none() && day.is_none()) {
        let days_in_year = if is_leap_year(year) { 366 } else { 365 };
        if !(1..=days_in_year).contains(&yd) {
            return None;
        }
        // Day `yd` of January runs on into the later months.
        let days = days_from_civil(year, 1, 1) + yd - 1;
        return to_ns(days, hour, minute, second, nanos, offset_s);
    }
    let (month, day) = (month.unwrap_or(1), day.unwrap_or(1));
    if !(1..=12).contains(&month)
        || !(1..=days_in_month(year, month)).contains(&day)
        || hour > 23
        || minute > 59
        || second > 59
    {
        return None;
    }
    to_ns(
        days_from_civil(year, month, day),
        hour,
        minute,
        second,
        nanos,
        offset_s,
    )
}

fn to_ns(days: i128, h: i128, m: i128, s: i128, nanos: i128, offset_s: i128) -> Option<i128> {
    if h > 23 || m > 59 || s > 59 {
        return None;
    }
    let secs = days * S_PER_DAY + h * 3600 + m * 60 + s - offset_s;
    Some(secs * NS_PER_S + nanos)
}

/// Literal layout text: spaces match any run of spaces, the rest exactly.
fn skip_literal<'v>(mut v: &'v str, mut text: &str) -> Option<&'v str> {
    while !text.is_empty() {
        if text.starts_with(' ') {
            if !v.is_empty() && !v.starts_with(' ') {
                return None;
            }
            text = text.trim_start_matches(' ');
            v = v.trim_start_matches(' ');
            continue;
        }
        let c = text.chars().next()?;
        v = v.strip_prefix(c)?;
        text = &text[c.len_utf8()..];
    }
    Some(v)
}

/// Fraction digits after the separator: nanoseconds and digits used.
fn fraction(s: &str) -> (i128, usize) {
    let n = s.bytes().take_while(u8::is_ascii_digit).count();
    let mut nanos: i128 = 0;
    for (i, b) in s.bytes().take(n).enumerate() {
        if i < 9 {
            nanos = nanos * 10 + i128::from(b - b'0');
        }
    }
    for _ in n..9 {
        nanos *= 10;
    }
    (nanos, n)
}

/// `+hh`, `+hhmm`, `+hh:mm`, `+hh:mm:ss`…: seconds east of UTC.
fn offset(v: &str, colon: bool, minutes: bool, seconds: bool) -> Option<(i128, usize)> {
    let sign = match v.as_bytes().first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let (h, mut n) = digits(&v[1..], 2, 2)?;
    n += 1;
    let mut total = h * 3600;
    for (wanted, scale) in [(minutes, 60), (seconds, 1)] {
        if !wanted {
            continue;
        }
        if colon {
            v.get(n..)?.strip_prefix(':')?;
            n += 1;
        }
        let (x, m) = digits(v.get(n..)?, 2, 2)?;
        total += x * scale;
        n += m;
    }
    Some((sign * total, n))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_like_go() {
        let day = 1_635_811_200 * NS_PER_S;
        for (layout, value, want) in [
            ("2006-01-02", "2021-11-02", Some(day)),
            (
                "2006-01-02T15:04:05Z07:00",
                "2021-11-02T01:00:00+01:00",
                Some(day),
            ),
            (
                "2006-01-02T15:04:05Z",
                "2021-11-02T00:00:00.5Z",
                Some(day + 500_000_000),
            ),
            ("Jan _2 2006", "nov  2 2021", Some(day)),
            ("2006 002", "2021 306", Some(day)),
            ("02/01/06 3PM", "02/11/21 12AM", Some(day)),
            ("2006-01-02", "2021-02-30", None),
            ("2006-01-02", "2021-11-02x", None),
            ("2006-01-02", "21-11-02", None),
        ] {
            assert_eq!(parse(layout, value), want, "{layout} {value}");
        }
        let ns = parse(
            "2006-01-02T15:04:05.999999999Z",
            "2023-03-10T01:32:40.340485723Z",
        );
        assert_eq!(ns, Some(1_678_411_960_340_485_723));
    }
}
