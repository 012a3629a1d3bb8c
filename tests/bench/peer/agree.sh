#!/usr/bin/env bash
# Agreement of the peer with ap-processor on one run's outputs:
#   tests/bench/peer/agree.sh AP.jsonl PEER.jsonl
# AP.jsonl: `apctl consume --topic <prefix>.compliance` (ComplianceResult as
# JSON lines); PEER.jsonl: the peer's output topic. bench.sh with
# PEER_CHECK=1 writes both to .run/bench/. The peer evaluates a week once, at
# its close, so it is compared with ap-processor's revision 1 (its result at
# the same close); weeks that ap-processor revised later (late changes) are
# counted apart, and so are NOT_COVERED results, which ap-processor writes
# only with a finding and the peer never writes.
set -euo pipefail
[ $# -eq 2 ] || { echo "usage: agree.sh AP.jsonl PEER.jsonl" >&2; exit 2; }
jq -rs --slurpfile peer "$2" '
  def k: "\(.citizen_id) \(.week_start)";
  def fig: {status, required_minutes, credited_minutes};
  (map(select(.schema == "ComplianceResult"))) as $ap
  | ($ap | map(select(.revision == 1 and .status != "NOT_COVERED")) | map({key: k, value: fig}) | from_entries) as $a
  | ($ap | map(select(.revision > 1)) | map(k) | unique) as $revised
  | ($ap | map(select(.revision == 1 and .status == "NOT_COVERED")) | length) as $nc
  | ($ap | sort_by(.revision) | map({key: k, value: fig}) | from_entries) as $latest
  | ($peer | map({key: k, value: fig}) | from_entries) as $p
  | ($revised | map(select($latest[.] != $p[.])) | length) as $moved
  | ([$a | keys[]] + [$p | keys[]] | unique) as $all
  | [ $all[] | {k: ., a: $a[.], p: $p[.]} ] as $rows
  | ($rows | map(select(.a != null and .p != null and .a == .p)) | length) as $same
  | ($rows | map(select(.a != null and .p != null and .a != .p))) as $diff
  | ($rows | map(select(.a != null and .p == null))) as $only_ap
  | ($rows | map(select(.a == null and .p != null))) as $only_peer
  | "citizen-weeks: ap-processor \($a | length) (revision 1, not NOT_COVERED), peer \($p | length)",
    "agree (status, required, credited): \($same) of \($all | length) = \(if ($all | length) > 0 then (10000 * $same / ($all | length) | floor) / 100 else 0 end) %",
    "differ: \($diff | length) (of them weeks ap-processor revised later: \($diff | map(select(.k as $x | $revised | index($x))) | length))",
    "only ap-processor: \($only_ap | length); only peer: \($only_peer | length)",
    "ap-processor NOT_COVERED results (findings, never written by the peer): \($nc)",
    "weeks ap-processor revised after late data: \($revised | length), of which the peer (no revisions) now differs from the latest revision on \($moved)",
    ($diff[:10][] | "  \(.k): ap \(.a | tostring) peer \(.p | tostring)"),
    ($only_ap[:5][] | "  only ap \(.k): \(.a | tostring)"),
    ($only_peer[:5][] | "  only peer \(.k): \(.p | tostring)")
' "$1"
