#!/usr/bin/env bash
# Runs every test of O11y Playground, installing what is missing first:
# formatting, clippy, native tests, the release wasm build, a bundle-size
# report, and the Playwright suite in Chromium against the built dist/.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=setup.sh
source scripts/setup.sh

started=$SECONDS
step() {
  echo
  echo "==> $* (at $((SECONDS - started)) s)"
}

log_dir="$(mktemp -d)"
prom_pid=""
trap '[ -n "$prom_pid" ] && kill "$prom_pid" 2>/dev/null; rm -rf "$log_dir"' EXIT

step "setup"
setup_test

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy --workspace -- -D warnings"
cargo clippy --workspace --all-targets -- -D warnings

step "cargo test --workspace"
cargo test --workspace 2>&1 | tee "$log_dir/cargo-test.log"

step "promtool conformance (test-rules and check-rules on Prometheus's promtool test data; the gate is in cargo test)"
promtool_data="${O11Y_CONFORMANCE_DIR:-../shared/conformance}/promtool"
if [ -d "$promtool_data" ]; then
  cargo run -q -p o11y-cli -- promtool-conformance "$promtool_data" | sed 's/^/  | /' || true
else
  echo "  $promtool_data not found: skipped"
fi

step "PromQL conformance (Prometheus's test scripts, in scope; a report, the gate is in cargo test)"
conformance="${O11Y_CONFORMANCE_DIR:-../shared/conformance}/promql"
if [ -d "$conformance" ]; then
  cargo run -q -p o11y-cli -- promqltest --show 0 --in-scope "$conformance" | sed 's/^/  | /' || true
else
  echo "  $conformance not found: skipped"
fi
echo "  the project's own cases:"
cargo run -q -p o11y-cli -- promqltest --show 3 crates/engine/testdata/promql/*.test | sed 's/^/  | /'

step "lessons: every reference passes, every trap fails with its hint (o11y lessons check lessons/)"
# pipefail: a failing check fails the run.
cargo run -q -p o11y-cli -- lessons check lessons/ | sed 's/^/  | /'
echo "  demo scripts: each reads, builds and plays to its end (o11y demos check demos/)"
cargo run -q -p o11y-cli -- demos check demos/ | sed 's/^/  | /'

step "trunk build --release (wasm toolchain: $WASM_MODE, small std: $SMALL_STD)"
prebuild_wasm
wasm_env trunk build --release

step "bundle size"
scripts/bundle-size.sh dist
echo "  weight before wasm-opt, by crate and by function (scripts/weight-report.sh):"
scripts/weight-report.sh | sed 's/^/  | /'

step "exports checked by Debian's promtool"
if command -v promtool >/dev/null 2>&1; then
  cargo run -q -p o11y-cli -- export-rules "$log_dir/rules"
  for f in "$log_dir"/rules/*.yml; do
    promtool check rules "$f" | sed 's/^/  | /'
  done
  cargo run -q -p o11y-cli -- sim --seed 3 --duration 10m --openmetrics > "$log_dir/shop.om"
  promtool tsdb create-blocks-from openmetrics "$log_dir/shop.om" "$log_dir/blocks" | tail -2 | sed 's/^/  | /'
else
  echo "  promtool not found: skipped"
fi

step "PromQL beside Debian's Prometheus (scripts/bench-vs-prometheus.sh --quick: one workload in both, every answer compared, times printed)"
# The full sizes (docs/benchmarks.md) take minutes; this small one checks
# that every query of the set agrees with a real Prometheus.
if command -v prometheus >/dev/null 2>&1 && command -v promtool >/dev/null 2>&1; then
  scripts/bench-vs-prometheus.sh --quick | sed 's/^/  | /'
else
  echo "  prometheus or promtool not found: skipped"
fi

step "check-config compared with Debian's amtool and promtool (accepted or refused, file by file)"
# Every file of the test data goes through the real tool and ours; only
# whether each accepts it is compared. Any disagreement fails the run.
config_disagreements=0
compare_config_checks() { # LABEL DIR "REAL COMMAND" "OUR ARGUMENTS"
  local label=$1 dir=$2 real=$3 ours=$4 files=0 agree=0 f real_says our_says
  for f in "$dir"/*.yml; do
    files=$((files + 1))
    # shellcheck disable=SC2086 # both commands are split into words on purpose
    if $real "$f" >/dev/null 2>&1; then real_says=accepts; else real_says=refuses; fi
    # shellcheck disable=SC2086
    if cargo run -q -p o11y-cli -- $ours "$f" >/dev/null 2>&1; then our_says=accepts; else our_says=refuses; fi
    if [ "$real_says" = "$our_says" ]; then
      agree=$((agree + 1))
    else
      echo "  disagree: $f: ${real%% *} $real_says it, o11y $our_says it"
    fi
  done
  echo "  $label: $files files, $agree agree"
  config_disagreements=$((config_disagreements + files - agree))
}
cargo build -q -p o11y-cli
if command -v amtool >/dev/null 2>&1; then
  compare_config_checks "check-config vs amtool" crates/cli/testdata/check-config "amtool check-config" "check-config"
else
  echo "  amtool not found: the Alertmanager configurations are not compared"
fi
if command -v promtool >/dev/null 2>&1; then
  compare_config_checks "check-config --prometheus vs promtool" crates/cli/testdata/scrape-config "promtool check config" "check-config --prometheus"
else
  echo "  promtool not found: the Prometheus configurations are not compared"
fi
if [ "$config_disagreements" -gt 0 ]; then
  echo "  $config_disagreements file(s) where o11y and the real tool disagree (see crates/cli/testdata/*/README.md)"
  exit 1
fi

step "a real Prometheus on 127.0.0.1:9091 for the live-mode test"
if command -v prometheus >/dev/null 2>&1; then
  mkdir -p "$log_dir/prometheus"
  printf 'global:\n  scrape_interval: 2s\nscrape_configs:\n  - job_name: prometheus\n    static_configs:\n      - targets: [127.0.0.1:9091]\n' > "$log_dir/prometheus/prometheus.yml"
  prometheus --config.file="$log_dir/prometheus/prometheus.yml" --storage.tsdb.path="$log_dir/prometheus/data" \
    --web.listen-address=127.0.0.1:9091 --web.cors.origin='.*' > "$log_dir/prometheus/log" 2>&1 &
  prom_pid=$!
  ready=0
  for _ in $(seq 60); do
    if curl -sf -m 1 http://127.0.0.1:9091/-/ready >/dev/null 2>&1; then
      ready=1
      break
    fi
    sleep 0.5
  done
  if [ "$ready" = 1 ]; then
    # Two scrapes, so `up` has points to draw.
    sleep 4
    export PROMETHEUS_URL=http://127.0.0.1:9091
    echo "  $(prometheus --version 2>&1 | head -1)"
  else
    echo "  prometheus did not become ready (see below): the live-mode test is skipped"
    tail -5 "$log_dir/prometheus/log" | sed 's/^/  | /'
  fi
else
  echo "  prometheus not found: the live-mode test is skipped"
fi

step "playwright (browser: ${CHROMIUM_PATH:-bundled with Playwright})"
(cd tests/e2e && npx playwright test) 2>&1 | tee "$log_dir/e2e.log"

# One closing line for the whole run: native and browser tests together.
read -r cargo_passed cargo_failed < <(awk '/^test result:/ { p += $4; f += $6 } END { print p + 0, f + 0 }' "$log_dir/cargo-test.log")
read -r e2e_passed e2e_failed < <(awk '/^ *[0-9]+ passed/ { p = $1 } /^ *[0-9]+ failed/ { f = $1 } END { print p + 0, f + 0 }' "$log_dir/e2e.log")
echo
echo "native: $cargo_passed passed, $cargo_failed failed; browser: $e2e_passed passed, $e2e_failed failed; $((SECONDS - started)) s"
echo "total: $((cargo_passed + e2e_passed)) passed, $((cargo_failed + e2e_failed)) failed"
