//! Prometheus rules: rule files ([`file`](mod@file)), their evaluation on the
//! virtual clock ([`group`]: groups and their intervals; [`evaluate`]: one
//! rule's evaluation, alert states and `ALERTS` series), replays that
//! evaluate a rule over many evaluations at once ([`batch`]), and
//! `promtool test rules` unit tests ([`unittest`]).

pub mod batch;
pub mod evaluate;
pub mod file;
pub mod group;
pub mod slo;
pub mod unittest;

pub use file::{Rule, RuleError, RuleFile, RuleGroup, RuleKind, parse_rule_file};
