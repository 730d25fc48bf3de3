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
//! use o11y_engine::alertmanager::AmConfig;
//!
//! let errors = AmConfig::check("route:\n  receiver: [a]\nreceivers: [{name: a}]\n").unwrap_err();
//! assert_eq!(errors[0].to_string(), "2:13: route.receiver: expected a string, found a list");
//! ```

use std::collections::{BTreeMap, BTreeSet};

use crate::labels::{Labels, MatchOp, Matcher};
use crate::yaml::typed::{self, Struct, Ty};
use crate::yaml::Node;

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
/// `name=~"re"`, `name!=value` (quotes optional).
pub fn parse_matcher(text: &str) -> Result<Matcher, String> {
    let t = text.trim();
    let ops = [
        ("=~", MatchOp::Regex),
        ("!~", MatchOp::NotRegex),
        ("!=", MatchOp::NotEqual),
        ("=", MatchOp::Equal),
    ];
    let (at, len, op) = ops
        .iter()
        .filter_map(|(s, op)| t.find(s).map(|i| (i, s.len(), *op)))
        .min_by_key(|(i, len, _)| (*i, std::cmp::Reverse(*len)))
        .ok_or_else(|| format!("bad matcher format: {t}"))?;
    let name = t[..at].trim().trim_matches('"');
    if name.is_empty() {
        return Err(format!("bad matcher format: {t}"));
    }
    let raw = t[at + len..].trim();
    let value = if raw.len() >= 2 && raw.starts_with('"') && raw.ends_with('"') {
        serde_json::from_str::<String>(raw)
            .map_err(|_| format!("bad quoted value in matcher: {t}"))?
    } else {
        raw.to_string()
    };
    Matcher::new(op, name, &value).map_err(|e| format!("invalid regular expression in {t}: {e}"))
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
        ("http_config", Ty::Struct(&HTTP_CONFIG)),
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
        ("smtp_tls_config", Ty::Struct(&TLS_CONFIG)),
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
        ("http_config", Ty::Struct(&HTTP_CONFIG)),
        ("url", Ty::Str),
        ("url_file", Ty::Str),
        ("max_alerts", Ty::Uint),
        ("timeout", Ty::GoDuration),
        ("payload", Ty::Any),
    ],
};

/// prometheus/common's `HTTPClientConfig`.
static HTTP_CONFIG: Struct = Struct {
    name: "config.plain",
    strict: true,
    fields: &[
        ("basic_auth", Ty::Struct(&BASIC_AUTH)),
        ("authorization", Ty::Struct(&AUTHORIZATION)),
        ("oauth2", Ty::Struct(&OAUTH2)),
        ("bearer_token", Ty::Str),
        ("bearer_token_file", Ty::Str),
        ("tls_config", Ty::Struct(&TLS_CONFIG)),
        ("follow_redirects", Ty::Bool),
        ("enable_http2", Ty::Bool),
        ("proxy_url", Ty::Str),
        ("no_proxy", Ty::Str),
        ("proxy_from_environment", Ty::Bool),
        ("proxy_connect_header", Ty::Map(&STRINGS)),
        ("http_headers", Ty::Map(&Ty::Struct(&HEADER))),
    ],
};

static BASIC_AUTH: Struct = Struct {
    name: "config.plain",
    strict: true,
    fields: &[
        ("username", Ty::Str),
        ("username_file", Ty::Str),
        ("username_ref", Ty::Str),
        ("password", Ty::Str),
        ("password_file", Ty::Str),
        ("password_ref", Ty::Str),
    ],
};

static AUTHORIZATION: Struct = Struct {
    name: "config.Authorization",
    strict: true,
    fields: &[
        ("type", Ty::Str),
        ("credentials", Ty::Str),
        ("credentials_file", Ty::Str),
        ("credentials_ref", Ty::Str),
    ],
};

static OAUTH2: Struct = Struct {
    name: "config.plain",
    strict: true,
    fields: &[
        ("client_id", Ty::Str),
        ("client_secret", Ty::Str),
        ("client_secret_file", Ty::Str),
        ("client_secret_ref", Ty::Str),
        ("client_certificate_key_id", Ty::Str),
        ("client_certificate_key", Ty::Str),
        ("client_certificate_key_file", Ty::Str),
        ("client_certificate_key_ref", Ty::Str),
        ("grant_type", Ty::Str),
        ("signature_algorithm", Ty::Str),
        ("iss", Ty::Str),
        ("audience", Ty::Str),
        ("claims", Ty::Map(&Ty::Any)),
        ("scopes", STRINGS),
        ("token_url", Ty::Str),
        ("endpoint_params", STRING_MAP),
        ("tls_config", Ty::Struct(&TLS_CONFIG)),
        ("proxy_url", Ty::Str),
        ("no_proxy", Ty::Str),
        ("proxy_from_environment", Ty::Bool),
        ("proxy_connect_header", Ty::Map(&STRINGS)),
    ],
};

static TLS_CONFIG: Struct = Struct {
    name: "config.plain",
    strict: true,
    fields: &[
        ("ca", Ty::Str),
        ("cert", Ty::Str),
        ("key", Ty::Str),
        ("ca_file", Ty::Str),
        ("cert_file", Ty::Str),
        ("key_file", Ty::Str),
        ("ca_ref", Ty::Str),
        ("cert_ref", Ty::Str),
        ("key_ref", Ty::Str),
        ("server_name", Ty::Str),
        ("insecure_skip_verify", Ty::Bool),
        ("min_version", Ty::Str),
        ("max_version", Ty::Str),
    ],
};

static HEADER: Struct = Struct {
    name: "config.Header",
    strict: true,
    fields: &[
        ("values", STRINGS),
        ("secrets", STRINGS),
        ("files", STRINGS),
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
    crate::metrics::is_valid_label_name(name)
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
            match Matcher::new(MatchOp::Regex, &n, &v) {
                Ok(m) => out.push(m),
                Err(e) => self.at(value, format!("invalid regular expression {v:?}: {e}")),
            }
        }
        for m in field("matchers").map(Node::items).unwrap_or_default() {
            match parse_matcher(&typed::string(m)) {
                Ok(matcher) => out.push(matcher),
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
        let written =
            |k: &str| get(k).is_some_and(|m| !m.entries().is_empty() || !m.items().is_empty());
        if root && ["match", "match_re", "matchers"].into_iter().any(written) {
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
                let ms = crate::duration::parse_duration(&typed::string(n)).unwrap_or(inherited);
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
    let host = rest
        .strip_prefix("//")
        .map(|r| r.split(['/', '?', '#']).next().unwrap_or_default())
        .map(|authority| authority.rsplit('@').next().unwrap_or_default())
        .unwrap_or_default();
    if host.is_empty() {
        return Err("invalid URL: missing host for URL".into());
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
        let doc = crate::yaml::parse(text)
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
        Some(ms) => crate::logql::ingest::format_rfc3339_nanos(ms * 1_000_000),
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
        assert!(e.message.contains("invalid regular expression"), "{e}");
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
                "10:21: invalid regular expression \"(\": regex parse error:\n    ^(?s:()$\n     ^\nerror: unclosed group",
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
}
