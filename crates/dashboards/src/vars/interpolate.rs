//! Interpolation: `$var`, `${var}`, `${var:format}` and `[[var]]` in an
//! expression replaced with the variable's values, escaped as Grafana's
//! Prometheus data source escapes them (a regex alternation for a
//! multi-value or All variable), and the built-in variables (`$__from`,
//! `$__range`, `$__interval`, `$__rate_interval`, …).

use regex::Regex;

use super::time::{Intervals, go_duration, interval_text};

/// A variable's values as an expression reads them.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct Bound {
    pub(super) name: String,
    pub(super) values: Vec<String>,
    /// Multi-value or All: values are regex-escaped, as Prometheus's
    /// `=~` wants them.
    pub(super) regex: bool,
    /// The "All" option's `allValue`, written as it is.
    pub(super) all_value: Option<String>,
}

/// The variables of a dashboard with their values in use, for
/// interpolating its expressions.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Scope {
    pub(super) bound: Vec<Bound>,
    /// The range (start, end) in milliseconds, for `$__from`/`$__to`
    /// and auto intervals.
    pub(super) range: (i64, i64),
}

/// Grafana's variable syntax: `$name`, `[[name]]`, `[[name:format]]`,
/// `${name}`, `${name:format}` (and `${name.field}`, read as `${name}`).
pub(super) fn variable_syntax() -> &'static Regex {
    static RE: std::sync::OnceLock<Regex> = std::sync::OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r"\$(\w+)|\[\[(\w+?)(?::(\w+))?\]\]|\$\{(\w+)(?:\.[^:^\}]+)?(?::([^\}]+))?\}")
            .expect("a constant regex")
    })
}

/// The name in a match of [`variable_syntax`], whichever form it has.
pub(super) fn variable_name<'t>(c: &regex::Captures<'t>) -> &'t str {
    c.get(1)
        .or(c.get(2))
        .or(c.get(4))
        .map_or("", |m| m.as_str())
}

impl Scope {
    /// The values of variable `name` (a repeated panel's copies, one per
    /// value); `None` when the dashboard has no such variable.
    pub(crate) fn values_of_variable(&self, name: &str) -> Option<&[String]> {
        self.bound
            .iter()
            .find(|b| b.name == name)
            .map(|b| b.values.as_slice())
    }

    /// This scope with variable `name` bound to `value` alone, as in a
    /// copy of a panel repeated by it.
    pub(crate) fn with_one_value(&self, name: &str, value: String) -> Scope {
        let mut scope = self.clone();
        if let Some(b) = scope.bound.iter_mut().find(|b| b.name == name) {
            b.values = vec![value];
            b.all_value = None;
        }
        scope
    }

    /// `expr` with the variables replaced as Grafana's Prometheus data
    /// source replaces them (`intervals`: a panel's built-in intervals).
    /// Unknown variables stay as they are.
    pub fn interpolate(&self, expr: &str, intervals: Option<&Intervals>) -> String {
        variable_syntax()
            .replace_all(expr, |c: &regex::Captures| {
                let name = variable_name(c);
                let format = c.get(3).or(c.get(5)).map(|m| m.as_str());
                self.value_of(name, format, intervals)
                    .unwrap_or_else(|| c[0].to_string())
            })
            .into_owned()
    }

    fn value_of(&self, name: &str, format: Option<&str>, iv: Option<&Intervals>) -> Option<String> {
        let (from, to) = self.range;
        let range_s = ((to - from) as f64 / 1_000.0).round() as i64;
        let builtin = match name {
            "__from" => Some(from.to_string()),
            "__to" => Some(to.to_string()),
            "__range" => Some(format!("{range_s}s")),
            "__range_s" => Some(range_s.to_string()),
            "__range_ms" => Some((to - from).to_string()),
            "__interval" => iv.map(|i| interval_text(i.interval_ms)),
            "__interval_ms" => iv.map(|i| i.interval_ms.to_string()),
            "__rate_interval" => iv.map(|i| go_duration(i.rate_interval_ms)),
            "__rate_interval_ms" => iv.map(|i| i.rate_interval_ms.to_string()),
            _ => None,
        };
        if builtin.is_some() {
            return builtin;
        }
        let b = self.bound.iter().find(|b| b.name == name)?;
        if let Some(all) = &b.all_value {
            return Some(all.clone());
        }
        Some(match format {
            Some("raw" | "text" | "csv") => b.values.join(","),
            Some("pipe") => b.values.join("|"),
            Some("regex") => alternation(&b.values, regex_escape),
            Some("singlequote") => b
                .values
                .iter()
                .map(|v| format!("'{}'", v.replace('\'', "\\'")))
                .collect::<Vec<_>>()
                .join(","),
            Some("doublequote") => b
                .values
                .iter()
                .map(|v| format!("\"{}\"", v.replace('"', "\\\"")))
                .collect::<Vec<_>>()
                .join(","),
            _ if !b.regex => b.values.join(",").replace('\'', "\\\\'"),
            _ => alternation(&b.values, prometheus_regex_escape),
        })
    }
}

/// One value escaped, or several as the regex alternation `(a|b)`.
fn alternation(values: &[String], escape: fn(&str) -> String) -> String {
    match values {
        [one] => escape(one),
        many => format!(
            "({})",
            many.iter().map(|v| escape(v)).collect::<Vec<_>>().join("|")
        ),
    }
}

/// A value escaped for a regex inside a PromQL string, as Grafana's
/// Prometheus data source writes it: regex metacharacters get a
/// backslash, itself doubled for the string.
fn prometheus_regex_escape(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    for c in v.chars() {
        match c {
            '\\' => out.push_str("\\\\\\\\"),
            '$' | '^' | '*' | '{' | '}' | '[' | ']' | '+' | '?' | '.' | '(' | ')' | '|' => {
                out.push_str("\\\\");
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

/// Grafana's `:regex` format: a plain regex escape, `/` included.
fn regex_escape(v: &str) -> String {
    o11y_model::labels::quote_meta(v).replace('/', "\\/")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vars::SCRAPE_INTERVAL_MS;
    use crate::vars::fixtures::{dashboard, var};

    #[test]
    fn interpolation_as_the_prometheus_data_source_does_it() {
        let mut single = var("custom", "env", "prod's, dev");
        single.current = vec!["prod's".into()];
        let mut multi = var("custom", "service", "a, b.c");
        multi.multi = true;
        multi.include_all = true;
        let mut all_value = var("custom", "job", "x, y");
        all_value.include_all = true;
        all_value.all_value = Some(".*".into());
        let mut auto = var("interval", "step", "1m,5m");
        auto.auto = true;
        let d = dashboard(vec![
            single,
            multi,
            all_value,
            auto,
            var("constant", "service_name", "shop"),
        ]);
        let r = d.resolve(&[], &mut |_| None, (0, 3_600_000));
        let iv = Intervals::for_panel(3_600_000, 600, None, SCRAPE_INTERVAL_MS);
        let s = &r.scope;
        assert_eq!(
            s.interpolate(r#"up{env="$env"}"#, None),
            r#"up{env="prod\\'s"}"#
        );
        assert_eq!(
            s.interpolate(r#"{s=~"$service"}"#, None),
            r#"{s=~"(a|b\\.c)"}"#
        );
        assert_eq!(s.interpolate(r#"{j=~"${job}"}"#, None), r#"{j=~".*"}"#);
        assert_eq!(
            s.interpolate("$service_name [[service_name]]", None),
            "shop shop"
        );
        assert_eq!(
            s.interpolate("${service:pipe} ${service:csv}", None),
            "a|b.c a,b.c"
        );
        assert_eq!(s.interpolate("${service:regex}", None), r"(a|b\.c)");
        assert_eq!(s.interpolate("$step", None), "2m");
        assert_eq!(
            s.interpolate(
                "rate(x[$__rate_interval]) [${__interval}] $__interval_ms $__range $__range_s",
                Some(&iv)
            ),
            "rate(x[1m0s]) [15s] 15000 3600s 3600"
        );
        // Without a panel, the panel's intervals stay as written; unknown
        // names and `$1` are not variables.
        assert_eq!(
            s.interpolate("[$__interval] $1 $nope", None),
            "[$__interval] $1 $nope"
        );
        let picked = d.resolve(
            &[("service".into(), vec!["b.c".into()])],
            &mut |_| None,
            (0, 1),
        );
        assert_eq!(picked.scope.interpolate("$service", None), r"b\\.c");
    }
}
