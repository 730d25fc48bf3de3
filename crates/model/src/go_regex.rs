//! Go's regular expressions (`regexp/syntax` with Perl flags), the
//! dialect Prometheus, Loki and Alertmanager compile, rewritten into the
//! `regex` crate's for the same language: PromQL's and LogQL's matchers
//! and regexes, relabeling and Alertmanager's matchers all go through it.

/// Rewrites a regular expression in Go's syntax (`regexp/syntax` with
/// Perl flags, what Prometheus and Alertmanager compile) into the `regex`
/// crate's, for the same language; or Go's error for what Go refuses.
/// The two RE2 dialects differ: Go takes `\Q…\E`, octal escapes,
/// `\p{^Greek}`, a `{` that starts no repetition as a literal, `[[]` and
/// `[\d-z]`, and refuses `a**`, `a{1001}`, `(a{100}){100}`, `(?x)` and
/// `[a--b]`, where the `regex` crate does the opposite. `\d`, `\w`, `\s`
/// and `\b` come out ASCII-only, as in Go. Capture groups keep their
/// numbers (a repeated name is kept on its first group only). Give it the
/// whole pattern Go compiles, anchors included (`^(?s:…)$`): `a)|(b` is
/// valid only inside them.
///
/// ```
/// use o11y_model::go_regex::go_regex;
///
/// assert_eq!(go_regex(r"\Qa.b\E").unwrap(), r"a\x{2e}b");
/// assert!(go_regex("x{1001}").is_err());
/// assert!(regex::Regex::new(&go_regex("a{,5}").unwrap()).unwrap().is_match("a{,5}"));
/// ```
pub fn go_regex(pattern: &str) -> Result<String, crate::diag::Diagnostic> {
    GoRegex {
        chars: pattern.chars().collect(),
        at: 0,
        out: String::with_capacity(pattern.len() + 8),
        names: Vec::new(),
    }
    .translate()
    .map_err(crate::diag::Diagnostic::new)
}

/// Go's limit on a repetition count, and on nested counts multiplied.
const GO_MAX_REPEAT: u64 = 1000;

/// What the last piece of an expression was, for the repetition checks:
/// repetitions nest only through groups (`(a*)*`, not `a**`), and
/// `n`-fold repetitions multiply (`(a{10}){10}` is 100 copies).
#[derive(Clone, Copy)]
enum Piece {
    /// Nothing to repeat: the start, after `|` or `(`, or a flags group.
    Nothing,
    /// An atom, and the most copies of anything in it.
    Atom(u64),
    /// A repetition (`*`, `+`, `?`, `{n,m}`, lazy or not).
    Repeated(u64),
}

struct GoRegex {
    chars: Vec<char>,
    at: usize,
    out: String,
    names: Vec<String>,
}

impl GoRegex {
    fn peek(&self, ahead: usize) -> Option<char> {
        self.chars.get(self.at + ahead).copied()
    }

    fn translate(mut self) -> Result<String, String> {
        // Per open group: the most copies seen in it so far.
        let mut groups: Vec<u64> = Vec::new();
        let mut most = 1;
        let mut last = Piece::Nothing;
        while let Some(c) = self.peek(0) {
            self.at += 1;
            match c {
                '(' => {
                    most = most.max(copies(last));
                    if self.peek(0) == Some('?') {
                        self.at += 1;
                        if !self.group_options()? {
                            // `(?i)`: flags for the rest, not a group.
                            last = Piece::Nothing;
                            continue;
                        }
                    } else {
                        self.out.push('(');
                    }
                    groups.push(most);
                    most = 1;
                    last = Piece::Nothing;
                }
                ')' => {
                    let inner = most.max(copies(last));
                    most = groups
                        .pop()
                        .ok_or_else(|| format!("unexpected ): `{}`", self.text()))?;
                    self.out.push(')');
                    last = Piece::Atom(inner);
                }
                '|' => {
                    most = most.max(copies(last));
                    self.out.push('|');
                    last = Piece::Nothing;
                }
                '*' | '+' | '?' => {
                    let op = self.lazy(c.to_string());
                    last = repeated(last, &op, 1)?;
                    self.out.push_str(&op);
                }
                '{' => match self.repeat_counts() {
                    None => {
                        most = most.max(copies(last));
                        self.out.push_str(r"\x{7b}");
                        last = Piece::Atom(1);
                    }
                    Some((min, max, text)) => {
                        let op = self.lazy(text);
                        if min.max(max.unwrap_or(min)) > GO_MAX_REPEAT
                            || max.is_some_and(|m| m < min)
                        {
                            return Err(format!("invalid repeat count: `{op}`"));
                        }
                        let n = max.unwrap_or(min);
                        let at_least_2 = min >= 2 || max.is_some_and(|m| m >= 2);
                        last = repeated(last, &op, if n == 0 { 1 } else { n })?;
                        if at_least_2 && n > 0 && copies(last) > GO_MAX_REPEAT {
                            return Err(format!("invalid repeat count: `{op}`"));
                        }
                        let max_text = max.map_or(String::new(), |m| m.to_string());
                        let lazy = if op.ends_with('?') { "?" } else { "" };
                        self.out.push_str(&format!("{{{min},{max_text}}}{lazy}"));
                    }
                },
                '[' => {
                    most = most.max(copies(last));
                    self.class()?;
                    last = Piece::Atom(1);
                }
                '\\' => {
                    most = most.max(copies(last));
                    last = Piece::Atom(1);
                    if self.peek(0) == Some('Q') {
                        self.at += 1;
                        self.quoted();
                    } else {
                        let escape = self.escape(false)?;
                        self.out.push_str(&escape);
                    }
                }
                '.' | '^' | '$' => {
                    most = most.max(copies(last));
                    self.out.push(c);
                    last = Piece::Atom(1);
                }
                c => {
                    most = most.max(copies(last));
                    push_literal(&mut self.out, c);
                    last = Piece::Atom(1);
                }
            }
        }
        if !groups.is_empty() {
            return Err(format!("missing closing ): `{}`", self.text()));
        }
        Ok(self.out)
    }

    fn text(&self) -> String {
        self.chars.iter().collect()
    }

    /// A repetition operator `op` and its lazy `?`, if any.
    fn lazy(&mut self, mut op: String) -> String {
        if self.peek(0) == Some('?') {
            self.at += 1;
            op.push('?');
        }
        op
    }

    /// After `(?`: a named group (`P<name>` or `<name>`), a group with
    /// flags (`i:`) or flags alone (`i)`). Whether a group opened.
    fn group_options(&mut self) -> Result<bool, String> {
        let rest: String = self.chars[self.at..].iter().collect();
        let name_start = ["P<", "<"].iter().find(|p| rest.starts_with(**p));
        if let Some(prefix) = name_start {
            let body = &rest[prefix.len()..];
            let end = body
                .find('>')
                .ok_or_else(|| format!("invalid named capture: `(?{rest}`"))?;
            let name = &body[..end];
            if name.is_empty() || !name.chars().all(|c| c == '_' || c.is_ascii_alphanumeric()) {
                return Err(format!(
                    "invalid named capture: `(?{}`",
                    &rest[..prefix.len() + end + 1]
                ));
            }
            self.at += prefix.chars().count() + name.chars().count() + 1;
            if self.names.iter().any(|n| n == name) {
                self.out.push('(');
            } else {
                self.names.push(name.to_string());
                self.out.push_str(&format!("(?P<{name}>"));
            }
            return Ok(true);
        }
        let end = rest
            .find([':', ')'])
            .ok_or_else(|| format!("missing closing ): `{}`", self.text()))?;
        let flags = &rest[..end];
        let off = flags.split_once('-').map_or("", |(_, off)| off);
        let valid = flags.chars().all(|c| "imsU-".contains(c))
            && !off.contains('-')
            && !(flags.contains('-') && off.is_empty());
        if !valid {
            return Err(format!(
                "invalid or unsupported Perl syntax: `(?{}`",
                &rest[..=end]
            ));
        }
        self.at += flags.chars().count() + 1;
        let group = rest[end..].starts_with(':');
        match (flags.is_empty(), group) {
            (true, true) => self.out.push_str("(?:"),
            (true, false) => {}
            (false, true) => self.out.push_str(&format!("(?{flags}:")),
            (false, false) => self.out.push_str(&format!("(?{flags})")),
        }
        Ok(group)
    }

    /// After `{`: Go's `{n}`, `{n,}` or `{n,m}` (no leading zeros), as
    /// min, max (`None` for no limit) and its text; `None` if the `{` is a
    /// literal.
    fn repeat_counts(&mut self) -> Option<(u64, Option<u64>, String)> {
        let start = self.at;
        let number = |s: &mut Self| -> Option<u64> {
            let from = s.at;
            while s.peek(0).is_some_and(|c| c.is_ascii_digit()) {
                s.at += 1;
            }
            let digits: String = s.chars[from..s.at].iter().collect();
            if digits.is_empty() || (digits.len() > 1 && digits.starts_with('0')) {
                return None;
            }
            // Go gives up at 8 digits; anything that long is too many.
            Some(digits.parse().unwrap_or(u64::MAX).min(100_000_000))
        };
        let parsed = (|| {
            let min = number(self)?;
            let max = if self.peek(0) == Some(',') {
                self.at += 1;
                if self.peek(0) == Some('}') {
                    None
                } else {
                    Some(number(self)?)
                }
            } else {
                Some(min)
            };
            (self.peek(0) == Some('}')).then(|| {
                self.at += 1;
                (min, max)
            })
        })();
        match parsed {
            Some((min, max)) => {
                let text: String = self.chars[start - 1..self.at].iter().collect();
                Some((min, max, text))
            }
            None => {
                self.at = start;
                None
            }
        }
    }

    /// After `\Q`: literal text up to `\E` or the end. (Prometheus and
    /// Alertmanager wrap a regex in `^(?:…)$`: without `\E`, the closing
    /// `)` is quoted too and the group is never closed.)
    fn quoted(&mut self) {
        while let Some(c) = self.peek(0) {
            self.at += 1;
            if c == '\\' && self.peek(0) == Some('E') {
                self.at += 1;
                return;
            }
            push_literal(&mut self.out, c);
        }
    }

    /// After a `\` (in a class when `in_class`): the escape for the
    /// `regex` crate.
    fn escape(&mut self, in_class: bool) -> Result<String, String> {
        let c = self
            .peek(0)
            .ok_or_else(|| "trailing backslash at end of expression".to_string())?;
        self.at += 1;
        Ok(match c {
            'd' => perl_class("0-9", false, in_class),
            'D' => perl_class("0-9", true, in_class),
            'w' => perl_class("0-9A-Za-z_", false, in_class),
            'W' => perl_class("0-9A-Za-z_", true, in_class),
            's' => perl_class(r"\t\n\x0C\r ", false, in_class),
            'S' => perl_class(r"\t\n\x0C\r ", true, in_class),
            'b' | 'B' | 'A' | 'z' if !in_class => match c {
                'b' => r"(?-u:\b)".into(),
                'B' => r"(?-u:\B)".into(),
                _ => format!("\\{c}"),
            },
            'p' | 'P' => self.unicode_class(c)?,
            'a' | 'f' | 'n' | 'r' | 't' | 'v' => format!("\\{c}"),
            'x' => {
                let hex: String = if self.peek(0) == Some('{') {
                    let end = self.chars[self.at..]
                        .iter()
                        .position(|c| *c == '}')
                        .ok_or_else(|| "invalid escape sequence: `\\x{`".to_string())?;
                    let h: String = self.chars[self.at + 1..self.at + end].iter().collect();
                    self.at += end + 1;
                    h
                } else {
                    let h: String = self.chars[self.at..].iter().take(2).collect();
                    self.at += h.chars().count();
                    if h.len() < 2 {
                        return Err(format!("invalid escape sequence: `\\x{h}`"));
                    }
                    h
                };
                let code = (!hex.is_empty() && hex.chars().all(|c| c.is_ascii_hexdigit()))
                    .then(|| u32::from_str_radix(&hex, 16).ok())
                    .flatten()
                    .and_then(char::from_u32)
                    .ok_or_else(|| format!("invalid escape sequence: `\\x{hex}`"))?;
                literal(code)
            }
            '0'..='7' => {
                // `\1`…`\7` alone would be a backreference, which Go lacks.
                let octal = |c: Option<char>| c.is_some_and(|c| ('0'..='7').contains(&c));
                if c != '0' && !octal(self.peek(0)) {
                    return Err(format!("invalid escape sequence: `\\{c}`"));
                }
                let mut code = c.to_digit(8).unwrap_or(0);
                for _ in 0..2 {
                    match self.peek(0).and_then(|d| d.to_digit(8)) {
                        Some(d) => {
                            code = code * 8 + d;
                            self.at += 1;
                        }
                        None => break,
                    }
                }
                literal(char::from_u32(code).unwrap_or('\0'))
            }
            c if c.is_ascii() && !c.is_ascii_alphanumeric() => literal(c),
            c => return Err(format!("invalid escape sequence: `\\{c}`")),
        })
    }

    /// After `\p` or `\P`: `\pL`, `\p{Greek}`, `\p{^Greek}` (negated).
    fn unicode_class(&mut self, p: char) -> Result<String, String> {
        let name: String = if self.peek(0) == Some('{') {
            let end = self.chars[self.at..]
                .iter()
                .position(|c| *c == '}')
                .ok_or_else(|| format!("invalid character class range: `\\{p}{{`"))?;
            let n: String = self.chars[self.at + 1..self.at + end].iter().collect();
            self.at += end + 1;
            n
        } else {
            let n = self
                .peek(0)
                .ok_or_else(|| format!("invalid character class range: `\\{p}`"))?;
            self.at += 1;
            n.to_string()
        };
        let (negated, name) = match name.strip_prefix('^') {
            Some(n) => (p == 'p', n.to_string()),
            None => (p == 'P', name),
        };
        if name.is_empty() || !name.chars().all(|c| c == '_' || c.is_ascii_alphanumeric()) {
            return Err(format!("invalid character class range: `\\{p}{{{name}}}`"));
        }
        Ok(format!("\\{}{{{name}}}", if negated { 'P' } else { 'p' }))
    }

    /// After `[`: a class, Go's way (a leading `]` is literal, `[` is
    /// literal unless it opens `[:alpha:]`, `-` makes a range only between
    /// two characters), written with every literal escaped.
    fn class(&mut self) -> Result<(), String> {
        let start = self.at - 1;
        let missing = |s: &Self| {
            let text: String = s.chars[start..].iter().collect();
            format!("missing closing ]: `{text}`")
        };
        self.out.push('[');
        if self.peek(0) == Some('^') {
            self.at += 1;
            self.out.push('^');
        }
        let mut first = true;
        loop {
            let c = self.peek(0).ok_or_else(|| missing(self))?;
            if c == ']' && !first {
                self.at += 1;
                self.out.push(']');
                return Ok(());
            }
            first = false;
            if c == '[' && self.peek(1) == Some(':') {
                let rest: String = self.chars[self.at + 2..].iter().collect();
                if let Some(end) = rest.find(":]") {
                    let name = &rest[..end];
                    let known = [
                        "alnum", "alpha", "ascii", "blank", "cntrl", "digit", "graph", "lower",
                        "print", "punct", "space", "upper", "word", "xdigit",
                    ];
                    if !known.contains(&name.strip_prefix('^').unwrap_or(name)) {
                        return Err(format!("invalid character class range: `[:{name}:]`"));
                    }
                    self.out.push_str(&format!("[:{name}:]"));
                    self.at += 2 + name.chars().count() + 2;
                    continue;
                }
            }
            if c == '\\'
                && matches!(
                    self.peek(1),
                    Some('d' | 'D' | 'w' | 'W' | 's' | 'S' | 'p' | 'P')
                )
            {
                self.at += 1;
                let class = self.escape(true)?;
                self.out.push_str(&class);
                continue;
            }
            let lo = self.class_char()?;
            if self.peek(0) == Some('-') && self.peek(1).is_some_and(|c| c != ']') {
                self.at += 1;
                let hi = self.class_char()?;
                if hi < lo {
                    return Err(format!("invalid character class range: `{lo}-{hi}`"));
                }
                self.out
                    .push_str(&format!("{}-{}", literal(lo), literal(hi)));
            } else {
                self.out.push_str(&literal(lo));
            }
        }
    }

    /// One character of a class, escaped or not.
    fn class_char(&mut self) -> Result<char, String> {
        let c = self
            .peek(0)
            .ok_or_else(|| "missing closing ]".to_string())?;
        self.at += 1;
        if c != '\\' {
            return Ok(c);
        }
        let escape = self.escape(true)?;
        // A single character escaped: `\x{…}`, `\n`, or itself.
        let mut chars = escape.chars();
        if let (Some(c), None) = (chars.next(), chars.next()) {
            return Ok(c);
        }
        let unescaped = match escape.as_str() {
            r"\a" => Some('\x07'),
            r"\f" => Some('\x0C'),
            r"\n" => Some('\n'),
            r"\r" => Some('\r'),
            r"\t" => Some('\t'),
            r"\v" => Some('\x0B'),
            e => e
                .strip_prefix(r"\x{")
                .and_then(|h| h.strip_suffix('}'))
                .and_then(|h| u32::from_str_radix(h, 16).ok())
                .and_then(char::from_u32),
        };
        unescaped.ok_or_else(|| format!("invalid escape sequence: `{escape}`"))
    }
}

/// `\d`-like classes as Go has them, ASCII only, in or out of a class.
fn perl_class(set: &str, negated: bool, in_class: bool) -> String {
    match (negated, in_class) {
        (false, true) => set.to_string(),
        (false, false) => format!("[{set}]"),
        (true, _) => format!("[^{set}]"),
    }
}

/// A character matched as itself: letters, digits and anything not ASCII
/// as written, the rest as `\x{…}`.
fn literal(c: char) -> String {
    let mut out = String::new();
    push_literal(&mut out, c);
    out
}

fn push_literal(out: &mut String, c: char) {
    if c.is_alphanumeric() || !c.is_ascii() {
        out.push(c);
    } else {
        out.push_str(&format!("\\x{{{:x}}}", u32::from(c)));
    }
}

/// The most copies of anything in `piece`.
fn copies(piece: Piece) -> u64 {
    match piece {
        Piece::Nothing => 1,
        Piece::Atom(n) | Piece::Repeated(n) => n,
    }
}

/// `piece` repeated by `op` (`n` copies at most, 1 for `*`, `+`, `?`).
fn repeated(piece: Piece, op: &str, n: u64) -> Result<Piece, String> {
    match piece {
        Piece::Nothing => Err(format!("missing argument to repetition operator: `{op}`")),
        Piece::Repeated(_) => Err(format!("invalid nested repetition operator: `{op}`")),
        Piece::Atom(inner) => Ok(Piece::Repeated(inner.saturating_mul(n))),
    }
}
