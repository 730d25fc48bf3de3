//! Markdown as a small tree of blocks and inlines that the page turns into
//! elements: the part of CommonMark lessons and dashboards' text panels
//! use (ATX headings, paragraphs, `-`/`*`/`1.` lists with indented
//! continuation, fenced code, `>` quotes, `---` rules; code spans,
//! `**strong**`, `*emphasis*`, `[links](url)`, backslash escapes, hard
//! breaks). Anything else is text, raw HTML included, so nothing in a
//! lesson becomes markup. Hand-written rather than a CommonMark crate:
//! this is all the prose needs, at a fraction of the page's weight.

#[derive(Clone, Debug, PartialEq)]
pub enum Block {
    Heading(u8, Vec<Inline>),
    Paragraph(Vec<Inline>),
    /// Items, each a list of blocks; `ordered` lists are numbered.
    List {
        ordered: bool,
        items: Vec<Vec<Block>>,
    },
    /// A fenced code block, with its language.
    Code {
        lang: String,
        text: String,
    },
    Quote(Vec<Block>),
    Rule,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Inline {
    Text(String),
    Code(String),
    Strong(Vec<Inline>),
    Emphasis(Vec<Inline>),
    Link { url: String, children: Vec<Inline> },
    Break,
}

/// The blocks of a Markdown text.
pub fn parse(text: &str) -> Vec<Block> {
    let lines: Vec<&str> = text.lines().collect();
    blocks(&lines, 0)
}

/// Blocks nested deeper than this are text (a quote in a quote in…).
const MAX_DEPTH: usize = 8;

fn fence(line: &str) -> Option<(char, usize, &str)> {
    let t = line.trim_start();
    let c = t.chars().next().filter(|c| *c == '`' || *c == '~')?;
    let n = t.chars().take_while(|x| *x == c).count();
    (n >= 3).then(|| (c, n, t[n..].trim()))
}

fn heading(line: &str) -> Option<(u8, &str)> {
    let t = line.trim_start();
    let n = t.chars().take_while(|c| *c == '#').count();
    let rest = &t[n..];
    ((1..=6).contains(&n) && (rest.is_empty() || rest.starts_with(' ')))
        .then(|| (n as u8, rest.trim().trim_end_matches('#').trim_end()))
}

fn is_rule(line: &str) -> bool {
    let t: String = line.chars().filter(|c| !c.is_whitespace()).collect();
    t.len() >= 3
        && (t.chars().all(|c| c == '-')
            || t.chars().all(|c| c == '*')
            || t.chars().all(|c| c == '_'))
}

/// A list item's marker: whether ordered, and the width before its text.
fn item(line: &str) -> Option<(bool, usize)> {
    let indent = line.len() - line.trim_start().len();
    let t = &line[indent..];
    if let Some(rest) = t.strip_prefix(['-', '*', '+']) {
        return (rest.starts_with(' ') || rest.is_empty()).then_some((false, indent + 2));
    }
    let digits = t.chars().take_while(char::is_ascii_digit).count();
    let rest = &t[digits..];
    (digits > 0 && digits < 10 && (rest.starts_with(". ") || rest.starts_with(") ")))
        .then_some((true, indent + digits + 2))
}

fn blocks(lines: &[&str], depth: usize) -> Vec<Block> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        if line.trim().is_empty() {
            i += 1;
        } else if let Some((c, n, info)) = fence(line) {
            let mut text = String::new();
            i += 1;
            while i < lines.len()
                && !fence(lines[i])
                    .is_some_and(|(c2, n2, rest)| c2 == c && n2 >= n && rest.is_empty())
            {
                text.push_str(lines[i]);
                text.push('\n');
                i += 1;
            }
            i += 1;
            out.push(Block::Code {
                lang: info
                    .split_whitespace()
                    .next()
                    .unwrap_or_default()
                    .to_string(),
                text,
            });
        } else if let Some((level, text)) = heading(line) {
            out.push(Block::Heading(level, inlines(text)));
            i += 1;
        } else if is_rule(line) {
            out.push(Block::Rule);
            i += 1;
        } else if depth < MAX_DEPTH && line.trim_start().starts_with('>') {
            let mut inner = Vec::new();
            while i < lines.len() && lines[i].trim_start().starts_with('>') {
                let t = lines[i].trim_start()[1..]
                    .strip_prefix(' ')
                    .unwrap_or(&lines[i].trim_start()[1..]);
                inner.push(t);
                i += 1;
            }
            out.push(Block::Quote(blocks(&inner, depth + 1)));
        } else if let Some((ordered, _)) = item(line).filter(|_| depth < MAX_DEPTH) {
            let mut items = Vec::new();
            while i < lines.len() {
                let Some((_, width)) = item(lines[i]).filter(|(o, _)| *o == ordered) else {
                    break;
                };
                let mut inner = vec![lines[i].get(width..).unwrap_or("")];
                i += 1;
                // Continuation: indented lines, and blank lines followed by one.
                while i < lines.len() {
                    let l = lines[i];
                    let indented = l.len() - l.trim_start().len() >= 2;
                    if !l.trim().is_empty() && indented {
                        inner.push(
                            l.get(width.min(l.len() - l.trim_start().len())..)
                                .unwrap_or(l),
                        );
                        i += 1;
                    } else if l.trim().is_empty()
                        && lines.get(i + 1).is_some_and(|n| {
                            !n.trim().is_empty() && n.len() - n.trim_start().len() >= 2
                        })
                    {
                        inner.push("");
                        i += 1;
                    } else if !l.trim().is_empty()
                        && item(l).is_none()
                        && paragraph_continues(l)
                        && !inner.last().is_some_and(|x| x.is_empty())
                    {
                        // A lazy continuation of the item's paragraph.
                        inner.push(l.trim_start());
                        i += 1;
                    } else {
                        break;
                    }
                }
                items.push(blocks(&inner, depth + 1));
                while i < lines.len()
                    && lines[i].trim().is_empty()
                    && lines
                        .get(i + 1)
                        .is_some_and(|n| item(n).is_some_and(|(o, _)| o == ordered))
                {
                    i += 1;
                }
            }
            out.push(Block::List { ordered, items });
        } else {
            let mut text = String::new();
            while i < lines.len()
                && !lines[i].trim().is_empty()
                && (text.is_empty() || paragraph_continues(lines[i]))
            {
                if !text.is_empty() {
                    text.push('\n');
                }
                text.push_str(lines[i]);
                i += 1;
            }
            out.push(Block::Paragraph(inlines(text.trim())));
        }
    }
    out
}

/// Whether a line goes on with the paragraph above (no other block starts).
fn paragraph_continues(line: &str) -> bool {
    fence(line).is_none()
        && heading(line).is_none()
        && item(line).is_none()
        && !line.trim_start().starts_with('>')
        && !is_rule(line)
}

/// Two or more spaces then a line end: a hard break, this long.
fn hard_break(rest: &[char]) -> usize {
    let spaces = rest.iter().take_while(|c| **c == ' ').count();
    if spaces >= 2 && rest.get(spaces) == Some(&'\n') {
        spaces + 1
    } else {
        0
    }
}

/// The inlines of a paragraph's or heading's text.
fn inlines(text: &str) -> Vec<Inline> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    parse_inlines(&chars, &mut out, 0);
    out
}

fn push_text(out: &mut Vec<Inline>, text: &str) {
    if let Some(Inline::Text(t)) = out.last_mut() {
        t.push_str(text);
    } else if !text.is_empty() {
        out.push(Inline::Text(text.to_string()));
    }
}

/// Where the closing `delim` is, from `from`, not inside a code span.
fn find_closing(chars: &[char], from: usize, delim: &[char]) -> Option<usize> {
    let mut i = from;
    while i + delim.len() <= chars.len() {
        if chars[i] == '\\' {
            i += 2;
            continue;
        }
        if chars[i] == '`' {
            let n = chars[i..].iter().take_while(|c| **c == '`').count();
            match find_run(chars, i + n, n) {
                Some(end) => {
                    i = end + n;
                    continue;
                }
                None => {
                    i += n;
                    continue;
                }
            }
        }
        if chars[i..].starts_with(delim) && i > from {
            return Some(i);
        }
        i += 1;
    }
    None
}

/// The next run of exactly `n` backticks from `from`.
fn find_run(chars: &[char], from: usize, n: usize) -> Option<usize> {
    let mut i = from;
    while i < chars.len() {
        if chars[i] == '`' {
            let run = chars[i..].iter().take_while(|c| **c == '`').count();
            if run == n {
                return Some(i);
            }
            i += run;
        } else {
            i += 1;
        }
    }
    None
}

fn parse_inlines(chars: &[char], out: &mut Vec<Inline>, depth: usize) {
    let mut i = 0;
    let mut text = String::new();
    let flush = |text: &mut String, out: &mut Vec<Inline>| {
        push_text(out, text);
        text.clear();
    };
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '\\' && next.is_some_and(|n| n.is_ascii_punctuation()) {
            text.push(chars[i + 1]);
            i += 2;
        } else if c == '\\' && next == Some('\n') {
            flush(&mut text, out);
            out.push(Inline::Break);
            i += 2;
        } else if c == ' ' && hard_break(&chars[i..]) > 0 {
            flush(&mut text, out);
            out.push(Inline::Break);
            i += hard_break(&chars[i..]);
        } else if c == '\n' {
            text.push(' ');
            i += 1;
        } else if c == '`' {
            let n = chars[i..].iter().take_while(|c| **c == '`').count();
            match find_run(chars, i + n, n) {
                Some(end) => {
                    flush(&mut text, out);
                    let code: String = chars[i + n..end]
                        .iter()
                        .map(|c| if *c == '\n' { ' ' } else { *c })
                        .collect();
                    let trimmed = if code.len() > 2
                        && code.starts_with(' ')
                        && code.ends_with(' ')
                        && code.trim() != ""
                    {
                        code[1..code.len() - 1].to_string()
                    } else {
                        code
                    };
                    out.push(Inline::Code(trimmed));
                    i = end + n;
                }
                None => {
                    text.extend(&chars[i..i + n]);
                    i += n;
                }
            }
        } else if (c == '*' || c == '_') && depth < MAX_DEPTH {
            let strong = next == Some(c);
            let delim: &[char] = if strong {
                &[c, c]
            } else {
                std::slice::from_ref(&chars[i])
            };
            let open_ok = chars
                .get(i + delim.len())
                .is_some_and(|n| !n.is_whitespace())
                && (c == '*' || i == 0 || !chars[i - 1].is_alphanumeric());
            let close = open_ok
                .then(|| find_closing(chars, i + delim.len(), delim))
                .flatten()
                .filter(|&end| {
                    !chars[end - 1].is_whitespace()
                        && (c == '*'
                            || chars
                                .get(end + delim.len())
                                .is_none_or(|n| !n.is_alphanumeric()))
                });
            match close {
                Some(end) => {
                    flush(&mut text, out);
                    let mut inner = Vec::new();
                    parse_inlines(&chars[i + delim.len()..end], &mut inner, depth + 1);
                    out.push(if strong {
                        Inline::Strong(inner)
                    } else {
                        Inline::Emphasis(inner)
                    });
                    i = end + delim.len();
                }
                None => {
                    text.extend(delim);
                    i += delim.len();
                }
            }
        } else if c == '[' && depth < MAX_DEPTH {
            let link = find_closing(chars, i + 1, &[']']).and_then(|close| {
                (chars.get(close + 1) == Some(&'('))
                    .then(|| {
                        chars[close + 2..]
                            .iter()
                            .position(|c| *c == ')')
                            .map(|p| (close, close + 2 + p))
                    })
                    .flatten()
            });
            match link {
                Some((close, end)) => {
                    flush(&mut text, out);
                    let mut children = Vec::new();
                    parse_inlines(&chars[i + 1..close], &mut children, depth + 1);
                    let url: String = chars[close + 2..end].iter().collect();
                    out.push(Inline::Link {
                        url: url.trim().to_string(),
                        children,
                    });
                    i = end + 1;
                }
                None => {
                    text.push('[');
                    i += 1;
                }
            }
        } else {
            text.push(c);
            i += 1;
        }
    }
    flush(&mut text, out);
}

/// The text of inlines, without formatting.
pub fn plain(inlines: &[Inline]) -> String {
    let mut out = String::new();
    for i in inlines {
        match i {
            Inline::Text(t) | Inline::Code(t) => out.push_str(t),
            Inline::Strong(c) | Inline::Emphasis(c) | Inline::Link { children: c, .. } => {
                out.push_str(&plain(c))
            }
            Inline::Break => out.push('\n'),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_and_inlines() {
        let blocks = parse(
            "# Title\n\nSome `rate()` and **bold** [docs](https://prometheus.io).\n\n- one\n- two\n\n```promql\nup\n```\n\n<b>x</b>\n",
        );
        assert_eq!(
            blocks[0],
            Block::Heading(1, vec![Inline::Text("Title".into())])
        );
        let Block::Paragraph(p) = &blocks[1] else {
            panic!("{blocks:?}")
        };
        assert!(p.contains(&Inline::Code("rate()".into())));
        assert!(p.contains(&Inline::Strong(vec![Inline::Text("bold".into())])));
        assert!(
            p.iter()
                .any(|i| matches!(i, Inline::Link { url, .. } if url == "https://prometheus.io"))
        );
        assert_eq!(
            blocks[2],
            Block::List {
                ordered: false,
                items: vec![
                    vec![Block::Paragraph(vec![Inline::Text("one".into())])],
                    vec![Block::Paragraph(vec![Inline::Text("two".into())])]
                ]
            }
        );
        assert_eq!(
            blocks[3],
            Block::Code {
                lang: "promql".into(),
                text: "up\n".into()
            }
        );
        // Raw HTML stays text.
        assert_eq!(
            plain(match &blocks[4] {
                Block::Paragraph(p) => p,
                other => panic!("{other:?}"),
            }),
            "<b>x</b>"
        );
    }

    #[test]
    fn what_lessons_write() {
        // snake_case is not emphasis; *this* and _this_ are.
        assert_eq!(
            parse("rate of http_requests_total, *this* and _that_"),
            vec![Block::Paragraph(vec![
                Inline::Text("rate of http_requests_total, ".into()),
                Inline::Emphasis(vec![Inline::Text("this".into())]),
                Inline::Text(" and ".into()),
                Inline::Emphasis(vec![Inline::Text("that".into())]),
            ])]
        );
        // Ordered lists, an item's continuation line, a nested list.
        let blocks = parse("1. first\n   goes on\n2. second\n   - inner\n");
        let Block::List {
            ordered: true,
            items,
        } = &blocks[0]
        else {
            panic!("{blocks:?}")
        };
        assert_eq!(items.len(), 2);
        assert_eq!(
            items[0],
            vec![Block::Paragraph(vec![Inline::Text("first goes on".into())])]
        );
        assert!(
            matches!(&items[1][1], Block::List { ordered: false, .. }),
            "{items:?}"
        );
        // Quotes, rules, hard breaks, code with backticks inside.
        let blocks = parse("> quoted\n\n---\n\nline one  \nline two and ``a ` b``");
        assert_eq!(
            blocks[0],
            Block::Quote(vec![Block::Paragraph(vec![Inline::Text("quoted".into())])])
        );
        assert_eq!(blocks[1], Block::Rule);
        assert_eq!(
            blocks[2],
            Block::Paragraph(vec![
                Inline::Text("line one".into()),
                Inline::Break,
                Inline::Text("line two and ".into()),
                Inline::Code("a ` b".into()),
            ])
        );
        // Unclosed markers are text.
        assert_eq!(
            plain(match &parse("a `b and **c and [d](e")[0] {
                Block::Paragraph(p) => p,
                other => panic!("{other:?}"),
            }),
            "a `b and **c and [d](e"
        );
    }
}
