//! `sum(rate(…))` as a range query, what the live panels draw: series
//! summed per step, and steps where no series has a rate left out.

use o11y_metrics::store::{Sample, SeriesStore};
use o11y_metrics::tsdb::Tsdb;
use o11y_model::labels::Labels;

#[test]
fn sum_of_rates_sums_series_and_skips_empty_steps() {
    let mut store = Tsdb::default();
    for route in ["/a", "/b"] {
        let l = Labels::new([("__name__", "req_total"), ("route", route)]);
        for i in 0..=8 {
            let sample = Sample {
                ts_ms: i * 15_000,
                value: (i * 30) as f64,
            };
            store.append(&l, sample).unwrap();
        }
    }
    let expr = o11y_promql::parse("sum(rate(req_total[1m]))").unwrap();
    let series = o11y_promql::eval::range_query(&store, &expr, 0, 120_000, 15_000).unwrap();
    let points: Vec<(i64, f64)> = series[0]
        .samples
        .iter()
        .map(|p| (p.ts_ms, p.value))
        .collect();
    // At t=0 the window holds one sample per series: no point.
    assert_eq!(points.first().map(|p| p.0), Some(15_000));
    for (_, v) in &points[3..] {
        assert!((v - 4.0).abs() < 1e-9, "{v}");
    }
}
