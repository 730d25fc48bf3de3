#!/usr/bin/env bash
# The same data on both sides, answers and time compared (issue #18):
# `o11y gen-openmetrics` writes a workload as OpenMetrics with timestamps,
# `promtool tsdb create-blocks-from openmetrics` turns it into blocks for a
# real Prometheus (on 127.0.0.1, a free port, no scrape targets), and
# `o11y query` loads the same file. A fixed set of range queries at a 15 s
# step runs on both sides, each several times, the best time kept:
# Prometheus's `stats=all` execTotalTime beside ours (evaluation only,
# loading excluded). The answers must agree (same series, values within
# --tolerance, NaN equal to NaN): a disagreement prints the first
# difference and makes the exit status 1. Timings are printed, never
# asserted. See docs/benchmarks.md.
#
#   scripts/bench-vs-prometheus.sh                  # 1,000 + 1,000 series over 6 h, then 5,000 + 5,000 over 24 h
#   scripts/bench-vs-prometheus.sh --quick          # 100 + 100 series over 2 h: an agreement check
#   scripts/bench-vs-prometheus.sh --size 1000:6    # counters:hours (as many bucket series as counters)
#
# Options: --quick, --size SERIES:HOURS (repeatable), --repeat N (default 3),
# --tolerance REL (default 1e-9, also the absolute tolerance), --keep (keep
# the temporary folder). O11Y=path picks the o11y binary (by default
# target/release/o11y, brought up to date with cargo first).
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
build_ours=0
[ -z "${O11Y:-}" ] && build_ours=1
O11Y=${O11Y:-$repo/target/release/o11y}
sizes=()
repeat=3
tolerance=1e-9
keep=0
quick=0
while [ $# -gt 0 ]; do
    case "$1" in
        --quick) quick=1 ;;
        --size) sizes+=("$2"); shift ;;
        --repeat) repeat=$2; shift ;;
        --tolerance) tolerance=$2; shift ;;
        --keep) keep=1 ;;
        -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) echo "bench-vs-prometheus: unknown argument $1 (see --help)" >&2; exit 2 ;;
    esac
    shift
done
if [ ${#sizes[@]} -eq 0 ]; then
    if [ $quick = 1 ]; then sizes=(100:2); else sizes=(1000:6 5000:24); fi
fi
for tool in promtool prometheus python3 curl; do
    command -v "$tool" >/dev/null || { echo "bench-vs-prometheus: $tool is not installed" >&2; exit 2; }
done
if [ $build_ours = 1 ]; then
    # A stale binary would time yesterday's evaluator: cargo is quick when
    # nothing changed.
    (cd "$repo" && cargo build -q --release -p o11y-cli)
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/bench-vs-prometheus.XXXXXX")
prom_pid=
cleanup() {
    if [ -n "$prom_pid" ]; then
        kill "$prom_pid" 2>/dev/null || true
        wait "$prom_pid" 2>/dev/null || true
    fi
    if [ $keep = 1 ]; then echo "kept $tmp"; else rm -rf "$tmp"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The queries: Prometheus 2 and 3 answer each alike on this data over the
# range below.
cat > "$tmp/queries.txt" <<'EOF'
sum by (route) (rate(http_requests_total[5m]))
sum without (instance) (increase(http_requests_total[1h]))
sum by (route) (irate(http_requests_total[5m]))
histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket[5m])))
histogram_quantile(0.9, sum by (route, le) (rate(http_request_duration_seconds_bucket[10m])))
avg by (route) (avg_over_time(http_requests_total[10m]))
max by (route) (max_over_time(http_requests_total[15m]))
min by (route) (min_over_time(http_requests_total[15m]))
sum by (route) (count_over_time(http_request_duration_seconds_bucket[5m]))
max by (route) (quantile_over_time(0.9, http_requests_total[10m]))
sum by (route) (stddev_over_time(http_requests_total[10m]))
topk(3, sum by (instance) (rate(http_requests_total[5m])))
avg by (route) (rate(http_request_duration_seconds_bucket{le="0.25"}[5m]) / ignoring (le) rate(http_request_duration_seconds_bucket{le="+Inf"}[5m]))
max by (route) (sum by (route, instance) (rate(http_requests_total[5m])) / on (route) group_left sum by (route) (rate(http_requests_total[5m])))
max_over_time(sum by (route) (rate(http_requests_total[5m]))[30m:1m])
sum(resets(http_requests_total[1h]))
count by (le) (http_request_duration_seconds_bucket > 100000)
EOF

# Runs the queries on Prometheus, compares with ours, prints the table.
cat > "$tmp/compare.py" <<'EOF'
import json, math, statistics, sys, urllib.parse, urllib.request

url, queries_path, ours_path, start, end, step, repeat, tolerance = sys.argv[1:9]
repeat, tolerance = int(repeat), float(tolerance)
queries = [q.strip() for q in open(queries_path) if q.strip() and not q.startswith("#")]
ours = [json.loads(line) for line in open(ours_path)]
if len(ours) != len(queries):
    sys.exit(f"o11y query printed {len(ours)} responses for {len(queries)} queries")

def prometheus(query):
    best, last = math.inf, None
    for _ in range(repeat):
        body = urllib.parse.urlencode({"query": query, "start": start, "end": end,
                                       "step": step, "stats": "all"}).encode()
        with urllib.request.urlopen(url + "/api/v1/query_range", body, timeout=3600) as r:
            last = json.load(r)
        best = min(best, last["data"]["stats"]["timings"]["execTotalTime"])
    return best, last

def points(response):
    return {tuple(sorted(s["metric"].items())): s["values"] for s in response["data"]["result"]}

def close(a, b):
    a, b = float(a), float(b)
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return a == b or abs(a - b) <= tolerance * max(1.0, abs(a), abs(b))

def name_of(key):
    return "{" + ", ".join(f'{k}="{v}"' for k, v in key) + "}"

def by_step(series):
    steps = {}
    for key, values in series.items():
        for t, v in values:
            steps.setdefault(t, []).append((key, v))
    return steps

def first_tie_difference(p, o):
    """topk/bottomk: at each step the same values, rank by rank. Where the
    series differ at a rank, both have that value: a tie, and which one is
    kept depends on the order series come in, in Prometheus as here."""
    ps, os_ = by_step(p), by_step(o)
    for t in sorted(set(ps) | set(os_)):
        a, b = sorted(ps.get(t, []), key=lambda x: float(x[1])), sorted(os_.get(t, []), key=lambda x: float(x[1]))
        if len(a) != len(b) or not all(close(x[1], y[1]) for x, y in zip(a, b)):
            return f"at {t}: Prometheus {[(name_of(k), v) for k, v in a]}, ours {[(name_of(k), v) for k, v in b]}"
    return None

def first_difference(query, prom, mine):
    if prom.get("status") != "success" or mine.get("status") != "success":
        return f"Prometheus: {prom.get('error', 'success')}; ours: {mine.get('error', 'success')}"
    p, o = points(prom), points(mine)
    if query.startswith(("topk", "bottomk")):
        return first_tie_difference(p, o)
    for key in sorted(set(p) | set(o)):
        name = name_of(key)
        if key not in o:
            return f"series {name} only in Prometheus's answer ({len(p[key])} points)"
        if key not in p:
            return f"series {name} only in ours ({len(o[key])} points)"
        pt, ot = dict((t, v) for t, v in p[key]), dict((t, v) for t, v in o[key])
        for t in sorted(set(pt) | set(ot)):
            if t not in ot or t not in pt or not close(pt[t], ot[t]):
                return f"{name} at {t}: Prometheus {pt.get(t, 'no point')}, ours {ot.get(t, 'no point')}"
    return None

rows, ratios, differences = [], [], []
for i, (query, mine) in enumerate(zip(queries, ours), 1):
    prom_s, prom = prometheus(query)
    difference = first_difference(query, prom, mine)
    if difference:
        differences.append((i, query, difference))
    ours_s = mine.get("data", {}).get("stats", {}).get("timings", {}).get("execTotalTime", math.nan)
    ratio = prom_s / ours_s if ours_s > 0 else math.nan
    ratios.append(ratio)
    rows.append((str(i), f"{prom_s * 1000:.1f}", f"{ours_s * 1000:.1f}",
                 str(prom["data"]["stats"]["samples"]["totalQueryableSamples"]) if prom.get("status") == "success" else "-",
                 str(mine.get("data", {}).get("stats", {}).get("samples", {}).get("totalQueryableSamples", "-")),
                 f"{ratio:.2f}", "yes" if not difference else "NO", query))
header = ("#", "Prometheus ms", "ours ms", "Prometheus samples", "ours samples", "ratio", "agree", "query")
widths = [max(len(r[c]) for r in rows + [header]) for c in range(7)]
for r in [header] + rows:
    print("  ".join(r[c].rjust(widths[c]) for c in range(7)) + "  " + r[7])
print(f"median ratio (Prometheus time / ours, >1: ours faster): {statistics.median(ratios):.2f}")
for i, query, difference in differences:
    print(f"DISAGREE #{i} {query}\n    first difference: {difference}")
sys.exit(1 if differences else 0)
EOF

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

failed=0
for size in "${sizes[@]}"; do
    series=${size%%:*}
    hours=${size##*:}
    dir=$tmp/$series-$hours
    mkdir -p "$dir"
    # Data ending an hour or more before now: within any retention, and
    # clear of the head block Prometheus keeps for new samples.
    now=$(date +%s)
    data_start=$(( (now - hours * 3600 - 3600) / 3600 * 3600 ))
    # The queries start an hour into the data (the longest window, 1h), so
    # no window reaches before a series' first sample: there Prometheus 2
    # extrapolates rate() differently from Prometheus 3 (and from us). Their
    # steps fall 5 s after multiples of 15 s, so no window's edge is a
    # sample (whose milliseconds end in 1) or a subquery's step (a whole minute).
    start=$(( data_start + 3600 + 5 ))
    end=$(( data_start + hours * 3600 - 10 ))
    echo "== $series counter and $series bucket series, $hours h at 15 s: range queries from $start to $end at a 15 s step"

    t0=$(date +%s.%N)
    "$O11Y" gen-openmetrics --series "$series" --hours "$hours" --start "$data_start" --out "$dir/data.om"
    t1=$(date +%s.%N)
    promtool tsdb create-blocks-from openmetrics -q "$dir/data.om" "$dir/prometheus" > "$dir/promtool.log"
    t2=$(date +%s.%N)
    python3 - "$dir/data.om" "$t0" "$t1" "$t2" <<'EOF'
import os, sys
path, t0, t1, t2 = sys.argv[1], *map(float, sys.argv[2:])
print(f"   generated {os.path.getsize(path) / 1e6:.0f} MB of OpenMetrics in {t1 - t0:.1f} s; promtool created blocks in {t2 - t1:.1f} s")
EOF

    # 2 h blocks as promtool writes them, not compacted while we measure.
    printf 'global:\n  scrape_interval: 15s\nscrape_configs: []\n' > "$dir/prometheus.yml"
    port=$(free_port)
    prometheus --config.file="$dir/prometheus.yml" --storage.tsdb.path="$dir/prometheus" \
        --web.listen-address="127.0.0.1:$port" --storage.tsdb.retention.time=100y \
        --storage.tsdb.min-block-duration=2h --storage.tsdb.max-block-duration=2h \
        --query.max-samples=2000000000 --query.timeout=1h --log.level=warn \
        > "$dir/prometheus.log" 2>&1 &
    prom_pid=$!
    url=http://127.0.0.1:$port
    for _ in $(seq 1 600); do
        if curl -sf "$url/-/ready" > /dev/null; then break; fi
        kill -0 "$prom_pid" 2>/dev/null || { cat "$dir/prometheus.log" >&2; exit 1; }
        sleep 0.2
    done
    blocks=$(find "$dir/prometheus" -name meta.json | wc -l)
    loaded=$(curl -sf "$url/metrics" | awk '/^prometheus_tsdb_blocks_loaded /{print $2}')
    count=$(curl -sf "$url/api/v1/query" --data-urlencode 'query=count({__name__=~"http_.+"})' \
        --data-urlencode "time=$end" | python3 -c 'import json,sys; r=json.load(sys.stdin)["data"]["result"]; print(r[0]["value"][1] if r else 0)')
    echo "   Prometheus loaded $loaded of $blocks blocks, $count series at the end"
    if [ "$loaded" != "$blocks" ] || [ "$count" != $(( 2 * series )) ]; then
        echo "bench-vs-prometheus: Prometheus did not load the blocks (see $dir/prometheus.log)" >&2
        exit 1
    fi

    /usr/bin/time -f '%M' -o "$dir/ours.rss" "$O11Y" query --queries "$tmp/queries.txt" \
        --start "$start" --end "$end" --step 15s --repeat "$repeat" --stats "$dir/data.om" \
        > "$dir/ours.jsonl" 2> "$dir/ours.err" || true
    sed 's/^/   /' "$dir/ours.err"
    echo "   o11y query: peak memory $(( $(tail -1 "$dir/ours.rss") / 1024 )) MiB (load and all queries)"

    python3 - "$dir/prometheus" "$dir/ours.jsonl" <<'EOF'
import json, os, sys
blocks, chunk_bytes, samples = 0, 0, 0
for block in os.scandir(sys.argv[1]):
    meta = os.path.join(block.path, "meta.json")
    if os.path.exists(meta):
        blocks += 1
        samples += json.load(open(meta))["stats"]["numSamples"]
        chunks = os.path.join(block.path, "chunks")
        chunk_bytes += sum(f.stat().st_size for f in os.scandir(chunks))
storage = json.loads(open(sys.argv[2]).readline())["data"]["stats"]["storage"]
print(f"   bytes per sample: Prometheus {chunk_bytes / samples:.3f} ({blocks} blocks, {chunk_bytes} chunk bytes, {samples} samples);"
      f" ours {storage['bytesPerSample']:.3f} ({storage['chunks']} chunks, {storage['chunkBytes']} bytes, {storage['samples']} samples)")
EOF

    python3 "$tmp/compare.py" "$url" "$tmp/queries.txt" "$dir/ours.jsonl" "$start" "$end" 15s "$repeat" "$tolerance" || failed=1
    kill "$prom_pid"
    wait "$prom_pid" 2>/dev/null || true
    prom_pid=
    if [ $keep = 0 ]; then rm -rf "$dir"; fi
done
exit $failed
