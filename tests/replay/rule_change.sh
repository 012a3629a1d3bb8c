#!/usr/bin/env bash
# A rule what-if, audited with ap-replay offline and apctl diff: a stream over
# the turn of 2024/2025 replayed with one rule parameter changed (the weekly
# norm, 2220 -> 2160 minutes) must change exactly the weeks that owe hours
# under the 2025 rules (status not NOT_COVERED: the norm enters their
# requirement or their adjustments) and nothing else: the 2024 weeks (no weekly
# obligation) stay identical, no week is missing or extra, no other field
# changes, and every what-if result names the changed rule version.
# Offline: no broker, no Redis.
#   rule_change.sh BUILD_DIR
set -euo pipefail
build=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0
check() { # check NAME EXPECTED ACTUAL
  if [ "$2" == "$3" ]; then echo "ok   $1"; else echo "FAIL $1: expected [$2] got [$3]"; failures=$((failures + 1)); fi
}
"$build/ap-generate" --citizens 300 --weeks 6 --first-week 2024-12-09 --seed 44 --invalid-rate 0.01 --late-rate 0.05 \
  --export "$work/s.avro" 2>&1
replay() { "$build/ap-replay" file --set replay.input="$work/s.avro" --set replay.alerts=0 --set topic.placement=ap.placement \
  --set topic.hours=ap.hours --set topic.exemption=ap.exemption "$@" 2> "$work/replay.log"; }
replay --set replay.output="$work/base.json"
replay --set replay.output="$work/whatif.json" --set replay.rule_override=weekly_minutes=2160

check "baseline results exist" "1" "$([ "$(wc -l < "$work/base.json")" -gt 500 ] && echo 1 || echo 0)"
check "baseline results name the law's rule versions" "AP-2025.1-IMPL NYTTE-2014.1" "$(jq -r .rule_version "$work/base.json" | sort -u | xargs)"
check "what-if results name the changed rule version" "AP-2025.1-IMPL/wm=2160 NYTTE-2014.1" "$(jq -r .rule_version "$work/whatif.json" | sort -u | xargs)"

rc=0
"$build/apctl" diff "$work/base.json" "$work/whatif.json" --ignore rule_version --json "$work/report.json" > "$work/report.txt" || rc=$?
check "diff exits 1 (differences)" "1" "$rc"
# Expected: the latest revision of every citizen-week that owes hours (status not NOT_COVERED).
expected=$(jq -r -s 'group_by([.citizen_id, .iso_year, .iso_week]) | map(max_by(.revision)) | .[]
  | select(.rule_version == "AP-2025.1-IMPL" and .status != "NOT_COVERED") | "\(.citizen_id)|\(.iso_year)|\(.iso_week | tostring | if length < 2 then "0" + . else . end)"' \
  "$work/base.json" | sort)
actual=$(jq -r '.differences[] | select(.kind == "changed") | .key' "$work/report.json" | sort)
check "changed weeks = exactly the weeks that owe hours ($(echo "$expected" | wc -l))" "$(echo "$expected" | md5sum)" "$(echo "$actual" | md5sum)"
check "no week missing or extra" "0 0" "$(jq -r '"\(.missing) \(.extra)"' "$work/report.json")"
check "weeks under the 2014 rules stay identical (some exist)" "1" "$(jq -r 'if .identical > 0 then 1 else 0 end' "$work/report.json")"
# The shortfall's cause compares the offer with the requirement, so it is a
# requirement field too (issue 16 §1); what was offered is not.
check "only requirement fields changed" "adjustments required_minutes shortfall_cause shortfall_minutes status" \
  "$(jq -r '[.differences[].fields[].field] | unique | map(select(. != "adjustments" and . != "required_minutes" and . != "shortfall_cause" and . != "shortfall_minutes" and . != "status")) as $other | if ($other | length) > 0 then $other | join(" ") else "adjustments required_minutes shortfall_cause shortfall_minutes status" end' "$work/report.json")"
check "the readable report names a changed week" "1" "$(grep -c "$(echo "$expected" | head -1)" "$work/report.txt" | sed 's/^[1-9][0-9]*$/1/')"
# Files with personal data are their owner's alone (issue 15 §4), whatever
# the umask, also when they existed with another mode.
umask 022
touch "$work/again.json" && chmod 644 "$work/again.json"
"$build/ap-generate" --citizens 20 --weeks 2 --seed 3 --export "$work/small.jsonl" 2>/dev/null
replay --set replay.input="$work/s.avro" --set replay.output="$work/again.json" --set replay.dead_letters="$work/dl.json"
"$build/apctl" diff "$work/base.json" "$work/again.json" --json "$work/report2.json" >/dev/null || true
check "exports, outputs, dead letters and diff reports are mode 600" "600 600 600 600 600" \
  "$(stat -c %a "$work/s.avro" "$work/small.jsonl" "$work/again.json" "$work/dl.json" "$work/report2.json" | xargs)"
[ "$failures" -eq 0 ]
