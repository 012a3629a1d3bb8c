/* lines.c - bounded line reader. See lines.h. */
#include "arbejdspligt/lines.h"

int ap_lines_read(FILE *f, ap_buf_t *line, size_t max) {
    ap_buf_reset(line);
    int c;
    while ((c = getc_unlocked(f)) != EOF && c != '\n') {
        if (line->len >= max) return -1; /* stop here: the rest may be gigabytes */
        ap_buf_append_byte(line, (uint8_t)c);
    }
    if (c == EOF && ferror(f)) return -2;
    if (c == EOF && line->len == 0) return 0;
    if (line->len && line->data[line->len - 1] == '\r') line->data[--line->len] = '\0';
    if (!line->data) { ap_buf_reserve(line, 1); line->data[0] = '\0'; } /* an empty line is "" */
    return 1;
}
