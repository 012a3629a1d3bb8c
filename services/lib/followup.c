/* followup.c - the annual follow-up, rule FU-2026.1, over the monitoring
 * fold. See followup.h. */
#include "arbejdspligt/followup.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arbejdspligt/uuid.h"

/* The version table: each rule governs the years from `from` until the next.
 * FU-2026.1's defaults and their reasons: docs/monitoring-design.md §4. */
static const struct {
    int from;
    ap_followup_params_t p;
} versions[] = {
    {2026, {"FU-2026.1", 2500, 10, 20}},
};

const ap_followup_params_t *ap_followup_version_for(int year) {
    const ap_followup_params_t *found = NULL;
    for (size_t i = 0; i < sizeof versions / sizeof *versions; i++)
        if (year >= versions[i].from) found = &versions[i].p;
    return found;
}

int ap_followup_override(const ap_followup_params_t *base, const char *spec, ap_followup_params_t *out, char *why,
                         size_t whylen) {
    static const struct {
        const char *name;
        size_t off;
        long min, max;
    } params[] = {
        {"threshold_bp", offsetof(ap_followup_params_t, threshold_bp), 0, 10000},
        {"min_months", offsetof(ap_followup_params_t, min_months), 1, 12},
        {"min_weeks_owed", offsetof(ap_followup_params_t, min_weeks_owed), 1, 1000000},
    };
    enum { NP = sizeof params / sizeof *params };
    int given[NP] = {0};
    *out = *base;
    const char *s = spec;
    while (*s) {
        const char *eq = strchr(s, '='), *end = strchr(s, ',');
        if (!end) end = s + strlen(s);
        size_t k = 0;
        while (k < NP && !(eq && eq < end && (size_t)(eq - s) == strlen(params[k].name) &&
                           strncmp(s, params[k].name, (size_t)(eq - s)) == 0))
            k++;
        if (k == NP) {
            snprintf(why, whylen, "follow-up parameter \"%.*s\": expected threshold_bp, min_months or min_weeks_owed",
                     (int)(end - s > 40 ? 40 : end - s), s);
            return -1;
        }
        char *stop;
        long v = strtol(eq + 1, &stop, 10);
        if (stop != end || eq + 1 == end || v < params[k].min || v > params[k].max) {
            snprintf(why, whylen, "follow-up parameter %s: expected an integer %ld-%ld", params[k].name, params[k].min,
                     params[k].max);
            return -1;
        }
        *(int32_t *)(void *)((char *)out + params[k].off) = (int32_t)v;
        given[k] = 1;
        s = *end ? end + 1 : end;
    }
    /* The new name lists the overrides in the canonical order, so one what-if
     * has one name however it was typed. */
    int at = snprintf(out->version, sizeof out->version, "%s/", base->version);
    const char *sep = "";
    for (size_t k = 0; k < NP; k++) {
        if (!given[k]) continue;
        at += snprintf(out->version + at, at < (int)sizeof out->version ? sizeof out->version - (size_t)at : 0,
                       "%s%s=%d", sep, params[k].name, (int)*(const int32_t *)(const void *)((const char *)out + params[k].off));
        sep = ",";
    }
    if (!given[0] && !given[1] && !given[2]) {
        snprintf(why, whylen, "follow-up override: no parameter given");
        return -1;
    }
    if (at >= (int)sizeof out->version) {
        snprintf(why, whylen, "follow-up override: version name too long");
        return -1;
    }
    return 0;
}

static int32_t clamp32(int64_t v) { return v > INT32_MAX ? INT32_MAX : v < 0 ? 0 : (int32_t)v; }

void ap_followup_assess(const ap_followup_params_t *p, const int64_t weeks_owed[12], const int64_t offer_gap[12],
                        ap_followup_t *out) {
    snprintf(out->followup_version, sizeof out->followup_version, "%s", p->version);
    out->threshold_bp = p->threshold_bp;
    out->min_months = p->min_months;
    out->min_weeks_owed = p->min_weeks_owed;
    out->n_months = 12;
    out->challenged_months = 0;
    for (int m = 0; m < 12; m++) {
        ap_followup_month_t *x = &out->months[m];
        int64_t owed = weeks_owed[m], gap = offer_gap[m];
        x->month = m + 1;
        x->weeks_owed = clamp32(owed);
        x->offer_gap_weeks = clamp32(gap);
        /* For reading only; the decision below compares the integers. */
        x->share_bp = owed > 0 ? (int32_t)(gap * 10000 / owed) : INT32_MIN;
        x->assessable = owed >= p->min_weeks_owed;
        x->challenged = x->assessable && gap * 10000 > (int64_t)p->threshold_bp * owed;
        out->challenged_months += x->challenged;
    }
    out->challenged = out->challenged_months >= p->min_months;
}

void ap_followup_result_free(ap_followup_result_t *r) {
    free(r->basis);
    r->basis = NULL;
    r->n_basis = 0;
    r->rec.basis.items = NULL;
    r->rec.basis.n = 0;
}

int ap_followup_as_of(ap_monitoring_fold_t *fold, const char *muni, int year, int as_of_month,
                      const ap_followup_params_t *p, ap_followup_result_t *out, char *why, size_t whylen) {
    memset(out, 0, sizeof *out);
    if (as_of_month < 12 || as_of_month > 12 + AP_FOLLOWUP_REVISE_MONTHS) {
        snprintf(why, whylen, "as_of_month %d: expected 12-%d", as_of_month, 12 + AP_FOLLOWUP_REVISE_MONTHS);
        return -1;
    }
    int ay = as_of_month == 12 ? year : year + 1, am = as_of_month == 12 ? 12 : as_of_month - 12;
    int32_t pc = 0;
    int64_t first;
    if (ap_monitoring_fold_lane_close(fold, ay, am, 0, &first, &pc)) {
        snprintf(why, whylen, "lane 0 has not closed %04d-%02d (its first lane record is not held)", ay, am);
        return -1;
    }
    int64_t *bound = calloc((size_t)pc, sizeof *bound);
    int32_t *lanerev = calloc((size_t)pc * 12, sizeof *lanerev);
    int rc = -1;
    if (!bound || !lanerev) abort();
    for (int32_t l = 0; l < pc; l++) {
        int32_t pcl;
        if (ap_monitoring_fold_lane_close(fold, ay, am, l, &bound[l], &pcl)) {
            snprintf(why, whylen, "lane %d of %d has not closed %04d-%02d", (int)l, (int)pc, ay, am);
            goto cleanup;
        }
        if (pcl != pc) {
            snprintf(why, whylen, "%04d-%02d: lanes disagree on partition_count (%d, %d)", ay, am, (int)pc, (int)pcl);
            goto cleanup;
        }
    }
    int64_t owed[12], gap[12];
    for (int m = 1; m <= 12; m++) {
        ap_mon_sums_t s;
        ap_mon_fold_status_t st;
        if (ap_monitoring_fold_total_as_of(fold, muni, year, m, bound, (size_t)pc, &s, &st, &lanerev[(m - 1) * pc])) {
            snprintf(why, whylen, "%04d-%02d is %s as of the lanes' close of %04d-%02d (%d of %d lane records, %d "
                                  "partials missing)",
                     year, m, ap_monitoring_fold_state_name(st.state), ay, am, (int)st.lanes_present,
                     (int)st.partition_count, (int)st.partials_missing);
            goto cleanup;
        }
        if (st.partition_count != pc) {
            snprintf(why, whylen, "%04d-%02d has %d partitions, %04d-%02d %d: not one namespace", year, m,
                     (int)st.partition_count, ay, am, (int)pc);
            goto cleanup;
        }
        owed[m - 1] = s.weeks_owed;
        gap[m - 1] = s.weeks_offer_gap + s.weeks_offer_and_attendance_gap;
    }
    ap_followup_assess(p, owed, gap, &out->rec);
    snprintf(out->rec.municipality_code, sizeof out->rec.municipality_code, "%s", muni);
    out->rec.year = year;
    out->rec.as_of_month = as_of_month;
    snprintf(out->rec.engine_version, sizeof out->rec.engine_version, "%s", ap_events_engine_version());
    out->n_basis = (size_t)pc * 12;
    out->basis = malloc(out->n_basis * sizeof *out->basis);
    if (!out->basis) abort();
    for (int32_t l = 0; l < pc; l++)
        for (int m = 1; m <= 12; m++)
            out->basis[(size_t)l * 12 + (size_t)(m - 1)] = (ap_followup_basis_t){l, m, lanerev[(m - 1) * pc + l]};
    out->rec.basis.items = out->basis;
    out->rec.basis.n = (uint32_t)out->n_basis;
    rc = 0;
cleanup:
    free(bound);
    free(lanerev);
    return rc;
}

/* Whether two assessments say the same (the basis and as-of month aside:
 * those change with every close). */
static int same_assessment(const ap_followup_t *a, const ap_followup_t *b) {
    return a->challenged == b->challenged && a->challenged_months == b->challenged_months &&
           memcmp(a->months, b->months, sizeof a->months) == 0;
}

static void identify(ap_followup_result_t *r, int revision) {
    char name[64];
    r->rec.revision = revision;
    snprintf(name, sizeof name, "followup|%s|%d|%d", r->rec.municipality_code, (int)r->rec.year, revision);
    ap_uuid_derive(name, r->rec.event_id);
}

int ap_followup_series(ap_monitoring_fold_t *fold, const char *muni, int year, const ap_followup_params_t *p,
                       ap_followup_result_t out[AP_FOLLOWUP_MAX_REVISIONS], char *why, size_t whylen) {
    if (ap_followup_as_of(fold, muni, year, 12, p, &out[0], why, whylen)) return -1;
    identify(&out[0], 1);
    int n = 1;
    for (int a = 13; a <= 12 + AP_FOLLOWUP_REVISE_MONTHS; a++) {
        char later[256];
        if (ap_followup_as_of(fold, muni, year, a, p, &out[n], later, sizeof later)) break; /* not closed yet */
        if (same_assessment(&out[n].rec, &out[n - 1].rec)) {
            ap_followup_result_free(&out[n]);
            continue;
        }
        identify(&out[n], n + 1);
        n++;
    }
    return n;
}
