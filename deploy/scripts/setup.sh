#!/usr/bin/env bash
# Installs what the project needs on Debian 12, only what is missing, and
# fetches the official Apache Kafka broker jars through Maven (deploy/kafka/pom.xml).
# Idempotent: a second run installs nothing and downloads nothing.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)

sudo_cmd=()
[ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)

# stunnel4 and openssl: Redis over TLS for hiredis 0.14, which has none (README Security).
# libmicrohttpd-dev: the processor's health and metrics endpoint; libsystemd-dev: sd_notify for
# Type=notify units; prometheus: promtool and a real Prometheus that scrapes the processor in the
# tests (Debian enables its service where systemd runs: `systemctl disable --now prometheus` if
# it is not wanted); chromium: the headless browser that renders apctl report's page in the tests.
packages=(build-essential cmake pkg-config librdkafka-dev libavro-dev libhiredis-dev uuid-dev libssl-dev libcmocka-dev
          zlib1g-dev clang libclang-rt-14-dev libmicrohttpd-dev libsystemd-dev prometheus
          redis-server redis-tools kcat jq stunnel4 openssl curl python3-venv chromium)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
command -v java >/dev/null 2>&1 || missing+=(default-jre-headless)
# javac: the test of the Java publisher kit (examples/java) compiles it.
command -v javac >/dev/null 2>&1 || missing+=(default-jdk-headless)
command -v mvn >/dev/null 2>&1 || missing+=(maven)
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  "${sudo_cmd[@]}" apt-get update -q
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
else
  echo "setup: Debian packages present"
fi

"$here/kafka-fetch.sh"
