//! Token classes of a LogQL query for the editor's highlighting (the
//! same classes as PromQL's): labels inside braces, range functions,
//! stage names and keywords, strings, numbers and durations.

use super::ast::RangeFunc;
use super::lexer::{Span, Tok, is_stage_keyword, lex};

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
            Tok::Ident(n) if RangeFunc::from_name(n).is_some() => C::Function,
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
