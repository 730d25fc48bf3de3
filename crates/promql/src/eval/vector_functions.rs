//! Functions of a whole vector: `vector`, `scalar`, `sort`, `sort_desc`
//! and `absent` (and the labels `absent_over_time` reports).

use super::call::Call;
use super::{Evaluator, Result, Value, VectorSample};
use crate::ast::{Expr, ExprKind};
use o11y_model::labels::{Labels, METRIC_NAME, MatchOp};

impl Evaluator<'_> {
    /// The vector functions; `None` for another name.
    pub(super) fn vector_function(&self, call: Call) -> Result<Option<Value>> {
        let Call { name, args, .. } = call;
        let value = match name {
            "vector" => Ok(Value::Vector(vec![VectorSample::float(
                Labels::default(),
                call.scalar(0)?,
            )])),
            "scalar" => {
                let mut v = call.vector(0)?;
                v.retain(|s| s.histogram.is_none());
                Ok(Value::Scalar(if v.len() == 1 {
                    v[0].value
                } else {
                    f64::NAN
                }))
            }
            "sort" | "sort_desc" => {
                let mut v = call.vector(0)?;
                v.retain(|s| s.histogram.is_none());
                // NaN sorts to the bottom either way, as Prometheus's
                // `funcSort` and `funcSortDesc` do.
                v.sort_by(|a, b| {
                    let (x, y) = if name == "sort" {
                        (a.value, b.value)
                    } else {
                        (b.value, a.value)
                    };
                    x.partial_cmp(&y)
                        .unwrap_or_else(|| a.value.is_nan().cmp(&b.value.is_nan()))
                });
                Ok(Value::Vector(v))
            }
            "absent" => {
                if !call.vector(0)?.is_empty() {
                    return Ok(Some(Value::Vector(Vec::new())));
                }
                Ok(Value::Vector(vec![VectorSample::float(
                    absent_labels(&args[0]),
                    1.0,
                )]))
            }
            _ => return Ok(None),
        };
        value.map(Some)
    }
}

/// The labels `absent()` reports: the equality matchers of a plain selector.
pub(super) fn absent_labels(arg: &Expr) -> Labels {
    let selector = match &arg.kind {
        ExprKind::VectorSelector(vs) | ExprKind::MatrixSelector { selector: vs, .. } => Some(vs),
        _ => None,
    };
    let Some(vs) = selector else {
        return Labels::default();
    };
    // As Prometheus: the first `=` matcher of a name gives its value; any
    // other matcher of that name removes it again.
    let mut pairs: Vec<(String, String)> = Vec::new();
    let mut has = std::collections::HashSet::new();
    for m in &vs.matchers {
        if m.name == METRIC_NAME {
            continue;
        }
        pairs.retain(|(n, _)| *n != m.name);
        if m.op == MatchOp::Equal && has.insert(m.name.clone()) {
            pairs.push((m.name.clone(), m.value.clone()));
        }
    }
    Labels::new(pairs)
}

#[cfg(test)]
mod tests {
    use super::absent_labels;
    use crate::eval::fixture::{eval_at, store};

    #[test]
    fn vector_and_scalar_convert() {
        let s = store(&[
            ("x{i=\"1\"}", &[(0, 3.0)]),
            ("y{i=\"1\"}", &[(0, 1.0)]),
            ("y{i=\"2\"}", &[(0, 2.0)]),
        ]);
        assert_eq!(eval_at(&s, "vector(1)", 0), ["{} 1"]);
        assert_eq!(eval_at(&s, "scalar(x)", 0), ["3"]);
        // Not exactly one element: NaN.
        assert_eq!(eval_at(&s, "scalar(y)", 0), ["NaN"]);
        assert_eq!(eval_at(&s, "scalar(nothing)", 0), ["NaN"]);
    }

    #[test]
    fn sort_orders_by_value_with_nan_last() {
        let s = store(&[
            ("x{i=\"1\"}", &[(0, 3.0)]),
            ("x{i=\"2\"}", &[(0, f64::NAN)]),
            ("x{i=\"3\"}", &[(0, 1.0)]),
            ("x{i=\"4\"}", &[(0, 2.0)]),
        ]);
        assert_eq!(
            eval_at(&s, "sort(x)", 0),
            [
                "x{i=\"3\"} 1",
                "x{i=\"4\"} 2",
                "x{i=\"1\"} 3",
                "x{i=\"2\"} NaN"
            ]
        );
        assert_eq!(
            eval_at(&s, "sort_desc(x < 10)", 0),
            ["x{i=\"1\"} 3", "x{i=\"4\"} 2", "x{i=\"3\"} 1"]
        );
        // NaN at the bottom for sort_desc too (Prometheus's funcSortDesc).
        assert_eq!(
            eval_at(&s, "sort_desc(x)", 0),
            [
                "x{i=\"1\"} 3",
                "x{i=\"4\"} 2",
                "x{i=\"3\"} 1",
                "x{i=\"2\"} NaN"
            ]
        );
    }

    #[test]
    fn absent_reports_the_equality_matchers() {
        let s = store(&[("x{job=\"a\"}", &[(0, 1.0)])]);
        assert!(eval_at(&s, "absent(x)", 0).is_empty());
        assert_eq!(
            eval_at(&s, "absent(nothing{job=\"a\", env=~\"p.*\"})", 0),
            ["{job=\"a\"} 1"]
        );
        assert_eq!(eval_at(&s, "absent(sum(nothing))", 0), ["{} 1"]);
        assert_eq!(
            eval_at(&s, "absent_over_time(nothing{job=\"a\"}[1m])", 0),
            ["{job=\"a\"} 1"]
        );
        assert!(eval_at(&s, "absent_over_time(x[1m])", 0).is_empty());
    }

    #[test]
    fn absent_labels_drop_names_matched_twice() {
        let labels = |q: &str| absent_labels(&crate::parse(q).unwrap()).to_string();
        assert_eq!(labels("x{job=\"a\", job=\"b\", env=\"p\"}"), "{env=\"p\"}");
        assert_eq!(labels("x{job=\"a\", job!=\"b\"}"), "{}");
        assert_eq!(labels("x{job=\"a\"}[5m]"), "{job=\"a\"}");
        assert_eq!(labels("rate(x{job=\"a\"}[5m])"), "{}");
    }
}
