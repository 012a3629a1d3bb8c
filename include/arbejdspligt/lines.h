/*
 * lines.h - reading text input one line at a time with a bound on the line.
 *
 * getline() grows its buffer to whatever the input holds: one 100 MB line
 * (a stray binary file, a broken producer) took gigabytes once parsed. Every
 * JSON-lines reader (ap-replay file, apctl produce) reads through this
 * instead and refuses a line above its limit without reading the rest of it.
 *
 * The reader reads the file descriptor itself (read(2), as much as is there,
 * so a pipe's lines come as they are written), 32 KiB at a time, and finds
 * line ends with memchr: as fast as getline.
 *
 * Ownership: the caller owns the reader (no allocation; it does not close
 * the descriptor) and the line buffer (buf.h), reused per line.
 */
#ifndef AP_LINES_H
#define AP_LINES_H

#include <stddef.h>

#include "arbejdspligt/buf.h"

/* Default bound on one line of JSON-lines input: a record is at most 64 KiB
 * (AP_MAX_RECORD_BYTES), 128 KiB as hex, plus its envelope; an export's
 * manifest line lists every partition. Settings may raise it. */
#define AP_LINES_DEFAULT_MAX (1024 * 1024)

typedef struct ap_lines {
    int fd;
    size_t max;       /* longest line accepted, in bytes (without its '\n') */
    size_t pos, len;  /* unread bytes are buf[pos, len) */
    int eof;
    char buf[32 * 1024];
} ap_lines_t;

/** @brief Starts reading fd (nothing may have read it through stdio before) with lines of at most max bytes. */
void ap_lines_init(ap_lines_t *lr, int fd, size_t max);

/**
 * @brief Reads the next line into line (without its '\n'; a '\r' before it
 * is dropped too).
 * @return 1 with a line, 0 at the end of input, -1 if the line is longer
 *         than the reader's max (the rest is not read), -2 on a read error
 *         (errno set).
 */
int ap_lines_read(ap_lines_t *lr, ap_buf_t *line);

#endif
