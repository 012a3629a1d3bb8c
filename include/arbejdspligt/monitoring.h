/*
 * monitoring.h - STAR's monthly monitoring measures and the weekly 37-hour
 * figures, per municipality and calendar month (issue 16 §2; seed 002,
 * "Monitorering"; definitions in README "Monitoring" and
 * docs/monitoring-design.md §1), pure.
 *
 * Three steps, each a pure function:
 *   1. ap_monitoring_citizen_month: one citizen's month, from the weekly
 *      evaluations of every ISO week overlapping it (their per-day facts),
 *      the coverage periods and the sanction decision dates, gives one
 *      contribution: the citizen counted once, in one municipality.
 *   2. ap_monitoring_add: contributions are summed per municipality (one
 *      lane's share; the processor emits it as a MonitoringPartial).
 *   3. ap_monitoring_sums_to_record / ap_monitoring_add_record: sums to the
 *      record's summable fields and back, so a reader adds the partials of
 *      every lane into the municipality's total with the same arithmetic.
 *
 * Ownership: inputs are caller-owned and read only during the call; outputs
 * are values the caller owns. No I/O, no clock.
 */
#ifndef AP_MONITORING_H
#define AP_MONITORING_H

#include <stddef.h>
#include <stdint.h>

#include "arbejdspligt/events.h"
#include "arbejdspligt/rules.h"

/* The definitions of the measures; a changed definition gets a new name. */
#define AP_MONITORING_VERSION "MON-2026.1"

/* Index of NOT_STATED among the exit reasons (after the CoverageEndReason symbols). */
#define AP_MON_EXIT_NOT_STATED 5

/* Weeks overlapping one calendar month: at most six. */
#define AP_MON_MAX_WEEKS 6

/* One citizen's month. */
typedef struct ap_mon_citizen {
    int year, month;
    const ap_coverage_t *coverage; /* all the citizen's coverage periods */
    size_t n_coverage;
    const int32_t *sanction_dates; /* decision dates of the citizen's sanctions, not cancelled (any month) */
    size_t n_sanctions;
    const ap_week_eval_t *weeks;   /* evaluation of each ISO week overlapping the month, Monday order */
    size_t n_weeks;
} ap_mon_citizen_t;

/* What one citizen adds to a municipality's month. */
typedef struct ap_mon_contribution {
    int counted;                     /* 0: nothing to add (not covered in the month, no owed week) */
    char municipality_code[AP_MUNI_CAP];
    uint8_t covered, covered_on_last_day, moved_in, with_activity, with_paid_hours;
    uint8_t placement_exempted, exempt_all_month;
    int32_t exemption_days[AP_EXEMPT_COUNT]; /* by canonical kind */
    int32_t offer_days[AP_MON_OFFER_KINDS];  /* owed working days with an offer of kind k in force */
    uint8_t offer_any[AP_MON_OFFER_KINDS];   /* such an offer on an owed day (also on a day owing 0: never) */
    int32_t exit_reason;             /* -1: no exit; 0..4 CoverageEndReason; AP_MON_EXIT_NOT_STATED */
    int32_t duration_days;           /* -1: benefit start not stated (only when covered) */
    int32_t sanctions;
    int32_t weeks_owed, weeks_met, weeks_offer_gap, weeks_attendance_gap, weeks_offer_and_attendance_gap;
    int32_t weeks_exempt, weeks_partly_exempt;
    int64_t required_minutes, offered_minutes, credited_minutes;
} ap_mon_contribution_t;

/* Summable counts of a set of citizens (one municipality, one lane or all). */
typedef struct ap_mon_sums {
    int64_t covered_citizens, covered_on_last_day, moved_in_citizens, with_activity, with_paid_hours;
    int64_t exemption_citizens[AP_EXEMPT_COUNT], exemption_days[AP_EXEMPT_COUNT];
    int64_t placement_exempted_citizens, exempt_all_month;
    int64_t offer_citizens[AP_MON_OFFER_KINDS], offer_citizen_days[AP_MON_OFFER_KINDS];
    int64_t exits[AP_MON_EXIT_REASONS];
    int64_t duration_known, duration_unknown, duration_days_sum;
    int64_t duration_buckets[AP_MON_DURATION_BUCKETS];
    int64_t sanctions, sanctioned_citizens;
    int64_t weeks_owed, weeks_met, weeks_offer_gap, weeks_attendance_gap, weeks_offer_and_attendance_gap;
    int64_t weeks_exempt, weeks_partly_exempt;
    int64_t required_minutes, offered_minutes, credited_minutes;
} ap_mon_sums_t;

/* Lower bounds of the duration buckets, in days: half a year, 1, 2, 3, 5 years. */
extern const int32_t ap_mon_duration_bounds[AP_MON_DURATION_BUCKETS];

/** @return the last day of a calendar month (days since 1970-01-01). */
int32_t ap_monitoring_last_day(int year, int month);
/**
 * @return the Monday of the ISO week containing the month's last day: the
 * month closes when that week closes, so every day of it and every week
 * whose Thursday is in it are behind the close.
 */
int32_t ap_monitoring_close_monday(int year, int month);
/** @brief The months (YYYYMM) a change to the week starting monday can move: one or two. @return how many. */
int ap_monitoring_months_of_week(int32_t monday, int32_t out[2]);
/** @return the rule version in force on the month's last day (named in its records), or NULL. */
const ap_rule_version_t *ap_monitoring_rule_version(int year, int month);
/** @return month as YYYYMM. */
static inline int32_t ap_monitoring_yyyymm(int year, int month) { return year * 100 + month; }
/**
 * @brief Parses "YYYY-MM" (the setting monitoring.first_month) between
 * 2025-01 (the implementation period, seed 002) and 2099-12.
 * @return 0 with *yyyymm set, or -1.
 */
int ap_monitoring_parse_month(const char *s, int32_t *yyyymm);
/** @return the month after yyyymm. */
int32_t ap_monitoring_next_month(int32_t yyyymm);

/**
 * @brief One citizen's contribution to the month (definitions: README
 * "Monitoring"). The citizen counts in the municipality of the coverage
 * period in force on the month's last day, else on their last covered day
 * of the month (seed 002: "den kommune, hvor personen har bopæl den sidste
 * dag i måneden").
 * @return 0, or -1 if the weeks do not cover the month (a caller's bug).
 */
int ap_monitoring_citizen_month(const ap_mon_citizen_t *in, ap_mon_contribution_t *out);

/** @brief Adds one contribution to sums. */
void ap_monitoring_add(ap_mon_sums_t *sums, const ap_mon_contribution_t *c);

/**
 * @brief Writes the summable fields of rec from sums (breakdowns by symbol
 * name, sorted, zero rows left out; the six duration buckets always).
 * Identity fields (ids, month, partition, versions, manifest) are the
 * caller's. @return 0, or -1 if a count does not fit the record's int.
 */
int ap_monitoring_sums_to_record(const ap_mon_sums_t *sums, ap_monitoring_t *rec);

/**
 * @brief Adds the summable fields of a decoded record to sums (a reader's
 * fold over partitions).
 * @return 0, or -1 with why set if the record names a kind, reason or
 *         bucket this build does not know (its total would be wrong).
 */
int ap_monitoring_add_record(ap_mon_sums_t *sums, const ap_monitoring_t *rec, char *why, size_t whylen);

/** @brief Adds b to a, member by member (sums of disjoint sets of citizens). */
void ap_monitoring_sums_add(ap_mon_sums_t *a, const ap_mon_sums_t *b);

/** @return 1 if the two sums are equal. */
int ap_monitoring_sums_equal(const ap_mon_sums_t *a, const ap_mon_sums_t *b);

#endif
