//! Instrumentation: metric families with labels, in the spirit of client_golang.
//!
//! A [`Registry`] holds families (counters, gauges, histograms, summaries).
//! Code that is instrumented registers a family once, keeps its
//! [`FamilyId`], and records values under label values.
//! [`Registry::gather`] is what a scrape sees at a virtual time.
//!
//! Summaries work as client_golang's: quantile objectives with allowed
//! errors (CKMS, [`crate::quantile`]), over a window of `max_age` that
//! slides in `age_buckets` steps; observations are buffered and merged when
//! the buffer fills, a step passes, or the registry is gathered.
//!
//! ```
//! use o11y_metrics::instrument::{Registry, MetricKind};
//!
//! let mut registry = Registry::default();
//! let requests = registry
//!     .register("http_requests_total", "Requests served.", MetricKind::Counter, &["code"])
//!     .unwrap();
//! registry.counter_inc_by(requests, &["200"], 1.0).unwrap();
//! assert!(registry.counter_inc_by(requests, &["200"], -1.0).is_err()); // counters only go up
//! ```

use thiserror::Error;

use crate::expfmt::{Exemplar, Family, MetricType, ParsedSample};
use crate::quantile::TargetedStream;
use o11y_model::labels::{Labels, METRIC_NAME};
use o11y_model::labels::{is_valid_label_name, is_valid_metric_name};
use o11y_model::number::format_float;

/// The kind of a metric family.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum MetricKind {
    Counter,
    Gauge,
    /// A histogram with these finite bucket upper bounds, ascending; the
    /// `+Inf` bucket is implicit.
    Histogram {
        upper_bounds: Vec<f64>,
    },
    /// A summary: `(quantile, allowed error)` objectives estimated over the
    /// last `max_age_ms`, which slides in `age_buckets` steps.
    Summary {
        objectives: Vec<(f64, f64)>,
        max_age_ms: i64,
        age_buckets: u32,
    },
}

/// client_golang's defaults for a summary's window.
pub const DEFAULT_SUMMARY_MAX_AGE_MS: i64 = 10 * 60_000;
pub const DEFAULT_SUMMARY_AGE_BUCKETS: u32 = 5;
/// client_golang's `DefBuckets`.
pub const DEFAULT_BUCKETS: [f64; 11] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];
/// Observations a summary buffers before merging them (client_golang's `BufCap`).
const SUMMARY_BUFFER_CAP: usize = 500;

impl MetricKind {
    /// The name the exposition formats use in `# TYPE`.
    pub fn type_name(&self) -> &'static str {
        match self {
            MetricKind::Counter => "counter",
            MetricKind::Gauge => "gauge",
            MetricKind::Histogram { .. } => "histogram",
            MetricKind::Summary { .. } => "summary",
        }
    }

    /// The exposition type families of this kind are written as.
    pub fn exposition_type(&self) -> MetricType {
        match self {
            MetricKind::Counter => MetricType::Counter,
            MetricKind::Gauge => MetricType::Gauge,
            MetricKind::Histogram { .. } => MetricType::Histogram,
            MetricKind::Summary { .. } => MetricType::Summary,
        }
    }
}

/// One summary child's window, as client_golang's `summary` keeps it.
#[derive(Clone, Debug, PartialEq)]
pub struct SummaryState {
    hot: Vec<f64>,
    streams: Vec<TargetedStream>,
    head: usize,
    stream_duration_ms: i64,
    head_expires_ms: i64,
    hot_expires_ms: i64,
    sum: f64,
    count: u64,
}

impl SummaryState {
    fn new(objectives: &[(f64, f64)], max_age_ms: i64, age_buckets: u32, now_ms: i64) -> Self {
        let buckets = age_buckets.max(1);
        let stream_duration_ms = (max_age_ms / buckets as i64).max(1);
        SummaryState {
            hot: Vec::new(),
            streams: vec![TargetedStream::new(objectives); buckets as usize],
            head: 0,
            stream_duration_ms,
            head_expires_ms: now_ms.saturating_add(stream_duration_ms),
            hot_expires_ms: now_ms.saturating_add(stream_duration_ms),
            sum: 0.0,
            count: 0,
        }
    }

    fn observe(&mut self, value: f64, now_ms: i64) {
        if now_ms >= self.hot_expires_ms {
            self.flush(now_ms);
        }
        self.hot.push(value);
        if self.hot.len() >= SUMMARY_BUFFER_CAP {
            self.flush(now_ms);
        }
    }

    /// Merges the buffer into every stream and rotates out expired ones.
    fn flush(&mut self, now_ms: i64) {
        if now_ms >= self.hot_expires_ms {
            let steps = (now_ms - self.hot_expires_ms) / self.stream_duration_ms + 1;
            self.hot_expires_ms = self
                .hot_expires_ms
                .saturating_add(steps.saturating_mul(self.stream_duration_ms));
        }
        for v in self.hot.drain(..) {
            for stream in &mut self.streams {
                stream.insert(v);
            }
            self.count += 1;
            self.sum += v;
        }
        // Rotating once around the ring resets every stream: stop there.
        let mut rotations = 0;
        while self.head_expires_ms < self.hot_expires_ms && rotations < self.streams.len() {
            self.streams[self.head].reset();
            self.head = (self.head + 1) % self.streams.len();
            self.head_expires_ms = self.head_expires_ms.saturating_add(self.stream_duration_ms);
            rotations += 1;
        }
        self.head_expires_ms = self.hot_expires_ms;
    }

    fn quantile(&mut self, q: f64) -> f64 {
        let head = &mut self.streams[self.head];
        if head.count() == 0 {
            f64::NAN
        } else {
            head.query(q)
        }
    }
}

/// The current value of one child (one set of label values) of a family.
#[derive(Clone, Debug, PartialEq)]
pub enum MetricValue {
    Counter(f64),
    Gauge(f64),
    Histogram {
        /// Non-cumulative counts per finite bucket, then one for `+Inf`.
        bucket_counts: Vec<u64>,
        sum: f64,
        count: u64,
        /// The latest exemplar observed into each bucket, as client_golang keeps them.
        exemplars: Vec<Option<Exemplar>>,
    },
    Summary(Box<SummaryState>),
}

/// A named family of metrics that share a kind, help text and label names.
#[derive(Clone, Debug, PartialEq)]
pub struct MetricFamily {
    pub name: String,
    pub help: String,
    pub kind: MetricKind,
    pub label_names: Vec<String>,
    /// Children with their label values, in `label_names` order, in the
    /// order they were created.
    children: Vec<(Vec<String>, MetricValue)>,
    /// Children by a hash of their label values: recording finds its child
    /// without allocating.
    by_hash: rustc_hash::FxHashMap<u64, Vec<usize>>,
}

fn hash_values<'a>(values: impl Iterator<Item = &'a str>) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = rustc_hash::FxHasher::default();
    for v in values {
        v.hash(&mut h);
    }
    h.finish()
}

/// Handle to a family in a [`Registry`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FamilyId(usize);

/// Why an instrumentation call was refused.
#[derive(Clone, Debug, PartialEq, Error)]
#[non_exhaustive]
pub enum MetricsError {
    /// Occurs when a family name is registered twice.
    #[error("metric {0:?} is already registered")]
    AlreadyRegistered(String),
    /// Occurs when a metric or label name is not a valid Prometheus name.
    #[error("invalid name {0:?}")]
    InvalidName(String),
    /// Occurs when histogram bounds are not strictly ascending finite numbers.
    #[error("histogram buckets must be finite and strictly ascending")]
    InvalidBuckets,
    /// Occurs when a summary objective's quantile or error is outside 0..=1,
    /// or its window is not positive.
    #[error("summary objectives need quantiles and errors between 0 and 1, and a positive max age")]
    InvalidObjectives,
    /// Occurs when the number of label values differs from the label names.
    #[error("metric {name:?} has {expected} labels, got {got} values")]
    LabelCount {
        name: String,
        expected: usize,
        got: usize,
    },
    /// Occurs when a counter would go down (or by NaN).
    #[error("counter {0:?} cannot decrease")]
    CounterDecrease(String),
    /// Occurs when a call does not fit the family's kind.
    #[error("metric {name:?} is a {kind}, not a {wanted}")]
    WrongKind {
        name: String,
        kind: &'static str,
        wanted: &'static str,
    },
    /// Occurs when a `FamilyId` from another registry is used.
    #[error("unknown metric family")]
    UnknownFamily,
}

/// Bucket bounds: `count` buckets starting at `start`, each `width` apart.
pub fn linear_buckets(start: f64, width: f64, count: usize) -> Vec<f64> {
    (0..count).map(|i| start + width * i as f64).collect()
}

/// Bucket bounds: `count` buckets starting at `start`, each `factor` times the last.
pub fn exponential_buckets(start: f64, factor: f64, count: usize) -> Vec<f64> {
    (0..count).map(|i| start * factor.powi(i as i32)).collect()
}

/// A set of metric families.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Registry {
    families: Vec<MetricFamily>,
}

impl Registry {
    /// Registers a family and returns its handle.
    pub fn register(
        &mut self,
        name: &str,
        help: &str,
        kind: MetricKind,
        label_names: &[&str],
    ) -> Result<FamilyId, MetricsError> {
        if !is_valid_metric_name(name) {
            return Err(MetricsError::InvalidName(name.to_string()));
        }
        // `le` and `quantile` are the labels histograms and summaries add.
        let reserved = match kind {
            MetricKind::Histogram { .. } => Some("le"),
            MetricKind::Summary { .. } => Some("quantile"),
            _ => None,
        };
        if let Some(bad) = label_names
            .iter()
            .find(|l| !is_valid_label_name(l) || l.starts_with("__") || Some(**l) == reserved)
        {
            return Err(MetricsError::InvalidName(bad.to_string()));
        }
        match &kind {
            MetricKind::Histogram { upper_bounds } => {
                let ascending = upper_bounds.windows(2).all(|w| w[0] < w[1]);
                if !ascending || upper_bounds.iter().any(|b| !b.is_finite()) {
                    return Err(MetricsError::InvalidBuckets);
                }
            }
            MetricKind::Summary {
                objectives,
                max_age_ms,
                ..
            } => {
                let in_range = |x: f64| (0.0..=1.0).contains(&x);
                if *max_age_ms <= 0 || !objectives.iter().all(|&(q, e)| in_range(q) && in_range(e))
                {
                    return Err(MetricsError::InvalidObjectives);
                }
            }
            MetricKind::Counter | MetricKind::Gauge => {}
        }
        if self.families.iter().any(|f| f.name == name) {
            return Err(MetricsError::AlreadyRegistered(name.to_string()));
        }
        self.families.push(MetricFamily {
            name: name.to_string(),
            help: help.to_string(),
            kind,
            label_names: label_names.iter().map(|l| l.to_string()).collect(),
            children: Vec::new(),
            by_hash: Default::default(),
        });
        Ok(FamilyId(self.families.len() - 1))
    }

    pub fn families(&self) -> &[MetricFamily] {
        &self.families
    }

    /// Adds `by` (≥ 0) to a counter child.
    pub fn counter_inc_by(
        &mut self,
        id: FamilyId,
        label_values: &[&str],
        by: f64,
    ) -> Result<(), MetricsError> {
        let family = self.family_mut(id)?;
        if by.is_nan() || by < 0.0 {
            return Err(MetricsError::CounterDecrease(family.name.clone()));
        }
        match family.child(label_values, "counter", 0)? {
            MetricValue::Counter(v) => *v += by,
            _ => unreachable_kind(),
        }
        Ok(())
    }

    /// The value of a gauge child, created at zero if new.
    fn gauge(&mut self, id: FamilyId, label_values: &[&str]) -> Result<&mut f64, MetricsError> {
        match self.family_mut(id)?.child(label_values, "gauge", 0)? {
            MetricValue::Gauge(v) => Ok(v),
            _ => unreachable_kind(),
        }
    }

    /// Sets a gauge child.
    pub fn gauge_set(
        &mut self,
        id: FamilyId,
        label_values: &[&str],
        value: f64,
    ) -> Result<(), MetricsError> {
        *self.gauge(id, label_values)? = value;
        Ok(())
    }

    /// Adds `delta` (which may be negative) to a gauge child.
    pub fn gauge_add(
        &mut self,
        id: FamilyId,
        label_values: &[&str],
        delta: f64,
    ) -> Result<(), MetricsError> {
        *self.gauge(id, label_values)? += delta;
        Ok(())
    }

    /// Records one observation in a summary child at virtual time `now_ms`.
    pub fn summary_observe(
        &mut self,
        id: FamilyId,
        label_values: &[&str],
        value: f64,
        now_ms: i64,
    ) -> Result<(), MetricsError> {
        match self
            .family_mut(id)?
            .child(label_values, "summary", now_ms)?
        {
            MetricValue::Summary(state) => state.observe(value, now_ms),
            _ => unreachable_kind(),
        }
        Ok(())
    }

    /// Records one observation in a histogram child.
    pub fn histogram_observe(
        &mut self,
        id: FamilyId,
        label_values: &[&str],
        value: f64,
    ) -> Result<(), MetricsError> {
        self.histogram_observe_with_exemplar(id, label_values, value, None)
    }

    /// Records one observation in a histogram child, with an exemplar
    /// (`trace_id`, `span_id`…) that replaces its bucket's previous one.
    /// Exemplars show in OpenMetrics exposition only.
    pub fn histogram_observe_with_exemplar(
        &mut self,
        id: FamilyId,
        label_values: &[&str],
        value: f64,
        exemplar: Option<Exemplar>,
    ) -> Result<(), MetricsError> {
        let family = self.family_mut(id)?;
        let MetricKind::Histogram { upper_bounds } = &family.kind else {
            return Err(family.wrong_kind("histogram"));
        };
        // NaN falls through every finite bound into +Inf, as client_golang does.
        let bucket = upper_bounds
            .iter()
            .position(|b| value <= *b)
            .unwrap_or(upper_bounds.len());
        match family.child(label_values, "histogram", 0)? {
            MetricValue::Histogram {
                bucket_counts,
                sum,
                count,
                exemplars,
            } => {
                bucket_counts[bucket] += 1;
                *sum += value;
                *count += 1;
                if exemplar.is_some() {
                    exemplars[bucket] = exemplar;
                }
            }
            _ => unreachable_kind(),
        }
        Ok(())
    }

    /// The registry as exposition families: what `/metrics` would show at
    /// virtual time `now_ms` (summaries merge and slide their windows).
    pub fn gather(&mut self, now_ms: i64) -> Vec<Family> {
        self.families
            .iter_mut()
            .map(|f| f.to_exposition(now_ms))
            .collect()
    }

    /// Every sample a scrape at `now_ms` yields, with `__name__` set.
    pub fn samples(&mut self, now_ms: i64) -> Vec<(Labels, f64)> {
        self.gather(now_ms)
            .iter()
            .flat_map(|f| &f.samples)
            .map(|s| {
                let pairs = s.labels.iter().map(|(n, v)| (n.as_str(), v.as_str()));
                (
                    Labels::new(pairs.chain([(METRIC_NAME, s.name.as_str())])),
                    s.value,
                )
            })
            .collect()
    }

    fn family_mut(&mut self, id: FamilyId) -> Result<&mut MetricFamily, MetricsError> {
        self.families
            .get_mut(id.0)
            .ok_or(MetricsError::UnknownFamily)
    }
}

// A family's children always match its kind: `child` creates them from it.
fn unreachable_kind() -> ! {
    unreachable!("metric child of a different kind than its family")
}

impl MetricFamily {
    fn wrong_kind(&self, wanted: &'static str) -> MetricsError {
        MetricsError::WrongKind {
            name: self.name.clone(),
            kind: self.kind.type_name(),
            wanted,
        }
    }

    /// The child for these label values, created at zero (at `now_ms`) if new.
    fn child(
        &mut self,
        label_values: &[&str],
        wanted: &'static str,
        now_ms: i64,
    ) -> Result<&mut MetricValue, MetricsError> {
        if self.kind.type_name() != wanted {
            return Err(self.wrong_kind(wanted));
        }
        if label_values.len() != self.label_names.len() {
            return Err(MetricsError::LabelCount {
                name: self.name.clone(),
                expected: self.label_names.len(),
                got: label_values.len(),
            });
        }
        let hash = hash_values(label_values.iter().copied());
        let found = self.by_hash.get(&hash).and_then(|candidates| {
            candidates.iter().copied().find(|&i| {
                self.children[i]
                    .0
                    .iter()
                    .map(String::as_str)
                    .eq(label_values.iter().copied())
            })
        });
        if let Some(i) = found {
            return Ok(&mut self.children[i].1);
        }
        let key: Vec<String> = label_values.iter().map(|v| v.to_string()).collect();
        let value = match &self.kind {
            MetricKind::Counter => MetricValue::Counter(0.0),
            MetricKind::Gauge => MetricValue::Gauge(0.0),
            MetricKind::Histogram { upper_bounds } => MetricValue::Histogram {
                bucket_counts: vec![0; upper_bounds.len() + 1],
                sum: 0.0,
                count: 0,
                exemplars: vec![None; upper_bounds.len() + 1],
            },
            MetricKind::Summary {
                objectives,
                max_age_ms,
                age_buckets,
            } => MetricValue::Summary(Box::new(SummaryState::new(
                objectives,
                *max_age_ms,
                *age_buckets,
                now_ms,
            ))),
        };
        self.by_hash
            .entry(hash)
            .or_default()
            .push(self.children.len());
        self.children.push((key, value));
        let last = self.children.len() - 1;
        Ok(&mut self.children[last].1)
    }

    /// This family as exposition data: labels in declared order (empty
    /// values left out), `le` last, histogram buckets cumulative.
    pub fn to_exposition(&mut self, now_ms: i64) -> Family {
        let mut family = Family::new(&self.name, self.kind.exposition_type());
        family.help = Some(self.help.clone());
        let sample = |name: String, labels: Vec<(String, String)>, value: f64| ParsedSample {
            name,
            labels,
            value,
            ts_ms: None,
            exemplar: None,
            line: 0,
        };
        // Names and `le` values are the same for every child: made once.
        let (bucket_name, sum_name, count_name) = (
            format!("{}_bucket", self.name),
            format!("{}_sum", self.name),
            format!("{}_count", self.name),
        );
        let les: Vec<String> = match &self.kind {
            MetricKind::Histogram { upper_bounds } => upper_bounds
                .iter()
                .map(|b| format_float(*b))
                .chain(std::iter::once("+Inf".to_string()))
                .collect(),
            _ => Vec::new(),
        };
        // Children in the order of their label values, as client_golang sorts them.
        let mut order: Vec<usize> = (0..self.children.len()).collect();
        o11y_model::sort::sort_by(&mut order[..], |&a, &b| {
            self.children[a].0.cmp(&self.children[b].0)
        });
        for i in order {
            let (values, value) = &mut self.children[i];
            let labels: Vec<(String, String)> = self
                .label_names
                .iter()
                .cloned()
                .zip(values.iter().cloned())
                .filter(|(_, v)| !v.is_empty())
                .collect();
            match (value, &self.kind) {
                (MetricValue::Counter(v) | MetricValue::Gauge(v), _) => {
                    family.samples.push(sample(self.name.clone(), labels, *v));
                }
                (
                    MetricValue::Histogram {
                        bucket_counts,
                        sum,
                        count,
                        exemplars,
                    },
                    MetricKind::Histogram { .. },
                ) => {
                    let mut cumulative = 0u64;
                    for (i, n) in bucket_counts.iter().enumerate() {
                        cumulative += n;
                        // One count per bound and one for +Inf: `les` has them all.
                        let le = les.get(i).map_or("+Inf", String::as_str);
                        let mut with_le = Vec::with_capacity(labels.len() + 1);
                        with_le.extend(labels.iter().cloned());
                        with_le.push(("le".to_string(), le.to_string()));
                        let mut bucket = sample(bucket_name.clone(), with_le, cumulative as f64);
                        bucket.exemplar = exemplars.get(i).cloned().flatten();
                        family.samples.push(bucket);
                    }
                    family
                        .samples
                        .push(sample(sum_name.clone(), labels.clone(), *sum));
                    family
                        .samples
                        .push(sample(count_name.clone(), labels, *count as f64));
                }
                (MetricValue::Summary(state), MetricKind::Summary { objectives, .. }) => {
                    state.flush(now_ms);
                    let mut quantiles: Vec<f64> = objectives.iter().map(|o| o.0).collect();
                    quantiles.sort_by(f64::total_cmp);
                    for q in quantiles {
                        let mut with_q = labels.clone();
                        with_q.push(("quantile".to_string(), format_float(q)));
                        family
                            .samples
                            .push(sample(self.name.clone(), with_q, state.quantile(q)));
                    }
                    family
                        .samples
                        .push(sample(sum_name.clone(), labels.clone(), state.sum));
                    family
                        .samples
                        .push(sample(count_name.clone(), labels, state.count as f64));
                }
                (MetricValue::Histogram { .. } | MetricValue::Summary(_), _) => {}
            }
        }
        family
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expfmt::{Format, render};

    #[test]
    fn histogram_buckets_are_cumulative_with_sum_and_count() {
        let mut r = Registry::default();
        let h = r
            .register(
                "d",
                "",
                MetricKind::Histogram {
                    upper_bounds: vec![0.1, 1.0],
                },
                &["route"],
            )
            .unwrap();
        for v in [0.05, 0.5, 0.7, 5.0] {
            r.histogram_observe(h, &["/"], v).unwrap();
        }
        let samples: Vec<String> = r
            .samples(0)
            .iter()
            .map(|(l, v)| format!("{l} {v}"))
            .collect();
        assert_eq!(
            samples,
            [
                r#"d_bucket{le="0.1", route="/"} 1"#,
                r#"d_bucket{le="1", route="/"} 3"#,
                r#"d_bucket{le="+Inf", route="/"} 4"#,
                r#"d_sum{route="/"} 6.25"#,
                r#"d_count{route="/"} 4"#,
            ]
        );
    }

    #[test]
    fn histogram_exemplars_show_in_openmetrics_on_their_bucket() {
        let mut r = Registry::default();
        let h = r
            .register(
                "d",
                "",
                MetricKind::Histogram {
                    upper_bounds: vec![0.1, 1.0],
                },
                &[],
            )
            .unwrap();
        let ex = |id: &str, v: f64| Exemplar {
            labels: vec![("trace_id".to_string(), id.to_string())],
            value: v,
            ts_ms: Some(1_500),
        };
        r.histogram_observe_with_exemplar(h, &[], 0.5, Some(ex("aa", 0.5)))
            .unwrap();
        r.histogram_observe_with_exemplar(h, &[], 0.7, Some(ex("bb", 0.7)))
            .unwrap();
        r.histogram_observe(h, &[], 0.8).unwrap();
        let text = crate::expfmt::render(&r.gather(2_000), crate::expfmt::Format::OpenMetrics);
        assert!(
            text.contains("d_bucket{le=\"1\"} 3 # {trace_id=\"bb\"} 0.7 1.5\n"),
            "{text}"
        );
        assert!(text.contains("d_bucket{le=\"0.1\"} 0\n"), "{text}");
        // The text format has no exemplars.
        let plain = crate::expfmt::render(&r.gather(2_000), crate::expfmt::Format::Text);
        assert!(
            !plain.contains('#') || !plain.contains("trace_id"),
            "{plain}"
        );
    }

    #[test]
    fn refuses_bad_input() {
        let mut r = Registry::default();
        assert!(r.register("1bad", "", MetricKind::Counter, &[]).is_err());
        // `le` is reserved for histograms only, as in client_golang.
        let h = MetricKind::Histogram {
            upper_bounds: vec![1.0],
        };
        assert!(r.register("h_le", "", h, &["le"]).is_err());
        assert!(r.register("c_le", "", MetricKind::Counter, &["le"]).is_ok());
        let c = r.register("c", "", MetricKind::Counter, &["a"]).unwrap();
        assert!(r.register("c", "", MetricKind::Gauge, &[]).is_err());
        assert!(r.counter_inc_by(c, &[], 1.0).is_err());
        assert!(r.counter_inc_by(c, &["x"], f64::NAN).is_err());
        assert!(r.gauge_set(c, &["x"], 1.0).is_err());
        assert!(r.histogram_observe(c, &["x"], 1.0).is_err());
        let bad_buckets = MetricKind::Histogram {
            upper_bounds: vec![1.0, 1.0],
        };
        assert!(r.register("h", "", bad_buckets, &[]).is_err());
    }

    fn summary(r: &mut Registry) -> FamilyId {
        let kind = MetricKind::Summary {
            objectives: vec![(0.5, 0.05), (0.9, 0.01)],
            max_age_ms: 600_000,
            age_buckets: 5,
        };
        r.register("rpc_seconds", "RPC latency.", kind, &["svc"])
            .unwrap()
    }

    /// `(last label value or sample name, value)` of every sample at `now_ms`.
    fn samples_at(r: &mut Registry, now_ms: i64) -> Vec<(String, f64)> {
        r.gather(now_ms)[0]
            .samples
            .iter()
            .map(|s| {
                (
                    s.labels.last().map_or(s.name.clone(), |l| l.1.clone()),
                    s.value,
                )
            })
            .collect()
    }

    #[test]
    fn summary_reports_quantiles_sum_and_count() {
        let mut r = Registry::default();
        let s = summary(&mut r);
        for i in 1..=1000 {
            r.summary_observe(s, &["a"], i as f64, i * 10).unwrap();
        }
        let q = samples_at(&mut r, 10_000);
        assert_eq!(q[0].0, "0.5");
        assert!((450.0..=550.0).contains(&q[0].1), "{q:?}");
        assert!((890.0..=910.0).contains(&q[1].1), "{q:?}");
        assert_eq!(
            &q[2..],
            [("a".to_string(), 500_500.0), ("a".to_string(), 1000.0)]
        );
    }

    #[test]
    fn summary_window_slides_but_totals_stay() {
        let mut r = Registry::default();
        let s = summary(&mut r);
        for i in 0..100 {
            r.summary_observe(s, &["a"], 1.0, i * 1000).unwrap();
        }
        // Past max age with no new observations: no quantile, totals kept.
        let q = samples_at(&mut r, 100_000 + 600_000 + 1);
        assert!(q[0].1.is_nan() && q[1].1.is_nan(), "{q:?}");
        assert_eq!(q[3].1, 100.0);
        // New observations show up again.
        r.summary_observe(s, &["a"], 7.0, 800_000).unwrap();
        assert_eq!(samples_at(&mut r, 800_000)[0].1, 7.0);
    }

    #[test]
    fn summary_objectives_and_gauges() {
        let mut r = Registry::default();
        let bad = MetricKind::Summary {
            objectives: vec![(1.5, 0.01)],
            max_age_ms: 1,
            age_buckets: 1,
        };
        assert_eq!(
            r.register("s", "", bad, &[]),
            Err(MetricsError::InvalidObjectives)
        );
        let s = summary(&mut r);
        let plain = MetricKind::Summary {
            objectives: vec![],
            max_age_ms: 1,
            age_buckets: 1,
        };
        assert!(r.register("t", "", plain, &["quantile"]).is_err());
        assert!(r.histogram_observe(s, &["a"], 1.0).is_err());
        let g = r.register("g", "", MetricKind::Gauge, &[]).unwrap();
        r.gauge_add(g, &[], -2.5).unwrap();
        assert_eq!(r.samples(0).last().unwrap().1, -2.5);
    }

    #[test]
    fn bucket_helpers() {
        assert_eq!(linear_buckets(1.0, 2.0, 3), [1.0, 3.0, 5.0]);
        assert_eq!(exponential_buckets(1.0, 10.0, 3), [1.0, 10.0, 100.0]);
    }

    #[test]
    fn renders_text_format() {
        let mut r = Registry::default();
        let c = r
            .register(
                "http_requests_total",
                "Total\nrequests \\ served.",
                MetricKind::Counter,
                &["code", "path"],
            )
            .unwrap();
        r.counter_inc_by(c, &["200", "/a\"b"], 3.0).unwrap();
        let h = r
            .register(
                "lat_seconds",
                "Latency.",
                MetricKind::Histogram {
                    upper_bounds: vec![0.5],
                },
                &[],
            )
            .unwrap();
        r.histogram_observe(h, &[], 0.25).unwrap();
        let expected = concat!(
            "# HELP http_requests_total Total\\nrequests \\\\ served.\n",
            "# TYPE http_requests_total counter\n",
            "http_requests_total{code=\"200\",path=\"/a\\\"b\"} 3\n",
            "# HELP lat_seconds Latency.\n",
            "# TYPE lat_seconds histogram\n",
            "lat_seconds_bucket{le=\"0.5\"} 1\n",
            "lat_seconds_bucket{le=\"+Inf\"} 1\n",
            "lat_seconds_sum 0.25\n",
            "lat_seconds_count 1\n",
        );
        assert_eq!(render(&r.gather(0), Format::Text), expected);
    }
}
