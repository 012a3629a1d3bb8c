#!/usr/bin/env bash
# Outages mid-run: the broker is stopped for 30 s, and Redis is killed with
# kill -9 and restarted from its AOF, while the processor runs. It must
# recover by itself (same process, no restart) and the final results must
# equal those of an undisturbed run.
#   outage.sh ENV_DIR BUILD_DIR
set -euo pipefail
env_dir=$1; build=$2
id="ap-down$$"
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
source "$here/lib.sh"
env_sh="$root/deploy/scripts/env.sh"
topics "$id"; topics "$id.ref"; topics "$id.run"
gen() { "$build/ap-generate" --citizens 500 --weeks 8 --seed 9 --late-rate 0.05 --kafka --topic-prefix "$id" "$@" 2>&1; }

gen --weeks 4
# Small batches keep the processor busy long enough for the faults to hit mid-run.
start_processor "$id-run" "$id" "$id.run" AP_BATCH_SIZE=20
run=$pid
sleep 2
"$env_sh" kafka-stop "$env_dir"
sleep 30
check "the processor survived 30 s without a broker" "alive" "$(kill -0 "$run" 2>/dev/null && echo alive || echo dead)"
"$env_sh" kafka-start "$env_dir"
# Redis dies (kill -9) and the second half arrives while it is down, so the
# processor meets the outage with work in hand; then Redis restarts from its AOF.
"$env_sh" redis-kill "$env_dir"
gen --from-week 4
# Wait until the processor has met the outage with that work: after the broker
# restart its consumer may take a while to fetch again (reconnect backoff,
# group rejoin), and a fixed sleep let Redis come back before it noticed.
met=0
for _ in $(seq 1 "${OUTAGE_MEET_S:-120}"); do
  grep -Eq "cycle failed|state store unavailable|redis unavailable" "$work/$id-run.log" && { met=1; break; }
  sleep 1
done
sleep 2 # and keeps retrying a little while Redis stays down
check "the processor met the Redis outage with work in hand" "1" "$met"
check "the processor survived Redis being killed" "alive" "$(kill -0 "$run" 2>/dev/null && echo alive || echo dead)"
"$env_sh" redis-start "$env_dir"
wait_caught_up "$id-run" "$id" "${OUTAGE_WAIT:-600}"
check "it recovered by itself (same process)" "alive" "$(kill -0 "$run" 2>/dev/null && echo alive || echo dead)"
rc=0; stop_processor "$run" || rc=$?; pid=
check "SIGTERM exits 0" "0" "$rc"
# Either path is a recovery: a failed cycle rewinds the consumer to the stored
# positions; a rebalance met while Redis was down (the broker restart causes
# one) recreates the consumer once Redis answers.
grep -Eq "rewinding the consumer|consumer must be recreated|redis unavailable, retrying" "$work/$id-run.log" &&
  echo "ok   it noticed the Redis outage and recovered (rewind or consumer re-creation logged)" ||
  { echo "FAIL no Redis recovery logged"; failures=$((failures + 1)); }

start_processor "$id-ref" "$id" "$id.ref"
wait_caught_up "$id-ref" "$id" 600
stop_processor "$pid"; pid=
latest "$id.ref.compliance" > "$work/ref.jsonl"
latest "$id.run.compliance" > "$work/run.jsonl"
check "results exist" "1" "$([ "$(wc -l < "$work/ref.jsonl")" -gt 2000 ] && echo 1 || echo 0)"
check "final results equal an undisturbed run" "0" "$( (diff "$work/ref.jsonl" "$work/run.jsonl" || true) | grep -c '^[<>]' || true)"
# (set -e and pipefail: diff's status 1 must not end the script before the log is shown)
[ "$failures" -eq 0 ] || {
  diff "$work/ref.jsonl" "$work/run.jsonl" | cut -c1-600 | head -8 || true
  grep -E 'warn|error' "$work/$id-run.log" | grep -v librdkafka | tail -20 || true
  exit 1
}
