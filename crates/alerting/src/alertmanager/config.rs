//! Alertmanager's configuration: [`AmConfig`] as loaded from YAML, the
//! checks `amtool check-config` runs once every field has its Go type
//! (receivers, time intervals, the routing tree, inhibit rules), and the
//! playground's [`DEFAULT_CONFIG`].

use std::collections::BTreeMap;

use o11y_model::labels::{Labels, Matcher};
use o11y_model::yaml::Node;
use o11y_model::yaml::typed::{self, Ty};

use super::receivers::{check_host_port, check_http_config, check_webhook};
use super::routing::{Checker, Route};
use super::schema::{CONFIG, RECEIVER_KINDS};
use super::time_intervals::check_time_spec;
use super::{ConfigError, err};

#[derive(Clone, Debug)]
pub struct InhibitRule {
    pub source: Vec<Matcher>,
    pub target: Vec<Matcher>,
    pub equal: Vec<String>,
}

impl InhibitRule {
    /// Whether a firing alert `source` mutes the alert `target` under this
    /// rule (an alert never mutes itself).
    pub fn mutes(&self, target: &Labels, source: &Labels) -> bool {
        source != target
            && self.target.iter().all(|m| m.matches(target))
            && self.source.iter().all(|m| m.matches(source))
            && self.equal.iter().all(|e| source.get(e) == target.get(e))
    }
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

impl AmConfig {
    /// Parses an Alertmanager configuration; the first problem (in the
    /// order of the text) if there are any.
    pub fn parse(text: &str) -> Result<AmConfig, ConfigError> {
        AmConfig::check(text).map_err(|errors| {
            errors
                .into_iter()
                .next()
                .unwrap_or(ConfigError::at_line(1, 1, "invalid configuration"))
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
                vec![ConfigError::at_line(
                    e.line,
                    e.col,
                    format!("yaml: {}", e.message),
                )]
            })?
            .ok_or_else(|| vec![ConfigError::at_line(1, 1, "the configuration is empty")])?;
        let mut problems = Vec::new();
        typed::check(&doc, Ty::Struct(&CONFIG), "", &mut problems);
        if !problems.is_empty() {
            return Err(problems);
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
            o11y_model::sort::sort_by_key(&mut errors[..], |e| (e.line, e.col));
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alertmanager::fixtures::errors;

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

    #[test]
    fn default_config_is_the_one_compared_with_amtool() {
        // scripts/test.sh checks this file with Debian's amtool.
        assert_eq!(
            include_str!("../../../cli/testdata/check-config/ok-default.yml"),
            DEFAULT_CONFIG
        );
    }
}
