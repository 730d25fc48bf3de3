//! Go's `text/template`, as Prometheus runs it for alert labels and
//! annotations: text and actions with pipelines, variables (`$x := …`,
//! `$labels.instance`), fields (`.Labels.job`), `if`/`else if`/`else`,
//! `range` (with `else`), `with`, comments, `{{-`/`-}}` trimming, Go's
//! built-in functions (`and`, `or`, `not`, `eq`…`ge`, `len`, `index`,
//! `print`, `printf`, `println`, `html`, `js`, `urlquery`) and Prometheus's
//! (`humanize`, `humanize1024`, `humanizeDuration`, `humanizePercentage`,
//! `humanizeTimestamp`, `query`, `first`, `value`, `label`, `strvalue`,
//! `sortByLabel`, `toUpper`, `toLower`, `title`, `reReplaceAll`, `match`,
//! `safeHtml`, `args`, `toTime`, `toDuration`, `parseDuration`, `now`,
//! `externalURL`, `pathPrefix`, `stripPort`, `stripDomain`, `graphLink`,
//! `tableLink`). Missing map keys give empty text (`missingkey=zero`, as
//! Prometheus sets it). Undefined variables and functions are parse
//! errors, as in Go.
//!
//! ```
//! use o11y_template::{Env, Template, Value};
//!
//! let t = Template::parse("t", "{{ $value | humanizePercentage }} on {{ $labels.instance }}", &["labels", "value"]).unwrap();
//! let env = Env::default()
//!     .var("labels", Value::labels([("instance", "web:80")]))
//!     .var("value", Value::Float(0.1234));
//! assert_eq!(t.render(&env).unwrap(), "12.34% on web:80");
//! ```

use std::collections::BTreeMap;
use std::fmt::Write as _;

use o11y_model::duration::format_go_duration;
use o11y_model::number::format_float;

/// A value inside a template.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Nil,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    /// Label sets and `args`: string keys.
    Map(BTreeMap<String, Value>),
    /// One query result sample (`.Labels`, `.Value`).
    Sample(Sample),
    List(Vec<Value>),
}

/// A sample a `query` returned.
#[derive(Clone, Debug, PartialEq)]
pub struct Sample {
    pub labels: BTreeMap<String, String>,
    pub value: f64,
}

impl Value {
    /// A label set as a map of strings.
    pub fn labels<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Value {
        Value::Map(
            pairs
                .into_iter()
                .map(|(k, v)| (k.to_string(), Value::Str(v.to_string())))
                .collect(),
        )
    }

    fn truthy(&self) -> bool {
        match self {
            Value::Nil => false,
            Value::Bool(b) => *b,
            Value::Int(i) => *i != 0,
            Value::Float(f) => *f != 0.0,
            Value::Str(s) => !s.is_empty(),
            Value::Map(m) => !m.is_empty(),
            Value::Sample(_) => true,
            Value::List(l) => !l.is_empty(),
        }
    }

    fn kind(&self) -> &'static str {
        match self {
            Value::Nil => "nil",
            Value::Bool(_) => "bool",
            Value::Int(_) => "int",
            Value::Float(_) => "float64",
            Value::Str(_) => "string",
            Value::Map(_) => "map",
            Value::Sample(_) => "*sample",
            Value::List(_) => "slice",
        }
    }

    /// What `{{ . }}` prints (Go's `fmt.Sprint`).
    pub fn print(&self) -> String {
        match self {
            Value::Nil => "<no value>".to_string(),
            Value::Bool(b) => b.to_string(),
            Value::Int(i) => i.to_string(),
            Value::Float(f) => format_float(*f),
            Value::Str(s) => s.clone(),
            Value::Map(m) => {
                let inner: Vec<String> = m
                    .iter()
                    .map(|(k, v)| format!("{k}:{}", v.print()))
                    .collect();
                format!("map[{}]", inner.join(" "))
            }
            Value::Sample(s) => {
                let inner: Vec<String> = s.labels.iter().map(|(k, v)| format!("{k}:{v}")).collect();
                format!("&{{map[{}] {}}}", inner.join(" "), format_float(s.value))
            }
            Value::List(l) => {
                let inner: Vec<String> = l.iter().map(Value::print).collect();
                format!("[{}]", inner.join(" "))
            }
        }
    }

    /// Prometheus's `ConvertToFloat`: numbers, and strings that parse.
    fn to_float(&self) -> Result<f64, String> {
        match self {
            Value::Float(f) => Ok(*f),
            Value::Int(i) => Ok(*i as f64),
            Value::Str(s) => parse_go_float(s)
                .ok_or_else(|| format!("strconv.ParseFloat: parsing {s:?}: invalid syntax")),
            other => Err(format!("can't convert {} to float", other.kind())),
        }
    }

    fn as_str(&self) -> Result<String, String> {
        match self {
            Value::Str(s) => Ok(s.clone()),
            other => Err(format!(
                "wrong type for value; expected string; got {}",
                other.kind()
            )),
        }
    }
}

/// Go's `strconv.ParseFloat` for the forms people write: decimals,
/// exponents, `Inf`/`+Inf`/`-Inf`, `NaN` (any case).
fn parse_go_float(s: &str) -> Option<f64> {
    let lower = s.to_ascii_lowercase();
    match lower.trim_start_matches(['+', '-']) {
        "inf" | "infinity" => Some(if lower.starts_with('-') {
            f64::NEG_INFINITY
        } else {
            f64::INFINITY
        }),
        "nan" => Some(f64::NAN),
        _ if s.chars().all(|c| c.is_ascii_digit() || "+-.eE".contains(c)) => s.parse().ok(),
        _ => None,
    }
}

/// A template that could not be parsed, or failed while running.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("template: {name}:{line}: {message}")]
pub struct TemplateError {
    /// The template's name (`__alert_HighErrorRate`).
    pub name: String,
    /// The 1-based line of the template text.
    pub line: usize,
    pub message: String,
}

/// Runs a PromQL instant query for a template's `query`.
pub type QueryFn<'q> = dyn Fn(&str) -> Result<Vec<Sample>, String> + 'q;

/// Where a list of nodes stopped: `{{else …}}` or `{{end}}`, with what
/// followed the keyword and where.
type Stop = Option<(String, Vec<Tok>, usize)>;

/// What a template runs with: variables, the dot, and the hooks that
/// reach outside (queries, the clock, the external URL).
pub struct Env<'a> {
    vars: Vec<(String, Value)>,
    dot: Value,
    /// Runs a PromQL instant query for `query`.
    pub query: Option<&'a QueryFn<'a>>,
    /// `now` in seconds since the epoch.
    pub now_s: f64,
    pub external_url: String,
}

impl Default for Env<'_> {
    fn default() -> Self {
        Env {
            vars: Vec::new(),
            dot: Value::Nil,
            query: None,
            now_s: 0.0,
            external_url: String::new(),
        }
    }
}

impl<'a> Env<'a> {
    /// Adds a variable (`$name`).
    pub fn var(mut self, name: &str, value: Value) -> Self {
        self.vars.push((name.to_string(), value));
        self
    }

    pub fn dot(mut self, value: Value) -> Self {
        self.dot = value;
        self
    }

    /// Lets `query` run PromQL instant queries through `run`.
    pub fn with_query(mut self, run: &'a QueryFn<'a>) -> Self {
        self.query = Some(run);
        self
    }

    /// `now` (seconds) and `externalURL`.
    pub fn with_clock_and_url(mut self, now_s: f64, external_url: &str) -> Self {
        self.now_s = now_s;
        self.external_url = external_url.to_string();
        self
    }
}

/// One piece of a pipeline command.
#[derive(Clone, Debug, PartialEq)]
enum Arg {
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

#[derive(Clone, Debug, PartialEq)]
struct Pipe {
    /// Variables declared (`$x :=`) or assigned (`$x =`) by it.
    decl: Vec<String>,
    cmds: Vec<Vec<Arg>>,
    line: usize,
}

#[derive(Clone, Debug, PartialEq)]
enum Node {
    Text(String),
    Action(Pipe),
    If(Pipe, Vec<Node>, Vec<Node>),
    Range(Pipe, Vec<Node>, Vec<Node>),
    With(Pipe, Vec<Node>, Vec<Node>),
}

/// A parsed template.
#[derive(Clone, Debug, PartialEq)]
pub struct Template {
    name: String,
    nodes: Vec<Node>,
}

/// Go's built-ins and Prometheus's functions.
const FUNCTIONS: &[&str] = &[
    "and",
    "or",
    "not",
    "len",
    "index",
    "print",
    "printf",
    "println",
    "eq",
    "ne",
    "lt",
    "le",
    "gt",
    "ge",
    "html",
    "js",
    "urlquery",
    "slice",
    "query",
    "first",
    "label",
    "value",
    "strvalue",
    "args",
    "reReplaceAll",
    "safeHtml",
    "match",
    "title",
    "toUpper",
    "toLower",
    "graphLink",
    "tableLink",
    "sortByLabel",
    "humanize",
    "humanize1024",
    "humanizeDuration",
    "humanizePercentage",
    "humanizeTimestamp",
    "toTime",
    "toDuration",
    "pathPrefix",
    "externalURL",
    "parseDuration",
    "now",
    "stripPort",
    "stripDomain",
];

/// Tokens inside an action.
#[derive(Clone, Debug, PartialEq)]
enum Tok {
    Word(String),
    Field(Vec<String>),
    Var(String, Vec<String>),
    Str(String),
    Num(String),
    Pipe,
    Open,
    Close(Vec<String>),
    Declare,
    Assign,
    Comma,
}

fn lex_action(src: &str) -> Result<Vec<Tok>, String> {
    let b = src.as_bytes();
    let mut i = 0;
    let mut out = Vec::new();
    let fields = |i: &mut usize| -> Vec<String> {
        let mut fs = Vec::new();
        while *i < b.len() && b[*i] == b'.' {
            let start = *i + 1;
            let mut j = start;
            while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'_') {
                j += 1;
            }
            if j == start {
                break;
            }
            fs.push(src[start..j].to_string());
            *i = j;
        }
        fs
    };
    while i < b.len() {
        let c = b[i];
        match c {
            b' ' | b'\t' | b'\n' | b'\r' => i += 1,
            b'|' => {
                out.push(Tok::Pipe);
                i += 1
            }
            b'(' => {
                out.push(Tok::Open);
                i += 1
            }
            b')' => {
                i += 1;
                let fs = fields(&mut i);
                out.push(Tok::Close(fs));
            }
            b',' => {
                out.push(Tok::Comma);
                i += 1
            }
            b':' if b.get(i + 1) == Some(&b'=') => {
                out.push(Tok::Declare);
                i += 2
            }
            b'=' => {
                out.push(Tok::Assign);
                i += 1
            }
            b'"' => {
                let mut s = String::new();
                let mut j = i + 1;
                loop {
                    let Some(ch) = src[j..].chars().next() else {
                        return Err("unterminated quoted string".into());
                    };
                    j += ch.len_utf8();
                    match ch {
                        '"' => break,
                        '\\' => {
                            let Some(e) = src[j..].chars().next() else {
                                return Err("unterminated quoted string".into());
                            };
                            j += e.len_utf8();
                            s.push(match e {
                                'n' => '\n',
                                't' => '\t',
                                'r' => '\r',
                                '\\' => '\\',
                                '"' => '"',
                                '\'' => '\'',
                                _ => return Err(format!("unknown escape sequence \\{e}")),
                            });
                        }
                        '\n' => return Err("unterminated quoted string".into()),
                        c => s.push(c),
                    }
                }
                out.push(Tok::Str(s));
                i = j;
            }
            b'`' => {
                let Some(end) = src[i + 1..].find('`') else {
                    return Err("unterminated raw quoted string".into());
                };
                out.push(Tok::Str(src[i + 1..i + 1 + end].to_string()));
                i += end + 2;
            }
            b'.' => {
                let fs = fields(&mut i);
                if fs.is_empty() {
                    i += 1;
                }
                out.push(Tok::Field(fs));
            }
            b'$' => {
                let start = i + 1;
                let mut j = start;
                while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'_') {
                    j += 1;
                }
                let name = src[start..j].to_string();
                i = j;
                let fs = fields(&mut i);
                out.push(Tok::Var(name, fs));
            }
            c if c.is_ascii_digit()
                || ((c == b'-' || c == b'+')
                    && b.get(i + 1)
                        .is_some_and(|d| d.is_ascii_digit() || *d == b'.')) =>
            {
                let start = i;
                i += 1;
                while i < b.len()
                    && (b[i].is_ascii_alphanumeric()
                        || b[i] == b'.'
                        || ((b[i] == b'-' || b[i] == b'+') && matches!(b[i - 1], b'e' | b'E')))
                {
                    i += 1;
                }
                out.push(Tok::Num(src[start..i].to_string()));
            }
            c if c.is_ascii_alphabetic() || c == b'_' => {
                let start = i;
                while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                    i += 1;
                }
                out.push(Tok::Word(src[start..i].to_string()));
            }
            _ => {
                let ch = src[i..].chars().next().unwrap_or('?');
                return Err(format!("unexpected {ch:?} in command"));
            }
        }
    }
    Ok(out)
}

struct Parser<'s> {
    name: String,
    src: &'s str,
    pos: usize,
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

    fn err<T>(&self, at: usize, message: impl Into<String>) -> Result<T, TemplateError> {
        Err(TemplateError {
            name: self.name.clone(),
            line: self.line(at),
            message: message.into(),
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
        // Find the closing `}}` outside of strings.
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
                None if c == b'}' && bytes.get(i + 1) == Some(&b'}') => break,
                None => {}
            }
            i += 1;
        }
        if i >= bytes.len() {
            return self.err(start, "unclosed action");
        }
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
        let line = self.line(at);
        let cmds = self.commands(&toks[i..], at)?;
        if cmds.is_empty() {
            return self.err(at, "missing value for command");
        }
        if !decl.is_empty() {
            for n in &decl {
                self.scope.push(n.clone());
            }
        }
        Ok(Pipe { decl, cmds, line })
    }

    fn commands(&self, toks: &[Tok], at: usize) -> Result<Vec<Vec<Arg>>, TemplateError> {
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
                    let mut depth = 0;
                    let mut end = None;
                    for (k, t) in toks.iter().enumerate().skip(i) {
                        match t {
                            Tok::Open => depth += 1,
                            Tok::Close(_) => {
                                depth -= 1;
                                if depth == 0 {
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
                    let inner = self.commands(&toks[i + 1..end], at)?;
                    if inner.iter().all(Vec::is_empty) {
                        return self.err(at, "missing value for parenthesized pipeline");
                    }
                    let Tok::Close(fields) = &toks[end] else {
                        unreachable!("found above")
                    };
                    let line = self.line(at);
                    push_arg(
                        &mut cmds,
                        Arg::Pipe(
                            Box::new(Pipe {
                                decl: Vec::new(),
                                cmds: inner,
                                line,
                            }),
                            fields.clone(),
                        ),
                    );
                    i = end + 1;
                }
                Tok::Close(_) => return self.err(at, "unexpected right paren"),
                Tok::Word(w) => {
                    let arg = match w.as_str() {
                        "true" => Arg::Bool(true),
                        "false" => Arg::Bool(false),
                        "nil" => Arg::Nil,
                        f if FUNCTIONS.contains(&f) => Arg::Func(f.to_string()),
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
    /// Parses `text`; `vars` are the variables defined before it (without
    /// `$`), as Prometheus defines `$labels`, `$value`… ahead of the text.
    pub fn parse(name: &str, text: &str, vars: &[&str]) -> Result<Template, TemplateError> {
        let mut p = Parser {
            name: name.to_string(),
            src: text,
            pos: 0,
            scope: std::iter::once(String::new())
                .chain(vars.iter().map(|v| v.to_string()))
                .collect(),
            trim_next: false,
        };
        let (nodes, _) = p.list(true)?;
        Ok(Template {
            name: name.to_string(),
            nodes,
        })
    }

    /// Runs the template.
    pub fn render(&self, env: &Env<'_>) -> Result<String, TemplateError> {
        let mut run = Run {
            name: &self.name,
            env,
            vars: std::iter::once((String::new(), env.dot.clone()))
                .chain(env.vars.iter().cloned())
                .collect(),
            out: String::new(),
            steps: 0,
        };
        run.nodes(&self.nodes, &env.dot)?;
        Ok(run.out)
    }
}

/// Most actions one rendering runs: a template can loop over a query's
/// results, but never forever.
const MAX_STEPS: usize = 1_000_000;

/// Most output one rendering produces.
const MAX_OUTPUT: usize = 1 << 20;

struct Run<'t, 'e> {
    name: &'t str,
    env: &'t Env<'e>,
    vars: Vec<(String, Value)>,
    out: String,
    steps: usize,
}

impl Run<'_, '_> {
    fn fail<T>(&self, line: usize, message: impl Into<String>) -> Result<T, TemplateError> {
        Err(TemplateError {
            name: self.name.to_string(),
            line,
            message: message.into(),
        })
    }

    fn nodes(&mut self, nodes: &[Node], dot: &Value) -> Result<(), TemplateError> {
        for n in nodes {
            self.steps += 1;
            if self.steps > MAX_STEPS || self.out.len() > MAX_OUTPUT {
                return self.fail(0, "the template runs too long or writes too much");
            }
            match n {
                Node::Text(t) => self.out.push_str(t),
                Node::Action(p) => {
                    let v = self.pipe(p, dot)?;
                    if p.decl.is_empty() {
                        // Go prints nothing for nil in missingkey=zero maps; `<no value>` for a nil dot.
                        self.out.push_str(&v.print());
                    }
                }
                Node::If(p, then, other) => {
                    let depth = self.vars.len();
                    let v = self.pipe(p, dot)?;
                    if v.truthy() {
                        self.nodes(then, dot)?;
                    } else {
                        self.nodes(other, dot)?;
                    }
                    self.vars.truncate(depth);
                }
                Node::With(p, then, other) => {
                    let depth = self.vars.len();
                    let v = self.pipe(p, dot)?;
                    if v.truthy() {
                        self.nodes(then, &v)?;
                    } else {
                        self.nodes(other, dot)?;
                    }
                    self.vars.truncate(depth);
                }
                Node::Range(p, body, other) => {
                    let depth = self.vars.len();
                    // Evaluate without declaring: range declares per element.
                    let bare = Pipe {
                        decl: Vec::new(),
                        cmds: p.cmds.clone(),
                        line: p.line,
                    };
                    let v = self.pipe(&bare, dot)?;
                    let items: Vec<(Value, Value)> = match v {
                        Value::List(l) => l
                            .into_iter()
                            .enumerate()
                            .map(|(i, v)| (Value::Int(i as i64), v))
                            .collect(),
                        Value::Map(m) => m.into_iter().map(|(k, v)| (Value::Str(k), v)).collect(),
                        Value::Int(n) => (0..n.max(0))
                            .map(|i| (Value::Int(i), Value::Int(i)))
                            .collect(),
                        Value::Nil => Vec::new(),
                        other => {
                            return self.fail(
                                p.line,
                                format!("range can't iterate over {}", other.print()),
                            );
                        }
                    };
                    if items.is_empty() {
                        self.nodes(other, dot)?;
                    }
                    for (key, item) in items {
                        self.vars.truncate(depth);
                        match p.decl.as_slice() {
                            [] => {}
                            [v] => self.vars.push((v.clone(), item.clone())),
                            [k, v, ..] => {
                                self.vars.push((k.clone(), key));
                                self.vars.push((v.clone(), item.clone()));
                            }
                        }
                        self.nodes(body, &item)?;
                    }
                    self.vars.truncate(depth);
                }
            }
        }
        Ok(())
    }

    fn lookup(&self, name: &str, line: usize) -> Result<Value, TemplateError> {
        match self.vars.iter().rev().find(|(n, _)| n == name) {
            Some((_, v)) => Ok(v.clone()),
            None => self.fail(line, format!("undefined variable \"${name}\"")),
        }
    }

    fn field(&self, v: Value, name: &str, line: usize) -> Result<Value, TemplateError> {
        match v {
            // missingkey=zero: an absent label is empty.
            Value::Map(m) => Ok(m.get(name).cloned().unwrap_or(Value::Str(String::new()))),
            Value::Sample(s) => match name {
                "Labels" => Ok(Value::Map(
                    s.labels
                        .into_iter()
                        .map(|(k, v)| (k, Value::Str(v)))
                        .collect(),
                )),
                "Value" => Ok(Value::Float(s.value)),
                _ => self.fail(
                    line,
                    format!("can't evaluate field {name} in type *template.sample"),
                ),
            },
            Value::Nil => self.fail(
                line,
                format!("nil pointer evaluating interface {{}}.{name}"),
            ),
            other => self.fail(
                line,
                format!("can't evaluate field {name} in type {}", other.kind()),
            ),
        }
    }

    fn fields(&self, mut v: Value, fs: &[String], line: usize) -> Result<Value, TemplateError> {
        for f in fs {
            v = self.field(v, f, line)?;
        }
        Ok(v)
    }

    fn pipe(&mut self, p: &Pipe, dot: &Value) -> Result<Value, TemplateError> {
        let mut prev: Option<Value> = None;
        for cmd in &p.cmds {
            prev = Some(self.command(cmd, dot, prev, p.line)?);
        }
        let v = prev.unwrap_or(Value::Nil);
        for name in &p.decl {
            // `=` assigns the innermost variable of that name; `:=` declares one.
            self.vars.push((name.clone(), v.clone()));
        }
        Ok(v)
    }

    fn arg(&mut self, a: &Arg, dot: &Value, line: usize) -> Result<Value, TemplateError> {
        Ok(match a {
            Arg::Field(fs) => self.fields(dot.clone(), fs, line)?,
            Arg::Var(name, fs) => {
                let v = self.lookup(name, line)?;
                self.fields(v, fs, line)?
            }
            Arg::Str(s) => Value::Str(s.clone()),
            Arg::Int(i) => Value::Int(*i),
            Arg::Float(f) => Value::Float(*f),
            Arg::Bool(b) => Value::Bool(*b),
            Arg::Nil => Value::Nil,
            Arg::Pipe(p, fs) => {
                let v = self.pipe(p, dot)?;
                self.fields(v, fs, line)?
            }
            Arg::Func(f) => self.call(f, Vec::new(), line)?,
        })
    }

    fn command(
        &mut self,
        cmd: &[Arg],
        dot: &Value,
        piped: Option<Value>,
        line: usize,
    ) -> Result<Value, TemplateError> {
        match cmd.first() {
            Some(Arg::Func(f)) => {
                // `and`/`or` stop at the first deciding argument.
                if (f == "and" || f == "or") && piped.is_none() {
                    if cmd.len() < 2 {
                        return self.fail(
                            line,
                            format!("wrong number of args for {f}: want at least 1 got 0"),
                        );
                    }
                    let mut last = Value::Nil;
                    for a in &cmd[1..] {
                        last = self.arg(a, dot, line)?;
                        if last.truthy() != (f == "and") {
                            return Ok(last);
                        }
                    }
                    return Ok(last);
                }
                let mut args = Vec::with_capacity(cmd.len());
                for a in &cmd[1..] {
                    args.push(self.arg(a, dot, line)?);
                }
                if let Some(v) = piped {
                    args.push(v);
                }
                self.call(f, args, line)
            }
            Some(a) => {
                if piped.is_some() {
                    return self.fail(line, "can't give argument to non-function");
                }
                self.arg(a, dot, line)
            }
            None => Ok(Value::Nil),
        }
    }

    fn call(&mut self, f: &str, a: Vec<Value>, line: usize) -> Result<Value, TemplateError> {
        let name = self.name;
        let wrap = |e: String| TemplateError {
            name: name.to_string(),
            line,
            message: format!("error calling {f}: {e}"),
        };
        let want = |n: usize| -> Result<(), TemplateError> {
            if a.len() == n {
                Ok(())
            } else {
                Err(TemplateError {
                    name: name.to_string(),
                    line,
                    message: format!("wrong number of args for {f}: want {n} got {}", a.len()),
                })
            }
        };
        let float = |v: &Value| v.to_float().map_err(wrap);
        let string = |v: &Value| v.as_str().map_err(wrap);
        Ok(match f {
            "and" | "or" => {
                let mut last = Value::Nil;
                for v in a {
                    let decided = v.truthy() != (f == "and");
                    last = v;
                    if decided {
                        break;
                    }
                }
                last
            }
            "not" => {
                want(1)?;
                Value::Bool(!a[0].truthy())
            }
            "len" => {
                want(1)?;
                Value::Int(match &a[0] {
                    Value::Str(s) => s.len(),
                    Value::Map(m) => m.len(),
                    Value::List(l) => l.len(),
                    other => return Err(wrap(format!("len of type {}", other.kind()))),
                } as i64)
            }
            "index" => {
                if a.is_empty() {
                    return Err(wrap("index of untyped nil".into()));
                }
                let mut v = a[0].clone();
                for k in &a[1..] {
                    v = match (&v, k) {
                        (Value::Map(m), Value::Str(key)) => {
                            m.get(key).cloned().unwrap_or(Value::Str(String::new()))
                        }
                        (Value::List(l), Value::Int(i)) => l
                            .get(*i as usize)
                            .cloned()
                            .ok_or_else(|| wrap(format!("index out of range: {i}")))?,
                        _ => return Err(wrap(format!("can't index item of type {}", v.kind()))),
                    };
                }
                v
            }
            "print" | "println" => {
                let mut s = String::new();
                for (i, v) in a.iter().enumerate() {
                    // Go's Sprint puts spaces between operands when neither is a string.
                    let sep = f == "println"
                        || (i > 0
                            && !matches!(v, Value::Str(_))
                            && !matches!(a[i - 1], Value::Str(_)));
                    if i > 0 && sep {
                        s.push(' ');
                    }
                    s.push_str(&v.print());
                }
                if f == "println" {
                    s.push('\n');
                }
                Value::Str(s)
            }
            "printf" => {
                if a.is_empty() {
                    return Err(wrap("missing format".into()));
                }
                Value::Str(sprintf(&string(&a[0])?, &a[1..]))
            }
            "eq" | "ne" | "lt" | "le" | "gt" | "ge" => {
                if a.len() < 2 {
                    return Err(wrap("missing argument for comparison".into()));
                }
                let cmp = |x: &Value, y: &Value| -> Result<std::cmp::Ordering, TemplateError> {
                    match (x, y) {
                        (Value::Str(p), Value::Str(q)) => Ok(p.cmp(q)),
                        (Value::Bool(p), Value::Bool(q)) if matches!(f, "eq" | "ne") => {
                            Ok(p.cmp(q))
                        }
                        (Value::Int(p), Value::Int(q)) => Ok(p.cmp(q)),
                        (Value::Int(_) | Value::Float(_), Value::Int(_) | Value::Float(_)) => {
                            let (p, q) = (
                                x.to_float().unwrap_or(f64::NAN),
                                y.to_float().unwrap_or(f64::NAN),
                            );
                            Ok(p.partial_cmp(&q).unwrap_or(std::cmp::Ordering::Less))
                        }
                        (Value::Nil, Value::Nil) if matches!(f, "eq" | "ne") => {
                            Ok(std::cmp::Ordering::Equal)
                        }
                        _ => Err(wrap("incompatible types for comparison".into())),
                    }
                };
                use std::cmp::Ordering::*;
                if f == "eq" {
                    // eq a b c…: a equals any of the others.
                    let mut any = false;
                    for y in &a[1..] {
                        any |= cmp(&a[0], y)? == Equal;
                    }
                    Value::Bool(any)
                } else {
                    want(2)?;
                    let o = cmp(&a[0], &a[1])?;
                    Value::Bool(match f {
                        "ne" => o != Equal,
                        "lt" => o == Less,
                        "le" => o != Greater,
                        "gt" => o == Greater,
                        _ => o != Less,
                    })
                }
            }
            "html" | "safeHtml" => {
                let s: String = a.iter().map(Value::print).collect();
                if f == "safeHtml" {
                    Value::Str(s)
                } else {
                    Value::Str(
                        s.replace('&', "&amp;")
                            .replace('<', "&lt;")
                            .replace('>', "&gt;")
                            .replace('"', "&#34;")
                            .replace('\'', "&#39;"),
                    )
                }
            }
            "js" => {
                let s: String = a.iter().map(Value::print).collect();
                let mut o = String::new();
                for c in s.chars() {
                    match c {
                        '\\' => o.push_str("\\\\"),
                        '\'' => o.push_str("\\'"),
                        '"' => o.push_str("\\\""),
                        '<' => o.push_str("\\u003C"),
                        '>' => o.push_str("\\u003E"),
                        '&' => o.push_str("\\u0026"),
                        '=' => o.push_str("\\u003D"),
                        '\n' => o.push_str("\\n"),
                        '\r' => o.push_str("\\r"),
                        '\t' => o.push_str("\\t"),
                        c => o.push(c),
                    }
                }
                Value::Str(o)
            }
            "urlquery" => {
                let s: String = a.iter().map(Value::print).collect();
                Value::Str(query_escape(&s))
            }
            "slice" => {
                let Some(first) = a.first() else {
                    return Err(wrap("slice of untyped nil".into()));
                };
                let idx: Vec<usize> = a[1..]
                    .iter()
                    .map(|v| float(v).map(|f| f.max(0.0) as usize))
                    .collect::<Result<_, _>>()?;
                match first {
                    Value::Str(s) => {
                        let (from, to) = (
                            idx.first().copied().unwrap_or(0),
                            idx.get(1).copied().unwrap_or(s.len()),
                        );
                        Value::Str(
                            s.get(from..to)
                                .ok_or_else(|| wrap("index out of range".into()))?
                                .to_string(),
                        )
                    }
                    Value::List(l) => {
                        let (from, to) = (
                            idx.first().copied().unwrap_or(0),
                            idx.get(1).copied().unwrap_or(l.len()),
                        );
                        Value::List(
                            l.get(from..to)
                                .ok_or_else(|| wrap("index out of range".into()))?
                                .to_vec(),
                        )
                    }
                    other => {
                        return Err(wrap(format!("can't slice item of type {}", other.kind())));
                    }
                }
            }
            "query" => {
                want(1)?;
                let q = string(&a[0])?;
                let Some(run) = self.env.query else {
                    return Err(wrap("queries are not available here".into()));
                };
                let found = run(&q).map_err(wrap)?;
                Value::List(found.into_iter().map(Value::Sample).collect())
            }
            "first" => {
                want(1)?;
                match &a[0] {
                    Value::List(l) => l
                        .first()
                        .cloned()
                        .ok_or_else(|| wrap("first() called on vector with no elements".into()))?,
                    other => {
                        return Err(wrap(format!(
                            "wrong type for value; expected template.queryResult; got {}",
                            other.kind()
                        )));
                    }
                }
            }
            "label" => {
                want(2)?;
                let l = string(&a[0])?;
                match &a[1] {
                    Value::Sample(s) => Value::Str(s.labels.get(&l).cloned().unwrap_or_default()),
                    other => {
                        return Err(wrap(format!(
                            "wrong type for value; expected *template.sample; got {}",
                            other.kind()
                        )));
                    }
                }
            }
            "value" | "strvalue" => {
                want(1)?;
                match &a[0] {
                    Value::Sample(s) if f == "value" => Value::Float(s.value),
                    Value::Sample(s) => {
                        Value::Str(s.labels.get("__value__").cloned().unwrap_or_default())
                    }
                    other => {
                        return Err(wrap(format!(
                            "wrong type for value; expected *template.sample; got {}",
                            other.kind()
                        )));
                    }
                }
            }
            "sortByLabel" => {
                want(2)?;
                let l = string(&a[0])?;
                let Value::List(mut items) = a[1].clone() else {
                    return Err(wrap(format!(
                        "wrong type for value; expected template.queryResult; got {}",
                        a[1].kind()
                    )));
                };
                let key = |v: &Value| match v {
                    Value::Sample(s) => s.labels.get(&l).cloned().unwrap_or_default(),
                    _ => String::new(),
                };
                items.sort_by_key(key);
                Value::List(items)
            }
            "args" => Value::Map(
                a.into_iter()
                    .enumerate()
                    .map(|(i, v)| (format!("arg{i}"), v))
                    .collect(),
            ),
            "reReplaceAll" => {
                want(3)?;
                let re = regex::Regex::new(&string(&a[0])?).map_err(|e| wrap(e.to_string()))?;
                let text = string(&a[2])?;
                Value::Str(
                    re.replace_all(&text, go_replacement(&string(&a[1])?).as_str())
                        .into_owned(),
                )
            }
            "match" => {
                want(2)?;
                let re = regex::Regex::new(&string(&a[0])?).map_err(|e| wrap(e.to_string()))?;
                Value::Bool(re.is_match(&string(&a[1])?))
            }
            "title" => {
                want(1)?;
                Value::Str(title(&string(&a[0])?))
            }
            "toUpper" => {
                want(1)?;
                Value::Str(string(&a[0])?.to_uppercase())
            }
            "toLower" => {
                want(1)?;
                Value::Str(string(&a[0])?.to_lowercase())
            }
            "graphLink" | "tableLink" => {
                want(1)?;
                let tab = if f == "graphLink" { 0 } else { 1 };
                Value::Str(format!(
                    "/graph?g0.expr={}&g0.tab={tab}",
                    query_escape(&string(&a[0])?)
                ))
            }
            "humanize" => {
                want(1)?;
                Value::Str(humanize(float(&a[0])?))
            }
            "humanize1024" => {
                want(1)?;
                Value::Str(humanize1024(float(&a[0])?))
            }
            "humanizeDuration" => {
                want(1)?;
                Value::Str(humanize_duration(float(&a[0])?))
            }
            "humanizePercentage" => {
                want(1)?;
                Value::Str(format!("{}%", go_g(float(&a[0])? * 100.0, 4)))
            }
            "humanizeTimestamp" => {
                want(1)?;
                let v = float(&a[0])?;
                Value::Str(if v.is_finite() {
                    go_time(v)
                } else {
                    go_g(v, 4)
                })
            }
            "toTime" => {
                want(1)?;
                let v = float(&a[0])?;
                if !v.is_finite() {
                    return Err(wrap(format!("cannot convert {} to time.Time", go_g(v, 4))));
                }
                Value::Str(go_time(v))
            }
            "toDuration" => {
                want(1)?;
                Value::Str(format_go_duration((float(&a[0])? * 1e9) as i128))
            }
            "parseDuration" => {
                want(1)?;
                let ms = o11y_model::duration::parse_duration(&string(&a[0])?)
                    .map_err(|e| wrap(e.to_string()))?;
                Value::Float(ms as f64 / 1000.0)
            }
            "now" => Value::Float(self.env.now_s),
            "externalURL" => Value::Str(self.env.external_url.clone()),
            "pathPrefix" => {
                let url = &self.env.external_url;
                let path = url.split_once("://").map_or(url.as_str(), |(_, rest)| {
                    rest.find('/').map_or("", |i| &rest[i..])
                });
                Value::Str(path.to_string())
            }
            "stripPort" => {
                want(1)?;
                let h = string(&a[0])?;
                Value::Str(strip_port(&h))
            }
            "stripDomain" => {
                want(1)?;
                let h = string(&a[0])?;
                let (host, port) = match h
                    .rsplit_once(':')
                    .filter(|(_, p)| p.chars().all(|c| c.is_ascii_digit()))
                {
                    Some((host, port)) if !host.contains(':') => {
                        (host.to_string(), format!(":{port}"))
                    }
                    _ => (h.clone(), String::new()),
                };
                if host.parse::<std::net::IpAddr>().is_ok() {
                    Value::Str(h)
                } else {
                    Value::Str(format!(
                        "{}{port}",
                        host.split('.').next().unwrap_or_default()
                    ))
                }
            }
            other => return Err(wrap(format!("function {other:?} not defined"))),
        })
    }
}

fn strip_port(h: &str) -> String {
    if let Some(rest) = h.strip_prefix('[') {
        return rest.split(']').next().unwrap_or_default().to_string();
    }
    match h.rsplit_once(':') {
        Some((host, _)) if !host.contains(':') => host.to_string(),
        _ => h.to_string(),
    }
}

/// Go's `strings.Title`: each word's first letter in upper case.
fn title(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut prev_letter = false;
    for c in s.chars() {
        if !prev_letter && c.is_alphabetic() {
            out.extend(c.to_uppercase());
        } else {
            out.push(c);
        }
        prev_letter = c.is_alphanumeric() || c == '_' || c == '\'';
    }
    out
}

/// Go's regexp replacement (`$1`, `${name}`) as the regex crate writes it.
fn go_replacement(r: &str) -> String {
    // Both use `$1` and `${1}`; Go treats `$1x` as the group `1x`, as does regex.
    r.to_string()
}

fn query_escape(s: &str) -> String {
    let mut o = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                o.push(b as char)
            }
            b' ' => o.push('+'),
            _ => {
                let _ = write!(o, "%{b:02X}");
            }
        }
    }
    o
}

/// Go's `%.{prec}g`.
pub fn go_g(v: f64, prec: usize) -> String {
    if v.is_nan() {
        return "NaN".into();
    }
    if v.is_infinite() {
        return if v > 0.0 {
            "+Inf".into()
        } else {
            "-Inf".into()
        };
    }
    if v == 0.0 {
        return if v.is_sign_negative() {
            "-0".into()
        } else {
            "0".into()
        };
    }
    let prec = prec.max(1);
    // Round to `prec` significant digits, then choose fixed or exponent form.
    let sci = format!("{:.*e}", prec - 1, v);
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    if exp < -4 || exp >= prec as i32 {
        let m = trim_zeros(mantissa);
        format!("{m}e{}{:02}", if exp < 0 { '-' } else { '+' }, exp.abs())
    } else {
        let decimals = (prec as i32 - 1 - exp).max(0) as usize;
        trim_zeros(&format!("{v:.decimals$}")).to_string()
    }
}

fn trim_zeros(s: &str) -> &str {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.')
    } else {
        s
    }
}

/// Prometheus's `humanize`: SI prefixes, 4 significant digits.
pub fn humanize(mut v: f64) -> String {
    if v == 0.0 || !v.is_finite() {
        return go_g(v, 4);
    }
    let mut prefix = "";
    if v.abs() >= 1.0 {
        for p in ["k", "M", "G", "T", "P", "E", "Z", "Y"] {
            if v.abs() < 1000.0 {
                break;
            }
            prefix = p;
            v /= 1000.0;
        }
    } else {
        for p in ["m", "u", "n", "p", "f", "a", "z", "y"] {
            if v.abs() >= 1.0 {
                break;
            }
            prefix = p;
            v *= 1000.0;
        }
    }
    format!("{}{prefix}", go_g(v, 4))
}

/// Prometheus's `humanize1024`: binary prefixes.
pub fn humanize1024(mut v: f64) -> String {
    if v.abs() <= 1.0 || !v.is_finite() {
        return go_g(v, 4);
    }
    let mut prefix = "";
    for p in ["ki", "Mi", "Gi", "Ti", "Pi", "Ei", "Zi", "Yi"] {
        if v.abs() < 1024.0 {
            break;
        }
        prefix = p;
        v /= 1024.0;
    }
    format!("{}{prefix}", go_g(v, 4))
}

/// Prometheus's `humanizeDuration`: `1d 2h 3m 4s`, or `1.5s`, `250ms`.
pub fn humanize_duration(mut v: f64) -> String {
    if !v.is_finite() {
        return go_g(v, 4);
    }
    if v == 0.0 {
        return format!("{}s", go_g(v, 4));
    }
    if v.abs() >= 1.0 {
        let sign = if v < 0.0 { "-" } else { "" };
        v = v.abs();
        let d = v as i64;
        let (seconds, minutes, hours, days) = (d % 60, (d / 60) % 60, (d / 3600) % 24, d / 86_400);
        return if days != 0 {
            format!("{sign}{days}d {hours}h {minutes}m {seconds}s")
        } else if hours != 0 {
            format!("{sign}{hours}h {minutes}m {seconds}s")
        } else if minutes != 0 {
            format!("{sign}{minutes}m {seconds}s")
        } else {
            format!("{sign}{}s", go_g(v, 4))
        };
    }
    let mut prefix = "";
    for p in ["m", "u", "n", "p", "f", "a", "z", "y"] {
        if v.abs() >= 1.0 {
            break;
        }
        prefix = p;
        v *= 1000.0;
    }
    format!("{}{prefix}s", go_g(v, 4))
}

/// Go's `time.Time.String()` in UTC for seconds since the epoch.
fn go_time(seconds: f64) -> String {
    let ns = (seconds * 1e9).round() as i64;
    let s = o11y_model::time::format_rfc3339_nanos(ns);
    // 2006-01-02T15:04:05.999999999Z → 2006-01-02 15:04:05.999999999 +0000 UTC
    let body = s.trim_end_matches('Z').replacen('T', " ", 1);
    format!("{body} +0000 UTC")
}

/// Go's `fmt.Sprintf` for the verbs templates use: `%s %v %d %f %e %g %q
/// %x %X %t %%`, with flags, width and precision.
pub fn sprintf(format: &str, args: &[Value]) -> String {
    let mut out = String::new();
    let mut next = 0;
    let mut chars = format.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let mut flags = String::new();
        while let Some(&f) = chars.peek() {
            if "-+ 0#".contains(f) {
                flags.push(f);
                chars.next();
            } else {
                break;
            }
        }
        let mut width = String::new();
        while let Some(&d) = chars.peek().filter(|d| d.is_ascii_digit()) {
            width.push(d);
            chars.next();
        }
        let mut precision = None;
        if chars.peek() == Some(&'.') {
            chars.next();
            let mut p = String::new();
            while let Some(&d) = chars.peek().filter(|d| d.is_ascii_digit()) {
                p.push(d);
                chars.next();
            }
            precision = Some(p.parse::<usize>().unwrap_or(0));
        }
        let Some(verb) = chars.next() else {
            out.push_str("%!(NOVERB)");
            break;
        };
        if verb == '%' {
            out.push('%');
            continue;
        }
        let Some(arg) = args.get(next) else {
            let _ = write!(out, "%!{verb}(MISSING)");
            continue;
        };
        next += 1;
        let body = match (verb, arg) {
            ('s' | 'v', v) => {
                let s = v.print();
                match precision {
                    Some(p) if verb == 's' => s.chars().take(p).collect(),
                    _ => s,
                }
            }
            ('q', Value::Str(s)) => format!("{s:?}"),
            ('t', Value::Bool(b)) => b.to_string(),
            ('d', Value::Int(i)) => i.to_string(),
            ('x', Value::Int(i)) => format!("{i:x}"),
            ('X', Value::Int(i)) => format!("{i:X}"),
            ('x', Value::Str(s)) => s.bytes().map(|b| format!("{b:02x}")).collect(),
            ('f' | 'F' | 'e' | 'g', v @ (Value::Float(_) | Value::Int(_)))
                if !matches!((verb, v), ('d', _)) =>
            {
                let f = v.to_float().unwrap_or(f64::NAN);
                if !f.is_finite() {
                    go_g(f, 1)
                } else {
                    match verb {
                        'f' | 'F' => format!("{f:.*}", precision.unwrap_or(6)),
                        'e' => {
                            let s = format!("{f:.*e}", precision.unwrap_or(6));
                            let (m, e) = s.split_once('e').unwrap_or((&s, "0"));
                            let e: i32 = e.parse().unwrap_or(0);
                            format!("{m}e{}{:02}", if e < 0 { '-' } else { '+' }, e.abs())
                        }
                        _ => match precision {
                            Some(p) => go_g(f, p),
                            None => format_float(f),
                        },
                    }
                }
            }
            (verb, v) => format!("%!{verb}({}={})", v.kind(), v.print()),
        };
        let body = if flags.contains('+')
            && matches!(arg, Value::Int(_) | Value::Float(_))
            && !body.starts_with('-')
        {
            format!("+{body}")
        } else {
            body
        };
        let width: usize = width.parse().unwrap_or(0);
        let len = body.chars().count();
        if len < width {
            let pad = width - len;
            if flags.contains('-') {
                out.push_str(&body);
                out.extend(std::iter::repeat_n(' ', pad));
            } else if flags.contains('0') && matches!(arg, Value::Int(_) | Value::Float(_)) {
                let (sign, digits) = body.split_at(usize::from(body.starts_with(['-', '+'])));
                out.push_str(sign);
                out.extend(std::iter::repeat_n('0', pad));
                out.push_str(digits);
            } else {
                out.extend(std::iter::repeat_n(' ', pad));
                out.push_str(&body);
            }
        } else {
            out.push_str(&body);
        }
    }
    if next < args.len() {
        out.push_str("%!(EXTRA ");
        let extra: Vec<String> = args[next..]
            .iter()
            .map(|v| format!("{}={}", v.kind(), v.print()))
            .collect();
        out.push_str(&extra.join(", "));
        out.push(')');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(text: &str, env: &Env<'_>) -> Result<String, TemplateError> {
        Template::parse(
            "t",
            text,
            &["labels", "value", "externalLabels", "externalURL"],
        )?
        .render(env)
    }

    fn alert_env<'a>() -> Env<'a> {
        Env::default()
            .var(
                "labels",
                Value::labels([("instance", "web-1:9100"), ("job", "node")]),
            )
            .var("value", Value::Float(0.0567))
            .var("externalLabels", Value::labels([("cluster", "eu")]))
            .var("externalURL", Value::Str("http://prom:9090/p".into()))
    }

    /// The outputs Prometheus's template tests and documentation give.
    #[test]
    fn prometheus_functions_as_documented() {
        let cases: &[(&str, &str)] = &[
            ("{{ humanize 1234567.0 }}", "1.235M"),
            ("{{ humanize 0.001234 }}", "1.234m"),
            ("{{ humanize 0 }}", "0"),
            ("{{ humanize \"1234\" }}", "1.234k"),
            ("{{ humanize 12 }}", "12"),
            ("{{ humanize1024 1048576.0 }}", "1Mi"),
            ("{{ humanize1024 1234567.0 }}", "1.177Mi"),
            ("{{ humanize1024 0.5 }}", "0.5"),
            ("{{ humanizeDuration 0.000001 }}", "1us"),
            ("{{ humanizeDuration 0.1 }}", "100ms"),
            ("{{ humanizeDuration 1.5 }}", "1.5s"),
            ("{{ humanizeDuration 90061 }}", "1d 1h 1m 1s"),
            ("{{ humanizeDuration 3600 }}", "1h 0m 0s"),
            ("{{ humanizeDuration -61 }}", "-1m 1s"),
            ("{{ humanizeDuration 0 }}", "0s"),
            ("{{ humanizePercentage 0.1234 }}", "12.34%"),
            ("{{ humanizePercentage 1 }}", "100%"),
            (
                "{{ humanizeTimestamp 1435065584.128 }}",
                "2015-06-23 13:19:44.128 +0000 UTC",
            ),
            (
                "{{ toUpper \"aBc\" }} {{ toLower \"aBc\" }} {{ title \"hello world\" }}",
                "ABC abc Hello World",
            ),
            (
                "{{ reReplaceAll \"localhost:(.*)\" \"foo:$1\" \"localhost:9090\" }}",
                "foo:9090",
            ),
            ("{{ if match \"^a\" \"abc\" }}yes{{ end }}", "yes"),
            ("{{ \"<b>\" | safeHtml }}", "<b>"),
            (
                "{{ stripPort \"localhost:9090\" }} {{ stripPort \"[::1]:9090\" }}",
                "localhost ::1",
            ),
            (
                "{{ stripDomain \"foo.example.com:9090\" }} {{ stripDomain \"192.168.0.1:80\" }}",
                "foo:9090 192.168.0.1:80",
            ),
            ("{{ parseDuration \"1h2m\" }}", "3720"),
            (
                "{{ with args 1 \"x\" }}{{ .arg0 }} {{ .arg1 }}{{ end }}",
                "1 x",
            ),
            (
                "{{ printf \"%.2f %s %d %5.1f|%-4s|\" 3.14159 \"x\" 7 2.0 \"ab\" }}",
                "3.14 x 7   2.0|ab  |",
            ),
            ("{{ printf \"%v %g\" 0.05 1e6 }}", "0.05 1e+06"),
            ("{{ toDuration 90.5 }}", "1m30.5s"),
            (
                "{{ graphLink \"up == 0\" }}",
                "/graph?g0.expr=up+%3D%3D+0&g0.tab=0",
            ),
        ];
        for (text, want) in cases {
            assert_eq!(render(text, &Env::default()).unwrap(), *want, "{text}");
        }
    }

    #[test]
    fn the_remaining_functions() {
        let env = Env::default()
            .with_clock_and_url(1_700_000_000.5, "https://prom.example.com/prometheus");
        let cases: &[(&str, &str)] = &[
            (
                r#"{{ toTime 1435065584.128 }}"#,
                "2015-06-23 13:19:44.128 +0000 UTC",
            ),
            (r#"{{ now }}"#, "1.7000000005e+09"),
            (
                r#"{{ externalURL }} {{ pathPrefix }}"#,
                "https://prom.example.com/prometheus /prometheus",
            ),
            (r#"{{ tableLink "up" }}"#, "/graph?g0.expr=up&g0.tab=1"),
            (r#"{{ js "a'b<c>" }}"#, r#"a\'b\u003Cc\u003E"#),
            (r#"{{ urlquery "a b&c" }}"#, "a+b%26c"),
            (r#"{{ html "<a href='x'>" }}"#, "&lt;a href=&#39;x&#39;&gt;"),
            (
                r#"{{ print 1 2 }} {{ print "a" "b" }} {{ println "x" }}"#,
                "1 2 ab x\n",
            ),
            (r#"{{ len "abc" }} {{ slice "abcdef" 1 3 }}"#, "3 bc"),
            (
                r#"{{ ne 1 2 }} {{ lt 1.5 2 }} {{ le 2 2 }} {{ ge "b" "a" }} {{ eq 1 3 1 }}"#,
                "true true true true true",
            ),
        ];
        for (text, want) in cases {
            assert_eq!(render(text, &env).unwrap(), *want, "{text}");
        }
        let run = |_: &str| -> Result<Vec<Sample>, String> {
            Ok(vec![Sample {
                labels: [
                    ("__value__".to_string(), "7".to_string()),
                    ("job".to_string(), "a".to_string()),
                ]
                .into(),
                value: 7.0,
            }])
        };
        let env = Env::default().with_query(&run);
        assert_eq!(
            render(r#"{{ with query "x" }}{{ . | first | strvalue }} {{ . | first | label "job" }}{{ end }}"#, &env).unwrap(),
            "7 a"
        );
    }

    #[test]
    fn alert_templates() {
        let env = alert_env();
        let cases: &[(&str, &str)] = &[
            (
                "{{ $labels.instance }} of job {{ $labels.job }}",
                "web-1:9100 of job node",
            ),
            ("{{ $value | humanizePercentage }}", "5.67%"),
            ("{{ $value }}", "0.0567"),
            ("{{ $labels.missing }}|", "|"),
            (
                "{{ $externalLabels.cluster }} {{ $externalURL }}",
                "eu http://prom:9090/p",
            ),
            (
                "{{ if gt $value 0.05 }}high{{ else if gt $value 0.01 }}mid{{ else }}low{{ end }}",
                "high",
            ),
            ("{{- /* a comment */ -}}  x  {{- \"y\" }}", "xy"),
            (
                "{{ range $k, $v := $labels }}{{ $k }}={{ $v }};{{ end }}",
                "instance=web-1:9100;job=node;",
            ),
            ("{{ $x := 3 }}{{ if eq $x 3 }}three{{ end }}", "three"),
            ("{{ index $labels \"job\" }} {{ len $labels }}", "node 2"),
            (
                "{{ and 1 0 }} {{ or 0 \"\" 2 }} {{ not true }}",
                "0 2 false",
            ),
            ("{{ with $labels.nope }}x{{ else }}empty{{ end }}", "empty"),
        ];
        for (text, want) in cases {
            assert_eq!(render(text, &env).unwrap(), *want, "{text}");
        }
    }

    #[test]
    fn queries_in_templates() {
        let run = |q: &str| -> Result<Vec<Sample>, String> {
            if q == "up" {
                Ok(vec![
                    Sample {
                        labels: [("instance".to_string(), "b".to_string())].into(),
                        value: 1.0,
                    },
                    Sample {
                        labels: [("instance".to_string(), "a".to_string())].into(),
                        value: 0.0,
                    },
                ])
            } else {
                Ok(Vec::new())
            }
        };
        let env = Env::default().with_query(&run);
        assert_eq!(
            render("{{ query \"up\" | first | value }}", &env).unwrap(),
            "1"
        );
        assert_eq!(
            render("{{ range query \"up\" | sortByLabel \"instance\" }}{{ .Labels.instance }}={{ .Value }} {{ end }}", &env).unwrap(),
            "a=0 b=1 "
        );
        assert_eq!(
            render(
                "{{ with query \"up\" }}{{ . | first | label \"instance\" }}{{ end }}",
                &env
            )
            .unwrap(),
            "b"
        );
        let err = render("{{ query \"none\" | first | value }}", &env).unwrap_err();
        assert!(
            err.message
                .contains("first() called on vector with no elements"),
            "{err}"
        );
    }

    #[test]
    fn errors_name_their_line() {
        let err = Template::parse("__alert_X", "a\n{{ $label.foo }}", &["labels"]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "template: __alert_X:2: undefined variable \"$label\""
        );
        assert!(
            Template::parse("t", "{{ nope 1 }}", &[])
                .unwrap_err()
                .message
                .contains("function \"nope\" not defined")
        );
        assert!(Template::parse("t", "{{ if 1 }}", &[]).is_err());
        assert!(Template::parse("t", "{{ end }}", &[]).is_err());
        assert!(Template::parse("t", "{{ \"x }}", &[]).is_err());
        assert!(Template::parse("t", "{{ 1 | 2 }}", &[]).is_err());
        let err = render("{{ humanize \"abc\" }}", &Env::default()).unwrap_err();
        assert!(err.message.starts_with("error calling humanize"), "{err}");
    }

    #[test]
    fn junk_never_panics() {
        for junk in [
            "{{",
            "}}",
            "{{-}}",
            "{{ ( }}",
            "{{ ) }}",
            "{{ $ }}",
            "{{ . . }}",
            "{{/*",
            "{{ printf \"%\" }}",
            "{{ slice \"ab\" 5 }}",
            "{{ range 3 }}{{ . }}{{ end }}",
            "{{ -1.5e }}",
            "{{ else }}",
            "{{ index 1 2 }}",
            "{{-",
            "{{ 0x }}",
            "{{ `a }}",
        ] {
            let _ = render(junk, &Env::default());
        }
    }
}
