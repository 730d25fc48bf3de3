//! Resolution of a dashboard's variables: each one's options (asked of
//! the data source for a query variable) and the values in use, in the
//! order they depend on each other, so that a chained variable's query
//! reads the values of the ones it names.

use super::VarOption;
use super::interpolate::{Bound, Scope, variable_name, variable_syntax};
use super::query::VarError;
use super::time::{interval_text, parse_interval, round_interval};
use crate::model::{ALL, Dashboard, Variable, VariableKind};

/// (a real Prometheus not asked yet), else its values or why it failed.
pub type VarAnswer = Option<Result<Vec<String>, VarError>>;

/// A dashboard's variables resolved: each one's options and the values
/// in use, and the queries whose answers are still missing.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Resolved {
    /// Per variable, in the dashboard's order.
    pub options: Vec<Vec<VarOption>>,
    pub picked: Vec<Vec<String>>,
    /// Variable queries (interpolated) that `values_of` had no answer to.
    pub missing: Vec<String>,
    /// Per variable, why it has no options (its query or regex failed).
    pub errors: Vec<Option<VarError>>,
    pub scope: Scope,
}

impl Dashboard {
    /// Resolves the variables in order, each query interpolated with the
    /// variables before it (chained variables): `chosen` holds the
    /// user's picks by name, `values_of` answers a query variable's query
    /// (`None`: not known yet), `range` is the dashboard's time range.
    pub fn resolve(
        &self,
        chosen: &[(String, Vec<String>)],
        values_of: &mut dyn FnMut(&str) -> Option<Vec<String>>,
        range: (i64, i64),
    ) -> Resolved {
        self.resolve_answers(chosen, &mut |q| values_of(q).map(Ok), range)
    }

    /// [`Dashboard::resolve`] with answers that may be errors: a query
    /// that fails (or a regex that does not compile) leaves its variable
    /// without options and with its error in [`Resolved::errors`], as
    /// Grafana marks the variable's picker.
    pub fn resolve_answers(
        &self,
        chosen: &[(String, Vec<String>)],
        values_of: &mut dyn FnMut(&str) -> VarAnswer,
        range: (i64, i64),
    ) -> Resolved {
        let n = self.variables.len();
        let mut scope = Scope {
            bound: Vec::new(),
            range,
        };
        let mut options: Vec<Option<Vec<VarOption>>> = vec![None; n];
        let mut picked: Vec<Vec<String>> = vec![Vec::new(); n];
        let mut missing = Vec::new();
        let mut errors: Vec<Option<VarError>> = vec![None; n];
        // Grafana updates variables in the order they depend on each
        // other, not in the order they are listed: each round binds those
        // whose query names no variable still unbound (a cycle is bound
        // with what there is).
        let names_in = |q: &str| -> Vec<String> {
            variable_syntax()
                .captures_iter(q)
                .map(|c| variable_name(&c).to_string())
                .collect()
        };
        let deps: Vec<Vec<String>> = self
            .variables
            .iter()
            .map(|v| {
                names_in(&v.query)
                    .into_iter()
                    .filter(|d| *d != v.name && self.variables.iter().any(|o| o.name == *d))
                    .collect()
            })
            .collect();
        while let Some(i) = {
            let unbound = |name: &String| {
                self.variables
                    .iter()
                    .zip(&options)
                    .any(|(o, opts)| o.name == *name && opts.is_none())
            };
            (0..n)
                .find(|&i| options[i].is_none() && !deps[i].iter().any(unbound))
                .or_else(|| (0..n).find(|&i| options[i].is_none()))
        } {
            let v = &self.variables[i];
            let opts = match v.fixed_options() {
                Some(o) => o,
                None => {
                    let query = scope.interpolate(&v.query, None);
                    match values_of(&query).map(|r| r.and_then(|values| v.options_from(values))) {
                        Some(Ok(options)) => options,
                        Some(Err(e)) => {
                            errors[i] = Some(e);
                            Vec::new()
                        }
                        None => {
                            missing.push(query);
                            Vec::new()
                        }
                    }
                }
            };
            let chosen_here = chosen
                .iter()
                .find(|(name, _)| *name == v.name)
                .map(|(_, x)| x.as_slice());
            let pick = v.picked(chosen_here, &opts);
            let all = pick.len() == 1 && pick[0] == ALL;
            let mut values: Vec<String> = if all {
                opts.iter().map(|o| o.value.clone()).collect()
            } else {
                pick.clone()
            };
            if v.kind == VariableKind::Interval {
                for value in &mut values {
                    if value == "auto" {
                        *value = interval_text(auto_interval(v, range.1 - range.0));
                    }
                }
            }
            scope.bound.push(Bound {
                name: v.name.clone(),
                values,
                regex: v.multi || v.include_all,
                all_value: v.all_value.clone().filter(|_| all),
            });
            options[i] = Some(opts);
            picked[i] = pick;
        }
        Resolved {
            options: options.into_iter().map(Option::unwrap_or_default).collect(),
            picked,
            missing,
            errors,
            scope,
        }
    }
}

/// An interval variable's `auto` value: the range over `auto_count`,
/// rounded, no less than `auto_min`.
fn auto_interval(v: &Variable, range_ms: i64) -> i64 {
    let count = i64::from(v.auto_count.max(1));
    let min = parse_interval(&v.auto_min).unwrap_or(10_000);
    round_interval(range_ms.max(1) / count).max(min)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vars::fixtures::{dashboard, var};

    #[test]
    fn a_failing_query_or_regex_marks_its_variable_instead_of_emptying_it() {
        let mut bad_regex = var("query", "pod", "label_values(pod)");
        bad_regex.regex = "/web-(/".into();
        let d = dashboard(vec![
            var("query", "job", "metrics(()"),
            bad_regex,
            var("query", "instance", "label_values(instance)"),
        ]);
        let r = d.resolve_answers(
            &[],
            &mut |q| {
                Some(if q.starts_with("metrics") {
                    Err(VarError::Query("metrics((): unclosed group".into()))
                } else {
                    Ok(vec!["web-1".into(), "web-2".into()])
                })
            },
            (0, 1),
        );
        assert_eq!(
            r.errors[0],
            Some(VarError::Query("metrics((): unclosed group".into()))
        );
        assert!(
            matches!(&r.errors[1], Some(VarError::Regex(m)) if m.starts_with("regex /web-(/:")),
            "{:?}",
            r.errors[1]
        );
        assert!(r.options[0].is_empty() && r.options[1].is_empty());
        // The others resolve as usual.
        assert_eq!(r.errors[2], None);
        assert_eq!(r.picked[2], ["web-1"]);
        // Answers that cannot fail: only the regex is still an error.
        let r = d.resolve(&[], &mut |_| Some(vec!["a".into()]), (0, 1));
        assert_eq!((&r.errors[0], &r.errors[2]), (&None, &None));
        assert!(matches!(r.errors[1], Some(VarError::Regex(_))));
    }

    #[test]
    fn chained_variables_read_the_ones_they_name() {
        // Listed before the variable it reads, as Grafana allows.
        let d = dashboard(vec![
            var(
                "query",
                "instance",
                r#"label_values(up{job="$job"}, instance)"#,
            ),
            var("query", "job", "label_values(up, job)"),
        ]);
        let mut asked = Vec::new();
        let r = d.resolve(
            &[("job".into(), vec!["api".into()])],
            &mut |q| {
                asked.push(q.to_string());
                (q == "label_values(up, job)").then(|| vec!["api".to_string(), "db".to_string()])
            },
            (0, 1),
        );
        assert_eq!(
            asked,
            [
                "label_values(up, job)",
                r#"label_values(up{job="api"}, instance)"#
            ]
        );
        assert_eq!(r.missing, [r#"label_values(up{job="api"}, instance)"#]);
        assert_eq!(r.picked[1], ["api"]);
        assert!(r.options[0].is_empty());
        // A cycle still resolves, with the names left as written.
        let d = dashboard(vec![
            var("query", "a", "label_values(up{x=\"$b\"}, a)"),
            var("query", "b", "label_values(up{x=\"$a\"}, b)"),
        ]);
        let r = d.resolve(&[], &mut |q| Some(vec![q.to_string()]), (0, 1));
        assert_eq!(r.picked[0], [r#"label_values(up{x="$b"}, a)"#]);
    }
}
