//! Rule evaluation as Prometheus 3 does it, on the virtual clock.
//!
//! Each group is evaluated at multiples of its interval, its rules in
//! order, each at the evaluation time (less the group's `query_offset`):
//! what one evaluation of a rule does — recorded series, alerts pending →
//! firing → resolved, `ALERTS`, stale markers — is [`super::evaluate`]'s.
//! A group that falls far behind the clock skips evaluations as missed.
//! A replay over stored history ([`RuleEngine::replay_to`]) gives the same
//! result with most rules evaluated as range queries ([`super::batch`]).

use std::collections::BTreeMap;

use super::batch::{Batch, GroupPlan};
pub use super::evaluate::{
    Alert, AlertState, RESOLVED_RETENTION_MS, RuleState, Transition, instant_query,
};
use super::evaluate::{RuleEval, evaluate_rule};
use super::file::{RuleFile, RuleGroup};
use o11y_metrics::store::SeriesStore;
use o11y_model::labels::{Labels, MatchOp, Matcher};
use o11y_promql::eval::QueryLimits;
use o11y_template::Value;

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
    /// Most evaluations of one group due at once ([`MAX_ITERATIONS_BEHIND`]
    /// unless changed): past them, the older ones are skipped as missed.
    pub max_iterations_behind: i64,
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
                    .map(|rule| RuleState::new(rule, &group.labels))
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
            max_iterations_behind: MAX_ITERATIONS_BEHIND,
        }
    }

    /// Every evaluation due up to `to_ms`, in time order (groups due at the
    /// same time in file order); of a group more than
    /// [`RuleEngine::max_iterations_behind`] evaluations behind, only the
    /// last ones.
    pub fn advance_to(&mut self, to_ms: i64, store: &mut dyn SeriesStore) {
        self.skip_missed(to_ms);
        self.run_due(to_ms, store, None);
    }

    /// [`RuleEngine::advance_to`] for a replay over stored history, with the
    /// same result: each rule that reads nothing the rules write is
    /// evaluated as one range query per [`BATCH_STEPS`](super::batch::BATCH_STEPS)
    /// evaluations of its group ([`super::batch`]), the others step by
    /// step. The store must not change under the replay but for the rules'
    /// own writes. Returns how many evaluations took their vector from a
    /// range query.
    pub fn replay_to(&mut self, to_ms: i64, store: &mut dyn SeriesStore) -> u64 {
        self.skip_missed(to_ms);
        let plans = self.groups.iter().map(|g| GroupPlan {
            interval_ms: g.interval_ms,
            query_offset_ms: g.group.query_offset_ms,
            first_ms: g.next_eval_ms,
            labels: &g.group.labels,
            rules: g.rules.iter().map(|r| &r.rule).collect(),
        });
        let mut batch = Batch::new(plans.collect(), to_ms);
        self.run_due(to_ms, store, Some(&mut batch));
        batch.served
    }

    /// The evaluations due up to `to_ms`, in time order.
    fn run_due(&mut self, to_ms: i64, store: &mut dyn SeriesStore, mut batch: Option<&mut Batch>) {
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
            self.eval_group_with(i, ts, store, batch.as_deref_mut());
            self.groups[i].next_eval_ms = ts + self.groups[i].interval_ms;
        }
    }

    /// Skips the evaluations of groups more than
    /// [`RuleEngine::max_iterations_behind`] intervals behind `now_ms`,
    /// counting them as missed, as Prometheus skips the iterations a group
    /// could not keep up with: a group with a tiny interval (`interval:
    /// 1ms` is valid) cannot freeze the page.
    pub fn skip_missed(&mut self, now_ms: i64) {
        let most = self.max_iterations_behind.max(1);
        for g in &mut self.groups {
            let due = (now_ms - g.next_eval_ms).div_euclid(g.interval_ms) + 1;
            if due > most {
                let skipped = due - most;
                g.next_eval_ms += skipped * g.interval_ms;
                g.iterations_missed += skipped as u64;
            }
        }
    }

    /// Evaluates group `index` at `ts_ms`.
    pub fn eval_group(&mut self, index: usize, ts_ms: i64, store: &mut dyn SeriesStore) {
        self.eval_group_with(index, ts_ms, store, None);
    }

    /// Evaluates group `index` at `ts_ms`, with its rules' vectors from
    /// `batch` where it has them.
    fn eval_group_with(
        &mut self,
        index: usize,
        ts_ms: i64,
        store: &mut dyn SeriesStore,
        mut batch: Option<&mut Batch>,
    ) {
        let external = Value::labels(
            self.external_labels
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str())),
        );
        let Some(group) = self.groups.get_mut(index) else {
            return;
        };
        let group_name = group.group.name.clone();
        let at = RuleEval {
            ts_ms,
            query_ts: ts_ms - group.group.query_offset_ms,
            limit: group.group.limit,
            group: &group_name,
            limits: self.limits,
            external: &external,
            external_url: &self.external_url,
        };
        for (r, state) in group.rules.iter_mut().enumerate() {
            let batched = batch
                .as_deref_mut()
                .and_then(|b| b.samples(index, r, ts_ms, &*store, &state.rule.expr, at.limits));
            let evaluated = evaluate_rule(state, batched, &at, store, &mut self.transitions);
            group.evaluations += 1;
            group.evaluation_failures += u64::from(evaluated.failed);
            group.refused.merge(&evaluated.refused);
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

/// Everything a replay leaves, one line per group, rule, alert, state
/// change and written series, values as bits: what a batched replay is
/// compared with a step-by-step one by (`tests/replay_batched.rs` here
/// and in the engine), and a readable diff when they differ.
pub fn replay_lines(engine: &RuleEngine, written: &dyn SeriesStore) -> Vec<String> {
    let mut out = Vec::new();
    for g in &engine.groups {
        out.push(format!(
            "group {}: next {} evaluations {} failures {} missed {} refused {}",
            g.group.name,
            g.next_eval_ms(),
            g.evaluations,
            g.evaluation_failures,
            g.iterations_missed,
            g.refused
        ));
        for r in &g.rules {
            out.push(format!(
                "  rule {}: last {:?} samples {} error {:?}",
                r.rule.name(),
                r.last_eval_ms,
                r.last_samples,
                r.last_error
            ));
            for a in r.alerts() {
                out.push(format!(
                    "    alert {} {:?} {:?} value {:x} active {} fired {:?} resolved {:?} keep {:?} last {}",
                    a.labels,
                    a.annotations,
                    a.state,
                    a.value.to_bits(),
                    a.active_at_ms,
                    a.fired_at_ms,
                    a.resolved_at_ms,
                    a.keep_firing_since_ms,
                    a.last_eval_ms
                ));
            }
        }
    }
    for t in &engine.transitions {
        out.push(format!(
            "transition {} {} {} {:?} -> {:?} at {} value {:x}",
            t.group,
            t.rule,
            t.labels,
            t.from,
            t.to,
            t.at_ms,
            t.value.to_bits()
        ));
    }
    let all = [Matcher::new(MatchOp::Regex, "__name__", ".+").expect("a valid regex")];
    for s in written.select(&all, i64::MIN, i64::MAX) {
        let points: Vec<String> = s
            .samples
            .iter()
            .map(|p| format!("{}:{:x}", p.ts_ms, p.value.to_bits()))
            .collect();
        out.push(format!("series {} {}", s.labels, points.join(" ")));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use o11y_metrics::store::Sample;
    use o11y_metrics::tsdb::Tsdb;
    use o11y_model::labels::{METRIC_NAME, Matcher};

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
