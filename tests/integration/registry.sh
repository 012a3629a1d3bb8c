#!/usr/bin/env bash
# Registry framing (issue 17 §4): a processor with output.framing=registry
# registers its output schemas in a real schema registry (Apicurio Registry,
# tests/registry/start.sh) and writes 0x00 + schema id + the Avro body; a
# standard consumer (confluent-kafka's AvroDeserializer through the registry)
# reads results and alerts equal, field by field, to what a default-mode
# processor over the same stream writes as `apctl consume` reads it. The
# bodies are the same bytes in both framings; apctl consume --registry-url
# reads the framed topics too; an unreachable registry is waited for and a
# stop while waiting is clean.
#   registry.sh ENV_DIR BUILD_DIR
# The first run builds the registry and the Python environment (downloads);
# later runs reuse both.
set -euo pipefail
env_dir=$1; build=$2
id="ap-reg$$"
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
source "$here/../faults/lib.sh"
reg_dir="$build/registry-apicurio"
pid_a=
trap 'for p in $pid $pid_a; do kill -KILL "$p" 2>/dev/null || true; done
      [ -f "$reg_dir/registry.pid" ] && kill "$(cat "$reg_dir/registry.pid")" 2>/dev/null; rm -rf "$work"' EXIT
py=$("$root/deploy/scripts/pyenv.sh" "$build/pyenv-registry" "$root/tests/registry/requirements.txt")/bin/python
url=$("$root/tests/registry/start.sh" "$reg_dir")
echo "registry at $url"

# An unreachable registry is waited for (the processor logs and retries), and
# a stop while waiting exits 0. A port nobody listens on.
dead_port=${url#http://127.0.0.1:}; dead_port=$(( ${dead_port%%/*} + 1 ))
PARTITIONS=3 topics "$id" >/dev/null
PARTITIONS=3 topics "$id-r" >/dev/null
"$apctl" create-topics --partitions 3 "$id-r.latest" "$id-r.compliance-json" >/dev/null
start_processor "$id-wait" "$id" "$id-r" AP_OUTPUT_FRAMING=registry AP_REGISTRY_URL="http://127.0.0.1:$dead_port"
for _ in $(seq 50); do grep -q "schema registry unavailable, retrying" "$work/$id-wait.log" && break; sleep 0.2; done
check "an unreachable registry is retried" "1" "$(grep -c -m1 "schema registry unavailable, retrying" "$work/$id-wait.log")"
rc=0; stop_processor "$pid" || rc=$?; pid=
check "a stop while waiting for the registry exits 0" "0" "$rc"
# A registry that refuses (here a 404: no such API under that path) needs an operator: exit 2.
start_processor "$id-refused" "$id" "$id-r" AP_OUTPUT_FRAMING=registry AP_REGISTRY_URL="${url%/apis/ccompat/v7}/nope"
rc=0; timeout 60 tail --pid="$pid" -f /dev/null; wait "$pid" || rc=$?; pid=
check "a refusal by the registry stops the processor with exit 2" "2" "$rc"
check "saying so" "1" "$(grep -c -m1 'schema registry refused a schema' "$work/$id-refused.log")"
rc=0; env AP_OUTPUT_FRAMING=registry AP_REGISTRY_URL="https://127.0.0.1:1" "$build/ap-processor" >/dev/null 2>&1 || rc=$?
check "https is refused as a setting" "2" "$rc"

"$build/ap-generate" --citizens 20 --weeks 4 --seed 17 --kafka --topic-prefix "$id" --partitions 3 >/dev/null 2>&1
# The same input, two processors: the default framing into $id.*, registry framing into $id-r.*.
start_processor "$id-a" "$id" "$id"; pid_a=$pid
# ...and in registry framing the latest-result topic framed too, the JSON mirror as it is.
start_processor "$id-b" "$id" "$id-r" AP_OUTPUT_FRAMING=registry AP_REGISTRY_URL="$url" \
  AP_TOPIC_LATEST="$id-r.latest" AP_TOPIC_COMPLIANCE_JSON="$id-r.compliance-json"
wait_caught_up "$id-a" "$id" 90
wait_caught_up "$id-b" "$id" 90
stop_processor "$pid_a"; pid_a=
stop_processor "$pid"; pid=
grep "schema registered" "$work/$id-b.log" | cut -c1-200

for t in compliance alerts monitoring; do
  "$apctl" consume --topic "$id.$t" > "$work/$t.jsonl"
done
n=$(wc -l < "$work/compliance.jsonl")
check "results and alerts exist" "1" "$([ "$n" -gt 20 ] && [ -s "$work/alerts.jsonl" ] && echo 1 || echo 0)"

# The subjects (TopicNameStrategy) and their ids, as the registry tells them.
subjects=$(curl -sf "$url/subjects" | jq -r '.[]' | grep "^$id-r\." | sort | tr '\n' ' ')
check "subjects <topic>-value registered" \
  "$id-r.alerts-value $id-r.compliance-value $id-r.dead-letter-value $id-r.latest-value $id-r.monitoring-value " "$subjects"
want_id=$(curl -sf "$url/subjects/$id-r.compliance-value/versions/latest" | jq -r .id)

# Same bodies: the framed records are the single-object ones with the header swapped.
"$apctl" consume --topic "$id.compliance" --hex | awk '{ print $2, substr($3, 21) }' | sort > "$work/so.txt"
"$apctl" consume --topic "$id-r.compliance" --hex | awk '{ print $2, substr($3, 11) }' | sort > "$work/framed.txt"
check "framed records carry the same Avro bodies" "$(md5sum < "$work/so.txt")" "$(md5sum < "$work/framed.txt")"
check "and the header 00 + the subject's id" "$(printf '00%08x' "$want_id")" \
  "$("$apctl" consume --topic "$id-r.compliance" --hex | awk '{ print substr($3, 1, 10) }' | sort -u)"

# The standard consumer, through the registry (the monthly partials too:
# nested records, a null municipality in lane records).
for t in compliance alerts monitoring; do
  out=$("$py" "$root/tests/registry/compare.py" --brokers "$AP_KAFKA_BROKERS" --registry "$url" \
        --topic "$id-r.$t" --expected "$work/$t.jsonl" --group "$id-py-$t" 2>&1) && ok=1 || ok=0
  echo "$out" | tail -12
  check "confluent-kafka's AvroDeserializer reads the $t equal to the default mode's" "1" "$ok"
done

# apctl consume reads the framed topic through the registry, to the same JSON.
"$apctl" consume --topic "$id-r.alerts" --registry-url "$url" > "$work/alerts-r.jsonl"
check "apctl consume --registry-url reads framed records" \
  "$(jq -cS . "$work/alerts.jsonl" | sort | md5sum)" "$(jq -cS . "$work/alerts-r.jsonl" | sort | md5sum)"
check "monthly partials exist, framed and read through the registry equal to the default mode's" \
  "1 $(jq -cS . "$work/monitoring.jsonl" | sort | md5sum)" \
  "$([ -s "$work/monitoring.jsonl" ] && echo 1 || echo 0) $("$apctl" consume --topic "$id-r.monitoring" --registry-url "$url" | jq -cS . | sort | md5sum)"
check "the latest-result topic is framed and read so" "$(jq -cS . "$work/compliance.jsonl" | sort | md5sum)" \
  "$("$apctl" consume --topic "$id-r.latest" --registry-url "$url" | jq -cS . | sort | md5sum)"
check "the JSON mirror stays JSON" "$(jq -cS . "$work/compliance.jsonl" | sort | md5sum)" \
  "$(kcat -C -b "$AP_KAFKA_BROKERS" -t "$id-r.compliance-json" -o beginning -e -q -f '%s\n' | jq -cS . | sort | md5sum)"
check "without a registry it says what it needs" "1" \
  "$(AP_REGISTRY_URL= "$apctl" consume --topic "$id-r.alerts" | head -1 | grep -c "give --registry-url")"

exit $((failures > 0))
