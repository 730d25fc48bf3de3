//! Grafana's template variables as its Prometheus data source runs them:
//! the variable types (`query`, `custom`, `interval`, `constant`,
//! `textbox`), the Prometheus variable queries (`label_values`,
//! `label_names`, `metrics`, `query_result`) with the variable's `regex`
//! and `sort`, the default selection, and interpolation of `$var`,
//! `${var}`, `${var:format}` and `[[var]]` with Prometheus's escaping —
//! plus the built-in time variables (`$__interval`, `$__rate_interval`,
//! `$__range`, …) computed from the time range and the panel's width as
//! Grafana computes them. The variable itself is the model's
//! ([`crate::Variable`]).
//!
//! The files: `query` (query variables, regex and sort), `options` (the
//! other types' options, the default pick), `resolve` (variables in the
//! order they read each other), `interpolate` (`$var` and the built-ins)
//! and `time` (Grafana's intervals and a panel's query window).
//!
//! ```
//! use o11y_dashboards::{Dashboard, Variable, VariableKind};
//! let job = Variable { name: "job".into(), kind: VariableKind::Custom, query: "api, db".into(), multi: true, ..Variable::default() };
//! let d = Dashboard { variables: vec![job], ..Dashboard::default() };
//! let picked = [("job".to_string(), vec!["api".to_string(), "db".to_string()])];
//! let resolved = d.resolve(&picked, &mut |_| None, (0, 3_600_000));
//! assert_eq!(resolved.scope.interpolate(r#"up{job=~"$job"}"#, None), r#"up{job=~"(api|db)"}"#);
//! ```

mod interpolate;
mod options;
mod query;
mod resolve;
mod time;

pub use crate::layout::Placed;
pub use crate::model::ALL;
pub use interpolate::Scope;
pub use query::{
    VarError, VarQuery, parse_query, query_result_lines, regex_message, variable_regex,
};
pub use resolve::{Resolved, VarAnswer};
pub use time::{
    Intervals, QUICK_RANGES, QueryWindow, REFRESH_INTERVALS, SCRAPE_INTERVAL_MS, go_duration,
    interval_text, parse_interval, relative_range_ms, round_interval,
};

/// One option of a variable: what the picker shows and what it stands for.
#[derive(Clone, Debug, PartialEq)]
pub struct VarOption {
    pub text: String,
    pub value: String,
}

impl VarOption {
    pub(crate) fn same(s: &str) -> VarOption {
        VarOption {
            text: s.to_string(),
            value: s.to_string(),
        }
    }
}

/// Variables and dashboards for the tests of this module and of `layout`.
#[cfg(test)]
pub(crate) mod fixtures {
    use crate::model::{Dashboard, Variable, VariableKind};

    pub(crate) fn var(kind: &str, name: &str, query: &str) -> Variable {
        Variable {
            name: name.into(),
            kind: VariableKind::from_name(kind).expect("a variable type"),
            query: query.into(),
            auto_count: 30,
            auto_min: "10s".into(),
            ..Variable::default()
        }
    }

    pub(crate) fn dashboard(variables: Vec<Variable>) -> Dashboard {
        Dashboard {
            uid: String::new(),
            title: String::new(),
            time_from: "now-1h".into(),
            refresh: String::new(),
            variables,
            panels: Vec::new(),
        }
    }
}
