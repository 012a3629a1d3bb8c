#!/usr/bin/env bash
# Exports are evidence (issue 15 §7) and input is bounded (§6), through the
# real binaries: `ap-replay file` refuses an export cut at a line boundary,
# with a line taken out, a byte changed or a record appended, naming why,
# and writes no output file; a 100 MB JSON line is refused by its line
# number, quickly and in little memory, by `ap-replay file` and by
# `apctl produce`. Offline: no broker, no Redis.
#   export_integrity.sh BUILD_DIR
set -euo pipefail
build=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0
check() { # check NAME EXPECTED ACTUAL
  if [ "$2" == "$3" ]; then echo "ok   $1"; else echo "FAIL $1: expected [$2] got [$3]"; failures=$((failures + 1)); fi
}
"$build/ap-generate" --citizens 60 --weeks 6 --seed 15 --partitions 3 --export "$work/s.jsonl" >/dev/null 2>&1
"$build/ap-generate" --citizens 60 --weeks 6 --seed 15 --partitions 3 --export "$work/s.avro" >/dev/null 2>&1
# replay FILE: prints "EXIT OUTPUT-WRITTEN"; the log is in $work/log.
replay() {
  rm -f "$work/out.jsonl"
  local rc=0
  "$build/ap-replay" file --set replay.input="$1" --set replay.output="$work/out.jsonl" --set topic.placement=ap.placement \
    --set topic.hours=ap.hours --set topic.exemption=ap.exemption "${@:2}" 2> "$work/log" || rc=$?
  echo "$rc $([ -e "$work/out.jsonl" ] && echo written || echo none)"
}
says() { grep -c "$1" "$work/log" || true; }

for f in avro jsonl; do
  check "an intact .$f export is verified and replayed" "0 written 1" "$(replay "$work/s.$f") $(says 'verified=1')"
done
n=$(wc -l < "$work/s.jsonl")
head -n $((n - 1)) "$work/s.jsonl" > "$work/cut.jsonl"
check "cut at a line boundary: refused, nothing written" "1 none 1" "$(replay "$work/cut.jsonl") $(says 'has no manifest')"
check "... and read with replay.unverified=1, with a warning" "0 written 1" \
  "$(replay "$work/cut.jsonl" --set replay.unverified=1) $(says 'has no manifest')"
sed "$((n / 2))d" "$work/s.jsonl" > "$work/gap.jsonl"
check "a line taken out: refused" "1 none 1" "$(replay "$work/gap.jsonl") $(says 'export incomplete: ')"
sed "$((n / 3))s/\"value\":\"c3/\"value\":\"c2/" "$work/s.jsonl" > "$work/flip.jsonl"
check "the flipped copy differs" "1" "$(cmp -s "$work/s.jsonl" "$work/flip.jsonl" && echo 0 || echo 1)"
check "a byte changed: refused" "1 none 1" "$(replay "$work/flip.jsonl") $(says 'SHA-256 mismatch')"
{ cat "$work/s.jsonl"; sed -n "$((n / 2))p" "$work/s.jsonl"; } > "$work/more.jsonl"
check "a record appended: refused" "1 none 1" "$(replay "$work/more.jsonl") $(says 'after the manifest')"

# One 100 MB line, made here (never committed).
{
  echo '{"topic":"ap.hours","partition":0,"offset":0,"timestamp":0,"key":null,"value":null}'
  printf '{"topic":"ap.hours","partition":0,"offset":1,"timestamp":0,"key":null,"value":"'
  head -c $((100 * 1024 * 1024)) /dev/zero | tr '\0' 'a'
  echo '"}'
} > "$work/huge.jsonl"
rss() { sed -n 's/.*Maximum resident set size (kbytes): //p' "$work/time"; }
secs() { sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$work/time" | awk -F: '{print ($1 * 60 + $2) < 5 ? 1 : 0}'; }
/usr/bin/time -v -o "$work/time" "$build/ap-replay" file --set replay.input="$work/huge.jsonl" --set replay.output=/dev/null \
  2> "$work/log" && rc=0 || rc=$?
check "ap-replay: a 100 MB line is refused, naming line 2" "1 1" "$rc $(says 'huge.jsonl:2: line longer than 1048576 bytes')"
check "ap-replay: ... within 64 MB and 5 s" "1 1" "$([ "$(rss)" -lt 65536 ] && echo 1 || echo "0 ($(rss) KB)") $(secs)"
# apctl wants a broker that answers: librdkafka's in-process mock cluster.
tail -n +2 "$work/huge.jsonl" | /usr/bin/time -v -o "$work/time" "$build/apctl" produce \
  --set kafka.property.test.mock.num.brokers=1 --topic ap.hours 2> "$work/log" >/dev/null && rc=0 || rc=$?
check "apctl produce: a 100 MB line is refused, naming line 1" "1 1" "$rc $(says 'line 1: longer than 1048576 bytes')"
check "apctl produce: ... within 64 MB and 5 s" "1 1" "$([ "$(rss)" -lt 65536 ] && echo 1 || echo "0 ($(rss) KB)") $(secs)"

[ "$failures" -eq 0 ] || { echo "$failures check(s) failed"; exit 1; }
