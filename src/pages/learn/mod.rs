//! The Learn page (`#/learn`): the course map by pillar and level, each
//! lesson's progress, and "continue where you left off". Opening a lesson
//! puts the playground into its scenario and docks its panel beside every
//! page (`components::LessonPanel`).

mod authoring;

use leptos::prelude::*;
use o11y_engine::learn::Pillar;

use crate::components::Markdown;
use crate::learn::{self, course};
use crate::state::AppState;

/// Fetches the lessons the first time it opens, then shows them.
#[component]
pub fn LearnPage() -> impl IntoView {
    let state = expect_context::<AppState>();
    learn::load_course(state);
    move || match state.course.get() {
        learn::CourseLoad::Ready => view! { <CourseMap /> }.into_any(),
        learn::CourseLoad::Failed(e) => view! {
            <section class="learn" data-testid="learn-page">
                <p class="error-text" data-testid="learn-load-error">{e}</p>
            </section>
        }
        .into_any(),
        learn::CourseLoad::NotAsked | learn::CourseLoad::Loading => view! {
            <section class="learn" data-testid="learn-page">
                <p class="muted" data-testid="learn-loading">"Fetching the lessons…"</p>
            </section>
        }
        .into_any(),
    }
}

#[component]
fn CourseMap() -> impl IntoView {
    let state = expect_context::<AppState>();
    let status = RwSignal::new(None::<String>);
    let start = move |id: String, step: Option<usize>| {
        if let Err(e) = learn::open(state, &id, step) {
            status.set(Some(e));
        }
    };
    let resume = move || {
        let place = state.progress.with(|p| p.current.clone())?;
        let lesson = course().lesson(&place.lesson)?;
        let (id, step) = (lesson.id.clone(), place.step);
        Some(view! {
            <div class="card resume" data-testid="learn-continue">
                "Continue where you left off: "
                <strong>{lesson.title.clone()}</strong>
                {format!(", step {} of {}. ", step + 1, lesson.steps.len())}
                <button class="primary" data-testid="learn-continue-button" on:click=move |_| start(id.clone(), Some(step))>"Continue"</button>
            </div>
        })
    };
    let problems = course()
        .problems
        .iter()
        .map(|(file, e)| view! { <li class="error-text">{format!("{file}:{e}")}</li> })
        .collect_view();
    let pillars = Pillar::ALL
        .into_iter()
        .filter(|p| course().lessons.iter().any(|l| l.pillar == *p))
        .map(|pillar| {
            let cards = course()
                .lessons
                .iter()
                .filter(|l| l.pillar == pillar)
                .map(|l| {
                    let id = l.id.clone();
                    let exercises: Vec<String> = l.exercises().map(|e| e.id.clone()).collect();
                    let score = {
                        let id = id.clone();
                        move || state.progress.with(|p| p.score(&id, exercises.iter().map(String::as_str)))
                    };
                    let started = {
                        let id = id.clone();
                        move || state.progress.with(|p| p.lessons.contains_key(&id))
                    };
                    let open_id = id.clone();
                    view! {
                        <article class="card lesson-card" data-testid=format!("learn-lesson-{id}")>
                            <h3>{l.title.clone()} <span class="muted">{format!(" · level {}", l.level)}</span></h3>
                            <Markdown text=l.summary.clone() />
                            <p class="muted" data-testid="learn-lesson-progress">
                                {move || {
                                    let (passed, total) = score();
                                    format!("{passed} of {total} exercises passed")
                                }}
                            </p>
                            <button class="primary" data-testid=format!("learn-start-{id}") on:click=move |_| start(open_id.clone(), None)>
                                {move || if started() { "Continue" } else { "Start" }}
                            </button>
                        </article>
                    }
                })
                .collect_view();
            view! {
                <section class="pillar">
                    <h2>{capitalized(pillar.name())}</h2>
                    <div class="lesson-grid">{cards}</div>
                </section>
            }
        })
        .collect_view();
    view! {
        <section class="learn" data-testid="learn-page">
            <h2>"Learn"</h2>
            <p class="muted">
                "Lessons run on a scenario built the same way every time. Your answers are checked by their results on it, not by their text; the pages stay yours to use while a lesson is open, and leaving it gives your own workspace back."
            </p>
            {resume}
            {move || status.get().map(|s| view! { <p class="error-text" data-testid="learn-error">{s}</p> })}
            <ul>{problems}</ul>
            {pillars}
            <Demos />
            <authoring::Authoring />
        </section>
    }
}

fn capitalized(name: &str) -> String {
    let mut c = name.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

/// The built-in demo scripts, for presenters.
#[component]
fn Demos() -> impl IntoView {
    let state = expect_context::<AppState>();
    let status = RwSignal::new(None::<String>);
    let (scripts, problems) = learn::demos();
    let problems = problems
        .iter()
        .map(|(file, e)| view! { <p class="error-text">{format!("demos/{file}:{e}")}</p> })
        .collect_view();
    let cards = scripts
        .iter()
        .map(|script| {
            let id = script.id.clone();
            let (title, summary, steps) = (script.title.clone(), script.summary.clone(), script.steps.len());
            view! {
                <article class="card lesson-card" data-testid=format!("demo-{id}")>
                    <h3>{title}</h3>
                    <Markdown text=summary />
                    <p class="muted">{format!("{steps} steps")}</p>
                    <button class="primary" data-testid=format!("demo-start-{id}") on:click=move |_| {
                        status.set(crate::present::start(state, script.clone()).err());
                    }>"Play"</button>
                </article>
            }
        })
        .collect_view();
    view! {
        <section class="pillar" data-testid="demos">
            <h2>"Demos, for presenters"</h2>
            <p class="muted">"A script plays the shop's story on the virtual clock: captions, failures at their times, the pages and queries to show. Space pauses or goes on, → and ← step, the presentation view is for a projector."</p>
            {move || status.get().map(|s| view! { <p class="error-text">{s}</p> })}
            {problems}
            <div class="lesson-grid">{cards}</div>
        </section>
    }
}
