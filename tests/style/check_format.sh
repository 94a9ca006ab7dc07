#!/usr/bin/env bash
# Fails, naming the files, if any tracked C++ file is not clang-formatted (.clang-format).
# Run `make format` to fix.
set -u
cd "$(dirname "$0")/../.."
command -v clang-format >/dev/null || { echo "clang-format is not installed"; exit 1; }
bad=()
while IFS= read -r f; do
  [ -f "$f" ] || continue
  clang-format --dry-run -Werror "$f" >/dev/null 2>&1 || bad+=("$f")
done < <(git ls-files '*.h' '*.cc' 2>/dev/null || find libs services tools tests -name '*.h' -o -name '*.cc')
if [ ${#bad[@]} -gt 0 ]; then
  echo "not clang-formatted (run 'make format'): ${bad[*]}"
  exit 1
fi
echo "all C++ files are clang-formatted"
