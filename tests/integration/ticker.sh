#!/usr/bin/env bash
# ap-ticker (issue 17 §2, §3): ticks on every partition of every input topic
# at multiples of the interval behind the wall clock, the same tick written
# twice has the same id, systemd's notification protocol (READY, WATCHDOG,
# STOPPING) from the ticker and the processor, weeks closed by the ticker
# alone, and the systemd units pass `systemd-analyze verify`.
#   ticker.sh ENV_DIR BUILD_DIR
set -euo pipefail
env_dir=$1; build=$2
id="ap-tick$$"
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
source "$here/../faults/lib.sh"
listener=
trap 'for p in $pid $listener; do kill -KILL "$p" 2>/dev/null || true; done; rm -rf "$work"' EXIT
PARTITIONS=3 topics "$id" >/dev/null
ticker() { # a one-off ticker never talks to the notification socket of the service under test
  env -u NOTIFY_SOCKET AP_TOPIC_PLACEMENT="$id.placement" AP_TOPIC_HOURS="$id.hours" AP_TOPIC_EXEMPTION="$id.exemption" "$@" \
    "$build/ap-ticker" >> "$work/ticker.log" 2>&1
}
ticks() { "$apctl" consume --topic "$id.$1" | jq -c 'select(.schema == "StreamTick")'; }
# listen FILE: a stand-in for systemd's notification socket; sets NOTIFY_SOCKET.
listen() {
  export NOTIFY_SOCKET="$work/notify-$1.sock"
  "$root/tests/support/notify_listener.py" "$NOTIFY_SOCKET" "$work/$1.notify" & listener=$!
  for _ in $(seq 50); do [ -S "$NOTIFY_SOCKET" ] && break; sleep 0.1; done
}
unlisten() { kill -TERM "$listener"; wait "$listener" 2>/dev/null || true; listener=; unset NOTIFY_SOCKET; }

# One round: a tick on each of the 9 partitions, at a whole hour behind the clock.
before=$(date +%s)
ticker AP_TICKER_ONCE=1 AP_TICKER_INTERVAL_S=3600 AP_TICKER_DELAY_S=0
for t in placement hours exemption; do
  check "one round ticks every partition of $t" "3" "$(ticks "$t" | wc -l)"
done
at=$(ticks hours | jq -r '.occurred_at' | sort -u)
check "one tick time" "1" "$(echo "$at" | wc -l)"
at_s=$(date -d "$at" +%s)
check "at a whole hour" "0" "$((at_s % 3600))"
check "no later than the clock, less than an hour behind" "1" \
  "$([ "$at_s" -le "$before" ] && [ $((before - at_s)) -lt 3600 ] && echo 1 || echo 0)"
check "source named" "ap-ticker" "$(ticks hours | jq -r '.source_system' | sort -u)"
# Written again in the same hour: the same ids (a tick is idempotent).
ticker AP_TICKER_ONCE=1 AP_TICKER_INTERVAL_S=3600 AP_TICKER_DELAY_S=0
if [ "$(ticks hours | jq -r '.occurred_at' | sort -u | wc -l)" = 1 ]; then
  check "the same tick again has the same event ids" "3" "$(ticks hours | jq -r '.event_id' | sort -u | wc -l)"
fi
check "a round that cannot be delivered fails, not hangs" "1" \
  "$(env AP_KAFKA_BROKERS=127.0.0.1:1 AP_TICKER_ONCE=1 timeout 90 "$build/ap-ticker" >/dev/null 2>&1; echo $?)"

# Running: a round per second, each later than the last; systemd told it is
# ready, fed the watchdog, told it stops; SIGTERM exits 0.
listen ticker
env WATCHDOG_USEC=600000 AP_TOPIC_PLACEMENT="$id.placement" AP_TOPIC_HOURS="$id.hours" \
  AP_TOPIC_EXEMPTION="$id.exemption" AP_TICKER_INTERVAL_S=1 AP_TICKER_DELAY_S=0 \
  "$build/ap-ticker" >> "$work/ticker.log" 2>&1 & pid=$!
sleep 3.5
kill -TERM "$pid"; rc=0; wait "$pid" || rc=$?; pid=
unlisten
check "SIGTERM exits 0" "0" "$rc"
check "READY=1 once" "1" "$(grep -c '^READY=1$' "$work/ticker.notify")"
check "the watchdog fed" "1" "$([ "$(grep -c '^WATCHDOG=1$' "$work/ticker.notify")" -ge 4 ] && echo 1 || echo 0)"
check "STOPPING=1" "1" "$(grep -c '^STOPPING=1$' "$work/ticker.notify")"
per_part=$(ticks hours | jq -r 'select(.occurred_at | test(":00:00.000Z$") | not) | .occurred_at' | sort -u | wc -l)
check "a round per second" "1" "$([ "$per_part" -ge 3 ] && echo 1 || echo 0)"

# The processor closes weeks on the ticker's ticks alone: a stream of two
# weeks in January 2026 and the ticker's "now" give results for every week
# up to the last one ended (plus grace) before now.
"$build/ap-generate" --citizens 12 --weeks 2 --seed 4 --kafka --topic-prefix "$id" >/dev/null 2>&1
listen processor
env WATCHDOG_USEC=1000000 AP_TOPIC_PLACEMENT="$id.placement" AP_TOPIC_HOURS="$id.hours" \
  AP_TOPIC_EXEMPTION="$id.exemption" AP_TOPIC_COMPLIANCE="$id.compliance" AP_TOPIC_ALERTS="$id.alerts" \
  AP_TOPIC_DEAD_LETTER="$id.dead-letter" AP_TOPIC_MONITORING="$id.monitoring" AP_GROUP_ID="$id" AP_REDIS_PREFIX="$id" \
  "$build/ap-processor" >> "$work/processor.log" 2>&1 & pid=$!
ticker AP_TICKER_ONCE=1 AP_TICKER_INTERVAL_S=60 AP_TICKER_DELAY_S=0
wait_caught_up "$id" "$id" 120 >/dev/null
weeks=0
for _ in $(seq 60); do
  weeks=$("$apctl" consume --topic "$id.compliance" | jq -r '"\(.iso_year)-\(.iso_week)"' | sort -u | wc -l)
  [ "$weeks" -gt 40 ] && break
  sleep 1
done
check "weeks closed up to now by the ticker's tick (more than the stream's 2)" "1" \
  "$([ "$weeks" -gt 40 ] && echo 1 || echo 0)"
echo "     weeks with results: $weeks"
sleep 1.5
kill -TERM "$pid"; rc=0; wait "$pid" || rc=$?; pid=
unlisten
check "processor: SIGTERM exits 0" "0" "$rc"
check "processor: READY=1 once consuming" "1" "$(grep -c '^READY=1$' "$work/processor.notify")"
check "processor: the watchdog fed" "1" "$([ "$(grep -c '^WATCHDOG=1$' "$work/processor.notify")" -ge 2 ] && echo 1 || echo 0)"
check "processor: STOPPING=1" "1" "$(grep -c '^STOPPING=1$' "$work/processor.notify")"

# The units: systemd's own checker, with the binaries where the test has them.
sed -e "s#/usr/local/bin/apctl#$build/apctl#" "$root/deploy/systemd/ap-followup.service" > "$work/ap-followup.service"
cp "$root/deploy/systemd/ap-followup.timer" "$work/ap-followup.timer"
check "ap-followup.service and .timer pass systemd-analyze verify" "0" \
  "$(systemd-analyze verify "$work/ap-followup.service" "$work/ap-followup.timer" > "$work/followup.verify" 2>&1; echo $?)"
check "ap-followup.service is a hardened oneshot" "1 1 1" \
  "$(grep -c '^Type=oneshot' "$work/ap-followup.service") $(grep -c '^DynamicUser=yes' "$work/ap-followup.service") $(grep -c '^CapabilityBoundingSet=$' "$work/ap-followup.service")"
for u in ap-processor ap-ticker; do
  sed -e "s#/usr/local/bin/$u#$build/$u#" "$root/deploy/systemd/$u.service" > "$work/$u.service"
  check "$u.service passes systemd-analyze verify" "0" \
    "$(systemd-analyze verify "$work/$u.service" > "$work/$u.verify" 2>&1; echo $?)"
  for key in Type=notify WatchdogSec= DynamicUser=yes ProtectSystem=strict NoNewPrivileges=yes CapabilityBoundingSet=; do
    check "$u.service has $key" "1" "$(grep -c "^$key" "$work/$u.service")"
  done
done
[ "$failures" -eq 0 ]
