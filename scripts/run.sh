#!/usr/bin/env bash
# `make run`: start Concord on its embedded default (SQLite under the data directory), filling
# a new deployment with sample data first. Usage: scripts/run.sh DATA_DIR LISTEN COMMUNITIES
set -euo pipefail
data_dir=${1:-./data}
listen=${2:-127.0.0.1:8080}
communities=${3:-300}
bin="$(dirname "$0")/../build/bin/concord"

if [ ! -e "$data_dir/communities.db" ]; then
  echo "run: new deployment in $data_dir: adding $communities sample communities"
  "$bin" populate --data-dir "$data_dir" --communities "$communities"
fi

cat <<MSG

Concord will serve http://$listen (stop it with Ctrl-C): open it in a browser.
  Sign in as the administrator: user 'admin', password in $data_dir/admin.credentials
  Sample users user000000, user000001, ...: password in $data_dir/sample-users.credentials
  Try:
    curl -u "admin:\$(sed -n 's/^password=//p' $data_dir/admin.credentials)" \\
         "http://$listen/communities/api/communities?limit=5"

MSG
exec "$bin" serve --data-dir "$data_dir" --listen "$listen"
