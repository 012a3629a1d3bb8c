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
 * Partition counts: the processor dead-letters a record that is not on
 * partition murmur2(key) mod its topic's partition count (processor.h), so
 * an offline replay needs the counts the topics had. An export starts with
 * one *count record* per topic: an ExportedRecord with the empty topic ""
 * (no Kafka topic has that name), the topic's name as key, its partition
 * count as partition, offset -1, timestamp 0 and no value; in JSON lines
 * {"topic":"","partition":6,"offset":-1,"timestamp":0,"key":"ap.hours","value":null}.
 * Readers never hand count records to the callback; a view keeps them
 * (ap_export_view_partitions). A file written before has none and reads as
 * before (its replay then checks nothing unless told the count).
 *
 * Manifest (integrity trailer): an export is evidence, so ap_export_close()
 * ends it with one *manifest record*: topic "", key "ap.export.manifest",
 * partition 0, offset -1, timestamp 0, and as value a JSON object
 *   {"manifest":1,"records":N,"sha256":"<64 hex>","partitions":[
 *     {"topic":"ap.hours","partition":0,"first":0,"last":41,"records":42},...]}
 * records: the records before it (count records not counted); partitions:
 * each topic-partition's lowest and highest offset and record count, sorted
 * by topic and partition; sha256: SHA-256 of every record before it (count
 * records included) in file order, each in its Avro binary encoding as
 * ExportedRecord, i.e. exactly the concatenated block data of an
 * uncompressed container up to the manifest, so the same stream has the
 * same hash in both formats. A trailer rather than a sidecar file: it
 * travels with the file, and one file is what an auditor is handed. The
 * readers check it after the last record: a file cut at a line or block
 * boundary has none, a removed record gives "export incomplete: N records,
 * manifest says M", a changed byte "SHA-256 mismatch" (unless it already
 * breaks the record), a record after it is refused. A file without one (cut short, or written before 0.2) is read
 * only if opts->require_manifest is 0 (ap_export_view_verified then says 0).
 * ap_export_abort() closes a file that is not complete without one. Records
 * handed to the callback before a reader fails must be discarded (ap-replay
 * reads the whole file before it processes anything).
 *
 * Bounds: a JSON line longer than opts->max_line_bytes and a container block
 * longer than opts->max_block_bytes (compressed or inflated) are refused
 * with the line number or block number and byte offset, before anything of
 * that size is allocated. Containers are read by this module, not avro-c
 * (which allocates sizes read from the file before checking them): the
 * null and deflate codecs, writer schema ExportedRecord's (by fingerprint);
 * anything else is refused.
 *
 * Ownership: a writer from ap_export_create() is released by
 * ap_export_close() or ap_export_abort(). Records passed to ap_export_read's callback live during
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
/**
 * @brief Records topic's partition count in the file (a count record, see
 * above). Call before writing that topic's records.
 * @return 0, or -1 with err set.
 */
int ap_export_write_partitions(ap_export_writer_t *w, const char *topic, int32_t count, char *err, size_t errlen);
/** @brief Writes the manifest (see above) and finishes the file. @return 0, or -1 with err set (the file is then incomplete). */
int ap_export_close(ap_export_writer_t *w, char *err, size_t errlen);
/** @brief Closes a file that is not complete (an export that failed or was
 * interrupted) without a manifest, so no reader takes it as whole. NULL is ignored. */
void ap_export_abort(ap_export_writer_t *w);

/* Reading options; NULL means the defaults below. */
typedef struct ap_export_opts {
    size_t max_line_bytes;  /* JSON lines: longest line (0: AP_EXPORT_MAX_LINE_BYTES) */
    size_t max_block_bytes; /* containers: largest block, compressed or not (0: AP_EXPORT_MAX_BLOCK_BYTES) */
    int require_manifest;   /* refuse a file without a manifest (see above) */
} ap_export_opts_t;

/* Default bounds: a record is at most 64 KiB (AP_MAX_RECORD_BYTES), 128 KiB
 * as a hex JSON line; the writer's blocks are 1 MiB. */
#define AP_EXPORT_MAX_LINE_BYTES ((size_t)1 << 20)
#define AP_EXPORT_MAX_BLOCK_BYTES ((size_t)64 << 20)

/** @brief Called for each record read; return non-zero to stop. */
typedef int (*ap_export_fn)(void *ctx, const ap_record_t *r);

/**
 * @brief Reads every record of an exported file, in file order (count
 * records and the manifest, see above, are not handed to fn), then checks
 * the file against its manifest (opts: see ap_export_opts_t; a read fn
 * stopped is not checked).
 * @return 0, 1 if fn stopped it, or -1 with err set (names the line, or the
 *         record and block with its byte offset, or what the manifest says).
 */
int ap_export_read(const char *path, const ap_export_opts_t *opts, ap_export_fn fn, void *ctx, char *err,
                   size_t errlen);

/* Records read in place: see ap_export_read_view. */
typedef struct ap_export_view ap_export_view_t;

/**
 * @brief Reads every record like ap_export_read, but what a record points to
 * (topic, key, value) stays valid until ap_export_view_free(*view), so a
 * caller can hold the whole file without copying it. A container written
 * with the null codec (what `ap-replay export` writes) is decoded in place
 * from a memory map; a deflate container's blocks are inflated into the
 * view; JSON lines are copied into it.
 * @return as ap_export_read; *view is set in every case (free it).
 */
int ap_export_read_view(const char *path, const ap_export_opts_t *opts, ap_export_view_t **view, ap_export_fn fn,
                        void *ctx, char *err, size_t errlen);
/** @return 1 if the file's manifest was found and matched, 0 if it has none (only read without require_manifest). */
int ap_export_view_verified(const ap_export_view_t *view);
/** @return the partition count the file records for topic, or 0 if it records none (an older export). */
int32_t ap_export_view_partitions(const ap_export_view_t *view, const char *topic);
/** @return 1 if the view's records were decoded in place (no copy), else 0. */
int ap_export_view_in_place(const ap_export_view_t *view);
/** @brief Releases a view; NULL is ignored. */
void ap_export_view_free(ap_export_view_t *view);

#endif
