#!/usr/bin/env bash
# run_fuzzer.sh FUZZER SEED_CORPUS WORK_DIR: runs one libFuzzer target for CONCORD_FUZZ_SECONDS
# (default 10) over the committed seed corpus. New inputs go to WORK_DIR/corpus (never into the
# repository); a crash, leak, sanitizer report or timeout is written to WORK_DIR/crash-* etc.
# and fails the run (libFuzzer's exit status), which fails the ctest entry.
set -euo pipefail
fuzzer=$1 seeds=$2 work=$3
seconds=${CONCORD_FUZZ_SECONDS:-10}
mkdir -p "$work/corpus"
cd "$work"
# -timeout: one input taking longer is a bug (a hang), as is using more than -rss_limit_mb.
exec "$fuzzer" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
  -artifact_prefix="$work/" "$work/corpus" "$seeds"
