//! App state: a small `Copy` struct of signals in context, which every
//! component takes the handles it needs from. The demo itself (clock,
//! simulator, stores) is one plain engine value in a signal; the
//! [`Tick`] says when time passed (see `refresh`).
//!
//! ```ignore
//! let AppState { demo, tick, .. } = expect_context::<AppState>();
//! ```

use leptos::prelude::*;
use std::sync::Arc;

use o11y_engine::demo::{Demo, DemoConfig};
use o11y_engine::learn::{Feedback, Lesson, Progress};

use crate::fragment::Page;
use crate::refresh::Tick;
use crate::timer::real_now_ms;

/// Everything the components share.
#[derive(Clone, Copy)]
pub struct AppState {
    pub demo: RwSignal<Demo>,
    /// The last error the demo reported, shown in a banner.
    pub error: RwSignal<Option<String>>,
    pub page: RwSignal<Page>,
    /// A message about the workspace (restored, shared, unreadable).
    pub notice: RwSignal<Option<Notice>>,
    /// Counts while the page runs: what changes with time refreshes on it.
    pub tick: Tick,
    /// The lesson open, if one (its panel is docked beside every page).
    pub lesson: RwSignal<Option<OpenLesson>>,
    /// The learner's progress in the lessons.
    pub progress: RwSignal<Progress>,
    /// Whether the lessons are fetched (`learn::load_course`).
    pub course: RwSignal<crate::learn::CourseLoad>,
    /// The learner's own demo, kept while a lesson's scenario runs.
    pub stashed: StoredValue<Option<Demo>>,
    /// What the editors hold now, for a lesson's Check.
    pub drafts: Drafts,
    /// The demo script playing, if one.
    pub playing: RwSignal<Option<Playing>>,
}

/// A demo script playing on the virtual clock.
#[derive(Clone)]
pub struct Playing {
    pub script: Arc<o11y_engine::learn::script::Script>,
    /// The last step shown.
    pub applied: Option<usize>,
    /// Stopped at a `pause` step until the presenter goes on.
    pub waiting: bool,
    /// The presentation view is on.
    pub presenting: bool,
    /// The last step is shown.
    pub finished: bool,
}

/// The text of each editor an exercise can take its answer from: pages
/// write theirs as it changes.
#[derive(Clone, Copy)]
pub struct Drafts {
    /// Explore's query.
    pub promql: RwSignal<String>,
    /// The Logs page's query.
    pub logql: RwSignal<String>,
    /// The Alerts page's rule file.
    pub rules: RwSignal<String>,
    /// The Alerts page's Alertmanager configuration.
    pub alertmanager: RwSignal<String>,
    /// The Relabel page's `relabel_configs`.
    pub relabel: RwSignal<String>,
    /// The matchers of the Alerts page's new silence.
    pub silence: RwSignal<String>,
    /// The Alerts page's rule test file.
    pub rule_tests: RwSignal<String>,
}

impl Drafts {
    pub fn new() -> Drafts {
        Drafts {
            promql: RwSignal::new(String::new()),
            logql: RwSignal::new(String::new()),
            rules: RwSignal::new(String::new()),
            alertmanager: RwSignal::new(String::new()),
            relabel: RwSignal::new(String::new()),
            silence: RwSignal::new(String::new()),
            rule_tests: RwSignal::new(String::new()),
        }
    }
}

/// The scenario's session as the lesson opened, and the outcomes of
/// references and traps computed on it so far.
pub struct Pristine {
    pub demo: Demo,
    pub cache: o11y_engine::learn::Cache,
}

impl Pristine {
    pub fn checker(&self, lesson: &Lesson) -> o11y_engine::learn::Checker<'_> {
        o11y_engine::learn::Checker::new(&self.demo, lesson.scenario.start_ms)
            .with_cache(&self.cache)
    }
}

/// A lesson being taken: the lesson, its step, the scenario's session as
/// it opened (answers are checked on it, whatever the learner does to the
/// running one), and the last feedback.
#[derive(Clone)]
pub struct OpenLesson {
    pub lesson: Arc<Lesson>,
    pub step: usize,
    pub pristine: Arc<Pristine>,
    /// The exercise checked last and what the checker said.
    pub feedback: Option<(String, Feedback)>,
}

/// A message about the workspace, with the text of an unreadable one to download.
#[derive(Clone, Debug, PartialEq)]
pub struct Notice {
    pub message: String,
    /// A file to offer for download: its name and text.
    pub download: Option<(&'static str, String)>,
}

/// A demo started now with the default settings: a preview of its last
/// minutes at once, the hour behind it filled in by `refresh`.
pub fn fresh_demo() -> Demo {
    let now = real_now_ms() as i64;
    Demo::start(DemoConfig::default(), now)
        .unwrap_or_else(|_| Demo::new(DemoConfig::default(), now))
}
