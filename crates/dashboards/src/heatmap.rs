//! Histogram buckets as a heatmap's rows: series in the order of their
//! `le` label, and cumulative buckets turned into the count in each
//! bucket, as Grafana's Prometheus data source does for a query whose
//! format is `heatmap`.

use o11y_promql::eval::RangeSeries;

/// Series in the order of their `le` label, lowest bucket first (`+Inf`
/// and series without one last): a heatmap's rows from the bottom.
pub fn sort_by_le(series: &mut [RangeSeries]) {
    let le = |s: &RangeSeries| {
        s.labels
            .get("le")
            .and_then(o11y_model::number::parse_float)
            .unwrap_or(f64::INFINITY)
    };
    o11y_model::sort::sort_by(&mut series[..], |a, b| le(a).total_cmp(&le(b)));
}

/// Cumulative histogram buckets (series with an `le` label) as the count
/// in each bucket, as Grafana's Prometheus data source turns a `heatmap`
/// format query: sorted by `le`, each bucket less the one below it at
/// the same time (never below 0).
pub fn buckets_to_counts(series: &mut [RangeSeries]) {
    sort_by_le(series);
    for i in (1..series.len()).rev() {
        let (below, above) = series.split_at_mut(i);
        let below = &below[i - 1].samples;
        for point in &mut above[0].samples {
            if let Ok(j) = below.binary_search_by_key(&point.ts_ms, |b| b.ts_ms) {
                point.value = (point.value - below[j].value).max(0.0);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::export::export;
    use crate::import::import;
    use o11y_model::labels::Labels;

    #[test]
    fn heatmap_buckets_become_counts_per_bucket() {
        use o11y_metrics::store::Sample;
        let bucket = |le: &str, values: &[(i64, f64)]| RangeSeries {
            labels: Labels::new([("le", le)]),
            samples: values
                .iter()
                .map(|&(ts_ms, value)| Sample { ts_ms, value })
                .collect(),
            histograms: Vec::new(),
        };
        // Grafana's own example: 10, 20, 30 cumulative are 10 in each.
        let mut s = vec![
            bucket("+Inf", &[(0, 35.0), (1, 10.0)]),
            bucket("0.1", &[(0, 10.0), (1, 10.0)]),
            bucket("0.5", &[(0, 30.0), (1, 10.0)]),
        ];
        buckets_to_counts(&mut s);
        let got: Vec<(&str, Vec<f64>)> = s
            .iter()
            .map(|x| {
                (
                    x.labels.get("le").unwrap(),
                    x.samples.iter().map(|p| p.value).collect(),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                ("0.1", vec![10.0, 10.0]),
                ("0.5", vec![20.0, 0.0]),
                ("+Inf", vec![5.0, 0.0])
            ]
        );
        let json = r#"{"panels": [{"type": "heatmap", "title": "H",
          "targets": [{"expr": "sum by (le) (rate(x_bucket[$__rate_interval]))", "format": "heatmap", "legendFormat": "{{le}}"}]}]}"#;
        let (d, _) = import(json).unwrap();
        assert_eq!(d.panels[0].targets[0].format.as_str(), "heatmap");
        assert_eq!(import(&export(&d)).unwrap().0, d);
    }
}
