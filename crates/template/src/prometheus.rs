//! Prometheus's template functions, for alert labels and annotations:
//! `query`, `first`, `label`, `value`, `strvalue`, `sortByLabel`, `args`,
//! the `humanize` family, `toTime`, `toDuration`, `parseDuration`, `now`,
//! `externalURL`, `pathPrefix`, `graphLink`, `tableLink`, `stripPort`,
//! `stripDomain`, `reReplaceAll`, `match`, `title`, `toUpper`, `toLower`
//! and `safeHtml`.
//!
//! ```
//! use o11y_template::{Env, Template, Value};
//!
//! let t = Template::parse("t", "{{ $value | humanize }}B", &["value"]).unwrap();
//! let env = Env::default().var("value", Value::Float(1234567.0));
//! assert_eq!(t.render(&env).unwrap(), "1.235MB");
//! ```

use o11y_model::duration::format_go_duration;

use crate::builtins::query_escape;
use crate::env::Env;
use crate::error::{CallError, want};
use crate::printf::go_g;
use crate::value::Value;

/// The names of Prometheus's functions.
pub(crate) const NAMES: &[&str] = &[
    "query",
    "first",
    "label",
    "value",
    "strvalue",
    "args",
    "reReplaceAll",
    "safeHtml",
    "match",
    "title",
    "toUpper",
    "toLower",
    "graphLink",
    "tableLink",
    "sortByLabel",
    "humanize",
    "humanize1024",
    "humanizeDuration",
    "humanizePercentage",
    "humanizeTimestamp",
    "toTime",
    "toDuration",
    "pathPrefix",
    "externalURL",
    "parseDuration",
    "now",
    "stripPort",
    "stripDomain",
];

/// Calls Prometheus's function `f`.
pub(crate) fn call(f: &str, a: Vec<Value>, env: &Env<'_>) -> Result<Value, CallError> {
    let wrap = CallError::Failed;
    let want = |n: usize| want(f, &a, n);
    let float = |v: &Value| v.to_float().map_err(wrap);
    let string = |v: &Value| v.as_str().map_err(wrap);
    Ok(match f {
        "safeHtml" => Value::Str(a.iter().map(Value::print).collect()),
        "query" => {
            want(1)?;
            let q = string(&a[0])?;
            let Some(run) = env.query else {
                return Err(wrap("queries are not available here".into()));
            };
            let found = run(&q).map_err(wrap)?;
            Value::List(found.into_iter().map(Value::Sample).collect())
        }
        "first" => {
            want(1)?;
            match &a[0] {
                Value::List(l) => l
                    .first()
                    .cloned()
                    .ok_or_else(|| wrap("first() called on vector with no elements".into()))?,
                other => {
                    return Err(wrap(format!(
                        "wrong type for value; expected template.queryResult; got {}",
                        other.kind()
                    )));
                }
            }
        }
        "label" => {
            want(2)?;
            let l = string(&a[0])?;
            match &a[1] {
                Value::Sample(s) => Value::Str(s.labels.get(&l).cloned().unwrap_or_default()),
                other => {
                    return Err(wrap(format!(
                        "wrong type for value; expected *template.sample; got {}",
                        other.kind()
                    )));
                }
            }
        }
        "value" | "strvalue" => {
            want(1)?;
            match &a[0] {
                Value::Sample(s) if f == "value" => Value::Float(s.value),
                Value::Sample(s) => {
                    Value::Str(s.labels.get("__value__").cloned().unwrap_or_default())
                }
                other => {
                    return Err(wrap(format!(
                        "wrong type for value; expected *template.sample; got {}",
                        other.kind()
                    )));
                }
            }
        }
        "sortByLabel" => {
            want(2)?;
            let l = string(&a[0])?;
            let Value::List(mut items) = a[1].clone() else {
                return Err(wrap(format!(
                    "wrong type for value; expected template.queryResult; got {}",
                    a[1].kind()
                )));
            };
            let key = |v: &Value| match v {
                Value::Sample(s) => s.labels.get(&l).cloned().unwrap_or_default(),
                _ => String::new(),
            };
            o11y_model::sort::sort_by_key(&mut items[..], key);
            Value::List(items)
        }
        "args" => Value::Map(
            a.into_iter()
                .enumerate()
                .map(|(i, v)| (format!("arg{i}"), v))
                .collect(),
        ),
        "reReplaceAll" => {
            want(3)?;
            let re = regex::Regex::new(&string(&a[0])?).map_err(|e| wrap(e.to_string()))?;
            let text = string(&a[2])?;
            Value::Str(
                re.replace_all(&text, go_replacement(&string(&a[1])?).as_str())
                    .into_owned(),
            )
        }
        "match" => {
            want(2)?;
            let re = regex::Regex::new(&string(&a[0])?).map_err(|e| wrap(e.to_string()))?;
            Value::Bool(re.is_match(&string(&a[1])?))
        }
        "title" => {
            want(1)?;
            Value::Str(title(&string(&a[0])?))
        }
        "toUpper" => {
            want(1)?;
            Value::Str(string(&a[0])?.to_uppercase())
        }
        "toLower" => {
            want(1)?;
            Value::Str(string(&a[0])?.to_lowercase())
        }
        "graphLink" | "tableLink" => {
            want(1)?;
            let tab = if f == "graphLink" { 0 } else { 1 };
            Value::Str(format!(
                "/graph?g0.expr={}&g0.tab={tab}",
                query_escape(&string(&a[0])?)
            ))
        }
        "humanize" => {
            want(1)?;
            Value::Str(humanize(float(&a[0])?))
        }
        "humanize1024" => {
            want(1)?;
            Value::Str(humanize1024(float(&a[0])?))
        }
        "humanizeDuration" => {
            want(1)?;
            Value::Str(humanize_duration(float(&a[0])?))
        }
        "humanizePercentage" => {
            want(1)?;
            Value::Str(format!("{}%", go_g(float(&a[0])? * 100.0, 4)))
        }
        "humanizeTimestamp" => {
            want(1)?;
            let v = float(&a[0])?;
            Value::Str(if v.is_finite() {
                go_time(v)
            } else {
                go_g(v, 4)
            })
        }
        "toTime" => {
            want(1)?;
            let v = float(&a[0])?;
            if !v.is_finite() {
                return Err(wrap(format!("cannot convert {} to time.Time", go_g(v, 4))));
            }
            Value::Str(go_time(v))
        }
        "toDuration" => {
            want(1)?;
            Value::Str(format_go_duration((float(&a[0])? * 1e9) as i128))
        }
        "parseDuration" => {
            want(1)?;
            let ms = o11y_model::duration::parse_duration(&string(&a[0])?)
                .map_err(|e| wrap(e.to_string()))?;
            Value::Float(ms as f64 / 1000.0)
        }
        "now" => Value::Float(env.now_s),
        "externalURL" => Value::Str(env.external_url.clone()),
        "pathPrefix" => {
            let url = &env.external_url;
            let path = url.split_once("://").map_or(url.as_str(), |(_, rest)| {
                rest.find('/').map_or("", |i| &rest[i..])
            });
            Value::Str(path.to_string())
        }
        "stripPort" => {
            want(1)?;
            let h = string(&a[0])?;
            Value::Str(strip_port(&h))
        }
        "stripDomain" => {
            want(1)?;
            let h = string(&a[0])?;
            let (host, port) = match h
                .rsplit_once(':')
                .filter(|(_, p)| p.chars().all(|c| c.is_ascii_digit()))
            {
                Some((host, port)) if !host.contains(':') => (host.to_string(), format!(":{port}")),
                _ => (h.clone(), String::new()),
            };
            if host.parse::<std::net::IpAddr>().is_ok() {
                Value::Str(h)
            } else {
                Value::Str(format!(
                    "{}{port}",
                    host.split('.').next().unwrap_or_default()
                ))
            }
        }
        other => return Err(wrap(format!("function {other:?} not defined"))),
    })
}

fn strip_port(h: &str) -> String {
    if let Some(rest) = h.strip_prefix('[') {
        return rest.split(']').next().unwrap_or_default().to_string();
    }
    match h.rsplit_once(':') {
        Some((host, _)) if !host.contains(':') => host.to_string(),
        _ => h.to_string(),
    }
}

/// Go's `strings.Title`: each word's first letter in upper case.
fn title(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut prev_letter = false;
    for c in s.chars() {
        if !prev_letter && c.is_alphabetic() {
            out.extend(c.to_uppercase());
        } else {
            out.push(c);
        }
        prev_letter = c.is_alphanumeric() || c == '_' || c == '\'';
    }
    out
}

/// Go's regexp replacement (`$1`, `${name}`) as the regex crate writes it.
fn go_replacement(r: &str) -> String {
    // Both use `$1` and `${1}`; Go treats `$1x` as the group `1x`, as does regex.
    r.to_string()
}

/// Prometheus's `humanize`: SI prefixes, 4 significant digits.
pub fn humanize(mut v: f64) -> String {
    if v == 0.0 || !v.is_finite() {
        return go_g(v, 4);
    }
    let mut prefix = "";
    if v.abs() >= 1.0 {
        for p in ["k", "M", "G", "T", "P", "E", "Z", "Y"] {
            if v.abs() < 1000.0 {
                break;
            }
            prefix = p;
            v /= 1000.0;
        }
    } else {
        for p in ["m", "u", "n", "p", "f", "a", "z", "y"] {
            if v.abs() >= 1.0 {
                break;
            }
            prefix = p;
            v *= 1000.0;
        }
    }
    format!("{}{prefix}", go_g(v, 4))
}

/// Prometheus's `humanize1024`: binary prefixes.
pub fn humanize1024(mut v: f64) -> String {
    if v.abs() <= 1.0 || !v.is_finite() {
        return go_g(v, 4);
    }
    let mut prefix = "";
    for p in ["ki", "Mi", "Gi", "Ti", "Pi", "Ei", "Zi", "Yi"] {
        if v.abs() < 1024.0 {
            break;
        }
        prefix = p;
        v /= 1024.0;
    }
    format!("{}{prefix}", go_g(v, 4))
}

/// Prometheus's `humanizeDuration`: `1d 2h 3m 4s`, or `1.5s`, `250ms`.
pub fn humanize_duration(mut v: f64) -> String {
    if !v.is_finite() {
        return go_g(v, 4);
    }
    if v == 0.0 {
        return format!("{}s", go_g(v, 4));
    }
    if v.abs() >= 1.0 {
        let sign = if v < 0.0 { "-" } else { "" };
        v = v.abs();
        let d = v as i64;
        let (seconds, minutes, hours, days) = (d % 60, (d / 60) % 60, (d / 3600) % 24, d / 86_400);
        return if days != 0 {
            format!("{sign}{days}d {hours}h {minutes}m {seconds}s")
        } else if hours != 0 {
            format!("{sign}{hours}h {minutes}m {seconds}s")
        } else if minutes != 0 {
            format!("{sign}{minutes}m {seconds}s")
        } else {
            format!("{sign}{}s", go_g(v, 4))
        };
    }
    let mut prefix = "";
    for p in ["m", "u", "n", "p", "f", "a", "z", "y"] {
        if v.abs() >= 1.0 {
            break;
        }
        prefix = p;
        v *= 1000.0;
    }
    format!("{}{prefix}s", go_g(v, 4))
}

/// Go's `time.Time.String()` in UTC for seconds since the epoch.
fn go_time(seconds: f64) -> String {
    let ns = (seconds * 1e9).round() as i64;
    let s = o11y_model::time::format_rfc3339_nanos(ns);
    // 2006-01-02T15:04:05.999999999Z → 2006-01-02 15:04:05.999999999 +0000 UTC
    let body = s.trim_end_matches('Z').replacen('T', " ", 1);
    format!("{body} +0000 UTC")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Sample, Template, TemplateError};

    fn render(text: &str, env: &Env<'_>) -> Result<String, TemplateError> {
        Template::parse(
            "t",
            text,
            &["labels", "value", "externalLabels", "externalURL"],
        )?
        .render(env)
    }

    /// The outputs Prometheus's template tests and documentation give.
    #[test]
    fn prometheus_functions_as_documented() {
        let cases: &[(&str, &str)] = &[
            ("{{ humanize 1234567.0 }}", "1.235M"),
            ("{{ humanize 0.001234 }}", "1.234m"),
            ("{{ humanize 0 }}", "0"),
            ("{{ humanize \"1234\" }}", "1.234k"),
            ("{{ humanize 12 }}", "12"),
            ("{{ humanize1024 1048576.0 }}", "1Mi"),
            ("{{ humanize1024 1234567.0 }}", "1.177Mi"),
            ("{{ humanize1024 0.5 }}", "0.5"),
            ("{{ humanizeDuration 0.000001 }}", "1us"),
            ("{{ humanizeDuration 0.1 }}", "100ms"),
            ("{{ humanizeDuration 1.5 }}", "1.5s"),
            ("{{ humanizeDuration 90061 }}", "1d 1h 1m 1s"),
            ("{{ humanizeDuration 3600 }}", "1h 0m 0s"),
            ("{{ humanizeDuration -61 }}", "-1m 1s"),
            ("{{ humanizeDuration 0 }}", "0s"),
            ("{{ humanizePercentage 0.1234 }}", "12.34%"),
            ("{{ humanizePercentage 1 }}", "100%"),
            (
                "{{ humanizeTimestamp 1435065584.128 }}",
                "2015-06-23 13:19:44.128 +0000 UTC",
            ),
            (
                "{{ toUpper \"aBc\" }} {{ toLower \"aBc\" }} {{ title \"hello world\" }}",
                "ABC abc Hello World",
            ),
            (
                "{{ reReplaceAll \"localhost:(.*)\" \"foo:$1\" \"localhost:9090\" }}",
                "foo:9090",
            ),
            ("{{ if match \"^a\" \"abc\" }}yes{{ end }}", "yes"),
            ("{{ \"<b>\" | safeHtml }}", "<b>"),
            (
                "{{ stripPort \"localhost:9090\" }} {{ stripPort \"[::1]:9090\" }}",
                "localhost ::1",
            ),
            (
                "{{ stripDomain \"foo.example.com:9090\" }} {{ stripDomain \"192.168.0.1:80\" }}",
                "foo:9090 192.168.0.1:80",
            ),
            ("{{ parseDuration \"1h2m\" }}", "3720"),
            (
                "{{ with args 1 \"x\" }}{{ .arg0 }} {{ .arg1 }}{{ end }}",
                "1 x",
            ),
            (
                "{{ printf \"%.2f %s %d %5.1f|%-4s|\" 3.14159 \"x\" 7 2.0 \"ab\" }}",
                "3.14 x 7   2.0|ab  |",
            ),
            ("{{ printf \"%v %g\" 0.05 1e6 }}", "0.05 1e+06"),
            ("{{ toDuration 90.5 }}", "1m30.5s"),
            (
                "{{ graphLink \"up == 0\" }}",
                "/graph?g0.expr=up+%3D%3D+0&g0.tab=0",
            ),
        ];
        for (text, want) in cases {
            assert_eq!(render(text, &Env::default()).unwrap(), *want, "{text}");
        }
    }

    #[test]
    fn the_remaining_functions() {
        let env = Env::default()
            .with_clock_and_url(1_700_000_000.5, "https://prom.example.com/prometheus");
        let cases: &[(&str, &str)] = &[
            (
                r#"{{ toTime 1435065584.128 }}"#,
                "2015-06-23 13:19:44.128 +0000 UTC",
            ),
            (r#"{{ now }}"#, "1.7000000005e+09"),
            (
                r#"{{ externalURL }} {{ pathPrefix }}"#,
                "https://prom.example.com/prometheus /prometheus",
            ),
            (r#"{{ tableLink "up" }}"#, "/graph?g0.expr=up&g0.tab=1"),
            (r#"{{ js "a'b<c>" }}"#, r#"a\'b\u003Cc\u003E"#),
            (r#"{{ urlquery "a b&c" }}"#, "a+b%26c"),
            (r#"{{ html "<a href='x'>" }}"#, "&lt;a href=&#39;x&#39;&gt;"),
            (
                r#"{{ print 1 2 }} {{ print "a" "b" }} {{ println "x" }}"#,
                "1 2 ab x\n",
            ),
            (r#"{{ len "abc" }} {{ slice "abcdef" 1 3 }}"#, "3 bc"),
            (
                r#"{{ ne 1 2 }} {{ lt 1.5 2 }} {{ le 2 2 }} {{ ge "b" "a" }} {{ eq 1 3 1 }}"#,
                "true true true true true",
            ),
        ];
        for (text, want) in cases {
            assert_eq!(render(text, &env).unwrap(), *want, "{text}");
        }
        let run = |_: &str| -> Result<Vec<Sample>, String> {
            Ok(vec![Sample {
                labels: [
                    ("__value__".to_string(), "7".to_string()),
                    ("job".to_string(), "a".to_string()),
                ]
                .into(),
                value: 7.0,
            }])
        };
        let env = Env::default().with_query(&run);
        assert_eq!(
            render(r#"{{ with query "x" }}{{ . | first | strvalue }} {{ . | first | label "job" }}{{ end }}"#, &env).unwrap(),
            "7 a"
        );
    }

    #[test]
    fn queries_in_templates() {
        let run = |q: &str| -> Result<Vec<Sample>, String> {
            if q == "up" {
                Ok(vec![
                    Sample {
                        labels: [("instance".to_string(), "b".to_string())].into(),
                        value: 1.0,
                    },
                    Sample {
                        labels: [("instance".to_string(), "a".to_string())].into(),
                        value: 0.0,
                    },
                ])
            } else {
                Ok(Vec::new())
            }
        };
        let env = Env::default().with_query(&run);
        assert_eq!(
            render("{{ query \"up\" | first | value }}", &env).unwrap(),
            "1"
        );
        assert_eq!(
            render("{{ range query \"up\" | sortByLabel \"instance\" }}{{ .Labels.instance }}={{ .Value }} {{ end }}", &env).unwrap(),
            "a=0 b=1 "
        );
        assert_eq!(
            render(
                "{{ with query \"up\" }}{{ . | first | label \"instance\" }}{{ end }}",
                &env
            )
            .unwrap(),
            "b"
        );
        let err = render("{{ query \"none\" | first | value }}", &env).unwrap_err();
        assert!(
            err.message
                .contains("first() called on vector with no elements"),
            "{err}"
        );
    }
}
