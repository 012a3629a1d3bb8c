#!/usr/bin/env bash
# A year and more of monthly monitoring, offline (issue 16 §2 and §3;
# docs/monitoring-design.md §6): one 62-week stream from 2026-W02 with late
# changes, exported on 1, 3 and 6 input partitions and replayed with
# ap-replay file. Checked:
#  - partition invariance (property 2): apctl monitoring folds the partials
#    to the same totals per municipality and month whatever the count;
#  - every month from January 2026 to February 2027 is complete;
#  - the annual follow-up FU-2026.1 of 2026 is the same from every count
#    (all but `basis`, which names the partitions), for every municipality;
#  - 1 and 6 workers write the same monitoring file;
#  - the stream revises months, or the comparison proves little.
# Offline: no broker, no Redis.
#   monitoring_year.sh BUILD_DIR
set -euo pipefail
build=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0
check() { # check NAME EXPECTED ACTUAL
  if [ "$2" == "$3" ]; then echo "ok   $1"; else echo "FAIL $1: expected [$2] got [$3]"; failures=$((failures + 1)); fi
}
for p in 1 3 6; do
  "$build/ap-generate" --citizens 120 --weeks 62 --seed 8 --late-rate 0.05 --late-moves 0.1 --partitions "$p" \
    --export "$work/s$p.avro" >/dev/null 2>&1
  "$build/ap-replay" file --set replay.input="$work/s$p.avro" --set replay.output=/dev/null --set replay.workers=1 \
    --set replay.monitoring="$work/m$p.jsonl" --set log.level=warn
  "$build/apctl" monitoring --input "$work/m$p.jsonl" --json 2>/dev/null | jq -c 'del(.partition_count, .lanes_present)' \
    > "$work/t$p.json"
  "$build/apctl" monitoring --input "$work/m$p.jsonl" --followup 2026 --json 2>/dev/null | jq -c 'del(.basis)' \
    > "$work/f$p.json"
done
check "the totals exist" "1" "$([ "$(wc -l < "$work/t1.json")" -gt 100 ] && echo 1 || echo 0)"
for p in 3 6; do
  check "totals per municipality and month on $p partitions = on 1" "$(md5sum < "$work/t1.json")" "$(md5sum < "$work/t$p.json")"
  check "follow-up of 2026 on $p partitions = on 1" "$(md5sum < "$work/f1.json")" "$(md5sum < "$work/f$p.json")"
done
months=$(jq -r 'select(.complete) | "\(.year)-\(.month)"' "$work/t6.json" | sort -u | wc -l)
check "14 months complete (January 2026 to February 2027), none incomplete" "14 0" \
  "$months $(jq -r 'select(.complete | not)' "$work/t6.json" | wc -l)"
check "a follow-up for every municipality with 2026 figures, 12 months each" \
  "$(jq -r 'select(.year == 2026 and .municipality_code != null and .municipality_code != "all") | .municipality_code' "$work/t6.json" | sort -u | wc -l) 12" \
  "$(jq -r '.municipality_code' "$work/f6.json" | sort -u | wc -l) $(jq -r '.months | length' "$work/f6.json" | sort -u)"
check "the follow-up says which months were challenged, as the rule counts them" "0" \
  "$(jq -r 'select(([.months[] | select(.challenged)] | length) != .challenged_months or .challenged != (.challenged_months >= .min_months))' "$work/f6.json" | wc -l)"
"$build/ap-replay" file --set replay.input="$work/s6.avro" --set replay.output=/dev/null --set replay.workers=6 \
  --set replay.monitoring="$work/m6w.jsonl" --set log.level=warn
check "6 workers write the monitoring file of 1" "$(md5sum < "$work/m6.jsonl")" "$(md5sum < "$work/m6w.jsonl")"
revised=$(jq -r 'select(.revision > 1) | .revision' "$work/m6.jsonl" | wc -l)
check "the stream revises closed months" "1" "$([ "$revised" -gt 20 ] && echo 1 || echo 0)"
[ "$failures" -eq 0 ]
