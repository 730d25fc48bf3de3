//! The Traces page: search the shop's traces (service, operation,
//! duration, errors, trace id), see them as a duration-over-time scatter
//! and a list, open one as a waterfall (collapsible, the critical path
//! marked, span details with attributes, events and exceptions), see the
//! service map, and go from a span to its logs. The open trace is in the
//! URL (`#/traces?trace=…`).

use std::collections::HashSet;

use leptos::prelude::*;
use o11y_engine::traces::view::{self, Edge, Node, RowView, Waterfall, service_map};
use o11y_engine::traces::{Span, StatusCode, TraceId, TraceQuery, TraceSummary};

use crate::charts::format_clock_time;
use crate::components::{ChartError, ExemplarDot, Graph};
use crate::fragment::{self, LogsUrl, TracesUrl};
use crate::state::AppState;

/// How often the search, the service map and the latency panel are drawn
/// again, in real milliseconds.
const REDRAW_REAL_MS: u32 = 2000;
/// How long a waterfall must have been still before the redraws resume,
/// in real milliseconds.
const SCROLL_QUIET_MS: f64 = 1000.0;

fn ms(ns: i64) -> String {
    let ms = ns as f64 / 1e6;
    if ms >= 1000.0 {
        format!("{:.2} s", ms / 1000.0)
    } else {
        format!("{ms:.1} ms")
    }
}

/// Opens a trace, marking the time for the `waterfall-render` measure.
fn open(selected: RwSignal<Option<TraceId>>, id: TraceId) {
    crate::perf::mark("waterfall-start");
    selected.set(Some(id));
}

#[component]
pub fn TracesPage() -> impl IntoView {
    let AppState { demo, tick, .. } = expect_context::<AppState>();
    let service = RwSignal::new(String::new());
    let operation = RwSignal::new(String::new());
    let min_ms = RwSignal::new(String::new());
    let max_ms = RwSignal::new(String::new());
    let errors_only = RwSignal::new(false);
    let trace_text = RwSignal::new(String::new());
    let selected = RwSignal::new(TracesUrl::trace(&fragment::current()));
    // Drawn again every two seconds, and at once after an import.
    let redraws = tick.every(REDRAW_REAL_MS);
    let imports = RwSignal::new(0u64);
    // While a waterfall scrolls, the redraws wait (with a large store they
    // take longer than a frame): they come at the first redraw after it
    // has been still for a while. An import redraws at once.
    let scrolled = StoredValue::new(f64::NEG_INFINITY);
    let refresh = Memo::new(move |prev: Option<&(u64, u64)>| {
        let next = (redraws.get(), imports.get());
        match prev {
            Some(&(redrawn, imported))
                if imported == next.1
                    && crate::timer::real_now_ms() - scrolled.get_value() < SCROLL_QUIET_MS =>
            {
                (redrawn, imported)
            }
            _ => next,
        }
    });
    let refresh = Signal::derive(move || {
        let (redrawn, imported) = refresh.get();
        redrawn + imported
    });
    // A link on this page to another trace (an exemplar) changes the fragment.
    let listener = window_event_listener(leptos::ev::hashchange, move |_| {
        if let Some(id) = TracesUrl::trace(&fragment::current())
            .filter(|id| selected.get_untracked() != Some(*id))
        {
            open(selected, id);
        }
    });
    on_cleanup(move || listener.remove());

    Effect::new(move |_| fragment::replace(&TracesUrl::fragment(selected.get())));

    // The service map, once per refresh: the map panel and the service list read it.
    let map = Memo::new(move |_| {
        refresh.get();
        crate::perf::measure("service-map", || {
            demo.with_untracked(|d| service_map(d.traces()))
        })
    });
    let services = Memo::new(move |_| {
        map.with(|(nodes, _)| nodes.iter().map(|n| n.service.clone()).collect::<Vec<_>>())
    });
    let results = Memo::new(move |_| {
        refresh.get();
        let parse_ms = |s: String| s.trim().parse::<f64>().ok().map(|v| (v * 1e6) as i64);
        let q = TraceQuery {
            trace_id: TraceId::from_hex(trace_text.get().trim()),
            service: Some(service.get()).filter(|s| !s.is_empty()),
            operation: Some(operation.get()).filter(|s| !s.trim().is_empty()),
            min_duration_ns: parse_ms(min_ms.get()),
            max_duration_ns: parse_ms(max_ms.get()),
            errors_only: errors_only.get(),
            attribute: None,
            limit: 100,
        };
        crate::perf::measure("trace-search", || {
            demo.with_untracked(|d| d.traces().search(&q))
        })
    });
    let evicted = move || {
        refresh.get();
        demo.with_untracked(|d| {
            let (traces, spans) = d.traces().evicted();
            format!(
                "{} traces, {} spans stored · {traces} traces ({spans} spans) evicted",
                d.traces().trace_count(),
                d.traces().span_count()
            )
        })
    };
    let import_status = RwSignal::new(None::<String>);
    let export_url = RwSignal::new(None::<String>);
    let on_import = move |ev: leptos::ev::Event| {
        let Some(file) = crate::files::chosen_file(&ev) else {
            return;
        };
        leptos::task::spawn_local(async move {
            let text = crate::files::text_of(file).await;
            match o11y_engine::traces::otlp::import(&text) {
                Ok(spans) => {
                    let count = spans.len();
                    let first = spans.first().map(|s| s.trace_id);
                    demo.update(|d| d.import_spans(spans));
                    imports.update(|n| *n += 1);
                    import_status.set(Some(format!("Imported {count} spans.")));
                    if let Some(id) = first {
                        trace_text.set(id.to_string());
                    }
                }
                Err(e) => import_status.set(Some(format!("Not imported: {e}"))),
            }
        });
    };
    let on_export = move |_| {
        let ids: Vec<TraceId> = results.get_untracked().iter().map(|r| r.trace_id).collect();
        let spans: Vec<Span> = demo.with_untracked(|d| {
            ids.iter()
                .filter_map(|id| d.traces().trace(id))
                .flat_map(|t| t.into_iter().cloned())
                .collect()
        });
        let json = o11y_engine::traces::otlp::export(&spans);
        export_url.set(crate::files::download_url(&json));
    };
    let input = |signal: RwSignal<String>, placeholder: &'static str, testid: &'static str| {
        view! {
            <input
                placeholder=placeholder
                data-testid=testid
                prop:value=move || signal.get()
                on:input=move |ev| signal.set(event_target_value(&ev))
            />
        }
    };

    view! {
        <section class="traces" data-testid="traces-page">
            <div class="panel trace-search" role="search">
                <label>
                    "Service "
                    <select data-testid="trace-service" on:change=move |ev| service.set(event_target_value(&ev))>
                        <option value="">"all"</option>
                        {move || services.get().into_iter().map(|s| view! { <option value=s.clone()>{s.clone()}</option> }).collect_view()}
                    </select>
                </label>
                <label>"Operation " {input(operation, "GET /cart", "trace-operation")}</label>
                <label>"Duration ≥ " {input(min_ms, "ms", "trace-min")}</label>
                <label>"≤ " {input(max_ms, "ms", "trace-max")}</label>
                <label>
                    <input type="checkbox" data-testid="trace-errors" on:change=move |ev| errors_only.set(event_target_checked(&ev)) />
                    " errors only"
                </label>
                <label>"Trace id " {input(trace_text, "32 hex digits", "trace-id-input")}</label>
                <span class="muted" data-testid="trace-store-info">{evicted}</span>
                <label class="file">
                    "Import OTLP/JSON "
                    <input type="file" accept=".json,application/json" data-testid="trace-import" on:change=on_import />
                </label>
                <button data-testid="trace-export" on:click=on_export>"Export shown traces"</button>
                {move || export_url.get().map(|url| view! { <a href=url download="traces.json" data-testid="trace-export-link">"traces.json"</a> })}
                {move || import_status.get().map(|m| view! { <span data-testid="trace-import-status">{m}</span> })}
            </div>
            {move || {
                let list = results.get();
                view! {
                    <Scatter results=list.clone() selected />
                    <TraceList results=list selected />
                }
            }}
            {move || selected.get().map(|id| view! { <TraceView id scrolled /> })}
            <div class="traces-side">
                <LatencyPanel refresh />
            </div>
            <ServiceMap map />
        </section>
    }
}

/// Duration over time; red dots are traces with errors.
#[component]
fn Scatter(results: Vec<TraceSummary>, selected: RwSignal<Option<TraceId>>) -> impl IntoView {
    const W: f64 = 900.0;
    const H: f64 = 160.0;
    let (t0, t1) = results.iter().fold((i64::MAX, i64::MIN), |(a, b), r| {
        (a.min(r.start_ns), b.max(r.start_ns))
    });
    let dmax = results
        .iter()
        .map(|r| r.duration_ns)
        .max()
        .unwrap_or(1)
        .max(1) as f64;
    let span = (t1 - t0).max(1) as f64;
    let dots = results
        .iter()
        .map(|r| {
            let id = r.trace_id;
            let x = 30.0 + (r.start_ns - t0) as f64 / span * (W - 40.0);
            let y = H - 16.0 - r.duration_ns as f64 / dmax * (H - 28.0);
            let color = if r.errors > 0 { "#f2495c" } else { "#5794f2" };
            view! {
                <circle cx=x cy=y r="4" fill=color class="trace-dot" data-testid="trace-dot" on:click=move |_| open(selected, id)>
                    <title>{format!("{} {} · {}", r.root_service, r.root_name, ms(r.duration_ns))}</title>
                </circle>
            }
        })
        .collect_view();
    view! {
        <figure class="panel scatter" data-testid="trace-scatter">
            <svg viewBox=format!("0 0 {W} {H}") role="img" aria-label="Trace durations over time">
                <text x="2" y="12" class="axis">{ms(dmax as i64)}</text>
                <text x="2" y=H - 4.0 class="axis">{if results.is_empty() { String::new() } else { format_clock_time(t0 / 1_000_000) }}</text>
                <text x=W - 2.0 y=H - 4.0 class="axis" text-anchor="end">{if results.is_empty() { String::new() } else { format_clock_time(t1 / 1_000_000) }}</text>
                {dots}
            </svg>
        </figure>
    }
}

#[component]
fn TraceList(results: Vec<TraceSummary>, selected: RwSignal<Option<TraceId>>) -> impl IntoView {
    let rows = results
        .into_iter()
        .take(30)
        .map(|r| {
            let id = r.trace_id;
            view! {
                <tr class="trace-row" class:error={r.errors > 0} data-testid="trace-row" on:click=move |_| open(selected, id)>
                    <td class="nowrap">{format_clock_time(r.start_ns / 1_000_000)}</td>
                    <td>{format!("{}: {}", r.root_service, r.root_name)}</td>
                    <td class="num">{ms(r.duration_ns)}</td>
                    <td class="num">{r.spans}</td>
                    <td class="num">{r.errors}</td>
                    <td class="muted mono nowrap">{r.trace_id.to_string()[..12].to_string()}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <table class="result-table trace-list" data-testid="trace-list">
            <thead>
                <tr>
                    <th>"Start"</th>
                    <th>"Root"</th>
                    <th>"Duration"</th>
                    <th>"Spans"</th>
                    <th>"Errors"</th>
                    <th>"Trace id"</th>
                </tr>
            </thead>
            <tbody>{rows}</tbody>
        </table>
    }
}

/// Height of a waterfall row, in CSS pixels (fixed, so a long list can be
/// drawn only where it is scrolled to).
const ROW_PX: f64 = 18.0;
/// Traces with more rows than this are drawn virtually: a fixed pool of
/// row elements in a box of [`VIEW_ROWS`], each element showing whichever
/// row of the window falls to it (see `view::slot_position`).
const VIRTUAL_FROM_ROWS: usize = 300;
/// Rows in view in a virtual list's box, and drawn above and below it.
const VIEW_ROWS: usize = 40;
const OVERSCAN_ROWS: usize = 10;
const POOL_ROWS: usize = VIEW_ROWS + 2 * OVERSCAN_ROWS;

/// One trace as a waterfall, with the chosen span's details. The trace is
/// laid out once (`Waterfall::new`); collapsing picks the rows shown, and
/// scrolling only changes which rows the pool's elements show, so a
/// scroll by k rows rewrites the text and styles of k elements and
/// creates none. `scrolled` is when it last scrolled (the page's redraws
/// wait while it does).
#[component]
fn TraceView(id: TraceId, scrolled: StoredValue<f64>) -> impl IntoView {
    let AppState { demo, .. } = expect_context::<AppState>();
    let laid_out =
        demo.with_untracked(|d| d.traces().trace(&id).map(|spans| Waterfall::new(&spans)));
    let Some(laid_out) = laid_out.filter(|w| w.span_count() > 0) else {
        return view! { <p class="query-error" data-testid="trace-missing">{format!("Trace {id} is not in the store (it may have been evicted).")}</p> }.into_any();
    };
    let title = format!(
        "Trace {id} · {} spans · {}",
        laid_out.span_count(),
        ms(laid_out.duration_ns())
    );
    // The most row elements the list can need: all rows of a short one.
    let most = laid_out.len().min(VIRTUAL_FROM_ROWS.max(POOL_ROWS));
    let layout = StoredValue::new(laid_out);
    // Row numbers (into the layout) of the collapsed spans and the chosen one.
    let collapsed = RwSignal::new(HashSet::<usize>::new());
    let chosen = RwSignal::new(None::<usize>);
    let shown = Memo::new(move |_| collapsed.with(|c| layout.with_value(|l| l.shown(c))));
    let count = Memo::new(move |_| shown.with(Vec::len));
    let is_virtual = Memo::new(move |_| count.get() > VIRTUAL_FROM_ROWS);
    let pool = Memo::new(move |_| {
        if is_virtual.get() {
            POOL_ROWS
        } else {
            count.get()
        }
    });
    let scroll_top = RwSignal::new(0.0f64);
    // Changes only when the first row drawn does: a scroll within a row does nothing.
    let window = Memo::new(move |_| {
        view::window(
            count.get(),
            pool.get(),
            scroll_top.get(),
            ROW_PX,
            OVERSCAN_ROWS,
        )
    });
    // What each row element shows, (position in the list, row of the
    // layout): set here for all of them, so only the ones whose row
    // changes hear of a scroll.
    let placed: Vec<RwSignal<Option<(usize, usize)>>> =
        (0..most).map(|_| RwSignal::new(None)).collect();
    let slots = StoredValue::new(placed.clone());
    Effect::new(move |_| {
        let (window, pool) = (window.get(), pool.get());
        shown.with(|shown| {
            for (slot, placed) in placed.iter().enumerate() {
                let next = view::slot_position(slot, pool, &window)
                    .and_then(|pos| shown.get(pos).map(|&row| (pos, row as usize)));
                if placed.get_untracked() != next {
                    placed.set(next);
                }
            }
        })
    });
    let on_scroll = move |ev: leptos::ev::Event| {
        use wasm_bindgen::JsCast;
        if let Some(el) = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
        {
            scrolled.set_value(crate::timer::real_now_ms());
            scroll_top.set(el.scroll_top() as f64);
        }
    };
    let row_element = move |slot: usize| {
        let at = slots.with_value(|s| s[slot]).read_only();
        view! { <WaterfallRow at layout collapsed chosen /> }
    };
    let details = move || {
        let row = chosen.get()?;
        let span_id = layout.with_value(|l| l.row(row).span_id);
        let span = demo.with_untracked(|d| {
            d.traces()
                .trace(&id)?
                .into_iter()
                .find(|s| s.span_id == span_id)
                .cloned()
        })?;
        Some(view! { <SpanDetails span /> })
    };
    let drawn = view! {
        <section class="panel waterfall" data-testid="waterfall">
            <h2>
                {title}
                <span class="muted">" · critical path marked"</span>
            </h2>
            <div
                class="wf-scroll"
                class:virtualized=is_virtual
                data-testid="waterfall-rows"
                data-rows=move || count.get()
                on:scroll=on_scroll
            >
                <div class="wf-rows" style:height=move || format!("{}px", count.get() as f64 * ROW_PX)>
                    <For each=move || 0..pool.get() key=|slot| *slot let:slot>
                        {row_element(slot)}
                    </For>
                </div>
            </div>
            {details}
        </section>
    };
    // How long opening the trace took: until the rows are written (the
    // rows' effects were queued after this one, the task it queues runs
    // after them), and until the frame that shows them is painted.
    Effect::new(move |_| {
        leptos::task::spawn_local(async {
            crate::perf::measure_since("waterfall-build", "waterfall-start");
        });
        request_animation_frame(|| {
            set_timeout(
                || crate::perf::measure_since("waterfall-render", "waterfall-start"),
                std::time::Duration::ZERO,
            )
        });
    });
    drawn.into_any()
}

/// What a row element shows, as text and attributes.
#[derive(Default, PartialEq)]
struct RowText {
    class: String,
    style: String,
    indent: String,
    service: String,
    name: String,
    bar: String,
    duration: String,
}

impl RowText {
    fn of(row: &RowView<'_>, pos: usize, chosen: bool) -> RowText {
        let mut class = String::from("wf-row");
        for (on, name) in [
            (row.critical, " critical"),
            (row.error, " error"),
            (chosen, " chosen"),
        ] {
            if on {
                class.push_str(name);
            }
        }
        RowText {
            class,
            style: format!("top:{}px", pos as f64 * ROW_PX),
            indent: format!("padding-left:{}rem", row.depth as f64 * 0.9),
            service: row.service.to_string(),
            name: row.name.to_string(),
            bar: format!("left:{:.3}%;width:{:.3}%", row.left_pct, row.width_pct),
            duration: ms(row.duration_ns),
        }
    }
}

/// One element of a waterfall's pool: it shows the row `at` says, at that
/// row's place. One effect writes what changed into its elements (not a
/// binding per attribute: a scroll of a screen changes 40 rows at once).
#[component]
fn WaterfallRow(
    at: ReadSignal<Option<(usize, usize)>>,
    layout: StoredValue<Waterfall>,
    collapsed: RwSignal<HashSet<usize>>,
    chosen: RwSignal<Option<usize>>,
) -> impl IntoView {
    use leptos::html::{Div, Span as SpanEl};
    let (row_el, indent_el, bar_el) = (
        NodeRef::<Div>::new(),
        NodeRef::<Div>::new(),
        NodeRef::<Div>::new(),
    );
    let (service_el, name_el, duration_el) = (
        NodeRef::<SpanEl>::new(),
        NodeRef::<SpanEl>::new(),
        NodeRef::<SpanEl>::new(),
    );
    let row = move || at.get().map(|(_, row)| row);
    Effect::new(move |before: Option<RowText>| {
        let now = at
            .get()
            .map(|(pos, r)| {
                let chosen = chosen.get() == Some(r);
                layout.with_value(|l| RowText::of(&l.row(r), pos, chosen))
            })
            .unwrap_or_else(|| RowText {
                class: "wf-row".to_string(),
                ..RowText::default()
            });
        let before = before.unwrap_or_default();
        let changed = |f: fn(&RowText) -> &String| f(&now) != f(&before);
        if let (Some(row), Some(indent), Some(bar)) = (
            row_el.get_untracked(),
            indent_el.get_untracked(),
            bar_el.get_untracked(),
        ) {
            if changed(|t| &t.class) {
                row.set_class_name(&now.class);
            }
            if changed(|t| &t.style) {
                web_sys::HtmlElement::style(&row).set_css_text(&now.style);
            }
            if changed(|t| &t.indent) {
                web_sys::HtmlElement::style(&indent).set_css_text(&now.indent);
            }
            if changed(|t| &t.bar) {
                web_sys::HtmlElement::style(&bar).set_css_text(&now.bar);
            }
        }
        let set_text = |el: NodeRef<SpanEl>, now: &String, before: &String| {
            if now != before
                && let Some(el) = el.get_untracked()
            {
                el.set_text_content(Some(now));
            }
        };
        set_text(service_el, &now.service, &before.service);
        set_text(name_el, &now.name, &before.name);
        set_text(duration_el, &now.duration, &before.duration);
        now
    });
    let has_children =
        Memo::new(move |_| row().is_some_and(|r| layout.with_value(|l| l.rows()[r].children > 0)));
    let toggle = move || {
        has_children.get().then(|| {
            let label = move || {
                if row().is_some_and(|r| collapsed.with(|c| c.contains(&r))) {
                    "▸"
                } else {
                    "▾"
                }
            };
            view! {
                <button class="wf-toggle" data-testid="waterfall-toggle" on:click=move |ev| {
                    ev.stop_propagation();
                    if let Some(r) = at.get_untracked().map(|(_, r)| r) {
                        collapsed.update(|c| if !c.remove(&r) { c.insert(r); });
                    }
                }>
                    {label}
                </button>
            }
        })
    };
    view! {
        <div
            class="wf-row"
            node_ref=row_el
            data-testid="waterfall-row"
            on:click=move |_| {
                if let Some((_, r)) = at.get_untracked() {
                    chosen.set(Some(r));
                }
            }
        >
            <div class="wf-name" node_ref=indent_el>
                {toggle}
                <span class="wf-service" node_ref=service_el></span>
                " "
                <span node_ref=name_el></span>
            </div>
            <div class="wf-track">
                <div class="wf-bar" node_ref=bar_el></div>
                <span class="wf-duration" node_ref=duration_el></span>
            </div>
        </div>
    }
}

#[component]
fn SpanDetails(span: Span) -> impl IntoView {
    let logs_query = format!(r#"{{job="shop"}} | json | trace_id="{}""#, span.trace_id);
    let logs_href = LogsUrl::fragment(&logs_query, None, None);
    let attrs = span
        .attributes
        .iter()
        .chain(span.resource.iter())
        .map(|(k, v)| view! { <tr><td class="label-name">{k.clone()}</td><td>{v.to_string()}</td></tr> })
        .collect_view();
    let events = span
        .events
        .iter()
        .map(|e| {
            let attrs = e.attributes.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(" ");
            view! { <li data-testid="span-event"><strong>{e.name.clone()}</strong> " " {attrs}</li> }
        })
        .collect_view();
    view! {
        <div class="span-details" data-testid="span-details">
            <h3>{format!("{} · {} · {}", span.service(), span.name, ms(span.duration_ns()))}</h3>
            <p class="muted mono">
                {format!("span {} · parent {} · kind {}", span.span_id, span.parent_span_id.map_or("none".to_string(), |p| p.to_string()), span.kind.name())}
            </p>
            {(span.status.code == StatusCode::Error).then(|| view! { <p class="query-error">{format!("error: {}", span.status.message)}</p> })}
            <table>{attrs}</table>
            <ul>{events}</ul>
            <a href=logs_href data-testid="span-logs-link">"Logs of this trace →"</a>
        </div>
    }
}

/// Services as nodes by call depth, calls as edges coloured by error rate.
#[component]
fn ServiceMap(map: Memo<(Vec<Node>, Vec<Edge>)>) -> impl IntoView {
    move || {
        let (nodes, edges) = map.get();
        let layers = nodes.iter().map(|n| n.layer).max().unwrap_or(0) + 1;
        let mut per_layer = vec![0usize; layers];
        let mut pos = std::collections::HashMap::new();
        for n in &nodes {
            let i = per_layer[n.layer];
            per_layer[n.layer] += 1;
            pos.insert(n.service.clone(), (n.layer, i));
        }
        const W: f64 = 900.0;
        const H: f64 = 260.0;
        let xy = |service: &str| -> (f64, f64) {
            let (layer, i) = pos.get(service).copied().unwrap_or((0, 0));
            let count = per_layer[layer].max(1);
            let x = 70.0 + layer as f64 * (W - 140.0) / (layers.max(2) - 1) as f64;
            let y = H / (count + 1) as f64 * (i + 1) as f64;
            (x, y)
        };
        let color = |errors: usize, total: usize| {
            let rate = errors as f64 / total.max(1) as f64;
            if rate >= 0.05 {
                "#f2495c"
            } else if rate >= 0.01 {
                "#fade2a"
            } else {
                "#73bf69"
            }
        };
        let edge_views = edges
            .iter()
            .map(|e| {
                let ((x1, y1), (x2, y2)) = (xy(&e.from), xy(&e.to));
                view! {
                    <line x1=x1 y1=y1 x2=x2 y2=y2 stroke=color(e.errors, e.calls) stroke-width="2" data-testid="map-edge">
                        <title>{format!("{} → {}: {} calls, {} errors", e.from, e.to, e.calls, e.errors)}</title>
                    </line>
                }
            })
            .collect_view();
        let node_views = nodes
            .iter()
            .map(|n| {
                let (x, y) = xy(&n.service);
                view! {
                    <g data-testid="map-node">
                        <circle cx=x cy=y r="22" fill="#181b1f" stroke=color(n.errors, n.requests) stroke-width="3" />
                        <text x=x y=y + 36.0 text-anchor="middle" class="map-label">{n.service.clone()}</text>
                        <text x=x y=y + 49.0 text-anchor="middle" class="axis">{format!("{} req · p99 {}", n.requests, ms(n.p99_ns))}</text>
                    </g>
                }
            })
            .collect_view();
        view! {
            <figure class="panel service-map" data-testid="service-map">
                <figcaption class="panel-title">"Service map"</figcaption>
                <svg viewBox=format!("0 0 {W} {}", H + 30.0) role="img" aria-label="Service map">
                    {edge_views}
                    {node_views}
                </svg>
            </figure>
        }
    }
}

/// The selector of the exemplars the latency panel draws: slow requests
/// only (the ones worth opening) of the topology's HTTP services — its
/// databases and caches answer fast and would crowd the chart. `None`
/// when the topology has no HTTP service.
fn exemplar_selector(topology: &o11y_engine::sim::topology::Topology) -> Option<String> {
    let services: Vec<String> = topology
        .services
        .iter()
        .filter(|s| s.kind == "http")
        .map(|s| o11y_engine::model::labels::quote_meta(&s.name))
        .collect();
    if services.is_empty() {
        return None;
    }
    let mut alternatives = String::new();
    o11y_engine::model::labels::escape_label_value(&services.join("|"), &mut alternatives);
    Some(format!(
        r#"http_request_duration_seconds_bucket{{job="shop", service=~"{alternatives}", le=~"0.1|0.25|0.5|1|2.5|5|10|[+]Inf"}}"#
    ))
}

/// p99 latency per shop service, from its histogram metrics, last 15 minutes.
#[component]
fn LatencyPanel(refresh: Signal<u64>) -> impl IntoView {
    let AppState { demo, .. } = expect_context::<AppState>();
    const QUERY: &str = r#"histogram_quantile(0.99, sum by (le, service) (rate(http_request_duration_seconds_bucket{job="shop"}[1m])))"#;
    move || {
        refresh.get();
        let expr = o11y_engine::promql::parse(QUERY).expect("the panel's query parses");
        let end = demo.with_untracked(|d| d.now_ms()).div_euclid(15_000) * 15_000;
        let start = end - 900_000;
        let (queried, exemplars) = demo.with_untracked(|d| {
            let queried = d
                .range_query(&expr, start, end, 15_000)
                .map(|(s, _)| s)
                .map_err(|e| e.message);
            let exemplars = exemplar_selector(d.shop().topology())
                .map(|selector| ExemplarDot::of(d, &selector, start, end))
                .unwrap_or_default();
            (queried, exemplars)
        });
        let chart = match queried {
            Ok(series) => view! { <Graph series start end stacked=false exemplars /> }.into_any(),
            Err(message) => view! { <ChartError message testid="latency-error" /> }.into_any(),
        };
        view! {
            <section class="panel latency" data-testid="latency-panel">
                <h2>"p99 latency by service (s)"</h2>
                <code class="muted">{QUERY}</code>
                <p class="muted">"◆ exemplars: requests recorded with their trace id — click one to open its trace."</p>
                {chart}
            </section>
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use o11y_engine::sim::topology::Topology;

    // The exemplar list named the default shop's services: a renamed one
    // had no exemplars.
    #[test]
    fn exemplars_come_from_the_topologys_http_services() {
        let mut t = Topology::default();
        t.services[0].name = "web.1".into();
        let selector = exemplar_selector(&t).unwrap();
        assert!(
            selector.contains(r#"service=~"web\\.1|api-gateway|orders|payment|inventory""#),
            "{selector}"
        );
        o11y_engine::promql::parse(&selector).unwrap();
        t.services.retain(|s| s.kind != "http");
        assert_eq!(exemplar_selector(&t), None);
    }
}
