/*
 * monitoring_fold.h - the readers' fold of MonitoringPartial records
 * (ap.monitoring) into municipality and national totals per calendar month
 * (issue 16 §2; docs/monitoring-design.md §2.3, §2.6, §4), pure.
 *
 * The contract. ap-processor emits, per lane (input partition) and month, one
 * partial per municipality, keyed "<code>|<YYYY-MM>|<partition>", and after
 * them a lane record keyed "*|<YYYY-MM>|<partition>" (municipality_code
 * null, "" here) carrying the lane's sums and a manifest: every partial of
 * (lane, month) at its current revision. Each key is written by its lane only,
 * in revision order. This module holds what a reader has read and answers:
 *
 *   complete   (month, municipality) is complete when all partition_count
 *              lane records of the month are held and every partial that
 *              their latest manifests list is held at the listed revision.
 *              Completeness is of the month: a missing partial of another
 *              municipality makes this one incomplete too (it says the read
 *              was cut short, and it keeps municipality and national totals
 *              one view). The total is the sum over lanes of the listed
 *              partials of the municipality (absent from a lane's manifest:
 *              zero). Incomplete months give no total, never a smaller one.
 *   latest     "latest" is by manifest: a partial revision newer than the
 *              one the lane record lists is held but not used until the lane
 *              record that lists it arrives, so arrival order never matters.
 *   as of      a snapshot takes, per lane, the latest lane record with
 *              closed_at <= a bound of that lane (the annual follow-up's
 *              "as of each lane's December close", followup.h): defined by
 *              the lanes' own records, never by when the fold runs.
 *   errors     mixed partition_counts within one month (a namespace replayed
 *              with other partitions) and a key and revision read twice with
 *              different bytes (a conflict) are reported, never summed.
 *
 * Bounds: every revision read is kept (older ones serve snapshots), at most
 * AP_MON_FOLD_MAX_REVISIONS per key; more is refused (AP_MON_FOLD_FULL).
 * Memory grows with the records held (about 1 KiB each): a reader's tool,
 * not the hot path. A compacted ap.monitoring keeps only each key's latest
 * revision: the latest totals still fold, snapshots of older closes do not
 * (their revisions are gone) and say so.
 *
 * Ownership: ap_monitoring_fold_create() returns a fold freed with
 * ap_monitoring_fold_destroy(). Records are copied (the manifest too, whether
 * a decoded view or items). Arrays returned by the listing functions belong
 * to the fold and live until the next add or destroy. No I/O, no clock;
 * ap_events_init() must have run (descriptors).
 */
#ifndef AP_MONITORING_FOLD_H
#define AP_MONITORING_FOLD_H

#include <stddef.h>
#include <stdint.h>

#include "arbejdspligt/events.h"
#include "arbejdspligt/monitoring.h"

/* Revisions kept per key: a daily tick revising one month for almost three
 * years. More means a runaway writer; refused rather than unbounded. */
#define AP_MON_FOLD_MAX_REVISIONS 1000
/* Largest partition_count accepted (Kafka topics rarely pass a few hundred). */
#define AP_MON_FOLD_MAX_PARTITIONS 4096

typedef struct ap_monitoring_fold ap_monitoring_fold_t;

/* What happened to one record given to the fold. */
typedef enum ap_mon_fold_outcome {
    AP_MON_FOLD_ADDED,     /* a key and revision not held before */
    AP_MON_FOLD_DUPLICATE, /* the same key, revision and bytes again: changes nothing */
    AP_MON_FOLD_CONFLICT,  /* the same key and revision with other bytes: kept out, the revision marked */
    AP_MON_FOLD_MIXED,     /* held, but its partition_count differs from the month's: the month is refused */
    AP_MON_FOLD_INVALID,   /* not a record the fold can total (why says) */
    AP_MON_FOLD_FULL,      /* more than AP_MON_FOLD_MAX_REVISIONS revisions of one key */
    AP_MON_FOLD_IGNORED    /* a JSON line of another record type */
} ap_mon_fold_outcome_t;

/* Whether a total could be made. */
typedef enum ap_mon_fold_state {
    AP_MON_TOTAL_COMPLETE,     /* every lane record and every listed partial held */
    AP_MON_TOTAL_INCOMPLETE,   /* some lane record or listed partial not held (sums zero) */
    AP_MON_TOTAL_MIXED,        /* lane records disagree on partition_count */
    AP_MON_TOTAL_CONFLICT,     /* a record needed was read twice with different bytes */
    AP_MON_TOTAL_INCONSISTENT  /* national: a lane record's sums differ from the sum of its partials */
} ap_mon_fold_state_t;

typedef struct ap_mon_fold_status {
    ap_mon_fold_state_t state;
    int32_t partition_count;  /* of the month (0: no record of the month held) */
    int32_t lanes_present;    /* lane records used (within the bounds of a snapshot) */
    int32_t partials_missing; /* listed by those lane records but not held at the listed revision */
    int32_t lanes_listing;    /* lanes whose manifest lists the municipality (national: lanes_present) */
} ap_mon_fold_status_t;

/* What the fold was given, by outcome. */
typedef struct ap_mon_fold_counts {
    int64_t records, added, duplicates, conflicts, mixed, invalid, full, ignored;
} ap_mon_fold_counts_t;

/** @brief A new, empty fold (allocation failure aborts, as buf.h). */
ap_monitoring_fold_t *ap_monitoring_fold_create(void);
/** @brief Frees the fold and everything it holds; NULL is fine. */
void ap_monitoring_fold_destroy(ap_monitoring_fold_t *f);

/**
 * @brief Adds one record (copied). Its manifest may be a decoded view
 * (ap_events_decode) or items. Checked: year 2000-2099, month 1-12,
 * 1 <= partition_count <= AP_MON_FOLD_MAX_PARTITIONS, 0 <= partition <
 * partition_count, revision >= 1, a manifest only on a lane record, its
 * entries with distinct codes and revisions >= 1, breakdowns this build
 * knows (ap_monitoring_add_record).
 * @return the outcome; why (no personal data: records carry none) for
 *         CONFLICT, MIXED, INVALID and FULL.
 */
ap_mon_fold_outcome_t ap_monitoring_fold_add(ap_monitoring_fold_t *f, const ap_monitoring_t *rec, char *why,
                                             size_t whylen);

/**
 * @brief Adds one JSON line as `apctl consume` or `ap-replay` (replay.format
 * json) prints it: "schema" MonitoringPartial, read strictly with the
 * schema's codec, the manifest included. Another "schema" is IGNORED.
 * @return the outcome, as ap_monitoring_fold_add.
 */
ap_mon_fold_outcome_t ap_monitoring_fold_add_json(ap_monitoring_fold_t *f, const char *line, size_t len, char *why,
                                                  size_t whylen);

/**
 * @brief The total of one municipality (muni NULL: national, the sum of the
 * lane records, checked against the sum of their partials) for a month, at
 * the latest lane records held.
 * @return 0 when complete (*out the total), else -1 (*out zero; st says why).
 */
int ap_monitoring_fold_total(ap_monitoring_fold_t *f, const char *muni, int year, int month, ap_mon_sums_t *out,
                             ap_mon_fold_status_t *st);

/**
 * @brief As ap_monitoring_fold_total, as of per-lane bounds: lane p's latest
 * lane record with closed_at <= bound[p] (n_bound >= the month's
 * partition_count, else INCOMPLETE). lane_revision (n_bound entries, may be
 * NULL) gets the revision of each lane record used (0: none).
 */
int ap_monitoring_fold_total_as_of(ap_monitoring_fold_t *f, const char *muni, int year, int month,
                                   const int64_t *bound, size_t n_bound, ap_mon_sums_t *out, ap_mon_fold_status_t *st,
                                   int32_t *lane_revision);

/**
 * @brief A lane's close of a month: closed_at of its revision-1 lane record
 * (the close itself; later revisions are corrections), and the month's
 * partition_count. @return 0, or -1 if that record is not held.
 */
int ap_monitoring_fold_lane_close(const ap_monitoring_fold_t *f, int year, int month, int partition,
                                  int64_t *closed_at, int32_t *partition_count);

/** @return the months held (YYYYMM, ascending; *months owned by f). */
size_t ap_monitoring_fold_months(ap_monitoring_fold_t *f, const int32_t **months);

/**
 * @brief The municipalities with a partial (any revision) or a manifest entry
 * in months from..to (YYYYMM, inclusive), sorted. @return how many (*codes owned by f).
 */
size_t ap_monitoring_fold_municipalities(ap_monitoring_fold_t *f, int32_t from, int32_t to,
                                         const char *const **codes);

/** @brief The counts of what was added so far. */
ap_mon_fold_counts_t ap_monitoring_fold_counts(const ap_monitoring_fold_t *f);

/*
 * Readers' figures from the summable counts. Shares, means and the sums of
 * breakdowns are not summable across lanes, so records carry none (design
 * §2.1); every reader (apctl monitoring, apctl report) computes them here,
 * from the totals, the same way.
 */
/** @return part/whole in per mille rounded half up (integers), or -1 when whole <= 0. */
int32_t ap_monitoring_share_pm(int64_t part, int64_t whole);
/** @return M7's mean days on public support over citizens with a known start, rounded half up; -1 when none. */
int64_t ap_monitoring_mean_days(const ap_mon_sums_t *s);
/** @return M5: exits to ordinary work, education and flexjob. */
int64_t ap_monitoring_exits_m5(const ap_mon_sums_t *s);
/** @return M6: exits to other benefits. */
int64_t ap_monitoring_exits_m6(const ap_mon_sums_t *s);
/** @return M3: citizens summed over exemption kinds (a citizen with two kinds counts under each). */
int64_t ap_monitoring_exemption_citizens(const ap_mon_sums_t *s);
/** @return M4: citizens summed over offer types (a citizen with two types counts under each). */
int64_t ap_monitoring_offer_citizens(const ap_mon_sums_t *s);

/** @return the outcome's name ("added", ...), for messages. */
const char *ap_monitoring_fold_outcome_name(ap_mon_fold_outcome_t o);
/** @return the state's name ("complete", ...), for messages. */
const char *ap_monitoring_fold_state_name(ap_mon_fold_state_t s);

#endif
