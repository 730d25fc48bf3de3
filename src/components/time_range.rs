//! The time-range picker: a row of buttons, one per range. The one rule
//! for the step of a query over a range is the engine's
//! `chart::Resolution`, re-exported here beside the picker.
//!
//! ```ignore
//! let range_ms = RwSignal::new(900_000);
//! view! { <RangePicker ranges=ExploreUrl::RANGES.to_vec() range=range_ms testid_prefix=Some("range-") /> }
//! let step_ms = Resolution::GRAPH.step_ms(range_ms.get_untracked()); // 15 s
//! ```

use leptos::prelude::*;

pub use o11y_engine::chart::Resolution;

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
