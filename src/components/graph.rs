//! The graph every page draws query results with: series over time as
//! lines, bars or points (stacked when asked), a legend, a tooltip with
//! the values at the hovered step, a threshold, and exemplar diamonds that
//! open their traces; and the error shown where a chart would be when its
//! query failed. An SVG with a fixed `viewBox`, so the state bands under
//! an alert's graph line up with it through [`x_of`].
//!
//! ```ignore
//! view! { <Graph series start end stacked=false exemplars /> }
//! ```

use leptos::prelude::*;
use o11y_engine::promql::eval::RangeSeries;

use crate::charts::{format_axis_value, format_clock_time, label_text, short_value};
use crate::fragment::{self, TracesUrl};

/// Series drawn at most; the legend says how many were left out.
const MAX_DRAWN: usize = 40;
const PALETTE: [&str; 8] = [
    "#7eb26d", "#eab839", "#6ed0e0", "#ef843c", "#e24d42", "#1f78c1", "#ba43a9", "#705da0",
];
/// The `viewBox` width and height, and the plot's margins inside it.
pub const WIDTH: f64 = 900.0;
const HEIGHT: f64 = 300.0;
pub const LEFT: f64 = 56.0;
const BOTTOM: f64 = 24.0;
const TOP: f64 = 10.0;
pub const RIGHT: f64 = 12.0;

/// Where time `t` falls across a graph of `start..=end`, in `viewBox` units.
pub fn x_of(start: i64, end: i64) -> impl Fn(i64) -> f64 + Copy {
    let span = (end - start).max(1) as f64;
    move |t: i64| LEFT + (t - start) as f64 / span * (WIDTH - LEFT - RIGHT)
}

fn series_name(s: &RangeSeries) -> String {
    label_text(&s.labels)
}

/// An exemplar drawn on a graph: a diamond at its time and value that
/// opens its trace.
#[derive(Clone, Debug, PartialEq)]
pub struct ExemplarDot {
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
pub fn ChartError(message: String, testid: &'static str) -> impl IntoView {
    view! {
        <div class="chart-error" role="alert" data-testid=testid>
            <p class="query-error">{message}</p>
        </div>
    }
}

/// A graph of range-query series over `start..=end`: a line (or bars,
/// or points) per series, a legend with each one's last value, the values
/// at the hovered time, and exemplars and a threshold drawn over them.
#[component]
pub fn Graph(
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
    let lines = o11y_engine::chart::lines(&series, MAX_DRAWN, stacked);
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
    let x = x_of(start, end);
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
            let href = TracesUrl::link(&e.trace_id);
            let open = move |_| fragment::go(&href);
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
