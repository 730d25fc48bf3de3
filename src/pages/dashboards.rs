//! The Dashboards page (`#/dashboards`): Grafana dashboards drawn from the
//! demo's data — time series, stat, gauge, bar gauge, table, heatmap, logs
//! and text panels with units, thresholds and legend formats, on
//! Grafana's 24-column grid, with `label_values` variables; Grafana JSON
//! import (what is not supported is listed) and export; a panel editor.

use std::collections::HashMap;

use leptos::prelude::*;
use o11y_engine::dashboards::{
    ColorMode, Dashboard, DrawStyle, Panel, PanelKind, Reducer, Step, TargetFormat, VariableKind,
    export, format_value, import, legend, reduce, threshold_color, vars,
};

use crate::components::{DataSourceField, Graph};
use crate::state::AppState;

/// How often the simulator's panels are drawn again, in real milliseconds.
const REDRAW_REAL_MS: u32 = 2000;

/// Grafana's colour names, as the page draws them.
fn css_color(name: &str) -> &str {
    match name {
        "green" => "#73bf69",
        "yellow" => "#fade2a",
        "orange" => "#ff9830",
        "red" => "#f2495c",
        "blue" => "#5794f2",
        "purple" => "#b877d9",
        other => other,
    }
}

#[component]
pub fn DashboardsPage() -> impl IntoView {
    let AppState { demo, tick, .. } = expect_context::<AppState>();
    let chosen = RwSignal::new(0usize);
    // The simulator's panels redraw every 2 s; a real Prometheus is asked
    // again at the dashboard's refresh interval (Grafana's `refresh`).
    let refresh = tick.every(REDRAW_REAL_MS);
    let import_text = RwSignal::new(String::new());
    let report = RwSignal::new(None::<Result<Vec<String>, String>>);
    let export_url = RwSignal::new(None::<String>);
    let editing = RwSignal::new(None::<usize>);
    // A panel being dragged: its index, whether it is resized (else moved),
    // and where the pointer went down.
    let drag = RwSignal::new(None::<(usize, bool, i32, i32)>);
    let grid = NodeRef::<leptos::html::Div>::new();
    let on_drop = move |ev: leptos::ev::PointerEvent| {
        let Some((i, resize, x0, y0)) = drag.get_untracked() else {
            return;
        };
        drag.set(None);
        let width = grid
            .get_untracked()
            .map_or(1200, |g| g.client_width())
            .max(24) as f64;
        // 24 columns with 8 px gaps; rows of 30 px with 8 px gaps.
        let columns = ((ev.client_x() - x0) as f64 / ((width + 8.0) / 24.0)).round() as i64;
        let rows = ((ev.client_y() - y0) as f64 / 38.0).round() as i64;
        if columns == 0 && rows == 0 {
            return;
        }
        demo.update(|d| {
            if let Some(p) = d
                .dashboards_mut()
                .get_mut(chosen.get_untracked())
                .and_then(|x| x.panels.get_mut(i))
            {
                let g = &mut p.grid;
                if resize {
                    g.w = (g.w as i64 + columns).clamp(1, 24 - g.x as i64) as u32;
                    g.h = (g.h as i64 + rows).max(2) as u32;
                } else {
                    g.x = (g.x as i64 + columns).clamp(0, 24 - g.w as i64) as u32;
                    g.y = (g.y as i64 + rows).max(0) as u32;
                }
            }
        });
    };
    // The drop can happen anywhere in the window.
    let listener = window_event_listener(leptos::ev::pointerup, on_drop);
    on_cleanup(move || listener.remove());
    // A real Prometheus the panels query instead of the simulator.
    let remote = RwSignal::new(None::<String>);
    // The chosen dashboard's variables and time range: redrawn when they
    // change, not at every tick of the demo.
    // The whole chosen dashboard, for the panels: an edit, a move or a
    // new time range redraws them at once.
    let dash_now = Memo::new(move |_| demo.with(|d| d.dashboards().get(chosen.get()).cloned()));
    let dash_head = Memo::new(move |_| {
        dash_now.with(|d| {
            d.as_ref()
                .map(|x| (x.variables.clone(), x.time_from.clone(), x.refresh.clone()))
        })
    });
    let refresh_ms = Signal::derive(move || {
        let every = dash_head.with(|h| h.as_ref().map(|(_, _, r)| r.clone()).unwrap_or_default());
        vars::parse_interval(&every).map_or(0, |ms| ms.clamp(1_000, 86_400_000) as u32)
    });
    let live_refresh = tick.every_signal(refresh_ms);
    // In live mode, the answers to variable queries, by data source and
    // query (interpolated: a chained variable's query changes with the
    // ones before it).
    let remote_values =
        RwSignal::new(HashMap::<String, Result<Vec<String>, vars::VarError>>::new());
    let asked = StoredValue::new(std::collections::HashSet::<String>::new());
    // Chosen variable values, by name (missing: the variable's default).
    let selected = RwSignal::new(Vec::<(String, Vec<String>)>::new());
    // The multi-value picker that is open, kept open as it is redrawn.
    let open_picker = RwSignal::new(None::<String>);
    // The dashboard's time range in milliseconds and the time it ends:
    // the virtual clock, or real time in live mode.
    let time_range = move || {
        let from = dash_head.with(|h| h.as_ref().map(|(_, f, _)| f.clone()));
        let range_ms = from
            .as_deref()
            .and_then(vars::relative_range_ms)
            .unwrap_or(3_600_000);
        let now = match remote.get_untracked() {
            Some(_) => crate::timer::real_now_ms() as i64,
            None => demo.with_untracked(|d| d.now_ms()),
        };
        (now - range_ms, now)
    };
    // The variables resolved in order: options, values in use, and (live)
    // the queries not answered yet.
    let resolve = move || -> Option<vars::Resolved> {
        let (variables, _, _) = dash_head.get()?;
        let dash = Dashboard {
            variables,
            ..Dashboard::default()
        };
        let base = remote.get();
        let chosen_values = selected.get();
        let range = time_range();
        Some(match base {
            None => dash.resolve_answers(
                &chosen_values,
                &mut |q| Some(demo.with_untracked(|d| d.variable_values(q))),
                range,
            ),
            Some(base) => remote_values.with(|m| {
                dash.resolve_answers(
                    &chosen_values,
                    &mut |q| m.get(&format!("{base}\n{q}")).cloned(),
                    range,
                )
            }),
        })
    };
    // Live mode: ask Prometheus what the variables still need.
    Effect::new(move |_| {
        let Some(base) = remote.get() else { return };
        let Some(resolved) = resolve() else { return };
        for q in resolved.missing {
            let key = format!("{base}\n{q}");
            if !asked.with_value(|a| a.contains(&key)) {
                asked.update_value(|a| {
                    a.insert(key.clone());
                });
                let base = base.clone();
                leptos::task::spawn_local(async move {
                    let values = crate::prometheus_http::variable_values(&base, &q).await;
                    remote_values.update(|m| {
                        m.insert(key, values);
                    });
                });
            }
        }
    });
    let on_import = move |_| match import(&import_text.get_untracked()) {
        Ok((d, r)) => {
            let mut index = 0;
            demo.update(|demo| {
                demo.dashboards_mut().push(d);
                index = demo.dashboards().len() - 1;
            });
            chosen.set(index);
            report.set(Some(Ok(r.unsupported)));
        }
        Err(e) => report.set(Some(Err(e.to_string()))),
    };
    let on_export = move |_| {
        let json = demo
            .with_untracked(|d| d.dashboards().get(chosen.get_untracked()).map(export))
            .unwrap_or_default();
        export_url.set(crate::files::download_url(&json));
    };
    let options = move || {
        demo.with(|d| {
            d.dashboards()
                .iter()
                .enumerate()
                .map(|(i, dash)| view! { <option value=i.to_string() selected=move || chosen.get() == i>{dash.title.clone()}</option> })
                .collect_view()
        })
    };
    let variables = move || {
        let resolved = resolve()?;
        let (variables, _, _) = dash_head.get()?;
        let views = variables
            .into_iter()
            .zip(resolved.options)
            .zip(resolved.picked)
            .zip(resolved.errors)
            .filter(|(((v, _), _), _)| v.kind != VariableKind::Constant)
            .map(|(((v, options), picked), error)| {
                let name = v.name.clone();
                let pick = move |values: Vec<String>| {
                    selected.update(|s| {
                        s.retain(|(n, _)| *n != name);
                        s.push((name.clone(), values));
                    })
                };
                // All first when the variable has it.
                let listed: Vec<vars::VarOption> = v
                    .include_all
                    .then(|| vars::VarOption {
                        text: "All".into(),
                        value: vars::ALL.into(),
                    })
                    .into_iter()
                    .chain(options.iter().cloned())
                    .collect();
                let checkboxes = v.multi && v.kind != VariableKind::TextBox;
                let input = if checkboxes {
                    // Grafana's multi-value picker: a list of checkboxes
                    // that stays open while values are ticked.
                    let summary = if picked.len() == 1 && picked[0] == vars::ALL {
                        "All".to_string()
                    } else {
                        picked
                            .iter()
                            .map(|p| {
                                options
                                    .iter()
                                    .find(|o| o.value == *p)
                                    .map_or(p.clone(), |o| o.text.clone())
                            })
                            .collect::<Vec<_>>()
                            .join(" + ")
                    };
                    let name = v.name.clone();
                    let is_open = open_picker.with_untracked(|o| o.as_deref() == Some(name.as_str()));
                    // The checkboxes are built only while the list is open:
                    // built inside a closed <details> and shown when it
                    // opened, Chromium sometimes left them without a layout
                    // box (unclickable) until their style changed.
                    let shown = RwSignal::new(is_open);
                    let boxes = {
                        let v = v.clone();
                        move || {
                            shown.get().then(|| {
                                listed
                                    .iter()
                                    .map(|o| {
                                        let checked = picked.contains(&o.value);
                                        let (v, picked, value, pick) =
                                            (v.clone(), picked.clone(), o.value.clone(), pick.clone());
                                        view! {
                                            <label class="multi-option">
                                                <input type="checkbox" prop:checked=checked on:change=move |_| pick(v.toggled(&picked, &value)) />
                                                {o.text.clone()}
                                            </label>
                                        }
                                    })
                                    .collect_view()
                            })
                        }
                    };
                    view! {
                        <details class="multi-select" data-testid=format!("var-{}", v.name) prop:open=is_open
                            on:toggle=move |ev| {
                                let open = event_target::<web_sys::Element>(&ev).has_attribute("open");
                                shown.set(open);
                                open_picker.update_untracked(|o| {
                                    if open {
                                        *o = Some(name.clone());
                                    } else if o.as_deref() == Some(name.as_str()) {
                                        *o = None;
                                    }
                                });
                            }>
                            <summary>{summary}</summary>
                            <div class="multi-options">{boxes}</div>
                        </details>
                    }
                    .into_any()
                } else if v.kind == VariableKind::TextBox {
                    view! {
                        <input data-testid=format!("var-{}", v.name) prop:value=picked.first().cloned().unwrap_or_default()
                            on:change=move |ev| pick(vec![event_target_value(&ev)]) />
                    }
                    .into_any()
                } else {
                    let opts = listed
                        .into_iter()
                        .map(|o| {
                            let is_picked = picked.first() == Some(&o.value);
                            view! { <option value=o.value prop:selected=is_picked>{o.text}</option> }
                        })
                        .collect_view();
                    view! {
                        <select data-testid=format!("var-{}", v.name) on:change=move |ev| pick(vec![event_target_value(&ev)])>{opts}</select>
                    }
                    .into_any()
                };
                // As Grafana marks a variable whose query failed: a red
                // marker on the picker, the message beside it and in its tooltip.
                let class = if error.is_some() { "variable has-error" } else { "variable" };
                let error = error.map(|e| {
                    let message = format!("Error updating options: {e}");
                    let tooltip = message.clone();
                    view! {
                        <span class="var-error" data-testid="var-error" role="alert" title=tooltip>
                            <span class="var-error-mark" aria-hidden="true">"!"</span>
                            <span class="var-error-text">{message}</span>
                        </span>
                    }
                });
                // A label would name the picker's first checkbox ("All").
                if checkboxes {
                    view! { <span class=class>{format!("${} ", v.name)}{input}{error}</span> }.into_any()
                } else {
                    view! { <label class=class>{format!("${} ", v.name)}{input}{error}</label> }.into_any()
                }
            })
            .collect_view();
        Some(views)
    };
    // Grafana's quick ranges, and the dashboard's own if it is another.
    let time_picker = move || {
        let (_, from, every) = dash_head.get()?;
        let mut ranges: Vec<(String, String)> = vars::QUICK_RANGES
            .iter()
            .map(|(f, label)| (f.to_string(), label.to_string()))
            .collect();
        if !ranges.iter().any(|(f, _)| *f == from) {
            ranges.push((from.clone(), from.clone()));
        }
        let opts = ranges
            .into_iter()
            .map(|(f, label)| {
                let is_picked = f == from;
                view! { <option value=f prop:selected=is_picked>{label}</option> }
            })
            .collect_view();
        Some(view! {
            <select data-testid="dash-time" title="The dashboard's time range (time.from)" on:change=move |ev| {
                let from = event_target_value(&ev);
                demo.update(|d| {
                    if let Some(x) = d.dashboards_mut().get_mut(chosen.get_untracked()) {
                        x.time_from = from;
                    }
                });
            }>{opts}</select>
            <select data-testid="dash-refresh" title="How often a real Prometheus is asked again (Grafana's refresh); the simulator's panels redraw every 2 s" on:change=move |ev| {
                let every = event_target_value(&ev);
                demo.update(|d| {
                    if let Some(x) = d.dashboards_mut().get_mut(chosen.get_untracked()) {
                        x.refresh = every;
                    }
                });
            }>
                {vars::REFRESH_INTERVALS.iter().map(|r| {
                    let label = if r.is_empty() { "Refresh off".to_string() } else { format!("Every {r}") };
                    view! { <option value=*r prop:selected=*r == every>{label}</option> }
                }).collect_view()}
            </select>
        })
    };
    let panels = move || {
        match remote.get() {
            None => refresh.get(),
            Some(_) => live_refresh.get(),
        };
        let resolved = resolve()?;
        let dash = dash_now.get()?;
        let (start, now) = time_range();
        let grid_px = grid
            .get_untracked()
            .map_or(1200, |g| g.client_width())
            .max(240) as u64;
        let mut last_row = None;
        let mut out = Vec::new();
        // Repeated panels come once per value; each copy edits and moves
        // the panel it repeats.
        for placed in dash.layout(&resolved) {
            let (i, p, scope) = (placed.index, &placed.panel, &placed.scope);
            if p.row != last_row {
                if let Some(r) = &p.row {
                    // The row's title on the grid line above its first panel.
                    let style = format!("grid-row: {};", p.grid.y.max(1));
                    out.push(
                        view! { <h3 class="dash-row" style=style data-testid="dash-row">{r.clone()}</h3> }
                            .into_any(),
                    );
                }
                last_row = p.row.clone();
            }
            let style = format!(
                "grid-column: {} / span {}; grid-row: {} / span {};",
                p.grid.x.min(23) + 1,
                p.grid.w.clamp(1, 24 - p.grid.x.min(23)),
                p.grid.y + 1,
                p.grid.h.max(2)
            );
            let window = p.query_window(
                now,
                now - start,
                grid_px * u64::from(p.grid.w.clamp(1, 24)) / 24,
            );
            let body = match remote.get() {
                None => panel_body(Source::Demo(&demo), p, scope, &window),
                Some(base) => {
                    view! { <RemotePanel panel=p.clone() scope=scope.clone() window base /> }
                        .into_any()
                }
            };
            out.push(
                view! {
                    <figure class="panel dash-panel" style=style data-testid="dash-panel" data-kind=p.kind.as_str() data-grid=format!("{},{},{},{}", p.grid.x, p.grid.y, p.grid.w, p.grid.h) data-step=window.step_ms.to_string()>
                        <figcaption
                            class="drag-handle"
                            title="Drag to move"
                            on:pointerdown=move |ev: leptos::ev::PointerEvent| drag.set(Some((i, false, ev.client_x(), ev.client_y())))
                        >
                            <span class="panel-title">{p.title.clone()}</span>
                            <button class="link" data-testid="panel-edit" on:click=move |_| editing.set(Some(i))>"Edit"</button>
                        </figcaption>
                        {body}
                        <span
                            class="resize-handle"
                            data-testid="panel-resize"
                            title="Drag to resize"
                            on:pointerdown=move |ev: leptos::ev::PointerEvent| {
                                ev.stop_propagation();
                                drag.set(Some((i, true, ev.client_x(), ev.client_y())));
                            }
                        ></span>
                    </figure>
                }
                .into_any(),
            );
        }
        Some(out)
    };
    view! {
        <section class="dashboards" data-testid="dashboards-page">
            <div class="dash-toolbar">
                <select data-testid="dashboard-select" on:change=move |ev| { chosen.set(event_target_value(&ev).parse().unwrap_or(0)); editing.set(None); }>{options}</select>
                {time_picker}
                {variables}
                <DataSourceField remote testid="dash-datasource" />
                <button data-testid="dashboard-export" on:click=on_export>"Export JSON"</button>
                {move || export_url.get().map(|u| view! { <a href=u download="dashboard.json" data-testid="dashboard-export-link">"dashboard.json"</a> })}
            </div>
            <details class="panel">
                <summary>"Import a Grafana dashboard (JSON)"</summary>
                <textarea data-testid="dashboard-import-text" rows="8" spellcheck="false" prop:value=move || import_text.get() on:input=move |ev| import_text.set(event_target_value(&ev))></textarea>
                <button data-testid="dashboard-import" on:click=on_import>"Import"</button>
                {move || report.get().map(|r| match r {
                    Ok(left) if left.is_empty() => view! { <p class="ok-text" data-testid="import-report">"Imported; everything in it is supported."</p> }.into_any(),
                    Ok(left) => view! {
                        <div data-testid="import-report">
                            <p>"Imported. Not supported, left out:"</p>
                            <ul>{left.into_iter().map(|l| view! { <li data-testid="import-unsupported">{l}</li> }).collect_view()}</ul>
                        </div>
                    }.into_any(),
                    Err(e) => view! { <p class="error-text" data-testid="import-report">{format!("Not imported: {e}")}</p> }.into_any(),
                })}
            </details>
            {move || editing.get().map(|i| view! { <PanelEditor dashboard=chosen index=i editing /> })}
            <div class="dash-grid" node_ref=grid>{panels}</div>
        </section>
    }
}

/// Answers fetched from a real Prometheus for one panel, by expression.
#[derive(Clone, Default)]
struct Fetched {
    range: HashMap<String, Result<Vec<o11y_engine::promql::eval::RangeSeries>, String>>,
    instant: HashMap<String, Result<Vec<(o11y_engine::model::labels::Labels, f64)>, String>>,
}

/// Where a panel's numbers come from.
#[derive(Clone, Copy)]
enum Source<'a> {
    Demo(&'a RwSignal<o11y_engine::demo::Demo>),
    Prometheus(&'a Fetched),
}

/// A panel drawn from a real Prometheus: its queries fetched, then drawn
/// as the in-page ones are.
#[component]
fn RemotePanel(
    panel: Panel,
    scope: vars::Scope,
    window: vars::QueryWindow,
    base: String,
) -> impl IntoView {
    let fetched = RwSignal::new(None::<Fetched>);
    let exprs: Vec<(String, bool)> = panel
        .targets
        .iter()
        .map(|t| {
            (
                scope.interpolate(&t.expr, Some(&window.intervals)),
                reads_range(panel.kind, t),
            )
        })
        .collect();
    leptos::task::spawn_local(async move {
        let mut f = Fetched::default();
        for (e, range) in exprs {
            if range {
                let answer = crate::prometheus_http::query_range(
                    &base,
                    &e,
                    window.start_ms,
                    window.end_ms,
                    window.step_ms,
                )
                .await;
                f.range.insert(e, answer);
            } else {
                let answer = crate::prometheus_http::query(&base, &e, window.now_ms).await;
                f.instant.insert(e, answer);
            }
        }
        fetched.set(Some(f));
    });
    move || match fetched.get() {
        None => view! { <p class="muted">"Querying Prometheus…"</p> }.into_any(),
        Some(f) => panel_body(Source::Prometheus(&f), &panel, &scope, &window),
    }
}

/// Whether a panel reads ranges (graphs) or the latest values.
/// Whether a panel's target is a range query (graphs; stats, gauges and
/// bar gauges reduce a range unless the target is `instant`) or reads the
/// latest values.
fn reads_range(kind: PanelKind, target: &o11y_engine::dashboards::Target) -> bool {
    match kind {
        PanelKind::TimeSeries | PanelKind::Heatmap => true,
        PanelKind::Stat | PanelKind::Gauge | PanelKind::BarGauge => !target.instant,
        PanelKind::Table | PanelKind::Logs | PanelKind::Text => false,
    }
}

/// A panel's content for its kind.
fn panel_body(
    source: Source<'_>,
    p: &Panel,
    scope: &vars::Scope,
    window: &vars::QueryWindow,
) -> AnyView {
    let (start, end, now, step) = (
        window.start_ms,
        window.end_ms,
        window.now_ms,
        window.step_ms,
    );
    let exprs: Vec<(String, String)> = p
        .targets
        .iter()
        .map(|t| {
            (
                scope.interpolate(&t.expr, Some(&window.intervals)),
                scope.interpolate(&t.legend_format, Some(&window.intervals)),
            )
        })
        .collect();
    let ranged: Vec<bool> = p.targets.iter().map(|t| reads_range(p.kind, t)).collect();
    let range = |expr: &str| match source {
        Source::Demo(demo) => o11y_engine::promql::parse(expr)
            .map_err(|e| e.to_string())
            .and_then(|e| {
                demo.with_untracked(|d| d.range_query(&e, start, end, step))
                    .map(|(s, _)| s)
                    .map_err(|e| e.message)
            }),
        Source::Prometheus(f) => f.range.get(expr).cloned().unwrap_or_else(|| Ok(Vec::new())),
    };
    let vector = |expr: &str| -> Result<Vec<(o11y_engine::model::labels::Labels, f64)>, String> {
        match source {
            Source::Demo(demo) => {
                let e = o11y_engine::promql::parse(expr).map_err(|e| e.to_string())?;
                match demo
                    .with_untracked(|d| d.instant_query(&e, now))
                    .map_err(|e| e.message)?
                {
                    o11y_engine::promql::eval::Value::Vector(v) => {
                        Ok(v.into_iter().map(|s| (s.labels, s.value)).collect())
                    }
                    o11y_engine::promql::eval::Value::Scalar(f) => {
                        Ok(vec![(o11y_engine::model::labels::Labels::default(), f)])
                    }
                    _ => Err("not a vector".into()),
                }
            }
            Source::Prometheus(f) => f
                .instant
                .get(expr)
                .cloned()
                .unwrap_or_else(|| Ok(Vec::new())),
        }
    };
    // A target's values: its latest, or each series reduced by the
    // panel's calculation (Grafana's `reduceOptions.calcs`).
    let values_of = |i: usize| -> Result<Vec<(o11y_engine::model::labels::Labels, f64)>, String> {
        let expr = &exprs[i].0;
        if !ranged[i] {
            return vector(expr);
        }
        Ok(range(expr)?
            .into_iter()
            .filter_map(|s| {
                let points: Vec<f64> = s.samples.iter().map(|x| x.value).collect();
                Some((s.labels, reduce(p.reducer, &points)?))
            })
            .collect())
    };
    let color_of = |v: f64| {
        threshold_color(&p.thresholds, v)
            .map(css_color)
            .unwrap_or("#5794f2")
            .to_string()
    };
    match p.kind {
        PanelKind::Text => markdown(&p.content).into_any(),
        PanelKind::TimeSeries => {
            let mut series = Vec::new();
            let mut names = Vec::new();
            for (expr, fmt) in &exprs {
                match range(expr) {
                    Ok(s) => {
                        names.extend(s.iter().map(|x| legend(fmt, &x.labels)));
                        series.extend(s);
                    }
                    Err(e) => return view! { <p class="error-text">{e}</p> }.into_any(),
                }
            }
            let threshold = p.thresholds.iter().find_map(|s| s.value);
            view! { <Graph series start end stacked=p.stacked threshold names draw_style=p.draw_style.as_str() /> }.into_any()
        }
        PanelKind::Stat | PanelKind::Gauge => {
            let value = if exprs.is_empty() {
                Ok(Vec::new())
            } else {
                values_of(0)
            };
            match value {
                Err(e) => view! { <p class="error-text">{e}</p> }.into_any(),
                Ok(v) if v.is_empty() => {
                    view! { <div class="stat-value muted" data-testid="stat-value">"No data"</div> }
                        .into_any()
                }
                Ok(v) => {
                    let x = v[0].1;
                    let color = color_of(x);
                    let text = format_value(x, &p.unit);
                    if p.kind == PanelKind::Stat {
                        // Grafana's colour modes: the number, the panel, or neither.
                        let style = match p.color_mode {
                            ColorMode::Background => format!("background:{color};color:#111317"),
                            ColorMode::None => String::new(),
                            ColorMode::Value | ColorMode::Other(_) => format!("color:{color}"),
                        };
                        view! { <div class="stat-value" class:stat-background=p.color_mode == ColorMode::Background style=style data-testid="stat-value" data-color=threshold_color(&p.thresholds, x).unwrap_or("none").to_string()>{text}</div> }.into_any()
                    } else {
                        let max = gauge_max(&p.thresholds, &p.unit, x);
                        let frac = (x / max).clamp(0.0, 1.0);
                        let angle = std::f64::consts::PI * (1.0 - frac);
                        let (ex, ey) = (60.0 + 50.0 * angle.cos(), 60.0 - 50.0 * angle.sin());
                        view! {
                            <svg viewBox="0 0 120 70" class="gauge" data-testid="gauge" data-color=threshold_color(&p.thresholds, x).unwrap_or("none").to_string()>
                                <path d="M10,60 A50,50 0 0 1 110,60" class="gauge-track" />
                                <path d=format!("M10,60 A50,50 0 0 1 {ex:.2},{ey:.2}") stroke=color.clone() class="gauge-value" />
                                <text x="60" y="58" text-anchor="middle" class="gauge-text">{text}</text>
                            </svg>
                        }
                        .into_any()
                    }
                }
            }
        }
        PanelKind::BarGauge | PanelKind::Table => {
            let mut rows = Vec::new();
            for (i, (_, fmt)) in exprs.iter().enumerate() {
                if let Ok(v) = values_of(i) {
                    rows.extend(v.into_iter().map(|(l, x)| (legend(fmt, &l), x)));
                }
            }
            let max = rows.iter().map(|r| r.1).fold(f64::MIN, f64::max).max(1e-12);
            if p.kind == PanelKind::Table {
                let body = rows.into_iter().map(|(n, v)| view! { <tr data-testid="dash-table-row"><td>{n}</td><td class="num">{format_value(v, &p.unit)}</td></tr> }).collect_view();
                view! { <table class="result-table"><thead><tr><th>"Series"</th><th>"Value"</th></tr></thead><tbody>{body}</tbody></table> }.into_any()
            } else {
                rows.into_iter()
                    .map(|(n, v)| {
                        let width = (v / max * 100.0).clamp(0.0, 100.0);
                        view! {
                            <div class="bar-row" data-testid="bar-row">
                                <span class="bar-name">{n}</span>
                                <span class="bar" style=format!("width:{width:.1}%;background:{}", color_of(v))></span>
                                <span class="bar-value">{format_value(v, &p.unit)}</span>
                            </div>
                        }
                    })
                    .collect_view()
                    .into_any()
            }
        }
        PanelKind::Heatmap => {
            let Some((expr, _)) = exprs.first() else {
                return ().into_any();
            };
            match range(expr) {
                Err(e) => view! { <p class="error-text">{e}</p> }.into_any(),
                Ok(mut series) => {
                    // Buckets bottom to top by `le`; a `heatmap` format
                    // query draws the count in each bucket.
                    if p.targets
                        .first()
                        .is_some_and(|t| t.format == TargetFormat::Heatmap)
                    {
                        o11y_engine::dashboards::buckets_to_counts(&mut series);
                    } else {
                        o11y_engine::dashboards::sort_by_le(&mut series);
                    }
                    let max = series
                        .iter()
                        .flat_map(|s| s.samples.iter().map(|p| p.value))
                        .fold(0.0f64, f64::max)
                        .max(1e-12);
                    let rows = series.len().max(1) as f64;
                    let steps = ((end - start) / step + 1) as f64;
                    let cells = series
                        .iter()
                        .enumerate()
                        .flat_map(|(r, s)| {
                            s.samples.iter().map(move |p| {
                                let x = (p.ts_ms - start) as f64 / step as f64 / steps * 300.0;
                                let y = (rows - 1.0 - r as f64) / rows * 100.0;
                                view! { <rect x=x y=y width=300.0 / steps + 0.3 height=100.0 / rows + 0.3 fill="#ff9830" fill-opacity=(p.value / max).clamp(0.05, 1.0) /> }
                            })
                        })
                        .collect_view();
                    view! { <svg viewBox="0 0 300 100" preserveAspectRatio="none" class="heatmap" data-testid="heatmap">{cells}</svg> }.into_any()
                }
            }
        }
        PanelKind::Logs => {
            let Some((expr, _)) = exprs.first() else {
                return ().into_any();
            };
            let Source::Demo(demo) = source else {
                return view! { <p class="muted">"Logs panels read the page's own logs."</p> }
                    .into_any();
            };
            let q = o11y_engine::logs::metric::LogQuery {
                start_ns: start * 1_000_000,
                end_ns: now * 1_000_000 + 1,
                step_ms: 0,
                limit: 30,
            };
            match demo.with_untracked(|d| d.logql(expr, &q)) {
                Ok(o11y_engine::logs::metric::LogqlResult::Logs(lines)) => view! {
                    <ul class="dash-logs">{lines.into_iter().map(|l| view! { <li class="mono">{l.line}</li> }).collect_view()}</ul>
                }
                .into_any(),
                Ok(_) => view! { <p class="muted">"A logs panel shows log queries."</p> }.into_any(),
                Err(e) => view! { <p class="error-text">{e.to_string()}</p> }.into_any(),
            }
        }
    }
}

fn gauge_max(steps: &[Step], unit: &str, value: f64) -> f64 {
    match unit {
        "percent" => 100.0,
        "percentunit" => 1.0,
        _ => steps.iter().filter_map(|s| s.value).fold(value, f64::max) * 1.25,
    }
    .max(1e-12)
}

/// A text panel's Markdown, as elements (no HTML).
fn markdown(text: &str) -> impl IntoView + use<> {
    let text = text.to_string();
    view! { <div class="markdown" data-testid="text-panel"><crate::components::Markdown text=text /></div> }
}

/// Edits a panel: title, type, query, legend, unit, thresholds.
#[component]
fn PanelEditor(
    dashboard: RwSignal<usize>,
    index: usize,
    editing: RwSignal<Option<usize>>,
) -> impl IntoView {
    let AppState { demo, .. } = expect_context::<AppState>();
    let Some(panel) = demo.with_untracked(|d| {
        d.dashboards()
            .get(dashboard.get_untracked())
            .and_then(|x| x.panels.get(index))
            .cloned()
    }) else {
        return ().into_any();
    };
    let title = RwSignal::new(panel.title.clone());
    let kind = RwSignal::new(panel.kind);
    let expr = RwSignal::new(
        panel
            .targets
            .first()
            .map(|t| t.expr.clone())
            .unwrap_or_default(),
    );
    let fmt = RwSignal::new(
        panel
            .targets
            .first()
            .map(|t| t.legend_format.clone())
            .unwrap_or_default(),
    );
    let unit = RwSignal::new(panel.unit.clone());
    let draw_style = RwSignal::new(panel.draw_style);
    let reducer = RwSignal::new(panel.reducer);
    let stacked = RwSignal::new(panel.stacked);
    let steps = RwSignal::new(
        panel
            .thresholds
            .iter()
            .map(|s| match s.value {
                Some(v) => format!("{}:{v}", s.color),
                None => s.color.clone(),
            })
            .collect::<Vec<_>>()
            .join(" "),
    );
    let error = RwSignal::new(None::<String>);
    let window_of = {
        let panel = panel.clone();
        move |now_ms| panel.query_window(now_ms, 3_600_000, 600)
    };
    let save = move |_| {
        let e = expr.get_untracked();
        let kind_now = kind.get_untracked();
        if !matches!(kind_now, PanelKind::Text | PanelKind::Logs) && !e.trim().is_empty() {
            // Checked as it would run: variables at their defaults, the
            // intervals of a 1 h range.
            let expanded = demo.with_untracked(|d| {
                let dash = d.dashboards().get(dashboard.get_untracked())?;
                let now = d.now_ms();
                let scope = dash
                    .resolve_answers(
                        &[],
                        &mut |q| Some(d.variable_values(q)),
                        (now - 3_600_000, now),
                    )
                    .scope;
                let window = window_of(now);
                Some(scope.interpolate(&e, Some(&window.intervals)))
            });
            if let Err(err) = o11y_engine::promql::parse(&expanded.unwrap_or_else(|| e.clone())) {
                error.set(Some(format!("query: {err}")));
                return;
            }
        }
        let mut thresholds = Vec::new();
        for part in steps.get_untracked().split_whitespace() {
            let (color, value) = match part.split_once(':') {
                Some((c, v)) => match v.parse::<f64>() {
                    Ok(v) => (c.to_string(), Some(v)),
                    Err(_) => {
                        error.set(Some(format!(
                            "threshold {part:?}: write colour:value, such as red:0.05"
                        )));
                        return;
                    }
                },
                None => (part.to_string(), None),
            };
            thresholds.push(Step { value, color });
        }
        demo.update(|d| {
            if let Some(p) = d
                .dashboards_mut()
                .get_mut(dashboard.get_untracked())
                .and_then(|x| x.panels.get_mut(index))
            {
                p.title = title.get_untracked();
                p.kind = kind_now;
                p.unit = unit.get_untracked();
                p.thresholds = thresholds.clone();
                p.draw_style = draw_style.get_untracked();
                p.reducer = reducer.get_untracked();
                p.stacked = stacked.get_untracked();
                if kind_now == PanelKind::Text {
                    p.content = e.clone();
                } else if let Some(t) = p.targets.first_mut() {
                    t.expr = e.clone();
                    t.legend_format = fmt.get_untracked();
                } else {
                    p.targets.push(o11y_engine::dashboards::Target {
                        expr: e.clone(),
                        legend_format: fmt.get_untracked(),
                        ref_id: "A".into(),
                        instant: false,
                        format: TargetFormat::TimeSeries,
                    });
                }
            }
        });
        editing.set(None);
    };
    let field = |label: &'static str, signal: RwSignal<String>, id: &'static str| {
        view! { <label>{label} <input class="wide" data-testid=id prop:value=move || signal.get() on:input=move |ev| signal.set(event_target_value(&ev)) /></label> }
    };
    if panel.kind == PanelKind::Text {
        expr.set(panel.content.clone());
    }
    view! {
        <div class="panel panel-editor" data-testid="panel-editor">
            <h2>"Edit panel"</h2>
            {field("Title ", title, "edit-title")}
            <label>"Type "
                <select data-testid="edit-type" on:change=move |ev| { if let Some(k) = PanelKind::from_name(&event_target_value(&ev)) { kind.set(k) } }>
                    {PanelKind::ALL.into_iter().map(|t| view! { <option value=t.as_str() selected=move || kind.get() == t>{t.as_str()}</option> }).collect_view()}
                </select>
            </label>
            {field("Query (text for a text panel) ", expr, "edit-expr")}
            {field("Legend ", fmt, "edit-legend")}
            <label>"Draw "
                <select data-testid="edit-draw" on:change=move |ev| { if let Some(d) = DrawStyle::from_name(&event_target_value(&ev)) { draw_style.set(d) } }>
                    {DrawStyle::ALL.into_iter().map(|t| view! { <option value=t.as_str() selected=move || draw_style.get() == t>{t.as_str()}</option> }).collect_view()}
                </select>
            </label>
            <label title="How a stat, gauge or bar gauge turns each series into one value">"Calculation "
                <select data-testid="edit-calc" on:change=move |ev| { if let Some(r) = Reducer::from_name(&event_target_value(&ev)) { reducer.set(r) } }>
                    {Reducer::ALL.into_iter().map(|t| view! { <option value=t.as_str() selected=move || reducer.get() == t>{t.as_str()}</option> }).collect_view()}
                </select>
            </label>
            <label>
                <input type="checkbox" data-testid="edit-stacked" prop:checked=move || stacked.get() on:change=move |ev| stacked.set(event_target_checked(&ev)) />
                " Stacked"
            </label>
            {field("Unit (s, ms, bytes, percent, percentunit, reqps, short) ", unit, "edit-unit")}
            {field("Thresholds (green yellow:0.01 red:0.05) ", steps, "edit-thresholds")}
            <button data-testid="edit-save" on:click=save>"Save"</button>
            <button on:click=move |_| editing.set(None)>"Cancel"</button>
            {move || error.get().map(|e| view! { <p class="error-text" data-testid="edit-error">{e}</p> })}
        </div>
    }
    .into_any()
}
