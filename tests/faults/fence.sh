#!/usr/bin/env bash
# Fencing (README Partition ownership): instance A of a group of two is frozen
# in the middle of a cycle, with SIGSTOP, past its session timeout; B takes
# its partitions (claiming new epochs) and processes further records; then A
# is resumed and finishes its cycle. A must write nothing: every key of the
# namespace but the epochs is the same before and after it resumes, A logs
# that it was fenced, and the final results and the revisions emitted equal
# an undisturbed single-instance run's.
#
# "In the middle of a cycle" is made certain, not left to timing: A talks to
# Redis through hold_proxy.py. Once part 1 is processed the proxy starts
# holding A's requests and part 2 is published; A's first request for it
# (A has polled records, so it is inside ap_processor_process) is held, and A
# is stopped while it waits for the answer.
#
# "Writes nothing" is watched, not inferred from the end state: from just
# before A resumes until it has rejoined, Redis's keyspace notifications for
# the namespace are recorded, and no key but the epochs may be touched. (The
# end state alone is not enough: a stale A that is not refused may go on to
# write the same final positions B wrote, and an equal digest would hide it.) The held request reaches Redis
# only after B has claimed A's partitions and processed parts 2 and 3, so
# without fencing A's stale cycle goes on and commits its older clocks and
# positions over B's. Tried with the checks taken out of store_redis.c: A
# then rejoined on the positions it had moved back, and the group never
# caught up again (lag 1176 after 300 s; the test fails at that wait).
#   fence.sh ENV_DIR BUILD_DIR
set -euo pipefail
env_dir=$1; build=$2
id="ap-fence$$"
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"
a=; b=; proxy=; watcher=
trap 'for p in $pid $a $b $proxy $watcher; do kill -CONT "$p" 2>/dev/null || true; kill -KILL "$p" 2>/dev/null || true; done
      redis_admin CONFIG SET notify-keyspace-events "" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
# show_logs: what the two instances logged (but the routine lines), for a failure.
show_logs() {
  for log in a b; do
    echo "--- $log.log"; grep -v 'week closed\|partition assigned\|partition revoked\|progress\|month evaluated' "$work/$log.log" | tail -25 | cut -c1-400
  done
}
# caught_up: wait_caught_up for the run's group, showing both instances' logs if it never does.
caught_up() {
  wait_caught_up "$run" "$id" 300 && return 0
  show_logs
  exit 1
}
topics "$id"; topics "$id.ref"; topics "$id.run"
gen() { "$build/ap-generate" --citizens 600 --weeks 8 --seed 11 --late-rate 0.03 --kafka --topic-prefix "$id" "$@" 2>&1; }
run="$id-run"

# snapshot: every key of the run's namespace but the epochs, with its DUMP, as one digest.
snapshot() {
  redis_admin --scan --pattern "$run:*" | grep -v ':epoch$' | sort > "$work/keys"
  sed 's/^/DUMP /' "$work/keys" | redis_admin --no-raw | paste -d' ' "$work/keys" - | md5sum | cut -d' ' -f1
}
# wait_for FILE PATTERN SECONDS: until PATTERN is in FILE.
wait_for() {
  local deadline=$((SECONDS + $3))
  while [ $SECONDS -lt "$deadline" ]; do
    grep -q "$2" "$1" 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}

mkdir "$work/proxy"
python3 "$here/hold_proxy.py" "$AP_REDIS_PORT" "$work/proxy" 900 & proxy=$!
for _ in $(seq 1 100); do [ -f "$work/proxy/port" ] && break; sleep 0.1; done
proxy_port=$(cat "$work/proxy/port")

gen --weeks 3
LOG_AS=a start_processor "$run" "$id" "$id.run" AP_BATCH_SIZE=50 AP_INSTANCE_ID="$run-a" AP_REDIS_PORT="$proxy_port"; a=$pid
# B once A has claimed the namespace: two processors starting at the same moment
# on an empty namespace can see each other's first key before the layout key.
wait_for "$work/a.log" 'partition claimed' 60 || true
LOG_AS=b start_processor "$run" "$id" "$id.run" AP_BATCH_SIZE=50 AP_INSTANCE_ID="$run-b"; b=$pid
caught_up
check "A claimed partitions (an epoch each)" "1" "$(grep -q 'partition claimed' "$work/a.log" && echo 1 || echo 0)"

# A is frozen inside a cycle: its first Redis request for part 2 is held.
touch "$work/proxy/hold"
gen --from-week 3 --weeks 5
held=0
for _ in $(seq 1 1200); do [ -f "$work/proxy/held" ] && { held=1; break; }; sleep 0.1; done
check "A polled part 2 and waits for Redis in the middle of a cycle" "1" "$held"
kill -STOP "$a" || { echo "FAIL A is not running"; show_logs; exit 1; }
# Past the session timeout (6 s) B gets A's partitions and processes part 2 and 3.
caught_up
gen --from-week 5
caught_up
claims_b=$(grep -c 'partition claimed' "$work/b.log" || true)
check "B claimed A's partitions too (more claims than its first share)" "1" "$([ "$claims_b" -gt 3 ] && echo 1 || echo 0)"
before=$(snapshot)

# A resumes with its stale cycle: the held request reaches Redis, after B's claims.
redis_admin CONFIG SET notify-keyspace-events KA >/dev/null
redis_admin --csv PSUBSCRIBE "__keyspace@0__:$run:*" > "$work/events" 2>&1 & watcher=$!
sleep 0.5
rm "$work/proxy/hold"
sleep 1
kill -CONT "$a"
fenced=0; wait_for "$work/a.log" 'fenced: ' 120 && fenced=1 || true
check "A was fenced (log says a partition is owned by a newer epoch)" "1" "$fenced"
check "A is still running (it rejoins)" "alive" "$(kill -0 "$a" 2>/dev/null && echo alive || echo dead)"
caught_up
sleep 5 # A rejoins and is assigned partitions again: nothing is left to process
after=$(snapshot)
kill "$watcher" 2>/dev/null || true; wait "$watcher" 2>/dev/null || true; watcher=
redis_admin CONFIG SET notify-keyspace-events "" >/dev/null
check "the keyspace was watched" "1" "$(grep -c '^"psubscribe"' "$work/events" || true)"
writes=$(grep '^"pmessage"' "$work/events" | grep -vc ':epoch","' || true)
check "A wrote nothing after it resumed: no key but the epochs was touched" "0" "$writes"
[ "$writes" = "0" ] || grep '^"pmessage"' "$work/events" | grep -v ':epoch","' | cut -d, -f3- | sort | uniq -c | sort -rn | head -5
check "every key but the epochs is unchanged" "$before" "$after"
grep 'fenced' "$work/a.log" | head -3 | cut -c1-300 || true

rc=0; stop_processor "$a" || rc=$?; a=
check "A exits 0 on SIGTERM" "0" "$rc"
rc=0; stop_processor "$b" || rc=$?; b=; pid=
check "B exits 0 on SIGTERM" "0" "$rc"
kill "$proxy" 2>/dev/null || true; wait "$proxy" 2>/dev/null || true; proxy=

start_processor "$id-ref" "$id" "$id.ref"
wait_caught_up "$id-ref" "$id" 300
stop_processor "$pid"; pid=
latest "$id.ref.compliance" > "$work/ref.jsonl"
latest "$id.run.compliance" > "$work/run.jsonl"
check "results exist" "1" "$([ "$(wc -l < "$work/ref.jsonl")" -gt 2000 ] && echo 1 || echo 0)"
check "final results equal an undisturbed run" "0" "$( (diff "$work/ref.jsonl" "$work/run.jsonl" || true) | grep -c '^[<>]' || true)"
check "the same revisions were emitted (by event id)" \
  "$("$apctl" consume --topic "$id.ref.compliance" | jq -r .event_id | sort -u | md5sum)" \
  "$("$apctl" consume --topic "$id.run.compliance" | jq -r .event_id | sort -u | md5sum)"
[ "$failures" -eq 0 ] || { show_logs; exit 1; }
