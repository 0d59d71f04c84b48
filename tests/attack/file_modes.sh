#!/usr/bin/env bash
# Owner, mode, set-ID bits, links, and the temp file's mode, per filesystem provider.
set -u
A=${A:-/tmp/attack-fm}; HB=${HB:-/work/wt-attack/build/bin/homeboy}
rm -rf "$A"; mkdir -p $A/{run,mods,cfg-php}; chmod 700 $A/run; chmod 755 $A
export HOMEBOY_MODULE_PATH=$A/mods XDG_RUNTIME_DIR=$A/run HOMEBOY_QUIET=1
umask 022
$HB --config-dir $A/cfg-php module install /work/wt-attack/modules/filesystem-php >/dev/null
head -c 150000000 /dev/urandom | base64 -w0 > $A/big.txt   # ~200 MB of text
for p in native bash php; do
  C=$A/cfg-$p; mkdir -p $C; T=auto; case $p in native) T=native;; bash) T=subprocess;; esac
  hw() { HOMEBOY_STORAGE_TRANSPORT=$T $HB --config-dir $C storage write "$@"; }
  D=$A/d-$p; mkdir -p -m 755 $D
  # 1 a file owned by nobody:nogroup, mode 4755 (setuid), overwritten by root
  echo old > $D/suid; chown nobody:nogroup $D/suid; chmod 4755 $D/suid
  hw $D/suid --content new >/dev/null; r1="suid-nobody: $(stat -c '%U:%G %a' $D/suid)"
  # 2 a 0600 secret: kill the writer while it writes, look at the temp file
  echo secret > $D/secret; chmod 600 $D/secret
  hw $D/secret --file $A/big.txt >/dev/null 2>&1 & pid=$!
  tmpmode=none
  for i in $(seq 1 400); do t=$(find $D -maxdepth 2 -name '.homeboy-tmp*' -newer $D/suid -type f 2>/dev/null | head -1); [[ -n $t ]] && { tmpmode=$(stat -c %a "$t" 2>/dev/null); break; }; sleep 0.01; done
  kill -9 $pid 2>/dev/null; wait $pid 2>/dev/null
  r2="temp-while-replacing-0600: $tmpmode final=$(stat -c %a $D/secret)"
  # 3 a symlink as the target
  echo target > $D/real; ln -s real $D/link
  hw $D/link --content via-link >/dev/null; r3="symlink: $( [[ -L $D/link ]] && echo kept || echo replaced) real=$(cat $D/real)"
  # 4 a hard link as the target
  echo h > $D/h1; ln $D/h1 $D/h2
  hw $D/h1 --content new-h >/dev/null; r4="hardlink: h1=$(cat $D/h1) h2=$(cat $D/h2) nlink=$(stat -c %h $D/h1)"
  # 5 a FIFO and a device node as the target
  mkfifo $D/fifo; mknod $D/null c 1 3
  o5=$(hw $D/fifo --content x | grep -o '"code": "[a-z._]*"'); t5=$(stat -c %F $D/fifo)
  o6=$(hw $D/null --content x | grep -o '"code": "[a-z._]*"'); t6=$(stat -c %F $D/null)
  echo "$p | $r1 | $r2 | $r3 | $r4 | fifo: ${o5:-success} now $t5 | chardev: ${o6:-success} now $t6"
done
rm -rf "$A"
