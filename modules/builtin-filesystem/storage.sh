#!/usr/bin/env bash
# builtin-filesystem: homeboy's default storage module as a script (bash + jq).
# Reads one JSON event on stdin and writes one JSON response on stdout
# (docs/storage-contract.md). Content travels byte for byte: jq decodes it straight into
# the file and encodes the file straight into the answer, never through a shell variable.
set -uo pipefail
export LC_ALL=C  # byte-order sorting for `list`

respond_error() {  # respond_error CODE MESSAGE
  jq -cn --arg code "$1" --arg msg "$2" '{success:false, error:$msg, error_code:$code}'
}

ok() { printf '{"success":true}\n'; }

normalize() {  # normalize PATH -> REPLY: trailing slashes stripped, "/" kept (no subshell)
  REPLY=$1
  while [[ ${#REPLY} -gt 1 && $REPLY == */ ]]; do REPLY=${REPLY%/}; done
}

op_read() {  # op_read PATH
  local path=$1
  if [[ ! -e $path ]]; then respond_error not_found "no such file: $path"; return; fi
  if [[ -d $path ]]; then respond_error invalid_argument "is a folder, not a file: $path"; return; fi
  if [[ ! -r $path ]]; then respond_error permission_denied "cannot read $path: permission denied"; return; fi
  jq -cRs '{success:true, data:.}' <"$path" || respond_error io_error "cannot read $path"
}

op_write() {  # op_write PATH JQ_FILTER_FOR_CONTENT  (content is read from $event)
  local path=$1 filter=$2 dir name tmp mode
  dir=${path%/*}
  [[ -z $dir ]] && dir=/
  name=${path##*/}
  if [[ -z $name ]]; then respond_error invalid_argument "not a file path: $path"; return; fi
  if [[ ! -d $dir ]]; then respond_error not_found "folder does not exist: $dir"; return; fi
  if [[ -d $path ]]; then respond_error invalid_argument "is a folder, not a file: $path"; return; fi
  # A unique temp name in the same folder: concurrent writers never collide, and the
  # final rename is atomic, so readers see the old or the new content.
  if ! tmp=$(mktemp "$dir/.$name.tmp.XXXXXX" 2>/dev/null); then
    if [[ -w $dir ]]; then respond_error io_error "cannot create a temp file in $dir"
    else respond_error permission_denied "cannot write in $dir: permission denied"; fi
    return
  fi
  if ! jq -j "$filter" <<<"$event" >"$tmp"; then
    rm -f "$tmp"
    respond_error io_error "cannot write $path"
    return
  fi
  mode=$(( 0666 & ~$(umask) ))
  if [[ -e $path ]]; then chmod --reference="$path" "$tmp" 2>/dev/null; else chmod "$(printf '%o' "$mode")" "$tmp"; fi
  if ! mv -f "$tmp" "$path"; then
    rm -f "$tmp"
    respond_error io_error "cannot replace $path"
    return
  fi
  ok
}

op_list() {  # op_list PATH
  local path=$1 entry
  if [[ ! -e $path ]]; then printf '{"success":true,"entries":[]}\n'; return; fi
  if [[ ! -d $path ]]; then respond_error invalid_argument "is a file, not a folder: $path"; return; fi
  local -a args=()
  shopt -s nullglob dotglob
  for entry in "${path%/}"/*; do
    if [[ -d $entry ]]; then args+=("$entry" d); else args+=("$entry" f); fi
  done
  shopt -u nullglob dotglob
  jq -cn '{success:true, entries:[$ARGS.positional as $a | range(0; $a|length; 2) | {path:$a[.], is_directory:($a[.+1]=="d")}]}' \
    --args "${args[@]}"
}

op_delete() {  # op_delete PATH IS_DIRECTORY
  local path=$1 is_dir=$2
  if [[ ! -e $path && ! -L $path ]]; then respond_error not_found "no such file or folder: $path"; return; fi
  if [[ -d $path && ! -L $path ]]; then
    if [[ $is_dir != true ]]; then
      respond_error invalid_argument "is a folder: $path (set is_directory to delete it with its contents)"
      return
    fi
    rm -rf -- "$path" || { respond_error io_error "cannot delete $path"; return; }
  else
    rm -f -- "$path" || { respond_error io_error "cannot delete $path"; return; }
  fi
  ok
}

op_ensure_dir() {  # op_ensure_dir PATH
  local path=$1
  if [[ -d $path ]]; then ok; return; fi
  if [[ -e $path ]]; then respond_error conflict "a file is in the way: $path"; return; fi
  mkdir -p -- "$path" 2>/dev/null || { respond_error io_error "cannot create folder $path"; return; }
  ok
}

# dispatch OP PATH IS_DIRECTORY CONTENT_FILTER
dispatch() {
  local path
  normalize "$2"
  path=$REPLY
  if [[ $path != /* ]]; then respond_error invalid_argument "path must be absolute: $path"; return; fi
  case $1 in
    read) op_read "$path" ;;
    write) op_write "$path" "$4" ;;
    list) op_list "$path" ;;
    delete) op_delete "$path" "$3" ;;
    ensure_dir) op_ensure_dir "$path" ;;
    *) respond_error unsupported "unknown operation: $1" ;;
  esac
}

event=$(cat)
if [[ -z $event ]]; then echo "builtin-filesystem: no event on stdin" >&2; exit 2; fi

eval "$(jq -r '@sh "op=\(.operation // "") path=\(.path // "") is_dir=\(.is_directory // false) count=\(.operations // [] | length)"' <<<"$event")" \
  || { echo "builtin-filesystem: the event is not valid JSON" >&2; exit 2; }

if [[ $op != batch ]]; then
  dispatch "$op" "$path" "$is_dir" '.content'
  exit 0
fi

# batch: one process for all operations and no process per operation. One jq call lists
# the operations, one hands over every write's content, and one per chunk of results
# reads every file to return (--rawfile), so a batch of 1,000 reads costs a few spawns.

json_string() {  # json_string TEXT -> REPLY holds TEXT as a JSON string literal
  local s=$1 out= c i
  s=${s//\\/\\\\}
  s=${s//\"/\\\"}
  s=${s//$'\n'/\\n}
  s=${s//$'\t'/\\t}
  s=${s//$'\r'/\\r}
  if [[ $s == *[$'\x01'-$'\x1f']* ]]; then
    for ((i = 0; i < ${#s}; i++)); do
      c=${s:i:1}
      if [[ $c == [$'\x01'-$'\x1f'] ]]; then printf -v c '\\u%04x' "'$c"; fi
      out+=$c
    done
    s=$out
  fi
  REPLY="\"$s\""
}

failure() {  # failure CODE MESSAGE -> REPLY holds a failed result
  json_string "$2"
  REPLY="{\"success\":false,\"error\":$REPLY,\"error_code\":\"$1\"}"
}

batch_read() {  # batch_read PATH: a result, or a placeholder for a --rawfile variable
  local path=$1
  if [[ ! -e $path ]]; then failure not_found "no such file: $path"; return; fi
  if [[ -d $path ]]; then failure invalid_argument "is a folder, not a file: $path"; return; fi
  if [[ ! -r $path ]]; then failure permission_denied "cannot read $path: permission denied"; return; fi
  rawfiles+=(--rawfile "r${#rawfiles[@]}" "$path")
  REPLY="{success:true,data:\$r$(( ${#rawfiles[@]} - 3 ))}"
}

batch_write() {  # batch_write PATH CONTENT
  local path=$1 dir name tmp attempt
  dir=${path%/*}
  [[ -z $dir ]] && dir=/
  name=${path##*/}
  if [[ -z $name ]]; then failure invalid_argument "not a file path: $path"; return; fi
  if [[ ! -d $dir ]]; then failure not_found "folder does not exist: $dir"; return; fi
  if [[ -d $path ]]; then failure invalid_argument "is a folder, not a file: $path"; return; fi
  # noclobber opens with O_EXCL: the temp name is ours alone, without spawning mktemp.
  set -C
  for attempt in 1 2 3 4 5; do
    tmp="$dir/.$name.tmp.$$.$RANDOM$RANDOM"
    { printf '%s' "$2" >"$tmp"; } 2>/dev/null && break
    tmp=
  done
  set +C
  if [[ -z $tmp ]]; then
    if [[ -w $dir ]]; then failure io_error "cannot create a temp file in $dir"
    else failure permission_denied "cannot write in $dir: permission denied"; fi
    return
  fi
  [[ -e $path ]] && chmod --reference="$path" "$tmp" 2>/dev/null
  if ! mv -f "$tmp" "$path"; then
    rm -f "$tmp"
    failure io_error "cannot replace $path"
    return
  fi
  REPLY='{"success":true}'
}

# flush_chunk: evaluates the pending results (jq reads the files) and prints them.
flush_chunk() {
  ((${#pending[@]})) || return 0
  local program='[' i out
  for ((i = 0; i < ${#pending[@]}; i++)); do
    ((i > 0)) && program+=','
    program+=${pending[i]}
  done
  program+=']'
  if ! out=$(jq -cn "${rawfiles[@]}" -f /dev/fd/3 3<<<"$program"); then
    echo "builtin-filesystem: could not assemble the batch results" >&2
    exit 1
  fi
  ((printed > 0)) && printf ','
  printf '%s' "${out:1:${#out}-2}"
  printed=$((printed + ${#pending[@]}))
  pending=()
  rawfiles=()
}

# Operations: op, path, is_directory, and whether content holds a NUL (bash strings cannot).
mapfile -d '' -t ops < <(jq -j '.operations[] | (@sh "\(.operation // "") \(.path // "") \(.is_directory // false) \(.content // "" | tostring | test("\u0000"))") + "\u0000"' <<<"$event")
mapfile -d '' -t contents < <(jq -j '.operations[] | select(.operation == "write") | (.content // "" | tostring) + "\u0000"' <<<"$event")
pending=() rawfiles=() printed=0 writes=0 all_ok=true
printf '{"success":true,"results":['
for ((i = 0; i < count; i++)); do
  eval "set -- ${ops[i]}"
  op=$1
  normalize "$2"
  target=$REPLY
  if [[ $target != /* ]]; then
    failure invalid_argument "path must be absolute: $target"
  elif [[ $op == read ]]; then
    batch_read "$target"
  elif [[ $op == write && $4 == false ]]; then
    batch_write "$target" "${contents[writes]}"
  else
    REPLY=$(dispatch "$op" "$2" "$3" ".operations[$i].content")
  fi
  [[ $op == write ]] && writes=$((writes + 1))
  [[ $REPLY == '{"success":true'* || $REPLY == '{success:true'* ]] || all_ok=false
  pending+=("$REPLY")
  ((${#pending[@]} >= 500)) && flush_chunk
done
flush_chunk
printf '],"overall_success":%s}\n' "$all_ok"
