#!/usr/bin/env bash
# Runs a fuzz campaign: each libFuzzer target of tests/fuzz/ for SECONDS from its checked-in
# seeds, JOBS targets at a time, at the lowest CPU priority, and prints one Markdown table
# row per target (docs/security.md, "Fuzzing"). New inputs go to OUT/TARGET/corpus, crashes
# and hangs to OUT/TARGET/ (copy them into tests/fuzz/corpus/TARGET/ once fixed), logs to
# OUT/TARGET.log. The targets must be built first (scripts/test.sh builds them in
# build-fuzz/, or `ninja -C build-fuzz fuzzers`).
#   scripts/fuzz-campaign.sh SECONDS OUT [TARGET ...]    (default: every target)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
seconds=${1:?usage: fuzz-campaign.sh SECONDS OUT [TARGET ...]}
out=${2:?usage: fuzz-campaign.sh SECONDS OUT [TARGET ...]}
shift 2
fuzz_build=${FUZZ_BUILD_DIR:-$top/build-fuzz}
jobs=${DISKFERRY_FUZZ_JOBS:-2}
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  for d in "$top"/tests/fuzz/corpus/*/; do targets+=("$(basename "$d")"); done
fi
mkdir -p "$out"

run_one() {
  local t=$1
  mkdir -p "$out/$t/corpus"
  nice -n 19 "$fuzz_build/bin/${t}_fuzzer" -max_total_time="$seconds" -timeout=10 \
    -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$out/$t/" \
    "$out/$t/corpus" "$top/tests/fuzz/corpus/$t" >"$out/$t.log" 2>&1 || true
}

running=0
for t in "${targets[@]}"; do
  [ -x "$fuzz_build/bin/${t}_fuzzer" ] || { echo "no $fuzz_build/bin/${t}_fuzzer: build it first" >&2; exit 2; }
  run_one "$t" &
  running=$((running + 1))
  if [ "$running" -ge "$jobs" ]; then wait -n; running=$((running - 1)); fi
done
wait

echo "| Target | Executions | exec/s | cov (seeds → end) | ft | Corpus at the end | Findings |"
echo "|---|---|---|---|---|---|---|"
for t in "${targets[@]}"; do
  log=$out/$t.log
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
  cov0=$(grep -m1 -E 'INITED[[:space:]]+cov:' "$log" | sed -E 's/.*cov: ([0-9]+).*/\1/')
  last=$(grep -E '^#[0-9]+[[:space:]]+(DONE|pulse|NEW|REDUCE|INITED)' "$log" | tail -n 1)
  cov1=$(sed -E 's/.*cov: ([0-9]+).*/\1/' <<<"$last")
  ft=$(sed -E 's/.*ft: ([0-9]+).*/\1/' <<<"$last")
  corp=$(sed -E 's/.*corp: ([0-9]+)\/([0-9]+[a-zA-Z]*).*/\1 inputs, \2/' <<<"$last")
  findings=$(find "$out/$t" -maxdepth 1 -type f \( -name 'crash-*' -o -name 'timeout-*' -o -name 'leak-*' -o -name 'oom-*' \) | wc -l)
  [ "$findings" -eq 0 ] && findings=none
  echo "| \`${t}_fuzzer\` | $execs | $rate | $cov0 → $cov1 | $ft | $corp | $findings |"
done
