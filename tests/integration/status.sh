#!/usr/bin/env bash
# apctl status (issue 17 §7): mid-week, a citizen's open week evaluated from
# Redis with the processor's rules, provisional (final false, never emitted);
# once the week closes, the emitted result says the same for every citizen
# of the demo stream. A closed week's status names its last revision.
#   status.sh ENV_DIR BUILD_DIR
set -euo pipefail
env_dir=$1; build=$2
id="ap-status$$"
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
source "$here/../faults/lib.sh"
topics "$id" >/dev/null
for f in placements hours exemptions; do
  case $f in placements) t=placement ;; hours) t=hours ;; exemptions) t=exemption ;; esac
  "$apctl" produce --topic "$id.$t" < "$root/deploy/demo/$f.jsonl" 2>/dev/null
done
tick() { "$apctl" tick --topic "$id.placement" --topic "$id.hours" --topic "$id.exemption" --at "$1" 2>/dev/null; }
tick 2026-01-21T00:00:00+01:00 # weeks 2 and 3 close; week 4 is open
start_processor "$id" "$id" "$id"
wait_caught_up "$id" "$id" 120
status() { "$apctl" status "$1" --week "$2" --prefix "$id" --redis-host "$AP_REDIS_HOST" --redis-port "$AP_REDIS_PORT" --redis-user "$AP_REDIS_USERNAME"; }
# What a result says, without what belongs to an emission.
said() { jq -c -S 'select(.schema == "ComplianceResult") | del(.event_id, .revision, .final, .closed_at)'; }
citizens=$(jq -r .citizen_id "$root/deploy/demo/placements.jsonl" | sort -u)
for c in $citizens; do status "$c" 2026-W04 > "$work/$c.w04.status"; done
c1=$(echo "$citizens" | head -1)
check "provisional: final false" "false" "$(jq -r 'select(.schema == "ComplianceResult") | .final' "$work/$c1.w04.status")"
check "provisional: no revision emitted yet" "0" "$(jq -r 'select(.schema == "ComplianceResult") | .revision' "$work/$c1.w04.status")"
check "and nothing was emitted for week 4" "0" \
  "$("$apctl" consume --topic "$id.compliance" | jq -r 'select(.iso_week == 4)' | grep -c event_id || true)"
tick 2026-01-28T00:00:00+01:00 # week 4 closes
sleep 1
wait_caught_up "$id" "$id" 120
"$apctl" consume --topic "$id.compliance" --wait-for 1 > "$work/results.jsonl"
compared=0
for c in $citizens; do
  want=$(jq -c "select(.citizen_id == \"$c\" and .iso_week == 4)" "$work/results.jsonl" | said)
  [ -n "$want" ] || continue
  compared=$((compared + 1))
  check "$c week 4: the provisional status says what the final result says" "$want" "$(said < "$work/$c.w04.status")"
  check "$c week 4: the same alerts" \
    "$(jq -r "select(.citizen_id == \"$c\" and .iso_week == 4) | .code" <("$apctl" consume --topic "$id.alerts") | sort | tr '\n' ' ')" \
    "$(jq -r 'select(.schema == "Alert") | .code' "$work/$c.w04.status" | sort | tr '\n' ' ')"
done
check "every demo citizen with a week-4 result compared (all of them)" "$(echo "$citizens" | wc -l)" "$compared"
status "$c1" 2026-W02 > "$work/w02.status"
check "a closed week's status names its last emitted revision" \
  "$(jq -r "select(.citizen_id == \"$c1\" and .iso_week == 2) | .revision" "$work/results.jsonl" | sort -n | tail -1)" \
  "$(jq -r 'select(.schema == "ComplianceResult") | .revision' "$work/w02.status")"
check "an unknown citizen is not covered" "NOT_COVERED" "$(status c-nobody 2026-W04 | jq -r 'select(.schema == "ComplianceResult") | .status')"
check "a bad week is a usage error" "2" "$("$apctl" status "$c1" --week 2026-05 >/dev/null 2>&1; echo $?)"
stop_processor "$pid"; pid=
[ "$failures" -eq 0 ]
