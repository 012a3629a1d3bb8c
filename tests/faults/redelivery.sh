#!/usr/bin/env bash
# Redelivery: the same input published twice yields the same final results
# (and the same revisions) as the input published once; also when the second
# copy comes after the dedup horizon has forgotten most of its event ids.
#   redelivery.sh ENV_DIR BUILD_DIR
set -euo pipefail
env_dir=$1; build=$2
id="ap-redo$$"
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"
topics "$id.once"; topics "$id.twice"
gen() { "$build/ap-generate" --citizens 300 --weeks 6 --seed 5 --late-rate 0.05 --kafka --topic-prefix "$1" 2>&1; }
gen "$id.once"
gen "$id.twice"; gen "$id.twice"

start_processor "$id-once" "$id.once" "$id.once"; p1=$pid
start_processor "$id-twice" "$id.twice" "$id.twice"; p2=$pid
wait_caught_up "$id-once" "$id.once" 300
wait_caught_up "$id-twice" "$id.twice" 300
stop_processor "$p1"; stop_processor "$p2"; pid=

# Positions live in the store; the broker's committed offsets only feed lag
# monitoring, and an instance killed after its cycle's transaction leaves them
# behind. A processor of a group with no commits at all, on the same state,
# has nothing left to read: on assignment it commits the stored positions, so
# its group shows no lag, and it emits nothing again.
before=$("$apctl" consume --topic "$id.once.compliance" | wc -l)
start_processor "$id-once" "$id.once" "$id.once" AP_GROUP_ID="$id-fresh" AP_INSTANCE_ID="$id-fresh-1"
check "a fresh group on caught-up state shows no lag" "1" \
  "$(wait_caught_up "$id-fresh" "$id.once" 60 >/dev/null && echo 1 || echo 0)"
stop_processor "$pid"; pid=
check "and emits nothing again" "$before" "$("$apctl" consume --topic "$id.once.compliance" | wc -l)"

# The two runs read different topics ($id.once.hours, $id.twice.hours): compare
# the lineage without the topic prefix. The first copy of the twice-published
# stream sits at the same offsets as the once-published one, and a duplicate
# never replaces the input it repeats, so partitions, offsets and ids must match.
unprefixed() { jq -c '.inputs |= map(.topic |= sub("^.*\\."; ""))'; }
latest "$id.once.compliance" | unprefixed > "$work/once.jsonl"
latest "$id.twice.compliance" | unprefixed > "$work/twice.jsonl"
check "results exist" "1" "$([ "$(wc -l < "$work/once.jsonl")" -gt 1000 ] && echo 1 || echo 0)"
check "input published twice gives the same final results" "0" \
  "$( (diff "$work/once.jsonl" "$work/twice.jsonl" || true) | grep -c '^[<>]' || true)"
check "and the same revisions" \
  "$("$apctl" consume --topic "$id.once.compliance" | jq -r .event_id | sort -u | md5sum)" \
  "$("$apctl" consume --topic "$id.twice.compliance" | jq -r .event_id | sort -u | md5sum)"
check "the duplicates were recognised as such" "1" \
  "$(grep -q 'duplicates=[1-9]' "$work/$id-twice.log" && echo 1 || echo 0)"

# Redelivery after the dedup horizon (issue 15 §5): ids are remembered for one
# to two closed weeks only, and the whole stream comes again once the
# processor has closed all six weeks. Most ids are forgotten by then; the
# versions in the state alone keep the copy a no-op: the same results and
# revisions as the stream published once, the copy counted as superseded.
topics "$id.later"
gen "$id.later"
start_processor "$id-later" "$id.later" "$id.later" AP_DEDUP_HORIZON_WEEKS=1; p3=$pid
wait_caught_up "$id-later" "$id.later" 300
gen "$id.later"
sleep 2
wait_caught_up "$id-later" "$id.later" 300
stop_processor "$p3"; pid=
latest "$id.later.compliance" | unprefixed > "$work/later.jsonl"
check "input published again after the horizon gives the same final results" "0" \
  "$( (diff "$work/once.jsonl" "$work/later.jsonl" || true) | grep -c '^[<>]' || true)"
check "and the same revisions" \
  "$("$apctl" consume --topic "$id.once.compliance" | jq -r .event_id | sort -u | md5sum)" \
  "$("$apctl" consume --topic "$id.later.compliance" | jq -r .event_id | sort -u | md5sum)"
superseded() { grep -o 'superseded=[0-9]*' "$work/$1.log" | tail -1 | cut -d= -f2; }
check "the forgotten ids' records were superseded by their own versions" "1" \
  "$([ "$(superseded "$id-later")" -gt $(( $(superseded "$id-once") + 1000 )) ] && echo 1 || echo 0)"
echo "superseded: once $(superseded "$id-once"), published again after the horizon $(superseded "$id-later")"
check "and nothing was applied twice" "$(grep -o 'applied=[0-9]*' "$work/$id-twice.log" | tail -1)" \
  "$(grep -o 'applied=[0-9]*' "$work/$id-later.log" | tail -1)"
[ "$failures" -eq 0 ]
