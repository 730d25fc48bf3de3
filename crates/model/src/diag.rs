//! Diagnostics: what is wrong in a piece of user text and where. Every
//! parser and config reader of the workspace reports its problems as a
//! [`Diagnostic`] (PromQL's `ParseError`, a rule file's `RuleError`,
//! Alertmanager's `ConfigError` and the others are this type under their
//! old names); an error that must keep more shape (an enum of cases, a
//! template's name) converts into one with `Diagnostic::from(&error)`.
//!
//! The place is one of three kinds, whichever the input has: a byte span
//! of a one-line input (a query, a selector), a 1-based line and column of
//! a document (YAML), or a path or field name (a JSON path, a form field).
//! The message says what is wrong, and `expected` lists what the parser
//! would have taken instead when it knew.
//!
//! ```
//! use o11y_model::diag::Diagnostic;
//!
//! // A query: the span underlines, the text is the message alone.
//! let e = Diagnostic::at_span(4..5, "unexpected \")\"").expecting("a label name");
//! assert_eq!((e.span.clone(), e.to_string()), (4..5, "unexpected \")\"".to_string()));
//! // A document: the line and column lead.
//! assert_eq!(Diagnostic::at_line(3, 7, "bad").to_string(), "3:7: bad");
//! // A JSON path or a form field leads too.
//! assert_eq!(Diagnostic::at_path("spans[0].traceId", "bad").to_string(), "spans[0].traceId: bad");
//! ```

use std::fmt;
use std::ops::Range;

/// What is wrong and where. The position fields that do not apply are
/// left empty: `span` `0..0`, `line` and `col` 0, `path` empty.
///
/// Its text (`Display`) is the position a reader needs, then the message:
/// `"{line}:{col}: "` when there is a line, then `"{path}: "` when there is
/// a path, then the message. A span is not written: it is for the editor
/// to underline. `expected` is not written either: the message says it in
/// words already.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Diagnostic {
    /// The bytes of the input the problem is about, for one-line inputs
    /// (a PromQL query, a LogQL query, a selector); `0..0` when unknown.
    pub span: Range<usize>,
    /// The 1-based line of a document; 0 when the problem has no line.
    pub line: usize,
    /// The 1-based column on `line`, in characters; 0 when there is no line.
    pub col: usize,
    /// Where in a structure: a JSON path (`resourceSpans[0].scopeSpans[0]`),
    /// a form field (`name`); empty when none.
    pub path: String,
    /// What is wrong, as the user reads it.
    pub message: String,
    /// What the parser would have taken where it stopped, when it knew
    /// (empty otherwise): each as messages write it, a token in quotes
    /// (`"\")\""`), anything else in words (`"a label name"`).
    pub expected: Vec<String>,
}

impl Diagnostic {
    /// A problem without a place (the whole input).
    pub fn new(message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            message: message.into(),
            ..Diagnostic::default()
        }
    }

    /// A problem at a byte span of a one-line input.
    pub fn at_span(span: Range<usize>, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            span,
            ..Diagnostic::new(message)
        }
    }

    /// A problem at a 1-based line and column of a document.
    pub fn at_line(line: usize, col: usize, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            line,
            col,
            ..Diagnostic::new(message)
        }
    }

    /// A problem at a path in a structure, or in a form field.
    pub fn at_path(path: impl Into<String>, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            path: path.into(),
            ..Diagnostic::new(message)
        }
    }

    /// The same problem, also naming the path it is at.
    pub fn with_path(self, path: impl Into<String>) -> Diagnostic {
        Diagnostic {
            path: path.into(),
            ..self
        }
    }

    /// The same problem, with one more thing the parser would have taken.
    pub fn expecting(mut self, what: impl Into<String>) -> Diagnostic {
        self.expected.push(what.into());
        self
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line > 0 {
            write!(f, "{}:{}: ", self.line, self.col)?;
        }
        if !self.path.is_empty() {
            write!(f, "{}: ", self.path)?;
        }
        f.write_str(&self.message)
    }
}

impl std::error::Error for Diagnostic {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_span_is_not_written() {
        let e = Diagnostic::at_span(3..9, "unexpected end of input");
        assert_eq!(e.to_string(), "unexpected end of input");
        assert_eq!((e.span.clone(), e.line, e.col), (3..9, 0, 0));
    }

    #[test]
    fn a_line_and_column_lead() {
        assert_eq!(
            Diagnostic::at_line(12, 5, "field x not found").to_string(),
            "12:5: field x not found"
        );
    }

    #[test]
    fn without_a_line_the_message_is_alone() {
        let e = Diagnostic::at_line(0, 0, "template: x:1: unexpected EOF");
        assert_eq!(e.to_string(), "template: x:1: unexpected EOF");
        assert_eq!(Diagnostic::new("no matchers").to_string(), "no matchers");
    }

    #[test]
    fn a_path_leads_after_the_line() {
        assert_eq!(
            Diagnostic::at_path("$.resourceSpans", "must be a list").to_string(),
            "$.resourceSpans: must be a list"
        );
        assert_eq!(
            Diagnostic::at_line(4, 9, "must be positive")
                .with_path("services[0].replicas")
                .to_string(),
            "4:9: services[0].replicas: must be positive"
        );
    }

    #[test]
    fn what_was_expected_is_kept_but_not_written() {
        let e = Diagnostic::at_span(0..1, "unexpected \",\": expected \")\"")
            .expecting("\")\"")
            .expecting("a label name");
        assert_eq!(e.expected, ["\")\"", "a label name"]);
        assert_eq!(e.to_string(), "unexpected \",\": expected \")\"");
    }
}
