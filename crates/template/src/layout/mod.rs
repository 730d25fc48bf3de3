//! Go's reference-time layouts (`2006-01-02T15:04:05Z07:00`): formatting
//! and parsing times, in UTC, for Loki's `date`, `toDate` and
//! `toDateInZone`. Times are nanoseconds since 1970 (`i128`, so Go's zero
//! time, year 1, fits).
//!
//! ```text
//! format("2006-01-02 15:04 MST", ns)   → "2023-11-14 22:13 UTC"
//! parse("2006-01-02", "2021-11-02")    → Some(1_635_811_200_000_000_000)
//! ```

use o11y_model::time::{civil_from_days, days_from_civil};

mod parse;

pub(crate) use parse::parse;

const NS_PER_S: i128 = 1_000_000_000;
const S_PER_DAY: i128 = 86_400;

/// Go's zero `time.Time` (0001-01-01 00:00:00 UTC), what a failed
/// `toDate` returns.
pub(crate) const ZERO_TIME_NS: i128 = -62_135_596_800 * NS_PER_S;

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const DAYS: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];

/// One element of a layout.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Chunk {
    LongMonth,
    Month,
    NumMonth,
    ZeroMonth,
    LongWeekDay,
    WeekDay,
    Day,
    UnderDay,
    ZeroDay,
    UnderYearDay,
    ZeroYearDay,
    Hour,
    Hour12,
    ZeroHour12,
    Minute,
    ZeroMinute,
    Second,
    ZeroSecond,
    LongYear,
    Year,
    Pm {
        upper: bool,
    },
    Tz,
    /// `-0700`-style offsets; `z` prints `Z` for UTC (`Z07:00`).
    Offset {
        z: bool,
        colon: bool,
        seconds: bool,
        minutes: bool,
    },
    /// `.000` (`nines: false`) or `.999` (or `,000`), with `digits` digits.
    Frac {
        digits: usize,
        nines: bool,
        comma: bool,
    },
}

/// The layout chunk at the start of `s`, with its length.
fn chunk_at(s: &str) -> Option<(Chunk, usize)> {
    let b = s.as_bytes();
    let has = |p: &str| s.starts_with(p);
    let c = match b.first()? {
        b'J' if has("January") => (Chunk::LongMonth, 7),
        b'J' if has("Jan") => (Chunk::Month, 3),
        b'M' if has("Monday") => (Chunk::LongWeekDay, 6),
        b'M' if has("Mon") => (Chunk::WeekDay, 3),
        b'M' if has("MST") => (Chunk::Tz, 3),
        b'0' if matches!(b.get(1), Some(b'1'..=b'6')) => {
            let chunks = [
                Chunk::ZeroMonth,
                Chunk::ZeroDay,
                Chunk::ZeroHour12,
                Chunk::ZeroMinute,
                Chunk::ZeroSecond,
                Chunk::Year,
            ];
            (chunks[usize::from(b[1] - b'1')], 2)
        }
        b'0' if has("002") => (Chunk::ZeroYearDay, 3),
        b'1' if has("15") => (Chunk::Hour, 2),
        b'1' => (Chunk::NumMonth, 1),
        b'2' if has("2006") => (Chunk::LongYear, 4),
        b'2' => (Chunk::Day, 1),
        b'_' if has("_2") && !has("_2006") => (Chunk::UnderDay, 2),
        b'_' if has("__2") => (Chunk::UnderYearDay, 3),
        b'3' => (Chunk::Hour12, 1),
        b'4' => (Chunk::Minute, 1),
        b'5' => (Chunk::Second, 1),
        b'P' if has("PM") => (Chunk::Pm { upper: true }, 2),
        b'p' if has("pm") => (Chunk::Pm { upper: false }, 2),
        b'-' | b'Z' => {
            let z = b[0] == b'Z';
            let rest = &s[1..];
            let forms = [
                ("070000", false, true, true),
                ("07:00:00", true, true, true),
                ("0700", false, false, true),
                ("07:00", true, false, true),
                ("07", false, false, false),
            ];
            let (text, colon, seconds, minutes) =
                forms.into_iter().find(|f| rest.starts_with(f.0))?;
            let offset = Chunk::Offset {
                z,
                colon,
                seconds,
                minutes,
            };
            (offset, 1 + text.len())
        }
        b'.' | b',' if matches!(b.get(1), Some(b'0' | b'9')) => {
            let digit = b[1];
            let run = b[1..].iter().take_while(|&&c| c == digit).count();
            if b.get(1 + run).is_some_and(u8::is_ascii_digit) {
                return None;
            }
            let frac = Chunk::Frac {
                digits: run,
                nines: digit == b'9',
                comma: b[0] == b',',
            };
            (frac, 1 + run)
        }
        _ => return None,
    };
    Some(c)
}

/// A layout as literal text and chunks.
fn chunks(layout: &str) -> Vec<Result<Chunk, &str>> {
    let mut out = Vec::new();
    let mut literal_start = 0;
    let mut i = 0;
    while i < layout.len() {
        // `_2006` is a literal `_` and then the year.
        let found = if layout[i..].starts_with("_2006") {
            None
        } else {
            chunk_at(&layout[i..])
        };
        match found {
            Some((c, len)) => {
                if literal_start < i {
                    out.push(Err(&layout[literal_start..i]));
                }
                out.push(Ok(c));
                i += len;
                literal_start = i;
            }
            None => i += layout[i..].chars().next().map_or(1, char::len_utf8),
        }
    }
    if literal_start < layout.len() {
        out.push(Err(&layout[literal_start..]));
    }
    out
}

/// A civil date and time in UTC.
struct Civil {
    year: i128,
    month: usize,
    day: i128,
    hour: i128,
    minute: i128,
    second: i128,
    nanos: i128,
    /// Day of the year, from 1.
    yday: i128,
    /// 0 is Sunday.
    weekday: usize,
}

fn civil(ns: i128) -> Civil {
    let secs = ns.div_euclid(NS_PER_S);
    let days = secs.div_euclid(S_PER_DAY);
    let sod = secs.rem_euclid(S_PER_DAY);
    let (year, month, day) = civil_from_days(days);
    Civil {
        year,
        month: month as usize,
        day,
        hour: sod / 3600,
        minute: sod / 60 % 60,
        second: sod % 60,
        nanos: ns.rem_euclid(NS_PER_S),
        yday: days - days_from_civil(year, 1, 1) + 1,
        weekday: (days + 4).rem_euclid(7) as usize,
    }
}

/// Go's `time.Time.Format(layout)` in UTC.
pub(crate) fn format(layout: &str, ns: i128) -> String {
    let t = civil(ns);
    let mut out = String::new();
    for c in chunks(layout) {
        let c = match c {
            Err(text) => {
                out.push_str(text);
                continue;
            }
            Ok(c) => c,
        };
        let hour12 = match t.hour % 12 {
            0 => 12,
            h => h,
        };
        let text = match c {
            Chunk::LongMonth => MONTHS[t.month - 1].to_string(),
            Chunk::Month => MONTHS[t.month - 1][..3].to_string(),
            Chunk::NumMonth => t.month.to_string(),
            Chunk::ZeroMonth => format!("{:02}", t.month),
            Chunk::LongWeekDay => DAYS[t.weekday].to_string(),
            Chunk::WeekDay => DAYS[t.weekday][..3].to_string(),
            Chunk::Day => t.day.to_string(),
            Chunk::UnderDay => format!("{:>2}", t.day),
            Chunk::ZeroDay => format!("{:02}", t.day),
            Chunk::UnderYearDay => format!("{:>3}", t.yday),
            Chunk::ZeroYearDay => format!("{:03}", t.yday),
            Chunk::Hour => format!("{:02}", t.hour),
            Chunk::Hour12 => hour12.to_string(),
            Chunk::ZeroHour12 => format!("{hour12:02}"),
            Chunk::Minute => t.minute.to_string(),
            Chunk::ZeroMinute => format!("{:02}", t.minute),
            Chunk::Second => t.second.to_string(),
            Chunk::ZeroSecond => format!("{:02}", t.second),
            Chunk::LongYear if t.year < 0 => format!("-{:04}", -t.year),
            Chunk::LongYear => format!("{:04}", t.year),
            Chunk::Year => format!("{:02}", t.year.rem_euclid(100)),
            Chunk::Pm { upper } => match (t.hour >= 12, upper) {
                (true, true) => "PM".into(),
                (true, false) => "pm".into(),
                (false, true) => "AM".into(),
                (false, false) => "am".into(),
            },
            Chunk::Tz => "UTC".into(),
            Chunk::Offset { z: true, .. } => "Z".into(),
            Chunk::Offset {
                colon,
                seconds,
                minutes,
                ..
            } => {
                let sep = if colon { ":" } else { "" };
                let mut s = "+00".to_string();
                if minutes {
                    s.push_str(sep);
                    s.push_str("00");
                }
                if seconds {
                    s.push_str(sep);
                    s.push_str("00");
                }
                s
            }
            Chunk::Frac {
                digits,
                nines,
                comma,
            } => {
                let all = format!("{:09}", t.nanos);
                let mut frac = all[..digits.min(9)].to_string();
                if digits > 9 {
                    frac.extend(std::iter::repeat_n('0', digits - 9));
                }
                if nines {
                    frac.truncate(frac.trim_end_matches('0').len());
                    if frac.is_empty() {
                        continue;
                    }
                }
                format!("{}{frac}", if comma { ',' } else { '.' })
            }
        };
        out.push_str(&text);
    }
    out
}

/// Go's `RFC3339Nano` in UTC (`2023-11-14T22:13:20.5Z`).
pub(crate) fn format_rfc3339(ns: i128) -> String {
    format("2006-01-02T15:04:05.999999999Z07:00", ns)
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: i128 = 1_700_000_000_123_456_789;

    #[test]
    fn formats_like_go() {
        for (layout, want) in [
            ("2006-01-02T15:04:05Z07:00", "2023-11-14T22:13:20Z"),
            (
                "2006-01-02T15:04:05.999999999Z",
                "2023-11-14T22:13:20.123456789Z",
            ),
            (
                "Mon Jan _2 15:04:05 MST 2006",
                "Tue Nov 14 22:13:20 UTC 2023",
            ),
            (
                "Monday, 02-Jan-06 3:04PM -0700",
                "Tuesday, 14-Nov-23 10:13PM +0000",
            ),
            (
                "2006-01-02T15:04:05.00Z-07:00",
                "2023-11-14T22:13:20.12Z+00:00",
            ),
            ("002 __2 .000 ,9", "318 318 .123 ,1"),
            ("January 2, 2006 3:4:5 pm", "November 14, 2023 10:13:20 pm"),
        ] {
            assert_eq!(format(layout, T), want, "{layout}");
        }
        assert_eq!(format_rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(format_rfc3339(ZERO_TIME_NS), "0001-01-01T00:00:00Z");
    }
}
