//! The Alerts page (`#/alerts`): the alert timeline (pending and firing
//! bands under the chart of the rule's expression, its threshold drawn),
//! current alerts, the notification feed with webhook payloads; the rule
//! editor (checked as you type, applied live, or replayed over the stored
//! history: "what if"); silences; Alertmanager's configuration; the SLO
//! generator; and promtool-format rule tests run in the page.

use leptos::prelude::*;
// A silence's matchers are written as amtool takes them: comma-separated,
// in optional braces, commas inside quotes kept.
use o11y_engine::alerting::alertmanager::parse_matchers;
use o11y_engine::alerting::rules::group::{AlertState, RuleEngine, threshold_of};
use o11y_engine::alerting::rules::slo::Slo;

use crate::charts::{format_clock_time, short_value};
use crate::components::{ChartError, Graph, RangePicker, Resolution, StateBands};
use crate::state::AppState;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Tab {
    Overview,
    Rules,
    Silences,
    Alertmanager,
    Slo,
    Tests,
}

const TABS: [(Tab, &str, &str); 6] = [
    (Tab::Overview, "Alerts", "overview"),
    (Tab::Rules, "Rules", "rules"),
    (Tab::Silences, "Silences", "silences"),
    (Tab::Alertmanager, "Alertmanager", "alertmanager"),
    (Tab::Slo, "SLO", "slo"),
    (Tab::Tests, "Rule tests", "tests"),
];

/// How often the alerts, the timeline and the silences are drawn again,
/// in real milliseconds.
const REDRAW_REAL_MS: u32 = 1000;

/// Time ranges of the timeline.
const RANGES: [(i64, &str); 3] = [
    (15 * 60_000, "15m"),
    (30 * 60_000, "30m"),
    (60 * 60_000, "1h"),
];

/// How far back "what if" may replay, in minutes, as offered (the demo
/// holds an hour of history unless the simulator panel asks for more).
const WHAT_IF_WINDOWS: [(i64, &str); 4] = [
    (30, "30 minutes"),
    (60, "hour"),
    (6 * 60, "6 hours"),
    (24 * 60, "24 hours"),
];

/// A replay of edited rules ("what if"), shown instead of the live rules.
#[derive(Clone)]
struct Replay {
    engine: RuleEngine,
    from_ms: i64,
}

#[component]
pub fn AlertsPage() -> impl IntoView {
    let AppState { tick, .. } = expect_context::<AppState>();
    let tab = RwSignal::new(Tab::Overview);
    let refresh = tick.every(REDRAW_REAL_MS);
    let replay = RwSignal::new(None::<Replay>);
    let tabs = TABS
        .into_iter()
        .map(|(t, label, id)| {
            view! {
                <button
                    class:active=move || tab.get() == t
                    aria-pressed=move || (tab.get() == t).to_string()
                    data-testid=format!("alerts-tab-{id}")
                    on:click=move |_| tab.set(t)
                >
                    {label}
                </button>
            }
        })
        .collect_view();
    view! {
        <section class="alerts" data-testid="alerts-page">
            <div class="tabs" role="tablist">{tabs}</div>
            {move || match tab.get() {
                Tab::Overview => view! { <Overview refresh replay /> }.into_any(),
                Tab::Rules => view! { <RulesEditor replay tab /> }.into_any(),
                Tab::Silences => view! { <Silences refresh /> }.into_any(),
                Tab::Alertmanager => view! { <AlertmanagerConfig /> }.into_any(),
                Tab::Slo => view! { <SloForm tab /> }.into_any(),
                Tab::Tests => view! { <RuleTests /> }.into_any(),
            }}
        </section>
    }
}

/// The timeline, current alerts and notifications.
#[component]
fn Overview(refresh: Memo<u64>, replay: RwSignal<Option<Replay>>) -> impl IntoView {
    let AppState { demo, .. } = expect_context::<AppState>();
    let range = RwSignal::new(RANGES[1].0);
    let chosen = RwSignal::new(None::<String>);
    let alert_rules = Memo::new(move |_| {
        replay.with(|r| match r {
            Some(r) => names(&r.engine),
            None => demo.with_untracked(|d| names(d.rules())),
        })
    });
    let timeline = move || {
        refresh.get();
        let names = alert_rules.get();
        let rule = chosen
            .get()
            .filter(|c| names.contains(c))
            .or_else(|| names.first().cloned())?;
        let end = demo.with_untracked(|d| d.now_ms());
        let start = end - range.get();
        let replayed = replay.get();
        let (expr_text, rows) = match &replayed {
            Some(r) => (
                rule_expr(&r.engine, &rule),
                r.engine.timeline(&rule, start, end),
            ),
            None => demo.with_untracked(|d| {
                (
                    rule_expr(d.rules(), &rule),
                    d.rules().timeline(&rule, start, end),
                )
            }),
        };
        let (graphed, threshold) = expr_text
            .as_deref()
            .and_then(|t| o11y_engine::promql::parse(t).ok())
            .and_then(|e| threshold_of(&e))
            .map_or((expr_text.clone().unwrap_or_default(), None), |(lhs, t)| {
                (lhs, Some(t))
            });
        let step = Resolution::GRAPH.step_ms(range.get());
        let aligned_end = end.div_euclid(step) * step;
        // The graphed expression's series, or why it failed (shown where
        // the chart would be, never as an empty chart).
        let queried = if graphed.trim().is_empty() {
            Ok(Vec::new())
        } else {
            o11y_engine::promql::parse(&graphed)
                .map_err(|e| e.to_string())
                .and_then(|e| {
                    demo.with_untracked(|d| d.range_query(&e, start, aligned_end, step))
                        .map(|(s, _)| s)
                        .map_err(|e| e.message)
                })
        };
        let no_rows = rows.is_empty();
        let options = names
            .iter()
            .map(|n| {
                let selected = *n == rule;
                view! { <option value=n.clone() selected=selected>{n.clone()}</option> }
            })
            .collect_view();
        Some(view! {
            <div class="panel timeline" data-testid="alert-timeline">
                <div class="timeline-head">
                    <label>"Rule " <select data-testid="timeline-rule" on:change=move |ev| chosen.set(Some(event_target_value(&ev)))>{options}</select></label>
                    <RangePicker ranges=RANGES.to_vec() range class="speeds" />
                    {replayed.as_ref().map(|r| view! {
                        <span class="badge whatif" data-testid="whatif-banner">{format!("What if: edited rules replayed from {} — not applied", format_clock_time(r.from_ms))}</span>
                        <button data-testid="whatif-clear" on:click=move |_| replay.set(None)>"Back to the live rules"</button>
                    })}
                </div>
                <code class="muted">{expr_text.unwrap_or_default()}</code>
                {match queried {
                    Ok(series) => view! { <Graph series start end=aligned_end stacked=false threshold /> }.into_any(),
                    Err(message) => view! { <ChartError message testid="timeline-error" /> }.into_any(),
                }}
                <StateBands rows start end />
                {no_rows.then(|| view! { <p class="muted" data-testid="timeline-empty">"No alert of this rule was pending or firing in this range."</p> })}
                <p class="legend-line"><span class="swatch pending"></span>" pending " <span class="swatch firing"></span>" firing"</p>
            </div>
        })
    };
    let current = move || {
        refresh.get();
        let alerts: Vec<(String, o11y_engine::alerting::rules::group::Alert)> = demo
            .with_untracked(|d| {
                d.rules()
                    .alerts()
                    .filter(|(_, _, a)| a.state != AlertState::Inactive)
                    .map(|(_, r, a)| (r.rule.name().to_string(), a.clone()))
                    .collect()
            });
        if alerts.is_empty() {
            return view! { <p class="muted" data-testid="no-alerts">"No alert is pending or firing."</p> }.into_any();
        }
        alerts
            .into_iter()
            .map(|(rule, a)| {
                let annotation = |k: &str| a.annotations.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
                let labels = a.labels.iter().filter(|l| l.name != "alertname").map(|l| format!("{}={}", l.name, l.value)).collect::<Vec<_>>().join(", ");
                let runbook = annotation("runbook_url");
                view! {
                    <li class=format!("alert {}", a.state.name()) data-testid="current-alert" data-state=a.state.name()>
                        <span class="badge">{a.state.name()}</span>
                        " " <strong>{rule}</strong> " " <span class="muted mono">{labels}</span>
                        <div data-testid="alert-summary">{annotation("summary").unwrap_or_default()}</div>
                        {annotation("description").map(|d| view! { <div class="muted">{d}</div> })}
                        <div class="muted">{format!("active since {} · value {}", format_clock_time(a.active_at_ms), short_value(a.value))}</div>
                        {runbook.map(|u| view! { <a href=u.clone() target="_blank" rel="noopener" data-testid="runbook-link">"Runbook"</a> })}
                    </li>
                }
            })
            .collect_view()
            .into_any()
    };
    let notifications = move || {
        refresh.get();
        let sent: Vec<o11y_engine::alerting::alertmanager::Notification> =
            demo.with_untracked(|d| {
                d.alertmanager()
                    .notifications
                    .iter()
                    .rev()
                    .take(30)
                    .cloned()
                    .collect()
            });
        if sent.is_empty() {
            return view! { <p class="muted">"No notification yet."</p> }.into_any();
        }
        sent.into_iter()
            .map(|n| {
                let summary = n
                    .alerts
                    .iter()
                    .map(|a| a.annotations.iter().find(|(k, _)| k == "summary").map_or_else(|| a.labels.to_string(), |(_, v)| v.clone()))
                    .collect::<Vec<_>>()
                    .join(" · ");
                view! {
                    <li class=format!("notification {}", n.status) data-testid="notification" data-status=n.status>
                        <span class="muted">{format_clock_time(n.at_ms)}</span>
                        " " <span class="badge">{n.status}</span>
                        " → " <strong>{n.receiver.clone()}</strong>
                        " " <span data-testid="notification-summary">{summary}</span>
                        <details>
                            <summary>"Webhook payload"</summary>
                            <pre data-testid="notification-payload">{n.payload.clone()}</pre>
                        </details>
                    </li>
                }
            })
            .collect_view()
            .into_any()
    };
    view! {
        {timeline}
        <div class="alerts-columns">
            <section class="panel">
                <h2>"Current alerts"</h2>
                <ul class="alert-list" data-testid="current-alerts">{current}</ul>
            </section>
            <section class="panel">
                <h2>"Notifications"</h2>
                <ul class="notification-list" data-testid="notifications">{notifications}</ul>
            </section>
        </div>
    }
}

fn names(engine: &RuleEngine) -> Vec<String> {
    engine
        .groups
        .iter()
        .flat_map(|g| g.rules.iter())
        .filter(|r| r.rule.is_alert())
        .map(|r| r.rule.name().to_string())
        .collect()
}

fn rule_expr(engine: &RuleEngine, name: &str) -> Option<String> {
    engine
        .groups
        .iter()
        .flat_map(|g| g.rules.iter())
        .find(|r| r.rule.is_alert() && r.rule.name() == name)
        .map(|r| r.rule.expr.to_string())
}

/// The rule file: checked as you type, applied, or replayed.
#[component]
fn RulesEditor(replay: RwSignal<Option<Replay>>, tab: RwSignal<Tab>) -> impl IntoView {
    let AppState {
        demo,
        tick,
        lesson,
        drafts,
        ..
    } = expect_context::<AppState>();
    // In a lesson the editor keeps the learner's draft across tabs (Check
    // takes it from there).
    let text = RwSignal::new(if lesson.with_untracked(Option::is_some) {
        drafts.rules.get_untracked()
    } else {
        demo.with_untracked(|d| d.rules_text().to_string())
    });
    Effect::new(move |_| drafts.rules.set(text.get()));
    // Groups and rules, or the problems.
    let checked = Memo::new(move |_| {
        text.with(|t| {
            o11y_engine::alerting::rules::parse_rule_file(t).map(|f| {
                (
                    f.groups.len(),
                    f.groups.iter().map(|g| g.rules.len()).sum::<usize>(),
                )
            })
        })
    });
    let status = RwSignal::new(None::<String>);
    let apply = move |_| {
        let t = text.get_untracked();
        let mut result = Ok(());
        demo.update(|d| result = d.set_rules(&t));
        status.set(Some(match result {
            Ok(()) => "Applied: the rules are evaluated from now on.".to_string(),
            Err(e) => format!(
                "Not applied: {}",
                e.first().map(ToString::to_string).unwrap_or_default()
            ),
        }));
    };
    // How far back "what if" replays, in minutes.
    let window_min = RwSignal::new(30i64);
    let what_if = move |_| {
        let t = text.get_untracked();
        let from = demo.with_untracked(|d| d.now_ms()) - window_min.get_untracked() * 60_000;
        match crate::perf::measure("rules-replay", || {
            demo.with_untracked(|d| d.replay_rules(&t, from))
        }) {
            Ok(engine) => {
                replay.set(Some(Replay {
                    engine,
                    from_ms: from,
                }));
                tab.set(Tab::Overview);
            }
            Err(e) => status.set(Some(format!(
                "Cannot replay: {}",
                e.first().map(ToString::to_string).unwrap_or_default()
            ))),
        }
    };
    let problems = move || {
        match checked.get() {
        Ok((groups, rules)) => {
            view! { <p class="ok-text" data-testid="rules-ok">{format!("✓ {groups} groups, {rules} rules")}</p> }.into_any()
        }
        Err(errors) => errors
            .into_iter()
            .map(|e| view! { <p class="error-text" data-testid="rule-error">{e.to_string()}</p> })
            .collect_view()
            .into_any(),
    }
    };
    // Each rule's health and last evaluation, as they change.
    let health = move || {
        tick.track();
        demo.with(|d| {
            d.rules()
                .groups
                .iter()
                .flat_map(|g| g.rules.iter().map(move |r| (g.group.name.clone(), r)))
                .map(|(g, r)| {
                    let kind = if r.rule.is_alert() { "alert" } else { "record" };
                    let health = r.last_error.clone().unwrap_or_else(|| "ok".to_string());
                    view! {
                        <tr>
                            <td>{g}</td>
                            <td>{kind}</td>
                            <td>{r.rule.name().to_string()}</td>
                            <td class:error-text=r.last_error.is_some()>{health}</td>
                            <td>{r.last_eval_ms.map(format_clock_time).unwrap_or_default()}</td>
                        </tr>
                    }
                })
                .collect_view()
        })
    };
    view! {
        <div class="panel rules-editor">
            <p class="muted">"Prometheus rule file (YAML). Checked as you type, as promtool check rules does."</p>
            <textarea data-testid="rules-editor" spellcheck="false" rows="24" prop:value=move || text.get() on:input=move |ev| text.set(event_target_value(&ev))></textarea>
            {problems}
            <div>
                <button data-testid="rules-apply" disabled=move || checked.with(Result::is_err) on:click=apply>"Apply"</button>
                <button data-testid="rules-whatif" disabled=move || checked.with(Result::is_err) on:click=what_if>"What if? Replay the last"</button>
                <select
                    data-testid="whatif-window"
                    aria-label="How far back to replay"
                    on:change=move |ev| window_min.set(event_target_value(&ev).parse().unwrap_or(30))
                >
                    {WHAT_IF_WINDOWS
                        .into_iter()
                        .map(|(min, label)| view! { <option value=min.to_string() selected=move || window_min.get() == min>{label}</option> })
                        .collect_view()}
                </select>
                <button on:click=move |_| text.set(o11y_engine::demo::DEFAULT_RULES.to_string())>"Default rules"</button>
            </div>
            {move || status.get().map(|s| view! { <p data-testid="rules-status">{s}</p> })}
            <table class="result-table">
                <thead><tr><th>"Group"</th><th>"Type"</th><th>"Rule"</th><th>"Health"</th><th>"Last evaluation"</th></tr></thead>
                <tbody>{health}</tbody>
            </table>
        </div>
    }
}

#[component]
fn Silences(refresh: Memo<u64>) -> impl IntoView {
    let AppState { demo, drafts, .. } = expect_context::<AppState>();
    let matchers = RwSignal::new("alertname=\"HighErrorRate\"".to_string());
    // A lesson's Check takes the silence's matchers from here.
    Effect::new(move |_| drafts.silence.set(matchers.get()));
    let minutes = RwSignal::new("60".to_string());
    let comment = RwSignal::new("Investigating".to_string());
    let parsed = move || matchers.with(|m| parse_matchers(m));
    let preview = move || {
        refresh.get();
        match parsed() {
            Err(e) => view! { <p class="error-text" data-testid="silence-error">{e.to_string()}</p> }.into_any(),
            Ok(ms) if ms.is_empty() => view! { <p class="error-text" data-testid="silence-error">"A silence needs at least one matcher."</p> }.into_any(),
            Ok(ms) => {
                let n = demo.with_untracked(|d| {
                    d.rules().alerts().filter(|(_, _, a)| a.state != AlertState::Inactive && ms.iter().all(|m| m.matches(&a.labels))).count()
                });
                view! { <p class="muted" data-testid="silence-preview">{format!("Matches {n} current alert(s).")}</p> }.into_any()
            }
        }
    };
    let add = move |_| {
        let (Ok(ms), Ok(min)) = (
            matchers.with_untracked(|m| parse_matchers(m)),
            minutes.get_untracked().trim().parse::<f64>(),
        ) else {
            return;
        };
        if ms.is_empty() || !min.is_finite() || min <= 0.0 {
            return;
        }
        let note = comment.get_untracked();
        demo.update(|d| {
            let now = d.now_ms();
            d.alertmanager_mut().add_silence(
                ms,
                now,
                now + (min * 60_000.0) as i64,
                "playground",
                &note,
            );
        });
    };
    let list = move || {
        refresh.get();
        let (now, silences) =
            demo.with_untracked(|d| (d.now_ms(), d.alertmanager().silences.clone()));
        silences
            .into_iter()
            .rev()
            .map(|s| {
                let state = if s.active(now) { "active" } else if now < s.starts_at_ms { "pending" } else { "expired" };
                let text = s.matchers.iter().map(|m| format!("{}{}{:?}", m.name, op(m), m.value)).collect::<Vec<_>>().join(", ");
                let id = s.id;
                view! {
                    <li data-testid="silence" data-state=state>
                        <span class="badge">{state}</span> " " <code>{text}</code>
                        <span class="muted">{format!(" until {} · {}", format_clock_time(s.ends_at_ms), s.comment)}</span>
                        {(state == "active").then(|| view! {
                            <button class="link" data-testid="silence-expire" on:click=move |_| demo.update(|d| { let now = d.now_ms(); d.alertmanager_mut().expire_silence(id, now); })>"Expire"</button>
                        })}
                    </li>
                }
            })
            .collect_view()
    };
    view! {
        <div class="panel silences">
            <label>"Matchers " <input class="wide" data-testid="silence-matchers" prop:value=move || matchers.get() on:input=move |ev| matchers.set(event_target_value(&ev)) /></label>
            <label>" for " <input class="minutes" data-testid="silence-minutes" prop:value=move || minutes.get() on:input=move |ev| minutes.set(event_target_value(&ev)) /> " min"</label>
            <label>" comment " <input prop:value=move || comment.get() on:input=move |ev| comment.set(event_target_value(&ev)) /></label>
            <button data-testid="silence-add" on:click=add>"Silence"</button>
            {preview}
            <ul class="silence-list">{list}</ul>
        </div>
    }
}

fn op(m: &o11y_engine::model::labels::Matcher) -> &'static str {
    use o11y_engine::model::labels::MatchOp::*;
    match m.op {
        Equal => "=",
        NotEqual => "!=",
        Regex => "=~",
        NotRegex => "!~",
    }
}

#[component]
fn AlertmanagerConfig() -> impl IntoView {
    let AppState {
        demo,
        lesson,
        drafts,
        ..
    } = expect_context::<AppState>();
    let text = RwSignal::new(if lesson.with_untracked(Option::is_some) {
        drafts.alertmanager.get_untracked()
    } else {
        demo.with_untracked(|d| d.alertmanager_text().to_string())
    });
    Effect::new(move |_| drafts.alertmanager.set(text.get()));
    let status = RwSignal::new(None::<(bool, String)>);
    let apply = move |_| {
        let t = text.get_untracked();
        let mut result = Ok(());
        demo.update(|d| result = d.set_alertmanager_config(&t));
        status.set(Some(match result {
            Ok(()) => (true, "Applied.".to_string()),
            Err(e) => (false, e.to_string()),
        }));
    };
    view! {
        <div class="panel">
            <p class="muted">"Alertmanager configuration: route tree, receivers (simulated webhooks), inhibition rules."</p>
            <textarea data-testid="am-editor" spellcheck="false" rows="24" prop:value=move || text.get() on:input=move |ev| text.set(event_target_value(&ev))></textarea>
            <button data-testid="am-apply" on:click=apply>"Apply"</button>
            {move || status.get().map(|(ok, m)| view! { <p class=if ok { "ok-text" } else { "error-text" } data-testid="am-status">{m}</p> })}
        </div>
    }
}

#[component]
fn SloForm(tab: RwSignal<Tab>) -> impl IntoView {
    let AppState { demo, .. } = expect_context::<AppState>();
    let name = RwSignal::new("frontend-availability".to_string());
    let service = RwSignal::new("frontend".to_string());
    let good = RwSignal::new(
        r#"http_requests_total{job="shop", service="frontend", status!~"5.."}"#.to_string(),
    );
    let total = RwSignal::new(r#"http_requests_total{job="shop", service="frontend"}"#.to_string());
    let objective = RwSignal::new("99.5".to_string());
    let window = RwSignal::new("30d".to_string());
    let slo = Memo::new(move |_| Slo {
        name: name.get(),
        service: service.get(),
        good: good.get(),
        total: total.get(),
        objective: objective
            .get()
            .trim()
            .parse::<f64>()
            .map_or(f64::NAN, |p| p / 100.0),
        window: window.get(),
    });
    let yaml = Memo::new(move |_| slo.with(Slo::rules_yaml));
    let status = RwSignal::new(None::<String>);
    let add = move |_| {
        let Ok(generated) = yaml.get_untracked() else {
            return;
        };
        let current = demo.with_untracked(|d| d.rules_text().to_string());
        let groups = generated.strip_prefix("groups:\n").unwrap_or(&generated);
        let merged = format!("{}\n{groups}", current.trim_end());
        let mut result = Ok(());
        demo.update(|d| result = d.set_rules(&merged));
        match result {
            Ok(()) => tab.set(Tab::Rules),
            Err(e) => status.set(Some(format!(
                "Not added: {}",
                e.first().map(ToString::to_string).unwrap_or_default()
            ))),
        }
    };
    let field = |label: &'static str, signal: RwSignal<String>, id: &'static str| {
        view! { <label>{label} <input class="wide" data-testid=id prop:value=move || signal.get() on:input=move |ev| signal.set(event_target_value(&ev)) /></label> }
    };
    let budget = move || {
        let s = slo.get();
        let expr = o11y_engine::promql::parse(&s.budget_remaining_query("5m")).ok()?;
        let end = demo.with_untracked(|d| d.now_ms()).div_euclid(60_000) * 60_000;
        let start = end - 3_600_000;
        let series = demo
            .with_untracked(|d| d.range_query(&expr, start, end, 60_000).ok())?
            .0;
        Some(view! {
            <h3>"Error budget left (5-minute error ratio against the objective, last hour)"</h3>
            <Graph series start end stacked=false threshold=Some(0.0) />
        })
    };
    view! {
        <div class="panel slo-form">
            <p class="muted">"Multi-window, multi-burn-rate alerts as in Google's SRE Workbook: page at 14.4× over 1h/5m or 6× over 6h/30m, ticket at 3× over 1d/2h or 1× over 3d/6h (for a 30-day window; scaled for others)."</p>
            {field("Name ", name, "slo-name")}
            {field("Service ", service, "slo-service")}
            {field("Good events ", good, "slo-good")}
            {field("All events ", total, "slo-total")}
            {field("Objective (%) ", objective, "slo-objective")}
            {field("Window ", window, "slo-window")}
            {move || match yaml.get() {
                Ok(y) => view! {
                    <pre class="yaml" data-testid="slo-yaml">{y}</pre>
                    <button data-testid="slo-add" on:click=add>"Add to the rules"</button>
                }.into_any(),
                Err(e) => view! { <p class="error-text" data-testid="slo-error">{e.to_string()}</p> }.into_any(),
            }}
            {move || status.get().map(|s| view! { <p class="error-text">{s}</p> })}
            {budget}
        </div>
    }
}

#[component]
fn RuleTests() -> impl IntoView {
    let AppState { demo, .. } = expect_context::<AppState>();
    let drafts = expect_context::<AppState>().drafts;
    let text = RwSignal::new(o11y_engine::demo::DEFAULT_RULE_TESTS.to_string());
    // A lesson's Check takes the test file from here.
    Effect::new(move |_| drafts.rule_tests.set(text.get()));
    let result = RwSignal::new(None::<o11y_engine::alerting::rules::unittest::TestFileResult>);
    let run = move |_| {
        let rules = demo.with_untracked(|d| d.rules_text().to_string());
        let r =
            o11y_engine::alerting::rules::unittest::run_test_file(&text.get_untracked(), &|name| {
                if name == "rules.yml" {
                    Ok(rules.clone())
                } else {
                    Err(format!(
                        "{name}: only rules.yml (the rules in effect) is here"
                    ))
                }
            });
        result.set(Some(r));
    };
    view! {
        <div class="panel rule-tests">
            <p class="muted">"A test file in the format of promtool test rules; rules.yml is the rule file in effect."</p>
            <textarea data-testid="tests-editor" spellcheck="false" rows="24" prop:value=move || text.get() on:input=move |ev| text.set(event_target_value(&ev))></textarea>
            <button data-testid="tests-run" on:click=run>"Run tests"</button>
            {move || result.get().map(|r| view! {
                <pre class=if r.passed { "ok-text" } else { "error-text" } data-testid="tests-output" data-passed=r.passed.to_string()>
                    {format!("Unit Testing:  tests.yml\n{}", r.output)}
                </pre>
            })}
        </div>
    }
}
