//! Prometheus relabeling: `relabel_configs` and `metric_relabel_configs`
//! with every action (`replace`, `keep`, `drop`, `keepequal`, `dropequal`,
//! `hashmod`, `labelmap`, `labeldrop`, `labelkeep`, `lowercase`,
//! `uppercase`) and Prometheus's defaults: separator `;`, regex `(.*)`
//! anchored at both ends, replacement `$1`, action `replace`. `hashmod`
//! takes the last 8 bytes of the MD5 of the joined values, as Prometheus
//! does, so targets shard the same way.
//!
//! ```
//! use o11y_engine::labels::Labels;
//! use o11y_engine::relabel::{parse_configs, process};
//!
//! let configs = parse_configs("- source_labels: [__address__]\n  regex: '([^:]+):.*'\n  target_label: host\n").unwrap();
//! let out = process(&Labels::new([("__address__", "web-1:9100")]), &configs).unwrap();
//! assert_eq!(out.get("host"), Some("web-1"));
//! ```

use regex::Regex;

use crate::labels::Labels;
use crate::yaml::Node;
use crate::yaml::typed;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    Replace,
    Keep,
    Drop,
    KeepEqual,
    DropEqual,
    HashMod,
    LabelMap,
    LabelDrop,
    LabelKeep,
    Lowercase,
    Uppercase,
}

impl Action {
    fn parse(s: &str) -> Option<Action> {
        Some(match s.to_ascii_lowercase().as_str() {
            "replace" => Action::Replace,
            "keep" => Action::Keep,
            "drop" => Action::Drop,
            "keepequal" => Action::KeepEqual,
            "dropequal" => Action::DropEqual,
            "hashmod" => Action::HashMod,
            "labelmap" => Action::LabelMap,
            "labeldrop" => Action::LabelDrop,
            "labelkeep" => Action::LabelKeep,
            "lowercase" => Action::Lowercase,
            "uppercase" => Action::Uppercase,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Action::Replace => "replace",
            Action::Keep => "keep",
            Action::Drop => "drop",
            Action::KeepEqual => "keepequal",
            Action::DropEqual => "dropequal",
            Action::HashMod => "hashmod",
            Action::LabelMap => "labelmap",
            Action::LabelDrop => "labeldrop",
            Action::LabelKeep => "labelkeep",
            Action::Lowercase => "lowercase",
            Action::Uppercase => "uppercase",
        }
    }
}

/// One `relabel_config`, defaults applied.
#[derive(Clone, Debug)]
pub struct RelabelConfig {
    pub source_labels: Vec<String>,
    pub separator: String,
    pub target_label: String,
    /// As written (shown to the user); matched anchored.
    pub regex_text: String,
    regex: Regex,
    pub modulus: u64,
    pub replacement: String,
    pub action: Action,
    pub line: usize,
}

/// A configuration problem at a 1-based line and column.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{line}:{col}: {message}")]
pub struct RelabelError {
    pub line: usize,
    pub col: usize,
    pub message: String,
}

fn err(node: &Node, message: impl Into<String>) -> RelabelError {
    let (line, col) = typed::start(node);
    RelabelError {
        line,
        col,
        message: message.into(),
    }
}

impl From<typed::Problem> for RelabelError {
    fn from(p: typed::Problem) -> RelabelError {
        RelabelError {
            line: p.line,
            col: p.col,
            message: p.message,
        }
    }
}

/// The first of several errors (there is always one).
fn first(errors: Vec<RelabelError>) -> RelabelError {
    errors.into_iter().next().unwrap_or(RelabelError {
        line: 1,
        col: 1,
        message: "invalid configuration".into(),
    })
}

fn yaml_error(e: crate::yaml::YamlError) -> Vec<RelabelError> {
    vec![RelabelError {
        line: e.line,
        col: e.col,
        message: format!("yaml: {}", e.message),
    }]
}

/// Whether a `target_label` is a label name, possibly with `$1`/`${name}` references.
fn valid_target(t: &str) -> bool {
    static TARGET: std::sync::LazyLock<Regex> = std::sync::LazyLock::new(|| {
        Regex::new(r"^(?:(?:[a-zA-Z_]|\$(?:\{\w+\}|\w+))+\w*)+$").expect("static regex")
    });
    TARGET.is_match(t)
}

use crate::yaml::typed::{Struct, Ty};

/// `relabel.Config`, as Prometheus decodes it.
static RELABEL_CONFIG: Struct = Struct {
    name: "relabel.plain",
    strict: true,
    fields: &[
        ("source_labels", Ty::List(&Ty::Str)),
        ("separator", Ty::Str),
        ("target_label", Ty::Str),
        ("regex", Ty::Str),
        ("modulus", Ty::Uint),
        ("replacement", Ty::Str),
        ("action", Ty::Str),
    ],
};

static RELABEL_CONFIGS: Ty = Ty::List(&Ty::Struct(&RELABEL_CONFIG));

/// The part of `config.ScrapeConfig` the playground reads.
static SCRAPE_CONFIG: Struct = Struct {
    name: "config.ScrapeConfig",
    strict: true,
    fields: &[
        ("job_name", Ty::Str),
        ("static_configs", Ty::List(&Ty::Struct(&STATIC_CONFIG))),
        ("relabel_configs", RELABEL_CONFIGS),
        ("metric_relabel_configs", RELABEL_CONFIGS),
        ("scrape_interval", Ty::Duration),
        ("scrape_timeout", Ty::Duration),
        ("metrics_path", Ty::Str),
        ("scheme", Ty::Str),
        ("honor_labels", Ty::Bool),
    ],
};

/// A `static_configs` entry (`targetgroup.Group`).
static STATIC_CONFIG: Struct = Struct {
    name: "targetgroup.Group",
    strict: true,
    fields: &[
        ("targets", Ty::List(&Ty::Str)),
        ("labels", Ty::Map(&Ty::Str)),
    ],
};

/// Parses a YAML list of relabel configs (what follows `relabel_configs:`);
/// the first problem if there are any.
pub fn parse_configs(text: &str) -> Result<Vec<RelabelConfig>, RelabelError> {
    check_configs(text).map_err(first)
}

/// Parses a YAML list of relabel configs, or every problem found in it
/// (wrong types first, all of them, as Prometheus's YAML decoder reports
/// them; then the checks of each config).
pub fn check_configs(text: &str) -> Result<Vec<RelabelConfig>, Vec<RelabelError>> {
    let Some(doc) = crate::yaml::parse(text).map_err(yaml_error)? else {
        return Ok(Vec::new());
    };
    // A whole scrape config or `relabel_configs:` wrapper is accepted too.
    let (path, list) = match (
        doc.get("relabel_configs"),
        doc.get("metric_relabel_configs"),
    ) {
        (Some(list), _) => ("relabel_configs", list),
        (None, Some(list)) => ("metric_relabel_configs", list),
        (None, None) => ("relabel_configs", &doc),
    };
    configs_at(list, path)
}

/// The relabel configs of a YAML list node (`null` is none); the first
/// problem if there are any.
pub fn configs_from_node(list: &Node) -> Result<Vec<RelabelConfig>, RelabelError> {
    configs_at(list, "relabel_configs").map_err(first)
}

fn configs_at(list: &Node, path: &str) -> Result<Vec<RelabelConfig>, Vec<RelabelError>> {
    let mut problems = Vec::new();
    typed::check(list, RELABEL_CONFIGS, path, &mut problems);
    if !problems.is_empty() {
        return Err(problems.into_iter().map(RelabelError::from).collect());
    }
    let mut errors = Vec::new();
    let configs = configs_of(list, "empty or null relabeling rule", &mut errors);
    if errors.is_empty() {
        Ok(configs)
    } else {
        Err(errors)
    }
}

/// The configs of a list already type-checked, problems into `errors`.
fn configs_of(
    list: &Node,
    null_message: &str,
    errors: &mut Vec<RelabelError>,
) -> Vec<RelabelConfig> {
    let mut out = Vec::new();
    for node in list.items() {
        if node.is_null() {
            errors.push(err(node, null_message));
            continue;
        }
        match parse_config(node) {
            Ok(c) => out.push(c),
            Err(e) => errors.push(e),
        }
    }
    out
}

/// A scrape config as far as the playground uses it: the job, its first
/// static target with its labels, and both relabeling lists.
#[derive(Clone, Debug)]
pub struct ScrapeConfig {
    pub job_name: String,
    /// The discovered labels of the target (`__address__`, `job`, static labels).
    pub discovered: Labels,
    pub relabel_configs: Vec<RelabelConfig>,
    pub metric_relabel_configs: Vec<RelabelConfig>,
}

/// Parses a `scrape_config` (one job); the first problem if there are any.
pub fn parse_scrape_config(text: &str) -> Result<ScrapeConfig, RelabelError> {
    check_scrape_config(text).map_err(first)
}

/// Parses a `scrape_config` (one job), or every problem found in it, in
/// the order of the text.
pub fn check_scrape_config(text: &str) -> Result<ScrapeConfig, Vec<RelabelError>> {
    let doc = crate::yaml::parse(text)
        .map_err(yaml_error)?
        .ok_or_else(|| {
            vec![RelabelError {
                line: 1,
                col: 1,
                message: "the scrape config is empty".into(),
            }]
        })?;
    let mut problems = Vec::new();
    typed::check(&doc, Ty::Struct(&SCRAPE_CONFIG), "", &mut problems);
    if !problems.is_empty() {
        return Err(problems.into_iter().map(RelabelError::from).collect());
    }
    let mut errors = Vec::new();
    let job_name = doc.get("job_name").map(typed::string).unwrap_or_default();
    if job_name.is_empty() {
        errors.push(err(
            doc.get("job_name").unwrap_or(&doc),
            "job_name is empty",
        ));
    }
    let statics = doc
        .get("static_configs")
        .map(Node::items)
        .unwrap_or_default();
    let first_group = statics.first().filter(|g| !g.is_null());
    let address = first_group
        .and_then(|g| g.get("targets"))
        .map(Node::items)
        .unwrap_or_default()
        .first()
        .map(typed::string);
    if address.is_none() {
        let at = first_group.or(doc.get("static_configs")).unwrap_or(&doc);
        errors.push(err(at, "static_configs needs a target"));
    }
    let text_or = |key: &str, default: &str| {
        doc.get(key)
            .filter(|n| !n.is_null())
            .map_or_else(|| default.to_string(), typed::string)
    };
    let mut pairs: Vec<(String, String)> = vec![
        ("__address__".into(), address.unwrap_or_default()),
        ("job".into(), job_name.clone()),
        ("__scheme__".into(), text_or("scheme", "http")),
        (
            "__metrics_path__".into(),
            text_or("metrics_path", "/metrics"),
        ),
    ];
    for (k, v) in first_group
        .and_then(|g| g.get("labels"))
        .map(Node::entries)
        .unwrap_or_default()
    {
        pairs.push((typed::string(k), typed::string(v)));
    }
    let mut list = |key: &str, null_message: &str| {
        doc.get(key)
            .map(|l| configs_of(l, null_message, &mut errors))
            .unwrap_or_default()
    };
    let relabel_configs = list(
        "relabel_configs",
        "empty or null target relabeling rule in scrape config",
    );
    let metric_relabel_configs = list(
        "metric_relabel_configs",
        "empty or null metric relabeling rule in scrape config",
    );
    if !errors.is_empty() {
        errors.sort_by_key(|e| (e.line, e.col));
        return Err(errors);
    }
    Ok(ScrapeConfig {
        job_name,
        discovered: Labels::new(pairs),
        relabel_configs,
        metric_relabel_configs,
    })
}

/// One relabel config, its types already checked; the first of
/// Prometheus's checks (`relabel.Config.Validate`) it fails.
fn parse_config(node: &Node) -> Result<RelabelConfig, RelabelError> {
    let get = |k: &str| node.get(k);
    // A field written as null is its zero value, as in Go.
    let text = |k: &str, default: &str| get(k).map_or_else(|| default.to_string(), typed::string);
    let action = match get("action") {
        None => Action::Replace,
        Some(a) if a.is_null() => {
            // An empty value has no place of its own: its key's.
            let key = node
                .entries()
                .iter()
                .find(|(k, _)| k.as_str() == Some("action"));
            return Err(err(
                key.map_or(a, |(k, _)| k),
                "relabel action cannot be empty",
            ));
        }
        Some(a) => {
            let written = typed::string(a);
            Action::parse(&written)
                .ok_or_else(|| err(a, format!("unknown relabel action {written:?}")))?
        }
    };
    let regex_text = text("regex", "(.*)");
    let regex = Regex::new(&format!("^(?s:{regex_text})$")).map_err(|e| {
        err(
            get("regex").unwrap_or(node),
            format!("invalid regex {regex_text:?}: {e}"),
        )
    })?;
    let source_labels = get("source_labels");
    let c = RelabelConfig {
        source_labels: source_labels.map(typed::strings).unwrap_or_default(),
        separator: text("separator", ";"),
        target_label: text("target_label", ""),
        regex_text,
        regex,
        modulus: get("modulus").map_or(0, typed::uint),
        replacement: text("replacement", "$1"),
        action,
        line: node.line,
    };
    // Prometheus's checks (`relabel.Config.Validate`), in its order.
    let name = action.name();
    if action == Action::HashMod && c.modulus == 0 {
        return Err(err(
            get("modulus").unwrap_or(node),
            "relabel configuration for hashmod requires non-zero modulus",
        ));
    }
    let needs_target = matches!(
        action,
        Action::Replace
            | Action::HashMod
            | Action::Lowercase
            | Action::Uppercase
            | Action::KeepEqual
            | Action::DropEqual
    );
    let target_at = get("target_label").unwrap_or(node);
    if needs_target && c.target_label.is_empty() {
        return Err(err(
            node,
            format!("relabel configuration for {name} action requires 'target_label' value"),
        ));
    }
    if action == Action::Replace && !valid_target(&c.target_label) {
        return Err(err(
            target_at,
            format!(
                "{:?} is invalid 'target_label' for replace action",
                c.target_label
            ),
        ));
    }
    let single_target = matches!(
        action,
        Action::Lowercase | Action::Uppercase | Action::KeepEqual | Action::DropEqual
    );
    if (single_target || action == Action::HashMod)
        && !crate::metrics::is_valid_label_name(&c.target_label)
    {
        return Err(err(
            target_at,
            format!(
                "{:?} is invalid 'target_label' for {name} action",
                c.target_label
            ),
        ));
    }
    if single_target && c.replacement != "$1" {
        return Err(err(
            get("replacement").unwrap_or(node),
            format!("'replacement' can not be set for {name} action"),
        ));
    }
    if action == Action::LabelMap && !valid_target(&c.replacement) {
        return Err(err(
            get("replacement").unwrap_or(node),
            format!(
                "{:?} is invalid 'replacement' for {name} action",
                c.replacement
            ),
        ));
    }
    // Go compares with the defaults: a regex written at all differs from
    // the default's compiled regex, other fields by value.
    if matches!(action, Action::KeepEqual | Action::DropEqual)
        && (get("regex").is_some() || c.modulus != 0 || c.separator != ";" || c.replacement != "$1")
    {
        return Err(err(
            node,
            format!(
                "{name} action requires only 'source_labels' and `target_label`, and no other fields"
            ),
        ));
    }
    if matches!(action, Action::LabelDrop | Action::LabelKeep)
        && (source_labels.is_some_and(|s| !s.is_null())
            || !c.target_label.is_empty()
            || c.modulus != 0
            || c.separator != ";"
            || c.replacement != "$1")
    {
        return Err(err(
            node,
            format!("{name} action requires only 'regex', and no other fields"),
        ));
    }
    Ok(c)
}

/// What one step did, for the step-by-step view.
#[derive(Clone, Debug, PartialEq)]
pub struct Step {
    /// The labels after the step; `None` once the target is dropped.
    pub labels: Option<Labels>,
}

/// Applies the configs in order: the labels after each step (the last is
/// `None` when a step dropped the target).
pub fn steps(input: &Labels, configs: &[RelabelConfig]) -> Vec<Step> {
    let mut out = Vec::with_capacity(configs.len());
    let mut current = Some(input.clone());
    for c in configs {
        current = current.and_then(|l| apply(&l, c));
        out.push(Step {
            labels: current.clone(),
        });
        if current.is_none() {
            break;
        }
    }
    out
}

/// The labels after every config, or `None` if the target was dropped.
pub fn process(input: &Labels, configs: &[RelabelConfig]) -> Option<Labels> {
    let mut l = input.clone();
    for c in configs {
        l = apply(&l, c)?;
    }
    Some(l)
}

/// The last 8 bytes of the MD5 of `value`, big-endian, modulo `modulus`
/// (Prometheus's `hashmod`).
pub fn hashmod(value: &str, modulus: u64) -> u64 {
    let digest = md5::compute(value.as_bytes());
    let mut last = [0u8; 8];
    last.copy_from_slice(&digest.0[8..]);
    u64::from_be_bytes(last) % modulus.max(1)
}

fn set(labels: &Labels, name: &str, value: &str) -> Labels {
    if value.is_empty() {
        labels.without(name)
    } else {
        labels.with(name, value)
    }
}

fn apply(labels: &Labels, c: &RelabelConfig) -> Option<Labels> {
    let value = c
        .source_labels
        .iter()
        .map(|n| labels.get(n).unwrap_or(""))
        .collect::<Vec<_>>()
        .join(&c.separator);
    match c.action {
        Action::Drop => (!c.regex.is_match(&value)).then(|| labels.clone()),
        Action::Keep => c.regex.is_match(&value).then(|| labels.clone()),
        Action::DropEqual => {
            (labels.get(&c.target_label).unwrap_or("") != value).then(|| labels.clone())
        }
        Action::KeepEqual => {
            (labels.get(&c.target_label).unwrap_or("") == value).then(|| labels.clone())
        }
        Action::Replace => {
            let Some(caps) = c.regex.captures(&value) else {
                return Some(labels.clone());
            };
            let mut target = String::new();
            caps.expand(&c.target_label, &mut target);
            if !crate::metrics::is_valid_label_name(&target) {
                return Some(labels.clone());
            }
            let mut res = String::new();
            caps.expand(&c.replacement, &mut res);
            Some(set(labels, &target, &res))
        }
        Action::Lowercase => Some(set(labels, &c.target_label, &value.to_lowercase())),
        Action::Uppercase => Some(set(labels, &c.target_label, &value.to_uppercase())),
        Action::HashMod => Some(set(
            labels,
            &c.target_label,
            &hashmod(&value, c.modulus).to_string(),
        )),
        Action::LabelMap => {
            let mut out = labels.clone();
            for l in labels.iter() {
                if c.regex.is_match(&l.name) {
                    let name = c
                        .regex
                        .replace_all(&l.name, c.replacement.as_str())
                        .into_owned();
                    out = set(&out, &name, &l.value);
                }
            }
            Some(out)
        }
        Action::LabelDrop => Some(Labels::new(
            labels
                .iter()
                .filter(|l| !c.regex.is_match(&l.name))
                .map(|l| (l.name.clone(), l.value.clone())),
        )),
        Action::LabelKeep => Some(Labels::new(
            labels
                .iter()
                .filter(|l| c.regex.is_match(&l.name))
                .map(|l| (l.name.clone(), l.value.clone())),
        )),
    }
}

/// The seed article's Kubernetes pod relabeling, with a pod's discovered labels.
pub const KUBERNETES_EXAMPLE: &str = r#"relabel_configs:
  # Only pods annotated prometheus.io/scrape: "true".
  - source_labels: [__meta_kubernetes_pod_annotation_prometheus_io_scrape]
    action: keep
    regex: true
  # The metrics path from prometheus.io/path.
  - source_labels: [__meta_kubernetes_pod_annotation_prometheus_io_path]
    action: replace
    target_label: __metrics_path__
    regex: (.+)
  # The port from prometheus.io/port.
  - source_labels: [__address__, __meta_kubernetes_pod_annotation_prometheus_io_port]
    action: replace
    regex: ([^:]+)(?::\d+)?;(\d+)
    replacement: $1:$2
    target_label: __address__
  # Every pod label as a label.
  - action: labelmap
    regex: __meta_kubernetes_pod_label_(.+)
  - source_labels: [__meta_kubernetes_namespace]
    action: replace
    target_label: namespace
  - source_labels: [__meta_kubernetes_pod_name]
    action: replace
    target_label: pod
  # Shard targets over 4 Prometheus servers; this one keeps shard 2.
  - source_labels: [__address__]
    action: hashmod
    modulus: 4
    target_label: __tmp_shard
"#;

/// The discovered labels of a pod, for the example.
pub const KUBERNETES_TARGET: &str = r#"__address__="10.1.2.3:80"
__meta_kubernetes_namespace="shop"
__meta_kubernetes_pod_name="payment-7d9f8b-x2v4q"
__meta_kubernetes_pod_label_app="payment"
__meta_kubernetes_pod_label_version="v2"
__meta_kubernetes_pod_annotation_prometheus_io_scrape="true"
__meta_kubernetes_pod_annotation_prometheus_io_path="/metrics"
__meta_kubernetes_pod_annotation_prometheus_io_port="9102"
job="kubernetes-pods"
"#;

/// Labels written one per line as `name="value"` (or `name=value`), or as
/// a `{a="b", c="d"}` selector.
pub fn parse_labels(text: &str) -> Result<Labels, String> {
    let t = text.trim();
    if t.starts_with('{') {
        return crate::promql::promqltest::parse_series(t);
    }
    let mut pairs = Vec::new();
    for (i, line) in t.lines().enumerate() {
        let line = line.trim().trim_end_matches(',');
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((name, value)) = line.split_once('=') else {
            return Err(format!("line {}: expected name=\"value\"", i + 1));
        };
        let name = name.trim();
        if !crate::metrics::is_valid_label_name(name) {
            return Err(format!("line {}: invalid label name {name:?}", i + 1));
        }
        let raw = value.trim();
        let value = if raw.starts_with('"') {
            serde_json::from_str::<String>(raw)
                .map_err(|_| format!("line {}: bad quoted value", i + 1))?
        } else {
            raw.to_string()
        };
        pairs.push((name.to_string(), value));
    }
    Ok(Labels::new(pairs))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(yaml: &str, input: &[(&str, &str)]) -> Option<Vec<(String, String)>> {
        let configs = parse_configs(yaml).unwrap();
        process(&Labels::new(input.iter().copied()), &configs).map(|l| {
            l.iter()
                .map(|l| (l.name.clone(), l.value.clone()))
                .collect()
        })
    }

    fn pairs(p: &[(&str, &str)]) -> Option<Vec<(String, String)>> {
        let mut v: Vec<(String, String)> = p
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect();
        v.sort();
        Some(v)
    }

    #[test]
    fn replace_with_defaults_and_captures() {
        let abc = [("a", "foo"), ("b", "bar"), ("c", "baz")];
        assert_eq!(
            run(
                "- {source_labels: [a], regex: 'f(.*)', target_label: d, replacement: 'ch${1}-ch${1}'}",
                &abc
            ),
            pairs(&[("a", "foo"), ("b", "bar"), ("c", "baz"), ("d", "choo-choo")])
        );
        // Two sources joined by ';', regex anchored.
        assert_eq!(
            run(
                "- {source_labels: [a, b], regex: 'f(.*);(.*)r', target_label: a, replacement: 'b${1}${2}m'}",
                &abc
            ),
            pairs(&[("a", "boobam"), ("b", "bar"), ("c", "baz")])
        );
        // No match: nothing changes; "f" alone does not match "boo" (anchored).
        assert_eq!(
            run(
                "- {source_labels: [a], regex: f, target_label: b, replacement: bar}",
                &[("a", "boo")]
            ),
            pairs(&[("a", "boo")])
        );
        // The target label can come from a capture; an invalid one changes nothing.
        assert_eq!(
            run(
                "- {source_labels: [a], regex: 'some-([^-]+)-([^,]+)', replacement: '${2}', target_label: '${1}'}",
                &[("a", "some-name-value")]
            ),
            pairs(&[("a", "some-name-value"), ("name", "value")])
        );
        assert_eq!(
            run(
                "- {source_labels: [a], regex: 'some-([^-]+)-([^,]+)', replacement: '${1}', target_label: '${3}'}",
                &[("a", "some-name-0")]
            ),
            pairs(&[("a", "some-name-0")])
        );
        // An empty result deletes the target.
        assert_eq!(
            run("- {source_labels: [x], target_label: a}", &[("a", "1")]),
            pairs(&[])
        );
    }

    #[test]
    fn keep_drop_and_equal() {
        assert_eq!(
            run(
                "- {source_labels: [a], regex: '.*o.*', action: drop}",
                &[("a", "foo")]
            ),
            None
        );
        assert_eq!(
            run(
                "- {source_labels: [a], regex: 'f|o', action: drop}",
                &[("a", "foo")]
            ),
            pairs(&[("a", "foo")])
        );
        assert_eq!(
            run(
                "- {source_labels: [a], regex: no-match, action: keep}",
                &[("a", "foo")]
            ),
            None
        );
        let ports = [
            ("__tmp_port", "1234"),
            ("__port1", "1234"),
            ("__port2", "5678"),
        ];
        assert!(
            run(
                "- {source_labels: [__tmp_port], action: keepequal, target_label: __port1}",
                &ports
            )
            .is_some()
        );
        assert!(
            run(
                "- {source_labels: [__tmp_port], action: dropequal, target_label: __port1}",
                &ports
            )
            .is_none()
        );
        assert!(
            run(
                "- {source_labels: [__tmp_port], action: keepequal, target_label: __port2}",
                &ports
            )
            .is_none()
        );
    }

    #[test]
    fn hashmod_is_prometheus_s() {
        // Values Prometheus's own relabel tests expect.
        assert_eq!(hashmod("baz", 1000), 976);
        assert_eq!(hashmod("foo\nbar", 1000), 734);
        assert_eq!(
            run(
                "- {source_labels: [c], action: hashmod, modulus: 1000, target_label: d}",
                &[("c", "baz")]
            ),
            pairs(&[("c", "baz"), ("d", "976")])
        );
    }

    #[test]
    fn label_actions_and_case() {
        let b = [("a", "foo"), ("b1", "bar"), ("b2", "baz")];
        assert_eq!(
            run(
                "- {regex: '(b.*)', replacement: 'bar_${1}', action: labelmap}",
                &b
            ),
            pairs(&[
                ("a", "foo"),
                ("b1", "bar"),
                ("b2", "baz"),
                ("bar_b1", "bar"),
                ("bar_b2", "baz")
            ])
        );
        assert_eq!(
            run("- {regex: '(b.*)', action: labelkeep}", &b),
            pairs(&[("b1", "bar"), ("b2", "baz")])
        );
        assert_eq!(
            run("- {regex: '(b.*)', action: labeldrop}", &b),
            pairs(&[("a", "foo")])
        );
        assert_eq!(
            run(
                "- {source_labels: [foo], action: uppercase, target_label: up}\n- {source_labels: [foo], action: lowercase, target_label: low}",
                &[("foo", "bAr1")]
            ),
            pairs(&[("foo", "bAr1"), ("low", "bar1"), ("up", "BAR1")])
        );
    }

    #[test]
    fn the_kubernetes_example_step_by_step() {
        let configs = parse_configs(KUBERNETES_EXAMPLE).unwrap();
        let input = parse_labels(KUBERNETES_TARGET).unwrap();
        let s = steps(&input, &configs);
        assert_eq!(s.len(), configs.len());
        let last = s.last().unwrap().labels.clone().unwrap();
        assert_eq!(last.get("__address__"), Some("10.1.2.3:9102"));
        assert_eq!(last.get("app"), Some("payment"));
        assert_eq!(last.get("namespace"), Some("shop"));
        assert_eq!(last.get("pod"), Some("payment-7d9f8b-x2v4q"));
        assert_eq!(
            last.get("__tmp_shard"),
            Some(hashmod("10.1.2.3:9102", 4).to_string().as_str())
        );
        let unannotated = input.with(
            "__meta_kubernetes_pod_annotation_prometheus_io_scrape",
            "false",
        );
        let s = steps(&unannotated, &configs);
        assert_eq!(
            (s.len(), s[0].labels.is_none()),
            (1, true),
            "dropped at the first step"
        );
    }

    #[test]
    fn bad_configs_are_refused_with_positions() {
        let e = parse_configs("- action: replace\n  source_labels: [a]\n").unwrap_err();
        assert!(e.message.contains("requires 'target_label'"), "{e}");
        let e = parse_configs("- {action: hashmod, target_label: x}").unwrap_err();
        assert!(e.message.contains("non-zero modulus"), "{e}");
        let e = parse_configs("- {action: nope}").unwrap_err();
        assert!(e.message.contains("unknown relabel action"), "{e}");
        let e = parse_configs("- {regex: '(', target_label: x}").unwrap_err();
        assert!(e.message.contains("invalid regex"), "{e}");
        let e = parse_configs("- {action: labeldrop, regex: a, target_label: b}").unwrap_err();
        assert!(e.message.contains("requires only 'regex'"), "{e}");
        let e = parse_configs("- {target_label: '-${1}'}").unwrap_err();
        assert!(e.message.contains("invalid 'target_label'"), "{e}");
        let e = parse_configs("- {sources: [a]}").unwrap_err();
        assert_eq!((e.line, e.col), (1, 4));
        assert!(parse_labels("a=\"x\nb").is_err(), "a line without '='");
        assert_eq!(parse_labels("{a=\"1\"}").unwrap().get("a"), Some("1"));
        assert!(parse_labels("1a=b").is_err());
    }

    fn errors(text: &str) -> Vec<String> {
        check_configs(text)
            .unwrap_err()
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    #[test]
    fn wrong_types_are_errors_naming_field_expected_and_found() {
        // Prometheus refuses a single name for `source_labels` (it decodes
        // a list), and reports every wrong type at once.
        assert_eq!(
            errors("- source_labels: foo\n  regex: [a]\n  modulus: abc\n  action: {}\n"),
            [
                "1:18: relabel_configs[0].source_labels: expected a list of strings, found \"foo\"",
                "2:10: relabel_configs[0].regex: expected a string, found a list",
                "3:12: relabel_configs[0].modulus: expected an unsigned integer, found \"abc\"",
                "4:11: relabel_configs[0].action: expected a string, found a mapping",
            ]
        );
        assert_eq!(
            errors(
                "metric_relabel_configs:\n  - {target_label: x}\n  - {separator: [';'], replacement: {a: b}, modulus: '4'}\n"
            ),
            [
                "3:17: metric_relabel_configs[1].separator: expected a string, found a list",
                "3:37: metric_relabel_configs[1].replacement: expected a string, found a mapping",
                "3:54: metric_relabel_configs[1].modulus: expected an unsigned integer, found the quoted string \"4\"",
            ]
        );
        assert_eq!(
            errors("- [source_labels]\n- {source_labels: [[a]]}\n"),
            [
                "1:3: relabel_configs[0]: expected a mapping, found a list",
                "2:20: relabel_configs[1].source_labels[0]: expected a string, found a list",
            ]
        );
        assert_eq!(
            errors("relabel_configs: {action: drop}\n"),
            ["1:18: relabel_configs: expected a list, found a mapping"]
        );
    }

    #[test]
    fn scalars_and_nulls_as_prometheus_reads_them() {
        // A number or a boolean is its text in a string field; a float
        // modulus is truncated; null is the zero value.
        let c = parse_configs(
            "- {source_labels: [5, true], separator: 1, regex: 5;true, target_label: x, replacement: 7}\n- {action: hashmod, source_labels: [a], modulus: 4.0, target_label: h}\n- {source_labels: [a], target_label: y, replacement: ~}\n",
        )
        .unwrap();
        assert_eq!(c[0].source_labels, ["5", "true"]);
        assert_eq!(
            (c[0].separator.as_str(), c[0].regex_text.as_str()),
            ("1", "5;true")
        );
        assert_eq!(c[0].replacement, "7");
        assert_eq!(c[1].modulus, 4);
        assert_eq!(c[2].replacement, "");
        let e = errors("- {action: ~}\n- ~\n");
        assert_eq!(
            e,
            [
                "1:4: relabel action cannot be empty",
                "2:3: empty or null relabeling rule",
            ]
        );
        // Go compares with the defaults: a default written out is no field.
        assert!(parse_configs("- {action: labeldrop, regex: a, separator: ';'}").is_ok());
        let e = parse_configs(
            "- {action: lowercase, source_labels: [a], target_label: b, replacement: x}",
        )
        .unwrap_err();
        assert!(e.message.contains("'replacement' can not be set"), "{e}");
    }

    #[test]
    fn scrape_configs_are_checked_field_by_field() {
        let text = "\
job_name: [shop]
scrape_interval: 15
honor_labels: maybe
static_configs:
  targets: ['shop:8080']
relabel_configs:
  - {regex: [a]}
";
        let got: Vec<String> = check_scrape_config(text)
            .unwrap_err()
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            got,
            [
                "1:11: job_name: expected a string, found a list",
                "2:18: scrape_interval: not a valid duration string: \"15\"",
                "3:15: honor_labels: expected a boolean (true or false), found \"maybe\"",
                "5:3: static_configs: expected a list, found a mapping",
                "7:13: relabel_configs[0].regex: expected a string, found a list",
            ]
        );
        let c = parse_scrape_config(
            "job_name: 7\nstatic_configs:\n  - targets: [10.0.0.1:80]\n    labels: {team: 5, zone: ~}\nrelabel_configs: ~\n",
        )
        .unwrap();
        assert_eq!(c.job_name, "7");
        assert_eq!(c.discovered.get("team"), Some("5"));
        assert_eq!(c.discovered.get("zone"), None, "null is empty: no label");
        let e = check_scrape_config(
            "job_name: ''\nstatic_configs: [{targets: []}]\nrelabel_configs: [~]\nmetric_relabel_configs: [{action: nope}]\n",
        )
        .unwrap_err();
        let got: Vec<String> = e.iter().map(ToString::to_string).collect();
        assert_eq!(
            got,
            [
                "1:11: job_name is empty",
                "2:18: static_configs needs a target",
                "3:19: empty or null target relabeling rule in scrape config",
                "4:35: unknown relabel action \"nope\"",
            ]
        );
        let e = parse_scrape_config("job_name: x\nstatic_configs: {targets: [a]}\n").unwrap_err();
        assert_eq!((e.line, e.col), (2, 17));
    }
}
