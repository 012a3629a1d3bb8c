# Helpers for the fault and replay tests (sourced). Needs: env_dir, build, id.
# Sets work (a scratch directory), pid and the EXIT trap that cleans up.
# shellcheck source=/dev/null
source "$env_dir/env.sh"
apctl="$build/apctl"
failures=0
# The test's scratch directory, and the processor it runs in the background
# ($pid, see start_processor): both gone when the test exits, however.
work=$(mktemp -d)
pid=
trap 'if [ -n "$pid" ]; then kill -KILL "$pid" 2>/dev/null || true; fi; rm -rf "$work"' EXIT
# redis_admin ARGS...: redis-cli as the env's admin user, for what only a test
# does (DUMP, reading other namespaces); the processors run as the
# least-privilege user `ap`. The password goes through the environment, not argv.
redis_admin() {
  REDISCLI_AUTH=$(cat "$env_dir/redis-ap-admin.password") redis-cli --user ap-admin -p "$AP_REDIS_PORT" "$@"
}
check() { # check NAME EXPECTED ACTUAL
  if [ "$2" == "$3" ]; then echo "ok   $1"; else echo "FAIL $1: expected [$2] got [$3]"; failures=$((failures + 1)); fi
}

# topics PREFIX: creates the input and output topics of one namespace.
topics() {
  "$apctl" create-topics --partitions "${PARTITIONS:-6}" "$1.placement" "$1.hours" "$1.exemption" \
    "$1.compliance" "$1.alerts" "$1.dead-letter" "$1.monitoring"
}

# start_processor NAME INPUT_PREFIX OUTPUT_PREFIX [more env...]: starts one in the background, sets $pid.
# Its log is $work/NAME.log, or $work/$LOG_AS.log when LOG_AS is set (two instances of one group).
start_processor() {
  local name=$1 in=$2 out=$3; shift 3
  env AP_TOPIC_PLACEMENT="$in.placement" AP_TOPIC_HOURS="$in.hours" AP_TOPIC_EXEMPTION="$in.exemption" \
      AP_TOPIC_COMPLIANCE="$out.compliance" AP_TOPIC_ALERTS="$out.alerts" AP_TOPIC_DEAD_LETTER="$out.dead-letter" \
      AP_TOPIC_MONITORING="$out.monitoring" AP_GROUP_ID="$name" AP_REDIS_PREFIX="$name" AP_INSTANCE_ID="$name-1" AP_SESSION_TIMEOUT_MS=6000 \
      AP_STATS_INTERVAL_S=5 AP_FLUSH_TIMEOUT_MS=5000 "$@" \
      "$build/ap-processor" >> "$work/${LOG_AS:-$name}.log" 2>&1 &
  pid=$!
}

# wait_caught_up GROUP INPUT_PREFIX TIMEOUT_S: until the group has committed every input record.
wait_caught_up() {
  local deadline=$((SECONDS + $3)) lag
  while [ $SECONDS -lt "$deadline" ]; do
    lag=$("$apctl" lag --group "$1" --topic "$2.placement" --topic "$2.hours" --topic "$2.exemption" 2>/dev/null || echo x)
    [ "$lag" = "0" ] && return 0
    sleep 1
  done
  echo "timeout waiting for $1 (lag $lag)"
  grep -v 'week closed\|partition assigned\|partition revoked' "$work/$1.log" | tail -25 | cut -c1-300
  return 1
}

stop_processor() { # graceful; returns its exit code
  local rc=0
  kill -TERM "$1" 2>/dev/null || return 0
  wait "$1" || rc=$?
  return $rc
}

# latest TOPIC: the latest revision of every citizen-week, one compact JSON per line, sorted.
latest() {
  "$apctl" consume --topic "$1" --timeout-ms 60000 |
    jq -c -s 'group_by([.citizen_id, .iso_year, .iso_week]) | map(max_by(.revision)) | .[]' | sort
}
