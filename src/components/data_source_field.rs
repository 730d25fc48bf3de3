//! The data-source field Explore and Dashboards share: empty for the
//! simulator, or the URL of a Prometheus-compatible HTTP API (which must
//! allow this page's origin); a badge says when a real one is queried.
//!
//! ```ignore
//! let remote = RwSignal::new(None::<String>);
//! view! { <DataSourceField remote testid="datasource-url" /> }
//! ```

use leptos::prelude::*;

/// The field; `remote` is set when it is changed (`None`: the simulator).
#[component]
pub fn DataSourceField(remote: RwSignal<Option<String>>, testid: &'static str) -> impl IntoView {
    let text = RwSignal::new(remote.get_untracked().unwrap_or_default());
    view! {
        <label class="datasource" title="Send the queries to a Prometheus-compatible HTTP API (it must allow this page's origin: --web.cors.origin)">
            "Data source "
            <input
                data-testid=testid
                placeholder="the simulator; or http://127.0.0.1:9090"
                prop:value=move || text.get()
                on:input=move |ev| text.set(event_target_value(&ev))
                on:change=move |_| {
                    let url = text.get_untracked();
                    remote.set((!url.trim().is_empty()).then(|| url.trim().to_string()));
                }
            />
            {move || remote.get().map(|u| view! { <span class="badge whatif" data-testid="datasource-live">{format!("live: {u}")}</span> })}
        </label>
    }
}
