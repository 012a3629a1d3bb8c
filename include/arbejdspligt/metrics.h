/*
 * metrics.h - what ap-processor tells an operator, as Prometheus text
 * (exposition format 0.0.4): a snapshot of the processor's counters, stage
 * time histograms, input positions and lag, stream-clock age, Redis round
 * trips and cache use, and readiness. Pure: the snapshot is filled by the
 * service (health.h serves it), formatting does no I/O.
 *
 * No personal data: labels are topics, partitions, dead-letter reasons and
 * stages, never a citizen or an event.
 *
 * Ownership: the caller owns the snapshot and the output buffer.
 */
#ifndef AP_METRICS_H
#define AP_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "arbejdspligt/buf.h"

/* Finite upper bounds of the stage-time histograms (microseconds); an
 * observation above the last falls in +Inf only. */
#define AP_METRICS_BUCKETS 12
extern const uint32_t ap_metrics_bucket_us[AP_METRICS_BUCKETS];

/* A latency histogram: counts per bucket (not cumulative; the last is +Inf). */
typedef struct ap_histogram {
    uint64_t counts[AP_METRICS_BUCKETS + 1];
    uint64_t sum_us;
} ap_histogram_t;

void ap_histogram_observe(ap_histogram_t *h, uint64_t us);

/* The cycle's stages (processor.h): decode and apply, evaluation, waiting
 * for output acknowledgement, the Redis transaction. */
enum { AP_STAGE_APPLY, AP_STAGE_EVALUATE, AP_STAGE_FLUSH, AP_STAGE_COMMIT, AP_STAGES };

/* Dead-letter reasons counted (events.h: AP_DL_*). */
#define AP_METRICS_DL_REASONS 16

#define AP_METRICS_MAX_INPUTS 256
#define AP_METRICS_TOPIC_CAP 128

/* One input topic-partition: where the consumer is and how far behind. */
typedef struct ap_metrics_input {
    char topic[AP_METRICS_TOPIC_CAP];
    int32_t partition;
    int64_t position; /* next offset to read, -1 unknown */
    int64_t end;      /* the broker's high watermark as last seen, -1 unknown */
} ap_metrics_input_t;

/* One input partition's stream clock. */
typedef struct ap_metrics_clock {
    int32_t partition;
    int64_t watermark_ms; /* the smallest last tick over the input topics, 0 if none */
} ap_metrics_clock_t;

typedef struct ap_metrics_snapshot {
    /* Processor counters (processor.h). */
    uint64_t applied, duplicates, superseded, dead_letters, ticks, weeks_closed, results, alerts, cycles;
    uint64_t months_evaluated, monitoring_records;
    uint64_t dead_letters_by_reason[AP_METRICS_DL_REASONS];
    ap_histogram_t stage[AP_STAGES];
    /* Redis (store_redis.h). */
    uint64_t redis_round_trips, cache_hits, cache_misses;
    /* Consumer. */
    int assigned;               /* partitions assigned now */
    size_t n_inputs;
    ap_metrics_input_t inputs[AP_METRICS_MAX_INPUTS];
    size_t n_clocks;
    ap_metrics_clock_t clocks[AP_METRICS_MAX_INPUTS];
    int64_t now_ms;             /* wall clock when taken, for the clocks' age */
    /* Health. */
    int ready;                  /* what /readyz answers */
    double retrying_s;          /* how long the current retry has lasted, 0 if none */
    double start_time_s;        /* process start, Unix seconds */
    const char *version;        /* ap_events_engine_version() */
} ap_metrics_snapshot_t;

/**
 * @brief Appends the snapshot to out in Prometheus text format (HELP, TYPE,
 * then samples, every family once). Label values are escaped.
 */
void ap_metrics_format(const ap_metrics_snapshot_t *m, ap_buf_t *out);

#endif
