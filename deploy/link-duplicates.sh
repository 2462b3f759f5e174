#!/bin/sh
# link-duplicates.sh ROOT REFERENCE: every file under ROOT/<other folder> that is byte-identical
# to the file at the same relative path under ROOT/REFERENCE becomes a relative symbolic link to
# it. Used in the image build so that the services' publish folders share one copy of libtorch.
set -eu
root="$1"
ref="$2"
[ -d "$root/$ref" ] || { echo "link-duplicates: $root/$ref is not a folder" >&2; exit 2; }

for dir in "$root"/*/; do
  dir="${dir%/}"
  name="$(basename "$dir")"
  [ "$name" = "$ref" ] && continue
  find "$dir" -type f | while read -r file; do
    rel="${file#"$dir"/}"
    other="$root/$ref/$rel"
    if [ -f "$other" ] && cmp -s "$file" "$other"; then
      ln -sf "$(realpath --relative-to="$(dirname "$file")" "$other")" "$file"
    fi
  done
done
du -sh "$root"/* >&2
