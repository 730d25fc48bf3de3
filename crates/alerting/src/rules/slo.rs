//! Service level objectives as multi-window, multi-burn-rate alerts (the
//! SRE Workbook, chapter 5): recording rules for the error ratio over each
//! window, a page alert (2 % of the budget in 1 h with a 5 m check, or 5 %
//! in 6 h with 30 m) and a ticket alert (10 % in 1 d with 2 h, or 10 % in
//! 3 d with 6 h). The burn rates follow the SLO's window: 14.4, 6, 3 and 1
//! for 30 days, scaled for any other length.

use o11y_model::diag::Diagnostic;
use o11y_model::duration::{format_duration, parse_duration};

/// What the SLO form asks for.
#[derive(Clone, Debug, PartialEq)]
pub struct Slo {
    /// A name for the rules (`frontend-availability`).
    pub name: String,
    pub service: String,
    /// PromQL selecting the good events' counter(s).
    pub good: String,
    /// PromQL selecting all events' counter(s).
    pub total: String,
    /// The target, as a ratio (0.999).
    pub objective: f64,
    /// The SLO's window (`30d`).
    pub window: String,
}

/// One alerting window pair: long and short window, budget share spent.
const PAIRS: [(&str, &str, &str, f64); 4] = [
    ("page", "1h", "5m", 0.02),
    ("page", "6h", "30m", 0.05),
    ("ticket", "1d", "2h", 0.10),
    ("ticket", "3d", "6h", 0.10),
];

fn num(v: f64) -> String {
    o11y_model::number::format_float((v * 1e9).round() / 1e9)
}

impl Slo {
    /// The window in milliseconds, or what is wrong with the form: a
    /// query's error keeps its span in the query, under the field's name.
    fn check(&self) -> Result<i64, Diagnostic> {
        if self.name.trim().is_empty() || self.name.contains(['"', '\n']) {
            return Err(Diagnostic::new("the SLO needs a name without quotes"));
        }
        if !(self.objective > 0.0 && self.objective < 1.0) {
            return Err(Diagnostic::new(
                "the objective is a ratio between 0 and 1, such as 0.999",
            ));
        }
        for (what, q) in [("good", &self.good), ("total", &self.total)] {
            o11y_promql::parse(q).map_err(|e| e.with_path(format!("{what} events")))?;
        }
        let window =
            parse_duration(&self.window).map_err(|e| Diagnostic::from(&e).with_path("window"))?;
        if window < 3_600_000 {
            return Err(Diagnostic::new("the window is at least an hour"));
        }
        Ok(window)
    }

    /// The burn-rate factor of a long window: the budget share it may
    /// spend, over the share of the SLO window it covers.
    pub fn burn_rate(&self, long: &str, share: f64) -> Result<f64, Diagnostic> {
        let window = self.check()? as f64;
        let long = parse_duration(long).map_err(|e| Diagnostic::from(&e))? as f64;
        Ok(share * window / long)
    }

    /// The error ratio over `range`, as PromQL.
    fn error_ratio(&self, range: &str) -> String {
        format!(
            "1 - (sum(rate({good}[{range}])) / sum(rate({total}[{range}])))",
            good = self.good.trim(),
            total = self.total.trim()
        )
    }

    /// The rule file: recording rules per window, the page and ticket alerts.
    pub fn rules_yaml(&self) -> Result<String, Diagnostic> {
        self.check()?;
        let budget = 1.0 - self.objective;
        let label = format!("slo=\"{}\"", self.name);
        let mut windows: Vec<&str> = PAIRS.iter().flat_map(|(_, l, s, _)| [*l, *s]).collect();
        o11y_model::sort::sort_by_key(&mut windows[..], |w| parse_duration(w).unwrap_or(0));
        windows.dedup();
        let quote = |s: &str| serde_json::to_string(s).unwrap_or_default();
        let mut y = format!("groups:\n  - name: slo-{}\n    rules:\n", self.name);
        for w in &windows {
            y.push_str(&format!(
                "      - record: slo:sli_error:ratio_rate{w}\n        expr: {}\n        labels:\n          slo: {}\n          service: {}\n",
                quote(&self.error_ratio(w)),
                quote(&self.name),
                quote(&self.service)
            ));
        }
        for severity in ["page", "ticket"] {
            let mut conditions = Vec::new();
            for (_, long, short, share) in PAIRS.iter().filter(|p| p.0 == severity) {
                let factor = num(self.burn_rate(long, *share)?);
                let threshold = format!("({factor} * {})", num(budget));
                conditions.push(format!(
                    "(slo:sli_error:ratio_rate{long}{{{label}}} > {threshold} and slo:sli_error:ratio_rate{short}{{{label}}} > {threshold})"
                ));
            }
            let name = if severity == "page" {
                "ErrorBudgetBurn"
            } else {
                "ErrorBudgetSlowBurn"
            };
            let for_ = if severity == "page" { "2m" } else { "15m" };
            y.push_str(&format!(
                "      - alert: {name}\n        expr: {}\n        for: {for_}\n        labels:\n          severity: {severity}\n          slo: {}\n          service: {}\n        annotations:\n          summary: {}\n          description: {}\n",
                quote(&conditions.join(" or ")),
                quote(&self.name),
                quote(&self.service),
                quote(&format!("{} is burning its error budget ({} over {})", self.service, num(self.objective * 100.0) + "%", format_duration(self.check()?))),
                quote("The error ratio is {{ $value | humanizePercentage }} over the alert's windows."),
            ));
        }
        Ok(y)
    }

    /// The share of the error budget left over the SLO window, as PromQL.
    pub fn budget_remaining_query(&self, range: &str) -> String {
        format!(
            "1 - ({}) / {}",
            self.error_ratio(range),
            num(1.0 - self.objective)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slo(window: &str) -> Slo {
        Slo {
            name: "frontend-availability".into(),
            service: "frontend".into(),
            good: r#"http_requests_total{service="frontend", status!~"5.."}"#.into(),
            total: r#"http_requests_total{service="frontend"}"#.into(),
            objective: 0.999,
            window: window.into(),
        }
    }

    #[test]
    fn the_workbook_burn_rates_for_30_days_and_scaled_for_others() {
        let s = slo("30d");
        let rates: Vec<f64> = PAIRS
            .iter()
            .map(|(_, l, _, share)| s.burn_rate(l, *share).unwrap())
            .collect();
        let rounded: Vec<f64> = rates
            .iter()
            .map(|r| (r * 1000.0).round() / 1000.0)
            .collect();
        assert_eq!(rounded, [14.4, 6.0, 3.0, 1.0]);
        assert!((slo("7d").burn_rate("1h", 0.02).unwrap() - 3.36).abs() < 1e-9);
    }

    #[test]
    fn the_rules_are_a_valid_rule_file() {
        let yaml = slo("30d").rules_yaml().unwrap();
        let file = crate::rules::parse_rule_file(&yaml).unwrap_or_else(|e| panic!("{e:?}\n{yaml}"));
        let rules = &file.groups[0].rules;
        assert_eq!(rules.len(), 7 + 2, "{yaml}");
        let page = rules
            .iter()
            .find(|r| r.name() == "ErrorBudgetBurn")
            .unwrap();
        assert!(
            page.expr_text.contains(
                "slo:sli_error:ratio_rate1h{slo=\"frontend-availability\"} > (14.4 * 0.001)"
            ),
            "{}",
            page.expr_text
        );
        assert!(slo("10m").rules_yaml().is_err());
        let mut bad = slo("30d");
        bad.good = "rate(".into();
        assert!(
            bad.rules_yaml()
                .unwrap_err()
                .to_string()
                .starts_with("good events")
        );
    }
}
