//! What the Explore page needs from PromQL besides evaluation: syntax
//! highlighting, autocomplete at the cursor, and the explain tree (the
//! query broken into its sub-expressions, each with what it does).
//!
//! ```
//! use o11y_promql::assist::{Completer, complete, explain, highlight, TokenClass};
//! use o11y_promql::parse;
//!
//! let spans = highlight("sum(rate(up[5m]))");
//! assert_eq!(spans[0], (0..3, TokenClass::Keyword));
//!
//! let metrics = Completer { metrics: vec!["http_requests_total".into()], ..Completer::default() };
//! let s = complete("rate(http_re", 12, &metrics);
//! assert_eq!(s.suggestions[0].text, "http_requests_total");
//! assert_eq!(s.replace, 5..12);
//!
//! let tree = explain(&parse("sum by (route) (rate(x[5m]))").unwrap());
//! assert_eq!(tree.len(), 3);
//! assert_eq!(tree[1].text, "rate(x[5m])");
//! ```

use std::ops::Range;

use crate::ast::{Expr, ExprKind};
use crate::functions::{FUNCTIONS, lookup};
use crate::lexer::{TokenKind, tokenize};
use o11y_model::duration::format_duration;

/// How a piece of a query is coloured.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenClass {
    Keyword,
    Function,
    Metric,
    Label,
    String,
    Number,
    Duration,
    Operator,
    Punctuation,
    Comment,
}

impl TokenClass {
    /// The CSS class the page gives it.
    pub fn css(self) -> &'static str {
        match self {
            TokenClass::Keyword => "tok-keyword",
            TokenClass::Function => "tok-function",
            TokenClass::Metric => "tok-metric",
            TokenClass::Label => "tok-label",
            TokenClass::String => "tok-string",
            TokenClass::Number => "tok-number",
            TokenClass::Duration => "tok-duration",
            TokenClass::Operator => "tok-operator",
            TokenClass::Punctuation => "tok-punct",
            TokenClass::Comment => "tok-comment",
        }
    }
}

const AGGREGATIONS: [&str; 14] = [
    "sum",
    "avg",
    "count",
    "min",
    "max",
    "group",
    "stddev",
    "stdvar",
    "topk",
    "bottomk",
    "quantile",
    "count_values",
    "limitk",
    "limit_ratio",
];

/// The keywords a list of label names follows (`by (…)`, `on (…)`, …):
/// the first six of [`KEYWORDS`].
const GROUPING_KEYWORDS: usize = 6;

const KEYWORDS: [&str; 11] = [
    "by",
    "without",
    "on",
    "ignoring",
    "group_left",
    "group_right",
    "bool",
    "offset",
    "and",
    "or",
    "unless",
];

/// Byte ranges of the query with their class, in order. Text outside
/// every range (spaces) is plain. A query the lexer cannot read is
/// highlighted up to where reading failed.
pub fn highlight(source: &str) -> Vec<(Range<usize>, TokenClass)> {
    let mut out = Vec::new();
    // Comments run to the end of their line; the lexer skips them.
    let mut code_end = source.len();
    let mut offset = 0;
    for line in source.split_inclusive('\n') {
        if let Some(hash) = comment_start(line) {
            out.push((
                offset + hash..offset + line.trim_end_matches('\n').len(),
                TokenClass::Comment,
            ));
        }
        offset += line.len();
    }
    let tokens = match tokenize(source) {
        Ok(tokens) => tokens,
        Err(e) => {
            code_end = e.span.start.min(source.len());
            tokenize(&source[..code_end]).unwrap_or_default()
        }
    };
    let mut brace_depth = 0i32;
    for (i, t) in tokens.iter().enumerate() {
        let text = source.get(t.span.clone()).unwrap_or("");
        let next = tokens.get(i + 1).map(|n| n.kind);
        let class = match t.kind {
            TokenKind::LeftBrace => {
                brace_depth += 1;
                TokenClass::Punctuation
            }
            TokenKind::RightBrace => {
                brace_depth -= 1;
                TokenClass::Punctuation
            }
            TokenKind::Identifier | TokenKind::MetricIdentifier if brace_depth > 0 => {
                TokenClass::Label
            }
            TokenKind::Identifier if next == Some(TokenKind::LeftParen) => {
                if AGGREGATIONS.contains(&text) {
                    TokenClass::Keyword
                } else {
                    TokenClass::Function
                }
            }
            TokenKind::Identifier if AGGREGATIONS.contains(&text) || KEYWORDS.contains(&text) => {
                TokenClass::Keyword
            }
            TokenKind::Identifier | TokenKind::MetricIdentifier => TokenClass::Metric,
            TokenKind::String => TokenClass::String,
            TokenKind::Number => TokenClass::Number,
            TokenKind::Duration => TokenClass::Duration,
            TokenKind::LeftParen
            | TokenKind::RightParen
            | TokenKind::LeftBracket
            | TokenKind::RightBracket
            | TokenKind::Comma
            | TokenKind::Colon => TokenClass::Punctuation,
            _ if text.chars().all(|c| c.is_ascii_alphabetic() || c == '_') => TokenClass::Keyword,
            _ => TokenClass::Operator,
        };
        if t.span.end <= code_end && !t.span.is_empty() {
            out.push((t.span.clone(), class));
        }
    }
    o11y_model::sort::sort_by_key(&mut out[..], |(r, _)| r.start);
    out
}

/// Where a `#` comment starts on a line, outside strings.
fn comment_start(line: &str) -> Option<usize> {
    let mut quote: Option<char> = None;
    let mut escaped = false;
    for (i, c) in line.char_indices() {
        match quote {
            Some(q) => {
                if escaped {
                    escaped = false;
                } else if c == '\\' && q != '`' {
                    escaped = true;
                } else if c == q {
                    quote = None;
                }
            }
            None if c == '"' || c == '\'' || c == '`' => quote = Some(c),
            None if c == '#' => return Some(i),
            None => {}
        }
    }
    None
}

/// What autocomplete can offer: the store's metric names, and for each
/// metric its label names and values.
#[derive(Clone, Debug, Default)]
pub struct Completer {
    pub metrics: Vec<String>,
    /// (metric, label name, values) — all label names of the store under `""`.
    pub labels: Vec<(String, String, Vec<String>)>,
}

/// What a suggestion is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SuggestionKind {
    Metric,
    Function,
    Aggregation,
    Keyword,
    LabelName,
    LabelValue,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Suggestion {
    pub text: String,
    pub kind: SuggestionKind,
    /// One line of documentation (functions), or what it is.
    pub doc: String,
}

/// Suggestions for the word at the cursor, and the byte range that
/// accepting one replaces.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Completions {
    pub replace: Range<usize>,
    pub suggestions: Vec<Suggestion>,
}

/// At most this many suggestions are offered.
pub const MAX_SUGGESTIONS: usize = 12;

/// What the cursor is in, for autocomplete: a label value inside a
/// matcher's quotes, a label name inside braces or `by (…)`, or anything
/// else (metric names, functions, keywords).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Position {
    /// `metric{name="typed|`: `typed` starts after the quote at `quote_at`.
    LabelValue {
        metric: String,
        name: String,
        quote_at: usize,
    },
    /// `metric{na|` (metric empty when there is none) or `by (na|`.
    LabelName {
        metric: String,
    },
    Other,
}

/// The position at byte `cursor` (moved back to a character boundary),
/// with the cursor and the start of the word it ends.
pub fn position(source: &str, cursor: usize) -> (Position, usize, usize) {
    let mut cursor = cursor.min(source.len());
    while !source.is_char_boundary(cursor) {
        cursor -= 1;
    }
    let before = &source[..cursor];
    // The state at the cursor: inside braces, inside a string, inside a grouping list.
    let mut depth = 0i32;
    let mut quote: Option<(char, usize)> = None;
    let mut escaped = false;
    let mut brace_start = None;
    for (i, c) in before.char_indices() {
        if let Some((q, _)) = quote {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == q {
                quote = None;
            }
            continue;
        }
        match c {
            '"' | '\'' | '`' => quote = Some((c, i)),
            '{' => {
                depth += 1;
                brace_start = Some(i);
            }
            '}' => depth -= 1,
            _ => {}
        }
    }
    let word_start = before
        .char_indices()
        .rev()
        .take_while(|(_, c)| c.is_ascii_alphanumeric() || *c == '_' || *c == ':')
        .last()
        .map_or(cursor, |(i, _)| i);
    let metric_before_brace = |brace: usize| -> String {
        source[..brace]
            .trim_end()
            .rsplit(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':'))
            .next()
            .unwrap_or("")
            .to_string()
    };
    if let Some((_, quote_at)) = quote {
        let name = before[..quote_at]
            .trim_end()
            .trim_end_matches(['=', '~', '!'])
            .trim_end()
            .rsplit(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .next()
            .unwrap_or("")
            .to_string();
        let metric = brace_start.map(metric_before_brace).unwrap_or_default();
        return (
            Position::LabelValue {
                metric,
                name,
                quote_at,
            },
            cursor,
            word_start,
        );
    }
    let in_grouping = {
        let open = before.rfind('(');
        let close = before.rfind(')');
        open.is_some_and(|o| {
            close.is_none_or(|c| c < o) && {
                let head = before[..o].trim_end();
                KEYWORDS[..GROUPING_KEYWORDS]
                    .iter()
                    .any(|k| head.ends_with(k))
            }
        })
    };
    let position = if depth > 0 {
        Position::LabelName {
            metric: brace_start.map(metric_before_brace).unwrap_or_default(),
        }
    } else if in_grouping {
        Position::LabelName {
            metric: String::new(),
        }
    } else {
        Position::Other
    };
    (position, cursor, word_start)
}

/// Suggestions at byte `cursor` of `source`: label values inside a
/// matcher's quotes, label names inside braces or `by (…)`, otherwise
/// metric names, functions and aggregations.
pub fn complete(source: &str, cursor: usize, completer: &Completer) -> Completions {
    let (position, cursor, word_start) = position(source, cursor);
    let before = &source[..cursor];
    let prefix = &before[word_start..];
    let matches = |text: &str| text.starts_with(prefix) && text != prefix;
    let mut suggestions = Vec::new();
    match position {
        Position::LabelValue {
            metric,
            name,
            quote_at,
        } => {
            let typed = &before[quote_at + 1..];
            let mut values: Vec<&String> = completer
                .labels
                .iter()
                .filter(|(m, n, _)| {
                    *n == name && (*m == metric || metric.is_empty() && m.is_empty())
                })
                .flat_map(|(_, _, v)| v)
                .filter(|v| v.starts_with(typed) && *v != typed)
                .collect();
            o11y_model::sort::sort(&mut values[..]);
            values.dedup();
            return Completions {
                replace: quote_at + 1..cursor,
                suggestions: values
                    .into_iter()
                    .take(MAX_SUGGESTIONS)
                    .map(|v| Suggestion {
                        text: v.clone(),
                        kind: SuggestionKind::LabelValue,
                        doc: format!("value of {name}"),
                    })
                    .collect(),
            };
        }
        Position::LabelName { metric } => {
            let mut names: Vec<&String> = completer
                .labels
                .iter()
                .filter(|(m, _, _)| metric.is_empty() && m.is_empty() || *m == metric)
                .map(|(_, n, _)| n)
                .filter(|n| matches(n))
                .collect();
            o11y_model::sort::sort(&mut names[..]);
            names.dedup();
            suggestions.extend(names.into_iter().take(MAX_SUGGESTIONS).map(|n| Suggestion {
                text: n.clone(),
                kind: SuggestionKind::LabelName,
                doc: "label".to_string(),
            }));
            return Completions {
                replace: word_start..cursor,
                suggestions,
            };
        }
        Position::Other => {}
    }
    if prefix.is_empty() {
        return Completions {
            replace: cursor..cursor,
            suggestions,
        };
    }
    for m in completer.metrics.iter().filter(|m| matches(m)) {
        suggestions.push(Suggestion {
            text: m.clone(),
            kind: SuggestionKind::Metric,
            doc: "metric".to_string(),
        });
    }
    for a in AGGREGATIONS.iter().filter(|a| matches(a)) {
        suggestions.push(Suggestion {
            text: a.to_string(),
            kind: SuggestionKind::Aggregation,
            doc: "aggregation".to_string(),
        });
    }
    for f in FUNCTIONS.iter().filter(|f| matches(f.name)) {
        suggestions.push(Suggestion {
            text: f.name.to_string(),
            kind: SuggestionKind::Function,
            doc: f.doc.to_string(),
        });
    }
    for k in KEYWORDS.iter().filter(|k| matches(k)) {
        suggestions.push(Suggestion {
            text: k.to_string(),
            kind: SuggestionKind::Keyword,
            doc: "keyword".to_string(),
        });
    }
    suggestions.truncate(MAX_SUGGESTIONS);
    Completions {
        replace: word_start..cursor,
        suggestions,
    }
}

/// One node of the explain tree.
#[derive(Clone, Debug, PartialEq)]
pub struct ExplainNode {
    /// Nesting depth, 0 for the whole query.
    pub depth: usize,
    /// The sub-expression, as canonical PromQL (it can be evaluated alone).
    pub text: String,
    /// What this operation does.
    pub description: String,
    /// Whether it yields something that can be graphed (an instant vector or scalar).
    pub graphable: bool,
}

/// The query's sub-expressions, depth first, each with what it does.
/// Parentheses are skipped; literals are not listed.
pub fn explain(expr: &Expr) -> Vec<ExplainNode> {
    let mut out = Vec::new();
    walk(expr, 0, &mut out);
    out
}

fn walk(expr: &Expr, depth: usize, out: &mut Vec<ExplainNode>) {
    use crate::ast::ValueType;
    let graphable = matches!(
        expr.value_type(),
        ValueType::InstantVector | ValueType::Scalar
    );
    let mut push = |description: String| {
        out.push(ExplainNode {
            depth,
            text: expr.to_string(),
            description,
            graphable,
        })
    };
    match &expr.kind {
        ExprKind::Paren(inner) => walk(inner, depth, out),
        ExprKind::Number(_) | ExprKind::String(_) => {}
        ExprKind::VectorSelector(vs) => {
            let mut d =
                "Selects the newest sample (within 5m) of every series matching the selector"
                    .to_string();
            if vs.offset_ms != 0 {
                d.push_str(&format!(", {} in the past", format_duration(vs.offset_ms)));
            }
            if vs.at.is_some() {
                d.push_str(", at the time given by @");
            }
            push(d + ".");
        }
        ExprKind::MatrixSelector { range_ms, .. } => push(format!(
            "Selects every sample of the last {} of each matching series (a range vector, for a function over time).",
            format_duration(*range_ms)
        )),
        ExprKind::Subquery(sq) => {
            push(format!(
                "Evaluates the inner query every {} over the last {}, as a range vector.",
                sq.step_ms
                    .map_or("default interval (1m)".to_string(), format_duration),
                format_duration(sq.range_ms)
            ));
            walk(&sq.expr, depth + 1, out);
        }
        ExprKind::Unary { expr: inner, .. } => {
            push("Negates each value.".to_string());
            walk(inner, depth + 1, out);
        }
        ExprKind::Binary(b) => {
            let matching = match &b.matching {
                Some(m) if m.on => format!(" matching on ({})", m.labels.join(", ")),
                Some(m) if !m.labels.is_empty() => {
                    format!(" ignoring ({})", m.labels.join(", "))
                }
                _ => " matching series with the same labels".to_string(),
            };
            let what = if b.op.is_set() {
                format!("Set operation `{}`{matching}.", b.op.symbol())
            } else if b.op.is_comparison() {
                if b.return_bool {
                    format!(
                        "Compares with `{}`{matching}: 1 where it holds, else 0.",
                        b.op.symbol()
                    )
                } else {
                    format!(
                        "Keeps the left-hand values where `{}` holds{matching}.",
                        b.op.symbol()
                    )
                }
            } else {
                format!(
                    "Applies `{}` to each pair{matching}; the metric name is dropped.",
                    b.op.symbol()
                )
            };
            push(what);
            walk(&b.lhs, depth + 1, out);
            walk(&b.rhs, depth + 1, out);
        }
        ExprKind::Aggregate(a) => {
            let grouping = if a.grouping.is_empty() && !a.without {
                "into one series".to_string()
            } else if a.without {
                format!("keeping all labels except ({})", a.grouping.join(", "))
            } else {
                format!("one series per ({})", a.grouping.join(", "))
            };
            push(format!("Aggregates with {} {grouping}.", a.op.name()));
            if let Some(p) = &a.param {
                walk(p, depth + 1, out);
            }
            walk(&a.expr, depth + 1, out);
        }
        ExprKind::Call { func, args } => {
            let doc = lookup(func.name).map_or("", |f| f.doc);
            push(format!("{}(): {doc}", func.name));
            for a in args {
                walk(a, depth + 1, out);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse;

    fn completer() -> Completer {
        Completer {
            metrics: vec!["http_requests_total".into(), "up".into()],
            labels: vec![
                (
                    "http_requests_total".into(),
                    "route".into(),
                    vec!["/api".into(), "/cart".into()],
                ),
                (
                    "http_requests_total".into(),
                    "code".into(),
                    vec!["200".into(), "500".into()],
                ),
                (String::new(), "route".into(), vec!["/api".into()]),
                (String::new(), "job".into(), vec!["shop".into()]),
            ],
        }
    }

    #[test]
    fn highlights_every_kind() {
        let q = "sum by (route) (rate(http_requests_total{code=~\"5..\"}[5m])) > 0.5 # errors";
        let classes: Vec<(&str, TokenClass)> =
            highlight(q).into_iter().map(|(r, c)| (&q[r], c)).collect();
        assert!(classes.contains(&("sum", TokenClass::Keyword)));
        assert!(classes.contains(&("by", TokenClass::Keyword)));
        assert!(classes.contains(&("rate", TokenClass::Function)));
        assert!(classes.contains(&("http_requests_total", TokenClass::Metric)));
        assert!(classes.contains(&("code", TokenClass::Label)));
        assert!(classes.contains(&("\"5..\"", TokenClass::String)));
        assert!(classes.contains(&("5m", TokenClass::Duration)));
        assert!(classes.contains(&("0.5", TokenClass::Number)));
        assert!(classes.contains(&(">", TokenClass::Operator)));
        assert!(classes.contains(&("# errors", TokenClass::Comment)));
        // Unreadable input still highlights what comes before the problem.
        let partial = highlight("rate(x[5m]) + \"unclosed");
        assert!(
            partial
                .iter()
                .any(|(r, c)| *r == (0..4) && *c == TokenClass::Function)
        );
    }

    #[test]
    fn completes_by_context() {
        let c = completer();
        let names = |s: &Completions| {
            s.suggestions
                .iter()
                .map(|x| x.text.clone())
                .collect::<Vec<_>>()
        };
        let metrics = complete("sum(http", 8, &c);
        assert_eq!(names(&metrics), ["http_requests_total"]);
        let funcs = complete("histogram_q", 11, &c);
        assert_eq!(names(&funcs), ["histogram_quantile", "histogram_quantiles"]);
        assert!(!funcs.suggestions[0].doc.is_empty());
        let labels = complete("http_requests_total{co", 22, &c);
        assert_eq!(names(&labels), ["code"]);
        assert_eq!(labels.replace, 20..22);
        let values = complete("http_requests_total{route=\"/c", 29, &c);
        assert_eq!(names(&values), ["/cart"]);
        assert_eq!(values.replace, 27..29);
        let grouping = complete("sum by (j", 9, &c);
        assert_eq!(names(&grouping), ["job"]);
        assert!(complete("", 0, &c).suggestions.is_empty());
        // Any cursor, even inside a multi-byte character, is safe.
        let _ = complete("é{", 1, &c);
    }

    #[test]
    fn explains_each_sub_expression() {
        let expr = parse(
            "sum by (route) (rate(http_requests_total[5m])) / on(route) group_left count(up)",
        )
        .unwrap();
        let tree = explain(&expr);
        let shown: Vec<(usize, &str)> = tree.iter().map(|n| (n.depth, n.text.as_str())).collect();
        assert_eq!(
            shown,
            [
                (
                    0,
                    "sum by (route) (rate(http_requests_total[5m])) / on (route) group_left () count(up)"
                ),
                (1, "sum by (route) (rate(http_requests_total[5m]))"),
                (2, "rate(http_requests_total[5m])"),
                (3, "http_requests_total[5m]"),
                (1, "count(up)"),
                (2, "up"),
            ]
        );
        assert!(tree[0].description.contains("matching on (route)"));
        assert!(tree[1].description.contains("one series per (route)"));
        assert!(tree[2].description.starts_with("rate(): "));
        assert!(!tree[3].graphable);
    }
}
