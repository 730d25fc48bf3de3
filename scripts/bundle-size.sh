#!/usr/bin/env bash
# Prints the gzip size of what the browser downloads for the built page, as
# CI reports it: the first load (the main wasm, its JS glue, the split
# loader and the CSS), the chunk of wasm each page but the live demo
# fetches when first shown (scripts/build-wasm.sh), and the bundles
# fetched when Learn opens (the lessons and demo scripts).
# Usage: scripts/bundle-size.sh [DIST]
set -euo pipefail
dist="${1:-dist}"
first=0 chunks=0 learn=0
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
    *.wasm) row chunk "$file"; chunks=$((chunks + gz)) ;;
    *) row "${file##*.}" "$file"; first=$((first + gz)) ;;
  esac
done < <(find "$dist" -maxdepth 2 -not -path '*/.stage/*' \( -name '*.wasm' -o -name '*.js' -o -name '*.css' \) -print0 | sort -z)
while IFS= read -r -d '' file; do
  row learn "$file"
  learn=$((learn + gz))
done < <(find "$dist" -maxdepth 1 -name "*.bundle" -print0 | sort -z)
printf 'bundle: %d bytes gzip (first load: wasm + js + css)\n' "$first"
printf 'page chunks: %d bytes gzip (each fetched when its page is first shown)\n' "$chunks"
printf 'fetched when Learn opens: %d bytes gzip\n' "$learn"
printf 'everything: %d bytes gzip\n' "$((first + chunks + learn))"
