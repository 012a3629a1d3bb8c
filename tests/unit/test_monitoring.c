/*
 * The monthly monitoring measures (issue 16 §2; seed 002 "Monitorering";
 * README "Monitoring"; docs/monitoring-design.md §1 and §6), one citizen's
 * month at a time through the real rules: each case builds a world, lets
 * ap_rules_evaluate evaluate every ISO week overlapping the month and
 * counts the month with ap_monitoring_citizen_month. Rows are named
 * <measure>__<source>, each with the case the definition includes and the
 * one it excludes.
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
#include "arbejdspligt/calendar.h"
#include "arbejdspligt/events.h"
#include "arbejdspligt/monitoring.h"
#include "../support/rules_world.h"

/* One citizen's month: every week overlapping it evaluated, then counted. */
static ap_mon_contribution_t month_of(const world_t *w, int y, int m, const int32_t *sanctions, size_t n_sanctions) {
    ap_week_eval_t *weeks = calloc(AP_MON_MAX_WEEKS, sizeof *weeks);
    assert_non_null(weeks);
    int32_t first = ap_cal_days_from_civil(y, m, 1), last = ap_monitoring_last_day(y, m);
    size_t n = 0;
    for (int32_t monday = ap_cal_week_start(first); monday <= last; monday += 7) {
        assert_true(n < AP_MON_MAX_WEEKS);
        ap_week_input_t in = {"c-1", monday, w->cov, w->ncov, w->pl, w->npl, w->hrs, w->nhrs, w->ex, w->nex, w->red, w->nred, NULL, 0};
        assert_int_equal(ap_rules_evaluate(&in, &weeks[n++]), 0);
    }
    ap_mon_citizen_t c = {y, m, w->cov, w->ncov, sanctions, n_sanctions, weeks, n};
    ap_mon_contribution_t out;
    assert_int_equal(ap_monitoring_citizen_month(&c, &out), 0);
    free(weeks);
    return out;
}

static ap_mon_contribution_t jan(const world_t *w) { return month_of(w, 2026, 1, NULL, 0); }

/* M1 "antal borgere omfattet af arbejdspligten": covered on a day of the
 * month counts; a month spent wholly in IGU does not (seed 004: "Hvis man
 * er i IGU, er man ude af arbejdspligten"). */
static void covered__seed002_seed004(void **s) {
    (void)s;
    world_t w = {0};
    coverage(&w, "cv", "101", "2026-01-20", NULL);
    ap_mon_contribution_t c = jan(&w);
    assert_true(c.counted && c.covered && c.covered_on_last_day);
    assert_string_equal(c.municipality_code, "101");
    ap_mon_contribution_t feb_before = month_of(&w, 2025, 12, NULL, 0);
    assert_false(feb_before.covered);

    world_t igu = {0};
    coverage(&igu, "cv", "101", "2025-06-01", NULL);
    exemption(&igu, "ex-igu", AP_EXEMPT_IGU, "2025-12-01", "2026-03-31", NULL);
    c = jan(&igu);
    assert_false(c.covered);
    assert_false(c.counted);
}

/* "Hvis personen flytter kommune i løbet af måneden, vil personen indgå i
 * opgørelsen for den kommune, hvor personen har bopæl den sidste dag i
 * måneden." Moved on the 15th: counted in the new municipality only. */
static void month_municipality__seed002_bopael(void **s) {
    (void)s;
    world_t w = {0};
    coverage(&w, "cv-1", "101", "2025-06-01", "2026-01-14");
    coverage(&w, "cv-2", "147", "2026-01-15", NULL);
    ap_mon_contribution_t c = jan(&w);
    assert_string_equal(c.municipality_code, "147");
    assert_true(c.moved_in);
    assert_int_equal(c.exit_reason, -1); /* a move is no exit */
    /* December: wholly in the old one, not moved in. */
    c = month_of(&w, 2025, 12, NULL, 0);
    assert_string_equal(c.municipality_code, "101");
    assert_false(c.moved_in);
}

/* A leaver is counted where they last lived (design choice, README
 * Monitoring), and their exit is counted there. */
static void month_municipality_exit__design(void **s) {
    (void)s;
    world_t w = {0};
    coverage(&w, "cv-1", "101", "2025-06-01", "2026-01-10")->end_reason = AP_END_ORDINARY_WORK;
    ap_mon_contribution_t c = jan(&w);
    assert_true(c.covered);
    assert_false(c.covered_on_last_day);
    assert_string_equal(c.municipality_code, "101");
    assert_int_equal(c.exit_reason, AP_END_ORDINARY_WORK);
}

/* M2: STAR's list ("Følgende beskæftigelsesrettede aktiviteter indgår …":
 * the LAB/INL offers, preparation and job search, "Løntimer", "Anvendt
 * socialt frikort"; "Jobsamtaler med jobcentret indgår ikke i målingen").
 * Hours count when credited; an offer counts when a placement is in force
 * on an owed day. */
static void activity__seed002_liste(void **s) {
    (void)s;
    struct { int kind; int placed; int journal; int listed; int paid; } rows[] = {
        {AP_ACT_VIRKSOMHEDSPRAKTIK, 1, 0, 1, 0},
        {AP_ACT_LOENTIMER, 0, 0, 1, 1},
        {AP_ACT_SOCIALT_FRIKORT, 0, 0, 1, 0},
        {AP_ACT_FORBEREDELSE_JOBSOEGNING, 0, 0, 1, 0},
        {AP_ACT_JOBSAMTALE, 0, 0, 0, 0},          /* never on the list */
        {AP_ACT_SOCIAL_SUNDHED, 0, 1, 0, 0},      /* counts toward 37 h when journalised, not on the list */
        {AP_ACT_TRANSPORT, 0, 1, 0, 0},
        {AP_ACT_VIRKSOMHEDSPRAKTIK, 0, 0, 0, 0},  /* offer hours without a placement are not credited */
    };
    for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
        world_t w = {0};
        coverage(&w, "cv", "101", "2025-06-01", NULL);
        if (rows[i].placed) placement(&w, "pl-1", rows[i].kind, "2026-01-13", "2026-01-13", 600);
        hours(&w, "2026-01-13", rows[i].kind, 120, rows[i].journal ? "J-1" : NULL);
        ap_mon_contribution_t c = jan(&w);
        assert_true(c.covered);
        if (c.with_activity != rows[i].listed || c.with_paid_hours != rows[i].paid)
            fail_msg("row %zu (%s): with_activity %d want %d, paid %d want %d", i, ap_activity_kind_name(rows[i].kind),
                     c.with_activity, rows[i].listed, c.with_paid_hours, rows[i].paid);
    }
    /* A nytteindsats placement in force on an owed day, no hours: listed. */
    world_t w = {0};
    coverage(&w, "cv", "101", "2025-06-01", NULL);
    placement(&w, "pl-1", AP_ACT_NYTTEINDSATS, "2026-01-31", "2026-02-28", 1200); /* a Saturday, then February */
    assert_false(jan(&w).with_activity); /* in force only on a day owing nothing */
    w.pl[0].start_date = D("2026-01-30");
    assert_true(jan(&w).with_activity);
    /* Hours on a day outside coverage do not qualify. */
    world_t x = {0};
    coverage(&x, "cv", "101", "2026-01-20", NULL);
    hours(&x, "2026-01-13", AP_ACT_LOENTIMER, 120, NULL);
    assert_false(jan(&x).with_paid_hours);
}

/* M3 "fritagelser fra indsats", by canonical kind, exempt covered calendar
 * days; the deprecated EARLY_RETIREMENT_TARGET counts as the
 * førtidspension target group; an exemption tied to one offer ("Er
 * fritagelsesgrunden alene knyttet til det konkrete afgivne tilbud …") is
 * not a whole-person exemption. */
static void exemptions__seed002(void **s) {
    (void)s;
    world_t w = {0};
    coverage(&w, "cv", "101", "2025-06-01", NULL);
    placement(&w, "pl-1", AP_ACT_NYTTEINDSATS, "2026-01-01", "2026-03-31", 2220);
    exemption(&w, "ex-1", AP_EXEMPT_EARLY_RETIREMENT_TARGET, "2026-01-05", "2026-01-11", NULL); /* 7 days */
    exemption(&w, "ex-2", AP_EXEMPT_HEALTH, "2026-01-20", "2026-01-21", "pl-1");
    ap_mon_contribution_t c = jan(&w);
    assert_int_equal(c.exemption_days[AP_EXEMPT_FOERTIDSPENSION_TARGET], 7);
    assert_int_equal(c.exemption_days[AP_EXEMPT_EARLY_RETIREMENT_TARGET], 0);
    assert_int_equal(c.exemption_days[AP_EXEMPT_HEALTH], 0);
    assert_true(c.placement_exempted);
    assert_false(c.exempt_all_month);
    ap_mon_sums_t sums = {0};
    ap_monitoring_add(&sums, &c);
    ap_monitoring_t rec;
    memset(&rec, 0, sizeof rec);
    assert_int_equal(ap_monitoring_sums_to_record(&sums, &rec), 0);
    assert_int_equal(rec.n_exemptions, 1);
    assert_string_equal(rec.exemptions[0].kind, "FOERTIDSPENSION_TARGET_GROUP");
    assert_int_equal(rec.exemptions[0].citizens, 1);
    assert_int_equal(rec.exemptions[0].days, 7);
    assert_int_equal(rec.placement_exempted_citizens, 1);

    /* Exempt all month: covered on working days, owing none. */
    world_t x = {0};
    coverage(&x, "cv", "101", "2025-06-01", NULL);
    exemption(&x, "ex-1", AP_EXEMPT_PREGNANCY, "2025-12-01", "2026-02-28", NULL);
    c = jan(&x);
    assert_true(c.exempt_all_month);
    assert_int_equal(c.exemption_days[AP_EXEMPT_PREGNANCY], 31);
    x.ex[0].to_date = D("2026-01-29"); /* the last working day, Friday 30 January, owes */
    assert_false(jan(&x).exempt_all_month);
}

/* M4 "fordeling på tilbudstyper, der gives i arbejdspligten": owed working
 * days with a LAB/INL offer in force, per type. */
static void offer_types__seed002(void **s) {
    (void)s;
    world_t w = {0};
    coverage(&w, "cv", "101", "2025-06-01", NULL);
    placement(&w, "pl-1", AP_ACT_LOENTILSKUD, "2026-02-02", "2026-02-13", 2220); /* ten working days */
    placement(&w, "pl-2", AP_ACT_VIRKSOMHEDSPRAKTIK, "2026-02-02", "2026-02-06", 600);
    placement(&w, "pl-3", AP_ACT_FORBEREDELSE_JOBSOEGNING, "2026-02-02", "2026-02-06", 600); /* not an offer type */
    exemption(&w, "ex-1", AP_EXEMPT_HEALTH, "2026-02-04", "2026-02-04", "pl-2");            /* Wednesday, pl-2 only */
    ap_mon_contribution_t c = month_of(&w, 2026, 2, NULL, 0);
    assert_int_equal(c.offer_days[AP_ACT_LOENTILSKUD], 10);
    assert_int_equal(c.offer_days[AP_ACT_VIRKSOMHEDSPRAKTIK], 4);
    assert_true(c.offer_any[AP_ACT_LOENTILSKUD] && c.offer_any[AP_ACT_VIRKSOMHEDSPRAKTIK]);
    assert_true(c.with_activity);
    /* Cancelled: no longer given. */
    w.pl[0].action = AP_PLACEMENT_CANCELLED;
    c = month_of(&w, 2026, 2, NULL, 0);
    assert_int_equal(c.offer_days[AP_ACT_LOENTILSKUD], 0);
    assert_false(c.offer_any[AP_ACT_LOENTILSKUD]);
    /* Days a whole-person exemption makes unowed carry no offer. */
    exemption(&w, "ex-2", AP_EXEMPT_HEALTH, "2026-02-02", "2026-02-03", NULL);
    c = month_of(&w, 2026, 2, NULL, 0);
    assert_int_equal(c.offer_days[AP_ACT_VIRKSOMHEDSPRAKTIK], 2);
}

/* M5 "afgang fra offentlig forsørgelse til ordinært arbejde, uddannelse og
 * fleksjob" and M6 "afgang til andre ydelser": the last covered day in the
 * month with no coverage the day after. */
static void exits__seed002(void **s) {
    (void)s;
    world_t w = {0};
    coverage(&w, "cv-1", "101", "2025-06-01", "2026-01-31")->end_reason = AP_END_FLEXJOB;
    ap_mon_contribution_t c = jan(&w);
    assert_int_equal(c.exit_reason, AP_END_FLEXJOB);
    assert_true(c.covered_on_last_day);
    /* The same period followed by one from 1 February (a move): no exit. */
    coverage(&w, "cv-2", "147", "2026-02-01", NULL);
    assert_int_equal(jan(&w).exit_reason, -1);
    /* An unstated reason is reported as such. */
    world_t x = {0};
    coverage(&x, "cv-1", "101", "2025-06-01", "2026-01-12")->end_reason = -1;
    assert_int_equal(jan(&x).exit_reason, AP_MON_EXIT_NOT_STATED);
    assert_int_equal(month_of(&x, 2026, 2, NULL, 0).exit_reason, -1); /* not covered in February at all */
}

/* M7 "varighed på offentlig forsørgelse": days from the benefit start to the
 * last covered day of the month, in fixed buckets. */
static void duration__seed002(void **s) {
    (void)s;
    world_t w = {0};
    ap_coverage_t *cv = coverage(&w, "cv", "101", "2025-06-01", NULL);
    cv->benefit_start_date = D("2026-01-31") - 182; /* day 183 on 31 January */
    ap_mon_contribution_t c = jan(&w);
    assert_int_equal(c.duration_days, 183);
    ap_mon_sums_t sums = {0};
    ap_monitoring_add(&sums, &c);
    assert_int_equal(sums.duration_buckets[1], 1);
    assert_int_equal(sums.duration_known, 1);
    assert_int_equal(sums.duration_days_sum, 183);
    cv->benefit_start_date += 1; /* day 182: the first bucket */
    memset(&sums, 0, sizeof sums);
    c = jan(&w);
    ap_monitoring_add(&sums, &c);
    assert_int_equal(sums.duration_buckets[0], 1);
    cv->benefit_start_date = AP_NO_DATE;
    memset(&sums, 0, sizeof sums);
    c = jan(&w);
    ap_monitoring_add(&sums, &c);
    assert_int_equal(c.duration_days, -1);
    assert_int_equal(sums.duration_unknown, 1);
    assert_int_equal(sums.duration_known, 0);
}

/* M8 "sanktioner": decisions dated in the month. */
static void sanctions__seed002(void **s) {
    (void)s;
    world_t w = {0};
    coverage(&w, "cv", "101", "2025-06-01", NULL);
    int32_t dates[] = {D("2026-01-15"), D("2026-01-31"), D("2025-12-31"), D("2026-02-01")};
    ap_mon_contribution_t c = month_of(&w, 2026, 1, dates, 4);
    assert_int_equal(c.sanctions, 2);
    ap_mon_sums_t sums = {0};
    ap_monitoring_add(&sums, &c);
    assert_int_equal(sums.sanctions, 2);
    assert_int_equal(sums.sanctioned_citizens, 1);
    /* Not covered in the month: not counted (no municipality to count in). */
    world_t x = {0};
    coverage(&x, "cv", "101", "2026-02-01", NULL);
    c = month_of(&x, 2026, 1, dates, 4);
    memset(&sums, 0, sizeof sums);
    ap_monitoring_add(&sums, &c);
    assert_int_equal(sums.sanctions, 0);
}

/* The weekly 37-hour figures count ISO weeks by their Thursday: 2026-W05
 * (Mon 26 Jan - Sun 1 Feb) is a January week, while its Sunday is a
 * February day for M1-M8 (the seed: "Det er derfor ikke muligt at
 * monitorere på det samlede timeantal", which these figures answer). */
static void weeks__thursday_rule(void **s) {
    (void)s;
    world_t w = {0};
    coverage(&w, "cv", "101", "2026-01-26", NULL);
    week_of(&w, "2026-01-26", AP_ACT_LOENTIMER, 2220, NULL);
    ap_mon_contribution_t c = jan(&w);
    assert_int_equal(c.weeks_owed, 1);
    assert_int_equal(c.weeks_met, 1);
    assert_int_equal(c.required_minutes, 2220);
    ap_mon_contribution_t f = month_of(&w, 2026, 2, NULL, 0);
    assert_true(f.covered); /* 1 February is a February day */
    assert_int_equal(f.weeks_owed, 4); /* W06-W09; W05 is not February's */
    assert_int_equal(f.weeks_met, 0);
    assert_int_equal(f.weeks_attendance_gap + f.weeks_offer_gap + f.weeks_offer_and_attendance_gap, 4);
    assert_int_equal(f.weeks_offer_gap, 4); /* nothing offered, nothing done: the job centre's gap... */
    /* ...and a week of an exit in the previous month still counts where its result names. */
    world_t x = {0};
    coverage(&x, "cv", "101", "2025-06-01", "2025-12-31");
    ap_mon_contribution_t j = jan(&x);
    assert_false(j.covered);
    assert_true(j.counted);
    assert_int_equal(j.weeks_owed, 1); /* W01-2026: Mon 29 Dec - Wed 31 Dec owed */
    assert_int_equal(j.required_minutes, 3 * 444);
    assert_string_equal(j.municipality_code, "101");
}

/* Gap causes and partly exempt weeks go to their own counts. */
static void weeks__causes(void **s) {
    (void)s;
    world_t w = {0};
    coverage(&w, "cv", "101", "2025-06-01", NULL);
    placement(&w, "pl-1", AP_ACT_NYTTEINDSATS, "2026-01-01", "2026-03-31", 2220);
    week_of(&w, "2026-01-05", AP_ACT_NYTTEINDSATS, 2220, NULL); /* met */
    week_of(&w, "2026-01-12", AP_ACT_NYTTEINDSATS, 1000, NULL); /* attendance gap */
    exemption(&w, "ex-1", AP_EXEMPT_HEALTH, "2026-01-19", "2026-01-23", NULL); /* exempt week */
    exemption(&w, "ex-2", AP_EXEMPT_HEALTH, "2026-01-26", "2026-01-26", NULL); /* partly exempt */
    week_of(&w, "2026-01-26", AP_ACT_NYTTEINDSATS, 1776, NULL);
    ap_mon_contribution_t c = jan(&w);
    /* W01 (29 Dec - 4 Jan, Thursday 1 Jan) is owed and empty, with the
     * placement offering only its Thursday and Friday: both gaps. */
    assert_int_equal(c.weeks_owed, 4);
    assert_int_equal(c.weeks_met, 2);
    assert_int_equal(c.weeks_attendance_gap, 1);
    assert_int_equal(c.weeks_offer_and_attendance_gap, 1);
    assert_int_equal(c.weeks_offer_gap, 0);
    assert_int_equal(c.required_minutes, 2220 * 3 + 1776);
    assert_int_equal(c.offered_minutes, 888 + 2220 * 2 + 1776);
    assert_int_equal(c.weeks_exempt, 1);
    assert_int_equal(c.weeks_partly_exempt, 1);
}

/* A month closes with the week holding its last day: March 2026 (ends
 * Tuesday 31 March) with 2026-W14, December 2026 (Thursday 31 December)
 * with 2026-W53. */
static void month_close__calendar(void **s) {
    (void)s;
    assert_int_equal(ap_monitoring_close_monday(2026, 3), D("2026-03-30"));
    assert_int_equal(ap_monitoring_close_monday(2026, 12), D("2026-12-28"));
    assert_int_equal(ap_monitoring_close_monday(2026, 1), D("2026-01-26"));
    assert_int_equal(ap_monitoring_close_monday(2026, 5), D("2026-05-25")); /* Sunday 31 May: its own week */
    int32_t m[2];
    assert_int_equal(ap_monitoring_months_of_week(D("2026-01-26"), m), 2);
    assert_int_equal(m[0], 202601);
    assert_int_equal(m[1], 202602);
    assert_int_equal(ap_monitoring_months_of_week(D("2026-01-05"), m), 1);
    assert_int_equal(ap_monitoring_next_month(202612), 202701);
    assert_int_equal(ap_monitoring_next_month(202601), 202602);
    int32_t ym;
    assert_int_equal(ap_monitoring_parse_month("2026-01", &ym), 0);
    assert_int_equal(ym, 202601);
    assert_int_equal(ap_monitoring_parse_month("2025-01", &ym), 0);
    const char *bad[] = {"2024-12", "2026-13", "2026-00", "2026-1", "2026-01x", "202601", "2100-01", ""};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        if (ap_monitoring_parse_month(bad[i], &ym) == 0) fail_msg("\"%s\" accepted", bad[i]);
    /* The rule version in force on the month's last day: December 2025 is
     * the implementation period, January 2026 is not (seed 002). */
    assert_string_equal(ap_monitoring_rule_version(2025, 12)->name, "AP-2025.1-IMPL");
    assert_true(ap_monitoring_rule_version(2025, 12)->implementation_period);
    assert_string_equal(ap_monitoring_rule_version(2026, 1)->name, "AP-2025.1");
}

/* Sums to a record and back through the codec: what a reader folds is what
 * the lane summed; a kind this build does not know is refused, never
 * dropped from a total. */
static void record_round_trip__summable(void **s) {
    (void)s;
    ap_mon_sums_t sums = {0};
    world_t a = {0}, b = {0};
    coverage(&a, "cv", "101", "2025-06-01", "2026-01-20")->end_reason = AP_END_EDUCATION;
    a.cov[0].benefit_start_date = D("2024-01-01");
    placement(&a, "pl-1", AP_ACT_NYTTEINDSATS, "2026-01-01", "2026-03-31", 2220);
    exemption(&a, "ex-1", AP_EXEMPT_STU, "2026-01-05", "2026-01-06", NULL);
    coverage(&b, "cv", "101", "2025-06-01", NULL);
    placement(&b, "pl-1", AP_ACT_VEJLEDNING_OPKVALIFICERING, "2026-01-01", "2026-03-31", 2220);
    week_of(&b, "2026-01-12", AP_ACT_LOENTIMER, 2220, NULL);
    int32_t d = D("2026-01-09");
    ap_mon_contribution_t ca = month_of(&a, 2026, 1, &d, 1), cb = jan(&b);
    ap_monitoring_add(&sums, &ca);
    ap_monitoring_add(&sums, &cb);
    assert_int_equal(sums.covered_citizens, 2);
    ap_event_t ev, back;
    ap_events_clear(&ev, AP_EV_MONITORING);
    ap_monitoring_t *r = &ev.u.monitoring;
    snprintf(r->event_id, sizeof r->event_id, "00000000-0000-5000-8000-000000000001");
    snprintf(r->municipality_code, sizeof r->municipality_code, "101");
    r->year = 2026;
    r->month = 1;
    r->partition_count = 1;
    snprintf(r->monitoring_version, sizeof r->monitoring_version, "%s", AP_MONITORING_VERSION);
    snprintf(r->rule_version, sizeof r->rule_version, "AP-2025.1");
    r->revision = 1;
    assert_int_equal(ap_monitoring_sums_to_record(&sums, r), 0);
    assert_int_equal(r->n_offer_types, 2);
    assert_string_equal(r->offer_types[0].offer_type, "NYTTEINDSATS"); /* sorted by name */
    assert_string_equal(r->offer_types[1].offer_type, "VEJLEDNING_OPKVALIFICERING");
    assert_int_equal(r->n_exits, 1);
    assert_string_equal(r->exits[0].reason, "EDUCATION");
    assert_int_equal(r->sanctions, 1);
    ap_buf_t buf = {0};
    ap_events_encode(&ev, &buf);
    ap_codec_error_t err;
    assert_int_equal(ap_events_decode((const uint8_t *)buf.data, buf.len, &back, &err), AP_CODEC_OK);
    assert_int_equal(back.type, AP_EV_MONITORING);
    ap_mon_sums_t again = {0};
    char why[128];
    assert_int_equal(ap_monitoring_add_record(&again, &back.u.monitoring, why, sizeof why), 0);
    assert_true(ap_monitoring_sums_equal(&sums, &again));
    /* Twice is double: summable. */
    assert_int_equal(ap_monitoring_add_record(&again, &back.u.monitoring, why, sizeof why), 0);
    assert_int_equal(again.covered_citizens, 4);
    assert_int_equal(again.offer_citizen_days[AP_ACT_NYTTEINDSATS], 2 * sums.offer_citizen_days[AP_ACT_NYTTEINDSATS]);
    snprintf(back.u.monitoring.exits[0].reason, sizeof back.u.monitoring.exits[0].reason, "EMIGRATION");
    assert_int_equal(ap_monitoring_add_record(&again, &back.u.monitoring, why, sizeof why), -1);
    assert_non_null(strstr(why, "EMIGRATION"));
    /* A count past the record's int is refused, not wrapped. */
    sums.covered_citizens = (int64_t)INT32_MAX + 1;
    assert_int_equal(ap_monitoring_sums_to_record(&sums, r), -1);
    ap_buf_free(&buf);
}

static int setup(void **s) {
    (void)s;
    ap_codec_error_t err;
    if (ap_events_init(&err)) fail_msg("%s", err.msg);
    return 0;
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(covered__seed002_seed004),
        cmocka_unit_test(month_municipality__seed002_bopael),
        cmocka_unit_test(month_municipality_exit__design),
        cmocka_unit_test(activity__seed002_liste),
        cmocka_unit_test(exemptions__seed002),
        cmocka_unit_test(offer_types__seed002),
        cmocka_unit_test(exits__seed002),
        cmocka_unit_test(duration__seed002),
        cmocka_unit_test(sanctions__seed002),
        cmocka_unit_test(weeks__thursday_rule),
        cmocka_unit_test(weeks__causes),
        cmocka_unit_test(month_close__calendar),
        cmocka_unit_test(record_round_trip__summable),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
