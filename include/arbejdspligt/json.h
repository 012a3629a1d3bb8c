/*
 * json.h - a small strict JSON (RFC 8259) reader and string writer.
 *
 * Used for JSON-lines input of the command-line tool and for reading Avro
 * schema text; never in the event hot path. Strict on purpose: duplicate
 * member names, invalid UTF-8, lone surrogates, trailing garbage and nesting
 * deeper than AP_JSON_MAX_DEPTH are errors, not guesses.
 *
 * Ownership: an ap_json_doc_t owns its node array and decoded-string arena.
 * Nodes and the strings they point to stay valid until the next
 * ap_json_parse() on the same doc or ap_json_doc_free(). One doc can be reused
 * for many parses (its memory is kept).
 */
#ifndef AP_JSON_H
#define AP_JSON_H

#include <stddef.h>
#include <stdint.h>

#include "arbejdspligt/buf.h"

#define AP_JSON_MAX_DEPTH 64

typedef enum ap_json_type {
    AP_JSON_NULL,
    AP_JSON_FALSE,
    AP_JSON_TRUE,
    AP_JSON_NUMBER,
    AP_JSON_STRING,
    AP_JSON_ARRAY,
    AP_JSON_OBJECT
} ap_json_type_t;

typedef struct ap_json_node {
    ap_json_type_t type;
    int32_t next;     /* index of next sibling, -1 if last */
    int32_t child;    /* index of first child (array/object), -1 if empty */
    uint32_t count;   /* number of children */
    const char *key;  /* member name when the parent is an object, else NULL */
    uint32_t key_len;
    const char *str;  /* decoded string (NUL-terminated), or the number's text */
    uint32_t len;
} ap_json_node_t;

typedef struct ap_json_doc {
    ap_json_node_t *nodes;
    size_t count, cap;
    char *text;          /* arena for decoded strings */
    size_t text_used, text_cap;
    char err[128];       /* set when ap_json_parse() fails */
} ap_json_doc_t;

#define AP_JSON_DOC_INIT {NULL, 0, 0, NULL, 0, 0, {0}}

/** @brief Parses one JSON value (the root is nodes[0]). @return 0, or -1 with doc->err set. */
int ap_json_parse(ap_json_doc_t *doc, const char *in, size_t len);
void ap_json_doc_free(ap_json_doc_t *doc);

/** @return the member named name of object obj, or NULL. */
const ap_json_node_t *ap_json_member(const ap_json_doc_t *doc, const ap_json_node_t *obj,
                                     const char *name);
/** @return first child of an array/object, or NULL. */
const ap_json_node_t *ap_json_first(const ap_json_doc_t *doc, const ap_json_node_t *n);
/** @return next sibling, or NULL. */
const ap_json_node_t *ap_json_next(const ap_json_doc_t *doc, const ap_json_node_t *n);
/** @brief Reads an integer number node exactly (no fraction, no exponent, no overflow). @return 0 or -1. */
int ap_json_int64(const ap_json_node_t *n, int64_t *out);
/** @return 1 if n is a string equal to s. */
int ap_json_is_string(const ap_json_node_t *n, const char *s);

/** @brief Appends s as a quoted JSON string, escaping only what RFC 8259 requires. */
void ap_json_write_string(ap_buf_t *out, const char *s, size_t len);

#endif
