//! The relabeling engine (`o11y_metrics::relabel`) and the Relabel page's
//! target box, whose `{a="b"}` form is read by the PromQL series parser.

pub use o11y_metrics::relabel::*;

use o11y_model::diag::Diagnostic;
use o11y_model::labels::Labels;

/// Labels written one per line as `name="value"` (or `name=value`), or as
/// a `{a="b", c="d"}` selector. The error's line is in its text (`line 2:
/// …`), as the Relabel page has always written it.
pub fn parse_labels(text: &str) -> Result<Labels, Diagnostic> {
    let t = text.trim();
    if t.starts_with('{') {
        return o11y_promql::promqltest::parse_series(t);
    }
    let mut pairs = Vec::new();
    for (i, line) in t.lines().enumerate() {
        let line = line.trim().trim_end_matches(',');
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((name, value)) = line.split_once('=') else {
            return Err(
                Diagnostic::new(format!("line {}: expected name=\"value\"", i + 1))
                    .expecting("name=\"value\""),
            );
        };
        let name = name.trim();
        if !o11y_model::labels::is_valid_label_name(name) {
            return Err(Diagnostic::new(format!(
                "line {}: invalid label name {name:?}",
                i + 1
            )));
        }
        let raw = value.trim();
        let value = if raw.starts_with('"') {
            serde_json::from_str::<String>(raw)
                .map_err(|_| Diagnostic::new(format!("line {}: bad quoted value", i + 1)))?
        } else {
            raw.to_string()
        };
        pairs.push((name.to_string(), value));
    }
    Ok(Labels::new(pairs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_kubernetes_example_step_by_step() {
        let configs = parse_configs(KUBERNETES_EXAMPLE).unwrap();
        let input = parse_labels(KUBERNETES_TARGET).unwrap();
        let s = steps(&input, &configs);
        assert_eq!(s.len(), configs.len());
        let last = s.last().unwrap().labels.clone().unwrap();
        assert_eq!(last.get("__address__"), Some("10.1.2.3:9102"));
        assert_eq!(last.get("app"), Some("payment"));
        assert_eq!(last.get("namespace"), Some("shop"));
        assert_eq!(last.get("pod"), Some("payment-7d9f8b-x2v4q"));
        assert_eq!(
            last.get("__tmp_shard"),
            Some(hashmod("10.1.2.3:9102", 4).to_string().as_str())
        );
        let unannotated = input.with(
            "__meta_kubernetes_pod_annotation_prometheus_io_scrape",
            "false",
        );
        let s = steps(&unannotated, &configs);
        assert_eq!(
            (s.len(), s[0].labels.is_none()),
            (1, true),
            "dropped at the first step"
        );
    }

    #[test]
    fn target_labels_one_per_line_or_as_a_selector() {
        assert!(parse_labels("a=\"x\nb").is_err(), "a line without '='");
        assert_eq!(parse_labels("{a=\"1\"}").unwrap().get("a"), Some("1"));
        assert!(parse_labels("1a=b").is_err());
    }
}
