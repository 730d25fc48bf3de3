//! Loki's date and time functions: `date`, `toDate`, `toDateInZone`,
//! `unixEpoch`, `unixEpochMillis`, `unixEpochNanos` and `unixToTime`.
//! Times are UTC: the playground has no time-zone database, and `Local`
//! is UTC here.
//!
//! ```text
//! {{ __timestamp__ | date "2006-01-02" }}             → 2022-06-27
//! {{ toDate "2006-01-02" "2021-11-02" | unixEpoch }}  → 1635811200
//! {{ date "15:04" (unixToTime .from) }}               1679577215 → 13:13
//! ```

use super::text_of;
use crate::error::{CallError, want};
use crate::layout::{ZERO_TIME_NS, format, parse};
use crate::value::{MAX_OUTPUT, Value};

const NS_PER_S: i128 = 1_000_000_000;

/// Calls the time function `f`; `None` when `f` is not one.
pub(super) fn call(f: &str, a: &[Value]) -> Result<Option<Value>, CallError> {
    let t = |i: usize| text_of(&a[i]);
    let v = match f {
        "date" => {
            want(f, a, 2)?;
            let ns = match &a[1] {
                Value::Time(ns) => *ns,
                Value::Int(s) => i128::from(*s) * NS_PER_S,
                other => {
                    return Err(CallError::Failed(format!(
                        "wrong type for value; expected time.Time; got {}",
                        other.kind()
                    )));
                }
            };
            let layout = t(0);
            if layout.len() > MAX_OUTPUT / 16 {
                return Err(CallError::Failed("the layout is too long".into()));
            }
            Value::Str(format(&layout, ns))
        }
        // A value that does not parse is Go's zero time, as Loki gives.
        "toDate" => {
            want(f, a, 2)?;
            Value::Time(parse(&t(0), &t(1)).unwrap_or(ZERO_TIME_NS))
        }
        "toDateInZone" => {
            want(f, a, 3)?;
            Value::Time(parse(&t(0), &t(2)).unwrap_or(ZERO_TIME_NS))
        }
        "unixEpoch" | "unixEpochMillis" | "unixEpochNanos" => {
            want(f, a, 1)?;
            let Value::Time(ns) = &a[0] else {
                return Err(CallError::Failed(format!(
                    "wrong type for value; expected time.Time; got {}",
                    a[0].kind()
                )));
            };
            let per_unit = match f {
                "unixEpoch" => NS_PER_S,
                "unixEpochMillis" => 1_000_000,
                _ => 1,
            };
            Value::Str(ns.div_euclid(per_unit).to_string())
        }
        "unixToTime" => {
            want(f, a, 1)?;
            Value::Time(unix_to_time(&t(0)).map_err(CallError::Failed)?)
        }
        _ => return Ok(None),
    };
    Ok(Some(v))
}

/// Loki's `unixToTime`: an epoch in days, seconds, milliseconds,
/// microseconds or nanoseconds, told by its number of digits.
fn unix_to_time(epoch: &str) -> Result<i128, String> {
    let n: i64 = epoch
        .parse()
        .map_err(|_| format!("unable to parse time '{epoch}': invalid syntax"))?;
    let n = i128::from(n);
    Ok(match epoch.len() {
        5 => n * 86_400 * NS_PER_S,
        10 => n * NS_PER_S,
        13 => n * 1_000_000,
        16 => n * 1_000,
        19 => n,
        _ => return Err(format!("unable to parse time '{epoch}'")),
    })
}
