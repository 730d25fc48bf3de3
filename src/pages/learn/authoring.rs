//! The Learn page's trainer tools: open a lesson file, write a lesson and
//! check it as `o11y lessons check` does, export it or share it as a link;
//! export one's progress, and sum up a class's progress files.

use leptos::prelude::*;
use o11y_engine::learn::{self as engine_learn, Progress};

use crate::files::{chosen_file, chosen_files, download_url, text_of};
use crate::learn::{self, course};
use crate::state::AppState;

/// Open a lesson file, or the editor.
#[component]
pub fn Authoring() -> impl IntoView {
    let state = expect_context::<AppState>();
    let status = RwSignal::new(None::<String>);
    let on_file = move |ev: leptos::ev::Event| {
        let Some(file) = chosen_file(&ev) else {
            return;
        };
        let name = file.name();
        leptos::task::spawn_local(async move {
            let text = text_of(file).await;
            let opened = engine_learn::parse_lesson(&text)
                .map_err(|e| format!("{name}:{e}"))
                .and_then(|lesson| learn::open_lesson(state, lesson, Some(0)));
            status.set(opened.err());
        });
    };
    view! {
        <section class="trainers" data-testid="trainers">
            <h2>"For trainers"</h2>
            <p class="muted">"Lessons are Markdown files (docs/lessons.md in the repository is the format). Open one, write one here, share it as a link."</p>
            <label class="file">"Open a lesson file " <input type="file" accept=".md,text/markdown,text/plain" data-testid="lesson-file" on:change=on_file /></label>
            {move || status.get().map(|s| view! { <p class="error-text" data-testid="lesson-file-error">{s}</p> })}
            <LessonEditor />
            <ProgressFiles />
        </section>
    }
}

/// Write a lesson: errors as you type, try it as a learner, check every
/// exercise, export or share.
#[component]
fn LessonEditor() -> impl IntoView {
    let state = expect_context::<AppState>();
    let first = learn::lesson_files()
        .first()
        .map(|(_, t)| t.clone())
        .unwrap_or_default();
    let text = RwSignal::new(first);
    let parsed = Memo::new(move |_| text.with(|t| engine_learn::parse_lesson(t)));
    let report = RwSignal::new(None::<Result<Vec<engine_learn::ExerciseReport>, String>>);
    let export = RwSignal::new(None::<String>);
    let share = RwSignal::new(None::<Result<String, String>>);
    let status = RwSignal::new(None::<String>);
    Effect::watch(
        move || text.track(),
        move |_, _, _| {
            report.set(None);
            export.set(None);
            share.set(None);
        },
        false,
    );
    let starts = learn::lesson_files()
        .iter()
        .map(|(name, _)| view! { <option value=name.clone()>{name.clone()}</option> })
        .collect_view();
    let load = move |ev: leptos::ev::Event| {
        let name = event_target_value(&ev);
        if let Some((_, t)) = learn::lesson_files().iter().find(|(n, _)| *n == name) {
            text.set(t.clone());
        }
    };
    let try_it = move |_| {
        if let Ok(lesson) = parsed.get_untracked() {
            status.set(learn::open_lesson(state, lesson, Some(0)).err());
        }
    };
    let check = move |_| {
        let Ok(lesson) = parsed.get_untracked() else {
            return;
        };
        let result = lesson
            .scenario
            .build()
            .map_err(|e| e.to_string())
            .map(|demo| {
                let clock = || window().performance().map_or(0.0, |p| p.now());
                engine_learn::self_check(&lesson, &demo, &clock)
            });
        report.set(Some(result));
    };
    let on_export = move |_| export.set(text.with_untracked(|t| download_url(t)));
    let on_share = move |_| {
        let link = text
            .with_untracked(|t| engine_learn::lesson_link(t))
            .map(|payload| {
                let l = window().location();
                format!(
                    "{}{}{}{payload}",
                    l.origin().unwrap_or_default(),
                    l.pathname().unwrap_or_default(),
                    crate::fragment::LESSON_PREFIX
                )
            })
            .map_err(|e| format!("The lesson {e}"));
        share.set(Some(link));
    };
    let summary = move || {
        match parsed.get() {
        Ok(l) => view! {
            <p class="ok-text" data-testid="lesson-editor-ok">
                {format!("✓ {}: {} steps, {} exercises, {} pillar, level {}", l.title, l.steps.len(), l.exercises().count(), l.pillar.name(), l.level)}
            </p>
        }
        .into_any(),
        Err(e) => view! { <p class="error-text" data-testid="lesson-editor-error">{e.to_string()}</p> }.into_any(),
    }
    };
    let table = move || {
        report.get().map(|r| match r {
            Err(e) => view! { <p class="error-text">{format!("The scenario does not build: {e}")}</p> }.into_any(),
            Ok(rows) => {
                let ok = rows.iter().all(engine_learn::ExerciseReport::ok);
                let rows = rows
                    .into_iter()
                    .map(|r| {
                        let bad = r.traps.iter().filter(|t| t.is_some()).count();
                        let why: Vec<String> = r.reference.iter().cloned().chain(r.traps.iter().flatten().cloned()).collect();
                        view! {
                            <tr data-testid="lesson-check-row" class:bad=!r.ok()>
                                <td>{r.exercise.clone()}</td>
                                <td>{r.kind}</td>
                                <td>{if r.reference.is_none() { "passes" } else { "FAILS" }}</td>
                                <td>{format!("{}/{} ok", r.traps.len() - bad, r.traps.len())}</td>
                                <td class="muted">{why.join(" ")}</td>
                            </tr>
                        }
                    })
                    .collect_view();
                view! {
                    <p data-testid="lesson-check-summary" class=if ok { "ok-text" } else { "error-text" }>
                        {if ok { "✓ Every reference passes and every trap fails with its hint." } else { "Problems below." }}
                    </p>
                    <table class="result-table"><thead><tr><th>"exercise"</th><th>"kind"</th><th>"reference"</th><th>"traps"</th><th></th></tr></thead><tbody>{rows}</tbody></table>
                }
                .into_any()
            }
        })
    };
    view! {
        <details class="panel lesson-editor" data-testid="lesson-editor">
            <summary>"Write a lesson"</summary>
            <label>"Start from " <select data-testid="lesson-editor-start" on:change=load>{starts}</select></label>
            <textarea data-testid="lesson-editor-text" spellcheck="false" rows="22" prop:value=move || text.get() on:input=move |ev| text.set(event_target_value(&ev))></textarea>
            {summary}
            <div class="row">
                <button data-testid="lesson-editor-try" disabled=move || parsed.with(Result::is_err) on:click=try_it>"Try it as a learner"</button>
                <button data-testid="lesson-editor-check" disabled=move || parsed.with(Result::is_err) on:click=check>"Check every exercise"</button>
                <button data-testid="lesson-editor-export" on:click=on_export>"Export"</button>
                <button data-testid="lesson-editor-share" on:click=on_share>"Share link"</button>
            </div>
            {move || status.get().map(|s| view! { <p class="error-text">{s}</p> })}
            {move || export.get().map(|u| view! { <a href=u download="lesson.md" data-testid="lesson-editor-export-link">"lesson.md"</a> })}
            {move || share.get().map(|r| match r {
                Ok(url) => view! { <input class="wide" readonly data-testid="lesson-editor-link" prop:value=url /> }.into_any(),
                Err(e) => view! { <p class="error-text" data-testid="lesson-editor-link-error">{e}</p> }.into_any(),
            })}
            {table}
        </details>
    }
}

/// Export one's progress; read a class's progress files into a summary.
#[component]
fn ProgressFiles() -> impl IntoView {
    let state = expect_context::<AppState>();
    let export = RwSignal::new(None::<String>);
    let learners = RwSignal::new(Vec::<(String, Progress)>::new());
    let problems = RwSignal::new(Vec::<String>::new());
    let on_export = move |_| {
        export.set(
            state
                .progress
                .with_untracked(|p| download_url(&p.to_json())),
        )
    };
    let on_import = move |ev: leptos::ev::Event| {
        let files = chosen_files(&ev);
        leptos::task::spawn_local(async move {
            let (mut read, mut bad) = (Vec::new(), Vec::new());
            for f in files {
                let name = f.name();
                match Progress::from_json(&text_of(f).await) {
                    Ok(p) => read.push((name.trim_end_matches(".json").to_string(), p)),
                    Err(e) => bad.push(format!("{name}: {e}")),
                }
            }
            learners.set(read);
            problems.set(bad);
        });
    };
    let summary = move || {
        let names = learners.get();
        if names.is_empty() {
            return ().into_any();
        }
        let progress: Vec<Progress> = names.iter().map(|(_, p)| p.clone()).collect();
        let rows = engine_learn::class_summary(&course().lessons, &progress);
        let head = names
            .iter()
            .map(|(n, _)| view! { <th>{n.clone()}</th> })
            .collect_view();
        let body = rows
            .into_iter()
            .map(|r| {
                let cells = r
                    .learners
                    .iter()
                    .map(|x| match x {
                        Some(e) if e.passed => view! { <td class="pass">{format!("✓ {} hint{}", e.hints, if e.hints == 1 { "" } else { "s" })}</td> }.into_any(),
                        Some(e) => view! { <td class="fail">{format!("✗ {} tr{}", e.attempts, if e.attempts == 1 { "y" } else { "ies" })}</td> }.into_any(),
                        None => view! { <td class="muted">"—"</td> }.into_any(),
                    })
                    .collect_view();
                view! { <tr data-testid="class-row"><td>{r.lesson}</td><td class="mono">{r.exercise}</td>{cells}</tr> }
            })
            .collect_view();
        view! {
            <table class="result-table class-summary" data-testid="class-summary">
                <thead><tr><th>"lesson"</th><th>"exercise"</th>{head}</tr></thead>
                <tbody>{body}</tbody>
            </table>
        }
        .into_any()
    };
    view! {
        <details class="panel progress-files" data-testid="progress-files">
            <summary>"Progress files"</summary>
            <p class="muted">"Export your progress for your trainer; a trainer imports a class's files to see who passed what, with how many hints."</p>
            <button data-testid="progress-export" on:click=on_export>"Export my progress"</button>
            {move || export.get().map(|u| view! { " " <a href=u download="progress.json" data-testid="progress-export-link">"progress.json"</a> })}
            <label class="file">" Import a class's files " <input type="file" multiple accept=".json,application/json" data-testid="progress-import" on:change=on_import /></label>
            <ul>{move || problems.get().into_iter().map(|p| view! { <li class="error-text">{p}</li> }).collect_view()}</ul>
            {summary}
        </details>
    }
}
