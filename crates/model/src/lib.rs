//! The vocabulary every other crate speaks, and nothing else: label sets
//! and matchers (with name validation), durations, wall-clock times as
//! text (RFC 3339), the virtual clock, numbers as Go and Prometheus write
//! and read them (and Kahan sums), native and classic histogram math, the
//! positioned YAML tree config readers are built on, stable sorts that
//! compile to one copy of the sorting code, and the one error type
//! (`diag::Diagnostic`) every parser and config reader reports. It depends
//! on no other crate of the workspace.

pub mod clock;
pub mod diag;
pub mod duration;
pub mod go_regex;
pub mod histogram;
pub mod labels;
pub mod number;
pub mod sort;
pub mod time;
pub mod yaml;
