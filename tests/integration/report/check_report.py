#!/usr/bin/env python3
"""Checks the report as headless Chromium rendered it (report_browser.sh).

Arguments: the DOM Chromium dumped (--dump-dom) and its screenshot (PNG).
The DOM must hold the charts (one inline SVG per chart, bars with the
expected values and labels) and the figures of the tables, computed by hand
from results_and_alerts.jsonl; the screenshot must be a PNG in which the
bars were painted (their colours cover far more pixels than the legends'
swatches alone). Standard library only.
"""
import collections
import html.parser
import struct
import sys
import zlib

failures = []


def check(cond, what):
    if not cond:
        failures.append(what)


class Dom(html.parser.HTMLParser):
    """Collects bars, value labels, table cells and a few counts."""

    def __init__(self):
        super().__init__()
        self.muni = None          # data-municipality of the current section
        self.chart = None         # data-chart of the current svg
        self.table = None         # data-municipality of the current table.figures
        self.row = None           # the current row's heading text
        self.field = None         # data-field of the current td
        self.in_th = False
        self.in_value = None      # (series, month) of a <text class="value">
        self.bars = {}            # (muni, chart, series, month) -> data-value
        self.labels = {}          # (muni, chart, series, month) -> printed value
        self.cells = {}           # (muni, row, field) -> text
        self.mtable = None        # data-municipality of the current table.monitoring
        self.mrow = None          # (month, complete) of its current row
        self.mcells = {}          # (muni, month, field) -> text; field "incomplete" for an incomplete row
        self.tags = collections.Counter()
        self.text = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags[tag] += 1
        if tag == "section" and "municipality" in a.get("class", ""):
            self.muni = a.get("data-municipality")
        elif tag == "svg":
            self.chart = a.get("data-chart")
        elif tag == "rect" and "bar" in a.get("class", "").split():
            self.bars[(self.muni, self.chart, a["data-series"], a["data-month"])] = int(a["data-value"])
        elif tag == "text" and a.get("class") == "value":
            self.in_value = (a["data-series"], a["data-month"])
        elif tag == "table" and a.get("class") == "figures":
            self.table = a.get("data-municipality")
        elif tag == "table" and a.get("class") == "monitoring":
            self.mtable = a.get("data-municipality")
        elif tag == "tr" and self.mtable and a.get("data-month"):
            self.mrow = a["data-month"]
        elif tag == "td" and self.mtable and self.mrow:
            self.field = a.get("data-field") or ("incomplete" if "incomplete" in a.get("class", "") else None)
            if self.field:
                self.mcells[(self.mtable, self.mrow, self.field)] = ""
        elif tag == "tr":
            self.row = ""
        elif tag == "th" and self.table and self.row == "":
            self.in_th = True
        elif tag == "td" and self.table:
            self.field = a.get("data-field")
            self.cells[(self.table, self.row, self.field)] = ""

    def handle_endtag(self, tag):
        if tag == "svg":
            self.chart = None
        elif tag == "text":
            self.in_value = None
        elif tag == "table":
            self.table = None
            self.mtable = None
            self.mrow = None
        elif tag == "th":
            self.in_th = False
        elif tag == "td":
            self.field = None
        elif tag == "section":
            self.muni = None

    def handle_data(self, data):
        self.text.append(data)
        if self.in_value:
            self.labels[(self.muni, self.chart) + self.in_value] = data.strip()
        if self.in_th:
            self.row += data.strip()
        if self.table and self.field:
            self.cells[(self.table, self.row, self.field)] += data
        if self.mtable and self.mrow and self.field:
            self.mcells[(self.mtable, self.mrow, self.field)] += data


def png_pixels(path):
    """Decodes an 8-bit RGB or RGBA PNG (no interlace): width, height, rows of bytes."""
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    pos, idat = 8, []
    while pos < len(data):
        (n,) = struct.unpack(">I", data[pos:pos + 4])
        kind, body = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + n]
        pos += 12 + n
        if kind == b"IHDR":
            w, h, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat.append(body)
    if depth != 8 or ctype not in (2, 6) or interlace:
        raise ValueError("unexpected PNG format %d/%d/%d" % (depth, ctype, interlace))
    bpp = 3 if ctype == 2 else 4
    stride = w * bpp
    raw = zlib.decompress(b"".join(idat))
    rows, prev = [], bytes(stride)
    for y in range(h):
        f = raw[y * (stride + 1)]
        cur = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        if f == 1:
            for i in range(bpp, stride):
                cur[i] = (cur[i] + cur[i - bpp]) & 255
        elif f == 2:
            cur = bytearray((x + p) & 255 for x, p in zip(cur, prev))
        elif f == 3:
            for i in range(stride):
                cur[i] = (cur[i] + ((cur[i - bpp] if i >= bpp else 0) + prev[i]) // 2) & 255
        elif f == 4:
            for i in range(stride):
                a = cur[i - bpp] if i >= bpp else 0
                b = prev[i]
                c = prev[i - bpp] if i >= bpp else 0
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                cur[i] = (cur[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(cur))
        prev = cur
    return w, h, bpp, rows


def colour_counts(path, colours):
    w, h, bpp, rows = png_pixels(path)
    want = {bytes.fromhex(c[1:]): c for c in colours}
    counts = collections.Counter()
    for row in rows:
        for x in range(0, w * bpp, bpp):
            px = row[x:x + 3]
            if px in want:
                counts[want[px]] += 1
    return w, h, counts


def main(dom_path, png_path):
    dom = Dom()
    dom.feed(open(dom_path, encoding="utf-8").read())
    text = "".join(dom.text)

    # Structure: two municipalities, four charts each, no script, no person.
    check(dom.tags["svg"] == 8, "8 inline SVG charts, got %d" % dom.tags["svg"])
    check(dom.tags["script"] == 0, "no <script>")
    check(dom.tags["table"] == 5, "5 tables (overview, one per municipality, two monitoring), got %d" % dom.tags["table"])
    raw = open(dom_path, encoding="utf-8").read()
    check("c-report-" not in raw, "no citizen id in the page")
    check("about c-report" not in raw, "no alert text in the page")
    check("month of its Thursday" in text, "the ISO month rule is stated")
    check("No personal data" in text, "the footer says there is no personal data")
    check("Monthly monitoring measures" in text, "the monitoring part is there")

    # Charts: the bars and their printed values (by hand, see results_and_alerts.jsonl).
    months = ["2026-01", "2026-02", "2026-03", "2026-04"]
    expect = {
        ("101", "covered", "citizens_covered"): [3, 1, 0, 1],
        ("101", "owed", "weeks_owed"): [3, 1, 0, 1],
        ("101", "owed", "weeks_met"): [2, 1, 0, 0],
        ("101", "gaps", "attendance_gap"): [1, 0, 0, 0],
        ("101", "gaps", "offer_and_attendance_gap"): [0, 0, 0, 1],
        ("101", "gaps", "offer_gap"): [0, 0, 0, 0],
        ("101", "exempt", "weeks_exempt"): [1, 0, 0, 0],
        ("751", "covered", "citizens_covered"): [2, 2, 0, 0],
        ("751", "owed", "weeks_met"): [1, 0, 0, 0],
        ("751", "gaps", "offer_gap"): [1, 1, 0, 0],
        ("751", "exempt", "weeks_exempt"): [0, 1, 0, 0],
        ("751", "exempt", "weeks_partly_exempt"): [1, 0, 0, 0],
    }
    for (muni, chart, series), values in expect.items():
        for month, v in zip(months, values):
            key = (muni, chart, series, month)
            check(dom.bars.get(key) == v, "bar %s: want %d, got %s" % (key, v, dom.bars.get(key)))
            if chart != "gaps":  # stacked: one total per month
                check(dom.labels.get(key) == str(v), "label %s: want %d, got %s" % (key, v, dom.labels.get(key)))
    check(dom.labels.get(("101", "gaps", "total", "2026-04")) == "1", "stacked total 101 2026-04")

    # Tables: the figures per month and the totals.
    cells = {
        ("101", "2026-01", "citizens_covered"): "3",
        ("101", "2026-01", "weeks_owed"): "3",
        ("101", "2026-01", "weeks_met"): "2",
        ("101", "2026-01", "share_met"): "66.7\u00a0%",
        ("101", "2026-01", "attendance_gap"): "1",
        ("101", "2026-01", "weeks_exempt"): "1",
        ("101", "2026-01", "required_minutes"): "111:00",
        ("101", "2026-01", "credited_minutes"): "97:00",
        ("101", "2026-01", "alerts_case"): "1",
        ("101", "2026-01", "alerts_job_centre"): "0",
        ("101", "2026-04", "offer_and_attendance_gap"): "1",
        ("101", "all months", "weeks_owed"): "5",
        ("101", "all months", "weeks_met"): "3",
        ("751", "2026-01", "offer_gap"): "1",
        ("751", "2026-01", "weeks_partly_exempt"): "1",
        ("751", "2026-01", "offered_minutes"): "42:12",
        ("751", "2026-01", "alerts_job_centre"): "1",
        ("751", "2026-02", "weeks_exempt"): "1",
        ("751", "all months", "offer_gap"): "2",
    }
    for key, want in cells.items():
        got = dom.cells.get(key)
        check(got == want, "table cell %s: want %r, got %r" % (key, want, got))
    check(("101", "2026-03", "weeks_owed") not in dom.cells, "no table row for a month without weeks")

    # The monitoring part (monitoring.jsonl, one lane): STAR's measures and
    # the weekly figures as the fold totals them; February lacks a lane.
    mcells = {
        ("101", "2026-01", "covered_citizens"): "3",
        ("101", "2026-01", "covered_on_last_day"): "2",
        ("101", "2026-01", "with_activity"): "2",
        ("101", "2026-01", "share_with_activity"): "66.7\u00a0%",
        ("101", "2026-01", "exits_flexjob"): "1",
        ("101", "2026-01", "mean_duration_days"): "300",
        ("101", "2026-01", "sanctions"): "1",
        ("101", "2026-01", "weeks_owed"): "12",
        ("101", "2026-01", "weeks_offer_gap"): "1",
        ("101", "2026-01", "share_weeks_met"): "75.0\u00a0%",
        ("751", "2026-01", "exits_other_benefit"): "1",
        ("751", "2026-01", "weeks_offer_gap"): "3",
        ("751", "2026-01", "mean_duration_days"): "400",
    }
    for key, want in mcells.items():
        got = dom.mcells.get(key)
        check(got == want, "monitoring cell %s: want %r, got %r" % (key, want, got))
    inc = dom.mcells.get(("101", "2026-02", "incomplete"), "")
    check(inc.startswith("incomplete (1 of 2 lanes"), "February shown incomplete, not as a smaller total: %r" % inc)
    check(("101", "2026-02", "covered_citizens") not in dom.mcells, "no figures for the incomplete month")
    check(("751", "2026-02", "covered_citizens") not in dom.mcells, "751 has no February row")

    # The screenshot: a PNG in which the bars were painted. Each legend
    # swatch is 10x10 px; a bar of these figures is hundreds of pixels more.
    colours = {"#4e79a7": "citizens covered", "#59a14f": "weeks met", "#b07aa1": "both gaps",
               "#76b7b2": "exempt weeks", "#bab0ac": "cause not recorded (legend only)"}
    w, h, counts = colour_counts(png_path, colours)
    check(w >= 800 and h >= 800, "screenshot %dx%d" % (w, h))
    for c in ("#4e79a7", "#59a14f", "#b07aa1", "#76b7b2"):
        check(counts[c] >= 1000, "%s bars painted: %d px of %s" % (colours[c], counts[c], c))
    check(counts["#bab0ac"] <= 400, "no bars of a series without weeks: %d px" % counts["#bab0ac"])

    if failures:
        for f in failures:
            print("FAIL:", f)
        return 1
    print("report_browser: %d bars, %d table cells and the screenshot's colours %s checked" %
          (len(dom.bars), len(cells), dict(counts)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
