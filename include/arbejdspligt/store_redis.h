/*
 * store_redis.h - the state store (store.h) in Redis, for the services.
 *
 * Key layout (cluster-safe hash tags, though a standalone Redis with AOF is
 * required: the apply script and the cycle transaction span tags):
 *   <prefix>:{c:ID}:cv|pl|ex|rd|sa  HASH  coverage / placements / exemptions /
 *                                       reductions / sanctions: entity id -> stored value
 *   <prefix>:{c:ID}:h:<monday>   HASH  hours reports of one ISO week
 *   <prefix>:{c:ID}:res          HASH  monday -> "revision:digest" of the last
 *                                       emitted result for that week
 *   <prefix>:layout              STRING  the key layout, "3" (see ap_store_redis_connect)
 *   <prefix>:partitions          STRING  the input topics' partition count the
 *                                       state is partitioned by (ap_store_redis_claim_partitions)
 *   <prefix>:{p:N}:applied-<g>   HASH  "citizen|event id" -> CRC-64 (16 hex) of the
 *                                       record, for the events applied on
 *                                       partition N in dedup generation g (dedup;
 *                                       other bytes under the same id: a
 *                                       conflict); only g and g - 1 exist
 *   <prefix>:{p:N}:dedup-gen     STRING  partition N's dedup generation (store.h)
 *   <prefix>:{p:N}:hx            HASH  "citizen|report id" -> Monday of the week
 *                                       holding that hours report
 *   <prefix>:{p:N}:clock         HASH  stream clock of input partition N
 *   <prefix>:{p:N}:citizens      SET   citizens seen on partition N
 *   <prefix>:{p:N}:dirty         SET   "citizen|monday" of closed weeks changed
 *                                       since their last evaluation
 *   <prefix>:{p:N}:offsets       HASH  input topic -> next offset on partition N
 *   <prefix>:{p:N}:mres:<YYYYMM> HASH  municipality -> "revision:digest" of the
 *                                       last emitted monitoring partial
 *   <prefix>:{p:N}:epoch         STRING  partition N's ownership epoch: INCR by
 *                                       each claim (ap_store_claim); the apply
 *                                       script and the cycle commit (WATCH)
 *                                       refuse writes under an older one
 * A stored value is the version (recorded_at as 20 digits, event id as 36),
 * the span (the first and last Monday whose evaluation it can change,
 * ap_store_event_span, 11 characters each), the source (partition 10
 * digits, offset 20, topic length 3, topic), then the event's single-object
 * bytes. Composite fields split one way only: citizen ids hold no '|', '{'
 * or '}' (events.c refuses them), event ids are UUIDs, Mondays numbers.
 *
 * Applying is one Lua script per chunk of up to 256 events (dedup, version
 * compare, dirty marks); the applied hashes and the report index are per
 * partition so that a chunk reads and writes each with one command. A cycle
 * ends in one MULTI/EXEC, which Redis writes to its AOF whole or not at all.
 *
 * Entity cache (off unless set): a bounded copy, in process, of each
 * citizen's coverage, placements, exemptions, reductions and sanctions as last read, so
 * a week close reads only the week's hours. It relies on this instance being
 * the only writer of its partitions' citizens: its own applies drop what they
 * change, a reconnect drops everything, and the owner of the store calls
 * ap_store_invalidate() whenever partitions are assigned to it.
 *
 * Ownership: see store.h; release with ap_store_destroy().
 */
#ifndef AP_STORE_REDIS_H
#define AP_STORE_REDIS_H

#include <stddef.h>
#include <stdint.h>

#include "arbejdspligt/store.h"

/* Where the store's Redis is, who the store is there, and its namespace.
 * The strings are copied: the caller may free them after the call. */
typedef struct ap_store_redis_conf {
    const char *host;
    int port;
    /* ACL user (README Security): Redis 6+ "AUTH username password" right
     * after every connect. "" or NULL with a password: Redis's default user
     * (requirepass); neither: no AUTH. */
    const char *username;
    const char *password; /* never logged, never in an error text */
    const char *prefix;   /* key prefix of the namespace (redis.prefix) */
    int timeout_ms;       /* connect and each command */
    /* After each cycle commit, WAIT for this many replicas (redis.wait_replicas,
     * 0: none) for at most wait_timeout_ms; fewer fail the commit (retried). */
    int wait_replicas;
    int wait_timeout_ms;
} ap_store_redis_conf_t;

/**
 * @return a connected store, or NULL with err set.
 * An empty prefix is claimed for this build's key layout ("<prefix>:layout");
 * a prefix holding another layout is refused with err starting "layout:"
 * (permanent: retrying will not help; replay into a new prefix). Refused
 * credentials (or none where Redis wants them) give err starting "auth:"
 * and saying "authentication failed"; that is worth retrying only once
 * someone fixes the password or the ACL user. Other errors (connection
 * refused, Redis loading its AOF) are transient.
 */
ap_store_t *ap_store_redis_connect(const ap_store_redis_conf_t *conf, char *err, size_t errlen);

/**
 * @brief Claims the namespace for input topics of `count` partitions, or
 * checks the count it was claimed for ("<prefix>:partitions"): its state is
 * partitioned by that count, so with another count keys would hash to other
 * partitions than their state (README Co-partitioning).
 * @return 0; 1 if the namespace holds another count (err says which); -1 on
 *         a Redis error (err set).
 */
int ap_store_redis_claim_partitions(ap_store_t *s, int32_t count, char *err, size_t errlen);

/**
 * @brief Erases one citizen's state (right to erasure): every key of the
 * citizen ({c:ID}: entities, hours, result records) and the citizen's
 * entries in every partition's sets and hashes (registration, applied ids,
 * report index, dirty marks). Another citizen's state is untouched. Events
 * of the citizen that arrive later are applied anew (stop their publishing
 * first). A running processor may still hold the citizen in its entity
 * cache: erase while it is stopped, or restart it after. *removed counts
 * the keys and entries removed.
 * @return 0, or -1 with the reason in ap_store_error().
 */
int ap_store_redis_forget(ap_store_t *s, const char *citizen, size_t *removed);

/** @brief Bounds the entity cache to max_bytes (0: no cache, the default) and empties it. */
void ap_store_redis_set_cache(ap_store_t *s, size_t max_bytes);

/**
 * @brief Running counts for metrics: requests waited for (a pipeline, e.g.
 * one apply call or one chunk of week loads, counts once), and citizens whose
 * entities came from the cache or from Redis.
 */
void ap_store_redis_counters(const ap_store_t *s, uint64_t *round_trips, uint64_t *cache_hits,
                             uint64_t *cache_misses);

#endif
