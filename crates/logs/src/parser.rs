//! LogQL's syntax: log queries (a stream selector and a pipeline) and the
//! range aggregations of metric queries. Every node and error has a byte
//! span. Vector aggregations and binary operations around range
//! aggregations are PromQL's syntax and are parsed by the PromQL parser
//! (see [`super::metric`]).

use std::fmt;
use std::ops::Range;

use regex::Regex;

use super::template::Template;
use o11y_model::labels::{MatchOp, Matcher};

pub type Span = Range<usize>;

/// A LogQL syntax error at a span of the query.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct LogqlError {
    pub span: Span,
    pub message: String,
}

fn error<T>(span: Span, message: impl Into<String>) -> Result<T, LogqlError> {
    Err(LogqlError {
        span,
        message: message.into(),
    })
}

#[derive(Clone, Debug, PartialEq)]
enum Tok {
    Ident(String),
    Str(String),
    /// A number, a duration (`250ms`) or a byte size (`20MB`), as written.
    Num(String),
    Flag(String),
    Sym(&'static str),
    End,
}

#[derive(Clone, Debug)]
struct Token {
    tok: Tok,
    span: Span,
}

const SYMBOLS: [&str; 25] = [
    "|=", "|~", "!=", "!~", "=~", "==", ">=", "<=", "|", "=", ">", "<", ",", "(", ")", "{", "}",
    "[", "]", "+", "-", "*", "/", "%", "^",
];

fn lex(src: &str) -> Result<Vec<Token>, LogqlError> {
    let mut out = Vec::new();
    let b = src.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        if c == b'#' {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
            continue;
        }
        let start = i;
        if c == b'"' || c == b'`' {
            i += 1;
            let mut s = String::new();
            loop {
                let Some(ch) = src[i..].chars().next() else {
                    return error(
                        start..src.len(),
                        "a string is not closed: expected a closing quote",
                    );
                };
                i += ch.len_utf8();
                if ch as u32 == u32::from(c) {
                    break;
                }
                if ch == '\\' && c == b'"' {
                    let Some(n) = src[i..].chars().next() else {
                        return error(
                            start..src.len(),
                            "a string is not closed: expected a closing quote",
                        );
                    };
                    i += n.len_utf8();
                    match n {
                        'n' => s.push('\n'),
                        't' => s.push('\t'),
                        'r' => s.push('\r'),
                        '\\' | '"' => s.push(n),
                        other => {
                            s.push('\\');
                            s.push(other);
                        }
                    }
                } else {
                    s.push(ch);
                }
            }
            out.push(Token {
                tok: Tok::Str(s),
                span: start..i,
            });
            continue;
        }
        if c == b'-' && b.get(i + 1) == Some(&b'-') {
            i += 2;
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'-' || b[i] == b'_') {
                i += 1;
            }
            out.push(Token {
                tok: Tok::Flag(src[start..i].to_string()),
                span: start..i,
            });
            continue;
        }
        if c.is_ascii_digit()
            || (c == b'-' && b.get(i + 1).is_some_and(u8::is_ascii_digit))
            || (c == b'.' && b.get(i + 1).is_some_and(u8::is_ascii_digit))
        {
            i += 1;
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'.') {
                i += 1;
            }
            out.push(Token {
                tok: Tok::Num(src[start..i].to_string()),
                span: start..i,
            });
            continue;
        }
        if c.is_ascii_alphabetic() || c == b'_' {
            while i < b.len()
                && (b[i].is_ascii_alphanumeric() || b[i] == b'_' || b[i] == b'.' || b[i] == b':')
            {
                i += 1;
            }
            out.push(Token {
                tok: Tok::Ident(src[start..i].to_string()),
                span: start..i,
            });
            continue;
        }
        match SYMBOLS.iter().find(|s| src[i..].starts_with(**s)) {
            Some(s) => {
                i += s.len();
                out.push(Token {
                    tok: Tok::Sym(s),
                    span: start..i,
                });
            }
            None => {
                let ch = src[i..].chars().next().unwrap_or(' ');
                return error(i..i + ch.len_utf8(), format!("unexpected character {ch:?}"));
            }
        }
    }
    out.push(Token {
        tok: Tok::End,
        span: src.len()..src.len(),
    });
    Ok(out)
}

/// A line filter: `|= "a" or "b"`, `!~ "re"`.
#[derive(Clone, Debug)]
pub struct LineFilter {
    pub op: LineFilterOp,
    pub values: Vec<String>,
    /// For `|=` and `!=`: substring searchers, built once.
    pub finders: Vec<memchr::memmem::Finder<'static>>,
    /// For `|~` and `!~`: the compiled patterns (unanchored).
    pub regexes: Vec<Regex>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LineFilterOp {
    Contains,
    NotContains,
    Matches,
    NotMatches,
}

impl LineFilterOp {
    pub fn symbol(self) -> &'static str {
        match self {
            LineFilterOp::Contains => "|=",
            LineFilterOp::NotContains => "!=",
            LineFilterOp::Matches => "|~",
            LineFilterOp::NotMatches => "!~",
        }
    }
}

/// A value a label is compared with.
#[derive(Clone, Debug)]
pub enum Literal {
    Str(String, Option<Regex>),
    Number(f64),
    /// Seconds.
    Duration(f64),
    Bytes(f64),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CmpOp {
    Eq,
    Ne,
    Re,
    NotRe,
    Gt,
    Ge,
    Lt,
    Le,
}

impl CmpOp {
    pub fn symbol(self) -> &'static str {
        match self {
            CmpOp::Eq => "=",
            CmpOp::Ne => "!=",
            CmpOp::Re => "=~",
            CmpOp::NotRe => "!~",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
        }
    }
}

/// A label filter expression.
#[derive(Clone, Debug)]
pub enum LabelFilter {
    Cmp {
        name: String,
        op: CmpOp,
        value: Literal,
        /// The literal as written (for printing).
        text: String,
    },
    And(Box<LabelFilter>, Box<LabelFilter>),
    Or(Box<LabelFilter>, Box<LabelFilter>),
}

/// How an unwrapped label becomes a number.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Conversion {
    Plain,
    Duration,
    Bytes,
}

/// `label_format` assignments: a template or a rename.
#[derive(Clone, Debug)]
pub enum LabelFormatValue {
    Template(Template),
    Rename(String),
}

#[derive(Clone, Debug)]
pub enum StageKind {
    LineFilter(LineFilter),
    Json(Vec<(String, String)>),
    Logfmt {
        strict: bool,
        keep_empty: bool,
        params: Vec<(String, String)>,
    },
    Regexp(Regex),
    Pattern(crate::pattern::Pattern),
    Unpack,
    LabelFilter(LabelFilter),
    LineFormat(Template),
    LabelFormat(Vec<(String, LabelFormatValue)>),
    Drop(Vec<(String, Option<Matcher>)>),
    Keep(Vec<(String, Option<Matcher>)>),
    Decolorize,
    Unwrap {
        label: String,
        conversion: Conversion,
    },
}

/// One pipeline stage and where it is in the query.
#[derive(Clone, Debug)]
pub struct Stage {
    pub kind: StageKind,
    pub span: Span,
    /// The stage as written.
    pub text: String,
}

/// A log query: a stream selector and a pipeline.
#[derive(Clone, Debug)]
pub struct LogExpr {
    pub matchers: Vec<Matcher>,
    pub stages: Vec<Stage>,
    pub span: Span,
    pub selector_text: String,
}

/// A range aggregation: `count_over_time({…} |= "x" [5m])`.
#[derive(Clone, Debug)]
pub struct RangeAgg {
    pub func: String,
    /// `quantile_over_time`'s φ.
    pub param: Option<f64>,
    pub log: LogExpr,
    pub range_ms: i64,
    pub offset_ms: i64,
    /// `by`/`without` after an unwrapped aggregation: (without, labels).
    pub grouping: Option<(bool, Vec<String>)>,
    pub span: Span,
}

pub const RANGE_FUNCTIONS: [&str; 16] = [
    "count_over_time",
    "rate",
    "bytes_over_time",
    "bytes_rate",
    "absent_over_time",
    "sum_over_time",
    "avg_over_time",
    "min_over_time",
    "max_over_time",
    "stddev_over_time",
    "stdvar_over_time",
    "quantile_over_time",
    "first_over_time",
    "last_over_time",
    "rate_counter",
    "quantile_over_time",
];

/// Functions that need `| unwrap`.
pub fn needs_unwrap(func: &str) -> bool {
    !matches!(
        func,
        "count_over_time" | "rate" | "bytes_over_time" | "bytes_rate" | "absent_over_time"
    )
}

struct Parser<'a> {
    src: &'a str,
    toks: Vec<Token>,
    pos: usize,
}

impl Parser<'_> {
    fn peek(&self) -> &Token {
        &self.toks[self.pos.min(self.toks.len() - 1)]
    }

    fn next(&mut self) -> Token {
        let t = self.peek().clone();
        if self.pos < self.toks.len() - 1 {
            self.pos += 1;
        }
        t
    }

    fn is_sym(&self, s: &str) -> bool {
        matches!(&self.peek().tok, Tok::Sym(x) if *x == s)
    }

    fn is_ident(&self, s: &str) -> bool {
        matches!(&self.peek().tok, Tok::Ident(x) if x == s)
    }

    fn describe(t: &Token) -> String {
        match &t.tok {
            Tok::Ident(s) => format!("{s:?}"),
            Tok::Str(_) => "a string".to_string(),
            Tok::Num(n) => n.clone(),
            Tok::Flag(f) => f.clone(),
            Tok::Sym(s) => format!("\"{s}\""),
            Tok::End => "the end of the query".to_string(),
        }
    }

    fn expect_sym(&mut self, s: &'static str, what: &str) -> Result<Span, LogqlError> {
        if self.is_sym(s) {
            return Ok(self.next().span);
        }
        let t = self.peek().clone();
        error(
            t.span.clone(),
            format!("unexpected {} {what}: expected \"{s}\"", Self::describe(&t)),
        )
    }

    fn string(&mut self, what: &str) -> Result<(String, Span), LogqlError> {
        let t = self.next();
        match t.tok {
            Tok::Str(s) => Ok((s, t.span)),
            _ => error(
                t.span.clone(),
                format!(
                    "unexpected {} {what}: expected a string",
                    Self::describe(&t)
                ),
            ),
        }
    }

    fn ident(&mut self, what: &str) -> Result<(String, Span), LogqlError> {
        let t = self.next();
        match t.tok {
            Tok::Ident(s) => Ok((s, t.span)),
            _ => error(
                t.span.clone(),
                format!(
                    "unexpected {} {what}: expected a label name",
                    Self::describe(&t)
                ),
            ),
        }
    }

    fn selector(&mut self) -> Result<(Vec<Matcher>, Span), LogqlError> {
        let open = self.expect_sym("{", "at the start of a log query")?;
        let mut matchers = Vec::new();
        while !self.is_sym("}") {
            let (name, name_span) = self.ident("in the stream selector")?;
            let op_tok = self.next();
            let op = match op_tok.tok {
                Tok::Sym("=") => MatchOp::Equal,
                Tok::Sym("!=") => MatchOp::NotEqual,
                Tok::Sym("=~") => MatchOp::Regex,
                Tok::Sym("!~") => MatchOp::NotRegex,
                _ => {
                    return error(
                        op_tok.span.clone(),
                        format!(
                            "unexpected {} after {name}: expected =, !=, =~ or !~",
                            Self::describe(&op_tok)
                        ),
                    );
                }
            };
            let (value, value_span) = self.string("as a label value")?;
            let m = Matcher::new(op, &name, &value).map_err(|e| LogqlError {
                span: value_span,
                message: format!("invalid regular expression: {e}"),
            })?;
            let _ = name_span;
            matchers.push(m);
            if !self.is_sym(",") {
                break;
            }
            self.next();
        }
        let close = self.expect_sym("}", "in the stream selector")?;
        if !matchers.iter().any(|m| !m.matches_value("")) {
            return error(
                open.start..close.end,
                "a stream selector needs at least one matcher that does not match the empty value, such as job=\"x\"",
            );
        }
        Ok((matchers, open.start..close.end))
    }

    fn log_expr(&mut self) -> Result<LogExpr, LogqlError> {
        let (matchers, sel_span) = self.selector()?;
        let mut stages = Vec::new();
        loop {
            let start = self.peek().span.start;
            let kind = if let Tok::Sym(op @ ("|=" | "!=" | "|~" | "!~")) = self.peek().tok {
                self.next();
                self.line_filter(op)?
            } else if self.is_sym("|") {
                self.next();
                self.stage()?
            } else {
                break;
            };
            let end = self.toks[self.pos.saturating_sub(1)].span.end;
            stages.push(Stage {
                kind,
                span: start..end,
                text: self.src[start..end].to_string(),
            });
        }
        let end = stages.last().map_or(sel_span.end, |s| s.span.end);
        Ok(LogExpr {
            matchers,
            stages,
            span: sel_span.start..end,
            selector_text: self.src[sel_span].to_string(),
        })
    }

    fn line_filter(&mut self, op: &str) -> Result<StageKind, LogqlError> {
        let op = match op {
            "|=" => LineFilterOp::Contains,
            "!=" => LineFilterOp::NotContains,
            "|~" => LineFilterOp::Matches,
            _ => LineFilterOp::NotMatches,
        };
        if self.is_ident("ip") {
            let t = self.peek().clone();
            return error(t.span, "ip() line filters are not supported");
        }
        let mut values = Vec::new();
        let mut regexes = Vec::new();
        loop {
            let (v, span) = self.string("after a line filter")?;
            if matches!(op, LineFilterOp::Matches | LineFilterOp::NotMatches) {
                regexes.push(
                    Regex::new(&o11y_model::labels::ascii_perl_classes(&v)).map_err(|e| {
                        LogqlError {
                            span,
                            message: format!("invalid regular expression: {e}"),
                        }
                    })?,
                );
            }
            values.push(v);
            if self.is_ident("or") {
                self.next();
            } else {
                break;
            }
        }
        let finders = values
            .iter()
            .map(|v| memchr::memmem::Finder::new(v.as_bytes()).into_owned())
            .collect();
        Ok(StageKind::LineFilter(LineFilter {
            op,
            values,
            finders,
            regexes,
        }))
    }

    fn params(&mut self) -> Result<Vec<(String, String)>, LogqlError> {
        let mut out = Vec::new();
        while let Tok::Ident(name) = &self.peek().tok {
            if is_stage_keyword(name)
                && !matches!(
                    self.toks.get(self.pos + 1).map(|t| &t.tok),
                    Some(Tok::Sym("=" | ","))
                )
            {
                break;
            }
            let (name, _) = self.ident("as a parameter")?;
            let expr = if self.is_sym("=") {
                self.next();
                self.string("as a parameter's expression")?.0
            } else {
                name.clone()
            };
            out.push((name, expr));
            if !self.is_sym(",") {
                break;
            }
            self.next();
        }
        Ok(out)
    }

    fn stage(&mut self) -> Result<StageKind, LogqlError> {
        let t = self.peek().clone();
        let name = match &t.tok {
            Tok::Ident(n) => n.clone(),
            _ => return self.label_filter().map(StageKind::LabelFilter),
        };
        // A label filter starts with a label name and a comparison.
        if matches!(
            self.toks.get(self.pos + 1).map(|t| &t.tok),
            Some(Tok::Sym(
                "=" | "!=" | "=~" | "!~" | ">" | ">=" | "<" | "<=" | "=="
            ))
        ) || name == "("
        {
            return self.label_filter().map(StageKind::LabelFilter);
        }
        self.next();
        Ok(match name.as_str() {
            "json" => StageKind::Json(self.params()?),
            "logfmt" => {
                let (mut strict, mut keep_empty) = (false, false);
                while let Tok::Flag(f) = &self.peek().tok {
                    match f.as_str() {
                        "--strict" => strict = true,
                        "--keep-empty" => keep_empty = true,
                        other => {
                            let span = self.peek().span.clone();
                            return error(
                                span,
                                format!(
                                    "unknown logfmt flag {other}: expected --strict or --keep-empty"
                                ),
                            );
                        }
                    }
                    self.next();
                }
                StageKind::Logfmt {
                    strict,
                    keep_empty,
                    params: self.params()?,
                }
            }
            "regexp" => {
                let (re, span) = self.string("after regexp")?;
                let regex =
                    Regex::new(&o11y_model::labels::ascii_perl_classes(&re)).map_err(|e| {
                        LogqlError {
                            span: span.clone(),
                            message: format!("invalid regular expression: {e}"),
                        }
                    })?;
                if regex.capture_names().flatten().next().is_none() {
                    return error(
                        span,
                        "regexp needs at least one named group, such as (?P<name>…)",
                    );
                }
                StageKind::Regexp(regex)
            }
            "pattern" => {
                let (p, span) = self.string("after pattern")?;
                StageKind::Pattern(
                    crate::pattern::Pattern::parse(&p)
                        .map_err(|message| LogqlError { span, message })?,
                )
            }
            "unpack" => StageKind::Unpack,
            "decolorize" => StageKind::Decolorize,
            "line_format" => {
                let (tpl, span) = self.string("after line_format")?;
                StageKind::LineFormat(Template::parse(&tpl).map_err(|e| LogqlError {
                    span,
                    message: e.to_string(),
                })?)
            }
            "label_format" => {
                let mut out = Vec::new();
                loop {
                    let (dst, _) = self.ident("in label_format")?;
                    self.expect_sym("=", "in label_format")?;
                    let t = self.next();
                    let value = match t.tok {
                        Tok::Str(s) => {
                            LabelFormatValue::Template(Template::parse(&s).map_err(|e| {
                                LogqlError {
                                    span: t.span.clone(),
                                    message: e.to_string(),
                                }
                            })?)
                        }
                        Tok::Ident(s) => LabelFormatValue::Rename(s),
                        _ => {
                            return error(
                                t.span.clone(),
                                format!(
                                    "unexpected {} in label_format: expected a template string or a label name",
                                    Self::describe(&t)
                                ),
                            );
                        }
                    };
                    out.push((dst, value));
                    if !self.is_sym(",") {
                        break;
                    }
                    self.next();
                }
                StageKind::LabelFormat(out)
            }
            "drop" | "keep" => {
                let mut out = Vec::new();
                loop {
                    let (label, _) = self.ident(&format!("in {name}"))?;
                    let matcher = if let Tok::Sym(op @ ("=" | "!=" | "=~" | "!~")) = self.peek().tok
                    {
                        self.next();
                        let (v, span) = self.string(&format!("in {name}"))?;
                        let op = match op {
                            "=" => MatchOp::Equal,
                            "!=" => MatchOp::NotEqual,
                            "=~" => MatchOp::Regex,
                            _ => MatchOp::NotRegex,
                        };
                        Some(Matcher::new(op, &label, &v).map_err(|e| LogqlError {
                            span,
                            message: format!("invalid regular expression: {e}"),
                        })?)
                    } else {
                        None
                    };
                    out.push((label, matcher));
                    if !self.is_sym(",") {
                        break;
                    }
                    self.next();
                }
                if name == "drop" {
                    StageKind::Drop(out)
                } else {
                    StageKind::Keep(out)
                }
            }
            "unwrap" => {
                let (first, _) = self.ident("after unwrap")?;
                let (label, conversion) = match first.as_str() {
                    "duration" | "duration_seconds" | "bytes" if self.is_sym("(") => {
                        self.next();
                        let (l, _) = self.ident("in the unwrap conversion")?;
                        self.expect_sym(")", "after the unwrapped label")?;
                        (
                            l,
                            if first == "bytes" {
                                Conversion::Bytes
                            } else {
                                Conversion::Duration
                            },
                        )
                    }
                    _ => (first, Conversion::Plain),
                };
                StageKind::Unwrap { label, conversion }
            }
            other => {
                return error(
                    t.span,
                    format!(
                        "unknown pipeline stage {other:?}: expected json, logfmt, regexp, pattern, unpack, line_format, label_format, drop, keep, decolorize, unwrap or a label filter"
                    ),
                );
            }
        })
    }

    fn label_filter(&mut self) -> Result<LabelFilter, LogqlError> {
        let mut left = self.label_filter_and()?;
        while self.is_ident("or") {
            self.next();
            let right = self.label_filter_and()?;
            left = LabelFilter::Or(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn label_filter_and(&mut self) -> Result<LabelFilter, LogqlError> {
        let mut left = self.label_filter_atom()?;
        loop {
            if self.is_ident("and") || self.is_sym(",") {
                self.next();
            } else if matches!(&self.peek().tok, Tok::Ident(n) if !is_stage_keyword(n) && n != "or")
                && matches!(
                    self.toks.get(self.pos + 1).map(|t| &t.tok),
                    Some(Tok::Sym(
                        "=" | "!=" | "=~" | "!~" | ">" | ">=" | "<" | "<=" | "=="
                    ))
                )
            {
                // `| a="x" b="y"`: a space also means and.
            } else {
                return Ok(left);
            }
            let right = self.label_filter_atom()?;
            left = LabelFilter::And(Box::new(left), Box::new(right));
        }
    }

    fn label_filter_atom(&mut self) -> Result<LabelFilter, LogqlError> {
        if self.is_sym("(") {
            self.next();
            let inner = self.label_filter()?;
            self.expect_sym(")", "after a label filter")?;
            return Ok(inner);
        }
        let (name, _) = self.ident("in a label filter")?;
        let op_tok = self.next();
        let op = match op_tok.tok {
            Tok::Sym("=" | "==") => CmpOp::Eq,
            Tok::Sym("!=") => CmpOp::Ne,
            Tok::Sym("=~") => CmpOp::Re,
            Tok::Sym("!~") => CmpOp::NotRe,
            Tok::Sym(">") => CmpOp::Gt,
            Tok::Sym(">=") => CmpOp::Ge,
            Tok::Sym("<") => CmpOp::Lt,
            Tok::Sym("<=") => CmpOp::Le,
            _ => {
                return error(
                    op_tok.span.clone(),
                    format!(
                        "unexpected {} after {name}: expected a comparison (=, !=, =~, !~, >, >=, <, <=)",
                        Self::describe(&op_tok)
                    ),
                );
            }
        };
        let t = self.next();
        let (value, text) = match &t.tok {
            Tok::Str(s) => {
                let regex = match op {
                    CmpOp::Re | CmpOp::NotRe => Some(
                        Regex::new(&format!(
                            "^(?s:{})$",
                            o11y_model::labels::ascii_perl_classes(s)
                        ))
                        .map_err(|e| LogqlError {
                            span: t.span.clone(),
                            message: format!("invalid regular expression: {e}"),
                        })?,
                    ),
                    CmpOp::Eq | CmpOp::Ne => None,
                    _ => {
                        // `> "1.5"` compares as a number in Loki too.
                        let v: f64 = s.parse().map_err(|_| LogqlError {
                            span: t.span.clone(),
                            message: format!(
                                "{s:?} is not a number to compare with {}",
                                op.symbol()
                            ),
                        })?;
                        return Ok(LabelFilter::Cmp {
                            name,
                            op,
                            value: Literal::Number(v),
                            text: self.src[t.span.clone()].to_string(),
                        });
                    }
                };
                (
                    Literal::Str(s.clone(), regex),
                    self.src[t.span.clone()].to_string(),
                )
            }
            Tok::Num(n) => {
                let literal = if let Ok(v) = n.parse::<f64>() {
                    Literal::Number(v)
                } else if let Some(secs) = o11y_model::duration::parse_go_duration(n) {
                    Literal::Duration(secs)
                } else if let Some(bytes) = o11y_model::number::parse_bytes(n) {
                    Literal::Bytes(bytes)
                } else {
                    return error(
                        t.span.clone(),
                        format!("{n:?} is not a number, duration (250ms) or byte size (20MB)"),
                    );
                };
                if matches!(op, CmpOp::Re | CmpOp::NotRe) {
                    return error(t.span.clone(), "=~ and !~ need a string");
                }
                (literal, n.clone())
            }
            _ => {
                return error(
                    t.span.clone(),
                    format!(
                        "unexpected {} in a label filter: expected a string, number, duration or byte size",
                        Self::describe(&t)
                    ),
                );
            }
        };
        Ok(LabelFilter::Cmp {
            name,
            op,
            value,
            text,
        })
    }

    fn duration_in_brackets(&mut self) -> Result<i64, LogqlError> {
        self.expect_sym("[", "before the range")?;
        let t = self.next();
        let text = match &t.tok {
            Tok::Num(n) | Tok::Ident(n) => n.clone(),
            _ => {
                return error(
                    t.span.clone(),
                    format!(
                        "unexpected {}: expected a range such as 5m",
                        Self::describe(&t)
                    ),
                );
            }
        };
        let ms = o11y_model::duration::parse_duration(&text).map_err(|e| LogqlError {
            span: t.span.clone(),
            message: e.to_string(),
        })?;
        if ms <= 0 {
            return error(t.span.clone(), "a range must be positive");
        }
        self.expect_sym("]", "after the range")?;
        Ok(ms)
    }

    fn range_agg(&mut self) -> Result<RangeAgg, LogqlError> {
        let (func, name_span) = self.ident("as a range aggregation")?;
        if !RANGE_FUNCTIONS.contains(&func.as_str()) {
            return error(name_span, format!("unknown range aggregation {func:?}"));
        }
        self.expect_sym("(", &format!("after {func}"))?;
        let param = if func == "quantile_over_time" {
            let t = self.next();
            let v = match &t.tok {
                Tok::Num(n) => n.parse::<f64>().ok(),
                _ => None,
            };
            let Some(v) = v else {
                return error(
                    t.span.clone(),
                    "quantile_over_time needs φ first, such as 0.99",
                );
            };
            self.expect_sym(",", "after φ")?;
            Some(v)
        } else {
            None
        };
        let log = self.log_expr()?;
        let range_ms = self.duration_in_brackets()?;
        let mut offset_ms = 0;
        if self.is_ident("offset") {
            self.next();
            let t = self.next();
            let text = match &t.tok {
                Tok::Num(n) | Tok::Ident(n) => n.clone(),
                _ => return error(t.span.clone(), "expected a duration after offset"),
            };
            offset_ms = o11y_model::duration::parse_duration(text.trim_start_matches('-'))
                .map_err(|e| LogqlError {
                    span: t.span.clone(),
                    message: e.to_string(),
                })?;
            if text.starts_with('-') {
                offset_ms = -offset_ms;
            }
        }
        let close = self.expect_sym(")", &format!("to close {func}"))?;
        let unwrapped = log
            .stages
            .iter()
            .any(|s| matches!(s.kind, StageKind::Unwrap { .. }));
        if needs_unwrap(&func) && !unwrapped {
            return error(
                name_span.start..close.end,
                format!("{func} needs an unwrapped range: add | unwrap <label> before the range"),
            );
        }
        if !needs_unwrap(&func) && unwrapped {
            return error(
                name_span.start..close.end,
                format!("{func} does not take an unwrapped range"),
            );
        }
        let mut end = close.end;
        let grouping = if self.is_ident("by") || self.is_ident("without") {
            let without = self.is_ident("without");
            self.next();
            self.expect_sym("(", "after by")?;
            let mut labels = Vec::new();
            while !self.is_sym(")") {
                labels.push(self.ident("in the grouping")?.0);
                if !self.is_sym(",") {
                    break;
                }
                self.next();
            }
            end = self.expect_sym(")", "after the grouping")?.end;
            Some((without, labels))
        } else {
            None
        };
        Ok(RangeAgg {
            func,
            param,
            log,
            range_ms,
            offset_ms,
            grouping,
            span: name_span.start..end,
        })
    }
}

fn is_stage_keyword(name: &str) -> bool {
    matches!(
        name,
        "json"
            | "logfmt"
            | "regexp"
            | "pattern"
            | "unpack"
            | "line_format"
            | "label_format"
            | "drop"
            | "keep"
            | "decolorize"
            | "unwrap"
    )
}

/// Parses a log query (`{job="x"} |= "error" | json`).
pub fn parse_log_query(src: &str) -> Result<LogExpr, LogqlError> {
    let mut p = Parser {
        src,
        toks: lex(src)?,
        pos: 0,
    };
    let expr = p.log_expr()?;
    match &p.peek().tok {
        Tok::End => Ok(expr),
        _ => {
            let t = p.peek().clone();
            error(
                t.span.clone(),
                format!(
                    "unexpected {} after the log query: expected a pipeline stage (|= \"text\", | json, | label=\"value\", …)",
                    Parser::describe(&t)
                ),
            )
        }
    }
}

/// Parses one range aggregation starting at byte `start` of `src`; returns it
/// and where it ends.
pub fn parse_range_agg_at(src: &str, start: usize) -> Result<RangeAgg, LogqlError> {
    let toks = lex(src)?;
    let pos = toks
        .iter()
        .position(|t| t.span.start >= start)
        .unwrap_or(toks.len() - 1);
    let mut p = Parser { src, toks, pos };
    p.range_agg()
}

/// Byte spans where range aggregations start (`count_over_time(` …).
pub fn range_agg_starts(src: &str) -> Result<Vec<usize>, LogqlError> {
    let toks = lex(src)?;
    Ok(toks
        .windows(2)
        .filter(|w| {
            matches!(&w[0].tok, Tok::Ident(n) if RANGE_FUNCTIONS.contains(&n.as_str()))
                && matches!(w[1].tok, Tok::Sym("("))
        })
        .map(|w| w[0].span.start)
        .collect())
}

impl fmt::Display for LogExpr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.selector_text)?;
        for s in &self.stages {
            write!(f, " {}", s.text)?;
        }
        Ok(())
    }
}

/// Token classes for highlighting a LogQL query (the same classes as
/// PromQL's); a query the lexer cannot read is highlighted up to the problem.
pub fn highlight(src: &str) -> Vec<(Span, o11y_promql::assist::TokenClass)> {
    use o11y_promql::assist::TokenClass as C;
    let toks = match lex(src) {
        Ok(t) => t,
        Err(e) => lex(&src[..e.span.start.min(src.len())]).unwrap_or_default(),
    };
    let mut out = Vec::new();
    let mut depth = 0;
    for (i, t) in toks.iter().enumerate() {
        let next = toks.get(i + 1).map(|n| &n.tok);
        let class = match &t.tok {
            Tok::End => continue,
            Tok::Str(_) => C::String,
            Tok::Num(n) if n.parse::<f64>().is_ok() => C::Number,
            Tok::Num(_) => C::Duration,
            Tok::Flag(_) => C::Keyword,
            Tok::Sym("{") => {
                depth += 1;
                C::Punctuation
            }
            Tok::Sym("}") => {
                depth -= 1;
                C::Punctuation
            }
            Tok::Sym("(" | ")" | "[" | "]" | ",") => C::Punctuation,
            Tok::Sym(_) => C::Operator,
            Tok::Ident(_) if depth > 0 => C::Label,
            Tok::Ident(n) if RANGE_FUNCTIONS.contains(&n.as_str()) => C::Function,
            Tok::Ident(n)
                if is_stage_keyword(n)
                    || matches!(
                        n.as_str(),
                        "and"
                            | "or"
                            | "by"
                            | "without"
                            | "offset"
                            | "sum"
                            | "avg"
                            | "min"
                            | "max"
                            | "count"
                            | "topk"
                            | "bottomk"
                            | "sort"
                            | "sort_desc"
                            | "duration"
                            | "bytes"
                            | "duration_seconds"
                    ) =>
            {
                C::Keyword
            }
            Tok::Ident(_) if matches!(next, Some(Tok::Sym("("))) => C::Function,
            Tok::Ident(_) => C::Label,
        };
        out.push((t.span.clone(), class));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_queries_from_lokis_documentation() {
        for q in [
            r#"{container="query-frontend",namespace="loki-dev"} |= "metrics.go" | logfmt | duration > 10s and throughput_mb < 500"#,
            r#"{job="mysql"} |= "error" != "timeout""#,
            r#"{name=~"mysql.+"} |~ "tsdb-ops.*io:2003""#,
            r#"{app="foo"} |= "bar" or "baz""#,
            r#"{job="x"} | json first_server="servers[0]", ua="request.headers[\"User-Agent\"]""#,
            r#"{job="x"} | logfmt --strict --keep-empty host, userAgent="user-agent""#,
            r#"{job="x"} | regexp "(?P<method>\\w+) (?P<path>[\\w|/]+) \\((?P<status>\\d+?)\\) (?P<duration>.*)""#,
            r#"{job="x"} | pattern "<ip> - - <_> \"<method> <uri> <_>\" <status> <size> <_> \"<agent>\" <_>""#,
            r#"{job="x"} | unpack | line_format "{{.message}}""#,
            r#"{job="x"} | logfmt | level="error" or (status >= 500, size > 20MB)"#,
            r#"{job="x"} | label_format foo=bar, baz="{{.qux}}" | drop a, b="c" | keep d | decolorize"#,
        ] {
            let e = parse_log_query(q).unwrap_or_else(|e| panic!("{q}: {e} at {:?}", e.span));
            assert!(!e.stages.is_empty(), "{q}");
            assert_eq!(
                parse_log_query(&e.to_string())
                    .map(|x| x.to_string())
                    .unwrap(),
                e.to_string()
            );
        }
    }

    #[test]
    fn errors_have_spans_and_name_what_was_expected() {
        let cases = [
            (r#"{job="x""#, 8..8, "expected \"}\""),
            (
                r#"{job="x"} | jsn"#,
                12..15,
                "unknown pipeline stage \"jsn\"",
            ),
            (r#"{job="x"} |= "a"#, 13..15, "not closed"),
            (r#"{job=""}"#, 0..8, "at least one matcher"),
            (
                r#"{job="x"} | status > fast"#,
                21..25,
                "unexpected \"fast\"",
            ),
            (r#"{job="x"} | regexp "(\\d+)""#, 19..27, "named group"),
            (
                r#"{job="x"} | line_format "{{ if .a }}x{{ end }}""#,
                24..47,
                "not supported",
            ),
            (
                r#"{job="x"} |= ip("1.2.3.4")"#,
                13..15,
                "ip() line filters are not supported",
            ),
        ];
        for (q, span, message) in cases {
            let e = parse_log_query(q).expect_err(q);
            assert!(e.message.contains(message), "{q}: {}", e.message);
            assert_eq!(e.span, span, "{q}: {}", e.message);
        }
    }

    #[test]
    fn range_aggregations() {
        let q = r#"sum by (level) (count_over_time({job="x"} | json [5m] offset 1m))"#;
        let starts = range_agg_starts(q).unwrap();
        assert_eq!(starts, [16]);
        let r = parse_range_agg_at(q, 16).unwrap();
        assert_eq!(
            (r.range_ms, r.offset_ms, &q[r.span.clone()]),
            (
                300_000,
                60_000,
                r#"count_over_time({job="x"} | json [5m] offset 1m)"#
            )
        );
        let u = r#"quantile_over_time(0.99, {job="x"} | logfmt | unwrap duration(latency) [1m]) by (route)"#;
        let r = parse_range_agg_at(u, 0).unwrap();
        assert_eq!(
            (r.param, r.grouping.clone()),
            (Some(0.99), Some((false, vec!["route".to_string()])))
        );
        assert!(
            parse_range_agg_at(r#"sum_over_time({job="x"}[1m])"#, 0)
                .unwrap_err()
                .message
                .contains("needs an unwrapped range")
        );
    }
}
