//! Markdown drawn as elements (the engine's `learn::markdown` tree): lesson
//! prose and dashboards' text panels. Raw HTML stays text, and only web
//! and in-page links become links.

use leptos::prelude::*;
use o11y_engine::learn::markdown::{Block, Inline, parse};

#[component]
pub fn Markdown(#[prop(into)] text: String) -> impl IntoView {
    blocks(parse(&text))
}

fn blocks(list: Vec<Block>) -> AnyView {
    list.into_iter()
        .map(|b| match b {
            Block::Heading(level, children) => {
                let body = inlines(children);
                match level {
                    1 => view! { <h3>{body}</h3> }.into_any(),
                    2 => view! { <h4>{body}</h4> }.into_any(),
                    _ => view! { <h5>{body}</h5> }.into_any(),
                }
            }
            Block::Paragraph(children) => view! { <p>{inlines(children)}</p> }.into_any(),
            Block::List { ordered, items } => {
                let items = items
                    .into_iter()
                    .map(|item| view! { <li>{blocks(item)}</li> })
                    .collect_view();
                if ordered {
                    view! { <ol>{items}</ol> }.into_any()
                } else {
                    view! { <ul>{items}</ul> }.into_any()
                }
            }
            Block::Code { lang, text } => {
                view! { <pre class="code" data-lang=lang><code>{text}</code></pre> }.into_any()
            }
            Block::Quote(children) => {
                view! { <blockquote>{blocks(children)}</blockquote> }.into_any()
            }
            Block::Rule => view! { <hr /> }.into_any(),
        })
        .collect_view()
        .into_any()
}

fn inlines(list: Vec<Inline>) -> AnyView {
    list.into_iter()
        .map(|i| match i {
            Inline::Text(t) => t.into_any(),
            Inline::Code(t) => view! { <code>{t}</code> }.into_any(),
            Inline::Strong(c) => view! { <strong>{inlines(c)}</strong> }.into_any(),
            Inline::Emphasis(c) => view! { <em>{inlines(c)}</em> }.into_any(),
            Inline::Link { url, children } => {
                if url.starts_with("https://") || url.starts_with("http://") {
                    view! { <a href=url target="_blank" rel="noopener noreferrer">{inlines(children)}</a> }.into_any()
                } else if url.starts_with("#/") {
                    view! { <a href=url>{inlines(children)}</a> }.into_any()
                } else {
                    inlines(children)
                }
            }
            Inline::Break => view! { <br /> }.into_any(),
        })
        .collect_view()
        .into_any()
}
