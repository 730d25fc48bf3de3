//! The "define a metric" form: what a user types, checked and turned into a
//! [`MetricDefinition`].
//!
//! Buckets are a comma-separated list (`0.1, 0.5, 1`), `default`
//! (client_golang's), `linear(start, width, count)` or
//! `exponential(start, factor, count)`. Objectives are `quantile:error`
//! pairs (`0.5:0.05, 0.99:0.001`). Labels are `name=value` pairs.
//!
//! ```
//! use o11y_sim::metric_form::MetricForm;
//!
//! let form = MetricForm {
//!     name: "job_seconds".into(),
//!     kind: "histogram".into(),
//!     buckets: "exponential(0.1, 2, 5)".into(),
//!     ..MetricForm::default()
//! };
//! let definition = form.to_definition().unwrap();
//! assert_eq!(definition.name, "job_seconds");
//! ```

use crate::custom::MetricDefinition;
use o11y_metrics::instrument::{
    DEFAULT_BUCKETS, DEFAULT_SUMMARY_AGE_BUCKETS, DEFAULT_SUMMARY_MAX_AGE_MS, MetricKind,
    exponential_buckets, linear_buckets,
};
use o11y_model::labels::{is_valid_label_name, is_valid_metric_name};

/// The form's fields, as typed.
#[derive(Clone, Debug, PartialEq)]
pub struct MetricForm {
    pub name: String,
    /// `counter`, `gauge`, `histogram` or `summary`.
    pub kind: String,
    pub help: String,
    pub labels: String,
    pub buckets: String,
    pub objectives: String,
    pub typical_value: String,
    pub driven: bool,
}

impl Default for MetricForm {
    fn default() -> Self {
        MetricForm {
            name: String::new(),
            kind: "counter".to_string(),
            help: String::new(),
            labels: String::new(),
            buckets: "default".to_string(),
            objectives: "0.5:0.05, 0.9:0.01, 0.99:0.001".to_string(),
            typical_value: "10".to_string(),
            driven: true,
        }
    }
}

/// A problem with one field of the form: `path` is the field's name, as
/// in [`MetricForm`] (`"{path}: {message}"`).
pub type FormError = o11y_model::diag::Diagnostic;

fn error(field: &'static str, message: impl Into<String>) -> FormError {
    FormError::at_path(field, message)
}

fn number(field: &'static str, text: &str) -> Result<f64, FormError> {
    let text = text.trim();
    text.parse::<f64>()
        .ok()
        .filter(|v| v.is_finite())
        .ok_or_else(|| error(field, format!("{text:?} is not a number")))
}

/// Parses the buckets field into ascending upper bounds.
pub fn parse_buckets(text: &str) -> Result<Vec<f64>, FormError> {
    let text = text.trim();
    let call = |prefix: &str| {
        text.strip_prefix(prefix)
            .and_then(|rest| rest.strip_suffix(')'))
    };
    let args = |inner: &str| -> Result<(f64, f64, usize), FormError> {
        let parts: Vec<&str> = inner.split(',').collect();
        let [a, b, n] = parts.as_slice() else {
            return Err(error(
                "buckets",
                "expected three arguments: start, step, count",
            ));
        };
        let count = n
            .trim()
            .parse::<usize>()
            .ok()
            .filter(|c| (1..=100).contains(c));
        let count =
            count.ok_or_else(|| error("buckets", "count must be a whole number from 1 to 100"))?;
        Ok((number("buckets", a)?, number("buckets", b)?, count))
    };
    let bounds = if text.is_empty() || text == "default" {
        DEFAULT_BUCKETS.to_vec()
    } else if let Some(inner) = call("linear(") {
        let (start, width, count) = args(inner)?;
        if width <= 0.0 {
            return Err(error("buckets", "linear buckets need a positive width"));
        }
        linear_buckets(start, width, count)
    } else if let Some(inner) = call("exponential(") {
        let (start, factor, count) = args(inner)?;
        if start <= 0.0 || factor <= 1.0 {
            return Err(error(
                "buckets",
                "exponential buckets need start > 0 and factor > 1",
            ));
        }
        exponential_buckets(start, factor, count)
    } else {
        text.split(',')
            .map(|b| number("buckets", b))
            .collect::<Result<_, _>>()?
    };
    if bounds.len() > 100 {
        return Err(error("buckets", "at most 100 buckets"));
    }
    if !bounds.windows(2).all(|w| w[0] < w[1]) {
        return Err(error("buckets", "bounds must be strictly ascending"));
    }
    Ok(bounds)
}

/// Parses `quantile:error` pairs.
pub fn parse_objectives(text: &str) -> Result<Vec<(f64, f64)>, FormError> {
    text.split(',')
        .filter(|p| !p.trim().is_empty())
        .map(|pair| {
            let (q, e) = pair.split_once(':').ok_or_else(|| {
                error(
                    "objectives",
                    format!("{:?} is not quantile:error", pair.trim()),
                )
            })?;
            let (q, e) = (number("objectives", q)?, number("objectives", e)?);
            if !(0.0..=1.0).contains(&q) || !(0.0..=1.0).contains(&e) {
                return Err(error(
                    "objectives",
                    "quantiles and errors are between 0 and 1",
                ));
            }
            Ok((q, e))
        })
        .collect()
}

/// Parses `name=value` pairs.
pub fn parse_label_pairs(text: &str) -> Result<Vec<(String, String)>, FormError> {
    let mut out: Vec<(String, String)> = Vec::new();
    for pair in text.split(',').filter(|p| !p.trim().is_empty()) {
        let (name, value) = pair
            .split_once('=')
            .ok_or_else(|| error("labels", format!("{:?} is not name=value", pair.trim())))?;
        let (name, value) = (name.trim(), value.trim().trim_matches('"'));
        if !is_valid_label_name(name) || name.starts_with("__") {
            return Err(error(
                "labels",
                format!("{name:?} is not a valid label name"),
            ));
        }
        if value.is_empty() {
            return Err(error("labels", format!("label {name:?} needs a value")));
        }
        if out.iter().any(|(n, _)| n == name) {
            return Err(error("labels", format!("label {name:?} appears twice")));
        }
        out.push((name.to_string(), value.to_string()));
    }
    Ok(out)
}

impl MetricForm {
    /// Checks every field; the first problem found is returned.
    pub fn to_definition(&self) -> Result<MetricDefinition, FormError> {
        let name = self.name.trim();
        if !is_valid_metric_name(name) {
            return Err(error(
                "name",
                "use letters, digits, _ and :, not starting with a digit",
            ));
        }
        let kind = match self.kind.as_str() {
            "counter" => MetricKind::Counter,
            "gauge" => MetricKind::Gauge,
            "histogram" => MetricKind::Histogram {
                upper_bounds: parse_buckets(&self.buckets)?,
            },
            "summary" => MetricKind::Summary {
                objectives: parse_objectives(&self.objectives)?,
                max_age_ms: DEFAULT_SUMMARY_MAX_AGE_MS,
                age_buckets: DEFAULT_SUMMARY_AGE_BUCKETS,
            },
            other => return Err(error("kind", format!("unknown type {other:?}"))),
        };
        Ok(MetricDefinition {
            name: name.to_string(),
            help: self.help.trim().to_string(),
            kind,
            labels: parse_label_pairs(&self.labels)?,
            driven: self.driven,
            typical_value: number("typical_value", &self.typical_value)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(name: &str, kind: &str) -> MetricForm {
        MetricForm {
            name: name.to_string(),
            kind: kind.to_string(),
            ..MetricForm::default()
        }
    }

    #[test]
    fn bucket_notations() {
        assert_eq!(parse_buckets("default").unwrap().len(), 11);
        assert_eq!(parse_buckets("0.1, 1,10").unwrap(), [0.1, 1.0, 10.0]);
        assert_eq!(parse_buckets("linear(1, 2, 3)").unwrap(), [1.0, 3.0, 5.0]);
        assert_eq!(
            parse_buckets("exponential(1,10,3)").unwrap(),
            [1.0, 10.0, 100.0]
        );
        assert_eq!(
            parse_buckets("1, 1").unwrap_err().message,
            "bounds must be strictly ascending"
        );
        assert_eq!(
            parse_buckets("1, x").unwrap_err().message,
            "\"x\" is not a number"
        );
        assert!(parse_buckets("linear(1, 2)").is_err());
        assert!(parse_buckets("exponential(0, 2, 3)").is_err());
        assert!(parse_buckets("linear(1, 1, 100000)").is_err());
    }

    #[test]
    fn objectives_and_labels() {
        assert_eq!(
            parse_objectives("0.5:0.05, 0.99:0.001").unwrap(),
            [(0.5, 0.05), (0.99, 0.001)]
        );
        assert!(parse_objectives("0.5").is_err());
        assert!(parse_objectives("2:0.1").is_err());
        assert_eq!(
            parse_label_pairs("a=1, b=\"two\"").unwrap()[1],
            ("b".to_string(), "two".to_string())
        );
        assert!(parse_label_pairs("1a=x").is_err());
        assert!(parse_label_pairs("a=").is_err());
        assert!(parse_label_pairs("a=1,a=2").is_err());
    }

    #[test]
    fn the_whole_form() {
        let definition = form("queue_depth", "gauge").to_definition().unwrap();
        assert_eq!(definition.kind, MetricKind::Gauge);
        assert_eq!(
            form("9lives", "gauge").to_definition().unwrap_err().path,
            "name"
        );
        assert_eq!(form("x", "meter").to_definition().unwrap_err().path, "kind");
        let summary = form("rpc_seconds", "summary").to_definition().unwrap();
        assert!(
            matches!(summary.kind, MetricKind::Summary { ref objectives, .. } if objectives.len() == 3)
        );
    }
}
