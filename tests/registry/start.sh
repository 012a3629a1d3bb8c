#!/usr/bin/env bash
# Starts a real schema registry for the tests: Apicurio Registry 2.4.2.Final
# (in-memory H2 storage) built from Maven Central by tests/registry/apicurio
# (Quarkus's build step over apicurio-registry-app; see NOTES.md for why this
# version), on a spare loopback port. Prints the base URL of its
# Confluent-compatible API (what registry.url and confluent-kafka's
# SchemaRegistryClient take). Stop it with: kill "$(cat DIR/registry.pid)".
#   start.sh DIR
# DIR keeps the build (target/), registry.pid and registry.log. The first run
# fetches the Maven dependencies (minutes); later runs reuse them and the build.
set -euo pipefail
dir=${1:?usage: start.sh DIR}
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
jar="$dir/target/apicurio-runner-2.4.2.Final-runner.jar"
if [ ! -f "$jar" ] || [ -n "$(find "$here/apicurio/pom.xml" "$here/apicurio/src" -newer "$jar" -print -quit)" ]; then
  # The parent POM's checks (checkstyle, license headers) are for Apicurio's own sources.
  (cd "$here/apicurio" && mvn -B -q -DskipTests -Dcheckstyle.skip -Dmaven.javadoc.skip -Dlicense.skip \
     -Denforcer.skip -Drunner.dir="$dir/target" package) >"$dir/build.log" 2>&1 ||
    { echo "registry: build failed, see $dir/build.log" >&2; tail -20 "$dir/build.log" >&2; exit 1; }
fi

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
low=$(cut -f1 /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 32768)
[ "$low" -gt 12000 ] || low=32768
port=
for _ in $(seq 1 200); do
  p=$((10000 + RANDOM % (low - 10002)))
  if port_free "$p"; then port=$p; break; fi
done
[ -n "$port" ] || { echo "registry: no spare port" >&2; exit 1; }

# Java 17 suffices (Quarkus 2.16). prod profile: no debug logging.
java -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Dquarkus.profile=prod \
  -Dquarkus.http.host=127.0.0.1 -Dquarkus.http.port="$port" -Dquarkus.log.level=WARN \
  -jar "$jar" >"$dir/registry.log" 2>&1 &
echo $! >"$dir/registry.pid"
url="http://127.0.0.1:$port/apis/ccompat/v7"
for _ in $(seq 1 120); do
  if curl -sf -m 2 "$url/subjects" >/dev/null 2>&1; then echo "$url"; exit 0; fi
  kill -0 "$(cat "$dir/registry.pid")" 2>/dev/null || break
  sleep 0.5
done
echo "registry: did not come up, see $dir/registry.log" >&2
tail -20 "$dir/registry.log" >&2
kill "$(cat "$dir/registry.pid")" 2>/dev/null || true
exit 1
