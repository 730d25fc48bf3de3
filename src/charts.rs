//! Chart drawing, as functions of a plotters [`DrawingBackend`], and the
//! time and value formats every chart and page shows.
//!
//! The page passes a canvas backend; the tests pass an SVG backend and
//! compare against snapshots in `src/snapshots/` (regenerate them with
//! `UPDATE_EXPECT=1 cargo test`). Geometry — ranges, per-pixel reduction —
//! comes from `o11y_engine::chart`.

use o11y_engine::chart::{nice_ceiling, reduce_to_columns};
use o11y_engine::model::number::format_float;
use plotters::prelude::*;

const BACKGROUND: RGBColor = RGBColor(0x18, 0x1b, 0x1f);
const GRID: RGBColor = RGBColor(0x2c, 0x30, 0x35);
const TEXT: RGBColor = RGBColor(0xc7, 0xd0, 0xd9);
const LINE: RGBColor = RGBColor(0x57, 0x94, 0xf2);

/// What a time-series chart shows: points sorted by time, and the time range.
pub struct TimeSeriesView<'a> {
    pub points: &'a [(i64, f64)],
    pub x_start_ms: i64,
    pub x_end_ms: i64,
}

/// Draws one series as a line over a time axis (UTC clock times) and a
/// y axis from zero to a nice number above the largest value.
pub fn draw_time_series<DB: DrawingBackend>(
    backend: DB,
    view: &TimeSeriesView,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    let root = backend.into_drawing_area();
    root.fill(&BACKGROUND)?;
    let x_end_ms = view.x_end_ms.max(view.x_start_ms + 1);
    let largest = view
        .points
        .iter()
        .map(|p| p.1)
        .filter(|v| v.is_finite())
        .fold(0.0, f64::max);
    let y_max = nice_ceiling(largest * 1.1);
    let mut chart = ChartBuilder::on(&root)
        .margin(12)
        .margin_right(30)
        .x_label_area_size(26)
        .y_label_area_size(44)
        .build_cartesian_2d(view.x_start_ms..x_end_ms, 0.0..y_max)?;
    chart
        .configure_mesh()
        .x_labels(6)
        .y_labels(5)
        .x_label_formatter(&|ms| format_clock_time(*ms))
        .y_label_formatter(&|v| format_axis_value(*v))
        .axis_style(GRID)
        .bold_line_style(GRID)
        .light_line_style(TRANSPARENT)
        .label_style(("sans-serif", 12).into_font().color(&TEXT))
        .draw()?;
    let width_px = chart.plotting_area().dim_in_pixel().0;
    let columns = reduce_to_columns(view.points, view.x_start_ms, x_end_ms, width_px);
    let span_ms = (x_end_ms - view.x_start_ms) as f64;
    let last_px = width_px.saturating_sub(1).max(1) as f64;
    let path = columns.iter().flat_map(|c| {
        let t = view.x_start_ms + (c.px as f64 / last_px * span_ms).round() as i64;
        [(t, c.first), (t, c.min), (t, c.max), (t, c.last)]
    });
    chart.draw_series(LineSeries::new(path, LINE.stroke_width(2)))?;
    root.present()?;
    Ok(())
}

/// `HH:MM:SS` of a virtual time in milliseconds since the epoch, in UTC.
pub fn format_clock_time(ms: i64) -> String {
    let secs_of_day = ms.div_euclid(1000).rem_euclid(86_400);
    format!(
        "{:02}:{:02}:{:02}",
        secs_of_day / 3600,
        secs_of_day / 60 % 60,
        secs_of_day % 60
    )
}

/// A value for reading (legends, tooltips, alert values): at most 4
/// decimals, `1.2k` style when large.
pub fn short_value(v: f64) -> String {
    if !v.is_finite() {
        return format_float(v);
    }
    if v.abs() >= 1000.0 {
        return format_axis_value(v);
    }
    let text = format!("{v:.4}");
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// A series' labels as PromQL writes them, `{}` for none.
pub fn label_text(labels: &o11y_engine::model::labels::Labels) -> String {
    let text = labels.to_string();
    if text.is_empty() {
        "{}".to_string()
    } else {
        text
    }
}

/// A short axis label: `0`, `2.5`, `15`, `1.2k`, `3M`.
pub fn format_axis_value(v: f64) -> String {
    let (scaled, suffix) = match v.abs() {
        a if a >= 1e6 => (v / 1e6, "M"),
        a if a >= 1e3 => (v / 1e3, "k"),
        _ => (v, ""),
    };
    let text = format!("{scaled:.2}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    format!("{text}{suffix}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(view: &TimeSeriesView, size: (u32, u32)) -> String {
        let mut svg = String::new();
        {
            let backend = SVGBackend::with_string(&mut svg, size);
            draw_time_series(backend, view).expect("drawing to a string never fails");
        }
        svg
    }

    /// Compares with `src/snapshots/NAME`; `UPDATE_EXPECT=1` rewrites it.
    fn check_snapshot(name: &str, actual: &str) {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("src/snapshots")
            .join(name);
        if std::env::var_os("UPDATE_EXPECT").is_some() {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, actual).unwrap();
            return;
        }
        let expected = std::fs::read_to_string(&path)
            .unwrap_or_else(|_| panic!("no snapshot {}: run with UPDATE_EXPECT=1", path.display()));
        assert!(
            expected == actual,
            "{name} differs from its snapshot; if the change is intended, rerun with UPDATE_EXPECT=1"
        );
    }

    fn wave() -> Vec<(i64, f64)> {
        (0..=40)
            .map(|i| (i * 15_000, 20.0 + 5.0 * ((i as f64) / 3.0).sin()))
            .collect()
    }

    #[test]
    fn requests_chart_matches_snapshot() {
        let points = wave();
        let view = TimeSeriesView {
            points: &points,
            x_start_ms: 0,
            x_end_ms: 600_000,
        };
        let svg = render(&view, (600, 240));
        assert!(svg.contains("00:05:00"), "time labels are drawn");
        assert!(svg.contains("<polyline"), "the series is drawn");
        check_snapshot("requests_chart.svg", &svg);
    }

    #[test]
    fn empty_and_degenerate_input_draws_without_error() {
        let nan = [(0, f64::NAN), (10, f64::INFINITY)];
        for (points, start, end) in [(&[][..], 0, 0), (&nan[..], 0, 10), (&nan[..], 10, 0)] {
            let svg = render(
                &TimeSeriesView {
                    points,
                    x_start_ms: start,
                    x_end_ms: end,
                },
                (300, 120),
            );
            assert!(svg.starts_with("<svg"), "{svg}");
        }
    }

    #[test]
    fn a_million_points_reduce_to_the_plot_width() {
        let points: Vec<(i64, f64)> = (0..1_000_000).map(|i| (i, (i % 100) as f64)).collect();
        let view = TimeSeriesView {
            points: &points,
            x_start_ms: 0,
            x_end_ms: 999_999,
        };
        let svg = render(&view, (400, 200));
        let polyline = svg.split("<polyline").nth(1).expect("a polyline");
        let vertices = polyline
            .split("points=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap();
        assert!(vertices.split(' ').count() <= 4 * 400, "{}", vertices.len());
    }

    #[test]
    fn labels() {
        assert_eq!(format_clock_time(3_723_000), "01:02:03");
        assert_eq!(format_clock_time(-1_000), "23:59:59");
        assert_eq!(format_axis_value(0.0), "0");
        assert_eq!(format_axis_value(2.5), "2.5");
        assert_eq!(format_axis_value(1_250.0), "1.25k");
        assert_eq!(format_axis_value(3e6), "3M");
    }
}
