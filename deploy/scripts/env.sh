#!/usr/bin/env bash
# Starts or stops a private single-node Kafka (KRaft) broker and a Redis
# server on spare loopback ports, with all their files under DIR.
#
#   env.sh start DIR   -> writes DIR/env.sh (exports AP_KAFKA_BROKERS, AP_REDIS_HOST, AP_REDIS_PORT,
#                         AP_REDIS_USERNAME, AP_REDIS_PASSWORD_FILE, and for the security test
#                         AP_ENV_SASL_BROKERS, AP_ENV_SASL_USER, AP_ENV_TLS_DIR)
# The broker has a PLAINTEXT listener (every test but the security one) and a
# SASL_SSL listener on the next-but-one port: TLS with a CA made here
# (DIR/tls), SCRAM-SHA-512, SCRAM-SHA-256 and PLAIN for user "ap", whose
# password is in DIR/tls/sasl.password; client certificates are requested,
# not required (DIR/tls/client.pem, its key encrypted with
# DIR/tls/client-key.password).
#   env.sh stop DIR    -> stops exactly the processes start recorded (by pid)
# Redis admits no one without a password: its users come from DIR/users.acl
# (scripts/redis-acl.sh): `ap`, the least-privilege user of the services and
# of every test, with its password in DIR/redis-ap.password, `ap-erasure` for
# apctl forget, and `ap-admin`
# (DIR/redis-ap-admin.password) for this script and test helpers.
# Everything under DIR is readable by its owner only (umask 077): logs,
# Redis's AOF and the password files.
# For fault tests, on a running environment:
#   env.sh kafka-stop DIR | kafka-start DIR   stop / restart the broker (same ports, same data)
#   env.sh redis-kill DIR | redis-start DIR   kill -9 Redis / restart it from its AOF
set -euo pipefail
umask 077
here=$(cd "$(dirname "$0")" && pwd)
cmd=${1:?usage: env.sh start|stop DIR}
dir=${2:?usage: env.sh start|stop DIR}
version=$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$here/../kafka/pom.xml")
kafka_home=${AP_KAFKA_HOME:-${XDG_CACHE_HOME:-$HOME/.cache}/arbejdspligt/kafka-$version}

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
# Spare ports are drawn below the kernel's ephemeral range, so an outgoing
# connection cannot be holding the port when the server binds it.
spare_port() {
  local p low
  low=$(cut -f1 /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 32768)
  [ "$low" -gt 12000 ] || low=32768
  for _ in $(seq 1 200); do
    p=$((10000 + RANDOM % (low - 10002)))
    if port_free "$p" && port_free $((p + 1)) && port_free $((p + 2)); then echo "$p"; return 0; fi
  done
  echo "env: no spare port found" >&2; return 1
}

stop_pid() { # stop_pid NAME FILE: TERM, wait, then KILL; only the recorded pid
  local name=$1 file=$2 pid
  [ -f "$file" ] || return 0
  pid=$(cat "$file")
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    if kill -0 "$pid" 2>/dev/null; then echo "env: $name did not stop, killing pid $pid"; kill -KILL "$pid" 2>/dev/null || true; fi
  fi
  rm -f "$file"
  echo "env: stopped $name (pid $pid)"
}

java_opts=(-Xms256m -Xmx512m -XX:+UseG1GC -Djava.awt.headless=true "-Dlog4j.configuration=file:$dir/log4j.properties")

start_redis() {
  nohup redis-server --bind 127.0.0.1 --port "$redis_port" --dir "$dir/redis" --appendonly yes \
        --appendfsync everysec --save "" --daemonize no --logfile "$dir/redis.log" \
        --aclfile "$dir/users.acl" </dev/null >/dev/null 2>&1 &
  echo $! > "$dir/redis.pid"
}
# As ap-admin; the password goes through the environment, never argv.
wait_redis() {
  for _ in $(seq 1 100); do
    [ "$(REDISCLI_AUTH=$(cat "$dir/redis-ap-admin.password") redis-cli --user ap-admin -p "$redis_port" ping 2>/dev/null)" = PONG ] &&
      return 0
    sleep 0.2
  done
  return 1
}
start_kafka() {
  nohup java "${java_opts[@]}" -cp "$kafka_home/libs/*" kafka.Kafka "$dir/server.properties" \
        </dev/null >> "$dir/kafka.log" 2>&1 &
  echo $! > "$dir/kafka.pid"
}
wait_kafka() {
  for _ in $(seq 1 180); do
    kcat -b "127.0.0.1:$kafka_port" -L -m 2 >/dev/null 2>&1 && return 0
    kill -0 "$(cat "$dir/kafka.pid")" 2>/dev/null || return 1
    sleep 0.5
  done
  return 1
}

# A CA, the broker's certificate and a client certificate (EC P-256: made in
# milliseconds), and the passwords, all under DIR/tls (0700; keys and
# passwords 0600). Valid for 2 days: an environment lives for one test run.
make_tls() {
  local t=$dir/tls
  (umask 077; mkdir -p "$t")
  (
    umask 077; cd "$t"
    head -c 24 /dev/urandom | base64 | tr -d '/+=' > sasl.password
    head -c 24 /dev/urandom | base64 | tr -d '/+=' > client-key.password
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.pem -days 2 \
      -subj "/CN=arbejdspligt test CA" 2>/dev/null
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout broker.key -out broker.csr \
      -subj "/CN=localhost" 2>/dev/null
    printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' > broker.ext
    openssl x509 -req -in broker.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 -extfile broker.ext \
      -out broker.pem 2>/dev/null
    # Kafka's PEM keystore: the (PKCS#8) key, then the certificate chain.
    cat broker.key broker.pem ca.pem > broker-keystore.pem
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout client-plain.key -out client.csr \
      -subj "/CN=ap-client" 2>/dev/null
    openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 -out client.pem 2>/dev/null
    openssl pkcs8 -topk8 -v2 aes-256-cbc -in client-plain.key -passout file:client-key.password -out client.key
    rm -f client-plain.key ./*.csr ./*.ext ca.srl
  )
}

# Picks ports, writes the broker's configuration, formats its storage and starts it.
configure_kafka() {
  kafka_port=$(spare_port); controller_port=$((kafka_port + 1)); sasl_port=$((kafka_port + 2))
  local pw; pw=$(cat "$dir/tls/sasl.password")
  (umask 077; : > "$dir/server.properties") # it holds the PLAIN password
  cat > "$dir/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$controller_port
listeners=PLAINTEXT://127.0.0.1:$kafka_port,CONTROLLER://127.0.0.1:$controller_port,SASL_SSL://127.0.0.1:$sasl_port
advertised.listeners=PLAINTEXT://127.0.0.1:$kafka_port,SASL_SSL://127.0.0.1:$sasl_port
controller.listener.names=CONTROLLER
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT,SASL_SSL:SASL_SSL
inter.broker.listener.name=PLAINTEXT
sasl.enabled.mechanisms=SCRAM-SHA-512,SCRAM-SHA-256,PLAIN
listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
listener.name.sasl_ssl.scram-sha-256.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
listener.name.sasl_ssl.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required user_ap="$pw";
listener.name.sasl_ssl.ssl.client.auth=requested
ssl.keystore.type=PEM
ssl.keystore.location=$dir/tls/broker-keystore.pem
ssl.truststore.type=PEM
ssl.truststore.location=$dir/tls/ca.pem
log.dirs=$dir/kafka-data
num.partitions=3
auto.create.topics.enable=false
offsets.topic.replication.factor=1
offsets.topic.num.partitions=3
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
group.initial.rebalance.delay.ms=0
PROPS
  cat > "$dir/log4j.properties" <<PROPS
log4j.rootLogger=WARN, stdout
log4j.appender.stdout=org.apache.log4j.ConsoleAppender
log4j.appender.stdout.layout=org.apache.log4j.PatternLayout
log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka.server.KafkaServer=INFO
log4j.logger.kafka.server.KafkaRaftServer=INFO
PROPS
  echo "$kafka_port" > "$dir/kafka.port"
  # Base64url of 16 random bytes, without '-': an id starting with '-' reads as
  # an option to the storage tool (it failed 1 start in 64).
  cluster_id=$(head -c 16 /dev/urandom | base64 | tr '+/' 'AB' | tr -d '=')
  # The SCRAM user is created with the storage (KRaft: no ZooKeeper to ask later).
  java "${java_opts[@]}" -cp "$kafka_home/libs/*" kafka.tools.StorageTool format -t "$cluster_id" \
       -c "$dir/server.properties" \
       --add-scram "SCRAM-SHA-512=[name=ap,password=$pw]" --add-scram "SCRAM-SHA-256=[name=ap,password=$pw]" \
       > "$dir/kafka-format.log" 2>&1 ||
    { cat "$dir/kafka-format.log"; "$0" stop "$dir"; exit 1; } # stop Redis too: nothing left running
  start_kafka
}

case "$cmd" in
start)
  [ -f "$kafka_home/.complete" ] || "$here/kafka-fetch.sh"
  if [ -f "$dir/kafka.pid" ] && kill -0 "$(cat "$dir/kafka.pid")" 2>/dev/null; then
    echo "env: already running in $dir"; exit 0
  fi
  rm -rf "$dir"; mkdir -p "$dir/redis" "$dir/kafka-data"
  redis_port=$(spare_port); echo "$redis_port" > "$dir/redis.port"
  "$here/redis-acl.sh" "$dir"
  start_redis
  make_tls

  started=0
  for attempt in 1 2 3; do
    configure_kafka
    if wait_kafka; then started=1; break; fi
    echo "env: kafka did not start on port $kafka_port (attempt $attempt); retrying on other ports"
    tail -3 "$dir/kafka.log"
    kill -KILL "$(cat "$dir/kafka.pid")" 2>/dev/null || true
    rm -rf "$dir/kafka-data"; mkdir -p "$dir/kafka-data"; : > "$dir/kafka.log"
  done
  wait_redis || { echo "env: redis did not start"; cat "$dir/redis.log"; "$0" stop "$dir"; exit 1; }
  [ "$started" = 1 ] || { echo "env: kafka did not start"; tail -50 "$dir/kafka.log"; "$0" stop "$dir"; exit 1; }
  # Sourced by the tests: the directory is quoted for the shell (%q), so a
  # path with spaces or $(...) stays a path.
  {
    echo "export AP_KAFKA_BROKERS=127.0.0.1:$kafka_port"
    echo "export AP_REDIS_HOST=127.0.0.1"
    echo "export AP_REDIS_PORT=$redis_port"
    echo "export AP_REDIS_USERNAME=ap"
    printf 'export AP_REDIS_PASSWORD_FILE=%q\n' "$dir/redis-ap.password"
    printf 'export AP_ENV_DIR=%q\n' "$dir"
    echo "export AP_ENV_SASL_BROKERS=127.0.0.1:$sasl_port"
    echo "export AP_ENV_SASL_USER=ap"
    printf 'export AP_ENV_TLS_DIR=%q\n' "$dir/tls"
  } > "$dir/env.sh"
  echo "env: kafka 127.0.0.1:$kafka_port (SASL_SSL :$sasl_port, pid $(cat "$dir/kafka.pid")), redis 127.0.0.1:$redis_port (pid $(cat "$dir/redis.pid"))"
  ;;
stop)
  stop_pid kafka "$dir/kafka.pid"
  stop_pid redis "$dir/redis.pid"
  ;;
kafka-stop) stop_pid kafka "$dir/kafka.pid" ;;
kafka-start)
  kafka_port=$(cat "$dir/kafka.port"); start_kafka
  wait_kafka || { echo "env: kafka did not restart"; tail -30 "$dir/kafka.log"; exit 1; }
  echo "env: kafka restarted (pid $(cat "$dir/kafka.pid"))" ;;
redis-kill)
  pid=$(cat "$dir/redis.pid"); kill -KILL "$pid"; while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
  rm -f "$dir/redis.pid"; echo "env: redis killed (pid $pid)" ;;
redis-start)
  redis_port=$(cat "$dir/redis.port"); start_redis
  wait_redis || { echo "env: redis did not restart"; exit 1; }
  echo "env: redis restarted from its AOF (pid $(cat "$dir/redis.pid"))" ;;
*) echo "usage: env.sh start|stop|kafka-stop|kafka-start|redis-kill|redis-start DIR" >&2; exit 2 ;;
esac
