#!/usr/bin/env bash
# Audit replay three ways: a stream goes through the live services; then
# (1) ap-replay reads the input topics from offset 0 (in-process state),
# (2) ap-replay exports the input topics to an Avro object container file and
#     to JSON lines, and replays each offline (no broker, no Redis),
# (3) ap-replay with Redis state in its own namespace, stopped twice in the
#     middle and restarted, writing to audit topics.
# Every way must give the same set of results, alerts, dead letters and
# monthly monitoring partials (the stream spans the end of January) as
# live, byte for byte (keys and values): the stream has damaged records, from
# the generator and one of every codec failure class (malformed_records).
# Also: the filters give exactly the filtered subset (dead letters pass them).
# The live run uses a prefetch queue small enough to fill (see below).
#   three_way.sh ENV_DIR BUILD_DIR
set -euo pipefail
env_dir=$1; build=$2
id="ap-tw$$"
here=$(cd "$(dirname "$0")/../faults" && pwd)
source "$here/lib.sh"
replay="$build/ap-replay"
topics "$id"; topics "$id.live"; topics "$id.audit"
# Two hours reports and a coverage period written to the wrong partition
# (issue 14: as a librdkafka producer with its default partitioner would):
# every way must give the same verdict on them (dead letters, never applied;
# applied, the coverage would give its citizen results on that partition too).
# Some citizens move municipality mid-week (--moves): their weeks carry
# segments, compared byte for byte like the rest (issue 16 §4).
gen() { "$build/ap-generate" --citizens 300 --weeks 6 --seed 33 --invalid-rate 0.01 --late-rate 0.05 --moves 0.05 "$@" 2>&1; }
gen --jsonl > "$work/stream-events.jsonl"
misroute() { # misroute TOPIC SCHEMA CITIZEN N JQ
  grep -m1 "\"$2\".*\"$3\"" "$work/stream-events.jsonl" |
    jq -c --arg n "$4" '.event_id = "6f1c2b9e-2d7a-4e0b-9a51-3c8d0f6e7b0\($n)" | '"$5" |
    "$apctl" produce --topic "$1" --partition $(( ($("$apctl" partition --partitions 6 "$3") + 1) % 6 )) 2>/dev/null
}
hours='.report_id += "-misrouted" | .activity_date = "2026-01-13" | .minutes = 60
       | .occurred_at = "2026-01-13T16:00:00Z" | .recorded_at = "2026-01-13T17:00:00Z"'
misroute "$id.hours" HoursEvent g-000007 1 "$hours"
misroute "$id.hours" HoursEvent g-000042 2 "$hours"
misroute "$id.exemption" CoverageEvent g-000100 3 '.recorded_at = "2026-01-06T07:00:00Z"'
gen --kafka --topic-prefix "$id"
# Every codec failure class on two input topics, behind the last ticks.
"$build/tests/malformed_records" > "$work/bad.txt"
for t in hours exemption; do cut -d' ' -f2 "$work/bad.txt" | "$apctl" produce-hex --topic "$id.$t" --key g-000007; done

# The live run with the smallest prefetch queue (1 MiB, a few thousand
# records): the queue fills, librdkafka parks the fetcher, and the intake
# must wake it when the queue runs dry; every comparison below covers it.
start_processor "$id-live" "$id" "$id.live" AP_KAFKA_QUEUE_KIB=1024 AP_LOG_LEVEL=debug
wait_caught_up "$id-live" "$id" 300
stop_processor "$pid"; pid=
check "live run with a full prefetch queue woke its parked fetcher" "1" \
  "$(grep -q 'msg="waking parked fetchers"' "$work/$id-live.log" && echo 1 || echo 0)"
check "live: the three misrouted records are WRONG_PARTITION dead letters" "3" \
  "$("$apctl" consume --topic "$id.live.dead-letter" | jq -s '[.[] | select(.reason_code == "WRONG_PARTITION")] | length')"

live_digest() { # every live key with its content
  redis_admin --scan --pattern "$id-live:*" | sort |
    while read -r k; do echo "$k"; redis_admin DUMP "$k" | md5sum; done | md5sum
}
before=$(live_digest)

# key + exact value bytes of every record, sorted (the topic name differs by design)
bytes_of() { cut -d' ' -f2- "$1" | sort; }
live_set() { { "$apctl" consume --topic "$1.compliance" --hex; "$apctl" consume --topic "$1.alerts" --hex; } > "$work/$2.raw"; bytes_of "$work/$2.raw"; }
live_set "$id.live" live > "$work/live"
# The dead letters, as the live processor wrote them.
dead_set() { "$apctl" consume --topic "$1.dead-letter" --hex > "$work/$2.raw"; bytes_of "$work/$2.raw"; }
dead_set "$id.live" live-dl > "$work/live-dl"
# The monthly monitoring partials, as the live processor wrote them.
mon_set() { "$apctl" consume --topic "$1.monitoring" --hex > "$work/$2.raw"; bytes_of "$work/$2.raw"; }
mon_set "$id.live" live-mon > "$work/live-mon"
check "live monitoring partials exist, lane records among them" "1" \
  "$([ "$(wc -l < "$work/live-mon")" -gt 6 ] && [ "$("$apctl" consume --topic "$id.live.monitoring" | jq -s '[.[] | select(.municipality_code == null)] | length')" -ge 6 ] && echo 1 || echo 0)"
check "live dead letters: every codec class twice, and the generator's" "1" \
  "$([ "$(wc -l < "$work/live-dl")" -gt $(( $(wc -l < "$work/bad.txt") * 2 )) ] && echo 1 || echo 0)"
check "live results exist" "1" "$([ "$(wc -l < "$work/live")" -gt 1500 ] && echo 1 || echo 0)"
check "move weeks carry segments that add up to the week (some exist)" "true" \
  "$("$apctl" consume --topic "$id.live.compliance" | jq -s '[.[] | select(.segments | length > 0)] as $s
     | ($s | length > 10) and ($s | all((.segments | length) >= 2
         and ([.segments[].required_minutes] | add) == .required_minutes
         and ([.segments[].offered_minutes] | add) == .offered_minutes
         and ([.segments[].credited_minutes] | add) == .credited_minutes))')"
check "results carry lineage" "1" \
  "$("$apctl" consume --topic "$id.live.compliance" | jq -s '[.[] | select(.status != "NOT_COVERED") | (.inputs | length > 0)] | all' | sed 's/true/1/')"

export AP_TOPIC_PLACEMENT="$id.placement" AP_TOPIC_HOURS="$id.hours" AP_TOPIC_EXEMPTION="$id.exemption"
# (1) Kafka replay, in-process state
"$replay" kafka --set replay.namespace="$id-k1" --set replay.format=hex --set replay.output="$work/k1.raw" \
  --set replay.dead_letters="$work/k1-dl.raw" --set replay.monitoring="$work/k1-mon.raw" 2> "$work/k1.log"
check "kafka replay (memory state) = live, byte for byte" "$(md5sum < "$work/live")" "$(bytes_of "$work/k1.raw" | md5sum)"
check "kafka replay (memory state): dead letters = live, byte for byte" "$(md5sum < "$work/live-dl")" \
  "$(bytes_of "$work/k1-dl.raw" | md5sum)"
check "kafka replay (memory state): monitoring partials = live, byte for byte" "$(md5sum < "$work/live-mon")" \
  "$(bytes_of "$work/k1-mon.raw" | md5sum)"

# Where a Kafka replay starts: a time before the stream is the whole stream;
# a time after it, or an offset past every end, is nothing.
"$replay" kafka --set replay.namespace="$id-t1" --set replay.from_time=2000-01-01T00:00:00Z --set replay.format=hex \
  --set replay.output="$work/t1.raw" 2> /dev/null
check "from a time before the stream = live" "$(md5sum < "$work/live")" "$(bytes_of "$work/t1.raw" | md5sum)"
"$replay" kafka --set replay.namespace="$id-t2" --set replay.from_time=2100-01-01T00:00:00Z \
  --set replay.output="$work/t2.raw" 2> "$work/t2.log"
check "from a time after the stream: no records, no results" "0 0" \
  "$(sed -n 's/.*replay done\" records=\([0-9]*\).*/\1/p' "$work/t2.log") $(wc -l < "$work/t2.raw")"
"$replay" kafka --set replay.namespace="$id-t3" --set replay.from_offset=1000000 \
  --set replay.output="$work/t3.raw" 2> "$work/t3.log"
check "from an offset past the end: no records, no results" "0 0" \
  "$(sed -n 's/.*replay done\" records=\([0-9]*\).*/\1/p' "$work/t3.log") $(wc -l < "$work/t3.raw")"

# (2) export, then offline from each format
"$replay" export --set replay.output="$work/stream.avro" 2> "$work/export.log"
"$replay" export --set replay.output="$work/stream.jsonl" 2>> "$work/export.log"
check "the export is an Avro object container file" "Obj" "$(head -c 3 "$work/stream.avro")"
check "both exports hold every input record" "$(grep -vc '"topic":""' "$work/stream.jsonl")" \
  "$(grep -o 'records=[0-9]*' "$work/export.log" | head -1 | cut -d= -f2)"
for f in avro jsonl; do
  env -u AP_KAFKA_BROKERS "$replay" file --set replay.input="$work/stream.$f" --set replay.format=hex \
    --set replay.output="$work/off-$f.raw" --set replay.dead_letters="$work/off-$f-dl.raw" \
    --set replay.monitoring="$work/off-$f-mon.raw" 2> "$work/off-$f.log"
  check "offline replay of the .$f export = live, byte for byte" "$(md5sum < "$work/live")" "$(bytes_of "$work/off-$f.raw" | md5sum)"
  check "offline replay of the .$f export: dead letters = live, byte for byte" "$(md5sum < "$work/live-dl")" \
    "$(bytes_of "$work/off-$f-dl.raw" | md5sum)"
  check "offline replay of the .$f export: monitoring partials = live, byte for byte" "$(md5sum < "$work/live-mon")" \
    "$(bytes_of "$work/off-$f-mon.raw" | md5sum)"
done
# An export written before the partition counts were recorded (none in the
# file): the replay checks nothing and applies the misrouted records (not
# what live did), unless told the count.
grep -v '"topic":""' "$work/stream.jsonl" > "$work/old.jsonl"
check "the JSON lines export starts with the three partition counts" "3" "$(head -3 "$work/stream.jsonl" | grep -c '"topic":"","partition":6,"offset":-1')"
check "the JSON lines export ends with its manifest" "1" "$(tail -1 "$work/stream.jsonl" | grep -c '"key":"ap.export.manifest"')"
# Without a manifest (cut short, or written before 0.2) only with replay.unverified=1.
"$replay" file --set replay.input="$work/old.jsonl" --set replay.output=/dev/null 2> "$work/off-old0.log" && exit_old=0 || exit_old=$?
check "an export without a manifest is refused unless replay.unverified=1" "1 1" \
  "$exit_old $(grep -c 'has no manifest' "$work/off-old0.log")"
"$replay" file --set replay.input="$work/old.jsonl" --set replay.unverified=1 --set replay.format=hex --set replay.output="$work/off-old.raw" \
  2> "$work/off-old.log"
check "an export without counts, replayed as is: differs from live, with a warning" "differs 1" \
  "$(cmp -s <(bytes_of "$work/off-old.raw") "$work/live" && echo same || echo differs) $(grep -c 'records no partition counts' "$work/off-old.log")"
"$replay" file --set replay.input="$work/old.jsonl" --set replay.unverified=1 --set replay.partitions=6 --set replay.format=hex \
  --set replay.output="$work/off-old6.raw" 2>/dev/null
check "an export without counts, with replay.partitions=6 = live" "$(md5sum < "$work/live")" "$(bytes_of "$work/off-old6.raw" | md5sum)"
# The records of a file in any order (a merge of several exports, say): the
# same output. Such a file is no longer the export its manifest describes.
grep -v '"key":"ap.export.manifest"' "$work/stream.jsonl" | shuf --random-source=<(yes) > "$work/shuffled.jsonl"
"$replay" file --set replay.input="$work/shuffled.jsonl" --set replay.unverified=1 --set replay.format=hex --set replay.output="$work/off-shuf.raw" \
  2> "$work/off-shuf.log"
check "offline replay of the export in shuffled order: identical output file" "$(md5sum < "$work/off-jsonl.raw")" \
  "$(md5sum < "$work/off-shuf.raw")"
check "without replay.dead_letters the replay says how many it did not write" "$(wc -l < "$work/live-dl")" \
  "$(sed -n 's/.*dead letters not written.* dead_letters=\([0-9]*\).*/\1/p' "$work/off-shuf.log")"
# Overlapping exports: every record twice in one file is replayed once.
cat "$work/stream.jsonl" "$work/stream.jsonl" | grep -v '"key":"ap.export.manifest"' > "$work/doubled.jsonl"
"$replay" file --set replay.input="$work/doubled.jsonl" --set replay.unverified=1 --set replay.format=hex --set replay.output="$work/off-double.raw" \
  2>/dev/null
check "offline replay of the export twice over: identical output file" "$(md5sum < "$work/off-jsonl.raw")" \
  "$(md5sum < "$work/off-double.raw")"
check "our own container is decoded in place, JSON lines are copied" "in_place=1 in_place=0" \
  "$(grep -ho 'in_place=[01]' "$work/off-avro.log" "$work/off-jsonl.log" | xargs)"
# Again with one worker and with three (partitions replayed side by side):
# identical bytes in identical order.
for workers in 1 3; do
  "$replay" file --set replay.input="$work/stream.avro" --set replay.format=hex --set replay.workers=$workers \
    --set replay.output="$work/off-w$workers.raw" --set replay.dead_letters="$work/off-w$workers-dl.raw" \
    --set replay.monitoring="$work/off-w$workers-mon.raw" 2> "$work/off-w$workers.log"
  check "offline replay with $workers worker(s): identical output file" "$(md5sum < "$work/off-avro.raw")" \
    "$(md5sum < "$work/off-w$workers.raw")"
  check "offline replay with $workers worker(s): identical dead-letter file" "$(md5sum < "$work/off-avro-dl.raw")" \
    "$(md5sum < "$work/off-w$workers-dl.raw")"
  check "offline replay with $workers worker(s): identical monitoring file" "$(md5sum < "$work/off-avro-mon.raw")" \
    "$(md5sum < "$work/off-w$workers-mon.raw")"
done
check "three workers took three partitions at once" "workers=3" "$(grep -o 'workers=[0-9]*' "$work/off-w3.log")"

# (3) Redis state in its own namespace, audit topics, two restarts in the middle.
start_replay() {
  "$replay" kafka --set replay.state=redis --set replay.namespace="$id-k3" --set redis.port="$AP_REDIS_PORT" \
    --set replay.audit_prefix="$id.audit" --set replay.monitoring=topic --set batch.size=50 >> "$work/k3.log" 2>&1 &
  pid=$!
}
start_replay
for _ in 1 2; do sleep 1.5; kill -TERM "$pid" 2>/dev/null || true; wait "$pid" || true; start_replay; done
wait "$pid"; pid=
live_set "$id.audit" audit > "$work/audit"
check "kafka replay (Redis state, 2 restarts, audit topics) = live" "$(md5sum < "$work/live")" "$(sort -u "$work/audit" | md5sum)"
dead_set "$id.audit" audit-dl > "$work/audit-dl"
check "kafka replay (Redis state, 2 restarts, audit topics): dead letters = live" "$(sort -u "$work/live-dl" | md5sum)" \
  "$(sort -u "$work/audit-dl" | md5sum)"
mon_set "$id.audit" audit-mon > "$work/audit-mon"
check "kafka replay (Redis state, 2 restarts, audit topics): monitoring partials = live" \
  "$(sort -u "$work/live-mon" | md5sum)" "$(sort -u "$work/audit-mon" | md5sum)"
check "the replay kept its state in its own namespace" "1" \
  "$([ "$(redis_admin --scan --pattern "$id-k3:*" | wc -l)" -gt 100 ] && echo 1 || echo 0)"
check "the live state was not touched by any replay" "$before" "$(live_digest)"

# Filters: one citizen, a municipality, a week range = the same subset of live.
"$apctl" consume --topic "$id.live.compliance" > "$work/live.json"
"$replay" file --set replay.input="$work/stream.avro" --set replay.alerts=0 --set replay.citizens=g-000007,g-000042 \
  --set replay.weeks=2026-W03..2026-W05 --set replay.output="$work/f1.json" --set replay.dead_letters="$work/f1-dl.json" \
  --set replay.monitoring="$work/f1-mon.json" 2> "$work/f1.log"
check "filters write no monitoring partials (sums over a subset), and say so" "0 1" \
  "$(wc -l < "$work/f1-mon.json" 2>/dev/null || echo 0) $(grep -c 'monitoring partials not written' "$work/f1.log")"
check "filter by citizens and weeks" \
  "$(jq -c 'select((.citizen_id == "g-000007" or .citizen_id == "g-000042") and .iso_year == 2026 and .iso_week >= 3 and .iso_week <= 5)' "$work/live.json" | sort | md5sum)" \
  "$(sort "$work/f1.json" | md5sum)"
check "filters leave dead letters whole (JSON as apctl consume prints them)" \
  "$("$apctl" consume --topic "$id.live.dead-letter" | sort | md5sum)" "$(sort "$work/f1-dl.json" | md5sum)"
muni=$(jq -r '.municipality_code' "$work/live.json" | sort | uniq -c | sort -rn | awk 'NR==1 {print $2}')
"$replay" file --set replay.input="$work/stream.avro" --set replay.alerts=0 --set replay.municipalities="$muni" \
  --set replay.output="$work/f2.json" 2>/dev/null
check "filter by municipality $muni" "$(jq -c "select(.municipality_code == \"$muni\")" "$work/live.json" | sort | md5sum)" \
  "$(sort "$work/f2.json" | md5sum)"
check "a filter selects something" "1" "$([ -s "$work/f1.json" ] && [ -s "$work/f2.json" ] && echo 1 || echo 0)"
[ "$failures" -eq 0 ]
