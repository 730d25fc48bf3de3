//! Dashboards in Grafana's JSON model: panels (time series, stat, gauge,
//! bar gauge, table, heatmap, logs, text), their queries and legend
//! formats, units, thresholds, grid positions, rows, the time range and
//! template variables (`vars`). Import keeps what it understands and lists
//! what it does not (panel types, fields, variable types), never dropping
//! it silently; export writes Grafana's JSON, which imports back to the
//! same dashboard.
//!
//! The files, each re-exported here:
//!
//! - `model`: the dashboard, its panels and variables, and the enums of
//!   Grafana's fixed choices (panel type, draw style, variable sort, …);
//! - `import` and `export`: Grafana's JSON in (with what it leaves out)
//!   and out;
//! - `display`: legend formats, units and threshold colours;
//! - `reduce`: Grafana's calculations (a series to one value);
//! - `heatmap`: histogram buckets as a heatmap's rows;
//! - `layout`: panels placed on the grid, repeated panels copied;
//! - `overview`: the built-in "Service overview" dashboard;
//! - `vars`: template variables, their options and interpolation.
//!
//! ```
//! let text = r#"{"title": "Up", "panels": [{"type": "stat", "title": "Up",
//!   "targets": [{"expr": "up"}], "options": {"reduceOptions": {"calcs": ["p95"]}}}]}"#;
//! let (d, report) = o11y_dashboards::import(text).unwrap();
//! assert_eq!(d.panels[0].kind, o11y_dashboards::PanelKind::Stat);
//! assert_eq!(report.unsupported, ["panel \"Up\": calculation \"p95\" (the last value is shown)"]);
//! ```

/// An enum whose values Grafana's JSON writes as names: `ALL` (every
/// value, in the order the page lists them), `as_str` (the name) and
/// `from_name` (`None` for a name Grafana does not have).
macro_rules! grafana_names {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $($(#[$variant_meta:meta])* $variant:ident = $text:literal,)+
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum $name {
            $($(#[$variant_meta])* $variant,)+
        }

        impl $name {
            /// Every value, in the order the page lists them.
            pub const ALL: [$name; [$($text),+].len()] = [$($name::$variant),+];

            /// The name in Grafana's JSON.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)+
                }
            }

            /// The value Grafana's JSON names `name`.
            pub fn from_name(name: &str) -> Option<$name> {
                match name {
                    $($text => Some($name::$variant),)+
                    _ => None,
                }
            }
        }
    };
}

mod display;
mod export;
mod heatmap;
mod import;
mod layout;
mod model;
mod overview;
mod reduce;
pub mod vars;

pub use display::{UNITS, format_value, legend, threshold_color};
pub use export::export;
pub use heatmap::{buckets_to_counts, sort_by_le};
pub use import::{ImportReport, import};
pub use model::{
    ColorMode, Dashboard, DrawStyle, GridPos, Panel, PanelKind, RepeatDirection, Step, Target,
    TargetFormat, Variable, VariableKind, VariableSort,
};
pub use overview::service_overview;
pub use reduce::{Reducer, reduce};
