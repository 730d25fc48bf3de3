//! The dashboard model: a [`Dashboard`] with its time range, template
//! [`Variable`]s and [`Panel`]s, each panel with its [`Target`]s (queries),
//! place on the grid, unit and thresholds — and, as enums, the fields
//! whose values Grafana picks from a fixed list (panel type, draw style,
//! colour mode, query format, repeat direction, variable type and sort).
//! Each enum reads and writes the names (or numbers) of Grafana's JSON.
//!
//! ```
//! use o11y_dashboards::{DrawStyle, PanelKind, VariableSort};
//! assert_eq!(PanelKind::from_name("bargauge"), Some(PanelKind::BarGauge));
//! assert_eq!(DrawStyle::Bars.as_str(), "bars");
//! assert_eq!(VariableSort::from_code(3), Some(VariableSort::NumericalAsc));
//! ```

use crate::reduce::Reducer;

/// The value Grafana stores for the "All" option.
pub const ALL: &str = "$__all";

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

#[derive(Clone, Debug, PartialEq)]
pub struct Panel {
    pub id: u64,
    /// Grafana's `type`.
    pub kind: PanelKind,
    pub title: String,
    pub grid: GridPos,
    pub targets: Vec<Target>,
    pub unit: String,
    pub thresholds: Vec<Step>,
    /// Markdown of a text panel.
    pub content: String,
    /// Time series drawn stacked.
    pub stacked: bool,
    /// How a time series is drawn (Grafana's `custom.drawStyle`).
    pub draw_style: DrawStyle,
    /// How a stat is coloured (Grafana's `colorMode`).
    pub color_mode: ColorMode,
    /// The title of the row the panel is under, if any.
    pub row: Option<String>,
    /// How a stat, gauge or bar gauge reduces a series (Grafana's
    /// `reduceOptions.calcs`).
    pub reducer: Reducer,
    /// The panel's minimum step (Grafana's `interval`, such as `30s`);
    /// empty for the scrape interval.
    pub min_interval: String,
    /// Grafana's `maxDataPoints`: the points a range query asks for; the
    /// panel's width in pixels when unset.
    pub max_data_points: Option<u64>,
    /// Repeated once per value of this variable (Grafana's `repeat`);
    /// empty for none.
    pub repeat: String,
    pub repeat_direction: RepeatDirection,
    pub max_per_row: Option<u32>,
}

/// A panel's place on Grafana's 24-column grid, in columns and rows.
#[derive(Clone, Debug, PartialEq)]
pub struct GridPos {
    pub x: u32,
    pub y: u32,
    pub w: u32,
    pub h: u32,
}

/// One query of a panel.
#[derive(Clone, Debug, PartialEq)]
pub struct Target {
    pub expr: String,
    pub legend_format: String,
    pub ref_id: String,
    /// Grafana's `instant`: one value at the end of the range instead of
    /// a range query.
    pub instant: bool,
    /// Grafana's `format`.
    pub format: TargetFormat,
}

/// A threshold step: from `value` up (the first has none: "base").
#[derive(Clone, Debug, PartialEq)]
pub struct Step {
    pub value: Option<f64>,
    pub color: String,
}

/// A template variable (see [`crate::vars`] for how it is resolved).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Variable {
    pub name: String,
    /// Grafana's `type`.
    pub kind: VariableKind,
    /// A query variable's query (`label_values(metric, label)`, …), a
    /// custom variable's `a, b, c`, an interval variable's `1m,5m`, a
    /// constant's or a text box's value.
    pub query: String,
    pub multi: bool,
    pub include_all: bool,
    /// What "All" stands for instead of every option (`.*`).
    pub all_value: Option<String>,
    /// The values saved as chosen ([`ALL`] for All).
    pub current: Vec<String>,
    /// A query variable's `/regex/` over its values.
    pub regex: String,
    /// How a query variable's options are sorted.
    pub sort: VariableSort,
    /// An interval variable's `auto` option, its step count and minimum.
    pub auto: bool,
    pub auto_count: u32,
    pub auto_min: String,
}

grafana_names! {
    /// The panel types the playground draws (Grafana's `type`; its old
    /// `graph` is imported as a time series).
    pub enum PanelKind {
        TimeSeries = "timeseries",
        Stat = "stat",
        Gauge = "gauge",
        BarGauge = "bargauge",
        Table = "table",
        Heatmap = "heatmap",
        Logs = "logs",
        Text = "text",
    }
}

grafana_names! {
    /// How a time series panel draws its series (Grafana's `drawStyle`).
    #[derive(Default)]
    pub enum DrawStyle {
        #[default]
        Line = "line",
        Bars = "bars",
        Points = "points",
    }
}

grafana_names! {
    /// What a query returns (Grafana's `format`).
    #[derive(Default)]
    pub enum TargetFormat {
        /// Series over time (written by leaving `format` out).
        #[default]
        TimeSeries = "time_series",
        Table = "table",
        /// Cumulative `le` buckets drawn as the count in each bucket.
        Heatmap = "heatmap",
    }
}

grafana_names! {
    /// Where a repeated panel's copies go (Grafana's `repeatDirection`).
    #[derive(Default)]
    pub enum RepeatDirection {
        /// Side by side, wrapping at `max_per_row`.
        #[default]
        Horizontal = "h",
        /// Stacked.
        Vertical = "v",
    }
}

grafana_names! {
    /// The variable types the page handles (Grafana's `type`; a
    /// `datasource` variable is accepted too: the data-source field
    /// stands in for it).
    #[derive(Default)]
    pub enum VariableKind {
        /// Grafana's type for a new variable.
        #[default]
        Query = "query",
        Custom = "custom",
        Interval = "interval",
        Constant = "constant",
        TextBox = "textbox",
    }
}

/// A stat's colour mode (Grafana's `colorMode`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum ColorMode {
    /// The number coloured.
    #[default]
    Value,
    /// The panel coloured.
    Background,
    /// No colour.
    None,
    /// A mode the page does not draw (such as Grafana 10's
    /// `background_solid`): drawn as [`ColorMode::Value`], kept as
    /// written for export.
    Other(String),
}

impl ColorMode {
    /// The name in Grafana's JSON.
    pub fn as_str(&self) -> &str {
        match self {
            ColorMode::Value => "value",
            ColorMode::Background => "background",
            ColorMode::None => "none",
            ColorMode::Other(name) => name,
        }
    }

    /// The mode Grafana's JSON names `name`.
    pub fn from_name(name: &str) -> ColorMode {
        match name {
            "value" => ColorMode::Value,
            "background" => ColorMode::Background,
            "none" => ColorMode::None,
            other => ColorMode::Other(other.to_string()),
        }
    }
}

/// How a query variable's options are sorted: Grafana's `sort`, a number
/// in its JSON. Grafana's natural sorts (7 and 8) are not read (the
/// options stay as the query gives them).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum VariableSort {
    /// 0: as the query gives them.
    #[default]
    Disabled,
    /// 1.
    AlphabeticalAsc,
    /// 2.
    AlphabeticalDesc,
    /// 3: by the first number in the text.
    NumericalAsc,
    /// 4.
    NumericalDesc,
    /// 5.
    AlphabeticalCaseInsensitiveAsc,
    /// 6.
    AlphabeticalCaseInsensitiveDesc,
}

impl VariableSort {
    /// Every sort, by its number.
    pub const ALL: [VariableSort; 7] = [
        VariableSort::Disabled,
        VariableSort::AlphabeticalAsc,
        VariableSort::AlphabeticalDesc,
        VariableSort::NumericalAsc,
        VariableSort::NumericalDesc,
        VariableSort::AlphabeticalCaseInsensitiveAsc,
        VariableSort::AlphabeticalCaseInsensitiveDesc,
    ];

    /// The number in Grafana's JSON.
    pub fn code(self) -> u8 {
        match self {
            VariableSort::Disabled => 0,
            VariableSort::AlphabeticalAsc => 1,
            VariableSort::AlphabeticalDesc => 2,
            VariableSort::NumericalAsc => 3,
            VariableSort::NumericalDesc => 4,
            VariableSort::AlphabeticalCaseInsensitiveAsc => 5,
            VariableSort::AlphabeticalCaseInsensitiveDesc => 6,
        }
    }

    /// The sort Grafana's JSON numbers `code`; `None` for one the page
    /// does not read.
    pub fn from_code(code: u64) -> Option<VariableSort> {
        VariableSort::ALL
            .into_iter()
            .find(|s| u64::from(s.code()) == code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_and_code_reads_back() {
        for k in PanelKind::ALL {
            assert_eq!(PanelKind::from_name(k.as_str()), Some(k));
        }
        for s in DrawStyle::ALL {
            assert_eq!(DrawStyle::from_name(s.as_str()), Some(s));
        }
        for f in TargetFormat::ALL {
            assert_eq!(TargetFormat::from_name(f.as_str()), Some(f));
        }
        for d in RepeatDirection::ALL {
            assert_eq!(RepeatDirection::from_name(d.as_str()), Some(d));
        }
        for k in VariableKind::ALL {
            assert_eq!(VariableKind::from_name(k.as_str()), Some(k));
        }
        for (i, s) in VariableSort::ALL.into_iter().enumerate() {
            assert_eq!(
                (VariableSort::from_code(i as u64), s.code()),
                (Some(s), i as u8)
            );
        }
        assert_eq!(VariableSort::from_code(7), None);
        assert_eq!(PanelKind::from_name("graph"), None);
        for name in ["value", "background", "none", "background_solid", ""] {
            assert_eq!(ColorMode::from_name(name).as_str(), name);
        }
    }
}
