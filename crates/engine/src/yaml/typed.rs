//! Configuration YAML checked against the Go types Prometheus and
//! Alertmanager decode it into (gopkg.in/yaml.v2, `UnmarshalStrict`), so
//! that a wrong type is an error at its place instead of an empty value.
//!
//! As yaml.v2 does: any scalar goes into a string field (`5` is `"5"`,
//! `true` is `"true"`); only plain `true`/`false` (and YAML 1.1's
//! `yes`/`no`/`on`/`off`/`y`/`n`) into a boolean; integers (and floats,
//! truncated) into an unsigned integer; null into anything as its zero
//! value; a sequence or mapping never into a scalar field, nor a scalar
//! into a list or mapping. Unknown fields of a strict struct are refused.
//! Unlike yaml.v2, which stops at the first error that is not a type
//! error, every problem is collected.

use crate::yaml::{Node, Value};

/// A field's type.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Ty {
    /// Any scalar, as its text.
    Str,
    Bool,
    /// `uint64`.
    Uint,
    /// Prometheus's `model.Duration` (`1h30m`).
    Duration,
    /// Go's `time.Duration`: an integer (nanoseconds) or `1m30s`.
    GoDuration,
    List(&'static Ty),
    /// `map[string]T`.
    Map(&'static Ty),
    Struct(&'static Struct),
    /// Anything (a field that is kept but not read, such as `payload`).
    Any,
}

/// A Go struct's YAML fields.
#[derive(Debug)]
pub(crate) struct Struct {
    /// Go's name for it, as in "field x not found in type config.plain".
    pub(crate) name: &'static str,
    pub(crate) fields: &'static [(&'static str, Ty)],
    /// Whether fields not listed are refused (else they pass unchecked).
    pub(crate) strict: bool,
}

/// A problem at a 1-based line and column.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Problem {
    pub(crate) line: usize,
    pub(crate) col: usize,
    pub(crate) message: String,
}

impl Ty {
    fn expected(self) -> &'static str {
        match self {
            Ty::Str => "a string",
            Ty::Bool => "a boolean (true or false)",
            Ty::Uint => "an unsigned integer",
            Ty::Duration | Ty::GoDuration => "a duration such as 5m",
            Ty::List(Ty::Str) => "a list of strings",
            Ty::List(_) => "a list",
            Ty::Map(Ty::Str) => "a mapping of strings",
            Ty::Map(_) | Ty::Struct(_) => "a mapping",
            Ty::Any => "anything",
        }
    }
}

/// What a node is, for "expected …, found …".
fn found(node: &Node) -> String {
    match &node.value {
        Value::Seq(_) => "a list".into(),
        Value::Map(_) => "a mapping".into(),
        Value::Scalar { text, plain } => {
            let mut shown: String = text.chars().take(40).collect();
            if shown.len() < text.len() {
                shown.push('…');
            }
            if *plain {
                format!("{shown:?}")
            } else {
                format!("the quoted string {shown:?}")
            }
        }
    }
}

fn problem(node: &Node, message: String) -> Problem {
    let (line, col) = start(node);
    Problem { line, col, message }
}

/// Where a node starts. A block mapping's own mark is where its first
/// key ends (the parser knows it is a mapping only at the `:`), so its
/// first key is its start.
pub(crate) fn start(node: &Node) -> (usize, usize) {
    let own = (node.line, node.col);
    node.entries()
        .first()
        .map_or(own, |(k, _)| own.min((k.line, k.col)))
}

/// `path.name`, or `name` at the top.
pub(crate) fn field_path(path: &str, name: &str) -> String {
    if path.is_empty() {
        name.to_string()
    } else {
        format!("{path}.{name}")
    }
}

/// Checks `node` against `ty`; problems go into `out`, in the order of
/// the text. `path` names the node in messages (`route.receiver`).
pub(crate) fn check(node: &Node, ty: Ty, path: &str, out: &mut Vec<Problem>) {
    if node.is_null() {
        return;
    }
    let what = if path.is_empty() {
        "the document"
    } else {
        path
    };
    let wrong = |out: &mut Vec<Problem>| {
        out.push(problem(
            node,
            format!("{what}: expected {}, found {}", ty.expected(), found(node)),
        ));
    };
    let scalar = node.as_str();
    match ty {
        Ty::Any => {}
        Ty::Str => {
            if scalar.is_none() {
                wrong(out);
            }
        }
        Ty::Bool => {
            if as_bool(node).is_none() {
                wrong(out);
            }
        }
        Ty::Uint => {
            if as_uint(node).is_none() {
                wrong(out);
            }
        }
        Ty::Duration => match scalar {
            None => wrong(out),
            Some(t) => {
                if crate::duration::parse_duration(t).is_err() {
                    out.push(problem(
                        node,
                        format!("{what}: not a valid duration string: {t:?}"),
                    ));
                }
            }
        },
        Ty::GoDuration => match scalar {
            None => wrong(out),
            Some(t) => {
                let plain = matches!(node.value, Value::Scalar { plain: true, .. });
                let number = plain && (go_int(t).is_some() || go_float(t).is_some());
                if !number && !go_duration(t) {
                    out.push(problem(
                        node,
                        format!("{what}: time: invalid duration {t:?}"),
                    ));
                }
            }
        },
        Ty::List(item) => match &node.value {
            Value::Seq(items) => {
                for (i, n) in items.iter().enumerate() {
                    check(n, *item, &format!("{path}[{i}]"), out);
                }
            }
            _ => wrong(out),
        },
        Ty::Map(value) => match &node.value {
            Value::Map(entries) => {
                for (k, v) in entries {
                    match k.as_str() {
                        Some(name) => check(v, *value, &field_path(path, name), out),
                        None => out.push(problem(
                            k,
                            format!("{what}: expected a string key, found {}", found(k)),
                        )),
                    }
                }
            }
            _ => wrong(out),
        },
        Ty::Struct(s) => match &node.value {
            Value::Map(entries) => {
                for (k, v) in entries {
                    let Some(name) = k.as_str() else {
                        out.push(problem(
                            k,
                            format!("{what}: expected a field name, found {}", found(k)),
                        ));
                        continue;
                    };
                    match s.fields.iter().find(|(f, _)| *f == name) {
                        Some((_, fty)) => check(v, *fty, &field_path(path, name), out),
                        None if s.strict => out.push(problem(
                            k,
                            format!("field {name} not found in type {}", s.name),
                        )),
                        None => {}
                    }
                }
            }
            _ => wrong(out),
        },
    }
}

/// A boolean as yaml.v2 reads one (plain scalars only).
pub(crate) fn as_bool(node: &Node) -> Option<bool> {
    match &node.value {
        Value::Scalar { text, plain: true } => match text.as_str() {
            "true" | "True" | "TRUE" | "yes" | "Yes" | "YES" | "y" | "Y" | "on" | "On" | "ON" => {
                Some(true)
            }
            "false" | "False" | "FALSE" | "no" | "No" | "NO" | "n" | "N" | "off" | "Off"
            | "OFF" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

/// A `uint64` as yaml.v2 reads one: a plain integer (`0x`, `0o`, `0b`
/// and leading-zero octal too) that is not negative, or a plain float
/// that fits, truncated.
pub(crate) fn as_uint(node: &Node) -> Option<u64> {
    let Value::Scalar { text, plain: true } = &node.value else {
        return None;
    };
    if let Some(i) = go_int(text) {
        return u64::try_from(i).ok();
    }
    go_float(text)
        .filter(|f| (0.0..18_446_744_073_709_551_616.0).contains(f))
        .map(|f| f as u64)
}

/// An integer as yaml.v2 resolves one (`strconv.ParseInt(s, 0, 64)`,
/// underscores removed, or `0b…`), within `int64` or `uint64`.
fn go_int(text: &str) -> Option<i128> {
    let t = text.replace('_', "");
    let (negative, rest) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t.as_str()),
    };
    let (radix, digits) = if let Some(d) = rest.strip_prefix("0x").or(rest.strip_prefix("0X")) {
        (16, d)
    } else if let Some(d) = rest.strip_prefix("0o").or(rest.strip_prefix("0O")) {
        (8, d)
    } else if let Some(d) = rest.strip_prefix("0b").or(rest.strip_prefix("0B")) {
        (2, d)
    } else if rest.len() > 1 && rest.starts_with('0') {
        (8, &rest[1..])
    } else {
        (10, rest)
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return None;
    }
    let magnitude = i128::from_str_radix(digits, radix).ok()?;
    let value = if negative { -magnitude } else { magnitude };
    (i128::from(i64::MIN)..=i128::from(u64::MAX))
        .contains(&value)
        .then_some(value)
}

/// A float as yaml.v2 resolves one (`[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?`).
fn go_float(text: &str) -> Option<f64> {
    let t = text.replace('_', "");
    let ok = t.bytes().any(|b| b.is_ascii_digit())
        && t.bytes()
            .all(|b| b.is_ascii_digit() || b"+-.eE".contains(&b));
    ok.then(|| t.parse::<f64>().ok()).flatten()
}

/// Whether Go's `time.ParseDuration` takes `text` (`1h2m3.5s`, `300ms`, `0`).
fn go_duration(text: &str) -> bool {
    let t = text.strip_prefix(['-', '+']).unwrap_or(text);
    if t == "0" {
        return true;
    }
    if t.is_empty() {
        return false;
    }
    let mut rest = t;
    while !rest.is_empty() {
        let number_len = rest
            .find(|c: char| !c.is_ascii_digit() && c != '.')
            .unwrap_or(rest.len());
        let number = &rest[..number_len];
        if !number.bytes().any(|b| b.is_ascii_digit()) || number.matches('.').count() > 1 {
            return false;
        }
        rest = &rest[number_len..];
        let Some(unit) = ["ns", "us", "µs", "μs", "ms", "s", "m", "h"]
            .iter()
            .find(|u| rest.starts_with(**u))
        else {
            return false;
        };
        // `ms` before `m`: the list is in that order.
        rest = &rest[unit.len()..];
    }
    true
}

/// The text of a string field already checked (null is `""`).
pub(crate) fn string(node: &Node) -> String {
    if node.is_null() {
        String::new()
    } else {
        node.as_str().unwrap_or_default().to_string()
    }
}

/// The strings of a list of strings already checked.
pub(crate) fn strings(node: &Node) -> Vec<String> {
    node.items().iter().map(string).collect()
}

/// A boolean field already checked (null is `false`).
pub(crate) fn boolean(node: &Node) -> bool {
    as_bool(node).unwrap_or(false)
}

/// An unsigned integer field already checked (null is 0).
pub(crate) fn uint(node: &Node) -> u64 {
    as_uint(node).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scalar(text: &str) -> Node {
        crate::yaml::parse(&format!("v: {text}\n"))
            .unwrap()
            .unwrap()
            .get("v")
            .unwrap()
            .clone()
    }

    #[test]
    fn scalars_as_yaml_v2_reads_them() {
        for (text, want) in [
            ("true", Some(true)),
            ("off", Some(false)),
            ("Y", Some(true)),
            ("'true'", None),
            ("1", None),
            ("maybe", None),
        ] {
            assert_eq!(as_bool(&scalar(text)), want, "{text}");
        }
        for (text, want) in [
            ("4", Some(4)),
            ("0x10", Some(16)),
            ("010", Some(8)),
            ("0b11", Some(3)),
            ("1_000", Some(1000)),
            ("4.9", Some(4)),
            ("-1", None),
            ("'4'", None),
            ("abc", None),
            ("1e3", Some(1000)),
        ] {
            assert_eq!(as_uint(&scalar(text)), want, "{text}");
        }
        for (text, want) in [
            ("10s", true),
            ("1h2m3.5s", true),
            ("300ms", true),
            ("0", true),
            ("-1.5h", true),
            ("5", false),
            ("s", false),
            ("1d", false),
            ("", false),
        ] {
            assert_eq!(go_duration(text), want, "{text}");
        }
    }
}
