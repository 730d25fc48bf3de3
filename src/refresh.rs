//! The one refresh policy. A single timer, every [`TICK_REAL_MS`], advances
//! the demo by the real time that passed (unless its clock is paused) and
//! then counts a [`Tick`]. Advancing does not notify the demo's signal: a
//! view of something that changes with time subscribes to the tick, at
//! the rate it needs, and reads the demo untracked; the demo's signal
//! notifies only when someone edits it (a button, a form, a reset). The
//! tick also counts while the clock is paused, so edits made then still
//! show.
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
    use_interval(Signal::stored(TICK_REAL_MS), move || {
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
