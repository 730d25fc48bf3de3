//! The URL fragment: which page is shown (`#/explore`), and what each page
//! keeps after its `?` so that a link reproduces the view
//! (`#/explore?q=up&range=1h&step=auto&view=graph&stacked=0`). Every
//! fragment the app reads or writes is parsed and written here; pages hold
//! the typed state ([`ExploreUrl`], [`LogsUrl`], [`TracesUrl`]) and call
//! [`replace`] when it changes.
//!
//! ```ignore
//! let state = ExploreUrl::from_fragment("#/explore?q=up&range=1h");
//! assert_eq!(state.range_ms, 3_600_000);
//! replace(&state.to_fragment());
//! ```

use leptos::prelude::window;
use o11y_engine::traces::TraceId;

/// The pages, each at its own fragment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Page {
    Live,
    Learn,
    Metrics,
    Explore,
    Logs,
    Traces,
    Alerts,
    Dashboards,
    Relabel,
}

impl Page {
    /// Every page, in the order the navigation lists them.
    pub const ALL: [Page; 9] = [
        Page::Live,
        Page::Learn,
        Page::Dashboards,
        Page::Metrics,
        Page::Explore,
        Page::Logs,
        Page::Traces,
        Page::Alerts,
        Page::Relabel,
    ];

    /// The fragment the page lives at, without state: `#/explore`.
    pub fn fragment(self) -> &'static str {
        match self {
            Page::Live => "#/live",
            Page::Learn => "#/learn",
            Page::Metrics => "#/metrics",
            Page::Explore => "#/explore",
            Page::Logs => "#/logs",
            Page::Traces => "#/traces",
            Page::Alerts => "#/alerts",
            Page::Relabel => "#/relabel",
            Page::Dashboards => "#/dashboards",
        }
    }

    /// The page a fragment names (before any `?` state); the live demo
    /// for anything else.
    pub fn from_fragment(fragment: &str) -> Page {
        let path = fragment.split('?').next().unwrap_or("");
        Page::ALL
            .into_iter()
            .find(|p| p.fragment() == path)
            .unwrap_or(Page::Live)
    }
}

/// The fragment prefix of a share link: `#/share/<payload>`.
pub const SHARE_PREFIX: &str = "#/share/";

/// The fragment prefix of a lesson link: `#/lesson/<payload>`.
pub const LESSON_PREFIX: &str = "#/lesson/";

/// The lesson payload of a lesson link's fragment.
pub fn lesson_payload(fragment: &str) -> Option<&str> {
    fragment.strip_prefix(LESSON_PREFIX)
}

/// The workspace payload of a share link's fragment.
pub fn share_payload(fragment: &str) -> Option<&str> {
    fragment.strip_prefix(SHARE_PREFIX)
}

/// The view a workspace keeps: the fragment, or nothing for a share link
/// (its payload is the workspace itself).
pub fn view_to_keep(fragment: &str) -> String {
    if fragment.starts_with(SHARE_PREFIX) {
        String::new()
    } else {
        fragment.to_string()
    }
}

/// The fragment of the page as it is now (`#/logs?q=…`), empty without one.
pub fn current() -> String {
    window().location().hash().unwrap_or_default()
}

/// Writes `fragment` into the address bar without a history entry (a
/// view that follows every keystroke would otherwise fill the history).
pub fn replace(fragment: &str) {
    if let Ok(history) = window().history() {
        let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(fragment));
    }
}

/// Goes to `fragment` as a link does (a history entry, and `hashchange`).
pub fn go(fragment: &str) {
    let _ = window().location().set_hash(fragment);
}

/// The `key=value` pairs after the fragment's `?`, values decoded; a key
/// without `=` has an empty value.
fn pairs(fragment: &str) -> impl Iterator<Item = (&str, String)> {
    let query = fragment.split_once('?').map_or("", |(_, q)| q);
    query
        .split('&')
        .filter(move |_| fragment.contains('?'))
        .map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            (key, decode(value))
        })
}

/// A value as `encodeURIComponent` writes it: everything but letters,
/// digits and `-_.!~*'()` percent-encoded, byte by byte of its UTF-8.
pub fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z'
            | b'a'..=b'z'
            | b'0'..=b'9'
            | b'-'
            | b'_'
            | b'.'
            | b'!'
            | b'~'
            | b'*'
            | b'\''
            | b'('
            | b')' => out.push(b as char),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// A value as a form and `decodeURIComponent` read it: `+` is a space,
/// `%XX` a byte; empty when the escapes are broken or not UTF-8.
pub fn decode(s: &str) -> String {
    let s = s.replace('+', " ");
    let mut bytes = Vec::with_capacity(s.len());
    let mut rest = s.as_bytes();
    while let Some((&b, tail)) = rest.split_first() {
        if b == b'%' {
            let hex = |i: usize| tail.get(i).and_then(|c| (*c as char).to_digit(16));
            let (Some(hi), Some(lo)) = (hex(0), hex(1)) else {
                return String::new();
            };
            bytes.push((hi * 16 + lo) as u8);
            rest = &tail[2..];
        } else {
            bytes.push(b);
            rest = tail;
        }
    }
    String::from_utf8(bytes).unwrap_or_default()
}

/// Explore's graph or table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExploreView {
    Graph,
    Table,
}

/// What Explore keeps in the URL: `#/explore?q=…&range=1h&step=auto&view=graph&stacked=0`.
#[derive(Clone, Debug, PartialEq)]
pub struct ExploreUrl {
    pub query: String,
    pub range_ms: i64,
    /// `None`: the automatic step.
    pub step_ms: Option<i64>,
    pub view: ExploreView,
    pub stacked: bool,
}

impl ExploreUrl {
    /// The ranges Explore offers, in milliseconds, with the labels the
    /// URL and the buttons use.
    pub const RANGES: [(i64, &'static str); 5] = [
        (300_000, "5m"),
        (900_000, "15m"),
        (3_600_000, "1h"),
        (6 * 3_600_000, "6h"),
        (24 * 3_600_000, "24h"),
    ];
    /// The steps offered besides "auto".
    pub const STEPS: [(i64, &'static str); 4] = [
        (15_000, "15s"),
        (60_000, "1m"),
        (300_000, "5m"),
        (900_000, "15m"),
    ];
    /// The query a fresh Explore page shows.
    pub const DEFAULT_QUERY: &'static str = "sum by (status) (rate(http_requests_total[1m]))";

    /// Reads `#/explore?…`; anything missing or unreadable keeps its default.
    pub fn from_fragment(fragment: &str) -> ExploreUrl {
        let mut state = ExploreUrl::default();
        for (key, value) in pairs(fragment) {
            match key {
                "q" => state.query = value,
                "range" => {
                    if let Some((ms, _)) = Self::RANGES.iter().find(|(_, l)| *l == value) {
                        state.range_ms = *ms;
                    }
                }
                "step" => {
                    state.step_ms = Self::STEPS.iter().find(|(_, l)| *l == value).map(|s| s.0)
                }
                "view" => {
                    state.view = if value == "table" {
                        ExploreView::Table
                    } else {
                        ExploreView::Graph
                    }
                }
                "stacked" => state.stacked = value == "1",
                _ => {}
            }
        }
        state
    }

    pub fn to_fragment(&self) -> String {
        let range = Self::RANGES
            .iter()
            .find(|(ms, _)| *ms == self.range_ms)
            .map_or("15m", |r| r.1);
        let step = self
            .step_ms
            .and_then(|s| Self::STEPS.iter().find(|(ms, _)| *ms == s))
            .map_or("auto", |s| s.1);
        format!(
            "#/explore?q={}&range={range}&step={step}&view={}&stacked={}",
            encode(&self.query),
            match self.view {
                ExploreView::Table => "table",
                ExploreView::Graph => "graph",
            },
            u8::from(self.stacked)
        )
    }
}

impl Default for ExploreUrl {
    fn default() -> Self {
        ExploreUrl {
            query: Self::DEFAULT_QUERY.to_string(),
            range_ms: 900_000,
            step_ms: None,
            view: ExploreView::Graph,
            stacked: false,
        }
    }
}

/// A paste shared in a Logs link, with the job and label fields it was
/// stored with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SharedPaste {
    pub text: String,
    pub job: String,
    pub fields: String,
}

/// What Logs keeps in the URL:
/// `#/logs?q=…&range=1h[&paste=…&job=…&fields=…]`.
#[derive(Clone, Debug, PartialEq)]
pub struct LogsUrl {
    pub query: String,
    /// The last `range_ms`; `None` is everything stored.
    pub range_ms: Option<i64>,
    pub paste: Option<String>,
    pub job: Option<String>,
    pub fields: Option<String>,
}

impl LogsUrl {
    /// The ranges Logs offers, with the labels the URL and the buttons
    /// use; `None` is everything stored.
    pub const RANGES: [(Option<i64>, &'static str); 5] = [
        (Some(300_000), "5m"),
        (Some(900_000), "15m"),
        (Some(3_600_000), "1h"),
        (Some(6 * 3_600_000), "6h"),
        (None, "all"),
    ];
    /// The query a fresh Logs page shows.
    pub const DEFAULT_QUERY: &'static str = r#"{job="shop"} | json | status >= 500"#;

    /// Reads `#/logs?…`; a range it does not know is everything stored.
    pub fn from_fragment(fragment: &str) -> LogsUrl {
        let mut state = LogsUrl {
            query: Self::DEFAULT_QUERY.to_string(),
            range_ms: None,
            paste: None,
            job: None,
            fields: None,
        };
        for (key, value) in pairs(fragment) {
            match key {
                "q" => state.query = value,
                "range" => {
                    state.range_ms = Self::RANGES.iter().find(|r| r.1 == value).and_then(|r| r.0)
                }
                "paste" => state.paste = Some(value),
                "job" => state.job = Some(value),
                "fields" => state.fields = Some(value),
                _ => {}
            }
        }
        state
    }

    /// The fragment of a query over a range, with a shared paste.
    pub fn fragment(query: &str, range_ms: Option<i64>, paste: Option<&SharedPaste>) -> String {
        let range = Self::RANGES
            .iter()
            .find(|r| r.0 == range_ms)
            .map_or("all", |r| r.1);
        let mut fragment = format!("#/logs?q={}&range={range}", encode(query));
        if let Some(p) = paste {
            fragment.push_str(&format!(
                "&paste={}&job={}&fields={}",
                encode(&p.text),
                encode(&p.job),
                encode(&p.fields)
            ));
        }
        fragment
    }
}

/// What Traces keeps in the URL: the open trace, `#/traces?trace=…`.
pub struct TracesUrl;

impl TracesUrl {
    /// The trace a fragment opens, if it names a valid one.
    pub fn trace(fragment: &str) -> Option<TraceId> {
        pairs(fragment)
            .find(|(key, _)| *key == "trace")
            .and_then(|(_, t)| TraceId::from_hex(&t))
    }

    /// The fragment of the Traces page with `trace` open (none: the page alone).
    pub fn fragment(trace: Option<TraceId>) -> String {
        match trace {
            Some(t) => Self::link(&t.to_string()),
            None => Page::Traces.fragment().to_string(),
        }
    }

    /// A link that opens the trace `trace_hex` (32 hex digits).
    pub fn link(trace_hex: &str) -> String {
        format!("#/traces?trace={}", encode(trace_hex))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encode_and_decode_as_the_browser_does() {
        // encodeURIComponent("sum by (x) (rate(a{b=\"c d\"}[1m]))") in a browser.
        assert_eq!(
            encode(r#"sum by (x) (rate(a{b="c d"}[1m]))"#),
            "sum%20by%20(x)%20(rate(a%7Bb%3D%22c%20d%22%7D%5B1m%5D))"
        );
        assert_eq!(encode("é!~*'&=+/?#"), "%C3%A9!~*'%26%3D%2B%2F%3F%23");
        assert_eq!(decode("a+b%20c%2Bd%C3%a9"), "a b c+dé");
        // decodeURIComponent throws on these; the page reads nothing.
        for broken in ["%", "%4", "%zz", "%C3", "%C3%28", "%ED%A0%80"] {
            assert_eq!(decode(broken), "", "{broken}");
        }
        let text = "{job=\"shop\"} |= \"ü\" & 100%";
        assert_eq!(decode(&encode(text)), text);
    }

    #[test]
    fn pages_are_named_by_the_fragment_path() {
        assert_eq!(Page::from_fragment("#/logs?q=x"), Page::Logs);
        assert_eq!(Page::from_fragment("#/dashboards"), Page::Dashboards);
        assert_eq!(Page::from_fragment("#/nowhere"), Page::Live);
        assert_eq!(Page::from_fragment(""), Page::Live);
        for p in Page::ALL {
            assert_eq!(Page::from_fragment(p.fragment()), p);
        }
    }

    #[test]
    fn explore_state_round_trips() {
        let state = ExploreUrl {
            query: "rate(x[5m]) > 0.5".into(),
            range_ms: 3_600_000,
            step_ms: Some(60_000),
            view: ExploreView::Table,
            stacked: true,
        };
        let fragment = state.to_fragment();
        assert_eq!(
            fragment,
            "#/explore?q=rate(x%5B5m%5D)%20%3E%200.5&range=1h&step=1m&view=table&stacked=1"
        );
        assert_eq!(ExploreUrl::from_fragment(&fragment), state);
        assert_eq!(
            ExploreUrl::default().to_fragment(),
            "#/explore?q=sum%20by%20(status)%20(rate(http_requests_total%5B1m%5D))&range=15m&step=auto&view=graph&stacked=0"
        );
        // Unknown values keep the defaults; a bare `#/explore` is the default view.
        let odd = ExploreUrl::from_fragment("#/explore?range=2h&step=7s&view=pie&stacked=yes&x");
        assert_eq!(odd, ExploreUrl::default());
        assert_eq!(
            ExploreUrl::from_fragment("#/explore"),
            ExploreUrl::default()
        );
        assert_eq!(ExploreUrl::from_fragment("#/explore?q=").query, "");
    }

    #[test]
    fn logs_state_round_trips() {
        let paste = SharedPaste {
            text: "level=info msg=a\nlevel=error".into(),
            job: "my job".into(),
            fields: "level".into(),
        };
        let fragment = LogsUrl::fragment(r#"{job="x"}"#, Some(900_000), Some(&paste));
        assert_eq!(
            fragment,
            "#/logs?q=%7Bjob%3D%22x%22%7D&range=15m&paste=level%3Dinfo%20msg%3Da%0Alevel%3Derror&job=my%20job&fields=level"
        );
        let read = LogsUrl::from_fragment(&fragment);
        assert_eq!(read.query, r#"{job="x"}"#);
        assert_eq!(read.range_ms, Some(900_000));
        assert_eq!(read.paste.as_deref(), Some(paste.text.as_str()));
        assert_eq!(read.job.as_deref(), Some("my job"));
        assert_eq!(read.fields.as_deref(), Some("level"));
        assert_eq!(
            LogsUrl::fragment("{a=\"b\"}", None, None),
            "#/logs?q=%7Ba%3D%22b%22%7D&range=all"
        );
        let fresh = LogsUrl::from_fragment("#/logs");
        assert_eq!(fresh.query, LogsUrl::DEFAULT_QUERY);
        assert_eq!((fresh.range_ms, fresh.paste), (None, None));
        assert_eq!(
            LogsUrl::from_fragment("#/logs?range=1h&range=9y").range_ms,
            None
        );
    }

    #[test]
    fn traces_state_names_the_open_trace() {
        let hex = "0af7651916cd43dd8448eb211c80319c";
        let id = TraceId::from_hex(hex).unwrap();
        assert_eq!(
            TracesUrl::fragment(Some(id)),
            format!("#/traces?trace={hex}")
        );
        assert_eq!(TracesUrl::fragment(None), "#/traces");
        assert_eq!(
            TracesUrl::trace(&format!("#/traces?x=1&trace={hex}")),
            Some(id)
        );
        assert_eq!(TracesUrl::trace("#/traces?trace=nope"), None);
        assert_eq!(TracesUrl::trace("#/traces"), None);
        assert_eq!(TracesUrl::link(hex), format!("#/traces?trace={hex}"));
    }

    #[test]
    fn share_links_carry_the_workspace_not_a_view() {
        assert_eq!(share_payload("#/share/abc"), Some("abc"));
        assert_eq!(share_payload("#/logs"), None);
        assert_eq!(view_to_keep("#/share/abc"), "");
        assert_eq!(view_to_keep("#/logs?q=x"), "#/logs?q=x");
    }
}
