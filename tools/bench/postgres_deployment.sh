#!/usr/bin/env bash
# Makes DATA_DIR a deployment with every service on PostgreSQL, for the benchmarks:
#   tools/bench/postgres_deployment.sh DATA_DIR PG_STATE_DIR
# PG_STATE_DIR is a server started by tests/pg/cluster.sh (CONCORD_PG_DURABLE=1 for figures
# comparable with SQLite's). Creates one database per service, named after DATA_DIR, and writes
# DATA_DIR/concord.toml pointing every service at its own.
set -euo pipefail
dir=${1:?data directory}
state=${2:?PostgreSQL state directory (tests/pg/cluster.sh start DIR)}
url=$(cat "$state/url")
export PGPASSWORD
PGPASSWORD=$(cat "$state/password")
prefix=$(basename "$dir" | tr -c 'a-zA-Z0-9_\n' '_')
mkdir -p "$dir"
: >"$dir/concord.toml"
for service in communities activities blogs files forums wikis news libraries; do
  psql -q -v ON_ERROR_STOP=1 "${url}postgres" -c "CREATE DATABASE ${prefix}_${service}"
  printf '[%s]\ndatabase = "%s%s_%s"\npassword_file = "%s"\n\n' \
    "$service" "$url" "$prefix" "$service" "$state/password" >>"$dir/concord.toml"
done
echo "$dir: every service on ${url}${prefix}_<service>"
