//! Alertmanager's matchers: `parse_matchers` as its default mode reads
//! them (the UTF-8 parser of `matcher/parse`, falling back to the classic
//! `pkg/labels` one), with regexes compiled in Go's dialect, and a
//! matcher written back as text.

use o11y_model::diag::Diagnostic;
use o11y_model::labels::{MatchOp, Matcher};

/// Parses one matcher as Alertmanager writes them: `name="value"`,
/// `name=~"re"`, `name!=value` (quotes optional), without braces. The
/// error is Alertmanager's text, without a place.
pub fn parse_matcher(text: &str) -> Result<Matcher, Diagnostic> {
    if text.starts_with('{') || text.ends_with('}') {
        return Err(Diagnostic::new(format!(
            "unexpected open or close brace: {text}"
        )));
    }
    let mut all = parse_matchers(text)?;
    match (all.pop(), all.is_empty()) {
        (Some(m), true) => Ok(m),
        (None, _) => Err(Diagnostic::new("no matchers")),
        (Some(_), false) => Err(Diagnostic::new(format!(
            "expected 1 matcher, found {}",
            all.len() + 1
        ))),
    }
}

/// Parses one entry of a `matchers` list: any number of matchers,
/// separated by commas, in optional braces (`{a="1", b=~"x|y"}`).
/// Alertmanager's default mode: what its UTF-8 parser or, failing that,
/// its classic parser takes; the classic parser's error if neither does.
pub fn parse_matchers(text: &str) -> Result<Vec<Matcher>, Diagnostic> {
    classic_matchers(text)
        .or_else(|classic| utf8_matchers(text).map_err(|_| classic))
        .map_err(Diagnostic::new)
}

/// `pkg/labels.ParseMatchers`: braces trimmed, split at commas outside
/// double quotes, each part a matcher (an empty last part is ignored).
fn classic_matchers(text: &str) -> Result<Vec<Matcher>, String> {
    let s = text.strip_prefix('{').unwrap_or(text);
    let s = s.strip_suffix('}').unwrap_or(s);
    let (mut parts, mut part) = (Vec::new(), String::new());
    let (mut quoted, mut escaped) = (false, false);
    for c in s.chars() {
        match c {
            ',' if !quoted => {
                parts.push(std::mem::take(&mut part));
                continue;
            }
            ',' => {}
            '"' if escaped => escaped = false,
            '"' => quoted = !quoted,
            '\\' => escaped = !escaped,
            _ => escaped = false,
        }
        part.push(c);
    }
    if !part.trim().is_empty() {
        parts.push(part.trim().to_string());
    }
    parts.iter().map(|p| classic_matcher(p)).collect()
}

/// `pkg/labels.ParseMatcher`: a classic label name, an operator, and a
/// value, quoted or not, with `\"`, `\n` and `\\` unescaped.
fn classic_matcher(text: &str) -> Result<Matcher, String> {
    let (name, op, raw) =
        classic_shape(text).ok_or_else(|| format!("bad matcher format: {text}"))?;
    let (body, mut open_quote) = match raw.strip_prefix('"') {
        Some(rest) => (rest, true),
        None => (raw, false),
    };
    let unescaped_quote = || format!("matcher value contains unescaped double quote: {raw}");
    let mut value = String::new();
    let mut chars = body.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' if chars.peek().is_some() => {
                let Some((_, next)) = chars.next() else { break };
                match next {
                    'n' => value.push('\n'),
                    '"' | '\\' => value.push(next),
                    other => {
                        value.push('\\');
                        value.push(other);
                    }
                }
            }
            '"' => {
                if !open_quote || i + 1 < body.len() {
                    return Err(unescaped_quote());
                }
                open_quote = false;
            }
            _ => value.push(c),
        }
    }
    if open_quote {
        return Err(unescaped_quote());
    }
    new_matcher(op, name, &value)
}

/// The parts of a classic matcher, as Alertmanager's pattern
/// `^\s*([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(=~|=|!=|!~)\s*((?s).*?)\s*$` splits it
/// (Go's `\s`: tab, newline, form feed, carriage return, space), without
/// compiling that pattern (slow in the page's first frame).
fn classic_shape(text: &str) -> Option<(&str, &str, &str)> {
    let space = |c: char| matches!(c, '\t' | '\n' | '\x0C' | '\r' | ' ');
    let s = text.trim_start_matches(space);
    let name_len = s
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':'))
        .unwrap_or(s.len());
    let name = &s[..name_len];
    if !name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_' || c == ':') {
        return None;
    }
    let s = s[name_len..].trim_start_matches(space);
    let op = ["=~", "=", "!=", "!~"]
        .into_iter()
        .find(|op| s.starts_with(op))?;
    let raw = s[op.len()..]
        .trim_start_matches(space)
        .trim_end_matches(space);
    Some((name, op, raw))
}

/// `labels.NewMatcher`: a regex is Go's, anchored (`^(?:…)$`).
pub(super) fn new_matcher(op: &str, name: &str, value: &str) -> Result<Matcher, String> {
    let op = match op {
        "=" => MatchOp::Equal,
        "!=" => MatchOp::NotEqual,
        "=~" => MatchOp::Regex,
        _ => MatchOp::NotRegex,
    };
    let pattern = match op {
        // Anchored already: anchoring it again changes nothing.
        MatchOp::Regex | MatchOp::NotRegex => {
            o11y_metrics::relabel::go_regex(&format!("^(?:{value})$"))
                .map_err(|e| format!("error parsing regexp: {e}"))?
        }
        MatchOp::Equal | MatchOp::NotEqual => value.to_string(),
    };
    let mut matcher =
        Matcher::new(op, name, &pattern).map_err(|e| format!("error parsing regexp: {e}"))?;
    matcher.value = value.to_string();
    Ok(matcher)
}

/// A token of Alertmanager's UTF-8 matchers parser (`matcher/parse`).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Tok<'a> {
    Open,
    Close,
    Comma,
    Op(&'a str),
    Quoted(&'a str),
    Unquoted(&'a str),
}

/// `matcher/parse`'s lexer: every token, or the first error.
fn utf8_tokens(text: &str) -> Result<Vec<Tok<'_>>, String> {
    let reserved = |c: char| c.is_whitespace() || "{}!=~,\\\"'`".contains(c);
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        let len = match c {
            '{' | '}' | ',' => {
                out.push(match c {
                    '{' => Tok::Open,
                    '}' => Tok::Close,
                    _ => Tok::Comma,
                });
                1
            }
            '=' | '!' => {
                let len = match (c, rest[1..].chars().next()) {
                    ('=' | '!', Some('~')) | ('!', Some('=')) => 2,
                    ('=', _) => 1,
                    _ => return Err(format!("{rest}: expected one of '=~'")),
                };
                out.push(Tok::Op(&rest[..len]));
                len
            }
            '"' => {
                let mut escaped = false;
                let end = rest[1..].char_indices().find_map(|(i, c)| {
                    let at_end = c == '"' && !escaped;
                    escaped = !escaped && c == '\\';
                    at_end.then_some(i + 2)
                });
                let end = end.ok_or_else(|| format!("{rest}: missing end \""))?;
                out.push(Tok::Quoted(&rest[..end]));
                end
            }
            c if c.is_whitespace() => c.len_utf8(),
            c if !reserved(c) => {
                let end = rest.find(reserved).unwrap_or(rest.len());
                out.push(Tok::Unquoted(&rest[..end]));
                end
            }
            _ => return Err(format!("{rest}: invalid input")),
        };
        rest = &rest[len..];
    }
    Ok(out)
}

/// `matcher/parse.Matchers`: `{`? (matcher (`,` matcher)* `,`?)? `}`?,
/// braces in pairs.
fn utf8_matchers(text: &str) -> Result<Vec<Matcher>, String> {
    let tokens = utf8_tokens(text)?;
    let mut at = 0;
    let open = tokens.first() == Some(&Tok::Open);
    if open {
        at += 1;
    }
    let text_of = |t: Option<&Tok>| -> Result<String, String> {
        match t {
            Some(Tok::Unquoted(s)) => Ok(s.to_string()),
            Some(Tok::Quoted(s)) => go_unquote(s).ok_or_else(|| format!("{s}: invalid input")),
            _ => Err(format!("expected a label name or value in {text}")),
        }
    };
    let mut out = Vec::new();
    while matches!(tokens.get(at), Some(Tok::Quoted(_) | Tok::Unquoted(_))) {
        let name = text_of(tokens.get(at))?;
        let Some(Tok::Op(op)) = tokens.get(at + 1) else {
            return Err(format!(
                "expected an operator such as '=', '!=', '=~' or '!~' in {text}"
            ));
        };
        let value = text_of(tokens.get(at + 2))?;
        out.push(new_matcher(op, &name, &value)?);
        at += 3;
        match tokens.get(at) {
            Some(Tok::Comma) => at += 1,
            Some(Tok::Close) | None => break,
            Some(_) => return Err(format!("expected a comma or close brace in {text}")),
        }
    }
    if open {
        if tokens.get(at) != Some(&Tok::Close) {
            return Err(format!("expected close brace in {text}"));
        }
        at += 1;
    } else if tokens.get(at) == Some(&Tok::Close) {
        return Err(format!("expected opening brace in {text}"));
    }
    if at < tokens.len() {
        return Err(format!("expected end of input in {text}"));
    }
    Ok(out)
}

/// Go's `strconv.Unquote` of a double-quoted string.
fn go_unquote(quoted: &str) -> Option<String> {
    let body = quoted.strip_prefix('"')?.strip_suffix('"')?;
    if body.contains('\n') {
        return None;
    }
    let mut out = String::new();
    let mut chars = body.chars();
    while let Some(c) = chars.next() {
        if c == '"' {
            return None;
        }
        if c != '\\' {
            out.push(c);
            continue;
        }
        let hex = |chars: &mut std::str::Chars, n: usize| -> Option<u32> {
            let digits: String = chars.by_ref().take(n).collect();
            (digits.len() == n && digits.chars().all(|c| c.is_ascii_hexdigit()))
                .then(|| u32::from_str_radix(&digits, 16).ok())
                .flatten()
        };
        match chars.next()? {
            'a' => out.push('\x07'),
            'b' => out.push('\x08'),
            'f' => out.push('\x0C'),
            'n' => out.push('\n'),
            'r' => out.push('\r'),
            't' => out.push('\t'),
            'v' => out.push('\x0B'),
            '\\' => out.push('\\'),
            '"' => out.push('"'),
            // A byte: Go allows any, a Rust string only ASCII ones.
            'x' => out.push(char::from_u32(hex(&mut chars, 2)?).filter(char::is_ascii)?),
            'u' => out.push(char::from_u32(hex(&mut chars, 4)?)?),
            'U' => out.push(char::from_u32(hex(&mut chars, 8)?)?),
            d @ '0'..='7' => {
                let rest: String = chars.by_ref().take(2).collect();
                let code = u32::from_str_radix(&format!("{d}{rest}"), 8).ok()?;
                (rest.len() == 2 && code <= 0x7F).then_some(())?;
                out.push(char::from_u32(code)?);
            }
            _ => return None,
        }
    }
    Some(out)
}

/// A matcher as Alertmanager writes it in a route's key: `name="value"`.
pub(super) fn matcher_text(m: &Matcher) -> String {
    let op = match m.op {
        MatchOp::Equal => "=",
        MatchOp::NotEqual => "!=",
        MatchOp::Regex => "=~",
        MatchOp::NotRegex => "!~",
    };
    format!("{}{op}{:?}", m.name, m.value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alertmanager::AmConfig;
    use crate::alertmanager::fixtures::{errors, with_route};

    #[test]
    fn a_classic_matcher_splits_as_alertmanagers_pattern_does() {
        let pattern = regex::Regex::new(
            r"^[\t\n\x0C\r ]*([a-zA-Z_:][a-zA-Z0-9_:]*)[\t\n\x0C\r ]*(=~|=|!=|!~)[\t\n\x0C\r ]*((?s).*?)[\t\n\x0C\r ]*$",
        )
        .unwrap();
        let alphabet: Vec<char> = "ab1_: \t\n\r\x0B\x0C=!~\"é".chars().collect();
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        for _ in 0..20_000 {
            let mut text = String::new();
            for _ in 0..(state >> 60) {
                state = state
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1);
                text.push(alphabet[(state >> 33) as usize % alphabet.len()]);
            }
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1);
            let expected = pattern.captures(&text).map(|c| {
                (
                    c.get(1).unwrap().as_str(),
                    c.get(2).unwrap().as_str(),
                    c.get(3).unwrap().as_str(),
                )
            });
            assert_eq!(classic_shape(&text), expected, "{text:?}");
        }
    }

    #[test]
    fn matcher_with_an_unclosed_quote_is_refused() {
        // The value was taken as the text `"page`; Alertmanager refuses it.
        let text = with_route("  routes:\n    - matchers: ['severity=\"page']\n", "");
        assert_eq!(
            errors(&text),
            ["4:18: matcher value contains unescaped double quote: \"page"]
        );
        assert!(parse_matcher("a=\"x").is_err());
        assert!(parse_matcher("{a=\"x\"}").is_err(), "braces hold several");
    }

    #[test]
    fn a_matchers_entry_may_hold_several_matchers_or_none() {
        // `'a="1", b=~"x|y"'` is two matchers (it was one, `a` equal to
        // `1", b=~"x|y`); `''` is none, even on the root route.
        let c = AmConfig::parse(&with_route(
            "  matchers: ['']\n  routes:\n    - matchers: ['{a=\"1\", b=~\"x|y\"}', 'c!=3,']\n",
            "",
        ))
        .unwrap();
        let got: Vec<String> = c.route.routes[0]
            .matchers
            .iter()
            .map(matcher_text)
            .collect();
        assert_eq!(got, ["a=\"1\"", "b=~\"x|y\"", "c!=\"3\""]);
        assert!(c.route.matchers.is_empty());
        let m = parse_matchers(r#"msg="a, \"b\"", path=~/api/.*"#).unwrap();
        assert_eq!(
            (m[0].value.as_str(), m[1].value.as_str()),
            (r#"a, "b""#, "/api/.*")
        );
        // Either of Alertmanager's parsers will do: a UTF-8 name in quotes…
        assert_eq!(
            parse_matchers(r#""service name"="web""#).unwrap()[0].name,
            "service name"
        );
        // …and neither takes these.
        for bad in ["a=1,,b=2", "=x", "a", "a=\"1", "{a=\"1\"}}", "a~b"] {
            assert!(parse_matchers(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn regex_matchers_are_go_regexes() {
        // `\Q…\E`, a `{` that starts no repetition, octal escapes: Go takes
        // them, the regex crate did not; a repetition over 1000 the reverse.
        let m = parse_matcher(r#"path=~"\Q/v1.0\E.*""#).unwrap();
        assert_eq!(m.value, r"\Q/v1.0\E.*", "shown as written");
        assert!(m.matches_value("/v1.0/x") && !m.matches_value("/v1x0/x"));
        assert!(
            parse_matcher(r#"code=~"5{,2}""#)
                .unwrap()
                .matches_value("5{,2}")
        );
        assert!(parse_matcher(r#"x=~"\101""#).unwrap().matches_value("A"));
        // Go anchors with `^(?:…)$`, so this is a valid alternation.
        assert!(parse_matcher(r#"x=~"a)|(b""#).unwrap().matches_value("b"));
        let e = parse_matcher(r#"x=~"[0-9]{1001}""#).unwrap_err();
        assert!(e.to_string().contains("invalid repeat count"), "{e}");
        let text = with_route("  routes:\n    - match_re: {x: 'a**'}\n", "");
        assert!(errors(&text)[0].contains("invalid nested repetition operator"));
    }
}
