#!/usr/bin/env bash
# Runs clang-tidy (.clang-tidy: naming, bugprone, performance) over every C++ source file the
# build compiles (compile_commands.json of the build directory given as $1), two at a time.
# Fails, naming the findings, if there is any. clang-tidy-19: clang 14 cannot parse libstdc++
# 12's <expected>.
set -u
cd "$(dirname "$0")/../.."
build=${1:-build}
tidy=$(command -v run-clang-tidy-19 || true)
[ -n "$tidy" ] || { echo "clang-tidy-19 is not installed (scripts/bootstrap.sh installs it)"; exit 1; }
[ -f "$build/compile_commands.json" ] || { echo "no $build/compile_commands.json: build first"; exit 1; }
# The project's own sources (not generated files in the build directory).
files=$(python3 -c '
import json, os, sys
root = os.getcwd()
for e in json.load(open(sys.argv[1])):
    f = os.path.normpath(os.path.join(e["directory"], e["file"]))
    if f.startswith(root + "/") and not f.startswith(os.path.abspath(sys.argv[2]) + "/"):
        print(f)' "$build/compile_commands.json" "$build" | sort -u)
out=$(mktemp)
trap 'rm -f "$out"' EXIT
"$tidy" -p "$build" -j 2 -quiet -extra-arg=-Wno-unknown-warning-option $files >"$out" 2>&1
findings=$(grep -E '(warning|error): ' "$out" | sort -u)
if [ -n "$findings" ]; then
  echo "$findings"
  echo "clang-tidy: $(echo "$findings" | wc -l) finding(s)"
  exit 1
fi
echo "clang-tidy: no findings in $(echo "$files" | wc -w) files"
