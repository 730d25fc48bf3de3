//! `time_intervals` and `mute_time_intervals` as Alertmanager parses
//! them (`timeinterval`): times of day, weekdays, days of the month,
//! months, years and a location. Routes may name them; they mute nothing
//! in the playground.

use o11y_model::yaml::Node;
use o11y_model::yaml::typed;

use super::{ConfigError, err};

/// Alertmanager's checks of one `time_intervals` entry (`timeinterval`'s
/// parsing of its ranges), types already checked.
pub(super) fn check_time_spec(spec: &Node, errors: &mut Vec<ConfigError>) {
    let items = |k: &str| spec.get(k).map(Node::items).unwrap_or_default();
    for range in items("times") {
        let text = |k: &str| range.get(k).map(typed::string).unwrap_or_default();
        let (start, end) = (text("start_time"), text("end_time"));
        let result = if start.is_empty() || end.is_empty() {
            Err("both start and end times must be provided".to_string())
        } else {
            match (minutes_of_day(&start), minutes_of_day(&end)) {
                (Err(e), _) | (_, Err(e)) => Err(e),
                (Ok(s), Ok(e)) if s >= e => {
                    Err("start time cannot be equal or greater than end time".into())
                }
                _ => Ok(()),
            }
        };
        if let Err(e) = result {
            errors.push(err(range, e));
        }
    }
    let weekday = |s: &str| {
        WEEKDAYS
            .iter()
            .position(|d| *d == s)
            .map(|i| i as i64)
            .ok_or_else(|| format!("{s} is not a valid weekday"))
    };
    let month = |s: &str| {
        MONTHS
            .iter()
            .position(|m| *m == s)
            .map(|i| i as i64 + 1)
            .map_or_else(
                || go_atoi(s).ok_or_else(|| format!("{s} is not a valid month")),
                Ok,
            )
    };
    let number =
        |s: &str| go_atoi(s).ok_or_else(|| format!("strconv.Atoi: parsing {s:?}: invalid syntax"));
    for item in items("weekdays") {
        let result = inclusive_range(item, weekday).and_then(|(b, e)| {
            (b <= e)
                .then_some(())
                .ok_or_else(|| "start day cannot be before end day".to_string())
        });
        if let Err(e) = result {
            errors.push(err(item, e));
        }
    }
    for item in items("days_of_month") {
        let result = inclusive_range(item, number).and_then(|(b, e)| {
            for day in [b, e] {
                if day == 0 || !(-31..=31).contains(&day) {
                    return Err(format!(
                        "{day} is not a valid day of the month: out of range"
                    ));
                }
            }
            if b < 0 && e > 0 {
                return Err("end day must be negative if start day is negative".into());
            }
            // Negative days count from the end of a month, of at least 28 days.
            let from_start = |d: i64| if d < 0 { 28 + d } else { d };
            if from_start(b) > from_start(e) {
                return Err(format!("end day {e} is always before start day {b}"));
            }
            Ok(())
        });
        if let Err(e) = result {
            errors.push(err(item, e));
        }
    }
    for item in items("months") {
        let result = inclusive_range(item, month).and_then(|(b, e)| {
            let name = |m: i64| {
                usize::try_from(m - 1)
                    .ok()
                    .and_then(|i| MONTHS.get(i))
                    .copied()
                    .unwrap_or_default()
            };
            (b <= e)
                .then_some(())
                .ok_or_else(|| format!("end month {} is before start month {}", name(e), name(b)))
        });
        if let Err(e) = result {
            errors.push(err(item, e));
        }
    }
    for item in items("years") {
        let result = inclusive_range(item, number).and_then(|(b, e)| {
            (b <= e)
                .then_some(())
                .ok_or_else(|| format!("end year {e} is before start year {b}"))
        });
        if let Err(e) = result {
            errors.push(err(item, e));
        }
    }
    if let Some(location) = spec.get("location").filter(|l| !l.is_null()) {
        let name = typed::string(location);
        if !time_zone_name(&name) {
            errors.push(err(location, format!("unknown time zone {name}")));
        }
    }
}

const WEEKDAYS: [&str; 7] = [
    "sunday",
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
];

const MONTHS: [&str; 12] = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];

/// `timeinterval`'s `stringableRangeFromString`: `x` or `x:y`, lowercased,
/// each member read by `member`.
fn inclusive_range(
    item: &Node,
    member: impl Fn(&str) -> Result<i64, String>,
) -> Result<(i64, i64), String> {
    let text = typed::string(item).to_lowercase();
    let parts: Vec<&str> = text.split(':').collect();
    match parts.as_slice() {
        [one] => member(one).map(|v| (v, v)),
        [begin, end] => Ok((member(begin)?, member(end)?)),
        _ => Err(format!("couldn't parse range {text}, invalid format")),
    }
}

/// Go's `strconv.Atoi`: an optional sign and decimal digits, within `int64`.
fn go_atoi(s: &str) -> Option<i64> {
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// `HH:MM` from `00:00` to `24:00`, as minutes of the day.
fn minutes_of_day(text: &str) -> Result<i64, String> {
    let b = text.as_bytes();
    let valid = text == "24:00"
        || (b.len() == 5
            && b[2] == b':'
            && matches!(
                (b[0], b[1]),
                (b'0' | b'1', b'0'..=b'9') | (b'2', b'0'..=b'3')
            )
            && matches!((b[3], b[4]), (b'0'..=b'5', b'0'..=b'9')));
    if !valid {
        return Err(format!("couldn't parse timestamp {text}, invalid format"));
    }
    let number = |r: std::ops::Range<usize>| {
        i64::from(b[r.start] - b'0') * 10 + i64::from(b[r.start + 1] - b'0')
    };
    Ok(number(0..2) * 60 + number(3..5))
}

/// Whether `name` can be a time zone for Go's `time.LoadLocation`. The
/// time zone database is not consulted: `UTC`, `Local`, and names shaped
/// like the database's (`Europe/Berlin`, `Etc/GMT+1`) pass.
fn time_zone_name(name: &str) -> bool {
    name.is_empty()
        || ((name.starts_with(|c: char| c.is_ascii_alphabetic()))
            && !name.contains("..")
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "/_+-".contains(c)))
}

#[cfg(test)]
mod tests {
    use crate::alertmanager::fixtures::{errors, with_route};

    #[test]
    fn time_interval_ranges_are_checked_as_alertmanager_parses_them() {
        // Every range was taken as text; Alertmanager parses each.
        let intervals = "time_intervals:\n  - name: t\n    time_intervals:\n      - weekdays: [funday, 'friday:monday', 'Monday:FRIDAY']\n        times:\n          - {start_time: '25:00', end_time: '26:00'}\n          - {start_time: '18:00', end_time: '09:00'}\n          - {start_time: '09:00'}\n          - {start_time: '00:00', end_time: '24:00'}\n        days_of_month: ['0', '-1:5', '-3:-1', '10:2']\n        months: ['march:january', 13, smarch]\n        years: ['2030:2020', '2024']\n        location: '../etc/passwd'\n";
        assert_eq!(
            errors(&with_route("", intervals)),
            [
                "8:20: funday is not a valid weekday",
                "8:28: start day cannot be before end day",
                "10:13: couldn't parse timestamp 25:00, invalid format",
                "11:13: start time cannot be equal or greater than end time",
                "12:13: both start and end times must be provided",
                "14:25: 0 is not a valid day of the month: out of range",
                "14:30: end day must be negative if start day is negative",
                "14:47: end day 2 is always before start day 10",
                "15:18: end month january is before start month march",
                "15:39: smarch is not a valid month",
                "16:17: end year 2020 is before start year 2030",
                "17:19: unknown time zone ../etc/passwd",
            ]
        );
    }
}
