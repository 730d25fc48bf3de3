//! Configuration YAML checked against the Go types Prometheus and
//! Alertmanager decode it into (gopkg.in/yaml.v2, `UnmarshalStrict`), so
//! that a wrong type is an error at its place instead of an empty value.
//!
//! As yaml.v2 does: any scalar goes into a string field (`5` is `"5"`,
//! `true` is `"true"`); only plain `true`/`false` (and YAML 1.1's
//! `yes`/`no`/`on`/`off`/`y`/`n`) into a boolean; integers (and floats,
//! truncated) into an unsigned integer; null into anything as its zero
//! value; a sequence or mapping never into a scalar field, nor a scalar
//! into a list or mapping. Unknown fields of a strict struct are refused.
//! Unlike yaml.v2, which stops at the first error that is not a type
//! error, every problem is collected.
//!
//! prometheus/common's `HTTPClientConfig`, which Alertmanager and scrape
//! configs share, is here too, with the checks it makes once decoded
//! (`http_client_config_problem`).

use crate::yaml::{Node, Value};

/// A field's type.
#[derive(Clone, Copy, Debug)]
pub enum Ty {
    /// Any scalar, as its text.
    Str,
    Bool,
    /// `uint64`.
    Uint,
    /// Prometheus's `model.Duration` (`1h30m`).
    Duration,
    /// Go's `time.Duration`: an integer (nanoseconds) or `1m30s`.
    GoDuration,
    List(&'static Ty),
    /// `map[string]T`.
    Map(&'static Ty),
    Struct(&'static Struct),
    /// Anything (a field that is kept but not read, such as `payload`).
    Any,
}

/// A Go struct's YAML fields.
#[derive(Debug)]
pub struct Struct {
    /// Go's name for it, as in "field x not found in type config.plain".
    pub name: &'static str,
    pub fields: &'static [(&'static str, Ty)],
    /// Whether fields not listed are refused (else they pass unchecked).
    pub strict: bool,
}

/// A problem at a 1-based line and column.
pub type Problem = crate::diag::Diagnostic;

impl Ty {
    fn expected(self) -> &'static str {
        match self {
            Ty::Str => "a string",
            Ty::Bool => "a boolean (true or false)",
            Ty::Uint => "an unsigned integer",
            Ty::Duration | Ty::GoDuration => "a duration such as 5m",
            Ty::List(Ty::Str) => "a list of strings",
            Ty::List(_) => "a list",
            Ty::Map(Ty::Str) => "a mapping of strings",
            Ty::Map(_) | Ty::Struct(_) => "a mapping",
            Ty::Any => "anything",
        }
    }
}

/// What a node is, for "expected …, found …".
fn found(node: &Node) -> String {
    match &node.value {
        Value::Seq(_) => "a list".into(),
        Value::Map(_) => "a mapping".into(),
        Value::Scalar { text, plain } => {
            let mut shown: String = text.chars().take(40).collect();
            if shown.len() < text.len() {
                shown.push('…');
            }
            if *plain {
                format!("{shown:?}")
            } else {
                format!("the quoted string {shown:?}")
            }
        }
    }
}

fn problem(node: &Node, message: String) -> Problem {
    let (line, col) = start(node);
    Problem::at_line(line, col, message)
}

/// Where a node starts. A block mapping's own mark is where its first
/// key ends (the parser knows it is a mapping only at the `:`), so its
/// first key is its start.
pub fn start(node: &Node) -> (usize, usize) {
    let own = (node.line, node.col);
    node.entries()
        .first()
        .map_or(own, |(k, _)| own.min((k.line, k.col)))
}

/// `path.name`, or `name` at the top.
pub fn field_path(path: &str, name: &str) -> String {
    if path.is_empty() {
        name.to_string()
    } else {
        format!("{path}.{name}")
    }
}

/// Checks `node` against `ty`; problems go into `out`, in the order of
/// the text. `path` names the node in messages (`route.receiver`).
pub fn check(node: &Node, ty: Ty, path: &str, out: &mut Vec<Problem>) {
    if node.is_null() {
        return;
    }
    let what = if path.is_empty() {
        "the document"
    } else {
        path
    };
    let wrong = |out: &mut Vec<Problem>| {
        out.push(problem(
            node,
            format!("{what}: expected {}, found {}", ty.expected(), found(node)),
        ));
    };
    let scalar = node.as_str();
    match ty {
        Ty::Any => {}
        Ty::Str => {
            if scalar.is_none() {
                wrong(out);
            }
        }
        Ty::Bool => {
            if as_bool(node).is_none() {
                wrong(out);
            }
        }
        Ty::Uint => {
            if as_uint(node).is_none() {
                wrong(out);
            }
        }
        Ty::Duration => match scalar {
            None => wrong(out),
            Some(t) => {
                if crate::duration::parse_duration(t).is_err() {
                    out.push(problem(
                        node,
                        format!("{what}: not a valid duration string: {t:?}"),
                    ));
                }
            }
        },
        Ty::GoDuration => match scalar {
            None => wrong(out),
            Some(t) => {
                let plain = matches!(node.value, Value::Scalar { plain: true, .. });
                let number = plain && (go_int(t).is_some() || go_float(t).is_some());
                if !number && crate::duration::parse_go_duration(t).is_none() {
                    out.push(problem(
                        node,
                        format!("{what}: time: invalid duration {t:?}"),
                    ));
                }
            }
        },
        Ty::List(item) => match &node.value {
            Value::Seq(items) => {
                for (i, n) in items.iter().enumerate() {
                    check(n, *item, &format!("{path}[{i}]"), out);
                }
            }
            _ => wrong(out),
        },
        Ty::Map(value) => match &node.value {
            Value::Map(entries) => {
                for (k, v) in entries {
                    match k.as_str() {
                        Some(name) => check(v, *value, &field_path(path, name), out),
                        None => out.push(problem(
                            k,
                            format!("{what}: expected a string key, found {}", found(k)),
                        )),
                    }
                }
            }
            _ => wrong(out),
        },
        Ty::Struct(s) => match &node.value {
            Value::Map(entries) => {
                for (k, v) in entries {
                    let Some(name) = k.as_str() else {
                        out.push(problem(
                            k,
                            format!("{what}: expected a field name, found {}", found(k)),
                        ));
                        continue;
                    };
                    match s.fields.iter().find(|(f, _)| *f == name) {
                        Some((_, fty)) => check(v, *fty, &field_path(path, name), out),
                        None if s.strict => out.push(problem(
                            k,
                            format!("field {name} not found in type {}", s.name),
                        )),
                        None => {}
                    }
                }
            }
            _ => wrong(out),
        },
    }
}

const STRINGS: Ty = Ty::List(&Ty::Str);

/// The fields of prometheus/common's `HTTPClientConfig`, after `extra`:
/// Alertmanager nests it (`http_config`), a scrape config inlines it.
#[macro_export]
macro_rules! with_http_client_fields {
    ($($extra:expr),* $(,)?) => {
        &[
            $($extra,)*
            ("basic_auth", $crate::yaml::typed::Ty::Struct(&$crate::yaml::typed::BASIC_AUTH)),
            ("authorization", $crate::yaml::typed::Ty::Struct(&$crate::yaml::typed::AUTHORIZATION)),
            ("oauth2", $crate::yaml::typed::Ty::Struct(&$crate::yaml::typed::OAUTH2)),
            ("bearer_token", $crate::yaml::typed::Ty::Str),
            ("bearer_token_file", $crate::yaml::typed::Ty::Str),
            ("tls_config", $crate::yaml::typed::Ty::Struct(&$crate::yaml::typed::TLS_CONFIG)),
            ("follow_redirects", $crate::yaml::typed::Ty::Bool),
            ("enable_http2", $crate::yaml::typed::Ty::Bool),
            ("proxy_url", $crate::yaml::typed::Ty::Str),
            ("no_proxy", $crate::yaml::typed::Ty::Str),
            ("proxy_from_environment", $crate::yaml::typed::Ty::Bool),
            ("proxy_connect_header", $crate::yaml::typed::Ty::Map(&$crate::yaml::typed::Ty::List(&$crate::yaml::typed::Ty::Str))),
            ("http_headers", $crate::yaml::typed::Ty::Map(&$crate::yaml::typed::Ty::Struct(&$crate::yaml::typed::HEADER))),
        ]
    };
}
pub use crate::with_http_client_fields;

/// prometheus/common's `HTTPClientConfig` (Alertmanager's `http_config`).
pub static HTTP_CLIENT_CONFIG: Struct = Struct {
    name: "config.plain",
    strict: true,
    fields: with_http_client_fields![],
};

pub static BASIC_AUTH: Struct = Struct {
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

pub static AUTHORIZATION: Struct = Struct {
    name: "config.Authorization",
    strict: true,
    fields: &[
        ("type", Ty::Str),
        ("credentials", Ty::Str),
        ("credentials_file", Ty::Str),
        ("credentials_ref", Ty::Str),
    ],
};

pub static OAUTH2: Struct = Struct {
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
        ("endpoint_params", Ty::Map(&Ty::Str)),
        ("tls_config", Ty::Struct(&TLS_CONFIG)),
        ("proxy_url", Ty::Str),
        ("no_proxy", Ty::Str),
        ("proxy_from_environment", Ty::Bool),
        ("proxy_connect_header", Ty::Map(&STRINGS)),
    ],
};

pub static TLS_CONFIG: Struct = Struct {
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

pub static HEADER: Struct = Struct {
    name: "config.Header",
    strict: true,
    fields: &[
        ("values", STRINGS),
        ("secrets", STRINGS),
        ("files", STRINGS),
    ],
};

/// prometheus/common's checks of an `HTTPClientConfig` whose types are
/// already checked (`HTTPClientConfig.Validate`, `TLSConfig.Validate`,
/// `ProxyConfig.Validate`, TLS versions): the first problem, as Go
/// returns it. `node` is the config's mapping (inline in a scrape config).
pub fn http_client_config_problem(node: &Node) -> Option<Problem> {
    // A field written as null is as if it were not written.
    let get = |n: &'_ Node, k: &str| n.get(k).filter(|v| !v.is_null()).cloned();
    let text = |n: &Node, k: &str| get(n, k).map(|v| string(&v)).unwrap_or_default();
    let set = |n: &Node, k: &str| !text(n, k).is_empty();
    let count = |n: &Node, keys: &[&str]| keys.iter().filter(|k| set(n, k)).count();
    let fail = |at: &Node, message: &str| Some(problem(at, message.to_string()));
    let (basic, authorization, oauth2) = (
        get(node, "basic_auth"),
        get(node, "authorization"),
        get(node, "oauth2"),
    );
    let bearer = set(node, "bearer_token") || set(node, "bearer_token_file");
    if set(node, "bearer_token") && set(node, "bearer_token_file") {
        return fail(
            node,
            "at most one of bearer_token & bearer_token_file must be configured",
        );
    }
    if (basic.is_some() || oauth2.is_some()) && bearer {
        return fail(
            node,
            "at most one of basic_auth, oauth2, bearer_token & bearer_token_file must be configured",
        );
    }
    if let Some(b) = &basic {
        if count(b, &["username", "username_file", "username_ref"]) > 1 {
            return fail(
                b,
                "at most one of basic_auth username, username_file & username_ref must be configured",
            );
        }
        if count(b, &["password", "password_file", "password_ref"]) > 1 {
            return fail(
                b,
                "at most one of basic_auth password, password_file & password_ref must be configured",
            );
        }
    }
    if let Some(a) = &authorization {
        if bearer {
            return fail(
                a,
                "authorization is not compatible with bearer_token & bearer_token_file",
            );
        }
        if count(a, &["credentials", "credentials_file", "credentials_ref"]) > 1 {
            return fail(
                a,
                "at most one of authorization credentials & credentials_file must be configured",
            );
        }
        if text(a, "type").trim().eq_ignore_ascii_case("basic") {
            return fail(
                a,
                r#"authorization type cannot be set to "basic", use "basic_auth" instead"#,
            );
        }
        if basic.is_some() || oauth2.is_some() {
            return fail(
                a,
                "at most one of basic_auth, oauth2 & authorization must be configured",
            );
        }
    }
    if let Some(o) = &oauth2 {
        if basic.is_some() {
            return fail(
                o,
                "at most one of basic_auth, oauth2 & authorization must be configured",
            );
        }
        if !set(o, "client_id") {
            return fail(o, "oauth2 client_id must be configured");
        }
        if !set(o, "token_url") {
            return fail(o, "oauth2 token_url must be configured");
        }
        if text(o, "grant_type") == "urn:ietf:params:oauth:grant-type:jwt-bearer" {
            let keys = [
                "client_certificate_key",
                "client_certificate_key_file",
                "client_certificate_key_ref",
            ];
            if count(o, &keys) > 1 {
                return fail(
                    o,
                    "at most one of oauth2 client_certificate_key, client_certificate_key_file & client_certificate_key_ref must be configured using grant-type=urn:ietf:params:oauth:grant-type:jwt-bearer",
                );
            }
            let algorithm = text(o, "signature_algorithm");
            if !algorithm.is_empty() && !["RS256", "RS384", "RS512"].contains(&algorithm.as_str()) {
                return fail(o, "valid signature algorithms are RS256, RS384 and RS512");
            }
        } else if count(
            o,
            &["client_secret", "client_secret_file", "client_secret_ref"],
        ) > 1
        {
            return fail(
                o,
                "at most one of oauth2 client_secret, client_secret_file & client_secret_ref must be configured using grant-type=client_credentials",
            );
        }
        if let Some(p) = tls_config_problem(get(o, "tls_config").as_ref()) {
            return Some(p);
        }
        if let Some(p) = proxy_problem(o) {
            return Some(p);
        }
    }
    if let Some(p) = tls_config_problem(get(node, "tls_config").as_ref()) {
        return Some(p);
    }
    proxy_problem(node)
}

/// `TLSConfig.Validate` and its TLS versions.
fn tls_config_problem(tls: Option<&Node>) -> Option<Problem> {
    let tls = tls?;
    let set = |k: &str| tls.get(k).is_some_and(|v| !string(v).is_empty());
    let count = |keys: &[&str]| keys.iter().filter(|k| set(k)).count();
    for key in ["min_version", "max_version"] {
        if let Some(v) = tls.get(key).filter(|v| !v.is_null()) {
            let version = string(v);
            if !["TLS10", "TLS11", "TLS12", "TLS13"].contains(&version.as_str()) {
                return Some(problem(v, format!("unknown TLS version: {version}")));
            }
        }
    }
    let message = if count(&["ca", "ca_file", "ca_ref"]) > 1 {
        "at most one of ca, ca_file & ca_ref must be configured"
    } else if count(&["cert", "cert_file", "cert_ref"]) > 1 {
        "at most one of cert, cert_file & cert_ref must be configured"
    } else if count(&["key", "key_file", "key_ref"]) > 1 {
        "at most one of key and key_file must be configured"
    } else {
        let cert = count(&["cert", "cert_file", "cert_ref"]) > 0;
        let key = count(&["key", "key_file", "key_ref"]) > 0;
        match (cert, key) {
            (true, false) => {
                "exactly one of key or key_file must be configured when a client certificate is configured"
            }
            (false, true) => {
                "exactly one of cert or cert_file must be configured when a client key is configured"
            }
            _ => return None,
        }
    };
    Some(problem(tls, message.to_string()))
}

/// `ProxyConfig.Validate`.
fn proxy_problem(node: &Node) -> Option<Problem> {
    let set = |k: &str| node.get(k).is_some_and(|v| !string(v).is_empty());
    let from_environment = node.get("proxy_from_environment").is_some_and(boolean);
    let headers = node
        .get("proxy_connect_header")
        .is_some_and(|h| !h.entries().is_empty());
    let message = if headers && !from_environment && !set("proxy_url") {
        "if proxy_connect_header is configured, proxy_url or proxy_from_environment must also be configured"
    } else if from_environment && set("proxy_url") {
        "if proxy_from_environment is configured, proxy_url must not be configured"
    } else if from_environment && set("no_proxy") {
        "if proxy_from_environment is configured, no_proxy must not be configured"
    } else if !set("proxy_url") && set("no_proxy") {
        "if no_proxy is configured, proxy_url must also be configured"
    } else {
        return None;
    };
    Some(problem(node, message.to_string()))
}

/// A boolean as yaml.v2 reads one (plain scalars only).
pub fn as_bool(node: &Node) -> Option<bool> {
    match &node.value {
        Value::Scalar { text, plain: true } => match text.as_str() {
            "true" | "True" | "TRUE" | "yes" | "Yes" | "YES" | "y" | "Y" | "on" | "On" | "ON" => {
                Some(true)
            }
            "false" | "False" | "FALSE" | "no" | "No" | "NO" | "n" | "N" | "off" | "Off"
            | "OFF" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

/// A `uint64` as yaml.v2 reads one: a plain integer (`0x`, `0o`, `0b`
/// and leading-zero octal too) that is not negative, or a plain float
/// that fits, truncated.
pub fn as_uint(node: &Node) -> Option<u64> {
    let Value::Scalar { text, plain: true } = &node.value else {
        return None;
    };
    if let Some(i) = go_int(text) {
        return u64::try_from(i).ok();
    }
    go_float(text)
        .filter(|f| (0.0..18_446_744_073_709_551_616.0).contains(f))
        .map(|f| f as u64)
}

/// An integer as yaml.v2 resolves one (`strconv.ParseInt(s, 0, 64)`,
/// underscores removed, or `0b…`), within `int64` or `uint64`.
fn go_int(text: &str) -> Option<i128> {
    let t = text.replace('_', "");
    let (negative, rest) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t.as_str()),
    };
    let (radix, digits) = if let Some(d) = rest.strip_prefix("0x").or(rest.strip_prefix("0X")) {
        (16, d)
    } else if let Some(d) = rest.strip_prefix("0o").or(rest.strip_prefix("0O")) {
        (8, d)
    } else if let Some(d) = rest.strip_prefix("0b").or(rest.strip_prefix("0B")) {
        (2, d)
    } else if rest.len() > 1 && rest.starts_with('0') {
        (8, &rest[1..])
    } else {
        (10, rest)
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return None;
    }
    let magnitude = i128::from_str_radix(digits, radix).ok()?;
    let value = if negative { -magnitude } else { magnitude };
    (i128::from(i64::MIN)..=i128::from(u64::MAX))
        .contains(&value)
        .then_some(value)
}

/// A float as yaml.v2 resolves one (`[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?`).
fn go_float(text: &str) -> Option<f64> {
    let t = text.replace('_', "");
    let ok = t.bytes().any(|b| b.is_ascii_digit())
        && t.bytes()
            .all(|b| b.is_ascii_digit() || b"+-.eE".contains(&b));
    ok.then(|| t.parse::<f64>().ok()).flatten()
}

/// The text of a string field already checked (null is `""`).
pub fn string(node: &Node) -> String {
    if node.is_null() {
        String::new()
    } else {
        node.as_str().unwrap_or_default().to_string()
    }
}

/// The strings of a list of strings already checked.
pub fn strings(node: &Node) -> Vec<String> {
    node.items().iter().map(string).collect()
}

/// A boolean field already checked (null is `false`).
pub fn boolean(node: &Node) -> bool {
    as_bool(node).unwrap_or(false)
}

/// An unsigned integer field already checked (null is 0).
pub fn uint(node: &Node) -> u64 {
    as_uint(node).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scalar(text: &str) -> Node {
        crate::yaml::parse(&format!("v: {text}\n"))
            .unwrap()
            .unwrap()
            .get("v")
            .unwrap()
            .clone()
    }

    #[test]
    fn scalars_as_yaml_v2_reads_them() {
        for (text, want) in [
            ("true", Some(true)),
            ("off", Some(false)),
            ("Y", Some(true)),
            ("'true'", None),
            ("1", None),
            ("maybe", None),
        ] {
            assert_eq!(as_bool(&scalar(text)), want, "{text}");
        }
        for (text, want) in [
            ("4", Some(4)),
            ("0x10", Some(16)),
            ("010", Some(8)),
            ("0b11", Some(3)),
            ("1_000", Some(1000)),
            ("4.9", Some(4)),
            ("-1", None),
            ("'4'", None),
            ("abc", None),
            ("1e3", Some(1000)),
        ] {
            assert_eq!(as_uint(&scalar(text)), want, "{text}");
        }
        for (text, want) in [
            ("10s", true),
            ("1h2m3.5s", true),
            ("300ms", true),
            ("0", true),
            ("-1.5h", true),
            ("5", false),
            ("s", false),
            ("1d", false),
            ("", false),
        ] {
            assert_eq!(
                crate::duration::parse_go_duration(text).is_some(),
                want,
                "{text}"
            );
        }
    }
}
