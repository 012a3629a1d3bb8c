#!/usr/bin/env bash
# apctl monitoring on JSON lines written by the codec (test_monitoring_fold
# --write-fixture; figures by hand there): one row per municipality and
# month with the measures, shares and mean computed from the counts; an
# incomplete month shown as such with no figure; a conflicting record refused;
# --json; the annual follow-up (--followup). No Kafka.
# Usage: apctl_monitoring.sh APCTL TEST_MONITORING_FOLD
set -euo pipefail
apctl=$1
fixture=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

"$fixture" --write-fixture months "$tmp/m.jsonl"
"$fixture" --write-fixture year "$tmp/y.jsonl"

"$apctl" monitoring --input "$tmp/m.jsonl" > "$tmp/out.txt"
cat "$tmp/out.txt"
row() { grep -E "^$1 +$2 " "$tmp/out.txt" || fail "no row $1 $2"; }
# month muni status, then M1 covered, last-day, M2 activity, share, paid, M3
# exempt, all-month, M4 offered, M5 work educ flex, M6 other, M7 mean, M8, |,
# weeks owed, met, offer gap (incl. both), attendance gap, exempt, met share.
[ "$(row 2026-01 101 | awk '{$1=$2=$3=""; print}' | xargs)" = \
  "13 12 9 69.2 2 3 1 6 1 0 1 1 250 2 | 52 41 7 4 3 78.8" ] || fail "2026-01 101: $(row 2026-01 101)"
[ "$(row 2026-01 851 | awk '{print $4, $16, $19, $20, $21, $24}')" = "5 - 20 18 2 90.0" ] || fail "2026-01 851"
[ "$(row 2026-01 all | awk '{print $3, $4, $7, $19, $21}')" = "complete 18 50.0 72 9" ] || fail "2026-01 national"
# February: lane 1's lane record is missing: incomplete, never a smaller total.
[ "$(row 2026-02 101 | cut -c15-)" = "incomplete (1 of 2 lanes)" ] || fail "2026-02 101: $(row 2026-02 101)"
[ "$(row 2026-02 all | cut -c15-)" = "incomplete (1 of 2 lanes)" ] || fail "2026-02 national"

# --json: every measure and the breakdowns; null measures when incomplete.
"$apctl" monitoring --input "$tmp/m.jsonl" --json > "$tmp/out.json"
python3 - "$tmp/out.json" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
by = {(r["municipality_code"], r["year"], r["month"]): r for r in rows}
assert len(rows) == 5, rows
m = by[("101", 2026, 1)]["measures"]
assert m["covered_citizens"] == 13 and m["with_activity_share_pct"] == 69.2, m
assert m["exemptions"] == [{"kind": "HEALTH", "citizens": 3, "days": 40}], m["exemptions"]
assert [o["offer_type"] for o in m["offer_types"]] == ["NYTTEINDSATS", "VIRKSOMHEDSPRAKTIK"], m["offer_types"]
assert m["exits_work_education_flexjob"] == 2 and m["exits_other_benefit"] == 1, m
assert m["duration_mean_days"] == 250 and m["duration_known"] == 10, m
assert m["weeks_offer_gap_incl_both"] == 7 and m["weeks_met_share_pct"] == 78.8, m
assert by[("851", 2026, 1)]["measures"]["duration_mean_days"] is None
assert by[(None, 2026, 1)]["measures"]["covered_citizens"] == 18
feb = by[("101", 2026, 2)]
assert feb["complete"] is False and feb["measures"] is None and feb["lanes_present"] == 1 and feb["partition_count"] == 2, feb
print("json rows ok")
PY

# The same key and revision with another count: refused and reported, exit 1.
python3 - "$tmp/m.jsonl" > "$tmp/conflict.jsonl" <<'PY'
import json, sys
lines = open(sys.argv[1]).read().splitlines()
print("\n".join(lines))
r = json.loads(lines[0]); r["covered_citizens"] += 1
print(json.dumps(r))
PY
set +e
"$apctl" monitoring --input "$tmp/conflict.jsonl" > "$tmp/c.txt" 2> "$tmp/c.err"
rc=$?
set -e
[ $rc = 1 ] || fail "a conflicting record: exit $rc, expected 1"
grep -q "conflict: 101|2026-01|0 revision 1" "$tmp/c.err" || fail "conflict not reported: $(cat "$tmp/c.err")"
grep -qE "^2026-01 101 +refused: conflicting records" "$tmp/c.txt" || fail "conflicted month still totalled: $(cat "$tmp/c.txt")"
# Read twice: duplicates, the same rows.
"$apctl" monitoring --input "$tmp/m.jsonl" --input "$tmp/m.jsonl" > "$tmp/twice.txt" 2> "$tmp/twice.err"
cmp -s "$tmp/out.txt" "$tmp/twice.txt" || fail "reading twice changed the rows"
grep -q "8 duplicates" "$tmp/twice.err" || fail "duplicates not counted: $(cat "$tmp/twice.err")"

# The annual follow-up (FU-2026.1): 101 at 0.26 for 10 months, 851 at exactly 0.25.
"$apctl" monitoring --input "$tmp/y.jsonl" --followup 2026 > "$tmp/fu.txt"
grep -q "^municipality 101: CHALLENGED (10 of 12 months challenged), revision 1 as of the lanes' close of 2026-12" "$tmp/fu.txt" ||
  fail "101 not challenged: $(cat "$tmp/fu.txt")"
grep -q "^municipality 851: not challenged (0 of 12 months challenged)" "$tmp/fu.txt" || fail "851 challenged"
# An audit's what-if at 20 %: 851 becomes challenged, under a renamed version.
"$apctl" monitoring --input "$tmp/y.jsonl" --followup 2026 --followup-override threshold_bp=2000 --json > "$tmp/fu.json"
python3 - "$tmp/fu.json" <<'PY'
import json, sys
rows = {r["municipality_code"]: r for r in map(json.loads, open(sys.argv[1]))}
assert rows["851"]["challenged"] is True and rows["851"]["followup_version"] == "FU-2026.1/threshold_bp=2000", rows["851"]
assert rows["101"]["challenged_months"] == 10 and len(rows["101"]["basis"]) == 12, rows["101"]
print("follow-up ok")
PY
# Before December closes there is nothing to assess.
set +e
"$apctl" monitoring --input "$tmp/m.jsonl" --followup 2026 > "$tmp/nofu.txt" 2>/dev/null
rc=$?
set -e
[ $rc = 1 ] && grep -q "^municipality 101: not available: lane 0 has not closed 2026-12" "$tmp/nofu.txt" ||
  fail "follow-up before December: exit $rc, $(cat "$tmp/nofu.txt")"
echo "apctl_monitoring: ok"
