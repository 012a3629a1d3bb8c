/*
 * intake.h - the consuming side of ap-processor: group membership with
 * sink-owned offsets, and per-partition lanes aligned on stream ticks.
 *
 * Sink-owned offsets: the position of every input partition is stored in
 * Redis in the same transaction as the state it produced (see processor.h).
 * On assignment the intake seeks each partition to the position the store
 * has (or to the beginning if it has none), never to the broker's committed
 * offset, so state and position can never disagree, even when Redis loses its
 * last second of writes (it then loses the position with the state, and the
 * records are read again). Broker commits only feed lag monitoring.
 *
 * Aligned lanes (like Flink's checkpoint barriers): partition N of the three
 * input topics forms one lane. A StreamTick stops its topic in the lane until
 * every other topic of the lane has also reached a tick at least as late; then
 * the ticks are released together. So a week closes after exactly the records
 * that precede the ticks in each topic, whatever the timing of the fetches,
 * and an event after a tick is always processed after the close it follows.
 * The order itself is decided by the lane merge (lane.h), the same pure
 * function the offline replay (offline.h) orders an exported file with.
 * A stopped topic-partition is paused (librdkafka stops fetching it); records
 * fetched before the pause wait behind the tick in order, in a small backlog.
 * Once a tick is released into a batch, the poll waits a few milliseconds
 * for more, so ticks written to every partition at once share a cycle.
 *
 * Prefetch: librdkafka 2.0 parks a fetcher for up to a second once its
 * queue is full; when the queue runs dry while assigned partitions still
 * have records, the poll wakes their leaders' fetchers with a small request
 * (see wake_fetchers in intake.c), so a small queue reads as fast as a
 * large one.
 *
 * Ownership: the intake owns its consumer handle and the messages it hands
 * out until ap_intake_release(). Call ap_intake_close() before destroy.
 */
#ifndef AP_INTAKE_H
#define AP_INTAKE_H

#include <stddef.h>
#include <stdint.h>

#include <librdkafka/rdkafka.h>

#include "arbejdspligt/kafka.h"

#define AP_INTAKE_TOPICS 3

/**
 * @brief Takes an assigned input partition (all its topics) for this
 * instance, before its positions are read: the store's ownership epoch
 * (store.h, fencing). Called once per partition number per assignment.
 * @return 0, or -1 on error (then nothing is consumed; recreate the intake).
 */
typedef int (*ap_intake_claim_fn)(void *ctx, int32_t partition);
/** @brief Loads the stored next offset of a partition; 0 with *offset set, 1 if none stored, -1 on error. */
typedef int (*ap_intake_offset_fn)(void *ctx, const char *topic, int32_t partition, int64_t *offset);
/**
 * @brief Loads the last tick already processed per topic on a partition
 * (0 if none): after a restart the barrier is rebuilt from it, so a topic
 * whose tick was processed before the crash waits for the others again.
 * @return 0, or -1 on error (then the partition starts without a barrier).
 */
typedef int (*ap_intake_clock_fn)(void *ctx, int32_t partition, int64_t ticks[AP_INTAKE_TOPICS]);
/** @brief Tells whether a record is a stream tick and its time (the intake does not decode events). */
typedef int (*ap_intake_tick_fn)(void *ctx, const rd_kafka_message_t *m, int64_t *tick_time);

typedef struct ap_intake ap_intake_t;

/**
 * @brief Creates the consumer for group_id over the three input topics,
 * reaching the brokers as conn says (brokers, TLS, SASL: kafka.h).
 * instance_id (may be "") makes the member static (KIP-345): a restarted
 * instance with the same id takes its partitions back at once instead of
 * waiting for the session timeout of its predecessor.
 * queue_kib bounds what librdkafka prefetches for the whole consumer (0:
 * 4096). claim_fn (may be NULL), offset_fn, clock_fn and tick_fn (with ctx)
 * are called from ap_intake_poll(); on an assignment claim_fn comes first.
 */
ap_intake_t *ap_intake_create(const ap_kafka_conn_t *conn, const char *group_id, const char *instance_id,
                              int session_timeout_ms, int queue_kib, const char *const topics[AP_INTAKE_TOPICS],
                              ap_intake_claim_fn claim_fn, ap_intake_offset_fn offset_fn, ap_intake_clock_fn clock_fn,
                              ap_intake_tick_fn tick_fn, void *ctx, char *err, size_t errlen);

/**
 * @brief Fills msgs with up to max records, in lane order, waiting up to
 * timeout_ms for the first. Serves rebalances (records of revoked partitions
 * are never handed out). @return the number of records.
 */
size_t ap_intake_poll(ap_intake_t *in, rd_kafka_message_t **msgs, size_t max, int timeout_ms);

/** @brief Destroys handed-out messages. */
void ap_intake_release(rd_kafka_message_t **msgs, size_t n);

/** @brief Commits the broker offsets after msgs[0..n) (informational: the store owns positions). */
void ap_intake_commit(ap_intake_t *in, rd_kafka_message_t *const *msgs, size_t n);

/** @brief Leaves the group. */
void ap_intake_close(ap_intake_t *in);
void ap_intake_destroy(ap_intake_t *in);

/**
 * @return 1 if the intake must be recreated: the consumer hit a fatal error
 * (e.g. a static member fenced after a session timeout), or the store could
 * not be read when partitions were assigned (then nothing was consumed).
 * Positions come from the store, so a new intake resumes exactly where this
 * one left off.
 */
int ap_intake_fatal(const ap_intake_t *in, char *err, size_t errlen);

/** @return how many assignments the intake has served (it grows with every rebalance that assigns). */
unsigned long ap_intake_assignments(const ap_intake_t *in);

/** @return the consumer handle, for metadata requests (the intake keeps owning it). */
rd_kafka_t *ap_intake_handle(ap_intake_t *in);

/** @return the number of partitions currently assigned. */
size_t ap_intake_assigned(const ap_intake_t *in);

/**
 * @brief The consumer's position on a topic-partition: the offset after the
 * last record handed to the intake (held ones included).
 * @return 0 with *next set, 1 if unknown (nothing read yet), -1 on error.
 */
int ap_intake_position(ap_intake_t *in, const char *topic, int32_t partition, int64_t *next);

#endif
