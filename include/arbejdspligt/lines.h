/*
 * lines.h - reading text input one line at a time with a bound on the line.
 *
 * getline() grows its buffer to whatever the input holds: one 100 MB line
 * (a stray binary file, a broken producer) took gigabytes once parsed. Every
 * JSON-lines reader (ap-replay file, apctl produce) reads through this
 * instead and refuses a line above its limit without reading the rest of it.
 *
 * Ownership: the caller owns the buffer (buf.h) and reuses it per line.
 */
#ifndef AP_LINES_H
#define AP_LINES_H

#include <stddef.h>
#include <stdio.h>

#include "arbejdspligt/buf.h"

/* Default bound on one line of JSON-lines input: a record is at most 64 KiB
 * (AP_MAX_RECORD_BYTES), 128 KiB as hex, plus its envelope; an export's
 * manifest line lists every partition. Settings may raise it. */
#define AP_LINES_DEFAULT_MAX (1024 * 1024)

/**
 * @brief Reads the next line of f into line (without its '\n'; a '\r' before
 * it is dropped too), at most max bytes.
 * @return 1 with a line, 0 at the end of input, -1 if the line is longer
 *         than max (line then holds its first bytes; the rest is not read),
 *         -2 on a read error (errno set).
 */
int ap_lines_read(FILE *f, ap_buf_t *line, size_t max);

#endif
