#!/usr/bin/env bash
# Writes the Redis users of arbejdspligt as an ACL file, and their passwords,
# into DIR (README Security):
#   DIR/users.acl                  for redis-server --aclfile (passwords as SHA-256 only)
#   DIR/redis-ap.password          the services' user `ap` (redis.password_file)
#   DIR/redis-ap-erasure.password  `ap-erasure`, for `apctl forget` (erasing one citizen)
#   DIR/redis-ap-admin.password    the admin user `ap-admin` (set-up, operators, test helpers)
# Passwords already in DIR are kept, so a restarted Redis keeps its users.
# Every file is readable by its owner only.
#
#   redis-acl.sh DIR [KEY_PATTERN ...]   key patterns of ap and ap-erasure (default: ap*)
# A pattern covers a whole namespace "<prefix>:*": every key of the layout
# (README "Redis key layout"), e.g. a citizen's entity hashes :cv :pl :ex :rd
# :sa, which ap writes and ap-erasure deletes (apctl forget).
set -euo pipefail
umask 077
dir=${1:?usage: redis-acl.sh DIR [KEY_PATTERN ...]}
shift
patterns=("${@:-ap*}")

# password USER: the user's password, made (random, 192 bits) if missing.
password() {
  local file="$dir/redis-$1.password"
  [ -s "$file" ] || head -c 24 /dev/urandom | base64 | tr '+/' '-_' > "$file"
  cat "$file"
}
sha() { printf '%s' "$1" | sha256sum | cut -d' ' -f1; }

# The services' user may run exactly the commands services/lib/store_redis.c
# sends (grep redisCommand, redisAppendCommand and EVALSHA there) and those
# its Lua script calls (redis.call: GET SET HMGET HGET HLEN HDEL HSET SADD
# UNLINK; a script runs with its caller's permissions), on keys under its
# patterns only. UNLINK drops a partition's expired dedup generation, RENAME
# moves the applied ids once when a layout-2 namespace is upgraded. INCR
# claims a partition's epoch on assignment, WATCH/UNWATCH fence the cycle
# commit on those epochs, WAIT waits for replicas (redis.wait_replicas;
# README Partition ownership). No DEL,
# KEYS, FLUSHALL, CONFIG, DEBUG, MONITOR, EVAL: a stolen password can read
# and change this state, no other data, and cannot reconfigure Redis.
# (SCAN is allowed but, like every keyspace walk in Redis, is not filtered by
# the key patterns: it can list, not read, other key names.)
service_commands="+ping +script|load +evalsha +get +set +scan +hget +hmget +hset +hdel +hlen +hgetall +sadd +srem +smembers +multi +exec +unlink +rename +incr +watch +unwatch +wait"
# Erasure (apctl forget, ap_store_redis_forget) deletes: the store's connect
# (SCRIPT LOAD, the layout's GET/SET/SCAN), then SCAN, DEL, HSCAN/HDEL,
# SSCAN/SREM on the same keys. An operator's tool, so not the services' user.
erasure_commands="+ping +script|load +get +set +scan +del +hscan +hdel +sscan +srem"

mkdir -p "$dir"
keys=""
for p in "${patterns[@]}"; do keys="$keys ~$p"; done
{
  # Not mentioning `default` would leave it on, without a password, allowed
  # everything. Off and without passwords no client can ever be it; but Redis
  # replays its AOF as this user and re-checks the commands of every
  # MULTI/EXEC against its rights (redis/redis#14541): with -@all it drops
  # every transaction (the processor's cycle commits, the apply script's
  # effects) on restart, silently. Hence all commands, all keys.
  echo "user default off resetpass ~* &* +@all"
  echo "user ap-admin on #$(sha "$(password ap-admin)") ~* &* +@all"
  echo "user ap on #$(sha "$(password ap)") resetchannels$keys -@all $service_commands"
  echo "user ap-erasure on #$(sha "$(password ap-erasure)") resetchannels$keys -@all $erasure_commands"
} > "$dir/users.acl.new"
mv "$dir/users.acl.new" "$dir/users.acl"
