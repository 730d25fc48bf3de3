//! The Go `text/template` subset LogQL's `line_format` and `label_format`
//! use: `{{.label}}`, `{{ .label | ToUpper }}`, `{{ default "x" .label }}`,
//! `{{ printf "%s-%d" .a .b }}`, `{{ __line__ }}`, `{{ __timestamp__ }}`
//! and Loki's string functions. Anything else (`if`, `range`, variables)
//! is an error that names it.
//!
//! ```
//! use o11y_logs::template::Template;
//!
//! let t = Template::parse("{{.method | ToUpper}} {{ default \"-\" .route }}").unwrap();
//! let labels = [("method".to_string(), "get".to_string())];
//! assert_eq!(t.render(&|n| labels.iter().find(|l| l.0 == n).map(|l| l.1.clone()), "", 0).unwrap(), "GET -");
//! ```

/// One argument or pipeline head.
#[derive(Clone, Debug, PartialEq)]
enum Arg {
    Field(String),
    Str(String),
    Num(f64),
    Line,
    Timestamp,
    /// A parenthesised pipeline.
    Pipe(Box<Pipeline>),
}

#[derive(Clone, Debug, PartialEq)]
struct Command {
    /// A function name, or `None` for a plain value.
    func: Option<String>,
    args: Vec<Arg>,
}

#[derive(Clone, Debug, PartialEq)]
struct Pipeline(Vec<Command>);

#[derive(Clone, Debug, PartialEq)]
enum Part {
    Text(String),
    Action(Pipeline),
}

/// A parsed template.
#[derive(Clone, Debug, PartialEq)]
pub struct Template {
    parts: Vec<Part>,
    pub source: String,
}

/// A template that could not be parsed or run; `offset` is in the template text.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("template: {message} (at character {offset})")]
pub struct TemplateError {
    pub offset: usize,
    pub message: String,
}

const FUNCTIONS: [&str; 26] = [
    "ToUpper",
    "ToLower",
    "toUpper",
    "toLower",
    "upper",
    "lower",
    "title",
    "Title",
    "TrimSpace",
    "trimSpace",
    "trim",
    "TrimPrefix",
    "TrimSuffix",
    "trimPrefix",
    "trimSuffix",
    "replace",
    "Replace",
    "trunc",
    "substr",
    "default",
    "printf",
    "regexReplaceAll",
    "regexReplaceAllLiteral",
    "contains",
    "hasPrefix",
    "hasSuffix",
];

struct Parser<'a> {
    src: &'a str,
    pos: usize,
}

impl Parser<'_> {
    fn err<T>(&self, message: impl Into<String>) -> Result<T, TemplateError> {
        Err(TemplateError {
            offset: self.pos,
            message: message.into(),
        })
    }

    fn skip_space(&mut self) {
        while self.src[self.pos..].starts_with([' ', '\t', '\n']) {
            self.pos += 1;
        }
    }

    fn at_end_of_action(&self) -> bool {
        let rest = &self.src[self.pos..];
        rest.starts_with("}}") || rest.starts_with("-}}")
    }

    fn word(&mut self) -> &str {
        let start = self.pos;
        while let Some(c) = self.src[self.pos..].chars().next() {
            if c.is_alphanumeric() || c == '_' || c == '.' {
                self.pos += c.len_utf8();
            } else {
                break;
            }
        }
        &self.src[start..self.pos]
    }

    fn string(&mut self) -> Result<String, TemplateError> {
        let quote = self.src[self.pos..].chars().next().unwrap_or('"');
        self.pos += 1;
        let mut out = String::new();
        while let Some(c) = self.src[self.pos..].chars().next() {
            self.pos += c.len_utf8();
            if c == quote {
                return Ok(out);
            }
            if c == '\\' && quote == '"' {
                let Some(n) = self.src[self.pos..].chars().next() else {
                    break;
                };
                self.pos += n.len_utf8();
                out.push(match n {
                    'n' => '\n',
                    't' => '\t',
                    other => other,
                });
            } else {
                out.push(c);
            }
        }
        self.err("a string is not closed")
    }

    fn arg(&mut self) -> Result<Arg, TemplateError> {
        self.skip_space();
        let rest = &self.src[self.pos..];
        if rest.starts_with('"') || rest.starts_with('`') {
            return Ok(Arg::Str(self.string()?));
        }
        if rest.starts_with('(') {
            self.pos += 1;
            let inner = self.pipeline(true)?;
            self.skip_space();
            if !self.src[self.pos..].starts_with(')') {
                return self.err("expected )");
            }
            self.pos += 1;
            return Ok(Arg::Pipe(Box::new(inner)));
        }
        if rest.starts_with('$') {
            return self.err("variables ($) are not supported");
        }
        let start = self.pos;
        let word = self.word().to_string();
        if word.is_empty() {
            self.pos = start;
            return self.err(format!(
                "unexpected {:?}",
                rest.chars().next().unwrap_or(' ')
            ));
        }
        if let Some(field) = word.strip_prefix('.') {
            return Ok(Arg::Field(field.to_string()));
        }
        match word.as_str() {
            "__line__" => Ok(Arg::Line),
            "__timestamp__" => Ok(Arg::Timestamp),
            w if w.parse::<f64>().is_ok() => Ok(Arg::Num(w.parse().unwrap_or(0.0))),
            "if" | "else" | "end" | "range" | "with" | "define" | "template" | "block" => {
                self.pos = start;
                self.err(format!(
                    "{{{{{word}}}}} is not supported in LogQL templates here"
                ))
            }
            _ => {
                self.pos = start;
                self.err(format!("unknown function or value {word:?}"))
            }
        }
    }

    fn command(&mut self, nested: bool) -> Result<Command, TemplateError> {
        self.skip_space();
        let start = self.pos;
        let word = self.word().to_string();
        let mut cmd = if FUNCTIONS.contains(&word.as_str()) {
            Command {
                func: Some(word),
                args: Vec::new(),
            }
        } else {
            self.pos = start;
            Command {
                func: None,
                args: vec![self.arg()?],
            }
        };
        loop {
            self.skip_space();
            let rest = &self.src[self.pos..];
            if rest.is_empty()
                || rest.starts_with('|')
                || self.at_end_of_action()
                || (nested && rest.starts_with(')'))
            {
                return Ok(cmd);
            }
            if cmd.func.is_none() {
                return self.err("a value cannot take arguments");
            }
            cmd.args.push(self.arg()?);
        }
    }

    fn pipeline(&mut self, nested: bool) -> Result<Pipeline, TemplateError> {
        let mut commands = vec![self.command(nested)?];
        loop {
            self.skip_space();
            if self.src[self.pos..].starts_with('|') {
                self.pos += 1;
                commands.push(self.command(nested)?);
            } else {
                return Ok(Pipeline(commands));
            }
        }
    }
}

impl Template {
    pub fn parse(source: &str) -> Result<Template, TemplateError> {
        let mut parts = Vec::new();
        let mut p = Parser {
            src: source,
            pos: 0,
        };
        while p.pos < source.len() {
            match source[p.pos..].find("{{") {
                None => {
                    parts.push(Part::Text(source[p.pos..].to_string()));
                    break;
                }
                Some(k) => {
                    let mut text = source[p.pos..p.pos + k].to_string();
                    p.pos += k + 2;
                    if source[p.pos..].starts_with('-') {
                        p.pos += 1;
                        text.truncate(text.trim_end().len());
                    }
                    if !text.is_empty() {
                        parts.push(Part::Text(text));
                    }
                    p.skip_space();
                    if source[p.pos..].starts_with("/*") {
                        match source[p.pos..].find("*/") {
                            Some(end) => p.pos += end + 2,
                            None => return p.err("a comment is not closed"),
                        }
                    } else {
                        parts.push(Part::Action(p.pipeline(false)?));
                    }
                    p.skip_space();
                    let trim_after = source[p.pos..].starts_with("-}}");
                    if trim_after {
                        p.pos += 1;
                    }
                    if !source[p.pos..].starts_with("}}") {
                        return p.err("expected }}");
                    }
                    p.pos += 2;
                    if trim_after {
                        while source[p.pos..].starts_with([' ', '\t', '\n']) {
                            p.pos += 1;
                        }
                    }
                }
            }
        }
        Ok(Template {
            parts,
            source: source.to_string(),
        })
    }

    /// Renders with `label` looking up label values, the line and its time (ns).
    pub fn render(
        &self,
        label: &dyn Fn(&str) -> Option<String>,
        line: &str,
        ts_ns: i64,
    ) -> Result<String, TemplateError> {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Text(t) => out.push_str(t),
                Part::Action(p) => out.push_str(&run_pipeline(p, label, line, ts_ns)?),
            }
        }
        Ok(out)
    }
}

fn value(
    arg: &Arg,
    label: &dyn Fn(&str) -> Option<String>,
    line: &str,
    ts_ns: i64,
) -> Result<String, TemplateError> {
    Ok(match arg {
        Arg::Field(f) => label(f).unwrap_or_default(),
        Arg::Str(s) => s.clone(),
        Arg::Num(n) => o11y_model::number::format_float(*n),
        Arg::Line => line.to_string(),
        Arg::Timestamp => o11y_model::time::format_rfc3339_nanos(ts_ns),
        Arg::Pipe(p) => run_pipeline(p, label, line, ts_ns)?,
    })
}

fn run_pipeline(
    p: &Pipeline,
    label: &dyn Fn(&str) -> Option<String>,
    line: &str,
    ts_ns: i64,
) -> Result<String, TemplateError> {
    let mut piped: Option<String> = None;
    for cmd in &p.0 {
        let mut args: Vec<String> = cmd
            .args
            .iter()
            .map(|a| value(a, label, line, ts_ns))
            .collect::<Result<_, _>>()?;
        if let Some(prev) = piped.take() {
            args.push(prev);
        }
        let result = match cmd.func.as_deref() {
            None => args.into_iter().next().unwrap_or_default(),
            Some(f) => call(f, &args)?,
        };
        piped = Some(result);
    }
    Ok(piped.unwrap_or_default())
}

fn call(f: &str, a: &[String]) -> Result<String, TemplateError> {
    let need = |n: usize| -> Result<(), TemplateError> {
        if a.len() < n {
            Err(TemplateError {
                offset: 0,
                message: format!("{f} needs {n} arguments, got {}", a.len()),
            })
        } else {
            Ok(())
        }
    };
    let last = || a.last().cloned().unwrap_or_default();
    Ok(match f {
        "ToUpper" | "toUpper" | "upper" => last().to_uppercase(),
        "ToLower" | "toLower" | "lower" => last().to_lowercase(),
        "title" | "Title" => last()
            .split(' ')
            .map(|w| {
                let mut c = w.chars();
                c.next().map_or(String::new(), |f| {
                    f.to_uppercase().collect::<String>() + c.as_str()
                })
            })
            .collect::<Vec<_>>()
            .join(" "),
        "TrimSpace" | "trimSpace" | "trim" => last().trim().to_string(),
        "TrimPrefix" | "trimPrefix" => {
            need(2)?;
            a[1].strip_prefix(a[0].as_str())
                .unwrap_or(&a[1])
                .to_string()
        }
        "TrimSuffix" | "trimSuffix" => {
            need(2)?;
            a[1].strip_suffix(a[0].as_str())
                .unwrap_or(&a[1])
                .to_string()
        }
        "replace" | "Replace" => {
            need(3)?;
            a[2].replace(a[0].as_str(), &a[1])
        }
        "trunc" => {
            need(2)?;
            let n: i64 = a[0].parse().unwrap_or(0);
            let chars: Vec<char> = a[1].chars().collect();
            if n >= 0 {
                chars.iter().take(n as usize).collect()
            } else {
                chars[chars.len().saturating_sub(n.unsigned_abs() as usize)..]
                    .iter()
                    .collect()
            }
        }
        "substr" => {
            need(3)?;
            let chars: Vec<char> = a[2].chars().collect();
            let start = a[0].parse::<usize>().unwrap_or(0).min(chars.len());
            let end = a[1]
                .parse::<usize>()
                .unwrap_or(chars.len())
                .clamp(start, chars.len());
            chars[start..end].iter().collect()
        }
        "default" => {
            need(1)?;
            match a.get(1) {
                Some(v) if !v.is_empty() => v.clone(),
                _ => a[0].clone(),
            }
        }
        "printf" => {
            need(1)?;
            go_printf(&a[0], &a[1..])
        }
        "regexReplaceAll" | "regexReplaceAllLiteral" => {
            need(3)?;
            let re = regex::Regex::new(&a[0]).map_err(|e| TemplateError {
                offset: 0,
                message: format!("{f}: {e}"),
            })?;
            if f == "regexReplaceAll" {
                re.replace_all(&a[2], a[1].as_str()).into_owned()
            } else {
                re.replace_all(&a[2], regex::NoExpand(&a[1])).into_owned()
            }
        }
        "contains" => {
            need(2)?;
            a[1].contains(a[0].as_str()).to_string()
        }
        "hasPrefix" => {
            need(2)?;
            a[1].starts_with(a[0].as_str()).to_string()
        }
        "hasSuffix" => {
            need(2)?;
            a[1].ends_with(a[0].as_str()).to_string()
        }
        other => {
            return Err(TemplateError {
                offset: 0,
                message: format!("unknown function {other}"),
            });
        }
    })
}

/// Go's `fmt.Sprintf` for `%s %d %v %f %.Nf %q %%` (arguments are strings;
/// numbers are parsed from them).
fn go_printf(format: &str, args: &[String]) -> String {
    let mut out = String::new();
    let mut args = args.iter();
    let mut chars = format.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let mut spec = String::new();
        while let Some(&n) = chars.peek() {
            spec.push(n);
            chars.next();
            if n.is_ascii_alphabetic() || n == '%' {
                break;
            }
        }
        let verb = spec.chars().last().unwrap_or('v');
        if verb == '%' {
            out.push('%');
            continue;
        }
        let Some(arg) = args.next() else {
            out.push_str(&format!("%!{verb}(MISSING)"));
            continue;
        };
        let precision: Option<usize> = spec
            .split_once('.')
            .and_then(|(_, p)| p.trim_end_matches(verb).parse().ok());
        match verb {
            'd' => out.push_str(
                &arg.parse::<f64>()
                    .map_or(arg.clone(), |v| format!("{}", v.trunc() as i64)),
            ),
            'f' => out.push_str(
                &arg.parse::<f64>()
                    .map_or(arg.clone(), |v| format!("{v:.*}", precision.unwrap_or(6))),
            ),
            'q' => out.push_str(&format!("{arg:?}")),
            _ => out.push_str(arg),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(t: &str, labels: &[(&str, &str)]) -> Result<String, TemplateError> {
        let owned: Vec<(String, String)> = labels
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect();
        Template::parse(t)?.render(
            &|n| owned.iter().find(|l| l.0 == n).map(|l| l.1.clone()),
            "the line",
            1_700_000_000_000_000_000,
        )
    }

    #[test]
    fn loki_documentation_examples() {
        let labels = [
            ("query", "{job=\"x\"}"),
            ("duration", "1.5s"),
            ("status", "200"),
            ("method", "get"),
        ];
        assert_eq!(
            render("{{.query}} {{.duration}}", &labels).unwrap(),
            "{job=\"x\"} 1.5s"
        );
        assert_eq!(render("{{ .method | ToUpper }}", &labels).unwrap(), "GET");
        assert_eq!(render("{{ ToLower \"HeLLo\" }}", &labels).unwrap(), "hello");
        assert_eq!(
            render("{{ default \"-\" .missing }}", &labels).unwrap(),
            "-"
        );
        assert_eq!(
            render("{{ printf \"%s=%d\" .method .status }}", &labels).unwrap(),
            "get=200"
        );
        assert_eq!(
            render("{{ replace \"1.5\" \"2\" .duration }}", &labels).unwrap(),
            "2s"
        );
        assert_eq!(render("{{ trunc 2 .method }}", &labels).unwrap(), "ge");
        assert_eq!(
            render("{{ __line__ | ToUpper }}", &labels).unwrap(),
            "THE LINE"
        );
        assert_eq!(
            render("{{ __timestamp__ }}", &labels).unwrap(),
            "2023-11-14T22:13:20Z"
        );
        assert_eq!(
            render("{{ .method | trunc 1 | ToUpper }}", &labels).unwrap(),
            "G"
        );
        assert_eq!(render("a {{- .status -}} b", &labels).unwrap(), "a200b");
    }

    #[test]
    fn unsupported_constructs_are_named() {
        assert!(
            render("{{ if .x }}y{{ end }}", &[])
                .unwrap_err()
                .message
                .contains("{{if}} is not supported")
        );
        assert!(
            render("{{ $x }}", &[])
                .unwrap_err()
                .message
                .contains("variables")
        );
        assert!(
            render("{{ .x ", &[])
                .unwrap_err()
                .message
                .contains("expected }}")
        );
        assert!(
            render("{{ nosuch .x }}", &[])
                .unwrap_err()
                .message
                .contains("unknown function")
        );
    }
}
