//! What the metrics explorer and autocomplete know: every metric name with
//! its type, help and series count (family metadata found from a series
//! name's suffix), a metric's series, and the PromQL completer.

use super::*;

/// One metric name in the explorer.
#[derive(Clone, Debug, PartialEq)]
pub struct MetricInfo {
    /// The name series carry (`…_bucket`, `…_total` included).
    pub name: String,
    pub kind: MetricType,
    pub help: String,
    pub series: usize,
}

/// Suffixes a series name may add to its family's name.
const FAMILY_SUFFIXES: [&str; 8] = [
    "_bucket", "_sum", "_count", "_total", "_created", "_info", "_gsum", "_gcount",
];

impl Demo {
    /// Type and help of a family, from the simulator or a paste.
    fn metadata(&self, family: &str) -> Option<(MetricType, String)> {
        let registered = self
            .shop
            .registry()
            .families()
            .iter()
            .find(|f| f.name == family);
        registered
            .map(|f| (f.kind.exposition_type(), f.help.clone()))
            .or_else(|| self.pasted_metadata.get(family).cloned())
    }

    /// Type and help of a series name: its own family's, or that of the
    /// family it is a `_bucket`/`_sum`/… of.
    fn metadata_for_series_name(&self, name: &str) -> (MetricType, String) {
        self.metadata(name)
            .or_else(|| {
                FAMILY_SUFFIXES
                    .iter()
                    .filter_map(|suffix| name.strip_suffix(suffix))
                    .find_map(|family| self.metadata(family))
            })
            .unwrap_or((MetricType::Unknown, String::new()))
    }

    /// Every metric name stored, with type, help and series count; and
    /// defined metrics that have no series yet.
    pub fn catalog(&self) -> Vec<MetricInfo> {
        let index = self.store.index();
        let mut out: Vec<MetricInfo> = index
            .label_values(o11y_model::labels::METRIC_NAME)
            .map(|name| {
                let (kind, help) = self.metadata_for_series_name(name);
                MetricInfo {
                    name: name.to_string(),
                    kind,
                    help,
                    series: index.postings_len(o11y_model::labels::METRIC_NAME, name),
                }
            })
            .collect();
        for family in self.shop.registry().families() {
            let stored = out
                .iter()
                .any(|m| m.name == family.name || m.name.starts_with(&format!("{}_", family.name)));
            if !stored {
                let (kind, help) = self.metadata_for_series_name(&family.name);
                out.push(MetricInfo {
                    name: family.name.clone(),
                    kind,
                    help,
                    series: 0,
                });
            }
        }
        o11y_model::sort::sort_by(&mut out[..], |a, b| a.name.cmp(&b.name));
        out
    }

    /// The series of one metric with their newest samples, sorted by labels.
    pub fn series_of(&self, metric: &str) -> Vec<(Labels, Option<Sample>)> {
        self.store
            .series_labels(&[Matcher::metric(metric)])
            .into_iter()
            .map(|labels| (labels.clone(), self.store.latest(labels)))
            .collect()
    }

    /// What the PromQL editor can autocomplete: metric names, and label
    /// names and values per metric (and over all metrics, under `""`).
    pub fn completer(&self) -> o11y_promql::assist::Completer {
        use std::collections::{BTreeMap, BTreeSet};
        let mut per: BTreeMap<(String, String), BTreeSet<String>> = BTreeMap::new();
        for labels in self.store.series_labels(&[]) {
            let metric = labels.metric_name().unwrap_or("").to_string();
            for l in labels
                .iter()
                .filter(|l| l.name != o11y_model::labels::METRIC_NAME)
            {
                for m in [metric.clone(), String::new()] {
                    per.entry((m, l.name.clone()))
                        .or_default()
                        .insert(l.value.clone());
                }
            }
        }
        o11y_promql::assist::Completer {
            metrics: self.catalog().into_iter().map(|m| m.name).collect(),
            labels: per
                .into_iter()
                .map(|((m, n), v)| (m, n, v.into_iter().collect()))
                .collect(),
        }
    }
}
