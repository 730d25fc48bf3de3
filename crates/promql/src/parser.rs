//! The PromQL parser: tokens to a type-checked [`Expr`], by precedence
//! climbing (a Pratt parser), with Prometheus's precedence and
//! associativity and the checks of its `checkAST`. Every error carries the
//! span it is about and says what was expected.

use super::ast::*;
use super::functions::{self, Function};
use super::lexer::{Span, Token, TokenKind, tokenize, unquote};
use crate::typecheck;
use o11y_model::duration::parse_duration;
use o11y_model::labels::{METRIC_NAME, MatchOp, Matcher};
use o11y_model::number::parse_number;

/// A PromQL syntax or type error at a byte span of the query; a syntax
/// error lists in `expected` what would have been taken.
pub type ParseError = o11y_model::diag::Diagnostic;

type Result<T> = std::result::Result<T, ParseError>;

fn error<T>(span: Span, message: impl Into<String>) -> Result<T> {
    Err(ParseError::at_span(span, message))
}

/// Parses a PromQL expression.
pub fn parse(source: &str) -> Result<Expr> {
    let tokens = tokenize(source)?;
    let mut parser = Parser {
        source,
        tokens,
        pos: 0,
    };
    if parser.tokens.is_empty() {
        return Err(
            ParseError::at_span(0..source.len(), "empty query: expected an expression")
                .expecting("an expression"),
        );
    }
    let expr = parser.expr(0)?;
    if let Some(t) = parser.peek() {
        let t = t.clone();
        return error(
            t.span.clone(),
            format!("unexpected {} after the expression", parser.describe(&t)),
        );
    }
    Ok(expr)
}

struct Parser<'a> {
    source: &'a str,
    tokens: Vec<Token>,
    pos: usize,
}

fn binary_op(kind: TokenKind) -> Option<BinOp> {
    use TokenKind as T;
    Some(match kind {
        T::Add => BinOp::Add,
        T::Sub => BinOp::Sub,
        T::Mul => BinOp::Mul,
        T::Div => BinOp::Div,
        T::Mod => BinOp::Mod,
        T::Pow => BinOp::Pow,
        T::Atan2 => BinOp::Atan2,
        T::Eql => BinOp::Eql,
        T::Neq => BinOp::Neq,
        T::Lss => BinOp::Lss,
        T::Lte => BinOp::Lte,
        T::Gtr => BinOp::Gtr,
        T::Gte => BinOp::Gte,
        T::And => BinOp::And,
        T::Or => BinOp::Or,
        T::Unless => BinOp::Unless,
        _ => return None,
    })
}

/// Whether a token can be a label name (keywords can).
fn is_label_token(kind: TokenKind) -> bool {
    use TokenKind as T;
    matches!(
        kind,
        T::Identifier
            | T::And
            | T::Or
            | T::Unless
            | T::Atan2
            | T::By
            | T::Without
            | T::On
            | T::Ignoring
            | T::GroupLeft
            | T::GroupRight
            | T::Bool
            | T::Offset
            | T::Start
            | T::End
    )
}

impl<'a> Parser<'a> {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.pos)
    }

    fn peek_kind(&self) -> Option<TokenKind> {
        self.peek().map(|t| t.kind)
    }

    fn peek_kind_at(&self, offset: usize) -> Option<TokenKind> {
        self.tokens.get(self.pos + offset).map(|t| t.kind)
    }

    fn text(&self, token: &Token) -> &'a str {
        &self.source[token.span.clone()]
    }

    fn describe(&self, token: &Token) -> String {
        match token.kind {
            TokenKind::Identifier
            | TokenKind::MetricIdentifier
            | TokenKind::Number
            | TokenKind::Duration => {
                format!("{} {:?}", token.kind.describe(), self.text(token))
            }
            kind => kind.describe().to_string(),
        }
    }

    fn end_span(&self) -> Span {
        self.source.len()..self.source.len()
    }

    fn bump(&mut self) -> Option<Token> {
        let t = self.tokens.get(self.pos).cloned();
        self.pos += 1;
        t
    }

    fn eat(&mut self, kind: TokenKind) -> Option<Token> {
        if self.peek_kind() == Some(kind) {
            self.bump()
        } else {
            None
        }
    }

    fn expect(&mut self, kind: TokenKind, what: &str) -> Result<Token> {
        match self.peek().cloned() {
            Some(t) if t.kind == kind => {
                self.pos += 1;
                Ok(t)
            }
            Some(t) => Err(ParseError::at_span(
                t.span.clone(),
                format!(
                    "unexpected {} {what}: expected {}",
                    self.describe(&t),
                    kind.describe()
                ),
            )
            .expecting(kind.describe())),
            None => Err(ParseError::at_span(
                self.end_span(),
                format!(
                    "unexpected end of input {what}: expected {}",
                    kind.describe()
                ),
            )
            .expecting(kind.describe())),
        }
    }

    /// An error at the next token (or the end): `what` says where it is,
    /// `expected` lists what would have been taken there.
    fn unexpected<T>(&self, what: &str, expected: &[&str]) -> Result<T> {
        let e = match self.peek() {
            Some(t) => ParseError::at_span(
                t.span.clone(),
                format!("unexpected {} {what}", self.describe(t)),
            ),
            None => ParseError::at_span(self.end_span(), format!("unexpected end of input {what}")),
        };
        Err(expected.iter().fold(e, |e, x| e.expecting(*x)))
    }

    /// Binary expressions whose operators bind at least `min_prec`.
    fn expr(&mut self, min_prec: u8) -> Result<Expr> {
        let mut lhs = self.unary()?;
        while let Some(op) = self.peek_kind().and_then(binary_op) {
            let prec = op.precedence();
            if prec < min_prec {
                break;
            }
            let op_token = self.bump().unwrap_or_else(|| Token {
                kind: TokenKind::Add,
                span: self.end_span(),
            });
            let bool_token = self.eat(TokenKind::Bool);
            let matching = self.vector_matching(op)?;
            // `^` is right-associative; every other operator left-associative.
            let next_min = if op == BinOp::Pow { prec } else { prec + 1 };
            let rhs = self.expr(next_min)?;
            lhs = self.binary(op, op_token.span, bool_token, matching, lhs, rhs)?;
        }
        Ok(lhs)
    }

    fn unary(&mut self) -> Result<Expr> {
        let Some(sign) = self
            .eat(TokenKind::Sub)
            .or_else(|| self.eat(TokenKind::Add))
        else {
            return self.postfix();
        };
        // Unary operators bind like `*`: only `^` binds tighter.
        let operand = self.expr(BinOp::Pow.precedence())?;
        let span = sign.span.start..operand.span.end;
        let op = if sign.kind == TokenKind::Sub {
            UnaryOp::Minus
        } else {
            UnaryOp::Plus
        };
        typecheck::unary(&operand, span.clone())?;
        // A negated number literal is that number, as in Prometheus.
        if let (ExprKind::Number(v), UnaryOp::Minus) = (&operand.kind, op) {
            return Ok(Expr {
                kind: ExprKind::Number(-v),
                span,
            });
        }
        if let (ExprKind::Number(_), UnaryOp::Plus) = (&operand.kind, op) {
            return Ok(Expr {
                kind: operand.kind,
                span,
            });
        }
        Ok(Expr {
            kind: ExprKind::Unary {
                op,
                expr: Box::new(operand),
            },
            span,
        })
    }

    /// A primary expression with any `[range]`, `[range:step]`, `offset` and `@`.
    fn postfix(&mut self) -> Result<Expr> {
        let mut expr = self.primary()?;
        loop {
            match self.peek_kind() {
                Some(TokenKind::LeftBracket) => expr = self.range_or_subquery(expr)?,
                Some(TokenKind::Offset) => {
                    let keyword = self.bump().map_or(self.end_span(), |t| t.span);
                    let negative = self.eat(TokenKind::Sub).is_some();
                    let (ms, end) = self.duration("after offset")?;
                    let offset_ms = if negative { -ms } else { ms };
                    expr = self.set_modifier(expr, keyword.start..end, Some(offset_ms), None)?;
                }
                Some(TokenKind::At) => {
                    let at_token = self.bump().map_or(self.end_span(), |t| t.span);
                    let (at, end) = self.at_time()?;
                    expr = self.set_modifier(expr, at_token.start..end, None, Some(at))?;
                }
                _ => return Ok(expr),
            }
        }
    }

    /// A duration token, or a number of seconds, as milliseconds.
    fn duration(&mut self, what: &str) -> Result<(i64, usize)> {
        match self.peek().cloned() {
            Some(t) if t.kind == TokenKind::Duration => {
                self.pos += 1;
                let ms = parse_duration(self.text(&t)).map_err(|e| {
                    ParseError::at_span(
                        (t.span.start + e.offset).min(t.span.end.saturating_sub(1))..t.span.end,
                        e.message,
                    )
                })?;
                Ok((ms, t.span.end))
            }
            Some(t) if t.kind == TokenKind::Number => {
                self.pos += 1;
                let seconds =
                    parse_number(self.text(&t)).filter(|s| s.is_finite() && s.abs() < 9e15);
                let Some(seconds) = seconds else {
                    return error(
                        t.span.clone(),
                        format!("invalid duration {:?}", self.text(&t)),
                    );
                };
                Ok(((seconds * 1000.0).round() as i64, t.span.end))
            }
            _ => self.unexpected(
                &format!("{what}: expected a duration such as 5m"),
                &["a duration such as 5m"],
            ),
        }
    }

    fn at_time(&mut self) -> Result<(At, usize)> {
        if let Some(kind @ (TokenKind::Start | TokenKind::End)) = self.peek_kind() {
            self.bump();
            self.expect(TokenKind::LeftParen, &format!("after {}", kind.describe()))?;
            let close = self.expect(TokenKind::RightParen, "in the @ modifier")?;
            let at = if kind == TokenKind::Start {
                At::Start
            } else {
                At::End
            };
            return Ok((at, close.span.end));
        }
        let negative = self.eat(TokenKind::Sub).is_some();
        if self.peek_kind() == Some(TokenKind::Duration) {
            let (ms, end) = self.duration("after @")?;
            return Ok((At::Timestamp(if negative { -ms } else { ms }), end));
        }
        match self.peek().cloned() {
            Some(t) if t.kind == TokenKind::Number => {
                self.pos += 1;
                let seconds =
                    parse_number(self.text(&t)).filter(|s| s.is_finite() && s.abs() < 9e15);
                let Some(seconds) = seconds else {
                    return error(t.span, "timestamp out of bounds for @ modifier");
                };
                let ms = (seconds * 1000.0).round() as i64;
                Ok((At::Timestamp(if negative { -ms } else { ms }), t.span.end))
            }
            _ => self.unexpected(
                "after @: expected a timestamp, start() or end()",
                &["a timestamp", "\"start()\"", "\"end()\""],
            ),
        }
    }

    fn set_modifier(
        &mut self,
        mut expr: Expr,
        span: Span,
        offset: Option<i64>,
        at: Option<At>,
    ) -> Result<Expr> {
        let (slot_offset, slot_at) = match &mut expr.kind {
            ExprKind::VectorSelector(vs) | ExprKind::MatrixSelector { selector: vs, .. } => {
                (&mut vs.offset_ms, &mut vs.at)
            }
            ExprKind::Subquery(sq) => (&mut sq.offset_ms, &mut sq.at),
            _ => {
                let what = if offset.is_some() { "offset" } else { "@" };
                return error(
                    span,
                    format!(
                        "{what} modifier must be preceded by an instant vector selector or range vector selector or a subquery"
                    ),
                );
            }
        };
        if let Some(offset_ms) = offset {
            if *slot_offset != 0 {
                return error(span, "offset may not be set multiple times");
            }
            *slot_offset = offset_ms;
        }
        if let Some(at) = at {
            if slot_at.is_some() {
                return error(span, "@ <timestamp> may not be set multiple times");
            }
            *slot_at = Some(at);
        }
        expr.span.end = span.end;
        Ok(expr)
    }

    fn range_or_subquery(&mut self, expr: Expr) -> Result<Expr> {
        let open = self.bump().map_or(self.end_span(), |t| t.span);
        let (range_ms, _) = self.duration("in the range")?;
        if self.eat(TokenKind::Colon).is_some() {
            let step_ms = match self.peek_kind() {
                Some(TokenKind::RightBracket) => None,
                _ => Some(self.duration("as the subquery step")?.0),
            };
            let close = self.expect(TokenKind::RightBracket, "to close the subquery")?;
            if !matches!(
                expr.value_type(),
                ValueType::InstantVector | ValueType::Scalar
            ) {
                return error(
                    expr.span.start..close.span.end,
                    format!(
                        "subquery is only allowed on instant vector, got {}",
                        expr.value_type().name()
                    ),
                );
            }
            let span = expr.span.start..close.span.end;
            return Ok(Expr {
                kind: ExprKind::Subquery(Subquery {
                    expr: Box::new(expr),
                    range_ms,
                    step_ms,
                    offset_ms: 0,
                    at: None,
                }),
                span,
            });
        }
        let close = self.expect(TokenKind::RightBracket, "to close the range")?;
        let span = expr.span.start..close.span.end;
        match expr.kind {
            ExprKind::VectorSelector(selector) => {
                if selector.offset_ms != 0 || selector.at.is_some() {
                    return error(
                        open.start..close.span.end,
                        "no offset or @ modifiers allowed before range",
                    );
                }
                Ok(Expr {
                    kind: ExprKind::MatrixSelector { selector, range_ms },
                    span,
                })
            }
            _ => error(
                open.start..close.span.end,
                "ranges only allowed for vector selectors",
            ),
        }
    }

    fn primary(&mut self) -> Result<Expr> {
        let Some(token) = self.peek().cloned() else {
            return self.unexpected("where an expression was expected", &["an expression"]);
        };
        match token.kind {
            TokenKind::Number => {
                self.pos += 1;
                let value = parse_number(self.text(&token));
                let value = value.ok_or_else(|| {
                    ParseError::at_span(
                        token.span.clone(),
                        format!("invalid number {:?}", self.text(&token)),
                    )
                })?;
                Ok(Expr {
                    kind: ExprKind::Number(value),
                    span: token.span,
                })
            }
            TokenKind::String => {
                self.pos += 1;
                let value = unquote(self.text(&token))
                    .map_err(|message| ParseError::at_span(token.span.clone(), message))?;
                Ok(Expr {
                    kind: ExprKind::String(value),
                    span: token.span,
                })
            }
            TokenKind::LeftParen => {
                self.pos += 1;
                let inner = self.expr(0)?;
                let close = self.expect(TokenKind::RightParen, "to close the parenthesis")?;
                Ok(Expr {
                    kind: ExprKind::Paren(Box::new(inner)),
                    span: token.span.start..close.span.end,
                })
            }
            TokenKind::LeftBrace => self.vector_selector(None, token.span.start),
            TokenKind::Identifier | TokenKind::MetricIdentifier => {
                let name = self.text(&token);
                let next = self.peek_kind_at(1);
                if token.kind == TokenKind::Identifier {
                    if let Some(op) = AggOp::from_name(name)
                        && matches!(
                            next,
                            Some(TokenKind::LeftParen | TokenKind::By | TokenKind::Without)
                        )
                    {
                        self.pos += 1;
                        return self.aggregation(op, token.span);
                    }
                    if next == Some(TokenKind::LeftParen) {
                        self.pos += 1;
                        let func = functions::lookup(name).ok_or_else(|| {
                            ParseError::at_span(
                                token.span.clone(),
                                format!("unknown function with name {name:?}"),
                            )
                        })?;
                        return self.call(func, token.span);
                    }
                }
                self.pos += 1;
                self.vector_selector(Some(name.to_string()), token.span.start)
            }
            // A duration where a number is expected is its number of seconds.
            TokenKind::Duration => {
                let (ms, _) = self.duration("")?;
                Ok(Expr {
                    kind: ExprKind::Number(ms as f64 / 1000.0),
                    span: token.span,
                })
            }
            // `start()` and `end()` as functions, beside their use after `@`.
            TokenKind::Start | TokenKind::End
                if self.peek_kind_at(1) == Some(TokenKind::LeftParen) =>
            {
                self.pos += 1;
                let name = if token.kind == TokenKind::Start {
                    "start"
                } else {
                    "end"
                };
                let func = functions::lookup(name).ok_or_else(|| {
                    ParseError::at_span(token.span.clone(), format!("unknown function {name:?}"))
                })?;
                self.call(func, token.span)
            }
            _ => self.unexpected("where an expression was expected", &["an expression"]),
        }
    }

    /// `{matchers}` after an optional metric name (already consumed).
    fn vector_selector(&mut self, name: Option<String>, start: usize) -> Result<Expr> {
        let mut matchers = Vec::new();
        let mut end = self
            .tokens
            .get(self.pos.saturating_sub(1))
            .map_or(start, |t| t.span.end);
        let mut name = name;
        if self.eat(TokenKind::LeftBrace).is_some() {
            loop {
                if let Some(close) = self.eat(TokenKind::RightBrace) {
                    end = close.span.end;
                    break;
                }
                // `{"metric.name"}`: a quoted metric name on its own.
                if self.peek_kind() == Some(TokenKind::String)
                    && matches!(
                        self.peek_kind_at(1),
                        Some(TokenKind::Comma | TokenKind::RightBrace)
                    )
                {
                    let t = self.bump().unwrap_or_else(|| Token {
                        kind: TokenKind::String,
                        span: self.end_span(),
                    });
                    let quoted = unquote(self.text(&t))
                        .map_err(|message| ParseError::at_span(t.span.clone(), message))?;
                    if name.is_some() {
                        return error(t.span, "metric name must not be set twice");
                    }
                    name = Some(quoted);
                } else {
                    matchers.push(self.label_matcher()?);
                }
                if self.eat(TokenKind::Comma).is_none() {
                    end = self
                        .expect(TokenKind::RightBrace, "in the label matchers")?
                        .span
                        .end;
                    break;
                }
            }
        }
        if let Some(n) = &name {
            if matchers.iter().any(|m: &Matcher| m.name == METRIC_NAME) {
                return error(
                    start..end,
                    format!("metric name must not be set twice: {n:?} and a __name__ matcher"),
                );
            }
            matchers.insert(0, Matcher::metric(n));
        }
        if matchers.iter().all(|m| m.matches_value("")) {
            return error(
                start..end,
                "vector selector must contain at least one non-empty matcher",
            );
        }
        let selector = VectorSelector {
            name,
            matchers,
            offset_ms: 0,
            at: None,
        };
        Ok(Expr {
            kind: ExprKind::VectorSelector(selector),
            span: start..end,
        })
    }

    fn label_name(&mut self, what: &str) -> Result<(String, Span)> {
        match self.peek().cloned() {
            Some(t) if is_label_token(t.kind) => {
                self.pos += 1;
                Ok((self.text(&t).to_string(), t.span))
            }
            Some(t) if t.kind == TokenKind::String => {
                self.pos += 1;
                let name = unquote(self.text(&t))
                    .map_err(|message| ParseError::at_span(t.span.clone(), message))?;
                Ok((name, t.span))
            }
            _ => self.unexpected(&format!("{what}: expected a label name"), &["a label name"]),
        }
    }

    fn label_matcher(&mut self) -> Result<Matcher> {
        let (name, _) = self.label_name("in the label matchers")?;
        let op = match self.peek_kind() {
            Some(TokenKind::Assign) => MatchOp::Equal,
            Some(TokenKind::Neq) => MatchOp::NotEqual,
            Some(TokenKind::EqlRegex) => MatchOp::Regex,
            Some(TokenKind::NeqRegex) => MatchOp::NotRegex,
            _ => {
                return self.unexpected(
                    &format!("after label {name:?}: expected =, !=, =~ or !~"),
                    &["\"=\"", "\"!=\"", "\"=~\"", "\"!~\""],
                );
            }
        };
        self.pos += 1;
        let value_token = self.expect(
            TokenKind::String,
            &format!("as the value of label {name:?}"),
        )?;
        let value = unquote(self.text(&value_token))
            .map_err(|message| ParseError::at_span(value_token.span.clone(), message))?;
        Matcher::new(op, &name, &value).map_err(|e| {
            // The regex crate's message quotes the anchored pattern it was
            // given; its last line is the part about what the user wrote.
            let text = e.to_string();
            let reason = text
                .lines()
                .find_map(|l| l.strip_prefix("error: "))
                .unwrap_or(&text);
            ParseError::at_span(
                value_token.span.clone(),
                format!("invalid regular expression {value:?}: {reason}"),
            )
        })
    }

    /// `(label, ...)` after `by`, `without`, `on`, `ignoring`, `group_*`.
    fn label_list(&mut self, after: &str) -> Result<Vec<String>> {
        self.expect(TokenKind::LeftParen, &format!("after {after}"))?;
        let mut labels = Vec::new();
        loop {
            if self.eat(TokenKind::RightParen).is_some() {
                return Ok(labels);
            }
            labels.push(self.label_name(&format!("in the {after} list"))?.0);
            if self.eat(TokenKind::Comma).is_none() {
                self.expect(TokenKind::RightParen, &format!("to close the {after} list"))?;
                return Ok(labels);
            }
        }
    }

    fn grouping(&mut self) -> Result<Option<(bool, Vec<String>)>> {
        match self.peek_kind() {
            Some(TokenKind::By) => {
                self.pos += 1;
                Ok(Some((false, self.label_list("by")?)))
            }
            Some(TokenKind::Without) => {
                self.pos += 1;
                Ok(Some((true, self.label_list("without")?)))
            }
            _ => Ok(None),
        }
    }

    fn aggregation(&mut self, op: AggOp, name_span: Span) -> Result<Expr> {
        let before = self.grouping()?;
        self.expect(TokenKind::LeftParen, &format!("after {}", op.name()))?;
        let mut args = Vec::new();
        if self.peek_kind() != Some(TokenKind::RightParen) {
            loop {
                args.push(self.expr(0)?);
                if self.eat(TokenKind::Comma).is_none()
                    || self.peek_kind() == Some(TokenKind::RightParen)
                {
                    break;
                }
            }
        }
        let close = self.expect(
            TokenKind::RightParen,
            &format!("to close the arguments of {}", op.name()),
        )?;
        let mut end = close.span.end;
        let after = self.grouping()?;
        if before.is_some() && after.is_some() {
            return error(
                name_span.start..self.tokens[self.pos - 1].span.end,
                "by or without may be given once",
            );
        }
        if after.is_some() {
            end = self.tokens[self.pos - 1].span.end;
        }
        let (without, grouping) = before.or(after).unwrap_or((false, Vec::new()));
        let span = name_span.start..end;
        typecheck::aggregation(op, &args, span.clone())?;
        let expr = args
            .pop()
            .ok_or_else(|| ParseError::at_span(span.clone(), "missing argument"))?;
        let param = args.pop();
        let aggregate = AggregateExpr {
            op,
            expr,
            param,
            grouping,
            without,
        };
        Ok(Expr {
            kind: ExprKind::Aggregate(Box::new(aggregate)),
            span,
        })
    }

    fn call(&mut self, func: &'static Function, name_span: Span) -> Result<Expr> {
        self.expect(TokenKind::LeftParen, &format!("after {}", func.name))?;
        let mut args = Vec::new();
        if self.peek_kind() != Some(TokenKind::RightParen) {
            loop {
                args.push(self.expr(0)?);
                if self.eat(TokenKind::Comma).is_none() {
                    break;
                }
            }
        }
        let close = self.expect(
            TokenKind::RightParen,
            &format!("to close the arguments of {}", func.name),
        )?;
        let span = name_span.start..close.span.end;
        typecheck::call(func, &args, span.clone())?;
        Ok(Expr {
            kind: ExprKind::Call { func, args },
            span,
        })
    }

    fn vector_matching(&mut self, op: BinOp) -> Result<Option<VectorMatching>> {
        let on = match self.peek_kind() {
            Some(TokenKind::On) => true,
            Some(TokenKind::Ignoring) => false,
            _ => return Ok(None),
        };
        self.pos += 1;
        let labels = self.label_list(if on { "on" } else { "ignoring" })?;
        let mut group_start = 0;
        let (card, include) = match self.peek_kind() {
            Some(kind @ (TokenKind::GroupLeft | TokenKind::GroupRight)) => {
                let t = self.bump().map_or(self.end_span(), |t| t.span);
                group_start = t.start;
                if op.is_set() {
                    return error(
                        t,
                        format!("no grouping allowed for {:?} operation", op.symbol()),
                    );
                }
                let include = if self.peek_kind() == Some(TokenKind::LeftParen) {
                    self.label_list(if kind == TokenKind::GroupLeft {
                        "group_left"
                    } else {
                        "group_right"
                    })?
                } else {
                    Vec::new()
                };
                let card = if kind == TokenKind::GroupLeft {
                    Cardinality::ManyToOne
                } else {
                    Cardinality::OneToMany
                };
                (card, include)
            }
            _ if op.is_set() => (Cardinality::ManyToMany, Vec::new()),
            _ => (Cardinality::OneToOne, Vec::new()),
        };
        if on && let Some(both) = include.iter().find(|l| labels.contains(l)) {
            let span = group_start..self.tokens[self.pos - 1].span.end;
            return error(
                span,
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

    fn binary(
        &self,
        op: BinOp,
        op_span: Span,
        bool_token: Option<Token>,
        matching: Option<VectorMatching>,
        lhs: Expr,
        rhs: Expr,
    ) -> Result<Expr> {
        let span = lhs.span.start..rhs.span.end;
        typecheck::binary(
            op,
            op_span,
            bool_token.as_ref().map(|b| b.span.clone()),
            matching.is_some(),
            &lhs,
            &rhs,
        )?;
        let binary = BinaryExpr {
            op,
            lhs,
            rhs,
            return_bool: bool_token.is_some(),
            matching,
        };
        Ok(Expr {
            kind: ExprKind::Binary(Box::new(binary)),
            span,
        })
    }
}
