//! Reading YAML mappings of a lesson file field by field, every error at
//! its line and column in the file (an embedded document's positions
//! shifted to where it starts), and times relative to a scenario's start.

use o11y_model::diag::Diagnostic;
use o11y_model::duration::parse_duration;
use o11y_model::labels::Labels;
use o11y_model::yaml::{Node, Value};

/// Moves a diagnostic of an embedded document down by `lines`.
pub(super) fn shift(mut d: Diagnostic, lines: usize) -> Diagnostic {
    if d.line > 0 {
        d.line += lines;
    }
    d
}

/// A YAML mapping read field by field, errors at the field's place in the
/// lesson file (the mapping's document starts after line `offset`).
pub(super) struct Fields<'a> {
    node: &'a Node,
    offset: usize,
    what: &'static str,
}

impl<'a> Fields<'a> {
    pub(super) fn new(
        node: &'a Node,
        offset: usize,
        what: &'static str,
    ) -> Result<Fields<'a>, Diagnostic> {
        if !matches!(node.value, Value::Map(_)) {
            return Err(Diagnostic::at_line(
                node.line + offset,
                node.col,
                format!("the {what} is a mapping of fields"),
            ));
        }
        Ok(Fields { node, offset, what })
    }

    pub(super) fn child(
        &self,
        node: &'a Node,
        what: &'static str,
    ) -> Result<Fields<'a>, Diagnostic> {
        Fields::new(node, self.offset, what)
    }

    /// Where the mapping starts in the file.
    pub(super) fn place(&self) -> (usize, usize) {
        (self.node.line + self.offset, self.node.col)
    }

    /// The line of the document's first line in the file, minus one.
    pub(super) fn offset(&self) -> usize {
        self.offset
    }

    pub(super) fn get(&self, key: &str) -> Option<&'a Node> {
        self.node.get(key).filter(|n| !n.is_null())
    }

    pub(super) fn at(&self, node: &Node, message: impl Into<String>) -> Diagnostic {
        Diagnostic::at_line(node.line + self.offset, node.col, message)
    }

    /// An error at a field (or at the mapping when the field is missing).
    pub(super) fn error(&self, key: &str, message: &str) -> Diagnostic {
        let node = self.node.get(key).unwrap_or(self.node);
        self.at(node, format!("{key}: {message}"))
    }

    /// Refuses fields not in `known`.
    pub(super) fn only(&self, known: &[&str]) -> Result<(), Diagnostic> {
        for (k, _) in self.node.entries() {
            let name = k.as_str().unwrap_or_default();
            if !known.contains(&name) {
                return Err(self.at(
                    k,
                    format!(
                        "unknown field {name:?} in the {}; known: {}",
                        self.what,
                        known.join(", ")
                    ),
                ));
            }
        }
        Ok(())
    }

    pub(super) fn opt_str(&self, key: &str) -> Result<Option<String>, Diagnostic> {
        match self.get(key) {
            None => Ok(None),
            Some(n) => n.as_str().map(|s| Some(s.to_string())).ok_or_else(|| {
                self.at(
                    n,
                    format!("{key}: expected text, found a {}", n.kind_name()),
                )
            }),
        }
    }

    pub(super) fn req_str(&self, key: &str) -> Result<String, Diagnostic> {
        self.opt_str(key)?
            .ok_or_else(|| self.error(key, "this field is required"))
    }

    pub(super) fn opt_bool(&self, key: &str) -> Result<Option<bool>, Diagnostic> {
        match self.opt_str(key)?.as_deref() {
            None => Ok(None),
            Some("true") => Ok(Some(true)),
            Some("false") => Ok(Some(false)),
            Some(_) => Err(self.error(key, "expected true or false")),
        }
    }

    pub(super) fn seq(&self, key: &str) -> Result<Vec<&'a Node>, Diagnostic> {
        match self.get(key) {
            None => Ok(Vec::new()),
            Some(n) => match &n.value {
                Value::Seq(items) => Ok(items.iter().collect()),
                _ => Err(self.at(
                    n,
                    format!("{key}: expected a list, found a {}", n.kind_name()),
                )),
            },
        }
    }

    pub(super) fn str_list(&self, key: &str) -> Result<Vec<String>, Diagnostic> {
        self.seq(key)?
            .into_iter()
            .map(|n| {
                n.as_str().map(str::to_string).ok_or_else(|| {
                    self.at(
                        n,
                        format!("{key}: expected text, found a {}", n.kind_name()),
                    )
                })
            })
            .collect()
    }

    /// A mapping of names to text, in the order written.
    pub(super) fn map_pairs(&self, key: &str) -> Result<Vec<(String, String)>, Diagnostic> {
        let Some(n) = self.get(key) else {
            return Ok(Vec::new());
        };
        if !matches!(n.value, Value::Map(_)) {
            return Err(self.at(n, format!("{key}: expected a mapping of names to values")));
        }
        n.entries()
            .iter()
            .map(|(k, v)| match (k.as_str(), v.as_str()) {
                (Some(k), Some(v)) => Ok((k.to_string(), v.to_string())),
                _ => Err(self.at(v, format!("{key}: values are text"))),
            })
            .collect()
    }

    /// A list of label sets, each written `{a="b", …}`.
    pub(super) fn label_sets(&self, key: &str) -> Result<Vec<Labels>, Diagnostic> {
        let list = self
            .seq(key)?
            .into_iter()
            .map(|n| {
                let text = n.as_str().ok_or_else(|| {
                    self.at(n, format!("{key}: each is a label set `{{a=\"b\"}}`"))
                })?;
                crate::relabel::parse_labels(text)
                    .map_err(|e| self.at(n, format!("{key}: {}", e.message)))
            })
            .collect::<Result<Vec<_>, _>>()?;
        if list.is_empty() {
            return Err(self.error(key, "list at least one label set"));
        }
        Ok(list)
    }

    /// A time relative to the scenario's start: `0`, `now`, `-10m`, `5m`.
    pub(super) fn offset_of(&self, node: &Node) -> Result<i64, Diagnostic> {
        let text = node
            .as_str()
            .ok_or_else(|| self.at(node, "a time is a duration such as -10m"))?;
        parse_offset(text).ok_or_else(|| {
            self.at(
                node,
                format!("{text:?} is not a time: write a duration from the scenario's start, such as -10m, or 0"),
            )
        })
    }

    pub(super) fn opt_offset(&self, key: &str) -> Result<Option<i64>, Diagnostic> {
        self.get(key).map(|n| self.offset_of(n)).transpose()
    }

    pub(super) fn req_offset(&self, key: &str) -> Result<i64, Diagnostic> {
        self.opt_offset(key)?
            .ok_or_else(|| self.error(key, "this field is required"))
    }

    /// `[from, to]`, two times.
    pub(super) fn window_of(&self, node: &Node) -> Result<(i64, i64), Diagnostic> {
        match &node.value {
            Value::Seq(items) if items.len() == 2 => {
                let (a, b) = (self.offset_of(&items[0])?, self.offset_of(&items[1])?);
                if b < a {
                    return Err(self.at(node, "a window ends after it starts"));
                }
                Ok((a, b))
            }
            _ => Err(self.at(node, "a window is [from, to], such as [-20m, -10m]")),
        }
    }

    pub(super) fn window(&self, key: &str) -> Result<(i64, i64), Diagnostic> {
        let n = self
            .get(key)
            .ok_or_else(|| self.error(key, "this field is required"))?;
        self.window_of(n)
    }
}

/// `0`, `now`, or a Prometheus duration with an optional sign, in ms.
pub fn parse_offset(text: &str) -> Option<i64> {
    let t = text.trim();
    if t == "0" || t == "now" {
        return Some(0);
    }
    let (sign, d) = match t.strip_prefix('-') {
        Some(rest) => (-1, rest),
        None => (1, t.strip_prefix('+').unwrap_or(t)),
    };
    parse_duration(d).ok().map(|ms| sign * ms)
}
