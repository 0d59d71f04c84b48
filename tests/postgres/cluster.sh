#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the tests: its own data folder and unix socket in a
# private temp folder, its own free TCP port on 127.0.0.1, nothing shared with any other
# cluster on the machine. The server refuses to run as root, so as root every server
# command runs as the `postgres` user; otherwise as the current user.
#
# usage: cluster.sh start   STATE    create and start a cluster; STATE (a folder) remembers it
#        cluster.sh stop    STATE    stop it and remove every file of it (safe to repeat)
#        cluster.sh down    STATE    stop the server, keep the data     (server-restart tests)
#        cluster.sh up      STATE    start it again on the same port
#        cluster.sh restart STATE    fast restart: open sessions are cut off
#        cluster.sh crash   STATE    stop the server at once, as a crash would (keep the data)
#        cluster.sh standby STATE PRIMARY_STATE   a streaming standby of that cluster: its own
#                                    folder and port; the primary then waits for it on every
#                                    commit (synchronous replication)
#        cluster.sh promote STATE    make a standby the primary
#        cluster.sh run     STATE DB -- CMD...   run CMD with PGHOST, PGPORT, PGUSER and
#                                                PGDATABASE set for database DB (created if missing)
#        cluster.sh psql    STATE DB [psql args]  psql as the cluster's superuser
#
# With HOMEBOY_PG_DURABLE=1, `start` keeps PostgreSQL's durability (fsync, full-page writes)
# instead of turning it off for speed: for benchmarks that compare writes with the filesystem's.
#
# Clients connect as `homeboy`, a role that is not a superuser and owns the test databases;
# it has the password in $HOMEBOY_PG_TEST_PASSWORD for tests of password logins over TCP
# (the unix socket trusts local users).
set -euo pipefail

command=${1:?usage: cluster.sh start|stop|down|up|restart|crash|standby|promote|run|psql STATE ...}
state=${2:?the state folder is missing}
shift 2
readonly client_role=homeboy password=${HOMEBOY_PG_TEST_PASSWORD:-homeboy-test-secret}

bindir=${HOMEBOY_PG_BINDIR:-}
if [[ -z $bindir ]]; then
  bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
fi
[[ -x $bindir/initdb && -x $bindir/pg_ctl ]] ||
  { echo "cluster.sh: no PostgreSQL server binaries (initdb, pg_ctl) in '$bindir'; install Debian's postgresql" >&2; exit 1; }

as_server() {
  if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

load_state() {
  [[ -f $state/env ]] || { echo "cluster.sh: no cluster recorded in $state" >&2; exit 1; }
  # shellcheck source=/dev/null
  source "$state/env"
}

pg_ctl() { as_server "$bindir/pg_ctl" -D "$root/data" -l "$root/server.log" "$@"; }

superuser_psql() {  # superuser_psql DB ARGS...
  local db=$1
  shift
  PGHOST=$root PGPORT=$port PGUSER=postgres PGDATABASE=$db PGCONNECT_TIMEOUT=10 \
    timeout 60 psql -X -q -v ON_ERROR_STOP=1 "$@"
}

free_port() {
  /usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

remove_cluster() {
  [[ -f $state/env ]] || return 0
  # shellcheck source=/dev/null
  source "$state/env"
  if [[ -f $root/data/postmaster.pid ]]; then
    pg_ctl stop -m immediate -w -t 30 >/dev/null 2>&1 || true
    # Still running: kill the one postmaster this folder's pid file names, nothing else.
    if [[ -f $root/data/postmaster.pid ]]; then
      local pid
      pid=$(head -n 1 "$root/data/postmaster.pid")
      [[ $pid =~ ^[0-9]+$ ]] && kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
  rm -rf "$root"
  rm -f "$state/env"
}

case $command in
  start)
    mkdir -p "$state"
    remove_cluster  # left over by an interrupted run
    root=$(mktemp -d /tmp/homeboy-pg.XXXXXX)
    port=
    # Recorded at once: whatever happens from here on, `stop` finds the folder and removes it.
    printf 'root=%q\nport=\n' "$root" >"$state/env"
    trap remove_cluster ERR
    chmod 700 "$root"
    [[ $(id -u) -eq 0 ]] && chown postgres:postgres "$root"
    as_server timeout 120 "$bindir/initdb" -D "$root/data" -U postgres -E UTF8 --locale=C --no-sync \
      --auth-local=trust --auth-host=scram-sha-256 >"$root/initdb.log" 2>&1 ||
      { cat "$root/initdb.log" >&2; false; }
    # Quick, and durable enough for tests: a commit survives a server restart (not an OS crash).
    speed=$'fsync = off\nfull_page_writes = off'
    [[ ${HOMEBOY_PG_DURABLE:-} == 1 ]] && speed='# durable: fsync and full-page writes as PostgreSQL ships them'
    as_server tee -a "$root/data/postgresql.conf" >/dev/null <<EOF
listen_addresses = '127.0.0.1'
unix_socket_directories = '$root'
$speed
max_connections = 100
EOF
    started=0
    for attempt in 1 2 3 4 5; do
      port=$(free_port)
      echo "port = $port" | as_server tee -a "$root/data/postgresql.conf" >/dev/null
      if pg_ctl start -w -t 60 >/dev/null 2>&1; then started=1; break; fi
    done
    ((started)) || { echo "cluster.sh: the server did not start:" >&2; tail -n 20 "$root/server.log" >&2; false; }
    printf 'root=%q\nport=%q\n' "$root" "$port" >"$state/env"
    superuser_psql postgres -c "CREATE ROLE $client_role LOGIN PASSWORD '$password'"
    trap - ERR
    echo "cluster.sh: PostgreSQL $("$bindir/postgres" --version | awk '{print $3}') on port $port, socket in $root"
    ;;
  stop)
    remove_cluster
    ;;
  down)
    load_state
    pg_ctl stop -m fast -w -t 60 >/dev/null
    ;;
  up)
    load_state
    pg_ctl start -w -t 60 >/dev/null
    ;;
  restart)
    load_state
    pg_ctl restart -m fast -w -t 60 >/dev/null
    ;;
  crash)
    load_state
    pg_ctl stop -m immediate -w -t 60 >/dev/null
    ;;
  standby)
    primary_state=${1:?the state folder of the primary is missing}
    mkdir -p "$state"
    remove_cluster
    # shellcheck source=/dev/null
    source "$primary_state/env"
    primary_root=$root primary_port=$port
    root=$(mktemp -d /tmp/homeboy-pg.XXXXXX)
    port=
    printf 'root=%q\nport=\n' "$root" >"$state/env"
    trap remove_cluster ERR
    chmod 700 "$root"
    [[ $(id -u) -eq 0 ]] && chown postgres:postgres "$root"
    # -R writes primary_conninfo and standby.signal: it streams from the primary at once.
    as_server timeout 120 "$bindir/pg_basebackup" -h "$primary_root" -p "$primary_port" -U postgres \
      -D "$root/data" -R -X stream --checkpoint=fast --no-sync >"$root/basebackup.log" 2>&1 ||
      { cat "$root/basebackup.log" >&2; false; }
    started=0
    for attempt in 1 2 3 4 5; do
      port=$(free_port)
      printf "port = %s\nunix_socket_directories = '%s'\n" "$port" "$root" |
        as_server tee -a "$root/data/postgresql.conf" >/dev/null
      if pg_ctl start -w -t 60 >/dev/null 2>&1; then started=1; break; fi
    done
    ((started)) || { echo "cluster.sh: the standby did not start:" >&2; tail -n 20 "$root/server.log" >&2; false; }
    printf 'root=%q\nport=%q\n' "$root" "$port" >"$state/env"
    # Only once it streams: from then on a commit on the primary waits until the standby has it.
    for _ in $(seq 1 300); do
      streaming=$(PGHOST=$primary_root PGPORT=$primary_port PGUSER=postgres timeout 10 psql -X -tA -d postgres \
        -c "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'")
      [[ $streaming == 1 ]] && break
      sleep 0.1
    done
    [[ $streaming == 1 ]] || { echo "cluster.sh: the standby does not stream from the primary" >&2; false; }
    PGHOST=$primary_root PGPORT=$primary_port PGUSER=postgres timeout 60 psql -X -q -v ON_ERROR_STOP=1 -d postgres \
      -c "ALTER SYSTEM SET synchronous_standby_names = '*'" -c "SELECT pg_reload_conf()" >/dev/null
    trap - ERR
    echo "cluster.sh: standby of port $primary_port on port $port, socket in $root"
    ;;
  promote)
    load_state
    pg_ctl promote -w -t 60 >/dev/null
    ;;
  run)
    load_state
    db=${1:?the database name is missing}
    [[ ${2:-} == -- ]] || { echo "cluster.sh run: expected -- before the command" >&2; exit 2; }
    shift 2
    exists=$(superuser_psql postgres -tA -c "SELECT 1 FROM pg_database WHERE datname = '$db'")
    [[ $exists == 1 ]] || superuser_psql postgres -c "CREATE DATABASE \"$db\" OWNER $client_role"
    unset PGSERVICE PGSERVICEFILE PGPASSWORD PGPASSFILE PGOPTIONS PGSSLMODE PGHOSTADDR
    export PGHOST=$root PGPORT=$port PGUSER=$client_role PGDATABASE=$db PGCONNECT_TIMEOUT=10
    export HOMEBOY_PG_STATE=$state HOMEBOY_PG_TEST_PASSWORD=$password
    exec "$@"
    ;;
  psql)
    load_state
    db=${1:?the database name is missing}
    shift
    superuser_psql "$db" "$@"
    ;;
  *)
    echo "cluster.sh: unknown command '$command'" >&2
    exit 2
    ;;
esac
