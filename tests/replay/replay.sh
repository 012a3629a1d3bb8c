#!/usr/bin/env bash
# Audit replay with the live processor in an isolated namespace: a stream goes
# through a "live" processor; replaying it from offset 0 into a fresh
# namespace (own consumer group, own Redis prefix, own output topic) gives
# byte-identical results, twice in a row and with restarts in the middle, and
# never touches the live state. apctl diff reports them identical.
#   replay.sh ENV_DIR BUILD_DIR
set -euo pipefail
env_dir=$1; build=$2
id="ap-audit$$"
here=$(cd "$(dirname "$0")/../faults" && pwd)
source "$here/lib.sh"
topics "$id"; topics "$id.live"; topics "$id.r1"; topics "$id.r2"; topics "$id.r3"
"$build/ap-generate" --citizens 400 --weeks 6 --seed 21 --invalid-rate 0.01 --late-rate 0.05 --kafka --topic-prefix "$id" 2>&1

run_to_end() { # NAME OUTPUT_PREFIX: one processor in its own namespace, from offset 0 to the end
  start_processor "$1" "$id" "$2"
  wait_caught_up "$1" "$id" 300
  stop_processor "$pid"; pid=
}
# All records emitted, rendered canonically and sorted: equal text means equal Avro records.
emitted() { "$apctl" consume --topic "$1.compliance" | sort; "$apctl" consume --topic "$1.alerts" | sort; }
live_keys() { redis_admin --scan --pattern "$id-live:*" | sort | md5sum; }
live_digest() { # every live key with its content, to prove the replays leave it alone
  redis_admin --scan --pattern "$id-live:*" | sort |
    while read -r k; do echo "$k"; redis_admin DUMP "$k" | md5sum; done | md5sum
}

run_to_end "$id-live" "$id.live"
emitted "$id.live" > "$work/live.jsonl"
before=$(live_digest)

run_to_end "$id-r1" "$id.r1"
run_to_end "$id-r2" "$id.r2"
# Third replay with two restarts in the middle.
start_processor "$id-r3" "$id" "$id.r3" AP_BATCH_SIZE=50
for _ in 1 2; do sleep 2; stop_processor "$pid"; start_processor "$id-r3" "$id" "$id.r3" AP_BATCH_SIZE=50; done
wait_caught_up "$id-r3" "$id" 300
stop_processor "$pid"; pid=

emitted "$id.r1" > "$work/r1.jsonl"
emitted "$id.r2" > "$work/r2.jsonl"
emitted "$id.r3" > "$work/r3.jsonl"
check "results exist" "1" "$([ "$(wc -l < "$work/live.jsonl")" -gt 2000 ] && echo 1 || echo 0)"
check "replay from offset 0 is byte-identical to live" "$(md5sum < "$work/live.jsonl")" "$(md5sum < "$work/r1.jsonl")"
check "replaying twice in a row gives identical bytes" "$(md5sum < "$work/r1.jsonl")" "$(md5sum < "$work/r2.jsonl")"
check "replaying with restarts in the middle gives identical bytes" "$(md5sum < "$work/r1.jsonl")" "$(md5sum < "$work/r3.jsonl")"
check "the live state was not touched by the replays" "$before" "$(live_digest)"
"$apctl" consume --topic "$id.live.compliance" > "$work/live-results.jsonl"
"$apctl" consume --topic "$id.r1.compliance" > "$work/r1-results.jsonl"
rc=0; "$apctl" diff "$work/live-results.jsonl" "$work/r1-results.jsonl" --json "$work/report.json" > "$work/diff.txt" || rc=$?
check "apctl diff: identical (exit 0)" "0" "$rc"
check "apctl diff: machine-readable report" "0 0 0" "$(jq -r '"\(.changed) \(.missing) \(.extra)"' "$work/report.json")"
# And a difference is reported as one: change one week's figures on one side.
jq -c 'if .citizen_id == "g-000007" and .iso_week == 4 then .credited_minutes += 60 else . end' "$work/r1-results.jsonl" > "$work/edited.jsonl"
rc=0; "$apctl" diff "$work/live-results.jsonl" "$work/edited.jsonl" --json "$work/report2.json" > /dev/null || rc=$?
check "apctl diff: a change is reported (exit 1, one week, one field)" "1 g-000007|2026|04 credited_minutes" \
  "$rc $(jq -r '.differences[] | "\(.key) \(.fields[0].field)"' "$work/report2.json")"
[ "$failures" -eq 0 ]
