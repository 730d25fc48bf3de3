//! The built-in "Service overview" dashboard: the golden signals of each
//! service of the shop (latency, traffic, errors, saturation), one row per
//! service, with a `$service` variable.

use crate::model::{
    ALL, ColorMode, Dashboard, DrawStyle, GridPos, Panel, PanelKind, RepeatDirection, Step, Target,
    TargetFormat, Variable, VariableKind,
};
use crate::reduce::Reducer;

/// The "Service overview" dashboard: the four golden signals of every
/// service of the shop, one row per service.
pub fn service_overview(services: &[String]) -> Dashboard {
    let mut panels = Vec::new();
    let mut id = 1;
    for (i, s) in services.iter().enumerate() {
        let y = i as u32 * 9 + 1;
        let sel = format!(r#"job="shop", service="{s}""#);
        let make = |id: u64,
                    kind: PanelKind,
                    title: &str,
                    x: u32,
                    w: u32,
                    expr: String,
                    legend: &str,
                    unit: &str,
                    thresholds: Vec<Step>| Panel {
            id,
            kind,
            title: title.into(),
            grid: GridPos { x, y, w, h: 8 },
            targets: vec![Target {
                expr,
                legend_format: legend.into(),
                ref_id: "A".into(),
                instant: false,
                format: TargetFormat::TimeSeries,
            }],
            unit: unit.into(),
            thresholds,
            content: String::new(),
            stacked: false,
            draw_style: DrawStyle::Line,
            color_mode: ColorMode::Value,
            row: Some(s.clone()),
            reducer: Reducer::LastNotNull,
            min_interval: String::new(),
            max_data_points: None,
            repeat: String::new(),
            repeat_direction: RepeatDirection::Horizontal,
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
        panels.push(make(id, PanelKind::TimeSeries, "Latency p99", 0, 6, format!("histogram_quantile(0.99, sum by (le, route) (rate(http_request_duration_seconds_bucket{{{sel}}}[$__rate_interval])))"), "{{route}}", "s", steps(0.25, 0.5)));
        panels.push(make(
            id + 1,
            PanelKind::TimeSeries,
            "Traffic",
            6,
            6,
            format!("sum by (route) (rate(http_requests_total{{{sel}}}[$__rate_interval]))"),
            "{{route}}",
            "reqps",
            Vec::new(),
        ));
        panels.push(make(id + 2, PanelKind::Stat, "Errors", 12, 6, format!("sum(rate(http_requests_total{{{sel}, status=~\"5..\"}}[$__rate_interval])) / sum(rate(http_requests_total{{{sel}}}[$__rate_interval]))"), "", "percentunit", steps(0.01, 0.05)));
        panels.push(make(
            id + 3,
            PanelKind::Gauge,
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
            kind: VariableKind::Query,
            query: "label_values(http_requests_total, service)".into(),
            multi: true,
            include_all: true,
            current: vec![ALL.into()],
            auto_count: 30,
            auto_min: "10s".into(),
            ..Variable::default()
        }],
        panels,
    }
}
