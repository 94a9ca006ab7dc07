#!/usr/bin/env bash
# Fails, naming the files, where the code breaks the layering ARCHITECTURE.md describes:
# - a service's src/domain includes the HTTP library or runs SQL (routes and JSON belong in
#   src/api, SQL in src/store);
# - a source file outside the tests is longer than 600 lines (split it by responsibility).
set -u
cd "$(dirname "$0")/../.."
status=0
files() { git ls-files "$@" 2>/dev/null; }

http=$(files 'services/*/src/domain/*' | xargs -r grep -l '#include "concord/http/' || true)
if [ -n "$http" ]; then
  echo "domain code includes the HTTP library (move routes and JSON to src/api):" $http
  status=1
fi
sql=$(files 'services/*/src/domain/*' |
      xargs -r grep -lE '"[^"]*\b(SELECT |INSERT INTO|DELETE FROM|UPDATE [a-z_]+ SET)' || true)
if [ -n "$sql" ]; then
  echo "domain code runs SQL (move it to src/store):" $sql
  status=1
fi
long=$(files '*.cc' '*.h' | grep -v -e '^tests/' -e '/tests/' |
       while read -r f; do
         [ -f "$f" ] && [ "$(wc -l < "$f")" -gt 600 ] && echo "$f($(wc -l < "$f"))"
       done)
if [ -n "$long" ]; then
  echo "source files over 600 lines (split by responsibility):" $long
  status=1
fi
[ $status -eq 0 ] && echo "layers respected: domain without HTTP or SQL, no source file over 600 lines"
exit $status
