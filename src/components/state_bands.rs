//! State bands: under an alert's graph, one row per alert of the rule with
//! its labels and a band for each span it was pending or firing, on the
//! graph's time axis (the engine's `RuleEngine::timeline` gives the rows).
//!
//! ```ignore
//! view! {
//!     <Graph series start end stacked=false />
//!     <StateBands rows start end />
//! }
//! ```

use leptos::prelude::*;
use o11y_engine::alerting::rules::group::AlertTimeline;

use crate::charts::format_clock_time;
use crate::components::graph::{LEFT, RIGHT, WIDTH, x_of};

/// The height of one alert's row, in `viewBox` units.
const ROW_H: f64 = 30.0;

/// The rows of `start..=end`; each row's `data-state` is the alert's state
/// at `end` (inactive once its last span ended).
#[component]
pub fn StateBands(rows: Vec<AlertTimeline>, start: i64, end: i64) -> impl IntoView {
    let x = x_of(start, end);
    let height = (rows.len().max(1) as f64) * ROW_H + 8.0;
    let bands = rows
        .iter()
        .enumerate()
        .map(|(i, row)| {
            let y = 4.0 + i as f64 * ROW_H;
            let label = row
                .labels
                .iter()
                .filter(|l| l.name != "alertname")
                .map(|l| format!("{}={}", l.name, l.value))
                .collect::<Vec<_>>()
                .join(", ");
            // The state now: the last span's, if it has not ended.
            let last = row.spans.last().filter(|s| s.2 >= end).map_or("inactive", |s| s.0.name());
            let spans = row
                .spans
                .iter()
                .map(|(state, from, to)| {
                    let (x0, x1) = (x(*from), x(*to).max(x(*from) + 2.0));
                    view! {
                        <rect class=format!("band {}", state.name()) x=x0 y=y + 13.0 width=x1 - x0 height=12.0 data-testid="timeline-band" data-state=state.name()>
                            <title>{format!("{} {} – {}", state.name(), format_clock_time(*from), format_clock_time(*to))}</title>
                        </rect>
                    }
                })
                .collect_view();
            view! {
                <g data-testid="timeline-row" data-state=last>
                    <text x=LEFT y=y + 9.0 class="band-label">{shorten(&label, 10)}</text>
                    <line x1=LEFT x2=WIDTH - RIGHT y1=y + 19.0 y2=y + 19.0 class="band-track" />
                    {spans}
                </g>
            }
        })
        .collect_view();
    view! {
        <svg class="bands" viewBox=format!("0 0 {WIDTH} {height}") role="img" aria-label="Alert states over time">
            {bands}
        </svg>
    }
}

/// At most 60 characters of a label list, `…` when cut or longer than
/// `words` labels.
fn shorten(s: &str, words: usize) -> String {
    let short: String = s.chars().take(60).collect();
    if short.len() < s.len() || s.split(", ").count() > words {
        format!("{short}…")
    } else {
        short
    }
}
