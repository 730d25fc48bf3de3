//! The live demo the page opens with: a clock, a simulator and a store, bundled.
//!
//! The UI holds one [`Demo`] in a signal, calls [`Demo::tick`] from a timer
//! with the real time that passed, and reads the series it draws from
//! [`Demo::requests_per_second`] and [`Demo::error_ratio`]. Everything here is
//! plain data, so the same calls are tested natively.

use crate::clock::VirtualClock;
use crate::labels::{MatchOp, Matcher};
use crate::query::sum_rate_range;
use crate::sim::{SimConfig, SimError, Simulator};
use crate::store::AppendError;
use crate::tsdb::Tsdb;

/// Settings of the demo and of what it shows.
#[derive(Clone, Debug, PartialEq)]
pub struct DemoConfig {
    pub sim: SimConfig,
    /// Simulated instantly before the first frame, so the chart starts full.
    /// Longer than the window by more than a rate range, so the service's
    /// start (counters appearing) is not in view.
    pub backfill_ms: i64,
    /// How much history the chart shows, ending now.
    pub window_ms: i64,
    /// The range of the `rate(...[range])` behind both panels.
    pub rate_range_ms: i64,
    /// The resolution of the chart's range query.
    pub step_ms: i64,
    /// The longest real pause a single tick simulates; a tab that slept
    /// longer catches up only this much, so a tick never freezes the page.
    pub max_tick_real_ms: f64,
}

impl Default for DemoConfig {
    fn default() -> Self {
        DemoConfig {
            sim: SimConfig::default(),
            backfill_ms: 12 * 60_000,
            window_ms: 10 * 60_000,
            rate_range_ms: 60_000,
            step_ms: 15_000,
            max_tick_real_ms: 5_000.0,
        }
    }
}

/// What can go wrong while the demo runs.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum DemoError {
    /// Occurs when the simulator's settings are invalid.
    #[error(transparent)]
    Sim(#[from] SimError),
    /// Occurs when the store refuses a scraped sample (a limit was hit).
    #[error(transparent)]
    Store(#[from] AppendError),
}

/// A running demo.
#[derive(Clone, Debug)]
pub struct Demo {
    config: DemoConfig,
    clock: VirtualClock,
    sim: Simulator,
    store: Tsdb,
}

impl Demo {
    /// A demo whose virtual clock reads `now_ms`, with `backfill_ms` of
    /// history already simulated. Falls back to the default simulator
    /// settings if `config.sim` is invalid.
    pub fn new(config: DemoConfig, now_ms: i64) -> Demo {
        Demo::try_new(config, now_ms).unwrap_or_else(|_| {
            Demo::try_new(DemoConfig::default(), now_ms).expect("default demo settings are valid")
        })
    }

    /// Like [`Demo::new`], but reports invalid settings.
    pub fn try_new(config: DemoConfig, now_ms: i64) -> Result<Demo, DemoError> {
        let start_ms = now_ms.saturating_sub(config.backfill_ms.max(0));
        let mut sim = Simulator::new(config.sim.clone(), start_ms)?;
        let mut store = Tsdb::default();
        sim.advance_to(now_ms, &mut store)?;
        Ok(Demo {
            clock: VirtualClock::new(now_ms),
            config,
            sim,
            store,
        })
    }

    pub fn now_ms(&self) -> i64 {
        self.clock.now_ms()
    }

    pub fn clock(&self) -> &VirtualClock {
        &self.clock
    }

    pub fn clock_mut(&mut self) -> &mut VirtualClock {
        &mut self.clock
    }

    pub fn simulator(&self) -> &Simulator {
        &self.sim
    }

    pub fn simulator_mut(&mut self) -> &mut Simulator {
        &mut self.sim
    }

    pub fn store(&self) -> &Tsdb {
        &self.store
    }

    /// Lets `real_elapsed_ms` of real time pass (scaled by the clock's speed).
    pub fn tick(&mut self, real_elapsed_ms: f64) -> Result<(), DemoError> {
        let elapsed = real_elapsed_ms.min(self.config.max_tick_real_ms);
        let now = self.clock.advance_real(elapsed);
        self.sim.advance_to(now, &mut self.store)?;
        Ok(())
    }

    /// The time range the chart shows: `window_ms` ending now.
    pub fn window(&self) -> (i64, i64) {
        let now = self.now_ms();
        (now - self.config.window_ms, now)
    }

    /// `sum(rate(http_requests_total[1m]))` over the window, at steps
    /// aligned to multiples of `step_ms`.
    pub fn requests_per_second(&self) -> Vec<(i64, f64)> {
        let (start, end) = self.window();
        let step = self.config.step_ms.max(1);
        let first_step = start.div_euclid(step) * step + step;
        let matchers = [Matcher::metric("http_requests_total")];
        sum_rate_range(
            &self.store,
            &matchers,
            self.config.rate_range_ms,
            first_step,
            end,
            step,
        )
    }

    /// `sum(rate(http_requests_total{status=~"5.."}[1m])) / sum(rate(http_requests_total[1m]))`
    /// now; `None` when no request was served in the range.
    pub fn error_ratio(&self) -> Option<f64> {
        let now = self.now_ms();
        let range = self.config.rate_range_ms;
        let all = [Matcher::metric("http_requests_total")];
        let total = sum_rate_range(&self.store, &all, range, now, now, 1)
            .first()?
            .1;
        if total <= 0.0 {
            return None;
        }
        let server_errors =
            Matcher::new(MatchOp::Regex, "status", "5..").expect("static regex compiles");
        let errors_selector = [Matcher::metric("http_requests_total"), server_errors];
        let errors = sum_rate_range(&self.store, &errors_selector, range, now, now, 1)
            .first()
            .map_or(0.0, |p| p.1);
        Some(errors / total)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn starts_backfilled() {
        let demo = Demo::new(DemoConfig::default(), 1_800_000);
        let points = demo.requests_per_second();
        let (start, end) = demo.window();
        assert!(points.len() >= 30, "{}", points.len());
        assert!(points.iter().all(|(t, _)| (start..=end).contains(t)));
        // About 20 req/s from the first point on: no start-up ramp in view.
        for (_, rate) in &points {
            assert!((12.0..28.0).contains(rate), "about 20 req/s, got {rate}");
        }
        let ratio = demo.error_ratio().unwrap();
        assert!(ratio < 0.05, "{ratio}");
    }

    #[test]
    fn raising_the_error_ratio_shows_in_the_stat() {
        let mut demo = Demo::new(DemoConfig::default(), 1_800_000);
        demo.simulator_mut().set_error_ratio(0.2);
        demo.clock_mut().set_speed(100.0);
        demo.tick(1_000.0).unwrap(); // 100 s of virtual time
        let ratio = demo.error_ratio().unwrap();
        assert!((0.1..0.3).contains(&ratio), "{ratio}");
    }

    #[test]
    fn paused_demo_does_not_move() {
        let mut demo = Demo::new(DemoConfig::default(), 1_800_000);
        demo.clock_mut().pause();
        let before = demo.requests_per_second();
        demo.tick(10_000.0).unwrap();
        assert_eq!(demo.now_ms(), 1_800_000);
        assert_eq!(demo.requests_per_second(), before);
    }

    #[test]
    fn a_long_sleep_is_capped() {
        let mut demo = Demo::new(DemoConfig::default(), 0);
        demo.clock_mut().set_speed(1000.0);
        demo.tick(3_600_000.0).unwrap();
        assert_eq!(demo.now_ms(), 5_000_000);
    }

    #[test]
    fn invalid_settings_fall_back_to_defaults() {
        let mut config = DemoConfig::default();
        config.sim.error_ratio = -1.0;
        assert!(Demo::try_new(config.clone(), 0).is_err());
        assert_eq!(
            Demo::new(config, 0).simulator().config(),
            &SimConfig::default()
        );
    }
}
