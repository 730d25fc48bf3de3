//! Queries over the demo's stores: PromQL instant and range queries with
//! the browser's limits, exemplars of a selector, LogQL, dashboard
//! variable values, and the live panels (the entry service's request rate
//! and error ratio, drawn from PromQL through the evaluator).

use super::*;

impl Demo {
    pub fn dashboards(&self) -> &[o11y_dashboards::Dashboard] {
        &self.dashboards
    }

    pub fn dashboards_mut(&mut self) -> &mut Vec<o11y_dashboards::Dashboard> {
        self.settle();
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
        o11y_model::sort::sort(&mut values[..]);
        values.dedup();
        Ok(values)
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
    ) -> Result<
        Vec<(Labels, Vec<o11y_metrics::tsdb::exemplars::StoredExemplar>)>,
        o11y_promql::ParseError,
    > {
        let expr = o11y_promql::parser::parse(selector)?;
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

    /// Runs a LogQL query over the demo's logs.
    pub fn logql(
        &self,
        query: &str,
        q: &o11y_logs::metric::LogQuery,
    ) -> Result<o11y_logs::metric::LogqlResult, o11y_logs::parser::LogqlError> {
        o11y_logs::metric::query(query, &self.logs, q)
    }

    /// The time range the chart shows: `window_ms` ending now.
    pub fn window(&self) -> (i64, i64) {
        let now = self.now_ms();
        (now - self.config.window_ms, now)
    }

    /// `sum(rate(http_requests_total{job="shop", service="<entry>"}[1m]))`
    /// over the window, at steps aligned to multiples of `step_ms`, for
    /// the entry service of the topology in effect: the PromQL of
    /// [`Demo::live_requests_query`], through the evaluator.
    pub fn requests_per_second(&self) -> Vec<(i64, f64)> {
        let (start, end) = self.window();
        let step = self.config.step_ms.max(1);
        let first_step = start.div_euclid(step) * step + step;
        self.live_rate(false, first_step, end, step)
    }

    /// The entry service's `sum(rate(http_requests_total{status=~"5.."}[1m]))
    /// / sum(rate(http_requests_total[1m]))` now; `None` when no request was
    /// served in the range.
    pub fn error_ratio(&self) -> Option<f64> {
        let now = self.now_ms();
        let total = self.live_rate(false, now, now, 1).first()?.1;
        if total <= 0.0 {
            return None;
        }
        let errors = self
            .live_rate(true, now, now, 1)
            .first()
            .map_or(0.0, |p| p.1);
        Some(errors / total)
    }

    /// The PromQL the live panels draw: the entry service's request rate,
    /// `sum(rate(http_requests_total{job="shop", service="<entry>"}[1m]))`,
    /// or with `server_errors` the rate of its `status=~"5.."` requests.
    /// `None` when the topology has no service.
    pub fn live_requests_query(&self, server_errors: bool) -> Option<String> {
        let entry = self.entry_service();
        if entry.is_empty() {
            return None;
        }
        let status = if server_errors {
            ", status=~\"5..\""
        } else {
            ""
        };
        let mut service = String::new();
        o11y_model::labels::escape_label_value(entry, &mut service);
        Some(format!(
            "sum(rate(http_requests_total{{job=\"{SHOP_JOB}\", service=\"{service}\"{status}}}[{}]))",
            o11y_model::duration::format_duration(self.config.rate_range_ms),
        ))
    }

    /// [`Demo::live_requests_query`] from `start_ms` to `end_ms` as one
    /// series of points; steps without a rate have no point.
    fn live_rate(
        &self,
        server_errors: bool,
        start_ms: i64,
        end_ms: i64,
        step_ms: i64,
    ) -> Vec<(i64, f64)> {
        let Some(query) = self.live_requests_query(server_errors) else {
            return Vec::new();
        };
        // The query is built from a checked service name and a positive
        // range, and reads one series: it parses and stays within limits.
        let Ok(expr) = o11y_promql::parser::parse(&query) else {
            return Vec::new();
        };
        match self.range_query(&expr, start_ms, end_ms, step_ms) {
            Ok((series, _)) => series
                .first()
                .map(|s| s.samples.iter().map(|p| (p.ts_ms, p.value)).collect())
                .unwrap_or_default(),
            Err(_) => Vec::new(),
        }
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
}
