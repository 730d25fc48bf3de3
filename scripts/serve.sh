#!/usr/bin/env bash
# Serves O11y Playground at http://127.0.0.1:8080, installing what is
# missing first. Extra arguments go to `trunk serve`.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=setup.sh
source scripts/setup.sh
setup_build
prebuild_wasm
echo "Serving on http://127.0.0.1:8080 (Ctrl-C stops)" >&2
wasm_env trunk serve --release "$@"
