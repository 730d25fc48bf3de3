//! What the Logs page needs besides running queries: autocomplete, the
//! log volume by level, the stage inspector and match highlighting.

use std::collections::{BTreeMap, BTreeSet};

use super::ingest::{json_fields, logfmt_fields};
use super::metric::{LogQuery, only_line_filters};
use super::parser::{LineFilterOp, LogExpr, RangeFunc, StageKind};
use super::pipeline::{StageTrace, process};
use super::store::LogStore;
use o11y_promql::assist::{Completions, MAX_SUGGESTIONS, Suggestion, SuggestionKind};

/// Stages offered after `|`.
const STAGES: [&str; 11] = [
    "json",
    "logfmt",
    "regexp",
    "pattern",
    "unpack",
    "line_format",
    "label_format",
    "drop",
    "keep",
    "decolorize",
    "unwrap",
];

/// Field names found in the newest lines of the store (JSON or logfmt), at
/// most `sample` lines per stream.
pub fn parsed_fields(store: &LogStore, sample: usize) -> Vec<String> {
    let mut names = BTreeSet::new();
    for s in store.streams() {
        for e in s.entries(0..s.len()).rev().take(sample) {
            if let Some(f) = json_fields(e.line).or_else(|| logfmt_fields(e.line, true)) {
                names.extend(f.into_iter().map(|(k, _)| k));
            }
        }
    }
    names.into_iter().collect()
}

/// Suggestions at byte `cursor`: label names and values inside the stream
/// selector, stages after `|`, and label names (stream or parsed) in a
/// label filter.
pub fn complete(src: &str, cursor: usize, store: &LogStore, fields: &[String]) -> Completions {
    let mut cursor = cursor.min(src.len());
    while !src.is_char_boundary(cursor) {
        cursor -= 1;
    }
    let before = &src[..cursor];
    let labels = store.label_values();
    let word_start = before
        .char_indices()
        .rev()
        .take_while(|(_, c)| c.is_ascii_alphanumeric() || *c == '_')
        .last()
        .map_or(cursor, |(i, _)| i);
    let prefix = &before[word_start..];
    let quotes = before.matches('"').count();
    let in_braces = before
        .rfind('{')
        .is_some_and(|o| before.rfind('}').is_none_or(|c| c < o));
    let suggestion = |text: &str, kind, doc: &str| Suggestion {
        text: text.to_string(),
        kind,
        doc: doc.to_string(),
    };
    let mut out = Vec::new();
    if in_braces && quotes % 2 == 1 {
        // A label value: `name="pre|`.
        let quote = before.rfind('"').unwrap_or(0);
        let typed = &before[quote + 1..];
        let name = before[..quote]
            .trim_end_matches(['=', '~', '!'])
            .rsplit(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .next()
            .unwrap_or("");
        if let Some((_, values)) = labels.iter().find(|(n, _)| n == name) {
            out.extend(
                values
                    .iter()
                    .filter(|v| v.starts_with(typed) && *v != typed)
                    .map(|v| suggestion(v, SuggestionKind::LabelValue, name)),
            );
        }
        out.truncate(MAX_SUGGESTIONS);
        return Completions {
            replace: quote + 1..cursor,
            suggestions: out,
        };
    }
    if quotes % 2 == 1 {
        return Completions::default();
    }
    let after_pipe = before[..word_start].trim_end().ends_with('|');
    if in_braces {
        out.extend(
            labels
                .iter()
                .filter(|(n, _)| n.starts_with(prefix) && n != prefix)
                .map(|(n, _)| suggestion(n, SuggestionKind::LabelName, "stream label")),
        );
    } else if after_pipe {
        out.extend(
            STAGES
                .iter()
                .filter(|s| s.starts_with(prefix) && **s != prefix)
                .map(|s| suggestion(s, SuggestionKind::Keyword, "pipeline stage")),
        );
        out.extend(
            fields
                .iter()
                .filter(|f| f.starts_with(prefix) && *f != prefix)
                .map(|f| suggestion(f, SuggestionKind::LabelName, "parsed field (label filter)")),
        );
        out.extend(
            labels
                .iter()
                .filter(|(n, _)| n.starts_with(prefix) && n != prefix)
                .map(|(n, _)| {
                    suggestion(n, SuggestionKind::LabelName, "stream label (label filter)")
                }),
        );
    } else if !prefix.is_empty() {
        out.extend(
            RangeFunc::ALL
                .iter()
                .map(|f| f.name())
                .collect::<BTreeSet<_>>()
                .into_iter()
                .filter(|f| f.starts_with(prefix) && *f != prefix)
                .map(|f| suggestion(f, SuggestionKind::Function, "range aggregation")),
        );
        out.extend(
            [
                "sum",
                "avg",
                "min",
                "max",
                "count",
                "topk",
                "bottomk",
                "sort",
                "sort_desc",
            ]
            .iter()
            .filter(|f| f.starts_with(prefix) && **f != prefix)
            .map(|f| suggestion(f, SuggestionKind::Aggregation, "vector aggregation")),
        );
    }
    out.truncate(MAX_SUGGESTIONS);
    Completions {
        replace: word_start..cursor,
        suggestions: out,
    }
}

/// The level of a processed line: a `level`-like label, else a level
/// field of the line, else `unknown`.
fn level_of(labels: &[(String, String)], line: &str) -> String {
    const NAMES: [&str; 5] = [
        "level",
        "detected_level",
        "severity_text",
        "lvl",
        "severity",
    ];
    let pick = |pairs: &[(String, String)]| {
        NAMES.iter().find_map(|n| {
            pairs
                .iter()
                .find(|(k, _)| k == n)
                .map(|(_, v)| v.to_lowercase())
        })
    };
    pick(labels)
        .or_else(|| {
            json_fields(line)
                .or_else(|| logfmt_fields(line, true))
                .and_then(|f| pick(&f))
        })
        .unwrap_or_else(|| "unknown".to_string())
}

/// Lines per time bucket and level for a log query: `buckets` equal slices
/// of the query's range; (level, counts) sorted by level.
pub fn volume(
    expr: &LogExpr,
    store: &LogStore,
    q: &LogQuery,
    buckets: usize,
) -> Vec<(String, Vec<u64>)> {
    let buckets = buckets.max(1);
    let span = (q.end_ns - q.start_ns).max(1);
    let mut out: BTreeMap<String, Vec<u64>> = BTreeMap::new();
    let fast = only_line_filters(expr);
    for stream in store.select(&expr.matchers) {
        let from = stream.partition_point(|t| t < q.start_ns);
        let to = stream.partition_point(|t| t < q.end_ns);
        let stream_level = stream.labels.get("level").map(str::to_lowercase);
        let lines: Vec<usize> = if fast {
            super::metric::matching_lines(stream, from..to, expr)
        } else {
            (from..to).collect()
        };
        for e in lines.into_iter().map(|i| stream.entry(i)) {
            let level = if fast {
                stream_level
                    .clone()
                    .unwrap_or_else(|| level_of(e.metadata, e.line))
            } else {
                match process(
                    &expr.stages,
                    e.line,
                    e.ts_ns,
                    &stream.labels,
                    e.metadata,
                    None,
                ) {
                    Some(p) => level_of(&p.labels, e.line),
                    None => continue,
                }
            };
            let b = (((e.ts_ns - q.start_ns) as i128 * buckets as i128 / span as i128) as usize)
                .min(buckets - 1);
            out.entry(level).or_insert_with(|| vec![0; buckets])[b] += 1;
        }
    }
    out.into_iter().collect()
}

/// Each stage's effect on the stored line `at` (stream, entry).
pub fn inspect(expr: &LogExpr, store: &LogStore, at: (usize, usize)) -> Vec<StageTrace> {
    let mut trace = Vec::new();
    if let Some(stream) = store.streams().get(at.0)
        && let Some(e) = (at.1 < stream.len()).then(|| stream.entry(at.1))
    {
        let _ = process(
            &expr.stages,
            e.line,
            e.ts_ns,
            &stream.labels,
            e.metadata,
            Some(&mut trace),
        );
    }
    trace
}

/// Byte ranges of `line` that `|=` filters and `|~` patterns matched, for
/// highlighting, sorted and not overlapping.
pub fn matches_in(expr: &LogExpr, line: &str) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    for s in &expr.stages {
        if let StageKind::LineFilter(f) = &s.kind {
            match f.op {
                LineFilterOp::Contains => {
                    for v in f.values.iter().filter(|v| !v.is_empty()) {
                        out.extend(line.match_indices(v.as_str()).map(|(i, m)| i..i + m.len()));
                    }
                }
                LineFilterOp::Matches => {
                    for r in &f.regexes {
                        out.extend(
                            r.find_iter(line)
                                .filter(|m| !m.is_empty())
                                .map(|m| m.range()),
                        );
                    }
                }
                _ => {}
            }
        }
    }
    o11y_model::sort::sort_by_key(&mut out[..], |r| r.start);
    let mut merged: Vec<std::ops::Range<usize>> = Vec::new();
    for r in out {
        match merged.last_mut() {
            Some(last) if r.start <= last.end => last.end = last.end.max(r.end),
            _ => merged.push(r),
        }
    }
    merged
}

#[cfg(test)]
mod tests {
    use super::super::ingest::{IngestOptions, ingest};
    use super::super::parser::parse_log_query;
    use super::*;

    fn store() -> LogStore {
        let mut s = LogStore::default();
        let text = "{\"level\":\"error\",\"msg\":\"db down\",\"ts\":1}\nlevel=info msg=ok ts=2\nlevel=warn msg=\"slow db\" ts=3\nplain db line\n";
        ingest(&mut s, text, &IngestOptions::default()).unwrap();
        s
    }

    #[test]
    fn completes_labels_stages_and_fields() {
        let s = store();
        let fields = parsed_fields(&s, 100);
        assert!(fields.contains(&"msg".to_string()));
        let texts = |c: Completions| {
            c.suggestions
                .into_iter()
                .map(|s| s.text)
                .collect::<Vec<_>>()
        };
        assert_eq!(texts(complete("{j", 2, &s, &fields)), ["job"]);
        assert_eq!(texts(complete("{job=\"pa", 8, &s, &fields)), ["pasted"]);
        assert_eq!(
            texts(complete("{job=\"pasted\"} | js", 19, &s, &fields)),
            ["json"]
        );
        assert!(
            texts(complete("{job=\"pasted\"} | json | ms", 26, &s, &fields))
                .contains(&"msg".to_string())
        );
        assert_eq!(
            texts(complete("count_o", 7, &s, &fields)),
            ["count_over_time"]
        );
    }

    #[test]
    fn volume_by_level_and_matches() {
        let s = store();
        let q = LogQuery {
            start_ns: 0,
            end_ns: 4_000_000_000,
            step_ms: 0,
            limit: 100,
        };
        let expr = parse_log_query("{job=\"pasted\"} |= \"db\"").unwrap();
        // The plain line has no time of its own: it arrived at 3 ms, in the first bucket.
        let v = volume(&expr, &s, &q, 4);
        assert_eq!(
            v,
            [
                ("error".to_string(), vec![0, 1, 0, 0]),
                ("unknown".to_string(), vec![1, 0, 0, 0]),
                ("warn".to_string(), vec![0, 0, 0, 1])
            ]
        );
        assert_eq!(matches_in(&expr, "db and db"), [0..2, 7..9]);
    }
}
