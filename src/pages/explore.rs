//! The Explore page: a PromQL editor (highlighting, the error underlined
//! at its span, autocomplete), a graph or table of the result, and the
//! explain tree. The query, range, step and view live in the URL fragment
//! (`#/explore?q=…&range=1h&step=auto&view=graph&stacked=0`), so a link
//! reproduces the view.

use leptos::prelude::*;
use o11y_engine::explore::{Completions, complete, explain, highlight};
use o11y_engine::number::format_float;
use o11y_engine::promql::eval::{RangeSeries, Value};
use o11y_engine::promql::{ParseError, parse};

use crate::app::AppState;
use crate::charts::{format_axis_value, format_clock_time};
use crate::timer::use_interval;

/// Ranges offered, in milliseconds, with their labels.
pub(crate) const RANGES: [(i64, &str); 5] = [
    (300_000, "5m"),
    (900_000, "15m"),
    (3_600_000, "1h"),
    (6 * 3_600_000, "6h"),
    (24 * 3_600_000, "24h"),
];
/// Steps offered besides "auto".
const STEPS: [(i64, &str); 4] = [
    (15_000, "15s"),
    (60_000, "1m"),
    (300_000, "5m"),
    (900_000, "15m"),
];
/// The query a fresh Explore page shows.
const DEFAULT_QUERY: &str = "sum by (status) (rate(http_requests_total[1m]))";
/// Series drawn at most; the legend says how many were left out.
const MAX_DRAWN: usize = 40;
const PALETTE: [&str; 8] = [
    "#7eb26d", "#eab839", "#6ed0e0", "#ef843c", "#e24d42", "#1f78c1", "#ba43a9", "#705da0",
];
pub(crate) const WIDTH: f64 = 900.0;
const HEIGHT: f64 = 300.0;
pub(crate) const LEFT: f64 = 56.0;
const BOTTOM: f64 = 24.0;
const TOP: f64 = 10.0;
pub(crate) const RIGHT: f64 = 12.0;

/// How many samples a query read; or, from a real Prometheus that gives
/// no stats, only how many it returned (not the same figure).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum SampleCount {
    Read(u64),
    Returned(u64),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum View {
    Graph,
    Table,
}

/// What the URL fragment holds.
#[derive(Clone, Debug, PartialEq)]
struct UrlState {
    query: String,
    range_ms: i64,
    step_ms: Option<i64>,
    view: View,
    stacked: bool,
}

impl Default for UrlState {
    fn default() -> Self {
        UrlState {
            query: DEFAULT_QUERY.to_string(),
            range_ms: 900_000,
            step_ms: None,
            view: View::Graph,
            stacked: false,
        }
    }
}

pub(crate) fn decode(s: &str) -> String {
    js_sys::decode_uri_component(&s.replace('+', " "))
        .ok()
        .and_then(|v| v.as_string())
        .unwrap_or_default()
}

pub(crate) fn encode(s: &str) -> String {
    js_sys::encode_uri_component(s)
        .as_string()
        .unwrap_or_default()
}

impl UrlState {
    /// Reads `#/explore?…`; anything missing or unreadable keeps its default.
    fn from_fragment(fragment: &str) -> UrlState {
        let mut state = UrlState::default();
        let Some((_, query)) = fragment.split_once('?') else {
            return state;
        };
        for pair in query.split('&') {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            let value = decode(value);
            match key {
                "q" => state.query = value,
                "range" => {
                    if let Some((ms, _)) = RANGES.iter().find(|(_, l)| *l == value) {
                        state.range_ms = *ms;
                    }
                }
                "step" => state.step_ms = STEPS.iter().find(|(_, l)| *l == value).map(|s| s.0),
                "view" => {
                    state.view = if value == "table" {
                        View::Table
                    } else {
                        View::Graph
                    }
                }
                "stacked" => state.stacked = value == "1",
                _ => {}
            }
        }
        state
    }

    fn to_fragment(&self) -> String {
        let range = RANGES
            .iter()
            .find(|(ms, _)| *ms == self.range_ms)
            .map_or("15m", |r| r.1);
        let step = self
            .step_ms
            .and_then(|s| STEPS.iter().find(|(ms, _)| *ms == s))
            .map_or("auto", |s| s.1);
        format!(
            "#/explore?q={}&range={range}&step={step}&view={}&stacked={}",
            encode(&self.query),
            if self.view == View::Table {
                "table"
            } else {
                "graph"
            },
            u8::from(self.stacked)
        )
    }
}

/// The step "auto" picks: about 250 points, at least 15 s, whole seconds.
pub(crate) fn auto_step(range_ms: i64) -> i64 {
    (range_ms / 250).max(15_000) / 1000 * 1000
}

/// `line:column` (1-based) of a byte offset.
pub(crate) fn line_col(source: &str, offset: usize) -> (usize, usize) {
    let before = &source[..offset.min(source.len())];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

fn series_name(s: &RangeSeries) -> String {
    label_text(&s.labels)
}

pub(crate) fn label_text(labels: &o11y_engine::labels::Labels) -> String {
    let text = labels.to_string();
    if text.is_empty() {
        "{}".to_string()
    } else {
        text
    }
}

/// A value for reading: at most 4 decimals, `1.2k` style when large.
pub(crate) fn short_value(v: f64) -> String {
    if !v.is_finite() {
        return format_float(v);
    }
    if v.abs() >= 1000.0 {
        return format_axis_value(v);
    }
    let text = format!("{v:.4}");
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

#[component]
pub fn ExplorePage() -> impl IntoView {
    let AppState { demo, .. } = expect_context::<AppState>();
    let initial = UrlState::from_fragment(&window().location().hash().unwrap_or_default());
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

    // The URL follows the state (replaceState: no history entry per keystroke).
    Effect::new(move |_| {
        let state = UrlState {
            query: query.get(),
            range_ms: range_ms.get(),
            step_ms: step_ms.get(),
            view: view_kind.get(),
            stacked: stacked.get(),
        };
        if let Ok(history) = window().history() {
            let _ = history.replace_state_with_url(
                &wasm_bindgen::JsValue::NULL,
                "",
                Some(&state.to_fragment()),
            );
        }
    });
    // Follow the virtual clock: re-run the query once a second.
    use_interval(Signal::stored(1000), move || {
        if follow.get_untracked() {
            refresh.update(|n| *n += 1);
        }
    });

    let parsed = Signal::derive(move || parse(&query.get()));
    let end_ms = move || {
        if follow.get() {
            refresh.get();
            demo.with_untracked(|d| d.now_ms())
        } else {
            frozen_end.get()
        }
    };
    let effective_step = move || step_ms.get().unwrap_or_else(|| auto_step(range_ms.get()));

    // A real Prometheus to query instead of the simulator (live mode).
    let remote = RwSignal::new(None::<String>);
    // What autocomplete knows of it.
    let catalog = crate::datasource::use_catalog(remote);
    type Answer = Result<(Vec<RangeSeries>, SampleCount, i64, i64), String>;
    let remote_result = RwSignal::new(None::<Answer>);
    Effect::new(move |_| {
        let Some(base) = remote.get() else { return };
        remote_result.set(None);
        let text = graphed.get().unwrap_or_else(|| query.get());
        refresh.get();
        let step = effective_step();
        // A real Prometheus lives in real time.
        let now = crate::app::real_now_ms() as i64;
        let (start, end) = if view_kind.get() == View::Table {
            (now, now)
        } else {
            let end = now.div_euclid(step) * step;
            (end - range_ms.get(), end)
        };
        leptos::task::spawn_local(async move {
            let answer =
                crate::datasource::query_range_with_stats(&base, &text, start, end, step).await;
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
        let (start, end) = if view_kind.get() == View::Table {
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
                    crate::datasource::look_up(base, remote, catalog, lookup);
                }
                c.completer()
            }
        };
        completions.set(complete(&text, at, &completer));
    });
    let on_input = move |ev: leptos::ev::Event| {
        let text = event_target_value(&ev);
        let at = textarea_cursor(&ev).unwrap_or(text.len());
        query.set(text);
        graphed.set(None);
        selected.set(0);
        typing_at.set(Some(at));
        // The same cursor again still asks for suggestions.
        typing_at.notify();
    };
    let accept = move |index: usize| {
        typing_at.set(None);
        accept_completion(query, completions, index)
    };
    let on_keydown = move |ev: leptos::ev::KeyboardEvent| {
        if ev.key() == "Escape" {
            typing_at.set(None);
        }
        completion_key(&ev, query, completions, selected)
    };

    let range_buttons = RANGES
        .into_iter()
        .map(|(ms, label)| {
            view! {
                <button
                    class:active=move || range_ms.get() == ms
                    data-testid=format!("range-{label}")
                    on:click=move |_| range_ms.set(ms)
                >
                    {label}
                </button>
            }
        })
        .collect_view();

    view! {
        <section class="explore" data-testid="explore-page">
            <div class="editor-wrap">
                <div class="editor">
                    <pre class="highlight" aria-hidden="true" data-testid="query-highlight">
                        {move || highlighted(&query.get(), parsed.get().err())}
                        "\n"
                    </pre>
                    <textarea
                        data-testid="query-input"
                        aria-label="PromQL query"
                        spellcheck="false"
                        rows="2"
                        prop:value=move || query.get()
                        on:input=on_input
                        on:keydown=on_keydown
                        on:blur=move |_| {
                            set_timeout(
                                move || {
                                    typing_at.set(None);
                                    completions.set(Completions::default());
                                },
                                std::time::Duration::from_millis(150),
                            )
                        }
                    ></textarea>
                </div>
                <Suggestions completions selected accept />
                {move || {
                    parsed
                        .get()
                        .err()
                        .map(|e| {
                            let (line, col) = line_col(&query.get(), e.span.start);
                            view! {
                                <p class="query-error" role="alert" data-testid="query-error">
                                    {format!("{line}:{col}: {}", e.message)}
                                </p>
                            }
                        })
                }}
            </div>
            <div class="explore-toolbar">
                <div class="segmented" role="group" aria-label="View">
                    {[(View::Graph, "Graph", "view-graph"), (View::Table, "Table", "view-table")]
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
                <div class="segmented" role="group" aria-label="Range">{range_buttons}</div>
                <label>
                    "Step "
                    <select
                        data-testid="step-select"
                        on:change=move |ev| {
                            let v = event_target_value(&ev);
                            step_ms.set(STEPS.iter().find(|s| s.1 == v).map(|s| s.0));
                        }
                    >
                        <option value="auto" selected=move || step_ms.get().is_none()>
                            "auto"
                        </option>
                        {STEPS
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
                <crate::datasource::DataSourceField remote testid="datasource-url" />
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
                        o11y_engine::duration::format_duration(effective_step()),
                    );
                    let body = if view_kind.get() == View::Table {
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

/// PromQL with highlighted tokens, and the parse error's span underlined.
fn highlighted(text: &str, error: Option<ParseError>) -> impl IntoView + use<> {
    let tokens = highlight(text)
        .into_iter()
        .map(|(r, c)| (r, c.css()))
        .collect();
    highlighted_tokens(text, tokens, error.map(|e| e.span))
}

/// A query with highlighted tokens (CSS classes by byte range), and an
/// error's span underlined.
pub(crate) fn highlighted_tokens(
    text: &str,
    mut boundaries: Vec<(std::ops::Range<usize>, &'static str)>,
    error: Option<std::ops::Range<usize>>,
) -> impl IntoView + use<> {
    let mut pieces = Vec::new();
    let mut at = 0;
    let error_span = error.map(|span| {
        let start = span.start.min(text.len());
        // An error at the end underlines a space after the text.
        (start, span.end.clamp(start, text.len()))
    });
    boundaries.retain(|(r, _)| {
        r.end <= text.len() && text.is_char_boundary(r.start) && text.is_char_boundary(r.end)
    });
    for (range, class) in boundaries {
        if range.start < at {
            continue;
        }
        pieces.push((text[at..range.start].to_string(), String::new()));
        pieces.push((text[range.clone()].to_string(), class.to_string()));
        at = range.end;
    }
    pieces.push((text[at..].to_string(), String::new()));
    // Split the pieces at the error span so that part can be underlined.
    let mut out = Vec::new();
    let mut offset = 0;
    for (piece, class) in pieces {
        let (start, end) = (offset, offset + piece.len());
        offset = end;
        match error_span {
            Some((es, ee)) if es < end && ee > start || (es == ee && es >= start && es < end) => {
                let a = es.clamp(start, end) - start;
                let b = ee.max(es + 1).clamp(start, end) - start;
                let (a, b) = (floor_boundary(&piece, a), floor_boundary(&piece, b));
                out.push((piece[..a].to_string(), class.clone()));
                out.push((piece[a..b].to_string(), format!("{class} err-span")));
                out.push((piece[b..].to_string(), class));
            }
            _ => out.push((piece, class)),
        }
    }
    if let Some((es, _)) = error_span
        && es >= text.len()
    {
        out.push((" ".to_string(), "err-span".to_string()));
    }
    out.into_iter()
        .filter(|(p, _)| !p.is_empty())
        .map(|(p, class)| {
            let testid = class.contains("err-span").then_some("error-underline");
            view! { <span class=class data-testid=testid>{p}</span> }
        })
        .collect_view()
}

fn floor_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// Puts suggestion `index` into the query in place of what it completes,
/// and closes the list.
pub(crate) fn accept_completion(
    query: RwSignal<String>,
    completions: RwSignal<Completions>,
    index: usize,
) {
    let c = completions.get_untracked();
    if let Some(s) = c.suggestions.get(index) {
        let mut text = query.get_untracked();
        if c.replace.end <= text.len() && text.is_char_boundary(c.replace.start) {
            text.replace_range(c.replace.clone(), &s.text);
            query.set(text);
        }
    }
    completions.set(Completions::default());
}

/// The suggestion list's keys: Tab or Enter accepts, the arrows move,
/// Escape closes; other keys type as usual.
pub(crate) fn completion_key(
    ev: &leptos::ev::KeyboardEvent,
    query: RwSignal<String>,
    completions: RwSignal<Completions>,
    selected: RwSignal<usize>,
) {
    let count = completions.with_untracked(|c| c.suggestions.len());
    if count == 0 {
        return;
    }
    match ev.key().as_str() {
        "Tab" | "Enter" => {
            ev.prevent_default();
            accept_completion(query, completions, selected.get_untracked());
        }
        "ArrowDown" => {
            ev.prevent_default();
            selected.update(|s| *s = (*s + 1) % count);
        }
        "ArrowUp" => {
            ev.prevent_default();
            selected.update(|s| *s = (*s + count - 1) % count);
        }
        "Escape" => completions.set(Completions::default()),
        _ => {}
    }
}

pub(crate) fn textarea_cursor(ev: &leptos::ev::Event) -> Option<usize> {
    use wasm_bindgen::JsCast;
    let area = ev
        .target()?
        .dyn_into::<web_sys::HtmlTextAreaElement>()
        .ok()?;
    let value = area.value();
    // selectionStart counts UTF-16 units; the engine wants bytes.
    let units = area.selection_start().ok()??;
    let mut count = 0u32;
    for (i, c) in value.char_indices() {
        if count >= units {
            return Some(i);
        }
        count += c.len_utf16() as u32;
    }
    Some(value.len())
}

#[component]
pub(crate) fn Suggestions(
    completions: RwSignal<Completions>,
    selected: RwSignal<usize>,
    accept: impl Fn(usize) + Copy + Send + Sync + 'static,
) -> impl IntoView {
    move || {
        let c = completions.get();
        (!c.suggestions.is_empty()).then(|| {
            let items = c
                .suggestions
                .into_iter()
                .enumerate()
                .map(|(i, s)| {
                    view! {
                        <li
                            class:selected=move || selected.get() == i
                            data-testid="suggestion"
                            on:mousedown=move |ev| {
                                ev.prevent_default();
                                accept(i);
                            }
                        >
                            <span class="s-text">{s.text}</span>
                            <span class="s-kind">{format!("{:?}", s.kind)}</span>
                            <span class="s-doc">{s.doc}</span>
                        </li>
                    }
                })
                .collect_view();
            view! { <ul class="suggestions" role="listbox" data-testid="suggestions">{items}</ul> }
        })
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
                    <td class="labels">{series_name(&s)}</td>
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

/// Points of each drawn series, stacked when asked: (time, value) pairs.
fn plotted(series: &[RangeSeries], stacked: bool) -> Vec<Vec<(i64, f64)>> {
    let mut out: Vec<Vec<(i64, f64)>> = series
        .iter()
        .take(MAX_DRAWN)
        .map(|s| {
            s.samples
                .iter()
                .filter(|p| p.value.is_finite())
                .map(|p| (p.ts_ms, p.value))
                .collect()
        })
        .collect();
    if stacked {
        let mut below: std::collections::HashMap<i64, f64> = Default::default();
        for points in out.iter_mut() {
            for p in points.iter_mut() {
                let base = below.entry(p.0).or_insert(0.0);
                p.1 += *base;
                *base = p.1;
            }
        }
    }
    out
}

/// An exemplar drawn on a graph: a diamond at its time and value that
/// opens its trace.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct ExemplarDot {
    pub ts_ms: i64,
    pub value: f64,
    pub trace_id: String,
    /// The series it belongs to, for the tooltip.
    pub series: String,
}

impl ExemplarDot {
    /// The exemplars of the series `selector` selects, from the demo's store.
    pub fn of(
        demo: &o11y_engine::demo::Demo,
        selector: &str,
        start: i64,
        end: i64,
    ) -> Vec<ExemplarDot> {
        demo.exemplars(selector, start, end)
            .unwrap_or_default()
            .into_iter()
            .flat_map(|(labels, found)| {
                let series = labels.to_string();
                found.into_iter().filter_map(move |e| {
                    Some(ExemplarDot {
                        ts_ms: e.ts_ms,
                        value: e.value,
                        trace_id: e.label("trace_id")?.to_string(),
                        series: series.clone(),
                    })
                })
            })
            .collect()
    }
}

/// A query's error where its chart would be, in Explore's error style: a
/// failed query is never drawn as an empty chart ("no data").
#[component]
pub(crate) fn ChartError(message: String, testid: &'static str) -> impl IntoView {
    view! {
        <div class="chart-error" role="alert" data-testid=testid>
            <p class="query-error">{message}</p>
        </div>
    }
}

#[component]
pub(crate) fn Graph(
    series: Vec<RangeSeries>,
    start: i64,
    end: i64,
    stacked: bool,
    /// Exemplars to draw over the lines (none by default).
    #[prop(optional)]
    exemplars: Vec<ExemplarDot>,
    /// A threshold drawn as a dashed line (an alert's).
    #[prop(default = None)]
    threshold: Option<f64>,
    /// Legend names for the series (a dashboard's legend format); their
    /// labels when empty.
    #[prop(default = Vec::new())]
    names: Vec<String>,
    /// `line`, `bars` or `points` (a dashboard's draw style).
    #[prop(default = "line")]
    draw_style: &'static str,
) -> impl IntoView {
    let name_of = {
        let names = names.clone();
        move |i: usize, s: &RangeSeries| names.get(i).cloned().unwrap_or_else(|| series_name(s))
    };
    let tooltip_name = name_of.clone();
    let lines = plotted(&series, stacked);
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for (_, v) in lines.iter().flatten() {
        lo = lo.min(*v);
        hi = hi.max(*v);
    }
    for e in exemplars.iter().filter(|e| e.value.is_finite()) {
        lo = lo.min(e.value);
        hi = hi.max(e.value);
    }
    if let Some(t) = threshold.filter(|t| t.is_finite()) {
        lo = lo.min(t);
        hi = hi.max(t);
    }
    if !lo.is_finite() {
        (lo, hi) = (0.0, 1.0);
    }
    let lo = if lo >= 0.0 {
        0.0
    } else {
        -o11y_engine::chart::nice_ceiling(-lo * 1.1)
    };
    let hi = o11y_engine::chart::nice_ceiling((hi * 1.1).max(lo + 1e-9)).max(lo + 1e-9);
    let span = (end - start).max(1) as f64;
    let x = move |t: i64| LEFT + (t - start) as f64 / span * (WIDTH - LEFT - RIGHT);
    let y = move |v: f64| TOP + (hi - v) / (hi - lo) * (HEIGHT - TOP - BOTTOM);
    let paths = match draw_style {
        "bars" => {
            // Each series one path of rectangles, its share of the slot
            // between two steps.
            let mut times: Vec<i64> = lines.iter().flatten().map(|p| p.0).collect();
            times.sort_unstable();
            times.dedup();
            let gap = o11y_engine::chart::min_gap(&times, (end - start).max(1));
            let slot_px = (x(start + gap) - x(start)) * 0.8;
            o11y_engine::chart::bars(&lines, stacked)
                .into_iter()
                .enumerate()
                .map(|(i, bars)| {
                    let mut d = String::new();
                    for b in bars {
                        let w = slot_px / b.slots as f64;
                        let left = x(b.ts_ms) - slot_px / 2.0 + w * b.slot as f64;
                        let (top, bottom) = (y(b.top.max(b.base)), y(b.top.min(b.base)));
                        d.push_str(&format!("M{left:.1},{bottom:.1}h{w:.1}V{top:.1}h{:.1}Z", -w));
                    }
                    view! { <path d=d fill=PALETTE[i % PALETTE.len()] fill-opacity="0.8" data-testid="series-bars" /> }
                })
                .collect_view()
                .into_any()
        }
        "points" => lines
            .iter()
            .enumerate()
            .map(|(i, points)| {
                let dots = points
                    .iter()
                    .map(|(t, v)| view! { <circle cx=format!("{:.1}", x(*t)) cy=format!("{:.1}", y(*v)) r="2.5" /> })
                    .collect_view();
                view! { <g fill=PALETTE[i % PALETTE.len()] data-testid="series-points">{dots}</g> }
            })
            .collect_view()
            .into_any(),
        _ => lines
            .iter()
            .enumerate()
            .map(|(i, points)| {
                let mut d = String::new();
                for (k, (t, v)) in points.iter().enumerate() {
                    d.push_str(&format!("{}{:.1},{:.1}", if k == 0 { "M" } else { "L" }, x(*t), y(*v)));
                }
                view! { <path d=d stroke=PALETTE[i % PALETTE.len()] fill="none" stroke-width="1.5" data-testid="series-path" /> }
            })
            .collect_view()
            .into_any(),
    };
    let grid = (0..=4)
        .map(|k| {
            let v = lo + (hi - lo) * k as f64 / 4.0;
            view! {
                <line x1=LEFT x2=WIDTH - RIGHT y1=y(v) y2=y(v) class="grid" />
                <text x=LEFT - 6.0 y=y(v) + 4.0 class="axis" text-anchor="end">{format_axis_value(v)}</text>
            }
        })
        .collect_view();
    let ticks = (0..=5)
        .map(|k| {
            let t = start + (span * k as f64 / 5.0) as i64;
            let anchor = match k {
                0 => "start",
                5 => "end",
                _ => "middle",
            };
            view! { <text x=x(t) y=HEIGHT - 6.0 class="axis" text-anchor=anchor>{format_clock_time(t)}</text> }
        })
        .collect_view();
    // Hover: the nearest step's values.
    let hover = RwSignal::new(None::<(f64, i64)>);
    let times: Vec<i64> = {
        let mut t: Vec<i64> = series
            .iter()
            .flat_map(|s| s.samples.iter().map(|p| p.ts_ms))
            .collect();
        t.sort_unstable();
        t.dedup();
        t
    };
    let on_move = move |ev: leptos::ev::MouseEvent| {
        use wasm_bindgen::JsCast;
        let Some(el) = ev
            .current_target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
        else {
            return;
        };
        let width = el.client_width().max(1) as f64;
        let px = ev.offset_x() as f64 * WIDTH / width;
        let t = start + ((px - LEFT) / (WIDTH - LEFT - RIGHT) * span) as i64;
        let nearest = times.iter().min_by_key(|x| (**x - t).abs()).copied();
        hover.set(nearest.map(|n| (x(n), n)));
    };
    let legend_series = series.clone();
    let tooltip_series = series.clone();
    let legend = legend_series
        .iter()
        .take(MAX_DRAWN)
        .enumerate()
        .map(|(i, s)| {
            let last = s.samples.last().map_or(String::new(), |p| short_value(p.value));
            view! {
                <li data-testid="legend-item">
                    <span class="swatch" style=format!("background:{}", PALETTE[i % PALETTE.len()])></span>
                    <span class="legend-name">{name_of(i, s)}</span>
                    <span class="legend-value">{last}</span>
                </li>
            }
        })
        .collect_view();
    let hidden = series.len().saturating_sub(MAX_DRAWN);
    let dots = exemplars
        .into_iter()
        .filter(|e| e.value.is_finite() && (start..=end).contains(&e.ts_ms))
        .map(|e| {
            let (cx, cy) = (x(e.ts_ms), y(e.value));
            let href = format!("#/traces?trace={}", e.trace_id);
            let open = move |_| {
                let _ = window().location().set_hash(&href);
            };
            let points = format!("{cx:.1},{:.1} {:.1},{cy:.1} {cx:.1},{:.1} {:.1},{cy:.1}", cy - 5.0, cx + 5.0, cy + 5.0, cx - 5.0);
            view! {
                <g class="exemplar" role="link" data-testid="exemplar-dot" data-trace=e.trace_id.clone() on:click=open>
                    <polygon points=points />
                    <title>{format!("exemplar {} at {}\n{}\ntrace {}", short_value(e.value), format_clock_time(e.ts_ms), e.series, e.trace_id)}</title>
                </g>
            }
        })
        .collect_view();
    view! {
        <figure class="panel explore-graph" data-testid="explore-graph">
            <svg
                viewBox=format!("0 0 {WIDTH} {HEIGHT}")
                role="img"
                aria-label="Query result over time"
                on:mousemove=on_move
                on:mouseleave=move |_| hover.set(None)
            >
                {grid}
                {ticks}
                {paths}
                {threshold.filter(|t| t.is_finite()).map(|t| view! {
                    <line class="threshold" data-testid="threshold" x1=LEFT x2=WIDTH - RIGHT y1=y(t) y2=y(t) />
                    <text x=WIDTH - RIGHT - 4.0 y=y(t) - 4.0 class="axis threshold-label" text-anchor="end">{format!("threshold {}", short_value(t))}</text>
                })}
                {dots}
                {move || hover.get().map(|(px, _)| view! { <line class="hover-line" x1=px x2=px y1=TOP y2=HEIGHT - BOTTOM /> })}
            </svg>
            {move || {
                hover
                    .get()
                    .map(|(_, t)| {
                        let rows = tooltip_series
                            .iter()
                            .take(10)
                            .enumerate()
                            .filter_map(|(i, s)| {
                                let p = s.samples.iter().find(|p| p.ts_ms == t)?;
                                Some(view! {
                                    <li>
                                        <span class="swatch" style=format!("background:{}", PALETTE[i % PALETTE.len()])></span>
                                        {format!("{} {}", tooltip_name(i, s), short_value(p.value))}
                                    </li>
                                })
                            })
                            .collect_view();
                        view! {
                            <div class="tooltip" data-testid="graph-tooltip">
                                <strong>{format_clock_time(t)}</strong>
                                <ul>{rows}</ul>
                            </div>
                        }
                    })
            }}
            <ul class="legend" data-testid="legend">{legend}</ul>
            {(hidden > 0).then(|| view! { <p class="muted">{format!("{hidden} more series not drawn")}</p> })}
        </figure>
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
