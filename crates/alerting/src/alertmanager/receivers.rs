//! Alertmanager's checks of receiver settings the playground does not
//! use but `amtool check-config` refuses: webhook URLs as Go parses them,
//! the SMTP smarthost's `host:port`, and prometheus/common's checks of an
//! `http_config`.

use o11y_model::yaml::Node;
use o11y_model::yaml::typed;

use super::{ConfigError, err};

/// Alertmanager's checks of a webhook config (types already checked).
pub(super) fn check_webhook(c: &Node, errors: &mut Vec<ConfigError>) {
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
pub(super) fn check_http_config(node: &Node, errors: &mut Vec<ConfigError>) {
    let http = node.get("http_config").filter(|h| !h.is_null());
    if let Some(p) = http.and_then(typed::http_client_config_problem) {
        errors.push(p);
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
pub(super) fn check_host_port(text: &str) -> Result<(), String> {
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

#[cfg(test)]
mod tests {
    use crate::alertmanager::AmConfig;
    use crate::alertmanager::fixtures::{errors, with_route};

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
