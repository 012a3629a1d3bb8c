/*
 * followup.h - the annual follow-up (issue 16 §3; docs/monitoring-design.md
 * §4; README "Annual follow-up"), pure.
 *
 * Seed 002: "STAR og UIM vil én gang årligt følge op over for kommuner, der
 * kontinuerligt over et år er væsentligt udfordret i forhold til at
 * iværksætte en indsats, der sikrer opfyldelsen af arbejdspligten." and
 * "Opfølgningen i 2027 vil ske med udgangspunkt i målingerne for perioden
 * januar til december 2026." The seeds do not give STAR's criterion, so the
 * rule is the project's, named and parameterised (design choice), and it
 * measures what the seed puts on the job centre, the offers:
 *
 *   month M is assessable   weeks_owed >= min_weeks_owed
 *   M is challenged         assessable and
 *                           (weeks_offer_gap + weeks_offer_and_attendance_gap) * 10000
 *                             > threshold_bp * weeks_owed   (integers: no float in a decision)
 *   the year is challenged  at least min_months of its 12 months are
 *                           (non-assessable months count as not challenged)
 *
 * Rule FU-2026.1 (threshold_bp 2500, min_months 10, min_weeks_owed 20)
 * governs years from 2026. An audit's what-if overrides parameters and
 * renames the version, e.g. "FU-2026.1/threshold_bp=2000,min_months=9".
 *
 * When: revision 1 of (municipality, Y) folds, for each lane, its records as
 * of its own close of December Y (per month of Y, its latest lane record with
 * closed_at <= that of its revision-1 December lane record), so the content
 * never depends on when the fold runs. Later revisions fold as of the lanes'
 * closes of January-March Y+1 (AP_FOLLOWUP_REVISE_MONTHS), each only if the
 * assessment differs from the one before; then it stands.
 *
 * Ownership: results own their basis array (ap_followup_result_free). No
 * I/O, no clock; ap_events_init() must have run.
 */
#ifndef AP_FOLLOWUP_H
#define AP_FOLLOWUP_H

#include <stddef.h>
#include <stdint.h>

#include "arbejdspligt/events.h"
#include "arbejdspligt/monitoring_fold.h"

/* Months of the next year whose closes may still revise the assessment. */
#define AP_FOLLOWUP_REVISE_MONTHS 3
/* Revisions at most: the December close and each revising month. */
#define AP_FOLLOWUP_MAX_REVISIONS (1 + AP_FOLLOWUP_REVISE_MONTHS)

/* A rule version and its parameters (written into every FollowUp). */
typedef struct ap_followup_params {
    char version[AP_FOLLOWUP_VERSION_CAP];
    int32_t threshold_bp;   /* a month is challenged above this offer-gap share, in basis points */
    int32_t min_months;     /* of 12, for the year */
    int32_t min_weeks_owed; /* below this a month is not assessable */
} ap_followup_params_t;

/** @return the rule version governing year (FU-2026.1 from 2026), or NULL before 2026. */
const ap_followup_params_t *ap_followup_version_for(int year);

/**
 * @brief An audit's what-if: base with "name=value,..." applied (threshold_bp
 * 0-10000, min_months 1-12, min_weeks_owed 1-1000000) and the version renamed
 * "<base>/<spec>" with the names in that canonical order.
 * @return 0, or -1 with why set (an unknown name, a value out of range).
 */
int ap_followup_override(const ap_followup_params_t *base, const char *spec, ap_followup_params_t *out, char *why,
                         size_t whylen);

/**
 * @brief The assessment of twelve months (index 0 is January): out's
 * parameters, months, challenged_months and challenged. Identity fields
 * (ids, municipality, year, revision, as_of_month, basis) are the caller's.
 */
void ap_followup_assess(const ap_followup_params_t *p, const int64_t weeks_owed[12], const int64_t offer_gap[12],
                        ap_followup_t *out);

/* One FollowUp with the basis it points to. */
typedef struct ap_followup_result {
    ap_followup_t rec;          /* rec.basis.items points to basis */
    ap_followup_basis_t *basis; /* per lane and month, sorted by partition, then month */
    size_t n_basis;
} ap_followup_result_t;

/**
 * @brief The assessment of (muni, year) as of each lane's close of month
 * as_of_month (12: December of year, 13-15: January-March of year + 1).
 * Needs, for every lane, its revision-1 lane record of that month, and every
 * month of year complete within those bounds (monitoring_fold.h). Sets
 * everything but event_id and revision.
 * @return 0, or -1 with why set (what is not held yet, or mixed/conflicting records).
 */
int ap_followup_as_of(ap_monitoring_fold_t *fold, const char *muni, int year, int as_of_month,
                      const ap_followup_params_t *p, ap_followup_result_t *out, char *why, size_t whylen);

/**
 * @brief Every revision of (muni, year) the fold can give: revision 1 as of
 * the December close, then one per close of January-March of year + 1 whose
 * assessment differs from the last (stopping at the first close not held).
 * Ids are derived (uuid5 of "followup|<muni>|<year>|<revision>").
 * @return the number of revisions in out (1..AP_FOLLOWUP_MAX_REVISIONS), or
 *         -1 with why set if revision 1 cannot be made yet.
 */
int ap_followup_series(ap_monitoring_fold_t *fold, const char *muni, int year, const ap_followup_params_t *p,
                       ap_followup_result_t out[AP_FOLLOWUP_MAX_REVISIONS], char *why, size_t whylen);

/** @brief Frees the result's basis; the struct may be reused. */
void ap_followup_result_free(ap_followup_result_t *r);

#endif
