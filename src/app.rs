//! The shell of the page: it makes the app state, routes the URL
//! fragment to a page, and shows the navigation, the banners and the
//! simulator controls every page has.
//!
//! Only this file names the pages; a page never imports another (links
//! between them are fragments, written by `fragment`).

use leptos::prelude::*;
use leptos::wasm_split::wasm_split;

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

/// Every page but the live demo is a chunk of wasm of its own, fetched the
/// first time it is shown: the first load carries the shell, the live demo
/// and the engine, not the code of eight pages a visitor may never open
/// (nor the lesson panel's or the demo player's). Per page, one line: its
/// chunk's name, the `wasm_split` function where `scripts/build-wasm.sh`
/// cuts the page's wasm (natively a plain call) and the function that
/// fetches the chunk without running anything in it; `page_view` and
/// `fetch_page` are made from the same lines, so they cannot disagree with
/// the cuts (a fetch left over from a cut that is gone is an import the
/// splitter does not provide, and the page would not instantiate).
macro_rules! page_chunks {
    ($($page:ident: $chunk:ident, $cut:ident, $fetch:ident => $component:ident;)*) => {
        $(
            #[wasm_split($chunk, wasm_split_path = leptos::wasm_split, fallible, preload($fetch))]
            fn $cut() -> Result<AnyView, NotFetched> {
                Ok(view! { <$component /> }.into_any())
            }
        )*

        async fn page_view(page: Page) -> Result<AnyView, NotFetched> {
            match page {
                Page::Live => Ok(view! { <LivePage /> }.into_any()),
                $(Page::$page => $cut().await,)*
            }
        }

        /// Fetches the chunk `page`'s code is in, without running anything in it.
        async fn fetch_page(page: Page) -> Result<(), NotFetched> {
            match page {
                Page::Live => {}
                $(Page::$page => $fetch().await?,)*
            }
            Ok(())
        }
    };
}

page_chunks! {
    Learn: learn, learn_page, fetch_learn => LearnPage;
    Metrics: metrics, metrics_page, fetch_metrics => MetricsPage;
    Explore: explore, explore_page, fetch_explore => ExplorePage;
    Logs: logs, logs_page, fetch_logs => LogsPage;
    Traces: traces, traces_page, fetch_traces => TracesPage;
    Alerts: alerts, alerts_page, fetch_alerts => AlertsPage;
    Relabel: relabel, relabel_page, fetch_relabel => RelabelPage;
    Dashboards: dashboards, dashboards_page, fetch_dashboards => DashboardsPage;
}

/// A chunk's code did not arrive. A later try fetches it anew.
struct NotFetched;

impl From<leptos::wasm_split::SplitLoaderError> for NotFetched {
    fn from(_: leptos::wasm_split::SplitLoaderError) -> Self {
        NotFetched
    }
}

/// The chunk that last failed to arrive, by name: said once where its
/// view would be, then fetched anew the next time the view is asked for.
#[derive(Clone, Copy)]
struct Chunks {
    failed: RwSignal<Option<&'static str>>,
}

impl Chunks {
    fn new() -> Self {
        Chunks {
            failed: RwSignal::new(None),
        }
    }

    /// The view `build` makes, at once if its chunk is there (the view is
    /// built in the caller's reactive scope, as any other); else "Loading…"
    /// while `fetch` brings the chunk, and the caller runs again when it
    /// has. `name` tells this view's failures from others'. Call from a
    /// reactive closure.
    fn view(
        self,
        name: &'static str,
        build: impl Future<Output = Result<AnyView, NotFetched>>,
        fetch: impl Future<Output = Result<(), NotFetched>> + 'static,
    ) -> AnyView {
        if self.failed.get() == Some(name) {
            self.failed.update_untracked(|f| *f = None);
            return view! {
                <div class="banner error" role="alert" data-testid="chunk-not-fetched">
                    "This part of the page could not be fetched (is the network down?). "
                    "Open it again to retry; nothing else is lost."
                </div>
            }
            .into_any();
        }
        let mut build = std::pin::pin!(build);
        let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
        match build.as_mut().poll(&mut cx) {
            std::task::Poll::Ready(Ok(view)) => view,
            std::task::Poll::Ready(Err(NotFetched)) | std::task::Poll::Pending => {
                // `build` is dropped unfinished: its one poll asked the loader
                // for the chunk, and `fetch` waits for that same request (the
                // loader keeps one per chunk), then this view runs again.
                let arrived = ArcTrigger::new();
                arrived.track();
                leptos::task::spawn_local(async move {
                    match fetch.await {
                        Ok(()) => arrived.notify(),
                        Err(NotFetched) => self.failed.set(Some(name)),
                    }
                });
                view! { <p class="muted" data-testid="chunk-loading">"Loading…"</p> }.into_any()
            }
        }
    }
}

/// Starts fetching `page`'s chunk before it is opened (a pointer over its
/// link, or the focus on it): the chunk's files, up to a hundred small
/// ones for a page, are on their way when the click comes.
fn prefetch(page: Page) {
    leptos::task::spawn_local(async move {
        // A failure is not said here: opening the page fetches the chunk
        // anew (a failed fetch is not kept) and says so if it fails again.
        if let Err(NotFetched) = fetch_page(page).await {
            leptos::logging::log!("prefetch: the {} page's code did not arrive", title(page));
        }
    });
}

/// Opens the lesson a `#/lesson/…` link carries, once the lessons' code
/// has arrived.
fn open_link_later(state: AppState, payload: String) {
    leptos::task::spawn_local(async move {
        if open_link(state, payload).await.is_err() {
            state.error.set(Some(
                "The lesson link could not be opened: the lessons' code could not be fetched (is the network down?). Reload to retry.".to_string(),
            ));
        }
    });
}

#[wasm_split(lesson_link, wasm_split_path = leptos::wasm_split, fallible)]
fn open_link(state: AppState, payload: String) -> Result<(), NotFetched> {
    crate::learn::open_link(state, &payload);
    Ok(())
}

#[wasm_split(lesson_panel, wasm_split_path = leptos::wasm_split, fallible, preload(fetch_lesson_panel))]
fn lesson_panel() -> Result<AnyView, NotFetched> {
    Ok(view! { <crate::components::LessonPanel /> }.into_any())
}

#[wasm_split(demo_player, wasm_split_path = leptos::wasm_split, fallible, preload(fetch_demo_player))]
fn demo_player() -> Result<AnyView, NotFetched> {
    Ok(view! { <crate::components::DemoPlayer /> }.into_any())
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
        open_link_later(state, payload.to_string());
    }

    // Links between pages (a span's logs, a log line's trace) change the fragment.
    let _ = window_event_listener(leptos::ev::hashchange, move |_| {
        if let Some(payload) = fragment::lesson_payload(&fragment::current()) {
            open_link_later(state, payload.to_string());
            return;
        }
        let page = Page::from_fragment(&fragment::current());
        if state.page.get_untracked() != page {
            state.page.set(page);
        }
    });

    // The lesson panel and the demo player are chunks too, fetched when a
    // lesson opens or a demo plays; a memo so a new step does not remount them.
    let chunks = Chunks::new();
    let lesson_open = Memo::new(move |_| state.lesson.with(Option::is_some));
    let demo_playing = Memo::new(move |_| state.playing.with(Option::is_some));

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
                    on:pointerenter=move |_| prefetch(page)
                    on:focus=move |_| prefetch(page)
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
                page => chunks.view(title(page), page_view(page), fetch_page(page)),
            }}
            </div>
            {move || lesson_open.get().then(|| chunks.view("lesson panel", lesson_panel(), async { Ok(fetch_lesson_panel().await?) }))}
            </div>
            {move || demo_playing.get().then(|| chunks.view("demo player", demo_player(), async { Ok(fetch_demo_player().await?) }))}
        </main>
    }
}
