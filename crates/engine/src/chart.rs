//! Chart geometry: what to draw, independent of how it is drawn.
//!
//! The app's drawing code (generic over a plotters backend) asks this module
//! for the y range, the per-pixel reduction of a series, the colour a
//! threshold gives a value, the points of (stacked) lines and the one step
//! rule for a query over a range, so that geometry is tested without a
//! canvas.
//!
//! ```
//! use o11y_engine::chart::{nice_ceiling, Thresholds, ThresholdColor};
//!
//! assert_eq!(nice_ceiling(17.3), 20.0);
//! let t = Thresholds::error_ratio();
//! assert_eq!(t.color_for(0.02), ThresholdColor::Yellow);
//! ```

use o11y_promql::eval::RangeSeries;

/// The smallest "nice" number (1, 2, 2.5 or 5 × 10ⁿ) at or above `v`; 1 for
/// values that are not positive and finite.
pub fn nice_ceiling(v: f64) -> f64 {
    if !(v.is_finite() && v > 0.0) {
        return 1.0;
    }
    let magnitude = 10f64.powf(v.log10().floor());
    for m in [1.0, 2.0, 2.5, 5.0, 10.0] {
        let nice = m * magnitude;
        // Tolerate rounding in `magnitude` for exact powers of ten.
        if nice >= v * (1.0 - 1e-12) {
            return nice;
        }
    }
    10.0 * magnitude
}

/// One pixel column of a series: where it enters, its extremes, where it leaves.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Column {
    pub px: u32,
    pub first: f64,
    pub min: f64,
    pub max: f64,
    pub last: f64,
}

/// Reduces points (sorted by time) to at most one [`Column`] per pixel of a
/// plot `width_px` wide showing `x_start_ms..=x_end_ms`, so drawing costs the
/// same for a million points as for a thousand. Non-finite values and points
/// outside the range are skipped.
pub fn reduce_to_columns(
    points: &[(i64, f64)],
    x_start_ms: i64,
    x_end_ms: i64,
    width_px: u32,
) -> Vec<Column> {
    let mut columns: Vec<Column> = Vec::new();
    if width_px == 0 || x_end_ms <= x_start_ms {
        return columns;
    }
    let span = (x_end_ms - x_start_ms) as f64;
    let last_px = width_px - 1;
    for &(t, v) in points {
        if t < x_start_ms || t > x_end_ms || !v.is_finite() {
            continue;
        }
        let px = (((t - x_start_ms) as f64 / span) * last_px as f64).round() as u32;
        match columns.last_mut() {
            Some(c) if c.px == px => {
                c.min = c.min.min(v);
                c.max = c.max.max(v);
                c.last = v;
            }
            _ => columns.push(Column {
                px,
                first: v,
                min: v,
                max: v,
                last: v,
            }),
        }
    }
    columns
}

/// The colour a threshold step gives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ThresholdColor {
    Green,
    Yellow,
    Red,
}

impl ThresholdColor {
    pub fn name(self) -> &'static str {
        match self {
            ThresholdColor::Green => "green",
            ThresholdColor::Yellow => "yellow",
            ThresholdColor::Red => "red",
        }
    }
}

/// Grafana-style absolute thresholds: a base colour, then steps that apply
/// from their value upwards.
#[derive(Clone, Debug, PartialEq)]
pub struct Thresholds {
    pub base: ThresholdColor,
    /// `(from_value, colour)`, ascending by value.
    pub steps: Vec<(f64, ThresholdColor)>,
}

impl Thresholds {
    /// Green below 1 %, yellow from 1 %, red from 5 %: the error-rate panel's.
    pub fn error_ratio() -> Thresholds {
        Thresholds {
            base: ThresholdColor::Green,
            steps: vec![(0.01, ThresholdColor::Yellow), (0.05, ThresholdColor::Red)],
        }
    }

    /// The colour of the highest step at or below `value` (the base below all).
    pub fn color_for(&self, value: f64) -> ThresholdColor {
        self.steps
            .iter()
            .take_while(|(from, _)| value >= *from)
            .last()
            .map_or(self.base, |(_, color)| *color)
    }
}

/// One bar of a bar-drawn time series: its time, and the values its
/// bottom and top stand at.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Bar {
    pub ts_ms: i64,
    pub base: f64,
    pub top: f64,
    /// Where the bar sits in its time slot: 0 and a width of 1 when
    /// stacked; the series' own part of the slot when side by side.
    pub slot: usize,
    pub slots: usize,
}

/// Bars for each series' points (already stacked when `stacked`, as a
/// stacked graph's lines are): stacked bars stand on the series below at
/// the same time, others stand on zero side by side.
pub fn bars(lines: &[Vec<(i64, f64)>], stacked: bool) -> Vec<Vec<Bar>> {
    let mut below: std::collections::HashMap<i64, f64> = Default::default();
    let slots = if stacked { 1 } else { lines.len().max(1) };
    lines
        .iter()
        .enumerate()
        .map(|(i, points)| {
            points
                .iter()
                .map(|&(ts_ms, top)| {
                    let base = if stacked {
                        below.insert(ts_ms, top).unwrap_or(0.0)
                    } else {
                        0.0
                    };
                    Bar {
                        ts_ms,
                        base,
                        top,
                        slot: if stacked { 0 } else { i },
                        slots,
                    }
                })
                .collect()
        })
        .collect()
}

/// The smallest gap between two of the times, the width a bar's slot can
/// take without overlapping the next; `fallback` when there are fewer
/// than two times.
pub fn min_gap(times: &[i64], fallback: i64) -> i64 {
    times
        .windows(2)
        .map(|w| w[1] - w[0])
        .filter(|g| *g > 0)
        .min()
        .unwrap_or(fallback)
}

/// How many points a range query draws.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Resolution {
    /// About this many points over the range.
    pub points: i64,
    /// Never finer than this step.
    pub min_step_ms: i64,
    /// The step is a whole number of these.
    pub unit_ms: i64,
}

impl Resolution {
    /// PromQL graphs: about 250 points, never finer than the 15 s scrape
    /// interval, in whole seconds.
    pub const GRAPH: Resolution = Resolution {
        points: 250,
        min_step_ms: 15_000,
        unit_ms: 1_000,
    };
    /// Metric queries over logs: about 100 points, never finer than a
    /// second, in milliseconds.
    pub const LOG_METRICS: Resolution = Resolution {
        points: 100,
        min_step_ms: 1_000,
        unit_ms: 1,
    };

    /// The step of a query over `range_ms`.
    pub fn step_ms(self, range_ms: i64) -> i64 {
        let unit_ms = self.unit_ms.max(1);
        (range_ms / self.points.max(1)).max(self.min_step_ms) / unit_ms * unit_ms
    }
}

/// The points a graph draws of each series of a range query: the first
/// `max` series, finite values only, as (time, value) pairs; stacked, each
/// series sits on the sum of the ones before it at the same time.
pub fn lines(series: &[RangeSeries], max: usize, stacked: bool) -> Vec<Vec<(i64, f64)>> {
    let mut out: Vec<Vec<(i64, f64)>> = series
        .iter()
        .take(max)
        .map(|s| {
            s.samples
                .iter()
                .filter(|p| p.value.is_finite())
                .map(|p| (p.ts_ms, p.value))
                .collect()
        })
        .collect();
    if stacked {
        let mut below: std::collections::HashMap<i64, f64> = Default::default();
        for points in out.iter_mut() {
            for p in points.iter_mut() {
                let base = below.entry(p.0).or_insert(0.0);
                p.1 += *base;
                *base = p.1;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nice_ceilings() {
        for (v, nice) in [
            (0.7, 1.0),
            (1.0, 1.0),
            (1.1, 2.0),
            (2.2, 2.5),
            (3.0, 5.0),
            (7.0, 10.0),
            (100.0, 100.0),
            (0.013, 0.02),
        ] {
            assert_eq!(nice_ceiling(v), nice, "{v}");
        }
        assert_eq!(nice_ceiling(f64::NAN), 1.0);
        assert_eq!(nice_ceiling(-3.0), 1.0);
    }

    #[test]
    fn columns_keep_extremes() {
        let points: Vec<(i64, f64)> = (0..1000)
            .map(|i| (i, if i == 500 { 99.0 } else { (i % 7) as f64 }))
            .collect();
        let columns = reduce_to_columns(&points, 0, 999, 10);
        assert_eq!(columns.len(), 10);
        assert!(columns.iter().any(|c| c.max == 99.0));
        assert!(columns.iter().all(|c| c.min == 0.0));
        assert_eq!(columns[0].first, 0.0);
    }

    #[test]
    fn columns_skip_outside_and_non_finite() {
        let points = [(-5, 1.0), (0, f64::NAN), (5, 2.0), (20, 3.0)];
        let columns = reduce_to_columns(&points, 0, 10, 11);
        assert_eq!(
            columns,
            [Column {
                px: 5,
                first: 2.0,
                min: 2.0,
                max: 2.0,
                last: 2.0
            }]
        );
        assert!(reduce_to_columns(&points, 10, 10, 11).is_empty());
    }

    #[test]
    fn thresholds_apply_from_their_value() {
        let t = Thresholds::error_ratio();
        assert_eq!(t.color_for(0.0), ThresholdColor::Green);
        assert_eq!(t.color_for(0.01), ThresholdColor::Yellow);
        assert_eq!(t.color_for(0.049), ThresholdColor::Yellow);
        assert_eq!(t.color_for(0.05), ThresholdColor::Red);
        assert_eq!(t.color_for(f64::NAN), ThresholdColor::Green);
    }

    #[test]
    fn bars_stand_on_zero_or_on_the_series_below() {
        let lines = vec![vec![(0, 1.0), (15, 2.0)], vec![(0, 3.0), (15, 2.5)]];
        let side = bars(&lines, false);
        assert_eq!(
            (
                side[1][0].base,
                side[1][0].top,
                side[1][0].slot,
                side[1][0].slots
            ),
            (0.0, 3.0, 1, 2)
        );
        // Stacked lines are cumulative already: 1 then 1+2=3 at t=0.
        let stacked = bars(&lines, true);
        assert_eq!(
            (stacked[1][0].base, stacked[1][0].top, stacked[1][0].slots),
            (1.0, 3.0, 1)
        );
        assert_eq!(stacked[1][1].base, 2.0);
        assert_eq!(min_gap(&[0, 15, 45], 7), 15);
        assert_eq!(min_gap(&[5], 7), 7);
    }

    #[test]
    fn graph_steps_are_the_scrape_interval_until_the_range_needs_fewer_points() {
        let graph = |range_ms| Resolution::GRAPH.step_ms(range_ms);
        // Explore's ranges, and the alert timeline's (15m, 30m, 1h).
        assert_eq!(graph(300_000), 15_000);
        assert_eq!(graph(900_000), 15_000);
        assert_eq!(graph(1_800_000), 15_000);
        assert_eq!(graph(3_600_000), 15_000);
        assert_eq!(graph(6 * 3_600_000), 86_000);
        assert_eq!(graph(24 * 3_600_000), 345_000);
    }

    #[test]
    fn log_metric_steps_are_a_hundredth_of_the_range_at_least_a_second() {
        let logs = |range_ms| Resolution::LOG_METRICS.step_ms(range_ms);
        assert_eq!(logs(300_000), 3_000);
        assert_eq!(logs(3_600_000), 36_000);
        assert_eq!(logs(50_000), 1_000);
        assert_eq!(logs(123_456), 1_234);
    }

    #[test]
    fn stacked_lines_sit_on_the_ones_before() {
        use o11y_metrics::store::Sample;
        use o11y_model::labels::Labels;
        let series = |v: &[(i64, f64)]| o11y_promql::eval::RangeSeries {
            labels: Labels::default(),
            samples: v
                .iter()
                .map(|&(ts_ms, value)| Sample { ts_ms, value })
                .collect(),
            histograms: Vec::new(),
        };
        let s = [
            series(&[(0, 1.0), (15, f64::NAN), (30, 2.0)]),
            series(&[(0, 10.0), (30, 20.0)]),
            series(&[(0, 100.0)]),
        ];
        assert_eq!(
            lines(&s, 2, false),
            [vec![(0, 1.0), (30, 2.0)], vec![(0, 10.0), (30, 20.0)]]
        );
        assert_eq!(lines(&s, 3, true)[1], [(0, 11.0), (30, 22.0)]);
        assert_eq!(lines(&s, 3, true)[2], [(0, 111.0)]);
    }
}
