/*
 * report.h - the analysts' report: compliance results (and alerts) counted
 * per municipality and month, rendered as one self-contained HTML page.
 *
 * What it counts. Only the latest revision of each citizen-week (a later
 * revision of the same citizen and week replaces an earlier one, as the
 * ComplianceResult schema says), and of the alerts only those emitted with
 * that revision. A week belongs to the month of its Thursday (the ISO rule
 * that also gives a week its year), so every week is counted in exactly one
 * month. The municipality is the one the result names (responsible on the
 * week's last covered day); STAR's monthly measures use the municipality of
 * residence on the month's last day, which differs only for citizens who
 * moved (issue 16's ap.monitoring will carry those measures).
 *
 * No personal data leaves this module: citizen ids are kept in memory only
 * to tell citizen-weeks and distinct citizens apart; the page carries counts
 * and sums, never an id, and never an alert's free text. Every text put into
 * the page (municipality codes, rule and engine versions, the caller's title
 * and caption) is HTML-escaped.
 *
 * Pure: no I/O, no clock, no environment (the caller passes the "generated"
 * caption). The page has no script and no external resource: charts are
 * inline SVG, styles an inline <style>.
 *
 * The monthly monitoring measures (issue 16 §2): each municipality's section
 * is a list of parts (charts, the weekly-results table, the monitoring
 * part). The monitoring part is a table by month of STAR's measures and the
 * weekly figures, read from a fold of MonitoringPartial records
 * (monitoring_fold.h) given with ap_report_set_monitoring(): totals of
 * complete months only, an incomplete month said to be so, shares and means
 * computed from the counts. A municipality with monitoring records but no
 * compliance result gets a section with that part alone.
 *
 * Ownership: ap_report_create() returns a report the caller frees with
 * ap_report_destroy(). Records are copied; the caller keeps its own.
 * Errors are returned as values (an outcome, or -1 with a message in err);
 * allocation failure aborts, as everywhere (buf.h).
 */
#ifndef AP_REPORT_H
#define AP_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include "arbejdspligt/buf.h"
#include "arbejdspligt/events.h"
#include "arbejdspligt/monitoring_fold.h"

/* Number of AlertCode symbols counted per cell (OFFER_GAP is the last). */
#define AP_REPORT_ALERT_CODES (AP_ALERT_OFFER_GAP + 1)

typedef struct ap_report ap_report_t;

/* What happened to one record given to the report. */
typedef enum ap_report_outcome {
    AP_REPORT_ADDED,       /* a citizen-week (or alert) not seen before */
    AP_REPORT_REPLACED,    /* a newer revision of a citizen-week: it replaces the older one */
    AP_REPORT_SUPERSEDED,  /* an older revision than one already held: not counted */
    AP_REPORT_DUPLICATE,   /* the same revision (or alert id) again: not counted twice */
    AP_REPORT_IGNORED,     /* a JSON line of another record type (dead letters, ...) */
    AP_REPORT_INVALID      /* not a record the report can read: err says why */
} ap_report_outcome_t;

/* The figures of one municipality and month: what a row of the table and a
 * bar of each chart show. Counts are of citizen-weeks unless named otherwise. */
typedef struct ap_report_cell {
    char municipality_code[AP_MUNI_CAP];
    int year, month;                /* month of the weeks' Thursdays */
    int64_t citizens_covered;       /* distinct citizens with a week COMPLIANT, NOT_COMPLIANT or EXEMPT */
    int64_t weeks_owed;             /* COMPLIANT + NOT_COMPLIANT: weeks with hours required */
    int64_t weeks_met;              /* COMPLIANT */
    int64_t weeks_short;            /* NOT_COMPLIANT */
    int64_t offer_gap;              /* short, cause OFFER_GAP (the job centre's) */
    int64_t attendance_gap;         /* short, cause ATTENDANCE_GAP (the citizen's) */
    int64_t offer_and_attendance_gap; /* short, cause OFFER_AND_ATTENDANCE_GAP (both) */
    int64_t cause_unknown;          /* short, written before ComplianceResult v2 (cause null) */
    int64_t weeks_exempt;           /* EXEMPT: no owed day left */
    int64_t weeks_partly_exempt;    /* owed weeks with an EXEMPTION adjustment (some days exempt) */
    int64_t weeks_not_covered;      /* NOT_COVERED results (emitted only for a finding or a revision) */
    int64_t weeks_provisional;      /* latest revision not final */
    int64_t required_minutes, credited_minutes, shortfall_minutes; /* sums over owed weeks */
    int64_t offered_minutes;        /* sum over owed weeks that carry it */
    int64_t offered_unknown;        /* owed weeks written before v2 (offered null) */
    int64_t alerts;                 /* alerts of the latest revisions */
    int64_t alerts_job_centre, alerts_case; /* by audience (null audience: by code, README Alerts) */
    int64_t alerts_by_code[AP_REPORT_ALERT_CODES];
} ap_report_cell_t;

/* How many records the report was given, by outcome (the page's "Inputs"). */
typedef struct ap_report_counts {
    int64_t results, alerts;        /* records read of each kind */
    int64_t superseded, duplicates, ignored, invalid;
    int64_t citizen_weeks;          /* distinct citizen-weeks held (latest revision each) */
} ap_report_counts_t;

/* Texts the caller puts on the page (escaped here); NULL for none. */
typedef struct ap_report_page {
    const char *title;      /* default "arbejdspligt: compliance per municipality and month" */
    const char *generated;  /* e.g. "2026-12-01T03:40Z from compliance.jsonl": the module has no clock */
} ap_report_page_t;

/** @brief A new, empty report. @return the report (never NULL: allocation failure aborts). */
ap_report_t *ap_report_create(void);
/** @brief Frees r and everything it holds; NULL is fine. */
void ap_report_destroy(ap_report_t *r);

/**
 * @brief Gives the report the monthly monitoring measures: fold is borrowed
 * (not copied, not freed) and must outlive every render; NULL for none.
 */
void ap_report_set_monitoring(ap_report_t *r, ap_monitoring_fold_t *fold);

/** @brief Adds one compliance result (copied). @return its outcome. */
ap_report_outcome_t ap_report_add_result(ap_report_t *r, const ap_result_t *res);
/** @brief Adds one alert (copied; its detail text is never kept). @return its outcome. */
ap_report_outcome_t ap_report_add_alert(ap_report_t *r, const ap_alert_t *al);

/**
 * @brief Adds one JSON line as `apctl consume` prints it (or a JSON mirror
 * topic carries it): "schema" names ComplianceResult or Alert, read strictly
 * with the schema's codec (ap_events_init() must have run); a result's
 * lineage ("inputs") is not read. A line naming another schema is IGNORED.
 * @return its outcome; AP_REPORT_INVALID with a reason (no personal data) in err.
 */
ap_report_outcome_t ap_report_add_json(ap_report_t *r, const char *line, size_t len, char *err, size_t errlen);

/** @brief The counts of what was added so far. */
ap_report_counts_t ap_report_counts(ap_report_t *r);

/**
 * @brief The figures per municipality and month, sorted by municipality code,
 * year, month; only cells with at least one citizen-week (or an alert). The array belongs
 * to r and is valid until the next add or ap_report_destroy().
 * @return the number of cells (*cells set; NULL when 0).
 */
size_t ap_report_cells(ap_report_t *r, const ap_report_cell_t **cells);

/**
 * @brief Renders the whole page (UTF-8 HTML5) into out: per municipality its
 * charts (inline SVG) and table, then the definitions and a footer saying no
 * personal data is on the page.
 * @return 0.
 */
int ap_report_render_html(ap_report_t *r, const ap_report_page_t *page, ap_buf_t *out);

/** @brief Appends s (len bytes) with & < > " ' escaped for HTML text and attribute values. */
void ap_report_html_escape(ap_buf_t *out, const char *s, size_t len);

/** @return the outcome's name, for messages. */
const char *ap_report_outcome_name(ap_report_outcome_t o);

#endif
