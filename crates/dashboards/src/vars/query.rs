//! Query variables as Grafana's Prometheus data source runs them: the
//! variable queries (`label_values`, `label_names`, `metrics`,
//! `query_result`), the variable's `regex` over the values they give
//! (`/pattern/flags`, a first group, or groups named `text` and
//! `value`), and its `sort`; and why a query variable has no options.
//!
//! ```
//! use o11y_dashboards::vars::{VarQuery, parse_query};
//! assert_eq!(
//!     parse_query("label_values(up, job)"),
//!     Some(VarQuery::LabelValues { selector: Some("up".into()), label: "job".into() })
//! );
//! ```

use o11y_model::diag::Diagnostic;
use regex::Regex;

use super::VarOption;
use crate::model::{Variable, VariableSort};

/// What a Prometheus query variable asks for.
#[derive(Clone, Debug, PartialEq)]
pub enum VarQuery {
    /// `label_values(label)` or `label_values(selector, label)`.
    LabelValues {
        selector: Option<String>,
        label: String,
    },
    /// `label_names()` or `label_names(selector)`.
    LabelNames { selector: Option<String> },
    /// `metrics(regex)`: the metric names the regex finds in.
    Metrics { regex: String },
    /// `query_result(expr)`: each sample of an instant query as
    /// `name{label="value",…} value timestamp_ms`.
    QueryResult { expr: String },
}

/// Reads a query variable's query as Grafana's Prometheus data source does.
pub fn parse_query(q: &str) -> Option<VarQuery> {
    let q = q.trim();
    let inner = |name: &str| {
        q.strip_prefix(name)
            .and_then(|r| r.trim_start().strip_prefix('('))
            .and_then(|r| r.strip_suffix(')'))
            .map(str::trim)
    };
    if let Some(args) = inner("label_values") {
        // The label is the last argument; the selector may hold commas.
        let (selector, label) = match args.rsplit_once(',') {
            Some((s, l)) => (Some(s.trim().to_string()), l.trim()),
            None => (None, args),
        };
        let ok = label.chars().enumerate().all(|(i, c)| {
            c == '_' || c == '$' || c.is_ascii_alphabetic() || (i > 0 && c.is_ascii_digit())
        });
        return (ok && !label.is_empty()).then(|| VarQuery::LabelValues {
            selector,
            label: label.to_string(),
        });
    }
    if let Some(args) = inner("label_names") {
        return Some(VarQuery::LabelNames {
            selector: (!args.is_empty()).then(|| args.to_string()),
        });
    }
    if let Some(args) = inner("metrics") {
        return (!args.is_empty()).then(|| VarQuery::Metrics {
            regex: args.to_string(),
        });
    }
    if let Some(args) = inner("query_result") {
        return (!args.is_empty()).then(|| VarQuery::QueryResult {
            expr: args.to_string(),
        });
    }
    None
}

/// Why a variable has no options: what Grafana shows on the variable's
/// picker instead of an empty list.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VarError {
    /// Occurs when a query variable's query is none of the Prometheus
    /// data source's forms (`label_values`, `label_names`, `metrics`,
    /// `query_result`).
    #[error(
        "{0:?} is not a Prometheus variable query (label_values, label_names, metrics, query_result)"
    )]
    Syntax(String),
    /// Occurs when the query's selector, expression or metric-name regex
    /// does not parse, or the data source answers with an error.
    #[error("{0}")]
    Query(String),
    /// Occurs when the variable's `regex` does not compile.
    #[error("{0}")]
    Regex(String),
}

impl VarError {
    /// A PromQL error in `text` (the query's selector or expression),
    /// with its line and column in `text`.
    pub fn promql(text: &str, e: &o11y_promql::ParseError) -> VarError {
        let before = &text[..e.span.start.min(text.len())];
        let line = before.matches('\n').count() + 1;
        let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        VarError::Query(format!("{text}: {line}:{col}: {}", e.message))
    }
}

impl From<&VarError> for Diagnostic {
    /// The error's text, without a place: a query's place is in the text
    /// (`SELECTOR: LINE:COL: …`), as Grafana shows it.
    fn from(e: &VarError) -> Diagnostic {
        Diagnostic::new(e.to_string())
    }
}

/// A regex error on one line (the regex crate draws the pattern and a
/// caret over several).
pub fn regex_message(e: &regex::Error) -> String {
    let text = e.to_string();
    text.lines().last().map_or(text.clone(), |l| {
        l.trim_start_matches("error: ").to_string()
    })
}

/// A variable's `regex` (`/pattern/flags` or a bare pattern) as Rust's
/// regex; `Err` says why it cannot be used.
pub fn variable_regex(text: &str) -> Result<Option<Regex>, Diagnostic> {
    let t = text.trim();
    if t.is_empty() {
        return Ok(None);
    }
    let (pattern, flags) = match t.strip_prefix('/').and_then(|r| r.rsplit_once('/')) {
        Some((p, f)) => (p, f),
        None => (t, ""),
    };
    let mut prefix = String::new();
    for f in flags.chars() {
        match f {
            'i' | 'm' | 's' => {
                prefix.push_str(&format!("(?{f})"));
            }
            'g' | 'u' | 'y' => {}
            other => {
                return Err(Diagnostic::new(format!(
                    "regex {t}: flag {other:?} is not known"
                )));
            }
        }
    }
    Regex::new(&format!("{prefix}{pattern}"))
        .map(Some)
        .map_err(|e| Diagnostic::new(format!("regex {t}: {}", regex_message(&e))))
}

impl Variable {
    /// A query variable's options from the values its query gave: the
    /// variable's regex applied (its first group, or the groups named
    /// `text` and `value`), repeats dropped, sorted as `sort` says; an
    /// error when the regex does not compile.
    pub fn options_from(&self, values: Vec<String>) -> Result<Vec<VarOption>, VarError> {
        let re = variable_regex(&self.regex).map_err(|e| VarError::Regex(e.to_string()))?;
        let mut out: Vec<VarOption> = Vec::new();
        for v in values {
            let option = match &re {
                None => VarOption::same(&v),
                Some(re) => {
                    let Some(c) = re.captures(&v) else { continue };
                    let named_value = c.name("value").map(|m| m.as_str().to_string());
                    let named_text = c.name("text").map(|m| m.as_str().to_string());
                    if named_value.is_some() || named_text.is_some() {
                        VarOption {
                            text: named_text
                                .clone()
                                .or(named_value.clone())
                                .unwrap_or_default(),
                            value: named_value.or(named_text).unwrap_or_default(),
                        }
                    } else {
                        match c.get(1) {
                            Some(m) if !m.as_str().is_empty() => VarOption::same(m.as_str()),
                            _ => VarOption::same(&v),
                        }
                    }
                }
            };
            if !out.iter().any(|o| o.value == option.value) {
                out.push(option);
            }
        }
        sort_options(&mut out, self.sort);
        Ok(out)
    }
}

/// Options sorted as Grafana's variable sort says: alphabetical,
/// numerical (by the first number in the text) or alphabetical ignoring
/// case, up or down.
fn sort_options(o: &mut [VarOption], sort: VariableSort) {
    let number = |s: &str| {
        let start = s.find(|c: char| c.is_ascii_digit())?;
        let digits: String = s[start..]
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        digits.parse::<f64>().ok()
    };
    match sort {
        VariableSort::AlphabeticalAsc => {
            o11y_model::sort::sort_by(&mut o[..], |a, b| a.text.cmp(&b.text))
        }
        VariableSort::AlphabeticalDesc => {
            o11y_model::sort::sort_by(&mut o[..], |a, b| b.text.cmp(&a.text))
        }
        VariableSort::NumericalAsc => o11y_model::sort::sort_by(&mut o[..], |a, b| {
            number(&a.text)
                .unwrap_or(f64::MIN)
                .total_cmp(&number(&b.text).unwrap_or(f64::MIN))
        }),
        VariableSort::NumericalDesc => o11y_model::sort::sort_by(&mut o[..], |a, b| {
            number(&b.text)
                .unwrap_or(f64::MIN)
                .total_cmp(&number(&a.text).unwrap_or(f64::MIN))
        }),
        VariableSort::AlphabeticalCaseInsensitiveAsc => {
            o11y_model::sort::sort_by_key(&mut o[..], |a| a.text.to_lowercase())
        }
        VariableSort::AlphabeticalCaseInsensitiveDesc => {
            o11y_model::sort::sort_by_key(&mut o[..], |a| std::cmp::Reverse(a.text.to_lowercase()))
        }
        VariableSort::Disabled => {}
    }
}

/// A `query_result` answer as Grafana lists it: `name{a="x",b="y"} value
/// timestamp_ms` per sample.
pub fn query_result_lines(
    samples: &[(o11y_model::labels::Labels, f64)],
    time_ms: i64,
) -> Vec<String> {
    samples
        .iter()
        .map(|(labels, v)| {
            let name = labels.get("__name__").unwrap_or("");
            let pairs: Vec<String> = labels
                .iter()
                .filter(|l| l.name != "__name__")
                .map(|l| format!("{}=\"{}\"", l.name, l.value))
                .collect();
            let value = if v.is_nan() {
                "NaN".to_string()
            } else if v.is_infinite() {
                if *v > 0.0 { "+Inf" } else { "-Inf" }.to_string()
            } else {
                v.to_string()
            };
            format!("{name}{{{}}} {value} {time_ms}", pairs.join(","))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_var_error_converts_to_a_diagnostic_with_its_text() {
        let e = VarError::promql("up{", &o11y_promql::parse("up{").unwrap_err());
        let d = Diagnostic::from(&e);
        assert_eq!(d.to_string(), e.to_string());
        assert!(d.to_string().starts_with("up{: 1:4: "), "{d}");
    }

    #[test]
    fn variable_queries() {
        assert_eq!(
            parse_query(r#"label_values(up{job="a", x="b"}, instance)"#),
            Some(VarQuery::LabelValues {
                selector: Some(r#"up{job="a", x="b"}"#.into()),
                label: "instance".into()
            })
        );
        assert_eq!(
            parse_query("label_values(job)"),
            Some(VarQuery::LabelValues {
                selector: None,
                label: "job".into()
            })
        );
        assert_eq!(
            parse_query("label_names()"),
            Some(VarQuery::LabelNames { selector: None })
        );
        assert_eq!(
            parse_query("metrics(http_.*)"),
            Some(VarQuery::Metrics {
                regex: "http_.*".into()
            })
        );
        assert_eq!(
            parse_query("query_result(topk(3, up))"),
            Some(VarQuery::QueryResult {
                expr: "topk(3, up)".into()
            })
        );
        assert_eq!(parse_query("label_values(up, 1abc)"), None);
        assert_eq!(parse_query("up"), None);
        let lines = query_result_lines(
            &[(
                o11y_model::labels::Labels::new([
                    ("__name__", "up"),
                    ("job", "a"),
                    ("instance", "b"),
                ]),
                1.0,
            )],
            1_000,
        );
        assert_eq!(lines, [r#"up{instance="b",job="a"} 1 1000"#]);
    }
}
