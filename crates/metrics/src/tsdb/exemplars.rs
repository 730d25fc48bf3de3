//! Exemplar storage, as Prometheus keeps it: one circular buffer of a fixed
//! size (`--storage.exemplars.exemplars-limit`, 100 000 by default) shared
//! by every series, the oldest exemplar overwritten first. An exemplar equal
//! to its series' newest one is a duplicate and is not stored again; one
//! older than it is out of order and is refused.

use std::collections::{HashMap, VecDeque};

use crate::expfmt::Exemplar;
use o11y_model::labels::Labels;

/// Prometheus's default exemplar limit.
pub const DEFAULT_MAX_EXEMPLARS: usize = 100_000;

/// One stored exemplar: its labels (`trace_id`…), value and time.
#[derive(Clone, Debug, PartialEq)]
pub struct StoredExemplar {
    pub labels: Vec<(String, String)>,
    pub value: f64,
    pub ts_ms: i64,
}

impl StoredExemplar {
    /// The value of one of the exemplar's labels.
    pub fn label(&self, name: &str) -> Option<&str> {
        self.labels
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

#[derive(Clone, Debug)]
pub struct ExemplarStore {
    max: usize,
    per_series: HashMap<Labels, VecDeque<StoredExemplar>>,
    /// Series in the order their exemplars arrived, for eviction.
    order: VecDeque<Labels>,
}

impl Default for ExemplarStore {
    fn default() -> Self {
        ExemplarStore::with_limit(DEFAULT_MAX_EXEMPLARS)
    }
}

impl ExemplarStore {
    pub fn with_limit(max: usize) -> ExemplarStore {
        ExemplarStore {
            max: max.max(1),
            per_series: HashMap::new(),
            order: VecDeque::new(),
        }
    }

    /// Exemplars stored, across series.
    pub fn len(&self) -> usize {
        self.order.len()
    }

    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }

    /// Stores an exemplar of the series `labels`, taken at `ts_ms` unless
    /// it has its own time. Returns whether it was stored.
    pub fn add(&mut self, labels: &Labels, exemplar: &Exemplar, ts_ms: i64) -> bool {
        let stored = StoredExemplar {
            labels: exemplar.labels.clone(),
            value: exemplar.value,
            ts_ms: exemplar.ts_ms.unwrap_or(ts_ms),
        };
        let list = self.per_series.entry(labels.clone()).or_default();
        if let Some(last) = list.back() {
            let duplicate = last.labels == stored.labels
                && last.ts_ms == stored.ts_ms
                && last.value.to_bits() == stored.value.to_bits();
            if duplicate || stored.ts_ms < last.ts_ms {
                return false;
            }
        }
        list.push_back(stored);
        self.order.push_back(labels.clone());
        while self.order.len() > self.max {
            let Some(oldest) = self.order.pop_front() else {
                break;
            };
            if let Some(list) = self.per_series.get_mut(&oldest) {
                list.pop_front();
                if list.is_empty() {
                    self.per_series.remove(&oldest);
                }
            }
        }
        true
    }

    /// The exemplars of one series in `start_ms..=end_ms`, oldest first.
    pub fn of(&self, labels: &Labels, start_ms: i64, end_ms: i64) -> Vec<StoredExemplar> {
        self.per_series
            .get(labels)
            .map(|list| {
                list.iter()
                    .filter(|e| (start_ms..=end_ms).contains(&e.ts_ms))
                    .cloned()
                    .collect()
            })
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ex(trace: &str, ts_ms: i64) -> Exemplar {
        Exemplar {
            labels: vec![("trace_id".into(), trace.into())],
            value: 0.5,
            ts_ms: Some(ts_ms),
        }
    }

    #[test]
    fn duplicates_and_out_of_order_are_refused_and_the_oldest_go_first() {
        let mut store = ExemplarStore::with_limit(3);
        let a = Labels::new([("__name__", "d_bucket"), ("le", "1")]);
        let b = Labels::new([("__name__", "d_bucket"), ("le", "2")]);
        assert!(store.add(&a, &ex("1", 10), 0));
        assert!(!store.add(&a, &ex("1", 10), 0), "the same exemplar twice");
        assert!(!store.add(&a, &ex("0", 5), 0), "older than the newest");
        assert!(store.add(&b, &ex("2", 11), 0));
        assert!(store.add(&a, &ex("3", 12), 0));
        assert!(store.add(&b, &ex("4", 13), 0));
        assert_eq!(store.len(), 3);
        let of_a: Vec<_> = store.of(&a, 0, 100).iter().map(|e| e.ts_ms).collect();
        assert_eq!(of_a, [12], "the first exemplar was overwritten");
        assert_eq!(store.of(&b, 12, 13)[0].label("trace_id"), Some("4"));
    }
}
