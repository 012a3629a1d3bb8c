#!/usr/bin/env bash
# Benchmark (never part of the test command): a generated national-scale
# stream through the real broker, Redis and ap-processor on this machine,
# against the ceilings of the parts. Prints a table and a final JSON line.
#   tests/bench/bench.sh [--citizens 21000] [--weeks 52] [--seed 1]
# Measured: generation + load rate, the kcat consume ceiling over the same
# topics, the redis-benchmark -P 16 ceiling, end-to-end processor throughput
# (first record in to lag 0) and the processor's peak RSS; the offline replay
# (ap-replay file over the same stream exported to an Avro container file:
# the engine with in-process state, no broker, no Redis); and the latency
# from a week's closing tick to its compliance results while a stream of
# --latency-citizens citizens arrives at a steady 10,000 records/s.
# --peer (or part "peer" in --parts) adds the Kafka Streams peer of
# tests/bench/peer/ (README.md there): built with Maven, run on the same b.*
# topics under its own application.id, from its first record to lag 0 like
# ap-processor, with its peak RSS; the table gains the ratio of the two.
# Results are emitted at ticks by design (see README "Determinism"), so the
# latency of a result is measured from the tick that closed its week (the last
# input it waited for) to the result's timestamp in Kafka.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
citizens=21000; weeks=52; seed=1; lat_citizens=2000; lat_rate=10000; parts=e2e,offline,latency
while [ $# -gt 0 ]; do
  case $1 in
    --citizens) citizens=$2; shift 2 ;;
    --weeks) weeks=$2; shift 2 ;;
    --seed) seed=$2; shift 2 ;;
    --latency-citizens) lat_citizens=$2; shift 2 ;;
    --parts) parts=$2; shift 2 ;;
    --peer) parts=$parts,peer; shift ;;
    *) echo "usage: bench.sh [--citizens N] [--weeks N] [--seed N] [--latency-citizens N] [--parts e2e,offline,latency,peer] [--peer]" >&2
       exit 2 ;;
  esac
done
"$root/deploy/scripts/setup.sh" >/dev/null
cmake -S "$root" -B "$root/build" -DCMAKE_BUILD_TYPE=Release -DAP_TESTS=OFF >/dev/null
cmake --build "$root/build" -j"$(nproc)" >/dev/null
bin="$root/build"
run="$root/.run/bench"
rm -rf "$run"; mkdir -p "$run"
want() { case ",$parts," in *",$1,"*) return 0 ;; *) return 1 ;; esac; }
# The peer is built before anything is timed: offline when Maven's local
# repository has everything, else through Maven's default repositories.
peer_dir="$root/tests/bench/peer"
if want peer; then
  rm -rf "$peer_dir/target/lib"  # copy-dependencies adds, never removes
  (cd "$peer_dir" && { mvn -q -o package > "$run/peer-build.log" 2>&1 || mvn -q package >> "$run/peer-build.log" 2>&1; }) ||
    { echo "bench: building the peer failed, see $run/peer-build.log" >&2; exit 1; }
fi
offline_rate=null; offline_s=null; offline_rss=null
# Offline replay: the same stream as an exported file, through the engine with
# in-process state. Wall time includes reading the file. It runs first, before
# the broker and Redis start: an offline replay needs neither, and a broker
# still busy after the load would share the two cores with it.
if want offline; then
  "$bin/ap-generate" --citizens "$citizens" --weeks "$weeks" --seed "$seed" --invalid-rate 0.02 --export "$run/stream.avro" \
    --topic-prefix b 2>/dev/null
  /usr/bin/time -f '%M' -o "$run/offline.rss" "$bin/ap-replay" file --set replay.input="$run/stream.avro" \
    --set replay.output=/dev/null --set topic.placement=b.placement --set topic.hours=b.hours \
    --set topic.exemption=b.exemption --set log.level=info 2> "$run/offline.log" >/dev/null
  offline_rate=$(sed -n 's/.*replay done.*records_per_s=\([0-9]*\).*/\1/p' "$run/offline.log")
  offline_s=$(sed -n 's/.*replay done.*seconds=\([0-9.]*\).*/\1/p' "$run/offline.log")
  offline_rss=$(( $(cat "$run/offline.rss") / 1024 ))
  rm -f "$run/stream.avro"
fi

"$root/deploy/scripts/env.sh" start "$run/env" >/dev/null
proc=
trap '[ -z "$proc" ] || kill -TERM "$proc" 2>/dev/null || true; "$root/deploy/scripts/env.sh" stop "$run/env" >/dev/null' EXIT
# shellcheck source=/dev/null
source "$run/env/env.sh"
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }
rate() { awk -v n="$1" -v s="$2" 'BEGIN { printf "%.0f", n / s }'; }

"$bin/apctl" create-topics --partitions 6 b.placement b.hours b.exemption b.compliance b.alerts b.dead-letter b.monitoring 2>/dev/null
"$bin/apctl" create-topics --partitions 6 l.placement l.hours l.exemption l.compliance l.alerts l.dead-letter l.monitoring 2>/dev/null

t0=$(now)
"$bin/ap-generate" --citizens "$citizens" --weeks "$weeks" --seed "$seed" --invalid-rate 0.02 --kafka --topic-prefix b \
  2> "$run/gen.txt"
t1=$(now)
events=$(sed -n 's/^ap-generate: \([0-9]*\) records.*/\1/p' "$run/gen.txt")
gen_s=$(elapsed "$t0" "$t1")

# Ceiling for reading: kcat consuming the three input topics to their end, in parallel.
t0=$(now)
for t in placement hours exemption; do kcat -C -b "$AP_KAFKA_BROKERS" -t "b.$t" -o beginning -e -q -f '\n' > "$run/kcat.$t" & done
wait
t1=$(now)
kcat_records=$(cat "$run"/kcat.* | wc -l)
kcat_s=$(elapsed "$t0" "$t1")

# Ceiling for Redis: pipelined SET/GET. Its keys are outside the services'
# user's patterns, so as the env's admin; redis-benchmark takes a password only
# as an argument (a throwaway password of this private env).
redis_rps=$(redis-benchmark -p "$AP_REDIS_PORT" --user ap-admin -a "$(cat "$run/env/redis-ap-admin.password")" -P 16 -n 2000000 -t set -q 2>/dev/null | sed -n 's/.*SET: \([0-9.]*\) requests.*/\1/p' | tail -1)

# CPU seconds (user + system) a process has used so far.
cpu_s() { awk -v hz="$(getconf CLK_TCK)" '{ printf "%.2f", ($14 + $15) / hz }' "/proc/$1/stat" 2>/dev/null || echo 0; }
e2e_s=null; results=0; rss_kb=0; cpu_proc=null; cpu_redis=null; cpu_kafka=null
lat_p50=null; lat_p99=null; lat_n=0; lat_events=0

# End to end: processor from the first record to lag 0 (every output acknowledged and recorded).
if want e2e; then
  kafka_pid=$(cat "$run/env/kafka.pid"); redis_pid=$(cat "$run/env/redis.pid")
  k0=$(cpu_s "$kafka_pid"); r0=$(cpu_s "$redis_pid")
  t0=$(now)
  AP_TOPIC_PLACEMENT=b.placement AP_TOPIC_HOURS=b.hours AP_TOPIC_EXEMPTION=b.exemption AP_TOPIC_COMPLIANCE=b.compliance \
  AP_TOPIC_ALERTS=b.alerts AP_TOPIC_DEAD_LETTER=b.dead-letter AP_TOPIC_MONITORING=b.monitoring AP_GROUP_ID=bench AP_REDIS_PREFIX=ap-bench AP_STATS_INTERVAL_S=30 \
    "$bin/ap-processor" > "$run/processor.log" 2>&1 &
  proc=$!
  while :; do
    lag=$("$bin/apctl" lag --group bench --topic b.placement --topic b.hours --topic b.exemption 2>/dev/null || echo x)
    r=$(sed -n 's/VmHWM:\s*\([0-9]*\) kB/\1/p' "/proc/$proc/status" 2>/dev/null || echo 0)
    [ -n "$r" ] && [ "$r" -gt "$rss_kb" ] && rss_kb=$r
    [ "$lag" = "0" ] && break
    sleep 0.5
  done
  t1=$(now)
  cpu_proc=$(cpu_s "$proc"); cpu_kafka=$(elapsed "$k0" "$(cpu_s "$kafka_pid")"); cpu_redis=$(elapsed "$r0" "$(cpu_s "$redis_pid")")
  kill -TERM "$proc"; wait "$proc" || true; proc=
  e2e_s=$(elapsed "$t0" "$t1")
  results=$(grep -o 'results=[0-9]*' "$run/processor.log" | tail -1 | cut -d= -f2)
fi

# The peer: the Kafka Streams application on the same topics, its own
# application.id (so its own consumer group and state), from its first
# record to lag 0 measured as for ap-processor; JVM start-up, state store
# creation and its first rebalance are inside the time, as the processor's
# start and group join are.
peer_s=null; peer_rate=null; peer_results=null; peer_rss_kb=0; cpu_peer=null; cpu_kafka_peer=null; ap_vs_peer=null
if want peer; then
  "$bin/apctl" create-topics --partitions 6 b.peer-compliance 2>/dev/null
  kafka_pid=$(cat "$run/env/kafka.pid")
  k0=$(cpu_s "$kafka_pid")
  t0=$(now)
  # shellcheck disable=SC2086 # PEER_JAVA_OPTS is a list of JVM options
  java ${PEER_JAVA_OPTS:-} -cp "$peer_dir/target/peer.jar:$peer_dir/target/lib/*" dk.arbejdspligt.peer.Peer \
    brokers="$AP_KAFKA_BROKERS" prefix=b schemas="$root/schemas" state.dir="$run/peer-state" app.id=bench-peer \
    > "$run/peer.log" 2>&1 &
  proc=$!
  while :; do
    lag=$("$bin/apctl" lag --group bench-peer --topic b.placement --topic b.hours --topic b.exemption 2>/dev/null || echo x)
    r=$(sed -n 's/VmHWM:\s*\([0-9]*\) kB/\1/p' "/proc/$proc/status" 2>/dev/null || echo 0)
    [ -n "$r" ] && [ "$r" -gt "$peer_rss_kb" ] && peer_rss_kb=$r
    [ "$lag" = "0" ] && break
    kill -0 "$proc" 2>/dev/null || { echo "bench: the peer exited, see $run/peer.log" >&2; exit 1; }
    sleep 0.5
  done
  t1=$(now)
  cpu_peer=$(cpu_s "$proc"); cpu_kafka_peer=$(elapsed "$k0" "$(cpu_s "$kafka_pid")")
  kill -TERM "$proc"; wait "$proc" || true; proc=
  peer_s=$(elapsed "$t0" "$t1")
  peer_rate=$(rate "$events" "$peer_s")
  peer_results=$(grep -o 'results=[0-9]*' "$run/peer.log" | tail -1 | cut -d= -f2)
  # PEER_CHECK=1 keeps both outputs as JSON lines for tests/bench/peer/agree.sh
  # (after the timing; with the e2e part, which writes b.compliance).
  if [ "${PEER_CHECK:-0}" = 1 ]; then
    "$bin/apctl" consume --topic b.compliance --timeout-ms 5000 > "$run/ap-compliance.jsonl" 2>/dev/null || true
    kcat -C -b "$AP_KAFKA_BROKERS" -t b.peer-compliance -o beginning -e -q > "$run/peer-compliance.jsonl"
    "$peer_dir/agree.sh" "$run/ap-compliance.jsonl" "$run/peer-compliance.jsonl" > "$run/peer-agree.txt" 2>&1 || true
  fi
fi

# Latency: a fresh processor, then a steady stream at 10,000 records/s.
if want latency; then
  AP_TOPIC_PLACEMENT=l.placement AP_TOPIC_HOURS=l.hours AP_TOPIC_EXEMPTION=l.exemption AP_TOPIC_COMPLIANCE=l.compliance \
  AP_TOPIC_ALERTS=l.alerts AP_TOPIC_DEAD_LETTER=l.dead-letter AP_TOPIC_MONITORING=l.monitoring AP_GROUP_ID=latency AP_REDIS_PREFIX=ap-latency \
  AP_STATS_INTERVAL_S=30 "$bin/ap-processor" > "$run/latency.log" 2>&1 &
  proc=$!
  sleep 3
  "$bin/ap-generate" --citizens "$lat_citizens" --weeks 8 --seed "$seed" --rate "$lat_rate" --kafka --topic-prefix l \
    2> "$run/lat-gen.txt"
  until [ "$("$bin/apctl" lag --group latency --topic l.placement --topic l.hours --topic l.exemption 2>/dev/null)" = 0 ]; do
    sleep 0.5
  done
  kill -TERM "$proc"; wait "$proc" || true; proc=
  lat_events=$(sed -n 's/^ap-generate: \([0-9]*\) records.*/\1/p' "$run/lat-gen.txt")
  # Ticks are the records without a key; a result's closing tick is the latest
  # tick written before it (the generator ticks every partition at once).
  for t in placement hours exemption; do
    kcat -C -b "$AP_KAFKA_BROKERS" -t "l.$t" -o beginning -e -q -f '%T %k|\n'
  done | awk '$2 == "|" { print $1, "T" }' > "$run/ticks"
  kcat -C -b "$AP_KAFKA_BROKERS" -t l.compliance -o beginning -e -q -f '%T R\n' > "$run/results.ts"
  sort -n -k1,1 -k2,2r "$run/ticks" "$run/results.ts" | awk '$2 == "T" { tick = $1; next } tick { print $1 - tick }' |
    sort -n > "$run/latencies"
  lat_n=$(wc -l < "$run/latencies")
  pct() { [ "$lat_n" -gt 0 ] && sed -n "$(( (lat_n - 1) * $1 / 100 + 1 ))p" "$run/latencies" || echo null; }
  lat_p50=$(pct 50); lat_p99=$(pct 99)
fi

kcat_rate=$(rate "$kcat_records" "$kcat_s")
e2e_rate=null; ratio=null
if [ "$e2e_s" != null ]; then
  e2e_rate=$(rate "$events" "$e2e_s")
  ratio=$(awk -v a="$e2e_rate" -v b="$kcat_rate" 'BEGIN { printf "%.1f", 100 * a / b }')
fi
if [ "$e2e_rate" != null ] && [ "$peer_rate" != null ]; then
  ap_vs_peer=$(awk -v a="$e2e_rate" -v b="$peer_rate" 'BEGIN { printf "%.2f", a / b }')
fi
printf '\n%-44s %s\n' "machine" "$(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, $(uname -r)"
printf '%-44s %s\n' "stream" "$citizens citizens x $weeks weeks: $events records (2 % damaged)"
printf '%-44s %s\n' "generate + load into Kafka" "$(printf '%.1f' "$gen_s") s ($(rate "$events" "$gen_s") records/s)"
printf '%-44s %s\n' "kcat consume ceiling (3 topics in parallel)" "$kcat_rate records/s"
printf '%-44s %s\n' "redis-benchmark SET -P 16 ceiling" "${redis_rps:-n/a} requests/s"
printf '%-44s %s\n' "end to end (first in -> lag 0)" "$e2e_s s = $e2e_rate events/s (${ratio} % of kcat)"
printf '%-44s %s\n' "  CPU during it: processor, Redis, broker" "$cpu_proc s, $cpu_redis s, $cpu_kafka s (of $e2e_s s x $(nproc) cores)"
printf '%-44s %s\n' "compliance results emitted" "${results:-0}"
# The monthly monitoring (README Monitoring): each partition's month
# evaluations, as its log lines time them, beside the week closes.
month_ms=$(grep -o 'msg="month evaluated".* ms=[0-9.]*' "$run/processor.log" 2>/dev/null | sed 's/.* ms=//' |
  awk '{ s += $1; n++; if ($1 > m) m = $1 } END { if (n) printf "%d evaluations, %.0f ms in all, %.1f ms mean, %.1f ms longest", n, s, s / n, m; else printf "none" }')
week_ms=$(grep -o 'msg="week closed".* ms=[0-9.]*' "$run/processor.log" 2>/dev/null | sed 's/.* ms=//' |
  awk '{ s += $1; n++ } END { if (n) printf "%.1f ms mean per evaluation pass that closed a week", s / n; else printf "none" }')
printf '%-44s %s\n' "monitoring months (partition x month)" "$month_ms (week closes: $week_ms)"
printf '%-44s %s\n' "processor peak RSS" "$((rss_kb / 1024)) MiB"
printf '%-44s %s\n' "offline replay (file, in-process state)" "${offline_s:-?} s = ${offline_rate:-?} events/s, peak RSS ${offline_rss} MiB"
if want peer; then
  printf '%-44s %s\n' "peer: Kafka Streams, same topics, EOS v2" "$peer_s s = $peer_rate events/s, peak RSS $((peer_rss_kb / 1024)) MiB, ${peer_results:-0} results"
  printf '%-44s %s\n' "  CPU during it: peer, broker" "$cpu_peer s, $cpu_kafka_peer s (of $peer_s s x $(nproc) cores)"
  printf '%-44s %s\n' "ap-processor vs peer (events/s)" "${ap_vs_peer}x; peak RSS $((rss_kb / 1024)) vs $((peer_rss_kb / 1024)) MiB"
  [ ! -s "$run/peer-agree.txt" ] || sed 's/^/  peer check: /' "$run/peer-agree.txt"
fi
printf '%-44s %s\n' "latency tick -> result at $lat_rate records/s" "p50 ${lat_p50} ms, p99 ${lat_p99} ms ($lat_n results, $lat_events records, $lat_citizens citizens)"
printf '{"citizens":%s,"weeks":%s,"events":%s,"generate_rps":%s,"kcat_rps":%s,"redis_set_rps":%s,"e2e_rps":%s,"e2e_vs_kcat_pct":%s,"e2e_seconds":%s,"results":%s,"peak_rss_mib":%s,"latency_rate_rps":%s,"latency_p50_ms":%s,"latency_p99_ms":%s,"offline_rps":%s,"offline_seconds":%s,"offline_peak_rss_mib":%s,"cpu_processor_s":%s,"cpu_redis_s":%s,"cpu_kafka_s":%s,"peer_rps":%s,"peer_seconds":%s,"peer_results":%s,"peer_peak_rss_mib":%s,"cpu_peer_s":%s,"e2e_vs_peer":%s}\n' \
  "$citizens" "$weeks" "$events" "$(rate "$events" "$gen_s")" "$kcat_rate" "${redis_rps:-null}" "$e2e_rate" "$ratio" "$e2e_s" \
  "${results:-0}" "$((rss_kb / 1024))" "$lat_rate" "$lat_p50" "$lat_p99" "${offline_rate:-null}" "${offline_s:-null}" "$offline_rss" \
  "$cpu_proc" "$cpu_redis" "$cpu_kafka" "$peer_rate" "$peer_s" "${peer_results:-null}" \
  "$( [ "$peer_rate" = null ] && echo null || echo $((peer_rss_kb / 1024)))" "$cpu_peer" "$ap_vs_peer"
