/*
 * output.h - where the processor's records go: the interface, and the file
 * output used by ap-replay (the Kafka output is in kafka.h).
 *
 * The processor hands every output record to produce() and, at the end of a
 * cycle, calls flush(): only when flush() says everything is durable does it
 * record the cycle as done (see processor.h), so an output must not report
 * success for records it may still lose.
 *
 * File output: one line per record of the chosen topics:
 *   AP_OUTPUT_JSON  the record as JSON (what `apctl consume` prints)
 *   AP_OUTPUT_HEX   "<topic> <key> <hex of the single-object bytes>": the
 *                   exact bytes, for byte-for-byte comparisons
 *
 * Ownership: an ap_output_t is a value holding callbacks and a context the
 * caller owns. ap_output_file_open() returns a file output released with
 * ap_output_file_close(), which flushes and reports write errors.
 */
#ifndef AP_OUTPUT_H
#define AP_OUTPUT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "arbejdspligt/buf.h"
#include "arbejdspligt/events.h"

typedef struct ap_output {
    /** Queues one record; 0, or -1 with err for a permanent failure. event
     * is the record decoded (value is its encoding), so an output that
     * formats records need not decode them again; it may be NULL. */
    int (*produce)(void *ctx, const char *topic, const void *key, size_t keylen, const void *value, size_t len,
                   const ap_event_t *event, char *err, size_t errlen);
    /** Waits until every queued record is durable; 0, or -1 with err (the cycle is retried). */
    int (*flush)(void *ctx, int timeout_ms, char *err, size_t errlen);
    void *ctx;
} ap_output_t;

typedef enum ap_output_format { AP_OUTPUT_JSON, AP_OUTPUT_HEX } ap_output_format_t;

typedef struct ap_output_file ap_output_file_t;

/**
 * @brief Opens path for writing ("-" is standard output). Only records of
 * the given topics are written (NULL-terminated list; NULL: all topics).
 * @return the file output, or NULL with err set.
 */
ap_output_file_t *ap_output_file_open(const char *path, ap_output_format_t format, const char *const *topics,
                                      char *err, size_t errlen);
/**
 * @brief Creates (or empties) path as a file only its owner may read and
 * write (mode 0600, also when it existed with another mode), for every file
 * that may hold personal data: outputs, exports, reports. Writers then open
 * it as usual. "-" (standard output) is left alone.
 * @return 0, or -1 with err set.
 */
int ap_output_create_private(const char *path, char *err, size_t errlen);

/** @return the output interface of f (valid until close). */
ap_output_t ap_output_file(ap_output_file_t *f);
/**
 * @brief Appends record as f writes it (one line, newline included) to line
 * (event: the record decoded, or NULL to decode value here),
 * for callers that format on several threads and write in an order of their
 * own. Reads f's settings only, so it may run on several threads at once.
 * @return 1 if appended, 0 if f does not write this topic, -1 with err.
 */
int ap_output_file_format(const ap_output_file_t *f, const char *topic, const void *key, size_t keylen,
                          const void *value, size_t len, const ap_event_t *event, ap_buf_t *line, char *err,
                          size_t errlen);
/** @brief Writes n_lines formatted lines (len bytes) to f; one thread at a time. @return 0, or -1 with err. */
int ap_output_file_write(ap_output_file_t *f, const void *lines, size_t len, uint64_t n_lines, char *err,
                         size_t errlen);
/** @return records written so far. */
uint64_t ap_output_file_written(const ap_output_file_t *f);
/** @brief Flushes and closes. @return 0, or -1 with err if anything failed to be written. */
int ap_output_file_close(ap_output_file_t *f, char *err, size_t errlen);

#endif
