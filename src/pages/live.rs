//! The live demo page: requests per second and the error-rate stat.

use leptos::prelude::*;
use o11y_engine::chart::Thresholds;
use plotters_canvas::CanvasBackend;

use crate::charts::{TimeSeriesView, draw_time_series};
use crate::state::{AppState, Notice};

#[component]
pub fn LivePage() -> impl IntoView {
    view! {
        <section class="panels">
            <RequestsChart />
            <ErrorRateStat />
        </section>
        <Examples />
    }
}

/// The built-in example workspaces: one click opens each where it is told.
#[component]
fn Examples() -> impl IntoView {
    let AppState { demo, notice, .. } = expect_context::<AppState>();
    let cards = o11y_engine::workspace::examples()
        .into_iter()
        .map(|e| {
            let ws = e.workspace.clone();
            let name = e.name;
            let open = move |_| {
                let now = crate::timer::real_now_ms() as i64;
                match o11y_engine::demo::Demo::start_from_workspace(&ws, now) {
                    Ok((d, _)) => {
                        demo.set(d);
                        notice.set(Some(Notice {
                            message: format!("Opened the example \"{name}\"."),
                            download: None,
                        }));
                        crate::fragment::go(&ws.view);
                    }
                    Err(err) => notice.set(Some(Notice {
                        message: format!("The example could not open: {err}"),
                        download: None,
                    })),
                }
            };
            view! {
                <li class="panel example">
                    <strong>{e.name}</strong>
                    <p class="muted">{e.about}</p>
                    <button data-testid=format!("example-{}", e.id) on:click=open>"Open"</button>
                </li>
            }
        })
        .collect_view();
    view! {
        <section class="examples" data-testid="examples">
            <h2>"Examples"</h2>
            <ul class="example-list">{cards}</ul>
        </section>
    }
}

/// The live "Requests per second" time-series panel.
#[component]
fn RequestsChart() -> impl IntoView {
    let AppState { demo, tick, .. } = expect_context::<AppState>();
    let canvas = NodeRef::<leptos::html::Canvas>::new();
    // Redrawn at every tick while the clock runs, and at once after an edit.
    let drawn = Memo::new(move |_| {
        tick.track();
        demo.with(|d| (d.requests_per_second(), d.window()))
    });
    Effect::new(move |_| {
        let Some(element) = canvas.get() else { return };
        let (points, (x_start_ms, x_end_ms)) = drawn.get();
        let Some(backend) = CanvasBackend::with_canvas_object(element) else {
            return;
        };
        let view = TimeSeriesView {
            points: &points,
            x_start_ms,
            x_end_ms,
        };
        if let Err(e) = draw_time_series(backend, &view) {
            leptos::logging::warn!("requests chart: {e}");
        } else if !points.is_empty() {
            // Its start time is the time from navigation to the first
            // frame with data (the end-to-end tests print it).
            crate::perf::mark_once("first-data-frame");
        }
    });
    // The entry service of the topology in effect: the panel follows a
    // renamed or replaced one.
    let entry = Memo::new(move |_| demo.with(|d| d.entry_service().to_string()));
    let latest = Memo::new(move |_| drawn.with(|(points, _)| points.last().map(|p| p.1)));
    view! {
        <figure class="panel chart" data-testid="rps-panel" data-service=move || entry.get()>
            <figcaption>
                <span class="panel-title">"Requests per second"</span>
                <code data-testid="rps-query">
                    {move || format!("sum(rate(http_requests_total{{service={:?}}}[1m]))", entry.get())}
                </code>
                <span class="muted" data-testid="rps-now">
                    {move || latest.get().map_or_else(|| "no requests yet".to_string(), |r| format!("now {r:.1} req/s"))}
                </span>
            </figcaption>
            <canvas node_ref=canvas width="900" height="320" data-testid="rps-chart"></canvas>
        </figure>
    }
}

/// The "Error rate" stat panel, coloured by its thresholds.
#[component]
fn ErrorRateStat() -> impl IntoView {
    let AppState { demo, tick, .. } = expect_context::<AppState>();
    let ratio = Memo::new(move |_| {
        tick.track();
        demo.with(|d| d.error_ratio())
    });
    let thresholds = Thresholds::error_ratio();
    let color = Memo::new(move |_| {
        ratio
            .get()
            .map_or("none", |r| thresholds.color_for(r).name())
    });
    view! {
        <figure
            class=move || format!("panel stat stat-{}", color.get())
            data-testid="error-rate-stat"
            data-color=color
        >
            <figcaption class="panel-title">"Error rate"</figcaption>
            <div class="stat-value" data-testid="error-rate-value">
                {move || ratio.get().map_or_else(|| "No data".to_string(), |r| format!("{:.2}%", r * 100.0))}
            </div>
            <div class="stat-hint" data-testid="error-rate-hint">
                {move || format!("{}: 5xx ÷ all requests, last 1m · yellow ≥ 1%, red ≥ 5%", demo.with(|d| d.entry_service().to_string()))}
            </div>
        </figure>
    }
}
