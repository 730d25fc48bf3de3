//! A bounded store of traces: spans grouped by trace id, the oldest traces
//! evicted first once the span limit is reached (and counted), searchable
//! as Jaeger's search is: a trace matches when one of its spans has the
//! service, operation, duration range, error status and attribute asked for.

use std::collections::{HashMap, VecDeque};

use super::model::{Span, StatusCode, TraceId};

#[derive(Clone, Debug)]
pub struct TraceStore {
    traces: HashMap<TraceId, Vec<Span>>,
    /// Trace ids in the order they arrived (for eviction).
    order: VecDeque<TraceId>,
    spans: usize,
    max_spans: usize,
    evicted_traces: u64,
    evicted_spans: u64,
}

impl Default for TraceStore {
    fn default() -> Self {
        TraceStore::with_limit(200_000)
    }
}

/// What to look for; every field left empty matches everything.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TraceQuery {
    pub trace_id: Option<TraceId>,
    pub service: Option<String>,
    pub operation: Option<String>,
    pub min_duration_ns: Option<i64>,
    pub max_duration_ns: Option<i64>,
    pub errors_only: bool,
    /// An attribute the span has, with this value (as text).
    pub attribute: Option<(String, String)>,
    /// Traces returned at most (newest first); 0 means 20.
    pub limit: usize,
}

/// One trace in a search result.
#[derive(Clone, Debug, PartialEq)]
pub struct TraceSummary {
    pub trace_id: TraceId,
    /// The root span's service and name (the earliest span's without a root).
    pub root_service: String,
    pub root_name: String,
    pub start_ns: i64,
    pub duration_ns: i64,
    pub spans: usize,
    pub errors: usize,
    pub services: Vec<String>,
}

impl TraceStore {
    pub fn with_limit(max_spans: usize) -> TraceStore {
        TraceStore {
            traces: HashMap::new(),
            order: VecDeque::new(),
            spans: 0,
            max_spans: max_spans.max(1),
            evicted_traces: 0,
            evicted_spans: 0,
        }
    }

    pub fn span_count(&self) -> usize {
        self.spans
    }

    pub fn trace_count(&self) -> usize {
        self.traces.len()
    }

    /// Traces and spans evicted so far to stay within the limit.
    pub fn evicted(&self) -> (u64, u64) {
        (self.evicted_traces, self.evicted_spans)
    }

    /// Stores a span; the oldest traces go when the store is full.
    pub fn insert(&mut self, span: Span) {
        let id = span.trace_id;
        match self.traces.get_mut(&id) {
            Some(spans) => spans.push(span),
            None => {
                self.order.push_back(id);
                self.traces.insert(id, vec![span]);
            }
        }
        self.spans += 1;
        while self.spans > self.max_spans {
            let Some(oldest) = self.order.pop_front() else {
                break;
            };
            if oldest == id && self.traces.len() == 1 {
                // A single trace larger than the store: keep its newest spans.
                self.order.push_front(oldest);
                if let Some(spans) = self.traces.get_mut(&oldest) {
                    spans.remove(0);
                    self.spans -= 1;
                    self.evicted_spans += 1;
                }
                continue;
            }
            if let Some(spans) = self.traces.remove(&oldest) {
                self.spans -= spans.len();
                self.evicted_spans += spans.len() as u64;
                self.evicted_traces += 1;
            }
        }
    }

    /// Every trace and its spans (in arrival order).
    pub fn iter(&self) -> impl Iterator<Item = (&TraceId, &[Span])> {
        self.traces.iter().map(|(id, spans)| (id, spans.as_slice()))
    }

    /// A trace's spans, by start time.
    pub fn trace(&self, id: &TraceId) -> Option<Vec<&Span>> {
        let spans = self.traces.get(id)?;
        let mut out: Vec<&Span> = spans.iter().collect();
        out.sort_by_key(|s| (s.start_ns, s.span_id));
        Some(out)
    }

    fn summary(id: TraceId, spans: &[Span]) -> TraceSummary {
        // One pass over the spans (a large trace has 50,000 of them): the
        // earliest, the end, the errors and the services.
        let mut earliest: Option<&Span> = None;
        let mut end = i64::MIN;
        let mut errors = 0;
        let mut services = std::collections::BTreeSet::<&str>::new();
        let mut last_service = None;
        for s in spans {
            if earliest.is_none_or(|e| s.start_ns < e.start_ns) {
                earliest = Some(s);
            }
            end = end.max(s.end_ns);
            errors += usize::from(s.status.code == StatusCode::Error);
            let service = s.service();
            if last_service != Some(service) {
                services.insert(service);
                last_service = Some(service);
            }
        }
        // The root: the earliest span without a parent in the trace. The
        // earliest span of all usually is one, which saves a set of every
        // span's id.
        let parentless = |s: &Span| {
            s.parent_span_id
                .is_none_or(|p| !spans.iter().any(|o| o.span_id == p))
        };
        let root = match earliest {
            Some(s) if parentless(s) => Some(s),
            _ => {
                let ids: std::collections::HashSet<_> = spans.iter().map(|s| s.span_id).collect();
                spans
                    .iter()
                    .filter(|s| s.parent_span_id.is_none_or(|p| !ids.contains(&p)))
                    .min_by_key(|s| s.start_ns)
                    .or(earliest)
            }
        };
        let start = earliest.map_or(0, |s| s.start_ns);
        TraceSummary {
            trace_id: id,
            root_service: root.map_or(String::new(), |r| r.service().to_string()),
            root_name: root.map_or(String::new(), |r| r.name.clone()),
            start_ns: start,
            duration_ns: if spans.is_empty() { 0 } else { end - start },
            spans: spans.len(),
            errors,
            services: services.into_iter().map(str::to_string).collect(),
        }
    }

    /// Traces with a span matching the query, newest first.
    pub fn search(&self, q: &TraceQuery) -> Vec<TraceSummary> {
        let span_matches = |s: &Span| {
            q.service.as_ref().is_none_or(|v| s.service() == v)
                && q.operation.as_ref().is_none_or(|v| s.name == *v)
                && q.min_duration_ns.is_none_or(|d| s.duration_ns() >= d)
                && q.max_duration_ns.is_none_or(|d| s.duration_ns() <= d)
                && (!q.errors_only || s.status.code == StatusCode::Error)
                && q.attribute.as_ref().is_none_or(|(k, v)| {
                    s.attribute(k).is_some_and(|a| a.to_string() == *v)
                        || s.resource
                            .iter()
                            .any(|(rk, rv)| rk == k && rv.to_string() == *v)
                })
        };
        // Newest first, and only the traces returned are summed up.
        let mut found: Vec<(i64, TraceId, &[Span])> = self
            .traces
            .iter()
            .filter(|(id, _)| q.trace_id.is_none_or(|t| t == **id))
            .filter(|(_, spans)| spans.iter().any(span_matches))
            .map(|(id, spans)| {
                let start = spans.iter().map(|s| s.start_ns).min().unwrap_or(0);
                (start, *id, spans.as_slice())
            })
            .collect();
        found.sort_unstable_by_key(|&(start, id, _)| std::cmp::Reverse((start, id)));
        found.truncate(if q.limit == 0 { 20 } else { q.limit });
        found
            .into_iter()
            .map(|(_, id, spans)| Self::summary(id, spans))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::test_span as span;

    #[test]
    fn search_like_jaeger() {
        let mut store = TraceStore::default();
        store.insert(span(1, 1, None, "frontend", "GET /cart", 0, 100, false));
        store.insert(span(1, 2, Some(1), "orders", "SELECT", 10, 90, true));
        store.insert(span(2, 3, None, "frontend", "GET /", 200, 210, false));
        let all = store.search(&TraceQuery::default());
        assert_eq!(all.len(), 2);
        assert_eq!(all[0].trace_id, TraceId([2; 16]));
        assert_eq!(
            (all[1].root_name.as_str(), all[1].spans, all[1].errors),
            ("GET /cart", 2, 1)
        );
        let q = |f: &dyn Fn(&mut TraceQuery)| {
            let mut q = TraceQuery::default();
            f(&mut q);
            store.search(&q).len()
        };
        assert_eq!(q(&|q| q.errors_only = true), 1);
        assert_eq!(q(&|q| q.service = Some("orders".into())), 1);
        assert_eq!(q(&|q| q.operation = Some("GET /".into())), 1);
        assert_eq!(q(&|q| q.min_duration_ns = Some(50)), 1);
        assert_eq!(q(&|q| q.max_duration_ns = Some(20)), 1);
        assert_eq!(
            q(&|q| q.attribute = Some(("http.route".into(), "/cart".into()))),
            2
        );
        assert_eq!(q(&|q| q.trace_id = Some(TraceId([1; 16]))), 1);
    }

    #[test]
    fn the_root_is_the_earliest_span_without_a_parent_in_the_trace() {
        let mut store = TraceStore::default();
        // A child whose clock runs early starts before its parent.
        store.insert(span(1, 2, Some(1), "orders", "SELECT", 5, 20, false));
        store.insert(span(1, 1, None, "frontend", "GET /cart", 10, 100, false));
        // An orphan (its parent never arrived) is a root too.
        store.insert(span(
            2,
            3,
            Some(9),
            "payment",
            "POST /charge",
            50,
            60,
            false,
        ));
        store.insert(span(2, 4, Some(3), "redis", "GET", 40, 45, false));
        // No span without a parent: the earliest span stands in.
        store.insert(span(3, 5, Some(6), "a", "x", 300, 310, false));
        store.insert(span(3, 6, Some(5), "b", "y", 200, 320, false));
        let roots: Vec<(String, i64, i64, Vec<String>)> = store
            .search(&TraceQuery::default())
            .into_iter()
            .map(|t| (t.root_name, t.start_ns, t.duration_ns, t.services))
            .collect();
        let names = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            roots,
            [
                ("y".to_string(), 200, 120, names(&["a", "b"])),
                (
                    "POST /charge".to_string(),
                    40,
                    20,
                    names(&["payment", "redis"])
                ),
                (
                    "GET /cart".to_string(),
                    5,
                    95,
                    names(&["frontend", "orders"])
                ),
            ]
        );
        // The limit keeps the newest.
        let q = TraceQuery {
            limit: 1,
            ..TraceQuery::default()
        };
        assert_eq!(store.search(&q)[0].trace_id, TraceId([3; 16]));
    }

    #[test]
    fn the_oldest_traces_are_evicted_and_counted() {
        let mut store = TraceStore::with_limit(3);
        for t in 0..5u8 {
            store.insert(span(
                t + 1,
                1,
                None,
                "a",
                "x",
                t as i64,
                t as i64 + 1,
                false,
            ));
        }
        assert_eq!(
            (store.trace_count(), store.span_count(), store.evicted()),
            (3, 3, (2, 2))
        );
        assert!(store.trace(&TraceId([1; 16])).is_none());
        assert!(store.trace(&TraceId([5; 16])).is_some());
    }
}
