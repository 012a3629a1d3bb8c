/*
 * buf.h - growable byte buffer used for encoding and formatting.
 *
 * Ownership: an ap_buf_t owns its data. Initialise with AP_BUF_INIT or
 * ap_buf_init(), release with ap_buf_free(). ap_buf_reset() keeps the
 * allocation so hot paths can reuse one buffer without allocating per event.
 * Allocation failure is fatal (abort): a service that cannot allocate a few
 * kilobytes cannot make progress, and silently truncating output would lose data.
 */
#ifndef AP_BUF_H
#define AP_BUF_H

#include <stddef.h>
#include <stdint.h>

typedef struct ap_buf {
    char *data;  /* always NUL-terminated when cap > 0 */
    size_t len;
    size_t cap;
} ap_buf_t;

#define AP_BUF_INIT {NULL, 0, 0}

void ap_buf_init(ap_buf_t *b);
void ap_buf_free(ap_buf_t *b);
/** @brief Empties the buffer, keeping its allocation. */
void ap_buf_reset(ap_buf_t *b);
/** @brief Makes room for n more bytes. */
void ap_buf_reserve(ap_buf_t *b, size_t n);
void ap_buf_append(ap_buf_t *b, const void *p, size_t n);
void ap_buf_append_str(ap_buf_t *b, const char *s);
/** @brief Appends one byte (inline: the JSON writer appends many). */
static inline void ap_buf_append_byte(ap_buf_t *b, uint8_t c) {
    if (b->len + 2 > b->cap) ap_buf_reserve(b, 1);
    b->data[b->len++] = (char)c;
    b->data[b->len] = '\0';
}
/** @brief Appends n bytes as lower-case hex (2n characters). */
void ap_buf_append_hex(ap_buf_t *b, const void *p, size_t n);
/** @brief Appends a decimal integer (no printf: it is on the output hot path). */
void ap_buf_append_int(ap_buf_t *b, int64_t v);
/** @brief printf-style append. */
void ap_buf_appendf(ap_buf_t *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
