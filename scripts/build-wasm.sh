#!/usr/bin/env bash
# Trunk's post-build hook (Trunk.toml): builds the page's wasm and splits
# it into what the first load needs and one chunk per page that the page
# fetches when it is first shown (src/app.rs marks the cuts).
#
#   cargo build   the wasm, linked with --emit-relocs so the splitter can
#                 move functions between modules
#   wasm-split-cli  the main module, one module per cut, the chunks their
#                 shared code went to, and __wasm_split.js that loads them
#   wasm-bindgen  the main module's JS glue (--keep-lld-exports: the chunks
#                 import the main module's functions by their link names)
#   wasm-opt -Oz  every module, in a release build
#
# Everything is written to target/page-wasm/PROFILE/ and, run by Trunk, copied to
# the page's pkg/ (web/index.html loads pkg/o11y-playground.js). Run by
# `trunk build` / `trunk serve` under scripts/setup.sh's wasm_env (its
# flags add --emit-relocs); by hand:
#   source scripts/setup.sh && wasm_env scripts/build-wasm.sh [release|debug]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
case "${1:-${TRUNK_PROFILE:-release}}" in
  release) profile=wasm-release ;;
  *) profile=dev ;;
esac
name=o11y-playground
out=target/page-wasm/$profile
work=$out.new
case "${CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS:-}" in
  *--emit-relocs*) ;;
  *) echo "build-wasm: run under scripts/setup.sh's wasm_env (the link needs --emit-relocs)" >&2; exit 1 ;;
esac

cargo build --target wasm32-unknown-unknown --profile "$profile" --bin "$name"
dir=$profile
[ "$profile" = dev ] && dir=debug
linked="${CARGO_TARGET_DIR:-target}/wasm32-unknown-unknown/$dir/$name.wasm"

rm -rf "$work"
mkdir -p "$work"
wasm-split-cli "$linked" "$work" --target web --out-name "$name"
wasm-bindgen --target web --keep-lld-exports --no-typescript \
  --out-name "$name" --out-dir "$work" "$work/$name.wasm"
rm "$work/$name.wasm"
if [ "$profile" = wasm-release ]; then
  # A copy with the function names, for scripts/weight-report.sh.
  cp "$work/${name}_bg.wasm" "${CARGO_TARGET_DIR:-target}/$name-named.wasm"
  # One wasm-opt per module, as many at once as there are cores (most
  # modules are small, and each run starts a node process). The splitter
  # writes a name subsection wasm-opt does not know: it warns once per
  # module, and drops it. The producers and target-features sections are
  # read by no browser; in 180 small modules they cost 28 kB gzip.
  find "$work" -name '*.wasm' -print0 \
    | xargs -0 -P "$(nproc)" -I{} wasm-opt -Oz --strip-producers --strip-target-features {} -o {} 2>&1 \
    | { grep -v 'unknown name subsection' >&2 || true; }
fi
rm -rf "$out"
mv "$work" "$out"
if [ -n "${TRUNK_STAGING_DIR:-}" ]; then
  cp -r "$out" "$TRUNK_STAGING_DIR/pkg"
fi
