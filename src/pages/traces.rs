//! The Traces page: search the shop's traces (service, operation,
//! duration, errors, trace id), see them as a duration-over-time scatter
//! and a list, open one as a waterfall (collapsible, the critical path
//! marked, span details with attributes, events and exceptions), see the
//! service map, and go from a span to its logs. The open trace is in the
//! URL (`#/traces?trace=…`).

use std::collections::HashSet;

use leptos::prelude::*;
use o11y_engine::traces::view::{Edge, Node, service_map, waterfall};
use o11y_engine::traces::{Span, SpanId, StatusCode, TraceId, TraceQuery, TraceSummary};

use crate::charts::format_clock_time;
use crate::components::{ChartError, ExemplarDot, Graph};
use crate::fragment::{self, LogsUrl, TracesUrl};
use crate::state::AppState;

/// How often the search, the service map and the latency panel are drawn
/// again, in real milliseconds.
const REDRAW_REAL_MS: u32 = 2000;

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
    let refresh = Signal::derive(move || redraws.get() + imports.get());
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
            {move || selected.get().map(|id| view! { <TraceView id /> })}
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
/// Traces with more rows than this are drawn virtually.
const VIRTUAL_FROM_ROWS: usize = 300;
/// Rows in view in a virtual list's box, and drawn above and below it.
const VIEW_ROWS: usize = 40;
const OVERSCAN_ROWS: usize = 20;

/// One trace as a waterfall, with the chosen span's details.
#[component]
fn TraceView(id: TraceId) -> impl IntoView {
    let AppState { demo, .. } = expect_context::<AppState>();
    let spans: Vec<Span> = demo.with_untracked(|d| {
        d.traces()
            .trace(&id)
            .map(|s| s.into_iter().cloned().collect())
            .unwrap_or_default()
    });
    if spans.is_empty() {
        return view! { <p class="query-error" data-testid="trace-missing">{format!("Trace {id} is not in the store (it may have been evicted).")}</p> }.into_any();
    }
    let refs: Vec<&Span> = spans.iter().collect();
    let rows = waterfall(&refs);
    let start = spans.iter().map(|s| s.start_ns).min().unwrap_or(0);
    let end = spans.iter().map(|s| s.end_ns).max().unwrap_or(1);
    let total = (end - start).max(1) as f64;
    let collapsed = RwSignal::new(HashSet::<SpanId>::new());
    let chosen = RwSignal::new(None::<usize>);
    // Each row's ancestors, so a collapsed span hides its subtree.
    let mut ancestors: Vec<Vec<SpanId>> = Vec::with_capacity(rows.len());
    let mut path: Vec<(usize, SpanId)> = Vec::new();
    for r in &rows {
        while path.last().is_some_and(|(d, _)| *d >= r.depth) {
            path.pop();
        }
        ancestors.push(path.iter().map(|(_, id)| *id).collect());
        path.push((r.depth, spans[r.span].span_id));
    }
    let spans = std::sync::Arc::new(spans);
    let rows = std::sync::Arc::new(rows.into_iter().zip(ancestors).collect::<Vec<_>>());
    // Rows are plain elements, drawn again only when a span is collapsed,
    // a row is chosen, or (for a large trace) the list scrolls: then only
    // the rows in view, and a few around them, are in the page.
    let visible = Memo::new({
        let rows = rows.clone();
        move |_| {
            let shut = collapsed.get();
            std::sync::Arc::new(
                rows.iter()
                    .enumerate()
                    .filter(|(_, (_, ancestors))| !ancestors.iter().any(|a| shut.contains(a)))
                    .map(|(i, _)| i)
                    .collect::<Vec<usize>>(),
            )
        }
    });
    let scroll_top = RwSignal::new(0.0f64);
    let list_spans = spans.clone();
    let row_views = move || {
        let shut = collapsed.get();
        let chosen_now = chosen.get();
        let shown = visible.get();
        let n = shown.len();
        let (from, to) = if n <= VIRTUAL_FROM_ROWS {
            (0, n)
        } else {
            let first = (scroll_top.get() / ROW_PX).floor().max(0.0) as usize;
            let from = first.saturating_sub(OVERSCAN_ROWS).min(n);
            (from, (first + VIEW_ROWS + OVERSCAN_ROWS).min(n))
        };
        let rendered = shown[from..to]
            .iter()
            .map(|&i| {
                let r = &rows[i].0;
                let s = &list_spans[r.span];
                let left = (s.start_ns - start) as f64 / total * 100.0;
                let width = ((s.duration_ns() as f64 / total) * 100.0).max(0.3);
                let span_id = s.span_id;
                let index = r.span;
                let toggle = (r.children > 0).then(|| {
                    let label = if shut.contains(&span_id) { "▸" } else { "▾" };
                    view! {
                        <button class="wf-toggle" data-testid="waterfall-toggle" on:click=move |ev| {
                            ev.stop_propagation();
                            collapsed.update(|c| if !c.remove(&span_id) { c.insert(span_id); });
                        }>
                            {label}
                        </button>
                    }
                });
                view! {
                    <div
                        class="wf-row"
                        class:critical=r.critical
                        class:chosen=chosen_now == Some(index)
                        class:error=s.status.code == StatusCode::Error
                        data-testid="waterfall-row"
                        on:click=move |_| chosen.set(Some(index))
                    >
                        <div class="wf-name" style=format!("padding-left:{}rem", r.depth as f64 * 0.9)>
                            {toggle}
                            <span class="wf-service">{s.service().to_string()}</span>
                            " "
                            <span>{s.name.clone()}</span>
                        </div>
                        <div class="wf-track">
                            <div class="wf-bar" style=format!("left:{left:.3}%;width:{width:.3}%")></div>
                            <span class="wf-duration">{ms(s.duration_ns())}</span>
                        </div>
                    </div>
                }
            })
            .collect_view();
        let pad = |rows: usize| format!("height:{}px", rows as f64 * ROW_PX);
        view! {
            <div style=pad(from)></div>
            {rendered}
            <div style=pad(n - to)></div>
        }
    };
    let on_scroll = move |ev: leptos::ev::Event| {
        use wasm_bindgen::JsCast;
        if let Some(el) = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
        {
            scroll_top.set(el.scroll_top() as f64);
        }
    };
    let is_virtual = Memo::new(move |_| visible.with(|v| v.len()) > VIRTUAL_FROM_ROWS);
    let details_spans = spans.clone();
    // Once the rows are in the page: how long opening the trace took.
    Effect::new(move |_| crate::perf::measure_since("waterfall-render", "waterfall-start"));
    view! {
        <section class="panel waterfall" data-testid="waterfall">
            <h2>
                {format!("Trace {id} · {} spans · {}", spans.len(), ms(end - start))}
                <span class="muted">" · critical path marked"</span>
            </h2>
            <div
                class="wf-scroll"
                class:virtualized=is_virtual
                data-testid="waterfall-rows"
                data-rows=move || visible.with(|v| v.len())
                on:scroll=on_scroll
            >
                {row_views}
            </div>
            {move || chosen.get().map(|i| {
                let s = details_spans[i].clone();
                view! { <SpanDetails span=s /> }
            })}
        </section>
    }
    .into_any()
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
