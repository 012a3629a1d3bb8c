#!/usr/bin/env bash
# Prometheus's own checker (promtool, from Debian's prometheus package) on the
# exposition of a filled snapshot: syntax and naming lint, no problem allowed.
#   metrics_promtool.sh TEST_METRICS_BINARY
set -euo pipefail
out=$("$1" --print)
[ "$(printf '%s\n' "$out" | grep -c '^ap_')" -gt 50 ] || { echo "too few samples printed"; exit 1; }
printf '%s\n' "$out" | promtool check metrics
echo "promtool: no problems"
