//! Markdown (CommonMark, by pulldown-cmark) as a small tree of blocks and
//! inlines that the page turns into elements: raw HTML is kept as text, so
//! nothing in a lesson or a dashboard's text panel becomes markup.

use pulldown_cmark::{Event, HeadingLevel, Parser, Tag, TagEnd};

#[derive(Clone, Debug, PartialEq)]
pub enum Block {
    Heading(u8, Vec<Inline>),
    Paragraph(Vec<Inline>),
    /// Items, each a list of blocks; `ordered` lists are numbered.
    List {
        ordered: bool,
        items: Vec<Vec<Block>>,
    },
    /// A fenced or indented code block, with its language.
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

/// What is being built: a container of blocks or of inlines.
enum Frame {
    Blocks(Vec<Block>, Container),
    Inlines(Vec<Inline>, Span),
    Items(bool, Vec<Vec<Block>>),
}

enum Container {
    Root,
    Quote,
    Item,
}

enum Span {
    Paragraph,
    Heading(u8),
    Strong,
    Emphasis,
    Link(String),
}

/// The blocks of a Markdown text.
pub fn parse(text: &str) -> Vec<Block> {
    let mut stack = vec![Frame::Blocks(Vec::new(), Container::Root)];
    let mut code: Option<(String, String)> = None;
    for event in Parser::new(text) {
        if let Some((_, body)) = &mut code {
            match event {
                Event::Text(t) => body.push_str(&t),
                Event::End(TagEnd::CodeBlock) => {
                    let (lang, text) = code.take().unwrap_or_default();
                    push_block(&mut stack, Block::Code { lang, text });
                }
                _ => {}
            }
            continue;
        }
        match event {
            Event::Start(tag) => match tag {
                Tag::Paragraph => stack.push(Frame::Inlines(Vec::new(), Span::Paragraph)),
                Tag::Heading { level, .. } => stack.push(Frame::Inlines(
                    Vec::new(),
                    Span::Heading(heading_level(level)),
                )),
                Tag::Strong => stack.push(Frame::Inlines(Vec::new(), Span::Strong)),
                Tag::Emphasis => stack.push(Frame::Inlines(Vec::new(), Span::Emphasis)),
                Tag::Link { dest_url, .. } => {
                    stack.push(Frame::Inlines(Vec::new(), Span::Link(dest_url.to_string())))
                }
                Tag::BlockQuote(_) => stack.push(Frame::Blocks(Vec::new(), Container::Quote)),
                Tag::List(start) => stack.push(Frame::Items(start.is_some(), Vec::new())),
                Tag::Item => stack.push(Frame::Blocks(Vec::new(), Container::Item)),
                Tag::CodeBlock(kind) => {
                    let lang = match kind {
                        pulldown_cmark::CodeBlockKind::Fenced(info) => info
                            .split_whitespace()
                            .next()
                            .unwrap_or_default()
                            .to_string(),
                        pulldown_cmark::CodeBlockKind::Indented => String::new(),
                    };
                    code = Some((lang, String::new()));
                }
                _ => {}
            },
            Event::End(end) => match end {
                TagEnd::Paragraph
                | TagEnd::Heading(_)
                | TagEnd::Strong
                | TagEnd::Emphasis
                | TagEnd::Link => close_inlines(&mut stack),
                TagEnd::BlockQuote(_) | TagEnd::Item => close_blocks(&mut stack),
                TagEnd::List(_) => {
                    if let Some(Frame::Items(ordered, items)) = stack.pop() {
                        push_block(&mut stack, Block::List { ordered, items });
                    }
                }
                _ => {}
            },
            Event::Text(t) | Event::Html(t) | Event::InlineHtml(t) => {
                push_inline(&mut stack, Inline::Text(t.to_string()))
            }
            Event::Code(t) => push_inline(&mut stack, Inline::Code(t.to_string())),
            Event::SoftBreak => push_inline(&mut stack, Inline::Text(" ".into())),
            Event::HardBreak => push_inline(&mut stack, Inline::Break),
            Event::Rule => push_block(&mut stack, Block::Rule),
            _ => {}
        }
    }
    while stack.len() > 1 {
        match stack.last() {
            Some(Frame::Inlines(..)) => close_inlines(&mut stack),
            Some(Frame::Items(..)) => {
                if let Some(Frame::Items(ordered, items)) = stack.pop() {
                    push_block(&mut stack, Block::List { ordered, items });
                }
            }
            _ => close_blocks(&mut stack),
        }
    }
    match stack.pop() {
        Some(Frame::Blocks(blocks, _)) => blocks,
        _ => Vec::new(),
    }
}

fn heading_level(level: HeadingLevel) -> u8 {
    match level {
        HeadingLevel::H1 => 1,
        HeadingLevel::H2 => 2,
        HeadingLevel::H3 => 3,
        HeadingLevel::H4 => 4,
        HeadingLevel::H5 => 5,
        HeadingLevel::H6 => 6,
    }
}

fn push_inline(stack: &mut Vec<Frame>, inline: Inline) {
    match stack.last_mut() {
        Some(Frame::Inlines(list, _)) => list.push(inline),
        // Text straight in a list item (a tight list) is a paragraph of its own.
        _ => {
            stack.push(Frame::Inlines(vec![inline], Span::Paragraph));
        }
    }
}

fn push_block(stack: &mut Vec<Frame>, block: Block) {
    // A tight item's text is still open as a paragraph: close it first.
    if matches!(stack.last(), Some(Frame::Inlines(_, Span::Paragraph))) {
        close_inlines(stack);
    }
    match stack.last_mut() {
        Some(Frame::Blocks(list, _)) => list.push(block),
        Some(Frame::Items(_, items)) => items.push(vec![block]),
        _ => {}
    }
}

fn close_inlines(stack: &mut Vec<Frame>) {
    let Some(Frame::Inlines(children, span)) = stack.pop() else {
        return;
    };
    match span {
        Span::Paragraph => push_block(stack, Block::Paragraph(children)),
        Span::Heading(level) => push_block(stack, Block::Heading(level, children)),
        Span::Strong => push_inline(stack, Inline::Strong(children)),
        Span::Emphasis => push_inline(stack, Inline::Emphasis(children)),
        Span::Link(url) => push_inline(stack, Inline::Link { url, children }),
    }
}

fn close_blocks(stack: &mut Vec<Frame>) {
    if matches!(stack.last(), Some(Frame::Inlines(..))) {
        close_inlines(stack);
    }
    let Some(Frame::Blocks(blocks, container)) = stack.pop() else {
        return;
    };
    match container {
        Container::Quote => push_block(stack, Block::Quote(blocks)),
        Container::Item => {
            if let Some(Frame::Items(_, items)) = stack.last_mut() {
                items.push(blocks);
            }
        }
        Container::Root => stack.push(Frame::Blocks(blocks, Container::Root)),
    }
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
}
