//! The parsed template: text and actions ([`Node`]), pipelines of
//! commands ([`Pipe`]) and their arguments ([`Arg`]). The parser
//! (`parse.rs`) builds it, the runner (`exec.rs`) runs it.
//!
//! ```text
//! "{{ if .a }}{{ .a | upper }}{{ end }}"
//!   → If(Pipe [[Field a]], [Action(Pipe [[Field a], [Func upper]])], [])
//! ```

use std::ops::Range;

use crate::functions::Functions;

/// One piece of a pipeline command.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Arg {
    /// `.`, `.a.b`.
    Field(Vec<String>),
    /// `$x`, `$x.a`.
    Var(String, Vec<String>),
    Func(String),
    Str(String),
    Int(i64),
    Float(f64),
    Bool(bool),
    Nil,
    /// `( pipeline )`, with fields after it.
    Pipe(Box<Pipe>, Vec<String>),
}

/// A pipeline: commands joined by `|`, maybe declaring variables.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Pipe {
    /// Variables declared (`$x :=`) or assigned (`$x =`) by it.
    pub(crate) decl: Vec<String>,
    pub(crate) cmds: Vec<Vec<Arg>>,
    /// Where its action is: the 1-based line and the bytes of `{{…}}`.
    pub(crate) line: usize,
    pub(crate) span: Range<usize>,
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Node {
    Text(String),
    Action(Pipe),
    If(Pipe, Vec<Node>, Vec<Node>),
    Range(Pipe, Vec<Node>, Vec<Node>),
    With(Pipe, Vec<Node>, Vec<Node>),
}

/// A parsed template.
#[derive(Clone, Debug, PartialEq)]
pub struct Template {
    pub(crate) name: String,
    pub(crate) nodes: Vec<Node>,
    /// The functions it may call.
    pub(crate) functions: Functions,
}
