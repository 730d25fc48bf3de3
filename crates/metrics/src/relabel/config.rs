//! A `relabel_config` ([`RelabelConfig`]) read from YAML: first every
//! field against its Go type, then Prometheus's checks
//! (`relabel.Config.Validate`), each problem a [`RelabelError`] at a line
//! and column.

use regex::Regex;

use o11y_model::yaml::Node;
use o11y_model::yaml::typed::{self, Struct, Ty};

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
    pub(super) regex: Regex,
    pub modulus: u64,
    pub replacement: String,
    pub action: Action,
    pub line: usize,
}

/// A configuration problem at a 1-based line and column.
pub type RelabelError = o11y_model::diag::Diagnostic;

pub(super) fn err(node: &Node, message: impl Into<String>) -> RelabelError {
    let (line, col) = typed::start(node);
    RelabelError::at_line(line, col, message)
}

/// The first of several errors (there is always one).
pub(super) fn first(errors: Vec<RelabelError>) -> RelabelError {
    errors
        .into_iter()
        .next()
        .unwrap_or(RelabelError::at_line(1, 1, "invalid configuration"))
}

/// A YAML syntax error, as the only problem.
pub(super) fn yaml_error(e: o11y_model::yaml::YamlError) -> Vec<RelabelError> {
    vec![RelabelError::at_line(
        e.line,
        e.col,
        format!("yaml: {}", e.message),
    )]
}

/// Whether a `target_label` is a label name, possibly with `$1`/`${name}` references.
fn valid_target(t: &str) -> bool {
    static TARGET: std::sync::LazyLock<Regex> = std::sync::LazyLock::new(|| {
        // Go's `\w` is ASCII: `naïve` is no label name.
        Regex::new(r"^(?-u:(?:(?:[a-zA-Z_]|\$(?:\{\w+\}|\w+))+\w*)+)$").expect("static regex")
    });
    TARGET.is_match(t)
}

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

pub(super) static RELABEL_CONFIGS: Ty = Ty::List(&Ty::Struct(&RELABEL_CONFIG));

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
        return Err(problems);
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
pub(super) fn configs_of(
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
    let regex = o11y_model::labels::go_compile(&format!("^(?s:{regex_text})$")).map_err(|e| {
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
