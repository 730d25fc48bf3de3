//! The in-memory time-series database: compressed chunks per series, an
//! inverted label index, retention by age and hard limits.
//!
//! Each series keeps a list of [`chunk::XorChunk`]s of up to 120 samples;
//! the last one is appended to, the others are closed. Series are found by
//! label matchers through the [`index::PostingsIndex`]. Samples must arrive
//! in time order per series (out-of-order ones are refused, as Prometheus
//! does by default). Chunks older than the retention are dropped as newer
//! samples arrive, and series left without chunks are removed. When a limit
//! on series or samples would be passed, the append fails with an error and
//! nothing is stored — there is no silent loss and no unbounded growth.
//!
//! ```
//! use o11y_model::labels::{Labels, Matcher};
//! use o11y_metrics::store::{Sample, SeriesStore};
//! use o11y_metrics::tsdb::Tsdb;
//!
//! let mut db = Tsdb::default();
//! let up = Labels::new([("__name__", "up"), ("job", "api")]);
//! for i in 0..300 {
//!     db.append(&up, Sample { ts_ms: i * 15_000, value: 1.0 }).unwrap();
//! }
//! let series = db.select(&[Matcher::metric("up")], 0, 60_000);
//! assert_eq!(series[0].samples.len(), 5);
//! ```

pub mod chunk;
pub mod exemplars;
pub mod index;

use std::sync::Arc;

use crate::store::{AppendError, Sample, Series, SeriesStore};
use chunk::XorChunk;
use index::PostingsIndex;
use o11y_model::labels::{Labels, Matcher};

/// Bounds on what a [`Tsdb`] holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TsdbLimits {
    pub max_series: usize,
    pub max_samples: usize,
    /// Chunks whose newest sample is older than the newest sample in the
    /// database minus this are dropped.
    pub retention_ms: i64,
}

impl Default for TsdbLimits {
    fn default() -> Self {
        TsdbLimits {
            max_series: 100_000,
            max_samples: 20_000_000,
            retention_ms: 24 * 3_600_000,
        }
    }
}

#[derive(Clone, Debug)]
struct MemSeries {
    labels: Arc<Labels>,
    /// Oldest first; the last one is the head chunk that takes appends.
    chunks: Vec<XorChunk>,
    /// Tells a reused slot from the series a [`SeriesRef`] was made for.
    generation: u32,
}

/// A handle to one series for appending without looking its labels up, as
/// Prometheus's scrape cache keeps them. It stops working (with
/// [`AppendError::UnknownSeries`]) once retention removes the series.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SeriesRef {
    id: u32,
    generation: u32,
}

/// Counts that describe what a [`Tsdb`] holds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TsdbStats {
    pub series: usize,
    pub samples: usize,
    pub chunks: usize,
    /// Encoded chunk bytes, headers included.
    pub chunk_bytes: usize,
}

#[derive(Clone, Debug, Default)]
pub struct Tsdb {
    limits: TsdbLimits,
    /// Indexed by series id; `None` for a removed series whose id is free.
    series: Vec<Option<MemSeries>>,
    free_ids: Vec<u32>,
    /// Labels are shared with the series, not copied.
    /// By labels, hashed with Fx (SipHash was a fifth of a scrape's time).
    ids: rustc_hash::FxHashMap<Arc<Labels>, u32>,
    index: PostingsIndex,
    samples: usize,
    newest_ms: Option<i64>,
    next_retention_check_ms: i64,
    next_generation: u32,
    exemplars: exemplars::ExemplarStore,
    /// Every append refused, by reason, whoever wrote it.
    refused: crate::store::Refusals,
}

impl Tsdb {
    pub fn with_limits(limits: TsdbLimits) -> Self {
        Tsdb {
            limits,
            ..Tsdb::default()
        }
    }

    pub fn limits(&self) -> TsdbLimits {
        self.limits
    }

    pub fn index(&self) -> &PostingsIndex {
        &self.index
    }

    pub fn stats(&self) -> TsdbStats {
        let live = self.series.iter().flatten();
        let (chunks, chunk_bytes) = live.fold((0, 0), |(n, bytes), s| {
            (
                n + s.chunks.len(),
                bytes + s.chunks.iter().map(|c| c.bytes().len()).sum::<usize>(),
            )
        });
        TsdbStats {
            series: self.ids.len(),
            samples: self.samples,
            chunks,
            chunk_bytes,
        }
    }

    /// The exemplars of the series the matchers select, in `start_ms..=end_ms`
    /// (series without one left out), sorted by labels.
    pub fn exemplars(
        &self,
        matchers: &[Matcher],
        start_ms: i64,
        end_ms: i64,
    ) -> Vec<(Labels, Vec<exemplars::StoredExemplar>)> {
        if self.exemplars.is_empty() {
            return Vec::new();
        }
        self.series_labels(matchers)
            .into_iter()
            .filter_map(|labels| {
                let found = self.exemplars.of(labels, start_ms, end_ms);
                (!found.is_empty()).then(|| (labels.clone(), found))
            })
            .collect()
    }

    /// The newest sample's timestamp across all series.
    pub fn newest_ms(&self) -> Option<i64> {
        self.newest_ms
    }

    /// Labels of the series the matchers select, sorted.
    pub fn series_labels(&self, matchers: &[Matcher]) -> Vec<&Labels> {
        let mut out: Vec<&Labels> = self
            .index
            .select(matchers)
            .into_iter()
            .filter_map(|id| self.get(id).map(|s| s.labels.as_ref()))
            .collect();
        out.sort();
        out
    }

    /// The newest sample of the series with exactly these labels.
    pub fn latest(&self, labels: &Labels) -> Option<Sample> {
        let series = self.get(*self.ids.get(labels)?)?;
        let head = series.chunks.last()?;
        Some(Sample {
            ts_ms: head.max_ts_ms(),
            value: head.last_value()?,
        })
    }

    fn get(&self, id: u32) -> Option<&MemSeries> {
        self.series.get(id as usize)?.as_ref()
    }

    /// Every append this store refused, by reason (what Prometheus's head
    /// counts as `prometheus_tsdb_out_of_order_samples_total` and the like).
    pub fn refused(&self) -> &crate::store::Refusals {
        &self.refused
    }

    /// The handle of the series with these labels, created if new; a
    /// refusal is counted.
    pub fn series_ref(&mut self, labels: &Labels) -> Result<SeriesRef, AppendError> {
        let found = self.find_or_create(labels);
        if let Err(e) = &found {
            self.refused.count(e);
        }
        found
    }

    fn find_or_create(&mut self, labels: &Labels) -> Result<SeriesRef, AppendError> {
        if let Some((&id, series)) = self
            .ids
            .get(labels)
            .and_then(|id| Some((id, self.get(*id)?)))
        {
            return Ok(SeriesRef {
                id,
                generation: series.generation,
            });
        }
        if labels.is_empty() {
            return Err(AppendError::EmptyLabels);
        }
        if self.ids.len() >= self.limits.max_series {
            return Err(AppendError::SeriesLimit {
                labels: labels.clone(),
                limit: self.limits.max_series,
            });
        }
        let generation = self.next_generation;
        self.next_generation = self.next_generation.wrapping_add(1);
        let labels = Arc::new(labels.clone());
        let series = MemSeries {
            labels: Arc::clone(&labels),
            chunks: Vec::new(),
            generation,
        };
        let id = match self.free_ids.pop() {
            Some(id) => {
                self.series[id as usize] = Some(series);
                id
            }
            None => {
                self.series.push(Some(series));
                (self.series.len() - 1) as u32
            }
        };
        self.index.add(id, &labels);
        self.ids.insert(labels, id);
        Ok(SeriesRef { id, generation })
    }

    /// Appends to a series by handle: the fast path for repeated scrapes.
    /// A refusal is counted.
    pub fn append_ref(&mut self, series_ref: SeriesRef, sample: Sample) -> Result<(), AppendError> {
        let stored = self.store_sample(series_ref, sample);
        if let Err(e) = &stored {
            self.refused.count(e);
        }
        stored
    }

    fn store_sample(&mut self, series_ref: SeriesRef, sample: Sample) -> Result<(), AppendError> {
        let unknown = || AppendError::UnknownSeries;
        let series = self
            .get(series_ref.id)
            .filter(|s| s.generation == series_ref.generation)
            .ok_or_else(unknown)?;
        if let Some(head) = series.chunks.last() {
            let newest_ms = head.max_ts_ms();
            if sample.ts_ms <= newest_ms {
                return duplicate_or_out_of_order(&series.labels, head, sample);
            }
        }
        if self.newest_ms.is_none_or(|n| sample.ts_ms > n)
            && sample.ts_ms >= self.next_retention_check_ms
        {
            // Checking every tenth of the retention keeps the scan cheap.
            self.apply_retention(sample.ts_ms);
            self.next_retention_check_ms = sample
                .ts_ms
                .saturating_add((self.limits.retention_ms / 10).max(1));
        }
        let Some(series) = self
            .series
            .get_mut(series_ref.id as usize)
            .and_then(Option::as_mut)
        else {
            return Err(unknown()); // removed by that retention pass
        };
        if series.generation != series_ref.generation {
            return Err(unknown());
        }
        if self.samples >= self.limits.max_samples {
            return Err(AppendError::SampleLimit {
                labels: series.labels.as_ref().clone(),
                limit: self.limits.max_samples,
            });
        }
        if series.chunks.last().is_none_or(XorChunk::is_full) {
            if let Some(closed) = series.chunks.last_mut() {
                closed.shrink_to_fit();
            }
            series.chunks.push(XorChunk::new());
        }
        if let Some(head) = series.chunks.last_mut() {
            head.append(sample.ts_ms, sample.value);
        }
        self.samples += 1;
        self.newest_ms = Some(self.newest_ms.map_or(sample.ts_ms, |n| n.max(sample.ts_ms)));
        Ok(())
    }

    /// Drops chunks entirely older than the retention and series left empty.
    fn apply_retention(&mut self, newest_ms: i64) {
        let cutoff = newest_ms.saturating_sub(self.limits.retention_ms);
        let mut emptied = Vec::new();
        for (id, slot) in self.series.iter_mut().enumerate() {
            let Some(series) = slot else { continue };
            let keep_from = series.chunks.partition_point(|c| c.max_ts_ms() < cutoff);
            if keep_from > 0 {
                self.samples -= series.chunks[..keep_from]
                    .iter()
                    .map(XorChunk::len)
                    .sum::<usize>();
                series.chunks.drain(..keep_from);
                // Only series retention emptied go: a new one awaits its first sample.
                if series.chunks.is_empty() {
                    emptied.push(id as u32);
                }
            }
        }
        for id in emptied {
            if let Some(series) = self.series[id as usize].take() {
                self.index.remove(id, &series.labels);
                self.ids.remove(series.labels.as_ref());
                self.free_ids.push(id);
            }
        }
    }
}

/// A sample at or before the series' newest one: an exact duplicate is
/// ignored and anything else refused, as Prometheus does.
fn duplicate_or_out_of_order(
    labels: &Labels,
    head: &XorChunk,
    sample: Sample,
) -> Result<(), AppendError> {
    let newest_ms = head.max_ts_ms();
    if sample.ts_ms < newest_ms {
        return Err(AppendError::OutOfOrder {
            labels: labels.clone(),
            ts_ms: sample.ts_ms,
            newest_ms,
        });
    }
    let same = head
        .last_value()
        .is_some_and(|v| v.to_bits() == sample.value.to_bits());
    if same {
        Ok(())
    } else {
        Err(AppendError::DuplicateTimestamp {
            labels: labels.clone(),
            ts_ms: sample.ts_ms,
        })
    }
}

impl SeriesStore for Tsdb {
    fn append_exemplar(
        &mut self,
        labels: &Labels,
        exemplar: &crate::expfmt::Exemplar,
        ts_ms: i64,
    ) -> bool {
        self.exemplars.add(labels, exemplar, ts_ms)
    }

    fn append(&mut self, labels: &Labels, sample: Sample) -> Result<(), AppendError> {
        // A new series is not created when the sample would be refused anyway.
        if !self.ids.contains_key(labels) && self.samples >= self.limits.max_samples {
            let refused = AppendError::SampleLimit {
                labels: labels.clone(),
                limit: self.limits.max_samples,
            };
            self.refused.count(&refused);
            return Err(refused);
        }
        // Both count what they refuse.
        let series_ref = self.series_ref(labels)?;
        self.append_ref(series_ref, sample)
    }

    fn select(&self, matchers: &[Matcher], start_ms: i64, end_ms: i64) -> Vec<Series> {
        let mut found: Vec<Series> = self
            .index
            .select(matchers)
            .into_iter()
            .filter_map(|id| self.get(id))
            .filter_map(|series| {
                // A series' samples are in time order (appends out of order
                // are refused): decoding stops at the window's end.
                let samples: Vec<Sample> = series
                    .chunks
                    .iter()
                    .filter(|c| c.max_ts_ms() >= start_ms && c.min_ts_ms() <= end_ms)
                    .flat_map(XorChunk::iter)
                    .skip_while(|(t, _)| *t < start_ms)
                    .take_while(|(t, _)| *t <= end_ms)
                    .map(|(ts_ms, value)| Sample { ts_ms, value })
                    .collect();
                (!samples.is_empty()).then(|| Series {
                    labels: series.labels.as_ref().clone(),
                    samples,
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
    use o11y_model::labels::MatchOp;

    fn s(ts_ms: i64, value: f64) -> Sample {
        Sample { ts_ms, value }
    }

    fn name(n: &str) -> Labels {
        Labels::new([("__name__", n)])
    }

    #[test]
    fn out_of_order_and_duplicates_like_prometheus() {
        let mut db = Tsdb::default();
        let a = name("a");
        db.append(&a, s(10, 1.0)).unwrap();
        assert!(matches!(
            db.append(&a, s(5, 1.0)),
            Err(AppendError::OutOfOrder { newest_ms: 10, .. })
        ));
        db.append(&a, s(10, 1.0)).unwrap();
        assert!(matches!(
            db.append(&a, s(10, 2.0)),
            Err(AppendError::DuplicateTimestamp { .. })
        ));
        assert_eq!(db.stats().samples, 1);
        // Another series may still take older samples.
        db.append(&name("b"), s(1, 1.0)).unwrap();
        assert!(matches!(
            db.append(&Labels::default(), s(1, 1.0)),
            Err(AppendError::EmptyLabels)
        ));
        // Every refusal is counted by reason; an exact duplicate is no refusal.
        let refused = db.refused();
        assert_eq!(
            (
                refused.get("out_of_order"),
                refused.get("duplicate_timestamp"),
                refused.get("empty_labels")
            ),
            (1, 1, 1)
        );
        assert_eq!(
            refused.to_string(),
            "1 duplicate_timestamp, 1 empty_labels, 1 out_of_order"
        );
    }

    #[test]
    fn limits_refuse_with_an_error_and_store_nothing() {
        let limits = TsdbLimits {
            max_series: 2,
            max_samples: 3,
            retention_ms: 1_000_000,
        };
        let mut db = Tsdb::with_limits(limits);
        db.append(&name("a"), s(1, 0.0)).unwrap();
        db.append(&name("b"), s(1, 0.0)).unwrap();
        assert!(matches!(
            db.append(&name("c"), s(1, 0.0)),
            Err(AppendError::SeriesLimit { limit: 2, .. })
        ));
        db.append(&name("a"), s(2, 0.0)).unwrap();
        assert!(matches!(
            db.append(&name("a"), s(3, 0.0)),
            Err(AppendError::SampleLimit { limit: 3, .. })
        ));
        assert_eq!(
            (
                db.refused().get("series_limit"),
                db.refused().get("sample_limit")
            ),
            (1, 1)
        );
        assert_eq!(
            db.stats(),
            TsdbStats {
                series: 2,
                samples: 3,
                chunks: 2,
                chunk_bytes: db.stats().chunk_bytes
            }
        );
    }

    #[test]
    fn retention_drops_old_chunks_and_empty_series() {
        let limits = TsdbLimits {
            retention_ms: 3_600_000,
            ..TsdbLimits::default()
        };
        let mut db = Tsdb::with_limits(limits);
        let old = name("old");
        db.append(&old, s(0, 1.0)).unwrap();
        let live = name("live");
        for i in 0..=1000 {
            db.append(&live, s(i * 15_000, i as f64)).unwrap();
        }
        // 1000 × 15 s = 4h10m: "old" is gone, "live" keeps about the last hour.
        assert!(db.series_labels(&[Matcher::metric("old")]).is_empty());
        assert_eq!(
            db.index().label_values("__name__").collect::<Vec<_>>(),
            ["live"]
        );
        let kept = db.stats().samples;
        assert!((240..=400).contains(&kept), "{kept}");
        // The freed id is reused and the index stays consistent.
        db.append(&old, s(15_000_000, 2.0)).unwrap();
        assert_eq!(db.series_labels(&[Matcher::metric("old")]), [&old]);
    }

    #[test]
    fn series_refs_append_fast_and_go_stale_with_their_series() {
        let limits = TsdbLimits {
            retention_ms: 1_000,
            ..TsdbLimits::default()
        };
        let mut db = Tsdb::with_limits(limits);
        let a = db.series_ref(&name("a")).unwrap();
        assert_eq!(db.series_ref(&name("a")).unwrap(), a);
        db.append_ref(a, s(0, 1.0)).unwrap();
        assert!(matches!(
            db.append_ref(a, s(0, 2.0)),
            Err(AppendError::DuplicateTimestamp { .. })
        ));
        // "b" at 5 s pushes "a" out of the 1 s retention; "c" then reuses its slot.
        db.append(&name("b"), s(5_000, 1.0)).unwrap();
        let c = db.series_ref(&name("c")).unwrap();
        assert_eq!(
            db.append_ref(a, s(6_000, 1.0)),
            Err(AppendError::UnknownSeries)
        );
        db.append_ref(c, s(6_000, 1.0)).unwrap();
        assert_eq!(db.latest(&name("c")), Some(s(6_000, 1.0)));
    }

    #[test]
    fn select_spans_chunks_and_clips_to_the_range() {
        let mut db = Tsdb::default();
        let labels = Labels::new([("__name__", "m"), ("code", "500")]);
        for i in 0..1000 {
            db.append(&labels, s(i * 1000, i as f64)).unwrap();
        }
        assert_eq!(db.stats().chunks, 9);
        let re = Matcher::new(MatchOp::Regex, "code", "5..").unwrap();
        let series = db.select(&[Matcher::metric("m"), re], 100_500, 400_000);
        let values: Vec<f64> = series[0].samples.iter().map(|x| x.value).collect();
        assert_eq!(values.len(), 300);
        assert_eq!((values[0], values[299]), (101.0, 400.0));
        assert_eq!(db.latest(&labels), Some(s(999_000, 999.0)));
    }
}
