/* events.c - domain events: descriptors, registry, validation. See events.h. */
#include "arbejdspligt/events.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "arbejdspligt/calendar.h"
#include "arbejdspligt/json.h"
#include "arbejdspligt/resolve.h"
#include "arbejdspligt/schema.h"

/* Schema texts embedded at build time by schemas/embed_schemas.cmake: the
 * current schemas, and every released version of each. */
struct ap_embedded_schema { const char *stem; const char *text; size_t len; };
extern const struct ap_embedded_schema ap_embedded_schemas[];
struct ap_released_schema { const char *name; int version; const char *text; size_t len; };
extern const struct ap_released_schema ap_released_schemas[];

/* The project version comes from CMakeLists.txt (project(... VERSION)). */
#ifndef AP_PROJECT_VERSION
#error "AP_PROJECT_VERSION must be defined by the build"
#endif
#define AP_STR_(x) #x
#define AP_STR(x) AP_STR_(x)
static const char engine_version[] = AP_PROJECT_VERSION "/format-" AP_STR(AP_OUTPUT_FORMAT);
_Static_assert(sizeof engine_version <= AP_ENGINE_VERSION_CAP, "engine version fits its field");

const char *ap_events_engine_version(void) { return engine_version; }

#define NSYM(a) ((int32_t)(sizeof(a) / sizeof(a)[0]))

static const char *const activity_kinds[] = {
    "NYTTEINDSATS", "SAERLIGT_TILRETTELAGT_NYTTEINDSATS", "VIRKSOMHEDSPRAKTIK", "LOENTILSKUD",
    "ORDINAER_UDDANNELSE", "VEJLEDNING_OPKVALIFICERING", "FORBEREDELSE_JOBSOEGNING", "LOENTIMER",
    "SOCIALT_FRIKORT", "SOCIAL_SUNDHED", "TRANSPORT", "JOBSAMTALE"};
static const char *const benefit_types[] = {
    "KONTANTHJAELP", "UDDANNELSESHJAELP", "SELVFORSOERGELSES_OG_HJEMREJSEYDELSE", "OVERGANGSYDELSE",
    "ARBEJDSMARKEDSYDELSE", "KONTANTYDELSE", "ANDET"};
static const char *const job_types[] = {
    "NYTTEINDSATS_KOMMUNE", "NYTTEINDSATS_REGIONAL", "NYTTEINDSATS_STATEN",
    "NYTTEINDSATS_SELVEJENDE_INSTITUTION", "ANDET"};
static const char *const placement_actions[] = {"REGISTERED", "CHANGED", "ENDED", "CANCELLED"};
static const char *const hours_actions[] = {"REPORTED", "CORRECTED", "RETRACTED"};
static const char *const exemption_actions[] = {"GRANTED", "ENDED"};
static const char *const exemption_kinds[] = {
    "HEALTH", "PREGNANCY", "PARENTAL_LEAVE", "ADOPTION", "BEREAVEMENT_LEAVE", "LESS_INTENSIVE",
    "STATE_PENSION_AGE", "EARLY_RETIREMENT_TARGET", "STU", "IGU", "FOERTIDSPENSION_TARGET_GROUP",
    "AKTIVITETSPARAT_MENTAL_ILLNESS", "AKTIVITETSPARAT_SUBSTANCE_ABUSE", "AKTIVITETSPARAT_HOMELESSNESS",
    "OTHER_REASONABLE_CAUSE"};
static const char *const legal_bases[] = {"LAB_105_A", "INL_20_D"};
static const char *const target_groups[] = {"JOBPARAT", "AKTIVITETSPARAT", "UDDANNELSESPARAT"};
static const char *const end_reasons[] = {"ORDINARY_WORK", "EDUCATION", "FLEXJOB", "OTHER_BENEFIT", "OTHER_UNKNOWN"};
static const char *const reduction_actions[] = {"SET", "ENDED"};
static const char *const coverage_actions[] = {"STARTED", "CHANGED", "ENDED"};
static const char *const sanction_actions[] = {"DECIDED", "CHANGED", "CANCELLED"};
static const char *const statuses[] = {"COMPLIANT", "NOT_COMPLIANT", "EXEMPT", "NOT_COVERED"};
static const char *const adjustment_kinds[] = {
    "PRORATION", "REDUCTION", "REDUCTION_STALE", "EXEMPTION", "PLACEMENT_EXEMPTED", "HOURS_NOT_COUNTED"};
static const char *const alert_codes[] = {
    "WEEK_SHORT", "NO_ACTIVITY", "PLAN_GAP", "PLACEMENT_ENDING", "EXEMPTION_EXPIRING",
    "REDUCTION_EXPIRING", "REASSESSMENT_DUE", "RULE_VIOLATION", "OFFER_GAP"};
static const char *const shortfall_causes[] = {"NONE", "OFFER_GAP", "ATTENDANCE_GAP", "OFFER_AND_ATTENDANCE_GAP"};
static const char *const audiences[] = {"CASE", "JOB_CENTRE"};
static const char *const severities[] = {"INFO", "WARNING", "CRITICAL"};
static const char *const dl_reasons[] = {
    "TRUNCATED", "BAD_MARKER", "UNKNOWN_FINGERPRINT", "BAD_LENGTH", "TOO_LONG", "BAD_UTF8", "BAD_ENUM",
    "BAD_UNION", "BAD_VARINT", "TRAILING_BYTES", "WRONG_TOPIC", "INVALID_EVENT", "STATE_LIMIT",
    "WRONG_PARTITION", "ID_CONFLICT"};

const char *ap_events_dead_letter_reason(int code) {
    return code >= 0 && (size_t)code < sizeof dl_reasons / sizeof *dl_reasons ? dl_reasons[code] : NULL;
}

/* Field descriptor helpers: scalar/string, enum, array. */
#define FS(T, nm, mem, type, lt, cap) {nm, type, lt, offsetof(T, mem), cap, NULL, 0, NULL, 0, 0}
#define FE(T, nm, mem, type, syms) {nm, type, AP_LT_NONE, offsetof(T, mem), 0, syms, NSYM(syms), NULL, 0, 0}
#define FA(T, nm, mem, cnt, item, isz, max) {nm, AP_FT_ARRAY, AP_LT_NONE, offsetof(T, mem), max, NULL, 0, item, isz, offsetof(T, cnt)}

#define HEADER_FIELDS(T)                                                          \
    FS(T, "event_id", h.event_id, AP_FT_STRING, AP_LT_UUID, AP_UUID_CAP),         \
    FS(T, "citizen_id", h.citizen_id, AP_FT_STRING, AP_LT_NONE, AP_ID_CAP),       \
    FS(T, "municipality_code", h.municipality_code, AP_FT_STRING, AP_LT_NONE, AP_MUNI_CAP), \
    FS(T, "occurred_at", h.occurred_at, AP_FT_LONG, AP_LT_TIMESTAMP, 0),          \
    FS(T, "recorded_at", h.recorded_at, AP_FT_LONG, AP_LT_TIMESTAMP, 0),          \
    FS(T, "source_system", h.source_system, AP_FT_STRING, AP_LT_NONE, AP_SOURCE_CAP)

static const ap_field_desc_t placement_fields[] = {
    HEADER_FIELDS(ap_placement_t),
    FE(ap_placement_t, "action", action, AP_FT_ENUM, placement_actions),
    FS(ap_placement_t, "placement_id", placement_id, AP_FT_STRING, AP_LT_NONE, AP_ID_CAP),
    FE(ap_placement_t, "offer_type", offer_type, AP_FT_ENUM, activity_kinds),
    FE(ap_placement_t, "job_type", job_type, AP_FT_OPT_ENUM, job_types),
    FS(ap_placement_t, "workplace_p_number", workplace_p_number, AP_FT_OPT_STRING, AP_LT_NONE, AP_PNUMBER_CAP),
    FS(ap_placement_t, "start_date", start_date, AP_FT_INT, AP_LT_DATE, 0),
    FS(ap_placement_t, "end_date", end_date, AP_FT_INT, AP_LT_DATE, 0),
    FS(ap_placement_t, "planned_minutes_per_week", planned_minutes_per_week, AP_FT_INT, AP_LT_NONE, 0),
    FE(ap_placement_t, "benefit_type", benefit_type, AP_FT_ENUM, benefit_types),
    FS(ap_placement_t, "journal_ref", journal_ref, AP_FT_OPT_STRING, AP_LT_NONE, AP_ID_CAP),
};

static const ap_field_desc_t hours_fields[] = {
    HEADER_FIELDS(ap_hours_t),
    FE(ap_hours_t, "action", action, AP_FT_ENUM, hours_actions),
    FS(ap_hours_t, "report_id", report_id, AP_FT_STRING, AP_LT_NONE, AP_ID_CAP),
    FS(ap_hours_t, "activity_date", activity_date, AP_FT_INT, AP_LT_DATE, 0),
    FE(ap_hours_t, "activity_kind", activity_kind, AP_FT_ENUM, activity_kinds),
    FS(ap_hours_t, "minutes", minutes, AP_FT_INT, AP_LT_NONE, 0),
    FS(ap_hours_t, "placement_id", placement_id, AP_FT_OPT_STRING, AP_LT_NONE, AP_ID_CAP),
    FS(ap_hours_t, "journal_ref", journal_ref, AP_FT_OPT_STRING, AP_LT_NONE, AP_ID_CAP),
};

static const ap_field_desc_t exemption_fields[] = {
    HEADER_FIELDS(ap_exemption_t),
    FE(ap_exemption_t, "action", action, AP_FT_ENUM, exemption_actions),
    FS(ap_exemption_t, "exemption_id", exemption_id, AP_FT_STRING, AP_LT_NONE, AP_ID_CAP),
    FE(ap_exemption_t, "kind", kind, AP_FT_ENUM, exemption_kinds),
    FS(ap_exemption_t, "from_date", from_date, AP_FT_INT, AP_LT_DATE, 0),
    FS(ap_exemption_t, "to_date", to_date, AP_FT_OPT_INT, AP_LT_DATE, 0),
    FS(ap_exemption_t, "placement_id", placement_id, AP_FT_OPT_STRING, AP_LT_NONE, AP_ID_CAP),
    FS(ap_exemption_t, "journal_ref", journal_ref, AP_FT_OPT_STRING, AP_LT_NONE, AP_ID_CAP),
    FS(ap_exemption_t, "job_start_date", job_start_date, AP_FT_OPT_INT, AP_LT_DATE, 0),
};

static const ap_field_desc_t assessed_fields[] = {
    FS(ap_assessed_t, "placement_id", placement_id, AP_FT_STRING, AP_LT_NONE, AP_ID_CAP),
    FE(ap_assessed_t, "offer_type", offer_type, AP_FT_ENUM, activity_kinds),
    FS(ap_assessed_t, "planned_minutes_per_week", planned_minutes_per_week, AP_FT_INT, AP_LT_NONE, 0),
};
static const ap_record_desc_t assessed_desc = {"AssessedPlacement", assessed_fields, NSYM(assessed_fields),
                                               sizeof(ap_assessed_t), 0, NULL, 0};

static const ap_field_desc_t reduction_fields[] = {
    HEADER_FIELDS(ap_reduction_t),
    FE(ap_reduction_t, "action", action, AP_FT_ENUM, reduction_actions),
    FS(ap_reduction_t, "reduction_id", reduction_id, AP_FT_STRING, AP_LT_NONE, AP_ID_CAP),
    FS(ap_reduction_t, "reduced_minutes_per_week", reduced_minutes_per_week, AP_FT_INT, AP_LT_NONE, 0),
    FS(ap_reduction_t, "valid_from", valid_from, AP_FT_INT, AP_LT_DATE, 0),
    FS(ap_reduction_t, "valid_to", valid_to, AP_FT_OPT_INT, AP_LT_DATE, 0),
    FS(ap_reduction_t, "assessed_on", assessed_on, AP_FT_INT, AP_LT_DATE, 0),
    FA(ap_reduction_t, "assessed_placement_ids", assessed_placement_ids, n_assessed, NULL, AP_ID_CAP, AP_MAX_ASSESSED),
    FS(ap_reduction_t, "journal_ref", journal_ref, AP_FT_OPT_STRING, AP_LT_NONE, AP_ID_CAP),
    FA(ap_reduction_t, "assessed_placements", assessed_placements, n_assessed_detail, &assessed_desc,
       sizeof(ap_assessed_t), AP_MAX_ASSESSED),
};

static const ap_field_desc_t coverage_fields[] = {
    HEADER_FIELDS(ap_coverage_t),
    FE(ap_coverage_t, "action", action, AP_FT_ENUM, coverage_actions),
    FS(ap_coverage_t, "coverage_id", coverage_id, AP_FT_STRING, AP_LT_NONE, AP_ID_CAP),
    FS(ap_coverage_t, "from_date", from_date, AP_FT_INT, AP_LT_DATE, 0),
    FS(ap_coverage_t, "to_date", to_date, AP_FT_OPT_INT, AP_LT_DATE, 0),
    FE(ap_coverage_t, "benefit_type", benefit_type, AP_FT_ENUM, benefit_types),
    FE(ap_coverage_t, "legal_basis", legal_basis, AP_FT_OPT_ENUM, legal_bases),
    FE(ap_coverage_t, "target_group", target_group, AP_FT_OPT_ENUM, target_groups),
    FE(ap_coverage_t, "end_reason", end_reason, AP_FT_OPT_ENUM, end_reasons),
    FS(ap_coverage_t, "benefit_start_date", benefit_start_date, AP_FT_OPT_INT, AP_LT_DATE, 0),
};

static const ap_field_desc_t sanction_fields[] = {
    HEADER_FIELDS(ap_sanction_t),
    FE(ap_sanction_t, "action", action, AP_FT_ENUM, sanction_actions),
    FS(ap_sanction_t, "sanction_id", sanction_id, AP_FT_STRING, AP_LT_NONE, AP_ID_CAP),
    FS(ap_sanction_t, "decision_date", decision_date, AP_FT_INT, AP_LT_DATE, 0),
    FS(ap_sanction_t, "effective_from", effective_from, AP_FT_OPT_INT, AP_LT_DATE, 0),
    FS(ap_sanction_t, "legal_basis", legal_basis, AP_FT_OPT_STRING, AP_LT_NONE, AP_TEXT_CAP),
    FS(ap_sanction_t, "placement_id", placement_id, AP_FT_OPT_STRING, AP_LT_NONE, AP_ID_CAP),
    FS(ap_sanction_t, "journal_ref", journal_ref, AP_FT_STRING, AP_LT_NONE, AP_ID_CAP),
};

static const ap_field_desc_t tick_fields[] = {
    FS(ap_tick_t, "event_id", event_id, AP_FT_STRING, AP_LT_UUID, AP_UUID_CAP),
    FS(ap_tick_t, "occurred_at", occurred_at, AP_FT_LONG, AP_LT_TIMESTAMP, 0),
    FS(ap_tick_t, "source_system", source_system, AP_FT_STRING, AP_LT_NONE, AP_SOURCE_CAP),
};

static const ap_field_desc_t credited_fields[] = {
    FE(ap_credited_t, "activity_kind", activity_kind, AP_FT_ENUM, activity_kinds),
    FS(ap_credited_t, "minutes", minutes, AP_FT_INT, AP_LT_NONE, 0),
};
static const ap_record_desc_t credited_desc = {"CreditedActivity", credited_fields, NSYM(credited_fields),
                                               sizeof(ap_credited_t), 0, NULL, 0};

static const ap_field_desc_t adjustment_fields[] = {
    FE(ap_adjustment_t, "kind", kind, AP_FT_ENUM, adjustment_kinds),
    FS(ap_adjustment_t, "reference", reference, AP_FT_STRING, AP_LT_NONE, AP_ID_CAP),
    FS(ap_adjustment_t, "minutes", minutes, AP_FT_INT, AP_LT_NONE, 0),
    FE(ap_adjustment_t, "exemption_kind", exemption_kind, AP_FT_OPT_ENUM, exemption_kinds),
};
static const ap_record_desc_t adjustment_desc = {"Adjustment", adjustment_fields, NSYM(adjustment_fields),
                                                 sizeof(ap_adjustment_t), 0, NULL, 0};

static const ap_field_desc_t input_ref_fields[] = {
    FS(ap_input_ref_t, "topic", topic, AP_FT_STRING, AP_LT_NONE, AP_TOPIC_NAME_CAP),
    FS(ap_input_ref_t, "partition", partition, AP_FT_INT, AP_LT_NONE, 0),
    FS(ap_input_ref_t, "offset", offset, AP_FT_LONG, AP_LT_NONE, 0),
    FS(ap_input_ref_t, "event_id", event_id, AP_FT_STRING, AP_LT_UUID, AP_UUID_CAP),
};
static const ap_record_desc_t input_ref_desc = {"InputRef", input_ref_fields, NSYM(input_ref_fields),
                                                sizeof(ap_input_ref_t), 0, NULL, 0};

static const ap_field_desc_t segment_fields[] = {
    FS(ap_segment_t, "municipality_code", municipality_code, AP_FT_STRING, AP_LT_NONE, AP_MUNI_CAP),
    FS(ap_segment_t, "from_date", from_date, AP_FT_INT, AP_LT_DATE, 0),
    FS(ap_segment_t, "to_date", to_date, AP_FT_INT, AP_LT_DATE, 0),
    FS(ap_segment_t, "required_minutes", required_minutes, AP_FT_INT, AP_LT_NONE, 0),
    FS(ap_segment_t, "offered_minutes", offered_minutes, AP_FT_INT, AP_LT_NONE, 0),
    FS(ap_segment_t, "credited_minutes", credited_minutes, AP_FT_INT, AP_LT_NONE, 0),
    FE(ap_segment_t, "shortfall_cause", shortfall_cause, AP_FT_ENUM, shortfall_causes),
};
static const ap_record_desc_t segment_desc = {"ResultSegment", segment_fields, NSYM(segment_fields),
                                              sizeof(ap_segment_t), 0, NULL, 0};

static const ap_field_desc_t result_fields[] = {
    FS(ap_result_t, "event_id", event_id, AP_FT_STRING, AP_LT_UUID, AP_UUID_CAP),
    FS(ap_result_t, "citizen_id", citizen_id, AP_FT_STRING, AP_LT_NONE, AP_ID_CAP),
    FS(ap_result_t, "municipality_code", municipality_code, AP_FT_STRING, AP_LT_NONE, AP_MUNI_CAP),
    FS(ap_result_t, "iso_year", iso_year, AP_FT_INT, AP_LT_NONE, 0),
    FS(ap_result_t, "iso_week", iso_week, AP_FT_INT, AP_LT_NONE, 0),
    FS(ap_result_t, "week_start", week_start, AP_FT_INT, AP_LT_DATE, 0),
    FS(ap_result_t, "rule_version", rule_version, AP_FT_STRING, AP_LT_NONE, AP_RULE_VERSION_CAP),
    FE(ap_result_t, "status", status, AP_FT_ENUM, statuses),
    FS(ap_result_t, "required_minutes", required_minutes, AP_FT_INT, AP_LT_NONE, 0),
    FS(ap_result_t, "credited_minutes", credited_minutes, AP_FT_INT, AP_LT_NONE, 0),
    FS(ap_result_t, "shortfall_minutes", shortfall_minutes, AP_FT_INT, AP_LT_NONE, 0),
    FS(ap_result_t, "revision", revision, AP_FT_INT, AP_LT_NONE, 0),
    FS(ap_result_t, "final", final, AP_FT_BOOL, AP_LT_NONE, 0),
    FS(ap_result_t, "closed_at", closed_at, AP_FT_LONG, AP_LT_TIMESTAMP, 0),
    FA(ap_result_t, "breakdown", breakdown, n_breakdown, &credited_desc, sizeof(ap_credited_t), AP_ACT_COUNT),
    FA(ap_result_t, "adjustments", adjustments, n_adjustments, &adjustment_desc, sizeof(ap_adjustment_t),
       AP_MAX_ADJUSTMENTS),
    {"inputs", AP_FT_ARRAY_VIEW, AP_LT_NONE, offsetof(ap_result_t, inputs), AP_MAX_INPUTS, NULL, 0, &input_ref_desc,
     sizeof(ap_input_ref_t), 0},
    FS(ap_result_t, "engine_version", engine_version, AP_FT_STRING, AP_LT_NONE, AP_ENGINE_VERSION_CAP),
    FS(ap_result_t, "offered_minutes", offered_minutes, AP_FT_OPT_INT, AP_LT_NONE, 0),
    FE(ap_result_t, "shortfall_cause", shortfall_cause, AP_FT_OPT_ENUM, shortfall_causes),
    /* Added in v3 with default []: JSON of earlier builds leaves it out. */
    {"segments", AP_FT_ARRAY, AP_LT_EMPTY_DEFAULT, offsetof(ap_result_t, segments), AP_MAX_SEGMENTS, NULL, 0,
     &segment_desc, sizeof(ap_segment_t), offsetof(ap_result_t, n_segments)},
};

static const ap_field_desc_t alert_fields[] = {
    FS(ap_alert_t, "event_id", event_id, AP_FT_STRING, AP_LT_UUID, AP_UUID_CAP),
    FS(ap_alert_t, "citizen_id", citizen_id, AP_FT_STRING, AP_LT_NONE, AP_ID_CAP),
    FS(ap_alert_t, "municipality_code", municipality_code, AP_FT_STRING, AP_LT_NONE, AP_MUNI_CAP),
    FS(ap_alert_t, "iso_year", iso_year, AP_FT_INT, AP_LT_NONE, 0),
    FS(ap_alert_t, "iso_week", iso_week, AP_FT_INT, AP_LT_NONE, 0),
    FS(ap_alert_t, "week_start", week_start, AP_FT_INT, AP_LT_DATE, 0),
    FE(ap_alert_t, "code", code, AP_FT_ENUM, alert_codes),
    FE(ap_alert_t, "severity", severity, AP_FT_ENUM, severities),
    FS(ap_alert_t, "rule_version", rule_version, AP_FT_STRING, AP_LT_NONE, AP_RULE_VERSION_CAP),
    FS(ap_alert_t, "revision", revision, AP_FT_INT, AP_LT_NONE, 0),
    FS(ap_alert_t, "required_minutes", required_minutes, AP_FT_INT, AP_LT_NONE, 0),
    FS(ap_alert_t, "credited_minutes", credited_minutes, AP_FT_INT, AP_LT_NONE, 0),
    FS(ap_alert_t, "shortfall_minutes", shortfall_minutes, AP_FT_INT, AP_LT_NONE, 0),
    FS(ap_alert_t, "detail", detail, AP_FT_STRING, AP_LT_NONE, AP_TEXT_CAP),
    FS(ap_alert_t, "engine_version", engine_version, AP_FT_STRING, AP_LT_NONE, AP_ENGINE_VERSION_CAP),
    FE(ap_alert_t, "audience", audience, AP_FT_OPT_ENUM, audiences),
    FS(ap_alert_t, "offered_minutes", offered_minutes, AP_FT_OPT_INT, AP_LT_NONE, 0),
    FS(ap_alert_t, "action_week_start", action_week_start, AP_FT_OPT_INT, AP_LT_DATE, 0),
};

static const ap_field_desc_t dead_letter_fields[] = {
    FS(ap_dead_letter_t, "event_id", event_id, AP_FT_STRING, AP_LT_UUID, AP_UUID_CAP),
    FS(ap_dead_letter_t, "source_topic", source_topic, AP_FT_STRING, AP_LT_NONE, AP_TEXT_CAP),
    FS(ap_dead_letter_t, "source_partition", source_partition, AP_FT_INT, AP_LT_NONE, 0),
    FS(ap_dead_letter_t, "source_offset", source_offset, AP_FT_LONG, AP_LT_NONE, 0),
    FE(ap_dead_letter_t, "reason_code", reason_code, AP_FT_ENUM, dl_reasons),
    FS(ap_dead_letter_t, "reason", reason, AP_FT_STRING, AP_LT_NONE, AP_TEXT_CAP),
    FS(ap_dead_letter_t, "key", key, AP_FT_BYTES, AP_LT_NONE, AP_MAX_RECORD_BYTES),
    FS(ap_dead_letter_t, "payload", payload, AP_FT_BYTES, AP_LT_NONE, AP_MAX_RECORD_BYTES),
    FS(ap_dead_letter_t, "record_timestamp", record_timestamp, AP_FT_LONG, AP_LT_TIMESTAMP, 0),
};

static const ap_field_desc_t mon_exemption_fields[] = {
    FS(ap_mon_exemption_count_t, "kind", kind, AP_FT_STRING, AP_LT_NONE, AP_SYMBOL_CAP),
    FS(ap_mon_exemption_count_t, "citizens", citizens, AP_FT_INT, AP_LT_NONE, 0),
    FS(ap_mon_exemption_count_t, "days", days, AP_FT_LONG, AP_LT_NONE, 0),
};
static const ap_record_desc_t mon_exemption_desc = {"ExemptionCount", mon_exemption_fields, NSYM(mon_exemption_fields),
                                                    sizeof(ap_mon_exemption_count_t), 0, NULL, 0};
static const ap_field_desc_t mon_offer_fields[] = {
    FS(ap_mon_offer_count_t, "offer_type", offer_type, AP_FT_STRING, AP_LT_NONE, AP_SYMBOL_CAP),
    FS(ap_mon_offer_count_t, "citizens", citizens, AP_FT_INT, AP_LT_NONE, 0),
    FS(ap_mon_offer_count_t, "citizen_days", citizen_days, AP_FT_LONG, AP_LT_NONE, 0),
};
static const ap_record_desc_t mon_offer_desc = {"OfferTypeCount", mon_offer_fields, NSYM(mon_offer_fields),
                                                sizeof(ap_mon_offer_count_t), 0, NULL, 0};
static const ap_field_desc_t mon_exit_fields[] = {
    FS(ap_mon_exit_count_t, "reason", reason, AP_FT_STRING, AP_LT_NONE, AP_SYMBOL_CAP),
    FS(ap_mon_exit_count_t, "citizens", citizens, AP_FT_INT, AP_LT_NONE, 0),
};
static const ap_record_desc_t mon_exit_desc = {"ExitCount", mon_exit_fields, NSYM(mon_exit_fields),
                                               sizeof(ap_mon_exit_count_t), 0, NULL, 0};
static const ap_field_desc_t mon_bucket_fields[] = {
    FS(ap_mon_bucket_t, "min_days", min_days, AP_FT_INT, AP_LT_NONE, 0),
    FS(ap_mon_bucket_t, "citizens", citizens, AP_FT_INT, AP_LT_NONE, 0),
};
static const ap_record_desc_t mon_bucket_desc = {"DurationBucket", mon_bucket_fields, NSYM(mon_bucket_fields),
                                                 sizeof(ap_mon_bucket_t), 0, NULL, 0};
static const ap_field_desc_t mon_manifest_fields[] = {
    FS(ap_mon_manifest_entry_t, "municipality_code", municipality_code, AP_FT_STRING, AP_LT_NONE, AP_MUNI_CAP),
    FS(ap_mon_manifest_entry_t, "revision", revision, AP_FT_INT, AP_LT_NONE, 0),
};
static const ap_record_desc_t mon_manifest_desc = {"ManifestEntry", mon_manifest_fields, NSYM(mon_manifest_fields),
                                                   sizeof(ap_mon_manifest_entry_t), 0, NULL, 0};

#define MI(nm, mem) FS(ap_monitoring_t, nm, mem, AP_FT_INT, AP_LT_NONE, 0)
#define ML(nm, mem) FS(ap_monitoring_t, nm, mem, AP_FT_LONG, AP_LT_NONE, 0)
static const ap_field_desc_t monitoring_fields[] = {
    FS(ap_monitoring_t, "event_id", event_id, AP_FT_STRING, AP_LT_UUID, AP_UUID_CAP),
    FS(ap_monitoring_t, "municipality_code", municipality_code, AP_FT_OPT_STRING, AP_LT_NONE, AP_MUNI_CAP),
    MI("year", year),
    MI("month", month),
    MI("partition", partition),
    MI("partition_count", partition_count),
    FS(ap_monitoring_t, "monitoring_version", monitoring_version, AP_FT_STRING, AP_LT_NONE, AP_MON_VERSION_CAP),
    FS(ap_monitoring_t, "rule_version", rule_version, AP_FT_STRING, AP_LT_NONE, AP_RULE_VERSION_CAP),
    FS(ap_monitoring_t, "implementation_period", implementation_period, AP_FT_BOOL, AP_LT_NONE, 0),
    MI("revision", revision),
    FS(ap_monitoring_t, "closed_at", closed_at, AP_FT_LONG, AP_LT_TIMESTAMP, 0),
    MI("covered_citizens", covered_citizens),
    MI("covered_on_last_day", covered_on_last_day),
    MI("moved_in_citizens", moved_in_citizens),
    MI("with_activity", with_activity),
    MI("with_paid_hours", with_paid_hours),
    FA(ap_monitoring_t, "exemptions", exemptions, n_exemptions, &mon_exemption_desc, sizeof(ap_mon_exemption_count_t),
       AP_EXEMPT_COUNT),
    MI("placement_exempted_citizens", placement_exempted_citizens),
    MI("exempt_all_month", exempt_all_month),
    FA(ap_monitoring_t, "offer_types", offer_types, n_offer_types, &mon_offer_desc, sizeof(ap_mon_offer_count_t),
       AP_MON_OFFER_KINDS),
    FA(ap_monitoring_t, "exits", exits, n_exits, &mon_exit_desc, sizeof(ap_mon_exit_count_t), AP_MON_EXIT_REASONS),
    MI("duration_known", duration_known),
    MI("duration_unknown", duration_unknown),
    ML("duration_days_sum", duration_days_sum),
    FA(ap_monitoring_t, "duration_buckets", duration_buckets, n_duration_buckets, &mon_bucket_desc,
       sizeof(ap_mon_bucket_t), AP_MON_DURATION_BUCKETS),
    MI("sanctions", sanctions),
    MI("sanctioned_citizens", sanctioned_citizens),
    MI("weeks_owed", weeks_owed),
    MI("weeks_met", weeks_met),
    MI("weeks_offer_gap", weeks_offer_gap),
    MI("weeks_attendance_gap", weeks_attendance_gap),
    MI("weeks_offer_and_attendance_gap", weeks_offer_and_attendance_gap),
    MI("weeks_exempt", weeks_exempt),
    MI("weeks_partly_exempt", weeks_partly_exempt),
    ML("required_minutes", required_minutes),
    ML("offered_minutes", offered_minutes),
    ML("credited_minutes", credited_minutes),
    {"manifest", AP_FT_ARRAY_VIEW, AP_LT_NONE, offsetof(ap_monitoring_t, manifest), AP_MON_MAX_MANIFEST, NULL, 0,
     &mon_manifest_desc, sizeof(ap_mon_manifest_entry_t), 0},
    FS(ap_monitoring_t, "engine_version", engine_version, AP_FT_STRING, AP_LT_NONE, AP_ENGINE_VERSION_CAP),
};
#undef MI
#undef ML

static const ap_field_desc_t followup_month_fields[] = {
    FS(ap_followup_month_t, "month", month, AP_FT_INT, AP_LT_NONE, 0),
    FS(ap_followup_month_t, "weeks_owed", weeks_owed, AP_FT_INT, AP_LT_NONE, 0),
    FS(ap_followup_month_t, "offer_gap_weeks", offer_gap_weeks, AP_FT_INT, AP_LT_NONE, 0),
    FS(ap_followup_month_t, "share_bp", share_bp, AP_FT_OPT_INT, AP_LT_NONE, 0),
    FS(ap_followup_month_t, "assessable", assessable, AP_FT_BOOL, AP_LT_NONE, 0),
    FS(ap_followup_month_t, "challenged", challenged, AP_FT_BOOL, AP_LT_NONE, 0),
};
static const ap_record_desc_t followup_month_desc = {"FollowUpMonth", followup_month_fields,
                                                     NSYM(followup_month_fields), sizeof(ap_followup_month_t), 0, NULL, 0};
static const ap_field_desc_t followup_basis_fields[] = {
    FS(ap_followup_basis_t, "partition", partition, AP_FT_INT, AP_LT_NONE, 0),
    FS(ap_followup_basis_t, "month", month, AP_FT_INT, AP_LT_NONE, 0),
    FS(ap_followup_basis_t, "lane_revision", lane_revision, AP_FT_INT, AP_LT_NONE, 0),
};
static const ap_record_desc_t followup_basis_desc = {"FollowUpBasis", followup_basis_fields,
                                                     NSYM(followup_basis_fields), sizeof(ap_followup_basis_t), 0, NULL, 0};
static const ap_field_desc_t followup_fields[] = {
    FS(ap_followup_t, "event_id", event_id, AP_FT_STRING, AP_LT_UUID, AP_UUID_CAP),
    FS(ap_followup_t, "municipality_code", municipality_code, AP_FT_STRING, AP_LT_NONE, AP_MUNI_CAP),
    FS(ap_followup_t, "year", year, AP_FT_INT, AP_LT_NONE, 0),
    FS(ap_followup_t, "followup_version", followup_version, AP_FT_STRING, AP_LT_NONE, AP_FOLLOWUP_VERSION_CAP),
    FS(ap_followup_t, "threshold_bp", threshold_bp, AP_FT_INT, AP_LT_NONE, 0),
    FS(ap_followup_t, "min_months", min_months, AP_FT_INT, AP_LT_NONE, 0),
    FS(ap_followup_t, "min_weeks_owed", min_weeks_owed, AP_FT_INT, AP_LT_NONE, 0),
    FS(ap_followup_t, "revision", revision, AP_FT_INT, AP_LT_NONE, 0),
    FS(ap_followup_t, "as_of_month", as_of_month, AP_FT_INT, AP_LT_NONE, 0),
    FS(ap_followup_t, "challenged", challenged, AP_FT_BOOL, AP_LT_NONE, 0),
    FS(ap_followup_t, "challenged_months", challenged_months, AP_FT_INT, AP_LT_NONE, 0),
    FA(ap_followup_t, "months", months, n_months, &followup_month_desc, sizeof(ap_followup_month_t), 12),
    {"basis", AP_FT_ARRAY_VIEW, AP_LT_NONE, offsetof(ap_followup_t, basis), AP_FOLLOWUP_MAX_BASIS, NULL, 0,
     &followup_basis_desc, sizeof(ap_followup_basis_t), 0},
    FS(ap_followup_t, "engine_version", engine_version, AP_FT_STRING, AP_LT_NONE, AP_ENGINE_VERSION_CAP),
};

#define DESC(name, fields, T) {name, fields, NSYM(fields), sizeof(T), 0, NULL, 0}
static ap_record_desc_t descs[AP_EV_COUNT] = {
    [AP_EV_PLACEMENT] = DESC("PlacementEvent", placement_fields, ap_placement_t),
    [AP_EV_HOURS] = DESC("HoursEvent", hours_fields, ap_hours_t),
    [AP_EV_EXEMPTION] = DESC("ExemptionEvent", exemption_fields, ap_exemption_t),
    [AP_EV_REDUCTION] = DESC("ReductionEvent", reduction_fields, ap_reduction_t),
    [AP_EV_COVERAGE] = DESC("CoverageEvent", coverage_fields, ap_coverage_t),
    [AP_EV_SANCTION] = DESC("SanctionEvent", sanction_fields, ap_sanction_t),
    [AP_EV_TICK] = DESC("StreamTick", tick_fields, ap_tick_t),
    [AP_EV_RESULT] = DESC("ComplianceResult", result_fields, ap_result_t),
    [AP_EV_ALERT] = DESC("Alert", alert_fields, ap_alert_t),
    [AP_EV_DEAD_LETTER] = DESC("DeadLetter", dead_letter_fields, ap_dead_letter_t),
    [AP_EV_MONITORING] = DESC("MonitoringPartial", monitoring_fields, ap_monitoring_t),
    [AP_EV_FOLLOWUP] = DESC("FollowUp", followup_fields, ap_followup_t),
};

_Static_assert(NSYM(activity_kinds) == AP_ACT_COUNT, "ActivityKind symbols and enum differ");
_Static_assert(NSYM(exemption_kinds) == AP_EXEMPT_COUNT, "ExemptionKind symbols and enum differ");
_Static_assert(NSYM(dl_reasons) == AP_DL_ID_CONFLICT + 1, "DeadLetterReason symbols and enum differ");
_Static_assert(AP_CODEC_TRAILING_BYTES == 9 && AP_DL_WRONG_TOPIC == 10, "codec statuses must map to dead-letter reasons");

/* Writer schemas other than the current ones that records may carry: the
 * released versions (embedded) and those registered at start-up
 * (ap_events_add_writer), each with its resolution program. Filled before
 * any thread starts, read only afterwards. */
typedef struct writer {
    uint64_t fingerprint;
    ap_event_type_t type;
    int version; /* released version, 0: registered at run time */
    ap_resolve_program_t *prog;
} writer_t;
static writer_t writers[AP_EVENTS_MAX_WRITERS];
static int n_writers;

static int init_fail(ap_codec_error_t *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int init_fail(ap_codec_error_t *err, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    err->status = AP_CODEC_BAD_JSON;
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    return -1;
}

static const writer_t *writer_by_fingerprint(uint64_t fp) {
    for (int i = 0; i < n_writers; i++)
        if (writers[i].fingerprint == fp) return &writers[i];
    return NULL;
}

/* Checks that the current schema reads `text` (a writer schema of record
 * type t) and, unless it is the current schema or already known, adds its
 * program. Returns 0 or -1 with err set. */
static int add_writer(ap_event_type_t t, const char *text, size_t len, int version, const char *origin,
                      ap_codec_error_t *err) {
    const ap_record_desc_t *d = &descs[t];
    char why[200];
    uint64_t fp;
    if (ap_schema_fingerprint(text, len, &fp, why, sizeof why)) return init_fail(err, "%s: %s", origin, why);
    if (ap_resolve_check(d->schema_text, d->schema_len, text, len, why, sizeof why))
        /* The reason first: the message is bounded, the origin known to the caller. */
        return init_fail(err, "cannot be read as schemas/%s.avsc: %s (writer fingerprint %016llx, %s)", d->name, why,
                         (unsigned long long)fp, origin);
    if (fp == d->fingerprint || writer_by_fingerprint(fp)) return 0;
    if (ap_events_type_by_fingerprint(fp) != AP_EV_COUNT)
        return init_fail(err, "%s has the fingerprint of another current schema", origin);
    if (n_writers == AP_EVENTS_MAX_WRITERS) return init_fail(err, "%s: more than %d writer schemas", origin, AP_EVENTS_MAX_WRITERS);
    ap_resolve_program_t *prog = ap_resolve_build(d, text, len, err);
    if (!prog) return -1;
    writers[n_writers++] = (writer_t){fp, t, version, prog};
    return 0;
}

int ap_events_init(ap_codec_error_t *err) {
    for (int i = 0; i < n_writers; i++) ap_resolve_destroy(writers[i].prog);
    n_writers = 0;
    for (int t = 0; t < AP_EV_COUNT; t++) {
        const struct ap_embedded_schema *s = ap_embedded_schemas;
        while (s->stem && strcmp(s->stem, descs[t].name) != 0) s++;
        if (!s->stem) return init_fail(err, "no schema file schemas/%s.avsc", descs[t].name);
        if (ap_codec_bind(&descs[t], s->text, s->len, err)) return -1;
    }
    for (int a = 0; a < AP_EV_COUNT; a++)
        for (int b = a + 1; b < AP_EV_COUNT; b++)
            if (descs[a].fingerprint == descs[b].fingerprint)
                return init_fail(err, "%s and %s share a fingerprint", descs[a].name, descs[b].name);
    /* Every released version must stay readable: topics and exports keep
     * records of every version, and a replay reads them all. */
    for (const struct ap_released_schema *r = ap_released_schemas; r->name; r++) {
        char origin[96], why[200];
        size_t clen;
        const char *current = ap_events_schema_text(r->name, &clen);
        snprintf(origin, sizeof origin, "schemas/released/%s/v%d.avsc", r->name, r->version);
        if (!current) return init_fail(err, "%s: there is no schemas/%s.avsc", origin, r->name);
        ap_event_type_t t = ap_events_type_by_name(r->name, strlen(r->name));
        if (t != AP_EV_COUNT) {
            if (add_writer(t, r->text, r->len, r->version, origin, err)) return -1;
        } else if (ap_resolve_check(current, clen, r->text, r->len, why, sizeof why)) {
            /* A schema without a record type here (ExportedRecord): checked only. */
            return init_fail(err, "%s cannot be read as schemas/%s.avsc: %s", origin, r->name, why);
        }
    }
    return 0;
}

int ap_events_add_writer(const char *text, size_t len, const char *origin, ap_codec_error_t *err) {
    ap_json_doc_t doc = AP_JSON_DOC_INIT;
    int rc = -1;
    if (ap_json_parse(&doc, text, len)) {
        init_fail(err, "%s: not JSON: %s", origin, doc.err);
        goto cleanup;
    }
    const ap_json_node_t *name = ap_json_member(&doc, &doc.nodes[0], "name");
    if (!name || name->type != AP_JSON_STRING) {
        init_fail(err, "%s: not a named record schema", origin);
        goto cleanup;
    }
    const char *dot = strrchr(name->str, '.'), *shortname = dot ? dot + 1 : name->str;
    ap_event_type_t t = ap_events_type_by_name(shortname, strlen(shortname));
    if (t == AP_EV_COUNT) {
        init_fail(err, "%s: no record type here is named %.60s", origin, shortname);
        goto cleanup;
    }
    rc = add_writer(t, text, len, 0, origin, err);
cleanup:
    ap_json_doc_free(&doc);
    return rc;
}

int ap_events_writer(int i, ap_event_type_t *type, uint64_t *fingerprint, int *version) {
    if (i < 0 || i >= n_writers) return -1;
    *type = writers[i].type;
    *fingerprint = writers[i].fingerprint;
    *version = writers[i].version;
    return 0;
}

ap_codec_status_t ap_events_decode_as(ap_event_type_t t, const uint8_t *buf, size_t len, void *value,
                                      ap_codec_error_t *err) {
    uint64_t fp;
    if ((unsigned)t >= AP_EV_COUNT) {
        err->status = AP_CODEC_UNKNOWN_FINGERPRINT;
        snprintf(err->msg, sizeof err->msg, "no record type %d", (int)t);
        return err->status;
    }
    ap_codec_status_t st = ap_codec_peek(buf, len, &fp, err);
    if (st != AP_CODEC_OK) return st;
    if (fp == descs[t].fingerprint) return ap_codec_decode(&descs[t], buf, len, value, err);
    const writer_t *w = writer_by_fingerprint(fp);
    if (!w || w->type != t) {
        err->status = AP_CODEC_UNKNOWN_FINGERPRINT;
        snprintf(err->msg, sizeof err->msg, "fingerprint %016llx is no known version of %s", (unsigned long long)fp,
                 descs[t].name);
        return err->status;
    }
    return ap_resolve_decode(w->prog, buf, len, value, err);
}

int ap_events_tick_time(const void *payload, size_t len, int64_t *at) {
    uint64_t fp;
    ap_codec_error_t err;
    ap_tick_t tick;
    ap_codec_status_t st;
    const ap_record_desc_t *d = &descs[AP_EV_TICK];
    /* Called for every input record: anything not a tick is turned away on
     * its fingerprint, without formatting an error. */
    if (!payload || ap_codec_peek(payload, len, &fp, &err) != AP_CODEC_OK) return 0;
    if (fp == d->fingerprint) {
        st = ap_codec_decode(d, payload, len, &tick, &err);
    } else {
        const writer_t *w = writer_by_fingerprint(fp); /* a tick of another version */
        if (!w || w->type != AP_EV_TICK) return 0;
        st = ap_resolve_decode(w->prog, payload, len, &tick, &err);
    }
    if (st != AP_CODEC_OK) return 0;
    *at = tick.occurred_at;
    return 1;
}

const char *ap_events_schema_text(const char *stem, size_t *len) {
    for (const struct ap_embedded_schema *s = ap_embedded_schemas; s->stem; s++)
        if (strcmp(s->stem, stem) == 0) {
            *len = s->len;
            return s->text;
        }
    return NULL;
}

const ap_record_desc_t *ap_events_desc(ap_event_type_t type) {
    return (unsigned)type < AP_EV_COUNT ? &descs[type] : NULL;
}

ap_event_type_t ap_events_type_by_name(const char *name, size_t len) {
    for (int t = 0; t < AP_EV_COUNT; t++)
        if (strlen(descs[t].name) == len && memcmp(descs[t].name, name, len) == 0) return (ap_event_type_t)t;
    return AP_EV_COUNT;
}

ap_event_type_t ap_events_type_by_fingerprint(uint64_t fp) {
    for (int t = 0; t < AP_EV_COUNT; t++)
        if (descs[t].fingerprint == fp) return (ap_event_type_t)t;
    return AP_EV_COUNT;
}

ap_codec_status_t ap_events_decode(const uint8_t *buf, size_t len, ap_event_t *ev, ap_codec_error_t *err) {
    uint64_t fp;
    ap_codec_status_t st = ap_codec_peek(buf, len, &fp, err);
    if (st != AP_CODEC_OK) return st;
    ap_event_type_t t = ap_events_type_by_fingerprint(fp);
    if (t != AP_EV_COUNT) { /* the current schema: the direct path */
        ev->type = t;
        return ap_codec_decode(&descs[t], buf, len, &ev->u, err);
    }
    const writer_t *w = writer_by_fingerprint(fp);
    if (!w) {
        err->status = AP_CODEC_UNKNOWN_FINGERPRINT;
        snprintf(err->msg, sizeof err->msg, "no known schema has fingerprint %016llx", (unsigned long long)fp);
        return err->status;
    }
    ev->type = w->type;
    return ap_resolve_decode(w->prog, buf, len, &ev->u, err);
}

int ap_events_is_current(const uint8_t *buf, size_t len) {
    uint64_t fp;
    ap_codec_error_t err;
    return ap_codec_peek(buf, len, &fp, &err) == AP_CODEC_OK && ap_events_type_by_fingerprint(fp) != AP_EV_COUNT;
}

void ap_events_clear(ap_event_t *ev, ap_event_type_t t) {
    memset(ev, 0, sizeof *ev);
    ev->type = t;
    if ((unsigned)t >= AP_EV_COUNT) return;
    for (size_t i = 0; i < descs[t].nfields; i++) {
        const ap_field_desc_t *f = &descs[t].fields[i];
        if (f->type == AP_FT_OPT_INT) *(int32_t *)((char *)&ev->u + f->offset) = INT32_MIN;
        else if (f->type == AP_FT_OPT_ENUM) *(int32_t *)((char *)&ev->u + f->offset) = -1;
    }
}

void ap_events_encode(const ap_event_t *ev, ap_buf_t *out) { ap_codec_encode(&descs[ev->type], &ev->u, out); }

void ap_events_to_json(const ap_event_t *ev, ap_buf_t *out) {
    /* {"schema":"X", then the record's own members. */
    ap_buf_appendf(out, "{\"schema\":\"%s\",", descs[ev->type].name);
    size_t at = out->len;
    ap_codec_to_json(&descs[ev->type], &ev->u, out);
    /* Drop the record's opening brace, already written above. */
    memmove(out->data + at, out->data + at + 1, out->len - at - 1);
    out->len--;
    out->data[out->len] = '\0';
}

/* ------------------------------------------------------------- validation */

static int is_digits(const char *s, size_t n) {
    if (strlen(s) != n) return 0;
    for (size_t i = 0; i < n; i++) if (s[i] < '0' || s[i] > '9') return 0;
    return 1;
}

/* 1 for a hex digit. A table, not comparisons: ids are random hex, and
 * digit-or-letter branches mispredicted on every other character. */
static const uint8_t hex_digit[256] = {
    ['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1, ['6'] = 1, ['7'] = 1, ['8'] = 1, ['9'] = 1,
    ['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1,
    ['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1, ['E'] = 1, ['F'] = 1,
};

static int is_uuid(const char *s) {
    if (strnlen(s, 37) != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-') return 0;
    unsigned digits = 0;
    for (int i = 0; i < 36; i++) digits += hex_digit[(unsigned char)s[i]];
    return digits == 32; /* every place but the four dashes */
}

/* The code point of the UTF-8 character at s (its length in *len); an
 * invalid byte is itself (the codec refuses invalid UTF-8 before this). */
static uint32_t code_point(const unsigned char *s, size_t *len) {
    if (*s < 0x80) { *len = 1; return *s; }
    if ((*s & 0xE0) == 0xC0 && (s[1] & 0xC0) == 0x80) { *len = 2; return (uint32_t)(s[0] & 0x1F) << 6 | (s[1] & 0x3F); }
    if ((*s & 0xF0) == 0xE0 && (s[1] & 0xC0) == 0x80 && (s[2] & 0xC0) == 0x80) {
        *len = 3;
        return (uint32_t)(s[0] & 0x0F) << 12 | (uint32_t)(s[1] & 0x3F) << 6 | (s[2] & 0x3F);
    }
    if ((*s & 0xF8) == 0xF0 && (s[1] & 0xC0) == 0x80 && (s[2] & 0xC0) == 0x80 && (s[3] & 0xC0) == 0x80) {
        *len = 4;
        return (uint32_t)(s[0] & 0x07) << 18 | (uint32_t)(s[1] & 0x3F) << 12 | (uint32_t)(s[2] & 0x3F) << 6 | (s[3] & 0x3F);
    }
    *len = 1;
    return *s;
}

/* The digit value of a code point, or -1: ASCII and the decimal digits a
 * phone, a copy from a PDF or a right-to-left text put in a number
 * (fullwidth, Arabic-Indic, extended Arabic-Indic, Devanagari, Bengali,
 * mathematical). */
static int digit_value(uint32_t cp) {
    static const uint32_t zeros[] = {'0', 0x0660, 0x06F0, 0x0966, 0x09E6, 0xFF10,
                                     0x1D7CE, 0x1D7D8, 0x1D7E2, 0x1D7EC, 0x1D7F6};
    for (size_t i = 0; i < sizeof zeros / sizeof *zeros; i++)
        if (cp >= zeros[i] && cp <= zeros[i] + 9) return (int)(cp - zeros[i]);
    return -1;
}

/* Punctuation and spaces that may sit between a CPR number's digits: ASCII
 * other than letters, the no-break and soft hyphen, general punctuation
 * (dashes, dots), the minus sign, fullwidth punctuation, small hyphen,
 * ideographic space. Anything else (letters of any script) ends a number. */
static int separator(uint32_t cp) {
    if (cp < 0x80) return !((cp | 0x20) >= 'a' && (cp | 0x20) <= 'z');
    return cp == 0xA0 || cp == 0xAD || (cp >= 0x2000 && cp <= 0x206F) || cp == 0x2212 ||
           (cp >= 0xFF01 && cp <= 0xFF0F) || cp == 0xFE63 || cp == 0x3000;
}

/* Do ten digits form a CPR number: a real date DDMMYY, the century read from
 * the seventh digit as the CPR office assigns it? */
static int cpr_date(const int d[10]) {
    int day = d[0] * 10 + d[1], month = d[2] * 10 + d[3], yy = d[4] * 10 + d[5], c = d[6];
    int year = c <= 3 ? 1900 + yy : (c == 4 || c == 9) ? (yy <= 36 ? 2000 : 1900) + yy : (yy <= 57 ? 2000 : 1800) + yy;
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (month < 1 || month > 12 || day < 1) return 0;
    int leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    return day <= days[month - 1] + (month == 2 && leap);
}

int ap_events_looks_like_cpr(const char *str) {
    /* Groups of digits, each digit at most three separators after the one
     * before: a group of exactly ten digits that is a CPR number is one,
     * whatever prefix, separators or digit forms it wears. A longer group is
     * some other number (a timestamp, an offset), a shorter one no CPR. */
    const unsigned char *s = (const unsigned char *)str;
    int d[10], n = 0, gap = 0;
    for (;;) {
        size_t len = 0;
        uint32_t cp = *s ? code_point(s, &len) : 0;
        int v = *s ? digit_value(cp) : -1;
        if (v >= 0) {
            if (n < 10) d[n] = v;
            n++;
            gap = 0;
        } else if (!*s || !separator(cp) || ++gap > 3) { /* the group ends */
            if (n == 10 && cpr_date(d)) return 1;
            n = 0;
            gap = 0;
            if (!*s) return 0;
        }
        s += len;
    }
}

static int why_fail(char *why, size_t len, const char *msg) {
    snprintf(why, len, "%s", msg);
    return -1;
}

/* A refusal for personal data: -2, so the caller withholds the record (events.h). */
static int pii_fail(char *why, size_t len, const char *field) {
    snprintf(why, len, "%s looks like a CPR number", field);
    return -2;
}

/* Dates the system can mean: from the first rule version (nytteindsats
 * rules of 2014) to 2099. Anything earlier is a broken record, and letting
 * it in would make the processor close every week since. */
#define DAY_MIN (16071)   /* 2014-01-01 */
#define DAY_MAX (47481)   /* 2099-12-31 (checked in test_events) */
static int valid_day(int32_t d) { return d >= DAY_MIN && d <= DAY_MAX; }

static int validate_header(const ap_header_t *h, char *why, size_t len) {
    if (!is_uuid(h->event_id)) return why_fail(why, len, "event_id is not a UUID");
    if (!h->citizen_id[0]) return why_fail(why, len, "citizen_id is empty");
    /* It names Redis keys inside a {hash tag} and is the first part of the
     * store's "citizen|id" fields: no braces, '|', spaces or controls, so
     * every composite key and field splits one way only. */
    for (const char *c = h->citizen_id; *c; c++)
        if (*c == '{' || *c == '}' || *c == '|' || (unsigned char)*c <= ' ')
            return why_fail(why, len, "citizen_id contains a brace, '|', space or control character");
    /* Pseudonymisation guard: a CPR number must never enter the system. */
    if (ap_events_looks_like_cpr(h->citizen_id)) return pii_fail(why, len, "citizen_id");
    if (ap_events_looks_like_cpr(h->source_system)) return pii_fail(why, len, "source_system");
    if (!is_digits(h->municipality_code, 3)) return why_fail(why, len, "municipality_code is not 3 digits");
    if (h->occurred_at <= 0 || h->recorded_at <= 0) return why_fail(why, len, "occurred_at/recorded_at missing");
    if (!h->source_system[0]) return why_fail(why, len, "source_system is empty");
    return 0;
}

/* The free-text fields other than the header's, by record type: none may
 * carry a CPR number (the P-number is not among them: a P-number is ten
 * digits by definition, and its format is checked). */
#define TEXT(T, f) {offsetof(T, f), #f}
typedef struct text_field { size_t off; const char *name; } text_field_t;
static const text_field_t placement_texts[] = {TEXT(ap_placement_t, placement_id), TEXT(ap_placement_t, journal_ref)};
static const text_field_t hours_texts[] = {TEXT(ap_hours_t, report_id), TEXT(ap_hours_t, placement_id),
                                           TEXT(ap_hours_t, journal_ref)};
static const text_field_t exemption_texts[] = {TEXT(ap_exemption_t, exemption_id), TEXT(ap_exemption_t, placement_id),
                                               TEXT(ap_exemption_t, journal_ref)};
static const text_field_t reduction_texts[] = {TEXT(ap_reduction_t, reduction_id), TEXT(ap_reduction_t, journal_ref)};
static const text_field_t coverage_texts[] = {TEXT(ap_coverage_t, coverage_id)};
static const text_field_t sanction_texts[] = {TEXT(ap_sanction_t, sanction_id), TEXT(ap_sanction_t, legal_basis),
                                              TEXT(ap_sanction_t, placement_id), TEXT(ap_sanction_t, journal_ref)};

/* @return 0, or -2 with "<field> looks like a CPR number" (never the value) in why. */
static int no_cpr(const void *rec, const text_field_t *f, size_t n, char *why, size_t len) {
    for (size_t i = 0; i < n; i++)
        if (ap_events_looks_like_cpr((const char *)rec + f[i].off)) return pii_fail(why, len, f[i].name);
    return 0;
}
#define NO_CPR(rec, texts) no_cpr(rec, texts, NSYM(texts), why, len)

int ap_events_validate(const ap_event_t *ev, char *why, size_t len) {
    int rc;
    switch (ev->type) {
    case AP_EV_PLACEMENT: {
        const ap_placement_t *p = &ev->u.placement;
        if ((rc = validate_header(&p->h, why, len))) return rc;
        if (!p->placement_id[0]) return why_fail(why, len, "placement_id is empty");
        if (NO_CPR(p, placement_texts)) return -2;
        /* Seed 002: every offer states a start and an end date. */
        if (!valid_day(p->start_date) || !valid_day(p->end_date)) return why_fail(why, len, "placement start/end date missing or out of range");
        if (p->end_date < p->start_date) return why_fail(why, len, "placement ends before it starts");
        if (p->planned_minutes_per_week < 0 || p->planned_minutes_per_week > 7 * 24 * 60)
            return why_fail(why, len, "planned_minutes_per_week outside 0..10080");
        if (p->workplace_p_number[0] && !is_digits(p->workplace_p_number, 10))
            return why_fail(why, len, "workplace_p_number is not a 10-digit P-number");
        return 0;
    }
    case AP_EV_HOURS: {
        const ap_hours_t *x = &ev->u.hours;
        if ((rc = validate_header(&x->h, why, len))) return rc;
        if (!x->report_id[0]) return why_fail(why, len, "report_id is empty");
        if (NO_CPR(x, hours_texts)) return -2;
        if (!valid_day(x->activity_date)) return why_fail(why, len, "activity_date out of range");
        /* Hours are reported for days that have been, and within a year. */
        /* In 64 bits: any occurred_at a record may carry, without overflow. */
        int64_t reported = x->h.occurred_at / 86400000LL;
        if (x->activity_date > reported + 1 || x->activity_date < reported - 366)
            return why_fail(why, len, "activity_date is not within the year before the report");
        if (x->minutes < 0 || x->minutes > 24 * 60) return why_fail(why, len, "minutes outside 0..1440 for one day");
        return 0;
    }
    case AP_EV_EXEMPTION: {
        const ap_exemption_t *x = &ev->u.exemption;
        if ((rc = validate_header(&x->h, why, len))) return rc;
        if (!x->exemption_id[0]) return why_fail(why, len, "exemption_id is empty");
        if (NO_CPR(x, exemption_texts)) return -2;
        if (!valid_day(x->from_date)) return why_fail(why, len, "exemption from_date out of range");
        if (x->to_date != AP_NO_DATE && (!valid_day(x->to_date) || x->to_date < x->from_date))
            return why_fail(why, len, "exemption to_date before from_date");
        /* The grounds are not a closed list (seed 002: "f.eks."): another
         * lawful ground is accepted, but only as a decision on record. */
        if (x->kind == AP_EXEMPT_OTHER_REASONABLE_CAUSE && !x->journal_ref[0])
            return why_fail(why, len, "OTHER_REASONABLE_CAUSE exemption without journal_ref");
        if (x->job_start_date != AP_NO_DATE && !valid_day(x->job_start_date))
            return why_fail(why, len, "exemption job_start_date out of range");
        return 0;
    }
    case AP_EV_REDUCTION: {
        const ap_reduction_t *x = &ev->u.reduction;
        if ((rc = validate_header(&x->h, why, len))) return rc;
        if (!x->reduction_id[0]) return why_fail(why, len, "reduction_id is empty");
        if (NO_CPR(x, reduction_texts)) return -2;
        for (uint32_t i = 0; i < x->n_assessed && i < AP_MAX_ASSESSED; i++)
            if (ap_events_looks_like_cpr(x->assessed_placement_ids[i]))
                return pii_fail(why, len, "assessed_placement_ids");
        if (x->reduced_minutes_per_week < 0 || x->reduced_minutes_per_week >= 37 * 60)
            return why_fail(why, len, "reduced_minutes_per_week must be below the 37-hour norm");
        /* A reduction to nothing is an exemption in disguise (DOMAIN.md):
         * refused, so it is granted as one. ENDED may still carry 0, so an
         * entity stored before this rule can be ended. */
        if (x->action == AP_REDUCTION_SET && x->reduced_minutes_per_week == 0)
            return why_fail(why, len, "reduced_minutes_per_week is 0: that is an exemption, not a reduction");
        /* LAB § 105 a stk. 2: a concrete, individual assessment, noted in the journal. */
        if (x->action == AP_REDUCTION_SET && !x->journal_ref[0])
            return why_fail(why, len, "reduction without journal_ref (the assessment is noted in the journal)");
        /* Whole minutes per working day, so a fifth of the week is exact. */
        if (x->reduced_minutes_per_week % 5) return why_fail(why, len, "reduced_minutes_per_week must be a multiple of 5");
        if (!valid_day(x->valid_from) || !valid_day(x->assessed_on)) return why_fail(why, len, "reduction dates out of range");
        if (x->valid_to != AP_NO_DATE && (!valid_day(x->valid_to) || x->valid_to < x->valid_from))
            return why_fail(why, len, "reduction valid_to before valid_from");
        /* LAB § 105 a stk. 2: assessed against the specific activities. */
        if (x->n_assessed == 0) return why_fail(why, len, "reduction names no assessed placements");
        /* What each assessed placement was at the assessment: one of the named ones. */
        for (uint32_t i = 0; i < x->n_assessed_detail && i < AP_MAX_ASSESSED; i++) {
            const ap_assessed_t *a = &x->assessed_placements[i];
            if (ap_events_looks_like_cpr(a->placement_id)) return pii_fail(why, len, "assessed_placements");
            int named = 0;
            for (uint32_t k = 0; k < x->n_assessed && k < AP_MAX_ASSESSED && !named; k++)
                named = strcmp(a->placement_id, x->assessed_placement_ids[k]) == 0;
            if (!named) return why_fail(why, len, "assessed_placements names a placement not in assessed_placement_ids");
            if (a->planned_minutes_per_week < 0 || a->planned_minutes_per_week > 7 * 24 * 60)
                return why_fail(why, len, "assessed_placements planned_minutes_per_week outside 0..10080");
        }
        return 0;
    }
    case AP_EV_COVERAGE: {
        const ap_coverage_t *x = &ev->u.coverage;
        if ((rc = validate_header(&x->h, why, len))) return rc;
        if (!x->coverage_id[0]) return why_fail(why, len, "coverage_id is empty");
        if (NO_CPR(x, coverage_texts)) return -2;
        if (!valid_day(x->from_date)) return why_fail(why, len, "coverage from_date out of range");
        if (x->to_date != AP_NO_DATE && (!valid_day(x->to_date) || x->to_date < x->from_date))
            return why_fail(why, len, "coverage to_date before from_date");
        /* An exit is where the citizen went when the period ended. */
        if (x->end_reason >= 0 && x->to_date == AP_NO_DATE) return why_fail(why, len, "coverage end_reason without to_date");
        /* Coverage follows the benefit: the benefit starts on or before it
         * (long before 2014 for some, so only 1970 bounds it below). */
        if (x->benefit_start_date != AP_NO_DATE && (x->benefit_start_date < 0 || x->benefit_start_date > x->from_date))
            return why_fail(why, len, "coverage benefit_start_date out of range or after from_date");
        return 0;
    }
    case AP_EV_SANCTION: {
        /* docs/monitoring-design.md §1.4: a decision on record, dated. */
        const ap_sanction_t *x = &ev->u.sanction;
        if ((rc = validate_header(&x->h, why, len))) return rc;
        if (!x->sanction_id[0]) return why_fail(why, len, "sanction_id is empty");
        if (NO_CPR(x, sanction_texts)) return -2;
        if (!x->journal_ref[0]) return why_fail(why, len, "sanction without journal_ref (the decision is noted in the journal)");
        if (!valid_day(x->decision_date)) return why_fail(why, len, "sanction decision_date out of range");
        if (x->effective_from != AP_NO_DATE && !valid_day(x->effective_from))
            return why_fail(why, len, "sanction effective_from out of range");
        return 0;
    }
    case AP_EV_TICK:
        if (!is_uuid(ev->u.tick.event_id)) return why_fail(why, len, "event_id is not a UUID");
        if (ev->u.tick.occurred_at <= 0) return why_fail(why, len, "tick occurred_at missing");
        return 0;
    default: return why_fail(why, len, "not an input event");
    }
}

const char *ap_activity_kind_name(int32_t k) { return k >= 0 && k < AP_ACT_COUNT ? activity_kinds[k] : "?"; }
const char *ap_status_name(int32_t s) { return s >= 0 && s < NSYM(statuses) ? statuses[s] : "?"; }
const char *ap_alert_code_name(int32_t c) { return c >= 0 && c < NSYM(alert_codes) ? alert_codes[c] : "?"; }

int32_t ap_exemption_kind_canonical(int32_t k) {
    return k == AP_EXEMPT_EARLY_RETIREMENT_TARGET ? AP_EXEMPT_FOERTIDSPENSION_TARGET : k;
}

const char *ap_exemption_kind_name(int32_t k) {
    k = ap_exemption_kind_canonical(k);
    return k >= 0 && k < NSYM(exemption_kinds) ? exemption_kinds[k] : "?";
}
