//! Label sets and label matchers: the identity of a series and how it is selected.
//!
//! A [`Labels`] is kept sorted by name, so two sets with the same pairs are
//! equal and hash alike. As in Prometheus, a label with an empty value is the
//! same as no label at all, so [`Labels::new`] drops empty values.
//!
//! ```
//! use o11y_model::labels::{Labels, Matcher, MatchOp};
//!
//! let labels = Labels::new([("__name__", "up"), ("job", "api")]);
//! assert_eq!(labels.to_string(), r#"up{job="api"}"#);
//! let m = Matcher::new(MatchOp::Regex, "job", "a.*").unwrap();
//! assert!(m.matches(&labels));
//! ```

use std::collections::HashMap;
use std::fmt;

use regex::Regex;

/// The label that holds a series' metric name.
pub const METRIC_NAME: &str = "__name__";

/// One label: a name and a (non-empty) value.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Label {
    pub name: String,
    pub value: String,
}

/// A set of labels sorted by name, with unique names and no empty values.
/// Shared: a clone is a reference count, as query results copy label sets
/// at every step.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Labels(std::sync::Arc<Vec<Label>>);

impl Labels {
    /// Builds a set from pairs. A later pair wins over an earlier one with the
    /// same name; pairs with an empty value are dropped.
    pub fn new<N, V>(pairs: impl IntoIterator<Item = (N, V)>) -> Self
    where
        N: Into<String>,
        V: Into<String>,
    {
        let mut labels: Vec<Label> = Vec::new();
        for (name, value) in pairs {
            let (name, value) = (name.into(), value.into());
            match labels.iter_mut().find(|l| l.name == name) {
                Some(existing) => existing.value = value,
                None => labels.push(Label { name, value }),
            }
        }
        labels.retain(|l| !l.value.is_empty());
        labels.sort();
        Labels(std::sync::Arc::new(labels))
    }

    /// The value of a label, if the set has it.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .binary_search_by(|l| l.name.as_str().cmp(name))
            .ok()
            .map(|i| self.0[i].value.as_str())
    }

    /// The metric name (`__name__`), if any.
    pub fn metric_name(&self) -> Option<&str> {
        self.get(METRIC_NAME)
    }

    /// A copy of this set without one label.
    pub fn without(&self, name: &str) -> Labels {
        if self.get(name).is_none() {
            return self.clone();
        }
        let kept: Vec<Label> = self.0.iter().filter(|l| l.name != name).cloned().collect();
        Labels(std::sync::Arc::new(kept))
    }

    /// A copy of this set with one label set (or removed, for an empty value).
    pub fn with(&self, name: &str, value: &str) -> Labels {
        if value.is_empty() {
            return self.without(name);
        }
        // Sorted by name already: the new label goes in its place.
        let place = self.0.binary_search_by(|l| l.name.as_str().cmp(name));
        if let Ok(at) = place
            && self.0[at].value == value
        {
            return self.clone();
        }
        let mut labels: Vec<Label> = self.0.as_ref().clone();
        match place {
            Ok(at) => labels[at].value = value.to_string(),
            Err(at) => labels.insert(
                at,
                Label {
                    name: name.to_string(),
                    value: value.to_string(),
                },
            ),
        }
        Labels(std::sync::Arc::new(labels))
    }

    /// Where this shared set lives: equal for clones of one set.
    pub fn address(&self) -> usize {
        std::sync::Arc::as_ptr(&self.0) as usize
    }

    pub fn iter(&self) -> impl Iterator<Item = &Label> {
        self.0.iter()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// `text` matched literally by a regex: Go's `regexp.QuoteMeta`, a
/// backslash before each of `\.+*?()|[]{}^$`.
pub fn quote_meta(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if "\\.+*?()|[]{}^$".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Escapes a label value as the Prometheus text format and PromQL print it.
pub fn escape_label_value(value: &str, out: &mut String) {
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
}

/// Prints `name{a="x", b="y"}` as Prometheus shows a series.
impl fmt::Display for Labels {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = self.metric_name().unwrap_or("");
        let mut out = String::from(name);
        let rest: Vec<&Label> = self.iter().filter(|l| l.name != METRIC_NAME).collect();
        if !rest.is_empty() || name.is_empty() {
            out.push('{');
            for (i, l) in rest.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                out.push_str(&l.name);
                out.push_str("=\"");
                escape_label_value(&l.value, &mut out);
                out.push('"');
            }
            out.push('}');
        }
        f.write_str(&out)
    }
}

/// How a matcher compares a label value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MatchOp {
    /// `=`
    Equal,
    /// `!=`
    NotEqual,
    /// `=~`, fully anchored RE2 syntax
    Regex,
    /// `!~`, fully anchored RE2 syntax
    NotRegex,
}

/// A label matcher such as `status=~"5.."`. A missing label matches as `""`.
#[derive(Clone, Debug)]
pub struct Matcher {
    pub name: String,
    pub op: MatchOp,
    pub value: String,
    regex: Option<LazyRegex>,
}

/// A regex checked when its matcher is made and compiled when it first
/// matches: a page parses rule files and configs full of matchers before
/// its first frame, and compiling them all (in the browser's first, slow
/// tier of code) took most of that.
#[derive(Clone, Debug)]
struct LazyRegex {
    pattern: Box<str>,
    compiled: std::sync::OnceLock<Regex>,
}

/// Patterns this long, or with a counted repetition (the ones that can
/// outgrow the regex crate's size limit), are compiled at once, so that
/// error is reported where the matcher is made.
const LAZY_PATTERN_MAX: usize = 200;

impl LazyRegex {
    fn new(pattern: String) -> Result<LazyRegex, regex::Error> {
        let compiled = if pattern.len() > LAZY_PATTERN_MAX || pattern.contains('{') {
            std::sync::OnceLock::from(Regex::new(&pattern)?)
        } else {
            // The regex crate's own parser and settings: the same error
            // (`Error::Syntax` with the parser's message) as compiling it.
            regex_syntax::Parser::new()
                .parse(&pattern)
                .map_err(|e| regex::Error::Syntax(e.to_string()))?;
            std::sync::OnceLock::new()
        };
        Ok(LazyRegex {
            pattern: pattern.into_boxed_str(),
            compiled,
        })
    }

    fn is_match(&self, value: &str) -> bool {
        self.compiled
            .get_or_init(|| compiled(&self.pattern))
            .is_match(value)
    }
}

/// Regexes compiled lately, by pattern: the same matcher parsed again
/// (a rule file applied, a query typed once more) is not compiled again.
/// Emptied when full; a `Regex` shares its compiled program when cloned.
static COMPILED: std::sync::Mutex<Option<HashMap<Box<str>, Regex>>> = std::sync::Mutex::new(None);

/// How many patterns [`COMPILED`] keeps.
const COMPILED_MAX: usize = 256;

/// `pattern` compiled, or taken from [`COMPILED`].
fn compiled(pattern: &str) -> Regex {
    let mut cache = COMPILED
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let cache = cache.get_or_insert_with(HashMap::new);
    if let Some(re) = cache.get(pattern) {
        return re.clone();
    }
    // Checked by `LazyRegex::new`, and too short to outgrow the size limit.
    let re = Regex::new(pattern).unwrap_or_else(|_| {
        Regex::new("[^\\x00-\\x{10FFFF}]").expect("a regex that matches nothing")
    });
    if cache.len() >= COMPILED_MAX {
        cache.clear();
    }
    cache.insert(pattern.into(), re.clone());
    re
}

impl Matcher {
    /// Builds a matcher; fails only for a regex that does not compile.
    /// Regexes are anchored at both ends and `.` matches newlines, as
    /// Prometheus compiles them (`^(?s:…)$`).
    pub fn new(op: MatchOp, name: &str, value: &str) -> Result<Matcher, regex::Error> {
        let regex = match op {
            MatchOp::Regex | MatchOp::NotRegex => {
                Some(LazyRegex::new(go_pattern(&format!("^(?s:{value})$"))?)?)
            }
            MatchOp::Equal | MatchOp::NotEqual => None,
        };
        Ok(Matcher {
            name: name.to_string(),
            op,
            value: value.to_string(),
            regex,
        })
    }

    /// `__name__="name"`: selects one metric.
    pub fn metric(name: &str) -> Matcher {
        Matcher {
            name: METRIC_NAME.to_string(),
            op: MatchOp::Equal,
            value: name.to_string(),
            regex: None,
        }
    }

    pub fn matches_value(&self, value: &str) -> bool {
        match (&self.op, &self.regex) {
            (MatchOp::Equal, _) => value == self.value,
            (MatchOp::NotEqual, _) => value != self.value,
            (MatchOp::Regex, Some(re)) => re.is_match(value),
            (MatchOp::NotRegex, Some(re)) => !re.is_match(value),
            // Unreachable by construction: `new` compiles a regex for both.
            (MatchOp::Regex | MatchOp::NotRegex, None) => false,
        }
    }

    pub fn matches(&self, labels: &Labels) -> bool {
        self.matches_value(labels.get(&self.name).unwrap_or(""))
    }
}

/// A regex in Go's syntax (what Prometheus and Loki compile, anchors and
/// flags included) in the `regex` crate's, or Go's error as the regex
/// crate reports one (`crate::go_regex`): `\d`, `\w`, `\s` and `\b`
/// ASCII-only, `\Q…\E`, `a{,5}` a literal, `a**` refused, as in Go.
pub fn go_pattern(pattern: &str) -> Result<String, regex::Error> {
    crate::go_regex::go_regex(pattern).map_err(|d| regex::Error::Syntax(d.message))
}

/// [`go_pattern`] compiled.
pub fn go_compile(pattern: &str) -> Result<Regex, regex::Error> {
    Regex::new(&go_pattern(pattern)?)
}

/// Whether `name` is a valid metric name (`[a-zA-Z_:][a-zA-Z0-9_:]*`).
pub fn is_valid_metric_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_' || c == ':')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
}

/// Whether `name` is a valid label name (`[a-zA-Z_][a-zA-Z0-9_]*`).
pub fn is_valid_label_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_sorts_dedupes_and_drops_empty_values() {
        let l = Labels::new([("b", "2"), ("a", "1"), ("b", "3"), ("c", "")]);
        assert_eq!(l.to_string(), r#"{a="1", b="3"}"#);
        assert_eq!(l.get("b"), Some("3"));
        assert_eq!(l.get("c"), None);
    }

    #[test]
    fn with_sets_one_label_in_its_place() {
        let l = Labels::new([("b", "2"), ("d", "4")]);
        for (name, value, expected) in [
            ("a", "1", r#"{a="1", b="2", d="4"}"#),
            ("c", "3", r#"{b="2", c="3", d="4"}"#),
            ("e", "5", r#"{b="2", d="4", e="5"}"#),
            ("b", "9", r#"{b="9", d="4"}"#),
            ("d", "", r#"{b="2"}"#),
            ("x", "", r#"{b="2", d="4"}"#),
        ] {
            let with = l.with(name, value);
            assert_eq!(with.to_string(), expected, "{name}={value:?}");
            assert_eq!(
                with,
                Labels::new(
                    l.iter()
                        .map(|l| (l.name.as_str(), l.value.as_str()))
                        .chain([(name, value)])
                )
            );
        }
        // Setting the value it has shares the set.
        assert_eq!(l.with("b", "2").address(), l.address());
    }

    #[test]
    fn display_escapes_values() {
        let l = Labels::new([("__name__", "m"), ("path", "a\"b\\c\nd")]);
        assert_eq!(l.to_string(), r#"m{path="a\"b\\c\nd"}"#);
    }

    #[test]
    fn regex_matchers_are_fully_anchored() {
        let l = Labels::new([("status", "500")]);
        assert!(
            Matcher::new(MatchOp::Regex, "status", "5..")
                .unwrap()
                .matches(&l)
        );
        assert!(
            !Matcher::new(MatchOp::Regex, "status", "0")
                .unwrap()
                .matches(&l)
        );
        assert!(
            Matcher::new(MatchOp::NotRegex, "status", "2..")
                .unwrap()
                .matches(&l)
        );
    }

    #[test]
    fn missing_label_matches_as_empty() {
        let l = Labels::new([("a", "1")]);
        assert!(Matcher::new(MatchOp::Equal, "b", "").unwrap().matches(&l));
        assert!(
            Matcher::new(MatchOp::NotEqual, "b", "x")
                .unwrap()
                .matches(&l)
        );
    }

    #[test]
    fn perl_classes_are_ascii_as_in_go() {
        let digits = Matcher::new(MatchOp::Regex, "a", "\\d+").unwrap();
        assert!(digits.matches_value("123"));
        assert!(
            !digits.matches_value("١٢٣"),
            "Arabic-Indic digits are not \\d in RE2"
        );
        let word = Matcher::new(MatchOp::Regex, "a", "[\\w.-]+").unwrap();
        assert!(word.matches_value("api-v1.2"));
        assert!(!word.matches_value("café"));
        let not_digit = Matcher::new(MatchOp::Regex, "a", "[\\D]").unwrap();
        assert!(not_digit.matches_value("é") && !not_digit.matches_value("7"));
        assert!(
            Matcher::new(MatchOp::Regex, "a", "a\\s\\Sb")
                .unwrap()
                .matches_value("a xb")
        );
        assert!(
            Matcher::new(MatchOp::Regex, "a", "[[:alpha:]]+\\]")
                .unwrap()
                .matches_value("ab]")
        );
        assert!(
            Matcher::new(MatchOp::Regex, "a", "a.b")
                .unwrap()
                .matches_value("a\nb"),
            ". matches newline"
        );
        assert!(
            Matcher::new(MatchOp::Regex, "a", "\\\\d")
                .unwrap()
                .matches_value("\\d"),
            "an escaped backslash stays"
        );
        // Go's dialect, not the regex crate's.
        let literal = Matcher::new(MatchOp::Regex, "a", "a{,5}").unwrap();
        assert!(literal.matches_value("a{,5}") && !literal.matches_value("aa"));
        assert!(
            Matcher::new(MatchOp::Regex, "a", "\\Qa.b\\E")
                .unwrap()
                .matches_value("a.b")
        );
        assert!(Matcher::new(MatchOp::Regex, "a", "a**").is_err());
    }

    #[test]
    fn bad_regex_is_an_error_not_a_panic() {
        assert!(Matcher::new(MatchOp::Regex, "a", "(").is_err());
        assert!(Matcher::new(MatchOp::Regex, "a", "\\").is_err());
    }

    #[test]
    fn the_regex_a_lazy_matcher_falls_back_to_matches_nothing() {
        let nothing = Regex::new("[^\\x00-\\x{10FFFF}]").unwrap();
        assert!(!nothing.is_match("") && !nothing.is_match("a\n\u{10FFFF}"));
    }

    proptest::proptest! {
        /// Checked lazily or compiled at once, a matcher accepts and
        /// refuses what compiling its regex does, with the same error,
        /// and matches the same values.
        #[test]
        fn a_lazy_regex_agrees_with_compiling_it(
            pattern in "[a-z\\\\\\[\\]^:dDwWsSbBpPL(){}0-9,*+?|.-]{0,24}",
            value in "[a-z0-9_ .-]{0,6}",
        ) {
            let compiled = go_compile(&format!("^(?s:{pattern})$"));
            let matcher = Matcher::new(MatchOp::Regex, "a", &pattern);
            match (&compiled, &matcher) {
                (Ok(re), Ok(m)) => proptest::prop_assert_eq!(re.is_match(&value), m.matches_value(&value)),
                (Err(a), Err(b)) => proptest::prop_assert_eq!(a.to_string(), b.to_string()),
                _ => proptest::prop_assert!(false, "{pattern:?}: {:?} vs {:?}", compiled.err(), matcher.err()),
            }
        }

        #[test]
        fn any_pattern_compiles_or_errs(pattern in "[a-z\\\\\\[\\]^:dDwWsSbB(){}*+?|.-]{0,24}") {
            if let Ok(m) = Matcher::new(MatchOp::Regex, "a", &pattern) {
                let _ = m.matches_value("ab1_ -");
            }
        }
    }
}
