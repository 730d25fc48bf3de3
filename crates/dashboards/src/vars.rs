//! Grafana's template variables as its Prometheus data source runs them:
//! the variable types (`query`, `custom`, `interval`, `constant`,
//! `textbox`), the Prometheus variable queries (`label_values`,
//! `label_names`, `metrics`, `query_result`) with the variable's `regex`
//! and `sort`, the default selection, and interpolation of `$var`,
//! `${var}`, `${var:format}` and `[[var]]` with Prometheus's escaping —
//! plus the built-in time variables (`$__interval`, `$__rate_interval`,
//! `$__range`, …) computed from the time range and the panel's width as
//! Grafana computes them.
//!
//! ```
//! use o11y_dashboards::vars::{Intervals, interval_text};
//! // A 1 h range over a 600 px panel, 15 s scrapes: Grafana's 15 s step.
//! let i = Intervals::for_panel(3_600_000, 600, None, 15_000);
//! assert_eq!((interval_text(i.interval_ms), i.rate_interval_ms), ("15s".to_string(), 60_000));
//! ```

use regex::Regex;

use super::{Dashboard, Variable};

/// The value Grafana stores for the "All" option.
pub const ALL: &str = "$__all";

/// The variable types the page handles (a `datasource` variable is
/// accepted too: the data-source field stands in for it).
pub const VARIABLE_TYPES: [&str; 5] = ["query", "custom", "interval", "constant", "textbox"];

/// Grafana's minimum step when nothing else is set: the scrape interval.
pub const SCRAPE_INTERVAL_MS: i64 = 15_000;

/// Grafana's "safe resolution": a step never makes more points than this.
const SAFE_RESOLUTION: i64 = 11_000;

/// What a Prometheus query variable asks for.
#[derive(Clone, Debug, PartialEq)]
pub enum VarQuery {
    /// `label_values(label)` or `label_values(selector, label)`.
    LabelValues {
        selector: Option<String>,
        label: String,
    },
    /// `label_names()` or `label_names(selector)`.
    LabelNames { selector: Option<String> },
    /// `metrics(regex)`: the metric names the regex finds in.
    Metrics { regex: String },
    /// `query_result(expr)`: each sample of an instant query as
    /// `name{label="value",…} value timestamp_ms`.
    QueryResult { expr: String },
}

/// Reads a query variable's query as Grafana's Prometheus data source does.
pub fn parse_query(q: &str) -> Option<VarQuery> {
    let q = q.trim();
    let inner = |name: &str| {
        q.strip_prefix(name)
            .and_then(|r| r.trim_start().strip_prefix('('))
            .and_then(|r| r.strip_suffix(')'))
            .map(str::trim)
    };
    if let Some(args) = inner("label_values") {
        // The label is the last argument; the selector may hold commas.
        let (selector, label) = match args.rsplit_once(',') {
            Some((s, l)) => (Some(s.trim().to_string()), l.trim()),
            None => (None, args),
        };
        let ok = label.chars().enumerate().all(|(i, c)| {
            c == '_' || c == '$' || c.is_ascii_alphabetic() || (i > 0 && c.is_ascii_digit())
        });
        return (ok && !label.is_empty()).then(|| VarQuery::LabelValues {
            selector,
            label: label.to_string(),
        });
    }
    if let Some(args) = inner("label_names") {
        return Some(VarQuery::LabelNames {
            selector: (!args.is_empty()).then(|| args.to_string()),
        });
    }
    if let Some(args) = inner("metrics") {
        return (!args.is_empty()).then(|| VarQuery::Metrics {
            regex: args.to_string(),
        });
    }
    if let Some(args) = inner("query_result") {
        return (!args.is_empty()).then(|| VarQuery::QueryResult {
            expr: args.to_string(),
        });
    }
    None
}

/// Why a variable has no options: what Grafana shows on the variable's
/// picker instead of an empty list.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VarError {
    /// Occurs when a query variable's query is none of the Prometheus
    /// data source's forms (`label_values`, `label_names`, `metrics`,
    /// `query_result`).
    #[error(
        "{0:?} is not a Prometheus variable query (label_values, label_names, metrics, query_result)"
    )]
    Syntax(String),
    /// Occurs when the query's selector, expression or metric-name regex
    /// does not parse, or the data source answers with an error.
    #[error("{0}")]
    Query(String),
    /// Occurs when the variable's `regex` does not compile.
    #[error("{0}")]
    Regex(String),
}

impl VarError {
    /// A PromQL error in `text` (the query's selector or expression),
    /// with its line and column in `text`.
    pub fn promql(text: &str, e: &o11y_promql::ParseError) -> VarError {
        let before = &text[..e.span.start.min(text.len())];
        let line = before.matches('\n').count() + 1;
        let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        VarError::Query(format!("{text}: {line}:{col}: {}", e.message))
    }
}

/// A regex error on one line (the regex crate draws the pattern and a
/// caret over several).
pub fn regex_message(e: &regex::Error) -> String {
    let text = e.to_string();
    text.lines().last().map_or(text.clone(), |l| {
        l.trim_start_matches("error: ").to_string()
    })
}

/// One option of a variable: what the picker shows and what it stands for.
#[derive(Clone, Debug, PartialEq)]
pub struct VarOption {
    pub text: String,
    pub value: String,
}

impl VarOption {
    fn same(s: &str) -> VarOption {
        VarOption {
            text: s.to_string(),
            value: s.to_string(),
        }
    }
}

/// A variable's `regex` (`/pattern/flags` or a bare pattern) as Rust's
/// regex; `Err` says why it cannot be used.
pub fn variable_regex(text: &str) -> Result<Option<Regex>, String> {
    let t = text.trim();
    if t.is_empty() {
        return Ok(None);
    }
    let (pattern, flags) = match t.strip_prefix('/').and_then(|r| r.rsplit_once('/')) {
        Some((p, f)) => (p, f),
        None => (t, ""),
    };
    let mut prefix = String::new();
    for f in flags.chars() {
        match f {
            'i' | 'm' | 's' => {
                prefix.push_str(&format!("(?{f})"));
            }
            'g' | 'u' | 'y' => {}
            other => return Err(format!("regex {t}: flag {other:?} is not known")),
        }
    }
    Regex::new(&format!("{prefix}{pattern}"))
        .map(Some)
        .map_err(|e| format!("regex {t}: {}", regex_message(&e)))
}

impl Variable {
    /// The options of a variable whose values are written in it
    /// (`custom`, `interval`, `constant`, `textbox`); `None` for a
    /// `query` variable, whose options come from its data source.
    pub fn fixed_options(&self) -> Option<Vec<VarOption>> {
        match self.kind.as_str() {
            "custom" => Some(custom_options(&self.query)),
            "interval" => {
                let mut o: Vec<VarOption> = self
                    .query
                    .split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(VarOption::same)
                    .collect();
                if self.auto {
                    o.insert(0, VarOption::same("auto"));
                }
                Some(o)
            }
            "constant" | "textbox" => Some(vec![VarOption::same(self.query.trim())]),
            _ => None,
        }
    }

    /// A query variable's options from the values its query gave: the
    /// variable's regex applied (its first group, or the groups named
    /// `text` and `value`), repeats dropped, sorted as `sort` says; an
    /// error when the regex does not compile.
    pub fn options_from(&self, values: Vec<String>) -> Result<Vec<VarOption>, VarError> {
        let re = variable_regex(&self.regex).map_err(VarError::Regex)?;
        let mut out: Vec<VarOption> = Vec::new();
        for v in values {
            let option = match &re {
                None => VarOption::same(&v),
                Some(re) => {
                    let Some(c) = re.captures(&v) else { continue };
                    let named_value = c.name("value").map(|m| m.as_str().to_string());
                    let named_text = c.name("text").map(|m| m.as_str().to_string());
                    if named_value.is_some() || named_text.is_some() {
                        VarOption {
                            text: named_text
                                .clone()
                                .or(named_value.clone())
                                .unwrap_or_default(),
                            value: named_value.or(named_text).unwrap_or_default(),
                        }
                    } else {
                        match c.get(1) {
                            Some(m) if !m.as_str().is_empty() => VarOption::same(m.as_str()),
                            _ => VarOption::same(&v),
                        }
                    }
                }
            };
            if !out.iter().any(|o| o.value == option.value) {
                out.push(option);
            }
        }
        sort_options(&mut out, self.sort);
        Ok(out)
    }

    /// The values in use: the user's choice, else the saved `current`
    /// where it is still an option, else the first option (All first
    /// when the variable has it), as Grafana picks.
    pub fn picked(&self, chosen: Option<&[String]>, options: &[VarOption]) -> Vec<String> {
        let valid = |vals: &[String]| {
            !vals.is_empty()
                && (matches!(self.kind.as_str(), "textbox" | "constant")
                    || vals.iter().all(|v| {
                        (v == ALL && self.include_all) || options.iter().any(|o| &o.value == v)
                    }))
        };
        if let Some(c) = chosen.filter(|c| valid(c)) {
            return c.to_vec();
        }
        if valid(&self.current) {
            return self.current.clone();
        }
        if self.include_all {
            return vec![ALL.to_string()];
        }
        options
            .first()
            .map(|o| vec![o.value.clone()])
            .unwrap_or_default()
    }
}

impl Variable {
    /// A multi-value variable's values after a click on `value` in its
    /// list, as Grafana's picker does: All alone replaces the rest; a
    /// value is added or taken away (and replaces All); nothing left
    /// falls back to All, or keeps the value when there is no All.
    pub fn toggled(&self, picked: &[String], value: &str) -> Vec<String> {
        if value == ALL {
            return vec![ALL.to_string()];
        }
        let mut out: Vec<String> = picked.iter().filter(|v| *v != ALL).cloned().collect();
        match out.iter().position(|v| v == value) {
            Some(i) => {
                out.remove(i);
            }
            None => out.push(value.to_string()),
        }
        match (out.is_empty(), self.include_all) {
            (false, _) => out,
            (true, true) => vec![ALL.to_string()],
            (true, false) => vec![value.to_string()],
        }
    }
}

/// A custom variable's `a, b, key : value` list; `\,` is a comma in a value.
fn custom_options(query: &str) -> Vec<VarOption> {
    let mut parts: Vec<String> = Vec::new();
    let mut part = String::new();
    let mut chars = query.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek() == Some(&',') => {
                chars.next();
                part.push(',');
            }
            ',' => parts.push(std::mem::take(&mut part)),
            c => part.push(c),
        }
    }
    parts.push(part);
    parts
        .into_iter()
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once(" : ") {
            Some((k, v)) if !k.trim().is_empty() && !v.trim().is_empty() => VarOption {
                text: k.trim().to_string(),
                value: v.trim().to_string(),
            },
            _ => VarOption::same(p.trim()),
        })
        .collect()
}

/// Grafana's variable sort: 0 none, 1/2 alphabetical up/down, 3/4
/// numerical (the first number in the text), 5/6 alphabetical ignoring case.
fn sort_options(o: &mut [VarOption], sort: u8) {
    let number = |s: &str| {
        let start = s.find(|c: char| c.is_ascii_digit())?;
        let digits: String = s[start..]
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        digits.parse::<f64>().ok()
    };
    match sort {
        1 => o.sort_by(|a, b| a.text.cmp(&b.text)),
        2 => o.sort_by(|a, b| b.text.cmp(&a.text)),
        3 => o.sort_by(|a, b| {
            number(&a.text)
                .unwrap_or(f64::MIN)
                .total_cmp(&number(&b.text).unwrap_or(f64::MIN))
        }),
        4 => o.sort_by(|a, b| {
            number(&b.text)
                .unwrap_or(f64::MIN)
                .total_cmp(&number(&a.text).unwrap_or(f64::MIN))
        }),
        5 => o.sort_by_key(|a| a.text.to_lowercase()),
        6 => o.sort_by_key(|a| std::cmp::Reverse(a.text.to_lowercase())),
        _ => {}
    }
}

/// Grafana's rounding of a computed interval to a readable one.
pub fn round_interval(ms: i64) -> i64 {
    const TABLE: [(i64, i64); 28] = [
        (10, 1),
        (15, 10),
        (35, 20),
        (75, 50),
        (150, 100),
        (350, 200),
        (750, 500),
        (1_500, 1_000),
        (3_500, 2_000),
        (7_500, 5_000),
        (12_500, 10_000),
        (17_500, 15_000),
        (25_000, 20_000),
        (45_000, 30_000),
        (90_000, 60_000),
        (210_000, 120_000),
        (450_000, 300_000),
        (750_000, 600_000),
        (1_050_000, 900_000),
        (1_500_000, 1_200_000),
        (2_700_000, 1_800_000),
        (5_400_000, 3_600_000),
        (9_000_000, 7_200_000),
        (16_200_000, 10_800_000),
        (32_400_000, 21_600_000),
        (86_400_000, 43_200_000),
        (604_800_000, 86_400_000),
        (1_814_400_000, 604_800_000),
    ];
    if ms < 3_628_800_000 {
        TABLE
            .iter()
            .find(|(below, _)| ms < *below)
            .map_or(2_592_000_000, |(_, r)| *r)
    } else {
        31_536_000_000
    }
}

/// An interval as Grafana writes `$__interval`: its largest whole unit
/// (`15s`, `1m`, `2h`, `1d`).
pub fn interval_text(ms: i64) -> String {
    const UNITS: [(i64, &str); 6] = [
        (31_536_000_000, "y"),
        (86_400_000, "d"),
        (3_600_000, "h"),
        (60_000, "m"),
        (1_000, "s"),
        (1, "ms"),
    ];
    UNITS
        .iter()
        .find(|(u, _)| ms >= *u)
        .map_or("1ms".to_string(), |(u, name)| format!("{}{name}", ms / u))
}

/// A duration as Go's `time.Duration.String()` writes it (`1m0s`,
/// `1h2m3s`, `500ms`): how Grafana writes `$__rate_interval`.
pub fn go_duration(ms: i64) -> String {
    o11y_model::duration::format_go_duration(i128::from(ms) * 1_000_000)
}

/// A Grafana interval (`30s`, `5m`, `1h`, `1d`, `1w`, `500ms`, a bare
/// number of seconds) in milliseconds.
pub fn parse_interval(text: &str) -> Option<i64> {
    let t = text.trim();
    if let Ok(secs) = t.parse::<f64>() {
        return (secs.is_finite() && secs > 0.0).then_some((secs * 1_000.0) as i64);
    }
    let split = t.find(|c: char| !c.is_ascii_digit())?;
    let (n, unit) = t.split_at(split);
    let n: i64 = n.parse().ok()?;
    let unit_ms = match unit {
        "ms" => 1,
        "s" => 1_000,
        "m" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        "w" => 604_800_000,
        "M" => 2_592_000_000,
        "y" => 31_536_000_000,
        _ => return None,
    };
    n.checked_mul(unit_ms).filter(|ms| *ms > 0)
}

/// A dashboard's relative `time.from` (`now-1h`, `now-7d`) as the range's
/// length in milliseconds; `None` for what the page does not read
/// (absolute times, rounding such as `now/d`).
pub fn relative_range_ms(from: &str) -> Option<i64> {
    parse_interval(from.trim().strip_prefix("now-")?).filter(|_| !from.contains('/'))
}

/// Grafana's quick ranges, as the page offers them.
pub const QUICK_RANGES: [(&str, &str); 10] = [
    ("now-5m", "Last 5 minutes"),
    ("now-15m", "Last 15 minutes"),
    ("now-30m", "Last 30 minutes"),
    ("now-1h", "Last 1 hour"),
    ("now-3h", "Last 3 hours"),
    ("now-6h", "Last 6 hours"),
    ("now-12h", "Last 12 hours"),
    ("now-24h", "Last 24 hours"),
    ("now-2d", "Last 2 days"),
    ("now-7d", "Last 7 days"),
];

/// Grafana's auto-refresh choices (empty: off).
pub const REFRESH_INTERVALS: [&str; 8] = ["", "5s", "10s", "30s", "1m", "5m", "15m", "1h"];

/// The step of a panel's queries and the intervals its expressions read.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Intervals {
    /// The range's length.
    pub range_ms: i64,
    /// `$__interval`, the query's step.
    pub interval_ms: i64,
    /// `$__rate_interval`.
    pub rate_interval_ms: i64,
}

impl Intervals {
    /// As Grafana's Prometheus data source computes them for a range of
    /// `range_ms` drawn over `max_points` points (the panel's
    /// `maxDataPoints`, or its width in pixels), no finer than the panel's
    /// `interval` (else the scrape interval): the range over the points,
    /// rounded to a readable interval, at least that minimum and at least
    /// the range over 11,000; `$__rate_interval` is the larger of that plus
    /// one scrape and four scrapes.
    pub fn for_panel(
        range_ms: i64,
        max_points: u64,
        min_interval_ms: Option<i64>,
        scrape_ms: i64,
    ) -> Intervals {
        let range_ms = range_ms.max(1);
        let low = min_interval_ms.unwrap_or(scrape_ms).max(1);
        let by_points = round_interval(range_ms / (max_points.max(1) as i64).max(1));
        let interval = by_points.max(low);
        let safe = round_interval(range_ms / SAFE_RESOLUTION);
        let step = interval.max(safe);
        Intervals {
            range_ms,
            interval_ms: step,
            rate_interval_ms: interval
                .saturating_add(scrape_ms)
                .max(scrape_ms.saturating_mul(4)),
        }
    }
}

/// The times of one panel's queries: Grafana's step for its width, and
/// the range aligned to it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct QueryWindow {
    pub start_ms: i64,
    pub end_ms: i64,
    pub step_ms: i64,
    /// The time an instant query (stat, gauge, table) reads.
    pub now_ms: i64,
    pub intervals: Intervals,
}

impl super::Panel {
    /// Where this panel's queries look at `now_ms` for a dashboard range
    /// of `range_ms`, the panel being `width_px` wide: the step is
    /// `$__interval` (from `maxDataPoints`, else the width, and the
    /// panel's min interval), and start and end are rounded down to it as
    /// Grafana's Prometheus data source rounds them.
    pub fn query_window(&self, now_ms: i64, range_ms: i64, width_px: u64) -> QueryWindow {
        let intervals = Intervals::for_panel(
            range_ms,
            self.max_data_points.unwrap_or(width_px),
            parse_interval(&self.min_interval),
            SCRAPE_INTERVAL_MS,
        );
        let step = intervals.interval_ms;
        QueryWindow {
            start_ms: now_ms.saturating_sub(range_ms).div_euclid(step) * step,
            end_ms: now_ms.div_euclid(step) * step,
            step_ms: step,
            now_ms,
            intervals,
        }
    }
}

/// A panel as the page draws it: where it comes from in the dashboard,
/// its title and place (a repeated panel once per value), and the
/// variables its expressions read.
#[derive(Clone, Debug, PartialEq)]
pub struct Placed {
    /// The panel's index in [`Dashboard::panels`].
    pub index: usize,
    pub panel: super::Panel,
    pub scope: Scope,
}

impl Dashboard {
    /// The panels to draw with the variables resolved: titles
    /// interpolated, and a panel with `repeat` copied once per value of
    /// its variable, each copy with the variable bound to its one value,
    /// laid out as Grafana lays them (side by side at
    /// max(24 / copies, 24 / maxPerRow) columns, wrapping; or stacked),
    /// the panels below moved down to make room.
    pub fn layout(&self, resolved: &Resolved) -> Vec<Placed> {
        let mut out = Vec::new();
        // (the y a repeat pushes from, the rows it adds)
        let mut pushes: Vec<(u32, u32)> = Vec::new();
        for (index, p) in self.panels.iter().enumerate() {
            let shift: u32 = pushes
                .iter()
                .filter(|(from, _)| p.grid.y >= *from)
                .map(|(_, rows)| rows)
                .sum();
            let bound = resolved
                .scope
                .bound
                .iter()
                .find(|b| !p.repeat.is_empty() && b.name == p.repeat);
            let values = bound.map(|b| b.values.clone()).unwrap_or_default();
            if values.len() < 2 {
                let mut panel = p.clone();
                panel.grid.y += shift;
                panel.title = resolved.scope.interpolate(&p.title, None);
                out.push(Placed {
                    index,
                    panel,
                    scope: resolved.scope.clone(),
                });
                continue;
            }
            let n = values.len() as u32;
            let (mut x, mut y) = (0u32, p.grid.y + shift);
            let w = if p.repeat_direction == "v" {
                p.grid.w
            } else {
                (24 / n).max(24 / p.max_per_row.unwrap_or(4).max(1)).max(1)
            };
            for (k, value) in values.into_iter().enumerate() {
                let mut scope = resolved.scope.clone();
                if let Some(b) = scope.bound.iter_mut().find(|b| b.name == p.repeat) {
                    b.values = vec![value];
                    b.all_value = None;
                }
                let mut panel = p.clone();
                panel.title = scope.interpolate(&p.title, None);
                if p.repeat_direction == "v" {
                    panel.grid.y = p.grid.y + shift + k as u32 * p.grid.h;
                } else {
                    if k > 0 && x + w > 24 {
                        x = 0;
                        y += p.grid.h;
                    }
                    panel.grid.x = x;
                    panel.grid.w = w;
                    panel.grid.y = y;
                    x += w;
                }
                out.push(Placed {
                    index,
                    panel,
                    scope,
                });
            }
            let bottom = out.last().map_or(0, |l| l.panel.grid.y + l.panel.grid.h);
            let added = bottom.saturating_sub(p.grid.y + shift + p.grid.h);
            if added > 0 {
                pushes.push((p.grid.y + p.grid.h, added));
            }
        }
        out
    }
}

/// A variable's values as an expression reads them.
#[derive(Clone, Debug, PartialEq)]
struct Bound {
    name: String,
    values: Vec<String>,
    /// Multi-value or All: values are regex-escaped, as Prometheus's
    /// `=~` wants them.
    regex: bool,
    /// The "All" option's `allValue`, written as it is.
    all_value: Option<String>,
}

/// The variables of a dashboard with their values in use, for
/// interpolating its expressions.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Scope {
    bound: Vec<Bound>,
    /// The range (start, end) in milliseconds, for `$__from`/`$__to`
    /// and auto intervals.
    range: (i64, i64),
}

/// The answer to a query variable's query: `None` while it is not known
/// (a real Prometheus not asked yet), else its values or why it failed.
pub type VarAnswer = Option<Result<Vec<String>, VarError>>;

/// A dashboard's variables resolved: each one's options and the values
/// in use, and the queries whose answers are still missing.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Resolved {
    /// Per variable, in the dashboard's order.
    pub options: Vec<Vec<VarOption>>,
    pub picked: Vec<Vec<String>>,
    /// Variable queries (interpolated) that `values_of` had no answer to.
    pub missing: Vec<String>,
    /// Per variable, why it has no options (its query or regex failed).
    pub errors: Vec<Option<VarError>>,
    pub scope: Scope,
}

impl Dashboard {
    /// Resolves the variables in order, each query interpolated with the
    /// variables before it (chained variables): `chosen` holds the
    /// user's picks by name, `values_of` answers a query variable's query
    /// (`None`: not known yet), `range` is the dashboard's time range.
    pub fn resolve(
        &self,
        chosen: &[(String, Vec<String>)],
        values_of: &mut dyn FnMut(&str) -> Option<Vec<String>>,
        range: (i64, i64),
    ) -> Resolved {
        self.resolve_answers(chosen, &mut |q| values_of(q).map(Ok), range)
    }

    /// [`Dashboard::resolve`] with answers that may be errors: a query
    /// that fails (or a regex that does not compile) leaves its variable
    /// without options and with its error in [`Resolved::errors`], as
    /// Grafana marks the variable's picker.
    pub fn resolve_answers(
        &self,
        chosen: &[(String, Vec<String>)],
        values_of: &mut dyn FnMut(&str) -> VarAnswer,
        range: (i64, i64),
    ) -> Resolved {
        let n = self.variables.len();
        let mut scope = Scope {
            bound: Vec::new(),
            range,
        };
        let mut options: Vec<Option<Vec<VarOption>>> = vec![None; n];
        let mut picked: Vec<Vec<String>> = vec![Vec::new(); n];
        let mut missing = Vec::new();
        let mut errors: Vec<Option<VarError>> = vec![None; n];
        // Grafana updates variables in the order they depend on each
        // other, not in the order they are listed: each round binds those
        // whose query names no variable still unbound (a cycle is bound
        // with what there is).
        let names_in = |q: &str| -> Vec<String> {
            variable_syntax()
                .captures_iter(q)
                .map(|c| variable_name(&c).to_string())
                .collect()
        };
        let deps: Vec<Vec<String>> = self
            .variables
            .iter()
            .map(|v| {
                names_in(&v.query)
                    .into_iter()
                    .filter(|d| *d != v.name && self.variables.iter().any(|o| o.name == *d))
                    .collect()
            })
            .collect();
        while let Some(i) = {
            let unbound = |name: &String| {
                self.variables
                    .iter()
                    .zip(&options)
                    .any(|(o, opts)| o.name == *name && opts.is_none())
            };
            (0..n)
                .find(|&i| options[i].is_none() && !deps[i].iter().any(unbound))
                .or_else(|| (0..n).find(|&i| options[i].is_none()))
        } {
            let v = &self.variables[i];
            let opts = match v.fixed_options() {
                Some(o) => o,
                None => {
                    let query = scope.interpolate(&v.query, None);
                    match values_of(&query).map(|r| r.and_then(|values| v.options_from(values))) {
                        Some(Ok(options)) => options,
                        Some(Err(e)) => {
                            errors[i] = Some(e);
                            Vec::new()
                        }
                        None => {
                            missing.push(query);
                            Vec::new()
                        }
                    }
                }
            };
            let chosen_here = chosen
                .iter()
                .find(|(name, _)| *name == v.name)
                .map(|(_, x)| x.as_slice());
            let pick = v.picked(chosen_here, &opts);
            let all = pick.len() == 1 && pick[0] == ALL;
            let mut values: Vec<String> = if all {
                opts.iter().map(|o| o.value.clone()).collect()
            } else {
                pick.clone()
            };
            if v.kind == "interval" {
                for value in &mut values {
                    if value == "auto" {
                        *value = interval_text(auto_interval(v, range.1 - range.0));
                    }
                }
            }
            scope.bound.push(Bound {
                name: v.name.clone(),
                values,
                regex: v.multi || v.include_all,
                all_value: v.all_value.clone().filter(|_| all),
            });
            options[i] = Some(opts);
            picked[i] = pick;
        }
        Resolved {
            options: options.into_iter().map(Option::unwrap_or_default).collect(),
            picked,
            missing,
            errors,
            scope,
        }
    }
}

/// An interval variable's `auto` value: the range over `auto_count`,
/// rounded, no less than `auto_min`.
fn auto_interval(v: &Variable, range_ms: i64) -> i64 {
    let count = i64::from(v.auto_count.max(1));
    let min = parse_interval(&v.auto_min).unwrap_or(10_000);
    round_interval(range_ms.max(1) / count).max(min)
}

/// Grafana's variable syntax: `$name`, `[[name]]`, `[[name:format]]`,
/// `${name}`, `${name:format}` (and `${name.field}`, read as `${name}`).
fn variable_syntax() -> &'static Regex {
    static RE: std::sync::OnceLock<Regex> = std::sync::OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r"\$(\w+)|\[\[(\w+?)(?::(\w+))?\]\]|\$\{(\w+)(?:\.[^:^\}]+)?(?::([^\}]+))?\}")
            .expect("a constant regex")
    })
}

/// The name in a match of [`variable_syntax`], whichever form it has.
fn variable_name<'t>(c: &regex::Captures<'t>) -> &'t str {
    c.get(1)
        .or(c.get(2))
        .or(c.get(4))
        .map_or("", |m| m.as_str())
}

impl Scope {
    /// `expr` with the variables replaced as Grafana's Prometheus data
    /// source replaces them (`intervals`: a panel's built-in intervals).
    /// Unknown variables stay as they are.
    pub fn interpolate(&self, expr: &str, intervals: Option<&Intervals>) -> String {
        variable_syntax()
            .replace_all(expr, |c: &regex::Captures| {
                let name = variable_name(c);
                let format = c.get(3).or(c.get(5)).map(|m| m.as_str());
                self.value_of(name, format, intervals)
                    .unwrap_or_else(|| c[0].to_string())
            })
            .into_owned()
    }

    fn value_of(&self, name: &str, format: Option<&str>, iv: Option<&Intervals>) -> Option<String> {
        let (from, to) = self.range;
        let range_s = ((to - from) as f64 / 1_000.0).round() as i64;
        let builtin = match name {
            "__from" => Some(from.to_string()),
            "__to" => Some(to.to_string()),
            "__range" => Some(format!("{range_s}s")),
            "__range_s" => Some(range_s.to_string()),
            "__range_ms" => Some((to - from).to_string()),
            "__interval" => iv.map(|i| interval_text(i.interval_ms)),
            "__interval_ms" => iv.map(|i| i.interval_ms.to_string()),
            "__rate_interval" => iv.map(|i| go_duration(i.rate_interval_ms)),
            "__rate_interval_ms" => iv.map(|i| i.rate_interval_ms.to_string()),
            _ => None,
        };
        if builtin.is_some() {
            return builtin;
        }
        let b = self.bound.iter().find(|b| b.name == name)?;
        if let Some(all) = &b.all_value {
            return Some(all.clone());
        }
        Some(match format {
            Some("raw" | "text" | "csv") => b.values.join(","),
            Some("pipe") => b.values.join("|"),
            Some("regex") => alternation(&b.values, regex_escape),
            Some("singlequote") => b
                .values
                .iter()
                .map(|v| format!("'{}'", v.replace('\'', "\\'")))
                .collect::<Vec<_>>()
                .join(","),
            Some("doublequote") => b
                .values
                .iter()
                .map(|v| format!("\"{}\"", v.replace('"', "\\\"")))
                .collect::<Vec<_>>()
                .join(","),
            _ if !b.regex => b.values.join(",").replace('\'', "\\\\'"),
            _ => alternation(&b.values, prometheus_regex_escape),
        })
    }
}

/// One value escaped, or several as the regex alternation `(a|b)`.
fn alternation(values: &[String], escape: fn(&str) -> String) -> String {
    match values {
        [one] => escape(one),
        many => format!(
            "({})",
            many.iter().map(|v| escape(v)).collect::<Vec<_>>().join("|")
        ),
    }
}

/// A value escaped for a regex inside a PromQL string, as Grafana's
/// Prometheus data source writes it: regex metacharacters get a
/// backslash, itself doubled for the string.
fn prometheus_regex_escape(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    for c in v.chars() {
        match c {
            '\\' => out.push_str("\\\\\\\\"),
            '$' | '^' | '*' | '{' | '}' | '[' | ']' | '+' | '?' | '.' | '(' | ')' | '|' => {
                out.push_str("\\\\");
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

/// Grafana's `:regex` format: a plain regex escape, `/` included.
fn regex_escape(v: &str) -> String {
    o11y_model::labels::quote_meta(v).replace('/', "\\/")
}

/// A `query_result` answer as Grafana lists it: `name{a="x",b="y"} value
/// timestamp_ms` per sample.
pub fn query_result_lines(
    samples: &[(o11y_model::labels::Labels, f64)],
    time_ms: i64,
) -> Vec<String> {
    samples
        .iter()
        .map(|(labels, v)| {
            let name = labels.get("__name__").unwrap_or("");
            let pairs: Vec<String> = labels
                .iter()
                .filter(|l| l.name != "__name__")
                .map(|l| format!("{}=\"{}\"", l.name, l.value))
                .collect();
            let value = if v.is_nan() {
                "NaN".to_string()
            } else if v.is_infinite() {
                if *v > 0.0 { "+Inf" } else { "-Inf" }.to_string()
            } else {
                v.to_string()
            };
            format!("{name}{{{}}} {value} {time_ms}", pairs.join(","))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn var(kind: &str, name: &str, query: &str) -> Variable {
        Variable {
            name: name.into(),
            kind: kind.into(),
            query: query.into(),
            auto_count: 30,
            auto_min: "10s".into(),
            ..Variable::default()
        }
    }

    fn dashboard(variables: Vec<Variable>) -> Dashboard {
        Dashboard {
            uid: String::new(),
            title: String::new(),
            time_from: "now-1h".into(),
            refresh: String::new(),
            variables,
            panels: Vec::new(),
        }
    }

    #[test]
    fn intervals_are_grafanas() {
        let check = |range_ms, points, min: Option<i64>, step: &str, rate: &str| {
            let i = Intervals::for_panel(range_ms, points, min, SCRAPE_INTERVAL_MS);
            assert_eq!(
                (
                    interval_text(i.interval_ms),
                    go_duration(i.rate_interval_ms)
                ),
                (step.to_string(), rate.to_string()),
                "{range_ms} ms over {points} points"
            );
        };
        check(3_600_000, 600, None, "15s", "1m0s");
        check(86_400_000, 600, None, "2m", "2m15s");
        check(604_800_000, 1_000, None, "10m", "10m15s");
        check(3_600_000, 600, Some(60_000), "1m", "1m15s");
        // Never more than 11,000 points, whatever the width.
        check(604_800_000, 1_000_000, None, "1m", "1m0s");
        assert_eq!(round_interval(6_000), 5_000);
        assert_eq!(round_interval(4_000_000_000), 31_536_000_000);
        assert_eq!(interval_text(90_000), "1m");
        assert_eq!(go_duration(7_200_000), "2h0m0s");
        assert_eq!(go_duration(1_500), "1.5s");
        assert_eq!(go_duration(500), "500ms");
        assert_eq!(parse_interval("1w"), Some(604_800_000));
        assert_eq!(parse_interval("30"), Some(30_000));
        assert_eq!(parse_interval("1x"), None);
        assert_eq!(relative_range_ms("now-6h"), Some(21_600_000));
        assert_eq!(relative_range_ms("now-1d/d"), None);
        assert_eq!(relative_range_ms("2024-01-01"), None);
    }

    #[test]
    fn a_panel_window_is_aligned_to_its_step() {
        let mut p = crate::service_overview(&["a".into()]).panels[0].clone();
        let w = p.query_window(3_601_234, 3_600_000, 600);
        assert_eq!((w.start_ms, w.end_ms, w.step_ms), (0, 3_600_000, 15_000));
        p.max_data_points = Some(10);
        p.min_interval = "1m".into();
        let w = p.query_window(3_601_234, 3_600_000, 600);
        assert_eq!((w.start_ms, w.end_ms, w.step_ms), (0, 3_600_000, 300_000));
    }

    #[test]
    fn repeated_panels_are_laid_out_as_grafana_does() {
        let mut d = crate::service_overview(&["x".into()]);
        d.panels.truncate(2);
        let mut v = var("custom", "svc", "a, b, c, d, e");
        v.include_all = true;
        d.variables = vec![v];
        d.panels[0].repeat = "svc".into();
        d.panels[0].title = "Latency of $svc".into();
        d.panels[0].grid = crate::GridPos {
            x: 0,
            y: 1,
            w: 6,
            h: 8,
        };
        d.panels[1].grid = crate::GridPos {
            x: 0,
            y: 9,
            w: 6,
            h: 8,
        };
        let r = d.resolve(&[], &mut |_| None, (0, 1));
        let placed = d.layout(&r);
        let at: Vec<(String, u32, u32, u32)> = placed
            .iter()
            .map(|p| {
                (
                    p.panel.title.clone(),
                    p.panel.grid.x,
                    p.panel.grid.y,
                    p.panel.grid.w,
                )
            })
            .collect();
        // Five copies, four to a row (24 / 4 wide), the fifth wrapping; the
        // panel below moves down one row of copies.
        assert_eq!(
            at,
            [
                ("Latency of a".to_string(), 0, 1, 6),
                ("Latency of b".to_string(), 6, 1, 6),
                ("Latency of c".to_string(), 12, 1, 6),
                ("Latency of d".to_string(), 18, 1, 6),
                ("Latency of e".to_string(), 0, 9, 6),
                ("Traffic".to_string(), 0, 17, 6),
            ]
        );
        assert_eq!(placed[1].index, 0);
        assert_eq!(placed[1].scope.interpolate("$svc", None), "b");
        assert_eq!(placed[5].scope.interpolate("$svc", None), "(a|b|c|d|e)");
        // Stacked, and a single value: no copies.
        d.panels[0].repeat_direction = "v".into();
        let placed = d.layout(&r);
        assert_eq!((placed[4].panel.grid.y, placed[5].panel.grid.y), (33, 41));
        let one = d.resolve(&[("svc".into(), vec!["c".into()])], &mut |_| None, (0, 1));
        assert_eq!(d.layout(&one).len(), 2);
    }

    #[test]
    fn variable_queries() {
        assert_eq!(
            parse_query(r#"label_values(up{job="a", x="b"}, instance)"#),
            Some(VarQuery::LabelValues {
                selector: Some(r#"up{job="a", x="b"}"#.into()),
                label: "instance".into()
            })
        );
        assert_eq!(
            parse_query("label_values(job)"),
            Some(VarQuery::LabelValues {
                selector: None,
                label: "job".into()
            })
        );
        assert_eq!(
            parse_query("label_names()"),
            Some(VarQuery::LabelNames { selector: None })
        );
        assert_eq!(
            parse_query("metrics(http_.*)"),
            Some(VarQuery::Metrics {
                regex: "http_.*".into()
            })
        );
        assert_eq!(
            parse_query("query_result(topk(3, up))"),
            Some(VarQuery::QueryResult {
                expr: "topk(3, up)".into()
            })
        );
        assert_eq!(parse_query("label_values(up, 1abc)"), None);
        assert_eq!(parse_query("up"), None);
        let lines = query_result_lines(
            &[(
                o11y_model::labels::Labels::new([
                    ("__name__", "up"),
                    ("job", "a"),
                    ("instance", "b"),
                ]),
                1.0,
            )],
            1_000,
        );
        assert_eq!(lines, [r#"up{instance="b",job="a"} 1 1000"#]);
    }

    #[test]
    fn options_of_each_kind() {
        let texts = |o: Vec<VarOption>| -> Vec<(String, String)> {
            o.into_iter().map(|o| (o.text, o.value)).collect()
        };
        let custom = var("custom", "env", r"prod : production, dev, a\,b");
        assert_eq!(
            texts(custom.fixed_options().unwrap()),
            [
                ("prod".into(), "production".into()),
                ("dev".into(), "dev".into()),
                ("a,b".into(), "a,b".into())
            ]
        );
        let mut interval = var("interval", "i", "1m, 5m");
        interval.auto = true;
        assert_eq!(interval.fixed_options().unwrap().len(), 3);
        assert!(
            var("query", "q", "label_values(job)")
                .fixed_options()
                .is_none()
        );

        let mut q = var("query", "pod", "label_values(pod)");
        q.regex = "/web-(\\d+)/".into();
        q.sort = 4;
        let got = q
            .options_from(vec![
                "web-2".into(),
                "db-1".into(),
                "web-10".into(),
                "web-2".into(),
            ])
            .unwrap();
        assert_eq!(
            got.iter().map(|o| o.value.as_str()).collect::<Vec<_>>(),
            ["10", "2"]
        );
        q.regex = r#"/(?<text>[a-z]+)-(?<value>\d+)/"#.into();
        q.sort = 1;
        let got = q.options_from(vec!["web-2".into(), "db-1".into()]).unwrap();
        assert_eq!(
            texts(got),
            [("db".into(), "1".into()), ("web".into(), "2".into())]
        );
        assert!(variable_regex("/(/").is_err());
        assert!(variable_regex("/a/x").is_err());
    }

    #[test]
    fn defaults_and_picks_follow_grafana() {
        let options: Vec<VarOption> = ["a", "b"].iter().map(|s| VarOption::same(s)).collect();
        let mut v = var("query", "x", "label_values(x)");
        assert_eq!(v.picked(None, &options), ["a"]);
        v.include_all = true;
        assert_eq!(v.picked(None, &options), [ALL]);
        v.current = vec!["b".into()];
        assert_eq!(v.picked(None, &options), ["b"]);
        v.current = vec!["gone".into()];
        assert_eq!(v.picked(None, &options), [ALL]);
        assert_eq!(v.picked(Some(&["a".to_string()]), &options), ["a"]);
    }

    #[test]
    fn a_multi_value_pick_toggles_as_grafanas_does() {
        let mut v = var("custom", "x", "a, b");
        v.multi = true;
        v.include_all = true;
        let all = vec![ALL.to_string()];
        assert_eq!(v.toggled(&all, "a"), ["a"]);
        assert_eq!(v.toggled(&["a".into()], "b"), ["a", "b"]);
        assert_eq!(v.toggled(&["a".into(), "b".into()], "a"), ["b"]);
        assert_eq!(v.toggled(&["b".into()], "b"), [ALL]);
        assert_eq!(v.toggled(&["a".into()], ALL), [ALL]);
        v.include_all = false;
        assert_eq!(v.toggled(&["b".into()], "b"), ["b"]);
    }

    #[test]
    fn interpolation_as_the_prometheus_data_source_does_it() {
        let mut single = var("custom", "env", "prod's, dev");
        single.current = vec!["prod's".into()];
        let mut multi = var("custom", "service", "a, b.c");
        multi.multi = true;
        multi.include_all = true;
        let mut all_value = var("custom", "job", "x, y");
        all_value.include_all = true;
        all_value.all_value = Some(".*".into());
        let mut auto = var("interval", "step", "1m,5m");
        auto.auto = true;
        let d = dashboard(vec![
            single,
            multi,
            all_value,
            auto,
            var("constant", "service_name", "shop"),
        ]);
        let r = d.resolve(&[], &mut |_| None, (0, 3_600_000));
        let iv = Intervals::for_panel(3_600_000, 600, None, SCRAPE_INTERVAL_MS);
        let s = &r.scope;
        assert_eq!(
            s.interpolate(r#"up{env="$env"}"#, None),
            r#"up{env="prod\\'s"}"#
        );
        assert_eq!(
            s.interpolate(r#"{s=~"$service"}"#, None),
            r#"{s=~"(a|b\\.c)"}"#
        );
        assert_eq!(s.interpolate(r#"{j=~"${job}"}"#, None), r#"{j=~".*"}"#);
        assert_eq!(
            s.interpolate("$service_name [[service_name]]", None),
            "shop shop"
        );
        assert_eq!(
            s.interpolate("${service:pipe} ${service:csv}", None),
            "a|b.c a,b.c"
        );
        assert_eq!(s.interpolate("${service:regex}", None), r"(a|b\.c)");
        assert_eq!(s.interpolate("$step", None), "2m");
        assert_eq!(
            s.interpolate(
                "rate(x[$__rate_interval]) [${__interval}] $__interval_ms $__range $__range_s",
                Some(&iv)
            ),
            "rate(x[1m0s]) [15s] 15000 3600s 3600"
        );
        // Without a panel, the panel's intervals stay as written; unknown
        // names and `$1` are not variables.
        assert_eq!(
            s.interpolate("[$__interval] $1 $nope", None),
            "[$__interval] $1 $nope"
        );
        let picked = d.resolve(
            &[("service".into(), vec!["b.c".into()])],
            &mut |_| None,
            (0, 1),
        );
        assert_eq!(picked.scope.interpolate("$service", None), r"b\\.c");
    }

    #[test]
    fn a_failing_query_or_regex_marks_its_variable_instead_of_emptying_it() {
        let mut bad_regex = var("query", "pod", "label_values(pod)");
        bad_regex.regex = "/web-(/".into();
        let d = dashboard(vec![
            var("query", "job", "metrics(()"),
            bad_regex,
            var("query", "instance", "label_values(instance)"),
        ]);
        let r = d.resolve_answers(
            &[],
            &mut |q| {
                Some(if q.starts_with("metrics") {
                    Err(VarError::Query("metrics((): unclosed group".into()))
                } else {
                    Ok(vec!["web-1".into(), "web-2".into()])
                })
            },
            (0, 1),
        );
        assert_eq!(
            r.errors[0],
            Some(VarError::Query("metrics((): unclosed group".into()))
        );
        assert!(
            matches!(&r.errors[1], Some(VarError::Regex(m)) if m.starts_with("regex /web-(/:")),
            "{:?}",
            r.errors[1]
        );
        assert!(r.options[0].is_empty() && r.options[1].is_empty());
        // The others resolve as usual.
        assert_eq!(r.errors[2], None);
        assert_eq!(r.picked[2], ["web-1"]);
        // Answers that cannot fail: only the regex is still an error.
        let r = d.resolve(&[], &mut |_| Some(vec!["a".into()]), (0, 1));
        assert_eq!((&r.errors[0], &r.errors[2]), (&None, &None));
        assert!(matches!(r.errors[1], Some(VarError::Regex(_))));
    }

    #[test]
    fn chained_variables_read_the_ones_they_name() {
        // Listed before the variable it reads, as Grafana allows.
        let d = dashboard(vec![
            var(
                "query",
                "instance",
                r#"label_values(up{job="$job"}, instance)"#,
            ),
            var("query", "job", "label_values(up, job)"),
        ]);
        let mut asked = Vec::new();
        let r = d.resolve(
            &[("job".into(), vec!["api".into()])],
            &mut |q| {
                asked.push(q.to_string());
                (q == "label_values(up, job)").then(|| vec!["api".to_string(), "db".to_string()])
            },
            (0, 1),
        );
        assert_eq!(
            asked,
            [
                "label_values(up, job)",
                r#"label_values(up{job="api"}, instance)"#
            ]
        );
        assert_eq!(r.missing, [r#"label_values(up{job="api"}, instance)"#]);
        assert_eq!(r.picked[1], ["api"]);
        assert!(r.options[0].is_empty());
        // A cycle still resolves, with the names left as written.
        let d = dashboard(vec![
            var("query", "a", "label_values(up{x=\"$b\"}, a)"),
            var("query", "b", "label_values(up{x=\"$a\"}, b)"),
        ]);
        let r = d.resolve(&[], &mut |q| Some(vec![q.to_string()]), (0, 1));
        assert_eq!(r.picked[0], [r#"label_values(up{x="$b"}, a)"#]);
    }
}
