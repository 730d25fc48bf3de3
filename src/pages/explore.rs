//! The Explore page: a PromQL editor (highlighting, the error underlined
//! at its span, autocomplete), a graph or table of the result, and the
//! explain tree. The query, range, step and view live in the URL fragment
//! (`#/explore?q=…&range=1h&step=auto&view=graph&stacked=0`), so a link
//! reproduces the view.

use leptos::prelude::*;
use o11y_engine::model::number::format_float;
use o11y_engine::promql::assist::{Completions, complete, explain, highlight};
use o11y_engine::promql::eval::{RangeSeries, Value};
use o11y_engine::promql::{ParseError, parse};

use crate::charts::{label_text, short_value};
use crate::components::{
    DataSourceField, ExemplarDot, Graph, QueryEditor, RangePicker, Resolution, Tokens,
};
use crate::fragment::{self, ExploreUrl, ExploreView};
use crate::state::AppState;

/// How often a graph that follows the clock is queried again, in real milliseconds.
const FOLLOW_REAL_MS: u32 = 1000;

/// How many samples a query read; or, from a real Prometheus that gives
/// no stats, only how many it returned (not the same figure).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum SampleCount {
    Read(u64),
    Returned(u64),
}

/// PromQL's tokens with their CSS classes.
fn promql_tokens(text: &str) -> Tokens {
    highlight(text)
        .into_iter()
        .map(|(r, c)| (r, c.css()))
        .collect()
}

#[component]
pub fn ExplorePage() -> impl IntoView {
    let AppState { demo, tick, .. } = expect_context::<AppState>();
    let initial = ExploreUrl::from_fragment(&fragment::current());
    let query = RwSignal::new(initial.query.clone());
    let range_ms = RwSignal::new(initial.range_ms);
    let step_ms = RwSignal::new(initial.step_ms);
    let view_kind = RwSignal::new(initial.view);
    let stacked = RwSignal::new(initial.stacked);
    let show_exemplars = RwSignal::new(false);
    let follow = RwSignal::new(true);
    // The end of the graphed range when not following the clock.
    let frozen_end = RwSignal::new(demo.with_untracked(|d| d.now_ms()));
    // A sub-expression picked in the explain tree, graphed instead of the query.
    let graphed = RwSignal::new(None::<String>);
    let completions = RwSignal::new(Completions::default());
    let selected = RwSignal::new(0usize);
    let refresh = RwSignal::new(0u64);
    // A lesson's Check takes the query from here.
    let drafts = expect_context::<AppState>().drafts;
    Effect::new(move |_| drafts.promql.set(query.get()));

    // The URL follows the state (replaceState: no history entry per keystroke).
    Effect::new(move |_| {
        let state = ExploreUrl {
            query: query.get(),
            range_ms: range_ms.get(),
            step_ms: step_ms.get(),
            view: view_kind.get(),
            stacked: stacked.get(),
        };
        fragment::replace(&state.to_fragment());
    });
    // Follow the virtual clock: re-run the query once a second, counted
    // only while following (a frozen graph is not asked again).
    let every_second = tick.every(FOLLOW_REAL_MS);
    Effect::watch(
        move || every_second.get(),
        move |_, _, _| {
            if follow.get_untracked() {
                refresh.update(|n| *n += 1);
            }
        },
        false,
    );

    let parsed = Signal::derive(move || parse(&query.get()));
    let end_ms = move || {
        if follow.get() {
            refresh.get();
            demo.with_untracked(|d| d.now_ms())
        } else {
            frozen_end.get()
        }
    };
    let effective_step = move || {
        step_ms
            .get()
            .unwrap_or_else(|| Resolution::GRAPH.step_ms(range_ms.get()))
    };

    // A real Prometheus to query instead of the simulator (live mode).
    let remote = RwSignal::new(None::<String>);
    // What autocomplete knows of it.
    let catalog = crate::prometheus_http::use_catalog(remote);
    type Answer = Result<(Vec<RangeSeries>, SampleCount, i64, i64), String>;
    let remote_result = RwSignal::new(None::<Answer>);
    Effect::new(move |_| {
        let Some(base) = remote.get() else { return };
        remote_result.set(None);
        let text = graphed.get().unwrap_or_else(|| query.get());
        refresh.get();
        let step = effective_step();
        // A real Prometheus lives in real time.
        let now = crate::timer::real_now_ms() as i64;
        let (start, end) = if view_kind.get() == ExploreView::Table {
            (now, now)
        } else {
            let end = now.div_euclid(step) * step;
            (end - range_ms.get(), end)
        };
        leptos::task::spawn_local(async move {
            let answer =
                crate::prometheus_http::query_range_with_stats(&base, &text, start, end, step)
                    .await;
            remote_result.set(Some(answer.map(|(series, stats)| {
                // What Prometheus read when it says so (`stats=all`), else
                // only what came back.
                let count = match stats {
                    Some(s) => SampleCount::Read(s.total_queryable_samples),
                    None => {
                        SampleCount::Returned(series.iter().map(|x| x.samples.len() as u64).sum())
                    }
                };
                (series, count, start, end)
            })));
        });
    });

    // The graphed result: series, or the error, with how long it took.
    let result = Memo::new(move |_| {
        if remote.get().is_some() {
            return remote_result
                .get()
                .unwrap_or_else(|| Err("Querying Prometheus…".to_string()));
        }
        let text = graphed.get().unwrap_or_else(|| query.get());
        let expr = match parse(&text) {
            Ok(e) => e,
            Err(e) => return Err(e.to_string()),
        };
        let end = end_ms();
        let step = effective_step();
        let (start, end) = if view_kind.get() == ExploreView::Table {
            (end, end)
        } else {
            let end = end.div_euclid(step) * step;
            (end - range_ms.get(), end)
        };
        let out = crate::perf::measure("promql-query", || {
            demo.with_untracked(|d| d.range_query(&expr, start, end, step))
        })
        .map_err(|e| e.message);
        out.map(|(series, stats)| (series, SampleCount::Read(stats.samples_touched), start, end))
    });

    // Where the user is typing, while suggestions may be shown.
    let typing_at = RwSignal::new(None::<usize>);
    // Suggestions from the simulator's store, or in live mode from the
    // catalog, which asks Prometheus for what the cursor needs.
    Effect::new(move |_| {
        let Some(at) = typing_at.get() else { return };
        let text = query.get_untracked();
        let completer = match catalog.get() {
            None => demo.with_untracked(|d| d.completer()),
            Some(c) => {
                if let (Some(lookup), Some(base)) = (c.wanted(&text, at), remote.get_untracked()) {
                    crate::prometheus_http::look_up(base, remote, catalog, lookup);
                }
                c.completer()
            }
        };
        completions.set(complete(&text, at, &completer));
    });
    let on_input = move |text: String, at: usize| {
        query.set(text);
        graphed.set(None);
        selected.set(0);
        typing_at.set(Some(at));
        // The same cursor again still asks for suggestions.
        typing_at.notify();
    };
    let on_close = move || typing_at.set(None);
    let parse_error = Signal::derive(move || parsed.get().err().map(|e| (e.span, e.message)));

    view! {
        <section class="explore" data-testid="explore-page">
            <QueryEditor
                query
                completions
                selected
                error=parse_error
                highlight=promql_tokens
                on_input
                on_close
                input_testid="query-input"
                label="PromQL query"
                error_testid="query-error"
                highlight_testid=Some("query-highlight")
            />
            <div class="explore-toolbar">
                <div class="segmented" role="group" aria-label="View">
                    {[
                        (ExploreView::Graph, "Graph", "view-graph"),
                        (ExploreView::Table, "Table", "view-table"),
                    ]
                        .into_iter()
                        .map(|(kind, label, testid)| {
                            view! {
                                <button
                                    class:active=move || view_kind.get() == kind
                                    data-testid=testid
                                    on:click=move |_| view_kind.set(kind)
                                >
                                    {label}
                                </button>
                            }
                        })
                        .collect_view()}
                </div>
                <RangePicker
                    ranges=ExploreUrl::RANGES.to_vec()
                    range=range_ms
                    testid_prefix=Some("range-")
                />
                <label>
                    "Step "
                    <select
                        data-testid="step-select"
                        on:change=move |ev| {
                            let v = event_target_value(&ev);
                            step_ms.set(ExploreUrl::STEPS.iter().find(|s| s.1 == v).map(|s| s.0));
                        }
                    >
                        <option value="auto" selected=move || step_ms.get().is_none()>
                            "auto"
                        </option>
                        {ExploreUrl::STEPS
                            .into_iter()
                            .map(|(ms, l)| {
                                view! {
                                    <option value=l selected=move || step_ms.get() == Some(ms)>
                                        {l}
                                    </option>
                                }
                            })
                            .collect_view()}
                    </select>
                </label>
                <label>
                    <input
                        type="checkbox"
                        data-testid="stacked"
                        prop:checked=move || stacked.get()
                        on:change=move |ev| stacked.set(event_target_checked(&ev))
                    />
                    " Stacked"
                </label>
                <label title="Exemplars of the query's series: requests recorded with their trace id">
                    <input
                        type="checkbox"
                        data-testid="show-exemplars"
                        prop:checked=move || show_exemplars.get()
                        on:change=move |ev| show_exemplars.set(event_target_checked(&ev))
                    />
                    " Exemplars"
                </label>
                <label>
                    <input
                        type="checkbox"
                        data-testid="follow"
                        prop:checked=move || follow.get()
                        on:change=move |ev| {
                            let on = event_target_checked(&ev);
                            if !on {
                                frozen_end.set(demo.with_untracked(|d| d.now_ms()));
                            }
                            follow.set(on);
                        }
                    />
                    " Follow clock"
                </label>
                <DataSourceField remote testid="datasource-url" />
            </div>
            {move || {
                graphed
                    .get()
                    .map(|node| {
                        view! {
                            <p class="graphing" data-testid="graphing-node">
                                "Graphing sub-expression " <code>{node}</code> " "
                                <button on:click=move |_| graphed.set(None)>"Whole query"</button>
                            </p>
                        }
                    })
            }}
            {move || match result.get() {
                Err(_) if graphed.get().is_none() && parsed.get().is_err() => ().into_any(),
                Err(message) => {
                    view! {
                        <p class="query-error" data-testid="eval-error">
                            {message}
                        </p>
                    }
                        .into_any()
                }
                Ok((series, samples, start, end)) => {
                    let samples = match samples {
                        SampleCount::Read(n) => format!("{n} samples read"),
                        SampleCount::Returned(n) => format!("{n} samples returned"),
                    };
                    let info = format!(
                        "{} series · {samples} · step {}",
                        series.len(),
                        o11y_engine::model::duration::format_duration(effective_step()),
                    );
                    let body = if view_kind.get() == ExploreView::Table {
                        view! { <ResultTable series /> }.into_any()
                    } else {
                        let exemplars = if show_exemplars.get() {
                            let text = graphed.get().unwrap_or_else(|| query.get());
                            demo.with_untracked(|d| ExemplarDot::of(d, &text, start, end))
                        } else {
                            Vec::new()
                        };
                        view! { <Graph series start end stacked=stacked.get() exemplars /> }.into_any()
                    };
                    view! {
                        <p class="query-info" data-testid="query-info">{info}</p>
                        {body}
                    }
                        .into_any()
                }
            }}
            <ExplainTree parsed graphed />
        </section>
    }
}

#[component]
fn ResultTable(series: Vec<RangeSeries>) -> impl IntoView {
    let rows = series
        .into_iter()
        .map(|s| {
            let value = match (s.samples.last(), s.histograms.last()) {
                (Some(v), _) => format_float(v.value),
                (None, Some(h)) => h.histogram.to_string(),
                (None, None) => String::new(),
            };
            view! {
                <tr data-testid="result-row">
                    <td class="labels">{label_text(&s.labels)}</td>
                    <td class="value">{value}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <table class="result-table" data-testid="result-table">
            <thead>
                <tr>
                    <th>"Series"</th>
                    <th>"Value"</th>
                </tr>
            </thead>
            <tbody>{rows}</tbody>
        </table>
    }
}

/// The query's sub-expressions, each with its result at the end of the
/// range; a click graphs that node.
#[component]
fn ExplainTree(
    parsed: Signal<Result<o11y_engine::promql::ast::Expr, ParseError>>,
    graphed: RwSignal<Option<String>>,
) -> impl IntoView {
    let AppState { demo, .. } = expect_context::<AppState>();
    move || {
        let Ok(expr) = parsed.get() else {
            return None;
        };
        let now = demo.with_untracked(|d| d.now_ms());
        let nodes = explain(&expr)
            .into_iter()
            .map(|node| {
                let summary = match parse(&node.text).map_err(|e| e.to_string()).and_then(|e| {
                    demo.with_untracked(|d| d.instant_query(&e, now))
                        .map_err(|e| e.message)
                }) {
                    Ok(Value::Vector(v)) => (
                        format!("{} series", v.len()),
                        v.iter()
                            .take(3)
                            .map(|s| format!("{} {}", label_text(&s.labels), short_value(s.value)))
                            .collect(),
                    ),
                    Ok(Value::Matrix(m)) => (
                        format!(
                            "{} series, {} samples",
                            m.len(),
                            m.iter()
                                .map(|s| s.samples.len() + s.histograms.len())
                                .sum::<usize>()
                        ),
                        m.iter()
                            .take(3)
                            .map(|s| {
                                format!("{} ({} samples)", label_text(&s.labels), s.samples.len())
                            })
                            .collect(),
                    ),
                    Ok(Value::Scalar(v)) => (format!("scalar {}", short_value(v)), Vec::new()),
                    Ok(Value::String(v)) => (format!("string {v:?}"), Vec::new()),
                    Err(e) => (format!("error: {e}"), Vec::new()),
                };
                let text = node.text.clone();
                let graphable = node.graphable;
                view! {
                    <li
                        class="explain-node"
                        class:clickable=graphable
                        style=format!("margin-left:{}rem", node.depth as f64 * 1.5)
                        data-testid="explain-node"
                        on:click=move |_| {
                            if graphable {
                                graphed.set(Some(text.clone()));
                            }
                        }
                    >
                        <code class="node-text">{node.text}</code>
                        <span class="node-count" data-testid="explain-count">{summary.0}</span>
                        <p class="node-doc">{node.description}</p>
                        <ul class="node-sample">
                            {summary.1.into_iter().map(|s| view! { <li>{s}</li> }).collect_view()}
                        </ul>
                    </li>
                }
            })
            .collect_view();
        Some(view! {
            <section class="panel explain" data-testid="explain-tree">
                <h2>"Explain"</h2>
                <ul>{nodes}</ul>
            </section>
        })
    }
}
