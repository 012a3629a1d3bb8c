#!/usr/bin/env bash
# Fetches the Apache Kafka broker and its runtime dependencies from Maven
# Central (Maven's default repository) into $AP_KAFKA_HOME/libs, once.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
pom="$here/../kafka/pom.xml"
version=$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$pom")
home=${AP_KAFKA_HOME:-${XDG_CACHE_HOME:-$HOME/.cache}/arbejdspligt/kafka-$version}
if [ -f "$home/.complete" ]; then
  echo "kafka-fetch: Kafka $version present in $home"
  exit 0
fi
echo "kafka-fetch: fetching Kafka $version broker jars into $home"
mkdir -p "$home/libs"
mvn -q -B -Dstyle.color=never -f "$pom" dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$home/libs"
ls "$home/libs"/kafka_2.13-"$version".jar >/dev/null
touch "$home/.complete"
