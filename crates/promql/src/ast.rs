//! The PromQL syntax tree. Every node carries the byte span of its source;
//! `Display` prints canonical PromQL (Prometheus's own printing), so parsing
//! what is printed gives the same tree.

use std::fmt;

use super::lexer::Span;
use crate::functions::Function;
pub use crate::functions::ValueType;
use o11y_model::duration::format_duration;
use o11y_model::labels::{METRIC_NAME, MatchOp, Matcher};
use o11y_model::labels::{is_valid_label_name, is_valid_metric_name};
use o11y_model::number::format_float;

#[derive(Clone, Debug)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

/// `@ <time>`, `@ start()` or `@ end()`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum At {
    Timestamp(i64),
    Start,
    End,
}

#[derive(Clone, Debug)]
pub struct VectorSelector {
    pub name: Option<String>,
    /// Every matcher, including `__name__="…"` for a written name.
    pub matchers: Vec<Matcher>,
    pub offset_ms: i64,
    pub at: Option<At>,
}

#[derive(Clone, Debug)]
pub struct Subquery {
    pub expr: Box<Expr>,
    pub range_ms: i64,
    pub step_ms: Option<i64>,
    pub offset_ms: i64,
    pub at: Option<At>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnaryOp {
    Plus,
    Minus,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    Mod,
    Pow,
    Atan2,
    Eql,
    Neq,
    Lss,
    Lte,
    Gtr,
    Gte,
    And,
    Or,
    Unless,
}

impl BinOp {
    pub fn symbol(self) -> &'static str {
        use BinOp::*;
        match self {
            Add => "+",
            Sub => "-",
            Mul => "*",
            Div => "/",
            Mod => "%",
            Pow => "^",
            Atan2 => "atan2",
            Eql => "==",
            Neq => "!=",
            Lss => "<",
            Lte => "<=",
            Gtr => ">",
            Gte => ">=",
            And => "and",
            Or => "or",
            Unless => "unless",
        }
    }

    /// Prometheus's precedence: higher binds tighter.
    pub fn precedence(self) -> u8 {
        use BinOp::*;
        match self {
            Or => 1,
            And | Unless => 2,
            Eql | Neq | Lss | Lte | Gtr | Gte => 3,
            Add | Sub => 4,
            Mul | Div | Mod | Atan2 => 5,
            Pow => 6,
        }
    }

    pub fn is_comparison(self) -> bool {
        matches!(
            self,
            BinOp::Eql | BinOp::Neq | BinOp::Lss | BinOp::Lte | BinOp::Gtr | BinOp::Gte
        )
    }

    pub fn is_set(self) -> bool {
        matches!(self, BinOp::And | BinOp::Or | BinOp::Unless)
    }
}

/// How series on both sides of a binary operation are matched.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cardinality {
    OneToOne,
    ManyToOne,
    OneToMany,
    ManyToMany,
}

#[derive(Clone, Debug, PartialEq)]
pub struct VectorMatching {
    pub card: Cardinality,
    /// `on(...)` if true, `ignoring(...)` if false.
    pub on: bool,
    pub labels: Vec<String>,
    /// The labels of `group_left(...)`/`group_right(...)`.
    pub include: Vec<String>,
}

#[derive(Clone, Debug)]
pub struct BinaryExpr {
    pub op: BinOp,
    pub lhs: Expr,
    pub rhs: Expr,
    pub return_bool: bool,
    /// Written matching, if any (`on`, `ignoring`, `group_*`).
    pub matching: Option<VectorMatching>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AggOp {
    Sum,
    Avg,
    Count,
    Min,
    Max,
    Group,
    Stddev,
    Stdvar,
    Topk,
    Bottomk,
    CountValues,
    Quantile,
    Limitk,
    LimitRatio,
}

impl AggOp {
    pub const ALL: [AggOp; 14] = [
        AggOp::Sum,
        AggOp::Avg,
        AggOp::Count,
        AggOp::Min,
        AggOp::Max,
        AggOp::Group,
        AggOp::Stddev,
        AggOp::Stdvar,
        AggOp::Topk,
        AggOp::Bottomk,
        AggOp::CountValues,
        AggOp::Quantile,
        AggOp::Limitk,
        AggOp::LimitRatio,
    ];

    pub fn name(self) -> &'static str {
        use AggOp::*;
        match self {
            Sum => "sum",
            Avg => "avg",
            Count => "count",
            Min => "min",
            Max => "max",
            Group => "group",
            Stddev => "stddev",
            Stdvar => "stdvar",
            Topk => "topk",
            Bottomk => "bottomk",
            CountValues => "count_values",
            Quantile => "quantile",
            Limitk => "limitk",
            LimitRatio => "limit_ratio",
        }
    }

    pub fn from_name(name: &str) -> Option<AggOp> {
        AggOp::ALL
            .into_iter()
            .find(|a| a.name().eq_ignore_ascii_case(name))
    }

    /// The type of the parameter before the vector, for those that take one.
    pub fn param_type(self) -> Option<ValueType> {
        use AggOp::*;
        match self {
            Topk | Bottomk | Quantile | Limitk | LimitRatio => Some(ValueType::Scalar),
            CountValues => Some(ValueType::String),
            _ => None,
        }
    }
}

#[derive(Clone, Debug)]
pub struct AggregateExpr {
    pub op: AggOp,
    pub expr: Expr,
    pub param: Option<Expr>,
    pub grouping: Vec<String>,
    /// `without (...)` if true; `by (...)` (or nothing) if false.
    pub without: bool,
}

#[derive(Clone, Debug)]
pub enum ExprKind {
    Number(f64),
    String(String),
    VectorSelector(VectorSelector),
    MatrixSelector {
        selector: VectorSelector,
        range_ms: i64,
    },
    Subquery(Subquery),
    Paren(Box<Expr>),
    Unary {
        op: UnaryOp,
        expr: Box<Expr>,
    },
    Binary(Box<BinaryExpr>),
    Aggregate(Box<AggregateExpr>),
    Call {
        func: &'static Function,
        args: Vec<Expr>,
    },
}

impl Expr {
    /// The matchers of every vector selector in the expression, in the
    /// order written (what `/api/v1/query_exemplars` looks up).
    pub fn selectors(&self) -> Vec<Vec<Matcher>> {
        fn walk(e: &Expr, out: &mut Vec<Vec<Matcher>>) {
            match &e.kind {
                ExprKind::Number(_) | ExprKind::String(_) => {}
                ExprKind::VectorSelector(s) | ExprKind::MatrixSelector { selector: s, .. } => {
                    out.push(s.matchers.clone())
                }
                ExprKind::Subquery(q) => walk(&q.expr, out),
                ExprKind::Paren(x) | ExprKind::Unary { expr: x, .. } => walk(x, out),
                ExprKind::Binary(b) => {
                    walk(&b.lhs, out);
                    walk(&b.rhs, out);
                }
                ExprKind::Aggregate(a) => {
                    if let Some(p) = &a.param {
                        walk(p, out);
                    }
                    walk(&a.expr, out);
                }
                ExprKind::Call { args, .. } => args.iter().for_each(|a| walk(a, out)),
            }
        }
        let mut out = Vec::new();
        walk(self, &mut out);
        out
    }

    /// The type this expression evaluates to.
    pub fn value_type(&self) -> ValueType {
        match &self.kind {
            ExprKind::Number(_) => ValueType::Scalar,
            ExprKind::String(_) => ValueType::String,
            ExprKind::VectorSelector(_) | ExprKind::Aggregate(_) => ValueType::InstantVector,
            ExprKind::MatrixSelector { .. } | ExprKind::Subquery(_) => ValueType::RangeVector,
            ExprKind::Paren(e) | ExprKind::Unary { expr: e, .. } => e.value_type(),
            ExprKind::Binary(b) => {
                if b.lhs.value_type() == ValueType::Scalar
                    && b.rhs.value_type() == ValueType::Scalar
                {
                    ValueType::Scalar
                } else {
                    ValueType::InstantVector
                }
            }
            ExprKind::Call { func, .. } => func.return_type,
        }
    }
}

/// Writes a string as Go's `%q` does (double quotes, escapes).
fn write_quoted(f: &mut fmt::Formatter<'_>, s: &str) -> fmt::Result {
    f.write_str("\"")?;
    for c in s.chars() {
        match c {
            '"' => f.write_str("\\\"")?,
            '\\' => f.write_str("\\\\")?,
            '\n' => f.write_str("\\n")?,
            '\r' => f.write_str("\\r")?,
            '\t' => f.write_str("\\t")?,
            c if c.is_control() => write!(f, "\\u{:04x}", c as u32)?,
            c => write!(f, "{c}")?,
        }
    }
    f.write_str("\"")
}

fn write_list(f: &mut fmt::Formatter<'_>, labels: &[String]) -> fmt::Result {
    write!(f, "({})", labels.join(", "))
}

fn write_modifiers(f: &mut fmt::Formatter<'_>, at: Option<At>, offset_ms: i64) -> fmt::Result {
    match at {
        Some(At::Timestamp(ms)) => {
            let sign = if ms < 0 { "-" } else { "" };
            let abs = ms.unsigned_abs();
            write!(f, " @ {sign}{}.{:03}", abs / 1000, abs % 1000)?
        }
        Some(At::Start) => f.write_str(" @ start()")?,
        Some(At::End) => f.write_str(" @ end()")?,
        None => {}
    }
    if offset_ms > 0 {
        write!(f, " offset {}", format_duration(offset_ms))?;
    } else if offset_ms < 0 {
        write!(f, " offset -{}", format_duration(-offset_ms))?;
    }
    Ok(())
}

impl VectorSelector {
    fn write_selector(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // A name outside the classic character set is written quoted inside
        // the braces, as Prometheus 3 prints UTF-8 names.
        let plain_name = self.name.as_deref().filter(|n| is_valid_metric_name(n));
        let quoted_name = self.name.as_deref().filter(|n| !is_valid_metric_name(n));
        if let Some(name) = plain_name {
            f.write_str(name)?;
        }
        let shown: Vec<&Matcher> = self
            .matchers
            .iter()
            .filter(|m| !(self.name.is_some() && m.name == METRIC_NAME && m.op == MatchOp::Equal))
            .collect();
        if !shown.is_empty() || plain_name.is_none() {
            f.write_str("{")?;
            if let Some(name) = quoted_name {
                write_quoted(f, name)?;
                if !shown.is_empty() {
                    f.write_str(", ")?;
                }
            }
            for (i, m) in shown.iter().enumerate() {
                if i > 0 {
                    f.write_str(", ")?;
                }
                if !is_valid_label_name(&m.name) {
                    write_quoted(f, &m.name)?;
                    f.write_str(match m.op {
                        MatchOp::Equal => "=",
                        MatchOp::NotEqual => "!=",
                        MatchOp::Regex => "=~",
                        MatchOp::NotRegex => "!~",
                    })?;
                    write_quoted(f, &m.value)?;
                    continue;
                }
                let op = match m.op {
                    MatchOp::Equal => "=",
                    MatchOp::NotEqual => "!=",
                    MatchOp::Regex => "=~",
                    MatchOp::NotRegex => "!~",
                };
                write!(f, "{}{op}", m.name)?;
                write_quoted(f, &m.value)?;
            }
            f.write_str("}")?;
        }
        Ok(())
    }
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            ExprKind::Number(v) => match *v {
                v if v.is_nan() => f.write_str("NaN"),
                v if v == f64::INFINITY => f.write_str("Inf"),
                v if v == f64::NEG_INFINITY => f.write_str("-Inf"),
                v => f.write_str(&format_float(v)),
            },
            ExprKind::String(s) => write_quoted(f, s),
            ExprKind::VectorSelector(vs) => {
                vs.write_selector(f)?;
                write_modifiers(f, vs.at, vs.offset_ms)
            }
            ExprKind::MatrixSelector { selector, range_ms } => {
                selector.write_selector(f)?;
                write!(f, "[{}]", format_duration(*range_ms))?;
                write_modifiers(f, selector.at, selector.offset_ms)
            }
            ExprKind::Subquery(sq) => {
                write!(f, "{}[{}:", sq.expr, format_duration(sq.range_ms))?;
                if let Some(step) = sq.step_ms {
                    f.write_str(&format_duration(step))?;
                }
                f.write_str("]")?;
                write_modifiers(f, sq.at, sq.offset_ms)
            }
            ExprKind::Paren(e) => write!(f, "({e})"),
            ExprKind::Unary { op, expr } => {
                write!(f, "{}{expr}", if *op == UnaryOp::Minus { "-" } else { "+" })
            }
            ExprKind::Binary(b) => {
                write!(f, "{} {}", b.lhs, b.op.symbol())?;
                if b.return_bool {
                    f.write_str(" bool")?;
                }
                if let Some(m) = &b.matching {
                    f.write_str(if m.on { " on " } else { " ignoring " })?;
                    write_list(f, &m.labels)?;
                    match m.card {
                        Cardinality::ManyToOne => {
                            f.write_str(" group_left ")?;
                            write_list(f, &m.include)?;
                        }
                        Cardinality::OneToMany => {
                            f.write_str(" group_right ")?;
                            write_list(f, &m.include)?;
                        }
                        _ => {}
                    }
                }
                write!(f, " {}", b.rhs)
            }
            ExprKind::Aggregate(a) => {
                f.write_str(a.op.name())?;
                // As Prometheus prints it: `by ()` is left out, `without ()` is not.
                if a.without || !a.grouping.is_empty() {
                    f.write_str(if a.without { " without " } else { " by " })?;
                    write_list(f, &a.grouping)?;
                    f.write_str(" ")?;
                }
                f.write_str("(")?;
                if let Some(p) = &a.param {
                    write!(f, "{p}, ")?;
                }
                write!(f, "{})", a.expr)
            }
            ExprKind::Call { func, args } => {
                write!(f, "{}(", func.name)?;
                for (i, a) in args.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{a}")?;
                }
                f.write_str(")")
            }
        }
    }
}
