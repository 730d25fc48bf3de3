//! The values every number of a topology or a failure may take, checked
//! before the simulator runs ([`Topology::validate`](super::Topology::validate),
//! [`Injection::check`](crate::failure::Injection::check)):
//!
//! | field | range |
//! |---|---|
//! | `requests_per_s` | 0 to 10,000 |
//! | `entry[].weight` | 0 to 1,000,000, one at least above 0 |
//! | `latency_ms` (the median of the endpoint's own work) | above 0, at most 3,600,000 (an hour) |
//! | `sigma` (spread of the log-normal latency) | 0 to 4 |
//! | `error_rate` | 0 to 1 |
//! | `calls[].retries` | 0 to 10 |
//! | `calls[].timeout_ms` | above 0, at most 3,600,000 (an hour) |
//! | spans one request can make, every retry taken | at most 2,000 |
//! | latency spike `factor` | above 0, at most 1,000 |
//! | error burst `rate` | 0 to 1 |
//! | traffic flood `factor` | 0 to 100 |
//! | a failure's start and end | virtual times from 1970 to 2200, the end after the start |
//!
//! Why this keeps time inside `i64` nanoseconds: one span's sampled work is
//! at most [`MAX_SAMPLED_LATENCY_MS`] (a day, whatever the spread, spikes
//! and slowdowns), and a request makes at most 2,000 spans, so it ends
//! less than 2,000 × (a day + 0.2 ms) ≈ 1.8 × 10¹⁷ ns after it starts;
//! the simulator's clock stops at [`MAX_TIME_MS`] (2200, 7.3 × 10¹⁸ ns),
//! and the sum stays under `i64::MAX` (9.2 × 10¹⁸ ns).

/// The values a number of a topology or a failure may take.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct NumberRange {
    pub low: f64,
    /// Whether `low` itself is refused (`latency_ms` must be above 0).
    pub low_open: bool,
    pub high: f64,
}

impl NumberRange {
    pub(crate) const fn closed(low: f64, high: f64) -> NumberRange {
        NumberRange {
            low,
            low_open: false,
            high,
        }
    }

    const fn above(low: f64, high: f64) -> NumberRange {
        NumberRange {
            low,
            low_open: true,
            high,
        }
    }

    pub fn contains(&self, value: f64) -> bool {
        value.is_finite()
            && if self.low_open {
                value > self.low
            } else {
                value >= self.low
            }
            && value <= self.high
    }

    /// `Err` with what the value should have been.
    pub(crate) fn check(&self, value: f64) -> Result<(), String> {
        if self.contains(value) {
            return Ok(());
        }
        let (low, high) = (
            o11y_model::number::format_float(self.low),
            o11y_model::number::format_float(self.high),
        );
        let expected = if self.low_open {
            format!("above {low} and at most {high}")
        } else {
            format!("from {low} to {high}")
        };
        Err(format!(
            "{} is out of range: it must be {expected}",
            o11y_model::number::format_float(value)
        ))
    }
}

/// Highest request rate the shop accepts, per second.
pub const MAX_REQUESTS_PER_S: f64 = 10_000.0;
/// `requests_per_s`.
pub const REQUESTS_PER_S: NumberRange = NumberRange::closed(0.0, MAX_REQUESTS_PER_S);
/// `entry[].weight`.
pub const ENTRY_WEIGHT: NumberRange = NumberRange::closed(0.0, 1e6);
/// `latency_ms` and `timeout_ms`: up to an hour.
pub const LATENCY_MS: NumberRange = NumberRange::above(0.0, 3_600_000.0);
/// `sigma`.
pub const SIGMA: NumberRange = NumberRange::closed(0.0, 4.0);
/// `error_rate`, and an error burst's `rate`.
pub const SHARE: NumberRange = NumberRange::closed(0.0, 1.0);
/// A latency spike's `factor`.
pub const SPIKE_FACTOR: NumberRange = NumberRange::above(0.0, 1_000.0);
/// A traffic flood's `factor`.
pub const FLOOD_FACTOR: NumberRange = NumberRange::closed(0.0, 100.0);
/// The latest virtual time the simulator reaches: 2200-01-01T00:00:00Z,
/// so that every time it computes fits in `i64` nanoseconds.
pub const MAX_TIME_MS: i64 = 7_258_118_400_000;
/// Longest one span's own work can take, in milliseconds, whatever its
/// spread and the failures that slow it: a day.
pub const MAX_SAMPLED_LATENCY_MS: f64 = 86_400_000.0;

/// Most retries a call may make.
pub const MAX_RETRIES: u32 = 10;

/// Most spans one request may make (with every retry taken).
pub const MAX_SPANS_PER_REQUEST: usize = 2_000;
