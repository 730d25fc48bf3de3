//! Checking an answer by what it does: the reference and the answer run on
//! the scenario, their outcomes are compared (`diff`), and a wrong answer
//! gets the difference written for a learner, a trap's own hint first when
//! it behaves like that trap.

use o11y_model::diag::Diagnostic;

use super::diff::{self, Frame, Outcome};
use super::format::{Check, Exercise, FailureField, Probe, QueryCheck, Take, Times, TraceTake};
use crate::demo::Demo;

/// What the checker says about an answer.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Feedback {
    pub passed: bool,
    /// The answer does not parse or load: the error, at its place in the
    /// answer (a span of a query, a line of a file).
    pub error: Option<Diagnostic>,
    /// What differs, for a learner, the most telling first.
    pub messages: Vec<String>,
    /// The trap the answer behaves like (its index), whose hint is first.
    pub trap: Option<usize>,
}

impl Feedback {
    fn error(d: Diagnostic) -> Feedback {
        Feedback {
            messages: vec![d.to_string()],
            error: Some(d),
            ..Feedback::default()
        }
    }

    fn pass() -> Feedback {
        Feedback {
            passed: true,
            ..Feedback::default()
        }
    }
}

/// Outcomes already computed on a session, by exercise and text: the
/// reference and the traps run once per lesson opened, not per Check.
pub type Cache =
    std::sync::Mutex<std::collections::HashMap<(String, String), Result<Outcome, Diagnostic>>>;

/// The scenario's data, at its start, that answers run on.
pub struct Checker<'a> {
    pub demo: &'a Demo,
    /// The scenario's start: exercise times are relative to it.
    pub start_ms: i64,
    /// Where outcomes are remembered, if anywhere.
    pub cache: Option<&'a Cache>,
}

impl<'a> Checker<'a> {
    pub fn new(demo: &'a Demo, start_ms: i64) -> Checker<'a> {
        Checker {
            demo,
            start_ms,
            cache: None,
        }
    }

    /// Remembers outcomes in `cache` (valid for this session only).
    pub fn with_cache(self, cache: &'a Cache) -> Checker<'a> {
        Checker {
            cache: Some(cache),
            ..self
        }
    }

    /// `run`, remembered in the cache when there is one.
    fn run_cached(
        &self,
        exercise: &Exercise,
        text: &str,
        reference: bool,
    ) -> Result<Outcome, Diagnostic> {
        let key = (
            format!("{}{}", if reference { "=" } else { "" }, exercise.id),
            text.to_string(),
        );
        if let Some(found) = self.cache.and_then(|c| c.lock().ok()?.get(&key).cloned()) {
            return found;
        }
        let out = self.run(&exercise.check, text, reference);
        if let Some(mut c) = self.cache.and_then(|c| c.lock().ok()) {
            c.insert(key, out.clone());
        }
        out
    }

    /// Checks `answer` to `exercise`.
    pub fn check(&self, exercise: &Exercise, answer: &str) -> Feedback {
        let expected = match self.run_cached(exercise, exercise.check.reference(), true) {
            Ok(o) => o,
            Err(e) => {
                return Feedback::error(Diagnostic::new(format!(
                    "the lesson's reference answer fails, which is the lesson's fault: {e}"
                )));
            }
        };
        let got = match self.run_cached(exercise, answer, false) {
            Ok(o) => o,
            Err(e) => {
                // A trap may be an answer that does not parse or load: the
                // same error gets its hint.
                let mut feedback = Feedback::error(e.clone());
                for (i, t) in exercise.traps.iter().enumerate() {
                    if let Err(te) = self.run_cached(exercise, &t.answer, false)
                        && te.message == e.message
                    {
                        feedback.messages.insert(0, t.hint.clone());
                        feedback.trap = Some(i);
                        break;
                    }
                }
                return feedback;
            }
        };
        let mut messages = self.differences(&exercise.check, &expected, &got, answer);
        if messages.is_empty() {
            return Feedback::pass();
        }
        let mut trap = None;
        for (i, t) in exercise.traps.iter().enumerate() {
            let Ok(outcome) = self.run_cached(exercise, &t.answer, false) else {
                continue;
            };
            if diff::same(&outcome, &got, tolerance(&exercise.check)) {
                messages.insert(0, t.hint.clone());
                trap = Some(i);
                break;
            }
        }
        Feedback {
            passed: false,
            error: None,
            messages,
            trap,
        }
    }

    /// The answer that passes: the reference, or the value an `answer`
    /// exercise's search finds on the scenario.
    pub fn solution(&self, exercise: &Exercise) -> Result<String, Diagnostic> {
        match &exercise.check {
            Check::Answer(a) => self.probe(&a.probe),
            other => Ok(other.reference().to_string()),
        }
    }

    /// What `text` does on the scenario, as the exercise compares it.
    fn run(&self, check: &Check, text: &str, reference: bool) -> Result<Outcome, Diagnostic> {
        match check {
            Check::Promql(q) => self.promql(q, text),
            Check::Logql(q) => self.logql(q, text),
            Check::Rule(r) => super::rules::run(self.demo, self.start_ms, r, text),
            Check::Routing(r) => super::rules::routes(r, text),
            Check::Relabel(r) => super::rules::relabel(r, text),
            Check::Silence(s) => super::rules::silence(s, text),
            Check::RuleTest(t) => super::rules::rule_tests(t, text),
            Check::Answer(a) => self.answer_outcome(&a.probe, text, reference),
        }
    }

    fn differences(
        &self,
        check: &Check,
        expected: &Outcome,
        got: &Outcome,
        answer: &str,
    ) -> Vec<String> {
        match check {
            Check::Promql(q) | Check::Logql(q) => {
                let mut out = diff::differences(
                    expected,
                    got,
                    q.tolerance,
                    q.ordered,
                    &ranges(&q.reference, answer),
                );
                if !out.is_empty()
                    && diff::same_series(expected, got)
                    && let Some(shift) = self.time_shift(check, q, expected, answer)
                {
                    out.insert(0, shift);
                }
                out
            }
            Check::Rule(r) => super::rules::alert_differences(r, expected, got),
            Check::RuleTest(t) => super::rules::test_differences(t, got),
            Check::Answer(a) => diff::differences(expected, got, a.tolerance, false, &[]),
            _ => diff::differences(expected, got, 1e-9, false, &[]),
        }
    }

    /// An instant answer that equals the expected values at another time
    /// (an `offset`, an `@`).
    fn time_shift(
        &self,
        check: &Check,
        q: &QueryCheck,
        expected: &Outcome,
        answer: &str,
    ) -> Option<String> {
        let Times::Instant(times) = &q.times else {
            return None;
        };
        const SHIFTS: [i64; 8] = [
            60_000, 300_000, 600_000, 900_000, 1_800_000, 3_600_000, -300_000, -600_000,
        ];
        for shift in SHIFTS {
            let moved = QueryCheck {
                times: Times::Instant(times.iter().map(|t| t + shift).collect()),
                ..q.clone()
            };
            let Ok(mut got) = (match check {
                Check::Promql(_) => self.promql(&moved, answer),
                _ => self.logql(&moved, answer),
            }) else {
                return None;
            };
            // Compare as if evaluated at the original times.
            if let Outcome::Frames(frames) = &mut got {
                for (f, t) in frames.iter_mut().zip(times) {
                    f.at = *t;
                }
            }
            if diff::same(expected, &got, q.tolerance) {
                let d = o11y_model::duration::format_duration(shift.abs());
                return Some(if shift > 0 {
                    format!(
                        "Your query gives the expected values {d} later than asked: it looks {d} into the past (an `offset {d}`?)."
                    )
                } else {
                    format!(
                        "Your query gives the expected values {d} earlier than asked: it looks {d} ahead (a negative offset, or an `@`?)."
                    )
                });
            }
        }
        None
    }

    fn promql(&self, q: &QueryCheck, text: &str) -> Result<Outcome, Diagnostic> {
        let expr = o11y_promql::parser::parse(text)?;
        match &q.times {
            Times::Instant(times) => {
                if expr.value_type() == o11y_promql::functions::ValueType::RangeVector {
                    return Ok(Outcome::RangeVector);
                }
                let mut frames = Vec::new();
                for &t in times {
                    let value = self.demo.instant_query(&expr, self.start_ms + t)?;
                    frames.push(diff::frame(t, value));
                }
                if expr.value_type() == o11y_promql::functions::ValueType::Scalar {
                    return Ok(Outcome::Scalar(frames));
                }
                Ok(Outcome::Frames(frames))
            }
            Times::Range { start, end, step } => {
                if expr.value_type() == o11y_promql::functions::ValueType::RangeVector {
                    return Ok(Outcome::RangeVector);
                }
                let (series, _) = self.demo.range_query(
                    &expr,
                    self.start_ms + start,
                    self.start_ms + end,
                    *step,
                )?;
                Ok(Outcome::Frames(diff::frames_of_matrix(
                    series,
                    self.start_ms,
                )))
            }
        }
    }

    fn logql(&self, q: &QueryCheck, text: &str) -> Result<Outcome, Diagnostic> {
        let run = |start_ms: i64, end_ms: i64, step_ms: i64| {
            self.demo.logql(
                text,
                &o11y_logs::metric::LogQuery {
                    start_ns: start_ms.saturating_mul(1_000_000),
                    end_ns: end_ms.saturating_mul(1_000_000),
                    step_ms,
                    limit: q.limit,
                },
            )
        };
        let (start, end, step) = match &q.times {
            Times::Range { start, end, step } => (*start, *end, *step),
            Times::Instant(times) => {
                // A log query reads the hour before each time; a metric
                // query is evaluated at each.
                let mut frames = Vec::new();
                for &t in times {
                    let at = self.start_ms + t;
                    match run(at - 3_600_000, at, 0)? {
                        o11y_logs::metric::LogqlResult::Logs(lines) => {
                            return Ok(diff::lines(lines));
                        }
                        o11y_logs::metric::LogqlResult::Matrix(series) => {
                            let mut f = diff::frames_of_matrix(series, self.start_ms);
                            frames.push(f.pop().map_or(
                                Frame {
                                    at: t,
                                    samples: Vec::new(),
                                },
                                |mut f| {
                                    f.at = t;
                                    f
                                },
                            ));
                        }
                    }
                }
                return Ok(Outcome::Frames(frames));
            }
        };
        match run(self.start_ms + start, self.start_ms + end, step)? {
            o11y_logs::metric::LogqlResult::Logs(lines) => Ok(diff::lines(lines)),
            o11y_logs::metric::LogqlResult::Matrix(series) => Ok(Outcome::Frames(
                diff::frames_of_matrix(series, self.start_ms),
            )),
        }
    }

    /// What an answer to an `answer` exercise is, compared as its probe
    /// asks: a time, a verdict on evidence, a kind, or a value.
    fn answer_outcome(
        &self,
        probe: &Probe,
        text: &str,
        reference: bool,
    ) -> Result<Outcome, Diagnostic> {
        let text = if reference {
            self.probe(probe)?
        } else {
            normalize_answer(text)
        };
        Ok(match probe {
            Probe::Failure {
                field: FailureField::Start,
                ..
            } => parse_time(&text, self.start_ms).map_or(Outcome::Value(text), Outcome::Time),
            Probe::Failure {
                field: FailureField::Kind,
                ..
            } => Outcome::Value(text.to_lowercase().replace([' ', '-'], "_")),
            Probe::MetricType { .. } => Outcome::Value(text.to_lowercase()),
            Probe::TraceThrough { service, index, .. } => {
                let service = self.through_service(service.as_deref(), *index)?;
                Outcome::Verdict(self.trace_through(&text, &service).err())
            }
            _ => Outcome::Value(text),
        })
    }

    /// The service a `trace_through` probe names, or its failure's.
    fn through_service(&self, service: Option<&str>, index: usize) -> Result<String, Diagnostic> {
        match service {
            Some(s) => Ok(s.to_string()),
            None => self
                .failure(index)?
                .failure
                .service()
                .map(str::to_string)
                .ok_or_else(|| Diagnostic::new("the failure is not aimed at a service")),
        }
    }

    fn failure(&self, index: usize) -> Result<&o11y_sim::failure::Injection, Diagnostic> {
        self.demo
            .shop()
            .injections()
            .get(index)
            .ok_or_else(|| Diagnostic::new(format!("the scenario has no failure {}", index + 1)))
    }

    /// Whether `text` is the id of a trace of the scenario whose critical
    /// path runs through `service`; if not, why, for the learner.
    fn trace_through(&self, text: &str, service: &str) -> Result<(), String> {
        let id = o11y_traces::TraceId::from_hex(text.trim()).ok_or_else(|| {
            "A trace id is 32 hex digits: open a trace on the Traces page and copy the id from its header.".to_string()
        })?;
        let spans = self
            .demo
            .traces()
            .trace(&id)
            .filter(|s| {
                s.iter()
                    .all(|s| s.end_ns <= self.start_ms.saturating_mul(1_000_000))
            })
            .ok_or_else(|| "There is no such trace in the scenario's history.".to_string())?;
        let path = critical_services(&spans);
        if path.iter().any(|s| s == service) {
            Ok(())
        } else {
            Err(format!(
                "This trace's critical path runs through {}: not through the service at fault. Pick a slow or failed trace of that service.",
                path.join(" → ")
            ))
        }
    }

    /// The expected value of an `answer` exercise, from the scenario.
    pub fn probe(&self, probe: &Probe) -> Result<String, Diagnostic> {
        let first_sample = |frames: Vec<Frame>, take: &Take| -> Result<String, Diagnostic> {
            let samples = frames
                .into_iter()
                .next()
                .map(|f| f.samples)
                .unwrap_or_default();
            match take {
                Take::Count => Ok(samples.len().to_string()),
                Take::Value => samples
                    .first()
                    .map(|(_, v)| o11y_model::number::format_float(*v))
                    .ok_or_else(|| Diagnostic::new("the reference query returns nothing")),
                Take::Label(name) => samples
                    .first()
                    .and_then(|(l, _)| l.get(name).map(str::to_string))
                    .ok_or_else(|| {
                        Diagnostic::new(format!(
                            "the reference query's first series has no label {name}"
                        ))
                    }),
            }
        };
        match probe {
            Probe::Promql { query, at, take } => {
                let expr = o11y_promql::parser::parse(query)?;
                let value = self.demo.instant_query(&expr, self.start_ms + at)?;
                first_sample(vec![diff::frame(*at, value)], take)
            }
            Probe::Logql {
                query,
                at,
                range,
                take,
            } => {
                let end = self.start_ms + at;
                let result = self.demo.logql(
                    query,
                    &o11y_logs::metric::LogQuery {
                        start_ns: (end - range).saturating_mul(1_000_000),
                        end_ns: end.saturating_mul(1_000_000),
                        step_ms: 0,
                        limit: 5_000,
                    },
                )?;
                match result {
                    o11y_logs::metric::LogqlResult::Logs(lines) => match take {
                        Take::Label(name) => lines
                            .first()
                            .and_then(|l| {
                                l.labels
                                    .iter()
                                    .find(|(k, _)| k == name)
                                    .map(|(_, v)| v.clone())
                            })
                            .ok_or_else(|| {
                                Diagnostic::new(format!(
                                    "the reference query's newest line has no label {name}"
                                ))
                            }),
                        _ => Ok(lines.len().to_string()),
                    },
                    o11y_logs::metric::LogqlResult::Matrix(series) => {
                        let mut frames = diff::frames_of_matrix(series, self.start_ms);
                        first_sample(frames.pop().into_iter().collect(), take)
                    }
                }
            }
            Probe::MetricType { metric, .. } => self
                .demo
                .catalog()
                .into_iter()
                .find(|m| m.name == *metric)
                .map(|m| m.kind.name(o11y_metrics::expfmt::Format::Text).to_string())
                .ok_or_else(|| Diagnostic::new(format!("the scenario has no metric {metric}"))),
            Probe::Failure { index, field, .. } => {
                let injection = self.failure(*index)?;
                Ok(match field {
                    FailureField::Service => injection
                        .failure
                        .service()
                        .unwrap_or("the whole shop")
                        .to_string(),
                    FailureField::Kind => failure_kind(&injection.failure).to_string(),
                    FailureField::Start => o11y_model::time::format_rfc3339_nanos(
                        injection.start_ms.saturating_mul(1_000_000),
                    ),
                })
            }
            Probe::TraceThrough { service, index, .. } => {
                let service = self.through_service(service.as_deref(), *index)?;
                let until_ns = self.start_ms.saturating_mul(1_000_000);
                let traces = self.demo.traces();
                let query = o11y_traces::store::TraceQuery {
                    service: Some(service.clone()),
                    limit: usize::MAX,
                    ..Default::default()
                };
                let mut found = traces.search(&query);
                found.retain(|t| t.start_ns + t.duration_ns <= until_ns);
                o11y_model::sort::sort_by_key(&mut found[..], |t| {
                    std::cmp::Reverse((t.duration_ns, t.trace_id))
                });
                found
                    .into_iter()
                    .find(|t| {
                        self.trace_through(&t.trace_id.to_string(), &service)
                            .is_ok()
                    })
                    .map(|t| t.trace_id.to_string())
                    .ok_or_else(|| {
                        Diagnostic::new(format!("no trace's critical path runs through {service}"))
                    })
            }
            Probe::Trace { query, take, .. } => {
                let traces = self.demo.traces();
                // Traces of the scenario's history only: the clock may have
                // run on since the lesson opened.
                let until_ns = self.start_ms.saturating_mul(1_000_000);
                let slowest = traces
                    .search(query)
                    .into_iter()
                    .filter(|t| t.start_ns + t.duration_ns <= until_ns)
                    .max_by_key(|t| (t.duration_ns, std::cmp::Reverse(t.trace_id)))
                    .ok_or_else(|| Diagnostic::new("the reference trace search finds nothing"))?;
                match take {
                    TraceTake::TraceId => Ok(slowest.trace_id.to_string()),
                    TraceTake::Spans => Ok(slowest.spans.to_string()),
                    TraceTake::CriticalService => {
                        let spans = traces.trace(&slowest.trace_id).unwrap_or_default();
                        let rows = o11y_traces::view::waterfall(&spans);
                        rows.iter()
                            .filter(|r| r.critical)
                            .max_by_key(|r| o11y_traces::view::self_time_ns(&spans, r.span))
                            .map(|r| spans[r.span].service().to_string())
                            .ok_or_else(|| Diagnostic::new("the trace has no critical path"))
                    }
                }
            }
        }
    }
}

/// The services on a trace's critical path, root first, each once.
fn critical_services(spans: &[&o11y_traces::model::Span]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for row in o11y_traces::view::waterfall(spans)
        .iter()
        .filter(|r| r.critical)
    {
        let s = spans[row.span].service();
        if out.last().is_none_or(|l| l != s) && !out.iter().any(|o| o == s) {
            out.push(s.to_string());
        }
    }
    out
}

/// A failure's kind as scenarios name it.
pub fn failure_kind(f: &o11y_sim::failure::Failure) -> &'static str {
    use o11y_sim::failure::Failure;
    match f {
        Failure::LatencySpike { .. } => "latency_spike",
        Failure::ErrorBurst { .. } => "error_burst",
        Failure::Outage { .. } => "outage",
        Failure::CacheMissStorm => "cache_miss_storm",
        Failure::MemoryLeak { .. } => "memory_leak",
        Failure::TrafficFlood { .. } => "traffic_flood",
    }
}

/// A time as a learner writes it: `HH:MM` or `HH:MM:SS` (the virtual
/// clock's, UTC, the day of `start_ms` or the day before, whichever is
/// nearer before the start), RFC 3339, or an offset from the start (`-25m`).
pub fn parse_time(text: &str, start_ms: i64) -> Option<i64> {
    let t = text.trim();
    if let Some(ns) = o11y_model::time::parse_rfc3339(t) {
        return Some(ns.div_euclid(1_000_000));
    }
    if t.starts_with(['-', '+']) {
        return super::fields::parse_offset(t).map(|o| start_ms + o);
    }
    let parts: Vec<&str> = t.split(':').collect();
    if !(2..=3).contains(&parts.len()) {
        return None;
    }
    let num = |s: &str, max: i64| {
        s.parse::<i64>()
            .ok()
            .filter(|n| (0..=max).contains(n) && (1..=2).contains(&s.len()))
    };
    let (h, m) = (num(parts[0], 23)?, num(parts[1], 59)?);
    let s = parts.get(2).map_or(Some(0), |s| num(s, 59))?;
    let day = start_ms.div_euclid(86_400_000) * 86_400_000;
    let at = day + ((h * 60 + m) * 60 + s) * 1000;
    // A time of day after the start (by more than an hour) is yesterday's.
    Some(if at > start_ms + 3_600_000 {
        at - 86_400_000
    } else {
        at
    })
}

/// An answer as typed: trimmed, without surrounding quotes.
fn normalize_answer(text: &str) -> String {
    let t = text.trim();
    t.strip_prefix('"')
        .and_then(|r| r.strip_suffix('"'))
        .or_else(|| t.strip_prefix('`').and_then(|r| r.strip_suffix('`')))
        .unwrap_or(t)
        .trim()
        .to_string()
}

fn tolerance(check: &Check) -> f64 {
    match check {
        Check::Promql(q) | Check::Logql(q) => q.tolerance,
        Check::Answer(a) => a.tolerance,
        _ => 1e-9,
    }
}

/// The ranges (`[5m]`) written in the queries, in seconds: a factor that
/// equals one is `rate` against `increase`.
fn ranges(reference: &str, answer: &str) -> Vec<f64> {
    let mut out = Vec::new();
    for text in [reference, answer] {
        let mut rest = text;
        while let Some(open) = rest.find('[') {
            let inner = &rest[open + 1..];
            let Some(close) = inner.find(']') else { break };
            let body = inner[..close].split(':').next().unwrap_or_default().trim();
            if let Ok(ms) = o11y_model::duration::parse_duration(body)
                && ms > 0
            {
                let s = ms as f64 / 1000.0;
                if !out.contains(&s) {
                    out.push(s);
                }
            }
            rest = &inner[close..];
        }
    }
    out
}
