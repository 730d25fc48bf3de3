//! Demo scripts, for presenters: a file like a lesson (`demos/*.md`), whose
//! scenario schedules the failures (at times after its start, injected and
//! cleared by the simulator as the clock reaches them) and whose fenced
//! ```` ```step ```` blocks are a timeline on the virtual clock: at each
//! step's time the player shows the prose before the block as the caption,
//! opens a page with a query, sets the speed, or pauses for a key.

use o11y_model::diag::Diagnostic;
use o11y_model::yaml;

use super::fields::{Fields, shift};
use super::format::{heading, sections, split_front_matter};
use super::scenario::Scenario;

/// A demo script.
#[derive(Clone, Debug, PartialEq)]
pub struct Script {
    pub id: String,
    pub title: String,
    pub summary: String,
    pub scenario: Scenario,
    pub steps: Vec<ScriptStep>,
}

/// One step of the timeline.
#[derive(Clone, Debug, PartialEq)]
pub struct ScriptStep {
    /// When, from the scenario's start (ms, 0 or later).
    pub at: i64,
    /// The caption: Markdown.
    pub caption: String,
    /// Its first heading, for the step list.
    pub title: String,
    /// The page to show (`explore`, `logs`, `traces`, `alerts`…).
    pub page: Option<String>,
    /// The query to show on it (Explore's PromQL, the Logs page's LogQL).
    pub query: Option<String>,
    /// The clock's speed from this step on.
    pub speed: Option<f64>,
    /// Wait for the presenter's key before going on.
    pub pause: bool,
    pub line: usize,
}

/// The demo scripts of `demos/`: file name and text.
#[cfg(feature = "builtin-lessons")]
pub const BUILTIN_DEMOS: &[(&str, &str)] = include!(concat!(env!("OUT_DIR"), "/demos.rs"));

/// Reads a demo script; every error names its line and column.
pub fn parse_script(text: &str) -> Result<Script, Diagnostic> {
    let (front, front_line, body, body_line) = split_front_matter(text)?;
    let root = yaml::parse(front)
        .map_err(|e| shift(e, front_line - 1))?
        .ok_or_else(|| Diagnostic::at_line(front_line, 1, "the front matter is empty"))?;
    let f = Fields::new(&root, front_line - 1, "demo")?;
    f.only(&["id", "title", "summary", "scenario"])?;
    let scenario = match f.get("scenario") {
        Some(node) => Scenario::read(&f.child(node, "scenario")?)?,
        None => Scenario::default(),
    };
    let mut steps: Vec<ScriptStep> = Vec::new();
    for s in sections(body, body_line, "step")? {
        let Some((yaml_text, line)) = s.block else {
            // Prose after the last step: its closing caption, when the
            // timeline ends.
            if let Some(last) = steps.last_mut() {
                last.caption = format!("{}\n\n{}", last.caption, s.prose.trim());
            }
            continue;
        };
        let node = yaml::parse(&yaml_text)
            .map_err(|e| shift(e, line))?
            .ok_or_else(|| Diagnostic::at_line(line, 1, "the step block is empty"))?;
        let b = Fields::new(&node, line, "step")?;
        b.only(&["at", "page", "query", "speed", "pause"])?;
        let at = b.req_offset("at")?;
        if at < 0 || at > scenario.history_ms.max(3_600_000) * 24 {
            return Err(b.error("at", "a step is at the start (0s) or after it"));
        }
        if let Some(prev) = steps.last()
            && prev.at > at
        {
            return Err(b.error("at", "steps come in time order"));
        }
        let page = b.opt_str("page")?;
        if let Some(p) = &page
            && !super::scenario::PAGES.contains(&p.as_str())
        {
            return Err(b.error(
                "page",
                &format!("the page is one of {}", super::scenario::PAGES.join(", ")),
            ));
        }
        let speed = match b.opt_str("speed")? {
            None => None,
            Some(t) => Some(
                t.parse::<f64>()
                    .ok()
                    .filter(|s| (0.0..=1000.0).contains(s))
                    .ok_or_else(|| b.error("speed", "the speed is a number from 0 to 1000"))?,
            ),
        };
        let caption = s.prose.trim().to_string();
        steps.push(ScriptStep {
            at,
            title: heading(&caption).unwrap_or_else(|| format!("Step {}", steps.len() + 1)),
            caption,
            page,
            query: b.opt_str("query")?,
            speed,
            pause: b.opt_bool("pause")?.unwrap_or(false),
            line,
        });
    }
    if steps.is_empty() {
        return Err(Diagnostic::at_line(
            body_line,
            1,
            "a demo has at least one step block",
        ));
    }
    Ok(Script {
        id: f.req_str("id")?,
        title: f.req_str("title")?,
        summary: f.opt_str("summary")?.unwrap_or_default(),
        scenario,
        steps,
    })
}

impl Script {
    /// The step in effect at `now_ms` (the last one whose time has come).
    pub fn current(&self, now_ms: i64) -> Option<usize> {
        let at = now_ms - self.scenario.start_ms;
        self.steps.iter().rposition(|s| s.at <= at)
    }

    /// The virtual time of step `index`.
    pub fn time_of(&self, index: usize) -> i64 {
        self.scenario.start_ms + self.steps.get(index).map_or(0, |s| s.at)
    }

    /// When the timeline ends: the last step's time.
    pub fn end_ms(&self) -> i64 {
        self.time_of(self.steps.len().saturating_sub(1))
    }
}

/// The built-in demos that read, in file order, and the files that did not.
#[cfg(feature = "builtin-lessons")]
pub fn builtin_demos() -> (Vec<Script>, Vec<(String, Diagnostic)>) {
    read_demos(BUILTIN_DEMOS.iter().copied())
}

/// The demo scripts of these files (name and text) that read, in their
/// order, and the files that did not.
pub fn read_demos<'a>(
    files: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> (Vec<Script>, Vec<(String, Diagnostic)>) {
    let (mut scripts, mut problems) = (Vec::new(), Vec::new());
    for (name, text) in files {
        match parse_script(text) {
            Ok(s) => scripts.push(s),
            Err(e) => problems.push((name.to_string(), e)),
        }
    }
    (scripts, problems)
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEMO: &str = "---\nid: d\ntitle: A demo\nscenario:\n  history: 10m\n  detail: 2m\n  failures:\n    - {kind: error_burst, service: payment, rate: 0.5, from: 1m, to: 3m}\n---\n\n# Calm\n\nAll is well.\n\n```step\nat: 0s\npage: explore\nquery: sum(rate(http_requests_total[1m]))\nspeed: 10\n```\n\n# Trouble\n\nPayment fails.\n\n```step\nat: 1m\npage: traces\npause: true\n```\n\nThe end.\n";

    #[test]
    fn steps_on_the_clock() {
        let s = parse_script(DEMO).expect("reads");
        assert_eq!(s.steps.len(), 2);
        assert_eq!(s.steps[0].title, "Calm");
        assert_eq!(s.steps[0].speed, Some(10.0));
        assert_eq!(s.steps[1].at, 60_000);
        assert!(s.steps[1].pause);
        assert!(s.steps[1].caption.ends_with("The end."));
        let start = s.scenario.start_ms;
        assert_eq!(s.current(start - 1), None);
        assert_eq!(s.current(start + 59_999), Some(0));
        assert_eq!(s.current(start + 60_000), Some(1));
        assert_eq!(s.end_ms(), start + 60_000);
        // The failure is scheduled after the start: the simulator applies it then.
        let mut demo = s.scenario.build().expect("builds");
        assert!(demo.shop().active_failures(demo.now_ms()).is_empty());
        demo.step(90_000).expect("steps");
        assert_eq!(demo.shop().active_failures(demo.now_ms()).len(), 1);
        demo.step(120_000).expect("steps");
        assert!(demo.shop().active_failures(demo.now_ms()).is_empty());
    }

    #[test]
    fn errors_at_their_place() {
        let bad = DEMO.replace("at: 1m\npage: traces", "at: 1m\npage: nowhere");
        let e = parse_script(&bad).expect_err("unknown page");
        assert_eq!((e.line, e.col), (28, 7), "{e}");
        let back = DEMO.replace("at: 1m", "at: -1m");
        assert!(
            parse_script(&back)
                .expect_err("before the start")
                .message
                .contains("after it")
        );
    }

    #[test]
    fn the_builtin_demos_read() {
        let (scripts, problems) = builtin_demos();
        assert!(problems.is_empty(), "{problems:?}");
        assert!(scripts.len() >= 3);
        for d in scripts {
            assert!(d.steps.len() >= 3, "{}", d.id);
        }
    }
}
