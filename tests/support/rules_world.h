/*
 * rules_world.h - builders for rule tests: one citizen's coverage,
 * placements, hours, exemptions and reductions, evaluated for one week.
 * Included by the rule tests written for issue 16 (test_offer.c,
 * test_rules_cases.c); test_rules.c keeps its own copies of the same
 * builders for now. Include after <cmocka.h>.
 */
#ifndef AP_TEST_RULES_WORLD_H
#define AP_TEST_RULES_WORLD_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "arbejdspligt/calendar.h"
#include "arbejdspligt/rules.h"

typedef struct world {
    ap_coverage_t cov[8];
    ap_placement_t pl[8];
    ap_hours_t hrs[64];
    ap_exemption_t ex[8];
    ap_reduction_t red[8];
    size_t ncov, npl, nhrs, nex, nred;
} world_t;

static inline int32_t D(const char *s) {
    int32_t d;
    if (ap_cal_parse_date(s, strlen(s), &d)) fail_msg("bad date %s", s);
    return d;
}

static inline void header(ap_header_t *h, const char *id, const char *muni) {
    snprintf(h->event_id, sizeof h->event_id, "00000000-0000-4000-8000-%012d", (int)(strlen(id) * 7919 % 1000000));
    snprintf(h->citizen_id, sizeof h->citizen_id, "c-1");
    snprintf(h->municipality_code, sizeof h->municipality_code, "%s", muni);
    h->occurred_at = h->recorded_at = 1767600000000LL;
    snprintf(h->source_system, sizeof h->source_system, "test");
}

static inline ap_coverage_t *coverage(world_t *w, const char *id, const char *muni, const char *from, const char *to) {
    ap_coverage_t *c = &w->cov[w->ncov++];
    header(&c->h, id, muni);
    snprintf(c->coverage_id, sizeof c->coverage_id, "%s", id);
    c->from_date = D(from);
    c->to_date = to ? D(to) : AP_NO_DATE;
    return c;
}

static inline ap_placement_t *placement(world_t *w, const char *id, int kind, const char *start, const char *end,
                                        int minutes) {
    ap_placement_t *p = &w->pl[w->npl++];
    header(&p->h, id, "101");
    snprintf(p->placement_id, sizeof p->placement_id, "%s", id);
    p->offer_type = kind;
    /* Registered as a publisher must (seed 003): nytteindsats with a
     * nytteindsats job type, other offers without one. */
    p->job_type = kind == AP_ACT_NYTTEINDSATS || kind == AP_ACT_SAERLIGT_TILRETTELAGT_NYTTEINDSATS
                      ? AP_JOB_NYTTEINDSATS_KOMMUNE
                      : -1;
    p->start_date = D(start);
    p->end_date = D(end);
    p->planned_minutes_per_week = minutes;
    return p;
}

static inline ap_hours_t *hours(world_t *w, const char *date, int kind, int minutes, const char *journal) {
    ap_hours_t *h = &w->hrs[w->nhrs];
    char id[32];
    snprintf(id, sizeof id, "hr-%02zu", w->nhrs++);
    header(&h->h, id, "101");
    snprintf(h->report_id, sizeof h->report_id, "%s", id);
    h->activity_date = D(date);
    h->activity_kind = kind;
    h->minutes = minutes;
    snprintf(h->journal_ref, sizeof h->journal_ref, "%s", journal ? journal : "");
    return h;
}

/* `minutes` spread over the working days of the week starting monday (the
 * remainder on Monday), of one kind. */
static inline void week_of(world_t *w, const char *monday, int kind, int minutes, const char *journal) {
    for (int d = 0; d < 5; d++) {
        char date[11];
        ap_cal_format_date(D(monday) + d, date);
        hours(w, date, kind, minutes / 5 + (d == 0 ? minutes % 5 : 0), journal);
    }
}

static inline ap_exemption_t *exemption(world_t *w, const char *id, int kind, const char *from, const char *to,
                                        const char *placement_id) {
    ap_exemption_t *e = &w->ex[w->nex++];
    header(&e->h, id, "101");
    snprintf(e->exemption_id, sizeof e->exemption_id, "%s", id);
    e->kind = kind;
    e->from_date = D(from);
    e->to_date = to ? D(to) : AP_NO_DATE;
    snprintf(e->placement_id, sizeof e->placement_id, "%s", placement_id ? placement_id : "");
    return e;
}

static inline ap_reduction_t *reduction(world_t *w, const char *id, int minutes, const char *from, const char *to,
                                        const char *assessed_on, const char *assessed_placement) {
    ap_reduction_t *r = &w->red[w->nred++];
    header(&r->h, id, "101");
    snprintf(r->reduction_id, sizeof r->reduction_id, "%s", id);
    r->reduced_minutes_per_week = minutes;
    r->valid_from = D(from);
    r->valid_to = to ? D(to) : AP_NO_DATE;
    r->assessed_on = D(assessed_on);
    r->n_assessed = 1;
    snprintf(r->assessed_placement_ids[0], AP_ID_CAP, "%s", assessed_placement);
    return r;
}

static inline ap_week_eval_t evaluate(const world_t *w, const char *monday) {
    ap_week_input_t in = {"c-1", D(monday), w->cov, w->ncov, w->pl, w->npl, w->hrs, w->nhrs, w->ex, w->nex, w->red, w->nred, NULL, 0};
    ap_week_eval_t out;
    assert_int_equal(ap_rules_evaluate(&in, &out), 0);
    return out;
}

/* The first alert with this code about the week starting monday, or NULL. */
static inline const ap_alert_t *alert_on(const ap_week_eval_t *e, int code, const char *monday) {
    for (size_t i = 0; i < e->n_alerts; i++)
        if (e->alerts[i].code == code && e->alerts[i].week_start == D(monday)) return &e->alerts[i];
    return NULL;
}

/* How many alerts with this code (any week). */
static inline size_t count_alerts(const ap_week_eval_t *e, int code) {
    size_t n = 0;
    for (size_t i = 0; i < e->n_alerts; i++) n += e->alerts[i].code == code;
    return n;
}

/* The adjustment of this kind and reference, or NULL. */
static inline const ap_adjustment_t *adjustment_of(const ap_week_eval_t *e, int kind, const char *reference) {
    for (uint32_t i = 0; i < e->result.n_adjustments; i++)
        if (e->result.adjustments[i].kind == kind && strcmp(e->result.adjustments[i].reference, reference) == 0)
            return &e->result.adjustments[i];
    return NULL;
}

/* Credited minutes of one activity kind in the breakdown (0 if absent). */
static inline int32_t credited_of(const ap_week_eval_t *e, int kind) {
    for (uint32_t i = 0; i < e->result.n_breakdown; i++)
        if (e->result.breakdown[i].activity_kind == kind) return e->result.breakdown[i].minutes;
    return 0;
}

#endif
