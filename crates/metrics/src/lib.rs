//! Metrics from where they are made to where they are stored: the
//! instrumentation library (`instrument`, client_golang's model, with
//! `quantile` behind summaries), the exposition formats (`expfmt`), the
//! in-memory TSDB behind the `store::SeriesStore` trait (`tsdb`), scrapes
//! (`scrape`) and relabeling (`relabel`). Querying is `o11y_promql`'s.

pub mod expfmt;
pub mod instrument;
pub mod quantile;
pub mod relabel;
pub mod scrape;
pub mod store;
pub mod tsdb;
