#!/usr/bin/env bash
# The host's layers include one way only (host/CMakeLists.txt says which): a file may include
# its own layer and those below it, never one above. Fails naming every include that points up.
# usage: layers.sh <host/homeboy folder>
set -euo pipefail
root=$1
layers=(contract modules transport storage providers config)  # bottom to top
rank() {
  local i
  for i in "${!layers[@]}"; do [[ ${layers[i]} == "$1" ]] && { echo "$i"; return; }; done
  echo -1  # errors, ids, text, the suggester, durations: below every layer, usable by all
}
bad=0 checked=0
while IFS= read -r file; do
  rel=${file#"$root"/}
  own=${rel%%/*}
  [[ $rel == */* ]] || own=${rel%.*}  # storage.hpp/.cpp are the storage layer; the rest rank -1
  own_rank=$(rank "$own")
  while IFS= read -r target; do
    layer=${target%%/*}
    [[ $target == */* ]] || layer=${target%.*}
    checked=$((checked + 1))
    if (($(rank "$layer") > own_rank)) && ((own_rank >= 0 || $(rank "$layer") >= 0)); then
      echo "layers: $rel includes homeboy/$target, a layer above its own ($own)" >&2
      bad=$((bad + 1))
    fi
  done < <(sed -n 's/^#include "homeboy\/\([^"]*\)".*/\1/p' "$file")
done < <(find "$root" -name '*.hpp' -o -name '*.cpp' | sort)
((checked > 50)) || { echo "layers: only $checked includes found under $root" >&2; exit 1; }
((bad == 0)) || exit 1
echo "layers: $checked includes, all pointing down or within their layer"
