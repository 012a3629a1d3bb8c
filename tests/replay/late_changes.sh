#!/usr/bin/env bash
# Property over ap-generate's streams (issue 14, 1): with late changes that
# move, shorten, extend, end or retract entities of every kind after their
# weeks closed (--late-moves), the latest revision of every citizen-week in an
# offline replay equals the week's one evaluation when every StreamTick comes
# after the last event (the same records, ticks given later offsets). Compared:
# each result without event_id, revision and closed_at, with the alerts
# emitted alongside it; a NOT_COVERED revision with no alerts withdraws a
# result, so it counts as none. The in-process property test (unit_revisions)
# does the same over its own generator; this one runs the real binaries.
# The same holds for the monthly monitoring partials (issue 16 §2): the
# latest revision of every partial (municipality|month|partition) equals the
# final-state one, compared without event_id, revision, closed_at and the
# manifest's revisions; an all-zero partial (a municipality left by its last
# citizen: revised to zeros, never deleted) counts as none, in the manifest
# too.
# Offline: no broker, no Redis.
#   late_changes.sh BUILD_DIR [SEEDS]
set -euo pipefail
build=$1
seeds=${2:-${AP_LATE_SEEDS:-24}}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Every tick of a topic-partition after its last event, in their order.
ticks_last='group_by([.topic, .partition]) | map(
    (map(select(.key != null) | .offset) | max // -1) as $m
  | map(select(.key == null)) as $t
  | map(select(.key != null)) + [range(0; $t | length) as $i | $t[$i] | .offset = $m + 1 + $i])
  | flatten | .[]'
# The latest revision of each citizen-week with the alerts that followed it.
latest='reduce .[] as $x ([]; if $x.schema == "ComplianceResult" then . + [{r: $x, a: []}]
    elif $x.schema == "Alert" then .[-1].a += [$x] else . end)
  | group_by([.r.citizen_id, .r.week_start]) | map(max_by(.r.revision))
  | map(select(.r.status != "NOT_COVERED" or (.a | length) > 0))
  | .[] | {r: (.r | del(.event_id, .revision, .closed_at)), a: (.a | map(del(.event_id, .revision)))} | tojson'
# The latest revision of each monitoring partial, without what names its emission.
mon_latest='def at: "\(.year)|\(.month)|\(.partition)";
  group_by([.municipality_code, .year, .month, .partition]) | map(max_by(.revision))
  | (map(select(.municipality_code != null and (.covered_citizens > 0 or .weeks_owed > 0 or .weeks_exempt > 0))
         | {key: "\(.municipality_code)|\(at)", value: true}) | from_entries) as $live
  | map(select(.municipality_code == null or $live["\(.municipality_code)|\(at)"]))
  | map(if .municipality_code == null then at as $a | .manifest |= map(select($live["\(.municipality_code)|\($a)"]))
      else . end)
  | .[] | del(.event_id, .revision, .closed_at) | .manifest |= map(.municipality_code) | tojson'
# final.jsonl is the export reordered: no longer what its manifest describes.
replay() {
  "$build/ap-replay" file --set replay.input="$1" --set replay.output="$2" --set replay.monitoring="$2.mon" \
    --set replay.unverified=1 --set topic.placement=ap.placement \
    --set topic.hours=ap.hours --set topic.exemption=ap.exemption 2> "$work/replay.log" \
    || { cat "$work/replay.log"; exit 1; }
}

failures=0 revised=0 mon_revised=0
for seed in $(seq 1 "$seeds"); do
  "$build/ap-generate" --citizens 40 --weeks 12 --seed "$seed" --late-moves 0.25 --late-rate 0.1 --partitions 3 \
    --export "$work/live.jsonl" >/dev/null 2>&1
  grep -v '"key":"ap.export.manifest"' "$work/live.jsonl" | jq -c -s "$ticks_last" > "$work/final.jsonl"
  replay "$work/live.jsonl" "$work/live.json"
  replay "$work/final.jsonl" "$work/final.json"
  jq -r -s "$latest" "$work/live.json" | sort > "$work/live.latest"
  jq -r -s "$latest" "$work/final.json" | sort > "$work/final.latest"
  revised=$((revised + $(jq -r 'select(.schema == "ComplianceResult" and .revision > 1) | .revision' "$work/live.json" | wc -l)))
  jq -r -s "$mon_latest" "$work/live.json.mon" | sort > "$work/live.mon"
  jq -r -s "$mon_latest" "$work/final.json.mon" | sort > "$work/final.mon"
  mon_revised=$((mon_revised + $(jq -r 'select(.revision > 1) | .revision' "$work/live.json.mon" | wc -l)))
  if [ ! -s "$work/live.mon" ] || ! cmp -s "$work/live.mon" "$work/final.mon"; then
    echo "FAIL seed $seed: the live latest monitoring partials differ from the final-state ones:"
    diff "$work/live.mon" "$work/final.mon" | head -4 | cut -c1-600
    failures=$((failures + 1))
  fi
  if ! cmp -s "$work/live.latest" "$work/final.latest"; then
    echo "FAIL seed $seed: the live latest revisions differ from the final-state evaluation:"
    diff "$work/live.latest" "$work/final.latest" | head -6 | cut -c1-400
    failures=$((failures + 1))
  fi
done
echo "$seeds seeds, $revised result revisions and $mon_revised monitoring revisions in the live runs"
# The streams must revise weeks, or the comparison proves nothing.
if [ "$revised" -lt "$seeds" ]; then echo "FAIL too few revisions"; failures=$((failures + 1)); fi
if [ "$mon_revised" -lt "$seeds" ]; then echo "FAIL too few monitoring revisions"; failures=$((failures + 1)); fi
[ "$failures" -eq 0 ] && echo "ok   latest revision = final-state evaluation for every citizen-week and monitoring partial"
[ "$failures" -eq 0 ]
