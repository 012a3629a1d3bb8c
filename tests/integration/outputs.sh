#!/usr/bin/env bash
# Outputs the Kafka ecosystem can read (issue 17 §4): the opt-in JSON mirrors
# carry every result and alert as JSON that a plain client (kcat) reads and
# that equals the Avro record decoded; the latest-result topic, compacted,
# keyed citizen|week, ends with each citizen-week's latest revision; `apctl
# consume --follow` prints records as they arrive and stops cleanly.
#   outputs.sh ENV_DIR BUILD_DIR
set -euo pipefail
env_dir=$1; build=$2
id="ap-out$$"
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../faults/lib.sh"
follow=
trap 'for p in $pid $follow; do kill -KILL "$p" 2>/dev/null || true; done; rm -rf "$work"' EXIT
PARTITIONS=3 topics "$id" >/dev/null
"$apctl" create-topics --partitions 3 "$id.compliance-json" "$id.alerts-json" >/dev/null
"$apctl" create-topics --partitions 3 --config cleanup.policy=compact "$id.latest" >/dev/null
policy=
for _ in $(seq 20); do policy=$("$apctl" topic-config "$id.latest" cleanup.policy 2>/dev/null) && break; sleep 0.5; done
check "the latest-result topic is compacted" "compact" "$policy"

"$apctl" consume --topic "$id.compliance-json" --follow > "$work/follow.jsonl" 2> "$work/follow.err" & follow=$!
# Late changes, so that weeks get several revisions.
"$build/ap-generate" --citizens 40 --weeks 4 --seed 12 --late-rate 0.2 --late-moves 0.2 --kafka --topic-prefix "$id" \
  --partitions 3 >/dev/null 2>&1
start_processor "$id" "$id" "$id" AP_TOPIC_COMPLIANCE_JSON="$id.compliance-json" AP_TOPIC_ALERTS_JSON="$id.alerts-json" \
  AP_TOPIC_LATEST="$id.latest"
wait_caught_up "$id" "$id" 120
stop_processor "$pid"; pid=

"$apctl" consume --topic "$id.compliance" > "$work/compliance.jsonl"
"$apctl" consume --topic "$id.alerts" > "$work/alerts.jsonl"
cp "$work/compliance.jsonl" "$work/results.jsonl"
n=$(wc -l < "$work/results.jsonl")
check "results exist, some revised" "1" "$([ "$n" -gt 100 ] && [ "$(jq -r 'select(.revision > 1)' "$work/results.jsonl" | grep -c event_id)" -gt 0 ] && echo 1 || echo 0)"
# A plain client without Avro: kcat reads the mirror as JSON text.
for t in compliance alerts; do
  kcat -C -b "$AP_KAFKA_BROKERS" -t "$id.$t-json" -o beginning -e -q -f '%s\n' > "$work/$t-mirror.jsonl"
  check "the $t mirror holds every record" "$(wc -l < "$work/$t.jsonl")" "$(wc -l < "$work/$t-mirror.jsonl")"
  check "as JSON equal to the Avro records decoded" \
    "$(jq -cS . "$work/$t.jsonl" | sort | md5sum)" "$(jq -cS . "$work/$t-mirror.jsonl" | sort | md5sum)"
done
check "mirror records keyed by citizen like the Avro ones" "1" \
  "$(kcat -C -b "$AP_KAFKA_BROKERS" -t "$id.compliance-json" -o beginning -e -q -f '%k %s\n' 2>/dev/null | head -50 |
     awk '{ split($0, a, "\"citizen_id\":\""); split(a[2], b, "\""); if ($1 != b[1]) bad++ } END { print bad ? 0 : 1 }')"

# The latest topic: per key the last record is the latest revision (what a
# compacted topic keeps, whenever compaction runs).
kcat -C -b "$AP_KAFKA_BROKERS" -t "$id.latest" -o beginning -e -q -f '%k\t%p\t%o\n' | sort -t$'\t' -k1,1 -k3,3n |
  awk -F'\t' '{ last[$1] = $2 ":" $3 } END { for (k in last) print k, last[k] }' | sort > "$work/latest-pos.txt"
"$apctl" consume --topic "$id.latest" > "$work/latest.jsonl"
check "a latest record for every result" "$n" "$(wc -l < "$work/latest.jsonl")"
check "one key per citizen-week" "$(jq -r '"\(.citizen_id)|\(.iso_year)-W\(.iso_week)"' "$work/results.jsonl" | sort -u | wc -l)" \
  "$(wc -l < "$work/latest-pos.txt")"
want=$(jq -s -r 'group_by([.citizen_id, .week_start]) | map(max_by(.revision)) | .[] | .event_id' "$work/results.jsonl" | sort | md5sum)
# apctl consume reads each partition in offset order, and a key stays on one
# partition: a group's last record is the one compaction keeps.
check "each key's last record is its week's latest revision" "$want" \
  "$(jq -s -r 'group_by([.citizen_id, .week_start]) | map(last) | .[] | .event_id' "$work/latest.jsonl" | sort | md5sum)"

# --follow printed everything as it came, and stops on SIGTERM with 0.
sleep 1
kill -TERM "$follow"; rc=0; wait "$follow" || rc=$?; follow=
check "consume --follow exits 0 on SIGTERM" "0" "$rc"
check "and printed every mirror record as it came" "$n" "$(wc -l < "$work/follow.jsonl")"
[ "$failures" -eq 0 ]
