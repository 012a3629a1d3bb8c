#!/usr/bin/env bash
# ap-processor's HTTP endpoint for operators (issue 17 §1), against a real
# broker, Redis and Prometheus: /healthz and /readyz through start-up and
# while consuming, /metrics accepted by promtool and agreeing with what was
# emitted, a real Prometheus scraping it; --version on every binary; SIGTERM
# while waiting for Redis or Kafka at start-up exits 0 at once.
#   health.sh ENV_DIR BUILD_DIR
set -euo pipefail
env_dir=$1; build=$2
id="ap-health$$"
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../faults/lib.sh"
prom=
trap 'for p in $pid $prom; do kill -KILL "$p" 2>/dev/null || true; done; rm -rf "$work"' EXIT

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
spare_port() { # below the ephemeral range, like env.sh
  local p
  for p in $(shuf -i 20000-30000 -n 200); do port_free "$p" && { echo "$p"; return 0; }; done
  return 1
}
code() { curl -s -o /dev/null -w '%{http_code}' "$@"; }
metric() { curl -s "http://127.0.0.1:$hp/metrics" | awk -v m="$1" '$1 == m { print $2 }'; }

for b in ap-processor ap-ticker apctl ap-generate ap-replay; do
  check "$b --version names the engine version" "$b 0.1.0/format-4" "$("$build/$b" --version)"
done

# A stop while waiting for a store that is not there is a clean, prompt exit.
closed=$(spare_port)
for what in redis kafka; do
  hp=$(spare_port)
  if [ "$what" = redis ]; then env AP_REDIS_PORT="$closed" AP_HTTP_PORT="$hp" "$build/ap-processor" >> "$work/wait.log" 2>&1 &
  else env AP_KAFKA_BROKERS="127.0.0.1:$closed" AP_HTTP_PORT="$hp" "$build/ap-processor" >> "$work/wait.log" 2>&1 & fi
  pid=$!
  for _ in $(seq 50); do [ "$(code "http://127.0.0.1:$hp/healthz")" = 200 ] && break; sleep 0.1; done
  check "waiting for $what: alive" "200" "$(code "http://127.0.0.1:$hp/healthz")"
  check "waiting for $what: not ready, and why" "not ready: not consuming yet" "$(curl -s "http://127.0.0.1:$hp/readyz")"
  sleep 1
  kill -TERM "$pid"
  t0=$(date +%s%N); rc=0; wait "$pid" || rc=$?; ms=$(( ($(date +%s%N) - t0) / 1000000 ))
  pid=
  check "SIGTERM while waiting for $what exits 0" "0" "$rc"
  check "within 1.5 s" "1" "$([ "$ms" -lt 1500 ] && echo 1 || echo 0)"
  echo "     stopped in $ms ms"
done

topics "$id" >/dev/null
hp=$(spare_port)
start_processor "$id" "$id" "$id" AP_HTTP_PORT="$hp"
"$build/ap-generate" --citizens 60 --weeks 3 --seed 9 --invalid-rate 0.05 --kafka --topic-prefix "$id" 2>&1
wait_caught_up "$id" "$id" 120
sleep 2 # a fresh snapshot (published every second)
check "alive" "200" "$(code "http://127.0.0.1:$hp/healthz")"
check "ready once partitions are assigned" "ready" "$(curl -s "http://127.0.0.1:$hp/readyz")"
check "only GET" "405" "$(code -X POST "http://127.0.0.1:$hp/metrics")"
check "unknown path" "404" "$(code "http://127.0.0.1:$hp/nothing")"
curl -s "http://127.0.0.1:$hp/metrics" > "$work/metrics.txt"
check "promtool accepts the exposition" "0" "$(promtool check metrics < "$work/metrics.txt" >/dev/null 2>&1; echo $?)"
results=$("$apctl" consume --topic "$id.compliance" | wc -l)
dead=$("$apctl" consume --topic "$id.dead-letter" | wc -l)
check "results counted as emitted" "$results" "$(metric ap_results_total)"
check "dead letters by reason add up to the topic" "$dead" \
  "$(awk '/^ap_dead_letters_total\{/ { s += $2 } END { print s + 0 }' "$work/metrics.txt")"
check "every input partition assigned" "18" "$(metric ap_partitions_assigned)"
check "no lag once caught up" "0" "$(awk '/^ap_input_lag\{/ { s += $2 } END { print s + 0 }' "$work/metrics.txt")"
check "a stream clock per partition" "6" "$(grep -c '^ap_tick_watermark_age_seconds{' "$work/metrics.txt")"
check "Redis round trips counted" "1" "$([ "$(metric ap_redis_round_trips_total)" -gt 0 ] && echo 1 || echo 0)"
check "no personal data: no citizen id in the metrics" "0" "$(grep -c 'c-0' "$work/metrics.txt" || true)"

# A real Prometheus scrapes it.
pp=$(spare_port)
mkdir -p "$work/prom"
cat > "$work/prom/prometheus.yml" <<YML
global: {scrape_interval: 1s, evaluation_interval: 1s}
scrape_configs:
  - job_name: ap
    static_configs: [{targets: ["127.0.0.1:$hp"]}]
YML
promtool check config "$work/prom/prometheus.yml" >/dev/null
prometheus --config.file="$work/prom/prometheus.yml" --storage.tsdb.path="$work/prom/data" \
  --web.listen-address="127.0.0.1:$pp" > "$work/prom/log" 2>&1 &
prom=$!
query() { curl -s "http://127.0.0.1:$pp/api/v1/query" --data-urlencode "query=$1" | jq -r '.data.result[0].value[1] // empty'; }
want=$(metric ap_records_applied_total)
got=
for _ in $(seq 60); do
  got=$(query 'ap_records_applied_total{job="ap"}' 2>/dev/null || true)
  [ -n "$got" ] && break
  sleep 1
done
check "Prometheus scraped the processor (up)" "1" "$(query 'up{job="ap"}')"
check "and reads the applied count" "$want" "$got"
check "and the histograms" "1" "$([ "$(query 'sum(ap_cycle_stage_seconds_count{job="ap",stage="apply"})')" -gt 0 ] && echo 1 || echo 0)"
kill -TERM "$prom"; wait "$prom" 2>/dev/null || true; prom=

rc=0; stop_processor "$pid" || rc=$?; pid=
check "SIGTERM while running exits 0" "0" "$rc"
[ "$failures" -eq 0 ]
