//! Logs: a store of streams, ingest of pasted text, and LogQL with the
//! semantics of Grafana Loki's documentation: log queries (stream
//! selectors and pipelines) and metric queries (range aggregations, with
//! vector aggregations and binary operations as in PromQL).

pub mod assist;
pub mod ingest;
pub mod jsonscan;
pub mod metric;
pub mod parser;
pub mod pattern;
pub mod pipeline;
pub mod store;

pub use metric::{LogQuery, LogqlResult, query};
pub use parser::{LogqlError, parse_log_query};
