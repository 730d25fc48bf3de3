//! Outcomes of answers and the differences between them, written for a
//! learner: missing and extra series, labels that differ only by name,
//! values off by a telling factor, lines, routes and relabeled targets.

use std::collections::BTreeSet;

use o11y_model::labels::Labels;
use o11y_model::number::format_float;

/// A query's samples at one time (relative to the scenario's start).
#[derive(Clone, Debug, PartialEq)]
pub struct Frame {
    pub at: i64,
    pub samples: Vec<(Labels, f64)>,
}

/// What an answer does on the scenario.
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    /// An instant query's samples at each time, or a range query's per step.
    Frames(Vec<Frame>),
    /// A scalar, where a vector was asked (or the reverse).
    Scalar(Vec<Frame>),
    /// A range vector, where an instant vector was asked.
    RangeVector,
    /// A log query's lines: time (ns), stream labels, line.
    Lines(Vec<(i64, Labels, String)>),
    /// Each alert's firing spans (relative ms), the annotations each had
    /// when last firing, and what recording rules wrote.
    Alerts {
        firing: Vec<(Labels, Vec<(i64, i64)>)>,
        /// Alerts that were ever pending.
        pending: Vec<Labels>,
        annotations: Vec<(Labels, Vec<(String, String)>)>,
        records: Vec<Frame>,
    },
    /// Where each alert goes.
    Routes(Vec<Routed>),
    /// Which alerts a silence mutes.
    Silenced(Vec<(Labels, bool)>),
    /// A test file's run on the rules (`None`: it passes; else promtool's
    /// output), and whether it fails on each broken variant.
    Tests {
        on_rules: Option<String>,
        catches: Vec<bool>,
    },
    /// What relabeling makes of each target (`None`: dropped).
    Relabeled(Vec<(Labels, Option<Labels>)>),
    /// A value found with the tools.
    Value(String),
    /// A time (ms since the epoch); answers within a minute pass.
    Time(i64),
    /// A verdict on evidence: `None` when it holds, else why not.
    Verdict(Option<String>),
}

/// Labels written in a feedback message (Markdown: as code).
pub fn show(labels: &Labels) -> String {
    format!("`{labels}`")
}

/// Where one alert goes under an Alertmanager configuration.
#[derive(Clone, Debug, PartialEq)]
pub struct Routed {
    pub alert: Labels,
    /// `(receiver, grouped by)` per route it matches.
    pub routes: Vec<(String, String)>,
    /// An inhibition rule mutes it (the other alerts firing).
    pub muted: bool,
}

/// An instant query's value as a frame.
pub fn frame(at: i64, value: o11y_promql::eval::Value) -> Frame {
    use o11y_promql::eval::Value;
    let samples = match value {
        Value::Scalar(v) => vec![(Labels::default(), v)],
        Value::Vector(v) => v.into_iter().map(|s| (s.labels, s.value)).collect(),
        Value::String(_) | Value::Matrix(_) => Vec::new(),
    };
    Frame { at, samples }
}

/// A range query's series as one frame per step (times relative to
/// `start_ms`).
pub fn frames_of_matrix(series: Vec<o11y_promql::eval::RangeSeries>, start_ms: i64) -> Vec<Frame> {
    let mut by_time: std::collections::BTreeMap<i64, Vec<(Labels, f64)>> = Default::default();
    for s in series {
        for p in s.samples {
            by_time
                .entry(p.ts_ms - start_ms)
                .or_default()
                .push((s.labels.clone(), p.value));
        }
    }
    by_time
        .into_iter()
        .map(|(at, mut samples)| {
            o11y_model::sort::sort_by(&mut samples[..], |a, b| a.0.cmp(&b.0));
            Frame { at, samples }
        })
        .collect()
}

/// A log query's lines as an outcome.
pub fn lines(lines: Vec<o11y_logs::metric::LogLine>) -> Outcome {
    Outcome::Lines(
        lines
            .into_iter()
            .map(|l| (l.ts_ns, l.stream, l.line))
            .collect(),
    )
}

/// Whether two numbers are equal within a relative tolerance (NaN equals NaN).
pub fn close(a: f64, b: f64, tolerance: f64) -> bool {
    a == b
        || (a.is_nan() && b.is_nan())
        || (a.is_finite() && b.is_finite() && (a - b).abs() <= tolerance * a.abs().max(b.abs()))
}

/// Whether two outcomes have the same series (label sets), whatever their
/// values: only then can a time shift explain the difference.
pub fn same_series(a: &Outcome, b: &Outcome) -> bool {
    match (a, b) {
        (Outcome::Frames(x), Outcome::Frames(y)) => label_sets(x) == label_sets(y),
        _ => false,
    }
}

/// Whether two outcomes are the same, order aside.
pub fn same(a: &Outcome, b: &Outcome, tolerance: f64) -> bool {
    match (a, b) {
        (Outcome::Frames(x), Outcome::Frames(y)) | (Outcome::Scalar(x), Outcome::Scalar(y)) => {
            frames_equal(x, y, tolerance, false)
        }
        (Outcome::Value(x), Outcome::Value(y)) => values_equal(x, y, tolerance),
        (Outcome::Time(x), Outcome::Time(y)) => (x - y).abs() <= TIME_SLACK_MS,
        _ => a == b,
    }
}

fn values_equal(expected: &str, got: &str, tolerance: f64) -> bool {
    match (expected.parse::<f64>(), got.parse::<f64>()) {
        (Ok(e), Ok(g)) => close(e, g, tolerance),
        _ => expected == got,
    }
}

fn frames_equal(a: &[Frame], b: &[Frame], tolerance: f64, ordered: bool) -> bool {
    a.len() == b.len()
        && a.iter().zip(b).all(|(x, y)| {
            if x.at != y.at || x.samples.len() != y.samples.len() {
                return false;
            }
            if ordered {
                return x
                    .samples
                    .iter()
                    .zip(&y.samples)
                    .all(|(p, q)| p.0 == q.0 && close(p.1, q.1, tolerance));
            }
            let mut xs: Vec<_> = x.samples.iter().collect();
            let mut ys: Vec<_> = y.samples.iter().collect();
            o11y_model::sort::sort_by(&mut xs[..], |p, q| p.0.cmp(&q.0));
            o11y_model::sort::sort_by(&mut ys[..], |p, q| p.0.cmp(&q.0));
            xs.iter()
                .zip(&ys)
                .all(|(p, q)| p.0 == q.0 && close(p.1, q.1, tolerance))
        })
}

/// What differs between the expected outcome and the answer's, for a
/// learner; empty when they are the same. `ranges` are the ranges the
/// queries name, in seconds (a factor equal to one is telling).
pub fn differences(
    expected: &Outcome,
    got: &Outcome,
    tolerance: f64,
    ordered: bool,
    ranges: &[f64],
) -> Vec<String> {
    match (expected, got) {
        (Outcome::Frames(e), Outcome::Frames(g)) => frame_differences(e, g, tolerance, ordered, ranges),
        (Outcome::Frames(_), Outcome::RangeVector) => vec![
            "Your query returns a range vector (a `[…]` selector gives the raw samples of a window); an instant vector is asked: give the window to a function such as `rate(…)`.".to_string(),
        ],
        (Outcome::Scalar(e), Outcome::Scalar(g)) => frame_differences(e, g, tolerance, ordered, ranges),
        (Outcome::Frames(_), Outcome::Scalar(_)) => vec![
            "Your query returns a scalar (one number, without labels); an instant vector (series with labels) is asked.".to_string(),
        ],
        (Outcome::Scalar(_), Outcome::Frames(_)) => vec![
            "Your query returns series with labels; a scalar (one number) is asked: `scalar(…)` turns a one-series vector into one.".to_string(),
        ],
        (Outcome::Frames(_), Outcome::Lines(_)) => vec![
            "Your query returns log lines; a metric query is asked: count or rate them with `count_over_time(…[5m])` or `rate(…[5m])`.".to_string(),
        ],
        (Outcome::Lines(_), Outcome::Frames(_)) => vec![
            "Your query is a metric query (numbers); log lines are asked: keep the stream selector and filters, without `count_over_time` or `rate`.".to_string(),
        ],
        (Outcome::Lines(e), Outcome::Lines(g)) => line_differences(e, g),
        (Outcome::Routes(e), Outcome::Routes(g)) => route_differences(e, g),
        (Outcome::Silenced(e), Outcome::Silenced(g)) => silence_differences(e, g),
        (Outcome::Relabeled(e), Outcome::Relabeled(g)) => relabel_differences(e, g),
        (Outcome::Value(e), Outcome::Value(g)) => value_differences(e, g, tolerance),
        (Outcome::Time(e), Outcome::Time(g)) => time_differences(*e, *g),
        (Outcome::Time(_), Outcome::Value(_)) => vec![
            "Write a time as HH:MM (the virtual clock's, above the pages), HH:MM:SS, or RFC 3339.".to_string(),
        ],
        (Outcome::Verdict(None), Outcome::Verdict(Some(why))) => vec![why.clone()],
        (e, g) if e == g => Vec::new(),
        _ => vec!["Your answer gives another kind of result than the one asked.".to_string()],
    }
}

fn names(frames: &[Frame]) -> BTreeSet<String> {
    frames
        .iter()
        .flat_map(|f| &f.samples)
        .flat_map(|(l, _)| l.iter().map(|l| l.name.clone()))
        .collect()
}

fn label_sets(frames: &[Frame]) -> BTreeSet<Labels> {
    frames
        .iter()
        .flat_map(|f| &f.samples)
        .map(|(l, _)| l.clone())
        .collect()
}

fn quoted(names: &BTreeSet<String>) -> String {
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Up to three label sets, and how many more.
fn some(sets: &[&Labels]) -> String {
    let mut out: Vec<String> = sets.iter().take(3).map(|l| show(l)).collect();
    if sets.len() > 3 {
        out.push(format!("and {} more", sets.len() - 3));
    }
    out.join(", ")
}

fn when(at: i64) -> String {
    if at == 0 {
        "the scenario's start".to_string()
    } else if at < 0 {
        format!(
            "{} before the start",
            o11y_model::duration::format_duration(-at)
        )
    } else {
        format!(
            "{} after the start",
            o11y_model::duration::format_duration(at)
        )
    }
}

fn frame_differences(
    e: &[Frame],
    g: &[Frame],
    tolerance: f64,
    ordered: bool,
    ranges: &[f64],
) -> Vec<String> {
    if frames_equal(e, g, tolerance, ordered) {
        return Vec::new();
    }
    let (e_sets, g_sets) = (label_sets(e), label_sets(g));
    if g_sets.is_empty() && !e_sets.is_empty() {
        let sets: Vec<&Labels> = e_sets.iter().collect();
        return vec![format!(
            "Your query returns nothing; {} series are expected, such as {}. Check the metric name and the matchers.",
            sets.len(),
            some(&sets[..1])
        )];
    }
    if e_sets.is_empty() && !g_sets.is_empty() {
        return vec![format!(
            "Your query returns {} series; nothing is expected here (is a filter or comparison missing?).",
            g_sets.len()
        )];
    }
    let mut out = Vec::new();
    let (e_names, g_names) = (names(e), names(g));
    if e_names != g_names {
        let extra: BTreeSet<String> = g_names.difference(&e_names).cloned().collect();
        let missing: BTreeSet<String> = e_names.difference(&g_names).cloned().collect();
        if !extra.is_empty() {
            out.push(if e_names.is_empty() {
                format!("Your series keep {}; the expected result is one series without labels (aggregated over everything).", quoted(&extra))
            } else {
                format!("Your series keep {}; the expected ones are grouped by {} only.", quoted(&extra), quoted(&e_names))
            });
        }
        if !missing.is_empty() {
            out.push(format!(
                "Your series have no {}; the expected ones keep {}.",
                quoted(&missing),
                if missing.len() == 1 { "it" } else { "them" }
            ));
        }
        if extra.contains("__name__") {
            out.push("Your series keep their metric name (`__name__`); the expected ones went through a function or operator, which drops it.".to_string());
        }
        return out;
    }
    let missing: Vec<&Labels> = e_sets.difference(&g_sets).collect();
    let extra: Vec<&Labels> = g_sets.difference(&e_sets).collect();
    if !missing.is_empty() {
        out.push(format!(
            "{} expected series are missing: {}.",
            missing.len(),
            some(&missing)
        ));
    }
    if !extra.is_empty() {
        out.push(format!(
            "{} series are not expected: {}.",
            extra.len(),
            some(&extra)
        ));
    }
    if !out.is_empty() {
        return out;
    }
    // The same series: their values, or their order, or their times.
    let mut pairs = Vec::new();
    for ef in e {
        let Some(gf) = g.iter().find(|f| f.at == ef.at) else {
            continue;
        };
        for (labels, ev) in &ef.samples {
            if let Some((_, gv)) = gf.samples.iter().find(|(l, _)| l == labels) {
                pairs.push((ef.at, labels, *ev, *gv));
            }
        }
    }
    let wrong: Vec<_> = pairs
        .iter()
        .filter(|(_, _, ev, gv)| !close(*ev, *gv, tolerance))
        .collect();
    if let Some((at, labels, ev, gv)) = wrong.first() {
        if let Some(factor) = common_factor(&wrong) {
            out.push(factor_message(factor, ranges));
        }
        out.push(format!(
            "At {}, {} is {}; expected {}.",
            when(*at),
            show(labels),
            format_float(*gv),
            format_float(*ev)
        ));
        return out;
    }
    if ordered && frames_equal(e, g, tolerance, false) {
        let order = |f: &Frame| {
            f.samples
                .iter()
                .map(|(l, _)| show(l))
                .collect::<Vec<_>>()
                .join(", ")
        };
        return vec![format!(
            "The right series and values, in another order: expected {}.",
            e.first().map(order).unwrap_or_default()
        )];
    }
    vec!["The right series, but not at the same times: some steps have values the expected result has not (or the reverse).".to_string()]
}

/// The factor between answer and expected values, when every wrong value
/// is off by the same one (within 1 %).
fn common_factor(wrong: &[&(i64, &Labels, f64, f64)]) -> Option<f64> {
    let ratios: Vec<f64> = wrong
        .iter()
        .filter(|(_, _, e, g)| *e != 0.0 && e.is_finite() && g.is_finite())
        .map(|(_, _, e, g)| g / e)
        .collect();
    let first = *ratios.first()?;
    (ratios.len() * 2 >= wrong.len() && ratios.iter().all(|r| close(*r, first, 0.01)))
        .then_some(first)
}

fn factor_message(f: f64, ranges: &[f64]) -> String {
    for &s in ranges {
        if s != 1.0 && close(f, s, 0.01) {
            return format!(
                "Your values are {} times the expected ones: the range in seconds. That is a total over the range (PromQL's `increase`, LogQL's `count_over_time`) where a per-second rate (`rate`) is asked.",
                format_float(s)
            );
        }
        if s != 1.0 && close(f, 1.0 / s, 0.01) {
            return format!(
                "Your values are the expected ones divided by {}, the range in seconds: a per-second rate (`rate`) where the total over the range (PromQL's `increase`, LogQL's `count_over_time`) is asked.",
                format_float(s)
            );
        }
    }
    if close(f, 60.0, 0.01) {
        return "Your values are 60 times the expected ones: per minute where per second is asked."
            .to_string();
    }
    if close(f, 1.0 / 60.0, 0.01) {
        return "Your values are the expected ones divided by 60: per second where per minute is asked.".to_string();
    }
    if close(f, 100.0, 0.01) {
        return "Your values are 100 times the expected ones: a percentage where a ratio (0 to 1) is asked.".to_string();
    }
    if close(f, 0.01, 0.01) {
        return "Your values are the expected ones divided by 100: a ratio (0 to 1) where a percentage is asked.".to_string();
    }
    if close(f, -1.0, 0.01) {
        return "Your values have the wrong sign: the two sides of an operator are swapped?"
            .to_string();
    }
    format!(
        "Your values are {} times the expected ones.",
        format_float((f * 1e4).round() / 1e4)
    )
}

fn line_differences(e: &[(i64, Labels, String)], g: &[(i64, Labels, String)]) -> Vec<String> {
    if e == g {
        return Vec::new();
    }
    let es: BTreeSet<_> = e.iter().collect();
    let gs: BTreeSet<_> = g.iter().collect();
    if es == gs {
        return vec!["The right lines, in another order.".to_string()];
    }
    let mut out = vec![format!(
        "{} lines are expected; your query returns {}.",
        e.len(),
        g.len()
    )];
    let missing: Vec<_> = es.difference(&gs).collect();
    let extra: Vec<_> = gs.difference(&es).collect();
    if !missing.is_empty() && extra.is_empty() {
        out.push(
            "Your query keeps too little: every line it returns is expected, but some are missing."
                .to_string(),
        );
    } else if missing.is_empty() && !extra.is_empty() {
        out.push(
            "Your query keeps too much: it returns every expected line, and others.".to_string(),
        );
    }
    for (_, labels, line) in missing.iter().take(2) {
        out.push(format!("Missing: {} {}", show(labels), line));
    }
    for (_, labels, line) in extra.iter().take(2) {
        out.push(format!("Not expected: {} {}", show(labels), line));
    }
    out
}

fn silence_differences(e: &[(Labels, bool)], g: &[(Labels, bool)]) -> Vec<String> {
    e.iter()
        .zip(g)
        .filter(|(w, x)| w.1 != x.1)
        .map(|((alert, want), _)| {
            if *want {
                format!(
                    "Your silence does not mute {}, which it should.",
                    show(alert)
                )
            } else {
                format!(
                    "Your silence also mutes {}, which must still notify.",
                    show(alert)
                )
            }
        })
        .collect()
}

fn route_differences(e: &[Routed], g: &[Routed]) -> Vec<String> {
    let mut out = Vec::new();
    for (w, x) in e.iter().zip(g) {
        let (alert, want, want_muted) = (&w.alert, &w.routes, &w.muted);
        let (got, muted) = (&x.routes, &x.muted);
        if want_muted != muted {
            out.push(if *muted {
                format!("An inhibition rule mutes {}, which must still notify.", show(alert))
            } else {
                format!(
                    "{} is not muted, though an inhibition rule should mute it while the other alerts fire.",
                    show(alert)
                )
            });
            continue;
        }
        let names = |r: &[(String, String)]| {
            r.iter()
                .map(|(n, _)| format!("`{n}`"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        if names(want) != names(got) {
            out.push(format!(
                "Alert {} reaches {}; expected {}.",
                show(alert),
                names(got),
                names(want)
            ));
        } else if want != got {
            let groups = |r: &[(String, String)]| {
                r.iter()
                    .map(|(_, g)| g.clone())
                    .collect::<Vec<_>>()
                    .join("; ")
            };
            out.push(format!(
                "Alert {} reaches the right receiver, grouped by {}; expected grouped by {}.",
                show(alert),
                groups(got),
                groups(want)
            ));
        }
    }
    out
}

fn relabel_differences(
    e: &[(Labels, Option<Labels>)],
    g: &[(Labels, Option<Labels>)],
) -> Vec<String> {
    let mut out = Vec::new();
    for ((target, want), (_, got)) in e.iter().zip(g) {
        match (want, got) {
            (w, g) if w == g => {}
            (Some(w), None) => out.push(format!(
                "Target {} is dropped; expected kept as {}.",
                show(target),
                show(w)
            )),
            (None, Some(g)) => out.push(format!(
                "Target {} is kept as {}; expected dropped.",
                show(target),
                show(g)
            )),
            (Some(w), Some(g)) => {
                let wn: BTreeSet<String> = w.iter().map(|l| l.name.clone()).collect();
                let gn: BTreeSet<String> = g.iter().map(|l| l.name.clone()).collect();
                let extra: BTreeSet<String> = gn.difference(&wn).cloned().collect();
                let missing: BTreeSet<String> = wn.difference(&gn).cloned().collect();
                let mut m = format!(
                    "Target {} becomes {}; expected {}.",
                    show(target),
                    show(g),
                    show(w)
                );
                if !extra.is_empty() {
                    m.push_str(&format!(" It keeps {} too.", quoted(&extra)));
                }
                if !missing.is_empty() {
                    m.push_str(&format!(" It lacks {}.", quoted(&missing)));
                }
                out.push(m);
            }
            (None, None) => {}
        }
    }
    out
}

fn value_differences(expected: &str, got: &str, tolerance: f64) -> Vec<String> {
    if values_equal(expected, got, tolerance) {
        return Vec::new();
    }
    if got.is_empty() {
        return vec!["Type your answer in the answer field.".to_string()];
    }
    match (expected.parse::<f64>(), got.parse::<f64>()) {
        (Ok(_), Err(_)) => vec!["The answer is a number.".to_string()],
        // A count off by a few is a miscount, not a matter of precision.
        (Ok(e), Ok(g)) if close(e, g, 0.1) && !(e.fract() == 0.0 && g.fract() == 0.0) => {
            vec![format!(
                "{got} is close, but not within the tolerance: read the value more precisely."
            )]
        }
        _ if expected.eq_ignore_ascii_case(got) => {
            vec!["Almost: check the case (names are case-sensitive).".to_string()]
        }
        _ => vec![format!("{got} is not the answer.")],
    }
}

/// How far a time answer may be from the expected one.
pub const TIME_SLACK_MS: i64 = 60_000;

fn time_differences(expected: i64, got: i64) -> Vec<String> {
    let off = got - expected;
    if off.abs() <= TIME_SLACK_MS {
        return Vec::new();
    }
    let d = o11y_model::duration::format_duration(off.abs() / 1000 * 1000);
    vec![if off > 0 {
        format!(
            "That is {d} too late: look for the first minute where the signal leaves its usual level."
        )
    } else {
        format!("That is {d} too early: the signals were still normal then.")
    }]
}
