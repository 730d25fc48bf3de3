//! The typed table of Alertmanager's `config.Config`: every field of the
//! configuration, its receivers and its time intervals with the Go type
//! it decodes into, for the type check every configuration goes through
//! before Alertmanager's own checks.

use o11y_model::yaml::typed::{self, Struct, Ty};

/// Alertmanager's `config.Config`, field by field with its Go types, for
/// the type check every configuration goes through first. Receivers other
/// than webhooks are not simulated: their configs are checked as mappings
/// with a boolean `send_resolved`, other fields unread.
pub(super) static CONFIG: Struct = Struct {
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
pub(super) const RECEIVER_KINDS: [(&str, bool); 18] = [
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
