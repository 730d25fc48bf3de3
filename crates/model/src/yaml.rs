//! YAML documents as trees that remember where every node was written, so
//! that errors in rule files and topologies point at their line and column
//! (as `promtool check rules` does). Parsing is yaml-rust2's (YAML 1.2);
//! this module builds the tree from its events, resolves aliases, and
//! refuses duplicate keys as Go's yaml.v3 does.
//!
//! ```
//! let doc = o11y_model::yaml::parse("groups:\n  - name: a\n").unwrap().unwrap();
//! let name = doc.get("groups").unwrap().items()[0].get("name").unwrap();
//! assert_eq!((name.as_str(), name.line, name.col), (Some("a"), 2, 11));
//! ```

pub mod typed;

use std::collections::HashMap;

use yaml_rust2::Event;
use yaml_rust2::parser::{MarkedEventReceiver, Parser};
use yaml_rust2::scanner::{Marker, TScalarStyle};

/// A node and where it starts (1-based line and column).
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    pub value: Value,
    pub line: usize,
    pub col: usize,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// A scalar; `plain` when written without quotes or block style (so
    /// `null`, `true` or `5` may mean more than text).
    Scalar {
        text: String,
        plain: bool,
    },
    Seq(Vec<Node>),
    /// Keys and values in the order written.
    Map(Vec<(Node, Node)>),
}

/// A YAML syntax error, at a 1-based line and column (`"{line}:{col}: {message}"`).
pub type YamlError = crate::diag::Diagnostic;

impl Node {
    /// The text of a scalar.
    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Scalar { text, .. } => Some(text),
            _ => None,
        }
    }

    /// Whether this is `null`, `~` or nothing at all.
    pub fn is_null(&self) -> bool {
        matches!(&self.value, Value::Scalar { text, plain: true } if matches!(text.as_str(), "" | "~" | "null" | "Null" | "NULL"))
    }

    /// The value under `key` of a mapping.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entries()
            .iter()
            .find(|(k, _)| k.as_str() == Some(key))
            .map(|(_, v)| v)
    }

    /// The entries of a mapping (none for anything else).
    pub fn entries(&self) -> &[(Node, Node)] {
        match &self.value {
            Value::Map(m) => m,
            _ => &[],
        }
    }

    /// The items of a sequence (none for anything else).
    pub fn items(&self) -> &[Node] {
        match &self.value {
            Value::Seq(s) => s,
            _ => &[],
        }
    }

    /// What kind of node this is, for error messages (as yaml.v3 names them).
    pub fn kind_name(&self) -> &'static str {
        match &self.value {
            Value::Scalar { .. } => "scalar",
            Value::Seq(_) => "sequence",
            Value::Map(_) => "mapping",
        }
    }

    /// The node as JSON: plain scalars that are null, booleans or numbers
    /// become those; everything else is a string.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match &self.value {
            Value::Scalar { text, plain: true } => match text.as_str() {
                "" | "~" | "null" | "Null" | "NULL" => J::Null,
                "true" | "True" | "TRUE" => J::Bool(true),
                "false" | "False" | "FALSE" => J::Bool(false),
                t => t
                    .parse::<i64>()
                    .map(J::from)
                    .ok()
                    .or_else(|| {
                        t.parse::<f64>()
                            .ok()
                            .filter(|f| f.is_finite())
                            .and_then(serde_json::Number::from_f64)
                            .map(J::Number)
                    })
                    .unwrap_or_else(|| J::String(t.to_string())),
            },
            Value::Scalar { text, .. } => J::String(text.clone()),
            Value::Seq(items) => J::Array(items.iter().map(Node::to_json).collect()),
            Value::Map(entries) => {
                J::Object(crate::sort::map_from(entries.iter().map(|(k, v)| {
                    (k.as_str().unwrap_or_default().to_string(), v.to_json())
                })))
            }
        }
    }
}

/// Builds nodes from the parser's events.
#[derive(Default)]
struct Builder {
    /// Open sequences and mappings, with their anchors.
    stack: Vec<(Node, usize)>,
    /// A mapping's key waiting for its value, per open mapping.
    keys: Vec<Option<Node>>,
    anchors: HashMap<usize, Node>,
    document: Option<Node>,
    documents: usize,
    error: Option<YamlError>,
}

fn at(mark: Marker) -> (usize, usize) {
    (mark.line().max(1), mark.col() + 1)
}

impl Builder {
    fn fail(&mut self, line: usize, col: usize, message: String) {
        if self.error.is_none() {
            self.error = Some(YamlError::at_line(line, col, message));
        }
    }

    /// A finished node goes into its parent (or is the document).
    fn finish(&mut self, node: Node, anchor: usize) {
        if anchor > 0 {
            self.anchors.insert(anchor, node.clone());
        }
        let Some((parent, _)) = self.stack.last_mut() else {
            if self.documents == 1 {
                self.document = Some(node);
            }
            return;
        };
        match &mut parent.value {
            Value::Seq(items) => items.push(node),
            Value::Map(entries) => {
                let slot = self.keys.last_mut().expect("a key slot per open mapping");
                match slot.take() {
                    None => *slot = Some(node),
                    Some(key) => {
                        let duplicate = entries
                            .iter()
                            .find(|(k, _)| k.value == key.value)
                            .map(|(k, _)| k.line);
                        let error = duplicate.map(|first| {
                            YamlError::at_line(
                                key.line,
                                key.col,
                                format!(
                                    "mapping key {:?} already defined at line {first}",
                                    key.as_str().unwrap_or("?")
                                ),
                            )
                        });
                        entries.push((key, node));
                        if self.error.is_none() {
                            self.error = error;
                        }
                    }
                }
            }
            Value::Scalar { .. } => {}
        }
    }
}

impl MarkedEventReceiver for Builder {
    fn on_event(&mut self, ev: Event, mark: Marker) {
        let (line, col) = at(mark);
        match ev {
            Event::DocumentStart => self.documents += 1,
            Event::Scalar(text, style, anchor, _) => {
                let plain = style == TScalarStyle::Plain;
                self.finish(
                    Node {
                        value: Value::Scalar { text, plain },
                        line,
                        col,
                    },
                    anchor,
                );
            }
            Event::Alias(id) => match self.anchors.get(&id).cloned() {
                Some(mut node) => {
                    (node.line, node.col) = (line, col);
                    self.finish(node, 0);
                }
                None => self.fail(line, col, "unknown anchor".into()),
            },
            Event::SequenceStart(anchor, _) => self.stack.push((
                Node {
                    value: Value::Seq(Vec::new()),
                    line,
                    col,
                },
                anchor,
            )),
            Event::MappingStart(anchor, _) => {
                self.stack.push((
                    Node {
                        value: Value::Map(Vec::new()),
                        line,
                        col,
                    },
                    anchor,
                ));
                self.keys.push(None);
            }
            Event::SequenceEnd | Event::MappingEnd => {
                if matches!(ev, Event::MappingEnd) {
                    self.keys.pop();
                }
                if let Some((node, anchor)) = self.stack.pop() {
                    self.finish(node, anchor);
                }
            }
            Event::Nothing | Event::StreamStart | Event::StreamEnd | Event::DocumentEnd => {}
        }
    }
}

/// The first document of `text`; `None` when there is none (empty text or
/// only comments).
pub fn parse(text: &str) -> Result<Option<Node>, YamlError> {
    let mut builder = Builder::default();
    let mut parser = Parser::new_from_str(text);
    if let Err(e) = parser.load(&mut builder, false) {
        let (line, col) = at(*e.marker());
        return Err(YamlError::at_line(line, col, e.info()));
    }
    if let Some(e) = builder.error {
        return Err(e);
    }
    Ok(builder.document)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_aliases_and_json() {
        let text = "a: &x\n  b: 1\n  c: 'two'\nd: *x\ne: [true, null, 1.5, 5m]\n";
        let doc = parse(text).unwrap().unwrap();
        let b = doc.get("a").unwrap().get("b").unwrap();
        assert_eq!((b.line, b.col), (2, 6));
        assert_eq!(
            doc.get("d").unwrap().get("c").unwrap().as_str(),
            Some("two")
        );
        assert_eq!(
            doc.to_json()["e"],
            serde_json::json!([true, null, 1.5, "5m"])
        );
        assert_eq!(doc.to_json()["a"]["c"], "two");
    }

    #[test]
    fn errors_have_positions() {
        let err = parse("a: 1\nb: [1, 2\n").unwrap_err();
        assert!(err.line >= 2, "{err}");
        let err = parse("a: 1\nb: 2\na: 3\n").unwrap_err();
        assert_eq!((err.line, err.col), (3, 1));
        assert!(err.message.contains("already defined at line 1"), "{err}");
        assert_eq!(parse("# nothing\n").unwrap(), None);
        assert!(parse("a: *nope\n").is_err());
    }

    #[test]
    fn never_panics_on_junk() {
        for junk in [
            "[",
            "{a: [}",
            "- - -\n  :",
            "a: |\n b\n c: d",
            "\t- x",
            "&a [*a]",
            ": :",
        ] {
            let _ = parse(junk);
        }
    }
}
