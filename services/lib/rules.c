/* rules.c - arbejdspligt weekly compliance rules. See rules.h and README "Rules". */
#include "arbejdspligt/rules.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arbejdspligt/calendar.h"

/* ---------------------------------------------------------- rule versions */

/* Dates as days since 1970-01-01 (checked against the calendar in test_rules). */
#define DAY_2014_01_01 16071
#define DAY_2024_12_31 20088
#define DAY_2025_01_01 20089
#define DAY_2025_12_31 20453
#define DAY_2026_01_01 20454

/* Not const only for ap_rules_override(), which is called once at start-up. */
static ap_rule_version_t versions[] = {
    /* Nytteindsats under the 2014 kontanthjaelp reform (seeds 001, 003): no
     * 37-hour obligation, offers limited to 13 weeks, rimelighedskrav. */
    {"NYTTE-2014.1", DAY_2014_01_01, DAY_2024_12_31, 0, 13, 1, AP_NORM_MINUTES_PER_WEEK, 0},
    /* Arbejdspligt (seed 002, law of 17 Dec 2024): 37 h a week; the duration
     * limit and the rimelighedskrav are abolished. 2025 is the
     * implementation period: the same rules and alerts, a name of its own. */
    {"AP-2025.1-IMPL", DAY_2025_01_01, DAY_2025_12_31, 1, 0, 0, AP_NORM_MINUTES_PER_WEEK, 1},
    {"AP-2025.1", DAY_2026_01_01, AP_NO_DATE, 1, 0, 0, AP_NORM_MINUTES_PER_WEEK, 0},
};
#define NVERSIONS (sizeof versions / sizeof *versions)

int ap_rules_override(const char *spec, char *err, size_t errlen) {
    static char names[NVERSIONS][AP_RULE_VERSION_CAP];
    int minutes = 0, used = 0;
    if (sscanf(spec, "weekly_minutes=%d%n", &minutes, &used) != 1 || spec[used] != '\0' || minutes < 5 ||
        minutes > 7 * 24 * 60 || minutes % 5) {
        snprintf(err, errlen, "want weekly_minutes=N (N a multiple of 5, at most a week), got \"%s\"", spec);
        return -1;
    }
    for (size_t i = 0; i < NVERSIONS; i++) {
        if (!versions[i].weekly_obligation) continue;
        int len = snprintf(names[i], sizeof names[i], "%s/wm=%d", versions[i].name, minutes);
        if (len < 0 || (size_t)len >= sizeof names[i]) {
            snprintf(err, errlen, "overridden rule version name too long");
            return -1;
        }
        versions[i].name = names[i];
        versions[i].norm_minutes_per_week = minutes;
    }
    return 0;
}

const ap_rule_version_t *ap_rules_version_for(int32_t monday) {
    int32_t thursday = monday + 3;
    for (size_t i = 0; i < NVERSIONS; i++)
        if (thursday >= versions[i].effective_from &&
            (versions[i].effective_to == AP_NO_DATE || thursday <= versions[i].effective_to))
            return &versions[i];
    return NULL;
}

int32_t ap_rules_first_monday(void) {
    int32_t m = ap_cal_week_start(versions[0].effective_from);
    return m + 3 >= versions[0].effective_from ? m : m + 7;
}

int ap_rules_activity_counts(int32_t kind, const char *journal_ref) {
    switch (kind) {
    case AP_ACT_JOBSAMTALE: return 0; /* "Jobsamtaler ... indgaar ikke" (seed 002) */
    case AP_ACT_SOCIAL_SUNDHED:
    case AP_ACT_TRANSPORT: return journal_ref && journal_ref[0]; /* only when journalised (seed 002) */
    default: return kind >= 0 && kind < AP_ACT_COUNT;
    }
}

int ap_rules_is_offer(int32_t kind) {
    switch (kind) {
    case AP_ACT_NYTTEINDSATS:
    case AP_ACT_SAERLIGT_TILRETTELAGT_NYTTEINDSATS:
    case AP_ACT_VIRKSOMHEDSPRAKTIK:
    case AP_ACT_LOENTILSKUD:
    case AP_ACT_VEJLEDNING_OPKVALIFICERING: return 1;
    default: return 0;
    }
}

static int in_range(int32_t day, int32_t from, int32_t to) { return day >= from && (to == AP_NO_DATE || day <= to); }

/* ------------------------------------------------------ residence by date */

/* The coverage period in force on day: the most recent move-in wins. */
static const ap_coverage_t *coverage_on(const ap_coverage_t *const *cov, size_t n, int32_t day) {
    const ap_coverage_t *best = NULL;
    for (size_t i = 0; i < n; i++)
        if (in_range(day, cov[i]->from_date, cov[i]->to_date) && (!best || cov[i]->from_date >= best->from_date))
            best = cov[i];
    return best;
}

const ap_coverage_t *ap_rules_coverage_on(const ap_coverage_t *coverage, size_t n, int32_t day) {
    const ap_coverage_t *best = NULL;
    for (size_t i = 0; i < n; i++)
        if (in_range(day, coverage[i].from_date, coverage[i].to_date) &&
            (!best || coverage[i].from_date > best->from_date ||
             (coverage[i].from_date == best->from_date && strcmp(coverage[i].coverage_id, best->coverage_id) > 0)))
            best = &coverage[i];
    return best;
}

int ap_rules_municipality_on(const ap_coverage_t *coverage, size_t n, int32_t day, char out[static AP_MUNI_CAP]) {
    const ap_coverage_t *best = ap_rules_coverage_on(coverage, n, day);
    if (!best) return -1;
    memcpy(out, best->h.municipality_code, AP_MUNI_CAP);
    return 0;
}

int ap_rules_month_municipality(const ap_coverage_t *coverage, size_t n, int year, int month,
                                char out[static AP_MUNI_CAP]) {
    int32_t last = month == 12 ? ap_cal_days_from_civil(year + 1, 1, 1) - 1 : ap_cal_days_from_civil(year, month + 1, 1) - 1;
    return ap_rules_municipality_on(coverage, n, last, out);
}

/* ------------------------------------------------------------ the context */

/* Entities sorted by id: the result does not depend on the order the store
 * returned them in (Redis hashes have no stable order). */
#define DEFINE_SORT(T, idfield)                                                      \
    static int cmp_##T(const void *a, const void *b) {                               \
        const T *x = *(const T *const *)a, *y = *(const T *const *)b;                 \
        return strcmp(x->idfield, y->idfield);                                       \
    }                                                                                \
    static void sort_##T(const T *arr, size_t n, const T **out) {                    \
        for (size_t i = 0; i < n; i++) out[i] = &arr[i];                             \
        qsort(out, n, sizeof *out, cmp_##T);                                         \
    }
DEFINE_SORT(ap_coverage_t, coverage_id)
DEFINE_SORT(ap_placement_t, placement_id)
DEFINE_SORT(ap_hours_t, report_id)
DEFINE_SORT(ap_exemption_t, exemption_id)
DEFINE_SORT(ap_reduction_t, reduction_id)

typedef struct ctx {
    const ap_coverage_t *cov[AP_MAX_ENTITIES];
    const ap_placement_t *pl[AP_MAX_ENTITIES];
    const ap_exemption_t *ex[AP_MAX_ENTITIES];
    const ap_reduction_t *red[AP_MAX_ENTITIES];
    const ap_hours_t *hrs[AP_MAX_HOURS_PER_WEEK];
    size_t ncov, npl, nex, nred, nhrs;
} ctx_t;

/* What one day of a week owes. */
typedef struct day_plan {
    const ap_coverage_t *coverage;   /* coverage period in force, or NULL */
    const ap_exemption_t *igu;       /* IGU: outside the obligation (seed 004) */
    const ap_exemption_t *exemption; /* whole-person exemption in force (working days) */
    const ap_reduction_t *reduction; /* reduction in force (owed working days) */
    int covered;                     /* in the obligation: coverage and no IGU */
    int owed;                        /* a covered working day without exemption */
    int32_t minutes;                 /* what the day owes */
} day_plan_t;

static int placement_valid(const ap_placement_t *p) { return p->end_date >= p->start_date; }

static int placement_active(const ap_placement_t *p, int32_t from, int32_t to) {
    return p->action != AP_PLACEMENT_CANCELLED && placement_valid(p) && p->start_date <= to && p->end_date >= from;
}

/* The reduction in force on a day: the most recently assessed one wins (a
 * new assessment replaces the old, LAB § 105 a stk. 2). */
static const ap_reduction_t *reduction_on(const ctx_t *c, int32_t day) {
    const ap_reduction_t *best = NULL;
    for (size_t i = 0; i < c->nred; i++) {
        const ap_reduction_t *x = c->red[i];
        if (!in_range(day, x->valid_from, x->valid_to)) continue;
        if (!best || x->assessed_on > best->assessed_on ||
            (x->assessed_on == best->assessed_on && x->h.recorded_at > best->h.recorded_at))
            best = x;
    }
    return best;
}

/* Each covered working day owes a fifth of the weekly requirement: the norm,
 * or the individual reduced hours in force that day; nothing while a
 * whole-person exemption applies (seed 002; LAS § 13; partial weeks are
 * prorated by covered working days, DOMAIN.md design choice). */
static int32_t plan_week(const ctx_t *c, int32_t ws, day_plan_t days[7]) {
    int32_t required = 0;
    const ap_rule_version_t *v = ap_rules_version_for(ws);
    int32_t norm_day = (v ? v->norm_minutes_per_week : AP_NORM_MINUTES_PER_WEEK) / 5;
    for (int d = 0; d < 7; d++) {
        day_plan_t *p = &days[d];
        int32_t day = ws + d;
        memset(p, 0, sizeof *p);
        p->coverage = coverage_on(c->cov, c->ncov, day);
        for (size_t i = 0; i < c->nex && !p->igu; i++)
            if (c->ex[i]->kind == AP_EXEMPT_IGU && in_range(day, c->ex[i]->from_date, c->ex[i]->to_date)) p->igu = c->ex[i];
        p->covered = p->coverage && !p->igu;
        if (!p->covered || d >= 5) continue;
        for (size_t i = 0; i < c->nex && !p->exemption; i++)
            if (!c->ex[i]->placement_id[0] && c->ex[i]->kind != AP_EXEMPT_IGU &&
                in_range(day, c->ex[i]->from_date, c->ex[i]->to_date))
                p->exemption = c->ex[i];
        if (p->exemption) continue;
        p->owed = 1;
        p->reduction = reduction_on(c, day);
        p->minutes = p->reduction ? p->reduction->reduced_minutes_per_week / 5 : norm_day;
        required += p->minutes;
    }
    return required;
}

/* Why a reduction is stale (0: it is not). */
enum { STALE_NO, STALE_SET, STALE_CHANGED };

/* A reduction is stale when the placements active in the week are not the
 * ones it was assessed against, or when one of them now plans other hours or
 * is another offer type than when assessed (known from ReductionEvent v2's
 * assessed_placements): the assessment is tied to the specific activities
 * and must be made again when the person moves to another one (LAB § 105 a
 * stk. 2, seed 002: "Vurderingen skal tage afsæt i de konkrete tilbud"). It
 * keeps applying, flagged (design choice). */
static int reduction_is_stale(const ctx_t *c, const ap_reduction_t *x, int32_t ws) {
    size_t active = 0;
    int changed = 0;
    for (size_t i = 0; i < c->npl; i++) {
        const ap_placement_t *p = c->pl[i];
        if (!placement_active(p, ws, ws + 6)) continue;
        active++;
        int found = 0;
        for (uint32_t k = 0; k < x->n_assessed && !found; k++) found = strcmp(x->assessed_placement_ids[k], p->placement_id) == 0;
        if (!found) return STALE_SET;
        for (uint32_t k = 0; k < x->n_assessed_detail && k < AP_MAX_ASSESSED; k++) {
            const ap_assessed_t *a = &x->assessed_placements[k];
            if (strcmp(a->placement_id, p->placement_id) == 0 &&
                (a->offer_type != p->offer_type || a->planned_minutes_per_week != p->planned_minutes_per_week))
                changed = 1;
        }
    }
    if (active != x->n_assessed) return STALE_SET;
    return changed ? STALE_CHANGED : STALE_NO;
}

/* A placement of this offer type is in force on day (seed 003: offers are
 * registered as placements with start and end). */
static int offer_in_force(const ctx_t *c, int32_t kind, int32_t day) {
    for (size_t i = 0; i < c->npl; i++)
        if (c->pl[i]->offer_type == kind && placement_active(c->pl[i], day, day)) return 1;
    return 0;
}

static const char *benefit_name(int32_t b) {
    static const char *const names[] = {"KONTANTHJAELP", "UDDANNELSESHJAELP", "SELVFORSOERGELSES_OG_HJEMREJSEYDELSE",
                                        "OVERGANGSYDELSE", "ARBEJDSMARKEDSYDELSE", "KONTANTYDELSE", "ANDET"};
    return b >= 0 && b < (int32_t)(sizeof names / sizeof *names) ? names[b] : "?";
}

/* An exemption tied to this placement covers day (LAS § 13 stk. 7). */
static int placement_exempt_on(const ctx_t *c, const ap_placement_t *p, int32_t day) {
    for (size_t i = 0; i < c->nex; i++)
        if (c->ex[i]->placement_id[0] && strcmp(c->ex[i]->placement_id, p->placement_id) == 0 &&
            in_range(day, c->ex[i]->from_date, c->ex[i]->to_date))
            return 1;
    return 0;
}

/* A placement whose offer counts in the week starting ws: in force at some
 * point of it, not cancelled, and of a kind whose hours can be credited
 * (see offered_in). */
static int offer_counts(const ap_placement_t *p, int32_t ws) {
    return placement_active(p, ws, ws + 6) && ap_rules_activity_counts(p->offer_type, p->journal_ref);
}

/* Placement p (one that offer_counts) offers on working day d of the week. */
static int offers_on(const ctx_t *c, const ap_placement_t *p, int32_t ws, const day_plan_t days[7], int d) {
    return d < 5 && days[d].owed && in_range(ws + d, p->start_date, p->end_date) && !placement_exempt_on(c, p, ws + d);
}

/* Minutes offered for the week starting ws (issue 16 §1; seed 002: the job
 * centre must offer 37 hours, "Jobcentrene skal dermed finde et betydeligt
 * antal tilbud"). Each placement offers its planned weekly minutes for the
 * owed days it runs on, prorated as the requirement is: a fifth per owed
 * working day (rounded down per placement). Not offered: days the placement
 * is exempted from (LAS § 13 stk. 7), days the citizen owes nothing, and
 * offers whose hours could never be credited: interviews (JOBSAMTALE, seed
 * 002: the obligation cannot be met by interviews alone, so they must never
 * hide an offer gap) and unjournalised social/health or transport offers. */
static int32_t offered_in(const ctx_t *c, int32_t ws, const day_plan_t days[7]) {
    int32_t offered = 0;
    for (size_t i = 0; i < c->npl; i++) {
        const ap_placement_t *p = c->pl[i];
        if (!offer_counts(p, ws)) continue;
        int run = 0;
        for (int d = 0; d < 5; d++) run += offers_on(c, p, ws, days, d);
        offered += (int32_t)((int64_t)p->planned_minutes_per_week * run / 5);
    }
    return offered;
}

/* Whose the shortfall is (seed 002: the job centre offers, the citizen
 * takes part): an offer gap when less was offered than required; an
 * attendance gap when less was credited than was offered, up to the
 * requirement. Figures that fall short have at least one of the two; NONE
 * when the requirement is met. One table for the week and its segments. */
static int32_t cause_of(int32_t required, int32_t offered, int32_t credited) {
    if (credited >= required) return AP_CAUSE_NONE;
    int offer_gap = offered < required;
    int attendance_gap = credited < (offer_gap ? offered : required);
    return offer_gap && attendance_gap ? AP_CAUSE_OFFER_AND_ATTENDANCE_GAP
           : offer_gap                 ? AP_CAUSE_OFFER_GAP
                                       : AP_CAUSE_ATTENDANCE_GAP;
}

/* A week with a move, split by municipality (issue 16 §4; seed 002:
 * "Tilflytningskommunen har ansvaret for indsatsen fra første dag for
 * tilflytningen", the new municipality is responsible from the move-in
 * day). A covered day belongs to the municipality of the coverage period in
 * force (coverage_on: the latest move-in wins, so the move-in day is the new
 * one's); uncovered days belong to none. A segment runs from a covered day
 * to the last covered day before one of another municipality. Only weeks
 * with two or more segments get them. Required and credited minutes are the
 * days' own (exact); offered minutes are each placement's planned minutes
 * for the owed days it offers on in the segment, a fifth per day rounded
 * down as offered_in rounds, and the last segment takes what the week
 * offered beyond the others (design choice, docs/monitoring-design.md §5:
 * rounding per segment would lose up to a minute per placement), so the
 * segments add up to the week exactly. Each segment's cause is cause_of on
 * its own figures. */
static void split_by_municipality(const ctx_t *c, int32_t ws, const day_plan_t days[7], const ap_day_facts_t facts[7],
                                  ap_result_t *r) {
    int seg_of[7];
    uint32_t n = 0;
    ap_segment_t *seg = r->segments;
    for (int d = 0; d < 7; d++) {
        seg_of[d] = -1;
        if (!days[d].covered) continue;
        const char *muni = days[d].coverage->h.municipality_code;
        if (n == 0 || strcmp(muni, seg[n - 1].municipality_code) != 0) {
            memset(&seg[n], 0, sizeof seg[n]);
            memcpy(seg[n].municipality_code, muni, AP_MUNI_CAP);
            seg[n++].from_date = ws + d;
        }
        seg_of[d] = (int)n - 1;
        seg[n - 1].to_date = ws + d;
        seg[n - 1].required_minutes += facts[d].required_minutes;
        seg[n - 1].credited_minutes += facts[d].credited_minutes;
    }
    if (n < 2) {
        memset(seg, 0, n * sizeof *seg); /* one municipality: no segments, and no trace of the scratch */
        return;
    }
    int32_t before_last = 0;
    for (size_t i = 0; i < c->npl; i++) {
        const ap_placement_t *p = c->pl[i];
        if (!offer_counts(p, ws)) continue;
        int run[AP_MAX_SEGMENTS] = {0};
        for (int d = 0; d < 5; d++)
            if (offers_on(c, p, ws, days, d)) run[seg_of[d]]++;
        for (uint32_t k = 0; k + 1 < n; k++) {
            int32_t share = (int32_t)((int64_t)p->planned_minutes_per_week * run[k] / 5);
            seg[k].offered_minutes += share;
            before_last += share;
        }
    }
    seg[n - 1].offered_minutes = r->offered_minutes - before_last;
    for (uint32_t k = 0; k < n; k++)
        seg[k].shortfall_cause = cause_of(seg[k].required_minutes, seg[k].offered_minutes, seg[k].credited_minutes);
    r->n_segments = n;
}

/* ---------------------------------------------------------------- output */

/* exemption_kind: the kind of the exemption applied, or -1 (issue 16 §4:
 * results name the kinds of the exemptions applied). */
static void add_adjustment(ap_result_t *r, int32_t kind, const char *ref, int32_t minutes, int32_t exemption_kind) {
    if (r->n_adjustments >= AP_MAX_ADJUSTMENTS) return; /* bounded; hours are totalled by reason below */
    ap_adjustment_t *a = &r->adjustments[r->n_adjustments++];
    a->kind = kind;
    snprintf(a->reference, sizeof a->reference, "%s", ref);
    a->minutes = minutes;
    a->exemption_kind = exemption_kind;
}

/* Who acts on an alert: the job centre on what its offers lack (it must
 * offer the 37 hours, seed 002), the case worker on everything else. */
static int32_t alert_audience(int32_t code) {
    switch (code) {
    case AP_ALERT_OFFER_GAP:
    case AP_ALERT_PLAN_GAP:
    case AP_ALERT_PLACEMENT_ENDING: return AP_AUDIENCE_JOB_CENTRE;
    default: return AP_AUDIENCE_CASE;
    }
}

/* A new alert about the week starting ws, with the given figures. The job
 * centre's alerts name the week they can act in: ws itself (a week ahead of
 * the one evaluated), OFFER_GAP sets its own. */
static ap_alert_t *add_alert(ap_week_eval_t *out, int32_t code, int32_t severity, int32_t ws, int32_t required,
                             int32_t credited, int32_t offered) {
    if (out->n_alerts >= AP_MAX_ALERTS) return NULL;
    const ap_result_t *r = &out->result;
    ap_alert_t *a = &out->alerts[out->n_alerts++];
    memset(a, 0, sizeof *a);
    snprintf(a->citizen_id, sizeof a->citizen_id, "%s", r->citizen_id);
    memcpy(a->municipality_code, r->municipality_code, sizeof a->municipality_code);
    a->week_start = ws;
    ap_cal_iso_week(ws, &a->iso_year, &a->iso_week);
    a->code = code;
    a->severity = severity;
    memcpy(a->rule_version, r->rule_version, sizeof a->rule_version);
    a->required_minutes = required;
    a->credited_minutes = credited;
    a->shortfall_minutes = required > credited ? required - credited : 0;
    a->audience = alert_audience(code);
    a->offered_minutes = offered;
    a->action_week_start = a->audience == AP_AUDIENCE_JOB_CENTRE ? ws : AP_NO_DATE;
    return a;
}

#define ALERT_TEXT(a, ...) do { if (a) snprintf((a)->detail, sizeof (a)->detail, __VA_ARGS__); } while (0)

/* Rules about the placements themselves, in any rule version (seeds 001, 002). */
static void placement_rules(const ctx_t *c, const ap_rule_version_t *v, int32_t ws, ap_week_eval_t *out) {
    const ap_result_t *r = &out->result;
    int32_t nytte_minutes = 0;
    for (size_t i = 0; i < c->nhrs; i++) {
        const ap_hours_t *h = c->hrs[i];
        if (h->action != AP_HOURS_RETRACTED && h->activity_date >= ws && h->activity_date <= ws + 6 &&
            (h->activity_kind == AP_ACT_NYTTEINDSATS || h->activity_kind == AP_ACT_SAERLIGT_TILRETTELAGT_NYTTEINDSATS))
            nytte_minutes += h->minutes;
    }
    for (size_t i = 0; i < c->npl; i++) {
        const ap_placement_t *p = c->pl[i];
        ap_alert_t *a;
        if (p->action == AP_PLACEMENT_CANCELLED) continue;
        /* Seed 002: every offer states a start and an end date. An offer
         * without a valid period is reported once, in the week it names as start. */
        if (!placement_valid(p)) {
            if (p->start_date < ws || p->start_date > ws + 6) continue;
            a = add_alert(out, AP_ALERT_RULE_VIOLATION, AP_SEV_WARNING, ws, r->required_minutes, r->credited_minutes,
                          r->offered_minutes);
            ALERT_TEXT(a, "placement %.64s has no valid start and end date and is ignored (every offer states both)",
                       p->placement_id);
            continue;
        }
        if (!placement_active(p, ws, ws + 6)) continue;
        int nytte = p->offer_type == AP_ACT_NYTTEINDSATS || p->offer_type == AP_ACT_SAERLIGT_TILRETTELAGT_NYTTEINDSATS;
        /* Seed 003: nytteindsats is registered with one of the four
         * nytteindsats job types ("Nytteindsats, kommune / regional / staten /
         * selvejende institution"), and those job types mean nytteindsats: a
         * mismatch either way is the mis-registration that made the 2014
         * statistics wrong. */
        int nytte_job = p->job_type >= 0 && p->job_type != AP_JOB_ANDET;
        if (nytte != nytte_job) {
            a = add_alert(out, AP_ALERT_RULE_VIOLATION, AP_SEV_WARNING, ws, r->required_minutes, r->credited_minutes,
                          r->offered_minutes);
            if (nytte)
                ALERT_TEXT(a, "%s placement %.64s is not registered with a nytteindsats job type (seed 003)",
                           ap_activity_kind_name(p->offer_type), p->placement_id);
            else
                ALERT_TEXT(a, "placement %.64s has a nytteindsats job type but offer type %s (seed 003)", p->placement_id,
                           ap_activity_kind_name(p->offer_type));
        }
        /* The benefit is the coverage's (CoverageEvent.benefit_type) on the
         * placement's first day in the week; the placement's own sagstype
         * must agree with it. Without coverage that day, the placement's. */
        const ap_coverage_t *cov = coverage_on(c->cov, c->ncov, p->start_date > ws ? p->start_date : ws);
        int32_t benefit = cov ? cov->benefit_type : p->benefit_type;
        if (cov && cov->benefit_type != p->benefit_type) {
            a = add_alert(out, AP_ALERT_RULE_VIOLATION, AP_SEV_WARNING, ws, r->required_minutes, r->credited_minutes,
                          r->offered_minutes);
            ALERT_TEXT(a, "placement %.64s is registered under benefit type %s, the coverage %.40s under %s",
                       p->placement_id, benefit_name(p->benefit_type), cov->coverage_id, benefit_name(cov->benefit_type));
        }
        if (!nytte) continue;
        /* Seeds 001/003: nytteindsats at most 13 weeks, until 2024 (abolished by seed 002). */
        if (v->nytte_max_weeks && (ws + 6 < p->end_date ? ws + 6 : p->end_date) - p->start_date + 1 > v->nytte_max_weeks * 7) {
            a = add_alert(out, AP_ALERT_RULE_VIOLATION, AP_SEV_WARNING, ws, r->required_minutes, r->credited_minutes,
                          r->offered_minutes);
            ALERT_TEXT(a, "nytteindsats %.64s runs beyond the %d-week limit of rule version %s", p->placement_id,
                       v->nytte_max_weeks, v->name);
        }
        /* Seed 001: arbejdsmarkedsydelse -> nytteindsats must be 20 h a week. */
        if (benefit == AP_BEN_ARBEJDSMARKEDSYDELSE && p->planned_minutes_per_week != AP_NYTTE_BENEFIT_MINUTES) {
            a = add_alert(out, AP_ALERT_RULE_VIOLATION, AP_SEV_WARNING, ws, r->required_minutes, r->credited_minutes,
                          r->offered_minutes);
            ALERT_TEXT(a, "nytteindsats %.64s plans %d min a week; for arbejdsmarkedsydelse it must be 1200 min (20 h)",
                       p->placement_id, p->planned_minutes_per_week);
        }
        /* Seed 001: kontantydelse -> nytteindsats at most 20 h a week. */
        if (benefit == AP_BEN_KONTANTYDELSE &&
            (p->planned_minutes_per_week > AP_NYTTE_BENEFIT_MINUTES || nytte_minutes > AP_NYTTE_BENEFIT_MINUTES)) {
            a = add_alert(out, AP_ALERT_RULE_VIOLATION, AP_SEV_WARNING, ws, r->required_minutes, r->credited_minutes,
                          r->offered_minutes);
            ALERT_TEXT(a, "nytteindsats %.64s: %d min planned, %d min reported; for kontantydelse at most 1200 min (20 h)",
                       p->placement_id, p->planned_minutes_per_week, nytte_minutes);
        }
        /* Seed 002: saerligt tilrettelagt nytteindsats may not consist of job
         * search, and no job-centre meetings may be held during it: job
         * search or interviews naming it, or on a day with its hours whether
         * or not they name it (a publisher may not link them). */
        if (p->offer_type == AP_ACT_SAERLIGT_TILRETTELAGT_NYTTEINDSATS) {
            int stn_day[7] = {0};
            for (size_t k = 0; k < c->nhrs; k++) {
                const ap_hours_t *h = c->hrs[k];
                int32_t d = h->activity_date - ws;
                if (h->action != AP_HOURS_RETRACTED && d >= 0 && d <= 6 &&
                    h->activity_kind == AP_ACT_SAERLIGT_TILRETTELAGT_NYTTEINDSATS && in_range(h->activity_date, p->start_date, p->end_date) &&
                    (!h->placement_id[0] || strcmp(h->placement_id, p->placement_id) == 0))
                    stn_day[d] = 1;
            }
            int32_t search = 0;
            for (size_t k = 0; k < c->nhrs; k++) {
                const ap_hours_t *h = c->hrs[k];
                int32_t d = h->activity_date - ws;
                if (h->action != AP_HOURS_RETRACTED && d >= 0 && d <= 6 &&
                    (strcmp(h->placement_id, p->placement_id) == 0 || stn_day[d]) &&
                    (h->activity_kind == AP_ACT_FORBEREDELSE_JOBSOEGNING || h->activity_kind == AP_ACT_JOBSAMTALE))
                    search += h->minutes;
            }
            if (search) {
                a = add_alert(out, AP_ALERT_RULE_VIOLATION, AP_SEV_WARNING, ws, r->required_minutes, r->credited_minutes,
                              r->offered_minutes);
                ALERT_TEXT(a, "%d min of job search or job-centre meetings registered within or on days of saerligt "
                              "tilrettelagt nytteindsats %.64s",
                           search, p->placement_id);
            }
        }
    }
}

/* Rules about the exemptions themselves, in any rule version (seed 002). */
static void exemption_rules(const ctx_t *c, int32_t ws, ap_week_eval_t *out) {
    const ap_result_t *r = &out->result;
    for (size_t i = 0; i < c->nex; i++) {
        const ap_exemption_t *e = c->ex[i];
        int32_t kind = ap_exemption_kind_canonical(e->kind);
        ap_alert_t *a;
        /* LAB § 106: less intensive effort "f.eks. fordi den pågældende skal
         * påbegynde job på fuld tid inden for 6 uger" (seed 002). A job
         * starting later is flagged once, in the week the exemption starts;
         * the exemption still applies (the decision is the municipality's). */
        if (kind == AP_EXEMPT_LESS_INTENSIVE && e->job_start_date != AP_NO_DATE && e->from_date >= ws &&
            e->from_date <= ws + 6 && e->job_start_date - e->from_date > AP_LESS_INTENSIVE_MAX_DAYS) {
            char start[11];
            ap_cal_format_date(e->job_start_date, start);
            a = add_alert(out, AP_ALERT_RULE_VIOLATION, AP_SEV_WARNING, ws, r->required_minutes, r->credited_minutes,
                          r->offered_minutes);
            ALERT_TEXT(a, "LESS_INTENSIVE exemption %.64s: the job starts %s, %d days after the exemption; LAB 106 "
                          "expects within 6 weeks",
                       e->exemption_id, start, e->job_start_date - e->from_date);
        }
        /* LAS § 13 stk. 8 grounds are for aktivitetsparate (seed 002). When
         * the coverage in force says another target group, the exemption is
         * applied as granted and flagged: a registration to check, never a
         * reason to charge the citizen hours. Unknown target group: silent. */
        if (kind == AP_EXEMPT_MENTAL_ILLNESS || kind == AP_EXEMPT_SUBSTANCE_ABUSE || kind == AP_EXEMPT_HOMELESSNESS) {
            const ap_coverage_t *other = NULL;
            for (int d = 0; d < 7 && !other; d++) {
                if (!in_range(ws + d, e->from_date, e->to_date)) continue;
                const ap_coverage_t *cov = coverage_on(c->cov, c->ncov, ws + d);
                if (cov && cov->target_group >= 0 && cov->target_group != AP_TG_AKTIVITETSPARAT) other = cov;
            }
            if (other) {
                a = add_alert(out, AP_ALERT_RULE_VIOLATION, AP_SEV_WARNING, ws, r->required_minutes, r->credited_minutes,
                              r->offered_minutes);
                ALERT_TEXT(a, "exemption %.64s (%s, LAS 13 stk. 8) is for aktivitetsparate; coverage %.64s says %s",
                           e->exemption_id, ap_exemption_kind_name(kind), other->coverage_id,
                           other->target_group == AP_TG_JOBPARAT ? "JOBPARAT" : "UDDANNELSESPARAT");
            }
        }
    }
}

/* Looking one week ahead: the plan, and what ends (alerts about week ws+7). */
static void planning_rules(const ctx_t *c, int32_t ws, ap_week_eval_t *out) {
    int32_t next = ws + 7;
    const ap_rule_version_t *v = ap_rules_version_for(next);
    if (!v || !v->weekly_obligation) return;
    day_plan_t days[7];
    int32_t required = plan_week(c, next, days);
    int covered = 0;
    for (int d = 0; d < 7; d++) covered |= days[d].covered;
    if (!covered) return;
    /* Planned: what the result of that week will call offered, so a PLAN_GAP
     * foretells the OFFER_GAP that week gets unless offers are added. */
    int32_t planned = offered_in(c, next, days);
    ap_alert_t *a;
    char label[9];
    ap_cal_format_week(next, label);
    if (required > 0 && planned < required) {
        a = add_alert(out, AP_ALERT_PLAN_GAP, AP_SEV_WARNING, next, required, planned, planned);
        ALERT_TEXT(a, "placements plan %d min for %s against a requirement of %d min", planned, label, required);
    }
    for (size_t i = 0; i < c->npl; i++) {
        const ap_placement_t *p = c->pl[i];
        if (!placement_active(p, next, next + 6) || p->end_date > next + 6) continue;
        int followed = 0;
        for (size_t k = 0; k < c->npl && !followed; k++)
            followed = k != i && placement_active(c->pl[k], p->end_date + 1, p->end_date + 1);
        if (followed) continue;
        char end[11];
        ap_cal_format_date(p->end_date, end);
        a = add_alert(out, AP_ALERT_PLACEMENT_ENDING, AP_SEV_WARNING, next, required, planned, planned);
        ALERT_TEXT(a, "placement %.64s ends %s with no placement after it", p->placement_id, end);
    }
    for (size_t i = 0; i < c->nex; i++) {
        const ap_exemption_t *e = c->ex[i];
        if (e->to_date == AP_NO_DATE || e->to_date < next || e->to_date > next + 6) continue;
        char end[11];
        ap_cal_format_date(e->to_date, end);
        a = add_alert(out, AP_ALERT_EXEMPTION_EXPIRING, AP_SEV_INFO, next, required, planned, planned);
        ALERT_TEXT(a, "exemption %.64s ends %s", e->exemption_id, end);
    }
    for (size_t i = 0; i < c->nred; i++) {
        const ap_reduction_t *x = c->red[i];
        if (x->valid_to == AP_NO_DATE || x->valid_to < next || x->valid_to > next + 6) continue;
        char end[11];
        ap_cal_format_date(x->valid_to, end);
        a = add_alert(out, AP_ALERT_REDUCTION_EXPIRING, AP_SEV_INFO, next, required, planned, planned);
        ALERT_TEXT(a, "reduction %.64s ends %s; the full requirement applies after it unless reassessed",
                   x->reduction_id, end);
    }
}

/* The job centre's duty fell short in week ws (issue 16 §1; seed 002:
 * "Jobcentrene skal dermed finde et betydeligt antal tilbud"). The week is
 * over when it is evaluated, so the alert names the week after it, the one
 * the job centre can still act in, with what is planned there (the figure a
 * PLAN_GAP for that week gives). Its shortfall is what the offers lacked;
 * CRITICAL when nothing at all was offered. */
static void offer_gap_alert(const ctx_t *c, int32_t ws, ap_week_eval_t *out) {
    const ap_result_t *r = &out->result;
    int32_t gap = r->required_minutes - r->offered_minutes;
    ap_alert_t *a = add_alert(out, AP_ALERT_OFFER_GAP, r->offered_minutes == 0 ? AP_SEV_CRITICAL : AP_SEV_WARNING, ws,
                              r->required_minutes, r->credited_minutes, r->offered_minutes);
    if (!a) return;
    a->shortfall_minutes = gap;
    char label[9], ahead[9];
    ap_cal_format_week(ws, label);
    ap_cal_format_week(ws + 7, ahead);
    const ap_rule_version_t *v = ap_rules_version_for(ws + 7);
    day_plan_t days[7];
    int32_t required = v && v->weekly_obligation ? plan_week(c, ws + 7, days) : 0;
    if (required == 0) {
        /* Nothing owed next week (coverage ends, an exemption): nothing to act on. */
        a->action_week_start = AP_NO_DATE;
        ALERT_TEXT(a, "%s offered %d min against a requirement of %d min, %d min short; nothing is owed in %s", label,
                   r->offered_minutes, r->required_minutes, gap, ahead);
        return;
    }
    a->action_week_start = ws + 7;
    ALERT_TEXT(a, "%s offered %d min against a requirement of %d min, %d min short; act in %s: %d min planned of %d min",
               label, r->offered_minutes, r->required_minutes, gap, ahead, offered_in(c, ws + 7, days), required);
}

/* The per-day facts of the week (see ap_day_facts_t), from the same plan
 * the requirement came from; credited minutes are added where hours are
 * credited. */
static void day_facts(const ctx_t *c, int32_t ws, const day_plan_t days[7], ap_day_facts_t out[7]) {
    for (int d = 0; d < 7; d++) {
        ap_day_facts_t *f = &out[d];
        int32_t day = ws + d;
        if (!days[d].covered) continue;
        f->covered = 1;
        f->owed = (uint8_t)days[d].owed;
        f->required_minutes = days[d].owed ? days[d].minutes : 0;
        for (size_t i = 0; i < c->nex; i++) {
            const ap_exemption_t *e = c->ex[i];
            if (e->kind == AP_EXEMPT_IGU || !in_range(day, e->from_date, e->to_date)) continue;
            if (e->placement_id[0]) f->placement_exempted = 1;
            else {
                int32_t k = ap_exemption_kind_canonical(e->kind);
                if (k >= 0 && k < 32) f->exemption_kinds |= UINT32_C(1) << k;
            }
        }
        for (size_t i = 0; i < c->npl; i++) {
            const ap_placement_t *p = c->pl[i];
            if (p->offer_type < 0 || p->offer_type >= AP_LISTED_PLACEMENT_KINDS || !placement_active(p, day, day) ||
                placement_exempt_on(c, p, day))
                continue;
            f->offers |= (uint8_t)(1u << p->offer_type);
        }
    }
}

_Static_assert(AP_EXEMPT_COUNT <= 32, "exemption_kinds is a 32-bit mask");
_Static_assert(AP_LISTED_PLACEMENT_KINDS <= 8, "offers is an 8-bit mask");

/* ----------------------------------------------------------- evaluation */

int ap_rules_evaluate(const ap_week_input_t *in, ap_week_eval_t *out) {
    /* Alerts are cleared as they are added (add_alert): clearing all
     * AP_MAX_ALERTS of them here cost more than the evaluation. */
    memset(&out->result, 0, sizeof out->result);
    memset(out->days, 0, sizeof out->days);
    out->n_alerts = 0;
    ap_result_t *r = &out->result;
    r->shortfall_cause = AP_CAUSE_NONE; /* offered_minutes 0: nothing owed, nothing counted as offered */
    const int32_t ws = in->week_start;
    snprintf(r->citizen_id, sizeof r->citizen_id, "%s", in->citizen_id ? in->citizen_id : "");
    r->week_start = ws;
    ap_cal_iso_week(ws, &r->iso_year, &r->iso_week);
    r->status = AP_STATUS_NOT_COVERED;

    if (in->n_coverage > AP_MAX_ENTITIES || in->n_placements > AP_MAX_ENTITIES ||
        in->n_exemptions > AP_MAX_ENTITIES || in->n_reductions > AP_MAX_ENTITIES ||
        in->n_hours > AP_MAX_HOURS_PER_WEEK) {
        snprintf(r->rule_version, sizeof r->rule_version, "LIMIT");
        return -1;
    }
    const ap_rule_version_t *v = ap_rules_version_for(ws);
    if (!v) {
        snprintf(r->rule_version, sizeof r->rule_version, "NONE");
        return 0;
    }
    snprintf(r->rule_version, sizeof r->rule_version, "%s", v->name);

    ctx_t c;
    c.ncov = in->n_coverage;
    c.npl = in->n_placements;
    c.nex = in->n_exemptions;
    c.nred = in->n_reductions;
    c.nhrs = in->n_hours;
    sort_ap_coverage_t(in->coverage, c.ncov, c.cov);
    sort_ap_placement_t(in->placements, c.npl, c.pl);
    sort_ap_exemption_t(in->exemptions, c.nex, c.ex);
    sort_ap_reduction_t(in->reductions, c.nred, c.red);
    sort_ap_hours_t(in->hours, c.nhrs, c.hrs);

    day_plan_t days[7];
    int32_t required = plan_week(&c, ws, days);
    day_facts(&c, ws, days, out->days);
    int last_covered = -1, covered_weekdays = 0, owed_days = 0;
    for (int d = 0; d < 7; d++)
        if (days[d].covered) { last_covered = d; covered_weekdays += d < 5; owed_days += days[d].owed; }
    /* The municipality responsible on the week's last covered day names the
     * result: the new one is responsible from the move-in date (seed 002). */
    int name_day = last_covered >= 0 ? last_covered : 6;
    for (int d = 6; last_covered < 0 && d >= 0; d--) if (days[d].coverage) { name_day = d; break; }
    if (days[name_day].coverage) memcpy(r->municipality_code, days[name_day].coverage->h.municipality_code, AP_MUNI_CAP);

    if (!v->weekly_obligation || last_covered < 0) {
        /* No 37-hour duty this week; rules about placements still hold. */
        placement_rules(&c, v, ws, out);
        exemption_rules(&c, ws, out);
        return 0;
    }
    r->required_minutes = required;
    const int32_t norm_day = v->norm_minutes_per_week / 5;

    /* Adjustments: how the requirement came from 2220 min. */
    int uncovered = 0, with_coverage = 0;
    for (int d = 0; d < 5; d++) { if (days[d].coverage) with_coverage++; else uncovered++; }
    if (uncovered) {
        char ref[AP_ID_CAP];
        snprintf(ref, sizeof ref, "%d/5 working days covered", with_coverage);
        add_adjustment(r, AP_ADJ_PRORATION, ref, -uncovered * norm_day, -1);
    }
    for (size_t e = 0; e < c.nex; e++) {
        int32_t effect = 0;
        for (int d = 0; d < 5; d++)
            if ((days[d].coverage && days[d].igu == c.ex[e]) || (days[d].covered && days[d].exemption == c.ex[e]))
                effect -= norm_day;
        if (effect)
            add_adjustment(r, AP_ADJ_EXEMPTION, c.ex[e]->exemption_id, effect, ap_exemption_kind_canonical(c.ex[e]->kind));
    }
    int stale[AP_MAX_ENTITIES] = {0};
    for (size_t k = 0; k < c.nred; k++) {
        int32_t effect = 0, applied = 0;
        for (int d = 0; d < 5; d++)
            if (days[d].owed && days[d].reduction == c.red[k]) { effect += days[d].minutes - norm_day; applied = 1; }
        if (!applied) continue;
        add_adjustment(r, AP_ADJ_REDUCTION, c.red[k]->reduction_id, effect, -1);
        if ((stale[k] = reduction_is_stale(&c, c.red[k], ws)))
            add_adjustment(r, AP_ADJ_REDUCTION_STALE, c.red[k]->reduction_id, 0, -1);
    }
    /* An exemption tied to one offer removes that placement, not the
     * requirement (LAS § 13 stk. 7, seed 002). */
    for (size_t e = 0; e < c.nex; e++)
        if (c.ex[e]->placement_id[0] && c.ex[e]->kind != AP_EXEMPT_IGU && c.ex[e]->from_date <= ws + 6 &&
            (c.ex[e]->to_date == AP_NO_DATE || c.ex[e]->to_date >= ws))
            add_adjustment(r, AP_ADJ_PLACEMENT_EXEMPTED, c.ex[e]->placement_id, 0,
                           ap_exemption_kind_canonical(c.ex[e]->kind));

    /* Credited hours; hours not counted are totalled by reason, so the result
     * stays bounded however many reports a week has. */
    int32_t by_kind[AP_ACT_COUNT] = {0}, not_covered = 0, interview = 0, no_journal = 0, no_placement = 0;
    for (size_t i = 0; i < c.nhrs; i++) {
        const ap_hours_t *h = c.hrs[i];
        int32_t d = h->activity_date - ws;
        if (h->action == AP_HOURS_RETRACTED || d < 0 || d > 6) continue;
        if (!days[d].covered) not_covered += h->minutes;
        else if (h->activity_kind == AP_ACT_JOBSAMTALE) interview += h->minutes;
        else if (!ap_rules_activity_counts(h->activity_kind, h->journal_ref)) no_journal += h->minutes;
        else if (ap_rules_is_offer(h->activity_kind) && !offer_in_force(&c, h->activity_kind, h->activity_date))
            no_placement += h->minutes;
        else {
            by_kind[h->activity_kind] += h->minutes;
            ap_day_facts_t *f = &out->days[d];
            f->credited_minutes += h->minutes;
            if (h->activity_kind != AP_ACT_SOCIAL_SUNDHED && h->activity_kind != AP_ACT_TRANSPORT)
                f->listed_credited_minutes += h->minutes;
            if (h->activity_kind == AP_ACT_LOENTIMER) f->paid_credited_minutes += h->minutes;
        }
    }
    if (not_covered) add_adjustment(r, AP_ADJ_HOURS_NOT_COUNTED, "outside coverage", not_covered, -1);
    if (interview) add_adjustment(r, AP_ADJ_HOURS_NOT_COUNTED, "JOBSAMTALE never counts", interview, -1);
    if (no_journal) add_adjustment(r, AP_ADJ_HOURS_NOT_COUNTED, "no journal reference", no_journal, -1);
    if (no_placement) add_adjustment(r, AP_ADJ_HOURS_NOT_COUNTED, "no placement in force", no_placement, -1);
    for (int k = 0; k < AP_ACT_COUNT; k++) {
        if (!by_kind[k]) continue;
        r->breakdown[r->n_breakdown].activity_kind = k;
        r->breakdown[r->n_breakdown++].minutes = by_kind[k];
        r->credited_minutes += by_kind[k];
    }

    r->offered_minutes = offered_in(&c, ws, days);
    if (covered_weekdays > 0 && owed_days == 0) r->status = AP_STATUS_EXEMPT;
    else if (r->credited_minutes >= r->required_minutes) r->status = AP_STATUS_COMPLIANT;
    else {
        r->status = AP_STATUS_NOT_COMPLIANT;
        r->shortfall_minutes = r->required_minutes - r->credited_minutes;
    }
    /* Whose the shortfall is: cause_of (the job centre offers, the citizen
     * takes part). A short week has at least one of the two gaps. */
    if (r->status == AP_STATUS_NOT_COMPLIANT)
        r->shortfall_cause = cause_of(r->required_minutes, r->offered_minutes, r->credited_minutes);
    int offer_gap = r->shortfall_cause == AP_CAUSE_OFFER_GAP || r->shortfall_cause == AP_CAUSE_OFFER_AND_ATTENDANCE_GAP;
    int attendance_gap =
        r->shortfall_cause == AP_CAUSE_ATTENDANCE_GAP || r->shortfall_cause == AP_CAUSE_OFFER_AND_ATTENDANCE_GAP;
    /* A move in the week: each municipality's share (status, alerts and the
     * result's municipality stay the week's). */
    split_by_municipality(&c, ws, days, out->days, r);

    /* Findings, in a fixed order. Attendance is the case's (WEEK_SHORT,
     * NO_ACTIVITY); a week short only of offers is the job centre's alone. */
    ap_alert_t *a;
    if (attendance_gap) {
        int silent = r->credited_minutes == 0 && not_covered + interview + no_journal + no_placement == 0;
        a = add_alert(out, silent ? AP_ALERT_NO_ACTIVITY : AP_ALERT_WEEK_SHORT, silent ? AP_SEV_CRITICAL : AP_SEV_WARNING,
                      ws, r->required_minutes, r->credited_minutes, r->offered_minutes);
        if (silent) ALERT_TEXT(a, "covered week with no registered activity; %d min required", r->required_minutes);
        else if (offer_gap)
            ALERT_TEXT(a, "%d min credited of %d min required; short by %d min, %d min of it below the %d min offered",
                       r->credited_minutes, r->required_minutes, r->shortfall_minutes,
                       r->offered_minutes - r->credited_minutes, r->offered_minutes);
        else ALERT_TEXT(a, "%d min credited of %d min required; short by %d min", r->credited_minutes,
                        r->required_minutes, r->shortfall_minutes);
    }
    if (offer_gap) offer_gap_alert(&c, ws, out);
    for (size_t k = 0; k < c.nred; k++)
        if (stale[k]) {
            a = add_alert(out, AP_ALERT_REASSESSMENT_DUE, AP_SEV_WARNING, ws, r->required_minutes, r->credited_minutes,
                          r->offered_minutes);
            if (stale[k] == STALE_CHANGED)
                ALERT_TEXT(a, "reduction %.64s was assessed against placements whose planned hours or offer type have "
                              "changed since; reassess (LAB 105 a stk. 2)",
                           c.red[k]->reduction_id);
            else
                ALERT_TEXT(a, "reduction %.64s was assessed against other placements than those active; reassess (LAB 105 a stk. 2)",
                           c.red[k]->reduction_id);
        }
    if (no_journal) {
        a = add_alert(out, AP_ALERT_RULE_VIOLATION, AP_SEV_WARNING, ws, r->required_minutes, r->credited_minutes,
                      r->offered_minutes);
        ALERT_TEXT(a, "%d min of social/health activity or transport without a journal reference were not counted",
                   no_journal);
    }
    if (no_placement) {
        a = add_alert(out, AP_ALERT_RULE_VIOLATION, AP_SEV_WARNING, ws, r->required_minutes, r->credited_minutes,
                      r->offered_minutes);
        ALERT_TEXT(a, "%d min of offer hours (nytteindsats, praktik, loentilskud, vejledning) on days with no placement "
                      "of that offer type in force were not counted (seed 003)",
                   no_placement);
    }
    placement_rules(&c, v, ws, out);
    exemption_rules(&c, ws, out);
    planning_rules(&c, ws, out);
    return 0;
}
