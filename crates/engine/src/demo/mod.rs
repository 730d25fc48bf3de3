//! The live demo the page opens with: a clock, the shop's simulator and
//! the stores it fills, bundled.
//!
//! The UI holds one [`Demo`] in a signal, calls [`Demo::tick`] from a timer
//! with the real time that passed, and reads what it draws from the stores:
//! the shop's metrics are scraped into the TSDB every 15 s as `job="shop"`
//! (exemplars included), its spans go to the trace store and its JSON logs
//! to the log store. Everything here is plain data, so the same calls are
//! tested natively.

mod catalog;
mod configs;
mod pastes;
mod queries;
mod snapshot;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

pub use crate::defaults::{DEFAULT_RULE_TESTS, DEFAULT_RULES, DEFAULT_SCRAPE_CONFIG};
pub use catalog::MetricInfo;
pub use pastes::IngestError;

use o11y_metrics::expfmt::{Format, MetricType, ParseError, parse};
use o11y_metrics::instrument::MetricsError;
use o11y_metrics::scrape::{ScrapeReport, Scraper};
use o11y_metrics::store::AppendError;
use o11y_metrics::store::Sample;
use o11y_metrics::tsdb::Tsdb;
use o11y_model::clock::VirtualClock;
use o11y_model::labels::Labels;
use o11y_model::labels::Matcher;
use o11y_sim::custom::MetricDefinition;
use o11y_sim::shop::ShopSim;
use o11y_sim::topology::{Topology, TopologyError};

/// Limits for queries run in the page: enough for dashboards, small
/// enough that a runaway query returns an error instead of freezing the tab.
pub const BROWSER_QUERY_LIMITS: o11y_promql::eval::QueryLimits = o11y_promql::eval::QueryLimits {
    max_samples: 5_000_000,
    max_steps: 11_000,
};

/// How often the shop's metrics are scraped.
pub const SHOP_SCRAPE_MS: i64 = 15_000;

/// Bytes of log text the demo keeps (simulated and pasted).
pub const LOG_STORE_BYTES: usize = 200 * 1024 * 1024;

/// Requests per real second that get spans and logs, whatever the clock's
/// speed: at 100× the shop traces 4 requests per simulated second, the
/// rest are counted in the metrics only (see [`ShopSim::set_detail_per_s`]).
pub const DETAIL_PER_REAL_S: f64 = 400.0;

/// Most endpoint calls one tick simulates: a heavier load (traffic times
/// speed) makes the virtual clock fall behind instead of freezing the page.
pub const MAX_CALLS_PER_TICK: f64 = 400_000.0;

/// How much of the backfill the rules are evaluated over.
pub const RULES_BACKFILL_MS: i64 = 15 * 60_000;

/// How often rule groups without their own interval are evaluated.
pub const RULE_INTERVAL_MS: i64 = 15_000;

/// Settings of the demo and of what it shows.
#[derive(Clone, Debug, PartialEq)]
pub struct DemoConfig {
    pub seed: u64,
    pub topology: Topology,
    /// Simulated instantly before the first frame, so charts start full.
    pub backfill_ms: i64,
    /// The last part of the backfill that also makes spans and logs (the
    /// rest makes metrics only: an hour of traces would not fit the stores).
    pub detail_backfill_ms: i64,
    /// How much history the live chart shows, ending now.
    pub window_ms: i64,
    /// The range of the `rate(...[range])` behind the live panels.
    pub rate_range_ms: i64,
    /// The resolution of the live chart's range query.
    pub step_ms: i64,
    /// The longest real pause a single tick simulates; a tab that slept
    /// longer catches up only this much, so a tick never freezes the page.
    pub max_tick_real_ms: f64,
    /// Failures scheduled before the history is simulated, so the history
    /// shows them (a lesson's scenario).
    pub failures: Vec<o11y_sim::failure::Injection>,
    /// A rule file instead of the default rules.
    pub rules: Option<String>,
}

impl Default for DemoConfig {
    fn default() -> Self {
        DemoConfig {
            seed: 42,
            topology: Topology::default(),
            backfill_ms: 60 * 60_000,
            detail_backfill_ms: 3 * 60_000,
            window_ms: 10 * 60_000,
            rate_range_ms: 60_000,
            step_ms: 15_000,
            max_tick_real_ms: 5_000.0,
            failures: Vec::new(),
            rules: None,
        }
    }
}

/// What can go wrong while the demo runs.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum DemoError {
    /// Occurs when the store refuses a scraped sample (a limit was hit).
    #[error(transparent)]
    Store(#[from] AppendError),
    /// Occurs when the shop's topology is invalid.
    #[error(transparent)]
    Topology(#[from] TopologyError),
    /// Occurs when the settings' rule file is invalid.
    #[error("rules: {0}")]
    Rules(o11y_alerting::rules::RuleError),
}

impl From<&DemoError> for o11y_model::diag::Diagnostic {
    /// A topology's error with its place; a store's refusal as its text.
    fn from(e: &DemoError) -> o11y_model::diag::Diagnostic {
        match e {
            DemoError::Store(e) => o11y_model::diag::Diagnostic::new(e.to_string()),
            DemoError::Topology(e) => e.into(),
            DemoError::Rules(e) => e.clone(),
        }
    }
}

/// A running demo.
#[derive(Clone, Debug)]
pub struct Demo {
    config: DemoConfig,
    clock: VirtualClock,
    /// The shop's JSON logs and pasted logs.
    logs: o11y_logs::store::LogStore,
    /// The shop: requests through its services, as metrics, traces and logs.
    shop: ShopSim,
    traces: o11y_traces::TraceStore,
    /// Scrapes the shop's metrics into the store as `job="shop"`; `None`
    /// when the scrape config's relabeling drops the target.
    shop_scraper: Option<Scraper>,
    scrape_config_text: String,
    shop_next_scrape_ms: i64,
    store: Tsdb,
    /// Targets the user pasted `/metrics` text for, by `(job, instance)`.
    pasted: BTreeMap<(String, String), Scraper>,
    /// Type and help of pasted families, by family name.
    pasted_metadata: BTreeMap<String, (MetricType, String)>,
    /// Whether the last tick was cut short to keep the page responsive.
    lagging: bool,
    rules_text: String,
    /// The rules and their alerts. A preview's default rules are parsed
    /// only if something asks for them (the Alerts page) before its
    /// history, which has its own, takes its place: empty until then.
    rules: std::sync::OnceLock<o11y_alerting::rules::group::RuleEngine>,
    /// When the rules start evaluating: the default rules are parsed
    /// with it when they were put off.
    rules_from_ms: i64,
    /// The dashboards, the "Service overview" first.
    dashboards: Vec<o11y_dashboards::Dashboard>,
    /// What was pasted, for the workspace (up to `MAX_PASTE_BYTES` in all).
    metrics_pastes: Vec<crate::workspace::MetricsPaste>,
    logs_pastes: Vec<crate::workspace::LogsPaste>,
    paste_bytes: usize,
    pastes_left_out: usize,
    alertmanager_text: String,
    /// Alertmanager, made when first needed (the first alert sent, a
    /// look, a silence, a configuration): until then it has nothing to
    /// do, and a page's first frame does not wait for its configuration.
    alertmanager: std::sync::OnceLock<o11y_alerting::alertmanager::Alertmanager>,
    /// Scrapes the playground's own counters (refused writes, rule
    /// evaluations) as `job="prometheus"`, with the shop.
    self_scraper: Scraper,
    /// Writes of scrapes and pastes the store refused, by reason.
    scrape_refused: o11y_metrics::store::Refusals,
    /// The whole history, simulated behind this preview (see [`Demo::start`]).
    history: Option<Backfill>,
    /// A store's refusal while the history was simulated, for the next tick.
    history_error: Option<DemoError>,
}

/// The most history a demo simulates: a day, the store's retention.
pub const MAX_BACKFILL_MS: i64 = 24 * 3_600_000;
// A workspace asks for at most the history a demo keeps.
const _: () = assert!(MAX_BACKFILL_MS == crate::workspace::MAX_HISTORY_HOURS as i64 * 3_600_000);

/// How much of the history [`Demo::start`] simulates before the first
/// frame: enough for the live chart's first rates.
pub const PREVIEW_MS: i64 = 90_000;

/// The history behind a preview: its settings and end until the first
/// slice sets it up, then its simulation.
#[derive(Clone, Debug)]
enum Backfill {
    Planned(
        Box<DemoConfig>,
        i64,
        Option<Box<crate::workspace::Workspace>>,
    ),
    Running(Box<History>),
}

impl Backfill {
    /// The same history, with `ws` applied to it where it ends.
    pub(super) fn then_apply(self, ws: crate::workspace::Workspace) -> Backfill {
        match self {
            Backfill::Planned(config, now_ms, _) => {
                Backfill::Planned(config, now_ms, Some(Box::new(ws)))
            }
            Backfill::Running(mut history) => {
                history.workspace = Some(Box::new(ws));
                Backfill::Running(history)
            }
        }
    }
}

/// A demo's history being simulated as [`Demo::try_new`] does, in slices:
/// metrics only until `detail_from_ms`, then spans and logs too, until
/// `now_ms`.
#[derive(Clone, Debug)]
struct History {
    demo: Demo,
    detail_from_ms: i64,
    now_ms: i64,
    /// Spans and logs are being made (past `detail_from_ms`).
    detailed: bool,
    /// A store's refusal in the current part, returned at its end.
    refused: Option<DemoError>,
    /// A workspace to apply when the history reaches `now_ms` (a restored
    /// one, see `Demo::start_from_workspace`).
    workspace: Option<Box<crate::workspace::Workspace>>,
}

impl History {
    fn new(config: DemoConfig, now_ms: i64) -> Result<History, DemoError> {
        let detail_from_ms = now_ms.saturating_sub(config.detail_backfill_ms.max(0));
        // Rules are evaluated over the last part of the backfill only (the
        // alert timeline's default view); "what if" replays reach further.
        let mut demo = Demo::setup(
            config,
            now_ms,
            now_ms.saturating_sub(RULES_BACKFILL_MS),
            false,
        )?;
        // Metrics only until the last part of the backfill, then everything.
        demo.shop.set_detail_per_s(0.0);
        Ok(History {
            demo,
            detail_from_ms,
            now_ms,
            detailed: false,
            refused: None,
            workspace: None,
        })
    }

    /// Runs to the next scrape (or the end of the part) until `stop` says
    /// so; returns whether the history is done. Ends each part where one
    /// `run_shop_to` over it would, so the result is the same.
    fn run(&mut self, stop: &mut dyn FnMut() -> bool) -> Result<bool, DemoError> {
        loop {
            let end = if self.detailed {
                self.now_ms
            } else {
                self.detail_from_ms
            };
            if self.demo.shop_next_scrape_ms <= end {
                if stop() {
                    return Ok(false);
                }
                let at = self.demo.shop_next_scrape_ms;
                if let Err(e) = self.demo.run_shop_to(at) {
                    self.refused.get_or_insert(e);
                }
                continue;
            }
            if let Err(e) = self.demo.run_shop_to(end) {
                self.refused.get_or_insert(e);
            }
            if let Some(e) = self.refused.take() {
                return Err(e);
            }
            if self.detailed {
                return Ok(true);
            }
            self.demo.shop.set_detail_per_s(f64::INFINITY);
            self.detailed = true;
        }
    }
}

/// The job the shop's metrics are scraped as.
pub const SHOP_JOB: &str = "shop";

impl Demo {
    /// A demo whose virtual clock reads `now_ms`, with `backfill_ms` of
    /// history already simulated. Falls back to the default settings if
    /// `config.topology` is invalid.
    pub fn new(config: DemoConfig, now_ms: i64) -> Demo {
        Demo::try_new(config, now_ms).unwrap_or_else(|_| {
            Demo::try_new(DemoConfig::default(), now_ms).expect("default demo settings are valid")
        })
    }

    /// Like [`Demo::new`], but reports invalid settings.
    pub fn try_new(config: DemoConfig, now_ms: i64) -> Result<Demo, DemoError> {
        let mut history = History::new(config, now_ms)?;
        history.run(&mut || false)?;
        Ok(history.demo)
    }

    /// A demo that shows its first frame at once: the last
    /// [`PREVIEW_MS`] of metrics are simulated now, and the whole history
    /// (what [`Demo::try_new`] makes, identical to it) is simulated behind
    /// it in slices, [`Demo::fill_history`], and takes its place when it
    /// has caught up with the clock. Changing the demo while the history
    /// is simulated first finishes it, so nothing done is lost.
    pub fn start(config: DemoConfig, now_ms: i64) -> Result<Demo, DemoError> {
        if config.backfill_ms <= PREVIEW_MS {
            return Demo::try_new(config, now_ms);
        }
        let preview_config = DemoConfig {
            backfill_ms: PREVIEW_MS,
            detail_backfill_ms: 0,
            ..config.clone()
        };
        // The history evaluates the rules over its last 15 minutes and up
        // to the clock when it takes the preview's place; the preview
        // evaluates its own only if something asked for them meanwhile.
        // So the first frame waits for neither the default rules nor
        // Alertmanager's configuration (each parsed when first needed).
        let mut preview = Demo::setup(preview_config, now_ms, now_ms.saturating_add(1), true)?;
        preview.shop.set_detail_per_s(0.0);
        preview.run_shop_to(now_ms)?;
        // Set up by the first slice: the preview's setup checked the settings.
        preview.history = Some(Backfill::Planned(Box::new(config.clone()), now_ms, None));
        preview.config = config;
        Ok(preview)
    }

    /// The demo before its history: the shop at the start of the backfill,
    /// its rules evaluated from `rules_from_ms` on. The default rules
    /// (valid: a test parses them) may be parsed later, when first needed
    /// (`defer_default_rules`): a preview's first frame does not wait for
    /// them, and none are due before `rules_from_ms`.
    fn setup(
        config: DemoConfig,
        now_ms: i64,
        rules_from_ms: i64,
        defer_default_rules: bool,
    ) -> Result<Demo, DemoError> {
        let start_ms = now_ms.saturating_sub(config.backfill_ms.max(0));
        let mut shop = ShopSim::new(config.topology.clone(), config.seed, start_ms)?;
        for injection in &config.failures {
            shop.inject(injection.clone())?;
        }
        let rules_text = config.rules.as_deref().unwrap_or(DEFAULT_RULES);
        let rules = if defer_default_rules && config.rules.is_none() {
            std::sync::OnceLock::new()
        } else {
            std::sync::OnceLock::from(
                o11y_alerting::rules::group::engine_for(
                    rules_text,
                    RULE_INTERVAL_MS,
                    rules_from_ms,
                )
                .map_err(|e| DemoError::Rules(e.into_iter().next().unwrap_or_default()))?,
            )
        };
        let mut demo = Demo {
            clock: VirtualClock::new(now_ms),
            logs: o11y_logs::store::LogStore::with_limit(LOG_STORE_BYTES),
            shop,
            traces: o11y_traces::TraceStore::default(),
            shop_scraper: Some(Scraper::new(SHOP_JOB, "shop:8080")),
            scrape_config_text: DEFAULT_SCRAPE_CONFIG.to_string(),
            shop_next_scrape_ms: start_ms.div_euclid(SHOP_SCRAPE_MS) * SHOP_SCRAPE_MS
                + SHOP_SCRAPE_MS,
            store: Tsdb::default(),
            pasted: BTreeMap::new(),
            pasted_metadata: BTreeMap::new(),
            lagging: false,
            rules_text: rules_text.to_string(),
            dashboards: Vec::new(),
            metrics_pastes: Vec::new(),
            logs_pastes: Vec::new(),
            paste_bytes: 0,
            pastes_left_out: 0,
            rules,
            rules_from_ms,
            alertmanager_text: o11y_alerting::alertmanager::DEFAULT_CONFIG.to_string(),
            alertmanager: std::sync::OnceLock::new(),
            self_scraper: Scraper::new(
                crate::self_metrics::SELF_JOB,
                crate::self_metrics::SELF_INSTANCE,
            ),
            scrape_refused: Default::default(),
            history: None,
            history_error: None,
            config,
        };
        let services: Vec<String> = demo
            .shop
            .topology()
            .services
            .iter()
            .map(|s| s.name.clone())
            .collect();
        demo.dashboards
            .push(o11y_dashboards::service_overview(&services));
        Ok(demo)
    }

    /// Whether the history is still being simulated behind what is shown
    /// (a demo made by [`Demo::start`]).
    pub fn is_filling_history(&self) -> bool {
        self.history.is_some()
    }

    /// Simulates the history behind a [`Demo::start`]ed demo, 15 simulated
    /// seconds at a time, until `stop` says so or it is done; when done it
    /// catches up with the clock and takes the preview's place. Returns
    /// whether it is done (or there was none). A store's refusal on the
    /// way is returned by the next [`Demo::tick`].
    pub fn fill_history(&mut self, stop: &mut dyn FnMut() -> bool) -> bool {
        let Some(backfill) = &mut self.history else {
            return true;
        };
        if let Backfill::Planned(config, now_ms, workspace) = backfill {
            match History::new(config.as_ref().clone(), *now_ms) {
                Ok(mut history) => {
                    history.workspace = workspace.take();
                    *backfill = Backfill::Running(Box::new(history));
                }
                Err(e) => {
                    self.history_error.get_or_insert(e);
                    self.history = None;
                    return true;
                }
            }
            if stop() {
                return false;
            }
        }
        let Backfill::Running(history) = backfill else {
            return true;
        };
        match history.run(stop) {
            Ok(false) => return false,
            Ok(true) => {}
            Err(e) => {
                self.history_error.get_or_insert(e);
            }
        }
        self.take_history();
        true
    }

    /// Finishes the history now, if one is being simulated: called before
    /// anything changes the demo, so the change applies to the whole.
    fn settle(&mut self) {
        self.fill_history(&mut || false);
    }

    /// The finished history, caught up with the clock as the ticks since
    /// the start did, in the preview's place (keeping the clock).
    fn take_history(&mut self) {
        let Some(Backfill::Running(history)) = self.history.take() else {
            return;
        };
        let (mut full, workspace) = (history.demo, history.workspace);
        if let Some(ws) = workspace {
            // What it skipped, the preview's restore listed already.
            full.apply_workspace(&ws, history.now_ms);
        }
        let speed = self.clock.speed().max(1.0);
        full.shop.set_detail_per_s(DETAIL_PER_REAL_S / speed);
        if let Err(e) = full.run_shop_to(self.clock.now_ms()) {
            self.history_error.get_or_insert(e);
        }
        full.clock = self.clock.clone();
        full.lagging = self.lagging;
        full.history_error = self.history_error.take();
        *self = full;
    }

    /// The settings the demo was made with.
    pub fn config(&self) -> &DemoConfig {
        &self.config
    }

    /// Starts over with another seed or topology (or both), keeping the
    /// clock's time, speed and pause, and what was pasted or defined is
    /// dropped.
    pub fn restart(&mut self, seed: u64, topology: Topology) -> Result<(), DemoError> {
        topology.validate()?;
        let config = DemoConfig {
            seed,
            topology,
            ..self.config.clone()
        };
        let mut fresh = Demo::try_new(config, self.now_ms())?;
        fresh.clock = self.clock.clone();
        *self = fresh;
        Ok(())
    }

    /// Starts over as [`Demo::restart`] does, with `backfill_ms` of history
    /// (an hour to a day, the store's retention) simulated behind a
    /// preview as [`Demo::start`] does.
    pub fn start_over(
        &mut self,
        seed: u64,
        topology: Topology,
        backfill_ms: i64,
    ) -> Result<(), DemoError> {
        topology.validate()?;
        let config = DemoConfig {
            seed,
            topology,
            backfill_ms: backfill_ms.clamp(PREVIEW_MS, MAX_BACKFILL_MS),
            ..self.config.clone()
        };
        let mut fresh = Demo::start(config, self.now_ms())?;
        fresh.clock = self.clock.clone();
        *self = fresh;
        Ok(())
    }

    /// Advances the virtual clock by `virtual_ms`, paused or not (the
    /// "step" button).
    pub fn step(&mut self, virtual_ms: i64) -> Result<(), DemoError> {
        self.settle();
        let to = self.clock.step(virtual_ms);
        self.run_shop_to(to)
    }

    /// Runs the shop up to `to_ms`: scrapes at multiples of the interval
    /// (seeing the shop as it was then), its spans into the trace store,
    /// its log lines into the log store, one stream per service and level
    /// (`{job="shop", service_name=…, level=…}`). When the log store is 90 %
    /// full, its oldest lines (simulated or pasted) go first.
    fn run_shop_to(&mut self, to_ms: i64) -> Result<(), DemoError> {
        let mut refused = None;
        while self.shop_next_scrape_ms <= to_ms {
            let at = self.shop_next_scrape_ms;
            self.shop.advance_to(at);
            let families = self.shop.registry_mut().gather(at);
            let samples: usize = families.iter().map(|f| f.samples.len()).sum();
            // A simulated scrape takes about a millisecond plus 2 µs a sample.
            if let Some(scraper) = &mut self.shop_scraper {
                let report = scraper.ingest(
                    &mut self.store,
                    Some(&families),
                    at,
                    0.001 + samples as f64 * 2e-6,
                );
                self.scrape_refused.merge(&report.refusals);
                refused = refused.or(report.refused.into_iter().next());
            }
            let own = self.self_metrics().families();
            let report = self
                .self_scraper
                .ingest(&mut self.store, Some(&own), at, 0.0);
            self.scrape_refused.merge(&report.refusals);
            self.shop_next_scrape_ms += SHOP_SCRAPE_MS;
            self.store_shop_output();
            self.evaluate_rules(at);
        }
        self.shop.advance_to(to_ms);
        self.store_shop_output();
        self.evaluate_rules(to_ms);
        refused.map_or(Ok(()), |e| Err(DemoError::Store(e)))
    }

    fn store_shop_output(&mut self) {
        for span in self.shop.drain_spans() {
            self.traces.insert(span);
        }
        let mut streams: BTreeMap<(String, &str), Vec<o11y_logs::store::Entry>> = BTreeMap::new();
        for log in self.shop.drain_logs() {
            streams
                .entry((log.service, log.level))
                .or_default()
                .push(o11y_logs::store::Entry {
                    ts_ns: log.ts_ms * 1_000_000,
                    line: log.line,
                    metadata: Vec::new(),
                });
        }
        if streams.is_empty() {
            return;
        }
        if self.logs.bytes() > self.logs.max_bytes() / 10 * 9 {
            self.logs.evict_oldest(self.logs.max_bytes() / 10 * 7);
        }
        for ((service, level), mut entries) in streams {
            o11y_model::sort::sort_by_key(&mut entries[..], |e| e.ts_ns);
            let labels = Labels::new([
                ("job", "shop"),
                ("service_name", service.as_str()),
                ("level", level),
            ]);
            // Lines the store refuses (full even after the eviction above)
            // are counted by it, by reason, and scraped as
            // `loki_discarded_samples_total{job="prometheus"}`: nothing is
            // lost without a trace, and the shop goes on.
            if let Err(refused) = self.logs.push(&labels, entries) {
                debug_assert!(self.logs.discarded_lines().total() > 0, "{refused}");
            }
        }
    }

    /// The playground's own counters, as its self-scrape sees them: every
    /// write a store refused, by reason, and the rules' evaluations.
    pub fn self_metrics(&self) -> crate::self_metrics::SelfMetrics<'_> {
        crate::self_metrics::SelfMetrics {
            tsdb: self.store.refused(),
            scrapes: &self.scrape_refused,
            // Rules not parsed yet (a preview's) have evaluated nothing.
            rule_groups: self.rules.get().map_or(&[], |r| &r.groups),
            log_lines: self.logs.discarded_lines(),
            log_bytes: self.logs.discarded_bytes(),
        }
    }

    /// The shop's traces.
    pub fn traces(&self) -> &o11y_traces::TraceStore {
        &self.traces
    }

    /// The shop's simulator (to inject failures).
    pub fn shop(&self) -> &o11y_sim::shop::ShopSim {
        &self.shop
    }

    pub fn shop_mut(&mut self) -> &mut o11y_sim::shop::ShopSim {
        self.settle();
        &mut self.shop
    }

    /// The log store: the simulator's logs and pasted ones.
    pub fn logs(&self) -> &o11y_logs::store::LogStore {
        &self.logs
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

    /// Requests per second entering the shop (before any daily shape).
    pub fn requests_per_s(&self) -> f64 {
        self.shop.topology().requests_per_s
    }

    pub fn set_requests_per_s(&mut self, rate: f64) {
        self.settle();
        self.shop.set_requests_per_s(rate);
    }

    /// The share of requests the entry service fails on its own.
    pub fn error_rate(&self) -> f64 {
        self.shop.error_rate(self.entry_service())
    }

    /// Sets the share of requests the entry service fails on its own.
    pub fn set_error_rate(&mut self, rate: f64) {
        self.settle();
        let entry = self.entry_service().to_string();
        self.shop.set_error_rate(&entry, rate);
    }

    pub fn store(&self) -> &Tsdb {
        &self.store
    }

    /// Lets `real_elapsed_ms` of real time pass (scaled by the clock's speed).
    pub fn tick(&mut self, real_elapsed_ms: f64) -> Result<(), DemoError> {
        let elapsed = real_elapsed_ms.min(self.config.max_tick_real_ms);
        let speed = self.clock.speed().max(1.0);
        self.shop.set_detail_per_s(DETAIL_PER_REAL_S / speed);
        let before = self.clock.now_ms();
        let load = self.shop.calls_per_ms(before).max(1e-9);
        let most = before.saturating_add((MAX_CALLS_PER_TICK / load).max(1.0) as i64);
        self.clock.advance_real(elapsed);
        self.lagging = self.clock.now_ms() > most;
        let now = self.clock.hold_at(most);
        let ran = self.run_shop_to(now);
        match self.history_error.take() {
            Some(e) => Err(e),
            None => ran,
        }
    }

    /// Whether the last tick simulated less time than the speed asked for
    /// (too many requests to simulate at that speed).
    pub fn is_lagging(&self) -> bool {
        self.lagging
    }
}
