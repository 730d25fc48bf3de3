//! Series storage: the seam between what writes samples and what reads them.
//!
//! [`SeriesStore`] is the interface the simulator and scrapes write through
//! and queries read through; [`crate::tsdb::Tsdb`] implements it.
//!
//! ```
//! use o11y_model::labels::{Labels, Matcher};
//! use o11y_metrics::store::{Sample, SeriesStore};
//! use o11y_metrics::tsdb::Tsdb;
//!
//! let mut store = Tsdb::default();
//! let up = Labels::new([("__name__", "up"), ("job", "api")]);
//! store.append(&up, Sample { ts_ms: 1_000, value: 1.0 }).unwrap();
//! assert!(store.append(&up, Sample { ts_ms: 500, value: 1.0 }).is_err()); // out of order
//! let found = store.select(&[Matcher::metric("up")], 0, 2_000);
//! assert_eq!(found[0].samples.len(), 1);
//! ```

use thiserror::Error;

use o11y_model::labels::{Labels, Matcher};

/// Prometheus's staleness marker: a NaN with a payload of its own, written
/// when a series disappears so queries stop looking back past it.
pub const STALE_NAN: f64 = f64::from_bits(STALE_NAN_BITS);
pub const STALE_NAN_BITS: u64 = 0x7ff0_0000_0000_0002;

/// Whether a value is the staleness marker (not just any NaN).
pub fn is_stale(value: f64) -> bool {
    value.to_bits() == STALE_NAN_BITS
}

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
    /// Occurs when the store would hold more samples than its limit.
    #[error("sample limit of {limit} reached: cannot add a sample to {labels}")]
    SampleLimit { labels: Labels, limit: usize },
    /// Occurs when a sample comes with no labels at all.
    #[error("a series needs at least one label")]
    EmptyLabels,
    /// Occurs when a series handle outlived its series (removed by retention).
    #[error("the series this handle referred to no longer exists")]
    UnknownSeries,
}

impl AppendError {
    /// The reason this refusal is counted under: `out_of_order`,
    /// `duplicate_timestamp`, `series_limit`, `sample_limit`,
    /// `empty_labels` or `unknown_series`.
    pub fn reason(&self) -> &'static str {
        match self {
            AppendError::OutOfOrder { .. } => "out_of_order",
            AppendError::DuplicateTimestamp { .. } => "duplicate_timestamp",
            AppendError::SeriesLimit { .. } => "series_limit",
            AppendError::SampleLimit { .. } => "sample_limit",
            AppendError::EmptyLabels => "empty_labels",
            AppendError::UnknownSeries => "unknown_series",
        }
    }
}

/// Writes that were refused, counted by reason ([`AppendError::reason`],
/// or a log store's): what Prometheus counts as
/// `prometheus_tsdb_out_of_order_samples_total` and the like, so that
/// nothing is dropped without a trace.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Refusals(std::collections::BTreeMap<&'static str, u64>);

impl Refusals {
    /// Counts one refused write.
    pub fn count(&mut self, error: &AppendError) {
        self.add(error.reason(), 1);
    }

    /// Counts `n` writes refused for `reason`.
    pub fn add(&mut self, reason: &'static str, n: u64) {
        if n > 0 {
            *self.0.entry(reason).or_default() += n;
        }
    }

    /// Adds every count of `other`.
    pub fn merge(&mut self, other: &Refusals) {
        for (reason, n) in other.iter() {
            self.add(reason, n);
        }
    }

    /// Writes refused for `reason`.
    pub fn get(&self, reason: &str) -> u64 {
        self.0.get(reason).copied().unwrap_or(0)
    }

    /// Writes refused, whatever the reason.
    pub fn total(&self) -> u64 {
        self.0.values().sum()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Reasons and counts, by reason.
    pub fn iter(&self) -> impl Iterator<Item = (&'static str, u64)> + '_ {
        self.0.iter().map(|(r, n)| (*r, *n))
    }
}

impl std::fmt::Display for Refusals {
    /// `3 out_of_order, 1 duplicate_timestamp`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, (reason, n)) in self.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{n} {reason}")?;
        }
        Ok(())
    }
}

/// Where samples are written and read.
pub trait SeriesStore {
    /// Appends one sample to the series with these labels, creating it if new.
    fn append(&mut self, labels: &Labels, sample: Sample) -> Result<(), AppendError>;

    /// The series matching every matcher, with their samples in `start_ms..=end_ms`.
    /// Series without a sample in the range are left out.
    fn select(&self, matchers: &[Matcher], start_ms: i64, end_ms: i64) -> Vec<Series>;

    /// Stores an exemplar of a series, taken at `ts_ms` unless it has its
    /// own time; returns whether it was kept. Stores without exemplar
    /// storage keep none.
    fn append_exemplar(
        &mut self,
        _labels: &Labels,
        _exemplar: &crate::expfmt::Exemplar,
        _ts_ms: i64,
    ) -> bool {
        false
    }

    /// The native histogram samples of the matching series in
    /// `start_ms..=end_ms`; stores without histograms have none.
    fn select_histograms(
        &self,
        _matchers: &[Matcher],
        _start_ms: i64,
        _end_ms: i64,
    ) -> Vec<HistogramSeries> {
        Vec::new()
    }
}

/// One native histogram sample.
#[derive(Clone, Debug, PartialEq)]
pub struct HistogramPoint {
    pub ts_ms: i64,
    pub histogram: std::sync::Arc<o11y_model::histogram::Histogram>,
}

/// A series' native histogram samples within a selected range.
#[derive(Clone, Debug, PartialEq)]
pub struct HistogramSeries {
    pub labels: Labels,
    pub samples: Vec<HistogramPoint>,
}
