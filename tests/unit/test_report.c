/* The analysts' report (report.h): figures per municipality and month
 * computed by hand for a small input read as `apctl consume` prints it; the
 * latest revision wins whatever the order; a week counts in its Thursday's
 * month (across a year and a month boundary); alerts of superseded revisions
 * and duplicates are not counted; every text is HTML-escaped; no citizen id
 * reaches the page. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "arbejdspligt/calendar.h"
#include "arbejdspligt/report.h"

static int setup(void **state) {
    (void)state;
    ap_codec_error_t err;
    return ap_events_init(&err);
}

static int32_t day(int y, int m, int d) { return ap_cal_days_from_civil(y, m, d); }

/* A result of the citizen's ISO week starting monday, as the processor writes it. */
static ap_event_t result(const char *citizen, const char *muni, int32_t monday, int32_t revision, int32_t status,
                         int32_t required, int32_t offered, int32_t credited, int32_t cause) {
    ap_event_t ev;
    ap_events_clear(&ev, AP_EV_RESULT);
    ap_result_t *r = &ev.u.result;
    snprintf(r->event_id, sizeof r->event_id, "00000000-0000-5000-8000-%012d", (int)(monday * 10 + revision));
    snprintf(r->citizen_id, sizeof r->citizen_id, "%s", citizen);
    snprintf(r->municipality_code, sizeof r->municipality_code, "%s", muni);
    int y, w;
    ap_cal_iso_week(monday, &y, &w);
    r->iso_year = y;
    r->iso_week = w;
    r->week_start = monday;
    snprintf(r->rule_version, sizeof r->rule_version, "AP-2025.1");
    r->status = status;
    r->required_minutes = required;
    r->credited_minutes = credited;
    r->shortfall_minutes = credited < required ? required - credited : 0;
    r->revision = revision;
    r->final = true;
    r->closed_at = 1769554800000LL;
    snprintf(r->engine_version, sizeof r->engine_version, "0.1.0/format-3");
    r->offered_minutes = offered;
    r->shortfall_cause = cause;
    return ev;
}

static ap_event_t alert(const char *citizen, const char *muni, int32_t monday, int32_t revision, int32_t code,
                        int32_t audience, int n) {
    ap_event_t ev;
    ap_events_clear(&ev, AP_EV_ALERT);
    ap_alert_t *a = &ev.u.alert;
    snprintf(a->event_id, sizeof a->event_id, "00000000-0000-5000-9000-%012d", n);
    snprintf(a->citizen_id, sizeof a->citizen_id, "%s", citizen);
    snprintf(a->municipality_code, sizeof a->municipality_code, "%s", muni);
    int y, w;
    ap_cal_iso_week(monday, &y, &w);
    a->iso_year = y;
    a->iso_week = w;
    a->week_start = monday;
    a->code = code;
    a->severity = AP_SEV_WARNING;
    snprintf(a->rule_version, sizeof a->rule_version, "AP-2025.1");
    a->revision = revision;
    a->required_minutes = 2220;
    /* Alert texts may name entities (ids of exemptions, placements): never on the page. */
    snprintf(a->detail, sizeof a->detail, "detail about %s", citizen);
    a->audience = audience;
    return ev;
}

/* Feeds ev as the JSON line `apctl consume` would print. */
static ap_report_outcome_t feed(ap_report_t *r, const ap_event_t *ev) {
    ap_buf_t line = AP_BUF_INIT;
    char err[256];
    ap_events_to_json(ev, &line);
    ap_report_outcome_t o = ap_report_add_json(r, line.data, line.len, err, sizeof err);
    if (o == AP_REPORT_INVALID) fprintf(stderr, "invalid: %s\n", err);
    ap_buf_free(&line);
    return o;
}

enum { C = AP_STATUS_COMPLIANT, NC = AP_STATUS_NOT_COMPLIANT, EX = AP_STATUS_EXEMPT, NCOV = AP_STATUS_NOT_COVERED };

/*
 * The input, by hand:
 *   101 2026-01  secret-a W02 (Mon 2026-01-05) rev 1 short (offer gap), rev 2 met: rev 2 counts
 *                secret-a W05 (Mon 01-26, Thu 01-29: January) short, attendance gap
 *                secret-b W01 (Mon 2025-12-29, Thu 2026-01-01: January 2026) exempt
 *                secret-x W03 not covered (a finding only)
 *   101 2026-04  secret-c W14 (Mon 03-30, Thu 04-02: April) short, both gaps
 *   751 2026-01  secret-d W02 short, offer gap
 *                secret-e W02 met, 3/5 days after an exemption (partly exempt)
 *                secret-f W03 short, written before v2 (offered and cause null)
 * Alerts: secret-a W02 rev 1 (superseded), secret-a W05 (case), secret-d
 * (OFFER_GAP, job centre), secret-f PLAN_GAP without audience (job centre by
 * code), and secret-d's again (duplicate).
 */
static ap_report_t *sample(void) {
    ap_report_t *r = ap_report_create();
    int32_t w01 = day(2025, 12, 29), w02 = day(2026, 1, 5), w03 = day(2026, 1, 12), w05 = day(2026, 1, 26),
            w14 = day(2026, 3, 30);
    ap_event_t ev = result("secret-a", "101", w02, 1, NC, 2220, 1200, 1200, AP_CAUSE_OFFER_GAP);
    assert_int_equal(feed(r, &ev), AP_REPORT_ADDED);
    ev = alert("secret-a", "101", w02, 1, AP_ALERT_OFFER_GAP, AP_AUDIENCE_JOB_CENTRE, 1);
    assert_int_equal(feed(r, &ev), AP_REPORT_ADDED);
    ev = result("secret-a", "101", w02, 2, C, 2220, 2220, 2220, AP_CAUSE_NONE);
    assert_int_equal(feed(r, &ev), AP_REPORT_REPLACED);
    ev = result("secret-a", "101", w05, 1, NC, 2220, 2220, 1200, AP_CAUSE_ATTENDANCE_GAP);
    assert_int_equal(feed(r, &ev), AP_REPORT_ADDED);
    ev = alert("secret-a", "101", w05, 1, AP_ALERT_WEEK_SHORT, AP_AUDIENCE_CASE, 2);
    assert_int_equal(feed(r, &ev), AP_REPORT_ADDED);
    ev = result("secret-b", "101", w01, 1, EX, 0, 0, 0, AP_CAUSE_NONE);
    assert_int_equal(feed(r, &ev), AP_REPORT_ADDED);
    ev = result("secret-x", "101", w03, 1, NCOV, 0, 0, 0, AP_CAUSE_NONE);
    assert_int_equal(feed(r, &ev), AP_REPORT_ADDED);
    ev = result("secret-c", "101", w14, 1, NC, 2220, 1200, 600, AP_CAUSE_OFFER_AND_ATTENDANCE_GAP);
    assert_int_equal(feed(r, &ev), AP_REPORT_ADDED);
    ev = result("secret-d", "751", w02, 1, NC, 2220, 1200, 1200, AP_CAUSE_OFFER_GAP);
    assert_int_equal(feed(r, &ev), AP_REPORT_ADDED);
    ev = alert("secret-d", "751", w02, 1, AP_ALERT_OFFER_GAP, AP_AUDIENCE_JOB_CENTRE, 3);
    assert_int_equal(feed(r, &ev), AP_REPORT_ADDED);
    assert_int_equal(feed(r, &ev), AP_REPORT_DUPLICATE);
    ev = result("secret-e", "751", w02, 1, C, 1332, 1332, 1332, AP_CAUSE_NONE);
    ev.u.result.n_adjustments = 1;
    ev.u.result.adjustments[0] = (ap_adjustment_t){AP_ADJ_EXEMPTION, "ex-1", -888, AP_EXEMPT_HEALTH};
    assert_int_equal(feed(r, &ev), AP_REPORT_ADDED);
    ev = result("secret-f", "751", w03, 1, NC, 2220, INT32_MIN, 0, -1);
    assert_int_equal(feed(r, &ev), AP_REPORT_ADDED);
    ev = alert("secret-f", "751", w03, 1, AP_ALERT_PLAN_GAP, -1, 4);
    assert_int_equal(feed(r, &ev), AP_REPORT_ADDED);
    return r;
}

static void figures_by_hand(void **state) {
    (void)state;
    ap_report_t *r = sample();
    const ap_report_cell_t *c;
    assert_int_equal(ap_report_cells(r, &c), 3);

    assert_string_equal(c[0].municipality_code, "101");
    assert_int_equal(c[0].year, 2026);
    assert_int_equal(c[0].month, 1);
    assert_int_equal(c[0].citizens_covered, 2); /* a and b; x is not covered */
    assert_int_equal(c[0].weeks_owed, 2);
    assert_int_equal(c[0].weeks_met, 1);        /* a's W02 at revision 2 */
    assert_int_equal(c[0].weeks_short, 1);
    assert_int_equal(c[0].offer_gap, 0);        /* revision 1's offer gap does not count */
    assert_int_equal(c[0].attendance_gap, 1);
    assert_int_equal(c[0].offer_and_attendance_gap, 0);
    assert_int_equal(c[0].weeks_exempt, 1);     /* b's W01, a 2026 January week */
    assert_int_equal(c[0].weeks_not_covered, 1);
    assert_int_equal(c[0].required_minutes, 4440);
    assert_int_equal(c[0].offered_minutes, 4440);
    assert_int_equal(c[0].credited_minutes, 3420);
    assert_int_equal(c[0].shortfall_minutes, 1020);
    assert_int_equal(c[0].alerts, 1);           /* W05's; W02's belongs to revision 1 */
    assert_int_equal(c[0].alerts_case, 1);
    assert_int_equal(c[0].alerts_job_centre, 0);

    assert_string_equal(c[1].municipality_code, "101");
    assert_int_equal(c[1].month, 4);            /* W14 starts in March, its Thursday is in April */
    assert_int_equal(c[1].citizens_covered, 1);
    assert_int_equal(c[1].weeks_short, 1);
    assert_int_equal(c[1].offer_and_attendance_gap, 1);
    assert_int_equal(c[1].shortfall_minutes, 1620);

    assert_string_equal(c[2].municipality_code, "751");
    assert_int_equal(c[2].month, 1);
    assert_int_equal(c[2].citizens_covered, 3);
    assert_int_equal(c[2].weeks_owed, 3);
    assert_int_equal(c[2].weeks_met, 1);
    assert_int_equal(c[2].offer_gap, 1);
    assert_int_equal(c[2].cause_unknown, 1);
    assert_int_equal(c[2].weeks_partly_exempt, 1);
    assert_int_equal(c[2].required_minutes, 5772);
    assert_int_equal(c[2].offered_minutes, 2532); /* f's null offer is not a 0 */
    assert_int_equal(c[2].offered_unknown, 1);
    assert_int_equal(c[2].alerts, 2);             /* the duplicate once */
    assert_int_equal(c[2].alerts_job_centre, 2);  /* PLAN_GAP without audience: the job centre's */
    assert_int_equal(c[2].alerts_by_code[AP_ALERT_OFFER_GAP], 1);

    ap_report_counts_t n = ap_report_counts(r);
    assert_int_equal(n.results, 9);
    assert_int_equal(n.alerts, 5);
    assert_int_equal(n.citizen_weeks, 8);
    assert_int_equal(n.superseded, 2); /* a's W02 result and alert of revision 1 */
    assert_int_equal(n.duplicates, 1);
    ap_report_destroy(r);
}

/* The same week's revisions in the other order: revision 2 still wins. */
static void latest_revision_wins_in_any_order(void **state) {
    (void)state;
    ap_report_t *r = ap_report_create();
    int32_t w02 = day(2026, 1, 5);
    ap_event_t ev = result("secret-a", "101", w02, 2, C, 2220, 2220, 2220, AP_CAUSE_NONE);
    assert_int_equal(feed(r, &ev), AP_REPORT_ADDED);
    ev = result("secret-a", "101", w02, 1, NC, 2220, 1200, 1200, AP_CAUSE_OFFER_GAP);
    assert_int_equal(feed(r, &ev), AP_REPORT_SUPERSEDED);
    ev = alert("secret-a", "101", w02, 1, AP_ALERT_OFFER_GAP, AP_AUDIENCE_JOB_CENTRE, 1);
    assert_int_equal(feed(r, &ev), AP_REPORT_ADDED);
    ev = result("secret-a", "101", w02, 2, C, 2220, 2220, 2220, AP_CAUSE_NONE);
    assert_int_equal(feed(r, &ev), AP_REPORT_DUPLICATE);
    const ap_report_cell_t *c;
    assert_int_equal(ap_report_cells(r, &c), 1);
    assert_int_equal(c[0].weeks_met, 1);
    assert_int_equal(c[0].weeks_short, 0);
    assert_int_equal(c[0].offer_gap, 0);
    assert_int_equal(c[0].alerts, 0);
    assert_int_equal(c[0].offered_minutes, 2220);
    ap_report_destroy(r);
}

/* One absurd week (a corrupt or hostile line) must not spread the report
 * over thousands of months: weeks outside 2000-2099 are refused, the rest
 * stays as it was. (Found by review: one result dated near INT32_MAX days
 * exhausted memory.) */
static void absurd_weeks_are_refused(void **state) {
    (void)state;
    ap_report_t *r = ap_report_create();
    ap_event_t ev = result("secret-a", "101", day(2026, 1, 5), 1, C, 2220, 2220, 2220, AP_CAUSE_NONE);
    assert_int_equal(feed(r, &ev), AP_REPORT_ADDED);
    ev = result("secret-b", "101", day(9999, 12, 27), 1, C, 2220, 2220, 2220, AP_CAUSE_NONE);
    ap_buf_t line = AP_BUF_INIT;
    char err[256];
    ap_events_to_json(&ev, &line);
    assert_int_equal(ap_report_add_json(r, line.data, line.len, err, sizeof err), AP_REPORT_INVALID);
    assert_non_null(strstr(err, "week_start"));
    ap_buf_free(&line);
    assert_int_equal(ap_report_add_result(r, &ev.u.result), AP_REPORT_INVALID);
    ev = alert("secret-b", "101", day(1969, 12, 29), 1, AP_ALERT_OFFER_GAP, AP_AUDIENCE_JOB_CENTRE, 9);
    assert_int_equal(ap_report_add_alert(r, &ev.u.alert), AP_REPORT_INVALID);
    const ap_report_cell_t *c;
    assert_int_equal(ap_report_cells(r, &c), 1);
    ap_report_destroy(r);
}

static void json_lines_read_strictly(void **state) {
    (void)state;
    ap_report_t *r = ap_report_create();
    char err[256];
    static const char bad[] = "{\"schema\":\"ComplianceResult\",\"citizen_id\":";
    assert_int_equal(ap_report_add_json(r, bad, sizeof bad - 1, err, sizeof err), AP_REPORT_INVALID);
    assert_true(strstr(err, "not JSON") != NULL);
    static const char nosym[] = "{\"schema\":\"ComplianceResult\",\"status\":\"MAYBE\"}";
    assert_int_equal(ap_report_add_json(r, nosym, sizeof nosym - 1, err, sizeof err), AP_REPORT_INVALID);
    static const char other[] = "{\"schema\":\"StreamTick\",\"event_id\":\"x\"}";
    assert_int_equal(ap_report_add_json(r, other, sizeof other - 1, err, sizeof err), AP_REPORT_IGNORED);
    static const char noschema[] = "{\"citizen_id\":\"secret-a\"}";
    assert_int_equal(ap_report_add_json(r, noschema, sizeof noschema - 1, err, sizeof err), AP_REPORT_INVALID);
    /* A result with its lineage, as consume prints it: the lineage is skipped, not an error. */
    ap_event_t ev = result("secret-a", "101", day(2026, 1, 5), 1, C, 2220, 2220, 2220, AP_CAUSE_NONE);
    ap_buf_t line = AP_BUF_INIT;
    ap_events_to_json(&ev, &line);
    char *at = strstr(line.data, "\"inputs\":[]");
    assert_non_null(at);
    ap_buf_t with = AP_BUF_INIT;
    ap_buf_append(&with, line.data, (size_t)(at - line.data));
    ap_buf_append_str(&with, "\"inputs\":[{\"topic\":\"ap.hours\",\"partition\":0,\"offset\":5,"
                             "\"event_id\":\"b116bf3d-c323-56de-a8ca-2fb41fe1bfee\"}]");
    ap_buf_append_str(&with, at + strlen("\"inputs\":[]"));
    assert_int_equal(ap_report_add_json(r, with.data, with.len, err, sizeof err), AP_REPORT_ADDED);
    ap_report_counts_t n = ap_report_counts(r);
    assert_int_equal(n.invalid, 3);
    assert_int_equal(n.ignored, 1);
    assert_int_equal(n.citizen_weeks, 1);
    ap_buf_free(&line);
    ap_buf_free(&with);
    ap_report_destroy(r);
}

static void html_escape_table(void **state) {
    (void)state;
    static const struct { const char *in, *out; } rows[] = {
        {"plain 101", "plain 101"},
        {"<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"},
        {"a&b", "a&amp;b"},
        {"\"quoted\" 'single'", "&quot;quoted&quot; &#39;single&#39;"},
        {"æøå", "æøå"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
        ap_buf_t b = AP_BUF_INIT;
        ap_report_html_escape(&b, rows[i].in, strlen(rows[i].in));
        assert_string_equal(b.data, rows[i].out);
        ap_buf_free(&b);
    }
}

/* Texts from the input and the caller reach the page escaped, never raw. */
static void page_escapes_every_text(void **state) {
    (void)state;
    ap_report_t *r = ap_report_create();
    ap_event_t ev = result("secret-a", "<&>", day(2026, 1, 5), 1, C, 2220, 2220, 2220, AP_CAUSE_NONE);
    snprintf(ev.u.result.rule_version, sizeof ev.u.result.rule_version, "AP<b>\"x'");
    snprintf(ev.u.result.engine_version, sizeof ev.u.result.engine_version, "<img src=x>");
    assert_int_equal(feed(r, &ev), AP_REPORT_ADDED);
    ap_buf_t html = AP_BUF_INIT;
    ap_report_page_t page = {"<script>evil()</script>", "now & <then>"};
    assert_int_equal(ap_report_render_html(r, &page, &html), 0);
    assert_null(strstr(html.data, "<&>"));
    assert_null(strstr(html.data, "<b>"));
    assert_null(strstr(html.data, "<img"));
    assert_null(strstr(html.data, "<script"));
    assert_null(strstr(html.data, "<then>"));
    assert_non_null(strstr(html.data, "Municipality &lt;&amp;&gt;"));
    assert_non_null(strstr(html.data, "data-municipality=\"&lt;&amp;&gt;\""));
    assert_non_null(strstr(html.data, "AP&lt;b&gt;&quot;x&#39;"));
    assert_non_null(strstr(html.data, "&lt;script&gt;evil()&lt;/script&gt;"));
    assert_non_null(strstr(html.data, "now &amp; &lt;then&gt;"));
    ap_buf_free(&html);
    ap_report_destroy(r);
}

static size_t occurrences(const char *s, const char *what) {
    size_t n = 0;
    for (const char *p = s; (p = strstr(p, what)); p += strlen(what)) n++;
    return n;
}

/* The page: charts and tables per municipality, the figures in them, the
 * ISO month rule and the footer; no citizen id, no alert text, no script,
 * no external resource. */
static void page_shows_figures_not_people(void **state) {
    (void)state;
    ap_report_t *r = sample();
    ap_buf_t html = AP_BUF_INIT;
    assert_int_equal(ap_report_render_html(r, NULL, &html), 0);
    const char *h = html.data;
    assert_null(strstr(h, "secret-"));
    assert_null(strstr(h, "detail about"));
    assert_null(strstr(h, "<script"));
    assert_null(strstr(h, "src="));
    assert_null(strstr(h, "href="));
    assert_null(strstr(h, "url("));
    assert_int_equal(occurrences(h, "<section class=\"municipality\""), 2);
    assert_int_equal(occurrences(h, "<svg "), 8); /* four charts per municipality */
    assert_int_equal(occurrences(h, "<table class=\"figures\""), 2);
    assert_non_null(strstr(h, "data-municipality=\"751\""));
    /* The month axis runs January to April for both: 4 months x 1 bar. */
    assert_int_equal(occurrences(h, "<rect class=\"bar citizens_covered\""), 8);
    assert_non_null(strstr(h, "data-series=\"citizens_covered\" data-month=\"2026-01\" data-value=\"3\""));
    assert_non_null(strstr(h, "data-series=\"weeks_met\" data-month=\"2026-01\" data-value=\"1\""));
    assert_non_null(strstr(h, "data-series=\"offer_and_attendance_gap\" data-month=\"2026-04\" data-value=\"1\""));
    assert_non_null(strstr(h, "<td data-field=\"required_minutes\">96:12</td>")); /* 751: 5772 min */
    assert_non_null(strstr(h, "<td data-field=\"share_met\">33.3&nbsp;%</td>"));  /* 751: 1 of 3 */
    assert_non_null(strstr(h, "<td data-field=\"offered_minutes\">42:12 (1 weeks not recorded)</td>"));
    assert_non_null(strstr(h, "month of its Thursday"));
    assert_non_null(strstr(h, "No personal data"));
    assert_non_null(strstr(h, "data-part=\"monitoring\""));
    ap_buf_free(&html);
    ap_report_destroy(r);
}

/* A monitoring record fed to the fold as `apctl consume` prints it; a lane
 * record (muni NULL) lists manifest_muni at revision 1 and carries its sums. */
static void mon_feed(ap_monitoring_fold_t *f, const char *muni, const char *manifest_muni, int month,
                     const ap_mon_sums_t *s) {
    ap_event_t *ev = calloc(1, sizeof *ev);
    assert_non_null(ev);
    ap_events_clear(ev, AP_EV_MONITORING);
    ap_monitoring_t *x = &ev->u.monitoring;
    snprintf(x->event_id, sizeof x->event_id, "00000000-0000-5000-a000-%012d", month * 10 + (muni ? 1 : 0));
    snprintf(x->municipality_code, sizeof x->municipality_code, "%s", muni ? muni : "");
    x->year = 2026, x->month = month, x->partition = 0, x->partition_count = 1, x->revision = 1;
    snprintf(x->monitoring_version, sizeof x->monitoring_version, "MON-2026.1");
    snprintf(x->rule_version, sizeof x->rule_version, "AP-2025.1");
    assert_int_equal(ap_monitoring_sums_to_record(s, x), 0);
    ap_mon_manifest_entry_t e = {"", 1};
    if (manifest_muni) {
        snprintf(e.municipality_code, sizeof e.municipality_code, "%s", manifest_muni);
        x->manifest.items = &e;
        x->manifest.n = 1;
    }
    ap_buf_t line = AP_BUF_INIT;
    char why[256];
    ap_events_to_json(ev, &line);
    assert_int_equal(ap_monitoring_fold_add_json(f, line.data, line.len, why, sizeof why), AP_MON_FOLD_ADDED);
    ap_buf_free(&line);
    free(ev);
}

/* The monitoring part from the fold (issue 16 §2): a complete month's
 * measures with shares computed from counts, an incomplete month said to be
 * so with no figure, a municipality with monitoring records only; without a
 * fold, the part says none were given. */
static void monitoring_part_from_the_fold(void **state) {
    (void)state;
    ap_report_t *r = sample();
    ap_buf_t html = AP_BUF_INIT;
    assert_int_equal(ap_report_render_html(r, NULL, &html), 0);
    assert_non_null(strstr(html.data, "No monitoring records given"));
    assert_null(strstr(html.data, "<table class=\"monitoring\""));
    ap_buf_reset(&html);

    ap_monitoring_fold_t *f = ap_monitoring_fold_create();
    ap_mon_sums_t s;
    memset(&s, 0, sizeof s);
    s.covered_citizens = 3, s.covered_on_last_day = 3, s.with_activity = 2, s.weeks_owed = 8, s.weeks_met = 6;
    s.weeks_offer_gap = 1, s.weeks_offer_and_attendance_gap = 1, s.duration_known = 2, s.duration_days_sum = 401;
    mon_feed(f, "101", NULL, 1, &s);
    mon_feed(f, NULL, "101", 1, &s);
    mon_feed(f, "101", NULL, 2, &s); /* February: its lane record is not read */
    memset(&s, 0, sizeof s);
    s.covered_citizens = 1;
    mon_feed(f, "999", NULL, 3, &s);
    mon_feed(f, NULL, "999", 3, &s);
    ap_report_set_monitoring(r, f);
    assert_int_equal(ap_report_render_html(r, NULL, &html), 0);
    const char *h = html.data;
    assert_null(strstr(h, "secret-"));
    assert_int_equal(occurrences(h, "<table class=\"monitoring\""), 2); /* 101 and 999; 751 has none */
    assert_non_null(strstr(h, "No monitoring records of this municipality")); /* 751 */
    assert_non_null(strstr(h, "<tr data-month=\"2026-01\" data-complete=\"true\"><th scope=\"row\">2026-01</th>"
                              "<td data-field=\"covered_citizens\">3</td>"));
    assert_non_null(strstr(h, "<td data-field=\"share_with_activity\">66.7&nbsp;%</td>"));
    assert_non_null(strstr(h, "<td data-field=\"mean_duration_days\">201</td>")); /* 401 / 2, half up */
    assert_non_null(strstr(h, "<td data-field=\"weeks_offer_gap\">2</td>"));      /* incl. both */
    assert_non_null(strstr(h, "<td data-field=\"share_weeks_met\">75.0&nbsp;%</td>"));
    assert_non_null(strstr(h, "<tr data-month=\"2026-02\" data-complete=\"false\">"));
    assert_non_null(strstr(h, "incomplete (0 of 1 lanes)"));
    assert_non_null(strstr(h, "id=\"municipality-999\""));
    assert_int_equal(occurrences(h, "<section class=\"municipality\""), 3);
    ap_buf_free(&html);
    ap_report_destroy(r);
    ap_monitoring_fold_destroy(f);
}

static void empty_report(void **state) {
    (void)state;
    ap_report_t *r = ap_report_create();
    const ap_report_cell_t *c;
    assert_int_equal(ap_report_cells(r, &c), 0);
    assert_null(c);
    ap_buf_t html = AP_BUF_INIT;
    assert_int_equal(ap_report_render_html(r, NULL, &html), 0);
    assert_non_null(strstr(html.data, "No compliance results"));
    assert_null(strstr(html.data, "<svg"));
    ap_buf_free(&html);
    ap_report_destroy(r);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(figures_by_hand),
        cmocka_unit_test(latest_revision_wins_in_any_order),
        cmocka_unit_test(absurd_weeks_are_refused),
        cmocka_unit_test(json_lines_read_strictly),
        cmocka_unit_test(html_escape_table),
        cmocka_unit_test(page_escapes_every_text),
        cmocka_unit_test(page_shows_figures_not_people),
        cmocka_unit_test(empty_report),
        cmocka_unit_test(monitoring_part_from_the_fold),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
