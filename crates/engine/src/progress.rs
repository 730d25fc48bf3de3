//! A learner's progress in the lessons (`learn`): per lesson and exercise, attempts, hints taken,
//! whether the solution was shown and whether it passed; and where they
//! left off. Kept in local storage and in the workspace; a record that
//! does not read is an error with its place, and the page starts clean.

use std::collections::BTreeMap;

use o11y_model::diag::Diagnostic;
use serde::{Deserialize, Serialize};

/// The record's version; later ones are refused.
pub const VERSION: u32 = 1;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Progress {
    pub version: u32,
    /// The lesson open last and its step: "continue where you left off".
    #[serde(default)]
    pub current: Option<Place>,
    #[serde(default)]
    pub lessons: BTreeMap<String, LessonProgress>,
}

impl Default for Progress {
    fn default() -> Self {
        Progress {
            version: VERSION,
            current: None,
            lessons: BTreeMap::new(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Place {
    pub lesson: String,
    pub step: usize,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LessonProgress {
    /// The step shown last.
    #[serde(default)]
    pub step: usize,
    #[serde(default)]
    pub exercises: BTreeMap<String, ExerciseProgress>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExerciseProgress {
    #[serde(default)]
    pub attempts: u32,
    /// Hints taken (the first `hints` of the exercise's list).
    #[serde(default)]
    pub hints: u32,
    #[serde(default)]
    pub solution_shown: bool,
    #[serde(default)]
    pub passed: bool,
    /// The answer checked last.
    #[serde(default)]
    pub answer: String,
}

impl Progress {
    /// Reads a record; an error names its line and column.
    pub fn from_json(text: &str) -> Result<Progress, Diagnostic> {
        let p: Progress = serde_json::from_str(text).map_err(|e| {
            Diagnostic::at_line(e.line(), e.column(), format!("progress record: {e}"))
        })?;
        if p.version != VERSION {
            return Err(Diagnostic::new(format!(
                "progress record of version {}; this page reads version {VERSION}",
                p.version
            )));
        }
        Ok(p)
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    pub fn exercise(&self, lesson: &str, exercise: &str) -> ExerciseProgress {
        self.lessons
            .get(lesson)
            .and_then(|l| l.exercises.get(exercise))
            .cloned()
            .unwrap_or_default()
    }

    fn entry(&mut self, lesson: &str, exercise: &str) -> &mut ExerciseProgress {
        self.lessons
            .entry(lesson.to_string())
            .or_default()
            .exercises
            .entry(exercise.to_string())
            .or_default()
    }

    /// Counts an attempt and its outcome.
    pub fn record_attempt(&mut self, lesson: &str, exercise: &str, answer: &str, passed: bool) {
        let e = self.entry(lesson, exercise);
        e.attempts = e.attempts.saturating_add(1);
        e.passed |= passed;
        e.answer = answer.to_string();
    }

    /// One more hint taken (up to `available`); returns how many are shown.
    pub fn take_hint(&mut self, lesson: &str, exercise: &str, available: usize) -> u32 {
        let e = self.entry(lesson, exercise);
        e.hints = (e.hints + 1).min(available as u32);
        e.hints
    }

    pub fn show_solution(&mut self, lesson: &str, exercise: &str) {
        self.entry(lesson, exercise).solution_shown = true;
    }

    /// Where the learner is: the lesson and step.
    pub fn visit(&mut self, lesson: &str, step: usize) {
        self.lessons.entry(lesson.to_string()).or_default().step = step;
        self.current = Some(Place {
            lesson: lesson.to_string(),
            step,
        });
    }

    /// Of the exercises `exercises` of lesson `lesson`, how many passed,
    /// and how many there are.
    pub fn score<'a>(
        &self,
        lesson: &str,
        exercises: impl IntoIterator<Item = &'a str>,
    ) -> (usize, usize) {
        exercises.into_iter().fold((0, 0), |(passed, total), e| {
            (
                passed + usize::from(self.exercise(lesson, e).passed),
                total + 1,
            )
        })
    }
}
