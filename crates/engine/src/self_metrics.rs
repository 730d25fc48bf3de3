//! The playground's own metrics, as a Prometheus and a Loki expose theirs:
//! every write a store refused, counted by reason, so that nothing is
//! dropped without a trace. The demo scrapes them into its TSDB as
//! `job="prometheus"` with the shop, so they are queried with PromQL like
//! any series (`increase(prometheus_tsdb_out_of_order_samples_total[5m])`).
//!
//! Names are Prometheus's and Loki's own where one exists:
//!
//! | series | counts |
//! |---|---|
//! | `prometheus_tsdb_out_of_order_samples_total{type="float"}` | samples the TSDB refused as out of order, whoever wrote them |
//! | `o11y_tsdb_refused_samples_total{reason}` | every sample the TSDB refused, by reason (Prometheus has no one family for all: its limits differ) |
//! | `prometheus_target_scrapes_sample_out_of_order_total` | scraped or pasted samples refused as out of order |
//! | `prometheus_target_scrapes_sample_duplicate_timestamp_total` | the same, with a timestamp already stored under another value |
//! | `prometheus_rule_evaluations_total{rule_group}` | rule evaluations, per group (`rules.yml;name`) |
//! | `prometheus_rule_evaluation_failures_total{rule_group}` | evaluations that failed |
//! | `prometheus_rule_group_iterations_missed_total{rule_group}` | evaluations skipped: the group fell more than 1,000 intervals behind |
//! | `o11y_rule_refused_samples_total{rule_group, reason}` | recording and alert samples, and staleness markers, the TSDB refused |
//! | `loki_discarded_samples_total{reason}` | log lines the log store refused (`store_full`, `missing_labels`) |
//! | `loki_discarded_bytes_total{reason}` | their bytes |
//!
//! ```
//! use o11y_engine::self_metrics::{SelfMetrics, TSDB_REASONS};
//! use o11y_engine::metrics::store::Refusals;
//! let mut tsdb = Refusals::default();
//! tsdb.add("out_of_order", 3);
//! let families = SelfMetrics { tsdb: &tsdb, ..SelfMetrics::default() }.families();
//! let ooo = families.iter().find(|f| f.name == "prometheus_tsdb_out_of_order_samples_total").unwrap();
//! assert_eq!(ooo.samples[0].value, 3.0);
//! assert_eq!(families.iter().find(|f| f.name == "o11y_tsdb_refused_samples_total").unwrap().samples.len(), TSDB_REASONS.len());
//! ```

use o11y_alerting::rules::group::GroupState;
use o11y_metrics::expfmt::{Family, MetricType, ParsedSample};
use o11y_metrics::store::Refusals;

/// The job and instance the playground's own metrics are scraped as.
pub const SELF_JOB: &str = "prometheus";
pub const SELF_INSTANCE: &str = "localhost:9090";

/// Every reason a TSDB refuses a sample ([`o11y_metrics::store::AppendError::reason`]),
/// each exposed even at 0 as Prometheus exposes its counters.
pub const TSDB_REASONS: [&str; 6] = [
    "out_of_order",
    "duplicate_timestamp",
    "series_limit",
    "sample_limit",
    "empty_labels",
    "unknown_series",
];

/// Every reason the log store refuses lines.
pub const LOG_REASONS: [&str; 2] = ["store_full", "missing_labels"];

/// The rule file name groups are keyed under (`rules.yml;group`), as the
/// Alerts page's rule tests call it.
const RULE_FILE: &str = "rules.yml";

static NONE: std::sync::LazyLock<Refusals> = std::sync::LazyLock::new(Refusals::default);

/// What the counters are read from.
#[derive(Clone, Copy, Debug)]
pub struct SelfMetrics<'a> {
    /// Every sample the TSDB refused.
    pub tsdb: &'a Refusals,
    /// Samples and markers of scrapes and pastes refused.
    pub scrapes: &'a Refusals,
    pub rule_groups: &'a [GroupState],
    pub log_lines: &'a Refusals,
    pub log_bytes: &'a Refusals,
}

impl Default for SelfMetrics<'_> {
    fn default() -> Self {
        SelfMetrics {
            tsdb: &NONE,
            scrapes: &NONE,
            rule_groups: &[],
            log_lines: &NONE,
            log_bytes: &NONE,
        }
    }
}

/// A counter family of one sample per label set.
fn counter(name: &str, help: &str, samples: Vec<(Vec<(&str, &str)>, u64)>) -> Family {
    let mut family = Family::new(name, MetricType::Counter);
    family.help = Some(help.to_string());
    family.samples = samples
        .into_iter()
        .map(|(labels, value)| ParsedSample {
            name: name.to_string(),
            labels: labels
                .into_iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            value: value as f64,
            ts_ms: None,
            exemplar: None,
            line: 0,
        })
        .collect();
    family
}

impl SelfMetrics<'_> {
    /// The families a scrape of the playground itself sees.
    pub fn families(&self) -> Vec<Family> {
        let by_reason = |refusals: &Refusals, reasons: &[&'static str]| {
            reasons
                .iter()
                .map(|r| (vec![("reason", *r)], refusals.get(r)))
                .collect::<Vec<_>>()
        };
        let groups: Vec<(String, &GroupState)> = self
            .rule_groups
            .iter()
            .map(|g| (format!("{RULE_FILE};{}", g.group.name), g))
            .collect();
        let per_group = |value: fn(&GroupState) -> u64| {
            groups
                .iter()
                .map(|(key, g)| (vec![("rule_group", key.as_str())], value(g)))
                .collect::<Vec<_>>()
        };
        vec![
            counter(
                "prometheus_tsdb_out_of_order_samples_total",
                "Total number of out of order samples ingestion failed attempts due to out of order being disabled.",
                vec![(vec![("type", "float")], self.tsdb.get("out_of_order"))],
            ),
            counter(
                "o11y_tsdb_refused_samples_total",
                "Samples the TSDB refused, by reason.",
                by_reason(self.tsdb, &TSDB_REASONS),
            ),
            counter(
                "prometheus_target_scrapes_sample_out_of_order_total",
                "Total number of samples rejected due to not being out of the expected order.",
                vec![(vec![], self.scrapes.get("out_of_order"))],
            ),
            counter(
                "prometheus_target_scrapes_sample_duplicate_timestamp_total",
                "Total number of samples rejected due to duplicate timestamps but different values.",
                vec![(vec![], self.scrapes.get("duplicate_timestamp"))],
            ),
            counter(
                "prometheus_rule_evaluations_total",
                "The total number of rule evaluations.",
                per_group(|g| g.evaluations),
            ),
            counter(
                "prometheus_rule_evaluation_failures_total",
                "The total number of rule evaluation failures.",
                per_group(|g| g.evaluation_failures),
            ),
            counter(
                "prometheus_rule_group_iterations_missed_total",
                "The total number of rule group evaluations missed due to slow rule group evaluation.",
                per_group(|g| g.iterations_missed),
            ),
            counter(
                "o11y_rule_refused_samples_total",
                "Samples and staleness markers of rules the TSDB refused, by rule group and reason.",
                groups
                    .iter()
                    .flat_map(|(key, g)| {
                        TSDB_REASONS.iter().map(move |r| {
                            (
                                vec![("reason", *r), ("rule_group", key.as_str())],
                                g.refused.get(r),
                            )
                        })
                    })
                    .collect(),
            ),
            counter(
                "loki_discarded_samples_total",
                "The total number of samples that were dropped.",
                by_reason(self.log_lines, &LOG_REASONS),
            ),
            counter(
                "loki_discarded_bytes_total",
                "The total number of bytes that were dropped.",
                by_reason(self.log_bytes, &LOG_REASONS),
            ),
        ]
    }
}
