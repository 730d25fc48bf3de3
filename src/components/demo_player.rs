//! The demo player's bar, at the bottom of every page while a demo script
//! plays: the caption, the step, back / play-pause / next, the
//! presentation view, stop. Keys: space plays or pauses (or goes on past a
//! pause), → next, ← back, Escape leaves the presentation view.

use leptos::prelude::*;

use super::Markdown;
use crate::present;
use crate::state::AppState;

#[component]
pub fn DemoPlayer() -> impl IntoView {
    let state = expect_context::<AppState>();
    // Steps come due as the clock runs.
    let every = state.tick.every(250);
    Effect::watch(
        move || every.get(),
        move |_, _, _| present::follow_clock(state),
        false,
    );
    // Mounted while a demo plays (the app shell), so its key listener goes with it.
    let keys = window_event_listener(leptos::ev::keydown, move |ev| {
        if state.playing.with_untracked(Option::is_none) {
            return;
        }
        // Typing in a field is not a command.
        let typing = ev
            .target()
            .and_then(|t| wasm_bindgen::JsCast::dyn_into::<web_sys::Element>(t).ok())
            .is_some_and(|e| matches!(e.tag_name().as_str(), "INPUT" | "TEXTAREA" | "SELECT"));
        if typing {
            return;
        }
        match ev.key().as_str() {
            " " => {
                ev.prevent_default();
                present::toggle(state);
            }
            "ArrowRight" => present::next(state),
            "ArrowLeft" => present::previous(state),
            "Escape" => present::set_presenting(state, false),
            _ => {}
        }
    });
    on_cleanup(move || keys.remove());
    move || {
        let playing = state.playing.get()?;
        let script = playing.script.clone();
        let index = playing.applied.unwrap_or(0);
        let step = script.steps.get(index)?.clone();
        let total = script.steps.len();
        let paused = move || {
            state.tick.track();
            state.demo.with_untracked(|d| d.clock().is_paused())
        };
        Some(view! {
            <div class="demo-player" data-testid="demo-player" role="region" aria-label="Demo">
                <div class="caption" data-testid="demo-caption"><Markdown text=step.caption.clone() /></div>
                <div class="row">
                    <span class="muted" data-testid="demo-step">{format!("{} · step {} of {total}", script.title, index + 1)}</span>
                    {playing.waiting.then(|| view! { <span class="badge" data-testid="demo-waiting">"paused: press space or →"</span> })}
                    {playing.finished.then(|| view! { <span class="badge" data-testid="demo-finished">"the end"</span> })}
                    <button data-testid="demo-back" title="Back (←)" on:click=move |_| present::previous(state)>"← Back"</button>
                    <button data-testid="demo-play" title="Play or pause (space)" on:click=move |_| present::toggle(state)>
                        {move || if paused() { "▶ Play" } else { "❚❚ Pause" }}
                    </button>
                    <button data-testid="demo-next" title="Next (→)" on:click=move |_| present::next(state)>"Next →"</button>
                    <button data-testid="demo-present" on:click=move |_| present::set_presenting(state, !playing.presenting)>
                        {if playing.presenting { "Leave the presentation view" } else { "Presentation view" }}
                    </button>
                    <button data-testid="demo-stop" on:click=move |_| present::stop(state)>"Stop"</button>
                </div>
            </div>
        })
    }
}
