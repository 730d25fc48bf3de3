//! Alerting as Prometheus and Alertmanager do it: rule files and their
//! evaluation (recording and alerting rules, pending → firing → resolved,
//! `promtool test rules`, SLO burn-rate rules) in `rules`, and
//! Alertmanager's configuration, routing tree, grouping, inhibition and
//! silences in `alertmanager`.

pub mod alertmanager;
pub mod rules;
