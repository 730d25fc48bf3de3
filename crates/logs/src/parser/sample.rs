//! Parsing a metric query: range aggregations and what LogQL has around
//! them, with PromQL's grammar, precedence and type rules (a range
//! aggregation is an instant vector): vector aggregations (`sum by (level)
//! (…)`, `topk(2, …)`), binary operations with `bool`, `on`/`ignoring` and
//! `group_left`/`group_right`, unary signs, numbers, strings and functions
//! (`label_replace`, `vector`, `sort`, …). A log query or a series name
//! where an expression is expected, a range or an `offset` after one, are
//! errors: a log query only goes inside a range aggregation.
//!
//! ```text
//! sum by (level) (count_over_time({job="x"} | logfmt [5m])) / on (level) group_left vector(2)
//! ```

use super::Parser;
use super::ast::{
    AggOp, BinOp, Cardinality, Grouping, RangeFunc, SampleExpr, SampleKind, UnaryOp, VectorMatching,
};
use super::lexer::{LogqlError, Span, Tok, Token, error, lex};
use super::typecheck;
use o11y_model::labels::is_valid_label_name;
use o11y_promql::functions::{self, Function};

type Result<T> = std::result::Result<T, LogqlError>;

/// Words that are PromQL's keywords in an expression, in any case.
const KEYWORDS: [&str; 12] = [
    "and",
    "or",
    "unless",
    "atan2",
    "by",
    "without",
    "on",
    "ignoring",
    "group_left",
    "group_right",
    "bool",
    "offset",
];

/// A number as PromQL reads one (`1`, `0x1f`, `1e3`, `Inf`), or a duration
/// as its seconds (`5m`).
fn number(text: &str) -> Option<f64> {
    o11y_model::number::parse_number(text).or_else(|| {
        o11y_model::duration::parse_duration(text)
            .ok()
            .map(|ms| ms as f64 / 1000.0)
    })
}

/// A token as PromQL's parser names it in an error: the syntax around
/// range aggregations is PromQL's, and its errors say the same.
fn describe(t: &Token) -> String {
    let keyword = |w: &str| {
        KEYWORDS
            .iter()
            .chain(&["start", "end"])
            .any(|k| k.eq_ignore_ascii_case(w))
    };
    match &t.tok {
        Tok::Ident(w) if keyword(w) => format!("\"{}\"", w.to_ascii_lowercase()),
        Tok::Ident(w) if w.eq_ignore_ascii_case("inf") || w.eq_ignore_ascii_case("nan") => {
            format!("number {w:?}")
        }
        Tok::Ident(w) if w.contains(':') => format!("metric name {w:?}"),
        Tok::Ident(w) => format!("identifier {w:?}"),
        Tok::Num(n) if o11y_model::number::parse_number(n).is_some() => format!("number {n:?}"),
        Tok::Num(n) => format!("duration {n:?}"),
        Tok::Str(_) => "string".to_string(),
        Tok::Flag(f) => format!("{f:?}"),
        Tok::Sym(s) => format!("\"{s}\""),
        Tok::End => "end of input".to_string(),
    }
}

impl Parser<'_> {
    /// The symbol `s`, or an error saying what came instead.
    fn expect(&mut self, s: &'static str, what: &str) -> Result<Span> {
        if self.is_sym(s) {
            return Ok(self.next().span);
        }
        let t = self.peek().clone();
        error(
            t.span.clone(),
            format!("unexpected {} {what}: expected \"{s}\"", describe(&t)),
        )
    }

    /// A whole metric query: a sample expression, nothing after.
    pub(super) fn sample_query(&mut self) -> Result<SampleExpr> {
        let expr = self.expr(0)?;
        if matches!(self.peek().tok, Tok::End) {
            return Ok(expr);
        }
        let t = self.peek().clone();
        error(
            t.span.clone(),
            format!("unexpected {} after the expression", describe(&t)),
        )
    }

    /// Whether the next token is the keyword `word` (any case, as PromQL's).
    fn is_keyword(&self, word: &str) -> bool {
        matches!(&self.peek().tok, Tok::Ident(x) if x.eq_ignore_ascii_case(word))
    }

    fn tok_at(&self, offset: usize) -> Option<&Tok> {
        self.toks.get(self.pos + offset).map(|t| &t.tok)
    }

    /// The end of the last token read.
    fn prev_end(&self) -> usize {
        self.toks[self.pos.saturating_sub(1)].span.end
    }

    /// `-1` is one token to the lexer (a label filter compares with negative
    /// numbers) and `--1` a flag (`logfmt --strict`); in an expression they
    /// are `-` and what follows, as in PromQL.
    fn split_minus(&mut self) {
        let at = self.pos.min(self.toks.len() - 1);
        let span = self.toks[at].span.clone();
        let rest = match &self.toks[at].tok {
            Tok::Num(n) if n.len() > 1 && n.starts_with('-') => vec![Token {
                tok: Tok::Num(n[1..].to_string()),
                span: span.start + 1..span.end,
            }],
            Tok::Flag(_) => match lex(&self.src[span.start + 1..span.end]) {
                Ok(toks) => toks
                    .into_iter()
                    .filter(|t| t.tok != Tok::End)
                    .map(|t| Token {
                        tok: t.tok,
                        span: t.span.start + span.start + 1..t.span.end + span.start + 1,
                    })
                    .collect(),
                Err(_) => return,
            },
            _ => return,
        };
        self.toks[at] = Token {
            tok: Tok::Sym("-"),
            span: span.start..span.start + 1,
        };
        self.toks.splice(at + 1..at + 1, rest);
    }

    fn binary_op(&self) -> Option<BinOp> {
        Some(match &self.peek().tok {
            Tok::Sym("+") => BinOp::Add,
            Tok::Sym("-") => BinOp::Sub,
            Tok::Sym("*") => BinOp::Mul,
            Tok::Sym("/") => BinOp::Div,
            Tok::Sym("%") => BinOp::Mod,
            Tok::Sym("^") => BinOp::Pow,
            Tok::Sym("==") => BinOp::Eql,
            Tok::Sym("!=") => BinOp::Neq,
            Tok::Sym("<") => BinOp::Lss,
            Tok::Sym("<=") => BinOp::Lte,
            Tok::Sym(">") => BinOp::Gtr,
            Tok::Sym(">=") => BinOp::Gte,
            Tok::Ident(w) => match w.to_ascii_lowercase().as_str() {
                "and" => BinOp::And,
                "or" => BinOp::Or,
                "unless" => BinOp::Unless,
                "atan2" => BinOp::Atan2,
                _ => return None,
            },
            _ => return None,
        })
    }

    /// Binary operations whose operators bind at least `min_prec`
    /// (precedence climbing, with PromQL's precedence).
    fn expr(&mut self, min_prec: u8) -> Result<SampleExpr> {
        let mut lhs = self.unary()?;
        loop {
            self.split_minus();
            let Some(op) = self.binary_op() else {
                return Ok(lhs);
            };
            let prec = op.precedence();
            if prec < min_prec {
                return Ok(lhs);
            }
            let op_span = self.next().span;
            let bool_span = self.is_keyword("bool").then(|| self.next().span);
            let matching = self.vector_matching(op)?;
            // `^` is right-associative; every other operator left-associative.
            let next_min = if op == BinOp::Pow { prec } else { prec + 1 };
            let rhs = self.expr(next_min)?;
            lhs = typecheck::binary(op, op_span, bool_span, matching, lhs, rhs)?;
        }
    }

    fn unary(&mut self) -> Result<SampleExpr> {
        self.split_minus();
        let op = match self.peek().tok {
            Tok::Sym("-") => UnaryOp::Minus,
            Tok::Sym("+") => UnaryOp::Plus,
            _ => return self.postfix(),
        };
        let sign = self.next().span;
        // Unary operators bind like `*`: only `^` binds tighter.
        let operand = self.expr(BinOp::Pow.precedence())?;
        typecheck::unary(op, sign.start, operand)
    }

    /// A primary expression; a range or an `offset` after it are PromQL's
    /// and not LogQL's.
    fn postfix(&mut self) -> Result<SampleExpr> {
        let expr = self.primary()?;
        let t = self.peek().clone();
        if self.is_sym("[") {
            return error(
                t.span,
                "a range goes inside a range aggregation, after the log query: count_over_time({…}[5m])",
            );
        }
        if self.is_keyword("offset") {
            return error(
                t.span,
                "offset goes inside a range aggregation, after the range: count_over_time({…}[5m] offset 1h)",
            );
        }
        Ok(expr)
    }

    fn primary(&mut self) -> Result<SampleExpr> {
        let t = self.peek().clone();
        let kind = match &t.tok {
            Tok::Num(n) => {
                self.next();
                let v = number(n).ok_or_else(|| {
                    LogqlError::at_span(t.span.clone(), format!("invalid number {n:?}"))
                })?;
                SampleKind::Number(v)
            }
            Tok::Ident(n) if n.eq_ignore_ascii_case("inf") || n.eq_ignore_ascii_case("nan") => {
                self.next();
                SampleKind::Number(number(n).unwrap_or(f64::NAN))
            }
            Tok::Str(s) => {
                self.next();
                SampleKind::String(s.clone())
            }
            Tok::Sym("(") => {
                self.next();
                let inner = self.expr(0)?;
                let close = self.expect(")", "to close the parenthesis")?;
                return Ok(SampleExpr {
                    kind: SampleKind::Paren(Box::new(inner)),
                    span: t.span.start..close.end,
                });
            }
            Tok::Sym("{") => {
                return error(
                    t.span,
                    "a log query cannot stand here: put it in a range aggregation, such as count_over_time({…}[5m])",
                );
            }
            Tok::Ident(word) if KEYWORDS.iter().any(|k| k.eq_ignore_ascii_case(word)) => {
                return error(
                    t.span.clone(),
                    format!(
                        "unexpected {} where an expression was expected",
                        describe(&t)
                    ),
                );
            }
            Tok::Ident(name) => {
                let next = self.tok_at(1);
                let call = matches!(next, Some(Tok::Sym("(")));
                if call && let Some(func) = RangeFunc::from_name(name) {
                    self.next();
                    let agg = self.range_agg(func, t.span)?;
                    return Ok(SampleExpr {
                        span: agg.span.clone(),
                        kind: SampleKind::Range(Box::new(agg)),
                    });
                }
                let grouped = matches!(next, Some(Tok::Ident(w))
                    if w.eq_ignore_ascii_case("by") || w.eq_ignore_ascii_case("without"));
                if let Some(op) = AggOp::from_name(name)
                    && (call || grouped)
                {
                    self.next();
                    return self.aggregation(op, t.span);
                }
                if call {
                    let func = functions::lookup(name).ok_or_else(|| {
                        LogqlError::at_span(
                            t.span.clone(),
                            format!("unknown function with name {name:?}"),
                        )
                    })?;
                    self.next();
                    return self.call(func, t.span);
                }
                return error(
                    t.span.clone(),
                    format!(
                        "unexpected {}: expected a range aggregation such as count_over_time({{…}}[5m]), an aggregation, a function or a number",
                        describe(&t)
                    ),
                );
            }
            _ => {
                return error(
                    t.span.clone(),
                    format!(
                        "unexpected {} where an expression was expected",
                        describe(&t)
                    ),
                );
            }
        };
        Ok(SampleExpr { kind, span: t.span })
    }

    /// `(label, ...)` after `by`, `without`, `on`, `ignoring`, `group_*`:
    /// label names, quoted or not.
    fn label_list(&mut self, after: &str) -> Result<Vec<String>> {
        self.expect("(", &format!("after {after}"))?;
        let mut labels = Vec::new();
        loop {
            if self.is_sym(")") {
                self.next();
                return Ok(labels);
            }
            let t = self.next();
            match t.tok {
                Tok::Ident(name) if is_valid_label_name(&name) => labels.push(name),
                Tok::Str(name) => labels.push(name),
                _ => {
                    return error(
                        t.span.clone(),
                        format!(
                            "unexpected {} in the {after} list: expected a label name",
                            describe(&t)
                        ),
                    );
                }
            }
            if self.is_sym(",") {
                self.next();
            } else {
                self.expect(")", &format!("to close the {after} list"))?;
                return Ok(labels);
            }
        }
    }

    /// `by (…)` or `without (…)` of a vector aggregation, if there.
    fn vector_grouping(&mut self) -> Result<Option<Grouping>> {
        for (word, without) in [("by", false), ("without", true)] {
            if self.is_keyword(word) {
                self.next();
                let labels = self.label_list(word)?;
                return Ok(Some(Grouping { without, labels }));
            }
        }
        Ok(None)
    }

    fn aggregation(&mut self, op: AggOp, name_span: Span) -> Result<SampleExpr> {
        let before = self.vector_grouping()?;
        self.expect("(", &format!("after {}", op.name()))?;
        let mut args = Vec::new();
        if !self.is_sym(")") {
            loop {
                args.push(self.expr(0)?);
                if !self.is_sym(",") {
                    break;
                }
                self.next();
                if self.is_sym(")") {
                    break;
                }
            }
        }
        let close = self.expect(")", &format!("to close the arguments of {}", op.name()))?;
        let after = self.vector_grouping()?;
        if before.is_some() && after.is_some() {
            return error(
                name_span.start..self.prev_end(),
                "by or without may be given once",
            );
        }
        let end = if after.is_some() {
            self.prev_end()
        } else {
            close.end
        };
        typecheck::aggregation(op, args, before.or(after), name_span.start..end)
    }

    fn call(&mut self, func: &'static Function, name_span: Span) -> Result<SampleExpr> {
        self.expect("(", &format!("after {}", func.name))?;
        let mut args = Vec::new();
        if !self.is_sym(")") {
            loop {
                args.push(self.expr(0)?);
                if !self.is_sym(",") {
                    break;
                }
                self.next();
            }
        }
        let close = self.expect(")", &format!("to close the arguments of {}", func.name))?;
        typecheck::call(func, args, name_span.start..close.end)
    }

    fn vector_matching(&mut self, op: BinOp) -> Result<Option<VectorMatching>> {
        let on = match () {
            _ if self.is_keyword("on") => true,
            _ if self.is_keyword("ignoring") => false,
            _ => return Ok(None),
        };
        self.next();
        let labels = self.label_list(if on { "on" } else { "ignoring" })?;
        let mut group_start = 0;
        let left = self.is_keyword("group_left");
        let (card, include) = if left || self.is_keyword("group_right") {
            let t = self.next().span;
            group_start = t.start;
            if op.is_set() {
                return error(
                    t,
                    format!("no grouping allowed for {:?} operation", op.symbol()),
                );
            }
            let word = if left { "group_left" } else { "group_right" };
            let include = if self.is_sym("(") {
                self.label_list(word)?
            } else {
                Vec::new()
            };
            let card = if left {
                Cardinality::ManyToOne
            } else {
                Cardinality::OneToMany
            };
            (card, include)
        } else if op.is_set() {
            (Cardinality::ManyToMany, Vec::new())
        } else {
            (Cardinality::OneToOne, Vec::new())
        };
        if on && let Some(both) = include.iter().find(|l| labels.contains(l)) {
            return error(
                group_start..self.prev_end(),
                format!("label {both:?} must not occur in ON and GROUP clause at once"),
            );
        }
        Ok(Some(VectorMatching {
            card,
            on,
            labels,
            include,
        }))
    }
}
