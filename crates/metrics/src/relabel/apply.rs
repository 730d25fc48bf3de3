//! Relabeling applied: each action (`replace`, `keep`, `drop`,
//! `keepequal`, `dropequal`, `hashmod`, `labelmap`, `labeldrop`,
//! `labelkeep`, `lowercase`, `uppercase`) on a label set, config after
//! config, with the labels after each step for the step-by-step view.

use o11y_model::labels::Labels;

use super::config::{Action, RelabelConfig};

/// What one step did, for the step-by-step view.
#[derive(Clone, Debug, PartialEq)]
pub struct Step {
    /// The labels after the step; `None` once the target is dropped.
    pub labels: Option<Labels>,
}

/// Applies the configs in order: the labels after each step (the last is
/// `None` when a step dropped the target).
pub fn steps(input: &Labels, configs: &[RelabelConfig]) -> Vec<Step> {
    let mut out = Vec::with_capacity(configs.len());
    let mut current = Some(input.clone());
    for c in configs {
        current = current.and_then(|l| apply(&l, c));
        out.push(Step {
            labels: current.clone(),
        });
        if current.is_none() {
            break;
        }
    }
    out
}

/// The labels after every config, or `None` if the target was dropped.
pub fn process(input: &Labels, configs: &[RelabelConfig]) -> Option<Labels> {
    let mut l = input.clone();
    for c in configs {
        l = apply(&l, c)?;
    }
    Some(l)
}

/// The labels relabeled labels leave on a target, as Prometheus's
/// `PopulateLabels` does after `relabel_configs`: `instance` defaults to
/// `__address__`, then every label starting with `__` is removed.
pub fn target_labels(relabeled: &Labels) -> Labels {
    let mut labels = relabeled.clone();
    if labels.get("instance").is_none()
        && let Some(address) = labels.get("__address__").map(str::to_string)
    {
        labels = labels.with("instance", &address);
    }
    Labels::new(
        labels
            .iter()
            .filter(|l| !l.name.starts_with("__"))
            .map(|l| (l.name.as_str(), l.value.as_str())),
    )
}

/// The last 8 bytes of the MD5 of `value`, big-endian, modulo `modulus`
/// (Prometheus's `hashmod`).
pub fn hashmod(value: &str, modulus: u64) -> u64 {
    let digest = md5::compute(value.as_bytes());
    let mut last = [0u8; 8];
    last.copy_from_slice(&digest.0[8..]);
    u64::from_be_bytes(last) % modulus.max(1)
}

fn set(labels: &Labels, name: &str, value: &str) -> Labels {
    if value.is_empty() {
        labels.without(name)
    } else {
        labels.with(name, value)
    }
}

fn apply(labels: &Labels, c: &RelabelConfig) -> Option<Labels> {
    let value = c
        .source_labels
        .iter()
        .map(|n| labels.get(n).unwrap_or(""))
        .collect::<Vec<_>>()
        .join(&c.separator);
    match c.action {
        Action::Drop => (!c.regex.is_match(&value)).then(|| labels.clone()),
        Action::Keep => c.regex.is_match(&value).then(|| labels.clone()),
        Action::DropEqual => {
            (labels.get(&c.target_label).unwrap_or("") != value).then(|| labels.clone())
        }
        Action::KeepEqual => {
            (labels.get(&c.target_label).unwrap_or("") == value).then(|| labels.clone())
        }
        Action::Replace => {
            let Some(caps) = c.regex.captures(&value) else {
                return Some(labels.clone());
            };
            let mut target = String::new();
            caps.expand(&c.target_label, &mut target);
            if !o11y_model::labels::is_valid_label_name(&target) {
                return Some(labels.clone());
            }
            let mut res = String::new();
            caps.expand(&c.replacement, &mut res);
            Some(set(labels, &target, &res))
        }
        Action::Lowercase => Some(set(labels, &c.target_label, &value.to_lowercase())),
        Action::Uppercase => Some(set(labels, &c.target_label, &value.to_uppercase())),
        Action::HashMod => Some(set(
            labels,
            &c.target_label,
            &hashmod(&value, c.modulus).to_string(),
        )),
        Action::LabelMap => {
            let mut out = labels.clone();
            for l in labels.iter() {
                if c.regex.is_match(&l.name) {
                    let name = c
                        .regex
                        .replace_all(&l.name, c.replacement.as_str())
                        .into_owned();
                    out = set(&out, &name, &l.value);
                }
            }
            Some(out)
        }
        Action::LabelDrop => Some(Labels::new(
            labels
                .iter()
                .filter(|l| !c.regex.is_match(&l.name))
                .map(|l| (l.name.clone(), l.value.clone())),
        )),
        Action::LabelKeep => Some(Labels::new(
            labels
                .iter()
                .filter(|l| c.regex.is_match(&l.name))
                .map(|l| (l.name.clone(), l.value.clone())),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::relabel::parse_configs;

    fn run(yaml: &str, input: &[(&str, &str)]) -> Option<Vec<(String, String)>> {
        let configs = parse_configs(yaml).unwrap();
        process(&Labels::new(input.iter().copied()), &configs).map(|l| {
            l.iter()
                .map(|l| (l.name.clone(), l.value.clone()))
                .collect()
        })
    }

    fn pairs(p: &[(&str, &str)]) -> Option<Vec<(String, String)>> {
        let mut v: Vec<(String, String)> = p
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect();
        o11y_model::sort::sort(&mut v[..]);
        Some(v)
    }

    #[test]
    fn replace_with_defaults_and_captures() {
        let abc = [("a", "foo"), ("b", "bar"), ("c", "baz")];
        assert_eq!(
            run(
                "- {source_labels: [a], regex: 'f(.*)', target_label: d, replacement: 'ch${1}-ch${1}'}",
                &abc
            ),
            pairs(&[("a", "foo"), ("b", "bar"), ("c", "baz"), ("d", "choo-choo")])
        );
        // Two sources joined by ';', regex anchored.
        assert_eq!(
            run(
                "- {source_labels: [a, b], regex: 'f(.*);(.*)r', target_label: a, replacement: 'b${1}${2}m'}",
                &abc
            ),
            pairs(&[("a", "boobam"), ("b", "bar"), ("c", "baz")])
        );
        // No match: nothing changes; "f" alone does not match "boo" (anchored).
        assert_eq!(
            run(
                "- {source_labels: [a], regex: f, target_label: b, replacement: bar}",
                &[("a", "boo")]
            ),
            pairs(&[("a", "boo")])
        );
        // The target label can come from a capture; an invalid one changes nothing.
        assert_eq!(
            run(
                "- {source_labels: [a], regex: 'some-([^-]+)-([^,]+)', replacement: '${2}', target_label: '${1}'}",
                &[("a", "some-name-value")]
            ),
            pairs(&[("a", "some-name-value"), ("name", "value")])
        );
        assert_eq!(
            run(
                "- {source_labels: [a], regex: 'some-([^-]+)-([^,]+)', replacement: '${1}', target_label: '${3}'}",
                &[("a", "some-name-0")]
            ),
            pairs(&[("a", "some-name-0")])
        );
        // An empty result deletes the target.
        assert_eq!(
            run("- {source_labels: [x], target_label: a}", &[("a", "1")]),
            pairs(&[])
        );
    }

    #[test]
    fn keep_drop_and_equal() {
        assert_eq!(
            run(
                "- {source_labels: [a], regex: '.*o.*', action: drop}",
                &[("a", "foo")]
            ),
            None
        );
        assert_eq!(
            run(
                "- {source_labels: [a], regex: 'f|o', action: drop}",
                &[("a", "foo")]
            ),
            pairs(&[("a", "foo")])
        );
        assert_eq!(
            run(
                "- {source_labels: [a], regex: no-match, action: keep}",
                &[("a", "foo")]
            ),
            None
        );
        let ports = [
            ("__tmp_port", "1234"),
            ("__port1", "1234"),
            ("__port2", "5678"),
        ];
        assert!(
            run(
                "- {source_labels: [__tmp_port], action: keepequal, target_label: __port1}",
                &ports
            )
            .is_some()
        );
        assert!(
            run(
                "- {source_labels: [__tmp_port], action: dropequal, target_label: __port1}",
                &ports
            )
            .is_none()
        );
        assert!(
            run(
                "- {source_labels: [__tmp_port], action: keepequal, target_label: __port2}",
                &ports
            )
            .is_none()
        );
    }

    #[test]
    fn hashmod_is_prometheus_s() {
        // Values Prometheus's own relabel tests expect.
        assert_eq!(hashmod("baz", 1000), 976);
        assert_eq!(hashmod("foo\nbar", 1000), 734);
        assert_eq!(
            run(
                "- {source_labels: [c], action: hashmod, modulus: 1000, target_label: d}",
                &[("c", "baz")]
            ),
            pairs(&[("c", "baz"), ("d", "976")])
        );
    }

    #[test]
    fn label_actions_and_case() {
        let b = [("a", "foo"), ("b1", "bar"), ("b2", "baz")];
        assert_eq!(
            run(
                "- {regex: '(b.*)', replacement: 'bar_${1}', action: labelmap}",
                &b
            ),
            pairs(&[
                ("a", "foo"),
                ("b1", "bar"),
                ("b2", "baz"),
                ("bar_b1", "bar"),
                ("bar_b2", "baz")
            ])
        );
        assert_eq!(
            run("- {regex: '(b.*)', action: labelkeep}", &b),
            pairs(&[("b1", "bar"), ("b2", "baz")])
        );
        assert_eq!(
            run("- {regex: '(b.*)', action: labeldrop}", &b),
            pairs(&[("a", "foo")])
        );
        assert_eq!(
            run(
                "- {source_labels: [foo], action: uppercase, target_label: up}\n- {source_labels: [foo], action: lowercase, target_label: low}",
                &[("foo", "bAr1")]
            ),
            pairs(&[("foo", "bAr1"), ("low", "bar1"), ("up", "BAR1")])
        );
    }
}
