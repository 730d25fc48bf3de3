#!/bin/sh
# Trunk's post-build hook (Trunk.toml): writes the lessons (lessons/*.md)
# and the demo scripts (demos/*.md) as one bundle each into the page's
# folder, lessons.bundle and demos.bundle, which the page fetches when
# Learn opens instead of carrying them in its wasm. Each file is the
# ASCII record separator (octal 036), its name, a newline and its text
# (o11y_engine::learn::read_bundle reads them). In byte order of names,
# as the engine's build.rs lists them for native builds.
set -eu
root="$(dirname "$0")/.."
out="${TRUNK_STAGING_DIR:?run by trunk, or with TRUNK_STAGING_DIR set}"
export LC_ALL=C
for dir in lessons demos; do
    bundle="$out/$dir.bundle"
    : > "$bundle"
    for file in "$root/$dir"/*.md; do
        [ -e "$file" ] || { echo "bundle-lessons: no $dir/*.md in $root" >&2; exit 1; }
        printf '\036%s\n' "$(basename "$file")" >> "$bundle"
        cat "$file" >> "$bundle"
    done
done
