/* output.c - the file output of ap-replay. See output.h. */
#include "arbejdspligt/output.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "arbejdspligt/buf.h"

#define MAX_TOPICS 8

struct ap_output_file {
    FILE *f;
    int own; /* 0 for stdout */
    ap_output_format_t format;
    char *topics[MAX_TOPICS];
    size_t n_topics;
    ap_buf_t line;
    uint64_t written;
    int failed;
};

ap_output_file_t *ap_output_file_open(const char *path, ap_output_format_t format, const char *const *topics,
                                      char *err, size_t errlen) {
    ap_output_file_t *o = calloc(1, sizeof *o);
    if (!o) abort();
    if (strcmp(path, "-") == 0) o->f = stdout;
    else if (ap_output_create_private(path, err, errlen)) {
        free(o);
        return NULL;
    } else if (!(o->f = fopen(path, "w"))) {
        snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
        free(o);
        return NULL;
    } else o->own = 1;
    o->format = format;
    for (size_t i = 0; topics && topics[i] && i < MAX_TOPICS; i++) {
        if (!(o->topics[i] = strdup(topics[i]))) abort();
        o->n_topics++;
    }
    return o;
}

static int wanted_topic(const ap_output_file_t *o, const char *topic) {
    if (!o->n_topics) return 1;
    for (size_t i = 0; i < o->n_topics; i++)
        if (strcmp(o->topics[i], topic) == 0) return 1;
    return 0;
}

int ap_output_file_format(const ap_output_file_t *o, const char *topic, const void *key, size_t keylen,
                          const void *value, size_t len, const ap_event_t *event, ap_buf_t *line, char *err,
                          size_t errlen) {
    if (!wanted_topic(o, topic)) return 0;
    if (o->format == AP_OUTPUT_JSON) {
        ap_event_t ev;
        ap_codec_error_t cerr;
        /* Our own output always decodes; a failure here is a bug worth stopping for. */
        if (!event && ap_events_decode(value, len, &ev, &cerr) != AP_CODEC_OK) {
            snprintf(err, errlen, "output record does not decode: %s", cerr.msg);
            return -1;
        }
        ap_events_to_json(event ? event : &ev, line);
    } else {
        ap_buf_append_str(line, topic);
        ap_buf_append_byte(line, ' ');
        ap_buf_append(line, key, keylen);
        ap_buf_append_byte(line, ' ');
        ap_buf_append_hex(line, value, len);
    }
    ap_buf_append_byte(line, '\n');
    return 1;
}

int ap_output_file_write(ap_output_file_t *o, const void *lines, size_t len, uint64_t n_lines, char *err,
                         size_t errlen) {
    if (len && fwrite(lines, 1, len, o->f) != len) {
        o->failed = 1;
        snprintf(err, errlen, "write failed: %s", strerror(errno));
        return -1;
    }
    o->written += n_lines;
    return 0;
}

static int file_produce(void *ctx, const char *topic, const void *key, size_t keylen, const void *value, size_t len,
                        const ap_event_t *event, char *err, size_t errlen) {
    ap_output_file_t *o = ctx;
    ap_buf_reset(&o->line);
    int got = ap_output_file_format(o, topic, key, keylen, value, len, event, &o->line, err, errlen);
    return got <= 0 ? got : ap_output_file_write(o, o->line.data, o->line.len, 1, err, errlen);
}

static int file_flush(void *ctx, int timeout_ms, char *err, size_t errlen) {
    (void)timeout_ms;
    ap_output_file_t *o = ctx;
    if (fflush(o->f) != 0 || ferror(o->f)) {
        snprintf(err, errlen, "write failed: %s", strerror(errno));
        o->failed = 1;
        return -1;
    }
    return 0;
}

ap_output_t ap_output_file(ap_output_file_t *f) { return (ap_output_t){file_produce, file_flush, f}; }

uint64_t ap_output_file_written(const ap_output_file_t *f) { return f->written; }

int ap_output_file_close(ap_output_file_t *o, char *err, size_t errlen) {
    if (!o) return 0;
    int rc = o->failed || fflush(o->f) != 0 || ferror(o->f) ? -1 : 0;
    if (o->own && fclose(o->f) != 0) rc = -1;
    if (rc) snprintf(err, errlen, "writing the output failed");
    for (size_t i = 0; i < o->n_topics; i++) free(o->topics[i]);
    ap_buf_free(&o->line);
    free(o);
    return rc;
}

int ap_output_create_private(const char *path, char *err, size_t errlen) {
    if (strcmp(path, "-") == 0) return 0;
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    /* An existing file keeps its mode on open: set it. */
    if (fd < 0 || fchmod(fd, 0600) != 0) {
        snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
        if (fd >= 0) close(fd);
        return -1;
    }
    close(fd);
    return 0;
}
