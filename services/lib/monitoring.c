/* monitoring.c - monthly monitoring measures, pure. See monitoring.h and README "Monitoring". */
#include "arbejdspligt/monitoring.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arbejdspligt/calendar.h"

const int32_t ap_mon_duration_bounds[AP_MON_DURATION_BUCKETS] = {0, 183, 365, 730, 1095, 1826};

static const char *const exit_reasons[AP_MON_EXIT_REASONS] = {"ORDINARY_WORK", "EDUCATION",     "FLEXJOB",
                                                              "OTHER_BENEFIT", "OTHER_UNKNOWN", "NOT_STATED"};
_Static_assert(AP_END_OTHER_UNKNOWN == 4 && AP_MON_EXIT_NOT_STATED == 5, "exit reasons follow CoverageEndReason");

/* The LAB/INL offers of STAR's list are the first six ActivityKinds. */
_Static_assert(AP_ACT_VEJLEDNING_OPKVALIFICERING == AP_MON_OFFER_KINDS - 1, "offer kinds are the first six");

int32_t ap_monitoring_last_day(int year, int month) {
    return month == 12 ? ap_cal_days_from_civil(year + 1, 1, 1) - 1 : ap_cal_days_from_civil(year, month + 1, 1) - 1;
}

int32_t ap_monitoring_close_monday(int year, int month) { return ap_cal_week_start(ap_monitoring_last_day(year, month)); }

int32_t ap_monitoring_next_month(int32_t yyyymm) {
    int y = yyyymm / 100, m = yyyymm % 100;
    return m == 12 ? ap_monitoring_yyyymm(y + 1, 1) : ap_monitoring_yyyymm(y, m + 1);
}

int ap_monitoring_parse_month(const char *s, int32_t *yyyymm) {
    int y, m, used = 0;
    if (sscanf(s, "%4d-%2d%n", &y, &m, &used) != 2 || used != 7 || s[used] || s[4] != '-' || m < 1 || m > 12 ||
        y < 2025 || y > 2099)
        return -1;
    *yyyymm = ap_monitoring_yyyymm(y, m);
    return 0;
}

int ap_monitoring_months_of_week(int32_t monday, int32_t out[2]) {
    int y, m, d, y2, m2;
    ap_cal_civil_from_days(monday, &y, &m, &d);
    ap_cal_civil_from_days(monday + 6, &y2, &m2, &d);
    out[0] = ap_monitoring_yyyymm(y, m);
    if (y2 == y && m2 == m) return 1;
    out[1] = ap_monitoring_yyyymm(y2, m2);
    return 2;
}

/* Weeks counted in a month are those whose Thursday lies in it (the ISO
 * rule for which year a week belongs to, applied to months). */
static void add_week(ap_mon_contribution_t *c, const ap_result_t *r) {
    if (r->status == AP_STATUS_EXEMPT) {
        c->weeks_exempt++;
        return;
    }
    if ((r->status != AP_STATUS_COMPLIANT && r->status != AP_STATUS_NOT_COMPLIANT) || r->required_minutes <= 0) return;
    c->weeks_owed++;
    c->required_minutes += r->required_minutes;
    c->offered_minutes += r->offered_minutes > 0 ? r->offered_minutes : 0;
    c->credited_minutes += r->credited_minutes;
    if (r->status == AP_STATUS_COMPLIANT) c->weeks_met++;
    else if (r->shortfall_cause == AP_CAUSE_OFFER_GAP) c->weeks_offer_gap++;
    else if (r->shortfall_cause == AP_CAUSE_ATTENDANCE_GAP) c->weeks_attendance_gap++;
    else if (r->shortfall_cause == AP_CAUSE_OFFER_AND_ATTENDANCE_GAP) c->weeks_offer_and_attendance_gap++;
    for (uint32_t i = 0; i < r->n_adjustments; i++)
        if (r->adjustments[i].kind == AP_ADJ_EXEMPTION) {
            c->weeks_partly_exempt++;
            break;
        }
}

int ap_monitoring_citizen_month(const ap_mon_citizen_t *in, ap_mon_contribution_t *out) {
    memset(out, 0, sizeof *out);
    out->exit_reason = -1;
    out->duration_days = -1;
    const int32_t first = ap_cal_days_from_civil(in->year, in->month, 1), last = ap_monitoring_last_day(in->year, in->month);
    const int ndays = (int)(last - first + 1);
    const ap_day_facts_t *facts[31] = {0};
    const ap_result_t *last_week = NULL;
    for (size_t w = 0; w < in->n_weeks; w++) {
        const ap_week_eval_t *e = &in->weeks[w];
        int32_t monday = e->result.week_start;
        for (int d = 0; d < 7; d++)
            if (monday + d >= first && monday + d <= last) facts[monday + d - first] = &e->days[d];
        if (monday + 3 >= first && monday + 3 <= last) {
            int before = out->weeks_owed + out->weeks_exempt;
            add_week(out, &e->result);
            if (out->weeks_owed + out->weeks_exempt > before) last_week = &e->result;
        }
    }
    for (int i = 0; i < ndays; i++)
        if (!facts[i]) return -1;

    int first_covered = -1, last_covered = -1, covered_weekday = 0, owed_any = 0;
    for (int i = 0; i < ndays; i++) {
        const ap_day_facts_t *f = facts[i];
        if (!f->covered) continue;
        if (first_covered < 0) first_covered = i;
        last_covered = i;
        covered_weekday |= ap_cal_weekday(first + i) < 5;
        owed_any |= f->owed;
        if (f->listed_credited_minutes > 0 || (f->owed && f->offers)) out->with_activity = 1;
        if (f->paid_credited_minutes > 0) out->with_paid_hours = 1;
        if (f->placement_exempted) out->placement_exempted = 1;
        for (int k = 0; k < AP_EXEMPT_COUNT; k++)
            if (f->exemption_kinds & (UINT32_C(1) << k)) out->exemption_days[k]++;
        if (f->owed)
            for (int k = 0; k < AP_MON_OFFER_KINDS; k++)
                if (f->offers & (1u << k)) { out->offer_days[k]++; out->offer_any[k] = 1; }
    }

    if (last_covered < 0) {
        /* Not covered in the month, yet a week counted here (its Thursday
         * is in the month, its covered days are not): the week stays in
         * the figures, in the municipality its result names. */
        if (!last_week) return 0;
        out->counted = 1;
        memcpy(out->municipality_code, last_week->municipality_code, AP_MUNI_CAP);
        return 0;
    }
    out->counted = out->covered = 1;
    const int32_t lc = first + last_covered;
    if (ap_rules_month_municipality(in->coverage, in->n_coverage, in->year, in->month, out->municipality_code))
        ap_rules_municipality_on(in->coverage, in->n_coverage, lc, out->municipality_code);
    char at_first[AP_MUNI_CAP];
    if (ap_rules_municipality_on(in->coverage, in->n_coverage, first + first_covered, at_first) == 0 &&
        strcmp(at_first, out->municipality_code) != 0)
        out->moved_in = 1;
    out->covered_on_last_day = facts[ndays - 1]->covered;
    out->exempt_all_month = covered_weekday && !owed_any;

    const ap_coverage_t *period = ap_rules_coverage_on(in->coverage, in->n_coverage, lc);
    if (period && !ap_rules_coverage_on(in->coverage, in->n_coverage, lc + 1))
        out->exit_reason = period->end_reason >= 0 && period->end_reason < AP_MON_EXIT_NOT_STATED ? period->end_reason
                                                                                                : AP_MON_EXIT_NOT_STATED;
    if (period && period->benefit_start_date != AP_NO_DATE && period->benefit_start_date <= lc)
        out->duration_days = lc - period->benefit_start_date + 1;
    for (size_t i = 0; i < in->n_sanctions; i++)
        if (in->sanction_dates[i] >= first && in->sanction_dates[i] <= last) out->sanctions++;
    return 0;
}

void ap_monitoring_add(ap_mon_sums_t *s, const ap_mon_contribution_t *c) {
    if (!c->counted) return;
    s->weeks_owed += c->weeks_owed;
    s->weeks_met += c->weeks_met;
    s->weeks_offer_gap += c->weeks_offer_gap;
    s->weeks_attendance_gap += c->weeks_attendance_gap;
    s->weeks_offer_and_attendance_gap += c->weeks_offer_and_attendance_gap;
    s->weeks_exempt += c->weeks_exempt;
    s->weeks_partly_exempt += c->weeks_partly_exempt;
    s->required_minutes += c->required_minutes;
    s->offered_minutes += c->offered_minutes;
    s->credited_minutes += c->credited_minutes;
    if (!c->covered) return;
    s->covered_citizens++;
    s->covered_on_last_day += c->covered_on_last_day;
    s->moved_in_citizens += c->moved_in;
    s->with_activity += c->with_activity;
    s->with_paid_hours += c->with_paid_hours;
    for (int k = 0; k < AP_EXEMPT_COUNT; k++) {
        s->exemption_citizens[k] += c->exemption_days[k] > 0;
        s->exemption_days[k] += c->exemption_days[k];
    }
    s->placement_exempted_citizens += c->placement_exempted;
    s->exempt_all_month += c->exempt_all_month;
    for (int k = 0; k < AP_MON_OFFER_KINDS; k++) {
        s->offer_citizens[k] += c->offer_any[k];
        s->offer_citizen_days[k] += c->offer_days[k];
    }
    if (c->exit_reason >= 0) s->exits[c->exit_reason]++;
    if (c->duration_days < 0) s->duration_unknown++;
    else {
        s->duration_known++;
        s->duration_days_sum += c->duration_days;
        int b = 0;
        while (b + 1 < AP_MON_DURATION_BUCKETS && c->duration_days >= ap_mon_duration_bounds[b + 1]) b++;
        s->duration_buckets[b]++;
    }
    s->sanctions += c->sanctions;
    s->sanctioned_citizens += c->sanctions > 0;
}

/* Breakdown rows are sorted by symbol name, so the bytes do not depend on
 * the order of an enum. */
typedef struct named {
    const char *name;
    int index;
} named_t;

static int cmp_named(const void *a, const void *b) { return strcmp(((const named_t *)a)->name, ((const named_t *)b)->name); }

static int fits(int64_t v, int32_t *out) {
    if (v < 0 || v > INT32_MAX) return 0;
    *out = (int32_t)v;
    return 1;
}

int ap_monitoring_sums_to_record(const ap_mon_sums_t *s, ap_monitoring_t *r) {
    int ok = fits(s->covered_citizens, &r->covered_citizens) & fits(s->covered_on_last_day, &r->covered_on_last_day) &
             fits(s->moved_in_citizens, &r->moved_in_citizens) & fits(s->with_activity, &r->with_activity) &
             fits(s->with_paid_hours, &r->with_paid_hours) &
             fits(s->placement_exempted_citizens, &r->placement_exempted_citizens) &
             fits(s->exempt_all_month, &r->exempt_all_month) & fits(s->duration_known, &r->duration_known) &
             fits(s->duration_unknown, &r->duration_unknown) & fits(s->sanctions, &r->sanctions) &
             fits(s->sanctioned_citizens, &r->sanctioned_citizens) & fits(s->weeks_owed, &r->weeks_owed) &
             fits(s->weeks_met, &r->weeks_met) & fits(s->weeks_offer_gap, &r->weeks_offer_gap) &
             fits(s->weeks_attendance_gap, &r->weeks_attendance_gap) &
             fits(s->weeks_offer_and_attendance_gap, &r->weeks_offer_and_attendance_gap) &
             fits(s->weeks_exempt, &r->weeks_exempt) & fits(s->weeks_partly_exempt, &r->weeks_partly_exempt);
    r->duration_days_sum = s->duration_days_sum;
    r->required_minutes = s->required_minutes;
    r->offered_minutes = s->offered_minutes;
    r->credited_minutes = s->credited_minutes;

    named_t rows[AP_EXEMPT_COUNT];
    size_t n = 0;
    for (int k = 0; k < AP_EXEMPT_COUNT; k++)
        if (s->exemption_citizens[k] > 0) rows[n++] = (named_t){ap_exemption_kind_name(k), k};
    qsort(rows, n, sizeof *rows, cmp_named);
    r->n_exemptions = (uint32_t)n;
    for (size_t i = 0; i < n; i++) {
        ap_mon_exemption_count_t *x = &r->exemptions[i];
        snprintf(x->kind, sizeof x->kind, "%s", rows[i].name);
        ok &= fits(s->exemption_citizens[rows[i].index], &x->citizens);
        x->days = s->exemption_days[rows[i].index];
    }
    n = 0;
    for (int k = 0; k < AP_MON_OFFER_KINDS; k++)
        if (s->offer_citizens[k] > 0) rows[n++] = (named_t){ap_activity_kind_name(k), k};
    qsort(rows, n, sizeof *rows, cmp_named);
    r->n_offer_types = (uint32_t)n;
    for (size_t i = 0; i < n; i++) {
        ap_mon_offer_count_t *x = &r->offer_types[i];
        snprintf(x->offer_type, sizeof x->offer_type, "%s", rows[i].name);
        ok &= fits(s->offer_citizens[rows[i].index], &x->citizens);
        x->citizen_days = s->offer_citizen_days[rows[i].index];
    }
    n = 0;
    for (int k = 0; k < AP_MON_EXIT_REASONS; k++)
        if (s->exits[k] > 0) rows[n++] = (named_t){exit_reasons[k], k};
    qsort(rows, n, sizeof *rows, cmp_named);
    r->n_exits = (uint32_t)n;
    for (size_t i = 0; i < n; i++) {
        snprintf(r->exits[i].reason, sizeof r->exits[i].reason, "%s", rows[i].name);
        ok &= fits(s->exits[rows[i].index], &r->exits[i].citizens);
    }
    r->n_duration_buckets = AP_MON_DURATION_BUCKETS;
    for (int b = 0; b < AP_MON_DURATION_BUCKETS; b++) {
        r->duration_buckets[b].min_days = ap_mon_duration_bounds[b];
        ok &= fits(s->duration_buckets[b], &r->duration_buckets[b].citizens);
    }
    return ok ? 0 : -1;
}

static int unknown(char *why, size_t whylen, const char *what, const char *name) {
    snprintf(why, whylen, "unknown %s \"%.40s\": this build cannot total it", what, name);
    return -1;
}

int ap_monitoring_add_record(ap_mon_sums_t *s, const ap_monitoring_t *r, char *why, size_t whylen) {
    for (uint32_t i = 0; i < r->n_exemptions; i++) {
        int k = 0;
        while (k < AP_EXEMPT_COUNT && strcmp(ap_exemption_kind_name(k), r->exemptions[i].kind) != 0) k++;
        if (k == AP_EXEMPT_COUNT) return unknown(why, whylen, "exemption kind", r->exemptions[i].kind);
        k = ap_exemption_kind_canonical(k);
        s->exemption_citizens[k] += r->exemptions[i].citizens;
        s->exemption_days[k] += r->exemptions[i].days;
    }
    for (uint32_t i = 0; i < r->n_offer_types; i++) {
        int k = 0;
        while (k < AP_MON_OFFER_KINDS && strcmp(ap_activity_kind_name(k), r->offer_types[i].offer_type) != 0) k++;
        if (k == AP_MON_OFFER_KINDS) return unknown(why, whylen, "offer type", r->offer_types[i].offer_type);
        s->offer_citizens[k] += r->offer_types[i].citizens;
        s->offer_citizen_days[k] += r->offer_types[i].citizen_days;
    }
    for (uint32_t i = 0; i < r->n_exits; i++) {
        int k = 0;
        while (k < AP_MON_EXIT_REASONS && strcmp(exit_reasons[k], r->exits[i].reason) != 0) k++;
        if (k == AP_MON_EXIT_REASONS) return unknown(why, whylen, "exit reason", r->exits[i].reason);
        s->exits[k] += r->exits[i].citizens;
    }
    for (uint32_t i = 0; i < r->n_duration_buckets; i++) {
        int b = 0;
        while (b < AP_MON_DURATION_BUCKETS && ap_mon_duration_bounds[b] != r->duration_buckets[i].min_days) b++;
        if (b == AP_MON_DURATION_BUCKETS) {
            snprintf(why, whylen, "unknown duration bucket from %d days", r->duration_buckets[i].min_days);
            return -1;
        }
        s->duration_buckets[b] += r->duration_buckets[i].citizens;
    }
    s->covered_citizens += r->covered_citizens;
    s->covered_on_last_day += r->covered_on_last_day;
    s->moved_in_citizens += r->moved_in_citizens;
    s->with_activity += r->with_activity;
    s->with_paid_hours += r->with_paid_hours;
    s->placement_exempted_citizens += r->placement_exempted_citizens;
    s->exempt_all_month += r->exempt_all_month;
    s->duration_known += r->duration_known;
    s->duration_unknown += r->duration_unknown;
    s->duration_days_sum += r->duration_days_sum;
    s->sanctions += r->sanctions;
    s->sanctioned_citizens += r->sanctioned_citizens;
    s->weeks_owed += r->weeks_owed;
    s->weeks_met += r->weeks_met;
    s->weeks_offer_gap += r->weeks_offer_gap;
    s->weeks_attendance_gap += r->weeks_attendance_gap;
    s->weeks_offer_and_attendance_gap += r->weeks_offer_and_attendance_gap;
    s->weeks_exempt += r->weeks_exempt;
    s->weeks_partly_exempt += r->weeks_partly_exempt;
    s->required_minutes += r->required_minutes;
    s->offered_minutes += r->offered_minutes;
    s->credited_minutes += r->credited_minutes;
    return 0;
}

void ap_monitoring_sums_add(ap_mon_sums_t *a, const ap_mon_sums_t *b) {
    /* Every member is an int64_t (monitoring.h): add them as an array. */
    int64_t *x = (int64_t *)(void *)a;
    const int64_t *y = (const int64_t *)(const void *)b;
    for (size_t i = 0; i < sizeof *a / sizeof(int64_t); i++) x[i] += y[i];
}
_Static_assert(sizeof(ap_mon_sums_t) % sizeof(int64_t) == 0, "ap_mon_sums_t holds int64_t only");

int ap_monitoring_sums_equal(const ap_mon_sums_t *a, const ap_mon_sums_t *b) { return memcmp(a, b, sizeof *a) == 0; }

const ap_rule_version_t *ap_monitoring_rule_version(int year, int month) {
    /* ap_rules_version_for reads the version in force on monday + 3; so
     * this asks for the one in force on the month's last day. */
    return ap_rules_version_for(ap_monitoring_last_day(year, month) - 3);
}
