//! The live demo the page opens with: a clock, the shop's simulator and
//! the stores it fills, bundled.
//!
//! The UI holds one [`Demo`] in a signal, calls [`Demo::tick`] from a timer
//! with the real time that passed, and reads what it draws from the stores:
//! the shop's metrics are scraped into the TSDB every 15 s as `job="shop"`
//! (exemplars included), its spans go to the trace store and its JSON logs
//! to the log store. Everything here is plain data, so the same calls are
//! tested natively.

use std::collections::BTreeMap;

pub use crate::defaults::{DEFAULT_RULE_TESTS, DEFAULT_RULES, DEFAULT_SCRAPE_CONFIG};

use o11y_metrics::expfmt::{Format, MetricType, ParseError, parse};
use o11y_metrics::instrument::MetricsError;
use o11y_metrics::scrape::{ScrapeReport, Scraper};
use o11y_metrics::store::AppendError;
use o11y_metrics::store::Sample;
use o11y_metrics::tsdb::Tsdb;
use o11y_model::clock::VirtualClock;
use o11y_model::labels::Labels;
use o11y_model::labels::{MatchOp, Matcher};
use o11y_promql::rate::sum_rate_range;
use o11y_sim::custom::MetricDefinition;
use o11y_sim::topology::{ShopSim, Topology, TopologyError};

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
    rules: o11y_alerting::rules::group::RuleEngine,
    /// The dashboards, the "Service overview" first.
    dashboards: Vec<o11y_dashboards::Dashboard>,
    /// What was pasted, for the workspace (up to `MAX_PASTE_BYTES` in all).
    metrics_pastes: Vec<crate::workspace::MetricsPaste>,
    logs_pastes: Vec<crate::workspace::LogsPaste>,
    paste_bytes: usize,
    pastes_left_out: usize,
    alertmanager_text: String,
    alertmanager: o11y_alerting::alertmanager::Alertmanager,
    /// Scrapes the playground's own counters (refused writes, rule
    /// evaluations) as `job="prometheus"`, with the shop.
    self_scraper: Scraper,
    /// Writes of scrapes and pastes the store refused, by reason.
    scrape_refused: o11y_metrics::store::Refusals,
}

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

/// One metric name in the explorer.
#[derive(Clone, Debug, PartialEq)]
pub struct MetricInfo {
    /// The name series carry (`…_bucket`, `…_total` included).
    pub name: String,
    pub kind: MetricType,
    pub help: String,
    pub series: usize,
}

/// Why a paste was not stored.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum IngestError {
    /// Occurs when the text does not parse; every bad line is listed.
    #[error("{} error(s) in the exposition text", .0.len())]
    Parse(Vec<ParseError>),
    /// Occurs when the job or instance is empty.
    #[error("job and instance must not be empty")]
    EmptyTarget,
}

/// The job the shop's metrics are scraped as.
pub const SHOP_JOB: &str = "shop";

/// `http_requests_total{job="shop"}`: the matchers of the live panels'
/// queries besides the entry service's (see [`Demo::entry_service`]).
static SHOP_REQUESTS: std::sync::LazyLock<[Matcher; 2]> = std::sync::LazyLock::new(|| {
    let job = Matcher::new(MatchOp::Equal, "job", SHOP_JOB).expect("static matcher");
    [Matcher::metric("http_requests_total"), job]
});

/// `status=~"5.."`, compiled once rather than at every redraw.
static SERVER_ERRORS: std::sync::LazyLock<Matcher> = std::sync::LazyLock::new(|| {
    Matcher::new(MatchOp::Regex, "status", "5..").expect("static regex compiles")
});

/// Suffixes a series name may add to its family's name.
const FAMILY_SUFFIXES: [&str; 8] = [
    "_bucket", "_sum", "_count", "_total", "_created", "_info", "_gsum", "_gcount",
];

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
        let start_ms = now_ms.saturating_sub(config.backfill_ms.max(0));
        let shop = ShopSim::new(config.topology.clone(), config.seed, start_ms)?;
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
            rules_text: DEFAULT_RULES.to_string(),
            dashboards: Vec::new(),
            metrics_pastes: Vec::new(),
            logs_pastes: Vec::new(),
            paste_bytes: 0,
            pastes_left_out: 0,
            // Rules are evaluated over the last part of the backfill only (the
            // alert timeline's default view); "what if" replays reach further.
            rules: o11y_alerting::rules::group::engine_for(
                DEFAULT_RULES,
                RULE_INTERVAL_MS,
                now_ms.saturating_sub(RULES_BACKFILL_MS),
            )
            .expect("the default rules are valid"),
            alertmanager_text: o11y_alerting::alertmanager::DEFAULT_CONFIG.to_string(),
            alertmanager: o11y_alerting::alertmanager::Alertmanager::new(
                o11y_alerting::alertmanager::AmConfig::parse(
                    o11y_alerting::alertmanager::DEFAULT_CONFIG,
                )
                .expect("the default Alertmanager configuration is valid"),
            ),
            self_scraper: Scraper::new(
                crate::self_metrics::SELF_JOB,
                crate::self_metrics::SELF_INSTANCE,
            ),
            scrape_refused: Default::default(),
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
        // Metrics only until the last part of the backfill, then everything.
        let detail_from = now_ms.saturating_sub(demo.config.detail_backfill_ms.max(0));
        demo.shop.set_detail_per_s(0.0);
        demo.run_shop_to(detail_from)?;
        demo.shop.set_detail_per_s(f64::INFINITY);
        demo.run_shop_to(now_ms)?;
        Ok(demo)
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

    /// Advances the virtual clock by `virtual_ms`, paused or not (the
    /// "step" button).
    pub fn step(&mut self, virtual_ms: i64) -> Result<(), DemoError> {
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

    /// Rule evaluations due by `now_ms`, each followed by what Prometheus
    /// sends Alertmanager (firing alerts, and resolved ones with their
    /// end), then Alertmanager's notifications due by then.
    fn evaluate_rules(&mut self, now_ms: i64) {
        self.rules.skip_missed(now_ms);
        loop {
            let next = self.rules.groups.iter().map(|g| g.next_eval_ms()).min();
            match next {
                Some(at) if at <= now_ms => {
                    self.rules.advance_to(at, &mut self.store);
                    let sent: Vec<o11y_alerting::alertmanager::AmAlert> = self
                        .rules
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
                    self.alertmanager.receive(&sent, at);
                    self.alertmanager.advance_to(at);
                }
                _ => break,
            }
        }
        self.alertmanager.advance_to(now_ms);
    }

    pub fn dashboards(&self) -> &[o11y_dashboards::Dashboard] {
        &self.dashboards
    }

    pub fn dashboards_mut(&mut self) -> &mut Vec<o11y_dashboards::Dashboard> {
        &mut self.dashboards
    }

    /// A dashboard query variable's values from the stored series, as a
    /// Prometheus answers Grafana's variable queries (`label_values`,
    /// `label_names`, `metrics`, `query_result` at the current time); an
    /// error when the query is not one of those or its selector,
    /// expression or regex fails, so the picker shows why it is empty.
    pub fn variable_values(
        &self,
        query: &str,
    ) -> Result<Vec<String>, o11y_dashboards::vars::VarError> {
        use o11y_dashboards::vars::{VarError, VarQuery, parse_query, query_result_lines};
        let selected = |selector: &Option<String>| -> Result<Vec<&Labels>, VarError> {
            let matchers = match selector.as_deref().map(o11y_promql::parse) {
                Some(Ok(e)) => e.selectors().into_iter().next().unwrap_or_default(),
                Some(Err(e)) => {
                    return Err(VarError::promql(selector.as_deref().unwrap_or(""), &e));
                }
                None => Vec::new(),
            };
            Ok(self.store.series_labels(&matchers))
        };
        if query.trim().is_empty() {
            return Ok(Vec::new());
        }
        let mut values: Vec<String> = match parse_query(query) {
            None => return Err(VarError::Syntax(query.trim().to_string())),
            Some(VarQuery::LabelValues { selector, label }) => selected(&selector)?
                .into_iter()
                .filter_map(|l| l.get(&label).map(str::to_string))
                .collect(),
            Some(VarQuery::LabelNames { selector }) => selected(&selector)?
                .into_iter()
                .flat_map(|l| l.iter().map(|x| x.name.clone()))
                .filter(|n| n != "__name__")
                .collect(),
            Some(VarQuery::Metrics { regex }) => {
                let re = regex::Regex::new(&regex).map_err(|e| {
                    VarError::Query(format!(
                        "metrics({regex}): {}",
                        o11y_dashboards::vars::regex_message(&e)
                    ))
                })?;
                self.store
                    .series_labels(&[])
                    .into_iter()
                    .filter_map(|l| l.get("__name__"))
                    .filter(|m| re.is_match(m))
                    .map(str::to_string)
                    .collect()
            }
            Some(VarQuery::QueryResult { expr }) => {
                let now = self.now_ms();
                let parsed = o11y_promql::parse(&expr).map_err(|e| VarError::promql(&expr, &e))?;
                return match self.instant_query(&parsed, now) {
                    Ok(o11y_promql::eval::Value::Vector(v)) => {
                        let samples: Vec<(Labels, f64)> =
                            v.into_iter().map(|s| (s.labels, s.value)).collect();
                        Ok(query_result_lines(&samples, now))
                    }
                    // A scalar or string is one line, as Prometheus answers it.
                    Ok(o11y_promql::eval::Value::Scalar(x)) => {
                        Ok(query_result_lines(&[(Labels::default(), x)], now))
                    }
                    Ok(_) => Ok(Vec::new()),
                    Err(e) => Err(VarError::Query(e.message)),
                };
            }
        };
        values.sort();
        values.dedup();
        Ok(values)
    }

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
        &self.rules
    }

    /// Replaces the rules (checked first); they are evaluated from now on,
    /// their alerts starting inactive.
    pub fn set_rules(&mut self, text: &str) -> Result<(), Vec<o11y_alerting::rules::RuleError>> {
        let engine =
            o11y_alerting::rules::group::engine_for(text, RULE_INTERVAL_MS, self.now_ms() + 1)?;
        self.rules = engine;
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
        let mut engine = o11y_alerting::rules::group::engine_for(text, RULE_INTERVAL_MS, start_ms)?;
        let mut overlay = Overlay {
            base: &self.store,
            top: Tsdb::default(),
        };
        engine.advance_to(self.now_ms(), &mut overlay);
        Ok(engine)
    }

    pub fn alertmanager_text(&self) -> &str {
        &self.alertmanager_text
    }

    pub fn alertmanager(&self) -> &o11y_alerting::alertmanager::Alertmanager {
        &self.alertmanager
    }

    /// For silences.
    pub fn alertmanager_mut(&mut self) -> &mut o11y_alerting::alertmanager::Alertmanager {
        &mut self.alertmanager
    }

    /// Replaces Alertmanager's configuration (checked first); silences and
    /// sent notifications are kept, groups start over.
    pub fn set_alertmanager_config(
        &mut self,
        text: &str,
    ) -> Result<(), o11y_alerting::alertmanager::ConfigError> {
        let config = o11y_alerting::alertmanager::AmConfig::parse(text)?;
        let mut am = o11y_alerting::alertmanager::Alertmanager::new(config);
        am.silences = std::mem::take(&mut self.alertmanager.silences);
        am.notifications = std::mem::take(&mut self.alertmanager.notifications);
        self.alertmanager = am;
        self.alertmanager_text = text.to_string();
        Ok(())
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
            entries.sort_by_key(|e| e.ts_ns);
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
            rule_groups: &self.rules.groups,
            log_lines: self.logs.discarded_lines(),
            log_bytes: self.logs.discarded_bytes(),
        }
    }

    /// The shop's traces.
    pub fn traces(&self) -> &o11y_traces::TraceStore {
        &self.traces
    }

    /// Stores imported spans (OTLP/JSON) beside the shop's.
    pub fn import_spans(&mut self, spans: Vec<o11y_traces::Span>) {
        for s in spans {
            self.traces.insert(s);
        }
    }

    /// The shop's simulator (to inject failures).
    pub fn shop(&self) -> &o11y_sim::topology::ShopSim {
        &self.shop
    }

    pub fn shop_mut(&mut self) -> &mut o11y_sim::topology::ShopSim {
        &mut self.shop
    }

    /// The log store: the simulator's logs and pasted ones.
    pub fn logs(&self) -> &o11y_logs::store::LogStore {
        &self.logs
    }

    /// Stores pasted logs (see [`o11y_logs::ingest::ingest`]).
    pub fn ingest_logs(
        &mut self,
        text: &str,
        options: &o11y_logs::ingest::IngestOptions,
    ) -> Result<o11y_logs::ingest::IngestReport, o11y_logs::ingest::IngestError> {
        let report = o11y_logs::ingest::ingest(&mut self.logs, text, options)?;
        if self.keep_paste(text.len()) {
            self.logs_pastes.push(crate::workspace::LogsPaste {
                labels: options
                    .labels
                    .iter()
                    .map(|l| (l.name.clone(), l.value.clone()))
                    .collect(),
                label_fields: options.label_fields.clone(),
                text: text.to_string(),
            });
        }
        Ok(report)
    }

    /// Whether a paste of `bytes` still fits in the workspace.
    fn keep_paste(&mut self, bytes: usize) -> bool {
        if self.paste_bytes + bytes > crate::workspace::MAX_PASTE_BYTES {
            self.pastes_left_out += 1;
            return false;
        }
        self.paste_bytes += bytes;
        true
    }

    /// Everything the user made, as a workspace document; `view` is the
    /// page and its state (a URL fragment).
    pub fn workspace(&self, view: &str) -> crate::workspace::Workspace {
        let now = self.now_ms();
        crate::workspace::Workspace {
            version: crate::workspace::VERSION,
            seed: self.config.seed,
            topology: self.shop.topology().clone(),
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
        }
    }

    /// A demo rebuilt from a workspace at `now_ms`: the simulator with its
    /// seed and topology (an hour simulated again), the rules, Alertmanager
    /// and scrape configs, the defined metrics, the pastes, the failures
    /// and the clock. Parts that no longer apply are skipped and listed.
    pub fn from_workspace(
        ws: &crate::workspace::Workspace,
        now_ms: i64,
    ) -> Result<(Demo, Vec<String>), DemoError> {
        let config = DemoConfig {
            seed: ws.seed,
            topology: ws.topology.clone(),
            ..DemoConfig::default()
        };
        let mut demo = Demo::try_new(config, now_ms)?;
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
            let injection = o11y_sim::topology::Injection {
                failure: f.clone(),
                start_ms: now_ms,
                end_ms: None,
            };
            if let Err(e) = demo.shop.inject(injection) {
                skipped.push(e.to_string());
            }
        }
        demo.clock.set_speed(ws.speed);
        if ws.paused {
            demo.clock.pause();
        }
        Ok((demo, skipped))
    }

    /// Runs a LogQL query over the demo's logs.
    pub fn logql(
        &self,
        query: &str,
        q: &o11y_logs::metric::LogQuery,
    ) -> Result<o11y_logs::metric::LogqlResult, o11y_logs::parser::LogqlError> {
        o11y_logs::metric::query(query, &self.logs, q)
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
        self.shop.set_requests_per_s(rate);
    }

    /// The share of requests the entry service fails on its own.
    pub fn error_rate(&self) -> f64 {
        self.shop.error_rate(self.entry_service())
    }

    /// Sets the share of requests the entry service fails on its own.
    pub fn set_error_rate(&mut self, rate: f64) {
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
        self.run_shop_to(now)
    }

    /// Whether the last tick simulated less time than the speed asked for
    /// (too many requests to simulate at that speed).
    pub fn is_lagging(&self) -> bool {
        self.lagging
    }

    /// Stores pasted `/metrics` text (text format or OpenMetrics, detected)
    /// as a scrape of `job`/`instance` at the current virtual time. Pasting
    /// again for the same target is that target's next scrape.
    pub fn ingest_exposition(
        &mut self,
        text: &str,
        job: &str,
        instance: &str,
    ) -> Result<ScrapeReport, IngestError> {
        let (job, instance) = (job.trim(), instance.trim());
        if job.is_empty() || instance.is_empty() {
            return Err(IngestError::EmptyTarget);
        }
        let families = parse(text, Format::detect(text)).map_err(IngestError::Parse)?;
        for family in &families {
            let help = family.help.clone().unwrap_or_default();
            self.pasted_metadata
                .insert(family.name.clone(), (family.kind, help));
        }
        let scraper = self
            .pasted
            .entry((job.to_string(), instance.to_string()))
            .or_insert_with(|| Scraper::new(job, instance));
        let report = scraper.ingest(&mut self.store, Some(&families), self.clock.now_ms(), 0.0);
        self.scrape_refused.merge(&report.refusals);
        if self.keep_paste(text.len()) {
            self.metrics_pastes.push(crate::workspace::MetricsPaste {
                job: job.to_string(),
                instance: instance.to_string(),
                text: text.to_string(),
            });
        }
        Ok(report)
    }

    /// Registers a user-defined metric with the shop's simulator.
    pub fn define_metric(&mut self, definition: &MetricDefinition) -> Result<(), MetricsError> {
        self.shop.define(definition)
    }

    /// Type and help of a family, from the simulator or a paste.
    fn metadata(&self, family: &str) -> Option<(MetricType, String)> {
        let registered = self
            .shop
            .registry()
            .families()
            .iter()
            .find(|f| f.name == family);
        registered
            .map(|f| (f.kind.exposition_type(), f.help.clone()))
            .or_else(|| self.pasted_metadata.get(family).cloned())
    }

    /// Type and help of a series name: its own family's, or that of the
    /// family it is a `_bucket`/`_sum`/… of.
    fn metadata_for_series_name(&self, name: &str) -> (MetricType, String) {
        self.metadata(name)
            .or_else(|| {
                FAMILY_SUFFIXES
                    .iter()
                    .filter_map(|suffix| name.strip_suffix(suffix))
                    .find_map(|family| self.metadata(family))
            })
            .unwrap_or((MetricType::Unknown, String::new()))
    }

    /// Every metric name stored, with type, help and series count; and
    /// defined metrics that have no series yet.
    pub fn catalog(&self) -> Vec<MetricInfo> {
        let index = self.store.index();
        let mut out: Vec<MetricInfo> = index
            .label_values(o11y_model::labels::METRIC_NAME)
            .map(|name| {
                let (kind, help) = self.metadata_for_series_name(name);
                MetricInfo {
                    name: name.to_string(),
                    kind,
                    help,
                    series: index.postings_len(o11y_model::labels::METRIC_NAME, name),
                }
            })
            .collect();
        for family in self.shop.registry().families() {
            let stored = out
                .iter()
                .any(|m| m.name == family.name || m.name.starts_with(&format!("{}_", family.name)));
            if !stored {
                let (kind, help) = self.metadata_for_series_name(&family.name);
                out.push(MetricInfo {
                    name: family.name.clone(),
                    kind,
                    help,
                    series: 0,
                });
            }
        }
        out.sort_by(|a, b| a.name.cmp(&b.name));
        out
    }

    /// The series of one metric with their newest samples, sorted by labels.
    pub fn series_of(&self, metric: &str) -> Vec<(Labels, Option<Sample>)> {
        self.store
            .series_labels(&[Matcher::metric(metric)])
            .into_iter()
            .map(|labels| (labels.clone(), self.store.latest(labels)))
            .collect()
    }

    /// What the PromQL editor can autocomplete: metric names, and label
    /// names and values per metric (and over all metrics, under `""`).
    pub fn completer(&self) -> o11y_promql::assist::Completer {
        use std::collections::{BTreeMap, BTreeSet};
        let mut per: BTreeMap<(String, String), BTreeSet<String>> = BTreeMap::new();
        for labels in self.store.series_labels(&[]) {
            let metric = labels.metric_name().unwrap_or("").to_string();
            for l in labels
                .iter()
                .filter(|l| l.name != o11y_model::labels::METRIC_NAME)
            {
                for m in [metric.clone(), String::new()] {
                    per.entry((m, l.name.clone()))
                        .or_default()
                        .insert(l.value.clone());
                }
            }
        }
        o11y_promql::assist::Completer {
            metrics: self.catalog().into_iter().map(|m| m.name).collect(),
            labels: per
                .into_iter()
                .map(|((m, n), v)| (m, n, v.into_iter().collect()))
                .collect(),
        }
    }

    /// A range query over the demo's store with the browser's limits.
    pub fn range_query(
        &self,
        expr: &o11y_promql::ast::Expr,
        start_ms: i64,
        end_ms: i64,
        step_ms: i64,
    ) -> Result<
        (
            Vec<o11y_promql::eval::RangeSeries>,
            o11y_promql::eval::QueryStats,
        ),
        o11y_promql::eval::EvalError,
    > {
        o11y_promql::eval::range_query_with_stats(
            &self.store,
            expr,
            start_ms,
            end_ms,
            step_ms,
            BROWSER_QUERY_LIMITS,
        )
    }

    /// An instant query over the demo's store with the browser's limits.
    pub fn instant_query(
        &self,
        expr: &o11y_promql::ast::Expr,
        ts_ms: i64,
    ) -> Result<o11y_promql::eval::Value, o11y_promql::eval::EvalError> {
        o11y_promql::eval::Evaluator::new(&self.store, ts_ms, ts_ms, 0, BROWSER_QUERY_LIMITS)
            .prepare(expr)
            .eval(expr, ts_ms)
    }

    /// Exemplars of the series `selector` selects (a PromQL vector
    /// selector such as `http_request_duration_seconds_bucket{service="payment"}`)
    /// between `start_ms` and `end_ms`, as Prometheus's
    /// `/api/v1/query_exemplars` finds them.
    pub fn exemplars(
        &self,
        selector: &str,
        start_ms: i64,
        end_ms: i64,
    ) -> Result<Vec<(Labels, Vec<o11y_metrics::tsdb::exemplars::StoredExemplar>)>, String> {
        let expr = o11y_promql::parser::parse(selector).map_err(|e| e.to_string())?;
        let mut out = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for matchers in expr.selectors() {
            for (labels, found) in self.store.exemplars(&matchers, start_ms, end_ms) {
                if seen.insert(labels.clone()) {
                    out.push((labels, found));
                }
            }
        }
        Ok(out)
    }

    /// The time range the chart shows: `window_ms` ending now.
    pub fn window(&self) -> (i64, i64) {
        let now = self.now_ms();
        (now - self.config.window_ms, now)
    }

    /// `sum(rate(http_requests_total{job="shop", service="<entry>"}[1m]))`
    /// over the window, at steps aligned to multiples of `step_ms`, for
    /// the entry service of the topology in effect.
    pub fn requests_per_second(&self) -> Vec<(i64, f64)> {
        let (start, end) = self.window();
        let step = self.config.step_ms.max(1);
        let first_step = start.div_euclid(step) * step + step;
        let Some(requests) = self.entry_requests(false) else {
            return Vec::new();
        };
        sum_rate_range(
            &self.store,
            &requests,
            self.config.rate_range_ms,
            first_step,
            end,
            step,
        )
    }

    /// The entry service's `sum(rate(http_requests_total{status=~"5.."}[1m]))
    /// / sum(rate(http_requests_total[1m]))` now; `None` when no request was
    /// served in the range.
    pub fn error_ratio(&self) -> Option<f64> {
        let now = self.now_ms();
        let range = self.config.rate_range_ms;
        let total = sum_rate_range(
            &self.store,
            &self.entry_requests(false)?,
            range,
            now,
            now,
            1,
        )
        .first()?
        .1;
        if total <= 0.0 {
            return None;
        }
        let errors = sum_rate_range(&self.store, &self.entry_requests(true)?, range, now, now, 1)
            .first()
            .map_or(0.0, |p| p.1);
        Some(errors / total)
    }

    /// Where the shop's traffic enters: the first service of the topology
    /// in effect (the one its `entry` points name). The live panels and
    /// the error-rate slider act on it, so they follow a renamed or
    /// replaced entry service.
    pub fn entry_service(&self) -> &str {
        self.shop
            .topology()
            .services
            .first()
            .map_or("", |s| s.name.as_str())
    }

    /// `http_requests_total{job="shop", service="<entry>"}`, with
    /// `status=~"5.."` for `server_errors`; `None` without an entry service.
    fn entry_requests(&self, server_errors: bool) -> Option<Vec<Matcher>> {
        let entry = self.entry_service();
        if entry.is_empty() {
            return None;
        }
        let mut matchers = SHOP_REQUESTS.to_vec();
        matchers.push(Matcher::new(MatchOp::Equal, "service", entry).ok()?);
        if server_errors {
            matchers.push(SERVER_ERRORS.clone());
        }
        Some(matchers)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use o11y_metrics::instrument::MetricKind;
    use o11y_metrics::store::SeriesStore;

    #[test]
    fn the_shop_logs_every_server_span_and_its_trace_exists() {
        use o11y_logs::metric::{LogQuery, LogqlResult};
        let mut demo = Demo::new(DemoConfig::default(), 1_800_000);
        demo.tick(10_000.0).unwrap();
        let spans = demo.traces().span_count();
        assert!(spans > 1_000, "{spans}");
        let q = LogQuery {
            start_ns: 0,
            end_ns: demo.now_ms() * 1_000_000 + 1,
            step_ms: 0,
            limit: 50,
        };
        let Ok(LogqlResult::Logs(lines)) = demo.logql(
            r#"{job="shop"} | json | status >= 200 | trace_id=~"[0-9a-f]{32}""#,
            &q,
        ) else {
            panic!("a log query returns lines");
        };
        assert_eq!(lines.len(), 50);
        for l in &lines {
            let id = l
                .labels
                .iter()
                .find(|(n, _)| n == "trace_id")
                .map(|(_, v)| v.clone())
                .unwrap();
            let id = o11y_traces::TraceId::from_hex(&id).unwrap();
            assert!(demo.traces().trace(&id).is_some(), "no trace {id}");
        }
        let Ok(LogqlResult::Matrix(m)) =
            demo.logql(r#"sum(count_over_time({job="shop"}[1h]))"#, &q)
        else {
            panic!("a metric query returns series");
        };
        let server_spans = demo
            .traces()
            .search(&o11y_traces::TraceQuery {
                limit: usize::MAX,
                ..Default::default()
            })
            .iter()
            .map(|t| {
                demo.traces()
                    .trace(&t.trace_id)
                    .unwrap()
                    .iter()
                    // A span ending after now logs after now, outside the query.
                    .filter(|s| {
                        s.kind == o11y_traces::SpanKind::Server
                            && s.end_ns / 1_000_000 <= demo.now_ms()
                    })
                    .count()
            })
            .sum::<usize>();
        assert_eq!(m[0].samples[0].value as usize, server_spans);
    }

    #[test]
    fn dashboard_variable_queries_read_the_store() {
        let demo = Demo::new(DemoConfig::default(), 1_800_000);
        let values = |q: &str| demo.variable_values(q).unwrap();
        let services = values("label_values(http_requests_total, service)");
        assert!(services.contains(&"payment".to_string()), "{services:?}");
        let jobs = values("label_values(job)");
        assert!(jobs.contains(&"shop".to_string()), "{jobs:?}");
        let names = values(r#"label_names(up{job="shop"})"#);
        assert!(
            names.contains(&"instance".to_string()) && !names.contains(&"__name__".to_string()),
            "{names:?}"
        );
        assert_eq!(
            values("metrics(^http_requests_(total|in_flight)$)"),
            ["http_requests_in_flight", "http_requests_total"]
        );
        let up = values(r#"query_result(up{job="shop"})"#);
        assert_eq!(up.len(), 1, "{up:?}");
        assert!(
            up[0].starts_with("up{")
                && up[0].contains(r#"job="shop""#)
                && up[0].ends_with(" 1 1800000"),
            "{up:?}"
        );
        assert_eq!(values(" "), Vec::<String>::new());
    }

    // A failing variable query used to give an empty option list, which
    // looks like "no data": the picker must say why instead.
    #[test]
    fn a_failing_variable_query_is_an_error_not_an_empty_list() {
        use o11y_dashboards::vars::VarError;
        let demo = Demo::new(DemoConfig::default(), 1_800_000);
        let query_error = |q: &str| match demo.variable_values(q) {
            Err(VarError::Query(m)) => m,
            other => panic!("{q}: {other:?}"),
        };
        assert_eq!(
            query_error("label_values(up{, job)"),
            "up{: 1:4: unexpected end of input in the label matchers: expected a label name"
        );
        assert!(query_error("query_result(up{)").starts_with("up{: 1:4: "));
        assert_eq!(query_error("metrics(()"), "metrics((): unclosed group");
        assert_eq!(
            query_error(r#"label_values(up{job=~"("}, job)"#),
            r#"up{job=~"("}: 1:9: invalid regular expression "(": unclosed group"#
        );
        // Evaluation errors too.
        let q = "query_result(http_requests_total + on() http_requests_total)";
        assert!(query_error(q).contains("many"), "{}", query_error(q));
        assert_eq!(
            demo.variable_values("up"),
            Err(VarError::Syntax("up".into()))
        );
    }

    #[test]
    fn an_hour_of_metrics_and_the_last_minutes_of_traces() {
        let now = 7_200_000;
        let demo = Demo::new(DemoConfig::default(), now);
        let oldest = |m: &str| {
            demo.store()
                .select(&[Matcher::metric(m)], 0, now)
                .iter()
                .map(|s| s.samples[0].ts_ms)
                .min()
                .unwrap()
        };
        assert!(oldest("http_requests_total") <= now - 59 * 60_000);
        assert!(oldest("orders_total") <= now - 50 * 60_000);
        let traces = demo.traces().search(&o11y_traces::TraceQuery {
            limit: usize::MAX,
            ..Default::default()
        });
        let first = traces.iter().map(|t| t.start_ns).min().unwrap() / 1_000_000;
        assert!(first >= now - 3 * 60_000 - 1_000, "{}", now - first);
        // Every exemplar in the traced minutes names a stored trace.
        let found = demo
            .exemplars(
                r#"http_request_duration_seconds_bucket{service="payment"}"#,
                now - 3 * 60_000,
                now,
            )
            .unwrap();
        assert!(!found.is_empty());
        for (_, exemplars) in &found {
            for e in exemplars {
                let id = o11y_traces::TraceId::from_hex(e.label("trace_id").unwrap()).unwrap();
                assert!(demo.traces().trace(&id).is_some());
            }
        }
        for m in [
            "http_requests_in_flight",
            "order_value_total",
            "cart_abandonment_rate",
            "user_registrations_total",
            "product_views_total",
            "process_resident_memory_bytes",
        ] {
            assert!(!demo.series_of(m).is_empty(), "{m}");
        }
        let abandoned = demo.series_of("cart_abandonment_rate")[0].1.unwrap().value;
        assert!((0.0..1.0).contains(&abandoned), "{abandoned}");
    }

    #[test]
    fn a_fast_clock_traces_fewer_requests_but_counts_them_all() {
        let mut demo = Demo::new(DemoConfig::default(), 1_800_000);
        demo.clock_mut().set_speed(1000.0);
        let spans = demo.traces().span_count() as u64;
        let requests = demo.shop().requests();
        demo.tick(1_000.0).unwrap(); // 1000 s of virtual time, about 20 000 requests
        let served = demo.shop().requests() - requests;
        let new_spans = demo.traces().span_count() as u64 - spans;
        assert!(served > 15_000, "{served}");
        // 400 traced requests a real second, about 10 spans each.
        assert!(new_spans < 8_000, "{new_spans}");
        assert!(new_spans > 1_000, "{new_spans}");
    }

    #[test]
    fn too_much_load_makes_the_clock_lag_instead_of_freezing() {
        let mut demo = Demo::new(DemoConfig::default(), 1_800_000);
        demo.set_requests_per_s(10_000.0);
        demo.clock_mut().set_speed(1000.0);
        demo.tick(1_000.0).unwrap(); // about 10 k calls per ms: far too many for a second
        assert!(demo.is_lagging());
        let simulated = demo.now_ms() - 1_800_000;
        assert!((1..1_000_000).contains(&simulated), "{simulated}");
        demo.set_requests_per_s(20.0);
        demo.clock_mut().set_speed(1.0);
        demo.tick(1_000.0).unwrap();
        assert!(!demo.is_lagging());
    }

    #[test]
    fn an_error_burst_fires_high_error_rate_notifies_and_resolves() {
        use o11y_alerting::rules::group::AlertState;
        use o11y_sim::topology::{Failure, Injection};
        let mut demo = Demo::new(DemoConfig::default(), 3_600_000);
        assert!(
            demo.rules()
                .alerts()
                .all(|(_, _, a)| a.state != AlertState::Firing),
            "quiet at first"
        );
        let burst = Failure::ErrorBurst {
            service: "frontend".into(),
            rate: 0.3,
        };
        let now = demo.now_ms();
        demo.shop_mut()
            .inject(Injection {
                failure: burst,
                start_ms: now,
                end_ms: Some(now + 240_000),
            })
            .unwrap();
        demo.step(60_000).unwrap();
        let state = |d: &Demo| {
            d.rules()
                .alerts()
                .find(|(_, r, a)| {
                    r.rule.name() == "HighErrorRate" && a.labels.get("service") == Some("frontend")
                })
                .map(|(_, _, a)| a.state)
        };
        assert_eq!(state(&demo), Some(AlertState::Pending));
        demo.step(90_000).unwrap();
        assert_eq!(state(&demo), Some(AlertState::Firing));
        let sent = demo
            .alertmanager()
            .notifications
            .iter()
            .find(|n| n.status == "firing")
            .expect("a notification");
        assert_eq!(sent.receiver, "on-call");
        let summary = &sent.alerts[0]
            .annotations
            .iter()
            .find(|(k, _)| k == "summary")
            .unwrap()
            .1;
        assert!(
            summary.starts_with("frontend: ") && summary.ends_with("% of requests fail"),
            "{summary}"
        );
        // The burst ends at +4 min; a minute later the rate is back to normal.
        demo.step(240_000).unwrap();
        assert_ne!(state(&demo), Some(AlertState::Firing));
        demo.step(300_000).unwrap();
        assert!(
            demo.alertmanager()
                .notifications
                .iter()
                .any(|n| n.status == "resolved" && n.receiver == "on-call")
        );
        let changes: Vec<(&str, &str)> = demo
            .rules()
            .transitions
            .iter()
            .filter(|t| t.rule == "HighErrorRate" && t.labels.get("service") == Some("frontend"))
            .map(|t| (t.from.name(), t.to.name()))
            .collect();
        assert_eq!(
            changes,
            [
                ("inactive", "pending"),
                ("pending", "firing"),
                ("firing", "inactive")
            ]
        );
        // What if the threshold had been 50 %: replaying the stored hour, it never fires.
        let strict = DEFAULT_RULES.replace("> 0.05", "> 0.5");
        let replay = demo
            .replay_rules(&strict, demo.now_ms() - 3_600_000)
            .unwrap();
        assert!(
            !replay
                .transitions
                .iter()
                .any(|t| t.rule == "HighErrorRate" && t.to == AlertState::Firing)
        );
        let same = demo
            .replay_rules(DEFAULT_RULES, demo.now_ms() - 3_600_000)
            .unwrap();
        assert!(
            same.transitions
                .iter()
                .any(|t| t.rule == "HighErrorRate" && t.to == AlertState::Firing)
        );
        assert!(demo.set_rules("groups: [").is_err());
        assert_eq!(demo.rules_text(), DEFAULT_RULES);
    }

    #[test]
    fn the_default_rule_tests_pass_on_the_default_rules() {
        let r = o11y_alerting::rules::unittest::run_test_file(DEFAULT_RULE_TESTS, &|name| {
            if name == "rules.yml" {
                Ok(DEFAULT_RULES.to_string())
            } else {
                Err("no such file".into())
            }
        });
        assert!(r.passed, "{}", r.output);
    }

    #[test]
    fn the_shop_is_scraped_through_its_relabel_configs() {
        let mut demo = Demo::new(DemoConfig::default(), 1_800_000);
        assert_eq!(
            demo.shop_target_labels().unwrap(),
            [
                ("instance".to_string(), "shop:8080".to_string()),
                ("job".to_string(), "shop".to_string())
            ]
        );
        let config = DEFAULT_SCRAPE_CONFIG
            .replace("relabel_configs: []\n#", "relabel_configs:\n  - {target_label: env, replacement: demo}\n#")
            .replace("metric_relabel_configs: []", "metric_relabel_configs:\n  - {source_labels: [__name__], regex: process_resident_memory_bytes, action: drop}");
        demo.set_scrape_config(&config).unwrap();
        demo.step(30_000).unwrap();
        let now = demo.now_ms();
        let fresh = |name: &str| {
            demo.store()
                .select(&[Matcher::metric(name)], now - 1_000, now)
        };
        assert!(fresh("process_resident_memory_bytes").iter().all(|s| {
            s.samples
                .iter()
                .all(|x| o11y_metrics::store::is_stale(x.value))
        }));
        assert!(
            fresh("http_requests_total")
                .iter()
                .all(|s| s.labels.get("env") == Some("demo"))
        );
        let dropped = DEFAULT_SCRAPE_CONFIG.replace(
            "relabel_configs: []\n#",
            "relabel_configs:\n  - {source_labels: [job], regex: nope, action: keep}\n#",
        );
        demo.set_scrape_config(&dropped).unwrap();
        assert_eq!(demo.shop_target_labels(), None);
        assert!(
            demo.set_scrape_config("job_name: x\nstatic_configs: []\n")
                .is_err()
        );
    }

    #[test]
    fn a_workspace_rebuilds_what_the_user_made() {
        let mut demo = Demo::new(DemoConfig::default(), 1_800_000);
        demo.ingest_exposition("temp_celsius{room=\"a\"} 21\n", "sensors", "pi:9100")
            .unwrap();
        demo.ingest_logs(
            "level=error msg=boom\n",
            &o11y_logs::ingest::IngestOptions::default(),
        )
        .unwrap();
        demo.define_metric(&MetricDefinition {
            name: "queue_depth".into(),
            help: "Jobs.".into(),
            kind: MetricKind::Gauge,
            labels: vec![],
            driven: true,
            typical_value: 3.0,
        })
        .unwrap();
        let rules = DEFAULT_RULES.replace("> 0.05", "> 0.07");
        demo.set_rules(&rules).unwrap();
        demo.shop_mut()
            .inject(o11y_sim::topology::Injection {
                failure: o11y_sim::topology::Failure::CacheMissStorm,
                start_ms: 0,
                end_ms: None,
            })
            .unwrap();
        demo.clock_mut().set_speed(10.0);
        let ws = demo.workspace("#/alerts");
        let text = ws.to_json();
        let back = crate::workspace::Workspace::from_json(&text).unwrap();
        let (restored, skipped) = Demo::from_workspace(&back, 3_600_000).unwrap();
        assert!(skipped.is_empty(), "{skipped:?}");
        assert_eq!(restored.rules_text(), rules);
        assert_eq!(restored.series_of("temp_celsius").len(), 1);
        assert!(restored.catalog().iter().any(|m| m.name == "queue_depth"));
        assert_eq!(restored.clock().speed(), 10.0);
        assert_eq!(
            restored.shop().active_failures(3_600_000),
            [o11y_sim::topology::Failure::CacheMissStorm]
        );
        let q = o11y_logs::metric::LogQuery {
            start_ns: 0,
            end_ns: i64::MAX,
            step_ms: 0,
            limit: 10,
        };
        let Ok(o11y_logs::metric::LogqlResult::Logs(lines)) =
            restored.logql(r#"{job="pasted"} |= "boom""#, &q)
        else {
            panic!()
        };
        assert_eq!(lines.len(), 1);
        assert_eq!(
            restored.workspace("#/alerts"),
            ws,
            "saving again gives the same document"
        );
    }

    #[test]
    fn a_step_moves_a_paused_demo() {
        let mut demo = Demo::new(DemoConfig::default(), 1_800_000);
        demo.clock_mut().pause();
        let requests = demo.shop().requests();
        demo.step(15_000).unwrap();
        assert_eq!(demo.now_ms(), 1_815_000);
        assert!(demo.shop().requests() > requests);
    }

    #[test]
    fn restarting_with_another_seed_or_topology() {
        let mut demo = Demo::new(DemoConfig::default(), 1_800_000);
        let mut topology = Topology::default();
        topology.services.truncate(1);
        topology.services[0]
            .endpoints
            .iter_mut()
            .for_each(|e| e.calls.clear());
        demo.restart(9, topology).unwrap();
        assert_eq!(demo.config().seed, 9);
        assert_eq!(demo.now_ms(), 1_800_000);
        let services = demo.series_of("http_requests_in_flight");
        assert_eq!(services.len(), 1);
        let mut cyclic = Topology::default();
        cyclic.services[6].endpoints[0]
            .calls
            .push(o11y_sim::topology::Call {
                service: "frontend".into(),
                endpoint: "/".into(),
                retries: 0,
                timeout_ms: 1.0,
            });
        assert!(demo.restart(9, cyclic).is_err());
        assert_eq!(demo.config().seed, 9, "a refused restart changes nothing");
    }

    #[test]
    fn starts_backfilled() {
        let demo = Demo::new(DemoConfig::default(), 1_800_000);
        let points = demo.requests_per_second();
        let (start, end) = demo.window();
        assert!(points.len() >= 30, "{}", points.len());
        assert!(points.iter().all(|(t, _)| (start..=end).contains(t)));
        // About 20 req/s from the first point on: no start-up ramp in view.
        for (_, rate) in &points {
            assert!((12.0..28.0).contains(rate), "about 20 req/s, got {rate}");
        }
        let ratio = demo.error_ratio().unwrap();
        assert!(ratio < 0.05, "{ratio}");
    }

    #[test]
    fn raising_the_error_ratio_shows_in_the_stat() {
        let mut demo = Demo::new(DemoConfig::default(), 1_800_000);
        demo.set_error_rate(0.2);
        demo.clock_mut().set_speed(100.0);
        demo.tick(1_000.0).unwrap(); // 100 s of virtual time
        let ratio = demo.error_ratio().unwrap();
        assert!((0.1..0.3).contains(&ratio), "{ratio}");
    }

    /// The default shop with its entry service, `frontend`, named `web`.
    fn shop_entering_at_web() -> Topology {
        let mut topology = Topology::default();
        assert_eq!(topology.services[0].name, "frontend");
        topology.services[0].name = "web".into();
        topology
    }

    // The live panels and the error-rate slider named `frontend`: after the
    // user renamed it they showed nothing and moved nothing.
    #[test]
    fn a_renamed_entry_service_still_drives_the_live_panels_and_the_error_rate() {
        let config = DemoConfig {
            topology: shop_entering_at_web(),
            ..DemoConfig::default()
        };
        let mut demo = Demo::new(config, 1_800_000);
        assert_eq!(demo.entry_service(), "web");
        let points = demo.requests_per_second();
        assert!(points.len() >= 30, "{}", points.len());
        for (_, rate) in &points {
            assert!((12.0..28.0).contains(rate), "about 20 req/s, got {rate}");
        }
        assert!(demo.error_ratio().unwrap() < 0.05);
        demo.set_error_rate(0.2);
        assert_eq!(demo.error_rate(), 0.2);
        assert_eq!(demo.shop().error_rate("web"), 0.2);
        demo.clock_mut().set_speed(100.0);
        demo.tick(1_000.0).unwrap();
        let ratio = demo.error_ratio().unwrap();
        assert!((0.1..0.3).contains(&ratio), "{ratio}");
    }

    #[test]
    fn renaming_the_entry_service_while_running_moves_the_live_panels_to_it() {
        let mut demo = Demo::new(DemoConfig::default(), 1_800_000);
        demo.shop_mut()
            .set_topology(shop_entering_at_web())
            .unwrap();
        assert_eq!(demo.entry_service(), "web");
        demo.set_error_rate(0.5);
        demo.step(120_000).unwrap();
        let (_, rate) = *demo.requests_per_second().last().unwrap();
        assert!((12.0..28.0).contains(&rate), "web's requests, got {rate}");
        let ratio = demo.error_ratio().unwrap();
        assert!((0.35..0.65).contains(&ratio), "{ratio}");
        // A failure aimed at the old name is refused, with the names there are.
        let now = demo.now_ms();
        let refused = demo
            .shop_mut()
            .inject(o11y_sim::topology::Injection {
                failure: o11y_sim::topology::Failure::ErrorBurst {
                    service: "frontend".into(),
                    rate: 0.3,
                },
                start_ms: now,
                end_ms: None,
            })
            .unwrap_err()
            .to_string();
        assert!(
            refused.contains("no service \"frontend\"") && refused.contains("web"),
            "{refused}"
        );
        assert!(demo.shop().injections().is_empty());
    }

    #[test]
    fn paused_demo_does_not_move() {
        let mut demo = Demo::new(DemoConfig::default(), 1_800_000);
        demo.clock_mut().pause();
        let before = demo.requests_per_second();
        demo.tick(10_000.0).unwrap();
        assert_eq!(demo.now_ms(), 1_800_000);
        assert_eq!(demo.requests_per_second(), before);
    }

    #[test]
    fn a_long_sleep_is_capped() {
        let mut demo = Demo::new(DemoConfig::default(), 0);
        demo.clock_mut().set_speed(100.0);
        demo.tick(3_600_000.0).unwrap();
        assert_eq!(demo.now_ms(), 500_000, "5 s of real time at most");
        assert!(!demo.is_lagging());
    }

    #[test]
    fn pasted_metrics_are_scrapes_of_their_target() {
        let mut demo = Demo::new(DemoConfig::default(), 1_800_000);
        let text = "# HELP temp_celsius Temperature.\n# TYPE temp_celsius gauge\ntemp_celsius{room=\"a\"} 21\n";
        let report = demo.ingest_exposition(text, "sensors", "pi:9100").unwrap();
        assert_eq!(report.samples_stored, 1);
        let info = demo
            .catalog()
            .into_iter()
            .find(|m| m.name == "temp_celsius")
            .unwrap();
        assert_eq!(
            (info.kind, info.help.as_str(), info.series),
            (MetricType::Gauge, "Temperature.", 1)
        );
        let series = demo.series_of("temp_celsius");
        assert_eq!(series[0].0.get("job"), Some("sensors"));
        assert_eq!(series[0].1.map(|s| s.value), Some(21.0));
        // A later paste is the next scrape: the value updates.
        demo.tick(1_000.0).unwrap();
        demo.ingest_exposition("temp_celsius{room=\"a\"} 22\n", "sensors", "pi:9100")
            .unwrap();
        assert_eq!(
            demo.series_of("temp_celsius")[0].1.map(|s| s.value),
            Some(22.0)
        );
        // `up` for the pasted target sits beside the shop's and the playground's own.
        assert_eq!(demo.series_of("up").len(), 3);
    }

    /// Refused writes were dropped with `let _ =` and `is_ok()`; each is
    /// counted by reason now, and queryable as Prometheus names them.
    #[test]
    fn refused_writes_are_counted_and_queryable() {
        let mut demo = Demo::new(DemoConfig::default(), 1_800_000);
        let value = |demo: &Demo, query: &str| {
            let expr = o11y_promql::parse(query).unwrap();
            match demo.instant_query(&expr, demo.now_ms()).unwrap() {
                o11y_promql::eval::Value::Vector(v) => v.iter().map(|s| s.value).sum::<f64>(),
                other => panic!("{other:?}"),
            }
        };
        assert_eq!(
            value(&demo, "prometheus_tsdb_out_of_order_samples_total"),
            0.0
        );
        // A paste with a sample older than the one stored before.
        demo.ingest_exposition("temp 1 1700000000000\n", "sensors", "pi:9100")
            .unwrap();
        demo.step(1_000).unwrap();
        let report = demo
            .ingest_exposition("temp 2 1690000000000\n", "sensors", "pi:9100")
            .unwrap();
        assert_eq!(report.refusals.to_string(), "1 out_of_order");
        // A recording rule writing a series a paste already wrote ahead of it.
        demo.ingest_exposition("copy 5 2000000000000\n", "x", "x")
            .unwrap();
        demo.set_rules("groups:\n- name: copy\n  rules:\n  - record: copy\n    expr: vector(1)\n    labels: {job: x, instance: x}\n")
            .unwrap();
        demo.step(60_000).unwrap();
        let group = &demo.rules().groups[0];
        assert!(
            group.refused.get("out_of_order") >= 4,
            "{:?}",
            group.refused
        );
        let error = demo.rules().groups[0].rules[0]
            .last_error
            .clone()
            .unwrap_or_default();
        assert!(
            error.starts_with("the store refused 1 writes of the rule"),
            "{error}"
        );
        assert_eq!(
            value(&demo, "prometheus_target_scrapes_sample_out_of_order_total"),
            1.0
        );
        let tsdb = value(&demo, "prometheus_tsdb_out_of_order_samples_total");
        let rule = value(
            &demo,
            r#"o11y_rule_refused_samples_total{rule_group="rules.yml;copy", reason="out_of_order"}"#,
        );
        assert!(rule >= 3.0 && tsdb >= rule + 1.0, "{tsdb} {rule}");
        assert_eq!(
            value(
                &demo,
                r#"o11y_tsdb_refused_samples_total{reason="out_of_order"}"#
            ),
            tsdb
        );
        assert!(
            value(
                &demo,
                r#"prometheus_rule_evaluations_total{rule_group="rules.yml;copy"}"#
            ) >= 3.0
        );
        assert_eq!(value(&demo, r#"loki_discarded_samples_total"#), 0.0);
    }

    #[test]
    fn a_bad_paste_stores_nothing_and_says_where() {
        let mut demo = Demo::new(DemoConfig::default(), 0);
        let before = demo.store().stats();
        let Err(IngestError::Parse(errors)) = demo.ingest_exposition("ok 1\nbad{ 1\n", "j", "i")
        else {
            panic!("expected parse errors");
        };
        assert_eq!(errors[0].line, 2);
        assert_eq!(demo.store().stats(), before);
        assert_eq!(
            demo.ingest_exposition("ok 1\n", " ", "i"),
            Err(IngestError::EmptyTarget)
        );
    }

    #[test]
    fn histogram_series_names_find_their_family() {
        let demo = Demo::new(DemoConfig::default(), 1_800_000);
        let catalog = demo.catalog();
        let bucket = catalog
            .iter()
            .find(|m| m.name == "http_request_duration_seconds_bucket")
            .unwrap();
        assert_eq!(bucket.kind, MetricType::Histogram);
        assert!(bucket.series > 10);
        assert!(catalog.iter().any(|m| m.name == "scrape_duration_seconds"));
    }

    #[test]
    fn defined_metrics_appear_and_can_be_driven() {
        let mut demo = Demo::new(DemoConfig::default(), 1_800_000);
        let definition = MetricDefinition {
            name: "queue_depth".to_string(),
            help: "Jobs waiting.".to_string(),
            kind: MetricKind::Gauge,
            labels: vec![("queue".to_string(), "emails".to_string())],
            driven: true,
            typical_value: 40.0,
        };
        demo.define_metric(&definition).unwrap();
        assert!(
            demo.define_metric(&definition).is_err(),
            "a name is registered once"
        );
        let listed = demo
            .catalog()
            .into_iter()
            .find(|m| m.name == "queue_depth")
            .unwrap();
        assert_eq!((listed.kind, listed.series), (MetricType::Gauge, 0));
        demo.clock_mut().set_speed(10.0);
        demo.tick(3_000.0).unwrap(); // 30 s: at least one scrape
        let value = demo.series_of("queue_depth")[0].1.unwrap().value;
        assert!((32.0..=48.0).contains(&value), "{value}");
    }

    #[test]
    fn invalid_settings_fall_back_to_defaults() {
        let mut config = DemoConfig::default();
        config.topology.requests_per_s = -1.0;
        assert!(Demo::try_new(config.clone(), 0).is_err());
        assert_eq!(Demo::new(config, 0).config(), &DemoConfig::default());
    }

    #[test]
    fn the_examples_rebuild_without_loss() {
        for e in crate::workspace::examples() {
            let json = e.workspace.to_json();
            let ws = crate::workspace::Workspace::from_json(&json).unwrap();
            let (demo, skipped) = Demo::from_workspace(&ws, 3_600_000).unwrap();
            assert!(skipped.is_empty(), "{}: {skipped:?}", e.id);
            assert_eq!(
                demo.shop().active_failures(3_600_000),
                e.workspace.failures,
                "{}",
                e.id
            );
            e.workspace.to_link().unwrap();
        }
    }
}
