//! Native histograms as PromQL evaluates them (float counts): exponential
//! schemas and custom buckets (NHCB, schema -53, what a classic histogram
//! becomes when loaded "with NHCB"). Enough of Prometheus's
//! `FloatHistogram` for the functions and operators that take them:
//! addition and subtraction bucket by bucket, scaling, counter-reset
//! detection, quantiles, fractions and standard deviation.
//!
//! ```
//! use o11y_model::histogram::Histogram;
//!
//! let h = Histogram::parse_notation("{{schema:-53 sum:6 count:3 custom_values:[1 2] buckets:[1 2]}}").unwrap();
//! assert_eq!(h.quantile(0.5), 1.25);
//! assert_eq!(h.to_string(), "{{schema:-53 count:3 sum:6 custom_values:[1 2] buckets:[1 2]}}");
//! ```

use std::fmt;

use crate::number::format_float;

/// The schema of histograms with custom bucket bounds.
pub const CUSTOM_BUCKETS_SCHEMA: i32 = -53;

/// One native histogram sample.
#[derive(Clone, Debug, Default)]
pub struct Histogram {
    pub schema: i32,
    pub count: f64,
    pub sum: f64,
    pub zero_threshold: f64,
    pub zero_count: f64,
    /// Positive buckets as (index, count), sorted by index; counts are not cumulative.
    pub positive: Vec<(i32, f64)>,
    /// Negative buckets as (index, count), sorted by index.
    pub negative: Vec<(i32, f64)>,
    /// Upper bounds of the custom buckets (schema -53), without +Inf.
    pub custom_values: Vec<f64>,
    /// `counter_reset_hint:gauge`: a gauge histogram (no counter resets).
    pub gauge: bool,
}

/// One bucket with its bounds; counts are not cumulative.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Bucket {
    pub lower: f64,
    pub upper: f64,
    pub count: f64,
}

impl PartialEq for Histogram {
    /// Prometheus's `FloatHistogram.Equals`, ignoring empty buckets.
    fn eq(&self, other: &Self) -> bool {
        let same = |a: f64, b: f64| a == b || (a.is_nan() && b.is_nan());
        let nonzero = |b: &[(i32, f64)]| -> Vec<(i32, f64)> {
            b.iter().copied().filter(|(_, c)| *c != 0.0).collect()
        };
        self.schema == other.schema
            && same(self.count, other.count)
            && same(self.sum, other.sum)
            && self.zero_threshold == other.zero_threshold
            && self.zero_count == other.zero_count
            && nonzero(&self.positive) == nonzero(&other.positive)
            && nonzero(&self.negative) == nonzero(&other.negative)
            && self.custom_values == other.custom_values
    }
}

fn merge(a: &[(i32, f64)], b: &[(i32, f64)], factor: f64) -> Vec<(i32, f64)> {
    let mut out: Vec<(i32, f64)> = a.to_vec();
    for (i, c) in b {
        match out.binary_search_by_key(i, |x| x.0) {
            Ok(k) => out[k].1 += factor * c,
            Err(k) => out.insert(k, (*i, factor * c)),
        }
    }
    out
}

/// Bucket `index` at `schema` mapped to a coarser `target` schema.
fn coarser_index(index: i32, schema: i32, target: i32) -> i32 {
    let delta = schema - target;
    ((index - 1) >> delta) + 1
}

fn reduce(buckets: &[(i32, f64)], schema: i32, target: i32) -> Vec<(i32, f64)> {
    if schema == target {
        return buckets.to_vec();
    }
    let mut out: Vec<(i32, f64)> = Vec::new();
    for (i, c) in buckets {
        let j = coarser_index(*i, schema, target);
        match out.last_mut() {
            Some(last) if last.0 == j => last.1 += c,
            _ => out.push((j, *c)),
        }
    }
    out
}

impl Histogram {
    pub fn uses_custom_buckets(&self) -> bool {
        self.schema == CUSTOM_BUCKETS_SCHEMA
    }

    /// A custom-bucket histogram from classic cumulative `(le, count)`
    /// buckets, as Prometheus's NHCB conversion builds it. `count` and
    /// `sum` come from the `_count` and `_sum` series when present.
    pub fn from_classic(
        buckets: &mut [(f64, f64)],
        count: Option<f64>,
        sum: Option<f64>,
    ) -> Histogram {
        crate::sort::sort_by(&mut buckets[..], |a, b| a.0.total_cmp(&b.0));
        let mut custom_values = Vec::new();
        let mut positive = Vec::new();
        let mut previous = 0.0;
        let mut last_bound = f64::NAN;
        for (le, cumulative) in buckets.iter() {
            if *le == last_bound {
                continue;
            }
            last_bound = *le;
            let index = custom_values.len() as i32;
            if le.is_finite() || *le == f64::NEG_INFINITY {
                custom_values.push(*le);
            }
            positive.push((index, cumulative - previous));
            previous = *cumulative;
        }
        Histogram {
            schema: CUSTOM_BUCKETS_SCHEMA,
            count: count.unwrap_or(previous),
            sum: sum.unwrap_or(0.0),
            positive,
            custom_values,
            ..Histogram::default()
        }
    }

    /// Parses promqltest's notation: `{{schema:0 sum:5 count:4 buckets:[1 2]}}`.
    pub fn parse_notation(text: &str) -> Result<Histogram, crate::diag::Diagnostic> {
        Histogram::read_notation(text).map_err(crate::diag::Diagnostic::new)
    }

    fn read_notation(text: &str) -> Result<Histogram, String> {
        let inner = text
            .trim()
            .strip_prefix("{{")
            .and_then(|t| t.strip_suffix("}}"))
            .ok_or_else(|| format!("a histogram is written {{{{…}}}}: {text:?}"))?;
        let mut h = Histogram::default();
        let (mut offset, mut n_offset) = (0i32, 0i32);
        let (mut buckets, mut n_buckets) = (Vec::new(), Vec::new());
        let mut rest = inner.trim();
        let number = |s: &str| -> Result<f64, String> {
            crate::number::parse_number(s.trim_start_matches('+'))
                .map(|v| if s.starts_with('-') { -v.abs() } else { v })
                .or_else(|| s.parse().ok())
                .ok_or_else(|| format!("bad number {s:?} in histogram"))
        };
        while !rest.is_empty() {
            let (key, after) = rest
                .split_once(':')
                .ok_or_else(|| format!("expected key:value in histogram at {rest:?}"))?;
            let after = after.trim_start();
            let (value, next) = if let Some(list) = after.strip_prefix('[') {
                let end = list
                    .find(']')
                    .ok_or("unclosed [ in histogram".to_string())?;
                (&list[..end], &list[end + 1..])
            } else {
                let end = after.find(char::is_whitespace).unwrap_or(after.len());
                (&after[..end], &after[end..])
            };
            let list =
                || -> Result<Vec<f64>, String> { value.split_whitespace().map(number).collect() };
            match key.trim() {
                "schema" => {
                    h.schema = value.parse().map_err(|_| format!("bad schema {value:?}"))?
                }
                "sum" => h.sum = number(value)?,
                "count" => h.count = number(value)?,
                "z_bucket" => h.zero_count = number(value)?,
                "z_bucket_w" => h.zero_threshold = number(value)?,
                "offset" => offset = value.parse().map_err(|_| format!("bad offset {value:?}"))?,
                "n_offset" => {
                    n_offset = value.parse().map_err(|_| format!("bad offset {value:?}"))?
                }
                "buckets" => buckets = list()?,
                "n_buckets" => n_buckets = list()?,
                "custom_values" => h.custom_values = list()?,
                "counter_reset_hint" => h.gauge = value == "gauge",
                other => return Err(format!("unknown histogram field {other:?}")),
            }
            rest = next.trim_start();
        }
        h.positive = buckets
            .into_iter()
            .enumerate()
            .map(|(k, c)| (offset + k as i32, c))
            .collect();
        h.negative = n_buckets
            .into_iter()
            .enumerate()
            .map(|(k, c)| (n_offset + k as i32, c))
            .collect();
        Ok(h)
    }

    /// Bounds `(lower, upper]` of positive bucket `index`.
    fn bounds(&self, index: i32) -> (f64, f64) {
        if self.uses_custom_buckets() {
            let at = |i: i32| -> f64 {
                usize::try_from(i)
                    .ok()
                    .and_then(|i| self.custom_values.get(i).copied())
                    .unwrap_or(f64::INFINITY)
            };
            let lower = if index <= 0 {
                f64::NEG_INFINITY
            } else {
                at(index - 1)
            };
            return (lower, at(index));
        }
        let bound = |i: i32| (i as f64 * (-(self.schema as f64)).exp2()).exp2();
        (bound(index - 1), bound(index))
    }

    /// Every bucket from the lowest to the highest, the zero bucket between
    /// the negative and positive ones.
    pub fn buckets(&self) -> Vec<Bucket> {
        let mut out = Vec::new();
        for (i, c) in self.negative.iter().rev() {
            let (lower, upper) = self.bounds(*i);
            out.push(Bucket {
                lower: -upper,
                upper: -lower,
                count: *c,
            });
        }
        if !self.uses_custom_buckets() && (self.zero_count != 0.0 || self.zero_threshold != 0.0) {
            out.push(Bucket {
                lower: -self.zero_threshold,
                upper: self.zero_threshold,
                count: self.zero_count,
            });
        }
        for (i, c) in &self.positive {
            let (lower, upper) = self.bounds(*i);
            out.push(Bucket {
                lower,
                upper,
                count: *c,
            });
        }
        out
    }

    /// Every count multiplied by `factor` (and the sum).
    pub fn scale(&self, factor: f64) -> Histogram {
        let mut h = self.clone();
        h.count *= factor;
        h.sum *= factor;
        h.zero_count *= factor;
        for b in h.positive.iter_mut().chain(h.negative.iter_mut()) {
            b.1 *= factor;
        }
        h
    }

    /// `self + factor × other`, at the coarser of the two schemas; `None`
    /// when the custom bounds differ.
    pub fn add_scaled(&self, other: &Histogram, factor: f64) -> Option<Histogram> {
        if self.uses_custom_buckets() != other.uses_custom_buckets() {
            return None;
        }
        if self.uses_custom_buckets() && self.custom_values != other.custom_values {
            return None;
        }
        let schema = self.schema.min(other.schema);
        let mut h = Histogram {
            schema,
            count: self.count + factor * other.count,
            sum: self.sum + factor * other.sum,
            zero_threshold: self.zero_threshold.max(other.zero_threshold),
            zero_count: self.zero_count + factor * other.zero_count,
            positive: merge(
                &reduce(&self.positive, self.schema, schema),
                &reduce(&other.positive, other.schema, schema),
                factor,
            ),
            negative: merge(
                &reduce(&self.negative, self.schema, schema),
                &reduce(&other.negative, other.schema, schema),
                factor,
            ),
            custom_values: self.custom_values.clone(),
            gauge: self.gauge || other.gauge,
        };
        if h.uses_custom_buckets() {
            h.zero_threshold = 0.0;
        }
        Some(h)
    }

    /// Whether going from `previous` to `self` is a counter reset: fewer
    /// observations, a bucket that shrank, a finer schema or other bounds.
    pub fn is_reset_after(&self, previous: &Histogram) -> bool {
        if self.gauge {
            return false;
        }
        if self.count < previous.count
            || self.zero_count < previous.zero_count
            || self.schema > previous.schema
            || self.uses_custom_buckets() != previous.uses_custom_buckets()
            || (self.uses_custom_buckets() && self.custom_values != previous.custom_values)
        {
            return true;
        }
        let shrank = |now: &[(i32, f64)], before: &[(i32, f64)]| {
            let before = reduce(before, previous.schema, self.schema);
            before.iter().any(|(i, c)| {
                let current = now
                    .binary_search_by_key(i, |x| x.0)
                    .map_or(0.0, |k| now[k].1);
                current < *c
            })
        };
        shrank(&self.positive, &previous.positive) || shrank(&self.negative, &previous.negative)
    }

    /// `histogram_quantile` on a native histogram (Prometheus's `HistogramQuantile`).
    pub fn quantile(&self, q: f64) -> f64 {
        if q < 0.0 {
            return f64::NEG_INFINITY;
        }
        if q > 1.0 {
            return f64::INFINITY;
        }
        if self.count == 0.0 || q.is_nan() {
            return f64::NAN;
        }
        let all = self.buckets();
        let forward = self.sum.is_nan() || q < 0.5;
        let mut rank = if forward {
            q * self.count
        } else {
            (1.0 - q) * self.count
        };
        let mut count = 0.0;
        let mut bucket = Bucket {
            lower: 0.0,
            upper: 0.0,
            count: 0.0,
        };
        let ordered: Box<dyn Iterator<Item = &Bucket>> = if forward {
            Box::new(all.iter())
        } else {
            Box::new(all.iter().rev())
        };
        for b in ordered {
            bucket = *b;
            if b.count == 0.0 {
                continue;
            }
            count += b.count;
            if count >= rank {
                break;
            }
        }
        if self.uses_custom_buckets() {
            if bucket.lower == f64::NEG_INFINITY {
                if bucket.upper <= 0.0 {
                    return bucket.upper;
                }
                bucket.lower = 0.0;
            } else if bucket.upper == f64::INFINITY {
                return bucket.lower;
            }
        } else if bucket.lower < 0.0 && bucket.upper > 0.0 {
            if self.negative.is_empty() && !self.positive.is_empty() {
                bucket.lower = 0.0;
            } else if self.positive.is_empty() && !self.negative.is_empty() {
                bucket.upper = 0.0;
            }
        }
        if count > self.count {
            count = self.count;
        }
        if count < rank {
            return if self.sum.is_nan() {
                f64::NAN
            } else {
                bucket.upper
            };
        }
        if forward {
            rank -= count - bucket.count;
        } else {
            rank = count - rank;
        }
        let fraction = rank / bucket.count;
        if self.uses_custom_buckets() || (bucket.lower <= 0.0 && bucket.upper >= 0.0) {
            return bucket.lower + (bucket.upper - bucket.lower) * fraction;
        }
        let (log_lower, log_upper) = (bucket.lower.abs().log2(), bucket.upper.abs().log2());
        if bucket.lower > 0.0 {
            (log_lower + (log_upper - log_lower) * fraction).exp2()
        } else {
            -(log_upper + (log_lower - log_upper) * (1.0 - fraction)).exp2()
        }
    }

    /// `histogram_fraction` on a native histogram (Prometheus's `HistogramFraction`).
    pub fn fraction(&self, lower: f64, upper: f64) -> f64 {
        if self.count == 0.0 || lower.is_nan() || upper.is_nan() {
            return f64::NAN;
        }
        if lower >= upper {
            return 0.0;
        }
        let (mut rank, mut lower_rank, mut upper_rank) = (0.0, 0.0, 0.0);
        let (mut lower_set, mut upper_set) = (false, false);
        let all = self.buckets();
        let mut in_buckets = 0.0;
        for mut b in all.iter().copied() {
            in_buckets += b.count;
            let mut zero_bucket = false;
            if self.uses_custom_buckets() && b.lower == f64::NEG_INFINITY && b.upper > 0.0 {
                // The first custom bucket starts at 0, as a classic histogram's.
                b.lower = 0.0;
            }
            if !self.uses_custom_buckets() && b.lower <= 0.0 && b.upper >= 0.0 {
                zero_bucket = true;
                if self.negative.is_empty() && !self.positive.is_empty() {
                    b.lower = 0.0;
                } else if self.positive.is_empty() && !self.negative.is_empty() {
                    b.upper = 0.0;
                }
            }
            let linear = |v: f64| {
                if b.lower == f64::NEG_INFINITY {
                    b.count
                } else {
                    rank + b.count * (v - b.lower) / (b.upper - b.lower)
                }
            };
            let exponential = |v: f64| {
                let (ll, lu, lv) = (b.lower.abs().log2(), b.upper.abs().log2(), v.abs().log2());
                let fraction = if v > 0.0 {
                    (lv - ll) / (lu - ll)
                } else {
                    1.0 - (lv - lu) / (ll - lu)
                };
                rank + b.count * fraction
            };
            let interpolate = |v: f64| {
                if self.uses_custom_buckets() || zero_bucket {
                    linear(v)
                } else {
                    exponential(v)
                }
            };
            if !lower_set && b.lower >= lower {
                lower_rank = rank;
                lower_set = true;
            }
            if !upper_set && b.lower >= upper {
                upper_rank = rank;
                upper_set = true;
            }
            if lower_set && upper_set {
                break;
            }
            if !lower_set && b.lower < lower && b.upper > lower {
                lower_rank = interpolate(lower);
                lower_set = true;
            }
            if !upper_set && b.lower < upper && b.upper > upper {
                upper_rank = interpolate(upper);
                upper_set = true;
            }
            if lower_set && upper_set {
                break;
            }
            rank += b.count;
        }
        let count = if self.sum.is_nan() {
            all.iter().map(|b| b.count).sum::<f64>().max(in_buckets)
        } else {
            self.count
        };
        if !lower_set || lower_rank > count {
            lower_rank = count;
        }
        if !upper_set || upper_rank > count {
            upper_rank = count;
        }
        (upper_rank - lower_rank) / self.count
    }

    /// Prometheus's `FloatHistogram.String()`, as `count_values` prints it:
    /// `{count:4, sum:5, [-1,-0.5):1, [-0.001,0.001]:2, (0.5,1]:1}`.
    pub fn go_string(&self) -> String {
        let mut out = format!(
            "{{count:{}, sum:{}",
            format_float(self.count),
            format_float(self.sum)
        );
        let zero = |b: &Bucket| {
            !self.uses_custom_buckets()
                && b.lower == -self.zero_threshold
                && b.upper == self.zero_threshold
        };
        for b in self.buckets() {
            if b.count == 0.0 && !zero(&b) {
                continue;
            }
            let (open, close) = if zero(&b) {
                ("[", "]")
            } else if b.upper <= 0.0 && b.lower < 0.0 && !self.uses_custom_buckets() {
                ("[", ")")
            } else {
                ("(", "]")
            };
            out.push_str(&format!(
                ", {open}{},{}{close}:{}",
                format_float(b.lower),
                format_float(b.upper),
                format_float(b.count)
            ));
        }
        out.push('}');
        out
    }

    /// `histogram_stdvar`: the variance of bucket midpoints (arithmetic for
    /// custom and zero buckets, geometric for exponential ones) around the mean.
    pub fn variance(&self) -> f64 {
        let mean = self.sum / self.count;
        let (mut variance, mut c) = (0.0, 0.0);
        for b in self.buckets() {
            if b.count == 0.0 {
                continue;
            }
            let value = if self.uses_custom_buckets() {
                (b.upper + b.lower) / 2.0
            } else if b.lower <= 0.0 && b.upper >= 0.0 {
                0.0
            } else {
                let v = (b.upper * b.lower).sqrt();
                if b.upper < 0.0 { -v } else { v }
            };
            let delta = value - mean;
            (variance, c) = crate::number::kahan_sum_inc(b.count * delta * delta, variance, c);
        }
        (variance + c) / self.count
    }
}

impl fmt::Display for Histogram {
    /// promqltest's notation.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let list = |b: &[f64]| {
            b.iter()
                .map(|v| format_float(*v))
                .collect::<Vec<_>>()
                .join(" ")
        };
        write!(
            f,
            "{{{{schema:{} count:{} sum:{}",
            self.schema,
            format_float(self.count),
            format_float(self.sum)
        )?;
        if self.zero_threshold != 0.0 {
            write!(f, " z_bucket_w:{}", format_float(self.zero_threshold))?;
        }
        if self.zero_count != 0.0 {
            write!(f, " z_bucket:{}", format_float(self.zero_count))?;
        }
        if self.uses_custom_buckets() {
            write!(f, " custom_values:[{}]", list(&self.custom_values))?;
        }
        if self.gauge {
            f.write_str(" counter_reset_hint:gauge")?;
        }
        for (name, offset_name, buckets) in [
            ("buckets", "offset", &self.positive),
            ("n_buckets", "n_offset", &self.negative),
        ] {
            if let (Some(first), Some(last)) = (buckets.first(), buckets.last()) {
                let mut dense = vec![0.0; (last.0 - first.0 + 1) as usize];
                for (i, c) in buckets {
                    dense[(i - first.0) as usize] = *c;
                }
                if first.0 != 0 {
                    write!(f, " {offset_name}:{}", first.0)?;
                }
                write!(f, " {name}:[{}]", list(&dense))?;
            }
        }
        f.write_str("}}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nhcb_from_classic_buckets() {
        let mut buckets = vec![(f64::INFINITY, 11.0), (0.1, 5.0), (0.2, 7.0), (1.0, 11.0)];
        let h = Histogram::from_classic(&mut buckets, Some(11.0), Some(33.0));
        assert_eq!(h.custom_values, [0.1, 0.2, 1.0]);
        assert_eq!(h.positive, [(0, 5.0), (1, 2.0), (2, 4.0), (3, 0.0)]);
        assert_eq!(h.quantile(0.5), 0.1 + 0.1 * 0.25);
        assert_eq!(h.fraction(f64::NEG_INFINITY, 0.2), 7.0 / 11.0);
    }

    #[test]
    fn notation_round_trips_and_adds() {
        let a =
            Histogram::parse_notation("{{schema:1 sum:15 count:10 buckets:[3 2 5 7 9]}}").unwrap();
        let b =
            Histogram::parse_notation("{{schema:0 sum:5 count:4 offset:1 buckets:[1 2]}}").unwrap();
        assert_eq!(Histogram::parse_notation(&a.to_string()).unwrap(), a);
        let sum = a.add_scaled(&b, 1.0).unwrap();
        assert_eq!(sum.schema, 0);
        assert_eq!(sum.count, 14.0);
        assert!(!sum.is_reset_after(&a.add_scaled(&a, -0.5).unwrap()));
        assert!(a.scale(0.5).is_reset_after(&a));
        assert!(Histogram::parse_notation("{{schema:x}}").is_err());
        assert!(Histogram::parse_notation("{{buckets:[1 2}}").is_err());
    }
}
