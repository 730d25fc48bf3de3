//! Scripted demos in the page: a demo script's scenario replaces the
//! learner's demo (kept, as a lesson keeps it, and given back at the end),
//! and its timeline plays on the virtual clock: at each step's time the
//! page and query change, the speed is set, the caption shows, and a
//! `pause` step waits for the presenter. Steps go forward and back (back
//! builds the scenario again and runs it to the step's time: the same data
//! every time). The presentation view hides the navigation and enlarges
//! everything for a projector.

use std::sync::Arc;

use leptos::prelude::*;
use o11y_engine::learn::script::Script;

use crate::fragment::{self, ExploreUrl, LogsUrl, Page};
use crate::state::{AppState, Playing};

/// The page a step names, and the fragment that shows its query.
fn fragment_of(page: &str, query: Option<&str>) -> (Page, String) {
    let p = Page::from_fragment(&format!("#/{page}"));
    let f = match (p, query) {
        (Page::Explore, Some(q)) => ExploreUrl {
            query: q.to_string(),
            ..ExploreUrl::default()
        }
        .to_fragment(),
        (Page::Logs, Some(q)) => LogsUrl::fragment(q, Some(900_000), None),
        _ => p.fragment().to_string(),
    };
    (p, f)
}

/// Starts `script`: its scenario becomes the demo (the learner's is kept).
pub fn start(state: AppState, script: Script) -> Result<(), String> {
    let demo = crate::perf::measure("demo-open", || script.scenario.build())
        .map_err(|e| format!("the demo's scenario does not build: {e}"))?;
    let previous = state.demo.try_update(|d| std::mem::replace(d, demo));
    if state.lesson.with_untracked(Option::is_none) && state.playing.with_untracked(Option::is_none)
    {
        state.stashed.set_value(previous);
    }
    state.lesson.set(None);
    state.playing.set(Some(Playing {
        script: Arc::new(script),
        applied: None,
        waiting: false,
        presenting: false,
        finished: false,
    }));
    apply(state, 0);
    Ok(())
}

/// Shows step `index`: page and query, speed, caption; a `pause` step
/// stops the clock until the presenter goes on.
fn apply(state: AppState, index: usize) {
    let Some(playing) = state.playing.get_untracked() else {
        return;
    };
    let Some(step) = playing.script.steps.get(index) else {
        return;
    };
    if let Some(page) = &step.page {
        let (p, f) = fragment_of(page, step.query.as_deref());
        fragment::replace(&f);
        // Through another page, so the page is built again and reads its
        // state (the query) from the URL.
        state.page.set(Page::Learn);
        state.page.set(p);
        // The new page from its top, as a presenter would show it.
        window().scroll_to_with_x_and_y(0.0, 0.0);
    }
    let last = index + 1 == playing.script.steps.len();
    state.demo.update(|d| {
        if let Some(s) = step.speed {
            d.clock_mut().set_speed(s);
        }
        if step.pause || last {
            d.clock_mut().pause();
        } else {
            d.clock_mut().resume();
        }
    });
    state.playing.update(|p| {
        if let Some(p) = p {
            p.applied = Some(index);
            p.waiting = step.pause && !last;
            p.finished = last;
        }
    });
}

/// Applies the steps whose time has come (called on every tick).
pub fn follow_clock(state: AppState) {
    let Some(playing) = state.playing.get_untracked() else {
        return;
    };
    if playing.waiting || playing.finished {
        return;
    }
    let now = state.demo.with_untracked(|d| d.now_ms());
    let due = playing.script.current(now);
    let mut next = playing.applied.map_or(0, |a| a + 1);
    while due.is_some_and(|d| next <= d) {
        apply(state, next);
        if state
            .playing
            .with_untracked(|p| p.as_ref().is_some_and(|p| p.waiting))
        {
            break;
        }
        next += 1;
    }
}

/// Goes on: past a pause, or to the next step now (the clock jumps to it).
pub fn next(state: AppState) {
    let Some(playing) = state.playing.get_untracked() else {
        return;
    };
    let next = playing.applied.map_or(0, |a| a + 1);
    if next >= playing.script.steps.len() {
        return;
    }
    let to = playing.script.time_of(next);
    let mut failed = None;
    state.demo.update(|d| {
        let ahead = to - d.now_ms();
        if ahead > 0 {
            failed = d.step(ahead).err();
        }
    });
    if let Some(e) = failed {
        state.error.set(Some(e.to_string()));
    }
    apply(state, next);
}

/// Back one step: the scenario again, run to that step's time.
pub fn previous(state: AppState) {
    let Some(playing) = state.playing.get_untracked() else {
        return;
    };
    let back = playing.applied.map_or(0, |a| a.saturating_sub(1));
    let Ok(mut demo) = playing.script.scenario.build() else {
        return;
    };
    let to = playing.script.time_of(back);
    if let Err(e) = demo.step(to - demo.now_ms()) {
        state.error.set(Some(e.to_string()));
    }
    state.demo.set(demo);
    apply(state, back);
}

/// Play or pause.
pub fn toggle(state: AppState) {
    let waiting = state
        .playing
        .with_untracked(|p| p.as_ref().is_some_and(|p| p.waiting));
    if waiting {
        state.playing.update(|p| {
            if let Some(p) = p {
                p.waiting = false;
            }
        });
        state.demo.update(|d| d.clock_mut().resume());
    } else {
        state.demo.update(|d| {
            let c = d.clock_mut();
            if c.is_paused() {
                c.resume();
            } else {
                c.pause();
            }
        });
    }
}

/// Ends the demo: the learner's own demo comes back.
pub fn stop(state: AppState) {
    if let Some(own) = state.stashed.try_update_value(Option::take).flatten() {
        state.demo.set(own);
    }
    set_presenting(state, false);
    state.playing.set(None);
    fragment::go(Page::Learn.fragment());
    state.page.set(Page::Learn);
}

/// The presentation view: no navigation, everything larger.
pub fn set_presenting(state: AppState, on: bool) {
    if let Some(root) = document().document_element() {
        let classes = root.class_list();
        let changed = if on {
            classes.add_1("presenting")
        } else {
            classes.remove_1("presenting")
        };
        if let Err(e) = changed {
            state.error.set(Some(format!(
                "The presentation view could not switch: {}",
                crate::files::refusal_text(&e)
            )));
        }
    }
    state.playing.update(|p| {
        if let Some(p) = p {
            p.presenting = on;
        }
    });
}
