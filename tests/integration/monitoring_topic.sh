#!/usr/bin/env bash
# apctl monitoring against a real broker (issue 16 §2, §3): MonitoringPartial
# records of a year (written by the codec: test_monitoring_fold
# --write-fixture year-hex) read from a topic and folded as from a file;
# --publish-followup writes one FollowUp per municipality to the follow-up
# topic, and again writes nothing (idempotent: revisions on the topic skipped).
#   monitoring_topic.sh ENV_DIR BUILD_DIR
set -euo pipefail
env_dir=$1; build=$2
id="ap-mon$$"
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../faults/lib.sh"
failures=0
"$apctl" create-topics --partitions 3 "$id.monitoring" "$id.followup" >/dev/null
"$build/tests/test_monitoring_fold" --write-fixture year-hex "$work/year.hex"
"$build/tests/test_monitoring_fold" --write-fixture year "$work/year.jsonl"
"$apctl" produce-hex --topic "$id.monitoring" --key k < "$work/year.hex" 2>/dev/null

"$apctl" monitoring --topic "$id.monitoring" --wait-for 36 > "$work/topic.txt"
"$apctl" monitoring --input "$work/year.jsonl" > "$work/file.txt"
check "the topic folds as the file" "" "$(diff "$work/file.txt" "$work/topic.txt")"
check "12 complete months of 101" "12" "$(grep -cE '^2026-[0-9]{2} 101 +complete' "$work/topic.txt")"

AP_TOPIC_MONITORING="$id.monitoring" AP_TOPIC_FOLLOWUP="$id.followup" "$apctl" monitoring --publish-followup \
  > /dev/null 2> "$work/pub1.err"
check "first run: two revisions new" "1" "$(grep -c 'follow-up: 2 revisions new, 0 already on' "$work/pub1.err")"
AP_TOPIC_MONITORING="$id.monitoring" AP_TOPIC_FOLLOWUP="$id.followup" "$apctl" monitoring --publish-followup \
  > /dev/null 2> "$work/pub2.err"
check "second run: nothing new" "1" "$(grep -c 'follow-up: 0 revisions new, 2 already on' "$work/pub2.err")"
"$apctl" consume --topic "$id.followup" --wait-for 2 > "$work/fu.jsonl"
check "two FollowUp records" "2" "$(jq -r 'select(.schema == "FollowUp") | .municipality_code' "$work/fu.jsonl" | wc -l | xargs)"
check "101 challenged" "true 10 1 12" \
  "$(jq -r 'select(.municipality_code == "101") | "\(.challenged) \(.challenged_months) \(.revision) \(.as_of_month)"' "$work/fu.jsonl")"
check "851 not challenged" "false 0" \
  "$(jq -r 'select(.municipality_code == "851") | "\(.challenged) \(.challenged_months)"' "$work/fu.jsonl")"
# An audit's what-if is never published.
set +e
AP_TOPIC_MONITORING="$id.monitoring" AP_TOPIC_FOLLOWUP="$id.followup" "$apctl" monitoring --publish-followup \
  --followup-override threshold_bp=2000 > /dev/null 2>&1
rc=$?
set -e
check "an override is refused for publishing" "2" "$rc"
[ "$failures" = 0 ] || exit 1
echo "monitoring_topic: ok"
