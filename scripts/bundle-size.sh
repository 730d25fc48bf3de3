#!/usr/bin/env bash
# Prints the gzip size of the built page's wasm, js and css, as CI reports
# it (what the browser downloads to show the page), and of the bundles it
# fetches when Learn opens (the lessons and demo scripts).
# Usage: scripts/bundle-size.sh [DIST]
set -euo pipefail
dist="${1:-dist}"
total=0
printf '%-8s %12s %12s  %s\n' kind bytes gzip file
for kind in wasm js css; do
  while IFS= read -r -d '' file; do
    raw=$(wc -c < "$file")
    gz=$(gzip -9 -c "$file" | wc -c)
    total=$((total + gz))
    printf '%-8s %12d %12d  %s\n' "$kind" "$raw" "$gz" "${file#"$dist"/}"
  done < <(find "$dist" -maxdepth 1 -name "*.$kind" -print0 | sort -z)
done
printf 'bundle: %d bytes gzip (wasm + js + css)\n' "$total"
later=0
while IFS= read -r -d '' file; do
  raw=$(wc -c < "$file")
  gz=$(gzip -9 -c "$file" | wc -c)
  later=$((later + gz))
  printf '%-8s %12d %12d  %s\n' learn "$raw" "$gz" "${file#"$dist"/}"
done < <(find "$dist" -maxdepth 1 -name "*.bundle" -print0 | sort -z)
printf 'fetched when Learn opens: %d bytes gzip; with the page: %d bytes gzip\n' "$later" "$((total + later))"
