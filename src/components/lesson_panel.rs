//! The lesson panel, docked beside every page while a lesson is open: the
//! step's prose and exercise, Check (which takes the answer from the editor
//! the exercise names, or from the answer field here), the feedback,
//! graded hints then the solution, previous and next, reset and leave.

use leptos::prelude::*;
use o11y_engine::learn::Check;

use super::Markdown;
use crate::learn;
use crate::state::AppState;

#[component]
pub fn LessonPanel() -> impl IntoView {
    let state = expect_context::<AppState>();
    let typed = RwSignal::new(String::new());
    let problem = RwSignal::new(None::<String>);
    // The step shown: its index changes the body; feedback and progress
    // redraw their own parts.
    let step = Memo::new(move |_| {
        state
            .lesson
            .with(|l| l.as_ref().map(|l| (l.lesson.id.clone(), l.step)))
    });
    Effect::watch(
        move || step.get(),
        move |_, _, _| typed.set(String::new()),
        false,
    );
    move || {
        step.get()?;
        let open = state.lesson.get_untracked()?;
        let lesson = open.lesson.clone();
        let index = open.step;
        let total = lesson.steps.len();
        let current = lesson.steps.get(index)?.clone();
        let exercise = current.exercise.clone();
        let lesson_id = lesson.id.clone();
        let exercise_view = exercise.map(|ex| {
            let ex_id = ex.id.clone();
            let source = learn::answer_source(&ex.check).map(|(page, what)| {
                view! {
                    <p class="muted" data-testid="lesson-source">
                        "Check takes " <a href=page.fragment()>{what}</a> "."
                    </p>
                }
            });
            let answer_field = matches!(ex.check, Check::Answer(_)).then(|| {
                view! {
                    <input
                        class="wide"
                        placeholder="Your answer"
                        data-testid="lesson-answer"
                        prop:value=move || typed.get()
                        on:input=move |ev| typed.set(event_target_value(&ev))
                    />
                }
            });
            let progress = {
                let (l, e) = (lesson_id.clone(), ex_id.clone());
                Memo::new(move |_| state.progress.with(|p| p.exercise(&l, &e)))
            };
            let hints = ex.hints.clone();
            let hint_count = hints.len();
            let shown_hints = move || {
                let n = progress.get().hints as usize;
                hints
                    .iter()
                    .take(n)
                    .enumerate()
                    .map(|(i, h)| view! { <li data-testid="lesson-hint-text"><strong>{format!("Hint {}: ", i + 1)}</strong><Markdown text=h.clone() /></li> })
                    .collect_view()
            };
            let take_hint = {
                let (l, e) = (lesson_id.clone(), ex_id.clone());
                move |_| state.progress.update(|p| {
                    p.take_hint(&l, &e, hint_count);
                })
            };
            let show_solution = {
                let (l, e) = (lesson_id.clone(), ex_id.clone());
                move |_| state.progress.update(|p| p.show_solution(&l, &e))
            };
            let solution = {
                let (open, ex) = (open.clone(), ex.clone());
                move || {
                    progress.get().solution_shown.then(|| {
                        view! { <pre class="code" data-testid="lesson-solution">{learn::solution(&open, &ex)}</pre> }
                    })
                }
            };
            let feedback = {
                let ex_id = ex_id.clone();
                move || {
                    state.lesson.with(|l| {
                        let (id, f) = l.as_ref()?.feedback.as_ref()?;
                        (*id == ex_id).then(|| {
                            let items = f.messages.iter().map(|m| view! { <li><Markdown text=m.clone() /></li> }).collect_view();
                            let place = f.error.as_ref().and_then(|e| {
                                (e.span.end > e.span.start).then(|| format!("At characters {}–{} of your answer.", e.span.start + 1, e.span.end))
                            });
                            if f.passed {
                                view! { <div class="feedback pass" role="status" data-testid="lesson-feedback">"✓ Correct."</div> }.into_any()
                            } else {
                                view! {
                                    <div class="feedback fail" role="status" data-testid="lesson-feedback">
                                        <strong>"Not yet."</strong>
                                        {place.map(|p| view! { <p>{p}</p> })}
                                        <ul>{items}</ul>
                                    </div>
                                }
                                .into_any()
                            }
                        })
                    })
                }
            };
            view! {
                <section class="exercise" data-testid="lesson-exercise">
                    <h4>"Exercise" {move || progress.get().passed.then_some(" ✓")}</h4>
                    <Markdown text=ex.prompt.clone() />
                    {source}
                    {answer_field}
                    <div class="row">
                        <button class="primary" data-testid="lesson-check" on:click=move |_| learn::check(state, &typed.get_untracked())>"Check"</button>
                        {move || {
                            let p = progress.get();
                            if (p.hints as usize) < hint_count {
                                view! { <button data-testid="lesson-hint" on:click=take_hint.clone()>{format!("Hint ({} of {hint_count})", p.hints + 1)}</button> }.into_any()
                            } else if !p.solution_shown {
                                view! { <button data-testid="lesson-show-solution" on:click=show_solution.clone()>"Show the solution"</button> }.into_any()
                            } else {
                                ().into_any()
                            }
                        }}
                        <span class="muted">{move || { let p = progress.get(); (p.attempts > 0).then(|| format!("{} attempt{}", p.attempts, if p.attempts == 1 { "" } else { "s" })) }}</span>
                    </div>
                    {feedback}
                    <ol class="hints">{shown_hints}</ol>
                    {solution}
                </section>
            }
        });
        // An investigation's debrief, once every answer is in (passed or shown).
        let debrief = lesson.scenario.hidden.then(|| {
            let open = open.clone();
            let lesson = lesson.clone();
            move || {
                let done = state.progress.with(|p| {
                    lesson.exercises().all(|e| {
                        let x = p.exercise(&lesson.id, &e.id);
                        x.passed || x.solution_shown
                    })
                });
                done.then(|| view! { <Debrief open=open.clone() /> })
            }
        });
        let docs = (index == 0).then(|| {
            lesson
                .docs
                .iter()
                .map(|d| view! { <li><a href=d.clone() target="_blank" rel="noopener noreferrer">{d.clone()}</a></li> })
                .collect_view()
        });
        Some(view! {
            <aside class="lesson-panel" data-testid="lesson-panel" aria-label="Lesson">
                <header>
                    <strong data-testid="lesson-title">{lesson.title.clone()}</strong>
                    <span class="muted" data-testid="lesson-step">{format!(" · step {} of {total}", index + 1)}</span>
                </header>
                <nav class="row">
                    <button data-testid="lesson-prev" disabled={index == 0} on:click=move |_| learn::go_to_step(state, index.saturating_sub(1))>"← Previous"</button>
                    <button data-testid="lesson-next" disabled={index + 1 >= total} on:click=move |_| learn::go_to_step(state, index + 1)>"Next →"</button>
                    <button data-testid="lesson-reset" title="Build the lesson's scenario again" on:click=move |_| {
                        problem.set(learn::reset(state).err());
                    }>"Reset scenario"</button>
                    <button data-testid="lesson-leave" on:click=move |_| learn::leave(state)>"Leave lesson"</button>
                </nav>
                {move || problem.get().map(|p| view! { <p class="error-text">{p}</p> })}
                <div class="prose" data-testid="lesson-prose"><Markdown text=current.prose.clone() /></div>
                {exercise_view}
                {debrief}
                {docs.map(|d| view! { <details><summary>"Documentation"</summary><ul>{d}</ul></details> })}
            </aside>
        })
    }
}

/// After an investigation's answers: what the scenario injected, on a
/// timeline of its history, beside what the learner answered.
#[component]
fn Debrief(open: crate::state::OpenLesson) -> impl IntoView {
    use o11y_engine::learn::format::{FailureField, Probe};
    let state = expect_context::<AppState>();
    let lesson = open.lesson.clone();
    let start = lesson.scenario.start_ms;
    let from = start - lesson.scenario.history_ms;
    let injections = open.pristine.demo.shop().injections().to_vec();
    let x = move |t: i64| {
        10.0 + 320.0 * ((t.clamp(from, start) - from) as f64 / (start - from).max(1) as f64)
    };
    let bars = injections
        .iter()
        .enumerate()
        .map(|(i, inj)| {
            let (a, b) = (x(inj.start_ms), x(inj.end_ms.unwrap_or(start)));
            let y = 8.0 + 18.0 * i as f64;
            view! {
                <rect x=a y=y width=(b - a).max(2.0) height="12" class="debrief-failure" />
            }
        })
        .collect_view();
    let height = 20.0 + 18.0 * injections.len().max(1) as f64;
    let progress = state.progress.get_untracked();
    let found_times: Vec<i64> = lesson
        .exercises()
        .filter(|e| matches!(&e.check, Check::Answer(a) if matches!(a.probe, Probe::Failure { field: FailureField::Start, .. })))
        .filter_map(|e| o11y_engine::learn::check::parse_time(&progress.exercise(&lesson.id, &e.id).answer, start))
        .collect();
    let ticks = found_times
        .iter()
        .map(
            |t| view! { <line x1=x(*t) x2=x(*t) y1="2" y2=height - 10.0 class="debrief-answer" /> },
        )
        .collect_view();
    let injected = injections
        .iter()
        .map(|inj| {
            let until = inj
                .end_ms
                .map_or("the end".to_string(), crate::charts::format_clock_time);
            view! {
                <li data-testid="debrief-injected">
                    {o11y_engine::sim::failure::presets::describe(&inj.failure)}
                    {format!(" · {} to {until}", crate::charts::format_clock_time(inj.start_ms))}
                </li>
            }
        })
        .collect_view();
    let found = lesson
        .exercises()
        .map(|e| {
            let p = progress.exercise(&lesson.id, &e.id);
            let answer = if p.answer.trim().is_empty() {
                "—".to_string()
            } else {
                p.answer.clone()
            };
            view! {
                <li data-testid="debrief-found">
                    {if p.passed { "✓ " } else { "✗ " }}
                    <Markdown text=e.prompt.clone() />
                    <div class="found-answer">"You answered: " <code>{answer}</code></div>
                </li>
            }
        })
        .collect_view();
    view! {
        <section class="debrief" data-testid="lesson-debrief">
            <h4>"Debrief"</h4>
            <p class="muted">"What the scenario injected, and what you found."</p>
            <svg viewBox=format!("0 0 340 {height}") width="340" height=height role="img" aria-label="Timeline of the injected failures and your answers">
                {bars}
                {ticks}
                <text x="10" y=height - 1.0 class="debrief-axis">{crate::charts::format_clock_time(from)}</text>
                <text x="330" y=height - 1.0 text-anchor="end" class="debrief-axis">{crate::charts::format_clock_time(start)}</text>
            </svg>
            <h5>"Injected"</h5>
            <ul>{injected}</ul>
            <h5>"You found"</h5>
            <ul class="found">{found}</ul>
        </section>
    }
}
