//! The parser: template text to a tree (`tree.rs`). Text and actions,
//! `{{-`/`-}}` trimming, comments, `if`/`else if`/`else`, `range` (with
//! `else`), `with`, pipelines, variables in scope, parenthesised
//! pipelines and number literals. Undefined variables and functions are
//! errors here, as in Go; every error names the action's line and bytes.
//!
//! ```
//! use o11y_template::{Functions, Template};
//!
//! let t = Template::parse_with("line", "{{ range $i, $w := .words }}{{ $i }}={{ $w }} {{ end }}", &[], Functions::Loki);
//! assert!(t.is_ok());
//! let err = Template::parse_with("line", "ok {{ if .a }}", &[], Functions::Loki).unwrap_err();
//! assert_eq!(err.message, "unexpected EOF");
//! ```

use std::ops::Range;

use crate::error::TemplateError;
use crate::functions::Functions;
use crate::lex::{Tok, lex_action};
use crate::tree::{Arg, Node, Pipe, Template};

/// Where a list of nodes stopped: `{{else …}}` or `{{end}}`, with what
/// followed the keyword and where.
type Stop = Option<(String, Vec<Tok>, usize)>;

/// Deepest nesting of blocks and parentheses: the parser and the runner
/// recurse, and must not run out of stack.
const MAX_DEPTH: usize = 50;

struct Parser<'s> {
    name: String,
    src: &'s str,
    functions: Functions,
    pos: usize,
    /// How deep in blocks the parser is.
    depth: usize,
    /// Variables in scope, innermost last.
    scope: Vec<String>,
    /// A pending `{{-`'s trim of the text before it is applied by the caller.
    trim_next: bool,
}

/// An action's keyword, for building the tree.
enum Item {
    Text(String),
    Action(Vec<Tok>, usize),
    Comment,
}

impl<'s> Parser<'s> {
    fn line(&self, at: usize) -> usize {
        self.src[..at.min(self.src.len())].matches('\n').count() + 1
    }

    /// The bytes of the action that starts at `at`, through its `}}`.
    fn action_span(&self, at: usize) -> Range<usize> {
        let at = at.min(self.src.len());
        let rest = &self.src[at..];
        if !rest.starts_with("{{") {
            return at..self.src.len();
        }
        let end = close_of(&rest[2..]).map_or(self.src.len(), |i| at + 2 + i + 2);
        at..end
    }

    fn err<T>(&self, at: usize, message: impl Into<String>) -> Result<T, TemplateError> {
        Err(TemplateError {
            name: self.name.clone(),
            line: self.line(at),
            message: message.into(),
            span: self.action_span(at),
        })
    }

    /// The next text run or action.
    fn next_item(&mut self) -> Result<Option<Item>, TemplateError> {
        if self.pos >= self.src.len() {
            return Ok(None);
        }
        let rest = &self.src[self.pos..];
        let Some(open) = rest.find("{{") else {
            let mut text = rest.to_string();
            if self.trim_next {
                text = text.trim_start().to_string();
                self.trim_next = false;
            }
            self.pos = self.src.len();
            return Ok(Some(Item::Text(text)));
        };
        if open > 0 {
            let mut text = rest[..open].to_string();
            if self.trim_next {
                text = text.trim_start().to_string();
                self.trim_next = false;
            }
            let after = &rest[open + 2..];
            if after.starts_with("- ") || after.starts_with("-\t") || after.starts_with("-\n") {
                text = text.trim_end().to_string();
            }
            self.pos += open;
            return Ok(Some(Item::Text(text)));
        }
        let start = self.pos;
        let mut inner_start = self.pos + 2;
        if rest[2..].starts_with("- ")
            || rest[2..].starts_with("-\t")
            || rest[2..].starts_with("-\n")
        {
            inner_start += 2;
        }
        self.trim_next = false;
        let body = &self.src[inner_start..];
        // A comment runs to `*/`, then the action closes.
        let trimmed = body.trim_start();
        if trimmed.starts_with("/*") {
            let Some(end) = body.find("*/") else {
                return self.err(start, "unclosed comment");
            };
            let after = &body[end + 2..];
            let close_at = after
                .find("}}")
                .ok_or(())
                .or_else(|_| self.err(start, "unclosed action"))?;
            let between = &after[..close_at];
            if between.trim_end_matches(['-', ' ']).trim() != "" {
                return self.err(start, "comment ends before closing delimiter");
            }
            self.trim_next = between.trim_end().ends_with('-');
            self.pos = inner_start + end + 2 + close_at + 2;
            return Ok(Some(Item::Comment));
        }
        let Some(i) = close_of(body) else {
            return self.err(start, "unclosed action");
        };
        let mut inner = &body[..i];
        if inner.ends_with(" -") || inner.ends_with("\t-") || inner.ends_with("\n-") {
            inner = &inner[..inner.len() - 1];
            self.trim_next = true;
        }
        self.pos = inner_start + i + 2;
        let toks = lex_action(inner).or_else(|m| self.err(start, m))?;
        Ok(Some(Item::Action(toks, start)))
    }

    /// Parses until `{{end}}`/`{{else}}` (returned) or the end of text.
    fn list(&mut self, top: bool) -> Result<(Vec<Node>, Stop), TemplateError> {
        let mut nodes = Vec::new();
        while let Some(item) = self.next_item()? {
            match item {
                Item::Text(t) => {
                    if !t.is_empty() {
                        nodes.push(Node::Text(t));
                    }
                }
                Item::Comment => {}
                Item::Action(toks, at) => {
                    let keyword = match toks.first() {
                        Some(Tok::Word(w))
                            if matches!(
                                w.as_str(),
                                "if" | "range"
                                    | "with"
                                    | "end"
                                    | "else"
                                    | "define"
                                    | "template"
                                    | "block"
                                    | "break"
                                    | "continue"
                            ) =>
                        {
                            Some(w.clone())
                        }
                        _ => None,
                    };
                    match keyword.as_deref() {
                        None => {
                            if toks.is_empty() {
                                return self.err(at, "missing value for command");
                            }
                            let pipe = self.pipe(&toks, at)?;
                            nodes.push(Node::Action(pipe));
                        }
                        Some("end") | Some("else") => {
                            if top {
                                return self.err(
                                    at,
                                    format!("unexpected {{{{{}}}}}", keyword.unwrap_or_default()),
                                );
                            }
                            return Ok((
                                nodes,
                                Some((keyword.unwrap_or_default(), toks[1..].to_vec(), at)),
                            ));
                        }
                        Some(k @ ("if" | "range" | "with")) => {
                            let node = self.control(k, &toks[1..], at)?;
                            nodes.push(node);
                        }
                        Some(k) => {
                            return self.err(at, format!("{{{{{k}}}}} is not supported here"));
                        }
                    }
                }
            }
        }
        if !top {
            return self.err(self.src.len(), "unexpected EOF");
        }
        Ok((nodes, None))
    }

    fn control(&mut self, kind: &str, toks: &[Tok], at: usize) -> Result<Node, TemplateError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return self.err(at, "max expression depth exceeded");
        }
        let node = self.control_body(kind, toks, at);
        self.depth -= 1;
        node
    }

    fn control_body(&mut self, kind: &str, toks: &[Tok], at: usize) -> Result<Node, TemplateError> {
        let depth = self.scope.len();
        if toks.is_empty() {
            return self.err(at, format!("missing value for {kind}"));
        }
        let pipe = self.pipe(toks, at)?;
        let (body, stop) = self.list(false)?;
        let mut else_nodes = Vec::new();
        if let Some((word, rest, else_at)) = stop
            && word == "else"
        {
            {
                self.scope.truncate(depth + pipe.decl.len());
                if let Some(Tok::Word(w)) = rest.first().filter(|_| kind != "range") {
                    // `else if …` / `else with …`: a nested control with the same end.
                    if w == kind {
                        self.scope.truncate(depth);
                        let nested = self.control(kind, &rest[1..], else_at)?;
                        else_nodes.push(nested);
                        self.scope.truncate(depth);
                        return Ok(match kind {
                            "if" => Node::If(pipe, body, else_nodes),
                            _ => Node::With(pipe, body, else_nodes),
                        });
                    }
                }
                if !rest.is_empty() {
                    return self.err(else_at, "unexpected tokens after else");
                }
                let (nodes, stop) = self.list(false)?;
                else_nodes = nodes;
                if !matches!(stop, Some((ref w, _, _)) if w == "end") {
                    return self.err(else_at, "expected end; found else");
                }
            }
        }
        self.scope.truncate(depth);
        Ok(match kind {
            "if" => Node::If(pipe, body, else_nodes),
            "range" => Node::Range(pipe, body, else_nodes),
            _ => Node::With(pipe, body, else_nodes),
        })
    }

    fn pipe(&mut self, toks: &[Tok], at: usize) -> Result<Pipe, TemplateError> {
        let mut i = 0;
        let mut decl = Vec::new();
        // `$a :=`, `$a, $b :=` or `$a =`.
        let mut j = 0;
        let mut names = Vec::new();
        while let Some(Tok::Var(name, fs)) = toks.get(j) {
            if !fs.is_empty() {
                break;
            }
            names.push(name.clone());
            j += 1;
            if toks.get(j) == Some(&Tok::Comma) {
                j += 1;
                continue;
            }
            break;
        }
        if !names.is_empty() && matches!(toks.get(j), Some(Tok::Declare) | Some(Tok::Assign)) {
            let declare = toks[j] == Tok::Declare;
            for n in &names {
                if !declare && !self.scope.contains(n) {
                    return self.err(at, format!("undefined variable \"${n}\""));
                }
            }
            decl = names;
            i = j + 1;
        }
        let cmds = self.commands(&toks[i..], at, 0)?;
        if cmds.is_empty() {
            return self.err(at, "missing value for command");
        }
        if !decl.is_empty() {
            for n in &decl {
                self.scope.push(n.clone());
            }
        }
        Ok(self.pipe_at(at, decl, cmds))
    }

    fn pipe_at(&self, at: usize, decl: Vec<String>, cmds: Vec<Vec<Arg>>) -> Pipe {
        Pipe {
            decl,
            cmds,
            line: self.line(at),
            span: self.action_span(at),
        }
    }

    fn commands(
        &self,
        toks: &[Tok],
        at: usize,
        depth: usize,
    ) -> Result<Vec<Vec<Arg>>, TemplateError> {
        if depth > MAX_DEPTH {
            return self.err(at, "max expression depth exceeded");
        }
        let mut cmds = vec![Vec::new()];
        let mut i = 0;
        while i < toks.len() {
            match &toks[i] {
                Tok::Pipe => {
                    if cmds.last().is_some_and(Vec::is_empty) {
                        return self.err(at, "missing command");
                    }
                    cmds.push(Vec::new());
                    i += 1;
                }
                Tok::Open => {
                    // The matching `)`.
                    let mut open = 0;
                    let mut end = None;
                    for (k, t) in toks.iter().enumerate().skip(i) {
                        match t {
                            Tok::Open => open += 1,
                            Tok::Close(_) => {
                                open -= 1;
                                if open == 0 {
                                    end = Some(k);
                                    break;
                                }
                            }
                            _ => {}
                        }
                    }
                    let Some(end) = end else {
                        return self.err(at, "unclosed left paren");
                    };
                    let inner = self.commands(&toks[i + 1..end], at, depth + 1)?;
                    if inner.iter().all(Vec::is_empty) {
                        return self.err(at, "missing value for parenthesized pipeline");
                    }
                    let Tok::Close(fields) = &toks[end] else {
                        unreachable!("found above")
                    };
                    let pipe = self.pipe_at(at, Vec::new(), inner);
                    push_arg(&mut cmds, Arg::Pipe(Box::new(pipe), fields.clone()));
                    i = end + 1;
                }
                Tok::Close(_) => return self.err(at, "unexpected right paren"),
                Tok::Word(w) => {
                    let arg = match w.as_str() {
                        "true" => Arg::Bool(true),
                        "false" => Arg::Bool(false),
                        "nil" => Arg::Nil,
                        f if self.functions.defines(f) => Arg::Func(f.to_string()),
                        f => return self.err(at, format!("function \"{f}\" not defined")),
                    };
                    push_arg(&mut cmds, arg);
                    i += 1;
                }
                Tok::Field(fs) => {
                    push_arg(&mut cmds, Arg::Field(fs.clone()));
                    i += 1;
                }
                Tok::Var(name, fs) => {
                    if !self.scope.contains(name) {
                        return self.err(at, format!("undefined variable \"${name}\""));
                    }
                    push_arg(&mut cmds, Arg::Var(name.clone(), fs.clone()));
                    i += 1;
                }
                Tok::Str(s) => {
                    push_arg(&mut cmds, Arg::Str(s.clone()));
                    i += 1;
                }
                Tok::Num(n) => {
                    let arg = parse_number(n)
                        .ok_or(())
                        .or_else(|_| self.err(at, format!("bad number syntax: {n:?}")))?;
                    push_arg(&mut cmds, arg);
                    i += 1;
                }
                Tok::Declare | Tok::Assign | Tok::Comma => {
                    return self.err(at, "unexpected token in command");
                }
            }
        }
        if cmds.last().is_some_and(Vec::is_empty) && cmds.len() > 1 {
            return self.err(at, "missing command after |");
        }
        cmds.retain(|c| !c.is_empty());
        for c in &cmds[1.min(cmds.len())..] {
            if !matches!(
                c.first(),
                Some(Arg::Func(_)) | Some(Arg::Field(_)) | Some(Arg::Var(..)) | Some(Arg::Pipe(..))
            ) || (!matches!(c.first(), Some(Arg::Func(_))) && c.len() > 1)
            {
                return self.err(at, "non executable command in pipeline stage");
            }
        }
        for c in &cmds {
            if !matches!(c.first(), Some(Arg::Func(_)) | Some(Arg::Field(_))) && c.len() > 1 {
                return self.err(at, "can't give argument to non-function");
            }
        }
        Ok(cmds)
    }
}

fn push_arg(cmds: &mut [Vec<Arg>], arg: Arg) {
    if let Some(last) = cmds.last_mut() {
        last.push(arg);
    }
}

fn parse_number(n: &str) -> Option<Arg> {
    let (neg, digits) = match n.strip_prefix('-') {
        Some(d) => (true, d),
        None => (false, n.strip_prefix('+').unwrap_or(n)),
    };
    let int = if let Some(hex) = digits
        .strip_prefix("0x")
        .or_else(|| digits.strip_prefix("0X"))
    {
        i64::from_str_radix(&hex.replace('_', ""), 16).ok()
    } else if digits.chars().all(|c| c.is_ascii_digit() || c == '_') {
        digits.replace('_', "").parse::<i64>().ok()
    } else {
        None
    };
    if let Some(i) = int {
        return Some(Arg::Int(if neg { -i } else { i }));
    }
    n.replace('_', "").parse::<f64>().ok().map(Arg::Float)
}

impl Template {
    /// Parses `text` with Prometheus's functions; `vars` are the variables
    /// defined before it (without `$`), as Prometheus defines `$labels`,
    /// `$value`… ahead of the text.
    pub fn parse(name: &str, text: &str, vars: &[&str]) -> Result<Template, TemplateError> {
        Template::parse_with(name, text, vars, Functions::Prometheus)
    }

    /// [`Template::parse`] with another function set: Loki's for LogQL's
    /// `line_format` and `label_format` (named `line` and `label`, as Loki
    /// names them).
    pub fn parse_with(
        name: &str,
        text: &str,
        vars: &[&str],
        functions: Functions,
    ) -> Result<Template, TemplateError> {
        let mut p = Parser {
            name: name.to_string(),
            src: text,
            functions,
            pos: 0,
            depth: 0,
            scope: std::iter::once(String::new())
                .chain(vars.iter().map(|v| v.to_string()))
                .collect(),
            trim_next: false,
        };
        let (nodes, _) = p.list(true)?;
        Ok(Template {
            name: name.to_string(),
            nodes,
            functions,
        })
    }
}

/// Where the closing `}}` of an action's `body` (the text after `{{`) is,
/// outside of strings.
fn close_of(body: &str) -> Option<usize> {
    let bytes = body.as_bytes();
    let (mut i, mut quote) = (0, None::<u8>);
    while i < bytes.len() {
        let c = bytes[i];
        match quote {
            Some(q) => {
                if c == b'\\' && q == b'"' {
                    i += 1;
                } else if c == q {
                    quote = None;
                }
            }
            None if c == b'"' || c == b'`' => quote = Some(c),
            None if c == b'}' && bytes.get(i + 1) == Some(&b'}') => return Some(i),
            None => {}
        }
        i += 1;
    }
    None
}
