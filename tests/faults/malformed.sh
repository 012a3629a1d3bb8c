#!/usr/bin/env bash
# Every malformed-input class of the codec tests, published to each input
# topic between valid events, lands in the dead-letter topic with its reason
# and the original bytes, while the valid events around it are processed.
#   malformed.sh ENV_DIR BUILD_DIR
set -euo pipefail
env_dir=$1; build=$2
id="ap-bad$$"
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
source "$here/lib.sh"
PARTITIONS=3 topics "$id"
start_processor "$id" "$id" "$id"

"$build/tests/malformed_records" > "$work/bad.txt"
classes=$(wc -l < "$work/bad.txt")
for t in placement hours exemption; do
  case $t in placement) f=placements ;; hours) f=hours ;; *) f=exemptions ;; esac
  "$apctl" produce --topic "$id.$t" < "$root/deploy/demo/$f.jsonl"
  cut -d' ' -f2 "$work/bad.txt" | "$apctl" produce-hex --topic "$id.$t" --key c-anna
done
# Two more reasons: a CPR number as citizen id (invalid) and an event on the wrong topic.
head -1 "$root/deploy/demo/hours.jsonl" | jq -c '.citizen_id = "0101901234" | .event_id = "6f1c2b9e-2d7a-4e0b-9a51-3c8d0f6e7a56"' |
  "$apctl" produce --no-validate --topic "$id.hours"
head -1 "$root/deploy/demo/placements.jsonl" | jq -c '.event_id = "6f1c2b9e-2d7a-4e0b-9a51-3c8d0f6e7a57"' |
  "$apctl" produce --topic "$id.exemption"
"$apctl" tick --topic "$id.placement" --topic "$id.hours" --topic "$id.exemption" --at 2026-01-28T00:00:00+01:00

expected=$((classes * 3 + 2))
"$apctl" consume --topic "$id.dead-letter" --wait-for "$expected" --timeout-ms 60000 > "$work/dead.jsonl"
"$apctl" consume --topic "$id.compliance" --wait-for 15 --timeout-ms 60000 > "$work/results.jsonl"

check "$classes codec failure classes" "10" "$classes"
for t in placement hours exemption; do
  check "every class dead-lettered from $t, with its reason and original bytes" \
    "$(awk '{print $1" "$2}' "$work/bad.txt" | sort)" \
    "$(jq -r --arg t "$id.$t" 'select(.source_topic == $t and .reason_code != "INVALID_EVENT" and .reason_code != "WRONG_TOPIC")
          | "\(.reason_code) \(.payload)"' "$work/dead.jsonl" | sort)"
done
check "a CPR number is refused" "INVALID_EVENT" "$(jq -r 'select(.reason | test("CPR")) | .reason_code' "$work/dead.jsonl")"
check "an event on the wrong topic is refused" "WRONG_TOPIC" \
  "$(jq -r --arg t "$id.exemption" 'select(.source_topic == $t and .reason_code == "WRONG_TOPIC") | .reason_code' "$work/dead.jsonl")"
check "dead letters keep topic, partition, offset and key" "0" \
  "$(jq -c 'select(.source_partition < 0 or .source_offset < 0 or
                   (.key != "632d616e6e61" and (.reason | test("CPR") | not)))' "$work/dead.jsonl" | grep -c . || true)"
check "valid events around them were processed (15 results)" "15" "$(jq -r '"\(.citizen_id) \(.iso_week)"' "$work/results.jsonl" | sort -u | wc -l | tr -d ' ')"
check "the processor kept running" "alive" "$(kill -0 "$pid" 2>/dev/null && echo alive || echo dead)"
rc=0; stop_processor "$pid" || rc=$?; pid=
check "SIGTERM exits 0" "0" "$rc"
[ "$failures" -eq 0 ] || { tail -20 "$work/$id.log"; exit 1; }
