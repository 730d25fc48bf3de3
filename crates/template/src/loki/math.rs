//! Loki's math functions (sprig's): integer `add`, `sub`, `mul`, `div`,
//! `mod`, `max`, `min`, `int`; float `addf`, `subf`, `mulf`, `divf`,
//! `maxf`, `minf`, `float64`, `ceil`, `floor`, `round`; and the unit
//! readers `bytes` and `duration`.
//!
//! ```text
//! {{ div .duration_ms 1000 }}      3000 → 3
//! {{ round (divf .a .b) 2 }}       1, 3 → 0.33
//! {{ .size | bytes }}              "3 kB" → 3000
//! ```

use o11y_model::duration::parse_go_duration;
use o11y_model::number::parse_bytes;

use super::{at_least, float_of, int_of, text_of};
use crate::error::{CallError, want};
use crate::value::Value;

/// Calls the math function `f`; `None` when `f` is not one.
pub(super) fn call(f: &str, a: &[Value]) -> Result<Option<Value>, CallError> {
    let ints = || a.iter().map(int_of);
    let floats = || a.iter().map(float_of);
    let v = match f {
        "int" => {
            want(f, a, 1)?;
            Value::Int(int_of(&a[0]))
        }
        "float64" => {
            want(f, a, 1)?;
            Value::Float(float_of(&a[0]))
        }
        "add" => Value::Int(ints().fold(0i64, i64::wrapping_add)),
        "mul" => {
            at_least(f, a, 1)?;
            Value::Int(ints().fold(1i64, i64::wrapping_mul))
        }
        "sub" | "div" | "mod" => {
            want(f, a, 2)?;
            let (x, y) = (int_of(&a[0]), int_of(&a[1]));
            Value::Int(match f {
                "sub" => x.wrapping_sub(y),
                _ if y == 0 => {
                    return Err(CallError::Failed(
                        "runtime error: integer divide by zero".into(),
                    ));
                }
                "div" => x.wrapping_div(y),
                _ => x.wrapping_rem(y),
            })
        }
        "max" | "min" => {
            at_least(f, a, 1)?;
            let all = ints();
            Value::Int(if f == "max" { all.max() } else { all.min() }.unwrap_or(0))
        }
        // In decimal, as sprig computes them: `addf 0.1 0.2` is 0.3.
        "addf" => Value::Float(floats().fold(0.0, |acc, x| decimal_op('+', acc, x))),
        "subf" | "mulf" | "divf" => {
            at_least(f, a, 1)?;
            let mut all = floats();
            let mut acc = all.next().unwrap_or(0.0);
            let op = match f {
                "subf" => '-',
                "mulf" => '*',
                _ => '/',
            };
            for x in all {
                if op == '/' && x == 0.0 {
                    return Err(CallError::Failed("decimal division by zero".into()));
                }
                acc = decimal_op(op, acc, x);
            }
            Value::Float(acc)
        }
        "maxf" | "minf" => {
            at_least(f, a, 1)?;
            let pick = if f == "maxf" { f64::max } else { f64::min };
            Value::Float(floats().reduce(pick).unwrap_or(0.0))
        }
        "ceil" | "floor" => {
            want(f, a, 1)?;
            let x = float_of(&a[0]);
            Value::Float(if f == "ceil" { x.ceil() } else { x.floor() })
        }
        "round" => {
            at_least(f, a, 2)?;
            let round_on = a.get(2).map_or(0.5, float_of);
            Value::Float(round(float_of(&a[0]), int_of(&a[1]), round_on))
        }
        "bytes" => {
            want(f, a, 1)?;
            Value::Float(humanized_bytes(&text_of(&a[0])).map_err(CallError::Failed)?)
        }
        "duration" | "duration_seconds" => {
            want(f, a, 1)?;
            let s = text_of(&a[0]);
            let seconds = parse_go_duration(&s)
                .ok_or_else(|| CallError::Failed(format!("time: invalid duration {s:?}")))?;
            Value::Float(seconds)
        }
        _ => return Ok(None),
    };
    Ok(Some(v))
}

/// `x op y` as the decimal numbers `x` and `y` print as (shopspring's
/// `decimal`, which sprig uses; division to 16 decimals, half away from
/// zero), in floating point where the decimals would not fit.
fn decimal_op(op: char, x: f64, y: f64) -> f64 {
    let exact = || -> Option<f64> {
        let (a, b) = (Decimal::of(x)?, Decimal::of(y)?);
        let d = match op {
            '+' | '-' => {
                let e = a.exp.min(b.exp);
                let (ma, mb) = (a.scaled_to(e)?, b.scaled_to(e)?);
                let m = if op == '+' {
                    ma.checked_add(mb)?
                } else {
                    ma.checked_sub(mb)?
                };
                Decimal {
                    mantissa: m,
                    exp: e,
                }
            }
            '*' => Decimal {
                mantissa: a.mantissa.checked_mul(b.mantissa)?,
                exp: a.exp.checked_add(b.exp)?,
            },
            _ => {
                // The quotient times 10^16, rounded.
                let k = a.exp - b.exp + 16;
                let (num, den) = if k >= 0 {
                    (a.mantissa.checked_mul(pow10(k)?)?, b.mantissa)
                } else {
                    (a.mantissa, b.mantissa.checked_mul(pow10(-k)?)?)
                };
                let (q, r) = (num.checked_div(den)?, num.checked_rem(den)?);
                let away = r.checked_mul(2)?.abs() >= den.abs();
                let sign = if (num < 0) != (den < 0) { -1 } else { 1 };
                Decimal {
                    mantissa: if away { q.checked_add(sign)? } else { q },
                    exp: -16,
                }
            }
        };
        format!("{}e{}", d.mantissa, d.exp).parse().ok()
    };
    exact().unwrap_or(match op {
        '+' => x + y,
        '-' => x - y,
        '*' => x * y,
        _ => x / y,
    })
}

/// `mantissa × 10^exp`.
struct Decimal {
    mantissa: i128,
    exp: i32,
}

impl Decimal {
    /// The shortest decimal that reads back as `x`.
    fn of(x: f64) -> Option<Decimal> {
        if !x.is_finite() {
            return None;
        }
        let s = format!("{x:e}");
        let (digits, exp) = s.split_once('e')?;
        let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
        Some(Decimal {
            mantissa: format!("{int}{frac}").parse().ok()?,
            exp: exp.parse::<i32>().ok()? - i32::try_from(frac.len()).ok()?,
        })
    }

    /// The mantissa for the smaller exponent `exp`.
    fn scaled_to(&self, exp: i32) -> Option<i128> {
        self.mantissa.checked_mul(pow10(self.exp - exp)?)
    }
}

fn pow10(n: i32) -> Option<i128> {
    10i128.checked_pow(u32::try_from(n).ok()?)
}

/// Sprig's `round`: to `places` decimals, up from `round_on` (.5).
fn round(x: f64, places: i64, round_on: f64) -> f64 {
    let pow = 10f64.powi(places.clamp(-400, 400) as i32);
    let digit = pow * x;
    let rounded = if digit.fract() >= round_on {
        digit.ceil()
    } else {
        digit.floor()
    };
    rounded / pow
}

/// go-humanize's `ParseBytes`: `3 kB`, `3MB`, `1,024 KiB` in bytes.
fn humanized_bytes(s: &str) -> Result<f64, String> {
    let number_len = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == ','))
        .unwrap_or(s.len());
    let number = s[..number_len].replace(',', "");
    let unit = s[number_len..].trim();
    let bytes = parse_bytes(&format!("{number}{unit}")).ok_or_else(|| {
        if number.parse::<f64>().is_err() {
            format!("strconv.ParseFloat: parsing {number:?}: invalid syntax")
        } else {
            format!("unhandled size name: {}", unit.to_lowercase())
        }
    })?;
    Ok(bytes.trunc())
}
