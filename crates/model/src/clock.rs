//! The virtual clock: the only notion of "now" in the engine.
//!
//! The engine never reads a system clock. The app measures real elapsed time
//! and hands it to [`VirtualClock::advance_real`], which scales it by the
//! speed (or ignores it while paused). Fractions of a millisecond are carried
//! over, so many small real steps add up exactly.
//!
//! ```
//! use o11y_model::clock::VirtualClock;
//!
//! let mut clock = VirtualClock::new(0);
//! clock.set_speed(100.0);
//! clock.advance_real(250.0);
//! assert_eq!(clock.now_ms(), 25_000);
//! clock.pause();
//! clock.advance_real(1_000.0);
//! assert_eq!(clock.now_ms(), 25_000);
//! ```

/// Slowest and fastest speeds the clock accepts; others are clamped.
pub const MIN_SPEED: f64 = 0.0;
pub const MAX_SPEED: f64 = 1000.0;

#[derive(Clone, Debug, PartialEq)]
pub struct VirtualClock {
    now_ms: i64,
    carry_ms: f64,
    speed: f64,
    paused: bool,
}

impl VirtualClock {
    /// A running clock at 1× that reads `start_ms`.
    pub fn new(start_ms: i64) -> Self {
        VirtualClock {
            now_ms: start_ms,
            carry_ms: 0.0,
            speed: 1.0,
            paused: false,
        }
    }

    pub fn now_ms(&self) -> i64 {
        self.now_ms
    }

    pub fn speed(&self) -> f64 {
        self.speed
    }

    /// Sets the speed, clamped to `MIN_SPEED..=MAX_SPEED`; NaN counts as 1×.
    pub fn set_speed(&mut self, speed: f64) {
        self.speed = if speed.is_nan() {
            1.0
        } else {
            speed.clamp(MIN_SPEED, MAX_SPEED)
        };
    }

    pub fn is_paused(&self) -> bool {
        self.paused
    }

    pub fn pause(&mut self) {
        self.paused = true;
    }

    pub fn resume(&mut self) {
        self.paused = false;
    }

    /// Moves the clock forward by `virtual_ms` (≥ 0), paused or not: the
    /// single step of a paused simulation. Returns the new virtual now.
    pub fn step(&mut self, virtual_ms: i64) -> i64 {
        self.now_ms = self.now_ms.saturating_add(virtual_ms.max(0));
        self.now_ms
    }

    /// Holds the clock at `max_now_ms` if it has gone past it (the
    /// simulation could not keep up); returns the virtual now.
    pub fn hold_at(&mut self, max_now_ms: i64) -> i64 {
        if self.now_ms > max_now_ms {
            self.now_ms = max_now_ms;
            self.carry_ms = 0.0;
        }
        self.now_ms
    }

    /// Lets `real_elapsed_ms` of real time pass; returns the new virtual now.
    /// Negative or non-finite elapsed times are ignored.
    pub fn advance_real(&mut self, real_elapsed_ms: f64) -> i64 {
        if self.paused || !real_elapsed_ms.is_finite() || real_elapsed_ms <= 0.0 {
            return self.now_ms;
        }
        let virtual_ms = real_elapsed_ms * self.speed + self.carry_ms;
        let whole_ms = virtual_ms.floor();
        self.carry_ms = virtual_ms - whole_ms;
        self.now_ms = self.now_ms.saturating_add(whole_ms as i64);
        self.now_ms
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_step_moves_a_paused_clock() {
        let mut clock = VirtualClock::new(1_000);
        clock.pause();
        assert_eq!(clock.advance_real(500.0), 1_000);
        assert_eq!(clock.step(15_000), 16_000);
        assert_eq!(clock.step(-5), 16_000, "never backwards");
    }

    #[test]
    fn fractions_are_carried_over() {
        let mut clock = VirtualClock::new(0);
        clock.set_speed(0.5);
        for _ in 0..10 {
            clock.advance_real(3.0);
        }
        assert_eq!(clock.now_ms(), 15);
    }

    #[test]
    fn speed_is_clamped_and_bad_input_ignored() {
        let mut clock = VirtualClock::new(10);
        clock.set_speed(1e9);
        assert_eq!(clock.speed(), MAX_SPEED);
        clock.set_speed(f64::NAN);
        assert_eq!(clock.speed(), 1.0);
        clock.advance_real(f64::INFINITY);
        clock.advance_real(-5.0);
        assert_eq!(clock.now_ms(), 10);
    }
}
