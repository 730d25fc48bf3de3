//! Rules evaluated over many evaluations at once, for replays over stored
//! history ("what if"): a rule whose expression reads nothing the rules
//! write is evaluated as one range query per [`BATCH_STEPS`] evaluations
//! of its group (same times, same `query_offset`, same limits), and its
//! evaluations then take their vector from there instead of running an
//! instant query each. A range query at a step equals the instant query at
//! that step bit for bit (the evaluator's `range_matches_instant` test), so
//! the replay is the same as evaluating step by step.
//!
//! A rule must still be evaluated step by step when its input changes as
//! the replay writes — when a selector may read a recording rule's series,
//! `ALERTS` or `ALERTS_FOR_STATE` ([`reads_rule_output`]) — or when its
//! value depends on the query's range rather than its time (`@ start()`,
//! `@ end()`, `start()`, `end()`, `range()`, `step()`). A range query that
//! fails (a limit, or an error at one of its steps) leaves its evaluations
//! to instant queries too, which then fail or not exactly as they would.
//!
//! ```
//! use o11y_alerting::rules::batch::reads_rule_output;
//!
//! let written = ["job:errors:rate5m", "ALERTS", "ALERTS_FOR_STATE"];
//! let reads = |q: &str| reads_rule_output(&o11y_promql::parse(q).unwrap(), &written);
//! assert!(!reads("rate(errors_total[5m]) > 0"));
//! assert!(reads("job:errors:rate5m > 0.1"));
//! assert!(reads("{job=\"shop\"}"), "no metric name: it may read anything");
//! assert!(reads("count(ALERTS)"));
//! ```

use o11y_metrics::store::SeriesStore;
use o11y_model::labels::{Labels, METRIC_NAME, MatchOp};
use o11y_promql::ast::{At, Expr, ExprKind, ValueType, VectorSelector};
use o11y_promql::eval::{QueryLimits, range_query_with_stats};

use super::file::{Rule, RuleKind};

/// Evaluations of one group a range query covers: an hour of 15 s
/// evaluations, so a replay holds an hour of one rule's results at a time.
pub const BATCH_STEPS: usize = 240;

/// Whether `expr` may read a series named in `written`, or gives a value
/// that depends on the query's range: conservatively, any selector without
/// a metric name or with a `__name__` matcher other than `=` may.
pub fn reads_rule_output(expr: &Expr, written: &[&str]) -> bool {
    let selector = |s: &VectorSelector| {
        let mut named = false;
        for m in s.matchers.iter().filter(|m| m.name == METRIC_NAME) {
            if m.op != MatchOp::Equal || written.contains(&m.value.as_str()) {
                return true;
            }
            named = true;
        }
        !named || matches!(s.at, Some(At::Start | At::End))
    };
    match &expr.kind {
        ExprKind::Number(_) | ExprKind::String(_) => false,
        ExprKind::VectorSelector(s) | ExprKind::MatrixSelector { selector: s, .. } => selector(s),
        ExprKind::Subquery(q) => {
            matches!(q.at, Some(At::Start | At::End)) || reads_rule_output(&q.expr, written)
        }
        ExprKind::Paren(e) | ExprKind::Unary { expr: e, .. } => reads_rule_output(e, written),
        ExprKind::Binary(b) => {
            reads_rule_output(&b.lhs, written) || reads_rule_output(&b.rhs, written)
        }
        ExprKind::Aggregate(a) => {
            a.param
                .as_ref()
                .is_some_and(|p| reads_rule_output(p, written))
                || reads_rule_output(&a.expr, written)
        }
        ExprKind::Call { func, args } => {
            // The query's range as an instant query sees it: its own time.
            matches!(func.name, "start" | "end" | "range" | "step")
                || args.iter().any(|a| reads_rule_output(a, written))
        }
    }
}

/// What a replay needs to know of a group to plan its batches.
pub(super) struct GroupPlan<'a> {
    pub interval_ms: i64,
    pub query_offset_ms: i64,
    /// The group's first evaluation of the replay (its missed ones skipped).
    pub first_ms: i64,
    /// The labels the group adds to its rules' output.
    pub labels: &'a [(String, String)],
    pub rules: Vec<&'a Rule>,
}

/// Each rule's results over a replay, a chunk of evaluations at a time.
#[derive(Debug)]
pub(super) struct Batch {
    groups: Vec<GroupBatch>,
    /// Evaluations that took their vector from a range query.
    pub served: u64,
}

#[derive(Debug)]
struct GroupBatch {
    step_ms: i64,
    query_offset_ms: i64,
    /// The query time of the group's last evaluation of the replay.
    last_query_ms: i64,
    /// Per rule: `None` for a rule evaluated step by step.
    rules: Vec<Option<Chunk>>,
}

/// One range query's results, by evaluation.
#[derive(Debug, Default)]
struct Chunk {
    first_query_ms: i64,
    len: usize,
    /// Each evaluation's vector, in label order; `None` if the range query
    /// failed, and then each evaluation runs its instant query.
    steps: Option<Vec<Vec<(Labels, f64)>>>,
}

impl Batch {
    /// The plan of a replay of `groups` up to `to_ms`.
    pub fn new(groups: Vec<GroupPlan<'_>>, to_ms: i64) -> Batch {
        // What the rules write: a rule reading it must see each write.
        let mut written = vec!["ALERTS", "ALERTS_FOR_STATE"];
        for g in &groups {
            for r in &g.rules {
                if let RuleKind::Record(name) = &r.kind {
                    written.push(name);
                }
                // Refused in rule files, but a rule built in code may
                // name its series with a label.
                let labels = g.labels.iter().chain(&r.labels);
                written.extend(
                    labels
                        .filter(|(k, _)| k == METRIC_NAME)
                        .map(|(_, v)| v.as_str()),
                );
            }
        }
        let groups = groups
            .iter()
            .map(|g| {
                let step_ms = g.interval_ms.max(1);
                let last_ms = g.first_ms + (to_ms - g.first_ms).div_euclid(step_ms) * step_ms;
                let batched = |expr: &Expr| {
                    g.first_ms < last_ms
                        && matches!(
                            expr.value_type(),
                            ValueType::InstantVector | ValueType::Scalar
                        )
                        && !reads_rule_output(expr, &written)
                };
                GroupBatch {
                    step_ms,
                    query_offset_ms: g.query_offset_ms,
                    last_query_ms: last_ms - g.query_offset_ms,
                    rules: g
                        .rules
                        .iter()
                        .map(|r| batched(&r.expr).then(Chunk::default))
                        .collect(),
                }
            })
            .collect();
        Batch { groups, served: 0 }
    }

    /// The vector of rule `rule` of group `group` evaluated at `ts_ms`, in
    /// label order; `None` when it is to be evaluated as an instant query.
    pub fn samples(
        &mut self,
        group: usize,
        rule: usize,
        ts_ms: i64,
        store: &dyn SeriesStore,
        expr: &Expr,
        limits: QueryLimits,
    ) -> Option<Vec<(Labels, f64)>> {
        let g = self.groups.get_mut(group)?;
        let query_ms = ts_ms - g.query_offset_ms;
        let chunk = g.rules.get_mut(rule)?.as_mut()?;
        let offset = query_ms - chunk.first_query_ms;
        let covered = chunk.len > 0
            && offset >= 0
            && offset % g.step_ms == 0
            && ((offset / g.step_ms) as usize) < chunk.len;
        if !covered {
            if query_ms > g.last_query_ms {
                return None;
            }
            let end_ms = (query_ms + (BATCH_STEPS as i64 - 1) * g.step_ms).min(g.last_query_ms);
            let end_ms = query_ms + (end_ms - query_ms) / g.step_ms * g.step_ms;
            *chunk = Chunk::evaluate(store, expr, query_ms, end_ms, g.step_ms, limits);
        }
        let i = ((query_ms - chunk.first_query_ms) / g.step_ms) as usize;
        let samples = chunk.steps.as_mut()?.get_mut(i).map(std::mem::take)?;
        self.served += 1;
        Some(samples)
    }
}

impl Chunk {
    fn evaluate(
        store: &dyn SeriesStore,
        expr: &Expr,
        first_query_ms: i64,
        last_query_ms: i64,
        step_ms: i64,
        limits: QueryLimits,
    ) -> Chunk {
        let len = ((last_query_ms - first_query_ms) / step_ms) as usize + 1;
        let steps =
            range_query_with_stats(store, expr, first_query_ms, last_query_ms, step_ms, limits)
                .ok()
                .map(|(series, _)| {
                    let mut steps: Vec<Vec<(Labels, f64)>> = vec![Vec::new(); len];
                    // Series come in label order, so each step's vector does too.
                    for s in series {
                        for p in s.samples {
                            let i = ((p.ts_ms - first_query_ms) / step_ms) as usize;
                            if let Some(step) = steps.get_mut(i) {
                                step.push((s.labels.clone(), p.value));
                            }
                        }
                    }
                    steps
                });
        Chunk {
            first_query_ms,
            len,
            steps,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::reads_rule_output;

    #[test]
    fn what_may_read_what_the_rules_write() {
        let written = ["job:x:rate5m", "ALERTS", "ALERTS_FOR_STATE"];
        let reads = |q: &str| reads_rule_output(&o11y_promql::parse(q).unwrap(), &written);
        for q in [
            "job:x:rate5m",
            "rate(job:x:rate5m[5m])",
            "max_over_time((x + on() job:x:rate5m)[10m:1m])",
            "sum(x) / scalar(sum(ALERTS))",
            "ALERTS_FOR_STATE > 0",
            "{__name__=\"job:x:rate5m\"}",
            "{__name__=~\"x|y\"}",
            "{__name__!=\"y\", job=\"a\"}",
            "{job=\"shop\"}",
            "x @ start()",
            "rate(x[1m] @ end())",
            "max_over_time(x[5m:1m] @ start())",
            "x + start()",
            "vector(step())",
            "quantile(0.9, x) > range()",
            "topk(scalar(job:x:rate5m), x)",
        ] {
            assert!(reads(q), "{q}");
        }
        for q in [
            "x",
            "sum by (job) (rate(x{job=\"a\"}[5m])) > 0.1",
            "x @ 100",
            "max_over_time(x[10m:1m] offset 5m)",
            "vector(1)",
            "time() - x",
            "absent(up{job=\"a\"})",
            "{__name__=\"x\", job=\"a\"}",
        ] {
            assert!(!reads(q), "{q}");
        }
    }
}
