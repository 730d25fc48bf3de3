//! Learn: lessons whose exercises are checked by their results.
//!
//! A lesson is a Markdown file (`lessons/*.md`, compiled in as
//! `BUILTIN` natively, fetched by the page as a bundle, [`read_bundle`];
//! the format is `format` and `docs/lessons.md`) with a
//! scenario (`scenario`: seed, topology, traffic, failures at virtual
//! times, history, pastes, rules) that builds the same demo session every
//! time. An answer is checked by what it does on that session against
//! what the exercise's reference does (`check`), never by its text; a
//! wrong one gets the difference written for a learner (`diff`, and
//! `rules` for rule files, routing trees and relabel configs). `progress`
//! is the learner's record; `markdown` turns prose into blocks the page
//! draws as elements. `script` reads demo scripts (`demos/*.md`): the same
//! kind of file, whose `step` blocks are a timeline on the virtual clock.

pub mod check;
pub mod diff;
mod fields;
pub mod format;
pub mod markdown;
mod rules;
pub mod scenario;
pub mod script;
#[cfg(test)]
mod tests;

pub use crate::progress::{self, Progress};
pub use check::{Cache, Checker, Feedback};
pub use format::{Check, Exercise, Lesson, Pillar, Step, parse_lesson};
pub use scenario::Scenario;

use o11y_model::diag::Diagnostic;

/// The lessons of `lessons/`: file name and text.
#[cfg(feature = "builtin-lessons")]
pub const BUILTIN: &[(&str, &str)] = include!(concat!(env!("OUT_DIR"), "/lessons.rs"));

/// What begins each file in a bundle, before its name and a newline: the
/// ASCII record separator, which no lesson or script has.
pub const BUNDLE_SEPARATOR: char = '\u{1e}';

/// The files of a bundle (`scripts/bundle-lessons.sh` writes the lessons
/// and the demo scripts as one each for the page to fetch): each is the
/// separator, its file name, a newline and its text. Anything before the
/// first separator is not a file.
pub fn read_bundle(bundle: &str) -> Vec<(&str, &str)> {
    bundle
        .split(BUNDLE_SEPARATOR)
        .skip(1)
        .map(|file| file.split_once('\n').unwrap_or((file, "")))
        .collect()
}

/// Lessons in course order (pillar, level, file name), and the files that
/// did not read.
#[derive(Clone, Debug, Default)]
pub struct Course {
    pub lessons: Vec<Lesson>,
    pub problems: Vec<(String, Diagnostic)>,
}

impl Course {
    /// Reads lesson files given as `(name, text)`.
    pub fn read<'a>(files: impl IntoIterator<Item = (&'a str, &'a str)>) -> Course {
        let mut course = Course::default();
        let mut named: Vec<(String, Lesson)> = Vec::new();
        for (name, text) in files {
            match parse_lesson(text) {
                Ok(lesson) => {
                    if named.iter().any(|(_, l)| l.id == lesson.id) {
                        course.problems.push((
                            name.to_string(),
                            Diagnostic::at_line(
                                2,
                                1,
                                format!("lesson id {:?} is used twice", lesson.id),
                            ),
                        ));
                    } else {
                        named.push((name.to_string(), lesson));
                    }
                }
                Err(e) => course.problems.push((name.to_string(), e)),
            }
        }
        o11y_model::sort::sort_by(&mut named[..], |(a, x), (b, y)| {
            (x.pillar, x.level, a).cmp(&(y.pillar, y.level, b))
        });
        course.lessons = named.into_iter().map(|(_, l)| l).collect();
        course
    }

    /// The lessons compiled in.
    #[cfg(feature = "builtin-lessons")]
    pub fn builtin() -> Course {
        Course::read(BUILTIN.iter().copied())
    }

    pub fn lesson(&self, id: &str) -> Option<&Lesson> {
        self.lessons.iter().find(|l| l.id == id)
    }
}

/// Checks `answer` to exercise `exercise` of `lesson` on `demo`, a session
/// built from the lesson's scenario.
pub fn check_answer(
    lesson: &Lesson,
    demo: &crate::demo::Demo,
    exercise: &str,
    answer: &str,
) -> Option<Feedback> {
    let exercise = lesson.exercise(exercise)?;
    Some(Checker::new(demo, lesson.scenario.start_ms).check(exercise, answer))
}

/// A lesson's own checks, as `o11y lessons check` runs them: every
/// reference passes, and every trap fails and gets its hint.
#[derive(Clone, Debug, PartialEq)]
pub struct ExerciseReport {
    pub exercise: String,
    pub kind: &'static str,
    /// `None` when the reference passes; else why not.
    pub reference: Option<String>,
    /// Per trap: `None` when it fails with its hint; else what went wrong.
    pub traps: Vec<Option<String>>,
    /// How long the checks took (ms), for the figures.
    pub millis: f64,
}

impl ExerciseReport {
    pub fn ok(&self) -> bool {
        self.reference.is_none() && self.traps.iter().all(Option::is_none)
    }
}

/// Checks a lesson's references and traps on its scenario's session.
/// `clock` reads milliseconds for the timings (the engine has none).
pub fn self_check(
    lesson: &Lesson,
    demo: &crate::demo::Demo,
    clock: &dyn Fn() -> f64,
) -> Vec<ExerciseReport> {
    let cache = check::Cache::default();
    let checker = Checker::new(demo, lesson.scenario.start_ms).with_cache(&cache);
    lesson
        .exercises()
        .map(|e| {
            let t0 = clock();
            let reference = match checker.solution(e) {
                Ok(answer) => {
                    let f = checker.check(e, &answer);
                    (!f.passed).then(|| f.messages.join(" "))
                }
                Err(err) => Some(err.to_string()),
            };
            let traps = e
                .traps
                .iter()
                .enumerate()
                .map(|(i, t)| {
                    let f = checker.check(e, &t.answer);
                    if f.passed {
                        Some(format!("trap {} passes: it is not wrong", i + 1))
                    } else if f.trap != Some(i) {
                        Some(format!(
                            "trap {} fails without its hint (it got: {})",
                            i + 1,
                            f.messages.join(" ")
                        ))
                    } else {
                        None
                    }
                })
                .collect();
            ExerciseReport {
                exercise: e.id.clone(),
                kind: e.check.kind(),
                reference,
                traps,
                millis: clock() - t0,
            }
        })
        .collect()
}

/// A lesson's text as a link's payload (`#/lesson/…`), deflated.
pub fn lesson_link(text: &str) -> Result<String, crate::link::LinkError> {
    crate::link::pack(text.as_bytes())
}

/// The lesson a link carries, and its text; a damaged link, or a lesson
/// that does not read, says why (the latter at its line and column).
pub fn lesson_from_link(payload: &str) -> Result<(String, Lesson), Diagnostic> {
    let text =
        crate::link::unpack(payload).map_err(|e| Diagnostic::new(format!("lesson link: {e}")))?;
    let lesson = parse_lesson(&text)?;
    Ok((text, lesson))
}

/// One exercise of a class summary: what each learner did with it.
#[derive(Clone, Debug, PartialEq)]
pub struct SummaryRow {
    pub lesson: String,
    pub exercise: String,
    /// Per learner, in the order given: their record of it, if any.
    pub learners: Vec<Option<progress::ExerciseProgress>>,
}

/// Who passed what, with how many hints: every exercise of the lessons any
/// of `learners` opened, in course order.
pub fn class_summary(lessons: &[Lesson], learners: &[Progress]) -> Vec<SummaryRow> {
    lessons
        .iter()
        .filter(|l| learners.iter().any(|p| p.lessons.contains_key(&l.id)))
        .flat_map(|l| {
            l.exercises().map(move |e| SummaryRow {
                lesson: l.title.clone(),
                exercise: e.id.clone(),
                learners: learners
                    .iter()
                    .map(|p| {
                        p.lessons
                            .get(&l.id)
                            .and_then(|x| x.exercises.get(&e.id))
                            .cloned()
                    })
                    .collect(),
            })
        })
        .collect()
}
