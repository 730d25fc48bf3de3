//! What the Traces page draws, computed here: a trace's waterfall (spans
//! in tree order with depth, children and the critical path) and the
//! service map (services, the calls between them, rates, errors, p99).

use std::collections::{BTreeMap, HashMap, HashSet};

use super::model::{Span, SpanId, SpanKind, StatusCode};
use super::store::TraceStore;

/// How long span `index` worked on its own: its duration less the time
/// covered by its children (clipped to it, overlaps counted once). The
/// critical span with the most of it is where a slow trace's time went.
pub fn self_time_ns(spans: &[&Span], index: usize) -> i64 {
    let span = spans[index];
    let mut children: Vec<(i64, i64)> = spans
        .iter()
        .filter(|s| s.parent_span_id == Some(span.span_id))
        .map(|s| (s.start_ns.max(span.start_ns), s.end_ns.min(span.end_ns)))
        .filter(|(a, b)| a < b)
        .collect();
    children.sort_unstable();
    let (mut covered, mut reach) = (0, i64::MIN);
    for (a, b) in children {
        let a = a.max(reach);
        if b > a {
            covered += b - a;
        }
        reach = reach.max(b);
    }
    span.duration_ns() - covered
}

/// One row of a waterfall.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    /// Index into the spans given.
    pub span: usize,
    pub depth: usize,
    pub children: usize,
    /// On the critical path: the chain of spans that decided when the trace ended.
    pub critical: bool,
}

/// The spans of one trace in tree order (children by start time), roots
/// first; spans whose parent is missing are roots too. Critical spans are
/// those that decided when their parent ended.
pub fn waterfall(spans: &[&Span]) -> Vec<Row> {
    let ids: HashSet<SpanId> = spans.iter().map(|s| s.span_id).collect();
    let mut children: HashMap<Option<SpanId>, Vec<usize>> = HashMap::new();
    for (i, s) in spans.iter().enumerate() {
        let parent = s.parent_span_id.filter(|p| ids.contains(p));
        children.entry(parent).or_default().push(i);
    }
    for list in children.values_mut() {
        list.sort_by_key(|&i| (spans[i].start_ns, spans[i].span_id));
    }
    // The critical path, as Jaeger finds it: from a span's end, the child
    // that finished last is critical; then, from that child's start, the
    // child that finished before it, and so on, recursively.
    fn mark(
        i: usize,
        spans: &[&Span],
        children: &HashMap<Option<SpanId>, Vec<usize>>,
        critical: &mut HashSet<usize>,
    ) {
        if !critical.insert(i) {
            return;
        }
        let mut kids = children
            .get(&Some(spans[i].span_id))
            .cloned()
            .unwrap_or_default();
        kids.sort_by_key(|&k| std::cmp::Reverse(spans[k].end_ns));
        let mut cursor = spans[i].end_ns;
        for k in kids {
            if spans[k].end_ns <= cursor || cursor == spans[i].end_ns {
                mark(k, spans, children, critical);
                cursor = spans[k].start_ns;
            }
        }
    }
    let mut critical = HashSet::new();
    for &root in children.get(&None).map(Vec::as_slice).unwrap_or_default() {
        mark(root, spans, &children, &mut critical);
    }
    let mut out = Vec::with_capacity(spans.len());
    let mut stack: Vec<(usize, usize)> = children
        .get(&None)
        .map(|r| r.iter().rev().map(|&i| (i, 0)).collect())
        .unwrap_or_default();
    let mut seen = HashSet::new();
    while let Some((i, depth)) = stack.pop() {
        if !seen.insert(i) {
            continue;
        }
        let kids = children
            .get(&Some(spans[i].span_id))
            .map(Vec::as_slice)
            .unwrap_or_default();
        out.push(Row {
            span: i,
            depth,
            children: kids.len(),
            critical: critical.contains(&i),
        });
        for &k in kids.iter().rev() {
            stack.push((k, depth + 1));
        }
    }
    out
}

/// A service on the map.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    pub service: String,
    /// Server spans (requests served).
    pub requests: usize,
    pub errors: usize,
    pub p99_ns: i64,
    /// Distance from the services nobody calls (for layout).
    pub layer: usize,
}

/// Calls from one service to another.
#[derive(Clone, Debug, PartialEq)]
pub struct Edge {
    pub from: String,
    pub to: String,
    pub calls: usize,
    pub errors: usize,
}

/// Services and calls over every stored trace: a call is a server span
/// whose parent span belongs to another service.
pub fn service_map(store: &TraceStore) -> (Vec<Node>, Vec<Edge>) {
    let mut durations: BTreeMap<String, Vec<i64>> = BTreeMap::new();
    let mut errors: BTreeMap<String, usize> = BTreeMap::new();
    let mut edges: BTreeMap<(String, String), (usize, usize)> = BTreeMap::new();
    for (_, spans) in store.iter() {
        let by_id: HashMap<SpanId, &Span> = spans.iter().map(|s| (s.span_id, s)).collect();
        for s in spans.iter().filter(|s| s.kind == SpanKind::Server) {
            let service = s.service().to_string();
            durations
                .entry(service.clone())
                .or_default()
                .push(s.duration_ns());
            let failed = s.status.code == StatusCode::Error;
            *errors.entry(service.clone()).or_default() += usize::from(failed);
            if let Some(parent) = s.parent_span_id.and_then(|p| by_id.get(&p)) {
                let caller = parent.service();
                if caller != service {
                    let e = edges.entry((caller.to_string(), service)).or_default();
                    e.0 += 1;
                    e.1 += usize::from(failed);
                }
            }
        }
    }
    // Layers: longest path from a service nobody calls.
    let mut layer: BTreeMap<String, usize> = durations.keys().map(|k| (k.clone(), 0)).collect();
    for _ in 0..layer.len() {
        for (from, to) in edges.keys() {
            let next = layer.get(from).copied().unwrap_or(0) + 1;
            let l = layer.entry(to.clone()).or_insert(0);
            if *l < next && next < 64 {
                *l = next;
            }
        }
    }
    let nodes = durations
        .into_iter()
        .map(|(service, mut d)| {
            d.sort_unstable();
            let p99 = d[(d.len() * 99 / 100).min(d.len() - 1)];
            Node {
                errors: errors.get(&service).copied().unwrap_or(0),
                requests: d.len(),
                p99_ns: p99,
                layer: layer.get(&service).copied().unwrap_or(0),
                service,
            }
        })
        .collect();
    let edges = edges
        .into_iter()
        .map(|((from, to), (calls, errors))| Edge {
            from,
            to,
            calls,
            errors,
        })
        .collect();
    (nodes, edges)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn span(id: u8, parent: Option<u8>, start: i64, end: i64) -> Span {
        Span {
            span_id: SpanId([id; 8]),
            parent_span_id: parent.map(|p| SpanId([p; 8])),
            start_ns: start,
            end_ns: end,
            ..Span::default()
        }
    }

    #[test]
    fn self_time_is_what_children_do_not_cover() {
        // A root of 100 with two overlapping children (10..40, 30..60) and
        // one that runs past its end (90..120).
        let spans = [
            span(1, None, 0, 100),
            span(2, Some(1), 10, 40),
            span(3, Some(1), 30, 60),
            span(4, Some(1), 90, 120),
            span(5, Some(2), 10, 20),
        ];
        let refs: Vec<&Span> = spans.iter().collect();
        assert_eq!(self_time_ns(&refs, 0), 100 - 50 - 10);
        assert_eq!(self_time_ns(&refs, 1), 30 - 10);
        assert_eq!(self_time_ns(&refs, 2), 30);
    }
}
