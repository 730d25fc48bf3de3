//! The Metrics page: an explorer of stored metric names, the series of the
//! selected one with their latest values, a paste box (and file drop) for
//! `/metrics` text, and a form to define a metric the simulator drives.

use leptos::prelude::*;
use leptos::task::spawn_local;
use o11y_engine::demo::IngestError;
use o11y_engine::metrics::expfmt::Format;
use o11y_engine::model::number::format_float;
use o11y_engine::sim::metric_form::MetricForm;
use wasm_bindgen::JsCast;

use crate::charts::format_clock_time;
use crate::state::AppState;

#[component]
pub fn MetricsPage() -> impl IntoView {
    let selected = RwSignal::new(None::<String>);
    view! {
        <div class="metrics-page">
            <Explorer selected />
            <SeriesTable selected />
            <PasteBox />
            <DefineMetric />
        </div>
    }
}

/// Metric names with type, help and series count; a click selects one.
#[component]
fn Explorer(selected: RwSignal<Option<String>>) -> impl IntoView {
    let AppState { demo, tick, .. } = expect_context::<AppState>();
    let filter = RwSignal::new(String::new());
    // New metrics and series come with each scrape.
    let catalog = Memo::new(move |_| {
        tick.track();
        demo.with(|d| d.catalog())
    });
    let shown = move || {
        let needle = filter.get().to_lowercase();
        catalog
            .get()
            .into_iter()
            .filter(|m| needle.is_empty() || m.name.to_lowercase().contains(&needle))
            .collect::<Vec<_>>()
    };
    view! {
        <section class="panel explorer" aria-labelledby="explorer-title">
            <h2 id="explorer-title">"Metrics explorer"</h2>
            <input
                type="search"
                placeholder="Filter metric names"
                aria-label="Filter metric names"
                data-testid="explorer-filter"
                prop:value=move || filter.get()
                on:input=move |ev| filter.set(event_target_value(&ev))
            />
            <div class="table-scroll">
                <table data-testid="explorer">
                    <thead>
                        <tr>
                            <th>"Metric"</th>
                            <th>"Type"</th>
                            <th class="num">"Series"</th>
                            <th>"Help"</th>
                        </tr>
                    </thead>
                    <tbody>
                        <For
                            each=shown
                            key=|m| (m.name.clone(), m.series, m.kind.name(Format::OpenMetrics))
                            children=move |m| {
                                let name = m.name.clone();
                                let is_selected = {
                                    let name = name.clone();
                                    move || selected.get().as_deref() == Some(name.as_str())
                                };
                                view! {
                                    <tr
                                        data-testid="metric-row"
                                        data-metric=m.name.clone()
                                        class:selected=is_selected
                                        tabindex="0"
                                        on:click=move |_| selected.set(Some(name.clone()))
                                    >
                                        <td class="mono">{m.name.clone()}</td>
                                        <td>
                                            <span class=format!("badge badge-{}", m.kind.name(Format::OpenMetrics))>
                                                {m.kind.name(Format::OpenMetrics)}
                                            </span>
                                        </td>
                                        <td class="num">{m.series}</td>
                                        <td class="muted">{m.help.clone()}</td>
                                    </tr>
                                }
                            }
                        />
                    </tbody>
                </table>
            </div>
        </section>
    }
}

/// The selected metric's series and their newest values.
#[component]
fn SeriesTable(selected: RwSignal<Option<String>>) -> impl IntoView {
    let AppState { demo, tick, .. } = expect_context::<AppState>();
    let series = Memo::new(move |_| {
        let metric = selected.get()?;
        tick.track();
        Some(demo.with(|d| d.series_of(&metric)))
    });
    view! {
        <section class="panel series" aria-labelledby="series-title">
            <h2 id="series-title">
                {move || selected.get().map_or_else(|| "Series".to_string(), |m| format!("Series of {m}"))}
            </h2>
            {move || match series.get() {
                None => view! { <p class="muted">"Select a metric to see its series."</p> }.into_any(),
                Some(rows) if rows.is_empty() => {
                    view! { <p class="muted">"No series yet: it appears with its first scrape."</p> }.into_any()
                }
                Some(rows) => {
                    view! {
                        <div class="table-scroll">
                            <table data-testid="series-table">
                                <thead>
                                    <tr>
                                        <th>"Series"</th>
                                        <th class="num">"Value"</th>
                                        <th>"At"</th>
                                    </tr>
                                </thead>
                                <tbody>
                                    {rows
                                        .into_iter()
                                        .map(|(labels, latest)| {
                                            view! {
                                                <tr data-testid="series-row">
                                                    <td class="mono">{labels.to_string()}</td>
                                                    <td class="num mono">
                                                        {latest.map(|s| format_float(s.value)).unwrap_or_default()}
                                                    </td>
                                                    <td class="muted">
                                                        {latest.map(|s| format_clock_time(s.ts_ms)).unwrap_or_default()}
                                                    </td>
                                                </tr>
                                            }
                                        })
                                        .collect_view()}
                                </tbody>
                            </table>
                        </div>
                    }
                        .into_any()
                }
            }}
        </section>
    }
}

/// What the last paste did.
#[derive(Clone, Debug, PartialEq)]
enum PasteOutcome {
    Stored(String),
    /// `(line, message)` per problem; line 0 for problems not on a line.
    Failed(Vec<(usize, String)>),
}

/// Reads a dropped or chosen file into a signal.
fn read_file_into(
    file: web_sys::File,
    target: RwSignal<String>,
    outcome: RwSignal<Option<PasteOutcome>>,
) {
    spawn_local(async move {
        match wasm_bindgen_futures::JsFuture::from(file.text()).await {
            Ok(text) => target.set(text.as_string().unwrap_or_default()),
            Err(e) => outcome.set(Some(PasteOutcome::Failed(vec![(
                0,
                format!(
                    "could not read {}: {}",
                    file.name(),
                    crate::files::refusal_text(&e)
                ),
            )]))),
        }
    });
}

/// A paste box for `/metrics` text, stored as a scrape of a job and instance.
#[component]
fn PasteBox() -> impl IntoView {
    let demo = expect_context::<AppState>().demo;
    let text = RwSignal::new(String::new());
    let job = RwSignal::new("pasted".to_string());
    let instance = RwSignal::new("paste:9100".to_string());
    let outcome = RwSignal::new(None::<PasteOutcome>);

    let ingest = move |_| {
        let mut result = None;
        demo.update(|d| {
            result = Some((
                d.ingest_exposition(
                    &text.get_untracked(),
                    &job.get_untracked(),
                    &instance.get_untracked(),
                ),
                d.now_ms(),
            ));
        });
        let Some((result, now_ms)) = result else {
            return;
        };
        outcome.set(Some(match result {
            Ok(report) => {
                let mut message = format!(
                    "Stored {} samples ({} new series) for job=\"{}\", instance=\"{}\" at {}.",
                    report.samples_stored,
                    report.series_added,
                    job.get_untracked().trim(),
                    instance.get_untracked().trim(),
                    format_clock_time(now_ms)
                );
                if !report.refusals.is_empty() {
                    let first = report
                        .refused
                        .first()
                        .map(ToString::to_string)
                        .unwrap_or_default();
                    message.push_str(&format!(
                        " The store refused {} writes ({}), first: {first}. Counted in o11y_tsdb_refused_samples_total.",
                        report.refusals.total(),
                        report.refusals
                    ));
                }
                PasteOutcome::Stored(message)
            }
            Err(IngestError::Parse(errors)) => PasteOutcome::Failed(
                errors
                    .iter()
                    .map(|e| {
                        (
                            e.line,
                            format!("Line {}, column {}: {}", e.line, e.column, e.message),
                        )
                    })
                    .collect(),
            ),
            Err(e) => PasteOutcome::Failed(vec![(0, e.to_string())]),
        }));
    };

    let on_drop = move |ev: web_sys::DragEvent| {
        ev.prevent_default();
        let file = ev
            .data_transfer()
            .and_then(|d| d.files())
            .and_then(|files| files.get(0));
        if let Some(file) = file {
            read_file_into(file, text, outcome);
        }
    };
    let on_choose = move |ev: web_sys::Event| {
        let input = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok());
        if let Some(file) = input.and_then(|i| i.files()).and_then(|files| files.get(0)) {
            read_file_into(file, text, outcome);
        }
    };

    view! {
        <section class="panel paste" aria-labelledby="paste-title">
            <h2 id="paste-title">"Paste /metrics"</h2>
            <p class="muted">
                "Prometheus text format or OpenMetrics. Stored as a scrape at the virtual time; paste again for the next scrape."
            </p>
            <textarea
                data-testid="metrics-paste"
                aria-label="Metrics text"
                rows="10"
                spellcheck="false"
                placeholder="# TYPE temperature_celsius gauge\ntemperature_celsius{room=\"kitchen\"} 21.5\n\n…or drop a file here"
                prop:value=move || text.get()
                on:input=move |ev| text.set(event_target_value(&ev))
                on:dragover=|ev: web_sys::DragEvent| ev.prevent_default()
                on:drop=on_drop
            ></textarea>
            <div class="form-row">
                <label>
                    "job " <input data-testid="paste-job" prop:value=move || job.get() on:input=move |ev| job.set(event_target_value(&ev)) />
                </label>
                <label>
                    "instance "
                    <input
                        data-testid="paste-instance"
                        prop:value=move || instance.get()
                        on:input=move |ev| instance.set(event_target_value(&ev))
                    />
                </label>
                <label class="file">
                    "or a file "
                    <input type="file" data-testid="paste-file" accept=".prom,.txt,.om,text/plain" on:change=on_choose />
                </label>
                <button class="primary" data-testid="paste-ingest" on:click=ingest>"Ingest"</button>
            </div>
            {move || {
                outcome
                    .get()
                    .map(|o| match o {
                        PasteOutcome::Stored(message) => {
                            view! { <p class="ok" role="status" data-testid="paste-ok">{message}</p> }.into_any()
                        }
                        PasteOutcome::Failed(errors) => {
                            let lines: Vec<String> = text.get_untracked().lines().map(str::to_string).collect();
                            view! {
                                <ol class="paste-errors" role="alert" data-testid="paste-errors">
                                    {errors
                                        .into_iter()
                                        .map(|(line, message)| {
                                            let source = line.checked_sub(1).and_then(|i| lines.get(i)).cloned();
                                            view! {
                                                <li data-line=line>
                                                    <span>{message}</span>
                                                    {source.map(|s| view! { <code class="source-line">{s}</code> })}
                                                </li>
                                            }
                                        })
                                        .collect_view()}
                                </ol>
                            }
                                .into_any()
                        }
                    })
            }}
        </section>
    }
}

/// A form to define a metric; the simulator can drive it.
#[component]
fn DefineMetric() -> impl IntoView {
    let demo = expect_context::<AppState>().demo;
    let form = RwSignal::new(MetricForm::default());
    let outcome = RwSignal::new(None::<Result<String, String>>);
    let submit = move |ev: web_sys::SubmitEvent| {
        ev.prevent_default();
        let result = form
            .with_untracked(MetricForm::to_definition)
            .map_err(|e| e.to_string())
            .and_then(|definition| {
                let mut defined = Ok(());
                demo.update(|d| defined = d.define_metric(&definition));
                defined
                    .map(|()| format!("Defined {}.", definition.name))
                    .map_err(|e| e.to_string())
            });
        outcome.set(Some(result));
    };
    let field = move |label: &'static str,
                      testid: &'static str,
                      get: fn(&MetricForm) -> String,
                      set: fn(&mut MetricForm, String)| {
        view! {
            <label>
                {label}
                <input
                    data-testid=testid
                    prop:value=move || form.with(get)
                    on:input=move |ev| form.update(|f| set(f, event_target_value(&ev)))
                />
            </label>
        }
    };
    let kind = move || form.with(|f| f.kind.clone());
    view! {
        <section class="panel define" aria-labelledby="define-title">
            <h2 id="define-title">"Define a metric"</h2>
            <form class="define-form" on:submit=submit>
                {field("Name", "define-name", |f| f.name.clone(), |f, v| f.name = v)}
                <label>
                    "Type"
                    <select
                        data-testid="define-kind"
                        prop:value=kind
                        on:change=move |ev| form.update(|f| f.kind = event_target_value(&ev))
                    >
                        <option value="counter">"counter"</option>
                        <option value="gauge">"gauge"</option>
                        <option value="histogram">"histogram"</option>
                        <option value="summary">"summary"</option>
                    </select>
                </label>
                {field("Help", "define-help", |f| f.help.clone(), |f, v| f.help = v)}
                {field("Labels (name=value, …)", "define-labels", |f| f.labels.clone(), |f, v| f.labels = v)}
                <Show when=move || kind() == "histogram">
                    {field("Buckets (list, default, linear(a,w,n), exponential(a,f,n))", "define-buckets", |f| f.buckets.clone(), |f, v| f.buckets = v)}
                </Show>
                <Show when=move || kind() == "summary">
                    {field("Objectives (quantile:error, …)", "define-objectives", |f| f.objectives.clone(), |f, v| f.objectives = v)}
                </Show>
                {field("Typical value", "define-typical", |f| f.typical_value.clone(), |f, v| f.typical_value = v)}
                <label class="check">
                    <input
                        type="checkbox"
                        data-testid="define-driven"
                        prop:checked=move || form.with(|f| f.driven)
                        on:change=move |ev| {
                            let checked = ev
                                .target()
                                .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
                                .is_some_and(|i| i.checked());
                            form.update(|f| f.driven = checked);
                        }
                    />
                    "The simulator drives it"
                </label>
                <button class="primary" type="submit" data-testid="define-submit">"Define"</button>
            </form>
            {move || {
                outcome
                    .get()
                    .map(|o| match o {
                        Ok(message) => view! { <p class="ok" role="status" data-testid="define-ok">{message}</p> }.into_any(),
                        Err(message) => view! { <p class="error-text" role="alert" data-testid="define-error">{message}</p> }.into_any(),
                    })
            }}
        </section>
    }
}
