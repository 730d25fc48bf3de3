//! Time as Grafana writes it: intervals (`30s`, `5m`, `1h`), relative
//! ranges (`now-6h`), the quick ranges and refresh choices, and the
//! built-in intervals of a panel (`$__interval`, `$__rate_interval`)
//! with the window its queries read, computed from the range and the
//! panel's width as Grafana computes them.
//!
//! ```
//! use o11y_dashboards::vars::{Intervals, interval_text};
//! // A 1 h range over a 600 px panel, 15 s scrapes: Grafana's 15 s step.
//! let i = Intervals::for_panel(3_600_000, 600, None, 15_000);
//! assert_eq!((interval_text(i.interval_ms), i.rate_interval_ms), ("15s".to_string(), 60_000));
//! ```

use crate::model::Panel;

/// Grafana's minimum step when nothing else is set: the scrape interval.
pub const SCRAPE_INTERVAL_MS: i64 = 15_000;

/// Grafana's "safe resolution": a step never makes more points than this.
const SAFE_RESOLUTION: i64 = 11_000;

/// Grafana's rounding of a computed interval to a readable one.
pub fn round_interval(ms: i64) -> i64 {
    const TABLE: [(i64, i64); 28] = [
        (10, 1),
        (15, 10),
        (35, 20),
        (75, 50),
        (150, 100),
        (350, 200),
        (750, 500),
        (1_500, 1_000),
        (3_500, 2_000),
        (7_500, 5_000),
        (12_500, 10_000),
        (17_500, 15_000),
        (25_000, 20_000),
        (45_000, 30_000),
        (90_000, 60_000),
        (210_000, 120_000),
        (450_000, 300_000),
        (750_000, 600_000),
        (1_050_000, 900_000),
        (1_500_000, 1_200_000),
        (2_700_000, 1_800_000),
        (5_400_000, 3_600_000),
        (9_000_000, 7_200_000),
        (16_200_000, 10_800_000),
        (32_400_000, 21_600_000),
        (86_400_000, 43_200_000),
        (604_800_000, 86_400_000),
        (1_814_400_000, 604_800_000),
    ];
    if ms < 3_628_800_000 {
        TABLE
            .iter()
            .find(|(below, _)| ms < *below)
            .map_or(2_592_000_000, |(_, r)| *r)
    } else {
        31_536_000_000
    }
}

/// An interval as Grafana writes `$__interval`: its largest whole unit
/// (`15s`, `1m`, `2h`, `1d`).
pub fn interval_text(ms: i64) -> String {
    const UNITS: [(i64, &str); 6] = [
        (31_536_000_000, "y"),
        (86_400_000, "d"),
        (3_600_000, "h"),
        (60_000, "m"),
        (1_000, "s"),
        (1, "ms"),
    ];
    UNITS
        .iter()
        .find(|(u, _)| ms >= *u)
        .map_or("1ms".to_string(), |(u, name)| format!("{}{name}", ms / u))
}

/// A duration as Go's `time.Duration.String()` writes it (`1m0s`,
/// `1h2m3s`, `500ms`): how Grafana writes `$__rate_interval`.
pub fn go_duration(ms: i64) -> String {
    o11y_model::duration::format_go_duration(i128::from(ms) * 1_000_000)
}

/// A Grafana interval (`30s`, `5m`, `1h`, `1d`, `1w`, `500ms`, a bare
/// number of seconds) in milliseconds.
pub fn parse_interval(text: &str) -> Option<i64> {
    let t = text.trim();
    if let Ok(secs) = t.parse::<f64>() {
        return (secs.is_finite() && secs > 0.0).then_some((secs * 1_000.0) as i64);
    }
    let split = t.find(|c: char| !c.is_ascii_digit())?;
    let (n, unit) = t.split_at(split);
    let n: i64 = n.parse().ok()?;
    let unit_ms = match unit {
        "ms" => 1,
        "s" => 1_000,
        "m" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        "w" => 604_800_000,
        "M" => 2_592_000_000,
        "y" => 31_536_000_000,
        _ => return None,
    };
    n.checked_mul(unit_ms).filter(|ms| *ms > 0)
}

/// A dashboard's relative `time.from` (`now-1h`, `now-7d`) as the range's
/// length in milliseconds; `None` for what the page does not read
/// (absolute times, rounding such as `now/d`).
pub fn relative_range_ms(from: &str) -> Option<i64> {
    parse_interval(from.trim().strip_prefix("now-")?).filter(|_| !from.contains('/'))
}

/// Grafana's quick ranges, as the page offers them.
pub const QUICK_RANGES: [(&str, &str); 10] = [
    ("now-5m", "Last 5 minutes"),
    ("now-15m", "Last 15 minutes"),
    ("now-30m", "Last 30 minutes"),
    ("now-1h", "Last 1 hour"),
    ("now-3h", "Last 3 hours"),
    ("now-6h", "Last 6 hours"),
    ("now-12h", "Last 12 hours"),
    ("now-24h", "Last 24 hours"),
    ("now-2d", "Last 2 days"),
    ("now-7d", "Last 7 days"),
];

/// Grafana's auto-refresh choices (empty: off).
pub const REFRESH_INTERVALS: [&str; 8] = ["", "5s", "10s", "30s", "1m", "5m", "15m", "1h"];

/// The step of a panel's queries and the intervals its expressions read.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Intervals {
    /// The range's length.
    pub range_ms: i64,
    /// `$__interval`, the query's step.
    pub interval_ms: i64,
    /// `$__rate_interval`.
    pub rate_interval_ms: i64,
}

impl Intervals {
    /// As Grafana's Prometheus data source computes them for a range of
    /// `range_ms` drawn over `max_points` points (the panel's
    /// `maxDataPoints`, or its width in pixels), no finer than the panel's
    /// `interval` (else the scrape interval): the range over the points,
    /// rounded to a readable interval, at least that minimum and at least
    /// the range over 11,000; `$__rate_interval` is the larger of that plus
    /// one scrape and four scrapes.
    pub fn for_panel(
        range_ms: i64,
        max_points: u64,
        min_interval_ms: Option<i64>,
        scrape_ms: i64,
    ) -> Intervals {
        let range_ms = range_ms.max(1);
        let low = min_interval_ms.unwrap_or(scrape_ms).max(1);
        let by_points = round_interval(range_ms / (max_points.max(1) as i64).max(1));
        let interval = by_points.max(low);
        let safe = round_interval(range_ms / SAFE_RESOLUTION);
        let step = interval.max(safe);
        Intervals {
            range_ms,
            interval_ms: step,
            rate_interval_ms: interval
                .saturating_add(scrape_ms)
                .max(scrape_ms.saturating_mul(4)),
        }
    }
}

/// The times of one panel's queries: Grafana's step for its width, and
/// the range aligned to it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct QueryWindow {
    pub start_ms: i64,
    pub end_ms: i64,
    pub step_ms: i64,
    /// The time an instant query (stat, gauge, table) reads.
    pub now_ms: i64,
    pub intervals: Intervals,
}

impl Panel {
    /// Where this panel's queries look at `now_ms` for a dashboard range
    /// of `range_ms`, the panel being `width_px` wide: the step is
    /// `$__interval` (from `maxDataPoints`, else the width, and the
    /// panel's min interval), and start and end are rounded down to it as
    /// Grafana's Prometheus data source rounds them.
    pub fn query_window(&self, now_ms: i64, range_ms: i64, width_px: u64) -> QueryWindow {
        let intervals = Intervals::for_panel(
            range_ms,
            self.max_data_points.unwrap_or(width_px),
            parse_interval(&self.min_interval),
            SCRAPE_INTERVAL_MS,
        );
        let step = intervals.interval_ms;
        QueryWindow {
            start_ms: now_ms.saturating_sub(range_ms).div_euclid(step) * step,
            end_ms: now_ms.div_euclid(step) * step,
            step_ms: step,
            now_ms,
            intervals,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals_are_grafanas() {
        let check = |range_ms, points, min: Option<i64>, step: &str, rate: &str| {
            let i = Intervals::for_panel(range_ms, points, min, SCRAPE_INTERVAL_MS);
            assert_eq!(
                (
                    interval_text(i.interval_ms),
                    go_duration(i.rate_interval_ms)
                ),
                (step.to_string(), rate.to_string()),
                "{range_ms} ms over {points} points"
            );
        };
        check(3_600_000, 600, None, "15s", "1m0s");
        check(86_400_000, 600, None, "2m", "2m15s");
        check(604_800_000, 1_000, None, "10m", "10m15s");
        check(3_600_000, 600, Some(60_000), "1m", "1m15s");
        // Never more than 11,000 points, whatever the width.
        check(604_800_000, 1_000_000, None, "1m", "1m0s");
        assert_eq!(round_interval(6_000), 5_000);
        assert_eq!(round_interval(4_000_000_000), 31_536_000_000);
        assert_eq!(interval_text(90_000), "1m");
        assert_eq!(go_duration(7_200_000), "2h0m0s");
        assert_eq!(go_duration(1_500), "1.5s");
        assert_eq!(go_duration(500), "500ms");
        assert_eq!(parse_interval("1w"), Some(604_800_000));
        assert_eq!(parse_interval("30"), Some(30_000));
        assert_eq!(parse_interval("1x"), None);
        assert_eq!(relative_range_ms("now-6h"), Some(21_600_000));
        assert_eq!(relative_range_ms("now-1d/d"), None);
        assert_eq!(relative_range_ms("2024-01-01"), None);
    }

    #[test]
    fn a_panel_window_is_aligned_to_its_step() {
        let mut p = crate::overview::service_overview(&["a".into()]).panels[0].clone();
        let w = p.query_window(3_601_234, 3_600_000, 600);
        assert_eq!((w.start_ms, w.end_ms, w.step_ms), (0, 3_600_000, 15_000));
        p.max_data_points = Some(10);
        p.min_interval = "1m".into();
        let w = p.query_window(3_601_234, 3_600_000, 600);
        assert_eq!((w.start_ms, w.end_ms, w.step_ms), (0, 3_600_000, 300_000));
    }
}
