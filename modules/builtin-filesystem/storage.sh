#!/usr/bin/env bash
# builtin-filesystem: homeboy's default storage module as a script (bash, coreutils, jq).
# Reads one JSON event on stdin and writes one JSON response on stdout
# (docs/storage-contract.md). It follows the same rules as the native plugin, so both
# can serve the same folders at once:
#   - content is bytes: it arrives as "content" (text) or "content_base64", is written with
#     printf '%s' or base64 -d (never echo), and goes back as "data" or "data_base64";
#   - every change to a folder holds an exclusive flock on the folder, and goes through the
#     folder's one temp file, .homeboy-tmp (never listed): created with the target's mode,
#     filled, given a fresh modification time, flushed to disk, renamed into place, and the
#     folder flushed; whatever a killed writer left there is removed by the next write;
#   - a batch's writes into one folder are staged together in .homeboy-tmp/ (a folder then),
#     flushed with one syncfs (sync -f) before any is renamed into place, and the folder is
#     flushed once at the end of the request: a crash leaves each file old or new;
#   - "durability": "process_crash" in the provider's config skips the flushes;
#   - a version is "<inode>-<size>-<mtime with nanoseconds>"; a read reports it, a write or
#     delete may require it (if_version) or require the path to be absent (if_absent);
#   - a batch runs strictly in order: a read sees every earlier write and delete.
set -uo pipefail
export LC_ALL=C  # byte-order sorting and byte-wise string handling

temp_name=.homeboy-tmp
stat_version='%i-%s-%.9Y'
content_limit=268435456  # 256 MiB, the host's limit: larger files are refused with too_large
initial_umask=  # taken once an operation may create files (it costs a subshell)
my_gid=

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

write_failure() {  # write_failure DIR MESSAGE -> REPLY: no_space when DIR's file system is full
  # bash gives no errno: a write that failed where less than a block is free ran out of
  # space (asked before a partly written temp file is removed, while it still takes the room).
  local free
  read -r free < <(stat -f -c '%a %S' -- "$1" 2>/dev/null | { read -r a s && echo $((a * s)); })
  if [[ -n $free ]] && ((free < 4096)); then failure no_space "$2: no space left on the file system of $1"
  else failure io_error "$2"; fi
}

normalize() {  # normalize PATH -> REPLY: trailing slashes stripped, "/" kept
  REPLY=$1
  while [[ ${#REPLY} -gt 1 && $REPLY == */ ]]; do REPLY=${REPLY%/}; done
}

# --- reads: everything a read needs comes first, so a read is answered before bash has even
# parsed the rest of this file (that alone was 3 of a one-shot read's 10 ms) -------------

too_large() {  # too_large PATH VERSION: true (with the failure in REPLY) above the content limit
  local size=${2#*-}
  size=${size%%-*}
  ((size > content_limit)) || return 1
  failure too_large "$1 is $size bytes; the limit is $content_limit"
}

check_readable() {  # check_readable PATH -> REPLY: a failure, or empty when it can be read
  local path=$1
  REPLY=
  if [[ ! -e $path ]]; then failure not_found "no such file: $path"
  elif [[ -d $path ]]; then failure invalid_argument "is a folder, not a file: $path"
  elif [[ ! -f $path ]]; then failure invalid_argument "is not a regular file (a device, FIFO or socket): $path"
  elif [[ ! -r $path ]]; then failure permission_denied "cannot read $path: permission denied"
  fi
}

answer_read() {  # answer_read PATH: prints the answer to a read
  # Straight to stdout: base64 carries any bytes, and the version is taken before the
  # content, so it is never newer than what was read.
  normalize "$1"
  local path=$REPLY version
  check_readable "$path"
  if [[ -n $REPLY ]]; then printf '%s\n' "$REPLY"; return; fi
  version=$(exec stat -c "$stat_version" -- "$path" 2>/dev/null) || {
    failure io_error "cannot read $path"
    printf '%s\n' "$REPLY"
    return
  }
  if too_large "$path" "$version"; then printf '%s\n' "$REPLY"; return; fi
  printf '{"success":true,"version":"%s","data_base64":"' "$version"
  base64 -w0 -- "$path" || exit 1
  printf '"}\n'
}

# --- the event ------------------------------------------------------------------------

# A short event (a read, a list, a delete) is taken with bash's own `read`, in one system
# call. A longer one (a write's content, a batch) goes to a temp file (0600) that jq reads:
# held in a shell variable, a large content would cost bash several copies of itself. The
# file goes in the host's private folder when there is one: should this process be killed,
# the content left behind stays out of others' sight, and the next run removes it: the file
# is named after the process that made it (event.PID.XXXXXX), and one whose process is gone
# was left by a run that was killed (a SIGKILL runs no trap).
event= event_file=
IFS= read -r -N 4096 event
event_dir=${HOMEBOY_CONFIG_DIR:+$HOMEBOY_CONFIG_DIR/run}
if [[ -n $event_dir ]]; then
  for left in "$event_dir"/event.*; do
    [[ -e $left ]] || break
    pid=${left##*/event.}
    pid=${pid%%.*}
    # Only "no such process" counts: another user's process (root's, say) is not ours to judge.
    [[ $pid =~ ^[0-9]+$ ]] && ! kill -0 "$pid" 2>/dev/null && [[ $(kill -0 "$pid" 2>&1) == *"No such process"* ]] \
      && rm -f -- "$left"
  done
fi
if ((${#event} == 4096)); then
  event_file=$(mktemp -p "${event_dir:-${TMPDIR:-/tmp}}" "event.$$.XXXXXX" 2>/dev/null || mktemp) \
    || { echo "builtin-filesystem: cannot make a temp file for the event" >&2; exit 1; }
  trap 'rm -f -- "$event_file"' EXIT
  if ! { printf '%s' "$event"; cat; } >"$event_file" 2>/dev/null; then
    # Nothing was done: the answer says why, for the whole event.
    write_failure "${event_file%/*}" "cannot keep the event in ${event_file%/*}"
    printf '%s\n' "$REPLY"
    exit 0
  fi
  event=
elif [[ -z $event ]]; then
  echo "builtin-filesystem: no event on stdin" >&2
  exit 2
fi

event_json() {  # event_json JQ_ARGUMENT...: jq run on the event
  if [[ -n $event_file ]]; then jq "$@" <"$event_file"; else jq "$@" <<<"$event"; fi
}

# A read in the host's usual form, its path without escapes, is answered here, without jq
# (which alone costs ~30 ms to start): a one-shot read is bash, stat and base64.
read_event='^\{"operation":"read","path":"([^"\\]*)","contract_version":[0-9]+\}[[:space:]]*$'
if [[ $event =~ $read_event ]]; then
  answer_read "${BASH_REMATCH[1]}"
  exit 0
fi

# --- folder locks and durability ---------------------------------------------------------

locked_dir= lock_fd=
lock_folder() {  # lock_folder DIR: an exclusive flock on DIR, held until another folder is locked
  [[ -n $locked_dir && $locked_dir == "$1" ]] && return 0
  [[ -n ${staged_dir:-} ]] && flush_writes  # staged files are renamed under their folder's lock
  unlock_folder
  exec {lock_fd}<"$1" || return 1
  if ! flock -x "$lock_fd"; then
    exec {lock_fd}<&-
    return 1
  fi
  locked_dir=$1
}
unlock_folder() {
  [[ -n $locked_dir ]] && exec {lock_fd}<&-
  locked_dir=
}

# Durability: every change is on disk before the answer (fsync of a file before it is
# renamed into place, syncfs for a batch's staged files, fsync of each changed folder at the
# end), unless the provider's config says "durability": "process_crash".
flush=
flushing() {  # true unless the user chose speed over durability
  if [[ -z $flush ]]; then
    local config=${HOMEBOY_STORAGE_CONFIG:-}
    [[ -z $config && -n ${HOMEBOY_STORAGE_CONFIG_FILE:-} ]] && config=$(<"$HOMEBOY_STORAGE_CONFIG_FILE")
    flush=yes
    if [[ $config == *durability* && $(jq -r '.durability // empty' <<<"$config" 2>/dev/null) == process_crash ]]; then
      flush=no
    fi
  fi
  [[ $flush == yes ]]
}

declare -A changed_dirs=()
sync_changes() {  # flushes each changed folder (its renames and deletes) once, at the end of a request
  ((${#changed_dirs[@]})) || return 0
  flushing && sync -- "${!changed_dirs[@]}" 2>/dev/null
  changed_dirs=()
}

declare -A dir_modes=()
dir_mode() {  # dir_mode DIR -> REPLY: the folder's permission bits (octal), asked once per request
  REPLY=${dir_modes[$1]:-}
  if [[ -z $REPLY ]]; then
    read -r REPLY < <(stat -c '%a' -- "$1" 2>/dev/null)
    dir_modes[$1]=${REPLY:=755}
  fi
}

# --- writes, lists, deletes, folders ------------------------------------------------------

# write_file PATH SOURCE CONTENT CONDITION WANTED_VERSION [STAGE]
#   SOURCE: text (CONTENT is the bytes), base64 (CONTENT is base64), filter or filter64
#   (CONTENT is a jq filter on the event giving the bytes, or their base64: the content goes
#   from the event to the temp file without passing through a shell variable, so a large
#   one costs no copies, and one holding NUL bytes, which a bash string cannot, survives)
#   CONDITION: "", version or absent
#   STAGE: "stage" to leave the new file in the folder's staging folder (.homeboy-tmp/,
#   under the same name), for flush_writes to rename many at once: a batch's writes into
#   one folder then cost one mv, not one each. Otherwise .homeboy-tmp is a single temp file.
write_file() {
  local path=$1 source=$2 content=$3 condition=$4 wanted=$5 stage=${6:-} dir name tmp resolved
  local mode= uid= gid= current=
  if [[ -L $path ]]; then
    resolved=$(realpath -e -- "$path" 2>/dev/null) || {
      failure invalid_argument "is a symbolic link to a missing file: $path"
      return
    }
    path=$resolved
  fi
  dir=${path%/*}
  [[ -z $dir ]] && dir=/
  name=${path##*/}
  if [[ -z $name ]]; then failure invalid_argument "not a file path: $path"; return; fi
  if [[ $name == "$temp_name" ]]; then failure invalid_argument "$temp_name is homeboy's own temp name: $path"; return; fi
  if [[ ! -d $dir ]]; then failure not_found "folder does not exist: $dir"; return; fi
  if [[ -d $path ]]; then failure invalid_argument "is a folder, not a file: $path"; return; fi
  if [[ -e $path && ! -f $path ]]; then
    failure invalid_argument "is not a regular file (a device, FIFO or socket), and is left alone: $path"
    return
  fi
  [[ -n $staged_dir && $staged_dir != "$dir" ]] && flush_writes
  # A file the staged writes already replace: they go first, so that this write (its
  # condition above all) sees the one before it.
  [[ -n $stage && -n ${staged_names[$name]:-} ]] && flush_writes
  if ! lock_folder "$dir"; then
    if [[ -r $dir ]]; then failure io_error "cannot lock folder $dir"
    else failure permission_denied "cannot open folder $dir: permission denied"; fi
    return
  fi
  # An existing file's mode, owner and version, in one stat; a new file needs none of them.
  if [[ -e $path || -L $path ]]; then
    read -r mode uid gid current < <(stat -c "%a %u %g $stat_version" -- "$path" 2>/dev/null)
  fi
  case $condition in
    absent) if [[ -n $current ]]; then failure conflict "already exists: $path"; return; fi ;;
    version)
      if [[ -z $current ]]; then failure conflict "was deleted since version $wanted: $path"; return; fi
      if [[ $current != "$wanted" ]]; then
        failure conflict "changed since version $wanted (now $current): $path"
        return
      fi
      ;;
  esac
  if [[ -n $stage ]]; then
    if [[ -z $staged_dir ]]; then
      # We hold the folder's lock: whatever is at the temp name was left by a killed writer.
      rm -rf -- "$dir/$temp_name"
      if ! mkdir -m 700 -- "$dir/$temp_name" 2>/dev/null; then
        if [[ -w $dir ]]; then write_failure "$dir" "cannot create a temp folder in $dir"
        else failure permission_denied "cannot write in $dir: permission denied"; fi
        return
      fi
      staged_dir=$dir
    fi
    tmp=$dir/$temp_name/$name
  else
    tmp=$dir/$temp_name
    # We hold the folder's lock: whatever is at the temp name was left by a killed writer.
    [[ -e $tmp || -L $tmp ]] && rm -rf -- "$tmp"
  fi
  # The temp file is created with the target's permissions (0600 for a new file in a private
  # folder) before any byte is written, through the umask; set-ID bits are never carried.
  [[ -n $initial_umask ]] || initial_umask=$(umask)
  local wanted_mode
  if [[ -n $mode ]]; then
    wanted_mode=$((8#$mode & 0777))
  else
    dir_mode "$dir"
    if (((8#$REPLY & 077) == 0)); then wanted_mode=8#600
    else wanted_mode=$((0666 & ~8#$initial_umask)); fi
  fi
  printf -v REPLY '%o' $((0777 & ~wanted_mode))
  umask "$REPLY"
  set -C
  { : >"$tmp"; } 2>/dev/null
  local created=$?
  set +C
  umask "$initial_umask"
  if ((created != 0)); then
    if [[ -w $dir ]]; then write_failure "$dir" "cannot create a temp file in $dir"
    else failure permission_denied "cannot write in $dir: permission denied"; fi
    return
  fi
  # A redirection never sets execute bits: the replaced file's are given back.
  ((wanted_mode & 0111)) && chmod "$(printf '%o' "$wanted_mode")" -- "$tmp" 2>/dev/null
  if [[ -n $uid ]]; then
    [[ -z $my_gid ]] && my_gid=$(id -g)
    if [[ $uid != "$EUID" || $gid != "$my_gid" ]]; then
      chown "$uid:$gid" -- "$tmp" 2>/dev/null || chgrp "$gid" -- "$tmp" 2>/dev/null
    fi
  fi
  local written=0
  case $source in
    text) printf '%s' "$content" >|"$tmp" && written=1 ;;
    base64) base64 -d <<<"$content" >|"$tmp" 2>/dev/null && written=1 ;;
    filter) event_json -j "$content" >|"$tmp" && written=1 ;;
    filter64) event_json -j "$content" | base64 -d >|"$tmp" 2>/dev/null && written=1 ;;
  esac
  # The new file is a new inode. When the file it replaces was written within the last
  # clock tick or so, the kernel's coarse timestamp could repeat an older version's (an
  # inode number comes back quickly), so the time is set to the microsecond.
  local fresh=0 now=${EPOCHREALTIME/./} then=${current##*-}
  if [[ -n $current && $then == *.* ]]; then
    then=$((${then%.*} * 1000000 + 10#${then#*.} / 1000))
    ((now - then < 50000)) && fresh=1
  fi
  if [[ $written == 1 ]] && ((fresh)) && ! touch -m -d "@$EPOCHREALTIME" -- "$tmp"; then written=0; fi
  if [[ $written == 1 && -n $stage ]]; then
    staged+=("$name")
    staged_slot+=(${#pending[@]})
    staged_names[$name]=1
    succeeded
    return
  fi
  # On disk before it takes the name: a crash then leaves the old file or the new, whole.
  if [[ $written == 1 ]] && flushing && ! sync -d -- "$tmp" 2>/dev/null; then written=0; fi
  if [[ $written != 1 ]] || ! mv -f -- "$tmp" "$path"; then
    write_failure "$dir" "cannot write $path"
    if [[ $source == *64 && $written != 1 && $REPLY != *'"no_space"'* ]]; then
      failure invalid_argument "content_base64 is not valid base64"
    fi
    rm -f -- "$tmp"
    return
  fi
  changed_dirs[$dir]=1
  succeeded
}

staged_dir= staged=() staged_slot=()
declare -A staged_names=()
flush_writes() {  # flushes the staged files to disk, then renames them into place, one mv for the lot
  [[ -n $staged_dir ]] || return 0
  local stage=$staged_dir/$temp_name i
  local -a sources=()
  for i in "${!staged[@]}"; do sources+=("$stage/${staged[i]}"); done
  # One syncfs for every staged file (one fdatasync for a single one, which does not wait for
  # the rest of the file system): each is whole on disk before any takes its name.
  local why="cannot write" how=-f
  ((${#sources[@]} == 1)) && how=-d
  if ((${#sources[@]})) && flushing && ! sync "$how" -- "${sources[@]:0:1}" 2>/dev/null; then
    why="cannot flush to disk"
  else
    ((${#sources[@]})) && mv -f -t "$staged_dir" -- "${sources[@]}" 2>/dev/null
  fi
  for i in "${!staged[@]}"; do
    if [[ -e $stage/${staged[i]} ]]; then
      failure io_error "$why $staged_dir/${staged[i]}"
      pending[staged_slot[i]]=$REPLY
      all_ok=false
    fi
  done
  rm -rf -- "$stage"
  changed_dirs[$staged_dir]=1
  staged_dir= staged=() staged_slot=() staged_names=()
}

op_list() {  # op_list PATH: entries built in bash, so a folder of any size lists
  local path=$1 entry prefix
  local -a items=()
  if [[ ! -e $path ]]; then REPLY='{"success":true,"entries":[]}'; return; fi
  if [[ ! -d $path ]]; then failure invalid_argument "is a file, not a folder: $path"; return; fi
  if [[ ! -r $path || ! -x $path ]]; then failure permission_denied "cannot list $path: permission denied"; return; fi
  prefix=${path%/}
  local -a names=()
  declare -A not_utf8=()
  shopt -s nullglob dotglob
  names=("$prefix"/*)
  shopt -u nullglob dotglob
  # Names that are not UTF-8 cannot be JSON text: they go as path_base64. Only a listing
  # with a byte above 0x7f pays for the one grep that finds them.
  if [[ ${names[*]} == *[$'\x80'-$'\xff']* ]]; then
    while IFS= read -r -d '' entry; do not_utf8[$entry]=1; done \
      < <(printf '%s\0' "${names[@]}" | LC_ALL=C.UTF-8 grep -zaxv '.*')
  fi
  # Each entry is an item of an array, joined once at the end: appending to one string makes
  # bash copy it every time (100,000 entries: 6 s instead of 1 s).
  for entry in "${names[@]}"; do
    [[ ${entry##*/} == "$temp_name" ]] && continue
    if [[ -n ${not_utf8[$entry]:-} ]]; then
      REPLY="\"$(printf '%s' "$entry" | base64 -w0)\""
      REPLY="\"path_base64\":$REPLY"
    elif [[ $entry == *[\"\\$'\x01'-$'\x1f']* ]]; then
      json_string "$entry"
      REPLY="\"path\":$REPLY"
    else
      REPLY="\"path\":\"$entry\""
    fi
    if [[ -d $entry ]]; then items+=("{$REPLY,\"is_directory\":true}")
    else items+=("{$REPLY,\"is_directory\":false}"); fi
  done
  local IFS=,
  REPLY="{\"success\":true,\"entries\":[${items[*]}]}"
}

op_delete() {  # op_delete PATH IS_DIRECTORY CONDITION WANTED_VERSION
  local path=$1 is_dir=$2 condition=$3 wanted=$4 dir current
  if [[ ! -e $path && ! -L $path ]]; then failure not_found "no such file or folder: $path"; return; fi
  if [[ ! -L $path && (-c $path || -b $path) ]]; then failure invalid_argument "is a device, and is left alone: $path"; return; fi
  dir=${path%/*}
  [[ -z $dir ]] && dir=/
  if ! lock_folder "$dir"; then failure permission_denied "cannot open folder $dir"; return; fi
  if [[ -d $path && ! -L $path ]]; then
    if [[ $is_dir != true ]]; then
      failure invalid_argument "is a folder: $path (delete it with its contents: is_directory, or --recursive)"
      return
    fi
    if [[ -n $condition ]]; then failure invalid_argument "a folder has no version: $path"; return; fi
    if [[ $path == / ]]; then failure invalid_argument "refusing to delete the root folder"; return; fi
    rm -rf -- "$path" || { failure io_error "cannot delete $path"; return; }
  else
    if [[ $condition == version ]]; then
      current=$(stat -c "$stat_version" -- "$path" 2>/dev/null)
      if [[ $current != "$wanted" ]]; then
        failure conflict "changed since version $wanted (now ${current:-deleted}): $path"
        return
      fi
    fi
    rm -f -- "$path" || { failure io_error "cannot delete $path"; return; }
  fi
  changed_dirs[$dir]=1
  succeeded
}

op_ensure_dir() {  # op_ensure_dir PATH: a folder made inside a private folder is private too
  local path=$1 parent current=
  if [[ -d $path ]]; then succeeded; return; fi
  if [[ -e $path ]]; then failure conflict "a file is in the way: $path"; return; fi
  parent=${path%/*}
  while [[ -n $parent && ! -d $parent ]]; do
    if [[ -e $parent ]]; then failure conflict "a file is in the way: $parent"; return; fi
    parent=${parent%/*}
  done
  [[ -z $parent ]] && parent=/
  read -r current < <(stat -c '%a' -- "$parent" 2>/dev/null)
  [[ -n $initial_umask ]] || initial_umask=$(umask)
  (((8#${current:-755} & 077) == 0)) && umask 077
  mkdir -p -- "$path" 2>/dev/null
  local made=$?
  umask "$initial_umask"
  if ((made != 0)); then
    if [[ -e $path && ! -d $path ]]; then failure conflict "a file is in the way: $path"
    else write_failure "$parent" "cannot create folder $path"; fi
    return
  fi
  succeeded
}

# --- every other event ----------------------------------------------------------------

# Each operation as shell words: op, path, is_directory, content kind (text, base64, or
# nul: text holding NUL bytes), condition (version, absent or nothing), wanted version.
read_ops='(@sh "\(.operation // "") \(.path // "") \(.is_directory // false) \(if has("content_base64") then "base64" elif (.content // "" | tostring | test("\u0000")) then "nul" else "text" end) \(if .if_absent == true then "absent" elif (.if_version // null) != null then "version" else "" end) \(.if_version // "" | tostring)")'

# run_op OP PATH IS_DIR CONDITION WANTED CONTENT_SOURCE CONTENT -> REPLY
#   CONTENT_SOURCE and CONTENT: a write's content, as write_file takes them
run_op() {
  normalize "$2"
  local path=$REPLY
  if [[ $path != /* ]]; then failure invalid_argument "path must be absolute: $path"; return; fi
  case $1 in
    write) write_file "$path" "$6" "$7" "$4" "$5" ;;
    list) op_list "$path" ;;
    delete) op_delete "$path" "$3" "$4" "$5" ;;
    ensure_dir) op_ensure_dir "$path" ;;
    *) failure unsupported "unknown operation: $1" ;;
  esac
}

op= path= is_dir= kind= condition= wanted=
eval "$(event_json -r "$read_ops"' + " \(.operations // [] | length)" | "set -- " + .')" \
  || { echo "builtin-filesystem: the event is not valid JSON" >&2; exit 2; }
op=$1 path=$2 is_dir=$3 kind=$4 condition=$5 wanted=$6 count=$7

if [[ $op == read ]]; then
  answer_read "$path"
  exit 0
fi

if [[ $op != batch ]]; then
  # A write's content goes from the event straight into the temp file.
  if [[ $kind == base64 ]]; then source=filter64 content=.content_base64; else source=filter content=.content; fi
  run_op "$op" "$path" "$is_dir" "$condition" "$wanted" "$source" "$content"
  unlock_folder
  sync_changes
  printf '%s\n' "$REPLY"
  exit 0
fi

# --- batch: strictly in order, without a process per operation. Reads are gathered and
# answered together (one stat, one grep and one jq for up to 500 of them), but every
# change waits until the reads before it are answered, so a read never sees a later write.

pending=() reads=() read_index=() printed=0
flush_reads() {  # answers the gathered reads, then prints every result held so far
  if ((${#reads[@]})); then
    local -a versions=() rawfiles=() binary=()
    local versions_text i j program
    # Versions first: a version is never newer than the content read after it.
    versions_text=$(stat --printf "$stat_version\n" -- "${reads[@]}" 2>/dev/null)
    mapfile -t versions <<<"$versions_text"
    if ((${#versions[@]} != ${#reads[@]})); then  # one vanished meanwhile: ask one by one
      versions=()
      for ((i = 0; i < ${#reads[@]}; i++)); do versions+=("$(stat -c "$stat_version" -- "${reads[i]}" 2>/dev/null)"); done
    fi
    # Files that are not UTF-8 go back as base64; jq would replace their bytes.
    declare -A not_utf8=()
    while IFS= read -r -d '' j; do not_utf8[$j]=1; done < <(LC_ALL=C.UTF-8 grep -laxvZ '.*' -- "${reads[@]}" 2>/dev/null)
    for ((i = 0; i < ${#reads[@]}; i++)); do
      j=${read_index[i]}
      if [[ -z ${versions[i]} ]]; then  # it vanished between its check and now
        failure not_found "no such file: ${reads[i]}"
        pending[j]=$REPLY
        all_ok=false
      elif too_large "${reads[i]}" "${versions[i]}"; then
        pending[j]=$REPLY
        all_ok=false
      elif [[ -n ${not_utf8[${reads[i]}]:-} ]]; then
        pending[j]="{\"success\":true,\"version\":\"${versions[i]}\",\"data_base64\":\"$(base64 -w0 -- "${reads[i]}")\"}"
      else
        rawfiles+=(--rawfile "r$j" "${reads[i]}")
        pending[j]="{success:true,version:\"${versions[i]}\",data:\$r$j}"
      fi
    done
    reads=() read_index=()
    if ((${#rawfiles[@]})); then
      program='['
      for ((i = 0; i < ${#pending[@]}; i++)); do
        ((i > 0)) && program+=','
        program+=${pending[i]}
      done
      program+=']'
      local out
      if ! out=$(jq -cn "${rawfiles[@]}" -f /dev/fd/3 3<<<"$program"); then
        echo "builtin-filesystem: could not assemble the batch results" >&2
        exit 1
      fi
      ((printed > 0)) && printf ','
      printf '%s' "${out:1:${#out}-2}"
      printed=$((printed + ${#pending[@]}))
      pending=()
      return 0
    fi
  fi
  ((${#pending[@]})) || return 0
  local IFS=,
  ((printed > 0)) && printf ','
  printf '%s' "${pending[*]}"
  printed=$((printed + ${#pending[@]}))
  pending=()
}

# One entry per write, NUL-terminated: content holding NUL bytes (which would split into
# several entries) is left empty here, and such a write takes its content from jq directly.
mapfile -d '' -t ops < <(event_json -j '.operations[] | '"$read_ops"' + "\u0000"')
mapfile -d '' -t contents < <(event_json -j '.operations[] | select(.operation == "write") | (.content_base64 // .content // "" | tostring | if test("\u0000") then "" else . end) + "\u0000"')
writes=0 all_ok=true
printf '{"success":true,"results":['
for ((i = 0; i < count; i++)); do
  eval "set -- ${ops[i]}"
  if [[ $1 == read ]]; then
    flush_writes
    normalize "$2"
    check_readable "$REPLY"
    if [[ -z $REPLY ]]; then
      normalize "$2"
      reads+=("$REPLY")
      read_index+=(${#pending[@]})
      pending+=(pending)
    else
      all_ok=false
      pending+=("$REPLY")
    fi
  elif [[ $1 == write ]]; then
    # Staged, renamed with the others into the same folder (its condition checked now,
    # under the folder's lock, which is held until the rename).
    ((${#reads[@]})) && flush_reads
    normalize "$2"
    case $4 in
      base64) source=base64 content=${contents[writes]:-} ;;
      nul) source=filter content=".operations[$i].content" ;;
      *) source=text content=${contents[writes]:-} ;;
    esac
    if [[ $REPLY != /* ]]; then failure invalid_argument "path must be absolute: $REPLY"
    else write_file "$REPLY" "$source" "$content" "$5" "$6" stage
    fi
    writes=$((writes + 1))
    [[ $REPLY == '{"success":true'* ]] || all_ok=false
    pending+=("$REPLY")
  else
    ((${#reads[@]})) && flush_reads
    flush_writes
    case $4 in
      base64) source=base64 content=${contents[writes]:-} ;;
      nul) source=filter content=".operations[$i].content" ;;
      *) source=text content=${contents[writes]:-} ;;
    esac
    run_op "$1" "$2" "$3" "$5" "$6" "$source" "$content"
    [[ $1 == write ]] && writes=$((writes + 1))
    [[ $REPLY == '{"success":true'* ]] || all_ok=false
    pending+=("$REPLY")
  fi
  ((${#staged[@]} >= 500)) && flush_writes
  ((${#pending[@]} >= 500 && ${#staged[@]} == 0)) && flush_reads
done
flush_writes
flush_reads
unlock_folder
sync_changes
printf '],"overall_success":%s}\n' "$all_ok"
