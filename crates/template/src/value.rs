//! The values a template works on ([`Value`], [`Sample`]), how Go prints
//! them (`fmt.Sprint`), which are true, and Go's comparison rules for
//! `eq`, `lt` and the rest.
//!
//! ```
//! use o11y_template::Value;
//!
//! let labels = Value::labels([("job", "api"), ("instance", "a:80")]);
//! assert_eq!(labels.print(), "map[instance:a:80 job:api]");
//! assert_eq!(Value::Float(0.5).print(), "0.5");
//! ```

use std::cmp::Ordering;
use std::collections::BTreeMap;

use o11y_model::number::format_float;

/// Most bytes one rendering writes, and one value may hold: a template
/// can loop and repeat, but never fill the memory.
pub(crate) const MAX_OUTPUT: usize = 1 << 20;

/// A value inside a template.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Nil,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    /// Label sets and `args`: string keys.
    Map(BTreeMap<String, Value>),
    /// One query result sample (`.Labels`, `.Value`).
    Sample(Sample),
    List(Vec<Value>),
    /// A point in time (Go's `time.Time`), in nanoseconds since 1970 UTC:
    /// what Loki's `__timestamp__`, `toDate` and `unixToTime` return.
    Time(i128),
}

/// A sample a `query` returned.
#[derive(Clone, Debug, PartialEq)]
pub struct Sample {
    pub labels: BTreeMap<String, String>,
    pub value: f64,
}

impl Value {
    /// A label set as a map of strings.
    pub fn labels<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Value {
        Value::Map(o11y_model::sort::map_from(
            pairs
                .into_iter()
                .map(|(k, v)| (k.to_string(), Value::Str(v.to_string()))),
        ))
    }

    /// Whether `if` takes it: Go's truth (not the zero value, not empty).
    pub(crate) fn truthy(&self) -> bool {
        match self {
            Value::Nil => false,
            Value::Bool(b) => *b,
            Value::Int(i) => *i != 0,
            Value::Float(f) => *f != 0.0,
            Value::Str(s) => !s.is_empty(),
            Value::Map(m) => !m.is_empty(),
            Value::Sample(_) | Value::Time(_) => true,
            Value::List(l) => !l.is_empty(),
        }
    }

    /// The Go type name error messages use.
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            Value::Nil => "nil",
            Value::Bool(_) => "bool",
            Value::Int(_) => "int",
            Value::Float(_) => "float64",
            Value::Str(_) => "string",
            Value::Map(_) => "map",
            Value::Sample(_) => "*sample",
            Value::List(_) => "slice",
            Value::Time(_) => "time.Time",
        }
    }

    /// What `{{ . }}` prints (Go's `fmt.Sprint`). A time prints as RFC 3339
    /// (`2023-11-14T22:13:20Z`), as LogQL's `__timestamp__` always has here.
    pub fn print(&self) -> String {
        match self {
            Value::Nil => "<no value>".to_string(),
            Value::Bool(b) => b.to_string(),
            Value::Int(i) => i.to_string(),
            Value::Float(f) => format_float(*f),
            Value::Str(s) => s.clone(),
            Value::Map(m) => {
                let inner: Vec<String> = m
                    .iter()
                    .map(|(k, v)| format!("{k}:{}", v.print()))
                    .collect();
                format!("map[{}]", inner.join(" "))
            }
            Value::Sample(s) => {
                let inner: Vec<String> = s.labels.iter().map(|(k, v)| format!("{k}:{v}")).collect();
                format!("&{{map[{}] {}}}", inner.join(" "), format_float(s.value))
            }
            Value::List(l) => {
                let inner: Vec<String> = l.iter().map(Value::print).collect();
                format!("[{}]", inner.join(" "))
            }
            Value::Time(ns) => crate::layout::format_rfc3339(*ns),
        }
    }

    /// Prometheus's `ConvertToFloat`: numbers, and strings that parse.
    pub(crate) fn to_float(&self) -> Result<f64, String> {
        match self {
            Value::Float(f) => Ok(*f),
            Value::Int(i) => Ok(*i as f64),
            Value::Str(s) => parse_go_float(s)
                .ok_or_else(|| format!("strconv.ParseFloat: parsing {s:?}: invalid syntax")),
            other => Err(format!("can't convert {} to float", other.kind())),
        }
    }

    /// The string inside, or Go's complaint about the argument's type.
    pub(crate) fn as_str(&self) -> Result<String, String> {
        match self {
            Value::Str(s) => Ok(s.clone()),
            other => Err(format!(
                "wrong type for value; expected string; got {}",
                other.kind()
            )),
        }
    }
}

/// Go's `strconv.ParseFloat` for the forms people write: decimals,
/// exponents, `Inf`/`+Inf`/`-Inf`, `NaN` (any case).
pub(crate) fn parse_go_float(s: &str) -> Option<f64> {
    let lower = s.to_ascii_lowercase();
    match lower.trim_start_matches(['+', '-']) {
        "inf" | "infinity" => Some(if lower.starts_with('-') {
            f64::NEG_INFINITY
        } else {
            f64::INFINITY
        }),
        "nan" => Some(f64::NAN),
        _ if s.chars().all(|c| c.is_ascii_digit() || "+-.eE".contains(c)) => s.parse().ok(),
        _ => None,
    }
}

/// How Go's `eq`, `ne`, `lt`, `le`, `gt` and `ge` order two values:
/// strings with strings, numbers with numbers (an int and a float meet as
/// floats); booleans and nils only for (in)equality (`equality`).
pub(crate) fn compare(x: &Value, y: &Value, equality: bool) -> Result<Ordering, String> {
    match (x, y) {
        (Value::Str(p), Value::Str(q)) => Ok(p.cmp(q)),
        (Value::Bool(p), Value::Bool(q)) if equality => Ok(p.cmp(q)),
        (Value::Int(p), Value::Int(q)) => Ok(p.cmp(q)),
        (Value::Int(_) | Value::Float(_), Value::Int(_) | Value::Float(_)) => {
            let (p, q) = (
                x.to_float().unwrap_or(f64::NAN),
                y.to_float().unwrap_or(f64::NAN),
            );
            Ok(p.partial_cmp(&q).unwrap_or(Ordering::Less))
        }
        (Value::Nil, Value::Nil) if equality => Ok(Ordering::Equal),
        _ => Err("incompatible types for comparison".into()),
    }
}
