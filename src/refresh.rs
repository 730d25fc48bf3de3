//! The one refresh policy. A single timer, every [`TICK_REAL_MS`], advances
//! the demo by the real time that passed (unless its clock is paused) and
//! then counts a [`Tick`]. Advancing does not notify the demo's signal: a
//! view of something that changes with time subscribes to the tick, at
//! the rate it needs, and reads the demo untracked; the demo's signal
//! notifies only when someone edits it (a button, a form, a reset). The
//! tick also counts while the clock is paused, so edits made then still
//! show.
//!
//! A demo made by `Demo::start` shows a preview at once and simulates its
//! history behind it: the same timer starts [`fill_history`], which runs
//! that in slices between frames and notifies the demo when it is whole.
//!
//! ```ignore
//! let every_second = tick.every(1000);
//! let now = move || {
//!     every_second.track();
//!     demo.with_untracked(|d| d.now_ms())
//! };
//! ```

use leptos::prelude::*;
use o11y_engine::demo::Demo;

use crate::timer::{real_now_ms, use_interval};

/// How often the page advances the demo and counts a tick, in real milliseconds.
pub const TICK_REAL_MS: u32 = 250;

/// The ticks counted since the page started; the handle views subscribe with.
#[derive(Clone, Copy)]
pub struct Tick(ReadSignal<u64>);

impl Tick {
    /// Subscribes the running effect or memo to every tick.
    pub fn track(self) {
        self.0.track();
    }

    /// A count that changes once every `period_ms` of real time (rounded
    /// to whole ticks): subscribing to it refreshes at that rate.
    pub fn every(self, period_ms: u32) -> Memo<u64> {
        self.every_signal(Signal::stored(period_ms))
    }

    /// As [`Tick::every`], with a period that may change; a period of 0
    /// never changes the count.
    pub fn every_signal(self, period_ms: Signal<u32>) -> Memo<u64> {
        let ticks = self.0;
        Memo::new(move |_| match u64::from(period_ms.get()) {
            0 => 0,
            period => ticks.get() * u64::from(TICK_REAL_MS) / period,
        })
    }
}

/// Starts the timer that advances `demo` and counts ticks, for as long as
/// the calling component lives; a failed step of the demo goes to `error`.
pub fn use_tick(demo: RwSignal<Demo>, error: RwSignal<Option<String>>) -> Tick {
    let (ticks, set_ticks) = signal(0u64);
    let last_tick_ms = StoredValue::new(real_now_ms());
    let filling = StoredValue::new(false);
    use_interval(Signal::stored(TICK_REAL_MS), move || {
        fill_history(demo, filling);
        let now = real_now_ms();
        let elapsed_ms = now - last_tick_ms.get_value();
        last_tick_ms.set_value(now);
        if !demo.with_untracked(|d| d.clock().is_paused()) {
            let mut failure = None;
            demo.update_untracked(|d| failure = d.tick(elapsed_ms).err());
            if let Some(e) = failure {
                error.set(Some(e.to_string()));
            }
        }
        set_ticks.update(|n| *n += 1);
    });
    Tick(ticks)
}

/// Real time one slice of history simulation may take, in milliseconds:
/// with the page's own work (a tick, a redraw), a frame stays under 50 ms
/// while it fills, with room for a busy machine.
const FILL_SLICE_MS: f64 = 20.0;

/// Simulates the demo's history behind its preview, if it has one and
/// this is not under way already: a slice per task, each stopping before
/// a step that would overrun [`FILL_SLICE_MS`] (judged by the last step's
/// time), so frames are drawn between them. When the history is whole it
/// has taken the preview's place, and the demo notifies its views.
fn fill_history(demo: RwSignal<Demo>, running: StoredValue<bool>) {
    if running.get_value() || !demo.with_untracked(|d| d.is_filling_history()) {
        return;
    }
    running.set_value(true);
    leptos::task::spawn_local(async move {
        let performance = window().performance();
        let now = || performance.as_ref().map_or(0.0, |p| p.now());
        loop {
            gloo_timers::future::TimeoutFuture::new(0).await;
            let deadline = now() + FILL_SLICE_MS;
            let mut last = now();
            let mut stop = || {
                let t = now();
                let step = t - last;
                last = t;
                t + step > deadline
            };
            // A demo replaced meanwhile (a reset) may have none to fill.
            let done = demo
                .try_update_untracked(|d| d.fill_history(&mut stop))
                .unwrap_or(true);
            if done {
                break;
            }
        }
        running.set_value(false);
        crate::perf::mark_once("history-filled");
        demo.notify();
    });
}
