//! The query editor Explore and Logs share: a textarea over a copy of the
//! query with its tokens highlighted and the error's span underlined, the
//! error under it as `line:column: message`, and the list of suggestions
//! (Tab or Enter takes one, the arrows move, Escape closes). The page says
//! how to highlight its language and what the suggestions are; the
//! engine's `highlight` and `complete` compute both.
//!
//! ```ignore
//! view! {
//!     <QueryEditor query completions selected error highlight=promql_tokens
//!         on_input on_close input_testid="query-input" label="PromQL query"
//!         error_testid="query-error" highlight_testid=Some("query-highlight") />
//! }
//! ```

use std::ops::Range;

use leptos::prelude::*;
use o11y_engine::promql::assist::Completions;

/// A query's tokens: each one's byte range and CSS class.
pub type Tokens = Vec<(Range<usize>, &'static str)>;

/// `line:column` (1-based) of a byte offset.
fn line_col(source: &str, offset: usize) -> (usize, usize) {
    let before = &source[..offset.min(source.len())];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

/// The editor of `query`. `highlight` gives each token's CSS class by
/// byte range; `error` is the span to underline and its message.
/// `on_input(text, cursor)` runs at every keystroke with the cursor's
/// byte offset (the page sets the query and its suggestions);
/// `on_close` runs when suggestions close without one being typed
/// (Escape, a click on one, leaving the field).
#[component]
pub fn QueryEditor(
    query: RwSignal<String>,
    completions: RwSignal<Completions>,
    selected: RwSignal<usize>,
    #[prop(into)] error: Signal<Option<(Range<usize>, String)>>,
    highlight: fn(&str) -> Tokens,
    on_input: impl Fn(String, usize) + Copy + Send + Sync + 'static,
    on_close: impl Fn() + Copy + Send + Sync + 'static,
    input_testid: &'static str,
    /// The textarea's accessible name.
    label: &'static str,
    error_testid: &'static str,
    #[prop(default = None)] highlight_testid: Option<&'static str>,
) -> impl IntoView {
    let on_input = move |ev: leptos::ev::Event| {
        let text = event_target_value(&ev);
        let at = textarea_cursor(&ev).unwrap_or(text.len());
        on_input(text, at);
    };
    let on_keydown = move |ev: leptos::ev::KeyboardEvent| {
        if ev.key() == "Escape" {
            on_close();
        }
        completion_key(&ev, query, completions, selected)
    };
    let accept = move |index: usize| {
        on_close();
        accept_completion(query, completions, index)
    };
    view! {
        <div class="editor-wrap">
            <div class="editor">
                <pre class="highlight" aria-hidden="true" data-testid=highlight_testid>
                    {move || {
                        let text = query.get();
                        let span = error.with(|e| e.as_ref().map(|(span, _)| span.clone()));
                        highlighted_tokens(&text, highlight(&text), span)
                    }}
                    "\n"
                </pre>
                <textarea
                    data-testid=input_testid
                    aria-label=label
                    spellcheck="false"
                    rows="2"
                    prop:value=move || query.get()
                    on:input=on_input
                    on:keydown=on_keydown
                    on:blur=move |_| {
                        set_timeout(
                            move || {
                                on_close();
                                completions.set(Completions::default());
                            },
                            std::time::Duration::from_millis(150),
                        )
                    }
                ></textarea>
            </div>
            <Suggestions completions selected accept />
            {move || {
                error
                    .get()
                    .map(|(span, message)| {
                        let (line, col) = line_col(&query.get(), span.start);
                        view! {
                            <p class="query-error" role="alert" data-testid=error_testid>
                                {format!("{line}:{col}: {message}")}
                            </p>
                        }
                    })
            }}
        </div>
    }
}

/// A query with highlighted tokens (CSS classes by byte range), and an
/// error's span underlined.
fn highlighted_tokens(
    text: &str,
    mut boundaries: Vec<(Range<usize>, &'static str)>,
    error: Option<Range<usize>>,
) -> impl IntoView + use<> {
    let mut pieces = Vec::new();
    let mut at = 0;
    let error_span = error.map(|span| {
        let start = span.start.min(text.len());
        // An error at the end underlines a space after the text.
        (start, span.end.clamp(start, text.len()))
    });
    boundaries.retain(|(r, _)| {
        r.end <= text.len() && text.is_char_boundary(r.start) && text.is_char_boundary(r.end)
    });
    for (range, class) in boundaries {
        if range.start < at {
            continue;
        }
        pieces.push((text[at..range.start].to_string(), String::new()));
        pieces.push((text[range.clone()].to_string(), class.to_string()));
        at = range.end;
    }
    pieces.push((text[at..].to_string(), String::new()));
    // Split the pieces at the error span so that part can be underlined.
    let mut out = Vec::new();
    let mut offset = 0;
    for (piece, class) in pieces {
        let (start, end) = (offset, offset + piece.len());
        offset = end;
        match error_span {
            Some((es, ee)) if es < end && ee > start || (es == ee && es >= start && es < end) => {
                let a = es.clamp(start, end) - start;
                let b = ee.max(es + 1).clamp(start, end) - start;
                let (a, b) = (floor_boundary(&piece, a), floor_boundary(&piece, b));
                out.push((piece[..a].to_string(), class.clone()));
                out.push((piece[a..b].to_string(), format!("{class} err-span")));
                out.push((piece[b..].to_string(), class));
            }
            _ => out.push((piece, class)),
        }
    }
    if let Some((es, _)) = error_span
        && es >= text.len()
    {
        out.push((" ".to_string(), "err-span".to_string()));
    }
    out.into_iter()
        .filter(|(p, _)| !p.is_empty())
        .map(|(p, class)| {
            let testid = class.contains("err-span").then_some("error-underline");
            view! { <span class=class data-testid=testid>{p}</span> }
        })
        .collect_view()
}

fn floor_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// Puts suggestion `index` into the query in place of what it completes,
/// and closes the list.
fn accept_completion(query: RwSignal<String>, completions: RwSignal<Completions>, index: usize) {
    let c = completions.get_untracked();
    if let Some(s) = c.suggestions.get(index) {
        let mut text = query.get_untracked();
        if c.replace.end <= text.len() && text.is_char_boundary(c.replace.start) {
            text.replace_range(c.replace.clone(), &s.text);
            query.set(text);
        }
    }
    completions.set(Completions::default());
}

/// The suggestion list's keys: Tab or Enter accepts, the arrows move,
/// Escape closes; other keys type as usual.
fn completion_key(
    ev: &leptos::ev::KeyboardEvent,
    query: RwSignal<String>,
    completions: RwSignal<Completions>,
    selected: RwSignal<usize>,
) {
    let count = completions.with_untracked(|c| c.suggestions.len());
    if count == 0 {
        return;
    }
    match ev.key().as_str() {
        "Tab" | "Enter" => {
            ev.prevent_default();
            accept_completion(query, completions, selected.get_untracked());
        }
        "ArrowDown" => {
            ev.prevent_default();
            selected.update(|s| *s = (*s + 1) % count);
        }
        "ArrowUp" => {
            ev.prevent_default();
            selected.update(|s| *s = (*s + count - 1) % count);
        }
        "Escape" => completions.set(Completions::default()),
        _ => {}
    }
}

fn textarea_cursor(ev: &leptos::ev::Event) -> Option<usize> {
    use wasm_bindgen::JsCast;
    let area = ev
        .target()?
        .dyn_into::<web_sys::HtmlTextAreaElement>()
        .ok()?;
    let value = area.value();
    // selectionStart counts UTF-16 units; the engine wants bytes.
    let units = area.selection_start().ok()??;
    let mut count = 0u32;
    for (i, c) in value.char_indices() {
        if count >= units {
            return Some(i);
        }
        count += c.len_utf16() as u32;
    }
    Some(value.len())
}

#[component]
fn Suggestions(
    completions: RwSignal<Completions>,
    selected: RwSignal<usize>,
    accept: impl Fn(usize) + Copy + Send + Sync + 'static,
) -> impl IntoView {
    move || {
        let c = completions.get();
        (!c.suggestions.is_empty()).then(|| {
            let items = c
                .suggestions
                .into_iter()
                .enumerate()
                .map(|(i, s)| {
                    view! {
                        <li
                            class:selected=move || selected.get() == i
                            data-testid="suggestion"
                            on:mousedown=move |ev| {
                                ev.prevent_default();
                                accept(i);
                            }
                        >
                            <span class="s-text">{s.text}</span>
                            <span class="s-kind">{format!("{:?}", s.kind)}</span>
                            <span class="s-doc">{s.doc}</span>
                        </li>
                    }
                })
                .collect_view();
            view! { <ul class="suggestions" role="listbox" data-testid="suggestions">{items}</ul> }
        })
    }
}
