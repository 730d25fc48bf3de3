//! What goes wrong: [`TemplateError`] for a template that does not parse
//! or fails while running, and [`CallError`] for one function call.
//!
//! ```
//! use o11y_template::Template;
//!
//! let err = Template::parse("t", "a\n{{ nope }}", &[]).unwrap_err();
//! assert_eq!(err.to_string(), "template: t:2: function \"nope\" not defined");
//! assert_eq!(err.span, 2..12);
//! // As a diagnostic: the same span and text.
//! let d = o11y_model::diag::Diagnostic::from(&err);
//! assert_eq!((d.span.clone(), d.to_string()), (2..12, err.to_string()));
//! ```

use std::ops::Range;

/// A template that could not be parsed, or failed while running.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("template: {name}:{line}: {message}")]
pub struct TemplateError {
    /// The template's name (`__alert_HighErrorRate`, `line`).
    pub name: String,
    /// The 1-based line of the template text.
    pub line: usize,
    pub message: String,
    /// The bytes of the template text the error is about: the action
    /// (`{{…}}`) that did not parse or failed, or the end of the text
    /// for an unclosed block.
    pub span: Range<usize>,
}

impl From<&TemplateError> for o11y_model::diag::Diagnostic {
    /// The error's span of the template text, with its Go text (`template:
    /// NAME:LINE: …`) as the message: the name and line are part of what
    /// Prometheus users read.
    fn from(e: &TemplateError) -> o11y_model::diag::Diagnostic {
        o11y_model::diag::Diagnostic::at_span(e.span.clone(), e.to_string())
    }
}

/// Occurs when one function call fails; the runner names the template
/// and line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum CallError {
    /// Occurs when a function gets too few or too many arguments: Go
    /// reports it as is (`wrong number of args for len: want 1 got 2`).
    Args(String),
    /// Occurs when a function returns an error: Go reports it as `error
    /// calling NAME: …`.
    Failed(String),
}

impl CallError {
    /// `wrong number of args for NAME: want N got M`.
    pub(crate) fn arity(name: &str, want: usize, got: usize) -> CallError {
        CallError::Args(format!(
            "wrong number of args for {name}: want {want} got {got}"
        ))
    }
}

/// Go's arity check: exactly `want` arguments.
pub(crate) fn want<T>(name: &str, args: &[T], want: usize) -> Result<(), CallError> {
    if args.len() == want {
        Ok(())
    } else {
        Err(CallError::arity(name, want, args.len()))
    }
}
