#!/usr/bin/env bash
# Schema evolution, offline (issue 14 §5): the same stream, once as written
# today and once with every HoursEvent written by a publisher on a newer
# compatible schema (one more optional field). Without that schema the newer
# records are dead letters and the results change; with it registered
# (schemas.writers_dir) the replay gives exactly the results of the original.
# An incompatible schema in the directory stops ap-replay before it reads.
# Offline: no broker, no Redis.
#   schema_evolution.sh BUILD_DIR
set -euo pipefail
build=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0
check() { # check NAME EXPECTED ACTUAL
  if [ "$2" == "$3" ]; then echo "ok   $1"; else echo "FAIL $1: expected [$2] got [$3]"; failures=$((failures + 1)); fi
}
"$build/ap-generate" --citizens 200 --weeks 5 --seed 45 --export "$work/s.avro" 2>&1
mkdir "$work/writers"
"$build/tests/newer_writer" "$work/s.avro" "$work/newer.avro" "$work/writers/HoursEvent.v2.avsc"
replay() { "$build/ap-replay" file --set replay.alerts=0 --set topic.placement=ap.placement \
  --set topic.hours=ap.hours --set topic.exemption=ap.exemption "$@"; }
replay --set replay.input="$work/s.avro" --set replay.output="$work/base.json" 2> "$work/base.log"
replay --set replay.input="$work/newer.avro" --set replay.output="$work/unknown.json" 2> "$work/unknown.log"
replay --set replay.input="$work/newer.avro" --set replay.output="$work/known.json" \
  --set schemas.writers_dir="$work/writers" 2> "$work/known.log"

check "baseline results exist" "1" "$([ "$(wc -l < "$work/base.json")" -gt 200 ] && echo 1 || echo 0)"
rc=0
"$build/apctl" diff "$work/base.json" "$work/unknown.json" > /dev/null || rc=$?
check "unknown newer writer: results differ (its records are dead letters)" "1" "$rc"
rc=0
"$build/apctl" diff "$work/base.json" "$work/known.json" --json "$work/report.json" > "$work/report.txt" || rc=$?
check "registered newer writer: results identical to the original stream" "0" "$rc"
check "nothing changed, missing or extra" "0 0 0" "$(jq -r '"\(.changed) \(.missing) \(.extra)"' "$work/report.json")"
check "the writer schema was registered" "1" "$(grep -c 'writer schemas registered' "$work/known.log")"

# An incompatible writer schema refuses start-up and names the field.
sed 's/"name": "minutes", "type": "int"/"name": "minutes", "type": "string"/' "$work/writers/HoursEvent.v2.avsc" > "$work/writers/broken.avsc"
rc=0
replay --set replay.input="$work/newer.avro" --set replay.output="$work/refused.json" \
  --set schemas.writers_dir="$work/writers" 2> "$work/refused.log" || rc=$?
check "an incompatible writer schema stops ap-replay" "1" "$rc"
check "the refusal names the field" "1" "$(grep -c 'HoursEvent.minutes' "$work/refused.log")"
[ "$failures" -eq 0 ]
