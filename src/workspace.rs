//! The workspace in the browser: restored at start (from a share link, or
//! from local storage), saved to local storage whenever it changes,
//! exported and imported as a JSON file, and shared as a link whose
//! fragment carries it. A saved workspace that cannot be read is kept for
//! download under another key, and the page starts clean with a message.

use leptos::prelude::*;
use o11y_engine::demo::Demo;
use o11y_engine::workspace::Workspace;

use crate::files::download_url;
use crate::fragment::{self, share_payload, view_to_keep};
use crate::refresh::Tick;
use crate::state::{AppState, Notice, fresh_demo};
use crate::timer::real_now_ms;

/// Where the workspace is saved.
pub const STORAGE_KEY: &str = "o11y-workspace";
/// Where a saved workspace that could not be read is kept.
pub const CORRUPT_KEY: &str = "o11y-workspace-unreadable";
/// How often the workspace is saved when it changed, in real milliseconds.
const SAVE_REAL_MS: u32 = 2000;

fn storage() -> Option<web_sys::Storage> {
    window().local_storage().ok().flatten()
}

/// The demo the page starts with, and what to tell the user about it.
pub fn initial_demo() -> (Demo, Option<Notice>) {
    let now = real_now_ms() as i64;
    let hash = fragment::current();
    if let Some(link) = share_payload(&hash) {
        return match Workspace::from_link(link)
            .and_then(|ws| restore(&ws, now).map_err(o11y_engine::workspace::WorkspaceError::Json))
        {
            Ok((demo, view, skipped)) => {
                let _ = window().location().replace(&format!(
                    "{}{}",
                    page_url(),
                    if view.is_empty() {
                        fragment::Page::Live.fragment().to_string()
                    } else {
                        view
                    }
                ));
                (
                    demo,
                    Some(Notice {
                        message: with_skipped("Opened a shared workspace.", &skipped),
                        download: None,
                    }),
                )
            }
            Err(e) => (
                fresh_demo(),
                Some(Notice {
                    message: format!("{e} The page started clean."),
                    download: None,
                }),
            ),
        };
    }
    let Some(saved) = storage().and_then(|s| s.get_item(STORAGE_KEY).ok().flatten()) else {
        return (fresh_demo(), None);
    };
    match Workspace::from_json(&saved)
        .map_err(|e| e.to_string())
        .and_then(|ws| restore(&ws, now))
    {
        Ok((demo, _, skipped)) => {
            let notice = (!skipped.is_empty()).then(|| Notice {
                message: with_skipped("Restored your workspace.", &skipped),
                download: None,
            });
            (demo, notice)
        }
        Err(e) => {
            if let Some(s) = storage() {
                let _ = s.set_item(CORRUPT_KEY, &saved);
                let _ = s.remove_item(STORAGE_KEY);
            }
            let message = format!(
                "Your saved workspace could not be read ({e}). It is kept for download; the page started clean."
            );
            (
                fresh_demo(),
                Some(Notice {
                    message,
                    download: Some(saved),
                }),
            )
        }
    }
}

fn page_url() -> String {
    let l = window().location();
    format!(
        "{}{}",
        l.origin().unwrap_or_default(),
        l.pathname().unwrap_or_default()
    )
}

fn with_skipped(message: &str, skipped: &[String]) -> String {
    if skipped.is_empty() {
        message.to_string()
    } else {
        format!("{message} Left out: {}.", skipped.join("; "))
    }
}

fn restore(ws: &Workspace, now: i64) -> Result<(Demo, String, Vec<String>), String> {
    Demo::from_workspace(ws, now)
        .map(|(d, skipped)| (d, ws.view.clone(), skipped))
        .map_err(|e| e.to_string())
}

/// The page's view to keep in the workspace (the fragment, without a share payload).
fn current_view() -> String {
    view_to_keep(&fragment::current())
}

/// Saves the workspace whenever it changed, every two seconds.
pub fn use_autosave(demo: RwSignal<Demo>, tick: Tick) {
    let last = StoredValue::new(String::new());
    let every_save = tick.every(SAVE_REAL_MS);
    Effect::watch(
        move || every_save.get(),
        move |_, _, _| {
            let json = demo.with_untracked(|d| d.workspace(&current_view()).to_json());
            if json != last.get_value() {
                if let Some(s) = storage() {
                    let _ = s.set_item(STORAGE_KEY, &json);
                }
                last.set_value(json);
            }
        },
        false,
    );
}

/// The banner about the workspace (restored, shared, unreadable).
#[component]
pub fn WorkspaceNotice(notice: RwSignal<Option<Notice>>) -> impl IntoView {
    move || {
        notice.get().map(|n| {
            let link = n.download.as_deref().and_then(download_url);
            view! {
                <div class="banner notice" role="status" data-testid="workspace-notice">
                    {n.message}
                    {link.map(|url| view! { " " <a href=url download="unreadable-workspace.json" data-testid="workspace-download-unreadable">"Download it"</a> })}
                    " " <button class="link" on:click=move |_| notice.set(None)>"×"</button>
                </div>
            }
        })
    }
}

/// Export, import, share link and a clean start, in the simulator panel.
#[component]
pub fn WorkspacePanel() -> impl IntoView {
    let AppState { demo, notice, .. } = expect_context::<AppState>();
    let export_url = RwSignal::new(None::<String>);
    let share = RwSignal::new(None::<Result<String, String>>);
    let status = RwSignal::new(None::<String>);
    let on_export = move |_| {
        let json = demo.with_untracked(|d| d.workspace(&current_view()).to_json());
        export_url.set(download_url(&json));
    };
    let on_share = move |_| {
        let link = demo
            .with_untracked(|d| d.workspace(&current_view()).to_link())
            .map(|payload| format!("{}{}{payload}", page_url(), fragment::SHARE_PREFIX))
            .map_err(|e| e.to_string());
        if let Ok(url) = &link {
            let _ = window().navigator().clipboard().write_text(url);
        }
        share.set(Some(link));
    };
    let on_import = move |ev: leptos::ev::Event| {
        let Some(file) = crate::files::chosen_file(&ev) else {
            return;
        };
        leptos::task::spawn_local(async move {
            let text = crate::files::text_of(file).await;
            match Workspace::from_json(&text)
                .map_err(|e| e.to_string())
                .and_then(|ws| restore(&ws, real_now_ms() as i64))
            {
                Ok((d, _, skipped)) => {
                    demo.set(d);
                    status.set(Some(with_skipped("Imported.", &skipped)));
                }
                Err(e) => status.set(Some(format!("Not imported: {e}"))),
            }
        });
    };
    let on_clean = move |_| {
        if let Some(s) = storage() {
            let _ = s.remove_item(STORAGE_KEY);
        }
        notice.set(None);
        demo.set(fresh_demo());
        status.set(Some("Started a clean workspace.".into()));
    };
    view! {
        <div class="sim-column workspace">
            <h2>"Workspace"</h2>
            <p class="muted">"Saved in this browser as you work: rules, configs, pastes, metrics you defined, simulator settings."</p>
            <button data-testid="workspace-export" on:click=on_export>"Export"</button>
            {move || export_url.get().map(|u| view! { " " <a href=u download="o11y-workspace.json" data-testid="workspace-export-link">"o11y-workspace.json"</a> })}
            <label class="file">" Import " <input type="file" accept=".json,application/json" data-testid="workspace-import" on:change=on_import /></label>
            <button data-testid="workspace-share" on:click=on_share>"Share link"</button>
            <button data-testid="workspace-clean" on:click=on_clean>"Start clean"</button>
            {move || share.get().map(|r| match r {
                Ok(url) => view! { <input class="wide" readonly data-testid="workspace-share-link" prop:value=url /> <span class="muted">" copied"</span> }.into_any(),
                Err(e) => view! { <p class="error-text" data-testid="workspace-share-error">{e}</p> }.into_any(),
            })}
            {move || status.get().map(|s| view! { <p data-testid="workspace-status">{s}</p> })}
        </div>
    }
}
