#!/usr/bin/env bash
# A throwaway PostgreSQL server for the test suite (ctest fixture `pg_server`):
#   cluster.sh start DIR   initdb in a new directory under /tmp (named in DIR/server_dir) on a
#                          free loopback port, start it, create the role `concord` (password in
#                          DIR/password, mode 0600) allowed to create databases; DIR/url holds
#                          postgresql://concord@127.0.0.1:PORT/
#   cluster.sh stop DIR    stop it and remove both directories
#   cluster.sh down DIR    stop the server, keeping its data (a database server that went away)
#   cluster.sh up DIR      start it again on the same port
# PostgreSQL refuses to run as root: as root, the server runs as the `postgres` user (Debian's
# postgresql package creates it). Text sorts byte-wise (--locale=C), as Concord requires. The
# server trades durability for speed (fsync off): it holds nothing worth keeping. With
# CONCORD_PG_DURABLE=1 (benchmarks) it keeps PostgreSQL's defaults (fsync on, synchronous commit).
set -euo pipefail
cmd=${1:?start or stop}
dir=${2:?state directory}
bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -n "$bindir" ] && [ -x "$bindir/initdb" ] || {
  echo "PostgreSQL's server programs are not installed (scripts/bootstrap.sh installs them)" >&2
  exit 1
}
as_server() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "$cmd" in
  start)
    "$0" stop "$dir" 2>/dev/null || true
    mkdir -p "$dir"
    # The server's own directory: under /tmp, which the server's user can reach wherever the
    # build tree is.
    server=$(mktemp -d /tmp/concord-pg.XXXXXX)
    chmod 700 "$server"
    if [ "$(id -u)" -eq 0 ]; then chown postgres "$server"; fi
    echo "$server" >"$dir/server_dir"
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    password=$(head -c 24 /dev/urandom | base64 | tr -d '/+=')
    as_server "$bindir/initdb" -D "$server/data" --username=postgres --auth-local=trust \
      --auth-host=scram-sha-256 --locale=C --encoding=UTF8 >"$server/initdb.log" 2>&1 || {
      cat "$server/initdb.log" >&2; exit 1; }
    cat >>"$server/data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$server'
max_connections = 400
shared_buffers = 128MB
CONF
    if [ "${CONCORD_PG_DURABLE:-0}" != 1 ]; then
      printf 'fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n' \
        >>"$server/data/postgresql.conf"
    fi
    as_server "$bindir/pg_ctl" -D "$server/data" -l "$server/server.log" -w -t 60 start >/dev/null || {
      cat "$server/server.log" >&2; exit 1; }
    as_server "$bindir/psql" -h "$server" -p "$port" -U postgres -d postgres -q -v ON_ERROR_STOP=1 \
      -c "CREATE ROLE concord LOGIN CREATEDB PASSWORD '$password'" >/dev/null
    umask 077
    echo "$password" >"$dir/password"
    echo "postgresql://concord@127.0.0.1:$port/" >"$dir/url"
    echo "$port" >"$dir/port"
    echo "PostgreSQL $("$bindir/postgres" --version | awk '{print $3}') on 127.0.0.1:$port ($server)"
    ;;
  stop)
    server=$(cat "$dir/server_dir" 2>/dev/null || true)
    if [ -n "$server" ] && [ -f "$server/data/postmaster.pid" ]; then
      as_server "$bindir/pg_ctl" -D "$server/data" -m fast -w stop >/dev/null
    fi
    [ -n "$server" ] && rm -rf "$server"
    rm -rf "$dir"
    ;;
  down)
    server=$(cat "$dir/server_dir")
    as_server "$bindir/pg_ctl" -D "$server/data" -m fast -w stop >/dev/null
    ;;
  up)
    server=$(cat "$dir/server_dir")
    as_server "$bindir/pg_ctl" -D "$server/data" -l "$server/server.log" -w -t 60 start >/dev/null
    ;;
  *) echo "usage: cluster.sh start|stop|down|up DIR" >&2; exit 2 ;;
esac
