//! Grafana's dashboard JSON out: what [`crate::import`] reads, written as
//! Grafana writes it (a `datasource` variable the panels name, rows as
//! row panels), so that an export imports back to the same dashboard.

use serde_json::{Map, Value, json};

use crate::model::{ALL, Dashboard, DrawStyle, PanelKind, TargetFormat, Variable, VariableKind};

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
        if p.draw_style != DrawStyle::Line {
            custom.insert("drawStyle".into(), json!(p.draw_style.as_str()));
        }
        if !custom.is_empty() {
            defaults.insert("custom".into(), Value::Object(custom));
        }
        let mut panel = json!({
            "id": p.id,
            "type": p.kind.as_str(),
            "title": p.title,
            "gridPos": {"h": p.grid.h, "w": p.grid.w, "x": p.grid.x, "y": p.grid.y},
            "datasource": {"type": "prometheus", "uid": "${datasource}"},
            "targets": p.targets.iter().map(|t| {
                let mut target = json!({"expr": t.expr, "legendFormat": t.legend_format, "refId": t.ref_id});
                if t.instant {
                    target["instant"] = json!(true);
                    target["range"] = json!(false);
                }
                if t.format != TargetFormat::TimeSeries {
                    target["format"] = json!(t.format.as_str());
                }
                target
            }).collect::<Vec<_>>(),
            "fieldConfig": {"defaults": defaults, "overrides": []},
        });
        if p.kind == PanelKind::Text {
            panel["options"] = json!({"mode": "markdown", "content": p.content});
        }
        if matches!(
            p.kind,
            PanelKind::Stat | PanelKind::Gauge | PanelKind::BarGauge
        ) {
            panel["options"] = json!({"reduceOptions": {"calcs": [p.reducer.as_str()], "fields": "", "values": false}});
        }
        if p.kind == PanelKind::Stat {
            panel["options"]["colorMode"] = json!(p.color_mode.as_str());
        }
        if !p.min_interval.is_empty() {
            panel["interval"] = json!(p.min_interval);
        }
        if let Some(n) = p.max_data_points {
            panel["maxDataPoints"] = json!(n);
        }
        if !p.repeat.is_empty() {
            panel["repeat"] = json!(p.repeat);
            panel["repeatDirection"] = json!(p.repeat_direction.as_str());
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
    let mut out = json!({"name": v.name, "type": v.kind.as_str(), "query": v.query});
    match v.kind {
        VariableKind::Query => {
            out["datasource"] = json!({"type": "prometheus", "uid": "${datasource}"});
            out["definition"] = json!(v.query);
            out["refresh"] = json!(2);
            out["regex"] = json!(v.regex);
            out["sort"] = json!(v.sort.code());
        }
        VariableKind::Interval => {
            out["auto"] = json!(v.auto);
            out["auto_count"] = json!(v.auto_count);
            out["auto_min"] = json!(v.auto_min);
        }
        VariableKind::Constant => out["hide"] = json!(2),
        VariableKind::Custom | VariableKind::TextBox => {}
    }
    if matches!(v.kind, VariableKind::Query | VariableKind::Custom) {
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
            .map(|c| if c == ALL { "All" } else { c.as_str() })
            .collect();
        out["current"] = if v.multi || v.current.len() > 1 {
            json!({"text": text, "value": v.current})
        } else {
            json!({"text": text.join(","), "value": v.current.join(",")})
        };
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::import;
    use crate::import::tests::SEED;
    use crate::model::VariableSort;
    use crate::overview::service_overview;
    use crate::vars;

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
            (
                Some(".+"),
                &["$__all".to_string()][..],
                VariableSort::AlphabeticalAsc
            )
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
}
