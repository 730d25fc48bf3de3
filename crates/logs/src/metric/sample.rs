//! Running a metric query: each range aggregation becomes the series set
//! `__logql_N` (N in the order written) in a scratch store, and the tree
//! around them becomes a PromQL tree with those series as its leaves, for
//! the PromQL evaluator. Spans stay the query's, so evaluation errors
//! point into it.
//!
//! ```text
//! topk(2, sum by (level) (rate({job="x"} [5m])))
//!   → topk(2, sum by (level) (__logql_0)), __logql_0 = rate({job="x"} [5m])
//! ```

use super::LogQuery;
use super::range::{MAX_SERIES, write_series};
use crate::parser::{AggOp, Grouping, LogqlError, RangeAgg, SampleExpr, SampleKind};
use crate::store::LogStore;
use o11y_metrics::tsdb::{Tsdb, TsdbLimits};
use o11y_model::labels::{METRIC_NAME, Matcher};
use o11y_promql::ast::{AggregateExpr, BinaryExpr, Expr, ExprKind, VectorSelector};
use o11y_promql::eval::{QueryLimits, RangeSeries, range_query_with_stats};

/// A range aggregation the PromQL tree reads as a series set, and the
/// grouping of a `sum` right above it: its lines can be grouped before
/// series are made, which gives the same sums without a series per
/// distinct label set.
struct Leaf<'a> {
    agg: &'a RangeAgg,
    pushed: Option<Grouping>,
}

fn series_name(i: usize) -> String {
    format!("__logql_{i}")
}

/// The PromQL tree of `e`, with each range aggregation (added to `leaves`)
/// as a vector selector of its series.
fn to_promql<'a>(e: &'a SampleExpr, leaves: &mut Vec<Leaf<'a>>) -> Expr {
    let kind = match &e.kind {
        SampleKind::Range(agg) => {
            let name = series_name(leaves.len());
            leaves.push(Leaf { agg, pushed: None });
            ExprKind::VectorSelector(VectorSelector {
                matchers: vec![Matcher::metric(&name)],
                name: Some(name),
                offset_ms: 0,
                at: None,
            })
        }
        SampleKind::Vector(v) => {
            let param = v.param.as_ref().map(|p| to_promql(p, leaves));
            let expr = to_promql(&v.expr, leaves);
            let mut inner = &v.expr;
            while let SampleKind::Paren(p) = &inner.kind {
                inner = p;
            }
            let (without, grouping) = v
                .grouping
                .as_ref()
                .map_or((false, Vec::new()), |g| (g.without, g.labels.clone()));
            if v.op == AggOp::Sum
                && let SampleKind::Range(_) = inner.kind
                && let Some(leaf) = leaves.last_mut()
            {
                let mut labels = grouping.clone();
                labels.retain(|l| l != METRIC_NAME);
                leaf.pushed = Some(Grouping { without, labels });
            }
            ExprKind::Aggregate(Box::new(AggregateExpr {
                op: v.op,
                expr,
                param,
                grouping,
                without,
            }))
        }
        SampleKind::Binary(b) => ExprKind::Binary(Box::new(BinaryExpr {
            op: b.op,
            lhs: to_promql(&b.lhs, leaves),
            rhs: to_promql(&b.rhs, leaves),
            return_bool: b.return_bool,
            matching: b.matching.clone(),
        })),
        SampleKind::Unary { op, expr } => ExprKind::Unary {
            op: *op,
            expr: Box::new(to_promql(expr, leaves)),
        },
        SampleKind::Paren(inner) => ExprKind::Paren(Box::new(to_promql(inner, leaves))),
        SampleKind::Number(v) => ExprKind::Number(*v),
        SampleKind::String(s) => ExprKind::String(s.clone()),
        SampleKind::Call { func, args } => ExprKind::Call {
            func,
            args: args.iter().map(|a| to_promql(a, leaves)).collect(),
        },
    };
    Expr {
        kind,
        span: e.span.clone(),
    }
}

pub(super) fn metric_query(
    expr: &SampleExpr,
    store: &LogStore,
    q: &LogQuery,
) -> Result<Vec<RangeSeries>, LogqlError> {
    let mut leaves = Vec::new();
    let promql = to_promql(expr, &mut leaves);
    let step_ms = if q.step_ms > 0 { q.step_ms } else { 1 };
    let end_ms = q.end_ns.div_euclid(1_000_000);
    let start_ms = if q.step_ms > 0 {
        q.start_ns.div_euclid(1_000_000)
    } else {
        end_ms
    };
    let steps: Vec<i64> = (0..)
        .map(|k| start_ms + k * step_ms)
        .take_while(|t| *t <= end_ms)
        .take(11_001)
        .collect();
    let mut scratch = Tsdb::with_limits(TsdbLimits {
        max_series: MAX_SERIES + 1,
        max_samples: 20_000_000,
        retention_ms: i64::MAX / 4,
    });
    for (i, leaf) in leaves.iter().enumerate() {
        write_series(
            &mut scratch,
            &series_name(i),
            leaf.agg,
            leaf.pushed.as_ref(),
            store,
            &steps,
            end_ms,
        )?;
    }
    let limits = QueryLimits {
        max_samples: 20_000_000,
        max_steps: 11_001,
    };
    let (mut result, _) =
        range_query_with_stats(&scratch, &promql, start_ms, end_ms, step_ms, limits)
            .map_err(|e| LogqlError::at_span(e.span, e.message))?;
    for s in &mut result {
        if s.labels
            .metric_name()
            .is_some_and(|n| n.starts_with("__logql_"))
        {
            s.labels = s.labels.without(METRIC_NAME);
        }
    }
    Ok(result)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parser::{Expr as LogqlExpr, parse};

    #[test]
    fn range_aggregations_are_the_series_of_the_promql_tree() {
        let q = r#"topk(2, sum by (level) ((rate({job="x"} | logfmt [5m])))) / on (level) count_over_time({job="y"}[1m])"#;
        let Ok(LogqlExpr::Sample(e)) = parse(q) else {
            panic!("{q}")
        };
        let mut leaves = Vec::new();
        let promql = to_promql(&e, &mut leaves);
        assert_eq!(
            promql.to_string(),
            "topk(2, sum by (level) ((__logql_0))) / on (level) __logql_1"
        );
        assert_eq!(promql.span, 0..q.len());
        assert_eq!(promql.selectors()[0][0].value, "__logql_0");
        // The sum right above the first groups its lines; the second has none.
        let pushed: Vec<_> = leaves.iter().map(|l| l.pushed.clone()).collect();
        assert_eq!(
            pushed,
            [
                Some(Grouping {
                    without: false,
                    labels: vec!["level".to_string()]
                }),
                None
            ]
        );
        assert_eq!(
            &q[leaves[1].agg.span.clone()],
            r#"count_over_time({job="y"}[1m])"#
        );
    }
}
