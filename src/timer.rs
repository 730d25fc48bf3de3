//! Real time in the page: the wall clock, and timers as hooks cleared with
//! the component that made them. The engine never reads real time; the
//! page reads it to drive the virtual clock and to query a real
//! Prometheus, which lives in real time.

use gloo_timers::callback::Interval;
use leptos::prelude::*;
use send_wrapper::SendWrapper;

/// Real wall-clock time, in milliseconds since the epoch.
pub fn real_now_ms() -> f64 {
    js_sys::Date::now()
}

/// Calls `callback` every `period_ms` milliseconds while the calling
/// component lives (never while the period is 0). When the period
/// changes, the previous interval is cleared before the next one starts,
/// so there is only ever one.
pub fn use_interval(period_ms: Signal<u32>, callback: impl Fn() + Clone + 'static) {
    // The browser runs everything on one thread; SendWrapper lets the
    // `!Send` interval live in Leptos's thread-safe storage.
    let handle: StoredValue<Option<SendWrapper<Interval>>> = StoredValue::new(None);
    Effect::new(move |_| {
        let period_ms = period_ms.get();
        let callback = callback.clone();
        // Dropping an `Interval` clears it.
        handle.set_value(None);
        if period_ms == 0 {
            return;
        }
        let interval = Interval::new(period_ms, callback);
        handle.set_value(Some(SendWrapper::new(interval)));
    });
    on_cleanup(move || handle.set_value(None));
}
