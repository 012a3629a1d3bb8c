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
 * How a client reaches Kafka (brokers, TLS, SASL, extra librdkafka
 * properties) is one ap_kafka_conn_t, filled from the same settings rows in
 * every binary (AP_KAFKA_CONN_SETTINGS), and every rd_kafka_conf_t of the
 * project is built from it by ap_kafka_conf_new(): one place decides
 * security. Secrets (passwords) come from files or the environment, never
 * the command line, and are never logged: not by us, and librdkafka redacts
 * them in its own configuration dumps.
 *
 * Ownership: a producer returned by ap_kafka_producer_create() is destroyed
 * with rd_kafka_destroy() after ap_kafka_producer_drain().
 */
#ifndef AP_KAFKA_H
#define AP_KAFKA_H

#include <stddef.h>
#include <stdint.h>

#include <librdkafka/rdkafka.h>

#include "arbejdspligt/config.h"
#include "arbejdspligt/output.h"

/* Room for librdkafka properties given as kafka.property.NAME = VALUE. */
#define AP_KAFKA_PROPERTIES_CAP 4096

/* Everything a client needs to reach the brokers. Strings are "" when unset. */
typedef struct ap_kafka_conn {
    char brokers[512];
    char security_protocol[16];   /* plaintext, ssl, sasl_plaintext or sasl_ssl */
    char ssl_ca_file[1024];       /* PEM CA bundle the brokers' certificates must chain to */
    char ssl_certificate_file[1024]; /* client certificate (PEM), when the brokers ask for one */
    char ssl_key_file[1024];      /* its private key (PEM) */
    char ssl_key_password[256];   /* secret: the key's passphrase */
    int ssl_verify;               /* 1: verify the brokers' certificates and host names */
    char sasl_mechanism[32];      /* SCRAM-SHA-512, SCRAM-SHA-256, PLAIN or OAUTHBEARER */
    char sasl_username[256];
    char sasl_password[256];      /* secret */
    char properties[AP_KAFKA_PROPERTIES_CAP]; /* "NAME=VALUE" lines, applied last */
} ap_kafka_conn_t;

/*
 * The settings rows of an ap_kafka_conn_t embedded as `field` in a service's
 * settings struct, for its table; S is the service's row macro
 * (S(name, env, type, default, field, min, max, help)). Every binary that
 * talks to Kafka lists these, so the names and variables are the same.
 */
#define AP_KAFKA_CONN_SETTINGS(S, f)                                                                                \
    S("kafka.brokers", "AP_KAFKA_BROKERS", AP_SET_STRING, "127.0.0.1:9092", f.brokers, 0, 0,                        \
      "Kafka bootstrap servers"),                                                                                   \
    S("kafka.security_protocol", "AP_KAFKA_SECURITY_PROTOCOL", AP_SET_STRING, "plaintext", f.security_protocol, 0, \
      0, "plaintext, ssl (TLS), sasl_ssl (SASL over TLS) or sasl_plaintext (SCRAM only)"),                         \
    S("kafka.ssl_ca_file", "AP_KAFKA_SSL_CA_FILE", AP_SET_STRING, "", f.ssl_ca_file, 0, 0,                         \
      "PEM file of the CA(s) the brokers' certificates must chain to (empty: the system's CAs)"),                  \
    S("kafka.ssl_certificate_file", "AP_KAFKA_SSL_CERTIFICATE_FILE", AP_SET_STRING, "", f.ssl_certificate_file, 0, \
      0, "Client certificate (PEM), for brokers that ask for one"),                                                \
    S("kafka.ssl_key_file", "AP_KAFKA_SSL_KEY_FILE", AP_SET_STRING, "", f.ssl_key_file, 0, 0,                      \
      "The client certificate's private key (PEM)"),                                                               \
    S("kafka.ssl_key_password_file", "AP_KAFKA_SSL_KEY_PASSWORD", AP_SET_SECRET, "", f.ssl_key_password, 0, 0,    \
      "File holding the private key's passphrase (or the variable itself)"),                                       \
    S("kafka.ssl_verify", "AP_KAFKA_SSL_VERIFY", AP_SET_INT, "1", f.ssl_verify, 0, 1,                              \
      "1: verify the brokers' certificates and host names; 0 only for a test broker (logged as a warning)"),      \
    S("kafka.sasl_mechanism", "AP_KAFKA_SASL_MECHANISM", AP_SET_STRING, "", f.sasl_mechanism, 0, 0,                \
      "SCRAM-SHA-512, SCRAM-SHA-256, PLAIN (sasl_ssl only) or OAUTHBEARER (see README Security)"),                \
    S("kafka.sasl_username", "AP_KAFKA_SASL_USERNAME", AP_SET_STRING, "", f.sasl_username, 0, 0,                   \
      "SASL user name"),                                                                                            \
    S("kafka.sasl_password_file", "AP_KAFKA_SASL_PASSWORD", AP_SET_SECRET, "", f.sasl_password, 0, 0,             \
      "File holding the SASL password (or the variable itself)"),                                                  \
    S("kafka.property.", "AP_KAFKA_PROPERTY_", AP_SET_PROPERTIES, "", f.properties, 0, 0,                          \
      "Any other librdkafka property, applied last (not those above, nor those the delivery guarantees rest on)")

/* Delivery outcome counters of a producer, updated by its delivery callback. */
typedef struct ap_kafka_delivery {
    uint64_t delivered;
    uint64_t failed;
    char last_error[256];
} ap_kafka_delivery_t;

/**
 * @brief Checks a connection's settings against each other (a TLS file
 * without TLS, SASL without a mechanism or password, PLAIN without TLS, a key
 * without a certificate, a passthrough property that has a named setting or
 * that the delivery guarantees rest on). Pure: reads no file.
 * @return 0, or -1 with err naming the settings (never a secret's value).
 */
int ap_kafka_conn_check(const ap_kafka_conn_t *conn, char *err, size_t errlen);

/** @brief One line for the start-up log: protocol, mechanism, verification; no user name, no secret. */
void ap_kafka_conn_describe(const ap_kafka_conn_t *conn, char *out, size_t outlen);

/**
 * @brief A new librdkafka configuration for conn: bootstrap servers, then
 * TLS and SASL, then `role` (NULL or a NULL-terminated key, value list: the
 * caller's producer or consumer settings), then conn's passthrough
 * properties; our log and error callbacks. Checks conn first.
 * @return the conf (the caller owns it until rd_kafka_new takes it), or NULL
 *         with err set (never a secret's value).
 */
rd_kafka_conf_t *ap_kafka_conf_new(const ap_kafka_conn_t *conn, const char *const *role, char *err, size_t errlen);

/** @brief A consumer for conn with role settings (e.g. group.id), or NULL with err set. */
rd_kafka_t *ap_kafka_consumer_create(const ap_kafka_conn_t *conn, const char *const *role, char *err, size_t errlen);

/**
 * @brief Waits until rk can read cluster metadata, serving its callbacks.
 * Authentication and TLS failures are configuration errors that waiting
 * does not fix: they end the wait at once.
 * @return 0 connected; 1 refused (authentication or TLS failure; err has
 *         librdkafka's reason, which names no secret); -1 no broker
 *         answered within timeout_ms (err set).
 */
int ap_kafka_await(rd_kafka_t *rk, int timeout_ms, char *err, size_t errlen);

/**
 * @brief Creates a producer. `delivery` (may be NULL) receives delivery
 * outcomes and must outlive the producer. extra is NULL or a NULL-terminated
 * list of key, value pairs of librdkafka settings (conn's passthrough
 * properties still win over them).
 */
rd_kafka_t *ap_kafka_producer_create(const ap_kafka_conn_t *conn, ap_kafka_delivery_t *delivery, const char *const *extra,
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

/**
 * @brief Queues one StreamTick at `at` (ms since the epoch) on every partition
 * of each of topics[0..n) (partition counts looked up now, so partitions
 * added since are ticked too). Each tick's event id is the version-5 UUID of
 * "tick|<topic>|<partition>|<at>|<source>": writing the same tick again
 * gives the same id. Drain the producer to know they were delivered.
 * @return ticks queued (>= 0), or -1 with err set.
 */
long ap_kafka_produce_ticks(rd_kafka_t *rk, const char *const *topics, size_t n, int64_t at, const char *source,
                            char *err, size_t errlen);

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
