#!/usr/bin/env bash
# Runs every fuzz target (or the ones named as arguments) in turn for FUZZ_SECONDS each (default
# 120), seeded from fuzz/seeds/<target>/, and prints one line per target: executions, seconds, and
# whether it crashed. Logs go to fuzz/target/logs/<target>.log. See CONTRIBUTING.md, "Fuzzing".
set -uo pipefail
cd "$(dirname "$0")/.."
seconds="${FUZZ_SECONDS:-120}"
export RUSTC_BOOTSTRAP=1
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  mapfile -t targets < <(cargo fuzz list)
fi
# No sanitizer: the crate forbids unsafe code and the C grammars are not built with one, so
# AddressSanitizer mostly costs speed. Overflow checks (debug assertions) stay on.
flags=(-s none --debug-assertions)
cargo fuzz build "${flags[@]}" || exit 2
mkdir -p fuzz/target/logs
failed=0
for t in "${targets[@]}"; do
  mkdir -p "fuzz/corpus/$t" "fuzz/seeds/$t"
  log="fuzz/target/logs/$t.log"
  cargo fuzz run "${flags[@]}" "$t" "fuzz/corpus/$t" "fuzz/seeds/$t" -- \
    -max_total_time="$seconds" -timeout=10 -rss_limit_mb=4096 -print_final_stats=1 >"$log" 2>&1
  status=$?
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
  if [ "$status" -eq 0 ]; then outcome=ok; else outcome="CRASH (exit $status, see $log)"; failed=1; fi
  printf '%-16s %10s execs %5ss  %s\n' "$t" "${runs:-?}" "$seconds" "$outcome"
done
exit "$failed"
