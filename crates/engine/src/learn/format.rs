//! The lesson file (`docs/lessons.md`): Markdown whose YAML front matter
//! holds the lesson's title, place in the course and scenario, and whose
//! fenced ```` ```exercise ```` blocks (YAML) are its exercises. The prose
//! before an exercise is its step's text. Every error names its line and
//! column in the file.

use o11y_model::diag::Diagnostic;
use o11y_model::labels::Labels;
use o11y_model::yaml::{self, Value};

use super::fields::{Fields, shift};
use super::scenario::Scenario;

/// The pillar a lesson teaches, which orders the course map.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Pillar {
    Metrics,
    Logs,
    Traces,
    Alerting,
    /// Dashboards and relabeling: what is shown, and what is scraped.
    Dashboards,
    /// Investigations: a hidden failure, and the learner finds it.
    Incidents,
}

impl Pillar {
    pub const ALL: [Pillar; 6] = [
        Pillar::Metrics,
        Pillar::Logs,
        Pillar::Traces,
        Pillar::Alerting,
        Pillar::Dashboards,
        Pillar::Incidents,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Pillar::Metrics => "metrics",
            Pillar::Logs => "logs",
            Pillar::Traces => "traces",
            Pillar::Alerting => "alerting",
            Pillar::Dashboards => "dashboards",
            Pillar::Incidents => "incidents",
        }
    }

    fn parse(text: &str) -> Option<Pillar> {
        Pillar::ALL.into_iter().find(|p| p.name() == text)
    }
}

/// One lesson, as read from its file.
#[derive(Clone, Debug, PartialEq)]
pub struct Lesson {
    /// Unique in the course; progress is kept under it.
    pub id: String,
    pub title: String,
    pub pillar: Pillar,
    /// 1 = first steps; higher builds on lower.
    pub level: u32,
    /// One sentence for the course map.
    pub summary: String,
    /// The official documentation the lesson follows (URLs).
    pub docs: Vec<String>,
    pub scenario: Scenario,
    pub steps: Vec<Step>,
}

impl Lesson {
    /// The exercises, in order.
    pub fn exercises(&self) -> impl Iterator<Item = &Exercise> {
        self.steps.iter().filter_map(|s| s.exercise.as_ref())
    }

    pub fn exercise(&self, id: &str) -> Option<&Exercise> {
        self.exercises().find(|e| e.id == id)
    }
}

/// A step: prose, then (usually) an exercise.
#[derive(Clone, Debug, PartialEq)]
pub struct Step {
    /// The first heading of the prose, else the exercise's id.
    pub title: String,
    /// Markdown.
    pub prose: String,
    pub exercise: Option<Exercise>,
}

/// An exercise: what to do, how its answer is checked, hints, traps.
#[derive(Clone, Debug, PartialEq)]
pub struct Exercise {
    pub id: String,
    /// The task, in Markdown (one or two sentences).
    pub prompt: String,
    pub check: Check,
    /// Graded hints, the gentlest first (at least two).
    pub hints: Vec<String>,
    /// Plausible wrong answers and the hint each should get (at least one).
    pub traps: Vec<Trap>,
    /// Where the exercise block starts in the file (1-based).
    pub line: usize,
}

/// A plausible wrong answer and the hint it gets.
#[derive(Clone, Debug, PartialEq)]
pub struct Trap {
    pub answer: String,
    pub hint: String,
}

/// When queries are evaluated, relative to the scenario's start (ms,
/// usually negative: in its history).
#[derive(Clone, Debug, PartialEq)]
pub enum Times {
    /// Instant queries at these offsets.
    Instant(Vec<i64>),
    /// A range query.
    Range { start: i64, end: i64, step: i64 },
}

/// How an exercise's answer is checked: always by what it does, against
/// what the reference does on the scenario.
#[derive(Clone, Debug, PartialEq)]
pub enum Check {
    /// A PromQL query, compared by result.
    Promql(QueryCheck),
    /// A LogQL query: lines for a log query, series for a metric query.
    Logql(QueryCheck),
    /// An alerting or recording rule file, replayed over the scenario.
    Rule(RuleCheck),
    /// An Alertmanager configuration, by where given alerts go.
    Routing(RoutingCheck),
    /// Relabel configs, by what they make of given targets.
    Relabel(RelabelCheck),
    /// A value found with the tools, computed from the scenario.
    Answer(AnswerCheck),
    /// Alertmanager matchers of a silence, by which alerts they mute.
    Silence(SilenceCheck),
    /// A `promtool test rules` file, by what it catches: it passes on the
    /// rules and fails on each broken variant of them.
    RuleTest(RuleTestCheck),
}

impl Check {
    pub fn kind(&self) -> &'static str {
        match self {
            Check::Promql(_) => "promql",
            Check::Logql(_) => "logql",
            Check::Rule(_) => "rule",
            Check::Routing(_) => "routing",
            Check::Relabel(_) => "relabel",
            Check::Answer(_) => "answer",
            Check::Silence(_) => "silence",
            Check::RuleTest(_) => "ruletest",
        }
    }

    /// The reference answer, shown as the solution.
    pub fn reference(&self) -> &str {
        match self {
            Check::Promql(q) | Check::Logql(q) => &q.reference,
            Check::Rule(r) => &r.reference,
            Check::Routing(r) => &r.reference,
            Check::Relabel(r) => &r.reference,
            Check::Answer(a) => a.probe.text(),
            Check::Silence(s) => &s.reference,
            Check::RuleTest(t) => &t.reference,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct QueryCheck {
    pub reference: String,
    pub times: Times,
    /// Relative tolerance on values (default 1e-9).
    pub tolerance: f64,
    /// Whether the order of the result matters (`sort`, `topk`).
    pub ordered: bool,
    /// Lines a log query returns at most (default 100).
    pub limit: usize,
}

/// An alert the rule must raise: its labels (those named must match) and
/// the window it must be firing throughout.
#[derive(Clone, Debug, PartialEq)]
pub struct ExpectedAlert {
    pub labels: Vec<(String, String)>,
    pub firing: (i64, i64),
}

#[derive(Clone, Debug, PartialEq)]
pub struct RuleCheck {
    /// A rule file that passes.
    pub reference: String,
    /// Replayed from this offset to the scenario's start.
    pub from: i64,
    pub alerts: Vec<ExpectedAlert>,
    /// Windows in which no alert of the expected names may fire.
    pub quiet: Vec<(i64, i64)>,
    /// Annotations whose text must equal the reference's.
    pub annotations: Vec<String>,
    /// Recording rules: series that must equal the reference's at the end.
    pub records: Vec<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct RoutingCheck {
    /// An Alertmanager configuration that passes.
    pub reference: String,
    /// Alerts (label sets) to route.
    pub alerts: Vec<Labels>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct SilenceCheck {
    /// Matchers that pass (`alertname="X", service=~"pay.*"`).
    pub reference: String,
    /// Alerts (label sets) the silence is tried on.
    pub alerts: Vec<Labels>,
}

/// A broken variant of the rules a test file must catch, and what is
/// broken (told to a learner whose tests miss it).
#[derive(Clone, Debug, PartialEq)]
pub struct Mutant {
    pub rules: String,
    pub why: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct RuleTestCheck {
    /// A test file that passes.
    pub reference: String,
    /// The rule file under test, served to the tests as `rules.yml`.
    pub rules: String,
    pub mutants: Vec<Mutant>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct RelabelCheck {
    /// `relabel_configs` that pass.
    pub reference: String,
    /// Targets' discovered labels.
    pub targets: Vec<Labels>,
}

/// What an `answer` exercise's expected value is computed by.
#[derive(Clone, Debug, PartialEq)]
pub enum Probe {
    /// The first sample of an instant query: its value, or a label's value.
    Promql { query: String, at: i64, take: Take },
    /// A LogQL query: a metric query as PromQL; a log query's line count,
    /// or a label of its newest line.
    Logql {
        query: String,
        at: i64,
        range: i64,
        take: Take,
    },
    /// The slowest trace matching a search.
    Trace {
        text: String,
        query: o11y_traces::store::TraceQuery,
        take: TraceTake,
    },
    /// A metric's type (`counter`, `gauge`, `histogram`, `summary`…), as
    /// its metadata says.
    MetricType { text: String, metric: String },
    /// What the scenario injected: failure `index`'s service, kind or start.
    Failure {
        text: String,
        index: usize,
        field: FailureField,
    },
    /// Evidence rather than a value: any trace of the scenario whose
    /// critical path runs through `service` (failure `index`'s service when
    /// `None`) passes.
    TraceThrough {
        text: String,
        service: Option<String>,
        index: usize,
    },
}

/// What of an injected failure an answer is.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum FailureField {
    Service,
    /// Its kind as the scenario names it (`error_burst`, `latency_spike`…).
    Kind,
    /// When it started (a time; answers within a minute pass).
    Start,
}

impl Probe {
    pub fn text(&self) -> &str {
        match self {
            Probe::Promql { query, .. } | Probe::Logql { query, .. } => query,
            Probe::Trace { text, .. }
            | Probe::MetricType { text, .. }
            | Probe::Failure { text, .. }
            | Probe::TraceThrough { text, .. } => text,
        }
    }
}

/// What of a query's result an answer is.
#[derive(Clone, Debug, PartialEq)]
pub enum Take {
    Value,
    Label(String),
    Count,
}

/// What of a trace an answer is.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum TraceTake {
    TraceId,
    /// The service of the span on the critical path that worked longest on
    /// its own (self time): where the time went.
    CriticalService,
    /// How many spans the trace has.
    Spans,
}

#[derive(Clone, Debug, PartialEq)]
pub struct AnswerCheck {
    pub probe: Probe,
    /// Relative tolerance when the answer is a number (default 1e-9).
    pub tolerance: f64,
}

/// Reads a lesson file. `name` is its file name, for errors.
pub fn parse_lesson(text: &str) -> Result<Lesson, Diagnostic> {
    let (front, front_line, body, body_line) = split_front_matter(text)?;
    let root = yaml::parse(front)
        .map_err(|e| shift(e, front_line - 1))?
        .ok_or_else(|| Diagnostic::at_line(front_line, 1, "the front matter is empty"))?;
    let f = Fields::new(&root, front_line - 1, "lesson")?;
    f.only(&[
        "id", "title", "pillar", "level", "summary", "docs", "scenario",
    ])?;
    let id = f.req_str("id")?;
    if id.is_empty() || !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        return Err(f.error("id", "an id is letters, digits and dashes"));
    }
    let pillar_text = f.req_str("pillar")?;
    let pillar = Pillar::parse(&pillar_text).ok_or_else(|| {
        f.error(
            "pillar",
            "the pillar is one of metrics, logs, traces, alerting, dashboards, incidents",
        )
    })?;
    let scenario = match f.get("scenario") {
        Some(node) => Scenario::read(&Fields::new(node, front_line - 1, "scenario")?)?,
        None => Scenario::default(),
    };
    let steps = read_steps(body, body_line)?;
    let lesson = Lesson {
        id,
        title: f.req_str("title")?,
        pillar,
        level: f.opt_str("level")?.map_or(Ok(1), |t| {
            t.parse()
                .map_err(|_| f.error("level", "the level is a whole number"))
        })?,
        summary: f.opt_str("summary")?.unwrap_or_default(),
        docs: f.str_list("docs")?,
        scenario,
        steps,
    };
    let mut ids = std::collections::HashSet::new();
    for e in lesson.exercises() {
        if !ids.insert(e.id.as_str()) {
            return Err(Diagnostic::at_line(
                e.line,
                1,
                format!("exercise id {:?} is used twice", e.id),
            ));
        }
    }
    if lesson.steps.is_empty() {
        return Err(Diagnostic::at_line(body_line, 1, "the lesson has no text"));
    }
    Ok(lesson)
}

/// The front matter between `---` lines, its first line, the body and its
/// first line (1-based).
pub(super) fn split_front_matter(text: &str) -> Result<(&str, usize, &str, usize), Diagnostic> {
    let rest = text
        .strip_prefix("---\n")
        .or_else(|| text.strip_prefix("---\r\n"))
        .ok_or_else(|| {
            Diagnostic::at_line(1, 1, "a lesson starts with YAML front matter after `---`")
        })?;
    let mut offset = 0;
    for (i, line) in rest.split_inclusive('\n').enumerate() {
        if line.trim_end() == "---" {
            let front = &rest[..offset];
            let body = &rest[offset + line.len()..];
            return Ok((front, 2, body, i + 3));
        }
        offset += line.len();
    }
    Err(Diagnostic::at_line(
        1,
        1,
        "the front matter has no closing `---` line",
    ))
}

/// Prose, and the fenced YAML block that ends it (none after the last).
pub(super) struct Section {
    pub prose: String,
    /// The block's YAML and the line of its opening fence.
    pub block: Option<(String, usize)>,
}

/// Splits a body at its fenced blocks whose info string is `info`
/// (```` ```exercise ````, ```` ```step ````); other fenced blocks are prose.
pub(super) fn sections(
    body: &str,
    first_line: usize,
    info: &str,
) -> Result<Vec<Section>, Diagnostic> {
    let mut out = Vec::new();
    let mut prose = String::new();
    let mut fence: Option<(String, usize, String)> = None; // (marker, line, yaml)
    let mut other_fence: Option<String> = None;
    for (i, line) in body.lines().enumerate() {
        let n = first_line + i;
        let trimmed = line.trim_end();
        if let Some((marker, start, yaml)) = &mut fence {
            if trimmed == marker.as_str() {
                out.push(Section {
                    prose: std::mem::take(&mut prose),
                    block: Some((std::mem::take(yaml), *start)),
                });
                fence = None;
            } else {
                yaml.push_str(line);
                yaml.push('\n');
            }
            continue;
        }
        if let Some(marker) = &other_fence {
            if trimmed == marker.as_str() {
                other_fence = None;
            }
        } else if let Some(marker) = fence_marker(trimmed) {
            if trimmed[marker.len()..].trim() == info {
                fence = Some((marker, n, String::new()));
                continue;
            }
            other_fence = Some(marker);
        }
        prose.push_str(line);
        prose.push('\n');
    }
    if let Some((_, start, _)) = fence {
        return Err(Diagnostic::at_line(
            start,
            1,
            format!("this {info} block is not closed"),
        ));
    }
    if !prose.trim().is_empty() {
        out.push(Section { prose, block: None });
    }
    Ok(out)
}

/// Splits the body into steps at its exercise blocks.
fn read_steps(body: &str, first_line: usize) -> Result<Vec<Step>, Diagnostic> {
    sections(body, first_line, "exercise")?
        .into_iter()
        .map(|s| {
            let exercise = s
                .block
                .map(|(yaml, line)| read_exercise(&yaml, line))
                .transpose()?;
            Ok(Step {
                title: heading(&s.prose)
                    .or_else(|| exercise.as_ref().map(|e| e.id.clone()))
                    .unwrap_or_else(|| "Summary".to_string()),
                prose: s.prose.trim().to_string(),
                exercise,
            })
        })
        .collect()
}

/// The backticks or tildes that open a fenced block, if the line opens one.
fn fence_marker(line: &str) -> Option<String> {
    let c = line.chars().next().filter(|c| *c == '`' || *c == '~')?;
    let n = line.chars().take_while(|x| *x == c).count();
    (n >= 3).then(|| c.to_string().repeat(n))
}

/// The text of the first ATX heading.
pub(super) fn heading(markdown: &str) -> Option<String> {
    markdown
        .lines()
        .find_map(|l| l.strip_prefix('#'))
        .map(|h| h.trim_start_matches('#').trim().to_string())
        .filter(|h| !h.is_empty())
}

/// The YAML of an exercise block, whose first line is `start` + 1.
fn read_exercise(text: &str, start: usize) -> Result<Exercise, Diagnostic> {
    let root = yaml::parse(text)
        .map_err(|e| shift(e, start))?
        .ok_or_else(|| Diagnostic::at_line(start, 1, "the exercise block is empty"))?;
    let f = Fields::new(&root, start, "exercise")?;
    let kind = f.req_str("kind")?;
    let common = [
        "id",
        "kind",
        "prompt",
        "hints",
        "traps",
        "reference",
        "tolerance",
    ];
    let extra: &[&str] = match kind.as_str() {
        "promql" | "logql" => &["at", "range", "ordered", "limit"],
        "rule" => &["from", "alerts", "quiet", "annotations", "records"],
        "routing" => &["alerts"],
        "relabel" => &["targets"],
        "silence" => &["alerts"],
        "ruletest" => &["rules", "mutants"],
        "answer" => &[],
        _ => {
            return Err(f.error(
                "kind",
                "the kind is one of promql, logql, rule, routing, relabel, silence, ruletest, answer",
            ));
        }
    };
    f.only(&[&common[..], extra].concat())?;
    let tolerance = match f.opt_str("tolerance")? {
        None => 1e-9,
        Some(t) => t
            .parse::<f64>()
            .ok()
            .filter(|t| t.is_finite() && *t >= 0.0)
            .ok_or_else(|| f.error("tolerance", "the tolerance is a number, 0 or more"))?,
    };
    let check = match kind.as_str() {
        "promql" | "logql" => {
            let q = QueryCheck {
                reference: f.req_str("reference")?,
                times: read_times(&f)?,
                tolerance,
                ordered: f.opt_bool("ordered")?.unwrap_or(false),
                limit: match f.opt_str("limit")? {
                    None => 100,
                    Some(t) => t
                        .parse()
                        .ok()
                        .filter(|n| (1..=5000).contains(n))
                        .ok_or_else(|| f.error("limit", "the limit is from 1 to 5000"))?,
                },
            };
            if kind == "promql" {
                Check::Promql(q)
            } else {
                // A log query's lines are compared once: at one time.
                let is_log_query = matches!(
                    o11y_logs::parser::parse(&q.reference),
                    Ok(o11y_logs::parser::Expr::Log(_))
                );
                if is_log_query && matches!(&q.times, Times::Instant(t) if t.len() > 1) {
                    return Err(f.error("at", "a log query is checked at one time: give one `at`"));
                }
                Check::Logql(q)
            }
        }
        "rule" => Check::Rule(read_rule_check(&f)?),
        "routing" => Check::Routing(RoutingCheck {
            reference: f.req_str("reference")?,
            alerts: f.label_sets("alerts")?,
        }),
        "relabel" => Check::Relabel(RelabelCheck {
            reference: f.req_str("reference")?,
            targets: f.label_sets("targets")?,
        }),
        "silence" => Check::Silence(SilenceCheck {
            reference: f.req_str("reference")?,
            alerts: f.label_sets("alerts")?,
        }),
        "ruletest" => {
            let mut mutants = Vec::new();
            for node in f.seq("mutants")? {
                let m = f.child(node, "mutant")?;
                m.only(&["rules", "why"])?;
                mutants.push(Mutant {
                    rules: m.req_str("rules")?,
                    why: m.req_str("why")?,
                });
            }
            if mutants.is_empty() {
                return Err(f.error(
                    "mutants",
                    "list at least one broken variant of the rules the tests must catch",
                ));
            }
            Check::RuleTest(RuleTestCheck {
                reference: f.req_str("reference")?,
                rules: f.req_str("rules")?,
                mutants,
            })
        }
        _ => Check::Answer(AnswerCheck {
            probe: read_probe(&f)?,
            tolerance,
        }),
    };
    let hints = f.str_list("hints")?;
    if hints.len() < 2 {
        return Err(f.error("hints", "an exercise has at least two hints"));
    }
    let traps = read_traps(&f)?;
    Ok(Exercise {
        id: f.req_str("id")?,
        prompt: f.req_str("prompt")?,
        check,
        hints,
        traps,
        line: start,
    })
}

fn read_times(f: &Fields) -> Result<Times, Diagnostic> {
    match (f.get("at"), f.get("range")) {
        (Some(_), Some(_)) => Err(f.error("range", "give `at` or `range`, not both")),
        (None, Some(node)) => {
            let r = f.child(node, "range")?;
            r.only(&["start", "end", "step"])?;
            let step = r.req_offset("step")?;
            if step <= 0 {
                return Err(r.error("step", "the step is a positive duration"));
            }
            let (start, end) = (r.req_offset("start")?, r.req_offset("end")?);
            if end < start || (end - start) / step > 11_000 {
                return Err(r.error(
                    "end",
                    "the range ends after it starts, with at most 11,000 steps",
                ));
            }
            Ok(Times::Range { start, end, step })
        }
        (Some(node), None) => {
            let list = match &node.value {
                Value::Seq(items) => items.iter().collect(),
                _ => vec![node],
            };
            let times = list
                .into_iter()
                .map(|n| f.offset_of(n))
                .collect::<Result<Vec<_>, _>>()?;
            if times.is_empty() {
                return Err(f.error("at", "list at least one time"));
            }
            Ok(Times::Instant(times))
        }
        (None, None) => Ok(Times::Instant(vec![0])),
    }
}

fn read_rule_check(f: &Fields) -> Result<RuleCheck, Diagnostic> {
    let mut alerts = Vec::new();
    for node in f.seq("alerts")? {
        let a = f.child(node, "alerts")?;
        a.only(&["labels", "firing"])?;
        let labels = a.map_pairs("labels")?;
        if !labels.iter().any(|(k, _)| k == "alertname") {
            return Err(a.error("labels", "name the alert: `alertname` is required"));
        }
        alerts.push(ExpectedAlert {
            labels,
            firing: a.window("firing")?,
        });
    }
    if alerts.is_empty() {
        return Err(f.error("alerts", "list the alerts the rule must raise"));
    }
    let quiet = f
        .seq("quiet")?
        .into_iter()
        .map(|n| f.window_of(n))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(RuleCheck {
        reference: f.req_str("reference")?,
        from: f.opt_offset("from")?.unwrap_or(-3_600_000),
        alerts,
        quiet,
        annotations: f.str_list("annotations")?,
        records: f.str_list("records")?,
    })
}

fn read_probe(f: &Fields) -> Result<Probe, Diagnostic> {
    let node = f
        .get("reference")
        .ok_or_else(|| f.error("reference", "the reference is missing"))?;
    let r = f.child(node, "reference")?;
    r.only(&[
        "promql",
        "logql",
        "trace",
        "at",
        "range",
        "take",
        "service",
        "operation",
        "errors",
        "min_duration",
        "metric_type",
        "failure",
        "index",
        "trace_through",
    ])?;
    let index = match r.opt_str("index")? {
        None => 0,
        Some(t) => t.parse().map_err(|_| {
            r.error(
                "index",
                "the index is a whole number (0: the first failure)",
            )
        })?,
    };
    if let Some(metric) = r.opt_str("metric_type")? {
        return Ok(Probe::MetricType {
            text: format!("the type of {metric}, from its metadata (the Metrics page)"),
            metric,
        });
    }
    if let Some(field) = r.opt_str("failure")? {
        let field = match field.as_str() {
            "service" => FailureField::Service,
            "kind" => FailureField::Kind,
            "start" => FailureField::Start,
            _ => {
                return Err(r.error(
                    "failure",
                    "a failure answer is `service`, `kind` or `start`",
                ));
            }
        };
        return Ok(Probe::Failure {
            text: format!("the scenario's failure {}: its {field:?}", index + 1).to_lowercase(),
            index,
            field,
        });
    }
    if let Some(through) = r.opt_str("trace_through")? {
        let service = (through != "failure").then_some(through);
        let text = match &service {
            Some(s) => format!("any trace whose critical path runs through {s}"),
            None => "any trace whose critical path runs through the failing service".to_string(),
        };
        return Ok(Probe::TraceThrough {
            text,
            service,
            index,
        });
    }
    let take = r.opt_str("take")?;
    let at = r.opt_offset("at")?.unwrap_or(0);
    let query_take = |default: Take| -> Result<Take, Diagnostic> {
        Ok(match take.as_deref() {
            None => default,
            Some("value") => Take::Value,
            Some("count") => Take::Count,
            Some(t) => match t.strip_prefix("label:") {
                Some(name) if !name.is_empty() => Take::Label(name.to_string()),
                _ => {
                    return Err(r.error("take", "take is `value`, `count` or `label:NAME`"));
                }
            },
        })
    };
    if let Some(query) = r.opt_str("promql")? {
        return Ok(Probe::Promql {
            query,
            at,
            take: query_take(Take::Value)?,
        });
    }
    if let Some(query) = r.opt_str("logql")? {
        return Ok(Probe::Logql {
            query,
            at,
            range: r.opt_offset("range")?.unwrap_or(3_600_000).abs(),
            take: query_take(Take::Count)?,
        });
    }
    if r.get("trace").is_some() {
        let mut query = o11y_traces::store::TraceQuery {
            service: r.opt_str("service")?,
            operation: r.opt_str("operation")?,
            errors_only: r.opt_bool("errors")?.unwrap_or(false),
            limit: usize::MAX,
            ..Default::default()
        };
        if let Some(d) = r.opt_offset("min_duration")? {
            query.min_duration_ns = Some(d.saturating_mul(1_000_000));
        }
        let take = match take.as_deref().or(r.opt_str("trace")?.as_deref()) {
            Some("trace_id") | None => TraceTake::TraceId,
            Some("critical_service") => TraceTake::CriticalService,
            Some("spans") => TraceTake::Spans,
            Some(_) => {
                return Err(r.error(
                    "trace",
                    "a trace answer is `trace_id`, `critical_service` or `spans`",
                ));
            }
        };
        let text = describe_trace_search(&query, take);
        return Ok(Probe::Trace { text, query, take });
    }
    Err(r.error(
        "promql",
        "the reference is a `promql`, `logql` or `trace` search",
    ))
}

/// A trace search as a sentence, for the solution.
fn describe_trace_search(q: &o11y_traces::store::TraceQuery, take: TraceTake) -> String {
    let mut parts = Vec::new();
    if let Some(s) = &q.service {
        parts.push(format!("service {s}"));
    }
    if let Some(o) = &q.operation {
        parts.push(format!("operation {o}"));
    }
    if q.errors_only {
        parts.push("errors only".to_string());
    }
    if let Some(d) = q.min_duration_ns {
        parts.push(format!(
            "at least {}",
            o11y_model::duration::format_duration(d / 1_000_000)
        ));
    }
    let what = match take {
        TraceTake::TraceId => "its trace id",
        TraceTake::CriticalService => "the service of the critical span with the most self time",
        TraceTake::Spans => "how many spans it has",
    };
    format!(
        "Traces search ({}), the slowest trace: {what}",
        if parts.is_empty() {
            "everything".to_string()
        } else {
            parts.join(", ")
        }
    )
}

fn read_traps(f: &Fields) -> Result<Vec<Trap>, Diagnostic> {
    let mut traps = Vec::new();
    for node in f.seq("traps")? {
        let t = f.child(node, "traps")?;
        t.only(&["answer", "hint"])?;
        traps.push(Trap {
            answer: t.req_str("answer")?,
            hint: t.req_str("hint")?,
        });
    }
    if traps.is_empty() {
        return Err(f.error(
            "traps",
            "an exercise lists at least one trap (a plausible wrong answer and its hint)",
        ));
    }
    Ok(traps)
}
