//! Lessons in the page: the course compiled in, opening a lesson (its
//! scenario replaces the learner's demo, which is kept and given back on
//! leaving), steps, checking the answer taken from the editor the exercise
//! names, hints, and the progress record in local storage.

use std::sync::{Arc, OnceLock};

use leptos::prelude::*;
use o11y_engine::learn::script::{self, Script};
use o11y_engine::learn::{Check, Course, Lesson, Progress};

use crate::fragment::{self, Page};
use crate::state::{AppState, Notice, OpenLesson, Pristine};

/// Where progress is kept.
pub const PROGRESS_KEY: &str = "o11y-learn-progress";
/// Where a progress record that could not be read is kept.
pub const PROGRESS_UNREADABLE_KEY: &str = "o11y-learn-progress-unreadable";

/// The lessons and demo scripts, fetched as bundles when Learn first opens
/// (not compiled into the page: 331 kB of its wasm, 77 kB gzip), then
/// read once.
struct Loaded {
    /// The lesson files, name and text (the lesson editor starts from one).
    lesson_files: Vec<(String, String)>,
    course: Course,
    demos: Vec<Script>,
    demo_problems: Vec<(String, o11y_engine::model::diag::Diagnostic)>,
}

static LOADED: OnceLock<Loaded> = OnceLock::new();

/// Where the lessons are: on their way, here, or not to be had.
#[derive(Clone, Debug, PartialEq)]
pub enum CourseLoad {
    NotAsked,
    Loading,
    Ready,
    Failed(String),
}

/// The lessons, once [`load_course`] has them (none before).
pub fn course() -> &'static Course {
    static NONE: OnceLock<Course> = OnceLock::new();
    LOADED
        .get()
        .map_or_else(|| NONE.get_or_init(Course::default), |l| &l.course)
}

/// The lesson files, name and text, once [`load_course`] has them.
pub fn lesson_files() -> &'static [(String, String)] {
    LOADED.get().map_or(&[], |l| &l.lesson_files)
}

/// The demo scripts that read, and the files that did not, once
/// [`load_course`] has them.
pub fn demos() -> (
    &'static [Script],
    &'static [(String, o11y_engine::model::diag::Diagnostic)],
) {
    LOADED
        .get()
        .map_or((&[], &[]), |l| (&l.demos, &l.demo_problems))
}

/// Fetches the lessons and demo scripts (the bundles Trunk's hook writes
/// beside the page) unless they are here or on their way;
/// `state.course` says when they are.
pub fn load_course(state: AppState) {
    if LOADED.get().is_some() {
        state.course.set(CourseLoad::Ready);
        return;
    }
    if state.course.get_untracked() == CourseLoad::Loading {
        return;
    }
    state.course.set(CourseLoad::Loading);
    leptos::task::spawn_local(async move {
        let bundle = |name: &'static str| async move {
            match crate::files::fetch(name).await {
                Ok((200, text)) => Ok(text),
                Ok((status, _)) => Err(format!("{name}: HTTP status {status}")),
                Err(e) => Err(e),
            }
        };
        let fetched = match (bundle("lessons.bundle").await, bundle("demos.bundle").await) {
            (Ok(lessons), Ok(demos)) => Ok((lessons, demos)),
            (Err(e), _) | (_, Err(e)) => Err(e),
        };
        state.course.set(match fetched {
            Ok((lessons, demos)) => {
                let files = o11y_engine::learn::read_bundle(&lessons);
                let lesson_files = files
                    .iter()
                    .map(|(n, t)| (n.to_string(), t.to_string()))
                    .collect();
                let course = Course::read(files);
                let (demos, demo_problems) =
                    script::read_demos(o11y_engine::learn::read_bundle(&demos));
                LOADED.get_or_init(|| Loaded {
                    lesson_files,
                    course,
                    demos,
                    demo_problems,
                });
                CourseLoad::Ready
            }
            Err(e) => CourseLoad::Failed(format!("The lessons could not be fetched: {e}")),
        });
    });
}

fn storage() -> Option<web_sys::Storage> {
    window().local_storage().ok().flatten()
}

/// The progress saved in this browser; an unreadable record is kept under
/// another key, for download, and the learner starts clean with a message.
pub fn initial_progress() -> (Progress, Option<Notice>) {
    let Some(saved) = storage().and_then(|s| s.get_item(PROGRESS_KEY).ok().flatten()) else {
        return (Progress::default(), None);
    };
    match Progress::from_json(&saved) {
        Ok(p) => (p, None),
        Err(e) => {
            let kept = storage()
                .map(|s| s.set_item(PROGRESS_UNREADABLE_KEY, &saved).is_ok())
                .unwrap_or(false);
            (
                Progress::default(),
                Some(Notice {
                    message: format!(
                        "Your lesson progress could not be read ({e}). {}Lessons start clean.",
                        if kept {
                            "It is kept for download. "
                        } else {
                            ""
                        }
                    ),
                    download: Some(("unreadable-lesson-progress.json", saved)),
                }),
            )
        }
    }
}

/// Saves the progress now and whenever it changes; a refused write is
/// shown.
pub fn use_progress_saving(state: AppState) {
    Effect::watch(
        move || state.progress.get(),
        move |p, _, _| {
            let saved = storage()
                .ok_or_else(|| "local storage is not available".to_string())
                .and_then(|s| {
                    s.set_item(PROGRESS_KEY, &p.to_json())
                        .map_err(|e| crate::files::refusal_text(&e))
                });
            if let Err(e) = saved {
                state
                    .error
                    .set(Some(format!("Lesson progress was not saved: {e}")));
            }
        },
        // At once too: progress from a share link is this browser's now.
        true,
    );
}

/// The page a scenario names.
fn page_of(name: &str) -> Page {
    Page::from_fragment(&format!("#/{name}"))
}

/// Opens lesson `id` at `step` (or where the learner left it): builds its
/// scenario (timed as `lesson-open`), keeps the learner's demo, resets the
/// editors' drafts to the scenario's and shows the scenario's page.
pub fn open(state: AppState, id: &str, step: Option<usize>) -> Result<(), String> {
    let lesson = course()
        .lesson(id)
        .ok_or_else(|| format!("no lesson {id:?}"))?
        .clone();
    open_lesson(state, lesson, step)
}

/// Opens a lesson, built in or not (a file, a link, the editor).
pub fn open_lesson(state: AppState, lesson: Lesson, step: Option<usize>) -> Result<(), String> {
    let id = lesson.id.clone();
    let id = id.as_str();
    let demo = crate::perf::measure("lesson-open", || lesson.scenario.build())
        .map_err(|e| format!("the lesson's scenario does not build: {e}"))?;
    let step = step
        .unwrap_or_else(|| {
            state
                .progress
                .with_untracked(|p| p.lessons.get(id).map_or(0, |l| l.step))
        })
        .min(lesson.steps.len().saturating_sub(1));
    let pristine = Arc::new(Pristine {
        demo: demo.clone(),
        cache: Default::default(),
    });
    set_drafts(state, &demo);
    let previous = state.demo.try_update(|d| std::mem::replace(d, demo));
    if state.lesson.with_untracked(Option::is_none) {
        state.stashed.set_value(previous);
    }
    let page = page_of(&lesson.scenario.page);
    state.progress.update(|p| p.visit(&lesson.id, step));
    state.lesson.set(Some(OpenLesson {
        lesson: Arc::new(lesson),
        step,
        pristine,
        feedback: None,
    }));
    fragment::go(page.fragment());
    state.page.set(page);
    Ok(())
}

/// The editors start from the scenario's rules and configs.
fn set_drafts(state: AppState, demo: &o11y_engine::demo::Demo) {
    state.drafts.rules.set(demo.rules_text().to_string());
    state
        .drafts
        .alertmanager
        .set(demo.alertmanager_text().to_string());
    state.drafts.relabel.set(String::new());
}

/// Leaves the lesson: the learner's own demo comes back.
pub fn leave(state: AppState) {
    if let Some(own) = state.stashed.try_update_value(Option::take).flatten() {
        set_drafts(state, &own);
        state.demo.set(own);
    }
    state.lesson.set(None);
    fragment::go(Page::Learn.fragment());
    state.page.set(Page::Learn);
}

/// Builds the lesson's scenario again (after the learner changed it).
pub fn reset(state: AppState) -> Result<(), String> {
    let Some(open) = state.lesson.get_untracked() else {
        return Ok(());
    };
    let demo = crate::perf::measure("lesson-open", || open.lesson.scenario.build())
        .map_err(|e| e.to_string())?;
    set_drafts(state, &demo);
    state.demo.set(demo);
    Ok(())
}

/// Shows step `step` of the open lesson.
pub fn go_to_step(state: AppState, step: usize) {
    state.lesson.update(|l| {
        if let Some(l) = l {
            l.step = step.min(l.lesson.steps.len().saturating_sub(1));
            l.feedback = None;
            let (id, step) = (l.lesson.id.clone(), l.step);
            state.progress.update(|p| p.visit(&id, step));
        }
    });
}

/// Where an exercise's answer is taken from: the page and what there.
pub fn answer_source(check: &Check) -> Option<(Page, &'static str)> {
    match check {
        Check::Promql(_) => Some((Page::Explore, "the query in Explore")),
        Check::Logql(_) => Some((Page::Logs, "the query on the Logs page")),
        Check::Rule(_) => Some((Page::Alerts, "the rule file in Alerts → Rules")),
        Check::Routing(_) => Some((Page::Alerts, "the configuration in Alerts → Alertmanager")),
        Check::Relabel(_) => Some((Page::Relabel, "the relabel_configs on the Relabel page")),
        Check::Silence(_) => Some((
            Page::Alerts,
            "the matchers of a new silence in Alerts → Silences",
        )),
        Check::RuleTest(_) => Some((Page::Alerts, "the test file in Alerts → Rule tests")),
        Check::Answer(_) => None,
    }
}

/// The answer to check: the editor's text, or what was typed in the panel.
pub fn current_answer(state: AppState, check: &Check, typed: &str) -> String {
    let d = state.drafts;
    match check {
        Check::Promql(_) => d.promql.get_untracked(),
        Check::Logql(_) => d.logql.get_untracked(),
        Check::Rule(_) => d.rules.get_untracked(),
        Check::Routing(_) => d.alertmanager.get_untracked(),
        Check::Relabel(_) => d.relabel.get_untracked(),
        Check::Silence(_) => d.silence.get_untracked(),
        Check::RuleTest(_) => d.rule_tests.get_untracked(),
        Check::Answer(_) => typed.to_string(),
    }
}

/// Checks the current answer to the step's exercise (timed as
/// `lesson-check`), records the attempt and keeps the feedback.
pub fn check(state: AppState, typed: &str) {
    let Some(open) = state.lesson.get_untracked() else {
        return;
    };
    let Some(exercise) = open
        .lesson
        .steps
        .get(open.step)
        .and_then(|s| s.exercise.as_ref())
    else {
        return;
    };
    let answer = current_answer(state, &exercise.check, typed);
    let feedback = crate::perf::measure("lesson-check", || {
        open.pristine.checker(&open.lesson).check(exercise, &answer)
    });
    state
        .progress
        .update(|p| p.record_attempt(&open.lesson.id, &exercise.id, &answer, feedback.passed));
    let id = exercise.id.clone();
    state.lesson.update(|l| {
        if let Some(l) = l {
            l.feedback = Some((id, feedback));
        }
    });
}

/// Opens the lesson a `#/lesson/…` link carries, or says why it cannot.
pub fn open_link(state: AppState, payload: &str) {
    let opened = o11y_engine::learn::lesson_from_link(payload)
        .map_err(|e| e.to_string())
        .and_then(|(_, lesson)| open_lesson(state, lesson, Some(0)));
    if let Err(e) = opened {
        state.notice.set(Some(Notice {
            message: format!("The lesson link could not be opened: {e}"),
            download: None,
        }));
    }
}

/// The solution to show: the reference, or for an `answer` exercise the
/// value its search finds on the scenario, and how.
pub fn solution(open: &OpenLesson, exercise: &o11y_engine::learn::Exercise) -> String {
    let checker = open.pristine.checker(&open.lesson);
    match (&exercise.check, checker.solution(exercise)) {
        (Check::Answer(a), Ok(value)) => format!("{value}\n\n(found by: {})", a.probe.text()),
        (_, Ok(text)) => text,
        (_, Err(e)) => format!("The lesson's reference fails: {e}"),
    }
}
