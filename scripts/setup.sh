#!/usr/bin/env bash
# Installs what building, serving and testing O11y Playground needs, and skips
# what is already there at the right version. Sourced by scripts/serve.sh and
# scripts/test.sh; run it alone to prepare a machine:
#
#   scripts/setup.sh          # build tools (Rust wasm target, Trunk, wasm-bindgen, wasm-opt)
#   scripts/setup.sh test     # the same, plus Chromium and Playwright
#
# The wasm target comes from rustup where it can be added; where it cannot
# (rustup's download hangs or fails), from Debian's rustc-web with the
# standard library built from source (see TOOLCHAIN.md in the shared folder).
# O11Y_WASM_TOOLCHAIN=rustup|debian forces one route.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CARGO_BIN="${CARGO_HOME:-$HOME/.cargo}/bin"
TRUNK_VERSION=0.21.14
# twiggy reads the built wasm for the test command's weight report.
TWIGGY_VERSION=0.8.0
# wasm-bindgen-cli must equal the wasm-bindgen crate in Cargo.lock.
WASM_BINDGEN_VERSION="$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/[^0-9.]/, ""); print; exit }' "$ROOT/Cargo.lock")"
# wasm-split-cli (crate wasm_split_cli_support) splits the page's wasm at
# the cuts Leptos's wasm_split marks (scripts/build-wasm.sh).
WASM_SPLIT_VERSION=0.2.4
WASM_MODE=""
# The page's standard library, rebuilt to abort on panic without formatting
# a message, and without file/line/column records for every bounds check
# (about 84 kB gzip; docs/weight.md). Both are unstable options, enabled
# with RUSTC_BOOTSTRAP for this build only; ensure_small_std drops them
# where the compiler or its library sources cannot take them.
SMALL_STD_FLAGS="-Zlocation-detail=none -Zunstable-options -Cpanic=immediate-abort"
# std's own switch to its smaller algorithms (a merge sort instead of
# driftsort, shorter integer formatting): std's features for that build.
SMALL_STD_FEATURES="optimize_for_size"
SMALL_STD=0
# Leptos's type-erased components: each component's view is an AnyView, so
# its build and rebuild code is compiled once, not once per nesting of view
# types (about 150 kB gzip; docs/weight.md). A stable cfg Leptos reads.
# --emit-relocs keeps the link's relocations, which scripts/build-wasm.sh's
# splitter needs to move functions into the chunks fetched later.
WASM_CFG_FLAGS="--cfg erase_components -Clink-args=--emit-relocs"
APT_UPDATED=0
export PATH="$CARGO_BIN:$PATH"

log() { echo "setup: $*" >&2; }
fail() { log "error: $*"; exit 1; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"
  elif command -v sudo >/dev/null 2>&1; then sudo "$@"
  else fail "need root to run: $*"
  fi
}

# Installs the Debian packages that are missing.
apt_install() {
  local missing=() pkg
  for pkg in "$@"; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  command -v apt-get >/dev/null 2>&1 || fail "please install: ${missing[*]}"
  if [ "$APT_UPDATED" = 0 ]; then
    log "apt-get update"
    as_root apt-get update -qq >/dev/null
    APT_UPDATED=1
  fi
  log "apt-get install ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "${missing[@]}" >/dev/null
}

ensure_rust() {
  command -v cargo >/dev/null 2>&1 || fail "no cargo: install Rust with rustup (https://rustup.rs)"
  if command -v rustup >/dev/null 2>&1; then
    local component
    for component in rustfmt clippy; do
      rustup component list --installed 2>/dev/null | grep -q "^$component" \
        || { log "rustup component add $component"; rustup component add "$component"; }
    done
  fi
}

# Picks how the wasm32 target is built: WASM_MODE=rustup or debian.
ensure_wasm_target() {
  case "${O11Y_WASM_TOOLCHAIN:-}" in
    rustup) WASM_MODE=rustup; return ;;
    debian) apt_install rustc-web cargo-web rust-web-src lld-22; WASM_MODE=debian; return ;;
  esac
  if rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
    WASM_MODE=rustup
  elif dpkg -s rustc-web cargo-web rust-web-src lld-22 >/dev/null 2>&1; then
    WASM_MODE=debian
  elif command -v rustup >/dev/null 2>&1 \
      && log "rustup target add wasm32-unknown-unknown (at most 90 s)" \
      && timeout 90 rustup target add wasm32-unknown-unknown >&2; then
    WASM_MODE=rustup
  else
    log "rustup cannot add wasm32-unknown-unknown here: using Debian's rustc-web and build-std"
    apt_install rustc-web cargo-web rust-web-src lld-22
    WASM_MODE=debian
  fi
  log "wasm toolchain: $WASM_MODE"
}

# Sets SMALL_STD=1 when the wasm build can rebuild std with SMALL_STD_FLAGS:
# it needs the library sources (rustup's rust-src, or Debian's rust-web-src)
# and a compiler that knows the flags. Without them the page is built with
# the prebuilt std, a larger bundle, and the build says so.
ensure_small_std() {
  if [ "$WASM_MODE" = rustup ] \
      && ! rustup component list --installed 2>/dev/null | grep -q '^rust-src'; then
    log "rustup component add rust-src (at most 90 s)"
    timeout 90 rustup component add rust-src >&2 || true
  fi
  if [ "$WASM_MODE" = rustup ] \
      && ! rustup component list --installed 2>/dev/null | grep -q '^rust-src'; then
    log "no rust-src: the page is built with the prebuilt std (a larger bundle)"
    return 0
  fi
  local rustc=rustc
  [ "$WASM_MODE" = debian ] && rustc=/usr/bin/rustc
  # shellcheck disable=SC2086
  if RUSTC_BOOTSTRAP=1 "$rustc" --target wasm32-unknown-unknown $SMALL_STD_FLAGS --print cfg >/dev/null 2>&1; then
    SMALL_STD=1
    # An older std has no such feature: built without it, a larger bundle.
    local std_manifest
    std_manifest="$("$rustc" --print sysroot)/lib/rustlib/src/rust/library/std/Cargo.toml"
    if ! grep -q "^$SMALL_STD_FEATURES = " "$std_manifest" 2>/dev/null; then
      log "this std has no '$SMALL_STD_FEATURES' feature: the page's std is built without it (a larger bundle)"
      SMALL_STD_FEATURES=""
    fi
  else
    log "this rustc does not take '$SMALL_STD_FLAGS': the page is built with the prebuilt std (a larger bundle)"
  fi
}

# ensure_cargo_tool BIN CRATE VERSION [cargo install options]: cargo
# install BIN from CRATE at VERSION unless `BIN --version` already says it
# (or, for a tool without --version, cargo lists it at that version).
ensure_cargo_tool() {
  local bin=$1 crate=$2 version=$3
  shift 3
  if "$bin" --version 2>/dev/null | grep -q " $version\b"; then return 0; fi
  if command -v "$bin" >/dev/null 2>&1 \
    && cargo install --list 2>/dev/null | grep -q "^$crate v$version:"; then return 0; fi
  log "cargo install $crate $version"
  cargo install "$crate" --version "$version" --locked "$@" \
    || { log "locked install failed (a pinned dependency may be missing from the registry); resolving afresh"
         cargo install "$crate" --version "$version" "$@"; }
}

ensure_node() {
  command -v npm >/dev/null 2>&1 || apt_install nodejs npm
}

# npm ci in DIR unless node_modules was installed from the same lockfile
# (a stamp in node_modules holds the lockfile's hash).
ensure_npm_deps() {
  local dir="$ROOT/$1" stamp want
  stamp="$dir/node_modules/.installed-from-lock"
  want="$(sha256sum "$dir/package-lock.json" | cut -d' ' -f1)"
  [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && return 0
  log "npm ci in $1"
  (cd "$dir" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error >&2)
  echo "$want" > "$stamp"
}

# Sets CHROMIUM_PATH to a Chromium Playwright can drive.
ensure_browser() {
  if [ -n "${CHROMIUM_PATH:-}" ] && [ -x "$CHROMIUM_PATH" ]; then return 0; fi
  local candidate
  for candidate in /usr/bin/chromium /usr/bin/chromium-browser; do
    if [ -x "$candidate" ]; then export CHROMIUM_PATH=$candidate; return 0; fi
  done
  if command -v apt-get >/dev/null 2>&1; then
    apt_install chromium
    export CHROMIUM_PATH=/usr/bin/chromium
  else
    # Not Debian: Playwright's own browser, where it can be downloaded.
    log "no system Chromium: npx playwright install chromium"
    (cd "$ROOT/tests/e2e" && npx playwright install chromium >&2)
    export CHROMIUM_PATH=""
  fi
}

# Runs a command with the environment the wasm build needs. The flags go to
# the wasm target only (build scripts and proc macros are built as usual).
wasm_env() {
  local tools="$ROOT/tools/node_modules/.bin" flags="$WASM_CFG_FLAGS" features=()
  if [ "$SMALL_STD" = 1 ]; then
    flags="$SMALL_STD_FLAGS $WASM_CFG_FLAGS"
    [ -n "$SMALL_STD_FEATURES" ] \
      && features=(CARGO_UNSTABLE_BUILD_STD_FEATURES="$SMALL_STD_FEATURES")
  fi
  if [ "$WASM_MODE" = debian ] || [ "$SMALL_STD" = 1 ]; then
    [ "$WASM_MODE" = debian ] && tools="/usr/bin:$tools"
    env PATH="$tools:$PATH" RUSTC_BOOTSTRAP=1 CARGO_UNSTABLE_BUILD_STD=std,panic_abort \
      "${features[@]}" CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS="$flags" "$@"
  else
    env PATH="$tools:$PATH" CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS="$flags" "$@"
  fi
}

# Builds the page's wasm with cargo before Trunk's hook does
# (scripts/build-wasm.sh), so that a fresh machine's crate downloads and a
# compile error show here, plainly, rather than inside Trunk's log. The
# hook's cargo call then finds everything built.
prebuild_wasm() {
  log "cargo build (wasm32, profile ${1:-wasm-release}, may download crates)"
  wasm_env cargo build --target wasm32-unknown-unknown --profile "${1:-wasm-release}" --bin o11y-playground
}

setup_build() {
  ensure_rust
  ensure_wasm_target
  ensure_small_std
  ensure_cargo_tool trunk trunk "$TRUNK_VERSION"
  ensure_cargo_tool wasm-bindgen wasm-bindgen-cli "$WASM_BINDGEN_VERSION"
  ensure_cargo_tool wasm-split-cli wasm_split_cli_support "$WASM_SPLIT_VERSION" --features build-binary
  ensure_node
  ensure_npm_deps tools
}

# Debian's prometheus and promtool, and prometheus-alertmanager's amtool:
# the live-Prometheus e2e test queries a real Prometheus, exported rule
# files are checked with promtool, and check-config's test data with
# promtool and amtool. Without them those checks are skipped (and say so),
# never failed.
ensure_prometheus() {
  local missing=() pkg
  { command -v prometheus && command -v promtool; } >/dev/null 2>&1 || missing+=(prometheus)
  command -v amtool >/dev/null 2>&1 || missing+=(prometheus-alertmanager)
  [ ${#missing[@]} -eq 0 ] && return 0
  if ! command -v apt-get >/dev/null 2>&1; then
    log "no apt-get: the checks against a real Prometheus and amtool are skipped"
    return 0
  fi
  if [ "$APT_UPDATED" = 0 ]; then
    as_root apt-get update -qq >/dev/null || true
    APT_UPDATED=1
  fi
  for pkg in "${missing[@]}"; do
    log "apt-get install $pkg"
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "$pkg" >/dev/null 2>&1 \
      || log "$pkg could not be installed: the checks that need it are skipped"
  done
}

setup_test() {
  setup_build
  ensure_cargo_tool twiggy twiggy "$TWIGGY_VERSION"
  command -v python3 >/dev/null 2>&1 || apt_install python3
  ensure_npm_deps tests/e2e
  ensure_browser
  ensure_prometheus
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  set -euo pipefail
  case "${1:-build}" in
    build) setup_build ;;
    test) setup_test ;;
    *) fail "usage: scripts/setup.sh [build|test]" ;;
  esac
  log "ready"
fi
