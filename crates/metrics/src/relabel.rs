//! Prometheus relabeling: `relabel_configs` and `metric_relabel_configs`
//! with every action (`replace`, `keep`, `drop`, `keepequal`, `dropequal`,
//! `hashmod`, `labelmap`, `labeldrop`, `labelkeep`, `lowercase`,
//! `uppercase`) and Prometheus's defaults: separator `;`, regex `(.*)`
//! anchored at both ends, replacement `$1`, action `replace`. `hashmod`
//! takes the last 8 bytes of the MD5 of the joined values, as Prometheus
//! does, so targets shard the same way.
//!
//! ```
//! use o11y_model::labels::Labels;
//! use o11y_metrics::relabel::{parse_configs, process};
//!
//! let configs = parse_configs("- source_labels: [__address__]\n  regex: '([^:]+):.*'\n  target_label: host\n").unwrap();
//! let out = process(&Labels::new([("__address__", "web-1:9100")]), &configs).unwrap();
//! assert_eq!(out.get("host"), Some("web-1"));
//! ```

use regex::Regex;

use o11y_model::labels::Labels;
use o11y_model::yaml::Node;
use o11y_model::yaml::typed;

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

fn yaml_error(e: o11y_model::yaml::YamlError) -> Vec<RelabelError> {
    vec![RelabelError {
        line: e.line,
        col: e.col,
        message: format!("yaml: {}", e.message),
    }]
}

/// Whether a `target_label` is a label name, possibly with `$1`/`${name}` references.
fn valid_target(t: &str) -> bool {
    static TARGET: std::sync::LazyLock<Regex> = std::sync::LazyLock::new(|| {
        // Go's `\w` is ASCII: `naïve` is no label name.
        Regex::new(r"^(?-u:(?:(?:[a-zA-Z_]|\$(?:\{\w+\}|\w+))+\w*)+)$").expect("static regex")
    });
    TARGET.is_match(t)
}

use o11y_model::yaml::typed::{Struct, Ty};

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

/// `config.ScrapeConfig`: what the playground reads, the rest typed as
/// Prometheus decodes it, its HTTP client config inline, and service
/// discovery other than `static_configs` kept as lists, unread.
static SCRAPE_CONFIG: Struct = Struct {
    name: "config.ScrapeConfig",
    strict: true,
    fields: typed::with_http_client_fields![
        ("job_name", Ty::Str),
        ("static_configs", Ty::List(&Ty::Struct(&STATIC_CONFIG))),
        ("relabel_configs", RELABEL_CONFIGS),
        ("metric_relabel_configs", RELABEL_CONFIGS),
        ("scrape_interval", Ty::Duration),
        ("scrape_timeout", Ty::Duration),
        ("metrics_path", Ty::Str),
        ("scheme", Ty::Str),
        ("honor_labels", Ty::Bool),
        ("honor_timestamps", Ty::Bool),
        ("track_timestamps_staleness", Ty::Bool),
        ("params", Ty::Map(&Ty::List(&Ty::Str))),
        ("scrape_protocols", Ty::List(&Ty::Str)),
        ("fallback_scrape_protocol", Ty::Str),
        ("scrape_native_histograms", Ty::Bool),
        ("always_scrape_classic_histograms", Ty::Bool),
        ("convert_classic_histograms_to_nhcb", Ty::Bool),
        ("scrape_failure_log_file", Ty::Str),
        ("enable_compression", Ty::Bool),
        ("body_size_limit", Ty::Str),
        ("sample_limit", Ty::Uint),
        ("target_limit", Ty::Uint),
        ("label_limit", Ty::Uint),
        ("label_name_length_limit", Ty::Uint),
        ("label_value_length_limit", Ty::Uint),
        ("native_histogram_bucket_limit", Ty::Uint),
        ("native_histogram_min_bucket_factor", Ty::Any),
        ("keep_dropped_targets", Ty::Uint),
        ("metric_name_validation_scheme", Ty::Str),
        ("metric_name_escaping_scheme", Ty::Str),
        ("extra_scrape_metrics", Ty::Bool),
        ("azure_sd_configs", DISCOVERY),
        ("consul_sd_configs", DISCOVERY),
        ("digitalocean_sd_configs", DISCOVERY),
        ("docker_sd_configs", DISCOVERY),
        ("dockerswarm_sd_configs", DISCOVERY),
        ("dns_sd_configs", DISCOVERY),
        ("ec2_sd_configs", DISCOVERY),
        ("eureka_sd_configs", DISCOVERY),
        ("file_sd_configs", DISCOVERY),
        ("gce_sd_configs", DISCOVERY),
        ("hetzner_sd_configs", DISCOVERY),
        ("http_sd_configs", DISCOVERY),
        ("ionos_sd_configs", DISCOVERY),
        ("kubernetes_sd_configs", DISCOVERY),
        ("kuma_sd_configs", DISCOVERY),
        ("lightsail_sd_configs", DISCOVERY),
        ("linode_sd_configs", DISCOVERY),
        ("marathon_sd_configs", DISCOVERY),
        ("nerve_sd_configs", DISCOVERY),
        ("nomad_sd_configs", DISCOVERY),
        ("openstack_sd_configs", DISCOVERY),
        ("ovhcloud_sd_configs", DISCOVERY),
        ("puppetdb_sd_configs", DISCOVERY),
        ("scaleway_sd_configs", DISCOVERY),
        ("serverset_sd_configs", DISCOVERY),
        ("stackit_sd_configs", DISCOVERY),
        ("triton_sd_configs", DISCOVERY),
        ("uyuni_sd_configs", DISCOVERY),
        ("vultr_sd_configs", DISCOVERY),
    ],
};

/// A service discovery the playground does not run.
const DISCOVERY: Ty = Ty::List(&Ty::Any);

/// `config.Config`, a whole `prometheus.yml`: scrape configs and the
/// global section are checked, the other sections kept unread.
static PROMETHEUS_CONFIG: Struct = Struct {
    name: "config.plain",
    strict: true,
    fields: &[
        ("global", Ty::Struct(&GLOBAL_CONFIG)),
        ("runtime", Ty::Any),
        ("alerting", Ty::Any),
        ("rule_files", Ty::List(&Ty::Str)),
        ("scrape_config_files", Ty::List(&Ty::Str)),
        ("scrape_configs", Ty::List(&Ty::Struct(&SCRAPE_CONFIG))),
        ("storage", Ty::Any),
        ("tracing", Ty::Any),
        ("remote_write", Ty::Any),
        ("remote_read", Ty::Any),
        ("otlp", Ty::Any),
    ],
};

/// `config.GlobalConfig`.
static GLOBAL_CONFIG: Struct = Struct {
    name: "config.plain",
    strict: true,
    fields: &[
        ("scrape_interval", Ty::Duration),
        ("scrape_timeout", Ty::Duration),
        ("scrape_protocols", Ty::List(&Ty::Str)),
        ("evaluation_interval", Ty::Duration),
        ("rule_query_offset", Ty::Duration),
        ("query_log_file", Ty::Str),
        ("scrape_failure_log_file", Ty::Str),
        ("external_labels", Ty::Map(&Ty::Str)),
        ("body_size_limit", Ty::Str),
        ("sample_limit", Ty::Uint),
        ("target_limit", Ty::Uint),
        ("label_limit", Ty::Uint),
        ("label_name_length_limit", Ty::Uint),
        ("label_value_length_limit", Ty::Uint),
        ("keep_dropped_targets", Ty::Uint),
        ("metric_name_validation_scheme", Ty::Str),
        ("metric_name_escaping_scheme", Ty::Str),
        ("scrape_native_histograms", Ty::Bool),
        ("convert_classic_histograms_to_nhcb", Ty::Bool),
        ("always_scrape_classic_histograms", Ty::Bool),
        ("extra_scrape_metrics", Ty::Bool),
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
    let Some(doc) = o11y_model::yaml::parse(text).map_err(yaml_error)? else {
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
/// the order of the text. The playground scrapes its first static target,
/// so it needs one.
pub fn check_scrape_config(text: &str) -> Result<ScrapeConfig, Vec<RelabelError>> {
    let doc = o11y_model::yaml::parse(text)
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
    let config = scrape_config_of(&doc, DEFAULT_SCRAPE_INTERVAL_MS, &mut errors);
    if config.discovered.get("__address__").is_none() {
        let statics = doc
            .get("static_configs")
            .map(Node::items)
            .unwrap_or_default();
        let at = statics
            .first()
            .filter(|g| !g.is_null())
            .or(doc.get("static_configs"))
            .unwrap_or(&doc);
        errors.push(err(at, "static_configs needs a target"));
    }
    if !errors.is_empty() {
        errors.sort_by_key(|e| (e.line, e.col));
        return Err(errors);
    }
    Ok(config)
}

/// Prometheus's default `scrape_interval`.
const DEFAULT_SCRAPE_INTERVAL_MS: i64 = 60_000;

/// Checks a whole `prometheus.yml` as `promtool check config` does, as far
/// as scraping goes: the global section, every scrape job (relabeling,
/// static targets, intervals, HTTP client settings) and unique job names.
/// Rule files, remote storage and alerting are only checked to be there
/// (their files are not read). Returns each job, or every problem found,
/// in the order of the text.
///
/// ```
/// use o11y_metrics::relabel::check_prometheus_config;
///
/// let jobs = check_prometheus_config("scrape_configs:\n  - job_name: node\n    static_configs: [{targets: ['n1:9100']}]\n").unwrap();
/// assert_eq!(jobs[0].discovered.get("__address__"), Some("n1:9100"));
/// let errors = check_prometheus_config("scrape_configs:\n  - job_name: a\n  - job_name: a\n").unwrap_err();
/// assert_eq!(errors[0].to_string(), "3:15: found multiple scrape configs with job name \"a\"");
/// ```
pub fn check_prometheus_config(text: &str) -> Result<Vec<ScrapeConfig>, Vec<RelabelError>> {
    let Some(doc) = o11y_model::yaml::parse(text).map_err(yaml_error)? else {
        // An empty file is Prometheus's defaults.
        return Ok(Vec::new());
    };
    let mut problems = Vec::new();
    typed::check(&doc, Ty::Struct(&PROMETHEUS_CONFIG), "", &mut problems);
    if !problems.is_empty() {
        return Err(problems.into_iter().map(RelabelError::from).collect());
    }
    let mut errors = Vec::new();
    let global = doc.get("global").filter(|g| !g.is_null());
    let duration = |node: Option<&Node>, key: &str| {
        node.and_then(|n| n.get(key))
            .filter(|d| !d.is_null())
            .and_then(|d| o11y_model::duration::parse_duration(&typed::string(d)).ok())
            .unwrap_or(0)
    };
    let mut interval_ms = duration(global, "scrape_interval");
    if interval_ms == 0 {
        interval_ms = DEFAULT_SCRAPE_INTERVAL_MS;
    }
    if let Some(g) = global {
        if duration(global, "scrape_timeout") > interval_ms {
            let at = g.get("scrape_timeout").unwrap_or(g);
            errors.push(err(
                at,
                "global scrape timeout greater than scrape interval",
            ));
        }
        for (name, _) in g
            .get("external_labels")
            .map(Node::entries)
            .unwrap_or_default()
        {
            if typed::string(name).is_empty() {
                errors.push(err(name, "\"\" is not a valid label name"));
            }
        }
    }
    for file in doc.get("rule_files").map(Node::items).unwrap_or_default() {
        let path = typed::string(file);
        // Prometheus's `patRulePath`: a glob only in the last element.
        let valid = match path.split_once('*') {
            None => true,
            Some((_, rest)) => !rest.contains(['*', '/']),
        };
        if !valid {
            errors.push(err(file, format!("invalid rule file path {path:?}")));
        }
    }
    let mut jobs: Vec<ScrapeConfig> = Vec::new();
    for job in doc
        .get("scrape_configs")
        .map(Node::items)
        .unwrap_or_default()
    {
        if job.is_null() {
            errors.push(err(job, "empty or null scrape config section"));
            continue;
        }
        let config = scrape_config_of(job, interval_ms, &mut errors);
        if !config.job_name.is_empty() && jobs.iter().any(|j| j.job_name == config.job_name) {
            errors.push(err(
                job.get("job_name").unwrap_or(job),
                format!(
                    "found multiple scrape configs with job name {:?}",
                    config.job_name
                ),
            ));
        }
        jobs.push(config);
    }
    if !errors.is_empty() {
        errors.sort_by_key(|e| (e.line, e.col));
        return Err(errors);
    }
    Ok(jobs)
}

/// A scrape job already type-checked: its configuration, problems into
/// `errors`. `global_interval_ms` is the interval it inherits.
fn scrape_config_of(
    doc: &Node,
    global_interval_ms: i64,
    errors: &mut Vec<RelabelError>,
) -> ScrapeConfig {
    let get = |k: &str| doc.get(k).filter(|n| !n.is_null());
    let job_name = doc.get("job_name").map(typed::string).unwrap_or_default();
    if job_name.is_empty() {
        errors.push(err(doc.get("job_name").unwrap_or(doc), "job_name is empty"));
    }
    if let Some(p) = typed::http_client_config_problem(doc) {
        errors.push(p.into());
    }
    let duration = |k: &str| {
        get(k)
            .and_then(|d| o11y_model::duration::parse_duration(&typed::string(d)).ok())
            .unwrap_or(0)
    };
    let mut interval_ms = duration("scrape_interval");
    if interval_ms == 0 {
        interval_ms = global_interval_ms;
    }
    if duration("scrape_timeout") > interval_ms {
        errors.push(err(
            get("scrape_timeout").unwrap_or(doc),
            format!("scrape timeout greater than scrape interval for scrape config with job name {job_name:?}"),
        ));
    }
    let statics = get("static_configs").map(Node::items).unwrap_or_default();
    let relabeled = get("relabel_configs").is_some_and(|l| !l.items().is_empty());
    for group in statics {
        for target in group.get("targets").map(Node::items).unwrap_or_default() {
            let address = typed::string(target);
            // Prometheus's check for URLs given as targets, which
            // relabeling may still rewrite.
            if !relabeled && address.contains('/') {
                errors.push(err(target, format!("{address:?} is not a valid hostname")));
            }
        }
        for (name, _) in group.get("labels").map(Node::entries).unwrap_or_default() {
            if typed::string(name).is_empty() {
                errors.push(err(name, "\"\" is not a valid label name"));
            }
        }
    }
    let first_group = statics.first().filter(|g| !g.is_null());
    let address = first_group
        .and_then(|g| g.get("targets"))
        .map(Node::items)
        .unwrap_or_default()
        .first()
        .map(typed::string);
    let text_or =
        |key: &str, default: &str| get(key).map_or_else(|| default.to_string(), typed::string);
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
            .map(|l| configs_of(l, null_message, errors))
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
    ScrapeConfig {
        job_name,
        discovered: Labels::new(pairs),
        relabel_configs,
        metric_relabel_configs,
    }
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
    // Compiled as Prometheus compiles it, in Go's syntax.
    let regex = go_regex(&format!("^(?s:{regex_text})$"))
        .and_then(|translated| Regex::new(&translated).map_err(|e| e.to_string()))
        .map_err(|e| {
            err(
                get("regex").unwrap_or(node),
                format!("invalid regex {regex_text:?}: {e}"),
            )
        })?;
    let source_labels = get("source_labels");
    // `model.LabelNames`: each a label name, which may be any UTF-8 but empty.
    if let Some(empty) = source_labels
        .map(Node::items)
        .unwrap_or_default()
        .iter()
        .find(|n| typed::string(n).is_empty())
    {
        return Err(err(empty, "\"\" is not a valid label name"));
    }
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
        && !o11y_model::labels::is_valid_label_name(&c.target_label)
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
            if !o11y_model::labels::is_valid_label_name(&target) {
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

/// Rewrites a regular expression in Go's syntax (`regexp/syntax` with
/// Perl flags, what Prometheus and Alertmanager compile) into the `regex`
/// crate's, for the same language; or Go's error for what Go refuses.
/// The two RE2 dialects differ: Go takes `\Q…\E`, octal escapes,
/// `\p{^Greek}`, a `{` that starts no repetition as a literal, `[[]` and
/// `[\d-z]`, and refuses `a**`, `a{1001}`, `(a{100}){100}`, `(?x)` and
/// `[a--b]`, where the `regex` crate does the opposite. `\d`, `\w`, `\s`
/// and `\b` come out ASCII-only, as in Go. Capture groups keep their
/// numbers (a repeated name is kept on its first group only). Give it the
/// whole pattern Go compiles, anchors included (`^(?s:…)$`): `a)|(b` is
/// valid only inside them.
///
/// ```
/// use o11y_metrics::relabel::go_regex;
///
/// assert_eq!(go_regex(r"\Qa.b\E").unwrap(), r"a\x{2e}b");
/// assert!(go_regex("x{1001}").is_err());
/// assert!(regex::Regex::new(&go_regex("a{,5}").unwrap()).unwrap().is_match("a{,5}"));
/// ```
pub fn go_regex(pattern: &str) -> Result<String, String> {
    GoRegex {
        chars: pattern.chars().collect(),
        at: 0,
        out: String::with_capacity(pattern.len() + 8),
        names: Vec::new(),
    }
    .translate()
}

/// Go's limit on a repetition count, and on nested counts multiplied.
const GO_MAX_REPEAT: u64 = 1000;

/// What the last piece of an expression was, for the repetition checks:
/// repetitions nest only through groups (`(a*)*`, not `a**`), and
/// `n`-fold repetitions multiply (`(a{10}){10}` is 100 copies).
#[derive(Clone, Copy)]
enum Piece {
    /// Nothing to repeat: the start, after `|` or `(`, or a flags group.
    Nothing,
    /// An atom, and the most copies of anything in it.
    Atom(u64),
    /// A repetition (`*`, `+`, `?`, `{n,m}`, lazy or not).
    Repeated(u64),
}

struct GoRegex {
    chars: Vec<char>,
    at: usize,
    out: String,
    names: Vec<String>,
}

impl GoRegex {
    fn peek(&self, ahead: usize) -> Option<char> {
        self.chars.get(self.at + ahead).copied()
    }

    fn translate(mut self) -> Result<String, String> {
        // Per open group: the most copies seen in it so far.
        let mut groups: Vec<u64> = Vec::new();
        let mut most = 1;
        let mut last = Piece::Nothing;
        while let Some(c) = self.peek(0) {
            self.at += 1;
            match c {
                '(' => {
                    most = most.max(copies(last));
                    if self.peek(0) == Some('?') {
                        self.at += 1;
                        if !self.group_options()? {
                            // `(?i)`: flags for the rest, not a group.
                            last = Piece::Nothing;
                            continue;
                        }
                    } else {
                        self.out.push('(');
                    }
                    groups.push(most);
                    most = 1;
                    last = Piece::Nothing;
                }
                ')' => {
                    let inner = most.max(copies(last));
                    most = groups
                        .pop()
                        .ok_or_else(|| format!("unexpected ): `{}`", self.text()))?;
                    self.out.push(')');
                    last = Piece::Atom(inner);
                }
                '|' => {
                    most = most.max(copies(last));
                    self.out.push('|');
                    last = Piece::Nothing;
                }
                '*' | '+' | '?' => {
                    let op = self.lazy(c.to_string());
                    last = repeated(last, &op, 1)?;
                    self.out.push_str(&op);
                }
                '{' => match self.repeat_counts() {
                    None => {
                        most = most.max(copies(last));
                        self.out.push_str(r"\x{7b}");
                        last = Piece::Atom(1);
                    }
                    Some((min, max, text)) => {
                        let op = self.lazy(text);
                        if min.max(max.unwrap_or(min)) > GO_MAX_REPEAT
                            || max.is_some_and(|m| m < min)
                        {
                            return Err(format!("invalid repeat count: `{op}`"));
                        }
                        let n = max.unwrap_or(min);
                        let at_least_2 = min >= 2 || max.is_some_and(|m| m >= 2);
                        last = repeated(last, &op, if n == 0 { 1 } else { n })?;
                        if at_least_2 && n > 0 && copies(last) > GO_MAX_REPEAT {
                            return Err(format!("invalid repeat count: `{op}`"));
                        }
                        let max_text = max.map_or(String::new(), |m| m.to_string());
                        let lazy = if op.ends_with('?') { "?" } else { "" };
                        self.out.push_str(&format!("{{{min},{max_text}}}{lazy}"));
                    }
                },
                '[' => {
                    most = most.max(copies(last));
                    self.class()?;
                    last = Piece::Atom(1);
                }
                '\\' => {
                    most = most.max(copies(last));
                    last = Piece::Atom(1);
                    if self.peek(0) == Some('Q') {
                        self.at += 1;
                        self.quoted();
                    } else {
                        let escape = self.escape(false)?;
                        self.out.push_str(&escape);
                    }
                }
                '.' | '^' | '$' => {
                    most = most.max(copies(last));
                    self.out.push(c);
                    last = Piece::Atom(1);
                }
                c => {
                    most = most.max(copies(last));
                    push_literal(&mut self.out, c);
                    last = Piece::Atom(1);
                }
            }
        }
        if !groups.is_empty() {
            return Err(format!("missing closing ): `{}`", self.text()));
        }
        Ok(self.out)
    }

    fn text(&self) -> String {
        self.chars.iter().collect()
    }

    /// A repetition operator `op` and its lazy `?`, if any.
    fn lazy(&mut self, mut op: String) -> String {
        if self.peek(0) == Some('?') {
            self.at += 1;
            op.push('?');
        }
        op
    }

    /// After `(?`: a named group (`P<name>` or `<name>`), a group with
    /// flags (`i:`) or flags alone (`i)`). Whether a group opened.
    fn group_options(&mut self) -> Result<bool, String> {
        let rest: String = self.chars[self.at..].iter().collect();
        let name_start = ["P<", "<"].iter().find(|p| rest.starts_with(**p));
        if let Some(prefix) = name_start {
            let body = &rest[prefix.len()..];
            let end = body
                .find('>')
                .ok_or_else(|| format!("invalid named capture: `(?{rest}`"))?;
            let name = &body[..end];
            if name.is_empty() || !name.chars().all(|c| c == '_' || c.is_ascii_alphanumeric()) {
                return Err(format!(
                    "invalid named capture: `(?{}`",
                    &rest[..prefix.len() + end + 1]
                ));
            }
            self.at += prefix.chars().count() + name.chars().count() + 1;
            if self.names.iter().any(|n| n == name) {
                self.out.push('(');
            } else {
                self.names.push(name.to_string());
                self.out.push_str(&format!("(?P<{name}>"));
            }
            return Ok(true);
        }
        let end = rest
            .find([':', ')'])
            .ok_or_else(|| format!("missing closing ): `{}`", self.text()))?;
        let flags = &rest[..end];
        let off = flags.split_once('-').map_or("", |(_, off)| off);
        let valid = flags.chars().all(|c| "imsU-".contains(c))
            && !off.contains('-')
            && !(flags.contains('-') && off.is_empty());
        if !valid {
            return Err(format!(
                "invalid or unsupported Perl syntax: `(?{}`",
                &rest[..=end]
            ));
        }
        self.at += flags.chars().count() + 1;
        let group = rest[end..].starts_with(':');
        match (flags.is_empty(), group) {
            (true, true) => self.out.push_str("(?:"),
            (true, false) => {}
            (false, true) => self.out.push_str(&format!("(?{flags}:")),
            (false, false) => self.out.push_str(&format!("(?{flags})")),
        }
        Ok(group)
    }

    /// After `{`: Go's `{n}`, `{n,}` or `{n,m}` (no leading zeros), as
    /// min, max (`None` for no limit) and its text; `None` if the `{` is a
    /// literal.
    fn repeat_counts(&mut self) -> Option<(u64, Option<u64>, String)> {
        let start = self.at;
        let number = |s: &mut Self| -> Option<u64> {
            let from = s.at;
            while s.peek(0).is_some_and(|c| c.is_ascii_digit()) {
                s.at += 1;
            }
            let digits: String = s.chars[from..s.at].iter().collect();
            if digits.is_empty() || (digits.len() > 1 && digits.starts_with('0')) {
                return None;
            }
            // Go gives up at 8 digits; anything that long is too many.
            Some(digits.parse().unwrap_or(u64::MAX).min(100_000_000))
        };
        let parsed = (|| {
            let min = number(self)?;
            let max = if self.peek(0) == Some(',') {
                self.at += 1;
                if self.peek(0) == Some('}') {
                    None
                } else {
                    Some(number(self)?)
                }
            } else {
                Some(min)
            };
            (self.peek(0) == Some('}')).then(|| {
                self.at += 1;
                (min, max)
            })
        })();
        match parsed {
            Some((min, max)) => {
                let text: String = self.chars[start - 1..self.at].iter().collect();
                Some((min, max, text))
            }
            None => {
                self.at = start;
                None
            }
        }
    }

    /// After `\Q`: literal text up to `\E` or the end. (Prometheus and
    /// Alertmanager wrap a regex in `^(?:…)$`: without `\E`, the closing
    /// `)` is quoted too and the group is never closed.)
    fn quoted(&mut self) {
        while let Some(c) = self.peek(0) {
            self.at += 1;
            if c == '\\' && self.peek(0) == Some('E') {
                self.at += 1;
                return;
            }
            push_literal(&mut self.out, c);
        }
    }

    /// After a `\` (in a class when `in_class`): the escape for the
    /// `regex` crate.
    fn escape(&mut self, in_class: bool) -> Result<String, String> {
        let c = self
            .peek(0)
            .ok_or_else(|| "trailing backslash at end of expression".to_string())?;
        self.at += 1;
        Ok(match c {
            'd' => perl_class("0-9", false, in_class),
            'D' => perl_class("0-9", true, in_class),
            'w' => perl_class("0-9A-Za-z_", false, in_class),
            'W' => perl_class("0-9A-Za-z_", true, in_class),
            's' => perl_class(r"\t\n\x0C\r ", false, in_class),
            'S' => perl_class(r"\t\n\x0C\r ", true, in_class),
            'b' | 'B' | 'A' | 'z' if !in_class => match c {
                'b' => r"(?-u:\b)".into(),
                'B' => r"(?-u:\B)".into(),
                _ => format!("\\{c}"),
            },
            'p' | 'P' => self.unicode_class(c)?,
            'a' | 'f' | 'n' | 'r' | 't' | 'v' => format!("\\{c}"),
            'x' => {
                let hex: String = if self.peek(0) == Some('{') {
                    let end = self.chars[self.at..]
                        .iter()
                        .position(|c| *c == '}')
                        .ok_or_else(|| "invalid escape sequence: `\\x{`".to_string())?;
                    let h: String = self.chars[self.at + 1..self.at + end].iter().collect();
                    self.at += end + 1;
                    h
                } else {
                    let h: String = self.chars[self.at..].iter().take(2).collect();
                    self.at += h.chars().count();
                    if h.len() < 2 {
                        return Err(format!("invalid escape sequence: `\\x{h}`"));
                    }
                    h
                };
                let code = (!hex.is_empty() && hex.chars().all(|c| c.is_ascii_hexdigit()))
                    .then(|| u32::from_str_radix(&hex, 16).ok())
                    .flatten()
                    .and_then(char::from_u32)
                    .ok_or_else(|| format!("invalid escape sequence: `\\x{hex}`"))?;
                literal(code)
            }
            '0'..='7' => {
                // `\1`…`\7` alone would be a backreference, which Go lacks.
                let octal = |c: Option<char>| c.is_some_and(|c| ('0'..='7').contains(&c));
                if c != '0' && !octal(self.peek(0)) {
                    return Err(format!("invalid escape sequence: `\\{c}`"));
                }
                let mut code = c.to_digit(8).unwrap_or(0);
                for _ in 0..2 {
                    match self.peek(0).and_then(|d| d.to_digit(8)) {
                        Some(d) => {
                            code = code * 8 + d;
                            self.at += 1;
                        }
                        None => break,
                    }
                }
                literal(char::from_u32(code).unwrap_or('\0'))
            }
            c if c.is_ascii() && !c.is_ascii_alphanumeric() => literal(c),
            c => return Err(format!("invalid escape sequence: `\\{c}`")),
        })
    }

    /// After `\p` or `\P`: `\pL`, `\p{Greek}`, `\p{^Greek}` (negated).
    fn unicode_class(&mut self, p: char) -> Result<String, String> {
        let name: String = if self.peek(0) == Some('{') {
            let end = self.chars[self.at..]
                .iter()
                .position(|c| *c == '}')
                .ok_or_else(|| format!("invalid character class range: `\\{p}{{`"))?;
            let n: String = self.chars[self.at + 1..self.at + end].iter().collect();
            self.at += end + 1;
            n
        } else {
            let n = self
                .peek(0)
                .ok_or_else(|| format!("invalid character class range: `\\{p}`"))?;
            self.at += 1;
            n.to_string()
        };
        let (negated, name) = match name.strip_prefix('^') {
            Some(n) => (p == 'p', n.to_string()),
            None => (p == 'P', name),
        };
        if name.is_empty() || !name.chars().all(|c| c == '_' || c.is_ascii_alphanumeric()) {
            return Err(format!("invalid character class range: `\\{p}{{{name}}}`"));
        }
        Ok(format!("\\{}{{{name}}}", if negated { 'P' } else { 'p' }))
    }

    /// After `[`: a class, Go's way (a leading `]` is literal, `[` is
    /// literal unless it opens `[:alpha:]`, `-` makes a range only between
    /// two characters), written with every literal escaped.
    fn class(&mut self) -> Result<(), String> {
        let start = self.at - 1;
        let missing = |s: &Self| {
            let text: String = s.chars[start..].iter().collect();
            format!("missing closing ]: `{text}`")
        };
        self.out.push('[');
        if self.peek(0) == Some('^') {
            self.at += 1;
            self.out.push('^');
        }
        let mut first = true;
        loop {
            let c = self.peek(0).ok_or_else(|| missing(self))?;
            if c == ']' && !first {
                self.at += 1;
                self.out.push(']');
                return Ok(());
            }
            first = false;
            if c == '[' && self.peek(1) == Some(':') {
                let rest: String = self.chars[self.at + 2..].iter().collect();
                if let Some(end) = rest.find(":]") {
                    let name = &rest[..end];
                    let known = [
                        "alnum", "alpha", "ascii", "blank", "cntrl", "digit", "graph", "lower",
                        "print", "punct", "space", "upper", "word", "xdigit",
                    ];
                    if !known.contains(&name.strip_prefix('^').unwrap_or(name)) {
                        return Err(format!("invalid character class range: `[:{name}:]`"));
                    }
                    self.out.push_str(&format!("[:{name}:]"));
                    self.at += 2 + name.chars().count() + 2;
                    continue;
                }
            }
            if c == '\\'
                && matches!(
                    self.peek(1),
                    Some('d' | 'D' | 'w' | 'W' | 's' | 'S' | 'p' | 'P')
                )
            {
                self.at += 1;
                let class = self.escape(true)?;
                self.out.push_str(&class);
                continue;
            }
            let lo = self.class_char()?;
            if self.peek(0) == Some('-') && self.peek(1).is_some_and(|c| c != ']') {
                self.at += 1;
                let hi = self.class_char()?;
                if hi < lo {
                    return Err(format!("invalid character class range: `{lo}-{hi}`"));
                }
                self.out
                    .push_str(&format!("{}-{}", literal(lo), literal(hi)));
            } else {
                self.out.push_str(&literal(lo));
            }
        }
    }

    /// One character of a class, escaped or not.
    fn class_char(&mut self) -> Result<char, String> {
        let c = self
            .peek(0)
            .ok_or_else(|| "missing closing ]".to_string())?;
        self.at += 1;
        if c != '\\' {
            return Ok(c);
        }
        let escape = self.escape(true)?;
        // A single character escaped: `\x{…}`, `\n`, or itself.
        let mut chars = escape.chars();
        if let (Some(c), None) = (chars.next(), chars.next()) {
            return Ok(c);
        }
        let unescaped = match escape.as_str() {
            r"\a" => Some('\x07'),
            r"\f" => Some('\x0C'),
            r"\n" => Some('\n'),
            r"\r" => Some('\r'),
            r"\t" => Some('\t'),
            r"\v" => Some('\x0B'),
            e => e
                .strip_prefix(r"\x{")
                .and_then(|h| h.strip_suffix('}'))
                .and_then(|h| u32::from_str_radix(h, 16).ok())
                .and_then(char::from_u32),
        };
        unescaped.ok_or_else(|| format!("invalid escape sequence: `{escape}`"))
    }
}

/// `\d`-like classes as Go has them, ASCII only, in or out of a class.
fn perl_class(set: &str, negated: bool, in_class: bool) -> String {
    match (negated, in_class) {
        (false, true) => set.to_string(),
        (false, false) => format!("[{set}]"),
        (true, _) => format!("[^{set}]"),
    }
}

/// A character matched as itself: letters, digits and anything not ASCII
/// as written, the rest as `\x{…}`.
fn literal(c: char) -> String {
    let mut out = String::new();
    push_literal(&mut out, c);
    out
}

fn push_literal(out: &mut String, c: char) {
    if c.is_alphanumeric() || !c.is_ascii() {
        out.push(c);
    } else {
        out.push_str(&format!("\\x{{{:x}}}", u32::from(c)));
    }
}

/// The most copies of anything in `piece`.
fn copies(piece: Piece) -> u64 {
    match piece {
        Piece::Nothing => 1,
        Piece::Atom(n) | Piece::Repeated(n) => n,
    }
}

/// `piece` repeated by `op` (`n` copies at most, 1 for `*`, `+`, `?`).
fn repeated(piece: Piece, op: &str, n: u64) -> Result<Piece, String> {
    match piece {
        Piece::Nothing => Err(format!("missing argument to repetition operator: `{op}`")),
        Piece::Repeated(_) => Err(format!("invalid nested repetition operator: `{op}`")),
        Piece::Atom(inner) => Ok(Piece::Repeated(inner.saturating_mul(n))),
    }
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

    #[test]
    fn replace_target_label_with_non_ascii_letters_is_refused() {
        // `\w` matched any Unicode letter; Go's is ASCII, so `naïve` is no
        // label name for Prometheus.
        let e = parse_configs("- {source_labels: [a], target_label: naïve}").unwrap_err();
        assert!(e.message.contains("invalid 'target_label'"), "{e}");
        assert!(parse_configs("- {source_labels: [a], target_label: 'na_${1}ve'}").is_ok());
    }

    #[test]
    fn an_empty_source_label_name_is_refused() {
        // `source_labels` are label names, which may not be empty.
        assert_eq!(
            errors("- {source_labels: [a, ''], target_label: x}"),
            ["1:23: \"\" is not a valid label name"]
        );
    }

    #[test]
    fn regexes_are_compiled_as_go_compiles_them() {
        // (pattern, Go compiles it, a text it matches whole, one it does not)
        let cases: &[(&str, bool, &str, &str)] = &[
            (r"\Qa.b\E", true, "a.b", "axb"),
            (r"\Qa.b\E+", true, "a.bbb", "a.ba.b"),
            ("a{,5}", true, "a{,5}", "aaaaa"),
            ("a{", true, "a{", "a"),
            ("x{01}", true, "x{01}", "x"),
            (r"\141\0", true, "a\0", "a0"),
            (r"[\d-z]+", true, "1-z", "a"),
            ("[[]", true, "[", "]"),
            ("[]a]", true, "]", "b"),
            ("[[:alpha]", true, "[", "b"),
            ("[a&&b~~c]", true, "&", "d"),
            (r"\p{^Greek}", true, "a", "α"),
            (r"\d", true, "3", "٣"),
            (r"\w\s", true, "a ", "é "),
            ("(?)a", true, "a", "b"),
            ("(?i-s:A.)", true, "ab", "a\n"),
            ("(?P<x>a)(?P<x>b)", true, "ab", "ba"),
            ("a)|(b", true, "b", "c"),
            ("(a{10}){100}", true, "", ""),
            ("a{1001}", false, "", ""),
            ("a{3,2}", false, "", ""),
            ("(a{100}){100}", false, "", ""),
            ("a**", false, "", ""),
            ("a{2}{3}", false, "", ""),
            ("a*??", false, "", ""),
            ("(?x)a", false, "", ""),
            ("(?i-)a", false, "", ""),
            ("[a--b]", false, "", ""),
            ("[z-a]", false, "", ""),
            ("[[:letters:]]", false, "", ""),
            (r"[\b]", false, "", ""),
            (r"\1", false, "", ""),
            (r"\8", false, "", ""),
            (r"\Qa", false, "", ""),
            ("(?=a)", false, "", ""),
            (r"\C", false, "", ""),
            ("*a", false, "", ""),
        ];
        for (pattern, compiles, matched, unmatched) in cases {
            let yaml = format!("- {{source_labels: [a], regex: '{pattern}', action: keep}}");
            let configs = parse_configs(&yaml);
            assert_eq!(configs.is_ok(), *compiles, "{pattern}: {configs:?}");
            if let Ok(c) = configs
                && (!matched.is_empty() || !unmatched.is_empty())
            {
                assert!(
                    c[0].regex.is_match(matched),
                    "{pattern} matches {matched:?}"
                );
                assert!(
                    !c[0].regex.is_match(unmatched),
                    "{pattern} on {unmatched:?}"
                );
            }
        }
        // The first of two groups of one name keeps it, for `${x}`.
        let c = parse_configs("- {source_labels: [a], regex: '(?P<x>.)(?P<x>.)', target_label: b, replacement: '${x}'}").unwrap();
        let out = process(&Labels::new([("a", "12")]), &c).unwrap();
        assert_eq!(out.get("b"), Some("1"));
    }

    fn prometheus_errors(text: &str) -> Vec<String> {
        check_prometheus_config(text)
            .unwrap_err()
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    #[test]
    fn a_prometheus_yml_is_checked_job_by_job() {
        let text = "\
global:
  scrape_interval: 30s
  external_labels: {'': x}
rule_files: ['a/*.yml', 'b/*/c.yml']
scrape_configs:
  - job_name: node
    scrape_timeout: 45s
    static_configs:
      - targets: ['http://n1:9100/metrics']
        labels: {'': x}
  - job_name: node
    bearer_token: a
    bearer_token_file: b
  - ~
";
        assert_eq!(
            prometheus_errors(text),
            [
                "3:21: \"\" is not a valid label name",
                "4:25: invalid rule file path \"b/*/c.yml\"",
                "7:21: scrape timeout greater than scrape interval for scrape config with job name \"node\"",
                "9:19: \"http://n1:9100/metrics\" is not a valid hostname",
                "10:18: \"\" is not a valid label name",
                "11:5: at most one of bearer_token & bearer_token_file must be configured",
                "11:15: found multiple scrape configs with job name \"node\"",
                "14:5: empty or null scrape config section",
            ]
        );
        assert_eq!(
            prometheus_errors("global: {scrape_interval: 5s, scrape_timeout: 10s}\n"),
            ["1:47: global scrape timeout greater than scrape interval"]
        );
        assert_eq!(
            prometheus_errors(
                "scrape_config: []\nscrape_configs: [{job_name: a, scrape_intreval: 1m}]\n"
            ),
            [
                "1:1: field scrape_config not found in type config.plain",
                "2:32: field scrape_intreval not found in type config.ScrapeConfig",
            ]
        );
        // Relabeling may rewrite a URL into an address; no targets is fine;
        // an empty file is Prometheus's defaults.
        let jobs = check_prometheus_config(
            "scrape_configs:\n  - job_name: probe\n    static_configs: [{targets: ['https://x/health']}]\n    relabel_configs: [{target_label: __address__, replacement: 'bb:9115'}]\n  - job_name: none\n",
        )
        .unwrap();
        assert_eq!(jobs.len(), 2);
        assert_eq!(jobs[1].discovered.get("__address__"), None);
        assert!(check_prometheus_config("# nothing\n").unwrap().is_empty());
    }

    #[test]
    fn scrape_configs_take_prometheus_s_other_fields() {
        // Limits, HTTP client settings and discovery were unknown fields.
        let c = check_scrape_config(
            "job_name: k8s\nhonor_timestamps: false\nsample_limit: 1000\nbody_size_limit: 10MB\nparams: {module: [http_2xx]}\nbasic_auth: {username: u, password: p}\ntls_config: {insecure_skip_verify: true}\nkubernetes_sd_configs: [{role: pod}]\nstatic_configs: [{targets: ['a:80']}]\n",
        );
        assert!(c.is_ok(), "{c:?}");
        let e = parse_scrape_config(
            "job_name: x\nauthorization: {credentials: a}\nbasic_auth: {username: u}\nstatic_configs: [{targets: ['a:80']}]\n",
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "2:16: at most one of basic_auth, oauth2 & authorization must be configured"
        );
    }
}
