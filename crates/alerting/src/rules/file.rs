//! Prometheus rule files: parsing and validation as Prometheus 3's
//! `rulefmt` does it (and so as `promtool check rules` reports it).
//!
//! Every error has the line and column of the YAML node it is about (the
//! PromQL parse errors point inside the expression), and reads as
//! Prometheus writes it: `7:15: group "alerts", rule 1, "HighErrorRate":
//! could not parse expression: …`.

use o11y_model::yaml::{Node, Value};
use o11y_promql::ast::Expr;

/// A parsed rule file.
#[derive(Clone, Debug, Default)]
pub struct RuleFile {
    pub groups: Vec<RuleGroup>,
}

#[derive(Clone, Debug)]
pub struct RuleGroup {
    pub name: String,
    /// How often the group is evaluated; the global interval when `None`
    /// (`interval: 0s` too).
    pub interval_ms: Option<i64>,
    /// How far in the past the group's queries look (`query_offset`).
    pub query_offset_ms: i64,
    /// Most alerts or series a rule may produce (0 = no limit).
    pub limit: usize,
    /// Labels added to every rule's output.
    pub labels: Vec<(String, String)>,
    pub rules: Vec<Rule>,
    pub line: usize,
}

/// Recording or alerting, with its name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RuleKind {
    Record(String),
    Alert(String),
}

#[derive(Clone, Debug)]
pub struct Rule {
    pub kind: RuleKind,
    pub expr_text: String,
    pub expr: Expr,
    pub for_ms: i64,
    pub keep_firing_for_ms: i64,
    pub labels: Vec<(String, String)>,
    pub annotations: Vec<(String, String)>,
    pub line: usize,
    /// Where the expression's text starts (for errors inside it).
    pub expr_line: usize,
    pub expr_col: usize,
}

impl Rule {
    pub fn name(&self) -> &str {
        match &self.kind {
            RuleKind::Record(n) | RuleKind::Alert(n) => n,
        }
    }

    pub fn is_alert(&self) -> bool {
        matches!(self.kind, RuleKind::Alert(_))
    }
}

/// One problem in a rule file, at a 1-based line and column; line 0
/// when the problem has no place (a template error), and then the text is
/// the message alone.
pub type RuleError = o11y_model::diag::Diagnostic;

/// The variables Prometheus defines before every alert template.
pub const TEMPLATE_VARS: [&str; 4] = ["labels", "externalLabels", "externalURL", "value"];

/// A rule as written, before its checks.
#[derive(Default)]
struct RawRule<'n> {
    record: Option<&'n Node>,
    alert: Option<&'n Node>,
    expr: Option<&'n Node>,
    for_: Option<&'n Node>,
    keep_firing_for: Option<&'n Node>,
    labels: Vec<(String, String, &'n Node)>,
    annotations: Vec<(String, String, &'n Node)>,
}

struct Checker {
    errors: Vec<RuleError>,
}

impl Checker {
    fn at(&mut self, node: &Node, message: impl Into<String>) {
        self.errors
            .push(RuleError::at_line(node.line, node.col, message));
    }

    /// A scalar's text, or an error saying what was found instead.
    fn scalar<'n>(&mut self, node: &'n Node, what: &str) -> Option<&'n str> {
        match &node.value {
            Value::Scalar { text, .. } => Some(text),
            _ => {
                self.at(
                    node,
                    format!("cannot unmarshal !!{} into {what}", yaml_tag(node)),
                );
                None
            }
        }
    }

    fn duration(&mut self, node: &Node) -> Option<i64> {
        let text = self.scalar(node, "model.Duration")?;
        match o11y_model::duration::parse_duration(text) {
            Ok(ms) => Some(ms),
            Err(_) => {
                self.at(node, format!("not a valid duration string: {text:?}"));
                None
            }
        }
    }

    /// A mapping of strings (`labels`, `annotations`).
    fn string_map<'n>(&mut self, node: &'n Node, what: &str) -> Vec<(String, String, &'n Node)> {
        if node.is_null() {
            return Vec::new();
        }
        if !matches!(node.value, Value::Map(_)) {
            self.at(
                node,
                format!(
                    "cannot unmarshal !!{} into map[string]string ({what})",
                    yaml_tag(node)
                ),
            );
            return Vec::new();
        }
        let mut out = Vec::new();
        for (k, v) in node.entries() {
            let (Some(k), Some(v)) = (self.scalar(k, "string"), self.scalar(v, "string")) else {
                continue;
            };
            out.push((
                k.to_string(),
                if v_is_null(node, k) {
                    String::new()
                } else {
                    v.to_string()
                },
                node,
            ));
        }
        out
    }

    fn unknown_field(&mut self, key: &Node, ty: &str) {
        let name = key.as_str().unwrap_or("?");
        self.at(key, format!("field {name} not found in type {ty}"));
    }
}

fn v_is_null(map: &Node, key: &str) -> bool {
    map.get(key).is_some_and(Node::is_null)
}

fn yaml_tag(node: &Node) -> &'static str {
    match node.value {
        Value::Scalar { .. } => "str",
        Value::Seq(_) => "seq",
        Value::Map(_) => "map",
    }
}

/// Whether a label name is valid (Prometheus 3 accepts any UTF-8 name
/// that is not empty).
fn valid_label_name(name: &str) -> bool {
    !name.is_empty()
}

/// Parses and checks a rule file. All problems are returned, in the order
/// of the file.
pub fn parse_rule_file(text: &str) -> Result<RuleFile, Vec<RuleError>> {
    let doc = match o11y_model::yaml::parse(text) {
        Ok(Some(doc)) => doc,
        Ok(None) => return Ok(RuleFile::default()),
        Err(e) => {
            return Err(vec![RuleError::at_line(
                e.line,
                e.col,
                format!("yaml: {}", e.message),
            )]);
        }
    };
    let mut c = Checker { errors: Vec::new() };
    let mut file = RuleFile::default();
    if doc.is_null() {
        return Ok(file);
    }
    if !matches!(doc.value, Value::Map(_)) {
        c.at(
            &doc,
            format!(
                "cannot unmarshal !!{} into rulefmt.RuleGroups",
                yaml_tag(&doc)
            ),
        );
        return Err(c.errors);
    }
    let mut groups_node = None;
    for (k, v) in doc.entries() {
        match k.as_str() {
            Some("groups") => groups_node = Some(v),
            _ => c.unknown_field(k, "rulefmt.RuleGroups"),
        }
    }
    let mut names: Vec<String> = Vec::new();
    for g in groups_node.map(Node::items).unwrap_or_default() {
        if let Some(group) = check_group(&mut c, g, &mut names) {
            file.groups.push(group);
        }
    }
    if c.errors.is_empty() {
        Ok(file)
    } else {
        Err(c.errors)
    }
}

fn check_group(c: &mut Checker, g: &Node, names: &mut Vec<String>) -> Option<RuleGroup> {
    if !matches!(g.value, Value::Map(_)) {
        c.at(
            g,
            format!("cannot unmarshal !!{} into rulefmt.RuleGroup", yaml_tag(g)),
        );
        return None;
    }
    let mut group = RuleGroup {
        name: String::new(),
        interval_ms: None,
        query_offset_ms: 0,
        limit: 0,
        labels: Vec::new(),
        rules: Vec::new(),
        line: g.line,
    };
    let mut name_node = g;
    let mut rules_node = None;
    for (k, v) in g.entries() {
        match k.as_str() {
            Some("name") => {
                name_node = v;
                group.name = c.scalar(v, "string").unwrap_or_default().to_string();
            }
            // Zero is the global interval, as Prometheus's rule manager reads it.
            Some("interval") => group.interval_ms = c.duration(v).filter(|&ms| ms != 0),
            Some("query_offset") => group.query_offset_ms = c.duration(v).unwrap_or(0),
            Some("limit") => match c.scalar(v, "int").map(|t| t.parse::<usize>()) {
                Some(Ok(n)) => group.limit = n,
                Some(Err(_)) => c.at(
                    v,
                    format!(
                        "cannot unmarshal !!str `{}` into int",
                        v.as_str().unwrap_or_default()
                    ),
                ),
                None => {}
            },
            Some("labels") => {
                for (name, value, _) in c.string_map(v, "labels") {
                    if !valid_label_name(&name) || name == "__name__" {
                        c.at(v, format!("invalid label name: {name}"));
                    }
                    group.labels.push((name, value));
                }
            }
            Some("rules") => rules_node = Some(v),
            _ => c.unknown_field(k, "rulefmt.RuleGroup"),
        }
    }
    if group.name.is_empty() {
        c.at(name_node, "Groupname must not be empty");
    } else if names.contains(&group.name) {
        c.at(
            name_node,
            format!("groupname: \"{}\" is repeated in the same file", group.name),
        );
    }
    names.push(group.name.clone());
    for (i, r) in rules_node
        .map(Node::items)
        .unwrap_or_default()
        .iter()
        .enumerate()
    {
        if let Some(rule) = check_rule(c, &group.name, i + 1, r) {
            group.rules.push(rule);
        }
    }
    Some(group)
}

fn check_rule(c: &mut Checker, group: &str, index: usize, r: &Node) -> Option<Rule> {
    if !matches!(r.value, Value::Map(_)) {
        c.at(
            r,
            format!("cannot unmarshal !!{} into rulefmt.Rule", yaml_tag(r)),
        );
        return None;
    }
    let mut raw = RawRule::default();
    for (k, v) in r.entries() {
        match k.as_str() {
            Some("record") => raw.record = Some(v),
            Some("alert") => raw.alert = Some(v),
            Some("expr") => raw.expr = Some(v),
            Some("for") => raw.for_ = Some(v),
            Some("keep_firing_for") => raw.keep_firing_for = Some(v),
            Some("labels") => raw.labels = c.string_map(v, "labels"),
            Some("annotations") => raw.annotations = c.string_map(v, "annotations"),
            _ => c.unknown_field(k, "rulefmt.Rule"),
        }
    }
    let text_of = |c: &mut Checker, n: Option<&Node>| {
        n.and_then(|n| c.scalar(n, "string"))
            .unwrap_or("")
            .to_string()
    };
    let record = text_of(c, raw.record);
    let alert = text_of(c, raw.alert);
    let name = if alert.is_empty() {
        record.clone()
    } else {
        alert.clone()
    };
    let before = c.errors.len();
    // Errors of this rule are prefixed as Prometheus prefixes them.
    let mut problems: Vec<(usize, usize, String)> = Vec::new();
    fn problem(problems: &mut Vec<(usize, usize, String)>, node: Option<&Node>, message: String) {
        let (line, col) = node.map_or((0, 0), |n| (n.line, n.col));
        problems.push((line, col, message));
    }
    if !record.is_empty() && !alert.is_empty() {
        problem(
            &mut problems,
            raw.record,
            "only one of 'record' and 'alert' must be set".into(),
        );
    }
    if record.is_empty() && alert.is_empty() {
        problem(
            &mut problems,
            raw.record.or(raw.alert).or(Some(r)),
            "one of 'record' or 'alert' must be set".into(),
        );
    }
    let expr_text = text_of(c, raw.expr);
    let mut expr = None;
    if expr_text.is_empty() {
        problem(
            &mut problems,
            raw.expr.or(Some(r)),
            "field 'expr' must be set in rule".into(),
        );
    } else {
        match o11y_promql::parse(&expr_text) {
            Ok(e) => expr = Some(e),
            Err(e) => {
                // Point inside the expression when it is written on one line after `expr:`.
                let node = raw.expr;
                let (mut line, mut col) = node.map_or((0, 0), |n| (n.line, n.col));
                let plain_one_line = node
                    .is_some_and(|n| matches!(n.value, Value::Scalar { plain: true, .. }))
                    && !expr_text.contains('\n');
                if plain_one_line {
                    col += expr_text[..e.span.start.min(expr_text.len())]
                        .chars()
                        .count();
                } else if node.is_some() {
                    line = line.max(1);
                }
                let (pl, pc) = line_col(&expr_text, e.span.start);
                problems.push((
                    line,
                    col,
                    format!(
                        "could not parse expression: {pl}:{pc}: parse error: {}",
                        e.message
                    ),
                ));
            }
        }
    }
    let for_ms = raw.for_.and_then(|n| c.duration(n)).unwrap_or(0);
    let keep_firing_for_ms = raw.keep_firing_for.and_then(|n| c.duration(n)).unwrap_or(0);
    if !record.is_empty() {
        if !raw.annotations.is_empty() {
            problem(
                &mut problems,
                raw.record,
                "invalid field 'annotations' in recording rule".into(),
            );
        }
        if for_ms != 0 {
            problem(
                &mut problems,
                raw.record,
                "invalid field 'for' in recording rule".into(),
            );
        }
        if keep_firing_for_ms != 0 {
            problem(
                &mut problems,
                raw.record,
                "invalid field 'keep_firing_for' in recording rule".into(),
            );
        }
        if record.contains(['{', '}']) || record.chars().any(char::is_whitespace) {
            problem(
                &mut problems,
                raw.record,
                format!("invalid recording rule name: {record}"),
            );
        }
    }
    for (k, _, node) in &raw.labels {
        if !valid_label_name(k) || k == "__name__" {
            problem(
                &mut problems,
                Some(node),
                format!("invalid label name: {k}"),
            );
        }
    }
    for (k, _, node) in &raw.annotations {
        if !valid_label_name(k) {
            problem(
                &mut problems,
                Some(node),
                format!("invalid annotation name: {k}"),
            );
        }
    }
    // Templates are only checked (and run) for alerting rules.
    if !alert.is_empty() {
        let tmpl_name = format!("__alert_{alert}");
        for (what, list) in [("label", &raw.labels), ("annotation", &raw.annotations)] {
            for (k, v, _) in list {
                if let Err(e) = o11y_template::Template::parse(&tmpl_name, v, &TEMPLATE_VARS) {
                    problems.push((0, 0, format!("{what} {k:?}: {e}")));
                }
            }
        }
    }
    for (line, col, message) in problems {
        c.errors.push(RuleError::at_line(
            line,
            col,
            format!("group {group:?}, rule {index}, {name:?}: {message}"),
        ));
    }
    if c.errors.len() > before {
        return None;
    }
    Some(Rule {
        kind: if alert.is_empty() {
            RuleKind::Record(record)
        } else {
            RuleKind::Alert(alert)
        },
        expr_text,
        expr: expr?,
        for_ms,
        keep_firing_for_ms,
        labels: raw.labels.into_iter().map(|(k, v, _)| (k, v)).collect(),
        annotations: raw
            .annotations
            .into_iter()
            .map(|(k, v, _)| (k, v))
            .collect(),
        line: r.line,
        expr_line: raw.expr.map_or(r.line, |n| n.line),
        expr_col: raw.expr.map_or(r.col, |n| n.col),
    })
}

/// 1-based line and column (in characters) of a byte offset.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
    (line, col)
}

/// A recording rule's name and labels, written more than once.
pub type Duplicate = (String, Vec<(String, String)>);

/// Rules recorded more than once with the same name and labels, as
/// `promtool check rules` lints them: `(name, labels)` per duplicate.
pub fn duplicate_rules(file: &RuleFile) -> Vec<Duplicate> {
    let mut seen: Vec<(&str, Vec<(String, String)>)> = Vec::new();
    let mut dups = Vec::new();
    for g in &file.groups {
        for r in &g.rules {
            let RuleKind::Record(name) = &r.kind else {
                continue;
            };
            let mut labels = r.labels.clone();
            o11y_model::sort::sort(&mut labels[..]);
            if seen.iter().any(|(n, l)| n == name && *l == labels) {
                dups.push((name.clone(), labels.clone()));
            } else {
                seen.push((name, labels));
            }
        }
    }
    dups
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_good_file_parses() {
        let text = "groups:\n  - name: a\n    interval: 30s\n    labels: {team: x}\n    rules:\n      - alert: High\n        expr: rate(x[5m]) > 1\n        for: 5m\n        keep_firing_for: 1m\n        labels: {severity: page}\n        annotations:\n          summary: '{{ $value | humanize }} on {{ $labels.instance }}'\n      - record: job:x:rate5m\n        expr: sum by (job) (rate(x[5m]))\n";
        let file = parse_rule_file(text).unwrap();
        let g = &file.groups[0];
        assert_eq!(
            (g.name.as_str(), g.interval_ms, g.labels.len()),
            ("a", Some(30_000), 1)
        );
        assert_eq!(g.rules[0].for_ms, 300_000);
        assert_eq!(g.rules[0].keep_firing_for_ms, 60_000);
        assert_eq!(g.rules[1].kind, RuleKind::Record("job:x:rate5m".into()));
        assert!(parse_rule_file("").unwrap().groups.is_empty());
    }

    // `interval: 0s` was evaluated every millisecond (27 s of work for ten
    // simulated minutes, found by fuzz_rules); Prometheus uses the global interval.
    #[test]
    fn zero_interval_is_the_global_interval() {
        let text = "groups:\n  - name: a\n    interval: 0s\n    rules:\n      - record: r\n        expr: vector(1)\n";
        assert_eq!(parse_rule_file(text).unwrap().groups[0].interval_ms, None);
    }

    #[test]
    fn errors_read_as_promtool_writes_them() {
        let check = |text: &str| -> Vec<String> {
            parse_rule_file(text)
                .unwrap_err()
                .iter()
                .map(ToString::to_string)
                .collect()
        };
        let errs = check(
            "groups:\n  - name: a\n    rules:\n      - alert: A\n        expr: sum(rate(x[5m])\n",
        );
        assert_eq!(errs.len(), 1);
        // The position is where the parser stopped, inside the expression.
        assert!(
            errs[0].starts_with(
                "5:30: group \"a\", rule 1, \"A\": could not parse expression: 1:16: parse error:"
            ),
            "{errs:?}"
        );
        let errs = check(
            "groups:\n  - name: a\n    rules:\n      - alert: A\n        expr: up\n        annotations:\n          s: '{{ $label.x }}'\n",
        );
        assert_eq!(
            errs,
            [
                "group \"a\", rule 1, \"A\": annotation \"s\": template: __alert_A:1: undefined variable \"$label\""
            ]
        );
        let errs = check(
            "groups:\n  - name: a\n    owner: me\n    rules: []\n  - name: a\n    rules: []\n",
        );
        assert_eq!(
            errs,
            [
                "3:5: field owner not found in type rulefmt.RuleGroup",
                "5:11: groupname: \"a\" is repeated in the same file"
            ]
        );
        let errs = check(
            "groups:\n  - name: r\n    rules:\n      - record: x\n        alert: y\n        expr: up\n      - record: z\n        expr: up\n        for: 5m\n        annotations: {a: b}\n        labels: {__name__: q}\n      - expr: up\n",
        );
        assert_eq!(errs.len(), 5, "{errs:?}");
        assert!(errs[0].contains("only one of 'record' and 'alert' must be set"));
        assert!(
            errs.iter()
                .any(|e| e.contains("invalid field 'for' in recording rule"))
        );
        assert!(
            errs.iter()
                .any(|e| e.contains("invalid label name: __name__"))
        );
        assert!(
            errs.iter()
                .any(|e| e.contains("one of 'record' or 'alert' must be set"))
        );
        let errs = check(
            "groups:\n  - name: a\n    rules:\n      - alert: A\n        expr: up\n        for: 5x\n",
        );
        assert_eq!(errs, ["6:14: not a valid duration string: \"5x\""]);
        let errs = check("groups: [\n");
        assert!(
            errs[0].starts_with("2:") && errs[0].contains("yaml:"),
            "{errs:?}"
        );
        let errs = check("rule_files: [a]\n");
        assert_eq!(
            errs,
            ["1:1: field rule_files not found in type rulefmt.RuleGroups"]
        );
        let errs = check("groups:\n  - name: a\n    rules:\n      - alert: A\n");
        assert!(
            errs[0].contains("field 'expr' must be set in rule"),
            "{errs:?}"
        );
    }

    #[test]
    fn duplicates_are_found() {
        let text = "groups:\n  - name: a\n    rules:\n      - record: r\n        expr: up\n      - record: r\n        expr: up\n      - record: r\n        expr: up\n        labels: {x: y}\n";
        let dups = duplicate_rules(&parse_rule_file(text).unwrap());
        assert_eq!(dups, [("r".to_string(), vec![])]);
    }

    #[test]
    fn junk_never_panics() {
        for junk in [
            "groups: 1",
            "groups: [1, [2], {rules: 3}]",
            "groups:\n - name: [x]\n   rules:\n    - {alert: [], expr: {}}",
            "- a",
            "groups:\n - name: a\n   limit: x\n   labels: 3\n   rules: [{record: a, expr: '1', labels: [1]}]",
        ] {
            let _ = parse_rule_file(junk);
        }
    }
}
