//! Live-Prometheus mode: the requests Explore and Dashboards make of a
//! real Prometheus's HTTP API (queries, label values for variables, and
//! the catalog autocomplete reads) when their data-source field names one.
//! URLs and answers are built and parsed by `o11y_engine::promapi`.

use leptos::prelude::*;
use o11y_engine::dashboards::vars::VarError;
use o11y_engine::model::labels::Labels;
use o11y_engine::promapi::{self, Catalog, Lookup};
use o11y_engine::promql::eval::RangeSeries;

/// The body of a GET, or why it could not be fetched (Prometheus's
/// errors come with a status and a JSON body, which is returned).
pub async fn fetch_text(url: &str) -> Result<String, String> {
    crate::files::fetch(url)
        .await
        .map(|(_, body)| body)
        .map_err(|e| {
            format!("{e} (is it running, and does it allow this origin with --web.cors.origin?)")
        })
}

/// `/api/v1/query_range`, as series.
pub async fn query_range(
    base: &str,
    expr: &str,
    start: i64,
    end: i64,
    step: i64,
) -> Result<Vec<RangeSeries>, String> {
    let body = fetch_text(&promapi::query_range_url(base, expr, start, end, step)).await?;
    promapi::parse_matrix(&body).map_err(|e| e.to_string())
}

/// `/api/v1/query_range`, as series, with what Prometheus says the query
/// read (its `stats`, when it gives them).
pub async fn query_range_with_stats(
    base: &str,
    expr: &str,
    start: i64,
    end: i64,
    step: i64,
) -> Result<(Vec<RangeSeries>, Option<promapi::ServerStats>), String> {
    let body = fetch_text(&promapi::query_range_url(base, expr, start, end, step)).await?;
    promapi::parse_matrix_with_stats(&body).map_err(|e| e.to_string())
}

/// `/api/v1/query`, as (labels, value).
pub async fn query(base: &str, expr: &str, time: i64) -> Result<Vec<(Labels, f64)>, String> {
    let body = fetch_text(&promapi::query_url(base, expr, time)).await?;
    promapi::parse_instant(&body).map_err(|e| e.to_string())
}

/// The last hour of real time, the range label and series lookups read.
fn last_hour() -> Option<(i64, i64)> {
    let now = crate::timer::real_now_ms() as i64;
    Some((now - 3_600_000, now))
}

/// A dashboard query variable's values (`label_values`, `label_names`,
/// `metrics`, `query_result`), asked of the Prometheus at `base`; an
/// error when the query is none of those, Prometheus cannot be reached
/// or answers with an error.
pub async fn variable_values(base: &str, query: &str) -> Result<Vec<String>, VarError> {
    if query.trim().is_empty() {
        return Ok(Vec::new());
    }
    let now = crate::timer::real_now_ms() as i64;
    let Some(url) = promapi::variable_url(base, query, last_hour(), now) else {
        return Err(VarError::Syntax(query.trim().to_string()));
    };
    let body = fetch_text(&url).await.map_err(VarError::Query)?;
    promapi::parse_variable_answer(query, &body, now).map_err(|e| VarError::Query(e.to_string()))
}

/// The catalog of a real Prometheus, empty until its metric names
/// (`/api/v1/label/__name__/values`) and label names (`/api/v1/labels`)
/// have arrived; `None` while the simulator is the data source.
pub fn use_catalog(remote: RwSignal<Option<String>>) -> RwSignal<Option<Catalog>> {
    let catalog = RwSignal::new(None::<Catalog>);
    Effect::new(move |_| {
        let Some(base) = remote.get() else {
            catalog.set(None);
            return;
        };
        catalog.set(Some(Catalog::default()));
        leptos::task::spawn_local(async move {
            let names = fetch_text(&promapi::label_values_url(
                &base,
                "__name__",
                &[],
                last_hour(),
            ))
            .await
            .and_then(|b| promapi::parse_strings(&b).map_err(|e| e.to_string()))
            .unwrap_or_default();
            let labels = fetch_text(&promapi::labels_url(&base, &[], last_hour()))
                .await
                .and_then(|b| promapi::parse_strings(&b).map_err(|e| e.to_string()))
                .unwrap_or_default();
            // Only if the data source did not change meanwhile.
            if remote.get_untracked().as_deref() == Some(base.as_str()) {
                catalog.set(Some(Catalog::new(names, labels)));
            }
        });
    });
    catalog
}

/// Makes `lookup` of the Prometheus at `base` and records its answer in
/// the catalog (the catalog's change re-runs what reads it).
pub fn look_up(
    base: String,
    remote: RwSignal<Option<String>>,
    catalog: RwSignal<Option<Catalog>>,
    lookup: Lookup,
) {
    leptos::task::spawn_local(async move {
        let answer = fetch_text(&lookup.url(&base, last_hour())).await;
        if remote.get_untracked().as_deref() == Some(base.as_str()) {
            catalog.update(|c| {
                if let Some(c) = c {
                    c.answer(lookup, answer.as_deref().map_err(String::as_str));
                }
            });
        }
    });
}
