//! Functions of histograms: `histogram_quantile`, `histogram_quantiles`
//! and `histogram_fraction` over native histograms or classic `le`
//! buckets, and `histogram_count`, `histogram_sum`, `histogram_avg`,
//! `histogram_stddev`, `histogram_stdvar` of native histograms.

use std::collections::BTreeMap;

use super::call::Call;
use super::quantile::{bucket_fraction, bucket_quantile};
use super::steps::{StepSeries, Steps};
use super::{Evaluator, Result, Value, VectorSample, drop_name, fail};
use crate::ast::Expr;
use o11y_model::histogram::Histogram;
use o11y_model::labels::Labels;
use o11y_model::number::format_float;

impl Evaluator<'_> {
    /// `f` of each native histogram sample of the last argument (float
    /// samples are left out), without its name.
    fn map_histograms(&self, call: Call, f: &dyn Fn(&Histogram) -> f64) -> Result<Value> {
        let Call { expr, args, .. } = call;
        let out = call
            .vector(args.len() - 1)?
            .into_iter()
            .filter_map(|s| {
                let h = s.histogram.as_ref()?;
                Some(VectorSample::float(drop_name(&s.labels), f(h)))
            })
            .collect();
        self.check_unique(&expr.span, out).map(Value::Vector)
    }

    /// `histogram_quantile` and `histogram_fraction` of classic buckets
    /// over a grid, the buckets grouped once per series; `None` for
    /// another function, or when the input holds native histograms (then
    /// the instant implementation runs at each step).
    pub(super) fn classic_histogram_function(
        &self,
        expr: &Expr,
        name: &str,
        values: &[Steps],
    ) -> Result<Option<Steps>> {
        let (params, input) = match (name, values) {
            ("histogram_quantile", [Steps::Scalar(q), Steps::Vector(input)]) => ([q, q], input),
            (
                "histogram_fraction",
                [Steps::Scalar(lo), Steps::Scalar(hi), Steps::Vector(input)],
            ) => ([lo, hi], input),
            _ => return Ok(None),
        };
        if input.iter().any(StepSeries::has_histograms) {
            return Ok(None);
        }
        let len = params[0].len();
        // Each series' bucket bound and group, once.
        let mut index: BTreeMap<Labels, Vec<(f64, usize)>> = BTreeMap::new();
        let mut same: rustc_hash::FxHashMap<Labels, Vec<usize>> = Default::default();
        for (k, s) in input.iter().enumerate() {
            let Some(le) = s.labels.get("le").and_then(o11y_model::number::parse_float) else {
                continue;
            };
            let labels = drop_name(&s.labels);
            index
                .entry(labels.with("le", ""))
                .or_default()
                .push((le, k));
            same.entry(labels).or_default().push(k);
        }
        // Bucket series that differ only by name, at the same step.
        for members in same.values().filter(|m| m.len() > 1) {
            for i in 0..len {
                if members.iter().filter(|k| input[**k].present[i]).count() > 1 {
                    return fail(
                        &expr.span,
                        "vector cannot contain metrics with the same labelset",
                    );
                }
            }
        }
        let mut out = Vec::with_capacity(index.len());
        let mut buckets = Vec::new();
        for (labels, mut members) in index {
            // In bound order (stable: equal bounds merge in input order).
            members.sort_by(|a, b| a.0.total_cmp(&b.0));
            let mut series = StepSeries::new(labels, len);
            for (i, (lo, hi)) in params[0].iter().zip(params[1]).enumerate() {
                buckets.clear();
                buckets.extend(
                    members
                        .iter()
                        .filter(|(_, k)| input[*k].present[i])
                        .map(|(le, k)| (*le, input[*k].values[i])),
                );
                if buckets.is_empty() {
                    continue;
                }
                series.set(
                    i,
                    if name == "histogram_fraction" {
                        bucket_fraction(*lo, *hi, &mut buckets)
                    } else {
                        bucket_quantile(*lo, &mut buckets)
                    },
                );
            }
            out.push(series);
        }
        Ok(Some(Steps::Vector(out)))
    }

    /// The histogram functions; `None` for another name.
    pub(super) fn histogram_function(&self, call: Call) -> Result<Option<Value>> {
        let Call {
            expr, name, args, ..
        } = call;
        let value = match name {
            "histogram_quantile" | "histogram_quantiles" | "histogram_fraction" => {
                let (input, label, params) = match name {
                    "histogram_quantile" => (1, None, vec![call.scalar(0)?]),
                    "histogram_fraction" => (2, None, vec![call.scalar(0)?, call.scalar(1)?]),
                    _ => {
                        let label = call.string(1)?;
                        if !o11y_model::labels::is_valid_label_name(&label) {
                            return fail(&args[1].span, format!("invalid label name {label:?}"));
                        }
                        let qs = (2..args.len())
                            .map(|i| call.scalar(i))
                            .collect::<Result<Vec<f64>>>()?;
                        (0, Some(label), qs)
                    }
                };
                // One output per quantile (or the single fraction).
                let outputs = |labels: &Labels, f: &dyn Fn(&[f64]) -> f64| -> Vec<VectorSample> {
                    match &label {
                        None => vec![VectorSample::float(labels.clone(), f(&params))],
                        Some(l) => params
                            .iter()
                            .map(|q| {
                                VectorSample::float(labels.with(l, &quantile_label(*q)), f(&[*q]))
                            })
                            .collect(),
                    }
                };
                let mut out = Vec::new();
                let mut groups: BTreeMap<Labels, Vec<(f64, f64)>> = BTreeMap::new();
                let mut seen = std::collections::HashSet::new();
                for s in call.vector(input)? {
                    let labels = drop_name(&s.labels);
                    if let Some(h) = &s.histogram {
                        out.extend(outputs(&labels, &|p| {
                            if name == "histogram_fraction" {
                                h.fraction(p[0], p[1])
                            } else {
                                h.quantile(p[0])
                            }
                        }));
                        continue;
                    }
                    let Some(le) = s.labels.get("le").and_then(o11y_model::number::parse_float)
                    else {
                        continue;
                    };
                    if !seen.insert(labels.clone()) {
                        return fail(
                            &expr.span,
                            "vector cannot contain metrics with the same labelset",
                        );
                    }
                    groups
                        .entry(labels.with("le", ""))
                        .or_default()
                        .push((le, s.value));
                }
                for (labels, buckets) in groups {
                    out.extend(outputs(&labels, &|p| {
                        let mut buckets = buckets.clone();
                        if name == "histogram_fraction" {
                            bucket_fraction(p[0], p[1], &mut buckets)
                        } else {
                            bucket_quantile(p[0], &mut buckets)
                        }
                    }));
                }
                self.check_unique(&expr.span, out).map(Value::Vector)
            }
            "histogram_count" => self.map_histograms(call, &|h| h.count),
            "histogram_sum" => self.map_histograms(call, &|h| h.sum),
            "histogram_avg" => self.map_histograms(call, &|h| h.sum / h.count),
            "histogram_stddev" => self.map_histograms(call, &|h| h.variance().sqrt()),
            "histogram_stdvar" => self.map_histograms(call, &Histogram::variance),
            _ => return Ok(None),
        };
        value.map(Some)
    }
}

/// The `q` label `histogram_quantiles` gives each output: `0.0`, `0.25`, `1.0`.
fn quantile_label(q: f64) -> String {
    let text = format_float(q);
    if text.contains(['.', 'e', 'I', 'N']) {
        text
    } else {
        format!("{text}.0")
    }
}

#[cfg(test)]
mod tests {
    use super::quantile_label;
    use crate::eval::fixture::{eval_at, eval_err, store};

    /// Classic buckets of `job="a"`: half the observations at or below 1,
    /// all at or below 2.
    const BUCKETS: [(&str, &[(i64, f64)]); 3] = [
        ("h_bucket{job=\"a\", le=\"1\"}", &[(0, 10.0)]),
        ("h_bucket{job=\"a\", le=\"2\"}", &[(0, 20.0)]),
        ("h_bucket{job=\"a\", le=\"+Inf\"}", &[(0, 20.0)]),
    ];

    #[test]
    fn classic_buckets_give_quantiles_and_fractions() {
        let s = store(&BUCKETS);
        assert_eq!(
            eval_at(&s, "histogram_quantile(0.75, h_bucket)", 0),
            ["{job=\"a\"} 1.5"]
        );
        assert_eq!(
            eval_at(&s, "histogram_fraction(0, 1.5, h_bucket)", 0),
            ["{job=\"a\"} 0.75"]
        );
        assert_eq!(
            eval_at(&s, "histogram_quantiles(h_bucket, \"q\", 0.5, 0.75)", 0),
            ["{job=\"a\", q=\"0.5\"} 1", "{job=\"a\", q=\"0.75\"} 1.5"]
        );
        // Float samples have no native histogram to read.
        assert!(eval_at(&s, "histogram_count(h_bucket)", 0).is_empty());
    }

    #[test]
    fn bucket_series_differing_only_by_name_collide() {
        let s = store(&[
            ("a_bucket{le=\"1\"}", &[(0, 1.0)]),
            ("b_bucket{le=\"1\"}", &[(0, 1.0)]),
        ]);
        assert_eq!(
            eval_err(
                &s,
                "histogram_quantile(0.5, {__name__=~\"a_bucket|b_bucket\"})",
                0
            ),
            "vector cannot contain metrics with the same labelset"
        );
    }

    #[test]
    fn quantile_labels_always_show_a_fraction() {
        assert_eq!(quantile_label(0.0), "0.0");
        assert_eq!(quantile_label(1.0), "1.0");
        assert_eq!(quantile_label(0.25), "0.25");
        assert_eq!(quantile_label(f64::INFINITY), "+Inf");
        assert_eq!(quantile_label(1e-7), "1e-07");
    }
}
