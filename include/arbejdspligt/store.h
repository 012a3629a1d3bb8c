/*
 * store.h - per-citizen state in Redis (hiredis), the I/O shell around the
 * rules engine.
 *
 * Key layout (cluster-safe: every key of one citizen shares the hash tag
 * {c:<citizen_id>}, every key of one input partition shares {p:<n>}):
 *   <prefix>:{c:ID}:applied      SET   event ids already applied (dedup)
 *   <prefix>:{c:ID}:cv|pl|ex|rd  HASH  coverage / placements / exemptions /
 *                                       reductions: entity id -> version+record
 *   <prefix>:{c:ID}:h:<monday>   HASH  hours reports of one ISO week
 *   <prefix>:{c:ID}:hx           HASH  report id -> key of the week holding it
 *   <prefix>:{c:ID}:res          HASH  monday -> "revision:digest" of the last
 *                                       emitted result for that week
 *   <prefix>:{p:N}:clock         HASH  stream clock of input partition N
 *   <prefix>:{p:N}:citizens      SET   citizens seen on partition N
 *   <prefix>:{p:N}:dirty         SET   "citizen|monday" of closed weeks changed
 *                                       since their last evaluation (next tick)
 *   <prefix>:{p:N}:offsets       HASH  input topic -> next offset to read on
 *                                       partition N (the position owned by the store)
 *
 * Delivery guarantee decided here: applying an event and recording its id as
 * applied happen in one Lua script, so a redelivered event changes nothing;
 * and an entity only moves to a newer version (recorded_at, then event id),
 * so the state is the same whatever order the events arrive in.
 *
 * Ownership: ap_store_t is created by ap_store_connect() and released by
 * ap_store_destroy(). Errors are returned as -1 with the text in
 * ap_store_error(); after an error, call ap_store_reconnect() before reuse.
 */
#ifndef AP_STORE_H
#define AP_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "arbejdspligt/events.h"
#include "arbejdspligt/rules.h"

typedef struct ap_store ap_store_t;

typedef enum ap_apply_outcome {
    AP_APPLY_DUPLICATE = 0,  /* event id seen before: nothing changed */
    AP_APPLY_APPLIED = 1,    /* entity created or moved to this version */
    AP_APPLY_SUPERSEDED = 2, /* recorded as seen; a newer version was already there */
    AP_APPLY_LIMIT = 3       /* would exceed AP_MAX_ENTITIES: not applied, not marked */
} ap_apply_outcome_t;

/* Reusable decoding space for one citizen's state in one week. */
typedef struct ap_citizen_state {
    ap_coverage_t coverage[AP_MAX_ENTITIES];
    ap_placement_t placements[AP_MAX_ENTITIES];
    ap_exemption_t exemptions[AP_MAX_ENTITIES];
    ap_reduction_t reductions[AP_MAX_ENTITIES];
    ap_hours_t hours[AP_MAX_HOURS_PER_WEEK];
} ap_citizen_state_t;

/* Stream clock of one input partition (see processor.h). */
typedef struct ap_partition_clock {
    int64_t tick[3];       /* last tick per input topic kind, 0 if none */
    int32_t first_monday;  /* earliest week any event touched, AP_NO_DATE if none */
    int32_t closed_monday; /* last closed week, AP_NO_DATE if none */
} ap_partition_clock_t;

typedef struct ap_result_record {
    int32_t revision; /* 0: never emitted */
    uint64_t digest;
} ap_result_record_t;

ap_store_t *ap_store_connect(const char *host, int port, const char *prefix, int timeout_ms, char *err, size_t errlen);
void ap_store_destroy(ap_store_t *s);
/** @brief Drops and re-opens the connection (and reloads scripts). @return 0 or -1. */
int ap_store_reconnect(ap_store_t *s);
const char *ap_store_error(const ap_store_t *s);
/** @brief Checks the connection. @return 0 if Redis answers, -1 if not. */
int ap_store_ping(ap_store_t *s);

/* Closed weeks an event changes: Mondays from..to (empty if from > to). */
typedef struct ap_store_dirty {
    int32_t from_monday, to_monday;
} ap_store_dirty_t;

/**
 * @brief Applies n validated input events, pipelined, each atomically with
 * its dedup mark and, when it changes state, the dirty marks of the closed
 * weeks it touches (dirty[i]); registers each citizen on input partition
 * `partition`. encoded[i] holds event i's single-object bytes (what is stored).
 * A duplicate changes nothing and marks nothing.
 * @return 0 with outcomes[i] set, or -1 (nothing can be assumed applied; retry is safe).
 */
int ap_store_apply(ap_store_t *s, const ap_event_t *const *events, const ap_bytes_t *encoded,
                   const ap_store_dirty_t *dirty, size_t n, int32_t partition, int *outcomes);

/**
 * @brief Lists the dirty (citizen, week) pairs of a partition.
 * @return 0 with the arrays set (free citizens with ap_store_free_list, mondays with free), or -1.
 */
int ap_store_dirty(ap_store_t *s, int32_t partition, char ***citizens, int32_t **mondays, size_t *n);

/** @brief Called by ap_store_load_weeks for each citizen; return non-zero to stop. */
typedef int (*ap_store_week_fn)(void *ctx, size_t index, const ap_week_input_t *in);

/**
 * @brief Loads the week starting `monday` for each citizen (pipelined) and
 * calls fn with the decoded input. scratch is reused for every citizen.
 * @return 0, or -1 on a store error or a corrupt stored record.
 */
int ap_store_load_weeks(ap_store_t *s, const char *const *citizens, const int32_t *mondays, size_t n,
                        ap_citizen_state_t *scratch, ap_store_week_fn fn, void *ctx);

int ap_store_clock_get(ap_store_t *s, int32_t partition, ap_partition_clock_t *out);

/**
 * @brief Lists the citizens registered on a partition, sorted (deterministic close order).
 * @return 0 with *out (free with ap_store_free_list) and *n, or -1.
 */
int ap_store_citizens(ap_store_t *s, int32_t partition, char ***out, size_t *n);
void ap_store_free_list(char **list, size_t n);

/** @brief Reads the last emitted result records for (citizen, monday) pairs, pipelined. */
int ap_store_results_get(ap_store_t *s, const char *const *citizens, const int32_t *mondays, size_t n,
                         ap_result_record_t *out);
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

/**
 * @brief Ends a processing cycle in one MULTI/EXEC transaction: the emitted
 * result records, the changed partition clocks, the new input positions and
 * the cleared dirty marks.
 * Redis writes a transaction to its AOF whole or not at all, so after any
 * crash the positions never run ahead of the state they describe.
 * @return 0, or -1 (nothing was written).
 */
int ap_store_commit_cycle(ap_store_t *s, const char *const *citizens, const int32_t *mondays,
                          const ap_result_record_t *recs, size_t n_results, const ap_store_clock_t *clocks,
                          size_t n_clocks, const ap_store_position_t *positions, size_t n_positions,
                          const ap_store_evaluated_t *evaluated, size_t n_evaluated);

/** @brief Reads the stored next offset. @return 0 with *next set, 1 if none stored, -1 on error. */
int ap_store_position_get(ap_store_t *s, const char *topic, int32_t partition, int64_t *next);

#endif
