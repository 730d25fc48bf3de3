//! The inverted label index: for every label name and value, the sorted
//! list (postings) of series ids that carry it.
//!
//! Matchers are answered from postings, as Prometheus's
//! `PostingsForMatchers` does: a matcher that does not match the empty string
//! selects the union of the postings of the values it matches; one that does
//! match `""` also selects series without the label, so it is answered as
//! "all series, minus those whose value it rejects".
//!
//! ```
//! use o11y_model::labels::{Labels, Matcher, MatchOp};
//! use o11y_metrics::tsdb::index::PostingsIndex;
//!
//! let mut index = PostingsIndex::default();
//! index.add(0, &Labels::new([("job", "api"), ("code", "200")]));
//! index.add(1, &Labels::new([("job", "api"), ("code", "500")]));
//! index.add(2, &Labels::new([("job", "db")]));
//! let m = Matcher::new(MatchOp::NotEqual, "code", "200").unwrap();
//! assert_eq!(index.select(&[m]), [1, 2]); // series 2 has no code: it matches ""
//! ```

use std::collections::BTreeMap;

use o11y_model::labels::{Labels, MatchOp, Matcher};

/// Series ids, sorted ascending, without duplicates.
pub type Postings = Vec<u32>;

#[derive(Clone, Debug, Default)]
pub struct PostingsIndex {
    /// label name → label value → postings
    postings: BTreeMap<String, BTreeMap<String, Postings>>,
    all: Postings,
}

fn insert_sorted(list: &mut Postings, id: u32) {
    if let Err(at) = list.binary_search(&id) {
        list.insert(at, id);
    }
}

fn remove_sorted(list: &mut Postings, id: u32) {
    if let Ok(at) = list.binary_search(&id) {
        list.remove(at);
    }
}

/// Merges sorted lists into one sorted list without duplicates.
fn union<'a>(lists: impl Iterator<Item = &'a Postings>) -> Postings {
    let mut out: Postings = lists.flatten().copied().collect();
    out.sort_unstable();
    out.dedup();
    out
}

fn intersect(a: &[u32], b: &[u32]) -> Postings {
    let (mut i, mut j, mut out) = (0, 0, Vec::new());
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                out.push(a[i]);
                i += 1;
                j += 1;
            }
        }
    }
    out
}

fn subtract(a: &[u32], b: &[u32]) -> Postings {
    let mut j = 0;
    a.iter()
        .copied()
        .filter(|id| {
            while j < b.len() && b[j] < *id {
                j += 1;
            }
            !(j < b.len() && b[j] == *id)
        })
        .collect()
}

impl PostingsIndex {
    pub fn add(&mut self, id: u32, labels: &Labels) {
        insert_sorted(&mut self.all, id);
        for label in labels.iter() {
            let values = self.postings.entry(label.name.clone()).or_default();
            insert_sorted(values.entry(label.value.clone()).or_default(), id);
        }
    }

    pub fn remove(&mut self, id: u32, labels: &Labels) {
        remove_sorted(&mut self.all, id);
        for label in labels.iter() {
            let Some(values) = self.postings.get_mut(&label.name) else {
                continue;
            };
            if let Some(list) = values.get_mut(&label.value) {
                remove_sorted(list, id);
                if list.is_empty() {
                    values.remove(&label.value);
                }
            }
            if values.is_empty() {
                self.postings.remove(&label.name);
            }
        }
    }

    /// Every label name in use, sorted.
    pub fn label_names(&self) -> impl Iterator<Item = &str> {
        self.postings.keys().map(String::as_str)
    }

    /// Every value of a label, sorted.
    pub fn label_values(&self, name: &str) -> impl Iterator<Item = &str> {
        self.postings
            .get(name)
            .into_iter()
            .flat_map(|v| v.keys().map(String::as_str))
    }

    /// The number of series carrying `name="value"`.
    pub fn postings_len(&self, name: &str, value: &str) -> usize {
        self.postings
            .get(name)
            .and_then(|v| v.get(value))
            .map_or(0, Vec::len)
    }

    /// Ids of the series that every matcher matches (all series for none).
    pub fn select(&self, matchers: &[Matcher]) -> Postings {
        let mut result: Option<Postings> = None;
        // Positive matchers first: they shrink the set fastest.
        let (positive, negative): (Vec<&Matcher>, Vec<&Matcher>) =
            matchers.iter().partition(|m| !m.matches_value(""));
        for m in positive {
            let values = self.postings.get(&m.name);
            let selected = match (m.op, values) {
                (_, None) => Postings::new(),
                (MatchOp::Equal, Some(values)) => values.get(&m.value).cloned().unwrap_or_default(),
                (_, Some(values)) => union(
                    values
                        .iter()
                        .filter(|(v, _)| m.matches_value(v))
                        .map(|(_, p)| p),
                ),
            };
            result = Some(match result {
                None => selected,
                Some(so_far) => intersect(&so_far, &selected),
            });
            if result.as_ref().is_some_and(Vec::is_empty) {
                return Postings::new();
            }
        }
        for m in negative {
            let rejected = match self.postings.get(&m.name) {
                None => Postings::new(),
                Some(values) => union(
                    values
                        .iter()
                        .filter(|(v, _)| !m.matches_value(v))
                        .map(|(_, p)| p),
                ),
            };
            let base = result.as_deref().unwrap_or(&self.all);
            result = Some(subtract(base, &rejected));
        }
        result.unwrap_or_else(|| self.all.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const NAMES: [&str; 3] = ["a", "b", "c"];
    const VALUES: [&str; 4] = ["", "x", "y", "xy"];

    fn labels_strategy() -> impl Strategy<Value = Labels> {
        prop::collection::vec((0..NAMES.len(), 0..VALUES.len()), 0..4)
            .prop_map(|pairs| Labels::new(pairs.into_iter().map(|(n, v)| (NAMES[n], VALUES[v]))))
    }

    fn matcher_strategy() -> impl Strategy<Value = Matcher> {
        let ops = [
            MatchOp::Equal,
            MatchOp::NotEqual,
            MatchOp::Regex,
            MatchOp::NotRegex,
        ];
        let patterns = ["", "x", "y", "x.*", ".*", ".+", "x|y", "z"];
        (0..4usize, 0..NAMES.len(), 0..patterns.len()).prop_map(move |(op, n, p)| {
            Matcher::new(ops[op], NAMES[n], patterns[p]).expect("test patterns compile")
        })
    }

    proptest! {
        /// The index answers exactly what a scan of every series answers.
        #[test]
        fn select_agrees_with_brute_force(
            series in prop::collection::vec(labels_strategy(), 0..30),
            removed in prop::collection::vec(any::<prop::sample::Index>(), 0..5),
            matchers in prop::collection::vec(matcher_strategy(), 0..4),
        ) {
            let mut index = PostingsIndex::default();
            for (id, labels) in series.iter().enumerate() {
                index.add(id as u32, labels);
            }
            let mut live: Vec<bool> = vec![true; series.len()];
            if !series.is_empty() {
                for r in removed {
                    let id = r.index(series.len());
                    index.remove(id as u32, &series[id]);
                    live[id] = false;
                }
            }
            let expected: Postings = series
                .iter()
                .enumerate()
                .filter(|(id, labels)| live[*id] && matchers.iter().all(|m| m.matches(labels)))
                .map(|(id, _)| id as u32)
                .collect();
            prop_assert_eq!(index.select(&matchers), expected);
        }
    }

    #[test]
    fn names_and_values_disappear_with_their_last_series() {
        let mut index = PostingsIndex::default();
        let l = Labels::new([("job", "api")]);
        index.add(7, &l);
        assert_eq!(index.label_values("job").collect::<Vec<_>>(), ["api"]);
        index.remove(7, &l);
        assert_eq!(index.label_names().count(), 0);
        assert!(index.select(&[]).is_empty());
    }
}
