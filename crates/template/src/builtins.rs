//! Go's built-in template functions, which every template has: `and`,
//! `or`, `not`, `len`, `index`, `slice`, `print`, `printf`, `println`,
//! `eq`, `ne`, `lt`, `le`, `gt`, `ge`, `html`, `js` and `urlquery`.
//!
//! ```
//! use o11y_template::{Env, Template};
//!
//! let t = Template::parse("t", r#"{{ len "abc" }} {{ eq 1 3 1 }} {{ urlquery "a b" }}"#, &[]).unwrap();
//! assert_eq!(t.render(&Env::default()).unwrap(), "3 true a+b");
//! ```

use std::cmp::Ordering;
use std::fmt::Write as _;

use crate::error::{CallError, want};
use crate::printf::sprintf;
use crate::value::{MAX_OUTPUT, Value, compare};

/// The names of Go's built-ins.
pub(crate) const NAMES: &[&str] = &[
    "and", "or", "not", "len", "index", "print", "printf", "println", "eq", "ne", "lt", "le", "gt",
    "ge", "html", "js", "urlquery", "slice",
];

/// Calls the built-in `f`.
pub(crate) fn call(f: &str, a: Vec<Value>) -> Result<Value, CallError> {
    let wrap = CallError::Failed;
    let float = |v: &Value| v.to_float().map_err(wrap);
    Ok(match f {
        "and" | "or" => {
            let mut last = Value::Nil;
            for v in a {
                let decided = v.truthy() != (f == "and");
                last = v;
                if decided {
                    break;
                }
            }
            last
        }
        "not" => {
            want(f, &a, 1)?;
            Value::Bool(!a[0].truthy())
        }
        "len" => {
            want(f, &a, 1)?;
            Value::Int(match &a[0] {
                Value::Str(s) => s.len(),
                Value::Map(m) => m.len(),
                Value::List(l) => l.len(),
                other => return Err(wrap(format!("len of type {}", other.kind()))),
            } as i64)
        }
        "index" => {
            if a.is_empty() {
                return Err(wrap("index of untyped nil".into()));
            }
            let mut v = a[0].clone();
            for k in &a[1..] {
                v = match (&v, k) {
                    (Value::Map(m), Value::Str(key)) => {
                        m.get(key).cloned().unwrap_or(Value::Str(String::new()))
                    }
                    (Value::List(l), Value::Int(i)) => l
                        .get(*i as usize)
                        .cloned()
                        .ok_or_else(|| wrap(format!("index out of range: {i}")))?,
                    _ => return Err(wrap(format!("can't index item of type {}", v.kind()))),
                };
            }
            v
        }
        "print" | "println" => {
            bounded(&a)?;
            let mut s = String::new();
            for (i, v) in a.iter().enumerate() {
                // Go's Sprint puts spaces between operands when neither is a string.
                let sep = f == "println"
                    || (i > 0 && !matches!(v, Value::Str(_)) && !matches!(a[i - 1], Value::Str(_)));
                if i > 0 && sep {
                    s.push(' ');
                }
                s.push_str(&v.print());
            }
            if f == "println" {
                s.push('\n');
            }
            Value::Str(s)
        }
        "printf" => {
            if a.is_empty() {
                return Err(wrap("missing format".into()));
            }
            let format = a[0].as_str().map_err(wrap)?;
            Value::Str(sprintf(&format, &a[1..]))
        }
        "eq" | "ne" | "lt" | "le" | "gt" | "ge" => {
            if a.len() < 2 {
                return Err(wrap("missing argument for comparison".into()));
            }
            let equality = matches!(f, "eq" | "ne");
            let cmp = |x: &Value, y: &Value| compare(x, y, equality).map_err(wrap);
            if f == "eq" {
                // eq a b c…: a equals any of the others.
                let mut any = false;
                for y in &a[1..] {
                    any |= cmp(&a[0], y)? == Ordering::Equal;
                }
                Value::Bool(any)
            } else {
                want(f, &a, 2)?;
                let o = cmp(&a[0], &a[1])?;
                Value::Bool(match f {
                    "ne" => o != Ordering::Equal,
                    "lt" => o == Ordering::Less,
                    "le" => o != Ordering::Greater,
                    "gt" => o == Ordering::Greater,
                    _ => o != Ordering::Less,
                })
            }
        }
        "html" => {
            let s = concat(&a)?;
            Value::Str(
                s.replace('&', "&amp;")
                    .replace('<', "&lt;")
                    .replace('>', "&gt;")
                    .replace('"', "&#34;")
                    .replace('\'', "&#39;"),
            )
        }
        "js" => {
            let s = concat(&a)?;
            let mut o = String::new();
            for c in s.chars() {
                match c {
                    '\\' => o.push_str("\\\\"),
                    '\'' => o.push_str("\\'"),
                    '"' => o.push_str("\\\""),
                    '<' => o.push_str("\\u003C"),
                    '>' => o.push_str("\\u003E"),
                    '&' => o.push_str("\\u0026"),
                    '=' => o.push_str("\\u003D"),
                    '\n' => o.push_str("\\n"),
                    '\r' => o.push_str("\\r"),
                    '\t' => o.push_str("\\t"),
                    c => o.push(c),
                }
            }
            Value::Str(o)
        }
        "urlquery" => Value::Str(query_escape(&concat(&a)?)),
        "slice" => {
            let Some(first) = a.first() else {
                return Err(wrap("slice of untyped nil".into()));
            };
            let idx: Vec<usize> = a[1..]
                .iter()
                .map(|v| float(v).map(|f| f.max(0.0) as usize))
                .collect::<Result<_, _>>()?;
            match first {
                Value::Str(s) => {
                    let (from, to) = (
                        idx.first().copied().unwrap_or(0),
                        idx.get(1).copied().unwrap_or(s.len()),
                    );
                    Value::Str(
                        s.get(from..to)
                            .ok_or_else(|| wrap("index out of range".into()))?
                            .to_string(),
                    )
                }
                Value::List(l) => {
                    let (from, to) = (
                        idx.first().copied().unwrap_or(0),
                        idx.get(1).copied().unwrap_or(l.len()),
                    );
                    Value::List(
                        l.get(from..to)
                            .ok_or_else(|| wrap("index out of range".into()))?
                            .to_vec(),
                    )
                }
                other => {
                    return Err(wrap(format!("can't slice item of type {}", other.kind())));
                }
            }
        }
        other => return Err(wrap(format!("function {other:?} not defined"))),
    })
}

/// Fails when printing `args` together would write too much.
fn bounded(args: &[Value]) -> Result<(), CallError> {
    let size: usize = args
        .iter()
        .map(|v| match v {
            Value::Str(s) => s.len(),
            _ => 32,
        })
        .sum();
    if size > MAX_OUTPUT {
        return Err(CallError::Failed("the result is too large".into()));
    }
    Ok(())
}

/// The arguments printed one after another (`html`, `js`, `urlquery`).
fn concat(args: &[Value]) -> Result<String, CallError> {
    bounded(args)?;
    Ok(args.iter().map(Value::print).collect())
}

/// Go's `url.QueryEscape`.
pub(crate) fn query_escape(s: &str) -> String {
    let mut o = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                o.push(b as char)
            }
            b' ' => o.push('+'),
            _ => {
                let _ = write!(o, "%{b:02X}");
            }
        }
    }
    o
}
