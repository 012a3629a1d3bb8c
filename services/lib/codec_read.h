/*
 * codec_read.h - the bounded Avro readers shared by the codec (codec.c) and
 * schema resolution (resolve.c); private to services/lib, not an API.
 *
 * Every reader checks the input's end, bounds lengths by a capacity, and on
 * failure sets the error with a message naming the field and returns its status.
 */
#ifndef AP_CODEC_READ_H
#define AP_CODEC_READ_H

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "arbejdspligt/codec.h"
#include "arbejdspligt/utf8.h"

#if defined(__GNUC__)
#define AP_UNUSED __attribute__((unused))
#else
#define AP_UNUSED
#endif

AP_UNUSED static ap_codec_status_t set_err(ap_codec_error_t *err, ap_codec_status_t st, const char *fmt, ...) {
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        err->status = st;
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
    }
    return st;
}

typedef struct reader {
    const uint8_t *p, *end;
    ap_codec_error_t *err;
} reader_t;

AP_UNUSED static ap_codec_status_t get_long(reader_t *r, const char *field, int64_t *out) {
    ap_codec_status_t st = ap_codec_read_long(&r->p, r->end, out);
    if (st == AP_CODEC_TRUNCATED) return set_err(r->err, st, "field %s: input ends inside a number", field);
    /* The tenth byte tells the two apart: value bits beyond 64, or a continuation. */
    if (st != AP_CODEC_OK)
        return set_err(r->err, st, r->p[-1] & 0x7e ? "field %s: varint overflows 64 bits"
                                                   : "field %s: varint longer than 10 bytes", field);
    return AP_CODEC_OK;
}

AP_UNUSED static ap_codec_status_t get_int(reader_t *r, const char *field, int32_t *out) {
    int64_t v;
    ap_codec_status_t st = get_long(r, field, &v);
    if (st != AP_CODEC_OK) return st;
    if (v < INT32_MIN || v > INT32_MAX) return set_err(r->err, AP_CODEC_BAD_VARINT, "field %s: int out of range", field);
    *out = (int32_t)v;
    return AP_CODEC_OK;
}

/* Reads a length-prefixed run, bounded by max (and by the input). */
AP_UNUSED static ap_codec_status_t get_run(reader_t *r, const char *field, size_t max, const uint8_t **p, size_t *n) {
    int64_t len;
    ap_codec_status_t st = get_long(r, field, &len);
    if (st != AP_CODEC_OK) return st;
    if (len < 0) return set_err(r->err, AP_CODEC_BAD_LENGTH, "field %s: negative length %lld", field, (long long)len);
    if ((uint64_t)len > max)
        return set_err(r->err, AP_CODEC_TOO_LONG, "field %s: length %lld exceeds the limit %zu", field, (long long)len, max);
    if ((uint64_t)len > (uint64_t)(r->end - r->p))
        return set_err(r->err, AP_CODEC_TRUNCATED, "field %s: length %lld runs past the input", field, (long long)len);
    *p = r->p;
    *n = (size_t)len;
    r->p += len;
    return AP_CODEC_OK;
}

AP_UNUSED static ap_codec_status_t get_string(reader_t *r, const char *field, char *dst, size_t cap) {
    const uint8_t *p = NULL; /* set by get_run when it succeeds; zeroed for gcc -O2's flow analysis */
    size_t n = 0;
    ap_codec_status_t st = get_run(r, field, cap - 1, &p, &n);
    if (st != AP_CODEC_OK) return st;
    if (memchr(p, 0, n) || !ap_utf8_valid((const char *)p, n))
        return set_err(r->err, AP_CODEC_BAD_UTF8, "field %s: not valid UTF-8 text", field);
    memcpy(dst, p, n);
    dst[n] = '\0';
    return AP_CODEC_OK;
}

/* Reads an array block header: the item count (0 ends the array), checked
 * against the field's capacity given `count` items so far. */
AP_UNUSED static ap_codec_status_t get_block(const ap_field_desc_t *f, reader_t *r, uint32_t count, int64_t *block) {
    ap_codec_status_t st;
    if ((st = get_long(r, f->name, block)) != AP_CODEC_OK || *block == 0) return st;
    if (*block < 0) {
        /* A negative count is followed by the block's byte size, which we skip over. */
        int64_t bytes;
        if (*block == INT64_MIN) return set_err(r->err, AP_CODEC_BAD_LENGTH, "field %s: bad block count", f->name);
        *block = -*block;
        if ((st = get_long(r, f->name, &bytes)) != AP_CODEC_OK) return st;
        if (bytes < 0) return set_err(r->err, AP_CODEC_BAD_LENGTH, "field %s: negative block size", f->name);
    }
    if ((uint64_t)*block > f->cap - count)
        return set_err(r->err, AP_CODEC_TOO_LONG, "field %s: more than %zu items", f->name, f->cap);
    return AP_CODEC_OK;
}

#endif
