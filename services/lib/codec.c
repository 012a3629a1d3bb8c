/* codec.c - table-driven Avro binary codec with single-object framing. See codec.h. */
#include "arbejdspligt/codec.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "arbejdspligt/calendar.h"
#include "arbejdspligt/schema.h"
#include "arbejdspligt/utf8.h"
#include "codec_read.h"

#define AT(value, off, T) ((T *)((char *)(value) + (off)))
#define CAT(value, off, T) ((const T *)((const char *)(value) + (off)))

/* ---------------------------------------------------------------- binding */

/* The primitive a schema node names, in either "int" or {"type":"int",...} form. */
static const ap_json_node_t *primitive_of(const ap_json_doc_t *d, const ap_json_node_t *n) {
    if (n->type == AP_JSON_STRING) return n;
    if (n->type == AP_JSON_OBJECT) {
        const ap_json_node_t *t = ap_json_member(d, n, "type");
        if (t && t->type == AP_JSON_STRING) return t;
    }
    return NULL;
}

static int check_record(const ap_record_desc_t *desc, const ap_json_doc_t *d, const ap_json_node_t *rec,
                        ap_codec_error_t *err);

/* The enum a reference names, {"type": "enum", "name": ...} anywhere in the
 * schema (Avro lets a named type be used by name after its definition; the
 * names here are unqualified, one namespace per schema). */
static const ap_json_node_t *enum_named(const ap_json_doc_t *d, const ap_json_node_t *ref) {
    for (size_t i = 0; i < d->count; i++) {
        const ap_json_node_t *n = &d->nodes[i];
        if (n->type == AP_JSON_OBJECT && ap_json_is_string(ap_json_member(d, n, "type"), "enum") &&
            ap_json_is_string(ap_json_member(d, n, "name"), ref->str))
            return n;
    }
    return NULL;
}

static int check_enum(const ap_field_desc_t *f, const ap_json_doc_t *d, const ap_json_node_t *n,
                      ap_codec_error_t *err) {
    if (n->type == AP_JSON_STRING) {
        const ap_json_node_t *def = enum_named(d, n);
        if (!def) return set_err(err, AP_CODEC_BAD_JSON, "field %s: no enum named %.40s", f->name, n->str), -1;
        n = def;
    }
    const ap_json_node_t *syms = ap_json_member(d, n, "symbols");
    if (!ap_json_is_string(primitive_of(d, n), "enum") || !syms || syms->type != AP_JSON_ARRAY)
        return set_err(err, AP_CODEC_BAD_JSON, "field %s: schema is not an enum", f->name), -1;
    if ((int32_t)syms->count != f->nsymbols)
        return set_err(err, AP_CODEC_BAD_JSON, "field %s: %u symbols in schema, %d in table", f->name,
                       syms->count, f->nsymbols), -1;
    int32_t i = 0;
    for (const ap_json_node_t *s = ap_json_first(d, syms); s; s = ap_json_next(d, s), i++)
        if (!ap_json_is_string(s, f->symbols[i]))
            return set_err(err, AP_CODEC_BAD_JSON, "field %s: symbol %d differs", f->name, i), -1;
    return 0;
}

/* A ["null", X] union; returns X. */
static const ap_json_node_t *optional_of(const ap_json_doc_t *d, const ap_json_node_t *n) {
    if (n->type != AP_JSON_ARRAY || n->count != 2) return NULL;
    const ap_json_node_t *first = ap_json_first(d, n);
    if (!ap_json_is_string(primitive_of(d, first), "null")) return NULL;
    return ap_json_next(d, first);
}

static int check_field(const ap_field_desc_t *f, const ap_json_doc_t *d, const ap_json_node_t *t,
                       ap_codec_error_t *err) {
    const ap_json_node_t *inner;
    const char *want = NULL;
    switch (f->type) {
    case AP_FT_BOOL: want = "boolean"; break;
    case AP_FT_INT: want = "int"; break;
    case AP_FT_LONG: want = "long"; break;
    case AP_FT_STRING: want = "string"; break;
    case AP_FT_BYTES: want = "bytes"; break;
    case AP_FT_ENUM: return check_enum(f, d, t, err);
    case AP_FT_OPT_STRING:
    case AP_FT_OPT_INT:
        inner = optional_of(d, t);
        want = f->type == AP_FT_OPT_STRING ? "string" : "int";
        if (!inner || !ap_json_is_string(primitive_of(d, inner), want))
            return set_err(err, AP_CODEC_BAD_JSON, "field %s: schema is not [\"null\",\"%s\"]", f->name, want), -1;
        return 0;
    case AP_FT_OPT_ENUM:
        inner = optional_of(d, t);
        if (!inner) return set_err(err, AP_CODEC_BAD_JSON, "field %s: schema is not [\"null\",enum]", f->name), -1;
        return check_enum(f, d, inner, err);
    case AP_FT_ARRAY_VIEW:
        if (!f->item || f->item_size > AP_CODEC_VIEW_ITEM_MAX)
            return set_err(err, AP_CODEC_BAD_JSON, "field %s: a view needs a record item of at most %d bytes", f->name,
                           AP_CODEC_VIEW_ITEM_MAX), -1;
        /* fall through */
    case AP_FT_ARRAY:
        inner = ap_json_member(d, t, "items");
        if (!ap_json_is_string(primitive_of(d, t), "array") || !inner)
            return set_err(err, AP_CODEC_BAD_JSON, "field %s: schema is not an array", f->name), -1;
        if (f->item) return check_record(f->item, d, inner, err);
        if (!ap_json_is_string(primitive_of(d, inner), "string"))
            return set_err(err, AP_CODEC_BAD_JSON, "field %s: items are not strings", f->name), -1;
        return 0;
    }
    if (!ap_json_is_string(primitive_of(d, t), want))
        return set_err(err, AP_CODEC_BAD_JSON, "field %s: schema type is not %s", f->name, want), -1;
    return 0;
}

static int check_record(const ap_record_desc_t *desc, const ap_json_doc_t *d, const ap_json_node_t *rec,
                        ap_codec_error_t *err) {
    const ap_json_node_t *name = ap_json_member(d, rec, "name"), *fields = ap_json_member(d, rec, "fields");
    if (!ap_json_is_string(primitive_of(d, rec), "record") || !fields || fields->type != AP_JSON_ARRAY)
        return set_err(err, AP_CODEC_BAD_JSON, "%s: schema is not a record", desc->name), -1;
    if (!ap_json_is_string(name, desc->name))
        return set_err(err, AP_CODEC_BAD_JSON, "%s: schema names another record", desc->name), -1;
    if (fields->count != desc->nfields)
        return set_err(err, AP_CODEC_BAD_JSON, "%s: %u fields in schema, %zu in table", desc->name, fields->count,
                       desc->nfields), -1;
    size_t i = 0;
    for (const ap_json_node_t *f = ap_json_first(d, fields); f; f = ap_json_next(d, f), i++) {
        const ap_field_desc_t *fd = &desc->fields[i];
        const ap_json_node_t *fname = ap_json_member(d, f, "name"), *ftype = ap_json_member(d, f, "type");
        if (!ap_json_is_string(fname, fd->name) || !ftype)
            return set_err(err, AP_CODEC_BAD_JSON, "%s: field %zu is not %s", desc->name, i, fd->name), -1;
        if (check_field(fd, d, ftype, err)) return -1;
        const ap_json_node_t *dflt = ap_json_member(d, f, "default");
        if (fd->logical == AP_LT_EMPTY_DEFAULT &&
            (fd->type != AP_FT_ARRAY || !dflt || dflt->type != AP_JSON_ARRAY || dflt->count != 0))
            return set_err(err, AP_CODEC_BAD_JSON, "%s: field %s is read as [] when absent, but the schema's default "
                           "is not []", desc->name, fd->name), -1;
    }
    return 0;
}

int ap_codec_bind(ap_record_desc_t *desc, const char *schema_text, size_t len, ap_codec_error_t *err) {
    ap_json_doc_t doc = AP_JSON_DOC_INIT;
    int rc = -1;
    if (ap_json_parse(&doc, schema_text, len)) {
        set_err(err, AP_CODEC_BAD_JSON, "%s: schema is not JSON: %s", desc->name, doc.err);
        goto cleanup;
    }
    if (check_record(desc, &doc, &doc.nodes[0], err)) goto cleanup;
    char msg[128];
    if (ap_schema_fingerprint(schema_text, len, &desc->fingerprint, msg, sizeof msg)) {
        set_err(err, AP_CODEC_BAD_JSON, "%s: %s", desc->name, msg);
        goto cleanup;
    }
    desc->schema_text = schema_text;
    desc->schema_len = len;
    rc = 0;
cleanup:
    ap_json_doc_free(&doc);
    return rc;
}

/* --------------------------------------------------------------- encoding */

static void put_long(ap_buf_t *out, int64_t v) {
    uint64_t z = ((uint64_t)v << 1) ^ (uint64_t)(v >> 63); /* zigzag */
    uint8_t tmp[10];
    size_t n = 0;
    while (z >= 0x80) { tmp[n++] = (uint8_t)(z | 0x80); z >>= 7; }
    tmp[n++] = (uint8_t)z;
    ap_buf_append(out, tmp, n);
}

static void put_bytes(ap_buf_t *out, const void *p, size_t n) {
    put_long(out, (int64_t)n);
    ap_buf_append(out, p, n);
}

static void encode_record(const ap_record_desc_t *desc, const void *v, ap_buf_t *out);

static void encode_field(const ap_field_desc_t *f, const void *v, ap_buf_t *out) {
    switch (f->type) {
    case AP_FT_BOOL: ap_buf_append_byte(out, *CAT(v, f->offset, bool) ? 1 : 0); break;
    case AP_FT_INT:
    case AP_FT_ENUM: put_long(out, *CAT(v, f->offset, int32_t)); break;
    case AP_FT_LONG: put_long(out, *CAT(v, f->offset, int64_t)); break;
    case AP_FT_STRING: {
        const char *s = CAT(v, f->offset, char);
        put_bytes(out, s, strnlen(s, f->cap - 1));
        break;
    }
    case AP_FT_BYTES: {
        const ap_bytes_t *b = CAT(v, f->offset, ap_bytes_t);
        put_bytes(out, b->ptr, b->len);
        break;
    }
    case AP_FT_OPT_STRING: {
        const char *s = CAT(v, f->offset, char);
        if (!*s) { put_long(out, 0); break; }
        put_long(out, 1);
        put_bytes(out, s, strnlen(s, f->cap - 1));
        break;
    }
    case AP_FT_OPT_INT: {
        int32_t x = *CAT(v, f->offset, int32_t);
        if (x == INT32_MIN) { put_long(out, 0); break; }
        put_long(out, 1);
        put_long(out, x);
        break;
    }
    case AP_FT_OPT_ENUM: {
        int32_t x = *CAT(v, f->offset, int32_t);
        if (x < 0) { put_long(out, 0); break; }
        put_long(out, 1);
        put_long(out, x);
        break;
    }
    case AP_FT_ARRAY: {
        uint32_t n = *CAT(v, f->count_offset, uint32_t);
        if (n > f->cap) n = (uint32_t)f->cap;
        if (n) {
            put_long(out, n);
            for (uint32_t i = 0; i < n; i++) {
                const char *item = CAT(v, f->offset, char) + (size_t)i * f->item_size;
                if (f->item) encode_record(f->item, item, out);
                else put_bytes(out, item, strnlen(item, f->item_size - 1));
            }
        }
        put_long(out, 0);
        break;
    }
    case AP_FT_ARRAY_VIEW: {
        const ap_array_view_t *a = CAT(v, f->offset, ap_array_view_t);
        if (!a->items && a->raw.len) { /* re-encoding a decoded record: the same bytes */
            ap_buf_append(out, a->raw.ptr, a->raw.len);
            break;
        }
        uint32_t n = a->items ? a->n : 0;
        if (n > f->cap) n = (uint32_t)f->cap;
        if (n) {
            put_long(out, n);
            for (uint32_t i = 0; i < n; i++) encode_record(f->item, (const char *)a->items + (size_t)i * f->item_size, out);
        }
        put_long(out, 0);
        break;
    }
    }
}

static void encode_record(const ap_record_desc_t *desc, const void *v, ap_buf_t *out) {
    for (size_t i = 0; i < desc->nfields; i++) encode_field(&desc->fields[i], v, out);
}

void ap_codec_encode(const ap_record_desc_t *desc, const void *value, ap_buf_t *out) {
    uint8_t hdr[AP_CODEC_HEADER_LEN] = {AP_CODEC_MAGIC0, AP_CODEC_MAGIC1};
    for (int i = 0; i < 8; i++) hdr[2 + i] = (uint8_t)(desc->fingerprint >> (8 * i));
    ap_buf_append(out, hdr, sizeof hdr);
    encode_record(desc, value, out);
}

/* --------------------------------------------------------------- decoding */

ap_codec_status_t ap_codec_read_long(const uint8_t **p, const uint8_t *end, int64_t *out) {
    uint64_t z = 0;
    for (int shift = 0; shift < 70; shift += 7) {
        if (*p >= end) return AP_CODEC_TRUNCATED;
        uint8_t b = *(*p)++;
        if (shift == 63 && (b & 0x7e)) return AP_CODEC_BAD_VARINT; /* bits beyond the 64th */
        z |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *out = (int64_t)(z >> 1) ^ -(int64_t)(z & 1);
            return AP_CODEC_OK;
        }
    }
    return AP_CODEC_BAD_VARINT;
}

static ap_codec_status_t get_branch(reader_t *r, const char *field, int *present) {
    int64_t idx;
    ap_codec_status_t st = get_long(r, field, &idx);
    if (st != AP_CODEC_OK) return st;
    if (idx != 0 && idx != 1) return set_err(r->err, AP_CODEC_BAD_UNION, "field %s: union branch %lld", field, (long long)idx);
    *present = (int)idx;
    return AP_CODEC_OK;
}

static ap_codec_status_t get_enum(reader_t *r, const ap_field_desc_t *f, int32_t *out) {
    ap_codec_status_t st = get_int(r, f->name, out);
    if (st != AP_CODEC_OK) return st;
    if (*out < 0 || *out >= f->nsymbols)
        return set_err(r->err, AP_CODEC_BAD_ENUM, "field %s: enum index %d out of range", f->name, *out);
    return AP_CODEC_OK;
}

static ap_codec_status_t decode_record(const ap_record_desc_t *desc, reader_t *r, void *v);

static ap_codec_status_t decode_array(const ap_field_desc_t *f, reader_t *r, void *v) {
    uint32_t *count = AT(v, f->count_offset, uint32_t);
    ap_codec_status_t st;
    *count = 0;
    for (;;) {
        int64_t block;
        if ((st = get_block(f, r, *count, &block)) != AP_CODEC_OK) return st;
        if (block == 0) return AP_CODEC_OK;
        for (int64_t i = 0; i < block; i++) {
            char *item = AT(v, f->offset, char) + (size_t)*count * f->item_size;
            st = f->item ? decode_record(f->item, r, item) : get_string(r, f->name, item, f->item_size);
            if (st != AP_CODEC_OK) return st;
            (*count)++;
        }
    }
}

/* Walks an encoded array of records, decoding each item into a stack buffer;
 * calls fn (may be NULL) per item. Sets *count. */
static ap_codec_status_t walk_view(const ap_field_desc_t *f, reader_t *r, uint32_t *count,
                                   int (*fn)(void *ctx, const void *item), void *ctx) {
    _Alignas(max_align_t) char item[AP_CODEC_VIEW_ITEM_MAX];
    ap_codec_status_t st;
    *count = 0;
    for (;;) {
        int64_t block;
        if ((st = get_block(f, r, *count, &block)) != AP_CODEC_OK) return st;
        if (block == 0) return AP_CODEC_OK;
        for (int64_t i = 0; i < block; i++) {
            if ((st = decode_record(f->item, r, item)) != AP_CODEC_OK) return st;
            if (fn && fn(ctx, item)) return AP_CODEC_OK;
            (*count)++;
        }
    }
}

static ap_codec_status_t decode_field(const ap_field_desc_t *f, reader_t *r, void *v) {
    ap_codec_status_t st;
    int present = 0;
    switch (f->type) {
    case AP_FT_BOOL:
        if (r->p >= r->end) return set_err(r->err, AP_CODEC_TRUNCATED, "field %s: input ends", f->name);
        if (*r->p > 1) return set_err(r->err, AP_CODEC_BAD_ENUM, "field %s: boolean byte %u", f->name, *r->p);
        *AT(v, f->offset, bool) = *r->p++ == 1;
        return AP_CODEC_OK;
    case AP_FT_INT: return get_int(r, f->name, AT(v, f->offset, int32_t));
    case AP_FT_LONG: return get_long(r, f->name, AT(v, f->offset, int64_t));
    case AP_FT_STRING: return get_string(r, f->name, AT(v, f->offset, char), f->cap);
    case AP_FT_ENUM: return get_enum(r, f, AT(v, f->offset, int32_t));
    case AP_FT_BYTES: {
        ap_bytes_t *b = AT(v, f->offset, ap_bytes_t);
        return get_run(r, f->name, f->cap, &b->ptr, &b->len);
    }
    case AP_FT_OPT_STRING:
        if ((st = get_branch(r, f->name, &present)) != AP_CODEC_OK) return st;
        if (!present) { AT(v, f->offset, char)[0] = '\0'; return AP_CODEC_OK; }
        if ((st = get_string(r, f->name, AT(v, f->offset, char), f->cap)) != AP_CODEC_OK) return st;
        /* "" is how a C struct says null; an empty present string means the same. */
        return AP_CODEC_OK;
    case AP_FT_OPT_INT:
        if ((st = get_branch(r, f->name, &present)) != AP_CODEC_OK) return st;
        if (!present) { *AT(v, f->offset, int32_t) = INT32_MIN; return AP_CODEC_OK; }
        if ((st = get_int(r, f->name, AT(v, f->offset, int32_t))) != AP_CODEC_OK) return st;
        if (*AT(v, f->offset, int32_t) == INT32_MIN)
            return set_err(r->err, AP_CODEC_BAD_VARINT, "field %s: value reserved for null", f->name);
        return AP_CODEC_OK;
    case AP_FT_OPT_ENUM:
        if ((st = get_branch(r, f->name, &present)) != AP_CODEC_OK) return st;
        if (!present) { *AT(v, f->offset, int32_t) = -1; return AP_CODEC_OK; }
        return get_enum(r, f, AT(v, f->offset, int32_t));
    case AP_FT_ARRAY: return decode_array(f, r, v);
    case AP_FT_ARRAY_VIEW: {
        ap_array_view_t *a = AT(v, f->offset, ap_array_view_t);
        const uint8_t *start = r->p;
        a->items = NULL;
        if ((st = walk_view(f, r, &a->n, NULL, NULL)) != AP_CODEC_OK) return st;
        a->raw = (ap_bytes_t){start, (size_t)(r->p - start)};
        return AP_CODEC_OK;
    }
    }
    return set_err(r->err, AP_CODEC_BAD_JSON, "field %s: unknown type", f->name);
}

static ap_codec_status_t decode_record(const ap_record_desc_t *desc, reader_t *r, void *v) {
    for (size_t i = 0; i < desc->nfields; i++) {
        ap_codec_status_t st = decode_field(&desc->fields[i], r, v);
        if (st != AP_CODEC_OK) return st;
    }
    return AP_CODEC_OK;
}

ap_codec_status_t ap_codec_peek(const uint8_t *buf, size_t len, uint64_t *fingerprint, ap_codec_error_t *err) {
    if (len < 2) return set_err(err, AP_CODEC_TRUNCATED, "record shorter than the single-object marker");
    if (buf[0] != AP_CODEC_MAGIC0 || buf[1] != AP_CODEC_MAGIC1)
        return set_err(err, AP_CODEC_BAD_MARKER, "record does not start with C3 01 (got %02X %02X)", buf[0], buf[1]);
    if (len < AP_CODEC_HEADER_LEN) return set_err(err, AP_CODEC_TRUNCATED, "record ends inside the schema fingerprint");
    uint64_t fp = 0;
    for (int i = 0; i < 8; i++) fp |= (uint64_t)buf[2 + i] << (8 * i);
    *fingerprint = fp;
    return AP_CODEC_OK;
}

ap_codec_status_t ap_codec_decode(const ap_record_desc_t *desc, const uint8_t *buf, size_t len, void *value,
                                  ap_codec_error_t *err) {
    uint64_t fp = 0;
    ap_codec_status_t st = ap_codec_peek(buf, len, &fp, err);
    if (st != AP_CODEC_OK) return st;
    if (fp != desc->fingerprint)
        return set_err(err, AP_CODEC_UNKNOWN_FINGERPRINT, "fingerprint %016llx is not %s", (unsigned long long)fp, desc->name);
    memset(value, 0, desc->size);
    reader_t r = {buf + AP_CODEC_HEADER_LEN, buf + len, err};
    if ((st = decode_record(desc, &r, value)) != AP_CODEC_OK) return st;
    if (r.p != r.end)
        return set_err(err, AP_CODEC_TRAILING_BYTES, "%zu bytes after the end of %s", (size_t)(r.end - r.p), desc->name);
    return AP_CODEC_OK;
}

/* ------------------------------------------------------------------- JSON */

static void json_scalar_int(const ap_field_desc_t *f, int64_t x, ap_buf_t *out) {
    if (f->logical == AP_LT_DATE) {
        char s[11];
        ap_cal_format_date((int32_t)x, s);
        ap_json_write_string(out, s, 10);
    } else if (f->logical == AP_LT_TIMESTAMP) {
        char s[25];
        ap_cal_format_timestamp(x, s);
        ap_json_write_string(out, s, strlen(s));
    } else {
        ap_buf_append_int(out, x);
    }
}

static void record_to_json(const ap_record_desc_t *desc, const void *v, ap_buf_t *out);

/* Items of a view, one by one, as JSON array elements. */
typedef struct view_json {
    const ap_record_desc_t *item;
    ap_buf_t *out;
    uint32_t n;
} view_json_t;

static int item_to_json(void *ctx, const void *item) {
    view_json_t *vj = ctx;
    if (vj->n++) ap_buf_append_byte(vj->out, ',');
    record_to_json(vj->item, item, vj->out);
    return 0;
}

static void field_to_json(const ap_field_desc_t *f, const void *v, ap_buf_t *out) {
    static const char hex[] = "0123456789abcdef";
    switch (f->type) {
    case AP_FT_BOOL: ap_buf_append_str(out, *CAT(v, f->offset, bool) ? "true" : "false"); break;
    case AP_FT_INT: json_scalar_int(f, *CAT(v, f->offset, int32_t), out); break;
    case AP_FT_LONG: json_scalar_int(f, *CAT(v, f->offset, int64_t), out); break;
    case AP_FT_STRING: {
        const char *s = CAT(v, f->offset, char);
        ap_json_write_string(out, s, strnlen(s, f->cap - 1));
        break;
    }
    case AP_FT_OPT_STRING: {
        const char *s = CAT(v, f->offset, char);
        if (*s) ap_json_write_string(out, s, strnlen(s, f->cap - 1));
        else ap_buf_append_str(out, "null");
        break;
    }
    case AP_FT_ENUM:
    case AP_FT_OPT_ENUM: {
        int32_t x = *CAT(v, f->offset, int32_t);
        if (x >= 0 && x < f->nsymbols) ap_json_write_string(out, f->symbols[x], strlen(f->symbols[x]));
        else ap_buf_append_str(out, "null");
        break;
    }
    case AP_FT_OPT_INT: {
        int32_t x = *CAT(v, f->offset, int32_t);
        if (x == INT32_MIN) ap_buf_append_str(out, "null");
        else json_scalar_int(f, x, out);
        break;
    }
    case AP_FT_BYTES: { /* hex: readable and jq-friendly */
        const ap_bytes_t *b = CAT(v, f->offset, ap_bytes_t);
        ap_buf_append_byte(out, '"');
        for (size_t i = 0; i < b->len; i++) {
            char h[2] = {hex[b->ptr[i] >> 4], hex[b->ptr[i] & 15]};
            ap_buf_append(out, h, 2);
        }
        ap_buf_append_byte(out, '"');
        break;
    }
    case AP_FT_ARRAY: {
        uint32_t n = *CAT(v, f->count_offset, uint32_t);
        ap_buf_append_byte(out, '[');
        for (uint32_t i = 0; i < n && i < f->cap; i++) {
            const char *item = CAT(v, f->offset, char) + (size_t)i * f->item_size;
            if (i) ap_buf_append_byte(out, ',');
            if (f->item) record_to_json(f->item, item, out);
            else ap_json_write_string(out, item, strnlen(item, f->item_size - 1));
        }
        ap_buf_append_byte(out, ']');
        break;
    }
    case AP_FT_ARRAY_VIEW: {
        const ap_array_view_t *a = CAT(v, f->offset, ap_array_view_t);
        view_json_t vj = {f->item, out, 0};
        ap_buf_append_byte(out, '[');
        if (a->items) {
            for (uint32_t i = 0; i < a->n && i < f->cap; i++) item_to_json(&vj, (const char *)a->items + (size_t)i * f->item_size);
        } else {
            /* One walk over the encoded items (checked when decoded). */
            ap_codec_error_t e;
            reader_t r = {a->raw.ptr, a->raw.ptr + a->raw.len, &e};
            uint32_t count;
            walk_view(f, &r, &count, item_to_json, &vj);
        }
        ap_buf_append_byte(out, ']');
        break;
    }
    }
}

static void record_to_json(const ap_record_desc_t *desc, const void *v, ap_buf_t *out) {
    ap_buf_append_byte(out, '{');
    for (size_t i = 0; i < desc->nfields; i++) {
        /* Avro names are [A-Za-z_][A-Za-z0-9_]* (checked against the schema
         * at start-up): nothing to escape. */
        const char *name = desc->fields[i].name;
        size_t n = strlen(name);
        ap_buf_reserve(out, n + 4);
        char *at = out->data + out->len;
        if (i) *at++ = ',';
        *at++ = '"';
        memcpy(at, name, n);
        at += n;
        *at++ = '"';
        *at++ = ':';
        *at = '\0';
        out->len = (size_t)(at - out->data);
        field_to_json(&desc->fields[i], v, out);
    }
    ap_buf_append_byte(out, '}');
}

void ap_codec_to_json(const ap_record_desc_t *desc, const void *value, ap_buf_t *out) {
    record_to_json(desc, value, out);
}

int32_t ap_codec_enum_index(const ap_field_desc_t *f, const char *s, size_t len) {
    for (int32_t i = 0; i < f->nsymbols; i++)
        if (strlen(f->symbols[i]) == len && memcmp(f->symbols[i], s, len) == 0) return i;
    return -1;
}

static ap_codec_status_t json_int(const ap_field_desc_t *f, const ap_json_node_t *n, int64_t lo, int64_t hi,
                                  int64_t *out, ap_codec_error_t *err) {
    if (n->type == AP_JSON_STRING && f->logical == AP_LT_DATE) {
        int32_t day;
        if (ap_cal_parse_date(n->str, n->len, &day))
            return set_err(err, AP_CODEC_BAD_JSON, "field %s: \"%.40s\" is not a YYYY-MM-DD date", f->name, n->str);
        *out = day;
        return AP_CODEC_OK;
    }
    if (n->type == AP_JSON_STRING && f->logical == AP_LT_TIMESTAMP) {
        if (ap_cal_parse_timestamp(n->str, n->len, out))
            return set_err(err, AP_CODEC_BAD_JSON, "field %s: \"%.40s\" is not an RFC 3339 timestamp", f->name, n->str);
        return AP_CODEC_OK;
    }
    if (ap_json_int64(n, out) || *out < lo || *out > hi)
        return set_err(err, AP_CODEC_BAD_JSON, "field %s: expected an integer%s", f->name,
                       f->logical == AP_LT_DATE ? " or a YYYY-MM-DD date"
                       : f->logical == AP_LT_TIMESTAMP ? " or an RFC 3339 timestamp" : "");
    return AP_CODEC_OK;
}

static ap_codec_status_t json_string(const ap_field_desc_t *f, const ap_json_node_t *n, char *dst, size_t cap,
                                     ap_codec_error_t *err) {
    if (n->type != AP_JSON_STRING) return set_err(err, AP_CODEC_BAD_JSON, "field %s: expected a string", f->name);
    if (n->len >= cap) return set_err(err, AP_CODEC_BAD_JSON, "field %s: longer than %zu bytes", f->name, cap - 1);
    if (memchr(n->str, 0, n->len)) return set_err(err, AP_CODEC_BAD_JSON, "field %s: contains NUL", f->name);
    memcpy(dst, n->str, n->len);
    dst[n->len] = '\0';
    return AP_CODEC_OK;
}

static ap_codec_status_t json_enum(const ap_field_desc_t *f, const ap_json_node_t *n, int32_t *out,
                                   ap_codec_error_t *err) {
    if (n->type != AP_JSON_STRING || (*out = ap_codec_enum_index(f, n->str, n->len)) < 0)
        return set_err(err, AP_CODEC_BAD_JSON, "field %s: not one of the %s symbols", f->name, f->name);
    return AP_CODEC_OK;
}

static ap_codec_status_t record_from_json(const ap_record_desc_t *desc, const ap_json_doc_t *doc,
                                          const ap_json_node_t *obj, const char *const *ignore, void *v,
                                          ap_codec_error_t *err);

static ap_codec_status_t field_from_json(const ap_field_desc_t *f, const ap_json_doc_t *doc,
                                         const ap_json_node_t *n, void *v, ap_codec_error_t *err) {
    int64_t x;
    ap_codec_status_t st;
    int is_null = !n || n->type == AP_JSON_NULL;
    switch (f->type) {
    case AP_FT_OPT_STRING:
        if (is_null) { AT(v, f->offset, char)[0] = '\0'; return AP_CODEC_OK; }
        return json_string(f, n, AT(v, f->offset, char), f->cap, err);
    case AP_FT_OPT_INT:
        if (is_null) { *AT(v, f->offset, int32_t) = INT32_MIN; return AP_CODEC_OK; }
        if ((st = json_int(f, n, INT32_MIN + 1, INT32_MAX, &x, err)) != AP_CODEC_OK) return st;
        *AT(v, f->offset, int32_t) = (int32_t)x;
        return AP_CODEC_OK;
    case AP_FT_OPT_ENUM:
        if (is_null) { *AT(v, f->offset, int32_t) = -1; return AP_CODEC_OK; }
        return json_enum(f, n, AT(v, f->offset, int32_t), err);
    default: break;
    }
    if (!n && f->logical == AP_LT_EMPTY_DEFAULT) { /* left out by a writer older than the field: [] */
        *AT(v, f->count_offset, uint32_t) = 0;
        return AP_CODEC_OK;
    }
    if (!n) return set_err(err, AP_CODEC_BAD_JSON, "field %s is required", f->name);
    switch (f->type) {
    case AP_FT_BOOL:
        if (n->type != AP_JSON_TRUE && n->type != AP_JSON_FALSE)
            return set_err(err, AP_CODEC_BAD_JSON, "field %s: expected true or false", f->name);
        *AT(v, f->offset, bool) = n->type == AP_JSON_TRUE;
        return AP_CODEC_OK;
    case AP_FT_INT:
        if ((st = json_int(f, n, INT32_MIN, INT32_MAX, &x, err)) != AP_CODEC_OK) return st;
        *AT(v, f->offset, int32_t) = (int32_t)x;
        return AP_CODEC_OK;
    case AP_FT_LONG: return json_int(f, n, INT64_MIN, INT64_MAX, AT(v, f->offset, int64_t), err);
    case AP_FT_STRING: return json_string(f, n, AT(v, f->offset, char), f->cap, err);
    case AP_FT_ENUM: return json_enum(f, n, AT(v, f->offset, int32_t), err);
    case AP_FT_BYTES: return set_err(err, AP_CODEC_BAD_JSON, "field %s: bytes cannot be read from JSON", f->name);
    case AP_FT_ARRAY_VIEW: /* an output of the processor, never read from JSON */
        return set_err(err, AP_CODEC_BAD_JSON, "field %s: cannot be read from JSON", f->name);
    case AP_FT_ARRAY: {
        uint32_t *count = AT(v, f->count_offset, uint32_t);
        if (n->type != AP_JSON_ARRAY) return set_err(err, AP_CODEC_BAD_JSON, "field %s: expected an array", f->name);
        if (n->count > f->cap) return set_err(err, AP_CODEC_BAD_JSON, "field %s: more than %zu items", f->name, f->cap);
        *count = 0;
        for (const ap_json_node_t *it = ap_json_first(doc, n); it; it = ap_json_next(doc, it)) {
            char *item = AT(v, f->offset, char) + (size_t)*count * f->item_size;
            st = f->item ? record_from_json(f->item, doc, it, NULL, item, err)
                         : json_string(f, it, item, f->item_size, err);
            if (st != AP_CODEC_OK) return st;
            (*count)++;
        }
        return AP_CODEC_OK;
    }
    default: return set_err(err, AP_CODEC_BAD_JSON, "field %s: unsupported type", f->name);
    }
}

static int ignored(const char *const *ignore, const char *key, size_t len) {
    for (; ignore && *ignore; ignore++)
        if (strlen(*ignore) == len && memcmp(*ignore, key, len) == 0) return 1;
    return 0;
}

static ap_codec_status_t record_from_json(const ap_record_desc_t *desc, const ap_json_doc_t *doc,
                                          const ap_json_node_t *obj, const char *const *ignore, void *v,
                                          ap_codec_error_t *err) {
    if (!obj || obj->type != AP_JSON_OBJECT)
        return set_err(err, AP_CODEC_BAD_JSON, "%s: expected a JSON object", desc->name);
    memset(v, 0, desc->size);
    /* Unknown members are errors: a misspelt optional field must not vanish silently. */
    for (const ap_json_node_t *m = ap_json_first(doc, obj); m; m = ap_json_next(doc, m)) {
        size_t i;
        for (i = 0; i < desc->nfields; i++)
            if (strlen(desc->fields[i].name) == m->key_len && memcmp(desc->fields[i].name, m->key, m->key_len) == 0)
                break;
        if (i == desc->nfields && !ignored(ignore, m->key, m->key_len))
            return set_err(err, AP_CODEC_BAD_JSON, "%s has no field \"%.40s\"", desc->name, m->key);
    }
    for (size_t i = 0; i < desc->nfields; i++) {
        /* A field named in ignore is not read: it stays zero (an array view:
         * empty). Readers that want a result's figures skip its lineage,
         * which JSON cannot carry back into a view. */
        if (ignored(ignore, desc->fields[i].name, strlen(desc->fields[i].name))) continue;
        ap_codec_status_t st = field_from_json(&desc->fields[i], doc, ap_json_member(doc, obj, desc->fields[i].name), v, err);
        if (st != AP_CODEC_OK) return st;
    }
    return AP_CODEC_OK;
}

ap_codec_status_t ap_codec_from_json(const ap_record_desc_t *desc, const ap_json_doc_t *doc,
                                     const ap_json_node_t *obj, const char *const *ignore, void *value,
                                     ap_codec_error_t *err) {
    return record_from_json(desc, doc, obj, ignore, value, err);
}

/* Copies the item with index `want` out of a walk. */
typedef struct view_pick {
    uint32_t want, seen;
    void *out;
    size_t size;
} view_pick_t;

static int pick_item(void *ctx, const void *item) {
    view_pick_t *pk = ctx;
    if (pk->seen++ != pk->want) return 0;
    memcpy(pk->out, item, pk->size);
    return 1;
}

ap_codec_status_t ap_codec_view_item(const ap_field_desc_t *f, const ap_array_view_t *view, uint32_t i, void *item,
                                     ap_codec_error_t *err) {
    if (i >= view->n) return set_err(err, AP_CODEC_TRUNCATED, "field %s: no item %u", f->name, (unsigned)i);
    if (view->items) {
        memcpy(item, (const char *)view->items + (size_t)i * f->item_size, f->item_size);
        return AP_CODEC_OK;
    }
    reader_t r = {view->raw.ptr, view->raw.ptr + view->raw.len, err};
    view_pick_t pk = {i, 0, item, f->item_size};
    uint32_t count;
    ap_codec_status_t st = walk_view(f, &r, &count, pick_item, &pk);
    if (st == AP_CODEC_OK && pk.seen <= i) return set_err(err, AP_CODEC_TRUNCATED, "field %s: no item %u", f->name, (unsigned)i);
    return st;
}
