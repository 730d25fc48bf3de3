//! Parsing a log query: the stream selector (`{job="x", level=~"e.*"}`)
//! and the pipeline after it — line filters (`|= "a" or "b"`), parsers
//! (`| json`, `| logfmt --strict`, `| regexp`, `| pattern`, `| unpack`),
//! label filters (`| status >= 500 and level="error"`), `line_format`,
//! `label_format`, `drop`, `keep`, `decolorize` and `unwrap`. Regular
//! expressions, patterns and templates are compiled here, so a query that
//! parses runs.

use super::Parser;
use super::ast::{
    CmpOp, Conversion, LabelFilter, LabelFormatValue, LineFilter, LineFilterOp, Literal, LogExpr,
    Stage, StageKind,
};
use super::lexer::{LogqlError, Span, Tok, error, is_stage_keyword};
use o11y_model::labels::{MatchOp, Matcher};

impl Parser<'_> {
    pub(super) fn selector(&mut self) -> Result<(Vec<Matcher>, Span), LogqlError> {
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
            let m = Matcher::new(op, &name, &value).map_err(|e| {
                LogqlError::at_span(value_span, format!("invalid regular expression: {e}"))
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

    /// A stream selector and its pipeline.
    pub(super) fn log_expr(&mut self) -> Result<LogExpr, LogqlError> {
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
                regexes.push(o11y_model::labels::go_compile(&v).map_err(|e| {
                    LogqlError::at_span(span, format!("invalid regular expression: {e}"))
                })?);
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
                let regex = o11y_model::labels::go_compile(&re).map_err(|e| {
                    LogqlError::at_span(span.clone(), format!("invalid regular expression: {e}"))
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
                        .map_err(|e| LogqlError::at_span(span, e.message))?,
                )
            }
            "unpack" => StageKind::Unpack,
            "decolorize" => StageKind::Decolorize,
            "line_format" => {
                let (tpl, span) = self.string("after line_format")?;
                StageKind::LineFormat(self.template("line", &tpl, &span)?)
            }
            "label_format" => {
                let mut out = Vec::new();
                loop {
                    let (dst, _) = self.ident("in label_format")?;
                    self.expect_sym("=", "in label_format")?;
                    let t = self.next();
                    let value = match t.tok {
                        Tok::Str(s) => {
                            LabelFormatValue::Template(self.template("label", &s, &t.span)?)
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
                        Some(Matcher::new(op, &label, &v).map_err(|e| {
                            LogqlError::at_span(span, format!("invalid regular expression: {e}"))
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
                        o11y_model::labels::go_compile(&format!("^(?s:{s})$")).map_err(|e| {
                            LogqlError::at_span(
                                t.span.clone(),
                                format!("invalid regular expression: {e}"),
                            )
                        })?,
                    ),
                    CmpOp::Eq | CmpOp::Ne => None,
                    _ => {
                        // `> "1.5"` compares as a number in Loki too.
                        let v: f64 = s.parse().map_err(|_| {
                            LogqlError::at_span(
                                t.span.clone(),
                                format!("{s:?} is not a number to compare with {}", op.symbol()),
                            )
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
}
