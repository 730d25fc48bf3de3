//! The shell of the page: it makes the app state, routes the URL
//! fragment to a page, and shows the navigation, the banners and the
//! simulator controls every page has.
//!
//! Only this file names the pages; a page never imports another (links
//! between them are fragments, written by `fragment`).

use leptos::prelude::*;

use crate::fragment::{self, Page};
use crate::pages::alerts::AlertsPage;
use crate::pages::dashboards::DashboardsPage;
use crate::pages::explore::ExplorePage;
use crate::pages::learn::LearnPage;
use crate::pages::live::LivePage;
use crate::pages::logs::LogsPage;
use crate::pages::metrics::MetricsPage;
use crate::pages::relabel::RelabelPage;
use crate::pages::traces::TracesPage;
use crate::refresh::use_tick;
use crate::simulator_controls::Controls;
use crate::state::AppState;

/// The name a page has in the navigation.
fn title(page: Page) -> &'static str {
    match page {
        Page::Live => "Live demo",
        Page::Learn => "Learn",
        Page::Metrics => "Metrics",
        Page::Explore => "Explore",
        Page::Logs => "Logs",
        Page::Traces => "Traces",
        Page::Alerts => "Alerts",
        Page::Relabel => "Relabel",
        Page::Dashboards => "Dashboards",
    }
}

#[component]
pub fn App() -> impl IntoView {
    // How long the demo's history takes to simulate before the first frame.
    let (first_demo, first_notice, shared_progress) =
        crate::perf::measure("demo-start", crate::workspace::initial_demo);
    // Progress from a share link wins over this browser's.
    let (progress, progress_notice) = match shared_progress {
        Some(p) => (p, None),
        None => crate::learn::initial_progress(),
    };
    let demo = RwSignal::new(first_demo);
    let error = RwSignal::new(None);
    let state = AppState {
        demo,
        error,
        page: RwSignal::new(Page::from_fragment(&fragment::current())),
        notice: RwSignal::new(first_notice.or(progress_notice)),
        tick: use_tick(demo, error),
        lesson: RwSignal::new(None),
        progress: RwSignal::new(progress),
        course: RwSignal::new(crate::learn::CourseLoad::NotAsked),
        stashed: StoredValue::new(None),
        drafts: crate::state::Drafts::new(),
        playing: RwSignal::new(None),
    };
    provide_context(state);
    crate::workspace::use_autosave(state);
    crate::learn::use_progress_saving(state);

    // A lesson link opens its lesson.
    if let Some(payload) = fragment::lesson_payload(&fragment::current()) {
        crate::learn::open_link(state, payload);
    }

    // Links between pages (a span's logs, a log line's trace) change the fragment.
    let _ = window_event_listener(leptos::ev::hashchange, move |_| {
        if let Some(payload) = fragment::lesson_payload(&fragment::current()) {
            crate::learn::open_link(state, payload);
            return;
        }
        let page = Page::from_fragment(&fragment::current());
        if state.page.get_untracked() != page {
            state.page.set(page);
        }
    });

    let nav = Page::ALL
        .into_iter()
        .map(|page| {
            view! {
                <a
                    href=page.fragment()
                    class:active=move || state.page.get() == page
                    aria-current=move || (state.page.get() == page).then_some("page")
                    data-testid=format!("nav-{}", page.fragment().trim_start_matches("#/"))
                    on:click=move |_| state.page.set(page)
                >
                    {title(page)}
                </a>
            }
        })
        .collect_view();

    view! {
        <header class="topbar">
            <h1>"O11y Playground"</h1>
            <nav aria-label="Pages">{nav}</nav>
            <p class="tagline">"Metrics, logs, traces and alerts — all in your browser."</p>
        </header>
        <main>
            {move || {
                state
                    .error
                    .get()
                    .map(|e| view! { <div class="banner error" role="alert">{e}</div> })
            }}
            <crate::workspace::WorkspaceNotice notice=state.notice />
            <Controls />
            <div class="layout" class:with-lesson=move || state.lesson.with(Option::is_some)>
            <div class="page-area">
            {move || match state.page.get() {
                Page::Live => view! { <LivePage /> }.into_any(),
                Page::Learn => view! { <LearnPage /> }.into_any(),
                Page::Metrics => view! { <MetricsPage /> }.into_any(),
                Page::Explore => view! { <ExplorePage /> }.into_any(),
                Page::Logs => view! { <LogsPage /> }.into_any(),
                Page::Traces => view! { <TracesPage /> }.into_any(),
                Page::Alerts => view! { <AlertsPage /> }.into_any(),
                Page::Relabel => view! { <RelabelPage /> }.into_any(),
                Page::Dashboards => view! { <DashboardsPage /> }.into_any(),
            }}
            </div>
            <crate::components::LessonPanel />
            </div>
            <crate::components::DemoPlayer />
        </main>
    }
}
