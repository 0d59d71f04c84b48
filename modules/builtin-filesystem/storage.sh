#!/usr/bin/env bash
# builtin-filesystem: homeboy's default storage module as a script (bash + jq).
# Reads one JSON event on stdin and writes one JSON response on stdout
# (docs/storage-contract.md). Content travels byte for byte: jq decodes it into the file
# (or bash writes it with printf '%s', never echo) and jq encodes the file into the answer.
# A batch runs in this one process without a process per operation.
set -uo pipefail
export LC_ALL=C  # byte-order sorting for `list`

# --- answers, built in bash: every helper leaves its answer in REPLY -------------------

json_string() {  # json_string TEXT -> REPLY: TEXT as a JSON string literal
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

failure() {  # failure CODE MESSAGE -> REPLY: a failed result
  json_string "$2"
  REPLY="{\"success\":false,\"error\":$REPLY,\"error_code\":\"$1\"}"
}

succeeded() { REPLY='{"success":true}'; }

normalize() {  # normalize PATH -> REPLY: trailing slashes stripped, "/" kept
  REPLY=$1
  while [[ ${#REPLY} -gt 1 && $REPLY == */ ]]; do REPLY=${REPLY%/}; done
}

# --- operations ------------------------------------------------------------------------

check_readable() {  # check_readable PATH -> REPLY: a failure, or empty when it can be read
  local path=$1
  REPLY=
  if [[ ! -e $path ]]; then failure not_found "no such file: $path"
  elif [[ -d $path ]]; then failure invalid_argument "is a folder, not a file: $path"
  elif [[ ! -r $path ]]; then failure permission_denied "cannot read $path: permission denied"
  fi
}

op_read() {  # op_read PATH
  check_readable "$1"
  [[ -n $REPLY ]] && return
  REPLY=$(jq -cRs '{success:true, data:.}' <"$1") || failure io_error "cannot read $1"
}

# write_file PATH (string TEXT | filter JQ_FILTER_ON_EVENT)
write_file() {
  local path=$1 source=$2 dir name tmp attempt
  dir=${path%/*}
  [[ -z $dir ]] && dir=/
  name=${path##*/}
  if [[ -z $name ]]; then failure invalid_argument "not a file path: $path"; return; fi
  if [[ ! -d $dir ]]; then failure not_found "folder does not exist: $dir"; return; fi
  if [[ -d $path ]]; then failure invalid_argument "is a folder, not a file: $path"; return; fi
  # A unique temp file in the same folder, then an atomic rename: concurrent writers never
  # collide and readers see the old or the new content. noclobber makes bash open the temp
  # file with O_EXCL, so the name is ours alone without spawning mktemp.
  tmp=
  set -C
  for attempt in 1 2 3 4 5; do
    tmp="$dir/.$name.tmp.$$.$RANDOM$RANDOM"
    { : >"$tmp"; } 2>/dev/null && break
    tmp=
  done
  set +C
  if [[ -z $tmp ]]; then
    if [[ -w $dir ]]; then failure io_error "cannot create a temp file in $dir"
    else failure permission_denied "cannot write in $dir: permission denied"; fi
    return
  fi
  local written=0
  if [[ $source == string ]]; then
    printf '%s' "$3" >|"$tmp" && written=1
  else
    jq -j "$3" <<<"$event" >|"$tmp" && written=1
  fi
  [[ $written == 1 && -e $path ]] && chmod --reference="$path" "$tmp" 2>/dev/null
  if [[ $written != 1 ]] || ! mv -f "$tmp" "$path"; then
    rm -f "$tmp"
    failure io_error "cannot write $path"
    return
  fi
  succeeded
}

op_list() {  # op_list PATH
  local path=$1 entry
  if [[ ! -e $path ]]; then REPLY='{"success":true,"entries":[]}'; return; fi
  if [[ ! -d $path ]]; then failure invalid_argument "is a file, not a folder: $path"; return; fi
  local -a args=()
  shopt -s nullglob dotglob
  for entry in "${path%/}"/*; do
    if [[ -d $entry ]]; then args+=("$entry" d); else args+=("$entry" f); fi
  done
  shopt -u nullglob dotglob
  REPLY=$(jq -cn '{success:true, entries:[$ARGS.positional as $a | range(0; $a|length; 2) | {path:$a[.], is_directory:($a[.+1]=="d")}]}' \
    --args "${args[@]}")
}

op_delete() {  # op_delete PATH IS_DIRECTORY
  local path=$1 is_dir=$2
  if [[ ! -e $path && ! -L $path ]]; then failure not_found "no such file or folder: $path"; return; fi
  if [[ -d $path && ! -L $path ]]; then
    if [[ $is_dir != true ]]; then
      failure invalid_argument "is a folder: $path (set is_directory to delete it with its contents)"
      return
    fi
    if [[ $path == / ]]; then failure invalid_argument "refusing to delete the root folder"; return; fi
    rm -rf -- "$path" || { failure io_error "cannot delete $path"; return; }
  else
    rm -f -- "$path" || { failure io_error "cannot delete $path"; return; }
  fi
  succeeded
}

op_ensure_dir() {  # op_ensure_dir PATH
  local path=$1
  if [[ -d $path ]]; then succeeded; return; fi
  if [[ -e $path ]]; then failure conflict "a file is in the way: $path"; return; fi
  mkdir -p -- "$path" 2>/dev/null || { failure io_error "cannot create folder $path"; return; }
  succeeded
}

# dispatch OP PATH IS_DIRECTORY CONTENT_FILTER -> REPLY
dispatch() {
  normalize "$2"
  local path=$REPLY
  if [[ $path != /* ]]; then failure invalid_argument "path must be absolute: $path"; return; fi
  case $1 in
    read) op_read "$path" ;;
    write) write_file "$path" filter "$4" ;;
    list) op_list "$path" ;;
    delete) op_delete "$path" "$3" ;;
    ensure_dir) op_ensure_dir "$path" ;;
    *) failure unsupported "unknown operation: $1" ;;
  esac
}

event=$(cat)
if [[ -z $event ]]; then echo "builtin-filesystem: no event on stdin" >&2; exit 2; fi

eval "$(jq -r '@sh "op=\(.operation // "") path=\(.path // "") is_dir=\(.is_directory // false) count=\(.operations // [] | length)"' <<<"$event")" \
  || { echo "builtin-filesystem: the event is not valid JSON" >&2; exit 2; }

if [[ $op != batch ]]; then
  dispatch "$op" "$path" "$is_dir" '.content'
  printf '%s\n' "$REPLY"
  exit 0
fi

# --- batch: one jq call lists the operations, one hands over every write's content, and
# one per chunk of results reads every file to return (--rawfile): a batch of 1,000 reads
# costs four processes, not a thousand.

flush_chunk() {  # prints the pending results, letting jq read the files they name
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

# Operations: op, path, is_directory, and whether the content holds a NUL (which a bash
# string cannot: such a write takes its content from jq directly).
mapfile -d '' -t ops < <(jq -j '.operations[] | (@sh "\(.operation // "") \(.path // "") \(.is_directory // false) \(.content // "" | tostring | test("\u0000"))") + "\u0000"' <<<"$event")
mapfile -d '' -t contents < <(jq -j '.operations[] | select(.operation == "write") | (.content // "" | tostring) + "\u0000"' <<<"$event")
pending=() rawfiles=() printed=0 writes=0 all_ok=true
printf '{"success":true,"results":['
for ((i = 0; i < count; i++)); do
  eval "set -- ${ops[i]}"
  normalize "$2"
  target=$REPLY
  if [[ $target != /* ]]; then
    failure invalid_argument "path must be absolute: $target"
  elif [[ $1 == read ]]; then
    check_readable "$target"
    if [[ -z $REPLY ]]; then
      rawfiles+=(--rawfile "r$i" "$target")
      REPLY="{success:true,data:\$r$i}"
    fi
  elif [[ $1 == write && $4 == false ]]; then
    write_file "$target" string "${contents[writes]}"
  else
    dispatch "$1" "$2" "$3" ".operations[$i].content"
  fi
  [[ $1 == write ]] && writes=$((writes + 1))
  [[ $REPLY == '{"success":true'* || $REPLY == '{success:true'* ]] || all_ok=false
  pending+=("$REPLY")
  ((${#pending[@]} >= 500)) && flush_chunk
done
flush_chunk
printf '],"overall_success":%s}\n' "$all_ok"
