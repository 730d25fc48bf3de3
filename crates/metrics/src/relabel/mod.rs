//! Prometheus relabeling: `relabel_configs` and `metric_relabel_configs`
//! with every action (`replace`, `keep`, `drop`, `keepequal`, `dropequal`,
//! `hashmod`, `labelmap`, `labeldrop`, `labelkeep`, `lowercase`,
//! `uppercase`) and Prometheus's defaults: separator `;`, regex `(.*)`
//! anchored at both ends, replacement `$1`, action `replace`. `hashmod`
//! takes the last 8 bytes of the MD5 of the joined values, as Prometheus
//! does, so targets shard the same way.
//!
//! ```
//! use o11y_model::labels::Labels;
//! use o11y_metrics::relabel::{parse_configs, process};
//!
//! let configs = parse_configs("- source_labels: [__address__]\n  regex: '([^:]+):.*'\n  target_label: host\n").unwrap();
//! let out = process(&Labels::new([("__address__", "web-1:9100")]), &configs).unwrap();
//! assert_eq!(out.get("host"), Some("web-1"));
//! ```
//!
//! The files: a relabel config and Prometheus's checks of it (`config`),
//! the actions applied step by step (`apply`), scrape configs and whole
//! `prometheus.yml` files as `promtool check config` checks them
//! (`scrape_config`). Every regex here is written in Go's dialect and
//! translated by `o11y_model::go_regex` (re-exported as `go_regex`).

mod apply;
mod config;
#[cfg(test)]
mod go_regex_tests;
mod scrape_config;

pub use apply::{Step, hashmod, process, steps, target_labels};
pub use config::{
    Action, RelabelConfig, RelabelError, check_configs, configs_from_node, parse_configs,
};
pub use o11y_model::go_regex::go_regex;
pub use scrape_config::{
    ScrapeConfig, check_prometheus_config, check_scrape_config, parse_scrape_config,
};

/// The seed article's Kubernetes pod relabeling, with a pod's discovered labels.
pub const KUBERNETES_EXAMPLE: &str = r#"relabel_configs:
  # Only pods annotated prometheus.io/scrape: "true".
  - source_labels: [__meta_kubernetes_pod_annotation_prometheus_io_scrape]
    action: keep
    regex: true
  # The metrics path from prometheus.io/path.
  - source_labels: [__meta_kubernetes_pod_annotation_prometheus_io_path]
    action: replace
    target_label: __metrics_path__
    regex: (.+)
  # The port from prometheus.io/port.
  - source_labels: [__address__, __meta_kubernetes_pod_annotation_prometheus_io_port]
    action: replace
    regex: ([^:]+)(?::\d+)?;(\d+)
    replacement: $1:$2
    target_label: __address__
  # Every pod label as a label.
  - action: labelmap
    regex: __meta_kubernetes_pod_label_(.+)
  - source_labels: [__meta_kubernetes_namespace]
    action: replace
    target_label: namespace
  - source_labels: [__meta_kubernetes_pod_name]
    action: replace
    target_label: pod
  # Shard targets over 4 Prometheus servers; this one keeps shard 2.
  - source_labels: [__address__]
    action: hashmod
    modulus: 4
    target_label: __tmp_shard
"#;

/// The discovered labels of a pod, for the example.
pub const KUBERNETES_TARGET: &str = r#"__address__="10.1.2.3:80"
__meta_kubernetes_namespace="shop"
__meta_kubernetes_pod_name="payment-7d9f8b-x2v4q"
__meta_kubernetes_pod_label_app="payment"
__meta_kubernetes_pod_label_version="v2"
__meta_kubernetes_pod_annotation_prometheus_io_scrape="true"
__meta_kubernetes_pod_annotation_prometheus_io_path="/metrics"
__meta_kubernetes_pod_annotation_prometheus_io_port="9102"
job="kubernetes-pods"
"#;
