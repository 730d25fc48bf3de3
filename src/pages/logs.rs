//! The Logs page: paste or drop logs (ingested in chunks, with progress and
//! cancel), query them with LogQL (highlighting, errors at their span,
//! autocomplete of labels and parsed fields), see lines newest first with
//! matches highlighted and a volume histogram by level, expand a line to
//! its labels, and inspect each pipeline stage. Metric queries draw a
//! graph. The query, range and a small paste live in the URL.

use std::collections::BTreeSet;

use leptos::prelude::*;
use o11y_engine::logs::assist::{complete, inspect, matches_in, parsed_fields, volume};
use o11y_engine::logs::ingest::IngestOptions;
use o11y_engine::logs::metric::{LogLine, LogQuery, LogqlResult};
use o11y_engine::logs::parser::{highlight, parse_log_query};
use o11y_engine::logs::pipeline::StageTrace;
use o11y_engine::model::labels::Labels;
use o11y_engine::promql::assist::Completions;

use crate::charts::format_clock_time;
use crate::components::{Graph, QueryEditor, RangePicker, Resolution, Tokens};
use crate::fragment::{self, LogsUrl, SharedPaste, TracesUrl};
use crate::state::AppState;

/// Lines a log query shows at most.
const LIMIT: usize = 500;
/// Pastes up to this size go into the URL when shared.
const URL_PASTE_LIMIT: usize = 2_000;
/// Bytes ingested per step of a large paste (the page stays responsive between steps).
const CHUNK_BYTES: usize = 512 * 1024;
const VOLUME_BUCKETS: usize = 60;

/// LogQL's tokens with their CSS classes.
fn logql_tokens(text: &str) -> Tokens {
    highlight(text)
        .into_iter()
        .map(|(r, c)| (r, c.css()))
        .collect()
}

fn level_color(level: &str) -> &'static str {
    match level {
        "error" | "err" | "critical" | "fatal" => "#f2495c",
        "warn" | "warning" => "#fade2a",
        "info" | "information" => "#73bf69",
        "debug" | "trace" => "#5794f2",
        _ => "#8e8e9e",
    }
}

/// `HH:MM:SS.mmm` of a time in nanoseconds.
fn clock_ms(ts_ns: i64) -> String {
    let ms = ts_ns.div_euclid(1_000_000);
    format!("{}.{:03}", format_clock_time(ms), ms.rem_euclid(1000))
}

/// What a chunked ingest reads and updates between its steps.
#[derive(Clone, Copy)]
struct IngestSignals {
    demo: RwSignal<o11y_engine::demo::Demo>,
    progress: RwSignal<Option<Progress>>,
    cancel: RwSignal<bool>,
    report: RwSignal<Option<String>>,
    error: RwSignal<Option<String>>,
    refresh: RwSignal<u64>,
}

/// A chunked ingest in progress.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Progress {
    done: usize,
    total: usize,
}

#[component]
pub fn LogsPage() -> impl IntoView {
    let AppState { demo, tick, .. } = expect_context::<AppState>();
    let url = LogsUrl::from_fragment(&fragment::current());
    let query = RwSignal::new(url.query);
    let range = RwSignal::new(url.range_ms);
    let paste = RwSignal::new(String::new());
    let shared_paste = RwSignal::new(None::<String>);
    let job = RwSignal::new("pasted".to_string());
    let label_fields = RwSignal::new("level".to_string());
    let report = RwSignal::new(None::<String>);
    let ingest_error = RwSignal::new(None::<String>);
    let progress = RwSignal::new(None::<Progress>);
    let cancel = RwSignal::new(false);
    let expanded = RwSignal::new(BTreeSet::<(usize, usize)>::new());
    let inspected = RwSignal::new(None::<(usize, usize)>);
    let completions = RwSignal::new(Completions::default());
    let selected = RwSignal::new(0usize);
    let refresh = RwSignal::new(0u64);
    // A lesson's Check takes the query from here.
    let drafts = expect_context::<AppState>().drafts;
    Effect::new(move |_| drafts.logql.set(query.get()));

    // Ingests `text` in chunks at line boundaries, one per timer turn.
    let start_ingest = move |text: String| {
        ingest_error.set(None);
        report.set(None);
        let room = demo.with_untracked(|d| d.logs().max_bytes() - d.logs().bytes());
        if text.len() > room {
            ingest_error.set(Some(format!(
                "This paste is {:.1} MB; the log store has room for {:.1} MB more. Nothing was stored; what is stored stays.",
                text.len() as f64 / 1e6,
                room as f64 / 1e6
            )));
            return;
        }
        let labels = Labels::new([("job", job.get_untracked())]);
        let fields: Vec<String> = label_fields
            .get_untracked()
            .split(',')
            .map(|f| f.trim().to_string())
            .filter(|f| !f.is_empty())
            .collect();
        let arrival_ns = demo.with_untracked(|d| d.now_ms()) * 1_000_000;
        cancel.set(false);
        progress.set(Some(Progress {
            done: 0,
            total: text.len(),
        }));
        let text = std::rc::Rc::new(text);
        fn step(
            text: std::rc::Rc<String>,
            at: usize,
            lines_before: usize,
            options: IngestOptions,
            state: IngestSignals,
        ) {
            let IngestSignals {
                demo,
                progress,
                cancel,
                report,
                error,
                refresh,
            } = state;
            if cancel.get_untracked() {
                progress.set(None);
                report.set(Some(format!(
                    "Cancelled: {lines_before} lines stored before the cancel are kept."
                )));
                refresh.update(|n| *n += 1);
                return;
            }
            let mut end = (at + CHUNK_BYTES).min(text.len());
            while end < text.len() && !text.is_char_boundary(end) {
                end += 1;
            }
            if end < text.len() {
                end = text[end..].find('\n').map_or(text.len(), |i| end + i + 1);
            }
            let chunk = &text[at..end];
            let options_now = IngestOptions {
                arrival_ns: options.arrival_ns + lines_before as i64 * 1_000_000,
                ..options.clone()
            };
            let result = demo.try_update(|d| d.ingest_logs(chunk, &options_now));
            let lines = match result {
                Some(Ok(r)) => r.lines,
                Some(Err(e)) => {
                    error.set(Some(e.to_string()));
                    progress.set(None);
                    return;
                }
                None => 0,
            };
            let total_lines = lines_before + lines;
            if end >= text.len() {
                progress.set(None);
                report.set(Some(format!(
                    "Stored {total_lines} lines with {}.",
                    options.labels
                )));
                refresh.update(|n| *n += 1);
                return;
            }
            progress.set(Some(Progress {
                done: end,
                total: text.len(),
            }));
            set_timeout(
                move || step(text, end, total_lines, options, state),
                std::time::Duration::from_millis(0),
            );
        }
        let options = IngestOptions {
            labels,
            label_fields: fields,
            arrival_ns,
        };
        step(
            text,
            0,
            0,
            options,
            IngestSignals {
                demo,
                progress,
                cancel,
                report,
                error: ingest_error,
                refresh,
            },
        );
    };

    // A paste from a shared link is ingested once, with its job and label fields.
    if let Some(j) = url.job {
        job.set(j);
    }
    if let Some(f) = url.fields {
        label_fields.set(f);
    }
    if let Some(p) = url.paste {
        shared_paste.set(Some(p.clone()));
        paste.set(p.clone());
        start_ingest(p);
    }

    // The URL follows the query, range and a small paste.
    Effect::new(move |_| {
        let text = query.get();
        let range_ms = range.get();
        let paste = shared_paste
            .get()
            .filter(|p| p.len() <= URL_PASTE_LIMIT)
            .map(|text| SharedPaste {
                text,
                job: job.get_untracked(),
                fields: label_fields.get_untracked(),
            });
        fragment::replace(&LogsUrl::fragment(&text, range_ms, paste.as_ref()));
    });

    // The time range: the last `range`, or everything stored (up to the newest line).
    let time_range = move || {
        refresh.get();
        demo.with_untracked(|d| {
            let now_ns = d.now_ms() * 1_000_000;
            let newest = d
                .logs()
                .streams()
                .iter()
                .filter_map(|s| s.last_ts())
                .max()
                .unwrap_or(now_ns);
            let oldest = d
                .logs()
                .streams()
                .iter()
                .filter_map(|s| s.first_ts())
                .min()
                .unwrap_or(now_ns);
            let end = now_ns.max(newest) + 1;
            match range.get() {
                Some(ms) => (end - ms * 1_000_000, end),
                None => (oldest, end),
            }
        })
    };
    // Run again when the demo changes (a paste, a reset, its history
    // filled in behind the first frame), not with time.
    let result = Memo::new(move |_| {
        demo.track();
        let text = query.get();
        let (start_ns, end_ns) = time_range();
        let step_ms = Resolution::LOG_METRICS.step_ms((end_ns - start_ns) / 1_000_000);
        let q = LogQuery {
            start_ns,
            end_ns,
            step_ms,
            limit: LIMIT,
        };
        let out = crate::perf::measure("logql-query", || {
            demo.with_untracked(|d| d.logql(&text, &q))
        });
        out.map(|r| (r, q)).map_err(|e| (e.span, e.message))
    });

    let on_input = move |text: String, at: usize| {
        query.set(text.clone());
        inspected.set(None);
        let c =
            demo.with_untracked(|d| complete(&text, at, d.logs(), &parsed_fields(d.logs(), 50)));
        completions.set(c);
        selected.set(0);
    };
    let query_error = Signal::derive(move || result.with(|r| r.as_ref().err().cloned()));
    // A chosen or dropped file: named after the file unless a job was typed.
    let read_file = move |file: web_sys::File| {
        if job.get_untracked() == "pasted" {
            job.set(
                file.name()
                    .split('.')
                    .next()
                    .unwrap_or("pasted")
                    .to_string(),
            );
        }
        leptos::task::spawn_local(async move {
            match wasm_bindgen_futures::JsFuture::from(file.text()).await {
                Ok(v) => start_ingest(v.as_string().unwrap_or_default()),
                Err(e) => ingest_error.set(Some(format!(
                    "The file could not be read as text: {}",
                    crate::files::refusal_text(&e)
                ))),
            }
        });
    };
    let on_file = move |ev: leptos::ev::Event| {
        use wasm_bindgen::JsCast;
        if let Some(file) = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
            .and_then(|input| input.files())
            .and_then(|f| f.get(0))
        {
            read_file(file);
        }
    };
    let on_drop = move |ev: leptos::ev::DragEvent| {
        ev.prevent_default();
        if let Some(file) = ev
            .data_transfer()
            .and_then(|d| d.files())
            .and_then(|f| f.get(0))
        {
            read_file(file);
        }
    };

    view! {
        <section class="logs" data-testid="logs-page">
            <details class="panel paste-logs" open=true>
                <summary>"Add logs: paste, drop or choose a file (JSON lines, logfmt, plain text, Loki push JSON, OTLP/JSON)"</summary>
                <textarea
                    data-testid="logs-paste"
                    on:dragover=move |ev: leptos::ev::DragEvent| ev.prevent_default()
                    on:drop=on_drop
                    rows="5"
                    placeholder="{\"level\":\"error\",\"msg\":\"…\"} or level=info msg=… or any text"
                    prop:value=move || paste.get()
                    on:input=move |ev| paste.set(event_target_value(&ev))
                ></textarea>
                <div class="paste-options">
                    <label>"job " <input data-testid="logs-job" prop:value=move || job.get() on:input=move |ev| job.set(event_target_value(&ev)) /></label>
                    <label>"labels from fields " <input data-testid="logs-label-fields" prop:value=move || label_fields.get() on:input=move |ev| label_fields.set(event_target_value(&ev)) /></label>
                    <button
                        data-testid="logs-ingest"
                        on:click=move |_| {
                            let text = paste.get_untracked();
                            shared_paste.set((text.len() <= URL_PASTE_LIMIT).then(|| text.clone()));
                            start_ingest(text);
                        }
                    >
                        "Store lines"
                    </button>
                    <label class="file">"or a file " <input type="file" data-testid="logs-file" on:change=on_file /></label>
                </div>
                {move || progress.get().map(|p| view! {
                    <div class="progress" data-testid="logs-progress">
                        <progress max=p.total value=p.done></progress>
                        {format!(" {:.1} of {:.1} MB ", p.done as f64 / 1e6, p.total as f64 / 1e6)}
                        <button data-testid="logs-cancel" on:click=move |_| cancel.set(true)>"Cancel"</button>
                    </div>
                })}
                {move || report.get().map(|r| view! { <p class="ok" data-testid="logs-ingest-report">{r}</p> })}
                {move || ingest_error.get().map(|e| view! { <p class="query-error" role="alert" data-testid="logs-ingest-error">{e}</p> })}
            </details>
            <QueryEditor
                query
                completions
                selected
                error=query_error
                highlight=logql_tokens
                on_input
                on_close=|| {}
                input_testid="logql-input"
                label="LogQL query"
                error_testid="logql-error"
            />
            <div class="explore-toolbar">
                <RangePicker ranges=LogsUrl::RANGES.to_vec() range testid_prefix=Some("logs-range-") />
                <span class="muted" data-testid="logs-store-info">
                    {move || {
                        refresh.get();
                        tick.track();
                        demo.with(|d| format!("{} lines, {:.1} MB stored", d.logs().line_count(), d.logs().bytes() as f64 / 1e6))
                    }}
                </span>
            </div>
            {move || match result.get() {
                Err(_) => ().into_any(),
                Ok((LogqlResult::Matrix(series), q)) => {
                    let start = q.start_ns / 1_000_000;
                    let end = q.end_ns / 1_000_000;
                    view! {
                        <p class="query-info" data-testid="logs-query-info">{format!("{} series", series.len())}</p>
                        <Graph series start end stacked=false />
                    }.into_any()
                }
                Ok((LogqlResult::Logs(lines), q)) => {
                    let text = query.get_untracked();
                    let expr = parse_log_query(&text).ok();
                    let bars = expr.as_ref().map(|e| demo.with_untracked(|d| volume(e, d.logs(), &q, VOLUME_BUCKETS))).unwrap_or_default();
                    view! {
                        <VolumeChart bars start_ns=q.start_ns end_ns=q.end_ns />
                        <p class="query-info" data-testid="logs-query-info">{format!("{} lines (newest first, at most {LIMIT})", lines.len())}</p>
                        <LogLines lines query=text expanded inspected />
                    }.into_any()
                }
            }}
            {move || inspected.get().map(|at| {
                let text = query.get();
                let trace = parse_log_query(&text).map(|e| demo.with_untracked(|d| inspect(&e, d.logs(), at))).unwrap_or_default();
                view! { <Inspector trace on_close=move || inspected.set(None) /> }
            })}
        </section>
    }
}

/// Lines per time bucket, stacked by level.
#[component]
fn VolumeChart(bars: Vec<(String, Vec<u64>)>, start_ns: i64, end_ns: i64) -> impl IntoView {
    const W: f64 = 900.0;
    const H: f64 = 90.0;
    let buckets = bars.first().map_or(VOLUME_BUCKETS, |b| b.1.len()).max(1);
    let totals: Vec<u64> = (0..buckets)
        .map(|i| bars.iter().map(|b| b.1[i]).sum())
        .collect();
    let max = totals.iter().copied().max().unwrap_or(0).max(1) as f64;
    let width = W / buckets as f64;
    let mut rects = Vec::new();
    for i in 0..buckets {
        let mut y = H - 14.0;
        for (level, counts) in &bars {
            let h = counts[i] as f64 / max * (H - 18.0);
            if h > 0.0 {
                y -= h;
                rects.push(view! {
                    <rect x=i as f64 * width + 1.0 y=y width=(width - 2.0).max(1.0) height=h fill=level_color(level) data-testid="volume-bar">
                        <title>{format!("{level}: {}", counts[i])}</title>
                    </rect>
                });
            }
        }
    }
    let legend = bars
        .iter()
        .map(|(level, counts)| {
            let total: u64 = counts.iter().sum();
            view! {
                <li data-testid="volume-level">
                    <span class="swatch" style=format!("background:{}", level_color(level))></span>
                    {format!("{level} {total}")}
                </li>
            }
        })
        .collect_view();
    view! {
        <figure class="panel volume" data-testid="logs-volume">
            <svg viewBox=format!("0 0 {W} {H}") role="img" aria-label="Log volume by level">
                {rects}
                <text x="2" y=H - 2.0 class="axis">{clock_ms(start_ns)}</text>
                <text x=W - 2.0 y=H - 2.0 class="axis" text-anchor="end">{clock_ms(end_ns)}</text>
            </svg>
            <ul class="legend">{legend}</ul>
        </figure>
    }
}

/// A line's text with the filter matches marked (text only, never HTML).
fn marked(text: &str, ranges: Vec<std::ops::Range<usize>>) -> impl IntoView + use<> {
    let mut parts = Vec::new();
    let mut at = 0;
    for r in ranges {
        if r.start < at
            || r.end > text.len()
            || !text.is_char_boundary(r.start)
            || !text.is_char_boundary(r.end)
        {
            continue;
        }
        parts.push((text[at..r.start].to_string(), false));
        parts.push((text[r.clone()].to_string(), true));
        at = r.end;
    }
    parts.push((text[at..].to_string(), false));
    parts
        .into_iter()
        .filter(|(p, _)| !p.is_empty())
        .map(|(p, hit)| {
            if hit {
                view! { <mark>{p}</mark> }.into_any()
            } else {
                view! { <span>{p}</span> }.into_any()
            }
        })
        .collect_view()
}

#[component]
fn LogLines(
    lines: Vec<LogLine>,
    query: String,
    expanded: RwSignal<BTreeSet<(usize, usize)>>,
    inspected: RwSignal<Option<(usize, usize)>>,
) -> impl IntoView {
    let expr = parse_log_query(&query).ok();
    let rows = lines
        .into_iter()
        .map(|l| {
            let at = l.at;
            let level = l
                .labels
                .iter()
                .find(|(n, _)| n == "level" || n == "detected_level")
                .map_or(String::new(), |(_, v)| v.to_lowercase());
            let ranges = expr.as_ref().map(|e| matches_in(e, &l.line)).unwrap_or_default();
            let labels = l.labels.clone();
            // A trace id (a label, or a field of a JSON line) links to its trace.
            let trace_link = labels
                .iter()
                .find(|(n, _)| n == "trace_id")
                .map(|(_, v)| v.clone())
                .or_else(|| {
                    o11y_engine::logs::ingest::json_fields(&l.line)
                        .and_then(|f| f.into_iter().find(|(k, _)| k == "trace_id").map(|(_, v)| v))
                })
                .filter(|t| o11y_engine::traces::TraceId::from_hex(t).is_some());
            let stream: BTreeSet<String> = l.stream.iter().map(|x| x.name.clone()).collect();
            view! {
                <li class="log-line" data-testid="log-line">
                    <div class="log-row" on:click=move |_| expanded.update(|e| if !e.remove(&at) { e.insert(at); })>
                        <span class="log-time">{clock_ms(l.ts_ns)}</span>
                        <span class="log-level" style=format!("border-color:{}", level_color(&level))>{level.clone()}</span>
                        <span class="log-text" data-testid="log-text">{marked(&l.line, ranges)}</span>
                    </div>
                    {move || expanded.get().contains(&at).then(|| {
                        let rows = labels.iter().map(|(n, v)| {
                            let kind = if stream.contains(n) { "stream label" } else { "parsed / metadata" };
                            view! { <tr><td class="label-name">{n.clone()}</td><td>{v.clone()}</td><td class="muted">{kind}</td></tr> }
                        }).collect_view();
                        view! {
                            <div class="log-details" data-testid="log-details">
                                <table>{rows}</table>
                                <button data-testid="inspect-line" on:click=move |_| inspected.set(Some(at))>"Inspect stages"</button>
                                {trace_link.clone().map(|t| view! { " " <a href=TracesUrl::link(&t) data-testid="log-trace-link">"Trace " {t.clone()} " →"</a> })}
                            </div>
                        }
                    })}
                </li>
            }
        })
        .collect_view();
    view! { <ul class="log-lines" data-testid="log-lines">{rows}</ul> }
}

/// Each pipeline stage's effect on one line.
#[component]
fn Inspector(trace: Vec<StageTrace>, on_close: impl Fn() + Send + Sync + 'static) -> impl IntoView {
    let empty = trace.is_empty();
    let stages = trace
        .into_iter()
        .map(|t| {
            let changed = t.changed.iter().map(|(n, v)| format!("{n}={v:?}")).collect::<Vec<_>>().join(" ");
            let removed = t.removed.join(", ");
            view! {
                <li class="stage" class:dropped=!t.kept data-testid="inspector-stage">
                    <code>{t.stage}</code>
                    <span class="stage-verdict" data-testid="stage-verdict">{if t.kept { "kept" } else { "dropped" }}</span>
                    {(!changed.is_empty()).then(|| view! { <p class="stage-labels">"labels: " {changed}</p> })}
                    {(!removed.is_empty()).then(|| view! { <p class="stage-labels">"removed: " {removed}</p> })}
                    {t.line.map(|l| view! { <p class="stage-line">"line: " {l}</p> })}
                    {t.error.map(|e| view! { <p class="query-error">"__error__: " {e}</p> })}
                </li>
            }
        })
        .collect_view();
    view! {
        <section class="panel inspector" data-testid="stage-inspector">
            <h2>"Stage inspector " <button on:click=move |_| on_close()>"Close"</button></h2>
            {empty.then(|| view! { <p class="muted">"The query has no pipeline stages: the selector alone chose this line."</p> })}
            <ol>{stages}</ol>
        </section>
    }
}
