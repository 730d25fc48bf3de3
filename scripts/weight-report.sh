#!/usr/bin/env bash
# What the first load's wasm weighs (the main module after the split; the
# pages' chunks are not in it), by crate and by function, read by twiggy from
# wasm-bindgen's output (before wasm-opt, which strips the names): the
# bytes each crate's functions take, the data segment, and the largest
# functions. Usage: scripts/weight-report.sh [WASM] [N]
set -euo pipefail
wasm="${1:-target/o11y-playground-named.wasm}"
n="${2:-15}"
command -v twiggy >/dev/null 2>&1 || { echo "twiggy not found (scripts/setup.sh test installs it)"; exit 0; }
[ -f "$wasm" ] || { echo "$wasm not found: build the page first"; exit 0; }
twiggy top -n 1000000 --format csv "$wasm" | python3 -c '
import csv, re, sys
n = int(sys.argv[1])
rows = list(csv.DictReader(sys.stdin))
total = sum(int(r["ShallowSize"]) for r in rows)
by_crate, funcs = {}, []
for r in rows:
    # Names from a rebuilt std carry crate disambiguators: core[c593…]::.
    name, size = re.sub(r"\[[0-9a-f]{1,16}\]", "", r["Name"]), int(r["ShallowSize"])
    if name.startswith("\"function names\"") or name.startswith("function names"):
        continue  # the name section itself, stripped by wasm-opt
    if name.startswith("data segment"):
        crate = "(data: strings, tables)"
    else:
        # The first path segment, or the type an impl is for.
        m = re.match(r"^<?(?:impl )?&?(?:mut )?(?:dyn )?([A-Za-z_][A-Za-z0-9_]*)::", name)
        crate = m.group(1) if m else "(other)"
        funcs.append((size, name))
    by_crate[crate] = by_crate.get(crate, 0) + size
code = sum(by_crate.values())
print(f"{code:>10} bytes of code and data ({total} with the name section)")
for crate, size in sorted(by_crate.items(), key=lambda kv: -kv[1])[:n]:
    print(f"{size:>10}  {100 * size / code:5.1f} %  {crate}")
print("largest functions:")
for size, name in sorted(funcs, reverse=True)[:n]:
    short = re.sub(r"::h[0-9a-f]{16}$", "", name)[:110]
    print(f"{size:>10}  {short}")
' "$n"
