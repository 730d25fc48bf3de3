//! Rule evaluation as Prometheus 3 does it, on the virtual clock.
//!
//! Each group is evaluated at multiples of its interval, its rules in
//! order, each an instant query at the evaluation time (less the group's
//! `query_offset`). Recording rules write their result back as series
//! named after the rule. Alerting rules keep one alert per label set
//! (after the rule's templated labels and `alertname` are added), which
//! moves inactive → pending → firing once it has been active for `for`,
//! stays firing for `keep_firing_for` after its condition is gone, and is
//! resolved after that. Pending and firing alerts are written as
//! `ALERTS{alertstate=…}` and `ALERTS_FOR_STATE` (the time it became
//! active); series a rule stops writing get a stale marker, as Prometheus
//! writes them.

use std::collections::{BTreeMap, HashSet};

use super::file::{Rule, RuleFile, RuleGroup, RuleKind, TEMPLATE_VARS};
use o11y_metrics::store::{STALE_NAN, Sample, SeriesStore};
use o11y_model::labels::{Labels, METRIC_NAME};
use o11y_promql::eval::{EvalError, Evaluator, QueryLimits, Value as PromValue};
use o11y_template::{Env, Template, Value};

/// How long a resolved alert is kept (and sent) after it resolves.
pub const RESOLVED_RETENTION_MS: i64 = 15 * 60_000;

/// Where an alert is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AlertState {
    Inactive,
    Pending,
    Firing,
}

impl AlertState {
    pub fn name(self) -> &'static str {
        match self {
            AlertState::Inactive => "inactive",
            AlertState::Pending => "pending",
            AlertState::Firing => "firing",
        }
    }
}

/// One alert of an alerting rule.
#[derive(Clone, Debug, PartialEq)]
pub struct Alert {
    /// The series' labels, the rule's labels and `alertname`.
    pub labels: Labels,
    pub annotations: Vec<(String, String)>,
    pub state: AlertState,
    pub value: f64,
    pub active_at_ms: i64,
    pub fired_at_ms: Option<i64>,
    pub resolved_at_ms: Option<i64>,
    pub keep_firing_since_ms: Option<i64>,
    pub last_eval_ms: i64,
}

/// A change of an alert's state, for the timeline.
#[derive(Clone, Debug, PartialEq)]
pub struct Transition {
    pub group: String,
    pub rule: String,
    pub labels: Labels,
    pub from: AlertState,
    pub to: AlertState,
    pub at_ms: i64,
    pub value: f64,
}

/// A rule with what its evaluations left behind.
#[derive(Clone, Debug)]
pub struct RuleState {
    pub rule: Rule,
    /// Rule labels, the group's first (the rule's win).
    labels: Vec<(String, String)>,
    /// Alerts by label set (alerting rules).
    active: BTreeMap<Labels, Alert>,
    /// Series written by the last evaluation (for stale markers).
    written: HashSet<Labels>,
    pub last_error: Option<String>,
    pub last_eval_ms: Option<i64>,
    /// Series or alerts the last evaluation produced.
    pub last_samples: usize,
}

impl RuleState {
    /// Pending and firing alerts (and resolved ones still kept), by labels.
    pub fn alerts(&self) -> impl Iterator<Item = &Alert> {
        self.active.values()
    }

    /// Pending and firing alerts only (Prometheus's `ActiveAlerts`).
    pub fn active_alerts(&self) -> impl Iterator<Item = &Alert> {
        self.active
            .values()
            .filter(|a| a.state != AlertState::Inactive)
    }
}

#[derive(Clone, Debug)]
pub struct GroupState {
    pub group: RuleGroup,
    pub interval_ms: i64,
    pub rules: Vec<RuleState>,
    next_eval_ms: i64,
    /// Rule evaluations so far (Prometheus's `prometheus_rule_evaluations_total`).
    pub evaluations: u64,
    /// Evaluations that failed: the query, the template or the limit
    /// (`prometheus_rule_evaluation_failures_total`).
    pub evaluation_failures: u64,
    /// Samples and staleness markers of its rules the store refused, by reason.
    pub refused: o11y_metrics::store::Refusals,
    /// Evaluations skipped because the group fell too far behind the
    /// clock (`prometheus_rule_group_iterations_missed_total`).
    pub iterations_missed: u64,
}

impl GroupState {
    /// When the group is next due.
    pub fn next_eval_ms(&self) -> i64 {
        self.next_eval_ms
    }
}

/// All groups of a rule file, evaluated on the virtual clock.
#[derive(Clone, Debug)]
pub struct RuleEngine {
    pub groups: Vec<GroupState>,
    pub external_labels: Vec<(String, String)>,
    pub external_url: String,
    pub limits: QueryLimits,
    /// State changes, oldest first (the most recent `MAX_TRANSITIONS`).
    pub transitions: std::collections::VecDeque<Transition>,
}

/// State changes kept for the timeline.
pub const MAX_TRANSITIONS: usize = 20_000;

/// Most evaluations of one group due at once: past them, the older ones
/// are skipped as missed. An hour of 15 s evaluations is 240.
pub const MAX_ITERATIONS_BEHIND: i64 = 1_000;

impl RuleEngine {
    /// Groups whose first evaluation is the first multiple of their
    /// interval at or after `start_ms`.
    pub fn new(file: RuleFile, global_interval_ms: i64, start_ms: i64) -> RuleEngine {
        let groups = file
            .groups
            .into_iter()
            .map(|group| {
                let interval_ms = group.interval_ms.unwrap_or(global_interval_ms).max(1);
                let rules = group
                    .rules
                    .iter()
                    .map(|rule| {
                        let mut labels: Vec<(String, String)> = group
                            .labels
                            .iter()
                            .filter(|(k, _)| !rule.labels.iter().any(|(r, _)| r == k))
                            .cloned()
                            .collect();
                        labels.extend(rule.labels.iter().cloned());
                        RuleState {
                            rule: rule.clone(),
                            labels,
                            active: BTreeMap::new(),
                            written: HashSet::new(),
                            last_error: None,
                            last_eval_ms: None,
                            last_samples: 0,
                        }
                    })
                    .collect();
                GroupState {
                    next_eval_ms: start_ms.div_euclid(interval_ms) * interval_ms
                        + if start_ms.rem_euclid(interval_ms) == 0 {
                            0
                        } else {
                            interval_ms
                        },
                    interval_ms,
                    group,
                    rules,
                    evaluations: 0,
                    evaluation_failures: 0,
                    refused: Default::default(),
                    iterations_missed: 0,
                }
            })
            .collect();
        RuleEngine {
            groups,
            external_labels: Vec::new(),
            external_url: String::new(),
            limits: QueryLimits::default(),
            transitions: Default::default(),
        }
    }

    /// Every evaluation due up to `to_ms`, in time order (groups due at the
    /// same time in file order); of a group more than
    /// [`MAX_ITERATIONS_BEHIND`] evaluations behind, only the last ones.
    pub fn advance_to<S: SeriesStore>(&mut self, to_ms: i64, store: &mut S) {
        self.skip_missed(to_ms);
        loop {
            let due = self
                .groups
                .iter()
                .enumerate()
                .filter(|(_, g)| g.next_eval_ms <= to_ms)
                .min_by_key(|(i, g)| (g.next_eval_ms, *i))
                .map(|(i, _)| i);
            let Some(i) = due else { return };
            let ts = self.groups[i].next_eval_ms;
            self.eval_group(i, ts, store);
            self.groups[i].next_eval_ms = ts + self.groups[i].interval_ms;
        }
    }

    /// Skips the evaluations of groups more than [`MAX_ITERATIONS_BEHIND`]
    /// intervals behind `now_ms`, counting them as missed, as Prometheus
    /// skips the iterations a group could not keep up with: a group with
    /// a tiny interval (`interval: 1ms` is valid) cannot freeze the page.
    pub fn skip_missed(&mut self, now_ms: i64) {
        for g in &mut self.groups {
            let due = (now_ms - g.next_eval_ms).div_euclid(g.interval_ms) + 1;
            if due > MAX_ITERATIONS_BEHIND {
                let skipped = due - MAX_ITERATIONS_BEHIND;
                g.next_eval_ms += skipped * g.interval_ms;
                g.iterations_missed += skipped as u64;
            }
        }
    }

    /// Evaluates group `index` at `ts_ms`.
    pub fn eval_group<S: SeriesStore>(&mut self, index: usize, ts_ms: i64, store: &mut S) {
        let external = Value::labels(
            self.external_labels
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str())),
        );
        let Some(group) = self.groups.get_mut(index) else {
            return;
        };
        let query_ts = ts_ms - group.group.query_offset_ms;
        let limit = group.group.limit;
        let group_name = group.group.name.clone();
        for state in &mut group.rules {
            let result = instant_query(&*store, &state.rule.expr, query_ts, self.limits)
                .map_err(|e| e.to_string());
            state.last_eval_ms = Some(ts_ms);
            let outcome = match result {
                Ok(samples) => match state.rule.kind.clone() {
                    RuleKind::Record(name) => record(state, &name, samples, limit),
                    RuleKind::Alert(name) => {
                        let env = TemplateEnv {
                            external: &external,
                            external_url: &self.external_url,
                            store: &*store,
                            ts_ms: query_ts,
                            limits: self.limits,
                        };
                        alert(
                            state,
                            &name,
                            samples,
                            ts_ms,
                            limit,
                            &env,
                            &group_name,
                            &mut self.transitions,
                        )
                    }
                },
                Err(e) => Err(e),
            };
            group.evaluations += 1;
            let written = match outcome {
                Ok(out) => {
                    state.last_error = None;
                    out
                }
                Err(e) => {
                    group.evaluation_failures += 1;
                    state.last_error = Some(e);
                    Vec::new()
                }
            };
            state.last_samples = written.len();
            let mut now = HashSet::with_capacity(written.len());
            let mut refused = o11y_metrics::store::Refusals::default();
            let mut first_refusal = None;
            for (labels, value) in written {
                match store.append(&labels, Sample { ts_ms, value }) {
                    Ok(()) => {
                        now.insert(labels);
                    }
                    Err(e) => {
                        refused.count(&e);
                        first_refusal.get_or_insert(e);
                    }
                }
            }
            // Prometheus leaves refused staleness markers out of its logs (a
            // series another rule writes too is expected to refuse them), but
            // they are counted here all the same.
            for gone in state.written.difference(&now) {
                let marker = Sample {
                    ts_ms,
                    value: STALE_NAN,
                };
                if let Err(e) = store.append(gone, marker) {
                    refused.count(&e);
                }
            }
            // A refused result makes the rule unhealthy, as in Prometheus.
            if let Some(e) = first_refusal
                && state.last_error.is_none()
            {
                state.last_error = Some(format!(
                    "the store refused {} writes of the rule ({refused}): {e}",
                    refused.total()
                ));
            }
            group.refused.merge(&refused);
            state.written = now;
        }
        while self.transitions.len() > MAX_TRANSITIONS {
            self.transitions.pop_front();
        }
    }

    /// Every alert of every alerting rule (pending, firing, or resolved and kept).
    pub fn alerts(&self) -> impl Iterator<Item = (&GroupState, &RuleState, &Alert)> {
        self.groups
            .iter()
            .flat_map(|g| g.rules.iter().map(move |r| (g, r)))
            .flat_map(|(g, r)| r.alerts().map(move |a| (g, r, a)))
    }
}

/// What an alert expression compares against a number: the compared
/// expression (to graph) and the threshold, for `A > 0.05`, `0.5 < A` and
/// the like. `None` for other shapes.
pub fn threshold_of(expr: &o11y_promql::ast::Expr) -> Option<(String, f64)> {
    use o11y_promql::ast::ExprKind;
    let mut e = expr;
    while let ExprKind::Paren(inner) = &e.kind {
        e = inner;
    }
    let ExprKind::Binary(b) = &e.kind else {
        return None;
    };
    if !b.op.is_comparison() || b.return_bool {
        return None;
    }
    let number = |x: &o11y_promql::ast::Expr| match &x.kind {
        ExprKind::Number(v) => Some(*v),
        ExprKind::Unary {
            op: o11y_promql::ast::UnaryOp::Minus,
            expr,
        } => match expr.kind {
            ExprKind::Number(v) => Some(-v),
            _ => None,
        },
        _ => None,
    };
    match (number(&b.lhs), number(&b.rhs)) {
        (None, Some(t)) => Some((b.lhs.to_string(), t)),
        (Some(t), None) => Some((b.rhs.to_string(), t)),
        _ => None,
    }
}

/// One alert's states over a time range, for the timeline.
#[derive(Clone, Debug, PartialEq)]
pub struct AlertTimeline {
    pub labels: Labels,
    /// `(state, from, to)`: pending and firing spans, clipped to the range.
    pub spans: Vec<(AlertState, i64, i64)>,
}

impl RuleEngine {
    /// Every alert of rule `rule` that was pending or firing in
    /// `start_ms..=end_ms`, with its spans, sorted by labels.
    pub fn timeline(&self, rule: &str, start_ms: i64, end_ms: i64) -> Vec<AlertTimeline> {
        let mut open: BTreeMap<Labels, (AlertState, i64)> = BTreeMap::new();
        let mut out: BTreeMap<Labels, Vec<(AlertState, i64, i64)>> = BTreeMap::new();
        let mut close = |labels: &Labels, state: AlertState, from: i64, to: i64| {
            let (from, to) = (from.max(start_ms), to.min(end_ms));
            if state != AlertState::Inactive && from <= to {
                out.entry(labels.clone())
                    .or_default()
                    .push((state, from, to));
            }
        };
        for t in self.transitions.iter().filter(|t| t.rule == rule) {
            if let Some((state, since)) = open.remove(&t.labels) {
                close(&t.labels, state, since, t.at_ms);
            }
            open.insert(t.labels.clone(), (t.to, t.at_ms));
        }
        for (labels, (state, since)) in open {
            close(&labels, state, since, end_ms);
        }
        out.into_iter()
            .map(|(labels, spans)| AlertTimeline { labels, spans })
            .collect()
    }
}

/// An instant query's result as samples: a vector, or a scalar as one
/// sample without labels.
pub fn instant_query<S: SeriesStore>(
    store: &S,
    expr: &o11y_promql::ast::Expr,
    ts_ms: i64,
    limits: QueryLimits,
) -> Result<Vec<(Labels, f64)>, EvalError> {
    let value = Evaluator::new(store, ts_ms, ts_ms, 0, limits)
        .prepare(expr)
        .eval(expr, ts_ms)?;
    match value {
        PromValue::Vector(v) => Ok(v
            .into_iter()
            .filter(|s| s.histogram.is_none())
            .map(|s| (s.labels, s.value))
            .collect()),
        PromValue::Scalar(f) => Ok(vec![(Labels::default(), f)]),
        _ => Err(EvalError::at_span(
            expr.span.clone(),
            "rule result is not a vector or scalar",
        )),
    }
}

fn record(
    state: &RuleState,
    name: &str,
    samples: Vec<(Labels, f64)>,
    limit: usize,
) -> Result<Vec<(Labels, f64)>, String> {
    let mut out = Vec::with_capacity(samples.len());
    let mut seen = HashSet::new();
    for (labels, value) in samples {
        let mut l = labels.with(METRIC_NAME, name);
        for (k, v) in &state.labels {
            l = l.with(k, v);
        }
        if !seen.insert(l.clone()) {
            return Err(
                "vector contains metrics with the same labelset after applying rule labels".into(),
            );
        }
        out.push((l, value));
    }
    if limit > 0 && out.len() > limit {
        return Err(format!(
            "exceeded limit of {limit} with {} series",
            out.len()
        ));
    }
    Ok(out)
}

/// What alert templates can reach.
struct TemplateEnv<'a, S: SeriesStore> {
    external: &'a Value,
    external_url: &'a str,
    store: &'a S,
    ts_ms: i64,
    limits: QueryLimits,
}

impl<S: SeriesStore> TemplateEnv<'_, S> {
    /// Expands one label or annotation template; errors become the text,
    /// as Prometheus writes them.
    fn expand(&self, rule: &str, text: &str, labels: &Labels, value: f64) -> String {
        if !text.contains("{{") {
            return text.to_string();
        }
        let name = format!("__alert_{rule}");
        let template = match Template::parse(&name, text, &TEMPLATE_VARS) {
            Ok(t) => t,
            Err(e) => return format!("<error expanding template: {e}>"),
        };
        let run = |q: &str| -> Result<Vec<o11y_template::Sample>, String> {
            let expr = o11y_promql::parse(q).map_err(|e| e.to_string())?;
            Ok(instant_query(self.store, &expr, self.ts_ms, self.limits)
                .map_err(|e| e.to_string())?
                .into_iter()
                .map(|(l, v)| o11y_template::Sample {
                    labels: l
                        .iter()
                        .map(|l| (l.name.clone(), l.value.clone()))
                        .collect(),
                    value: v,
                })
                .collect())
        };
        let env = Env::default()
            .with_query(&run)
            .with_clock_and_url(self.ts_ms as f64 / 1000.0, self.external_url)
            .var(
                "labels",
                Value::labels(labels.iter().map(|l| (l.name.as_str(), l.value.as_str()))),
            )
            .var("externalLabels", self.external.clone())
            .var("externalURL", Value::Str(self.external_url.to_string()))
            .var("value", Value::Float(value));
        match template.render(&env) {
            Ok(s) => s,
            Err(e) => format!("<error expanding template: {e}>"),
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn alert<S: SeriesStore>(
    state: &mut RuleState,
    name: &str,
    samples: Vec<(Labels, f64)>,
    ts_ms: i64,
    limit: usize,
    env: &TemplateEnv<'_, S>,
    group: &str,
    transitions: &mut std::collections::VecDeque<Transition>,
) -> Result<Vec<(Labels, f64)>, String> {
    let mut current: HashSet<Labels> = HashSet::new();
    let mut change = |a: &Alert, from: AlertState, to: AlertState, at_ms: i64| {
        transitions.push_back(Transition {
            group: group.to_string(),
            rule: name.to_string(),
            labels: a.labels.clone(),
            from,
            to,
            at_ms,
            value: a.value,
        });
    };
    for (series, value) in samples {
        let series = series.without(METRIC_NAME);
        let mut labels = series.clone();
        for (k, v) in &state.labels {
            let expanded = env.expand(name, v, &series, value);
            labels = labels.with(k, &expanded);
        }
        labels = labels.with("alertname", name);
        let annotations: Vec<(String, String)> = state
            .rule
            .annotations
            .iter()
            .map(|(k, v)| (k.clone(), env.expand(name, v, &series, value)))
            .collect();
        if !current.insert(labels.clone()) {
            return Err(
                "vector contains metrics with the same labelset after applying alert labels".into(),
            );
        }
        match state.active.get_mut(&labels) {
            Some(a) if a.state != AlertState::Inactive => {
                a.value = value;
                a.annotations = annotations;
                a.keep_firing_since_ms = None;
                a.last_eval_ms = ts_ms;
            }
            _ => {
                let a = Alert {
                    labels: labels.clone(),
                    annotations,
                    state: AlertState::Pending,
                    value,
                    active_at_ms: ts_ms,
                    fired_at_ms: None,
                    resolved_at_ms: None,
                    keep_firing_since_ms: None,
                    last_eval_ms: ts_ms,
                };
                change(&a, AlertState::Inactive, AlertState::Pending, ts_ms);
                state.active.insert(labels, a);
            }
        }
    }
    let keep_for = state.rule.keep_firing_for_ms;
    let hold = state.rule.for_ms;
    let mut remove = Vec::new();
    let mut active_count = 0;
    for (key, a) in state.active.iter_mut() {
        if !current.contains(key) {
            let mut keep_firing = false;
            if a.state == AlertState::Firing && keep_for > 0 {
                let since = *a.keep_firing_since_ms.get_or_insert(ts_ms);
                keep_firing = ts_ms - since < keep_for;
            }
            if !keep_firing {
                if a.state == AlertState::Pending
                    || a.resolved_at_ms
                        .is_some_and(|r| ts_ms - r > RESOLVED_RETENTION_MS)
                {
                    remove.push(key.clone());
                }
                if a.state != AlertState::Inactive {
                    change(a, a.state, AlertState::Inactive, ts_ms);
                    a.state = AlertState::Inactive;
                    a.resolved_at_ms = Some(ts_ms);
                }
                continue;
            }
        }
        active_count += 1;
        if a.state == AlertState::Pending && ts_ms - a.active_at_ms >= hold {
            change(a, AlertState::Pending, AlertState::Firing, ts_ms);
            a.state = AlertState::Firing;
            a.fired_at_ms = Some(ts_ms);
        }
    }
    for key in remove {
        state.active.remove(&key);
    }
    if limit > 0 && active_count > limit {
        state.active.clear();
        return Err(format!(
            "exceeded limit of {limit} with {active_count} alerts"
        ));
    }
    let mut out = Vec::new();
    for a in state
        .active
        .values()
        .filter(|a| a.state != AlertState::Inactive)
    {
        let mut series = a.labels.with(METRIC_NAME, "ALERTS");
        series = series.with("alertstate", a.state.name());
        out.push((series, 1.0));
        out.push((
            a.labels.with(METRIC_NAME, "ALERTS_FOR_STATE"),
            a.active_at_ms as f64 / 1000.0,
        ));
    }
    Ok(out)
}

/// A rule engine for `text` that has evaluated nothing yet; errors are the
/// rule file's.
pub fn engine_for(
    text: &str,
    global_interval_ms: i64,
    start_ms: i64,
) -> Result<RuleEngine, Vec<super::RuleError>> {
    let file: RuleFile = super::parse_rule_file(text)?;
    Ok(RuleEngine::new(file, global_interval_ms, start_ms))
}

#[cfg(test)]
mod tests {
    use super::*;
    use o11y_metrics::tsdb::Tsdb;
    use o11y_model::labels::Matcher;

    fn load(db: &mut Tsdb, name: &str, values: &[(i64, f64)]) {
        let l = Labels::new([(METRIC_NAME, name), ("instance", "a")]);
        for &(t, v) in values {
            db.append(
                &l,
                Sample {
                    ts_ms: t * 1000,
                    value: v,
                },
            )
            .unwrap();
        }
    }

    fn states(engine: &RuleEngine) -> Vec<(i64, &'static str, &'static str)> {
        engine
            .transitions
            .iter()
            .map(|t| (t.at_ms / 1000, t.from.name(), t.to.name()))
            .collect()
    }

    #[test]
    fn for_pending_firing_and_resolved() {
        let mut db = Tsdb::default();
        // Errors from 60 s to 240 s.
        load(
            &mut db,
            "errors",
            &(0..=600)
                .step_by(15)
                .map(|t| (t, if (60..=240).contains(&t) { 1.0 } else { 0.0 }))
                .collect::<Vec<_>>(),
        );
        let mut engine = engine_for(
            "groups:\n- name: g\n  rules:\n  - alert: E\n    expr: errors > 0\n    for: 2m\n    labels: {severity: page}\n    annotations: {summary: '{{ $labels.instance }} at {{ $value }}'}\n",
            30_000,
            0,
        )
        .unwrap();
        engine.advance_to(600_000, &mut db);
        assert_eq!(
            states(&engine),
            [
                (60, "inactive", "pending"),
                (180, "pending", "firing"),
                (270, "firing", "inactive")
            ]
        );
        let alerts = db.select(&[Matcher::metric("ALERTS")], 0, 600_000);
        assert_eq!(alerts.len(), 2, "pending and firing series");
        let firing = alerts
            .iter()
            .find(|s| s.labels.get("alertstate") == Some("firing"))
            .unwrap();
        assert_eq!(firing.labels.get("severity"), Some("page"));
        assert_eq!(firing.samples[0].ts_ms, 180_000);
        assert!(
            o11y_metrics::store::is_stale(firing.samples.last().unwrap().value),
            "a stale marker once resolved"
        );
        let for_state = db.select(&[Matcher::metric("ALERTS_FOR_STATE")], 0, 600_000);
        assert_eq!(for_state[0].samples[0].value, 60.0);
        let (_, _, a) = engine.alerts().next().unwrap();
        assert_eq!(a.state, AlertState::Inactive);
        assert_eq!(
            a.annotations,
            [("summary".to_string(), "a at 1".to_string())]
        );
    }

    #[test]
    fn thresholds_and_timelines() {
        let e = o11y_promql::parse("sum(rate(x[1m])) / sum(rate(y[1m])) > 0.05").unwrap();
        assert_eq!(
            threshold_of(&e),
            Some(("sum(rate(x[1m])) / sum(rate(y[1m]))".to_string(), 0.05))
        );
        assert_eq!(
            threshold_of(&o11y_promql::parse("(0.5 < up)").unwrap()).map(|t| t.1),
            Some(0.5)
        );
        assert_eq!(
            threshold_of(&o11y_promql::parse("up > bool 1").unwrap()),
            None
        );
        assert_eq!(
            threshold_of(&o11y_promql::parse("absent(up)").unwrap()),
            None
        );

        let mut db = Tsdb::default();
        load(
            &mut db,
            "errors",
            &(0..=600)
                .step_by(15)
                .map(|t| (t, if (60..=240).contains(&t) { 1.0 } else { 0.0 }))
                .collect::<Vec<_>>(),
        );
        let mut engine = engine_for(
            "groups:\n- name: g\n  rules:\n  - alert: E\n    expr: errors > 0\n    for: 2m\n",
            30_000,
            0,
        )
        .unwrap();
        engine.advance_to(600_000, &mut db);
        let t = engine.timeline("E", 0, 600_000);
        assert_eq!(t.len(), 1);
        assert_eq!(
            t[0].spans,
            [
                (AlertState::Pending, 60_000, 180_000),
                (AlertState::Firing, 180_000, 270_000)
            ]
        );
        assert_eq!(
            engine.timeline("E", 200_000, 220_000)[0].spans,
            [(AlertState::Firing, 200_000, 220_000)]
        );
        assert!(engine.timeline("Other", 0, 600_000).is_empty());
    }

    #[test]
    fn a_short_blip_never_fires_and_keep_firing_for_holds() {
        let mut db = Tsdb::default();
        load(
            &mut db,
            "x",
            &(0..=600)
                .step_by(15)
                .map(|t| {
                    (
                        t,
                        if (60..=90).contains(&t) || (300..=420).contains(&t) {
                            1.0
                        } else {
                            0.0
                        },
                    )
                })
                .collect::<Vec<_>>(),
        );
        let mut engine = engine_for(
            "groups:\n- name: g\n  rules:\n  - alert: Blip\n    expr: x > 0\n    for: 1m\n    keep_firing_for: 2m\n",
            30_000,
            0,
        )
        .unwrap();
        engine.advance_to(720_000, &mut db);
        assert_eq!(
            states(&engine),
            [
                (60, "inactive", "pending"),
                (120, "pending", "inactive"),
                (300, "inactive", "pending"),
                (360, "pending", "firing"),
                // Condition gone at 450 s; firing is kept for 2 m: until 570 s.
                (570, "firing", "inactive"),
            ]
        );
    }

    #[test]
    fn recording_rules_write_series_and_errors_are_kept() {
        let mut db = Tsdb::default();
        load(&mut db, "x", &[(0, 1.0), (60, 2.0)]);
        let mut engine = engine_for(
            "groups:\n- name: g\n  interval: 1m\n  labels: {team: a}\n  rules:\n  - record: job:x:sum\n    expr: sum(x)\n    labels: {team: b}\n  - record: bad\n    expr: (x or label_replace(x, \"instance\", \"b\", \"\", \"\")) + on() x\n  - record: two\n    expr: x\n  - record: capped\n    expr: x or vector(1)\n",
            15_000,
            0,
        )
        .unwrap();
        engine.groups[0].group.limit = 1;
        engine.advance_to(60_000, &mut db);
        let rec = db.select(&[Matcher::metric("job:x:sum")], 0, 60_000);
        assert_eq!(
            rec[0].labels.get("team"),
            Some("b"),
            "the rule's label wins"
        );
        assert_eq!(
            rec[0].samples.iter().map(|s| s.value).collect::<Vec<_>>(),
            [1.0, 2.0]
        );
        let rules = &engine.groups[0].rules;
        assert!(rules[1].last_error.is_some());
        assert_eq!(
            rules[3].last_error.as_deref(),
            Some("exceeded limit of 1 with 2 series")
        );
    }

    /// Recording-rule samples and staleness markers the store refused were
    /// dropped silently (`is_ok()`, `let _ =`); they are counted per group
    /// and make the rule unhealthy, as in Prometheus.
    #[test]
    fn refused_rule_samples_are_counted_and_shown() {
        let mut db = Tsdb::default();
        load(&mut db, "x", &[(0, 1.0), (30, 1.0), (60, 1.0)]);
        // Another writer is already ahead in the series the rule records.
        let recorded = Labels::new([("__name__", "x:copy"), ("instance", "a")]);
        db.append(
            &recorded,
            Sample {
                ts_ms: 45_000,
                value: 9.0,
            },
        )
        .unwrap();
        let rules = "groups:\n- name: g\n  rules:\n  - record: x:copy\n    expr: x\n";
        let mut engine = engine_for(rules, 30_000, 0).unwrap();
        engine.advance_to(60_000, &mut db);
        let group = &engine.groups[0];
        assert_eq!((group.evaluations, group.evaluation_failures), (3, 0));
        assert_eq!(
            group.refused.to_string(),
            "2 out_of_order",
            "at 0 s and 30 s"
        );
        let error = group.rules[0].last_error.clone().unwrap_or_default();
        assert!(
            error.is_empty(),
            "the evaluation at 60 s was stored: {error}"
        );
        let mut engine = engine_for(rules, 30_000, 0).unwrap();
        engine.advance_to(30_000, &mut db);
        let error = engine.groups[0].rules[0]
            .last_error
            .clone()
            .unwrap_or_default();
        assert!(
            error.starts_with(
                "the store refused 1 writes of the rule (1 out_of_order): out of order sample"
            ),
            "{error}"
        );
    }

    /// Regression (fuzz_rules, seed 9, input 719001): `interval: 30ms`
    /// made 20,000 evaluations for ten simulated minutes and froze the
    /// page; a group that far behind skips to its last evaluations, the
    /// others counted as missed, as Prometheus counts them.
    #[test]
    fn a_tiny_interval_misses_iterations_instead_of_freezing() {
        let mut db = Tsdb::default();
        load(&mut db, "x", &[(0, 1.0), (300, 1.0), (600, 1.0)]);
        let rules = "groups:\n- name: g\n  interval: 30ms\n  rules:\n  - record: y\n    expr: x\n";
        let mut engine = engine_for(rules, 15_000, 0).unwrap();
        engine.advance_to(600_000, &mut db);
        let g = &engine.groups[0];
        assert_eq!(g.evaluations, MAX_ITERATIONS_BEHIND as u64);
        assert_eq!(g.evaluations + g.iterations_missed, 600_000 / 30 + 1);
        assert_eq!(g.next_eval_ms(), 600_030);
        // A group that keeps up misses nothing.
        let mut engine = engine_for(&rules.replace("30ms", "15s"), 15_000, 0).unwrap();
        engine.advance_to(600_000, &mut db);
        assert_eq!(
            (
                engine.groups[0].evaluations,
                engine.groups[0].iterations_missed
            ),
            (41, 0)
        );
    }
}
