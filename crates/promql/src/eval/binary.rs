//! Binary operators: arithmetic and comparisons between scalars and
//! vectors, `and`/`or`/`unless`, and vector matching (`on`, `ignoring`,
//! `group_left`, `group_right`) with the errors Prometheus gives when a
//! match is ambiguous. Histograms add, subtract, scale and compare.

use std::sync::Arc;

use super::steps::{Grid, StepSeries, Steps, merge_same_labels};
use super::{Evaluator, Result, drop_name, fail, label_values};
use crate::ast::*;
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

/// One step's result of a vector-vector operator on a matched pair (or
/// `None` where Prometheus leaves it out): `swapped` when the "one" side
/// is on the left (`group_right`), so `(lv, lh)` are from the left.
fn matched_point(
    b: &BinaryExpr,
    swapped: bool,
    (lv, lh): (f64, Option<&Arc<Histogram>>),
    (rv, rh): (f64, Option<&Arc<Histogram>>),
) -> Option<(f64, Option<Arc<Histogram>>)> {
    let mut histogram = None;
    let (value, keep) = if lh.is_some() || rh.is_some() {
        match histogram_op(b.op, lh.map(|h| &**h), lv, rh.map(|h| &**h), rv)? {
            HistogramOpResult::Histogram(h) => {
                histogram = Some(Arc::new(h));
                (f64::NAN, true)
            }
            HistogramOpResult::Comparison(keep) => {
                histogram = if b.return_bool { None } else { lh.cloned() };
                (f64::NAN, keep)
            }
        }
    } else {
        apply_op(b.op, lv, rv)
    };
    let value = if b.op.is_comparison() && swapped {
        rv
    } else {
        value
    };
    if b.return_bool {
        return Some((if keep { 1.0 } else { 0.0 }, None));
    }
    keep.then_some((value, histogram))
}

/// Signatures as small numbers: each distinct label set once.
#[derive(Default)]
struct Signatures {
    ids: rustc_hash::FxHashMap<Labels, usize>,
    labels: Vec<Labels>,
}

impl Signatures {
    fn id(&mut self, sig: Labels) -> usize {
        let next = self.labels.len();
        let id = *self.ids.entry(sig.clone()).or_insert(next);
        if id == next {
            self.labels.push(sig);
        }
        id
    }

    fn find(&self, sig: &Labels) -> Option<usize> {
        self.ids.get(sig).copied()
    }
}

/// Per signature and step, whether a series of that signature is present.
fn present_by_signature(
    series: &[StepSeries],
    sigs: &[usize],
    n_sigs: usize,
    len: usize,
) -> Vec<bool> {
    let mut present = vec![false; n_sigs * len];
    for (s, g) in series.iter().zip(sigs) {
        for (p, q) in present[g * len..(g + 1) * len].iter_mut().zip(&s.present) {
            *p |= *q;
        }
    }
    present
}

impl Evaluator<'_> {
    /// A binary operator over `grid`. Series are matched once, by
    /// signatures computed once per series; values are combined per step.
    pub(super) fn binary(&self, expr: &Expr, b: &BinaryExpr, grid: Grid) -> Result<Steps> {
        let lhs = self.eval_steps(&b.lhs, grid)?;
        let rhs = self.eval_steps(&b.rhs, grid)?;
        match (lhs, rhs) {
            (Steps::Scalar(l), Steps::Scalar(r)) => Ok(Steps::Scalar(
                l.iter()
                    .zip(&r)
                    .map(|(l, r)| {
                        let (v, keep) = apply_op(b.op, *l, *r);
                        if b.op.is_comparison() {
                            if keep { 1.0 } else { 0.0 }
                        } else {
                            v
                        }
                    })
                    .collect(),
            )),
            (Steps::Vector(v), Steps::Scalar(s)) => self.vector_scalar(expr, b, v, &s, true),
            (Steps::Scalar(s), Steps::Vector(v)) => self.vector_scalar(expr, b, v, &s, false),
            (Steps::Vector(l), Steps::Vector(r)) if b.op.is_set() => {
                self.set_op(expr, b, l, r, grid.len)
            }
            (Steps::Vector(l), Steps::Vector(r)) => self.vector_binary(expr, b, l, r, grid.len),
            _ => fail(
                &expr.span,
                "binary operations need scalars or instant vectors",
            ),
        }
    }

    fn vector_scalar(
        &self,
        expr: &Expr,
        b: &BinaryExpr,
        series: Vec<StepSeries>,
        scalars: &[f64],
        vector_on_left: bool,
    ) -> Result<Steps> {
        let drop = !b.op.is_comparison() || b.return_bool;
        let mut out = Vec::with_capacity(series.len());
        for s in series {
            let labels = if drop {
                drop_name(&s.labels)
            } else {
                s.labels.clone()
            };
            let mut result = StepSeries::new(labels, scalars.len());
            for (i, &scalar) in scalars.iter().enumerate() {
                if !s.present[i] {
                    continue;
                }
                if let Some(h) = s.histogram(i) {
                    // Histograms can only be scaled by a scalar.
                    let scaled = match (b.op, vector_on_left) {
                        (BinOp::Mul, _) => Some(h.scale(scalar)),
                        (BinOp::Div, true) => Some(h.scale(1.0 / scalar)),
                        _ => None,
                    };
                    if let Some(h) = scaled {
                        result.set_histogram(i, Arc::new(h));
                    }
                    continue;
                }
                let value = s.values[i];
                let (l, r) = if vector_on_left {
                    (value, scalar)
                } else {
                    (scalar, value)
                };
                let (mut v, keep) = apply_op(b.op, l, r);
                if b.op.is_comparison() {
                    v = value; // the vector's value, whichever side it is on
                }
                if b.return_bool {
                    result.set(i, if keep { 1.0 } else { 0.0 });
                } else if keep {
                    result.set(i, v);
                }
            }
            if !result.is_empty() {
                out.push(result);
            }
        }
        merge_same_labels(&expr.span, out).map(Steps::Vector)
    }

    fn set_op(
        &self,
        expr: &Expr,
        b: &BinaryExpr,
        l: Vec<StepSeries>,
        r: Vec<StepSeries>,
        len: usize,
    ) -> Result<Steps> {
        let m = b.matching.as_ref();
        let mut sigs = Signatures::default();
        let left: Vec<usize> = l.iter().map(|s| sigs.id(signature(&s.labels, m))).collect();
        let right: Vec<usize> = r.iter().map(|s| sigs.id(signature(&s.labels, m))).collect();
        let n = sigs.labels.len();
        let mut out = Vec::with_capacity(l.len() + r.len());
        let keep_where = |mut s: StepSeries, other: &[bool], g: usize, present: bool| {
            for (p, o) in s.present.iter_mut().zip(&other[g * len..(g + 1) * len]) {
                *p &= *o == present;
            }
            s
        };
        match b.op {
            BinOp::And | BinOp::Unless => {
                let on_right = present_by_signature(&r, &right, n, len);
                for (s, g) in l.into_iter().zip(left) {
                    out.push(keep_where(s, &on_right, g, b.op == BinOp::And));
                }
            }
            _ => {
                let on_left = present_by_signature(&l, &left, n, len);
                out.extend(l);
                for (s, g) in r.into_iter().zip(right) {
                    out.push(keep_where(s, &on_left, g, false));
                }
            }
        }
        out.retain(|s| !s.is_empty());
        merge_same_labels(&expr.span, out).map(Steps::Vector)
    }

    fn vector_binary(
        &self,
        expr: &Expr,
        b: &BinaryExpr,
        l: Vec<StepSeries>,
        r: Vec<StepSeries>,
        len: usize,
    ) -> Result<Steps> {
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
        let mut sigs = Signatures::default();
        let mut one_members: Vec<Vec<usize>> = Vec::new();
        for (k, s) in one.iter().enumerate() {
            let g = sigs.id(signature(&s.labels, Some(matching)));
            if g == one_members.len() {
                one_members.push(Vec::new());
            }
            one_members[g].push(k);
        }
        // Two series of one signature on the "one" side at the same step.
        for (g, members) in one_members.iter().enumerate() {
            if members.len() < 2 {
                continue;
            }
            for i in 0..len {
                if members.iter().filter(|k| one[**k].present[i]).count() > 1 {
                    let side = if swapped { "left" } else { "right" };
                    let sig = &sigs.labels[g];
                    return fail(
                        &expr.span,
                        format!(
                            "found duplicate series for the match group {sig} on the {side} hand-side of the operation: many-to-many matching not allowed: matching labels must be unique on one side"
                        ),
                    );
                }
            }
        }
        let many_sigs: Vec<Option<usize>> = many
            .iter()
            .map(|s| sigs.find(&signature(&s.labels, Some(matching))))
            .collect();
        // Signatures matched by more than one "many" series: each step may
        // match only one of them one-to-one.
        let mut many_count = vec![0usize; one_members.len()];
        for g in many_sigs.iter().flatten() {
            many_count[*g] += 1;
        }
        let mut matched = Vec::new();
        if matching.card == Cardinality::OneToOne && many_count.iter().any(|n| *n > 1) {
            matched = vec![false; one_members.len() * len];
        }
        let mut out: Vec<StepSeries> = Vec::new();
        for (s, g) in many.iter().zip(&many_sigs) {
            let Some(g) = *g else { continue };
            let members = &one_members[g];
            // The output series of each "one" series matched with `s`.
            let mut outputs: Vec<(usize, usize)> = Vec::new();
            for i in 0..len {
                if !s.present[i] {
                    continue;
                }
                let Some(&o) = members.iter().find(|k| one[**k].present[i]) else {
                    continue;
                };
                if !matched.is_empty() && many_count[g] > 1 {
                    if matched[g * len + i] {
                        let sig = &sigs.labels[g];
                        return fail(
                            &expr.span,
                            format!(
                                "multiple matches for labels: many-to-one matching must be explicit (group_left/group_right); found duplicate series for the match group {sig} on the left hand-side"
                            ),
                        );
                    }
                    matched[g * len + i] = true;
                }
                let other = &one[o];
                let here = (s.values[i], s.histogram(i));
                let there = (other.values[i], other.histogram(i));
                let (left, right) = if swapped {
                    (there, here)
                } else {
                    (here, there)
                };
                let Some((value, histogram)) = matched_point(b, swapped, left, right) else {
                    continue;
                };
                let target = match outputs.iter().find(|(k, _)| *k == o) {
                    Some((_, target)) => *target,
                    None => {
                        let labels = result_labels(b, matching, &s.labels, &other.labels);
                        out.push(StepSeries::new(labels, len));
                        outputs.push((o, out.len() - 1));
                        out.len() - 1
                    }
                };
                out[target].set_point(i, value, histogram);
            }
        }
        merge_same_labels(&expr.span, out).map(Steps::Vector)
    }
}

/// The labels of a matched pair's result: from the "many" side, without
/// the name for arithmetic, only the matching labels one-to-one, plus the
/// `group_*` labels from the "one" side.
fn result_labels(b: &BinaryExpr, matching: &VectorMatching, many: &Labels, one: &Labels) -> Labels {
    let mut labels = if !b.op.is_comparison() || b.return_bool {
        drop_name(many)
    } else {
        many.clone()
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
        labels = labels.with(name, one.get(name).unwrap_or(""));
    }
    labels
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
