/*
 * registry.h - output records framed for a schema registry (Confluent wire
 * format), and the few calls of a registry's Confluent-compatible REST API
 * that need.
 *
 * Why: ksqlDB, Kafka Connect, Flink SQL and Telegraf read Avro only as
 * "magic byte 0, the schema's 4-byte big-endian registry id, the Avro binary
 * body". With processor setting output.framing=registry, the processor
 * registers the schemas of the records it writes under the subjects
 * "<topic>-value" (TopicNameStrategy) at start-up and frames every Avro output
 * record so; the default (single-object encoding: C3 01 + 8-byte fingerprint
 * + body) is unchanged. The body is the same bytes in both framings, so a
 * framing is a header swap (ap_registry_frame, ap_registry_unframe).
 *
 * The pure parts (URL parsing, request building, response parsing, framing)
 * do no I/O and are tested by feeding bytes (tests/unit/test_registry.c). The
 * client (ap_registry_call and what uses it) is a minimal blocking HTTP/1.1
 * client over one TCP connection per call ("Connection: close"), plain HTTP
 * only: it runs at start-up (the processor) and per new schema id (apctl),
 * never per record.
 *
 * Errors: functions return 0, or -1 with err set (a failure that waiting
 * may cure: connection refused, timeout, a 5xx), or 1 with err set (the
 * registry refused: a 4xx such as an incompatible schema; waiting does not
 * help). err never holds record contents.
 *
 * Ownership: ap_registry_output_t is a value the caller owns; it wraps
 * another output (not owned) and keeps one scratch buffer, released with
 * ap_registry_output_free().
 */
#ifndef AP_REGISTRY_H
#define AP_REGISTRY_H

#include <stddef.h>
#include <stdint.h>

#include "arbejdspligt/buf.h"
#include "arbejdspligt/output.h"

/* Bytes of the registry framing's header: magic byte 0 and the schema id. */
#define AP_REGISTRY_HEADER 5
/* Bytes of the single-object encoding's header: C3 01 and the fingerprint. */
#define AP_REGISTRY_SO_HEADER 10
/* Largest response body read (a schema text with its JSON wrapping). */
#define AP_REGISTRY_MAX_RESPONSE (4u << 20)

/* A registry's base URL, parsed: http://host[:port][/path]. */
typedef struct ap_registry_url {
    char host[256];
    int port;
    char path[512]; /* without a trailing '/', "" for the root (e.g. "/apis/ccompat/v7" for Apicurio) */
} ap_registry_url_t;

/** @brief Parses an http:// URL (https is refused: not supported here). @return 0, or -1 with err. */
int ap_registry_url_parse(const char *url, ap_registry_url_t *u, char *err, size_t errlen);

/** @brief Appends an HTTP/1.1 request for u's path + path to out (body may be NULL for GET). */
void ap_registry_request(ap_buf_t *out, const ap_registry_url_t *u, const char *method, const char *path,
                         const char *body, size_t len);

/**
 * @brief Parses a complete HTTP/1.1 response (read to the end of the
 * connection): status line, headers, body by Content-Length, chunked
 * transfer coding or to the end.
 * @return 0 with *status and body (appended) set, or -1 with err for a malformed response.
 */
int ap_registry_response(const char *resp, size_t len, int *status, ap_buf_t *body, char *err, size_t errlen);

/** @brief Appends the body of "register a schema": {"schema":"<schema text as a JSON string>"}. */
void ap_registry_register_body(ap_buf_t *out, const char *schema, size_t len);

/** @brief Reads the "id" of a registration's answer ({"id":N}). @return 0, or -1 with err. */
int ap_registry_parse_id(const char *body, size_t len, int32_t *id, char *err, size_t errlen);

/** @brief Reads the schema text of GET /schemas/ids/N's answer ({"schema":"..."}) into schema. @return 0, or -1 with err. */
int ap_registry_parse_schema(const char *body, size_t len, ap_buf_t *schema, char *err, size_t errlen);

/**
 * @brief Appends to out the registry framing of a single-object encoded
 * record: 0x00, id big-endian, the same Avro body.
 * @return 0, or -1 if value is not single-object encoded (or its fingerprint is not fp, unless fp is 0).
 */
int ap_registry_frame(ap_buf_t *out, int32_t id, uint64_t fp, const void *value, size_t len);

/**
 * @brief Tells whether buf is registry-framed (0x00 and a 4-byte id, then a
 * body); the single-object encoding starts with C3, so the two never meet.
 * @return 1 with *id set, else 0.
 */
int ap_registry_unframe(const void *buf, size_t len, int32_t *id);

/**
 * @brief Appends to out the single-object encoding of a registry-framed
 * record whose schema has fingerprint fp (the header swapped back).
 * @return 0, or -1 if buf is not registry-framed.
 */
int ap_registry_to_single_object(ap_buf_t *out, uint64_t fp, const void *buf, size_t len);

/**
 * @brief One HTTP request and its answer (blocking: connect bounded by
 * timeout_ms, and the writes and reads after it together by timeout_ms
 * too). body_out gets the response body.
 * @return 0 with *status set (any status), or -1 with err (no answer).
 */
int ap_registry_call(const ap_registry_url_t *u, const char *method, const char *path, const char *body,
                     size_t len, int timeout_ms, int *status, ap_buf_t *body_out, char *err, size_t errlen);

/**
 * @brief Registers schema under subject (POST /subjects/<subject>/versions);
 * a registry answers with the existing id when the schema is already there.
 * @return 0 with *id, -1 (retry: unreachable, 5xx) or 1 (refused: 4xx) with err.
 */
int ap_registry_register(const ap_registry_url_t *u, const char *subject, const char *schema, size_t len,
                         int timeout_ms, int32_t *id, char *err, size_t errlen);

/**
 * @brief Fetches the schema text of id (GET /schemas/ids/<id>) into schema.
 * @return 0, -1 (retry) or 1 (refused, e.g. 404) with err.
 */
int ap_registry_schema_by_id(const ap_registry_url_t *u, int32_t id, int timeout_ms, ap_buf_t *schema, char *err,
                             size_t errlen);

/* Most topics an output framing knows (results, alerts, dead letters, latest). */
#define AP_REGISTRY_MAX_TOPICS 8

/* An output that frames the records of known topics for the registry and
 * passes every other record (the JSON mirrors) through unchanged. */
typedef struct ap_registry_output {
    ap_output_t inner;
    size_t n;
    struct {
        char topic[128];
        uint64_t fingerprint; /* of the schema registered: a record of another schema is refused */
        int32_t id;
    } topics[AP_REGISTRY_MAX_TOPICS];
    ap_buf_t scratch;
} ap_registry_output_t;

/** @brief Adds topic with its schema's fingerprint and registry id. @return 0, or -1 when full. */
int ap_registry_output_add(ap_registry_output_t *ro, const char *topic, uint64_t fingerprint, int32_t id);
/**
 * @brief Registers the current schema of record type t under the subject
 * "<topic>-value" (TopicNameStrategy) and adds topic to ro with the id got.
 * Registering again is harmless: the registry answers with the same id.
 * @return 0, -1 (retry) or 1 (refused, or ro full) with err.
 */
int ap_registry_output_register(ap_registry_output_t *ro, const ap_registry_url_t *u, const char *topic,
                                ap_event_type_t t, int timeout_ms, char *err, size_t errlen);
/** @return the output interface of ro (valid while ro lives). */
ap_output_t ap_registry_output(ap_registry_output_t *ro);
/** @brief Releases ro's scratch buffer. */
void ap_registry_output_free(ap_registry_output_t *ro);

#endif
