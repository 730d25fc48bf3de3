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

/// The demo the page starts with, what to tell the user about it, and
/// the lesson progress a share link carried.
pub fn initial_demo() -> (Demo, Option<Notice>, Option<o11y_engine::learn::Progress>) {
    let now = real_now_ms() as i64;
    let hash = fragment::current();
    if let Some(link) = share_payload(&hash) {
        return match Workspace::from_link(link).and_then(|ws| {
            restore(&ws, now)
                .map(|r| (r, ws.progress.clone()))
                .map_err(o11y_engine::workspace::WorkspaceError::Json)
        }) {
            Ok(((demo, view, skipped), progress)) => {
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
                    progress,
                )
            }
            Err(e) => (
                fresh_demo(),
                Some(Notice {
                    message: format!("{e} The page started clean."),
                    download: None,
                }),
                None,
            ),
        };
    }
    let Some(saved) = storage().and_then(|s| s.get_item(STORAGE_KEY).ok().flatten()) else {
        return (fresh_demo(), None, None);
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
            (demo, notice, None)
        }
        Err(e) => {
            // Kept under another key, and out of the next start's way; a
            // storage that refuses either is said so.
            let (kept, removed) = storage().map_or((false, false), |s| {
                (
                    s.set_item(CORRUPT_KEY, &saved).is_ok(),
                    s.remove_item(STORAGE_KEY).is_ok(),
                )
            });
            let message = format!(
                "Your saved workspace could not be read ({e}). It is kept for download{}; the page started clean.{}",
                if kept {
                    ""
                } else {
                    " (this browser's storage refused a copy)"
                },
                if removed {
                    ""
                } else {
                    " It could not be removed from this browser's storage: the next visit reads it again unless saving replaces it."
                }
            );
            (
                fresh_demo(),
                Some(Notice {
                    message,
                    download: Some(("unreadable-workspace.json", saved)),
                }),
                None,
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
    Demo::start_from_workspace(ws, now)
        .map(|(d, skipped)| (d, ws.view.clone(), skipped))
        .map_err(|e| e.to_string())
}

/// The page's view to keep in the workspace (the fragment, without a share payload).
fn current_view() -> String {
    view_to_keep(&fragment::current())
}

/// Saves the workspace whenever it changed, every two seconds; not while
/// a lesson runs (its scenario is not the learner's workspace).
pub fn use_autosave(state: AppState) {
    let AppState {
        demo,
        tick,
        lesson,
        error,
        ..
    } = state;
    let last = StoredValue::new(String::new());
    let every_save = tick.every(SAVE_REAL_MS);
    Effect::watch(
        move || every_save.get(),
        move |_, _, _| {
            if lesson.with_untracked(Option::is_some) {
                return;
            }
            let json = demo.with_untracked(|d| d.workspace(&current_view()).to_json());
            if json != last.get_value() {
                // A refused write (storage full or off) is shown, and tried
                // again at the next save.
                let saved = storage()
                    .ok_or_else(|| "local storage is not available".to_string())
                    .and_then(|s| {
                        s.set_item(STORAGE_KEY, &json)
                            .map_err(|e| crate::files::refusal_text(&e))
                    });
                match saved {
                    Ok(()) => last.set_value(json),
                    Err(e) => error.set(Some(format!(
                        "Your workspace was not saved in this browser: {e}"
                    ))),
                }
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
            let link = n
                .download
                .as_ref()
                .and_then(|(name, text)| download_url(text).map(|url| (*name, url)));
            view! {
                <div class="banner notice" role="status" data-testid="workspace-notice">
                    {n.message}
                    {link.map(|(name, url)| view! { " " <a href=url download=name data-testid="workspace-download-unreadable">"Download it"</a> })}
                    " " <button class="link" on:click=move |_| notice.set(None)>"×"</button>
                </div>
            }
        })
    }
}

/// Export, import, share link and a clean start, in the simulator panel.
#[component]
pub fn WorkspacePanel() -> impl IntoView {
    let AppState {
        demo,
        notice,
        progress,
        ..
    } = expect_context::<AppState>();
    let with_progress = move |mut ws: Workspace| {
        ws.progress = Some(progress.get_untracked());
        ws
    };
    let export_url = RwSignal::new(None::<String>);
    let share = RwSignal::new(None::<Result<String, String>>);
    // Whether the share link reached the clipboard (the browser answers later).
    let copied = RwSignal::new(None::<Result<(), String>>);
    let status = RwSignal::new(None::<String>);
    let on_export = move |_| {
        let json = with_progress(demo.with_untracked(|d| d.workspace(&current_view()))).to_json();
        export_url.set(download_url(&json));
    };
    let on_share = move |_| {
        let link = with_progress(demo.with_untracked(|d| d.workspace(&current_view())))
            .to_link()
            .map(|payload| format!("{}{}{payload}", page_url(), fragment::SHARE_PREFIX))
            .map_err(|e| e.to_string());
        copied.set(None);
        if let Ok(url) = &link {
            let written = wasm_bindgen_futures::JsFuture::from(
                window().navigator().clipboard().write_text(url),
            );
            leptos::task::spawn_local(async move {
                copied.set(Some(
                    written
                        .await
                        .map(|_| ())
                        .map_err(|e| crate::files::refusal_text(&e)),
                ));
            });
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
                .and_then(|ws| restore(&ws, real_now_ms() as i64).map(|r| (r, ws.progress)))
            {
                Ok(((d, _, skipped), shared)) => {
                    demo.set(d);
                    if let Some(p) = shared {
                        progress.set(p);
                    }
                    status.set(Some(with_skipped("Imported.", &skipped)));
                }
                Err(e) => status.set(Some(format!("Not imported: {e}"))),
            }
        });
    };
    let on_clean = move |_| {
        let removed = storage().is_none_or(|s| s.remove_item(STORAGE_KEY).is_ok());
        notice.set(None);
        demo.set(fresh_demo());
        status.set(Some(if removed {
            "Started a clean workspace.".into()
        } else {
            "Started a clean workspace, but this browser's storage refused to forget the saved one: it comes back on the next visit unless saving replaces it.".into()
        }));
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
                Ok(url) => view! {
                    <input class="wide" readonly data-testid="workspace-share-link" prop:value=url />
                    {move || copied.get().map(|c| {
                        let (class, text) = match c {
                            Ok(()) => ("muted", " copied".to_string()),
                            Err(e) => ("error-text", format!(" not copied ({e}): select the link to copy it")),
                        };
                        view! { <span class=class data-testid="workspace-share-copied">{text}</span> }
                    })}
                }.into_any(),
                Err(e) => view! { <p class="error-text" data-testid="workspace-share-error">{e}</p> }.into_any(),
            })}
            {move || status.get().map(|s| view! { <p data-testid="workspace-status">{s}</p> })}
        </div>
    }
}
