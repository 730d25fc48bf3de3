//! A variable's options and the values picked from them: the options
//! written in a `custom`, `interval`, `constant` or `textbox` variable
//! (a query variable's come from its data source, see `query`),
//! Grafana's default pick, and the multi-value picker's toggle.
//!
//! ```
//! use o11y_dashboards::{Variable, VariableKind};
//! let v = Variable { kind: VariableKind::Custom, query: "prod : production, dev".into(), ..Variable::default() };
//! let options = v.fixed_options().unwrap();
//! assert_eq!((options[0].text.as_str(), options[0].value.as_str()), ("prod", "production"));
//! ```

use super::VarOption;
use crate::model::{ALL, Variable, VariableKind};

impl Variable {
    /// The options of a variable whose values are written in it
    /// (`custom`, `interval`, `constant`, `textbox`); `None` for a
    /// `query` variable, whose options come from its data source.
    pub fn fixed_options(&self) -> Option<Vec<VarOption>> {
        match self.kind {
            VariableKind::Custom => Some(custom_options(&self.query)),
            VariableKind::Interval => {
                let mut o: Vec<VarOption> = self
                    .query
                    .split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(VarOption::same)
                    .collect();
                if self.auto {
                    o.insert(0, VarOption::same("auto"));
                }
                Some(o)
            }
            VariableKind::Constant | VariableKind::TextBox => {
                Some(vec![VarOption::same(self.query.trim())])
            }
            VariableKind::Query => None,
        }
    }

    /// The values in use: the user's choice, else the saved `current`
    /// where it is still an option, else the first option (All first
    /// when the variable has it), as Grafana picks.
    pub fn picked(&self, chosen: Option<&[String]>, options: &[VarOption]) -> Vec<String> {
        let valid = |vals: &[String]| {
            !vals.is_empty()
                && (matches!(self.kind, VariableKind::TextBox | VariableKind::Constant)
                    || vals.iter().all(|v| {
                        (v == ALL && self.include_all) || options.iter().any(|o| &o.value == v)
                    }))
        };
        if let Some(c) = chosen.filter(|c| valid(c)) {
            return c.to_vec();
        }
        if valid(&self.current) {
            return self.current.clone();
        }
        if self.include_all {
            return vec![ALL.to_string()];
        }
        options
            .first()
            .map(|o| vec![o.value.clone()])
            .unwrap_or_default()
    }
}

impl Variable {
    /// A multi-value variable's values after a click on `value` in its
    /// list, as Grafana's picker does: All alone replaces the rest; a
    /// value is added or taken away (and replaces All); nothing left
    /// falls back to All, or keeps the value when there is no All.
    pub fn toggled(&self, picked: &[String], value: &str) -> Vec<String> {
        if value == ALL {
            return vec![ALL.to_string()];
        }
        let mut out: Vec<String> = picked.iter().filter(|v| *v != ALL).cloned().collect();
        match out.iter().position(|v| v == value) {
            Some(i) => {
                out.remove(i);
            }
            None => out.push(value.to_string()),
        }
        match (out.is_empty(), self.include_all) {
            (false, _) => out,
            (true, true) => vec![ALL.to_string()],
            (true, false) => vec![value.to_string()],
        }
    }
}

/// A custom variable's `a, b, key : value` list; `\,` is a comma in a value.
fn custom_options(query: &str) -> Vec<VarOption> {
    let mut parts: Vec<String> = Vec::new();
    let mut part = String::new();
    let mut chars = query.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek() == Some(&',') => {
                chars.next();
                part.push(',');
            }
            ',' => parts.push(std::mem::take(&mut part)),
            c => part.push(c),
        }
    }
    parts.push(part);
    parts
        .into_iter()
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once(" : ") {
            Some((k, v)) if !k.trim().is_empty() && !v.trim().is_empty() => VarOption {
                text: k.trim().to_string(),
                value: v.trim().to_string(),
            },
            _ => VarOption::same(p.trim()),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::VariableSort;
    use crate::vars::fixtures::var;
    use crate::vars::variable_regex;

    #[test]
    fn options_of_each_kind() {
        let texts = |o: Vec<VarOption>| -> Vec<(String, String)> {
            o.into_iter().map(|o| (o.text, o.value)).collect()
        };
        let custom = var("custom", "env", r"prod : production, dev, a\,b");
        assert_eq!(
            texts(custom.fixed_options().unwrap()),
            [
                ("prod".into(), "production".into()),
                ("dev".into(), "dev".into()),
                ("a,b".into(), "a,b".into())
            ]
        );
        let mut interval = var("interval", "i", "1m, 5m");
        interval.auto = true;
        assert_eq!(interval.fixed_options().unwrap().len(), 3);
        assert!(
            var("query", "q", "label_values(job)")
                .fixed_options()
                .is_none()
        );

        let mut q = var("query", "pod", "label_values(pod)");
        q.regex = "/web-(\\d+)/".into();
        q.sort = VariableSort::NumericalDesc;
        let got = q
            .options_from(vec![
                "web-2".into(),
                "db-1".into(),
                "web-10".into(),
                "web-2".into(),
            ])
            .unwrap();
        assert_eq!(
            got.iter().map(|o| o.value.as_str()).collect::<Vec<_>>(),
            ["10", "2"]
        );
        q.regex = r#"/(?<text>[a-z]+)-(?<value>\d+)/"#.into();
        q.sort = VariableSort::AlphabeticalAsc;
        let got = q.options_from(vec!["web-2".into(), "db-1".into()]).unwrap();
        assert_eq!(
            texts(got),
            [("db".into(), "1".into()), ("web".into(), "2".into())]
        );
        assert!(variable_regex("/(/").is_err());
        assert!(variable_regex("/a/x").is_err());
    }

    #[test]
    fn defaults_and_picks_follow_grafana() {
        let options: Vec<VarOption> = ["a", "b"].iter().map(|s| VarOption::same(s)).collect();
        let mut v = var("query", "x", "label_values(x)");
        assert_eq!(v.picked(None, &options), ["a"]);
        v.include_all = true;
        assert_eq!(v.picked(None, &options), [ALL]);
        v.current = vec!["b".into()];
        assert_eq!(v.picked(None, &options), ["b"]);
        v.current = vec!["gone".into()];
        assert_eq!(v.picked(None, &options), [ALL]);
        assert_eq!(v.picked(Some(&["a".to_string()]), &options), ["a"]);
    }

    #[test]
    fn a_multi_value_pick_toggles_as_grafanas_does() {
        let mut v = var("custom", "x", "a, b");
        v.multi = true;
        v.include_all = true;
        let all = vec![ALL.to_string()];
        assert_eq!(v.toggled(&all, "a"), ["a"]);
        assert_eq!(v.toggled(&["a".into()], "b"), ["a", "b"]);
        assert_eq!(v.toggled(&["a".into(), "b".into()], "a"), ["b"]);
        assert_eq!(v.toggled(&["b".into()], "b"), [ALL]);
        assert_eq!(v.toggled(&["a".into()], ALL), [ALL]);
        v.include_all = false;
        assert_eq!(v.toggled(&["b".into()], "b"), ["b"]);
    }
}
