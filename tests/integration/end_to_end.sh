#!/usr/bin/env bash
# End to end on the real parts: the sample stream of deploy/demo goes through
# a real Kafka broker and a real ap-processor with real Redis; the test
# asserts the exact compliance results, alerts and dead letters that come out,
# then that a redelivered stream changes nothing and a late correction yields
# revision 2 of exactly one week.
#   end_to_end.sh ENV_DIR BUILD_DIR
set -euo pipefail
env_dir=$1; build=$2
root=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=/dev/null
source "$env_dir/env.sh"
id="ap-e2e$$"
work=$(mktemp -d)
export AP_TOPIC_PLACEMENT=$id.placement AP_TOPIC_HOURS=$id.hours AP_TOPIC_EXEMPTION=$id.exemption
export AP_TOPIC_COMPLIANCE=$id.compliance AP_TOPIC_ALERTS=$id.alerts AP_TOPIC_DEAD_LETTER=$id.dead-letter
export AP_TOPIC_MONITORING=$id.monitoring
export AP_GROUP_ID=$id AP_REDIS_PREFIX=$id AP_STATS_INTERVAL_S=2
apctl="$build/apctl"
failures=0
check() { # check NAME EXPECTED ACTUAL
  if [ "$2" == "$3" ]; then echo "ok   $1"; else echo "FAIL $1"; diff <(echo "$2") <(echo "$3") || true; failures=$((failures + 1)); fi
}

proc_pid=
cleanup() {
  if [ -n "$proc_pid" ] && kill -0 "$proc_pid" 2>/dev/null; then kill -KILL "$proc_pid"; fi
  rm -rf "$work"
}
trap cleanup EXIT

"$apctl" create-topics --partitions 3 "$AP_TOPIC_PLACEMENT" "$AP_TOPIC_HOURS" "$AP_TOPIC_EXEMPTION" \
  "$AP_TOPIC_COMPLIANCE" "$AP_TOPIC_ALERTS" "$AP_TOPIC_DEAD_LETTER" "$AP_TOPIC_MONITORING"
"$build/ap-processor" > "$work/processor.log" 2>&1 &
proc_pid=$!

"$apctl" produce --topic "$AP_TOPIC_PLACEMENT" < "$root/deploy/demo/placements.jsonl"
"$apctl" produce --topic "$AP_TOPIC_EXEMPTION" < "$root/deploy/demo/exemptions.jsonl"
"$apctl" produce --topic "$AP_TOPIC_HOURS" < "$root/deploy/demo/hours.jsonl"

# Bad input between good input: not Avro at all, cut short, a CPR number as
# citizen id, and an hours event on the placement topic.
good=$(head -1 "$root/deploy/demo/hours.jsonl")
echo "deadbeef00" | "$apctl" produce-hex --topic "$AP_TOPIC_HOURS" --key c-anna
echo "c301" | "$apctl" produce-hex --topic "$AP_TOPIC_PLACEMENT" --key c-anna
echo "$good" | jq -c '.citizen_id = "0101901234" | .event_id = "6f1c2b9e-2d7a-4e0b-9a51-3c8d0f6e7a99"' |
  "$apctl" produce --no-validate --topic "$AP_TOPIC_HOURS"
echo "$good" | jq -c '.event_id = "6f1c2b9e-2d7a-4e0b-9a51-3c8d0f6e7a98"' | "$apctl" produce --topic "$AP_TOPIC_PLACEMENT"

"$apctl" tick --topic "$AP_TOPIC_PLACEMENT" --topic "$AP_TOPIC_HOURS" --topic "$AP_TOPIC_EXEMPTION" \
  --at 2026-01-28T00:00:00+01:00

"$apctl" consume --topic "$AP_TOPIC_COMPLIANCE" --wait-for 15 --timeout-ms 90000 > "$work/results.jsonl"
"$apctl" consume --topic "$AP_TOPIC_ALERTS" --wait-for 14 --timeout-ms 30000 > "$work/alerts.jsonl"
"$apctl" consume --topic "$AP_TOPIC_DEAD_LETTER" --wait-for 4 --timeout-ms 30000 > "$work/dead.jsonl"

# Hand-computed from the sample (see deploy/demo and README "Rules"):
# citizen week status required credited shortfall (minutes)
check "compliance results" "$(cat <<'TXT'
c-anna 2 COMPLIANT 2220 2220 0
c-anna 3 COMPLIANT 2220 2220 0
c-anna 4 COMPLIANT 2220 2220 0
c-bo 2 NOT_COMPLIANT 2220 1200 1020
c-bo 3 NOT_COMPLIANT 2220 1290 930
c-bo 4 NOT_COMPLIANT 2220 1200 1020
c-cecilie 2 COMPLIANT 2220 2220 0
c-cecilie 3 EXEMPT 0 0 0
c-cecilie 4 COMPLIANT 2220 2220 0
c-dan 2 COMPLIANT 1200 1200 0
c-dan 3 COMPLIANT 1200 1200 0
c-dan 4 NOT_COMPLIANT 1200 0 1200
c-emil 2 COMPLIANT 1332 1332 0
c-emil 3 COMPLIANT 2220 2220 0
c-emil 4 NOT_COMPLIANT 2220 2000 220
TXT
)" "$(jq -r '"\(.citizen_id) \(.iso_week) \(.status) \(.required_minutes) \(.credited_minutes) \(.shortfall_minutes)"' "$work/results.jsonl" | sort -V)"

check "adjustments explain the figures" "$(cat <<'TXT'
c-bo 3 HOURS_NOT_COUNTED:no journal reference:120
c-cecilie 3 EXEMPTION:ex-cecilie-1:-2220
c-dan 2 REDUCTION:rd-dan-1:-1020
c-dan 3 REDUCTION:rd-dan-1:-1020 REDUCTION_STALE:rd-dan-1:0
c-dan 4 REDUCTION:rd-dan-1:-1020 REDUCTION_STALE:rd-dan-1:0
c-emil 2 PRORATION:3/5 working days covered:-888
c-emil 3 PLACEMENT_EXEMPTED:pl-emil-2:0 HOURS_NOT_COUNTED:JOBSAMTALE never counts:60
TXT
)" "$(jq -r 'select(.adjustments | length > 0) | "\(.citizen_id) \(.iso_week) " + ([.adjustments[] | "\(.kind):\(.reference):\(.minutes)"] | join(" "))' "$work/results.jsonl" | sort -V)"

# Offered versus attended (issue 16 §1): Bo's one 20-hour nytteindsats
# (arbejdsmarkedsydelse, seed 001) is all that is offered, and he attends it:
# the gap is the job centre's. Dan (reduced to 20 h) and Emil were offered
# enough and attended less. Emil's week 2 is prorated (3 days: 2220 x 3/5 =
# 1332); in week 3 his praktik is exempted (1320 offered, yet he met 37 h).
check "offered and the shortfall's cause" "$(cat <<'TXT'
c-anna 2 2220 NONE
c-anna 3 2220 NONE
c-anna 4 2220 NONE
c-bo 2 1200 OFFER_GAP
c-bo 3 1200 OFFER_GAP
c-bo 4 1200 OFFER_GAP
c-cecilie 2 2220 NONE
c-cecilie 3 0 NONE
c-cecilie 4 2220 NONE
c-dan 2 1200 NONE
c-dan 3 1200 NONE
c-dan 4 1200 ATTENDANCE_GAP
c-emil 2 1332 NONE
c-emil 3 1320 NONE
c-emil 4 2220 ATTENDANCE_GAP
TXT
)" "$(jq -r '"\(.citizen_id) \(.iso_week) \(.offered_minutes) \(.shortfall_cause)"' "$work/results.jsonl" | sort -V)"
check "results name the kinds of the exemptions applied" "c-cecilie 3 EXEMPTION PREGNANCY
c-emil 3 PLACEMENT_EXEMPTED HEALTH" \
  "$(jq -r '.citizen_id as $c | .iso_week as $w | .adjustments[] | select(.exemption_kind != null) | "\($c) \($w) \(.kind) \(.exemption_kind)"' "$work/results.jsonl" | sort -V)"

check "every result is final revision 1 of rule AP-2025.1, closed at the tick" \
  "15" "$(jq -s '[.[] | select(.revision == 1 and .final == true and .rule_version == "AP-2025.1"
           and .closed_at == "2026-01-27T23:00:00.000Z" and (.event_id | test("^[0-9a-f-]{36}$")))] | length' "$work/results.jsonl")"

# Planning alerts concern the week after the one closed: Bo's single 20-hour
# placement plans 1020 min too little; Emil's praktik is exempted in week 3;
# Cecilie's and Emil's exemptions end in week 3. Bo's short weeks are offer
# gaps (the job centre's OFFER_GAP, 1020 min not offered), not absences.
check "alerts" "$(cat <<'TXT'
c-bo 2 OFFER_GAP WARNING 1020
c-bo 3 OFFER_GAP WARNING 1020
c-bo 3 PLAN_GAP WARNING 1020
c-bo 3 RULE_VIOLATION WARNING 930
c-bo 4 OFFER_GAP WARNING 1020
c-bo 4 PLAN_GAP WARNING 1020
c-bo 5 PLAN_GAP WARNING 1020
c-cecilie 3 EXEMPTION_EXPIRING INFO 0
c-dan 3 REASSESSMENT_DUE WARNING 0
c-dan 4 NO_ACTIVITY CRITICAL 1200
c-dan 4 REASSESSMENT_DUE WARNING 1200
c-emil 3 EXEMPTION_EXPIRING INFO 900
c-emil 3 PLAN_GAP WARNING 900
c-emil 4 WEEK_SHORT WARNING 220
TXT
)" "$(jq -r '"\(.citizen_id) \(.iso_week) \(.code) \(.severity) \(.shortfall_minutes)"' "$work/alerts.jsonl" | sort -V)"
check "OFFER_GAP is the job centre's and names the week ahead; attendance stays with the case" \
  "c-bo 2 JOB_CENTRE 2026-01-12 1200
c-bo 3 JOB_CENTRE 2026-01-19 1200
c-bo 4 JOB_CENTRE 2026-01-26 1200
c-dan 4 CASE null 1200
c-emil 4 CASE null 2220" \
  "$(jq -r 'select(.code == "OFFER_GAP" or .code == "WEEK_SHORT" or .code == "NO_ACTIVITY")
            | "\(.citizen_id) \(.iso_week) \(.audience) \(.action_week_start) \(.offered_minutes)"' "$work/alerts.jsonl" | sort -V)"

# Lineage: c-bo's week 3 lists its coverage, its placement and its hours
# reports dated that week (by topic and event id), sorted by topic and offset.
expected_inputs=$( {
  jq -r --arg t "$AP_TOPIC_EXEMPTION" 'select(.citizen_id == "c-bo") | "\($t) \(.event_id)"' "$root/deploy/demo/exemptions.jsonl"
  jq -r --arg t "$AP_TOPIC_PLACEMENT" 'select(.citizen_id == "c-bo") | "\($t) \(.event_id)"' "$root/deploy/demo/placements.jsonl"
  jq -r --arg t "$AP_TOPIC_HOURS" 'select(.citizen_id == "c-bo" and .activity_date >= "2026-01-12" and .activity_date <= "2026-01-18")
    | "\($t) \(.event_id)"' "$root/deploy/demo/hours.jsonl"; } | sort)
check "lineage: the inputs behind c-bo's week 3" "$expected_inputs" \
  "$(jq -r 'select(.citizen_id == "c-bo" and .iso_week == 3) | .inputs[] | "\(.topic) \(.event_id)"' "$work/results.jsonl" | sort)"
check "lineage: sorted by topic and offset, real offsets" "ok" \
  "$(jq -r 'select(.citizen_id == "c-bo" and .iso_week == 3) | .inputs | if (. == sort_by(.topic, .offset)) and all(.offset >= 0) and length > 3 then "ok" else "bad" end' "$work/results.jsonl")"

check "dead letters keep the reason and the original bytes (not those refused for a CPR number)" "$(cat <<'TXT'
BAD_MARKER deadbeef00
INVALID_EVENT citizen_id looks like a CPR number; record withheld (personal data) key= payload=
TRUNCATED c301
WRONG_TOPIC HoursEvent does not belong on topic PLACEMENT
TXT
)" "$(jq -r 'if .reason_code == "INVALID_EVENT" then "\(.reason_code) \(.reason) key=\(.key) payload=\(.payload)"
             elif .reason_code == "WRONG_TOPIC" then "\(.reason_code) \(.reason | sub(" [^ ]+$"; " PLACEMENT"))"
             else "\(.reason_code) \(.payload)" end' "$work/dead.jsonl" | sort)"

check "the processor survived the bad input" "alive" "$(kill -0 "$proc_pid" 2>/dev/null && echo alive || echo dead)"

# Redelivery: the whole hours stream again changes nothing. A late correction
# of Emil's Friday in week 4 (400 -> 620 min) makes that week revision 2.
"$apctl" produce --topic "$AP_TOPIC_HOURS" < "$root/deploy/demo/hours.jsonl"
grep '"report_id": "hr-c-emil-2026-01-23-ORDINAER_UDDANNELSE"' "$root/deploy/demo/hours.jsonl" |
  jq -c '.action = "CORRECTED" | .minutes = 620 | .recorded_at = "2026-02-02T10:00:00Z"
         | .event_id = "6f1c2b9e-2d7a-4e0b-9a51-3c8d0f6e7a97"' |
  "$apctl" produce --topic "$AP_TOPIC_HOURS"
# Then close week 5 (everyone covered gets a result, activity or not).
"$apctl" tick --topic "$AP_TOPIC_PLACEMENT" --topic "$AP_TOPIC_HOURS" --topic "$AP_TOPIC_EXEMPTION" \
  --at 2026-02-04T00:00:00+01:00
"$apctl" consume --topic "$AP_TOPIC_COMPLIANCE" --wait-for 21 --timeout-ms 90000 > "$work/results2.jsonl"

check "only the corrected week got a new revision" "c-emil 4 2 COMPLIANT 2220" \
  "$(jq -r 'select(.revision > 1) | "\(.citizen_id) \(.iso_week) \(.revision) \(.status) \(.credited_minutes)"' "$work/results2.jsonl")"
check "week 5 closed for every covered citizen, silent ones included" \
  "c-anna NO_ACTIVITY c-bo NO_ACTIVITY c-cecilie NO_ACTIVITY c-dan NO_ACTIVITY c-emil NO_ACTIVITY" \
  "$("$apctl" consume --topic "$AP_TOPIC_ALERTS" --wait-for 20 --timeout-ms 30000 |
      jq -r 'select(.iso_week == 5 and .code == "NO_ACTIVITY") | "\(.citizen_id) \(.code)"' | sort | paste -sd' ')"
check "no duplicate results" "21" "$(jq -r '.event_id' "$work/results2.jsonl" | sort -u | wc -l | tr -d ' ')"

# Graceful shutdown: SIGTERM, exit 0.
kill -TERM "$proc_pid"
rc=0; wait "$proc_pid" || rc=$?
proc_pid=
check "SIGTERM exits 0" "0" "$rc"
grep -q 'msg="stopping"' "$work/processor.log" && echo "ok   shutdown logged" || { echo "FAIL shutdown not logged"; failures=$((failures + 1)); }
# The output topics' metadata is looked up at start-up (else the first week
# close waits for it); a failed lookup is logged.
if grep -q 'output topics not looked up' "$work/processor.log"; then
  echo "FAIL output topics not looked up at start-up"; failures=$((failures + 1))
else
  echo "ok   output topics looked up at start-up"
fi
if grep -E 'c-(anna|bo|cecilie|dan|emil)|0101901234' "$work/processor.log"; then
  echo "FAIL the log contains citizen ids"; failures=$((failures + 1))
else
  echo "ok   no citizen ids in the log"
fi

# Retention (issue 15 §5): the input topics are the audit record, so
# create-topics keeps their records until deleted; other settings on request;
# a replication factor the cluster cannot give is a clear error.
check "input topics keep records until deleted (retention.ms -1)" "-1 -1" \
  "$("$apctl" topic-config "$AP_TOPIC_HOURS" retention.ms) $("$apctl" topic-config "$AP_TOPIC_COMPLIANCE" retention.ms)"
"$apctl" create-topics --partitions 3 --retention-ms 604800000 --config cleanup.policy=compact "$id.short"
check "create-topics sets retention and other configs on request" "604800000 compact" \
  "$("$apctl" topic-config "$id.short" retention.ms) $("$apctl" topic-config "$id.short" cleanup.policy)"
rc=0; "$apctl" create-topics --partitions 3 --replication-factor 3 "$id.replicated" 2> "$work/rf.err" || rc=$?
check "a replication factor above the brokers is refused" "1 1" "$rc $(grep -ci 'replication' "$work/rf.err" | sed 's/^[1-9][0-9]*$/1/')"

# Erasure (issue 15 §5): one citizen's state leaves Redis; the others stay;
# the citizen id is not printed.
# The services' user may not delete; erasure is the operator user ap-erasure's
# (deploy/scripts/redis-acl.sh).
rc=0; "$apctl" forget c-anna > /dev/null 2> "$work/forget.err" || rc=$?
check "the services' Redis user cannot erase" "1 1" "$rc $(grep -c NOPERM "$work/forget.err")"
AP_REDIS_USERNAME=ap-erasure AP_REDIS_PASSWORD_FILE="$env_dir/redis-ap-erasure.password" \
  "$apctl" forget c-anna > "$work/forget.txt"
check "forget says what it removed, not whom" "1 0" \
  "$(grep -c 'keys and entries removed' "$work/forget.txt") $(grep -c 'c-anna' "$work/forget.txt" || true)"
# Reading the state back is a test's job: as the env's admin user.
rcli() { REDISCLI_AUTH=$(cat "$env_dir/redis-ap-admin.password") redis-cli --user ap-admin -p "$AP_REDIS_PORT" "$@"; }
check "no key of the forgotten citizen is left" "0" "$(rcli --scan --pattern "$id:{c:c-anna}:*" | wc -l | tr -d ' ')"
check "the forgotten citizen is in no partition set or hash" "0" \
  "$(for k in $(rcli --scan --pattern "$id:{p:*}:*"); do
       case $k in *:citizens) rcli sismember "$k" c-anna ;; *:applied-*|*:hx) rcli hscan "$k" 0 match 'c-anna|*' count 100000 | tail -n +2 | { grep -c . || true; } ;;
                  *:dirty) rcli sscan "$k" 0 match 'c-anna|*' count 100000 | tail -n +2 | { grep -c . || true; } ;; *) echo 0 ;; esac
     done | awk '{s += $1} END {print s + 0}')"
check "the other citizens' state is untouched" "1" "$(rcli --scan --pattern "$id:{c:c-bo}:*" | grep -c ':res$')"

# It ran as the env's least-privilege Redis user, whose password is nowhere in the log.
check "connected to Redis as the ACL user" "1" "$(grep -c 'msg="started".* redis_user=ap ' "$work/processor.log")"
if grep -qF -- "$(cat "$AP_REDIS_PASSWORD_FILE")" "$work/processor.log"; then
  echo "FAIL the log contains the Redis password"; failures=$((failures + 1))
else
  echo "ok   no Redis password in the log"
fi

if [ "$failures" -ne 0 ]; then echo "--- processor log"; tail -40 "$work/processor.log"; exit 1; fi
echo "end_to_end: all checks passed"
