//! Exercises on configuration: a rule file replayed over the scenario
//! (alerts firing in their windows and quiet outside them, annotations,
//! recorded series), an Alertmanager routing tree, relabel configs.

use std::collections::BTreeSet;

use o11y_alerting::rules::group::AlertState;
use o11y_model::diag::Diagnostic;
use o11y_model::duration::format_duration;
use o11y_model::labels::Labels;

use super::diff::{self, Outcome, show};
use super::format::{RelabelCheck, RoutingCheck, RuleCheck, RuleTestCheck, SilenceCheck};
use crate::demo::Demo;

/// Slack on a window's edges: one evaluation interval.
const SLACK_MS: i64 = crate::demo::RULE_INTERVAL_MS;

/// A rule file replayed from the exercise's `from` to the scenario's start.
pub(super) fn run(
    demo: &Demo,
    start: i64,
    r: &RuleCheck,
    text: &str,
) -> Result<Outcome, Diagnostic> {
    let (engine, written) = demo
        .replay_rules_between(text, start + r.from, start)
        .map_err(|errors| errors.into_iter().next().unwrap_or_default())?;
    let mut open: std::collections::BTreeMap<Labels, i64> = Default::default();
    let mut firing: std::collections::BTreeMap<Labels, Vec<(i64, i64)>> = Default::default();
    let mut pending: BTreeSet<Labels> = BTreeSet::new();
    for t in &engine.transitions {
        if t.to == AlertState::Pending {
            pending.insert(t.labels.clone());
        }
        if t.to == AlertState::Firing {
            open.insert(t.labels.clone(), t.at_ms - start);
        } else if t.from == AlertState::Firing
            && let Some(since) = open.remove(&t.labels)
        {
            firing
                .entry(t.labels.clone())
                .or_default()
                .push((since, t.at_ms - start));
        }
    }
    for (labels, since) in open {
        firing.entry(labels).or_default().push((since, 0));
    }
    let annotations = engine
        .alerts()
        .map(|(_, _, a)| (a.labels.clone(), a.annotations.clone()))
        .collect();
    let mut records = Vec::new();
    for name in &r.records {
        let expr = o11y_promql::parser::parse(name)?;
        let (series, _) = o11y_promql::eval::range_query_with_stats(
            &written,
            &expr,
            start + r.from,
            start,
            60_000,
            crate::demo::BROWSER_QUERY_LIMITS,
        )?;
        records.extend(diff::frames_of_matrix(series, start));
    }
    Ok(Outcome::Alerts {
        firing: firing.into_iter().collect(),
        pending: pending.into_iter().collect(),
        annotations,
        records,
    })
}

fn has(labels: &Labels, pairs: &[(String, String)]) -> bool {
    pairs.iter().all(|(k, v)| labels.get(k) == Some(v.as_str()))
}

fn pairs_text(pairs: &[(String, String)]) -> String {
    show(&Labels::new(
        pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())),
    ))
}

fn rel(at: i64) -> String {
    if at == 0 {
        "the start".to_string()
    } else if at < 0 {
        format!("-{}", format_duration(-at))
    } else {
        format!("+{}", format_duration(at))
    }
}

fn spans_text(spans: &[(i64, i64)]) -> String {
    spans
        .iter()
        .map(|(a, b)| format!("{} to {}", rel(*a), rel(*b)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// What the answer's alerts do wrong: the windows, the quiet times, alerts
/// nobody expects, annotations and recorded series unlike the reference's.
pub(super) fn alert_differences(r: &RuleCheck, expected: &Outcome, got: &Outcome) -> Vec<String> {
    let (
        Outcome::Alerts {
            annotations: want_annotations,
            records: want_records,
            ..
        },
        Outcome::Alerts {
            firing,
            pending,
            annotations,
            records,
        },
    ) = (expected, got)
    else {
        return vec!["Your answer gives another kind of result than the one asked.".to_string()];
    };
    let names: BTreeSet<&str> = r
        .alerts
        .iter()
        .flat_map(|a| {
            a.labels
                .iter()
                .filter(|(k, _)| k == "alertname")
                .map(|(_, v)| v.as_str())
        })
        .collect();
    let ours = |labels: &Labels| labels.get("alertname").is_some_and(|n| names.contains(n));
    let mut out = Vec::new();
    for want in &r.alerts {
        let (a, b) = want.firing;
        let matching: Vec<&(Labels, Vec<(i64, i64)>)> = firing
            .iter()
            .filter(|(l, _)| has(l, &want.labels))
            .collect();
        if matching.is_empty() {
            let was_pending = pending.iter().any(|l| has(l, &want.labels));
            out.push(format!(
                "Your rule never fires {}; it should be firing from {} to {}.{}",
                pairs_text(&want.labels),
                rel(a),
                rel(b),
                if was_pending {
                    " It goes pending but never firing: is `for` longer than the condition holds?"
                } else if firing.iter().any(|(l, _)| ours(l)) {
                    " It fires, but with other labels: check the alert's name and the labels it keeps."
                } else {
                    " Its condition never holds during the failure: check the expression and the threshold in Explore first."
                }
            ));
            continue;
        }
        let covered = matching.iter().any(|(_, spans)| {
            spans
                .iter()
                .any(|(s, e)| *s <= a + SLACK_MS && *e >= b - SLACK_MS)
        });
        if !covered {
            let all: Vec<(i64, i64)> = matching
                .iter()
                .flat_map(|(_, s)| s.iter().copied())
                .collect();
            let late = all.iter().all(|(s, _)| *s > a + SLACK_MS);
            out.push(format!(
                "Your alert {} fires from {}; it should be firing throughout {} to {}.{}",
                pairs_text(&want.labels),
                spans_text(&all),
                rel(a),
                rel(b),
                if late {
                    " It starts too late: is `for` too long, or the threshold too high?"
                } else {
                    " It stops too early, or flaps: is the threshold too high, or the range too short?"
                }
            ));
        }
    }
    let mut noisy_alerts = 0;
    for &(qa, qb) in &r.quiet {
        for (labels, spans) in firing.iter().filter(|(l, _)| ours(l)) {
            let noisy: Vec<(i64, i64)> = spans
                .iter()
                .copied()
                .filter(|(s, e)| *s < qb && *e > qa)
                .collect();
            if !noisy.is_empty() {
                noisy_alerts += 1;
                if noisy_alerts > 3 {
                    continue;
                }
                out.push(format!(
                    "Your alert {} fires from {}, when it must stay quiet ({} to {}): is the threshold too low, or `for` too short?",
                    show(labels),
                    spans_text(&noisy),
                    rel(qa),
                    rel(qb)
                ));
            }
        }
    }
    if noisy_alerts > 3 {
        out.push(format!(
            "… and {} more alerts fire when they must stay quiet.",
            noisy_alerts - 3
        ));
    }
    let extra: Vec<&Labels> = firing
        .iter()
        .map(|(l, _)| l)
        .filter(|l| ours(l) && !r.alerts.iter().any(|w| has(l, &w.labels)))
        .collect();
    if !extra.is_empty() {
        let mut sets: Vec<String> = extra.iter().take(3).map(|l| show(l)).collect();
        if extra.len() > 3 {
            sets.push(format!("and {} more", extra.len() - 3));
        }
        out.push(format!(
            "Your rule also fires {}, which nothing asked for.",
            sets.join(", ")
        ));
    }
    for name in &r.annotations {
        // An alert that never fires was told so already.
        for want in r
            .alerts
            .iter()
            .filter(|w| firing.iter().any(|(l, _)| has(l, &w.labels)))
        {
            let text_of = |list: &[(Labels, Vec<(String, String)>)]| {
                list.iter()
                    .find(|(l, _)| has(l, &want.labels))
                    .and_then(|(_, a)| a.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()))
            };
            let (Some(w), g) = (text_of(want_annotations), text_of(annotations)) else {
                continue;
            };
            match g {
                None => out.push(format!(
                    "Your alert {} has no `{name}` annotation.",
                    pairs_text(&want.labels)
                )),
                Some(g) if g != w => out.push(format!(
                    "Your alert {}'s `{name}` reads {g:?}; expected {w:?}.",
                    pairs_text(&want.labels)
                )),
                Some(_) => {}
            }
        }
    }
    if !r.records.is_empty() {
        let found = diff::differences(
            &Outcome::Frames(want_records.clone()),
            &Outcome::Frames(records.clone()),
            1e-9,
            false,
            &[],
        );
        for m in found {
            out.push(format!("Recorded series: {m}"));
        }
    }
    out
}

/// Where each alert goes under an Alertmanager configuration.
pub(super) fn routes(r: &RoutingCheck, text: &str) -> Result<Outcome, Diagnostic> {
    let config = o11y_alerting::alertmanager::AmConfig::parse(text)?;
    Ok(Outcome::Routes(
        r.alerts
            .iter()
            .map(|alert| {
                let routes = config
                    .route
                    .matching(alert)
                    .into_iter()
                    .map(|route| {
                        let group = match &route.group_by {
                            None => "every label (`...`)".to_string(),
                            Some(names) => {
                                let mut names = names.clone();
                                o11y_model::sort::sort(&mut names[..]);
                                format!("[{}]", names.join(", "))
                            }
                        };
                        (route.receiver.clone(), group)
                    })
                    .collect();
                // The exercise's alerts all fire together.
                let muted = config
                    .inhibit_rules
                    .iter()
                    .any(|rule| r.alerts.iter().any(|source| rule.mutes(alert, source)));
                super::diff::Routed {
                    alert: alert.clone(),
                    routes,
                    muted,
                }
            })
            .collect(),
    ))
}

/// Which alerts a silence's matchers mute.
pub(super) fn silence(s: &SilenceCheck, text: &str) -> Result<Outcome, Diagnostic> {
    let matchers = o11y_alerting::alertmanager::parse_matchers(text)?;
    if matchers.is_empty() {
        return Err(Diagnostic::new("a silence needs at least one matcher"));
    }
    Ok(Outcome::Silenced(
        s.alerts
            .iter()
            .map(|a| (a.clone(), matchers.iter().all(|m| m.matches(a))))
            .collect(),
    ))
}

/// A test file run on the rules, and on each broken variant of them.
pub(super) fn rule_tests(t: &RuleTestCheck, text: &str) -> Result<Outcome, Diagnostic> {
    let run = |rules: &str| {
        o11y_alerting::rules::unittest::run_test_file(text, &|name| {
            if name == "rules.yml" {
                Ok(rules.to_string())
            } else {
                Err(format!(
                    "{name}: the tests read rules.yml, the rules of this exercise"
                ))
            }
        })
    };
    let on_rules = run(&t.rules);
    Ok(Outcome::Tests {
        on_rules: (!on_rules.passed).then(|| on_rules.output.trim().to_string()),
        catches: t.mutants.iter().map(|m| !run(&m.rules).passed).collect(),
    })
}

/// What a test file misses: it fails on the right rules, or passes on a
/// broken variant (each named by what is broken).
pub(super) fn test_differences(t: &RuleTestCheck, got: &Outcome) -> Vec<String> {
    let Outcome::Tests { on_rules, catches } = got else {
        return vec!["Your answer gives another kind of result than the one asked.".to_string()];
    };
    if let Some(output) = on_rules {
        return vec![format!(
            "Your tests fail on the rules they test, which are right:\n\n```\n{output}\n```"
        )];
    }
    t.mutants
        .iter()
        .zip(catches)
        .filter(|(_, caught)| !**caught)
        .map(|(m, _)| format!("Your tests pass on a broken version of the rules ({}): they do not check what that changes.", m.why))
        .collect()
}

/// What relabel configs make of each target.
pub(super) fn relabel(r: &RelabelCheck, text: &str) -> Result<Outcome, Diagnostic> {
    let configs = o11y_metrics::relabel::check_configs(text)
        .map_err(|errors| errors.into_iter().next().unwrap_or_default())?;
    Ok(Outcome::Relabeled(
        r.targets
            .iter()
            .map(|t| {
                let kept = o11y_metrics::relabel::process(t, &configs);
                (
                    t.clone(),
                    kept.as_ref().map(o11y_metrics::relabel::target_labels),
                )
            })
            .collect(),
    ))
}
