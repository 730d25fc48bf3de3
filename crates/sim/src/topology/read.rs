//! Reading a topology from JSON or YAML, and where its errors are: a
//! field's path from the root (`services[5].endpoints[0].latency_ms`) and
//! the line and column it was written at.

use super::{Topology, TopologyError};

/// A field of a topology, as a path from its root:
/// `services[5].endpoints[0].latency_ms`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FieldPath(Vec<PathStep>);

#[derive(Clone, Debug, PartialEq, Eq)]
enum PathStep {
    Key(String),
    Index(usize),
}

impl FieldPath {
    pub(super) fn key(&self, key: &str) -> FieldPath {
        let mut steps = self.0.clone();
        steps.push(PathStep::Key(key.to_string()));
        FieldPath(steps)
    }

    pub(super) fn index(&self, index: usize) -> FieldPath {
        let mut steps = self.0.clone();
        steps.push(PathStep::Index(index));
        FieldPath(steps)
    }

    /// The path serde_path_to_error reports for a value of the wrong type.
    fn from_serde(path: &serde_path_to_error::Path) -> FieldPath {
        use serde_path_to_error::Segment;
        FieldPath(
            path.iter()
                .filter_map(|s| match s {
                    Segment::Seq { index } => Some(PathStep::Index(*index)),
                    Segment::Map { key } => Some(PathStep::Key(key.clone())),
                    _ => None,
                })
                .collect(),
        )
    }

    /// The node this path names in a document, or the deepest one on the
    /// way that exists (a missing field is reported at its mapping).
    fn locate<'n>(&self, root: &'n o11y_model::yaml::Node) -> &'n o11y_model::yaml::Node {
        let mut node = root;
        for step in &self.0 {
            let next = match step {
                PathStep::Key(k) => node.get(k),
                PathStep::Index(i) => node.items().get(*i),
            };
            match next {
                Some(n) => node = n,
                None => break,
            }
        }
        node
    }
}

impl std::fmt::Display for FieldPath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.0.is_empty() {
            return f.write_str("topology");
        }
        for (i, step) in self.0.iter().enumerate() {
            match step {
                PathStep::Key(k) if i == 0 => write!(f, "{k}")?,
                PathStep::Key(k) => write!(f, ".{k}")?,
                PathStep::Index(n) => write!(f, "[{n}]")?,
            }
        }
        Ok(())
    }
}

/// A field whose value the simulator cannot run, and why.
pub(super) struct Violation {
    field: FieldPath,
    message: String,
}

impl Violation {
    pub(super) fn new(field: FieldPath, message: impl Into<String>) -> Violation {
        Violation {
            field,
            message: message.into(),
        }
    }

    /// The error, at the field's place in `document` if there is one.
    pub(super) fn into_error(self, document: Option<&o11y_model::yaml::Node>) -> TopologyError {
        let (line, col) = document.map_or((0, 0), |d| {
            let n = self.field.locate(d);
            (n.line, n.col)
        });
        TopologyError::Invalid {
            field: self.field.to_string(),
            line,
            col,
            message: self.message,
        }
    }
}

impl Topology {
    /// A topology written as JSON.
    pub fn from_json(text: &str) -> Result<Topology, TopologyError> {
        Topology::from_text(text)
    }

    /// A topology written as JSON or YAML (told apart by the first
    /// character), checked: every error names its field and where it was
    /// written.
    pub fn from_text(text: &str) -> Result<Topology, TopologyError> {
        let is_json = text.trim_start().starts_with('{');
        // Positions come from the YAML tree, which JSON is too; JSON that
        // the YAML reader refuses (a tab where YAML wants none) still
        // loads, its errors without a position.
        let document = o11y_model::yaml::parse(text);
        let value = if is_json {
            serde_json::from_str::<serde_json::Value>(text).map_err(|e| json_syntax(&e))?
        } else {
            match &document {
                Ok(Some(node)) => node.to_json(),
                Ok(None) => {
                    return Err(TopologyError::Invalid {
                        field: "topology".into(),
                        line: 1,
                        col: 1,
                        message: "the topology is empty".into(),
                    });
                }
                Err(e) => {
                    return Err(TopologyError::Syntax {
                        format: "YAML",
                        line: e.line,
                        col: e.col,
                        message: e.message.clone(),
                    });
                }
            }
        };
        let document = document.ok().flatten();
        let topology: Topology = serde_path_to_error::deserialize(value).map_err(|e| {
            let field = FieldPath::from_serde(e.path());
            Violation::new(field, e.into_inner().to_string()).into_error(document.as_ref())
        })?;
        topology
            .check()
            .map_err(|v| v.into_error(document.as_ref()))?;
        Ok(topology)
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }
}

/// A JSON syntax error at serde_json's line and column (its message
/// without the position it appends).
fn json_syntax(e: &serde_json::Error) -> TopologyError {
    let text = e.to_string();
    let suffix = format!(" at line {} column {}", e.line(), e.column());
    TopologyError::Syntax {
        format: "JSON",
        line: e.line(),
        col: e.column(),
        message: text.strip_suffix(&suffix).unwrap_or(&text).to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::topology::SMALL;

    /// The error for `SMALL` with `from` replaced by `to`.
    fn error_of(from: &str, to: &str) -> String {
        assert!(SMALL.contains(from), "{from}");
        Topology::from_text(&SMALL.replacen(from, to, 1))
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn every_error_converts_to_a_diagnostic_with_its_text() {
        use o11y_model::diag::Diagnostic;
        let syntax = Topology::from_text("services: [\n").unwrap_err();
        let d = Diagnostic::from(&syntax);
        assert_eq!((d.line, d.col, d.to_string()), (2, 1, syntax.to_string()));
        let invalid =
            Topology::from_text(&SMALL.replace("latency_ms: 5", "latency_ms: 0")).unwrap_err();
        let d = Diagnostic::from(&invalid);
        let place = (d.line, d.col, d.path.as_str());
        assert_eq!(place, (5, 21, "services[0].endpoints[0].latency_ms"));
        assert_eq!(d.to_string(), invalid.to_string());
        let failure = TopologyError::Failure {
            field: "service".into(),
            message: "no such service".into(),
        };
        assert_eq!(Diagnostic::from(&failure).to_string(), failure.to_string());
    }

    #[test]
    fn every_number_out_of_range_is_refused_at_its_place() {
        assert!(Topology::from_text(SMALL).is_ok());
        let cases = [
            (
                "latency_ms: 5",
                "latency_ms: 1e308",
                "5:21: services[0].endpoints[0].latency_ms: 1e+308 is out of range: it must be above 0 and at most 3.6e+06",
            ),
            (
                "latency_ms: 5",
                "latency_ms: 0",
                "5:21: services[0].endpoints[0].latency_ms: 0 is out of range",
            ),
            (
                "latency_ms: 5",
                "latency_ms: 3600001",
                "5:21: services[0].endpoints[0].latency_ms: 3.600001e+06 is out of range",
            ),
            (
                "latency_ms: 5",
                "latency_ms: 5\n        sigma: 9999999",
                "6:16: services[0].endpoints[0].sigma: 9.999999e+06 is out of range: it must be from 0 to 4",
            ),
            (
                "latency_ms: 5",
                "latency_ms: 5\n        sigma: -1",
                "6:16: services[0].endpoints[0].sigma: -1 is out of range",
            ),
            (
                "latency_ms: 5",
                "latency_ms: 5\n        error_rate: 1.5",
                "6:21: services[0].endpoints[0].error_rate: 1.5 is out of range: it must be from 0 to 1",
            ),
            (
                "retries: 1",
                "retries: 11",
                "7:49: services[0].endpoints[0].calls[0].retries: 11 is out of range: it must be from 0 to 10",
            ),
            (
                "retries: 1",
                "retries: 1, timeout_ms: 0",
                "7:64: services[0].endpoints[0].calls[0].timeout_ms: 0 is out of range",
            ),
            (
                "retries: 1",
                "retries: 1, timeout_ms: 1e9",
                "7:64: services[0].endpoints[0].calls[0].timeout_ms: 1e+09 is out of range",
            ),
            (
                "weight: 1",
                "weight: 1e7",
                "12:27: entry[0].weight: 1e+07 is out of range: it must be from 0 to 1e+06",
            ),
            (
                "weight: 1",
                "weight: 0",
                "12:3: entry: traffic needs an entry point with a weight above 0",
            ),
            (
                "requests_per_s: 40",
                "requests_per_s: 10001",
                "13:17: requests_per_s: 10001 is out of range: it must be from 0 to 10000",
            ),
            (
                "requests_per_s: 40",
                "requests_per_s: -1",
                "13:17: requests_per_s: -1 is out of range",
            ),
            // Of the wrong type: where it was written, and what was expected.
            (
                "latency_ms: 5",
                "latency_ms: [5]",
                "5:21: services[0].endpoints[0].latency_ms: invalid type: sequence, expected f64",
            ),
            (
                "latency_ms: 5",
                "latency_ms: NaN",
                "5:21: services[0].endpoints[0].latency_ms: invalid type: string \"NaN\", expected f64",
            ),
            (
                "retries: 1",
                "retries: -1",
                "7:49: services[0].endpoints[0].calls[0].retries: invalid value: integer `-1`, expected u32",
            ),
            (
                "retries: 1",
                "retries: 99999999999",
                "7:49: services[0].endpoints[0].calls[0].retries: invalid value",
            ),
            (
                "latency_ms: 5",
                "latency_ms: 5\n        sigmaa: 1",
                "6:17: services[0].endpoints[0].sigmaa: unknown field `sigmaa`, expected one of `name`",
            ),
            (
                "  - name: db",
                "  - name: web",
                "8:11: services[1].name: there is already a service named \"web\"",
            ),
            (
                "endpoint: q,",
                "endpoint: r,",
                "7:13: services[0].endpoints[0].calls[0]: web / calls db r, which does not exist",
            ),
        ];
        for (from, to, expected) in cases {
            let err = error_of(from, to);
            assert!(
                err.starts_with(expected),
                "{to}:\n  got      {err}\n  expected {expected}"
            );
        }
    }

    #[test]
    fn json_errors_have_positions_too() {
        let json = Topology::default().to_json().replacen(
            "\"latency_ms\": 8.0",
            "\"latency_ms\": 1e300",
            1,
        );
        let err = Topology::from_text(&json).unwrap_err().to_string();
        assert!(
            err.starts_with("10:25: services[0].endpoints[0].latency_ms: 1e+300 is out of range"),
            "{err}"
        );
        let err = Topology::from_text("{\"services\": [}")
            .unwrap_err()
            .to_string();
        assert_eq!(err, "1:15: topology JSON: expected value");
        // JSON indented with tabs, which YAML refuses: still read, the error without a position.
        let tabbed = json.replace("  ", "\t");
        let err = Topology::from_text(&tabbed).unwrap_err().to_string();
        assert!(
            err.contains("services[0].endpoints[0].latency_ms: 1e+300 is out of range"),
            "{err}"
        );
        let cycle = Topology::default().to_json().replacen(
            "\"calls\": []",
            "\"calls\": [{\"service\": \"frontend\", \"endpoint\": \"/checkout\"}]",
            1,
        );
        let err = Topology::from_text(&cycle).unwrap_err().to_string();
        assert!(err.contains("services[3].endpoints[0].calls[0]: calls go round in a cycle: payment POST /charge calls frontend /checkout, which leads back to it"), "{err}");
    }
}
