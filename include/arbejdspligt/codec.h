/*
 * codec.h - Avro binary encoding of flat C structs, framed with the Avro
 * single-object encoding: C3 01, the schema's 8-byte CRC-64-AVRO fingerprint
 * (little-endian), then the Avro binary body.
 *
 * Each record type is described once by a table of fields (name, type,
 * offsetof) in the order of its .avsc file; ap_codec_bind() checks the table
 * against the schema text at start-up and computes the fingerprint, so a table
 * that drifts from its schema fails loudly instead of mis-decoding.
 *
 * Decoding is pure and bounded: it never allocates, never reads past the
 * input, rejects every length above the field's capacity, validates UTF-8 and
 * enum ranges, and reports the first problem as a status with a message that
 * names the field. Strings are copied into fixed buffers in the struct;
 * AP_FT_BYTES and AP_FT_ARRAY_VIEW fields are views into the input and live
 * as long as it.
 */
#ifndef AP_CODEC_H
#define AP_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arbejdspligt/buf.h"
#include "arbejdspligt/json.h"

/* Single-object encoding marker and header size (2 + 8). */
#define AP_CODEC_MAGIC0 0xC3
#define AP_CODEC_MAGIC1 0x01
#define AP_CODEC_HEADER_LEN 10

/* Decode statuses. The first ten equal the positions of the DeadLetterReason
 * symbols in schemas/DeadLetter.avsc, so a failure maps 1:1 to a dead letter. */
typedef enum ap_codec_status {
    AP_CODEC_OK = -1,
    AP_CODEC_TRUNCATED = 0,       /* input ends inside a value */
    AP_CODEC_BAD_MARKER,          /* not C3 01 */
    AP_CODEC_UNKNOWN_FINGERPRINT, /* no known schema has this fingerprint */
    AP_CODEC_BAD_LENGTH,          /* negative string/bytes/array length */
    AP_CODEC_TOO_LONG,            /* length above the field's capacity */
    AP_CODEC_BAD_UTF8,            /* string is not valid UTF-8 or holds NUL */
    AP_CODEC_BAD_ENUM,            /* enum index or boolean byte out of range */
    AP_CODEC_BAD_UNION,           /* union branch index out of range */
    AP_CODEC_BAD_VARINT,          /* varint longer than 10 bytes or out of range */
    AP_CODEC_TRAILING_BYTES,      /* bytes left after the record */
    AP_CODEC_BAD_JSON = 100       /* JSON input does not fit the schema */
} ap_codec_status_t;

typedef struct ap_codec_error {
    ap_codec_status_t status;
    char msg[160];
} ap_codec_error_t;

typedef enum ap_field_type {
    AP_FT_BOOL,       /* bool */
    AP_FT_INT,        /* int32_t */
    AP_FT_LONG,       /* int64_t */
    AP_FT_STRING,     /* char[cap], NUL-terminated */
    AP_FT_ENUM,       /* int32_t symbol index */
    AP_FT_BYTES,      /* ap_bytes_t view */
    AP_FT_OPT_STRING, /* ["null","string"]: char[cap], "" is null */
    AP_FT_OPT_INT,    /* ["null","int"]: int32_t, INT32_MIN is null */
    AP_FT_OPT_ENUM,   /* ["null",enum]: int32_t, -1 is null */
    AP_FT_ARRAY,      /* array of strings (char[cap]) or of records; count is uint32_t */
    AP_FT_ARRAY_VIEW  /* array of records held outside the struct: ap_array_view_t */
} ap_field_type_t;

/* Logical types: how a value is shown in JSON and checked.
 * AP_LT_EMPTY_DEFAULT marks an AP_FT_ARRAY whose schema default is []
 * (a field added to a released schema, e.g. ComplianceResult v3's
 * segments): a JSON object written before it existed may leave it out and
 * reads as empty, as a binary record of the older version does.
 * ap_codec_bind() checks that the schema has that default. */
typedef enum ap_logical { AP_LT_NONE, AP_LT_DATE, AP_LT_TIMESTAMP, AP_LT_UUID, AP_LT_EMPTY_DEFAULT } ap_logical_t;

typedef struct ap_bytes {
    const uint8_t *ptr;
    size_t len;
} ap_bytes_t;

/* An array of records that lives outside the struct, so a struct with a
 * large bounded array stays small. Encoding writes `items` (n records of the
 * field's item type) or, if items is NULL, copies `raw`. Decoding checks every
 * item and leaves items NULL, n the count and raw a view of the encoded array
 * in the input (valid as long as the input, like AP_FT_BYTES). */
typedef struct ap_array_view {
    const void *items;
    uint32_t n;
    ap_bytes_t raw;
} ap_array_view_t;

/* Largest item of an AP_FT_ARRAY_VIEW (decoding checks each item on the stack). */
#define AP_CODEC_VIEW_ITEM_MAX 1024

struct ap_record_desc;

typedef struct ap_field_desc {
    const char *name;
    ap_field_type_t type;
    ap_logical_t logical;
    size_t offset;                     /* offsetof the value */
    size_t cap;                        /* strings: buffer size incl. NUL; arrays: max items */
    const char *const *symbols;        /* enums */
    int32_t nsymbols;
    const struct ap_record_desc *item; /* arrays of records, else NULL (array of strings) */
    size_t item_size;                  /* arrays: size of one item (record struct or char[]) */
    size_t count_offset;               /* arrays: offsetof the uint32_t item count */
} ap_field_desc_t;

typedef struct ap_record_desc {
    const char *name;        /* schema name without namespace, e.g. "PlacementEvent" */
    const ap_field_desc_t *fields;
    size_t nfields;
    size_t size;             /* sizeof the struct */
    /* Set by ap_codec_bind() for top-level records: */
    uint64_t fingerprint;
    const char *schema_text;
    size_t schema_len;
} ap_record_desc_t;

/**
 * @brief Checks desc against its schema text (field names, order, types) and
 * records the schema's fingerprint in desc. Call once at start-up.
 * @return 0, or -1 with err set.
 */
int ap_codec_bind(ap_record_desc_t *desc, const char *schema_text, size_t len, ap_codec_error_t *err);

/** @brief Appends the single-object encoding of value to out. */
void ap_codec_encode(const ap_record_desc_t *desc, const void *value, ap_buf_t *out);

/**
 * @brief Reads one Avro long (a zig-zag varint) from [*p, end) and moves *p
 * past it (Avro bodies other than ours, e.g. an object container's, use it too).
 * @return AP_CODEC_OK, AP_CODEC_TRUNCATED (the input ends inside it), or
 *         AP_CODEC_BAD_VARINT (it overflows 64 bits or runs past 10 bytes).
 */
ap_codec_status_t ap_codec_read_long(const uint8_t **p, const uint8_t *end, int64_t *out);

/** @brief Reads the fingerprint of a single-object encoded buffer. @return AP_CODEC_OK or a status. */
ap_codec_status_t ap_codec_peek(const uint8_t *buf, size_t len, uint64_t *fingerprint, ap_codec_error_t *err);

/**
 * @brief Decodes a single-object encoded buffer written with desc's schema into
 * value (desc->size bytes, zeroed first).
 * @return AP_CODEC_OK, or a status with err->msg naming the field.
 */
ap_codec_status_t ap_codec_decode(const ap_record_desc_t *desc, const uint8_t *buf, size_t len, void *value,
                                  ap_codec_error_t *err);

/** @brief Appends value as one JSON object (dates and timestamps as text, enums as symbols). */
void ap_codec_to_json(const ap_record_desc_t *desc, const void *value, ap_buf_t *out);

/**
 * @brief Fills value from a JSON object with the schema's field names.
 * Optional fields may be absent; members whose names are in `ignore`
 * (NULL-terminated list, may be NULL) are skipped; any other unknown member is an error.
 * A field of desc named in `ignore` is not read and stays zero (e.g. a
 * result's "inputs", an array view that JSON cannot fill).
 * @return AP_CODEC_OK or AP_CODEC_BAD_JSON with err->msg.
 */
ap_codec_status_t ap_codec_from_json(const ap_record_desc_t *desc, const ap_json_doc_t *doc,
                                     const ap_json_node_t *obj, const char *const *ignore, void *value,
                                     ap_codec_error_t *err);

/**
 * @brief Decodes item i of a decoded view field into item (f->item_size bytes).
 * For a view with items set, copies item i. @return AP_CODEC_OK or a status.
 */
ap_codec_status_t ap_codec_view_item(const ap_field_desc_t *f, const ap_array_view_t *view, uint32_t i, void *item,
                                     ap_codec_error_t *err);

/** @return the index of symbol s in the field's enum, or -1. */
int32_t ap_codec_enum_index(const ap_field_desc_t *f, const char *s, size_t len);

#endif
