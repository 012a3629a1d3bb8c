/* buf.c - growable byte buffer. See buf.h. */
#include "arbejdspligt/buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void ap_buf_init(ap_buf_t *b) { b->data = NULL; b->len = 0; b->cap = 0; }

void ap_buf_free(ap_buf_t *b) {
    free(b->data);
    ap_buf_init(b);
}

void ap_buf_reset(ap_buf_t *b) {
    b->len = 0;
    if (b->cap) b->data[0] = '\0';
}

void ap_buf_reserve(ap_buf_t *b, size_t n) {
    if (b->len + n + 1 <= b->cap) return;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + n + 1) cap *= 2;
    char *p = realloc(b->data, cap);
    if (!p) abort(); /* see header: allocation failure is fatal */
    b->data = p;
    b->cap = cap;
}

void ap_buf_append(ap_buf_t *b, const void *p, size_t n) {
    ap_buf_reserve(b, n);
    if (n) memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void ap_buf_append_str(ap_buf_t *b, const char *s) { ap_buf_append(b, s, strlen(s)); }


void ap_buf_appendf(ap_buf_t *b, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) return;
    ap_buf_reserve(b, (size_t)n);
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

void ap_buf_append_int(ap_buf_t *b, int64_t v) {
    char tmp[20];
    size_t n = 0;
    /* Negate in unsigned arithmetic: INT64_MIN has no positive twin. */
    uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
    do { tmp[n++] = (char)('0' + u % 10); u /= 10; } while (u);
    ap_buf_reserve(b, n + 1);
    if (v < 0) b->data[b->len++] = '-';
    while (n) b->data[b->len++] = tmp[--n];
    b->data[b->len] = '\0';
}

void ap_buf_append_hex(ap_buf_t *b, const void *p, size_t n) {
    static const char hex[] = "0123456789abcdef";
    ap_buf_reserve(b, 2 * n);
    for (size_t i = 0; i < n; i++) {
        uint8_t c = ((const uint8_t *)p)[i];
        char h[2] = {hex[c >> 4], hex[c & 15]};
        ap_buf_append(b, h, 2);
    }
}
