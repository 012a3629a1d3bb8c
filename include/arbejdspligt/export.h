/*
 * export.h - exported input streams: files of input records exactly as read
 * from Kafka (topic, partition, offset, timestamp, key, value bytes), for
 * offline replay on a machine without a broker or Redis.
 *
 * Two formats, chosen by the file name when writing and by the content when
 * reading:
 *   *.avro  an Avro object container file of schemas/ExportedRecord.avsc
 *           (written and read with avro-c; any Avro tool can read it)
 *   other   JSON lines: {"topic","partition","offset","timestamp","key","value"}
 *           with key as text (null if none) and value as hex; a line may give
 *           "event" (an event as JSON, with its "schema") instead of "value",
 *           and it is encoded as the services would receive it.
 * The value is kept byte for byte (bad records too), so an offline replay
 * sees what the services saw, dead letters included.
 *
 * Ownership: a writer from ap_export_create() is released by
 * ap_export_close(). Records passed to ap_export_read's callback live during
 * the call; those of ap_export_read_view until the view is freed.
 */
#ifndef AP_EXPORT_H
#define AP_EXPORT_H

#include <stddef.h>

#include "arbejdspligt/processor.h"

typedef struct ap_export_writer ap_export_writer_t;

/** @return a writer for path (replaced if it exists), or NULL with err set. */
ap_export_writer_t *ap_export_create(const char *path, char *err, size_t errlen);
/** @return 0, or -1 with err set. */
int ap_export_write(ap_export_writer_t *w, const ap_record_t *r, char *err, size_t errlen);
/** @brief Finishes the file. @return 0, or -1 with err set (the file is then incomplete). */
int ap_export_close(ap_export_writer_t *w, char *err, size_t errlen);

/** @brief Called for each record read; return non-zero to stop. */
typedef int (*ap_export_fn)(void *ctx, const ap_record_t *r);

/**
 * @brief Reads every record of an exported file, in file order.
 * @return 0, 1 if fn stopped it, or -1 with err set (names the line or record).
 */
int ap_export_read(const char *path, ap_export_fn fn, void *ctx, char *err, size_t errlen);

/* Records read in place: see ap_export_read_view. */
typedef struct ap_export_view ap_export_view_t;

/**
 * @brief Reads every record like ap_export_read, but what a record points to
 * (topic, key, value) stays valid until ap_export_view_free(*view), so a
 * caller can hold the whole file without copying it. A container written
 * with the null codec and ExportedRecord's schema (what `ap-replay export`
 * writes) is decoded in place from a memory map; anything else is read as
 * ap_export_read reads it and copied into *view.
 * @return as ap_export_read; *view is set in every case (free it).
 */
int ap_export_read_view(const char *path, ap_export_view_t **view, ap_export_fn fn, void *ctx, char *err,
                        size_t errlen);
/** @return 1 if the view's records were decoded in place (no copy), else 0. */
int ap_export_view_in_place(const ap_export_view_t *view);
/** @brief Releases a view; NULL is ignored. */
void ap_export_view_free(ap_export_view_t *view);

#endif
