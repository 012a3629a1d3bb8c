/* Event registry and validation at the door (seeds 002, 003). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "arbejdspligt/calendar.h"
#include "arbejdspligt/events.h"
#include "arbejdspligt/json.h"
#include "arbejdspligt/processor.h"

static int setup(void **state) {
    (void)state;
    ap_codec_error_t err;
    return ap_events_init(&err);
}

static ap_event_t placement(void) {
    ap_event_t ev;
    memset(&ev, 0, sizeof ev);
    ev.type = AP_EV_PLACEMENT;
    ap_placement_t *p = &ev.u.placement;
    strcpy(p->h.event_id, "6f1c2b9e-2d7a-4e0b-9a51-3c8d0f6e7a10");
    strcpy(p->h.citizen_id, "c-00042");
    strcpy(p->h.municipality_code, "101");
    p->h.occurred_at = p->h.recorded_at = 1767600000000LL;
    strcpy(p->h.source_system, "opera");
    strcpy(p->placement_id, "pl-1");
    p->job_type = -1;
    p->start_date = ap_cal_days_from_civil(2026, 1, 5);
    p->end_date = ap_cal_days_from_civil(2026, 3, 27);
    p->planned_minutes_per_week = 1200;
    return ev;
}

/* A refusal whose reason holds fragment: -2 (personal data: the record is
 * withheld) for a CPR number, -1 for anything else. */
static void expect_invalid(const ap_event_t *ev, const char *fragment) {
    char why[AP_TEXT_CAP] = "";
    int rc = ap_events_validate(ev, why, sizeof why);
    if (rc != (strstr(why, "CPR") ? -2 : -1)) fail_msg("rc %d for \"%s\" (want %s)", rc, why, fragment);
    if (!strstr(why, fragment)) fail_msg("reason \"%s\" lacks \"%s\"", why, fragment);
}

static void valid_placement_passes(void **state) {
    (void)state;
    ap_event_t ev = placement();
    char why[AP_TEXT_CAP];
    assert_int_equal(ap_events_validate(&ev, why, sizeof why), 0);
}

/* Seed 002: every offer states its start and end; ending before starting is invalid. */
static void placement_dates__seed002(void **state) {
    (void)state;
    ap_event_t ev = placement();
    ev.u.placement.end_date = ev.u.placement.start_date - 1;
    expect_invalid(&ev, "ends before it starts");
    ev = placement();
    ev.u.placement.end_date = 99999; /* year 2243: not a real end date */
    expect_invalid(&ev, "start/end date");
    /* The range ends on 2099-12-31 exactly. */
    ev = placement();
    ev.u.placement.end_date = ap_cal_days_from_civil(2099, 12, 31);
    char why[AP_TEXT_CAP];
    assert_int_equal(ap_events_validate(&ev, why, sizeof why), 0);
    ev.u.placement.end_date = ap_cal_days_from_civil(2100, 1, 1);
    expect_invalid(&ev, "start/end date");
}

/* Pseudonymisation: a CPR number must never enter (DOMAIN.md, GDPR; issue
 * 15, 3): any spelling of ten digits forming a CPR number's date, in any
 * free-text field; ordinary ids pass. */
static const char *const cpr_spellings[] = {
    "0101901234", "010190-1234", "3112851111", "c-0101901234", "CPR0101901234", "01-01-90-1234", "010190.1234",
    "010190_1234", "010190|1234", "010190 1234", "cpr: 010190 - 1234",
    "010190\xe2\x80\x93" "1234",                                      /* an en dash */
    "\xef\xbc\x90\xef\xbc\x91\xef\xbc\x90\xef\xbc\x91\xef\xbc\x99\xef\xbc\x90"
    "\xef\xbc\x91\xef\xbc\x92\xef\xbc\x93\xef\xbc\x94",              /* fullwidth digits */
    "\xd9\xa0\xd9\xa1\xd9\xa0\xd9\xa1\xd9\xa9\xd9\xa0-\xd9\xa1\xd9\xa2\xd9\xa3\xd9\xa4", /* Arabic-Indic */
    "2902004321",                                                         /* 29 Feb 2000 (7th digit 4: 2000, a leap year) */
    "2902044321",                                                         /* 29 Feb 2004 */
    "borger/010190/1234",
};
/* Not CPR numbers: ordinary ids, other numbers, impossible dates. */
static const char *const not_cpr[] = {
    "9999999999", "3202901234", "0113901234", "0001901234", "2902011234", "2902001234", /* no such dates (1901, 1900 not leap) */
    "g-000042", "hr-g-000001-20460-a", "pl-g-000012-3", "c-00042", "1767600000123", "01019012345",
    "0101 90 1234 5", "010190a1234", "ref 2026-01-05", "r-1", "K\xc3\xb8ge-17", "jr.2026.00017",
    "01010-1234",                                                         /* nine digits */
};

static void cpr_numbers_are_refused__domain_gdpr(void **state) {
    (void)state;
    for (size_t i = 0; i < sizeof cpr_spellings / sizeof *cpr_spellings; i++) {
        if (!ap_events_looks_like_cpr(cpr_spellings[i])) fail_msg("not caught: spelling %zu", i);
        ap_event_t ev = placement();
        snprintf(ev.u.placement.h.citizen_id, AP_ID_CAP, "%s", cpr_spellings[i]);
        /* ('|' and spaces are refused in a citizen id anyway, with their own reason) */
        expect_invalid(&ev, strpbrk(cpr_spellings[i], "| ") ? "citizen_id" : "citizen_id looks like a CPR");
    }
    for (size_t i = 0; i < sizeof not_cpr / sizeof *not_cpr; i++)
        if (ap_events_looks_like_cpr(not_cpr[i])) fail_msg("false positive: %s", not_cpr[i]);
}

/* Every free-text field is checked, and the reason names the field, never the value. */
static void cpr_numbers_are_refused_in_every_text_field(void **state) {
    (void)state;
    const char *cpr = "CPR 010190-1234";
    ap_event_t ev = placement();
    snprintf(ev.u.placement.placement_id, AP_ID_CAP, "%s", cpr);
    expect_invalid(&ev, "placement_id looks like a CPR");
    ev = placement();
    snprintf(ev.u.placement.journal_ref, AP_ID_CAP, "%s", cpr);
    expect_invalid(&ev, "journal_ref looks like a CPR");
    ev = placement();
    snprintf(ev.u.placement.h.source_system, AP_SOURCE_CAP, "%s", cpr);
    expect_invalid(&ev, "source_system looks like a CPR");
    ev = placement();
    strcpy(ev.u.placement.workplace_p_number, "1012345678"); /* a P-number is ten digits by definition */
    char why[128];
    assert_int_equal(ap_events_validate(&ev, why, sizeof why), 0);

    ap_event_t h;
    memset(&h, 0, sizeof h);
    h.type = AP_EV_HOURS;
    h.u.hours.h = placement().u.placement.h;
    strcpy(h.u.hours.report_id, "r-1");
    h.u.hours.activity_date = ap_cal_days_from_civil(2026, 1, 5);
    h.u.hours.minutes = 60;
    assert_int_equal(ap_events_validate(&h, why, sizeof why), 0);
    ap_event_t x = h;
    snprintf(x.u.hours.report_id, AP_ID_CAP, "%s", cpr);
    expect_invalid(&x, "report_id looks like a CPR");
    x = h;
    snprintf(x.u.hours.placement_id, AP_ID_CAP, "%s", cpr);
    expect_invalid(&x, "placement_id looks like a CPR");
    x = h;
    snprintf(x.u.hours.journal_ref, AP_ID_CAP, "%s", cpr);
    expect_invalid(&x, "journal_ref looks like a CPR");
    assert_int_equal(ap_events_validate(&x, why, sizeof why), -2);
    assert_null(strstr(why, "0101")); /* the reason never repeats the number */

    ap_event_t e;
    ap_events_clear(&e, AP_EV_EXEMPTION);
    e.u.exemption.h = h.u.hours.h;
    strcpy(e.u.exemption.exemption_id, "ex-1");
    e.u.exemption.from_date = ap_cal_days_from_civil(2026, 1, 5);
    e.u.exemption.to_date = AP_NO_DATE;
    assert_int_equal(ap_events_validate(&e, why, sizeof why), 0);
    snprintf(e.u.exemption.placement_id, AP_ID_CAP, "%s", cpr);
    expect_invalid(&e, "placement_id looks like a CPR");
    strcpy(e.u.exemption.placement_id, "");
    snprintf(e.u.exemption.exemption_id, AP_ID_CAP, "%s", cpr);
    expect_invalid(&e, "exemption_id looks like a CPR");

    ap_event_t r;
    ap_events_clear(&r, AP_EV_REDUCTION);
    r.u.reduction.h = h.u.hours.h;
    strcpy(r.u.reduction.reduction_id, "rd-1");
    r.u.reduction.reduced_minutes_per_week = 900;
    r.u.reduction.valid_from = r.u.reduction.assessed_on = ap_cal_days_from_civil(2026, 1, 5);
    r.u.reduction.valid_to = AP_NO_DATE;
    r.u.reduction.n_assessed = 2;
    strcpy(r.u.reduction.assessed_placement_ids[0], "pl-1");
    strcpy(r.u.reduction.journal_ref, "j-1");
    assert_int_equal(ap_events_validate(&r, why, sizeof why), 0);
    snprintf(r.u.reduction.assessed_placement_ids[1], AP_ID_CAP, "%s", cpr);
    expect_invalid(&r, "assessed_placement_ids looks like a CPR");
    strcpy(r.u.reduction.assessed_placement_ids[1], "pl-2");
    snprintf(r.u.reduction.reduction_id, AP_ID_CAP, "%s", cpr);
    expect_invalid(&r, "reduction_id looks like a CPR");

    ap_event_t c;
    ap_events_clear(&c, AP_EV_COVERAGE);
    c.u.coverage.h = h.u.hours.h;
    c.u.coverage.from_date = ap_cal_days_from_civil(2026, 1, 5);
    c.u.coverage.to_date = AP_NO_DATE;
    snprintf(c.u.coverage.coverage_id, AP_ID_CAP, "%s", cpr);
    expect_invalid(&c, "coverage_id looks like a CPR");
}

static void header_rules(void **state) {
    (void)state;
    ap_event_t ev = placement();
    strcpy(ev.u.placement.h.event_id, "not-a-uuid");
    expect_invalid(&ev, "UUID");
    const char *not_uuids[] = {
        "0e8f5b2c-3a1d-4c6e-9b7a-5d2f1e0c8a9",   /* 35 characters */
        "0e8f5b2c-3a1d-4c6e-9b7a-5d2f1e0c8a9bb", /* 37 */
        "0e8f5b2c-3a1d-4c6e-9b7a-5d2f1e0c8a9g",  /* not hex */
        "0e8f5b2c-3a1d-4c6e-9b7a-5d2f1e0c8a-b",  /* a dash for a digit */
        "0e8f5b2c3-a1d-4c6e-9b7a-5d2f1e0c8a9b",  /* a dash out of place */
        "0e8f5b2c-3a1d-4c6e-9b7a-5d2f1e0c8a9 ",  /* a space */
    };
    for (size_t i = 0; i < sizeof not_uuids / sizeof *not_uuids; i++) {
        ev = placement();
        strcpy(ev.u.placement.h.event_id, not_uuids[i]);
        expect_invalid(&ev, "UUID");
    }
    const char *uuids[] = {"0e8f5b2c-3a1d-4c6e-9b7a-5d2f1e0c8a9b", "0E8F5B2C-3A1D-4C6E-9B7A-5D2F1E0C8A9B"};
    for (size_t i = 0; i < 2; i++) {
        ev = placement();
        strcpy(ev.u.placement.h.event_id, uuids[i]);
        char why[128];
        assert_int_equal(ap_events_validate(&ev, why, sizeof why), 0);
    }
    ev = placement();
    strcpy(ev.u.placement.h.municipality_code, "1a1");
    expect_invalid(&ev, "municipality_code");
    ev = placement();
    strcpy(ev.u.placement.h.citizen_id, "c-{1}");
    expect_invalid(&ev, "citizen_id");
    /* '|' joins the store's composite fields ("citizen|report id"): a citizen
     * id holding it could name another citizen's report (issue 14, 3). */
    static const char *const joined[] = {"c-a|x", "|", "c|", "|c"};
    for (size_t i = 0; i < sizeof joined / sizeof *joined; i++) {
        ev = placement();
        strcpy(ev.u.placement.h.citizen_id, joined[i]);
        expect_invalid(&ev, "citizen_id");
    }
    /* Other punctuation stays allowed: ids are the publishers'. */
    static const char *const fine[] = {"c:a", "c-a:x", "K\xc3\xb8ge/17", "a.b_c-d"};
    for (size_t i = 0; i < sizeof fine / sizeof *fine; i++) {
        ev = placement();
        strcpy(ev.u.placement.h.citizen_id, fine[i]);
        char why[128];
        assert_int_equal(ap_events_validate(&ev, why, sizeof why), 0);
    }
    ev = placement();
    strcpy(ev.u.placement.workplace_p_number, "12345");
    expect_invalid(&ev, "P-number");
}

static void hours_and_reduction_rules(void **state) {
    (void)state;
    ap_event_t ev;
    memset(&ev, 0, sizeof ev);
    ev.type = AP_EV_HOURS;
    ev.u.hours.h = placement().u.placement.h;
    strcpy(ev.u.hours.report_id, "r-1");
    ev.u.hours.activity_date = ap_cal_days_from_civil(2026, 1, 5);
    ev.u.hours.minutes = 1441;
    expect_invalid(&ev, "minutes");
    ev.u.hours.minutes = 60;
    ev.u.hours.activity_date = ap_cal_days_from_civil(2024, 12, 1); /* over a year before the report */
    expect_invalid(&ev, "within the year");
    /* Report times a fuzzer finds: the day arithmetic must not overflow
     * (UBSan aborts the test on a signed overflow). */
    static const int64_t odd[] = {INT64_MAX, (int64_t)INT32_MAX * 86400000LL, (int64_t)INT32_MAX * 86400000LL + 1,
                                  (int64_t)INT32_MIN * -86400000LL, 1};
    ev.u.hours.activity_date = ap_cal_days_from_civil(2026, 1, 5);
    for (size_t i = 0; i < sizeof odd / sizeof *odd; i++) {
        ev.u.hours.h.occurred_at = odd[i];
        expect_invalid(&ev, "within the year");
    }
    ev.u.hours.h = placement().u.placement.h;
    ev.u.hours.activity_date = ap_cal_days_from_civil(2026, 1, 7); /* after the report */
    expect_invalid(&ev, "within the year");
    ev.u.hours.activity_date = ap_cal_days_from_civil(2013, 12, 31); /* before any rule version */
    expect_invalid(&ev, "out of range");
    ev.u.hours.activity_date = ap_cal_days_from_civil(2026, 1, 5);
    ev.u.hours.minutes = 1440;
    char why[AP_TEXT_CAP];
    assert_int_equal(ap_events_validate(&ev, why, sizeof why), 0);

    ap_events_clear(&ev, AP_EV_REDUCTION);
    ev.u.reduction.h = placement().u.placement.h;
    strcpy(ev.u.reduction.reduction_id, "rd-1");
    ev.u.reduction.valid_from = ev.u.reduction.assessed_on = ap_cal_days_from_civil(2026, 1, 5);
    ev.u.reduction.valid_to = AP_NO_DATE;
    ev.u.reduction.reduced_minutes_per_week = 1200;
    strcpy(ev.u.reduction.journal_ref, "j-7");
    expect_invalid(&ev, "assessed placements"); /* LAB § 105 a stk. 2: concrete, per activity */
    ev.u.reduction.n_assessed = 1;
    strcpy(ev.u.reduction.assessed_placement_ids[0], "pl-1");
    assert_int_equal(ap_events_validate(&ev, why, sizeof why), 0);
    ev.u.reduction.reduced_minutes_per_week = 2220;
    expect_invalid(&ev, "below the 37-hour norm");
    ev.u.reduction.reduced_minutes_per_week = 1201;
    expect_invalid(&ev, "multiple of 5");
}

static void registry_is_complete_and_distinct(void **state) {
    (void)state;
    for (int t = 0; t < AP_EV_COUNT; t++) {
        const ap_record_desc_t *d = ap_events_desc((ap_event_type_t)t);
        assert_non_null(d->schema_text);
        assert_int_equal(ap_events_type_by_fingerprint(d->fingerprint), t);
        assert_int_equal(ap_events_type_by_name(d->name, strlen(d->name)), t);
    }
    assert_int_equal(ap_events_type_by_name("Nope", 4), AP_EV_COUNT);
}

static void derived_ids_are_stable_uuids(void **state) {
    (void)state;
    char a[AP_UUID_CAP], b[AP_UUID_CAP], c[AP_UUID_CAP];
    ap_uuid_derive("result|c-1|20458|1", a);
    ap_uuid_derive("result|c-1|20458|1", b);
    ap_uuid_derive("result|c-1|20458|2", c);
    assert_string_equal(a, b);
    assert_string_not_equal(a, c);
    ap_event_t ev = placement();
    strcpy(ev.u.placement.h.event_id, a);
    char why[AP_TEXT_CAP];
    assert_int_equal(ap_events_validate(&ev, why, sizeof why), 0); /* a well-formed UUID */
    assert_int_equal(a[14], '5');                                  /* version 5: name-based (uuid.h) */
}


/* ------------------------------------------------ issue 16 §4: the door */

static ap_event_t exemption_ev(int kind) {
    ap_event_t ev;
    ap_events_clear(&ev, AP_EV_EXEMPTION);
    ev.u.exemption.h = placement().u.placement.h;
    strcpy(ev.u.exemption.exemption_id, "ex-1");
    ev.u.exemption.action = AP_EXEMPTION_GRANTED;
    ev.u.exemption.kind = kind;
    ev.u.exemption.from_date = ap_cal_days_from_civil(2026, 1, 5);
    return ev;
}

static ap_event_t reduction_ev(void) {
    ap_event_t ev;
    ap_events_clear(&ev, AP_EV_REDUCTION);
    ev.u.reduction.h = placement().u.placement.h;
    strcpy(ev.u.reduction.reduction_id, "rd-1");
    ev.u.reduction.action = AP_REDUCTION_SET;
    ev.u.reduction.reduced_minutes_per_week = 900;
    ev.u.reduction.valid_from = ev.u.reduction.assessed_on = ap_cal_days_from_civil(2026, 1, 5);
    ev.u.reduction.n_assessed = 1;
    strcpy(ev.u.reduction.assessed_placement_ids[0], "pl-1");
    strcpy(ev.u.reduction.journal_ref, "j-9");
    return ev;
}

static ap_event_t coverage_ev(void) {
    ap_event_t ev;
    ap_events_clear(&ev, AP_EV_COVERAGE);
    ev.u.coverage.h = placement().u.placement.h;
    strcpy(ev.u.coverage.coverage_id, "cv-1");
    ev.u.coverage.from_date = ap_cal_days_from_civil(2026, 1, 5);
    return ev;
}

static void valid(const ap_event_t *ev) {
    char why[AP_TEXT_CAP] = "";
    if (ap_events_validate(ev, why, sizeof why)) fail_msg("refused: %s", why);
}

/* Seed 002 ("f.eks."; DOMAIN.md): a lawful exemption is never refused at the
 * door: every kind, the LAS § 13 stk. 8 grounds without a journal reference
 * too; only another reasonable cause must name its journal decision. */
static void exemptions_are_an_open_list__seed002(void **state) {
    (void)state;
    for (int k = 0; k < AP_EXEMPT_COUNT; k++) {
        ap_event_t ev = exemption_ev(k);
        if (k == AP_EXEMPT_OTHER_REASONABLE_CAUSE) {
            expect_invalid(&ev, "OTHER_REASONABLE_CAUSE exemption without journal_ref");
            strcpy(ev.u.exemption.journal_ref, "j-2026-17");
        }
        valid(&ev);
    }
    ap_event_t ev = exemption_ev(AP_EXEMPT_OTHER_REASONABLE_CAUSE);
    snprintf(ev.u.exemption.journal_ref, AP_ID_CAP, "note 010190-1234");
    expect_invalid(&ev, "journal_ref looks like a CPR");
    ev = exemption_ev(AP_EXEMPT_LESS_INTENSIVE);
    ev.u.exemption.job_start_date = ap_cal_days_from_civil(2026, 2, 1);
    valid(&ev);
    ev.u.exemption.job_start_date = 0; /* 1970: a broken record, not a job start */
    expect_invalid(&ev, "job_start_date out of range");
}

/* DOMAIN.md / seed 002: a reduction to 0 hours is an exemption in disguise
 * (refused: grant the exemption); the assessment is noted in the journal. */
static void reduction_to_zero_and_journal__seed002_lab105a(void **state) {
    (void)state;
    ap_event_t ev = reduction_ev();
    valid(&ev);
    ev.u.reduction.reduced_minutes_per_week = 0;
    expect_invalid(&ev, "is 0: that is an exemption");
    ev.u.reduction.action = AP_REDUCTION_ENDED; /* ending one stored before the rule */
    valid(&ev);
    ev = reduction_ev();
    strcpy(ev.u.reduction.journal_ref, "");
    expect_invalid(&ev, "reduction without journal_ref");
    ev.u.reduction.action = AP_REDUCTION_ENDED;
    valid(&ev);
    snprintf(ev.u.reduction.journal_ref, AP_ID_CAP, "0101901234");
    expect_invalid(&ev, "journal_ref looks like a CPR");
    /* What the assessed placements were: only the named ones. */
    ev = reduction_ev();
    ev.u.reduction.n_assessed_detail = 1;
    strcpy(ev.u.reduction.assessed_placements[0].placement_id, "pl-1");
    ev.u.reduction.assessed_placements[0].offer_type = AP_ACT_NYTTEINDSATS;
    ev.u.reduction.assessed_placements[0].planned_minutes_per_week = 1200;
    valid(&ev);
    strcpy(ev.u.reduction.assessed_placements[0].placement_id, "pl-9");
    expect_invalid(&ev, "not in assessed_placement_ids");
    strcpy(ev.u.reduction.assessed_placements[0].placement_id, "pl-1");
    ev.u.reduction.assessed_placements[0].planned_minutes_per_week = -5;
    expect_invalid(&ev, "planned_minutes_per_week outside");
}

/* Coverage (issue 16 §4): an exit reason belongs to an ended period, and the
 * benefit (the duration on public support) starts on or before coverage. */
static void coverage_exit_and_benefit_start__seed002(void **state) {
    (void)state;
    ap_event_t ev = coverage_ev();
    valid(&ev); /* v1 content: nothing new stated */
    ev.u.coverage.legal_basis = AP_BASIS_INL_20_D;
    ev.u.coverage.target_group = AP_TG_AKTIVITETSPARAT;
    ev.u.coverage.benefit_start_date = ap_cal_days_from_civil(2009, 3, 2); /* long before 2014 is fine */
    valid(&ev);
    ev.u.coverage.end_reason = AP_END_FLEXJOB;
    expect_invalid(&ev, "end_reason without to_date");
    ev.u.coverage.to_date = ap_cal_days_from_civil(2026, 3, 31);
    valid(&ev);
    ev.u.coverage.benefit_start_date = ev.u.coverage.from_date + 1;
    expect_invalid(&ev, "benefit_start_date");
}

/* A zeroed struct is not an empty event: ap_events_clear makes optional fields null. */
static void cleared_events_have_null_optionals(void **state) {
    (void)state;
    ap_event_t ev;
    ap_events_clear(&ev, AP_EV_COVERAGE);
    assert_int_equal(ev.type, AP_EV_COVERAGE);
    assert_int_equal(ev.u.coverage.to_date, AP_NO_DATE);
    assert_int_equal(ev.u.coverage.legal_basis, -1);
    assert_int_equal(ev.u.coverage.target_group, -1);
    assert_int_equal(ev.u.coverage.end_reason, -1);
    assert_int_equal(ev.u.coverage.benefit_start_date, AP_NO_DATE);
    ap_events_clear(&ev, AP_EV_EXEMPTION);
    assert_int_equal(ev.u.exemption.job_start_date, AP_NO_DATE);
    assert_int_equal(ev.u.exemption.from_date, 0); /* required fields stay zero */
}

/* The demo's input files (deploy/demo) parse with the current schemas and
 * pass validation: apctl produce would refuse them otherwise. */
/* SanctionEvent (docs/monitoring-design.md §1.4): the header as always, a
 * journal note required, dates within 2014-2099, no CPR number in any of
 * its texts; legal_basis is free text, never interpreted. */
static void sanction_rules__monitoring_design(void **state) {
    (void)state;
    ap_event_t ok;
    ap_events_clear(&ok, AP_EV_SANCTION);
    ok.u.sanction.h = placement().u.placement.h;
    strcpy(ok.u.sanction.sanction_id, "sa-1");
    ok.u.sanction.decision_date = ap_cal_days_from_civil(2026, 2, 4);
    strcpy(ok.u.sanction.journal_ref, "j-1");
    valid(&ok); /* the optional fields left out */
    ok.u.sanction.effective_from = ap_cal_days_from_civil(2026, 2, 9);
    strcpy(ok.u.sanction.legal_basis, "LAB § 105 a, any text at all: 37 timer / uge");
    strcpy(ok.u.sanction.placement_id, "pl-1");
    ok.u.sanction.action = AP_SANCTION_CANCELLED;
    valid(&ok);

    ap_event_t ev = ok;
    ev.u.sanction.journal_ref[0] = '\0';
    expect_invalid(&ev, "sanction without journal_ref");
    ev = ok;
    ev.u.sanction.sanction_id[0] = '\0';
    expect_invalid(&ev, "sanction_id is empty");
    ev = ok;
    ev.u.sanction.decision_date = ap_cal_days_from_civil(2013, 12, 31);
    expect_invalid(&ev, "decision_date out of range");
    ev.u.sanction.decision_date = ap_cal_days_from_civil(2100, 7, 1);
    expect_invalid(&ev, "decision_date out of range");
    ev = ok;
    ev.u.sanction.decision_date = AP_NO_DATE; /* as a zeroed builder never leaves it, but a broken one may */
    expect_invalid(&ev, "decision_date out of range");
    ev = ok;
    ev.u.sanction.effective_from = ap_cal_days_from_civil(2013, 6, 1);
    expect_invalid(&ev, "effective_from out of range");
    ev = ok;
    strcpy(ev.u.sanction.h.municipality_code, "1O1");
    expect_invalid(&ev, "municipality_code");
    ev = ok;
    strcpy(ev.u.sanction.h.citizen_id, "010190-1234");
    expect_invalid(&ev, "citizen_id looks like a CPR");

    static const struct { size_t off, cap; const char *name; } texts[] = {
        {offsetof(ap_sanction_t, sanction_id), AP_ID_CAP, "sanction_id"},
        {offsetof(ap_sanction_t, legal_basis), AP_TEXT_CAP, "legal_basis"},
        {offsetof(ap_sanction_t, placement_id), AP_ID_CAP, "placement_id"},
        {offsetof(ap_sanction_t, journal_ref), AP_ID_CAP, "journal_ref"},
    };
    for (size_t i = 0; i < sizeof texts / sizeof *texts; i++) {
        char want[64];
        ev = ok;
        snprintf((char *)&ev.u.sanction + texts[i].off, texts[i].cap, "note 0101901234");
        snprintf(want, sizeof want, "%s looks like a CPR", texts[i].name);
        expect_invalid(&ev, want);
    }
}

static void demo_inputs_are_valid(void **state) {
    (void)state;
    static const char *const files[] = {"exemptions.jsonl", "placements.jsonl", "hours.jsonl"};
    size_t lines = 0;
    for (size_t f = 0; f < 3; f++) {
        char path[512], line[8192];
        snprintf(path, sizeof path, "%s/%s", AP_DEMO_DIR, files[f]);
        FILE *in = fopen(path, "r");
        if (!in) fail_msg("cannot open %s", path);
        while (fgets(line, sizeof line, in)) {
            ap_json_doc_t doc = AP_JSON_DOC_INIT;
            ap_codec_error_t err;
            if (ap_json_parse(&doc, line, strlen(line))) fail_msg("%s: not JSON: %s", path, doc.err);
            const ap_json_node_t *schema = ap_json_member(&doc, &doc.nodes[0], "schema");
            assert_non_null(schema);
            ap_event_t ev;
            ap_event_type_t t = ap_events_type_by_name(schema->str, schema->len);
            assert_true(t != AP_EV_COUNT);
            ap_events_clear(&ev, t);
            static const char *const ignore[] = {"schema", NULL};
            if (ap_codec_from_json(ap_events_desc(t), &doc, &doc.nodes[0], ignore, &ev.u, &err) != AP_CODEC_OK)
                fail_msg("%s: %s", path, err.msg);
            valid(&ev);
            if (t == AP_EV_REDUCTION) assert_int_equal(ev.u.reduction.n_assessed_detail, 1);
            if (t == AP_EV_COVERAGE) assert_true(ev.u.coverage.target_group >= 0);
            ap_json_doc_free(&doc);
            lines++;
        }
        fclose(in);
    }
    assert_true(lines > 90);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(valid_placement_passes),   cmocka_unit_test(placement_dates__seed002),
        cmocka_unit_test(cpr_numbers_are_refused__domain_gdpr),
        cmocka_unit_test(cpr_numbers_are_refused_in_every_text_field), cmocka_unit_test(header_rules),
        cmocka_unit_test(hours_and_reduction_rules), cmocka_unit_test(registry_is_complete_and_distinct),
        cmocka_unit_test(derived_ids_are_stable_uuids),
        cmocka_unit_test(exemptions_are_an_open_list__seed002),
        cmocka_unit_test(reduction_to_zero_and_journal__seed002_lab105a),
        cmocka_unit_test(coverage_exit_and_benefit_start__seed002),
        cmocka_unit_test(cleared_events_have_null_optionals),
        cmocka_unit_test(sanction_rules__monitoring_design),
        cmocka_unit_test(demo_inputs_are_valid),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
