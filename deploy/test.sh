#!/usr/bin/env bash
# Quick start, command 2: set up and run every test.
#   ./deploy/test.sh                 all tests (unit, integration; real Kafka and Redis)
#   ./deploy/test.sh -L unit         one slice (ctest arguments pass through)
# Builds with AddressSanitizer + UndefinedBehaviorSanitizer in build-test/.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/deploy/scripts/setup.sh"
cmake -S "$root" -B "$root/build-test" -DAP_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug >/dev/null
cmake --build "$root/build-test" -j"$(nproc)"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
cd "$root/build-test"
exec ctest --output-on-failure --timeout 600 "$@"
