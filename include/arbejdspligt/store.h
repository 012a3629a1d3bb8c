/*
 * store.h - the state-store interface: per-citizen state, partition clocks,
 * emitted-result records and input positions, behind one set of calls that
 * the processor uses. Two implementations:
 *   store_redis.h   Redis (hiredis), for the services: durable, shared.
 *   store_memory.h  in-process hash tables, for offline replay and tests.
 * Both give the same answers for the same calls (tests/unit/test_store_contract.c
 * runs one contract against both), which is what makes live, replayed and
 * offline results byte-identical.
 *
 * What is stored (per citizen): the ids of applied events (dedup); the current
 * version of every coverage period, placement, exemption, reduction and
 * sanction (sanctions are kept for the monthly monitoring; the weekly rules
 * ignore them, docs/monitoring-design.md §1.4); hours
 * reports by ISO week, with an index of the week each report is in; and per
 * week the revision and digest of the last emitted result. Per input
 * partition: the stream clock, the citizens seen, the "dirty" closed weeks
 * changed since their last evaluation, and the next offset of each input topic.
 * Every stored entity keeps the input record it came from (topic, partition,
 * offset, event id): the lineage of the results evaluated from it.
 *
 * Every event of one citizen arrives on the same input partition (Kafka
 * partitions by key, and the processor dead-letters a record whose key is not
 * its citizen id); the Redis store keeps its dedup set and report index per
 * partition and relies on it.
 *
 * Delivery guarantee: applying an event and recording its id as applied are
 * one atomic step, so a redelivered event changes nothing (an id is recorded
 * with a digest of the record's bytes: the same id with other bytes is not a
 * redelivery but a conflict, and changes nothing either); and an entity only
 * moves to a newer version (recorded_at, then event id), so the state is the
 * same whatever order the events arrive in.
 *
 * The applied ids are bounded by dedup generations (ap_store_generation):
 * an id is remembered while its partition's generation is at most one past
 * the one it was applied in, then forgotten. A redelivery after that still
 * changes nothing, because the entity it would write already holds that
 * version or a newer one: it is counted as superseded instead of duplicate.
 * What is lost is only the ID_CONFLICT check for ids reused after the horizon
 * (such a record is then judged by its version alone). Entities themselves
 * (the state) are never forgotten this way.
 *
 * Partition ownership (fencing, README "Partition ownership"): a processor
 * that is assigned input partition N takes it with ap_store_claim(), which
 * moves N's epoch on by one and returns the new value, and passes that epoch
 * with every write to N's state (ap_store_apply_fenced, the fences of
 * ap_store_commit). A write whose epoch is no longer N's current one changes
 * nothing and returns AP_STORE_FENCED: another instance has claimed N since
 * (this one was paused or cut off past its session timeout and has lost
 * the partition). Epoch 0 is "unfenced": offline replays and tools that own
 * their namespace alone write without claiming.
 *
 * Ownership: an ap_store_t comes from an implementation's constructor and is
 * released with ap_store_destroy(). Errors are returned as -1 with the text
 * in ap_store_error(); after an error call ap_store_reconnect() before reuse.
 * A refused stale write returns AP_STORE_FENCED (-2) instead: the
 * connection is fine, but retrying the write can never succeed.
 * Lists returned to the caller are the caller's (see each call).
 */
#ifndef AP_STORE_H
#define AP_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "arbejdspligt/events.h"
#include "arbejdspligt/rules.h"

typedef struct ap_store ap_store_t;

/* Returned by a write whose partition epoch is stale (see above): nothing
 * was written, and the caller no longer owns the partition. */
#define AP_STORE_FENCED (-2)

/* The epoch a write to one input partition's state is made under
 * (ap_store_claim); the write is refused unless it is still current. */
typedef struct ap_store_fence {
    int32_t partition;
    int64_t epoch;
} ap_store_fence_t;

typedef enum ap_apply_outcome {
    AP_APPLY_DUPLICATE = 0,  /* event id seen before: nothing changed */
    AP_APPLY_APPLIED = 1,    /* entity created or moved to this version */
    AP_APPLY_SUPERSEDED = 2, /* recorded as seen; a newer version was already there */
    AP_APPLY_LIMIT = 3,      /* would exceed AP_MAX_ENTITIES (AP_MAX_HOURS_PER_WEEK for a
                                week's hours): not applied, not marked */
    AP_APPLY_CONFLICT = 4    /* event id applied before with other content (bytes):
                                nothing changed; a publisher's bug to report */
} ap_apply_outcome_t;

/* Reusable decoding space for one citizen's state in one week; src[i] is
 * where entity i came from. */
typedef struct ap_citizen_state {
    ap_coverage_t coverage[AP_MAX_ENTITIES];
    ap_placement_t placements[AP_MAX_ENTITIES];
    ap_exemption_t exemptions[AP_MAX_ENTITIES];
    ap_reduction_t reductions[AP_MAX_ENTITIES];
    ap_sanction_t sanctions[AP_MAX_ENTITIES];
    ap_hours_t hours[AP_MAX_HOURS_PER_WEEK];
    ap_input_ref_t coverage_src[AP_MAX_ENTITIES];
    ap_input_ref_t placements_src[AP_MAX_ENTITIES];
    ap_input_ref_t exemptions_src[AP_MAX_ENTITIES];
    ap_input_ref_t reductions_src[AP_MAX_ENTITIES];
    ap_input_ref_t sanctions_src[AP_MAX_ENTITIES];
    ap_input_ref_t hours_src[AP_MAX_HOURS_PER_WEEK];
} ap_citizen_state_t;

/* Where each entity of an ap_week_input_t came from (arrays parallel to it). */
typedef struct ap_week_sources {
    const ap_input_ref_t *coverage, *placements, *hours, *exemptions, *reductions;
    const ap_input_ref_t *sanctions; /* never a result's lineage: the rules do not read sanctions */
} ap_week_sources_t;

/* Stream clock of one input partition (see processor.h). */
typedef struct ap_partition_clock {
    int64_t tick[3];       /* last tick per input topic kind, 0 if none */
    int32_t first_monday;  /* earliest week any event touched, AP_NO_DATE if none */
    int32_t closed_monday; /* last closed week, AP_NO_DATE if none */
    int32_t closed_month;  /* last closed calendar month (monitoring), YYYYMM; 0 if none */
} ap_partition_clock_t;

typedef struct ap_result_record {
    int32_t revision; /* 0: never emitted */
    uint64_t digest;
} ap_result_record_t;

/* The closed weeks of the event's partition that a change may revise:
 * Mondays from..to (empty if from > to, when no week has closed). */
typedef struct ap_store_dirty {
    int32_t from_monday, to_monday;
} ap_store_dirty_t;

/* Most weeks one change marks dirty: a period open for years revises only
 * the last ten years of closed weeks. */
#define AP_STORE_MAX_LATE_WEEKS 520

/* One validated input event to apply. */
typedef struct ap_store_item {
    const ap_event_t *event;
    ap_bytes_t encoded;     /* its single-object bytes (what is stored) */
    ap_store_dirty_t dirty; /* closed weeks: those the change touches are marked dirty (see ap_store_apply) */
    const char *topic;      /* where it was read (lineage); partition is the call's */
    int64_t offset;
} ap_store_item_t;

/* The next offset to read of one input topic-partition. */
typedef struct ap_store_position {
    const char *topic;
    int32_t partition;
    int64_t next;
} ap_store_position_t;

/* A partition clock to write. */
typedef struct ap_store_clock {
    int32_t partition;
    ap_partition_clock_t clock;
} ap_store_clock_t;

/* A dirty mark that has been evaluated and can be cleared. */
typedef struct ap_store_evaluated {
    const char *citizen;
    int32_t monday;
    int32_t partition;
} ap_store_evaluated_t;

/* An emitted result to record: (citizen, week) -> revision and digest. */
typedef struct ap_store_result {
    const char *citizen;
    int32_t monday;
    ap_result_record_t rec;
} ap_store_result_t;

/* An emitted monitoring partial to record: (partition, month, municipality)
 * -> revision and digest, as ap_store_result_t is for a citizen-week. */
typedef struct ap_store_month_result {
    int32_t partition;
    int32_t month;                       /* YYYYMM */
    char municipality_code[AP_MUNI_CAP]; /* "*": the partition's lane record */
    ap_result_record_t rec;
} ap_store_month_result_t;

/* Everything one cycle records, in one atomic step (ap_store_commit). */
typedef struct ap_store_cycle {
    const ap_store_result_t *results;
    size_t n_results;
    const ap_store_clock_t *clocks;
    size_t n_clocks;
    const ap_store_position_t *positions;
    size_t n_positions;
    const ap_store_evaluated_t *evaluated;
    size_t n_evaluated;
    const ap_store_month_result_t *months;
    size_t n_months;
    /* The epoch of every partition whose state the cycle writes (none:
     * unfenced). One stale epoch refuses the whole cycle (AP_STORE_FENCED). */
    const ap_store_fence_t *fences;
    size_t n_fences;
} ap_store_cycle_t;

/** @brief Called by ap_store_load_weeks for each (citizen, week); return non-zero to stop. */
typedef int (*ap_store_week_fn)(void *ctx, size_t index, const ap_week_input_t *in, const ap_week_sources_t *src);

/* The operations an implementation provides (see the wrappers below). */
typedef struct ap_store_ops {
    const char *kind; /* "redis", "memory" */
    void (*destroy)(ap_store_t *s);
    int (*reconnect)(ap_store_t *s);
    int (*ping)(ap_store_t *s);
    int (*apply)(ap_store_t *s, const ap_store_item_t *items, size_t n, int32_t partition, int32_t generation,
                 int64_t epoch, int *outcomes);
    int (*dirty)(ap_store_t *s, int32_t partition, char ***citizens, int32_t **mondays, size_t *n);
    int (*load_weeks)(ap_store_t *s, const char *const *citizens, const int32_t *mondays, size_t n,
                      ap_citizen_state_t *scratch, ap_store_week_fn fn, void *ctx);
    int (*clock_get)(ap_store_t *s, int32_t partition, ap_partition_clock_t *out);
    int (*citizens)(ap_store_t *s, int32_t partition, char ***out, size_t *n);
    int (*results_get)(ap_store_t *s, const char *const *citizens, const int32_t *mondays, size_t n,
                       ap_result_record_t *out);
    int (*commit_cycle)(ap_store_t *s, const ap_store_cycle_t *cycle);
    int (*position_get)(ap_store_t *s, const char *topic, int32_t partition, int64_t *next);
    void (*invalidate)(ap_store_t *s); /* NULL: caches nothing */
    int (*month_results_get)(ap_store_t *s, int32_t partition, int32_t month, ap_store_month_result_t **out,
                             size_t *n);
    int (*claim)(ap_store_t *s, int32_t partition, int64_t *epoch);
} ap_store_ops_t;

/* Every implementation's struct starts with this. */
struct ap_store {
    const ap_store_ops_t *ops;
    char err[256];
};

void ap_store_destroy(ap_store_t *s);
/** @brief Drops and re-opens the connection, if there is one. @return 0 or -1. */
int ap_store_reconnect(ap_store_t *s);
const char *ap_store_error(const ap_store_t *s);
/** @brief Checks the store is usable. @return 0 or -1. */
int ap_store_ping(ap_store_t *s);
/** @return "redis" or "memory". */
const char *ap_store_kind(const ap_store_t *s);

/**
 * @brief The weeks whose evaluation an entity version can change, as
 * Mondays: an hours report its week's; a coverage period, placement,
 * exemption or reduction from the first week whose rules read its start
 * (week W reads days up to W + 14: the next week, and whether a placement
 * ending on its Sunday is followed, see rules.c) to the week it ends
 * (INT32_MAX if open-ended); a sanction the week of its decision_date only
 * (the month it counts in; docs/monitoring-design.md §1.4).
 */
void ap_store_event_span(const ap_event_t *ev, int32_t *from, int32_t *to);

/**
 * @brief The part of span from..to inside the closed weeks `closed`, at
 * most AP_STORE_MAX_LATE_WEEKS of them (the latest).
 * @return 1 with *lo..*hi set, or 0 if they do not meet.
 */
int ap_store_span_clip(int32_t from, int32_t to, ap_store_dirty_t closed, int32_t *lo, int32_t *hi);

/**
 * @brief The dedup generation of a partition whose last closed week starts on
 * closed_monday (AP_NO_DATE if none): 0 when nothing has closed or
 * horizon_weeks is 0 (ids are never forgotten), else 1 + the closed week's
 * number (weeks since 1970) / horizon_weeks. An id applied in generation g is
 * forgotten once the partition reaches g + 2, i.e. it is remembered for
 * between horizon_weeks + 1 and 2 * horizon_weeks closed weeks. A pure
 * function of the stream clock, so live and offline runs forget alike.
 */
int32_t ap_store_generation(int32_t closed_monday, int horizon_weeks);

/**
 * @brief Applies n validated input events in order, each atomically with its
 * dedup mark and, when it changes state, the dirty marks of the closed weeks
 * (items[i].dirty) that either the new version or the version it replaces
 * touches (ap_store_event_span): a change that moves, shortens or retracts
 * an entity revises the weeks it leaves as well as those it enters. Every
 * item, whatever its outcome, registers its citizen on input partition
 * `partition`. A duplicate changes nothing else and marks nothing.
 * `generation` is the partition's dedup generation (ap_store_generation of
 * its clock); the store keeps the largest it was given per partition and
 * uses that, so the generation never goes back. Ids applied in an older
 * generation than the one before it count as never applied.
 * @return 0 with outcomes[i] set, or -1 (nothing can be assumed applied; retry is safe).
 */
int ap_store_apply(ap_store_t *s, const ap_store_item_t *items, size_t n, int32_t partition, int32_t generation,
                   int *outcomes);

/**
 * @brief ap_store_apply under partition `partition`'s epoch `epoch` (from
 * ap_store_claim; 0: unfenced). The check and the writes are one atomic step.
 * @return 0 with outcomes[i] set; AP_STORE_FENCED if the epoch is no longer
 *         current (nothing applied, nothing marked; do not retry); or -1.
 */
int ap_store_apply_fenced(ap_store_t *s, const ap_store_item_t *items, size_t n, int32_t partition,
                          int32_t generation, int64_t epoch, int *outcomes);

/**
 * @brief Takes input partition `partition` for this caller: moves its epoch
 * on by one (the first claim gives 1) and returns the new one in *epoch.
 * From then on writes under an older epoch are refused (AP_STORE_FENCED).
 * Claim before reading the partition's positions and clock: every write of
 * the previous owner is then either visible to those reads or refused.
 * @return 0, or -1 (nothing claimed; retry).
 */
int ap_store_claim(ap_store_t *s, int32_t partition, int64_t *epoch);

/**
 * @brief Lists the dirty (citizen, week) pairs of a partition.
 * @return 0 with the arrays set (free citizens with ap_store_free_list, mondays with free), or -1.
 */
int ap_store_dirty(ap_store_t *s, int32_t partition, char ***citizens, int32_t **mondays, size_t *n);

/**
 * @brief Loads the week starting mondays[i] for each citizens[i] (all its
 * coverage, placements, exemptions, reductions, sanctions and that week's hours) and
 * calls fn with the decoded input and its sources. scratch is reused.
 * @return 0, or -1 on a store error or a corrupt stored record.
 */
int ap_store_load_weeks(ap_store_t *s, const char *const *citizens, const int32_t *mondays, size_t n,
                        ap_citizen_state_t *scratch, ap_store_week_fn fn, void *ctx);

/** @brief Reads a partition's clock (zero ticks, AP_NO_DATE weeks if none). @return 0 or -1. */
int ap_store_clock_get(ap_store_t *s, int32_t partition, ap_partition_clock_t *out);

/**
 * @brief Lists the citizens registered on a partition, sorted by strcmp (deterministic close order).
 * @return 0 with *out (free with ap_store_free_list) and *n, or -1.
 */
int ap_store_citizens(ap_store_t *s, int32_t partition, char ***out, size_t *n);
void ap_store_free_list(char **list, size_t n);

/** @brief Reads the last emitted result records for (citizen, monday) pairs ({0,0} if none). */
int ap_store_results_get(ap_store_t *s, const char *const *citizens, const int32_t *mondays, size_t n,
                         ap_result_record_t *out);

/**
 * @brief Ends a processing cycle atomically: clears the evaluated dirty
 * marks, records the emitted results, the changed partition clocks and the
 * new input positions. All or nothing: after a crash the positions never run
 * ahead of the state they describe.
 * @return 0, or -1 (nothing was written).
 */
int ap_store_commit_cycle(ap_store_t *s, const ap_store_result_t *results, size_t n_results,
                          const ap_store_clock_t *clocks, size_t n_clocks, const ap_store_position_t *positions,
                          size_t n_positions, const ap_store_evaluated_t *evaluated, size_t n_evaluated);
/**
 * @brief As ap_store_commit_cycle, with the monitoring partials emitted in
 * the cycle recorded in the same atomic step, all under the cycle's fences.
 * @return 0; AP_STORE_FENCED if a fence's epoch is no longer current
 *         (nothing was written; do not retry); or -1 (nothing was written,
 *         or, with the Redis store's redis.wait_replicas, written but not
 *         acknowledged by enough replicas: retry the cycle).
 */
int ap_store_commit(ap_store_t *s, const ap_store_cycle_t *cycle);

/**
 * @brief The monitoring partials recorded for one partition and month.
 * @return 0 with *out (the caller's, free() it) and *n set, or -1.
 */
int ap_store_month_results_get(ap_store_t *s, int32_t partition, int32_t month, ap_store_month_result_t **out,
                               size_t *n);

/** @brief Reads the stored next offset. @return 0 with *next set, 1 if none stored, -1 on error. */
int ap_store_position_get(ap_store_t *s, const char *topic, int32_t partition, int64_t *next);

/**
 * @brief Forgets whatever the store keeps in process about the stored state
 * (the Redis store's entity cache). Call when another writer may have changed
 * the store: when input partitions are assigned to this instance.
 */
void ap_store_invalidate(ap_store_t *s);

#endif
