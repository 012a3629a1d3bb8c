#!/usr/bin/env bash
# Publisher kits (issue 17 §5): examples/java (avro-maven-plugin classes, the
# Java client's default partitioner) and examples/python (fastavro,
# confluent-kafka with partitioner=murmur2_random) publish the demo stream
# exactly as `apctl produce` does: per record the same key and the same
# single-object bytes, on the same partition (murmur2 of the key), in the same
# order per partition. And the fingerprints fastavro prints are the wire-order
# column of `apctl fingerprints`, whose input schemas' rows README Publishing
# lists.
#   publisher_kits.sh ENV_DIR BUILD_DIR
# The Java kit is built into BUILD_DIR/examples-java when its sources or the
# schemas changed (Maven's default repository caches the dependencies); the
# Python kit's virtual environment is BUILD_DIR/pyenv-kits.
set -euo pipefail
env_dir=$1; build=$2
id="ap-kits$$"
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
source "$here/../faults/lib.sh"
partitions=6

# The kits, built or installed once.
kit_java=$build/examples-java
if [ ! -f "$kit_java/.built" ] ||
   [ -n "$(find "$root/examples/java/pom.xml" "$root/examples/java/src" "$root/schemas" -newer "$kit_java/.built" -print -quit)" ]; then
  mvn -q -B -Dstyle.color=never -f "$root/examples/java/pom.xml" -Dkit.build.dir="$kit_java" \
    compile dependency:build-classpath -Dmdep.outputFile="$kit_java/classpath.txt"
  touch "$kit_java/.built"
fi
java_kit() { java -cp "$kit_java/classes:$(cat "$kit_java/classpath.txt")" dk.arbejdspligt.examples.Publish "$@"; }
py=$("$root/deploy/scripts/pyenv.sh" "$build/pyenv-kits" "$root/examples/python/requirements.txt")/bin/python
python_kit() { "$py" "$root/examples/python/publish.py" "$@"; }

# One set of input topics per publisher; the demo stream into each.
for who in apctl java python; do
  "$apctl" create-topics --partitions "$partitions" "$id-$who.placement" "$id-$who.hours" "$id-$who.exemption" >/dev/null
done
declare -A file=([placement]=placements [hours]=hours [exemption]=exemptions)
total=0
for t in placement hours exemption; do
  f="$root/deploy/demo/${file[$t]}.jsonl"
  total=$((total + $(grep -c . "$f")))
  "$apctl" produce --topic "$id-apctl.$t" < "$f" 2>/dev/null
  java_kit --topic "$id-java.$t" "$f" 2>/dev/null
  python_kit --topic "$id-python.$t" "$f" 2>/dev/null
done

# What each publisher wrote: "key hex" per record, stably sorted by key (so
# each key's records stay in offset order: a key has one partition), and
# "partition key count" from kcat.
for who in apctl java python; do
  for t in placement hours exemption; do
    n=$(grep -c . "$root/deploy/demo/${file[$t]}.jsonl")
    "$apctl" consume --topic "$id-$who.$t" --hex --wait-for "$n" --timeout-ms 30000 | cut -d' ' -f2- | sort -s -k1,1 \
      > "$work/$who.$t.hex"
    kcat -C -b "$AP_KAFKA_BROKERS" -t "$id-$who.$t" -o beginning -e -q -f '%p %k\n' | sort | uniq -c \
      > "$work/$who.$t.parts"
  done
  cat "$work/$who".*.hex > "$work/$who.hex"
  cat "$work/$who".*.parts > "$work/$who.parts"
done
check "apctl produce wrote the demo stream" "$total" "$(wc -l < "$work/apctl.hex")"
check "records in single-object encoding (C3 01)" "$total" "$(cut -d' ' -f2 "$work/apctl.hex" | grep -c '^c301')"
check "on several partitions" "1" "$([ "$(awk '{print $2}' "$work/apctl.parts" | sort -u | wc -l)" -gt 1 ] && echo 1 || echo 0)"
bad=0
while read -r _ p key; do
  [ "$p" = "$("$apctl" partition --partitions "$partitions" "$key")" ] || bad=$((bad + 1))
done < <(cat "$work/apctl.parts")
check "apctl's partitions are murmur2's" "0" "$bad"
for who in java python; do
  for t in placement hours exemption; do
    check "$who kit, $t: the same keys and bytes, in the same order per key" \
      "$(md5sum < "$work/apctl.$t.hex")" "$(md5sum < "$work/$who.$t.hex")"
    check "$who kit, $t: the same partitions" "$(md5sum < "$work/apctl.$t.parts")" "$(md5sum < "$work/$who.$t.parts")"
  done
  for what in hex parts; do # what differs, for the reader of a failure
    cmp -s "$work/apctl.$what" "$work/$who.$what" ||
      diff "$work/apctl.$what" "$work/$who.$what" | head -6 | cut -c1-200
  done
done

# The fingerprints: fastavro prints the wire order, apctl both.
"$apctl" fingerprints | awk '$4 == "current" { print $1, $3 }' | sort > "$work/fp-apctl"
# shellcheck disable=SC2046
"$py" - "$root/schemas" $(cut -d' ' -f1 "$work/fp-apctl") > "$work/fp-fastavro" <<'PY'
import json, sys, pathlib, fastavro
from fastavro.schema import fingerprint, to_parsing_canonical_form
for name in sys.argv[2:]:
    s = fastavro.parse_schema(json.loads((pathlib.Path(sys.argv[1]) / f"{name}.avsc").read_text()))
    print(name, fingerprint(to_parsing_canonical_form(s), "CRC-64-AVRO"))
PY
check "fastavro's fingerprints are apctl's wire-order column" "$(cat "$work/fp-apctl")" "$(sort "$work/fp-fastavro")"
check "and the record header carries them" "$(grep '^HoursEvent ' "$work/fp-apctl" | cut -d' ' -f2)" \
  "$(head -1 "$work/apctl.hours.hex" | cut -d' ' -f2 | cut -c5-20)"
# README Publishing lists the input schemas' fingerprints in both orders.
"$apctl" fingerprints | awk '$4 == "current" && /Event /' | awk '{ print $1, $2, $3 }' | sort > "$work/fp-both"
sed -n 's/^| `\([A-Za-z]*Event\)` | `\([0-9a-f]\{16\}\)` | `\([0-9a-f]\{16\}\)` |$/\1 \2 \3/p' "$root/README.md" | sort \
  > "$work/fp-readme"
check "README's fingerprint table is apctl's" "$(cat "$work/fp-both")" "$(cat "$work/fp-readme")"
[ "$failures" -eq 0 ]
