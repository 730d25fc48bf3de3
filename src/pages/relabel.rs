//! The Relabel page (`#/relabel`): paste `relabel_configs` and a target's
//! labels and see the labels after each step (added, changed, removed, or
//! the target dropped) and the target labels Prometheus would keep; and the
//! shop's own scrape config, whose relabeling applies to the simulator.

use leptos::prelude::*;
use o11y_engine::model::labels::Labels;
use o11y_engine::relabel::{
    KUBERNETES_EXAMPLE, KUBERNETES_TARGET, parse_configs, parse_labels, steps,
};

use crate::state::AppState;

#[component]
pub fn RelabelPage() -> impl IntoView {
    let AppState { lesson, drafts, .. } = expect_context::<AppState>();
    // In a lesson the box starts from the learner's draft (Check takes it).
    let config = RwSignal::new(if lesson.with_untracked(Option::is_some) {
        drafts.relabel.get_untracked()
    } else {
        KUBERNETES_EXAMPLE.to_string()
    });
    Effect::new(move |_| drafts.relabel.set(config.get()));
    let target = RwSignal::new(KUBERNETES_TARGET.to_string());
    let result = move || {
        let configs = match config.with(|c| parse_configs(c)) {
            Ok(c) => c,
            Err(e) => return view! { <p class="error-text" data-testid="relabel-error">{format!("relabel_configs: {e}")}</p> }.into_any(),
        };
        let input = match target.with(|t| parse_labels(t)) {
            Ok(l) => l,
            Err(e) => return view! { <p class="error-text" data-testid="relabel-error">{format!("labels: {e}")}</p> }.into_any(),
        };
        let done = steps(&input, &configs);
        let mut before = input.clone();
        let rows = done
            .iter()
            .zip(&configs)
            .enumerate()
            .map(|(i, (step, c))| {
                let what = format!(
                    "{} {}{}",
                    c.action.name(),
                    if c.source_labels.is_empty() { String::new() } else { format!("[{}] ", c.source_labels.join(", ")) },
                    if c.target_label.is_empty() { format!("regex {}", c.regex_text) } else { format!("→ {}", c.target_label) }
                );
                let body = match &step.labels {
                    None => view! { <td class="dropped" data-testid="relabel-dropped">"target dropped"</td> }.into_any(),
                    Some(after) => {
                        let d = diff(&before, after);
                        before = after.clone();
                        view! { <td>{d}</td> }.into_any()
                    }
                };
                view! {
                    <tr data-testid="relabel-step">
                        <td class="num">{i + 1}</td>
                        <td class="mono">{what}</td>
                        {body}
                    </tr>
                }
            })
            .collect_view();
        let kept = done
            .last()
            .map_or(Some(input.clone()), |s| s.labels.clone());
        let final_labels = match kept {
            None => "The target is dropped: it is not scraped.".to_string(),
            Some(l) => {
                let shown: Vec<String> = o11y_engine::metrics::relabel::target_labels(&l)
                    .iter()
                    .map(|x| format!("{}={:?}", x.name, x.value))
                    .collect();
                format!("{{{}}}", shown.join(", "))
            }
        };
        view! {
            <table class="result-table relabel-steps">
                <thead><tr><th>"#"</th><th>"Step"</th><th>"Labels after it"</th></tr></thead>
                <tbody>{rows}</tbody>
            </table>
            <p>"Target labels kept (instance from __address__ if unset, labels starting with __ removed): "
                <code data-testid="relabel-final">{final_labels}</code></p>
        }
        .into_any()
    };
    view! {
        <section class="relabel" data-testid="relabel-page">
            <div class="relabel-inputs">
                <label>"relabel_configs (YAML)"
                    <textarea data-testid="relabel-config" spellcheck="false" rows="18" prop:value=move || config.get() on:input=move |ev| config.set(event_target_value(&ev))></textarea>
                </label>
                <label>"Target labels (name=\"value\" per line)"
                    <textarea data-testid="relabel-target" spellcheck="false" rows="18" prop:value=move || target.get() on:input=move |ev| target.set(event_target_value(&ev))></textarea>
                </label>
            </div>
            <button on:click=move |_| { config.set(KUBERNETES_EXAMPLE.to_string()); target.set(KUBERNETES_TARGET.to_string()); }>"Kubernetes example"</button>
            <div class="panel">{result}</div>
            <ShopScrapeConfig />
        </section>
    }
}

/// What changed from one step to the next: added, changed and removed labels.
fn diff(before: &Labels, after: &Labels) -> impl IntoView + use<> {
    let mut items = Vec::new();
    for l in after.iter() {
        match before.get(&l.name) {
            None => items.push(("added", format!("+{}={:?}", l.name, l.value))),
            Some(v) if v != l.value => {
                items.push(("changed", format!("{}={:?} (was {v:?})", l.name, l.value)))
            }
            _ => {}
        }
    }
    for l in before.iter() {
        if after.get(&l.name).is_none() {
            items.push(("removed", format!("−{}", l.name)));
        }
    }
    if items.is_empty() {
        return view! { <span class="muted">"no change"</span> }.into_any();
    }
    items
        .into_iter()
        .map(|(kind, text)| view! { <span class=format!("label-change {kind}") data-kind=kind>{text}</span> " " })
        .collect_view()
        .into_any()
}

/// The shop's scrape config: relabeling that applies to the simulator's target.
#[component]
fn ShopScrapeConfig() -> impl IntoView {
    let AppState { demo, tick, .. } = expect_context::<AppState>();
    let text = RwSignal::new(demo.with_untracked(|d| d.scrape_config_text().to_string()));
    let status = RwSignal::new(None::<(bool, String)>);
    let apply = move |_| {
        let t = text.get_untracked();
        let mut result = Ok(());
        demo.update(|d| result = d.set_scrape_config(&t));
        status.set(Some(match result {
            Ok(()) => (true, "Applied from the next scrape.".to_string()),
            Err(e) => (false, e.to_string()),
        }));
    };
    // As the next scrape relabels it.
    let target = move || {
        tick.track();
        demo.with(|d| d.shop_target_labels()).map_or_else(
            || "dropped by relabel_configs: not scraped".to_string(),
            |l| {
                format!(
                    "{{{}}}",
                    l.iter()
                        .map(|(k, v)| format!("{k}={v:?}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            },
        )
    };
    view! {
        <div class="panel">
            <h2>"The shop's scrape config"</h2>
            <textarea data-testid="scrape-config" spellcheck="false" rows="14" prop:value=move || text.get() on:input=move |ev| text.set(event_target_value(&ev))></textarea>
            <button data-testid="scrape-apply" on:click=apply>"Apply"</button>
            {move || status.get().map(|(ok, m)| view! { <p class=if ok { "ok-text" } else { "error-text" } data-testid="scrape-status">{m}</p> })}
            <p>"Shop target: " <code data-testid="shop-target">{target}</code></p>
        </div>
    }
}
