#!/usr/bin/env bash
# Co-partitioning is enforced (issue 14 §2), on the real broker, processor
# and Redis:
# 1. The demo stream twice: once correctly partitioned, once with one of
#    c-bo's hours reports on another partition (as a librdkafka producer with
#    its default CRC32 partitioner would put it). That record is a
#    WRONG_PARTITION dead letter naming the right partition, and nothing of it
#    is applied. `apctl redrive` re-publishes it where it belongs; after the
#    next tick the final results equal the correctly partitioned run's.
#    Redriving again changes nothing (event-id dedup).
# 2. Input topics with different partition counts: the processor stops at
#    start-up, non-zero, saying why.
# 3. `apctl create-topics` creates every topic it is given (more than 16),
#    and reports an existing topic with another partition count.
#   copartition.sh ENV_DIR BUILD_DIR
set -euo pipefail
env_dir=$1; build=$2
id="ap-cp$$"
here=$(cd "$(dirname "$0")/../faults" && pwd)
root=$(cd "$(dirname "$0")/../.." && pwd)
source "$here/lib.sh"
demo="$root/deploy/demo"
export PARTITIONS=3
inputs() { echo --topic "$1.placement" --topic "$1.hours" --topic "$1.exemption"; }

# --- 1. a record on the wrong partition, then redriven
topics "$id.good"; topics "$id.bad"
misrouted=$(grep '"report_id": "hr-c-bo-2026-01-05-NYTTEINDSATS"' "$demo/hours.jsonl")
misrouted_id=$(jq -r .event_id <<< "$misrouted")
home=$("$apctl" partition --partitions 3 c-bo)
wrong=$(( (home + 1) % 3 ))
for ns in good bad; do
  "$apctl" produce --topic "$id.$ns.placement" < "$demo/placements.jsonl" 2>/dev/null
  "$apctl" produce --topic "$id.$ns.exemption" < "$demo/exemptions.jsonl" 2>/dev/null
done
"$apctl" produce --topic "$id.good.hours" < "$demo/hours.jsonl" 2>/dev/null
grep -v "$misrouted_id" "$demo/hours.jsonl" | "$apctl" produce --topic "$id.bad.hours" 2>/dev/null
"$apctl" produce --topic "$id.bad.hours" --partition "$wrong" <<< "$misrouted" 2>/dev/null
tick() { for ns in good bad; do "$apctl" tick $(inputs "$id.$ns") --at "$1" 2>/dev/null; done; }
tick 2026-01-28T00:00:00+01:00

start_processor "$id-good" "$id.good" "$id.good"; p_good=$pid
start_processor "$id-bad" "$id.bad" "$id.bad"; p_bad=$pid
settle() { wait_caught_up "$id-good" "$id.good" 120; wait_caught_up "$id-bad" "$id.bad" 120; }
settle

"$apctl" consume --topic "$id.bad.dead-letter" --wait-for 1 --timeout-ms 30000 > "$work/dead.jsonl" || true
check "the misrouted record is a WRONG_PARTITION dead letter naming the right partition" \
  "WRONG_PARTITION $id.bad.hours $wrong key belongs on partition $home of 3 (murmur2), not $wrong" \
  "$(jq -r '"\(.reason_code) \(.source_topic) \(.source_partition) \(.reason)"' "$work/dead.jsonl")"
check "the correctly partitioned run has no dead letter" "0" "$("$apctl" consume --topic "$id.good.dead-letter" | wc -l)"
bo_w02() { "$apctl" consume --topic "$1.compliance" |
  jq -r 'select(.citizen_id == "c-bo" and .iso_week == 2) | "\(.revision) \(.credited_minutes) \([.inputs[].event_id] | index("'"$misrouted_id"'") != null)"'; }
check "nothing of it was applied (c-bo's week 2 without those 240 minutes)" "1 960 false" "$(bo_w02 "$id.bad")"
check "the correct run counted them" "1 1200 true" "$(bo_w02 "$id.good")"

# Fields a redriven record may change: when and in which revision the
# result was emitted, and where its inputs were read; the rest must agree.
same_fields() { jq -c 'del(.event_id, .revision, .closed_at) | .inputs |= (map(.event_id) | sort)'; }
"$apctl" redrive --topic "$id.bad.dead-letter" --reason WRONG_PARTITION --dry-run > "$work/dry.txt" 2>/dev/null
check "redrive --dry-run lists it, without its key" "$id.bad.hours partition $wrong offset N -> partition $home" \
  "$(sed 's/offset [0-9]*/offset N/' "$work/dry.txt")"
"$apctl" redrive --topic "$id.bad.dead-letter" --reason WRONG_PARTITION 2> "$work/redrive1.log"
check "redrive re-published it" "1" "$(grep -c '1 records delivered' "$work/redrive1.log")"
tick 2026-02-04T00:00:00+01:00
settle
latest "$id.good.compliance" | same_fields | sort > "$work/good.jsonl"
latest "$id.bad.compliance" | same_fields | sort > "$work/bad.jsonl"
check "results exist" "1" "$([ "$(wc -l < "$work/good.jsonl")" -ge 20 ] && echo 1 || echo 0)"
check "after redrive: the final results equal the correctly partitioned run's" "" \
  "$(diff "$work/good.jsonl" "$work/bad.jsonl" || true)"
check "c-bo's week 2 got revision 2 with the redriven minutes" "1 960 false
2 1200 true" "$(bo_w02 "$id.bad")"

"$apctl" redrive --topic "$id.bad.dead-letter" 2> "$work/redrive2.log"
count() { "$apctl" consume --topic "$1.compliance" | wc -l; }
before_good=$(count "$id.good"); before_bad=$(count "$id.bad")
tick 2026-02-11T00:00:00+01:00
settle
latest "$id.good.compliance" | same_fields | sort > "$work/good2.jsonl"
latest "$id.bad.compliance" | same_fields | sort > "$work/bad2.jsonl"
check "redriving again: still equal to the correct run" "" "$(diff "$work/good2.jsonl" "$work/bad2.jsonl" || true)"
check "and the next tick emitted the same number of results in both runs (week 6 closed, nothing revised)" \
  "$(( $(count "$id.good") - before_good ))" "$(( $(count "$id.bad") - before_bad ))"
check "c-bo's week 2 is still at revision 2" "1 960 false
2 1200 true" "$(bo_w02 "$id.bad")"
stop_processor "$p_good"; stop_processor "$p_bad"; pid=
check "the second copy was recognised as a duplicate (the processor's totals at exit)" "duplicates=1" \
  "$(grep -o 'duplicates=[0-9]*' "$work/$id-bad.log" | tail -1)"
check "no citizen ids in the logs" "0" "$(cat "$work/$id-good.log" "$work/$id-bad.log" | grep -c 'c-bo\|c-anna' || true)"

# --- 2. input topics with different partition counts
"$apctl" create-topics --partitions 3 "$id.mixed.placement" "$id.mixed.exemption" "$id.mixed.compliance" \
  "$id.mixed.alerts" "$id.mixed.dead-letter" "$id.mixed.monitoring"
"$apctl" create-topics --partitions 2 "$id.mixed.hours"
rc=0
timeout 60 env AP_TOPIC_PLACEMENT="$id.mixed.placement" AP_TOPIC_HOURS="$id.mixed.hours" \
  AP_TOPIC_EXEMPTION="$id.mixed.exemption" AP_TOPIC_COMPLIANCE="$id.mixed.compliance" AP_TOPIC_ALERTS="$id.mixed.alerts" \
  AP_TOPIC_DEAD_LETTER="$id.mixed.dead-letter" AP_TOPIC_MONITORING="$id.mixed.monitoring" AP_GROUP_ID="$id-mixed" AP_REDIS_PREFIX="$id-mixed" \
  "$build/ap-processor" > "$work/mixed.log" 2>&1 || rc=$?
check "different partition counts: the processor exits 1 at start-up" "1" "$rc"
check "saying which" "1" "$(grep -c "ap-processor: input topics have different partition counts ($id.mixed.placement=3 $id.mixed.hours=2 $id.mixed.exemption=3)" "$work/mixed.log")"

# --- 2b. partitions added while it runs: at the next assignment (here: a
# second member joins the group) the processor reads the counts again and
# stops, exit 1, instead of reading keys that now hash elsewhere.
topics "$id.grow"
start_processor "$id-grow" "$id.grow" "$id.grow"; p_grow=$pid
"$apctl" tick $(inputs "$id.grow") --at 2026-01-28T00:00:00+01:00 2>/dev/null
wait_caught_up "$id-grow" "$id.grow" 120
"$build/tests/add_partitions" "$AP_KAFKA_BROKERS" 4 "$id.grow.placement" "$id.grow.hours" "$id.grow.exemption"
kcat -b "$AP_KAFKA_BROKERS" -G "$id-grow" -o end -q "$id.grow.placement" > /dev/null 2>&1 & joiner=$!
rc=0
for _ in $(seq 1 60); do kill -0 "$p_grow" 2>/dev/null || break; sleep 1; done
kill "$joiner" 2>/dev/null || true
if kill -0 "$p_grow" 2>/dev/null; then rc=alive; kill -KILL "$p_grow"; wait "$p_grow" || true; else wait "$p_grow" || rc=$?; fi
pid=
check "partitions added: the processor stops with exit 1" "1" "$rc"
check "saying why" "1" "$(grep -c 'ap-processor: the input topics now have 4 partitions each; started with 3' "$work/$id-grow.log")"
# Restarted on the same namespace, it refuses: the state is partitioned by 3.
rc=0
timeout 60 env AP_TOPIC_PLACEMENT="$id.grow.placement" AP_TOPIC_HOURS="$id.grow.hours" \
  AP_TOPIC_EXEMPTION="$id.grow.exemption" AP_TOPIC_COMPLIANCE="$id.grow.compliance" AP_TOPIC_ALERTS="$id.grow.alerts" \
  AP_TOPIC_DEAD_LETTER="$id.grow.dead-letter" AP_TOPIC_MONITORING="$id.grow.monitoring" AP_GROUP_ID="$id-grow" AP_REDIS_PREFIX="$id-grow" \
  "$build/ap-processor" > "$work/grow2.log" 2>&1 || rc=$?
check "restarted on the old namespace: refused, exit 1, saying why" "1 1" \
  "$rc $(grep -c "ap-processor: redis prefix '$id-grow' holds state of input topics with 3 partitions, the topics now have 4" "$work/grow2.log")"

# --- 3. create-topics: every topic, and an existing one with another count
many=(); for i in $(seq 1 20); do many+=("$id.many.$i"); done
"$apctl" create-topics --partitions 2 "${many[@]}"
created=0
for t in "${many[@]}"; do "$apctl" consume --topic "$t" --timeout-ms 2000 >/dev/null 2>&1 && created=$((created + 1)); done
check "create-topics with 20 topics creates all 20" "20" "$created"
check "an existing topic with the same count is fine" "0" \
  "$("$apctl" create-topics --partitions 2 "$id.many.1" "$id.many.20" >/dev/null 2>&1; echo $?)"
rc=0
"$apctl" create-topics --partitions 3 "$id.many.1" "$id.many.21" 2> "$work/exists.log" || rc=$?
check "an existing topic with another count is reported, non-zero" \
  "1 apctl: topic $id.many.1 already exists with 2 partitions, not 3" "$rc $(cat "$work/exists.log")"
check "and the new topic beside it was still created" "0" \
  "$("$apctl" consume --topic "$id.many.21" --timeout-ms 2000 >/dev/null 2>&1; echo $?)"
[ "$failures" -eq 0 ]
