//! Aggregation operators: `sum`, `avg`, `count`, `min`, `max`, `group`,
//! `stddev`, `stdvar`, `quantile`, `topk`, `bottomk`, `limitk`,
//! `limit_ratio` and `count_values`, over the groups `by`/`without` make;
//! with the float arithmetic Prometheus uses (Kahan sums, its `avg`,
//! Welford's variance) so results match to the last digit.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::quantile::quantile;
use super::steps::{Grid, StepSeries, Steps};
use super::{Evaluator, Result, Value, VectorSample, fail, label_values};
use crate::ast::*;
use o11y_model::histogram::Histogram;
use o11y_model::labels::{Labels, METRIC_NAME};
use o11y_model::number::{format_float, kahan_sum_inc};

/// The labels of the group a series with `labels` falls into.
fn group_labels(a: &AggregateExpr, labels: &Labels) -> Labels {
    if a.without {
        Labels::new(
            labels
                .iter()
                .filter(|l| l.name != METRIC_NAME && !a.grouping.contains(&l.name))
                .map(|l| (l.name.clone(), l.value.clone())),
        )
    } else {
        label_values(labels, &a.grouping)
    }
}

/// The groups of a step matrix's series, found once per series: the
/// groups' labels in label order, and each series' group.
struct Groups {
    labels: Vec<Labels>,
    of_series: Vec<usize>,
}

impl Groups {
    fn of(a: &AggregateExpr, input: &[StepSeries]) -> Groups {
        let mut index: rustc_hash::FxHashMap<Labels, usize> = Default::default();
        let mut labels = Vec::new();
        let mut of_series = Vec::with_capacity(input.len());
        for s in input {
            let key = group_labels(a, &s.labels);
            let g = *index.entry(key).or_insert_with_key(|key| {
                labels.push(key.clone());
                labels.len() - 1
            });
            of_series.push(g);
        }
        // Renumber the groups in label order.
        let mut order: Vec<usize> = (0..labels.len()).collect();
        order.sort_by(|x, y| labels[*x].cmp(&labels[*y]));
        let mut rank = vec![0; labels.len()];
        for (r, g) in order.iter().enumerate() {
            rank[*g] = r;
        }
        Groups {
            labels: order.iter().map(|g| labels[*g].clone()).collect(),
            of_series: of_series.into_iter().map(|g| rank[g]).collect(),
        }
    }

    /// Each group's series, in input order.
    fn members(&self) -> Vec<Vec<usize>> {
        let mut members = vec![Vec::new(); self.labels.len()];
        for (k, g) in self.of_series.iter().enumerate() {
            members[*g].push(k);
        }
        members
    }
}

/// Folds each group's values at each step with `A`, series by series (so
/// a step's values are folded in the order of the input, as an instant
/// query folds them).
fn accumulate<A: Accumulator>(groups: Groups, input: &[StepSeries], len: usize) -> Vec<StepSeries> {
    let mut state = vec![A::default(); groups.labels.len() * len];
    let mut seen = vec![false; groups.labels.len() * len];
    for (s, g) in input.iter().zip(&groups.of_series) {
        let state = &mut state[g * len..(g + 1) * len];
        let seen = &mut seen[g * len..(g + 1) * len];
        for i in 0..len {
            if s.present[i] {
                state[i].push(s.values[i]);
                seen[i] = true;
            }
        }
    }
    let mut out = Vec::with_capacity(groups.labels.len());
    for (g, labels) in groups.labels.into_iter().enumerate() {
        let mut series = StepSeries::new(labels, len);
        for i in 0..len {
            if seen[g * len + i] {
                series.set(i, state[g * len + i].value());
            }
        }
        out.push(series);
    }
    out
}

/// `topk` and `bottomk`'s order: by value, NaN last, then input order.
fn ranked(op: AggOp, x: (f64, usize), y: (f64, usize)) -> std::cmp::Ordering {
    let (a, b) = if op == AggOp::Topk {
        (y.0, x.0)
    } else {
        (x.0, y.0)
    };
    a.partial_cmp(&b)
        .unwrap_or_else(|| x.0.is_nan().cmp(&y.0.is_nan()))
        .then(x.1.cmp(&y.1))
}

impl Evaluator<'_> {
    /// An aggregation over `grid`: the groups found once per series, then
    /// folded per step (or, for `count_values` and sums of native
    /// histograms, the instant aggregation at each step).
    pub(super) fn aggregate(&self, expr: &Expr, a: &AggregateExpr, grid: Grid) -> Result<Steps> {
        let input = self.eval_steps(&a.expr, grid)?.into_vector(&a.expr.span)?;
        let param = match &a.param {
            Some(p) => Some(self.eval_steps(p, grid)?),
            None => None,
        };
        let histograms = input.iter().any(StepSeries::has_histograms);
        let len = grid.len;
        let per_step = match a.op {
            AggOp::CountValues => true,
            AggOp::Topk | AggOp::Bottomk | AggOp::Limitk | AggOp::LimitRatio => false,
            AggOp::Quantile => false,
            _ => histograms,
        };
        if per_step {
            let mut args = vec![Steps::Vector(input)];
            args.extend(param);
            return self.per_step(
                &expr.span,
                grid,
                ValueType::InstantVector,
                &args,
                |_, mut values| {
                    let param = (values.len() > 1).then(|| values.remove(1));
                    let Some(Value::Vector(input)) = values.pop() else {
                        return fail(&a.expr.span, "expected an instant vector");
                    };
                    self.aggregate_vector(expr, a, input, param)
                },
            );
        }
        let param = match (param, &a.param) {
            (Some(p), Some(e)) => p.into_scalar(&e.span)?,
            _ => vec![f64::NAN; len],
        };
        let groups = Groups::of(a, &input);
        let out = match a.op {
            AggOp::Sum => accumulate::<KahanSum>(groups, &input, len),
            AggOp::Avg => accumulate::<Mean>(groups, &input, len),
            AggOp::Count => accumulate::<Count<false>>(groups, &input, len),
            AggOp::Group => accumulate::<Count<true>>(groups, &input, len),
            AggOp::Min => accumulate::<Extreme<false>>(groups, &input, len),
            AggOp::Max => accumulate::<Extreme<true>>(groups, &input, len),
            AggOp::Stddev | AggOp::Stdvar => {
                let mut out = accumulate::<Variance>(groups, &input, len);
                if a.op == AggOp::Stddev {
                    out.iter_mut()
                        .for_each(|s| s.values.iter_mut().for_each(|v| *v = v.sqrt()));
                }
                out
            }
            AggOp::Quantile => {
                let members = groups.members();
                let mut values = Vec::new();
                let mut out = Vec::new();
                for (labels, members) in groups.labels.into_iter().zip(&members) {
                    let mut series = StepSeries::new(labels, len);
                    for (i, q) in param.iter().enumerate() {
                        values.clear();
                        values.extend(
                            members
                                .iter()
                                .map(|k| &input[*k])
                                .filter(|s| s.present[i] && s.histogram(i).is_none())
                                .map(|s| s.values[i]),
                        );
                        if !values.is_empty() {
                            series.set(i, quantile(*q, &mut values));
                        }
                    }
                    out.push(series);
                }
                out
            }
            _ => return self.select_members(expr, a, groups, input, &param),
        };
        Ok(Steps::Vector(out))
    }

    /// `topk`, `bottomk`, `limitk` and `limit_ratio`: at each step, which
    /// members of each group are kept, unchanged.
    fn select_members(
        &self,
        expr: &Expr,
        a: &AggregateExpr,
        groups: Groups,
        input: Vec<StepSeries>,
        param: &[f64],
    ) -> Result<Steps> {
        for k in param {
            if a.op == AggOp::LimitRatio && k.is_nan() {
                return fail(&expr.span, "Ratio value is NaN".to_string());
            }
            if a.op != AggOp::LimitRatio && (k.is_nan() || k.abs() > 9e18) {
                return fail(
                    &expr.span,
                    format!(
                        "scalar parameter {} out of range for {}",
                        format_float(*k),
                        a.op.name()
                    ),
                );
            }
        }
        // Where each series' hash falls in [0, 1), as Prometheus's AddRatioSample.
        let offsets: Vec<f64> = match a.op {
            AggOp::LimitRatio => input
                .iter()
                .map(|s| labels_hash(&s.labels) as f64 / u64::MAX as f64)
                .collect(),
            _ => Vec::new(),
        };
        let members = groups.members();
        let mut output_of: Vec<Option<usize>> = vec![None; input.len()];
        let mut out: Vec<StepSeries> = Vec::new();
        let mut picked: Vec<(f64, usize)> = Vec::new();
        let len = param.len();
        for (i, param) in param.iter().enumerate() {
            for members in &members {
                picked.clear();
                let ranking = matches!(a.op, AggOp::Topk | AggOp::Bottomk);
                // A few of many: keep the best so far, in rank order.
                let few = ranking && param.max(0.0) * 4.0 < members.len() as f64;
                let n = param.max(0.0) as usize;
                for &k in members {
                    let s = &input[k];
                    // topk and bottomk ignore histograms.
                    if !s.present[i] || (ranking && s.histogram(i).is_some()) {
                        continue;
                    }
                    let candidate = (s.values[i], k);
                    if !few {
                        picked.push(candidate);
                    } else if picked.len() < n
                        || picked
                            .last()
                            .is_some_and(|worst| ranked(a.op, candidate, *worst).is_lt())
                    {
                        let at = picked.partition_point(|x| ranked(a.op, *x, candidate).is_lt());
                        picked.insert(at, candidate);
                        picked.truncate(n);
                    }
                }
                match a.op {
                    AggOp::LimitRatio => {
                        let ratio = param.clamp(-1.0, 1.0);
                        picked.retain(|(_, k)| {
                            let offset = offsets[*k];
                            (ratio >= 0.0 && offset < ratio)
                                || (ratio < 0.0 && offset >= 1.0 + ratio)
                        });
                    }
                    _ if few => {}
                    _ => {
                        if a.op != AggOp::Limitk {
                            if n < picked.len() && n > 0 {
                                picked.select_nth_unstable_by(n - 1, |x, y| ranked(a.op, *x, *y));
                            }
                            picked.truncate(n);
                            picked.sort_by(|x, y| ranked(a.op, *x, *y));
                        }
                        picked.truncate(n);
                    }
                }
                for &(_, k) in &picked {
                    let o = *output_of[k].get_or_insert_with(|| {
                        out.push(StepSeries::new(input[k].labels.clone(), len));
                        out.len() - 1
                    });
                    out[o].set_point(i, input[k].values[i], input[k].histogram(i).cloned());
                }
            }
        }
        Ok(Steps::Vector(out))
    }

    /// The aggregation at one step, of the instant vector `input`: what the
    /// step matrix path leaves to it, `count_values` and the folds of
    /// vectors holding native histograms.
    fn aggregate_vector(
        &self,
        expr: &Expr,
        a: &AggregateExpr,
        input: Vec<VectorSample>,
        param: Option<Value>,
    ) -> Result<Value> {
        // Groups in label order, found through a hash map.
        let mut index: rustc_hash::FxHashMap<Labels, usize> = Default::default();
        let mut grouped: Vec<(Labels, Vec<VectorSample>)> = Vec::new();
        for s in input {
            let key = group_labels(a, &s.labels);
            match index.get(&key) {
                Some(&i) => grouped[i].1.push(s),
                None => {
                    index.insert(key.clone(), grouped.len());
                    grouped.push((key, vec![s]));
                }
            }
        }
        grouped.sort_by(|a, b| a.0.cmp(&b.0));
        let groups = grouped;
        let label = match param {
            Some(Value::String(s)) => s,
            _ => String::new(),
        };
        let mut out = Vec::new();
        if a.op == AggOp::CountValues {
            if !o11y_model::labels::is_valid_label_name(&label) {
                return fail(&expr.span, format!("invalid label name {label:?}"));
            }
            let mut counts: BTreeMap<Labels, f64> = BTreeMap::new();
            for (group, members) in groups {
                for s in members {
                    let value = match &s.histogram {
                        Some(h) => h.go_string(),
                        None => format_float(s.value),
                    };
                    *counts.entry(group.with(&label, &value)).or_default() += 1.0;
                }
            }
            return Ok(Value::Vector(
                counts
                    .into_iter()
                    .map(|(labels, value)| VectorSample::float(labels, value))
                    .collect(),
            ));
        }
        for (labels, members) in groups {
            let n = members.len() as f64;
            let histograms: Vec<&Histogram> = members
                .iter()
                .filter_map(|m| m.histogram.as_deref())
                .collect();
            if !histograms.is_empty() {
                match a.op {
                    AggOp::Sum | AggOp::Avg if histograms.len() == members.len() => {
                        let mut total = histograms[0].clone();
                        let mut compatible = true;
                        for h in &histograms[1..] {
                            match total.add_scaled(h, 1.0) {
                                Some(t) => total = t,
                                None => compatible = false,
                            }
                        }
                        if a.op == AggOp::Avg {
                            total = total.scale(1.0 / n);
                        }
                        if compatible {
                            out.push(VectorSample {
                                labels,
                                value: f64::NAN,
                                histogram: Some(Arc::new(total)),
                            });
                        }
                        continue;
                    }
                    // A mix of floats and histograms has no sum.
                    AggOp::Sum | AggOp::Avg => continue,
                    _ => {}
                }
            }
            let values: Vec<f64> = members
                .iter()
                .filter(|m| m.histogram.is_none())
                .map(|s| s.value)
                .collect();
            let counting = matches!(a.op, AggOp::Count | AggOp::Group);
            if values.is_empty() && !counting {
                continue;
            }
            let value = match a.op {
                AggOp::Sum => {
                    let (sum, c) = values
                        .iter()
                        .fold((0.0, 0.0), |(sum, c), v| kahan_sum_inc(*v, sum, c));
                    sum + c
                }
                AggOp::Avg => prometheus_avg(&values),
                AggOp::Count => n,
                AggOp::Group => 1.0,
                AggOp::Min => values
                    .iter()
                    .copied()
                    .fold(f64::NAN, |m, v| if m.is_nan() || v < m { v } else { m }),
                AggOp::Max => values
                    .iter()
                    .copied()
                    .fold(f64::NAN, |m, v| if m.is_nan() || v > m { v } else { m }),
                AggOp::Stddev | AggOp::Stdvar => {
                    let var = welford_variance(&values);
                    if a.op == AggOp::Stddev {
                        var.sqrt()
                    } else {
                        var
                    }
                }
                _ => f64::NAN,
            };
            out.push(VectorSample::float(labels, value));
        }
        Ok(Value::Vector(out))
    }
}

/// Prometheus's `labels.Hash()`: xxHash64 of each name and value followed by 0xff.
fn labels_hash(labels: &Labels) -> u64 {
    let mut bytes = Vec::new();
    for l in labels.iter() {
        bytes.extend_from_slice(l.name.as_bytes());
        bytes.push(0xff);
        bytes.extend_from_slice(l.value.as_bytes());
        bytes.push(0xff);
    }
    xxhash_rust::xxh64::xxh64(&bytes, 0)
}

/// `avg` as Prometheus 3 computes it: a direct Kahan sum divided by the
/// count while the sum stays finite, incremental mean once it would not.
pub(super) fn prometheus_avg(values: &[f64]) -> f64 {
    let mut mean = Mean::default();
    values.iter().for_each(|v| mean.push(*v));
    mean.value()
}

/// Population variance by Welford's online algorithm, as Prometheus computes it.
pub(super) fn welford_variance(values: &[f64]) -> f64 {
    let mut variance = Variance::default();
    values.iter().for_each(|v| variance.push(*v));
    variance.value()
}

/// What a group's values at one step fold into.
pub(super) trait Accumulator: Default + Clone {
    fn push(&mut self, v: f64);
    fn value(&self) -> f64;
}

/// Prometheus 3's `avg`, one value at a time.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Mean {
    count: f64,
    sum: f64,
    c: f64,
    mean: f64,
    incremental: bool,
}

impl Accumulator for Mean {
    fn push(&mut self, v: f64) {
        self.count += 1.0;
        let count = self.count;
        if count == 1.0 {
            self.sum = v;
            return;
        }
        if !self.incremental {
            let (sum, c) = kahan_sum_inc(v, self.sum, self.c);
            if !sum.is_infinite() {
                (self.sum, self.c) = (sum, c);
                return;
            }
            // The sum would overflow: continue with an incremental mean.
            self.incremental = true;
            self.mean = self.sum / (count - 1.0);
            self.c /= count - 1.0;
        }
        if self.mean.is_infinite() {
            if v.is_infinite() && (self.mean > 0.0) == (v > 0.0) {
                return;
            }
            if !v.is_infinite() && !v.is_nan() {
                return;
            }
        }
        let current = self.mean + self.c;
        (self.mean, self.c) = kahan_sum_inc(v / count - current / count, self.mean, self.c);
    }

    fn value(&self) -> f64 {
        if self.count == 0.0 {
            f64::NAN
        } else if self.incremental {
            self.mean + self.c
        } else {
            self.sum / self.count + self.c / self.count
        }
    }
}

/// Welford's population variance, one value at a time.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Variance {
    count: f64,
    mean: f64,
    m2: f64,
}

impl Accumulator for Variance {
    fn push(&mut self, v: f64) {
        self.count += 1.0;
        let delta = v - self.mean;
        self.mean += delta / self.count;
        self.m2 += delta * (v - self.mean);
    }

    fn value(&self) -> f64 {
        self.m2 / self.count
    }
}

/// A Kahan sum, as Prometheus's `sum`.
#[derive(Clone, Copy, Debug, Default)]
struct KahanSum(f64, f64);

impl Accumulator for KahanSum {
    fn push(&mut self, v: f64) {
        (self.0, self.1) = kahan_sum_inc(v, self.0, self.1);
    }

    fn value(&self) -> f64 {
        self.0 + self.1
    }
}

/// `min` (`MIN` false) or `max`: NaN only if every value is.
#[derive(Clone, Copy, Debug)]
struct Extreme<const MAX: bool>(f64);

impl<const MAX: bool> Default for Extreme<MAX> {
    fn default() -> Self {
        Extreme(f64::NAN)
    }
}

impl<const MAX: bool> Accumulator for Extreme<MAX> {
    fn push(&mut self, v: f64) {
        if self.0.is_nan() || (if MAX { v > self.0 } else { v < self.0 }) {
            self.0 = v;
        }
    }

    fn value(&self) -> f64 {
        self.0
    }
}

/// `count`, or `group` (`GROUP`: 1 for any number of values).
#[derive(Clone, Copy, Debug, Default)]
struct Count<const GROUP: bool>(f64);

impl<const GROUP: bool> Accumulator for Count<GROUP> {
    fn push(&mut self, _: f64) {
        self.0 += 1.0;
    }

    fn value(&self) -> f64 {
        if GROUP { 1.0 } else { self.0 }
    }
}

#[cfg(test)]
mod tests {
    use super::{prometheus_avg, welford_variance};
    use crate::eval::fixture::{eval_at, eval_err, store};

    #[test]
    fn sum_avg_and_count_by_and_without() {
        let s = store(&[
            ("x{job=\"a\", i=\"1\"}", &[(0, 1.0)]),
            ("x{job=\"a\", i=\"2\"}", &[(0, 3.0)]),
            ("x{job=\"b\", i=\"1\"}", &[(0, 10.0)]),
        ]);
        assert_eq!(
            eval_at(&s, "sum by (job) (x)", 0),
            ["{job=\"a\"} 4", "{job=\"b\"} 10"]
        );
        assert_eq!(
            eval_at(&s, "avg without (i) (x)", 0),
            ["{job=\"a\"} 2", "{job=\"b\"} 10"]
        );
        assert_eq!(eval_at(&s, "count(x)", 0), ["{} 3"]);
        assert_eq!(
            eval_at(&s, "max by (i) (x)", 0),
            ["{i=\"1\"} 10", "{i=\"2\"} 3"]
        );
        assert_eq!(
            eval_at(&s, "group by (job) (x)", 0),
            ["{job=\"a\"} 1", "{job=\"b\"} 1"]
        );
    }

    #[test]
    fn topk_and_bottomk_rank_nan_last() {
        let s = store(&[
            ("x{i=\"1\"}", &[(0, 1.0)]),
            ("x{i=\"2\"}", &[(0, 3.0)]),
            ("x{i=\"3\"}", &[(0, 10.0)]),
            ("x{i=\"4\"}", &[(0, f64::NAN)]),
        ]);
        assert_eq!(
            eval_at(&s, "topk(2, x)", 0),
            ["x{i=\"3\"} 10", "x{i=\"2\"} 3"]
        );
        assert_eq!(
            eval_at(&s, "bottomk(2, x)", 0),
            ["x{i=\"1\"} 1", "x{i=\"2\"} 3"]
        );
        assert_eq!(
            eval_at(&s, "topk(5, x)", 0).last().unwrap(),
            "x{i=\"4\"} NaN"
        );
        assert_eq!(
            eval_at(&s, "bottomk(5, x)", 0).last().unwrap(),
            "x{i=\"4\"} NaN"
        );
        assert_eq!(
            eval_err(&s, "topk(NaN, x)", 0),
            "scalar parameter NaN out of range for topk"
        );
    }

    #[test]
    fn count_values_counts_each_value() {
        let s = store(&[
            ("x{i=\"1\"}", &[(0, 1.0)]),
            ("x{i=\"2\"}", &[(0, 1.0)]),
            ("x{i=\"3\"}", &[(0, 2.5)]),
        ]);
        assert_eq!(
            eval_at(&s, "count_values(\"v\", x)", 0),
            ["{v=\"1\"} 2", "{v=\"2.5\"} 1"]
        );
        assert_eq!(
            eval_err(&s, "count_values(\"1v\", x)", 0),
            "invalid label name \"1v\""
        );
    }

    #[test]
    fn quantile_and_stddev_over_a_group() {
        let values = [2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0];
        let series: Vec<(String, Vec<(i64, f64)>)> = values
            .iter()
            .enumerate()
            .map(|(i, v)| (format!("x{{i=\"{i}\"}}"), vec![(0, *v)]))
            .collect();
        let series: Vec<(&str, &[(i64, f64)])> = series
            .iter()
            .map(|(n, s)| (n.as_str(), s.as_slice()))
            .collect();
        let s = store(&series);
        assert_eq!(eval_at(&s, "stddev(x)", 0), ["{} 2"]);
        assert_eq!(eval_at(&s, "stdvar(x)", 0), ["{} 4"]);
        // Rank 0.5 × 7 = 3.5: halfway between the 4th and 5th values (4, 5).
        assert_eq!(eval_at(&s, "quantile(0.5, x)", 0), ["{} 4.5"]);
        assert_eq!(eval_at(&s, "quantile(2, x)", 0), ["{} +Inf"]);
    }

    #[test]
    fn limit_ratio_halves_split_the_series_between_them() {
        let names: Vec<String> = (0..20).map(|i| format!("x{{i=\"{i}\"}}")).collect();
        let series: Vec<(&str, &[(i64, f64)])> = names
            .iter()
            .map(|n| (n.as_str(), &[(0, 1.0)][..]))
            .collect();
        let s = store(&series);
        let mut kept = eval_at(&s, "limit_ratio(0.5, x)", 0);
        let rest = eval_at(&s, "limit_ratio(-0.5, x)", 0);
        assert!(kept.iter().all(|k| !rest.contains(k)));
        kept.extend(rest);
        kept.sort();
        let mut all = eval_at(&s, "x", 0);
        all.sort();
        assert_eq!(kept, all);
        assert_eq!(eval_at(&s, "limit_ratio(1, x)", 0).len(), 20);
        assert_eq!(eval_at(&s, "limitk(3, x)", 0).len(), 3);
        assert_eq!(eval_err(&s, "limit_ratio(NaN, x)", 0), "Ratio value is NaN");
    }

    #[test]
    fn prometheus_avg_survives_an_overflowing_sum() {
        assert_eq!(prometheus_avg(&[1.0, 2.0]), 1.5);
        assert_eq!(prometheus_avg(&[f64::MAX, f64::MAX]), f64::MAX);
        assert!(prometheus_avg(&[]).is_nan());
    }

    #[test]
    fn welford_variance_is_the_population_variance() {
        let v = welford_variance(&[2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0]);
        assert!((v - 4.0).abs() < 1e-12, "{v}");
        assert_eq!(welford_variance(&[3.0]), 0.0);
    }
}
