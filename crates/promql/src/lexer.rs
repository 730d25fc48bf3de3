//! The PromQL lexer: source text to tokens, each with its byte span.
//!
//! Follows Prometheus's `promql/parser/lex.go`: identifiers (with `:` they
//! are metric identifiers), keywords, numbers (decimal, hex, `Inf`, `NaN`),
//! durations (`1h30m`, `500ms`), strings in double, single or back quotes,
//! operators and `#` comments. A problem gives a [`LexError`] at its span.
//! `unquote` turns a string token into its value, as Go's `strconv.Unquote`.
//!
//! ```
//! use o11y_promql::lexer::{tokenize, TokenKind};
//!
//! let tokens = tokenize("rate(http_requests_total[5m])").unwrap();
//! let kinds: Vec<TokenKind> = tokens.iter().map(|t| t.kind).collect();
//! assert_eq!(kinds, [
//!     TokenKind::Identifier, TokenKind::LeftParen, TokenKind::Identifier,
//!     TokenKind::LeftBracket, TokenKind::Duration, TokenKind::RightBracket,
//!     TokenKind::RightParen,
//! ]);
//! assert_eq!(tokens[4].span, 25..27); // "5m"
//! ```

use std::ops::Range;

/// A byte range in the source.
pub type Span = Range<usize>;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TokenKind {
    Identifier,
    /// An identifier with a `:` (only valid as a metric name).
    MetricIdentifier,
    Number,
    Duration,
    String,
    LeftParen,
    RightParen,
    LeftBrace,
    RightBrace,
    LeftBracket,
    RightBracket,
    Comma,
    Colon,
    At,
    // Operators.
    Add,
    Sub,
    Mul,
    Div,
    Mod,
    Pow,
    Eql,
    Neq,
    Lss,
    Lte,
    Gtr,
    Gte,
    /// `=` (in label matchers).
    Assign,
    EqlRegex,
    NeqRegex,
    // Keywords.
    And,
    Or,
    Unless,
    Atan2,
    By,
    Without,
    On,
    Ignoring,
    GroupLeft,
    GroupRight,
    Bool,
    Offset,
    Start,
    End,
}

impl TokenKind {
    /// The keyword an identifier spells, if any. Aggregation and function
    /// names are not keywords here: the parser tells them from metric names
    /// by what follows.
    fn keyword(word: &str) -> Option<TokenKind> {
        use TokenKind::*;
        Some(match word.to_ascii_lowercase().as_str() {
            "and" => And,
            "or" => Or,
            "unless" => Unless,
            "atan2" => Atan2,
            "by" => By,
            "without" => Without,
            "on" => On,
            "ignoring" => Ignoring,
            "group_left" => GroupLeft,
            "group_right" => GroupRight,
            "bool" => Bool,
            "offset" => Offset,
            "start" => Start,
            "end" => End,
            _ => return None,
        })
    }

    /// How the token is written, for error messages.
    pub fn describe(self) -> &'static str {
        use TokenKind::*;
        match self {
            Identifier => "identifier",
            MetricIdentifier => "metric name",
            Number => "number",
            Duration => "duration",
            String => "string",
            LeftParen => "\"(\"",
            RightParen => "\")\"",
            LeftBrace => "\"{\"",
            RightBrace => "\"}\"",
            LeftBracket => "\"[\"",
            RightBracket => "\"]\"",
            Comma => "\",\"",
            Colon => "\":\"",
            At => "\"@\"",
            Add => "\"+\"",
            Sub => "\"-\"",
            Mul => "\"*\"",
            Div => "\"/\"",
            Mod => "\"%\"",
            Pow => "\"^\"",
            Eql => "\"==\"",
            Neq => "\"!=\"",
            Lss => "\"<\"",
            Lte => "\"<=\"",
            Gtr => "\">\"",
            Gte => "\">=\"",
            Assign => "\"=\"",
            EqlRegex => "\"=~\"",
            NeqRegex => "\"!~\"",
            And => "\"and\"",
            Or => "\"or\"",
            Unless => "\"unless\"",
            Atan2 => "\"atan2\"",
            By => "\"by\"",
            Without => "\"without\"",
            On => "\"on\"",
            Ignoring => "\"ignoring\"",
            GroupLeft => "\"group_left\"",
            GroupRight => "\"group_right\"",
            Bool => "\"bool\"",
            Offset => "\"offset\"",
            Start => "\"start\"",
            End => "\"end\"",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Token {
    pub kind: TokenKind,
    pub span: Span,
}

/// A character sequence that is no token, at its span.
pub type LexError = o11y_model::diag::Diagnostic;

fn is_ident_start(c: u8) -> bool {
    c.is_ascii_alphabetic() || c == b'_'
}

fn is_ident_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

/// Duration units, longest first so `ms` wins over `m`.
const DURATION_UNITS: [&str; 7] = ["ms", "s", "m", "h", "d", "w", "y"];

/// Splits PromQL source into tokens; comments and blanks are skipped.
pub fn tokenize(source: &str) -> Result<Vec<Token>, LexError> {
    let bytes = source.as_bytes();
    let mut tokens = Vec::new();
    let mut pos = 0;
    let err = |span: Span, message: String| LexError::at_span(span, message);
    while pos < bytes.len() {
        let start = pos;
        let c = bytes[pos];
        let single = |kind| Token {
            kind,
            span: start..start + 1,
        };
        let double = |kind| Token {
            kind,
            span: start..start + 2,
        };
        let next = bytes.get(pos + 1).copied();
        let token = match c {
            b' ' | b'\t' | b'\n' | b'\r' => {
                pos += 1;
                continue;
            }
            b'#' => {
                while pos < bytes.len() && bytes[pos] != b'\n' {
                    pos += 1;
                }
                continue;
            }
            b'(' => single(TokenKind::LeftParen),
            b')' => single(TokenKind::RightParen),
            b'{' => single(TokenKind::LeftBrace),
            b'}' => single(TokenKind::RightBrace),
            b'[' => single(TokenKind::LeftBracket),
            b']' => single(TokenKind::RightBracket),
            b',' => single(TokenKind::Comma),
            b':' => single(TokenKind::Colon),
            b'@' => single(TokenKind::At),
            b'+' => single(TokenKind::Add),
            b'-' => single(TokenKind::Sub),
            b'*' => single(TokenKind::Mul),
            b'/' => single(TokenKind::Div),
            b'%' => single(TokenKind::Mod),
            b'^' => single(TokenKind::Pow),
            b'=' => match next {
                Some(b'=') => double(TokenKind::Eql),
                Some(b'~') => double(TokenKind::EqlRegex),
                _ => single(TokenKind::Assign),
            },
            b'!' => match next {
                Some(b'=') => double(TokenKind::Neq),
                Some(b'~') => double(TokenKind::NeqRegex),
                _ => {
                    return Err(err(
                        start..start + 1,
                        "unexpected character after '!'; expected \"!=\" or \"!~\"".into(),
                    ));
                }
            },
            b'<' => match next {
                Some(b'=') => double(TokenKind::Lte),
                _ => single(TokenKind::Lss),
            },
            b'>' => match next {
                Some(b'=') => double(TokenKind::Gte),
                _ => single(TokenKind::Gtr),
            },
            b'"' | b'\'' | b'`' => {
                let end =
                    string_end(bytes, start).map_err(|message| err(start..bytes.len(), message))?;
                Token {
                    kind: TokenKind::String,
                    span: start..end,
                }
            }
            b'0'..=b'9' | b'.' => {
                let (kind, end) = number_or_duration(source, start)
                    .map_err(|(end, message)| err(start..end, message))?;
                Token {
                    kind,
                    span: start..end,
                }
            }
            c if is_ident_start(c) => {
                let mut end = start;
                let mut has_colon = false;
                while end < bytes.len() && (is_ident_char(bytes[end]) || bytes[end] == b':') {
                    has_colon |= bytes[end] == b':';
                    end += 1;
                }
                let word = &source[start..end];
                let kind = if has_colon {
                    TokenKind::MetricIdentifier
                } else if word.eq_ignore_ascii_case("inf") || word.eq_ignore_ascii_case("nan") {
                    TokenKind::Number
                } else {
                    TokenKind::keyword(word).unwrap_or(TokenKind::Identifier)
                };
                Token {
                    kind,
                    span: start..end,
                }
            }
            _ => {
                let ch = source[start..].chars().next().unwrap_or('?');
                return Err(err(
                    start..start + ch.len_utf8(),
                    format!("unexpected character {ch:?}"),
                ));
            }
        };
        pos = token.span.end;
        tokens.push(token);
    }
    Ok(tokens)
}

/// The end of the string starting at `start` (after its closing quote).
fn string_end(bytes: &[u8], start: usize) -> Result<usize, String> {
    let quote = bytes[start];
    let mut pos = start + 1;
    while pos < bytes.len() {
        match bytes[pos] {
            b'\\' if quote != b'`' => pos += 2,
            b'\n' if quote != b'`' => {
                return Err("unterminated quoted string: a newline inside".to_string());
            }
            c if c == quote => return Ok(pos + 1),
            _ => pos += 1,
        }
    }
    Err("unterminated quoted string".to_string())
}

/// Unquotes a string token as Go's `strconv.Unquote` does.
pub(crate) fn unquote(raw: &str) -> std::result::Result<String, String> {
    let quote = raw.chars().next().unwrap_or('"');
    let inner = &raw[1..raw.len().saturating_sub(1).max(1)];
    if quote == '`' {
        return Ok(inner.to_string());
    }
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        let escaped = chars.next().ok_or("unterminated escape")?;
        let code = |count: usize, radix: u32, chars: &mut std::iter::Peekable<std::str::Chars>| {
            let digits: String = (0..count).filter_map(|_| chars.next()).collect();
            if digits.len() != count {
                return Err("escape sequence is too short".to_string());
            }
            u32::from_str_radix(&digits, radix)
                .map_err(|_| format!("invalid escape digits {digits:?}"))
        };
        match escaped {
            'a' => out.push('\u{7}'),
            'b' => out.push('\u{8}'),
            'f' => out.push('\u{c}'),
            'n' => out.push('\n'),
            'r' => out.push('\r'),
            't' => out.push('\t'),
            'v' => out.push('\u{b}'),
            '\\' => out.push('\\'),
            '\'' | '"' if escaped == quote => out.push(escaped),
            'x' => out.push(char::from_u32(code(2, 16, &mut chars)?).ok_or("invalid character")?),
            'u' => out.push(char::from_u32(code(4, 16, &mut chars)?).ok_or("invalid character")?),
            'U' => out.push(char::from_u32(code(8, 16, &mut chars)?).ok_or("invalid character")?),
            '0'..='7' => {
                let rest = code(2, 8, &mut chars)?;
                let value = (escaped as u32 - '0' as u32) * 64 + rest;
                out.push(
                    char::from_u32(value)
                        .filter(|_| value < 256)
                        .ok_or("octal escape out of range")?,
                );
            }
            other => return Err(format!("unknown escape sequence \\{other}")),
        }
    }
    Ok(out)
}

/// A number (decimal, exponent or hex) or a duration (`5m`, `1h30m`).
/// On error, the end of the bad text and why.
fn number_or_duration(source: &str, start: usize) -> Result<(TokenKind, usize), (usize, String)> {
    let bytes = source.as_bytes();
    let mut pos = start;
    if source[start..].starts_with("0x") || source[start..].starts_with("0X") {
        pos += 2;
        while pos < bytes.len() && bytes[pos].is_ascii_hexdigit() {
            pos += 1;
        }
        return Ok((TokenKind::Number, pos));
    }
    let digits = |mut p: usize| {
        while p < bytes.len() && bytes[p].is_ascii_digit() {
            p += 1;
        }
        p
    };
    pos = digits(pos);
    // A duration: digits followed by a unit, possibly several in a row.
    if pos > start
        && pos < bytes.len()
        && DURATION_UNITS.iter().any(|u| source[pos..].starts_with(u))
    {
        let mut end = start;
        loop {
            let after_digits = digits(end);
            if after_digits == end {
                break;
            }
            let Some(unit) = DURATION_UNITS
                .iter()
                .find(|u| source[after_digits..].starts_with(**u))
            else {
                break;
            };
            end = after_digits + unit.len();
        }
        if end < bytes.len() && is_ident_char(bytes[end]) {
            let bad_end = bytes[end..]
                .iter()
                .position(|c| !is_ident_char(*c))
                .map_or(bytes.len(), |n| end + n);
            return Err((
                bad_end,
                format!(
                    "bad number or duration syntax: {:?}",
                    &source[start..bad_end]
                ),
            ));
        }
        return Ok((TokenKind::Duration, end));
    }
    if pos < bytes.len() && bytes[pos] == b'.' {
        pos = digits(pos + 1);
    }
    if pos < bytes.len() && (bytes[pos] == b'e' || bytes[pos] == b'E') {
        let mut exp = pos + 1;
        if exp < bytes.len() && (bytes[exp] == b'+' || bytes[exp] == b'-') {
            exp += 1;
        }
        let exp_end = digits(exp);
        if exp_end > exp {
            pos = exp_end;
        }
    }
    if pos == start || &source[start..pos] == "." {
        return Err((start + 1, "bad number syntax: \".\"".to_string()));
    }
    if pos < bytes.len() && (is_ident_char(bytes[pos]) || bytes[pos] == b'.') {
        let bad_end = bytes[pos..]
            .iter()
            .position(|c| !(is_ident_char(*c) || *c == b'.'))
            .map_or(bytes.len(), |n| pos + n);
        return Err((
            bad_end,
            format!(
                "bad number or duration syntax: {:?}",
                &source[start..bad_end]
            ),
        ));
    }
    Ok((TokenKind::Number, pos))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(source: &str) -> Vec<(TokenKind, &str)> {
        tokenize(source)
            .unwrap()
            .into_iter()
            .map(|t| (t.kind, &source[t.span]))
            .collect()
    }

    #[test]
    fn operators_and_matchers() {
        use TokenKind::*;
        assert_eq!(
            kinds(r#"a{b="c",d!="e",f=~"g",h!~"i"} >= 2 != 3 == 4 <= 5 < 6 > 7"#)
                .iter()
                .map(|k| k.0)
                .collect::<Vec<_>>(),
            [
                Identifier, LeftBrace, Identifier, Assign, String, Comma, Identifier, Neq, String,
                Comma, Identifier, EqlRegex, String, Comma, Identifier, NeqRegex, String,
                RightBrace, Gte, Number, Neq, Number, Eql, Number, Lte, Number, Lss, Number, Gtr,
                Number
            ]
        );
    }

    #[test]
    fn numbers_durations_and_keywords() {
        use TokenKind::*;
        assert_eq!(
            kinds(
                "1 1.5 .5 1e3 2E-2 0x1F Inf nan 5m 1h30m 500ms 1y offset BY Sum job:rate:5m # comment"
            ),
            [
                (Number, "1"),
                (Number, "1.5"),
                (Number, ".5"),
                (Number, "1e3"),
                (Number, "2E-2"),
                (Number, "0x1F"),
                (Number, "Inf"),
                (Number, "nan"),
                (Duration, "5m"),
                (Duration, "1h30m"),
                (Duration, "500ms"),
                (Duration, "1y"),
                (Offset, "offset"),
                (By, "BY"),
                (Identifier, "Sum"),
                (MetricIdentifier, "job:rate:5m"),
            ]
        );
    }

    #[test]
    fn strings_in_three_quotes() {
        assert_eq!(
            kinds(r#""a\"b" 'c\'d' `e\f`"#)
                .iter()
                .map(|k| k.1)
                .collect::<Vec<_>>(),
            [r#""a\"b""#, r#"'c\'d'"#, r"`e\f`"]
        );
    }

    #[test]
    fn unquote_follows_go() {
        assert_eq!(unquote(r#""a\"b\n""#).unwrap(), "a\"b\n");
        assert_eq!(unquote(r"'\x41\u00e9\101\''").unwrap(), "AéA'");
        // Back quotes are raw.
        assert_eq!(unquote(r"`a\n`").unwrap(), r"a\n");
        assert_eq!(
            unquote(r#""\q""#).unwrap_err(),
            r"unknown escape sequence \q"
        );
        // A single quote is escaped only inside single quotes.
        assert_eq!(
            unquote(r#""\'""#).unwrap_err(),
            r"unknown escape sequence \'"
        );
        assert_eq!(
            unquote(r#""\400""#).unwrap_err(),
            "octal escape out of range"
        );
        assert_eq!(
            unquote(r#""\x4""#).unwrap_err(),
            "escape sequence is too short"
        );
    }

    #[test]
    fn errors_have_spans() {
        assert_eq!(tokenize("a ! b").unwrap_err().span, 2..3);
        assert_eq!(tokenize("up{a=\"b}").unwrap_err().span, 5..8);
        assert_eq!(
            tokenize("rate(x[5mm])").unwrap_err().message,
            "bad number or duration syntax: \"5mm\""
        );
        assert_eq!(tokenize("1.2.3").unwrap_err().span, 0..5);
        assert_eq!(tokenize("a § b").unwrap_err().span, 2..4);
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_input_never_panics(source in "\\PC{0,64}") {
            let _ = tokenize(&source);
        }

        #[test]
        fn promql_like_input_never_panics(source in "[a-z0-9_:{}()\\[\\],=!~<>+*/%^@.\"'` #\\\\-]{0,64}") {
            if let Ok(tokens) = tokenize(&source) {
                for t in tokens {
                    proptest::prop_assert!(t.span.start < t.span.end && t.span.end <= source.len());
                }
            }
        }
    }
}
