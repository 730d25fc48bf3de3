//! Binary operators: arithmetic and comparisons between scalars and
//! vectors, `and`/`or`/`unless`, and vector matching (`on`, `ignoring`,
//! `group_left`, `group_right`) with the errors Prometheus gives when a
//! match is ambiguous. Histograms add, subtract, scale and compare.

use std::collections::HashMap;
use std::sync::Arc;

use super::{Evaluator, Result, Value, VectorSample, drop_name, fail, label_values};
use crate::ast::*;
use o11y_metrics::store::SeriesStore;
use o11y_model::histogram::Histogram;
use o11y_model::labels::{Labels, METRIC_NAME};

/// Go's `math.Mod`: the result has the sign of the dividend.
fn go_mod(a: f64, b: f64) -> f64 {
    a % b
}

/// A binary operator applied to two floats: the value and whether a
/// comparison holds (always true for arithmetic).
fn apply_op(op: BinOp, a: f64, b: f64) -> (f64, bool) {
    use BinOp::*;
    match op {
        Add => (a + b, true),
        Sub => (a - b, true),
        Mul => (a * b, true),
        Div => (a / b, true),
        Mod => (go_mod(a, b), true),
        Pow => (a.powf(b), true),
        Atan2 => (a.atan2(b), true),
        Eql => (a, a == b),
        Neq => (a, a != b),
        Lss => (a, a < b),
        Lte => (a, a <= b),
        Gtr => (a, a > b),
        Gte => (a, a >= b),
        And | Or | Unless => (a, true),
    }
}

enum HistogramOpResult {
    Histogram(Histogram),
    Comparison(bool),
}

/// A binary operator where one side or both are histograms: addition and
/// subtraction of histograms, scaling by a float, `==` and `!=`. `None`
/// for what Prometheus leaves out of the result.
fn histogram_op(
    op: BinOp,
    lh: Option<&Histogram>,
    lv: f64,
    rh: Option<&Histogram>,
    rv: f64,
) -> Option<HistogramOpResult> {
    use HistogramOpResult::*;
    match (lh, rh, op) {
        (Some(a), Some(b), BinOp::Add) => a.add_scaled(b, 1.0).map(Histogram),
        (Some(a), Some(b), BinOp::Sub) => a.add_scaled(b, -1.0).map(Histogram),
        (Some(a), Some(b), BinOp::Eql) => Some(Comparison(a == b)),
        (Some(a), Some(b), BinOp::Neq) => Some(Comparison(a != b)),
        (Some(a), None, BinOp::Mul) => Some(Histogram(a.scale(rv))),
        (None, Some(b), BinOp::Mul) => Some(Histogram(b.scale(lv))),
        (Some(a), None, BinOp::Div) => Some(Histogram(a.scale(1.0 / rv))),
        _ => None,
    }
}

/// The labels two series are matched by.
fn signature(labels: &Labels, matching: Option<&VectorMatching>) -> Labels {
    match matching {
        Some(m) if m.on => Labels::new(
            labels
                .iter()
                .filter(|l| m.labels.contains(&l.name))
                .map(|l| (l.name.clone(), l.value.clone())),
        ),
        Some(m) => Labels::new(
            labels
                .iter()
                .filter(|l| l.name != METRIC_NAME && !m.labels.contains(&l.name))
                .map(|l| (l.name.clone(), l.value.clone())),
        ),
        None => drop_name(labels),
    }
}

impl<S: SeriesStore> Evaluator<'_, S> {
    pub(super) fn binary(&self, expr: &Expr, b: &BinaryExpr, ts: i64) -> Result<Value> {
        let lhs = self.eval(&b.lhs, ts)?;
        let rhs = self.eval(&b.rhs, ts)?;
        let keep_or_bool = |value: f64, keep: bool| -> Option<f64> {
            if b.return_bool {
                Some(if keep { 1.0 } else { 0.0 })
            } else {
                keep.then_some(value)
            }
        };
        match (lhs, rhs) {
            (Value::Scalar(l), Value::Scalar(r)) => {
                let (v, keep) = apply_op(b.op, l, r);
                Ok(Value::Scalar(if b.op.is_comparison() {
                    if keep { 1.0 } else { 0.0 }
                } else {
                    v
                }))
            }
            (Value::Vector(v), Value::Scalar(s)) | (Value::Scalar(s), Value::Vector(v)) => {
                let vector_on_left = matches!(b.lhs.value_type(), ValueType::InstantVector);
                let mut out = Vec::new();
                for sample in v {
                    if let Some(h) = &sample.histogram {
                        // Histograms can only be scaled by a scalar.
                        let scaled = match (b.op, vector_on_left) {
                            (BinOp::Mul, _) => Some(h.scale(s)),
                            (BinOp::Div, true) => Some(h.scale(1.0 / s)),
                            _ => None,
                        };
                        if let Some(h) = scaled {
                            out.push(VectorSample {
                                labels: drop_name(&sample.labels),
                                value: f64::NAN,
                                histogram: Some(Arc::new(h)),
                            });
                        }
                        continue;
                    }
                    let (l, r) = if vector_on_left {
                        (sample.value, s)
                    } else {
                        (s, sample.value)
                    };
                    let (mut value, keep) = apply_op(b.op, l, r);
                    if b.op.is_comparison() {
                        value = sample.value; // the vector's value, whichever side it is on
                    }
                    if let Some(value) = keep_or_bool(value, keep) {
                        let drop = !b.op.is_comparison() || b.return_bool;
                        let labels = if drop {
                            drop_name(&sample.labels)
                        } else {
                            sample.labels
                        };
                        out.push(VectorSample::float(labels, value));
                    }
                }
                self.check_unique(&expr.span, out).map(Value::Vector)
            }
            (Value::Vector(l), Value::Vector(r)) if b.op.is_set() => {
                Ok(Value::Vector(self.set_op(b, l, r)))
            }
            (Value::Vector(l), Value::Vector(r)) => {
                self.vector_binary(expr, b, l, r).map(Value::Vector)
            }
            _ => fail(
                &expr.span,
                "binary operations need scalars or instant vectors",
            ),
        }
    }

    fn set_op(
        &self,
        b: &BinaryExpr,
        l: Vec<VectorSample>,
        r: Vec<VectorSample>,
    ) -> Vec<VectorSample> {
        let m = b.matching.as_ref();
        let right: std::collections::HashSet<Labels> =
            r.iter().map(|s| signature(&s.labels, m)).collect();
        match b.op {
            BinOp::And => l
                .into_iter()
                .filter(|s| right.contains(&signature(&s.labels, m)))
                .collect(),
            BinOp::Unless => l
                .into_iter()
                .filter(|s| !right.contains(&signature(&s.labels, m)))
                .collect(),
            _ => {
                let left: std::collections::HashSet<Labels> =
                    l.iter().map(|s| signature(&s.labels, m)).collect();
                let mut out = l;
                out.extend(
                    r.into_iter()
                        .filter(|s| !left.contains(&signature(&s.labels, m))),
                );
                out
            }
        }
    }

    fn vector_binary(
        &self,
        expr: &Expr,
        b: &BinaryExpr,
        l: Vec<VectorSample>,
        r: Vec<VectorSample>,
    ) -> Result<Vec<VectorSample>> {
        let default_matching = VectorMatching {
            card: Cardinality::OneToOne,
            on: false,
            labels: Vec::new(),
            include: Vec::new(),
        };
        let matching = b.matching.as_ref().unwrap_or(&default_matching);
        // The "one" side is looked up by signature; group_right swaps the sides.
        let swapped = matching.card == Cardinality::OneToMany;
        let (many, one) = if swapped { (r, l) } else { (l, r) };
        let mut one_side: HashMap<Labels, &VectorSample> = HashMap::new();
        for s in &one {
            let sig = signature(&s.labels, Some(matching));
            if one_side.insert(sig.clone(), s).is_some() {
                let side = if swapped { "left" } else { "right" };
                return fail(
                    &expr.span,
                    format!(
                        "found duplicate series for the match group {sig} on the {side} hand-side of the operation: many-to-many matching not allowed: matching labels must be unique on one side"
                    ),
                );
            }
        }
        let mut matched_many: HashMap<Labels, usize> = HashMap::new();
        let mut out = Vec::new();
        for s in &many {
            let sig = signature(&s.labels, Some(matching));
            let Some(other) = one_side.get(&sig) else {
                continue;
            };
            if matching.card == Cardinality::OneToOne {
                let n = matched_many.entry(sig.clone()).or_default();
                *n += 1;
                if *n > 1 {
                    return fail(
                        &expr.span,
                        format!(
                            "multiple matches for labels: many-to-one matching must be explicit (group_left/group_right); found duplicate series for the match group {sig} on the left hand-side"
                        ),
                    );
                }
            }
            let (lv, rv) = if swapped {
                (other.value, s.value)
            } else {
                (s.value, other.value)
            };
            let (lh, rh) = if swapped {
                (&other.histogram, &s.histogram)
            } else {
                (&s.histogram, &other.histogram)
            };
            let mut histogram = None;
            let (value, keep) = if lh.is_some() || rh.is_some() {
                match histogram_op(b.op, lh.as_deref(), lv, rh.as_deref(), rv) {
                    Some(HistogramOpResult::Histogram(h)) => {
                        histogram = Some(Arc::new(h));
                        (f64::NAN, true)
                    }
                    Some(HistogramOpResult::Comparison(keep)) => {
                        histogram = if b.return_bool { None } else { lh.clone() };
                        (f64::NAN, keep)
                    }
                    None => continue,
                }
            } else {
                apply_op(b.op, lv, rv)
            };
            let value = if b.op.is_comparison() && swapped {
                rv
            } else {
                value
            };
            let Some(value) = (if b.return_bool {
                Some(if keep { 1.0 } else { 0.0 })
            } else {
                keep.then_some(value)
            }) else {
                continue;
            };
            // The result's labels come from the "many" side.
            let mut labels = if !b.op.is_comparison() || b.return_bool {
                drop_name(&s.labels)
            } else {
                s.labels.clone()
            };
            if matching.card == Cardinality::OneToOne {
                labels = if matching.on {
                    label_values(&labels, &matching.labels)
                } else {
                    Labels::new(
                        labels
                            .iter()
                            .filter(|l| !matching.labels.contains(&l.name))
                            .map(|l| (l.name.clone(), l.value.clone())),
                    )
                };
            }
            for name in &matching.include {
                labels = labels.with(name, other.labels.get(name).unwrap_or(""));
            }
            if b.return_bool {
                histogram = None;
            }
            out.push(VectorSample {
                labels,
                value,
                histogram,
            });
        }
        self.check_unique(&expr.span, out)
    }
}

#[cfg(test)]
mod tests {
    use super::apply_op;
    use crate::ast::BinOp;
    use crate::eval::fixture::{eval_at, eval_err, store};

    #[test]
    fn modulo_keeps_the_sign_of_the_dividend_as_in_go() {
        assert_eq!(apply_op(BinOp::Mod, -7.0, 3.0), (-1.0, true));
        assert_eq!(apply_op(BinOp::Mod, 7.0, -3.0), (1.0, true));
        assert_eq!(apply_op(BinOp::Gtr, 1.0, 2.0), (1.0, false));
        assert_eq!(apply_op(BinOp::Pow, 2.0, 10.0), (1024.0, true));
    }

    #[test]
    fn one_to_one_matching_pairs_series_by_labels_but_the_name() {
        let s = store(&[
            ("a{job=\"x\"}", &[(0, 10.0)]),
            ("a{job=\"y\"}", &[(0, 20.0)]),
            ("b{job=\"x\"}", &[(0, 2.0)]),
            ("b{job=\"z\"}", &[(0, 5.0)]),
        ]);
        assert_eq!(eval_at(&s, "a / b", 0), ["{job=\"x\"} 5"]);
    }

    #[test]
    fn one_to_one_matching_keeps_only_the_on_labels() {
        let s = store(&[
            ("a{job=\"x\", i=\"1\"}", &[(0, 1.0)]),
            ("b{job=\"x\", team=\"core\"}", &[(0, 10.0)]),
        ]);
        assert_eq!(eval_at(&s, "a + on(job) b", 0), ["{job=\"x\"} 11"]);
        assert_eq!(
            eval_at(&s, "a + ignoring(i, team) b", 0),
            ["{job=\"x\"} 11"]
        );
    }

    #[test]
    fn duplicates_on_the_one_side_are_a_many_to_many_error() {
        let s = store(&[
            ("a{job=\"x\", i=\"1\"}", &[(0, 1.0)]),
            ("b{job=\"x\", i=\"1\"}", &[(0, 1.0)]),
            ("b{job=\"x\", i=\"2\"}", &[(0, 2.0)]),
        ]);
        assert_eq!(
            eval_err(&s, "a + on(job) b", 0),
            "found duplicate series for the match group {job=\"x\"} on the right hand-side \
             of the operation: many-to-many matching not allowed: matching labels must be \
             unique on one side"
        );
        // group_right makes the left the "one" side.
        assert_eq!(
            eval_err(&s, "b + on(job) group_right a", 0),
            "found duplicate series for the match group {job=\"x\"} on the left hand-side \
             of the operation: many-to-many matching not allowed: matching labels must be \
             unique on one side"
        );
    }

    #[test]
    fn many_to_one_matching_must_say_group_left() {
        let s = store(&[
            ("a{job=\"x\", i=\"1\"}", &[(0, 1.0)]),
            ("a{job=\"x\", i=\"2\"}", &[(0, 2.0)]),
            ("b{job=\"x\", team=\"core\"}", &[(0, 10.0)]),
        ]);
        assert_eq!(
            eval_err(&s, "a + on(job) b", 0),
            "multiple matches for labels: many-to-one matching must be explicit \
             (group_left/group_right); found duplicate series for the match group \
             {job=\"x\"} on the left hand-side"
        );
        assert_eq!(
            eval_at(&s, "a * on(job) group_left(team) b", 0),
            [
                "{i=\"1\", job=\"x\", team=\"core\"} 10",
                "{i=\"2\", job=\"x\", team=\"core\"} 20"
            ]
        );
        assert_eq!(
            eval_at(&s, "b * on(job) group_right a", 0),
            ["{i=\"1\", job=\"x\"} 10", "{i=\"2\", job=\"x\"} 20"]
        );
    }

    #[test]
    fn comparisons_filter_unless_bool() {
        let s = store(&[
            ("a{job=\"x\"}", &[(0, 10.0)]),
            ("a{job=\"y\"}", &[(0, 20.0)]),
        ]);
        assert_eq!(eval_at(&s, "a > 15", 0), ["a{job=\"y\"} 20"]);
        // The vector's value is kept whichever side it is on.
        assert_eq!(eval_at(&s, "15 < a", 0), ["a{job=\"y\"} 20"]);
        assert_eq!(
            eval_at(&s, "a > bool 15", 0),
            ["{job=\"x\"} 0", "{job=\"y\"} 1"]
        );
        assert_eq!(eval_at(&s, "1 < bool 2", 0), ["1"]);
        assert_eq!(
            eval_at(&s, "a + 1", 0),
            ["{job=\"x\"} 11", "{job=\"y\"} 21"]
        );
    }

    #[test]
    fn set_operators_match_on_label_sets() {
        let s = store(&[
            ("a{job=\"x\"}", &[(0, 1.0)]),
            ("a{job=\"y\"}", &[(0, 2.0)]),
            ("b{job=\"y\"}", &[(0, 3.0)]),
            ("b{job=\"z\"}", &[(0, 4.0)]),
        ]);
        assert_eq!(eval_at(&s, "a and b", 0), ["a{job=\"y\"} 2"]);
        assert_eq!(eval_at(&s, "a unless b", 0), ["a{job=\"x\"} 1"]);
        assert_eq!(
            eval_at(&s, "a or b", 0),
            ["a{job=\"x\"} 1", "a{job=\"y\"} 2", "b{job=\"z\"} 4"]
        );
        assert_eq!(
            eval_at(&s, "a and on() b", 0),
            ["a{job=\"x\"} 1", "a{job=\"y\"} 2"]
        );
    }
}
