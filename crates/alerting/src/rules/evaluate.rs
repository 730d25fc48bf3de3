//! One evaluation of one rule, as Prometheus 3's rule manager does it: its
//! vector (an instant query at the evaluation time less the group's
//! `query_offset`, or the same vector from a batch) becomes series named
//! after a recording rule, or alerts of an alerting rule. An alert is kept
//! per label set (after the rule's templated labels and `alertname` are
//! added) and moves inactive → pending → firing once it has been active
//! for `for`, stays firing for `keep_firing_for` after its condition is
//! gone, and is resolved after that. Pending and firing alerts are written
//! as `ALERTS{alertstate=…}` and `ALERTS_FOR_STATE` (the time it became
//! active); series a rule stops writing get a stale marker, as Prometheus
//! writes them.
//!
//! ```
//! use o11y_alerting::rules::group::{AlertState, engine_for};
//! use o11y_metrics::store::{Sample, SeriesStore};
//! use o11y_metrics::tsdb::Tsdb;
//! use o11y_model::labels::Labels;
//!
//! let mut db = Tsdb::default();
//! let up = Labels::new([("__name__", "up"), ("job", "api")]);
//! db.append(&up, Sample { ts_ms: 0, value: 0.0 }).unwrap();
//! let rules = "groups:\n- name: g\n  rules:\n  - alert: Down\n    expr: up == 0\n";
//! let mut engine = engine_for(rules, 15_000, 0).unwrap();
//! engine.advance_to(0, &mut db);
//! let (_, _, alert) = engine.alerts().next().unwrap();
//! assert_eq!(alert.state, AlertState::Firing, "no `for`: firing at once");
//! ```

use std::collections::{BTreeMap, VecDeque};

// Labels hashed with Fx: a day's replay hashes every alert's labels at
// every evaluation, and SipHash was a tenth of it.
use rustc_hash::FxHashSet as HashSet;

use super::file::{Rule, RuleKind, TEMPLATE_VARS};
use o11y_metrics::store::{Refusals, STALE_NAN, Sample, SeriesStore};
use o11y_model::labels::{Labels, METRIC_NAME};
use o11y_promql::ast::Expr;
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

    /// A rule that has not been evaluated, with its group's labels (the
    /// rule's own win).
    pub(super) fn new(rule: &Rule, group_labels: &[(String, String)]) -> RuleState {
        let mut labels: Vec<(String, String)> = group_labels
            .iter()
            .filter(|(k, _)| !rule.labels.iter().any(|(r, _)| r == k))
            .cloned()
            .collect();
        labels.extend(rule.labels.iter().cloned());
        RuleState {
            rule: rule.clone(),
            labels,
            active: BTreeMap::new(),
            written: HashSet::default(),
            last_error: None,
            last_eval_ms: None,
            last_samples: 0,
        }
    }
}

/// Where and how a rule is evaluated: its group's time, settings and the
/// engine's.
pub(super) struct RuleEval<'a> {
    pub ts_ms: i64,
    /// `ts_ms` less the group's `query_offset`.
    pub query_ts: i64,
    /// The group's limit of series or alerts per rule (0 = none).
    pub limit: usize,
    pub group: &'a str,
    pub limits: QueryLimits,
    pub external: &'a Value,
    pub external_url: &'a str,
}

/// What one evaluation of a rule counts for its group.
pub(super) struct Evaluated {
    pub failed: bool,
    /// Its samples and staleness markers the store refused, by reason.
    pub refused: Refusals,
}

/// Evaluates `state`'s rule at `at.ts_ms` — from `batched`, its vector
/// from a batch (in label order), or else its instant query — and writes
/// what it produced to `store`, with stale markers for what it no longer
/// produces.
pub(super) fn evaluate_rule(
    state: &mut RuleState,
    batched: Option<Vec<(Labels, f64)>>,
    at: &RuleEval<'_>,
    store: &mut dyn SeriesStore,
    transitions: &mut VecDeque<Transition>,
) -> Evaluated {
    let ts_ms = at.ts_ms;
    state.last_eval_ms = Some(ts_ms);
    let outcome = {
        let instant = |expr: &Expr| {
            instant_query(&*store, expr, at.query_ts, at.limits).map_err(|e| e.to_string())
        };
        // A batched vector comes in label order: where the order of an
        // alerting rule's vector matters (a label set found twice), its
        // instant query gives it.
        let reorder: Option<&InstantFn> = batched.is_some().then_some(&instant);
        let result = match batched {
            Some(samples) => Ok(samples),
            None => instant(&state.rule.expr),
        };
        match result {
            Ok(samples) => match state.rule.kind.clone() {
                RuleKind::Record(name) => record(state, &name, samples, at.limit),
                RuleKind::Alert(name) => {
                    let env = TemplateEnv {
                        external: at.external,
                        external_url: at.external_url,
                        store: &*store,
                        ts_ms: at.query_ts,
                        limits: at.limits,
                    };
                    let eval = AlertEval {
                        name: &name,
                        ts_ms,
                        limit: at.limit,
                        env: &env,
                        group: at.group,
                        reorder,
                    };
                    alert(state, samples, &eval, transitions)
                }
            },
            Err(e) => Err(e),
        }
    };
    let failed = outcome.is_err();
    let written = match outcome {
        Ok(out) => {
            state.last_error = None;
            out
        }
        Err(e) => {
            state.last_error = Some(e);
            Vec::new()
        }
    };
    state.last_samples = written.len();
    let mut now = HashSet::with_capacity_and_hasher(written.len(), Default::default());
    let mut refused = Refusals::default();
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
    state.written = now;
    Evaluated { failed, refused }
}

/// An instant query's result as samples: a vector, or a scalar as one
/// sample without labels.
pub fn instant_query(
    store: &dyn SeriesStore,
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
    let mut seen = HashSet::default();
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
    // Written in label order, whatever order the query gave: which writes
    // a store refuses at its limits, and which refusal the rule's error
    // names, then do not depend on how the vector was evaluated.
    out.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(out)
}

/// What alert templates can reach.
struct TemplateEnv<'a> {
    external: &'a Value,
    external_url: &'a str,
    store: &'a dyn SeriesStore,
    ts_ms: i64,
    limits: QueryLimits,
}

/// A template parsed, or why it does not parse.
type Parsed = std::rc::Rc<Result<Template, String>>;

/// Parsed templates by text, for one rule.
type ParsedOfRule = std::collections::HashMap<String, Parsed>;

thread_local! {
    /// Label and annotation templates parsed lately, by rule name and text:
    /// a rule's templates are expanded for every alert at every evaluation
    /// (a day's "what if" does it tens of thousands of times), parsed once.
    /// Two levels, so a lookup borrows the names instead of copying them.
    static PARSED: std::cell::RefCell<std::collections::HashMap<String, ParsedOfRule>> =
        Default::default();
}

/// How many templates [`PARSED`] keeps before it starts over.
const PARSED_MAX: usize = 512;

/// The template `text` of `rule`, parsed as Prometheus names it
/// (`__alert_<rule>`), or why it does not parse.
fn parsed_template(rule: &str, text: &str) -> Parsed {
    PARSED.with_borrow_mut(|parsed| {
        if let Some(t) = parsed.get(rule).and_then(|of_rule| of_rule.get(text)) {
            return t.clone();
        }
        let name = format!("__alert_{rule}");
        let t = std::rc::Rc::new(
            Template::parse(&name, text, &TEMPLATE_VARS).map_err(|e| e.to_string()),
        );
        if parsed.values().map(ParsedOfRule::len).sum::<usize>() >= PARSED_MAX {
            parsed.clear();
        }
        parsed
            .entry(rule.to_string())
            .or_default()
            .insert(text.to_string(), t.clone());
        t
    })
}

impl TemplateEnv<'_> {
    /// Runs `f` with an expander of one alert's label and annotation
    /// templates (its labels and value are the same for each): errors
    /// become the text, as Prometheus writes them. The template
    /// environment is made once, when the first template needs it.
    fn with_expander<R>(
        &self,
        rule: &str,
        labels: &Labels,
        value: f64,
        f: impl FnOnce(&mut dyn FnMut(&str) -> String) -> R,
    ) -> R {
        let run = |q: &str| -> Result<Vec<o11y_template::Sample>, String> {
            let expr = o11y_promql::parse(q).map_err(|e| e.to_string())?;
            Ok(instant_query(self.store, &expr, self.ts_ms, self.limits)
                .map_err(|e| e.to_string())?
                .into_iter()
                .map(|(l, v)| o11y_template::Sample {
                    labels: o11y_model::sort::map_from(
                        l.iter().map(|l| (l.name.clone(), l.value.clone())),
                    ),
                    value: v,
                })
                .collect())
        };
        let mut env: Option<Env<'_>> = None;
        let mut expand = |text: &str| -> String {
            if !text.contains("{{") {
                return text.to_string();
            }
            let parsed = parsed_template(rule, text);
            let template = match parsed.as_ref() {
                Ok(t) => t,
                Err(e) => return format!("<error expanding template: {e}>"),
            };
            let env = env.get_or_insert_with(|| {
                Env::default()
                    .with_query(&run)
                    .with_clock_and_url(self.ts_ms as f64 / 1000.0, self.external_url)
                    .var(
                        "labels",
                        Value::labels(labels.iter().map(|l| (l.name.as_str(), l.value.as_str()))),
                    )
                    .var("externalLabels", self.external.clone())
                    .var("externalURL", Value::Str(self.external_url.to_string()))
                    .var("value", Value::Float(value))
            });
            match template.render(env) {
                Ok(s) => s,
                Err(e) => format!("<error expanding template: {e}>"),
            }
        };
        f(&mut expand)
    }
}

/// What one evaluation of an alerting rule needs besides its vector.
struct AlertEval<'a> {
    name: &'a str,
    ts_ms: i64,
    limit: usize,
    env: &'a TemplateEnv<'a>,
    group: &'a str,
    /// The rule's instant query, when the vector came from a batch in
    /// label order instead (when a label set is found twice, the alerts
    /// before it are recorded and those after it are not).
    reorder: Option<&'a InstantFn<'a>>,
}

/// A rule's instant query at the evaluation's time.
type InstantFn<'a> = dyn Fn(&Expr) -> Result<Vec<(Labels, f64)>, String> + 'a;

/// One element of an alerting rule's vector as an alert: its labels (the
/// rule's templated labels and `alertname` added), annotations and value.
struct Found {
    labels: Labels,
    annotations: Vec<(String, String)>,
    value: f64,
}

fn found_alerts(state: &RuleState, samples: Vec<(Labels, f64)>, at: &AlertEval<'_>) -> Vec<Found> {
    let (name, env) = (at.name, at.env);
    samples
        .into_iter()
        .map(|(series, value)| {
            let series = series.without(METRIC_NAME);
            env.with_expander(name, &series, value, |expand| {
                let mut labels = series.clone();
                for (k, v) in &state.labels {
                    labels = labels.with(k, &expand(v));
                }
                labels = labels.with("alertname", name);
                let annotations: Vec<(String, String)> = state
                    .rule
                    .annotations
                    .iter()
                    .map(|(k, v)| (k.clone(), expand(v)))
                    .collect();
                Found {
                    labels,
                    annotations,
                    value,
                }
            })
        })
        .collect()
}

/// Whether the order of `found` changes the evaluation: a label set found
/// twice fails the evaluation after the alerts before it. (New alerts are
/// recorded in label order, whatever the order found.)
fn order_matters(found: &[Found]) -> bool {
    let mut seen = HashSet::with_capacity_and_hasher(found.len(), Default::default());
    found.iter().any(|f| !seen.insert(&f.labels))
}

fn alert(
    state: &mut RuleState,
    samples: Vec<(Labels, f64)>,
    at: &AlertEval<'_>,
    transitions: &mut std::collections::VecDeque<Transition>,
) -> Result<Vec<(Labels, f64)>, String> {
    let (name, ts_ms, limit, group) = (at.name, at.ts_ms, at.limit, at.group);
    let mut found = found_alerts(state, samples, at);
    if let Some(instant) = at.reorder
        && order_matters(&found)
    {
        found = found_alerts(state, instant(&state.rule.expr)?, at);
    }
    // The alerts that become pending now are recorded in label order, as
    // the others' changes are (the active alerts are kept in label order):
    // the same whether the vector came in the instant query's order or a
    // batch's.
    let first_new = transitions.len();
    let in_label_order = |transitions: &mut std::collections::VecDeque<Transition>| {
        // Rarely more than one, and a capped deque that wraps around
        // would be moved whole to be made contiguous.
        if transitions.len() > first_new + 1 {
            transitions.make_contiguous()[first_new..].sort_by(|a, b| a.labels.cmp(&b.labels));
        }
    };
    let mut current: HashSet<Labels> = HashSet::default();
    let change = |transitions: &mut std::collections::VecDeque<Transition>,
                  a: &Alert,
                  from: AlertState,
                  to: AlertState,
                  at_ms: i64| {
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
    for Found {
        labels,
        annotations,
        value,
    } in found
    {
        if !current.insert(labels.clone()) {
            in_label_order(transitions);
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
                change(
                    transitions,
                    &a,
                    AlertState::Inactive,
                    AlertState::Pending,
                    ts_ms,
                );
                state.active.insert(labels, a);
            }
        }
    }
    in_label_order(transitions);
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
                    change(transitions, a, a.state, AlertState::Inactive, ts_ms);
                    a.state = AlertState::Inactive;
                    a.resolved_at_ms = Some(ts_ms);
                }
                continue;
            }
        }
        active_count += 1;
        if a.state == AlertState::Pending && ts_ms - a.active_at_ms >= hold {
            change(
                transitions,
                a,
                AlertState::Pending,
                AlertState::Firing,
                ts_ms,
            );
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
