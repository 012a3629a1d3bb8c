#!/usr/bin/env bash
# Builds the libFuzzer harnesses with clang (ASan + UBSan) in a build tree of
# their own and runs each for a while from its seed corpus
# (tests/fuzz/corpus/<harness>/, which is only read).
#   tests/fuzz/run.sh BUILD_DIR [SECONDS]          each harness SECONDS (default 20): CTest label "fuzz"
#   tests/fuzz/run.sh --long BUILD_DIR [SECONDS]   each harness SECONDS (default 600), the corpus it
#                                                  grows kept in BUILD_DIR/corpus/<harness> for the next run
# A crash, leak, UB or an allocation over 1 GB fails the run; the input is
# left as BUILD_DIR/artifacts/<harness>-crash-<sha1>. Fix it, and add the
# input to the seed corpus as a regression seed.
set -euo pipefail
long=0
if [ "${1:-}" = "--long" ]; then long=1; shift; fi
build=${1:?usage: run.sh [--long] BUILD_DIR [SECONDS]}
secs=${2:-${AP_FUZZ_SECONDS:-$([ "$long" = 1 ] && echo 600 || echo 20)}}
root=$(cd "$(dirname "$0")/../.." && pwd)
harnesses=(decode json export config)
command -v clang >/dev/null || { echo "fuzz: clang not found (deploy/scripts/setup.sh installs clang)"; exit 1; }
mkdir -p "$build"
build=$(cd "$build" && pwd)
t0=$(date +%s)
CC=clang cmake -S "$root" -B "$build" -DAP_FUZZ=ON -DAP_TESTS=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j"$(nproc)" --target "${harnesses[@]/#/fuzz_}" >/dev/null
echo "fuzz: harnesses built in $(($(date +%s) - t0)) s; ${secs} s each"
mkdir -p "$build/artifacts"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
failed=()
for h in "${harnesses[@]}"; do
  if [ "$long" = 1 ]; then corpus="$build/corpus/$h"; mkdir -p "$corpus"; else corpus=$(mktemp -d); fi
  # New inputs go to the first directory; the committed seeds are only read.
  if "$build/tests/fuzz/fuzz_$h" -max_total_time="$secs" -max_len=65536 -rss_limit_mb=2048 -malloc_limit_mb=1024 \
       -timeout=10 -print_final_stats=1 -artifact_prefix="$build/artifacts/$h-" "$corpus" "$root/tests/fuzz/corpus/$h" \
       > "$build/fuzz_$h.log" 2>&1; then
    echo "fuzz_$h: ok ($(grep -o 'stat::number_of_executed_units: *[0-9]*' "$build/fuzz_$h.log" | grep -o '[0-9]*$') runs)"
  else
    echo "fuzz_$h: FAILED (log: $build/fuzz_$h.log)"
    grep -E "ERROR|SUMMARY|Test unit written" "$build/fuzz_$h.log" | head -5
    failed+=("$h")
  fi
  [ "$long" = 1 ] || rm -rf "$corpus"
done
echo "fuzz: $(($(date +%s) - t0)) s in all"
[ ${#failed[@]} -eq 0 ] || { echo "fuzz: failed: ${failed[*]}"; exit 1; }
