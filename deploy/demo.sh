#!/usr/bin/env bash
# Quick start, command 1: set up and run the main job end to end.
# Installs what is missing, builds, starts a private Kafka broker and Redis on
# spare ports, starts ap-processor, publishes the sample stream in
# deploy/demo/ (five citizens, three weeks), closes the weeks with a stream
# tick, prints the compliance table and the alerts, replays the stream
# offline, closes January with a second tick and prints the monthly
# monitoring table per municipality, writes the analysts' HTML report
# (.run/demo/report.html), and stops everything it started.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/deploy/scripts/setup.sh"
cmake -S "$root" -B "$root/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DAP_TESTS=OFF >/dev/null
cmake --build "$root/build" -j"$(nproc)" >/dev/null
bin="$root/build"
run="$root/.run/demo"
mkdir -p "$run"
"$root/deploy/scripts/env.sh" start "$run/env"
processor_pid=
cleanup() {
  if [ -n "$processor_pid" ] && kill -0 "$processor_pid" 2>/dev/null; then
    kill -TERM "$processor_pid"; wait "$processor_pid" || true
  fi
  "$root/deploy/scripts/env.sh" stop "$run/env" >/dev/null
}
trap cleanup EXIT
# shellcheck source=/dev/null
source "$run/env/env.sh"

"$bin/apctl" create-topics --partitions 3 ap.placement ap.hours ap.exemption ap.compliance ap.alerts ap.dead-letter ap.monitoring
"$bin/ap-processor" > "$run/processor.log" 2>&1 &
processor_pid=$!

echo "== publishing the sample stream"
"$bin/apctl" produce --topic ap.placement < "$root/deploy/demo/placements.jsonl"
"$bin/apctl" produce --topic ap.exemption < "$root/deploy/demo/exemptions.jsonl"
"$bin/apctl" produce --topic ap.hours < "$root/deploy/demo/hours.jsonl"
# The job centres' promise that weeks 2-4 of 2026 are complete: a tick on every
# input partition, written by ap-ticker as in production (README "Ticks"). Its
# clock is set back to the demo's weeks with ticker.delay_s, so that the tick
# falls on 2026-01-28 00:00 Copenhagen time (the next whole hour before
# now - delay) and not today, which would close every week since.
until_tick=$(( $(date +%s) - $(date -d 2026-01-28T00:00:00+01:00 +%s) - 60 ))
"$bin/ap-ticker" --set topic.placement=ap.placement --set topic.hours=ap.hours --set topic.exemption=ap.exemption \
  --set ticker.once=1 --set ticker.interval_s=3600 --set ticker.delay_s="$until_tick" 2>&1 | grep 'ticks written' |
  sed 's/.*msg="ticks written" /ap-ticker: ticks written /'

"$bin/apctl" consume --topic ap.compliance --wait-for 15 --timeout-ms 60000 > "$run/compliance.jsonl"
"$bin/apctl" consume --topic ap.alerts --wait-for 14 --timeout-ms 30000 > "$run/alerts.jsonl"

hm='def wk: "\(.iso_year)-W\(if .iso_week < 10 then "0" else "" end)\(.iso_week)"; def hm: (if . < 0 then "-" else "" end) + ((fabs / 60 | floor | tostring) + ":" + (fabs % 60 | tostring | if length < 2 then "0" + . else . end));'
echo
echo "== compliance per citizen and ISO week (rule version $(jq -r '.rule_version' "$run/compliance.jsonl" | sort -u | paste -sd, -))"
{
  printf 'citizen\tmunicipality\tweek\tstatus\trequired\toffered\tcredited\tshortfall\tcause\tadjustments\n'
  jq -r "$hm"'[.citizen_id, .municipality_code, wk, .status,
         (.required_minutes|hm), (.offered_minutes|hm), (.credited_minutes|hm), (.shortfall_minutes|hm),
         (if .shortfall_cause == "NONE" then "-" else .shortfall_cause end),
         ([.adjustments[] | "\(.kind)(\(.minutes|hm)\(if .exemption_kind then " " + .exemption_kind else "" end))"]
          | join(" ") | if . == "" then "-" else . end)] | @tsv' \
     "$run/compliance.jsonl" | sort
} | awk -F'\t' '{ printf "%-10s %-4s %-9s %-14s %-9s %-8s %-9s %-10s %-15s %s\n", $1, $2, $3, $4, $5, $6, $7, $8, $9, $10 }'
echo
echo "== alerts (for the case worker, or for the job centre with the week it can still act in)"
jq -r "$hm"'[.citizen_id, wk, .severity, .code, (.audience // "-"), (.action_week_start // "-"), .detail] | @tsv' \
  "$run/alerts.jsonl" | sort |
  awk -F'\t' '{ printf "%-10s %-9s %-9s %-19s %-10s %-10s %s\n", $1, $2, $3, $4, $5, $6, $7 }'
echo
echo "== lineage: the input records behind c-bo's week 2026-W03"
jq -r 'select(.citizen_id == "c-bo" and .iso_week == 3) | .inputs[] | "  \(.topic) partition \(.partition) offset \(.offset) event \(.event_id)"' \
  "$run/compliance.jsonl"
echo
echo "== audit: export the input topics, replay them offline (no broker, no Redis), diff with the live results"
"$bin/ap-replay" export --set replay.output="$run/stream.avro" --set log.level=warn
"$bin/ap-replay" file --set replay.input="$run/stream.avro" --set replay.alerts=0 \
  --set replay.output="$run/replay.jsonl" --set log.level=warn 2> /dev/null
"$bin/apctl" diff "$run/compliance.jsonl" "$run/replay.jsonl" || true
echo
echo "== January closes: a tick on 2026-02-04 closes week 2026-W05, the week of 31 January, and with it the month"
# (The sample has no hours in W05, so its weeks fall short: the table says so.)
until_tick=$(( $(date +%s) - $(date -d 2026-02-04T00:00:00+01:00 +%s) - 60 ))
"$bin/ap-ticker" --set topic.placement=ap.placement --set topic.hours=ap.hours --set topic.exemption=ap.exemption \
  --set ticker.once=1 --set ticker.interval_s=3600 --set ticker.delay_s="$until_tick" 2>&1 | grep 'ticks written' |
  sed 's/.*msg="ticks written" /ap-ticker: ticks written /'
# Each partition writes its partials and then its lane record; a month is
# complete once every partition's lane record and the partials it lists are in.
for _ in $(seq 1 60); do
  "$bin/apctl" consume --topic ap.monitoring > "$run/monitoring.jsonl" 2>/dev/null || true
  "$bin/apctl" monitoring --input "$run/monitoring.jsonl" > "$run/monitoring.txt" 2>/dev/null || true
  if grep -q ' complete ' "$run/monitoring.txt" && ! grep -q 'incomplete' "$run/monitoring.txt"; then break; fi
  sleep 1
done
echo "== monthly monitoring per municipality (README Monitoring: STAR's measures M1-M8 and the weekly 37-hour figures)"
cat "$run/monitoring.txt"
echo
echo "== report for analysts: per municipality and month (ISO weeks by their Thursday), counts only"
"$bin/apctl" report --input "$run/compliance.jsonl" --alerts "$run/alerts.jsonl" --monitoring "$run/monitoring.jsonl" \
  --output "$run/report.html" 2>/dev/null
echo "$run/report.html (one self-contained page: open it in any browser)"
echo
echo "Outputs are in $run (compliance.jsonl, alerts.jsonl, monitoring.jsonl, report.html, processor.log, stream.avro, replay.jsonl)."
