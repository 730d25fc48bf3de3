//! Timings the end-to-end tests read: performance marks and measures
//! (`performance.getEntriesByName(name)`), named by what they time.

use leptos::prelude::window;

/// Marks a moment, for [`measure_since`].
pub fn mark(name: &str) {
    if let Some(p) = window().performance() {
        let _ = p.mark(name);
    }
}

/// Marks the first time this `name` is reached in the page's life.
pub fn mark_once(name: &str) {
    if let Some(p) = window().performance()
        && p.get_entries_by_name(name).length() == 0
    {
        let _ = p.mark(name);
    }
}

/// Records a measure `name` from the mark `start` until now.
pub fn measure_since(name: &str, start: &str) {
    if let Some(p) = window().performance() {
        let end = format!("{name}-end");
        let _ = p.mark(&end);
        let _ = p.measure_with_start_mark_and_end_mark(name, start, &end);
    }
}

/// Runs `f`, recording how long it took as the measure `name`.
pub fn measure<T>(name: &str, f: impl FnOnce() -> T) -> T {
    let start = format!("{name}-start");
    mark(&start);
    let out = f();
    measure_since(name, &start);
    out
}
