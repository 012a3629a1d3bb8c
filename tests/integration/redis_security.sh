#!/usr/bin/env bash
# Redis security of the env and of ap-processor (README Security, issue 15):
# - everything env.sh writes (its directory, Redis's AOF directory and files,
#   logs, passwords) is readable by its owner only;
# - Redis admits no one without a password (the default user is off);
# - the password is never a setting (not --set, not in --help), and two
#   sources of it are refused;
# - a wrong password is a clear "authentication failed" logged and retried,
#   not a crash: once the ACL user accepts it the processor goes on;
# - no password appears in any log.
#   redis_security.sh ENV_DIR BUILD_DIR
set -euo pipefail
env_dir=$1; build=$2
id="ap-sec$$"
here=$(cd "$(dirname "$0")/../faults" && pwd)
root=$(cd "$here/../.." && pwd)
source "$here/lib.sh"
proc="$build/ap-processor"
password=$(cat "$AP_REDIS_PASSWORD_FILE")
admin_password=$(cat "$env_dir/redis-ap-admin.password")

# --- file modes
mode() { stat -c '%a' "$1"; }
aof_dir="$env_dir/redis/appendonlydir"
check "env directory 0700" "700" "$(mode "$env_dir")"
check "redis directory and its AOF directory 0700" "700 700" "$(mode "$env_dir/redis") $(mode "$aof_dir")"
check "AOF files 0600" "600" "$(find "$aof_dir" -type f -printf '%m\n' | sort -u | paste -sd' ')"
check "password files, ACL file, env.sh, redis.log 0600" "600 600 600 600 600" \
  "$(stat -c '%a' "$env_dir/redis-ap.password" "$env_dir/redis-ap-admin.password" "$env_dir/users.acl" \
       "$env_dir/env.sh" "$env_dir/redis.log" | paste -sd' ')"
check "nothing under the env directory is open to group or others" "" \
  "$(find "$env_dir" -perm /077 -printf '%m %p\n' | head -5)"

# --- no one without a password
check "the default user is off: no command without AUTH" "NOAUTH" \
  "$(redis-cli -p "$AP_REDIS_PORT" ping 2>&1 | grep -o '^NOAUTH' || true)"
check "the ACL file holds no password in clear" "0" \
  "$(grep -cF -e "$password" -e "$admin_password" "$env_dir/users.acl" || true)"

# --- a restart from the AOF keeps the ACL user's transactions (Redis replays
# them as its default user, whose rights EXEC re-checks: with none, every
# MULTI/EXEC of the AOF was dropped and the processor's state lost)
as_ap() { REDISCLI_AUTH=$password redis-cli --user ap -p "$AP_REDIS_PORT" "$@"; }
# (two writes: Redis propagates a transaction of one write without MULTI/EXEC)
printf 'MULTI\nHSET %s:aof f in-a-transaction\nHSET %s:aof g too\nEXEC\n' "$id" "$id" | as_ap > /dev/null
sleep 1.5 # appendfsync everysec
"$root/deploy/scripts/env.sh" redis-kill "$env_dir" > /dev/null
"$root/deploy/scripts/env.sh" redis-start "$env_dir" > /dev/null
check "a transaction of the ACL user survives a restart from the AOF" "in-a-transaction too" "$(as_ap HMGET "$id:aof" f g | paste -sd' ')"
check "Redis refused nothing of its AOF" "0" "$(grep -c 'sending an error to its AOF-loading-client' "$env_dir/redis.log" || true)"
redis_admin DEL "$id:aof" > /dev/null

# --- the password is never a setting
rc=0; out=$("$proc" --set redis.password=x 2>&1) || rc=$?
check "--set redis.password is refused" "2 1" "$rc $(grep -c 'unknown setting "redis.password"' <<< "$out")"
check "--help names the password file and variable, has no password setting" "1 0" \
  "$("$proc" --help | grep -c '^  redis.password_file ') $("$proc" --help | grep -c '^  redis.password ')"
rc=0; out=$(AP_REDIS_PASSWORD=x "$proc" 2>&1) || rc=$?
check "both AP_REDIS_PASSWORD and a password file: refused, saying so" "2 1" \
  "$rc $(grep -c 'both AP_REDIS_PASSWORD and a password file' <<< "$out")"

# --- a wrong password: logged clearly, retried, not a crash
topics "$id"
wrong="wrong-$RANDOM-$RANDOM-password"
start_processor "$id" "$id" "$id" AP_REDIS_PASSWORD_FILE= AP_REDIS_PASSWORD="$wrong"
log="$work/$id.log"
for _ in $(seq 1 50); do grep -q 'authentication failed' "$log" && break; sleep 0.2; done
sleep 1
refusals=$(grep -c 'level=error .*msg="redis authentication failed, retrying" user=ap error="redis authentication failed for user .ap.: WRONGPASS' "$log" || true)
check "wrong password: an error naming the user, retried, still running" "1 1" \
  "$([ "$refusals" -ge 2 ] && echo 1 || echo 0) $(kill -0 "$pid" 2>/dev/null && echo 1 || echo 0)"
# An operator gives the ACL user that password (Redis users hold several,
# which is how a password is rotated): the retry gets through, no restart.
redis_admin ACL SETUSER ap ">$wrong" > /dev/null
for _ in $(seq 1 100); do grep -q 'msg="started"' "$log" && break; sleep 0.2; done
redis_admin ACL SETUSER ap "<$wrong" > /dev/null
check "once Redis accepts it, the same process starts" "1" "$(grep -c 'msg="started".* redis_user=ap ' "$log")"
rc=0; stop_processor "$pid" || rc=$?; pid=
check "SIGTERM exits 0" "0" "$rc"

# --- no password in any log
check "no password in the processor's log" "0" "$(grep -cF -e "$password" -e "$wrong" "$log" || true)"
check "no password in Redis's or Kafka's log, env.sh or the ACL file" "" \
  "$(grep -rlF -e "$password" -e "$admin_password" -e "$wrong" "$env_dir" | grep -v '\.password$' || true)"

[ "$failures" -eq 0 ] || { echo "--- processor log"; tail -20 "$log"; exit 1; }
echo "redis_security: all checks passed"
