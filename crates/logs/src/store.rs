//! The log store: streams (a label set each) of timestamped lines, kept in
//! time order, with a byte limit that refuses what does not fit and keeps
//! what is stored. A stream's lines live one after another in one buffer,
//! so a line filter searches a whole time range at once, as grep does.

use std::collections::HashMap;

use o11y_model::labels::{Labels, Matcher};

/// One log line.
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    /// Nanoseconds since the epoch.
    pub ts_ns: i64,
    pub line: String,
    /// Structured metadata (OTLP attributes, trace ids) kept beside the line.
    pub metadata: Vec<(String, String)>,
}

/// A stored line: its time, where its text is in the stream's buffer, its metadata.
#[derive(Clone, Debug, PartialEq)]
struct Stored {
    ts_ns: i64,
    start: usize,
    end: usize,
    metadata: Vec<(String, String)>,
}

/// A line as read from a stream.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct EntryRef<'a> {
    pub ts_ns: i64,
    pub line: &'a str,
    pub metadata: &'a [(String, String)],
}

/// A stream: its labels and its lines in time order.
#[derive(Clone, Debug, PartialEq)]
pub struct Stream {
    pub labels: Labels,
    entries: Vec<Stored>,
    /// Every line, one after another (each followed by `\n`).
    text: String,
    /// Whether the buffer holds the lines in time order (no out-of-order insert).
    buffer_in_order: bool,
}

impl Stream {
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Line `i` in time order.
    pub fn entry(&self, i: usize) -> EntryRef<'_> {
        let e = &self.entries[i];
        EntryRef {
            ts_ns: e.ts_ns,
            line: &self.text[e.start..e.end],
            metadata: &e.metadata,
        }
    }

    /// Lines `range` in time order.
    pub fn entries(
        &self,
        range: std::ops::Range<usize>,
    ) -> impl DoubleEndedIterator<Item = EntryRef<'_>> + ExactSizeIterator {
        range.map(move |i| self.entry(i))
    }

    pub fn first_ts(&self) -> Option<i64> {
        self.entries.first().map(|e| e.ts_ns)
    }

    pub fn last_ts(&self) -> Option<i64> {
        self.entries.last().map(|e| e.ts_ns)
    }

    /// The index of the first line for which `before(ts)` is false.
    pub fn partition_point(&self, before: impl Fn(i64) -> bool) -> usize {
        self.entries.partition_point(|e| before(e.ts_ns))
    }

    /// Lines `range` as one text (lines separated by `\n`) and the buffer
    /// offset it starts at, when the buffer is in time order.
    pub fn text_of(&self, range: std::ops::Range<usize>) -> Option<(&str, usize)> {
        if !self.buffer_in_order || range.is_empty() {
            return None;
        }
        let (start, end) = (
            self.entries[range.start].start,
            self.entries[range.end - 1].end,
        );
        Some((&self.text[start..end], start))
    }

    /// The line whose text contains buffer offset `offset` (with `text_of`).
    pub fn line_at(&self, offset: usize) -> usize {
        self.entries.partition_point(|e| e.end < offset)
    }
}

/// Why lines were not stored.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum LogStoreError {
    #[error("the log store is full ({limit} bytes): {refused} lines were not stored")]
    Full { limit: usize, refused: usize },
    #[error("a stream needs at least one label")]
    NoLabels,
}

#[derive(Clone, Debug)]
pub struct LogStore {
    streams: Vec<Stream>,
    by_labels: HashMap<Labels, usize>,
    bytes: usize,
    max_bytes: usize,
    /// Lines refused, and their bytes, by reason (`store_full`,
    /// `missing_labels`): Loki's `loki_discarded_samples_total` and
    /// `loki_discarded_bytes_total`.
    discarded_lines: o11y_metrics::store::Refusals,
    discarded_bytes: o11y_metrics::store::Refusals,
}

impl Default for LogStore {
    fn default() -> Self {
        LogStore::with_limit(256 * 1024 * 1024)
    }
}

impl LogStore {
    pub fn with_limit(max_bytes: usize) -> LogStore {
        LogStore {
            streams: Vec::new(),
            by_labels: HashMap::new(),
            bytes: 0,
            max_bytes,
            discarded_lines: Default::default(),
            discarded_bytes: Default::default(),
        }
    }

    /// Bytes of line text stored.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    pub fn max_bytes(&self) -> usize {
        self.max_bytes
    }

    pub fn streams(&self) -> &[Stream] {
        &self.streams
    }

    pub fn line_count(&self) -> usize {
        self.streams.iter().map(|s| s.entries.len()).sum()
    }

    /// Appends lines to the stream with these labels. Lines past the byte
    /// limit are refused (an error says how many); the others are stored.
    pub fn push(&mut self, labels: &Labels, entries: Vec<Entry>) -> Result<(), LogStoreError> {
        if labels.is_empty() {
            self.discard("missing_labels", &entries);
            return Err(LogStoreError::NoLabels);
        }
        let index = match self.by_labels.get(labels) {
            Some(&i) => i,
            None => {
                self.streams.push(Stream {
                    labels: labels.clone(),
                    entries: Vec::new(),
                    text: String::new(),
                    buffer_in_order: true,
                });
                self.by_labels
                    .insert(labels.clone(), self.streams.len() - 1);
                self.streams.len() - 1
            }
        };
        let stream = &mut self.streams[index];
        let mut refused = 0;
        let mut refused_bytes = 0;
        let mut sorted = stream.entries.last().map_or(i64::MIN, |e| e.ts_ns);
        let mut in_order = true;
        for e in entries {
            if self.bytes + e.line.len() > self.max_bytes {
                refused += 1;
                refused_bytes += e.line.len() as u64;
                continue;
            }
            self.bytes += e.line.len();
            in_order &= e.ts_ns >= sorted;
            sorted = sorted.max(e.ts_ns);
            let start = stream.text.len();
            stream.text.push_str(&e.line);
            let end = stream.text.len();
            stream.text.push('\n');
            stream.entries.push(Stored {
                ts_ns: e.ts_ns,
                start,
                end,
                metadata: e.metadata,
            });
        }
        if !in_order {
            stream.entries.sort_by_key(|e| e.ts_ns);
            stream.buffer_in_order = false;
        }
        if refused > 0 {
            self.discarded_lines.add("store_full", refused as u64);
            self.discarded_bytes.add("store_full", refused_bytes);
            return Err(LogStoreError::Full {
                limit: self.max_bytes,
                refused,
            });
        }
        Ok(())
    }

    /// Counts lines refused for `reason`.
    fn discard(&mut self, reason: &'static str, entries: &[Entry]) {
        self.discarded_lines.add(reason, entries.len() as u64);
        self.discarded_bytes
            .add(reason, entries.iter().map(|e| e.line.len() as u64).sum());
    }

    /// Lines refused so far, by reason (`loki_discarded_samples_total`).
    pub fn discarded_lines(&self) -> &o11y_metrics::store::Refusals {
        &self.discarded_lines
    }

    /// Bytes of the lines refused so far, by reason (`loki_discarded_bytes_total`).
    pub fn discarded_bytes(&self) -> &o11y_metrics::store::Refusals {
        &self.discarded_bytes
    }

    /// Drops the oldest lines until at most `target_bytes` are stored
    /// (a quarter of the time span at a time); returns how many went.
    pub fn evict_oldest(&mut self, target_bytes: usize) -> usize {
        let mut evicted = 0;
        while self.bytes > target_bytes {
            let oldest = self.streams.iter().filter_map(Stream::first_ts).min();
            let newest = self.streams.iter().filter_map(Stream::last_ts).max();
            let (Some(oldest), Some(newest)) = (oldest, newest) else {
                break;
            };
            let cutoff = oldest + ((newest - oldest) / 4).max(1);
            for stream in &mut self.streams {
                let n = stream.entries.partition_point(|e| e.ts_ns < cutoff);
                if n == 0 {
                    continue;
                }
                self.bytes -= stream.entries[..n]
                    .iter()
                    .map(|e| e.end - e.start)
                    .sum::<usize>();
                stream.entries.drain(..n);
                // The buffer keeps the lines that remain, moved to its start.
                let mut text = String::with_capacity(stream.text.len());
                for e in &mut stream.entries {
                    let line = &stream.text[e.start..e.end];
                    let start = text.len();
                    text.push_str(line);
                    e.start = start;
                    e.end = text.len();
                    text.push('\n');
                }
                stream.text = text;
                stream.buffer_in_order = true;
                evicted += n;
            }
        }
        evicted
    }

    /// The streams whose labels match every matcher.
    pub fn select<'a>(&'a self, matchers: &'a [Matcher]) -> impl Iterator<Item = &'a Stream> + 'a {
        self.streams
            .iter()
            .filter(move |s| matchers.iter().all(|m| m.matches(&s.labels)))
    }

    /// Every label name and its values over all streams, sorted.
    pub fn label_values(&self) -> Vec<(String, Vec<String>)> {
        let mut map: std::collections::BTreeMap<String, std::collections::BTreeSet<String>> =
            Default::default();
        for s in &self.streams {
            for l in s.labels.iter() {
                map.entry(l.name.clone())
                    .or_default()
                    .insert(l.value.clone());
            }
        }
        map.into_iter()
            .map(|(k, v)| (k, v.into_iter().collect()))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eviction_keeps_the_newest_lines() {
        let mut store = LogStore::with_limit(1_000);
        let labels = Labels::new([("job", "x")]);
        let entries = (0..100)
            .map(|i| Entry {
                ts_ns: i,
                line: "0123456789".to_string(),
                metadata: Vec::new(),
            })
            .collect();
        store.push(&labels, entries).unwrap();
        assert_eq!(store.bytes(), 1_000);
        let gone = store.evict_oldest(600);
        assert!(
            gone >= 40 && store.bytes() <= 600,
            "{gone} {}",
            store.bytes()
        );
        assert_eq!(store.streams()[0].last_ts(), Some(99));
        assert_eq!(store.streams()[0].entry(0).line, "0123456789");
        let (text, _) = store.streams()[0].text_of(0..2).unwrap();
        assert_eq!(text, "0123456789\n0123456789");
    }

    #[test]
    fn refused_lines_are_counted_by_reason() {
        let mut store = LogStore::with_limit(25);
        let line = |ts_ns| Entry {
            ts_ns,
            line: "0123456789".to_string(),
            metadata: Vec::new(),
        };
        let labels = Labels::new([("job", "x")]);
        let err = store.push(&labels, (0..3).map(line).collect()).unwrap_err();
        assert_eq!(
            err,
            LogStoreError::Full {
                limit: 25,
                refused: 1
            }
        );
        assert!(store.push(&Labels::default(), vec![line(5)]).is_err());
        assert_eq!(
            store.discarded_lines().to_string(),
            "1 missing_labels, 1 store_full"
        );
        assert_eq!(store.discarded_bytes().get("store_full"), 10);
    }
}
