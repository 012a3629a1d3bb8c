/* lines.c - bounded line reader. See lines.h. */
#include "arbejdspligt/lines.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

void ap_lines_init(ap_lines_t *lr, int fd, size_t max) {
    lr->fd = fd;
    lr->max = max;
    lr->pos = lr->len = 0;
    lr->eof = 0;
}

int ap_lines_read(ap_lines_t *lr, ap_buf_t *line) {
    int any = 0; /* a byte or a line end seen: a line, even an empty one */
    ap_buf_reset(line);
    for (;;) {
        if (lr->pos == lr->len) {
            if (lr->eof) break;
            ssize_t n;
            while ((n = read(lr->fd, lr->buf, sizeof lr->buf)) < 0 && errno == EINTR) {}
            if (n < 0) return -2;
            lr->pos = 0;
            lr->len = (size_t)n;
            if (n == 0) { lr->eof = 1; break; }
        }
        const char *p = lr->buf + lr->pos, *nl = memchr(p, '\n', lr->len - lr->pos);
        size_t take = nl ? (size_t)(nl - p) : lr->len - lr->pos;
        if (line->len + take > lr->max) return -1; /* stop here: the rest may be gigabytes */
        ap_buf_append(line, p, take);
        lr->pos += take + (nl ? 1 : 0);
        any = 1;
        if (nl) break;
    }
    if (!any) return 0;
    if (line->len && line->data[line->len - 1] == '\r') line->data[--line->len] = '\0';
    if (!line->data) { ap_buf_reserve(line, 1); line->data[0] = '\0'; } /* an empty line is "" */
    return 1;
}
