//! Loki's template functions, for LogQL's `line_format` and
//! `label_format` (Loki's `pkg/logql/log/fmt.go`): its own (`ToUpper`,
//! `Replace`, `regexReplaceAll`, `count`, `bytes`, `duration`,
//! `unixToTime`, `alignLeft`, `b64dec`…), the sprig functions it enables
//! (`upper`, `trunc`, `substr`, `indent`, `add`, `divf`, `round`,
//! `fromJson`, `date`, `toDate`, `default`…), and `__line__` and
//! `__timestamp__`. Labels are strings, so the functions read numbers
//! from strings as sprig does (`"3" | add 1` is 4).
//!
//! ```
//! use o11y_template::{Env, Functions, Template, Value};
//!
//! let t = Template::parse_with("line", "{{ .level | upper }} {{ div .ms 1000 }}s {{ __line__ | trunc 3 }}", &[], Functions::Loki).unwrap();
//! let env = Env::default()
//!     .dot(Value::labels([("level", "warn"), ("ms", "3000")]))
//!     .log_line("GET /api", 0);
//! assert_eq!(t.render(&env).unwrap(), "WARN 3s GET");
//! ```

mod math;
mod text;
mod time;

#[cfg(test)]
mod tests;

use crate::env::Env;
use crate::error::{CallError, want};
use crate::value::Value;

/// The names of Loki's functions.
pub(crate) const NAMES: &[&str] = &[
    // Loki's own.
    "ToLower",
    "ToUpper",
    "Replace",
    "Trim",
    "TrimLeft",
    "TrimRight",
    "TrimPrefix",
    "TrimSuffix",
    "TrimSpace",
    "regexReplaceAll",
    "regexReplaceAllLiteral",
    "count",
    "urldecode",
    "urlencode",
    "bytes",
    "duration",
    "duration_seconds",
    "unixEpochMillis",
    "unixEpochNanos",
    "toDateInZone",
    "unixToTime",
    "alignLeft",
    "alignRight",
    "b64dec",
    "__line__",
    "__timestamp__",
    // Sprig's, as Loki enables them.
    "b64enc",
    "lower",
    "upper",
    "title",
    "trunc",
    "substr",
    "contains",
    "hasPrefix",
    "hasSuffix",
    "indent",
    "nindent",
    "replace",
    "repeat",
    "trim",
    "trimAll",
    "trimSuffix",
    "trimPrefix",
    "int",
    "float64",
    "add",
    "sub",
    "mul",
    "div",
    "mod",
    "addf",
    "subf",
    "mulf",
    "divf",
    "max",
    "min",
    "maxf",
    "minf",
    "ceil",
    "floor",
    "round",
    "fromJson",
    "date",
    "toDate",
    "unixEpoch",
    "default",
    // Spellings this playground's LogQL has always accepted.
    "toUpper",
    "toLower",
    "Title",
    "trimSpace",
    // Go's `printf`, reading numbers from label strings.
    "printf",
];

/// Calls Loki's function `f`.
pub(crate) fn call(f: &str, a: Vec<Value>, env: &Env<'_>) -> Result<Value, CallError> {
    match f {
        "__line__" => {
            want(f, &a, 0)?;
            Ok(Value::Str(env.line.to_string()))
        }
        "__timestamp__" => {
            want(f, &a, 0)?;
            Ok(Value::Time(i128::from(env.ts_ns)))
        }
        "fromJson" => {
            want(f, &a, 1)?;
            // Text that is not JSON gives an empty string, as Loki documents.
            Ok(
                match serde_json::from_str::<serde_json::Value>(&text_of(&a[0])) {
                    Ok(json) => from_json(json),
                    Err(_) => Value::Str(String::new()),
                },
            )
        }
        _ => {
            for module_call in [text::call, math::call, time::call] {
                if let Some(v) = module_call(f, &a)? {
                    return Ok(v);
                }
            }
            Err(CallError::Failed(format!("function {f:?} not defined")))
        }
    }
}

/// A JSON document as Go's `encoding/json` decodes it into `interface{}`:
/// objects as maps, arrays as slices, numbers as float64.
fn from_json(json: serde_json::Value) -> Value {
    match json {
        serde_json::Value::Null => Value::Nil,
        serde_json::Value::Bool(b) => Value::Bool(b),
        serde_json::Value::Number(n) => Value::Float(n.as_f64().unwrap_or(f64::NAN)),
        serde_json::Value::String(s) => Value::Str(s),
        serde_json::Value::Array(items) => Value::List(items.into_iter().map(from_json).collect()),
        serde_json::Value::Object(map) => Value::Map(o11y_model::sort::map_from(
            map.into_iter().map(|(k, v)| (k, from_json(v))),
        )),
    }
}

/// A value as text: a string as it is, nil as nothing, the rest as Go
/// prints it.
fn text_of(v: &Value) -> String {
    match v {
        Value::Str(s) => s.clone(),
        Value::Nil => String::new(),
        other => other.print(),
    }
}

/// The last argument as text (what a pipeline passes), or nothing.
fn last_text(a: &[Value]) -> String {
    a.last().map(text_of).unwrap_or_default()
}

/// Sprig's `toInt64` (the `cast` library): numbers, booleans, and strings
/// that parse as integers (`"42"`, `"0x2a"`, `"42.0"`); anything else is 0.
fn int_of(v: &Value) -> i64 {
    match v {
        Value::Int(i) => *i,
        Value::Float(f) => *f as i64,
        Value::Bool(b) => i64::from(*b),
        Value::Str(s) => parse_int(s).unwrap_or(0),
        _ => 0,
    }
}

/// Go's `strconv.ParseInt(s, 0, 64)` after `cast` drops a zero decimal part.
fn parse_int(s: &str) -> Option<i64> {
    let s = match s.split_once('.') {
        Some((int, frac)) if frac.bytes().all(|b| b == b'0') => int,
        _ => s,
    };
    let (negative, digits) = match s.strip_prefix('-') {
        Some(d) => (true, d),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    let digits = digits.replace('_', "");
    let lower = digits.to_ascii_lowercase();
    let (radix, body) = if let Some(h) = lower.strip_prefix("0x") {
        (16, h)
    } else if let Some(o) = lower.strip_prefix("0o") {
        (8, o)
    } else if let Some(b) = lower.strip_prefix("0b") {
        (2, b)
    } else if lower.len() > 1 && lower.starts_with('0') {
        (8, &lower[1..])
    } else {
        (10, lower.as_str())
    };
    if body.is_empty() || body.starts_with(['+', '-']) {
        return None;
    }
    let n = i64::from_str_radix(body, radix).ok()?;
    Some(if negative { -n } else { n })
}

/// Sprig's `toFloat64`: numbers, booleans, and strings that parse; else 0.
fn float_of(v: &Value) -> f64 {
    match v {
        Value::Int(i) => *i as f64,
        Value::Float(f) => *f,
        Value::Bool(b) => f64::from(u8::from(*b)),
        Value::Str(s) => s.trim().parse().unwrap_or(0.0),
        _ => 0.0,
    }
}

/// At least `n` arguments (more are ignored), with Go's message for too
/// few: how this playground's LogQL always ran its string functions.
fn need(f: &str, a: &[Value], n: usize) -> Result<(), CallError> {
    if a.len() < n {
        return Err(CallError::arity(f, n, a.len()));
    }
    Ok(())
}

/// Go's arity check for a variadic function: at least `n` arguments.
fn at_least(f: &str, a: &[Value], n: usize) -> Result<(), CallError> {
    if a.len() < n {
        return Err(CallError::Args(format!(
            "wrong number of args for {f}: want at least {n} got {}",
            a.len()
        )));
    }
    Ok(())
}
