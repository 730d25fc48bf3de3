//! Functions of time: `time`, `timestamp`, the query's `start`, `end`,
//! `step` and `range`, and the calendar parts of a time in UTC
//! (`year`, `month`, `day_of_month`, `day_of_week`, `day_of_year`,
//! `days_in_month`, `hour`, `minute`).

use super::call::Call;
use super::{Evaluator, Result, Value, VectorSample};
use o11y_model::labels::Labels;

impl Evaluator<'_> {
    /// A calendar part of each sample's value taken as Unix seconds, or of
    /// the evaluation time when the call has no argument.
    fn date_part(&self, call: Call, part: fn(&time_parts::Civil) -> f64) -> Result<Value> {
        let Call { args, ts, .. } = call;
        if args.is_empty() {
            let civil = time_parts::Civil::from_unix_seconds(ts.div_euclid(1000));
            return Ok(Value::Vector(vec![VectorSample::float(
                Labels::default(),
                part(&civil),
            )]));
        }
        self.map_values(call, &|v| {
            if v.is_finite() {
                part(&time_parts::Civil::from_unix_seconds(v.floor() as i64))
            } else {
                f64::NAN
            }
        })
    }

    /// The time functions; `None` for another name.
    pub(super) fn time_function(&self, call: Call) -> Result<Option<Value>> {
        let Call { name, ts, .. } = call;
        let value = match name {
            // Of a selector, `call` gives the samples' own times.
            "timestamp" => self.map_values(call, &|_| ts as f64 / 1000.0),
            "time" => Ok(Value::Scalar(ts as f64 / 1000.0)),
            "start" => Ok(Value::Scalar(self.start_ms as f64 / 1000.0)),
            "end" => Ok(Value::Scalar(self.end_ms as f64 / 1000.0)),
            "step" => Ok(Value::Scalar(self.step_ms as f64 / 1000.0)),
            "range" => Ok(Value::Scalar((self.end_ms - self.start_ms) as f64 / 1000.0)),
            "day_of_month" => self.date_part(call, |c| c.day as f64),
            "day_of_week" => self.date_part(call, |c| c.weekday as f64),
            "day_of_year" => self.date_part(call, |c| c.day_of_year as f64),
            "days_in_month" => self.date_part(call, |c| c.days_in_month as f64),
            "hour" => self.date_part(call, |c| c.hour as f64),
            "minute" => self.date_part(call, |c| c.minute as f64),
            "month" => self.date_part(call, |c| c.month as f64),
            "year" => self.date_part(call, |c| c.year as f64),
            _ => return Ok(None),
        };
        value.map(Some)
    }
}

/// Calendar parts of a Unix time in UTC, for the date functions.
mod time_parts {
    use o11y_model::time::{civil_from_days, days_from_civil, days_in_month};

    pub struct Civil {
        pub year: i64,
        pub month: u32,
        pub day: u32,
        pub hour: u32,
        pub minute: u32,
        pub weekday: u32,
        pub day_of_year: u32,
        pub days_in_month: u32,
    }

    impl Civil {
        /// The calendar parts of `secs` since 1970 in UTC.
        pub fn from_unix_seconds(secs: i64) -> Civil {
            let days = secs.div_euclid(86_400);
            let rem = secs.rem_euclid(86_400);
            let (year, month, day) = civil_from_days(days.into());
            let day_of_year = days - days_from_civil(year, 1, 1) as i64 + 1;
            let (year, month, day) = (year as i64, month as u32, day as u32);
            Civil {
                year,
                month,
                day,
                hour: (rem / 3600) as u32,
                minute: (rem / 60 % 60) as u32,
                weekday: (days + 4).rem_euclid(7) as u32,
                day_of_year: day_of_year as u32,
                days_in_month: days_in_month(year.into(), month.into()) as u32,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::time_parts::Civil;
    use crate::eval::fixture::{eval_at, store};

    fn parts(secs: i64) -> [i64; 8] {
        let c = Civil::from_unix_seconds(secs);
        [
            c.year,
            c.month.into(),
            c.day.into(),
            c.hour.into(),
            c.minute.into(),
            c.weekday.into(),
            c.day_of_year.into(),
            c.days_in_month.into(),
        ]
    }

    #[test]
    fn calendar_parts_in_utc() {
        // 2024-02-29T13:45:00Z, a Thursday in a leap year.
        assert_eq!(parts(1_709_214_300), [2024, 2, 29, 13, 45, 4, 60, 29]);
        // 2023-12-31T23:59:00Z, a Sunday.
        assert_eq!(parts(1_704_067_140), [2023, 12, 31, 23, 59, 0, 365, 31]);
        // One second before the epoch, a Wednesday.
        assert_eq!(parts(-1), [1969, 12, 31, 23, 59, 3, 365, 31]);
    }

    #[test]
    fn date_functions_read_values_or_the_evaluation_time() {
        let s = store(&[]);
        assert_eq!(eval_at(&s, "year()", 0), ["{} 1970"]);
        assert_eq!(eval_at(&s, "day_of_week()", 0), ["{} 4"]);
        assert_eq!(eval_at(&s, "hour(vector(5 * 3600 + 59))", 0), ["{} 5"]);
        assert_eq!(eval_at(&s, "month(vector(1709214300))", 0), ["{} 2"]);
        assert_eq!(
            eval_at(&s, "days_in_month(vector(1709214300))", 0),
            ["{} 29"]
        );
        assert_eq!(eval_at(&s, "minute(vector(NaN))", 0), ["{} NaN"]);
    }

    #[test]
    fn timestamp_gives_the_samples_own_time() {
        let s = store(&[("x{job=\"a\"}", &[(10, 1.0)])]);
        assert_eq!(eval_at(&s, "timestamp(x)", 60), ["{job=\"a\"} 10"]);
        assert_eq!(eval_at(&s, "timestamp((x))", 60), ["{job=\"a\"} 10"]);
        // Not a selector: the evaluation time.
        assert_eq!(eval_at(&s, "timestamp(x + 0)", 60), ["{job=\"a\"} 60"]);
        assert_eq!(eval_at(&s, "time()", 60), ["60"]);
        // An instant query starts and ends at its time, with no step.
        assert_eq!(eval_at(&s, "end() - start() + step()", 60), ["0"]);
    }
}
