//! The runner: walks the tree with an [`Env`], as Go's `text/template`
//! executes with `missingkey=zero` (an absent map key is empty text).
//! Rendering is bounded: at most a million steps and a mebibyte of
//! output, so no template can freeze the page.
//!
//! ```
//! use o11y_template::{Env, Template, Value};
//!
//! let t = Template::parse("t", "{{ range $k, $v := . }}{{ $k }}={{ $v }};{{ end }}", &[]).unwrap();
//! let env = Env::default().dot(Value::labels([("a", "1"), ("b", "2")]));
//! assert_eq!(t.render(&env).unwrap(), "a=1;b=2;");
//! ```

use crate::env::Env;
use crate::error::{CallError, TemplateError};
use crate::functions::Functions;
use crate::tree::{Arg, Node, Pipe, Template};
use crate::value::{MAX_OUTPUT, Value};

/// Most actions and loop turns one rendering runs: a template can loop
/// over a query's results, but never forever.
const MAX_STEPS: usize = 1_000_000;

impl Template {
    /// Runs the template.
    pub fn render(&self, env: &Env<'_>) -> Result<String, TemplateError> {
        let mut run = Run {
            name: &self.name,
            functions: self.functions,
            env,
            vars: env.vars.clone(),
            out: String::new(),
            steps: 0,
        };
        run.nodes(&self.nodes, &env.dot)?;
        Ok(run.out)
    }
}

struct Run<'t, 'e> {
    name: &'t str,
    functions: Functions,
    env: &'t Env<'e>,
    vars: Vec<(String, Value)>,
    out: String,
    steps: usize,
}

impl Run<'_, '_> {
    /// An error in the action of `at`.
    fn fail<T>(&self, at: &Pipe, message: impl Into<String>) -> Result<T, TemplateError> {
        Err(TemplateError {
            name: self.name.to_string(),
            line: at.line,
            message: message.into(),
            span: at.span.clone(),
        })
    }

    /// Counts one step; fails past the limits.
    fn step(&mut self) -> Result<(), TemplateError> {
        self.steps += 1;
        if self.steps > MAX_STEPS || self.out.len() > MAX_OUTPUT {
            return Err(TemplateError {
                name: self.name.to_string(),
                line: 0,
                message: "the template runs too long or writes too much".into(),
                span: 0..0,
            });
        }
        Ok(())
    }

    fn nodes(&mut self, nodes: &[Node], dot: &Value) -> Result<(), TemplateError> {
        for n in nodes {
            self.step()?;
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
                Node::Range(p, body, other) => self.range(p, body, other, dot)?,
            }
        }
        Ok(())
    }

    fn range(
        &mut self,
        p: &Pipe,
        body: &[Node],
        other: &[Node],
        dot: &Value,
    ) -> Result<(), TemplateError> {
        let depth = self.vars.len();
        // Evaluate without declaring: range declares per element.
        let bare = Pipe {
            decl: Vec::new(),
            ..p.clone()
        };
        let v = self.pipe(&bare, dot)?;
        let items: Box<dyn Iterator<Item = (Value, Value)>> = match v {
            Value::List(l) => Box::new(
                l.into_iter()
                    .enumerate()
                    .map(|(i, v)| (Value::Int(i as i64), v)),
            ),
            Value::Map(m) => Box::new(m.into_iter().map(|(k, v)| (Value::Str(k), v))),
            Value::Int(n) => Box::new((0..n.max(0)).map(|i| (Value::Int(i), Value::Int(i)))),
            Value::Nil => Box::new(std::iter::empty()),
            other => {
                return self.fail(p, format!("range can't iterate over {}", other.print()));
            }
        };
        let mut items = items.peekable();
        if items.peek().is_none() {
            self.nodes(other, dot)?;
        }
        for (key, item) in items {
            self.step()?;
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
        Ok(())
    }

    fn lookup(&self, name: &str, at: &Pipe) -> Result<Value, TemplateError> {
        match self.vars.iter().rev().find(|(n, _)| n == name) {
            Some((_, v)) => Ok(v.clone()),
            // `$` is the dot the template started with.
            None if name.is_empty() => Ok(self.env.dot.clone()),
            None => self.fail(at, format!("undefined variable \"${name}\"")),
        }
    }

    fn field(&self, v: Value, name: &str, at: &Pipe) -> Result<Value, TemplateError> {
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
                    at,
                    format!("can't evaluate field {name} in type *template.sample"),
                ),
            },
            Value::Nil => self.fail(at, format!("nil pointer evaluating interface {{}}.{name}")),
            other => self.fail(
                at,
                format!("can't evaluate field {name} in type {}", other.kind()),
            ),
        }
    }

    fn fields(&self, mut v: Value, fs: &[String], at: &Pipe) -> Result<Value, TemplateError> {
        for f in fs {
            v = self.field(v, f, at)?;
        }
        Ok(v)
    }

    fn pipe(&mut self, p: &Pipe, dot: &Value) -> Result<Value, TemplateError> {
        let mut prev: Option<Value> = None;
        for cmd in &p.cmds {
            prev = Some(self.command(cmd, dot, prev, p)?);
        }
        let v = prev.unwrap_or(Value::Nil);
        for name in &p.decl {
            // `=` assigns the innermost variable of that name; `:=` declares one.
            self.vars.push((name.clone(), v.clone()));
        }
        Ok(v)
    }

    fn arg(&mut self, a: &Arg, dot: &Value, at: &Pipe) -> Result<Value, TemplateError> {
        Ok(match a {
            Arg::Field(fs) => self.fields(dot.clone(), fs, at)?,
            Arg::Var(name, fs) => {
                let v = self.lookup(name, at)?;
                self.fields(v, fs, at)?
            }
            Arg::Str(s) => Value::Str(s.clone()),
            Arg::Int(i) => Value::Int(*i),
            Arg::Float(f) => Value::Float(*f),
            Arg::Bool(b) => Value::Bool(*b),
            Arg::Nil => Value::Nil,
            Arg::Pipe(p, fs) => {
                let v = self.pipe(p, dot)?;
                self.fields(v, fs, at)?
            }
            Arg::Func(f) => self.call(f, Vec::new(), at)?,
        })
    }

    fn command(
        &mut self,
        cmd: &[Arg],
        dot: &Value,
        piped: Option<Value>,
        at: &Pipe,
    ) -> Result<Value, TemplateError> {
        match cmd.first() {
            Some(Arg::Func(f)) => {
                // `and`/`or` stop at the first deciding argument.
                if (f == "and" || f == "or") && piped.is_none() {
                    if cmd.len() < 2 {
                        return self.fail(
                            at,
                            format!("wrong number of args for {f}: want at least 1 got 0"),
                        );
                    }
                    let mut last = Value::Nil;
                    for a in &cmd[1..] {
                        last = self.arg(a, dot, at)?;
                        if last.truthy() != (f == "and") {
                            return Ok(last);
                        }
                    }
                    return Ok(last);
                }
                let mut args = Vec::with_capacity(cmd.len());
                for a in &cmd[1..] {
                    args.push(self.arg(a, dot, at)?);
                }
                if let Some(v) = piped {
                    args.push(v);
                }
                self.call(f, args, at)
            }
            Some(a) => {
                if piped.is_some() {
                    return self.fail(at, "can't give argument to non-function");
                }
                self.arg(a, dot, at)
            }
            None => Ok(Value::Nil),
        }
    }

    fn call(&mut self, f: &str, args: Vec<Value>, at: &Pipe) -> Result<Value, TemplateError> {
        self.step()?;
        match self.functions.call(f, args, self.env) {
            Ok(Value::Str(s)) if s.len() > MAX_OUTPUT => {
                self.fail(at, format!("error calling {f}: the result is too large"))
            }
            Ok(v) => Ok(v),
            Err(CallError::Args(message)) => self.fail(at, message),
            Err(CallError::Failed(message)) => {
                self.fail(at, format!("error calling {f}: {message}"))
            }
        }
    }
}
