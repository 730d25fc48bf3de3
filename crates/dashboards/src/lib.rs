//! Dashboards in Grafana's JSON model: panels (time series, stat, gauge,
//! bar gauge, table, heatmap, logs, text), their queries and legend
//! formats, units, thresholds, grid positions, rows, the time range and
//! template variables (`vars`). Import keeps what it understands and lists
//! what it does not (panel types, fields, variable types), never dropping
//! it silently; export writes Grafana's JSON, which imports back to the
//! same dashboard.

pub mod vars;

use serde_json::{Map, Value, json};

use o11y_model::labels::Labels;

/// The panel types the playground draws.
pub const PANEL_TYPES: [&str; 8] = [
    "timeseries",
    "stat",
    "gauge",
    "bargauge",
    "table",
    "heatmap",
    "logs",
    "text",
];

/// How a time series panel draws its series (Grafana's `drawStyle`).
pub const DRAW_STYLES: [&str; 3] = ["line", "bars", "points"];

#[derive(Clone, Debug, PartialEq)]
pub struct GridPos {
    pub x: u32,
    pub y: u32,
    pub w: u32,
    pub h: u32,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Target {
    pub expr: String,
    pub legend_format: String,
    pub ref_id: String,
    /// Grafana's `instant`: one value at the end of the range instead of
    /// a range query.
    pub instant: bool,
    /// Grafana's `format`: `time_series` (empty), `table` or `heatmap`
    /// (cumulative `le` buckets drawn as the count in each bucket).
    pub format: String,
}

/// Series in the order of their `le` label, lowest bucket first (`+Inf`
/// and series without one last): a heatmap's rows from the bottom.
pub fn sort_by_le(series: &mut [o11y_promql::eval::RangeSeries]) {
    let le = |s: &o11y_promql::eval::RangeSeries| {
        s.labels
            .get("le")
            .and_then(o11y_model::number::parse_float)
            .unwrap_or(f64::INFINITY)
    };
    series.sort_by(|a, b| le(a).total_cmp(&le(b)));
}

/// Cumulative histogram buckets (series with an `le` label) as the count
/// in each bucket, as Grafana's Prometheus data source turns a `heatmap`
/// format query: sorted by `le`, each bucket less the one below it at
/// the same time (never below 0).
pub fn buckets_to_counts(series: &mut [o11y_promql::eval::RangeSeries]) {
    sort_by_le(series);
    for i in (1..series.len()).rev() {
        let (below, above) = series.split_at_mut(i);
        let below = &below[i - 1].samples;
        for point in &mut above[0].samples {
            if let Ok(j) = below.binary_search_by_key(&point.ts_ms, |b| b.ts_ms) {
                point.value = (point.value - below[j].value).max(0.0);
            }
        }
    }
}

/// Grafana's reducers a stat, gauge or bar gauge turns a series into a
/// value with (`options.reduceOptions.calcs`).
pub const REDUCERS: [&str; 14] = [
    "lastNotNull",
    "last",
    "firstNotNull",
    "first",
    "mean",
    "max",
    "min",
    "sum",
    "count",
    "range",
    "diff",
    "median",
    "stdDev",
    "changeCount",
];

/// A series' values reduced as Grafana's reducer `calc` does (NaN counts
/// as null, as Grafana reads Prometheus's NaN); `None` when there is
/// nothing to reduce.
pub fn reduce(calc: &str, values: &[f64]) -> Option<f64> {
    let real: Vec<f64> = values.iter().copied().filter(|v| !v.is_nan()).collect();
    let n = real.len() as f64;
    match calc {
        "last" => values.last().copied(),
        "first" => values.first().copied(),
        "firstNotNull" => real.first().copied(),
        "count" => Some(values.len() as f64),
        "changeCount" => Some(
            values
                .windows(2)
                .filter(|w| w[0] != w[1] && !(w[0].is_nan() && w[1].is_nan()))
                .count() as f64,
        ),
        _ if real.is_empty() => None,
        "mean" => Some(real.iter().sum::<f64>() / n),
        "max" => real.iter().copied().reduce(f64::max),
        "min" => real.iter().copied().reduce(f64::min),
        "sum" => Some(real.iter().sum()),
        "range" => {
            Some(real.iter().copied().reduce(f64::max)? - real.iter().copied().reduce(f64::min)?)
        }
        "diff" => Some(real[real.len() - 1] - real[0]),
        "median" => {
            let mut sorted = real.clone();
            sorted.sort_by(f64::total_cmp);
            let mid = sorted.len() / 2;
            Some(if sorted.len().is_multiple_of(2) {
                (sorted[mid - 1] + sorted[mid]) / 2.0
            } else {
                sorted[mid]
            })
        }
        "stdDev" => {
            let mean = real.iter().sum::<f64>() / n;
            Some((real.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n).sqrt())
        }
        _ => real.last().copied(),
    }
}

/// A threshold step: from `value` up (the first has none: "base").
#[derive(Clone, Debug, PartialEq)]
pub struct Step {
    pub value: Option<f64>,
    pub color: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Panel {
    pub id: u64,
    /// One of [`PANEL_TYPES`].
    pub kind: String,
    pub title: String,
    pub grid: GridPos,
    pub targets: Vec<Target>,
    pub unit: String,
    pub thresholds: Vec<Step>,
    /// Markdown of a text panel.
    pub content: String,
    /// Time series drawn stacked.
    pub stacked: bool,
    /// How a time series is drawn: one of [`DRAW_STYLES`] (Grafana's
    /// `custom.drawStyle`).
    pub draw_style: String,
    /// A stat's colour mode: `value` (the number coloured), `background`
    /// (the panel coloured) or `none`.
    pub color_mode: String,
    /// The title of the row the panel is under, if any.
    pub row: Option<String>,
    /// How a stat, gauge or bar gauge reduces a series: one of
    /// [`REDUCERS`].
    pub reducer: String,
    /// The panel's minimum step (Grafana's `interval`, such as `30s`);
    /// empty for the scrape interval.
    pub min_interval: String,
    /// Grafana's `maxDataPoints`: the points a range query asks for; the
    /// panel's width in pixels when unset.
    pub max_data_points: Option<u64>,
    /// Repeated once per value of this variable (Grafana's `repeat`);
    /// empty for none.
    pub repeat: String,
    /// `h` (side by side, wrapping at `max_per_row`) or `v` (stacked).
    pub repeat_direction: String,
    pub max_per_row: Option<u32>,
}

/// A template variable (see [`vars`] for how it is resolved).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Variable {
    pub name: String,
    /// One of [`vars::VARIABLE_TYPES`].
    pub kind: String,
    /// A query variable's query (`label_values(metric, label)`, …), a
    /// custom variable's `a, b, c`, an interval variable's `1m,5m`, a
    /// constant's or a text box's value.
    pub query: String,
    pub multi: bool,
    pub include_all: bool,
    /// What "All" stands for instead of every option (`.*`).
    pub all_value: Option<String>,
    /// The values saved as chosen (`$__all` for All).
    pub current: Vec<String>,
    /// A query variable's `/regex/` over its values.
    pub regex: String,
    /// Grafana's sort: 0 none, 1–2 alphabetical, 3–4 numerical, 5–6
    /// alphabetical ignoring case.
    pub sort: u8,
    /// An interval variable's `auto` option, its step count and minimum.
    pub auto: bool,
    pub auto_count: u32,
    pub auto_min: String,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Dashboard {
    pub uid: String,
    pub title: String,
    /// Grafana's `time.from` (`now-1h`).
    pub time_from: String,
    /// Grafana's `refresh` (`30s`), empty for off.
    pub refresh: String,
    pub variables: Vec<Variable>,
    pub panels: Vec<Panel>,
}

/// What an import left out, for the user.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ImportReport {
    pub unsupported: Vec<String>,
}

fn str_of(v: &Value, key: &str) -> String {
    v.get(key)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

const PANEL_FIELDS: [&str; 19] = [
    "repeat",
    "repeatDirection",
    "maxPerRow",
    "id",
    "type",
    "title",
    "gridPos",
    "targets",
    "fieldConfig",
    "options",
    "datasource",
    "description",
    "pluginVersion",
    "collapsed",
    "panels",
    "transparent",
    "interval",
    "maxDataPoints",
    "links",
];

/// Imports a Grafana dashboard (the dashboard object, or an export with a
/// `dashboard` key).
pub fn import(text: &str) -> Result<(Dashboard, ImportReport), String> {
    let root: Value = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
    let d = root
        .get("dashboard")
        .filter(|d| d.is_object())
        .unwrap_or(&root);
    if !d.is_object() {
        return Err("a dashboard is a JSON object".into());
    }
    let mut report = ImportReport::default();
    let mut dash = Dashboard {
        uid: str_of(d, "uid"),
        title: str_of(d, "title"),
        time_from: d
            .pointer("/time/from")
            .and_then(Value::as_str)
            .unwrap_or("now-1h")
            .to_string(),
        refresh: String::new(),
        variables: Vec::new(),
        panels: Vec::new(),
    };
    if let Some(from) = d.pointer("/time/from").and_then(Value::as_str)
        && vars::relative_range_ms(from).is_none()
    {
        report.unsupported.push(format!(
            "time range from {from:?}: only relative times such as now-6h are read (the last hour is shown)"
        ));
        dash.time_from = "now-1h".into();
    }
    if let Some(to) = d.pointer("/time/to").and_then(Value::as_str)
        && to != "now"
    {
        report
            .unsupported
            .push(format!("time range to {to:?}: ranges end now"));
    }
    match d.get("refresh") {
        None | Some(Value::Bool(false)) => {}
        Some(Value::String(r)) if r.is_empty() || vars::parse_interval(r).is_some() => {
            dash.refresh = r.clone();
        }
        Some(other) => report
            .unsupported
            .push(format!("refresh {other}: not an interval (refresh is off)")),
    }
    for v in d
        .pointer("/templating/list")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if let Some(var) = import_variable(v, &mut report) {
            dash.variables.push(var);
        }
    }
    let mut row: Option<String> = None;
    let panels = d
        .get("panels")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    for p in &panels {
        let kind = str_of(p, "type");
        if kind == "row" {
            row = Some(str_of(p, "title"));
            if let Some(var) = p
                .get("repeat")
                .and_then(Value::as_str)
                .filter(|v| !v.is_empty())
            {
                report.unsupported.push(format!(
                    "row {:?}: repeated by ${var} (drawn once)",
                    str_of(p, "title")
                ));
            }
            // A collapsed row keeps its panels inside it.
            for inner in p
                .get("panels")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                import_panel(inner, row.clone(), &mut dash, &mut report);
            }
            continue;
        }
        import_panel(p, row.clone(), &mut dash, &mut report);
    }
    Ok((dash, report))
}

/// A variable of a kind the page resolves; the others are listed.
fn import_variable(v: &Value, report: &mut ImportReport) -> Option<Variable> {
    let kind = str_of(v, "type");
    let name = str_of(v, "name");
    let query = match v.get("query") {
        Some(Value::String(q)) => q.clone(),
        Some(q) => q
            .get("query")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string(),
        None => String::new(),
    };
    // The data-source field stands in for a data-source variable; export
    // writes one back.
    if kind == "datasource" {
        return None;
    }
    if !vars::VARIABLE_TYPES.contains(&kind.as_str()) {
        report
            .unsupported
            .push(format!("variable ${name}: type {kind:?} is not supported"));
        return None;
    }
    if kind == "query" && vars::parse_query(&query).is_none() {
        report.unsupported.push(format!(
            "variable ${name}: {query:?} is not a Prometheus variable query (label_values, label_names, metrics, query_result)"
        ));
        return None;
    }
    // A regex that does not compile is kept, as Grafana keeps it: the
    // variable's picker shows the error (`Dashboard::resolve_answers`).
    let regex = str_of(v, "regex");
    let current = match v.pointer("/current/value") {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect(),
        _ => Vec::new(),
    };
    Some(Variable {
        name,
        query,
        multi: v.get("multi").and_then(Value::as_bool).unwrap_or(false),
        include_all: v
            .get("includeAll")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        all_value: v
            .get("allValue")
            .and_then(Value::as_str)
            .filter(|a| !a.is_empty())
            .map(str::to_string),
        current,
        regex,
        sort: v
            .get("sort")
            .and_then(Value::as_u64)
            .filter(|s| *s <= 6)
            .unwrap_or(0) as u8,
        auto: v.get("auto").and_then(Value::as_bool).unwrap_or(false),
        auto_count: v
            .get("auto_count")
            .and_then(Value::as_u64)
            .unwrap_or(30)
            .clamp(1, 10_000) as u32,
        auto_min: v
            .get("auto_min")
            .and_then(Value::as_str)
            .unwrap_or("10s")
            .to_string(),
        kind,
    })
}

fn import_panel(p: &Value, row: Option<String>, dash: &mut Dashboard, report: &mut ImportReport) {
    let mut kind = str_of(p, "type");
    let title = str_of(p, "title");
    if kind == "graph" {
        kind = "timeseries".into(); // Grafana's old graph panel is today's time series
    }
    if !PANEL_TYPES.contains(&kind.as_str()) {
        report
            .unsupported
            .push(format!("panel {title:?}: type {kind:?} is not supported"));
        return;
    }
    if let Some(obj) = p.as_object() {
        for k in obj.keys().filter(|k| !PANEL_FIELDS.contains(&k.as_str())) {
            report
                .unsupported
                .push(format!("panel {title:?}: field {k:?} is ignored"));
        }
    }
    let num = |path: &str| p.pointer(path).and_then(Value::as_u64).unwrap_or(0) as u32;
    let defaults = p.pointer("/fieldConfig/defaults");
    let thresholds = defaults
        .and_then(|d| d.pointer("/thresholds/steps"))
        .and_then(Value::as_array)
        .map(|steps| {
            steps
                .iter()
                .map(|s| Step {
                    value: s.get("value").and_then(Value::as_f64),
                    color: str_of(s, "color"),
                })
                .collect()
        })
        .unwrap_or_default();
    let stacked = defaults
        .and_then(|d| d.pointer("/custom/stacking/mode"))
        .and_then(Value::as_str)
        .is_some_and(|m| m != "none");
    let draw_style = defaults
        .and_then(|d| d.pointer("/custom/drawStyle"))
        .and_then(Value::as_str)
        .unwrap_or("line");
    let draw_style = if DRAW_STYLES.contains(&draw_style) {
        draw_style.to_string()
    } else {
        report.unsupported.push(format!(
            "panel {title:?}: draw style {draw_style:?} (drawn as lines)"
        ));
        "line".to_string()
    };
    let targets = p
        .get("targets")
        .and_then(Value::as_array)
        .map(|ts| {
            ts.iter()
                .filter(|t| {
                    let hidden = t.get("hide").and_then(Value::as_bool) == Some(true);
                    if hidden {
                        report.unsupported.push(format!(
                            "panel {title:?}: hidden query {:?} is left out",
                            str_of(t, "refId")
                        ));
                    }
                    !hidden
                })
                .map(|t| Target {
                    expr: str_of(t, "expr"),
                    legend_format: str_of(t, "legendFormat"),
                    ref_id: str_of(t, "refId"),
                    instant: t.get("instant").and_then(Value::as_bool) == Some(true)
                        && t.get("range").and_then(Value::as_bool) != Some(true),
                    format: match str_of(t, "format").as_str() {
                        f @ ("table" | "heatmap") => f.to_string(),
                        _ => String::new(),
                    },
                })
                .collect()
        })
        .unwrap_or_default();
    let reducer = match p
        .pointer("/options/reduceOptions/calcs/0")
        .and_then(Value::as_str)
    {
        None => "lastNotNull".to_string(),
        Some(c) if REDUCERS.contains(&c) => c.to_string(),
        Some(c) => {
            report.unsupported.push(format!(
                "panel {title:?}: calculation {c:?} (the last value is shown)"
            ));
            "lastNotNull".to_string()
        }
    };
    if p.pointer("/options/reduceOptions/values")
        .and_then(Value::as_bool)
        == Some(true)
    {
        report.unsupported.push(format!(
            "panel {title:?}: every value of the series (one calculated value is shown)"
        ));
    }
    if defaults
        .and_then(|d| d.pointer("/thresholds/mode"))
        .and_then(Value::as_str)
        == Some("percentage")
    {
        report.unsupported.push(format!(
            "panel {title:?}: percentage thresholds (read as absolute values)"
        ));
    }
    let unit = defaults
        .and_then(|d| d.get("unit"))
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    if !UNITS.contains(&unit.as_str()) {
        report.unsupported.push(format!(
            "panel {title:?}: unit {unit:?} (shown as a plain number)"
        ));
    }
    let min_interval = str_of(p, "interval");
    let min_interval = if min_interval.is_empty() || vars::parse_interval(&min_interval).is_some() {
        min_interval
    } else {
        report.unsupported.push(format!(
            "panel {title:?}: min interval {min_interval:?} is not an interval (the scrape interval is used)"
        ));
        String::new()
    };
    let repeat = str_of(p, "repeat");
    dash.panels.push(Panel {
        repeat_direction: if str_of(p, "repeatDirection") == "v" && !repeat.is_empty() {
            "v"
        } else {
            "h"
        }
        .to_string(),
        max_per_row: p
            .get("maxPerRow")
            .and_then(Value::as_u64)
            .filter(|_| !repeat.is_empty())
            .map(|n| n.clamp(1, 24) as u32),
        repeat,
        min_interval,
        max_data_points: p
            .get("maxDataPoints")
            .and_then(Value::as_u64)
            .filter(|n| *n > 0),
        id: p
            .get("id")
            .and_then(Value::as_u64)
            .unwrap_or(dash.panels.len() as u64 + 1),
        kind,
        title,
        // On the 24-column grid, as Grafana keeps panels.
        grid: GridPos {
            x: num("/gridPos/x").min(23),
            y: num("/gridPos/y"),
            w: num("/gridPos/w").clamp(1, 24 - num("/gridPos/x").min(23)),
            h: num("/gridPos/h").max(1),
        },
        targets,
        unit,
        thresholds,
        reducer,
        content: p
            .pointer("/options/content")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string(),
        stacked,
        draw_style,
        color_mode: p
            .pointer("/options/colorMode")
            .and_then(Value::as_str)
            .unwrap_or("value")
            .to_string(),
        row,
    });
}

/// The dashboard as Grafana's JSON.
pub fn export(d: &Dashboard) -> String {
    let mut panels: Vec<Value> = Vec::new();
    let mut current_row: Option<&str> = None;
    let mut next_id = d.panels.iter().map(|p| p.id).max().unwrap_or(0) + 1;
    for p in &d.panels {
        if p.row.as_deref() != current_row {
            if let Some(title) = &p.row {
                panels.push(json!({
                    "id": next_id, "type": "row", "title": title, "collapsed": false, "panels": [],
                    "gridPos": {"h": 1, "w": 24, "x": 0, "y": p.grid.y.saturating_sub(1)},
                }));
                next_id += 1;
            }
            current_row = p.row.as_deref();
        }
        let mut defaults = Map::new();
        if !p.unit.is_empty() {
            defaults.insert("unit".into(), json!(p.unit));
        }
        if !p.thresholds.is_empty() {
            let steps: Vec<Value> = p
                .thresholds
                .iter()
                .map(|s| json!({"color": s.color, "value": s.value}))
                .collect();
            defaults.insert(
                "thresholds".into(),
                json!({"mode": "absolute", "steps": steps}),
            );
        }
        let mut custom = Map::new();
        if p.stacked {
            custom.insert("stacking".into(), json!({"mode": "normal"}));
        }
        if p.draw_style != "line" {
            custom.insert("drawStyle".into(), json!(p.draw_style));
        }
        if !custom.is_empty() {
            defaults.insert("custom".into(), Value::Object(custom));
        }
        let mut panel = json!({
            "id": p.id,
            "type": p.kind,
            "title": p.title,
            "gridPos": {"h": p.grid.h, "w": p.grid.w, "x": p.grid.x, "y": p.grid.y},
            "datasource": {"type": "prometheus", "uid": "${datasource}"},
            "targets": p.targets.iter().map(|t| {
                let mut target = json!({"expr": t.expr, "legendFormat": t.legend_format, "refId": t.ref_id});
                if t.instant {
                    target["instant"] = json!(true);
                    target["range"] = json!(false);
                }
                if !t.format.is_empty() {
                    target["format"] = json!(t.format);
                }
                target
            }).collect::<Vec<_>>(),
            "fieldConfig": {"defaults": defaults, "overrides": []},
        });
        if p.kind == "text" {
            panel["options"] = json!({"mode": "markdown", "content": p.content});
        }
        if matches!(p.kind.as_str(), "stat" | "gauge" | "bargauge") {
            panel["options"] =
                json!({"reduceOptions": {"calcs": [p.reducer], "fields": "", "values": false}});
        }
        if p.kind == "stat" {
            panel["options"]["colorMode"] = json!(p.color_mode);
        }
        if !p.min_interval.is_empty() {
            panel["interval"] = json!(p.min_interval);
        }
        if let Some(n) = p.max_data_points {
            panel["maxDataPoints"] = json!(n);
        }
        if !p.repeat.is_empty() {
            panel["repeat"] = json!(p.repeat);
            panel["repeatDirection"] = json!(p.repeat_direction);
            if let Some(n) = p.max_per_row {
                panel["maxPerRow"] = json!(n);
            }
        }
        panels.push(panel);
    }
    // The panels name `${datasource}`: Grafana asks for a Prometheus there.
    let mut list = vec![json!({
        "name": "datasource", "type": "datasource", "query": "prometheus", "label": "Data source",
    })];
    list.extend(d.variables.iter().map(export_variable));
    let doc = json!({
        "uid": d.uid,
        "title": d.title,
        "schemaVersion": 39,
        "time": {"from": d.time_from, "to": "now"},
        "refresh": d.refresh,
        "templating": {"list": list},
        "panels": panels,
    });
    serde_json::to_string_pretty(&doc).unwrap_or_default()
}

fn export_variable(v: &Variable) -> Value {
    let mut out = json!({"name": v.name, "type": v.kind, "query": v.query});
    match v.kind.as_str() {
        "query" => {
            out["datasource"] = json!({"type": "prometheus", "uid": "${datasource}"});
            out["definition"] = json!(v.query);
            out["refresh"] = json!(2);
            out["regex"] = json!(v.regex);
            out["sort"] = json!(v.sort);
        }
        "interval" => {
            out["auto"] = json!(v.auto);
            out["auto_count"] = json!(v.auto_count);
            out["auto_min"] = json!(v.auto_min);
        }
        "constant" => out["hide"] = json!(2),
        _ => {}
    }
    if matches!(v.kind.as_str(), "query" | "custom") {
        out["multi"] = json!(v.multi);
        out["includeAll"] = json!(v.include_all);
        if let Some(a) = &v.all_value {
            out["allValue"] = json!(a);
        }
    }
    if !v.current.is_empty() {
        let text: Vec<&str> = v
            .current
            .iter()
            .map(|c| if c == vars::ALL { "All" } else { c.as_str() })
            .collect();
        out["current"] = if v.multi || v.current.len() > 1 {
            json!({"text": text, "value": v.current})
        } else {
            json!({"text": text.join(","), "value": v.current.join(",")})
        };
    }
    out
}

/// A legend format (`{{method}} {{endpoint}}`) with a series' labels; the
/// series' labels as written when there is no format.
pub fn legend(format: &str, labels: &Labels) -> String {
    // Grafana 9's "Auto" legend is written `__auto`.
    if format.trim().is_empty() || format.trim() == "__auto" {
        return labels.to_string();
    }
    let mut out = String::new();
    let mut rest = format;
    while let Some(open) = rest.find("{{") {
        out.push_str(&rest[..open]);
        let after = &rest[open + 2..];
        match after.find("}}") {
            Some(close) => {
                out.push_str(labels.get(after[..close].trim()).unwrap_or(""));
                rest = &after[close + 2..];
            }
            None => {
                out.push_str(&rest[open..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

/// The colour of `value` under the thresholds: the last step it reaches.
pub fn threshold_color(steps: &[Step], value: f64) -> Option<&str> {
    let mut color = None;
    for s in steps {
        match s.value {
            None => color = Some(s.color.as_str()),
            Some(v) if value >= v => color = Some(s.color.as_str()),
            _ => {}
        }
    }
    color
}

/// The Grafana units [`format_value`] writes (`""` is Grafana's default,
/// `short`).
pub const UNITS: [&str; 24] = [
    "",
    "short",
    "none",
    "percent",
    "percentunit",
    "s",
    "ms",
    "µs",
    "ns",
    "m",
    "h",
    "d",
    "bytes",
    "decbytes",
    "bits",
    "Bps",
    "binBps",
    "reqps",
    "ops",
    "rps",
    "wps",
    "iops",
    "cps",
    "pps",
];

/// A value in a Grafana unit (one of [`UNITS`]): durations (`s`, `ms`,
/// `µs`, `ns`, `m`, `h`, `d`), data (`bytes` in powers of 1024,
/// `decbytes` and `bits` of 1000, rates `Bps`, `binBps`), `percent`
/// (0–100), `percentunit` (0–1), rates (`reqps`, `ops`, `rps`, `wps`,
/// `iops`, `cps`, `pps`), `none` (as it is) and `short` (K, Mil, B).
pub fn format_value(v: f64, unit: &str) -> String {
    if !v.is_finite() {
        return o11y_model::number::format_float(v);
    }
    let short = |x: f64| {
        let a = x.abs();
        let (d, s) = if a >= 1e12 {
            (1e12, " T")
        } else if a >= 1e9 {
            (1e9, " B")
        } else if a >= 1e6 {
            (1e6, " Mil")
        } else if a >= 1e3 {
            (1e3, " K")
        } else {
            (1.0, "")
        };
        format!("{}{s}", trim(x / d))
    };
    match unit {
        "percent" => format!("{}%", trim(v)),
        "percentunit" => format!("{}%", trim(v * 100.0)),
        "s" => duration(v),
        "ms" => duration(v / 1e3),
        "µs" => duration(v / 1e6),
        "ns" => duration(v / 1e9),
        "m" => duration(v * 60.0),
        "h" => duration(v * 3_600.0),
        "d" => duration(v * 86_400.0),
        "bytes" => scaled(v, 1024.0, &["B", "KiB", "MiB", "GiB", "TiB"]),
        "decbytes" => scaled(v, 1000.0, &["B", "kB", "MB", "GB", "TB"]),
        "bits" => scaled(v, 1000.0, &["b", "kb", "Mb", "Gb", "Tb"]),
        "Bps" => scaled(v, 1000.0, &["B/s", "kB/s", "MB/s", "GB/s", "TB/s"]),
        "binBps" => scaled(v, 1024.0, &["B/s", "KiB/s", "MiB/s", "GiB/s", "TiB/s"]),
        "reqps" => format!("{} req/s", short(v)),
        "ops" => format!("{} ops/s", short(v)),
        "rps" => format!("{} rd/s", short(v)),
        "wps" => format!("{} wr/s", short(v)),
        "iops" => format!("{} io/s", short(v)),
        "cps" => format!("{} c/s", short(v)),
        "pps" => format!("{} p/s", short(v)),
        "none" => trim(v),
        _ => short(v),
    }
}

/// `v` in the largest of `names` (each `base` times the one before) that
/// keeps it at least 1.
fn scaled(v: f64, base: f64, names: &[&str]) -> String {
    let mut x = v;
    let mut i = 0;
    while x.abs() >= base && i < names.len() - 1 {
        x /= base;
        i += 1;
    }
    format!("{} {}", trim(x), names[i])
}

fn trim(x: f64) -> String {
    let digits = if x.abs() >= 100.0 {
        0
    } else if x.abs() >= 10.0 {
        1
    } else {
        2
    };
    let s = format!("{x:.digits$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

fn duration(s: f64) -> String {
    let a = s.abs();
    if a == 0.0 {
        "0 s".into()
    } else if a < 1e-3 {
        format!("{} µs", trim(s * 1e6))
    } else if a < 1.0 {
        format!("{} ms", trim(s * 1e3))
    } else if a < 60.0 {
        format!("{} s", trim(s))
    } else if a < 3600.0 {
        format!("{} min", trim(s / 60.0))
    } else if a < 86_400.0 {
        format!("{} hour", trim(s / 3600.0))
    } else {
        format!("{} day", trim(s / 86_400.0))
    }
}

/// The "Service overview" dashboard: the four golden signals of every
/// service of the shop, one row per service.
pub fn service_overview(services: &[String]) -> Dashboard {
    let mut panels = Vec::new();
    let mut id = 1;
    for (i, s) in services.iter().enumerate() {
        let y = i as u32 * 9 + 1;
        let sel = format!(r#"job="shop", service="{s}""#);
        let make = |id: u64,
                    kind: &str,
                    title: &str,
                    x: u32,
                    w: u32,
                    expr: String,
                    legend: &str,
                    unit: &str,
                    thresholds: Vec<Step>| Panel {
            id,
            kind: kind.into(),
            title: title.into(),
            grid: GridPos { x, y, w, h: 8 },
            targets: vec![Target {
                expr,
                legend_format: legend.into(),
                ref_id: "A".into(),
                instant: false,
                format: String::new(),
            }],
            unit: unit.into(),
            thresholds,
            content: String::new(),
            stacked: false,
            draw_style: "line".into(),
            color_mode: "value".into(),
            row: Some(s.clone()),
            reducer: "lastNotNull".into(),
            min_interval: String::new(),
            max_data_points: None,
            repeat: String::new(),
            repeat_direction: "h".into(),
            max_per_row: None,
        };
        let steps = |yellow: f64, red: f64| {
            vec![
                Step {
                    value: None,
                    color: "green".into(),
                },
                Step {
                    value: Some(yellow),
                    color: "yellow".into(),
                },
                Step {
                    value: Some(red),
                    color: "red".into(),
                },
            ]
        };
        panels.push(make(id, "timeseries", "Latency p99", 0, 6, format!("histogram_quantile(0.99, sum by (le, route) (rate(http_request_duration_seconds_bucket{{{sel}}}[$__rate_interval])))"), "{{route}}", "s", steps(0.25, 0.5)));
        panels.push(make(
            id + 1,
            "timeseries",
            "Traffic",
            6,
            6,
            format!("sum by (route) (rate(http_requests_total{{{sel}}}[$__rate_interval]))"),
            "{{route}}",
            "reqps",
            Vec::new(),
        ));
        panels.push(make(id + 2, "stat", "Errors", 12, 6, format!("sum(rate(http_requests_total{{{sel}, status=~\"5..\"}}[$__rate_interval])) / sum(rate(http_requests_total{{{sel}}}[$__rate_interval]))"), "", "percentunit", steps(0.01, 0.05)));
        panels.push(make(
            id + 3,
            "gauge",
            "Saturation (in flight)",
            18,
            6,
            format!("sum(http_requests_in_flight{{{sel}}})"),
            "",
            "short",
            steps(20.0, 50.0),
        ));
        id += 4;
    }
    Dashboard {
        uid: "service-overview".into(),
        title: "Service overview".into(),
        time_from: "now-15m".into(),
        refresh: String::new(),
        variables: vec![Variable {
            name: "service".into(),
            kind: "query".into(),
            query: "label_values(http_requests_total, service)".into(),
            multi: true,
            include_all: true,
            current: vec![vars::ALL.into()],
            auto_count: 30,
            auto_min: "10s".into(),
            ..Variable::default()
        }],
        panels,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A dashboard as a seed tutorial would build it: a request-rate
    /// graph by method and endpoint, an error-rate stat with traffic-light
    /// thresholds, a latency panel in seconds, a row, a text panel, a
    /// variable, and a panel type the playground does not draw.
    const SEED: &str = r##"{
      "dashboard": {
        "uid": "api-overview", "title": "API Overview", "time": {"from": "now-1h", "to": "now"},
        "templating": {"list": [
          {"name": "endpoint", "type": "query", "query": {"query": "label_values(http_requests_total, endpoint)"}, "multi": true, "includeAll": true},
          {"name": "interval", "type": "interval", "query": "1m,5m"}
        ]},
        "panels": [
          {"type": "row", "title": "Traffic", "gridPos": {"h": 1, "w": 24, "x": 0, "y": 0}, "panels": []},
          {"id": 1, "type": "graph", "title": "Request Rate", "gridPos": {"h": 8, "w": 12, "x": 0, "y": 1},
           "targets": [{"expr": "sum(rate(http_requests_total{endpoint=~\"$endpoint\"}[5m])) by (method, endpoint)", "legendFormat": "{{method}} {{endpoint}}", "refId": "A"}],
           "fieldConfig": {"defaults": {"unit": "reqps"}, "overrides": []}},
          {"id": 2, "type": "stat", "title": "Error Rate", "gridPos": {"h": 8, "w": 6, "x": 12, "y": 1},
           "targets": [{"expr": "sum(rate(http_requests_total{status=~\"5..\"}[5m])) / sum(rate(http_requests_total[5m]))", "refId": "A"}],
           "options": {"colorMode": "background"},
           "fieldConfig": {"defaults": {"unit": "percentunit", "thresholds": {"mode": "absolute", "steps": [
             {"color": "green", "value": null}, {"color": "yellow", "value": 0.01}, {"color": "red", "value": 0.05}]}}}},
          {"id": 3, "type": "timeseries", "title": "Latency p95", "gridPos": {"h": 8, "w": 6, "x": 18, "y": 1},
           "targets": [{"expr": "histogram_quantile(0.95, sum(rate(http_request_duration_seconds_bucket[5m])) by (le))", "legendFormat": "p95", "refId": "A"}],
           "fieldConfig": {"defaults": {"unit": "s", "custom": {"stacking": {"mode": "none"}}}}},
          {"id": 4, "type": "text", "title": "Notes", "gridPos": {"h": 4, "w": 24, "x": 0, "y": 9}, "options": {"mode": "markdown", "content": "# On call\nSee the runbook."}},
          {"id": 5, "type": "piechart", "title": "Share", "gridPos": {"h": 4, "w": 6, "x": 0, "y": 13}, "targets": []},
          {"id": 6, "type": "stat", "title": "Up", "gridPos": {"h": 4, "w": 6, "x": 6, "y": 13}, "targets": [{"expr": "up", "refId": "A"}], "alert": {"name": "legacy"}}
        ]
      }
    }"##;

    #[test]
    fn the_seed_dashboard_imports_and_lists_what_it_leaves_out() {
        let (d, report) = import(SEED).unwrap();
        assert_eq!(d.title, "API Overview");
        assert_eq!(d.panels.len(), 5);
        let rate = &d.panels[0];
        assert_eq!(
            (rate.kind.as_str(), rate.unit.as_str(), rate.row.as_deref()),
            ("timeseries", "reqps", Some("Traffic"))
        );
        assert_eq!(rate.targets[0].legend_format, "{{method}} {{endpoint}}");
        let errors = &d.panels[1];
        assert_eq!(threshold_color(&errors.thresholds, 0.002), Some("green"));
        assert_eq!(threshold_color(&errors.thresholds, 0.02), Some("yellow"));
        assert_eq!(threshold_color(&errors.thresholds, 0.2), Some("red"));
        assert_eq!(d.panels[3].content, "# On call\nSee the runbook.");
        assert_eq!(d.panels[1].color_mode, "background");
        let kinds: Vec<(&str, &str)> = d
            .variables
            .iter()
            .map(|v| (v.name.as_str(), v.kind.as_str()))
            .collect();
        assert_eq!(kinds, [("endpoint", "query"), ("interval", "interval")]);
        assert_eq!(report.unsupported.len(), 2, "{:?}", report.unsupported);
        assert!(report.unsupported.iter().any(|u| u.contains("piechart")));
        assert!(report.unsupported.iter().any(|u| u.contains("\"alert\"")));
    }

    #[test]
    fn export_imports_back_identically() {
        let (d, _) = import(SEED).unwrap();
        let (again, report) = import(&export(&d)).unwrap();
        assert_eq!(again, d);
        assert!(report.unsupported.is_empty(), "{:?}", report.unsupported);
        let overview = service_overview(&["frontend".into(), "payment".into()]);
        assert_eq!(import(&export(&overview)).unwrap().0, overview);
        assert_eq!(overview.panels.len(), 8);
        let scope = overview
            .resolve(&[], &mut |_| Some(vec!["frontend".into()]), (0, 900_000))
            .scope;
        let intervals = vars::Intervals::for_panel(900_000, 300, None, vars::SCRAPE_INTERVAL_MS);
        for p in &overview.panels {
            for t in &p.targets {
                let e = scope.interpolate(&t.expr, Some(&intervals));
                o11y_promql::parse(&e).unwrap_or_else(|err| panic!("{e}: {err}"));
            }
        }
        assert!(import("[1]").is_err() && import("{").is_err());
    }

    #[test]
    fn variables_time_and_intervals_travel_both_ways() {
        let json = r#"{"title": "Grafana's own", "time": {"from": "now-6h", "to": "now"}, "refresh": "30s",
          "templating": {"list": [
            {"name": "DS", "type": "datasource", "query": "prometheus"},
            {"name": "job", "type": "query", "datasource": {"uid": "${DS}"}, "query": {"query": "label_values(up, job)", "refId": "X"},
             "regex": "/(.*)/", "sort": 1, "includeAll": true, "allValue": ".+", "current": {"text": "All", "value": "$__all"}},
            {"name": "env", "type": "custom", "query": "prod : production,dev", "multi": true, "current": {"text": ["dev"], "value": ["dev"]}},
            {"name": "step", "type": "interval", "query": "1m,5m", "auto": true, "auto_count": 20, "auto_min": "30s"},
            {"name": "cluster", "type": "constant", "query": "eu-1", "hide": 2},
            {"name": "filter", "type": "textbox", "query": ".*"},
            {"name": "ad", "type": "adhoc"},
            {"name": "odd", "type": "query", "query": "up"}
          ]},
          "panels": [{"id": 1, "type": "timeseries", "title": "Up", "interval": "1m", "maxDataPoints": 100, "repeat": "job", "repeatDirection": "v", "maxPerRow": 3,
            "gridPos": {"h": 8, "w": 12, "x": 0, "y": 0},
            "targets": [{"expr": "rate(up[$__rate_interval])", "refId": "A"}, {"expr": "up", "refId": "B", "hide": true}]}]}"#;
        let (d, report) = import(json).unwrap();
        assert_eq!(
            (d.time_from.as_str(), d.refresh.as_str()),
            ("now-6h", "30s")
        );
        let kinds: Vec<&str> = d.variables.iter().map(|v| v.kind.as_str()).collect();
        assert_eq!(
            kinds,
            ["query", "custom", "interval", "constant", "textbox"]
        );
        let job = &d.variables[0];
        assert_eq!(
            (job.all_value.as_deref(), job.current.as_slice(), job.sort),
            (Some(".+"), &["$__all".to_string()][..], 1)
        );
        assert_eq!(d.variables[1].current, ["dev"]);
        assert_eq!(
            (d.variables[2].auto_count, d.variables[2].auto_min.as_str()),
            (20, "30s")
        );
        let p = &d.panels[0];
        assert_eq!(
            (p.min_interval.as_str(), p.max_data_points, p.targets.len()),
            ("1m", Some(100), 1)
        );
        assert_eq!(
            (
                p.repeat.as_str(),
                p.repeat_direction.as_str(),
                p.max_per_row
            ),
            ("job", "v", Some(3))
        );
        assert_eq!(report.unsupported.len(), 3, "{:?}", report.unsupported);
        assert!(report.unsupported[0].contains("adhoc"));
        assert!(report.unsupported[1].contains("not a Prometheus variable query"));
        assert!(report.unsupported[2].contains("hidden query \"B\""));
        let exported = export(&d);
        assert!(exported.contains("\"type\": \"datasource\""));
        let (again, report) = import(&exported).unwrap();
        assert_eq!(again, d);
        assert!(report.unsupported.is_empty(), "{:?}", report.unsupported);

        let (_, report) =
            import(r#"{"time": {"from": "now/d", "to": "now/d"}, "refresh": "often"}"#).unwrap();
        assert_eq!(report.unsupported.len(), 3, "{:?}", report.unsupported);
        assert!(
            import(r#"{"refresh": false}"#)
                .unwrap()
                .1
                .unsupported
                .is_empty()
        );
    }

    #[test]
    fn heatmap_buckets_become_counts_per_bucket() {
        use o11y_metrics::store::Sample;
        use o11y_promql::eval::RangeSeries;
        let bucket = |le: &str, values: &[(i64, f64)]| RangeSeries {
            labels: Labels::new([("le", le)]),
            samples: values
                .iter()
                .map(|&(ts_ms, value)| Sample { ts_ms, value })
                .collect(),
            histograms: Vec::new(),
        };
        // Grafana's own example: 10, 20, 30 cumulative are 10 in each.
        let mut s = vec![
            bucket("+Inf", &[(0, 35.0), (1, 10.0)]),
            bucket("0.1", &[(0, 10.0), (1, 10.0)]),
            bucket("0.5", &[(0, 30.0), (1, 10.0)]),
        ];
        buckets_to_counts(&mut s);
        let got: Vec<(&str, Vec<f64>)> = s
            .iter()
            .map(|x| {
                (
                    x.labels.get("le").unwrap(),
                    x.samples.iter().map(|p| p.value).collect(),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                ("0.1", vec![10.0, 10.0]),
                ("0.5", vec![20.0, 0.0]),
                ("+Inf", vec![5.0, 0.0])
            ]
        );
        let json = r#"{"panels": [{"type": "heatmap", "title": "H",
          "targets": [{"expr": "sum by (le) (rate(x_bucket[$__rate_interval]))", "format": "heatmap", "legendFormat": "{{le}}"}]}]}"#;
        let (d, _) = import(json).unwrap();
        assert_eq!(d.panels[0].targets[0].format, "heatmap");
        assert_eq!(import(&export(&d)).unwrap().0, d);
    }

    #[test]
    fn reducers_are_grafanas() {
        let v = [1.0, f64::NAN, 4.0, 2.0, f64::NAN];
        let r = |calc| reduce(calc, &v);
        assert_eq!(r("lastNotNull"), Some(2.0));
        assert!(r("last").unwrap().is_nan());
        assert_eq!(r("firstNotNull"), Some(1.0));
        assert_eq!(r("mean"), Some(7.0 / 3.0));
        assert_eq!(
            (r("max"), r("min"), r("sum")),
            (Some(4.0), Some(1.0), Some(7.0))
        );
        assert_eq!(
            (r("range"), r("diff"), r("median")),
            (Some(3.0), Some(1.0), Some(2.0))
        );
        assert_eq!((r("count"), r("changeCount")), (Some(5.0), Some(4.0)));
        assert_eq!(reduce("stdDev", &[2.0, 4.0]), Some(1.0));
        assert_eq!(reduce("mean", &[]), None);
        assert_eq!(reduce("lastNotNull", &[f64::NAN]), None);
    }

    #[test]
    fn stat_calculations_instant_queries_and_units_travel_both_ways() {
        let json = r#"{"title": "Stats", "panels": [
          {"id": 1, "type": "stat", "title": "Mean", "options": {"reduceOptions": {"calcs": ["mean"], "values": false}, "colorMode": "none"},
           "targets": [{"expr": "up", "refId": "A", "instant": true, "range": false}], "fieldConfig": {"defaults": {"unit": "Bps"}}},
          {"id": 2, "type": "gauge", "title": "Odd", "options": {"reduceOptions": {"calcs": ["p95"], "values": true}},
           "targets": [{"expr": "up", "refId": "A"}],
           "fieldConfig": {"defaults": {"unit": "currencyUSD", "thresholds": {"mode": "percentage", "steps": [{"color": "green", "value": null}]}}}}
        ]}"#;
        let (d, report) = import(json).unwrap();
        let got: Vec<(&str, bool)> = d
            .panels
            .iter()
            .map(|p| (p.reducer.as_str(), p.targets[0].instant))
            .collect();
        assert_eq!(got, [("mean", true), ("lastNotNull", false)]);
        assert_eq!(report.unsupported.len(), 4, "{:?}", report.unsupported);
        assert!(report.unsupported.iter().any(|u| u.contains("\"p95\"")));
        assert!(report.unsupported.iter().any(|u| u.contains("every value")));
        assert!(report.unsupported.iter().any(|u| u.contains("percentage")));
        assert!(report.unsupported.iter().any(|u| u.contains("currencyUSD")));
        let exported = export(&d);
        assert!(
            exported.contains("\"calcs\": [\n            \"mean\""),
            "{exported}"
        );
        let (again, _) = import(&exported).unwrap();
        assert_eq!(again.panels[0], d.panels[0]);
    }

    #[test]
    fn draw_styles_and_stacking_travel_both_ways() {
        let json = r#"{"title": "Styles", "panels": [
          {"id": 1, "type": "timeseries", "title": "Bars", "gridPos": {"h": 8, "w": 12, "x": 0, "y": 0},
           "targets": [{"expr": "up", "refId": "A"}],
           "fieldConfig": {"defaults": {"custom": {"drawStyle": "bars", "stacking": {"mode": "normal"}}}}},
          {"id": 2, "type": "timeseries", "title": "Points", "gridPos": {"h": 8, "w": 12, "x": 12, "y": 0},
           "targets": [{"expr": "up", "refId": "A"}],
           "fieldConfig": {"defaults": {"custom": {"drawStyle": "points"}}}},
          {"id": 3, "type": "timeseries", "title": "Odd", "gridPos": {"h": 8, "w": 12, "x": 0, "y": 8},
           "targets": [{"expr": "up", "refId": "A"}],
           "fieldConfig": {"defaults": {"custom": {"drawStyle": "ribbons"}}}}
        ]}"#;
        let (d, report) = import(json).unwrap();
        let styles: Vec<(&str, bool)> = d
            .panels
            .iter()
            .map(|p| (p.draw_style.as_str(), p.stacked))
            .collect();
        assert_eq!(styles, [("bars", true), ("points", false), ("line", false)]);
        assert_eq!(
            report.unsupported,
            ["panel \"Odd\": draw style \"ribbons\" (drawn as lines)"]
        );
        let exported = export(&d);
        assert!(exported.contains("\"drawStyle\": \"bars\""));
        assert_eq!(import(&exported).unwrap().0, d);
    }

    #[test]
    fn legends_units_and_variables() {
        let l = Labels::new([("method", "GET"), ("endpoint", "/api")]);
        assert_eq!(legend("{{method}} {{endpoint}}", &l), "GET /api");
        assert_eq!(legend("{{ method }}-{{missing}}", &l), "GET-");
        assert_eq!(legend("", &l), l.to_string());
        assert_eq!(format_value(0.0312, "percentunit"), "3.12%");
        assert_eq!(format_value(0.25, "s"), "250 ms");
        assert_eq!(format_value(1536.0, "bytes"), "1.5 KiB");
        assert_eq!(format_value(20.5, "reqps"), "20.5 req/s");
        assert_eq!(format_value(12_345.0, ""), "12.3 K");
        assert_eq!(format_value(12_345.0, "none"), "12345");
        assert_eq!(format_value(1_500.0, "µs"), "1.5 ms");
        assert_eq!(format_value(2_048.0, "binBps"), "2 KiB/s");
        assert_eq!(format_value(1_500_000.0, "bits"), "1.5 Mb");
        assert_eq!(format_value(90.0, "m"), "1.5 hour");
        assert_eq!(legend("__auto", &l), l.to_string());
    }
}
