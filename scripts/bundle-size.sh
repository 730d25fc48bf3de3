#!/usr/bin/env bash
# Prints the gzip size of what the browser downloads for the built page, as
# CI reports it: the first load (the main wasm, its JS glue, the split
# loader and the CSS), the chunk of wasm each page but the live demo
# fetches when first shown (scripts/build-wasm.sh), and the bundles
# fetched when Learn opens (the lessons and demo scripts).
# Usage: scripts/bundle-size.sh [DIST]
set -euo pipefail
dist="${1:-dist}"
first=0 chunks=0 learn=0 shared=0 shared_files=0
row() { # KIND FILE: prints a row, sets $gz
  local raw
  raw=$(wc -c < "$2")
  gz=$(gzip -9 -c "$2" | wc -c)
  printf '%-8s %12d %12d  %s\n' "$1" "$raw" "$gz" "${2#"$dist"/}"
}
printf '%-8s %12s %12s  %s\n' kind bytes gzip file
while IFS= read -r -d '' file; do
  case "$file" in
    */o11y-playground_bg.wasm) row wasm "$file"; first=$((first + gz)) ;;
    */chunk_*.wasm) # shared chunks: many small files, summed below
      shared=$((shared + $(gzip -9 -c "$file" | wc -c))); shared_files=$((shared_files + 1)) ;;
    *.wasm) row cut "$file"; chunks=$((chunks + gz)) ;;
    *) row "${file##*.}" "$file"; first=$((first + gz)) ;;
  esac
done < <(find "$dist" -maxdepth 2 -not -path '*/.stage/*' \( -name '*.wasm' -o -name '*.js' -o -name '*.css' \) -print0 | sort -z)
if [ "$shared_files" -gt 0 ]; then
  printf '%-8s %12s %12d  pkg/chunk_*.wasm (%d shared chunks)\n' shared "" "$shared" "$shared_files"
  chunks=$((chunks + shared))
fi
while IFS= read -r -d '' file; do
  row learn "$file"
  learn=$((learn + gz))
done < <(find "$dist" -maxdepth 1 -name "*.bundle" -print0 | sort -z)
printf 'bundle: %d bytes gzip (first load: wasm + js + css)\n' "$first"
printf 'chunks: %d bytes gzip (each cut and the shared chunks it needs fetched when first needed)\n' "$chunks"
# What each cut fetches the first time it is needed: its module and the
# shared chunks it depends on (the loader, __wasm_split.js, lists them);
# a chunk an earlier cut brought is not fetched again.
if [ -f "$dist/pkg/__wasm_split.js" ]; then
  python3 - "$dist/pkg" <<'PY'
import gzip, re, sys
pkg = sys.argv[1]
js = open(f"{pkg}/__wasm_split.js").read()
gz = lambda f: len(gzip.compress(open(f"{pkg}/{f}", "rb").read(), 9))
cuts = re.findall(r'export const __wasm_split_load_(\w+) = wrapAsyncCb\(makeLoad\(\(\) => \{\s*const src = fetch\(new URL\("\./([\w.]+)".*?\n\}\n, \[([^\]]*)\]', js, re.S)
parts = []
for name, module, deps in sorted(cuts):
    files = [module] + [f"chunk_{d.strip()[len('__chunk_'):]}.wasm" for d in deps.split(",") if d.strip()]
    parts.append(f"{name} {sum(map(gz, files)) // 1000} kB ({len(files)} files)")
print("each cut when first needed, gzip: " + ", ".join(parts))
PY
fi
printf 'fetched when Learn opens: %d bytes gzip\n' "$learn"
printf 'everything: %d bytes gzip\n' "$((first + chunks + learn))"
