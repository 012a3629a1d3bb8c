/* rules.c - arbejdspligt weekly compliance rules. See rules.h and README "Rules". */
#include "arbejdspligt/rules.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arbejdspligt/calendar.h"

/* Rule versions by effective date. Arbejdspligt applies from 1 January 2025
 * (seed 002), i.e. from ISO week 2025-W01, which starts Monday 2024-12-30. */
static const ap_rule_version_t versions[] = {
    {"AP-2025.1", 20087 /* 2024-12-30 */, AP_NO_DATE},
};

const ap_rule_version_t *ap_rules_version_for(int32_t monday) {
    for (size_t i = 0; i < sizeof versions / sizeof *versions; i++)
        if (monday >= versions[i].first_monday &&
            (versions[i].last_monday == AP_NO_DATE || monday <= versions[i].last_monday))
            return &versions[i];
    return NULL;
}

int ap_rules_activity_counts(int32_t kind, const char *journal_ref) {
    switch (kind) {
    case AP_ACT_JOBSAMTALE: return 0; /* "Jobsamtaler ... indgaar ikke" (seed 002) */
    case AP_ACT_SOCIAL_SUNDHED:
    case AP_ACT_TRANSPORT: return journal_ref && journal_ref[0]; /* only when journalised (seed 002) */
    default: return kind >= 0 && kind < AP_ACT_COUNT;
    }
}

static int in_range(int32_t day, int32_t from, int32_t to) {
    return day >= from && (to == AP_NO_DATE || day <= to);
}

/* Sorting by entity id makes the result independent of the order the store
 * returned entities in (Redis hashes have no stable order). */
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

static void add_adjustment(ap_result_t *r, int32_t kind, const char *ref, int32_t minutes) {
    if (r->n_adjustments >= AP_MAX_ADJUSTMENTS) return; /* bounded: see the aggregation below */
    ap_adjustment_t *a = &r->adjustments[r->n_adjustments++];
    a->kind = kind;
    snprintf(a->reference, sizeof a->reference, "%s", ref);
    a->minutes = minutes;
}

static ap_alert_t *add_alert(ap_week_eval_t *out, int32_t code, int32_t severity) {
    if (out->n_alerts >= AP_MAX_ALERTS) return NULL;
    const ap_result_t *r = &out->result;
    ap_alert_t *a = &out->alerts[out->n_alerts++];
    memset(a, 0, sizeof *a);
    snprintf(a->citizen_id, sizeof a->citizen_id, "%s", r->citizen_id);
    memcpy(a->municipality_code, r->municipality_code, sizeof a->municipality_code);
    a->iso_year = r->iso_year;
    a->iso_week = r->iso_week;
    a->week_start = r->week_start;
    a->code = code;
    a->severity = severity;
    memcpy(a->rule_version, r->rule_version, sizeof a->rule_version);
    a->required_minutes = r->required_minutes;
    a->credited_minutes = r->credited_minutes;
    a->shortfall_minutes = r->shortfall_minutes;
    return a;
}

/* The reduction in force on a day: the most recently assessed one wins
 * (a new assessment replaces the old, LAB § 105 a stk. 2). */
static const ap_reduction_t *reduction_on(const ap_reduction_t *const *red, size_t n, int32_t day) {
    const ap_reduction_t *best = NULL;
    for (size_t i = 0; i < n; i++) {
        const ap_reduction_t *x = red[i];
        if (!in_range(day, x->valid_from, x->valid_to)) continue;
        if (!best || x->assessed_on > best->assessed_on ||
            (x->assessed_on == best->assessed_on && x->h.recorded_at > best->h.recorded_at))
            best = x;
    }
    return best;
}

/* A reduction is stale when the placements active in the week are not the
 * ones it was assessed against: the assessment is tied to the specific
 * activities and must be made again when the person moves to another one
 * (LAB § 105 a stk. 2, seed 002). It keeps applying, flagged (design choice). */
static int reduction_is_stale(const ap_reduction_t *x, const ap_placement_t *const *pl, size_t n, int32_t ws) {
    size_t active = 0;
    for (size_t i = 0; i < n; i++) {
        const ap_placement_t *p = pl[i];
        if (p->action == AP_PLACEMENT_CANCELLED || p->end_date < ws || p->start_date > ws + 6) continue;
        active++;
        int found = 0;
        for (uint32_t k = 0; k < x->n_assessed && !found; k++)
            found = strcmp(x->assessed_placement_ids[k], p->placement_id) == 0;
        if (!found) return 1;
    }
    return active != x->n_assessed;
}

int ap_rules_evaluate(const ap_week_input_t *in, ap_week_eval_t *out) {
    memset(out, 0, sizeof *out);
    ap_result_t *r = &out->result;
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
    const ap_rule_version_t *version = ap_rules_version_for(ws);
    if (!version) { /* before arbejdspligt existed */
        snprintf(r->rule_version, sizeof r->rule_version, "NONE");
        return 0;
    }
    snprintf(r->rule_version, sizeof r->rule_version, "%s", version->name);

    const ap_coverage_t *cov[AP_MAX_ENTITIES];
    const ap_placement_t *pl[AP_MAX_ENTITIES];
    const ap_exemption_t *ex[AP_MAX_ENTITIES];
    const ap_reduction_t *red[AP_MAX_ENTITIES];
    const ap_hours_t *hrs[AP_MAX_HOURS_PER_WEEK];
    sort_ap_coverage_t(in->coverage, in->n_coverage, cov);
    sort_ap_placement_t(in->placements, in->n_placements, pl);
    sort_ap_exemption_t(in->exemptions, in->n_exemptions, ex);
    sort_ap_reduction_t(in->reductions, in->n_reductions, red);
    sort_ap_hours_t(in->hours, in->n_hours, hrs);

    /* Which days of the week are covered, and by which coverage period. */
    int covered[7] = {0};
    const ap_coverage_t *cov_day[7] = {0};
    for (int d = 0; d < 7; d++)
        for (size_t i = 0; i < in->n_coverage; i++)
            if (in_range(ws + d, cov[i]->from_date, cov[i]->to_date)) { covered[d] = 1; cov_day[d] = cov[i]; }

    /* IGU puts the person outside the obligation (seed 004): those days are
     * not covered at all, so hours on them do not count either. */
    for (size_t i = 0; i < in->n_exemptions; i++) {
        if (ex[i]->kind != AP_EXEMPT_IGU) continue;
        int32_t effect = 0;
        for (int d = 0; d < 7; d++)
            if (covered[d] && in_range(ws + d, ex[i]->from_date, ex[i]->to_date)) {
                covered[d] = 0;
                if (d < 5) effect -= AP_NORM_MINUTES_PER_DAY;
            }
        if (effect) add_adjustment(r, AP_ADJ_EXEMPTION, ex[i]->exemption_id, effect);
    }

    int last_covered = -1, covered_weekdays = 0;
    for (int d = 0; d < 7; d++) if (covered[d]) { last_covered = d; covered_weekdays += d < 5; }
    if (last_covered < 0) return 0; /* NOT_COVERED */
    /* The municipality responsible on the week's last covered day names the
     * result: the new one is responsible from the move-in date (seed 002). */
    memcpy(r->municipality_code, cov_day[last_covered]->h.municipality_code, sizeof r->municipality_code);

    if (covered_weekdays < 5) {
        char ref[AP_ID_CAP];
        snprintf(ref, sizeof ref, "%d/5 working days covered", covered_weekdays);
        /* IGU days were already attributed to their exemption above. */
        int32_t effect = -(5 - covered_weekdays) * AP_NORM_MINUTES_PER_DAY;
        for (uint32_t k = 0; k < r->n_adjustments; k++) effect -= r->adjustments[k].minutes;
        if (effect) add_adjustment(r, AP_ADJ_PRORATION, ref, effect);
    }

    /* Each covered working day owes a fifth of the week's requirement: the
     * norm, or the individual reduced hours in force that day; nothing while a
     * whole-person exemption applies (seed 002, LAS § 13). */
    int32_t ex_effect[AP_MAX_ENTITIES] = {0}, red_effect[AP_MAX_ENTITIES] = {0};
    int owed_days = 0;
    for (int d = 0; d < 5; d++) {
        if (!covered[d]) continue;
        int32_t day = ws + d;
        size_t e;
        for (e = 0; e < in->n_exemptions; e++)
            if (!ex[e]->placement_id[0] && ex[e]->kind != AP_EXEMPT_IGU && in_range(day, ex[e]->from_date, ex[e]->to_date))
                break;
        if (e < in->n_exemptions) { ex_effect[e] -= AP_NORM_MINUTES_PER_DAY; continue; }
        owed_days++;
        const ap_reduction_t *x = reduction_on(red, in->n_reductions, day);
        int32_t daily = x ? x->reduced_minutes_per_week / 5 : AP_NORM_MINUTES_PER_DAY;
        if (x)
            for (size_t k = 0; k < in->n_reductions; k++)
                if (red[k] == x) red_effect[k] += daily - AP_NORM_MINUTES_PER_DAY;
        r->required_minutes += daily;
    }
    for (size_t e = 0; e < in->n_exemptions; e++)
        if (ex_effect[e]) add_adjustment(r, AP_ADJ_EXEMPTION, ex[e]->exemption_id, ex_effect[e]);
    int stale[AP_MAX_ENTITIES] = {0};
    for (size_t k = 0; k < in->n_reductions; k++) {
        if (!red_effect[k]) continue;
        add_adjustment(r, AP_ADJ_REDUCTION, red[k]->reduction_id, red_effect[k]);
        if ((stale[k] = reduction_is_stale(red[k], pl, in->n_placements, ws)))
            add_adjustment(r, AP_ADJ_REDUCTION_STALE, red[k]->reduction_id, 0);
    }
    /* An exemption tied to one offer removes that placement, not the
     * requirement (LAS § 13 stk. 7, seed 002). */
    for (size_t e = 0; e < in->n_exemptions; e++)
        if (ex[e]->placement_id[0] && ex[e]->kind != AP_EXEMPT_IGU &&
            ex[e]->from_date <= ws + 6 && (ex[e]->to_date == AP_NO_DATE || ex[e]->to_date >= ws))
            add_adjustment(r, AP_ADJ_PLACEMENT_EXEMPTED, ex[e]->placement_id, 0);

    /* Credited hours. Hours not counted are totalled by reason, so the
     * result stays bounded however many reports a week has. */
    int32_t by_kind[AP_ACT_COUNT] = {0}, not_covered = 0, interview = 0, no_journal = 0;
    for (size_t i = 0; i < in->n_hours; i++) {
        const ap_hours_t *h = hrs[i];
        int32_t d = h->activity_date - ws;
        if (h->action == AP_HOURS_RETRACTED || d < 0 || d > 6) continue;
        if (!covered[d]) not_covered += h->minutes;
        else if (h->activity_kind == AP_ACT_JOBSAMTALE) interview += h->minutes;
        else if (!ap_rules_activity_counts(h->activity_kind, h->journal_ref)) no_journal += h->minutes;
        else by_kind[h->activity_kind] += h->minutes;
    }
    if (not_covered) add_adjustment(r, AP_ADJ_HOURS_NOT_COUNTED, "outside coverage", not_covered);
    if (interview) add_adjustment(r, AP_ADJ_HOURS_NOT_COUNTED, "JOBSAMTALE never counts", interview);
    if (no_journal) add_adjustment(r, AP_ADJ_HOURS_NOT_COUNTED, "no journal reference", no_journal);
    for (int k = 0; k < AP_ACT_COUNT; k++) {
        if (!by_kind[k]) continue;
        r->breakdown[r->n_breakdown].activity_kind = k;
        r->breakdown[r->n_breakdown++].minutes = by_kind[k];
        r->credited_minutes += by_kind[k];
    }

    if (covered_weekdays > 0 && owed_days == 0) r->status = AP_STATUS_EXEMPT;
    else if (r->credited_minutes >= r->required_minutes) r->status = AP_STATUS_COMPLIANT;
    else {
        r->status = AP_STATUS_NOT_COMPLIANT;
        r->shortfall_minutes = r->required_minutes - r->credited_minutes;
    }

    ap_alert_t *a;
    if (r->status == AP_STATUS_NOT_COMPLIANT) {
        int silent = r->credited_minutes == 0 && not_covered + interview + no_journal == 0;
        if (silent && (a = add_alert(out, AP_ALERT_NO_ACTIVITY, AP_SEV_CRITICAL)))
            snprintf(a->detail, sizeof a->detail, "covered week with no registered activity; %d min required",
                     r->required_minutes);
        else if (!silent && (a = add_alert(out, AP_ALERT_WEEK_SHORT, AP_SEV_WARNING)))
            snprintf(a->detail, sizeof a->detail, "%d min credited of %d min required; short by %d min",
                     r->credited_minutes, r->required_minutes, r->shortfall_minutes);
    }
    for (size_t k = 0; k < in->n_reductions; k++)
        if (stale[k] && (a = add_alert(out, AP_ALERT_REASSESSMENT_DUE, AP_SEV_WARNING)))
            snprintf(a->detail, sizeof a->detail,
                     "reduction %.64s was assessed against other placements than those active; reassess (LAB 105 a stk. 2)",
                     red[k]->reduction_id);
    if (no_journal && (a = add_alert(out, AP_ALERT_RULE_VIOLATION, AP_SEV_WARNING)))
        snprintf(a->detail, sizeof a->detail,
                 "%d min of social/health activity or transport without a journal reference were not counted", no_journal);
    return 0;
}
