//! What the pages share, each a component that binds signals to engine
//! calls: the graph of query results (exemplar dots, a threshold) and the
//! state bands drawn under an alert's graph; the query editor
//! (highlighting, the error at its span, completion); the time-range
//! picker and the one step rule; the data-source field; Markdown as
//! elements; the lesson panel docked beside every page. Pages import from
//! here, never from another page.

pub mod data_source_field;
pub mod demo_player;
pub mod graph;
pub mod lesson_panel;
pub mod markdown;
pub mod query_editor;
pub mod state_bands;
pub mod time_range;

pub use data_source_field::DataSourceField;
pub use demo_player::DemoPlayer;
pub use graph::{ChartError, ExemplarDot, Graph};
pub use lesson_panel::LessonPanel;
pub use markdown::Markdown;
pub use query_editor::{QueryEditor, Tokens};
pub use state_bands::StateBands;
pub use time_range::{RangePicker, Resolution};
