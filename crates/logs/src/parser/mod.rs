//! LogQL's syntax: one [`parse`] turns a query into one tree ([`Expr`]),
//! a log query or a metric query, as Loki's `syntax` package does. Every
//! node and every error has a byte span of the query (the editor
//! underlines it) and the error says what was expected.
//!
//! ```
//! use o11y_logs::parser::{Expr, parse};
//!
//! let Ok(Expr::Sample(e)) = parse(r#"sum by (level) (rate({job="x"} | logfmt [5m]))"#) else {
//!     panic!("a metric query")
//! };
//! assert_eq!(e.range_aggs()[0].range_ms, 300_000);
//! ```
//!
//! The files: `lexer.rs` (tokens, and spans inside string literals),
//! `ast.rs` (the tree), `log.rs` (the stream selector and the pipeline),
//! `range.rs` (range aggregations), `sample.rs` (the vector aggregations,
//! binary operations and functions around them), `typecheck.rs` (their
//! type rules) and `highlight.rs`.

mod ast;
mod highlight;
mod lexer;
mod log;
mod range;
mod sample;
mod typecheck;

pub use ast::*;
pub use highlight::highlight;
pub use lexer::{LogqlError, Span};

use lexer::{Tok, Token, error, lex, span_in_literal};
use o11y_template::{Functions, Template};

/// Parses a LogQL query. A query that calls a range function
/// (`count_over_time(`, `rate(`, …) anywhere is a metric query; any other
/// is a log query, so that `sum(x)` is told it needs a stream selector.
pub fn parse(src: &str) -> Result<Expr, LogqlError> {
    let toks = lex(src)?;
    let metric = calls_range_function(&toks);
    let mut p = Parser { src, toks, pos: 0 };
    if metric {
        p.sample_query().map(Expr::Sample)
    } else {
        p.log_query().map(Expr::Log)
    }
}

/// Parses a log query (`{job="x"} |= "error" | json`).
pub fn parse_log_query(src: &str) -> Result<LogExpr, LogqlError> {
    let mut p = Parser {
        src,
        toks: lex(src)?,
        pos: 0,
    };
    p.log_query()
}

/// Whether a query is a metric query (it calls a range function), without
/// parsing it.
pub fn is_metric_query(src: &str) -> bool {
    lex(src).is_ok_and(|toks| calls_range_function(&toks))
}

fn calls_range_function(toks: &[Token]) -> bool {
    toks.windows(2).any(|w| {
        matches!(&w[0].tok, Tok::Ident(n) if RangeFunc::from_name(n).is_some())
            && matches!(w[1].tok, Tok::Sym("("))
    })
}

/// The tokens of a query and where parsing is; the parsers of each part
/// of the syntax (`log.rs`, `range.rs`, `sample.rs`) are its methods.
struct Parser<'a> {
    src: &'a str,
    toks: Vec<Token>,
    pos: usize,
}

impl Parser<'_> {
    /// A whole log query: a stream selector, a pipeline, nothing after.
    fn log_query(&mut self) -> Result<LogExpr, LogqlError> {
        let expr = self.log_expr()?;
        match &self.peek().tok {
            Tok::End => Ok(expr),
            _ => {
                let t = self.peek().clone();
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

    /// A `line_format` or `label_format` template: Go's text/template with
    /// Loki's functions, named `line` or `label` as Loki names them. An
    /// error points at the action that failed, inside the string at `span`.
    fn template(&self, name: &str, text: &str, span: &Span) -> Result<Template, LogqlError> {
        Template::parse_with(name, text, &[], Functions::Loki).map_err(|e| {
            LogqlError::at_span(span_in_literal(self.src, span, &e.span), e.to_string())
        })
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
    fn regexes_are_read_as_go_reads_them_as_loki_compiles_them() {
        let filter = |q: &str| match parse_log_query(q).map(|e| e.stages[0].kind.clone()) {
            Ok(StageKind::LineFilter(f)) => f.regexes[0].clone(),
            other => panic!("{q}: {other:?}"),
        };
        // `{,5}` repeats nothing in Go: a literal, unanchored in a line.
        let re = filter(r#"{job="x"} |~ "a{,5}""#);
        assert!(re.is_match("xa{,5}y") && !re.is_match("aa"));
        assert!(filter(r#"{job="x"} |~ "\\Qa.b\\E""#).is_match("[a.b]"));
        assert!(!filter(r#"{job="x"} |~ "\\Qa.b\\E""#).is_match("axb"));
        assert!(
            !filter(r#"{job="x"} |~ "^\\d+$""#).is_match("١٢٣"),
            "ASCII digits"
        );
        assert!(parse_log_query(r#"{job="x"} |~ "a**""#).is_err());
        let selector = parse_log_query(r#"{job=~"a{,5}"}"#).unwrap();
        assert!(selector.matchers[0].matches_value("a{,5}"));
        assert!(!selector.matchers[0].matches_value("aa"));
        match parse_log_query(r#"{job="x"} | regexp "(?P<n>\\d+)""#)
            .map(|e| e.stages[0].kind.clone())
        {
            Ok(StageKind::Regexp(re)) => assert!(!re.is_match("٣") && re.is_match("3")),
            other => panic!("{other:?}"),
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
                r#"{job="x"} | line_format "a {{ template \"x\" }}""#,
                27..47,
                "not supported",
            ),
            (
                r#"{job="x"} | label_format a=`{{ .b }} {{ nope .c }}`"#,
                37..50,
                "function \"nope\" not defined",
            ),
            (
                r#"{job="x"} | line_format "{{ if .a }}x""#,
                24..38,
                "unexpected EOF",
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
        let aggs = |q| match parse(q) {
            Ok(Expr::Sample(e)) => e.range_aggs().into_iter().cloned().collect::<Vec<_>>(),
            other => panic!("{q}: {other:?}"),
        };
        let r = &aggs(q)[0];
        assert_eq!(r.span.start, 16);
        assert_eq!(
            (r.range_ms, r.offset_ms, &q[r.span.clone()]),
            (
                300_000,
                60_000,
                r#"count_over_time({job="x"} | json [5m] offset 1m)"#
            )
        );
        let u = r#"quantile_over_time(0.99, {job="x"} | logfmt | unwrap duration(latency) [1m]) by (route)"#;
        let r = &aggs(u)[0];
        assert_eq!(
            (r.param, r.grouping.clone()),
            (
                Some(0.99),
                Some(Grouping {
                    without: false,
                    labels: vec!["route".to_string()]
                })
            )
        );
        assert!(
            parse(r#"sum_over_time({job="x"}[1m])"#)
                .unwrap_err()
                .message
                .contains("needs an unwrapped range")
        );
    }

    fn sample(q: &str) -> SampleExpr {
        match parse(q) {
            Ok(Expr::Sample(e)) => e,
            other => panic!("{q}: {other:?}"),
        }
    }

    #[test]
    fn metric_queries_parse_into_one_tree_that_prints_back() {
        for (q, printed) in [
            (
                r#"sum by (level) (count_over_time({job="x"} | logfmt [5m]))"#,
                r#"sum by (level) (count_over_time({job="x"} | logfmt [5m]))"#,
            ),
            (
                r#"topk(2, sum(rate({job="x"} |= "a" [1m] offset 1m)) by (job)) / 2"#,
                r#"topk(2, sum by (job) (rate({job="x"} |= "a" [1m] offset 1m))) / 2"#,
            ),
            (
                r#"quantile_over_time(0.99, {job="x"} | logfmt | unwrap duration(latency) [5m]) by (route)"#,
                r#"quantile_over_time(0.99, {job="x"} | logfmt | unwrap duration(latency) [5m]) by (route)"#,
            ),
            (
                r#"sum(bytes_rate({job="x"}[1m])) > bool 10"#,
                r#"sum(bytes_rate({job="x"}[1m])) > bool 10"#,
            ),
            (
                r#"sum by (a) (rate({job="x"}[1m])) / ON(a) GROUP_LEFT(b) count_over_time({job="y"}[1m])"#,
                r#"sum by (a) (rate({job="x"}[1m])) / on (a) group_left (b) count_over_time({job="y"}[1m])"#,
            ),
            (
                r#"label_replace(vector(1) + rate({job="x"}[1m]), "dst", "$1", "src", "(.*)")"#,
                r#"label_replace(vector(1) + rate({job="x"}[1m]), "dst", "$1", "src", "(.*)")"#,
            ),
            (
                r#"-count_over_time({job="x"}[5m])-1 ^ 2 * -(2)"#,
                r#"-count_over_time({job="x"}[5m]) - 1 ^ 2 * -(2)"#,
            ),
            (
                r#"sort_desc(count_over_time({job="x"}[5m]) * --2)"#,
                r#"sort_desc(count_over_time({job="x"}[5m]) * 2)"#,
            ),
        ] {
            let e = sample(q);
            assert_eq!(e.to_string(), printed, "{q}");
            assert_eq!(sample(printed).to_string(), printed);
            assert_eq!(e.span, 0..q.len(), "{q}");
        }
    }

    #[test]
    fn range_functions_and_vector_operations_are_enums() {
        let e = sample(
            r#"topk(2, sum by (level) (rate({job="x"} | logfmt [5m]))) > bool on (level) bytes_over_time({job="y"}[1m])"#,
        );
        let SampleKind::Binary(b) = &e.kind else {
            panic!("{e:?}")
        };
        assert_eq!((b.op, b.return_bool), (BinOp::Gtr, true));
        let SampleKind::Vector(topk) = &b.lhs.kind else {
            panic!("{e:?}")
        };
        assert_eq!(topk.op, AggOp::Topk);
        assert!(matches!(
            topk.param.as_ref().map(|p| &p.kind),
            Some(SampleKind::Number(2.0))
        ));
        let funcs: Vec<RangeFunc> = e.range_aggs().iter().map(|r| r.func).collect();
        assert_eq!(funcs, [RangeFunc::Rate, RangeFunc::BytesOverTime]);
        assert_eq!(
            RangeFunc::ALL.map(|f| RangeFunc::from_name(f.name())),
            RangeFunc::ALL.map(Some)
        );
    }

    #[test]
    fn metric_query_errors_point_at_what_is_wrong() {
        let cases = [
            (
                r#"sum(1) + rate({job="x"}[1m])"#,
                4..5,
                "expected type instant vector in aggregation expression, got scalar",
            ),
            (
                r#"sum by (level (count_over_time({job="x"}[5m]))"#,
                14..15,
                "unexpected \"(\" to close the by list: expected \")\"",
            ),
            (
                r#"count_over_time({job="x"}[5m]) offset 1m"#,
                31..37,
                "offset goes inside a range aggregation",
            ),
            (
                r#"deriv(count_over_time({job="x"}[1m])[5m])"#,
                36..37,
                "a range goes inside a range aggregation",
            ),
            (
                r#"sum(up) + count_over_time({job="x"}[5m])"#,
                4..6,
                "unexpected identifier \"up\"",
            ),
            (
                r#"sum({job="x"}) + count_over_time({job="x"}[5m])"#,
                4..5,
                "a log query cannot stand here",
            ),
            (
                r#"1 > 2 or rate({job="x"}[1m])"#,
                2..3,
                "comparisons between scalars must use BOOL modifier",
            ),
            (
                r#"rate({job="x"}[1m]) + bool 1"#,
                22..26,
                "bool modifier can only be used on comparison operators",
            ),
            (
                r#"rate({job="x"}[1m]) and 1"#,
                20..23,
                "set operator \"and\" not allowed in binary scalar expression",
            ),
            (
                r#"abs(rate({job="x"}[1m]), 1)"#,
                0..27,
                "expected 1 argument(s) in call to \"abs\", got 2",
            ),
            (
                r#"nope(rate({job="x"}[1m]))"#,
                0..4,
                "unknown function with name \"nope\"",
            ),
            (
                r#"count_over_time({job="x"}[5m]) by (level)"#,
                0..41,
                "only allowed on unwrapped",
            ),
            (
                r#"sum(count_over_time({job="x"}[5m])"#,
                34..34,
                "unexpected end of input to close the arguments of sum",
            ),
            (
                r#"rate({job="x"}[1m]) 2"#,
                20..21,
                "unexpected number \"2\" after the expression",
            ),
        ];
        for (q, span, message) in cases {
            let e = parse(q).expect_err(q);
            assert!(e.message.contains(message), "{q}: {}", e.message);
            assert_eq!(e.span, span, "{q}: {}", e.message);
        }
    }

    #[test]
    fn a_query_without_a_range_function_is_a_log_query() {
        assert!(matches!(parse(r#"{job="x"} |= "rate""#), Ok(Expr::Log(_))));
        let e = parse("sum(x)").unwrap_err();
        assert_eq!(e.span, 0..3);
        assert!(e.message.contains("at the start of a log query"), "{e}");
        assert!(is_metric_query(r#"sum(rate({job="x"}[1m]))"#));
        assert!(!is_metric_query(r#"{job="x"} | rate > 1"#));
    }
}
