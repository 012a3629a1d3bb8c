/*
 * The readers' fold of MonitoringPartial records (monitoring_fold.h;
 * docs/monitoring-design.md §2.6, §6 property 5) and the annual follow-up
 * (followup.h; design §4, rows followup__design), with the FollowUp record.
 * Records are built as the processor writes them (partials, then a lane
 * record whose sums are theirs and whose manifest lists them) and given to
 * the fold as decoded Avro, as items, and as JSON lines.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "arbejdspligt/buf.h"
#include "arbejdspligt/events.h"
#include "arbejdspligt/followup.h"
#include "arbejdspligt/schema.h"
#include "arbejdspligt/monitoring_fold.h"

/* A record with its manifest items beside it (records are large: heap). */
typedef struct rec {
    ap_event_t ev;
    ap_mon_manifest_entry_t manifest[8];
} rec_t;

/* Sets the identity of a record: key, revision, close, derived id. */
static rec_t *record(const char *muni, int y, int m, int p, int pc, int rev, int64_t closed_at, const ap_mon_sums_t *s) {
    rec_t *r = calloc(1, sizeof *r);
    assert_non_null(r);
    ap_events_clear(&r->ev, AP_EV_MONITORING);
    ap_monitoring_t *x = &r->ev.u.monitoring;
    char key[48], name[80];
    snprintf(x->municipality_code, sizeof x->municipality_code, "%s", muni ? muni : "");
    x->year = y;
    x->month = m;
    x->partition = p;
    x->partition_count = pc;
    x->revision = rev;
    x->closed_at = closed_at;
    snprintf(x->monitoring_version, sizeof x->monitoring_version, "MON-2026.1");
    snprintf(x->rule_version, sizeof x->rule_version, "AP-2025.1");
    snprintf(key, sizeof key, "%s|%04d-%02d|%d", muni ? muni : "*", y, m, p);
    snprintf(name, sizeof name, "monitoring|%s|%d", key, rev);
    ap_uuid_derive(name, x->event_id);
    assert_int_equal(ap_monitoring_sums_to_record(s, x), 0);
    return r;
}

/* A partial of muni with the figures most tests read: covered citizens,
 * owed weeks, offer-gap weeks (split over the two offer causes). */
static rec_t *partial(const char *muni, int y, int m, int p, int pc, int rev, int64_t closed_at, int covered, int owed,
                      int gap) {
    ap_mon_sums_t s;
    memset(&s, 0, sizeof s);
    s.covered_citizens = s.covered_on_last_day = covered;
    s.weeks_owed = owed;
    s.weeks_offer_gap = gap / 2;
    s.weeks_offer_and_attendance_gap = gap - gap / 2;
    s.weeks_met = owed - gap;
    return record(muni, y, m, p, pc, rev, closed_at, &s);
}

/* The lane record of parts (all of one lane and month): their sums, as the
 * processor adds them, and a manifest listing them. */
static rec_t *lane(rec_t *const *parts, size_t n, int y, int m, int p, int pc, int rev, int64_t closed_at) {
    ap_mon_sums_t s;
    memset(&s, 0, sizeof s);
    char why[160];
    for (size_t i = 0; i < n; i++) assert_int_equal(ap_monitoring_add_record(&s, &parts[i]->ev.u.monitoring, why, sizeof why), 0);
    rec_t *l = record(NULL, y, m, p, pc, rev, closed_at, &s);
    for (size_t i = 0; i < n; i++) {
        snprintf(l->manifest[i].municipality_code, AP_MUNI_CAP, "%s", parts[i]->ev.u.monitoring.municipality_code);
        l->manifest[i].revision = parts[i]->ev.u.monitoring.revision;
    }
    l->ev.u.monitoring.manifest.items = l->manifest;
    l->ev.u.monitoring.manifest.n = (uint32_t)n;
    return l;
}

/* Adds r as the fold reads a topic: encoded, then decoded (the manifest a view). */
static ap_mon_fold_outcome_t add_avro(ap_monitoring_fold_t *f, const rec_t *r) {
    ap_buf_t b = AP_BUF_INIT;
    ap_events_encode(&r->ev, &b);
    ap_event_t *ev = malloc(sizeof *ev);
    ap_codec_error_t err;
    assert_int_equal(ap_events_decode((const uint8_t *)b.data, b.len, ev, &err), AP_CODEC_OK);
    assert_int_equal(ev->type, AP_EV_MONITORING);
    assert_null(ev->u.monitoring.manifest.items); /* a view into b */
    char why[256];
    ap_mon_fold_outcome_t o = ap_monitoring_fold_add(f, &ev->u.monitoring, why, sizeof why);
    free(ev);
    ap_buf_free(&b);
    return o;
}

/* Adds r as a JSON line (apctl consume, ap-replay replay.format=json). */
static ap_mon_fold_outcome_t add_json(ap_monitoring_fold_t *f, const rec_t *r) {
    ap_buf_t b = AP_BUF_INIT;
    ap_events_to_json(&r->ev, &b);
    char why[256];
    ap_mon_fold_outcome_t o = ap_monitoring_fold_add_json(f, b.data, b.len, why, sizeof why);
    if (o != AP_MON_FOLD_ADDED) print_message("%s: %s\n", ap_monitoring_fold_outcome_name(o), why);
    ap_buf_free(&b);
    return o;
}

/* January 2026 on three lanes: lane 0 has 101 and 851, lane 1 has 101,
 * lane 2 has no citizen (an empty lane record). 14 records in all with the
 * lane records; returned in emission order. */
#define N_JAN 6
static void january(rec_t *out[N_JAN]) {
    out[0] = partial("101", 2026, 1, 0, 3, 1, 1000, 10, 40, 8);
    out[1] = partial("851", 2026, 1, 0, 3, 1, 1000, 5, 20, 2);
    out[2] = lane(out, 2, 2026, 1, 0, 3, 1, 1000);
    out[3] = partial("101", 2026, 1, 1, 3, 1, 1100, 3, 12, 1);
    out[4] = lane(&out[3], 1, 2026, 1, 1, 3, 1, 1100);
    out[5] = lane(NULL, 0, 2026, 1, 2, 3, 1, 1200);
}

static void free_all(rec_t **r, size_t n) {
    for (size_t i = 0; i < n; i++) free(r[i]);
}

static void complete_month_totals_per_municipality_and_nationally(void **state) {
    (void)state;
    rec_t *r[N_JAN];
    january(r);
    ap_monitoring_fold_t *f = ap_monitoring_fold_create();
    for (size_t i = 0; i < N_JAN; i++) assert_int_equal(add_avro(f, r[i]), AP_MON_FOLD_ADDED);
    ap_mon_sums_t s;
    ap_mon_fold_status_t st;
    assert_int_equal(ap_monitoring_fold_total(f, "101", 2026, 1, &s, &st), 0);
    assert_int_equal(st.state, AP_MON_TOTAL_COMPLETE);
    assert_int_equal(st.lanes_listing, 2);
    assert_int_equal(s.covered_citizens, 13);
    assert_int_equal(s.weeks_owed, 52);
    assert_int_equal(s.weeks_offer_gap + s.weeks_offer_and_attendance_gap, 9);
    assert_int_equal(ap_monitoring_fold_total(f, "851", 2026, 1, &s, &st), 0);
    assert_int_equal(s.covered_citizens, 5);
    /* A municipality on no manifest is complete with zero, not unknown. */
    assert_int_equal(ap_monitoring_fold_total(f, "147", 2026, 1, &s, &st), 0);
    assert_int_equal(s.covered_citizens, 0);
    assert_int_equal(ap_monitoring_fold_total(f, NULL, 2026, 1, &s, &st), 0);
    assert_int_equal(s.covered_citizens, 18);
    assert_int_equal(s.weeks_owed, 72);
    /* A month never read: incomplete, no lanes. */
    assert_int_equal(ap_monitoring_fold_total(f, "101", 2026, 2, &s, &st), -1);
    assert_int_equal(st.partition_count, 0);
    const char *const *codes;
    assert_int_equal(ap_monitoring_fold_municipalities(f, 202601, 202601, &codes), 2);
    assert_string_equal(codes[0], "101");
    assert_string_equal(codes[1], "851");
    ap_monitoring_fold_destroy(f);
    free_all(r, N_JAN);
}

/* Design §6 property 5: dropping any one partial or lane record makes its
 * month incomplete, never a smaller total, for every municipality and the
 * nation. */
static void fold_completeness__design_property5(void **state) {
    (void)state;
    rec_t *r[N_JAN];
    january(r);
    for (size_t drop = 0; drop < N_JAN; drop++) {
        ap_monitoring_fold_t *f = ap_monitoring_fold_create();
        for (size_t i = 0; i < N_JAN; i++)
            if (i != drop) assert_int_equal(add_avro(f, r[i]), AP_MON_FOLD_ADDED);
        static const char *const munis[] = {"101", "851", "147", NULL};
        for (size_t k = 0; k < 4; k++) {
            ap_mon_sums_t s;
            ap_mon_fold_status_t st;
            if (ap_monitoring_fold_total(f, munis[k], 2026, 1, &s, &st) != -1)
                fail_msg("dropping record %zu: %s still totals (%lld citizens)", drop, munis[k] ? munis[k] : "nation",
                         (long long)s.covered_citizens);
            assert_int_equal(st.state, AP_MON_TOTAL_INCOMPLETE);
            assert_int_equal(s.covered_citizens, 0); /* never a smaller total */
            assert_int_equal(st.partition_count, 3);
            int lane_dropped = r[drop]->ev.u.monitoring.municipality_code[0] == '\0';
            assert_int_equal(st.lanes_present, lane_dropped ? 2 : 3);
            assert_int_equal(st.partials_missing, lane_dropped ? 0 : 1);
        }
        ap_monitoring_fold_destroy(f);
    }
    free_all(r, N_JAN);
}

static void mixed_partition_counts_are_refused(void **state) {
    (void)state;
    rec_t *a = partial("101", 2026, 1, 0, 1, 1, 1000, 4, 10, 1);
    rec_t *la = lane(&a, 1, 2026, 1, 0, 1, 1, 1000);
    /* The same namespace replayed on two partitions. */
    rec_t *b = partial("101", 2026, 1, 1, 2, 1, 1000, 4, 10, 1);
    rec_t *lb = lane(&b, 1, 2026, 1, 1, 2, 1, 1000);
    ap_monitoring_fold_t *f = ap_monitoring_fold_create();
    assert_int_equal(add_avro(f, a), AP_MON_FOLD_ADDED);
    assert_int_equal(add_avro(f, la), AP_MON_FOLD_ADDED);
    ap_mon_sums_t s;
    ap_mon_fold_status_t st;
    assert_int_equal(ap_monitoring_fold_total(f, "101", 2026, 1, &s, &st), 0);
    assert_int_equal(s.covered_citizens, 4);
    assert_int_equal(add_avro(f, b), AP_MON_FOLD_MIXED);
    assert_int_equal(add_avro(f, lb), AP_MON_FOLD_MIXED);
    assert_int_equal(ap_monitoring_fold_total(f, "101", 2026, 1, &s, &st), -1);
    assert_int_equal(st.state, AP_MON_TOTAL_MIXED);
    assert_int_equal(s.covered_citizens, 0);
    assert_int_equal(ap_monitoring_fold_total(f, NULL, 2026, 1, &s, &st), -1);
    assert_int_equal(st.state, AP_MON_TOTAL_MIXED);
    assert_int_equal(ap_monitoring_fold_counts(f).mixed, 2);
    ap_monitoring_fold_destroy(f);
    free(a), free(la), free(b), free(lb);
}

/* A later revision replaces an earlier one in the total; the lane record
 * decides which ("latest by manifest"), whatever the arrival order. */
static void revisions_latest_by_manifest_in_any_order(void **state) {
    (void)state;
    rec_t *p1 = partial("101", 2026, 3, 0, 1, 1, 5000, 5, 20, 2);
    rec_t *l1 = lane(&p1, 1, 2026, 3, 0, 1, 1, 5000);
    rec_t *p2 = partial("101", 2026, 3, 0, 1, 2, 6000, 7, 28, 3);
    rec_t *l2 = lane(&p2, 1, 2026, 3, 0, 1, 2, 6000);
    rec_t *p3 = partial("101", 2026, 3, 0, 1, 3, 7000, 9, 36, 4); /* its lane record not read yet */
    ap_mon_sums_t s;
    ap_mon_fold_status_t st;

    ap_monitoring_fold_t *f = ap_monitoring_fold_create();
    assert_int_equal(add_avro(f, p1), AP_MON_FOLD_ADDED);
    assert_int_equal(add_avro(f, l1), AP_MON_FOLD_ADDED);
    assert_int_equal(ap_monitoring_fold_total(f, "101", 2026, 3, &s, &st), 0);
    assert_int_equal(s.covered_citizens, 5);
    assert_int_equal(add_avro(f, p2), AP_MON_FOLD_ADDED);
    /* Not listed yet: the lane's view stays revision 1. */
    assert_int_equal(ap_monitoring_fold_total(f, "101", 2026, 3, &s, &st), 0);
    assert_int_equal(s.covered_citizens, 5);
    assert_int_equal(add_avro(f, l2), AP_MON_FOLD_ADDED);
    assert_int_equal(ap_monitoring_fold_total(f, "101", 2026, 3, &s, &st), 0);
    assert_int_equal(s.covered_citizens, 7);
    assert_int_equal(add_avro(f, p3), AP_MON_FOLD_ADDED);
    assert_int_equal(ap_monitoring_fold_total(f, "101", 2026, 3, &s, &st), 0);
    assert_int_equal(s.covered_citizens, 7);
    ap_monitoring_fold_destroy(f);

    /* Out of order: the newest lane record first, then the partials backwards. */
    f = ap_monitoring_fold_create();
    assert_int_equal(add_avro(f, l2), AP_MON_FOLD_ADDED);
    assert_int_equal(ap_monitoring_fold_total(f, "101", 2026, 3, &s, &st), -1);
    assert_int_equal(st.partials_missing, 1);
    assert_int_equal(add_avro(f, p1), AP_MON_FOLD_ADDED);
    assert_int_equal(add_avro(f, l1), AP_MON_FOLD_ADDED);
    /* Revision 1 is held and listed by lane revision 1, but the latest lane
     * record lists revision 2: still incomplete, never the older total. */
    assert_int_equal(ap_monitoring_fold_total(f, "101", 2026, 3, &s, &st), -1);
    assert_int_equal(s.covered_citizens, 0);
    assert_int_equal(add_avro(f, p3), AP_MON_FOLD_ADDED);
    assert_int_equal(add_avro(f, p2), AP_MON_FOLD_ADDED);
    assert_int_equal(ap_monitoring_fold_total(f, "101", 2026, 3, &s, &st), 0);
    assert_int_equal(s.covered_citizens, 7);
    /* As of lane revision 1's close: the earlier view. */
    int64_t bound = 5999;
    int32_t used;
    assert_int_equal(ap_monitoring_fold_total_as_of(f, "101", 2026, 3, &bound, 1, &s, &st, &used), 0);
    assert_int_equal(s.covered_citizens, 5);
    assert_int_equal(used, 1);
    bound = 4999; /* before the lane's first close: nothing */
    assert_int_equal(ap_monitoring_fold_total_as_of(f, "101", 2026, 3, &bound, 1, &s, &st, &used), -1);
    assert_int_equal(st.lanes_present, 0);
    int64_t close;
    int32_t pc;
    assert_int_equal(ap_monitoring_fold_lane_close(f, 2026, 3, 0, &close, &pc), 0);
    assert_int_equal(close, 5000);
    assert_int_equal(pc, 1);
    ap_monitoring_fold_destroy(f);
    free(p1), free(l1), free(p2), free(l2), free(p3);
}

static void conflicting_duplicate_is_detected(void **state) {
    (void)state;
    rec_t *p = partial("101", 2026, 2, 0, 1, 1, 3000, 5, 20, 2);
    rec_t *l = lane(&p, 1, 2026, 2, 0, 1, 1, 3000);
    rec_t *other = partial("101", 2026, 2, 0, 1, 1, 3000, 6, 20, 2); /* same key and revision, other count */
    ap_monitoring_fold_t *f = ap_monitoring_fold_create();
    assert_int_equal(add_avro(f, p), AP_MON_FOLD_ADDED);
    assert_int_equal(add_avro(f, l), AP_MON_FOLD_ADDED);
    assert_int_equal(add_avro(f, p), AP_MON_FOLD_DUPLICATE); /* idempotent */
    assert_int_equal(add_json(f, l), AP_MON_FOLD_DUPLICATE); /* the same bytes, read as JSON */
    ap_mon_sums_t s;
    ap_mon_fold_status_t st;
    assert_int_equal(ap_monitoring_fold_total(f, "101", 2026, 2, &s, &st), 0);
    assert_int_equal(s.covered_citizens, 5);
    char why[256];
    assert_int_equal(ap_monitoring_fold_add(f, &other->ev.u.monitoring, why, sizeof why), AP_MON_FOLD_CONFLICT);
    assert_non_null(strstr(why, "101|2026-02|0 revision 1"));
    /* Neither copy is picked. */
    assert_int_equal(ap_monitoring_fold_total(f, "101", 2026, 2, &s, &st), -1);
    assert_int_equal(st.state, AP_MON_TOTAL_CONFLICT);
    assert_int_equal(s.covered_citizens, 0);
    assert_int_equal(ap_monitoring_fold_counts(f).conflicts, 1);
    assert_int_equal(ap_monitoring_fold_counts(f).duplicates, 2);
    ap_monitoring_fold_destroy(f);
    free(p), free(l), free(other);
}

static void json_lines_fold_like_avro_and_bad_records_are_refused(void **state) {
    (void)state;
    rec_t *r[N_JAN];
    january(r);
    ap_monitoring_fold_t *f = ap_monitoring_fold_create();
    for (size_t i = 0; i < N_JAN; i++) assert_int_equal(add_json(f, r[i]), AP_MON_FOLD_ADDED);
    ap_mon_sums_t s;
    ap_mon_fold_status_t st;
    assert_int_equal(ap_monitoring_fold_total(f, "101", 2026, 1, &s, &st), 0);
    assert_int_equal(s.covered_citizens, 13);
    char why[256];
    const char other[] = "{\"schema\":\"StreamTick\",\"event_id\":\"x\"}";
    assert_int_equal(ap_monitoring_fold_add_json(f, other, strlen(other), why, sizeof why), AP_MON_FOLD_IGNORED);
    /* A partition outside its count, a partial with a manifest. */
    rec_t *bad = partial("101", 2026, 1, 3, 3, 1, 1000, 1, 1, 0);
    assert_int_equal(ap_monitoring_fold_add(f, &bad->ev.u.monitoring, why, sizeof why), AP_MON_FOLD_INVALID);
    free(bad);
    bad = lane(&r[0], 1, 2026, 1, 0, 3, 2, 1000);
    snprintf(bad->ev.u.monitoring.municipality_code, AP_MUNI_CAP, "101");
    assert_int_equal(ap_monitoring_fold_add(f, &bad->ev.u.monitoring, why, sizeof why), AP_MON_FOLD_INVALID);
    assert_non_null(strstr(why, "manifest"));
    free(bad);
    ap_monitoring_fold_destroy(f);
    free_all(r, N_JAN);
}

/* ------------------------------------------------------------- follow-up */

/* Rows followup__design (design §4, §6): the assessment of twelve months. */
static void followup__design(void **state) {
    (void)state;
    static const struct {
        const char *row;
        int owed, gap, months; /* `months` months at gap/owed, the rest at 0 gap */
        int challenged_months, challenged;
    } rows[] = {
        {"10 months at 0.26: challenged", 100, 26, 10, 10, 1},
        {"12 months at 0.26: challenged", 100, 26, 12, 12, 1},
        {"10 months at exactly 0.25: not (greater than)", 100, 25, 10, 0, 0},
        {"9 months at 0.26: not (min_months 10)", 100, 26, 9, 9, 0},
        {"12 months at 1.0 but 19 owed weeks: not assessable", 19, 19, 12, 0, 0},
        {"10 months at 0.30 with exactly 20 owed weeks: assessable, challenged", 20, 6, 10, 10, 1},
    };
    const ap_followup_params_t *p = ap_followup_version_for(2026);
    assert_non_null(p);
    assert_string_equal(p->version, "FU-2026.1");
    assert_int_equal(p->threshold_bp, 2500);
    assert_int_equal(p->min_months, 10);
    assert_int_equal(p->min_weeks_owed, 20);
    assert_ptr_equal(ap_followup_version_for(2031), p);
    assert_null(ap_followup_version_for(2025)); /* the implementation period: no follow-up */
    for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
        int64_t owed[12], gap[12];
        for (int m = 0; m < 12; m++) {
            owed[m] = rows[i].owed;
            gap[m] = m < rows[i].months ? rows[i].gap : 0;
        }
        ap_followup_t out;
        memset(&out, 0, sizeof out);
        ap_followup_assess(p, owed, gap, &out);
        if (out.challenged_months != rows[i].challenged_months || out.challenged != rows[i].challenged)
            fail_msg("%s: %d months, challenged %d", rows[i].row, out.challenged_months, out.challenged);
        assert_int_equal(out.n_months, 12);
        assert_int_equal(out.months[0].assessable, rows[i].owed >= 20);
        assert_int_equal(out.months[0].share_bp, rows[i].gap * 10000 / rows[i].owed);
    }
    /* No owed week: share null, not assessable. */
    int64_t zero[12] = {0};
    ap_followup_t out;
    memset(&out, 0, sizeof out);
    ap_followup_assess(p, zero, zero, &out);
    assert_int_equal(out.months[5].share_bp, INT32_MIN);
    assert_false(out.months[5].assessable);
}

static void followup_override_renames_the_version(void **state) {
    (void)state;
    ap_followup_params_t q;
    char why[200];
    const ap_followup_params_t *p = ap_followup_version_for(2026);
    assert_int_equal(ap_followup_override(p, "min_months=9,threshold_bp=2000", &q, why, sizeof why), 0);
    assert_string_equal(q.version, "FU-2026.1/threshold_bp=2000,min_months=9");
    assert_int_equal(q.threshold_bp, 2000);
    assert_int_equal(q.min_months, 9);
    assert_int_equal(q.min_weeks_owed, 20);
    /* Nine months at 0.21 pass the audit's rule, not the default one. */
    int64_t owed[12], gap[12];
    for (int m = 0; m < 12; m++) owed[m] = 100, gap[m] = m < 9 ? 21 : 0;
    ap_followup_t a, b;
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    ap_followup_assess(&q, owed, gap, &a);
    ap_followup_assess(p, owed, gap, &b);
    assert_true(a.challenged);
    assert_false(b.challenged);
    assert_int_equal(ap_followup_override(p, "threshold=1", &q, why, sizeof why), -1);
    assert_int_equal(ap_followup_override(p, "min_months=13", &q, why, sizeof why), -1);
    assert_int_equal(ap_followup_override(p, "min_months=", &q, why, sizeof why), -1);
}

/* A year of one municipality on two lanes: each month 100 owed weeks per
 * lane, `gap` offer-gap weeks on lane 0; lane l closes month m at
 * close(m) + l. */
static int64_t close_at(int y, int m, int l) { return ((int64_t)(y - 2026) * 12 + m) * 1000000 + l; }

static void add_month(ap_monitoring_fold_t *f, int y, int m, int rev, int gap0, int64_t closed_at_lane0) {
    for (int l = 0; l < 2; l++) {
        int64_t at = l == 0 && closed_at_lane0 ? closed_at_lane0 : close_at(y, m, l);
        rec_t *p = partial("101", y, m, l, 2, rev, at, 25, 100, l == 0 ? gap0 : 0);
        rec_t *ln = lane(&p, 1, y, m, l, 2, rev, at);
        assert_int_equal(add_avro(f, p), AP_MON_FOLD_ADDED);
        assert_int_equal(add_avro(f, ln), AP_MON_FOLD_ADDED);
        free(p);
        free(ln);
    }
}

static void followup_revisions_as_of_each_lanes_close(void **state) {
    (void)state;
    const ap_followup_params_t *p = ap_followup_version_for(2026);
    ap_monitoring_fold_t *f = ap_monitoring_fold_create();
    ap_followup_result_t out[AP_FOLLOWUP_MAX_REVISIONS];
    char why[256];
    /* Jan-Nov: 60 of 200 owed weeks short of offers (0.30): challenged. */
    for (int m = 1; m <= 11; m++) add_month(f, 2026, m, 1, 60, 0);
    assert_int_equal(ap_followup_series(f, "101", 2026, p, out, why, sizeof why), -1);
    assert_non_null(strstr(why, "2026-12"));
    /* December at 0: 11 challenged months, the year challenged. */
    add_month(f, 2026, 12, 1, 0, 0);
    int n = ap_followup_series(f, "101", 2026, p, out, why, sizeof why);
    assert_int_equal(n, 1);
    assert_int_equal(out[0].rec.revision, 1);
    assert_int_equal(out[0].rec.as_of_month, 12);
    assert_int_equal(out[0].rec.challenged_months, 11);
    assert_true(out[0].rec.challenged);
    assert_int_equal(out[0].n_basis, 24);
    assert_int_equal(out[0].basis[0].partition, 0);
    assert_int_equal(out[0].basis[12].partition, 1);
    assert_int_equal(out[0].basis[23].month, 12);
    assert_int_equal(out[0].basis[23].lane_revision, 1);
    ap_followup_result_free(&out[0]);
    /* Corrections after the December close: lane 0 revises March and April
     * to 0 gap before its January close, and May after its February close. */
    int64_t before_jan = close_at(2027, 1, 0) - 1, after_feb = close_at(2027, 2, 0) + 5;
    add_month(f, 2027, 1, 1, 0, 0);
    for (int m = 3; m <= 4; m++) {
        rec_t *q = partial("101", 2026, m, 0, 2, 2, before_jan, 25, 100, 0);
        rec_t *ln = lane(&q, 1, 2026, m, 0, 2, 2, before_jan);
        assert_int_equal(add_avro(f, q), AP_MON_FOLD_ADDED);
        assert_int_equal(add_avro(f, ln), AP_MON_FOLD_ADDED);
        free(q), free(ln);
    }
    rec_t *q = partial("101", 2026, 5, 0, 2, 2, after_feb, 25, 100, 0);
    rec_t *ln = lane(&q, 1, 2026, 5, 0, 2, 2, after_feb);
    assert_int_equal(add_avro(f, q), AP_MON_FOLD_ADDED);
    assert_int_equal(add_avro(f, ln), AP_MON_FOLD_ADDED);
    free(q), free(ln);
    /* Revision 1 is unchanged: it is as of the December close. */
    n = ap_followup_series(f, "101", 2026, p, out, why, sizeof why);
    assert_int_equal(n, 2);
    assert_int_equal(out[0].rec.challenged_months, 11);
    assert_int_equal(out[1].rec.revision, 2);
    assert_int_equal(out[1].rec.as_of_month, 13);
    assert_int_equal(out[1].rec.challenged_months, 9);
    assert_false(out[1].rec.challenged);
    assert_int_equal(out[1].basis[2].lane_revision, 2); /* lane 0, March */
    assert_int_equal(out[1].basis[4].lane_revision, 1); /* lane 0, May: revised later */
    assert_string_not_equal(out[0].rec.event_id, out[1].rec.event_id);
    for (int i = 0; i < n; i++) ap_followup_result_free(&out[i]);
    /* February's closes change nothing (no revision); May's correction came
     * after lane 0's February close, so it counts as of March's (8 months). */
    add_month(f, 2027, 2, 1, 0, 0);
    add_month(f, 2027, 3, 1, 0, 0);
    n = ap_followup_series(f, "101", 2026, p, out, why, sizeof why);
    assert_int_equal(n, 3);
    assert_int_equal(out[2].rec.revision, 3);
    assert_int_equal(out[2].rec.as_of_month, 15);
    assert_int_equal(out[2].rec.challenged_months, 8);

    /* The FollowUp record: codec round trip with the basis, and JSON. */
    ap_event_t *ev = calloc(1, sizeof *ev), *back = calloc(1, sizeof *back);
    ap_events_clear(ev, AP_EV_FOLLOWUP);
    ev->u.followup = out[2].rec;
    ap_buf_t b = AP_BUF_INIT;
    ap_events_encode(ev, &b);
    ap_codec_error_t err;
    assert_int_equal(ap_events_decode((const uint8_t *)b.data, b.len, back, &err), AP_CODEC_OK);
    assert_int_equal(back->type, AP_EV_FOLLOWUP);
    const ap_followup_t *x = &back->u.followup;
    assert_string_equal(x->event_id, out[2].rec.event_id);
    assert_string_equal(x->municipality_code, "101");
    assert_string_equal(x->followup_version, "FU-2026.1");
    assert_int_equal(x->year, 2026);
    assert_int_equal(x->revision, 3);
    assert_int_equal(x->as_of_month, 15);
    assert_int_equal(x->challenged_months, 8);
    assert_false(x->challenged);
    assert_int_equal(x->n_months, 12);
    assert_memory_equal(x->months, out[2].rec.months, sizeof x->months);
    assert_int_equal(x->basis.n, 24);
    const ap_record_desc_t *d = ap_events_desc(AP_EV_FOLLOWUP);
    const ap_field_desc_t *bf = NULL;
    for (size_t i = 0; i < d->nfields; i++)
        if (strcmp(d->fields[i].name, "basis") == 0) bf = &d->fields[i];
    assert_non_null(bf);
    ap_followup_basis_t item;
    assert_int_equal(ap_codec_view_item(bf, &x->basis, 4, &item, &err), AP_CODEC_OK);
    assert_int_equal(item.month, 5);
    assert_int_equal(item.lane_revision, 2);
    ap_buf_reset(&b);
    ap_events_to_json(ev, &b);
    assert_non_null(strstr(b.data, "\"schema\":\"FollowUp\""));
    assert_non_null(strstr(b.data, "\"share_bp\":3000"));
    ap_buf_free(&b);
    free(ev), free(back);
    for (int i = 0; i < n; i++) ap_followup_result_free(&out[i]);
    ap_monitoring_fold_destroy(f);
}

/* The released FollowUp v1 is embedded and read by the current schema. */
static void followup_v1_is_released_and_embedded(void **state) {
    (void)state;
    struct ap_released_schema { const char *name; int version; const char *text; size_t len; };
    extern const struct ap_released_schema ap_released_schemas[];
    int found = 0;
    size_t clen;
    const char *current = ap_events_schema_text("FollowUp", &clen);
    assert_non_null(current);
    for (const struct ap_released_schema *r = ap_released_schemas; r->name; r++)
        if (strcmp(r->name, "FollowUp") == 0 && r->version == 1) {
            found = 1;
            uint64_t fp;
            char why[200];
            assert_int_equal(ap_schema_fingerprint(r->text, r->len, &fp, why, sizeof why), 0);
            assert_true(fp == ap_events_desc(AP_EV_FOLLOWUP)->fingerprint); /* v1 is the current schema */
        }
    assert_true(found);
    assert_int_equal(ap_events_type_by_name("FollowUp", 8), AP_EV_FOLLOWUP);
    assert_int_equal(AP_EV_FOLLOWUP, AP_EV_MONITORING + 1);
}

/* ------------------------------------------------- fixtures for apctl */

/* Fixture lines as JSON (apctl consume) or, with fixture_hex, the encoded
 * record in hex (apctl produce-hex's input). */
static int fixture_hex;

static void write_json(FILE *out, const rec_t *r) {
    ap_buf_t b = AP_BUF_INIT;
    if (fixture_hex) {
        ap_buf_t enc = AP_BUF_INIT;
        ap_events_encode(&r->ev, &enc);
        ap_buf_append_hex(&b, enc.data, enc.len);
        ap_buf_free(&enc);
    } else ap_events_to_json(&r->ev, &b);
    fprintf(out, "%s\n", b.data);
    ap_buf_free(&b);
}

/* tests/unit/apctl_monitoring.sh's input, figures by hand there:
 * January 2026 on two lanes, complete, with every kind of measure; February
 * with lane 1's lane record missing. */
static void fixture_months(FILE *out) {
    ap_mon_sums_t s;
    memset(&s, 0, sizeof s);
    s.covered_citizens = 10, s.covered_on_last_day = 9, s.moved_in_citizens = 1, s.with_activity = 6;
    s.with_paid_hours = 2;
    s.exemption_citizens[AP_EXEMPT_HEALTH] = 3, s.exemption_days[AP_EXEMPT_HEALTH] = 40, s.exempt_all_month = 1;
    s.offer_citizens[AP_ACT_NYTTEINDSATS] = 4, s.offer_citizen_days[AP_ACT_NYTTEINDSATS] = 60;
    s.offer_citizens[AP_ACT_VIRKSOMHEDSPRAKTIK] = 2, s.offer_citizen_days[AP_ACT_VIRKSOMHEDSPRAKTIK] = 20;
    s.exits[AP_END_ORDINARY_WORK] = 1, s.exits[AP_END_FLEXJOB] = 1, s.exits[AP_END_OTHER_BENEFIT] = 1;
    s.duration_known = 8, s.duration_unknown = 2, s.duration_days_sum = 2000, s.duration_buckets[1] = 8;
    s.sanctions = 2, s.sanctioned_citizens = 1;
    s.weeks_owed = 40, s.weeks_met = 30, s.weeks_offer_gap = 4, s.weeks_offer_and_attendance_gap = 2;
    s.weeks_attendance_gap = 4, s.weeks_exempt = 3;
    s.required_minutes = 40 * 2220, s.offered_minutes = 36 * 2220, s.credited_minutes = 30 * 2220;
    rec_t *l0[3];
    l0[0] = record("101", 2026, 1, 0, 2, 1, 1769990400000, &s);
    l0[1] = partial("851", 2026, 1, 0, 2, 1, 1769990400000, 5, 20, 2);
    l0[2] = lane(l0, 2, 2026, 1, 0, 2, 1, 1769990400000);
    memset(&s, 0, sizeof s);
    s.covered_citizens = 3, s.covered_on_last_day = 3, s.with_activity = 3;
    s.duration_known = 2, s.duration_days_sum = 500, s.duration_buckets[0] = 2;
    s.weeks_owed = 12, s.weeks_met = 11, s.weeks_offer_gap = 1;
    rec_t *l1[2];
    l1[0] = record("101", 2026, 1, 1, 2, 1, 1769990400001, &s);
    l1[1] = lane(l1, 1, 2026, 1, 1, 2, 1, 1769990400001);
    rec_t *f0[2];
    f0[0] = partial("101", 2026, 2, 0, 2, 1, 1772409600000, 11, 44, 4);
    f0[1] = lane(f0, 1, 2026, 2, 0, 2, 1, 1772409600000);
    rec_t *f1 = partial("101", 2026, 2, 1, 2, 1, 1772409600001, 2, 8, 0); /* its lane record missing */
    rec_t *all[] = {l0[0], l0[1], l0[2], l1[0], l1[1], f0[0], f0[1], f1};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++) {
        write_json(out, all[i]);
        free(all[i]);
    }
}

/* A year on one lane: 101 with 10 months at 26 of 100 owed weeks short of
 * offers (challenged), 851 with 12 months at exactly 25 (not). */
static void fixture_year(FILE *out) {
    for (int m = 1; m <= 12; m++) {
        int64_t at = 1767225600000 + (int64_t)m * 2678400000;
        rec_t *r[3];
        r[0] = partial("101", 2026, m, 0, 1, 1, at, 30, 100, m <= 10 ? 26 : 0);
        r[1] = partial("851", 2026, m, 0, 1, 1, at, 30, 100, 25);
        r[2] = lane(r, 2, 2026, m, 0, 1, 1, at);
        for (int i = 0; i < 3; i++) {
            write_json(out, r[i]);
            free(r[i]);
        }
    }
}

static int setup(void **state) {
    (void)state;
    ap_codec_error_t err;
    if (ap_events_init(&err)) {
        fprintf(stderr, "%s\n", err.msg);
        return -1;
    }
    return 0;
}

int main(int argc, char **argv) {
    /* test_monitoring_fold --write-fixture months|year|year-hex FILE: apctl's test input. */
    if (argc == 4 && strcmp(argv[1], "--write-fixture") == 0) {
        fixture_hex = strstr(argv[2], "-hex") != NULL;
        FILE *out = fopen(argv[3], "w");
        if (!out || setup(NULL)) return 1;
        if (strcmp(argv[2], "months") == 0) fixture_months(out);
        else fixture_year(out);
        return fclose(out) ? 1 : 0;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(complete_month_totals_per_municipality_and_nationally),
        cmocka_unit_test(fold_completeness__design_property5),
        cmocka_unit_test(mixed_partition_counts_are_refused),
        cmocka_unit_test(revisions_latest_by_manifest_in_any_order),
        cmocka_unit_test(conflicting_duplicate_is_detected),
        cmocka_unit_test(json_lines_fold_like_avro_and_bad_records_are_refused),
        cmocka_unit_test(followup__design),
        cmocka_unit_test(followup_override_renames_the_version),
        cmocka_unit_test(followup_revisions_as_of_each_lanes_close),
        cmocka_unit_test(followup_v1_is_released_and_embedded),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
