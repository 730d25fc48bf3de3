//! Aggregation operators: `sum`, `avg`, `count`, `min`, `max`, `group`,
//! `stddev`, `stdvar`, `quantile`, `topk`, `bottomk`, `limitk`,
//! `limit_ratio` and `count_values`, over the groups `by`/`without` make;
//! with the float arithmetic Prometheus uses (Kahan sums, its `avg`,
//! Welford's variance) so results match to the last digit.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::quantile::quantile;
use super::{Evaluator, Result, Value, VectorSample, fail, label_values};
use crate::ast::*;
use o11y_metrics::store::SeriesStore;
use o11y_model::histogram::Histogram;
use o11y_model::labels::{Labels, METRIC_NAME};
use o11y_model::number::{format_float, kahan_sum_inc};

impl<S: SeriesStore> Evaluator<'_, S> {
    pub(super) fn aggregate(&self, expr: &Expr, a: &AggregateExpr, ts: i64) -> Result<Value> {
        let input = self.vector(&a.expr, ts)?;
        let group_labels = |labels: &Labels| -> Labels {
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
        };
        // Groups in label order, found through a hash map.
        let mut index: rustc_hash::FxHashMap<Labels, usize> = Default::default();
        let mut grouped: Vec<(Labels, Vec<VectorSample>)> = Vec::new();
        for s in input {
            let key = self.memo_labels(expr.span.start, &s.labels, &group_labels);
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
        let param = match &a.param {
            Some(p) if p.value_type() == ValueType::Scalar => Some(self.scalar(p, ts)?),
            _ => None,
        };
        let mut out = Vec::new();
        match a.op {
            AggOp::Topk | AggOp::Bottomk | AggOp::Limitk => {
                let k = param.unwrap_or(0.0);
                if k.is_nan() || k.abs() > 9e18 {
                    return fail(
                        &expr.span,
                        format!(
                            "scalar parameter {} out of range for {}",
                            format_float(k),
                            a.op.name()
                        ),
                    );
                }
                let k = k.max(0.0) as usize;
                for (_, mut members) in groups {
                    if a.op != AggOp::Limitk {
                        // topk and bottomk ignore histograms.
                        members.retain(|m| m.histogram.is_none());
                    }
                    if a.op == AggOp::Topk {
                        members.sort_by(|x, y| {
                            y.value
                                .partial_cmp(&x.value)
                                .unwrap_or_else(|| x.value.is_nan().cmp(&y.value.is_nan()))
                        });
                    } else if a.op == AggOp::Bottomk {
                        members.sort_by(|x, y| {
                            x.value
                                .partial_cmp(&y.value)
                                .unwrap_or_else(|| x.value.is_nan().cmp(&y.value.is_nan()))
                        });
                    }
                    out.extend(members.into_iter().take(k));
                }
                return Ok(Value::Vector(out));
            }
            AggOp::CountValues => {
                let label = match &a.param {
                    Some(p) => self.string(p, ts)?,
                    None => String::new(),
                };
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
            AggOp::LimitRatio => {
                let ratio = param.unwrap_or(f64::NAN);
                if ratio.is_nan() {
                    return fail(&expr.span, "Ratio value is NaN".to_string());
                }
                let ratio = ratio.clamp(-1.0, 1.0);
                for (_, members) in groups {
                    out.extend(members.into_iter().filter(|m| {
                        // Where the series' hash falls in [0, 1), as Prometheus's AddRatioSample.
                        let offset = labels_hash(&m.labels) as f64 / u64::MAX as f64;
                        (ratio >= 0.0 && offset < ratio) || (ratio < 0.0 && offset >= 1.0 + ratio)
                    }));
                }
                return Ok(Value::Vector(out));
            }
            _ => {}
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
                AggOp::Quantile => quantile(param.unwrap_or(f64::NAN), &mut values.clone()),
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
    let Some((first, rest)) = values.split_first() else {
        return f64::NAN;
    };
    let (mut sum, mut c, mut mean) = (*first, 0.0, 0.0);
    let mut incremental = false;
    for (i, v) in rest.iter().copied().enumerate() {
        let count = (i + 2) as f64;
        if !incremental {
            let (new_sum, new_c) = kahan_sum_inc(v, sum, c);
            if !new_sum.is_infinite() {
                (sum, c) = (new_sum, new_c);
                continue;
            }
            // The sum would overflow: continue with an incremental mean.
            incremental = true;
            mean = sum / (count - 1.0);
            c /= count - 1.0;
        }
        if mean.is_infinite() {
            if v.is_infinite() && (mean > 0.0) == (v > 0.0) {
                continue;
            }
            if !v.is_infinite() && !v.is_nan() {
                continue;
            }
        }
        let current = mean + c;
        (mean, c) = kahan_sum_inc(v / count - current / count, mean, c);
    }
    let n = values.len() as f64;
    if incremental {
        mean + c
    } else {
        sum / n + c / n
    }
}

/// Population variance by Welford's online algorithm, as Prometheus computes it.
pub(super) fn welford_variance(values: &[f64]) -> f64 {
    let (mut count, mut mean, mut m2) = (0.0, 0.0, 0.0);
    for v in values {
        count += 1.0;
        let delta = v - mean;
        mean += delta / count;
        m2 += delta * (v - mean);
    }
    m2 / count
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
