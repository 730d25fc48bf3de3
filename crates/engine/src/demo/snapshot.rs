//! The demo to and from a workspace document: everything the user made
//! (simulator settings, failures, rules, configs, pastes, dashboards),
//! and a demo rebuilt from one, listing what no longer applies.

use super::*;

impl Demo {
    /// Everything the user made, as a workspace document; `view` is the
    /// page and its state (a URL fragment).
    pub fn workspace(&self, view: &str) -> crate::workspace::Workspace {
        let now = self.now_ms();
        crate::workspace::Workspace {
            version: crate::workspace::VERSION,
            seed: self.config.seed,
            topology: self.shop.topology().clone(),
            history_hours: (self.config.backfill_ms / 3_600_000)
                .clamp(1, i64::from(crate::workspace::MAX_HISTORY_HOURS))
                as u32,
            failures: self
                .shop
                .injections()
                .iter()
                .filter(|i| i.end_ms.is_none() && i.start_ms <= now)
                .map(|i| i.failure.clone())
                .collect(),
            speed: self.clock.speed(),
            paused: self.clock.is_paused(),
            rules: self.rules_text.clone(),
            alertmanager: self.alertmanager_text.clone(),
            scrape_config: self.scrape_config_text.clone(),
            metric_definitions: self.shop.definitions().to_vec(),
            metrics_pastes: self.metrics_pastes.clone(),
            logs_pastes: self.logs_pastes.clone(),
            pastes_left_out: self.pastes_left_out,
            dashboards: self
                .dashboards
                .iter()
                .map(o11y_dashboards::export)
                .collect(),
            view: view.to_string(),
            progress: None,
        }
    }

    /// A demo rebuilt from a workspace at `now_ms`: the simulator with its
    /// seed and topology (its hours of history simulated again), the rules, Alertmanager
    /// and scrape configs, the defined metrics, the pastes, the failures
    /// and the clock. Parts that no longer apply are skipped and listed.
    pub fn from_workspace(
        ws: &crate::workspace::Workspace,
        now_ms: i64,
    ) -> Result<(Demo, Vec<String>), DemoError> {
        let mut demo = Demo::try_new(workspace_config(ws), now_ms)?;
        let skipped = demo.apply_workspace(ws, now_ms);
        demo.apply_workspace_clock(ws);
        Ok((demo, skipped))
    }

    /// [`Demo::from_workspace`] as [`Demo::start`] makes a demo: the
    /// workspace applied to a preview now, and again to the history
    /// behind it when that reaches `now_ms` (the same steps on the same
    /// data, so the same result as at once).
    pub fn start_from_workspace(
        ws: &crate::workspace::Workspace,
        now_ms: i64,
    ) -> Result<(Demo, Vec<String>), DemoError> {
        let mut demo = Demo::start(workspace_config(ws), now_ms)?;
        // Applied to the preview alone: nothing here waits for the history.
        let history = demo.history.take();
        let skipped = demo.apply_workspace(ws, now_ms);
        demo.history = history.map(|h| h.then_apply(ws.clone()));
        demo.apply_workspace_clock(ws);
        Ok((demo, skipped))
    }

    fn apply_workspace_clock(&mut self, ws: &crate::workspace::Workspace) {
        self.clock.set_speed(ws.speed);
        if ws.paused {
            self.clock.pause();
        }
    }

    /// Everything of `ws` but the simulator's settings and the clock, as
    /// of `now_ms`; what no longer applies is listed.
    pub(super) fn apply_workspace(
        &mut self,
        ws: &crate::workspace::Workspace,
        now_ms: i64,
    ) -> Vec<String> {
        let demo = self;
        let mut skipped = Vec::new();
        if let Err(e) = demo.set_rules(&ws.rules) {
            skipped.push(format!(
                "rules: {}",
                e.first().map(ToString::to_string).unwrap_or_default()
            ));
        }
        if let Err(e) = demo.set_alertmanager_config(&ws.alertmanager) {
            skipped.push(format!("Alertmanager configuration: {e}"));
        }
        if let Err(e) = demo.set_scrape_config(&ws.scrape_config) {
            skipped.push(format!("scrape config: {e}"));
        }
        for d in &ws.metric_definitions {
            if let Err(e) = demo.define_metric(d) {
                skipped.push(format!("metric {}: {e}", d.name));
            }
        }
        for p in &ws.metrics_pastes {
            if let Err(e) = demo.ingest_exposition(&p.text, &p.job, &p.instance) {
                skipped.push(format!("metrics paste for {}/{}: {e}", p.job, p.instance));
            }
        }
        for p in &ws.logs_pastes {
            let options = o11y_logs::ingest::IngestOptions {
                labels: Labels::new(p.labels.iter().map(|(k, v)| (k.as_str(), v.as_str()))),
                label_fields: p.label_fields.clone(),
                arrival_ns: now_ms * 1_000_000,
            };
            if let Err(e) = demo.ingest_logs(&p.text, &options) {
                skipped.push(format!("logs paste: {e}"));
            }
        }
        demo.pastes_left_out += ws.pastes_left_out;
        if !ws.dashboards.is_empty() {
            demo.dashboards.clear();
            for d in &ws.dashboards {
                match o11y_dashboards::import(d) {
                    Ok((dash, _)) => demo.dashboards.push(dash),
                    Err(e) => skipped.push(format!("dashboard: {e}")),
                }
            }
        }
        for f in &ws.failures {
            let injection = o11y_sim::failure::Injection {
                failure: f.clone(),
                start_ms: now_ms,
                end_ms: None,
            };
            if let Err(e) = demo.shop.inject(injection) {
                skipped.push(e.to_string());
            }
        }
        skipped
    }
}

/// The simulator's settings of a workspace.
fn workspace_config(ws: &crate::workspace::Workspace) -> DemoConfig {
    DemoConfig {
        seed: ws.seed,
        topology: ws.topology.clone(),
        backfill_ms: i64::from(
            ws.history_hours
                .clamp(1, crate::workspace::MAX_HISTORY_HOURS),
        ) * 3_600_000,
        ..DemoConfig::default()
    }
}
