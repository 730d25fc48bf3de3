//! Timings the end-to-end tests read: performance marks and measures
//! (`performance.getEntriesByName(name)`), named by what they time. Each
//! name keeps its latest entry only, so a measure taken at every refresh
//! (the Traces page's search, every two seconds) does not pile up entries
//! for as long as the tab is open.

use std::cell::RefCell;

use leptos::prelude::window;

/// Marks a moment, for [`measure_since`], replacing an earlier mark of
/// that name.
pub fn mark(name: &str) {
    if let Some(p) = window().performance() {
        p.clear_marks_with_mark_name(name);
        let _ = p.mark(name);
    }
}

thread_local! {
    /// The names [`mark_once`] has marked.
    static MARKED_ONCE: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
}

/// Marks the first time this `name` is reached in the page's life (later
/// calls cost a look in a short list, not a call into the browser).
pub fn mark_once(name: &str) {
    let first = MARKED_ONCE.with_borrow_mut(|marked| {
        let first = !marked.iter().any(|m| m == name);
        if first {
            marked.push(name.to_string());
        }
        first
    });
    if first && let Some(p) = window().performance() {
        let _ = p.mark(name);
    }
}

/// Records a measure `name` from the mark `start` until now, replacing an
/// earlier measure of that name.
pub fn measure_since(name: &str, start: &str) {
    if let Some(p) = window().performance() {
        let end = format!("{name}-end");
        mark(&end);
        p.clear_measures_with_measure_name(name);
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
