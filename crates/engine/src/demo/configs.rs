//! What the user configures on the demo, and "what if": the shop's scrape
//! config (its relabeling), the rule file and its evaluation after each
//! scrape, Alertmanager's configuration, and replays of edited rules over
//! the stored history through an overlay store that leaves the real one
//! untouched.

use super::*;

/// The demo's store with a scratch store on top: what a replay of rules
/// records goes to the top, and its series hide the base's of the same labels.
struct Overlay<'a> {
    base: &'a Tsdb,
    top: Tsdb,
}

impl o11y_metrics::store::SeriesStore for Overlay<'_> {
    fn append(&mut self, labels: &Labels, sample: Sample) -> Result<(), AppendError> {
        self.top.append(labels, sample)
    }

    fn select(
        &self,
        matchers: &[Matcher],
        start_ms: i64,
        end_ms: i64,
    ) -> Vec<o11y_metrics::store::Series> {
        let mut top = self.top.select(matchers, start_ms, end_ms);
        let hidden: std::collections::HashSet<Labels> = self
            .top
            .series_labels(matchers)
            .into_iter()
            .cloned()
            .collect();
        let mut out: Vec<o11y_metrics::store::Series> = self
            .base
            .select(matchers, start_ms, end_ms)
            .into_iter()
            .filter(|s| !hidden.contains(&s.labels))
            .collect();
        out.append(&mut top);
        out
    }

    fn select_histograms(
        &self,
        matchers: &[Matcher],
        start_ms: i64,
        end_ms: i64,
    ) -> Vec<o11y_metrics::store::HistogramSeries> {
        self.base.select_histograms(matchers, start_ms, end_ms)
    }
}

impl Demo {
    /// The shop's scrape config.
    pub fn scrape_config_text(&self) -> &str {
        &self.scrape_config_text
    }

    /// The shop target's labels after relabeling; `None` if it is dropped.
    pub fn shop_target_labels(&self) -> Option<Vec<(String, String)>> {
        self.shop_scraper
            .as_ref()
            .map(|s| s.target_labels().to_vec())
    }

    /// Replaces the shop's scrape config (checked first): its target goes
    /// through `relabel_configs` (and may be dropped), its samples through
    /// `metric_relabel_configs`, from the next scrape on.
    pub fn set_scrape_config(
        &mut self,
        text: &str,
    ) -> Result<(), o11y_metrics::relabel::RelabelError> {
        self.settle();
        let config = o11y_metrics::relabel::parse_scrape_config(text)?;
        let now = self.now_ms();
        if let Some(old) = &mut self.shop_scraper {
            let refused = old.end(&mut self.store, now);
            self.scrape_refused.merge(&refused);
        }
        self.shop_scraper = Scraper::from_discovered(
            &config.discovered,
            &config.relabel_configs,
            config.metric_relabel_configs,
        );
        self.scrape_config_text = text.to_string();
        Ok(())
    }

    /// The rule file in effect.
    pub fn rules_text(&self) -> &str {
        &self.rules_text
    }

    /// The rules and their alerts.
    pub fn rules(&self) -> &o11y_alerting::rules::group::RuleEngine {
        debug_assert!(
            self.rules.get().is_some() || self.rules_text == DEFAULT_RULES,
            "only the default rules are put off"
        );
        self.rules.get_or_init(|| default_rules(self.rules_from_ms))
    }

    /// Replaces the rules (checked first); they are evaluated from now on,
    /// their alerts starting inactive.
    pub fn set_rules(&mut self, text: &str) -> Result<(), Vec<o11y_alerting::rules::RuleError>> {
        self.settle();
        let engine =
            o11y_alerting::rules::group::engine_for(text, RULE_INTERVAL_MS, self.now_ms() + 1)?;
        self.rules = std::sync::OnceLock::from(engine);
        self.rules_from_ms = self.now_ms() + 1;
        self.rules_text = text.to_string();
        Ok(())
    }

    /// "What if": evaluates `text` over the stored history from `start_ms`
    /// to now, without touching the live rules or the store, and returns
    /// the rules with their alerts and state changes.
    pub fn replay_rules(
        &self,
        text: &str,
        start_ms: i64,
    ) -> Result<o11y_alerting::rules::group::RuleEngine, Vec<o11y_alerting::rules::RuleError>> {
        self.replay_rules_between(text, start_ms, self.now_ms())
            .map(|(engine, _)| engine)
    }

    /// "What if" from `start_ms` to `end_ms`, with the series the rules
    /// wrote (recording rules, `ALERTS`) in a store of their own. A rule
    /// that reads nothing the rules write is evaluated as a range query
    /// per hour of evaluations (`RuleEngine::replay_to`), the same as step
    /// by step and many times faster.
    pub fn replay_rules_between(
        &self,
        text: &str,
        start_ms: i64,
        end_ms: i64,
    ) -> Result<(o11y_alerting::rules::group::RuleEngine, Tsdb), Vec<o11y_alerting::rules::RuleError>>
    {
        self.replay_rules_by(text, start_ms, end_ms, true)
    }

    /// [`Demo::replay_rules_between`] with every rule evaluated step by
    /// step, as the live rules are: what the batched replay is checked
    /// against, and the benchmark's baseline.
    pub fn replay_rules_step_by_step(
        &self,
        text: &str,
        start_ms: i64,
        end_ms: i64,
    ) -> Result<(o11y_alerting::rules::group::RuleEngine, Tsdb), Vec<o11y_alerting::rules::RuleError>>
    {
        self.replay_rules_by(text, start_ms, end_ms, false)
    }

    fn replay_rules_by(
        &self,
        text: &str,
        start_ms: i64,
        end_ms: i64,
        batched: bool,
    ) -> Result<(o11y_alerting::rules::group::RuleEngine, Tsdb), Vec<o11y_alerting::rules::RuleError>>
    {
        let mut engine = o11y_alerting::rules::group::engine_for(text, RULE_INTERVAL_MS, start_ms)?;
        // A replay covers the window asked for: the cap on evaluations a
        // group may be behind is a live Prometheus's (it skips what it
        // missed), stretched to the window at the default interval, so a
        // group with a tiny interval stays bounded.
        engine.max_iterations_behind = ((end_ms - start_ms) / RULE_INTERVAL_MS + 1)
            .max(o11y_alerting::rules::group::MAX_ITERATIONS_BEHIND);
        let mut overlay = Overlay {
            base: &self.store,
            top: Tsdb::default(),
        };
        if batched {
            engine.replay_to(end_ms, &mut overlay);
        } else {
            engine.advance_to(end_ms, &mut overlay);
        }
        Ok((engine, overlay.top))
    }

    pub fn alertmanager_text(&self) -> &str {
        &self.alertmanager_text
    }

    pub fn alertmanager(&self) -> &o11y_alerting::alertmanager::Alertmanager {
        debug_assert!(
            self.alertmanager.get().is_some()
                || self.alertmanager_text == o11y_alerting::alertmanager::DEFAULT_CONFIG,
            "only the default configuration is put off"
        );
        self.alertmanager.get_or_init(default_alertmanager)
    }

    /// For silences.
    pub fn alertmanager_mut(&mut self) -> &mut o11y_alerting::alertmanager::Alertmanager {
        self.settle();
        made(&mut self.alertmanager, default_alertmanager)
    }

    /// Replaces Alertmanager's configuration (checked first); silences and
    /// sent notifications are kept, groups start over.
    pub fn set_alertmanager_config(
        &mut self,
        text: &str,
    ) -> Result<(), o11y_alerting::alertmanager::ConfigError> {
        self.settle();
        let config = o11y_alerting::alertmanager::AmConfig::parse(text)?;
        let mut am = o11y_alerting::alertmanager::Alertmanager::new(config);
        if let Some(old) = self.alertmanager.get_mut() {
            am.silences = std::mem::take(&mut old.silences);
            am.notifications = std::mem::take(&mut old.notifications);
        }
        self.alertmanager = std::sync::OnceLock::from(am);
        self.alertmanager_text = text.to_string();
        Ok(())
    }

    /// Rule evaluations due by `now_ms`, each followed by what Prometheus
    /// sends Alertmanager (firing alerts, and resolved ones with their
    /// end), then Alertmanager's notifications due by then.
    pub(super) fn evaluate_rules(&mut self, now_ms: i64) {
        // Default rules put off (a preview's): none is due before they
        // start, and while the history fills in, the history evaluates
        // its own (up to the clock, when it takes the preview's place).
        // Asked for meanwhile, they are parsed, and the evaluations due
        // are made then, as a live Prometheus catches up.
        if self.rules.get().is_none() && (now_ms < self.rules_from_ms || self.history.is_some()) {
            if let Some(am) = self.alertmanager.get_mut() {
                am.advance_to(now_ms);
            }
            return;
        }
        let from_ms = self.rules_from_ms;
        let rules = made(&mut self.rules, || default_rules(from_ms));
        rules.skip_missed(now_ms);
        loop {
            let next = rules.groups.iter().map(|g| g.next_eval_ms()).min();
            match next {
                Some(at) if at <= now_ms => {
                    rules.advance_to(at, &mut self.store);
                    let sent: Vec<o11y_alerting::alertmanager::AmAlert> = rules
                        .alerts()
                        .filter(|(_, _, a)| a.fired_at_ms.is_some())
                        .map(|(_, _, a)| o11y_alerting::alertmanager::AmAlert {
                            labels: a.labels.clone(),
                            annotations: a.annotations.clone(),
                            starts_at_ms: a.fired_at_ms.unwrap_or(a.active_at_ms),
                            ends_at_ms: (a.state
                                == o11y_alerting::rules::group::AlertState::Inactive)
                                .then_some(a.resolved_at_ms.unwrap_or(at)),
                            generator_url: String::new(),
                        })
                        .collect();
                    // Made at the first alert sent: until then it had none.
                    if !sent.is_empty() || self.alertmanager.get().is_some() {
                        let am = made(&mut self.alertmanager, default_alertmanager);
                        am.receive(&sent, at);
                        am.advance_to(at);
                    }
                }
                _ => break,
            }
        }
        if let Some(am) = self.alertmanager.get_mut() {
            am.advance_to(now_ms);
        }
    }
}

/// Alertmanager with the default configuration.
fn default_alertmanager() -> o11y_alerting::alertmanager::Alertmanager {
    o11y_alerting::alertmanager::Alertmanager::new(
        o11y_alerting::alertmanager::AmConfig::parse(o11y_alerting::alertmanager::DEFAULT_CONFIG)
            .expect("the default Alertmanager configuration is valid"),
    )
}

/// What a put-off cell holds (the demo's rules or Alertmanager), made now
/// with `make` if it was not yet.
fn made<T>(cell: &mut std::sync::OnceLock<T>, make: impl FnOnce() -> T) -> &mut T {
    if cell.get().is_none() {
        *cell = std::sync::OnceLock::from(make());
    }
    cell.get_mut().expect("made above")
}

/// The default rules (valid: a test parses them), evaluated from
/// `from_ms`.
fn default_rules(from_ms: i64) -> o11y_alerting::rules::group::RuleEngine {
    o11y_alerting::rules::group::engine_for(DEFAULT_RULES, RULE_INTERVAL_MS, from_ms)
        .expect("the default rules are valid (a test parses them)")
}
