#!/usr/bin/env bash
# The analysts' report in a real browser (issue 17 §6): apctl report renders
# a fixed set of results and alerts and monthly monitoring partials
# (tests/integration/report/, figures known by hand; February's partials
# lack a lane, so the page must say the month is incomplete), headless Chromium (Debian's chromium) loads the page from a file,
# and report/check_report.py checks the DOM it built (the charts' SVG bars
# and labels, the tables' figures, no citizen id, no script) and that its
# screenshot is a PNG with the bars painted. No Kafka, no Redis.
# Artifacts kept in <build>/artifacts/: report.html, report.dom.html, report.png.
set -euo pipefail
build=$(cd "$1" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
art="$build/artifacts"
mkdir -p "$art"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

command -v chromium >/dev/null || { echo "FAIL: chromium is not installed (deploy/scripts/setup.sh installs it)"; exit 1; }
rm -f "$art/report.html" "$art/report.dom.html" "$art/report.png"

"$build/apctl" report --input "$here/report/results_and_alerts.jsonl" --monitoring "$here/report/monitoring.jsonl" \
  --output "$art/report.html"
url=$(python3 -c 'import pathlib, sys; print(pathlib.Path(sys.argv[1]).resolve().as_uri())' "$art/report.html")

# One browser per step, each bounded; a profile of its own in the temp dir.
browser() {
  timeout 45 chromium --headless --no-sandbox --disable-gpu --user-data-dir="$tmp/profile" --no-first-run \
    --hide-scrollbars --force-device-scale-factor=1 --window-size=1200,1400 "$@" 2>>"$tmp/chromium.log" || {
    echo "FAIL: chromium $1 failed:"; tail -20 "$tmp/chromium.log"; exit 1; }
}
browser --dump-dom "$url" > "$art/report.dom.html"
browser --screenshot="$art/report.png" "$url"

[ -s "$art/report.png" ] || { echo "FAIL: no screenshot"; exit 1; }
[ "$(head -c 8 "$art/report.png" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] ||
  { echo "FAIL: $art/report.png is not a PNG"; exit 1; }
python3 "$here/report/check_report.py" "$art/report.dom.html" "$art/report.png"
echo "report_browser: ok (screenshot $art/report.png)"
