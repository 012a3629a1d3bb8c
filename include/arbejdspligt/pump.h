/*
 * pump.h - the consume-process loop shared by ap-processor and ap-replay:
 * polls the intake, hands records to the processor, retries failed cycles,
 * reconnects to the store and rewinds the consumer to the stored positions
 * after the store was lost, and recreates a consumer that failed fatally.
 *
 * Where a partition starts when the store has no position for it: at
 * `start_offset` (RD_KAFKA_OFFSET_BEGINNING by default), or, if
 * start_time_ms > 0, at the first record at or after that time (looked up
 * once, at create). A stored position always wins, so a restarted replay
 * resumes where it stopped.
 *
 * Ownership: the pump owns its intake (consumer); it borrows the store,
 * the processor and the run flag, which must outlive it.
 */
#ifndef AP_PUMP_H
#define AP_PUMP_H

#include <signal.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "arbejdspligt/intake.h"
#include "arbejdspligt/processor.h"
#include "arbejdspligt/store.h"

/* What the pump is doing, for a health endpoint that reads it from another
 * thread while the pump may be blocked retrying (health.h). The pump only
 * writes it. Times are ap_log_monotonic_s() * 1000. */
typedef struct ap_pump_status {
    _Atomic int64_t retrying_since_ms; /* when the failing cycle or store wait began; 0 if none */
    _Atomic int64_t last_poll_ms;      /* the last poll of the consumer */
    _Atomic int assigned;              /* input partitions assigned now */
    _Atomic unsigned long assignments; /* assignments served (0: not yet in the group) */
} ap_pump_status_t;

typedef struct ap_pump_config {
    const ap_kafka_conn_t *kafka; /* borrowed: brokers, TLS, SASL (kafka.h) */
    const char *group_id;
    const char *instance_id; /* "" for a dynamic member */
    int session_timeout_ms;
    const char *topics[AP_INTAKE_TOPICS];
    size_t batch_size;       /* records per poll, at most AP_PROCESSOR_MAX_BATCH */
    int64_t start_offset;    /* for partitions without a stored position */
    int64_t start_time_ms;   /* > 0: start there instead (offsets for times) */
    int queue_kib;           /* librdkafka's prefetch bound, 0: its default here (see intake.h) */
    /* The input topics' partition count the processor checks records
     * against (processor.h), 0: not watched. After every assignment the pump
     * reads the counts again; if any changed (partitions added), it stops:
     * the stored state is partitioned by the old count (README
     * Co-partitioning), and ap_pump_stopped() says why. */
    int32_t partitions;
    ap_pump_status_t *status; /* NULL, or where the pump reports what it does (borrowed) */
} ap_pump_config_t;

/** @brief Called after a cycle failed for a reason other than the store (e.g. to recreate a producer). */
typedef void (*ap_pump_recover_fn)(void *ctx);

typedef struct ap_pump ap_pump_t;

/** @return the pump (its consumer subscribed), or NULL with err set; *run == 0 makes it give up waiting. */
ap_pump_t *ap_pump_create(const ap_pump_config_t *cfg, ap_store_t *store, ap_processor_t *proc,
                          volatile sig_atomic_t *run, ap_pump_recover_fn recover, void *recover_ctx, char *err,
                          size_t errlen);

/**
 * @brief Polls once (waiting up to timeout_ms) and processes what came, retrying
 * failed cycles until they succeed or *run becomes 0.
 * @return records processed (0 if none came), or -1 when stopping.
 */
long ap_pump_step(ap_pump_t *p, int timeout_ms);

/**
 * @brief Records the current end offsets of every input partition; ap_pump_at_end
 * then tells when the consumer has read up to them. @return 0 or -1 with err.
 */
int ap_pump_mark_end(ap_pump_t *p, char *err, size_t errlen);
/** @return 1 when every input partition has been read up to its marked end. */
int ap_pump_at_end(ap_pump_t *p);

/**
 * @brief The services' retry pause: sleeps *ms, then doubles it up to 5 s
 * (quick after a blip, gentle in an outage).
 */
void ap_pump_backoff(int *ms);

/**
 * @return 1 (with err set) if the pump stopped for good because the input
 * topics' partition counts changed under it (see ap_pump_config_t), else 0.
 */
int ap_pump_stopped(const ap_pump_t *p, char *err, size_t errlen);

/** @return the consumer handle, for positions and watermarks (the pump keeps owning it; it changes when the consumer is recreated). */
rd_kafka_t *ap_pump_consumer(ap_pump_t *p);

/** @brief Leaves the group and frees the consumer. */
void ap_pump_destroy(ap_pump_t *p);

#endif
