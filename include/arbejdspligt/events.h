/*
 * events.h - the domain events of arbejdspligt as C structs, one per Avro
 * schema in schemas/, with their codec descriptors and validation.
 *
 * Every input event carries the whole entity it describes as it now stands
 * (event-carried state): the latest recorded event of a placement, report,
 * exemption, reduction, coverage period or sanction *is* that entity. This keeps state
 * updates order-independent and idempotent (see store.h).
 *
 * Structs are plain values with fixed-size strings: they can live on the
 * stack or in arrays, are copied with `=`, and own nothing.
 */
#ifndef AP_EVENTS_H
#define AP_EVENTS_H

#include <stdbool.h>
#include <stdint.h>

#include "arbejdspligt/codec.h"
#include "arbejdspligt/uuid.h"

/* String capacities (including the NUL). Sized for real ids, and bounded so
 * a hostile record cannot make us allocate or copy more. */
#define AP_ID_CAP 65
#define AP_MUNI_CAP 4
#define AP_SOURCE_CAP 33
#define AP_PNUMBER_CAP 11
#define AP_RULE_VERSION_CAP 24
#define AP_TEXT_CAP 256
#define AP_MAX_ASSESSED 16
#define AP_MAX_ADJUSTMENTS 32
/* "<project version>/format-<n>": see ap_events_engine_version(). */
#define AP_ENGINE_VERSION_CAP 32

/* The output format of results and alerts: raised whenever the bytes
 * written for the same input change, so a consumer can tell which rules of
 * derivation a record follows. 1 (no engine_version field): ids from two
 * CRC-64 runs. 2: ids are version-5 UUIDs (uuid.h); engine_version added.
 * 3: results carry offered minutes, the shortfall's cause and the kinds of
 * the exemptions applied; a week short only of offers raises OFFER_GAP for
 * the job centre instead of WEEK_SHORT/NO_ACTIVITY (issue 16 §1).
 * 4: a week whose covered days lie in more than one municipality (a move)
 * carries each one's share as segments (issue 16 §4); every result's
 * encoding gains the (mostly empty) array. */
#define AP_OUTPUT_FORMAT 4
/* Largest input record accepted (dead letters keep the whole record). */
#define AP_MAX_RECORD_BYTES (64 * 1024)

/* Activity kinds (DOMAIN.md, seed 002). Order = ActivityKind symbols. */
typedef enum ap_activity_kind {
    AP_ACT_NYTTEINDSATS,
    AP_ACT_SAERLIGT_TILRETTELAGT_NYTTEINDSATS,
    AP_ACT_VIRKSOMHEDSPRAKTIK,
    AP_ACT_LOENTILSKUD,
    AP_ACT_ORDINAER_UDDANNELSE,
    AP_ACT_VEJLEDNING_OPKVALIFICERING,
    AP_ACT_FORBEREDELSE_JOBSOEGNING,
    AP_ACT_LOENTIMER,
    AP_ACT_SOCIALT_FRIKORT,
    AP_ACT_SOCIAL_SUNDHED,
    AP_ACT_TRANSPORT,
    AP_ACT_JOBSAMTALE,
    AP_ACT_COUNT
} ap_activity_kind_t;

typedef enum ap_benefit_type {
    AP_BEN_KONTANTHJAELP,
    AP_BEN_UDDANNELSESHJAELP,
    AP_BEN_SELVFORSOERGELSES_OG_HJEMREJSEYDELSE,
    AP_BEN_OVERGANGSYDELSE,
    AP_BEN_ARBEJDSMARKEDSYDELSE,
    AP_BEN_KONTANTYDELSE,
    AP_BEN_ANDET
} ap_benefit_type_t;

/* Job types (seed 003); order = JobType symbols. The four nytteindsats ones
 * mark a nytteindsats placement; -1 on a placement: none. */
typedef enum {
    AP_JOB_NYTTEINDSATS_KOMMUNE, AP_JOB_NYTTEINDSATS_REGIONAL, AP_JOB_NYTTEINDSATS_STATEN,
    AP_JOB_NYTTEINDSATS_SELVEJENDE_INSTITUTION, AP_JOB_ANDET
} ap_job_type_t;

typedef enum { AP_PLACEMENT_REGISTERED, AP_PLACEMENT_CHANGED, AP_PLACEMENT_ENDED, AP_PLACEMENT_CANCELLED } ap_placement_action_t;
typedef enum { AP_HOURS_REPORTED, AP_HOURS_CORRECTED, AP_HOURS_RETRACTED } ap_hours_action_t;
typedef enum { AP_EXEMPTION_GRANTED, AP_EXEMPTION_ENDED } ap_exemption_action_t;
typedef enum { AP_REDUCTION_SET, AP_REDUCTION_ENDED } ap_reduction_action_t;
typedef enum { AP_COVERAGE_STARTED, AP_COVERAGE_CHANGED, AP_COVERAGE_ENDED } ap_coverage_action_t;
typedef enum { AP_SANCTION_DECIDED, AP_SANCTION_CHANGED, AP_SANCTION_CANCELLED } ap_sanction_action_t;

/* Exemption grounds (seed 002, "Fritagelser"; README "Exemption kinds").
 * Order = ExemptionKind symbols; symbols are only ever appended. The list is
 * not closed in law ("f.eks."): OTHER_REASONABLE_CAUSE expresses any other
 * lawful ground, with a journal reference. A reader that lacks a symbol reads
 * HEALTH (the schema's enum default). */
typedef enum ap_exemption_kind {
    AP_EXEMPT_HEALTH,             /* LAS § 13 stk. 7 (health; the general "rimelig grund") */
    AP_EXEMPT_PREGNANCY,          /* LAS § 13 stk. 9 */
    AP_EXEMPT_PARENTAL_LEAVE,     /* LAS § 13 stk. 9 */
    AP_EXEMPT_ADOPTION,           /* LAS § 13 stk. 9 */
    AP_EXEMPT_BEREAVEMENT_LEAVE,  /* LAS § 13 stk. 9 */
    AP_EXEMPT_LESS_INTENSIVE,     /* LAB § 106, e.g. a full-time job within 6 weeks */
    AP_EXEMPT_STATE_PENSION_AGE,  /* folkepensionsalderen (BEK aktiv beskæftigelsesindsats § 39) */
    /* Deprecated synonym of AP_EXEMPT_FOERTIDSPENSION_TARGET (a mistranslation:
     * førtidspension is disability pension). Still decoded as written, so the
     * stored bytes stay what the publisher wrote; every reader of the kind
     * goes through ap_exemption_kind_canonical(). */
    AP_EXEMPT_EARLY_RETIREMENT_TARGET,
    AP_EXEMPT_STU,                /* LAS § 13 i */
    AP_EXEMPT_IGU,                /* outside the obligation (seed 004) */
    AP_EXEMPT_FOERTIDSPENSION_TARGET, /* in the target group for førtidspension (BEK § 39) */
    AP_EXEMPT_MENTAL_ILLNESS,     /* LAS § 13 stk. 8, aktivitetsparate only */
    AP_EXEMPT_SUBSTANCE_ABUSE,    /* LAS § 13 stk. 8, aktivitetsparate only */
    AP_EXEMPT_HOMELESSNESS,       /* LAS § 13 stk. 8, aktivitetsparate only */
    AP_EXEMPT_OTHER_REASONABLE_CAUSE, /* another lawful ground (seed 002 "f.eks."); journal_ref required */
    AP_EXEMPT_COUNT
} ap_exemption_kind_t;

/* Legal basis of coverage (seed 002): LAB § 105 a or INL § 20 d; -1: not stated. */
typedef enum { AP_BASIS_LAB_105_A, AP_BASIS_INL_20_D } ap_legal_basis_t;
/* Target group (visitationskategori); -1: not stated. */
typedef enum { AP_TG_JOBPARAT, AP_TG_AKTIVITETSPARAT, AP_TG_UDDANNELSESPARAT } ap_target_group_t;
/* Why coverage ended (seed 002, monitoring of exits); -1: not stated. */
typedef enum {
    AP_END_ORDINARY_WORK, AP_END_EDUCATION, AP_END_FLEXJOB, AP_END_OTHER_BENEFIT, AP_END_OTHER_UNKNOWN
} ap_end_reason_t;

typedef enum { AP_STATUS_COMPLIANT, AP_STATUS_NOT_COMPLIANT, AP_STATUS_EXEMPT, AP_STATUS_NOT_COVERED } ap_status_t;

typedef enum {
    AP_ADJ_PRORATION, AP_ADJ_REDUCTION, AP_ADJ_REDUCTION_STALE, AP_ADJ_EXEMPTION, AP_ADJ_PLACEMENT_EXEMPTED,
    AP_ADJ_HOURS_NOT_COUNTED
} ap_adjustment_kind_t;

/* Why a week fell short (ShortfallCause; seed 002: the job centre must
 * offer 37 hours, "Jobcentrene skal dermed finde et betydeligt antal
 * tilbud", the citizen must take part). An offer gap: offered below
 * required. An attendance gap: credited below what was offered (capped at
 * the requirement). NONE when the week is not short. */
typedef enum {
    AP_CAUSE_NONE, AP_CAUSE_OFFER_GAP, AP_CAUSE_ATTENDANCE_GAP, AP_CAUSE_OFFER_AND_ATTENDANCE_GAP
} ap_shortfall_cause_t;

/* OFFER_GAP is last: symbols are only ever appended (schema policy). */
typedef enum {
    AP_ALERT_WEEK_SHORT, AP_ALERT_NO_ACTIVITY, AP_ALERT_PLAN_GAP, AP_ALERT_PLACEMENT_ENDING,
    AP_ALERT_EXEMPTION_EXPIRING, AP_ALERT_REDUCTION_EXPIRING, AP_ALERT_REASSESSMENT_DUE, AP_ALERT_RULE_VIOLATION,
    AP_ALERT_OFFER_GAP
} ap_alert_code_t;

/* Who acts on an alert (AlertAudience): the case worker of the citizen, or
 * the job centre that plans the offers. */
typedef enum { AP_AUDIENCE_CASE, AP_AUDIENCE_JOB_CENTRE } ap_audience_t;

typedef enum { AP_SEV_INFO, AP_SEV_WARNING, AP_SEV_CRITICAL } ap_severity_t;

/* Dead-letter reasons; the first ten equal ap_codec_status_t. */
typedef enum {
    AP_DL_WRONG_TOPIC = 10, /* a valid record of a schema that does not belong on this topic */
    AP_DL_INVALID_EVENT = 11, /* decodes, but breaks a validation rule */
    AP_DL_STATE_LIMIT = 12, /* would push a citizen's state past a safety bound */
    AP_DL_WRONG_PARTITION = 13, /* not on the partition murmur2(key) names: its citizen's state is elsewhere */
    AP_DL_ID_CONFLICT = 14  /* an event id already applied with different content */
} ap_dl_reason_t;

/* Fields every input event starts with. */
typedef struct ap_header {
    char event_id[AP_UUID_CAP];
    char citizen_id[AP_ID_CAP];
    char municipality_code[AP_MUNI_CAP];
    int64_t occurred_at;
    int64_t recorded_at;
    char source_system[AP_SOURCE_CAP];
} ap_header_t;

typedef struct ap_placement {
    ap_header_t h;
    int32_t action;
    char placement_id[AP_ID_CAP];
    int32_t offer_type;
    int32_t job_type; /* -1: none */
    char workplace_p_number[AP_PNUMBER_CAP];
    int32_t start_date, end_date;
    int32_t planned_minutes_per_week;
    int32_t benefit_type;
    char journal_ref[AP_ID_CAP];
} ap_placement_t;

typedef struct ap_hours {
    ap_header_t h;
    int32_t action;
    char report_id[AP_ID_CAP];
    int32_t activity_date;
    int32_t activity_kind;
    int32_t minutes;
    char placement_id[AP_ID_CAP];
    char journal_ref[AP_ID_CAP];
} ap_hours_t;

typedef struct ap_exemption {
    ap_header_t h;
    int32_t action;
    char exemption_id[AP_ID_CAP];
    int32_t kind;
    int32_t from_date;
    int32_t to_date; /* AP_NO_DATE: open-ended */
    char placement_id[AP_ID_CAP];
    char journal_ref[AP_ID_CAP];   /* "": none; required for OTHER_REASONABLE_CAUSE */
    int32_t job_start_date;        /* LESS_INTENSIVE: the job's first day; AP_NO_DATE: not stated */
} ap_exemption_t;

/* A placement as it stood when a reduction was assessed against it. */
typedef struct ap_assessed {
    char placement_id[AP_ID_CAP];
    int32_t offer_type;
    int32_t planned_minutes_per_week;
} ap_assessed_t;

typedef struct ap_reduction {
    ap_header_t h;
    int32_t action;
    char reduction_id[AP_ID_CAP];
    int32_t reduced_minutes_per_week;
    int32_t valid_from;
    int32_t valid_to; /* AP_NO_DATE: open-ended */
    int32_t assessed_on;
    uint32_t n_assessed;
    char assessed_placement_ids[AP_MAX_ASSESSED][AP_ID_CAP];
    char journal_ref[AP_ID_CAP];   /* the assessment's journal note; required for SET */
    uint32_t n_assessed_detail;    /* 0: records of v1, only ids known */
    ap_assessed_t assessed_placements[AP_MAX_ASSESSED];
} ap_reduction_t;

typedef struct ap_coverage {
    ap_header_t h;
    int32_t action;
    char coverage_id[AP_ID_CAP];
    int32_t from_date;
    int32_t to_date; /* AP_NO_DATE: open-ended */
    int32_t benefit_type;
    int32_t legal_basis;         /* ap_legal_basis_t, -1: not stated */
    int32_t target_group;        /* ap_target_group_t, -1: not stated */
    int32_t end_reason;          /* ap_end_reason_t, -1: not stated */
    int32_t benefit_start_date;  /* first day on public support, AP_NO_DATE: not stated */
} ap_coverage_t;

/* A sanction decision (seed 002, Monitorering: "sanktioner"; design
 * docs/monitoring-design.md §1.4). Kept as state for the monthly monitoring
 * (it counts in the month of decision_date unless CANCELLED); the weekly
 * rules never read it, and it is in no result's lineage. */
typedef struct ap_sanction {
    ap_header_t h;
    int32_t action;              /* ap_sanction_action_t */
    char sanction_id[AP_ID_CAP];
    int32_t decision_date;
    int32_t effective_from;      /* AP_NO_DATE: not stated */
    char legal_basis[AP_TEXT_CAP]; /* as the case system states it, not interpreted; "": not stated */
    char placement_id[AP_ID_CAP];  /* the offer it concerns; "": none */
    char journal_ref[AP_ID_CAP];   /* the decision's journal note; required */
} ap_sanction_t;

typedef struct ap_tick {
    char event_id[AP_UUID_CAP];
    int64_t occurred_at;
    char source_system[AP_SOURCE_CAP];
} ap_tick_t;

typedef struct ap_credited {
    int32_t activity_kind;
    int32_t minutes;
} ap_credited_t;

typedef struct ap_adjustment {
    int32_t kind;
    char reference[AP_ID_CAP];
    int32_t minutes;
    int32_t exemption_kind; /* ap_exemption_kind_t of EXEMPTION and PLACEMENT_EXEMPTED, else -1 (null) */
} ap_adjustment_t;

/* One input record behind a result (its lineage): where it was read and
 * which event it carried. Topic names are at most 249 bytes (Kafka's limit). */
#define AP_TOPIC_NAME_CAP 250
/* Most inputs behind one result: 4 kinds x 128 entities + 256 hours reports
 * (the state bounds in rules.h). */
#define AP_MAX_INPUTS 768
typedef struct ap_input_ref {
    char topic[AP_TOPIC_NAME_CAP];
    int32_t partition;
    int64_t offset;
    char event_id[AP_UUID_CAP];
} ap_input_ref_t;

/* Most segments of one result: one per run of covered days in one
 * municipality, and a week has seven days. */
#define AP_MAX_SEGMENTS 7

/* One municipality's share of a week with a move (ResultSegment; seed 002:
 * "Tilflytningskommunen har ansvaret for indsatsen fra første dag for
 * tilflytningen", the new municipality is responsible from the move-in day). */
typedef struct ap_segment {
    char municipality_code[AP_MUNI_CAP];
    int32_t from_date, to_date;       /* its first and last covered day */
    int32_t required_minutes, offered_minutes, credited_minutes;
    int32_t shortfall_cause;          /* ap_shortfall_cause_t, on the segment's figures */
} ap_segment_t;

typedef struct ap_result {
    char event_id[AP_UUID_CAP];
    char citizen_id[AP_ID_CAP];
    char municipality_code[AP_MUNI_CAP];
    int32_t iso_year, iso_week;
    int32_t week_start;
    char rule_version[AP_RULE_VERSION_CAP];
    int32_t status;
    int32_t required_minutes, credited_minutes, shortfall_minutes;
    int32_t revision;
    bool final;
    int64_t closed_at;
    uint32_t n_breakdown;
    ap_credited_t breakdown[AP_ACT_COUNT];
    uint32_t n_adjustments;
    ap_adjustment_t adjustments[AP_MAX_ADJUSTMENTS];
    ap_array_view_t inputs; /* lineage: ap_input_ref_t items, sorted by topic, partition, offset */
    char engine_version[AP_ENGINE_VERSION_CAP]; /* the build that wrote it: ap_events_engine_version() */
    int32_t offered_minutes; /* offers planned for the owed days; INT32_MIN (null): written before v2 */
    int32_t shortfall_cause; /* ap_shortfall_cause_t; -1 (null): written before v2 */
    uint32_t n_segments;     /* 0 unless the week's covered days lie in more than one municipality */
    ap_segment_t segments[AP_MAX_SEGMENTS]; /* in date order; empty in records written before v3 */
} ap_result_t;

typedef struct ap_alert {
    char event_id[AP_UUID_CAP];
    char citizen_id[AP_ID_CAP];
    char municipality_code[AP_MUNI_CAP];
    int32_t iso_year, iso_week;
    int32_t week_start;
    int32_t code;
    int32_t severity;
    char rule_version[AP_RULE_VERSION_CAP];
    int32_t revision;
    int32_t required_minutes, credited_minutes, shortfall_minutes;
    char detail[AP_TEXT_CAP];
    char engine_version[AP_ENGINE_VERSION_CAP]; /* the build that wrote it: ap_events_engine_version() */
    int32_t audience;          /* ap_audience_t; -1 (null): written before v3 */
    int32_t offered_minutes;   /* offered (planned) minutes of week_start; INT32_MIN (null): before v3 */
    int32_t action_week_start; /* the week the job centre can still act in; AP_NO_DATE (null) for case alerts */
} ap_alert_t;

typedef struct ap_dead_letter {
    char event_id[AP_UUID_CAP];
    char source_topic[AP_TEXT_CAP];
    int32_t source_partition;
    int64_t source_offset;
    int32_t reason_code;
    char reason[AP_TEXT_CAP];
    ap_bytes_t key;
    ap_bytes_t payload;
    int64_t record_timestamp;
} ap_dead_letter_t;

/* MonitoringPartial (issue 16 §2, README Monitoring): one lane's share of
 * one municipality's month, summable across lanes. Breakdowns key by symbol
 * name, so a reader never folds an unknown kind into an enum default. */
#define AP_SYMBOL_CAP 40
#define AP_MON_OFFER_KINDS 6      /* the LAB/INL offers: the first six ActivityKinds */
#define AP_MON_EXIT_REASONS 6     /* CoverageEndReason symbols and NOT_STATED */
#define AP_MON_DURATION_BUCKETS 6
#define AP_MON_MAX_MANIFEST 1000  /* every 3-digit municipality code */
#define AP_MON_VERSION_CAP 24

typedef struct ap_mon_exemption_count {
    char kind[AP_SYMBOL_CAP];
    int32_t citizens;
    int64_t days;
} ap_mon_exemption_count_t;

typedef struct ap_mon_offer_count {
    char offer_type[AP_SYMBOL_CAP];
    int32_t citizens;
    int64_t citizen_days;
} ap_mon_offer_count_t;

typedef struct ap_mon_exit_count {
    char reason[AP_SYMBOL_CAP];
    int32_t citizens;
} ap_mon_exit_count_t;

typedef struct ap_mon_bucket {
    int32_t min_days;
    int32_t citizens;
} ap_mon_bucket_t;

typedef struct ap_mon_manifest_entry {
    char municipality_code[AP_MUNI_CAP];
    int32_t revision;
} ap_mon_manifest_entry_t;

typedef struct ap_monitoring {
    char event_id[AP_UUID_CAP];
    char municipality_code[AP_MUNI_CAP]; /* "": the lane record */
    int32_t year, month;
    int32_t partition, partition_count;
    char monitoring_version[AP_MON_VERSION_CAP];
    char rule_version[AP_RULE_VERSION_CAP];
    bool implementation_period;
    int32_t revision;
    int64_t closed_at;
    int32_t covered_citizens, covered_on_last_day, moved_in_citizens;
    int32_t with_activity, with_paid_hours;
    uint32_t n_exemptions;
    ap_mon_exemption_count_t exemptions[AP_EXEMPT_COUNT];
    int32_t placement_exempted_citizens, exempt_all_month;
    uint32_t n_offer_types;
    ap_mon_offer_count_t offer_types[AP_MON_OFFER_KINDS];
    uint32_t n_exits;
    ap_mon_exit_count_t exits[AP_MON_EXIT_REASONS];
    int32_t duration_known, duration_unknown;
    int64_t duration_days_sum;
    uint32_t n_duration_buckets;
    ap_mon_bucket_t duration_buckets[AP_MON_DURATION_BUCKETS];
    int32_t sanctions, sanctioned_citizens;
    int32_t weeks_owed, weeks_met, weeks_offer_gap, weeks_attendance_gap, weeks_offer_and_attendance_gap;
    int32_t weeks_exempt, weeks_partly_exempt;
    int64_t required_minutes, offered_minutes, credited_minutes;
    ap_array_view_t manifest; /* ap_mon_manifest_entry_t items */
    char engine_version[AP_ENGINE_VERSION_CAP];
} ap_monitoring_t;

/* FollowUp (issue 16 §3, README Annual follow-up): one municipality's
 * annual assessment by rule FU-2026.1 (followup.h), folded from ap.monitoring. */
#define AP_FOLLOWUP_VERSION_CAP 96 /* "FU-2026.1" and an audit's overrides */
#define AP_FOLLOWUP_MAX_BASIS (12 * 4096) /* 12 months of every lane (AP_MON_FOLD_MAX_PARTITIONS) */

typedef struct ap_followup_month {
    int32_t month;
    int32_t weeks_owed, offer_gap_weeks;
    int32_t share_bp; /* INT32_MIN: null (no week owed) */
    bool assessable, challenged;
} ap_followup_month_t;

typedef struct ap_followup_basis {
    int32_t partition, month, lane_revision;
} ap_followup_basis_t;

typedef struct ap_followup {
    char event_id[AP_UUID_CAP];
    char municipality_code[AP_MUNI_CAP];
    int32_t year;
    char followup_version[AP_FOLLOWUP_VERSION_CAP];
    int32_t threshold_bp, min_months, min_weeks_owed;
    int32_t revision;
    int32_t as_of_month;
    bool challenged;
    int32_t challenged_months;
    uint32_t n_months;
    ap_followup_month_t months[12];
    ap_array_view_t basis; /* ap_followup_basis_t items */
    char engine_version[AP_ENGINE_VERSION_CAP];
} ap_followup_t;

/* The record types, as indexes into the registry. */
typedef enum ap_event_type {
    AP_EV_PLACEMENT,
    AP_EV_HOURS,
    AP_EV_EXEMPTION,
    AP_EV_REDUCTION,
    AP_EV_COVERAGE,
    AP_EV_SANCTION, /* last of the entity inputs: `type <= AP_EV_SANCTION` is "keyed by citizen" */
    AP_EV_TICK,
    AP_EV_RESULT,
    AP_EV_ALERT,
    AP_EV_DEAD_LETTER,
    AP_EV_MONITORING,
    AP_EV_FOLLOWUP,
    AP_EV_COUNT
} ap_event_type_t;

/* Any decoded event; `type` says which member is valid. */
typedef struct ap_event {
    ap_event_type_t type;
    union {
        ap_header_t h; /* every input event except ticks starts with it */
        ap_placement_t placement;
        ap_hours_t hours;
        ap_exemption_t exemption;
        ap_reduction_t reduction;
        ap_coverage_t coverage;
        ap_sanction_t sanction;
        ap_tick_t tick;
        ap_result_t result;
        ap_alert_t alert;
        ap_dead_letter_t dead_letter;
        ap_monitoring_t monitoring;
        ap_followup_t followup;
    } u;
} ap_event_t;

/* Most writer schemas besides the current ones (released versions plus
 * those registered at start-up); a fixed table keeps lookups bounded. */
#define AP_EVENTS_MAX_WRITERS 64

/**
 * @brief Binds every descriptor to its embedded schema (checks the tables,
 * computes fingerprints), checks that each current schema reads every
 * released version of it (schemas/released/<Name>/v<N>.avsc) and builds the
 * resolution programs for those (see resolve.h). Call once at start-up,
 * before any thread starts; calling it again forgets registered writers.
 * @return 0, or -1 with err set (a programming error: table and schema
 *         differ, or a schema change that breaks a released version).
 */
int ap_events_init(ap_codec_error_t *err);

/**
 * @brief The engine_version written into every result and alert:
 * "<project version>/format-<AP_OUTPUT_FORMAT>", e.g. "0.1.0/format-4". It
 * depends on the build alone (the version in CMakeLists.txt), so live
 * services and every replay of one build write the same bytes.
 */
const char *ap_events_engine_version(void);

/** @return the DeadLetterReason symbol of a reason code (AP_DL_*), or NULL if there is none. */
const char *ap_events_dead_letter_reason(int code);

/**
 * @brief Registers one more writer schema (JSON text of a record type known
 * here, e.g. a publisher's newer version) so records carrying its
 * fingerprint are resolved to the current schema instead of dead-lettered.
 * Refused if the current schema cannot read it (ap_resolve_check). Call after
 * ap_events_init and before any thread starts; `origin` (a file name) is for
 * messages. A schema already known is accepted and changes nothing.
 * @return 0, or -1 with err set.
 */
int ap_events_add_writer(const char *text, size_t len, const char *origin, ap_codec_error_t *err);

/** @brief Writer schema i (0..): its type, fingerprint and released version (0: registered). @return 0, or -1 past the end. */
int ap_events_writer(int i, ap_event_type_t *type, uint64_t *fingerprint, int *version);

/** @return the descriptor of a record type (bound after ap_events_init). */
const ap_record_desc_t *ap_events_desc(ap_event_type_t type);
/** @return the embedded text of schemas/<stem>.avsc (length in *len), or NULL. */
const char *ap_events_schema_text(const char *stem, size_t *len);
/** @return the record type whose schema name is name, or AP_EV_COUNT. */
ap_event_type_t ap_events_type_by_name(const char *name, size_t len);
/** @return the record type with this fingerprint, or AP_EV_COUNT. */
ap_event_type_t ap_events_type_by_fingerprint(uint64_t fp);

/**
 * @brief Decodes any known single-object encoded record into ev: written
 * with a current schema directly, with another known writer schema by
 * resolving it to the current one (resolve.h).
 * @return AP_CODEC_OK or the status (AP_CODEC_UNKNOWN_FINGERPRINT for unknown schemas).
 */
ap_codec_status_t ap_events_decode(const uint8_t *buf, size_t len, ap_event_t *ev, ap_codec_error_t *err);
/**
 * @brief Decodes a record that must be of type t (a stored value, a tick),
 * written with its current schema or any known writer schema of t, into value.
 * @return AP_CODEC_OK or the status.
 */
ap_codec_status_t ap_events_decode_as(ap_event_type_t t, const uint8_t *buf, size_t len, void *value,
                                      ap_codec_error_t *err);
/** @return 1 if buf carries the fingerprint of a current schema (its bytes are what ap_events_encode writes). */
int ap_events_is_current(const uint8_t *buf, size_t len);
/**
 * @brief Tells whether a raw record is a valid StreamTick (how the intake
 * recognises the barriers of its lanes) and gives its time.
 * @return 1 with *at set, else 0 (other records, or a broken tick: dead-lettered later).
 */
int ap_events_tick_time(const void *payload, size_t len, int64_t *at);
/**
 * @brief Sets ev to an empty event of type t: every field zero, every
 * optional field null (AP_NO_DATE / INT32_MIN, -1, ""), as a record that
 * leaves them out decodes. Builders start here, not with memset: a zeroed
 * optional enum or date is a value (the first symbol, 1970-01-01), not null.
 */
void ap_events_clear(ap_event_t *ev, ap_event_type_t t);
/** @brief Appends the single-object encoding of ev to out. */
void ap_events_encode(const ap_event_t *ev, ap_buf_t *out);
/** @brief Appends ev as one JSON object, with a leading "schema" member naming its record type. */
void ap_events_to_json(const ap_event_t *ev, ap_buf_t *out);

/**
 * @brief Checks the domain rules of an input event that the schema cannot
 * express: UUID form, pseudonymous citizen id (never a CPR number), 3-digit
 * municipality code, date order, minute ranges, required journal references.
 * @return 0 if valid, else -1 with a reason (no personal data) in why, or
 *         -2 if the reason is personal data in the event (a CPR number): the
 *         caller must not keep or pass on its bytes.
 */
int ap_events_validate(const ap_event_t *ev, char *why, size_t whylen);

/** @return 1 if s looks like a CPR number (DDMMYY-XXXX or 10 digits with a real date). */
int ap_events_looks_like_cpr(const char *s);

/** @brief Symbol names, for logs and reports. */
const char *ap_activity_kind_name(int32_t kind);
const char *ap_status_name(int32_t status);
const char *ap_alert_code_name(int32_t code);
/** @return the exemption kind's name, the canonical one for a deprecated synonym. */
const char *ap_exemption_kind_name(int32_t kind);

/**
 * @brief The kind an exemption counts as: the deprecated symbol
 * EARLY_RETIREMENT_TARGET is FOERTIDSPENSION_TARGET_GROUP; any other kind is itself.
 */
int32_t ap_exemption_kind_canonical(int32_t kind);

#endif
