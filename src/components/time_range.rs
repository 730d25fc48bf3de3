//! The time-range picker (a row of buttons, one per range) and the one
//! rule for the step of a query over a range: about [`Resolution::points`]
//! points, never finer than [`Resolution::min_step_ms`], in whole
//! [`Resolution::unit_ms`].
//!
//! ```ignore
//! let range_ms = RwSignal::new(900_000);
//! view! { <RangePicker ranges=ExploreUrl::RANGES.to_vec() range=range_ms testid_prefix=Some("range-") /> }
//! let step_ms = Resolution::GRAPH.step_ms(range_ms.get_untracked()); // 15 s
//! ```

use leptos::prelude::*;

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

/// A button per range (`(value, label)`), the chosen one marked `active`.
/// Each button's test id is `testid_prefix` and its label, when given.
#[component]
pub fn RangePicker<T>(
    ranges: Vec<(T, &'static str)>,
    range: RwSignal<T>,
    #[prop(default = None)] testid_prefix: Option<&'static str>,
    /// The group's CSS class.
    #[prop(default = "segmented")]
    class: &'static str,
) -> impl IntoView
where
    T: Copy + PartialEq + Send + Sync + 'static,
{
    let buttons = ranges
        .into_iter()
        .map(|(value, label)| {
            view! {
                <button
                    class:active=move || range.get() == value
                    data-testid=testid_prefix.map(|p| format!("{p}{label}"))
                    on:click=move |_| range.set(value)
                >
                    {label}
                </button>
            }
        })
        .collect_view();
    view! {
        <div class=class role="group" aria-label="Range">
            {buttons}
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
