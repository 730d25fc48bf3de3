//! LogQL's syntax tree, as Loki's `syntax` package has it: a query is a
//! log query ([`LogExpr`]: a stream selector and a pipeline of [`Stage`]s)
//! or a sample expression ([`SampleExpr`]) whose leaves are range
//! aggregations ([`RangeAgg`]: a range function over a log query and a
//! range), with vector aggregations, binary operations, literals and
//! functions around them. The operators around range aggregations are
//! PromQL's ([`AggOp`], [`BinOp`], PromQL's function table), as their
//! semantics are. Every node has the byte span of its source; `Display`
//! prints a query that parses to the same tree.
//!
//! ```text
//! sum by (level) (rate({job="x"} | logfmt [5m])) > 2
//! Binary(>, Vector(sum by (level), Range(rate, {job="x"} | logfmt, 5m)), Number(2))
//! ```

use std::fmt;

use regex::Regex;

use super::lexer::Span;
use o11y_model::duration::format_duration;
use o11y_model::labels::Matcher;
use o11y_model::number::format_float;
use o11y_promql::ast::ValueType;
pub use o11y_promql::ast::{AggOp, BinOp, Cardinality, UnaryOp, VectorMatching};
use o11y_promql::functions::Function;
use o11y_template::Template;

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

impl fmt::Display for LogExpr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.selector_text)?;
        for s in &self.stages {
            write!(f, " {}", s.text)?;
        }
        Ok(())
    }
}

/// What a range aggregation computes over the lines (or the unwrapped
/// values) of each window.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RangeFunc {
    CountOverTime,
    Rate,
    BytesOverTime,
    BytesRate,
    AbsentOverTime,
    SumOverTime,
    AvgOverTime,
    MinOverTime,
    MaxOverTime,
    StddevOverTime,
    StdvarOverTime,
    QuantileOverTime,
    FirstOverTime,
    LastOverTime,
    RateCounter,
}

impl RangeFunc {
    pub const ALL: [RangeFunc; 15] = [
        RangeFunc::CountOverTime,
        RangeFunc::Rate,
        RangeFunc::BytesOverTime,
        RangeFunc::BytesRate,
        RangeFunc::AbsentOverTime,
        RangeFunc::SumOverTime,
        RangeFunc::AvgOverTime,
        RangeFunc::MinOverTime,
        RangeFunc::MaxOverTime,
        RangeFunc::StddevOverTime,
        RangeFunc::StdvarOverTime,
        RangeFunc::QuantileOverTime,
        RangeFunc::FirstOverTime,
        RangeFunc::LastOverTime,
        RangeFunc::RateCounter,
    ];

    pub fn name(self) -> &'static str {
        use RangeFunc::*;
        match self {
            CountOverTime => "count_over_time",
            Rate => "rate",
            BytesOverTime => "bytes_over_time",
            BytesRate => "bytes_rate",
            AbsentOverTime => "absent_over_time",
            SumOverTime => "sum_over_time",
            AvgOverTime => "avg_over_time",
            MinOverTime => "min_over_time",
            MaxOverTime => "max_over_time",
            StddevOverTime => "stddev_over_time",
            StdvarOverTime => "stdvar_over_time",
            QuantileOverTime => "quantile_over_time",
            FirstOverTime => "first_over_time",
            LastOverTime => "last_over_time",
            RateCounter => "rate_counter",
        }
    }

    /// The function written `name` (names are case-sensitive, as in Loki).
    pub fn from_name(name: &str) -> Option<RangeFunc> {
        RangeFunc::ALL.into_iter().find(|f| f.name() == name)
    }

    /// Whether it reads values of `| unwrap` rather than lines.
    pub fn needs_unwrap(self) -> bool {
        !matches!(
            self,
            RangeFunc::CountOverTime
                | RangeFunc::Rate
                | RangeFunc::BytesOverTime
                | RangeFunc::BytesRate
                | RangeFunc::AbsentOverTime
        )
    }
}

/// `by (…)` or `without (…)`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Grouping {
    pub without: bool,
    pub labels: Vec<String>,
}

/// A range aggregation: `count_over_time({…} |= "x" [5m])`.
#[derive(Clone, Debug)]
pub struct RangeAgg {
    pub func: RangeFunc,
    /// `quantile_over_time`'s φ.
    pub param: Option<f64>,
    pub log: LogExpr,
    pub range_ms: i64,
    pub offset_ms: i64,
    /// `by`/`without` after an unwrapped aggregation.
    pub grouping: Option<Grouping>,
    pub span: Span,
}

/// A vector aggregation: `sum by (level) (…)`, `topk(2, …)`.
#[derive(Clone, Debug)]
pub struct VectorAgg {
    pub op: AggOp,
    pub expr: SampleExpr,
    /// The parameter before the vector (`topk`'s k, `count_values`'s label).
    pub param: Option<SampleExpr>,
    pub grouping: Option<Grouping>,
}

/// A binary operation, with `bool` and `on`/`ignoring`/`group_*` as written.
#[derive(Clone, Debug)]
pub struct BinaryExpr {
    pub op: BinOp,
    pub lhs: SampleExpr,
    pub rhs: SampleExpr,
    pub return_bool: bool,
    pub matching: Option<VectorMatching>,
}

/// An expression of a metric query: it evaluates to numbers.
#[derive(Clone, Debug)]
pub struct SampleExpr {
    pub kind: SampleKind,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub enum SampleKind {
    /// The leaf every metric query has.
    Range(Box<RangeAgg>),
    Vector(Box<VectorAgg>),
    Binary(Box<BinaryExpr>),
    Unary {
        op: UnaryOp,
        expr: Box<SampleExpr>,
    },
    Paren(Box<SampleExpr>),
    Number(f64),
    /// A string argument (`label_replace`'s, `count_values`'s).
    String(String),
    /// `label_replace`, `vector`, `sort`, `abs`…: PromQL's functions.
    Call {
        func: &'static Function,
        args: Vec<SampleExpr>,
    },
}

/// A parsed LogQL query.
#[derive(Clone, Debug)]
pub enum Expr {
    /// Returns lines.
    Log(LogExpr),
    /// Returns series (a metric query).
    Sample(SampleExpr),
}

impl SampleExpr {
    /// What the expression evaluates to, by PromQL's rules (a range
    /// aggregation is an instant vector).
    pub fn value_type(&self) -> ValueType {
        match &self.kind {
            SampleKind::Range(_) | SampleKind::Vector(_) => ValueType::InstantVector,
            SampleKind::Number(_) => ValueType::Scalar,
            SampleKind::String(_) => ValueType::String,
            SampleKind::Paren(e) | SampleKind::Unary { expr: e, .. } => e.value_type(),
            SampleKind::Binary(b) => {
                if b.lhs.value_type() == ValueType::Scalar
                    && b.rhs.value_type() == ValueType::Scalar
                {
                    ValueType::Scalar
                } else {
                    ValueType::InstantVector
                }
            }
            SampleKind::Call { func, .. } => func.return_type,
        }
    }

    /// The range aggregations, in the order written.
    pub fn range_aggs(&self) -> Vec<&RangeAgg> {
        fn walk<'a>(e: &'a SampleExpr, out: &mut Vec<&'a RangeAgg>) {
            match &e.kind {
                SampleKind::Range(r) => out.push(r),
                SampleKind::Vector(v) => {
                    if let Some(p) = &v.param {
                        walk(p, out);
                    }
                    walk(&v.expr, out);
                }
                SampleKind::Binary(b) => {
                    walk(&b.lhs, out);
                    walk(&b.rhs, out);
                }
                SampleKind::Paren(e) | SampleKind::Unary { expr: e, .. } => walk(e, out),
                SampleKind::Call { args, .. } => args.iter().for_each(|a| walk(a, out)),
                SampleKind::Number(_) | SampleKind::String(_) => {}
            }
        }
        let mut out = Vec::new();
        walk(self, &mut out);
        out
    }
}

/// Writes a string the way the lexer reads it back.
fn write_quoted(f: &mut fmt::Formatter<'_>, s: &str) -> fmt::Result {
    f.write_str("\"")?;
    for c in s.chars() {
        match c {
            '"' => f.write_str("\\\"")?,
            '\\' => f.write_str("\\\\")?,
            '\n' => f.write_str("\\n")?,
            '\r' => f.write_str("\\r")?,
            '\t' => f.write_str("\\t")?,
            c => write!(f, "{c}")?,
        }
    }
    f.write_str("\"")
}

impl fmt::Display for Grouping {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let word = if self.without { "without" } else { "by" };
        write!(f, "{word} ({})", self.labels.join(", "))
    }
}

impl fmt::Display for RangeAgg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}(", self.func.name())?;
        if let Some(p) = self.param {
            write!(f, "{}, ", format_float(p))?;
        }
        // `{job="x"}[5m]`, `{job="x"} | json [5m]`: as Loki's documentation writes them.
        let space = if self.log.stages.is_empty() { "" } else { " " };
        write!(f, "{}{space}[{}]", self.log, format_duration(self.range_ms))?;
        if self.offset_ms > 0 {
            write!(f, " offset {}", format_duration(self.offset_ms))?;
        } else if self.offset_ms < 0 {
            write!(f, " offset -{}", format_duration(-self.offset_ms))?;
        }
        f.write_str(")")?;
        if let Some(g) = &self.grouping {
            write!(f, " {g}")?;
        }
        Ok(())
    }
}

impl fmt::Display for SampleExpr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            SampleKind::Range(r) => write!(f, "{r}"),
            SampleKind::Vector(v) => {
                f.write_str(v.op.name())?;
                if let Some(g) = &v.grouping {
                    write!(f, " {g} ")?;
                }
                f.write_str("(")?;
                if let Some(p) = &v.param {
                    write!(f, "{p}, ")?;
                }
                write!(f, "{})", v.expr)
            }
            SampleKind::Binary(b) => {
                write!(f, "{} {}", b.lhs, b.op.symbol())?;
                if b.return_bool {
                    f.write_str(" bool")?;
                }
                if let Some(m) = &b.matching {
                    let on = if m.on { "on" } else { "ignoring" };
                    write!(f, " {on} ({})", m.labels.join(", "))?;
                    match m.card {
                        Cardinality::ManyToOne => {
                            write!(f, " group_left ({})", m.include.join(", "))?
                        }
                        Cardinality::OneToMany => {
                            write!(f, " group_right ({})", m.include.join(", "))?
                        }
                        Cardinality::OneToOne | Cardinality::ManyToMany => {}
                    }
                }
                write!(f, " {}", b.rhs)
            }
            SampleKind::Unary { op, expr } => {
                let sign = if *op == UnaryOp::Minus { "-" } else { "+" };
                write!(f, "{sign}{expr}")
            }
            SampleKind::Paren(e) => write!(f, "({e})"),
            SampleKind::Number(v) => match *v {
                v if v.is_nan() => f.write_str("NaN"),
                v if v == f64::INFINITY => f.write_str("Inf"),
                v if v == f64::NEG_INFINITY => f.write_str("-Inf"),
                v => f.write_str(&format_float(v)),
            },
            SampleKind::String(s) => write_quoted(f, s),
            SampleKind::Call { func, args } => {
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

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expr::Log(e) => write!(f, "{e}"),
            Expr::Sample(e) => write!(f, "{e}"),
        }
    }
}
