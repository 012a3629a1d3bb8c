/*
 * resolve.h - Avro schema resolution (the specification's "Schema
 * Resolution"): reading a record written with one schema (the writer's) as
 * another (the reader's: the processor's schemas/<Name>.avsc), and the
 * compatibility policy that decides which schema changes may be released.
 *
 * Why: single-object records carry only the writer schema's fingerprint.
 * Publishers upgrade at their own pace, and an audit replay reads years of
 * records, so a record written with any known version must decode as the
 * current one instead of being dead-lettered. A fingerprint no known schema
 * has stays a dead letter (AP_CODEC_UNKNOWN_FINGERPRINT): the writer schema
 * is needed to read the bytes at all.
 *
 * Two parts:
 *  - ap_resolve_check() / ap_resolve_check_policy(): schema against schema
 *    (JSON text, any Avro schema), the first reason a reader could fail to
 *    read a writer's records. Used at start-up and by the policy test.
 *  - ap_resolve_build() / ap_resolve_decode(): a resolution program built
 *    once per (writer schema, reader descriptor) at start-up from the writer
 *    JSON and the reader's codec table; decoding with it is pure, bounded and
 *    allocation-free like ap_codec_decode(), and yields the reader's struct.
 *
 * What the program does, in writer field order: a writer field the reader
 * has is read into it (int->long and string<->bytes promoted, enum symbols
 * mapped by name, a symbol the reader lacks becoming the reader enum's
 * "default" or else AP_CODEC_BAD_ENUM, union branches matched: null to an
 * optional field's null, a value to its value, a branch the reader cannot
 * hold AP_CODEC_BAD_UNION); a field the reader does not have is skipped by
 * its writer type (bounded depth and item count); reader fields the writer
 * lacks get the reader schema's "default". The reader's types are those of
 * codec.h, so float and double (no reader field has them) are only ever
 * skipped; the checker knows every promotion of the specification.
 *
 * Ownership: a program owns its tables; the reader descriptor it was built
 * for must outlive it. ap_resolve_destroy() frees it.
 */
#ifndef AP_RESOLVE_H
#define AP_RESOLVE_H

#include <stddef.h>
#include <stdint.h>

#include "arbejdspligt/codec.h"

/**
 * @brief Tells whether a reader with schema `reader` can read every record
 * written with schema `writer` (the specification's resolution rules, judged
 * on the schemas: a writer enum symbol the reader lacks needs a reader enum
 * default; a writer union needs every branch readable; a reader field the
 * writer lacks needs a default of the field's type; names of records and
 * enums must agree; field aliases of the reader count as its names).
 * @return 0, or -1 with the first reason (the field's path) in why.
 */
int ap_resolve_check(const char *reader, size_t reader_len, const char *writer, size_t writer_len, char *why,
                     size_t whylen);

/**
 * @brief The project's compatibility policy between a released version
 * `prev` and the version `next` that follows it: FULL, i.e. BACKWARD (next
 * reads prev's records) and FORWARD (prev reads next's records). See README
 * "Schema evolution".
 * @return 0, or -1 with "BACKWARD: ..." or "FORWARD: ..." in why.
 */
int ap_resolve_check_policy(const char *prev, size_t prev_len, const char *next, size_t next_len, char *why,
                            size_t whylen);

typedef struct ap_resolve_program ap_resolve_program_t;

/**
 * @brief Builds the program that reads records written with `writer` (JSON
 * text) into reader's struct. reader must be bound (ap_codec_bind): its
 * schema text gives the defaults. Does not apply the policy (call
 * ap_resolve_check first); refuses what the reader's types cannot hold.
 * @return the program, or NULL with err set (AP_CODEC_BAD_JSON).
 */
ap_resolve_program_t *ap_resolve_build(const ap_record_desc_t *reader, const char *writer, size_t writer_len,
                                       ap_codec_error_t *err);
void ap_resolve_destroy(ap_resolve_program_t *prog);

/** @return the fingerprint of the writer schema a program reads. */
uint64_t ap_resolve_writer_fingerprint(const ap_resolve_program_t *prog);
/** @return the reader descriptor a program decodes into. */
const ap_record_desc_t *ap_resolve_reader(const ap_resolve_program_t *prog);

/**
 * @brief Decodes a single-object record written with the program's writer
 * schema into value (reader->size bytes, zeroed first). Bytes and view
 * fields point into buf or into the program (defaults), as with ap_codec_decode.
 * @return AP_CODEC_OK, or a status with err->msg naming the field.
 */
ap_codec_status_t ap_resolve_decode(const ap_resolve_program_t *prog, const uint8_t *buf, size_t len, void *value,
                                    ap_codec_error_t *err);

#endif
