#!/usr/bin/env bash
# Crash soak: a generated stream (>= 200,000 events, >= 2,000 citizens, late
# corrections, ~1 % damaged records) is processed once undisturbed and once
# while the processor is kill -9-ed at random points at least 20 times and
# restarted. The final compliance results must be equal, field for field.
#   crash_soak.sh ENV_DIR BUILD_DIR
set -euo pipefail
env_dir=$1; build=$2
id="ap-soak$$"
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"
CITIZENS=${SOAK_CITIZENS:-2000}; WEEKS=${SOAK_WEEKS:-15}; KILLS=${SOAK_KILLS:-20}

topics "$id"; topics "$id.ref"; topics "$id.run"
"$build/ap-generate" --citizens "$CITIZENS" --weeks "$WEEKS" --seed 11 --invalid-rate 0.01 --late-rate 0.02 \
  --kafka --topic-prefix "$id" 2> "$work/gen.txt"
cat "$work/gen.txt"
events=$(sed -n 's/^ap-generate: \([0-9]*\) records.*/\1/p' "$work/gen.txt")

t0=$SECONDS
start_processor "$id-ref" "$id" "$id.ref"
wait_caught_up "$id-ref" "$id" 900
stop_processor "$pid"; pid=
echo "reference run: $((SECONDS - t0)) s"

t0=$SECONDS
kills=0
RANDOM=42
start_processor "$id-run" "$id" "$id.run"
while [ $kills -lt "$KILLS" ]; do
  sleep "$((RANDOM % 25 / 10)).$((RANDOM % 10))"
  kill -KILL "$pid"; wait "$pid" 2>/dev/null || true
  kills=$((kills + 1))
  start_processor "$id-run" "$id" "$id.run"
done
wait_caught_up "$id-run" "$id" 900
stop_processor "$pid"; pid=
echo "disturbed run: $((SECONDS - t0)) s"

latest "$id.ref.compliance" > "$work/ref.jsonl"
latest "$id.run.compliance" > "$work/run.jsonl"
results=$(wc -l < "$work/ref.jsonl")
mismatches=$( (diff "$work/ref.jsonl" "$work/run.jsonl" || true) | grep -c '^[<>]' || true)
revised=$(jq -c 'select(.revision > 1)' "$work/ref.jsonl" | wc -l)
total_run=$("$apctl" consume --topic "$id.run.compliance" --timeout-ms 60000 | wc -l)
distinct_run=$("$apctl" consume --topic "$id.run.compliance" --timeout-ms 60000 | jq -r .event_id | sort -u | wc -l)
distinct_ref=$("$apctl" consume --topic "$id.ref.compliance" --timeout-ms 60000 | jq -r .event_id | sort -u | wc -l)
dead_ref=$("$apctl" consume --topic "$id.ref.dead-letter" --timeout-ms 60000 | jq -r .event_id | sort -u | wc -l)
dead_run=$("$apctl" consume --topic "$id.run.dead-letter" --timeout-ms 60000 | jq -r .event_id | sort -u | wc -l)

echo "crash soak: kills=$kills events=$events citizen_weeks=$results revised=$revised mismatches=$mismatches" \
     "run_records=$total_run (re-emitted duplicates: $((total_run - distinct_run)))"
check "at least 200000 events" "1" "$([ "$events" -ge 200000 ] && echo 1 || echo 0)"
check "at least 20 kills" "1" "$([ "$kills" -ge 20 ] && echo 1 || echo 0)"
check "results exist" "1" "$([ "$results" -ge $((CITIZENS * (WEEKS - 2))) ] && echo 1 || echo 0)"
check "late corrections made revisions" "1" "$([ "$revised" -gt 0 ] && echo 1 || echo 0)"
check "final results equal field for field" "0" "$mismatches"
check "the same revisions were emitted (by event id)" "$distinct_ref" "$distinct_run"
check "the same dead letters" "$dead_ref" "$dead_run"
[ "$mismatches" -eq 0 ] || diff "$work/ref.jsonl" "$work/run.jsonl" | head -10
[ "$failures" -eq 0 ] || { tail -20 "$work/$id-run.log"; exit 1; }
