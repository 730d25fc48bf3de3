//! What a new session starts with, kept as the files a user would write
//! (`crates/engine/defaults/`): the shop's rule file, its promtool unit
//! test and its scrape config.

/// The rules the demo starts with: the seed's HighErrorRate, HighLatency
/// and availability alerts over the shop, and a recording rule.
pub const DEFAULT_RULES: &str = include_str!("../defaults/rules.yml");

/// A rule unit test of the default rules, in promtool's format: what the
/// Alerts page's "Rule tests" tab opens with (`rules.yml` is the rule file
/// in effect).
pub const DEFAULT_RULE_TESTS: &str = include_str!("../defaults/rule-tests.yml");

/// The scrape config of the shop's target: edit its `relabel_configs` and
/// `metric_relabel_configs` to see the shop's series change.
pub const DEFAULT_SCRAPE_CONFIG: &str = include_str!("../defaults/scrape-config.yml");
