//! What the Traces page draws, computed here: a trace's waterfall (spans
//! in tree order with depth, children and the critical path, laid out
//! once for drawing; which rows a scrolled list puts in the page) and the
//! service map (services, the calls between them, rates, errors, p99).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};
use std::ops::Range;

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
    /// One past the last row of this span's subtree: collapsing the span
    /// hides rows `i + 1..end`.
    pub end: usize,
}

/// Hashes a span id (as the `u64` its bytes make) with splitmix64's
/// finaliser: ids are random in practice, sequential in tests, and the
/// waterfall of a 50,000-span trace looks each one up twice.
#[derive(Default)]
struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 ^= n;
    }
}

fn id_key(id: SpanId) -> u64 {
    u64::from_le_bytes(id.0)
}

/// No parent among the spans given.
const ROOT: u32 = u32::MAX;

/// The spans of one trace in tree order (children by start time), roots
/// first; spans whose parent is missing are roots too. Critical spans are
/// those that decided when their parent ended. Linear but for sorting
/// each span's children: arrays indexed by span, one id lookup per span.
pub fn waterfall(spans: &[&Span]) -> Vec<Row> {
    let n = spans.len();
    // The first span of each id is the one its children hang under.
    let mut index: HashMap<u64, u32, BuildHasherDefault<IdHasher>> =
        HashMap::with_capacity_and_hasher(n, BuildHasherDefault::default());
    for (i, s) in spans.iter().enumerate() {
        index.entry(id_key(s.span_id)).or_insert(i as u32);
    }
    let parent: Vec<u32> = spans
        .iter()
        .map(|s| {
            s.parent_span_id
                .and_then(|p| index.get(&id_key(p)).copied())
                .unwrap_or(ROOT)
        })
        .collect();
    drop(index);
    // Children lists, packed: span i's are kids[first[i]..first[i + 1]],
    // the roots' are the last list.
    let slot = |p: u32| if p == ROOT { n } else { p as usize };
    let mut first = vec![0u32; n + 2];
    for &p in &parent {
        first[slot(p) + 1] += 1;
    }
    for i in 1..first.len() {
        first[i] += first[i - 1];
    }
    let mut fill = first.clone();
    let mut kids = vec![0u32; n];
    for (i, &p) in parent.iter().enumerate() {
        let at = &mut fill[slot(p)];
        kids[*at as usize] = i as u32;
        *at += 1;
    }
    drop(fill);
    for w in first.windows(2) {
        // Stable and linear on runs: the store hands spans over by start.
        kids[w[0] as usize..w[1] as usize]
            .sort_by_key(|&k| (spans[k as usize].start_ns, spans[k as usize].span_id));
    }
    let kids_of = |i: usize| &kids[first[i] as usize..first[i + 1] as usize];
    // The critical path, as Jaeger finds it: from a span's end, the child
    // that finished last is critical; then, from that child's start, the
    // child that finished before it, and so on, recursively.
    let mut critical = vec![false; n];
    let mut todo: Vec<u32> = kids_of(n).to_vec();
    let mut by_end: Vec<u32> = Vec::new();
    while let Some(i) = todo.pop() {
        let i = i as usize;
        if std::mem::replace(&mut critical[i], true) {
            continue;
        }
        by_end.clear();
        by_end.extend_from_slice(kids_of(i));
        by_end.sort_by_key(|&k| std::cmp::Reverse(spans[k as usize].end_ns));
        let mut cursor = spans[i].end_ns;
        for &k in &by_end {
            let kid = spans[k as usize];
            if kid.end_ns <= cursor || cursor == spans[i].end_ns {
                todo.push(k);
                cursor = kid.start_ns;
            }
        }
    }
    // Tree order, depth first.
    let mut out: Vec<Row> = Vec::with_capacity(n);
    let mut stack: Vec<(u32, usize)> = kids_of(n).iter().rev().map(|&i| (i, 0)).collect();
    while let Some((i, depth)) = stack.pop() {
        let i = i as usize;
        let below = kids_of(i);
        out.push(Row {
            span: i,
            depth,
            children: below.len(),
            critical: critical[i],
            end: 0,
        });
        stack.extend(below.iter().rev().map(|&k| (k, depth + 1)));
    }
    // Where each subtree ends: at the next row no deeper than its root.
    let mut open: Vec<usize> = Vec::new();
    for p in 0..out.len() {
        while let Some(&q) = open.last() {
            if out[q].depth < out[p].depth {
                break;
            }
            out[q].end = p;
            open.pop();
        }
        open.push(p);
    }
    for q in open {
        out[q].end = out.len();
    }
    out
}

/// A trace laid out for drawing, once, when it is opened: the rows in
/// tree order and what each shows (labels, bar, marks), without a copy of
/// the spans. Collapsing a span or scrolling then only picks rows.
#[derive(Clone, Debug, Default)]
pub struct Waterfall {
    rows: Vec<Row>,
    lanes: Vec<Lane>,
    /// Each service once; lanes point into it.
    services: Vec<String>,
    /// Every span's name, one after another; lanes hold where each ends.
    names: String,
    spans: usize,
    start_ns: i64,
    end_ns: i64,
}

/// What a row draws besides its place in the tree.
#[derive(Clone, Debug)]
struct Lane {
    span_id: SpanId,
    service: u32,
    name_end: u32,
    start_ns: i64,
    end_ns: i64,
    error: bool,
}

/// One row as drawn: its span's labels, its bar (as percentages of the
/// trace's duration) and its marks.
#[derive(Clone, Debug, PartialEq)]
pub struct RowView<'a> {
    pub span_id: SpanId,
    pub service: &'a str,
    pub name: &'a str,
    pub depth: usize,
    pub children: usize,
    pub critical: bool,
    pub error: bool,
    pub duration_ns: i64,
    /// Where the bar starts, in percent of the trace's duration.
    pub left_pct: f64,
    /// How wide it is, in percent (never under 0.3, so it stays visible).
    pub width_pct: f64,
}

impl Waterfall {
    /// Lays out one trace's spans (see [`waterfall`]).
    pub fn new(spans: &[&Span]) -> Waterfall {
        let rows = waterfall(spans);
        let mut services: Vec<String> = Vec::new();
        let mut service_of: HashMap<&str, u32> = HashMap::new();
        let mut last: Option<(&str, u32)> = None;
        let mut names = String::with_capacity(rows.len() * 16);
        let lanes = rows
            .iter()
            .map(|r| {
                let s = spans[r.span];
                let service = s.service();
                let service = match last {
                    Some((name, at)) if name == service => at,
                    _ => {
                        let at = *service_of.entry(service).or_insert_with(|| {
                            services.push(service.to_string());
                            services.len() as u32 - 1
                        });
                        last = Some((service, at));
                        at
                    }
                };
                names.push_str(&s.name);
                Lane {
                    span_id: s.span_id,
                    service,
                    name_end: names.len() as u32,
                    start_ns: s.start_ns,
                    end_ns: s.end_ns,
                    error: s.status.code == StatusCode::Error,
                }
            })
            .collect();
        Waterfall {
            rows,
            lanes,
            services,
            names,
            spans: spans.len(),
            start_ns: spans.iter().map(|s| s.start_ns).min().unwrap_or(0),
            end_ns: spans.iter().map(|s| s.end_ns).max().unwrap_or(0),
        }
    }

    /// Rows, one per span reachable from a root.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Spans given (a span in a parent cycle has no row).
    pub fn span_count(&self) -> usize {
        self.spans
    }

    /// From the first span's start to the last one's end.
    pub fn duration_ns(&self) -> i64 {
        self.end_ns - self.start_ns
    }

    /// The rows in tree order.
    pub fn rows(&self) -> &[Row] {
        &self.rows
    }

    /// Row `i` as drawn.
    pub fn row(&self, i: usize) -> RowView<'_> {
        let (r, lane) = (&self.rows[i], &self.lanes[i]);
        let name_start = if i == 0 {
            0
        } else {
            self.lanes[i - 1].name_end as usize
        };
        let total = self.duration_ns().max(1) as f64;
        let duration_ns = lane.end_ns - lane.start_ns;
        RowView {
            span_id: lane.span_id,
            service: &self.services[lane.service as usize],
            name: &self.names[name_start..lane.name_end as usize],
            depth: r.depth,
            children: r.children,
            critical: r.critical,
            error: lane.error,
            duration_ns,
            left_pct: (lane.start_ns - self.start_ns) as f64 / total * 100.0,
            width_pct: (duration_ns as f64 / total * 100.0).max(0.3),
        }
    }

    /// The rows shown when the rows in `collapsed` are shut: every row
    /// not under a shut one, in order (a shut row itself is shown).
    pub fn shown(&self, collapsed: &HashSet<usize>) -> Vec<u32> {
        let mut out = Vec::with_capacity(self.rows.len());
        let mut i = 0;
        while i < self.rows.len() {
            out.push(i as u32);
            i = if collapsed.contains(&i) {
                self.rows[i].end.max(i + 1)
            } else {
                i + 1
            };
        }
        out
    }
}

/// The rows of a long list worth putting in the page: `pool` of them (all
/// when there are fewer), from `overscan` rows above the first one in view
/// at `scroll_px`, rows being `row_px` high; never past the end, so the
/// window is always full.
pub fn window(
    len: usize,
    pool: usize,
    scroll_px: f64,
    row_px: f64,
    overscan: usize,
) -> Range<usize> {
    let pool = pool.min(len);
    let first = if row_px > 0.0 && scroll_px > 0.0 {
        (scroll_px / row_px).floor() as usize
    } else {
        0
    };
    let from = first.saturating_sub(overscan).min(len - pool);
    from..from + pool
}

/// The list position a pool's element `slot` draws for a window: position
/// `p` goes to element `p % pool`, so scrolling by `k` rows redraws `k`
/// elements and the others keep what they show.
pub fn slot_position(slot: usize, pool: usize, window: &Range<usize>) -> Option<usize> {
    if slot >= pool {
        return None;
    }
    let base = window.start - window.start % pool + slot;
    let p = if base < window.start {
        base + pool
    } else {
        base
    };
    (p < window.end).then_some(p)
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
    // Keyed by the stored spans' own names: a string is made per service
    // and per call, not per span.
    let mut durations: BTreeMap<&str, Vec<i64>> = BTreeMap::new();
    let mut errors: BTreeMap<&str, usize> = BTreeMap::new();
    let mut edges: BTreeMap<(&str, &str), (usize, usize)> = BTreeMap::new();
    for (_, spans) in store.iter() {
        // Spans by id, made only for a trace with a server span that has a
        // parent (a large trace is mostly internal and client spans).
        let mut by_id: Option<HashMap<SpanId, &Span>> = None;
        for s in spans.iter().filter(|s| s.kind == SpanKind::Server) {
            let service = s.service();
            durations.entry(service).or_default().push(s.duration_ns());
            let failed = s.status.code == StatusCode::Error;
            *errors.entry(service).or_default() += usize::from(failed);
            let Some(p) = s.parent_span_id else {
                continue;
            };
            let by_id = by_id.get_or_insert_with(|| spans.iter().map(|s| (s.span_id, s)).collect());
            if let Some(parent) = by_id.get(&p) {
                let caller = parent.service();
                if caller != service {
                    let e = edges.entry((caller, service)).or_default();
                    e.0 += 1;
                    e.1 += usize::from(failed);
                }
            }
        }
    }
    // Layers: longest path from a service nobody calls.
    let mut layer: BTreeMap<&str, usize> =
        o11y_model::sort::map_from(durations.keys().map(|&k| (k, 0)));
    for _ in 0..layer.len() {
        for (from, to) in edges.keys() {
            let next = layer.get(from).copied().unwrap_or(0) + 1;
            let l = layer.entry(to).or_insert(0);
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
                errors: errors.get(service).copied().unwrap_or(0),
                requests: d.len(),
                p99_ns: p99,
                layer: layer.get(service).copied().unwrap_or(0),
                service: service.to_string(),
            }
        })
        .collect();
    let edges = edges
        .into_iter()
        .map(|((from, to), (calls, errors))| Edge {
            from: from.to_string(),
            to: to.to_string(),
            calls,
            errors,
        })
        .collect();
    (nodes, edges)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_span;

    fn span(id: u8, parent: Option<u8>, start: i64, end: i64) -> Span {
        Span {
            span_id: SpanId([id; 8]),
            parent_span_id: parent.map(|p| SpanId([p; 8])),
            start_ns: start,
            end_ns: end,
            ..Span::default()
        }
    }

    /// The waterfall as it was first written (hash maps, recursion): the
    /// linear one must give the same rows.
    fn reference(spans: &[&Span]) -> Vec<(usize, usize, usize, bool)> {
        let ids: HashSet<SpanId> = spans.iter().map(|s| s.span_id).collect();
        let mut children: HashMap<Option<SpanId>, Vec<usize>> = HashMap::new();
        for (i, s) in spans.iter().enumerate() {
            let parent = s.parent_span_id.filter(|p| ids.contains(p));
            children.entry(parent).or_default().push(i);
        }
        for list in children.values_mut() {
            list.sort_by_key(|&i| (spans[i].start_ns, spans[i].span_id));
        }
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
        let mut out = Vec::new();
        let mut stack: Vec<(usize, usize)> = children
            .get(&None)
            .map(|r| r.iter().rev().map(|&i| (i, 0)).collect())
            .unwrap_or_default();
        while let Some((i, depth)) = stack.pop() {
            let kids = children
                .get(&Some(spans[i].span_id))
                .map(Vec::as_slice)
                .unwrap_or_default();
            out.push((i, depth, kids.len(), critical.contains(&i)));
            for &k in kids.iter().rev() {
                stack.push((k, depth + 1));
            }
        }
        out
    }

    /// Random trees (a few roots, orphans whose parent is missing, equal
    /// start and end times), in random order.
    fn random_trace(seed: u64, n: usize) -> Vec<Span> {
        let mut state = seed;
        let mut next = move |m: u64| {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 33) % m.max(1)
        };
        let mut spans: Vec<Span> = Vec::new();
        for i in 0..n {
            let id = SpanId((i as u64 + 1).to_be_bytes());
            let parent = match next(10) {
                0 => None,
                1 => Some(SpanId((n as u64 + 7).to_be_bytes())),
                _ if i > 0 => Some(spans[next(i as u64) as usize].span_id),
                _ => None,
            };
            let start = next(20) as i64 * 5;
            let end = start + next(8) as i64 * 5;
            spans.push(Span {
                span_id: id,
                parent_span_id: parent,
                start_ns: start,
                end_ns: end,
                ..Span::default()
            });
        }
        for i in (1..spans.len()).rev() {
            spans.swap(i, next(i as u64 + 1) as usize);
        }
        spans
    }

    #[test]
    fn the_linear_waterfall_gives_the_rows_the_first_one_gave() {
        for seed in 0..200 {
            let spans = random_trace(seed, 1 + seed as usize % 60);
            let refs: Vec<&Span> = spans.iter().collect();
            let rows = waterfall(&refs);
            let got: Vec<_> = rows
                .iter()
                .map(|r| (r.span, r.depth, r.children, r.critical))
                .collect();
            assert_eq!(got, reference(&refs), "seed {seed}");
        }
    }

    #[test]
    fn a_subtree_ends_where_the_next_row_no_deeper_starts() {
        for seed in 0..50 {
            let spans = random_trace(seed, 40);
            let refs: Vec<&Span> = spans.iter().collect();
            let rows = waterfall(&refs);
            for (i, r) in rows.iter().enumerate() {
                assert!(r.end > i && r.end <= rows.len());
                assert!(rows[i + 1..r.end].iter().all(|d| d.depth > r.depth));
                assert!(rows.get(r.end).is_none_or(|d| d.depth <= r.depth));
                let direct = rows[i + 1..r.end]
                    .iter()
                    .filter(|d| d.depth == r.depth + 1)
                    .count();
                assert_eq!(direct, r.children, "seed {seed} row {i}");
            }
        }
    }

    // A span that is its own parent, and two that are each other's, never
    // reach a root: they have no row (as before), and nothing loops.
    #[test]
    fn spans_in_a_parent_cycle_have_no_row() {
        let spans = [
            span(1, None, 0, 10),
            span(2, Some(2), 1, 2),
            span(3, Some(4), 1, 2),
            span(4, Some(3), 1, 2),
        ];
        let refs: Vec<&Span> = spans.iter().collect();
        let rows = waterfall(&refs);
        assert_eq!(rows.iter().map(|r| r.span).collect::<Vec<_>>(), [0]);
        let w = Waterfall::new(&refs);
        assert_eq!((w.len(), w.span_count()), (1, 4));
    }

    // A chain 100,000 spans deep: the first waterfall recursed once per
    // level and would overflow the stack in the page.
    #[test]
    fn a_very_deep_trace_does_not_overflow_the_stack() {
        let spans: Vec<Span> = (0..100_000u64)
            .map(|i| Span {
                span_id: SpanId((i + 1).to_be_bytes()),
                parent_span_id: (i > 0).then(|| SpanId(i.to_be_bytes())),
                start_ns: i as i64,
                end_ns: 200_000 - i as i64,
                ..Span::default()
            })
            .collect();
        let refs: Vec<&Span> = spans.iter().collect();
        let rows = waterfall(&refs);
        assert_eq!(rows.len(), 100_000);
        assert!(rows.iter().all(|r| r.critical));
        assert_eq!((rows[99_999].depth, rows[0].end), (99_999, 100_000));
    }

    #[test]
    fn a_laid_out_row_has_its_labels_bar_and_marks() {
        let spans = [
            test_span(0, 1, None, "frontend", "GET /", 100, 300, false),
            test_span(0, 2, Some(1), "api", "lookup", 150, 210, true),
            test_span(0, 3, Some(1), "frontend", "render", 200, 299, false),
            test_span(0, 4, Some(2), "db", "SELECT", 160, 160, false),
        ];
        let refs: Vec<&Span> = spans.iter().collect();
        let w = Waterfall::new(&refs);
        assert_eq!((w.len(), w.duration_ns()), (4, 200));
        let row = |i| {
            let r = w.row(i);
            (
                r.service,
                r.name,
                r.depth,
                r.children,
                r.critical,
                r.error,
                r.left_pct,
                r.width_pct,
            )
        };
        assert_eq!(row(0), ("frontend", "GET /", 0, 2, true, false, 0.0, 100.0));
        // It ends after "render" starts: not what the root waited for.
        assert_eq!(row(1), ("api", "lookup", 1, 1, false, true, 25.0, 30.0));
        // A span of no time still gets a visible bar.
        assert_eq!(row(2), ("db", "SELECT", 2, 0, false, false, 30.0, 0.3));
        assert_eq!(
            row(3),
            ("frontend", "render", 1, 0, true, false, 50.0, 49.5)
        );
        assert_eq!(w.row(3).span_id, SpanId([3; 8]));
    }

    #[test]
    fn collapsing_a_span_hides_its_subtree_only() {
        // 0 root: 1 (2, 3 (4)), 5
        let spans = [
            span(1, None, 0, 100),
            span(2, Some(1), 0, 50),
            span(3, Some(2), 0, 10),
            span(4, Some(2), 10, 20),
            span(5, Some(4), 10, 15),
            span(6, Some(1), 50, 100),
        ];
        let refs: Vec<&Span> = spans.iter().collect();
        let w = Waterfall::new(&refs);
        let shown = |shut: &[usize]| w.shown(&shut.iter().copied().collect());
        assert_eq!(shown(&[]), [0, 1, 2, 3, 4, 5]);
        assert_eq!(shown(&[0]), [0]);
        assert_eq!(shown(&[1]), [0, 1, 5]);
        assert_eq!(shown(&[3]), [0, 1, 2, 3, 5]);
        // A shut span under a shut one changes nothing more; a leaf shut hides nothing.
        assert_eq!(shown(&[1, 3]), [0, 1, 5]);
        assert_eq!(shown(&[5, 2]), [0, 1, 2, 3, 4, 5]);
    }

    #[test]
    fn the_window_is_full_and_stays_inside_the_list() {
        // 1,000 rows of 18 px, 80 elements, 20 rows drawn above the view.
        let w = |scroll| window(1000, 80, scroll, 18.0, 20);
        assert_eq!(w(0.0), 0..80);
        assert_eq!(w(18.0 * 20.0), 0..80);
        assert_eq!(w(18.0 * 21.0 + 17.0), 1..81);
        assert_eq!(w(18.0 * 500.0), 480..560);
        assert_eq!(w(18.0 * 990.0), 920..1000);
        assert_eq!(w(1e9), 920..1000);
        // Fewer rows than elements: all of them.
        assert_eq!(window(30, 80, 200.0, 18.0, 20), 0..30);
        assert_eq!(window(0, 80, 200.0, 18.0, 20), 0..0);
    }

    #[test]
    fn scrolling_by_k_rows_redraws_k_elements() {
        let pool = 80;
        let place = |w: Range<usize>| {
            (0..pool)
                .map(|s| slot_position(s, pool, &w))
                .collect::<Vec<_>>()
        };
        for start in [0, 1, 79, 80, 81, 500, 920] {
            let w = start..start + pool;
            let placed = place(w.clone());
            // Each position of the window in exactly one element, the one it is congruent to.
            let mut got: Vec<usize> = placed.iter().map(|p| p.unwrap()).collect();
            assert!(got.iter().enumerate().all(|(s, p)| p % pool == s));
            got.sort_unstable();
            assert_eq!(got, w.clone().collect::<Vec<_>>());
            for k in [1, 5, 40] {
                let moved = place(start + k..start + k + pool);
                assert_eq!(placed.iter().zip(&moved).filter(|(a, b)| a != b).count(), k);
            }
        }
        // A short window leaves elements empty; one past the pool draws nothing.
        assert_eq!(place(0..3)[..4], [Some(0), Some(1), Some(2), None]);
        assert_eq!(slot_position(80, pool, &(0..80)), None);
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
