/*
 * processor.h - the event pipeline of ap-processor: decode, validate, apply to
 * the store, close weeks on the stream clock, evaluate the rules, emit
 * compliance results, alerts and dead letters.
 *
 * Time comes from the stream, never from the wall clock: input producers (or
 * a scheduler, see `apctl tick`) write StreamTick records to every partition
 * of every input topic, promising that nothing older follows. A partition's
 * watermark is the smallest last tick over the three input topics; week W
 * closes on partition N when the watermark passes W's end (Sunday 24:00
 * Europe/Copenhagen) plus the grace period. Then every citizen registered on
 * the partition gets a result for W, also citizens with no events that week.
 * An event for an already closed week re-evaluates that week and emits a
 * new revision if the result changed. Calendar months close the same way,
 * with the week holding their last day, and give the monthly monitoring
 * partials (monitoring.h); a change to a closed week of a closed month
 * re-evaluates the month and revises the partials that changed.
 *
 * Delivery guarantee: a cycle (1) applies the events, each atomically with
 * its dedup mark; (2) evaluates and produces outputs and waits until Kafka
 * acknowledges them; (3) records, in one Redis transaction, what was emitted,
 * the partition clocks and the input positions after the cycle (the store
 * owns the offsets, see intake.h). A crash anywhere before (3) leaves the
 * position before the cycle, so its records come again: applying them is a
 * no-op, the evaluations they trigger are redone, and outputs emitted again
 * carry the same derived event ids, so consumers can drop repeats. Nothing
 * is lost and no input is counted twice.
 *
 * Lineage: every result lists the input records behind it (topic,
 * partition, offset, event id): the current version of every coverage
 * period, placement, exemption and reduction in force during the week or the
 * week after it (the rules look one week ahead), and every hours report dated
 * in the week, sorted by topic, partition and offset.
 *
 * Ownership: the processor borrows the store and the output's context (they
 * must outlive it); records passed in are read only during the call.
 */
#ifndef AP_PROCESSOR_H
#define AP_PROCESSOR_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "arbejdspligt/metrics.h"
#include "arbejdspligt/output.h"
#include "arbejdspligt/store.h"

/* Input topic kinds; a tick's kind is the topic it arrived on. */
enum { AP_TOPIC_PLACEMENT, AP_TOPIC_HOURS, AP_TOPIC_EXEMPTION, AP_TOPIC_KINDS };

#define AP_TOPIC_CAP 128
/* Largest batch handed to ap_processor_process. */
#define AP_PROCESSOR_MAX_BATCH 2048

typedef struct ap_processor_config {
    char input_topics[AP_TOPIC_KINDS][AP_TOPIC_CAP];
    char compliance_topic[AP_TOPIC_CAP];
    char alerts_topic[AP_TOPIC_CAP];
    char dead_letter_topic[AP_TOPIC_CAP];
    /* Optional outputs ("" : off). JSON mirrors: every result and alert also
     * as one JSON object (what `apctl consume` prints), same key, for tools
     * without Avro. Latest: every result also keyed "<citizen>|<YYYY-Www>",
     * for a compacted topic that keeps each citizen-week's latest revision. */
    char compliance_json_topic[AP_TOPIC_CAP];
    char alerts_json_topic[AP_TOPIC_CAP];
    char latest_topic[AP_TOPIC_CAP];
    /* Monthly monitoring (issue 16 §2, README Monitoring): MonitoringPartial
     * records per municipality and calendar month, "" : off. Months from
     * monitoring_first_month (YYYYMM) close on the stream clock; like
     * dedup_horizon_weeks, a replay must use the live run's value. */
    char monitoring_topic[AP_TOPIC_CAP];
    int32_t monitoring_first_month;
    /* Partition count of each input topic: a record not on partition
     * murmur2(key) mod count is a WRONG_PARTITION dead letter (partition.h).
     * 0: unknown, no record is checked (only an export written before the
     * counts were recorded, replayed without replay.partitions). */
    int32_t partitions[AP_TOPIC_KINDS];
    int grace_days;        /* a week closes this many days after it ends */
    /* Applied event ids are remembered for this many closed weeks at least
     * (twice as many at most) and then forgotten; 0: kept for good. See
     * ap_store_generation. Part of what a run computes: a replay must use
     * the live run's value to give the same dead letters. */
    int dedup_horizon_weeks;
    int flush_timeout_ms;  /* how long to wait for output acknowledgement */
    /* Key of the HMAC-SHA256 that a dead letter withheld for personal data
     * carries instead of the record (dead_letter.hash_key_file); length 0:
     * no hash, the source topic, partition and offset alone locate it. */
    unsigned char dead_letter_hash_key[64];
    size_t dead_letter_hash_key_len;
    /* NULL, or where a long evaluation (a close of many weeks) shows it is
     * alive, as ap_log_monotonic_s() * 1000 every 256 weeks evaluated: the
     * pump's heartbeat, which feeds systemd's watchdog (pump.h). */
    _Atomic int64_t *heartbeat_ms;
} ap_processor_config_t;

/* One consumed input record (a view; nothing is owned). */
typedef struct ap_record {
    const char *topic;
    int32_t partition;
    int64_t offset;
    int64_t timestamp;
    const void *key;
    size_t keylen;
    const void *payload;
    size_t len;
} ap_record_t;

typedef struct ap_processor_stats {
    uint64_t applied, duplicates, superseded, dead_letters, ticks;
    uint64_t results, alerts, weeks_closed;
    uint64_t months_evaluated, monitoring_records;
    uint64_t cycles;
    uint64_t fenced; /* cycles refused because another instance claimed a partition (AP_PROCESSOR_FENCED) */
    /* Monotonic time spent per stage, in microseconds (for tuning; never
     * part of a result): decode and apply, evaluation at ticks, waiting for
     * output acknowledgement, the cycle transaction. */
    uint64_t us_apply, us_evaluate, us_flush, us_commit;
    /* The same per cycle, as histograms (metrics.h: AP_STAGE_*). */
    ap_histogram_t stage[AP_STAGES];
    uint64_t dead_letters_by_reason[AP_METRICS_DL_REASONS]; /* by AP_DL_* */
} ap_processor_stats_t;

typedef struct ap_processor ap_processor_t;

ap_processor_t *ap_processor_create(const ap_processor_config_t *cfg, ap_store_t *store, ap_output_t output);
void ap_processor_destroy(ap_processor_t *p);

/* ap_processor_process's answer when the store refused a write because
 * another instance has claimed one of the cycle's partitions since this one
 * did (store.h, fencing). */
#define AP_PROCESSOR_FENCED (-2)

/**
 * @brief Records the epoch this instance now holds input partition
 * `partition` under (ap_store_claim, when the partition is assigned): every
 * later write to its state carries it and is refused once another instance
 * claims the partition. Partitions never owned are written unfenced.
 */
void ap_processor_own(ap_processor_t *p, int32_t partition, int64_t epoch);

/**
 * @brief Processes records[0..n) as one cycle. Weeks close on StreamTicks;
 * the cycle goes on past a tick, so ticks of several partitions share one
 * acknowledgement wait, but once a partition's tick has evaluated something
 * its later records are left for the next cycle (what the evaluation wrote
 * at the cycle's end must be seen first). Each partition's records are taken
 * in their order, so for every topic-partition the records taken come
 * before those left.
 * On return records[0..*consumed) are the records taken, in the order they
 * were processed, and records[*consumed..n) those left, in their order;
 * tags (NULL, or n caller values, e.g. the messages) are moved alongside.
 * @return 0 when the taken records' effects are durable and their offsets
 *         may be committed; -1 on a retryable failure (Redis or Kafka down):
 *         commit nothing, and calling again with the same records is safe;
 *         AP_PROCESSOR_FENCED when another instance owns one of the
 *         partitions now: nothing of the cycle was recorded past the refused
 *         write, commit nothing and do not retry (this instance lost the
 *         partition; rejoin and wait for the next assignment).
 */
int ap_processor_process(ap_processor_t *p, ap_record_t *records, size_t n, size_t *consumed, void **tags, char *err,
                         size_t errlen);

/** @brief Running totals since create. */
const ap_processor_stats_t *ap_processor_stats(const ap_processor_t *p);

/**
 * @brief The stream clocks of the partitions this processor has seen:
 * partitions[i] and its watermark (the smallest last tick over the input
 * topics, 0 if a topic has none yet), at most max. @return how many.
 */
size_t ap_processor_watermarks(const ap_processor_t *p, int32_t *partitions, int64_t *watermarks, size_t max);

/**
 * @brief Evaluates one citizen-week from the store now, with the rules a
 * week close uses, without emitting or recording anything (`apctl status`:
 * where a citizen stands mid-week). The result is provisional: `final` is
 * false, `revision` is the last emitted revision of that week (0 if none),
 * `closed_at` is now_ms, and its event ids are not those of any emitted
 * record. lineage (AP_MAX_INPUTS entries) backs eval->result.inputs.
 * @return 0, or -1 with err set (store error).
 */
int ap_processor_evaluate_now(ap_store_t *store, const char *citizen, int32_t monday, int64_t now_ms,
                              ap_week_eval_t *eval, ap_input_ref_t *lineage, char *err, size_t errlen);

#endif
