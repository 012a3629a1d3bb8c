#!/usr/bin/env bash
# Kafka over TLS and SASL (issue 15 §1), on the test broker's SASL_SSL
# listener (deploy/scripts/env.sh: a CA made at start, SCRAM user "ap"):
# - the sample stream of deploy/demo goes through apctl, ap-processor and back
#   over SASL_SSL (SCRAM-SHA-512, a client certificate with an encrypted key);
# - ap-generate writes a small stream and ap-replay kafka replays it over
#   SASL_SSL: the same results as the offline replay of the same stream;
# - PLAIN and SCRAM-SHA-256 over TLS work too;
# - a wrong password, an untrusted CA, a wrong key passphrase: each binary
#   exits non-zero within seconds with a clear message (no hang, no retry loop);
# - neither password nor key passphrase appears in any log of the test
#   (ours, librdkafka's debug output, the broker's), nor in --help.
#   security.sh ENV_DIR BUILD_DIR
set -euo pipefail
env_dir=$1; build=$2
root=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=/dev/null
source "$env_dir/env.sh"
tls=$AP_ENV_TLS_DIR
id="ap-ksec$$" # under ap*: the Redis ACL user's keys (README Security)
work=$(mktemp -d)
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

# Every binary reads the same kafka.* settings; here from the environment.
export AP_KAFKA_BROKERS=$AP_ENV_SASL_BROKERS
export AP_KAFKA_SECURITY_PROTOCOL=sasl_ssl AP_KAFKA_SSL_CA_FILE=$tls/ca.pem
export AP_KAFKA_SASL_MECHANISM=SCRAM-SHA-512 AP_KAFKA_SASL_USERNAME=$AP_ENV_SASL_USER
export AP_KAFKA_SASL_PASSWORD_FILE=$tls/sasl.password
export AP_KAFKA_SSL_CERTIFICATE_FILE=$tls/client.pem AP_KAFKA_SSL_KEY_FILE=$tls/client.key
export AP_KAFKA_SSL_KEY_PASSWORD_FILE=$tls/client-key.password
export AP_TOPIC_PLACEMENT=$id.placement AP_TOPIC_HOURS=$id.hours AP_TOPIC_EXEMPTION=$id.exemption
export AP_TOPIC_COMPLIANCE=$id.compliance AP_TOPIC_ALERTS=$id.alerts AP_TOPIC_DEAD_LETTER=$id.dead-letter
export AP_TOPIC_MONITORING=$id.monitoring
export AP_GROUP_ID=$id AP_REDIS_PREFIX=$id AP_STATS_INTERVAL_S=2
password=$(cat "$tls/sasl.password"); key_password=$(cat "$tls/client-key.password")
logs=("$work")  # every log of the test is written under $work (plus the broker's)

# Seconds a command took, its exit status and its stderr: run_timed NAME CMD...
run_timed() {
  local name=$1; shift
  local t0 rc=0
  t0=$(date +%s%N)
  timeout 60 "$@" > "$work/$name.out" 2> "$work/$name.err" || rc=$?
  echo "$rc $((($(date +%s%N) - t0) / 1000000000))" > "$work/$name.rc"
}
# expect_refused NAME PATTERN CMD...: non-zero within 15 s, PATTERN in stderr.
expect_refused() {
  local name=$1 pattern=$2; shift 2
  run_timed "$name" "$@"
  local rc secs; read -r rc secs < "$work/$name.rc"
  if [ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] && [ "$secs" -lt 15 ] && grep -q -- "$pattern" "$work/$name.err"; then
    echo "ok   $name: exit $rc after ${secs}s: $(grep -m1 -o -- "$pattern.\{0,60\}" "$work/$name.err")"
  else
    echo "FAIL $name: exit $rc after ${secs}s, expected a message matching \"$pattern\""; tail -5 "$work/$name.err"
    failures=$((failures + 1))
  fi
}

# --- The sample stream over SASL_SSL, librdkafka's debug output on for one command.
AP_LOG_LEVEL=debug AP_KAFKA_PROPERTY_DEBUG=security,broker,conf \
  "$apctl" create-topics --partitions 3 "$AP_TOPIC_PLACEMENT" "$AP_TOPIC_HOURS" "$AP_TOPIC_EXEMPTION" \
  "$AP_TOPIC_COMPLIANCE" "$AP_TOPIC_ALERTS" "$AP_TOPIC_DEAD_LETTER" "$AP_TOPIC_MONITORING" 2> "$work/create-debug.log"
check "librdkafka's debug output shows the configuration, sasl.password redacted" "yes" \
  "$(grep -q 'sasl.password = \[redacted\]' "$work/create-debug.log" && echo yes || echo no)"
"$build/ap-processor" > "$work/processor.log" 2>&1 &
proc_pid=$!
"$apctl" produce --topic "$AP_TOPIC_PLACEMENT" < "$root/deploy/demo/placements.jsonl" 2> "$work/produce.log"
"$apctl" produce --topic "$AP_TOPIC_EXEMPTION" < "$root/deploy/demo/exemptions.jsonl" 2>> "$work/produce.log"
"$apctl" produce --topic "$AP_TOPIC_HOURS" < "$root/deploy/demo/hours.jsonl" 2>> "$work/produce.log"
"$apctl" tick --topic "$AP_TOPIC_PLACEMENT" --topic "$AP_TOPIC_HOURS" --topic "$AP_TOPIC_EXEMPTION" \
  --at 2026-01-28T00:00:00+01:00 2>> "$work/produce.log"
"$apctl" consume --topic "$AP_TOPIC_COMPLIANCE" --wait-for 15 --timeout-ms 90000 > "$work/results.jsonl" 2> "$work/consume.log"
check "compliance results over SASL_SSL (as end_to_end's)" "$(cat <<'TXT'
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
check "the processor logs how it connects (no user name, no secret)" \
  "security=sasl_ssl sasl=SCRAM-SHA-512 verify=on client_certificate=yes" \
  "$(grep -o 'security=sasl_ssl sasl=[^ ]* verify=[^ ]* client_certificate=[^ ]*' "$work/processor.log" | head -1)"
kill -TERM "$proc_pid"; rc=0; wait "$proc_pid" || rc=$?; proc_pid=
check "ap-processor over SASL_SSL: SIGTERM exits 0" "0" "$rc"

# --- PLAIN and SCRAM-SHA-256 over TLS (no client certificate): read the results back.
for mech in PLAIN SCRAM-SHA-256; do
  n=$(env -u AP_KAFKA_SSL_CERTIFICATE_FILE -u AP_KAFKA_SSL_KEY_FILE -u AP_KAFKA_SSL_KEY_PASSWORD_FILE \
        "$apctl" consume --topic "$AP_TOPIC_COMPLIANCE" --set kafka.sasl_mechanism=$mech --timeout-ms 20000 \
        2>> "$work/consume.log" | wc -l)
  check "$mech over TLS reads the 15 results" "15" "$n"
done

# --- ap-generate and ap-replay kafka over SASL_SSL: a small stream, replayed
# from the topics, equals the offline replay of the same stream.
gen=$id-gen
"$apctl" create-topics --partitions 3 "$gen.placement" "$gen.hours" "$gen.exemption" 2>> "$work/produce.log"
"$build/ap-generate" --kafka --citizens 20 --weeks 2 --seed 7 --topic-prefix "$gen" 2> "$work/generate.log"
"$build/ap-generate" --export "$work/gen.avro" --partitions 3 --citizens 20 --weeks 2 --seed 7 \
  --topic-prefix "$gen" 2>> "$work/generate.log"
replay_topics=(--set "topic.placement=$gen.placement" --set "topic.hours=$gen.hours" --set "topic.exemption=$gen.exemption")
"$build/ap-replay" kafka "${replay_topics[@]}" --set replay.namespace="$id-replay" --set replay.output="$work/kafka.jsonl" \
  2> "$work/replay.log"
"$build/ap-replay" file "${replay_topics[@]}" --set replay.input="$work/gen.avro" --set replay.output="$work/file.jsonl" \
  2>> "$work/replay.log"
check "ap-generate + ap-replay kafka over SASL_SSL equal the offline replay" "same $(wc -l < "$work/file.jsonl")" \
  "$(cmp -s <(sort "$work/kafka.jsonl") <(sort "$work/file.jsonl") && echo same || echo differ) $(wc -l < "$work/kafka.jsonl")"
[ "$(wc -l < "$work/file.jsonl")" -gt 20 ] || { echo "FAIL the replayed stream has too few results"; failures=$((failures + 1)); }

# --- Refusals: clear, fast, fatal.
refused='Kafka refused the connection'
expect_refused apctl_wrong_password "$refused.*Authentication failed" \
  env -u AP_KAFKA_SASL_PASSWORD_FILE AP_KAFKA_SASL_PASSWORD=not-the-password "$apctl" produce --topic "$AP_TOPIC_HOURS" \
  < "$root/deploy/demo/hours.jsonl"
expect_refused processor_wrong_password "$refused.*Authentication failed" \
  env -u AP_KAFKA_SASL_PASSWORD_FILE AP_KAFKA_SASL_PASSWORD=not-the-password "$build/ap-processor"
check "ap-processor: a refused password at start-up is exit 2 (a configuration error)" "2" \
  "$(cut -d' ' -f1 "$work/processor_wrong_password.rc")"
expect_refused generate_wrong_password "$refused.*Authentication failed" \
  env -u AP_KAFKA_SASL_PASSWORD_FILE AP_KAFKA_SASL_PASSWORD=not-the-password \
  "$build/ap-generate" --kafka --citizens 2 --weeks 1 --topic-prefix "$gen"
expect_refused replay_wrong_password "$refused.*Authentication failed" \
  env -u AP_KAFKA_SASL_PASSWORD_FILE AP_KAFKA_SASL_PASSWORD=not-the-password \
  "$build/ap-replay" kafka "${replay_topics[@]}" --set replay.namespace="$id-replay2" --set replay.output="$work/no.jsonl"
# A CA that did not sign the broker's certificate.
(cd "$work" && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout other-ca.key \
   -out other-ca.pem -days 1 -subj "/CN=someone else" 2>/dev/null)
expect_refused apctl_untrusted_ca "$refused.*certificate verify failed" \
  env AP_KAFKA_SSL_CA_FILE="$work/other-ca.pem" "$apctl" consume --topic "$AP_TOPIC_COMPLIANCE"
expect_refused processor_untrusted_ca "$refused.*certificate verify failed" \
  env AP_KAFKA_SSL_CA_FILE="$work/other-ca.pem" "$build/ap-processor"
# Verification off reaches the broker anyway (a test broker's escape hatch; warned).
n=$(AP_KAFKA_SSL_CA_FILE="$work/other-ca.pem" "$apctl" consume --topic "$AP_TOPIC_COMPLIANCE" --set kafka.ssl_verify=0 \
      --set kafka.ssl_ca_file= 2>> "$work/consume.log" | wc -l)
check "kafka.ssl_verify=0 connects without a trusted CA" "15" "$n"
echo "not-the-passphrase" > "$work/bad-key.password"; chmod 600 "$work/bad-key.password"
expect_refused apctl_wrong_key_password "is its passphrase, kafka.ssl_key_password_file, right" \
  env AP_KAFKA_SSL_KEY_PASSWORD_FILE="$work/bad-key.password" "$apctl" consume --topic "$AP_TOPIC_COMPLIANCE"
expect_refused processor_plaintext_to_tls "PLAIN sends the password in clear" \
  env -u AP_KAFKA_SSL_CA_FILE -u AP_KAFKA_SSL_CERTIFICATE_FILE -u AP_KAFKA_SSL_KEY_FILE -u AP_KAFKA_SSL_KEY_PASSWORD_FILE \
  AP_KAFKA_SECURITY_PROTOCOL=sasl_plaintext AP_KAFKA_SASL_MECHANISM=PLAIN "$build/ap-processor"

# --- Secrets: never on --help, never in a log.
AP_KAFKA_SASL_PASSWORD_FILE= AP_KAFKA_SASL_PASSWORD="$password" "$build/ap-processor" --help > "$work/help.txt" 2>&1 || true
"$build/ap-replay" --help >> "$work/help.txt" 2>&1 || true
logs+=("$env_dir/kafka.log" "$env_dir/kafka-format.log")
if grep -rlF -e "$password" -e "$key_password" "${logs[@]}"; then
  echo "FAIL a password or the key passphrase is in the logs above"; failures=$((failures + 1))
else
  echo "ok   neither the SASL password nor the key passphrase is in any log ($(find "$work" -name '*.log' -o -name '*.err' | wc -l) files, the broker's, --help)"
fi

if [ "$failures" -ne 0 ]; then echo "--- processor log"; tail -30 "$work/processor.log"; exit 1; fi
echo "security: all checks passed"
