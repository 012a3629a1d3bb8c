/*
 * kafka.h - thin shell over librdkafka: producer and consumer set up the way
 * this project needs them, and a produce call that never drops a message.
 *
 * Delivery guarantees decided here:
 * - Producers are idempotent with acks=all, so a broker retry never writes a
 *   record twice, and they use the murmur2 partitioner (the Java client's), so
 *   records keyed by citizen_id land on the same partition number as any
 *   other murmur2 producer's: that co-partitioning is what lets one consumer
 *   own all of a citizen's events. Records written elsewhere (librdkafka's
 *   default CRC32 partitioner) are dead-lettered by the processor
 *   (partition.h, README Co-partitioning).
 * - The consuming side is intake.h: offsets are owned by the store there.
 *
 * Ownership: a producer returned by ap_kafka_producer_create() is destroyed
 * with rd_kafka_destroy() after ap_kafka_producer_drain().
 */
#ifndef AP_KAFKA_H
#define AP_KAFKA_H

#include <stddef.h>
#include <stdint.h>

#include <librdkafka/rdkafka.h>

#include "arbejdspligt/output.h"

/* Delivery outcome counters of a producer, updated by its delivery callback. */
typedef struct ap_kafka_delivery {
    uint64_t delivered;
    uint64_t failed;
    char last_error[256];
} ap_kafka_delivery_t;

/**
 * @brief Creates a producer. `delivery` (may be NULL) receives delivery
 * outcomes and must outlive the producer. extra is NULL or a NULL-terminated
 * list of key, value pairs of librdkafka settings.
 */
rd_kafka_t *ap_kafka_producer_create(const char *brokers, ap_kafka_delivery_t *delivery, const char *const *extra,
                                     char *err, size_t errlen);

/**
 * @brief Produces a copy of payload; waits (serving delivery reports) while
 * the local queue is full instead of dropping.
 * @return 0, or -1 with err set for a permanent error (unknown topic, too large).
 */
int ap_kafka_produce(rd_kafka_t *rk, const char *topic, int32_t partition, const void *key, size_t keylen,
                     const void *payload, size_t len, char *err, size_t errlen);

/**
 * @brief Looks up the metadata of topics[0..n) now, so that the first
 * message to each does not wait for it (measured: the first week close after
 * start-up waited 0.85 s for its results to be acknowledged).
 * @return 0, or -1 with err set (then the first produce looks them up, as usual).
 */
int ap_kafka_producer_warm(rd_kafka_t *rk, const char *const *topics, size_t n, int timeout_ms, char *err,
                           size_t errlen);

/** @brief Waits up to timeout_ms for every queued message to be delivered. @return messages still queued. */
int ap_kafka_producer_drain(rd_kafka_t *rk, int timeout_ms);

/* A producer as the processor's output (output.h). `rk` may be replaced
 * (after a fatal producer error) between cycles by its owner. */
typedef struct ap_kafka_output {
    rd_kafka_t *rk;
    ap_kafka_delivery_t *delivery;
    uint64_t failed_seen; /* delivery failures already reported */
} ap_kafka_output_t;

/** @return the output interface over ko (which the caller owns and keeps alive). */
ap_output_t ap_kafka_output(ap_kafka_output_t *ko);

/** @return the number of partitions of topic, or -1 with err set. */
int ap_kafka_partition_count(rd_kafka_t *rk, const char *topic, int timeout_ms, char *err, size_t errlen);

/**
 * @brief The low and high watermarks (first offset; next offset to be written)
 * of every partition of topic, into low[] and high[] (at most max entries).
 * @return the partition count, or -1 with err set.
 */
int ap_kafka_watermarks(rd_kafka_t *rk, const char *topic, int64_t *low, int64_t *high, int max, int timeout_ms,
                        char *err, size_t errlen);

/* How topics are created: the input topics are the audit record, so by
 * default nothing is deleted for age (retention.ms -1, README Security). */
typedef struct ap_kafka_topic_spec {
    int partitions;
    int replication_factor; /* 1 for a single broker; 3 in production */
    const char *retention_ms; /* "-1": kept until deleted; NULL: the broker's default */
    const char *const *configs; /* more "key=value" topic configs (NULL-terminated), or NULL */
} ap_kafka_topic_spec_t;

/**
 * @brief Creates every topic of topics[0..n) that does not exist yet, as
 * spec says. An existing topic with spec's partition count is fine; one
 * with another count is an error (co-partitioning needs one count, and
 * creating cannot change it), as is any topic the broker refused.
 * @return 0, or -1 with err naming the failed topics (the others were created).
 */
int ap_kafka_create_topics(rd_kafka_t *rk, const char *const *topics, size_t n, const ap_kafka_topic_spec_t *spec,
                           int timeout_ms, char *err, size_t errlen);

/**
 * @brief Reads topic config `name` of topic (e.g. "retention.ms") into out.
 * @return 0, or -1 with err set.
 */
int ap_kafka_topic_config(rd_kafka_t *rk, const char *topic, const char *name, char *out, size_t outlen, int timeout_ms,
                          char *err, size_t errlen);

/**
 * @brief The partition count of each of topics[0..n), from the broker's
 * metadata, into counts[] (what the processor's partition check needs).
 * @return 0 when every topic exists and all have the same count; 1 when
 *         they exist but their counts differ (err lists each topic's count:
 *         co-partitioning is impossible); -1 when a topic is missing or the
 *         metadata could not be read (err set).
 */
int ap_kafka_input_partitions(rd_kafka_t *rk, const char *const *topics, size_t n, int32_t *counts, int timeout_ms,
                              char *err, size_t errlen);

#endif
