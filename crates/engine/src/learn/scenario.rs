//! A lesson's scenario: everything that makes its data, so that the same
//! scenario gives the same series, lines and spans on every machine, and
//! the demo session built from it.

use o11y_model::diag::Diagnostic;
use o11y_model::labels::Labels;
use o11y_sim::failure::{Failure, Injection};
use o11y_sim::topology::Topology;

use super::fields::Fields;
use crate::demo::{Demo, DemoConfig};

/// What a lesson runs on. Times in failures and exercises are relative to
/// `start_ms`, the virtual "now" the lesson opens at (paused).
#[derive(Clone, Debug, PartialEq)]
pub struct Scenario {
    pub seed: u64,
    /// The virtual time the lesson opens at (ms since the epoch).
    pub start_ms: i64,
    /// How much history is simulated before it.
    pub history_ms: i64,
    /// The last part of the history that also makes spans and logs.
    pub detail_ms: i64,
    pub topology: Topology,
    pub failures: Vec<FailureAt>,
    /// A rule file instead of the playground's default rules.
    pub rules: Option<String>,
    pub alertmanager: Option<String>,
    pub metrics: Vec<crate::workspace::MetricsPaste>,
    pub logs: Vec<crate::workspace::LogsPaste>,
    /// The page the lesson opens (`explore`, `logs`, `traces`, `alerts`…).
    pub page: String,
    /// The failures are the learner's to find: the simulator panel does
    /// not list them while the lesson is open (an investigation).
    pub hidden: bool,
}

/// 2026-01-05T10:00:00Z, a Monday morning.
pub const DEFAULT_START_MS: i64 = 1_767_607_200_000;

impl Default for Scenario {
    fn default() -> Self {
        Scenario {
            seed: 42,
            start_ms: DEFAULT_START_MS,
            history_ms: 3_600_000,
            detail_ms: 10 * 60_000,
            topology: Topology::default(),
            failures: Vec::new(),
            rules: None,
            alertmanager: None,
            metrics: Vec::new(),
            logs: Vec::new(),
            page: "explore".to_string(),
            hidden: false,
        }
    }
}

/// A failure from `from` to `to` (relative to the start; `None`: for good).
#[derive(Clone, Debug, PartialEq)]
pub struct FailureAt {
    pub failure: Failure,
    pub from: i64,
    pub to: Option<i64>,
    /// Where it is written, for errors.
    pub line: usize,
    pub col: usize,
}

/// Pages a lesson can open.
pub const PAGES: [&str; 8] = [
    "live",
    "metrics",
    "explore",
    "logs",
    "traces",
    "alerts",
    "dashboards",
    "relabel",
];

impl FailureAt {
    pub(super) fn read(f: &Fields) -> Result<FailureAt, Diagnostic> {
        f.only(&["kind", "service", "rate", "factor", "from", "to"])?;
        let kind = f.req_str("kind")?;
        let service = || f.req_str("service");
        let number = |key: &str| -> Result<f64, Diagnostic> {
            f.req_str(key)?
                .parse::<f64>()
                .map_err(|_| f.error(key, "expected a number"))
        };
        let failure = match kind.as_str() {
            "latency_spike" => Failure::LatencySpike {
                service: service()?,
                factor: number("factor")?,
            },
            "error_burst" => Failure::ErrorBurst {
                service: service()?,
                rate: number("rate")?,
            },
            "outage" => Failure::Outage {
                service: service()?,
            },
            "cache_miss_storm" => Failure::CacheMissStorm,
            "memory_leak" => Failure::MemoryLeak {
                service: service()?,
            },
            "traffic_flood" => Failure::TrafficFlood {
                factor: number("factor")?,
            },
            _ => {
                return Err(f.error(
                    "kind",
                    "a failure is latency_spike, error_burst, outage, cache_miss_storm, memory_leak or traffic_flood",
                ));
            }
        };
        let (line, col) = f.place();
        Ok(FailureAt {
            failure,
            from: f.opt_offset("from")?.unwrap_or(i64::MIN / 4),
            to: f.opt_offset("to")?,
            line,
            col,
        })
    }
}

/// An error of a document embedded in field `key` (a block scalar), at its
/// place in the lesson file: its own line shifted, or the field's place
/// when it has none (a template's error inside a rule, say).
fn embedded(f: &Fields, key: &str, d: Diagnostic) -> Diagnostic {
    match f.get(key) {
        Some(node) if d.line > 0 => super::fields::shift(d, node.line + f.offset()),
        Some(node) => f.at(node, format!("{key}: {d}")),
        None => d,
    }
}

impl Scenario {
    pub(super) fn read(f: &Fields) -> Result<Scenario, Diagnostic> {
        f.only(&[
            "seed",
            "start",
            "history",
            "detail",
            "topology",
            "traffic",
            "failures",
            "rules",
            "alertmanager",
            "metrics",
            "logs",
            "page",
            "hidden",
        ])?;
        let mut s = Scenario::default();
        if let Some(seed) = f.opt_str("seed")? {
            s.seed = seed
                .parse()
                .map_err(|_| f.error("seed", "the seed is a whole number"))?;
        }
        if let Some(start) = f.opt_str("start")? {
            s.start_ms = o11y_model::time::parse_rfc3339(&start)
                .map(|ns| ns.div_euclid(1_000_000))
                .ok_or_else(|| {
                    f.error(
                        "start",
                        "the start is an RFC 3339 time such as 2026-01-05T10:00:00Z",
                    )
                })?;
        }
        for (key, slot, max) in [
            ("history", &mut s.history_ms, 24 * 3_600_000),
            ("detail", &mut s.detail_ms, 3_600_000),
        ] {
            if let Some(ms) = f.opt_offset(key)? {
                if !(0..=max).contains(&ms) {
                    return Err(f.error(
                        key,
                        "a positive duration, at most 24h of history and 1h of detail",
                    ));
                }
                *slot = ms;
            }
        }
        if let Some(node) = f.get("topology") {
            let text = node.as_str().unwrap_or_default();
            if text != "default" {
                s.topology = Topology::from_text(text).map_err(|e| {
                    let d = Diagnostic::from(&e);
                    if d.line > 0 {
                        super::fields::shift(d, node.line + f.offset())
                    } else {
                        f.at(node, format!("topology: {d}"))
                    }
                })?;
            }
        }
        if f.get("traffic").is_some() {
            let rate = f
                .req_str("traffic")?
                .parse::<f64>()
                .ok()
                .filter(|r| (0.0..=o11y_sim::topology::MAX_REQUESTS_PER_S).contains(r))
                .ok_or_else(|| f.error("traffic", "requests per second, a number from 0 on"))?;
            s.topology.requests_per_s = rate;
        }
        s.failures = f
            .seq("failures")?
            .into_iter()
            .map(|n| FailureAt::read(&f.child(n, "failure")?))
            .collect::<Result<_, _>>()?;
        for fa in &s.failures {
            let injection = Injection {
                failure: fa.failure.clone(),
                start_ms: 0,
                end_ms: None,
            };
            injection.check(&s.topology).map_err(|e| {
                Diagnostic::at_line(
                    fa.line,
                    fa.col,
                    format!("failure: {}", Diagnostic::from(&e).message),
                )
            })?;
        }
        if let Some(rules) = f.opt_str("rules")? {
            o11y_alerting::rules::parse_rule_file(&rules).map_err(|errors| {
                let first = errors.into_iter().next().unwrap_or_default();
                embedded(f, "rules", first)
            })?;
            s.rules = Some(rules);
        }
        if let Some(am) = f.opt_str("alertmanager")? {
            o11y_alerting::alertmanager::AmConfig::parse(&am)
                .map_err(|e| embedded(f, "alertmanager", e))?;
            s.alertmanager = Some(am);
        }
        for node in f.seq("metrics")? {
            let m = f.child(node, "metrics paste")?;
            m.only(&["job", "instance", "text"])?;
            s.metrics.push(crate::workspace::MetricsPaste {
                job: m.req_str("job")?,
                instance: m.opt_str("instance")?.unwrap_or_else(|| "pasted".into()),
                text: m.req_str("text")?,
            });
        }
        for node in f.seq("logs")? {
            let l = f.child(node, "logs paste")?;
            l.only(&["labels", "label_fields", "text"])?;
            s.logs.push(crate::workspace::LogsPaste {
                labels: l.map_pairs("labels")?,
                label_fields: l.str_list("label_fields")?,
                text: l.req_str("text")?,
            });
        }
        s.hidden = f.opt_bool("hidden")?.unwrap_or(false);
        if let Some(page) = f.opt_str("page")? {
            if !PAGES.contains(&page.as_str()) {
                return Err(f.error("page", &format!("the page is one of {}", PAGES.join(", "))));
            }
            s.page = page;
        }
        Ok(s)
    }

    /// The demo session of this scenario at its start, paused: the same
    /// every time.
    pub fn build(&self) -> Result<Demo, Diagnostic> {
        let config = DemoConfig {
            seed: self.seed,
            topology: self.topology.clone(),
            backfill_ms: self.history_ms,
            detail_backfill_ms: self.detail_ms,
            failures: self
                .failures
                .iter()
                .map(|f| Injection {
                    failure: f.failure.clone(),
                    start_ms: self.start_ms.saturating_add(f.from),
                    end_ms: f.to.map(|t| self.start_ms.saturating_add(t)),
                })
                .collect(),
            rules: self.rules.clone(),
            ..DemoConfig::default()
        };
        let mut demo = Demo::try_new(config, self.start_ms).map_err(|e| Diagnostic::from(&e))?;
        if let Some(am) = &self.alertmanager {
            demo.set_alertmanager_config(am)?;
        }
        for p in &self.metrics {
            demo.ingest_exposition(&p.text, &p.job, &p.instance)
                .map_err(|e| Diagnostic::new(format!("metrics paste for {}: {e}", p.job)))?;
        }
        for p in &self.logs {
            let options = o11y_logs::ingest::IngestOptions {
                labels: Labels::new(p.labels.iter().map(|(k, v)| (k.as_str(), v.as_str()))),
                label_fields: p.label_fields.clone(),
                // Lines without a time of their own arrive a millisecond
                // apart, the last one just before the start, so queries
                // at the start see them.
                arrival_ns: (self.start_ms - 1 - p.text.lines().count() as i64)
                    .saturating_mul(1_000_000),
            };
            demo.ingest_logs(&p.text, &options)
                .map_err(|e| Diagnostic::new(format!("logs paste: {e}")))?;
        }
        demo.clock_mut().pause();
        Ok(demo)
    }
}
