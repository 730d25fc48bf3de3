//! Scrape configs and whole `prometheus.yml` files, checked as
//! `promtool check config` checks them as far as scraping goes: the typed
//! table of `config.Config` and `config.ScrapeConfig`, then the global
//! section, each job (relabeling, static targets, intervals, HTTP client
//! settings) and unique job names.

use o11y_model::labels::Labels;
use o11y_model::yaml::Node;
use o11y_model::yaml::typed::{self, Struct, Ty};

use super::config::{
    RELABEL_CONFIGS, RelabelConfig, RelabelError, configs_of, err, first, yaml_error,
};

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
        .ok_or_else(|| vec![RelabelError::at_line(1, 1, "the scrape config is empty")])?;
    let mut problems = Vec::new();
    typed::check(&doc, Ty::Struct(&SCRAPE_CONFIG), "", &mut problems);
    if !problems.is_empty() {
        return Err(problems);
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
        o11y_model::sort::sort_by_key(&mut errors[..], |e| (e.line, e.col));
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
        return Err(problems);
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
        o11y_model::sort::sort_by_key(&mut errors[..], |e| (e.line, e.col));
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
        errors.push(p);
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

#[cfg(test)]
mod tests {
    use super::*;

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
