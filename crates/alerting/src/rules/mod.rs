//! Prometheus rules: rule files ([`file`]), their evaluation on the
//! virtual clock with alert states and `ALERTS` series ([`group`]), and
//! `promtool test rules` unit tests ([`unittest`]).

pub mod file;
pub mod group;
pub mod slo;
pub mod unittest;

pub use file::{Rule, RuleError, RuleFile, RuleGroup, RuleKind, parse_rule_file};
