//! LogQL's tokens: identifiers, strings (`"…"` with escapes, `` `…` ``
//! raw), numbers with their units as written (`5m`, `20MB`, `-1`), flags
//! (`--strict`) and symbols; `#` starts a comment. Every token and every
//! error has a byte span of the query, and [`span_in_literal`] maps a span
//! inside a string's value back into the query.
//!
//! ```text
//! {job="x"} |= `a` [5m]   →   { job = "x" } |= "a" [ 5m ] End
//! ```

use std::ops::Range;

pub type Span = Range<usize>;

/// A LogQL syntax error at a span of the query: the one diagnostic type
/// every parser uses.
pub type LogqlError = o11y_model::diag::Diagnostic;

pub(super) fn error<T>(span: Span, message: impl Into<String>) -> Result<T, LogqlError> {
    Err(LogqlError::at_span(span, message.into()))
}

#[derive(Clone, Debug, PartialEq)]
pub(super) enum Tok {
    Ident(String),
    Str(String),
    /// A number, a duration (`250ms`) or a byte size (`20MB`), as written.
    Num(String),
    Flag(String),
    Sym(&'static str),
    End,
}

#[derive(Clone, Debug)]
pub(super) struct Token {
    pub tok: Tok,
    pub span: Span,
}

const SYMBOLS: [&str; 25] = [
    "|=", "|~", "!=", "!~", "=~", "==", ">=", "<=", "|", "=", ">", "<", ",", "(", ")", "{", "}",
    "[", "]", "+", "-", "*", "/", "%", "^",
];

pub(super) fn lex(src: &str) -> Result<Vec<Token>, LogqlError> {
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

/// Whether a word names a pipeline stage (`json`, `unwrap`, …).
pub(super) fn is_stage_keyword(name: &str) -> bool {
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

/// Where bytes `inner` of a string literal's value are in the query, the
/// literal (at `literal`) read as the lexer unquotes it; the whole literal
/// when they cannot be told.
pub(super) fn span_in_literal(src: &str, literal: &Span, inner: &Span) -> Span {
    let offset = literal.start + 1;
    let (Some(quote), Some(body)) = (
        src.get(literal.clone()).and_then(|raw| raw.chars().next()),
        src.get(offset..literal.end.saturating_sub(1)),
    ) else {
        return literal.clone();
    };
    let (mut value_at, mut start, mut end) = (0, None, None);
    let mut chars = body.char_indices();
    while let Some((i, c)) = chars.next() {
        if start.is_none() && value_at >= inner.start {
            start = Some(i);
        }
        if value_at >= inner.end {
            end = Some(i);
            break;
        }
        value_at += match (c, quote) {
            ('\\', '"') => match chars.next() {
                Some((_, 'n' | 't' | 'r' | '\\' | '"')) => 1,
                Some((_, other)) => 1 + other.len_utf8(),
                None => 1,
            },
            _ => c.len_utf8(),
        };
    }
    let end = end.unwrap_or(body.len());
    match start {
        Some(start) if start < end => offset + start..offset + end,
        _ => literal.clone(),
    }
}
