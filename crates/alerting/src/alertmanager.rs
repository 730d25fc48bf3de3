//! Notifications with Alertmanager's semantics, on the virtual clock:
//! a routing tree (`matchers`, `group_by`, `group_wait`, `group_interval`,
//! `repeat_interval`, `continue`, nested routes), aggregation groups,
//! inhibition rules and silences. Receivers are simulated: each
//! notification is kept with the exact webhook payload Alertmanager would
//! POST (`version: "4"`), and nothing leaves the process.
//!
//! Configuration is Alertmanager's YAML (`route`, `receivers`,
//! `inhibit_rules`), checked as Alertmanager loads it: first every field
//! against its Go type (a list where a string belongs, `continue: maybe`,
//! an unknown field), then Alertmanager's checks (undefined receivers,
//! bad matchers, webhook URLs…). [`AmConfig::check`] returns every
//! problem, each with its line and column, as `amtool check-config`
//! prints them.
//!
//! ```
//! use o11y_alerting::alertmanager::AmConfig;
//!
//! let errors = AmConfig::check("route:\n  receiver: [a]\nreceivers: [{name: a}]\n").unwrap_err();
//! assert_eq!(errors[0].to_string(), "2:13: route.receiver: expected a string, found a list");
//! ```

use std::collections::{BTreeMap, BTreeSet};

use o11y_model::labels::{Labels, MatchOp, Matcher};
use o11y_model::yaml::Node;
use o11y_model::yaml::typed::{self, Struct, Ty};

/// One alert as Prometheus sends it.
#[derive(Clone, Debug, PartialEq)]
pub struct AmAlert {
    pub labels: Labels,
    pub annotations: Vec<(String, String)>,
    pub starts_at_ms: i64,
    /// Set once resolved.
    pub ends_at_ms: Option<i64>,
    pub generator_url: String,
}

impl AmAlert {
    pub fn fingerprint(&self) -> u64 {
        fingerprint(&self.labels)
    }

    fn resolved(&self, now_ms: i64) -> bool {
        self.ends_at_ms.is_some_and(|e| e <= now_ms)
    }
}

/// Prometheus's label-set fingerprint (FNV-1a over sorted names and values).
pub fn fingerprint(labels: &Labels) -> u64 {
    const OFFSET: u64 = 14695981039346656037;
    const PRIME: u64 = 1099511628211;
    let mut h = OFFSET;
    let mut add = |bytes: &[u8]| {
        for b in bytes {
            h ^= u64::from(*b);
            h = h.wrapping_mul(PRIME);
        }
    };
    if labels.iter().next().is_none() {
        return OFFSET;
    }
    for l in labels.iter() {
        add(l.name.as_bytes());
        add(&[0xff]);
        add(l.value.as_bytes());
        add(&[0xff]);
    }
    h
}

/// A node of the routing tree, with its settings resolved (inherited from
/// its parent where not written).
#[derive(Clone, Debug)]
pub struct Route {
    pub receiver: String,
    /// `None` groups by every label (`group_by: ['...']`).
    pub group_by: Option<Vec<String>>,
    pub matchers: Vec<Matcher>,
    pub continue_: bool,
    pub group_wait_ms: i64,
    pub group_interval_ms: i64,
    pub repeat_interval_ms: i64,
    pub routes: Vec<Route>,
    /// `{}` for the root, `{}/{matchers}` below it.
    pub key: String,
}

impl Route {
    /// The routes an alert goes to, as Alertmanager's `Route.Match`.
    pub fn matching(&self, labels: &Labels) -> Vec<&Route> {
        if !self.matchers.iter().all(|m| m.matches(labels)) {
            return Vec::new();
        }
        let mut all = Vec::new();
        for child in &self.routes {
            let found = child.matching(labels);
            let matched = !found.is_empty();
            all.extend(found);
            if matched && !child.continue_ {
                break;
            }
        }
        if all.is_empty() {
            all.push(self);
        }
        all
    }
}

#[derive(Clone, Debug)]
pub struct InhibitRule {
    pub source: Vec<Matcher>,
    pub target: Vec<Matcher>,
    pub equal: Vec<String>,
}

#[derive(Clone, Debug)]
pub struct AmConfig {
    pub route: Route,
    pub receivers: Vec<String>,
    pub inhibit_rules: Vec<InhibitRule>,
    /// Receivers that also send resolved notifications (each kind of
    /// config has Alertmanager's default; webhooks do).
    pub send_resolved: BTreeMap<String, bool>,
    /// `templates` as written (template files are not read).
    pub templates: Vec<String>,
    /// Names of `time_intervals` and `mute_time_intervals` (routes may name
    /// them; they do not mute anything in the playground).
    pub time_intervals: Vec<String>,
}

/// A configuration problem, at a 1-based line and column.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{line}:{col}: {message}")]
pub struct ConfigError {
    pub line: usize,
    pub col: usize,
    pub message: String,
}

fn err(node: &Node, message: impl Into<String>) -> ConfigError {
    let (line, col) = typed::start(node);
    ConfigError {
        line,
        col,
        message: message.into(),
    }
}

impl From<typed::Problem> for ConfigError {
    fn from(p: typed::Problem) -> ConfigError {
        ConfigError {
            line: p.line,
            col: p.col,
            message: p.message,
        }
    }
}

/// Parses one matcher as Alertmanager writes them: `name="value"`,
/// `name=~"re"`, `name!=value` (quotes optional), without braces.
pub fn parse_matcher(text: &str) -> Result<Matcher, String> {
    if text.starts_with('{') || text.ends_with('}') {
        return Err(format!("unexpected open or close brace: {text}"));
    }
    let mut all = parse_matchers(text)?;
    match (all.pop(), all.is_empty()) {
        (Some(m), true) => Ok(m),
        (None, _) => Err("no matchers".into()),
        (Some(_), false) => Err(format!("expected 1 matcher, found {}", all.len() + 1)),
    }
}

/// Parses one entry of a `matchers` list: any number of matchers,
/// separated by commas, in optional braces (`{a="1", b=~"x|y"}`).
/// Alertmanager's default mode: what its UTF-8 parser or, failing that,
/// its classic parser takes; the classic parser's error if neither does.
pub fn parse_matchers(text: &str) -> Result<Vec<Matcher>, String> {
    classic_matchers(text).or_else(|classic| utf8_matchers(text).map_err(|_| classic))
}

/// `pkg/labels.ParseMatchers`: braces trimmed, split at commas outside
/// double quotes, each part a matcher (an empty last part is ignored).
fn classic_matchers(text: &str) -> Result<Vec<Matcher>, String> {
    let s = text.strip_prefix('{').unwrap_or(text);
    let s = s.strip_suffix('}').unwrap_or(s);
    let (mut parts, mut part) = (Vec::new(), String::new());
    let (mut quoted, mut escaped) = (false, false);
    for c in s.chars() {
        match c {
            ',' if !quoted => {
                parts.push(std::mem::take(&mut part));
                continue;
            }
            ',' => {}
            '"' if escaped => escaped = false,
            '"' => quoted = !quoted,
            '\\' => escaped = !escaped,
            _ => escaped = false,
        }
        part.push(c);
    }
    if !part.trim().is_empty() {
        parts.push(part.trim().to_string());
    }
    parts.iter().map(|p| classic_matcher(p)).collect()
}

/// `pkg/labels.ParseMatcher`: a classic label name, an operator, and a
/// value, quoted or not, with `\"`, `\n` and `\\` unescaped.
fn classic_matcher(text: &str) -> Result<Matcher, String> {
    static SHAPE: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        // Go's `\s` is ASCII whitespace without \v.
        regex::Regex::new(
            r"^[\t\n\x0C\r ]*([a-zA-Z_:][a-zA-Z0-9_:]*)[\t\n\x0C\r ]*(=~|=|!=|!~)[\t\n\x0C\r ]*((?s).*?)[\t\n\x0C\r ]*$",
        )
        .expect("static regex")
    });
    let caps = SHAPE
        .captures(text)
        .ok_or_else(|| format!("bad matcher format: {text}"))?;
    let (name, op, raw) = (&caps[1], &caps[2], &caps[3]);
    let (body, mut open_quote) = match raw.strip_prefix('"') {
        Some(rest) => (rest, true),
        None => (raw, false),
    };
    let unescaped_quote = || format!("matcher value contains unescaped double quote: {raw}");
    let mut value = String::new();
    let mut chars = body.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' if chars.peek().is_some() => {
                let Some((_, next)) = chars.next() else { break };
                match next {
                    'n' => value.push('\n'),
                    '"' | '\\' => value.push(next),
                    other => {
                        value.push('\\');
                        value.push(other);
                    }
                }
            }
            '"' => {
                if !open_quote || i + 1 < body.len() {
                    return Err(unescaped_quote());
                }
                open_quote = false;
            }
            _ => value.push(c),
        }
    }
    if open_quote {
        return Err(unescaped_quote());
    }
    new_matcher(op, name, &value)
}

/// `labels.NewMatcher`: a regex is Go's, anchored (`^(?:…)$`).
fn new_matcher(op: &str, name: &str, value: &str) -> Result<Matcher, String> {
    let op = match op {
        "=" => MatchOp::Equal,
        "!=" => MatchOp::NotEqual,
        "=~" => MatchOp::Regex,
        _ => MatchOp::NotRegex,
    };
    let pattern = match op {
        // Anchored already: anchoring it again changes nothing.
        MatchOp::Regex | MatchOp::NotRegex => {
            o11y_metrics::relabel::go_regex(&format!("^(?:{value})$"))
                .map_err(|e| format!("error parsing regexp: {e}"))?
        }
        MatchOp::Equal | MatchOp::NotEqual => value.to_string(),
    };
    let mut matcher =
        Matcher::new(op, name, &pattern).map_err(|e| format!("error parsing regexp: {e}"))?;
    matcher.value = value.to_string();
    Ok(matcher)
}

/// A token of Alertmanager's UTF-8 matchers parser (`matcher/parse`).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Tok<'a> {
    Open,
    Close,
    Comma,
    Op(&'a str),
    Quoted(&'a str),
    Unquoted(&'a str),
}

/// `matcher/parse`'s lexer: every token, or the first error.
fn utf8_tokens(text: &str) -> Result<Vec<Tok<'_>>, String> {
    let reserved = |c: char| c.is_whitespace() || "{}!=~,\\\"'`".contains(c);
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        let len = match c {
            '{' | '}' | ',' => {
                out.push(match c {
                    '{' => Tok::Open,
                    '}' => Tok::Close,
                    _ => Tok::Comma,
                });
                1
            }
            '=' | '!' => {
                let len = match (c, rest[1..].chars().next()) {
                    ('=' | '!', Some('~')) | ('!', Some('=')) => 2,
                    ('=', _) => 1,
                    _ => return Err(format!("{rest}: expected one of '=~'")),
                };
                out.push(Tok::Op(&rest[..len]));
                len
            }
            '"' => {
                let mut escaped = false;
                let end = rest[1..].char_indices().find_map(|(i, c)| {
                    let at_end = c == '"' && !escaped;
                    escaped = !escaped && c == '\\';
                    at_end.then_some(i + 2)
                });
                let end = end.ok_or_else(|| format!("{rest}: missing end \""))?;
                out.push(Tok::Quoted(&rest[..end]));
                end
            }
            c if c.is_whitespace() => c.len_utf8(),
            c if !reserved(c) => {
                let end = rest.find(reserved).unwrap_or(rest.len());
                out.push(Tok::Unquoted(&rest[..end]));
                end
            }
            _ => return Err(format!("{rest}: invalid input")),
        };
        rest = &rest[len..];
    }
    Ok(out)
}

/// `matcher/parse.Matchers`: `{`? (matcher (`,` matcher)* `,`?)? `}`?,
/// braces in pairs.
fn utf8_matchers(text: &str) -> Result<Vec<Matcher>, String> {
    let tokens = utf8_tokens(text)?;
    let mut at = 0;
    let open = tokens.first() == Some(&Tok::Open);
    if open {
        at += 1;
    }
    let text_of = |t: Option<&Tok>| -> Result<String, String> {
        match t {
            Some(Tok::Unquoted(s)) => Ok(s.to_string()),
            Some(Tok::Quoted(s)) => go_unquote(s).ok_or_else(|| format!("{s}: invalid input")),
            _ => Err(format!("expected a label name or value in {text}")),
        }
    };
    let mut out = Vec::new();
    while matches!(tokens.get(at), Some(Tok::Quoted(_) | Tok::Unquoted(_))) {
        let name = text_of(tokens.get(at))?;
        let Some(Tok::Op(op)) = tokens.get(at + 1) else {
            return Err(format!(
                "expected an operator such as '=', '!=', '=~' or '!~' in {text}"
            ));
        };
        let value = text_of(tokens.get(at + 2))?;
        out.push(new_matcher(op, &name, &value)?);
        at += 3;
        match tokens.get(at) {
            Some(Tok::Comma) => at += 1,
            Some(Tok::Close) | None => break,
            Some(_) => return Err(format!("expected a comma or close brace in {text}")),
        }
    }
    if open {
        if tokens.get(at) != Some(&Tok::Close) {
            return Err(format!("expected close brace in {text}"));
        }
        at += 1;
    } else if tokens.get(at) == Some(&Tok::Close) {
        return Err(format!("expected opening brace in {text}"));
    }
    if at < tokens.len() {
        return Err(format!("expected end of input in {text}"));
    }
    Ok(out)
}

/// Go's `strconv.Unquote` of a double-quoted string.
fn go_unquote(quoted: &str) -> Option<String> {
    let body = quoted.strip_prefix('"')?.strip_suffix('"')?;
    if body.contains('\n') {
        return None;
    }
    let mut out = String::new();
    let mut chars = body.chars();
    while let Some(c) = chars.next() {
        if c == '"' {
            return None;
        }
        if c != '\\' {
            out.push(c);
            continue;
        }
        let hex = |chars: &mut std::str::Chars, n: usize| -> Option<u32> {
            let digits: String = chars.by_ref().take(n).collect();
            (digits.len() == n && digits.chars().all(|c| c.is_ascii_hexdigit()))
                .then(|| u32::from_str_radix(&digits, 16).ok())
                .flatten()
        };
        match chars.next()? {
            'a' => out.push('\x07'),
            'b' => out.push('\x08'),
            'f' => out.push('\x0C'),
            'n' => out.push('\n'),
            'r' => out.push('\r'),
            't' => out.push('\t'),
            'v' => out.push('\x0B'),
            '\\' => out.push('\\'),
            '"' => out.push('"'),
            // A byte: Go allows any, a Rust string only ASCII ones.
            'x' => out.push(char::from_u32(hex(&mut chars, 2)?).filter(char::is_ascii)?),
            'u' => out.push(char::from_u32(hex(&mut chars, 4)?)?),
            'U' => out.push(char::from_u32(hex(&mut chars, 8)?)?),
            d @ '0'..='7' => {
                let rest: String = chars.by_ref().take(2).collect();
                let code = u32::from_str_radix(&format!("{d}{rest}"), 8).ok()?;
                (rest.len() == 2 && code <= 0x7F).then_some(())?;
                out.push(char::from_u32(code)?);
            }
            _ => return None,
        }
    }
    Some(out)
}

/// Alertmanager's `config.Config`, field by field with its Go types, for
/// the type check every configuration goes through first. Receivers other
/// than webhooks are not simulated: their configs are checked as mappings
/// with a boolean `send_resolved`, other fields unread.
static CONFIG: Struct = Struct {
    name: "config.plain",
    strict: true,
    fields: &[
        ("global", Ty::Struct(&GLOBAL)),
        ("route", Ty::Struct(&ROUTE)),
        ("inhibit_rules", Ty::List(&Ty::Struct(&INHIBIT_RULE))),
        ("receivers", Ty::List(&Ty::Struct(&RECEIVER))),
        ("templates", Ty::List(&Ty::Str)),
        ("mute_time_intervals", Ty::List(&Ty::Struct(&TIME_INTERVAL))),
        ("time_intervals", Ty::List(&Ty::Struct(&TIME_INTERVAL))),
        ("tracing", Ty::Any),
        ("event_recorder", Ty::Any),
    ],
};

const STRINGS: Ty = Ty::List(&Ty::Str);
const STRING_MAP: Ty = Ty::Map(&Ty::Str);

static GLOBAL: Struct = Struct {
    name: "config.plain",
    strict: true,
    fields: &[
        ("resolve_timeout", Ty::Duration),
        ("http_config", Ty::Struct(&typed::HTTP_CLIENT_CONFIG)),
        ("jira_api_url", Ty::Str),
        ("smtp_from", Ty::Str),
        ("smtp_hello", Ty::Str),
        ("smtp_smarthost", Ty::Str),
        ("smtp_auth_username", Ty::Str),
        ("smtp_auth_password", Ty::Str),
        ("smtp_auth_password_file", Ty::Str),
        ("smtp_auth_secret", Ty::Str),
        ("smtp_auth_secret_file", Ty::Str),
        ("smtp_auth_identity", Ty::Str),
        ("smtp_require_tls", Ty::Bool),
        ("smtp_tls_config", Ty::Struct(&typed::TLS_CONFIG)),
        ("smtp_force_implicit_tls", Ty::Bool),
        ("slack_api_url", Ty::Str),
        ("slack_api_url_file", Ty::Str),
        ("slack_app_token", Ty::Str),
        ("slack_app_token_file", Ty::Str),
        ("slack_app_url", Ty::Str),
        ("pagerduty_url", Ty::Str),
        ("opsgenie_api_url", Ty::Str),
        ("opsgenie_api_key", Ty::Str),
        ("opsgenie_api_key_file", Ty::Str),
        ("wechat_api_url", Ty::Str),
        ("wechat_api_secret", Ty::Str),
        ("wechat_api_secret_file", Ty::Str),
        ("wechat_api_corp_id", Ty::Str),
        ("victorops_api_url", Ty::Str),
        ("victorops_api_key", Ty::Str),
        ("victorops_api_key_file", Ty::Str),
        ("telegram_api_url", Ty::Str),
        ("telegram_bot_token", Ty::Str),
        ("telegram_bot_token_file", Ty::Str),
        ("webex_api_url", Ty::Str),
        ("rocketchat_api_url", Ty::Str),
        ("rocketchat_token", Ty::Str),
        ("rocketchat_token_file", Ty::Str),
        ("rocketchat_token_id", Ty::Str),
        ("rocketchat_token_id_file", Ty::Str),
        ("mattermost_webhook_url", Ty::Str),
        ("mattermost_webhook_url_file", Ty::Str),
    ],
};

static ROUTE: Struct = Struct {
    name: "config.plain",
    strict: true,
    fields: &[
        ("receiver", Ty::Str),
        ("group_by", STRINGS),
        ("match", STRING_MAP),
        ("match_re", STRING_MAP),
        ("matchers", STRINGS),
        ("mute_time_intervals", STRINGS),
        ("active_time_intervals", STRINGS),
        ("continue", Ty::Bool),
        ("routes", Ty::List(&Ty::Struct(&ROUTE))),
        ("group_wait", Ty::Duration),
        ("group_interval", Ty::Duration),
        ("repeat_interval", Ty::Duration),
        ("labels", STRING_MAP),
    ],
};

static INHIBIT_RULE: Struct = Struct {
    name: "common.plain",
    strict: true,
    fields: &[
        ("name", Ty::Str),
        ("source_match", STRING_MAP),
        ("source_match_re", STRING_MAP),
        ("source_matchers", STRINGS),
        ("target_match", STRING_MAP),
        ("target_match_re", STRING_MAP),
        ("target_matchers", STRINGS),
        ("equal", STRINGS),
    ],
};

/// The kinds of receiver config, with whether each sends resolved
/// notifications unless told (`send_resolved`).
const RECEIVER_KINDS: [(&str, bool); 18] = [
    ("discord", true),
    ("email", false),
    ("incidentio", true),
    ("pagerduty", true),
    ("slack", false),
    ("webhook", true),
    ("opsgenie", true),
    ("wechat", false),
    ("pushover", true),
    ("victorops", true),
    ("sns", true),
    ("telegram", true),
    ("webex", true),
    ("msteams", true),
    ("msteamsv2", true),
    ("jira", true),
    ("rocketchat", false),
    ("mattermost", true),
];

const NOTIFIERS: Ty = Ty::List(&Ty::Struct(&NOTIFIER));

static RECEIVER: Struct = Struct {
    name: "config.plain",
    strict: true,
    fields: &[
        ("name", Ty::Str),
        ("labels", STRING_MAP),
        ("discord_configs", NOTIFIERS),
        ("email_configs", NOTIFIERS),
        ("incidentio_configs", NOTIFIERS),
        ("pagerduty_configs", NOTIFIERS),
        ("slack_configs", NOTIFIERS),
        ("webhook_configs", Ty::List(&Ty::Struct(&WEBHOOK))),
        ("opsgenie_configs", NOTIFIERS),
        ("wechat_configs", NOTIFIERS),
        ("pushover_configs", NOTIFIERS),
        ("victorops_configs", NOTIFIERS),
        ("sns_configs", NOTIFIERS),
        ("telegram_configs", NOTIFIERS),
        ("webex_configs", NOTIFIERS),
        ("msteams_configs", NOTIFIERS),
        ("msteamsv2_configs", NOTIFIERS),
        ("jira_configs", NOTIFIERS),
        ("rocketchat_configs", NOTIFIERS),
        ("mattermost_configs", NOTIFIERS),
    ],
};

/// A receiver config the playground does not simulate.
static NOTIFIER: Struct = Struct {
    name: "config.plain",
    strict: false,
    fields: &[("send_resolved", Ty::Bool)],
};

static WEBHOOK: Struct = Struct {
    name: "webhook.plain",
    strict: true,
    fields: &[
        ("send_resolved", Ty::Bool),
        ("http_config", Ty::Struct(&typed::HTTP_CLIENT_CONFIG)),
        ("url", Ty::Str),
        ("url_file", Ty::Str),
        ("max_alerts", Ty::Uint),
        ("timeout", Ty::GoDuration),
        ("payload", Ty::Any),
    ],
};

static TIME_INTERVAL: Struct = Struct {
    name: "config.plain",
    strict: true,
    fields: &[
        ("name", Ty::Str),
        ("time_intervals", Ty::List(&Ty::Struct(&TIME_SPEC))),
    ],
};

/// `timeinterval.TimeInterval` (ranges are written as strings).
static TIME_SPEC: Struct = Struct {
    name: "timeinterval.TimeInterval",
    strict: true,
    fields: &[
        ("times", Ty::List(&Ty::Struct(&TIME_RANGE))),
        ("weekdays", STRINGS),
        ("days_of_month", STRINGS),
        ("months", STRINGS),
        ("years", STRINGS),
        ("location", Ty::Str),
    ],
};

static TIME_RANGE: Struct = Struct {
    name: "timeinterval.TimeRange",
    strict: true,
    fields: &[("start_time", Ty::Str), ("end_time", Ty::Str)],
};

/// Whether a label name is valid as `match`/`match_re` keys need it
/// (Prometheus's legacy `LabelNameRE`).
fn legacy_label_name(name: &str) -> bool {
    o11y_model::labels::is_valid_label_name(name)
}

/// The names routes may refer to, and where problems go.
struct Checker<'a> {
    receivers: &'a [String],
    time_intervals: &'a [String],
    errors: Vec<ConfigError>,
}

impl Checker<'_> {
    fn at(&mut self, node: &Node, message: impl Into<String>) {
        self.errors.push(err(node, message));
    }

    /// `matchers`, `match` and `match_re` (or `source_…`/`target_…` with a
    /// prefix) of a route or an inhibit rule, already type-checked.
    fn matchers(&mut self, node: &Node, prefix: &str) -> Vec<Matcher> {
        let mut out = Vec::new();
        let field = |name: &str| node.get(&format!("{prefix}{name}"));
        for (name, value) in field("match").map(Node::entries).unwrap_or_default() {
            let (n, v) = (typed::string(name), typed::string(value));
            if !legacy_label_name(&n) {
                self.at(name, format!("invalid label name {n:?}"));
                continue;
            }
            match Matcher::new(MatchOp::Equal, &n, &v) {
                Ok(m) => out.push(m),
                Err(e) => self.at(value, e.to_string()),
            }
        }
        for (name, value) in field("match_re").map(Node::entries).unwrap_or_default() {
            let n = typed::string(name);
            if !legacy_label_name(&n) {
                self.at(name, format!("invalid label name {n:?}"));
                continue;
            }
            if value.is_null() {
                // An empty value has no place of its own: its key's.
                self.at(name, format!("invalid regexp value for {n:?}"));
                continue;
            }
            let v = typed::string(value);
            match new_matcher("=~", &n, &v) {
                Ok(m) => out.push(m),
                Err(e) => self.at(value, format!("invalid regular expression {v:?}: {e}")),
            }
        }
        // Each entry may hold several matchers, or none (`''`).
        for m in field("matchers").map(Node::items).unwrap_or_default() {
            match parse_matchers(&typed::string(m)) {
                Ok(matchers) => out.extend(matchers),
                Err(e) => self.at(m, e),
            }
        }
        out
    }

    /// A node of the routing tree, already type-checked, with what it
    /// inherits from its parent; Alertmanager's checks of it.
    fn route(&mut self, node: &Node, parent: Option<&Route>) -> Route {
        // A field written as null is as if it were not written.
        let get = |k: &str| node.get(k).filter(|n| !n.is_null());
        let root = parent.is_none();
        let receiver = match get("receiver").map(|r| (r, typed::string(r))) {
            Some((r, name)) if !name.is_empty() => {
                if !self.receivers.contains(&name) {
                    self.at(r, format!("undefined receiver {name:?} used in route"));
                }
                name
            }
            _ => match parent {
                Some(p) => p.receiver.clone(),
                None => {
                    self.at(node, "root route must specify a default receiver");
                    String::new()
                }
            },
        };
        let mut matchers = self.matchers(node, "");
        // Sorted as Alertmanager sorts them, which makes the route's key.
        matchers.sort_by(|a, b| {
            let rank = |m: &Matcher| match m.op {
                MatchOp::Equal => 0,
                MatchOp::NotEqual => 1,
                MatchOp::Regex => 2,
                MatchOp::NotRegex => 3,
            };
            (&a.name, &a.value, rank(a)).cmp(&(&b.name, &b.value, rank(b)))
        });
        // What counts is the matchers parsed: `matchers: ['']` has none.
        let written = |k: &str| get(k).is_some_and(|m| !m.entries().is_empty());
        if root && (!matchers.is_empty() || ["match", "match_re"].into_iter().any(written)) {
            self.at(node, "root route must not have any matchers");
        }
        for (field, what) in [
            ("mute_time_intervals", "mute time intervals"),
            ("active_time_intervals", "active time intervals"),
        ] {
            let Some(list) = get(field) else { continue };
            if root && !list.items().is_empty() {
                self.at(list, format!("root route must not have any {what}"));
            }
            for item in list.items() {
                let name = typed::string(item);
                if !self.time_intervals.contains(&name) {
                    self.at(
                        item,
                        format!("undefined time interval {name:?} used in route"),
                    );
                }
            }
        }
        let group_by = match get("group_by") {
            Some(g) => {
                let mut all = false;
                let mut names: Vec<String> = Vec::new();
                for item in g.items() {
                    let name = typed::string(item);
                    if name == "..." {
                        all = true;
                    } else if name.is_empty() {
                        self.at(
                            item,
                            format!("invalid label name {name:?} in group_by list"),
                        );
                    } else if names.contains(&name) {
                        self.at(item, format!("duplicated label {name:?} in group_by"));
                    } else {
                        names.push(name);
                    }
                }
                if all && !names.is_empty() {
                    self.at(
                        g,
                        "cannot have wildcard group_by (`...`) and other labels at the same time",
                    );
                }
                (!all).then_some(names)
            }
            None => parent.map_or(Some(Vec::new()), |p| p.group_by.clone()),
        };
        let continue_ = get("continue").is_some_and(typed::boolean);
        if root && continue_ {
            self.at(
                get("continue").unwrap_or(node),
                "cannot have continue in root route",
            );
        }
        let mut duration = |field: &str, inherited: i64, zero_allowed: bool| match get(field) {
            None => inherited,
            Some(n) => {
                let ms =
                    o11y_model::duration::parse_duration(&typed::string(n)).unwrap_or(inherited);
                if ms == 0 && !zero_allowed {
                    self.at(n, format!("{field} cannot be zero"));
                }
                ms
            }
        };
        let group_wait_ms = duration(
            "group_wait",
            parent.map_or(30_000, |p| p.group_wait_ms),
            true,
        );
        let group_interval_ms = duration(
            "group_interval",
            parent.map_or(300_000, |p| p.group_interval_ms),
            false,
        );
        let repeat_interval_ms = duration(
            "repeat_interval",
            parent.map_or(4 * 3_600_000, |p| p.repeat_interval_ms),
            false,
        );
        let key = match parent {
            None => "{}".to_string(),
            Some(p) => {
                let ms: Vec<String> = matchers.iter().map(matcher_text).collect();
                format!("{}/{{{}}}", p.key, ms.join(","))
            }
        };
        let mut r = Route {
            receiver,
            group_by,
            matchers,
            continue_,
            group_wait_ms,
            group_interval_ms,
            repeat_interval_ms,
            routes: Vec::new(),
            key,
        };
        let children = get("routes").map(Node::items).unwrap_or_default();
        r.routes = children.iter().map(|c| self.route(c, Some(&r))).collect();
        r
    }
}

/// Checks a webhook config's URL as Alertmanager does: `http` or
/// `https` with a host, unless it is a template.
fn check_webhook_url(url: &str) -> Result<(), String> {
    if url.is_empty() || url == "<secret>" || url.contains("{{") {
        return Ok(());
    }
    let (scheme, rest) = match url.split_once(':') {
        Some((s, rest))
            if s.starts_with(|c: char| c.is_ascii_alphabetic())
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c)) =>
        {
            (s.to_ascii_lowercase(), rest)
        }
        _ => (String::new(), url),
    };
    if scheme != "http" && scheme != "https" {
        return Err(format!(
            "invalid URL: unsupported scheme {scheme:?} for URL"
        ));
    }
    if url.chars().any(|c| c.is_ascii_control()) {
        return Err("invalid URL: net/url: invalid control character in URL".into());
    }
    let authority = rest
        .strip_prefix("//")
        .map(|r| r.split(['/', '?', '#']).next().unwrap_or_default())
        .unwrap_or_default();
    let (userinfo, host) = authority.rsplit_once('@').unwrap_or(("", authority));
    // Go's `url.Parse`: what user info and a host may hold.
    let sub_delims = |c: char| "!$&'()*+,;=".contains(c);
    if !userinfo
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || sub_delims(c) || "-._:~%@".contains(c))
    {
        return Err("invalid URL: net/url: invalid userinfo".into());
    }
    let port = match host.strip_prefix('[') {
        Some(v6) => v6.split_once(']').map_or("", |(_, port)| port),
        None => host.rfind(':').map_or("", |i| &host[i..]),
    };
    let digits = |p: &str| p.bytes().all(|b| b.is_ascii_digit());
    if !(port.is_empty() || port.strip_prefix(':').is_some_and(digits)) {
        return Err(format!("invalid URL: invalid port {port:?} after host"));
    }
    let mut chars = host.chars();
    while let Some(c) = chars.next() {
        let hex = |c: Option<char>| c.is_some_and(|c| c.is_ascii_hexdigit());
        let valid = match c {
            '%' => hex(chars.next()) && hex(chars.next()),
            c => {
                !c.is_ascii()
                    || c.is_ascii_alphanumeric()
                    || sub_delims(c)
                    || "-_.~:[]<>\"".contains(c)
            }
        };
        if !valid {
            return Err(format!("invalid URL: invalid character {c:?} in host name"));
        }
    }
    if host.is_empty() {
        return Err("invalid URL: missing host for URL".into());
    }
    Ok(())
}

/// A `host:port` as Go's `net.SplitHostPort` takes it, with a port
/// (Alertmanager's `HostPort`; empty is unset).
fn check_host_port(text: &str) -> Result<(), String> {
    if text.is_empty() {
        return Ok(());
    }
    let fail = |why: &str| Err(format!("address {text}: {why}"));
    let Some(colon) = text.rfind(':') else {
        return fail("missing port in address");
    };
    let (mut host_from, mut port_area_from) = (0, 0);
    if text.starts_with('[') {
        let Some(end) = text.find(']') else {
            return fail("missing ']' in address");
        };
        if end + 1 != colon {
            return fail(match text.as_bytes().get(end + 1) {
                Some(b':') => "too many colons in address",
                _ => "missing port in address",
            });
        }
        (host_from, port_area_from) = (1, end + 1);
    } else if text[..colon].contains(':') {
        return fail("too many colons in address");
    }
    if text[host_from..].contains('[') {
        return fail("unexpected '[' in address");
    }
    if text[port_area_from..].contains(']') {
        return fail("unexpected ']' in address");
    }
    if colon + 1 == text.len() {
        return Err(format!("address {text:?}: port cannot be empty"));
    }
    Ok(())
}

fn matcher_text(m: &Matcher) -> String {
    let op = match m.op {
        MatchOp::Equal => "=",
        MatchOp::NotEqual => "!=",
        MatchOp::Regex => "=~",
        MatchOp::NotRegex => "!~",
    };
    format!("{}{op}{:?}", m.name, m.value)
}

impl AmConfig {
    /// Parses an Alertmanager configuration; the first problem (in the
    /// order of the text) if there are any.
    pub fn parse(text: &str) -> Result<AmConfig, ConfigError> {
        AmConfig::check(text).map_err(|errors| {
            errors.into_iter().next().unwrap_or(ConfigError {
                line: 1,
                col: 1,
                message: "invalid configuration".into(),
            })
        })
    }

    /// Parses an Alertmanager configuration, or returns every problem
    /// found, in the order of the text (what `amtool check-config`
    /// checks). Wrong types and unknown fields come first, all of them,
    /// as Alertmanager's YAML decoder reports them; only a configuration
    /// without any is checked further (receivers, routes, inhibit rules).
    pub fn check(text: &str) -> Result<AmConfig, Vec<ConfigError>> {
        let doc = o11y_model::yaml::parse(text)
            .map_err(|e| {
                vec![ConfigError {
                    line: e.line,
                    col: e.col,
                    message: format!("yaml: {}", e.message),
                }]
            })?
            .ok_or_else(|| {
                vec![ConfigError {
                    line: 1,
                    col: 1,
                    message: "the configuration is empty".into(),
                }]
            })?;
        let mut problems = Vec::new();
        typed::check(&doc, Ty::Struct(&CONFIG), "", &mut problems);
        if !problems.is_empty() {
            return Err(problems.into_iter().map(ConfigError::from).collect());
        }
        let list = |key: &str| doc.get(key).map(Node::items).unwrap_or_default();
        let mut errors = Vec::new();
        if let Some(global) = doc.get("global") {
            check_http_config(global, &mut errors);
            if let Some(host) = global.get("smtp_smarthost")
                && let Err(e) = check_host_port(&typed::string(host))
            {
                errors.push(err(host, e));
            }
        }

        let mut receivers = Vec::new();
        let mut send_resolved = BTreeMap::new();
        for r in list("receivers") {
            let name_node = r.get("name");
            let name = name_node.map(typed::string).unwrap_or_default();
            if name.is_empty() {
                errors.push(err(r, "missing name in receiver"));
                continue;
            }
            if receivers.contains(&name) {
                errors.push(err(
                    name_node.unwrap_or(r),
                    format!("notification config name {name:?} is not unique"),
                ));
                continue;
            }
            let mut resolved = true;
            for (kind, default) in RECEIVER_KINDS {
                for c in r
                    .get(&format!("{kind}_configs"))
                    .map(Node::items)
                    .unwrap_or_default()
                {
                    if c.is_null() {
                        errors.push(err(c, format!("missing {kind} config")));
                        continue;
                    }
                    // Written as null, `send_resolved` is false, as in Go.
                    resolved &= c.get("send_resolved").map_or(default, typed::boolean);
                    if kind == "webhook" {
                        check_webhook(c, &mut errors);
                    }
                }
            }
            send_resolved.insert(name.clone(), resolved);
            receivers.push(name);
        }

        let mut time_intervals: Vec<String> = Vec::new();
        for (key, what) in [
            ("mute_time_intervals", "mute time interval"),
            ("time_intervals", "time interval"),
        ] {
            for ti in list(key) {
                for spec in ti
                    .get("time_intervals")
                    .map(Node::items)
                    .unwrap_or_default()
                {
                    check_time_spec(spec, &mut errors);
                }
                let name = ti.get("name").map(typed::string).unwrap_or_default();
                if name.is_empty() {
                    errors.push(err(ti, format!("missing name in {what}")));
                } else if time_intervals.contains(&name) {
                    errors.push(err(
                        ti.get("name").unwrap_or(ti),
                        format!("{what} {name:?} is not unique"),
                    ));
                } else {
                    time_intervals.push(name);
                }
            }
        }

        let mut checker = Checker {
            receivers: &receivers,
            time_intervals: &time_intervals,
            errors,
        };
        let route = match doc.get("route").filter(|r| !r.is_null()) {
            Some(root) => checker.route(root, None),
            None => {
                checker.at(&doc, "no routes provided");
                Route {
                    receiver: String::new(),
                    group_by: Some(Vec::new()),
                    matchers: Vec::new(),
                    continue_: false,
                    group_wait_ms: 30_000,
                    group_interval_ms: 300_000,
                    repeat_interval_ms: 4 * 3_600_000,
                    routes: Vec::new(),
                    key: "{}".into(),
                }
            }
        };
        let mut inhibit_rules = Vec::new();
        for ir in list("inhibit_rules") {
            let equal = ir.get("equal").map(typed::strings).unwrap_or_default();
            for (name, item) in equal
                .iter()
                .zip(ir.get("equal").map(Node::items).unwrap_or_default())
            {
                if name.is_empty() {
                    checker.at(item, format!("invalid label name {name:?} in equal list"));
                }
            }
            inhibit_rules.push(InhibitRule {
                source: checker.matchers(ir, "source_"),
                target: checker.matchers(ir, "target_"),
                equal,
            });
        }
        let mut errors = checker.errors;
        if !errors.is_empty() {
            errors.sort_by_key(|e| (e.line, e.col));
            return Err(errors);
        }
        Ok(AmConfig {
            route,
            receivers,
            inhibit_rules,
            send_resolved,
            templates: doc.get("templates").map(typed::strings).unwrap_or_default(),
            time_intervals,
        })
    }
}

/// Alertmanager's checks of one `time_intervals` entry (`timeinterval`'s
/// parsing of its ranges), types already checked.
fn check_time_spec(spec: &Node, errors: &mut Vec<ConfigError>) {
    let items = |k: &str| spec.get(k).map(Node::items).unwrap_or_default();
    for range in items("times") {
        let text = |k: &str| range.get(k).map(typed::string).unwrap_or_default();
        let (start, end) = (text("start_time"), text("end_time"));
        let result = if start.is_empty() || end.is_empty() {
            Err("both start and end times must be provided".to_string())
        } else {
            match (minutes_of_day(&start), minutes_of_day(&end)) {
                (Err(e), _) | (_, Err(e)) => Err(e),
                (Ok(s), Ok(e)) if s >= e => {
                    Err("start time cannot be equal or greater than end time".into())
                }
                _ => Ok(()),
            }
        };
        if let Err(e) = result {
            errors.push(err(range, e));
        }
    }
    let weekday = |s: &str| {
        WEEKDAYS
            .iter()
            .position(|d| *d == s)
            .map(|i| i as i64)
            .ok_or_else(|| format!("{s} is not a valid weekday"))
    };
    let month = |s: &str| {
        MONTHS
            .iter()
            .position(|m| *m == s)
            .map(|i| i as i64 + 1)
            .map_or_else(
                || go_atoi(s).ok_or_else(|| format!("{s} is not a valid month")),
                Ok,
            )
    };
    let number =
        |s: &str| go_atoi(s).ok_or_else(|| format!("strconv.Atoi: parsing {s:?}: invalid syntax"));
    for item in items("weekdays") {
        let result = inclusive_range(item, weekday).and_then(|(b, e)| {
            (b <= e)
                .then_some(())
                .ok_or_else(|| "start day cannot be before end day".to_string())
        });
        if let Err(e) = result {
            errors.push(err(item, e));
        }
    }
    for item in items("days_of_month") {
        let result = inclusive_range(item, number).and_then(|(b, e)| {
            for day in [b, e] {
                if day == 0 || !(-31..=31).contains(&day) {
                    return Err(format!(
                        "{day} is not a valid day of the month: out of range"
                    ));
                }
            }
            if b < 0 && e > 0 {
                return Err("end day must be negative if start day is negative".into());
            }
            // Negative days count from the end of a month, of at least 28 days.
            let from_start = |d: i64| if d < 0 { 28 + d } else { d };
            if from_start(b) > from_start(e) {
                return Err(format!("end day {e} is always before start day {b}"));
            }
            Ok(())
        });
        if let Err(e) = result {
            errors.push(err(item, e));
        }
    }
    for item in items("months") {
        let result = inclusive_range(item, month).and_then(|(b, e)| {
            let name = |m: i64| {
                usize::try_from(m - 1)
                    .ok()
                    .and_then(|i| MONTHS.get(i))
                    .copied()
                    .unwrap_or_default()
            };
            (b <= e)
                .then_some(())
                .ok_or_else(|| format!("end month {} is before start month {}", name(e), name(b)))
        });
        if let Err(e) = result {
            errors.push(err(item, e));
        }
    }
    for item in items("years") {
        let result = inclusive_range(item, number).and_then(|(b, e)| {
            (b <= e)
                .then_some(())
                .ok_or_else(|| format!("end year {e} is before start year {b}"))
        });
        if let Err(e) = result {
            errors.push(err(item, e));
        }
    }
    if let Some(location) = spec.get("location").filter(|l| !l.is_null()) {
        let name = typed::string(location);
        if !time_zone_name(&name) {
            errors.push(err(location, format!("unknown time zone {name}")));
        }
    }
}

const WEEKDAYS: [&str; 7] = [
    "sunday",
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
];

const MONTHS: [&str; 12] = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];

/// `timeinterval`'s `stringableRangeFromString`: `x` or `x:y`, lowercased,
/// each member read by `member`.
fn inclusive_range(
    item: &Node,
    member: impl Fn(&str) -> Result<i64, String>,
) -> Result<(i64, i64), String> {
    let text = typed::string(item).to_lowercase();
    let parts: Vec<&str> = text.split(':').collect();
    match parts.as_slice() {
        [one] => member(one).map(|v| (v, v)),
        [begin, end] => Ok((member(begin)?, member(end)?)),
        _ => Err(format!("couldn't parse range {text}, invalid format")),
    }
}

/// Go's `strconv.Atoi`: an optional sign and decimal digits, within `int64`.
fn go_atoi(s: &str) -> Option<i64> {
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// `HH:MM` from `00:00` to `24:00`, as minutes of the day.
fn minutes_of_day(text: &str) -> Result<i64, String> {
    let b = text.as_bytes();
    let valid = text == "24:00"
        || (b.len() == 5
            && b[2] == b':'
            && matches!(
                (b[0], b[1]),
                (b'0' | b'1', b'0'..=b'9') | (b'2', b'0'..=b'3')
            )
            && matches!((b[3], b[4]), (b'0'..=b'5', b'0'..=b'9')));
    if !valid {
        return Err(format!("couldn't parse timestamp {text}, invalid format"));
    }
    let number = |r: std::ops::Range<usize>| {
        i64::from(b[r.start] - b'0') * 10 + i64::from(b[r.start + 1] - b'0')
    };
    Ok(number(0..2) * 60 + number(3..5))
}

/// Whether `name` can be a time zone for Go's `time.LoadLocation`. The
/// time zone database is not consulted: `UTC`, `Local`, and names shaped
/// like the database's (`Europe/Berlin`, `Etc/GMT+1`) pass.
fn time_zone_name(name: &str) -> bool {
    name.is_empty()
        || ((name.starts_with(|c: char| c.is_ascii_alphabetic()))
            && !name.contains("..")
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "/_+-".contains(c)))
}

/// Alertmanager's checks of a webhook config (types already checked).
fn check_webhook(c: &Node, errors: &mut Vec<ConfigError>) {
    let url = c.get("url").map(typed::string).unwrap_or_default();
    let url_file = c.get("url_file").map(typed::string).unwrap_or_default();
    if url.is_empty() && url_file.is_empty() {
        errors.push(err(c, "one of url or url_file must be configured"));
    } else if !url.is_empty() && !url_file.is_empty() {
        errors.push(err(c, "at most one of url & url_file must be configured"));
    }
    if let (Some(node), Err(e)) = (c.get("url"), check_webhook_url(&url)) {
        errors.push(err(node, e));
    }
    check_http_config(c, errors);
}

/// prometheus/common's checks of the `http_config` of `node`, if any.
fn check_http_config(node: &Node, errors: &mut Vec<ConfigError>) {
    let http = node.get("http_config").filter(|h| !h.is_null());
    if let Some(p) = http.and_then(typed::http_client_config_problem) {
        errors.push(p.into());
    }
}

/// The playground's default: everything to a team feed, pages to an on-call
/// receiver at once, grouped by alert name and service; a page silences
/// tickets for the same service.
pub const DEFAULT_CONFIG: &str = r#"route:
  receiver: team-feed
  group_by: [alertname, service]
  group_wait: 30s
  group_interval: 5m
  repeat_interval: 4h
  routes:
    - matchers: ['severity="page"']
      receiver: on-call
      group_wait: 10s
      continue: true
receivers:
  - name: team-feed
    webhook_configs:
      - url: http://127.0.0.1:5001/team
  - name: on-call
    webhook_configs:
      - url: http://127.0.0.1:5001/pager
inhibit_rules:
  - source_matchers: ['severity="page"']
    target_matchers: ['severity="ticket"']
    equal: [service]
"#;

/// A silence: alerts its matchers select are not notified while it is active.
#[derive(Clone, Debug)]
pub struct Silence {
    pub id: u64,
    pub matchers: Vec<Matcher>,
    pub starts_at_ms: i64,
    pub ends_at_ms: i64,
    pub created_by: String,
    pub comment: String,
}

impl Silence {
    pub fn active(&self, now_ms: i64) -> bool {
        self.starts_at_ms <= now_ms && now_ms < self.ends_at_ms
    }

    pub fn matches(&self, labels: &Labels) -> bool {
        self.matchers.iter().all(|m| m.matches(labels))
    }
}

/// A notification a receiver got.
#[derive(Clone, Debug, PartialEq)]
pub struct Notification {
    pub at_ms: i64,
    pub receiver: String,
    pub group_key: String,
    /// `firing` or `resolved`.
    pub status: &'static str,
    pub alerts: Vec<AmAlert>,
    /// The webhook JSON Alertmanager would POST.
    pub payload: String,
}

#[derive(Clone, Debug)]
struct AggrGroup {
    route_key: String,
    receiver: String,
    group_labels: Labels,
    group_interval_ms: i64,
    repeat_interval_ms: i64,
    alerts: BTreeMap<u64, AmAlert>,
    next_flush_ms: i64,
    /// Firing fingerprints of the last notification, and when it was sent.
    last_firing: BTreeSet<u64>,
    last_sent_ms: Option<i64>,
}

/// The notification pipeline.
#[derive(Clone, Debug)]
pub struct Alertmanager {
    pub config: AmConfig,
    groups: Vec<AggrGroup>,
    pub silences: Vec<Silence>,
    next_silence: u64,
    /// Notifications sent, oldest first (the most recent `MAX_NOTIFICATIONS`).
    pub notifications: std::collections::VecDeque<Notification>,
    pub external_url: String,
}

pub const MAX_NOTIFICATIONS: usize = 1_000;

impl Alertmanager {
    pub fn new(config: AmConfig) -> Alertmanager {
        Alertmanager {
            config,
            groups: Vec::new(),
            silences: Vec::new(),
            next_silence: 1,
            notifications: Default::default(),
            external_url: "http://alertmanager.playground".to_string(),
        }
    }

    /// Takes the alerts Prometheus sends at `now_ms` (firing ones, and
    /// resolved ones with their end) into their groups.
    pub fn receive(&mut self, alerts: &[AmAlert], now_ms: i64) {
        for alert in alerts {
            let routes: Vec<(String, String, Labels, i64, i64, i64)> = self
                .config
                .route
                .matching(&alert.labels)
                .into_iter()
                .map(|r| {
                    let group_labels = match &r.group_by {
                        None => alert.labels.clone(),
                        Some(names) => Labels::new(
                            alert
                                .labels
                                .iter()
                                .filter(|l| names.contains(&l.name))
                                .map(|l| (l.name.clone(), l.value.clone())),
                        ),
                    };
                    (
                        r.key.clone(),
                        r.receiver.clone(),
                        group_labels,
                        r.group_wait_ms,
                        r.group_interval_ms,
                        r.repeat_interval_ms,
                    )
                })
                .collect();
            for (key, receiver, group_labels, wait, interval, repeat) in routes {
                let i = match self
                    .groups
                    .iter()
                    .position(|g| g.route_key == key && g.group_labels == group_labels)
                {
                    Some(i) => i,
                    None => {
                        if alert.resolved(now_ms) {
                            continue;
                        }
                        self.groups.push(AggrGroup {
                            route_key: key,
                            receiver,
                            group_labels,
                            group_interval_ms: interval,
                            repeat_interval_ms: repeat,
                            alerts: BTreeMap::new(),
                            next_flush_ms: now_ms + wait,
                            last_firing: BTreeSet::new(),
                            last_sent_ms: None,
                        });
                        self.groups.len() - 1
                    }
                };
                self.groups[i]
                    .alerts
                    .insert(alert.fingerprint(), alert.clone());
            }
        }
    }

    /// Whether an alert is muted by a firing source alert.
    pub fn inhibited(&self, labels: &Labels, now_ms: i64) -> bool {
        let firing: Vec<&AmAlert> = self
            .groups
            .iter()
            .flat_map(|g| g.alerts.values())
            .filter(|a| !a.resolved(now_ms))
            .collect();
        self.config.inhibit_rules.iter().any(|rule| {
            rule.target.iter().all(|m| m.matches(labels))
                && firing.iter().any(|src| {
                    src.labels != *labels
                        && rule.source.iter().all(|m| m.matches(&src.labels))
                        && rule
                            .equal
                            .iter()
                            .all(|e| src.labels.get(e) == labels.get(e))
                })
        })
    }

    /// Whether an active silence matches.
    pub fn silenced(&self, labels: &Labels, now_ms: i64) -> Option<u64> {
        self.silences
            .iter()
            .find(|s| s.active(now_ms) && s.matches(labels))
            .map(|s| s.id)
    }

    /// Flushes every group due by `now_ms`, sending what changed.
    pub fn advance_to(&mut self, now_ms: i64) {
        for i in 0..self.groups.len() {
            while self.groups[i].next_flush_ms <= now_ms {
                let at = self.groups[i].next_flush_ms;
                self.flush(i, at);
                let g = &mut self.groups[i];
                g.next_flush_ms = at + g.group_interval_ms;
            }
        }
        // Groups left without alerts are gone.
        self.groups.retain(|g| !g.alerts.is_empty());
    }

    fn flush(&mut self, i: usize, at: i64) {
        let g = &self.groups[i];
        let visible: Vec<AmAlert> = g
            .alerts
            .values()
            .filter(|a| self.silenced(&a.labels, at).is_none() && !self.inhibited(&a.labels, at))
            .cloned()
            .collect();
        let firing: BTreeSet<u64> = visible
            .iter()
            .filter(|a| !a.resolved(at))
            .map(AmAlert::fingerprint)
            .collect();
        let resolved: Vec<&AmAlert> = visible.iter().filter(|a| a.resolved(at)).collect();
        let send_resolved = *self.config.send_resolved.get(&g.receiver).unwrap_or(&true);
        let repeat_due = g
            .last_sent_ms
            .is_some_and(|t| at - t >= g.repeat_interval_ms);
        let changed = firing != g.last_firing;
        let newly_resolved = send_resolved
            && resolved
                .iter()
                .any(|a| g.last_firing.contains(&a.fingerprint()));
        let needs = if firing.is_empty() {
            newly_resolved || (changed && send_resolved && !g.last_firing.is_empty())
        } else {
            changed || repeat_due || newly_resolved
        };
        if needs {
            let alerts: Vec<AmAlert> = if send_resolved {
                visible.clone()
            } else {
                visible
                    .iter()
                    .filter(|a| !a.resolved(at))
                    .cloned()
                    .collect()
            };
            let status = if firing.is_empty() {
                "resolved"
            } else {
                "firing"
            };
            let payload = webhook_payload(g, &alerts, status, at, &self.external_url);
            self.notifications.push_back(Notification {
                at_ms: at,
                receiver: g.receiver.clone(),
                group_key: group_key(g),
                status,
                alerts,
                payload,
            });
            while self.notifications.len() > MAX_NOTIFICATIONS {
                self.notifications.pop_front();
            }
            let g = &mut self.groups[i];
            g.last_firing = firing;
            g.last_sent_ms = Some(at);
        }
        // Resolved alerts leave the group once they have been flushed.
        let g = &mut self.groups[i];
        g.alerts.retain(|_, a| !a.resolved(at));
    }

    /// Adds a silence; returns its id.
    pub fn add_silence(
        &mut self,
        matchers: Vec<Matcher>,
        starts_at_ms: i64,
        ends_at_ms: i64,
        created_by: &str,
        comment: &str,
    ) -> u64 {
        let id = self.next_silence;
        self.next_silence += 1;
        self.silences.push(Silence {
            id,
            matchers,
            starts_at_ms,
            ends_at_ms,
            created_by: created_by.into(),
            comment: comment.into(),
        });
        id
    }

    /// Ends a silence now.
    pub fn expire_silence(&mut self, id: u64, now_ms: i64) {
        for s in self.silences.iter_mut().filter(|s| s.id == id) {
            s.ends_at_ms = s.ends_at_ms.min(now_ms);
        }
    }

    /// Alerts in the groups right now (for the silence preview).
    pub fn alerts(&self) -> impl Iterator<Item = &AmAlert> {
        let mut seen = BTreeSet::new();
        self.groups
            .iter()
            .flat_map(|g| g.alerts.values())
            .filter(move |a| seen.insert(a.fingerprint()))
    }
}

fn group_key(g: &AggrGroup) -> String {
    let labels: Vec<String> = g
        .group_labels
        .iter()
        .map(|l| format!("{}={:?}", l.name, l.value))
        .collect();
    format!("{}:{{{}}}", g.route_key, labels.join(", "))
}

fn rfc3339(ms: Option<i64>) -> String {
    match ms {
        Some(ms) => o11y_model::time::format_rfc3339_nanos(ms * 1_000_000),
        None => "0001-01-01T00:00:00Z".to_string(),
    }
}

fn kv(pairs: impl Iterator<Item = (String, String)>) -> serde_json::Value {
    serde_json::Value::Object(
        pairs
            .map(|(k, v)| (k, serde_json::Value::String(v)))
            .collect(),
    )
}

/// The webhook body, as Alertmanager's webhook notifier builds it.
fn webhook_payload(
    g: &AggrGroup,
    alerts: &[AmAlert],
    status: &str,
    at: i64,
    external_url: &str,
) -> String {
    let common = |get: &dyn Fn(&AmAlert) -> Vec<(String, String)>| -> Vec<(String, String)> {
        let Some(first) = alerts.first() else {
            return Vec::new();
        };
        get(first)
            .into_iter()
            .filter(|(k, v)| {
                alerts
                    .iter()
                    .all(|a| get(a).iter().any(|(k2, v2)| k2 == k && v2 == v))
            })
            .collect()
    };
    let labels_of = |a: &AmAlert| {
        a.labels
            .iter()
            .map(|l| (l.name.clone(), l.value.clone()))
            .collect::<Vec<_>>()
    };
    let annotations_of = |a: &AmAlert| a.annotations.clone();
    let body = serde_json::json!({
        "receiver": g.receiver,
        "status": status,
        "alerts": alerts.iter().map(|a| serde_json::json!({
            "status": if a.resolved(at) { "resolved" } else { "firing" },
            "labels": kv(labels_of(a).into_iter()),
            "annotations": kv(a.annotations.iter().cloned()),
            "startsAt": rfc3339(Some(a.starts_at_ms)),
            "endsAt": rfc3339(a.ends_at_ms),
            "generatorURL": a.generator_url,
            "fingerprint": format!("{:016x}", a.fingerprint()),
        })).collect::<Vec<_>>(),
        "groupLabels": kv(g.group_labels.iter().map(|l| (l.name.clone(), l.value.clone()))),
        "commonLabels": kv(common(&labels_of).into_iter()),
        "commonAnnotations": kv(common(&annotations_of).into_iter()),
        "externalURL": external_url,
        "version": "4",
        "groupKey": group_key(g),
        "truncatedAlerts": 0,
    });
    serde_json::to_string_pretty(&body).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alert(name: &str, service: &str, severity: &str, start: i64) -> AmAlert {
        AmAlert {
            labels: Labels::new([
                ("alertname", name),
                ("service", service),
                ("severity", severity),
            ]),
            annotations: vec![("summary".into(), format!("{name} on {service}"))],
            starts_at_ms: start,
            ends_at_ms: None,
            generator_url: String::new(),
        }
    }

    #[test]
    fn routing_with_continue_and_inheritance() {
        let c = AmConfig::parse(DEFAULT_CONFIG).unwrap();
        let page = Labels::new([("alertname", "X"), ("severity", "page")]);
        let routes: Vec<&str> = c
            .route
            .matching(&page)
            .iter()
            .map(|r| r.receiver.as_str())
            .collect();
        assert_eq!(
            routes,
            ["on-call"],
            "continue on the last child: no more children, no root"
        );
        let ticket = Labels::new([("alertname", "X"), ("severity", "ticket")]);
        assert_eq!(c.route.matching(&ticket)[0].receiver, "team-feed");
        assert_eq!(c.route.routes[0].group_interval_ms, 300_000, "inherited");
        assert_eq!(c.route.routes[0].group_wait_ms, 10_000);
        assert_eq!(c.route.routes[0].key, "{}/{severity=\"page\"}");
    }

    #[test]
    fn group_wait_interval_repeat_and_resolve() {
        let mut c = AmConfig::parse(DEFAULT_CONFIG).unwrap();
        c.route.routes.clear();
        c.inhibit_rules.clear();
        c.route.repeat_interval_ms = 3_600_000;
        let mut am = Alertmanager::new(c);
        let a = alert("HighErrorRate", "web", "ticket", 0);
        am.receive(std::slice::from_ref(&a), 0);
        am.advance_to(29_000);
        assert!(am.notifications.is_empty(), "group_wait");
        am.advance_to(30_000);
        assert_eq!(am.notifications.len(), 1);
        // A second alert of the same group waits for the group interval.
        let b = alert("HighErrorRate", "web", "page", 40_000);
        am.receive(&[a.clone(), b.clone()], 40_000);
        am.advance_to(329_000);
        assert_eq!(am.notifications.len(), 1);
        am.advance_to(330_000);
        assert_eq!(am.notifications.len(), 2);
        assert_eq!(am.notifications[1].alerts.len(), 2);
        // Nothing changes: nothing until the repeat interval.
        am.receive(&[a.clone(), b.clone()], 600_000);
        am.advance_to(3_929_999);
        assert_eq!(am.notifications.len(), 2);
        // Flushes fall every group_interval (30 s + 5 m × k): an hour after 330 s is one.
        am.advance_to(3_930_000);
        assert_eq!(am.notifications.len(), 3, "repeated after an hour");
        // Both resolve: one resolved notification, then the group is gone.
        let (mut ra, mut rb) = (a, b);
        ra.ends_at_ms = Some(4_000_000);
        rb.ends_at_ms = Some(4_000_000);
        am.receive(&[ra, rb], 4_000_000);
        am.advance_to(4_230_000);
        let last = am.notifications.back().unwrap();
        assert_eq!(last.status, "resolved");
        let payload: serde_json::Value = serde_json::from_str(&last.payload).unwrap();
        assert_eq!(payload["version"], "4");
        assert_eq!(payload["status"], "resolved");
        assert_eq!(payload["groupLabels"]["alertname"], "HighErrorRate");
        assert_eq!(payload["commonLabels"]["service"], "web");
        assert_eq!(payload["alerts"][0]["endsAt"], "1970-01-01T01:06:40Z");
        am.advance_to(5_000_000);
        assert_eq!(am.notifications.len(), 4);
        assert_eq!(am.alerts().count(), 0);
    }

    #[test]
    fn inhibition_and_silences() {
        let mut am = Alertmanager::new(AmConfig::parse(DEFAULT_CONFIG).unwrap());
        let page = alert("Down", "web", "page", 0);
        let ticket = alert("Slow", "web", "ticket", 0);
        let other = alert("Slow", "db", "ticket", 0);
        am.receive(&[page.clone(), ticket.clone(), other.clone()], 0);
        assert!(am.inhibited(&ticket.labels, 0));
        assert!(!am.inhibited(&other.labels, 0), "equal: service differs");
        assert!(!am.inhibited(&page.labels, 0));
        let id = am.add_silence(
            vec![parse_matcher("service=db").unwrap()],
            0,
            600_000,
            "me",
            "maintenance",
        );
        assert_eq!(am.silenced(&other.labels, 10), Some(id));
        am.advance_to(60_000);
        let sent: Vec<String> = am
            .notifications
            .iter()
            .flat_map(|n| {
                n.alerts.iter().map(|a| {
                    a.labels.get("alertname").unwrap_or("").to_string()
                        + "/"
                        + a.labels.get("service").unwrap_or("")
                })
            })
            .collect();
        assert_eq!(sent, ["Down/web"], "ticket inhibited, db silenced");
        am.expire_silence(id, 100_000);
        assert_eq!(am.silenced(&other.labels, 100_000), None);
        // Prometheus's empty label set signature is FNV-1a's offset basis;
        // label order does not matter.
        assert_eq!(fingerprint(&Labels::default()), 14695981039346656037);
        let ab = Labels::new([("a", "1"), ("b", "2")]);
        assert_eq!(
            fingerprint(&ab),
            fingerprint(&Labels::new([("b", "2"), ("a", "1")]))
        );
        assert_ne!(fingerprint(&ab), fingerprint(&Labels::new([("a", "12")])));
    }

    #[test]
    fn bad_configs_say_where() {
        let e = AmConfig::parse("route:\n  receiver: nope\nreceivers: [{name: a}]\n").unwrap_err();
        assert_eq!(
            e.to_string(),
            "2:13: undefined receiver \"nope\" used in route"
        );
        let e = AmConfig::parse("route:\n  receiver: a\n  routes:\n    - matchers: ['x=~\"(\"']\nreceivers: [{name: a}]\n").unwrap_err();
        assert!(e.message.contains("error parsing regexp"), "{e}");
        let e =
            AmConfig::parse("route:\n  receiver: a\n  group_wait: soon\nreceivers: [{name: a}]\n")
                .unwrap_err();
        assert_eq!((e.line, e.col), (3, 15));
        assert!(AmConfig::parse("rout: {}\n").is_err());
        for junk in [
            "route: 1",
            "receivers: 2\nroute: {receiver: x}",
            "inhibit_rules: [1]\nroute: {receiver: a}\nreceivers: [{name: a}]",
        ] {
            let _ = AmConfig::parse(junk);
        }
    }

    fn errors(text: &str) -> Vec<String> {
        AmConfig::check(text)
            .unwrap_err()
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    #[test]
    fn wrong_types_are_errors_naming_field_expected_and_found() {
        // Every wrong type at once, in the order of the text, as
        // Alertmanager's YAML decoder collects them.
        let text = "\
route:
  receiver: [a]
  group_wait: [1]
  continue: maybe
  routes:
    - matchers: {severity: page}
receivers:
  - name: a
    webhook_configs:
      - url: {host: x}
        send_resolved: 'true'
        max_alerts: -1
inhibit_rules:
  - source_match: {severity: [a]}
    equal: service
    target_matchers: ['a=b']
    source: x
";
        assert_eq!(
            errors(text),
            [
                "2:13: route.receiver: expected a string, found a list",
                "3:15: route.group_wait: expected a duration such as 5m, found a list",
                "4:13: route.continue: expected a boolean (true or false), found \"maybe\"",
                "6:17: route.routes[0].matchers: expected a list of strings, found a mapping",
                "10:14: receivers[0].webhook_configs[0].url: expected a string, found a mapping",
                "11:24: receivers[0].webhook_configs[0].send_resolved: expected a boolean (true or false), found the quoted string \"true\"",
                "12:21: receivers[0].webhook_configs[0].max_alerts: expected an unsigned integer, found \"-1\"",
                "14:30: inhibit_rules[0].source_match.severity: expected a string, found a list",
                "15:12: inhibit_rules[0].equal: expected a list of strings, found \"service\"",
                "17:5: field source not found in type common.plain",
            ]
        );
        // Where the receiver's name should be, a mapping; a bad duration;
        // the wrong kind at the top.
        assert_eq!(
            errors("route: {receiver: a, repeat_interval: 5}\nreceivers:\n  - name: {a: 1}\n"),
            [
                "1:39: route.repeat_interval: not a valid duration string: \"5\"",
                "3:11: receivers[0].name: expected a string, found a mapping",
            ]
        );
        assert_eq!(
            errors("- route\n"),
            ["1:1: the document: expected a mapping, found a list"]
        );
        assert_eq!(
            errors(
                "route: {receiver: a, group_by: {a: b}}\nreceivers: [{name: a}]\nglobal: {resolve_timeout: [5m], smtp_require_tls: 1}\n"
            ),
            [
                "1:32: route.group_by: expected a list of strings, found a mapping",
                "3:27: global.resolve_timeout: expected a duration such as 5m, found a list",
                "3:51: global.smtp_require_tls: expected a boolean (true or false), found \"1\"",
            ]
        );
    }

    #[test]
    fn scalars_go_into_string_fields_as_yaml_v2_decodes_them() {
        // A number is its text; `yes` is a boolean; null is the zero value.
        let c = AmConfig::parse(
            "route:\n  receiver: 5\n  group_by: [alertname, 5]\n  routes:\n    - {match: {code: 500}, continue: yes, receiver: ~}\nreceivers: [{name: 5, webhook_configs: [{url: 'http://x/', timeout: 10s, max_alerts: 0x10}]}]\ninhibit_rules: [{target_match: {a: ~}, equal: [5]}]\n",
        )
        .unwrap();
        assert_eq!(c.receivers, ["5"]);
        assert_eq!(c.route.group_by, Some(vec!["alertname".into(), "5".into()]));
        let child = &c.route.routes[0];
        assert!(child.continue_);
        assert_eq!(child.receiver, "5", "null inherits");
        assert_eq!(child.key, "{}/{code=\"500\"}");
        assert_eq!(c.inhibit_rules[0].equal, ["5"]);
        assert_eq!(c.inhibit_rules[0].target[0].value, "");
        let sorted = AmConfig::parse(
            "route:\n  receiver: a\n  routes: [{matchers: ['z=1', 'a=~2'], match: {m: x}}]\nreceivers: [{name: a}]\n",
        )
        .unwrap();
        assert_eq!(
            sorted.route.routes[0].key, "{}/{a=~\"2\",m=\"x\",z=\"1\"}",
            "matchers sorted as Alertmanager sorts them"
        );
    }

    #[test]
    fn every_check_of_alertmanager_is_reported_at_once() {
        let text = "\
route:
  receiver: a
  continue: true
  group_by: [a, b, a, '...']
  routes:
    - receiver: nope
      group_interval: 0s
      mute_time_intervals: [weekends]
    - receiver: nobody
      match_re: {x: '('}
receivers:
  - name: a
    webhook_configs:
      - url: ftp://x
      - {}
  - name: a
  - webhook_configs: []
inhibit_rules:
  - {equal: [''], source_match: {1a: x}}
";
        assert_eq!(
            errors(text),
            [
                "3:13: cannot have continue in root route",
                "4:13: cannot have wildcard group_by (`...`) and other labels at the same time",
                "4:20: duplicated label \"a\" in group_by",
                "6:17: undefined receiver \"nope\" used in route",
                "7:23: group_interval cannot be zero",
                "8:29: undefined time interval \"weekends\" used in route",
                "9:17: undefined receiver \"nobody\" used in route",
                "10:21: invalid regular expression \"(\": error parsing regexp: missing closing ): `^(?:()$`",
                "14:14: invalid URL: unsupported scheme \"ftp\" for URL",
                "15:9: one of url or url_file must be configured",
                "16:11: notification config name \"a\" is not unique",
                "17:5: missing name in receiver",
                "19:14: invalid label name \"\" in equal list",
                "19:34: invalid label name \"1a\"",
            ]
        );
        // `parse` gives the first.
        assert_eq!(
            AmConfig::parse(text).unwrap_err().to_string(),
            "3:13: cannot have continue in root route"
        );
        // An empty value is reported at its key (Alertmanager's own test data).
        assert_eq!(
            errors(
                "route:\n  receiver: a\n  routes:\n    - match_re:\n        x:\n      receiver: a\nreceivers: [{name: a}]\n"
            ),
            ["5:9: invalid regexp value for \"x\""]
        );
    }

    #[test]
    fn resolved_notifications_follow_each_kind_s_default() {
        let c = AmConfig::parse(
            "route: {receiver: w}\nreceivers:\n  - {name: w, webhook_configs: [{url: 'http://x/'}]}\n  - {name: s, slack_configs: [{channel: '#x'}]}\n  - {name: e, email_configs: [{to: a@b, send_resolved: true}]}\n  - {name: off, webhook_configs: [{url: 'http://x/', send_resolved: ~}]}\n",
        )
        .unwrap();
        let got: Vec<(&str, bool)> = c
            .send_resolved
            .iter()
            .map(|(k, v)| (k.as_str(), *v))
            .collect();
        assert_eq!(
            got,
            [("e", true), ("off", false), ("s", false), ("w", true)]
        );
        assert_eq!(
            errors(
                "route: {receiver: s}\nreceivers: [{name: s, slack_configs: [{send_resolved: sometimes}]}]\n"
            ),
            [
                "2:55: receivers[0].slack_configs[0].send_resolved: expected a boolean (true or false), found \"sometimes\""
            ]
        );
    }

    /// `receivers: [{name: a}]` and `route: {receiver: a, …}` around `body`
    /// (more of the route), `extra` after.
    fn with_route(route: &str, extra: &str) -> String {
        format!("route:\n  receiver: a\n{route}receivers:\n  - name: a\n{extra}")
    }

    #[test]
    fn default_config_is_the_one_compared_with_amtool() {
        // scripts/test.sh checks this file with Debian's amtool.
        assert_eq!(
            include_str!("../../cli/testdata/check-config/ok-default.yml"),
            DEFAULT_CONFIG
        );
    }

    #[test]
    fn matcher_with_an_unclosed_quote_is_refused() {
        // The value was taken as the text `"page`; Alertmanager refuses it.
        let text = with_route("  routes:\n    - matchers: ['severity=\"page']\n", "");
        assert_eq!(
            errors(&text),
            ["4:18: matcher value contains unescaped double quote: \"page"]
        );
        assert!(parse_matcher("a=\"x").is_err());
        assert!(parse_matcher("{a=\"x\"}").is_err(), "braces hold several");
    }

    #[test]
    fn a_matchers_entry_may_hold_several_matchers_or_none() {
        // `'a="1", b=~"x|y"'` is two matchers (it was one, `a` equal to
        // `1", b=~"x|y`); `''` is none, even on the root route.
        let c = AmConfig::parse(&with_route(
            "  matchers: ['']\n  routes:\n    - matchers: ['{a=\"1\", b=~\"x|y\"}', 'c!=3,']\n",
            "",
        ))
        .unwrap();
        let got: Vec<String> = c.route.routes[0]
            .matchers
            .iter()
            .map(matcher_text)
            .collect();
        assert_eq!(got, ["a=\"1\"", "b=~\"x|y\"", "c!=\"3\""]);
        assert!(c.route.matchers.is_empty());
        let m = parse_matchers(r#"msg="a, \"b\"", path=~/api/.*"#).unwrap();
        assert_eq!(
            (m[0].value.as_str(), m[1].value.as_str()),
            (r#"a, "b""#, "/api/.*")
        );
        // Either of Alertmanager's parsers will do: a UTF-8 name in quotes…
        assert_eq!(
            parse_matchers(r#""service name"="web""#).unwrap()[0].name,
            "service name"
        );
        // …and neither takes these.
        for bad in ["a=1,,b=2", "=x", "a", "a=\"1", "{a=\"1\"}}", "a~b"] {
            assert!(parse_matchers(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn regex_matchers_are_go_regexes() {
        // `\Q…\E`, a `{` that starts no repetition, octal escapes: Go takes
        // them, the regex crate did not; a repetition over 1000 the reverse.
        let m = parse_matcher(r#"path=~"\Q/v1.0\E.*""#).unwrap();
        assert_eq!(m.value, r"\Q/v1.0\E.*", "shown as written");
        assert!(m.matches_value("/v1.0/x") && !m.matches_value("/v1x0/x"));
        assert!(
            parse_matcher(r#"code=~"5{,2}""#)
                .unwrap()
                .matches_value("5{,2}")
        );
        assert!(parse_matcher(r#"x=~"\101""#).unwrap().matches_value("A"));
        // Go anchors with `^(?:…)$`, so this is a valid alternation.
        assert!(parse_matcher(r#"x=~"a)|(b""#).unwrap().matches_value("b"));
        let e = parse_matcher(r#"x=~"[0-9]{1001}""#).unwrap_err();
        assert!(e.contains("invalid repeat count"), "{e}");
        let text = with_route("  routes:\n    - match_re: {x: 'a**'}\n", "");
        assert!(errors(&text)[0].contains("invalid nested repetition operator"));
    }

    #[test]
    fn time_interval_ranges_are_checked_as_alertmanager_parses_them() {
        // Every range was taken as text; Alertmanager parses each.
        let intervals = "time_intervals:\n  - name: t\n    time_intervals:\n      - weekdays: [funday, 'friday:monday', 'Monday:FRIDAY']\n        times:\n          - {start_time: '25:00', end_time: '26:00'}\n          - {start_time: '18:00', end_time: '09:00'}\n          - {start_time: '09:00'}\n          - {start_time: '00:00', end_time: '24:00'}\n        days_of_month: ['0', '-1:5', '-3:-1', '10:2']\n        months: ['march:january', 13, smarch]\n        years: ['2030:2020', '2024']\n        location: '../etc/passwd'\n";
        assert_eq!(
            errors(&with_route("", intervals)),
            [
                "8:20: funday is not a valid weekday",
                "8:28: start day cannot be before end day",
                "10:13: couldn't parse timestamp 25:00, invalid format",
                "11:13: start time cannot be equal or greater than end time",
                "12:13: both start and end times must be provided",
                "14:25: 0 is not a valid day of the month: out of range",
                "14:30: end day must be negative if start day is negative",
                "14:47: end day 2 is always before start day 10",
                "15:18: end month january is before start month march",
                "15:39: smarch is not a valid month",
                "16:17: end year 2020 is before start year 2030",
                "17:19: unknown time zone ../etc/passwd",
            ]
        );
    }

    #[test]
    fn http_config_is_checked_as_prometheus_common_does() {
        // Two ways to authenticate at once, an unknown TLS version, a
        // client certificate without its key: all were accepted.
        let webhook = |http: &str| {
            with_route(
                "",
                &format!(
                    "    webhook_configs:\n      - url: http://127.0.0.1/\n        http_config: {http}\n"
                ),
            )
        };
        for (http, want) in [
            (
                "{basic_auth: {username: u}, bearer_token: t}",
                "at most one of basic_auth, oauth2, bearer_token & bearer_token_file must be configured",
            ),
            (
                "{tls_config: {min_version: TLS14}}",
                "unknown TLS version: TLS14",
            ),
            (
                "{tls_config: {cert: c}}",
                "exactly one of key or key_file must be configured when a client certificate is configured",
            ),
            (
                "{authorization: {type: basic, credentials: x}}",
                "authorization type cannot be set to \"basic\", use \"basic_auth\" instead",
            ),
            (
                "{oauth2: {token_url: 'http://x/'}}",
                "oauth2 client_id must be configured",
            ),
            (
                "{no_proxy: localhost}",
                "if no_proxy is configured, proxy_url must also be configured",
            ),
        ] {
            let got = errors(&webhook(http));
            assert!(got.len() == 1 && got[0].ends_with(want), "{http}: {got:?}");
        }
        assert!(
            AmConfig::parse(&webhook(
                "{basic_auth: {username: u, password: p}, tls_config: {cert: c, key: k}}"
            ))
            .is_ok()
        );
        let global = "global:\n  http_config: {bearer_token: a, bearer_token_file: b}\n";
        assert_eq!(
            errors(&format!("{global}{}", with_route("", ""))),
            ["2:16: at most one of bearer_token & bearer_token_file must be configured"]
        );
    }

    #[test]
    fn smtp_smarthost_needs_a_port() {
        // A host without a port was accepted; Alertmanager splits it as Go's
        // net.SplitHostPort does.
        for (host, want) in [
            ("smtp.example.com", Some("missing port in address")),
            ("'smtp.example.com:'", Some("port cannot be empty")),
            ("'a:b:25'", Some("too many colons in address")),
            ("'[::1]:25'", None),
            ("smtp.example.com:587", None),
            ("''", None),
        ] {
            let text = format!("global:\n  smtp_smarthost: {host}\n{}", with_route("", ""));
            match (AmConfig::check(&text), want) {
                (Ok(_), None) => {}
                (Err(e), Some(want)) => assert!(e[0].message.ends_with(want), "{host}: {e:?}"),
                (got, _) => panic!("{host}: {got:?}"),
            }
        }
    }

    #[test]
    fn webhook_url_host_is_checked_as_go_parses_it() {
        // A space in the host or a port that is no number was accepted.
        for (url, ok) in [
            ("'http://hooks example.com/'", false),
            ("'http://127.0.0.1:port/'", false),
            ("'http://ex{ample}.com/'", false),
            ("'http://us er@example.com/'", false),
            ("'http://user:p%40ss@example.com:8080/a b?q=1#f'", true),
            ("'http://[::1]:9093/'", true),
            ("'https://bücher.example/'", true),
        ] {
            let text = with_route("", &format!("    webhook_configs: [{{url: {url}}}]\n"));
            assert_eq!(AmConfig::check(&text).is_ok(), ok, "{url}");
        }
    }
}
