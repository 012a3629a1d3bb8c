#!/usr/bin/env bash
# Rebalance: a second processor joins the group mid-run (half the lanes move
# to it) and leaves again (they move back to the first, which must not trust
# what it cached of them before: the entity cache is dropped on assignment;
# this run need not reach a stale entry, integration_store's
# the_entity_cache_forgets_on_request proves the drop itself);
# a third joins, then the first is stopped with SIGTERM (its lanes move to the
# third). The final results and the revisions emitted must equal an
# undisturbed run's.
#   rebalance.sh ENV_DIR BUILD_DIR
set -euo pipefail
env_dir=$1; build=$2
id="ap-move$$"
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"
a=; b=
trap 'for p in $pid $a $b; do kill -KILL "$p" 2>/dev/null || true; done; rm -rf "$work"' EXIT
topics "$id"; topics "$id.ref"; topics "$id.run"
"$build/ap-generate" --citizens 1000 --weeks 8 --seed 3 --late-rate 0.03 --kafka --topic-prefix "$id" 2>&1

start_processor "$id-ref" "$id" "$id.ref"
wait_caught_up "$id-ref" "$id" 300
stop_processor "$pid"; pid=

start_processor "$id-run" "$id" "$id.run" AP_BATCH_SIZE=50; a=$pid
sleep 2
start_processor "$id-run" "$id" "$id.run" AP_BATCH_SIZE=50 AP_INSTANCE_ID="$id-run-2"; b=$pid
sleep 4
rc=0; stop_processor "$b" || rc=$?; b=
check "the second instance left the group cleanly (exit 0)" "0" "$rc"
sleep 2
start_processor "$id-run" "$id" "$id.run" AP_BATCH_SIZE=50 AP_INSTANCE_ID="$id-run-3"; b=$pid
sleep 4
rc=0; stop_processor "$a" || rc=$?; a=
check "the first instance left the group cleanly (exit 0)" "0" "$rc"
wait_caught_up "$id-run" "$id" 300
stop_processor "$b"; b=; pid=
check "partitions moved between the instances" "1" \
  "$([ "$(grep -c 'partition revoked' "$work/$id-run.log")" -gt 0 ] && echo 1 || echo 0)"

latest "$id.ref.compliance" > "$work/ref.jsonl"
latest "$id.run.compliance" > "$work/run.jsonl"
check "results exist" "1" "$([ "$(wc -l < "$work/ref.jsonl")" -gt 5000 ] && echo 1 || echo 0)"
check "final results equal an undisturbed run" "0" "$( (diff "$work/ref.jsonl" "$work/run.jsonl" || true) | grep -c '^[<>]' || true)"
check "the same revisions were emitted (by event id)" \
  "$("$apctl" consume --topic "$id.ref.compliance" | jq -r .event_id | sort -u | md5sum)" \
  "$("$apctl" consume --topic "$id.run.compliance" | jq -r .event_id | sort -u | md5sum)"
[ "$failures" -eq 0 ]
