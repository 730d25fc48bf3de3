//! Grafana's dashboard JSON in: the dashboard object (or an export with a
//! `dashboard` key) read into the [model](crate::model), keeping what the
//! page understands and listing in an [`ImportReport`] what it does not,
//! never dropping anything silently. What is listed:
//!
//! - panel types the page does not draw (a `graph` is read as a time
//!   series), and panel fields outside `PANEL_FIELDS`;
//! - hidden queries (left out);
//! - draw styles, calculations and units the page does not know (drawn
//!   as lines, as the last value, as a plain number), percentage
//!   thresholds (read as absolute), a stat's "every value" (one value is
//!   shown), a min interval that is not an interval;
//! - a repeated row (drawn once);
//! - a time range that is not relative to now, or does not end now, and
//!   a refresh that is not an interval;
//! - variable types other than [`VariableKind`]'s (a `datasource`
//!   variable is dropped without a word: the page's data source stands
//!   in for it), and query variables that are not Prometheus variable
//!   queries.

use o11y_model::diag::Diagnostic;
use serde_json::Value;

use crate::display::UNITS;
use crate::model::{
    ColorMode, Dashboard, DrawStyle, GridPos, Panel, PanelKind, RepeatDirection, Step, Target,
    TargetFormat, Variable, VariableKind, VariableSort,
};
use crate::reduce::Reducer;
use crate::vars;

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

/// The panel fields import reads (or knows it may pass over).
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
/// `dashboard` key). The error has no place: JSON's own line and column
/// are in its message.
pub fn import(text: &str) -> Result<(Dashboard, ImportReport), Diagnostic> {
    let root: Value =
        serde_json::from_str(text).map_err(|e| Diagnostic::new(format!("not JSON: {e}")))?;
    let d = root
        .get("dashboard")
        .filter(|d| d.is_object())
        .unwrap_or(&root);
    if !d.is_object() {
        return Err(Diagnostic::new("a dashboard is a JSON object"));
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
    let kind_name = str_of(v, "type");
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
    if kind_name == "datasource" {
        return None;
    }
    let Some(kind) = VariableKind::from_name(&kind_name) else {
        report.unsupported.push(format!(
            "variable ${name}: type {kind_name:?} is not supported"
        ));
        return None;
    };
    if kind == VariableKind::Query && vars::parse_query(&query).is_none() {
        report.unsupported.push(format!(
            "variable ${name}: {query:?} is not a Prometheus variable query (label_values, label_names, metrics, query_result)"
        ));
        return None;
    }
    // A regex that does not compile is kept, as Grafana keeps it: the
    // variable's picker shows the error (`Dashboard::resolve_answers`).
    let regex = str_of(v, "regex");
    // Grafana's natural sorts (7 and 8, `Intl.Collator` with numeric
    // collation) are not implemented: the values stay unsorted, and the
    // report says so.
    let sort_code = v.get("sort").and_then(Value::as_u64);
    let sort = sort_code.and_then(VariableSort::from_code);
    if let (Some(code), None) = (sort_code, sort) {
        let what = match code {
            7 | 8 => "natural sort",
            _ => "an unknown sort",
        };
        report.unsupported.push(format!(
            "variable ${name}: sort {code} ({what}) is not supported; its values are not sorted"
        ));
    }
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
        sort: sort.unwrap_or_default(),
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
    let kind_name = str_of(p, "type");
    let title = str_of(p, "title");
    let kind = match kind_name.as_str() {
        "graph" => PanelKind::TimeSeries, // Grafana's old graph panel is today's time series
        name => match PanelKind::from_name(name) {
            Some(kind) => kind,
            None => {
                report.unsupported.push(format!(
                    "panel {title:?}: type {kind_name:?} is not supported"
                ));
                return;
            }
        },
    };
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
    let draw_style_name = defaults
        .and_then(|d| d.pointer("/custom/drawStyle"))
        .and_then(Value::as_str)
        .unwrap_or("line");
    let draw_style = DrawStyle::from_name(draw_style_name).unwrap_or_else(|| {
        report.unsupported.push(format!(
            "panel {title:?}: draw style {draw_style_name:?} (drawn as lines)"
        ));
        DrawStyle::Line
    });
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
                    format: TargetFormat::from_name(&str_of(t, "format")).unwrap_or_default(),
                })
                .collect()
        })
        .unwrap_or_default();
    let reducer = match p
        .pointer("/options/reduceOptions/calcs/0")
        .and_then(Value::as_str)
    {
        None => Reducer::LastNotNull,
        Some(c) => Reducer::from_name(c).unwrap_or_else(|| {
            report.unsupported.push(format!(
                "panel {title:?}: calculation {c:?} (the last value is shown)"
            ));
            Reducer::LastNotNull
        }),
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
            RepeatDirection::Vertical
        } else {
            RepeatDirection::Horizontal
        },
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
        color_mode: ColorMode::from_name(
            p.pointer("/options/colorMode")
                .and_then(Value::as_str)
                .unwrap_or("value"),
        ),
        row,
    });
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::display::threshold_color;

    /// A dashboard as a seed tutorial would build it: a request-rate
    /// graph by method and endpoint, an error-rate stat with traffic-light
    /// thresholds, a latency panel in seconds, a row, a text panel, a
    /// variable, and a panel type the playground does not draw.
    pub(crate) const SEED: &str = r##"{
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
        assert_eq!(d.panels[1].color_mode, ColorMode::Background);
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
    fn a_sort_grafana_has_and_we_do_not_is_listed() {
        let text = r#"{"templating": {"list": [
          {"name": "a", "type": "custom", "query": "b,a", "sort": 7},
          {"name": "b", "type": "custom", "query": "b,a", "sort": 42},
          {"name": "c", "type": "custom", "query": "b,a", "sort": 1}
        ]}, "panels": []}"#;
        let (d, report) = import(text).unwrap();
        assert_eq!(
            report.unsupported,
            [
                "variable $a: sort 7 (natural sort) is not supported; its values are not sorted",
                "variable $b: sort 42 (an unknown sort) is not supported; its values are not sorted",
            ]
        );
        let sorts: Vec<VariableSort> = d.variables.iter().map(|v| v.sort).collect();
        assert_eq!(
            sorts,
            [
                VariableSort::default(),
                VariableSort::default(),
                VariableSort::AlphabeticalAsc
            ]
        );
    }
}
