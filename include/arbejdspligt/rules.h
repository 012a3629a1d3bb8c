/*
 * rules.h - the arbejdspligt weekly compliance rules, pure.
 *
 * Takes everything known about one citizen for one ISO week and returns one
 * result with the figures behind it and the alerts it raises. No Kafka, no
 * Redis, no clock, no environment; the same input gives the same bytes out,
 * whatever order the entity arrays are in (they are sorted by id inside).
 *
 * All figures are whole minutes. The norm is 37 h = 2220 min per ISO week
 * (seed 002); a covered working day (Mon-Fri) owes one fifth of the weekly
 * requirement, so partial weeks are prorated by covered working days
 * (DOMAIN.md design choice: 37 x days / 5). Beside what is required and
 * credited, a result says what the job centre offered (placements planned
 * for the owed days, prorated the same way) and, when short, whose
 * shortfall it is: offer, attendance or both (README "Offered versus
 * attended"; seed 002: the job centre offers, the citizen takes part).
 * A week whose covered days lie in more than one municipality (a move) is
 * also split into segments, each municipality's share of those figures from
 * its move-in day (README "Move weeks"; seed 002: "Tilflytningskommunen har
 * ansvaret for indsatsen fra første dag for tilflytningen").
 *
 * Ownership: the input points at caller-owned arrays, read only during the
 * call; the output is a value the caller owns.
 */
#ifndef AP_RULES_H
#define AP_RULES_H

#include <stddef.h>
#include <stdint.h>

#include "arbejdspligt/events.h"

/* 37 hours per ISO week (seed 002) and its per-working-day fifth. */
#define AP_NORM_MINUTES_PER_WEEK (37 * 60)
#define AP_NORM_MINUTES_PER_DAY (AP_NORM_MINUTES_PER_WEEK / 5)

/* Bounds of one citizen's state the engine accepts (the store enforces them). */
#define AP_MAX_ENTITIES 128
#define AP_MAX_HOURS_PER_WEEK 256
#define AP_MAX_ALERTS 32

/* Seed 001: for arbejdsmarkedsydelse nytteindsats must be 20 h a week; for
 * kontantydelse at most 20 h. */
#define AP_NYTTE_BENEFIT_MINUTES (20 * 60)

/* LAB § 106 (seed 002): less intensive effort, "f.eks. fordi den pågældende
 * skal påbegynde job på fuld tid inden for 6 uger". */
#define AP_LESS_INTENSIVE_MAX_DAYS (6 * 7)

typedef struct ap_week_input {
    const char *citizen_id;
    int32_t week_start; /* a Monday */
    const ap_coverage_t *coverage;
    size_t n_coverage;
    const ap_placement_t *placements;
    size_t n_placements;
    const ap_hours_t *hours; /* reports dated in this week; others are ignored */
    size_t n_hours;
    const ap_exemption_t *exemptions;
    size_t n_exemptions;
    const ap_reduction_t *reductions;
    size_t n_reductions;
    /* All the citizen's sanctions, for the monthly monitoring
     * (docs/monitoring-design.md §1.4); ap_rules_evaluate ignores them. */
    const ap_sanction_t *sanctions;
    size_t n_sanctions;
} ap_week_input_t;

/* ActivityKinds that are offers on STAR's monitoring list, registered as
 * placements (seed 002, "Følgende beskæftigelsesrettede aktiviteter indgår"):
 * NYTTEINDSATS .. FORBEREDELSE_JOBSOEGNING, the first seven symbols. */
#define AP_LISTED_PLACEMENT_KINDS 7

/* What one day of an evaluated week came to: the facts the monthly
 * measures count by calendar day (issue 16 §2), so they never re-derive
 * the rules. Not part of the result record and never encoded. */
typedef struct ap_day_facts {
    uint8_t covered;            /* in the obligation: a coverage period and no IGU */
    uint8_t owed;               /* a covered working day without a whole-person exemption */
    uint8_t placement_exempted; /* covered, and an exemption tied to one placement applies (LAS § 13 stk. 7) */
    uint8_t offers;             /* covered; bit k: a placement of ActivityKind k < AP_LISTED_PLACEMENT_KINDS
                                   in force, not cancelled, not exempted that day */
    uint32_t exemption_kinds;   /* covered; bit k: a whole-person exemption of canonical kind k in force
                                   (any calendar day, weekends too) */
    int32_t required_minutes;   /* what the day owes */
    int32_t credited_minutes;   /* credited hours dated that day, every kind */
    int32_t listed_credited_minutes; /* of which kinds on STAR's list (not SOCIAL_SUNDHED, TRANSPORT) */
    int32_t paid_credited_minutes;   /* of which LOENTIMER */
} ap_day_facts_t;

typedef struct ap_week_eval {
    /* event_id, revision, final and closed_at are left for the caller. */
    ap_result_t result;
    ap_alert_t alerts[AP_MAX_ALERTS];
    size_t n_alerts;
    ap_day_facts_t days[7]; /* Monday first; all zero for a week no version governs */
} ap_week_eval_t;

/* One set of rules and the dates it is in force. A week is governed by the
 * version in force on its Thursday: the ISO rule for which year a week
 * belongs to, so week 2025-W01 (30 Dec 2024 - 5 Jan 2025) is a 2025 week. */
typedef struct ap_rule_version {
    const char *name;        /* named in every result, e.g. "AP-2025.1" */
    int32_t effective_from;  /* first day in force */
    int32_t effective_to;    /* last day in force, AP_NO_DATE if current */
    int weekly_obligation;   /* the 37-hour arbejdspligt applies (seed 002, from 2025) */
    int nytte_max_weeks;     /* nytteindsats duration limit, 0 if none (13 weeks until 2024, seed 001/003) */
    int rimelighedskrav;     /* ratio rule for subsidised staff in force (until 2024, seed 001) */
    int32_t norm_minutes_per_week; /* 2220 (seed 002); only ap_rules_override changes it */
    /* 2025, the implementation period (seed 002): the law's rules apply as
     * from 2026; the version of its own tells results apart, and STAR's
     * monitoring starts after it ("efter afslutningen af implementeringsperioden"). */
    int implementation_period;
} ap_rule_version_t;

/**
 * @brief Audit what-if (ap-replay only, never the services): "weekly_minutes=N"
 * replaces the weekly norm of every version with a weekly obligation, and
 * renames those versions "<name>/wm=N" so no result can pass for one under
 * the law's rules. Process-wide; call once at start-up, before evaluating.
 * @return 0, or -1 with err set.
 */
int ap_rules_override(const char *spec, char *err, size_t errlen);

/** @return the rule version governing the week starting at monday, or NULL before any version. */
const ap_rule_version_t *ap_rules_version_for(int32_t monday);
/** @return the Monday of the first week any rule version governs. */
int32_t ap_rules_first_monday(void);

/**
 * @brief The municipality of residence on `day`, from the coverage periods
 * (a move ends one period and starts another; seed 002: the new municipality
 * is responsible from the move-in date).
 * @return 0 with out set, or -1 if no period covers day.
 */
int ap_rules_municipality_on(const ap_coverage_t *coverage, size_t n, int32_t day, char out[static AP_MUNI_CAP]);
/** @return the coverage period in force on day, as ap_rules_municipality_on picks it (the latest move-in, ties by id), or NULL. */
const ap_coverage_t *ap_rules_coverage_on(const ap_coverage_t *coverage, size_t n, int32_t day);
/** @brief Municipality for monthly statistics: residence on the month's last day (seed 002). */
int ap_rules_month_municipality(const ap_coverage_t *coverage, size_t n, int year, int month,
                                char out[static AP_MUNI_CAP]);

/**
 * @brief Evaluates one citizen-week.
 * @return 0, or -1 if the input breaks a bound (too many entities); then
 *         out->result.rule_version says why and nothing else is set.
 */
int ap_rules_evaluate(const ap_week_input_t *in, ap_week_eval_t *out);

/** @return 1 if an hours report of this kind counts toward the week (seed 002). */
int ap_rules_activity_counts(int32_t activity_kind, const char *journal_ref);

/**
 * @brief Is this activity kind an offer (tilbud) the job centre registers as
 * a placement: nytteindsats (also særligt tilrettelagt), virksomhedspraktik,
 * løntilskud, vejledning og opkvalificering (seed 003: offers are registered
 * with start, end and hours)? Hours of an offer kind count only while a
 * placement of that kind is in force.
 */
int ap_rules_is_offer(int32_t activity_kind);

#endif
