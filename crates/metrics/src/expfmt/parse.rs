//! Parsing the Prometheus text format 0.0.4 and OpenMetrics 1.0.
//!
//! Input is read line by line. A bad line gives a [`ParseError`] with its
//! line and column and parsing goes on with the next line, so a paste shows
//! every problem at once. Nothing here panics, whatever the input.

use super::{Exemplar, Family, Format, MetricType, ParsedSample};
use o11y_model::labels::{is_valid_label_name, is_valid_metric_name};
use o11y_model::number::parse_float;

/// A problem in exposition text, at a 1-based line and column (in characters).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("line {line}, column {column}: {message}")]
pub struct ParseError {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl From<&ParseError> for o11y_model::diag::Diagnostic {
    /// The same line, column and message. Its text is the house's
    /// `"{line}:{col}: {message}"`, where this type writes `"line {line},
    /// column {column}: {message}"` as the Metrics page always has.
    fn from(e: &ParseError) -> o11y_model::diag::Diagnostic {
        o11y_model::diag::Diagnostic::at_line(e.line, e.column, e.message.clone())
    }
}

/// At most this many errors are reported; a pasted binary file would
/// otherwise give one per line.
pub const MAX_ERRORS: usize = 100;

/// A position inside one line, for error columns.
struct Cursor<'a> {
    line: &'a str,
    pos: usize,
    line_no: usize,
}

impl<'a> Cursor<'a> {
    fn error(&self, at: usize, message: impl Into<String>) -> ParseError {
        let at = at.min(self.line.len());
        ParseError {
            line: self.line_no,
            column: self.line[..at].chars().count() + 1,
            message: message.into(),
        }
    }

    fn rest(&self) -> &'a str {
        &self.line[self.pos..]
    }

    fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    fn eat(&mut self, c: char) -> bool {
        if self.peek() == Some(c) {
            self.pos += c.len_utf8();
            true
        } else {
            false
        }
    }

    fn skip_blanks(&mut self) -> usize {
        let start = self.pos;
        while matches!(self.peek(), Some(' ' | '\t')) {
            self.pos += 1;
        }
        self.pos - start
    }

    /// A run of characters allowed in metric or label names (validated later).
    fn name(&mut self) -> &'a str {
        let start = self.pos;
        while matches!(self.peek(), Some(c) if c.is_ascii_alphanumeric() || c == '_' || c == ':') {
            self.pos += 1;
        }
        &self.line[start..self.pos]
    }

    /// A run of non-blank characters.
    fn token(&mut self) -> &'a str {
        let start = self.pos;
        while matches!(self.peek(), Some(c) if c != ' ' && c != '\t') {
            self.pos += self.peek().map_or(1, char::len_utf8);
        }
        &self.line[start..self.pos]
    }

    /// A double-quoted label value with `\\`, `\"` and `\n` escapes.
    fn quoted(&mut self) -> Result<String, ParseError> {
        let open = self.pos;
        if !self.eat('"') {
            return Err(self.error(self.pos, "expected '\"' to start the label value"));
        }
        let mut out = String::new();
        loop {
            let Some(c) = self.peek() else {
                return Err(self.error(open, "label value is not closed with '\"'"));
            };
            self.pos += c.len_utf8();
            match c {
                '"' => return Ok(out),
                '\\' => {
                    let escaped = match self.peek() {
                        Some('\\') => '\\',
                        Some('"') => '"',
                        Some('n') => '\n',
                        _ => {
                            return Err(self.error(
                                self.pos - 1,
                                "invalid escape: only \\\\, \\\" and \\n are allowed",
                            ));
                        }
                    };
                    out.push(escaped);
                    self.pos += 1;
                }
                c => out.push(c),
            }
        }
    }

    /// `{name="value", ...}`; the cursor is on the `{`.
    fn labels(&mut self) -> Result<Vec<(String, String)>, ParseError> {
        let mut labels: Vec<(String, String)> = Vec::new();
        self.eat('{');
        loop {
            self.skip_blanks();
            if self.eat('}') {
                return Ok(labels);
            }
            let name_at = self.pos;
            let name = self.name();
            if name.is_empty() {
                let message = match self.peek() {
                    None => "label set is not closed with '}'".to_string(),
                    Some(c) => format!("expected a label name or '}}', found {c:?}"),
                };
                return Err(self.error(name_at, message));
            }
            if !is_valid_label_name(name) {
                return Err(self.error(name_at, format!("invalid label name {name:?}")));
            }
            if labels.iter().any(|(n, _)| n == name) {
                return Err(self.error(name_at, format!("label {name:?} appears twice")));
            }
            self.skip_blanks();
            if !self.eat('=') {
                return Err(self.error(self.pos, format!("expected '=' after label name {name:?}")));
            }
            self.skip_blanks();
            let value = self.quoted()?;
            labels.push((name.to_string(), value));
            self.skip_blanks();
            if self.eat(',') {
                continue;
            }
            if self.eat('}') {
                return Ok(labels);
            }
            let message = match self.peek() {
                None => "label set is not closed with '}'".to_string(),
                Some(c) => format!("expected ',' or '}}' after a label, found {c:?}"),
            };
            return Err(self.error(self.pos, message));
        }
    }
}

/// The families a sample name can belong to: `(base name, suffix)`.
fn belongs_to(family: &Family, sample_name: &str, format: Format) -> bool {
    let Some(suffix) = sample_name.strip_prefix(family.name.as_str()) else {
        return false;
    };
    let allowed: &[&str] = match (family.kind, format) {
        (MetricType::Counter, Format::OpenMetrics) => &["_total", "_created"],
        (MetricType::Counter, Format::Text) => &["", "_created"],
        (MetricType::Histogram, _) => &["_bucket", "_sum", "_count", "_created"],
        (MetricType::GaugeHistogram, _) => &["_bucket", "_gsum", "_gcount"],
        (MetricType::Summary, _) => &["", "_sum", "_count", "_created"],
        (MetricType::Info, Format::OpenMetrics) => &["_info"],
        _ => &[""],
    };
    allowed.contains(&suffix)
}

struct Parser<'a> {
    format: Format,
    families: Vec<Family>,
    errors: Vec<ParseError>,
    /// Names that had a TYPE or HELP line, to catch repeats.
    described: Vec<(String, &'a str)>,
}

impl<'a> Parser<'a> {
    fn push_error(&mut self, e: ParseError) {
        if self.errors.len() < MAX_ERRORS {
            self.errors.push(e);
        }
    }

    /// The family a metadata line for `name` describes, created if new.
    fn family_for_metadata(&mut self, name: &str) -> &mut Family {
        let is_current = self
            .families
            .last()
            .is_some_and(|f| f.name == name && f.samples.is_empty());
        if !is_current {
            self.families.push(Family::new(name, MetricType::Unknown));
        }
        let last = self.families.len() - 1;
        &mut self.families[last]
    }

    fn metadata(&mut self, cur: &mut Cursor<'a>) -> Result<(), ParseError> {
        // The cursor is after "#".
        if cur.skip_blanks() == 0 && self.format == Format::OpenMetrics && cur.peek().is_some() {
            return Err(cur.error(cur.pos, "expected a space after '#'"));
        }
        let keyword_at = cur.pos;
        let keyword = cur.token();
        let kind = match keyword {
            "HELP" | "TYPE" | "UNIT" => keyword,
            "EOF" if self.format == Format::OpenMetrics => return Ok(()),
            _ if self.format == Format::Text => return Ok(()), // a plain comment
            _ => {
                return Err(cur.error(
                    keyword_at,
                    format!("unknown line {keyword:?}: expected HELP, TYPE, UNIT or EOF"),
                ));
            }
        };
        if kind == "UNIT" && self.format == Format::Text {
            return Ok(()); // not part of 0.0.4: a comment
        }
        if cur.skip_blanks() == 0 {
            return Err(cur.error(cur.pos, format!("expected a metric name after # {kind}")));
        }
        let name_at = cur.pos;
        let name = cur.name();
        if !is_valid_metric_name(name) {
            cur.pos = name_at;
            let found = cur.token();
            return Err(cur.error(name_at, format!("invalid metric name {found:?}")));
        }
        if self.described.iter().any(|(n, k)| n == name && *k == kind) {
            return Err(cur.error(keyword_at, format!("second {kind} line for {name}")));
        }
        self.described.push((name.to_string(), kind));
        let has_text = cur.skip_blanks() > 0;
        let text = cur.rest();
        match kind {
            "HELP" => {
                let help = unescape_help(text, self.format)
                    .map_err(|offset| cur.error(cur.pos + offset, "invalid escape in help text"))?;
                self.family_for_metadata(name).help = Some(help);
            }
            "UNIT" => {
                // OpenMetrics: a family with a unit is named with it as a suffix.
                if !text.is_empty() && !name.ends_with(&format!("_{text}")) {
                    return Err(cur.error(
                        cur.pos,
                        format!("unit {text:?} is not a suffix of metric {name:?}"),
                    ));
                }
                self.family_for_metadata(name).unit = Some(text.to_string());
            }
            _ => {
                let type_at = cur.pos;
                let kind = match (text.trim_end(), has_text) {
                    (t, true) => MetricType::parse(t, self.format),
                    _ => None,
                }
                .ok_or_else(|| {
                    cur.error(
                        type_at,
                        format!("unknown metric type {:?}", text.trim_end()),
                    )
                })?;
                if self
                    .families
                    .iter()
                    .any(|f| f.name == name && !f.samples.is_empty())
                {
                    return Err(cur.error(
                        keyword_at,
                        format!("TYPE for {name} comes after its samples"),
                    ));
                }
                self.family_for_metadata(name).kind = kind;
            }
        }
        Ok(())
    }

    fn sample(&mut self, cur: &mut Cursor<'a>) -> Result<(), ParseError> {
        let name_at = cur.pos;
        let name = cur.name();
        if name.is_empty() || !is_valid_metric_name(name) {
            cur.pos = name_at;
            let found = cur.token();
            return Err(cur.error(name_at, format!("expected a metric name, found {found:?}")));
        }
        let mut blanks = cur.skip_blanks();
        let labels = if cur.peek() == Some('{') {
            let labels = cur.labels()?;
            blanks = cur.skip_blanks();
            labels
        } else {
            Vec::new()
        };
        let value_at = cur.pos - blanks;
        if blanks == 0 || cur.peek().is_none() {
            let message = match cur.peek() {
                None => format!("expected a value after {name}"),
                Some(c) => format!("unexpected {c:?} in metric name"),
            };
            return Err(cur.error(cur.pos, message));
        }
        let value_text = cur.token();
        let value = parse_float(value_text)
            .ok_or_else(|| cur.error(value_at + blanks, format!("invalid value {value_text:?}")))?;
        let ts_ms = self.timestamp(cur)?;
        let mut exemplar = None;
        if cur.skip_blanks() > 0 && cur.peek() == Some('#') {
            if self.format == Format::Text {
                return Err(cur.error(cur.pos, "exemplars are only allowed in OpenMetrics"));
            }
            exemplar = Some(self.exemplar(cur)?);
        }
        cur.skip_blanks();
        if let Some(c) = cur.peek() {
            return Err(cur.error(cur.pos, format!("unexpected {c:?} after the sample")));
        }
        self.check_special_labels(cur, name, &labels)?;
        let sample = ParsedSample {
            name: name.to_string(),
            labels,
            value,
            ts_ms,
            exemplar,
            line: cur.line_no,
        };
        let fits_current = self
            .families
            .last()
            .is_some_and(|f| belongs_to(f, name, self.format));
        if !fits_current {
            if let Some(earlier) = self
                .families
                .iter()
                .find(|f| belongs_to(f, name, self.format) && !f.samples.is_empty())
            {
                let message = format!(
                    "samples of {} must be together; {name} continues it after other metrics",
                    earlier.name
                );
                return Err(cur.error(name_at, message));
            }
            self.families.push(Family::new(name, MetricType::Unknown));
        }
        if let Some(family) = self.families.last_mut() {
            family.samples.push(sample);
        }
        Ok(())
    }

    fn timestamp(&mut self, cur: &mut Cursor<'a>) -> Result<Option<i64>, ParseError> {
        let save = cur.pos;
        if cur.skip_blanks() == 0 || matches!(cur.peek(), None | Some('#')) {
            cur.pos = save;
            return Ok(None);
        }
        let at = cur.pos;
        let text = cur.token();
        let ts_ms = match self.format {
            Format::Text => text.parse::<i64>().ok(),
            Format::OpenMetrics => parse_float(text)
                .filter(|s| s.is_finite() && s.abs() < 9.2e15)
                .map(|s| (s * 1000.0).round() as i64),
        };
        ts_ms
            .map(Some)
            .ok_or_else(|| cur.error(at, format!("invalid timestamp {text:?}")))
    }

    fn exemplar(&mut self, cur: &mut Cursor<'a>) -> Result<Exemplar, ParseError> {
        cur.eat('#');
        if cur.skip_blanks() == 0 || cur.peek() != Some('{') {
            return Err(cur.error(cur.pos, "expected ' {' to start the exemplar's labels"));
        }
        let labels_at = cur.pos;
        let labels = cur.labels()?;
        let runes: usize = labels
            .iter()
            .map(|(n, v)| n.chars().count() + v.chars().count())
            .sum();
        if runes > 128 {
            return Err(cur.error(
                labels_at,
                format!("exemplar labels have {runes} characters; at most 128 are allowed"),
            ));
        }
        let at = cur.pos;
        if cur.skip_blanks() == 0 {
            return Err(cur.error(at, "expected the exemplar's value"));
        }
        let value_text = cur.token();
        let value = parse_float(value_text)
            .ok_or_else(|| cur.error(at + 1, format!("invalid exemplar value {value_text:?}")))?;
        let ts_ms = self.timestamp(cur)?;
        Ok(Exemplar {
            labels,
            value,
            ts_ms,
        })
    }

    /// `le` on histogram buckets and `quantile` on summaries must be numbers.
    fn check_special_labels(
        &self,
        cur: &Cursor<'a>,
        name: &str,
        labels: &[(String, String)],
    ) -> Result<(), ParseError> {
        let Some(family) = self
            .families
            .last()
            .filter(|f| belongs_to(f, name, self.format))
        else {
            return Ok(());
        };
        let required = match family.kind {
            MetricType::Histogram | MetricType::GaugeHistogram if name.ends_with("_bucket") => {
                Some("le")
            }
            MetricType::Summary if name == family.name => Some("quantile"),
            _ => None,
        };
        if let Some(label) = required {
            match labels.iter().find(|(n, _)| n == label) {
                None => return Err(cur.error(0, format!("{name} needs a {label:?} label"))),
                Some((_, v)) if parse_float(v).is_none() => {
                    return Err(cur.error(0, format!("{label}={v:?} is not a number")));
                }
                Some(_) => {}
            }
        }
        Ok(())
    }
}

/// Unescapes help text: `\\` and `\n`, plus `\"` in OpenMetrics. On error,
/// the byte offset of the bad escape.
fn unescape_help(text: &str, format: Format) -> Result<String, usize> {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.char_indices();
    while let Some((i, c)) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some((_, '\\')) => out.push('\\'),
            Some((_, 'n')) => out.push('\n'),
            Some((_, '"')) if format == Format::OpenMetrics => out.push('"'),
            // The text format keeps other backslashes as they are.
            Some((_, other)) if format == Format::Text => {
                out.push('\\');
                out.push(other);
            }
            None if format == Format::Text => out.push('\\'),
            _ => return Err(i),
        }
    }
    Ok(out)
}

/// Parses exposition text in the given format.
pub fn parse(text: &str, format: Format) -> Result<Vec<Family>, Vec<ParseError>> {
    let mut parser = Parser {
        format,
        families: Vec::new(),
        errors: Vec::new(),
        described: Vec::new(),
    };
    let mut eof_line = None;
    let lines: Vec<&str> = text.split('\n').collect();
    // A final newline does not start another line.
    let count = if text.ends_with('\n') {
        lines.len() - 1
    } else {
        lines.len()
    };
    for (i, raw) in lines.iter().take(count).enumerate() {
        let line_no = i + 1;
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        let mut cur = Cursor {
            line,
            pos: 0,
            line_no,
        };
        if let Some(eof) = eof_line {
            parser.push_error(cur.error(0, format!("nothing may follow # EOF (line {eof})")));
            break;
        }
        if format == Format::OpenMetrics && line == "# EOF" {
            eof_line = Some(line_no);
            continue;
        }
        cur.skip_blanks();
        let result = match cur.peek() {
            None if format == Format::OpenMetrics => {
                Err(cur.error(0, "blank lines are not allowed in OpenMetrics"))
            }
            None => Ok(()),
            Some('#') => {
                cur.eat('#');
                parser.metadata(&mut cur)
            }
            Some(_) => parser.sample(&mut cur),
        };
        if let Err(e) = result {
            parser.push_error(e);
        }
    }
    if format == Format::OpenMetrics && eof_line.is_none() {
        let column = lines
            .get(count.saturating_sub(1))
            .map_or(0, |l| l.chars().count());
        parser.push_error(ParseError {
            line: count.max(1),
            column: column + 1,
            message: "OpenMetrics text must end with a line \"# EOF\"".to_string(),
        });
    }
    if parser.errors.is_empty() {
        Ok(parser.families)
    } else {
        Err(parser.errors)
    }
}
