//! Series storage: the seam between what writes samples and what reads them.
//!
//! [`SeriesStore`] is the interface the simulator writes through and queries
//! read through. [`MemStore`] is a deliberately plain implementation (a
//! `VecDeque` of samples per series); the compressed TSDB replaces it behind
//! the same trait. Limits are enforced with errors, never by silently
//! dropping data, and memory is bounded by `max_series × max_samples_per_series`.
//!
//! ```
//! use o11y_engine::labels::{Labels, Matcher};
//! use o11y_engine::store::{MemStore, Sample, SeriesStore};
//!
//! let mut store = MemStore::default();
//! let up = Labels::new([("__name__", "up"), ("job", "api")]);
//! store.append(&up, Sample { ts_ms: 1_000, value: 1.0 }).unwrap();
//! assert!(store.append(&up, Sample { ts_ms: 500, value: 1.0 }).is_err()); // out of order
//! let found = store.select(&[Matcher::metric("up")], 0, 2_000);
//! assert_eq!(found[0].samples.len(), 1);
//! ```

use std::collections::{HashMap, VecDeque};

use thiserror::Error;

use crate::labels::{Labels, Matcher};

/// One float sample.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Sample {
    pub ts_ms: i64,
    pub value: f64,
}

/// A series and its samples within a selected range.
#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    pub labels: Labels,
    pub samples: Vec<Sample>,
}

/// Why an append was refused. Nothing was stored when this is returned.
#[derive(Clone, Debug, PartialEq, Error)]
#[non_exhaustive]
pub enum AppendError {
    /// Occurs when a sample is older than the newest one of its series.
    #[error(
        "out of order sample for {labels}: {ts_ms} is before the series' newest sample at {newest_ms}"
    )]
    OutOfOrder {
        labels: Labels,
        ts_ms: i64,
        newest_ms: i64,
    },
    /// Occurs when a sample has the newest timestamp of its series but another value.
    #[error("duplicate sample for timestamp {ts_ms} with a different value for {labels}")]
    DuplicateTimestamp { labels: Labels, ts_ms: i64 },
    /// Occurs when a new series would exceed the store's series limit.
    #[error("series limit of {limit} reached: cannot add {labels}")]
    SeriesLimit { labels: Labels, limit: usize },
    /// Occurs when a series would hold more samples than the limit allows.
    #[error("sample limit of {limit} per series reached for {labels}")]
    SampleLimit { labels: Labels, limit: usize },
}

/// Where samples are written and read.
pub trait SeriesStore {
    /// Appends one sample to the series with these labels, creating it if new.
    fn append(&mut self, labels: &Labels, sample: Sample) -> Result<(), AppendError>;

    /// The series matching every matcher, with their samples in `start_ms..=end_ms`.
    /// Series without a sample in the range are left out.
    fn select(&self, matchers: &[Matcher], start_ms: i64, end_ms: i64) -> Vec<Series>;
}

/// Bounds on what a [`MemStore`] holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StoreLimits {
    pub max_series: usize,
    pub max_samples_per_series: usize,
    /// Samples older than the series' newest sample minus this are dropped.
    pub retention_ms: i64,
}

impl Default for StoreLimits {
    fn default() -> Self {
        StoreLimits {
            max_series: 10_000,
            max_samples_per_series: 20_000,
            retention_ms: 6 * 3_600_000,
        }
    }
}

/// A plain in-memory [`SeriesStore`].
#[derive(Clone, Debug, Default)]
pub struct MemStore {
    limits: StoreLimits,
    series: Vec<(Labels, VecDeque<Sample>)>,
    index: HashMap<Labels, usize>,
}

impl MemStore {
    pub fn with_limits(limits: StoreLimits) -> Self {
        MemStore {
            limits,
            ..MemStore::default()
        }
    }

    pub fn series_count(&self) -> usize {
        self.series.len()
    }

    pub fn sample_count(&self) -> usize {
        self.series.iter().map(|(_, s)| s.len()).sum()
    }
}

impl SeriesStore for MemStore {
    fn append(&mut self, labels: &Labels, sample: Sample) -> Result<(), AppendError> {
        let index = match self.index.get(labels) {
            Some(&i) => i,
            None => {
                if self.series.len() >= self.limits.max_series {
                    return Err(AppendError::SeriesLimit {
                        labels: labels.clone(),
                        limit: self.limits.max_series,
                    });
                }
                self.series.push((labels.clone(), VecDeque::new()));
                self.index.insert(labels.clone(), self.series.len() - 1);
                self.series.len() - 1
            }
        };
        let samples = &mut self.series[index].1;
        if let Some(newest) = samples.back() {
            if sample.ts_ms < newest.ts_ms {
                return Err(AppendError::OutOfOrder {
                    labels: labels.clone(),
                    ts_ms: sample.ts_ms,
                    newest_ms: newest.ts_ms,
                });
            }
            if sample.ts_ms == newest.ts_ms {
                // Prometheus ignores an exact duplicate and refuses a changed value.
                return if sample.value.to_bits() == newest.value.to_bits() {
                    Ok(())
                } else {
                    Err(AppendError::DuplicateTimestamp {
                        labels: labels.clone(),
                        ts_ms: sample.ts_ms,
                    })
                };
            }
        }
        let oldest_kept = sample.ts_ms.saturating_sub(self.limits.retention_ms);
        while samples.front().is_some_and(|s| s.ts_ms < oldest_kept) {
            samples.pop_front();
        }
        if samples.len() >= self.limits.max_samples_per_series {
            return Err(AppendError::SampleLimit {
                labels: labels.clone(),
                limit: self.limits.max_samples_per_series,
            });
        }
        samples.push_back(sample);
        Ok(())
    }

    fn select(&self, matchers: &[Matcher], start_ms: i64, end_ms: i64) -> Vec<Series> {
        let mut found: Vec<Series> = self
            .series
            .iter()
            .filter(|(labels, _)| matchers.iter().all(|m| m.matches(labels)))
            .filter_map(|(labels, samples)| {
                let from = samples.partition_point(|s| s.ts_ms < start_ms);
                let to = samples.partition_point(|s| s.ts_ms <= end_ms);
                (from < to).then(|| Series {
                    labels: labels.clone(),
                    samples: samples.range(from..to).copied().collect(),
                })
            })
            .collect();
        found.sort_by(|a, b| a.labels.cmp(&b.labels));
        found
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::labels::MatchOp;

    fn s(ts_ms: i64, value: f64) -> Sample {
        Sample { ts_ms, value }
    }

    #[test]
    fn duplicates_are_ignored_or_refused() {
        let mut store = MemStore::default();
        let l = Labels::new([("__name__", "a")]);
        store.append(&l, s(1, 1.0)).unwrap();
        store.append(&l, s(1, 1.0)).unwrap();
        assert!(matches!(
            store.append(&l, s(1, 2.0)),
            Err(AppendError::DuplicateTimestamp { .. })
        ));
        assert_eq!(store.sample_count(), 1);
    }

    #[test]
    fn limits_are_errors_not_silent_loss() {
        let limits = StoreLimits {
            max_series: 1,
            max_samples_per_series: 2,
            retention_ms: 1_000,
        };
        let mut store = MemStore::with_limits(limits);
        let a = Labels::new([("__name__", "a")]);
        let b = Labels::new([("__name__", "b")]);
        store.append(&a, s(0, 0.0)).unwrap();
        assert!(matches!(
            store.append(&b, s(0, 0.0)),
            Err(AppendError::SeriesLimit { .. })
        ));
        store.append(&a, s(10, 0.0)).unwrap();
        assert!(matches!(
            store.append(&a, s(20, 0.0)),
            Err(AppendError::SampleLimit { .. })
        ));
        // Retention frees room: the samples at 0 and 10 are older than 2010 - 1000.
        store.append(&a, s(2_010, 0.0)).unwrap();
        assert_eq!(store.sample_count(), 1);
    }

    #[test]
    fn select_filters_by_matchers_and_range() {
        let mut store = MemStore::default();
        for status in ["200", "500", "503"] {
            let l = Labels::new([("__name__", "req"), ("status", status)]);
            for ts in 0..5 {
                store.append(&l, s(ts * 10, ts as f64)).unwrap();
            }
        }
        let five = Matcher::new(MatchOp::Regex, "status", "5..").unwrap();
        let found = store.select(&[Matcher::metric("req"), five], 10, 30);
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].samples, [s(10, 1.0), s(20, 2.0), s(30, 3.0)]);
        assert!(store.select(&[Matcher::metric("req")], 100, 200).is_empty());
    }
}
