//! The `pattern` parser's expression (`<ip> - <_> "<method> <path>"`):
//! literals and named captures, compiled once, matched per line as Loki's
//! `pattern` stage does.

use o11y_model::diag::Diagnostic;

/// `pattern`'s expression: literals and `<name>` captures (`<_>` skips).
#[derive(Clone, Debug, PartialEq)]
pub struct Pattern {
    parts: Vec<PatternPart>,
}

#[derive(Clone, Debug, PartialEq)]
enum PatternPart {
    Literal(String),
    Capture(Option<String>),
}

impl Pattern {
    /// Compiles a pattern; an error's span is the bytes of `text` at fault.
    pub fn parse(text: &str) -> Result<Pattern, Diagnostic> {
        let mut parts = Vec::new();
        let mut rest = text;
        let mut captures = 0;
        while !rest.is_empty() {
            match rest.find('<') {
                Some(open) => {
                    if open > 0 {
                        parts.push(PatternPart::Literal(rest[..open].to_string()));
                    }
                    let after = &rest[open + 1..];
                    match after.find('>') {
                        Some(close)
                            if !after[..close].is_empty()
                                && after[..close]
                                    .chars()
                                    .all(|c| c.is_ascii_alphanumeric() || c == '_') =>
                        {
                            let name = &after[..close];
                            if matches!(parts.last(), Some(PatternPart::Capture(_))) {
                                let at = text.len() - rest.len() + open;
                                return Err(Diagnostic::at_span(
                                    at..at + close + 2,
                                    "two captures in a row need a literal between them",
                                ));
                            }
                            parts.push(PatternPart::Capture(
                                (name != "_").then(|| name.to_string()),
                            ));
                            captures += usize::from(name != "_");
                            rest = &after[close + 1..];
                        }
                        _ => {
                            parts.push(PatternPart::Literal("<".to_string()));
                            rest = after;
                        }
                    }
                }
                None => {
                    parts.push(PatternPart::Literal(rest.to_string()));
                    break;
                }
            }
        }
        if captures == 0 {
            return Err(Diagnostic::at_span(
                0..text.len(),
                "a pattern needs at least one named capture, such as <ip>",
            ));
        }
        Ok(Pattern { parts })
    }

    /// The captures of a line, or `None` if it does not match.
    pub fn matches(&self, line: &str) -> Option<Vec<(String, String)>> {
        let mut out = Vec::new();
        let mut pos = 0;
        let mut i = 0;
        while i < self.parts.len() {
            match &self.parts[i] {
                PatternPart::Literal(l) => {
                    if !line[pos..].starts_with(l.as_str()) {
                        return None;
                    }
                    pos += l.len();
                }
                PatternPart::Capture(name) => {
                    let end = match self.parts.get(i + 1) {
                        Some(PatternPart::Literal(next)) => {
                            pos + line[pos..].find(next.as_str())?
                        }
                        _ => line.len(),
                    };
                    if let Some(n) = name {
                        out.push((n.clone(), line[pos..end].to_string()));
                    }
                    pos = end;
                }
            }
            i += 1;
        }
        Some(out)
    }
}
